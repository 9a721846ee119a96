//! The operations: one typed request per operation, parsed from the body, run on the core,
//! answered as AWS does. The routing table is [`Operation`].

pub(crate) mod algorithms;
mod aliases;
mod crypto;
mod data_keys;
mod import;
mod keys;
mod mac;
mod metadata;
mod public_key;
mod rotation;
mod signing;
mod tags;
mod wire;

use std::cell::Cell;

use kms_core::{KeyId, Kms, KmsError};
use serde_json::Value;

use crate::caller::Caller;
use crate::error::{AwsError, ErrorCode, from_core, from_core_during};
use crate::input::Input;
use crate::key_ref::{Accepts, KeyRef, parse_key_ref};
use crate::settings::Settings;

/// What one request may use.
pub(crate) struct Ctx<'a> {
    pub(crate) kms: &'a Kms,
    pub(crate) caller: &'a Caller,
    pub(crate) settings: &'a Settings,
    /// The operation being answered, which some AWS messages name.
    pub(crate) operation: Operation,
    /// The key the request named or created, for the request log.
    pub(crate) key: Cell<Option<KeyId>>,
}

impl Ctx<'_> {
    /// Notes the key the request is about, for the request log.
    pub(crate) fn about(&self, id: KeyId) {
        self.key.set(Some(id));
    }

    pub(crate) fn core(&self, err: KmsError) -> AwsError {
        from_core_during(&err, self.caller, self.operation.name())
    }

    /// Resolves a `KeyId`-like member to the key it names now.
    pub(crate) fn key(
        &self,
        input: &Input,
        member: &str,
        accepts: Accepts,
    ) -> Result<KeyId, AwsError> {
        let text = input.required_string(member, 1..=2048)?;
        self.resolve(&self.key_ref(&text, accepts)?)
    }

    /// A `KeyId`-like member parsed. A malformed ARN is InvalidArnException only where the
    /// operation's model lists that error; elsewhere AWS answers "NotFoundException: Invalid
    /// arn", which is what an SDK caller of those operations catches.
    pub(crate) fn key_ref(&self, text: &str, accepts: Accepts) -> Result<KeyRef, AwsError> {
        parse_key_ref(text, self.caller, accepts).map_err(|e| {
            if e.code == ErrorCode::InvalidArnException && !self.operation.lists_invalid_arn() {
                AwsError::new(ErrorCode::NotFoundException, "Invalid arn")
            } else {
                e
            }
        })
    }

    pub(crate) fn resolve(&self, key: &KeyRef) -> Result<KeyId, AwsError> {
        let id = match key {
            KeyRef::Key(id) => *id,
            KeyRef::Alias(name) => self
                .kms
                .resolve_alias(&self.caller.tenant, name)
                .map_err(|e| self.core(e))?,
        };
        self.about(id);
        Ok(id)
    }
}

macro_rules! operations {
    ($($name:ident => $handler:path),+ $(,)?) => {
        /// Every `TrentService.<Operation>` this dialect answers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Operation {
            $($name),+
        }

        impl Operation {
            pub(crate) fn from_target(target: &str) -> Option<Operation> {
                match target.strip_prefix("TrentService.")? {
                    $(stringify!($name) => Some(Operation::$name),)+
                    _ => None,
                }
            }

            /// The operation's name, as in its target.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name)),+
                }
            }

            /// Runs the operation; `None` is an operation without output (empty 200 body).
            pub(crate) fn run(self, ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
                match self {
                    $(Operation::$name => $handler(ctx, input)),+
                }
            }
        }
    };
}

operations! {
    CreateKey => keys::create_key,
    DescribeKey => keys::describe_key,
    ListKeys => keys::list_keys,
    EnableKey => keys::enable_key,
    DisableKey => keys::disable_key,
    ScheduleKeyDeletion => keys::schedule_key_deletion,
    CancelKeyDeletion => keys::cancel_key_deletion,
    UpdateKeyDescription => keys::update_key_description,
    GetParametersForImport => import::get_parameters_for_import,
    ImportKeyMaterial => import::import_key_material,
    DeleteImportedKeyMaterial => import::delete_imported_key_material,
    Encrypt => crypto::encrypt,
    Decrypt => crypto::decrypt,
    ReEncrypt => crypto::re_encrypt,
    GenerateDataKey => data_keys::generate_data_key,
    GenerateDataKeyWithoutPlaintext => data_keys::generate_data_key_without_plaintext,
    GenerateRandom => data_keys::generate_random,
    GetPublicKey => public_key::get_public_key,
    Sign => signing::sign,
    Verify => signing::verify,
    GenerateMac => mac::generate_mac,
    VerifyMac => mac::verify_mac,
    CreateAlias => aliases::create_alias,
    UpdateAlias => aliases::update_alias,
    DeleteAlias => aliases::delete_alias,
    ListAliases => aliases::list_aliases,
    TagResource => tags::tag_resource,
    UntagResource => tags::untag_resource,
    ListResourceTags => tags::list_resource_tags,
    EnableKeyRotation => rotation::enable_key_rotation,
    DisableKeyRotation => rotation::disable_key_rotation,
    GetKeyRotationStatus => rotation::get_key_rotation_status,
    RotateKeyOnDemand => rotation::rotate_key_on_demand,
    ListKeyRotations => rotation::list_key_rotations,
}

