//! The import flow as the seeds describe it: parameters, client-side wrapping, import, use,
//! expiry at the given instant, re-import, deletion of imported material, and each import
//! error with its KMS code.

use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};
use serde_json::{Value, json};

use crate::support::*;

#[derive(Clone, Copy)]
enum Wrap {
    OaepSha256,
    /// Java's `RSA/ECB/OAEPWithSHA-256AndMGF1Padding`: OAEP-SHA-256 with MGF1-SHA-1.
    OaepSha256Mgf1Sha1,
    OaepSha1,
    Pkcs1V15,
}

fn params(h: &Harness, key: &str, algorithm: &str) -> Value {
    let out = h.ok(
        "get-parameters-for-import",
        json!({ "key_id": key, "wrapping_algorithm": algorithm, "sequence": "919c82d4-8046-4722-9094-35c3c6524cff" }),
    );
    assert_eq!(out["key_id"], key);
    assert!(out["expiration_time"].is_u64(), "{out}");
    let token = out["import_token"].as_str().unwrap();
    assert!((200..=6144).contains(&token.len()), "{}", token.len());
    out
}

fn wrap(params: &Value, how: Wrap, material: &[u8]) -> String {
    let public = RsaPublicKey::from_public_key_der(&unb64(&params["public_key"])).unwrap();
    assert_eq!(rsa::traits::PublicKeyParts::size(&public), 256, "RSA_2048");
    let rng = &mut rand_core::OsRng;
    let wrapped = match how {
        Wrap::OaepSha256 => public.encrypt(rng, Oaep::new::<sha2::Sha256>(), material),
        Wrap::OaepSha256Mgf1Sha1 => public.encrypt(
            rng,
            Oaep::new_with_mgf_hash::<sha2::Sha256, sha1::Sha1>(),
            material,
        ),
        Wrap::OaepSha1 => public.encrypt(rng, Oaep::new::<sha1::Sha1>(), material),
        Wrap::Pkcs1V15 => public.encrypt(rng, Pkcs1v15Encrypt, material),
    }
    .unwrap();
    let text = b64(&wrapped);
    assert_eq!(text.len(), 344);
    text
}

fn import(h: &Harness, key: &str, p: &Value, wrapped: &str, expiration: Option<Value>) -> Reply {
    let mut body = json!({
        "key_id": key,
        "import_token": p["import_token"],
        "encrypted_key_material": wrapped,
    });
    if let Some(e) = expiration {
        body["expiration_time"] = e;
    }
    h.call("import-key-material", body)
}

fn import_ok(h: &Harness, key: &str, material: &[u8], expiration: Option<Value>) {
    let p = params(h, key, "RSAES_OAEP_SHA_256");
    let reply = import(
        h,
        key,
        &p,
        &wrap(&p, Wrap::OaepSha256, material),
        expiration,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, json!({}));
}

fn roundtrip(h: &Harness, key: &str) -> String {
    let enc = h.ok(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": "hello byok" }),
    );
    let ct = enc["cipher_text"].as_str().unwrap().to_owned();
    let dec = h.ok("decrypt-data", json!({ "cipher_text": ct }));
    assert_eq!(dec["plain_text"], "hello byok");
    assert_eq!(dec["key_id"], key);
    ct
}

#[test]
fn every_rsa_wrapping_imports_into_aes_and_sm4_keys() {
    let h = harness();
    for (algorithm, how) in [
        ("RSAES_OAEP_SHA_256", Wrap::OaepSha256),
        ("RSAES_OAEP_SHA_256", Wrap::OaepSha256Mgf1Sha1),
        ("RSAES_OAEP_SHA_1", Wrap::OaepSha1),
        ("RSAES_PKCS1_V1_5", Wrap::Pkcs1V15),
    ] {
        for (spec, len) in [("AES_256", 32), ("SM4", 16)] {
            let key = h.create_key("external", spec);
            let d = h.describe(&key);
            assert_eq!(
                (d["key_state"].as_str(), d["origin"].as_str()),
                (Some("5"), Some("external"))
            );
            let p = params(&h, &key, algorithm);
            let material = vec![0x42u8; len];
            let reply = import(&h, &key, &p, &wrap(&p, how, &material), None);
            assert_eq!(reply.status, 200, "{algorithm} {spec}: {}", reply.body);
            let d = h.describe(&key);
            assert_eq!(d["key_state"], "2");
            assert_eq!(d["expiration_time"], "");
            roundtrip(&h, &key);
        }
    }
}

