//! Routing, authentication and malformed requests: every one gets AWS's own error.

use dialect_kit::{Dialect, Edge};
use serde_json::{Value, json};

use crate::support::*;

fn request(target: Option<&str>, auth: Option<&str>, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut b = http::Request::post("/").header("content-type", "application/x-amz-json-1.1");
    if let Some(t) = target {
        b = b.header("x-amz-target", t);
    }
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    b.body(body.to_vec()).unwrap()
}

#[test]
fn unknown_targets_and_missing_auth() {
    let h = harness();
    let auth = authorization("AKIDEXAMPLE", "us-east-1");
    let reply = h.raw(request(Some("TrentService.Frobnicate"), Some(&auth), b"{}"));
    assert_eq!(
        (reply.status, reply.code()),
        (400, "UnknownOperationException")
    );
    let reply = h.raw(request(None, Some(&auth), b"{}"));
    assert_eq!(reply.code(), "UnknownOperationException");
    let reply = h.raw(request(Some("Other.CreateKey"), Some(&auth), b"{}"));
    assert_eq!(reply.code(), "UnknownOperationException");
    let reply = h.raw(request(Some("TrentService.CreateKey"), None, b"{}"));
    assert_eq!(
        (reply.status, reply.code()),
        (403, "MissingAuthenticationTokenException")
    );
    let reply = h.raw(request(
        Some("TrentService.CreateKey"),
        Some("AWS4-HMAC-SHA256 nonsense"),
        b"{}",
    ));
    assert_eq!(reply.code(), "IncompleteSignatureException");
    let reply = h.raw(request(
        Some("TrentService.CreateKey"),
        Some(&authorization("AKID", "US EAST")),
        b"{}",
    ));
    assert_eq!(reply.code(), "IncompleteSignatureException");
}

#[test]
fn malformed_bodies_are_validation_errors() {
    let h = harness();
    let auth = authorization("AKIDEXAMPLE", "us-east-1");
    for body in [&b"{"[..], b"[1]", b"null", b"\xff\xfe"] {
        let reply = h.raw(request(Some("TrentService.DescribeKey"), Some(&auth), body));
        assert_eq!(
            (reply.status, reply.code()),
            (400, "ValidationException"),
            "{body:?}"
        );
    }
    // An empty body is an empty request.
    let reply = h.raw(request(Some("TrentService.ListKeys"), Some(&auth), b""));
    assert_eq!(reply.status, 200);
    for body in [
        json!({ "KeyId": 5 }),
        json!({}),
        json!({ "KeyId": "" }),
        json!({ "KeyId": "x".repeat(2049) }),
    ] {
        h.err("DescribeKey", body, "ValidationException");
    }
    h.err(
        "Encrypt",
        json!({ "KeyId": "alias/x", "Plaintext": "!!!" }),
        "ValidationException",
    );
    h.err(
        "Encrypt",
        json!({ "KeyId": "alias/x", "Plaintext": b64(&[0; 4097]) }),
        "ValidationException",
    );
    h.err(
        "CreateKey",
        json!({ "KeySpec": "RSA_9999" }),
        "ValidationException",
    );
    // Every key but a symmetric encryption key needs its KeyUsage.
    h.err(
        "CreateKey",
        json!({ "KeySpec": "RSA_2048" }),
        "ValidationException",
    );
    h.err(
        "CreateKey",
        json!({ "KeyUsage": "SIGN_VERIFY" }),
        "ValidationException",
    );
    h.err(
        "CreateKey",
        json!({ "Origin": "AWS_CLOUDHSM" }),
        "UnsupportedOperationException",
    );
    // An XksKeyId only with Origin EXTERNAL_KEY_STORE; a Policy within the model's pattern
    for body in [
        json!({ "XksKeyId": "xks-1" }),
        json!({ "Origin": "EXTERNAL", "XksKeyId": "xks-1" }),
        json!({ "Policy": "{\"Statement\": \"\u{2603}\"}" }),
    ] {
        h.err("CreateKey", body, "ValidationException");
    }
    h.ok(
        "CreateKey",
        json!({ "Policy": "{\n\t\"Version\": \"2012-10-17\", \"Sid\": \"caf\u{e9}\"\r\n}" }),
    );
    h.err(
        "DescribeKey",
        json!({ "KeyId": "arn:aws:kms:nope" }),
        "InvalidArnException",
    );
    // Operations whose model does not list InvalidArnException answer NotFoundException
    // ("Invalid arn"), as AWS does for Encrypt.
    let key = h.create_key("AWS_KMS");
    let bad_arn = "arn:aws:kms:nope";
    for (op, body) in [
        ("Encrypt", json!({ "KeyId": bad_arn, "Plaintext": "aGk=" })),
        (
            "GenerateDataKey",
            json!({ "KeyId": bad_arn, "KeySpec": "AES_256" }),
        ),
        (
            "CreateAlias",
            json!({ "AliasName": "alias/x", "TargetKeyId": bad_arn }),
        ),
    ] {
        let e = h.err(op, body, "NotFoundException");
        assert_eq!(e["message"], "Invalid arn", "{op}");
    }
    for (op, body) in [
        ("GetPublicKey", json!({ "KeyId": bad_arn })),
        ("TagResource", json!({ "KeyId": bad_arn, "Tags": [] })),
        ("EnableKeyRotation", json!({ "KeyId": bad_arn })),
    ] {
        h.err(op, body, "InvalidArnException");
    }
    h.ok("DescribeKey", json!({ "KeyId": key }));
}

