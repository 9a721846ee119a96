//! Where a process keeps its keys (`[store]`) and the root key they are sealed under
//! (`root_key_file`, `root_key`), resolved into one [`StoreChoice`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use kms_core::{PostgresOptions, PostgresUrl, RootKey};
use serde::Deserialize;

/// `[store]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// `store.kind`: `redb` (the embedded durable store in `data_dir`), `memory`, or
    /// `postgres` (several instances over one database, see `docs/multi-instance.md`).
    /// Default: `memory` when `in_memory` is set, else `redb`.
    pub kind: Option<StoreKind>,
    /// `[store.postgres]`: used when `store.kind = "postgres"`.
    pub postgres: PostgresSettings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Redb,
    Memory,
    Postgres,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresSettings {
    /// `store.postgres.url` (`KMSGATE_STORE__POSTGRES__URL`): `postgres://user:password@host:port/dbname`
    /// or libpq's `host=… user=…` form; no TLS. Required for the postgres store. Its password
    /// is never logged.
    pub url: Option<PostgresUrl>,
    /// `store.postgres.pool_size`: connections kept open at most (at least 2: the sweeper
    /// holds one for its lock while it works through another). Default 16.
    pub pool_size: u32,
    /// `store.postgres.statement_timeout_ms`: longest one statement may run before the
    /// database cancels it (at least 1). Default 5000.
    pub statement_timeout_ms: u64,
    /// `store.postgres.connect_timeout_ms`: longest to wait for a connection, new or from the
    /// pool, before the request fails with the dialect's internal error (at least 1).
    /// Default 5000.
    pub connect_timeout_ms: u64,
}

impl Default for PostgresSettings {
    fn default() -> Self {
        PostgresSettings {
            url: None,
            pool_size: 16,
            statement_timeout_ms: 5000,
            connect_timeout_ms: 5000,
        }
    }
}

/// `root_key` (`KMSGATE_ROOT_KEY`): 64 hex digits, as in a data directory's `root.key`.
/// Checked when loaded; never printed.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct RootKeyHex(String);

#[derive(Debug, thiserror::Error)]
#[error("root_key (KMSGATE_ROOT_KEY) must be 64 hex digits (32 bytes), as in a root.key file")]
pub struct InvalidRootKey;

impl TryFrom<String> for RootKeyHex {
    type Error = InvalidRootKey;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        RootKey::from_hex(&s).ok_or(InvalidRootKey)?;
        Ok(RootKeyHex(s))
    }
}

impl RootKeyHex {
    pub fn key(&self) -> Option<RootKey> {
        RootKey::from_hex(&self.0)
    }
}

impl fmt::Debug for RootKeyHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKeyHex(..)")
    }
}

/// Where a configured root key comes from, when one is configured.
#[derive(Clone, Debug)]
pub enum RootKeySource {
    File(PathBuf),
    Value(RootKeyHex),
}

/// The store a process opens, resolved from `store.kind`, `in_memory` and `data_dir`.
#[derive(Clone, Debug)]
pub enum StoreChoice {
    Memory,
    Redb(PathBuf),
    /// Boxed: a parsed connection configuration is large, and the other choices are small.
    Postgres(Box<PostgresOptions>),
}

impl StoreChoice {
    /// Whether other processes may share it (and so its clock, and its sweeps).
    pub fn is_shared(&self) -> bool {
        matches!(self, StoreChoice::Postgres(_))
    }

    /// For the startup line: no secret.
    pub fn describe(&self) -> String {
        match self {
            StoreChoice::Memory => "memory (nothing persisted)".to_owned(),
            StoreChoice::Redb(dir) => format!("redb in {}", dir.display()),
            StoreChoice::Postgres(o) => format!("postgres at {} (pool {})", o.url, o.pool_size),
        }
    }
}

