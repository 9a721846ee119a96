"""Running kmsgate servers (kmsgate-aws by default; any dialect binary through `binary=`) and
talking to kmsgate-aws with boto3: the process, clients, the emulated clock and the import flow
steps the tests share."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import kmsgate_wrap

REPO = Path(__file__).resolve().parents[3]
LISTENING = re.compile(r"listening on (https?://[^\s,;]+)")
# `<dialect> listening on http://HOST:PORT`, one line per listener.
LISTENER = re.compile(r"^(\w+) listening on (https?://[^\s,;]+)")
# The dialects `kmsgate serve` runs, in the order it announces them.
SERVE_DIALECTS = ("aws", "tencent", "huawei")
# A token for the admin endpoints of servers that run a dialect with strict auth (without one
# every /_kmsgate/ endpoint answers 404 there).
ADMIN_TOKEN = "kmsgate-test-admin-token"
START_TIMEOUT = float(os.environ.get("KMSGATE_START_TIMEOUT", "60"))

SECRET = "kmsgate-test-secret-not-checked-unless-strict"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def bin_dir() -> Path:
    return Path(os.environ.get("KMSGATE_BIN_DIR", REPO / "target" / "debug"))


class ServerProcess:
    """One kmsgate server process (`binary`, kmsgate-aws by default) on 127.0.0.1:<ephemeral>
    with its own env config; in memory unless data_dir is given.

    `args` are extra flags after the usual ones (e.g. ``["--log-level", "debug"]``). The process
    runs in `cwd` (default: `log_dir`) and must announce its listeners within `start_timeout`
    seconds.
    `ServerProcess.serve(...)` runs `kmsgate serve` instead, with all three listeners on
    ephemeral ports; `endpoints` maps each announced dialect to its URL (`endpoint` is the
    first). The admin helpers send `Authorization: Bearer <admin_token>`, which defaults to
    the configured KMSGATE_ADMIN__TOKEN."""

    def __init__(
        self,
        name: str,
        log_dir: Path,
        config: dict[str, str] | None = None,
        data_dir: Path | None = None,
        binary: str = "kmsgate-aws",
        args: list[str] | tuple[str, ...] = (),
        admin_token: str | None = None,
        serve: bool = False,
        cwd: Path | None = None,
        start_timeout: float = START_TIMEOUT,
    ):
        self.name = name
        self.binary = bin_dir() / binary
        self.log_path = log_dir / f"{name}.log"
        self.config = dict(config or {})
        self.data_dir = data_dir
        self.args = list(args)
        self.serve_all = serve
        self.cwd = cwd
        self.start_timeout = start_timeout
        self.admin_token = admin_token if admin_token is not None else self.config.get("KMSGATE_ADMIN__TOKEN")
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self.endpoints: dict[str, str] = {}
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @classmethod
    def serve(
        cls,
        name: str,
        log_dir: Path,
        config: dict[str, str] | None = None,
        data_dir: Path | None = None,
        args: list[str] | tuple[str, ...] = (),
        admin_token: str | None = None,
    ) -> "ServerProcess":
        """`kmsgate serve`: AWS, Tencent and Huawei listeners in one process (one store, one
        clock), each on an ephemeral port."""
        return cls(name, log_dir, config, data_dir, binary="kmsgate", args=args,
                   admin_token=admin_token, serve=True)

    def _command(self) -> list[str]:
        storage = ["--in-memory"] if self.data_dir is None else ["--data-dir", str(self.data_dir)]
        if self.serve_all:
            listen = [a for d in SERVE_DIALECTS for a in (f"--{d}-listen", "127.0.0.1:0")]
            return [str(self.binary), "serve", *storage, *listen, *self.args]
        return [str(self.binary), *storage, "--listen", "127.0.0.1:0", *self.args]

    def _expected_listeners(self) -> int:
        return len(SERVE_DIALECTS) if self.serve_all else 1

    def start(self) -> "ServerProcess":
        if not self.binary.is_file():
            pytest.fail(
                f"{self.binary} does not exist: build it with `cargo build -p kmsgate-server --bins` "
                f"or point KMSGATE_BIN_DIR at the directory holding {self.binary.name}",
                pytrace=False,
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("KMSGATE_")}
        # An on-demand RSA-4096 key pair can take long on a loaded 2-core machine; the
        # tests are about answers, not speed, so they never race the request time limit.
        env["KMSGATE_LIMITS__REQUEST_TIMEOUT_SECS"] = "600"
        # A new wrapping public key for every answer, as the clouds give: tests that wrap with
        # another answer's public key expect the import to fail, which a reused pair (the
        # default under load) would not.
        env["KMSGATE_POOL__REUSE_CALLS"] = "1"
        env.update(self.config)
        self._log = open(self.log_path, "a", encoding="utf-8", errors="replace")
        self.endpoint = None
        self.endpoints = {}
        self._lines = []
        self._ready.clear()
        self.proc = subprocess.Popen(
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=self.cwd or self.log_path.parent,
            text=True,
            errors="replace",
        )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        if not self._ready.wait(self.start_timeout) or self.endpoint is None:
            code = self.proc.poll()
            self.stop()
            why = (
                f"exited with status {code}"
                if code is not None
                else f"printed fewer than {self._expected_listeners()} `listening on http://...` "
                f"line(s) within {self.start_timeout:.0f} s"
            )
            pytest.fail(
                f"{self.binary.name} ({self.name}) {why}.\nstdout:\n{''.join(self._lines)[-3000:]}\n"
                f"stderr:\n{self.log_tail()}",
                pytrace=False,
            )
        return self

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        wanted = self._expected_listeners()
        found: dict[str, str] = {}
        for line in self.proc.stdout:
            self._lines.append(line)
            if len(found) >= wanted:
                continue
            m = LISTENING.search(line)
            if m:
                url = m.group(1).rstrip("/")
                named = LISTENER.search(line)
                found[named.group(1) if named else str(len(found))] = url
                if len(found) == wanted:
                    self.endpoints = dict(found)
                    self.endpoint = next(iter(found.values()))
                    self._ready.set()
        self._ready.set()  # EOF: the process is gone; start() reports it

    def log_text(self) -> str:
        """Everything the process (and earlier runs under the same name) wrote to stderr."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
        self._log.close()
        self.proc = None

    # ---- the emulator's clock -------------------------------------------------------------

    def admin_request(
        self,
        method: str,
        path: str,
        body: dict | bytes | None = None,
        token: str | None | bool = True,
        endpoint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict, object]:
        """(status, headers, parsed JSON or text) of one request to a server endpoint, never
        raising for an HTTP error. `token` True sends this server's admin token (if any), a
        string sends that one, None/False sends none."""
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        else:
            data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request((endpoint or self.endpoint) + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        bearer = self.admin_token if token is True else (token or None)
        if bearer:
            req.add_header("Authorization", f"Bearer {bearer}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, dict(e.headers), e.read()
        text = raw.decode(errors="replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = text
        return status, hdrs, parsed

    def _admin(self, method: str, path: str, body: dict | None = None) -> dict:
        status, _, parsed = self.admin_request(method, path, body)
        assert 200 <= status < 300, f"{method} {path} {body or ''}: HTTP {status} {parsed!r}"
        return parsed if isinstance(parsed, dict) else {}

    def clock(self) -> dict:
        """GET /_kmsgate/clock: {"now", "offset_seconds", "generation"}."""
        return self._admin("GET", "/_kmsgate/clock")

    def clock_set(self, epoch_seconds: int) -> dict:
        return self._admin("POST", "/_kmsgate/clock/set", {"epoch_seconds": int(epoch_seconds)})

    def clock_reset(self) -> dict:
        return self._admin("POST", "/_kmsgate/clock/reset")

    def reset(self, tenant: dict | None = None, endpoint: str | None = None) -> dict:
        """POST /_kmsgate/reset: every tenant, or one in the listener's own terms."""
        body = None if tenant is None else {"tenant": tenant}
        status, _, parsed = self.admin_request("POST", "/_kmsgate/reset", body, endpoint=endpoint)
        assert status == 200, f"reset {body}: HTTP {status} {parsed!r}"
        return parsed

    def metrics_text(self, endpoint: str | None = None) -> str:
        """GET /metrics (never needs the admin token)."""
        status, headers, parsed = self.admin_request("GET", "/metrics", token=False, endpoint=endpoint)
        assert status == 200, f"/metrics: HTTP {status} {parsed!r}"
        return parsed if isinstance(parsed, str) else json.dumps(parsed)

    def now(self) -> float:
        """The server's (emulated) time in epoch seconds."""
        return float(self._admin("GET", "/_kmsgate/clock")["now"])

    def advance(self, seconds: int) -> dict:
        before = self.now()
        self._admin("POST", "/_kmsgate/clock/advance", {"seconds": seconds})
        after = self.now()
        assert after >= before + seconds, f"clock did not advance by {seconds}s ({before} -> {after})"
        return {"before": before, "after": after}


def random_account() -> str:
    """A fresh 12-digit account id: every test gets a key space of its own on a shared server."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def client(
    endpoint: str,
    region: str = "us-east-1",
    access_key: str | None = None,
    secret: str = SECRET,
):
    return boto3.session.Session().client(
        "kms",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=access_key or random_account(),
        aws_secret_access_key=secret,
        config=Config(
            retries={"total_max_attempts": 1},
            connect_timeout=10,
            read_timeout=300,  # RSA-4096 wrapping keys may be generated on demand
        ),
    )


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


@contextmanager
def raises_code(*codes: str):
    """Expect a ClientError whose code is one of `codes` (the first is the one we want)."""
    with pytest.raises(ClientError) as info:
        yield info
    got = error_code(info.value)
    assert got in codes, (
        f"expected {' or '.join(codes)}, got {got}: {info.value.response['Error'].get('Message')!r} "
        f"(HTTP {info.value.response['ResponseMetadata'].get('HTTPStatusCode')})"
    )
    status = info.value.response["ResponseMetadata"].get("HTTPStatusCode")
    assert status == 400, f"{got} came with HTTP {status}, AWS uses 400"


def eventually(fn, timeout: float = 10.0, interval: float = 0.2):
    """Call fn until it stops raising AssertionError (for state the server may sweep lazily)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def epoch(value) -> float:
    """A boto3 timestamp (datetime) as epoch seconds."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value)


def at(epoch_seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch_seconds), tz=dt.timezone.utc)


def partition(region: str) -> str:
    """ARN partition: China regions are `aws-cn`, as in real AWS."""
    return "aws-cn" if region.startswith("cn-") else "aws"


def arn_of(region: str, account: str, key_id: str) -> str:
    return f"arn:{partition(region)}:kms:{region}:{account}:key/{key_id}"


# ---- the import flow ----------------------------------------------------------------------

SM2_CASE = ("SM2", "SM2PKE")


def region_for(spec: str) -> str:
    return "cn-north-1" if spec == "SM2" else "us-east-1"


def material_len(region: str) -> int:
    return 16 if region.startswith("cn-") else 32


def create_external_key(kms, **kw) -> dict:
    meta = kms.create_key(Origin="EXTERNAL", **kw)["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport", meta
    assert meta["Enabled"] is False, meta
    assert meta["Origin"] == "EXTERNAL", meta
    return meta


def import_params(kms, key_id: str, spec: str, algorithm: str) -> dict:
    return kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec
    )


def import_material(
    kms,
    key_id: str,
    material: bytes,
    spec: str = "RSA_2048",
    algorithm: str = "RSAES_OAEP_SHA_256",
    valid_to: float | None = None,
    **kw,
) -> dict:
    """GetParametersForImport, wrap client-side, ImportKeyMaterial. Without valid_to the material
    never expires."""
    params = import_params(kms, key_id, spec, algorithm)
    wrapped = kmsgate_wrap.wrap_material(params["PublicKey"], algorithm, material)
    if valid_to is None:
        kw.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    else:
        kw.setdefault("ExpirationModel", "KEY_MATERIAL_EXPIRES")
        kw["ValidTo"] = at(valid_to)
    return kms.import_key_material(
        KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **kw
    )


def byok_key(kms, material: bytes | None = None, **kw) -> tuple[dict, bytes, dict]:
    """An EXTERNAL key with material imported (never expiring unless valid_to is given):
    (KeyMetadata at creation, material, ImportKeyMaterial response)."""
    meta = create_external_key(kms)
    if material is None:
        material = os.urandom(32)
    resp = import_material(kms, meta["KeyId"], material, **kw)
    return meta, material, resp


def describe(kms, key_id: str) -> dict:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]
