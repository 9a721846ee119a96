//! Asymmetric and HMAC keys on the wire (issue #16): CreateKey's specs and usages, KeyMetadata's
//! lists, GetPublicKey, Sign/Verify, GenerateMac/VerifyMac, public-key Encrypt/Decrypt/ReEncrypt,
//! import of OpenSSL-made PKCS#8 material (`tests/data/asymmetric/make.sh`), and every refusal
//! with AWS's code and, where AWS's wording is recorded, its message.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::support::*;

const P256_PKCS8: &[u8] = include_bytes!("../data/asymmetric/p256.pk8");
const P256_SPKI: &[u8] = include_bytes!("../data/asymmetric/p256.spki");
const P384_PKCS8: &[u8] = include_bytes!("../data/asymmetric/p384.pk8");
const RSA2048_PKCS8: &[u8] = include_bytes!("../data/asymmetric/rsa2048.pk8");
const RSA2048_SPKI: &[u8] = include_bytes!("../data/asymmetric/rsa2048.spki");

const ARN_PREFIX: &str = "arn:aws:kms:us-east-1:000000000000:key/";

fn create(h: &Harness, spec: &str, usage: &str, origin: &str) -> Value {
    h.ok(
        "CreateKey",
        json!({ "KeySpec": spec, "KeyUsage": usage, "Origin": origin }),
    )["KeyMetadata"]
        .clone()
}

fn key_id(meta: &Value) -> String {
    meta["KeyId"].as_str().unwrap().to_owned()
}

