//! Asymmetric and HMAC keys on Huawei's wire (issue #16): create-key specs, usages and
//! their defaults, describe/list fields, get-publickey, sign/verify with `message_type`
//! defaulting to DIGEST, generate-mac/verify-mac, asymmetric encrypt-data/decrypt-data, the
//! two-layer import of openssl-made private keys (`tests/data/asymmetric/`), and Huawei's
//! refusals. RSA signatures are also checked with the `rsa` crate, independently of the core.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::signature::Verifier;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::*;

const EC_P256: &[u8] = include_bytes!("../data/asymmetric/ec_p256.pk8");
const EC_P384: &[u8] = include_bytes!("../data/asymmetric/ec_p384.pk8");
const RSA_2048: &[u8] = include_bytes!("../data/asymmetric/rsa_2048.pk8");
const SM2: &[u8] = include_bytes!("../data/asymmetric/sm2.pk8");

fn create(h: &Harness, spec: &str, usage: Option<&str>, origin: &str) -> Reply {
    let alias = format!("k-{}", uuid::Uuid::new_v4().simple());
    let mut body = json!({ "key_alias": alias, "key_spec": spec, "origin": origin });
    if let Some(u) = usage {
        body["key_usage"] = json!(u);
    }
    h.call("create-key", body)
}

fn created(h: &Harness, spec: &str, usage: Option<&str>, origin: &str) -> String {
    let r = create(h, spec, usage, origin);
    assert_eq!(r.status, 200, "{spec} {usage:?}: {}", r.body);
    r.body["key_info"]["key_id"].as_str().unwrap().to_owned()
}

fn pem_der(pem: &Value) -> Vec<u8> {
    let text = pem.as_str().unwrap();
    assert!(text.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{text}");
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

fn sign(h: &Harness, key: &str, message: &[u8], algorithm: &str, kind: Option<&str>) -> Reply {
    let mut body =
        json!({ "key_id": key, "message": b64(message), "signing_algorithm": algorithm });
    if let Some(k) = kind {
        body["message_type"] = json!(k);
    }
    h.call("sign", body)
}

fn verify(h: &Harness, key: &str, message: &[u8], sig: &[u8], algorithm: &str) -> Value {
    h.ok(
        "verify",
        json!({ "key_id": key, "message": b64(message), "signature": b64(sig),
                "signing_algorithm": algorithm }),
    )["signature_valid"]
        .clone()
}

/// Huawei's two layers, made from AWS's RSA_AES_KEY_WRAP_SHA_256 (byok-wrap, written from the
/// clouds' documents): its first 256 bytes are the temporary AES key under RSA-OAEP-SHA-256
/// (`encrypted_key_material`), the rest the RFC 5649 wrap of the private key
/// (`encrypted_privatekey`).
fn two_layer_body(h: &Harness, key: &str, pkcs8: &[u8]) -> Value {
    let p = h.ok(
        "get-parameters-for-import",
        json!({ "key_id": key, "wrapping_algorithm": "RSAES_OAEP_SHA_256" }),
    );
    let public = byok_wrap::PublicKey::parse(p["public_key"].as_str().unwrap().as_bytes()).unwrap();
    let wrapped = byok_wrap::wrap(
        &public,
        byok_wrap::Algorithm::RsaAesKeyWrapSha256,
        pkcs8,
        byok_wrap::Sm2Format::Der,
    )
    .unwrap();
    let (temp, private) = wrapped.split_at(256);
    json!({
        "key_id": key,
        "import_token": p["import_token"],
        "encrypted_key_material": b64(temp),
        "encrypted_privatekey": b64(private),
    })
}

#[test]
fn create_key_takes_every_huawei_spec_with_huawei_defaults() {
    let h = harness();
    for (spec, usage) in [
        ("AES_256", "ENCRYPT_DECRYPT"),
        ("SM4", "ENCRYPT_DECRYPT"),
        ("RSA_2048", "SIGN_VERIFY"),
        ("EC_P256", "SIGN_VERIFY"),
        ("EC_P384", "SIGN_VERIFY"),
        ("SECP256K1", "SIGN_VERIFY"),
        ("ED25519", "SIGN_VERIFY"),
        ("SM2", "SIGN_VERIFY"),
        ("HMAC_256", "GENERATE_VERIFY_MAC"),
        ("HMAC_384", "GENERATE_VERIFY_MAC"),
        ("HMAC_512", "GENERATE_VERIFY_MAC"),
        ("HMAC_SM3", "GENERATE_VERIFY_MAC"),
    ] {
        let key = created(&h, spec, None, "kms");
        let d = h.describe(&key);
        assert_eq!(
            (
                d["key_spec"].as_str(),
                d["key_usage"].as_str(),
                d["key_state"].as_str()
            ),
            (Some(spec), Some(usage), Some("2")),
            "{spec}"
        );
    }
    for (spec, usage) in [("RSA_2048", "ENCRYPT_DECRYPT"), ("SM2", "ENCRYPT_DECRYPT")] {
        let key = created(&h, spec, Some(usage), "kms");
        assert_eq!(h.describe(&key)["key_usage"], usage);
    }
    // usages a spec does not take; names of other clouds
    for (spec, usage) in [
        ("EC_P256", Some("ENCRYPT_DECRYPT")),
        ("ED25519", Some("ENCRYPT_DECRYPT")),
        ("AES_256", Some("SIGN_VERIFY")),
        ("HMAC_256", Some("ENCRYPT_DECRYPT")),
        ("RSA_2048", Some("GENERATE_VERIFY_MAC")),
        ("RSA_2048", Some("KEY_AGREEMENT")),
        ("ECC_NIST_P256", None),
        ("HMAC_224", None),
    ] {
        let r = create(&h, spec, usage, "kms");
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "KMS.0308"),
            "{spec} {usage:?}: {}",
            r.body
        );
    }
    // Huawei imports no HMAC material, and lists no SECP256K1 or ED25519 import
    for spec in ["HMAC_256", "HMAC_SM3", "SECP256K1", "ED25519"] {
        let r = create(&h, spec, None, "external");
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "KMS.0308"),
            "{spec}: {}",
            r.body
        );
    }
    // nothing of the refused requests exists
    let all = h.ok("list-keys", json!({ "key_spec": "ALL" }));
    assert_eq!(all["total"], 14);
    assert_eq!(h.ok("list-keys", json!({ "key_spec": "SM2" }))["total"], 2);
    assert_eq!(h.ok("list-keys", json!({}))["total"], 1);
}

