//! Stored values are authenticated as a whole: an edited, moved or foreign record is corrupt
//! (never usable), one corrupt record does not take a tenant's listing down, and a store
//! written before records were authenticated is upgraded once, at start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::store::Change;
use kms_core::*;

use crate::support::*;

fn corrupt<T: std::fmt::Debug>(r: Result<T, KmsError>) {
    assert!(
        matches!(r, Err(KmsError::Internal(InternalError::CorruptRecord(_)))),
        "{r:?}"
    );
}

/// Rewrites the stored bytes of `id` with `edit`.
fn tamper(store: &dyn KeyStore, tenant: &TenantId, id: &KeyId, edit: impl Fn(Vec<u8>) -> Vec<u8>) {
    store
        .update(tenant, id, &mut |current| {
            Change::Put(edit(current.expect("record").to_vec()))
        })
        .unwrap();
}

fn replace(bytes: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    let from = from.as_bytes();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} not in the record", String::from_utf8_lossy(from)));
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(to.as_bytes());
    out.extend_from_slice(&bytes[at + from.len()..]);
    out
}

fn page() -> PageSize {
    PageSize::new(PageSize::MAX).unwrap()
}

#[test]
fn a_disabled_key_edited_to_enabled_is_corrupt_and_never_usable() {
    let store = Arc::new(MemoryStore::new());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let id = f.create(KeySpec::Aes256, Origin::Generated);
    let blob = f.encrypt(&id, b"secret").unwrap();
    f.kms.disable_key(&f.tenant, &id).unwrap();
    tamper(&*store, &f.tenant, &id, |b| {
        replace(b, "\"Disabled\"", "\"Enabled\"")
    });
    corrupt(f.kms.describe_key(&f.tenant, &id));
    corrupt(f.decrypt(&blob));
    corrupt(f.kms.enable_key(&f.tenant, &id));
    // Nothing that touches it writes it back valid.
    corrupt(f.kms.describe_key(&f.tenant, &id));
}

#[test]
fn a_record_moved_to_another_key_or_tenant_is_corrupt() {
    let store = Arc::new(MemoryStore::new());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let a = f.create(KeySpec::Aes256, Origin::Generated);
    let b = f.create(KeySpec::Aes256, Origin::Generated);
    let a_bytes = store.get(&f.tenant, &a).unwrap().unwrap();
    tamper(&*store, &f.tenant, &b, |_| a_bytes.clone());
    corrupt(f.kms.describe_key(&f.tenant, &b));
    let other = TenantId::new("tenant-b").unwrap();
    store
        .update(&other, &a, &mut |_| Change::Put(a_bytes.clone()))
        .unwrap();
    corrupt(f.kms.describe_key(&other, &a));
    // Under another root key nothing verifies, not even a key without material.
    let pending = f.external(KeySpec::Aes256);
    let foreign = fixture_over(store.clone(), &RootKey::from_bytes([8; 32]));
    corrupt(foreign.kms.describe_key(&f.tenant, &pending));
}

#[test]
fn one_corrupt_record_leaves_the_tenant_listed_and_is_counted() {
    let store = Arc::new(MemoryStore::new());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let ids: Vec<KeyId> = (0..3)
        .map(|_| f.create(KeySpec::Aes256, Origin::Generated))
        .collect();
    tamper(&*store, &f.tenant, &ids[1], |b| {
        replace(b, "\"Aes256\"", "\"Sm4\"")
    });
    let listed: Vec<KeyId> = f
        .kms
        .list_keys(&f.tenant, None, page())
        .unwrap()
        .keys
        .iter()
        .map(|k| k.key_id)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(!listed.contains(&ids[1]));
    let counts = f.kms.count_by_state().unwrap();
    assert_eq!((counts.enabled, counts.unreadable), (2, 1));
    corrupt(f.kms.describe_key(&f.tenant, &ids[1]));
}

#[test]
fn an_edited_alias_is_corrupt_and_left_out_of_listings() {
    let store = Arc::new(MemoryStore::new());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let a = f.create(KeySpec::Aes256, Origin::Generated);
    let b = f.create(KeySpec::Aes256, Origin::Generated);
    let good = AliasName::new("alias/good").unwrap();
    let moved = AliasName::new("alias/moved").unwrap();
    f.kms.create_alias(&f.tenant, &good, &a).unwrap();
    f.kms.create_alias(&f.tenant, &moved, &a).unwrap();
    store
        .update_alias(&f.tenant, &moved, &mut |current| {
            let text = current.unwrap().to_vec();
            Change::Put(replace(text, &a.to_string(), &b.to_string()))
        })
        .unwrap();
    corrupt(f.kms.resolve_alias(&f.tenant, &moved));
    let page = f.kms.list_aliases(&f.tenant, None, None, page()).unwrap();
    let names: Vec<&str> = page.aliases.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["alias/good"]);
}

#[test]
fn metadata_is_authenticated_for_its_name() {
    let store = Arc::new(MemoryStore::new());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    f.kms.put_meta("clock", b"state").unwrap();
    assert_eq!(f.kms.get_meta("clock").unwrap(), Some(b"state".to_vec()));
    let stored = store.get_meta("clock").unwrap().unwrap();
    store.put_meta("other", &stored).unwrap();
    corrupt(f.kms.get_meta("other"));
    store.put_meta("clock", b"{\"offset\":1}").unwrap();
    corrupt(f.kms.get_meta("clock"));
}

