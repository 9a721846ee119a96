//! One HTTP listener: a dialect, plus what every listener has (health and time control),
//! under the process-wide limits.

use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::rt::time::timeout;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kms_core::EmulatedClock;
use serde_json::json;

use crate::admin::{self, StoreProbe};
use crate::dialect::Dialect;
use crate::http_bridge;

/// A slow or silent client gets this long to send its request head, and this long to go
/// away after its answer, before its connection is dropped.
const CLIENT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);
const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What every listener of the process shares: one clock, one store, one set of limits.
#[derive(Debug)]
pub(crate) struct Shared {
    pub clock: Arc<EmulatedClock>,
    /// Health checks read the store through this.
    pub store_probe: Arc<dyn StoreProbe>,
    pub clock_control: bool,
    pub body_limit: usize,
    pub request_timeout: Duration,
}

/// What one listener's handlers see.
#[derive(Debug)]
pub(crate) struct ListenerContext {
    pub dialect: Arc<dyn Dialect>,
    pub shared: Arc<Shared>,
}

/// Routes: `GET /health` and `/_kmsgate/…` are the server's; everything else is the dialect's.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(admin::health))
            .default_service(web::to(dialect_request)),
    )
    .service(web::scope("/_kmsgate").configure(admin::configure))
    .default_service(web::to(dialect_request));
}

/// Starts serving on an already bound socket. The returned server must be polled (spawned)
/// and is stopped through its handle; OS signals are the caller's business, so that one
/// signal stops every listener of the process together.
pub(crate) fn start(context: ListenerContext, socket: TcpListener) -> io::Result<Server> {
    // In-flight requests time out on their own, so graceful shutdown never needs longer.
    let grace = context.shared.request_timeout.as_secs().saturating_add(2);
    let data = web::Data::new(context);
    Ok(
        HttpServer::new(move || App::new().app_data(data.clone()).configure(configure))
            .disable_signals()
            .client_request_timeout(CLIENT_HEAD_TIMEOUT)
            .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
            .shutdown_timeout(grace)
            .listen(socket)?
            .run(),
    )
}

async fn dialect_request(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    let context = context.into_inner();
    match timeout(
        context.shared.request_timeout,
        answer(&req, payload, &context),
    )
    .await
    {
        Ok(response) => response,
        // The blocking call, if it had started, runs on and its answer is dropped.
        Err(_elapsed) => http_bridge::to_actix(context.dialect.timed_out()),
    }
}

async fn answer(
    req: &HttpRequest,
    payload: web::Payload,
    context: &Arc<ListenerContext>,
) -> HttpResponse {
    let limit = context.shared.body_limit;
    let body = match read_body(req, payload, limit).await {
        Body::Read(body) => body,
        Body::TooLarge => return http_bridge::to_actix(context.dialect.body_too_large(limit)),
        Body::Broken(why) => {
            return json_error(400, &format!("cannot read the request body: {why}"));
        }
    };
    let request = match http_bridge::to_http(req, body) {
        Ok(r) => r,
        Err(e) => return json_error(400, &format!("unusable request: {e}")),
    };
    let dialect = Arc::clone(&context.dialect);
    match web::block(move || dialect.handle(request)).await {
        Ok(response) => http_bridge::to_actix(response),
        Err(_) => json_error(500, "the request handler failed"),
    }
}

pub(crate) enum Body {
    Read(Vec<u8>),
    TooLarge,
    Broken(String),
}

/// Reads at most `limit` bytes. A declared length over the limit is refused before reading a
/// byte; a streamed body is cut off as soon as it passes it.
pub(crate) async fn read_body(req: &HttpRequest, payload: web::Payload, limit: usize) -> Body {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Body::TooLarge;
    }
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Body::Read(bytes.to_vec()),
        Ok(Err(e)) => Body::Broken(e.to_string()),
        Err(_over_limit) => Body::TooLarge,
    }
}

pub(crate) fn json_response(status: u16, value: &serde_json::Value) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type("application/json")
        .body(value.to_string())
}

pub(crate) fn json_error(status: u16, message: &str) -> HttpResponse {
    json_response(status, &json!({ "error": message }))
}

#[cfg(test)]
pub(crate) mod testing {
    use actix_web::body::to_bytes;
    use actix_web::dev::ServiceResponse;
    use actix_web::test::{TestRequest, call_service, init_service};
    use kms_core::MemoryStore;

    use crate::admin::StoreRead;

    use super::*;

    /// Answers with what it was given, so a test can see the bridged request.
    #[derive(Debug)]
    pub(crate) struct Echo;

    impl Dialect for Echo {
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

        fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>> {
            let mut r = http::Response::new(format!("too large {limit}").into_bytes());
            *r.status_mut() = http::StatusCode::BAD_REQUEST;
            r
        }

        fn timed_out(&self) -> http::Response<Vec<u8>> {
            let mut r = http::Response::new(b"timed out".to_vec());
            *r.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
            r
        }
    }

    /// Takes far longer than any test's timeout.
    #[derive(Debug)]
    pub(crate) struct Slow;

    impl Dialect for Slow {
        fn handle(&self, _: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
            std::thread::sleep(Duration::from_secs(3));
            http::Response::new(b"late".to_vec())
        }
        fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>> {
            Echo.body_too_large(limit)
        }
        fn timed_out(&self) -> http::Response<Vec<u8>> {
            Echo.timed_out()
        }
    }

    pub(crate) fn shared(store: Arc<dyn StoreProbe>, clock_control: bool) -> Arc<Shared> {
        Arc::new(Shared {
            clock: Arc::new(EmulatedClock::new()),
            store_probe: store,
            clock_control,
            body_limit: 64,
            request_timeout: Duration::from_millis(300),
        })
    }

    pub(crate) fn memory_shared(clock_control: bool) -> Arc<Shared> {
        shared(
            Arc::new(StoreRead(Arc::new(MemoryStore::new()))),
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
            let data = web::Data::new(ListenerContext { dialect, shared });
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

    #[test]
    fn a_slow_request_gets_the_dialects_timeout_answer() {
        let out = exchange(Arc::new(Slow), memory_shared(true), vec![post("/", "")]);
        assert_eq!((out[0].0, out[0].2.as_str()), (503, "timed out"));
    }
}
