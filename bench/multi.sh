#!/usr/bin/env bash
# kmsgate over PostgreSQL (issue #18): CreateKey, Encrypt and ImportKeyMaterial for the
# embedded store, one instance over PostgreSQL and two instances over one PostgreSQL
# database. Not a test.
#
#   cargo build --release -p kmsgate-server --bins
#   bash bench/multi.sh [BIN_DIR]           # BIN_DIR default: target/release; ~3 minutes
#   QUICK=1 bash bench/multi.sh             # ~1 minute
#   PG_URL=postgres://u:p@host/db bash bench/multi.sh   # an existing, empty database
#
# Needs wrk, python3, kmsgate-aws and kmsgate in BIN_DIR, and PostgreSQL's initdb/pg_ctl
# (Debian: apt-get install postgresql) unless PG_URL is set. See bench/multi.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
command -v wrk >/dev/null || { echo "multi.sh: wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "multi.sh: python3 is required" >&2; exit 1; }
exec python3 "$here/multi.py" "$@"
