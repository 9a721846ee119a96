//! `kmsgate serve`: every dialect in one process, over one engine and one clock.

use serde_json::json;

use crate::support::{Launch, get, post};
use crate::{KMSGATE, PROMPT_EXIT};

#[test]
fn serve_runs_three_listeners_over_one_clock_and_stops_on_sigterm() {
    let mut server = Launch::new(KMSGATE)
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
    let names: Vec<&str> = server.listeners.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["aws", "tencent", "huawei"]);
    for line in &server.stdout {
        assert!(line.contains(" listening on http://127.0.0.1:"), "{line}");
    }
    let ports: Vec<u16> = server.listeners.iter().map(|(_, a)| a.port()).collect();
    assert!(ports.iter().all(|p| *p != 0), "{ports:?}");
    assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);

    for (_, addr) in &server.listeners {
        let health = get(*addr, "/health");
        assert_eq!(health.status, 200);
        assert_eq!(
            health.json(),
            json!({ "status": "ok", "unreadable_records": 0 })
        );
    }

    // Time moved through one listener has moved for all of them.
    let moved = post(
        server.addr("aws"),
        "/_kmsgate/clock/advance",
        br#"{"seconds": 600}"#,
    );
    assert_eq!(moved.status, 200);
    for name in ["tencent", "huawei"] {
        let clock = get(server.addr(name), "/_kmsgate/clock").json();
        assert_eq!(clock["offset_seconds"], json!(600), "{name}");
    }

    // Tencent answers in its own envelope; a request no Tencent client would send (no
    // X-TC-Action, no TC3 signature) gets a 400, which its client cannot take for success.
    let r = post(server.addr("tencent"), "/", b"{}");
    assert_eq!(r.status, 400);
    assert!(r.json()["Response"]["Error"]["Code"].is_string());
    assert_ne!(post(server.addr("aws"), "/", b"{}").status, 501);
    assert_eq!(post(server.addr("huawei"), "/", b"{}").status, 404);

    server.signal("TERM");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
    for (_, addr) in &server.listeners {
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "{addr} still accepts connections"
        );
    }
}

#[test]
fn serve_takes_listen_addresses_from_the_environment() {
    // Flags name two listeners; the third comes from its KMSGATE_ variable.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let free = probe.local_addr().unwrap();
    drop(probe);
    let server = Launch::new(KMSGATE)
        .args([
            "serve",
            "--in-memory",
            "--aws-listen",
            "127.0.0.1:0",
            "--tencent-listen",
            "127.0.0.1:0",
        ])
        .env("KMSGATE_HUAWEI__LISTEN", &free.to_string())
        .start(3);
    assert_eq!(server.addr("huawei"), free);
    assert_eq!(get(free, "/health").status, 200);
}
