//! The shared backend, on PostgreSQL: several kmsgate processes over one database.
//!
//! The synchronous `postgres` client with an `r2d2` pool: the [`KeyStore`] trait is
//! synchronous and the engine already runs on blocking threads, so an async client would
//! only add a runtime to block on. Every acknowledged write is a committed transaction.
//!
//! Per-key atomicity is the database's row lock: an update runs in one transaction that
//! reads the row `FOR UPDATE`, shows it to `decide`, and writes the answer. An absent row has
//! nothing to lock, so the update first inserts an empty placeholder (`ON CONFLICT DO
//! NOTHING`: a concurrent inserter waits for the first one's transaction to end); the
//! placeholder never outlives the transaction that made it, and no other transaction ever
//! sees it. `decide` is called at most once per update: a retry (a connection lost before
//! the decision, a row deleted between the two statements) only ever happens before it.

mod schema;
mod url;

use std::fmt;
use std::time::Duration;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Transaction};
use r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;

pub use schema::SCHEMA_VERSION;
pub use url::{InvalidPostgresUrl, PostgresUrl};

use super::{Change, ClearReport, KeyStore, OpenError, StoreError};
use crate::alias::AliasName;
use crate::ids::{KeyId, TenantId};

const BACKEND: &str = "postgres";

type Manager = PostgresConnectionManager<NoTls>;

fn err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::new(BACKEND, e)
}

/// How a [`PostgresStore`] connects.
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    pub url: PostgresUrl,
    /// Connections kept open at most.
    pub pool_size: u32,
    /// Longest a statement may run before the database cancels it.
    pub statement_timeout: Duration,
    /// Longest to wait for a connection (making one, or a free one from the pool); past it
    /// the operation fails with a [`StoreError`].
    pub connect_timeout: Duration,
}

/// One table of records under `(tenant, name)`: keys or aliases.
#[derive(Clone, Copy)]
struct Records {
    table: &'static str,
    column: &'static str,
}

const KEYS: Records = Records {
    table: "kmsgate_keys",
    column: "key_id",
};
const ALIASES: Records = Records {
    table: "kmsgate_aliases",
    column: "name",
};

