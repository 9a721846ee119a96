//! Tencent error codes and the one mapping from core errors to them.
//!
//! Tencent answers every error with HTTP 200 and `{"Response": {"Error": {"Code", "Message"},
//! "RequestId"}}`, so a code is all a client sees; there is no status to choose.
//!
//! Where a code is not stated by Tencent for a situation (seed 003 lists ImportKeyMaterial's
//! codes; the reference lists every KMS and platform code with its meaning), the rule is: a
//! dedicated KMS code when one names the situation, otherwise the generic code from
//! ImportKeyMaterial's documented list (`InvalidParameter`), otherwise the platform code.

use kms_core::{KeyStateKind, KmsError, Operation, ValidationError};

use crate::tc3::AuthError;

macro_rules! codes {
    ($($name:ident => $wire:literal),+ $(,)?) => {
        /// Every `Error.Code` this dialect answers with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($name),+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $wire),+
                }
            }
        }
    };
}

codes! {
    AuthFailureInvalidAuthorization => "AuthFailure.InvalidAuthorization",
    AuthFailureSecretIdNotFound => "AuthFailure.SecretIdNotFound",
    AuthFailureSignatureExpire => "AuthFailure.SignatureExpire",
    AuthFailureSignatureFailure => "AuthFailure.SignatureFailure",
    FailedOperationDecryptError => "FailedOperation.DecryptError",
    InternalError => "InternalError",
    InvalidAction => "InvalidAction",
    InvalidParameter => "InvalidParameter",
    InvalidParameterDecryptMaterialError => "InvalidParameter.DecryptMaterialError",
    InvalidParameterInvalidPendingWindowInDays => "InvalidParameter.InvalidPendingWindowInDays",
    InvalidParameterValue => "InvalidParameterValue",
    InvalidParameterValueAliasAlreadyExists => "InvalidParameterValue.AliasAlreadyExists",
    InvalidParameterValueDuplicatedKeyId => "InvalidParameterValue.DuplicatedKeyId",
    InvalidParameterValueInvalidAlias => "InvalidParameterValue.InvalidAlias",
    InvalidParameterValueInvalidCiphertext => "InvalidParameterValue.InvalidCiphertext",
    InvalidParameterValueInvalidHsmClusterId => "InvalidParameterValue.InvalidHsmClusterId",
    InvalidParameterValueInvalidImportKeyMaterial => "InvalidParameterValue.InvalidImportKeyMaterial",
    InvalidParameterValueInvalidKeyId => "InvalidParameterValue.InvalidKeyId",
    InvalidParameterValueInvalidKeyUsage => "InvalidParameterValue.InvalidKeyUsage",
    InvalidParameterValueInvalidPlaintext => "InvalidParameterValue.InvalidPlaintext",
    InvalidParameterValueInvalidType => "InvalidParameterValue.InvalidType",
    InvalidParameterValueMaterialNotMatch => "InvalidParameterValue.MaterialNotMatch",
    InvalidParameterValueTagKeysDuplicated => "InvalidParameterValue.TagKeysDuplicated",
    LimitExceeded => "LimitExceeded",
    MissingParameter => "MissingParameter",
    NoSuchVersion => "NoSuchVersion",
    RequestLimitExceeded => "RequestLimitExceeded",
    RequestLimitExceededRotateRateLimited => "RequestLimitExceeded.RotateRateLimited",
    RequestSizeLimitExceeded => "RequestSizeLimitExceeded",
    ResourceNotFound => "ResourceNotFound",
    ResourceUnavailableCmkDisabled => "ResourceUnavailable.CmkDisabled",
    ResourceUnavailableCmkNotFound => "ResourceUnavailable.CmkNotFound",
    ResourceUnavailableCmkNotPendingDelete => "ResourceUnavailable.CmkNotPendingDelete",
    ResourceUnavailableCmkShouldBeDisabled => "ResourceUnavailable.CmkShouldBeDisabled",
    ResourceUnavailableCmkStateNotSupport => "ResourceUnavailable.CmkStateNotSupport",
    ResourceUnavailableTokenExpired => "ResourceUnavailable.TokenExpired",
    UnknownParameter => "UnknownParameter",
    UnsupportedOperation => "UnsupportedOperation",
    UnsupportedOperationExternalCmkCanNotRotate => "UnsupportedOperation.ExternalCmkCanNotRotate",
    UnsupportedOperationNotExternalCmk => "UnsupportedOperation.NotExternalCmk",
    UnsupportedOperationRotateNotSupported => "UnsupportedOperation.RotateNotSupported",
    UnsupportedOperationServiceTemporaryUnavailable => "UnsupportedOperation.ServiceTemporaryUnavailable",
    UnsupportedOperationUnsupportedKeyUsageInCurrentRegion => "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion",
    UnsupportedRegion => "UnsupportedRegion",
}

