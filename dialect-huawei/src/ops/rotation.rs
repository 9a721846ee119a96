//! Key rotation (#17): enable-key-rotation, disable-key-rotation, get-key-rotation-status
//! (the SDK's show_key_rotation_status), update-key-rotation-interval and rotate-on-demand,
//! for generated symmetric keys. Automatic rotation itself runs in the core on the emulated
//! clock; this file only speaks Huawei's shapes.

use kms_core::{
    Expiry, KeyDescription, KeyFamily, KeyId, KeyMaterialInfo, MaterialRole, OnDemandRules, Origin,
    RotationPeriod, RotationStatus, Timestamp,
};
use serde_json::{Value, json};

use super::Ctx;
use crate::error::{ErrorCode, HuaweiError};
use crate::input::Input;

/// `rotation_interval`, in days (the SDK model: "取值范围为30~365的整数").
const INTERVAL_DAYS: std::ops::RangeInclusive<u32> = 30..=365;
/// enable-key-rotation's interval ("开启密钥轮换后，默认轮换间隔时间为365天").
const DEFAULT_INTERVAL_DAYS: u32 = 365;

fn ms(t: Timestamp) -> String {
    t.as_millis().to_string()
}

/// The key, if it may rotate at all. Origin and spec never change, so deciding here before
/// the core call is as good as deciding inside it, and it lets the refusals carry Huawei's
/// own codes: KMS.0312 "External keys cannot be rotated" (Huawei's error-code page;
/// enable_key_rotation's SDK doc: "外部导入密钥不支持轮换操作"). Huawei documents no code for
/// asymmetric and HMAC keys: KMS.0308, an invalid parameter (the key), saying why.
fn rotatable(ctx: &Ctx<'_>, id: &KeyId) -> Result<KeyDescription, HuaweiError> {
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, id)
        .map_err(|e| ctx.core(e))?;
    match key.origin {
        Origin::External => Err(HuaweiError::bad(
            ErrorCode::Kms0312,
            format!("External keys cannot be rotated: key {id} has origin external."),
        )),
        Origin::Generated if key.spec.family() != KeyFamily::Symmetric => {
            Err(HuaweiError::invalid(format!(
                "Invalid parameter: key_id. Key rotation is supported only for symmetric keys; key {id} is {}.",
                super::wire_names::key_spec_name(key.spec)
            )))
        }
        Origin::Generated => Ok(key),
    }
}

fn default_interval() -> Result<RotationPeriod, HuaweiError> {
    RotationPeriod::days_within(DEFAULT_INTERVAL_DAYS, INTERVAL_DAYS)
        .map_err(|e| HuaweiError::invalid(format!("Invalid parameter: {e}.")))
}

pub(super) fn enable_key_rotation(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    rotatable(ctx, &id)?;
    let tenant = &ctx.caller.tenant;
    // Enabling again keeps the interval (and planned date) already set; a first enable (or
    // one after disable, which forgets the schedule) starts with Huawei's default.
    let status = ctx
        .kms
        .key_rotation_status(tenant, &id)
        .map_err(|e| ctx.core(e))?;
    let period = match status.period.filter(|_| status.enabled) {
        Some(p) => p,
        None => default_interval()?,
    };
    ctx.kms
        .enable_key_rotation(tenant, &id, period)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({}))
}

pub(super) fn disable_key_rotation(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    rotatable(ctx, &id)?;
    ctx.kms
        .disable_key_rotation(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({}))
}

/// update-key-rotation-interval's body, parsed.
struct IntervalRequest {
    key_id: KeyId,
    period: RotationPeriod,
}

impl IntervalRequest {
    fn parse(input: &Input) -> Result<Self, HuaweiError> {
        let key_id = input.key_id("key_id")?;
        let days = input.required_number("rotation_interval", 0..=u64::from(u32::MAX))?;
        let period = u32::try_from(days)
            .ok()
            .and_then(|d| RotationPeriod::days_within(d, INTERVAL_DAYS).ok())
            .ok_or_else(|| {
                HuaweiError::invalid(format!(
                    "Invalid parameter: rotation_interval must be between {} and {}.",
                    INTERVAL_DAYS.start(),
                    INTERVAL_DAYS.end()
                ))
            })?;
        Ok(IntervalRequest { key_id, period })
    }
}

/// Changes the interval of a key that rotates; KMS.0313 "Key rotation is not enabled"
/// (Huawei's error-code page) otherwise. A new interval restarts the schedule from now.
pub(super) fn update_key_rotation_interval(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Value, HuaweiError> {
    let request = IntervalRequest::parse(input)?;
    let id = request.key_id;
    rotatable(ctx, &id)?;
    // One core update: a key whose rotation is off (KMS.0313) stays off, even if it was
    // disabled a moment ago.
    ctx.kms
        .change_rotation_period(&ctx.caller.tenant, &id, request.period)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({}))
}

