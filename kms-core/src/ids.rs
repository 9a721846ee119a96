//! Identifiers the core hands out or receives: parsed once, valid forever after.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationError;

/// A key's identity: a random (v4) UUID, always shown lowercase with hyphens (36 chars).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(Uuid);

impl KeyId {
    pub(crate) fn random() -> Self {
        KeyId(Uuid::new_v4())
    }

    /// The 16 raw bytes, as embedded in ciphertext blobs and import tokens.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    pub(crate) fn from_bytes(bytes: [u8; 16]) -> Self {
        KeyId(Uuid::from_bytes(bytes))
    }
}

impl FromStr for KeyId {
    type Err = ValidationError;

    /// Accepts only the canonical form we hand out: 36 chars, lowercase hex, hyphenated.
    /// Upper case or braces would name the same UUID, but no cloud accepts them either.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let canonical = s.len() == 36
            && s.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            });
        if !canonical {
            return Err(ValidationError::MalformedKeyId);
        }
        Uuid::parse_str(s)
            .map(KeyId)
            .map_err(|_| ValidationError::MalformedKeyId)
    }
}

impl TryFrom<String> for KeyId {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> String {
        id.to_string()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// An isolation namespace for keys. Opaque to the core: each dialect decides what it is made of
/// (account + region, project id, app id + region) and keys never cross from one to another.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub const MAX_LEN: usize = 256;

    /// 1 to 256 characters, none of them control characters (stores use `\0` as a separator).
    pub fn new(name: impl Into<String>) -> Result<Self, ValidationError> {
        let name = name.into();
        if name.is_empty() || name.len() > Self::MAX_LEN || name.chars().any(char::is_control) {
            return Err(ValidationError::MalformedTenant);
        }
        Ok(TenantId(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantId {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TenantId::new(s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_round_trips_and_rejects_non_canonical_forms() {
        let id = KeyId::random();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text.parse::<KeyId>(), Ok(id));
        for bad in [
            "",
            "not-a-key",
            &text.to_uppercase(),
            &text.replace('-', ""),
            &format!("{{{text}}}"),
            &text[..35],
            "1234abcd-12ab-34cd-56ef-1234567890ag",
        ] {
            assert_eq!(
                bad.parse::<KeyId>(),
                Err(ValidationError::MalformedKeyId),
                "{bad}"
            );
        }
    }

    #[test]
    fn tenant_rejects_empty_long_and_control_characters() {
        assert!(TenantId::new("123456789012/us-east-1").is_ok());
        assert!(TenantId::new("").is_err());
        assert!(TenantId::new("a\0b").is_err());
        assert!(TenantId::new("x".repeat(257)).is_err());
        assert!(TenantId::new("x".repeat(256)).is_ok());
    }
}
