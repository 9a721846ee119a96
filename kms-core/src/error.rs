//! Every way a core operation can fail, as data. Dialects map each variant to their own wire
//! code in one exhaustive `match`; adding a variant must break their build, so this enum is
//! deliberately not `#[non_exhaustive]`.

use std::fmt;

use crate::alias::AliasName;
use crate::ids::KeyId;
use crate::lifecycle::KeyStateKind;
use crate::spec::KeySpec;
use crate::time::Timestamp;
use crate::wrapping::{WrappingAlgorithm, WrappingKeySpec};

/// What the key was asked to do when its state refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    Enable,
    Disable,
    ScheduleDeletion,
    CancelDeletion,
    GetParametersForImport,
    ImportKeyMaterial,
    DeleteImportedKeyMaterial,
    /// Encrypt, decrypt, re-encrypt, generate data key.
    Cryptography,
    /// Changing a description or tags, or pointing an alias at the key.
    ChangeAttributes,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Enable => "enable",
            Operation::Disable => "disable",
            Operation::ScheduleDeletion => "schedule deletion",
            Operation::CancelDeletion => "cancel deletion",
            Operation::GetParametersForImport => "get parameters for import",
            Operation::ImportKeyMaterial => "import key material",
            Operation::DeleteImportedKeyMaterial => "delete imported key material",
            Operation::Cryptography => "cryptographic use",
            Operation::ChangeAttributes => "changing its description, tags or aliases",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KmsError {
    #[error("key {key_id} does not exist")]
    KeyNotFound { key_id: KeyId },

    #[error("key {key_id} was not created for imported key material")]
    NotExternal { key_id: KeyId },

    #[error("key {key_id} is {state}; {operation} is not allowed in that state")]
    InvalidState {
        key_id: KeyId,
        state: KeyStateKind,
        operation: Operation,
    },

    #[error("key {key_id} is disabled")]
    Disabled { key_id: KeyId },

    #[error("the import token is malformed or was not issued by this service")]
    ImportTokenInvalid,

    #[error("the import token was issued for another key")]
    ImportTokenForeign,

    #[error("the import token expired at {} (epoch seconds)", expired_at.as_secs())]
    ImportTokenExpired { expired_at: Timestamp },

    #[error("the encrypted key material could not be unwrapped with {algorithm}")]
    UnwrapFailed { algorithm: WrappingAlgorithm },

    #[error("the key material is {actual} bytes; {spec} keys take exactly {expected}")]
    MaterialLength {
        spec: KeySpec,
        expected: usize,
        actual: usize,
    },

    #[error("the key material differs from the material previously imported into key {key_id}")]
    MaterialMismatch { key_id: KeyId },

    #[error("key {key_id} already had key material; only that material can be imported again")]
    MaterialAlreadySet { key_id: KeyId },

    #[error("key {key_id} has never had key material, so there is no existing material to import")]
    NoMaterialYet { key_id: KeyId },

    #[error("the named key material is not the material of key {key_id}")]
    UnknownMaterial { key_id: KeyId },

    #[error("the material expiry {} must be later than now ({})", expiry.as_secs(), now.as_secs())]
    InvalidExpiry { expiry: Timestamp, now: Timestamp },

    #[error("wrapping algorithm {algorithm} cannot be used with a {spec} wrapping key")]
    IncompatibleWrapping {
        algorithm: WrappingAlgorithm,
        spec: WrappingKeySpec,
    },

    #[error(
        "the ciphertext is invalid, was altered, belongs to another key, or its encryption context does not match"
    )]
    InvalidCiphertext,

    #[error("alias {alias} already exists")]
    AliasExists { alias: AliasName },

    #[error("alias {alias} does not exist")]
    AliasNotFound { alias: AliasName },

    #[error("a key can carry at most {limit} tags")]
    TooManyTags { limit: usize },

    #[error(transparent)]
    Validation(#[from] ValidationError),

    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A request value the core cannot accept. Dialects usually catch these first with their own
/// wording; the core checks again so that embedding it without a dialect is just as safe.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("key id must be a lowercase hyphenated UUID")]
    MalformedKeyId,
    #[error("tenant must be 1 to 256 characters without control characters")]
    MalformedTenant,
    #[error("deletion window of {days} days is outside {min}..={max}")]
    DeletionWindowOutOfRange { days: u32, min: u32, max: u32 },
    #[error("{requested} bytes requested; 1 to {max} are allowed")]
    ByteCountOutOfRange { requested: usize, max: usize },
    #[error("page size must be between 1 and {max}")]
    PageSizeOutOfRange { max: usize },
    #[error("import token must be 1 to {max} bytes")]
    ImportTokenSize { max: usize },
    #[error("encrypted key material must be 1 to {max} bytes")]
    EncryptedMaterialSize { max: usize },
    #[error("alias name must be 1 to 256 characters without control characters")]
    MalformedAlias,
    #[error("tag keys must be 1 to 128 characters, values at most 256, without control characters")]
    MalformedTag,
}

/// Failures that are the service's fault, never the caller's.
#[derive(Clone, Debug, thiserror::Error)]
pub enum InternalError {
    #[error("storage failed: {0}")]
    Storage(#[from] crate::store::StoreError),
    #[error("a stored key record could not be read: {0}")]
    CorruptRecord(&'static str),
    #[error("the system random number generator failed")]
    Randomness,
    #[error("generating a {0} wrapping key pair failed")]
    KeyGeneration(WrappingKeySpec),
    #[error("sealing or unsealing with the root key failed")]
    Seal,
}

impl From<crate::store::StoreError> for KmsError {
    fn from(e: crate::store::StoreError) -> Self {
        KmsError::Internal(InternalError::Storage(e))
    }
}
