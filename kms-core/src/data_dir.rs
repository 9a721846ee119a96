//! The embedded default layout of a data directory: the root key file and the redb database.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::seal::RootKey;
use crate::store::{KeyStore, OpenError, RedbStore, StoreError};

pub const ROOT_KEY_FILE: &str = "root.key";
pub const DATABASE_FILE: &str = "keys.redb";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("data directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Another process has the directory's database open.
    #[error(
        "data directory {path} is in use: another kmsgate process holds its {DATABASE_FILE}; stop that process or use another data directory"
    )]
    InUse { path: PathBuf },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An opened data directory: its store, and the root key (read from `root.key`, or created
/// there with mode 0600 on first start, unless the caller supplies one from configuration).
///
/// ```no_run
/// use std::{path::Path, sync::Arc};
/// use kms_core::{CreateKey, DataDir, Kms, KeySpec, Origin, TenantId};
/// use kms_core::wrapping::{KeyPairPool, PoolTargets};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let data = DataDir::open(Path::new("./kmsgate-data"), None)?; // root.key + keys.redb
/// let kms = Kms::builder(data.store, &data.root_key)
///     .key_pairs(Arc::new(KeyPairPool::start(PoolTargets::default())))
///     .build();
/// let tenant = TenantId::new("123456789012/us-east-1")?;
/// let key = kms.create_key(&tenant, CreateKey {
///     spec: KeySpec::Sm4, origin: Origin::External, description: "byok".into(),
///     tags: Default::default(),
/// })?; // PendingImport
/// # let _ = key;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct DataDir {
    pub store: Arc<RedbStore>,
    pub root_key: RootKey,
}

impl DataDir {
    pub fn open(dir: &Path, configured_root_key: Option<RootKey>) -> Result<Self, DataDirError> {
        let io_err = |source| DataDirError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io_err)?;
        let store = match RedbStore::open(&dir.join(DATABASE_FILE)) {
            Ok(store) => Arc::new(store),
            Err(OpenError::InUse { .. }) => {
                return Err(DataDirError::InUse {
                    path: dir.to_path_buf(),
                });
            }
            Err(OpenError::Store(e)) => return Err(e.into()),
        };
        let key_file = dir.join(ROOT_KEY_FILE);
        let root_key = match configured_root_key {
            Some(k) => k,
            None => {
                // A new root key cannot read records sealed under a lost one: refuse rather
                // than start over an unreadable store.
                let records = store.all_keys()?.len();
                if records > 0 && !key_file.exists() {
                    return Err(io_err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!(
                            "{ROOT_KEY_FILE} is missing but {DATABASE_FILE} holds {records} keys sealed under it"
                        ),
                    )));
                }
                RootKey::load_or_create(&key_file).map_err(io_err)?
            }
        };
        Ok(DataDir { store, root_key })
    }
}