/// An error as the envelope carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TencentError {
    pub code: ErrorCode,
    pub message: String,
}

impl TencentError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        TencentError {
            code,
            message: message.into(),
        }
    }
}

/// The one mapping from core errors to Tencent errors; no wildcard arm, so a new core error
/// cannot compile until it is given its Tencent code here. Key ids appear as Tencent shows
/// them (the bare id: Tencent has no ARNs).
pub fn from_core(err: &KmsError) -> TencentError {
    use ErrorCode as C;
    let e = |code, message: String| TencentError::new(code, message);
    match err {
        KmsError::KeyNotFound { key_id } => e(
            C::ResourceUnavailableCmkNotFound,
            format!("The CMK `{key_id}` does not exist."),
        ),
        KmsError::NotExternal { key_id } => e(
            C::UnsupportedOperationNotExternalCmk,
            format!("The CMK `{key_id}` is not an EXTERNAL CMK (created with Type 2)."),
        ),
        KmsError::InvalidState {
            key_id,
            state,
            operation,
        } => from_state(&key_id.to_string(), *state, *operation),
        KmsError::Disabled { key_id } => e(
            C::ResourceUnavailableCmkDisabled,
            format!("The CMK `{key_id}` is disabled."),
        ),
        // No dedicated token code exists; ImportKeyMaterial's documented list has only the
        // generic InvalidParameter for a bad parameter.
        KmsError::ImportTokenInvalid => e(
            C::InvalidParameter,
            "The ImportToken is invalid: it was not issued by GetParametersForImport.".into(),
        ),
        KmsError::ImportTokenForeign => e(
            C::InvalidParameter,
            "The ImportToken was issued for another CMK.".into(),
        ),
        KmsError::ImportTokenExpired { expired_at } => e(
            C::ResourceUnavailableTokenExpired,
            format!(
                "The ImportToken expired at {}; call GetParametersForImport again.",
                expired_at.as_secs()
            ),
        ),
        KmsError::UnwrapFailed { algorithm } => e(
            C::InvalidParameterDecryptMaterialError,
            format!(
                "The EncryptedKeyMaterial could not be decrypted with {algorithm} and the import public key."
            ),
        ),
        KmsError::MaterialLength {
            spec,
            expected,
            actual,
        } => e(
            C::InvalidParameterValueInvalidImportKeyMaterial,
            format!(
                "The key material is {} bits; {} keys take exactly {} bits.",
                actual * 8,
                edition_name(*spec),
                expected * 8
            ),
        ),
        KmsError::MaterialMismatch { key_id } => e(
            C::InvalidParameterValueMaterialNotMatch,
            format!(
                "The key material differs from the material previously imported into `{key_id}`; only the same material can be imported again."
            ),
        ),
        // Never asked for (this dialect makes no material claims), but the meaning is the
        // same as a mismatch: imported material cannot be replaced.
        KmsError::MaterialAlreadySet { key_id } => e(
            C::InvalidParameterValueMaterialNotMatch,
            format!("The CMK `{key_id}` already has key material, which cannot be replaced."),
        ),
        // Never asked for either (no claims made); a request that cannot apply to this key,
        // so ImportKeyMaterial's generic parameter code.
        KmsError::NoMaterialYet { key_id } => e(
            C::InvalidParameter,
            format!("The CMK `{key_id}` has never had key material."),
        ),
        KmsError::UnknownMaterial { key_id } => e(
            C::InvalidParameterValueMaterialNotMatch,
            format!("The key material is not the material of `{key_id}`."),
        ),
        // Tencent imports no NEW material into a key that has some (no rotation of imported
        // keys), so this cannot arise from a Tencent request; a key in a state that does not
        // take the import, should it ever.
        KmsError::AnotherMaterialPending { key_id, .. } => e(
            C::ResourceUnavailableCmkStateNotSupport,
            format!("The CMK `{key_id}` already has key material waiting to become current."),
        ),
        // Tencent never rotates imported keys (RotateKey refuses them before the core is
        // asked), so this cannot arise from a Tencent request; it would be that refusal.
        KmsError::NoPendingMaterial { key_id } => e(
            C::UnsupportedOperationRotateNotSupported,
            format!("The CMK `{key_id}` has imported key material and cannot be rotated."),
        ),
        // RotateKey on a key without automatic rotation: RotateNotSupported, whose documented
        // causes include keys that do not rotate.
        KmsError::RotationNotEnabled { key_id } => e(
            C::UnsupportedOperationRotateNotSupported,
            format!(
                "Key rotation is not enabled for the CMK `{key_id}`; call EnableKeyRotation first."
            ),
        ),
        KmsError::RotationTooSoon { key_id, allowed_at } => e(
            C::RequestLimitExceededRotateRateLimited,
            format!(
                "The CMK `{key_id}` can rotate once per 24 hours; the next rotation is allowed at {}.",
                allowed_at.as_secs()
            ),
        ),
        // Tencent sets no count limit on RotateKey (the dialect asks for none), so this cannot
        // arise either; LimitExceeded is the generic quota code.
        KmsError::RotationLimit { key_id, done } => e(
            C::LimitExceeded,
            format!("The CMK `{key_id}` has been rotated {done} times, the most allowed."),
        ),
        // ValidTo is checked at the edge too; the core's re-check (time moved on during the
        // unwrap) gets the same generic code.
        KmsError::InvalidExpiry { expiry, now } => e(
            C::InvalidParameter,
            format!(
                "ValidTo {} must be later than the current time {}.",
                expiry.as_secs(),
                now.as_secs()
            ),
        ),
        // A pair of parameter values that do not go together: Tencent's code for a value
        // that is well-formed but not acceptable.
        KmsError::IncompatibleWrapping { algorithm, spec } => e(
            C::InvalidParameterValue,
            format!("WrappingAlgorithm {algorithm} cannot be used with WrappingKeySpec {spec}."),
        ),
        // The dialect catches malformed blobs (bad base64, too short) as InvalidCiphertext
        // first; what reaches the core is well-formed but does not decrypt: altered, another
        // key's, or an EncryptionContext that differs, which Tencent calls a decrypt failure.
        KmsError::InvalidCiphertext => e(
            C::FailedOperationDecryptError,
            "Decryption failed: the CiphertextBlob was altered, belongs to no CMK of this account and region, or the EncryptionContext differs from the one used to encrypt.".into(),
        ),
        KmsError::AliasExists { alias } => e(
            C::InvalidParameterValueAliasAlreadyExists,
            format!("The alias `{alias}` is already used by another CMK in this region."),
        ),
        // No KMS-specific code names a missing alias; the platform's code for a missing
        // resource does.
        KmsError::AliasNotFound { alias } => e(
            C::ResourceNotFound,
            format!("The alias `{alias}` does not exist."),
        ),
        // Tencent's UpdateAlias renames a key's alias; it never moves one between keys
        // (Retarget rules are AWS's), so this is not reached. The error list's generic value
        // code, should it ever be.
        KmsError::AliasTargetMismatch { alias, .. } => e(
            C::InvalidParameterValue,
            format!("The alias `{alias}` cannot name that CMK."),
        ),
        // Not reached from CreateKey, which reports refused tags in TagCode/TagMsg; the
        // platform code for a quota, should another action ever bind tags.
        KmsError::TooManyTags { limit } => e(
            C::LimitExceeded,
            format!("A CMK can carry at most {limit} tags."),
        ),
        // Asymmetric keys (#16): generated only (Tencent imports symmetric material only,
        // and CreateKey refuses an EXTERNAL asymmetric key), never HMAC. Tencent's error list
        // has no code for signature, digest or algorithm problems; each takes the SDK
        // error-list code of the parameter that is wrong: KeyUsage for usage refusals
        // (InvalidKeyUsage), the material for material refusals (reached only if an import
        // into a non-symmetric key could happen), the generic InvalidParameterValue for
        // Algorithm, Message and SignatureValue values.
        KmsError::UsageNotAllowed { spec, usage } => e(
            C::InvalidParameterValueInvalidKeyUsage,
            format!("KeyUsage {usage} cannot be used with {spec} keys."),
        ),
        // Messages name no algorithm or usage: the core's names are AWS's, not Tencent's.
        KmsError::WrongKeyUsage { key_id, .. } => e(
            C::InvalidParameterValueInvalidKeyUsage,
            format!("The KeyUsage of the CMK `{key_id}` does not allow this action."),
        ),
        // Outside signing, the algorithm is the action's own (Encrypt and GenerateDataKey
        // take none; each asymmetric decrypt names its key kind), so a refusal means a key of
        // another KeyUsage: the code the decrypts' and GenerateDataKey's lists name for it.
        // SignByAsymmetricKey and VerifyByAsymmetricKey answer their Algorithm parameter
        // instead (`from_core_signing`).
        KmsError::AlgorithmNotForKey { key_id, .. } => e(
            C::InvalidParameterValueInvalidKeyUsage,
            format!("The KeyUsage of the CMK `{key_id}` does not allow this action."),
        ),
        KmsError::DigestLength {
            expected, actual, ..
        } => e(
            C::InvalidParameterValue,
            format!("A DIGEST Message must be {expected} bytes; it is {actual}."),
        ),
        KmsError::MessageTypeNotAllowed { algorithm, kind } => e(
            C::InvalidParameterValue,
            format!("MessageType {kind} cannot be used with {algorithm}."),
        ),
        KmsError::PlaintextTooLong { max, actual, .. } => e(
            C::InvalidParameterValueInvalidPlaintext,
            format!("The plaintext is {actual} bytes; at most {max} are allowed."),
        ),
        KmsError::InvalidSignature => e(
            C::InvalidParameterValue,
            "The signature does not verify.".into(),
        ),
        KmsError::InvalidMac => e(C::InvalidParameterValue, "The MAC does not verify.".into()),
        KmsError::MaterialNotForSpec { spec, problem } => e(
            C::InvalidParameterValueInvalidImportKeyMaterial,
            format!("The key material is not valid for {spec}: {problem}."),
        ),
        KmsError::WrappingNotForMaterial { algorithm, spec } => e(
            C::InvalidParameterValue,
            format!("WrappingAlgorithm {algorithm} cannot carry {spec} key material."),
        ),
        KmsError::Validation(v) => from_validation(v),
        KmsError::Internal(_) => e(
            C::InternalError,
            "An internal error occurred; try again later.".into(),
        ),
    }
}

