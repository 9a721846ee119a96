//! Key management: create-key (every spec of the SDK's enum, `key_usage` with Huawei's
//! defaults), describe-key, list-keys, enable/disable, deletion scheduling, descriptions.

use kms_core::{
    CreateKey, DeletionPolicy, DeletionWindow, KeyDescription, KeyFamily, KeyId, KeySpec, KeyUsage,
    KmsError, Origin, PageSize, Tags, TogglePolicy,
};
use serde_json::{Value, json};

use super::details::key_details;
use super::wire_names::{self, KEY_SPECS, KEY_USAGES, default_usage, key_spec_name, lookup};
use super::{Ctx, key_alias};
use crate::error::{ErrorCode, HuaweiError, state_code};
use crate::input::Input;

const DESCRIPTION_LEN: std::ops::RangeInclusive<usize> = 0..=255;
/// Huawei's deletion window, in days.
const PENDING_DAYS: std::ops::RangeInclusive<u32> = 7..=1096;

/// Huawei's import guide lists the specs whose material can be imported: the symmetric
/// ones and RSA_2048/3072/4096, EC_P256, EC_P384, SM2. "HMAC keys cannot import key
/// material"; SECP256K1 and ED25519 are not in the guide's list, so they are refused too
/// (inferred from the list, not from an error Huawei documents).
pub(crate) fn importable(spec: KeySpec) -> bool {
    match spec.family() {
        KeyFamily::Symmetric | KeyFamily::Rsa | KeyFamily::Sm2 => true,
        KeyFamily::Ecc => matches!(spec, KeySpec::EccNistP256 | KeySpec::EccNistP384),
        KeyFamily::Hmac => false,
    }
}

struct CreateKeyRequest {
    alias: kms_core::AliasName,
    spec: KeySpec,
    usage: KeyUsage,
    origin: Origin,
    description: String,
}

fn unsupported(what: String) -> HuaweiError {
    HuaweiError::invalid(format!(
        "Invalid parameter: {what} is not supported by kmsgate, which emulates the default key store and enterprise project."
    ))
}

