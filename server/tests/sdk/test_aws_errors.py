"""Every refusal of the import flow and of the key states, as boto3 sees it (modeled exception
code, HTTP 400)."""

from __future__ import annotations

import os
import uuid

import pytest

import kmsgate_wrap as w
from kmsgate_sdk import (
    at,
    create_external_key,
    describe,
    import_material,
    import_params,
    raises_code,
)

needs_openssl = pytest.mark.skipif(w.openssl_path() is None, reason="openssl is not on PATH")


def _params_and_wrap(kms, key_id, material, spec="RSA_2048", algorithm="RSAES_OAEP_SHA_256"):
    params = import_params(kms, key_id, spec, algorithm)
    return params, w.wrap_material(params["PublicKey"], algorithm, material)


def _import(kms, key_id, params, wrapped, **kw):
    kw.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(
        KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **kw
    )


# ---- material ---------------------------------------------------------------------------


def test_different_material_is_refused(kms):
    key_id = create_external_key(kms)["KeyId"]
    material = os.urandom(32)
    import_material(kms, key_id, material)
    with raises_code("IncorrectKeyMaterialException"):
        import_material(kms, key_id, os.urandom(32))
    # the key keeps its material
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"still here")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"still here"


@pytest.mark.parametrize("length", [1, 16, 31, 33, 64])
def test_wrong_length_material_for_aes_key(kms, length):
    key_id = create_external_key(kms)["KeyId"]
    params, wrapped = _params_and_wrap(kms, key_id, os.urandom(length))
    with raises_code("IncorrectKeyMaterialException"):
        _import(kms, key_id, params, wrapped)
    assert describe(kms, key_id)["KeyState"] == "PendingImport"


@needs_openssl
@pytest.mark.parametrize("length", [15, 17, 32])
def test_wrong_length_material_for_sm4_key(kms_cn, length):
    key_id = create_external_key(kms_cn)["KeyId"]
    params, wrapped = _params_and_wrap(kms_cn, key_id, os.urandom(length), "SM2", "SM2PKE")
    with raises_code("IncorrectKeyMaterialException"):
        _import(kms_cn, key_id, params, wrapped)
    assert describe(kms_cn, key_id)["KeyState"] == "PendingImport"


# ---- tokens ------------------------------------------------------------------------------


def test_token_issued_for_another_key(kms):
    a = create_external_key(kms)["KeyId"]
    b = create_external_key(kms)["KeyId"]
    params_a, wrapped_a = _params_and_wrap(kms, a, os.urandom(32))
    with raises_code("InvalidImportTokenException"):
        _import(kms, b, params_a, wrapped_a)
    assert describe(kms, b)["KeyState"] == "PendingImport"
    # and the token still works for its own key
    _import(kms, a, params_a, wrapped_a)
    assert describe(kms, a)["KeyState"] == "Enabled"


def test_token_from_another_account_is_not_usable(make_client):
    kms_a = make_client("us-east-1")
    kms_b = make_client("us-east-1")
    a = create_external_key(kms_a)["KeyId"]
    b = create_external_key(kms_b)["KeyId"]
    params_a, wrapped_a = _params_and_wrap(kms_a, a, os.urandom(32))
    with raises_code("InvalidImportTokenException"):
        _import(kms_b, b, params_a, wrapped_a)


@pytest.mark.parametrize(
    "token",
    [b"garbage", b"\x00" * 64, os.urandom(1024)],
    ids=["ascii", "zeros", "random-1k"],
)
def test_garbage_token(kms, token):
    key_id = create_external_key(kms)["KeyId"]
    params, wrapped = _params_and_wrap(kms, key_id, os.urandom(32))
    with raises_code("InvalidImportTokenException"):
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=token,
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )


def test_tampered_token(kms):
    key_id = create_external_key(kms)["KeyId"]
    params, wrapped = _params_and_wrap(kms, key_id, os.urandom(32))
    token = bytearray(params["ImportToken"])
    token[len(token) // 2] ^= 0x01
    with raises_code("InvalidImportTokenException"):
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=bytes(token),
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )


def test_older_token_of_the_same_key_still_works(kms):
    """Each GetParametersForImport issues its own key pair and token; one does not revoke another."""
    key_id = create_external_key(kms)["KeyId"]
    material = os.urandom(32)
    params1, wrapped1 = _params_and_wrap(kms, key_id, material)
    params2, wrapped2 = _params_and_wrap(kms, key_id, material)
    assert params1["PublicKey"] != params2["PublicKey"]
    _import(kms, key_id, params1, wrapped1)
    # a wrapping under the other token's public key does not unwrap with this token's private key
    with raises_code("InvalidCiphertextException"):
        _import(kms, key_id, params2, wrapped1)
    _import(kms, key_id, params2, wrapped2)


