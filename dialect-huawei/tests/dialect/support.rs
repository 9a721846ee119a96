//! A dialect over an in-memory engine with a manual clock, and a small client that signs
//! (or pretends to sign) as huaweicloudsdkcore does.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialect_huawei::signer::{SignedParts, canonical_request, string_to_sign};
use dialect_huawei::{HuaweiDialect, Settings};
use dialect_kit::Dialect;
use hmac::{Hmac, Mac};
use kms_core::{Clock, Clocks, EmulatedClock, Kms, ManualClock, MemoryStore, RootKey, Timestamp};
use serde_json::{Value, json};

/// 2026-11-22T09:32:37Z, the date of the recorded captures and of the signing vector.
pub const CAPTURE_TIME: Timestamp = Timestamp::from_secs(1_795_339_957);
pub const CAPTURE_DATE: &str = "20261122T093237Z";
pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";

pub struct Harness {
    pub dialect: HuaweiDialect,
    /// The wall under emulated time: tests advance it for key and token expiry.
    pub clock: Arc<ManualClock>,
    /// Emulated time over `clock`, as a server runs it: for moving the clock back.
    pub emulated: Arc<EmulatedClock>,
    /// Real time as the signature check sees it.
    pub signature_clock: Arc<ManualClock>,
}

pub fn harness() -> Harness {
    harness_with(Settings::default())
}

/// `config` with manual clocks at [`CAPTURE_TIME`]: `clock` (the emulated time that tests
/// advance for expiry) and a separate real-time stand-in that stays at the requests'
/// `X-Sdk-Date`, as the real clock would while emulated time is fast-forwarded.
pub fn harness_with(config: Settings) -> Harness {
    harness_with_root(config, [7; 32])
}

/// [`harness_with`] over an engine with the root key `root`: another deployment's process.
pub fn harness_with_root(config: Settings, root: [u8; 32]) -> Harness {
    let clock = Arc::new(ManualClock::new(CAPTURE_TIME));
    let emulated = Arc::new(EmulatedClock::with_wall(clock.clone()));
    let signature_clock = Arc::new(ManualClock::new(CAPTURE_TIME));
    let kms = Kms::builder(Arc::new(MemoryStore::new()), &RootKey::from_bytes(root))
        .clock(emulated.clone())
        .build();
    Harness {
        dialect: HuaweiDialect::new(
            Arc::new(kms),
            config,
            Clocks {
                real: signature_clock.clone(),
                emulated: emulated.clone(),
            },
        ),
        clock,
        emulated,
        signature_clock,
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: http::HeaderMap,
}

impl Reply {
    /// The code of an error reply, whatever its shape.
    pub fn code(&self) -> String {
        let b = &self.body;
        b["error"]["error_code"]
            .as_str()
            .or(b["error_code"].as_str())
            .or(b["error"]["title"].as_str())
            .unwrap_or("")
            .to_owned()
    }

    pub fn message(&self) -> String {
        let b = &self.body;
        b["error"]["error_msg"]
            .as_str()
            .or(b["error_msg"].as_str())
            .or(b["error"]["message"].as_str())
            .unwrap_or("")
            .to_owned()
    }
}

pub fn path(project: &str, action: &str) -> String {
    format!("/v1.0/{project}/kms/{action}")
}

/// An Authorization header as the SDK shapes it; permissive mode never checks the signature.
pub fn unsigned_authorization() -> String {
    format!(
        "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000000, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature={}",
        "0".repeat(64)
    )
}

/// A request signed with SDK-HMAC-SHA256 exactly as huaweicloudsdkcore signs it.
pub fn signed(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    ak: &str,
    sk: &str,
    date: &str,
    project: Option<&str>,
) -> http::Request<Vec<u8>> {
    signed_with(method, path_and_query, body, (ak, sk), date, project, &[])
}

/// [`signed`], with `extra` headers (lower-case names) signed too, as the SDK signs every
/// header it sends.
pub fn signed_with(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    (ak, sk): (&str, &str),
    date: &str,
    project: Option<&str>,
    extra: &[(&'static str, &str)],
) -> http::Request<Vec<u8>> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut headers = vec![
        ("content-type", "application/json;charset=utf-8".to_owned()),
        ("host", "127.0.0.1:8413".to_owned()),
        ("user-agent", "huaweicloud-usdk-python/3.0".to_owned()),
        ("x-sdk-date", date.to_owned()),
    ];
    if let Some(p) = project {
        headers.push(("x-project-id", p.to_owned()));
    }
    headers.extend(extra.iter().map(|(n, v)| (*n, (*v).to_owned())));
    headers.sort();
    let signed: Vec<String> = headers.iter().map(|(n, _)| (*n).to_owned()).collect();
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let parts = SignedParts {
        method,
        path,
        query,
        headers: &pairs,
        body,
    };
    // The SDK signs a declared UNSIGNED-PAYLOAD in place of the body's hash; the verifier
    // refuses to build that canonical request, so the test client writes it out itself.
    let canonical = match canonical_request(&parts, &signed) {
        Ok(c) => c,
        Err(_) => {
            let declared = header_of(&pairs, "x-sdk-content-sha256").unwrap();
            let as_body = SignedParts { body: b"", ..parts };
            let c = canonical_request(&as_body, &signed).unwrap();
            format!(
                "{}{declared}",
                c.strip_suffix(dialect_huawei::signer::EMPTY_PAYLOAD_HASH)
                    .unwrap()
            )
        }
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(string_to_sign(date, &canonical).as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let mut request = http::Request::builder().method(method).uri(path_and_query);
    for (n, v) in &headers {
        request = request.header(*n, v);
    }
    request
        .header(
            "authorization",
            format!(
                "SDK-HMAC-SHA256 Access={ak}, SignedHeaders={}, Signature={signature}",
                signed.join(";")
            ),
        )
        .body(body.to_vec())
        .unwrap()
}

fn header_of<'a>(pairs: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

pub fn password_auth(user: &str, password: &str, domain: &str, project: &str) -> Value {
    json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": { "user": { "name": user, "password": password, "domain": { "name": domain } } }
            },
            "scope": { "project": { "id": project } }
        }
    })
}

