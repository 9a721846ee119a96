//! The actions: the routing table ([`Action`]), each action's parameter names, and the typed
//! request each one parses before calling the core.

mod asymmetric;
mod crypto;
mod import;
pub(crate) mod key_usage;
pub(crate) mod keys;
mod listing;
pub(crate) mod metadata;
mod rotation;
mod status;

use std::fmt;

use kms_core::{AliasName, KeyId, Kms, KmsError, PageSize};
use serde_json::{Map, Value};

use crate::caller::Caller;
use crate::error::{ErrorCode, TencentError, from_core};
use crate::params::{Params, bad_value};
use crate::settings::Settings;

/// What one request may use.
pub(crate) struct Ctx<'a> {
    pub(crate) kms: &'a Kms,
    pub(crate) caller: &'a Caller,
    pub(crate) settings: &'a Settings,
    /// The key the request named or created, for the request log.
    pub(crate) key: std::cell::Cell<Option<KeyId>>,
}

pub(crate) type Answer = Result<Map<String, Value>, TencentError>;

pub(crate) fn core(err: KmsError) -> TencentError {
    from_core(&err)
}

/// A `KeyId`: the id CreateKey returned. Tencent ids are lowercase UUIDs, as the core's are.
pub(crate) fn parse_key_id(name: &str, text: &str) -> Result<KeyId, TencentError> {
    text.parse::<KeyId>().map_err(|_| {
        bad_value(
            ErrorCode::InvalidParameterValueInvalidKeyId,
            name,
            "it must be a CMK id as CreateKey returns it (a lowercase UUID)",
        )
    })
}

impl Ctx<'_> {
    pub(crate) fn key_id(&self, params: &Params, name: &str) -> Result<KeyId, TencentError> {
        let id = parse_key_id(name, &params.required_nonempty(name)?)?;
        self.about(id);
        Ok(id)
    }

    /// Notes the key the request is about, for the request log.
    pub(crate) fn about(&self, id: KeyId) {
        self.key.set(Some(id));
    }

    /// The alias (Tencent's display name) of each key of the tenant, from one pass over the
    /// tenant's aliases.
    pub(crate) fn aliases(
        &self,
    ) -> Result<std::collections::HashMap<KeyId, AliasName>, TencentError> {
        let mut out = std::collections::HashMap::new();
        let mut after: Option<AliasName> = None;
        let size = PageSize::new(PageSize::MAX).map_err(|e| core(KmsError::Validation(e)))?;
        loop {
            let page = self
                .kms
                .list_aliases(&self.caller.tenant, None, after.as_ref(), size)
                .map_err(core)?;
            for entry in page.aliases {
                // One alias per key (renames go through the core's rename_alias); should a
                // failing store still have left two, the newer one is the key's name.
                out.entry(entry.target)
                    .and_modify(|(name, at)| {
                        if entry.updated_at > *at {
                            *name = entry.name.clone();
                            *at = entry.updated_at;
                        }
                    })
                    .or_insert((entry.name.clone(), entry.updated_at));
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(out.into_iter().map(|(k, (name, _))| (k, name)).collect())
    }

    /// The alias of one key (`None` if it has none).
    pub(crate) fn alias_of(&self, key: &KeyId) -> Result<Option<AliasName>, TencentError> {
        let size = PageSize::new(PageSize::MAX).map_err(|e| core(KmsError::Validation(e)))?;
        let page = self
            .kms
            .list_aliases(&self.caller.tenant, Some(key), None, size)
            .map_err(core)?;
        Ok(page
            .aliases
            .into_iter()
            .max_by_key(|a| a.updated_at)
            .map(|a| a.name))
    }
}

/// Multi-account management acts on another account's keys; acting on the caller's own keys
/// instead would be silently wrong, so it is refused.
pub(crate) fn refuse_member_account(params: &Params) -> Result<(), TencentError> {
    for name in ["MemberAccount", "MemberAccounts"] {
        if params.present(name) {
            return Err(TencentError::new(
                ErrorCode::UnsupportedOperation,
                format!("kmsgate does not emulate multi-account management (`{name}`)."),
            ));
        }
    }
    Ok(())
}

macro_rules! actions {
    ($($name:ident => $handler:path, [$($param:literal),* $(,)?]),+ $(,)?) => {
        /// Every action this dialect answers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($name),+
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name),+];

            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$name => stringify!($name)),+
                }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $(stringify!($name) => Some(Action::$name),)+
                    _ => None,
                }
            }

            /// The parameters the SDK's request model has for this action.
            fn parameters(self) -> &'static [&'static str] {
                match self {
                    $(Action::$name => &[$($param),*]),+
                }
            }

            pub(crate) fn run(self, ctx: &Ctx<'_>, params: &Params) -> Answer {
                match self {
                    $(Action::$name => $handler(ctx, params)),+
                }
            }
        }
    };
}

