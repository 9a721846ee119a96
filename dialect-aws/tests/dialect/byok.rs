//! The import flow as boto3 drives it: parameters, client-side wrapping, import, use, expiry,
//! re-import, deletion, and each import error where AWS returns it.

use std::time::Duration;

use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use serde_json::{Value, json};

use crate::support::*;

fn wrap(params: &Value, material: &[u8]) -> String {
    let public = RsaPublicKey::from_public_key_der(&unb64(&params["PublicKey"])).unwrap();
    let wrapped = public
        .encrypt(&mut rand_core::OsRng, Oaep::new::<sha2::Sha256>(), material)
        .unwrap();
    b64(&wrapped)
}

fn params(h: &Harness, key: &str) -> Value {
    h.ok(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
    )
}

fn import_body(key: &str, params: &Value, material: &[u8], valid_to: Option<u64>) -> Value {
    let mut body = json!({
        "KeyId": key,
        "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": wrap(params, material),
    });
    match valid_to {
        Some(t) => body["ValidTo"] = json!(t),
        None => body["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
    }
    body
}

#[test]
fn import_use_expire_and_reimport() {
    let h = harness();
    let key = h.create_key("EXTERNAL");
    let meta = &h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"];
    assert_eq!(
        (meta["KeyState"].as_str(), meta["Enabled"].as_bool()),
        (Some("PendingImport"), Some(false))
    );
    assert_eq!(meta["Origin"], "EXTERNAL");
    h.err(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(b"x") }),
        "KMSInvalidStateException",
    );

    let p = params(&h, &key);
    let arn = format!("arn:aws:kms:us-east-1:000000000000:key/{key}");
    assert_eq!(p["KeyId"], arn.as_str());
    assert_eq!(p["ParametersValidTo"], json!(h.now_secs() + 86_400));
    let material = [7u8; 32];
    let valid_to = h.now_secs() + 3600;
    let imported = h.ok(
        "ImportKeyMaterial",
        import_body(&key, &p, &material, Some(valid_to)),
    );
    assert_eq!(imported["KeyId"], arn.as_str());
    let material_id = imported["KeyMaterialId"].as_str().unwrap().to_owned();
    assert_eq!(material_id.len(), 64);

    let meta = &h.ok("DescribeKey", json!({ "KeyId": arn }))["KeyMetadata"];
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["Enabled"], true);
    assert_eq!(meta["ValidTo"], json!(valid_to));
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert_eq!(meta["CurrentKeyMaterialId"], material_id.as_str());

    let ctx = json!({ "purpose": "test" });
    let enc = h.ok(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(b"secret"), "EncryptionContext": ctx }),
    );
    assert_eq!(enc["KeyId"], arn.as_str());
    let dec = h.ok(
        "Decrypt",
        json!({ "CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": ctx }),
    );
    assert_eq!(unb64(&dec["Plaintext"]), b"secret");
    assert_eq!(dec["KeyMaterialId"], material_id.as_str());
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": enc["CiphertextBlob"] }),
        "InvalidCiphertextException",
    );

    // The material expires with the (emulated) clock; the key waits for the same material.
    h.clock.advance(Duration::from_secs(3601));
    let meta = &h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"];
    assert_eq!(meta["KeyState"], "PendingImport");
    assert!(meta.get("ValidTo").is_none());
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": ctx }),
        "KMSInvalidStateException",
    );

    let p = params(&h, &key);
    h.err(
        "ImportKeyMaterial",
        import_body(&key, &p, &[8u8; 32], None),
        "IncorrectKeyMaterialException",
    );
    let again = h.ok("ImportKeyMaterial", import_body(&key, &p, &material, None));
    assert_eq!(again["KeyMaterialId"], material_id.as_str());
    let meta = &h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"];
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    let dec = h.ok(
        "Decrypt",
        json!({ "CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": ctx }),
    );
    assert_eq!(unb64(&dec["Plaintext"]), b"secret");

    let deleted = h.ok("DeleteImportedKeyMaterial", json!({ "KeyId": key }));
    assert_eq!(deleted["KeyMaterialId"], material_id.as_str());
    let meta = &h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"];
    assert_eq!(meta["KeyState"], "PendingImport");
    // AWS still names the deleted material (and no longer its expiration model).
    assert_eq!(meta["CurrentKeyMaterialId"], material_id.as_str());
    assert!(meta.get("ExpirationModel").is_none(), "{meta}");
    h.err(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key }),
        "KMSInvalidStateException",
    );
}

