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

    fn bad_request(&self, reason: &str) -> http::Response<Vec<u8>> {
        self.answer(
            StatusCode::BAD_REQUEST,
            &format!("the request could not be read: {reason}"),
        )
    }

    fn internal_error(&self) -> http::Response<Vec<u8>> {
        self.answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
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

    #[test]
    fn the_servers_own_errors_are_in_the_same_shape() {
        let pending = Pending::new(DialectKind::Huawei);
        let json = |r: &http::Response<Vec<u8>>| -> serde_json::Value {
            assert_eq!(r.headers()[http::header::CONTENT_TYPE], "application/json");
            serde_json::from_slice(r.body()).unwrap()
        };
        let bad = pending.bad_request("the body broke off");
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            json(&bad),
            json!({
                "error": "the request could not be read: the body broke off",
                "dialect": "huawei",
            })
        );
        let internal = pending.internal_error();
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            json(&internal),
            json!({ "error": "internal error", "dialect": "huawei" })
        );
        assert_eq!(json(&pending.timed_out())["dialect"], "huawei");
        assert_eq!(json(&pending.body_too_large(9))["dialect"], "huawei");
    }
}
