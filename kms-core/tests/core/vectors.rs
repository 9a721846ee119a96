//! Material wrapped by independent implementations (Python `cryptography`, the OpenSSL CLI)
//! imports, for every wrapping algorithm and wrapping key spec.

use kms_core::*;

use crate::support::*;

fn algorithm(name: &str, mgf1: &serde_json::Value) -> WrappingAlgorithm {
    match (name, mgf1.as_str()) {
        ("RSAES_PKCS1_V1_5", _) => WrappingAlgorithm::RsaesPkcs1V15,
        ("RSAES_OAEP_SHA_1", _) => WrappingAlgorithm::RsaesOaepSha1,
        ("RSAES_OAEP_SHA_256", _) => WrappingAlgorithm::RsaesOaepSha256,
        ("RSA_AES_KEY_WRAP_SHA_1", _) => WrappingAlgorithm::RsaAesKeyWrapSha1,
        ("RSA_AES_KEY_WRAP_SHA_256", _) => WrappingAlgorithm::RsaAesKeyWrapSha256,
        other => panic!("unknown algorithm {other:?}"),
    }
}

fn spec_for(material: &[u8]) -> KeySpec {
    match material.len() {
        32 => KeySpec::Aes256,
        16 => KeySpec::Sm4,
        n => panic!("vector material of {n} bytes"),
    }
}

fn wrapping_spec(name: &str) -> WrappingKeySpec {
    WrappingKeySpec::ALL
        .into_iter()
        .find(|s| s.to_string() == name)
        .unwrap()
}

/// Imports `wrapped` into a fresh key and proves the key now encrypts with that material.
fn import_and_use(
    f: &Fixture,
    alg: WrappingAlgorithm,
    spec: WrappingKeySpec,
    material: &[u8],
    wrapped: Vec<u8>,
) {
    let key = f.external(spec_for(material));
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
    let p = f.params(&key, alg, spec);
    assert_eq!(
        p.public_key_der,
        vector_key_pair(spec).public_key_der().unwrap()
    );
    let outcome = f
        .import(&key, &p, wrapped, Expiry::Never)
        .unwrap_or_else(|e| panic!("{alg} / {spec} / {} bytes: {e}", material.len()));
    assert_eq!(outcome.key.state, KeyStateKind::Enabled);
    let blob = f.encrypt(&key, b"payload").unwrap();
    assert_eq!(f.decrypt(&blob).unwrap(), b"payload");
    // The imported material is the vector's: re-importing the plain material (wrapped by us)
    // is accepted as "the same", which it would not be for any other bytes.
    f.import_plain(&key, material, Expiry::Never).unwrap();
}

#[test]
fn every_rsa_vector_imports() {
    let f = fixture();
    let vectors = rsa_vectors()["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 48);
    for v in vectors {
        let alg = algorithm(v["wrapping_algorithm"].as_str().unwrap(), &v["mgf1"]);
        let spec = wrapping_spec(v["wrapping_key_spec"].as_str().unwrap());
        import_and_use(
            &f,
            alg,
            spec,
            &hex(&v["material_hex"]),
            hex(&v["wrapped_hex"]),
        );
    }
}

#[test]
fn sm2_vectors_import_in_der_and_raw_c1c3c2_with_or_without_prefix() {
    let f = fixture();
    for v in sm2_vectors()["vectors"].as_array().unwrap() {
        let material = hex(&v["plaintext_hex"]);
        let raw = hex(&v["raw_c1c3c2_hex"]);
        assert_eq!(raw[0], 0x04);
        for wrapped in [hex(&v["der_c1c3c2_hex"]), raw.clone(), raw[1..].to_vec()] {
            import_and_use(
                &f,
                WrappingAlgorithm::Sm2Pke,
                WrappingKeySpec::Sm2,
                &material,
                wrapped,
            );
        }
    }
}

#[test]
fn sm2_c1c2c3_layout_and_altered_ciphertexts_are_refused() {
    let f = fixture();
    let v = &sm2_vectors()["vectors"][0];
    let key = f.external(KeySpec::Sm4);
    let p = f.params(&key, WrappingAlgorithm::Sm2Pke, WrappingKeySpec::Sm2);
    let mut altered = hex(&v["der_c1c3c2_hex"]);
    let last = altered.len() - 1;
    altered[last] ^= 1;
    for wrapped in [
        hex(&v["raw_c1c2c3_hex"]),
        altered,
        vec![0x30, 0x03, 0x02, 0x01, 0x01],
        vec![4],
    ] {
        let err = f.import(&key, &p, wrapped, Expiry::Never).unwrap_err();
        assert!(
            matches!(
                err,
                KmsError::UnwrapFailed {
                    algorithm: WrappingAlgorithm::Sm2Pke
                }
            ),
            "{err}"
        );
    }
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
}

#[test]
fn generated_wrapping_keys_of_every_spec_work() {
    // Real generation (not the vectors' fixed pairs), including RSA-4096.
    for spec in [
        WrappingKeySpec::Rsa2048,
        WrappingKeySpec::Rsa4096,
        WrappingKeySpec::Sm2,
    ] {
        let pair = WrappingKeyPair::generate(spec).unwrap();
        let der = pair.public_key_der().unwrap();
        match spec {
            WrappingKeySpec::Sm2 => {
                // id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301.
                let sm2_oid = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
                assert!(der.windows(sm2_oid.len()).any(|w| w == sm2_oid));
            }
            _ => {
                let f = fixture();
                f.pairs.push_next(pair.clone());
                let key = f.external(KeySpec::Aes256);
                let p = f.params(&key, WrappingAlgorithm::RsaesOaepSha256, spec);
                assert_eq!(p.public_key_der, der);
                // Tokens stay within Huawei's 200..=6144 base64 characters even for RSA-4096.
                let chars = p.import_token.to_base64().len();
                assert!((200..=6144).contains(&chars), "{spec}: {chars}");
                let m = material(1, 32);
                f.import(&key, &p, oaep_sha256(&der, &m), Expiry::Never)
                    .unwrap();
            }
        }
    }
}

#[test]
fn java_style_key_wrap_with_mgf1_sha1_imports() {
    use aes_kw::KekAes256;
    use rsa::pkcs8::DecodePublicKey;
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let p = f.params(
        &key,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa2048,
    );
    let public = rsa::RsaPublicKey::from_public_key_der(&p.public_key_der).unwrap();
    let ephemeral = [0x11u8; 32];
    let m = material(0x21, 32);
    let oaep = rsa::Oaep::new_with_mgf_hash::<sha2::Sha256, sha1::Sha1>();
    let mut wrapped = public
        .encrypt(&mut rand_core::OsRng, oaep, &ephemeral)
        .unwrap();
    wrapped.extend(
        KekAes256::from(ephemeral)
            .wrap_with_padding_vec(&m)
            .unwrap(),
    );
    f.import(&key, &p, wrapped, Expiry::Never).unwrap();
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
}
