"""Key management through boto3: keys, listing, aliases, tags, deletion windows, identifiers,
account/region isolation, data keys and random bytes."""

from __future__ import annotations

import os
import uuid

import pytest

from kmsgate_sdk import (
    UUID,
    arn_of,
    create_external_key,
    describe,
    epoch,
    import_material,
    raises_code,
    random_account,
)


def test_create_key_defaults(kms, account, clock):
    resp = kms.create_key(Description="plain")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ResponseMetadata"].get("RequestId"), "no x-amzn-RequestId header"
    meta = resp["KeyMetadata"]
    assert UUID.match(meta["KeyId"]), meta["KeyId"]
    assert meta["Arn"] == arn_of("us-east-1", account, meta["KeyId"])
    assert meta["AWSAccountId"] == account
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["Origin"] == "AWS_KMS"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Description"] == "plain"
    assert "SYMMETRIC_DEFAULT" in meta.get("EncryptionAlgorithms", ["SYMMETRIC_DEFAULT"])
    assert abs(epoch(meta["CreationDate"]) - clock.now()) < 120
    assert "ExpirationModel" not in meta and "ValidTo" not in meta


def test_default_account_for_non_numeric_access_key(make_client):
    kms = make_client("us-east-1", "AKIDEXAMPLE")
    meta = kms.create_key()["KeyMetadata"]
    assert meta["Arn"] == arn_of("us-east-1", "000000000000", meta["KeyId"])


def test_update_key_description(kms):
    key_id = kms.create_key(Description="old")["KeyMetadata"]["KeyId"]
    kms.update_key_description(KeyId=key_id, Description="new")
    assert describe(kms, key_id)["Description"] == "new"


def test_encrypt_decrypt_aws_kms_key(kms, account):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    arn = arn_of("us-east-1", account, key_id)
    for plaintext in (b"\x00", os.urandom(4096)):
        ct = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
        dec = kms.decrypt(CiphertextBlob=ct)
        assert dec["Plaintext"] == plaintext
        assert dec["KeyId"] == arn


def test_sm4_key_in_china(kms_cn, account):
    meta = kms_cn.create_key()["KeyMetadata"]
    assert meta["Arn"] == arn_of("cn-north-1", account, meta["KeyId"])
    ct = kms_cn.encrypt(KeyId=meta["KeyId"], Plaintext=b"sm4")["CiphertextBlob"]
    assert kms_cn.decrypt(CiphertextBlob=ct)["Plaintext"] == b"sm4"


def test_key_arn_as_key_id(kms):
    meta = kms.create_key()["KeyMetadata"]
    arn = meta["Arn"]
    assert describe(kms, arn)["KeyId"] == meta["KeyId"]
    ct = kms.encrypt(KeyId=arn, Plaintext=b"by arn")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct, KeyId=arn)["Plaintext"] == b"by arn"
    kms.disable_key(KeyId=arn)
    assert describe(kms, meta["KeyId"])["KeyState"] == "Disabled"
    kms.enable_key(KeyId=arn)
    kms.update_key_description(KeyId=arn, Description="via arn")
    assert describe(kms, arn)["Description"] == "via arn"


# ---- listing -------------------------------------------------------------------------------


def test_list_keys_paging(kms):
    created = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)}
    created.add(create_external_key(kms)["KeyId"])
    seen = []
    marker = None
    for _ in range(10):
        kw = {"Limit": 1}
        if marker:
            kw["Marker"] = marker
        page = kms.list_keys(**kw)
        assert len(page["Keys"]) <= 1
        for entry in page["Keys"]:
            assert entry["KeyArn"].endswith(":key/" + entry["KeyId"])
            seen.append(entry["KeyId"])
        if not page.get("Truncated"):
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
        assert marker
    else:
        pytest.fail("ListKeys never stopped being Truncated")
    assert len(seen) == len(set(seen)) == 4
    assert set(seen) == created
    # one big page gives the same keys
    whole = kms.list_keys(Limit=1000)
    assert {k["KeyId"] for k in whole["Keys"]} == created
    assert not whole.get("Truncated")
    # and the paginator drives Marker itself
    pages = kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2})
    assert {k["KeyId"] for p in pages for k in p["Keys"]} == created


