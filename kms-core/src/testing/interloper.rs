//! A memory store that lets a test step in: run something (another request's write, time
//! passing) at the start of the next update, refuse key updates or metadata writes, and count
//! key updates. For tests of what happens when the store changes or fails between an
//! operation's checks and its write.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::alias::AliasName;
use crate::ids::{KeyId, TenantId};
use crate::store::{Change, ClearReport, KeyStore, MemoryStore, StoreError};

type Once = Box<dyn FnOnce() + Send>;
type EachKeyUpdate = Box<dyn FnMut(usize) -> Result<(), StoreError> + Send>;
type EachMetaWrite = Box<dyn FnMut(&str) + Send>;

#[derive(Default)]
pub struct Interloper {
    inner: MemoryStore,
    next_update: Mutex<Option<Once>>,
    each_key_update: Mutex<Option<EachKeyUpdate>>,
    each_meta_write: Mutex<Option<EachMetaWrite>>,
    refuse_meta: AtomicBool,
    key_updates: AtomicUsize,
}

/// The error a refused write answers.
pub fn disk_full() -> StoreError {
    StoreError::new("test", std::io::Error::other("disk full"))
}

impl Interloper {
    /// Key updates asked of it so far.
    pub fn updates(&self) -> usize {
        self.key_updates.load(Ordering::SeqCst)
    }

    /// Runs `interfere` once, at the start of the next update (of a key or an alias). It may
    /// use this store, and arm the next one.
    pub fn before_next_update(&self, interfere: impl FnOnce() + Send + 'static) {
        *self
            .next_update
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(interfere));
    }

    /// Runs `hook` before every key update from now on, with the update's number (from 1):
    /// an error refuses the update. It must not use this store.
    pub fn on_each_key_update(
        &self,
        hook: impl FnMut(usize) -> Result<(), StoreError> + Send + 'static,
    ) {
        *self
            .each_key_update
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(hook));
    }

    /// Runs `hook` with the name of every metadata value written from now on, before the
    /// write (time passing while it is stored). It must not use this store.
    pub fn on_each_meta_write(&self, hook: impl FnMut(&str) + Send + 'static) {
        *self
            .each_meta_write
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(hook));
    }

    /// Makes every metadata write fail with [`disk_full`].
    pub fn refuse_meta(&self) {
        self.refuse_meta.store(true, Ordering::SeqCst);
    }

    fn interfere(&self) {
        let once = self
            .next_update
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(once) = once {
            once();
        }
    }
}

impl std::fmt::Debug for Interloper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interloper")
    }
}

impl KeyStore for Interloper {
    fn get(&self, t: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(t, id)
    }
    fn update(
        &self,
        t: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let n = self.key_updates.fetch_add(1, Ordering::SeqCst) + 1;
        self.interfere();
        if let Some(hook) = self
            .each_key_update
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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
        self.interfere();
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
        if self.refuse_meta.load(Ordering::SeqCst) {
            return Err(disk_full());
        }
        if let Some(hook) = self
            .each_meta_write
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            hook(name);
        }
        self.inner.put_meta(name, value)
    }
    fn clear(&self, t: Option<&TenantId>) -> Result<ClearReport, StoreError> {
        self.inner.clear(t)
    }
}
