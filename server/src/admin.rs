//! The server's own endpoints, on every listener: `GET /health`, and time control under
//! `/_kmsgate/clock` (the one emulated clock of the process, shared by all listeners).
//!
//! # Who may use `/_kmsgate/`
//!
//! The endpoints act on every tenant at once (moving the clock expires material and
//! completes deletions for all of them), so [`AdminAccess`] decides, before any of them runs:
//! with every served dialect permissive they are open (a local test double), unless
//! `admin.token` is set; as soon as one dialect runs with strict auth they answer 404 unless
//! `admin.token` is set, and then only to `Authorization: Bearer <token>`. Time control can
//! also be switched off alone with `admin.clock_control = false`. A browser's request for a
//! page of another origin, or of a name that is not loopback, is refused (403). `GET /health` and
//! `GET /metrics` stay open; they reveal no key, tenant or secret.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::rt::time::timeout;
use actix_web::{HttpRequest, HttpResponse, web};
use kms_core::{Clock, EmulatedClock, Kms, KmsError};
use serde_json::{Number, Value, json};

use dialect_kit::signing::constant_time_eq;

use crate::body::{BodyError, json_error, json_response, read_body};
use crate::controls;
use crate::engine::ControlError;
use crate::listener::ListenerContext;

/// Who may call `/_kmsgate/…`.
#[derive(Clone)]
pub(crate) enum AdminAccess {
    /// Anyone who can reach a listener (every dialect permissive, no token set).
    Open,
    /// Nobody: a dialect is strict and no token is set. Answers 404, as if absent.
    Closed,
    /// Requests bearing this token.
    Token(String),
}

impl AdminAccess {
    pub(crate) fn new(any_strict: bool, token: Option<&str>) -> AdminAccess {
        match (token, any_strict) {
            (Some(t), _) => AdminAccess::Token(t.to_owned()),
            (None, true) => AdminAccess::Closed,
            (None, false) => AdminAccess::Open,
        }
    }

    /// `None` if the request may go on; otherwise the refusal.
    fn refusal(&self, req: &HttpRequest) -> Option<HttpResponse> {
        match self {
            AdminAccess::Open => None,
            AdminAccess::Closed => Some(json_error(
                StatusCode::NOT_FOUND,
                "no such kmsgate endpoint (admin endpoints are off while a dialect runs with strict auth and admin.token is unset)",
            )),
            AdminAccess::Token(token) => {
                let given = req
                    .headers()
                    .get(actix_web::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    // The scheme name is case-insensitive (RFC 9110 §11.1).
                    .and_then(|v| v.trim().split_once(' '))
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, token)| token.trim());
                match given {
                    Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => None,
                    _ => {
                        let mut refused = json_error(
                            StatusCode::UNAUTHORIZED,
                            "the admin endpoints need Authorization: Bearer <admin.token>",
                        );
                        refused.headers_mut().insert(
                            actix_web::http::header::WWW_AUTHENTICATE,
                            actix_web::http::header::HeaderValue::from_static("Bearer"),
                        );
                        Some(refused)
                    }
                }
            }
        }
    }
}

impl fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret.
        f.write_str(match self {
            AdminAccess::Open => "Open",
            AdminAccess::Closed => "Closed",
            AdminAccess::Token(_) => "Token(..)",
        })
    }
}

/// Whether a browser sent `req` on behalf of a page it must not act for. Browsers name the
/// page's origin on every POST (forms included) and on cross-origin reads; clients that are
/// not browsers (curl, SDKs, test harnesses) send no `Origin`. Without this, any web page a
/// developer has open could wipe an open emulator's store with a form posted to
/// `127.0.0.1:8411/_kmsgate/reset`. A browser's request is let through only from a page of
/// this very listener reached by a loopback name: a page of another origin is refused, and
/// so is one whose own name was made to resolve to this machine (DNS rebinding: its Origin
/// and Host agree, but name no loopback host).
fn from_another_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) else {
        return false;
    };
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let authority = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
    });
    // `null` (a sandboxed or file: page) and anything unreadable count as another origin.
    !matches!(
        (authority, host),
        (Some(a), Some(h)) if a.eq_ignore_ascii_case(h) && is_loopback_host(h)
    )
}