/// The `[store]` settings that cannot work, each naming its setting.
#[derive(Debug, thiserror::Error)]
pub enum StoreUnusable {
    #[error("store.kind = \"postgres\" needs store.postgres.url (KMSGATE_STORE__POSTGRES__URL)")]
    NoUrl,
    #[error(
        "store.kind = \"postgres\" needs the root key every instance shares: set root_key_file or root_key (KMSGATE_ROOT_KEY)"
    )]
    NoSharedRootKey,
    #[error("set root_key_file or root_key (KMSGATE_ROOT_KEY), not both")]
    TwoRootKeys,
    #[error("in_memory (or --in-memory) contradicts store.kind = \"{0}\"")]
    InMemoryContradicts(&'static str),
    #[error("store.postgres.pool_size must be at least 2")]
    SmallPool,
    #[error("store.postgres.statement_timeout_ms must be at least 1")]
    NoStatementTime,
    #[error("store.postgres.connect_timeout_ms must be at least 1")]
    NoConnectTime,
    /// A URL alone does not choose the shared store: running on the embedded one instead would
    /// silently stop instances from sharing keys.
    #[error(
        "store.postgres.url (KMSGATE_STORE__POSTGRES__URL) is set, but the store is the {0} one: set store.kind = \"postgres\" (KMSGATE_STORE__KIND) to use it, or remove the URL"
    )]
    UrlWithoutPostgres(&'static str),
}

impl PostgresSettings {
    fn options(&self) -> Result<PostgresOptions, StoreUnusable> {
        let url = self.url.clone().ok_or(StoreUnusable::NoUrl)?;
        if self.pool_size < 2 {
            return Err(StoreUnusable::SmallPool);
        }
        if self.statement_timeout_ms == 0 {
            return Err(StoreUnusable::NoStatementTime);
        }
        if self.connect_timeout_ms == 0 {
            return Err(StoreUnusable::NoConnectTime);
        }
        Ok(PostgresOptions {
            url,
            pool_size: self.pool_size,
            statement_timeout: Duration::from_millis(self.statement_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
        })
    }
}

/// Resolves the store and the configured root key; what `Settings::validate` checks and the
/// engine opens.
pub fn resolve(
    store: &StoreSettings,
    in_memory: bool,
    data_dir: &std::path::Path,
    root_key_file: Option<&PathBuf>,
    root_key: Option<&RootKeyHex>,
) -> Result<(StoreChoice, Option<RootKeySource>), StoreUnusable> {
    let kind = match (store.kind, in_memory) {
        (Some(StoreKind::Redb), true) => return Err(StoreUnusable::InMemoryContradicts("redb")),
        (Some(StoreKind::Postgres), true) => {
            return Err(StoreUnusable::InMemoryContradicts("postgres"));
        }
        (Some(kind), _) => kind,
        (None, true) => StoreKind::Memory,
        (None, false) => StoreKind::Redb,
    };
    let key = match (root_key_file, root_key) {
        (Some(_), Some(_)) => return Err(StoreUnusable::TwoRootKeys),
        (Some(file), None) => Some(RootKeySource::File(file.clone())),
        (None, Some(hex)) => Some(RootKeySource::Value(hex.clone())),
        (None, None) => None,
    };
    match kind {
        StoreKind::Memory if store.postgres.url.is_some() => {
            return Err(StoreUnusable::UrlWithoutPostgres("in-memory"));
        }
        StoreKind::Redb if store.postgres.url.is_some() => {
            return Err(StoreUnusable::UrlWithoutPostgres("embedded durable"));
        }
        StoreKind::Memory | StoreKind::Redb | StoreKind::Postgres => {}
    }
    let choice = match kind {
        StoreKind::Memory => StoreChoice::Memory,
        StoreKind::Redb => StoreChoice::Redb(data_dir.to_path_buf()),
        StoreKind::Postgres => {
            let options = store.postgres.options()?;
            if key.is_none() {
                return Err(StoreUnusable::NoSharedRootKey);
            }
            StoreChoice::Postgres(Box::new(options))
        }
    };
    Ok((choice, key))
}