pub struct PostgresStore {
    pool: Pool<Manager>,
    url: PostgresUrl,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A connection lost, or never made: worth one retry on a fresh connection, provided the
/// operation has not yet been decided.
fn is_connection_error(e: &postgres::Error, client: &Client) -> bool {
    client.is_closed() || e.is_closed() || e.code().is_none() && e.as_db_error().is_none()
}

/// Rounds of an update whose row came and went between two of its statements.
const ROW_RACES: usize = 12;

impl PostgresStore {
    /// Connects, creates or migrates the schema ([`SCHEMA_VERSION`]), and refuses a database
    /// migrated by a newer kmsgate.
    pub fn open(options: &PostgresOptions) -> Result<Self, OpenError> {
        let mut config = options.url.config().clone();
        config.connect_timeout(options.connect_timeout);
        // A database host that stops answering (a crash, a partition: nothing resets the
        // connection) must fail requests, not hold them and their pooled connections: TCP
        // gives up on unacknowledged data after `tcp_user_timeout`, and keepalives find a
        // peer gone while a request waits for its answer.
        config
            .tcp_user_timeout((options.statement_timeout * 2).max(Duration::from_secs(10)))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(15))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3);
        let timeout_ms = options.statement_timeout.as_millis().max(1);
        // Added to the URL's own `options` (a `search_path`, say), never in their place: the
        // records must land where the operator pointed them. Ours come last and win: the
        // store's contract rests on them. READ COMMITTED is what `update_once`'s row locks
        // assume, synchronous commit what "durable once Ok" needs, and a session idle in a
        // transaction (an instance lost while deciding) must not hold its row lock for hours.
        let timeout = format!(
            "-c statement_timeout={timeout_ms} -c idle_in_transaction_session_timeout={} -c default_transaction_isolation=read\\ committed -c synchronous_commit=on",
            timeout_ms.saturating_mul(4)
        );
        let options_text = match config.get_options() {
            Some(given) if !given.trim().is_empty() => format!("{given} {timeout}"),
            _ => timeout,
        };
        config.options(&options_text);
        if config.get_application_name().is_none() {
            config.application_name("kmsgate");
        }
        let pool = Pool::builder()
            // The sweeper holds one connection for its advisory lock while its own calls use
            // others: one connection alone would starve it.
            .max_size(options.pool_size.max(2))
            .min_idle(Some(1))
            .connection_timeout(options.connect_timeout)
            // Broken connections are found by use (and the operation retried, see
            // `attempts`) rather than by a test query before every use, which would cost a
            // round trip on every request.
            .test_on_check_out(false)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(Manager::new(config, NoTls))
            .map_err(|e| OpenError::Unreachable {
                url: options.url.to_string(),
                reason: e.to_string(),
            })?;
        let store = PostgresStore {
            pool,
            url: options.url.clone(),
        };
        let mut conn = store.conn()?;
        match schema::migrate(&mut conn) {
            Ok(applied) => {
                if applied > 0 {
                    tracing::info!(
                        url = %store.url,
                        applied,
                        version = SCHEMA_VERSION,
                        "PostgreSQL schema migrated"
                    );
                }
            }
            Err(schema::MigrateError::Newer { found }) => {
                return Err(OpenError::NewerSchema {
                    found: i64::from(found),
                    supported: i64::from(SCHEMA_VERSION),
                });
            }
            Err(schema::MigrateError::Db(e)) => return Err(OpenError::Store(err(e))),
        }
        drop(conn);
        Ok(store)
    }

    pub fn url(&self) -> &PostgresUrl {
        &self.url
    }

    fn conn(&self) -> Result<PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(err)
    }

    /// Attempts for an operation whose connection broke before anything was decided: after
    /// a database restart every pooled connection is broken, each found so only when used
    /// (and then dropped by the pool), so one more than the pool holds always reaches a
    /// fresh connection.
    fn attempts(&self) -> usize {
        usize::try_from(self.pool.max_size())
            .unwrap_or(usize::MAX)
            .saturating_add(1)
    }

    /// Runs `op` on a pooled connection; a connection found broken is dropped and `op` runs
    /// again on another, up to [`PostgresStore::attempts`] times. Only for operations that
    /// may run twice.
    fn run<T>(
        &self,
        mut op: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let (mut attempt, attempts) = (0, self.attempts());
        loop {
            attempt += 1;
            let mut conn = self.conn()?;
            match op(&mut conn) {
                Ok(v) => return Ok(v),
                Err(e) if attempt < attempts && is_connection_error(&e, &conn) => continue,
                Err(e) => return Err(err(e)),
            }
        }
    }

    /// Runs a write once on a connection not known broken: a write that fails once sent may
    /// have been applied, so it is never sent twice.
    fn run_write<T>(
        &self,
        mut op: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        for _ in 0..self.attempts() {
            let mut conn = self.conn()?;
            if conn.is_closed() {
                // Found broken before anything was sent: the pool drops it; take another.
                continue;
            }
            return op(&mut conn).map_err(err);
        }
        Err(err(std::io::Error::other(
            "every pooled connection to the database was broken",
        )))
    }

    fn get_in(
        &self,
        r: Records,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = format!(
            "SELECT record FROM {} WHERE tenant = $1 AND {} = $2",
            r.table, r.column
        );
        self.run(|c| {
            c.query_typed_opt(&sql, &[text(&tenant.as_str()), text(&name)])?
                .map(|row| row.try_get::<_, Vec<u8>>(0))
                .transpose()
        })
    }

    fn update_in(
        &self,
        r: Records,
        tenant: &TenantId,
        name: &str,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        let mut decided = false;
        let (mut broken, mut races, attempts) = (0, 0, self.attempts());
        loop {
            let mut conn = self.conn()?;
            match update_once(&mut conn, r, tenant.as_str(), name, decide, &mut decided) {
                Ok(true) => return Ok(()),
                // The row went between the insert attempt and the lock: look again.
                Ok(false) if races + 1 < ROW_RACES => races += 1,
                Ok(false) => {
                    return Err(err(std::io::Error::other(
                        "the record kept changing between two statements",
                    )));
                }
                Err(e) if !decided && broken + 1 < attempts && is_connection_error(&e, &conn) => {
                    broken += 1;
                }
                Err(e) => return Err(err(e)),
            }
        }
    }

    fn list_in<N>(
        &self,
        r: Records,
        tenant: &TenantId,
        after: Option<&str>,
        limit: usize,
        parse: impl Fn(&str) -> Option<N>,
    ) -> Result<Vec<(N, Vec<u8>)>, StoreError> {
        // The empty string sorts before every name, so it stands for "from the start".
        let after = after.unwrap_or("");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {c}, record FROM {t} WHERE tenant = $1 AND {c} > $2 ORDER BY {c} LIMIT $3",
            c = r.column,
            t = r.table
        );
        let rows = self.run(|c| {
            c.query_typed(
                &sql,
                &[text(&tenant.as_str()), text(&after), (&limit, Type::INT8)],
            )
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let name: String = row.try_get(0).map_err(err)?;
            // A name that does not parse was not written by kmsgate: left out, as the
            // embedded store does.
            if let Some(n) = parse(&name) {
                out.push((n, row.try_get(1).map_err(err)?));
            }
        }
        Ok(out)
    }

    fn all_in<N>(
        &self,
        r: Records,
        parse: impl Fn(&str) -> Option<N>,
    ) -> Result<Vec<(TenantId, N)>, StoreError> {
        let sql = format!(
            "SELECT tenant, {c} FROM {t} ORDER BY tenant, {c}",
            c = r.column,
            t = r.table
        );
        let rows = self.run(|c| c.query_typed(&sql, &[]))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let tenant: String = row.try_get(0).map_err(err)?;
            let name: String = row.try_get(1).map_err(err)?;
            if let (Ok(t), Some(n)) = (TenantId::new(&tenant), parse(&name)) {
                out.push((t, n));
            }
        }
        Ok(out)
    }
}

