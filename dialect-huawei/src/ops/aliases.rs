//! The aliases API: create, associate (re-point), delete, list. Alias names follow
//! `^[a-zA-Z0-9:/_-]{1,255}$` and are unique per project; they are separate from the
//! `key_alias` each key is created with.

use kms_core::{AliasEntry, AliasName, KmsError, PageSize, Retarget};
use serde_json::{Value, json};

use super::Ctx;
use super::key_alias::well_formed;
use crate::error::{ErrorCode, HuaweiError};
use crate::input::Input;

/// Sorts after every key alias (`#...`) and before every alias name, so listings that start
/// here see only the aliases API's names.
const FIRST_ALIAS: &str = "$";

pub(crate) fn alias_name(field: &str, name: &str) -> Result<AliasName, HuaweiError> {
    let bad = || {
        HuaweiError::bad(
            ErrorCode::Kms1101,
            format!("Invalid key_alias: {field} must match ^[a-zA-Z0-9:/_-]{{1,255}}$."),
        )
    };
    if !well_formed(name) {
        return Err(bad());
    }
    AliasName::new(name).map_err(|_| bad())
}

fn alias_field(input: &Input, field: &str) -> Result<AliasName, HuaweiError> {
    alias_name(field, input.required(field, 1..=1024)?)
}

fn entity(ctx: &Ctx<'_>, a: &AliasEntry) -> Value {
    let domain = ctx.caller.domain_id();
    json!({
        "domain_id": domain,
        "key_id": a.target.to_string(),
        "alias": a.name.as_str(),
        "alias_urn": format!("kms:{}:{domain}:alias:{}", ctx.config.settings.region, a.name),
        "create_time": iso_time(a.created_at),
        "update_time": iso_time(a.updated_at),
    })
}

/// The aliases API's times, as its pages show them: `2024-04-01T00:00:00Z`.
fn iso_time(t: kms_core::Timestamp) -> String {
    format!(
        "{}Z",
        dialect_kit::calendar::DateTime::from_unix(t.as_secs()).date_time()
    )
}

pub(super) fn create_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let name = alias_field(input, "alias")?;
    let entry = ctx
        .kms
        .create_alias(&ctx.caller.tenant, &name, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(entity(ctx, &entry))
}

pub(super) fn associate_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let name = alias_field(input, "alias")?;
    let id = input.key_id("target_key_id")?;
    let entry = ctx
        .kms
        .update_alias(&ctx.caller.tenant, &name, &id, Retarget::AnyKey)
        .map_err(|e| ctx.core(e))?;
    Ok(entity(ctx, &entry))
}

/// Deletes all the named aliases of `key_id`, or none: every one must exist and point at it.
pub(super) fn delete_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let names = input
        .string_list("aliases")?
        .filter(|l| !l.is_empty())
        .ok_or_else(|| HuaweiError::missing("aliases"))?;
    let names = names
        .iter()
        .map(|n| alias_name("aliases", n))
        .collect::<Result<Vec<_>, _>>()?;
    let tenant = &ctx.caller.tenant;
    for name in &names {
        let target = ctx
            .kms
            .resolve_alias(tenant, name)
            .map_err(|e| ctx.core(e))?;
        if target != id {
            return Err(HuaweiError::invalid(format!(
                "Invalid parameter: alias {name} is not associated with key {id}."
            )));
        }
    }
    for name in &names {
        match ctx.kms.delete_alias(tenant, name) {
            // Deleted meanwhile by someone else: the outcome asked for.
            Ok(()) | Err(KmsError::AliasNotFound { .. }) => {}
            Err(e) => return Err(ctx.core(e)),
        }
    }
    Ok(json!({}))
}

pub(super) fn list_aliases(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    // "Range 1-100" (Huawei's ListAliases page).
    let limit = input.number("limit", 1..=100)?.unwrap_or(100);
    let size = usize::try_from(limit)
        .ok()
        .and_then(|n| PageSize::new(n).ok())
        .ok_or_else(|| HuaweiError::invalid("Invalid parameter: limit."))?;
    let after = match input.string("marker", 0..=1024)? {
        None | Some("") => AliasName::new(FIRST_ALIAS),
        Some(m) if well_formed(m) => AliasName::new(m),
        Some(_) => {
            return Err(HuaweiError::invalid(
                "Invalid parameter: marker must be a next_marker of this listing.",
            ));
        }
    }
    .map_err(|e| ctx.core(KmsError::Validation(e)))?;
    let target = input.optional_key_id("key_id")?;
    let tenant = &ctx.caller.tenant;
    if let Some(id) = &target {
        // Listing the aliases of a key that does not exist is an error, not an empty list.
        ctx.kms.describe_key(tenant, id).map_err(|e| ctx.core(e))?;
    }
    let page = ctx
        .kms
        .list_aliases(tenant, target.as_ref(), Some(&after), size)
        .map_err(|e| ctx.core(e))?;
    let aliases: Vec<Value> = page.aliases.iter().map(|a| entity(ctx, a)).collect();
    Ok(json!({
        "aliases": aliases,
        "page_info": {
            "next_marker": page.next.map(|n| n.as_str().to_owned()).unwrap_or_default(),
            "current_count": page.aliases.len(),
        },
    }))
}
