"""Time-driven behaviour through the emulated clock: material expiry, the 24-hour import token,
deletion windows. "Now" always comes from the server (GET /_kmsgate/clock)."""

from __future__ import annotations

import os

import pytest

import kmsgate_wrap as w
from kmsgate_sdk import (
    at,
    create_external_key,
    describe,
    epoch,
    eventually,
    import_material,
    import_params,
    raises_code,
)

needs_openssl = pytest.mark.skipif(w.openssl_path() is None, reason="openssl is not on PATH")


def test_clock_endpoint(clock):
    now = clock.now()
    moved = clock.advance(10)
    assert moved["after"] - moved["before"] >= 10
    assert clock.now() >= now + 10


def _expiry_then_reimport(kms, clock, spec, algorithm, length):
    key_id = create_external_key(kms)["KeyId"]
    material = os.urandom(length)
    now = clock.now()
    first = import_material(kms, key_id, material, spec, algorithm, valid_to=now + 3600)
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(epoch(meta["ValidTo"]) - int(now + 3600)) < 1
    ctx = {"why": "expiry"}
    ct = kms.encrypt(KeyId=key_id, Plaintext=b"outlives its key", EncryptionContext=ctx)[
        "CiphertextBlob"
    ]

    clock.advance(2 * 3600)

    def expired():
        m = describe(kms, key_id)
        assert m["KeyState"] == "PendingImport", m
        assert m["Enabled"] is False, m
        return m

    eventually(expired)
    with raises_code("KMSInvalidStateException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    with raises_code("KMSInvalidStateException"):
        kms.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)
    # other material is still refused after expiry
    with raises_code("IncorrectKeyMaterialException"):
        import_material(kms, key_id, os.urandom(length), spec, algorithm)

    # re-import the same material with a new token and a new ValidTo
    new_valid_to = clock.now() + 7 * 86400
    again = import_material(kms, key_id, material, spec, algorithm, valid_to=new_valid_to)
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert abs(epoch(meta["ValidTo"]) - int(new_valid_to)) < 1
    assert meta["CurrentKeyMaterialId"] == first["KeyMaterialId"]
    dec = kms.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)
    assert dec["Plaintext"] == b"outlives its key"


def test_material_expiry_and_reimport(kms, clock):
    _expiry_then_reimport(kms, clock, "RSA_2048", "RSA_AES_KEY_WRAP_SHA_256", 32)


@needs_openssl
def test_material_expiry_and_reimport_sm4(kms_cn, clock):
    _expiry_then_reimport(kms_cn, clock, "SM2", "SM2PKE", 16)


def test_material_not_expired_just_before_valid_to(kms, clock):
    key_id = create_external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32), valid_to=clock.now() + 3600)
    clock.advance(3600 - 120)
    assert describe(kms, key_id)["KeyState"] == "Enabled"
    kms.encrypt(KeyId=key_id, Plaintext=b"x")


def test_does_not_expire_survives_a_year(kms, clock):
    key_id = create_external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32))  # KEY_MATERIAL_DOES_NOT_EXPIRE
    clock.advance(400 * 86400)
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    kms.encrypt(KeyId=key_id, Plaintext=b"x")


def test_import_token_expires_after_24_hours(kms, clock):
    key_id = create_external_key(kms)["KeyId"]
    material = os.urandom(32)
    params = import_params(kms, key_id, "RSA_2048", "RSAES_OAEP_SHA_256")
    valid_to = epoch(params["ParametersValidTo"])
    assert abs(valid_to - (clock.now() + 86400)) < 120
    wrapped = w.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256", material)

    clock.advance(86400 + 1)
    with raises_code("ExpiredImportTokenException"):
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
    assert describe(kms, key_id)["KeyState"] == "PendingImport"
    # a fresh token works
    import_material(kms, key_id, material)
    assert describe(kms, key_id)["KeyState"] == "Enabled"


def test_import_token_still_valid_just_before_24_hours(kms, clock):
    key_id = create_external_key(kms)["KeyId"]
    params = import_params(kms, key_id, "RSA_3072", "RSA_AES_KEY_WRAP_SHA_1")
    wrapped = w.wrap_material(params["PublicKey"], "RSA_AES_KEY_WRAP_SHA_1", os.urandom(32))
    clock.advance(86400 - 120)
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ValidTo=at(clock.now() + 3600),
    )
    assert describe(kms, key_id)["KeyState"] == "Enabled"


def test_expired_token_of_another_key(kms, clock):
    """An expired token is ExpiredImportToken before anything else is looked at (kms-core checks
    expiry before binding), or InvalidImportToken because it names another key."""
    a = create_external_key(kms)["KeyId"]
    b = create_external_key(kms)["KeyId"]
    params = import_params(kms, a, "RSA_2048", "RSAES_OAEP_SHA_256")
    wrapped = w.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    clock.advance(86400 + 60)
    with raises_code("ExpiredImportTokenException", "InvalidImportTokenException"):
        kms.import_key_material(
            KeyId=b,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )


def test_deletion_window_passes(kms, clock):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    now = clock.now()
    resp = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert abs(epoch(resp["DeletionDate"]) - (now + 7 * 86400)) < 120
    clock.advance(6 * 86400)
    assert describe(kms, key_id)["KeyState"] == "PendingDeletion"
    clock.advance(86400 + 60)

    def purged():
        with raises_code("NotFoundException"):
            kms.describe_key(KeyId=key_id)

    eventually(purged, timeout=15)
    assert key_id not in [k["KeyId"] for k in kms.list_keys()["Keys"]]


def test_material_expiry_while_pending_deletion_then_cancel(kms, clock):
    key_id = create_external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32), valid_to=clock.now() + 3600)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clock.advance(2 * 3600)
    assert describe(kms, key_id)["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=key_id)
    # the material is gone, so the key comes back PendingImport rather than Disabled
    eventually(lambda: _assert_state(kms, key_id, "PendingImport"))


def _assert_state(kms, key_id, state):
    got = describe(kms, key_id)["KeyState"]
    assert got == state, got