fn edition_name(spec: kms_core::KeySpec) -> &'static str {
    match spec {
        kms_core::KeySpec::Aes256 => "FIPS-compliant (AES-256)",
        kms_core::KeySpec::Sm4 => "SM-CRYPTO (SM4)",
        // Tencent imports symmetric material only (#16: not offered here yet).
        _ => "symmetric",
    }
}

/// [`from_core`] for the actions whose documented error lists name no CmkDisabled, only
/// CmkStateNotSupport for a key in the wrong state (the official Go SDK's per-action lists:
/// GetPublicKey, SignByAsymmetricKey, VerifyByAsymmetricKey, the asymmetric decrypts, and
/// RotateKey; the SDK: "only Enabled asymmetric keys can give their public key").
pub(crate) fn from_core_enabled_only(err: &KmsError) -> TencentError {
    match err {
        KmsError::Disabled { key_id } => TencentError::new(
            ErrorCode::ResourceUnavailableCmkStateNotSupport,
            format!("The CMK `{key_id}` is Disabled; this action needs an Enabled CMK."),
        ),
        other => from_core(other),
    }
}

/// [`from_core_enabled_only`] for SignByAsymmetricKey and VerifyByAsymmetricKey, whose
/// `Algorithm` parameter is what an algorithm refusal is about.
pub(crate) fn from_core_signing(err: &KmsError) -> TencentError {
    match err {
        KmsError::AlgorithmNotForKey { key_id, .. } => TencentError::new(
            ErrorCode::InvalidParameterValue,
            format!(
                "The Algorithm cannot be used with the CMK `{key_id}`: use the one ListAlgorithms gives for its KeyUsage."
            ),
        ),
        other => from_core_enabled_only(other),
    }
}

