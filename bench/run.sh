#!/usr/bin/env bash
# kmsgate benchmark (issue #15): the one entry point.
#
#   cargo build --release -p kmsgate-server --bins --examples   # --examples: the baseline floor
#   bash bench/run.sh [BIN_DIR]             # BIN_DIR default: target/release; ~11 minutes
#   QUICK=1 bash bench/run.sh               # ~4 minutes: shorter runs, fewer keys
#   bash bench/run.sh > bench/RESULTS.md    # tables on stdout, progress on stderr
#
# Starts kmsgate-aws release servers itself (127.0.0.1, port 0, permissive auth: a well-formed
# unverified SigV4 header), durable stores in a temporary directory, and prints Markdown
# tables: req/s, p50/p99 and server CPU per request for Encrypt, Decrypt, DescribeKey,
# GenerateDataKey and CreateKey at c1 and c16, durable and in memory; GetParametersForImport
# per wrapping key spec, in a row and under 16 concurrent clients; ImportKeyMaterial p50
# (RSA-2048 OAEP-SHA-256); cold start; RSS idle and per key. The machine and the commit head
# the output.
#
# Needs: wrk (Debian/Ubuntu: apt-get install wrk), python3 (standard library only), and
# kmsgate-aws plus kmsgate (for `kmsgate wrap`) in BIN_DIR.
#
# Environment knobs (see bench/bench.py): QUICK, DURATION, WARMUP, BYOK_SECONDS, BYOK_CALLS,
# KEYS, IMPORTS, ONLY (e.g. ONLY=throughput). Inherited KMSGATE_* variables are ignored: the
# servers run with default settings (the throughput servers with an empty key-pair pool).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
command -v wrk >/dev/null || { echo "run.sh: wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "run.sh: python3 is required" >&2; exit 1; }
exec python3 "$here/bench.py" "$@"