# ---- the wrapped material ------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", w.RSA_ALGORITHMS)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_corrupted_encrypted_key_material(kms, algorithm, where):
    key_id = create_external_key(kms)["KeyId"]
    params, wrapped = _params_and_wrap(kms, key_id, os.urandom(32), algorithm=algorithm)
    blob = bytearray(wrapped)
    blob[{"first": 0, "middle": 128, "last": len(blob) - 1}[where]] ^= 0x40
    with raises_code("InvalidCiphertextException"):
        _import(kms, key_id, params, bytes(blob))
    assert describe(kms, key_id)["KeyState"] == "PendingImport"


def test_wrapped_with_the_wrong_algorithm(kms):
    key_id = create_external_key(kms)["KeyId"]
    params = import_params(kms, key_id, "RSA_2048", "RSAES_OAEP_SHA_256")
    wrapped = w.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_1", os.urandom(32))
    with raises_code("InvalidCiphertextException"):
        _import(kms, key_id, params, wrapped)


def test_truncated_key_wrap_blob(kms):
    key_id = create_external_key(kms)["KeyId"]
    params, wrapped = _params_and_wrap(
        kms, key_id, os.urandom(32), algorithm="RSA_AES_KEY_WRAP_SHA_256"
    )
    with raises_code("InvalidCiphertextException"):
        _import(kms, key_id, params, wrapped[:256])  # the RSA part alone


@needs_openssl
def test_corrupted_sm2_ciphertext(kms_cn):
    key_id = create_external_key(kms_cn)["KeyId"]
    params, wrapped = _params_and_wrap(kms_cn, key_id, os.urandom(16), "SM2", "SM2PKE")
    blob = bytearray(wrapped)
    blob[-1] ^= 0x01  # flips a bit of C2: the SM3 check C3 fails
    with raises_code("InvalidCiphertextException"):
        _import(kms_cn, key_id, params, bytes(blob))


# ---- origin, enums, region rules -------------------------------------------------------------


def test_custom_key_store_ids_name_no_store(kms):
    # kmsgate has no custom key stores: the SDK's own exception for an unknown one.
    with pytest.raises(kms.exceptions.CustomKeyStoreNotFoundException):
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId="cks-1234567890abcdef0")
    with pytest.raises(kms.exceptions.CustomKeyStoreNotFoundException):
        kms.generate_random(NumberOfBytes=32, CustomKeyStoreId="cks-1234567890abcdef0")


