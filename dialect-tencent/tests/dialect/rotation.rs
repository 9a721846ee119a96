//! Key rotation (#17): EnableKeyRotation (RotateDays 7–365, default 365),
//! DisableKeyRotation, GetKeyRotationStatus, RotateKey, KeyMetadata's rotation fields,
//! automatic rotation on the emulated clock, old ciphertexts after rotations, and the
//! refusals for imported keys.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

const DAY: u64 = 86_400;

fn enabled(h: &Harness, key: &str) -> Value {
    h.ok("GetKeyRotationStatus", json!({ "KeyId": key }))["KeyRotationEnabled"].clone()
}

fn encrypt(h: &Harness, key: &str, text: &[u8]) -> Value {
    h.ok("Encrypt", json!({ "KeyId": key, "Plaintext": b64(text) }))["CiphertextBlob"].clone()
}

fn decrypts_to(h: &Harness, blob: &Value, text: &[u8]) {
    let back = h.ok("Decrypt", json!({ "CiphertextBlob": blob }));
    assert_eq!(unb64(&back["Plaintext"]), text);
}

#[test]
fn enable_status_disable_and_metadata() {
    let h = harness();
    let key = h.create_key("rot-1", 1);
    assert_eq!(enabled(&h, &key), false);
    let meta = h.describe(&key);
    assert_eq!(meta["KeyRotationEnabled"], false);
    assert_eq!(meta["NextRotateTime"], 0);
    assert_eq!(meta["LastRotateTime"], 0);

    // RotateDays defaults to 365.
    h.ok("EnableKeyRotation", json!({ "KeyId": key }));
    assert_eq!(enabled(&h, &key), true);
    let meta = h.describe(&key);
    assert_eq!(meta["KeyRotationEnabled"], true);
    assert_eq!(meta["RotateDays"], 365);
    assert_eq!(meta["NextRotateTime"], h.now_secs() + 365 * DAY);

    h.ok(
        "EnableKeyRotation",
        json!({ "KeyId": key, "RotateDays": 7 }),
    );
    assert_eq!(h.describe(&key)["RotateDays"], 7);
    let listed = h.ok("ListKeyDetail", json!({}))["KeyMetadatas"][0].clone();
    assert_eq!(listed["KeyRotationEnabled"], true);
    assert_eq!(listed["RotateDays"], 7);
    let listed = h.ok("DescribeKeys", json!({ "KeyIds": [key] }))["KeyMetadatas"][0].clone();
    assert_eq!(listed["NextRotateTime"], h.now_secs() + 7 * DAY);

    h.ok("DisableKeyRotation", json!({ "KeyId": key }));
    assert_eq!(enabled(&h, &key), false);
    let meta = h.describe(&key);
    assert_eq!(meta["KeyRotationEnabled"], false);
    assert_eq!(meta["NextRotateTime"], 0);
}

#[test]
fn rotate_days_are_7_to_365() {
    let h = harness();
    let key = h.create_key("rot-days", 1);
    for bad in [json!(6), json!(366), json!(0), json!(-1)] {
        h.err(
            "EnableKeyRotation",
            json!({ "KeyId": key, "RotateDays": bad }),
            "InvalidParameterValue",
        );
    }
    h.err(
        "EnableKeyRotation",
        json!({ "KeyId": key, "RotateDays": "x" }),
        "InvalidParameter",
    );
    for good in [7, 365] {
        h.ok(
            "EnableKeyRotation",
            json!({ "KeyId": key, "RotateDays": good }),
        );
    }
    h.err("EnableKeyRotation", json!({}), "MissingParameter");
    h.err(
        "EnableKeyRotation",
        json!({ "KeyId": key, "Surprise": 1 }),
        "UnknownParameter",
    );
    h.err(
        "GetKeyRotationStatus",
        json!({ "KeyId": "0d0466b0-e727-4d9c-b35d-f84bb474a37f" }),
        "ResourceUnavailable.CmkNotFound",
    );
}

#[test]
fn automatic_rotation_on_the_clock_keeps_old_ciphertexts() {
    let h = harness();
    let key = h.create_key("rot-auto", 1);
    h.ok(
        "EnableKeyRotation",
        json!({ "KeyId": key, "RotateDays": 7 }),
    );
    let before = encrypt(&h, &key, b"before");
    let planned = h.describe(&key)["NextRotateTime"].as_u64().unwrap();

    h.clock.advance(Duration::from_secs(7 * DAY + 1));
    let meta = h.describe(&key);
    assert_eq!(meta["LastRotateTime"], planned);
    assert_eq!(meta["NextRotateTime"], planned + 7 * DAY);
    let after = encrypt(&h, &key, b"after");
    assert_ne!(before, after);
    decrypts_to(&h, &before, b"before");
    decrypts_to(&h, &after, b"after");

    // A year later: caught up, and every ciphertext still decrypts.
    h.clock.advance(Duration::from_secs(365 * DAY));
    decrypts_to(&h, &before, b"before");
    decrypts_to(&h, &after, b"after");
    assert!(h.describe(&key)["LastRotateTime"].as_u64().unwrap() > planned);
}