actions! {
    CreateKey => keys::create_key, ["Alias", "Description", "KeyUsage", "Type", "Tags", "HsmClusterId"],
    DescribeKey => keys::describe_key, ["KeyId", "MemberAccount"],
    DescribeKeys => listing::describe_keys, ["KeyIds", "MemberAccount"],
    ListKeys => listing::list_keys, ["Offset", "Limit", "Role", "HsmClusterId"],
    ListKeyDetail => listing::list_key_detail, [
        "Offset", "Limit", "Role", "OrderType", "KeyState", "SearchKeyAlias", "Origin",
        "KeyUsage", "TagFilters", "HsmClusterId", "MemberAccounts",
    ],
    EnableKey => keys::enable_key, ["KeyId", "MemberAccount"],
    DisableKey => keys::disable_key, ["KeyId", "MemberAccount"],
    ScheduleKeyDeletion => keys::schedule_key_deletion, ["KeyId", "PendingWindowInDays", "MemberAccount"],
    CancelKeyDeletion => keys::cancel_key_deletion, ["KeyId", "MemberAccount"],
    UpdateAlias => keys::update_alias, ["Alias", "KeyId", "MemberAccount"],
    UpdateKeyDescription => keys::update_key_description, ["Description", "KeyId", "MemberAccount"],
    GetParametersForImport => import::get_parameters_for_import, ["KeyId", "WrappingAlgorithm", "WrappingKeySpec"],
    ImportKeyMaterial => import::import_key_material, ["EncryptedKeyMaterial", "ImportToken", "KeyId", "ValidTo"],
    DeleteImportedKeyMaterial => import::delete_imported_key_material, ["KeyId"],
    Encrypt => crypto::encrypt, ["KeyId", "Plaintext", "EncryptionContext"],
    Decrypt => crypto::decrypt, ["CiphertextBlob", "EncryptionContext", "EncryptionPublicKey", "EncryptionAlgorithm"],
    ReEncrypt => crypto::re_encrypt, ["CiphertextBlob", "DestinationKeyId", "SourceEncryptionContext", "DestinationEncryptionContext"],
    GenerateDataKey => crypto::generate_data_key, [
        "KeyId", "KeySpec", "NumberOfBytes", "EncryptionContext", "EncryptionPublicKey",
        "EncryptionAlgorithm", "IsHostedByKms", "DataKeyName", "Description", "HsmClusterId", "Tags",
    ],
    GenerateRandom => crypto::generate_random, ["NumberOfBytes"],
    GetServiceStatus => status::get_service_status, [],
    GetPublicKey => asymmetric::get_public_key, ["KeyId"],
    SignByAsymmetricKey => asymmetric::sign_by_asymmetric_key, ["Algorithm", "Message", "KeyId", "MessageType"],
    VerifyByAsymmetricKey => asymmetric::verify_by_asymmetric_key, [
        "KeyId", "SignatureValue", "Message", "Algorithm", "MessageType",
    ],
    AsymmetricRsaDecrypt => asymmetric::asymmetric_rsa_decrypt, ["KeyId", "Ciphertext", "Algorithm"],
    AsymmetricSm2Decrypt => asymmetric::asymmetric_sm2_decrypt, ["KeyId", "Ciphertext"],
    ListAlgorithms => asymmetric::list_algorithms, [],
    EnableKeyRotation => rotation::enable_key_rotation, ["KeyId", "RotateDays", "MemberAccount"],
    DisableKeyRotation => rotation::disable_key_rotation, ["KeyId", "MemberAccount"],
    GetKeyRotationStatus => rotation::get_key_rotation_status, ["KeyId", "MemberAccount"],
    RotateKey => rotation::rotate_key, ["KeyId", "MemberAccount"],
}

impl Action {
    /// Tencent's documented quota where one is documented: ImportKeyMaterial allows "a
    /// maximum of 10 requests per second". The reference states no other, so the others are
    /// unlimited unless configured.
    pub fn default_quota(self) -> Option<u32> {
        match self {
            Action::ImportKeyMaterial => Some(10),
            _ => None,
        }
    }

    /// Reads and symmetric cryptography: see `dialect_kit::Dialect::is_quick`.
    pub(crate) fn is_quick(self) -> bool {
        matches!(
            self,
            Action::DescribeKey
                | Action::DescribeKeys
                | Action::ListKeys
                | Action::ListKeyDetail
                | Action::Encrypt
                | Action::Decrypt
                | Action::ReEncrypt
                | Action::GenerateDataKey
                | Action::GenerateRandom
                | Action::GetServiceStatus
                | Action::GetPublicKey
                | Action::ListAlgorithms
        )
    }