#[test]
fn generated_keys_sign_and_verify_with_digest_by_default() {
    let h = harness();
    for (spec, algorithm, digest_len) in [
        ("RSA_2048", "RSASSA_PSS_SHA_256", 32),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", 64),
        ("EC_P256", "ECDSA_SHA_256", 32),
        ("EC_P384", "ECDSA_SHA_384", 48),
        ("SECP256K1", "ECDSA_SHA_256", 32),
        ("SM2", "SM2DSA_SM3", 32),
    ] {
        let key = created(&h, spec, None, "kms");
        let digest = vec![0x5a; digest_len];
        let r = sign(&h, &key, &digest, algorithm, None);
        assert_eq!(r.status, 200, "{spec} {algorithm}: {}", r.body);
        assert_eq!(r.body["key_id"], key.as_str());
        let sig = unb64(&r.body["signature"]);
        assert_eq!(verify(&h, &key, &digest, &sig, algorithm), "true");
        assert_eq!(
            verify(&h, &key, &[0xa5; 64][..digest_len], &sig, algorithm),
            "false"
        );
        // DIGEST (the default) of the wrong length
        let r = sign(&h, &key, &digest[1..], algorithm, None);
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "KMS.0308"),
            "{spec}: {}",
            r.body
        );
        // a public key, as PEM
        let pem = h.ok("get-publickey", json!({ "key_id": key }))["public_key"].clone();
        assert!(!pem_der(&pem).is_empty());
    }
    // SM2 signs digests only; Ed25519 signs raw messages only
    let sm2 = created(&h, "SM2", None, "kms");
    let r = sign(&h, &sm2, b"raw", "SM2DSA_SM3", Some("RAW"));
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.0308"),
        "{}",
        r.body
    );
    let ed = created(&h, "ED25519", None, "kms");
    let r = sign(&h, &ed, &[1; 64], "ED25519_SHA_512", None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.0308"),
        "{}",
        r.body
    );
    let r = sign(&h, &ed, b"hello", "ED25519_SHA_512", Some("RAW"));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = sign(&h, &ed, b"hello", "ED25519_PH_SHA_512", Some("RAW"));
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.0308"),
        "{}",
        r.body
    );
    // an algorithm of another key type; a key of another usage
    let r = sign(&h, &sm2, &[1; 32], "ECDSA_SHA_256", None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.0308"),
        "{}",
        r.body
    );
    let aes = h.create_key("kms", "AES_256");
    let r = sign(&h, &aes, &[1; 32], "ECDSA_SHA_256", None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.0308"),
        "{}",
        r.body
    );
    h.err("get-publickey", json!({ "key_id": aes }), 400, "KMS.0308");
    // state refusals keep their codes
    h.ok("disable-key", json!({ "key_id": sm2 }));
    let r = sign(&h, &sm2, &[1; 32], "SM2DSA_SM3", None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "KMS.0209"),
        "{}",
        r.body
    );
    // missing fields
    h.err(
        "sign",
        json!({ "key_id": ed, "message": b64(b"x") }),
        400,
        "KMS.0204",
    );
    h.err(
        "sign",
        json!({ "key_id": ed, "signing_algorithm": "ED25519_SHA_512" }),
        400,
        "KMS.0204",
    );
}

