//! One HTTP listener: a dialect, plus what every listener has (health and time control),
//! under the process-wide limits.
//!
//! # The request timeout
//!
//! `limits.request_timeout_secs` bounds what comes *before* a dialect starts on a request:
//! reading its body and waiting in the queue for a blocking worker. Requests the dialect calls
//! quick ([`Dialect::is_quick`]: reads and symmetric cryptography) never queue: they are
//! answered on the async worker as soon as their body has arrived. The deadline is taken when
//! the request arrives. If it passes first, the client gets the dialect's
//! [`Edge::TimedOut`] answer at once, and the queued job, when a worker reaches it, checks
//! the deadline before anything else and does nothing. A job that has started is never
//! abandoned: the handler waits for its answer however long it takes. So a timeout answer (which
//! SDKs retry) always means nothing happened, and a graceful shutdown, which waits for
//! in-flight handlers, waits for every started job.

use std::collections::HashSet;
use std::io;
use std::net::TcpListener;
use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use actix_web::error::BlockingError;
use actix_web::rt::time::timeout;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kms_core::{EmulatedClock, TenantId};

use dialect_kit::{Dialect, Edge, Summary};

use crate::admin;
use crate::body::{BodyError, read_body};
use crate::busy_poll::BusyPoll;
use crate::dialect::DialectKind;
use crate::engine::EngineView;
use crate::http_bridge;
use crate::logging::LogFormat;
use crate::metrics::{self, Metrics};
use crate::request_line::RequestLine;

/// A slow or silent client gets this long to send its request head, and this long to go
/// away after its answer, before its connection is dropped.
const CLIENT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);
const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a graceful shutdown waits for started jobs, beyond the request timeout, before it
/// drops their connections. Started jobs are waited for without limit otherwise; this only
/// keeps a dialect that hangs from keeping the process up forever.
const STARTED_JOB_GRACE: Duration = Duration::from_secs(300);

/// What every listener of the process shares: one clock, one store, one set of limits.
#[derive(Debug)]
pub(crate) struct Shared {
    pub clock: Arc<EmulatedClock>,
    /// Health checks read the store through this.
    pub store_probe: Arc<admin::ProbeFlight>,
    pub clock_control: bool,
    /// Who may call `/_kmsgate/…`.
    pub admin_access: admin::AdminAccess,
    pub body_limit: usize,
    /// How long a request may take to arrive and to reach a worker (see the module docs).
    pub request_timeout: Duration,
    pub metrics: Arc<Metrics>,
    /// The engine, as `/metrics` reads it.
    pub engine: EngineView,
    /// Every cloud this build speaks, served here or not, to recognise misdirected requests.
    pub clouds: Vec<Cloud>,
    /// Tenants this process has seen, so a new one (often a typo) is logged once.
    /// Read-mostly: every request looks, almost none adds.
    pub tenants_seen: RwLock<HashSet<String>>,
    /// Text lines are built by hand ([`RequestLine`]); JSON keeps structured fields.
    pub log_format: LogFormat,
    /// Whether workers poll for a moment after answering (see [`BusyPoll`]).
    pub busy_poll: Arc<BusyPoll>,
}

/// Tenants [`Shared::tenants_seen`] holds at most.
const TENANTS_REMEMBERED: usize = 10_000;

impl Shared {
    /// Forgets the tenants seen: after a reset their keys are gone, so a tenant appearing
    /// again is worth noting again.
    pub(crate) fn forget_tenants(&self) {
        self.tenants_seen
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Logs a tenant the first time this process sees it, if it holds no key but the one this
    /// request created or named: `aws/111122223333/us-est-1` is how a region typo shows.
    /// Runs on the blocking pool (it reads the store).
    fn note_tenant(&self, response: &http::Response<Vec<u8>>) {
        let Some(summary) = Summary::of(response) else {
            return;
        };
        let Some(tenant) = &summary.tenant else {
            return;
        };
        // A poisoned set only means a logging thread panicked; the set is still usable.
        let known = self
            .tenants_seen
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(tenant);
        if known {
            return;
        }
        let first = {
            let mut seen = self
                .tenants_seen
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // A client naming ever new regions or accounts would grow the set without end;
            // starting over only means a tenant may be noted once more.
            if seen.len() >= TENANTS_REMEMBERED {
                seen.clear();
            }
            seen.insert(tenant.clone())
        };
        if !first {
            return;
        }
        let Ok(id) = TenantId::new(tenant.clone()) else {
            return;
        };
        let others = match self.engine.kms.store().list(&id, None, 2) {
            Ok(keys) => keys
                .iter()
                .filter(|(key, _)| Some(key.to_string()) != summary.key_id)
                .count(),
            // Unknown: say nothing rather than something untrue.
            Err(_) => return,
        };
        if others == 0 {
            tracing::info!(tenant = tenant.as_str(), "new tenant {tenant}");
        }
    }
}

/// One cloud as every listener knows it.
#[derive(Debug)]
pub(crate) struct Cloud {
    pub kind: DialectKind,
    pub dialect: Arc<dyn Dialect>,
    /// `http://HOST:PORT` when this process serves it.
    pub url: Option<String>,
}

/// What one listener's handlers see.
#[derive(Debug)]
pub(crate) struct ListenerContext {
    pub kind: DialectKind,
    pub dialect: Arc<dyn Dialect>,
    pub shared: Arc<Shared>,
}

impl ListenerContext {
    /// The answer for a request shaped for another cloud (and not for this one), in the shape
    /// its client understands: the other cloud's error, unless that cloud answers everything
    /// with a 200 (then this listener's own error, which such a client cannot mistake for
    /// success).
    fn misdirected(&self, request: &http::Request<Vec<u8>>) -> Option<http::Response<Vec<u8>>> {
        if self.dialect.recognizes(request) {
            return None;
        }
        let meant = self
            .shared
            .clouds
            .iter()
            .find(|c| c.kind != self.kind && c.dialect.recognizes(request))?;
        let whereabouts = match &meant.url {
            Some(url) => format!("{} is served at {url}", meant.kind.cloud()),
            None => format!(
                "{} is not served by this process (run {} or kmsgate serve; its default address is http://{})",
                meant.kind.cloud(),
                meant.kind.binary_name(),
                meant.kind.default_listen()
            ),
        };
        let message = format!(
            "this is kmsgate's {} listener; {whereabouts}",
            self.kind.cloud()
        );
        let edge = Edge::Misdirected { message: &message };
        let theirs = meant.dialect.edge(edge);
        tracing::warn!(
            dialect = self.kind.name(),
            meant_for = meant.kind.name(),
            "a request for {} reached the {} listener",
            meant.kind.cloud(),
            self.kind.cloud()
        );
        Some(if theirs.status().is_success() {
            self.dialect.edge(edge)
        } else {
            theirs
        })
    }

