//! The in-memory backend: for embedding, tests, and `--in-memory` servers.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{Change, KeyStore, StoreError};
use crate::ids::{KeyId, TenantId};

type Records = BTreeMap<(TenantId, KeyId), Vec<u8>>;

#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<Records>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A poisoned lock means a panic inside `decide`, which runs before any mutation, so the
    /// map itself is intact.
    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyStore for MemoryStore {
    fn get(&self, tenant: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().get(&(tenant.clone(), *id)).cloned())
    }

    fn update(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let mut records = self.lock();
        let key = (tenant.clone(), *id);
        match decide(records.get(&key).map(Vec::as_slice)) {
            Change::Keep => {}
            Change::Put(bytes) => {
                records.insert(key, bytes);
            }
            Change::Delete => {
                records.remove(&key);
            }
        }
        Ok(())
    }

    fn list(
        &self,
        tenant: &TenantId,
        after: Option<&KeyId>,
        limit: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError> {
        Ok(self
            .lock()
            .range((tenant.clone(), KeyId::from_bytes([0; 16]))..)
            .take_while(|((t, _), _)| t == tenant)
            .filter(|((_, id), _)| after.is_none_or(|a| id > a))
            .take(limit)
            .map(|((_, id), bytes)| (*id, bytes.clone()))
            .collect())
    }

    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        Ok(self.lock().keys().cloned().collect())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_store_passes_the_shared_suite() {
        super::super::suite::run_all(&|| Box::new(super::MemoryStore::new()));
    }
}