def test_list_keys_bad_marker(kms):
    kms.create_key()
    with raises_code("InvalidMarkerException", "ValidationException"):
        kms.list_keys(Limit=1, Marker="not-a-marker-we-issued")


# ---- aliases --------------------------------------------------------------------------------


def test_aliases(kms, account):
    k1 = kms.create_key()["KeyMetadata"]["KeyId"]
    k2 = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"alias/sdk-test-{uuid.uuid4().hex[:8]}"
    alias_arn = f"arn:aws:kms:us-east-1:{account}:{name}"
    kms.create_alias(AliasName=name, TargetKeyId=k1)

    assert describe(kms, name)["KeyId"] == k1
    assert describe(kms, alias_arn)["KeyId"] == k1
    enc = kms.encrypt(KeyId=name, Plaintext=b"via alias")
    assert enc["KeyId"] == arn_of("us-east-1", account, k1)
    assert kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])["Plaintext"] == b"via alias"
    enc2 = kms.encrypt(KeyId=alias_arn, Plaintext=b"via alias arn")
    assert kms.decrypt(CiphertextBlob=enc2["CiphertextBlob"], KeyId=name)["Plaintext"] == (
        b"via alias arn"
    )
    dk = kms.generate_data_key(KeyId=name, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]

    listed = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert name in listed
    assert listed[name]["TargetKeyId"] == k1
    assert listed[name]["AliasArn"] == alias_arn
    for_k1 = kms.list_aliases(KeyId=k1)["Aliases"]
    assert [a["AliasName"] for a in for_k1] == [name]
    assert kms.list_aliases(KeyId=k2)["Aliases"] == []

    with raises_code("AlreadyExistsException"):
        kms.create_alias(AliasName=name, TargetKeyId=k2)

    kms.update_alias(AliasName=name, TargetKeyId=k2)
    assert describe(kms, name)["KeyId"] == k2
    # ciphertexts made through the alias still name the old key
    assert kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])["Plaintext"] == b"via alias"

    kms.delete_alias(AliasName=name)
    with raises_code("NotFoundException"):
        kms.describe_key(KeyId=name)
    assert name not in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    with raises_code("NotFoundException"):
        kms.delete_alias(AliasName=name)
    # the keys themselves are untouched
    assert describe(kms, k1)["KeyState"] == "Enabled"


@pytest.mark.parametrize("name,code", [
    ("alias/aws/mine", "InvalidAliasNameException"),
    ("alias/aws/s3", "InvalidAliasNameException"),
    ("alias/a:b", "InvalidAliasNameException"),
    # As AWS answers a name without the prefix (LocalStack's snapshot recorded against AWS).
    ("no-prefix", "ValidationException"),
    ("alias/bad name", "ValidationException"),
])
def test_invalid_alias_names(kms, name, code):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code(code):
        kms.create_alias(AliasName=name, TargetKeyId=key_id)


@pytest.mark.parametrize("name,code", [
    ("alias/aws/s3", "NotFoundException"),
    ("alias/a:b", "NotFoundException"),
    ("no-prefix", "ValidationException"),
])
def test_update_and_delete_refuse_impossible_alias_names_with_codes_their_models_list(kms, name, code):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code(code):
        kms.update_alias(AliasName=name, TargetKeyId=key_id)
    with raises_code(code):
        kms.delete_alias(AliasName=name)


