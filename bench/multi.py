#!/usr/bin/env python3
"""kmsgate over PostgreSQL (issue #18): run through bench/multi.sh, which checks the
prerequisites.

    bash bench/multi.sh [BIN_DIR]        # BIN_DIR default: target/release

Prints, as Markdown on stdout (progress on stderr), CreateKey, Encrypt and ImportKeyMaterial
for the embedded store (redb, one instance), one kmsgate-aws over PostgreSQL, and two
kmsgate-aws over the same PostgreSQL database, each driven by its own load generator at the
same time (the figure a load balancer in front of both would see is the sum).

PostgreSQL: `PG_URL` (an empty database the run may fill) or, without it, a throwaway
cluster this script makes with the machine's initdb/pg_ctl (as `nobody` when run as root)
on a free loopback port, removed at the end. Every process (PostgreSQL, the servers, wrk)
shares the machine's cores: on a small machine the figures say what one machine does, not
what a deployment with a database server of its own would.

Environment: QUICK=1, DURATION (s per wrk run, 10; QUICK 3), WARMUP (2; QUICK 1), IMPORTS
(sequential imports per instance, 100; QUICK 20), CONNS (wrk connections per instance, 16).
"""

import base64
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the machinery of bench/run.sh: servers, wrk, clients)
from bench import Client, log, ms, pct, rate, start, wrk  # noqa: E402

QUICK = bench.QUICK
DURATION = bench.setting("DURATION", 10, 3)
WARMUP = bench.setting("WARMUP", 2, 1)
IMPORTS = bench.setting("IMPORTS", 100, 20)
CONNS = bench.setting("CONNS", 16, 16)
ROOT_KEY = os.urandom(32).hex()