    /// The request's log line and metrics.
    fn record(&self, response: &http::Response<Vec<u8>>, took: Duration) {
        let summary = Summary::of(response);
        let field = |f: fn(&Summary) -> &Option<String>| {
            summary.and_then(|s| f(s).as_deref()).unwrap_or("-")
        };
        let operation = summary
            .and_then(|s| s.operation)
            .unwrap_or(metrics::UNROUTED);
        let code = summary.and_then(|s| s.error_code);
        self.shared
            .metrics
            .observe(self.kind, operation, code.unwrap_or(metrics::OK), took);
        if !tracing::enabled!(tracing::Level::INFO) {
            return;
        }
        let line = RequestLine {
            dialect: self.kind.name(),
            operation,
            tenant: field(|s| &s.tenant),
            key_id: field(|s| &s.key_id),
            status: response.status().as_u16(),
            code: code.unwrap_or("-"),
            micros: u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            request_id: field(|s| &s.request_id),
        };
        match self.shared.log_format {
            LogFormat::Text => line.log(),
            LogFormat::Json => tracing::info!(
                dialect = line.dialect,
                operation = line.operation,
                tenant = line.tenant,
                key_id = line.key_id,
                status = line.status,
                code = line.code,
                ms = %format_args!("{:.1}", took.as_secs_f64() * 1000.0),
                request_id = line.request_id,
                "request"
            ),
        }
    }
}

/// Routes: `GET /health`, `GET /metrics` and `/_kmsgate/…` are the server's; everything else
/// is the dialect's.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(admin::health))
            .default_service(web::to(dialect_request)),
    )
    .service(
        web::resource("/metrics")
            .route(web::get().to(admin::metrics))
            .default_service(web::to(dialect_request)),
    )
    .service(
        web::scope("/_kmsgate")
            .wrap(actix_web::middleware::from_fn(admin::gate))
            .configure(admin::configure),
    )
    .default_service(web::to(dialect_request));
}

/// Starts serving on an already bound socket. The returned server must be polled (spawned)
/// and is stopped through its handle; OS signals are the caller's business, so that one
/// signal stops every listener of the process together.
pub(crate) fn start(context: ListenerContext, socket: TcpListener) -> io::Result<Server> {
    build(context, socket, None)
}

/// [`start`], with one worker of at most `blocking_threads` blocking threads if given (tests
/// use one thread, to make jobs queue).
fn build(
    context: ListenerContext,
    socket: TcpListener,
    blocking_threads: Option<usize>,
) -> io::Result<Server> {
    // A graceful stop waits for in-flight handlers, and they wait for their started jobs.
    let grace = context
        .shared
        .request_timeout
        .saturating_add(STARTED_JOB_GRACE)
        .as_secs();
    let busy_poll = Arc::clone(&context.shared.busy_poll);
    let starter = Arc::clone(&busy_poll);
    let data = web::Data::new(context);
    let mut server = HttpServer::new(move || {
        // The factory runs on each worker thread.
        starter.start_on_this_worker();
        App::new().app_data(data.clone()).configure(configure)
    })
    .disable_signals()
    .client_request_timeout(CLIENT_HEAD_TIMEOUT)
    .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
    .shutdown_timeout(grace)
    .on_connect(move |connection, data| {
        linger::on_connect(connection, data);
        busy_poll.on_connect(data);
    });
    if let Some(threads) = blocking_threads {
        server = server.workers(1).worker_max_blocking_threads(threads);
    }
    Ok(server.listen(socket)?.run())
}

