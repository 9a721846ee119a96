//! Key rotation as boto3 drives it (#17): imported keys with several materials (the AWS
//! developer guide's flow), generated keys rotated on the clock and on demand, and the
//! refusals AWS documents.

use std::time::Duration;

use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use serde_json::{Value, json};

use crate::support::*;

fn import(h: &Harness, key: &str, material: &[u8], extra: Value) -> Reply {
    let p = h.ok(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
    );
    let public = RsaPublicKey::from_public_key_der(&unb64(&p["PublicKey"])).unwrap();
    let wrapped = public
        .encrypt(&mut rand_core::OsRng, Oaep::new::<sha2::Sha256>(), material)
        .unwrap();
    let mut body = json!({
        "KeyId": key,
        "ImportToken": p["ImportToken"],
        "EncryptedKeyMaterial": b64(&wrapped),
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    h.call("ImportKeyMaterial", body)
}

fn encrypt(h: &Harness, key: &str) -> Value {
    h.ok(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(b"data") }),
    )["CiphertextBlob"]
        .clone()
}

/// The material that decrypted `blob`.
fn decrypts_with(h: &Harness, blob: &Value) -> String {
    let out = h.ok("Decrypt", json!({ "CiphertextBlob": blob }));
    assert_eq!(unb64(&out["Plaintext"]), b"data");
    out["KeyMaterialId"].as_str().unwrap().to_owned()
}

