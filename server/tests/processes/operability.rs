//! What a user sees of a running server: request log lines, warnings, metrics, and loud
//! refusals of requests sent to the wrong listener.

use std::time::{Duration, Instant};

use crate::support::{Launch, Running, get, request};
use crate::{AWS, KMSGATE, PROMPT_EXIT};

fn stop(mut server: Running) {
    server.signal("TERM");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
}

/// Log lines are written as requests finish, on another thread: wait for them.
fn stderr_containing(server: &Running, wanted: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = server.stderr();
        if wanted.iter().all(|w| text.contains(w)) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const AWS_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=111122223333/20261127/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000";

/// A CreateKey with an empty body, as the signed test account.
fn create_key(addr: std::net::SocketAddr) -> crate::support::Response {
    request(
        addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "TrentService.CreateKey"),
            ("Authorization", AWS_SIGNED),
        ],
        b"{}",
    )
}

#[test]
fn every_request_gets_one_log_line_and_metrics_count_it() {
    let server = Launch::new(AWS)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .env("KMSGATE_VERSION", "9.9.9")
        .start(1);
    let addr = server.addr("aws");
    let created = create_key(addr);
    assert_eq!(created.status, 200, "{}", created.text());
    let key_id = created.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = request(
        addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "TrentService.DescribeKey"),
            ("Authorization", AWS_SIGNED),
        ],
        br#"{"KeyId": "alias/none"}"#,
    );
    assert_eq!(missing.status, 400);
    let log = stderr_containing(&server, &["NotFoundException", &key_id]);
    assert!(log.contains("kmsgate starting"), "{log}");
    assert!(
        log.contains("KMSGATE_VERSION") && log.contains("names no setting"),
        "{log}"
    );
    let line = log
        .lines()
        .find(|l| l.contains("operation=CreateKey"))
        .unwrap_or_else(|| panic!("no CreateKey line in\n{log}"));
    for part in [
        "dialect=aws",
        "tenant=aws/111122223333/us-east-1",
        &format!("key_id={key_id}"),
        "status=200",
        "ms=",
        "request_id=",
    ] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    assert!(log.contains("code=NotFoundException"), "{log}");
    assert!(
        log.contains("new tenant aws/111122223333/us-east-1"),
        "the first request of a tenant is logged: {log}"
    );
    assert_eq!(log.matches("new tenant").count(), 1, "once: {log}");

    let metrics = get(addr, "/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(
        text.contains(r#"kmsgate_requests_total{code="OK",dialect="aws",operation="CreateKey"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"kmsgate_requests_total{code="NotFoundException",dialect="aws",operation="DescribeKey"} 1"#
        ),
        "{text}"
    );

    // After a reset the tenant's keys are gone: its next request is noted again.
    let reset = request(addr, "POST", "/_kmsgate/reset", &[], b"");
    assert_eq!(reset.status, 200, "{}", reset.text());
    let again = create_key(addr);
    assert_eq!(again.status, 200, "{}", again.text());
    let deadline = Instant::now() + Duration::from_secs(20);
    let log = loop {
        let log = server.stderr();
        if log.matches("new tenant").count() >= 2 || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(log.matches("new tenant").count(), 2, "noted again: {log}");
    stop(server);
}

