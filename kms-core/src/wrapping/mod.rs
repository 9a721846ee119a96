//! Import wrapping: the algorithms and key specs a caller may wrap material with, the
//! wrapping key pairs the service issues, and unwrapping.

mod key_pair;
mod pool;
mod recent;
mod rsa_unwrap;
pub(crate) mod rules;
mod sm2_unwrap;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use key_pair::WrappingKeyPair;
pub use pool::{FreshKeyPairs, KeyPairPool, KeyPairSource, PoolTargets, Reuse};
pub(crate) use recent::RecentPairs;

/// How the caller wrapped the material it imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WrappingAlgorithm {
    RsaesPkcs1V15,
    RsaesOaepSha1,
    /// OAEP with SHA-256; MGF1-SHA-1 (Java's default) is accepted too.
    RsaesOaepSha256,
    /// RSA-OAEP-SHA-1 of an ephemeral AES key, then RFC 5649 AES key wrap with padding.
    RsaAesKeyWrapSha1,
    /// RSA-OAEP-SHA-256 of an ephemeral AES key, then RFC 5649 AES key wrap with padding.
    RsaAesKeyWrapSha256,
    /// SM2 public-key encryption (GB/T 32918.4), ASN.1 DER C1C3C2 or raw C1C3C2.
    Sm2Pke,
}

impl WrappingAlgorithm {
    pub const ALL: [WrappingAlgorithm; 6] = [
        WrappingAlgorithm::RsaesPkcs1V15,
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingAlgorithm::Sm2Pke,
    ];

    /// RSA algorithms need an RSA wrapping key, SM2 an SM2 one.
    pub fn fits(self, spec: WrappingKeySpec) -> bool {
        let sm2_algorithm = self == WrappingAlgorithm::Sm2Pke;
        let sm2_key = spec == WrappingKeySpec::Sm2;
        sm2_algorithm == sm2_key
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            WrappingAlgorithm::RsaesPkcs1V15 => 1,
            WrappingAlgorithm::RsaesOaepSha1 => 2,
            WrappingAlgorithm::RsaesOaepSha256 => 3,
            WrappingAlgorithm::RsaAesKeyWrapSha1 => 4,
            WrappingAlgorithm::RsaAesKeyWrapSha256 => 5,
            WrappingAlgorithm::Sm2Pke => 6,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

impl fmt::Display for WrappingAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WrappingAlgorithm::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
            WrappingAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            WrappingAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            WrappingAlgorithm::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            WrappingAlgorithm::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
            WrappingAlgorithm::Sm2Pke => "SM2PKE",
        })
    }
}

/// The kind of wrapping key pair the service issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WrappingKeySpec {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    Sm2,
}

impl WrappingKeySpec {
    pub const ALL: [WrappingKeySpec; 4] = [
        WrappingKeySpec::Rsa2048,
        WrappingKeySpec::Rsa3072,
        WrappingKeySpec::Rsa4096,
        WrappingKeySpec::Sm2,
    ];

    pub(crate) fn rsa_bits(self) -> Option<usize> {
        match self {
            WrappingKeySpec::Rsa2048 => Some(2048),
            WrappingKeySpec::Rsa3072 => Some(3072),
            WrappingKeySpec::Rsa4096 => Some(4096),
            WrappingKeySpec::Sm2 => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            WrappingKeySpec::Rsa2048 => 1,
            WrappingKeySpec::Rsa3072 => 2,
            WrappingKeySpec::Rsa4096 => 3,
            WrappingKeySpec::Sm2 => 4,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl fmt::Display for WrappingKeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WrappingKeySpec::Rsa2048 => "RSA_2048",
            WrappingKeySpec::Rsa3072 => "RSA_3072",
            WrappingKeySpec::Rsa4096 => "RSA_4096",
            WrappingKeySpec::Sm2 => "SM2",
        })
    }
}

/// Wrapped key material as received, 1 to 6144 bytes (the largest blob any cloud accepts).
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedMaterial(Vec<u8>);

impl EncryptedMaterial {
    pub const MAX_LEN: usize = 6144;

    pub fn new(bytes: Vec<u8>) -> Result<Self, crate::ValidationError> {
        if bytes.is_empty() || bytes.len() > Self::MAX_LEN {
            return Err(crate::ValidationError::EncryptedMaterialSize { max: Self::MAX_LEN });
        }
        Ok(EncryptedMaterial(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for EncryptedMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptedMaterial({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sm2_fits_sm2() {
        for alg in WrappingAlgorithm::ALL {
            for spec in WrappingKeySpec::ALL {
                let expected = (alg == WrappingAlgorithm::Sm2Pke) == (spec == WrappingKeySpec::Sm2);
                assert_eq!(alg.fits(spec), expected, "{alg} with {spec}");
            }
        }
    }

    #[test]
    fn codes_round_trip() {
        for alg in WrappingAlgorithm::ALL {
            assert_eq!(WrappingAlgorithm::from_code(alg.code()), Some(alg));
        }
        for spec in WrappingKeySpec::ALL {
            assert_eq!(WrappingKeySpec::from_code(spec.code()), Some(spec));
        }
        assert_eq!(WrappingAlgorithm::from_code(0), None);
        assert_eq!(WrappingKeySpec::from_code(9), None);
    }
}