/// A graceful close for every connection actix drops, so that an answer it sends to a client
/// that is still sending (a 431 for a request head over its 128 KiB limit) reaches the client.
///
/// actix answers such a head and drops the connection without reading the rest; closing a
/// socket with unread data makes the kernel reset the connection, and a client still writing
/// (or not yet reading) never sees the answer. actix offers no hook on its connection I/O, so
/// each connection keeps a second descriptor of its socket in its connection data: when actix
/// drops the connection (and with it that data), the socket is shut down for writing, and if
/// the client is still sending, what it sends is read and discarded (nginx's lingering close)
/// until it stops, for at most [`linger::FOR`] and [`linger::BYTES`], on a thread of its own.
/// A connection closed with nothing pending closes at once, as before. Costs one descriptor per
/// open connection.
mod linger {
    use std::any::Any;
    use std::io::Read;
    use std::net::{Shutdown, TcpStream};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use actix_web::dev::Extensions;

    /// How long, and how much, a client still sending is read from before its connection is
    /// closed anyway (with a reset, as without lingering).
    pub(super) const FOR: Duration = Duration::from_secs(2);
    pub(super) const BYTES: u64 = 16 << 20;
    /// Lingering connections at once; beyond that a connection is closed as actix would, so a
    /// flood of oversized heads cannot pile up threads or descriptors.
    const MAX_AT_ONCE: usize = 32;

    static LINGERING: AtomicUsize = AtomicUsize::new(0);

    /// The second descriptor of a connection's socket, closed gracefully when dropped.
    #[derive(Debug)]
    struct Closer(Option<TcpStream>);

    impl Drop for Closer {
        fn drop(&mut self) {
            if let Some(socket) = self.0.take() {
                close(socket);
            }
        }
    }

    /// For `HttpServer::on_connect`: keeps the socket's second descriptor with the connection.
    pub(super) fn on_connect(connection: &dyn Any, data: &mut Extensions) {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
                return;
            };
            // Without it the connection is closed as actix closes it: nothing is lost.
            if let Ok(fd) = stream.as_fd().try_clone_to_owned() {
                data.insert(Closer(Some(TcpStream::from(fd))));
            }
        }
        #[cfg(not(unix))]
        let _ = (connection, data);
    }

    /// Runs when actix is done with the connection (on its worker thread, so it never blocks).
    fn close(socket: TcpStream) {
        // Whatever actix sent is followed by an orderly end, whoever closes last.
        let _ = socket.shutdown(Shutdown::Write);
        let mut scratch = [0u8; 16 << 10];
        let pending = socket.set_nonblocking(true).is_ok()
            && matches!((&socket).read(&mut scratch), Ok(n) if n > 0);
        // Nothing unread (the usual case: the client is idle or gone): a plain close is clean.
        if !pending {
            return;
        }
        if LINGERING.fetch_add(1, Ordering::AcqRel) >= MAX_AT_ONCE {
            LINGERING.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("kmsgate-linger".to_owned())
            .spawn(move || {
                drain(&socket);
                LINGERING.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            LINGERING.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Reads and discards until the client stops sending or a limit is reached.
    fn drain(socket: &TcpStream) {
        let deadline = Instant::now() + FOR;
        let mut scratch = vec![0u8; 64 << 10];
        let mut drained = 0u64;
        if socket.set_nonblocking(false).is_err() {
            return;
        }
        while drained < BYTES {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || socket.set_read_timeout(Some(left)).is_err() {
                return;
            }
            match (&*socket).read(&mut scratch) {
                Ok(0) | Err(_) => return,
                Ok(n) => drained = drained.saturating_add(u64::try_from(n).unwrap_or(u64::MAX)),
            }
        }
    }
}

async fn dialect_request(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    let arrived = Instant::now();
    let deadline = Deadline::after(context.shared.request_timeout);
    let dialect = context.dialect.as_ref();
    let response = match respond(&req, payload, &context, deadline).await {
        Ok(response) => response,
        Err(unanswered) => unanswered.answer(dialect),
    };
    context.record(&response, arrived.elapsed());
    context.shared.busy_poll.answered(Instant::now());
    send(dialect, response)
}

/// Reads the request and has the dialect answer it, all of it before `deadline` except the
/// dialect's own work once started.
async fn respond(
    req: &HttpRequest,
    payload: web::Payload,
    context: &ListenerContext,
    deadline: Deadline,
) -> Result<http::Response<Vec<u8>>, Unanswered> {
    let limit = context.shared.body_limit;
    let body = timeout(deadline.remaining(), read_body(req, payload, limit))
        .await
        .map_err(|_elapsed| Unanswered::TimedOut)??;
    let request = http_bridge::to_http(req, body).map_err(Unanswered::Unrepresentable)?;
    if let Some(answer) = context.misdirected(&request) {
        return Ok(answer);
    }
    // In a shared store even reads go over the network, and each request first takes the
    // shared clock: no work for an async worker.
    if context.dialect.is_quick(&request) && !context.shared.engine.is_shared() {
        // Microseconds of work: cheaper here than the hop to a blocking thread and back.
        // A panic is caught as it would be on the blocking pool.
        let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            context.dialect.handle(request)
        }));
        return match answered {
            Ok(response) => {
                context.shared.note_tenant(&response);
                Ok(response)
            }
            Err(_) => Err(Unanswered::Panicked),
        };
    }
    let dialect = Arc::clone(&context.dialect);
    let shared = Arc::clone(&context.shared);
    dispatch(deadline, move || {
        shared.engine.refresh_clock();
        let response = dialect.handle(request);
        shared.note_tenant(&response);
        response
    })
    .await
}