#[test]
fn rotate_key_needs_rotation_enabled() {
    let h = harness();
    let key = h.create_key("rot-now", 1);
    h.err(
        "RotateKey",
        json!({ "KeyId": key }),
        "UnsupportedOperation.RotateNotSupported",
    );
    h.ok("EnableKeyRotation", json!({ "KeyId": key }));
    let before = encrypt(&h, &key, b"old");
    // ReEncrypt to the same key: unchanged while the key has not rotated ("若密钥没有轮换则
    // 密文不会刷新"), re-encrypted under the new material once it has.
    let re_encrypt = || h.ok("ReEncrypt", json!({ "CiphertextBlob": before }));
    let same = re_encrypt();
    assert_eq!(
        (&same["ReEncrypted"], &same["CiphertextBlob"]),
        (&json!(false), &before)
    );
    h.clock.advance(Duration::from_secs(60));
    let out = h.ok("RotateKey", json!({ "KeyId": key }));
    assert_eq!(out["TaskId"].as_str().map(str::len), Some(36));
    let meta = h.describe(&key);
    assert_eq!(meta["LastRotateTime"], h.now_secs());
    decrypts_to(&h, &before, b"old");
    let refreshed = re_encrypt();
    assert_eq!(refreshed["ReEncrypted"], true);
    let blob = refreshed["CiphertextBlob"].clone();
    assert_ne!(blob, before);
    decrypts_to(&h, &blob, b"old");
    // The refreshed ciphertext is under the current material: unchanged from now on.
    let again = h.ok("ReEncrypt", json!({ "CiphertextBlob": blob }));
    assert_eq!(again["ReEncrypted"], false);
    // The on-demand rotation does not move the schedule.
    assert_eq!(
        meta["NextRotateTime"].as_u64().unwrap(),
        h.now_secs() - 60 + 365 * DAY
    );
    // Once per 24 hours.
    h.clock.advance(Duration::from_secs(23 * 3600));
    h.err(
        "RotateKey",
        json!({ "KeyId": key }),
        "RequestLimitExceeded.RotateRateLimited",
    );
    h.clock.advance(Duration::from_secs(3600));
    h.ok("RotateKey", json!({ "KeyId": key }));

    // A disabled key cannot rotate (as no use of a disabled key's material can).
    h.ok("DisableKey", json!({ "KeyId": key }));
    h.err(
        "RotateKey",
        json!({ "KeyId": key }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
}

#[test]
fn imported_keys_cannot_rotate() {
    let h = harness();
    let key = h.create_key("rot-ext", 2);
    for (action, body) in [
        ("EnableKeyRotation", json!({ "KeyId": key })),
        (
            "EnableKeyRotation",
            json!({ "KeyId": key, "RotateDays": 30 }),
        ),
    ] {
        h.err(action, body, "UnsupportedOperation.ExternalCmkCanNotRotate");
    }
    // RotateNotSupported's causes name external keys ("外部密钥").
    h.err(
        "RotateKey",
        json!({ "KeyId": key }),
        "UnsupportedOperation.RotateNotSupported",
    );
    // DisableKeyRotation documents no rotation refusal: rotation is already off.
    h.ok("DisableKeyRotation", json!({ "KeyId": key }));
    // A read answers.
    assert_eq!(enabled(&h, &key), false);
    assert_eq!(h.describe(&key)["KeyRotationEnabled"], false);
}

#[test]
fn asymmetric_keys_cannot_rotate() {
    use kms_core::{CreateKey, KeySpec, KeyUsage, Origin, Tags};
    let h = harness();
    // Tencent's CreateKey makes symmetric keys here; an asymmetric key comes from the engine.
    let tenant = kms_core::TenantId::new(format!("tencent/100000000001/{REGION}")).unwrap();
    let key = h
        .kms
        .create_key(
            &tenant,
            CreateKey {
                spec: KeySpec::EccNistP256,
                usage: KeyUsage::SignVerify,
                origin: Origin::Generated,
                description: String::new(),
                tags: Tags::new(),
            },
        )
        .unwrap()
        .key_id
        .to_string();
    h.err(
        "EnableKeyRotation",
        json!({ "KeyId": key }),
        "UnsupportedOperation.RotateNotSupported",
    );
    h.err(
        "RotateKey",
        json!({ "KeyId": key }),
        "UnsupportedOperation.RotateNotSupported",
    );
    h.ok("DisableKeyRotation", json!({ "KeyId": key }));
    assert_eq!(enabled(&h, &key), false);
}
