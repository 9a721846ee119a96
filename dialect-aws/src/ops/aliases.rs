//! CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use kms_core::{AliasName, Retarget};
use serde_json::{Value, json};

use super::{Ctx, epoch, invalid_marker, name_marker, page_size, parse_name_marker};
use crate::error::{AwsError, ErrorCode, KeyNamer};
use crate::input::Input;
use crate::key_ref::{Accepts, parse_alias_name};

/// What an alias operation does with the alias it names, which decides how it refuses a name
/// no alias can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    /// CreateAlias: the name is being given, and its model lists InvalidAliasNameException.
    New,
    /// UpdateAlias, DeleteAlias: the name must already be an alias's.
    Existing,
}

/// What AWS answers a CreateAlias whose name lacks the prefix (recorded against AWS in
/// LocalStack's validated snapshot `test_kms.py::TestKMS::test_create_alias`).
const NO_PREFIX: &str = "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html";

fn alias_member(ctx: &Ctx<'_>, input: &Input, named: Named) -> Result<AliasName, AwsError> {
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
    if !text.starts_with("alias/") {
        return Err(AwsError::new(ErrorCode::ValidationException, NO_PREFIX));
    }
    match (parse_alias_name(&text), named) {
        (Ok(name), _) => Ok(name),
        (Err(invalid), Named::New) => Err(invalid),
        // UpdateAlias and DeleteAlias list no InvalidAliasNameException. A name no alias can
        // have (the reserved alias/aws/ prefix: kmsgate has no AWS managed keys; a ':')
        // names no alias, which both answer NotFoundException for (inferred).
        (Err(_), Named::Existing) => Err(AwsError::new(
            ErrorCode::NotFoundException,
            format!("Alias {} is not found.", ctx.caller.arn(&text)),
        )),
    }
}

pub(super) fn create_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let name = alias_member(ctx, input, Named::New)?;
    let target = ctx.key(input, "TargetKeyId", Accepts::KeyOnly)?;
    ctx.kms
        .create_alias(&ctx.caller.tenant, &name, &target)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn update_alias(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let name = alias_member(ctx, input, Named::Existing)?;
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
    let name = alias_member(ctx, input, Named::Existing)?;
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
