"""Key rotation through the Tencent SDK (issue #17): EnableKeyRotation (RotateDays 7-365,
default 365), DisableKeyRotation, GetKeyRotationStatus, RotateKey, the rotation fields of
KeyMetadata, automatic rotation on the emulated clock (POST /_kmsgate/clock/advance), old
ciphertexts after rotations, and the refusals for imported keys (EnableKeyRotation:
UnsupportedOperation.ExternalCmkCanNotRotate; RotateKey: UnsupportedOperation.RotateNotSupported)."""

from __future__ import annotations

from kmsgate_tencent import b64, call, create_external, describe, import_material, material, raises_code, unb64

DAY = 86_400


def _encrypt(tc, key: str, data: bytes) -> str:
    return call(tc, "Encrypt", KeyId=key, Plaintext=b64(data))["CiphertextBlob"]


def _decrypts_to(tc, blob: str, data: bytes) -> None:
    out = call(tc, "Decrypt", CiphertextBlob=blob)
    assert unb64(out["Plaintext"]) == data


def _enabled(tc, key: str) -> bool:
    return call(tc, "GetKeyRotationStatus", KeyId=key)["KeyRotationEnabled"]


def test_enable_status_disable(tc, tencent_server):
    key = call(tc, "CreateKey", Alias="rot")["KeyId"]
    assert _enabled(tc, key) is False
    meta = describe(tc, key)
    assert (meta["KeyRotationEnabled"], meta["NextRotateTime"], meta["LastRotateTime"]) == (False, 0, 0)

    call(tc, "EnableKeyRotation", KeyId=key)
    assert _enabled(tc, key) is True
    meta = describe(tc, key)
    assert meta["RotateDays"] == 365
    assert abs(meta["NextRotateTime"] - (tencent_server.now() + 365 * DAY)) < 60

    for bad in (6, 366):
        with raises_code("InvalidParameterValue"):
            call(tc, "EnableKeyRotation", KeyId=key, RotateDays=bad)
    call(tc, "EnableKeyRotation", KeyId=key, RotateDays=30)
    assert describe(tc, key)["RotateDays"] == 30
    listed = call(tc, "ListKeyDetail")["KeyMetadatas"]
    assert [(m["KeyId"], m["KeyRotationEnabled"], m["RotateDays"]) for m in listed] == [(key, True, 30)]

    call(tc, "DisableKeyRotation", KeyId=key)
    assert _enabled(tc, key) is False
    assert describe(tc, key)["KeyRotationEnabled"] is False


def test_automatic_rotation_on_the_clock(tc, tencent_server):
    key = call(tc, "CreateKey", Alias="rot-auto")["KeyId"]
    call(tc, "EnableKeyRotation", KeyId=key, RotateDays=7)
    before = _encrypt(tc, key, b"before")
    planned = describe(tc, key)["NextRotateTime"]
    tencent_server.advance(7 * DAY + 60)
    meta = describe(tc, key)
    assert meta["LastRotateTime"] == planned
    assert meta["NextRotateTime"] == planned + 7 * DAY
    after = _encrypt(tc, key, b"after")
    _decrypts_to(tc, before, b"before")
    _decrypts_to(tc, after, b"after")


def test_rotate_key_now(tc, tencent_server):
    key = call(tc, "CreateKey", Alias="rot-now")["KeyId"]
    # RotateNotSupported's causes include "rotation not enabled".
    with raises_code("UnsupportedOperation.RotateNotSupported"):
        call(tc, "RotateKey", KeyId=key)
    call(tc, "EnableKeyRotation", KeyId=key)
    before = _encrypt(tc, key, b"old")
    out = call(tc, "RotateKey", KeyId=key)
    assert len(out["TaskId"]) == 36
    assert abs(describe(tc, key)["LastRotateTime"] - tencent_server.now()) < 60
    _decrypts_to(tc, before, b"old")
    call(tc, "DisableKey", KeyId=key)
    with raises_code("ResourceUnavailable.CmkStateNotSupport"):
        call(tc, "RotateKey", KeyId=key)


def test_imported_keys_cannot_rotate(tc):
    key = create_external(tc)
    import_material(tc, key, material("fips"))
    for params in ({}, {"RotateDays": 90}):
        with raises_code("UnsupportedOperation.ExternalCmkCanNotRotate"):
            call(tc, "EnableKeyRotation", KeyId=key, **params)
    # RotateNotSupported's causes name external keys ("外部密钥").
    with raises_code("UnsupportedOperation.RotateNotSupported"):
        call(tc, "RotateKey", KeyId=key)
    # DisableKeyRotation documents no rotation refusal: rotation is already off.
    call(tc, "DisableKeyRotation", KeyId=key)
    assert _enabled(tc, key) is False
    assert describe(tc, key)["KeyRotationEnabled"] is False


def test_asymmetric_keys_cannot_rotate(tc):
    key = call(tc, "CreateKey", Alias="rot-ecc", KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECC")["KeyId"]
    for action in ("EnableKeyRotation", "RotateKey"):
        with raises_code("UnsupportedOperation.RotateNotSupported"):
            call(tc, action, KeyId=key)
    assert _enabled(tc, key) is False
    meta = describe(tc, key)
    assert (meta["KeyRotationEnabled"], meta["LastRotateTime"]) == (False, 0)
