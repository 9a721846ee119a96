//! A process from start to exit: settings, engine, listeners, the ready line(s), signals,
//! graceful stop, final flush.
//!
//! Exit codes: 0 after a clean stop; 1 when something fails at run time (data directory,
//! binding, flushing); 2 for invalid configuration or usage.

use std::future::Future;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use clap::Parser;
use kms_core::{Clock, Clocks, Seeded, SystemClock};

use crate::admin::{AdminAccess, ProbeFlight, RecordsReadable};
use crate::busy_poll::BusyPoll;
use crate::cli::{DialectCli, KmsgateCli, KmsgateCommand};
use crate::dialect::DialectKind;
use crate::engine::{Engine, StartError};
use crate::env_source::setting_path;
use crate::listener::{self, Cloud, ListenerContext, Shared};
use crate::logging;
use crate::metrics::Metrics;
use crate::seed::{self, SeedFailure};
use crate::settings::{Overrides, Settings, SettingsError};
use crate::signals::StopSignals;

const RUNTIME_FAILURE: u8 = 1;
const INVALID_CONFIGURATION: u8 = 2;

/// `kmsgate-aws`, `kmsgate-tencent`, `kmsgate-huawei`.
pub fn dialect_main(kind: DialectKind) -> ExitCode {
    let cli = DialectCli::parse_for(kind, std::env::args_os());
    run(&[kind], cli.common.config.as_deref(), &cli.overrides(kind))
}

/// `kmsgate serve`.
pub fn kmsgate_main() -> ExitCode {
    let cli = KmsgateCli::parse();
    match cli.command {
        KmsgateCommand::Wrap(args) => crate::wrap_cmd::main(&args),
        KmsgateCommand::Serve(args) => run(
            &DialectKind::ALL,
            args.common.config.as_deref(),
            &args.overrides(),
        ),
    }
}

fn run(kinds: &[DialectKind], config: Option<&Path>, overrides: &Overrides) -> ExitCode {
    let loaded = process_env().and_then(|env| Settings::load_reporting(config, &env, overrides));
    let (settings, warnings) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return fail(INVALID_CONFIGURATION, &e),
    };
    let rust_log = std::env::var("RUST_LOG").ok();
    let _log_writer = match logging::filter(
        overrides.log_level.as_ref(),
        rust_log.as_deref(),
        &settings.log.level,
    ) {
        Ok(filter) => logging::init(filter, settings.log.format),
        Err(e) => return fail(INVALID_CONFIGURATION, &e),
    };
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    if let Some(ignored) =
        logging::ignored_rust_log(overrides.log_level.as_ref(), rust_log.as_deref())
    {
        tracing::warn!("{ignored}");
    }
    let Prepared { engine, listeners } = match prepare(&settings, kinds, overrides.reset) {
        Ok(p) => p,
        // The file's fault is the configuration's; the store failing is the runtime's.
        Err(e @ StartFailure::Seed { store: false, .. }) => return fail(INVALID_CONFIGURATION, &e),
        // A root key setting naming a missing file, or no 64 hex digits, is the
        // configuration's fault as well.
        Err(StartFailure::Engine(e))
            if matches!(
                e.downcast_ref::<StartError>(),
                Some(StartError::RootKeyFile { .. })
            ) =>
        {
            return fail(INVALID_CONFIGURATION, &e);
        }
        Err(e) => return fail(RUNTIME_FAILURE, &e),
    };
    let served = actix_web::rt::System::new().block_on(async move {
        // Before the ready line: a signal sent right after it must stop us, not kill us.
        let mut signals = StopSignals::install()?;
        let stop = async move {
            let signal = signals.recv().await;
            eprintln!("kmsgate: {signal} received, finishing in-flight requests");
        };
        serve_until(listeners, announce, stop).await
    });
    let closed = engine.close();
    match (served, closed) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(e), _) => fail(RUNTIME_FAILURE, &e),
        (Ok(()), Err(e)) => fail(RUNTIME_FAILURE, &format!("cannot flush the store: {e}")),
    }
}

