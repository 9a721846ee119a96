//! One dialect per process: `kmsgate-aws`, `kmsgate-tencent`, `kmsgate-huawei`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

use crate::support::{Launch, Running, get, post, request, send_raw};
use crate::{AWS, HUAWEI, PROMPT_EXIT, TENCENT};

fn start(bin: &str) -> Running {
    Launch::new(bin)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .start(1)
}

fn stop(mut server: Running, signal: &str) {
    server.signal(signal);
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
}

#[test]
fn aws_prints_one_ready_line_with_the_real_port_and_serves_health() {
    let server = start(AWS);
    assert_eq!(server.stdout.len(), 1, "{:?}", server.stdout);
    let (name, addr) = &server.listeners[0];
    assert_eq!(name, "aws");
    assert_ne!(addr.port(), 0);
    assert_eq!(
        server.stdout[0],
        format!("aws listening on http://127.0.0.1:{}", addr.port())
    );
    let health = get(*addr, "/health");
    assert_eq!(health.status, 200);
    assert_eq!(
        health.json(),
        json!({ "status": "ok", "unreadable_records": 0 })
    );
    stop(server, "TERM");
}

#[test]
fn aws_requests_reach_the_aws_dialect() {
    let server = start(AWS);
    let addr = server.addr("aws");
    let r = request(
        addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "TrentService.ListKeys"),
        ],
        b"{}",
    );
    // Unsigned, so refused, but in AWS's own error shape rather than the server's.
    assert!((400..500).contains(&r.status), "{r:?}");
    assert!(r.json()["__type"].is_string(), "{r:?}");
    stop(server, "TERM");
}

#[test]
fn the_clock_is_read_and_advanced_over_http() {
    let server = start(AWS);
    let addr = server.addr("aws");
    let before = get(addr, "/_kmsgate/clock");
    assert_eq!(before.status, 200);
    assert_eq!(before.json()["offset_seconds"], json!(0));
    let before_now = before.json()["now"].as_f64().unwrap();

    let advanced = post(addr, "/_kmsgate/clock/advance", br#"{"seconds": 86400}"#);
    assert_eq!(advanced.status, 200, "{}", advanced.text());
    assert_eq!(advanced.json()["offset_seconds"], json!(86400));
    let moved = advanced.json()["now"].as_f64().unwrap() - before_now;
    assert!((86400.0..86460.0).contains(&moved), "moved {moved}");

    let again = post(addr, "/_kmsgate/clock/advance", br#"{"seconds": 1.5}"#);
    assert_eq!(again.json()["offset_seconds"], json!(86401.5));
    assert_eq!(
        get(addr, "/_kmsgate/clock").json()["offset_seconds"],
        json!(86401.5)
    );
    stop(server, "TERM");
}

#[test]
fn bad_advance_bodies_are_400_with_a_json_message() {
    let server = start(AWS);
    let addr = server.addr("aws");
    for body in [
        &br#"{"seconds": -5}"#[..],
        br#"{"seconds": "10"}"#,
        br#"{"minutes": 1}"#,
        b"{}",
        b"ten seconds",
        b"",
    ] {
        let r = post(addr, "/_kmsgate/clock/advance", body);
        assert_eq!(
            r.status,
            400,
            "{:?}: {}",
            String::from_utf8_lossy(body),
            r.text()
        );
        assert!(r.json()["error"].is_string(), "{}", r.text());
    }
    assert_eq!(
        get(addr, "/_kmsgate/clock").json()["offset_seconds"],
        json!(0)
    );
    stop(server, "TERM");
}

#[test]
fn clock_control_can_be_turned_off() {
    let server = Launch::new(AWS)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .env("KMSGATE_ADMIN__CLOCK_CONTROL", "false")
        .start(1);
    let addr = server.addr("aws");
    assert_eq!(get(addr, "/_kmsgate/clock").status, 404);
    let r = post(addr, "/_kmsgate/clock/advance", br#"{"seconds": 60}"#);
    assert_eq!(r.status, 404);
    assert_eq!(get(addr, "/health").status, 200);
    stop(server, "TERM");
}

#[test]
fn bodies_over_the_limit_get_the_dialects_answer_not_a_500() {
    let server = Launch::new(AWS)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .env("KMSGATE_LIMITS__BODY_BYTES", "1024")
        .start(1);
    let addr = server.addr("aws");
    let headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "TrentService.ListKeys"),
    ];
    let declared = request(addr, "POST", "/", &headers, &[b' '; 4096]);
    assert!((400..500).contains(&declared.status), "{declared:?}");
    assert!(declared.json()["__type"].is_string(), "{declared:?}");

    // Chunked: no length up front, so the limit has to hold while reading.
    let chunk = "a".repeat(800);
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\
         Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\n\r\n\
         320\r\n{chunk}\r\n320\r\n{chunk}\r\n0\r\n\r\n"
    );
    let streamed = send_raw(addr, raw.as_bytes());
    assert!((400..500).contains(&streamed.status), "{streamed:?}");
    assert_eq!(streamed.json()["__type"], declared.json()["__type"]);

    // The server is still fine afterwards.
    assert_eq!(get(addr, "/health").status, 200);
    stop(server, "TERM");
}

#[test]
fn huawei_answers_in_its_own_shapes() {
    let server = start(HUAWEI);
    let addr = server.addr("huawei");
    assert_eq!(get(addr, "/health").status, 200);
    let unknown = post(addr, "/", b"{}");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error_code"], "APIG.0101");
    let unauthenticated = post(addr, "/v1.0/project/kms/list-keys", b"{}");
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(unauthenticated.json()["error_code"], "APIG.0301");
    assert_eq!(get(addr, "/_kmsgate/clock").status, 200);
    stop(server, "INT");
}

#[test]
fn tencent_answers_in_its_own_envelope() {
    let server = start(TENCENT);
    let addr = server.addr("tencent");
    assert_eq!(get(addr, "/health").status, 200);
    // The error inside the envelope; a 400 for a request no Tencent client would send, so
    // that its client cannot mistake the answer for success (Tencent-shaped requests get
    // their errors with a 200: see a_request_in_flight_at_sigterm_is_still_answered).
    let unsigned = post(addr, "/", b"{}");
    assert_eq!(unsigned.status, 400);
    let response = &unsigned.json()["Response"];
    assert!(response["Error"]["Code"].is_string(), "{response}");
    assert!(response["RequestId"].is_string(), "{response}");
    assert_eq!(get(addr, "/_kmsgate/clock").status, 200);
    stop(server, "INT");
}

#[test]
fn a_request_in_flight_at_sigterm_is_still_answered() {
    let mut server = start(TENCENT);
    let addr = server.addr("tencent");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-TC-Action: ListKeys\r\nContent-Length: 10\r\n\r\n12345",
        )
        .unwrap();
    // Time for the server to accept the connection and read the head: a request it had not
    // accepted yet would be refused rather than answered, failing the test, never passing it.
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    // Stopped accepting (polled: how soon depends on the machine), but the half-sent request
    // is finished and answered.
    let give_up = std::time::Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_ok() {
        assert!(std::time::Instant::now() < give_up, "still accepting");
        std::thread::sleep(Duration::from_millis(20));
    }
    stream.write_all(b"67890").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    // Tencent's envelope: HTTP 200 even for an error (this request is unsigned).
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("AuthFailure"), "{answer}");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
}
