//! AWS error codes, their HTTP statuses, and the one mapping from core errors to them.

use kms_core::{KmsError, ValidationError};

use crate::sigv4::AuthError;

/// Every `__type` this dialect answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    AlreadyExistsException,
    DependencyTimeoutException,
    DisabledException,
    DryRunOperationException,
    ExpiredImportTokenException,
    IncompleteSignatureException,
    IncorrectKeyException,
    IncorrectKeyMaterialException,
    InvalidAliasNameException,
    InvalidArnException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    InvalidKeyUsageException,
    InvalidMarkerException,
    InvalidSignatureException,
    KmsInternalException,
    KmsInvalidStateException,
    MissingAuthenticationTokenException,
    NotFoundException,
    TagException,
    UnknownOperationException,
    UnrecognizedClientException,
    UnsupportedOperationException,
    ValidationException,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AlreadyExistsException => "AlreadyExistsException",
            ErrorCode::DependencyTimeoutException => "DependencyTimeoutException",
            ErrorCode::DisabledException => "DisabledException",
            ErrorCode::DryRunOperationException => "DryRunOperationException",
            ErrorCode::ExpiredImportTokenException => "ExpiredImportTokenException",
            ErrorCode::IncompleteSignatureException => "IncompleteSignatureException",
            ErrorCode::IncorrectKeyException => "IncorrectKeyException",
            ErrorCode::IncorrectKeyMaterialException => "IncorrectKeyMaterialException",
            ErrorCode::InvalidAliasNameException => "InvalidAliasNameException",
            ErrorCode::InvalidArnException => "InvalidArnException",
            ErrorCode::InvalidCiphertextException => "InvalidCiphertextException",
            ErrorCode::InvalidImportTokenException => "InvalidImportTokenException",
            ErrorCode::InvalidKeyUsageException => "InvalidKeyUsageException",
            ErrorCode::InvalidMarkerException => "InvalidMarkerException",
            ErrorCode::InvalidSignatureException => "InvalidSignatureException",
            ErrorCode::KmsInternalException => "KMSInternalException",
            ErrorCode::KmsInvalidStateException => "KMSInvalidStateException",
            ErrorCode::MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            ErrorCode::NotFoundException => "NotFoundException",
            ErrorCode::TagException => "TagException",
            ErrorCode::UnknownOperationException => "UnknownOperationException",
            ErrorCode::UnrecognizedClientException => "UnrecognizedClientException",
            ErrorCode::UnsupportedOperationException => "UnsupportedOperationException",
            ErrorCode::ValidationException => "ValidationException",
        }
    }

    /// botocore's model marks KMSInternalException (500) and DependencyTimeoutException (503)
    /// as server faults; every other code is a 400, except the missing-token one (403).
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::KmsInternalException => 500,
            ErrorCode::DependencyTimeoutException => 503,
            ErrorCode::MissingAuthenticationTokenException => 403,
            ErrorCode::AlreadyExistsException
            | ErrorCode::DisabledException
            | ErrorCode::DryRunOperationException
            | ErrorCode::ExpiredImportTokenException
            | ErrorCode::IncompleteSignatureException
            | ErrorCode::IncorrectKeyException
            | ErrorCode::IncorrectKeyMaterialException
            | ErrorCode::InvalidAliasNameException
            | ErrorCode::InvalidArnException
            | ErrorCode::InvalidCiphertextException
            | ErrorCode::InvalidImportTokenException
            | ErrorCode::InvalidKeyUsageException
            | ErrorCode::InvalidMarkerException
            | ErrorCode::InvalidSignatureException
            | ErrorCode::KmsInvalidStateException
            | ErrorCode::NotFoundException
            | ErrorCode::TagException
            | ErrorCode::UnknownOperationException
            | ErrorCode::UnrecognizedClientException
            | ErrorCode::UnsupportedOperationException
            | ErrorCode::ValidationException => 400,
        }
    }
}

/// An error as the wire carries it: `{"__type": code, "message": message}` with `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    pub code: ErrorCode,
    pub message: String,
}

