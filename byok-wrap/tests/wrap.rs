//! Every algorithm, unwrapped with the private key by the reference crates (rsa, aes-kw, sm2)
//! and the OpenSSL-made SM2 vectors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aes_kw::KekAes256;
use byok_wrap::{Algorithm, PublicKey, PublicKeyError, Sm2Format, WrapError, der_c1c3c2, wrap};
use rand_core::OsRng;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey};
use sha1::Sha1;
use sha2::Sha256;
use sm2::pke::{DecryptingKey, Mode};

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("data/sm2_vectors.json")).unwrap()
}

fn hex_of(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn algorithm_names_are_the_clouds() {
    for a in Algorithm::ALL {
        assert_eq!(Algorithm::parse(&a.to_string()), Some(a));
    }
    assert_eq!(Algorithm::parse("SM2_ENCRYPT"), Some(Algorithm::Sm2));
    assert_eq!(Algorithm::parse("rsaes_oaep_sha_256"), None);
    assert_eq!(Sm2Format::parse("raw04"), Some(Sm2Format::Raw04));
    assert_eq!(Sm2Format::parse("pem"), None);
}

#[test]
fn der_encoding_matches_openssl_for_the_recorded_vectors() {
    for v in vectors()["vectors"].as_array().unwrap() {
        let raw = hex_of(&v["raw_c1c3c2_hex"]);
        assert_eq!(der_c1c3c2(&raw).unwrap(), hex_of(&v["der_c1c3c2_hex"]));
    }
    assert_eq!(der_c1c3c2(&[0x04; 10]), None);
}

#[test]
fn sm2_wrapping_decrypts_with_the_vector_private_key_in_every_layout() {
    use sm2::pkcs8::DecodePrivateKey;
    let v = vectors();
    let secret = sm2::SecretKey::from_pkcs8_der(&hex_of(&v["sm2_private_pkcs8_der_hex"])).unwrap();
    let public = PublicKey::from_der(&hex_of(&v["sm2_public_spki_der_hex"])).unwrap();
    assert_eq!(public.kind(), "SM2");
    let decrypting = DecryptingKey::new_with_mode(secret.to_nonzero_scalar(), Mode::C1C3C2);
    for len in [16, 32] {
        let material: Vec<u8> = (0..len as u8).collect();
        let der = wrap(&public, Algorithm::Sm2, &material, Sm2Format::Der).unwrap();
        assert_eq!(der[0], 0x30);
        assert_eq!(decrypting.decrypt_der(&der).unwrap(), material);
        let raw04 = wrap(&public, Algorithm::Sm2, &material, Sm2Format::Raw04).unwrap();
        assert_eq!(raw04[0], 0x04);
        assert_eq!(decrypting.decrypt(&raw04).unwrap(), material);
        let raw = wrap(&public, Algorithm::Sm2, &material, Sm2Format::Raw).unwrap();
        assert_eq!(raw.len(), raw04.len() - 1);
        assert_eq!(
            decrypting.decrypt(&[&[0x04], &raw[..]].concat()).unwrap(),
            material
        );
    }
}

#[test]
fn rsa_wrappings_decrypt_with_the_private_key() {
    let private = RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
    let spki = private.to_public_key().to_public_key_der().unwrap();
    // The three encodings a user may hold.
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, spki.as_bytes());
    let pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    for given in [b64.as_bytes(), pem.as_bytes(), spki.as_bytes()] {
        assert_eq!(PublicKey::parse(given).unwrap().kind(), "RSA");
    }
    let key = PublicKey::parse(b64.as_bytes()).unwrap();
    let material = [7u8; 32];
    let open = |alg, ct: &[u8]| match alg {
        Algorithm::RsaesPkcs1V15 => private.decrypt(Pkcs1v15Encrypt, ct).unwrap(),
        Algorithm::RsaesOaepSha1 => private.decrypt(Oaep::new::<Sha1>(), ct).unwrap(),
        _ => private.decrypt(Oaep::new::<Sha256>(), ct).unwrap(),
    };
    for alg in [
        Algorithm::RsaesPkcs1V15,
        Algorithm::RsaesOaepSha1,
        Algorithm::RsaesOaepSha256,
    ] {
        let wrapped = wrap(&key, alg, &material, Sm2Format::Der).unwrap();
        assert_eq!(wrapped.len(), 256, "{alg}");
        assert_eq!(open(alg, &wrapped), material, "{alg}");
    }
    for (alg, inner) in [
        (Algorithm::RsaAesKeyWrapSha1, Algorithm::RsaesOaepSha1),
        (Algorithm::RsaAesKeyWrapSha256, Algorithm::RsaesOaepSha256),
    ] {
        let wrapped = wrap(&key, alg, &material[..16], Sm2Format::Der).unwrap();
        let (rsa_part, kwp) = wrapped.split_at(256);
        // RFC 5649: 16 bytes of material pad to 16, plus the 8-byte integrity block.
        assert_eq!(kwp.len(), 24, "{alg}");
        let aes_key: [u8; 32] = open(inner, rsa_part).try_into().unwrap();
        let unwrapped = KekAes256::from(aes_key)
            .unwrap_with_padding_vec(kwp)
            .unwrap();
        assert_eq!(unwrapped, &material[..16], "{alg}");
    }
}

#[test]
fn keys_that_do_not_fit_are_refused_clearly() {
    let v = vectors();
    let sm2 = PublicKey::from_der(&hex_of(&v["sm2_public_spki_der_hex"])).unwrap();
    let e = wrap(&sm2, Algorithm::RsaesOaepSha256, &[0; 32], Sm2Format::Der).unwrap_err();
    assert!(matches!(e, WrapError::KeyDoesNotFit { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "RSAES_OAEP_SHA_256 needs an RSA public key, and this one is SM2"
    );
    assert_eq!(
        PublicKey::parse(b"not a key!").unwrap_err(),
        PublicKeyError::Encoding
    );
    assert_eq!(
        PublicKey::parse(b"AAAA").unwrap_err(),
        PublicKeyError::NotRsaOrSm2
    );
}
