//! Tencent's `KeyUsage`: one name for the usage and the key type together
//! (`ASYMMETRIC_SIGN_VERIFY_ECC` is a P-256 signing key), mapped to the core's spec and usage.

use kms_core::{KeySpec, KeyUsage};

use crate::edition::Edition;
use crate::error::{ErrorCode, TencentError};

/// The asymmetric usages of CreateKey's model and the key each makes. ECDSA384 is offered by
/// Tencent, but no document names its signing algorithm (SignByAsymmetricKey lists SM2DSA,
/// ECC_P256_R1, RSA_PSS_SHA_256, RSA_PKCS1_SHA_256 "etc."), so it is not emulated.
pub(crate) const ASYMMETRIC: &[(&str, Option<(KeySpec, KeyUsage)>)] = &[
    (
        "ASYMMETRIC_DECRYPT_RSA_2048",
        Some((KeySpec::Rsa2048, KeyUsage::EncryptDecrypt)),
    ),
    (
        "ASYMMETRIC_DECRYPT_SM2",
        Some((KeySpec::Sm2, KeyUsage::EncryptDecrypt)),
    ),
    (
        "ASYMMETRIC_SIGN_VERIFY_SM2",
        Some((KeySpec::Sm2, KeyUsage::SignVerify)),
    ),
    (
        "ASYMMETRIC_SIGN_VERIFY_ECC",
        Some((KeySpec::EccNistP256, KeyUsage::SignVerify)),
    ),
    (
        "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
        Some((KeySpec::Rsa2048, KeyUsage::SignVerify)),
    ),
    ("ASYMMETRIC_SIGN_VERIFY_ECDSA384", None),
];

/// What a CreateKey `KeyUsage` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    /// ENCRYPT_DECRYPT (or nothing): a symmetric key of the edition's spec.
    Symmetric,
    Asymmetric(KeySpec, KeyUsage),
}

impl Usage {
    pub(crate) fn parse(text: Option<&str>) -> Result<Usage, TencentError> {
        match text {
            None | Some("") | Some("ENCRYPT_DECRYPT") => Ok(Usage::Symmetric),
            Some(u) => match ASYMMETRIC.iter().find(|(n, _)| *n == u) {
                Some((_, Some((spec, usage)))) => Ok(Usage::Asymmetric(*spec, *usage)),
                Some((_, None)) => Err(TencentError::new(
                    ErrorCode::UnsupportedOperationUnsupportedKeyUsageInCurrentRegion,
                    format!("KeyUsage {u} is not emulated by kmsgate."),
                )),
                None => Err(TencentError::new(
                    ErrorCode::InvalidParameterValueInvalidKeyUsage,
                    format!("KeyUsage `{u}` is not a Tencent KMS key usage."),
                )),
            },
        }
    }

    /// The spec and usage of the key to create.
    pub(crate) fn key(self, edition: Edition) -> (KeySpec, KeyUsage) {
        match self {
            Usage::Symmetric => (edition.key_spec(), KeyUsage::EncryptDecrypt),
            Usage::Asymmetric(spec, usage) => (spec, usage),
        }
    }
}

/// A key's `KeyUsage` as Tencent names it.
pub(crate) fn name(spec: KeySpec, usage: KeyUsage) -> &'static str {
    ASYMMETRIC
        .iter()
        .find(|(_, k)| *k == Some((spec, usage)))
        .map_or("ENCRYPT_DECRYPT", |(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usages_round_trip() {
        for (n, k) in ASYMMETRIC {
            match k {
                Some((spec, usage)) => {
                    assert_eq!(
                        Usage::parse(Some(n)).unwrap(),
                        Usage::Asymmetric(*spec, *usage)
                    );
                    assert_eq!(name(*spec, *usage), *n);
                }
                None => assert!(Usage::parse(Some(n)).is_err()),
            }
        }
        assert_eq!(Usage::parse(None).unwrap(), Usage::Symmetric);
        assert_eq!(
            name(KeySpec::Sm4, KeyUsage::EncryptDecrypt),
            "ENCRYPT_DECRYPT"
        );
        assert_eq!(
            Usage::parse(Some("NOPE")).unwrap_err().code,
            ErrorCode::InvalidParameterValueInvalidKeyUsage
        );
    }
}
