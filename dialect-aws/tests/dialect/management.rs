//! Key management, aliases, tags, data keys and tenant isolation.

use serde_json::json;

use crate::support::*;

#[test]
fn keys_list_in_pages_and_schedule_deletion() {
    let h = harness();
    let mut ids: Vec<String> = (0..3).map(|_| h.create_key("AWS_KMS")).collect();
    ids.sort();
    let first = h.ok("ListKeys", json!({ "Limit": 2 }));
    assert_eq!(first["Truncated"], true);
    let second = h.ok(
        "ListKeys",
        json!({ "Limit": 2, "Marker": first["NextMarker"] }),
    );
    assert_eq!(second["Truncated"], false);
    let listed: Vec<&str> = first["Keys"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["Keys"].as_array().unwrap())
        .map(|k| k["KeyId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids);
    h.err(
        "ListKeys",
        json!({ "Marker": "garbage" }),
        "InvalidMarkerException",
    );
    h.err("ListKeys", json!({ "Limit": 0 }), "ValidationException");
    // ResourceOwners: SELF lists this account's keys; nobody shares keys through RAM here,
    // so OTHER_ACCOUNTS_VIA_RAM alone lists none. The list and its values are checked.
    for owners in [json!(["SELF"]), json!(["OTHER_ACCOUNTS_VIA_RAM", "SELF"])] {
        let all = h.ok("ListKeys", json!({ "ResourceOwners": owners }));
        assert_eq!(all["Keys"].as_array().unwrap().len(), 3, "{all}");
    }
    let shared = h.ok(
        "ListKeys",
        json!({ "ResourceOwners": ["OTHER_ACCOUNTS_VIA_RAM"] }),
    );
    assert_eq!(shared, json!({ "Keys": [], "Truncated": false }));
    for bad in [
        json!([]),
        json!(["SELF", "SELF", "SELF"]),
        json!(["self"]),
        json!("SELF"),
    ] {
        h.err(
            "ListKeys",
            json!({ "ResourceOwners": bad }),
            "ValidationException",
        );
    }

    let key = &ids[0];
    h.err(
        "ScheduleKeyDeletion",
        json!({ "KeyId": key, "PendingWindowInDays": 6 }),
        "ValidationException",
    );
    let scheduled = h.ok(
        "ScheduleKeyDeletion",
        json!({ "KeyId": key, "PendingWindowInDays": 7 }),
    );
    assert_eq!(scheduled["KeyState"], "PendingDeletion");
    assert_eq!(scheduled["DeletionDate"], json!(h.now_secs() + 7 * 86_400));
    h.err(
        "EnableKey",
        json!({ "KeyId": key }),
        "KMSInvalidStateException",
    );
    h.err(
        "UpdateKeyDescription",
        json!({ "KeyId": key, "Description": "x" }),
        "KMSInvalidStateException",
    );
    h.ok("CancelKeyDeletion", json!({ "KeyId": key }));
    assert_eq!(
        h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"]["KeyState"],
        "Disabled"
    );
    h.err(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(b"x") }),
        "DisabledException",
    );
    assert_eq!(
        h.call("EnableKey", json!({ "KeyId": key })).body,
        serde_json::Value::Null
    );
    h.ok(
        "UpdateKeyDescription",
        json!({ "KeyId": key, "Description": "renamed" }),
    );
    assert_eq!(
        h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"]["Description"],
        "renamed"
    );
}

