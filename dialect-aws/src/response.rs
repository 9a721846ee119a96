//! Building the HTTP answers: JSON 1.1 bodies, the request id header, the error shape.

use http::{HeaderValue, Response, StatusCode, header};

use crate::error::AwsError;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub(crate) const REQUEST_ID: &str = "x-amzn-requestid";

fn build(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    // botocore copies this into ResponseMetadata.RequestId.
    if let Ok(id) = HeaderValue::from_str(&dialect_kit::request_uuid().to_string()) {
        headers.insert(REQUEST_ID, id);
    }
    response
}

pub(crate) fn ok(body: &serde_json::Value) -> Response<Vec<u8>> {
    build(200, dialect_kit::json_body(body))
}

/// Operations without output: AWS sends a 200 with an empty body.
pub(crate) fn empty() -> Response<Vec<u8>> {
    build(200, Vec::new())
}

pub(crate) fn error(err: &AwsError) -> Response<Vec<u8>> {
    let body = serde_json::json!({ "__type": err.code.as_str(), "message": err.message });
    build(err.status(), dialect_kit::json_body(&body))
}