def test_reserved_alias_prefix_is_invalid_alias_name(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("InvalidAliasNameException"):
        kms.create_alias(AliasName="alias/aws/reserved", TargetKeyId=key_id)


def test_alias_to_unknown_key(kms):
    with raises_code("NotFoundException"):
        kms.create_alias(AliasName="alias/orphan", TargetKeyId=str(uuid.uuid4()))


def test_alias_on_pending_import_key(kms):
    key_id = create_external_key(kms)["KeyId"]
    kms.create_alias(AliasName="alias/byok", TargetKeyId=key_id)
    with raises_code("KMSInvalidStateException"):
        kms.encrypt(KeyId="alias/byok", Plaintext=b"x")
    import_material(kms, key_id, os.urandom(32))
    ct = kms.encrypt(KeyId="alias/byok", Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"x"


def test_alias_names_are_per_account_and_region(make_client, account):
    us = make_client("us-east-1", account)
    eu = make_client("eu-west-1", account)
    other = make_client("us-east-1")
    for c in (us, eu, other):
        kid = c.create_key()["KeyMetadata"]["KeyId"]
        c.create_alias(AliasName="alias/shared-name", TargetKeyId=kid)
        assert describe(c, "alias/shared-name")["KeyId"] == kid


# ---- tags -----------------------------------------------------------------------------------


def _tags(kms, key_id):
    return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}


def test_tags(kms):
    key_id = kms.create_key(
        Tags=[{"TagKey": "team", "TagValue": "infra"}, {"TagKey": "env", "TagValue": "test"}]
    )["KeyMetadata"]["KeyId"]
    assert _tags(kms, key_id) == {"team": "infra", "env": "test"}

    kms.tag_resource(
        KeyId=key_id,
        Tags=[{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "cost", "TagValue": ""}],
    )
    assert _tags(kms, key_id) == {"team": "infra", "env": "prod", "cost": ""}

    kms.untag_resource(KeyId=key_id, TagKeys=["team", "not-there"])
    assert _tags(kms, key_id) == {"env": "prod", "cost": ""}

    meta = describe(kms, key_id)
    kms.tag_resource(KeyId=meta["Arn"], Tags=[{"TagKey": "by", "TagValue": "arn"}])
    assert _tags(kms, meta["Arn"])["by"] == "arn"


def test_tags_on_external_key(kms):
    key_id = create_external_key(kms, Tags=[{"TagKey": "byok", "TagValue": "yes"}])["KeyId"]
    assert _tags(kms, key_id) == {"byok": "yes"}


def test_tags_of_unknown_key(kms):
    with raises_code("NotFoundException"):
        kms.list_resource_tags(KeyId=str(uuid.uuid4()))
    with raises_code("NotFoundException"):
        kms.tag_resource(KeyId=str(uuid.uuid4()), Tags=[{"TagKey": "a", "TagValue": "b"}])


def test_reserved_tag_prefix(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("TagException", "ValidationException"):
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])


# ---- deletion --------------------------------------------------------------------------------


