//! encrypt-data/decrypt-data, data keys in hex, re-encrypt, gen-random.

use serde_json::json;
use sha2::Digest;

use crate::support::*;

#[test]
fn data_encrypts_with_aad_and_ciphertexts_meet_the_documented_pattern() {
    let h = harness();
    for spec in ["AES_256", "SM4"] {
        let key = h.create_key("kms", spec);
        let enc = h.ok(
            "encrypt-data",
            json!({ "key_id": key, "plain_text": "x", "additional_authenticated_data": "ctx" }),
        );
        let ct = enc["cipher_text"].as_str().unwrap();
        assert!(ct.len() >= 128, "{}", ct.len());
        let dec = h.ok(
            "decrypt-data",
            json!({ "cipher_text": ct, "additional_authenticated_data": "ctx", "key_id": key }),
        );
        assert_eq!(
            (
                dec["plain_text"].as_str(),
                dec["plain_text_base64"].as_str()
            ),
            (Some("x"), Some("eA=="))
        );
        h.err(
            "decrypt-data",
            json!({ "cipher_text": ct }),
            400,
            "KMS.0308",
        );
        h.err(
            "decrypt-data",
            json!({ "cipher_text": ct, "additional_authenticated_data": "other" }),
            400,
            "KMS.0308",
        );
        let other = h.create_key("kms", spec);
        h.err(
            "decrypt-data",
            json!({ "cipher_text": ct, "additional_authenticated_data": "ctx", "key_id": other }),
            400,
            "KMS.0308",
        );
        // another project cannot decrypt it
        let r = h.call_in(
            "otherproject",
            "decrypt-data",
            json!({ "cipher_text": ct, "additional_authenticated_data": "ctx" }),
        );
        assert_eq!(r.status, 400, "{}", r.body);
    }
    let key = h.create_key("kms", "AES_256");
    let big = "é".repeat(2048);
    let ct =
        h.ok("encrypt-data", json!({ "key_id": key, "plain_text": big }))["cipher_text"].clone();
    assert!(ct.as_str().unwrap().len() <= 5648);
    assert_eq!(
        h.ok("decrypt-data", json!({ "cipher_text": ct }))["plain_text"],
        big
    );
    h.err(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": format!("{big}a") }),
        400,
        "KMS.0308",
    );
    h.err("encrypt-data", json!({ "key_id": key }), 400, "KMS.0204");
    // the AAD is at most 128 bytes ("长度不超过128字节"): 128 ASCII characters pass, 43
    // three-byte characters (129 bytes) do not
    let aad = |text: String| json!({ "key_id": key, "plain_text": "x", "additional_authenticated_data": text });
    h.ok("encrypt-data", aad("a".repeat(128)));
    h.err("encrypt-data", aad("密".repeat(43)), 400, "KMS.0308");
    h.err(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": "a", "encryption_algorithm": "SM2_ENCRYPT" }),
        400,
        "KMS.0308",
    );
    h.err(
        "decrypt-data",
        json!({ "cipher_text": "A".repeat(127) }),
        400,
        "KMS.0308",
    );
    h.err(
        "decrypt-data",
        json!({ "cipher_text": "A".repeat(128) }),
        400,
        "KMS.0308",
    );
    h.ok("disable-key", json!({ "key_id": key }));
    h.err(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": "a" }),
        400,
        "KMS.0209",
    );
}

