//! The durable embedded backend, on redb: every acknowledged update is a committed,
//! fsynced transaction, so it survives restarts and `kill -9`. redb allows one write
//! transaction at a time, which is exactly the per-key atomicity the contract asks for.

use std::ops::Bound;
use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::{Change, KeyStore, StoreError};
use crate::ids::{KeyId, TenantId};

const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys_v1");
const BACKEND: &str = "redb";

fn err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::new(BACKEND, e.into())
}

/// Records live under `"<tenant>\0<key id>"`: tenants hold no control characters, so one
/// tenant's keys form a contiguous range that sorts by key id.
fn record_key(tenant: &TenantId, id: &KeyId) -> String {
    format!("{tenant}\0{id}")
}

#[derive(Debug)]
pub struct RedbStore {
    db: Database,
    path: PathBuf,
}

impl RedbStore {
    /// Opens the database file, creating it (and its table) if needed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(err)?;
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(KEYS).map_err(err)?;
        txn.commit().map_err(err)?;
        Ok(RedbStore {
            db,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl KeyStore for RedbStore {
    fn get(&self, tenant: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(KEYS).map_err(err)?;
        let found = table.get(record_key(tenant, id).as_str()).map_err(err)?;
        Ok(found.map(|v| v.value().to_vec()))
    }

    fn update(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let key = record_key(tenant, id);
        let txn = self.db.begin_write().map_err(err)?;
        let change = {
            let mut table = txn.open_table(KEYS).map_err(err)?;
            let current = table
                .get(key.as_str())
                .map_err(err)?
                .map(|v| v.value().to_vec());
            let change = decide(current.as_deref());
            match &change {
                Change::Keep => {}
                Change::Put(bytes) => {
                    table.insert(key.as_str(), bytes.as_slice()).map_err(err)?;
                }
                Change::Delete => {
                    table.remove(key.as_str()).map_err(err)?;
                }
            }
            change
        };
        match change {
            // Nothing written: skip the fsync a commit would cost.
            Change::Keep => txn.abort().map_err(err),
            Change::Put(_) | Change::Delete => txn.commit().map_err(err),
        }
    }

    fn list(
        &self,
        tenant: &TenantId,
        after: Option<&KeyId>,
        limit: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError> {
        let start = match after {
            Some(a) => Bound::Excluded(record_key(tenant, a)),
            None => Bound::Included(format!("{tenant}\0")),
        };
        let end = Bound::Excluded(format!("{tenant}\u{1}"));
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(KEYS).map_err(err)?;
        let range = table
            .range::<&str>((bound_ref(&start), bound_ref(&end)))
            .map_err(err)?;
        let mut out = Vec::new();
        for entry in range.take(limit) {
            let (k, v) = entry.map_err(err)?;
            if let Some(id) = k.value().rsplit('\0').next().and_then(|s| s.parse().ok()) {
                out.push((id, v.value().to_vec()));
            }
        }
        Ok(out)
    }

    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(KEYS).map_err(err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(err)? {
            let (k, _) = entry.map_err(err)?;
            if let Some((t, id)) = k.value().rsplit_once('\0')
                && let (Ok(t), Ok(id)) = (TenantId::new(t), id.parse())
            {
                out.push((t, id));
            }
        }
        Ok(out)
    }

    fn flush(&self) -> Result<(), StoreError> {
        // Every committed write transaction is already durable (redb's default durability).
        Ok(())
    }
}

fn bound_ref(b: &Bound<String>) -> Bound<&str> {
    match b {
        Bound::Included(s) => Bound::Included(s.as_str()),
        Bound::Excluded(s) => Bound::Excluded(s.as_str()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redb_store_passes_the_shared_suite() {
        let dir = tempfile::tempdir().unwrap();
        let counter = std::sync::atomic::AtomicUsize::new(0);
        super::super::suite::run_all(&|| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::new(RedbStore::open(&dir.path().join(format!("s{n}.redb"))).unwrap())
        });
    }

    #[test]
    fn redb_store_keeps_records_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.redb");
        let tenant = TenantId::new("t").unwrap();
        let id = KeyId::random();
        {
            let store = RedbStore::open(&path).unwrap();
            store
                .update(&tenant, &id, &mut |_| Change::Put(b"rec".to_vec()))
                .unwrap();
        }
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(store.get(&tenant, &id).unwrap(), Some(b"rec".to_vec()));
        assert_eq!(store.all_keys().unwrap(), vec![(tenant, id)]);
    }
}