impl CreateKeyRequest {
    fn parse(input: &Input) -> Result<Self, HuaweiError> {
        let alias = key_alias::parse(input, "key_alias")?;
        let spec = lookup("key_spec", input.string("key_spec", 0..=64)?, KEY_SPECS)?
            .unwrap_or(KeySpec::Aes256);
        let usage = lookup("key_usage", input.string("key_usage", 0..=64)?, KEY_USAGES)?
            .unwrap_or_else(|| default_usage(spec));
        // The core refuses a usage the spec does not allow (UsageNotAllowed, KMS.0308).
        let origin = match input.choice("origin", &["kms", "external"])? {
            None | Some("kms") => Origin::Generated,
            Some(_) => Origin::External,
        };
        if origin == Origin::External && !importable(spec) {
            return Err(HuaweiError::invalid(format!(
                "Invalid parameter: origin external is not available for {} keys; material can be imported into AES_256, SM4, RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384 and SM2 keys.",
                key_spec_name(spec)
            )));
        }
        if let Some(p) = input.string("enterprise_project_id", 0..=64)?
            && p != "0"
        {
            return Err(unsupported(format!("enterprise_project_id {p}")));
        }
        if let Some(k) = input.string("keystore_id", 0..=64)?
            && k != "0"
        {
            return Err(unsupported(format!("keystore_id {k}")));
        }
        if input.present("vm_id") {
            return Err(unsupported("vm_id".to_owned()));
        }
        Ok(CreateKeyRequest {
            alias,
            spec,
            usage,
            origin,
            description: input
                .string("key_description", DESCRIPTION_LEN)
                .map_err(|e| e.recode(ErrorCode::Kms1103))?
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

pub(super) fn create_key(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let request = CreateKeyRequest::parse(input)?;
    // Key and alias come into existence together: a taken alias creates nothing.
    let (key, _) = ctx
        .kms
        .create_key_with_alias(
            &ctx.caller.tenant,
            CreateKey {
                spec: request.spec,
                usage: request.usage,
                origin: request.origin,
                description: request.description,
                tags: Tags::new(),
            },
            &request.alias,
        )
        .map_err(|e| ctx.core(e))?;
    input.about(key.key_id);
    Ok(json!({
        "key_info": {
            "key_id": key.key_id.to_string(),
            "domain_id": ctx.caller.domain_id(),
            "region_id": ctx.config.settings.region,
        }
    }))
}

fn describe(ctx: &Ctx<'_>, id: &KeyId) -> Result<KeyDescription, HuaweiError> {
    ctx.kms
        .describe_key(&ctx.caller.tenant, id)
        .map_err(|e| ctx.core(e))
}

pub(super) fn describe_key(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let key = describe(ctx, &id)?;
    let alias = key_alias::alias_of(ctx, &id)?;
    Ok(json!({ "key_info": key_details(ctx, &key, &alias) }))
}

/// Every key of the project in key id order (projects in an emulator are small; the filters
/// and `total` need them all anyway).
fn all_keys(ctx: &Ctx<'_>) -> Result<Vec<KeyDescription>, HuaweiError> {
    let size = PageSize::new(PageSize::MAX).map_err(|e| ctx.core(KmsError::Validation(e)))?;
    let mut keys = Vec::new();
    let mut after: Option<KeyId> = None;
    loop {
        let page = ctx
            .kms
            .list_keys(&ctx.caller.tenant, after.as_ref(), size)
            .map_err(|e| ctx.core(e))?;
        keys.extend(page.keys);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(keys),
        }
    }
}

pub(super) fn list_keys(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    // "Range 1 to 2000, Default Value 2000" (Huawei's list-keys page).
    let limit = input
        .number("limit", 1..=2000)
        .map_err(|e| e.recode(ErrorCode::Kms1601))?
        .unwrap_or(2000);
    // The marker is how many matching keys come before the page, in decimal ("例如：10",
    // the SDK's ListKeysRequestBody); next_marker is the next page's.
    let offset = match input.string("marker", 0..=64)? {
        None | Some("") => 0,
        Some(m) => m.parse::<usize>().map_err(|_| {
            HuaweiError::bad(
                ErrorCode::Kms1602,
                "The value of marker must be greater than or equal to 0: marker is a decimal count of keys, as next_marker gives it.",
            )
        })?,
    };
    // The SDK's ^[1-5]{1}$.
    let state = input.choice("key_state", &["1", "2", "3", "4", "5"])?;
    // Huawei lists AES_256 keys unless told otherwise; ALL shows every spec, a spec its keys.
    let spec = match input.string("key_spec", 0..=64)? {
        None => Some(KeySpec::Aes256),
        Some("ALL") => None,
        Some(s) => Some(
            wire_names::key_spec(s)
                .ok_or_else(|| HuaweiError::invalid("Invalid parameter: key_spec."))?,
        ),
    };
    if let Some(p) = input.string("enterprise_project_id", 0..=64)?
        && !matches!(p, "0" | "all")
    {
        return Ok(empty_listing());
    }
    let matching: Vec<KeyDescription> = all_keys(ctx)?
        .into_iter()
        .filter(|k| state.is_none_or(|s| s == state_code(k.state)))
        .filter(|k| spec.is_none_or(|s| s == k.spec))
        .collect();
    let total = matching.len();
    let rest = matching.get(offset..).unwrap_or_default();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let page = &rest[..rest.len().min(limit)];
    let truncated = rest.len() > page.len();
    let aliases = key_alias::all(ctx)?;
    let details: Vec<Value> = page
        .iter()
        .map(|k| {
            let alias = aliases.get(&k.key_id).map_or("", String::as_str);
            key_details(ctx, k, alias)
        })
        .collect();
    let next_marker = if truncated {
        (offset + page.len()).to_string()
    } else {
        String::new()
    };
    Ok(json!({
        "keys": page.iter().map(|k| k.key_id.to_string()).collect::<Vec<_>>(),
        "key_details": details,
        "next_marker": next_marker,
        "truncated": truncated.to_string(),
        "total": total,
    }))
}

fn empty_listing() -> Value {
    json!({ "keys": [], "key_details": [], "next_marker": "", "truncated": "false", "total": 0 })
}

fn key_info(key: &KeyDescription) -> Value {
    json!({ "key_info": { "key_id": key.key_id.to_string(), "key_state": state_code(key.state) } })
}

pub(super) fn enable_key(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let key = ctx
        .kms
        .enable_key_with(&ctx.caller.tenant, &id, TogglePolicy::RefuseRepeat)
        .map_err(|e| ctx.core(e))?;
    Ok(key_info(&key))
}

pub(super) fn disable_key(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let key = ctx
        .kms
        .disable_key_with(&ctx.caller.tenant, &id, TogglePolicy::RefuseRepeat)
        .map_err(|e| ctx.core(e))?;
    Ok(key_info(&key))
}

pub(super) fn schedule_key_deletion(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let days = input
        .required_number("pending_days", 0..=u64::from(u32::MAX))
        .map_err(|e| e.recode(ErrorCode::Kms1401))?;
    let window = u32::try_from(days)
        .ok()
        .and_then(|d| DeletionWindow::days_within(d, PENDING_DAYS).ok())
        .ok_or_else(|| {
            HuaweiError::bad(
                ErrorCode::Kms1401,
                format!(
                    "The deletion of CMKs can be scheduled by {} to {} days in advance: pending_days is {days}.",
                    PENDING_DAYS.start(),
                    PENDING_DAYS.end()
                ),
            )
        })?;
    let key = ctx
        .kms
        .schedule_key_deletion(&ctx.caller.tenant, &id, window, DeletionPolicy::default())
        .map_err(|e| ctx.core(e))?;
    Ok(json!({ "key_id": id.to_string(), "key_state": state_code(key.state) }))
}

pub(super) fn cancel_key_deletion(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let key = ctx
        .kms
        .cancel_key_deletion(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({ "key_id": id.to_string(), "key_state": state_code(key.state) }))
}

pub(super) fn update_key_description(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let description = input
        .string("key_description", DESCRIPTION_LEN)
        .map_err(|e| e.recode(ErrorCode::Kms1103))?
        .ok_or_else(|| HuaweiError::missing("key_description"))?;
    ctx.kms
        .update_key_description(&ctx.caller.tenant, &id, description.to_owned())
        .map_err(|e| ctx.core(e))?;
    Ok(json!({ "key_info": { "key_id": id.to_string(), "key_description": description } }))
}
