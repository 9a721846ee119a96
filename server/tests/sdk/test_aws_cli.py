"""The AWS CLI (v1, from the venv; it carries its own copy of botocore) following the developer
guide's BYOK walk-through: files on disk, fileb:// arguments, base64 in the JSON output."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import kmsgate_wrap as w
from kmsgate_sdk import random_account

needs_openssl = pytest.mark.skipif(w.openssl_path() is None, reason="openssl is not on PATH")


class Cli:
    def __init__(self, endpoint: str, region: str, workdir: Path, account: str):
        exe = Path(sys.executable).parent / "aws"
        if not exe.is_file():
            pytest.fail(f"no aws executable next to {sys.executable}: pip install -r requirements.txt")
        self.exe = str(exe)
        self.endpoint = endpoint
        self.region = region
        self.wd = workdir
        (workdir / "aws-config").write_text("")
        (workdir / "aws-credentials").write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            {
                "AWS_ACCESS_KEY_ID": account,
                "AWS_SECRET_ACCESS_KEY": "cli-secret",
                "AWS_CONFIG_FILE": str(workdir / "aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1",
                "AWS_RETRY_MODE": "standard",
                "HOME": str(workdir),
            }
        )
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [
            self.exe, "kms", *args,
            "--endpoint-url", self.endpoint,
            "--region", self.region,
            "--output", "json",
        ]
        proc = subprocess.run(
            cmd, cwd=self.wd, env=self.env, capture_output=True, text=True, timeout=300
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"`aws kms {' '.join(args)}` exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}"
            )
        return proc

    def json(self, *args: str) -> dict:
        out = self.run(*args).stdout
        return json.loads(out) if out.strip() else {}


@pytest.fixture
def cli(server, tmp_path):
    return Cli(server.endpoint, "us-east-1", tmp_path, random_account())


@pytest.fixture
def cli_cn(server, tmp_path):
    return Cli(server.endpoint, "cn-north-1", tmp_path, random_account())


def _iso(epoch_seconds: float) -> str:
    return dt.datetime.fromtimestamp(int(epoch_seconds), tz=dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _byok_walkthrough(cli: Cli, clock, spec: str, algorithm: str, wrap) -> str:
    wd = cli.wd
    meta = cli.json("create-key", "--origin", "EXTERNAL", "--description", "cli byok")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["KeyState"] == "PendingImport"
    assert meta["Origin"] == "EXTERNAL"

    params = cli.json(
        "get-parameters-for-import",
        "--key-id", key_id,
        "--wrapping-algorithm", algorithm,
        "--wrapping-key-spec", spec,
    )
    assert params["KeyId"].endswith(":key/" + key_id)
    # what `--query PublicKey --output text | base64 --decode > WrappingPublicKey.bin` does
    (wd / "WrappingPublicKey.bin").write_bytes(base64.b64decode(params["PublicKey"]))
    (wd / "ImportToken.bin").write_bytes(base64.b64decode(params["ImportToken"]))

    material = os.urandom(16 if cli.region.startswith("cn-") else 32)
    (wd / "PlaintextKeyMaterial.bin").write_bytes(material)
    (wd / "EncryptedKeyMaterial.bin").write_bytes(
        wrap((wd / "WrappingPublicKey.bin").read_bytes(), material)
    )

    valid_to = clock.now() + 86400
    imported = cli.json(
        "import-key-material",
        "--key-id", key_id,
        "--encrypted-key-material", "fileb://EncryptedKeyMaterial.bin",
        "--import-token", "fileb://ImportToken.bin",
        "--expiration-model", "KEY_MATERIAL_EXPIRES",
        "--valid-to", _iso(valid_to),
    )
    assert len(imported["KeyMaterialId"]) == 64

    described = cli.json("describe-key", "--key-id", key_id)["KeyMetadata"]
    assert described["KeyState"] == "Enabled"
    assert described["Enabled"] is True
    assert described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"

    (wd / "plain.bin").write_bytes(b"hello from the aws cli\n")
    enc = cli.json(
        "encrypt",
        "--key-id", key_id,
        "--plaintext", "fileb://plain.bin",
        "--encryption-context", "purpose=cli,tenant=t1",
    )
    (wd / "ct.bin").write_bytes(base64.b64decode(enc["CiphertextBlob"]))
    dec = cli.json(
        "decrypt",
        "--ciphertext-blob", "fileb://ct.bin",
        "--encryption-context", "purpose=cli,tenant=t1",
    )
    assert base64.b64decode(dec["Plaintext"]) == b"hello from the aws cli\n"
    assert dec["KeyId"] == enc["KeyId"]

    bad = cli.run(
        "decrypt",
        "--ciphertext-blob", "fileb://ct.bin",
        "--encryption-context", "purpose=other",
        check=False,
    )
    assert bad.returncode != 0
    assert "InvalidCiphertextException" in bad.stderr
    return key_id


def test_cli_byok_oaep_sha256(cli, clock):
    wrap = (
        w.openssl_oaep_sha256
        if w.openssl_path()
        else (lambda pub, m: w.wrap_material(pub, "RSAES_OAEP_SHA_256", m))
    )
    key_id = _byok_walkthrough(cli, clock, "RSA_2048", "RSAES_OAEP_SHA_256", wrap)

    listed = cli.json("list-keys")["Keys"]
    assert key_id in {k["KeyId"] for k in listed}

    cli.json("delete-imported-key-material", "--key-id", key_id)
    assert cli.json("describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    bad = cli.run("encrypt", "--key-id", key_id, "--plaintext", "fileb://plain.bin", check=False)
    assert bad.returncode != 0 and "KMSInvalidStateException" in bad.stderr


def test_cli_byok_rsa_aes_key_wrap(cli, clock):
    wrap = (
        w.openssl_rsa_aes_key_wrap_sha256
        if w.openssl_path()
        else (lambda pub, m: w.wrap_material(pub, "RSA_AES_KEY_WRAP_SHA_256", m))
    )
    _byok_walkthrough(cli, clock, "RSA_3072", "RSA_AES_KEY_WRAP_SHA_256", wrap)


@needs_openssl
def test_cli_byok_sm2_in_china(cli_cn, clock):
    _byok_walkthrough(cli_cn, clock, "SM2", "SM2PKE", w.openssl_sm2_encrypt)


def test_cli_errors_and_misc(cli):
    missing = cli.run("describe-key", "--key-id", str(uuid.uuid4()), check=False)
    assert missing.returncode != 0
    assert "NotFoundException" in missing.stderr

    key_id = cli.json("create-key")["KeyMetadata"]["KeyId"]
    bad_enum = cli.run(
        "get-parameters-for-import",
        "--key-id", key_id,
        "--wrapping-algorithm", "NOPE",
        "--wrapping-key-spec", "RSA_2048",
        check=False,
    )
    assert bad_enum.returncode != 0
    assert "ValidationException" in bad_enum.stderr

    rnd = cli.json("generate-random", "--number-of-bytes", "32")
    assert len(base64.b64decode(rnd["Plaintext"])) == 32

    cli.run("create-alias", "--alias-name", "alias/cli", "--target-key-id", key_id)
    aliases = cli.json("list-aliases")["Aliases"]
    assert {"alias/cli": key_id}.items() <= {a["AliasName"]: a.get("TargetKeyId") for a in aliases}.items()
    cli.run("tag-resource", "--key-id", key_id, "--tags", "TagKey=owner,TagValue=cli")
    tags = cli.json("list-resource-tags", "--key-id", key_id)["Tags"]
    assert tags == [{"TagKey": "owner", "TagValue": "cli"}]
    sched = cli.json("schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7")
    assert sched["KeyState"] == "PendingDeletion"
    cli.json("cancel-key-deletion", "--key-id", key_id)
    assert cli.json("describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Disabled"
