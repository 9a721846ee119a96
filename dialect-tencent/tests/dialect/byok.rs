//! The BYOK flow and Tencent's import rules (seed 003): external keys only, Enabled or
//! PendingImport only, same material only, ValidTo bounds, expiry, tokens, two CMKs.

use std::time::Duration;

use dialect_tencent::{Edition, Settings};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};
use serde_json::{Value, json};

use crate::support::*;

fn wrap(algorithm: &str, params: &Value, material: &[u8]) -> String {
    let key = RsaPublicKey::from_public_key_der(&unb64(&params["PublicKey"])).unwrap();
    let rng = &mut rand_core::OsRng;
    let wrapped = match algorithm {
        "RSAES_OAEP_SHA_256" => key.encrypt(rng, Oaep::new::<sha2::Sha256>(), material),
        "RSAES_OAEP_SHA_1" => key.encrypt(rng, Oaep::new::<sha1::Sha1>(), material),
        "RSAES_PKCS1_V1_5" => key.encrypt(rng, Pkcs1v15Encrypt, material),
        other => panic!("{other}"),
    };
    b64(&wrapped.unwrap())
}

fn params_for(h: &Harness, key: &str, algorithm: &str) -> Value {
    h.ok(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": algorithm, "WrappingKeySpec": "RSA_2048" }),
    )
}

fn import(h: &Harness, key: &str, material: &[u8], valid_to: u64) -> Value {
    let p = params_for(h, key, "RSAES_OAEP_SHA_256");
    h.call(
        "ImportKeyMaterial",
        json!({
            "KeyId": key,
            "ImportToken": p["ImportToken"],
            "EncryptedKeyMaterial": wrap("RSAES_OAEP_SHA_256", &p, material),
            "ValidTo": valid_to,
        }),
    )
    .body
}

fn code(body: &Value) -> &str {
    body["Response"]["Error"]["Code"].as_str().unwrap_or("")
}

fn roundtrip(h: &Harness, key: &str) {
    let out = h.ok(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(b"secret") }),
    );
    let back = h.ok(
        "Decrypt",
        json!({ "CiphertextBlob": out["CiphertextBlob"] }),
    );
    assert_eq!(unb64(&back["Plaintext"]), b"secret");
    assert_eq!(back["KeyId"], key);
}

#[test]
fn byok_with_every_algorithm_in_both_editions() {
    for (edition, len, ty) in [(Edition::Fips, 32, 2), (Edition::Sm, 16, 4)] {
        let h = harness_with(Settings {
            edition,
            ..Settings::default()
        });
        for (i, algorithm) in ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"]
            .into_iter()
            .enumerate()
        {
            let key = h.create_key(&format!("k{i}"), 2);
            let meta = h.describe(&key);
            assert_eq!(meta["KeyState"], "PendingImport");
            assert_eq!(meta["Origin"], "EXTERNAL");
            assert_eq!(meta["Type"], ty);
            let p = params_for(&h, &key, algorithm);
            assert_eq!(p["KeyId"], key);
            assert_eq!(p["ParametersValidTo"], h.now_secs() + 86_400);
            let material = vec![i as u8 + 1; len];
            let out = h.ok(
                "ImportKeyMaterial",
                json!({
                    "KeyId": key,
                    "ImportToken": p["ImportToken"],
                    "EncryptedKeyMaterial": wrap(algorithm, &p, &material),
                }),
            );
            assert_eq!(out.as_object().unwrap().len(), 1, "only RequestId: {out}");
            let meta = h.describe(&key);
            assert_eq!(meta["KeyState"], "Enabled");
            assert_eq!(meta["ValidTo"], 0);
            roundtrip(&h, &key);
        }
        // The other edition's length is refused.
        let key = h.create_key("wrong-length", 2);
        let body = import(&h, &key, &vec![1; 48 - len], 0);
        assert_eq!(
            code(&body),
            "InvalidParameterValue.InvalidImportKeyMaterial"
        );
    }
}

#[test]
fn sm2_wrapping_is_offered_only_by_the_sm_edition() {
    let fips = harness();
    let key = fips.create_key("a", 2);
    let gpi = json!({ "KeyId": key, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "SM2" });
    fips.err("GetParametersForImport", gpi, "InvalidParameterValue");
    let sm = harness_with(Settings {
        edition: Edition::Sm,
        ..Settings::default()
    });
    let key = sm.create_key("a", 2);
    let p = sm.ok(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "SM2" }),
    );
    assert!(!unb64(&p["PublicKey"]).is_empty());
    // Mixed algorithm and spec.
    sm.err(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "RSA_2048" }),
        "InvalidParameterValue",
    );
}

