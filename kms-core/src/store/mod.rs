//! Storage of key records. A store keeps opaque records (already sealed by the engine) per
//! tenant and key id, alias records per tenant and alias name, and a few named metadata
//! values of the process (such as the emulated clock's state), and offers one atomic
//! read-modify-write per key: the engine's whole decision about a key (state transition,
//! material check) happens inside it, so two concurrent imports into one key can never both
//! win.

mod batch;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod redb_store;
// Test code (it panics on failure), so kept out of production builds: kms-core's own tests
// get it through `cfg(test)`, another crate's tests (a third-party backend's) through the
// `test-suite` feature.
#[cfg(any(test, feature = "test-suite"))]
pub mod suite;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{
    InvalidPostgresUrl, PostgresOptions, PostgresStore, PostgresUrl, SCHEMA_VERSION,
};
pub use redb_store::RedbStore;

use crate::alias::AliasName;
use crate::ids::{KeyId, TenantId};

/// What an update decided to do with the record it was shown.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Keep,
    Put(Vec<u8>),
    Delete,
}

/// The backend contract. Every backend must pass `store::suite::run_all` (compiled for
/// kms-core's own tests, and for other crates with the `test-suite` feature).
pub trait KeyStore: Send + Sync + fmt::Debug {
    fn get(&self, tenant: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Shows `decide` the current record (`None` if absent) and applies its answer atomically:
    /// no other update of any key interleaves between the read and the write. Once this
    /// returns `Ok`, a `Put` or `Delete` is durable (for durable backends).
    fn update(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError>;

    /// Stores `bytes` as the record of a new key: `Ok(false)`, writing nothing, when `id`
    /// already has a record. Durable once `Ok(true)`, like [`KeyStore::update`]. A backend
    /// may write concurrent inserts together (one transaction, one sync for all of them): an
    /// insert decides nothing from what is stored beyond whether the id is free, so the
    /// batch's writer decides for all of them.
    fn insert(&self, tenant: &TenantId, id: &KeyId, bytes: Vec<u8>) -> Result<bool, StoreError> {
        let mut bytes = Some(bytes);
        let mut inserted = false;
        self.update(tenant, id, &mut |current| match (current, bytes.take()) {
            (None, Some(b)) => {
                inserted = true;
                Change::Put(b)
            }
            _ => Change::Keep,
        })?;
        Ok(inserted)
    }

    /// Up to `limit` records of `tenant` in key id order, starting after `after`.
    fn list(
        &self,
        tenant: &TenantId,
        after: Option<&KeyId>,
        limit: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError>;

    /// Every key of every tenant, for the expiry sweeper.
    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError>;

    /// Every alias of every tenant (the store upgrade rewrites each one).
    fn all_aliases(&self) -> Result<Vec<(TenantId, AliasName)>, StoreError>;

    fn get_alias(&self, tenant: &TenantId, name: &AliasName)
    -> Result<Option<Vec<u8>>, StoreError>;

    /// Like [`KeyStore::update`], for the alias namespace (separate from keys).
    fn update_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError>;

    /// Up to `limit` aliases of `tenant` in name order, starting after `after`.
    fn list_aliases(
        &self,
        tenant: &TenantId,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<(AliasName, Vec<u8>)>, StoreError>;

    /// Makes everything acknowledged so far durable; a no-op where updates already are.
    fn flush(&self) -> Result<(), StoreError>;

    /// A metadata value: a namespace of its own, apart from every tenant's keys and aliases.
    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Sets a metadata value; once this returns `Ok` it is durable (for durable backends).
    fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError>;

    /// Removes every key and alias record of `tenant`, or of every tenant when `None`, in one
    /// atomic step: a reader sees all of them or none. Metadata is never cleared: it belongs
    /// to the process, not to any tenant. Durable once `Ok`, like [`KeyStore::update`].
    fn clear(&self, tenant: Option<&TenantId>) -> Result<ClearReport, StoreError>;

    /// Runs `run` unless another process sharing this store is running the same `task`
    /// right now; `Ok(false)` when it skipped. For periodic work that one process at a time
    /// suffices for (the expiry sweep). A store only one process opens has nobody to
    /// exclude, hence the default; a shared store uses a lock of its database, released
    /// with its holder's connection should the holder die.
    fn exclusive(&self, task: &str, run: &mut dyn FnMut()) -> Result<bool, StoreError> {
        let _ = task;
        run();
        Ok(true)
    }
}

/// How many records a [`KeyStore::clear`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClearReport {
    pub keys: usize,
    pub aliases: usize,
}

/// A backend failure, with the backend's own error as its source.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{backend} store: {source}")]
pub struct StoreError {
    pub backend: &'static str,
    #[source]
    pub source: Arc<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    pub fn new(
        backend: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError {
            backend,
            source: Arc::new(source),
        }
    }
}

/// Why a durable store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another process has the database open; it stays refused until that process exits.
    #[error(
        "{path} is in use: another kmsgate process holds it (only one process may use a data directory at a time)"
    )]
    InUse { path: PathBuf },
    /// The database cannot be reached (shared stores).
    #[error("cannot connect to {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The database's schema was made by a newer kmsgate, which this one cannot know.
    #[error(
        "the database's kmsgate schema is version {found}, newer than the {supported} this kmsgate knows: it was migrated by a newer kmsgate; run that version (or a newer one) against it"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}
