//! Key management: CreateKey, DescribeKey, ListKeys, Enable/DisableKey, deletion scheduling,
//! descriptions.

use kms_core::{CreateKey, DeletionPolicy, DeletionWindow, KeyId, KeySpec, KeyUsage, Origin, Tags};
use serde_json::{Value, json};

use super::metadata::{key_metadata, key_state};
use super::tags::parse_tags;
use super::{Ctx, epoch, invalid_marker, page_size};
use crate::error::KeyNamer;
use crate::error::{AwsError, ErrorCode};
use crate::input::{Input, invalid};
use crate::key_ref::Accepts;
use crate::wire_enum::{CustomerMasterKeySpecWire, KeySpecWire, KeyUsageWire, OriginWire};

const DESCRIPTION_LEN: std::ops::RangeInclusive<usize> = 0..=8192;

struct CreateKeyRequest {
    origin: Origin,
    description: String,
    tags: Tags,
}

impl CreateKeyRequest {
    fn parse(input: &Input) -> Result<Self, AwsError> {
        let unsupported = |what: &str| {
            AwsError::new(
                ErrorCode::UnsupportedOperationException,
                format!("kmsgate emulates symmetric encryption keys only; {what} is not supported"),
            )
        };
        let spec = input.enumeration::<KeySpecWire>("KeySpec")?;
        let legacy = input.enumeration::<CustomerMasterKeySpecWire>("CustomerMasterKeySpec")?;
        if spec.is_some() && legacy.is_some() {
            return Err(AwsError::new(
                ErrorCode::ValidationException,
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request.",
            ));
        }
        if let Some(s) = spec.filter(|s| *s != KeySpecWire::SymmetricDefault) {
            return Err(unsupported(&format!("KeySpec {}", s.as_str())));
        }
        if let Some(s) = legacy.filter(|s| *s != CustomerMasterKeySpecWire::SymmetricDefault) {
            return Err(unsupported(&format!(
                "CustomerMasterKeySpec {}",
                s.as_str()
            )));
        }
        match input.enumeration::<KeyUsageWire>("KeyUsage")? {
            None | Some(KeyUsageWire::EncryptDecrypt) => {}
            Some(u) => {
                return Err(AwsError::new(
                    ErrorCode::ValidationException,
                    format!(
                        "KeyUsage {} is not compatible with KeySpec SYMMETRIC_DEFAULT",
                        u.as_str()
                    ),
                ));
            }
        }
        let origin = match input.enumeration::<OriginWire>("Origin")? {
            None | Some(OriginWire::AwsKms) => Origin::Generated,
            Some(OriginWire::External) => Origin::External,
            Some(o) => return Err(unsupported(&format!("Origin {}", o.as_str()))),
        };
        if input.string("CustomKeyStoreId", 1..=64)?.is_some() {
            return Err(unsupported("a custom key store"));
        }
        if input.boolean("MultiRegion")? {
            return Err(unsupported("a multi-Region key"));
        }
        input.string("Policy", 1..=131_072)?;
        Ok(CreateKeyRequest {
            origin,
            description: input
                .string("Description", DESCRIPTION_LEN)?
                .unwrap_or_default(),
            tags: parse_tags(input, "Tags")?.unwrap_or_default(),
        })
    }
}

pub(super) fn create_key(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let request = CreateKeyRequest::parse(input)?;
    // One spec name on the wire, two ciphers behind it: China regions get SM4.
    let spec = if ctx.caller.is_china() {
        KeySpec::Sm4
    } else {
        KeySpec::Aes256
    };
    let key = ctx
        .kms
        .create_key(
            &ctx.caller.tenant,
            CreateKey {
                spec,
                usage: KeyUsage::EncryptDecrypt,
                origin: request.origin,
                description: request.description,
                tags: request.tags,
            },
        )
        .map_err(|e| ctx.core(e))?;
    ctx.about(key.key_id);
    Ok(Some(
        json!({ "KeyMetadata": key_metadata(ctx.caller, &key) }),
    ))
}

pub(super) fn describe_key(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(Some(
        json!({ "KeyMetadata": key_metadata(ctx.caller, &key) }),
    ))
}

pub(super) fn list_keys(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let size = page_size(input, 100)?;
    let after: Option<KeyId> = match input.string("Marker", 1..=1024)? {
        Some(m) => Some(m.parse().map_err(|_| invalid_marker())?),
        None => None,
    };
    let page = ctx
        .kms
        .list_keys(&ctx.caller.tenant, after.as_ref(), size)
        .map_err(|e| ctx.core(e))?;
    let keys: Vec<Value> = page
        .keys
        .iter()
        .map(|k| json!({ "KeyId": k.key_id.to_string(), "KeyArn": ctx.caller.key_arn(&k.key_id) }))
        .collect();
    let mut out = json!({ "Keys": keys, "Truncated": page.next.is_some() });
    if let Some(next) = page.next {
        out["NextMarker"] = json!(next.to_string());
    }
    Ok(Some(out))
}

pub(super) fn enable_key(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    ctx.kms
        .enable_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn disable_key(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    ctx.kms
        .disable_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn schedule_key_deletion(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    // The model allows 1..=365; the service only 7..=30 (default 30).
    let days = input.integer("PendingWindowInDays", 1..=365)?.unwrap_or(30);
    let window = u32::try_from(days)
        .ok()
        .and_then(|d| DeletionWindow::days_within(d, 7..=30).ok())
        .ok_or_else(|| {
            invalid(
                "PendingWindowInDays",
                Some(&days.to_string()),
                "Member must have value between 7 and 30",
            )
        })?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    let key = ctx
        .kms
        .schedule_key_deletion(&ctx.caller.tenant, &id, window, DeletionPolicy::default())
        .map_err(|e| ctx.core(e))?;
    let mut out = json!({
        "KeyId": ctx.caller.key_arn(&id),
        "KeyState": key_state(key.state),
        "PendingWindowInDays": window.days(),
    });
    if let Some(date) = key.deletion_date {
        out["DeletionDate"] = epoch(date);
    }
    Ok(Some(out))
}

pub(super) fn cancel_key_deletion(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    ctx.kms
        .cancel_key_deletion(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(Some(json!({ "KeyId": ctx.caller.key_arn(&id) })))
}

pub(super) fn update_key_description(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    let description = input.required_string("Description", DESCRIPTION_LEN)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    ctx.kms
        .update_key_description(&ctx.caller.tenant, &id, description)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}