#[test]
fn import_rules_of_seed_003() {
    let h = harness();
    // Only EXTERNAL keys.
    let generated = h.create_key("gen", 1);
    h.err(
        "GetParametersForImport",
        json!({ "KeyId": generated, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
        "UnsupportedOperation.NotExternalCmk",
    );
    h.err(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": generated }),
        "UnsupportedOperation.NotExternalCmk",
    );
    let junk = json!({ "KeyId": generated, "ImportToken": b64(&[1; 300]), "EncryptedKeyMaterial": b64(&[2; 256]) });
    h.err(
        "ImportKeyMaterial",
        junk,
        "UnsupportedOperation.NotExternalCmk",
    );
    // Unknown and malformed ids.
    let unknown = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let junk = json!({ "KeyId": unknown, "ImportToken": b64(&[1; 300]), "EncryptedKeyMaterial": b64(&[2; 256]) });
    h.err("ImportKeyMaterial", junk, "ResourceUnavailable.CmkNotFound");
    let junk = json!({ "KeyId": "1234ABCD-12ab-34cd-56ef-1234567890ab", "ImportToken": b64(&[1; 300]), "EncryptedKeyMaterial": b64(&[2; 256]) });
    h.err(
        "ImportKeyMaterial",
        junk,
        "InvalidParameterValue.InvalidKeyId",
    );

    let key = h.create_key("ext", 2);
    let material = [7u8; 32];
    // Garbage wrapped material, and material wrapped to another token's key.
    let p = params_for(&h, &key, "RSAES_OAEP_SHA_256");
    let other = params_for(&h, &key, "RSAES_OAEP_SHA_256");
    for wrapped in [
        b64(&[3; 256]),
        wrap("RSAES_OAEP_SHA_256", &other, &material),
    ] {
        h.err(
            "ImportKeyMaterial",
            json!({ "KeyId": key, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": wrapped }),
            "InvalidParameter.DecryptMaterialError",
        );
    }
    // A made-up token, a token of another key: the generic InvalidParameter.
    let wrapped = wrap("RSAES_OAEP_SHA_256", &p, &material);
    h.err(
        "ImportKeyMaterial",
        json!({ "KeyId": key, "ImportToken": b64(&[9; 400]), "EncryptedKeyMaterial": wrapped }),
        "InvalidParameter",
    );
    let key2 = h.create_key("ext2", 2);
    h.err(
        "ImportKeyMaterial",
        json!({ "KeyId": key2, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": wrapped }),
        "InvalidParameter",
    );
    assert_eq!(
        h.describe(&key)["KeyState"],
        "PendingImport",
        "refusals change nothing"
    );

    // First import; re-import of the same material sets a new expiry; other material never.
    assert_eq!(code(&import(&h, &key, &material, 0)), "");
    let later = h.now_secs() + 3600;
    assert_eq!(code(&import(&h, &key, &material, later)), "");
    assert_eq!(h.describe(&key)["ValidTo"], later);
    assert_eq!(
        code(&import(&h, &key, &[8u8; 32], 0)),
        "InvalidParameterValue.MaterialNotMatch"
    );
    // Not into a disabled key (Tencent: Enabled or PendingImport only), nor one pending
    // deletion.
    h.ok("DisableKey", json!({ "KeyId": key }));
    assert_eq!(
        code(&import(&h, &key, &material, 0)),
        "ResourceUnavailable.CmkStateNotSupport"
    );
    h.ok(
        "ScheduleKeyDeletion",
        json!({ "KeyId": key, "PendingWindowInDays": 7 }),
    );
    assert_eq!(h.describe(&key)["KeyState"], "PendingDelete");
    h.err(
        "ImportKeyMaterial",
        json!({ "KeyId": key, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": wrapped }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
    h.ok("CancelKeyDeletion", json!({ "KeyId": key }));
    assert_eq!(h.describe(&key)["KeyState"], "Disabled");
    h.ok("EnableKey", json!({ "KeyId": key }));
    roundtrip(&h, &key);

    // Expiry: the key is unusable until the same material comes back.
    let blob =
        h.ok("Encrypt", json!({ "KeyId": key, "Plaintext": b64(b"x") }))["CiphertextBlob"].clone();
    h.clock.advance(Duration::from_secs(3600));
    let meta = h.describe(&key);
    assert_eq!(meta["KeyState"], "PendingImport");
    assert_eq!(meta["ValidTo"], 0);
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
    assert_eq!(
        code(&import(&h, &key, &[8u8; 32], 0)),
        "InvalidParameterValue.MaterialNotMatch"
    );
    assert_eq!(code(&import(&h, &key, &material, 0)), "");
    h.ok("Decrypt", json!({ "CiphertextBlob": blob }));

    // Deleted material: the same rule.
    h.ok("DeleteImportedKeyMaterial", json!({ "KeyId": key }));
    assert_eq!(h.describe(&key)["KeyState"], "PendingImport");
    h.err(
        "DeleteImportedKeyMaterial",
        json!({ "KeyId": key }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
    h.err(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(b"x") }),
        "ResourceUnavailable.CmkStateNotSupport",
    );
    assert_eq!(
        code(&import(&h, &key, &[8u8; 32], 0)),
        "InvalidParameterValue.MaterialNotMatch"
    );
    assert_eq!(code(&import(&h, &key, &material, 0)), "");
    h.ok("Decrypt", json!({ "CiphertextBlob": blob }));
}

#[test]
fn tokens_and_public_keys_live_24_hours() {
    let h = harness();
    let key = h.create_key("ext", 2);
    let p = params_for(&h, &key, "RSAES_OAEP_SHA_1");
    let wrapped = wrap("RSAES_OAEP_SHA_1", &p, &[5; 32]);
    // A second key's parameters, of the same instant: still good a second before 24 h.
    let early = h.create_key("ext-early", 2);
    let pe = params_for(&h, &early, "RSAES_OAEP_SHA_1");
    assert_eq!(pe["ParametersValidTo"], p["ParametersValidTo"]);
    h.clock.advance(Duration::from_secs(86_399));
    h.ok(
        "ImportKeyMaterial",
        json!({ "KeyId": early, "ImportToken": pe["ImportToken"],
                "EncryptedKeyMaterial": wrap("RSAES_OAEP_SHA_1", &pe, &[6; 32]) }),
    );
    h.clock.advance(Duration::from_secs(1));
    h.err(
        "ImportKeyMaterial",
        json!({ "KeyId": key, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": wrapped }),
        "ResourceUnavailable.TokenExpired",
    );
    assert_eq!(h.describe(&key)["KeyState"], "PendingImport");
}

#[test]
fn valid_to_edges() {
    let h = harness();
    let key = h.create_key("ext", 2);
    let material = [4u8; 32];
    let now = h.now_secs();
    for bad in [now, now - 1, 2_147_443_201] {
        assert_eq!(
            code(&import(&h, &key, &material, bad)),
            "InvalidParameter",
            "{bad}"
        );
    }
    assert_eq!(h.describe(&key)["KeyState"], "PendingImport");
    assert_eq!(code(&import(&h, &key, &material, 2_147_443_200)), "");
    assert_eq!(h.describe(&key)["ValidTo"], 2_147_443_200u64);
    assert_eq!(code(&import(&h, &key, &material, 0)), "");
    assert_eq!(h.describe(&key)["ValidTo"], 0);
    let soon = now + 1;
    assert_eq!(code(&import(&h, &key, &material, soon)), "");
    h.clock.advance(Duration::from_secs(1));
    assert_eq!(h.describe(&key)["KeyState"], "PendingImport");
}

#[test]
fn the_same_material_in_two_cmks_does_not_cross_decrypt() {
    let h = harness();
    let material = [6u8; 32];
    let a = h.create_key("a", 2);
    let b = h.create_key("b", 2);
    assert_eq!(code(&import(&h, &a, &material, 0)), "");
    assert_eq!(code(&import(&h, &b, &material, 0)), "");
    let blob = unb64(
        &h.ok("Encrypt", json!({ "KeyId": a, "Plaintext": b64(b"for a") }))["CiphertextBlob"],
    );
    // The blob names its CMK: with A's id replaced by B's, B (same material) refuses it.
    let a_bytes = *uuid::Uuid::parse_str(&a).unwrap().as_bytes();
    let b_bytes = *uuid::Uuid::parse_str(&b).unwrap().as_bytes();
    let at = blob
        .windows(16)
        .position(|w| w == a_bytes)
        .expect("the blob carries the key id");
    let mut forged = blob.clone();
    forged[at..at + 16].copy_from_slice(&b_bytes);
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": b64(&forged) }),
        "FailedOperation.DecryptError",
    );
    // Disabling A makes its ciphertext unreadable although B holds the same material.
    h.ok("DisableKey", json!({ "KeyId": a }));
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": b64(&blob) }),
        "ResourceUnavailable.CmkDisabled",
    );
}
