//! State and clock controls under `/_kmsgate/`, behind the same access rule as every admin
//! endpoint ([`crate::admin::AdminAccess`]):
//!
//! - `POST /_kmsgate/reset`: removes keys and aliases, of every tenant (no body, or `{}`), or
//!   of one tenant named in the listener's own cloud's terms:
//!   `{"tenant": {"account": "111122223333", "region": "us-east-1"}}` on the AWS listener,
//!   `{"tenant": {"uin": "100000000001", "region": "ap-guangzhou"}}` on Tencent's,
//!   `{"tenant": {"project_id": "…"}}` on Huawei's. The clock is left alone.
//! - `POST /_kmsgate/seed`: applies a seed document sent as JSON (see [`crate::seed`]):
//!   200 with each entry's outcome, 400 for a document or entry that cannot be keys, 409 for
//!   one that contradicts the store; a refused document changes nothing.
//! - `POST /_kmsgate/clock/set` `{"epoch_seconds": N}`: jumps to an instant, never earlier
//!   than real time.
//! - `POST /_kmsgate/clock/reset`: back to real time.
//!
//! Moving the clock back never revives anything: expired material is erased and due keys
//! purged at the later instant first, and import tokens that had expired stay expired (the
//! engine's clock generations). Every clock change is stored with the keys, so emulated time
//! does not go back across a restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kms_core::{Seeded, TenantId, Timestamp};
use serde_json::{Value, json};

use crate::admin::{admin_body, clock_body, control};
use crate::body::{json_error, json_response};
use crate::listener::ListenerContext;
use crate::seed::{self, SeedFailure};

pub(crate) async fn clock_set(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    let body = match clock_body(&req, payload, &context).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let to = match parse_instant(&body) {
        Ok(to) => to,
        Err(why) => return json_error(StatusCode::BAD_REQUEST, &why),
    };
    let shared = Arc::clone(&context.shared);
    control(&context, move || shared.engine.set(to)).await
}

pub(crate) async fn clock_reset(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    match clock_body(&req, payload, &context).await {
        Ok(body) if is_empty_object(&body) => {}
        Ok(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "clock/reset takes no parameters (send no body, or {})",
            );
        }
        Err(refusal) => return refusal,
    }
    let shared = Arc::clone(&context.shared);
    control(&context, move || shared.engine.reset_clock()).await
}