/// A state that refused an operation. Tencent has dedicated codes for the two refusals its
/// docs single out (cancelling a deletion that is not pending, deleting a key that is not
/// disabled); every other refusal is CmkStateNotSupport, which also covers cryptography on a
/// key pending import or deletion (a disabled key has its own code, from `Disabled`).
pub(crate) fn from_state(key_id: &str, state: KeyStateKind, operation: Operation) -> TencentError {
    use ErrorCode as C;
    let code = match (operation, state) {
        (Operation::CancelDeletion, _) => C::ResourceUnavailableCmkNotPendingDelete,
        (Operation::ScheduleDeletion, KeyStateKind::Enabled) => {
            C::ResourceUnavailableCmkShouldBeDisabled
        }
        (
            Operation::Enable
            | Operation::Disable
            | Operation::ScheduleDeletion
            | Operation::GetParametersForImport
            | Operation::ImportKeyMaterial
            | Operation::DeleteImportedKeyMaterial
            | Operation::Cryptography
            | Operation::ChangeAttributes
            | Operation::Sign
            | Operation::Verify
            | Operation::GenerateMac
            | Operation::VerifyMac
            | Operation::GetPublicKey,
            _,
        ) => C::ResourceUnavailableCmkStateNotSupport,
    };
    TencentError::new(
        code,
        format!(
            "The CMK `{key_id}` is {}; {operation} is not allowed in that state.",
            crate::ops::metadata::key_state(state)
        ),
    )
}

