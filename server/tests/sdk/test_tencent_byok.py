"""The whole BYOK flow through tencentcloud-sdk-python-kms against kmsgate-tencent: every
wrapping algorithm in the FIPS and SM editions, the import rules of seed 003, ValidTo edges,
expiry through the emulated clock, and the same material in two CMKs."""

from __future__ import annotations

import os

import pytest

from kmsgate_tencent import (
    MAX_VALID_TO, RSA_ALGORITHMS, b64, call, create_external, describe, import_material,
    params_for, raises_code, roundtrip, unb64, wrap,
)


@pytest.mark.parametrize("algorithm", RSA_ALGORITHMS)
def test_fips_byok_flow(tc, tencent_server, algorithm):
    key = create_external(tc)
    meta = describe(tc, key)
    assert (meta["KeyState"], meta["Origin"], meta["Type"], meta["ValidTo"]) == (
        "PendingImport", "EXTERNAL", 2, 0)
    p = params_for(tc, key, algorithm)
    assert p["KeyId"] == key
    assert p["ParametersValidTo"] == pytest.approx(tencent_server.now() + 86400, abs=60)
    material = os.urandom(32)
    out = call(tc, "ImportKeyMaterial", KeyId=key, ImportToken=p["ImportToken"],
               EncryptedKeyMaterial=wrap(p, algorithm, material), ValidTo=0)
    assert set(out) == {"RequestId"}
    meta = describe(tc, key)
    assert (meta["KeyState"], meta["ValidTo"]) == ("Enabled", 0)
    roundtrip(tc, key)
    # Only 256-bit material in the FIPS edition.
    other = create_external(tc)
    with raises_code("InvalidParameterValue.InvalidImportKeyMaterial"):
        import_material(tc, other, os.urandom(16), algorithm)


@pytest.mark.parametrize("algorithm", RSA_ALGORITHMS + ("SM2PKE",))
def test_sm_byok_flow(tc_sm, algorithm):
    key = create_external(tc_sm)
    assert describe(tc_sm, key)["Type"] == 4
    import_material(tc_sm, key, os.urandom(16), algorithm)
    assert describe(tc_sm, key)["KeyState"] == "Enabled"
    roundtrip(tc_sm, key)
    dk = call(tc_sm, "GenerateDataKey", KeyId=key, KeySpec="AES_128")
    assert unb64(call(tc_sm, "Decrypt", CiphertextBlob=dk["CiphertextBlob"])["Plaintext"]) == unb64(dk["Plaintext"])
    other = create_external(tc_sm)
    with raises_code("InvalidParameterValue.InvalidImportKeyMaterial"):
        import_material(tc_sm, other, os.urandom(32), algorithm)


def test_sm2_wrapping_is_the_sm_editions_extension(tc):
    key = create_external(tc)
    with raises_code("InvalidParameterValue"):
        params_for(tc, key, "SM2PKE", "SM2")


def test_reimport_same_material_only_and_new_expiry(tc, tencent_server):
    key = create_external(tc)
    material = os.urandom(32)
    import_material(tc, key, material)
    later = int(tencent_server.now()) + 7200
    import_material(tc, key, material, valid_to=later)
    assert describe(tc, key)["ValidTo"] == later
    with raises_code("InvalidParameterValue.MaterialNotMatch"):
        import_material(tc, key, os.urandom(32))
    import_material(tc, key, material, valid_to=0)
    assert describe(tc, key)["ValidTo"] == 0


def test_valid_to_edges(tc, tencent_server):
    key = create_external(tc)
    material = os.urandom(32)
    now = int(tencent_server.now())
    for bad in (now - 60, MAX_VALID_TO + 1):
        with raises_code("InvalidParameter"):
            import_material(tc, key, material, valid_to=bad)
    assert describe(tc, key)["KeyState"] == "PendingImport"
    import_material(tc, key, material, valid_to=MAX_VALID_TO)
    assert describe(tc, key)["ValidTo"] == MAX_VALID_TO
    import_material(tc, key, material, valid_to=0)
    assert describe(tc, key)["ValidTo"] == 0


def test_expiry_through_the_clock_and_reimport(tc, tencent_server):
    key = create_external(tc)
    material = os.urandom(32)
    valid_to = int(tencent_server.now()) + 600
    import_material(tc, key, material, valid_to=valid_to)
    blob = call(tc, "Encrypt", KeyId=key, Plaintext=b64(b"before"))["CiphertextBlob"]
    tencent_server.advance(601)
    meta = describe(tc, key)
    assert (meta["KeyState"], meta["ValidTo"]) == ("PendingImport", 0)
    with raises_code("ResourceUnavailable.CmkStateNotSupport"):
        call(tc, "Decrypt", CiphertextBlob=blob)
    with raises_code("InvalidParameterValue.MaterialNotMatch"):
        import_material(tc, key, os.urandom(32))
    import_material(tc, key, material)
    assert unb64(call(tc, "Decrypt", CiphertextBlob=blob)["Plaintext"]) == b"before"


def test_deleted_material_comes_back_only_the_same(tc):
    key = create_external(tc)
    material = os.urandom(32)
    import_material(tc, key, material)
    blob = call(tc, "Encrypt", KeyId=key, Plaintext=b64(b"x"))["CiphertextBlob"]
    call(tc, "DeleteImportedKeyMaterial", KeyId=key)
    assert describe(tc, key)["KeyState"] == "PendingImport"
    with raises_code("ResourceUnavailable.CmkStateNotSupport"):
        call(tc, "Encrypt", KeyId=key, Plaintext=b64(b"x"))
    with raises_code("InvalidParameterValue.MaterialNotMatch"):
        import_material(tc, key, os.urandom(32))
    import_material(tc, key, material)
    assert unb64(call(tc, "Decrypt", CiphertextBlob=blob)["Plaintext"]) == b"x"


def test_same_material_in_two_cmks_never_cross_decrypts(tc):
    material = os.urandom(32)
    a, b = create_external(tc), create_external(tc)
    import_material(tc, a, material)
    import_material(tc, b, material)
    blob = unb64(call(tc, "Encrypt", KeyId=a, Plaintext=b64(b"for a"))["CiphertextBlob"])
    # The ciphertext names its CMK; naming B instead (same material) is refused.
    a_id, b_id = (bytes.fromhex(k.replace("-", "")) for k in (a, b))
    assert a_id in blob
    forged = blob.replace(a_id, b_id)
    with raises_code("FailedOperation.DecryptError"):
        call(tc, "Decrypt", CiphertextBlob=b64(forged))
    # And with A disabled, A's ciphertext is unreadable although B holds the same material.
    call(tc, "DisableKey", KeyId=a)
    with raises_code("ResourceUnavailable.CmkDisabled"):
        call(tc, "Decrypt", CiphertextBlob=b64(blob))
    roundtrip(tc, b)


def test_import_token_expires_after_24_hours(tc, tencent_server):
    key = create_external(tc)
    p = params_for(tc, key)
    wrapped = wrap(p, "RSAES_OAEP_SHA_256", os.urandom(32))
    tencent_server.advance(86400)
    with raises_code("ResourceUnavailable.TokenExpired"):
        call(tc, "ImportKeyMaterial", KeyId=key, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped)
    assert describe(tc, key)["KeyState"] == "PendingImport"
