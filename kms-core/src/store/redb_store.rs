//! The durable embedded backend, on redb: every acknowledged update is committed and synced
//! to disk before `update` returns, so it survives restarts and `kill -9`. redb allows one
//! write transaction at a time, which is exactly the per-key atomicity the contract asks for.
//!
//! Group commit: an update commits without syncing (redb's `Durability::None`: visible to
//! readers at once, persisted by the next durable commit), then waits until a durable commit
//! covers it. Whoever waits first while no sync runs makes one durable commit for everyone
//! who committed before it started, so concurrent writers share one sync instead of paying
//! one each, and a lone writer pays exactly one as before. A read (and an update that decides
//! to change nothing) returns only once every commit it could have seen is durable as well:
//! no answer ever rests on a write that a crash could still undo.
//!
//! A lone writer (no other update or insert batch under way or waiting for redb's write
//! lock) commits durably at once instead, and counts as the running sync meanwhile: with
//! nobody to share a sync with, the empty durable commit after its own would only cost a
//! second transaction and the pages it writes.
//!
//! Batched inserts: a new key's record depends on nothing stored, so concurrent inserts
//! share one write transaction as well as the sync ([`super::batch`]); the batch's leader
//! syncs before answering, so each inserter wakes once, to its final outcome. A redb write
//! transaction costs far more CPU than the records it holds, and one per new key capped
//! durable key creation at a few thousand per second.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use redb::{Database, DatabaseError, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use super::batch::Batcher;
use super::{Change, ClearReport, KeyStore, OpenError, StoreError};
use crate::alias::AliasName;
use crate::ids::{KeyId, TenantId};

type Table = TableDefinition<'static, &'static str, &'static [u8]>;

const KEYS: Table = TableDefinition::new("keys_v1");
const ALIASES: Table = TableDefinition::new("aliases_v1");
/// Metadata of the process, by name; no tenant prefix, and `clear` never touches it.
const META: Table = TableDefinition::new("meta_v1");
const BACKEND: &str = "redb";

fn err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::new(BACKEND, e.into())
}

/// Records live under `"<tenant>\0<key id or alias>"`: tenants hold no control characters,
/// so one tenant's records form a contiguous range that sorts by id or name.
fn record_key(tenant: &TenantId, id: &impl std::fmt::Display) -> String {
    format!("{tenant}\0{id}")
}

