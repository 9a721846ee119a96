//! What operators use: resetting state, the readability check behind health, and the counts
//! behind metrics.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kms_core::wrapping::{KeyPairPool, PoolTargets, Reuse};

use kms_core::*;

use crate::support::*;

fn root(byte: u8) -> RootKey {
    RootKey::from_bytes([byte; 32])
}

fn redb(dir: &Path) -> Arc<RedbStore> {
    Arc::new(RedbStore::open(&dir.join("keys.redb")).unwrap())
}

fn alias(name: &str) -> AliasName {
    AliasName::new(name).unwrap()
}

fn aliases(f: &Fixture, tenant: &TenantId) -> usize {
    let size = PageSize::new(PageSize::MAX).unwrap();
    let page = f.kms.list_aliases(tenant, None, None, size).unwrap();
    page.aliases.len()
}

fn keys(f: &Fixture, tenant: &TenantId) -> usize {
    let size = PageSize::new(PageSize::MAX).unwrap();
    f.kms.list_keys(tenant, None, size).unwrap().keys.len()
}

fn resets_one_tenant_or_all(store: Arc<dyn KeyStore>) {
    let f = fixture_over(store.clone(), &root(7));
    let other = TenantId::new("tenant-a2").unwrap();
    let mine = [
        f.create(KeySpec::Aes256, Origin::Generated),
        f.external(KeySpec::Sm4),
    ];
    f.kms
        .create_alias(&f.tenant, &alias("alias/a"), &mine[0])
        .unwrap();
    let theirs = f
        .kms
        .create_key(
            &other,
            CreateKey {
                spec: KeySpec::Aes256,
                usage: KeySpec::Aes256.default_usage(),
                origin: Origin::Generated,
                description: String::new(),
                tags: Default::default(),
            },
        )
        .unwrap()
        .key_id;
    f.kms
        .create_alias(&other, &alias("alias/a"), &theirs)
        .unwrap();
    f.kms
        .create_alias(&other, &alias("alias/b"), &theirs)
        .unwrap();
    store.put_meta("clock", b"state").unwrap();

    let report = f.kms.reset(Some(&f.tenant)).unwrap();
    assert_eq!(
        report,
        ResetReport {
            keys: 2,
            aliases: 1
        }
    );
    assert_eq!((keys(&f, &f.tenant), aliases(&f, &f.tenant)), (0, 0));
    for id in &mine {
        assert!(matches!(
            f.kms.describe_key(&f.tenant, id),
            Err(KmsError::KeyNotFound { .. })
        ));
    }
    assert_eq!((keys(&f, &other), aliases(&f, &other)), (1, 2));
    let ctx = EncryptionContext::new();
    let blob = f.kms.encrypt(&other, &theirs, b"still here", &ctx).unwrap();
    assert_eq!(
        f.kms
            .decrypt(&other, &blob, &ctx)
            .unwrap()
            .plaintext
            .expose(),
        b"still here"
    );
    assert_eq!(store.get_meta("clock").unwrap(), Some(b"state".to_vec()));

    assert_eq!(
        f.kms.reset(None).unwrap(),
        ResetReport {
            keys: 1,
            aliases: 2
        }
    );
    assert_eq!((keys(&f, &other), aliases(&f, &other)), (0, 0));
    assert_eq!(store.get_meta("clock").unwrap(), Some(b"state".to_vec()));
    // The engine goes on serving after a reset.
    f.create(KeySpec::Aes256, Origin::Generated);
    assert_eq!(keys(&f, &f.tenant), 1);
}

#[test]
fn reset_clears_one_tenant_or_all_on_the_memory_store() {
    resets_one_tenant_or_all(Arc::new(MemoryStore::new()));
}

#[test]
fn reset_clears_one_tenant_or_all_on_redb() {
    let dir = tempfile::tempdir().unwrap();
    resets_one_tenant_or_all(redb(dir.path()));
}