#[test]
fn aliases_name_keys_wherever_aws_accepts_them() {
    let h = harness();
    let (k1, k2) = (h.create_key("AWS_KMS"), h.create_key("AWS_KMS"));
    h.ok(
        "CreateAlias",
        json!({ "AliasName": "alias/app", "TargetKeyId": k1 }),
    );
    h.err(
        "CreateAlias",
        json!({ "AliasName": "alias/app", "TargetKeyId": k2 }),
        "AlreadyExistsException",
    );
    h.err(
        "CreateAlias",
        json!({ "AliasName": "alias/aws/s3", "TargetKeyId": k2 }),
        "InvalidAliasNameException",
    );
    // As AWS answers it (LocalStack's snapshot recorded against AWS).
    let no_prefix = h.err(
        "CreateAlias",
        json!({ "AliasName": "app", "TargetKeyId": k2 }),
        "ValidationException",
    );
    assert_eq!(
        no_prefix["message"],
        "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
    );
    h.err(
        "CreateAlias",
        json!({ "AliasName": "alias/a:b", "TargetKeyId": k2 }),
        "InvalidAliasNameException",
    );
    // UpdateAlias and DeleteAlias list no InvalidAliasNameException: a name no alias can
    // have names no alias.
    for name in ["alias/aws/s3", "alias/a:b", "alias/"] {
        let gone = h.err(
            "DeleteAlias",
            json!({ "AliasName": name }),
            "NotFoundException",
        );
        assert_eq!(
            gone["message"],
            format!("Alias arn:aws:kms:us-east-1:000000000000:{name} is not found.")
        );
        h.err(
            "UpdateAlias",
            json!({ "AliasName": name, "TargetKeyId": k2 }),
            "NotFoundException",
        );
    }
    for op in ["DeleteAlias", "UpdateAlias"] {
        h.err(
            op,
            json!({ "AliasName": "app", "TargetKeyId": k2 }),
            "ValidationException",
        );
    }
    h.err(
        "CreateAlias",
        json!({ "AliasName": "alias/a b", "TargetKeyId": k2 }),
        "ValidationException",
    );
    h.err(
        "CreateAlias",
        json!({ "AliasName": "alias/x", "TargetKeyId": "alias/app" }),
        "NotFoundException",
    );

    let arn = "arn:aws:kms:us-east-1:000000000000:alias/app";
    let enc = h.ok(
        "Encrypt",
        json!({ "KeyId": "alias/app", "Plaintext": b64(b"a") }),
    );
    assert_eq!(
        enc["KeyId"],
        format!("arn:aws:kms:us-east-1:000000000000:key/{k1}")
    );
    assert_eq!(
        h.ok("DescribeKey", json!({ "KeyId": arn }))["KeyMetadata"]["KeyId"],
        k1.as_str()
    );
    h.err(
        "DescribeKey",
        json!({ "KeyId": "alias/none" }),
        "NotFoundException",
    );
    h.err(
        "EnableKey",
        json!({ "KeyId": "alias/app" }),
        "NotFoundException",
    );
    h.ok(
        "Decrypt",
        json!({ "CiphertextBlob": enc["CiphertextBlob"], "KeyId": "alias/app" }),
    );
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": enc["CiphertextBlob"], "KeyId": k2 }),
        "IncorrectKeyException",
    );

    h.ok(
        "UpdateAlias",
        json!({ "AliasName": "alias/app", "TargetKeyId": k2 }),
    );
    // Only to a key of the same type and key usage ("both symmetric or both asymmetric or
    // both HMAC", the same usage); the alias stays where it was
    for (spec, usage) in [
        ("HMAC_256", "GENERATE_VERIFY_MAC"),
        ("RSA_2048", "ENCRYPT_DECRYPT"),
    ] {
        let other = h.ok("CreateKey", json!({ "KeySpec": spec, "KeyUsage": usage }))["KeyMetadata"]
            ["KeyId"]
            .clone();
        h.err(
            "UpdateAlias",
            json!({ "AliasName": "alias/app", "TargetKeyId": other }),
            "ValidationException",
        );
    }
    let listed = h.ok("ListAliases", json!({}));
    let aliases = listed["Aliases"].as_array().unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(aliases[0]["AliasArn"], arn);
    assert_eq!(aliases[0]["TargetKeyId"], k2.as_str());
    assert_eq!(
        h.ok("ListAliases", json!({ "KeyId": k1 }))["Aliases"],
        json!([])
    );
    h.ok(
        "CreateAlias",
        json!({ "AliasName": "alias/b", "TargetKeyId": k1 }),
    );
    let page = h.ok("ListAliases", json!({ "Limit": 1 }));
    assert_eq!(page["Truncated"], true);
    let rest = h.ok(
        "ListAliases",
        json!({ "Limit": 1, "Marker": page["NextMarker"] }),
    );
    assert_eq!(rest["Aliases"][0]["AliasName"], "alias/b");
    h.err(
        "ListAliases",
        json!({ "Marker": "alias/app" }),
        "InvalidMarkerException",
    );
    // ListAliases pages hold at most 100 ("must be between 1 and 100"), whatever the Limit
    // up to the model's 1000
    for i in 0..120 {
        h.ok(
            "CreateAlias",
            json!({ "AliasName": format!("alias/many-{i:03}"), "TargetKeyId": k1 }),
        );
    }
    let big = h.ok("ListAliases", json!({ "Limit": 1000 }));
    assert_eq!(big["Aliases"].as_array().unwrap().len(), 100);
    assert_eq!(big["Truncated"], true);
    h.err(
        "ListAliases",
        json!({ "Limit": 1001 }),
        "ValidationException",
    );
    h.err(
        "ListResourceTags",
        json!({ "KeyId": k1, "Marker": "garbage" }),
        "InvalidMarkerException",
    );
    h.ok("DeleteAlias", json!({ "AliasName": "alias/b" }));
    h.ok("DeleteAlias", json!({ "AliasName": "alias/app" }));
    h.err(
        "DeleteAlias",
        json!({ "AliasName": "alias/app" }),
        "NotFoundException",
    );
}