fn states(h: &Harness, key: &str, include: &str) -> Vec<(String, String)> {
    h.ok(
        "ListKeyRotations",
        json!({ "KeyId": key, "IncludeKeyMaterial": include }),
    )["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["KeyMaterialId"].as_str().unwrap().to_owned(),
                r["KeyMaterialState"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_developer_guide_flow_for_imported_material() {
    let h = harness();
    let key = h.create_key("EXTERNAL");
    let a = import(&h, &key, &[1; 32], json!({}));
    assert_eq!(a.status, 200, "{}", a.body);
    let a = a.body["KeyMaterialId"].as_str().unwrap().to_owned();
    h.err(
        "RotateKeyOnDemand",
        json!({ "KeyId": key }),
        "KMSInvalidStateException",
    );
    // The description's `\s` is ASCII whitespace (Java's), not a no-break space
    let nbsp = import(
        &h,
        &key,
        &[2; 32],
        json!({ "ImportType": "NEW_KEY_MATERIAL", "KeyMaterialDescription": "second\u{a0}one" }),
    );
    assert_eq!(nbsp.code(), "ValidationException", "{}", nbsp.body);
    let b = import(
        &h,
        &key,
        &[2; 32],
        json!({ "ImportType": "NEW_KEY_MATERIAL", "KeyMaterialDescription": "second one" }),
    );
    assert_eq!(b.status, 200, "{}", b.body);
    let b = b.body["KeyMaterialId"].as_str().unwrap().to_owned();
    assert_ne!(a, b);
    // One material pending rotation at a time, refused naming both (AWS's wording).
    let third = import(
        &h,
        &key,
        &[3; 32],
        json!({ "ImportType": "NEW_KEY_MATERIAL" }),
    );
    assert_eq!(third.code(), "KMSInvalidStateException");
    let message = third.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("New key material (id: ")
            && message.ends_with(&format!(
                ") cannot be imported into KMS key {key}, because another key material (id: {b}) is pending rotation."
            ))
            && !message.contains(&a),
        "{message}"
    );
    let meta = &h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"];
    assert_eq!(meta["CurrentKeyMaterialId"], a.as_str());
    let all = h.ok(
        "ListKeyRotations",
        json!({ "KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL" }),
    );
    let pending = &all["Rotations"][1];
    assert_eq!(pending["KeyMaterialDescription"], "second one");
    assert_eq!(pending["ImportState"], "IMPORTED");
    assert_eq!(pending["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assert!(pending.get("RotationDate").is_none());
    assert_eq!(
        states(&h, &key, "ALL_KEY_MATERIAL"),
        vec![
            (a.clone(), "CURRENT".into()),
            (b.clone(), "PENDING_ROTATION".into())
        ]
    );
    assert!(states(&h, &key, "ROTATIONS_ONLY").is_empty());

    let under_a = encrypt(&h, &key);
    h.clock.advance(Duration::from_secs(60));
    let rotated = h.ok("RotateKeyOnDemand", json!({ "KeyId": key }));
    assert_eq!(
        rotated["KeyId"],
        format!("arn:aws:kms:us-east-1:000000000000:key/{key}")
    );
    let under_b = encrypt(&h, &key);
    assert_eq!(decrypts_with(&h, &under_a), a);
    assert_eq!(decrypts_with(&h, &under_b), b);
    let rotations = h.ok("ListKeyRotations", json!({ "KeyId": key }))["Rotations"].clone();
    assert_eq!(rotations.as_array().unwrap().len(), 1);
    assert_eq!(rotations[0]["KeyMaterialId"], b.as_str());
    assert_eq!(rotations[0]["RotationType"], "ON_DEMAND");
    assert_eq!(rotations[0]["RotationDate"], json!(h.now_secs()));
    assert_eq!(
        states(&h, &key, "ALL_KEY_MATERIAL"),
        vec![
            (a.clone(), "NON_CURRENT".into()),
            (b.clone(), "CURRENT".into())
        ]
    );

    // Deleting any material that is not pending rotation makes the key unusable until that
    // material is back.
    h.ok(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key, "KeyMaterialId": a }),
    );
    let meta = &h.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"];
    assert_eq!(meta["KeyState"], "PendingImport");
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": under_b }),
        "KMSInvalidStateException",
    );
    let again = import(
        &h,
        &key,
        &[1; 32],
        json!({ "ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": a }),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(decrypts_with(&h, &under_a), a);
    assert_eq!(decrypts_with(&h, &under_b), b);
}

#[test]
fn generated_keys_rotate_on_the_clock_and_on_demand() {
    let h = harness();
    let key = h.create_key("AWS_KMS");
    let off = h.ok("GetKeyRotationStatus", json!({ "KeyId": key }));
    assert_eq!(off["KeyRotationEnabled"], false);
    h.err(
        "EnableKeyRotation",
        json!({ "KeyId": key, "RotationPeriodInDays": 89 }),
        "ValidationException",
    );
    assert_eq!(
        h.call(
            "EnableKeyRotation",
            json!({ "KeyId": key, "RotationPeriodInDays": 90 })
        )
        .status,
        200
    );
    let on = h.ok("GetKeyRotationStatus", json!({ "KeyId": key }));
    assert_eq!(on["KeyRotationEnabled"], true);
    assert_eq!(on["RotationPeriodInDays"], 90);
    assert_eq!(on["NextRotationDate"], json!(h.now_secs() + 90 * 86_400));

    let before = encrypt(&h, &key);
    let first = decrypts_with(&h, &before);
    h.clock.advance(Duration::from_secs(91 * 86_400));
    let after = encrypt(&h, &key);
    let second = decrypts_with(&h, &after);
    assert_ne!(first, second, "a new material after the period");
    assert_eq!(decrypts_with(&h, &before), first);
    let rotations = h.ok("ListKeyRotations", json!({ "KeyId": key }))["Rotations"].clone();
    assert_eq!(rotations[0]["RotationType"], "AUTOMATIC");
    assert!(
        rotations[0].get("ImportState").is_none(),
        "import fields are for EXTERNAL keys only"
    );

    h.ok("RotateKeyOnDemand", json!({ "KeyId": key }));
    let third = decrypts_with(&h, &encrypt(&h, &key));
    assert_ne!(third, second);
    assert_eq!(states(&h, &key, "ROTATIONS_ONLY").len(), 2);

    assert_eq!(
        h.call("DisableKeyRotation", json!({ "KeyId": key })).status,
        200
    );
    let off = h.ok("GetKeyRotationStatus", json!({ "KeyId": key }));
    assert_eq!(off["KeyRotationEnabled"], false);
    assert!(off.get("NextRotationDate").is_none());
}

#[test]
fn the_refusals_aws_documents() {
    let h = harness();
    let external = h.create_key("EXTERNAL");
    for op in ["EnableKeyRotation", "DisableKeyRotation"] {
        h.err(
            op,
            json!({ "KeyId": external }),
            "UnsupportedOperationException",
        );
    }
    let hmac = h.ok(
        "CreateKey",
        json!({ "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC" }),
    )["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    for op in [
        "EnableKeyRotation",
        "DisableKeyRotation",
        "RotateKeyOnDemand",
        "ListKeyRotations",
    ] {
        h.err(
            op,
            json!({ "KeyId": hmac }),
            "UnsupportedOperationException",
        );
    }
    // The status of a key that cannot rotate automatically is "not enabled", not a refusal
    // (the Terraform provider reads it for every key).
    let signing = h.ok(
        "CreateKey",
        json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY" }),
    )["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    for key in [&hmac, &signing] {
        let status = h.ok("GetKeyRotationStatus", json!({ "KeyId": key }));
        assert_eq!(status["KeyRotationEnabled"], false, "{status}");
        assert!(status.get("NextRotationDate").is_none());
    }
    let missing = "00000000-0000-4000-8000-000000000000";
    h.err(
        "RotateKeyOnDemand",
        json!({ "KeyId": missing }),
        "NotFoundException",
    );
    h.err(
        "ListKeyRotations",
        json!({ "KeyId": external, "IncludeKeyMaterial": "SOME" }),
        "ValidationException",
    );
    h.err(
        "ListKeyRotations",
        json!({ "KeyId": external, "Marker": "rotation.nope" }),
        "InvalidMarkerException",
    );
    let generated = h.create_key("AWS_KMS");
    h.ok("DisableKey", json!({ "KeyId": generated }));
    h.err(
        "RotateKeyOnDemand",
        json!({ "KeyId": generated }),
        "DisabledException",
    );
    // 25 rotations on demand, then LimitExceededException, even for a key that is disabled
    // (the bound is the first thing AWS checks after the key's type).
    h.ok("EnableKey", json!({ "KeyId": generated }));
    for _ in 0..25 {
        h.ok("RotateKeyOnDemand", json!({ "KeyId": generated }));
    }
    let refused = h.err(
        "RotateKeyOnDemand",
        json!({ "KeyId": generated }),
        "LimitExceededException",
    );
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("The on-demand rotations limit has been reached")),
        "{refused}"
    );
    h.ok("DisableKey", json!({ "KeyId": generated }));
    h.err(
        "RotateKeyOnDemand",
        json!({ "KeyId": generated }),
        "LimitExceededException",
    );
    // An imported key without material pending rotation.
    let imported = h.create_key("EXTERNAL");
    assert_eq!(import(&h, &imported, &[3; 32], json!({})).status, 200);
    let refused = h.err(
        "RotateKeyOnDemand",
        json!({ "KeyId": imported }),
        "KMSInvalidStateException",
    );
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("No available key material pending rotation")),
        "{refused}"
    );
}

#[test]
fn listings_page_with_opaque_markers() {
    let h = harness();
    let key = h.create_key("AWS_KMS");
    for _ in 0..3 {
        h.ok("RotateKeyOnDemand", json!({ "KeyId": key }));
    }
    let first = h.ok("ListKeyRotations", json!({ "KeyId": key, "Limit": 2 }));
    assert_eq!(first["Truncated"], true);
    assert_eq!(first["Rotations"].as_array().unwrap().len(), 2);
    let rest = h.ok(
        "ListKeyRotations",
        json!({ "KeyId": key, "Limit": 2, "Marker": first["NextMarker"] }),
    );
    assert_eq!(rest["Truncated"], false);
    assert_eq!(rest["Rotations"].as_array().unwrap().len(), 1);
    assert!(rest.get("NextMarker").is_none());
}
