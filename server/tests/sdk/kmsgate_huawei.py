"""Talking to kmsgate-huawei: huaweicloudsdkkms clients (AK/SK), plain HTTP requests with an
X-Auth-Token from IAM's POST /v3/auth/tokens (as the seeds' example requests look), client-side
wrapping of key material, and the error assertions the Huawei tests share."""

from __future__ import annotations

import base64
import json
import os
import secrets
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkkms.v2 import KmsClient
from huaweicloudsdkkms.v2 import model as m

import kmsgate_wrap

AK = "HPUAKMSGATETEST00001"
SK = "kmsgate-huawei-test-secret-key-000000000"
STRICT_USER = ("alice", "Alice-Passw0rd", "acme")
KEY_ID = r"^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$"


def random_project() -> str:
    """A fresh 32-hex project id: every test gets a key space of its own on a shared server."""
    return secrets.token_hex(16)


def client(endpoint: str, project: str, ak: str = AK, sk: str = SK) -> KmsClient:
    config = HttpConfig.get_default_config()
    config.timeout = (10, 300)
    return (
        KmsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(ak, sk, project))
        .with_endpoints([endpoint])
        .build()
    )


@contextmanager
def raises_code(code: str, status: int = 400):
    """Expect a ClientRequestException with `code` and HTTP `status`."""
    with pytest.raises(ClientRequestException) as info:
        yield info
    e = info.value
    assert (e.error_code, e.status_code) == (code, status), f"{e.status_code} {e.error_code}: {e.error_msg}"


# ---- plain HTTP with X-Auth-Token -------------------------------------------------------------


def http(endpoint: str, method: str, path: str, body=None, headers: dict | None = None):
    """(status, headers, parsed JSON body or None) of one plain HTTP request."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(endpoint + path, data=data, method=method)
    req.add_header("Content-Type", "application/json;charset=utf8")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            raw, status, hdrs = resp.read(), resp.status, resp.headers
    except urllib.error.HTTPError as e:
        raw, status, hdrs = e.read(), e.code, e.headers
    return status, hdrs, (json.loads(raw) if raw.strip() else None)


def get_token(endpoint: str, project: str, user=STRICT_USER) -> tuple[int, str | None, dict]:
    """IAM's token call with a password identity scoped to `project`: (status, token, body)."""
    name, password, domain = user
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": name, "password": password, "domain": {"name": domain}}},
            },
            "scope": {"project": {"id": project}},
        }
    }
    status, headers, parsed = http(endpoint, "POST", "/v3/auth/tokens", body)
    return status, headers.get("X-Subject-Token"), parsed


def kms_call(endpoint: str, token: str, project: str, action: str, body: dict):
    """POST /v1.0/{project_id}/kms/{action} with X-Auth-Token, as the seeds' examples do."""
    return http(endpoint, "POST", f"/v1.0/{project}/kms/{action}", body, {"X-Auth-Token": token})


def error_code(body) -> str | None:
    if not isinstance(body, dict):
        return None
    return body.get("error_code") or (body.get("error") or {}).get("error_code")


# ---- wrapping -------------------------------------------------------------------------------


def wrap(public_key_b64: str, algorithm: str, material: bytes, java_mgf1_sha1: bool = False) -> str:
    """encrypted_key_material for `material` under the returned public key, base64."""
    der = base64.b64decode(public_key_b64)
    if algorithm == "SM2_ENCRYPT":
        return base64.b64encode(kmsgate_wrap.openssl_sm2_encrypt(der, material)).decode()
    pub = serialization.load_der_public_key(der)
    if algorithm == "RSAES_OAEP_SHA_256":
        mgf = hashes.SHA1() if java_mgf1_sha1 else hashes.SHA256()
        pad = padding.OAEP(mgf=padding.MGF1(algorithm=mgf), algorithm=hashes.SHA256(), label=None)
    elif algorithm == "RSAES_OAEP_SHA_1":
        pad = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    else:
        raise ValueError(algorithm)
    return base64.b64encode(pub.encrypt(material, pad)).decode()


def material_len(spec: str) -> int:
    return 16 if spec == "SM4" else 32


# ---- SDK steps ------------------------------------------------------------------------------


def create_key(kms: KmsClient, origin: str = "kms", spec: str = "AES_256", alias: str | None = None) -> str:
    body = m.CreateKeyRequestBody(
        key_alias=alias or f"k-{secrets.token_hex(6)}", key_spec=spec, origin=origin
    )
    return kms.create_key(m.CreateKeyRequest(body=body)).key_info.key_id


def describe(kms: KmsClient, key_id: str):
    return kms.list_key_detail(m.ListKeyDetailRequest(body=m.OperateKeyRequestBody(key_id=key_id))).key_info


def params(kms: KmsClient, key_id: str, algorithm: str):
    body = m.GetParametersForImportRequestBody(key_id=key_id, wrapping_algorithm=algorithm)
    return kms.create_parameters_for_import(m.CreateParametersForImportRequest(body=body))


def import_material(kms: KmsClient, key_id: str, p, wrapped: str, expiration_time=None):
    body = m.ImportKeyMaterialRequestBody(
        key_id=key_id,
        import_token=p.import_token,
        encrypted_key_material=wrapped,
        expiration_time=expiration_time,
        sequence=secrets.token_hex(18),
    )
    return kms.import_key_material(m.ImportKeyMaterialRequest(body=body))


def encrypt(kms: KmsClient, key_id: str, text: str) -> str:
    body = m.EncryptDataRequestBody(key_id=key_id, plain_text=text)
    return kms.encrypt_data(m.EncryptDataRequest(body=body)).cipher_text


def decrypt(kms: KmsClient, cipher_text: str) -> str:
    return kms.decrypt_data(m.DecryptDataRequest(body=m.DecryptDataRequestBody(cipher_text=cipher_text))).plain_text


def random_material(spec: str) -> bytes:
    return os.urandom(material_len(spec))