#[test]
fn tags_are_set_listed_and_removed() {
    let h = harness();
    let created = h.ok(
        "CreateKey",
        json!({ "Tags": [{ "TagKey": "team", "TagValue": "a" }] }),
    );
    let key = created["KeyMetadata"]["KeyId"].as_str().unwrap();
    h.ok("TagResource", json!({ "KeyId": key, "Tags": [{ "TagKey": "env", "TagValue": "prod" }, { "TagKey": "team", "TagValue": "b" }] }));
    let page = h.ok("ListResourceTags", json!({ "KeyId": key, "Limit": 1 }));
    assert_eq!(
        page["Tags"],
        json!([{ "TagKey": "env", "TagValue": "prod" }])
    );
    assert_eq!(page["Truncated"], true);
    let rest = h.ok(
        "ListResourceTags",
        json!({ "KeyId": key, "Marker": page["NextMarker"] }),
    );
    assert_eq!(rest["Tags"], json!([{ "TagKey": "team", "TagValue": "b" }]));
    assert_eq!(rest["Truncated"], false);
    h.ok(
        "UntagResource",
        json!({ "KeyId": key, "TagKeys": ["team"] }),
    );
    assert_eq!(
        h.ok("ListResourceTags", json!({ "KeyId": key }))["Tags"],
        json!([{ "TagKey": "env", "TagValue": "prod" }])
    );
    // The messages below are AWS's, as LocalStack's snapshots recorded them against AWS.
    let reserved = h.err(
        "TagResource",
        json!({ "KeyId": key, "Tags": [{ "TagKey": "AWS:x", "TagValue": "v" }] }),
        "TagException",
    );
    assert_eq!(reserved["message"], "Tags beginning with aws: are reserved");
    let duplicate = h.err(
        "CreateKey",
        json!({ "Tags": [{ "TagKey": "a", "TagValue": "1" }, { "TagKey": "a", "TagValue": "2" }] }),
        "TagException",
    );
    assert_eq!(duplicate["message"], "Duplicate tag keys");
    let long_value = h.err(
        "TagResource",
        json!({ "KeyId": key, "Tags": [
            { "TagKey": "ok", "TagValue": "v" },
            { "TagKey": "long", "TagValue": "v".repeat(257) },
        ] }),
        "ValidationException",
    );
    assert_eq!(
        long_value["message"],
        format!(
            "1 validation error detected: Value '{}' at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256",
            "v".repeat(257)
        )
    );
    h.err(
        "TagResource",
        json!({ "KeyId": key, "Tags": [{ "TagKey": "", "TagValue": "v" }] }),
        "ValidationException",
    );
    let many: Vec<_> = (0..51)
        .map(|i| json!({ "TagKey": format!("k{i}"), "TagValue": "v" }))
        .collect();
    let too_many = h.err(
        "TagResource",
        json!({ "KeyId": key, "Tags": many }),
        "TagException",
    );
    assert_eq!(too_many["message"], "Too many tags");
    // TagKeyList has no length bound in the model.
    let keys: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
    h.ok("UntagResource", json!({ "KeyId": key, "TagKeys": keys }));
}