impl AwsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AwsError {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

/// How a key is named in messages: AWS quotes the key ARN.
pub trait KeyNamer {
    fn key_arn(&self, key_id: &kms_core::KeyId) -> String;
    fn alias_arn(&self, alias: &kms_core::AliasName) -> String;
}

/// The one mapping from core errors to AWS errors; no wildcard arm, so a new core error
/// cannot compile until it is given its AWS code here.
pub fn from_core(err: &KmsError, names: &dyn KeyNamer) -> AwsError {
    use ErrorCode as C;
    let e = |code, message: String| AwsError::new(code, message);
    match err {
        KmsError::KeyNotFound { key_id } => e(
            C::NotFoundException,
            format!("Key '{}' does not exist", names.key_arn(key_id)),
        ),
        KmsError::NotExternal { key_id } => e(
            C::UnsupportedOperationException,
            format!(
                "{} origin is AWS_KMS which is not valid for this operation.",
                names.key_arn(key_id)
            ),
        ),
        KmsError::InvalidState { key_id, state, .. } => e(
            C::KmsInvalidStateException,
            format!("{} is {}", names.key_arn(key_id), aws_state(*state)),
        ),
        KmsError::Disabled { key_id } => e(
            C::DisabledException,
            format!("{} is disabled.", names.key_arn(key_id)),
        ),
        KmsError::ImportTokenInvalid => e(
            C::InvalidImportTokenException,
            "Import token is invalid.".into(),
        ),
        KmsError::ImportTokenForeign => e(
            C::InvalidImportTokenException,
            "Import token is invalid for the specified key.".into(),
        ),
        KmsError::ImportTokenExpired { .. } => e(
            C::ExpiredImportTokenException,
            "Import token has expired.".into(),
        ),
        // AWS reports material it cannot unwrap as a ciphertext problem.
        KmsError::UnwrapFailed { .. } => e(
            C::InvalidCiphertextException,
            "The encrypted key material could not be decrypted with the import parameters.".into(),
        ),
        KmsError::MaterialLength {
            expected, actual, ..
        } => e(
            C::IncorrectKeyMaterialException,
            format!("Key material is {actual} bytes long; expected {expected} bytes."),
        ),
        KmsError::MaterialMismatch { .. } => e(
            C::IncorrectKeyMaterialException,
            "The key material does not match the key material previously imported into this key."
                .into(),
        ),
        // AWS would start an on-demand rotation here; kmsgate does not emulate rotations.
        KmsError::MaterialAlreadySet { key_id } => e(
            C::UnsupportedOperationException,
            format!(
                "{} already has key material; importing NEW_KEY_MATERIAL (rotation on demand) is not supported by kmsgate.",
                names.key_arn(key_id)
            ),
        ),
        KmsError::NoMaterialYet { key_id } => e(
            C::ValidationException,
            format!(
                "ImportType EXISTING_KEY_MATERIAL requires key material previously imported into {}.",
                names.key_arn(key_id)
            ),
        ),
        KmsError::UnknownMaterial { key_id } => e(
            C::NotFoundException,
            format!(
                "The key material ID does not name the key material of {}.",
                names.key_arn(key_id)
            ),
        ),
        KmsError::InvalidExpiry { .. } => e(
            C::ValidationException,
            "ValidTo must be a point in time in the future.".into(),
        ),
        KmsError::IncompatibleWrapping { algorithm, spec } => e(
            C::ValidationException,
            format!("WrappingAlgorithm {algorithm} is not supported with WrappingKeySpec {spec}."),
        ),
        KmsError::InvalidCiphertext => e(C::InvalidCiphertextException, String::new()),
        KmsError::AliasExists { alias } => e(
            C::AlreadyExistsException,
            format!(
                "An alias with the name {} already exists",
                names.alias_arn(alias)
            ),
        ),
        KmsError::AliasNotFound { alias } => e(
            C::NotFoundException,
            format!("Alias {} is not found.", names.alias_arn(alias)),
        ),
        KmsError::TooManyTags { limit } => e(
            C::TagException,
            format!("A KMS key can have at most {limit} tags."),
        ),
        // Asymmetric and HMAC keys (#16): the closest existing codes until the dialect maps
        // them as AWS does.
        KmsError::UsageNotAllowed { spec, usage } => e(
            C::ValidationException,
            format!("KeyUsage {usage} is not compatible with KeySpec {spec}."),
        ),
        KmsError::WrongKeyUsage { key_id, usage, .. } => e(
            C::InvalidKeyUsageException,
            format!(
                "{} key usage is {usage} which is not valid for this operation.",
                names.key_arn(key_id)
            ),
        ),
        KmsError::AlgorithmNotForKey {
            key_id, algorithm, ..
        } => e(
            C::InvalidKeyUsageException,
            format!(
                "Algorithm {algorithm} is not compatible with key {}.",
                names.key_arn(key_id)
            ),
        ),
        KmsError::DigestLength {
            algorithm,
            expected,
            actual,
        } => e(
            C::ValidationException,
            format!("Digest is {actual} bytes; {algorithm} takes {expected}."),
        ),
        KmsError::MessageTypeNotAllowed { algorithm, kind } => e(
            C::ValidationException,
            format!("MessageType {kind} is not supported with {algorithm}."),
        ),
        KmsError::PlaintextTooLong { max, actual, .. } => e(
            C::ValidationException,
            format!("Plaintext is {actual} bytes; at most {max} are allowed."),
        ),
        KmsError::InvalidSignature => e(C::InvalidSignatureException, String::new()),
        KmsError::InvalidMac => e(C::InvalidSignatureException, String::new()),
        KmsError::MaterialNotForSpec { spec, problem } => e(
            C::IncorrectKeyMaterialException,
            format!("The key material is not valid for {spec}: {problem}."),
        ),
        KmsError::WrappingNotForMaterial { algorithm, spec } => e(
            C::ValidationException,
            format!("WrappingAlgorithm {algorithm} cannot be used with KeySpec {spec}."),
        ),
        KmsError::Validation(v) => from_validation(v),
        KmsError::Internal(_) => e(C::KmsInternalException, "Internal error.".into()),
    }
}

fn aws_state(state: kms_core::KeyStateKind) -> &'static str {
    match state {
        kms_core::KeyStateKind::Enabled => "enabled.",
        kms_core::KeyStateKind::Disabled => "disabled.",
        kms_core::KeyStateKind::PendingImport => "pending import.",
        kms_core::KeyStateKind::PendingDeletion => "pending deletion.",
    }
}

