//! Key management: CreateKey, DescribeKey, ListKeys, Enable/DisableKey, deletion scheduling,
//! descriptions.

use kms_core::{
    CreateKey, DeletionPolicy, DeletionWindow, KeyFamily, KeyId, KeySpec, KeyUsage, Origin, Tags,
};
use serde_json::{Value, json};

use super::metadata::{key_metadata, key_state};
use super::tags::parse_tags;
use super::{Ctx, algorithms, epoch, invalid_marker, page_size};
use crate::error::KeyNamer;
use crate::error::{AwsError, ErrorCode, usage_not_compatible};
use crate::input::{Input, invalid};
use crate::key_ref::Accepts;
use crate::wire_enum::{
    CustomerMasterKeySpecWire, KeySpecWire, KeyUsageWire, OriginWire, ResourceOwnerWire, WireEnum,
};

const DESCRIPTION_LEN: std::ops::RangeInclusive<usize> = 0..=8192;

struct CreateKeyRequest {
    spec: KeySpec,
    usage: KeyUsage,
    origin: Origin,
    description: String,
    tags: Tags,
}

impl CreateKeyRequest {
    fn parse(input: &Input, china: bool) -> Result<Self, AwsError> {
        let unsupported = |what: &str| {
            AwsError::new(
                ErrorCode::UnsupportedOperationException,
                format!("kmsgate does not emulate {what}"),
            )
        };
        let spec = input.enumeration::<KeySpecWire>("KeySpec")?;
        let legacy = input.enumeration::<CustomerMasterKeySpecWire>("CustomerMasterKeySpec")?;
        let wire = match (spec, legacy) {
            (Some(_), Some(_)) => {
                return Err(AwsError::new(
                    ErrorCode::ValidationException,
                    "You cannot specify KeySpec and CustomerMasterKeySpec in the same request.",
                ));
            }
            (Some(s), None) => s,
            // The deprecated member's values are all KeySpec values.
            (None, Some(l)) => KeySpecWire::from_wire(l.as_str())
                .ok_or_else(|| unsupported(&format!("CustomerMasterKeySpec {}", l.as_str())))?,
            (None, None) => KeySpecWire::SymmetricDefault,
        };
        let spec = algorithms::key_spec(wire, china)?;
        let usage = match input.enumeration::<KeyUsageWire>("KeyUsage")? {
            None if spec.family() == KeyFamily::Symmetric => KeyUsage::EncryptDecrypt,
            // AWS's recorded wording.
            None => {
                return Err(AwsError::new(
                    ErrorCode::ValidationException,
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
                ));
            }
            Some(u) => match algorithms::key_usage(u) {
                Some(usage) => usage,
                None if algorithms::aws_offers_unemulated(u, spec) => {
                    return Err(unsupported(&format!("KeyUsage {}", u.as_str())));
                }
                None => return Err(usage_not_compatible(u.as_str(), spec)),
            },
        };
        // Before the origin: AWS_CLOUDHSM and EXTERNAL_KEY_STORE keys name the store they
        // live in, and there is none here.
        if input.string("CustomKeyStoreId", 1..=64)?.is_some() {
            return Err(crate::error::no_custom_key_store());
        }
        let origin = match input.enumeration::<OriginWire>("Origin")? {
            None | Some(OriginWire::AwsKms) => Origin::Generated,
            Some(OriginWire::External) => Origin::External,
            Some(o) => return Err(unsupported(&format!("Origin {}", o.as_str()))),
        };
        if input.boolean("MultiRegion")? {
            return Err(unsupported("multi-Region keys"));
        }
        // Only an EXTERNAL_KEY_STORE key (refused above) takes an XksKeyId: "not valid for
        // KMS keys with any other Origin value".
        if input.present("XksKeyId") {
            return Err(AwsError::new(
                ErrorCode::ValidationException,
                "XksKeyId is valid only for KMS keys with Origin EXTERNAL_KEY_STORE",
            ));
        }
        // Key policies are not enforced, but must still be what the model allows:
        // `[\u0009\u000A\u000D\u0020-\u00FF]+`.
        if let Some(policy) = input.string("Policy", 1..=131_072)?
            && !policy
                .chars()
                .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
        {
            // The policy itself is left out of the message: it may be 128 KiB long.
            return Err(AwsError::new(
                ErrorCode::ValidationException,
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            ));
        }
        Ok(CreateKeyRequest {
            spec,
            usage,
            origin,
            description: input
                .string("Description", DESCRIPTION_LEN)?
                .unwrap_or_default(),
            tags: parse_tags(input, "Tags")?.unwrap_or_default(),
        })
    }
}

pub(super) fn create_key(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let request = CreateKeyRequest::parse(input, ctx.caller.is_china())?;
    let key = ctx
        .kms
        .create_key(
            &ctx.caller.tenant,
            CreateKey {
                spec: request.spec,
                usage: request.usage,
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
    let size = page_size(input, 100, 1000)?;
    let after: Option<KeyId> = match input.string("Marker", 1..=1024)? {
        Some(m) => Some(m.parse().map_err(|_| invalid_marker())?),
        None => None,
    };
    // Only SELF's keys exist here: no other account shares keys through RAM, so a list of
    // OTHER_ACCOUNTS_VIA_RAM alone is empty ("doesn't include KMS keys that your account
    // owns").
    let owners = input.enumeration_list::<ResourceOwnerWire>("ResourceOwners", 1..=2)?;
    if owners.is_some_and(|o| !o.contains(&ResourceOwnerWire::SelfOwned)) {
        return Ok(Some(json!({ "Keys": [], "Truncated": false })));
    }
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
