"""Key management, aliases and cryptography through huaweicloudsdkkms against kmsgate-huawei."""

from __future__ import annotations

import hashlib

from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw


def op(key_id):
    return m.OperateKeyRequestBody(key_id=key_id)


def test_key_lifecycle_and_listing(huawei_server, hw_kms):
    kms = hw_kms
    body = m.CreateKeyRequestBody(key_alias="orders/main", key_spec="AES_256", key_description="d1")
    key_id = kms.create_key(m.CreateKeyRequest(body=body)).key_info.key_id
    info = hw.describe(kms, key_id)
    assert (info.key_alias, info.key_state, info.origin, info.key_description) == ("orders/main", "2", "kms", "d1")
    assert info.creation_date.isdigit()
    with hw.raises_code("KMS.1104"):
        kms.create_key(m.CreateKeyRequest(body=m.CreateKeyRequestBody(key_alias="orders/main")))
    with hw.raises_code("KMS.0204"):
        kms.create_key(m.CreateKeyRequest(body=m.CreateKeyRequestBody(key_spec="AES_256")))
    # an RSA key cannot be an HMAC key (nothing is created: the listing below counts two keys)
    with hw.raises_code("KMS.0308"):
        kms.create_key(m.CreateKeyRequest(body=m.CreateKeyRequestBody(
            key_alias="rsa", key_spec="RSA_2048", key_usage="GENERATE_VERIFY_MAC")))

    assert kms.disable_key(m.DisableKeyRequest(body=op(key_id))).key_info.key_state == "3"
    with hw.raises_code("KMS.0209"):
        hw.encrypt(kms, key_id, "x")
    assert kms.enable_key(m.EnableKeyRequest(body=op(key_id))).key_info.key_state == "2"
    kms.update_key_alias(m.UpdateKeyAliasRequest(body=m.UpdateKeyAliasRequestBody(key_id=key_id, key_alias="renamed")))
    kms.update_key_description(
        m.UpdateKeyDescriptionRequest(body=m.UpdateKeyDescriptionRequestBody(key_id=key_id, key_description="d2"))
    )
    info = hw.describe(kms, key_id)
    assert (info.key_alias, info.key_description) == ("renamed", "d2")

    sm4 = hw.create_key(kms, "external", "SM4")
    listed = kms.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(limit="1", key_spec="ALL")))
    assert (listed.total, listed.truncated, len(listed.keys)) == (2, "true", 1)
    rest = kms.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(limit="1", key_spec="ALL", marker=listed.next_marker)))
    assert sorted(listed.keys + rest.keys) == sorted([key_id, sm4])
    assert rest.truncated == "false"
    pending = kms.list_keys(m.ListKeysRequest(body=m.ListKeysRequestBody(key_spec="ALL", key_state="5")))
    assert [d.key_id for d in pending.key_details] == [sm4]

    with hw.raises_code("KMS.1401"):
        kms.delete_key(m.DeleteKeyRequest(body=m.ScheduleKeyDeletionRequestBody(key_id=key_id, pending_days="6")))
    out = kms.delete_key(m.DeleteKeyRequest(body=m.ScheduleKeyDeletionRequestBody(key_id=key_id, pending_days="7")))
    assert out.key_state == "4"
    with hw.raises_code("KMS.0210"):
        hw.encrypt(kms, key_id, "x")
    assert kms.cancel_key_deletion(m.CancelKeyDeletionRequest(body=op(key_id))).key_state == "3"
    kms.delete_key(m.DeleteKeyRequest(body=m.ScheduleKeyDeletionRequestBody(key_id=key_id, pending_days="7")))
    huawei_server.advance(7 * 86400)
    with hw.raises_code("KMS.0207", 404):
        hw.describe(kms, key_id)


def test_aliases(hw_kms):
    kms = hw_kms
    a, b = hw.create_key(kms), hw.create_key(kms)
    made = kms.create_alias(m.CreateAliasRequest(body=m.CreateAliasRequestBody(key_id=a, alias="kms-1234")))
    assert (made.alias, made.key_id) == ("kms-1234", a)
    with hw.raises_code("KMS.1104"):
        kms.create_alias(m.CreateAliasRequest(body=m.CreateAliasRequestBody(key_id=b, alias="kms-1234")))
    moved = kms.associate_alias(m.AssociateAliasRequest(body=m.AssociateAliasRequestBody(alias="kms-1234", target_key_id=b)))
    assert moved.key_id == b
    listed = kms.list_aliases(m.ListAliasesRequest(key_id=b))
    assert [x.alias for x in listed.body[0].aliases] == ["kms-1234"]
    kms.delete_alias(m.DeleteAliasRequest(body=m.DeleteAliasRequestBody(aliases=["kms-1234"], key_id=b)))
    assert kms.list_aliases(m.ListAliasesRequest()).body[0].aliases == []


def test_cryptography(hw_kms):
    kms = hw_kms
    key_id = hw.create_key(kms, "kms", "AES_256")
    enc = kms.encrypt_data(
        m.EncryptDataRequest(body=m.EncryptDataRequestBody(key_id=key_id, plain_text="hi", additional_authenticated_data="aad"))
    )
    dec = kms.decrypt_data(
        m.DecryptDataRequest(body=m.DecryptDataRequestBody(cipher_text=enc.cipher_text, additional_authenticated_data="aad"))
    )
    assert dec.plain_text == "hi"
    with hw.raises_code("KMS.0308"):
        hw.decrypt(kms, enc.cipher_text)

    dek = bytes(range(32))
    plain = (dek + hashlib.sha256(dek).digest()).hex()
    wrapped = kms.encrypt_datakey(
        m.EncryptDatakeyRequest(body=m.EncryptDatakeyRequestBody(key_id=key_id, plain_text=plain, datakey_plain_length="32"))
    )
    back = kms.decrypt_datakey(
        m.DecryptDatakeyRequest(
            body=m.DecryptDatakeyRequestBody(key_id=key_id, cipher_text=wrapped.cipher_text, datakey_cipher_length="32")
        )
    )
    assert (back.data_key, back.datakey_dgst) == (dek.hex(), hashlib.sha256(dek).hexdigest())
    no_plain = kms.create_datakey_without_plaintext(
        m.CreateDatakeyWithoutPlaintextRequest(body=m.CreateDatakeyRequestBody(key_id=key_id, key_spec="AES_128"))
    )
    assert no_plain.cipher_text

    other = hw.create_key(kms, "kms", "SM4")
    moved = kms.re_encrypt(
        m.ReEncryptRequest(
            body=m.ReEncryptRequestBody(
                cipher_text=enc.cipher_text, destination_key_id=other, source_additional_authenticated_data="aad"
            )
        )
    )
    assert (moved.key_id, moved.source_key_id) == (other, key_id)
    assert hw.decrypt(kms, moved.cipher_text) == "hi"

    rnd = kms.create_random(m.CreateRandomRequest(body=m.GenRandomRequestBody(random_data_length="512")))
    assert len(bytes.fromhex(rnd.random_data)) == 64
