//! Key management: CreateKey, DescribeKey, EnableKey, DisableKey, ScheduleKeyDeletion,
//! CancelKeyDeletion, UpdateAlias, UpdateKeyDescription.

use kms_core::{
    AliasName, CreateKey, DeletionPolicy, DeletionWindow, KeyUsage, KmsError, Origin, Tags,
};
use serde_json::{Map, Value, json};

use super::metadata::{key_metadata, key_state};
use super::{Answer, Ctx, core, refuse_member_account};
use crate::error::{ALIAS_RULE, ErrorCode, TencentError};
use crate::params::{Params, bad_value};

const DESCRIPTION_MAX_BYTES: usize = 1024;
const ALIAS_MAX_CHARS: usize = 60;

/// Tencent's alias rule: 1–60 of `[A-Za-z0-9_-]`, a letter or digit first, and the `kms-`
/// prefix reserved for cloud products.
pub(crate) fn parse_alias(params: &Params) -> Result<AliasName, TencentError> {
    alias_named(&params.required_nonempty("Alias")?)
}

pub(crate) fn alias_named(text: &str) -> Result<AliasName, TencentError> {
    let well_formed = text.len() <= ALIAS_MAX_CHARS
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !text.to_ascii_lowercase().starts_with("kms-");
    if !well_formed {
        return Err(TencentError::new(
            ErrorCode::InvalidParameterValueInvalidAlias,
            format!("The alias `{text}` is invalid. {ALIAS_RULE}"),
        ));
    }
    AliasName::new(text).map_err(|e| core(KmsError::Validation(e)))
}

fn parse_description(params: &Params, required: bool) -> Result<String, TencentError> {
    let text = if required {
        params.required_string("Description")?
    } else {
        params.string("Description")?.unwrap_or_default()
    };
    if text.len() > DESCRIPTION_MAX_BYTES {
        return Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "Description",
            "it must be at most 1024 bytes",
        ));
    }
    Ok(text)
}

/// `Tags`: `[{TagKey, TagValue}]`, keys unique.
pub(crate) fn parse_tags(params: &Params) -> Result<Tags, TencentError> {
    let Some(items) = params.objects("Tags")? else {
        return Ok(Tags::new());
    };
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(items.len());
    for item in &items {
        let key = item.required_nonempty("TagKey")?;
        let value = item.string("TagValue")?.unwrap_or_default();
        if pairs.iter().any(|(k, _)| *k == key) {
            return Err(TencentError::new(
                ErrorCode::InvalidParameterValueTagKeysDuplicated,
                format!("The tag key `{key}` appears more than once."),
            ));
        }
        pairs.push((key, value));
    }
    Tags::from_pairs(pairs).map_err(core)
}

/// The key usages Tencent offers; only symmetric ENCRYPT_DECRYPT keys are emulated.
const ASYMMETRIC_USAGES: &[&str] = &[
    "ASYMMETRIC_DECRYPT_RSA_2048",
    "ASYMMETRIC_DECRYPT_SM2",
    "ASYMMETRIC_SIGN_VERIFY_SM2",
    "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
    "ASYMMETRIC_SIGN_VERIFY_ECC",
    "ASYMMETRIC_SIGN_VERIFY_ECDSA384",
];

pub(crate) fn check_key_usage(usage: Option<&str>) -> Result<(), TencentError> {
    match usage {
        None | Some("") | Some("ENCRYPT_DECRYPT") => Ok(()),
        Some(u) if ASYMMETRIC_USAGES.contains(&u) => Err(TencentError::new(
            ErrorCode::UnsupportedOperationUnsupportedKeyUsageInCurrentRegion,
            format!("kmsgate emulates symmetric keys only; KeyUsage {u} is not available."),
        )),
        Some(u) => Err(TencentError::new(
            ErrorCode::InvalidParameterValueInvalidKeyUsage,
            format!("KeyUsage `{u}` is not a Tencent KMS key usage."),
        )),
    }
}

/// kmsgate has no dedicated HSM clusters; `default` names the shared one every key is in.
pub(crate) fn check_hsm_cluster(params: &Params) -> Result<(), TencentError> {
    match params.string("HsmClusterId")?.as_deref() {
        None | Some("") | Some("default") => Ok(()),
        Some(other) => Err(TencentError::new(
            ErrorCode::InvalidParameterValueInvalidHsmClusterId,
            format!(
                "The HSM cluster `{other}` does not exist (kmsgate emulates the shared edition only)."
            ),
        )),
    }
}

struct CreateKeyRequest {
    alias: AliasName,
    description: String,
    origin: Origin,
    tags: Tags,
}

