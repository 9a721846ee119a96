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
/// A directory and `keys.redb` this creates are 0700 and 0600; existing ones are kept as
/// they are and reported in `permission_warnings` if others may read them.
///
/// ```no_run
/// use std::{path::Path, sync::Arc};
/// use kms_core::{CreateKey, DataDir, Kms, KeySpec, KeyUsage, Origin, TenantId};
/// use kms_core::wrapping::{KeyPairPool, PoolTargets};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let data = DataDir::open(Path::new("./kmsgate-data"), None)?; // root.key + keys.redb
/// let kms = Kms::builder(data.store, &data.root_key)
///     .key_pairs(Arc::new(KeyPairPool::start(PoolTargets::default())))
///     .build();
/// let tenant = TenantId::new("123456789012/us-east-1")?;
/// let key = kms.create_key(&tenant, CreateKey {
///     spec: KeySpec::Sm4, usage: KeyUsage::EncryptDecrypt, origin: Origin::External,
///     description: "byok".into(),
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
    /// One sentence per part of the directory (itself, `keys.redb`, `root.key`) that other
    /// local users may read or write, for the caller to log; empty when all are private.
    pub permission_warnings: Vec<String>,
}

impl DataDir {
    pub fn open(dir: &Path, configured_root_key: Option<RootKey>) -> Result<Self, DataDirError> {
        let io_err = |source| DataDirError::Io {
            path: dir.to_path_buf(),
            source,
        };
        create_private_dir(dir).map_err(io_err)?;
        let store = match RedbStore::open(&dir.join(DATABASE_FILE)) {
            Ok(store) => Arc::new(store),
            Err(OpenError::InUse { .. }) => {
                return Err(DataDirError::InUse {
                    path: dir.to_path_buf(),
                });
            }
            Err(OpenError::Store(e)) => return Err(e.into()),
            // A database server's failures; an embedded file has none of these.
            Err(other @ (OpenError::Unreachable { .. } | OpenError::NewerSchema { .. })) => {
                return Err(io_err(io::Error::other(other.to_string())));
            }
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
        let permission_warnings = [dir.to_path_buf(), dir.join(DATABASE_FILE), key_file]
            .iter()
            .filter_map(|path| open_to_others(path))
            .collect();
        Ok(DataDir {
            store,
            root_key,
            permission_warnings,
        })
    }
}

/// Creates the file `path`, which must not exist yet, readable and writable by its owner only
/// (0600 on Unix, whatever the umask): for files holding secrets or key records (the root key,
/// the database, material `kmsgate wrap` keeps).
pub fn create_private_file(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Creates `dir` readable by its owner only (its missing parents as usual); an existing
/// directory is kept as it is, since it is the user's.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other,
    }
}

/// A warning for the log if other local users may read or write `path`: kmsgate makes its
/// directory 0700 and its files 0600, but does not change what a user (or an older version)
/// made.
#[cfg(unix)]
fn open_to_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path).ok()?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return None;
    }
    let private = if metadata.is_dir() { "700" } else { "600" };
    Some(format!(
        "{} is open to other local users (mode {mode:o}): key descriptions, tags and tenants in {DATABASE_FILE} are not sealed; kmsgate leaves existing permissions alone, run chmod {private} {}",
        path.display(),
        path.display()
    ))
}

#[cfg(not(unix))]
fn open_to_others(_: &Path) -> Option<String> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    }

    /// Descriptions, tags and tenants are in keys.redb unsealed: no other local user may read
    /// them, whatever the umask.
    #[test]
    fn a_new_data_directory_is_private() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("parent").join("data");
        let data = DataDir::open(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(DATABASE_FILE)), 0o600);
        assert_eq!(mode(&dir.join(ROOT_KEY_FILE)), 0o600);
        assert!(
            data.permission_warnings.is_empty(),
            "{:?}",
            data.permission_warnings
        );
    }

    /// A directory the user made is theirs: reported, never changed.
    #[test]
    fn an_existing_open_directory_is_reported_not_changed() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        let data = DataDir::open(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir), 0o755);
        assert_eq!(mode(&dir.join(DATABASE_FILE)), 0o600);
        assert_eq!(
            data.permission_warnings.len(),
            1,
            "{:?}",
            data.permission_warnings
        );
        let warning = &data.permission_warnings[0];
        assert!(
            warning.contains(&dir.display().to_string()) && warning.contains("755"),
            "{warning}"
        );
        drop(data);

        // Files left open by an older version are reported too.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("{e}"));
        for file in [DATABASE_FILE, ROOT_KEY_FILE] {
            std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o644))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let data = DataDir::open(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&dir.join(DATABASE_FILE)), 0o644);
        assert_eq!(
            data.permission_warnings.len(),
            2,
            "{:?}",
            data.permission_warnings
        );
    }
}