fn from_validation(v: &ValidationError) -> TencentError {
    use ErrorCode as C;
    let (code, message) = match v {
        ValidationError::MalformedKeyId => (
            C::InvalidParameterValueInvalidKeyId,
            "KeyId must be a CMK id as CreateKey returns it (a lowercase UUID).".to_owned(),
        ),
        // Account and region are checked at the edge (UnsupportedRegion); this is the
        // core's own re-check, reported with the generic parameter code.
        ValidationError::MalformedTenant => (
            C::InvalidParameter,
            "The account or region is invalid.".to_owned(),
        ),
        ValidationError::DeletionWindowOutOfRange { days, min, max } => (
            C::InvalidParameterInvalidPendingWindowInDays,
            format!("PendingWindowInDays {days} is outside {min} to {max}."),
        ),
        // Out-of-range numbers and malformed tags are well-formed values that are not
        // acceptable: InvalidParameterValue, as Tencent answers for such values.
        ValidationError::ByteCountOutOfRange { requested, max } => (
            C::InvalidParameterValue,
            format!("NumberOfBytes {requested} is outside 1 to {max}."),
        ),
        ValidationError::PageSizeOutOfRange { max } => (
            C::InvalidParameterValue,
            format!("Limit must be between 1 and {max}."),
        ),
        // Tokens and wrapped material are ImportKeyMaterial parameters: its generic code.
        ValidationError::ImportTokenSize { max } => (
            C::InvalidParameter,
            format!("ImportToken must be 1 to {max} bytes."),
        ),
        ValidationError::EncryptedMaterialSize { max } => (
            C::InvalidParameter,
            format!("EncryptedKeyMaterial must be 1 to {max} bytes."),
        ),
        ValidationError::MalformedAlias => {
            (C::InvalidParameterValueInvalidAlias, ALIAS_RULE.to_owned())
        }
        ValidationError::MalformedTag => (
            C::InvalidParameterValue,
            "Tag keys must be 1 to 128 characters and tag values at most 256.".to_owned(),
        ),
    };
    TencentError::new(code, message)
}