#[test]
fn data_keys_re_encryption_and_random_bytes() {
    let h = harness();
    let (k1, k2) = (h.create_key("AWS_KMS"), h.create_key("AWS_KMS"));
    let dk = h.ok(
        "GenerateDataKey",
        json!({ "KeyId": k1, "KeySpec": "AES_128" }),
    );
    assert_eq!(unb64(&dk["Plaintext"]).len(), 16);
    let back = h.ok("Decrypt", json!({ "CiphertextBlob": dk["CiphertextBlob"] }));
    assert_eq!(back["Plaintext"], dk["Plaintext"]);
    let bare = h.ok(
        "GenerateDataKeyWithoutPlaintext",
        json!({ "KeyId": k1, "NumberOfBytes": 64 }),
    );
    assert!(bare.get("Plaintext").is_none());
    assert_eq!(
        unb64(
            &h.ok(
                "Decrypt",
                json!({ "CiphertextBlob": bare["CiphertextBlob"] })
            )["Plaintext"]
        )
        .len(),
        64
    );
    h.err(
        "GenerateDataKey",
        json!({ "KeyId": k1 }),
        "ValidationException",
    );
    h.err(
        "GenerateDataKey",
        json!({ "KeyId": k1, "KeySpec": "AES_256", "NumberOfBytes": 32 }),
        "ValidationException",
    );
    h.err(
        "GenerateDataKey",
        json!({ "KeyId": k1, "NumberOfBytes": 1025 }),
        "ValidationException",
    );

    let re = h.ok("ReEncrypt", json!({ "CiphertextBlob": dk["CiphertextBlob"], "DestinationKeyId": k2, "DestinationEncryptionContext": { "a": "b" } }));
    assert_eq!(
        re["SourceKeyId"],
        format!("arn:aws:kms:us-east-1:000000000000:key/{k1}")
    );
    let back = h.ok(
        "Decrypt",
        json!({ "CiphertextBlob": re["CiphertextBlob"], "EncryptionContext": { "a": "b" } }),
    );
    assert_eq!(back["Plaintext"], dk["Plaintext"]);
    h.err(
        "Encrypt",
        json!({ "KeyId": k1, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1" }),
        "InvalidKeyUsageException",
    );
    h.err(
        "Encrypt",
        json!({ "KeyId": k1, "Plaintext": b64(b"x"), "DryRun": true }),
        "DryRunOperationException",
    );
    // IGNORE_CIPHERTEXT: a dry run that checks only the keys, without a ciphertext (or with
    // one that is not checked); the keys named must still exist.
    let ignore = json!(["IGNORE_CIPHERTEXT"]);
    for body in [
        json!({ "KeyId": k1, "DryRun": true, "DryRunModifiers": ignore }),
        json!({ "KeyId": k1, "CiphertextBlob": b64(b"not a ciphertext"), "DryRun": true, "DryRunModifiers": ignore }),
    ] {
        h.err("Decrypt", body, "DryRunOperationException");
    }
    h.err(
        "ReEncrypt",
        json!({ "DestinationKeyId": k1, "DryRun": true, "DryRunModifiers": ignore }),
        "DryRunOperationException",
    );
    let missing = "00000000-0000-4000-8000-000000000000";
    h.err(
        "Decrypt",
        json!({ "KeyId": missing, "DryRun": true, "DryRunModifiers": ignore }),
        "NotFoundException",
    );
    h.err(
        "ReEncrypt",
        json!({ "DestinationKeyId": missing, "DryRun": true, "DryRunModifiers": ignore }),
        "NotFoundException",
    );
    // without DryRun the modifier changes nothing: the ciphertext is required; a value
    // outside the enum is refused
    h.err(
        "Decrypt",
        json!({ "KeyId": k1, "DryRunModifiers": ignore }),
        "ValidationException",
    );
    h.err(
        "Decrypt",
        json!({ "KeyId": k1, "CiphertextBlob": b64(b"x"), "DryRun": true, "DryRunModifiers": ["IGNORE"] }),
        "ValidationException",
    );

    assert_eq!(
        unb64(&h.ok("GenerateRandom", json!({ "NumberOfBytes": 32 }))["Plaintext"]).len(),
        32
    );
    h.err(
        "GenerateRandom",
        json!({ "NumberOfBytes": 0 }),
        "ValidationException",
    );
    let missing = h.err("GenerateRandom", json!({}), "ValidationException");
    assert_eq!(missing["message"], "NumberOfBytes is required.");
}

#[test]
fn accounts_and_regions_are_isolated() {
    let h = harness();
    let created = h.call_as("111122223333", "eu-west-1", "CreateKey", json!({}));
    let meta = &created.body["KeyMetadata"];
    assert_eq!(meta["AWSAccountId"], "111122223333");
    let key = meta["KeyId"].as_str().unwrap();
    assert_eq!(
        h.call_as(
            "111122223333",
            "eu-west-1",
            "DescribeKey",
            json!({ "KeyId": key })
        )
        .status,
        200
    );
    for (ak, region) in [
        ("111122223333", "us-east-1"),
        ("444455556666", "eu-west-1"),
        ("AKIDEXAMPLE", "eu-west-1"),
    ] {
        assert_eq!(
            h.call_as(ak, region, "DescribeKey", json!({ "KeyId": key }))
                .code(),
            "NotFoundException"
        );
    }
    let foreign_arn = format!("arn:aws:kms:eu-west-1:111122223333:key/{key}");
    let refused = h.call("DescribeKey", json!({ "KeyId": foreign_arn }));
    assert_eq!(refused.code(), "NotFoundException");
    // AWS's words for another region's ARN.
    assert_eq!(refused.body["message"], "Invalid arn eu-west-1");
}