/// A text parameter (`&str` or `String`), typed so that each statement is one round trip
/// (`query_typed`: no separate prepare).
fn text<T: ToSql + Sync>(v: &T) -> (&(dyn ToSql + Sync), Type) {
    (v as &(dyn ToSql + Sync), Type::TEXT)
}

/// One attempt at an update. `Ok(false)`: the row was deleted by another transaction between
/// our insert attempt and our lock, so nothing was decided; try again.
fn update_once(
    client: &mut Client,
    r: Records,
    tenant: &str,
    name: &str,
    decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    decided: &mut bool,
) -> Result<bool, postgres::Error> {
    let mut tx = client.transaction()?;
    let select = format!(
        "SELECT record FROM {} WHERE tenant = $1 AND {} = $2 FOR UPDATE",
        r.table, r.column
    );
    let key = [text(&tenant), text(&name)];
    let mut current: Option<Vec<u8>> = tx
        .query_typed_opt(&select, &key)?
        .map(|row| row.try_get(0))
        .transpose()?;
    let mut placeholder = false;
    if current.is_none() {
        let insert = format!(
            "INSERT INTO {} (tenant, {}, record) VALUES ($1, $2, ''::bytea) ON CONFLICT DO NOTHING",
            r.table, r.column
        );
        if tx.execute_typed(&insert, &key)? == 1 {
            placeholder = true;
        } else {
            // Someone else's row, committed while we looked: lock and read it.
            current = tx
                .query_typed_opt(&select, &key)?
                .map(|row| row.try_get(0))
                .transpose()?;
            if current.is_none() {
                return Ok(false);
            }
        }
    }
    *decided = true;
    let change = decide(current.as_deref());
    apply(&mut tx, r, &key, change, placeholder)?;
    tx.commit()?;
    Ok(true)
}

fn apply(
    tx: &mut Transaction<'_>,
    r: Records,
    key: &[(&(dyn ToSql + Sync), Type); 2],
    change: Change,
    placeholder: bool,
) -> Result<(), postgres::Error> {
    let delete = || {
        format!(
            "DELETE FROM {} WHERE tenant = $1 AND {} = $2",
            r.table, r.column
        )
    };
    match change {
        Change::Put(bytes) => {
            let sql = format!(
                "UPDATE {} SET record = $3 WHERE tenant = $1 AND {} = $2",
                r.table, r.column
            );
            tx.execute_typed(
                &sql,
                &[key[0].clone(), key[1].clone(), (&bytes, Type::BYTEA)],
            )?;
        }
        Change::Delete => {
            tx.execute_typed(&delete(), key)?;
        }
        // Our placeholder must not outlive the transaction.
        Change::Keep if placeholder => {
            tx.execute_typed(&delete(), key)?;
        }
        Change::Keep => {}
    }
    Ok(())
}

