//! AWS error codes, their HTTP statuses, and the one mapping from core errors to them.

use kms_core::{KeyFamily, KeySpec, KeyUsage, KmsError, MaterialProblem, ValidationError};

use crate::sigv4::AuthError;

/// Every `__type` this dialect answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    AlreadyExistsException,
    CustomKeyStoreNotFoundException,
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
    KmsInvalidMacException,
    KmsInvalidSignatureException,
    KmsInvalidStateException,
    LimitExceededException,
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
            ErrorCode::CustomKeyStoreNotFoundException => "CustomKeyStoreNotFoundException",
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
            ErrorCode::KmsInvalidMacException => "KMSInvalidMacException",
            ErrorCode::KmsInvalidSignatureException => "KMSInvalidSignatureException",
            ErrorCode::KmsInvalidStateException => "KMSInvalidStateException",
            ErrorCode::LimitExceededException => "LimitExceededException",
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
            | ErrorCode::CustomKeyStoreNotFoundException
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
            | ErrorCode::KmsInvalidMacException
            | ErrorCode::KmsInvalidSignatureException
            | ErrorCode::KmsInvalidStateException
            | ErrorCode::LimitExceededException
            | ErrorCode::NotFoundException
            | ErrorCode::TagException
            | ErrorCode::UnknownOperationException
            | ErrorCode::UnrecognizedClientException
            | ErrorCode::UnsupportedOperationException
            | ErrorCode::ValidationException => 400,
        }
    }
}