pub(crate) const ALIAS_RULE: &str = "Alias must be 1 to 60 characters of letters, digits, - and _, start with a letter or digit, and not start with the reserved prefix kms-.";

/// Authentication failures, as Tencent's API gateway names them.
pub fn from_auth(err: &AuthError) -> TencentError {
    let code = match err {
        // The code Tencent has for an Authorization header that is not as required.
        AuthError::Missing
        | AuthError::Malformed(_)
        | AuthError::ActionNotSigned
        | AuthError::PayloadNotSigned => ErrorCode::AuthFailureInvalidAuthorization,
        AuthError::Expired { .. } => ErrorCode::AuthFailureSignatureExpire,
        AuthError::SignatureMismatch => ErrorCode::AuthFailureSignatureFailure,
        AuthError::UnknownSecretId => ErrorCode::AuthFailureSecretIdNotFound,
    };
    TencentError::new(code, err.to_string())
}

#[cfg(test)]
mod tests {
    use kms_core::*;

    use super::*;

    /// One row per core error variant (and per distinct state refusal): the Tencent code.
    /// Signing answers an algorithm refusal for its Algorithm parameter; elsewhere the same
    /// refusal means a key of another usage.
    #[test]
    fn an_algorithm_refusal_is_the_algorithm_only_when_signing() {
        let refused = KmsError::AlgorithmNotForKey {
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".parse().unwrap(),
            spec: KeySpec::Sm2,
            algorithm: Algorithm::Signing(SigningAlgorithm::EcdsaSha256),
        };
        assert_eq!(
            from_core_signing(&refused).code.as_str(),
            "InvalidParameterValue"
        );
        assert_eq!(
            from_core(&refused).code.as_str(),
            "InvalidParameterValue.InvalidKeyUsage"
        );
    }

