//! A blocking HTTP/1.1 client for loopback servers: one request per connection
//! (`Connection: close`), the answer read to the end. Enough for a test suite; nothing more.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A generous bound: a request may wait for an RSA-4096 key pair to be generated.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0:?} is not an http://HOST:PORT endpoint")]
    Endpoint(String),
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed response: {0}")]
    Malformed(&'static str),
}

/// `host:port` of `http://host:port` (what the `Host` header carries).
pub fn authority(endpoint: &str) -> Result<&str, HttpError> {
    endpoint
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'))
        .filter(|a| !a.is_empty() && !a.contains('/'))
        .ok_or_else(|| HttpError::Endpoint(endpoint.to_owned()))
}

/// Sends one request. `headers` must include `Host` when the caller signed it; a
/// `Content-Length` is added, as is `Connection: close`.
pub fn send(
    endpoint: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Response, HttpError> {
    let authority = authority(endpoint)?;
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head = format!("{method} {path_and_query} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {authority}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request)?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> Result<Response, HttpError> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(HttpError::Malformed("no end of headers"))?;
    let head =
        std::str::from_utf8(&raw[..split]).map_err(|_| HttpError::Malformed("head not UTF-8"))?;
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or(HttpError::Malformed("no status line"))?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(HttpError::Malformed("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    response.body = if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest)?
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| HttpError::Malformed("bad content-length"))?;
        rest.get(..length)
            .ok_or(HttpError::Malformed("body shorter than content-length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(response)
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(HttpError::Malformed("unterminated chunk size"))?;
        let size_text = std::str::from_utf8(&rest[..eol])
            .map_err(|_| HttpError::Malformed("chunk size not UTF-8"))?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| HttpError::Malformed("bad chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest
            .get(..size)
            .ok_or(HttpError::Malformed("truncated chunk"))?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_delimited_and_chunked_bodies() {
        let r = parse(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: a/b\r\ncontent-length: 3\r\n\r\nabcdef",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (400, &b"abc"[..]));
        assert_eq!(r.header("CONTENT-TYPE"), Some("a/b"));
        let r = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            .unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(parse(b"HTTP/1.1 200 OK\r\n").is_err());
    }

    #[test]
    fn endpoints_are_plain_http_authorities() {
        assert_eq!(authority("http://127.0.0.1:80").unwrap(), "127.0.0.1:80");
        assert_eq!(authority("http://127.0.0.1:80/").unwrap(), "127.0.0.1:80");
        assert!(authority("https://127.0.0.1:80").is_err());
        assert!(authority("http://127.0.0.1:80/x").is_err());
    }
}