fn from_validation(v: &ValidationError) -> AwsError {
    let code = match v {
        ValidationError::MalformedAlias => ErrorCode::InvalidAliasNameException,
        ValidationError::MalformedTag => ErrorCode::TagException,
        ValidationError::MalformedKeyId
        | ValidationError::MalformedTenant
        | ValidationError::DeletionWindowOutOfRange { .. }
        | ValidationError::ByteCountOutOfRange { .. }
        | ValidationError::PageSizeOutOfRange { .. }
        | ValidationError::ImportTokenSize { .. }
        | ValidationError::EncryptedMaterialSize { .. } => ErrorCode::ValidationException,
    };
    AwsError::new(code, validation_message(v))
}

fn validation_message(v: &ValidationError) -> String {
    match v {
        ValidationError::MalformedAlias => "Alias must begin with 'alias/' and contain only alphanumeric characters, forward slashes (/), underscores (_), and dashes (-).".into(),
        ValidationError::MalformedTag => "Tag keys must be 1 to 128 characters and tag values at most 256.".into(),
        ValidationError::MalformedKeyId => "Invalid keyId".into(),
        ValidationError::MalformedTenant => "Invalid account or region".into(),
        ValidationError::DeletionWindowOutOfRange { days, min, max } => format!(
            "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between {min} and {max}"
        ),
        ValidationError::ByteCountOutOfRange { requested, max } => format!(
            "1 validation error detected: Value '{requested}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and {max}"
        ),
        ValidationError::PageSizeOutOfRange { max } => format!(
            "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and {max}"
        ),
        ValidationError::ImportTokenSize { max } => format!(
            "1 validation error detected: Value at 'importToken' failed to satisfy constraint: Member must have length between 1 and {max}"
        ),
        ValidationError::EncryptedMaterialSize { max } => format!(
            "1 validation error detected: Value at 'encryptedKeyMaterial' failed to satisfy constraint: Member must have length between 1 and {max}"
        ),
    }
}

/// Authentication failures, as AWS names them.
pub fn from_auth(err: &AuthError) -> AwsError {
    let code = match err {
        AuthError::Missing => ErrorCode::MissingAuthenticationTokenException,
        AuthError::Incomplete(_) => ErrorCode::IncompleteSignatureException,
        AuthError::SignatureMismatch | AuthError::Expired => ErrorCode::InvalidSignatureException,
        AuthError::UnknownAccessKey => ErrorCode::UnrecognizedClientException,
    };
    AwsError::new(code, err.to_string())
}

#[cfg(test)]
mod tests {
    use kms_core::*;

    use super::*;

    struct Arns;
    impl KeyNamer for Arns {
        fn key_arn(&self, key_id: &KeyId) -> String {
            format!("arn:aws:kms:us-east-1:111122223333:key/{key_id}")
        }
        fn alias_arn(&self, alias: &AliasName) -> String {
            format!("arn:aws:kms:us-east-1:111122223333:{alias}")
        }
    }