/// Why a process (or a [`crate::Background`] server) could not get ready to serve.
#[derive(Debug, thiserror::Error)]
pub enum StartFailure {
    /// The engine's own failure (data directory, root key, sweeper).
    #[error(transparent)]
    Engine(Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot listen on {addr} for {kind}: {source}")]
    Bind {
        kind: DialectKind,
        addr: String,
        source: io::Error,
    },
    /// The seed file could not be read, or declares keys that cannot be or that contradict
    /// the store; nothing was served.
    #[error("seed file {file}: {message}")]
    Seed {
        file: String,
        message: String,
        /// The store failed, not the file.
        store: bool,
    },
}

/// An engine and its bound, not yet serving, listeners.
pub(crate) struct Prepared {
    pub engine: Engine,
    pub listeners: Vec<(DialectKind, ListenerContext, TcpListener)>,
}

/// Starts the engine and binds one socket per dialect; the binaries and
/// [`crate::Background`] both start this way.
/// `reset` empties the store first (`--reset`).
pub(crate) fn prepare(
    settings: &Settings,
    kinds: &[DialectKind],
    reset: bool,
) -> Result<Prepared, StartFailure> {
    let engine = Engine::start(settings, reset)
        .map_err(|e: StartError| StartFailure::Engine(Box::new(e)))?;
    log_startup(settings, kinds);
    // Bound before anything is announced, so a taken port fails the start, not a request.
    let mut sockets = Vec::new();
    for &kind in kinds {
        let addr = settings.listen(kind);
        match TcpListener::bind(addr.as_str()) {
            Ok(socket) => sockets.push((kind, socket)),
            Err(source) => {
                let _ = engine.close();
                return Err(StartFailure::Bind {
                    kind,
                    addr: addr.to_string(),
                    source,
                });
            }
        }
    }
    // Signatures are dated by real SDK clocks, which fast-forwarding must not push out of a
    // cloud's skew window; issued tokens and quota windows follow the emulated clock.
    let clocks = Clocks {
        real: Arc::new(SystemClock),
        emulated: Arc::clone(engine.clock()) as Arc<dyn Clock>,
    };
    // Every cloud, served or not: a listener must recognise requests meant for any of them.
    let clouds = DialectKind::ALL
        .into_iter()
        .map(|kind| {
            let url = sockets
                .iter()
                .find(|(k, _)| *k == kind)
                .and_then(|(_, socket)| socket.local_addr().ok())
                .map(|addr| format!("http://{addr}"));
            Cloud {
                kind,
                dialect: kind.build(settings, engine.kms(), &clocks),
                url,
            }
        })
        .collect::<Vec<_>>();
    if let Some(file) = &settings.seed.file
        && let Err(failure) = seed_at_start(file, &engine, &clouds)
    {
        let _ = engine.close();
        return Err(StartFailure::Seed {
            file: file.display().to_string(),
            message: failure.to_string(),
            store: matches!(failure, SeedFailure::Store { .. }),
        });
    }
    let metrics = Metrics::new().map_err(|e| StartFailure::Engine(Box::new(e)))?;
    let served: Vec<(DialectKind, Arc<dyn dialect_kit::Dialect>)> = clouds
        .iter()
        .map(|c| (c.kind, Arc::clone(&c.dialect)))
        .collect();
    let shared = Arc::new(Shared {
        clock: Arc::clone(engine.clock()),
        store_probe: ProbeFlight::new(Arc::new(RecordsReadable(Arc::clone(engine.kms())))),
        clock_control: settings.admin.clock_control,
        admin_access: AdminAccess::new(
            kinds.iter().any(|kind| settings.strict_auth(*kind)),
            settings.admin.token.as_deref(),
        ),
        body_limit: settings.limits.body_bytes,
        request_timeout: Duration::from_secs(settings.limits.request_timeout_secs),
        metrics: Arc::new(metrics),
        engine: engine.view(),
        clouds,
        tenants_seen: std::sync::RwLock::default(),
        log_format: settings.log.format,
        busy_poll: BusyPoll::new(Duration::from_micros(settings.busy_poll_micros)),
    });
    let mut listeners = Vec::new();
    for (kind, socket) in sockets {
        // `clouds` holds every kind, so each listener finds its dialect there.
        for (k, dialect) in &served {
            if *k == kind {
                let context = ListenerContext {
                    kind,
                    dialect: Arc::clone(dialect),
                    shared: Arc::clone(&shared),
                };
                listeners.push((kind, context, socket));
                break;
            }
        }
    }
    Ok(Prepared { engine, listeners })
}

/// Applies the seed file before any listener serves, so the first request sees its keys.
fn seed_at_start(file: &Path, engine: &Engine, clouds: &[Cloud]) -> Result<(), SeedFailure> {
    let planned = seed::plan_file(file, clouds)?;
    let report = seed::apply(engine.kms(), &planned)?;
    tracing::info!(
        file = %file.display(),
        created = report.count(Seeded::Created),
        imported = report.count(Seeded::Imported),
        kept = report.count(Seeded::Kept),
        "seeded"
    );
    Ok(())
}

/// One line saying how this process is set up: what a user debugging it asks first.
fn log_startup(settings: &Settings, kinds: &[DialectKind]) {
    // The URL's password is left out by `PostgresUrl`'s own formatting.
    let store = match settings.store_choice() {
        Ok((choice, _)) => choice.describe(),
        Err(e) => e.to_string(),
    };
    let mode = |strict: bool| if strict { "strict" } else { "permissive" };
    let auth: Vec<String> = kinds
        .iter()
        .map(|kind| format!("{kind}={}", mode(settings.strict_auth(*kind))))
        .collect();
    let p = &settings.pool;
    tracing::info!(
        store,
        auth = auth.join(" "),
        clock_control = settings.admin.clock_control,
        pool = format_args!(
            "rsa_2048={} rsa_3072={} rsa_4096={} sm2={}",
            p.rsa_2048, p.rsa_3072, p.rsa_4096, p.sm2
        ),
        "kmsgate starting"
    );
}

/// Serves every listener until `stop` completes, then stops them all gracefully: no new
/// connections, in-flight requests finish. `ready` hears the bound addresses once every
/// listener accepts connections. Must run inside an actix `System`.
pub(crate) async fn serve_until(
    listeners: Vec<(DialectKind, ListenerContext, TcpListener)>,
    ready: impl FnOnce(&[(DialectKind, SocketAddr)]),
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let contexts: Vec<Weak<Shared>> = listeners
        .iter()
        .map(|(_, context, _)| Arc::downgrade(&context.shared))
        .collect();
    let mut bound = Vec::new();
    let mut servers: Vec<Server> = Vec::new();
    for (kind, context, socket) in listeners {
        let addr = socket.local_addr()?;
        servers.push(listener::start(context, socket)?);
        bound.push((kind, addr));
    }
    let handles: Vec<_> = servers.iter().map(Server::handle).collect();
    let running: Vec<_> = servers.into_iter().map(actix_web::rt::spawn).collect();
    ready(&bound);

    stop.await;
    let stopping: Vec<_> = handles.iter().map(|h| h.stop(true)).collect();
    for stopped in stopping {
        stopped.await;
    }
    for server in running {
        server.await.map_err(io::Error::other)??;
    }
    released(&contexts).await;
    Ok(())
}

/// How long a stop waits for actix's worker threads to drop their listener contexts.
const RELEASE_GRACE: Duration = Duration::from_secs(10);

/// Waits until every listener context (and so every dialect's handle on the engine) is gone:
/// actix's workers drop their apps on their own threads shortly after the server reports
/// stopped, and only then can closing the engine release the store.
async fn released(contexts: &[Weak<Shared>]) {
    let deadline = Instant::now() + RELEASE_GRACE;
    while contexts.iter().any(|c| c.strong_count() > 0) && Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}

/// One line per listener, flushed at once: scripts and tests wait for it to know the real
/// port (when asked for port 0).
fn announce(bound: &[(DialectKind, SocketAddr)]) {
    let mut out = io::stdout().lock();
    for (kind, addr) in bound {
        let _ = writeln!(out, "{kind} listening on http://{addr}");
    }
    let _ = out.flush();
}

/// The process's `KMSGATE_…` variables. Others are never looked at, so a non-UTF-8 `PATH`
/// is no concern; a non-UTF-8 value of ours is an error rather than a panic.
fn process_env() -> Result<Vec<(String, String)>, SettingsError> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else {
            continue;
        };
        if setting_path(name).is_none() {
            continue;
        }
        match value.into_string() {
            Ok(value) => vars.push((name.to_owned(), value)),
            Err(_) => {
                // Shortened as everywhere: a map's entry name may be a token.
                return Err(SettingsError::NotUtf8 {
                    name: crate::env_source::shown_name(name),
                });
            }
        }
    }
    Ok(vars)
}

fn fail(code: u8, error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("kmsgate: {error}");
    ExitCode::from(code)
}
