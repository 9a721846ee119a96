//! Aliases: per-tenant names that point at keys. The core treats a name as opaque (each
//! cloud has its own syntax, checked by its dialect); it only guarantees uniqueness within a
//! tenant and that a name points at one key at a time.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::authentic::{self, Legacy, Place};
use crate::error::{InternalError, KmsError, ValidationError};
use crate::ids::{KeyId, TenantId};
use crate::seal::Sealer;
use crate::time::Timestamp;

/// 1 to 256 characters without control characters (stores use `\0` as a separator).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AliasName(String);

impl AliasName {
    pub const MAX_LEN: usize = 256;

    pub fn new(name: impl Into<String>) -> Result<Self, ValidationError> {
        let name = name.into();
        if name.is_empty() || name.len() > Self::MAX_LEN || name.chars().any(char::is_control) {
            return Err(ValidationError::MalformedAlias);
        }
        Ok(AliasName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AliasName({:?})", self.0)
    }
}

/// An alias as listings show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasEntry {
    pub name: AliasName,
    pub target: KeyId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a store keeps under an alias name. Not secret, so not sealed; authenticated like
/// every stored value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AliasRecord {
    pub(crate) target: KeyId,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl AliasRecord {
    pub(crate) fn encode(
        &self,
        sealer: &Sealer,
        tenant: &TenantId,
        name: &AliasName,
    ) -> Result<Vec<u8>, KmsError> {
        let json = serde_json::to_vec(self)
            .map_err(|_| KmsError::Internal(InternalError::CorruptRecord("alias serialise")))?;
        authentic::wrap(sealer, Place::Alias(tenant, name), &json)
            .ok_or(KmsError::Internal(InternalError::Seal))
    }

    pub(crate) fn decode(
        bytes: &[u8],
        sealer: &Sealer,
        tenant: &TenantId,
        name: &AliasName,
    ) -> Result<Self, KmsError> {
        Self::decode_as(bytes, sealer, tenant, name, Legacy::Refused)
    }

    pub(crate) fn decode_as(
        bytes: &[u8],
        sealer: &Sealer,
        tenant: &TenantId,
        name: &AliasName,
        legacy: Legacy,
    ) -> Result<Self, KmsError> {
        let json = authentic::payload(sealer, Place::Alias(tenant, name), bytes, legacy)?;
        serde_json::from_slice(json)
            .map_err(|_| KmsError::Internal(InternalError::CorruptRecord("alias json")))
    }

    pub(crate) fn entry(self, name: AliasName) -> AliasEntry {
        AliasEntry {
            name,
            target: self.target,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_reject_empty_long_and_control_characters() {
        assert!(AliasName::new("alias/orders").is_ok());
        assert!(AliasName::new("").is_err());
        assert!(AliasName::new("a\0b").is_err());
        assert!(AliasName::new("x".repeat(257)).is_err());
    }
}
