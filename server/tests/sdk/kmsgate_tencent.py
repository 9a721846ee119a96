"""Talking to kmsgate-tencent with tencentcloud-sdk-python-kms, unchanged but for the endpoint:
clients, calls as plain dicts, the expected-error helper and the BYOK steps the tests share."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.kms.v20190118 import kms_client, models

import kmsgate_sdk
import kmsgate_wrap

SECRET_ID = "AKIDkmsgateTestSecretId"
SECRET_KEY = "kmsgate-tencent-secret-not-checked-unless-strict"
VERSION = "2019-01-18"
RSA_ALGORITHMS = ("RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
MAX_VALID_TO = 2147443200


def host_port(endpoint: str) -> str:
    """The SDK wants a bare host:port (with protocol="http" in the HttpProfile)."""
    return endpoint.split("://", 1)[-1]


def profile(endpoint: str, **kw) -> ClientProfile:
    hp = HttpProfile(endpoint=host_port(endpoint), protocol="http", reqTimeout=300)
    return ClientProfile(httpProfile=hp, **kw)


def client(endpoint: str, region: str, secret_id: str = SECRET_ID, secret_key: str = SECRET_KEY, **kw):
    """A KmsClient exactly as a Tencent user builds one, pointed at kmsgate."""
    return kms_client.KmsClient(
        credential.Credential(secret_id, secret_key), region, profile(endpoint, **kw)
    )


def common_client(endpoint: str, region: str, version: str = VERSION, secret_id: str = SECRET_ID,
                  secret_key: str = SECRET_KEY, **kw) -> CommonClient:
    """The SDK's generic client: any action, version or parameter, still signed by the SDK."""
    return CommonClient(
        "kms", version, credential.Credential(secret_id, secret_key), region, profile(endpoint, **kw)
    )


def fresh_region() -> str:
    """Every test gets a key space of its own on a shared server: region is part of the tenant."""
    return f"ap-test-{secrets.token_hex(5)}"


def call(c, action: str, **params) -> dict:
    """Call `action` through the typed SDK method and model; the answer as a dict."""
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    response = getattr(c, action)(request)
    return json.loads(response.to_json_string())


@contextmanager
def raises_code(*codes: str):
    """Expect a TencentCloudSDKException with one of `codes` (and a request id, as Tencent's)."""
    with pytest.raises(TencentCloudSDKException) as info:
        yield info
    e = info.value
    assert e.get_code() in codes, f"expected {' or '.join(codes)}, got {e.get_code()}: {e.get_message()}"
    assert e.get_request_id(), f"{e.get_code()} came without a RequestId"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def create_external(c, alias: str | None = None) -> str:
    out = call(c, "CreateKey", Alias=alias or f"byok-{secrets.token_hex(4)}", Type=2)
    assert out["KeyState"] == "PendingImport", out
    return out["KeyId"]


def params_for(c, key_id: str, algorithm: str = "RSAES_OAEP_SHA_256", spec: str = "RSA_2048") -> dict:
    return call(c, "GetParametersForImport", KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)


def wrap(params: dict, algorithm: str, material: bytes) -> str:
    return b64(kmsgate_wrap.wrap_material(unb64(params["PublicKey"]), algorithm, material))


def import_material(c, key_id: str, material: bytes, algorithm: str = "RSAES_OAEP_SHA_256",
                    valid_to: int | None = None) -> dict:
    """GetParametersForImport, wrap client-side, ImportKeyMaterial (ValidTo left out if None)."""
    spec = "SM2" if algorithm == "SM2PKE" else "RSA_2048"
    p = params_for(c, key_id, algorithm, spec)
    kw = {} if valid_to is None else {"ValidTo": valid_to}
    return call(c, "ImportKeyMaterial", KeyId=key_id, ImportToken=p["ImportToken"],
                EncryptedKeyMaterial=wrap(p, algorithm, material), **kw)


def describe(c, key_id: str) -> dict:
    return call(c, "DescribeKey", KeyId=key_id)["KeyMetadata"]


def roundtrip(c, key_id: str, data: bytes = b"kmsgate") -> None:
    blob = call(c, "Encrypt", KeyId=key_id, Plaintext=b64(data))["CiphertextBlob"]
    out = call(c, "Decrypt", CiphertextBlob=blob)
    assert out["KeyId"] == key_id
    assert unb64(out["Plaintext"]) == data


def configured_server(name: str, logs: Path, toml: str, config: dict | None = None):
    """A kmsgate-tencent started with `--config FILE` (what a user with a TOML file does).
    ServerProcess has no config-file option, so a two-line wrapper adds the flag."""
    conf = logs / f"{name}.toml"
    conf.write_text(toml)
    wrapper = logs / f"{name}-kmsgate-tencent.sh"
    real = kmsgate_sdk.bin_dir() / "kmsgate-tencent"
    wrapper.write_text(f'#!/bin/sh\nexec "{real}" --config "{conf}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    # An absolute path replaces bin_dir() in ServerProcess's `bin_dir() / binary`.
    return kmsgate_sdk.ServerProcess(name, logs, config, binary=str(wrapper))


def material(edition: str) -> bytes:
    """128 bits for SM-CRYPTO keys, 256 bits for FIPS keys."""
    return os.urandom(16 if edition == "sm" else 32)
