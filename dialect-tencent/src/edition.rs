//! The compliance edition a Tencent listener emulates.

use serde::Deserialize;

/// Tencent regions are either FIPS-compliant (AES-256 keys, KeyMetadata.Type 2) or SM-CRYPTO
/// ("国密", SM4 keys, Type 4). The emulator takes one edition for the whole listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum Edition {
    #[default]
    Fips,
    Sm,
}

impl Edition {
    pub fn parse(s: &str) -> Option<Edition> {
        match s {
            "fips" => Some(Edition::Fips),
            "sm" => Some(Edition::Sm),
            _ => None,
        }
    }

    pub fn key_spec(self) -> kms_core::KeySpec {
        match self {
            Edition::Fips => kms_core::KeySpec::Aes256,
            Edition::Sm => kms_core::KeySpec::Sm4,
        }
    }
}

/// An edition setting that names neither edition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Tencent edition (fips or sm)")]
pub struct InvalidEdition(pub String);

impl TryFrom<String> for Edition {
    type Error = InvalidEdition;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Edition::parse(&s.to_ascii_lowercase()).ok_or(InvalidEdition(s))
    }
}
