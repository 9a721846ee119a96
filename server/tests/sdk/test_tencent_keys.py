"""Key management through the Tencent SDK: CreateKey, aliases, states, deletion, listings and
the cryptographic calls."""

from __future__ import annotations

import json

from kmsgate_tencent import b64, call, create_external, describe, raises_code, unb64


def test_create_describe_and_alias_round_trip(tc, tencent_server):
    out = call(tc, "CreateKey", Alias="orders", Description="d", KeyUsage="ENCRYPT_DECRYPT",
               Tags=[{"TagKey": "env", "TagValue": "prod"}])
    key = out["KeyId"]
    assert (out["Alias"], out["KeyState"], out["TagCode"]) == ("orders", "Enabled", 0)
    meta = describe(tc, key)
    assert meta["Alias"] == "orders"
    assert (meta["Origin"], meta["Type"], meta["KeyUsage"], meta["Owner"]) == ("TENCENT_KMS", 2, "ENCRYPT_DECRYPT", "user")
    assert meta["CreatorUin"] == 100000000001
    assert meta["ResourceId"] == f"creatorUin/100000000001/{key}"
    assert abs(meta["CreateTime"] - tencent_server.now()) < 60
    with raises_code("InvalidParameterValue.AliasAlreadyExists"):
        call(tc, "CreateKey", Alias="orders")
    with raises_code("InvalidParameterValue.InvalidAlias"):
        call(tc, "CreateKey", Alias="kms-reserved")
    call(tc, "UpdateAlias", KeyId=key, Alias="orders-v2")
    assert describe(tc, key)["Alias"] == "orders-v2"
    listed = call(tc, "ListKeyDetail", SearchKeyAlias="orders-v")["KeyMetadatas"]
    assert [m["Alias"] for m in listed] == ["orders-v2"]
    assert call(tc, "ListKeyDetail", TagFilters=[{"TagKey": "env", "TagValue": ["prod"]}])["TotalCount"] == 1
    call(tc, "CreateKey", Alias="orders")  # the old name is free again
    call(tc, "UpdateKeyDescription", KeyId=key, Description="new")
    assert describe(tc, key)["Description"] == "new"


def test_states_and_deletion(tc):
    key = call(tc, "CreateKey", Alias="k")["KeyId"]
    with raises_code("ResourceUnavailable.CmkShouldBeDisabled"):
        call(tc, "ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    call(tc, "DisableKey", KeyId=key)
    with raises_code("InvalidParameter.InvalidPendingWindowInDays"):
        call(tc, "ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=31)
    out = call(tc, "ScheduleKeyDeletion", KeyId=key, PendingWindowInDays=7)
    meta = describe(tc, key)
    assert (meta["KeyState"], meta["DeletionDate"]) == ("PendingDelete", out["DeletionDate"])
    assert call(tc, "CancelKeyDeletion", KeyId=key)["KeyId"] == key
    assert describe(tc, key)["KeyState"] == "Disabled"
    with raises_code("ResourceUnavailable.CmkNotPendingDelete"):
        call(tc, "CancelKeyDeletion", KeyId=key)
    call(tc, "EnableKey", KeyId=key)
    assert describe(tc, key)["KeyState"] == "Enabled"


def test_listings(tc):
    ids = [call(tc, "CreateKey", Alias=f"l{i}", Type=1 + i % 2)["KeyId"] for i in range(5)]
    keys = call(tc, "ListKeys", Limit=2)
    assert keys["TotalCount"] == 5 and len(keys["Keys"]) == 2
    every = call(tc, "ListKeys", Offset=0, Limit=200)["Keys"]
    assert sorted(k["KeyId"] for k in every) == sorted(ids)
    assert call(tc, "ListKeyDetail", Origin="EXTERNAL")["TotalCount"] == 2
    assert call(tc, "ListKeyDetail", KeyState=4)["TotalCount"] == 2
    page = call(tc, "ListKeyDetail", Offset=4, Limit=10)
    assert page["TotalCount"] == 5 and len(page["KeyMetadatas"]) == 1
    found = call(tc, "DescribeKeys", KeyIds=ids[:3])["KeyMetadatas"]
    assert sorted(m["KeyId"] for m in found) == sorted(ids[:3])
    status = call(tc, "GetServiceStatus")
    assert status["ServiceEnabled"] is True and status["CmkUserCount"] == 5


def test_crypto_calls(tc):
    a = call(tc, "CreateKey", Alias="a")["KeyId"]
    b = call(tc, "CreateKey", Alias="b")["KeyId"]
    context = json.dumps({"purpose": "test"})
    blob = call(tc, "Encrypt", KeyId=a, Plaintext=b64(b"hello"), EncryptionContext=context)["CiphertextBlob"]
    out = call(tc, "Decrypt", CiphertextBlob=blob, EncryptionContext=context)
    assert unb64(out["Plaintext"]) == b"hello" and out["KeyId"] == a
    with raises_code("FailedOperation.DecryptError"):
        call(tc, "Decrypt", CiphertextBlob=blob)
    with raises_code("InvalidParameterValue.InvalidCiphertext"):
        call(tc, "Decrypt", CiphertextBlob=b64(b"not ours"))
    moved = call(tc, "ReEncrypt", CiphertextBlob=blob, SourceEncryptionContext=context, DestinationKeyId=b)
    assert (moved["KeyId"], moved["SourceKeyId"], moved["ReEncrypted"]) == (b, a, True)
    assert unb64(call(tc, "Decrypt", CiphertextBlob=moved["CiphertextBlob"])["Plaintext"]) == b"hello"
    dk = call(tc, "GenerateDataKey", KeyId=a, KeySpec="AES_256")
    assert len(unb64(dk["Plaintext"])) == 32
    assert call(tc, "Decrypt", CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    assert len(unb64(call(tc, "GenerateDataKey", KeyId=a, NumberOfBytes=64)["Plaintext"])) == 64
    assert len(unb64(call(tc, "GenerateRandom", NumberOfBytes=48)["Plaintext"])) == 48


def test_regions_are_separate_key_spaces(tencent_server, tc):
    import kmsgate_tencent as kt
    key = create_external(tc)
    elsewhere = kt.client(tencent_server.endpoint, kt.fresh_region())
    with raises_code("ResourceUnavailable.CmkNotFound"):
        describe(elsewhere, key)
    assert call(elsewhere, "ListKeys")["TotalCount"] == 0
