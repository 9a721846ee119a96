//! EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand and
//! ListKeyRotations: AWS's rules on which keys rotate (symmetric keys only; automatic rotation
//! for generated material only; on demand at most 25 times) in front of the core's rotation.

use std::ops::RangeInclusive;

use kms_core::{
    KeyDescription, KeyFamily, KeyId, KeyMaterialInfo, MaterialPresence, MaterialRole,
    OnDemandRules, Origin, RotationPeriod, RotationType,
};
use serde_json::{Value, json};

use super::{Ctx, epoch, invalid_marker, page_size};
use crate::error::{AwsError, ErrorCode, KeyNamer};
use crate::input::{Input, invalid};
use crate::key_ref::Accepts;
use crate::wire_enum::IncludeKeyMaterialWire;

/// `RotationPeriodInDays` as the model bounds it.
const PERIOD_DAYS: RangeInclusive<u32> = 90..=2560;
/// AWS rotates yearly unless told otherwise.
const DEFAULT_PERIOD_DAYS: u32 = 365;
/// On-demand rotations AWS allows per key (the model's RotateKeyOnDemand documentation).
const ON_DEMAND_LIMIT: usize = 25;

fn unsupported(message: String) -> AwsError {
    AwsError::new(ErrorCode::UnsupportedOperationException, message)
}

/// The key named by `KeyId` (a key id or ARN).
fn named_key(ctx: &Ctx<'_>, input: &Input) -> Result<KeyDescription, AwsError> {
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    ctx.kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))
}

/// The key named by `KeyId`, refused unless it is a symmetric encryption key (every rotation
/// operation's first rule but GetKeyRotationStatus's).
fn symmetric_key(ctx: &Ctx<'_>, input: &Input) -> Result<KeyDescription, AwsError> {
    let key = named_key(ctx, input)?;
    let id = key.key_id;
    if key.spec.family() != KeyFamily::Symmetric {
        return Err(unsupported(format!(
            "{} is not a symmetric encryption KMS key; key rotation is supported only on symmetric encryption KMS keys.",
            ctx.caller.key_arn(&id)
        )));
    }
    Ok(key)
}

/// Automatic rotation is for generated material only; refused in AWS's words for an origin
/// an operation does not take.
fn generated_key(ctx: &Ctx<'_>, input: &Input) -> Result<KeyDescription, AwsError> {
    let key = symmetric_key(ctx, input)?;
    if key.origin == Origin::External {
        return Err(unsupported(format!(
            "{} origin is EXTERNAL which is not valid for this operation.",
            ctx.caller.key_arn(&key.key_id)
        )));
    }
    Ok(key)
}

