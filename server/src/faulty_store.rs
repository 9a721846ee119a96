//! A memory store that fails where a test tells it to: metadata writes, or any key update
//! (`on_update` sees each update's number, from 1, before it runs, and may refuse it or move
//! a clock). For tests of what the server does when the store fails or changes meanwhile.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kms_core::store::Change;
use kms_core::{AliasName, ClearReport, KeyId, KeyStore, MemoryStore, StoreError, TenantId};

type OnUpdate = Box<dyn FnMut(usize) -> Result<(), StoreError> + Send>;

#[derive(Default)]
pub(crate) struct FaultyStore {
    inner: MemoryStore,
    pub refuse_meta: bool,
    on_update: Mutex<Option<OnUpdate>>,
    updates: AtomicUsize,
}

impl std::fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaultyStore")
    }
}

/// The error a refused write answers.
pub(crate) fn disk_full() -> StoreError {
    StoreError::new("test", std::io::Error::other("disk full"))
}

impl FaultyStore {
    pub(crate) fn refusing_meta() -> Self {
        FaultyStore {
            refuse_meta: true,
            ..Self::default()
        }
    }

    /// Runs `hook` before every key update from now on (it must not use this store).
    pub(crate) fn on_update(
        &self,
        hook: impl FnMut(usize) -> Result<(), StoreError> + Send + 'static,
    ) {
        *self.on_update.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
    }
}

impl KeyStore for FaultyStore {
    fn get(&self, t: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(t, id)
    }
    fn update(
        &self,
        t: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let n = self.updates.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(hook) = self
            .on_update
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            hook(n)?;
        }
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
        if self.refuse_meta {
            return Err(disk_full());
        }
        self.inner.put_meta(name, value)
    }
    fn clear(&self, t: Option<&TenantId>) -> Result<ClearReport, StoreError> {
        self.inner.clear(t)
    }
}
