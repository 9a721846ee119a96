//! A throwaway PostgreSQL cluster for tests: a real server (never a mock), made with the
//! machine's `initdb` in a temporary directory, listening on a free loopback port, stopped
//! and removed when dropped.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: there the cluster belongs to
//! `nobody` (its directory chowned, every PostgreSQL command run through `runuser`).
//!
//! Without a PostgreSQL binary, [`TestPostgres::start`] returns `None` after a loud SKIP line
//! on stderr, except under `CI=true`, where it panics: CI must not pass by skipping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::store::{PostgresOptions, PostgresUrl};

/// Where Debian's packages put the server binaries (one directory per major version).
const DEBIAN_BIN_DIRS: &str = "/usr/lib/postgresql";
/// The unprivileged user a root test process runs the cluster as.
const UNPRIVILEGED: &str = "nobody";

/// A running cluster; stopped (immediately) and its directory removed on drop.
#[derive(Debug)]
pub struct TestPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_nobody: bool,
    databases: AtomicUsize,
}

/// The directory holding `initdb` and `pg_ctl`: the newest Debian version directory, else
/// whichever `PATH` finds.
fn find_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_BIN_DIRS)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl TestPostgres {
    /// Starts a fresh cluster, or `None` (after a SKIP line) when the machine has no
    /// PostgreSQL and this is not CI.
    pub fn start() -> Option<TestPostgres> {
        let Some(bin) = find_bin_dir() else {
            let message = "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under \
                           /usr/lib/postgresql/*/bin; install Debian's `postgresql` package \
                           (.ci/run does when it runs as root)";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {message}");
            }
            eprintln!("\n*** SKIP: PostgreSQL tests not run: {message} ***\n");
            return None;
        };
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "kmsgate-pg-{}-{}-{nanos}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("cluster directory");
        let as_nobody = is_root();
        let pg = TestPostgres {
            bin,
            dir,
            port: free_port(),
            as_nobody,
            databases: AtomicUsize::new(0),
        };
        if as_nobody {
            let out = Command::new("chown")
                .args([UNPRIVILEGED, &pg.dir.display().to_string()])
                .output()
                .expect("chown");
            assert!(out.status.success(), "chown: {out:?}");
        }
        let data = pg.data_dir();
        // No fsync: a test cluster need not survive a power cut, and CI time is short. A
        // PostgreSQL crash or restart still keeps every committed transaction (the WAL is
        // written; only flushing to the disk is skipped).
        let out = pg.pg(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "kmsgate",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        assert!(out.status.success(), "initdb failed: {}", describe(&out));
        pg.start_server();
        Some(pg)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs a PostgreSQL program, as `nobody` when we are root.
    fn pg(&self, program: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", UNPRIVILEGED, "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
    }

    fn start_server(&self) {
        let options = format!(
            "-k {} -h 127.0.0.1 -p {} -c fsync=off -c full_page_writes=off -c max_connections=200",
            self.dir.display(),
            self.port
        );
        let log = self.dir.join("server.log");
        let out = self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir().display().to_string(),
                "-l",
                &log.display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            describe(&out),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server (fast: connections are cut, committed work kept), as a database
    /// outage looks to its clients.
    pub fn stop(&self) {
        let out = self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir().display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            describe(&out)
        );
    }

    /// Starts the stopped server again on the same port.
    pub fn resume(&self) {
        self.start_server();
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` (made by [`TestPostgres::create_database`]).
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://kmsgate@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database; returns its URL.
    pub fn create_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("kmsgate_test_{n}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match postgres::Client::connect(&self.url_of("postgres"), postgres::NoTls)
                .and_then(|mut c| c.batch_execute(&format!("CREATE DATABASE {name}")))
            {
                Ok(()) => return self.url_of(&name),
                Err(e) if Instant::now() < deadline => {
                    eprintln!("test PostgreSQL not ready ({e}), retrying");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("CREATE DATABASE {name}: {e}"),
            }
        }
    }

    /// Store options for a new, empty database of this cluster.
    pub fn options(&self) -> PostgresOptions {
        let url: PostgresUrl = self.create_database().parse().expect("test URL");
        PostgresOptions {
            url,
            pool_size: 8,
            statement_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn describe(out: &Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let _ = self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir().display().to_string(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