#[test]
fn material_expires_at_the_given_instant_and_the_same_material_reimports() {
    let h = harness();
    let key = h.create_key("external", "AES_256");
    let material = [9u8; 32];
    let at = h.now_secs() + 3600;
    // expiration_time may come as a string or as a number
    import_ok(&h, &key, &material, Some(json!(at.to_string())));
    assert_eq!(h.describe(&key)["expiration_time"], (at * 1000).to_string());
    let ct = roundtrip(&h, &key);
    h.advance(3599);
    assert_eq!(h.describe(&key)["key_state"], "2");
    h.advance(1);
    assert_eq!(h.describe(&key)["key_state"], "5");
    h.err(
        "decrypt-data",
        json!({ "cipher_text": ct }),
        400,
        "KMS.0310",
    );
    // the same material again, with a new expiration: the old ciphertexts decrypt again
    import_ok(&h, &key, &material, Some(json!(h.now_secs() + 7200)));
    assert_eq!(
        h.ok("decrypt-data", json!({ "cipher_text": ct }))["plain_text"],
        "hello byok"
    );
    // re-import into an enabled key with a new expiry (and then none)
    import_ok(&h, &key, &material, None);
    assert_eq!(h.describe(&key)["expiration_time"], "");
    // other material is refused and changes nothing
    let p = params(&h, &key, "RSAES_OAEP_SHA_256");
    let reply = import(&h, &key, &p, &wrap(&p, Wrap::OaepSha256, &[1u8; 32]), None);
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "KMS.2606"),
        "{}",
        reply.body
    );
    assert!(reply.message().contains("differs"), "{}", reply.message());
    assert_eq!(
        h.ok("decrypt-data", json!({ "cipher_text": ct }))["plain_text"],
        "hello byok"
    );
}

#[test]
fn deleting_imported_material_returns_the_key_to_pending_import() {
    let h = harness();
    let key = h.create_key("external", "SM4");
    import_ok(&h, &key, &[3u8; 16], None);
    let ct = roundtrip(&h, &key);
    assert_eq!(
        h.ok("delete-imported-key-material", json!({ "key_id": key })),
        json!({})
    );
    assert_eq!(h.describe(&key)["key_state"], "5");
    h.err(
        "decrypt-data",
        json!({ "cipher_text": ct }),
        400,
        "KMS.0310",
    );
    h.err(
        "delete-imported-key-material",
        json!({ "key_id": key }),
        400,
        "KMS.2701",
    );
    import_ok(&h, &key, &[3u8; 16], None);
    assert_eq!(
        h.ok("decrypt-data", json!({ "cipher_text": ct }))["plain_text"],
        "hello byok"
    );
    // Only an Enabled or Disabled key gives its material up: not one pending deletion.
    h.ok("disable-key", json!({ "key_id": key }));
    h.ok(
        "schedule-key-deletion",
        json!({ "key_id": key, "pending_days": "7" }),
    );
    h.err(
        "delete-imported-key-material",
        json!({ "key_id": key }),
        400,
        "KMS.2701",
    );
    h.ok("cancel-key-deletion", json!({ "key_id": key }));
    h.ok("enable-key", json!({ "key_id": key }));
    assert_eq!(
        h.ok("decrypt-data", json!({ "cipher_text": ct }))["plain_text"],
        "hello byok"
    );
    let kms_key = h.create_key("kms", "AES_256");
    h.err(
        "delete-imported-key-material",
        json!({ "key_id": kms_key }),
        400,
        "KMS.0309",
    );
}

