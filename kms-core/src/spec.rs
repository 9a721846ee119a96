//! What a key is made of and how long its material lives.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::algorithm::{EncryptionAlgorithm, KeyUsage, MacAlgorithm, SigningAlgorithm};
use crate::error::ValidationError;
use crate::time::Timestamp;

/// The key specs the core offers: what kind of key material a key holds. The spec fixes
/// which usages and algorithms the key may have ([`KeySpec::usages`] and friends follow the
/// AWS model; dialects with other names map themselves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeySpec {
    /// FIPS: AES-256-GCM with 256-bit (32-byte) material.
    Aes256,
    /// SM-CRYPTO: SM4-GCM (RFC 8998) with 128-bit (16-byte) material.
    Sm4,
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EccNistP256,
    EccNistP384,
    EccNistP521,
    EccSecgP256k1,
    EccNistEdwards25519,
    /// Asymmetric SM2 (GB/T 32918): signing or encryption.
    Sm2,
    Hmac224,
    Hmac256,
    Hmac384,
    Hmac512,
    /// Huawei's HMAC_SM3.
    HmacSm3,
}

/// The kind of cryptography a key spec belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    Symmetric,
    Rsa,
    Ecc,
    Sm2,
    Hmac,
}

impl KeySpec {
    pub const ALL: [KeySpec; 16] = [
        KeySpec::Aes256,
        KeySpec::Sm4,
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
        KeySpec::EccNistEdwards25519,
        KeySpec::Sm2,
        KeySpec::Hmac224,
        KeySpec::Hmac256,
        KeySpec::Hmac384,
        KeySpec::Hmac512,
        KeySpec::HmacSm3,
    ];

    /// The symmetric encryption specs (the only ones before asymmetric and HMAC keys).
    pub const SYMMETRIC: [KeySpec; 2] = [KeySpec::Aes256, KeySpec::Sm4];

    pub const fn family(self) -> KeyFamily {
        match self {
            KeySpec::Aes256 | KeySpec::Sm4 => KeyFamily::Symmetric,
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => KeyFamily::Rsa,
            KeySpec::EccNistP256
            | KeySpec::EccNistP384
            | KeySpec::EccNistP521
            | KeySpec::EccSecgP256k1
            | KeySpec::EccNistEdwards25519 => KeyFamily::Ecc,
            KeySpec::Sm2 => KeyFamily::Sm2,
            KeySpec::Hmac224
            | KeySpec::Hmac256
            | KeySpec::Hmac384
            | KeySpec::Hmac512
            | KeySpec::HmacSm3 => KeyFamily::Hmac,
        }
    }

    /// Whether the key holds a private key (and so has a public key).
    pub const fn is_asymmetric(self) -> bool {
        matches!(
            self.family(),
            KeyFamily::Rsa | KeyFamily::Ecc | KeyFamily::Sm2
        )
    }

    /// The only material length a symmetric spec accepts, in bytes; `None` for the others
    /// (HMAC lengths are a range, [`KeySpec::hmac_lengths`]; asymmetric material is PKCS#8).
    pub const fn material_len(self) -> Option<usize> {
        match self {
            KeySpec::Aes256 => Some(32),
            KeySpec::Sm4 => Some(16),
            _ => None,
        }
    }

    /// HMAC keys: the length generated keys get, and the lengths imports may bring (AWS's
    /// developer guide; HMAC_SM3 is Huawei's and documents none, so it takes SM3's output
    /// length up to its block size, like HMAC_256).
    pub const fn hmac_lengths(self) -> Option<HmacLengths> {
        let (generated, min, max) = match self {
            KeySpec::Hmac224 => (28, 28, 64),
            KeySpec::Hmac256 => (32, 32, 64),
            KeySpec::Hmac384 => (48, 48, 128),
            KeySpec::Hmac512 => (64, 64, 128),
            KeySpec::HmacSm3 => (32, 32, 64),
            _ => return None,
        };
        Some(HmacLengths {
            generated,
            min,
            max,
        })
    }

