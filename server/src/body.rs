//! Request bodies and the JSON answers the server writes itself (health, admin endpoints),
//! shared by the dialect listener and the admin routes.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

/// A request body that was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the request body is over {limit} bytes")]
    TooLarge { limit: usize },
    #[error("cannot read the request body: {0}")]
    Broken(actix_web::Error),
}

/// Reads at most `limit` bytes. A declared length over the limit is refused before reading a
/// byte; a streamed body is cut off as soon as it passes it.
pub(crate) async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(BodyError::TooLarge { limit });
    }
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Ok(Err(e)) => Err(BodyError::Broken(e)),
        Err(_over_limit) => Err(BodyError::TooLarge { limit }),
    }
}

pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(value.to_string())
}

pub(crate) fn json_error(status: StatusCode, message: &str) -> HttpResponse {
    json_response(status, &json!({ "error": message }))
}
