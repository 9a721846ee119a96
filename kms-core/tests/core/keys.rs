//! Key management: create, describe, list, enable/disable, descriptions, tenants.

use std::sync::Arc;
use std::time::Duration;

use kms_core::*;

use crate::support::*;

#[test]
fn generated_keys_start_enabled_with_material_that_never_expires() {
    let f = fixture();
    for spec in KeySpec::SYMMETRIC {
        let d = f
            .kms
            .create_key(
                &f.tenant,
                CreateKey {
                    spec,
                    usage: spec.default_usage(),
                    origin: Origin::Generated,
                    description: "gen".into(),
                    tags: Default::default(),
                },
            )
            .unwrap();
        assert_eq!(d.state, KeyStateKind::Enabled);
        assert_eq!(d.material_expiry, Some(Expiry::Never));
        assert_eq!(
            (d.spec, d.description.as_str(), d.created_at),
            (spec, "gen", START)
        );
        assert!(d.material_id.is_some());
        assert_eq!(d.key_id.to_string().len(), 36);
        assert_eq!(f.describe(&d.key_id), d);
    }
}

#[test]
fn enable_disable_and_update_description() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    assert_eq!(
        f.kms.disable_key(&f.tenant, &key).unwrap().state,
        KeyStateKind::Disabled
    );
    assert!(matches!(f.encrypt(&key, b"x"), Err(KmsError::Disabled { key_id }) if key_id == key));
    assert_eq!(
        f.kms.disable_key(&f.tenant, &key).unwrap().state,
        KeyStateKind::Disabled
    );
    assert_eq!(
        f.kms.enable_key(&f.tenant, &key).unwrap().state,
        KeyStateKind::Enabled
    );
    let d = f
        .kms
        .update_key_description(&f.tenant, &key, "new words".into())
        .unwrap();
    assert_eq!(d.description, "new words");
    assert_eq!(f.describe(&key).description, "new words");
}

#[test]
fn listing_pages_through_a_tenants_keys_only() {
    let f = fixture();
    let mut mine: Vec<KeyId> = (0..5).map(|_| f.external(KeySpec::Sm4)).collect();
    mine.sort();
    let other = TenantId::new("someone-else").unwrap();
    f.kms
        .create_key(
            &other,
            CreateKey {
                spec: KeySpec::Sm4,
                usage: KeySpec::Sm4.default_usage(),
                origin: Origin::Generated,
                description: String::new(),
                tags: Default::default(),
            },
        )
        .unwrap();
    let size = PageSize::new(2).unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = f.kms.list_keys(&f.tenant, after.as_ref(), size).unwrap();
        seen.extend(page.keys.iter().map(|d| d.key_id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, mine);
    assert!(PageSize::new(0).is_err());
    assert!(PageSize::new(1001).is_err());
}

#[test]
fn keys_never_cross_tenants() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let blob = f.encrypt(&key, b"mine").unwrap();
    let other = TenantId::new("tenant-b").unwrap();
    assert!(matches!(
        f.kms.describe_key(&other, &key),
        Err(KmsError::KeyNotFound { .. })
    ));
    assert!(matches!(
        f.kms.disable_key(&other, &key),
        Err(KmsError::KeyNotFound { .. })
    ));
    // Decrypt names no key, so another tenant's blob is just not a ciphertext for this one.
    assert!(matches!(
        f.kms.decrypt(&other, &blob, &EncryptionContext::new()),
        Err(KmsError::InvalidCiphertext)
    ));
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
}

#[test]
fn the_background_sweeper_runs_and_stops_on_drop() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), f.later(1)).unwrap();
    f.clock.advance(Duration::from_secs(2));
    let sweeper = Sweeper::start(Arc::clone(&f.kms), Duration::from_millis(5)).unwrap();
    // Waits for the first pass; the bound only guards against a sweeper that never runs.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let raw = f.kms.store().get(&f.tenant, &key).unwrap().unwrap();
        if String::from_utf8_lossy(&raw).contains("PendingImport") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "sweeper never ran");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The pass is counted just after its last write.
    while sweeper.stats().changed == 0 {
        assert!(std::time::Instant::now() < deadline, "pass never counted");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(sweeper.stats().runs >= 1);
    drop(sweeper);
}

/// An operation judges the key at the time it holds it, not at the time it asked for it:
/// here the deletion date passes while CancelKeyDeletion waits for the store, so the key is
/// purged, as everyone reading it by then already sees, and not brought back.
#[test]
fn time_is_read_once_the_store_holds_the_key() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let id = f.create(KeySpec::Aes256, Origin::Generated);
    f.kms.disable_key(&f.tenant, &id).unwrap();
    f.kms
        .schedule_key_deletion(
            &f.tenant,
            &id,
            DeletionWindow::days_within(7, 7..=30).unwrap(),
            DeletionPolicy::default(),
        )
        .unwrap();
    f.clock
        .advance(Duration::from_secs(7 * 86_400) - Duration::from_millis(1));
    let clock = f.clock.clone();
    store.before_next_update(move || clock.advance(Duration::from_millis(2)));
    assert!(matches!(
        f.kms.cancel_key_deletion(&f.tenant, &id),
        Err(KmsError::KeyNotFound { .. })
    ));
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &id),
        Err(KmsError::KeyNotFound { .. })
    ));
}