/// A copy of the store committed from the format before records were authenticated.
fn v1_store() -> (tempfile::TempDir, PathBuf, RootKey, serde_json::Value) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1-store");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.redb");
    std::fs::copy(data.join("keys.redb"), &path).unwrap();
    let root = std::fs::read_to_string(data.join("root.key")).unwrap();
    let root = RootKey::from_hex(&root).unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("expected.json")).unwrap()).unwrap();
    (dir, path, root, expected)
}

fn tenant(name: &str) -> TenantId {
    TenantId::new(name).unwrap()
}

fn id(text: &str) -> KeyId {
    text.parse().unwrap()
}

#[test]
fn a_store_of_the_previous_format_is_upgraded_once_and_keeps_everything() {
    let (_dir, path, root, expected) = v1_store();
    let store = Arc::new(RedbStore::open(&path).unwrap());
    let mut f = fixture_over(store.clone(), &root);
    // Before the pending key's deletion date (the store was made in November 2026).
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_796_000_000)));
    f.kms = Arc::new(
        Kms::builder(store.clone(), &root)
            .clock(clock)
            .key_pairs(f.pairs.clone())
            .build(),
    );
    let us = tenant("aws/111122223333/us-east-1");
    let imported = id("11111111-1111-4111-8111-111111111111");
    // Before the upgrade its records are refused like any unauthenticated value.
    corrupt(f.kms.describe_key(&us, &imported));

    let report = f.kms.upgrade_store(&["clock"]).unwrap();
    assert_eq!(
        report,
        UpgradeReport {
            keys: 4,
            aliases: 3,
            meta: 1,
            unreadable: 0
        }
    );
    let d = f.kms.describe_key(&us, &imported).unwrap();
    assert_eq!(
        (d.state, d.origin),
        (KeyStateKind::Enabled, Origin::External)
    );
    assert_eq!(d.tags.get("team"), Some("payments"));
    let disabled = id("22222222-2222-4222-8222-222222222222");
    assert_eq!(
        f.kms.describe_key(&us, &disabled).unwrap().state,
        KeyStateKind::Disabled
    );
    let pending = id("33333333-3333-4333-8333-333333333333");
    assert_eq!(
        f.kms.describe_key(&us, &pending).unwrap().state,
        KeyStateKind::PendingDeletion
    );
    let alias = AliasName::new("alias/imported").unwrap();
    assert_eq!(f.kms.resolve_alias(&us, &alias).unwrap(), imported);
    assert!(f.kms.get_meta("clock").unwrap().is_some());
    for case in expected["blobs"].as_array().unwrap() {
        let blob = STANDARD.decode(case["blob"].as_str().unwrap()).unwrap();
        let t = tenant(case["tenant"].as_str().unwrap());
        let opened = f.kms.decrypt(&t, &blob, &EncryptionContext::new()).unwrap();
        assert_eq!(
            opened.plaintext.expose(),
            case["plaintext"].as_str().unwrap().as_bytes()
        );
    }
    // The imported material keeps its fingerprint: the same material re-imports.
    let material =
        hex::decode("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").unwrap();
    let f_us = Fixture {
        tenant: us.clone(),
        ..fixture_over(store.clone(), &root)
    };
    f_us.import_plain(&imported, &material, Expiry::Never)
        .unwrap();

    // Done once: a second start rewrites nothing.
    assert!(f_us.kms.upgrade_store(&["clock"]).unwrap().is_empty());
}

#[test]
fn after_the_upgrade_an_unauthenticated_record_is_refused_and_never_blessed() {
    let (_dir, path, root, _) = v1_store();
    let store = Arc::new(RedbStore::open(&path).unwrap());
    let f = fixture_over(store.clone(), &root);
    let us = tenant("aws/111122223333/us-east-1");
    let disabled = id("22222222-2222-4222-8222-222222222222");
    // Keep the old, unauthenticated bytes of the disabled key, edited to Enabled.
    let legacy = store.get(&us, &disabled).unwrap().unwrap();
    let forged = replace(legacy, "\"Disabled\"", "\"Enabled\"");
    f.kms.upgrade_store(&["clock"]).unwrap();
    tamper(&*store, &us, &disabled, |_| forged.clone());
    corrupt(f.kms.describe_key(&us, &disabled));
    assert!(f.kms.upgrade_store(&["clock"]).unwrap().is_empty());
    corrupt(f.kms.describe_key(&us, &disabled));
}

#[test]
fn a_store_written_by_this_version_is_never_upgraded_even_without_its_marker() {
    let store = Arc::new(MemoryStore::new());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let planted = id("55555555-5555-4555-8555-555555555555");
    store
        .update(&f.tenant, &planted, &mut |_| {
            Change::Put(br#"{"format":1}"#.to_vec())
        })
        .unwrap();
    // No marker was ever written (no upgrade ran), but the store holds authenticated records.
    assert!(f.kms.upgrade_store(&[]).unwrap().is_empty());
    corrupt(f.kms.describe_key(&f.tenant, &planted));
    f.kms.describe_key(&f.tenant, &key).unwrap();
}
