//! The server's own endpoints, on every listener: `GET /health`, and time control under
//! `/_kmsgate/clock` (the one emulated clock of the process, shared by all listeners).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::rt::time::timeout;
use actix_web::{HttpRequest, HttpResponse, web};
use kms_core::{Clock, EmulatedClock, KeyStore, TenantId};
use serde_json::{Value, json};

use crate::listener::{Body, ListenerContext, json_error, json_response, read_body};

/// A tenant no dialect produces, so the probe reads an empty, cheap range.
const HEALTH_TENANT: &str = "kmsgate-health-probe";

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
    .default_service(web::to(not_found));
}

/// Whether the store can serve a read right now.
pub(crate) trait StoreProbe: Send + Sync + fmt::Debug {
    fn probe(&self) -> Result<(), String>;
}

/// The real probe: one read of the store.
#[derive(Debug)]
pub(crate) struct StoreRead(pub Arc<dyn KeyStore>);

impl StoreProbe for StoreRead {
    fn probe(&self) -> Result<(), String> {
        let tenant = TenantId::new(HEALTH_TENANT).map_err(|e| e.to_string())?;
        self.0
            .list(&tenant, None, 1)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// 200 `{"status":"ok"}` when the store answers a real read, 503 otherwise.
pub(crate) async fn health(context: web::Data<ListenerContext>) -> HttpResponse {
    let store = Arc::clone(&context.shared.store_probe);
    let probe = web::block(move || store.probe());
    let failure = match timeout(context.shared.request_timeout, probe).await {
        Ok(Ok(Ok(()))) => return json_response(200, &json!({ "status": "ok" })),
        Ok(Ok(Err(e))) => e,
        Ok(Err(_)) => "the store check failed".to_owned(),
        Err(_) => "the store did not answer in time".to_owned(),
    };
    json_response(503, &json!({ "status": "unavailable", "error": failure }))
}

async fn clock_now(context: web::Data<ListenerContext>) -> HttpResponse {
    if !context.shared.clock_control {
        return disabled();
    }
    json_response(200, &clock_state(&context.shared.clock))
}

async fn clock_advance(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    if !context.shared.clock_control {
        return disabled();
    }
    let limit = context.shared.body_limit;
    let body = match timeout(
        context.shared.request_timeout,
        read_body(&req, payload, limit),
    )
    .await
    {
        Ok(Body::Read(body)) => body,
        Ok(Body::TooLarge) => {
            return json_error(413, &format!("the body must be at most {limit} bytes"));
        }
        Ok(Body::Broken(why)) => {
            return json_error(400, &format!("cannot read the request body: {why}"));
        }
        Err(_) => return json_error(408, "the request body did not arrive in time"),
    };
    match parse_advance(&body) {
        Ok(by) => {
            context.shared.clock.advance(by);
            json_response(200, &clock_state(&context.shared.clock))
        }
        Err(message) => json_error(400, &message),
    }
}

/// `{"seconds": N}` with N a non-negative number (integer or not) of at most
/// [`MAX_ADVANCE_SECS`]; nothing else in the object.
fn parse_advance(body: &[u8]) -> Result<Duration, String> {
    const SHAPE: &str = r#"the body must be a JSON object like {"seconds": 3600}"#;
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("{SHAPE}: {e}"))?;
    let object = value.as_object().ok_or(SHAPE)?;
    if let Some(other) = object.keys().find(|k| *k != "seconds") {
        return Err(format!("unknown field {other:?}: {SHAPE}"));
    }
    let seconds = object
        .get("seconds")
        .ok_or_else(|| format!("\"seconds\" is missing: {SHAPE}"))?;
    let number = seconds
        .as_number()
        .ok_or_else(|| format!("\"seconds\" must be a number, not {seconds}"))?;
    let too_far = || format!("\"seconds\" must be at most {MAX_ADVANCE_SECS}");
    if let Some(whole) = number.as_u64() {
        return (whole <= MAX_ADVANCE_SECS)
            .then(|| Duration::from_secs(whole))
            .ok_or_else(too_far);
    }
    let fractional = number.as_f64().unwrap_or(f64::NAN);
    if fractional.is_nan() || fractional < 0.0 {
        return Err(format!("\"seconds\" must not be negative, got {number}"));
    }
    if fractional > MAX_ADVANCE_SECS as f64 {
        return Err(too_far());
    }
    Duration::try_from_secs_f64(fractional).map_err(|e| e.to_string())
}

fn clock_state(clock: &EmulatedClock) -> Value {
    let offset_ms = u64::try_from(clock.offset().as_millis()).unwrap_or(u64::MAX);
    json!({
        "now": seconds(clock.now().as_millis()),
        "offset_seconds": seconds(offset_ms),
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

fn disabled() -> HttpResponse {
    json_error(404, "time control is off (admin.clock_control = false)")
}

async fn wrong_method(req: HttpRequest, context: web::Data<ListenerContext>) -> HttpResponse {
    if !context.shared.clock_control {
        return disabled();
    }
    let allowed = if req.path().ends_with("/advance") {
        "POST"
    } else {
        "GET"
    };
    let mut response = json_error(405, &format!("use {allowed}"));
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allowed) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

async fn not_found() -> HttpResponse {
    json_error(404, "no such kmsgate endpoint")
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
        assert_eq!(json_of(&out[0].2), json!({ "status": "ok" }));
    }

    #[derive(Debug)]
    struct Broken;

    impl StoreProbe for Broken {
        fn probe(&self) -> Result<(), String> {
            Err("redb store: disk on fire".into())
        }
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
