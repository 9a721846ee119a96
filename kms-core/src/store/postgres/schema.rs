//! The database's tables, created and migrated by kmsgate itself at start.
//!
//! `kmsgate_schema` holds one row: the version of the last migration applied. Each process
//! that opens the store runs, in one transaction that first locks that row (so two
//! processes starting together migrate one after the other), every migration above the
//! stored version. A database whose version is above the newest this build knows was
//! migrated by a newer kmsgate: it is refused, since this build cannot know what changed.
//!
//! Plain SQL that PostgreSQL-compatible engines also take (CockroachDB, YugabyteDB): text
//! and bytea columns, no procedural code. Names compare byte by byte (`COLLATE "C"`), the
//! order the other backends list in whatever the database's locale (Huawei's key aliases
//! rely on `#` sorting first).

use postgres::Client;
use postgres::error::SqlState;

/// Migrations in order; the schema's version is how many have been applied. Never edit a
/// released one: add the next.
const MIGRATIONS: &[&str] = &[
    // 1: keys, aliases and metadata, as in the embedded store.
    r#"
    CREATE TABLE kmsgate_keys (
        tenant text COLLATE "C" NOT NULL,
        key_id text COLLATE "C" NOT NULL,
        record bytea NOT NULL,
        PRIMARY KEY (tenant, key_id)
    );
    CREATE TABLE kmsgate_aliases (
        tenant text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        record bytea NOT NULL,
        PRIMARY KEY (tenant, name)
    );
    CREATE TABLE kmsgate_meta (
        name text COLLATE "C" PRIMARY KEY,
        value bytea NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Why the schema could not be brought to [`SCHEMA_VERSION`].
#[derive(Debug)]
pub(super) enum MigrateError {
    /// Made by a newer kmsgate.
    Newer {
        found: i32,
    },
    Db(postgres::Error),
}

impl From<postgres::Error> for MigrateError {
    fn from(e: postgres::Error) -> Self {
        MigrateError::Db(e)
    }
}

/// Two processes creating the version table at the same instant: one of them loses a race
/// inside the database's catalog and simply tries again.
const ATTEMPTS: usize = 5;

/// Brings the schema to [`SCHEMA_VERSION`]; returns the migrations applied (0 when current).
pub(super) fn migrate(client: &mut Client) -> Result<usize, MigrateError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match migrate_once(client) {
            Err(MigrateError::Db(e)) if attempt < ATTEMPTS && is_race(&e) => continue,
            other => return other,
        }
    }
}

fn is_race(e: &postgres::Error) -> bool {
    e.code().is_some_and(|code| {
        [
            SqlState::UNIQUE_VIOLATION,
            SqlState::DUPLICATE_TABLE,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ]
        .contains(code)
    })
}

fn migrate_once(client: &mut Client) -> Result<usize, MigrateError> {
    let mut tx = client.transaction()?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS kmsgate_schema (
            singleton boolean PRIMARY KEY CHECK (singleton),
            version integer NOT NULL
        );
        INSERT INTO kmsgate_schema (singleton, version) VALUES (true, 0)
            ON CONFLICT (singleton) DO NOTHING;",
    )?;
    let found: i32 = tx
        .query_one(
            "SELECT version FROM kmsgate_schema WHERE singleton FOR UPDATE",
            &[],
        )?
        .try_get(0)?;
    if found > SCHEMA_VERSION {
        return Err(MigrateError::Newer { found });
    }
    let applied = usize::try_from(found).unwrap_or(0);
    for migration in MIGRATIONS.iter().skip(applied) {
        tx.batch_execute(migration)?;
    }
    if found < SCHEMA_VERSION {
        tx.execute(
            "UPDATE kmsgate_schema SET version = $1 WHERE singleton",
            &[&SCHEMA_VERSION],
        )?;
    }
    tx.commit()?;
    Ok(MIGRATIONS.len() - applied.min(MIGRATIONS.len()))
}
