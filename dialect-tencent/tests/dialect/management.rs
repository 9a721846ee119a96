//! Key management: CreateKey rules, aliases, states, deletion, listings, crypto helpers.

use serde_json::{Value, json};

use crate::support::*;

#[test]
fn create_key_validates_like_tencent() {
    let h = harness();
    let out = h.ok(
        "CreateKey",
        json!({ "Alias": "orders-1", "Description": "d", "KeyUsage": "ENCRYPT_DECRYPT", "Tags": [{ "TagKey": "k", "TagValue": "v" }] }),
    );
    assert_eq!(out["KeyState"], "Enabled");
    assert_eq!(out["Alias"], "orders-1");
    assert_eq!(out["TagCode"], 0);
    // As Tencent's CreateKey example answers once tags are bound.
    assert_eq!(out["TagMsg"], "ok");
    assert_eq!(
        out["HsmClusterId"], "",
        "in CreateKey's response model and example"
    );
    assert_eq!(out["CreateTime"], h.now_secs());
    let meta = h.describe(out["KeyId"].as_str().unwrap());
    assert_eq!(meta["Origin"], "TENCENT_KMS");
    assert_eq!(meta["Type"], 2);
    assert_eq!(meta["Description"], "d");
    h.err("CreateKey", json!({}), "MissingParameter");
    for bad in ["-x", "kms-x", "KMS-x", "a b", "é", &"a".repeat(61)] {
        h.err(
            "CreateKey",
            json!({ "Alias": bad }),
            "InvalidParameterValue.InvalidAlias",
        );
    }
    h.ok("CreateKey", json!({ "Alias": "a".repeat(60) }));
    h.err(
        "CreateKey",
        json!({ "Alias": "orders-1" }),
        "InvalidParameterValue.AliasAlreadyExists",
    );
    h.err(
        "CreateKey",
        json!({ "Alias": "t", "Type": 3 }),
        "InvalidParameterValue.InvalidType",
    );
    h.err(
        "CreateKey",
        json!({ "Alias": "t", "KeyUsage": "NOPE" }),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    // ECDSA384's signing algorithm is not documented: not emulated
    h.err(
        "CreateKey",
        json!({ "Alias": "t", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECDSA384" }),
        "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion",
    );
    // Tencent imports symmetric material only: an EXTERNAL asymmetric key is refused as such
    // (#16), whatever the emulation of generated asymmetric keys.
    for usage in ["ASYMMETRIC_DECRYPT_RSA_2048", "ASYMMETRIC_SIGN_VERIFY_ECC"] {
        h.err(
            "CreateKey",
            json!({ "Alias": "t", "KeyUsage": usage, "Type": 2 }),
            "InvalidParameterValue.InvalidKeyUsage",
        );
    }
    h.err(
        "CreateKey",
        json!({ "Alias": "t", "Tags": [{ "TagKey": "k" }, { "TagKey": "k" }] }),
        "InvalidParameterValue.TagKeysDuplicated",
    );
    h.err(
        "CreateKey",
        json!({ "Alias": "t", "HsmClusterId": "cls-1" }),
        "InvalidParameterValue.InvalidHsmClusterId",
    );
    h.err(
        "CreateKey",
        json!({ "Alias": "t", "Description": "x".repeat(1025) }),
        "InvalidParameterValue",
    );
    // Refused requests created nothing.
    assert_eq!(h.ok("ListKeys", json!({}))["TotalCount"], 2);
}

#[test]
fn aliases_round_trip_through_describe_and_listings() {
    let h = harness();
    let a = h.create_key("first", 1);
    let b = h.create_key("second", 1);
    h.ok("UpdateAlias", json!({ "KeyId": a, "Alias": "renamed" }));
    assert_eq!(h.describe(&a)["Alias"], "renamed");
    h.ok("UpdateAlias", json!({ "KeyId": a, "Alias": "renamed" }));
    h.err(
        "UpdateAlias",
        json!({ "KeyId": a, "Alias": "second" }),
        "InvalidParameterValue.AliasAlreadyExists",
    );
    h.err(
        "UpdateAlias",
        json!({ "KeyId": a, "Alias": "kms-x" }),
        "InvalidParameterValue.InvalidAlias",
    );
    // The old name is free again.
    h.ok("UpdateAlias", json!({ "KeyId": b, "Alias": "first" }));
    let list = h.ok("ListKeyDetail", json!({ "SearchKeyAlias": "RENAM" }));
    assert_eq!(list["TotalCount"], 1);
    assert_eq!(list["KeyMetadatas"][0]["Alias"], "renamed");
    let list = h.ok(
        "DescribeKeys",
        json!({ "KeyIds": [a, b, "1234abcd-12ab-34cd-56ef-1234567890ab"] }),
    );
    let aliases: Vec<&Value> = list["KeyMetadatas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["Alias"])
        .collect();
    assert_eq!(aliases, [&json!("renamed"), &json!("first")]);
    h.err(
        "DescribeKeys",
        json!({ "KeyIds": [a, a] }),
        "InvalidParameterValue.DuplicatedKeyId",
    );
    h.err("DescribeKeys", json!({ "KeyIds": [] }), "MissingParameter");
}

#[test]
fn states_and_deletion() {
    let h = harness();
    let k = h.create_key("k", 1);
    h.err(
        "ScheduleKeyDeletion",
        json!({ "KeyId": k, "PendingWindowInDays": 7 }),
        "ResourceUnavailable.CmkShouldBeDisabled",
    );
    h.err(
        "CancelKeyDeletion",
        json!({ "KeyId": k }),
        "ResourceUnavailable.CmkNotPendingDelete",
    );
    h.ok("DisableKey", json!({ "KeyId": k }));
    h.err(
        "Encrypt",
        json!({ "KeyId": k, "Plaintext": b64(b"x") }),
        "ResourceUnavailable.CmkDisabled",
    );
    for days in [6, 31] {
        h.err(
            "ScheduleKeyDeletion",
            json!({ "KeyId": k, "PendingWindowInDays": days }),
            "InvalidParameter.InvalidPendingWindowInDays",
        );
    }
    let out = h.ok(
        "ScheduleKeyDeletion",
        json!({ "KeyId": k, "PendingWindowInDays": 7 }),
    );
    assert_eq!(out["DeletionDate"], h.now_secs() + 7 * 86_400);
    let meta = h.describe(&k);
    assert_eq!(meta["KeyState"], "PendingDelete");
    assert_eq!(meta["DeletionDate"], h.now_secs() + 7 * 86_400);
    // ListKeys leaves keys pending deletion out (the SDK documents Enabled, Disabled and
    // PendingImport); ListKeyDetail can still filter for them.
    let listed = h.ok("ListKeys", json!({}));
    assert!(
        listed["Keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["KeyId"] != k.as_str()),
        "{listed}"
    );
    let pending = h.ok("ListKeyDetail", json!({ "KeyState": 3, "KeyUsage": "ALL" }));
    assert_eq!(pending["KeyMetadatas"][0]["KeyId"], k.as_str(), "{pending}");
    h.err(
        "EnableKey",
        json!({ "KeyId": k }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
    h.err(
        "UpdateKeyDescription",
        json!({ "KeyId": k, "Description": "x" }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
    assert_eq!(h.ok("CancelKeyDeletion", json!({ "KeyId": k }))["KeyId"], k);
    assert_eq!(h.describe(&k)["KeyState"], "Disabled");
    h.ok("EnableKey", json!({ "KeyId": k }));
    h.ok(
        "UpdateKeyDescription",
        json!({ "KeyId": k, "Description": "new" }),
    );
    assert_eq!(h.describe(&k)["Description"], "new");
    // A key still waiting for material cannot be disabled, so it may be deleted as it is.
    let ext = h.create_key("ext", 2);
    h.err(
        "EnableKey",
        json!({ "KeyId": ext }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
    h.ok(
        "ScheduleKeyDeletion",
        json!({ "KeyId": ext, "PendingWindowInDays": 30 }),
    );
    // The deletion date passing purges the key.
    h.clock.advance(std::time::Duration::from_secs(30 * 86_400));
    h.err(
        "DescribeKey",
        json!({ "KeyId": ext }),
        "ResourceUnavailable.CmkNotFound",
    );
}

#[test]
fn listings_filter_and_page() {
    let h = harness();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(h.create_key(&format!("g{i}"), if i % 2 == 0 { 1 } else { 2 }));
        h.clock.advance(std::time::Duration::from_secs(1));
    }
    h.ok("DisableKey", json!({ "KeyId": ids[0] }));
    let keys = h.ok("ListKeys", json!({ "Offset": 1, "Limit": 2 }));
    assert_eq!(keys["TotalCount"], 5);
    assert_eq!(
        keys["Keys"],
        json!([{ "KeyId": ids[3] }, { "KeyId": ids[2] }]),
        "newest first"
    );
    assert_eq!(h.ok("ListKeys", json!({ "Role": 1 }))["TotalCount"], 0);
    let count = |filter: Value| {
        h.ok("ListKeyDetail", filter)["TotalCount"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(json!({})), 5);
    assert_eq!(count(json!({ "Origin": "EXTERNAL" })), 2);
    assert_eq!(count(json!({ "Origin": "TENCENT_KMS" })), 3);
    assert_eq!(count(json!({ "KeyState": 2 })), 1);
    assert_eq!(count(json!({ "KeyState": 4 })), 2);
    assert_eq!(count(json!({ "KeyState": 5 })), 0);
    assert_eq!(count(json!({ "KeyUsage": "ASYMMETRIC_DECRYPT_SM2" })), 0);
    assert_eq!(count(json!({ "KeyUsage": "ALL" })), 5);
    h.err(
        "ListKeyDetail",
        json!({ "Origin": "external" }),
        "InvalidParameterValue",
    );
    h.err(
        "ListKeyDetail",
        json!({ "KeyState": 9 }),
        "InvalidParameterValue",
    );
    let oldest = h.ok("ListKeyDetail", json!({ "OrderType": 1, "Limit": 1 }));
    assert_eq!(oldest["KeyMetadatas"][0]["KeyId"], ids[0]);
    assert_eq!(oldest["KeyMetadatas"][0]["KeyState"], "Disabled");
    let status = h.ok("GetServiceStatus", json!({}));
    assert_eq!(status["ServiceEnabled"], true);
    assert_eq!(status["CmkUserCount"], 5);
}

#[test]
fn tag_filters_match_key_and_values() {
    let h = harness();
    h.ok(
        "CreateKey",
        json!({ "Alias": "t1", "Tags": [{ "TagKey": "env", "TagValue": "prod" }] }),
    );
    h.ok(
        "CreateKey",
        json!({ "Alias": "t2", "Tags": [{ "TagKey": "env", "TagValue": "dev" }] }),
    );
    let count = |filter: Value| {
        h.ok("ListKeyDetail", json!({ "TagFilters": filter }))["TotalCount"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(json!([{ "TagKey": "env" }])), 2);
    assert_eq!(count(json!([{ "TagKey": "env", "TagValue": ["prod"] }])), 1);
    assert_eq!(count(json!([{ "TagKey": "team" }])), 0);
    let untagged = h.ok("CreateKey", json!({ "Alias": "t3" }));
    assert_eq!(
        (&untagged["TagCode"], &untagged["TagMsg"]),
        (&json!(0), &json!(""))
    );

    // Tags the tag service refuses do not refuse the key: it is created untagged and
    // CreateKey says so in TagCode 2 ("业务处理错误") and TagMsg.
    let many: Vec<Value> = (0..51)
        .map(|i| json!({ "TagKey": format!("k{i}"), "TagValue": "v" }))
        .collect();
    let created = h.ok("CreateKey", json!({ "Alias": "t4", "Tags": many }));
    assert_eq!(created["TagCode"], json!(2), "{created}");
    assert!(!created["TagMsg"].as_str().unwrap().is_empty());
    assert_eq!(
        h.describe(created["KeyId"].as_str().unwrap())["Alias"],
        "t4"
    );
    assert_eq!(count(json!([{ "TagKey": "k0" }])), 0);
    // A tag key given twice is the request's own error, as the SDK's error list has it.
    let twice = json!([{ "TagKey": "a", "TagValue": "1" }, { "TagKey": "a", "TagValue": "2" }]);
    h.err(
        "CreateKey",
        json!({ "Alias": "t5", "Tags": twice }),
        "InvalidParameterValue.TagKeysDuplicated",
    );
}

#[test]
fn crypto_helpers() {
    let h = harness();
    let a = h.create_key("a", 1);
    let b = h.create_key("b", 1);
    let ctx = r#"{"purpose":"test","n":1}"#;
    let blob = h.ok(
        "Encrypt",
        json!({ "KeyId": a, "Plaintext": b64(b"hello"), "EncryptionContext": ctx }),
    )["CiphertextBlob"]
        .clone();
    // Same pairs in another order and spacing match; other pairs do not.
    let back = h.ok(
        "Decrypt",
        json!({ "CiphertextBlob": blob, "EncryptionContext": r#"{ "n": 1, "purpose": "test" }"# }),
    );
    assert_eq!(unb64(&back["Plaintext"]), b"hello");
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob }),
        "FailedOperation.DecryptError",
    );
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob, "EncryptionContext": "not json" }),
        "InvalidParameterValue",
    );
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": "%%%" }),
        "InvalidParameterValue.InvalidCiphertext",
    );
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": b64(b"short") }),
        "InvalidParameterValue.InvalidCiphertext",
    );
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob, "EncryptionContext": ctx, "EncryptionPublicKey": "-----BEGIN PUBLIC KEY-----" }),
        "UnsupportedOperation",
    );
    h.err(
        "Encrypt",
        json!({ "KeyId": a, "Plaintext": "%%%" }),
        "InvalidParameterValue.InvalidPlaintext",
    );
    h.err(
        "Encrypt",
        json!({ "KeyId": a, "Plaintext": b64(&[0; 4097]) }),
        "InvalidParameterValue.InvalidPlaintext",
    );

    // ReEncrypt: to another key, or unchanged to the same key and context.
    let moved = h.ok(
        "ReEncrypt",
        json!({ "CiphertextBlob": blob, "SourceEncryptionContext": ctx, "DestinationKeyId": b }),
    );
    assert_eq!(moved["KeyId"], b);
    assert_eq!(moved["SourceKeyId"], a);
    assert_eq!(moved["ReEncrypted"], true);
    let back = h.ok(
        "Decrypt",
        json!({ "CiphertextBlob": moved["CiphertextBlob"] }),
    );
    assert_eq!(
        (back["KeyId"].clone(), unb64(&back["Plaintext"])),
        (json!(b), b"hello".to_vec())
    );
    let same = h.ok(
        "ReEncrypt",
        json!({ "CiphertextBlob": blob, "SourceEncryptionContext": ctx, "DestinationEncryptionContext": ctx }),
    );
    assert_eq!(same["ReEncrypted"], false);
    assert_eq!(same["CiphertextBlob"], blob);

    // Data keys: NumberOfBytes wins over KeySpec.
    let dk = h.ok(
        "GenerateDataKey",
        json!({ "KeyId": a, "KeySpec": "AES_128" }),
    );
    assert_eq!(unb64(&dk["Plaintext"]).len(), 16);
    let back = h.ok("Decrypt", json!({ "CiphertextBlob": dk["CiphertextBlob"] }));
    assert_eq!(back["Plaintext"], dk["Plaintext"]);
    let dk = h.ok(
        "GenerateDataKey",
        json!({ "KeyId": a, "KeySpec": "AES_128", "NumberOfBytes": 48 }),
    );
    assert_eq!(unb64(&dk["Plaintext"]).len(), 48);
    h.err("GenerateDataKey", json!({ "KeyId": a }), "MissingParameter");
    h.err(
        "GenerateDataKey",
        json!({ "KeyId": a, "KeySpec": "AES_512" }),
        "InvalidParameterValue",
    );
    h.err(
        "GenerateDataKey",
        json!({ "KeyId": a, "NumberOfBytes": 1025 }),
        "InvalidParameterValue",
    );
    h.err(
        "GenerateDataKey",
        json!({ "KeyId": a, "KeySpec": "AES_256", "IsHostedByKms": 1 }),
        "UnsupportedOperation",
    );

    assert_eq!(
        unb64(&h.ok("GenerateRandom", json!({ "NumberOfBytes": 1024 }))["Plaintext"]).len(),
        1024
    );
    h.err(
        "GenerateRandom",
        json!({ "NumberOfBytes": 0 }),
        "InvalidParameterValue",
    );
    h.err("GenerateRandom", json!({}), "MissingParameter");
}
