//! The recorded boto3 requests (tests/data/captures, from ../shared/reference) replayed
//! byte for byte in strict mode: their signatures verify, and each parses to the answer an
//! empty account must give.

use std::sync::Arc;

use dialect_aws::Settings;
use kms_core::ManualClock;
use serde_json::Value;

use crate::support::*;

fn captures() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/captures");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn request_of(capture: &Value) -> http::Request<Vec<u8>> {
    let r = &capture["request"];
    let mut builder = http::Request::builder()
        .method(r["method"].as_str().unwrap())
        .uri(r["path"].as_str().unwrap());
    for h in r["headers"].as_array().unwrap() {
        builder = builder.header(h[0].as_str().unwrap(), h[1].as_str().unwrap());
    }
    builder
        .body(r["body_raw"].as_str().unwrap().as_bytes().to_vec())
        .unwrap()
}

/// What an empty account answers each recorded operation.
fn expected(operation: &str, body: &Value) -> &'static str {
    match operation {
        "CreateKey" | "ListKeys" => "",
        // Invalid enum, or ValidTo missing or beyond 365 days: rejected before any lookup.
        "GetParametersForImport" if body["WrappingAlgorithm"] == "NOPE" => "ValidationException",
        "ImportKeyMaterial" => "ValidationException",
        "Decrypt" => "InvalidCiphertextException",
        _ => "NotFoundException",
    }
}

#[test]
fn every_recorded_request_verifies_and_gets_its_answer() {
    let captures = captures();
    assert!(captures.len() >= 30);
    let signature_clock = Arc::new(ManualClock::new(CAPTURE_TIME));
    let settings = Settings {
        strict_auth: true,
        credentials: [(
            "AKIDEXAMPLE".to_owned(),
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned(),
        )]
        .into(),
        ..Settings::default()
    };
    let h = harness_signed(settings, signature_clock.clone());
    for (name, capture) in &captures {
        // Each capture carries its own X-Amz-Date; put the real clock there.
        let date = capture["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "X-Amz-Date")
            .unwrap()[1]
            .as_str()
            .unwrap();
        signature_clock.set(kms_core::Timestamp::from_secs(
            dialect_aws::sigv4::parse_amz_date(date).unwrap(),
        ));
        let operation = capture["operation"].as_str().unwrap();
        let reply = h.raw(request_of(capture));
        let want = expected(operation, &capture["request"]["body_json"]);
        assert_eq!(reply.code(), want, "{name}: {}", reply.body);
        if want.is_empty() {
            assert_eq!(reply.status, 200, "{name}");
        }
    }
}

#[test]
fn a_tampered_recorded_request_is_refused() {
    let (_, capture) = captures().into_iter().next().unwrap();
    let signature_clock = Arc::new(ManualClock::new(CAPTURE_TIME));
    let h = harness_signed(
        Settings {
            strict_auth: true,
            credentials: [("AKIDEXAMPLE".to_owned(), "wrong secret".to_owned())].into(),
            ..Settings::default()
        },
        signature_clock,
    );
    assert_eq!(
        h.raw(request_of(&capture)).code(),
        "InvalidSignatureException"
    );
}