impl Harness {
    pub fn raw(&self, request: http::Request<Vec<u8>>) -> Reply {
        let response = self.dialect.handle(request);
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/json;charset=UTF-8"
        );
        assert!(response.headers().contains_key("x-request-id"));
        let body = if response.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(response.body()).unwrap()
        };
        Reply {
            status,
            body,
            headers: response.headers().clone(),
        }
    }

    pub fn send(&self, method: &str, path: &str, body: &Value, auth: (&str, &str)) -> Reply {
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1:8413")
            .header("content-type", "application/json;charset=utf-8")
            .header("x-sdk-date", CAPTURE_DATE)
            .header(auth.0, auth.1)
            .body(bytes)
            .unwrap();
        self.raw(request)
    }

    pub fn call_in(&self, project: &str, action: &str, body: Value) -> Reply {
        self.send(
            "POST",
            &path(project, action),
            &body,
            ("authorization", &unsigned_authorization()),
        )
    }

    pub fn call(&self, action: &str, body: Value) -> Reply {
        self.call_in(PROJECT, action, body)
    }

    /// Calls and insists on success: 200, or 201 for the aliases API's create.
    pub fn ok(&self, action: &str, body: Value) -> Value {
        let reply = self.call(action, body);
        let expected = if action == "aliases" { 201 } else { 200 };
        assert_eq!(reply.status, expected, "{action}: {}", reply.body);
        reply.body
    }

    /// Calls and insists on the given error status and code.
    pub fn err(&self, action: &str, body: Value, status: u16, code: &str) -> Reply {
        let reply = self.call(action, body);
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (status, code),
            "{action}: {}",
            reply.body
        );
        reply
    }

    pub fn create_key(&self, origin: &str, spec: &str) -> String {
        let alias = format!("k-{}", uuid::Uuid::new_v4().simple());
        let out = self.ok(
            "create-key",
            json!({ "key_alias": alias, "key_spec": spec, "origin": origin }),
        );
        out["key_info"]["key_id"].as_str().unwrap().to_owned()
    }

    pub fn describe(&self, key: &str) -> Value {
        self.ok("describe-key", json!({ "key_id": key }))["key_info"].clone()
    }

    pub fn now_secs(&self) -> u64 {
        self.emulated.now().as_secs()
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(std::time::Duration::from_secs(secs));
    }
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn unb64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}