impl KeyStore for PostgresStore {
    fn get(&self, tenant: &TenantId, id: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_in(KEYS, tenant, &id.to_string())
    }

    fn update(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        self.update_in(KEYS, tenant, &id.to_string(), decide)
    }

    fn list(
        &self,
        tenant: &TenantId,
        after: Option<&KeyId>,
        limit: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError> {
        let after = after.map(KeyId::to_string);
        self.list_in(KEYS, tenant, after.as_deref(), limit, |s| s.parse().ok())
    }

    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        self.all_in(KEYS, |s| s.parse().ok())
    }

    fn all_aliases(&self) -> Result<Vec<(TenantId, AliasName)>, StoreError> {
        self.all_in(ALIASES, |s| AliasName::new(s).ok())
    }

    fn get_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_in(ALIASES, tenant, name.as_str())
    }

    fn update_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        decide: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        self.update_in(ALIASES, tenant, name.as_str(), decide)
    }

    fn list_aliases(
        &self,
        tenant: &TenantId,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<(AliasName, Vec<u8>)>, StoreError> {
        self.list_in(ALIASES, tenant, after.map(AliasName::as_str), limit, |s| {
            AliasName::new(s).ok()
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        // Every acknowledged write is a committed transaction already.
        Ok(())
    }

    fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.run(|c| {
            c.query_typed_opt(
                "SELECT value FROM kmsgate_meta WHERE name = $1",
                &[text(&name)],
            )?
            .map(|row| row.try_get::<_, Vec<u8>>(0))
            .transpose()
        })
    }

    fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        // Once sent, a write that fails may have been applied: run again, it could overwrite
        // a newer value another instance wrote meanwhile.
        self.run_write(|c| {
            c.execute_typed(
                "INSERT INTO kmsgate_meta (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                &[text(&name), (&value, Type::BYTEA)],
            )
        })
        .map(|_| ())
    }

    fn clear(&self, tenant: Option<&TenantId>) -> Result<ClearReport, StoreError> {
        // Both tables in one transaction: a reader sees all of them or none. Not run again
        // after a failure: a commit that failed may have happened, and a second clear would
        // remove keys created since.
        self.run_write(|c| {
            let mut tx = c.transaction()?;
            let (keys, aliases) = match tenant {
                Some(t) => (
                    tx.execute_typed(
                        "DELETE FROM kmsgate_keys WHERE tenant = $1",
                        &[text(&t.as_str())],
                    )?,
                    tx.execute_typed(
                        "DELETE FROM kmsgate_aliases WHERE tenant = $1",
                        &[text(&t.as_str())],
                    )?,
                ),
                None => (
                    tx.execute_typed("DELETE FROM kmsgate_keys", &[])?,
                    tx.execute_typed("DELETE FROM kmsgate_aliases", &[])?,
                ),
            };
            tx.commit()?;
            Ok(ClearReport {
                keys: usize::try_from(keys).unwrap_or(usize::MAX),
                aliases: usize::try_from(aliases).unwrap_or(usize::MAX),
            })
        })
    }

    fn exclusive(&self, task: &str, run: &mut dyn FnMut()) -> Result<bool, StoreError> {
        let lock = advisory_lock_id(task);
        let mut conn = self.conn()?;
        let held: bool = conn
            .query_typed_one("SELECT pg_try_advisory_lock($1)", &[(&lock, Type::INT8)])
            .and_then(|row| row.try_get(0))
            .map_err(err)?;
        if !held {
            return Ok(false);
        }
        let _unlock = Unlock { conn, lock };
        run();
        Ok(true)
    }
}

/// Releases an advisory lock when dropped, also while `run` unwinds: the session goes back to
/// the pool, and a lock left on it would keep every instance from the task for the life of the
/// connection. If the unlock fails, the connection is closed instead (the database releases a
/// session's locks with it) and never goes back to the pool.
struct Unlock {
    conn: PooledConnection<Manager>,
    lock: i64,
}

impl Drop for Unlock {
    fn drop(&mut self) {
        let unlocked = self
            .conn
            .query_typed_one("SELECT pg_advisory_unlock($1)", &[(&self.lock, Type::INT8)])
            .and_then(|row| row.try_get::<_, bool>(0));
        if !matches!(unlocked, Ok(true)) {
            // A closed client is what r2d2's `has_broken` looks for: the pool drops it.
            let _ = self
                .conn
                .batch_execute("SELECT pg_terminate_backend(pg_backend_pid())");
        }
    }
}

