//! Generated asymmetric keys on Tencent's wire (#16): CreateKey with ASYMMETRIC_* usages,
//! KeyUsage in the metadata and as a listing filter, GetPublicKey, SignByAsymmetricKey and
//! VerifyByAsymmetricKey (RAW by default, 32-byte DIGEST), AsymmetricRsaDecrypt and
//! AsymmetricSm2Decrypt of ciphertexts made outside (byok-wrap: RSA-OAEP, SM2 DER C1C3C2),
//! ListAlgorithms; RSA signatures also checked with the `rsa` crate.

use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::*;

fn create(h: &Harness, alias: &str, usage: &str) -> String {
    let out = h.ok("CreateKey", json!({ "Alias": alias, "KeyUsage": usage }));
    assert_eq!(out["KeyUsage"], usage);
    out["KeyId"].as_str().unwrap().to_owned()
}

fn sign(h: &Harness, key: &str, message: &[u8], algorithm: &str, kind: Option<&str>) -> Vec<u8> {
    let mut body = json!({ "KeyId": key, "Message": b64(message), "Algorithm": algorithm });
    if let Some(k) = kind {
        body["MessageType"] = json!(k);
    }
    unb64(&h.ok("SignByAsymmetricKey", body)["Signature"])
}

fn verify(
    h: &Harness,
    key: &str,
    message: &[u8],
    sig: &[u8],
    algorithm: &str,
    kind: &str,
) -> Value {
    h.ok(
        "VerifyByAsymmetricKey",
        json!({ "KeyId": key, "Message": b64(message), "SignatureValue": b64(sig),
                "Algorithm": algorithm, "MessageType": kind }),
    )["SignatureValid"]
        .clone()
}