pub(super) fn enable_key_rotation(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let days = input
        .integer(
            "RotationPeriodInDays",
            i64::from(*PERIOD_DAYS.start())..=i64::from(*PERIOD_DAYS.end()),
        )?
        .unwrap_or(i64::from(DEFAULT_PERIOD_DAYS));
    // One path for the period: the member's bounds above already refused anything outside.
    let period = u32::try_from(days)
        .ok()
        .and_then(|d| RotationPeriod::days_within(d, PERIOD_DAYS).ok())
        .ok_or_else(|| {
            invalid(
                "RotationPeriodInDays",
                Some(&days.to_string()),
                "Member must have value between 90 and 2560",
            )
        })?;
    let key = generated_key(ctx, input)?;
    ctx.kms
        .enable_key_rotation(&ctx.caller.tenant, &key.key_id, period)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn disable_key_rotation(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    let key = generated_key(ctx, input)?;
    ctx.kms
        .disable_key_rotation(&ctx.caller.tenant, &key.key_id)
        .map_err(|e| ctx.core(e))?;
    Ok(None)
}

pub(super) fn get_key_rotation_status(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    let key = named_key(ctx, input)?;
    let id = key.key_id;
    // Asymmetric and HMAC keys never rotate automatically, and AWS says so rather than
    // refusing the question: tools that read every key's status (the Terraform provider's
    // aws_kms_key) get `false` for them.
    if key.spec.family() != KeyFamily::Symmetric {
        return Ok(Some(json!({
            "KeyId": ctx.caller.key_arn(&id),
            "KeyRotationEnabled": false,
        })));
    }
    let status = ctx
        .kms
        .key_rotation_status(&ctx.caller.tenant, &key.key_id)
        .map_err(|e| ctx.core(e))?;
    let mut out = json!({
        "KeyId": ctx.caller.key_arn(&key.key_id),
        "KeyRotationEnabled": status.enabled,
    });
    if status.enabled {
        if let Some(period) = status.period {
            out["RotationPeriodInDays"] = json!(period.days());
        }
        if let Some(next) = status.next_rotation {
            out["NextRotationDate"] = epoch(next);
        }
    }
    Ok(Some(out))
}

pub(super) fn rotate_key_on_demand(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    let key = named_key(ctx, input)?;
    if key.spec.family() != KeyFamily::Symmetric {
        // As recorded against AWS: the code alone, with an empty message.
        return Err(unsupported(String::new()));
    }
    // The limit, and an imported key's material pending rotation, are checked by the core
    // inside the key's one update: two requests at once never both pass them.
    ctx.kms
        .rotate_key_on_demand(
            &ctx.caller.tenant,
            &key.key_id,
            OnDemandRules {
                at_most: Some(ON_DEMAND_LIMIT),
                needs_schedule: false,
                min_interval: None,
            },
        )
        .map_err(|e| ctx.core(e))?;
    Ok(Some(json!({ "KeyId": ctx.caller.key_arn(&key.key_id) })))
}

fn entry(ctx: &Ctx<'_>, key: &KeyId, origin: Origin, m: &KeyMaterialInfo) -> Value {
    let mut out = json!({
        "KeyId": ctx.caller.key_arn(key),
        "KeyMaterialId": m.material_id.to_string(),
        "KeyMaterialState": match m.role {
            MaterialRole::Current => "CURRENT",
            MaterialRole::PendingRotation => "PENDING_ROTATION",
            MaterialRole::Previous => "NON_CURRENT",
        },
    });
    // The model: import fields are present for EXTERNAL keys only.
    if origin == Origin::External {
        out["ImportState"] = json!(match m.presence {
            MaterialPresence::Present => "IMPORTED",
            MaterialPresence::PendingImport => "PENDING_IMPORT",
        });
        match m.expiry {
            kms_core::Expiry::Never => {
                out["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE");
            }
            kms_core::Expiry::At(at) => {
                out["ExpirationModel"] = json!("KEY_MATERIAL_EXPIRES");
                out["ValidTo"] = epoch(at);
            }
        }
        if let Some(d) = &m.description {
            out["KeyMaterialDescription"] = json!(d);
        }
    }
    if let Some(r) = m.rotation {
        out["RotationDate"] = epoch(r.at);
        out["RotationType"] = json!(match r.kind {
            RotationType::Automatic => "AUTOMATIC",
            RotationType::OnDemand => "ON_DEMAND",
        });
    }
    out
}

pub(super) fn list_key_rotations(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let include = input
        .enumeration::<IncludeKeyMaterialWire>("IncludeKeyMaterial")?
        .unwrap_or(IncludeKeyMaterialWire::RotationsOnly);
    let size = page_size(input, 100, 1000)?.get();
    let marker = input.string("Marker", 1..=1024)?;
    let key = symmetric_key(ctx, input)?;
    let tenant = &ctx.caller.tenant;
    let materials = match include {
        IncludeKeyMaterialWire::AllKeyMaterial => ctx.kms.list_key_materials(tenant, &key.key_id),
        IncludeKeyMaterialWire::RotationsOnly => ctx.kms.list_key_rotations(tenant, &key.key_id),
    }
    .map_err(|e| ctx.core(e))?;
    // The marker is the material id the previous page ended with, as opaque as AWS's.
    let start = match &marker {
        None => 0,
        Some(m) => {
            let after = m.strip_prefix("rotation.").ok_or_else(invalid_marker)?;
            materials
                .iter()
                .position(|x| x.material_id.to_string() == after)
                .map(|i| i + 1)
                .ok_or_else(invalid_marker)?
        }
    };
    let page: Vec<&KeyMaterialInfo> = materials.iter().skip(start).take(size).collect();
    let truncated = start + page.len() < materials.len();
    let rotations: Vec<Value> = page
        .iter()
        .map(|m| entry(ctx, &key.key_id, key.origin, m))
        .collect();
    let mut out = json!({ "Rotations": rotations, "Truncated": truncated });
    if truncated && let Some(last) = page.last() {
        out["NextMarker"] = json!(format!("rotation.{}", last.material_id));
    }
    Ok(Some(out))
}