#[test]
fn hmac_keys_generate_and_verify_macs() {
    let h = harness();
    for (spec, algorithm, len) in [
        ("HMAC_256", "HMAC_SHA_256", 32),
        ("HMAC_384", "HMAC_SHA_384", 48),
        ("HMAC_512", "HMAC_SHA_512", 64),
        ("HMAC_SM3", "HMAC_SM3", 32),
    ] {
        let key = created(&h, spec, None, "kms");
        let message = b64(b"message to authenticate");
        let out = h.ok(
            "generate-mac",
            json!({ "key_id": key, "mac_algorithm": algorithm, "message": message }),
        );
        assert_eq!(out["mac_algorithm"], algorithm);
        // Hex, as Huawei's GenerateMac example shows it (64 digits for HMAC_SHA_256).
        let text = out["mac"].as_str().unwrap();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{text}"
        );
        let mac = hex::decode(text).unwrap();
        assert_eq!(mac.len(), len, "{spec}");
        let check = |mac: &[u8], message: &str| {
            h.ok(
                "verify-mac",
                json!({ "key_id": key, "mac_algorithm": algorithm, "message": message, "mac": hex::encode(mac) }),
            )["mac_valid"]
                .clone()
        };
        assert_eq!(check(&mac, &message), json!(true));
        // Upper-case digits are the same MAC; a MAC that is not hex is refused.
        let upper = h.ok(
            "verify-mac",
            json!({ "key_id": key, "mac_algorithm": algorithm, "message": message, "mac": text.to_ascii_uppercase() }),
        );
        assert_eq!(upper["mac_valid"], json!(true));
        h.err(
            "verify-mac",
            json!({ "key_id": key, "mac_algorithm": algorithm, "message": message, "mac": b64(&mac) }),
            400,
            "KMS.0308",
        );
        assert_eq!(check(&mac, &b64(b"another message")), json!(false));
        assert_eq!(check(&mac[1..], &message), json!(false));
        let other = if algorithm == "HMAC_SHA_512" {
            "HMAC_SHA_256"
        } else {
            "HMAC_SHA_512"
        };
        h.err(
            "generate-mac",
            json!({ "key_id": key, "mac_algorithm": other, "message": message }),
            400,
            "KMS.0308",
        );
    }
    let aes = h.create_key("kms", "AES_256");
    h.err(
        "generate-mac",
        json!({ "key_id": aes, "mac_algorithm": "HMAC_SHA_256", "message": b64(b"x") }),
        400,
        "KMS.0308",
    );
    h.err(
        "generate-mac",
        json!({ "key_id": aes, "mac_algorithm": "HMAC_SHA_224", "message": b64(b"x") }),
        400,
        "KMS.0308",
    );
    let mac = created(&h, "HMAC_256", None, "kms");
    h.err(
        "generate-mac",
        json!({ "key_id": mac, "mac_algorithm": "HMAC_SHA_256", "message": b64(&[0; 4097]) }),
        400,
        "KMS.0308",
    );
    h.err(
        "encrypt-data",
        json!({ "key_id": mac, "plain_text": "x" }),
        400,
        "KMS.0308",
    );
}