impl CreateKeyRequest {
    fn parse(params: &Params) -> Result<Self, TencentError> {
        let alias = parse_alias(params)?;
        let description = parse_description(params, false)?;
        check_key_usage(params.string("KeyUsage")?.as_deref())?;
        let origin = match params.integer("Type")? {
            None | Some(1) => Origin::Generated,
            Some(2) => Origin::External,
            Some(other) => {
                return Err(TencentError::new(
                    ErrorCode::InvalidParameterValueInvalidType,
                    format!(
                        "Type {other} is invalid: 1 (KMS creates the key material) or 2 (EXTERNAL, import your own)."
                    ),
                ));
            }
        };
        check_hsm_cluster(params)?;
        Ok(CreateKeyRequest {
            alias,
            description,
            origin,
            tags: parse_tags(params)?,
        })
    }
}

pub(super) fn create_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let request = CreateKeyRequest::parse(params)?;
    let tenant = &ctx.caller.tenant;
    // Key and alias come into existence together: a taken alias creates nothing.
    let (key, _) = ctx
        .kms
        .create_key_with_alias(
            tenant,
            CreateKey {
                spec: ctx.settings.edition.key_spec(),
                usage: KeyUsage::EncryptDecrypt,
                origin: request.origin,
                description: request.description,
                tags: request.tags,
            },
            &request.alias,
        )
        .map_err(core)?;
    ctx.about(key.key_id);
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(key.key_id.to_string()));
    out.insert("Alias".into(), json!(request.alias.as_str()));
    out.insert("CreateTime".into(), json!(key.created_at.as_secs()));
    out.insert("Description".into(), json!(key.description));
    out.insert("KeyState".into(), json!(key_state(key.state)));
    out.insert("KeyUsage".into(), json!("ENCRYPT_DECRYPT"));
    out.insert("TagCode".into(), json!(0));
    out.insert("TagMsg".into(), json!(""));
    Ok(out)
}

pub(super) fn describe_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(core)?;
    let alias = ctx.alias_of(&id)?;
    let mut out = Map::new();
    out.insert(
        "KeyMetadata".into(),
        key_metadata(ctx.caller, &key, alias.as_ref()),
    );
    Ok(out)
}

fn empty() -> Map<String, Value> {
    Map::new()
}

pub(super) fn enable_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    ctx.kms.enable_key(&ctx.caller.tenant, &id).map_err(core)?;
    Ok(empty())
}

pub(super) fn disable_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    ctx.kms.disable_key(&ctx.caller.tenant, &id).map_err(core)?;
    Ok(empty())
}

pub(super) fn schedule_key_deletion(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let days = params.required_integer("PendingWindowInDays")?;
    let window = u32::try_from(days)
        .ok()
        .and_then(|d| DeletionWindow::days_within(d, 7..=30).ok())
        .ok_or_else(|| {
            TencentError::new(
                ErrorCode::InvalidParameterInvalidPendingWindowInDays,
                format!("PendingWindowInDays {days} is invalid: it must be between 7 and 30."),
            )
        })?;
    refuse_member_account(params)?;
    let tenant = &ctx.caller.tenant;
    // Tencent deletes only disabled keys (a key still waiting for its material cannot be
    // disabled, so it may be deleted as it is).
    let only_disabled = DeletionPolicy {
        from_enabled: false,
    };
    let key = ctx
        .kms
        .schedule_key_deletion(tenant, &id, window, only_disabled)
        .map_err(core)?;
    let mut out = Map::new();
    out.insert(
        "DeletionDate".into(),
        json!(key.deletion_date.map_or(0, |d| d.as_secs())),
    );
    out.insert("KeyId".into(), json!(id.to_string()));
    Ok(out)
}

pub(super) fn cancel_key_deletion(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    ctx.kms
        .cancel_key_deletion(&ctx.caller.tenant, &id)
        .map_err(core)?;
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(id.to_string()));
    Ok(out)
}

/// Tencent's alias is the key's one display name: renaming points the new name at the key
/// and drops the old one.
pub(super) fn update_alias(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let alias = parse_alias(params)?;
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    let tenant = &ctx.caller.tenant;
    ctx.kms.describe_key(tenant, &id).map_err(core)?;
    let old = ctx.alias_of(&id)?;
    if old.as_ref() == Some(&alias) {
        return Ok(empty());
    }
    match old {
        Some(old) => ctx.kms.rename_alias(tenant, &old, &alias),
        None => ctx.kms.create_alias(tenant, &alias, &id),
    }
    .map_err(core)?;
    Ok(empty())
}

pub(super) fn update_key_description(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let description = parse_description(params, true)?;
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    ctx.kms
        .update_key_description(&ctx.caller.tenant, &id, description)
        .map_err(core)?;
    Ok(empty())
}
