//! What operators use: resetting state, the readability check behind health, and counts.

use std::path::Path;
use std::sync::Arc;

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
        // Keys without material open under any root key; the check must look past them.
        for _ in 0..5 {
            f.external(KeySpec::Aes256);
        }
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
