//! Every way a core operation can fail, as data. Dialects map each variant to their own wire
//! code in one exhaustive `match`; adding a variant must break their build, so this enum is
//! deliberately not `#[non_exhaustive]`.

use std::fmt;

use crate::algorithm::{Algorithm, EncryptionAlgorithm, KeyUsage, MessageType, SigningAlgorithm};
use crate::alias::AliasName;
use crate::ids::KeyId;
use crate::lifecycle::KeyStateKind;
use crate::seal::MaterialId;
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
    /// Changing a description or tags, pointing an alias at the key, or changing or
    /// performing its rotation (which has no operation of its own yet: dialects match this
    /// enum exhaustively).
    ChangeAttributes,
    Sign,
    Verify,
    GenerateMac,
    VerifyMac,
    GetPublicKey,
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
            Operation::ChangeAttributes => "changing its description, tags, aliases or rotation",
            Operation::Sign => "sign",
            Operation::Verify => "verify",
            Operation::GenerateMac => "generate MAC",
            Operation::VerifyMac => "verify MAC",
            Operation::GetPublicKey => "get public key",
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

    #[error("key {key_id} has no key material pending rotation to rotate to")]
    NoPendingMaterial { key_id: KeyId },

    #[error(
        "new key material {new} cannot be imported into key {key_id}: material {pending} is pending rotation (one at a time)"
    )]
    AnotherMaterialPending {
        key_id: KeyId,
        new: MaterialId,
        pending: MaterialId,
    },

    #[error("key {key_id} has been rotated on demand {done} times, as often as allowed")]
    RotationLimit { key_id: KeyId, done: usize },

    #[error("key {key_id} does not rotate automatically")]
    RotationNotEnabled { key_id: KeyId },

    #[error("key {key_id} was rotated on demand too recently; the next rotation is allowed at {} (epoch seconds)", allowed_at.as_secs())]
    RotationTooSoon {
        key_id: KeyId,
        allowed_at: Timestamp,
    },

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

    /// An alias move the cloud's rule refuses ([`crate::Retarget::SameTypeAndUsage`]): the
    /// key it names and the new one differ in type or key usage.
    #[error(
        "alias {alias} names key {current}, which differs from key {target} in type (symmetric, asymmetric or HMAC) or key usage"
    )]
    AliasTargetMismatch {
        alias: AliasName,
        current: KeyId,
        target: KeyId,
    },

    #[error("a key can carry at most {limit} tags")]
    TooManyTags { limit: usize },

    #[error("{spec} keys cannot have key usage {usage}")]
    UsageNotAllowed { spec: KeySpec, usage: KeyUsage },

    /// The key exists but its usage is not for this operation (sign with an ENCRYPT_DECRYPT
    /// key, encrypt with a SIGN_VERIFY key, ...).
    #[error("key {key_id} has key usage {usage}, which does not allow {operation}")]
    WrongKeyUsage {
        key_id: KeyId,
        usage: KeyUsage,
        operation: Operation,
    },

    /// The key's usage fits the operation, but its spec does not offer this algorithm
    /// (RSAES_OAEP with an SM2 key, SYMMETRIC_DEFAULT with an RSA key, ECDSA_SHA_384 with a
    /// P-256 key).
    #[error("algorithm {algorithm} is not valid for key {key_id} ({spec})")]
    AlgorithmNotForKey {
        key_id: KeyId,
        spec: KeySpec,
        algorithm: Algorithm,
    },

    #[error("a {algorithm} digest is {expected} bytes; the message is {actual}")]
    DigestLength {
        algorithm: SigningAlgorithm,
        expected: usize,
        actual: usize,
    },

    #[error("{algorithm} does not take {kind} messages")]
    MessageTypeNotAllowed {
        algorithm: SigningAlgorithm,
        kind: MessageType,
    },

    #[error(
        "{algorithm} with a {spec} key encrypts at most {max} bytes; the plaintext is {actual}"
    )]
    PlaintextTooLong {
        algorithm: EncryptionAlgorithm,
        spec: KeySpec,
        max: usize,
        actual: usize,
    },

    #[error("the signature is not valid for this key, algorithm and message")]
    InvalidSignature,

    #[error("the MAC is not valid for this key, algorithm and message")]
    InvalidMac,

    #[error("the key material is not a {spec} key: {problem}")]
    MaterialNotForSpec {
        spec: KeySpec,
        problem: MaterialProblem,
    },

    /// This wrapping algorithm cannot carry material of this spec (RSA private keys travel
    /// only with RSA_AES_KEY_WRAP_*; SM2PKE carries SM2 keys only; OAEP material must fit the
    /// wrapping key's block).
    #[error("wrapping algorithm {algorithm} cannot carry {spec} key material")]
    WrappingNotForMaterial {
        algorithm: WrappingAlgorithm,
        spec: KeySpec,
    },

    #[error(transparent)]
    Validation(#[from] ValidationError),

    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// What is wrong with imported (or seeded) material for a key spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaterialProblem {
    /// Not a DER PKCS#8 private key (v1 or v2).
    NotPkcs8,
    /// A private key of another algorithm (an RSA key for an ECC spec, ...).
    WrongAlgorithm,
    /// An elliptic-curve key on another curve.
    WrongCurve,
    /// An RSA key of another modulus size.
    WrongModulus { bits: usize },
    /// HMAC key material outside the spec's lengths.
    Length {
        min: usize,
        max: usize,
        actual: usize,
    },
    /// Parses as the right kind of key, but is not a valid key (inconsistent components, a
    /// public key that does not match the private key, an exponent the service refuses).
    InvalidKey,
}

