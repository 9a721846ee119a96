//! Which wrapping algorithm may carry which key material (the AWS `GetParametersForImport`
//! documentation, and Huawei's two layers). Symmetric material keeps the rules it always had
//! here (any algorithm: each dialect restricts its own cloud's choices).

use super::{WrappingAlgorithm, WrappingKeySpec};
use crate::error::KmsError;
use crate::spec::{KeyFamily, KeySpec};

/// The largest material a client brings for `spec` in one layer: OpenSSL's PKCS#8 encoding
/// (with the public key for the EC curves), or the longest HMAC key.
fn largest_material(spec: KeySpec) -> usize {
    match spec {
        KeySpec::EccNistP256 | KeySpec::Sm2 => 138,
        KeySpec::EccSecgP256k1 => 135,
        KeySpec::EccNistP384 => 185,
        KeySpec::EccNistP521 => 241,
        KeySpec::EccNistEdwards25519 => 48,
        _ => spec.hmac_lengths().map_or(0, |l| l.max),
    }
}

/// What one RSA-OAEP block carries under a wrapping key (none under an SM2 one).
fn oaep_capacity(algorithm: WrappingAlgorithm, wrapping: WrappingKeySpec) -> usize {
    let sha1 = algorithm == WrappingAlgorithm::RsaesOaepSha1;
    wrapping
        .rsa_bits()
        .map_or(0, |bits| crate::material::oaep_capacity(bits / 8, sha1))
}

/// Whether `algorithm` (with a `wrapping` key) may carry `spec` material, in two layers
/// (Huawei's: a temporary key, then the private key under it) or one.
pub(crate) fn check(
    algorithm: WrappingAlgorithm,
    wrapping: WrappingKeySpec,
    spec: KeySpec,
    two_layers: bool,
) -> Result<(), KmsError> {
    let refused = Err(KmsError::WrappingNotForMaterial { algorithm, spec });
    if two_layers {
        // The temporary key is AES-256 under RSA-OAEP, SM4 under SM2 (for SM2 keys).
        return match algorithm {
            _ if !spec.is_asymmetric() => refused,
            WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => Ok(()),
            WrappingAlgorithm::Sm2Pke if spec == KeySpec::Sm2 => Ok(()),
            _ => refused,
        };
    }
    if spec.family() == KeyFamily::Symmetric {
        return Ok(());
    }
    match algorithm {
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => Ok(()),
        // RSA private keys travel only with RSA_AES_KEY_WRAP; the rest must fit one block.
        WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256
            if spec.family() != KeyFamily::Rsa
                && largest_material(spec) <= oaep_capacity(algorithm, wrapping) =>
        {
            Ok(())
        }
        WrappingAlgorithm::Sm2Pke if spec == KeySpec::Sm2 => Ok(()),
        _ => refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WrappingAlgorithm as A;

    #[test]
    fn one_layer_follows_the_documented_limits() {
        let ok = |a, w, s| check(a, w, s, false).is_ok();
        for spec in KeySpec::ALL {
            assert!(
                ok(A::RsaAesKeyWrapSha256, WrappingKeySpec::Rsa2048, spec),
                "{spec}"
            );
            assert!(
                ok(A::RsaAesKeyWrapSha1, WrappingKeySpec::Rsa4096, spec),
                "{spec}"
            );
        }
        for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
            assert!(!ok(A::RsaesOaepSha256, WrappingKeySpec::Rsa4096, spec));
            assert!(!ok(A::RsaesOaepSha1, WrappingKeySpec::Rsa4096, spec));
        }
        assert!(!ok(
            A::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            KeySpec::EccNistP521
        ));
        assert!(!ok(
            A::RsaesOaepSha1,
            WrappingKeySpec::Rsa2048,
            KeySpec::EccNistP521
        ));
        assert!(ok(
            A::RsaesOaepSha256,
            WrappingKeySpec::Rsa3072,
            KeySpec::EccNistP521
        ));
        assert!(ok(
            A::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            KeySpec::EccNistP384
        ));
        assert!(ok(
            A::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            KeySpec::Hmac512
        ));
        assert!(!ok(
            A::RsaesPkcs1V15,
            WrappingKeySpec::Rsa2048,
            KeySpec::Hmac256
        ));
        assert!(ok(A::Sm2Pke, WrappingKeySpec::Sm2, KeySpec::Sm2));
        assert!(!ok(A::Sm2Pke, WrappingKeySpec::Sm2, KeySpec::EccNistP256));
        assert!(!ok(A::Sm2Pke, WrappingKeySpec::Sm2, KeySpec::Hmac256));
        // Symmetric material: unchanged, every algorithm.
        for algorithm in WrappingAlgorithm::ALL {
            assert!(ok(algorithm, WrappingKeySpec::Rsa2048, KeySpec::Aes256));
        }
    }

    #[test]
    fn two_layers_carry_private_keys_only() {
        let ok = |a, s| check(a, WrappingKeySpec::Rsa2048, s, true).is_ok();
        assert!(ok(A::RsaesOaepSha256, KeySpec::Rsa4096));
        assert!(ok(A::RsaesOaepSha1, KeySpec::EccNistP521));
        assert!(ok(A::Sm2Pke, KeySpec::Sm2));
        assert!(!ok(A::Sm2Pke, KeySpec::EccNistP256));
        assert!(!ok(A::RsaAesKeyWrapSha256, KeySpec::Rsa2048));
        assert!(!ok(A::RsaesPkcs1V15, KeySpec::Rsa2048));
        assert!(!ok(A::RsaesOaepSha256, KeySpec::Hmac256));
        assert!(!ok(A::RsaesOaepSha256, KeySpec::Aes256));
    }
}
