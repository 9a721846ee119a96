//! `KeyMetadata` as the SDK's model has it (DescribeKey, DescribeKeys, ListKeyDetail).

use kms_core::{AliasName, Expiry, KeyDescription, KeySpec, KeyStateKind, Origin};
use serde_json::{Map, Value, json};

use crate::caller::Caller;

pub(crate) fn key_state(state: KeyStateKind) -> &'static str {
    match state {
        KeyStateKind::Enabled => "Enabled",
        KeyStateKind::Disabled => "Disabled",
        KeyStateKind::PendingImport => "PendingImport",
        KeyStateKind::PendingDeletion => "PendingDelete",
    }
}

pub(crate) fn origin(origin: Origin) -> &'static str {
    match origin {
        Origin::Generated => "TENCENT_KMS",
        Origin::External => "EXTERNAL",
    }
}

/// KeyMetadata.Type: the compliance flag of the key's cipher, 2 = FIPS (AES-256), 4 = SM.
pub(crate) fn compliance_type(spec: KeySpec) -> u8 {
    match spec {
        KeySpec::Aes256 => 2,
        KeySpec::Sm4 => 4,
        // #16: keys this dialect does not create yet; SM2 is SM-CRYPTO, the rest FIPS.
        KeySpec::Sm2 | KeySpec::HmacSm3 => 4,
        _ => 2,
    }
}

/// Unix seconds of a material expiry; 0 is Tencent's "never" (and "no material").
pub(crate) fn valid_to(key: &KeyDescription) -> u64 {
    match key.material_expiry {
        Some(Expiry::At(at)) => at.as_secs(),
        Some(Expiry::Never) | None => 0,
    }
}

pub(crate) fn key_metadata(
    caller: &Caller,
    key: &KeyDescription,
    alias: Option<&AliasName>,
) -> Value {
    let uin = caller.account.get();
    let mut m = Map::new();
    m.insert("KeyId".into(), json!(key.key_id.to_string()));
    m.insert("Alias".into(), json!(alias.map_or("", AliasName::as_str)));
    m.insert("CreateTime".into(), json!(key.created_at.as_secs()));
    m.insert("Description".into(), json!(key.description));
    m.insert("KeyState".into(), json!(key_state(key.state)));
    m.insert("KeyUsage".into(), json!("ENCRYPT_DECRYPT"));
    m.insert("Type".into(), json!(compliance_type(key.spec)));
    m.insert("CreatorUin".into(), json!(uin));
    m.insert("KeyRotationEnabled".into(), json!(false));
    m.insert("Owner".into(), json!("user"));
    m.insert("NextRotateTime".into(), json!(0));
    m.insert(
        "DeletionDate".into(),
        json!(key.deletion_date.map_or(0, |d| d.as_secs())),
    );
    m.insert("Origin".into(), json!(origin(key.origin)));
    m.insert("ValidTo".into(), json!(valid_to(key)));
    m.insert(
        "ResourceId".into(),
        json!(format!("creatorUin/{uin}/{}", key.key_id)),
    );
    m.insert("HsmClusterId".into(), json!(""));
    m.insert("RotateDays".into(), json!(0));
    m.insert("LastRotateTime".into(), json!(0));
    m.insert("IsSyncReplica".into(), json!(0));
    m.insert("SourceRegion".into(), json!(""));
    m.insert("SyncStatus".into(), json!(0));
    m.insert("SyncMessages".into(), json!(""));
    m.insert("SyncStartTime".into(), json!(0));
    m.insert("SyncEndTime".into(), json!(0));
    m.insert("SourceHsmClusterId".into(), json!(""));
    m.insert("CreatorUinString".into(), json!(uin.to_string()));
    Value::Object(m)
}
