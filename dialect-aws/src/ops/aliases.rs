//! CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use kms_core::{AliasName, Retarget};
use serde_json::{Value, json};

use super::{Ctx, epoch, invalid_marker, name_marker, page_size, parse_name_marker};
use crate::error::{AwsError, KeyNamer};
use crate::input::Input;
use crate::key_ref::{Accepts, parse_alias_name};

fn alias_member(input: &Input) -> Result<AliasName, AwsError> {
    let text = input.required_string("AliasName", 1..=256)?;
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
    {
        return Err(crate::input::invalid(
            "AliasName",
            Some(&text),
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ));
    }
    parse_alias_name(&text)
}

pub(super) fn create_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let name = alias_member(input)?;
    let target = ctx.key(input, "TargetKeyId", Accepts::KeyOnly)?;
    ctx.kms
        .create_alias(&ctx.caller.tenant, &name, &target)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn update_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let name = alias_member(input)?;
    let target = ctx.key(input, "TargetKeyId", Accepts::KeyOnly)?;
    ctx.kms
        .update_alias(
            &ctx.caller.tenant,
            &name,
            &target,
            // "The current and new KMS key must be the same type (both symmetric or both
            // asymmetric or both HMAC), and they must have the same key usage."
            Retarget::SameTypeAndUsage,
        )
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn delete_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let name = alias_member(input)?;
    ctx.kms
        .delete_alias(&ctx.caller.tenant, &name)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn list_aliases(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let size = page_size(input, 50, 100)?;
    let after = match input.string("Marker", 1..=1024)? {
        Some(m) => {
            Some(AliasName::new(parse_name_marker("alias", &m)?).map_err(|_| invalid_marker())?)
        }
        None => None,
    };
    let target = match input.string("KeyId", 1..=2048)? {
        Some(_) => Some(ctx.key(input, "KeyId", Accepts::KeyOnly)?),
        None => None,
    };
    if let Some(id) = &target {
        // Listing by a key that does not exist is NotFound, not an empty list.
        ctx.kms
            .describe_key(&ctx.caller.tenant, id)
            .map_err(|e| ctx.core(e))?;
    }
    let page = ctx
        .kms
        .list_aliases(&ctx.caller.tenant, target.as_ref(), after.as_ref(), size)
        .map_err(|e| ctx.core(e))?;
    let aliases: Vec<Value> = page
        .aliases
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.name.as_str(),
                "AliasArn": ctx.caller.alias_arn(&a.name),
                "TargetKeyId": a.target.to_string(),
                "CreationDate": epoch(a.created_at),
                "LastUpdatedDate": epoch(a.updated_at),
            })
        })
        .collect();
    let mut out = json!({ "Aliases": aliases, "Truncated": page.next.is_some() });
    if let Some(next) = page.next {
        out["NextMarker"] = json!(name_marker("alias", next.as_str()));
    }
    Ok(Some(out))
}