    /// What the AWS model allows; the first is the default.
    pub const fn usages(self) -> &'static [KeyUsage] {
        use KeyUsage::*;
        match self.family() {
            KeyFamily::Symmetric => &[EncryptDecrypt],
            KeyFamily::Rsa | KeyFamily::Sm2 => &[EncryptDecrypt, SignVerify],
            KeyFamily::Ecc => &[SignVerify],
            KeyFamily::Hmac => &[GenerateVerifyMac],
        }
    }

    /// The first of [`KeySpec::usages`]: what a key gets when its creator names none.
    pub const fn default_usage(self) -> KeyUsage {
        match self.family() {
            KeyFamily::Symmetric | KeyFamily::Rsa | KeyFamily::Sm2 => KeyUsage::EncryptDecrypt,
            KeyFamily::Ecc => KeyUsage::SignVerify,
            KeyFamily::Hmac => KeyUsage::GenerateVerifyMac,
        }
    }

    pub fn allows(self, usage: KeyUsage) -> bool {
        self.usages().contains(&usage)
    }

    /// The signing algorithms of the spec (whatever the key's usage).
    pub const fn signing_algorithms(self) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm::*;
        match self {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[
                RsassaPssSha256,
                RsassaPssSha384,
                RsassaPssSha512,
                RsassaPkcs1V15Sha256,
                RsassaPkcs1V15Sha384,
                RsassaPkcs1V15Sha512,
            ],
            KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => &[EcdsaSha256],
            KeySpec::EccNistP384 => &[EcdsaSha384],
            KeySpec::EccNistP521 => &[EcdsaSha512],
            KeySpec::EccNistEdwards25519 => &[Ed25519Sha512],
            KeySpec::Sm2 => &[Sm2Dsa],
            _ => &[],
        }
    }

    /// The encryption algorithms of the spec: symmetric keys have only SYMMETRIC_DEFAULT.
    pub const fn encryption_algorithms(self) -> &'static [EncryptionAlgorithm] {
        use EncryptionAlgorithm::*;
        match self.family() {
            KeyFamily::Symmetric => &[SymmetricDefault],
            KeyFamily::Rsa => &[RsaesOaepSha1, RsaesOaepSha256],
            KeyFamily::Sm2 => &[Sm2Pke],
            KeyFamily::Ecc | KeyFamily::Hmac => &[],
        }
    }

    pub const fn mac_algorithms(self) -> &'static [MacAlgorithm] {
        use MacAlgorithm::*;
        match self {
            KeySpec::Hmac224 => &[HmacSha224],
            KeySpec::Hmac256 => &[HmacSha256],
            KeySpec::Hmac384 => &[HmacSha384],
            KeySpec::Hmac512 => &[HmacSha512],
            KeySpec::HmacSm3 => &[HmacSm3],
            _ => &[],
        }
    }
}

/// HMAC key lengths of one spec, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HmacLengths {
    pub generated: usize,
    pub min: usize,
    pub max: usize,
}

/// Where a key's material comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Origin {
    /// Generated by kmsgate when the key is created.
    Generated,
    /// Brought by the user ("bring your own key"): the key starts PendingImport.
    External,
}

/// When imported material stops being usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Expiry {
    Never,
    At(Timestamp),
}

impl Expiry {
    pub fn has_passed(self, now: Timestamp) -> bool {
        match self {
            Expiry::Never => false,
            Expiry::At(t) => t <= now,
        }
    }
}

/// How many days a key waits in PendingDeletion before it is purged. Each cloud allows its own
/// range (AWS 7–30, Huawei 7–1096), so the dialect names the range when it builds one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeletionWindow {
    days: u32,
}

impl DeletionWindow {
    pub fn days_within(
        days: u32,
        allowed: std::ops::RangeInclusive<u32>,
    ) -> Result<Self, ValidationError> {
        if days == 0 || !allowed.contains(&days) {
            return Err(ValidationError::DeletionWindowOutOfRange {
                days,
                min: *allowed.start(),
                max: *allowed.end(),
            });
        }
        Ok(DeletionWindow { days })
    }

    pub fn days(self) -> u32 {
        self.days
    }

    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.days) * 86_400)
    }
}