impl fmt::Display for MaterialProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaterialProblem::NotPkcs8 => f.write_str("it is not a DER PKCS#8 private key"),
            MaterialProblem::WrongAlgorithm => f.write_str("it is a key of another algorithm"),
            MaterialProblem::WrongCurve => f.write_str("it is a key on another curve"),
            MaterialProblem::WrongModulus { bits } => write!(f, "its modulus is {bits} bits"),
            MaterialProblem::Length { min, max, actual } => {
                write!(f, "it is {actual} bytes; {min} to {max} are allowed")
            }
            MaterialProblem::InvalidKey => f.write_str("it is not a valid key"),
        }
    }
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
    #[error("generating {0} key material failed")]
    MaterialGeneration(KeySpec),
    /// A signature or an encryption with key material that opened and parsed failed: the
    /// library refused, not the record (which [`InternalError::CorruptRecord`] is for).
    #[error("{0} failed with valid key material")]
    Crypto(&'static str),
    /// A background task's thread could not be started, or stopped half way.
    #[error("a background task failed: {0}")]
    Background(&'static str),
}

/// A verification's result as a yes or no, for clouds that answer an invalid signature or MAC
/// with `false` rather than an error (Huawei, Tencent); every other failure stays an error.
pub fn verdict(verification: Result<(), KmsError>) -> Result<bool, KmsError> {
    match verification {
        Ok(()) => Ok(true),
        Err(KmsError::InvalidSignature | KmsError::InvalidMac) => Ok(false),
        Err(e) => Err(e),
    }
}

impl From<crate::store::StoreError> for KmsError {
    fn from(e: crate::store::StoreError) -> Self {
        KmsError::Internal(InternalError::Storage(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_invalid_signature_or_mac_is_a_no() {
        assert!(matches!(verdict(Ok(())), Ok(true)));
        assert!(matches!(
            verdict(Err(KmsError::InvalidSignature)),
            Ok(false)
        ));
        assert!(matches!(verdict(Err(KmsError::InvalidMac)), Ok(false)));
        assert!(matches!(
            verdict(Err(KmsError::InvalidCiphertext)),
            Err(KmsError::InvalidCiphertext)
        ));
    }
}
