//! Reads never write: describe, encrypt, decrypt, data keys and the checks before an import
//! take no store update (so no write lock) unless time has changed the key, and then the
//! change is written once and the answer is what the changed key says.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kms_core::store::Change;
use kms_core::*;

use crate::support::*;

/// A memory store that counts key updates.
#[derive(Debug, Default)]
struct Counting {
    inner: MemoryStore,
    updates: AtomicUsize,
}

impl KeyStore for Counting {
    fn get(&self, t: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(t, id)
    }
    fn update(
        &self,
        t: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        self.updates.fetch_add(1, Ordering::SeqCst);
        self.inner.update(t, id, decide)
    }
    fn list(
        &self,
        t: &TenantId,
        after: Option<&KeyId>,
        limit: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError> {
        self.inner.list(t, after, limit)
    }
    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        self.inner.all_keys()
    }
    fn all_aliases(&self) -> Result<Vec<(TenantId, AliasName)>, StoreError> {
        self.inner.all_aliases()
    }
    fn get_alias(&self, t: &TenantId, n: &AliasName) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get_alias(t, n)
    }
    fn update_alias(
        &self,
        t: &TenantId,
        n: &AliasName,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        self.inner.update_alias(t, n, decide)
    }
    fn list_aliases(
        &self,
        t: &TenantId,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<(AliasName, Vec<u8>)>, StoreError> {
        self.inner.list_aliases(t, after, limit)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get_meta(name)
    }
    fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.put_meta(name, value)
    }
    fn clear(&self, tenant: Option<&TenantId>) -> Result<ClearReport, StoreError> {
        self.inner.clear(tenant)
    }
}

fn counted() -> (Fixture, Arc<Counting>) {
    let store = Arc::new(Counting::default());
    (
        fixture_over(store.clone(), &RootKey::from_bytes([7; 32])),
        store,
    )
}

#[test]
fn using_a_key_writes_nothing() {
    let (f, store) = counted();
    let id = f.external(KeySpec::Aes256);
    let material = material(1, 32);
    let imported = f.import_plain(&id, &material, Expiry::Never).unwrap();
    let before = store.updates.load(Ordering::SeqCst);

    f.describe(&id);
    let blob = f.encrypt(&id, b"x").unwrap();
    let opened = f
        .kms
        .decrypt(&f.tenant, &blob, &EncryptionContext::new())
        .unwrap();
    assert_eq!(opened.material_id, Some(imported.material_id));
    let data_key = f
        .kms
        .generate_data_key(
            &f.tenant,
            &id,
            DataKeySpec::Aes256,
            &EncryptionContext::new(),
        )
        .unwrap();
    assert_eq!(data_key.material_id, Some(imported.material_id));
    f.kms
        .re_encrypt(
            &f.tenant,
            &blob,
            &EncryptionContext::new(),
            &id,
            &EncryptionContext::new(),
        )
        .unwrap();
    f.kms.sweep().unwrap();
    assert_eq!(store.updates.load(Ordering::SeqCst), before);
}

#[test]
fn expiry_found_by_a_read_is_written_once_and_answered_as_expired() {
    let (f, store) = counted();
    let id = f.external(KeySpec::Aes256);
    f.import_plain(&id, &material(1, 32), f.later(60)).unwrap();
    let blob = f.encrypt(&id, b"x").unwrap();
    f.clock.advance(std::time::Duration::from_secs(61));
    let before = store.updates.load(Ordering::SeqCst);

    assert!(matches!(
        f.decrypt(&blob),
        Err(KmsError::InvalidState {
            state: KeyStateKind::PendingImport,
            ..
        })
    ));
    assert_eq!(store.updates.load(Ordering::SeqCst), before + 1);
    // Written: later reads find it expired without writing again.
    assert_eq!(f.state(&id), KeyStateKind::PendingImport);
    assert!(f.describe(&id).material_expiry.is_none());
    assert_eq!(store.updates.load(Ordering::SeqCst), before + 1);
}
