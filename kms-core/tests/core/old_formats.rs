//! What the code from before multi-material keys wrote still works: its records (format 1,
//! one material) decode, and its blobs (version 1, no material id) decrypt, also after the
//! key rotated. The fixtures are `tests/data/v1-blobs.json` (how they were made: its
//! `made_by`).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::*;

fn load() -> (serde_json::Value, Arc<Kms>, TenantId) {
    let doc = crate::support::json("v1-blobs.json");
    let root = RootKey::from_hex(doc["root_key_hex"].as_str().unwrap()).unwrap();
    let tenant = TenantId::new(doc["tenant"].as_str().unwrap()).unwrap();
    let store = Arc::new(MemoryStore::new());
    for key in doc["keys"].as_array().unwrap() {
        let id: KeyId = key["key_id"].as_str().unwrap().parse().unwrap();
        let bytes = STANDARD
            .decode(key["record_b64"].as_str().unwrap())
            .unwrap();
        let mut record = Some(bytes);
        store
            .update(&tenant, &id, &mut |_| match record.take() {
                Some(b) => store::Change::Put(b),
                None => store::Change::Keep,
            })
            .unwrap();
    }
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_800_000_100)));
    let kms = Kms::builder(store, &root).clock(clock).build();
    (doc, Arc::new(kms), tenant)
}

fn context(doc: &serde_json::Value) -> EncryptionContext {
    doc["context"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn old_records_decode_and_old_blobs_decrypt() {
    let (doc, kms, tenant) = load();
    let ctx = context(&doc);
    for key in doc["keys"].as_array().unwrap() {
        let id: KeyId = key["key_id"].as_str().unwrap().parse().unwrap();
        let material_id: MaterialId = key["material_id"].as_str().unwrap().parse().unwrap();
        let d = kms.describe_key(&tenant, &id).unwrap();
        assert_eq!(d.material_id, Some(material_id), "{id}");
        let expected = match key["state"].as_str().unwrap() {
            "enabled" => KeyStateKind::Enabled,
            "disabled" => KeyStateKind::Disabled,
            _ => KeyStateKind::PendingDeletion,
        };
        assert_eq!(d.state, expected, "{id}");
        let materials = kms.list_key_materials(&tenant, &id).unwrap();
        assert_eq!(materials.len(), 1);
        assert_eq!(materials[0].role, MaterialRole::Current);
        // Make every key usable again, as its users would.
        if expected == KeyStateKind::PendingDeletion {
            kms.cancel_key_deletion(&tenant, &id).unwrap();
        }
        if expected != KeyStateKind::Enabled {
            kms.enable_key(&tenant, &id).unwrap();
        }
        for blob in key["blobs"].as_array().unwrap() {
            let bytes = STANDARD.decode(blob["blob_b64"].as_str().unwrap()).unwrap();
            let plain = hex::decode(blob["plaintext_hex"].as_str().unwrap()).unwrap();
            let back = kms.decrypt(&tenant, &bytes, &ctx).unwrap();
            assert_eq!(back.plaintext.expose(), plain.as_slice());
            assert_eq!(back.material_id, Some(material_id));
            assert!(
                kms.decrypt(&tenant, &bytes, &EncryptionContext::new())
                    .is_err()
            );
        }
    }
}

/// After a rotation (which rewrites the record in the new format) an old blob is still
/// decrypted by the material that made it.
#[test]
fn old_blobs_decrypt_after_rotation() {
    let (doc, kms, tenant) = load();
    let ctx = context(&doc);
    let generated = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["origin"] == "Generated")
        .unwrap();
    let id: KeyId = generated["key_id"].as_str().unwrap().parse().unwrap();
    let first: MaterialId = generated["material_id"].as_str().unwrap().parse().unwrap();
    let rotated = kms
        .rotate_key_on_demand(&tenant, &id, OnDemandRules::ANY)
        .unwrap();
    assert_ne!(rotated.material_id, Some(first));
    for blob in generated["blobs"].as_array().unwrap() {
        let bytes = STANDARD.decode(blob["blob_b64"].as_str().unwrap()).unwrap();
        let back = kms.decrypt(&tenant, &bytes, &ctx).unwrap();
        assert_eq!(back.material_id, Some(first));
    }
    let fresh = kms.encrypt(&tenant, &id, b"new", &ctx).unwrap();
    assert_eq!(fresh[0], 2, "blobs written now are version 2");
    assert_eq!(
        kms.decrypt(&tenant, &fresh, &ctx).unwrap().material_id,
        rotated.material_id
    );
}