    /// The action named `name`, ignoring ASCII case (for settings read from environment
    /// variables, whose names are lower-cased).
    pub fn from_name_ignore_case(name: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Tencent answers an unexpected request field with UnknownParameter.
    pub(crate) fn check_parameters(self, params: &Params) -> Result<(), TencentError> {
        let allowed = self.parameters();
        match params.names().find(|n| !allowed.contains(n)) {
            None => Ok(()),
            Some(unknown) => Err(TencentError::new(
                ErrorCode::UnknownParameter,
                format!("The parameter `{unknown}` is not recognized by {self}."),
            )),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Actions of Tencent KMS 2019-01-18 that kmsgate does not emulate (data keys, white-box keys,
/// post-quantum, cloud resource bindings, batches).
const NOT_EMULATED: &[&str] = &[
    "ArchiveKey",
    "BindCloudResource",
    "CancelDataKeyDeletion",
    "CancelKeyArchive",
    "CreateWhiteBoxKey",
    "DeleteWhiteBoxKey",
    "DescribeDataKey",
    "DescribeDataKeys",
    "DescribeWhiteBoxDecryptKey",
    "DescribeWhiteBoxDeviceFingerprints",
    "DescribeWhiteBoxKey",
    "DescribeWhiteBoxKeyDetails",
    "DescribeWhiteBoxServiceStatus",
    "DisableDataKey",
    "DisableDataKeys",
    "DisableKeys",
    "DisableWhiteBoxKey",
    "DisableWhiteBoxKeys",
    "EnableDataKey",
    "EnableDataKeys",
    "EnableKeys",
    "EnableWhiteBoxKey",
    "EnableWhiteBoxKeys",
    "EncryptByWhiteBox",
    "GetDataKeyCiphertextBlob",
    "GetDataKeyPlaintext",
    "GetRegions",
    "ImportDataKey",
    "ListDataKeyDetail",
    "ListDataKeys",
    "OverwriteWhiteBoxDeviceFingerprints",
    "PostQuantumCryptoDecrypt",
    "PostQuantumCryptoEncrypt",
    "PostQuantumCryptoSign",
    "PostQuantumCryptoVerify",
    "ScheduleDataKeyDeletion",
    "UnbindCloudResource",
    "UpdateDataKeyDescription",
    "UpdateDataKeyName",
];

/// The action an `X-TC-Action` names: InvalidAction for a name Tencent KMS does not have,
/// UnsupportedOperation for a real KMS action that kmsgate does not emulate.
pub(crate) fn resolve_action(name: &str) -> Result<Action, TencentError> {
    if let Some(action) = Action::from_name(name) {
        return Ok(action);
    }
    if NOT_EMULATED.contains(&name) {
        return Err(TencentError::new(
            ErrorCode::UnsupportedOperation,
            format!("kmsgate does not emulate the Tencent KMS action `{name}`."),
        ));
    }
    Err(TencentError::new(
        ErrorCode::InvalidAction,
        format!("The action `{name}` does not exist in kms 2019-01-18."),
    ))
}

/// Paging shared by ListKeys and ListKeyDetail: Offset ≥ 0, Limit 1..=200 (default 10).
pub(crate) fn offset_limit(params: &Params) -> Result<(usize, usize), TencentError> {
    let offset = params.integer("Offset")?.unwrap_or(0);
    let offset = usize::try_from(offset).map_err(|_| {
        bad_value(
            ErrorCode::InvalidParameterValue,
            "Offset",
            "it must be 0 or more",
        )
    })?;
    let limit = params.integer("Limit")?.unwrap_or(10);
    let limit = usize::try_from(limit)
        .ok()
        .filter(|l| (1..=200).contains(l))
        .ok_or_else(|| {
            bad_value(
                ErrorCode::InvalidParameterValue,
                "Limit",
                "it must be between 1 and 200",
            )
        })?;
    Ok((offset, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_table_names_round_trip() {
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(*action));
            assert_eq!(
                Action::from_name_ignore_case(&action.name().to_ascii_lowercase()),
                Some(*action)
            );
            assert!(!NOT_EMULATED.contains(&action.name()), "{action}");
        }
        assert_eq!(
            resolve_action("ArchiveKey").unwrap_err().code,
            ErrorCode::UnsupportedOperation
        );
        assert_eq!(
            resolve_action("createKey").unwrap_err().code,
            ErrorCode::InvalidAction
        );
    }
}

#[cfg(test)]
mod quick_tests {
    use super::Action;

    #[test]
    fn only_reads_and_symmetric_cryptography_are_quick() {
        for quick in [
            "Encrypt",
            "Decrypt",
            "DescribeKey",
            "GenerateDataKey",
            "ListKeys",
        ] {
            assert!(
                Action::from_name(quick).is_some_and(Action::is_quick),
                "{quick}"
            );
        }
        for slow in [
            "CreateKey",
            "GetParametersForImport",
            "ImportKeyMaterial",
            "DisableKey",
        ] {
            assert!(
                Action::from_name(slow).is_some_and(|a| !a.is_quick()),
                "{slow}"
            );
        }
    }
}
