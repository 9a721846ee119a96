//! Building the HTTP answers: JSON bodies, the request id header, the three error shapes.

use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::error::{HuaweiError, Shape};

/// What the real service sends; huaweicloudsdkcore only switches parsers for XML and BSON.
const CONTENT_TYPE: &str = "application/json;charset=UTF-8";

pub(crate) const REQUEST_ID: &str = "x-request-id";

fn request_id() -> String {
    dialect_kit::request_uuid().simple().to_string()
}

fn build(status: u16, body: Vec<u8>, id: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    // The SDK copies this into its exceptions' request_id.
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(REQUEST_ID, v);
    }
    response
}

pub(crate) fn json(status: u16, body: &Value) -> Response<Vec<u8>> {
    build(status, dialect_kit::json_body(body), &request_id())
}

/// A success with `status`; 204 carries no body (`body` is then ignored).
pub(crate) fn success(status: u16, body: &Value) -> Response<Vec<u8>> {
    if status == 204 {
        build(status, Vec::new(), &request_id())
    } else {
        json(status, body)
    }
}

pub(crate) fn error(err: &HuaweiError) -> Response<Vec<u8>> {
    let id = request_id();
    let body = match err.code.shape() {
        Shape::Kms => json!({
            "error": { "error_code": err.code.as_str(), "error_msg": err.message }
        }),
        Shape::Gateway => json!({
            "error_code": err.code.as_str(),
            "error_msg": err.message,
            "request_id": id,
        }),
        Shape::Iam => json!({
            "error": { "code": err.status, "message": err.message, "title": err.code.as_str() }
        }),
    };
    build(err.status, dialect_kit::json_body(&body), &id)
}
