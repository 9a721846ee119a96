//! Writes `tests/data/v1-blobs.json`: key records and ciphertext blobs made by the code from
//! before keys held several materials (blob version 1, one material per record). Run once,
//! at that code, with `cargo test -p kms-core --test core make_v1_fixtures -- --ignored`;
//! `old_formats.rs` checks that today's code still reads what it wrote.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::*;

#[test]
#[ignore = "writes the committed fixtures; run only at the commit that made them"]
fn make_v1_fixtures() {
    let root_hex = "5f".repeat(32);
    let root = RootKey::from_hex(&root_hex).unwrap();
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_800_000_000)));
    let kms = Kms::builder(store.clone(), &root).clock(clock).build();
    let tenant = TenantId::new("fixtures/v1").unwrap();
    let ctx: EncryptionContext = [("purpose", "v1 fixture")].into_iter().collect();
    let mut keys = Vec::new();
    // (id, spec, origin, material, what is done after the blobs are made)
    let declared = [
        (
            "0b7d6c8e-1f0a-4c1e-9a57-3d1b2c4e5f60",
            KeySpec::Aes256,
            Origin::External,
            vec![0x11u8; 32],
            "enabled",
        ),
        (
            "1c8e7d9f-2a1b-4d2f-8b68-4e2c3d5f6a71",
            KeySpec::Sm4,
            Origin::External,
            vec![0x22u8; 16],
            "disabled",
        ),
        (
            "2d9f8eaf-3b2c-4e3a-9c79-5f3d4e6a7b82",
            KeySpec::Aes256,
            Origin::Generated,
            vec![0x33u8; 32],
            "enabled",
        ),
        (
            "3eaf9fb0-4c3d-4f4b-8d8a-6a4e5f7b8c93",
            KeySpec::Aes256,
            Origin::External,
            vec![0x44u8; 32],
            "pending deletion",
        ),
    ];
    for (id, spec, origin, material, after) in declared {
        let id: KeyId = id.parse().unwrap();
        kms.seed_key(
            &tenant,
            &SeedKey {
                id,
                spec,
                origin,
                description: format!("v1 fixture, {after}"),
                tags: Default::default(),
                material: SeedMaterial::Given {
                    secret: SecretBytes::from(material.clone()),
                    expiry: Expiry::Never,
                },
                enabled: true,
                aliases: vec![],
            },
        )
        .unwrap();
        let blobs: Vec<_> = [&b""[..], b"x", b"v1 plaintext under an old blob"]
            .iter()
            .map(|p| {
                let blob = kms.encrypt(&tenant, &id, p, &ctx).unwrap();
                serde_json::json!({"plaintext_hex": hex::encode(p), "blob_b64": STANDARD.encode(blob)})
            })
            .collect();
        match after {
            "disabled" => {
                kms.disable_key(&tenant, &id).unwrap();
            }
            "pending deletion" => {
                kms.schedule_key_deletion(
                    &tenant,
                    &id,
                    DeletionWindow::days_within(30, 7..=30).unwrap(),
                    DeletionPolicy::default(),
                )
                .unwrap();
            }
            _ => {}
        }
        let material_id = kms.describe_key(&tenant, &id).unwrap().material_id.unwrap();
        let record = store.get(&tenant, &id).unwrap().unwrap();
        keys.push(serde_json::json!({
            "key_id": id.to_string(),
            "spec": spec.to_string(),
            "origin": format!("{origin:?}"),
            "material_hex": hex::encode(&material),
            "material_id": material_id.to_string(),
            "state": after,
            "record_b64": STANDARD.encode(record),
            "blobs": blobs,
        }));
    }
    let doc = serde_json::json!({
        "made_by": "kms-core at commit ab89ccf (before multi-material keys): tests/core/v1_fixtures.rs, cargo test -p kms-core --test core make_v1_fixtures -- --ignored",
        "root_key_hex": root_hex,
        "tenant": tenant.as_str(),
        "context": {"purpose": "v1 fixture"},
        "keys": keys,
    });
    let path = format!("{}/tests/data/v1-blobs.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
}