#[test]
fn server_refusals_have_aws_shapes() {
    let h = harness();
    let too_large = h.dialect.edge(Edge::BodyTooLarge { limit: 1024 });
    assert_eq!(too_large.status(), 400);
    let timed_out = h.dialect.edge(Edge::TimedOut);
    assert_eq!(timed_out.status(), 503);
    let body: serde_json::Value = serde_json::from_slice(timed_out.body()).unwrap();
    assert_eq!(body["__type"], "DependencyTimeoutException");
}

#[test]
fn strict_mode_wants_the_routing_headers_signed() {
    use std::sync::Arc;
    let clock = Arc::new(kms_core::ManualClock::new(CAPTURE_TIME));
    let h = harness_signed(
        dialect_aws::Settings {
            strict_auth: true,
            credentials: [("AKIDEXAMPLE".to_owned(), "secret".to_owned())].into(),
            ..Default::default()
        },
        clock,
    );
    let weak = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";
    let other_service = authorization("AKIDEXAMPLE", "us-east-1").replace("/kms/", "/s3/");
    // Routing headers left unsigned: incomplete; a credential scoped to another service:
    // AWS's InvalidSignatureException "Credential should be scoped to correct service".
    for (auth, code) in [
        (weak, "IncompleteSignatureException"),
        (other_service.as_str(), "InvalidSignatureException"),
    ] {
        let request = http::Request::post("/")
            .header("host", "127.0.0.1")
            .header("x-amz-date", "20261122T093232Z")
            .header("x-amz-target", "TrentService.ListKeys")
            .header("authorization", auth)
            .body(b"{}".to_vec())
            .unwrap();
        let answer = h.raw(request);
        assert_eq!(answer.code(), code, "{auth}");
        if code == "InvalidSignatureException" {
            let message = answer.body["message"].as_str().unwrap_or("");
            assert!(message.contains("scoped to correct service"), "{message}");
        }
    }
}

#[test]
fn with_known_regions_only_a_region_typo_is_refused() {
    let lenient = harness();
    assert_eq!(
        lenient
            .call_as("111122223333", "us-est-1", "ListKeys", json!({}))
            .status,
        200,
        "off by default: any well-formed region is a tenant"
    );
    let h = harness_with(dialect_aws::Settings {
        known_regions_only: true,
        ..Default::default()
    });
    let typo = h.call_as("111122223333", "us-est-1", "ListKeys", json!({}));
    assert_eq!(typo.code(), "InvalidSignatureException");
    assert!(typo.body["message"].as_str().unwrap().contains("us-est-1"));
    for region in ["us-east-1", "cn-north-1", "us-gov-west-1"] {
        assert_eq!(
            h.call_as("111122223333", region, "ListKeys", json!({}))
                .status,
            200,
            "{region}"
        );
    }
}

fn op_request(op: &str, body: Value) -> http::Request<Vec<u8>> {
    http::Request::post("/")
        .header("x-amz-target", format!("TrentService.{op}"))
        .header("authorization", authorization("111122223333", "us-east-1"))
        .body(body.to_string().into_bytes())
        .unwrap()
}