pub(crate) async fn reset(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    let body = match admin_body(&req, payload, &context).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let tenant = match tenant_of(&body, &context) {
        Ok(tenant) => tenant,
        Err(why) => return json_error(StatusCode::BAD_REQUEST, &why),
    };
    let shared = Arc::clone(&context.shared);
    let scope = tenant.as_ref().map(ToString::to_string);
    let done = web::block(move || {
        let report = shared.engine.reset(tenant.as_ref())?;
        shared.forget_tenants();
        Ok::<_, kms_core::KmsError>(report)
    })
    .await;
    match done {
        Ok(Ok(report)) => {
            tracing::info!(
                tenant = scope.as_deref().unwrap_or("all"),
                keys = report.keys,
                aliases = report.aliases,
                "reset"
            );
            json_response(
                StatusCode::OK,
                &json!({
                    "tenant": scope,
                    "keys_removed": report.keys,
                    "aliases_removed": report.aliases,
                }),
            )
        }
        Ok(Err(e)) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        // The job panicked or its pool is gone, possibly half way: not a retryable 503.
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `POST /_kmsgate/seed`: a seed document as JSON (the file's shape; material as `hex:` or
/// `base64:`, never `@FILE`). The whole document is checked before anything is written.
pub(crate) async fn seed(
    req: HttpRequest,
    payload: web::Payload,
    context: web::Data<ListenerContext>,
) -> HttpResponse {
    let body = match admin_body(&req, payload, &context).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let shared = Arc::clone(&context.shared);
    let done = web::block(move || {
        // As before a request: in a shared store another instance may have moved the clock,
        // and material expiry and creation dates are judged against it.
        shared.engine.refresh_clock();
        let planned = seed::plan_json(&body, &shared.clouds)?;
        seed::apply(&shared.engine.kms, &planned)
    })
    .await;
    match done {
        Ok(Ok(report)) => {
            tracing::info!(
                created = report.count(Seeded::Created),
                imported = report.count(Seeded::Imported),
                kept = report.count(Seeded::Kept),
                "seeded"
            );
            let keys: Vec<Value> = report
                .outcomes
                .iter()
                .map(|(place, id, outcome)| {
                    json!({
                        "entry": place.to_string(),
                        "key_id": id.to_string(),
                        "outcome": outcome_name(*outcome),
                    })
                })
                .collect();
            json_response(StatusCode::OK, &json!({ "keys": keys }))
        }
        Ok(Err(failure)) => {
            let status = match &failure {
                SeedFailure::Read(..) | SeedFailure::Store { .. } => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                SeedFailure::Shape(_) | SeedFailure::Entry { .. } => StatusCode::BAD_REQUEST,
                SeedFailure::Conflict { .. } | SeedFailure::PartlyApplied { .. } => {
                    StatusCode::CONFLICT
                }
            };
            json_error(status, &failure.to_string())
        }
        // The job panicked or its pool is gone, possibly half way: not a retryable 503.
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn outcome_name(outcome: Seeded) -> &'static str {
    match outcome {
        Seeded::Created => "created",
        Seeded::Imported => "imported",
        Seeded::Kept => "kept",
    }
}

const SET_SHAPE: &str = r#"the body must be a JSON object like {"epoch_seconds": 1798000000}"#;

/// `{"epoch_seconds": N}`, N a whole number of seconds since the epoch.
fn parse_instant(body: &[u8]) -> Result<Timestamp, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("{SET_SHAPE}: {e}"))?;
    let object = value.as_object().ok_or(SET_SHAPE)?;
    if let Some(other) = object.keys().find(|k| *k != "epoch_seconds") {
        return Err(format!("unknown field {other:?}: {SET_SHAPE}"));
    }
    let seconds = object
        .get("epoch_seconds")
        .ok_or_else(|| format!("\"epoch_seconds\" is missing: {SET_SHAPE}"))?;
    // Far enough for any test, and far from overflowing millisecond timestamps.
    const LATEST: u64 = kms_core::EmulatedClock::LATEST.as_secs();
    match seconds.as_u64() {
        Some(s) if s <= LATEST => Ok(Timestamp::from_secs(s)),
        _ => Err(format!(
            "\"epoch_seconds\" must be a whole number of seconds from 0 to {LATEST}, not {seconds}"
        )),
    }
}

fn is_empty_object(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<Value>(body).is_ok_and(|v| v == json!({}))
}

/// No body or `{}`: every tenant. `{"tenant": {...}}`: one, in the listener's cloud's terms.
fn tenant_of(body: &[u8], context: &ListenerContext) -> Result<Option<TenantId>, String> {
    const SHAPE: &str =
        r#"send no body (every tenant) or {"tenant": {...}} in this listener's cloud's terms"#;
    if is_empty_object(body) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("{SHAPE}: {e}"))?;
    let object = value.as_object().ok_or(SHAPE)?;
    if object.len() != 1 {
        return Err(SHAPE.to_owned());
    }
    let terms = object
        .get("tenant")
        .and_then(Value::as_object)
        .ok_or(SHAPE)?;
    let mut strings = BTreeMap::new();
    for (name, value) in terms {
        let text = value
            .as_str()
            .ok_or_else(|| format!("tenant.{name} must be a string"))?;
        strings.insert(name.clone(), text.to_owned());
    }
    let id = context.dialect.tenant(&strings)?;
    TenantId::new(id).map(Some).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_whole_epoch_seconds() {
        assert_eq!(
            parse_instant(br#"{"epoch_seconds": 1798000000}"#),
            Ok(Timestamp::from_secs(1_798_000_000))
        );
        for bad in [
            r#"{"epoch_seconds": -1}"#,
            r#"{"epoch_seconds": 1.5}"#,
            r#"{"epoch_seconds": "1798000000"}"#,
            r#"{"epoch_seconds": 1e20}"#,
            r#"{"seconds": 1}"#,
            r#"{}"#,
            "[1]",
            "",
        ] {
            assert!(parse_instant(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
