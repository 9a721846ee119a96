//! A dialect over an in-memory engine with a manual clock, and a tiny unsigned client.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialect_aws::{AwsDialect, Settings};
use dialect_kit::Dialect;
use kms_core::{Clock, Clocks, Kms, ManualClock, MemoryStore, RootKey, SystemClock, Timestamp};
use serde_json::{Value, json};

/// 2026-11-22T09:32:32Z, the date of the recorded captures.
pub const CAPTURE_TIME: Timestamp = Timestamp::from_secs(1_795_339_952);

pub struct Harness {
    pub dialect: AwsDialect,
    pub clock: Arc<ManualClock>,
}

pub fn harness() -> Harness {
    harness_with(Settings::default())
}

/// Signatures dated by the real clock, as SDKs date them.
pub fn harness_with(settings: Settings) -> Harness {
    harness_signed(settings, Arc::new(SystemClock))
}

/// Signature dates checked against `real_clock` (recorded requests carry recorded dates).
pub fn harness_signed(settings: Settings, real_clock: Arc<dyn Clock>) -> Harness {
    let clock = Arc::new(ManualClock::new(CAPTURE_TIME));
    let kms = Kms::builder(Arc::new(MemoryStore::new()), &RootKey::from_bytes([9; 32]))
        .clock(clock.clone())
        .build();
    Harness {
        dialect: AwsDialect::new(
            Arc::new(kms),
            settings,
            Clocks {
                real: real_clock,
                emulated: clock.clone(),
            },
        ),
        clock,
    }
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The `__type` of an error reply.
    pub fn code(&self) -> &str {
        self.body["__type"].as_str().unwrap_or("")
    }
}

/// An Authorization header as boto3 shapes it; permissive mode never checks the signature.
pub fn authorization(access_key: &str, region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20261122/{region}/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
        "0".repeat(64)
    )
}

impl Harness {
    pub fn raw(&self, request: http::Request<Vec<u8>>) -> Reply {
        let response = self.dialect.handle(request);
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/x-amz-json-1.1"
        );
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let body = if response.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(response.body()).unwrap()
        };
        Reply { status, body }
    }

    pub fn call_as(&self, access_key: &str, region: &str, op: &str, body: Value) -> Reply {
        let request = http::Request::post("/")
            .header("host", "127.0.0.1:8411")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("TrentService.{op}"))
            .header("x-amz-date", "20261122T093232Z")
            .header("authorization", authorization(access_key, region))
            .body(body.to_string().into_bytes())
            .unwrap();
        self.raw(request)
    }

    pub fn call(&self, op: &str, body: Value) -> Reply {
        self.call_as("AKIDEXAMPLE", "us-east-1", op, body)
    }

    /// Calls and insists on success.
    pub fn ok(&self, op: &str, body: Value) -> Value {
        let reply = self.call(op, body);
        assert_eq!(reply.status, 200, "{op}: {}", reply.body);
        reply.body
    }

    /// Calls and insists on the given error code.
    pub fn err(&self, op: &str, body: Value, code: &str) -> Value {
        let reply = self.call(op, body);
        assert_eq!(reply.code(), code, "{op}: {}", reply.body);
        assert_eq!(
            reply.status,
            if code == "KMSInternalException" {
                500
            } else {
                400
            }
        );
        reply.body
    }

    pub fn create_key(&self, origin: &str) -> String {
        let out = self.ok("CreateKey", json!({ "Origin": origin }));
        out["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    }

    pub fn now_secs(&self) -> u64 {
        use kms_core::Clock;
        self.clock.now().as_secs()
    }
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn unb64(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}