#[test]
fn check_readable_tells_a_wrong_root_key_from_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    {
        let f = fixture_over(redb(dir.path()), &root(0xA));
        assert!(f.kms.check_readable().is_ok(), "empty store");
        // Records are authenticated as a whole, so even a key without material tells.
        f.external(KeySpec::Aes256);
        f.kms.check_readable().unwrap();
    }
    let wrong = fixture_over(redb(dir.path()), &root(0xB));
    assert!(matches!(
        wrong.kms.check_readable(),
        Err(KmsError::Internal(InternalError::CorruptRecord(_)))
    ));
    drop(wrong);
    {
        let f = fixture_over(redb(dir.path()), &root(0xA));
        f.create(KeySpec::Aes256, Origin::Generated);
        f.kms.check_readable().unwrap();
    }
    let wrong = fixture_over(redb(dir.path()), &root(0xB));
    assert!(matches!(
        wrong.kms.check_readable(),
        Err(KmsError::Internal(InternalError::CorruptRecord(_)))
    ));
    drop(wrong);
    let right = fixture_over(redb(dir.path()), &root(0xA));
    right.kms.check_readable().unwrap();
}

/// A store whose every read fails, as a broken disk would.
#[derive(Debug)]
struct Unreadable;

fn broken() -> StoreError {
    StoreError::new("broken", std::io::Error::other("disk on fire"))
}

impl KeyStore for Unreadable {
    fn get(&self, _: &TenantId, _: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        Err(broken())
    }
    fn update(
        &self,
        _: &TenantId,
        _: &KeyId,
        _: &mut dyn FnMut(Option<&[u8]>) -> store::Change,
    ) -> Result<(), StoreError> {
        Err(broken())
    }
    fn list(
        &self,
        _: &TenantId,
        _: Option<&KeyId>,
        _: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError> {
        Err(broken())
    }
    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        Err(broken())
    }
    fn all_aliases(&self) -> Result<Vec<(TenantId, AliasName)>, StoreError> {
        Err(broken())
    }
    fn get_alias(&self, _: &TenantId, _: &AliasName) -> Result<Option<Vec<u8>>, StoreError> {
        Err(broken())
    }
    fn update_alias(
        &self,
        _: &TenantId,
        _: &AliasName,
        _: &mut dyn FnMut(Option<&[u8]>) -> store::Change,
    ) -> Result<(), StoreError> {
        Err(broken())
    }
    fn list_aliases(
        &self,
        _: &TenantId,
        _: Option<&AliasName>,
        _: usize,
    ) -> Result<Vec<(AliasName, Vec<u8>)>, StoreError> {
        Err(broken())
    }
    fn flush(&self) -> Result<(), StoreError> {
        Err(broken())
    }
    fn get_meta(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err(broken())
    }
    fn put_meta(&self, _: &str, _: &[u8]) -> Result<(), StoreError> {
        Err(broken())
    }
    fn clear(&self, _: Option<&TenantId>) -> Result<store::ClearReport, StoreError> {
        Err(broken())
    }
}

#[test]
fn check_readable_reports_a_failing_store_as_storage_not_as_a_bad_record() {
    let f = fixture_over(Arc::new(Unreadable), &root(1));
    assert!(matches!(
        f.kms.check_readable(),
        Err(KmsError::Internal(InternalError::Storage(_)))
    ));
    assert!(matches!(
        f.kms.reset(None),
        Err(KmsError::Internal(InternalError::Storage(_)))
    ));
}

/// Every record of the store, to show that a scan wrote nothing.
fn snapshot(store: &dyn KeyStore) -> Vec<(TenantId, KeyId, Option<Vec<u8>>)> {
    let mut all = store.all_keys().unwrap();
    all.sort();
    all.into_iter()
        .map(|(t, id)| {
            let bytes = store.get(&t, &id).unwrap();
            (t, id, bytes)
        })
        .collect()
}