/// The dialect's answer as actix sends it; the dialect's internal error if it cannot be sent.
fn send(dialect: &dyn Dialect, response: http::Response<Vec<u8>>) -> HttpResponse {
    http_bridge::to_actix(response)
        .or_else(|_| http_bridge::to_actix(dialect.edge(Edge::InternalError)))
        .unwrap_or_else(|_| HttpResponse::InternalServerError().finish())
}

/// Why a dialect request got no answer from [`Dialect::handle`]. Each case has an answer in
/// the dialect's own shape.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unanswered {
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error("the request cannot be represented: {0}")]
    Unrepresentable(http::Error),
    #[error("the request did not start within the time limit")]
    TimedOut,
    #[error("the request handler failed: {0}")]
    HandlerFailed(BlockingError),
    #[error("the request handler panicked")]
    Panicked,
}

impl Unanswered {
    fn answer(&self, dialect: &dyn Dialect) -> http::Response<Vec<u8>> {
        match self {
            Unanswered::Body(BodyError::TooLarge { limit }) => {
                dialect.edge(Edge::BodyTooLarge { limit: *limit })
            }
            Unanswered::Body(BodyError::Broken(_)) | Unanswered::Unrepresentable(_) => dialect
                .edge(Edge::BadRequest {
                    reason: &self.to_string(),
                }),
            Unanswered::TimedOut => dialect.edge(Edge::TimedOut),
            Unanswered::HandlerFailed(_) | Unanswered::Panicked => {
                dialect.edge(Edge::InternalError)
            }
        }
    }
}

/// When a request must have started: taken as it arrives, `request_timeout` later.
#[derive(Clone, Copy, Debug)]
struct Deadline(
    /// `None` when too far off for an `Instant` to hold: never.
    Option<Instant>,
);

impl Deadline {
    fn after(limit: Duration) -> Self {
        Deadline(Instant::now().checked_add(limit))
    }

    fn passed(self) -> bool {
        self.0.is_some_and(|at| Instant::now() >= at)
    }

    fn remaining(self) -> Duration {
        self.0.map_or(Duration::MAX, |at| {
            at.saturating_duration_since(Instant::now())
        })
    }
}

/// A dispatched job's fate, settled once by whichever comes first: a worker starting it, or
/// its handler giving up on it at the deadline.
#[derive(Debug, Default)]
struct JobState(AtomicU8);

impl JobState {
    const QUEUED: u8 = 0;
    const STARTED: u8 = 1;
    const ABANDONED: u8 = 2;

    /// The worker's claim; false if the handler gave up first.
    fn start(&self) -> bool {
        self.settle(Self::STARTED)
    }

    /// The handler's claim; false if the job has started.
    fn abandon(&self) -> bool {
        self.settle(Self::ABANDONED)
    }

