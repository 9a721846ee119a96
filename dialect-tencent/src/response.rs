//! Tencent's envelope. Every answer is HTTP 200 with `Content-Type: application/json` exactly
//! (the SDK parses errors only for that exact string and breaks on any other status) and a
//! `Response` object carrying a `RequestId` (the SDK indexes it on every error).

use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::error::TencentError;

pub(crate) const REQUEST_ID: &str = "x-tc-requestid";
/// The SDKs send a trace id per call and read it back from the answer (Node.js reports it
/// with every error).
const TRACE_ID: &str = "x-tc-traceid";
/// Longer than any id an SDK makes (a UUID is 36 characters), short enough that a client
/// cannot grow our answers with it.
const MAX_TRACE_ID: usize = 128;

/// Echoes the request's `X-TC-TraceId` on `response` when it is 1 to [`MAX_TRACE_ID`]
/// visible ASCII characters; anything else is not repeated back.
pub(crate) fn echo_trace_id(request: &http::Request<Vec<u8>>, response: &mut Response<Vec<u8>>) {
    let Some(value) = request.headers().get(TRACE_ID) else {
        return;
    };
    let bytes = value.as_bytes();
    if !bytes.is_empty() && bytes.len() <= MAX_TRACE_ID && bytes.iter().all(u8::is_ascii_graphic) {
        response.headers_mut().insert(TRACE_ID, value.clone());
    }
}

fn build(mut response_object: Map<String, Value>) -> Response<Vec<u8>> {
    let request_id = dialect_kit::request_uuid().to_string();
    response_object.insert("RequestId".into(), Value::String(request_id.clone()));
    let body = dialect_kit::json_body(&json!({ "Response": response_object }));
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, id);
    }
    response
}

pub(crate) fn ok(fields: Map<String, Value>) -> Response<Vec<u8>> {
    build(fields)
}

pub(crate) fn error(err: &TencentError) -> Response<Vec<u8>> {
    let mut fields = Map::new();
    fields.insert(
        "Error".into(),
        json!({ "Code": err.code.as_str(), "Message": err.message }),
    );
    build(fields)
}

/// An error for a client that is not Tencent's SDK (a request no Tencent client would send):
/// the envelope still, but with a 400, since such a client reads a 200 as success.
pub(crate) fn foreign_error(err: &TencentError) -> Response<Vec<u8>> {
    let mut response = error(err);
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn parse(r: &Response<Vec<u8>>) -> Value {
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        serde_json::from_slice(r.body()).unwrap()
    }

    #[test]
    fn success_and_error_share_the_envelope() {
        let mut fields = Map::new();
        fields.insert("KeyId".into(), json!("k"));
        let body = parse(&ok(fields));
        let id = body["Response"]["RequestId"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok());
        assert_eq!(body["Response"]["KeyId"], "k");

        let body = parse(&error(&TencentError::new(ErrorCode::InternalError, "boom")));
        assert_eq!(body["Response"]["Error"]["Code"], "InternalError");
        assert_eq!(body["Response"]["Error"]["Message"], "boom");
        assert!(body["Response"]["RequestId"].is_string());
        assert_eq!(body.as_object().unwrap().len(), 1);
    }
}
