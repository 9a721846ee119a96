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
START_TIMEOUT = float(os.environ.get("KMSGATE_START_TIMEOUT", "60"))

SECRET = "kmsgate-test-secret-not-checked-unless-strict"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def bin_dir() -> Path:
    return Path(os.environ.get("KMSGATE_BIN_DIR", REPO / "target" / "debug"))


class ServerProcess:
    """One kmsgate server process (`binary`, kmsgate-aws by default) on 127.0.0.1:<ephemeral>
    with its own env config; in memory unless data_dir is given."""

    def __init__(
        self,
        name: str,
        log_dir: Path,
        config: dict[str, str] | None = None,
        data_dir: Path | None = None,
        binary: str = "kmsgate-aws",
    ):
        self.name = name
        self.binary = bin_dir() / binary
        self.log_path = log_dir / f"{name}.log"
        self.config = dict(config or {})
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

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
        env.update(self.config)
        self._log = open(self.log_path, "a", encoding="utf-8", errors="replace")
        self.endpoint = None
        self._lines = []
        self._ready.clear()
        storage = ["--in-memory"] if self.data_dir is None else ["--data-dir", str(self.data_dir)]
        self.proc = subprocess.Popen(
            [str(self.binary), *storage, "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=self.log_path.parent,
            text=True,
            errors="replace",
        )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT) or self.endpoint is None:
            code = self.proc.poll()
            self.stop()
            why = (
                f"exited with status {code}"
                if code is not None
                else f"printed no `listening on http://...` line within {START_TIMEOUT:.0f} s"
            )
            pytest.fail(
                f"{self.binary.name} ({self.name}) {why}.\nstdout:\n{''.join(self._lines)[-3000:]}\n"
                f"stderr:\n{self.log_tail()}",
                pytrace=False,
            )
        return self

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)
            if self.endpoint is None:
                m = LISTENING.search(line)
                if m:
                    self.endpoint = m.group(1).rstrip("/")
                    self._ready.set()
        self._ready.set()  # EOF: the process is gone; start() reports it

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

    def _admin(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.endpoint + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else {}

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