#[test]
fn each_import_error_has_its_code() {
    let h = harness();
    let key = h.create_key("external", "AES_256");
    let p = params(&h, &key, "RSAES_OAEP_SHA_256");
    let good = wrap(&p, Wrap::OaepSha256, &[5u8; 32]);

    // origin kms: KMS.0309 for both calls
    let kms_key = h.create_key("kms", "AES_256");
    h.err(
        "get-parameters-for-import",
        json!({ "key_id": kms_key, "wrapping_algorithm": "RSAES_OAEP_SHA_256" }),
        400,
        "KMS.0309",
    );
    let r = import(&h, &kms_key, &p, &good, None);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.0309"));

    // missing and bad parameters
    h.err(
        "get-parameters-for-import",
        json!({ "key_id": key }),
        400,
        "KMS.0204",
    );
    h.err(
        "get-parameters-for-import",
        json!({ "key_id": key, "wrapping_algorithm": "RSA_AES_KEY_WRAP_SHA_256" }),
        400,
        "KMS.0308",
    );
    h.err(
        "get-parameters-for-import",
        json!({ "key_id": "nope", "wrapping_algorithm": "SM2_ENCRYPT" }),
        400,
        "KMS.0205",
    );
    h.err(
        "import-key-material",
        json!({ "key_id": key, "encrypted_key_material": good }),
        400,
        "KMS.0204",
    );
    h.err(
        "import-key-material",
        json!({ "key_id": key, "import_token": p["import_token"] }),
        400,
        "KMS.0204",
    );

    // a token for another key, a forged one, one with a bad shape
    let other = h.create_key("external", "AES_256");
    let other_p = params(&h, &other, "RSAES_OAEP_SHA_256");
    let r = import(&h, &key, &other_p, &good, None);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.2603"));
    assert!(r.message().contains("another key"), "{}", r.message());
    let mut forged = p.clone();
    forged["import_token"] = json!("A".repeat(400));
    assert_eq!(import(&h, &key, &forged, &good, None).code(), "KMS.2601");
    forged["import_token"] = json!("A".repeat(199));
    assert_eq!(import(&h, &key, &forged, &good, None).code(), "KMS.0308");

    // unwrap failure and wrong material size
    let mut garbage = unb64(&json!(good));
    garbage[10] ^= 0xff;
    let r = import(&h, &key, &p, &b64(&garbage), None);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.0311"));
    let r = import(&h, &key, &p, &wrap(&p, Wrap::OaepSha256, &[5u8; 16]), None);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.2604"));
    assert!(r.message().contains("256 bits"), "{}", r.message());

    // an expiration in the past
    let r = import(&h, &key, &p, &good, Some(json!(h.now_secs())));
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.2602"));

    // the token expires after 24 h of emulated time: good a second before, not at 24 h
    let early = h.create_key("external", "AES_256");
    let early_p = params(&h, &early, "RSAES_OAEP_SHA_256");
    let early_wrapped = wrap(&early_p, Wrap::OaepSha256, &[6u8; 32]);
    h.advance(24 * 3600 - 1);
    let r = import(&h, &early, &early_p, &early_wrapped, None);
    assert_eq!(r.status, 200, "{}", r.message());
    h.advance(1);
    let r = import(&h, &key, &p, &good, None);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.2605"));
    assert!(r.message().contains("expired"), "{}", r.message());

    // a key pending deletion: KMS.0310 for both calls
    h.ok(
        "schedule-key-deletion",
        json!({ "key_id": key, "pending_days": "7" }),
    );
    h.err(
        "get-parameters-for-import",
        json!({ "key_id": key, "wrapping_algorithm": "RSAES_OAEP_SHA_256" }),
        400,
        "KMS.0310",
    );
    let fresh = params(&h, &other, "RSAES_OAEP_SHA_256");
    let mut body = json!({ "key_id": key, "import_token": fresh["import_token"], "encrypted_key_material": good });
    body["sequence"] = json!("s-1");
    h.err("import-key-material", body, 400, "KMS.0310");

    // unknown key: 404
    h.err(
        "import-key-material",
        json!({
            "key_id": "00000000-0000-4000-8000-000000000000",
            "import_token": p["import_token"],
            "encrypted_key_material": good,
        }),
        404,
        "KMS.0207",
    );
}

#[test]
fn sm2_parameters_are_an_sm2_public_key() {
    let h = harness();
    let key = h.create_key("external", "SM4");
    let p = params(&h, &key, "SM2_ENCRYPT");
    let der = unb64(&p["public_key"]);
    // id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301
    let sm2_oid = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
    assert!(
        der.windows(sm2_oid.len()).any(|w| w == sm2_oid),
        "{}",
        hex::encode(&der)
    );
    // An RSA-sized value under an SM2 token fails to unwrap, and says which key failed.
    let r = import(&h, &key, &p, &"A".repeat(344), None);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.0311"));
    assert!(r.message().contains("SM2"), "{}", r.message());
    // Sizes fitting neither pattern are refused before anything else.
    let r = import(&h, &key, &p, &"A".repeat(200), None);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.0308"));
}