#[test]
fn signing_keys_sign_raw_by_default_and_digests_of_32_bytes() {
    let h = harness();
    for (usage, algorithm) in [
        ("ASYMMETRIC_SIGN_VERIFY_SM2", "SM2DSA"),
        ("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC_P256_R1"),
        ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_PSS_SHA_256"),
        ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_PKCS1_SHA_256"),
    ] {
        let key = create(
            &h,
            &format!("s-{}", algorithm.to_lowercase().replace('_', "-")),
            usage,
        );
        assert_eq!(h.describe(&key)["KeyUsage"], usage);
        let message = b"signed on Tencent's wire";
        let sig = sign(&h, &key, message, algorithm, None);
        assert_eq!(
            verify(&h, &key, message, &sig, algorithm, "RAW"),
            json!(true)
        );
        assert_eq!(
            verify(&h, &key, b"another", &sig, algorithm, "RAW"),
            json!(false)
        );
        let digest = [9u8; 32];
        let sig = sign(&h, &key, &digest, algorithm, Some("DIGEST"));
        assert_eq!(
            verify(&h, &key, &digest, &sig, algorithm, "DIGEST"),
            json!(true)
        );
        h.err(
            "SignByAsymmetricKey",
            json!({ "KeyId": key, "Message": b64(&[1; 31]), "Algorithm": algorithm, "MessageType": "DIGEST" }),
            "InvalidParameterValue",
        );
        let public = h.ok("GetPublicKey", json!({ "KeyId": key }));
        assert!(
            public["PublicKeyPem"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
        if algorithm == "RSA_PKCS1_SHA_256" {
            let rsa = rsa::RsaPublicKey::from_public_key_der(&unb64(&public["PublicKey"])).unwrap();
            let sig = sign(&h, &key, message, algorithm, None);
            let sig = rsa::pkcs1v15::Signature::try_from(&sig[..]).unwrap();
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(rsa)
                .verify(message, &sig)
                .unwrap();
        }
    }
    // an algorithm of another key; a symmetric key
    let ecc = create(&h, "ecc", "ASYMMETRIC_SIGN_VERIFY_ECC");
    h.err(
        "SignByAsymmetricKey",
        json!({ "KeyId": ecc, "Message": b64(b"x"), "Algorithm": "SM2DSA" }),
        "InvalidParameterValue",
    );
    // A disabled asymmetric key is in a state these actions do not support (their documented
    // error lists have CmkStateNotSupport, no CmkDisabled).
    h.ok("DisableKey", json!({ "KeyId": ecc }));
    for (action, body) in [
        ("GetPublicKey", json!({ "KeyId": ecc })),
        (
            "SignByAsymmetricKey",
            json!({ "KeyId": ecc, "Message": b64(b"x"), "Algorithm": "ECC_P256_R1" }),
        ),
        (
            "VerifyByAsymmetricKey",
            json!({ "KeyId": ecc, "Message": b64(b"x"), "SignatureValue": b64(b"s"), "Algorithm": "ECC_P256_R1" }),
        ),
    ] {
        h.err(action, body, "ResourceUnavailable.CmkStateNotSupport");
    }
    h.ok("EnableKey", json!({ "KeyId": ecc }));
    let sym = h.create_key("sym", 1);
    h.err(
        "SignByAsymmetricKey",
        json!({ "KeyId": sym, "Message": b64(b"x"), "Algorithm": "SM2DSA" }),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    h.err(
        "GetPublicKey",
        json!({ "KeyId": sym }),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    // the listing filters by usage
    let listed = h.ok(
        "ListKeyDetail",
        json!({ "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECC" }),
    );
    assert_eq!(listed["TotalCount"], 2);
    // absent or empty means ENCRYPT_DECRYPT (models.py: "为空则默认筛选ENCRYPT_DECRYPT类型"),
    // ALL means every key
    for default in [json!({}), json!({ "KeyUsage": "" })] {
        let listed = h.ok("ListKeyDetail", default);
        assert_eq!(listed["TotalCount"], 1, "{listed}");
        assert_eq!(listed["KeyMetadatas"][0]["KeyId"], json!(sym));
    }
    let all = h.ok("ListKeyDetail", json!({ "KeyUsage": "ALL" }));
    assert_eq!(all["TotalCount"], 6, "{all}");
}

#[test]
fn decryption_keys_open_what_their_public_key_sealed() {
    let h = harness();
    let rsa = create(&h, "rsa", "ASYMMETRIC_DECRYPT_RSA_2048");
    let public = h.ok("GetPublicKey", json!({ "KeyId": rsa }));
    let key =
        byok_wrap::PublicKey::parse(public["PublicKey"].as_str().unwrap().as_bytes()).unwrap();
    for (name, algorithm) in [
        ("RSAES_OAEP_SHA_1", byok_wrap::Algorithm::RsaesOaepSha1),
        ("RSAES_OAEP_SHA_256", byok_wrap::Algorithm::RsaesOaepSha256),
    ] {
        let ct = byok_wrap::wrap(&key, algorithm, b"to rsa", byok_wrap::Sm2Format::Der).unwrap();
        let out = h.ok(
            "AsymmetricRsaDecrypt",
            json!({ "KeyId": rsa, "Ciphertext": b64(&ct), "Algorithm": name }),
        );
        assert_eq!(unb64(&out["Plaintext"]), b"to rsa");
    }
    h.err(
        "AsymmetricRsaDecrypt",
        json!({ "KeyId": rsa, "Ciphertext": b64(&[1; 256]), "Algorithm": "RSAES_PKCS1_V1_5" }),
        "UnsupportedOperation",
    );
    let sm2 = create(&h, "sm2", "ASYMMETRIC_DECRYPT_SM2");
    let public = h.ok("GetPublicKey", json!({ "KeyId": sm2 }));
    let key =
        byok_wrap::PublicKey::parse(public["PublicKey"].as_str().unwrap().as_bytes()).unwrap();
    let ct = byok_wrap::wrap(
        &key,
        byok_wrap::Algorithm::Sm2,
        b"to sm2",
        byok_wrap::Sm2Format::Der,
    )
    .unwrap();
    let out = h.ok(
        "AsymmetricSm2Decrypt",
        json!({ "KeyId": sm2, "Ciphertext": b64(&ct) }),
    );
    assert_eq!(unb64(&out["Plaintext"]), b"to sm2");
    // a malformed Ciphertext (not base64, or too long) is InvalidCiphertext, as for Decrypt
    for (op, key, extra) in [
        ("AsymmetricSm2Decrypt", &sm2, json!({})),
        (
            "AsymmetricRsaDecrypt",
            &rsa,
            json!({ "Algorithm": "RSAES_OAEP_SHA_256" }),
        ),
    ] {
        for bad in [json!("not base64!"), json!(b64(&[1; 513]))] {
            let mut body = json!({ "KeyId": key, "Ciphertext": bad });
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            h.err(op, body, "InvalidParameterValue.InvalidCiphertext");
        }
    }
    // a decryption key does not sign, nor encrypt symmetrically
    h.err(
        "SignByAsymmetricKey",
        json!({ "KeyId": sm2, "Message": b64(b"x"), "Algorithm": "SM2DSA" }),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    h.err(
        "Encrypt",
        json!({ "KeyId": rsa, "Plaintext": b64(b"x") }),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    // An RSA decryption key for the SM2 decrypt: the key's usage, as its error list says.
    h.err(
        "AsymmetricSm2Decrypt",
        json!({ "KeyId": rsa, "Ciphertext": b64(&[1; 120]) }),
        "InvalidParameterValue.InvalidKeyUsage",
    );
    // One entry per usage, with the key's algorithm, as Tencent's example lists them.
    let algorithms = h.ok("ListAlgorithms", json!({}));
    assert_eq!(
        algorithms["AsymmetricAlgorithms"],
        json!([
            { "KeyUsage": "ASYMMETRIC_DECRYPT_RSA_2048", "Algorithm": "RSA_2048" },
            { "KeyUsage": "ASYMMETRIC_DECRYPT_SM2", "Algorithm": "SM2" },
        ])
    );
    assert_eq!(
        algorithms["AsymmetricSignVerifyAlgorithms"],
        json!([
            { "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_SM2", "Algorithm": "SM2" },
            { "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECC", "Algorithm": "ECC" },
            { "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_RSA_2048", "Algorithm": "RSA_2048" },
        ])
    );
}