#[test]
fn every_answer_carries_a_summary_for_the_server_log() {
    let h = harness();
    let created = h.dialect.handle(op_request("CreateKey", json!({})));
    let s = dialect_kit::Summary::of(&created).unwrap().clone();
    let body: Value = serde_json::from_slice(created.body()).unwrap();
    assert_eq!(s.operation, Some("CreateKey"));
    assert_eq!(s.tenant.as_deref(), Some("aws/111122223333/us-east-1"));
    assert_eq!(s.key_id.as_deref(), body["KeyMetadata"]["KeyId"].as_str());
    assert_eq!(s.error_code, None);
    assert_eq!(
        s.request_id.as_deref(),
        created.headers()["x-amzn-requestid"].to_str().ok()
    );
    let key = s.key_id.unwrap();
    let by_alias = h.dialect.handle(op_request(
        "CreateAlias",
        json!({ "AliasName": "alias/a", "TargetKeyId": key }),
    ));
    assert_eq!(by_alias.status(), 200);
    let described = h
        .dialect
        .handle(op_request("DescribeKey", json!({ "KeyId": "alias/a" })));
    let s = dialect_kit::Summary::of(&described).unwrap();
    assert_eq!(s.key_id.as_deref(), Some(key.as_str()), "the resolved key");
    let missing = h
        .dialect
        .handle(op_request("DescribeKey", json!({ "KeyId": "alias/none" })));
    let s = dialect_kit::Summary::of(&missing).unwrap();
    assert_eq!(s.error_code, Some("NotFoundException"));
    let unknown = h.dialect.handle(op_request("NoSuchThing", json!({})));
    let s = dialect_kit::Summary::of(&unknown).unwrap();
    assert_eq!(s.operation, None, "only routed names become labels");
    assert_eq!(s.error_code, Some("UnknownOperationException"));
    let edge = h.dialect.edge(Edge::TimedOut);
    let s = dialect_kit::Summary::of(&edge).unwrap();
    assert_eq!(s.error_code, Some("DependencyTimeoutException"));
}

#[test]
fn aws_requests_are_recognised_and_others_are_not() {
    let h = harness();
    let bare = |headers: &[(&str, &str)], path: &str| {
        let mut b = http::Request::post(path);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        h.dialect.recognizes(&b.body(Vec::new()).unwrap())
    };
    assert!(bare(&[("x-amz-target", "TrentService.ListKeys")], "/"));
    assert!(bare(
        &[("authorization", &authorization("AK", "us-east-1"))],
        "/"
    ));
    assert!(!bare(&[], "/"));
    assert!(!bare(&[("x-tc-action", "ListKeys")], "/"));
    assert!(!bare(
        &[("authorization", "TC3-HMAC-SHA256 Credential=a")],
        "/"
    ));
    assert!(!bare(&[("x-auth-token", "MII")], "/v1.0/p/kms/list-keys"));
    let misdirected = h.dialect.edge(Edge::Misdirected {
        message: "this is kmsgate's Tencent Cloud KMS listener",
    });
    assert_eq!(misdirected.status(), 400);
    let body: Value = serde_json::from_slice(misdirected.body()).unwrap();
    assert_eq!(body["__type"], "UnknownOperationException");
    assert_eq!(
        body["message"],
        "this is kmsgate's Tencent Cloud KMS listener"
    );
}

#[test]
fn operators_name_tenants_in_aws_terms() {
    let h = harness();
    let terms = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(
        h.dialect.tenant(&terms(&[
            ("account", "111122223333"),
            ("region", "eu-west-1")
        ])),
        Ok("aws/111122223333/eu-west-1".to_owned())
    );
    for bad in [
        terms(&[("account", "1111")]),
        terms(&[("account", "12345"), ("region", "eu-west-1")]),
        terms(&[("account", "111122223333"), ("region", "EU WEST")]),
        terms(&[("project_id", "p")]),
        terms(&[
            ("account", "111122223333"),
            ("region", "eu-west-1"),
            ("x", "y"),
        ]),
    ] {
        assert!(h.dialect.tenant(&bad).is_err(), "{bad:?}");
    }
}
