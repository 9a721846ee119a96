#!/usr/bin/env python3
"""kmsgate benchmark (issue #15): run through bench/run.sh, which checks the prerequisites.

    bash bench/run.sh [BIN_DIR]          # BIN_DIR default: target/release

Starts release servers itself (kmsgate-aws on free loopback ports, permissive auth), drives
them with wrk and with this script's own sequential client, and prints Markdown tables on
stdout (progress goes to stderr). Python standard library only; client-side wrapping for
ImportKeyMaterial uses `kmsgate wrap` from BIN_DIR.

Environment (all optional):
    QUICK=1          a ~4 minute run: shorter durations, fewer keys and imports
    DURATION=10      seconds per wrk run of the throughput table (QUICK: 3)
    WARMUP=2         seconds of warm-up before each of them (QUICK: 1)
    BYOK_SECONDS=60  seconds of 16 concurrent GetParametersForImport clients per spec (QUICK: 10)
    BYOK_CALLS=50    GetParametersForImport calls in a row per spec
    KEYS=100000      keys created for the RSS-per-key figure (QUICK: 2000), as issue #15 asks
    IMPORTS=100      sequential ImportKeyMaterial calls timed per store (QUICK: 30)
    DISK_SYNCS=300   fdatasync rounds per row of the disk table (QUICK: 100)
    ONLY=...         comma-separated sections to run: throughput,start,byok,import,memory,disk
                     (start, byok, import and memory share servers; leaving some out only
                     skips their measurements)

Every server runs with the inherited KMSGATE_* variables removed, so with default settings,
except the throughput servers, which get an empty wrapping key pool (KMSGATE_POOL__*=0) so
RSA generation at start stays out of the request figures.
"""

import asyncio
import base64
import datetime
import http.client
import json
import math
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LUA = os.path.join(HERE, "op.lua")

QUICK = os.environ.get("QUICK", "0") not in ("", "0")


def setting(name, full, quick):
    return type(full)(os.environ.get(name, quick if QUICK else full))


DURATION = setting("DURATION", 10, 3)
WARMUP = setting("WARMUP", 2, 1)
BYOK_SECONDS = setting("BYOK_SECONDS", 60, 10)
BYOK_CALLS = setting("BYOK_CALLS", 50, 50)
KEYS = setting("KEYS", 100000, 2000)
IMPORTS = setting("IMPORTS", 100, 30)
ONLY = set(filter(None, os.environ.get("ONLY", "").split(","))) or {
    "throughput", "start", "byok", "import", "memory", "disk"}

# The server's defaults (server/src/settings.rs, kms-core/src/wrapping/pool.rs).
POOL_DEFAULTS = {"RSA_2048": 4, "RSA_3072": 2, "RSA_4096": 2, "SM2": 4}
EMPTY_POOL = {"KMSGATE_POOL__RSA_2048": "0", "KMSGATE_POOL__RSA_3072": "0",
              "KMSGATE_POOL__RSA_4096": "0", "KMSGATE_POOL__SM2": "0"}
OPS = ["Encrypt", "Decrypt", "DescribeKey", "GenerateDataKey", "CreateKey"]
CONCURRENCY = [1, 16]
# (wrapping key spec, wrapping algorithm, region): SM2 only in China Regions with SM2PKE.
BYOK_SPECS = [
    ("RSA_2048", "RSAES_OAEP_SHA_256", "us-east-1"),
    ("RSA_3072", "RSA_AES_KEY_WRAP_SHA_256", "us-east-1"),
    ("RSA_4096", "RSAES_OAEP_SHA_256", "us-east-1"),
    ("SM2", "SM2PKE", "cn-north-1"),
]
POOL_FULL_TIMEOUT = 600

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def auth(region):
    return ("AWS4-HMAC-SHA256 Credential=111122223333/20260101/%s/kms/aws4_request, "
            "SignedHeaders=host, Signature=%s" % (region, "0" * 64))


# ---------------------------------------------------------------------------------------------
# Process figures from /proc