#[test]
fn json_log_lines_on_request() {
    let server = Launch::new(AWS)
        .args([
            "--in-memory",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .start(1);
    let addr = server.addr("aws");
    request(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "TrentService.ListKeys")],
        b"{}",
    );
    let log = stderr_containing(&server, &["\"operation\":\"ListKeys\""]);
    let line = log
        .lines()
        .find(|l| l.contains("\"operation\":\"ListKeys\""))
        .unwrap_or_else(|| panic!("no ListKeys line in\n{log}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["dialect"], "aws");
    assert_eq!(v["code"], "MissingAuthenticationTokenException");
    stop(server);
}

#[test]
fn requests_for_another_cloud_are_refused_in_their_clients_shape() {
    let server = Launch::new(KMSGATE)
        .args([
            "serve",
            "--in-memory",
            "--aws-listen",
            "127.0.0.1:0",
            "--tencent-listen",
            "127.0.0.1:0",
            "--huawei-listen",
            "127.0.0.1:0",
        ])
        .start(3);
    let (aws, tencent, huawei) = (
        server.addr("aws"),
        server.addr("tencent"),
        server.addr("huawei"),
    );
    // An AWS request at the Tencent listener: AWS's own error shape, and a 400.
    let r = request(
        tencent,
        "POST",
        "/",
        &[("X-Amz-Target", "TrentService.CreateKey")],
        b"{}",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("Tencent Cloud KMS listener"), "{message}");
    assert!(message.contains(&format!("http://{aws}")), "{message}");
    // A Huawei request at the Tencent listener: Huawei's gateway shape.
    let r = request(tencent, "POST", "/v1.0/p1/kms/list-keys", &[], b"{}");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error_code"], "APIG.0101");
    assert!(
        r.text().contains(&format!("http://{huawei}")),
        "{}",
        r.text()
    );
    // A Tencent request at the AWS listener: Tencent's SDK reads only 200s, so the AWS
    // listener's own error, which no client takes for success.
    let r = request(aws, "POST", "/", &[("X-TC-Action", "ListKeys")], b"{}");
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains(&format!("http://{tencent}")),
        "{}",
        r.text()
    );
    let r = request(huawei, "POST", "/", &[("X-TC-Action", "ListKeys")], b"{}");
    assert_eq!(r.status, 404);
    // A request no cloud would send, at the Tencent listener: never a 200.
    assert_eq!(request(tencent, "POST", "/", &[], b"{}").status, 400);
    let log = stderr_containing(&server, &["reached the Tencent Cloud KMS listener"]);
    assert!(log.contains("a request for AWS KMS reached"), "{log}");
    stop(server);
}

#[test]
fn a_single_dialect_process_says_how_to_reach_the_other_clouds() {
    let server = Launch::new(AWS)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .start(1);
    let r = request(
        server.addr("aws"),
        "POST",
        "/v1.0/p1/kms/create-key",
        &[],
        b"{}",
    );
    assert_eq!(r.status, 404);
    let text = r.text();
    assert!(text.contains("not served by this process"), "{text}");
    assert!(text.contains("kmsgate-huawei"), "{text}");
    stop(server);
}

#[test]
fn with_strict_auth_the_admin_endpoints_want_the_admin_token() {
    let strict = |token: Option<&str>| {
        let mut launch = Launch::new(AWS)
            .args(["--in-memory", "--listen", "127.0.0.1:0"])
            .env("KMSGATE_AWS__STRICT_AUTH", "true")
            .env("KMSGATE_AWS__CREDENTIALS__AKIDEXAMPLE", "secret");
        if let Some(t) = token {
            launch = launch.env("KMSGATE_ADMIN__TOKEN", t);
        }
        launch.start(1)
    };
    let closed = strict(None);
    let addr = closed.addr("aws");
    assert_eq!(get(addr, "/_kmsgate/clock").status, 404);
    let advance = request(
        addr,
        "POST",
        "/_kmsgate/clock/advance",
        &[],
        br#"{"seconds": 60}"#,
    );
    assert_eq!(advance.status, 404);
    assert_eq!(get(addr, "/health").status, 200, "health stays open");
    assert_eq!(get(addr, "/metrics").status, 200, "metrics stay open");
    stop(closed);

    let guarded = strict(Some("adm1n-T0ken"));
    let addr = guarded.addr("aws");
    assert_eq!(get(addr, "/_kmsgate/clock").status, 401);
    let wrong = request(
        addr,
        "GET",
        "/_kmsgate/clock",
        &[("Authorization", "Bearer adm1n-T0kem")],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let right = request(
        addr,
        "GET",
        "/_kmsgate/clock",
        &[("Authorization", "Bearer adm1n-T0ken")],
        b"",
    );
    assert_eq!(right.status, 200, "{}", right.text());
    // The scheme name is case-insensitive.
    let lower = request(
        addr,
        "GET",
        "/_kmsgate/clock",
        &[("Authorization", "bearer adm1n-T0ken")],
        b"",
    );
    assert_eq!(lower.status, 200, "{}", lower.text());
    assert!(!guarded.stderr().contains("adm1n-T0ken"));
    stop(guarded);
}
