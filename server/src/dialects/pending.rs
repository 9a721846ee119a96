//! A listener for a cloud whose dialect is not written yet: it still starts, answers health
//! and time control, and says plainly that the API itself is missing.

use http::StatusCode;
use serde_json::json;

use crate::dialect::{Dialect, DialectKind};

#[derive(Debug)]
pub(crate) struct Pending {
    kind: DialectKind,
}

impl Pending {
    pub(crate) fn new(kind: DialectKind) -> Self {
        Pending { kind }
    }

    fn answer(&self, status: StatusCode, error: &str) -> http::Response<Vec<u8>> {
        let body = json!({ "error": error, "dialect": self.kind.name() }).to_string();
        let mut response = http::Response::new(body.into_bytes());
        *response.status_mut() = status;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl Dialect for Pending {
    fn handle(&self, _request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        self.answer(StatusCode::NOT_IMPLEMENTED, "not yet implemented")
    }

    fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>> {
        self.answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body must be at most {limit} bytes"),
        )
    }

    fn timed_out(&self) -> http::Response<Vec<u8>> {
        self.answer(StatusCode::GATEWAY_TIMEOUT, "the request timed out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_is_501_naming_the_dialect() {
        let pending = Pending::new(DialectKind::Tencent);
        let response = pending.handle(http::Request::new(Vec::new()));
        assert_eq!(response.status(), StatusCode::NOT_IMPLEMENTED);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            json!({ "error": "not yet implemented", "dialect": "tencent" })
        );
    }
}