def test_schedule_and_cancel_deletion(kms, account, clock):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    now = clock.now()
    resp = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert resp["KeyId"] == arn_of("us-east-1", account, key_id)
    assert resp["KeyState"] == "PendingDeletion"
    assert resp.get("PendingWindowInDays", 7) == 7
    assert abs(epoch(resp["DeletionDate"]) - (now + 7 * 86400)) < 120
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "PendingDeletion" and meta["Enabled"] is False
    assert abs(epoch(meta["DeletionDate"]) - (now + 7 * 86400)) < 120
    with raises_code("KMSInvalidStateException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    with raises_code("KMSInvalidStateException"):
        kms.enable_key(KeyId=key_id)
    with raises_code("KMSInvalidStateException"):
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    cancel = kms.cancel_key_deletion(KeyId=key_id)
    assert cancel["KeyId"] == arn_of("us-east-1", account, key_id)
    meta = describe(kms, key_id)
    assert meta["KeyState"] == "Disabled"
    assert "DeletionDate" not in meta
    kms.enable_key(KeyId=key_id)
    assert describe(kms, key_id)["KeyState"] == "Enabled"


def test_default_deletion_window_is_30_days(kms, clock):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    now = clock.now()
    resp = kms.schedule_key_deletion(KeyId=key_id)
    assert abs(epoch(resp["DeletionDate"]) - (now + 30 * 86400)) < 120


@pytest.mark.parametrize("days", [6, 31, 365])
def test_deletion_window_out_of_range(kms, days):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("ValidationException"):
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
    assert describe(kms, key_id)["KeyState"] == "Enabled"


def test_cancel_deletion_of_pending_import_key(kms):
    key_id = create_external_key(kms)["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)
    with raises_code("KMSInvalidStateException"):
        import_material(kms, key_id, os.urandom(32))
    kms.cancel_key_deletion(KeyId=key_id)
    assert describe(kms, key_id)["KeyState"] == "PendingImport"


def test_cancel_deletion_of_key_not_pending_deletion(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("KMSInvalidStateException"):
        kms.cancel_key_deletion(KeyId=key_id)


def test_delete_imported_material_keeps_pending_deletion(kms):
    key_id = create_external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32))
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    kms.delete_imported_key_material(KeyId=key_id)
    assert describe(kms, key_id)["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=key_id)
    assert describe(kms, key_id)["KeyState"] == "PendingImport"


# ---- isolation --------------------------------------------------------------------------------


def test_account_isolation(make_client):
    a_account, b_account = random_account(), random_account()
    kms_a = make_client("us-east-1", a_account)
    kms_b = make_client("us-east-1", b_account)
    meta = kms_a.create_key(Description="A's")["KeyMetadata"]
    key_id, arn = meta["KeyId"], meta["Arn"]
    assert f":{a_account}:" in arn
    ct = kms_a.encrypt(KeyId=key_id, Plaintext=b"for A only")["CiphertextBlob"]

    with raises_code("NotFoundException"):
        kms_b.describe_key(KeyId=key_id)
    with raises_code("NotFoundException"):
        kms_b.encrypt(KeyId=key_id, Plaintext=b"x")
    with raises_code("NotFoundException", "InvalidCiphertextException"):
        kms_b.decrypt(CiphertextBlob=ct)
    assert key_id not in {k["KeyId"] for k in kms_b.list_keys(Limit=1000)["Keys"]}
    # A's ARN names A's account: B may not reach it (no cross-account grants in kmsgate)
    with raises_code("NotFoundException", "AccessDeniedException"):
        kms_b.describe_key(KeyId=arn)
    assert kms_a.decrypt(CiphertextBlob=ct)["Plaintext"] == b"for A only"


def test_region_isolation(make_client, account):
    us = make_client("us-east-1", account)
    eu = make_client("eu-west-1", account)
    key_id = us.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("NotFoundException"):
        eu.describe_key(KeyId=key_id)
    assert key_id not in {k["KeyId"] for k in eu.list_keys(Limit=1000)["Keys"]}
    eu_meta = eu.create_key()["KeyMetadata"]
    assert eu_meta["Arn"] == arn_of("eu-west-1", account, eu_meta["KeyId"])


# ---- data keys, re-encryption, random ---------------------------------------------------------


def test_generate_data_key_variants(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for kw, n in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 64}, 64)):
        dk = kms.generate_data_key(KeyId=key_id, **kw)
        assert len(dk["Plaintext"]) == n
        assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    wp = kms.generate_data_key_without_plaintext(
        KeyId=key_id, KeySpec="AES_256", EncryptionContext={"k": "v"}
    )
    assert "Plaintext" not in wp
    dec = kms.decrypt(CiphertextBlob=wp["CiphertextBlob"], EncryptionContext={"k": "v"})
    assert len(dec["Plaintext"]) == 32


def test_generate_data_key_needs_a_size(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with raises_code("ValidationException"):
        kms.generate_data_key(KeyId=key_id)
    with raises_code("ValidationException"):
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", NumberOfBytes=32)


def test_re_encrypt(kms, account):
    src = create_external_key(kms)["KeyId"]
    import_material(kms, src, os.urandom(32))
    dst = kms.create_key()["KeyMetadata"]["KeyId"]
    ct = kms.encrypt(KeyId=src, Plaintext=b"move me", EncryptionContext={"a": "1"})[
        "CiphertextBlob"
    ]
    re = kms.re_encrypt(
        CiphertextBlob=ct,
        SourceEncryptionContext={"a": "1"},
        DestinationKeyId=dst,
        DestinationEncryptionContext={"b": "2"},
    )
    assert re["SourceKeyId"] == arn_of("us-east-1", account, src)
    assert re["KeyId"] == arn_of("us-east-1", account, dst)
    dec = kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert dec["Plaintext"] == b"move me"
    assert dec["KeyId"] == arn_of("us-east-1", account, dst)
    with raises_code("InvalidCiphertextException"):
        kms.re_encrypt(CiphertextBlob=ct, DestinationKeyId=dst)  # source context missing


def test_generate_random(kms):
    a = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    b = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    assert len(a) == len(b) == 32
    assert a != b
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
