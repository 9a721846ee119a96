#!/usr/bin/env bash
# Encrypt throughput at 16 connections (the figure issues quote as "Encrypt c16"), against a
# kmsgate-aws binary started here, in memory, on a free loopback port.
#
#   bash bench/encrypt.sh [BINARY] [extra server flags...]
#   bash bench/encrypt.sh target/release/kmsgate-aws --log-level off
#
# Needs wrk (Debian: apt-get install wrk). DURATION (default 10s), CONNECTIONS (16) and THREADS
# (wrk threads: 2, or 1 for CONNECTIONS=1) may be
# set in the environment. Prints one line: requests/s, p50, p99, errors, and the server's CPU
# time per request (user + system, all threads: steadier than throughput on a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."
# wrk refuses more threads than connections.
THREADS=${THREADS:-$(( ${CONNECTIONS:-16} < 2 ? 1 : 2 ))}
bin=${1:-target/release/kmsgate-aws}
shift || true
command -v wrk >/dev/null || { echo "encrypt.sh: wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "encrypt.sh: $bin missing (cargo build --release -p kmsgate-server --bins)" >&2; exit 1; }

out=$(mktemp) err=$(mktemp)
# Encrypt needs no wrapping key pairs: an empty pool keeps RSA generation (seconds of CPU at
# start) out of the measurement.
KMSGATE_POOL__RSA_2048=0 KMSGATE_POOL__RSA_3072=0 KMSGATE_POOL__RSA_4096=0 KMSGATE_POOL__SM2=0 \
"$bin" --in-memory --listen 127.0.0.1:0 "$@" >"$out" 2>"$err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out" "$err"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
[ -n "$url" ] || { echo "encrypt.sh: the server did not start" >&2; cat "$err" >&2; exit 1; }

auth="AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=$(printf '0%.0s' $(seq 64))"
key=$(curl -s -X POST "$url/" -H "X-Amz-Target: TrentService.CreateKey" \
      -H "Authorization: $auth" -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')
# Warm up, then measure.
KEY_ID=$key wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-16}" -d2s -s bench/encrypt.lua "$url/" >/dev/null
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
ticks=$(getconf CLK_TCK)
before=$(cpu)
line=$(KEY_ID=$key wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-16}" -d"${DURATION:-10s}" -s bench/encrypt.lua "$url/" | tail -1)
after=$(cpu)
requests=$(echo "$line" | awk '{ print $2 }')
echo "$line  server-cpu/request $(awk -v a="$after" -v b="$before" -v n="$requests" -v t="$ticks" \
    'BEGIN { printf "%.1f us", (a - b) / t * 1e6 / n }')"
