"""Key rotation through boto3 (#17): the AWS developer guide's flow for imported material
(NEW_KEY_MATERIAL, RotateKeyOnDemand, ListKeyRotations, delete and re-import by KeyMaterialId),
automatic rotation of generated keys on the emulated clock, and the refusals."""

from __future__ import annotations

import os

from kmsgate_sdk import create_external_key, describe, import_material, raises_code


def _materials(kms, key_id, include="ALL_KEY_MATERIAL"):
    return [
        (r["KeyMaterialId"], r["KeyMaterialState"])
        for r in kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial=include)["Rotations"]
    ]


def test_imported_material_rotates_on_demand(kms):
    key_id = create_external_key(kms)["KeyId"]
    first, second = os.urandom(32), os.urandom(32)
    a = import_material(kms, key_id, first)["KeyMaterialId"]
    b = import_material(
        kms, key_id, second, ImportType="NEW_KEY_MATERIAL", KeyMaterialDescription="rotation 1"
    )["KeyMaterialId"]
    assert a != b
    assert _materials(kms, key_id) == [(a, "CURRENT"), (b, "PENDING_ROTATION")]
    assert describe(kms, key_id)["CurrentKeyMaterialId"] == a

    under_a = kms.encrypt(KeyId=key_id, Plaintext=b"one")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    under_b = kms.encrypt(KeyId=key_id, Plaintext=b"two")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=under_a)["KeyMaterialId"] == a
    assert kms.decrypt(CiphertextBlob=under_b)["KeyMaterialId"] == b
    assert describe(kms, key_id)["CurrentKeyMaterialId"] == b
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"]) for r in rotations] == [(b, "ON_DEMAND")]
    listed = {r["KeyMaterialId"]: r for r in kms.list_key_rotations(
        KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]}
    assert listed[a]["KeyMaterialState"] == "NON_CURRENT"
    assert listed[b]["KeyMaterialDescription"] == "rotation 1"
    assert listed[b]["ImportState"] == "IMPORTED"

    # Deleting a material that is not pending rotation makes the whole key PendingImport.
    kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=a)
    assert describe(kms, key_id)["KeyState"] == "PendingImport"
    with raises_code("KMSInvalidStateException"):
        kms.decrypt(CiphertextBlob=under_b)
    import_material(
        kms, key_id, first, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=a
    )
    assert describe(kms, key_id)["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=under_a)["Plaintext"] == b"one"
    assert kms.decrypt(CiphertextBlob=under_b)["Plaintext"] == b"two"


def test_generated_keys_rotate_on_the_clock(kms, clock):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    before = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    first = kms.decrypt(CiphertextBlob=before)["KeyMaterialId"]

    clock.advance(91 * 86400)

    after = kms.encrypt(KeyId=key_id, Plaintext=b"new")["CiphertextBlob"]
    second = kms.decrypt(CiphertextBlob=after)["KeyMaterialId"]
    assert second != first
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"old"
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_the_refusals(kms):
    external = create_external_key(kms)["KeyId"]
    with raises_code("UnsupportedOperationException") as refused:
        kms.enable_key_rotation(KeyId=external)
    # AWS's words for an origin an operation does not take.
    assert refused.value.response["Error"]["Message"].endswith(
        "origin is EXTERNAL which is not valid for this operation."), refused.value.response
    import_material(kms, external, os.urandom(32))
    with raises_code("KMSInvalidStateException"):
        kms.rotate_key_on_demand(KeyId=external)
    with raises_code("ValidationException"):
        kms.enable_key_rotation(
            KeyId=kms.create_key()["KeyMetadata"]["KeyId"], RotationPeriodInDays=3000
        )
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    with raises_code("UnsupportedOperationException") as refused:
        kms.rotate_key_on_demand(KeyId=hmac)
    # As recorded against AWS (LocalStack's snapshot): the code with an empty message.
    assert refused.value.response["Error"].get("Message", "") == "", refused.value.response
    # Its status is "not enabled", not a refusal (the Terraform provider reads it for every key).
    assert kms.get_key_rotation_status(KeyId=hmac)["KeyRotationEnabled"] is False