impl Operation {
    /// Whether botocore's model lists InvalidArnException among the operation's errors: every
    /// operation that takes a key but the cryptographic ones and the alias writes.
    pub(crate) fn lists_invalid_arn(self) -> bool {
        !matches!(
            self,
            Operation::Encrypt
                | Operation::Decrypt
                | Operation::ReEncrypt
                | Operation::GenerateDataKey
                | Operation::GenerateDataKeyWithoutPlaintext
                | Operation::Sign
                | Operation::Verify
                | Operation::GenerateMac
                | Operation::VerifyMac
                | Operation::CreateAlias
                | Operation::UpdateAlias
                | Operation::DeleteAlias
        )
    }

    /// Reads, symmetric cryptography and MACs: see `dialect_kit::Dialect::is_quick`. `body` is
    /// looked at only for Encrypt, Decrypt and ReEncrypt, which are RSA or SM2 work (not
    /// microseconds) when they name a public-key algorithm.
    pub(crate) fn is_quick(self, body: &[u8]) -> bool {
        match self {
            Operation::Encrypt | Operation::Decrypt | Operation::ReEncrypt => {
                !names_public_key_algorithm(body)
            }
            Operation::DescribeKey
            | Operation::ListKeys
            | Operation::GenerateDataKey
            | Operation::GenerateDataKeyWithoutPlaintext
            | Operation::GenerateRandom
            | Operation::GenerateMac
            | Operation::VerifyMac
            | Operation::ListAliases
            | Operation::ListResourceTags => true,
            _ => false,
        }
    }
}

/// Whether a body mentions an RSAES or SM2 algorithm anywhere (a cheap over-approximation:
/// a false positive only sends a quick request to the blocking pool).
fn names_public_key_algorithm(body: &[u8]) -> bool {
    [&b"RSAES_OAEP"[..], b"SM2PKE"]
        .iter()
        .any(|needle| body.windows(needle.len()).any(|w| w == *needle))
}

/// The answer for a target this dialect does not know.
pub(crate) fn unknown_operation(target: Option<&str>) -> AwsError {
    AwsError::new(
        ErrorCode::UnknownOperationException,
        match target {
            Some(t) => format!("Unknown operation {t}"),
            None => "Missing X-Amz-Target header".to_owned(),
        },
    )
}

/// Epoch seconds with milliseconds, the form AWS sends timestamps in.
pub(crate) fn epoch(t: kms_core::Timestamp) -> Value {
    let ms = t.as_millis();
    if ms.is_multiple_of(1000) {
        Value::from(ms / 1000)
    } else {
        // Exact for any realistic date: 2^53 ms is about 285,000 years.
        Value::from(ms as f64 / 1000.0)
    }
}

/// A listing's page size: `Limit` (the model's 1 to 1000) or `default`, and never more than
/// `most`. The documentation of some listings says "must be between 1 and 100" (ListAliases)
/// or 50 (ListResourceTags) while the model's shape allows 1000; a larger Limit gets a page
/// of `most`, which its "KMS ... might return fewer" allows, rather than an error the model
/// does not support.
pub(crate) fn page_size(
    input: &Input,
    default: usize,
    most: usize,
) -> Result<kms_core::PageSize, AwsError> {
    let limit = input.integer("Limit", 1..=1000)?;
    let n = limit.map_or(default, |l| usize::try_from(l).unwrap_or(default));
    kms_core::PageSize::new(n.min(most)).map_err(|e| from_core(&KmsError::Validation(e), &NoNames))
}

pub(crate) fn invalid_marker() -> AwsError {
    AwsError::new(ErrorCode::InvalidMarkerException, "Invalid marker")
}

/// Markers of name-ordered listings (aliases, tags) are opaque, as AWS's are, so a made-up
/// marker is InvalidMarkerException rather than a silently shifted page. Base64url keeps even
/// a 128-character multibyte tag key within the 1024-character marker limit.
pub(crate) fn name_marker(kind: &str, name: &str) -> String {
    use base64::Engine as _;
    format!(
        "{kind}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(name)
    )
}

pub(crate) fn parse_name_marker(kind: &str, marker: &str) -> Result<String, AwsError> {
    use base64::Engine as _;
    marker
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|b| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(b)
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid_marker)
}

/// For errors that cannot name a key.
pub(crate) struct NoNames;

impl crate::error::KeyNamer for NoNames {
    fn key_arn(&self, key_id: &KeyId) -> String {
        key_id.to_string()
    }
    fn alias_arn(&self, alias: &kms_core::AliasName) -> String {
        alias.to_string()
    }
}

#[cfg(test)]
mod quick_tests {
    use super::Operation;

    #[test]
    fn only_reads_and_symmetric_cryptography_are_quick() {
        for quick in [
            "Encrypt",
            "Decrypt",
            "DescribeKey",
            "GenerateDataKey",
            "ListAliases",
            "GenerateMac",
            "VerifyMac",
        ] {
            let op = Operation::from_target(&format!("TrentService.{quick}"));
            assert!(op.is_some_and(|o| o.is_quick(b"{}")), "{quick}");
        }
        for slow in [
            "CreateKey",
            "GetParametersForImport",
            "ImportKeyMaterial",
            "DisableKey",
            "CreateAlias",
            "TagResource",
            "Sign",
            "Verify",
            "GetPublicKey",
        ] {
            let op = Operation::from_target(&format!("TrentService.{slow}"));
            assert!(op.is_some_and(|o| !o.is_quick(b"{}")), "{slow}");
        }
        let decrypt = Operation::Decrypt;
        assert!(!decrypt.is_quick(br#"{"EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}"#));
        assert!(!decrypt.is_quick(br#"{"EncryptionAlgorithm":"SM2PKE"}"#));
    }
}
