"""kmsgate-aws under other configurations (environment variables read through the config crate,
prefix KMSGATE, separator __): strict SigV4 authentication, the default account, and the legacy
RSAES_PKCS1_V1_5 wrapping switch. Each configuration gets its own server process."""

from __future__ import annotations

import os

import pytest

import kmsgate_wrap as w
from kmsgate_sdk import (
    ServerProcess,
    arn_of,
    client,
    create_external_key,
    describe,
    import_params,
    raises_code,
)

STRICT_AKID = "123456789012"  # 12 digits: also the account
STRICT_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# A realistic (upper-case) access key id: config-crate environment sources tend to lower-case
# keys, which must not make such an id unusable.
STRICT_AKID_UPPER = "AKIAIOSFODNN7EXAMPLE"
STRICT_SECRET_UPPER = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"


@pytest.fixture(scope="module")
def strict_server(server_logs):
    srv = ServerProcess(
        "strict",
        server_logs,
        {
            "KMSGATE_AWS__STRICT_AUTH": "true",
            f"KMSGATE_AWS__CREDENTIALS__{STRICT_AKID}": STRICT_SECRET,
            f"KMSGATE_AWS__CREDENTIALS__{STRICT_AKID_UPPER}": STRICT_SECRET_UPPER,
        },
    )
    try:
        yield srv.start()
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def configured_server(server_logs):
    srv = ServerProcess(
        "configured",
        server_logs,
        {
            "KMSGATE_AWS__DEFAULT_ACCOUNT": "111122223333",
            "KMSGATE_AWS__ALLOW_RSAES_PKCS1_V1_5": "true",
        },
    )
    try:
        yield srv.start()
    finally:
        srv.stop()


# ---- strict authentication --------------------------------------------------------------------


def test_strict_right_secret_works(strict_server):
    kms = client(strict_server.endpoint, "us-east-1", STRICT_AKID, STRICT_SECRET)
    meta = kms.create_key()["KeyMetadata"]
    assert meta["Arn"] == arn_of("us-east-1", STRICT_AKID, meta["KeyId"])
    ct = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"signed")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"signed"
    # the import flow too (larger bodies, binary blobs)
    ext = create_external_key(kms)["KeyId"]
    params = import_params(kms, ext, "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256")
    kms.import_key_material(
        KeyId=ext,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=w.wrap_material(
            params["PublicKey"], "RSA_AES_KEY_WRAP_SHA_256", os.urandom(32)
        ),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert describe(kms, ext)["KeyState"] == "Enabled"


def test_strict_wrong_secret(strict_server):
    kms = client(strict_server.endpoint, "us-east-1", STRICT_AKID, STRICT_SECRET + "x")
    with raises_code("InvalidSignatureException"):
        kms.create_key()
    with raises_code("InvalidSignatureException"):
        kms.list_keys()


def test_strict_unknown_access_key(strict_server):
    kms = client(strict_server.endpoint, "us-east-1", "999999999999", STRICT_SECRET)
    with raises_code("UnrecognizedClientException"):
        kms.create_key()
    kms = client(strict_server.endpoint, "us-east-1", "AKIDUNKNOWNEXAMPLE", STRICT_SECRET)
    with raises_code("UnrecognizedClientException"):
        kms.list_keys()


def test_strict_upper_case_access_key_id(strict_server):
    kms = client(strict_server.endpoint, "us-east-1", STRICT_AKID_UPPER, STRICT_SECRET_UPPER)
    meta = kms.create_key()["KeyMetadata"]
    # not 12 digits: the key lands in the default account
    assert meta["Arn"] == arn_of("us-east-1", "000000000000", meta["KeyId"])


def test_strict_other_region_same_credentials(strict_server):
    kms = client(strict_server.endpoint, "cn-north-1", STRICT_AKID, STRICT_SECRET)
    meta = kms.create_key()["KeyMetadata"]
    assert meta["Arn"] == arn_of("cn-north-1", STRICT_AKID, meta["KeyId"])


# ---- default account and RSAES_PKCS1_V1_5 -----------------------------------------------------


def test_configured_default_account(configured_server):
    kms = client(configured_server.endpoint, "us-east-1", "AKIDEXAMPLE")
    meta = kms.create_key()["KeyMetadata"]
    assert meta["Arn"] == arn_of("us-east-1", "111122223333", meta["KeyId"])
    assert meta["AWSAccountId"] == "111122223333"
    # a 12-digit access key id is still its own account
    other = client(configured_server.endpoint, "us-east-1", "444455556666")
    meta2 = other.create_key()["KeyMetadata"]
    assert meta2["Arn"] == arn_of("us-east-1", "444455556666", meta2["KeyId"])


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_4096"])
def test_rsaes_pkcs1_v1_5_when_allowed(configured_server, spec):
    kms = client(configured_server.endpoint, "us-east-1")
    key_id = create_external_key(kms)["KeyId"]
    params = import_params(kms, key_id, spec, "RSAES_PKCS1_V1_5")
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=w.wrap_material(params["PublicKey"], "RSAES_PKCS1_V1_5", os.urandom(32)),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert describe(kms, key_id)["KeyState"] == "Enabled"
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"legacy")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"legacy"