/// GetParametersForImport, wrap with `algorithm` under its public key, ImportKeyMaterial.
fn import(h: &Harness, key: &str, algorithm: &str, material: &[u8]) -> Reply {
    let p = h.ok(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": algorithm, "WrappingKeySpec": "RSA_4096" }),
    );
    let public = byok_wrap::PublicKey::parse(p["PublicKey"].as_str().unwrap().as_bytes()).unwrap();
    let wrapped = byok_wrap::wrap(
        &public,
        byok_wrap::Algorithm::parse(algorithm).unwrap(),
        material,
        byok_wrap::Sm2Format::Der,
    )
    .unwrap();
    h.call(
        "ImportKeyMaterial",
        json!({
            "KeyId": key, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": b64(&wrapped),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
    )
}

fn sign(h: &Harness, key: &str, algorithm: &str, message: &[u8], kind: &str) -> Reply {
    h.call(
        "Sign",
        json!({ "KeyId": key, "Message": b64(message), "MessageType": kind, "SigningAlgorithm": algorithm }),
    )
}

fn verify(h: &Harness, key: &str, algorithm: &str, message: &[u8], signature: &Value) -> Reply {
    h.call(
        "Verify",
        json!({
            "KeyId": key, "Message": b64(message), "MessageType": "RAW",
            "SigningAlgorithm": algorithm, "Signature": signature,
        }),
    )
}

#[test]
fn key_metadata_lists_what_each_usage_allows() {
    let h = harness();
    let rsa_sign = create(&h, "RSA_3072", "SIGN_VERIFY", "AWS_KMS");
    assert_eq!(rsa_sign["KeySpec"], "RSA_3072");
    assert_eq!(rsa_sign["CustomerMasterKeySpec"], "RSA_3072");
    assert_eq!(rsa_sign["KeyUsage"], "SIGN_VERIFY");
    // AWS's DescribeKey example lists PKCS #1 v1.5 before PSS.
    assert_eq!(
        rsa_sign["SigningAlgorithms"],
        json!([
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512"
        ])
    );
    assert!(rsa_sign.get("EncryptionAlgorithms").is_none());
    assert!(rsa_sign.get("MacAlgorithms").is_none());

    let rsa_enc = create(&h, "RSA_2048", "ENCRYPT_DECRYPT", "EXTERNAL");
    assert_eq!(
        rsa_enc["EncryptionAlgorithms"],
        json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
    );
    assert_eq!(rsa_enc["KeyState"], "PendingImport");
    assert!(rsa_enc.get("SigningAlgorithms").is_none());

    let hmac = create(&h, "HMAC_384", "GENERATE_VERIFY_MAC", "AWS_KMS");
    assert_eq!(hmac["MacAlgorithms"], json!(["HMAC_SHA_384"]));
    assert!(hmac.get("EncryptionAlgorithms").is_none());
    // Only symmetric encryption keys name their current material.
    assert!(hmac.get("CurrentKeyMaterialId").is_none());

    for (spec, algorithm) in [
        ("ECC_NIST_P256", "ECDSA_SHA_256"),
        ("ECC_NIST_P384", "ECDSA_SHA_384"),
        ("ECC_NIST_P521", "ECDSA_SHA_512"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
        ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
    ] {
        let meta = create(&h, spec, "SIGN_VERIFY", "AWS_KMS");
        assert_eq!(meta["SigningAlgorithms"], json!([algorithm]), "{spec}");
        let described = &h.ok("DescribeKey", json!({ "KeyId": meta["KeyId"] }))["KeyMetadata"];
        assert_eq!(described["SigningAlgorithms"], json!([algorithm]), "{spec}");
    }

    let sym = &h.ok("CreateKey", json!({}))["KeyMetadata"];
    assert_eq!(sym["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(sym["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert!(sym["CurrentKeyMaterialId"].is_string());
}

#[test]
fn create_key_refusals_follow_the_model() {
    let h = harness();
    let body = h.err(
        "CreateKey",
        json!({ "KeySpec": "HMAC_256" }),
        "ValidationException",
    );
    assert_eq!(
        body["message"],
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
    );
    let body = h.err(
        "CreateKey",
        json!({ "KeySpec": "RSA_2048", "KeyUsage": "KEY_AGREEMENT" }),
        "ValidationException",
    );
    assert_eq!(
        body["message"],
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048"
    );
    for (spec, usage) in [
        ("RSA_2048", "GENERATE_VERIFY_MAC"),
        ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
        ("ECC_SECG_P256K1", "ENCRYPT_DECRYPT"),
        ("HMAC_256", "SIGN_VERIFY"),
        ("SYMMETRIC_DEFAULT", "SIGN_VERIFY"),
        ("ECC_NIST_EDWARDS25519", "ENCRYPT_DECRYPT"),
    ] {
        let body = h.err(
            "CreateKey",
            json!({ "KeySpec": spec, "KeyUsage": usage }),
            "ValidationException",
        );
        assert_eq!(
            body["message"],
            format!("KeyUsage {usage} is not compatible with KeySpec {spec}")
        );
    }
    h.err(
        "CreateKey",
        json!({ "KeySpec": "SM2", "KeyUsage": "SIGN_VERIFY" }),
        "ValidationException",
    );
    h.err(
        "CreateKey",
        json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT" }),
        "UnsupportedOperationException",
    );
    h.err(
        "CreateKey",
        json!({ "KeySpec": "ML_DSA_44", "KeyUsage": "SIGN_VERIFY" }),
        "UnsupportedOperationException",
    );
    // kmsgate has no custom key stores: an id names none, whatever the origin.
    for origin in ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE", "AWS_KMS"] {
        h.err(
            "CreateKey",
            json!({ "Origin": origin, "CustomKeyStoreId": "cks-1234567890abcdef0" }),
            "CustomKeyStoreNotFoundException",
        );
    }
    h.err(
        "GenerateRandom",
        json!({ "NumberOfBytes": 32, "CustomKeyStoreId": "cks-1234567890abcdef0" }),
        "CustomKeyStoreNotFoundException",
    );
    h.err(
        "CreateKey",
        json!({ "Origin": "AWS_CLOUDHSM" }),
        "UnsupportedOperationException",
    );
    h.err(
        "CreateKey",
        json!({ "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY", "CustomerMasterKeySpec": "RSA_2048" }),
        "ValidationException",
    );
    let legacy = &h.ok(
        "CreateKey",
        json!({ "CustomerMasterKeySpec": "HMAC_224", "KeyUsage": "GENERATE_VERIFY_MAC" }),
    )["KeyMetadata"];
    assert_eq!(legacy["KeySpec"], "HMAC_224");
    // China regions have SM2 keys.
    let cn = h.call_as(
        "AKIDEXAMPLE",
        "cn-north-1",
        "CreateKey",
        json!({ "KeySpec": "SM2", "KeyUsage": "ENCRYPT_DECRYPT" }),
    );
    assert_eq!(cn.status, 200, "{}", cn.body);
    assert_eq!(
        cn.body["KeyMetadata"]["EncryptionAlgorithms"],
        json!(["SM2PKE"])
    );
}

#[test]
fn imported_ecc_key_signs_and_answers_its_public_key() {
    let h = harness();
    let key = key_id(&create(&h, "ECC_NIST_P256", "SIGN_VERIFY", "EXTERNAL"));
    let imported = import(&h, &key, "RSAES_OAEP_SHA_256", P256_PKCS8);
    assert_eq!(imported.status, 200, "{}", imported.body);
    let public = h.ok("GetPublicKey", json!({ "KeyId": key }));
    assert_eq!(unb64(&public["PublicKey"]), P256_SPKI);
    assert_eq!(public["KeyId"], format!("{ARN_PREFIX}{key}"));
    assert_eq!(public["KeySpec"], "ECC_NIST_P256");
    assert_eq!(public["KeyUsage"], "SIGN_VERIFY");
    assert_eq!(public["SigningAlgorithms"], json!(["ECDSA_SHA_256"]));
    assert!(public.get("EncryptionAlgorithms").is_none());

    let signed = sign(&h, &key, "ECDSA_SHA_256", b"hello", "RAW");
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert_eq!(signed.body["KeyId"], format!("{ARN_PREFIX}{key}"));
    assert_eq!(signed.body["SigningAlgorithm"], "ECDSA_SHA_256");
    let signature = signed.body["Signature"].clone();
    let ok = verify(&h, &key, "ECDSA_SHA_256", b"hello", &signature);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["SignatureValid"], true);
    // A digest signs and verifies as the message it is the digest of.
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(b"hello");
    let by_digest = h.ok(
        "Verify",
        json!({
            "KeyId": key, "Message": b64(&digest), "MessageType": "DIGEST",
            "SigningAlgorithm": "ECDSA_SHA_256", "Signature": signature,
        }),
    );
    assert_eq!(by_digest["SignatureValid"], true);

    let bad = verify(&h, &key, "ECDSA_SHA_256", b"hullo", &signature);
    assert_eq!(
        (bad.status, bad.code(), bad.body["message"].as_str()),
        (400, "KMSInvalidSignatureException", Some(""))
    );
    // The material cannot change after the first import.
    let other = import(&h, &key, "RSAES_OAEP_SHA_256", P384_PKCS8);
    assert_eq!(other.code(), "IncorrectKeyMaterialException");
    let again = import(&h, &key, "RSA_AES_KEY_WRAP_SHA_1", P256_PKCS8);
    assert_eq!(again.status, 200, "{}", again.body);
}

#[test]
fn imported_rsa_key_needs_rsa_aes_key_wrap() {
    let h = harness();
    let key = key_id(&create(&h, "RSA_2048", "ENCRYPT_DECRYPT", "EXTERNAL"));
    for algorithm in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
        let body = h.err(
            "GetParametersForImport",
            json!({ "KeyId": key, "WrappingAlgorithm": algorithm, "WrappingKeySpec": "RSA_4096" }),
            "ValidationException",
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("RSA_AES_KEY_WRAP"),
            "{body}"
        );
    }
    let imported = import(&h, &key, "RSA_AES_KEY_WRAP_SHA_256", RSA2048_PKCS8);
    assert_eq!(imported.status, 200, "{}", imported.body);
    let public = h.ok("GetPublicKey", json!({ "KeyId": key }));
    assert_eq!(unb64(&public["PublicKey"]), RSA2048_SPKI);
    assert_eq!(
        public["EncryptionAlgorithms"],
        json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
    );

    let enc = h.ok(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(b"secret"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
    );
    assert_eq!(enc["EncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
    let blob = enc["CiphertextBlob"].clone();
    assert_eq!(unb64(&blob).len(), 256);
    let dec = h.ok(
        "Decrypt",
        json!({ "KeyId": key, "CiphertextBlob": blob, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
    );
    assert_eq!(unb64(&dec["Plaintext"]), b"secret");
    assert_eq!(dec["EncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
    assert!(dec.get("KeyMaterialId").is_none());

    // An asymmetric ciphertext names no key: without KeyId it is not a ciphertext at all.
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob }),
        "InvalidCiphertextException",
    );
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
        "ValidationException",
    );
    let body = h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob, "KeyId": key }),
        "InvalidKeyUsageException",
    );
    assert_eq!(
        body["message"],
        "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."
    );
    h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob, "KeyId": key, "EncryptionAlgorithm": "RSAES_OAEP_SHA_1" }),
        "InvalidCiphertextException",
    );
    h.err(
        "Encrypt",
        json!({
            "KeyId": key, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256",
            "EncryptionContext": { "a": "b" },
        }),
        "ValidationException",
    );
    let body = h.err(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(&[0; 191]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
        "ValidationException",
    );
    assert_eq!(
        body["message"],
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes."
    );
    h.ok(
        "Encrypt",
        json!({ "KeyId": key, "Plaintext": b64(&[0; 190]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
    );

    // ReEncrypt from the RSA key to a symmetric one and back.
    let sym = h.create_key("AWS_KMS");
    let moved = h.ok(
        "ReEncrypt",
        json!({
            "CiphertextBlob": blob, "SourceKeyId": key, "SourceEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
            "DestinationKeyId": sym,
        }),
    );
    assert_eq!(moved["SourceEncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
    assert_eq!(moved["DestinationEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert!(moved.get("SourceKeyMaterialId").is_none());
    assert!(moved["DestinationKeyMaterialId"].is_string());
    let back = h.ok(
        "ReEncrypt",
        json!({
            "CiphertextBlob": moved["CiphertextBlob"], "DestinationKeyId": key,
            "DestinationEncryptionAlgorithm": "RSAES_OAEP_SHA_1",
        }),
    );
    let dec = h.ok(
        "Decrypt",
        json!({ "KeyId": key, "CiphertextBlob": back["CiphertextBlob"], "EncryptionAlgorithm": "RSAES_OAEP_SHA_1" }),
    );
    assert_eq!(unb64(&dec["Plaintext"]), b"secret");
}

#[test]
fn hmac_keys_generate_and_verify_macs() {
    let h = harness();
    let key = key_id(&create(&h, "HMAC_256", "GENERATE_VERIFY_MAC", "EXTERNAL"));
    let material = [0x42u8; 40];
    let short = import(&h, &key, "RSAES_OAEP_SHA_256", &[1u8; 31]);
    assert_eq!(short.code(), "IncorrectKeyMaterialException");
    let imported = import(&h, &key, "RSAES_OAEP_SHA_256", &material);
    assert_eq!(imported.status, 200, "{}", imported.body);

    let mac = h.ok(
        "GenerateMac",
        json!({ "KeyId": key, "Message": b64(b"msg"), "MacAlgorithm": "HMAC_SHA_256" }),
    );
    assert_eq!(mac["MacAlgorithm"], "HMAC_SHA_256");
    assert_eq!(mac["KeyId"], format!("{ARN_PREFIX}{key}"));
    let mut expected = Hmac::<sha2::Sha256>::new_from_slice(&material).unwrap();
    expected.update(b"msg");
    assert_eq!(
        unb64(&mac["Mac"]),
        expected.finalize().into_bytes().to_vec()
    );
    let ok = h.ok(
        "VerifyMac",
        json!({ "KeyId": key, "Message": b64(b"msg"), "MacAlgorithm": "HMAC_SHA_256", "Mac": mac["Mac"] }),
    );
    assert_eq!(ok["MacValid"], true);
    let bad = h.err(
        "VerifyMac",
        json!({ "KeyId": key, "Message": b64(b"msh"), "MacAlgorithm": "HMAC_SHA_256", "Mac": mac["Mac"] }),
        "KMSInvalidMacException",
    );
    assert_eq!(bad["message"], "");
    let body = h.err(
        "GenerateMac",
        json!({ "KeyId": key, "Message": b64(b"msg"), "MacAlgorithm": "HMAC_SHA_512" }),
        "InvalidKeyUsageException",
    );
    assert_eq!(
        body["message"],
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256."
    );
    h.err(
        "GetPublicKey",
        json!({ "KeyId": key }),
        "UnsupportedOperationException",
    );
    // The multi-material members are for symmetric encryption keys only.
    let p = h.ok(
        "GetParametersForImport",
        json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
    );
    h.err(
        "ImportKeyMaterial",
        json!({
            "KeyId": key, "ImportToken": p["ImportToken"], "EncryptedKeyMaterial": b64(&[0; 256]),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ImportType": "NEW_KEY_MATERIAL",
        }),
        "ValidationException",
    );
    // An AWS_KMS key is refused for its origin first, whatever members the request names.
    let generated = key_id(&create(&h, "HMAC_256", "GENERATE_VERIFY_MAC", "AWS_KMS"));
    h.err(
        "ImportKeyMaterial",
        json!({
            "KeyId": generated, "ImportToken": b64(&[1; 64]), "EncryptedKeyMaterial": b64(&[0; 256]),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ImportType": "NEW_KEY_MATERIAL",
        }),
        "UnsupportedOperationException",
    );
}

#[test]
fn usage_algorithm_and_digest_refusals() {
    let h = harness();
    let sym = h.create_key("AWS_KMS");
    let ecc = key_id(&create(&h, "ECC_NIST_P256", "SIGN_VERIFY", "AWS_KMS"));
    let rsa = key_id(&create(&h, "RSA_2048", "ENCRYPT_DECRYPT", "AWS_KMS"));
    let hmac = key_id(&create(&h, "HMAC_224", "GENERATE_VERIFY_MAC", "AWS_KMS"));
    let ed = key_id(&create(
        &h,
        "ECC_NIST_EDWARDS25519",
        "SIGN_VERIFY",
        "AWS_KMS",
    ));

    let usage = |op: &str, body: Value, key: &str, usage: &str| {
        let body = h.err(op, body, "InvalidKeyUsageException");
        assert_eq!(
            body["message"],
            format!("{ARN_PREFIX}{key} key usage is {usage} which is not valid for {op}.")
        );
    };
    usage(
        "Sign",
        json!({ "KeyId": hmac, "Message": b64(b"m"), "SigningAlgorithm": "RSASSA_PSS_SHA_256" }),
        &hmac,
        "GENERATE_VERIFY_MAC",
    );
    usage(
        "Verify",
        json!({ "KeyId": sym, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256", "Signature": b64(b"s") }),
        &sym,
        "ENCRYPT_DECRYPT",
    );
    usage(
        "GenerateMac",
        json!({ "KeyId": sym, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_224" }),
        &sym,
        "ENCRYPT_DECRYPT",
    );
    usage(
        "Encrypt",
        json!({ "KeyId": ecc, "Plaintext": b64(b"m") }),
        &ecc,
        "SIGN_VERIFY",
    );
    usage(
        "Sign",
        json!({ "KeyId": rsa, "Message": b64(b"m"), "SigningAlgorithm": "ML_DSA_SHAKE_256" }),
        &rsa,
        "ENCRYPT_DECRYPT",
    );
    let incompatible = |op: &str, body: Value, algorithm: &str, spec: &str| {
        let body = h.err(op, body, "InvalidKeyUsageException");
        assert_eq!(
            body["message"],
            format!("Algorithm {algorithm} is incompatible with key spec {spec}.")
        );
    };
    incompatible(
        "Sign",
        json!({ "KeyId": ecc, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_384" }),
        "ECDSA_SHA_384",
        "ECC_NIST_P256",
    );
    incompatible(
        "Sign",
        json!({ "KeyId": ecc, "Message": b64(b"m"), "SigningAlgorithm": "ML_DSA_SHAKE_256" }),
        "ML_DSA_SHAKE_256",
        "ECC_NIST_P256",
    );
    incompatible(
        "Encrypt",
        json!({ "KeyId": rsa, "Plaintext": b64(b"m") }),
        "SYMMETRIC_DEFAULT",
        "RSA_2048",
    );
    incompatible(
        "Encrypt",
        json!({ "KeyId": sym, "Plaintext": b64(b"m"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1" }),
        "RSAES_OAEP_SHA_1",
        "SYMMETRIC_DEFAULT",
    );
    incompatible(
        "Encrypt",
        json!({ "KeyId": rsa, "Plaintext": b64(b"m"), "EncryptionAlgorithm": "SM2PKE" }),
        "SM2PKE",
        "RSA_2048",
    );
    h.err(
        "GenerateDataKey",
        json!({ "KeyId": rsa, "KeySpec": "AES_256" }),
        "InvalidKeyUsageException",
    );
    h.err(
        "Sign",
        json!({ "KeyId": ed, "Message": b64(b"m"), "SigningAlgorithm": "ED25519_PH_SHA_512" }),
        "UnsupportedOperationException",
    );
    let body = h.err(
        "Sign",
        json!({ "KeyId": ecc, "Message": b64(b"short"), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256" }),
        "ValidationException",
    );
    assert_eq!(
        body["message"],
        "Digest is invalid length for algorithm ECDSA_SHA_256."
    );
    h.err(
        "Sign",
        json!({ "KeyId": ed, "Message": b64(&[0; 64]), "MessageType": "DIGEST", "SigningAlgorithm": "ED25519_SHA_512" }),
        "ValidationException",
    );
    h.err(
        "Sign",
        json!({ "KeyId": ecc, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_999" }),
        "ValidationException",
    );
    h.err(
        "Sign",
        json!({ "KeyId": ecc, "Message": b64(b"m"), "MessageType": "EXTERNAL_MU", "SigningAlgorithm": "ECDSA_SHA_256" }),
        "ValidationException",
    );
    // The key is looked up first: EXTERNAL_MU for a key that does not exist is NotFound.
    h.err(
        "Verify",
        json!({ "KeyId": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "Message": b64(b"m"), "Signature": b64(b"s"), "MessageType": "EXTERNAL_MU", "SigningAlgorithm": "ECDSA_SHA_256" }),
        "NotFoundException",
    );
    h.err(
        "GetPublicKey",
        json!({ "KeyId": sym }),
        "UnsupportedOperationException",
    );
    // A symmetric ciphertext decrypted naming a key that did not make it (AWS's wording).
    let blob =
        h.ok("Encrypt", json!({ "KeyId": sym, "Plaintext": b64(b"m") }))["CiphertextBlob"].clone();
    let body = h.err(
        "Decrypt",
        json!({ "CiphertextBlob": blob, "KeyId": hmac }),
        "IncorrectKeyException",
    );
    assert_eq!(
        body["message"],
        "The key ID in the request does not identify a CMK that can perform this operation."
    );
    // Generated keys sign, and their signatures verify, in every message form.
    let signed = sign(&h, &ed, "ED25519_SHA_512", b"edwards", "RAW");
    assert_eq!(signed.status, 200, "{}", signed.body);
    let ok = verify(
        &h,
        &ed,
        "ED25519_SHA_512",
        b"edwards",
        &signed.body["Signature"],
    );
    assert_eq!(ok.body["SignatureValid"], true);
    // DryRun: the answer AWS gives when the request would have worked.
    h.err(
        "Sign",
        json!({ "KeyId": ecc, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256", "DryRun": true }),
        "DryRunOperationException",
    );
}
