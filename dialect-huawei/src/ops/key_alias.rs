//! `key_alias`, the name every Huawei key is created with. It is unique per project, so it
//! lives in the core's alias namespace (which guarantees uniqueness and forgets aliases of
//! purged keys) under a prefix that the names of the aliases API cannot start with.

use std::collections::HashMap;

use kms_core::{AliasName, KeyId, KmsError, PageSize, Retarget};
use serde_json::{Value, json};

use super::Ctx;
use crate::alias_names::KEY_ALIAS_PREFIX;
use crate::error::{ErrorCode, HuaweiError};
use crate::input::Input;

/// Names of the aliases API and key aliases share Huawei's pattern
/// `^[a-zA-Z0-9:/_-]{1,255}$`; a key alias may not end in `/default` (reserved for the
/// default keys of cloud services).
pub(super) fn well_formed(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
}

pub(super) fn parse(input: &Input, field: &str) -> Result<AliasName, HuaweiError> {
    named(input.required(field, 1..=1024)?, field)
}

pub(crate) fn named(name: &str, field: &str) -> Result<AliasName, HuaweiError> {
    if !well_formed(name) || name.ends_with("/default") {
        return Err(HuaweiError::bad(
            ErrorCode::Kms1101,
            format!(
                "Invalid key_alias: {field} must match ^[a-zA-Z0-9:/_-]{{1,255}}$ and not end with /default."
            ),
        ));
    }
    AliasName::new(format!("{KEY_ALIAS_PREFIX}{name}"))
        .map_err(|e| crate::error::from_core(&KmsError::Validation(e)))
}

pub(super) use crate::alias_names::shown;

/// The key alias of one key ("" if it has none, which only a failed creation can leave).
pub(super) fn alias_of(ctx: &Ctx<'_>, id: &KeyId) -> Result<String, HuaweiError> {
    let one = PageSize::new(1).map_err(|e| ctx.core(KmsError::Validation(e)))?;
    let page = ctx
        .kms
        .list_aliases(&ctx.caller.tenant, Some(id), None, one)
        .map_err(|e| ctx.core(e))?;
    Ok(page
        .aliases
        .first()
        .filter(|a| a.name.as_str().starts_with(KEY_ALIAS_PREFIX))
        .map(|a| shown(&a.name).to_owned())
        .unwrap_or_default())
}

/// Every key alias of the project, by key (for listings).
pub(super) fn all(ctx: &Ctx<'_>) -> Result<HashMap<KeyId, String>, HuaweiError> {
    let size = PageSize::new(PageSize::MAX).map_err(|e| ctx.core(KmsError::Validation(e)))?;
    let mut out = HashMap::new();
    let mut after: Option<AliasName> = None;
    loop {
        let page = ctx
            .kms
            .list_aliases(&ctx.caller.tenant, None, after.as_ref(), size)
            .map_err(|e| ctx.core(e))?;
        for a in &page.aliases {
            if !a.name.as_str().starts_with(KEY_ALIAS_PREFIX) {
                return Ok(out);
            }
            out.insert(a.target, shown(&a.name).to_owned());
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}

pub(super) fn update_key_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let name = parse(input, "key_alias")?;
    let tenant = &ctx.caller.tenant;
    ctx.kms.describe_key(tenant, &id).map_err(|e| ctx.core(e))?;
    let current = alias_of(ctx, &id)?;
    if current != shown(&name) {
        // The core takes the new name first and drops the old one, undoing itself if it
        // cannot: a taken name, or a key that may not change, changes nothing.
        let old = match current.as_str() {
            "" => None,
            shown_name => AliasName::new(format!("{KEY_ALIAS_PREFIX}{shown_name}")).ok(),
        };
        match old {
            Some(old) => ctx.kms.rename_alias(tenant, &old, &name),
            None => ctx.kms.create_alias(tenant, &name, &id),
        }
        .map_err(|e| ctx.core(e))?;
    } else {
        // Renaming to the same name still requires a key that may change.
        ctx.kms
            .update_alias(tenant, &name, &id, Retarget::AnyKey)
            .map_err(|e| ctx.core(e))?;
    }
    Ok(json!({ "key_info": { "key_id": id.to_string(), "key_alias": shown(&name) } }))
}
