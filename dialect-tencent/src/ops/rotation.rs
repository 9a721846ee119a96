//! Key rotation (#17): EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus and
//! RotateKey for generated symmetric keys, and the rotation fields of `KeyMetadata`.
//! Automatic rotation itself runs in the core on the emulated clock.

use kms_core::{KeyDescription, KeyFamily, KeyId, OnDemandRules, Origin, RotationPeriod};
use serde_json::{Map, Value, json};

use super::{Answer, Ctx, core, refuse_member_account};

/// RotateKey's rate: once per 24 hours per key (the SDK's RequestLimitExceeded.RotateRateLimited).
const ROTATE_KEY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
use crate::error::{ErrorCode, TencentError, from_core_enabled_only};
use crate::params::{Params, bad_value};

/// `RotateDays` (the SDK model: "允许范围 7 ~ 365，默认值 365").
const ROTATE_DAYS: std::ops::RangeInclusive<u32> = 7..=365;
const DEFAULT_ROTATE_DAYS: i64 = 365;

/// The key, if it may rotate. Origin and spec never change, so deciding before the core call
/// is as good as deciding inside it, and the refusals get Tencent's own codes:
/// `UnsupportedOperation.ExternalCmkCanNotRotate` ("用户导入类型的CMK禁止轮换") for imported
/// keys, `UnsupportedOperation.RotateNotSupported` ("不支持轮转") for keys of other specs,
/// for which Tencent names no code of its own (inferred).
fn rotatable(ctx: &Ctx<'_>, id: &KeyId) -> Result<KeyDescription, TencentError> {
    let key = ctx.kms.describe_key(&ctx.caller.tenant, id).map_err(core)?;
    if key.origin == Origin::External {
        return Err(TencentError::new(
            ErrorCode::UnsupportedOperationExternalCmkCanNotRotate,
            format!("The CMK `{id}` has imported key material (EXTERNAL) and cannot rotate."),
        ));
    }
    if key.spec.family() != KeyFamily::Symmetric {
        return Err(TencentError::new(
            ErrorCode::UnsupportedOperationRotateNotSupported,
            format!("The CMK `{id}` is not a symmetric ENCRYPT_DECRYPT key and cannot rotate."),
        ));
    }
    Ok(key)
}

/// EnableKeyRotation's parameters, parsed.
struct EnableRequest {
    key_id: KeyId,
    period: RotationPeriod,
}

impl EnableRequest {
    fn parse(ctx: &Ctx<'_>, params: &Params) -> Result<Self, TencentError> {
        let key_id = ctx.key_id(params, "KeyId")?;
        let days = params.integer("RotateDays")?.unwrap_or(DEFAULT_ROTATE_DAYS);
        let period = u32::try_from(days)
            .ok()
            .and_then(|d| RotationPeriod::days_within(d, ROTATE_DAYS).ok())
            .ok_or_else(|| {
                bad_value(
                    ErrorCode::InvalidParameterValue,
                    "RotateDays",
                    "it must be between 7 and 365",
                )
            })?;
        refuse_member_account(params)?;
        Ok(EnableRequest { key_id, period })
    }
}

/// Enabling again with the same period keeps the planned date; another period restarts the
/// schedule from now (the core's rule).
pub(super) fn enable_key_rotation(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let request = EnableRequest::parse(ctx, params)?;
    rotatable(ctx, &request.key_id)?;
    ctx.kms
        .enable_key_rotation(&ctx.caller.tenant, &request.key_id, request.period)
        .map_err(core)?;
    Ok(Map::new())
}

/// DisableKeyRotation's documented errors name no rotation refusal (neither
/// ExternalCmkCanNotRotate nor RotateNotSupported), so a key that never rotates (imported,
/// asymmetric) is answered as already off, changing nothing (inferred from that list).
pub(super) fn disable_key_rotation(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(core)?;
    if !may_rotate(&key) {
        return Ok(Map::new());
    }
    ctx.kms
        .disable_key_rotation(&ctx.caller.tenant, &id)
        .map_err(core)?;
    Ok(Map::new())
}

