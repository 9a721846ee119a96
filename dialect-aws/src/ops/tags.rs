//! TagResource, UntagResource, ListResourceTags, and the `Tags` member CreateKey shares.

use kms_core::Tags;
use serde_json::{Value, json};

use super::{Ctx, name_marker, page_size, parse_name_marker};
use crate::error::{AwsError, ErrorCode};
use crate::input::Input;
use crate::key_ref::Accepts;

fn tag_error(message: String) -> AwsError {
    AwsError::new(ErrorCode::TagException, message)
}

/// A `Tags` list of `{TagKey, TagValue}`; `aws:` keys are reserved for AWS, and a key may
/// appear once (AWS's messages, as recorded against AWS in LocalStack's snapshots).
pub(super) fn parse_tags(input: &Input, member: &str) -> Result<Option<Tags>, AwsError> {
    let Some(pairs) = input.structures(member, |tag| {
        let key = tag.required_string("TagKey", 1..=128)?;
        let value = tag.required_string("TagValue", 0..=256)?;
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(tag_error("Tags beginning with aws: are reserved".into()));
        }
        Ok((key, value))
    })?
    else {
        return Ok(None);
    };
    let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(tag_error("Duplicate tag keys".into()));
    }
    Tags::from_pairs(pairs)
        .map(Some)
        .map_err(|e| crate::error::from_core(&e, &super::NoNames))
}

pub(super) fn tag_resource(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let tags = parse_tags(input, "Tags")?
        .ok_or_else(|| crate::input::invalid("Tags", None, "Member must not be null"))?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    ctx.kms
        .tag_key(&ctx.caller.tenant, &id, &tags)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn untag_resource(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let keys = input
        // The model bounds no TagKeyList's length.
        .string_list("TagKeys", 1..=128, usize::MAX)?
        .ok_or_else(|| crate::input::invalid("TagKeys", None, "Member must not be null"))?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    ctx.kms
        .untag_key(&ctx.caller.tenant, &id, &keys)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn list_resource_tags(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let size = page_size(input, 50, 50)?.get();
    let marker = match input.string("Marker", 1..=1024)? {
        Some(m) => Some(parse_name_marker("tag", &m)?),
        None => None,
    };
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    // The marker holds the last tag key of the previous page; a tag removed between pages
    // still orders correctly.
    let mut rest = key
        .tags
        .iter()
        .filter(|(k, _)| marker.as_deref().is_none_or(|m| *k > m));
    let page: Vec<(&str, &str)> = rest.by_ref().take(size).collect();
    let truncated = rest.next().is_some();
    let tags: Vec<Value> = page
        .iter()
        .map(|(k, v)| json!({ "TagKey": k, "TagValue": v }))
        .collect();
    let mut out = json!({ "Tags": tags, "Truncated": truncated });
    if truncated && let Some((last, _)) = page.last() {
        out["NextMarker"] = json!(name_marker("tag", last));
    }
    Ok(Some(out))
}