#[test]
fn asymmetric_keys_encrypt_and_decrypt_data() {
    let h = harness();
    for (spec, algorithm) in [("RSA_2048", "RSAES_OAEP_SHA_256"), ("SM2", "SM2_ENCRYPT")] {
        let key = created(&h, spec, Some("ENCRYPT_DECRYPT"), "kms");
        let out = h.ok(
            "encrypt-data",
            json!({ "key_id": key, "plain_text": "x", "encryption_algorithm": algorithm }),
        );
        let ct = out["cipher_text"].as_str().unwrap().to_owned();
        assert!(ct.len() >= 128, "{spec}: {}", ct.len());
        let back = h.ok(
            "decrypt-data",
            json!({ "key_id": key, "cipher_text": ct, "encryption_algorithm": algorithm }),
        );
        assert_eq!(
            (back["key_id"].as_str(), back["plain_text"].as_str()),
            (Some(key.as_str()), Some("x"))
        );
        h.err(
            "decrypt-data",
            json!({ "cipher_text": ct, "encryption_algorithm": algorithm }),
            400,
            "KMS.0204",
        );
        h.err(
            "encrypt-data",
            json!({ "key_id": key, "plain_text": "x", "encryption_algorithm": algorithm,
                    "additional_authenticated_data": "ctx" }),
            400,
            "KMS.0308",
        );
        // SYMMETRIC_DEFAULT (the default) is not for asymmetric keys
        h.err(
            "encrypt-data",
            json!({ "key_id": key, "plain_text": "x" }),
            400,
            "KMS.0308",
        );
        // and these keys do not sign
        let r = sign(
            &h,
            &key,
            &[1; 32],
            if spec == "SM2" {
                "SM2DSA_SM3"
            } else {
                "RSASSA_PSS_SHA_256"
            },
            None,
        );
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "KMS.0308"),
            "{}",
            r.body
        );
    }
    // RSA-2048 OAEP-SHA-256 carries at most 190 bytes
    let key = created(&h, "RSA_2048", Some("ENCRYPT_DECRYPT"), "kms");
    h.ok(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": "a".repeat(190), "encryption_algorithm": "RSAES_OAEP_SHA_256" }),
    );
    h.err(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": "a".repeat(191), "encryption_algorithm": "RSAES_OAEP_SHA_256" }),
        400,
        "KMS.0308",
    );
    // an asymmetric algorithm with a symmetric key, and RSAES_OAEP_SHA_1 (re-encrypt only)
    let aes = h.create_key("kms", "AES_256");
    h.err(
        "encrypt-data",
        json!({ "key_id": aes, "plain_text": "x", "encryption_algorithm": "RSAES_OAEP_SHA_256" }),
        400,
        "KMS.0308",
    );
    h.err(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": "x", "encryption_algorithm": "RSAES_OAEP_SHA_1" }),
        400,
        "KMS.0308",
    );
}

