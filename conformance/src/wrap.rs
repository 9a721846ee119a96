//! Client-side wrapping of key material for import, as a user of each cloud does it, written
//! from the clouds' documents and independently of kms-core's unwrapping (each checks the
//! other). Output is what goes, base64-encoded, into the import request.

use aes_kw::KekAes256;
use rand_core::{OsRng, RngCore};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};
use sha1::Sha1;
use sha2::Sha256;
use sm2::pke::{EncryptingKey, Mode};

use crate::neutral::WrapAlg;

#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    #[error("the wrapping public key is not a DER SubjectPublicKeyInfo for {0}")]
    PublicKey(WrapAlg),
    #[error("{0} encryption failed: {1}")]
    Encrypt(WrapAlg, String),
    #[error("the system random number generator failed")]
    Random,
}

/// Wraps `material` under the DER SubjectPublicKeyInfo `public_key_der`:
/// - `RSAES_PKCS1_V1_5`, `RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256` (MGF1 with the same hash,
///   empty label): one RSA block.
/// - `RSA_AES_KEY_WRAP_SHA_1/256`: RSA-OAEP of a fresh AES-256 key, followed by the RFC 5649
///   key wrap with padding of the material under that key.
/// - `SM2PKE`: SM2 encryption (GB/T 32918.4), DER `SEQUENCE { x, y, C3, C2 }` as OpenSSL
///   `pkeyutl -encrypt` writes it.
pub fn wrap(
    public_key_der: &[u8],
    algorithm: WrapAlg,
    material: &[u8],
) -> Result<Vec<u8>, WrapError> {
    match algorithm {
        WrapAlg::Sm2Pke => sm2_der(public_key_der, material),
        WrapAlg::RsaesPkcs1V15 => rsa_key(public_key_der, algorithm)?
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, material)
            .map_err(|e| WrapError::Encrypt(algorithm, e.to_string())),
        WrapAlg::RsaesOaepSha1 | WrapAlg::RsaesOaepSha256 => {
            oaep(&rsa_key(public_key_der, algorithm)?, algorithm, material)
        }
        WrapAlg::RsaAesKeyWrapSha1 | WrapAlg::RsaAesKeyWrapSha256 => {
            let rsa = rsa_key(public_key_der, algorithm)?;
            let mut aes_key = [0u8; 32];
            OsRng
                .try_fill_bytes(&mut aes_key)
                .map_err(|_| WrapError::Random)?;
            let mut out = oaep(&rsa, algorithm, &aes_key)?;
            let wrapped = KekAes256::from(aes_key)
                .wrap_with_padding_vec(material)
                .map_err(|e| WrapError::Encrypt(algorithm, e.to_string()))?;
            out.extend_from_slice(&wrapped);
            Ok(out)
        }
    }
}

fn rsa_key(der: &[u8], algorithm: WrapAlg) -> Result<RsaPublicKey, WrapError> {
    RsaPublicKey::from_public_key_der(der).map_err(|_| WrapError::PublicKey(algorithm))
}

fn oaep(key: &RsaPublicKey, algorithm: WrapAlg, data: &[u8]) -> Result<Vec<u8>, WrapError> {
    let padding = match algorithm {
        WrapAlg::RsaesOaepSha1 | WrapAlg::RsaAesKeyWrapSha1 => Oaep::new::<Sha1>(),
        _ => Oaep::new::<Sha256>(),
    };
    key.encrypt(&mut OsRng, padding, data)
        .map_err(|e| WrapError::Encrypt(algorithm, e.to_string()))
}

fn sm2_der(public_key_der: &[u8], material: &[u8]) -> Result<Vec<u8>, WrapError> {
    let key = <sm2::PublicKey as sm2::pkcs8::DecodePublicKey>::from_public_key_der(public_key_der)
        .map_err(|_| WrapError::PublicKey(WrapAlg::Sm2Pke))?;
    let raw = EncryptingKey::new_with_mode(key, Mode::C1C3C2)
        .encrypt(
            &mut sm2::elliptic_curve::common::getrandom::SysRng,
            material,
        )
        .map_err(|e| WrapError::Encrypt(WrapAlg::Sm2Pke, e.to_string()))?;
    der_c1c3c2(&raw)
        .ok_or_else(|| WrapError::Encrypt(WrapAlg::Sm2Pke, "unexpected ciphertext layout".into()))
}