    #[test]
    fn every_core_error_has_its_tencent_code() {
        let id: KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab".parse().unwrap();
        let t = Timestamp::from_secs(1);
        let state = |state, operation| KmsError::InvalidState {
            key_id: id,
            state,
            operation,
        };
        let store_error = kms_core::StoreError::new("test", std::io::Error::other("disk"));
        let alias = || AliasName::new("a").unwrap();
        let table: Vec<(KmsError, &str)> = vec![
            (
                KmsError::KeyNotFound { key_id: id },
                "ResourceUnavailable.CmkNotFound",
            ),
            (
                KmsError::NotExternal { key_id: id },
                "UnsupportedOperation.NotExternalCmk",
            ),
            (
                state(KeyStateKind::PendingImport, Operation::Cryptography),
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                state(KeyStateKind::PendingDeletion, Operation::Cryptography),
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                state(KeyStateKind::Disabled, Operation::ImportKeyMaterial),
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                state(KeyStateKind::PendingDeletion, Operation::ImportKeyMaterial),
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                state(KeyStateKind::PendingImport, Operation::Enable),
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                state(KeyStateKind::Enabled, Operation::CancelDeletion),
                "ResourceUnavailable.CmkNotPendingDelete",
            ),
            (
                state(KeyStateKind::Enabled, Operation::ScheduleDeletion),
                "ResourceUnavailable.CmkShouldBeDisabled",
            ),
            (
                state(KeyStateKind::PendingDeletion, Operation::ScheduleDeletion),
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                state(KeyStateKind::PendingDeletion, Operation::ChangeAttributes),
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                KmsError::Disabled { key_id: id },
                "ResourceUnavailable.CmkDisabled",
            ),
            (KmsError::ImportTokenInvalid, "InvalidParameter"),
            (KmsError::ImportTokenForeign, "InvalidParameter"),
            (
                KmsError::ImportTokenExpired { expired_at: t },
                "ResourceUnavailable.TokenExpired",
            ),
            (
                KmsError::UnwrapFailed {
                    algorithm: WrappingAlgorithm::RsaesOaepSha256,
                },
                "InvalidParameter.DecryptMaterialError",
            ),
            (
                KmsError::MaterialLength {
                    spec: KeySpec::Sm4,
                    expected: 16,
                    actual: 32,
                },
                "InvalidParameterValue.InvalidImportKeyMaterial",
            ),
            (
                KmsError::MaterialMismatch { key_id: id },
                "InvalidParameterValue.MaterialNotMatch",
            ),
            (
                KmsError::MaterialAlreadySet { key_id: id },
                "InvalidParameterValue.MaterialNotMatch",
            ),
            (KmsError::NoMaterialYet { key_id: id }, "InvalidParameter"),
            (
                KmsError::UnknownMaterial { key_id: id },
                "InvalidParameterValue.MaterialNotMatch",
            ),
            (
                KmsError::InvalidExpiry { expiry: t, now: t },
                "InvalidParameter",
            ),
            (
                KmsError::IncompatibleWrapping {
                    algorithm: WrappingAlgorithm::Sm2Pke,
                    spec: WrappingKeySpec::Rsa2048,
                },
                "InvalidParameterValue",
            ),
            (KmsError::InvalidCiphertext, "FailedOperation.DecryptError"),
            (
                KmsError::AliasExists { alias: alias() },
                "InvalidParameterValue.AliasAlreadyExists",
            ),
            (
                KmsError::AliasNotFound { alias: alias() },
                "ResourceNotFound",
            ),
            (
                KmsError::AliasTargetMismatch {
                    alias: alias(),
                    current: id,
                    target: id,
                },
                "InvalidParameterValue",
            ),
            (KmsError::TooManyTags { limit: 50 }, "LimitExceeded"),
            (
                KmsError::NoPendingMaterial { key_id: id },
                "UnsupportedOperation.RotateNotSupported",
            ),
            (
                KmsError::AnotherMaterialPending {
                    key_id: id,
                    new: "a".repeat(64).parse().unwrap(),
                    pending: "b".repeat(64).parse().unwrap(),
                },
                "ResourceUnavailable.CmkStateNotSupport",
            ),
            (
                KmsError::RotationNotEnabled { key_id: id },
                "UnsupportedOperation.RotateNotSupported",
            ),
            (
                KmsError::RotationTooSoon {
                    key_id: id,
                    allowed_at: Timestamp::from_secs(1),
                },
                "RequestLimitExceeded.RotateRateLimited",
            ),
            (
                KmsError::RotationLimit {
                    key_id: id,
                    done: 3,
                },
                "LimitExceeded",
            ),
            (
                KmsError::UsageNotAllowed {
                    spec: KeySpec::EccNistP256,
                    usage: KeyUsage::EncryptDecrypt,
                },
                "InvalidParameterValue.InvalidKeyUsage",
            ),
            (
                KmsError::WrongKeyUsage {
                    key_id: id,
                    usage: KeyUsage::EncryptDecrypt,
                    operation: kms_core::Operation::Sign,
                },
                "InvalidParameterValue.InvalidKeyUsage",
            ),
            (
                KmsError::AlgorithmNotForKey {
                    key_id: id,
                    spec: KeySpec::Sm2,
                    algorithm: Algorithm::Signing(SigningAlgorithm::EcdsaSha256),
                },
                "InvalidParameterValue.InvalidKeyUsage",
            ),
            (
                KmsError::DigestLength {
                    algorithm: SigningAlgorithm::Sm2Dsa,
                    expected: 32,
                    actual: 31,
                },
                "InvalidParameterValue",
            ),
            (
                KmsError::MessageTypeNotAllowed {
                    algorithm: SigningAlgorithm::Ed25519Sha512,
                    kind: MessageType::Digest,
                },
                "InvalidParameterValue",
            ),
            (
                KmsError::PlaintextTooLong {
                    algorithm: EncryptionAlgorithm::RsaesOaepSha256,
                    spec: KeySpec::Rsa2048,
                    max: 190,
                    actual: 191,
                },
                "InvalidParameterValue.InvalidPlaintext",
            ),
            (KmsError::InvalidSignature, "InvalidParameterValue"),
            (KmsError::InvalidMac, "InvalidParameterValue"),
            (
                KmsError::MaterialNotForSpec {
                    spec: KeySpec::Rsa2048,
                    problem: MaterialProblem::NotPkcs8,
                },
                "InvalidParameterValue.InvalidImportKeyMaterial",
            ),
            (
                KmsError::WrappingNotForMaterial {
                    algorithm: WrappingAlgorithm::Sm2Pke,
                    spec: KeySpec::Rsa2048,
                },
                "InvalidParameterValue",
            ),
            (
                KmsError::Validation(ValidationError::MalformedKeyId),
                "InvalidParameterValue.InvalidKeyId",
            ),
            (
                KmsError::Validation(ValidationError::MalformedTenant),
                "InvalidParameter",
            ),
            (
                KmsError::Validation(ValidationError::DeletionWindowOutOfRange {
                    days: 3,
                    min: 7,
                    max: 30,
                }),
                "InvalidParameter.InvalidPendingWindowInDays",
            ),
            (
                KmsError::Validation(ValidationError::ByteCountOutOfRange {
                    requested: 0,
                    max: 1024,
                }),
                "InvalidParameterValue",
            ),
            (
                KmsError::Validation(ValidationError::PageSizeOutOfRange { max: 1000 }),
                "InvalidParameterValue",
            ),
            (
                KmsError::Validation(ValidationError::ImportTokenSize { max: 6144 }),
                "InvalidParameter",
            ),
            (
                KmsError::Validation(ValidationError::EncryptedMaterialSize { max: 6144 }),
                "InvalidParameter",
            ),
            (
                KmsError::Validation(ValidationError::MalformedAlias),
                "InvalidParameterValue.InvalidAlias",
            ),
            (
                KmsError::Validation(ValidationError::MalformedTag),
                "InvalidParameterValue",
            ),
            (
                KmsError::Internal(InternalError::Randomness),
                "InternalError",
            ),
            (
                KmsError::Internal(InternalError::Storage(store_error)),
                "InternalError",
            ),
        ];
        for (err, code) in table {
            let tc = from_core(&err);
            assert_eq!(tc.code.as_str(), code, "{err}");
            assert!(!tc.message.is_empty(), "{err}");
        }
        assert_eq!(
            from_core(&KmsError::KeyNotFound { key_id: id }).message,
            "The CMK `1234abcd-12ab-34cd-56ef-1234567890ab` does not exist."
        );
    }

    #[test]
    fn auth_errors_have_their_tencent_codes() {
        for (err, code) in [
            (AuthError::Missing, "AuthFailure.InvalidAuthorization"),
            (
                AuthError::Malformed("x"),
                "AuthFailure.InvalidAuthorization",
            ),
            (
                AuthError::Expired {
                    timestamp: 1,
                    now: 1000,
                },
                "AuthFailure.SignatureExpire",
            ),
            (AuthError::SignatureMismatch, "AuthFailure.SignatureFailure"),
            (AuthError::UnknownSecretId, "AuthFailure.SecretIdNotFound"),
            (
                AuthError::ActionNotSigned,
                "AuthFailure.InvalidAuthorization",
            ),
            (
                AuthError::PayloadNotSigned,
                "AuthFailure.InvalidAuthorization",
            ),
        ] {
            assert_eq!(from_auth(&err).code.as_str(), code);
        }
    }

    #[test]
    fn wire_codes_are_unique_and_dotted_like_tencents() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.split('.')
                    .all(|p| p.chars().next().is_some_and(|c| c.is_ascii_uppercase())),
                "{s}"
            );
        }
    }
}
