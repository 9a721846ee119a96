//! Key rotation (#17): enable/disable-key-rotation, get-key-rotation-status with
//! key_materials[], update-key-rotation-interval (30–365), rotate-on-demand, KeyDetails'
//! key_rotation_enabled, automatic rotation on the emulated clock, old ciphertexts after
//! rotations, and KMS.0312 for imported keys.

use serde_json::{Value, json};

use crate::support::*;

const DAY: u64 = 86_400;

fn status(h: &Harness, key: &str) -> Value {
    h.ok("get-key-rotation-status", json!({ "key_id": key }))
}

fn encrypt(h: &Harness, key: &str, text: &str) -> String {
    h.ok("encrypt-data", json!({ "key_id": key, "plain_text": text }))["cipher_text"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn decrypts_to(h: &Harness, key: &str, ct: &str, text: &str) {
    let out = h.ok("decrypt-data", json!({ "cipher_text": ct, "key_id": key }));
    assert_eq!(out["plain_text"], text);
}

#[test]
fn enable_status_interval_disable() {
    let h = harness();
    let key = h.create_key("kms", "AES_256");
    let s = status(&h, &key);
    assert_eq!(s["key_rotation_enabled"], false);
    assert_eq!(s["number_of_rotations"], 0);
    assert_eq!(s["last_rotation_time"], "");
    let materials = s["key_materials"].as_array().unwrap();
    assert_eq!(materials.len(), 1);
    assert_eq!(materials[0]["state"], 2);
    assert_eq!(materials[0]["material_id"].as_str().unwrap().len(), 36);
    assert_eq!(
        materials[0]["create_time"],
        (h.now_secs() * 1000).to_string()
    );
    assert_eq!(materials[0]["expiration_time"], "");

    // Not enabled: the interval cannot be changed.
    h.err(
        "update-key-rotation-interval",
        json!({ "key_id": key, "rotation_interval": 30 }),
        400,
        "KMS.0313",
    );
    assert_eq!(
        h.ok("enable-key-rotation", json!({ "key_id": key })),
        json!({})
    );
    let s = status(&h, &key);
    assert_eq!(s["key_rotation_enabled"], true);
    assert_eq!(s["rotation_interval"], 365);
    assert_eq!(h.describe(&key)["key_rotation_enabled"], "true");

    for bad in [json!(29), json!(366), json!("x")] {
        h.err(
            "update-key-rotation-interval",
            json!({ "key_id": key, "rotation_interval": bad }),
            400,
            "KMS.0308",
        );
    }
    h.err(
        "update-key-rotation-interval",
        json!({ "key_id": key }),
        400,
        "KMS.0204",
    );
    h.ok(
        "update-key-rotation-interval",
        json!({ "key_id": key, "rotation_interval": "30", "sequence": "919c82d4-8046-4722-9094-35c3c6524cff" }),
    );
    assert_eq!(status(&h, &key)["rotation_interval"], 30);
    // Enabling again keeps the interval.
    h.ok("enable-key-rotation", json!({ "key_id": key }));
    assert_eq!(status(&h, &key)["rotation_interval"], 30);

    h.ok("disable-key-rotation", json!({ "key_id": key }));
    assert_eq!(status(&h, &key)["key_rotation_enabled"], false);
    assert_eq!(h.describe(&key)["key_rotation_enabled"], "false");
    let listed = h.ok("list-keys", json!({ "key_spec": "ALL" }));
    assert_eq!(listed["key_details"][0]["key_rotation_enabled"], "false");
}

#[test]
fn automatic_rotation_on_the_clock_keeps_old_ciphertexts() {
    let h = harness();
    let key = h.create_key("kms", "SM4");
    h.ok("enable-key-rotation", json!({ "key_id": key }));
    h.ok(
        "update-key-rotation-interval",
        json!({ "key_id": key, "rotation_interval": 30 }),
    );
    let start = h.now_secs();
    let before = encrypt(&h, &key, "before");
    h.advance(30 * DAY + 1);
    let s = status(&h, &key);
    assert_eq!(s["number_of_rotations"], 1);
    assert_eq!(
        s["last_rotation_time"],
        ((start + 30 * DAY) * 1000).to_string()
    );
    let materials = s["key_materials"].as_array().unwrap();
    assert_eq!(materials.len(), 2);
    assert_ne!(materials[0]["material_id"], materials[1]["material_id"]);
    let after = encrypt(&h, &key, "after");
    decrypts_to(&h, &key, &before, "before");
    decrypts_to(&h, &key, &after, "after");

    h.advance(365 * DAY);
    assert!(status(&h, &key)["number_of_rotations"].as_u64().unwrap() >= 12);
    decrypts_to(&h, &key, &before, "before");
    decrypts_to(&h, &key, &after, "after");
}

#[test]
fn rotate_on_demand() {
    let h = harness();
    let key = h.create_key("kms", "AES_256");
    let before = encrypt(&h, &key, "old");
    let out = h.ok("rotate-on-demand", json!({ "key_id": key }));
    assert_eq!(out, json!({ "key_id": key }));
    let s = status(&h, &key);
    assert_eq!(s["number_of_rotations"], 1);
    assert_eq!(s["key_rotation_enabled"], false);
    assert_eq!(s["key_materials"].as_array().unwrap().len(), 2);
    decrypts_to(&h, &key, &before, "old");
    h.ok("disable-key", json!({ "key_id": key }));
    h.err(
        "rotate-on-demand",
        json!({ "key_id": key }),
        400,
        "KMS.0209",
    );
}

#[test]
fn imported_keys_cannot_rotate() {
    let h = harness();
    let key = h.create_key("external", "AES_256");
    for (action, body) in [
        ("enable-key-rotation", json!({ "key_id": key })),
        ("disable-key-rotation", json!({ "key_id": key })),
        (
            "update-key-rotation-interval",
            json!({ "key_id": key, "rotation_interval": 90 }),
        ),
        ("rotate-on-demand", json!({ "key_id": key })),
    ] {
        let reply = h.err(action, body, 400, "KMS.0312");
        assert!(
            reply
                .message()
                .starts_with("External keys cannot be rotated")
        );
    }
    let s = status(&h, &key);
    assert_eq!(s["key_rotation_enabled"], false);
    assert_eq!(s["key_materials"], json!([]));
    h.err(
        "get-key-rotation-status",
        json!({ "key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f" }),
        404,
        "KMS.0207",
    );
}

/// Huawei documents no rotation code for asymmetric keys: KMS.0308 (invalid parameter), with
/// a message about rotation (the request names no algorithm to blame).
#[test]
fn asymmetric_keys_cannot_rotate() {
    let h = harness();
    let key = h.create_key("kms", "EC_P256");
    for (action, body) in [
        ("enable-key-rotation", json!({ "key_id": key })),
        ("disable-key-rotation", json!({ "key_id": key })),
        (
            "update-key-rotation-interval",
            json!({ "key_id": key, "rotation_interval": 90 }),
        ),
        ("rotate-on-demand", json!({ "key_id": key })),
    ] {
        let reply = h.err(action, body, 400, "KMS.0308");
        assert!(
            reply
                .message()
                .contains("Key rotation is supported only for symmetric keys"),
            "{action}: {}",
            reply.message()
        );
    }
    let s = status(&h, &key);
    assert_eq!(s["key_rotation_enabled"], false);
    assert_eq!(s["key_materials"].as_array().unwrap().len(), 1);
    assert_eq!(h.describe(&key)["key_rotation_enabled"], "false");
}