    fn settle(&self, to: u8) -> bool {
        self.0
            .compare_exchange(Self::QUEUED, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// Runs `job` on the blocking pool unless `deadline` passes before a worker takes it up; in
/// that case `job` never runs and the answer is [`Unanswered::TimedOut`], as soon as the
/// deadline passes. A started job is waited for to the end, deadline or not.
async fn dispatch<R, F>(deadline: Deadline, job: F) -> Result<R, Unanswered>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let state = Arc::new(JobState::default());
    let worker_state = Arc::clone(&state);
    let running = web::block(move || {
        // The very first thing: a job reached too late, or given up on, does nothing at all.
        if deadline.passed() || !worker_state.start() {
            return None;
        }
        Some(job())
    });
    let mut running = pin!(running);
    let finished = match timeout(deadline.remaining(), &mut running).await {
        Ok(finished) => finished,
        // Still queued: it will do nothing when a worker reaches it; no need to wait for that.
        Err(_elapsed) if state.abandon() => return Err(Unanswered::TimedOut),
        // Started: whatever it does will be done, so the client must hear of it.
        Err(_elapsed) => running.await,
    };
    match finished {
        Ok(Some(answer)) => Ok(answer),
        Ok(None) => Err(Unanswered::TimedOut),
        Err(failed) => Err(Unanswered::HandlerFailed(failed)),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use std::sync::atomic::AtomicUsize;

    use actix_web::body::to_bytes;
    use actix_web::dev::ServiceResponse;
    use actix_web::test::{TestRequest, call_service, init_service};
    use kms_core::wrapping::{KeyPairPool, PoolTargets};
    use kms_core::{Kms, MemoryStore, RootKey};
    pub(crate) use serde_json::json;

    use crate::admin::RecordsReadable;

    use super::*;

    /// What every test fake answers alike: it recognises everything, `/quick` is quick, it
    /// takes no seed entries, and a tenant is `{"name": ...}`.
    macro_rules! fake_dialect_basics {
        () => {
            fn recognizes(&self, _: &http::Request<Vec<u8>>) -> bool {
                true
            }
            fn is_quick(&self, request: &http::Request<Vec<u8>>) -> bool {
                request.uri().path() == "/quick"
            }
            fn seed_placement(
                &self,
                _: &dialect_kit::SeedTerms<'_>,
            ) -> Result<dialect_kit::SeedPlacement, String> {
                Err("a test fake takes no seed entries".to_owned())
            }
            fn tenant(
                &self,
                terms: &std::collections::BTreeMap<String, String>,
            ) -> Result<String, String> {
                terms
                    .get("name")
                    .cloned()
                    .ok_or_else(|| "name it".to_owned())
            }
        };
    }
    pub(crate) use fake_dialect_basics;

    /// Answers with what it was given, so a test can see the bridged request.
    #[derive(Debug)]
    pub(crate) struct Echo;

    impl Dialect for Echo {
        fake_dialect_basics!();

        fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
            let (parts, body) = request.into_parts();
            let seen = json!({
                "method": parts.method.as_str(),
                "uri": parts.uri.to_string(),
                "target": parts.headers.get("x-target").and_then(|v| v.to_str().ok()),
                "body": String::from_utf8_lossy(&body),
            });
            http::Response::builder()
                .status(299)
                .header("x-echo", "yes")
                .body(seen.to_string().into_bytes())
                .unwrap_or_default()
        }

        fn edge(&self, edge: Edge<'_>) -> http::Response<Vec<u8>> {
            let (status, text) = match edge {
                Edge::BodyTooLarge { limit } => {
                    (http::StatusCode::BAD_REQUEST, format!("too large {limit}"))
                }
                Edge::TimedOut => (
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "timed out".to_owned(),
                ),
                Edge::BadRequest { reason } => (
                    http::StatusCode::BAD_REQUEST,
                    format!("bad request: {reason}"),
                ),
                Edge::InternalError => (
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_owned(),
                ),
                Edge::Misdirected { message } => (
                    http::StatusCode::NOT_FOUND,
                    format!("misdirected: {message}"),
                ),
            };
            let mut r = http::Response::new(text.into_bytes());
            *r.status_mut() = status;
            r
        }
    }

    /// Takes `work` to answer "late", longer than the tests' request timeout; counts the
    /// requests it has started on.
    #[derive(Debug)]
    pub(crate) struct Slow {
        pub work: Duration,
        pub started: AtomicUsize,
    }

    impl Slow {
        pub(crate) fn new(work: Duration) -> Arc<Self> {
            Arc::new(Slow {
                work,
                started: AtomicUsize::new(0),
            })
        }

        pub(crate) fn started(&self) -> usize {
            self.started.load(Ordering::SeqCst)
        }
    }

    impl Dialect for Slow {
        fake_dialect_basics!();
        fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
            if request.uri().path() == "/quick" {
                return http::Response::new(b"quick".to_vec());
            }
            // A blocking job that does nothing: a marker in the pool's queue.
            if request.uri().path() == "/noop" {
                return http::Response::new(b"noop".to_vec());
            }
            self.started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(self.work);
            http::Response::new(b"late".to_vec())
        }
        fn edge(&self, edge: Edge<'_>) -> http::Response<Vec<u8>> {
            Echo.edge(edge)
        }
    }

    pub(crate) fn shared(store: Arc<dyn admin::StoreProbe>, clock_control: bool) -> Arc<Shared> {
        shared_polling(store, clock_control, BusyPoll::off())
    }

    pub(crate) fn shared_polling(
        store: Arc<dyn admin::StoreProbe>,
        clock_control: bool,
        busy_poll: Arc<BusyPoll>,
    ) -> Arc<Shared> {
        let clock = Arc::new(EmulatedClock::new());
        let pool = Arc::new(KeyPairPool::start(PoolTargets {
            rsa_2048: 0,
            rsa_3072: 0,
            rsa_4096: 0,
            sm2: 0,
        }));
        let kms = test_kms(&clock);
        Arc::new(Shared {
            clock: Arc::clone(&clock),
            store_probe: admin::ProbeFlight::new(store),
            clock_control,
            admin_access: admin::AdminAccess::Open,
            body_limit: 64,
            request_timeout: Duration::from_millis(300),
            metrics: Arc::new(Metrics::new().unwrap()),
            engine: EngineView {
                kms,
                clock,
                pool,
                sweeper: std::sync::Weak::new(),
                shared_clock: None,
                moves: Default::default(),
            },
            clouds: Vec::new(),
            tenants_seen: RwLock::default(),
            log_format: LogFormat::Text,
            busy_poll,
        })
    }

    pub(crate) fn test_kms(clock: &Arc<EmulatedClock>) -> Arc<Kms> {
        Arc::new(
            Kms::builder(Arc::new(MemoryStore::new()), &RootKey::from_bytes([5; 32]))
                .clock(Arc::clone(clock) as Arc<dyn kms_core::Clock>)
                .build(),
        )
    }

    pub(crate) fn memory_shared(clock_control: bool) -> Arc<Shared> {
        shared(
            Arc::new(RecordsReadable(test_kms(&Arc::new(EmulatedClock::new())))),
            clock_control,
        )
    }

    /// Sends each request through a full app and returns (status, headers, body).
    pub(crate) fn exchange(
        dialect: Arc<dyn Dialect>,
        shared: Arc<Shared>,
        requests: Vec<TestRequest>,
    ) -> Vec<(u16, actix_web::http::header::HeaderMap, String)> {
        actix_web::rt::System::new().block_on(async move {
            let data = web::Data::new(ListenerContext {
                kind: DialectKind::Aws,
                dialect,
                shared,
            });
            let app = init_service(App::new().app_data(data).configure(configure)).await;
            let mut out = Vec::new();
            for req in requests {
                let res: ServiceResponse = call_service(&app, req.to_request()).await;
                let status = res.status().as_u16();
                let headers = res.headers().clone();
                let body = to_bytes(res.into_body()).await.unwrap_or_default();
                out.push((status, headers, String::from_utf8_lossy(&body).into_owned()));
            }
            out
        })
    }

    pub(crate) fn get(path: &str) -> TestRequest {
        TestRequest::get().uri(path)
    }

    pub(crate) fn post(path: &str, body: &str) -> TestRequest {
        TestRequest::post().uri(path).set_payload(body.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::error::PayloadError;
    use actix_web::http::header::CONTENT_LENGTH;
    use actix_web::test::TestRequest;

    use super::testing::*;
    use super::*;

    #[test]
    fn other_requests_go_to_the_dialect_whole() {
        let req = TestRequest::post()
            .uri("/some/path?q=1")
            .insert_header(("x-target", "Thing.Do"))
            .set_payload("hello");
        let out = exchange(Arc::new(Echo), memory_shared(true), vec![req]);
        let (status, headers, body) = &out[0];
        assert_eq!(*status, 299);
        assert_eq!(headers.get("x-echo").unwrap(), "yes");
        let seen: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            seen,
            json!({ "method": "POST", "uri": "/some/path?q=1", "target": "Thing.Do", "body": "hello" })
        );
    }

    #[test]
    fn non_get_health_is_the_dialects() {
        let out = exchange(
            Arc::new(Echo),
            memory_shared(true),
            vec![post("/health", "x")],
        );
        assert_eq!(out[0].0, 299);
    }

    #[test]
    fn bodies_over_the_limit_get_the_dialects_answer() {
        let declared = post("/", &"x".repeat(65));
        // A declared length that lies must not get a body past the limit.
        let streamed = post("/", &"x".repeat(65)).insert_header((CONTENT_LENGTH, "1"));
        let at_limit = post("/", &"x".repeat(64));
        let out = exchange(
            Arc::new(Echo),
            memory_shared(true),
            vec![declared, streamed, at_limit],
        );
        assert_eq!((out[0].0, out[0].2.as_str()), (400, "too large 64"));
        assert_eq!((out[1].0, out[1].2.as_str()), (400, "too large 64"));
        assert_eq!(out[2].0, 299);
    }

    /// Panics on a request whose body is "panic", echoes any other.
    #[derive(Debug)]
    struct Fragile;

    impl Dialect for Fragile {
        fake_dialect_basics!();
        fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
            assert_ne!(request.body(), b"panic", "the dialect panics, as asked");
            Echo.handle(request)
        }
        fn edge(&self, edge: Edge<'_>) -> http::Response<Vec<u8>> {
            Echo.edge(edge)
        }
    }

    /// The tests' request timeout (see [`memory_shared`]) and a job that outlasts it.
    const TIMEOUT: Duration = Duration::from_millis(300);
    const WORK: Duration = Duration::from_millis(1200);

    #[test]
    fn a_started_job_is_answered_even_past_the_deadline() {
        let slow = Slow::new(WORK);
        let began = Instant::now();
        let out = exchange(slow.clone(), memory_shared(true), vec![post("/", "")]);
        assert_eq!((out[0].0, out[0].2.as_str()), (200, "late"));
        assert!(began.elapsed() >= WORK);
        assert_eq!(slow.started(), 1);
    }

    #[test]
    fn a_job_past_its_deadline_never_runs() {
        let slow = Slow::new(Duration::ZERO);
        let job = Arc::clone(&slow);
        let outcome = actix_web::rt::System::new().block_on(async move {
            dispatch(Deadline::after(Duration::ZERO), move || {
                job.handle(http::Request::new(Vec::new()))
            })
            .await
        });
        assert!(matches!(outcome, Err(Unanswered::TimedOut)), "{outcome:?}");
        // The job holds the only other reference to `slow`: once a worker has reached it and
        // let it go, it has had every chance to run.
        wait_until("a worker reached the job", || Arc::strong_count(&slow) == 1);
        assert_eq!(slow.started(), 0);
    }

    /// A real server on a loopback port, in its own thread and actix system.
    struct Serving {
        addr: std::net::SocketAddr,
        handle: actix_web::dev::ServerHandle,
        thread: std::thread::JoinHandle<io::Result<()>>,
    }

    fn serve(dialect: Arc<dyn Dialect>, blocking_threads: Option<usize>) -> Serving {
        serve_shared(dialect, blocking_threads, memory_shared(true))
    }

    fn serve_shared(
        dialect: Arc<dyn Dialect>,
        blocking_threads: Option<usize>,
        shared: Arc<Shared>,
    ) -> Serving {
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let (handles, handle) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let context = ListenerContext {
                    kind: DialectKind::Aws,
                    dialect,
                    shared,
                };
                let server = build(context, socket, blocking_threads)?;
                let _ = handles.send(server.handle());
                server.await
            })
        });
        let handle = handle.recv().unwrap();
        Serving {
            addr,
            handle,
            thread,
        }
    }

    impl Serving {
        fn stop(self) {
            actix_web::rt::System::new().block_on(self.handle.stop(true));
            self.thread.join().unwrap().unwrap();
        }
    }

    /// Sends `head` and `body` on a new connection (and no more: `cut` half-closes it) and
    /// returns the answer's status and body, with when it arrived.
    fn raw_exchange(
        addr: std::net::SocketAddr,
        head: &str,
        body: &str,
        cut: bool,
    ) -> (u16, String, Instant) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
            .write_all(format!("{head}Host: test\r\nConnection: close\r\n\r\n{body}").as_bytes())
            .unwrap();
        if cut {
            stream.shutdown(std::net::Shutdown::Write).unwrap();
        }
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let arrived = Instant::now();
        let status = answer.get(9..12).unwrap_or_default().parse().unwrap_or(0);
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_owned(), arrived)
    }

    fn post_raw(addr: std::net::SocketAddr) -> (u16, String, Instant) {
        raw_exchange(addr, "POST / HTTP/1.1\r\nContent-Length: 0\r\n", "", false)
    }

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let give_up = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < give_up, "waited too long until {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_job_that_cannot_reach_a_worker_in_time_never_runs() {
        let slow = Slow::new(WORK);
        // One blocking thread: the second request queues behind the first.
        let server = serve(slow.clone(), Some(1));
        let addr = server.addr;
        let first = std::thread::spawn(move || post_raw(addr));
        wait_until("the first job started", || slow.started() == 1);
        let sent = Instant::now();
        let (status, body, arrived) = post_raw(addr);
        assert_eq!((status, body.as_str()), (503, "timed out"));
        // Not before its time limit; and not after the worker freed up (the order of the two
        // answers below says that without a bound on a loaded machine's timing).
        let waited = arrived - sent;
        assert!(
            waited >= TIMEOUT,
            "the queued request was answered after {waited:?}"
        );
        let (status, body, first_arrived) = first.join().unwrap();
        assert_eq!((status, body.as_str()), (200, "late"));
        assert!(arrived < first_arrived, "the timeout waited for the worker");
        // The one worker is free now: a job queued after the abandoned one is answered only
        // once the worker has passed that one, which must have done nothing.
        let (status, body, _) = raw_exchange(
            addr,
            "POST /noop HTTP/1.1\r\nContent-Length: 0\r\n",
            "",
            false,
        );
        assert_eq!((status, body.as_str()), (200, "noop"));
        assert_eq!(slow.started(), 1);
        server.stop();
    }

    #[test]
    fn graceful_shutdown_waits_for_a_started_job() {
        let slow = Slow::new(WORK);
        let server = serve(slow.clone(), None);
        let addr = server.addr;
        let request = std::thread::spawn(move || post_raw(addr));
        wait_until("the job started", || slow.started() == 1);
        let stopping = Instant::now();
        server.stop();
        let stopped = Instant::now();
        let (status, body, arrived) = request.join().unwrap();
        assert_eq!((status, body.as_str()), (200, "late"));
        assert!(arrived <= stopped, "the server stopped before answering");
        assert!(
            stopped - stopping >= WORK - TIMEOUT,
            "the stop did not wait"
        );
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "still listening"
        );
    }

    #[test]
    fn a_panicking_handler_gets_the_dialects_internal_error_and_serving_goes_on() {
        let out = exchange(
            Arc::new(Fragile),
            memory_shared(true),
            vec![post("/", "panic"), post("/", "fine"), post("/", "panic")],
        );
        assert_eq!((out[0].0, out[0].2.as_str()), (500, "internal error"));
        assert_eq!(out[1].0, 299);
        assert_eq!((out[2].0, out[2].2.as_str()), (500, "internal error"));
    }

    #[test]
    fn quick_requests_are_answered_while_every_blocking_thread_is_busy() {
        let slow = Slow::new(WORK);
        // One blocking thread, taken by a slow job.
        let server = serve(slow.clone(), Some(1));
        let addr = server.addr;
        let first = std::thread::spawn(move || post_raw(addr));
        wait_until("the slow job started", || slow.started() == 1);
        let quick = raw_exchange(
            addr,
            "POST /quick HTTP/1.1\r\nContent-Length: 0\r\n",
            "",
            false,
        );
        assert_eq!((quick.0, quick.1.as_str()), (200, "quick"));
        let (status, _, slow_arrived) = first.join().unwrap();
        assert_eq!(status, 200);
        assert!(
            quick.2 < slow_arrived,
            "the quick answer waited for the thread"
        );
        server.stop();
    }

    #[test]
    fn a_quick_handler_that_panics_gets_the_internal_error_and_serving_goes_on() {
        let out = exchange(
            Arc::new(Fragile),
            memory_shared(true),
            vec![post("/quick", "panic"), post("/quick", "fine")],
        );
        assert_eq!((out[0].0, out[0].2.as_str()), (500, "internal error"));
        assert_eq!(out[1].0, 299);
    }

    #[test]
    fn a_body_that_breaks_off_gets_the_dialects_bad_request() {
        let slow = Slow::new(Duration::ZERO);
        let server = serve(slow.clone(), None);
        let head = "POST / HTTP/1.1\r\nContent-Length: 10\r\n";
        let (status, body, _) = raw_exchange(server.addr, head, "abc", true);
        assert_eq!(status, 400, "{body}");
        assert!(
            body.starts_with("bad request: cannot read the request body"),
            "{body}"
        );
        assert_eq!(slow.started(), 0);
        server.stop();
    }

    /// Busy polling changes when a worker sleeps, never what it answers: quick requests (on
    /// the worker) and slow ones (on the blocking pool) alternate on one keep-alive
    /// connection while the workers poll, the pollers sleep once the window has passed,
    /// connections are counted until they close, and the server still stops gracefully.
    #[test]
    fn busy_polling_workers_answer_everything_and_stop_with_the_server() {
        use std::io::{BufRead, BufReader, Read, Write};
        let slow = Slow::new(Duration::from_millis(5));
        // A window far longer than a request takes, so that the worker is still polling when
        // the next request arrives however busy the machine is.
        let polling = BusyPoll::for_tests(Duration::from_millis(50), 4);
        let store = Arc::new(crate::admin::RecordsReadable(test_kms(&Arc::new(
            EmulatedClock::new(),
        ))));
        let shared = shared_polling(store, true, Arc::clone(&polling));
        let server = serve_shared(slow.clone(), None, shared);
        let stream = std::net::TcpStream::connect(server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        for i in 0..20 {
            let path = if i % 4 == 3 { "/" } else { "/quick" };
            write!(
                writer,
                "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
            )
            .unwrap();
            let mut length = 0;
            let mut line = String::new();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let expected: &[u8] = if path == "/" { b"late" } else { b"quick" };
            assert_eq!(body, expected, "request {i}");
        }
        assert_eq!(slow.started(), 5);
        assert!(polling.pollers() >= 1, "the answering worker has a poller");
        assert!(polling.polls() > 0, "it polled after answering");
        // The window passes with nothing to answer: the pollers go back to sleep.
        wait_until("the pollers sleep", || {
            let before = polling.polls();
            std::thread::sleep(Duration::from_millis(100));
            polling.polls() == before
        });
        assert_eq!(polling.open_connections(), 1);
        drop((writer, reader));
        wait_until("the connection is dropped", || {
            polling.open_connections() == 0
        });
        server.stop();
    }

    /// Sends a request whose head is `size` bytes of one header, as a plain client does (all
    /// of it, then read), and returns the answer's status line, or why there was none.
    fn send_huge_head(addr: std::net::SocketAddr, size: usize) -> Result<String, String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
        let limit = Some(Duration::from_secs(20));
        stream.set_read_timeout(limit).map_err(|e| e.to_string())?;
        stream.set_write_timeout(limit).map_err(|e| e.to_string())?;
        let head = format!(
            "POST / HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
            "a".repeat(size)
        );
        stream
            .write_all(head.as_bytes())
            .map_err(|e| format!("sending: {e}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .map_err(|e| format!("reading: {e}"))?;
        let answer = String::from_utf8_lossy(&answer);
        Ok(answer.lines().next().unwrap_or_default().to_owned())
    }

    /// Issue #14: a head far over actix's 128 KiB limit was answered 431 and the connection
    /// closed while the client was still sending, so the kernel reset it and the client saw
    /// no answer at all. Every size now gets the 431.
    #[test]
    fn a_huge_request_head_gets_its_431_not_a_reset() {
        let slow = Slow::new(Duration::ZERO);
        let server = serve(slow.clone(), None);
        for size in [200 << 10, 1 << 20, 4 << 20] {
            assert_eq!(
                send_huge_head(server.addr, size),
                Ok("HTTP/1.1 431 Request Header Fields Too Large".to_owned()),
                "{size} bytes"
            );
        }
        assert_eq!(slow.started(), 0);
        server.stop();
    }

    #[test]
    fn each_failure_has_its_answer_in_the_dialects_shape() {
        let answer = |u: Unanswered| {
            let r = u.answer(&Echo);
            (
                r.status().as_u16(),
                String::from_utf8(r.into_body()).unwrap(),
            )
        };
        assert_eq!(
            answer(BodyError::TooLarge { limit: 7 }.into()),
            (400, "too large 7".to_owned())
        );
        assert_eq!(
            answer(BodyError::Broken(PayloadError::Incomplete(None).into()).into()),
            (
                400,
                format!(
                    "bad request: cannot read the request body: {}",
                    PayloadError::Incomplete(None)
                )
            )
        );
        let unrepresentable = http::Request::builder()
            .uri("not a uri")
            .body(())
            .unwrap_err();
        let (status, body) = answer(Unanswered::Unrepresentable(unrepresentable));
        assert_eq!(status, 400);
        assert!(
            body.starts_with("bad request: the request cannot be represented"),
            "{body}"
        );
        assert_eq!(answer(Unanswered::TimedOut), (503, "timed out".to_owned()));
    }
}
