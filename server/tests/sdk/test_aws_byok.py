"""Bring your own key through boto3: every wrapping key spec x wrapping algorithm, the AWS
developer guide's openssl recipes, re-import and deletion of imported material."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError

import kmsgate_wrap as w
from kmsgate_sdk import (
    HEX64,
    SM2_CASE,
    arn_of,
    create_external_key,
    describe,
    at,
    epoch,
    error_code,
    import_material,
    import_params,
    material_len,
    raises_code,
    region_for,
)

needs_openssl = pytest.mark.skipif(w.openssl_path() is None, reason="openssl is not on PATH")

CASES = [(spec, alg) for spec in w.RSA_SPECS for alg in w.RSA_ALGORITHMS] + [
    pytest.param(*SM2_CASE, marks=needs_openssl)
]


def _check_roundtrips(kms, key_id: str, arn: str, data_key_kw: dict):
    ctx = {"purpose": "byok-test", "tenant": "t1"}
    plaintext = os.urandom(100)
    enc = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=ctx)
    assert enc["KeyId"] == arn
    assert enc.get("EncryptionAlgorithm", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    blob = enc["CiphertextBlob"]
    assert plaintext not in blob

    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert dec["Plaintext"] == plaintext
    assert dec["KeyId"] == arn
    # the KeyId may be given too, as id or ARN
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=arn)["Plaintext"] == plaintext

    with raises_code("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other", "tenant": "t1"})
    with raises_code("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=blob)

    dk = kms.generate_data_key(KeyId=key_id, EncryptionContext=ctx, **data_key_kw)
    assert dk["KeyId"] == arn
    expected_len = data_key_kw.get("NumberOfBytes", 32)
    assert len(dk["Plaintext"]) == expected_len
    back = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)
    assert back["Plaintext"] == dk["Plaintext"]
    assert back["KeyId"] == arn


@pytest.mark.parametrize("spec,algorithm", CASES)
def test_byok_flow(make_client, account, clock, spec, algorithm):
    region = region_for(spec)
    kms = make_client(region, account)
    meta = create_external_key(kms, Description=f"byok {spec} {algorithm}")
    key_id = meta["KeyId"]
    arn = arn_of(region, account, key_id)
    assert meta["Arn"] == arn
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeyManager"] == "CUSTOMER"
    assert describe(kms, key_id)["KeyState"] == "PendingImport"

    params = import_params(kms, key_id, spec, algorithm)
    assert params["KeyId"] == arn
    assert isinstance(params["ImportToken"], bytes) and params["ImportToken"]
    now = clock.now()
    assert abs(epoch(params["ParametersValidTo"]) - (now + 86400)) < 120
    pub = params["PublicKey"]
    if spec == "SM2":
        assert w.SM2_CURVE_OID_DER in pub
    else:
        assert w.load_rsa_public_key(pub).key_size == w.RSA_BITS[spec]

    material = os.urandom(material_len(region))
    wrapped = w.wrap_material(pub, algorithm, material)
    valid_to = int(now) + 30 * 86400
    resp = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ValidTo=at(valid_to),
    )
    assert resp["KeyId"] == arn
    assert HEX64.match(resp["KeyMaterialId"]), resp

    after = describe(kms, key_id)
    assert after["KeyState"] == "Enabled"
    assert after["Enabled"] is True
    assert after["Origin"] == "EXTERNAL"
    assert after["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(epoch(after["ValidTo"]) - valid_to) < 1
    assert after["CurrentKeyMaterialId"] == resp["KeyMaterialId"]

    data_key_kw = {"NumberOfBytes": 16} if region.startswith("cn-") else {"KeySpec": "AES_256"}
    _check_roundtrips(kms, key_id, arn, data_key_kw)


# ---- the developer guide's openssl recipes --------------------------------------------------


def _import_with(kms, key_id, spec, algorithm, wrap):
    params = import_params(kms, key_id, spec, algorithm)
    material = os.urandom(material_len(kms.meta.region_name))
    resp = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert HEX64.match(resp["KeyMaterialId"])
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in meta
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"recipe")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"recipe"
    return material, resp


@needs_openssl
def test_openssl_pkeyutl_oaep_sha256_recipe(kms):
    key_id = create_external_key(kms)["KeyId"]
    _import_with(kms, key_id, "RSA_2048", "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256)


@needs_openssl
@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_4096"])
def test_openssl_enc_wrap_pad_plus_pkeyutl_recipe(kms, spec):
    key_id = create_external_key(kms)["KeyId"]
    _import_with(kms, key_id, spec, "RSA_AES_KEY_WRAP_SHA_256", w.openssl_rsa_aes_key_wrap_sha256)


@needs_openssl
def test_openssl_sm2_recipe(kms_cn):
    key_id = create_external_key(kms_cn)["KeyId"]
    _import_with(kms_cn, key_id, "SM2", "SM2PKE", w.openssl_sm2_encrypt)


@needs_openssl
@pytest.mark.parametrize("prefix", [True, False], ids=["04-x-y-c3-c2", "x-y-c3-c2"])
def test_sm2_raw_c1c3c2_is_accepted_too(kms_cn, prefix):
    """kms-core documents raw C1C3C2 (with or without the 04 point prefix) besides DER."""
    key_id = create_external_key(kms_cn)["KeyId"]
    _import_with(
        kms_cn,
        key_id,
        "SM2",
        "SM2PKE",
        lambda pub, m: w.sm2_der_to_raw_c1c3c2(w.openssl_sm2_encrypt(pub, m), prefix),
    )


def test_rsa_oaep_wraps_sm4_material_in_china(kms_cn):
    """China regions drop only RSA_AES_KEY_WRAP_*; RSAES_OAEP with an RSA wrapping key stays."""
    key_id = create_external_key(kms_cn)["KeyId"]
    _import_with(
        kms_cn,
        key_id,
        "RSA_2048",
        "RSAES_OAEP_SHA_256",
        lambda pub, m: w.wrap_material(pub, "RSAES_OAEP_SHA_256", m),
    )


# ---- re-import and deletion of imported material -------------------------------------------


def test_reimport_same_material_gives_same_material_id(kms):
    key_id = create_external_key(kms)["KeyId"]
    material = os.urandom(32)
    first = import_material(kms, key_id, material)
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    # re-import while Enabled, with another wrapping algorithm and key size
    second = import_material(
        kms, key_id, material, spec="RSA_3072", algorithm="RSA_AES_KEY_WRAP_SHA_1"
    )
    assert second["KeyMaterialId"] == first["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"before"
    assert describe(kms, key_id)["KeyState"] == "Enabled"


def test_material_id_differs_between_keys(kms):
    material = os.urandom(32)
    a = create_external_key(kms)["KeyId"]
    b = create_external_key(kms)["KeyId"]
    ida = import_material(kms, a, material)["KeyMaterialId"]
    idb = import_material(kms, b, material)["KeyMaterialId"]
    assert ida != idb
    # each ciphertext names its own key: decrypting under the other key id is refused
    ct = kms.encrypt(KeyId=a, Plaintext=b"x")["CiphertextBlob"]
    with raises_code("IncorrectKeyException", "InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=ct, KeyId=b)


def test_delete_imported_material_then_reimport(kms):
    key_id = create_external_key(kms)["KeyId"]
    material = os.urandom(32)
    first = import_material(kms, key_id, material)
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"keep me", EncryptionContext={"a": "b"})[
        "CiphertextBlob"
    ]

    resp = kms.delete_imported_key_material(KeyId=key_id)
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "PendingImport"
    assert meta["Enabled"] is False
    with raises_code("KMSInvalidStateException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    with raises_code("KMSInvalidStateException"):
        kms.decrypt(CiphertextBlob=ct, EncryptionContext={"a": "b"})
    with raises_code("KMSInvalidStateException"):
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    if "KeyId" in resp:
        assert resp["KeyId"] == meta["Arn"]

    # different material is refused, even now that the key holds none
    with raises_code("IncorrectKeyMaterialException"):
        import_material(kms, key_id, os.urandom(32))
    again = import_material(kms, key_id, material, spec="RSA_4096", algorithm="RSAES_OAEP_SHA_1")
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    assert describe(kms, key_id)["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=ct, EncryptionContext={"a": "b"})["Plaintext"] == b"keep me"


def test_delete_imported_material_on_pending_import_key(kms):
    key_id = create_external_key(kms)["KeyId"]
    # nothing imported, nothing to delete: refused for the key's state, which stays
    with raises_code("KMSInvalidStateException"):
        kms.delete_imported_key_material(KeyId=key_id)
    assert describe(kms, key_id)["KeyState"] == "PendingImport"


def test_import_into_disabled_key_keeps_it_disabled(kms):
    key_id = create_external_key(kms)["KeyId"]
    material = os.urandom(32)
    import_material(kms, key_id, material)
    kms.disable_key(KeyId=key_id)
    import_material(kms, key_id, material)
    assert describe(kms, key_id)["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key_id)
    assert describe(kms, key_id)["KeyState"] == "Enabled"


def test_import_with_key_arn(kms, account):
    meta = create_external_key(kms)
    arn = meta["Arn"]
    assert arn == arn_of("us-east-1", account, meta["KeyId"])
    resp = import_material(kms, arn, os.urandom(32))
    assert resp["KeyId"] == arn
    assert describe(kms, arn)["KeyState"] == "Enabled"
