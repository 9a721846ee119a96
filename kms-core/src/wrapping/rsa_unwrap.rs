//! RSA unwrapping on aws-lc's constant-time RSA. Every failure collapses into one `None`, so
//! the error never says which padding check failed. (RUSTSEC-2023-0071, the Marvin timing
//! attack on the `rsa` crate, concerns the paths this replaces; docs/security.md says what is
//! left.)

use aes_kw::{KekAes128, KekAes192, KekAes256};
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    Pkcs1PrivateDecryptingKey,
};
use rand_core::OsRng;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Oaep, RsaPrivateKey};
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::WrappingAlgorithm;
use super::key_pair::RsaPrivate;
use crate::secret::SecretBytes;

pub(super) fn unwrap(
    key: &RsaPrivate,
    algorithm: WrappingAlgorithm,
    ciphertext: &[u8],
) -> Option<SecretBytes> {
    match algorithm {
        WrappingAlgorithm::RsaesPkcs1V15 => pkcs1(key, ciphertext),
        WrappingAlgorithm::RsaesOaepSha1 => oaep(key, &OAEP_SHA1_MGF1SHA1, ciphertext),
        WrappingAlgorithm::RsaesOaepSha256 => oaep_sha256_any_mgf(key, ciphertext),
        WrappingAlgorithm::RsaAesKeyWrapSha1 => {
            key_wrap(key, ciphertext, |k, c| oaep(k, &OAEP_SHA1_MGF1SHA1, c))
        }
        WrappingAlgorithm::RsaAesKeyWrapSha256 => key_wrap(key, ciphertext, oaep_sha256_any_mgf),
        WrappingAlgorithm::Sm2Pke => None,
    }
}

fn oaep(
    key: &RsaPrivate,
    algorithm: &'static OaepAlgorithm,
    ciphertext: &[u8],
) -> Option<SecretBytes> {
    let decrypting = OaepPrivateDecryptingKey::new(key.key.clone()).ok()?;
    let mut out = Zeroizing::new(vec![0u8; key.key.key_size_bytes()]);
    let plain = decrypting
        .decrypt(algorithm, ciphertext, &mut out, None)
        .ok()?;
    Some(SecretBytes::from(plain.to_vec()))
}

fn pkcs1(key: &RsaPrivate, ciphertext: &[u8]) -> Option<SecretBytes> {
    let decrypting = Pkcs1PrivateDecryptingKey::new(key.key.clone()).ok()?;
    let mut out = Zeroizing::new(vec![0u8; decrypting.min_output_size()]);
    let plain = decrypting.decrypt(ciphertext, &mut out).ok()?;
    Some(SecretBytes::from(plain.to_vec()))
}

/// Java's `OAEPWithSHA-256AndMGF1Padding` keeps MGF1 on SHA-1, so both are accepted. aws-lc
/// offers OAEP only with matching hashes; the mixed form goes through the `rsa` crate's
/// blinded decryption (slower, and only for ciphertexts the first form refused).
fn oaep_sha256_any_mgf(key: &RsaPrivate, ciphertext: &[u8]) -> Option<SecretBytes> {
    oaep(key, &OAEP_SHA256_MGF1SHA256, ciphertext).or_else(|| {
        let legacy = RsaPrivateKey::from_pkcs8_der(&key.pkcs8).ok()?;
        legacy
            .decrypt_blinded(
                &mut OsRng,
                Oaep::new_with_mgf_hash::<Sha256, Sha1>(),
                ciphertext,
            )
            .ok()
            .map(SecretBytes::from)
    })
}

/// `RSA-OAEP(K) ‖ AES-KWP(K, material)`: the first modulus-length bytes carry the ephemeral
/// AES key, the rest is RFC 5649 key wrap with padding.
fn key_wrap(
    key: &RsaPrivate,
    ciphertext: &[u8],
    unwrap_ephemeral: impl Fn(&RsaPrivate, &[u8]) -> Option<SecretBytes>,
) -> Option<SecretBytes> {
    let modulus_len = key.key.key_size_bytes();
    if ciphertext.len() < modulus_len + 16 {
        return None;
    }
    let (rsa_part, kwp_part) = ciphertext.split_at(modulus_len);
    let ephemeral = unwrap_ephemeral(key, rsa_part)?;
    let material = match ephemeral.expose().len() {
        16 => KekAes128::try_from(ephemeral.expose())
            .ok()?
            .unwrap_with_padding_vec(kwp_part),
        24 => KekAes192::try_from(ephemeral.expose())
            .ok()?
            .unwrap_with_padding_vec(kwp_part),
        32 => KekAes256::try_from(ephemeral.expose())
            .ok()?
            .unwrap_with_padding_vec(kwp_part),
        _ => return None,
    };
    material
        .ok()
        .map(|m| SecretBytes::from(Zeroizing::new(m).to_vec()))
}