/// Re-encodes raw `04 ‖ x(32) ‖ y(32) ‖ C3(32) ‖ C2` as GM/T 0009 DER.
pub fn der_c1c3c2(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.len() < 1 + 32 + 32 + 32 || raw[0] != 0x04 {
        return None;
    }
    let (x, rest) = raw[1..].split_at(32);
    let (y, rest) = rest.split_at(32);
    let (c3, c2) = rest.split_at(32);
    let mut content = der_integer(x);
    content.extend(der_integer(y));
    content.extend(der_tlv(0x04, c3));
    content.extend(der_tlv(0x04, c2));
    Some(der_tlv(0x30, &content))
}

/// A non-negative big-endian integer, minimal: leading zeros dropped, a zero byte added when
/// the top bit is set.
fn der_integer(be: &[u8]) -> Vec<u8> {
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len() - 1);
    let mut value = be[first..].to_vec();
    if value[0] & 0x80 != 0 {
        value.insert(0, 0);
    }
    der_tlv(0x02, &value)
}

fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use rsa::RsaPrivateKey;
    use rsa::pkcs8::EncodePublicKey;
    use sm2::pke::DecryptingKey;

    use super::*;

    fn vectors() -> serde_json::Value {
        serde_json::from_str(include_str!("../tests/data/sm2_vectors.json")).unwrap()
    }

    fn hex_of(v: &serde_json::Value) -> Vec<u8> {
        hex::decode(v.as_str().unwrap()).unwrap()
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
    fn sm2_wrapping_decrypts_with_the_vector_private_key() {
        use sm2::pkcs8::DecodePrivateKey;
        let v = vectors();
        let secret =
            sm2::SecretKey::from_pkcs8_der(&hex_of(&v["sm2_private_pkcs8_der_hex"])).unwrap();
        let public = hex_of(&v["sm2_public_spki_der_hex"]);
        let decrypting = DecryptingKey::new_with_mode(secret.to_nonzero_scalar(), Mode::C1C3C2);
        for len in [16, 32] {
            let material: Vec<u8> = (0..len as u8).collect();
            let wrapped = wrap(&public, WrapAlg::Sm2Pke, &material).unwrap();
            assert_eq!(wrapped[0], 0x30);
            assert_eq!(decrypting.decrypt_der(&wrapped).unwrap(), material);
        }
    }

    #[test]
    fn rsa_wrappings_decrypt_with_the_private_key() {
        let private = RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
        let der = private.to_public_key().to_public_key_der().unwrap();
        let material = [7u8; 32];
        let open = |alg, ct: &[u8]| match alg {
            WrapAlg::RsaesPkcs1V15 => private.decrypt(Pkcs1v15Encrypt, ct).unwrap(),
            WrapAlg::RsaesOaepSha1 => private.decrypt(Oaep::new::<Sha1>(), ct).unwrap(),
            _ => private.decrypt(Oaep::new::<Sha256>(), ct).unwrap(),
        };
        for alg in [
            WrapAlg::RsaesPkcs1V15,
            WrapAlg::RsaesOaepSha1,
            WrapAlg::RsaesOaepSha256,
        ] {
            let wrapped = wrap(der.as_bytes(), alg, &material).unwrap();
            assert_eq!(wrapped.len(), 256, "{alg}");
            assert_eq!(open(alg, &wrapped), material, "{alg}");
        }
        for (alg, inner) in [
            (WrapAlg::RsaAesKeyWrapSha1, WrapAlg::RsaesOaepSha1),
            (WrapAlg::RsaAesKeyWrapSha256, WrapAlg::RsaesOaepSha256),
        ] {
            let wrapped = wrap(der.as_bytes(), alg, &material[..16]).unwrap();
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
    fn a_key_of_the_wrong_kind_is_refused() {
        let v = vectors();
        let sm2_public = hex_of(&v["sm2_public_spki_der_hex"]);
        assert!(matches!(
            wrap(&sm2_public, WrapAlg::RsaesOaepSha256, &[0; 32]),
            Err(WrapError::PublicKey(WrapAlg::RsaesOaepSha256))
        ));
        assert!(wrap(b"junk", WrapAlg::Sm2Pke, &[0; 16]).is_err());
    }
}
