-- wrk script: one AWS KMS JSON 1.1 operation against kmsgate-aws in permissive mode (a
-- well-formed, unverified SigV4 header). bench/bench.py sets the environment:
--   TARGET  operation name (TrentService.<TARGET>), e.g. Encrypt
--   BODY    the JSON request body, sent as is on every request
--   REGION  region of the credential scope (default us-east-1; cn-north-1 for SM2)
-- Prints one machine-readable RESULT line (latencies in microseconds).
local target = os.getenv("TARGET") or "Encrypt"
local region = os.getenv("REGION") or "us-east-1"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "TrentService." .. target
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=111122223333/20260101/" .. region
  .. "/kms/aws4_request, SignedHeaders=host, Signature=" .. string.rep("0", 64)
wrk.body = os.getenv("BODY") or "{}"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%.1f p99_us=%.1f max_us=%.1f status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