#[test]
fn openssl_private_keys_import_in_two_layers_and_sign() {
    let h = harness();
    // RSA_2048: signatures checked by the rsa crate against the imported key's public half
    let key = created(&h, "RSA_2048", Some("SIGN_VERIFY"), "external");
    assert_eq!(h.describe(&key)["key_state"], "5");
    h.ok("import-key-material", two_layer_body(&h, &key, RSA_2048));
    let d = h.describe(&key);
    assert_eq!(
        (d["key_state"].as_str(), d["origin"].as_str()),
        (Some("2"), Some("external"))
    );
    let private = RsaPrivateKey::from_pkcs8_der(RSA_2048).unwrap();
    let expected = private.to_public_key().to_public_key_der().unwrap();
    let pem = h.ok("get-publickey", json!({ "key_id": key }))["public_key"].clone();
    assert_eq!(pem_der(&pem), expected.as_bytes());
    let public = rsa::RsaPublicKey::from_public_key_der(expected.as_bytes()).unwrap();
    let message = b"signed by kmsgate, checked by the rsa crate";
    let digest = Sha256::digest(message);
    let r = sign(&h, &key, &digest, "RSASSA_PKCS1_V1_5_SHA_256", None);
    let sig = rsa::pkcs1v15::Signature::try_from(&unb64(&r.body["signature"])[..]).unwrap();
    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public.clone())
        .verify(message, &sig)
        .unwrap();
    let r = sign(&h, &key, message, "RSASSA_PSS_SHA_256", Some("RAW"));
    let sig = rsa::pss::Signature::try_from(&unb64(&r.body["signature"])[..]).unwrap();
    rsa::pss::VerifyingKey::<Sha256>::new(public)
        .verify(message, &sig)
        .unwrap();
    // the same key again is accepted; another is refused; the material cannot be deleted
    h.ok("import-key-material", two_layer_body(&h, &key, RSA_2048));
    h.err(
        "delete-imported-key-material",
        json!({ "key_id": key }),
        400,
        "KMS.0308",
    );
    assert_eq!(h.describe(&key)["key_state"], "2");

    // EC_P256: a P-384 or RSA private key is not this key's; then the right one imports
    let key = created(&h, "EC_P256", None, "external");
    for wrong in [EC_P384, RSA_2048] {
        h.err(
            "import-key-material",
            two_layer_body(&h, &key, wrong),
            400,
            "KMS.0308",
        );
    }
    // the second layer is required, and must open under the first
    let mut body = two_layer_body(&h, &key, EC_P256);
    let private_layer = body["encrypted_privatekey"].take();
    h.err("import-key-material", body.clone(), 400, "KMS.0204");
    let other = two_layer_body(&h, &key, EC_P256);
    body["encrypted_privatekey"] = other["encrypted_privatekey"].clone();
    h.err("import-key-material", body.clone(), 400, "KMS.0311");
    body["encrypted_privatekey"] = private_layer;
    assert_eq!(h.describe(&key)["key_state"], "5");
    h.ok("import-key-material", body);
    let r = sign(&h, &key, &[7; 32], "ECDSA_SHA_256", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        verify(
            &h,
            &key,
            &[7; 32],
            &unb64(&r.body["signature"]),
            "ECDSA_SHA_256"
        ),
        "true"
    );
    h.err(
        "delete-imported-key-material",
        json!({ "key_id": key }),
        400,
        "KMS.0308",
    );

    // a symmetric key takes no second layer
    let aes = h.create_key("external", "AES_256");
    let mut body = two_layer_body(&h, &aes, EC_P256);
    body["encrypted_key_material"] = json!(b64(&[0; 256]));
    h.err("import-key-material", body, 400, "KMS.0308");
    // a generated key has no material to delete: the core's KMS.0309 stays
    let generated = created(&h, "EC_P256", None, "kms");
    h.err(
        "delete-imported-key-material",
        json!({ "key_id": generated }),
        400,
        "KMS.0309",
    );
    // nor does it take an import, with or without encrypted_privatekey: KMS.0309 too, not
    // the missing second layer's KMS.0204
    let external = created(&h, "EC_P256", None, "external");
    let mut body = two_layer_body(&h, &external, EC_P256);
    body["key_id"] = json!(generated);
    h.err("import-key-material", body.clone(), 400, "KMS.0309");
    body.as_object_mut().unwrap().remove("encrypted_privatekey");
    h.err("import-key-material", body, 400, "KMS.0309");
}

/// SM2_ENCRYPT's two layers: a temporary SM4 key under the SM2 wrapping key (DER C1C3C2, by
/// byok-wrap), and the private key under it with SM4 key wrap with padding (what `gmssl enc
/// -sms4-wrap-pad` makes: RFC 5649 over SM4).
fn sm2_two_layer_body(h: &Harness, key: &str, pkcs8: &[u8], temp: [u8; 16]) -> Value {
    let p = h.ok(
        "get-parameters-for-import",
        json!({ "key_id": key, "wrapping_algorithm": "SM2_ENCRYPT" }),
    );
    let public = byok_wrap::PublicKey::parse(p["public_key"].as_str().unwrap().as_bytes()).unwrap();
    let first = byok_wrap::wrap(
        &public,
        byok_wrap::Algorithm::Sm2,
        &temp,
        byok_wrap::Sm2Format::Der,
    )
    .unwrap();
    let second = aes_kw::Kek::<sm4::Sm4>::try_from(&temp[..])
        .unwrap()
        .wrap_with_padding_vec(pkcs8)
        .unwrap();
    json!({
        "key_id": key,
        "import_token": p["import_token"],
        "encrypted_key_material": b64(&first),
        "encrypted_privatekey": b64(&second),
    })
}