/// What CreateKey and GenerateRandom answer a `CustomKeyStoreId`: kmsgate has no custom key
/// stores, so none is found (AWS's words for an id it does not know).
pub(crate) fn no_custom_key_store() -> AwsError {
    AwsError::new(
        ErrorCode::CustomKeyStoreNotFoundException,
        "The request was rejected because KMS cannot find a custom key store with the specified key store name or ID. (kmsgate emulates no custom key stores.)",
    )
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

/// A spec as AWS names it: both symmetric ciphers are SYMMETRIC_DEFAULT on the wire.
pub(crate) fn spec_name(spec: KeySpec) -> String {
    match spec.family() {
        KeyFamily::Symmetric => "SYMMETRIC_DEFAULT".to_owned(),
        _ => spec.to_string(),
    }
}

/// AWS's recorded wording: "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048".
pub(crate) fn usage_not_compatible(usage: &str, spec: KeySpec) -> AwsError {
    AwsError::new(
        ErrorCode::ValidationException,
        format!(
            "KeyUsage {usage} is not compatible with KeySpec {}",
            spec_name(spec)
        ),
    )
}

/// AWS's recorded wording: "<key ARN> key usage is SIGN_VERIFY which is not valid for Encrypt."
pub(crate) fn wrong_key_usage(arn: &str, usage: KeyUsage, operation: &str) -> AwsError {
    AwsError::new(
        ErrorCode::InvalidKeyUsageException,
        format!("{arn} key usage is {usage} which is not valid for {operation}."),
    )
}

/// AWS's recorded wording: "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_4096."
pub(crate) fn incompatible_algorithm(algorithm: &str, spec: &str) -> AwsError {
    AwsError::new(
        ErrorCode::InvalidKeyUsageException,
        format!("Algorithm {algorithm} is incompatible with key spec {spec}."),
    )
}

fn material_problem(spec: KeySpec, problem: &MaterialProblem) -> String {
    let spec = spec_name(spec);
    match problem {
        MaterialProblem::NotPkcs8 => {
            "The key material is not a DER-encoded PKCS #8 private key.".to_owned()
        }
        MaterialProblem::WrongAlgorithm => {
            format!("The key material is a private key of another algorithm than {spec}.")
        }
        MaterialProblem::WrongCurve => {
            format!("The key material is a private key on another curve than {spec}.")
        }
        MaterialProblem::WrongModulus { bits } => {
            format!("The key material is a {bits}-bit RSA private key, not {spec}.")
        }
        MaterialProblem::Length { min, max, actual } => format!(
            "Key material is {actual} bytes long; {spec} key material must be {min} to {max} bytes."
        ),
        MaterialProblem::InvalidKey => {
            format!("The key material is not a valid {spec} private key.")
        }
    }
}

/// The one mapping from core errors to AWS errors (without the operation's name, for the few
/// places that have none).
pub fn from_core(err: &KmsError, names: &dyn KeyNamer) -> AwsError {
    from_core_during(err, names, "this operation")
}

/// The one mapping from core errors to AWS errors; no wildcard arm, so a new core error
/// cannot compile until it is given its AWS code here. `operation` is the AWS operation being
/// answered (AWS names it in key usage refusals).
pub fn from_core_during(err: &KmsError, names: &dyn KeyNamer, operation: &str) -> AwsError {
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
        // NEW material a key cannot take (asymmetric and HMAC keys; material it already has).
        KmsError::MaterialAlreadySet { key_id } => e(
            C::UnsupportedOperationException,
            format!(
                "{} cannot take NEW_KEY_MATERIAL: asymmetric and HMAC KMS keys keep their first key material, and key material the key already has cannot be imported as new.",
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
        // As recorded against AWS (LocalStack's snapshot
        // test_import_key_material_raises_if_there_is_already_key_material_pending): AWS
        // names the key by its id here, not its ARN.
        KmsError::AnotherMaterialPending {
            key_id,
            new,
            pending,
        } => e(
            C::KmsInvalidStateException,
            format!(
                "New key material (id: {new}) cannot be imported into KMS key {key_id}, because another key material (id: {pending}) is pending rotation."
            ),
        ),
        // As recorded against AWS (LocalStack's snapshot
        // test_rotate_key_on_demand_raises_for_no_pending_key_material).
        KmsError::NoPendingMaterial { key_id } => e(
            C::KmsInvalidStateException,
            format!(
                "No available key material pending rotation for the key: {}.",
                names.key_arn(key_id)
            ),
        ),
        // No AWS operation requires automatic rotation to be on (the dialect never asks);
        // were one to, a request this key's configuration does not support.
        KmsError::RotationNotEnabled { key_id } => e(
            C::UnsupportedOperationException,
            format!(
                "Automatic key rotation is not enabled for {}.",
                names.key_arn(key_id)
            ),
        ),
        // AWS sets no interval between rotations on demand (the dialect asks for none), only
        // their number: were one set, its LimitExceededException.
        KmsError::RotationTooSoon { key_id, .. } => e(
            C::LimitExceededException,
            format!(
                "{} was rotated on demand too recently.",
                names.key_arn(key_id)
            ),
        ),
        // As recorded against AWS (LocalStack's snapshot test_key_rotations_limits).
        KmsError::RotationLimit { key_id, .. } => e(
            C::LimitExceededException,
            format!(
                "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
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
        // The model lists no code of its own for UpdateAlias's same-type rule; the request's
        // TargetKeyId is what is wrong (inferred, as other emulators answer).
        KmsError::AliasTargetMismatch {
            alias,
            current,
            target,
        } => e(
            C::ValidationException,
            format!(
                "{} cannot be updated to {}: the current and new KMS key must be the same type (both symmetric or both asymmetric or both HMAC) and have the same key usage; it targets {}.",
                names.alias_arn(alias),
                names.key_arn(target),
                names.key_arn(current)
            ),
        ),
        // AWS's recorded wording names no limit.
        KmsError::TooManyTags { .. } => e(C::TagException, "Too many tags".into()),
        // AWS: "You must specify a KeyUsage value..." for a missing one (answered by the
        // dialect); this recorded wording for one the spec does not take.
        KmsError::UsageNotAllowed { spec, usage } => {
            usage_not_compatible(&usage.to_string(), *spec)
        }
        // GetPublicKey of a key without a public half is "not valid for this resource"
        // (UnsupportedOperationException, as GetPublicKey's error list has it).
        KmsError::WrongKeyUsage {
            key_id,
            operation: kms_core::Operation::GetPublicKey,
            ..
        } => e(
            C::UnsupportedOperationException,
            format!(
                "{} is not an asymmetric KMS key; GetPublicKey is valid only for asymmetric KMS keys.",
                names.key_arn(key_id)
            ),
        ),
        KmsError::WrongKeyUsage { key_id, usage, .. } => {
            wrong_key_usage(&names.key_arn(key_id), *usage, operation)
        }
        KmsError::AlgorithmNotForKey {
            spec, algorithm, ..
        } => incompatible_algorithm(&algorithm.to_string(), &spec_name(*spec)),
        KmsError::DigestLength { algorithm, .. } => e(
            C::ValidationException,
            format!("Digest is invalid length for algorithm {algorithm}."),
        ),
        // The developer guide: ED25519_SHA_512 "requires MessageType:RAW"; wording ours.
        KmsError::MessageTypeNotAllowed { algorithm, kind } => e(
            C::ValidationException,
            format!("MessageType {kind} is not valid for signing algorithm {algorithm}."),
        ),
        // AWS's recorded wording.
        KmsError::PlaintextTooLong {
            algorithm,
            spec,
            max,
            ..
        } => e(
            C::ValidationException,
            format!(
                "Algorithm {algorithm} and key spec {} cannot encrypt data larger than {max} bytes.",
                spec_name(*spec)
            ),
        ),
        // AWS answers both with an empty message.
        KmsError::InvalidSignature => e(C::KmsInvalidSignatureException, String::new()),
        KmsError::InvalidMac => e(C::KmsInvalidMacException, String::new()),
        KmsError::MaterialNotForSpec { spec, problem } => e(
            C::IncorrectKeyMaterialException,
            material_problem(*spec, problem),
        ),
        // AWS documents the rule (GetParametersForImport's WrappingAlgorithm) but not the
        // refusal; a request parameter that cannot work is a ValidationException here.
        KmsError::WrappingNotForMaterial { algorithm, spec } => e(
            C::ValidationException,
            match spec.family() {
                KeyFamily::Rsa => format!(
                    "WrappingAlgorithm {algorithm} cannot wrap {} key material: RSA private keys are imported with RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.",
                    spec_name(*spec)
                ),
                _ => format!(
                    "WrappingAlgorithm {algorithm} with this wrapping key spec cannot wrap {} key material; use an RSA_AES_KEY_WRAP_* algorithm or a longer wrapping key.",
                    spec_name(*spec)
                ),
            },
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
                KmsError::NoPendingMaterial { key_id: id },
                "KMSInvalidStateException",
                400,
            ),
            (
                KmsError::AnotherMaterialPending {
                    key_id: id,
                    new: "a".repeat(64).parse().unwrap(),
                    pending: "b".repeat(64).parse().unwrap(),
                },
                "KMSInvalidStateException",
                400,
            ),
            (
                KmsError::RotationNotEnabled { key_id: id },
                "UnsupportedOperationException",
                400,
            ),
            (
                KmsError::RotationTooSoon {
                    key_id: id,
                    allowed_at: t,
                },
                "LimitExceededException",
                400,
            ),
            (
                KmsError::RotationLimit {
                    key_id: id,
                    done: 25,
                },
                "LimitExceededException",
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
            (
                KmsError::AliasTargetMismatch {
                    alias: AliasName::new("alias/a").unwrap(),
                    current: id,
                    target: id,
                },
                "ValidationException",
                400,
            ),
            (KmsError::TooManyTags { limit: 50 }, "TagException", 400),
            (
                KmsError::UsageNotAllowed {
                    spec: KeySpec::Hmac256,
                    usage: KeyUsage::SignVerify,
                },
                "ValidationException",
                400,
            ),
            (
                KmsError::WrongKeyUsage {
                    key_id: id,
                    usage: KeyUsage::SignVerify,
                    operation: Operation::Cryptography,
                },
                "InvalidKeyUsageException",
                400,
            ),
            (
                KmsError::WrongKeyUsage {
                    key_id: id,
                    usage: KeyUsage::EncryptDecrypt,
                    operation: Operation::GetPublicKey,
                },
                "UnsupportedOperationException",
                400,
            ),
            (
                KmsError::AlgorithmNotForKey {
                    key_id: id,
                    spec: KeySpec::EccNistP256,
                    algorithm: Algorithm::Signing(SigningAlgorithm::EcdsaSha384),
                },
                "InvalidKeyUsageException",
                400,
            ),
            (
                KmsError::DigestLength {
                    algorithm: SigningAlgorithm::EcdsaSha256,
                    expected: 32,
                    actual: 5,
                },
                "ValidationException",
                400,
            ),
            (
                KmsError::MessageTypeNotAllowed {
                    algorithm: SigningAlgorithm::Ed25519Sha512,
                    kind: MessageType::Digest,
                },
                "ValidationException",
                400,
            ),
            (
                KmsError::PlaintextTooLong {
                    algorithm: EncryptionAlgorithm::RsaesOaepSha256,
                    spec: KeySpec::Rsa2048,
                    max: 190,
                    actual: 191,
                },
                "ValidationException",
                400,
            ),
            (
                KmsError::InvalidSignature,
                "KMSInvalidSignatureException",
                400,
            ),
            (KmsError::InvalidMac, "KMSInvalidMacException", 400),
            (
                KmsError::MaterialNotForSpec {
                    spec: KeySpec::EccNistP256,
                    problem: MaterialProblem::WrongCurve,
                },
                "IncorrectKeyMaterialException",
                400,
            ),
            (
                KmsError::WrappingNotForMaterial {
                    algorithm: WrappingAlgorithm::RsaesOaepSha256,
                    spec: KeySpec::Rsa2048,
                },
                "ValidationException",
                400,
            ),
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
        // AWS's recorded wordings.
        let during = |err: KmsError, op: &str| from_core_during(&err, &Arns, op).message;
        assert_eq!(
            during(
                KmsError::WrongKeyUsage {
                    key_id: id,
                    usage: KeyUsage::SignVerify,
                    operation: Operation::Cryptography,
                },
                "Encrypt"
            ),
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab key usage is SIGN_VERIFY which is not valid for Encrypt."
        );
        assert_eq!(
            during(
                KmsError::AlgorithmNotForKey {
                    key_id: id,
                    spec: KeySpec::Aes256,
                    algorithm: Algorithm::Encryption(EncryptionAlgorithm::RsaesOaepSha1),
                },
                "Encrypt"
            ),
            "Algorithm RSAES_OAEP_SHA_1 is incompatible with key spec SYMMETRIC_DEFAULT."
        );
        assert_eq!(
            during(
                KmsError::PlaintextTooLong {
                    algorithm: EncryptionAlgorithm::RsaesOaepSha256,
                    spec: KeySpec::Rsa2048,
                    max: 190,
                    actual: 191,
                },
                "Encrypt"
            ),
            "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes."
        );
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