/// Makes a new database file readable by its owner only: descriptions, tags and tenants are
/// stored unsealed, and redb would create it with the umask's default (0644 under 022). redb
/// initialises an empty file as a new database. An existing file is left as it is.
fn create_private(path: &Path) -> std::io::Result<()> {
    match crate::data_dir::create_private_file(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[derive(Debug)]
pub struct RedbStore {
    db: Database,
    path: PathBuf,
    syncs: GroupSync,
    inserts: Batcher<NewRecord>,
    /// Updates and insert batches under way, from before they ask for redb's write lock to
    /// after their commit: 1 means the one asking is alone.
    writers: AtomicUsize,
}

/// A writer counted in [`RedbStore::writers`] while it lives.
struct Writing<'a>(&'a AtomicUsize);

impl Writing<'_> {
    fn alone(&self) -> bool {
        self.0.load(Ordering::Acquire) == 1
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A new key's record, queued for a batch of inserts.
#[derive(Debug)]
struct NewRecord {
    key: String,
    bytes: Vec<u8>,
}

/// Which unsynced commits a durable commit has covered.
#[derive(Debug, Default)]
struct GroupSync {
    state: Mutex<SyncState>,
    synced: Condvar,
    /// Commits made so far, each numbered in the order it registered, just before committing.
    /// Atomic, and changed only under `state`'s lock, so that a read finds nothing to wait
    /// for without taking it (every read of the store asks).
    committed: AtomicU64,
    /// Every commit numbered up to this is on disk (atomic for the same reason).
    durable: AtomicU64,
}

#[derive(Debug, Default)]
struct SyncState {
    /// A durable commit is running.
    syncing: bool,
    /// The last sync failed: commits numbered up to this were not made durable by it.
    failed_upto: u64,
}

impl RedbStore {
    /// Opens the database file, creating it (and its tables) if needed. Only one process may
    /// hold it: while another does, this fails with [`OpenError::InUse`].
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        create_private(path).map_err(|e| OpenError::Store(err(e)))?;
        let db = Database::create(path).map_err(|e| match e {
            // Both mean a live process holds the file's lock; a mismatch only says that the
            // holder runs another redb locking protocol (another kmsgate version).
            DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
                OpenError::InUse {
                    path: path.to_path_buf(),
                }
            }
            other => OpenError::Store(err(other)),
        })?;
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(KEYS).map_err(err)?;
        txn.open_table(ALIASES).map_err(err)?;
        txn.open_table(META).map_err(err)?;
        txn.commit().map_err(err)?;
        Ok(RedbStore {
            db,
            path: path.to_path_buf(),
            syncs: GroupSync::default(),
            inserts: Batcher::default(),
            writers: AtomicUsize::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl KeyStore for RedbStore {
    fn get(&self, tenant: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_in(KEYS, &record_key(tenant, id))
    }

    fn update(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        self.update_in(KEYS, &record_key(tenant, id), decide)
    }

    fn insert(&self, tenant: &TenantId, id: &KeyId, bytes: Vec<u8>) -> Result<bool, StoreError> {
        let record = NewRecord {
            key: record_key(tenant, id),
            bytes,
        };
        self.inserts
            .submit(record, &|batch| self.write_batch(batch))
    }

    fn list(
        &self,
        tenant: &TenantId,
        after: Option<&KeyId>,
        limit: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError> {
        let after = after.map(|a| record_key(tenant, a));
        self.list_in(KEYS, tenant, after, limit, |s| s.parse().ok())
    }

    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        self.all_in(KEYS, |id| id.parse().ok())
    }

    fn all_aliases(&self) -> Result<Vec<(TenantId, AliasName)>, StoreError> {
        self.all_in(ALIASES, |name| AliasName::new(name).ok())
    }

    fn get_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_in(ALIASES, &record_key(tenant, name))
    }

    fn update_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        self.update_in(ALIASES, &record_key(tenant, name), decide)
    }

    fn list_aliases(
        &self,
        tenant: &TenantId,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<(AliasName, Vec<u8>)>, StoreError> {
        let after = after.map(|a| record_key(tenant, a));
        self.list_in(ALIASES, tenant, after, limit, |s| AliasName::new(s).ok())
    }

    fn flush(&self) -> Result<(), StoreError> {
        // Every committed write transaction is already durable (redb's default durability).
        Ok(())
    }

    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_in(META, name)
    }

    fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(err)?;
        txn.open_table(META)
            .map_err(err)?
            .insert(name, value)
            .map_err(err)?;
        txn.commit().map_err(err)
    }

    fn clear(&self, tenant: Option<&TenantId>) -> Result<ClearReport, StoreError> {
        // Both tables in one write transaction, so the clear is all or nothing.
        let txn = self.db.begin_write().map_err(err)?;
        let report = ClearReport {
            keys: remove_tenant(&mut txn.open_table(KEYS).map_err(err)?, tenant)?,
            aliases: remove_tenant(&mut txn.open_table(ALIASES).map_err(err)?, tenant)?,
        };
        if report == ClearReport::default() {
            // Nothing removed: skip the fsync a commit would cost.
            txn.abort().map_err(err)?;
        } else {
            txn.commit().map_err(err)?;
        }
        Ok(report)
    }
}

impl GroupSync {
    fn lock(&self) -> MutexGuard<'_, SyncState> {
        // The state is a few counters, consistent after every statement.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Removes the records of `tenant` (every record when `None`), returning how many went.
fn remove_tenant(
    table: &mut redb::Table<'_, &'static str, &'static [u8]>,
    tenant: Option<&TenantId>,
) -> Result<usize, StoreError> {
    let mut removed = 0;
    let mut count = |_: &str, _: &[u8]| {
        removed += 1;
        false
    };
    match tenant {
        Some(t) => {
            let (start, end) = (format!("{t}\0"), format!("{t}\u{1}"));
            table
                .retain_in(start.as_str()..end.as_str(), &mut count)
                .map_err(err)?;
        }
        None => table.retain(&mut count).map_err(err)?,
    }
    Ok(removed)
}

impl RedbStore {
    fn get_in(&self, def: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(def).map_err(err)?;
        let found = table.get(key).map_err(err)?.map(|v| v.value().to_vec());
        self.seen_is_durable()?;
        Ok(found)
    }

    /// Returns once everything a read just made could have seen is on disk. An unsynced
    /// commit is visible to readers at once, so without this an answer could rest on a write
    /// that a crash then loses (a ciphertext under material a rotation made and never
    /// synced). Costs two atomic loads when no commit awaits its sync.
    fn seen_is_durable(&self) -> Result<(), StoreError> {
        let seen = self.syncs.committed.load(Ordering::Acquire);
        if self.syncs.durable.load(Ordering::Acquire) >= seen {
            return Ok(());
        }
        self.wait_durable(seen)
    }

    fn update_in(
        &self,
        def: Table,
        key: &str,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let (txn, writing) = self.begin_write()?;
        let change = {
            let mut table = txn.open_table(def).map_err(err)?;
            let current = table.get(key).map_err(err)?.map(|v| v.value().to_vec());
            let change = decide(current.as_deref());
            match &change {
                Change::Keep => {}
                Change::Put(bytes) => {
                    table.insert(key, bytes.as_slice()).map_err(err)?;
                }
                Change::Delete => {
                    table.remove(key).map_err(err)?;
                }
            }
            change
        };
        match change {
            // Nothing written: no commit of its own, but the decision read what others wrote.
            Change::Keep => {
                txn.abort().map_err(err)?;
                self.seen_is_durable()
            }
            Change::Put(_) | Change::Delete => self.commit_durably(txn, &writing),
        }
    }

    /// A write transaction, counted in [`RedbStore::writers`] from before it waits for the
    /// lock, so that a writer knows whether others are waiting behind it.
    fn begin_write(&self) -> Result<(redb::WriteTransaction, Writing<'_>), StoreError> {
        self.writers.fetch_add(1, Ordering::AcqRel);
        let writing = Writing(&self.writers);
        Ok((self.db.begin_write().map_err(err)?, writing))
    }

    /// Writes a batch of inserts in one transaction, in queue order (of two inserts of one
    /// id, the first wins), and returns once it is on disk: which went in. The leader syncs
    /// before answering anyone, so each inserter wakes once, to its final outcome.
    fn write_batch(&self, batch: Vec<NewRecord>) -> Result<Vec<bool>, StoreError> {
        let (txn, writing) = self.begin_write()?;
        let mut inserted = Vec::with_capacity(batch.len());
        {
            let mut table = txn.open_table(KEYS).map_err(err)?;
            for q in &batch {
                let taken = table.get(q.key.as_str()).map_err(err)?.is_some();
                if !taken {
                    table
                        .insert(q.key.as_str(), q.bytes.as_slice())
                        .map_err(err)?;
                }
                inserted.push(!taken);
            }
        }
        if !inserted.contains(&true) {
            txn.abort().map_err(err)?;
            // Refused for records others wrote: answer once those are durable.
            self.seen_is_durable()?;
            return Ok(inserted);
        }
        self.commit_durably(txn, &writing)?;
        Ok(inserted)
    }

    /// Commits `txn` and returns once it is on disk, sharing the sync with concurrent commits
    /// unless `writing` is alone.
    fn commit_durably(
        &self,
        txn: redb::WriteTransaction,
        writing: &Writing<'_>,
    ) -> Result<(), StoreError> {
        if writing.alone() {
            return self.commit_synced(txn);
        }
        let commit = self.commit_unsynced(txn)?;
        self.wait_durable(commit)
    }

    /// Commits `txn` durably (redb's default durability), which persists every earlier
    /// unsynced commit too: numbered like [`RedbStore::commit_unsynced`]'s, for the readers
    /// that see it before it is counted durable.
    /// It counts as the running sync while it commits, so that a reader seeing it waits for
    /// it instead of leading an empty durable commit of its own behind it.
    fn commit_synced(&self, txn: redb::WriteTransaction) -> Result<(), StoreError> {
        let (mine, leads) = {
            let mut state = self.syncs.lock();
            let leads = !std::mem::replace(&mut state.syncing, true);
            (
                self.syncs.committed.fetch_add(1, Ordering::AcqRel) + 1,
                leads,
            )
        };
        let committed = txn.commit().map_err(err);
        let mut state = self.syncs.lock();
        if committed.is_ok() {
            self.syncs.durable.fetch_max(mine, Ordering::AcqRel);
        }
        if leads {
            // Waiters re-check: a failed commit leaves their numbers to the next sync.
            state.syncing = false;
            self.syncs.synced.notify_all();
        }
        committed
    }

    /// Commits `txn` without syncing (visible to readers at once): its number for
    /// [`RedbStore::wait_durable`]. Numbered before it becomes visible, so a reader that can
    /// see it counts it ([`RedbStore::seen_is_durable`]). `txn` holds redb's write lock, so a
    /// sync that counts this number begins its own write after this commit, and covers it; a
    /// commit that then fails leaves a number with nothing behind it, which a sync covers
    /// all the same.
    fn commit_unsynced(&self, mut txn: redb::WriteTransaction) -> Result<u64, StoreError> {
        txn.set_durability(Durability::None).map_err(err)?;
        let mine = {
            let _state = self.syncs.lock();
            self.syncs.committed.fetch_add(1, Ordering::AcqRel) + 1
        };
        txn.commit().map_err(err)?;
        Ok(mine)
    }

    /// Returns once commit number `mine` is on disk, syncing it unless a sync already running
    /// or about to run covers it.
    fn wait_durable(&self, mine: u64) -> Result<(), StoreError> {
        let mut state = self.syncs.lock();
        loop {
            if self.syncs.durable.load(Ordering::Acquire) >= mine {
                return Ok(());
            }
            if state.failed_upto >= mine {
                return Err(err(redb::Error::Io(std::io::Error::other(
                    "syncing the commit to disk failed",
                ))));
            }
            if state.syncing {
                state = self
                    .syncs
                    .synced
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            // Lead: one durable commit persists every commit registered so far (each
            // registered while holding redb's write lock, so its commit lands before this
            // sync's own write begins).
            state.syncing = true;
            let covers = self.syncs.committed.load(Ordering::Acquire);
            drop(state);
            let synced = self.sync();
            state = self.syncs.lock();
            state.syncing = false;
            match synced {
                Ok(()) => {
                    self.syncs.durable.fetch_max(covers, Ordering::AcqRel);
                }
                Err(_) => state.failed_upto = state.failed_upto.max(covers),
            }
            self.syncs.synced.notify_all();
        }
    }

    /// An empty durable commit: it persists every earlier non-durable commit.
    fn sync(&self) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(err)?;
        txn.set_durability(Durability::Immediate).map_err(err)?;
        txn.commit().map_err(err)
    }

    /// Every record's tenant and name (names parsed by `parse`).
    fn all_in<T>(
        &self,
        def: Table,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<(TenantId, T)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(def).map_err(err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(err)? {
            let (k, _) = entry.map_err(err)?;
            // Neither tenants nor names hold control characters, so the first NUL splits.
            if let Some((t, name)) = k.value().split_once('\0')
                && let (Ok(t), Some(name)) = (TenantId::new(t), parse(name))
            {
                out.push((t, name));
            }
        }
        self.seen_is_durable()?;
        Ok(out)
    }

    /// One tenant's records after `after` (a full record key), names parsed by `parse`.
    fn list_in<T>(
        &self,
        def: Table,
        tenant: &TenantId,
        after: Option<String>,
        limit: usize,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<(T, Vec<u8>)>, StoreError> {
        let start = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Included(format!("{tenant}\0")),
        };
        let end = Bound::Excluded(format!("{tenant}\u{1}"));
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(def).map_err(err)?;
        let range = table
            .range::<&str>((bound_ref(&start), bound_ref(&end)))
            .map_err(err)?;
        let mut out = Vec::new();
        for entry in range.take(limit) {
            let (k, v) = entry.map_err(err)?;
            if let Some((_, name)) = k.value().split_once('\0')
                && let Some(name) = parse(name)
            {
                out.push((name, v.value().to_vec()));
            }
        }
        self.seen_is_durable()?;
        Ok(out)
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
        let (id, inserted) = (KeyId::random(), KeyId::random());
        {
            let store = RedbStore::open(&path).unwrap();
            store
                .update(&tenant, &id, &mut |_| Change::Put(b"rec".to_vec()))
                .unwrap();
            assert!(store.insert(&tenant, &inserted, b"new".to_vec()).unwrap());
        }
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(store.get(&tenant, &id).unwrap(), Some(b"rec".to_vec()));
        assert_eq!(
            store.get(&tenant, &inserted).unwrap(),
            Some(b"new".to_vec())
        );
        let mut expected = vec![(tenant.clone(), id), (tenant, inserted)];
        expected.sort_by_key(|(_, id)| id.to_string());
        assert_eq!(store.all_keys().unwrap(), expected);
    }

    /// A record written by a commit that has not been synced yet is visible to readers, so a
    /// read that returns it must first make that commit durable.
    #[test]
    fn a_read_returns_only_what_is_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("r.redb")).unwrap();
        let tenant = TenantId::new("t").unwrap();
        let id = KeyId::random();
        let txn = store.db.begin_write().unwrap();
        txn.open_table(KEYS)
            .unwrap()
            .insert(record_key(&tenant, &id).as_str(), b"rec".as_slice())
            .unwrap();
        // Committed, not synced: what an update is between its commit and its sync.
        let mine = store.commit_unsynced(txn).unwrap();
        let durable = || store.syncs.durable.load(Ordering::Acquire);
        assert!(durable() < mine);
        assert_eq!(store.get(&tenant, &id).unwrap(), Some(b"rec".to_vec()));
        assert!(durable() >= mine);
    }

    #[test]
    fn a_database_held_open_is_refused_as_in_use_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("held.redb");
        let holder = RedbStore::open(&path).unwrap();
        let refused = RedbStore::open(&path).unwrap_err();
        assert!(
            matches!(&refused, OpenError::InUse { path: p } if *p == path),
            "{refused:?}"
        );
        assert!(
            refused.to_string().contains("another kmsgate process"),
            "{refused}"
        );
        drop(holder);
        RedbStore::open(&path).unwrap();
    }

    #[test]
    fn redb_store_keeps_metadata_across_reopen_and_a_clear() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.redb");
        {
            let store = RedbStore::open(&path).unwrap();
            store.put_meta("clock", b"state").unwrap();
            store.clear(None).unwrap();
        }
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(store.get_meta("clock").unwrap(), Some(b"state".to_vec()));
    }
}
