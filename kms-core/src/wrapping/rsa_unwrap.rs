//! RSA unwrapping. Every failure collapses into one `None`, so the error never says which
//! padding check failed, and the private-key operation is blinded. (RUSTSEC-2023-0071 concerns
//! the timing of these paths; docs/security.md says what that leaves.)

use aes_kw::{KekAes128, KekAes192, KekAes256};
use rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey};
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::WrappingAlgorithm;
use crate::secret::SecretBytes;

pub(super) fn unwrap(
    key: &RsaPrivateKey,
    algorithm: WrappingAlgorithm,
    ciphertext: &[u8],
) -> Option<SecretBytes> {
    match algorithm {
        WrappingAlgorithm::RsaesPkcs1V15 => decrypt(key, Pkcs1v15Encrypt, ciphertext),
        WrappingAlgorithm::RsaesOaepSha1 => decrypt(key, Oaep::new::<Sha1>(), ciphertext),
        WrappingAlgorithm::RsaesOaepSha256 => oaep_sha256_any_mgf(key, ciphertext),
        WrappingAlgorithm::RsaAesKeyWrapSha1 => {
            key_wrap(key, ciphertext, |k, c| decrypt(k, Oaep::new::<Sha1>(), c))
        }
        WrappingAlgorithm::RsaAesKeyWrapSha256 => key_wrap(key, ciphertext, oaep_sha256_any_mgf),
        WrappingAlgorithm::Sm2Pke => None,
    }
}

fn decrypt<P: rsa::traits::PaddingScheme>(
    key: &RsaPrivateKey,
    padding: P,
    ciphertext: &[u8],
) -> Option<SecretBytes> {
    key.decrypt_blinded(&mut OsRng, padding, ciphertext)
        .ok()
        .map(SecretBytes::from)
}

/// Java's `OAEPWithSHA-256AndMGF1Padding` keeps MGF1 on SHA-1, so both are accepted.
fn oaep_sha256_any_mgf(key: &RsaPrivateKey, ciphertext: &[u8]) -> Option<SecretBytes> {
    decrypt(key, Oaep::new::<Sha256>(), ciphertext)
        .or_else(|| decrypt(key, Oaep::new_with_mgf_hash::<Sha256, Sha1>(), ciphertext))
}

/// `RSA-OAEP(K) ‖ AES-KWP(K, material)`: the first modulus-length bytes carry the ephemeral
/// AES key, the rest is RFC 5649 key wrap with padding.
fn key_wrap(
    key: &RsaPrivateKey,
    ciphertext: &[u8],
    unwrap_ephemeral: impl Fn(&RsaPrivateKey, &[u8]) -> Option<SecretBytes>,
) -> Option<SecretBytes> {
    let modulus_len = key.size();
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
