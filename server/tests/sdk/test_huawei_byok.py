"""Bring your own key through huaweicloudsdkkms against kmsgate-huawei: RSAES_OAEP_SHA_256 and
SM2_ENCRYPT wrapping into AES_256 and SM4 keys, expiry by the emulated clock, re-import of the
same material, refusal of other material, deletion of imported material, and each import error."""

from __future__ import annotations

import re

import pytest
from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw
import kmsgate_wrap

needs_openssl = pytest.mark.skipif(kmsgate_wrap.openssl_path() is None, reason="openssl is not on PATH")

CASES = [
    ("RSAES_OAEP_SHA_256", "AES_256"),
    ("RSAES_OAEP_SHA_256", "SM4"),
    pytest.param("SM2_ENCRYPT", "AES_256", marks=needs_openssl),
    pytest.param("SM2_ENCRYPT", "SM4", marks=needs_openssl),
]


@pytest.mark.parametrize("algorithm,spec", CASES)
def test_byok_flow(huawei_server, hw_kms, algorithm, spec):
    kms = hw_kms
    key_id = hw.create_key(kms, "external", spec)
    assert re.match(hw.KEY_ID, key_id)
    info = hw.describe(kms, key_id)
    assert (info.key_state, info.origin, info.key_spec) == ("5", "external", spec)

    now = int(huawei_server.now())
    p = hw.params(kms, key_id, algorithm)
    assert p.key_id == key_id
    assert 200 <= len(p.import_token) <= 6144
    assert now + 24 * 3600 - 5 <= int(p.expiration_time) <= now + 24 * 3600 + 5

    material = hw.random_material(spec)
    wrapped = hw.wrap(p.public_key, algorithm, material)
    if algorithm == "RSAES_OAEP_SHA_256":
        assert len(wrapped) == 344
    expires = now + 3600
    hw.import_material(kms, key_id, p, wrapped, expiration_time=expires)
    info = hw.describe(kms, key_id)
    assert info.key_state == "2"
    assert info.expiration_time == str(expires * 1000)

    ct = hw.encrypt(kms, key_id, "secret payload")
    assert len(ct) >= 128
    assert hw.decrypt(kms, ct) == "secret payload"
    dk = kms.create_datakey(m.CreateDatakeyRequest(body=m.CreateDatakeyRequestBody(key_id=key_id, datakey_length="256")))
    back = kms.decrypt_datakey(
        m.DecryptDatakeyRequest(
            body=m.DecryptDatakeyRequestBody(key_id=key_id, cipher_text=dk.cipher_text, datakey_cipher_length="32")
        )
    )
    assert back.data_key == dk.plain_text

    # the material is deleted at expiration_time (emulated clock)
    huawei_server.advance(3600)
    assert hw.describe(kms, key_id).key_state == "5"
    with hw.raises_code("KMS.0310"):
        hw.decrypt(kms, ct)

    # the same material again, with a new expiration: old ciphertexts decrypt again
    p2 = hw.params(kms, key_id, algorithm)
    hw.import_material(kms, key_id, p2, hw.wrap(p2.public_key, algorithm, material), expiration_time=str(int(huawei_server.now()) + 7200))
    assert hw.describe(kms, key_id).key_state == "2"
    assert hw.decrypt(kms, ct) == "secret payload"

    # other material is refused and changes nothing
    other = hw.random_material(spec)
    with hw.raises_code("KMS.2606") as info:
        hw.import_material(kms, key_id, p2, hw.wrap(p2.public_key, algorithm, other))
    assert "differs" in info.value.error_msg
    assert hw.decrypt(kms, ct) == "secret payload"

    # delete-imported-key-material: back to pending import
    kms.delete_imported_key_material(
        m.DeleteImportedKeyMaterialRequest(body=m.OperateKeyRequestBody(key_id=key_id))
    )
    assert hw.describe(kms, key_id).key_state == "5"
    with hw.raises_code("KMS.0310"):
        hw.encrypt(kms, key_id, "x")
    hw.import_material(kms, key_id, p2, hw.wrap(p2.public_key, algorithm, material))
    assert hw.decrypt(kms, ct) == "secret payload"
    assert hw.describe(kms, key_id).expiration_time == ""


def test_java_style_oaep_sha256_with_mgf1_sha1_imports(hw_kms):
    key_id = hw.create_key(hw_kms, "external", "AES_256")
    p = hw.params(hw_kms, key_id, "RSAES_OAEP_SHA_256")
    material = hw.random_material("AES_256")
    hw.import_material(hw_kms, key_id, p, hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", material, java_mgf1_sha1=True))
    assert hw.describe(hw_kms, key_id).key_state == "2"


def test_import_errors(huawei_server, hw_kms):
    kms = hw_kms
    key_id = hw.create_key(kms, "external", "AES_256")
    p = hw.params(kms, key_id, "RSAES_OAEP_SHA_256")
    good = hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", hw.random_material("AES_256"))

    # external keys only
    kms_key = hw.create_key(kms, "kms", "AES_256")
    with hw.raises_code("KMS.0309"):
        hw.params(kms, kms_key, "RSAES_OAEP_SHA_256")
    with hw.raises_code("KMS.0309"):
        kms.delete_imported_key_material(m.DeleteImportedKeyMaterialRequest(body=m.OperateKeyRequestBody(key_id=kms_key)))
    # missing and invalid parameters (the SDK validates nothing client-side)
    with hw.raises_code("KMS.0204"):
        kms.create_parameters_for_import(
            m.CreateParametersForImportRequest(body=m.GetParametersForImportRequestBody(key_id=key_id))
        )
    with hw.raises_code("KMS.0308"):
        hw.params(kms, key_id, "RSA_AES_KEY_WRAP_SHA_256")
    with hw.raises_code("KMS.0205"):
        hw.params(kms, "not-a-key-id", "RSAES_OAEP_SHA_256")
    with hw.raises_code("KMS.0207", 404):
        hw.params(kms, "00000000-0000-4000-8000-000000000000", "RSAES_OAEP_SHA_256")
    # seed patterns: 343/361 material characters, 199 token characters
    for bad in (good[:-1], good + "A" * 17):
        with hw.raises_code("KMS.0308"):
            hw.import_material(kms, key_id, p, bad)
    short = m.ImportKeyMaterialRequestBody(key_id=key_id, import_token="A" * 199, encrypted_key_material=good)
    with hw.raises_code("KMS.0308"):
        kms.import_key_material(m.ImportKeyMaterialRequest(body=short))
    # unwrap failure
    garbage = "B" + good[1:] if good[0] != "B" else "C" + good[1:]
    with hw.raises_code("KMS.0311"):
        hw.import_material(kms, key_id, p, garbage)
    # a token for another key
    other = hw.create_key(kms, "external", "AES_256")
    with hw.raises_code("KMS.2603"):
        hw.import_material(kms, key_id, hw.params(kms, other, "RSAES_OAEP_SHA_256"), good)
    # 128-bit material into an AES_256 key
    with hw.raises_code("KMS.2604"):
        hw.import_material(kms, key_id, p, hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", b"\x01" * 16))
    # the import token expires after 24 h of emulated time
    huawei_server.advance(24 * 3600)
    with hw.raises_code("KMS.2605") as info:
        hw.import_material(kms, key_id, p, good)
    assert "expired" in info.value.error_msg
    # wrong state: pending deletion
    kms.delete_key(m.DeleteKeyRequest(body=m.ScheduleKeyDeletionRequestBody(key_id=key_id, pending_days="7")))
    with hw.raises_code("KMS.0310"):
        hw.params(kms, key_id, "RSAES_OAEP_SHA_256")