#[test]
fn keys_are_counted_by_the_state_a_client_would_see_without_writing() {
    let f = fixture();
    let window = DeletionWindow::days_within(7, 7..=30).unwrap();
    let schedule = |id: &KeyId| {
        f.kms
            .schedule_key_deletion(&f.tenant, id, window, DeletionPolicy::default())
            .unwrap();
    };
    let purged = f.create(KeySpec::Aes256, Origin::Generated);
    schedule(&purged);
    let expiring = f.external(KeySpec::Aes256);
    f.import_plain(&expiring, &material(1, 32), f.later(3_600))
        .unwrap();
    f.clock.advance(DAY * 8); // `purged` is due, `expiring` has expired: neither swept
    for _ in 0..2 {
        f.create(KeySpec::Sm4, Origin::Generated);
    }
    let disabled = f.create(KeySpec::Aes256, Origin::Generated);
    f.kms.disable_key(&f.tenant, &disabled).unwrap();
    schedule(&f.create(KeySpec::Aes256, Origin::Generated));
    let other = TenantId::new("tenant-b").unwrap();
    let request = CreateKey {
        spec: KeySpec::Aes256,
        usage: KeySpec::Aes256.default_usage(),
        origin: Origin::External,
        description: String::new(),
        tags: Default::default(),
    };
    f.kms.create_key(&other, request).unwrap();
    let store = f.kms.store();
    store
        .update(
            &other,
            &"6f0e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b".parse().unwrap(),
            &mut |_| store::Change::Put(b"not a record".to_vec()),
        )
        .unwrap();

    let before = snapshot(store.as_ref());
    let counts = f.kms.count_by_state().unwrap();
    assert_eq!(
        counts,
        KeyStateCounts {
            enabled: 2,
            disabled: 1,
            pending_import: 2,
            pending_deletion: 1,
            unreadable: 1,
        }
    );
    assert_eq!(snapshot(store.as_ref()), before, "counting wrote nothing");
    let by_name: Vec<_> = KeyStateKind::ALL
        .iter()
        .map(|s| (s.to_string(), counts.of(*s)))
        .collect();
    assert_eq!(
        by_name,
        [
            ("Enabled".to_owned(), 2),
            ("Disabled".to_owned(), 1),
            ("PendingImport".to_owned(), 2),
            ("PendingDeletion".to_owned(), 1),
        ]
    );
    assert_eq!(
        fixture().kms.count_by_state().unwrap(),
        KeyStateCounts::default()
    );
}

#[test]
fn counting_pages_through_a_tenant_with_many_keys() {
    let f = fixture();
    for _ in 0..1_203 {
        f.external(KeySpec::Sm4);
    }
    assert_eq!(f.kms.count_by_state().unwrap().pending_import, 1_203);
}

#[test]
fn a_pool_shared_with_the_engine_reports_pairs_generated_inline() {
    let empty = PoolTargets {
        rsa_2048: 0,
        rsa_3072: 0,
        rsa_4096: 0,
        sm2: 0,
    };
    // Without reuse, so each answer needs its own pair.
    let pool = Arc::new(KeyPairPool::start_with(empty, Reuse::NEVER, Vec::new()));
    let kms = Kms::builder(Arc::new(MemoryStore::new()), &root(3))
        .key_pairs(pool.clone())
        .build();
    let tenant = TenantId::new("t").unwrap();
    let request = CreateKey {
        spec: KeySpec::Sm4,
        usage: KeySpec::Sm4.default_usage(),
        origin: Origin::External,
        description: String::new(),
        tags: Default::default(),
    };
    let key = kms.create_key(&tenant, request).unwrap().key_id;
    for _ in 0..2 {
        kms.get_parameters_for_import(
            &tenant,
            &key,
            WrappingAlgorithm::Sm2Pke,
            WrappingKeySpec::Sm2,
        )
        .unwrap();
    }
    assert_eq!(pool.generated_inline(WrappingKeySpec::Sm2), 2);
    assert_eq!(pool.generated_inline(WrappingKeySpec::Rsa2048), 0);
}

#[test]
fn the_sweeper_totals_its_passes_for_any_thread_to_read() {
    let f = fixture();
    let expiring = f.external(KeySpec::Aes256);
    f.import_plain(&expiring, &material(1, 32), f.later(60))
        .unwrap();
    f.create(KeySpec::Aes256, Origin::Generated);
    f.clock.advance(Duration::from_secs(120));
    // A period no test outlasts: only the passes run here are counted.
    let sweeper = Sweeper::start(f.kms.clone(), DAY).unwrap();
    assert_eq!(sweeper.stats(), SweepStats::default());
    let first = sweeper.sweep_now().unwrap();
    assert_eq!((first.examined, first.changed, first.failed), (2, 1, 0));
    sweeper.sweep_now().unwrap();
    let read_elsewhere = std::thread::scope(|s| s.spawn(|| sweeper.stats()).join().unwrap());
    assert_eq!(
        read_elsewhere,
        SweepStats {
            runs: 2,
            failed_runs: 0,
            examined: 4,
            changed: 1,
            failed: 0,
        }
    );

    let broken = fixture_over(Arc::new(Unreadable), &root(1));
    let sweeper = Sweeper::start(broken.kms.clone(), DAY).unwrap();
    assert!(sweeper.sweep_now().is_err());
    assert_eq!(
        sweeper.stats(),
        SweepStats {
            runs: 1,
            failed_runs: 1,
            ..SweepStats::default()
        }
    );
}