#[test]
fn data_keys_travel_in_hex() {
    let h = harness();
    for (spec, digest) in [("AES_256", "sha256"), ("SM4", "sm3")] {
        let key = h.create_key("kms", spec);
        let dk = h.ok(
            "create-datakey",
            json!({ "key_id": key, "additional_authenticated_data": "a" }),
        );
        let plain = hex::decode(dk["plain_text"].as_str().unwrap()).unwrap();
        assert_eq!(plain.len(), 32);
        let ct = dk["cipher_text"].as_str().unwrap();
        let back = h.ok(
            "decrypt-datakey",
            json!({ "key_id": key, "cipher_text": ct, "datakey_cipher_length": "32", "additional_authenticated_data": "a" }),
        );
        assert_eq!(back["data_key"], dk["plain_text"]);
        assert_eq!(back["datakey_length"], "32");
        let dgst = match digest {
            "sha256" => sha2::Sha256::digest(&plain).to_vec(),
            _ => <sm3::Sm3 as sm3::Digest>::digest(&plain).to_vec(),
        };
        assert_eq!(back["datakey_dgst"], hex::encode(&dgst));
        h.err("decrypt-datakey", json!({ "key_id": key, "cipher_text": ct, "datakey_cipher_length": "16", "additional_authenticated_data": "a" }), 400, "KMS.2202");

        // encrypt-datakey takes the key with its digest appended
        let mut with_digest = plain.clone();
        with_digest.extend_from_slice(&dgst);
        let enc = h.ok(
            "encrypt-datakey",
            json!({ "key_id": key, "plain_text": hex::encode(&with_digest), "datakey_plain_length": 32 }),
        );
        assert_eq!(enc["datakey_length"], "32");
        let back = h.ok("decrypt-datakey", json!({ "key_id": key, "cipher_text": enc["cipher_text"], "datakey_cipher_length": "32" }));
        assert_eq!(back["data_key"], dk["plain_text"]);
        with_digest[40] ^= 1;
        h.err("encrypt-datakey", json!({ "key_id": key, "plain_text": hex::encode(&with_digest), "datakey_plain_length": "32" }), 400, "KMS.2103");
        h.err("encrypt-datakey", json!({ "key_id": key, "plain_text": hex::encode(&plain), "datakey_plain_length": "32" }), 400, "KMS.2103");
        // a PIN (level-4 key stores only) is refused, as create-datakey refuses it
        let mut good = plain.clone();
        good.extend_from_slice(&dgst);
        for pin in [json!({ "pin": "1234" }), json!({ "pin_type": "PlainText" })] {
            let mut body = json!({ "key_id": key, "plain_text": hex::encode(&good), "datakey_plain_length": "32" });
            body.as_object_mut()
                .unwrap()
                .extend(pin.as_object().unwrap().clone());
            h.err("encrypt-datakey", body, 400, "KMS.0308");
        }

        let np = h.ok(
            "create-datakey-without-plaintext",
            json!({ "key_id": key, "datakey_length": "128" }),
        );
        assert!(np.get("plain_text").is_none());
        let back = h.ok(
            "decrypt-datakey",
            json!({ "key_id": key, "cipher_text": np["cipher_text"], "datakey_cipher_length": 16 }),
        );
        assert_eq!(back["datakey_length"], "16");
    }
    let key = h.create_key("kms", "AES_256");
    for (body, len) in [
        (json!({ "key_spec": "AES_128" }), 16),
        (json!({ "key_spec": "HMAC_512" }), 64),
        (json!({ "key_spec": "AES_128", "datakey_length": 8 }), 1),
        (json!({ "datakey_length": "8192" }), 1024),
    ] {
        let mut body = body;
        body["key_id"] = json!(key);
        let dk = h.ok("create-datakey", body);
        assert_eq!(dk["plain_text"].as_str().unwrap().len(), len * 2);
    }
    // A bad datakey_length has each operation's own code; a bad key_spec the generic one.
    for (bad, code) in [
        (json!({ "datakey_length": 12 }), "KMS.1901"),
        (json!({ "datakey_length": 8200 }), "KMS.1901"),
        (json!({ "key_spec": "AES_512" }), "KMS.0308"),
    ] {
        let mut body = bad;
        body["key_id"] = json!(key);
        h.err("create-datakey", body, 400, code);
    }
    h.err(
        "create-datakey-without-plaintext",
        json!({ "key_id": key, "datakey_length": 12 }),
        400,
        "KMS.2001",
    );
}

#[test]
fn re_encrypt_moves_ciphertexts_between_keys() {
    let h = harness();
    let a = h.create_key("kms", "AES_256");
    let b = h.create_key("kms", "SM4");
    let ct = h.ok(
        "encrypt-data",
        json!({ "key_id": a, "plain_text": "move me", "additional_authenticated_data": "s" }),
    )["cipher_text"]
        .clone();
    let out = h.ok(
        "re-encrypt",
        json!({ "cipher_text": ct, "destination_key_id": b, "source_additional_authenticated_data": "s", "destination_additional_authenticated_data": "d" }),
    );
    assert_eq!(
        (out["key_id"].as_str(), out["source_key_id"].as_str()),
        (Some(b.as_str()), Some(a.as_str()))
    );
    let dec = h.ok(
        "decrypt-data",
        json!({ "cipher_text": out["cipher_text"], "additional_authenticated_data": "d" }),
    );
    assert_eq!(dec["plain_text"], "move me");
    h.err("re-encrypt", json!({ "cipher_text": ct, "destination_key_id": b, "source_key_id": b, "source_additional_authenticated_data": "s" }), 400, "KMS.0308");
    // a data key's hex ciphertext stays hex
    let dk = h.ok("create-datakey", json!({ "key_id": a }));
    let out = h.ok("re-encrypt", json!({ "cipher_text": dk["cipher_text"], "destination_key_id": b, "datakey_cipher_length": "32" }));
    // the length named must be the data key's, as decrypt-datakey checks it
    h.err("re-encrypt", json!({ "cipher_text": dk["cipher_text"], "destination_key_id": b, "datakey_cipher_length": "16" }), 400, "KMS.0308");
    let back = h.ok(
        "decrypt-datakey",
        json!({ "key_id": b, "cipher_text": out["cipher_text"], "datakey_cipher_length": "32" }),
    );
    assert_eq!(back["data_key"], dk["plain_text"]);
}

#[test]
fn random_data_in_hex() {
    let h = harness();
    let r = h.ok("gen-random", json!({ "random_data_length": "512" }));
    assert_eq!(r["random_data"].as_str().unwrap().len(), 128);
    assert_eq!(
        h.ok("gen-random", json!({ "random_data_length": 8192 }))["random_data"]
            .as_str()
            .unwrap()
            .len(),
        2048
    );
    h.err("gen-random", json!({}), 400, "KMS.0204");
    for bad in [json!("0"), json!(7), json!(12), json!(8200), json!("abc")] {
        h.err(
            "gen-random",
            json!({ "random_data_length": bad }),
            400,
            "KMS.1801",
        );
    }
}
