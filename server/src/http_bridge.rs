//! actix ⇄ `http` 1.x. actix-web 4 is built on `http` 0.2, so values cross as strings and
//! bytes rather than as types.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

/// The request as a dialect sees it: method, path with query string, every header (repeated
/// ones included, in order) and the body.
pub(crate) fn to_http(
    req: &HttpRequest,
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, http::Error> {
    let version = match req.version() {
        actix_web::http::Version::HTTP_09 => http::Version::HTTP_09,
        actix_web::http::Version::HTTP_10 => http::Version::HTTP_10,
        actix_web::http::Version::HTTP_2 => http::Version::HTTP_2,
        _ => http::Version::HTTP_11,
    };
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let mut builder = http::Request::builder()
        .method(http::Method::from_bytes(req.method().as_str().as_bytes())?)
        .uri(path_and_query)
        .version(version);
    for (name, value) in req.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    builder.body(body)
}

/// A dialect's answer that actix cannot send as it is. Unreachable in practice (both crates
/// validate the same grammar), but never a panic: the listener answers the dialect's
/// internal error instead.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InvalidResponse {
    #[error("the dialect answered with status {0}, which actix cannot send")]
    Status(u16),
    #[error("the dialect answered with a header actix cannot send ({0})")]
    Header(http::HeaderName),
}

/// The dialect's answer as actix sends it. Framing headers are left to actix, which computes
/// them from the body it actually sends.
pub(crate) fn to_actix(response: http::Response<Vec<u8>>) -> Result<HttpResponse, InvalidResponse> {
    let (parts, body) = response.into_parts();
    let status = parts.status.as_u16();
    let status = StatusCode::from_u16(status).map_err(|_| InvalidResponse::Status(status))?;
    let mut out = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        if name == http::header::CONTENT_LENGTH
            || name == http::header::TRANSFER_ENCODING
            || name == http::header::CONNECTION
        {
            continue;
        }
        let (Ok(actix_name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            return Err(InvalidResponse::Header(name.clone()));
        };
        out.append_header((actix_name, value));
    }
    Ok(out.body(body))
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn requests_cross_with_method_path_query_headers_and_body() {
        let req = TestRequest::post()
            .uri("/a/b%20c?x=1&y=%2F")
            .insert_header(("X-Amz-Target", "TrentService.CreateKey"))
            .append_header(("x-multi", "one"))
            .append_header(("x-multi", "two"))
            .to_http_request();
        let out = to_http(&req, b"{}".to_vec()).unwrap();
        assert_eq!(out.method(), http::Method::POST);
        assert_eq!(out.uri(), "/a/b%20c?x=1&y=%2F");
        assert_eq!(out.headers()["x-amz-target"], "TrentService.CreateKey");
        let multi: Vec<_> = out.headers().get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two"]);
        assert_eq!(out.body(), b"{}");
    }

    #[test]
    fn responses_cross_with_status_headers_and_body() {
        let response = http::Response::builder()
            .status(418)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amzn-requestid", "r1")
            .header("set-thing", "a")
            .header("set-thing", "b")
            .header("content-length", "999")
            .body(b"teapot".to_vec())
            .unwrap();
        let out = to_actix(response).unwrap();
        assert_eq!(out.status().as_u16(), 418);
        assert_eq!(
            out.headers().get("content-type").unwrap(),
            "application/x-amz-json-1.1"
        );
        assert_eq!(out.headers().get("x-amzn-requestid").unwrap(), "r1");
        assert_eq!(out.headers().get_all("set-thing").count(), 2);
        assert!(out.headers().get("content-length").is_none());
        let body = actix_web::rt::System::new()
            .block_on(to_bytes(out.into_body()))
            .unwrap();
        assert_eq!(&body[..], b"teapot");
    }
}