/// Whether a `Host` value (`name[:port]`, `[v6][:port]`) names this machine's loopback.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(addr, _)| addr),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Runs before every `/_kmsgate/…` handler: the one place access is decided.
pub(crate) async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Access first, so a closed endpoint stays a 404 whoever asks.
    let refusal = req
        .app_data::<web::Data<ListenerContext>>()
        .and_then(|context| context.shared.admin_access.refusal(req.request()))
        .or_else(|| {
            from_another_origin(req.request()).then(|| {
                json_error(
                    StatusCode::FORBIDDEN,
                    "the admin endpoints refuse requests a browser sends for a page of another origin",
                )
            })
        });
    match refusal {
        Some(response) => Ok(req.into_response(response)),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
    }
}

/// One advance may move the clock by at most about a century: more is surely a mistake, and
/// the offset must stay far from overflowing millisecond timestamps.
const MAX_ADVANCE_SECS: u64 = 100 * 366 * 24 * 3600;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/clock")
            .route(web::get().to(clock_now))
            .default_service(web::to(wrong_method)),
    )
    .service(
        web::resource("/clock/advance")
            .route(web::post().to(clock_advance))
            .default_service(web::to(wrong_method)),
    )
    .service(
        web::resource("/clock/set")
            .route(web::post().to(controls::clock_set))
            .default_service(web::to(wrong_method)),
    )
    .service(
        web::resource("/clock/reset")
            .route(web::post().to(controls::clock_reset))
            .default_service(web::to(wrong_method)),
    )
    .service(
        web::resource("/reset")
            .route(web::post().to(controls::reset))
            .default_service(web::to(wrong_method)),
    )
    .service(
        web::resource("/seed")
            .route(web::post().to(controls::seed))
            .default_service(web::to(wrong_method)),
    )
    .default_service(web::to(not_found));
}

/// Whether the store can serve a read right now.
pub(crate) trait StoreProbe: Send + Sync + fmt::Debug {
    /// How many key records could not be read (each answers an internal error when used;
    /// listings leave them out), when the store itself answers.
    fn probe(&self) -> Result<usize, ProbeError>;
}

/// Why the store cannot serve a read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProbeError {
    /// The store failed, or a record did not open (a wrong root key, a damaged record).
    #[error("the stored records cannot be read: {0}")]
    Records(KmsError),
}

/// The real probe: the store answers, and its records open under this process's root key
/// (a sample record), so a wrong `root.key` is reported rather than every key operation
/// failing.
#[derive(Debug)]
pub(crate) struct RecordsReadable(pub Arc<Kms>);

impl StoreProbe for RecordsReadable {
    fn probe(&self) -> Result<usize, ProbeError> {
        self.0.check_readable().map_err(ProbeError::Records)?;
        let counts = self.0.count_by_state().map_err(ProbeError::Records)?;
        Ok(counts.unreadable)
    }
}

/// Why `GET /health` is 503 (as text: one outcome answers every request that shared it).
#[derive(Clone, Debug, thiserror::Error)]
enum Unhealthy {
    #[error("{0}")]
    Probe(String),
    #[error("the store check failed: {0}")]
    CheckFailed(String),
    #[error("the store did not answer in time")]
    TimedOut,
}

/// One store probe at a time. A probe reads every key record, so `GET /health` requests that
/// arrive while one runs (load balancers probing each listener, a slow store) wait for its
/// outcome instead of each starting another read; a probe that outlives its request's time
/// limit still answers the requests that come after it, rather than piling up behind it.
pub(crate) struct ProbeFlight {
    probe: Arc<dyn StoreProbe>,
    state: std::sync::Mutex<Flight>,
    finished: tokio::sync::Notify,
}

#[derive(Default)]
struct Flight {
    running: bool,
    /// Probes finished so far, and the outcome of the last one.
    done: u64,
    last: Option<Result<usize, Unhealthy>>,
}

impl fmt::Debug for ProbeFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeFlight")
            .field("probe", &self.probe)
            .finish()
    }
}