    /// One row per core error variant: the AWS code and status it must produce.
    #[test]
    fn every_core_error_has_its_aws_code_and_status() {
        let id: KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab".parse().unwrap();
        let t = Timestamp::from_secs(1);
        let store_error = kms_core::StoreError::new("test", std::io::Error::other("disk"));
        let table: Vec<(KmsError, &str, u16)> = vec![
            (
                KmsError::KeyNotFound { key_id: id },
                "NotFoundException",
                400,
            ),
            (
                KmsError::NotExternal { key_id: id },
                "UnsupportedOperationException",
                400,
            ),
            (
                KmsError::InvalidState {
                    key_id: id,
                    state: KeyStateKind::PendingImport,
                    operation: Operation::Cryptography,
                },
                "KMSInvalidStateException",
                400,
            ),
            (KmsError::Disabled { key_id: id }, "DisabledException", 400),
            (
                KmsError::ImportTokenInvalid,
                "InvalidImportTokenException",
                400,
            ),
            (
                KmsError::ImportTokenForeign,
                "InvalidImportTokenException",
                400,
            ),
            (
                KmsError::ImportTokenExpired { expired_at: t },
                "ExpiredImportTokenException",
                400,
            ),
            (
                KmsError::UnwrapFailed {
                    algorithm: WrappingAlgorithm::RsaesOaepSha256,
                },
                "InvalidCiphertextException",
                400,
            ),
            (
                KmsError::MaterialLength {
                    spec: KeySpec::Aes256,
                    expected: 32,
                    actual: 31,
                },
                "IncorrectKeyMaterialException",
                400,
            ),
            (
                KmsError::MaterialMismatch { key_id: id },
                "IncorrectKeyMaterialException",
                400,
            ),
            (
                KmsError::MaterialAlreadySet { key_id: id },
                "UnsupportedOperationException",
                400,
            ),
            (
                KmsError::NoMaterialYet { key_id: id },
                "ValidationException",
                400,
            ),
            (
                KmsError::UnknownMaterial { key_id: id },
                "NotFoundException",
                400,
            ),
            (
                KmsError::InvalidExpiry { expiry: t, now: t },
                "ValidationException",
                400,
            ),
            (
                KmsError::IncompatibleWrapping {
                    algorithm: WrappingAlgorithm::Sm2Pke,
                    spec: WrappingKeySpec::Rsa2048,
                },
                "ValidationException",
                400,
            ),
            (
                KmsError::InvalidCiphertext,
                "InvalidCiphertextException",
                400,
            ),
            (
                KmsError::Validation(ValidationError::MalformedKeyId),
                "ValidationException",
                400,
            ),
            (
                KmsError::AliasExists {
                    alias: AliasName::new("alias/a").unwrap(),
                },
                "AlreadyExistsException",
                400,
            ),
            (
                KmsError::AliasNotFound {
                    alias: AliasName::new("alias/a").unwrap(),
                },
                "NotFoundException",
                400,
            ),
            (KmsError::TooManyTags { limit: 50 }, "TagException", 400),
            (
                KmsError::Validation(ValidationError::MalformedAlias),
                "InvalidAliasNameException",
                400,
            ),
            (
                KmsError::Validation(ValidationError::MalformedTag),
                "TagException",
                400,
            ),
            (
                KmsError::Internal(InternalError::Randomness),
                "KMSInternalException",
                500,
            ),
            (
                KmsError::Internal(InternalError::Storage(store_error)),
                "KMSInternalException",
                500,
            ),
        ];
        for (err, code, status) in table {
            let aws = from_core(&err, &Arns);
            assert_eq!((aws.code.as_str(), aws.status()), (code, status), "{err}");
        }
        let msg = from_core(&KmsError::KeyNotFound { key_id: id }, &Arns).message;
        assert_eq!(
            msg,
            "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"
        );
    }

    #[test]
    fn auth_errors_have_their_aws_codes() {
        for (err, code, status) in [
            (
                AuthError::Missing,
                "MissingAuthenticationTokenException",
                403,
            ),
            (
                AuthError::Incomplete("x"),
                "IncompleteSignatureException",
                400,
            ),
            (
                AuthError::SignatureMismatch,
                "InvalidSignatureException",
                400,
            ),
            (AuthError::Expired, "InvalidSignatureException", 400),
            (
                AuthError::UnknownAccessKey,
                "UnrecognizedClientException",
                400,
            ),
        ] {
            let aws = from_auth(&err);
            assert_eq!((aws.code.as_str(), aws.status()), (code, status));
        }
    }
}