def test_get_parameters_for_aws_kms_key(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("UnsupportedOperationException"):
        import_params(kms, key_id, "RSA_2048", "RSAES_OAEP_SHA_256")


def test_import_into_aws_kms_key(kms):
    key_id = kms.create_key(Origin="AWS_KMS")["KeyMetadata"]["KeyId"]
    other = create_external_key(kms)["KeyId"]
    params, wrapped = _params_and_wrap(kms, other, os.urandom(32))
    with raises_code("UnsupportedOperationException"):
        _import(kms, key_id, params, wrapped)


def test_delete_imported_material_of_aws_kms_key(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("UnsupportedOperationException"):
        kms.delete_imported_key_material(KeyId=key_id)


@pytest.mark.parametrize(
    "spec,algorithm",
    [
        ("RSA_2048", "NOPE"),
        ("RSA_2048", "rsaes_oaep_sha_256"),
        ("RSA_1024", "RSAES_OAEP_SHA_256"),
        ("NOPE", "RSAES_OAEP_SHA_256"),
        ("RSA_2048", "RSAES_PKCS1_V1_5"),  # AWS stopped accepting it on 2023-10-10
        ("SM2", "SM2PKE"),  # China regions only
        ("RSA_2048", "SM2PKE"),
        ("SM2", "RSAES_OAEP_SHA_256"),
    ],
)
def test_bad_wrapping_parameters_us_east_1(kms, spec, algorithm):
    key_id = create_external_key(kms)["KeyId"]
    with raises_code("ValidationException"):
        import_params(kms, key_id, spec, algorithm)


@pytest.mark.parametrize(
    "spec,algorithm",
    [
        ("RSA_2048", "RSA_AES_KEY_WRAP_SHA_256"),  # not offered in China regions
        ("RSA_3072", "RSA_AES_KEY_WRAP_SHA_1"),
        ("RSA_2048", "SM2PKE"),
        ("SM2", "RSAES_OAEP_SHA_1"),
    ],
)
def test_bad_wrapping_parameters_cn_north_1(kms_cn, spec, algorithm):
    key_id = create_external_key(kms_cn)["KeyId"]
    with raises_code("ValidationException"):
        import_params(kms_cn, key_id, spec, algorithm)


# ---- ValidTo / ExpirationModel ---------------------------------------------------------------


@pytest.fixture
def ready_import(kms):
    """(key_id, params, wrapped) for an EXTERNAL key, ready for ImportKeyMaterial."""
    key_id = create_external_key(kms)["KeyId"]
    params, wrapped = _params_and_wrap(kms, key_id, os.urandom(32))
    return key_id, params, wrapped


def _import_raw(kms, ready, **kw):
    key_id, params, wrapped = ready
    return kms.import_key_material(
        KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **kw
    )


def test_valid_to_missing_with_default_model(kms, ready_import):
    with raises_code("ValidationException"):
        _import_raw(kms, ready_import)
    with raises_code("ValidationException"):
        _import_raw(kms, ready_import, ExpirationModel="KEY_MATERIAL_EXPIRES")
    assert describe(kms, ready_import[0])["KeyState"] == "PendingImport"


def test_valid_to_more_than_365_days_ahead(kms, clock, ready_import):
    with raises_code("ValidationException"):
        _import_raw(kms, ready_import, ValidTo=at(clock.now() + 366 * 86400))
    assert describe(kms, ready_import[0])["KeyState"] == "PendingImport"


def test_valid_to_365_days_ahead_is_fine(kms, clock, ready_import):
    valid_to = clock.now() + 365 * 86400 - 60
    _import_raw(kms, ready_import, ValidTo=at(valid_to))
    assert describe(kms, ready_import[0])["KeyState"] == "Enabled"


def test_valid_to_in_the_past(kms, clock, ready_import):
    with raises_code("ValidationException"):
        _import_raw(kms, ready_import, ValidTo=at(clock.now() - 3600))


def test_valid_to_with_does_not_expire(kms, clock, ready_import):
    with raises_code("ValidationException"):
        _import_raw(
            kms,
            ready_import,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            ValidTo=at(clock.now() + 3600),
        )


def test_bad_expiration_model(kms, clock, ready_import):
    with raises_code("ValidationException"):
        _import_raw(kms, ready_import, ExpirationModel="NEVER", ValidTo=at(clock.now() + 3600))


# ---- key states ------------------------------------------------------------------------------


def test_encrypt_on_pending_import(kms):
    key_id = create_external_key(kms)["KeyId"]
    with raises_code("KMSInvalidStateException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    with raises_code("KMSInvalidStateException"):
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    with raises_code("KMSInvalidStateException"):
        kms.enable_key(KeyId=key_id)


def test_disabled_key(kms):
    key_id = create_external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32))
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "Disabled" and meta["Enabled"] is False
    with raises_code("DisabledException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    with raises_code("DisabledException"):
        kms.decrypt(CiphertextBlob=ct)
    with raises_code("DisabledException"):
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"x"


def test_disabled_aws_kms_key(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    with raises_code("DisabledException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")


@pytest.mark.parametrize(
    "op",
    ["describe_key", "encrypt", "enable_key", "get_parameters_for_import", "schedule_key_deletion"],
)
def test_unknown_key(kms, account, op):
    missing = str(uuid.uuid4())
    call = {
        "describe_key": lambda k: kms.describe_key(KeyId=k),
        "encrypt": lambda k: kms.encrypt(KeyId=k, Plaintext=b"x"),
        "enable_key": lambda k: kms.enable_key(KeyId=k),
        "get_parameters_for_import": lambda k: import_params(
            kms, k, "RSA_2048", "RSAES_OAEP_SHA_256"
        ),
        "schedule_key_deletion": lambda k: kms.schedule_key_deletion(
            KeyId=k, PendingWindowInDays=7
        ),
    }[op]
    with raises_code("NotFoundException"):
        call(missing)
    with raises_code("NotFoundException"):
        call(f"arn:aws:kms:us-east-1:{account}:key/{missing}")


def test_unknown_alias(kms):
    with raises_code("NotFoundException"):
        kms.describe_key(KeyId="alias/does-not-exist")
    with raises_code("NotFoundException"):
        kms.encrypt(KeyId="alias/does-not-exist", Plaintext=b"x")


def test_decrypt_garbage(kms):
    with raises_code("InvalidCiphertextException") as info:
        kms.decrypt(CiphertextBlob=os.urandom(80))
    assert info.value.response["ResponseMetadata"].get("RequestId"), "no x-amzn-RequestId header"


def test_decrypt_tampered_ciphertext(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    ct = bytearray(kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"])
    ct[-1] ^= 0x01
    with raises_code("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=bytes(ct))