impl ProbeFlight {
    pub(crate) fn new(probe: Arc<dyn StoreProbe>) -> Arc<ProbeFlight> {
        Arc::new(ProbeFlight {
            probe,
            state: std::sync::Mutex::default(),
            finished: tokio::sync::Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Flight> {
        // A few fields, consistent after every statement.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The outcome of a probe started no earlier than this call (the running one, if any).
    async fn outcome(self: Arc<Self>) -> Result<usize, Unhealthy> {
        let mut wanted = None;
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            // Registered before looking, so a probe ending in between still wakes us.
            finished.as_mut().enable();
            {
                let mut flight = self.lock();
                match wanted {
                    Some(n) if flight.done >= n => {
                        if let Some(last) = &flight.last {
                            return last.clone();
                        }
                    }
                    Some(_) => {}
                    None => {
                        wanted = Some(flight.done + 1);
                        if !flight.running {
                            flight.running = true;
                            self.start();
                        }
                    }
                }
            }
            finished.await;
        }
    }

    fn start(self: &Arc<Self>) {
        let mut landing = Landing {
            flight: Arc::clone(self),
            outcome: Err(Unhealthy::CheckFailed(
                "the store check stopped before it finished".into(),
            )),
        };
        actix_web::rt::spawn(async move {
            let probe = Arc::clone(&landing.flight.probe);
            landing.finished(match web::block(move || probe.probe()).await {
                Ok(Ok(unreadable)) => Ok(unreadable),
                Ok(Err(e)) => Err(Unhealthy::Probe(e.to_string())),
                Err(e) => Err(Unhealthy::CheckFailed(e.to_string())),
            });
        });
    }
}

/// Records a probe's outcome and wakes its waiters when its task ends: on drop, so that a
/// task dropped half way (its worker stopping) still ends the flight, with a failure, and
/// later requests start a probe of their own instead of waiting on one that never ends.
struct Landing {
    flight: Arc<ProbeFlight>,
    outcome: Result<usize, Unhealthy>,
}

impl Landing {
    /// The probe's own outcome, recorded when the task ends.
    fn finished(&mut self, outcome: Result<usize, Unhealthy>) {
        self.outcome = outcome;
    }
}

impl Drop for Landing {
    fn drop(&mut self) {
        let outcome = std::mem::replace(&mut self.outcome, Err(Unhealthy::TimedOut));
        {
            let mut state = self.flight.lock();
            state.running = false;
            state.done += 1;
            state.last = Some(outcome);
        }
        self.flight.finished.notify_waiters();
    }
}

/// 200 `{"status":"ok","unreadable_records":N}` when the store answers a real read (N key
/// records fail to open: damaged or altered; each is logged when read), 503 otherwise.
pub(crate) async fn health(context: web::Data<ListenerContext>) -> HttpResponse {
    let flight = Arc::clone(&context.shared.store_probe);
    let failure = match timeout(context.shared.request_timeout, flight.outcome()).await {
        Ok(Ok(unreadable)) => {
            return json_response(
                StatusCode::OK,
                &json!({ "status": "ok", "unreadable_records": unreadable }),
            );
        }
        Ok(Err(e)) => e,
        Err(_) => Unhealthy::TimedOut,
    };
    json_response(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({ "status": "unavailable", "error": failure.to_string() }),
    )
}

/// `GET /metrics`: Prometheus text exposition.
pub(crate) async fn metrics(context: web::Data<ListenerContext>) -> HttpResponse {
    let shared = Arc::clone(&context.shared);
    // Counting keys reads the store: off the async workers.
    let rendered = web::block(move || {
        let reading = shared.engine.reading();
        if let Err(e) = &reading {
            // The request metrics are still worth serving without the engine's gauges.
            tracing::warn!("metrics: cannot read the engine's state: {e}");
        }
        shared.metrics.render(reading.ok().as_ref())
    })
    .await;
    match rendered {
        Ok(Ok(text)) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Ok(Err(e)) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(e) => json_error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

async fn clock_now(context: web::Data<ListenerContext>) -> HttpResponse {
    if !context.shared.clock_control {
        return disabled();
    }
    if context.shared.engine.is_shared() {
        // Another instance may have moved it; a read failure shows the state last read.
        let shared = Arc::clone(&context.shared);
        let _ = web::block(move || shared.engine.refresh_clock()).await;
    }
    json_response(StatusCode::OK, &clock_state(&context.shared.clock))
}

async fn clock_advance(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    let body = match clock_body(&req, payload, &context).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    match parse_advance(&body) {
        Ok(by) => {
            let shared = Arc::clone(&context.shared);
            control(&context, move || shared.engine.advance(by)).await
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

/// A clock control's body, or the answer refusing it (time control off, a bad body).
pub(crate) async fn clock_body(
    req: &HttpRequest,
    payload: web::Payload,
    context: &ListenerContext,
) -> Result<Vec<u8>, HttpResponse> {
    if !context.shared.clock_control {
        return Err(disabled());
    }
    admin_body(req, payload, context).await
}

/// Reads an admin request's body under the listener's limits, or the answer refusing it.
pub(crate) async fn admin_body(
    req: &HttpRequest,
    payload: web::Payload,
    context: &ListenerContext,
) -> Result<Vec<u8>, HttpResponse> {
    let limit = context.shared.body_limit;
    match timeout(
        context.shared.request_timeout,
        read_body(req, payload, limit),
    )
    .await
    {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(BodyError::TooLarge { limit })) => Err(json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body must be at most {limit} bytes"),
        )),
        Ok(Err(broken @ BodyError::Broken(_))) => {
            Err(json_error(StatusCode::BAD_REQUEST, &broken.to_string()))
        }
        Err(_) => Err(json_error(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        )),
    }
}

/// Runs a clock control off the async workers (it writes the store) and answers with the
/// clock's state.
pub(crate) async fn control(
    context: &ListenerContext,
    change: impl FnOnce() -> Result<(), ControlError> + Send + 'static,
) -> HttpResponse {
    match web::block(change).await {
        Ok(Ok(())) => json_response(StatusCode::OK, &clock_state(&context.shared.clock)),
        Ok(Err(e @ ControlError::Clock(_))) => json_error(StatusCode::BAD_REQUEST, &e.to_string()),
        Ok(Err(e)) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        // The move panicked or its pool is gone, possibly half way: not a retryable 503.
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// The expected shape of an advance, for error messages.
const ADVANCE_SHAPE: &str = r#"the body must be a JSON object like {"seconds": 3600}"#;

/// Why a clock advance was refused.
#[derive(Debug, thiserror::Error)]
enum AdvanceError {
    #[error("{ADVANCE_SHAPE}: {0}")]
    NotJson(serde_json::Error),
    #[error("{ADVANCE_SHAPE}")]
    NotAnObject,
    #[error("unknown field {0:?}: {ADVANCE_SHAPE}")]
    UnknownField(String),
    #[error("\"seconds\" is missing: {ADVANCE_SHAPE}")]
    Missing,
    #[error("\"seconds\" must be a number, not {0}")]
    NotANumber(Value),
    #[error("\"seconds\" must not be negative, got {0}")]
    Negative(Number),
    #[error("\"seconds\" must be at most {MAX_ADVANCE_SECS}")]
    TooFar,
}

/// `{"seconds": N}` with N a non-negative number (integer or not) of at most
/// [`MAX_ADVANCE_SECS`]; nothing else in the object.
fn parse_advance(body: &[u8]) -> Result<Duration, AdvanceError> {
    let value: Value = serde_json::from_slice(body).map_err(AdvanceError::NotJson)?;
    let object = value.as_object().ok_or(AdvanceError::NotAnObject)?;
    if let Some(other) = object.keys().find(|k| *k != "seconds") {
        return Err(AdvanceError::UnknownField(other.clone()));
    }
    let seconds = object.get("seconds").ok_or(AdvanceError::Missing)?;
    let number = seconds
        .as_number()
        .ok_or_else(|| AdvanceError::NotANumber(seconds.clone()))?;
    if let Some(whole) = number.as_u64() {
        return (whole <= MAX_ADVANCE_SECS)
            .then(|| Duration::from_secs(whole))
            .ok_or(AdvanceError::TooFar);
    }
    let fractional = number.as_f64().unwrap_or(f64::NAN);
    if fractional.is_nan() || fractional < 0.0 {
        return Err(AdvanceError::Negative(number.clone()));
    }
    if fractional > MAX_ADVANCE_SECS as f64 {
        return Err(AdvanceError::TooFar);
    }
    // Finite, not negative and at most a century: always a valid duration.
    Duration::try_from_secs_f64(fractional).map_err(|_| AdvanceError::TooFar)
}

pub(crate) fn clock_state(clock: &EmulatedClock) -> Value {
    let offset_ms = u64::try_from(clock.offset().as_millis()).unwrap_or(u64::MAX);
    json!({
        "now": seconds(clock.now().as_millis()),
        "offset_seconds": seconds(offset_ms),
        "generation": clock.generation(),
    })
}

/// Whole seconds as an integer, anything finer as a fraction.
fn seconds(ms: u64) -> Value {
    if ms.is_multiple_of(1000) {
        Value::from(ms / 1000)
    } else {
        Value::from(ms as f64 / 1000.0)
    }
}

pub(crate) fn disabled() -> HttpResponse {
    json_error(
        StatusCode::NOT_FOUND,
        "time control is off (admin.clock_control = false)",
    )
}

async fn wrong_method(req: HttpRequest, context: web::Data<ListenerContext>) -> HttpResponse {
    if !context.shared.clock_control && req.path().contains("/clock") {
        return disabled();
    }
    let allowed = if req.path().ends_with("/clock") {
        "GET"
    } else {
        "POST"
    };
    let mut response = json_error(StatusCode::METHOD_NOT_ALLOWED, &format!("use {allowed}"));
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allowed) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

async fn not_found() -> HttpResponse {
    json_error(StatusCode::NOT_FOUND, "no such kmsgate endpoint")
}

#[cfg(test)]
mod tests {
    use kms_core::SystemClock;

    use super::*;
    use crate::listener::testing::*;

    fn json_of(body: &str) -> Value {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn health_reads_the_store() {
        let out = exchange(Arc::new(Echo), memory_shared(true), vec![get("/health")]);
        assert_eq!(out[0].0, 200);
        assert_eq!(
            json_of(&out[0].2),
            json!({ "status": "ok", "unreadable_records": 0 })
        );
    }

    #[derive(Debug)]
    struct Broken;

    impl StoreProbe for Broken {
        fn probe(&self) -> Result<usize, ProbeError> {
            let failed = kms_core::StoreError::new("redb", std::io::Error::other("disk on fire"));
            Err(ProbeError::Records(KmsError::Internal(
                kms_core::InternalError::Storage(failed),
            )))
        }
    }

    /// Counts its probes; each waits until the test lets it finish.
    #[derive(Debug)]
    struct Gated {
        probes: std::sync::atomic::AtomicUsize,
        release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    }

    impl StoreProbe for Gated {
        fn probe(&self) -> Result<usize, ProbeError> {
            self.probes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Bounded: a probe nobody releases fails the test instead of hanging it.
            let released = self
                .release
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(60));
            assert!(released.is_ok(), "a probe nobody released");
            Ok(3)
        }
    }

    /// Health requests that arrive while a probe runs share it: one read of the store, one
    /// outcome for all; the next request after it starts a new probe.
    #[test]
    fn concurrent_health_checks_share_one_probe() {
        let (release, gate) = std::sync::mpsc::channel();
        let gated = Arc::new(Gated {
            probes: std::sync::atomic::AtomicUsize::new(0),
            release: std::sync::Mutex::new(gate),
        });
        let flight = ProbeFlight::new(Arc::clone(&gated) as Arc<dyn StoreProbe>);
        actix_web::rt::System::new().block_on(async move {
            let waiting: Vec<_> = (0..8)
                .map(|_| actix_web::rt::spawn(Arc::clone(&flight).outcome()))
                .collect();
            // Every caller registers on its first poll, before the probe may finish.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            release.send(()).unwrap();
            for outcome in waiting {
                assert_eq!(outcome.await.unwrap().unwrap(), 3);
            }
            assert_eq!(gated.probes.load(std::sync::atomic::Ordering::SeqCst), 1);
            release.send(()).unwrap();
            assert_eq!(Arc::clone(&flight).outcome().await.unwrap(), 3);
            assert_eq!(gated.probes.load(std::sync::atomic::Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn health_is_503_when_the_store_fails() {
        let out = exchange(
            Arc::new(Echo),
            shared(Arc::new(Broken), true),
            vec![get("/health")],
        );
        assert_eq!(out[0].0, 503);
        let body = json_of(&out[0].2);
        assert_eq!(body["status"], "unavailable");
        assert!(body["error"].as_str().unwrap().contains("disk on fire"));
    }

    #[test]
    fn the_clock_moves_forward_on_request() {
        let shared = memory_shared(true);
        let out = exchange(
            Arc::new(Echo),
            Arc::clone(&shared),
            vec![
                get("/_kmsgate/clock"),
                post("/_kmsgate/clock/advance", r#"{"seconds": 3600}"#),
                post("/_kmsgate/clock/advance", r#"{"seconds": 0.5}"#),
                get("/_kmsgate/clock"),
            ],
        );
        assert!(out.iter().all(|o| o.0 == 200), "{out:?}");
        assert_eq!(json_of(&out[0].2)["offset_seconds"], json!(0));
        assert_eq!(json_of(&out[1].2)["offset_seconds"], json!(3600));
        assert_eq!(json_of(&out[2].2)["offset_seconds"], json!(3600.5));
        let last = json_of(&out[3].2);
        assert_eq!(last["offset_seconds"], json!(3600.5));
        let now = last["now"].as_f64().unwrap();
        let wall = SystemClock.now().as_millis() as f64 / 1000.0;
        assert!((now - wall - 3600.5).abs() < 60.0, "now {now}, wall {wall}");
        assert_eq!(shared.clock.offset(), Duration::from_millis(3_600_500));
    }

    #[test]
    fn a_page_of_another_origin_cannot_drive_the_admin_endpoints() {
        let shared = memory_shared(true);
        let advance = |origin: Option<&str>| {
            let mut req = post("/_kmsgate/clock/advance", r#"{"seconds": 60}"#)
                .insert_header(("Host", "127.0.0.1:8411"));
            if let Some(origin) = origin {
                req = req.insert_header(("Origin", origin));
            }
            req
        };
        let out = exchange(
            Arc::new(Echo),
            Arc::clone(&shared),
            vec![
                advance(Some("http://evil.example")),
                advance(Some("null")),
                advance(Some("http://127.0.0.1:8412")),
                get("/_kmsgate/clock").insert_header(("Origin", "https://evil.example")),
                advance(Some("http://127.0.0.1:8411")),
                advance(None),
            ],
        );
        let statuses: Vec<u16> = out.iter().map(|o| o.0).collect();
        assert_eq!(statuses, [403, 403, 403, 403, 200, 200], "{out:?}");
        assert_eq!(shared.clock.offset(), Duration::from_secs(120));
        // DNS rebinding: the page's own name resolved to this machine; Origin and Host agree.
        let rebound = exchange(
            Arc::new(Echo),
            Arc::clone(&shared),
            vec![
                post("/_kmsgate/clock/advance", r#"{"seconds": 60}"#)
                    .insert_header(("Host", "evil.example:8411"))
                    .insert_header(("Origin", "http://evil.example:8411")),
            ],
        );
        assert_eq!(rebound[0].0, 403, "{rebound:?}");
        assert_eq!(shared.clock.offset(), Duration::from_secs(120));
    }

    #[test]
    fn loopback_hosts_are_recognised_by_name_and_address() {
        for host in [
            "127.0.0.1:8411",
            "localhost:8411",
            "LOCALHOST",
            "[::1]:8411",
            "127.9.9.9",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:8411",
            "10.0.0.1:8411",
            "[::2]:1",
            "localhost.evil:80",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn bad_advances_are_400_and_change_nothing() {
        let shared = memory_shared(true);
        let bodies = [
            r#"{"seconds": -1}"#,
            r#"{"seconds": -0.5}"#,
            r#"{"seconds": "60"}"#,
            r#"{"seconds": null}"#,
            r#"{"secs": 60}"#,
            r#"{"seconds": 60, "extra": 1}"#,
            r#"{}"#,
            r#"[60]"#,
            r#"60"#,
            "not json",
            "",
            r#"{"seconds": 1e300}"#,
            r#"{"seconds": 18446744073709551615}"#,
        ];
        let requests = bodies
            .iter()
            .map(|b| post("/_kmsgate/clock/advance", b))
            .collect();
        let out = exchange(Arc::new(Echo), Arc::clone(&shared), requests);
        for ((status, headers, body), sent) in out.iter().zip(bodies) {
            assert_eq!(*status, 400, "{sent}: {body}");
            assert_eq!(headers.get("content-type").unwrap(), "application/json");
            assert!(json_of(body)["error"].is_string(), "{sent}: {body}");
        }
        assert_eq!(shared.clock.offset(), Duration::ZERO);
    }

    /// Each advance is bounded, and so is their sum: the clock never passes year 9999, whose
    /// four-digit years the clouds' date formats assume.
    #[test]
    fn advances_add_up_to_the_end_of_year_9999_at_most() {
        let shared = memory_shared(true);
        let century = format!(r#"{{"seconds": {MAX_ADVANCE_SECS}}}"#);
        let requests = (0..90)
            .map(|_| post("/_kmsgate/clock/advance", &century))
            .collect();
        let out = exchange(Arc::new(Echo), Arc::clone(&shared), requests);
        let refused: Vec<_> = out.iter().filter(|(status, ..)| *status == 400).collect();
        assert!(!refused.is_empty(), "ninety centuries were all accepted");
        assert!(
            out.iter().take(70).all(|(status, ..)| *status == 200),
            "the first seventy centuries fit"
        );
        let (_, _, body) = refused[0];
        assert!(
            json_of(body)["error"]
                .as_str()
                .is_some_and(|e| e.contains("year 9999")),
            "{body}"
        );
        assert!(shared.clock.now() <= kms_core::EmulatedClock::LATEST);
    }

    #[test]
    fn refused_advances_say_why() {
        let why = |body: &str| parse_advance(body.as_bytes()).unwrap_err().to_string();
        let shape = r#"the body must be a JSON object like {"seconds": 3600}"#;
        assert_eq!(why("[60]"), shape);
        assert_eq!(
            why(r#"{"secs": 60}"#),
            format!(r#"unknown field "secs": {shape}"#)
        );
        assert_eq!(why("{}"), format!(r#""seconds" is missing: {shape}"#));
        assert_eq!(
            why(r#"{"seconds": "60"}"#),
            r#""seconds" must be a number, not "60""#
        );
        assert_eq!(
            why(r#"{"seconds": -1.5}"#),
            r#""seconds" must not be negative, got -1.5"#
        );
        assert_eq!(
            why(r#"{"seconds": 1e300}"#),
            format!(r#""seconds" must be at most {MAX_ADVANCE_SECS}"#)
        );
        assert!(why("not json").starts_with(&format!("{shape}: ")));
    }

    #[test]
    fn time_control_off_is_404() {
        let out = exchange(
            Arc::new(Echo),
            memory_shared(false),
            vec![
                get("/_kmsgate/clock"),
                post("/_kmsgate/clock/advance", r#"{"seconds": 1}"#),
                get("/_kmsgate/clock/advance"),
            ],
        );
        assert!(out.iter().all(|o| o.0 == 404), "{out:?}");
    }

    #[test]
    fn wrong_methods_and_paths() {
        let out = exchange(
            Arc::new(Echo),
            memory_shared(true),
            vec![
                get("/_kmsgate/clock/advance"),
                post("/_kmsgate/clock", "{}"),
                get("/_kmsgate/nothing"),
            ],
        );
        assert_eq!(out[0].0, 405);
        assert_eq!(out[0].1.get("allow").unwrap(), "POST");
        assert_eq!(out[1].0, 405);
        assert_eq!(out[1].1.get("allow").unwrap(), "GET");
        assert_eq!(out[2].0, 404);
    }

    #[test]
    fn an_oversized_advance_body_is_413() {
        let out = exchange(
            Arc::new(Echo),
            memory_shared(true),
            vec![post(
                "/_kmsgate/clock/advance",
                &format!(r#"{{"seconds": 1{}}}"#, " ".repeat(100)),
            )],
        );
        assert_eq!(out[0].0, 413);
    }
}