/// Rotates a generated key now. Huawei's SDK documents the operation for external keys
/// whose new material was imported beforehand; Huawei's import has no way to say "new
/// material" in kmsgate's emulation, so external keys get KMS.0312 here too.
pub(super) fn rotate_on_demand(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    rotatable(ctx, &id)?;
    ctx.kms
        .rotate_key_on_demand(&ctx.caller.tenant, &id, OnDemandRules::ANY)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({ "key_id": id.to_string() }))
}

/// get-key-rotation-status. Any key that exists answers: external keys (which never rotate)
/// and asymmetric ones say `false` with their one material, as a read should.
pub(super) fn get_key_rotation_status(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let tenant = &ctx.caller.tenant;
    let key = ctx.kms.describe_key(tenant, &id).map_err(|e| ctx.core(e))?;
    let status = if key.spec.family() == KeyFamily::Symmetric {
        Some(
            ctx.kms
                .key_rotation_status(tenant, &id)
                .map_err(|e| ctx.core(e))?,
        )
    } else {
        None
    };
    let materials = ctx
        .kms
        .list_key_materials(tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(status_body(status.as_ref(), &materials))
}

fn status_body(status: Option<&RotationStatus>, materials: &[KeyMaterialInfo]) -> Value {
    let enabled = status.is_some_and(|s| s.enabled);
    let interval = status
        .and_then(|s| s.period)
        .map_or(DEFAULT_INTERVAL_DAYS, RotationPeriod::days);
    let rotations: Vec<_> = materials.iter().filter_map(|m| m.rotation).collect();
    // Milliseconds, as every other Huawei time kmsgate answers (KeyDetails): the model's
    // text says seconds, but Huawei's published example for this API answers
    // "last_rotation_time": "1501578672000".
    let last = rotations.iter().map(|r| r.at).max().map(ms);
    let items: Vec<Value> = materials.iter().map(material).collect();
    json!({
        "key_rotation_enabled": enabled,
        "rotation_interval": interval,
        "last_rotation_time": last.unwrap_or_default(),
        "number_of_rotations": rotations.len(),
        "key_materials": items,
    })
}

/// One `key_materials[]` entry. `state` is the model's "0：等待轮转状态；2：启用状态": a
/// material pending rotation is 0; the current and previous ones (which still decrypt) 2.
fn material(m: &KeyMaterialInfo) -> Value {
    let state = match m.role {
        MaterialRole::PendingRotation => 0,
        MaterialRole::Current | MaterialRole::Previous => 2,
    };
    let expiration = match m.expiry {
        Expiry::At(t) => ms(t),
        Expiry::Never => String::new(),
    };
    json!({
        "material_id": material_uuid(&m.material_id.to_string()),
        "charge_id": "",
        "create_time": ms(m.created_at),
        "expiration_time": expiration,
        "state": state,
    })
}

/// The model calls `material_id` "uuid格式": the first 128 bits of kmsgate's 64-hex material
/// id laid out as a UUID (stable for a material; not a v4 UUID).
fn material_uuid(hex: &str) -> String {
    match (
        hex.get(0..8),
        hex.get(8..12),
        hex.get(12..16),
        hex.get(16..20),
        hex.get(20..32),
    ) {
        (Some(a), Some(b), Some(c), Some(d), Some(e)) => format!("{a}-{b}-{c}-{d}-{e}"),
        _ => hex.to_owned(),
    }
}

/// What KeyDetails' `key_rotation_enabled` says ("true"/"false", a string like every
/// KeyDetails value). A key that vanished since it was described (a listing racing a purge)
/// says "false" rather than failing the whole answer.
pub(super) fn enabled_flag(ctx: &Ctx<'_>, key: &KeyDescription) -> &'static str {
    let rotates = key.origin == Origin::Generated
        && key.spec.family() == KeyFamily::Symmetric
        && ctx
            .kms
            .key_rotation_status(&ctx.caller.tenant, &key.key_id)
            .is_ok_and(|s| s.enabled);
    if rotates { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_ids_are_uuid_shaped() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(material_uuid(hex), "00112233-4455-6677-8899-aabbccddeeff");
    }

    #[test]
    fn status_of_a_key_without_rotation() {
        let body = status_body(None, &[]);
        assert_eq!(body["key_rotation_enabled"], json!(false));
        assert_eq!(body["rotation_interval"], json!(365));
        assert_eq!(body["last_rotation_time"], json!(""));
        assert_eq!(body["number_of_rotations"], json!(0));
        assert_eq!(body["key_materials"], json!([]));
    }
}
