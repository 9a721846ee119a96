//! A dialect over an in-memory engine with manual clocks, and a small client that signs as
//! the SDK does.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialect_kit::Dialect;
use dialect_tencent::tc3::{self, Authorization, SignedParts};
use dialect_tencent::{Settings, TencentDialect};
use kms_core::{Clock, Clocks, KeyStore, Kms, ManualClock, MemoryStore, RootKey, Timestamp};
use serde_json::{Value, json};

/// 2026-11-22T09:32:32Z, the date of the recorded captures.
pub const CAPTURE_TIME: Timestamp = Timestamp::from_secs(1_795_339_952);
pub const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
pub const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
pub const REGION: &str = "ap-guangzhou";

pub struct Harness {
    pub dialect: TencentDialect,
    /// The engine behind the dialect, for keys Tencent's API cannot make.
    pub kms: Arc<Kms>,
    /// The engine's clock (material expiry, tokens) and the quota clock.
    pub clock: Arc<ManualClock>,
    /// The real clock signatures are judged by.
    pub signature_clock: Arc<ManualClock>,
}

/// Quotas off: these tests import often within one frozen quota window (the quota tests
/// switch them on).
pub fn harness() -> Harness {
    harness_with(Settings {
        quotas: dialect_tencent::QuotaSettings {
            enabled: false,
            ..Default::default()
        },
        ..Settings::default()
    })
}

pub fn harness_with(config: Settings) -> Harness {
    harness_over(Arc::new(MemoryStore::new()), config)
}

pub fn harness_over(store: Arc<dyn KeyStore>, config: Settings) -> Harness {
    let clock = Arc::new(ManualClock::new(CAPTURE_TIME));
    let signature_clock = Arc::new(ManualClock::new(CAPTURE_TIME));
    let kms = Kms::builder(store, &RootKey::from_bytes([7; 32]))
        .clock(clock.clone())
        .build();
    let clocks = Clocks {
        real: signature_clock.clone(),
        emulated: clock.clone(),
    };
    let kms = Arc::new(kms);
    Harness {
        dialect: TencentDialect::new(kms.clone(), config, clocks),
        kms,
        clock,
        signature_clock,
    }
}

#[derive(Debug)]
pub struct Reply {
    pub body: Value,
}

impl Reply {
    pub fn response(&self) -> &Value {
        &self.body["Response"]
    }

    /// The error code, or "" for a success.
    pub fn code(&self) -> &str {
        self.body["Response"]["Error"]["Code"]
            .as_str()
            .unwrap_or("")
    }
}

/// A request as the SDK builds it: headers in its order, TC3-signed with `secret`.
pub struct Call<'a> {
    pub action: &'a str,
    pub body: Value,
    pub region: Option<&'a str>,
    pub version: &'a str,
    pub secret_id: &'a str,
    pub secret: &'a str,
    pub timestamp: u64,
}

impl<'a> Call<'a> {
    pub fn new(action: &'a str, body: Value) -> Self {
        Call {
            action,
            body,
            region: Some(REGION),
            version: "2019-01-18",
            secret_id: SECRET_ID,
            secret: SECRET_KEY,
            timestamp: CAPTURE_TIME.as_secs(),
        }
    }

    pub fn request(&self) -> http::Request<Vec<u8>> {
        let body = self.body.to_string().into_bytes();
        let host = "127.0.0.1:8412";
        let ts = self.timestamp.to_string();
        let headers = [("content-type", "application/json"), ("host", host)];
        let mut auth = Authorization {
            secret_id: self.secret_id.to_owned(),
            date: tc3::utc_date(self.timestamp),
            service: "kms".to_owned(),
            signed_headers: vec!["content-type".into(), "host".into()],
            signature: [0; 32],
        };
        let parts = SignedParts {
            method: "POST",
            query: "",
            headers: &headers,
            body: &body,
            timestamp: &ts,
        };
        auth.signature = tc3::signature(&parts, &auth, self.secret);
        let mut b = http::Request::post("/")
            .header("content-type", "application/json")
            .header("host", host)
            .header("x-tc-action", self.action)
            .header("x-tc-version", self.version)
            .header("x-tc-timestamp", &ts)
            .header(
                "authorization",
                format!(
                    "TC3-HMAC-SHA256 Credential={}/{}/kms/tc3_request, SignedHeaders=content-type;host, Signature={}",
                    auth.secret_id,
                    auth.date,
                    hex::encode(auth.signature)
                ),
            );
        if let Some(region) = self.region {
            b = b.header("x-tc-region", region);
        }
        b.body(body).unwrap()
    }
}

/// Every answer is HTTP 200, `application/json` exactly, with a RequestId uuid.
pub fn envelope(response: http::Response<Vec<u8>>) -> Reply {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let id = body["Response"]["RequestId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    if let Some(error) = body["Response"].get("Error") {
        assert!(
            error["Code"].is_string() && error["Message"].is_string(),
            "{body}"
        );
        assert_eq!(body["Response"].as_object().unwrap().len(), 2, "{body}");
    }
    Reply { body }
}

impl Harness {
    pub fn send(&self, call: &Call<'_>) -> Reply {
        envelope(self.dialect.handle(call.request()))
    }

    pub fn call_in(&self, region: &str, action: &str, body: Value) -> Reply {
        let now = self.signature_clock.now().as_secs();
        self.send(&Call {
            region: Some(region),
            timestamp: now,
            ..Call::new(action, body)
        })
    }

    pub fn call(&self, action: &str, body: Value) -> Reply {
        self.call_in(REGION, action, body)
    }

    pub fn ok(&self, action: &str, body: Value) -> Value {
        let reply = self.call(action, body);
        assert_eq!(reply.code(), "", "{action}: {}", reply.body);
        reply.response().clone()
    }

    pub fn err(&self, action: &str, body: Value, code: &str) -> Value {
        let reply = self.call(action, body);
        assert_eq!(reply.code(), code, "{action}: {}", reply.body);
        reply.response().clone()
    }

    pub fn create_key(&self, alias: &str, key_type: u8) -> String {
        let out = self.ok("CreateKey", json!({ "Alias": alias, "Type": key_type }));
        out["KeyId"].as_str().unwrap().to_owned()
    }

    pub fn describe(&self, key: &str) -> Value {
        self.ok("DescribeKey", json!({ "KeyId": key }))["KeyMetadata"].clone()
    }

    pub fn now_secs(&self) -> u64 {
        self.clock.now().as_secs()
    }
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn unb64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}