#[test]
fn sm2_private_keys_import_under_sm2_encrypt_with_an_sm4_temporary_key() {
    let h = harness();
    let key = created(&h, "SM2", None, "external");
    // an EC private key is not an SM2 key
    h.err(
        "import-key-material",
        sm2_two_layer_body(&h, &key, EC_P256, [3; 16]),
        400,
        "KMS.0308",
    );
    h.ok(
        "import-key-material",
        sm2_two_layer_body(&h, &key, SM2, [4; 16]),
    );
    assert_eq!(h.describe(&key)["key_state"], "2");
    let r = sign(&h, &key, &[7; 32], "SM2DSA_SM3", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        verify(
            &h,
            &key,
            &[7; 32],
            &unb64(&r.body["signature"]),
            "SM2DSA_SM3"
        ),
        "true"
    );
    // the same key under another temporary key is the same material
    h.ok(
        "import-key-material",
        sm2_two_layer_body(&h, &key, SM2, [5; 16]),
    );
    // an EC_P256 key takes no SM2_ENCRYPT wrapping (SM2PKE carries SM2 keys only)
    let ec = created(&h, "EC_P256", None, "external");
    h.err(
        "get-parameters-for-import",
        json!({ "key_id": ec, "wrapping_algorithm": "SM2_ENCRYPT" }),
        400,
        "KMS.0308",
    );
}

#[test]
fn re_encrypt_moves_ciphertexts_between_symmetric_and_asymmetric_keys() {
    let h = harness();
    let aes = h.create_key("kms", "AES_256");
    let sm2 = created(&h, "SM2", Some("ENCRYPT_DECRYPT"), "kms");
    let rsa = created(&h, "RSA_2048", Some("ENCRYPT_DECRYPT"), "kms");
    let ct = h.ok(
        "encrypt-data",
        json!({ "key_id": aes, "plain_text": "travels", "additional_authenticated_data": "a" }),
    )["cipher_text"]
        .clone();
    // symmetric → SM2
    let out = h.ok(
        "re-encrypt",
        json!({ "cipher_text": ct, "source_additional_authenticated_data": "a",
                "destination_key_id": sm2, "destination_encryption_algorithm": "SM2_ENCRYPT" }),
    );
    assert_eq!(
        (
            out["source_encryption_algorithm"].as_str(),
            out["destination_encryption_algorithm"].as_str(),
            out["source_key_id"].as_str()
        ),
        (
            Some("SYMMETRIC_DEFAULT"),
            Some("SM2_ENCRYPT"),
            Some(aes.as_str())
        )
    );
    let sm2_ct = out["cipher_text"].clone();
    // SM2 → RSA (OAEP-SHA-1, which re-encrypt documents): the source key must be named
    h.err(
        "re-encrypt",
        json!({ "cipher_text": sm2_ct, "source_encryption_algorithm": "SM2_ENCRYPT",
                "destination_key_id": rsa, "destination_encryption_algorithm": "RSAES_OAEP_SHA_1" }),
        400,
        "KMS.0204",
    );
    let out = h.ok(
        "re-encrypt",
        json!({ "cipher_text": sm2_ct, "source_encryption_algorithm": "SM2_ENCRYPT", "source_key_id": sm2,
                "destination_key_id": rsa, "destination_encryption_algorithm": "RSAES_OAEP_SHA_1" }),
    );
    let rsa_ct = out["cipher_text"].clone();
    // RSA → symmetric, with a new AAD
    let out = h.ok(
        "re-encrypt",
        json!({ "cipher_text": rsa_ct, "source_encryption_algorithm": "RSAES_OAEP_SHA_1", "source_key_id": rsa,
                "destination_key_id": aes, "destination_additional_authenticated_data": "b" }),
    );
    let back = h.ok(
        "decrypt-data",
        json!({ "cipher_text": out["cipher_text"], "additional_authenticated_data": "b" }),
    );
    assert_eq!(back["plain_text"], "travels");
    // asymmetric sides take no AAD
    h.err(
        "re-encrypt",
        json!({ "cipher_text": rsa_ct, "source_encryption_algorithm": "RSAES_OAEP_SHA_1", "source_key_id": rsa,
                "source_additional_authenticated_data": "x", "destination_key_id": aes }),
        400,
        "KMS.0308",
    );
    // the wrong algorithm for the destination key
    h.err(
        "re-encrypt",
        json!({ "cipher_text": ct, "source_additional_authenticated_data": "a",
                "destination_key_id": sm2, "destination_encryption_algorithm": "RSAES_OAEP_SHA_256" }),
        400,
        "KMS.0308",
    );
}
