//! `KeyMetadata`, as DescribeKey, CreateKey and friends return it.

use kms_core::{Expiry, KeyDescription, KeyFamily, KeyStateKind, KeyUsage, Origin};
use serde_json::{Map, Value, json};

use super::algorithms::{encryption_list, mac_list, signing_list};
use super::epoch;
use crate::caller::Caller;
use crate::error::{KeyNamer, spec_name};

pub(crate) fn key_state(state: KeyStateKind) -> &'static str {
    match state {
        KeyStateKind::Enabled => "Enabled",
        KeyStateKind::Disabled => "Disabled",
        KeyStateKind::PendingImport => "PendingImport",
        KeyStateKind::PendingDeletion => "PendingDeletion",
    }
}

pub(crate) fn origin(origin: Origin) -> &'static str {
    match origin {
        Origin::Generated => "AWS_KMS",
        Origin::External => "EXTERNAL",
    }
}

pub(crate) fn key_metadata(caller: &Caller, key: &KeyDescription) -> Value {
    let mut m = Map::new();
    m.insert("AWSAccountId".into(), json!(caller.account.to_string()));
    m.insert("KeyId".into(), json!(key.key_id.to_string()));
    m.insert("Arn".into(), json!(caller.key_arn(&key.key_id)));
    m.insert("CreationDate".into(), epoch(key.created_at));
    m.insert("Enabled".into(), json!(key.state == KeyStateKind::Enabled));
    m.insert("Description".into(), json!(key.description));
    m.insert("KeyUsage".into(), json!(key.usage.to_string()));
    m.insert("KeyState".into(), json!(key_state(key.state)));
    if let Some(date) = key.deletion_date {
        m.insert("DeletionDate".into(), epoch(date));
    }
    m.insert("Origin".into(), json!(origin(key.origin)));
    // AWS shows the expiration model of imported material only while the key holds some.
    if key.origin == Origin::External {
        match key.material_expiry {
            Some(Expiry::At(at)) => {
                m.insert("ValidTo".into(), epoch(at));
                m.insert("ExpirationModel".into(), json!("KEY_MATERIAL_EXPIRES"));
            }
            Some(Expiry::Never) => {
                m.insert(
                    "ExpirationModel".into(),
                    json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
                );
            }
            None => {}
        }
    }
    m.insert("KeyManager".into(), json!("CUSTOMER"));
    let spec = spec_name(key.spec);
    m.insert("CustomerMasterKeySpec".into(), json!(spec));
    m.insert("KeySpec".into(), json!(spec));
    // Each list only with its usage, as the model documents.
    match key.usage {
        KeyUsage::EncryptDecrypt => {
            m.insert(
                "EncryptionAlgorithms".into(),
                encryption_list(key.encryption_algorithms()),
            );
        }
        KeyUsage::SignVerify => {
            m.insert(
                "SigningAlgorithms".into(),
                signing_list(key.signing_algorithms()),
            );
        }
        KeyUsage::GenerateVerifyMac => {
            m.insert("MacAlgorithms".into(), mac_list(key.mac_algorithms()));
        }
    }
    m.insert("MultiRegion".into(), json!(false));
    // "Present for symmetric encryption keys" only (the model's CurrentKeyMaterialId); AWS
    // still names it once the material is deleted or expired (recorded in LocalStack's
    // snapshot test_import_key_symmetric, describe-key-after-deleted-import).
    if key.spec.family() == KeyFamily::Symmetric
        && let Some(id) = &key.material_id
    {
        m.insert("CurrentKeyMaterialId".into(), json!(id.to_string()));
    }
    Value::Object(m)
}
