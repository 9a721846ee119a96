//! The in-memory backend: for embedding, tests, and `--in-memory` servers.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{Change, ClearReport, KeyStore, StoreError};
use crate::alias::AliasName;
use crate::ids::{KeyId, TenantId};

#[derive(Debug, Default)]
struct Records {
    keys: BTreeMap<(TenantId, KeyId), Vec<u8>>,
    aliases: BTreeMap<(TenantId, AliasName), Vec<u8>>,
    meta: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<Records>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A poisoned lock means a panic inside `decide`, which runs before any mutation, so the
    /// maps themselves are intact.
    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Drops the entries of `tenant` (every entry when `None`), returning how many went.
fn remove_tenant<N: Ord>(
    map: &mut BTreeMap<(TenantId, N), Vec<u8>>,
    tenant: Option<&TenantId>,
) -> usize {
    let before = map.len();
    map.retain(|(t, _), _| tenant.is_some_and(|doomed| doomed != t));
    before - map.len()
}

fn apply<K: Ord>(map: &mut BTreeMap<K, Vec<u8>>, key: K, change: Change) {
    match change {
        Change::Keep => {}
        Change::Put(bytes) => {
            map.insert(key, bytes);
        }
        Change::Delete => {
            map.remove(&key);
        }
    }
}

impl KeyStore for MemoryStore {
    fn get(&self, tenant: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().keys.get(&(tenant.clone(), *id)).cloned())
    }

    fn update(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let mut records = self.lock();
        let key = (tenant.clone(), *id);
        let change = decide(records.keys.get(&key).map(Vec::as_slice));
        apply(&mut records.keys, key, change);
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
            .keys
            .range((tenant.clone(), KeyId::from_bytes([0; 16]))..)
            .take_while(|((t, _), _)| t == tenant)
            .filter(|((_, id), _)| after.is_none_or(|a| id > a))
            .take(limit)
            .map(|((_, id), bytes)| (*id, bytes.clone()))
            .collect())
    }

    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        Ok(self.lock().keys.keys().cloned().collect())
    }

    fn all_aliases(&self) -> Result<Vec<(TenantId, AliasName)>, StoreError> {
        Ok(self.lock().aliases.keys().cloned().collect())
    }

    fn get_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .aliases
            .get(&(tenant.clone(), name.clone()))
            .cloned())
    }

    fn update_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let mut records = self.lock();
        let key = (tenant.clone(), name.clone());
        let change = decide(records.aliases.get(&key).map(Vec::as_slice));
        apply(&mut records.aliases, key, change);
        Ok(())
    }

    fn list_aliases(
        &self,
        tenant: &TenantId,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<(AliasName, Vec<u8>)>, StoreError> {
        Ok(self
            .lock()
            .aliases
            .iter()
            .filter(|((t, name), _)| t == tenant && after.is_none_or(|a| name > a))
            .take(limit)
            .map(|((_, name), bytes)| (name.clone(), bytes.clone()))
            .collect())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().meta.get(name).cloned())
    }

    fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.lock().meta.insert(name.to_owned(), value.to_vec());
        Ok(())
    }

    fn clear(&self, tenant: Option<&TenantId>) -> Result<ClearReport, StoreError> {
        // One lock for both maps: nobody sees the keys gone but the aliases still there.
        let mut records = self.lock();
        Ok(ClearReport {
            keys: remove_tenant(&mut records.keys, tenant),
            aliases: remove_tenant(&mut records.aliases, tenant),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_store_passes_the_shared_suite() {
        super::super::suite::run_all(&|| Box::new(super::MemoryStore::new()));
    }
}