def proc_cpu_s(pid):
    """User + system CPU seconds of the whole process (exited threads included)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# Background threads, whose work is no request's: the pool refill, the expiry sweeper and its
# lowest-priority scan (a pass over 100,000 keys overlapping a 100-import window doubled the
# figure).
BACKGROUND = ("kmsgate-keypair", "kmsgate-sweeper", "kmsgate-lowprio")


def threads_cpu_ns(pid, skip_prefix=BACKGROUND):
    """Nanosecond CPU time of the live threads (schedstat), leaving out background work."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip().startswith(skip_prefix):
                    continue
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------------------------------
# Servers


class Server:
    """One kmsgate-aws process on 127.0.0.1:0; `url` from its ready line."""

    def __init__(self, bindir, name, data_dir=None, env=None):
        self.name = name
        self.bin = os.path.join(bindir, "kmsgate-aws")
        base = {k: v for k, v in os.environ.items() if not k.startswith("KMSGATE_")}
        base.update(env or {})
        args = [self.bin, "--listen", "127.0.0.1:0"]
        if data_dir:
            args += ["--data-dir", data_dir]
        elif "KMSGATE_STORE__KIND" not in (env or {}):
            args += ["--in-memory"]
        self.stderr = tempfile.TemporaryFile()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=base, text=True)
        self.pid = self.proc.pid
        lines = queue.Queue()

        def drain():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        self.url = None
        while True:
            try:
                line = lines.get(timeout=120)
            except queue.Empty:
                line = None
            if line is None:
                self.fail("no ready line")
            m = re.search(r"aws listening on http://([0-9.]+):(\d+)", line)
            if m:
                self.ready_s = time.monotonic() - self.t0
                self.host, self.port = m.group(1), int(m.group(2))
                self.url = "http://%s:%d" % (self.host, self.port)
                break

    def fail(self, why):
        self.stderr.seek(0)
        err = self.stderr.read().decode(errors="replace")[-3000:]
        self.kill()
        raise SystemExit("bench: %s: %s\n%s" % (self.name, why, err))

    def cpu_s(self):
        return proc_cpu_s(self.pid)

    def metrics(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        out = {}
        for line in text.splitlines():
            m = re.match(r'kmsgate_wrapping_key_pairs_(ready|generated_inline)\{spec="([A-Z0-9_]+)"\} (\S+)', line)
            if m:
                out[(m.group(1), m.group(2))] = int(float(m.group(3)))
        return out

    def pool_full(self):
        m = self.metrics()
        return all(m.get(("ready", s), 0) >= n for s, n in POOL_DEFAULTS.items())

    def wait_pool_full(self, timeout=POOL_FULL_TIMEOUT):
        """Seconds since process start when the pool was seen full (None: timed out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pool_full():
                return time.monotonic() - self.t0
            time.sleep(0.05)
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.stderr.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


SERVERS = []


def start(bindir, name, data_dir=None, env=None):
    s = Server(bindir, name, data_dir, env)
    SERVERS.append(s)
    return s


class Client:
    """A keep-alive JSON 1.1 client; `call` returns (response dict, seconds)."""

    def __init__(self, server, region="us-east-1"):
        self.server = server
        self.conn = None
        self.last = 0.0
        self.auth = auth(region)

    def call(self, op, body):
        data = json.dumps(body)
        headers = {"Content-Type": "application/x-amz-json-1.1",
                   "X-Amz-Target": "TrentService." + op, "Authorization": self.auth}
        # The server closes idle keep-alive connections after a few seconds: open a new one
        # (untimed) rather than write into a closed one.
        if self.conn is None or time.monotonic() - self.last > 1.0:
            if self.conn is not None:
                self.conn.close()
            self.conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=600)
            self.conn.connect()
        t = time.perf_counter()
        self.conn.request("POST", "/", data, headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        elapsed = time.perf_counter() - t
        self.last = time.monotonic()
        if resp.status != 200:
            raise SystemExit("bench: %s answered %d: %s" % (op, resp.status, payload[:500]))
        return json.loads(payload or b"{}"), elapsed

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def create_keys(server, n, threads=16):
    """n CreateKey calls from `threads` keep-alive clients."""
    counts = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    errors = []

    def work(count):
        try:
            c = Client(server)
            for _ in range(count):
                c.call("CreateKey", {})
            c.close()
        except BaseException as e:  # SystemExit from Client.call included
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in counts]
    t = time.monotonic()
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    if errors:
        raise SystemExit("bench: CreateKey: %s" % errors[0])
    return time.monotonic() - t


# ---------------------------------------------------------------------------------------------
# Figures


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def ms(seconds):
    if seconds is None:
        return "—"
    if seconds >= 1:
        return "%.2f s" % seconds
    if seconds >= 0.01:
        return "%.1f ms" % (seconds * 1e3)
    return "%.2f ms" % (seconds * 1e3)


def rate(x):
    return "%.1fk" % (x / 1e3) if x >= 1000 else "%.0f" % x


def mib(kib):
    return "%.1f MiB" % (kib / 1024)


def wrk(server, op, body, conns, seconds, region="us-east-1"):
    env = dict(os.environ, TARGET=op, BODY=json.dumps(body), REGION=region)
    threads = 1 if conns == 1 else 2
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds, "--timeout", "60s",
           "-s", LUA, server.url + "/"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    m = re.search(r"RESULT (.*)", out.stdout)
    if out.returncode != 0 or not m:
        raise SystemExit("bench: wrk failed: %s %s" % (out.stdout, out.stderr))
    r = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def concurrent_calls(server, op, body, region, clients, seconds):
    """`clients` keep-alive connections calling `op` back to back for `seconds` (asyncio,
    one thread). Unlike wrk, a call still running at the deadline is waited for and counted:
    a stall at the end of the run shows in the tail. Returns latencies (s), wall time (s),
    errors."""
    payload = json.dumps(body).encode()
    request = ("POST / HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-amz-json-1.1\r\n"
               "X-Amz-Target: TrentService.%s\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n"
               % (server.host, server.port, op, auth(region), len(payload))).encode() + payload
    latencies, errors = [], []

    async def one(deadline):
        reader, writer = await asyncio.open_connection(server.host, server.port)
        while time.monotonic() < deadline:
            t = time.perf_counter()
            writer.write(request)
            status = (await reader.readline()).split()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            if len(status) < 2 or status[1] != b"200":
                errors.append(status)
                if not line:
                    break
        writer.close()

    async def run():
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(one(deadline) for _ in range(clients)))

    t = time.monotonic()
    asyncio.run(run())
    return latencies, time.monotonic() - t, len(errors)


# ---------------------------------------------------------------------------------------------
# Sections


def throughput(bindir, tmp):
    """req/s, p50/p99 and server CPU per request, per op, concurrency and store."""
    results = {}
    for store in ("durable", "in-memory"):
        data_dir = os.path.join(tmp, "throughput") if store == "durable" else None
        s = start(bindir, "throughput " + store, data_dir, EMPTY_POOL)
        c = Client(s)
        key = c.call("CreateKey", {})[0]["KeyMetadata"]["KeyId"]
        blob = c.call("Encrypt", {"KeyId": key, "Plaintext": base64.b64encode(b"hello world").decode()})[0]["CiphertextBlob"]
        c.close()
        bodies = {
            "Encrypt": {"KeyId": key, "Plaintext": "aGVsbG8gd29ybGQ="},
            "Decrypt": {"CiphertextBlob": blob},
            "DescribeKey": {"KeyId": key},
            "GenerateDataKey": {"KeyId": key, "KeySpec": "AES_256"},
            "CreateKey": {},
        }
        for op in OPS:
            for conns in CONCURRENCY:
                if WARMUP > 0:
                    wrk(s, op, bodies[op], conns, WARMUP)
                before = s.cpu_s()
                r = wrk(s, op, bodies[op], conns, DURATION)
                r["cpu_us"] = (s.cpu_s() - before) / max(r["requests"], 1) * 1e6
                results[(store, op, conns)] = r
                log("  %-9s %-15s c%-2d %8s req/s  p50 %s  p99 %s  cpu/req %.0f us  errors %d/%d" % (
                    store, op, conns, rate(r["rps"]), ms(r["p50_us"] / 1e6), ms(r["p99_us"] / 1e6),
                    r["cpu_us"], r["status_errors"], r["socket_errors"]))
        s.stop()
    lines = ["## Throughput (wrk, keep-alive, loopback, %d s per run after %d s warm-up)" % (DURATION, WARMUP), "",
             "Servers with an empty wrapping key pool (no RSA generation in the background). "
             "c1: wrk -t1 -c1; c16: wrk -t2 -c16. Decrypt sends only the CiphertextBlob. "
             "CPU/req: the server's user+system CPU (all threads) per request, steadier than "
             "req/s on a shared machine. The load generator shares the cores.", "",
             "| operation | conns | durable req/s | p50 | p99 | CPU/req | in-memory req/s | p50 | p99 | CPU/req |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    errors = 0
    for op in OPS:
        for conns in CONCURRENCY:
            row = ["%s" % op, "c%d" % conns]
            for store in ("durable", "in-memory"):
                r = results[(store, op, conns)]
                errors += r["status_errors"] + r["socket_errors"]
                row += [rate(r["rps"]), ms(r["p50_us"] / 1e6), ms(r["p99_us"] / 1e6), "%.0f µs" % r["cpu_us"]]
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Errors (non-2xx or socket) in all runs: %d." % errors)
    floor = baseline(bindir, bodies["Encrypt"])
    if floor:
        lines += ["", "### The floor on this machine",
                  "",
                  "`server/examples/baseline.rs`: an actix-web server like kmsgate's listeners "
                  "that reads each request and answers an Encrypt-sized JSON body, doing nothing "
                  "else, driven by the same wrk command with the same Encrypt request. What the "
                  "framework and the kernel alone allow here; kmsgate's Encrypt as a share of it.",
                  "",
                  "| server | conns | req/s | p50 | p99 | CPU/req | Encrypt durable / floor | Encrypt in memory / floor |",
                  "|---|---|---|---|---|---|---|---|"]
        for conns in CONCURRENCY:
            r = floor[conns]
            lines.append("| baseline (actix-web, fixed answer) | c%d | %s | %s | %s | %.0f µs | %.0f%% | %.0f%% |" % (
                conns, rate(r["rps"]), ms(r["p50_us"] / 1e6), ms(r["p99_us"] / 1e6), r["cpu_us"],
                100 * results[("durable", "Encrypt", conns)]["rps"] / r["rps"],
                100 * results[("in-memory", "Encrypt", conns)]["rps"] / r["rps"]))
    return lines


class Floor:
    """The baseline server (server/examples/baseline.rs) as `wrk` needs it."""

    def __init__(self, exe):
        self.proc = subprocess.Popen([exe, "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        m = re.search(r"listening on (http://[0-9.:]+)", self.proc.stdout.readline())
        if not m:
            self.proc.kill()
            raise SystemExit("bench: the baseline server did not start")
        self.url = m.group(1)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def baseline(bindir, body):
    """wrk with the Encrypt request against the baseline server, per concurrency; None
    (and a note) when it is not built."""
    exe = os.path.join(bindir, "examples", "baseline")
    if not os.access(exe, os.X_OK):
        log("  no %s (cargo build --release -p kmsgate-server --examples): floor left out" % exe)
        return None
    f = Floor(exe)
    try:
        out = {}
        for conns in CONCURRENCY:
            if WARMUP > 0:
                wrk(f, "Encrypt", body, conns, WARMUP)
            before = proc_cpu_s(f.pid)
            r = wrk(f, "Encrypt", body, conns, DURATION)
            r["cpu_us"] = (proc_cpu_s(f.pid) - before) / max(r["requests"], 1) * 1e6
            log("  baseline  Encrypt         c%-2d %8s req/s  p50 %s  p99 %s" % (
                conns, rate(r["rps"]), ms(r["p50_us"] / 1e6), ms(r["p99_us"] / 1e6)))
            out[conns] = r
        return out
    finally:
        f.stop()


def byok(s):
    """GetParametersForImport per spec: BYOK_CALLS in a row, then 16 clients (wrk)."""
    rows = []
    for spec, algorithm, region in BYOK_SPECS:
        c = Client(s, region)
        key = c.call("CreateKey", {"Origin": "EXTERNAL"})[0]["KeyMetadata"]["KeyId"]
        body = {"KeyId": key, "WrappingAlgorithm": algorithm, "WrappingKeySpec": spec}
        full = s.wait_pool_full()
        if full is None:
            log("  pool not full after %d s; measuring anyway" % POOL_FULL_TIMEOUT)
        m0 = s.metrics()
        times, publics = [], set()
        for _ in range(BYOK_CALLS):
            r, t = c.call("GetParametersForImport", body)
            times.append(t)
            publics.add(r["PublicKey"])
        c.close()
        m1 = s.metrics()
        seq_inline = m1.get(("generated_inline", spec), 0) - m0.get(("generated_inline", spec), 0)
        s.wait_pool_full()  # the concurrent phase starts from the same state
        m1 = s.metrics()
        lat, wall, errors = concurrent_calls(s, "GetParametersForImport", body, region, 16, BYOK_SECONDS)
        m2 = s.metrics()
        con_inline = m2.get(("generated_inline", spec), 0) - m1.get(("generated_inline", spec), 0)
        row = dict(spec=spec, algorithm=algorithm, region=region, p50=pct(times, 50),
                   p99=pct(times, 99), max=max(times), pairs=len(publics), seq_inline=seq_inline,
                   calls=len(lat), rps=len(lat) / wall, wall=wall, c_p50=pct(lat, 50),
                   c_p99=pct(lat, 99), c_max=max(lat), con_inline=con_inline, errors=errors)
        rows.append(row)
        log("  %s: %d in a row p50 %s p99 %s max %s (%d pairs, %d inline); 16 clients: %d calls, "
            "%.0f/s, p50 %s p99 %s max %s, %d inline, %d errors" % (
                spec, BYOK_CALLS, ms(row["p50"]), ms(row["p99"]), ms(row["max"]), row["pairs"],
                seq_inline, row["calls"], row["rps"], ms(row["c_p50"]), ms(row["c_p99"]),
                ms(row["c_max"]), con_inline, row["errors"]))
    lines = ["## GetParametersForImport (durable store, default pool and reuse settings)", "",
             "Default settings: pool 4 RSA_2048 / 2 RSA_3072 / 2 RSA_4096 / 4 SM2 ready pairs, "
             "reuse of the last pair within 300 s (no bound on calls) while none is ready "
             "(KMSGATE_POOL__REUSE_CALLS / __REUSE_SECS). Each phase starts with a full pool; "
             "%d calls in a row from one client on one EXTERNAL key, then 16 concurrent "
             "keep-alive clients (one asyncio thread) calling back to back on one EXTERNAL key "
             "for %d s; a call running at the deadline is waited for and counted, so calls/s is "
             "over the time until the last call ended. \"inline\": pairs generated on the "
             "request path (kmsgate_wrapping_key_pairs_generated_inline), i.e. calls that waited "
             "for a generation; \"pairs\": distinct public keys among the calls in a row. "
             "Percentiles are nearest-rank (of 50 samples, p99 is the largest)."
             % (BYOK_CALLS, BYOK_SECONDS), "",
             "| spec | algorithm, region | %d in a row p50 | p99 | max | pairs / inline | 16 clients: calls | calls/s | p50 | p99 | max | inline | errors |" % BYOK_CALLS,
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s, %s | %s | %s | %s | %d / %d | %d | %s | %s | %s | %s | %d | %d |" % (
            r["spec"], r["algorithm"], r["region"], ms(r["p50"]), ms(r["p99"]), ms(r["max"]),
            r["pairs"], r["seq_inline"], r["calls"], rate(r["rps"]), ms(r["c_p50"]),
            ms(r["c_p99"]), ms(r["c_max"]), r["con_inline"], r["errors"]))
    return lines


def imports(s, bindir, store):
    """IMPORTS sequential ImportKeyMaterial calls (RSA_2048, OAEP SHA-256) into fresh keys,
    each with its own parameters fetched and wrapped beforehand; only the import is timed."""
    c = Client(s)
    prepared = []
    for _ in range(IMPORTS):
        key = c.call("CreateKey", {"Origin": "EXTERNAL"})[0]["KeyMetadata"]["KeyId"]
        p = c.call("GetParametersForImport", {"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                              "WrappingKeySpec": "RSA_2048"})[0]
        w = subprocess.run(
            [os.path.join(bindir, "kmsgate"), "wrap", "--algorithm", "RSAES_OAEP_SHA_256",
             "--public-key", p["PublicKey"], "--material", "hex:" + os.urandom(32).hex()],
            capture_output=True, text=True)
        if w.returncode != 0:
            raise SystemExit("bench: kmsgate wrap failed: %s" % w.stderr)
        wrapped = w.stdout.strip()
        prepared.append({"KeyId": key, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": wrapped,
                         "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
    s.wait_pool_full()  # no refill competing for the cores while timing
    # The request round trip without RSA work, from the same client, as a floor.
    describe = [c.call("DescribeKey", {"KeyId": prepared[0]["KeyId"]})[1] for _ in range(IMPORTS)]
    times = []
    cpu0 = threads_cpu_ns(s.pid)
    for body in prepared:
        times.append(c.call("ImportKeyMaterial", body)[1])
    cpu = (threads_cpu_ns(s.pid) - cpu0) / len(prepared) / 1e9
    c.close()
    row = dict(store=store, n=len(times), p50=pct(times, 50), p99=pct(times, 99),
               floor=pct(describe, 50), cpu=cpu)
    log("  ImportKeyMaterial %s: p50 %s p99 %s (DescribeKey p50 %s), server CPU/import %s" % (
        store, ms(row["p50"]), ms(row["p99"]), ms(row["floor"]), ms(cpu)))
    return row


def import_table(rows):
    lines = ["## ImportKeyMaterial (RSA_2048, RSAES_OAEP_SHA_256, 32-byte AES material)", "",
             "Sequential imports from one client into fresh EXTERNAL keys, each with its own "
             "GetParametersForImport answer, wrapped beforehand with `kmsgate wrap`; only the "
             "import call is timed, with the pool full (no refill running). The DescribeKey "
             "p50 from the same client is the round trip without RSA work; server CPU/import "
             "is the server threads' CPU time (schedstat; background threads, the pool refill and the expiry sweeper, left out) "
             "divided by the imports: the closest figure to the server-side cost.", "",
             "| store | imports | p50 (client) | p99 | DescribeKey p50 (floor) | p50 − floor | server CPU/import |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %d | %s | %s | %s | %s | %s |" % (
            r["store"], r["n"], ms(r["p50"]), ms(r["p99"]), ms(r["floor"]),
            ms(max(r["p50"] - r["floor"], 0)), ms(r["cpu"])))
    return lines


def cold_start(s):
    """Ready time, CPU at 5 s and pool-full time of a just-started server."""
    full, cpu5 = None, None
    deadline = time.monotonic() + POOL_FULL_TIMEOUT
    while (full is None or cpu5 is None) and time.monotonic() < deadline:
        if cpu5 is None and time.monotonic() >= s.t0 + 5:
            cpu5 = s.cpu_s()
        if full is None and s.pool_full():
            full = time.monotonic() - s.t0
            cpu_full = s.cpu_s()
        time.sleep(0.05)
    if cpu5 is None:
        cpu5 = s.cpu_s()
    row = dict(ready=s.ready_s, cpu5=cpu5, full=full, cpu_full=cpu_full if full else None,
               rss=rss_kib(s.pid))
    log("  %s: ready after %s, CPU in first 5 s %.2f s, pool full after %s (CPU %s), RSS %s" % (
        s.name, ms(row["ready"]), cpu5, ms(full), ms(row["cpu_full"]), mib(row["rss"])))
    return row


def memory(s, store, idle_kib):
    t = create_keys(s, KEYS)
    time.sleep(1)
    after = rss_kib(s.pid)
    row = dict(store=store, idle=idle_kib, after=after, per_key=(after - idle_kib) * 1024 / KEYS,
               create_s=t)
    log("  %s: RSS idle %s, after %d keys %s (%.0f bytes/key; created in %.1f s)" % (
        store, mib(idle_kib), KEYS, mib(after), row["per_key"], t))
    return row


# The durable store's floor: what syncing costs on the disk of the data dirs.

DISK_FILE_PAGES = 16384  # a 64 MiB file of 4 KiB pages, written once before timing
DISK_SYNCS = setting("DISK_SYNCS", 300, 100)


def disk_writer(path, pages, syncs, out):
    """`syncs` rounds of `pages` 4 KiB overwrites at random page offsets (sequential after
    the previous round when `pages` is 0: one page appended), each round followed by
    fdatasync. Appends its mean round time (s) to `out`."""
    import random
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        chunk = b"\1" * (1 << 20)
        for off in range(0, DISK_FILE_PAGES * 4096, len(chunk)):
            os.pwrite(fd, chunk, off)
        os.fsync(fd)
        page = os.urandom(4096)
        t0 = time.perf_counter()
        for n in range(syncs):
            if pages == 0:
                os.pwrite(fd, page, (n % DISK_FILE_PAGES) * 4096)
            else:
                for p in random.sample(range(DISK_FILE_PAGES), pages):
                    os.pwrite(fd, page, p * 4096)
            os.fdatasync(fd)
        out.append((time.perf_counter() - t0) / syncs)
    finally:
        os.close(fd)
        os.unlink(path)


def disk(tmp):
    """fdatasync latency after a few page writes, from one file and from two at once: a
    durable commit of redb writes scattered 4 KiB pages (about 8 for one changed record,
    about 28 for a batch of 8 new keys under CreateKey c16, counted with strace)."""
    rows = []
    for pages in (0, 1, 8, 30):
        for files in (1, 2):
            out = []
            threads = [threading.Thread(target=disk_writer, args=(
                os.path.join(tmp, "disk%d" % i), pages, DISK_SYNCS, out)) for i in range(files)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            mean = sum(out) / len(out)
            writes = max(pages, 1) * files / mean
            rows.append((pages, files, mean, files / mean, writes))
            log("  disk: %s, %d file(s): %.0f us per sync, %.0f syncs/s, %.0f page writes/s" % (
                "1 sequential page" if pages == 0 else "%d scattered page(s)" % pages, files,
                mean * 1e6, files / mean, writes))
    lines = ["## The disk under the data dirs", "",
             "What a durable write costs here before kmsgate does anything: %d rounds of 4 KiB "
             "page writes into a 64 MiB file, each round followed by fdatasync, from one file "
             "and from two files synced concurrently (two threads). A durable redb commit "
             "writes scattered pages: about 8 for one changed record, about 28 for a batch of "
             "8 new keys (strace of CreateKey c16)." % DISK_SYNCS, "",
             "| writes per sync | files | per sync | syncs/s | page writes/s |",
             "|---|---|---|---|---|"]
    for pages, files, mean, syncs, writes in rows:
        what = "1 page, sequential" if pages == 0 else "%d page%s, scattered" % (
            pages, "" if pages == 1 else "s")
        lines.append("| %s | %d | %.0f µs | %.0f | %.0f |" % (what, files, mean * 1e6, syncs, writes))
    return lines


# ---------------------------------------------------------------------------------------------


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def header(bindir, tmp):
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    commit = sh("git", "log", "-1", "--format=%h %s")
    dirty = " (plus uncommitted changes)" if sh("git", "status", "--porcelain", "--untracked-files=no") else ""
    aws = os.path.join(bindir, "kmsgate-aws")
    built = datetime.datetime.fromtimestamp(os.path.getmtime(aws)).strftime("%Y-%m-%d %H:%M")
    fs = sh("df", "-T", tmp).splitlines()[-1].split()
    return [
        "# kmsgate benchmark",
        "",
        "- date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "- machine: %d CPUs (nproc), %s, %s RAM, kernel %s" % (
            len(os.sched_getaffinity(0)), model, mem, platform.release()),
        "- commit: %s%s" % (commit[:120], dirty),
        "- last commit outside bench/: %s" % sh("git", "log", "-1", "--format=%h %ad", "--date=short", "--", ".", ":!bench"),
        "- binaries: %s (kmsgate-aws built %s, %s)" % (bindir, built, sh(aws, "--version")),
        "- data dirs under %s (%s)" % (tempfile.gettempdir(), fs[1] if len(fs) > 1 else "?"),
        "- %s: DURATION=%d WARMUP=%d BYOK_SECONDS=%d BYOK_CALLS=%d KEYS=%d IMPORTS=%d" % (
            "QUICK=1" if QUICK else "full run", DURATION, WARMUP, BYOK_SECONDS, BYOK_CALLS,
            KEYS, IMPORTS),
        "- %s" % sh("wrk", "--version").splitlines()[0] if sh("wrk", "--version") else "- wrk ?",
    ]


def main():
    bindir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release"))
    for b in ("kmsgate-aws", "kmsgate"):
        if not os.access(os.path.join(bindir, b), os.X_OK):
            raise SystemExit("bench: %s/%s missing (cargo build --release -p kmsgate-server --bins)" % (bindir, b))
    if subprocess.run([os.path.join(bindir, "kmsgate"), "wrap", "--help"],
                      capture_output=True).returncode != 0:
        raise SystemExit("bench: %s/kmsgate has no wrap subcommand (an older build?)" % bindir)
    tmp = tempfile.mkdtemp(prefix="kmsgate-bench-")
    out = header(bindir, tmp)
    load0 = os.getloadavg()
    t_start = time.monotonic()
    try:
        sections = []
        if "throughput" in ONLY:
            log("throughput")
            sections.append(throughput(bindir, tmp))
        if "disk" in ONLY:
            log("disk")
            sections.append(disk(tmp))

        starts, mem_rows, import_rows, byok_lines = [], [], [], None
        if ONLY & {"start", "byok", "import", "memory"}:
            log("durable store, first start on a fresh data dir (default settings)")
            data = os.path.join(tmp, "durable")
            s = start(bindir, "durable, fresh data dir", data)
            starts.append(("durable, fresh data dir", cold_start(s)))
            s.stop()
            log("durable store, second start on the same data dir")
            s = start(bindir, "durable, second start", data)
            row = cold_start(s)
            starts.append(("durable, second start (pairs restored)", row))
            # Imports before the 100,000 keys of the memory rows: an import's cost, not a large
            # store's.
            if "import" in ONLY:
                import_rows.append(imports(s, bindir, "durable"))
            if "memory" in ONLY:
                mem_rows.append(memory(s, "durable", row["rss"]))
            if "byok" in ONLY:
                log("GetParametersForImport")
                byok_lines = byok(s)
            s.stop()
            log("in memory")
            s = start(bindir, "in memory", None)
            row = cold_start(s)
            starts.append(("in memory", row))
            if "import" in ONLY:
                import_rows.append(imports(s, bindir, "in-memory"))
            if "memory" in ONLY:
                mem_rows.append(memory(s, "in-memory", row["rss"]))
            s.stop()

        if byok_lines:
            sections.append(byok_lines)
        if import_rows:
            sections.append(import_table(import_rows))
        if starts and "start" in ONLY:
            lines = ["## Cold start (default settings)", "",
                     "Ready: process start to the `aws listening on` line. CPU: user+system "
                     "seconds in the first 5 s (/proc/PID/stat). Pool full: when "
                     "/metrics first showed 4/2/2/4 ready pairs (polled every 50 ms). The "
                     "second start reuses the data dir of the first, which saved its ready "
                     "pairs at stop (SIGTERM).", "",
                     "| start | ready after | CPU in first 5 s | pool full after | CPU until pool full | RSS then |",
                     "|---|---|---|---|---|---|"]
            for name, r in starts:
                cpu_full = "—" if r["cpu_full"] is None else "%.2f s" % r["cpu_full"]
                lines.append("| %s | %s | %.2f s | %s | %s | %s |" % (
                    name, ms(r["ready"]), r["cpu5"], ms(r["full"]), cpu_full, mib(r["rss"])))
            sections.append(lines)
        if mem_rows:
            lines = ["## Memory (VmRSS from /proc/PID/status)", "",
                     "Idle: after start with the pool full (the durable row is the second start). "
                     "Then %d CreateKey calls (16 clients), 1 s pause, RSS again; bytes/key = "
                     "delta / %d." % (KEYS, KEYS), "",
                     "| store | RSS idle | RSS after %d keys | bytes/key | created in |" % KEYS,
                     "|---|---|---|---|---|"]
            for r in mem_rows:
                lines.append("| %s | %s | %s | %.0f | %.1f s |" % (
                    r["store"], mib(r["idle"]), mib(r["after"]), r["per_key"], r["create_s"]))
            sections.append(lines)
        load1 = os.getloadavg()
        out.append("- load average (1/5/15 min) at start %.2f / %.2f / %.2f, at end %.2f / %.2f / %.2f; "
                   "run took %.0f s" % (*load0, *load1, time.monotonic() - t_start))
        for lines in sections:
            out += [""] + lines
        print("\n".join(out))
    finally:
        for s in SERVERS:
            s.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