class Postgres:
    """A throwaway cluster: initdb into a temporary directory, pg_ctl start on a free port."""

    def __init__(self, tmp):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
        bindir = bins[-1] if bins else os.path.dirname(shutil.which("pg_ctl") or "")
        if not bindir or not os.path.exists(os.path.join(bindir, "initdb")):
            raise SystemExit("bench: no PostgreSQL (initdb, pg_ctl); install it or set PG_URL")
        self.bin, self.dir = bindir, os.path.join(tmp, "pg")
        os.makedirs(self.dir)
        self.root = os.geteuid() == 0
        if self.root:
            # mkdtemp's directory is root's alone: let `nobody` through to its own.
            os.chmod(tmp, 0o711)
            subprocess.run(["chown", "nobody", self.dir], check=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.pg("initdb", "-D", self.data(), "-U", "kmsgate", "--auth=trust", "-E", "UTF8", "--no-sync")
        # Durable settings (fsync on): the figures are those of a database that keeps what
        # it acknowledged, like the embedded store they sit next to.
        self.pg("pg_ctl", "-D", self.data(), "-l", os.path.join(self.dir, "log"), "-w", "-o",
                "-k %s -h 127.0.0.1 -p %d -c max_connections=200" % (self.dir, self.port), "start")
        self.url = "postgres://kmsgate@127.0.0.1:%d/postgres" % self.port

    def data(self):
        return os.path.join(self.dir, "data")

    def pg(self, program, *args):
        cmd = [os.path.join(self.bin, program), *args]
        if self.root:
            cmd = ["runuser", "-u", "nobody", "--"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir)
        if out.returncode != 0:
            raise SystemExit("bench: %s failed: %s %s" % (program, out.stdout, out.stderr))

    def stop(self):
        try:
            self.pg("pg_ctl", "-D", self.data(), "-m", "fast", "-w", "stop")
        except SystemExit as e:
            log(str(e))


def servers(bindir, tmp, setup, url):
    env = dict(bench.EMPTY_POOL, KMSGATE_POOL__REUSE_CALLS="1000")
    if setup == "embedded":
        return [start(bindir, "embedded", os.path.join(tmp, "redb-%f" % time.time()), env)]
    env.update(KMSGATE_STORE__KIND="postgres", KMSGATE_STORE__POSTGRES__URL=url,
               KMSGATE_ROOT_KEY=ROOT_KEY)
    n = 1 if setup == "postgres, 1 instance" else 2
    return [start(bindir, "%s #%d" % (setup, i + 1), None, env) for i in range(n)]


def in_threads(n, work):
    """Runs work(i) for i in 0..n on n threads at once. A failure in any of them (even the
    SystemExit of a failed call, which a thread would drop silently) ends the benchmark rather
    than leaving a short list behind a plausible figure."""
    failures = []

    def run(i):
        try:
            work(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread below
            failures.append(e)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if failures:
        raise SystemExit("multi.py: a worker failed: %r" % (failures[0],))


def parallel_wrk(instances, op, bodies, seconds):
    """One wrk per instance, at the same time; returns their results."""
    results = [None] * len(instances)

    def run(i):
        results[i] = wrk(instances[i], op, bodies[i], CONNS, seconds)

    in_threads(len(instances), run)
    return results


def prepared_imports(bindir, s, n):
    c = Client(s)
    out = []
    for _ in range(n):
        key = c.call("CreateKey", {"Origin": "EXTERNAL"})[0]["KeyMetadata"]["KeyId"]
        p = c.call("GetParametersForImport", {"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                              "WrappingKeySpec": "RSA_2048"})[0]
        w = subprocess.run(
            [os.path.join(bindir, "kmsgate"), "wrap", "--algorithm", "RSAES_OAEP_SHA_256",
             "--public-key", p["PublicKey"], "--material", "hex:" + os.urandom(32).hex()],
            capture_output=True, text=True, check=True)
        out.append({"KeyId": key, "ImportToken": p["ImportToken"],
                    "EncryptedKeyMaterial": w.stdout.strip(),
                    "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
    c.close()
    return out


def import_run(bindir, instances):
    """IMPORTS sequential imports per instance, one client per instance, all at once."""
    prepared = [prepared_imports(bindir, s, IMPORTS) for s in instances]
    times = [[] for _ in instances]

    def run(i):
        c = Client(instances[i])
        for body in prepared[i]:
            times[i].append(c.call("ImportKeyMaterial", body)[1])
        c.close()

    t0 = time.monotonic()
    in_threads(len(instances), run)
    wall = time.monotonic() - t0
    all_times = [t for ts_ in times for t in ts_]
    return dict(n=len(all_times), rate=len(all_times) / wall, p50=pct(all_times, 50),
                p99=pct(all_times, 99))


def main():
    bindir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(bench.ROOT, "target", "release"))
    tmp = tempfile.mkdtemp(prefix="kmsgate-multi-")
    pg = None
    # The shared header, less its line of run.sh's knobs: this script has its own.
    out = [line for line in bench.header(bindir, tmp)
           if not line.startswith(("- QUICK=1:", "- full run:"))]
    out.append("- %s: DURATION=%d WARMUP=%d IMPORTS=%d CONNS=%d" % (
        "QUICK=1" if QUICK else "full run", DURATION, WARMUP, IMPORTS, CONNS))
    try:
        url = os.environ.get("PG_URL")
        if not url:
            log("starting a throwaway PostgreSQL")
            pg = Postgres(tmp)
            url = pg.url
        rows = []
        for setup in ("embedded", "postgres, 1 instance", "postgres, 2 instances"):
            log(setup)
            instances = servers(bindir, tmp, setup, url)
            row = {"setup": setup}
            c = Client(instances[0])
            key = c.call("CreateKey", {})[0]["KeyMetadata"]["KeyId"]
            c.close()
            plain = base64.b64encode(b"hello world").decode()
            for op, body in (("CreateKey", {}), ("Encrypt", {"KeyId": key, "Plaintext": plain})):
                bodies = [body] * len(instances)
                if WARMUP > 0:
                    parallel_wrk(instances, op, bodies, WARMUP)
                cpu0 = [s.cpu_s() for s in instances]
                rs = parallel_wrk(instances, op, bodies, DURATION)
                total = sum(r["rps"] for r in rs)
                requests = sum(r["requests"] for r in rs)
                cpu = sum(s.cpu_s() - c0 for s, c0 in zip(instances, cpu0))
                errors = sum(r["status_errors"] + r["socket_errors"] for r in rs)
                row[op] = dict(rps=total, p50=max(r["p50_us"] for r in rs) / 1e6,
                               p99=max(r["p99_us"] for r in rs) / 1e6,
                               cpu_us=cpu / max(requests, 1) * 1e6, errors=errors)
                log("  %-10s %8s req/s  p50 %s  p99 %s  kmsgate CPU/req %.0f us  errors %d" % (
                    op, rate(total), ms(row[op]["p50"]), ms(row[op]["p99"]), row[op]["cpu_us"], errors))
            row["import"] = import_run(bindir, instances)
            log("  ImportKeyMaterial %d imports: %.1f/s p50 %s p99 %s" % (
                row["import"]["n"], row["import"]["rate"], ms(row["import"]["p50"]), ms(row["import"]["p99"])))
            for s in instances:
                s.stop()
            rows.append(row)
        out += ["", "## One and two instances over PostgreSQL, next to the embedded store", "",
                "wrk -c%d per instance for %d s after %d s of warm-up (two instances: one wrk each, "
                "at the same time; req/s is their sum, p50/p99 the worse of the two). CPU/req: the "
                "kmsgate processes' CPU only (PostgreSQL's is not counted). ImportKeyMaterial: %d "
                "sequential imports (RSA_2048, RSAES_OAEP_SHA_256) per instance, one client per "
                "instance, all at once. PostgreSQL %s, fsync on, on the same machine."
                % (CONNS, DURATION, WARMUP, IMPORTS, "at PG_URL" if os.environ.get("PG_URL") else "started by the script"),
                "",
                "| setup | CreateKey req/s | p50 | p99 | CPU/req | Encrypt req/s | p50 | p99 | CPU/req | imports/s | import p50 | p99 |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            cells = [r["setup"]]
            for op in ("CreateKey", "Encrypt"):
                x = r[op]
                cells += [rate(x["rps"]), ms(x["p50"]), ms(x["p99"]), "%.0f µs" % x["cpu_us"]]
            i = r["import"]
            cells += ["%.1f" % i["rate"], ms(i["p50"]), ms(i["p99"])]
            out.append("| " + " | ".join(cells) + " |")
        errors = sum(r[op]["errors"] for r in rows for op in ("CreateKey", "Encrypt"))
        out += ["", "Errors (non-2xx or socket) in all wrk runs: %d." % errors]
        print("\n".join(out))
    finally:
        for s in bench.SERVERS:
            s.kill()
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