#[test]
fn import_errors_are_the_ones_aws_returns() {
    let h = harness();
    let key = h.create_key("EXTERNAL");
    let other = h.create_key("EXTERNAL");
    let p = params(&h, &key);
    let material = [1u8; 32];
    let never = |mut b: Value| {
        b.as_object_mut().unwrap().remove("ValidTo");
        b["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE");
        b
    };

    // Expiration model rules.
    let mut body = import_body(&key, &p, &material, None);
    body.as_object_mut().unwrap().remove("ExpirationModel");
    h.err("ImportKeyMaterial", body, "ValidationException");
    let mut body = import_body(&key, &p, &material, Some(h.now_secs() + 60));
    body["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE");
    h.err("ImportKeyMaterial", body, "ValidationException");
    let too_far = h.now_secs() + 366 * 86_400;
    h.err(
        "ImportKeyMaterial",
        import_body(&key, &p, &material, Some(too_far)),
        "ValidationException",
    );
    h.err(
        "ImportKeyMaterial",
        import_body(&key, &p, &material, Some(h.now_secs() - 1)),
        "ValidationException",
    );
    let mut body = never(import_body(&key, &p, &material, None));
    body["ExpirationModel"] = json!("SOMETIMES");
    h.err("ImportKeyMaterial", body, "ValidationException");

    // Tokens.
    h.err(
        "ImportKeyMaterial",
        import_body(&other, &p, &material, None),
        "InvalidImportTokenException",
    );
    let mut body = import_body(&key, &p, &material, None);
    body["ImportToken"] = json!(b64(b"garbage"));
    h.err("ImportKeyMaterial", body, "InvalidImportTokenException");

    // Material.
    let mut body = import_body(&key, &p, &material, None);
    body["EncryptedKeyMaterial"] = json!(b64(&[0u8; 256]));
    h.err("ImportKeyMaterial", body, "InvalidCiphertextException");
    h.err(
        "ImportKeyMaterial",
        import_body(&key, &p, &[1u8; 16], None),
        "IncorrectKeyMaterialException",
    );

    // Wrong key kinds and states.
    let generated = h.create_key("AWS_KMS");
    h.err(
        "GetParametersForImport",
        json!({ "KeyId": generated, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        "UnsupportedOperationException",
    );
    h.err(
        "GetParametersForImport",
        json!({ "KeyId": "alias/nope", "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        "NotFoundException",
    );

    // Token expiry follows the emulated clock.
    h.clock.advance(Duration::from_secs(86_401));
    h.err(
        "ImportKeyMaterial",
        import_body(&key, &p, &material, None),
        "ExpiredImportTokenException",
    );
}

#[test]
fn algorithms_are_offered_as_aws_offers_them() {
    let h = harness();
    let key = h.create_key("EXTERNAL");
    let gpi = |alg: &str, spec: &str| {
        h.call(
            "GetParametersForImport",
            json!({ "KeyId": key, "WrappingAlgorithm": alg, "WrappingKeySpec": spec }),
        )
    };
    assert_eq!(
        gpi("RSAES_PKCS1_V1_5", "RSA_2048").code(),
        "ValidationException"
    );
    assert_eq!(gpi("SM2PKE", "SM2").code(), "ValidationException");
    assert_eq!(gpi("RSAES_OAEP_SHA_1", "SM2").code(), "ValidationException");
    assert_eq!(gpi("SM2PKE", "RSA_2048").code(), "ValidationException");
    assert_eq!(gpi("NOPE", "RSA_2048").code(), "ValidationException");
    assert_eq!(gpi("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048").status, 200);

    let legacy = harness_with(dialect_aws::Settings {
        allow_rsaes_pkcs1_v1_5: true,
        ..Default::default()
    });
    let key = legacy.create_key("EXTERNAL");
    legacy.ok("GetParametersForImport", json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_PKCS1_V1_5", "WrappingKeySpec": "RSA_2048" }));
}

#[test]
fn china_regions_hold_sm4_keys_and_offer_sm2() {
    let h = harness();
    let cn = |op: &str, body: Value| h.call_as("AKIDEXAMPLE", "cn-north-1", op, body);
    let created = cn("CreateKey", json!({ "Origin": "EXTERNAL" }));
    let meta = &created.body["KeyMetadata"];
    assert!(
        meta["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws-cn:kms:cn-north-1:000000000000:key/")
    );
    let key = meta["KeyId"].as_str().unwrap().to_owned();
    let sm2 = cn(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "SM2" }),
    );
    assert_eq!(sm2.status, 200, "{}", sm2.body);
    let wrap_kw = cn(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
    );
    assert_eq!(wrap_kw.code(), "ValidationException");

    let p = cn("GetParametersForImport", json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" })).body;
    let too_long = cn("ImportKeyMaterial", import_body(&key, &p, &[3u8; 32], None));
    assert_eq!(too_long.code(), "IncorrectKeyMaterialException");
    let ok = cn("ImportKeyMaterial", import_body(&key, &p, &[3u8; 16], None));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let enc = cn("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"sm4") }));
    let dec = cn(
        "Decrypt",
        json!({ "CiphertextBlob": enc.body["CiphertextBlob"] }),
    );
    assert_eq!(unb64(&dec.body["Plaintext"]), b"sm4");
}

#[test]
fn import_types_and_material_ids_follow_origin_and_state_checks() {
    let h = harness();
    let key = h.create_key("EXTERNAL");
    let p = params(&h, &key);
    let material = [4u8; 32];
    let with = |extra: Value| {
        let mut body = import_body(&key, &p, &material, None);
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    h.err(
        "ImportKeyMaterial",
        with(json!({ "ImportType": "EXISTING_KEY_MATERIAL" })),
        "ValidationException",
    );
    let first = h.ok(
        "ImportKeyMaterial",
        with(json!({ "ImportType": "NEW_KEY_MATERIAL" })),
    );
    let id = first["KeyMaterialId"].as_str().unwrap().to_owned();
    h.err(
        "ImportKeyMaterial",
        with(json!({ "ImportType": "NEW_KEY_MATERIAL" })),
        "UnsupportedOperationException",
    );
    h.err(
        "ImportKeyMaterial",
        with(json!({ "KeyMaterialId": "0".repeat(64) })),
        "IncorrectKeyMaterialException",
    );
    h.err(
        "ImportKeyMaterial",
        with(json!({ "KeyMaterialId": "Z".repeat(64) })),
        "ValidationException",
    );
    h.ok(
        "ImportKeyMaterial",
        with(json!({ "ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": id })),
    );

    h.err(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key, "KeyMaterialId": "Z".repeat(64) }),
        "ValidationException",
    );
    h.err(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key, "KeyMaterialId": "0".repeat(64) }),
        "NotFoundException",
    );
    let generated = h.create_key("AWS_KMS");
    h.err(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": generated, "KeyMaterialId": "0".repeat(64) }),
        "UnsupportedOperationException",
    );
    h.ok(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key, "KeyMaterialId": id }),
    );
    h.ok(
        "ScheduleKeyDeletion",
        json!({ "KeyId": key, "PendingWindowInDays": 7 }),
    );
    h.err(
        "ImportKeyMaterial",
        with(json!({ "ImportType": "NEW_KEY_MATERIAL" })),
        "KMSInvalidStateException",
    );
}
