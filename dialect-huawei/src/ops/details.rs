//! KeyDetails, Huawei's description of a key: every value a string, times in milliseconds.

use kms_core::{Expiry, KeyDescription, Origin};
use serde_json::{Value, json};

use super::Ctx;
use super::wire_names::{key_spec_name, key_usage_name};
use crate::error::state_code;

pub(super) fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Generated => "kms",
        Origin::External => "external",
    }
}

pub(super) fn key_details(ctx: &Ctx<'_>, key: &KeyDescription, alias: &str) -> Value {
    let ms = |t: kms_core::Timestamp| t.as_millis().to_string();
    let expiration = match key.material_expiry {
        Some(Expiry::At(t)) => ms(t),
        Some(Expiry::Never) | None => String::new(),
    };
    json!({
        "key_id": key.key_id.to_string(),
        "domain_id": ctx.caller.domain_id(),
        "key_alias": alias,
        "realm": ctx.config.settings.region,
        "key_spec": key_spec_name(key.spec),
        "key_usage": key_usage_name(key.usage),
        "key_description": key.description,
        "creation_date": ms(key.created_at),
        "scheduled_deletion_date": key.deletion_date.map(ms).unwrap_or_default(),
        "key_state": state_code(key.state),
        "default_key_flag": "0",
        "key_type": "1",
        "expiration_time": expiration,
        "origin": origin(key.origin),
        "key_rotation_enabled": super::rotation::enabled_flag(ctx, key),
        "sys_enterprise_project_id": "0",
        "keystore_id": "0",
    })
}