/// A stable 64-bit lock number for a task name (FNV-1a), kept apart from other users of
/// advisory locks by its high bits being kmsgate's.
fn advisory_lock_id(task: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"kmsgate/".iter().chain(task.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::testing::postgres::TestPostgres;

    /// Two stores over one database, as two kmsgate processes would open it.
    fn two_processes(pg: &TestPostgres) -> (PostgresStore, PostgresStore) {
        let options = pg.options();
        (
            PostgresStore::open(&options).unwrap(),
            PostgresStore::open(&options).unwrap(),
        )
    }

    #[test]
    fn postgres_store_passes_the_shared_suite() {
        let Some(pg) = TestPostgres::start() else {
            return;
        };
        crate::store::suite::run_all(&|| Box::new(PostgresStore::open(&pg.options()).unwrap()));
    }

    #[test]
    fn schema_is_made_once_and_a_newer_one_is_refused() {
        let Some(pg) = TestPostgres::start() else {
            return;
        };
        let options = pg.options();
        let (tenant, id) = (TenantId::new("t").unwrap(), KeyId::random());
        let first = PostgresStore::open(&options).unwrap();
        first
            .update(&tenant, &id, &mut |_| Change::Put(b"kept".to_vec()))
            .unwrap();
        // A second process opening the same database migrates nothing and sees the record.
        let second = PostgresStore::open(&options).unwrap();
        assert_eq!(second.get(&tenant, &id).unwrap(), Some(b"kept".to_vec()));
        let mut client = postgres::Client::connect(&pg.url_of(&db_name(&options)), NoTls).unwrap();
        client
            .execute("UPDATE kmsgate_schema SET version = version + 1", &[])
            .unwrap();
        let refused = PostgresStore::open(&options).unwrap_err();
        assert!(
            matches!(refused, OpenError::NewerSchema { found, supported }
                if found == i64::from(SCHEMA_VERSION) + 1 && supported == i64::from(SCHEMA_VERSION)),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("newer kmsgate"), "{refused}");
    }

    /// The settings the store's contract rests on hold on its sessions, whatever the
    /// database's defaults.
    #[test]
    fn sessions_read_committed_commit_synchronously_and_give_up_idle_transactions() {
        let Some(pg) = TestPostgres::start() else {
            return;
        };
        let options = pg.options();
        let store = PostgresStore::open(&options).unwrap();
        let mut conn = store.conn().unwrap();
        let show = |conn: &mut Client, what: &str| -> String {
            conn.query_one(&format!("SHOW {what}"), &[]).unwrap().get(0)
        };
        assert_eq!(show(&mut conn, "transaction_isolation"), "read committed");
        assert_eq!(show(&mut conn, "synchronous_commit"), "on");
        // The raw values, in milliseconds: the configured timeout, and four times it.
        let ms = |conn: &mut Client, what: &str| -> String {
            conn.query_one("SELECT setting FROM pg_settings WHERE name = $1", &[&what])
                .unwrap()
                .get(0)
        };
        let timeout = options.statement_timeout.as_millis();
        assert_eq!(ms(&mut conn, "statement_timeout"), timeout.to_string());
        assert_eq!(
            ms(&mut conn, "idle_in_transaction_session_timeout"),
            (timeout * 4).to_string()
        );
    }

    /// A change to a record another session holds locked gives up after the statement
    /// timeout, with an error, instead of waiting as long as the lock is held; and it changes
    /// nothing.
    #[test]
    fn an_update_behind_a_held_row_lock_gives_up_at_the_statement_timeout() {
        let Some(pg) = TestPostgres::start() else {
            return;
        };
        let url = pg.create_database();
        let options = PostgresOptions {
            url: url.parse().unwrap(),
            pool_size: 2,
            statement_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(5),
        };
        let store = PostgresStore::open(&options).unwrap();
        let tenant = TenantId::new("t").unwrap();
        let id = KeyId::random();
        assert!(store.insert(&tenant, &id, b"before".to_vec()).unwrap());
        // A session of its own (not the store's, whose idle-in-transaction timeout would end
        // it), holding the row's lock in an open transaction.
        let mut holder = Client::connect(&url, NoTls).unwrap();
        let mut locked = holder.transaction().unwrap();
        locked
            .query(
                "SELECT record FROM kmsgate_keys WHERE tenant = $1 AND key_id = $2 FOR UPDATE",
                &[&"t", &id.to_string()],
            )
            .unwrap();
        // Bounded, not timed: without the statement timeout the update would wait for as
        // long as the lock is held, so the test waits a minute at most, then fails.
        let refused = std::thread::scope(|s| {
            let (done, outcome) = std::sync::mpsc::channel();
            let (store, tenant) = (&store, &tenant);
            s.spawn(move || {
                let _ =
                    done.send(store.update(tenant, &id, &mut |_| Change::Put(b"after".to_vec())));
            });
            let refused = outcome.recv_timeout(Duration::from_secs(60));
            // Let a stuck update finish (and the scope end) either way.
            locked.rollback().unwrap();
            refused
        });
        let refused = refused.expect("the update waited on the lock past a minute");
        assert!(refused.is_err(), "an update went through a held lock");
        assert_eq!(store.get(&tenant, &id).unwrap(), Some(b"before".to_vec()));
    }

    /// A task that panics still releases its lock: the next pass, here or in another
    /// process, runs.
    #[test]
    fn an_exclusive_task_that_panics_releases_its_lock() {
        let Some(pg) = TestPostgres::start() else {
            return;
        };
        let (a, b) = two_processes(&pg);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            a.exclusive("sweep", &mut || panic!("a pass failed"))
                .unwrap();
        }));
        assert!(unwound.is_err());
        assert!(b.exclusive("sweep", &mut || {}).unwrap());
        assert!(a.exclusive("sweep", &mut || {}).unwrap());
    }

    #[test]
    fn an_exclusive_task_runs_in_one_process_at_a_time() {
        let Some(pg) = TestPostgres::start() else {
            return;
        };
        let (a, b) = two_processes(&pg);
        let mut inner = None;
        let ran = a
            .exclusive("sweep", &mut || {
                let mut ran_b = false;
                inner = Some(b.exclusive("sweep", &mut || ran_b = true).unwrap());
                assert!(!ran_b, "B ran while A held the task");
                // Another task is not excluded.
                assert!(b.exclusive("other", &mut || {}).unwrap());
            })
            .unwrap();
        assert!(ran);
        assert_eq!(inner, Some(false));
        let mut ran_b = false;
        assert!(b.exclusive("sweep", &mut || ran_b = true).unwrap());
        assert!(ran_b, "released after A's run");
    }

    fn db_name(options: &PostgresOptions) -> String {
        options.url.config().get_dbname().unwrap().to_owned()
    }

    #[test]
    fn an_unreachable_database_is_a_clear_open_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = PostgresOptions {
            url: format!("postgres://u:xyzzy-pw@127.0.0.1:{port}/d")
                .parse()
                .unwrap(),
            pool_size: 2,
            statement_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_millis(300),
        };
        let error = PostgresStore::open(&options).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("cannot connect to postgres://u@127.0.0.1:"),
            "{message}"
        );
        assert!(!message.contains("xyzzy"), "{message}");
    }

    #[test]
    fn a_database_restart_fails_calls_while_down_and_heals_without_reopening() {
        let Some(pg) = TestPostgres::start() else {
            return;
        };
        let store = PostgresStore::open(&pg.options()).unwrap();
        let (tenant, id) = (TenantId::new("t").unwrap(), KeyId::random());
        store
            .update(&tenant, &id, &mut |_| Change::Put(b"before".to_vec()))
            .unwrap();
        pg.stop();
        assert!(store.get(&tenant, &id).is_err(), "down: reads fail");
        let mut calls = 0;
        let down = store.update(&tenant, &id, &mut |_| {
            calls += 1;
            Change::Put(b"lost".to_vec())
        });
        assert!(down.is_err() && calls == 0, "down: nothing decided");
        pg.resume();
        // Every pooled connection died with the server; each is found broken and replaced.
        assert_eq!(store.get(&tenant, &id).unwrap(), Some(b"before".to_vec()));
        store
            .update(&tenant, &id, &mut |cur| {
                assert_eq!(cur, Some(&b"before"[..]));
                Change::Put(b"after".to_vec())
            })
            .unwrap();
        assert_eq!(store.get(&tenant, &id).unwrap(), Some(b"after".to_vec()));
    }
}
