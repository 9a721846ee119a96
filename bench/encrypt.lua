-- wrk script: AWS Encrypt against kmsgate-aws in permissive mode (a well-formed, unverified
-- SigV4 header); KEY_ID comes from the environment (bench/encrypt.sh creates the key).
local key = os.getenv("KEY_ID")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "TrentService.Encrypt"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=" .. string.rep("0", 64)
wrk.body = '{"KeyId":"' .. key .. '","Plaintext":"aGVsbG8gd29ybGQ="}'

done = function(summary, latency, requests)
  io.write(string.format("requests %d  requests/s %.0f  p50 %.2f ms  p99 %.2f ms  errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect
      + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