/// A length of random bytes the service will produce, 1 to 1024 (every cloud's upper bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteCount(u16);

impl ByteCount {
    pub const MAX: usize = 1024;

    pub fn new(n: usize) -> Result<Self, ValidationError> {
        match u16::try_from(n) {
            Ok(v) if (1..=Self::MAX).contains(&n) => Ok(ByteCount(v)),
            _ => Err(ValidationError::ByteCountOutOfRange {
                requested: n,
                max: Self::MAX,
            }),
        }
    }

    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

/// The size of a data key to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKeySpec {
    Aes128,
    Aes256,
    /// 128-bit, for SM4.
    Sm4,
    Bytes(ByteCount),
}

impl DataKeySpec {
    /// The data key's length in bytes (never zero).
    pub fn byte_len(self) -> usize {
        match self {
            DataKeySpec::Aes128 | DataKeySpec::Sm4 => 16,
            DataKeySpec::Aes256 => 32,
            DataKeySpec::Bytes(n) => n.get(),
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl KeySpec {
    /// The spec's name (AWS's KeySpec names, and `AES_256` / `SM4` for symmetric keys).
    pub const fn name(self) -> &'static str {
        match self {
            KeySpec::Aes256 => "AES_256",
            KeySpec::Sm4 => "SM4",
            KeySpec::Rsa2048 => "RSA_2048",
            KeySpec::Rsa3072 => "RSA_3072",
            KeySpec::Rsa4096 => "RSA_4096",
            KeySpec::EccNistP256 => "ECC_NIST_P256",
            KeySpec::EccNistP384 => "ECC_NIST_P384",
            KeySpec::EccNistP521 => "ECC_NIST_P521",
            KeySpec::EccSecgP256k1 => "ECC_SECG_P256K1",
            KeySpec::EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
            KeySpec::Sm2 => "SM2",
            KeySpec::Hmac224 => "HMAC_224",
            KeySpec::Hmac256 => "HMAC_256",
            KeySpec::Hmac384 => "HMAC_384",
            KeySpec::Hmac512 => "HMAC_512",
            KeySpec::HmacSm3 => "HMAC_SM3",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletion_window_respects_the_dialects_range() {
        assert!(DeletionWindow::days_within(7, 7..=30).is_ok());
        assert!(DeletionWindow::days_within(30, 7..=30).is_ok());
        assert_eq!(
            DeletionWindow::days_within(31, 7..=30),
            Err(ValidationError::DeletionWindowOutOfRange {
                days: 31,
                min: 7,
                max: 30
            })
        );
        assert!(DeletionWindow::days_within(6, 7..=1096).is_err());
        assert!(DeletionWindow::days_within(1096, 7..=1096).is_ok());
    }

    #[test]
    fn byte_count_is_one_to_1024() {
        assert!(ByteCount::new(0).is_err());
        assert!(ByteCount::new(1025).is_err());
        assert!(ByteCount::new(70_000).is_err());
        assert_eq!(ByteCount::new(1024).map(ByteCount::get), Ok(1024));
    }

    #[test]
    fn material_lengths_are_fixed_by_spec() {
        assert_eq!(KeySpec::Aes256.material_len(), Some(32));
        assert_eq!(KeySpec::Sm4.material_len(), Some(16));
        assert_eq!(KeySpec::Rsa2048.material_len(), None);
    }

    #[test]
    fn every_spec_has_a_default_usage_and_algorithms_for_it() {
        for spec in KeySpec::ALL {
            let usage = spec.default_usage();
            assert_eq!(spec.usages().first(), Some(&usage));
            let algorithms = match usage {
                KeyUsage::EncryptDecrypt => spec.encryption_algorithms().len(),
                KeyUsage::SignVerify => spec.signing_algorithms().len(),
                KeyUsage::GenerateVerifyMac => spec.mac_algorithms().len(),
            };
            assert!(algorithms > 0, "{spec}");
            assert_eq!(
                spec.hmac_lengths().is_some(),
                spec.family() == KeyFamily::Hmac
            );
        }
    }
}
