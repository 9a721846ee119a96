//! Key management: CreateKey, DescribeKey, EnableKey, DisableKey, ScheduleKeyDeletion,
//! CancelKeyDeletion, UpdateAlias, UpdateKeyDescription.

use kms_core::{AliasName, CreateKey, DeletionPolicy, DeletionWindow, KmsError, Origin, Tags};
use serde_json::{Map, Value, json};

use super::key_usage::{self, ASYMMETRIC, Usage};
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

/// `Tags`: `[{TagKey, TagValue}]`, keys unique. Tags the tag service would refuse (too
/// many, a malformed key or value) are not a refusal of the request: Tencent binds tags after
/// creating the key and reports the outcome in CreateKey's `TagCode` ("2: 业务处理错误") and
/// `TagMsg`, so the inner error carries that message and the key is made without tags.
pub(crate) fn parse_tags(params: &Params) -> Result<Result<Tags, String>, TencentError> {
    let Some(items) = params.objects("Tags")? else {
        return Ok(Ok(Tags::new()));
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
    Ok(Tags::from_pairs(pairs).map_err(|e| e.to_string()))
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
    usage: Usage,
    origin: Origin,
    /// The tags to bind, or why the tag service refuses them.
    tags: Result<Tags, String>,
}

impl CreateKeyRequest {
    fn parse(params: &Params) -> Result<Self, TencentError> {
        let alias = parse_alias(params)?;
        let description = parse_description(params, false)?;
        let usage = params.string("KeyUsage")?;
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
        // Tencent imports symmetric material only (its import guide; GetParametersForImport
        // offers RSA_2048 wrapping of 128- or 256-bit material and nothing else). An EXTERNAL
        // key of an asymmetric usage could never get material, so it is refused here, before
        // the usage is judged, and with the code of the parameter that is wrong for an
        // EXTERNAL key: InvalidParameterValue.InvalidKeyUsage ("KeyUsage参数错误" in the
        // SDK's error list; Tencent documents no dedicated code, this is inferred).
        if origin == Origin::External
            && let Some(u) = usage.as_deref()
            && ASYMMETRIC.iter().any(|(n, _)| *n == u)
        {
            return Err(TencentError::new(
                ErrorCode::InvalidParameterValueInvalidKeyUsage,
                format!(
                    "KeyUsage {u} cannot be used with Type 2 (EXTERNAL): only symmetric ENCRYPT_DECRYPT keys take imported key material."
                ),
            ));
        }
        let usage = Usage::parse(usage.as_deref())?;
        check_hsm_cluster(params)?;
        Ok(CreateKeyRequest {
            alias,
            description,
            usage,
            origin,
            tags: parse_tags(params)?,
        })
    }
}

pub(super) fn create_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let request = CreateKeyRequest::parse(params)?;
    let (spec, usage) = request.usage.key(ctx.settings.edition);
    let tenant = &ctx.caller.tenant;
    // TagMsg "ok" once tags are bound, as Tencent's CreateKey example answers; nothing when
    // there were none to bind.
    let (tags, tag_code, tag_msg) = match request.tags {
        Ok(tags) if tags.is_empty() => (tags, 0, String::new()),
        Ok(tags) => (tags, 0, "ok".to_owned()),
        Err(why) => (Tags::new(), 2, why),
    };
    // Key and alias come into existence together: a taken alias creates nothing.
    let (key, _) = ctx
        .kms
        .create_key_with_alias(
            tenant,
            CreateKey {
                spec,
                usage,
                origin: request.origin,
                description: request.description,
                tags,
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
    out.insert(
        "KeyUsage".into(),
        json!(key_usage::name(key.spec, key.usage)),
    );
    out.insert("TagCode".into(), json!(tag_code));
    out.insert("TagMsg".into(), json!(tag_msg));
    // In CreateKey's response model and example; empty outside an exclusive HSM cluster, as
    // KeyMetadata's (a Go client dereferences it).
    out.insert("HsmClusterId".into(), json!(""));
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
    let metadata = key_metadata(ctx.caller, &key, alias.as_ref());
    out.insert(
        "KeyMetadata".into(),
        super::rotation::with_rotation(ctx, &key, metadata),
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