/// A read: every existing key answers, imported and asymmetric ones (which never rotate)
/// with `false` (inferred: Tencent lists no error for this action on such keys).
pub(super) fn get_key_rotation_status(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(core)?;
    let enabled = if may_rotate(&key) {
        ctx.kms
            .key_rotation_status(&ctx.caller.tenant, &id)
            .map_err(core)?
            .enabled
    } else {
        false
    };
    let mut out = Map::new();
    out.insert("KeyRotationEnabled".into(), json!(enabled));
    Ok(out)
}

/// RotateKey: a new material now. RotateNotSupported is "不支持轮转（未开启轮转、外部密钥、副本
/// 密钥）": rotation not enabled, an external key, a replica. So RotateKey answers it for
/// imported keys too (the older ExternalCmkCanNotRotate stays with EnableKeyRotation), and a
/// key must have rotation enabled first. Tencent runs the
/// rotation as a task (`TaskId`); kmsgate rotates before answering, so DescribeKey shows the
/// new LastRotateTime at once. Tencent's once-per-24-hours limit
/// (`RequestLimitExceeded.RotateRateLimited`) holds on the emulated clock.
pub(super) fn rotate_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    refuse_member_account(params)?;
    let tenant = &ctx.caller.tenant;
    let key = ctx.kms.describe_key(tenant, &id).map_err(core)?;
    if !may_rotate(&key) {
        return Err(TencentError::new(
            ErrorCode::UnsupportedOperationRotateNotSupported,
            match key.origin {
                Origin::External => format!(
                    "The CMK `{id}` has imported key material (EXTERNAL) and cannot rotate."
                ),
                Origin::Generated => format!(
                    "The CMK `{id}` is not a symmetric ENCRYPT_DECRYPT key and cannot rotate."
                ),
            },
        ));
    }
    // Only a key with rotation enabled rotates on demand, at most once per 24 hours
    // (RequestLimitExceeded.RotateRateLimited): checked by the core in the same update as
    // the rotation, so a concurrent disable or rotation is never missed.
    let rules = OnDemandRules {
        at_most: None,
        needs_schedule: true,
        min_interval: Some(ROTATE_KEY_INTERVAL),
    };
    ctx.kms
        .rotate_key_on_demand(tenant, &id, rules)
        .map_err(|e| from_core_enabled_only(&e))?;
    let mut out = Map::new();
    out.insert(
        "TaskId".into(),
        json!(dialect_kit::request_uuid().to_string()),
    );
    Ok(out)
}

fn may_rotate(key: &KeyDescription) -> bool {
    key.origin == Origin::Generated && key.spec.family() == KeyFamily::Symmetric
}

/// `KeyMetadata` with its rotation fields filled in: KeyRotationEnabled, RotateDays,
/// NextRotateTime and LastRotateTime (Unix seconds; 0 for none, as Tencent's other unset
/// times). A key that vanished since it was described (a listing racing a purge) keeps the
/// zeros rather than failing the whole answer.
pub(crate) fn with_rotation(ctx: &Ctx<'_>, key: &KeyDescription, metadata: Value) -> Value {
    let Value::Object(mut m) = metadata else {
        return metadata;
    };
    if may_rotate(key) {
        let tenant = &ctx.caller.tenant;
        if let Ok(status) = ctx.kms.key_rotation_status(tenant, &key.key_id) {
            m.insert("KeyRotationEnabled".into(), json!(status.enabled));
            if status.enabled {
                let days = status.period.map_or(0, RotationPeriod::days);
                let next = status.next_rotation.map_or(0, |t| t.as_secs());
                m.insert("RotateDays".into(), json!(days));
                m.insert("NextRotateTime".into(), json!(next));
            }
        }
        if let Ok(rotations) = ctx.kms.list_key_rotations(tenant, &key.key_id) {
            let last = rotations.iter().filter_map(|r| r.rotation).map(|r| r.at);
            let last = last.max().map_or(0, |t| t.as_secs());
            m.insert("LastRotateTime".into(), json!(last));
        }
    }
    Value::Object(m)
}
