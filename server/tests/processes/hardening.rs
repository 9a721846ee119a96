//! Issue #14 through the real binaries: a private data directory, oversized request heads,
//! and the Tencent settings and headers that reach the server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use kms_core::{DATABASE_FILE, ROOT_KEY_FILE};

use crate::support::{Launch, get, request};
use crate::{HUAWEI, PROMPT_EXIT, TENCENT};

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Key descriptions, tags and tenants are stored unsealed: nobody else may read them.
#[cfg(unix)]
#[test]
fn a_new_data_directory_is_readable_by_its_owner_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut server = Launch::new(HUAWEI)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([&dir])
        .start(1);
    assert_eq!(get(server.addr("huawei"), "/health").status, 200);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(DATABASE_FILE)), 0o600);
    assert_eq!(mode(&dir.join(ROOT_KEY_FILE)), 0o600);
    server.signal("TERM");
    assert_eq!(server.wait_exit(PROMPT_EXIT).code(), Some(0));
    assert!(!server.stderr().contains("WARN"), "{}", server.stderr());
}

/// A directory the user made readable to others is left alone, and the start says so.
#[cfg(unix)]
#[test]
fn an_existing_readable_data_directory_is_reported_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut server = Launch::new(HUAWEI)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([&dir])
        .start(1);
    server.signal("TERM");
    assert_eq!(server.wait_exit(PROMPT_EXIT).code(), Some(0));
    assert_eq!(mode(&dir), 0o755, "left as the user made it");
    let log = server.stderr();
    assert!(log.contains("WARN") && log.contains("chmod"), "{log}");
}

/// Sends one request whose head carries a `size`-byte header, as a plain client does (all of
/// it, then read), and returns the answer's status line, or why there was none.
fn huge_head(addr: SocketAddr, size: usize) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let limit = Some(Duration::from_secs(30));
    stream.set_read_timeout(limit).map_err(|e| e.to_string())?;
    stream.set_write_timeout(limit).map_err(|e| e.to_string())?;
    let head = format!(
        "POST /v1.0/0123456789abcdef0123456789abcdef/kms/list-keys HTTP/1.1\r\nHost: {addr}\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\n{{}}",
        "a".repeat(size)
    );
    stream
        .write_all(head.as_bytes())
        .map_err(|e| format!("sending: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("reading: {e}"))?;
    Ok(String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned())
}

#[test]
fn a_megabyte_request_head_is_answered_431() {
    let server = Launch::new(HUAWEI)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .start(1);
    let addr = server.addr("huawei");
    for size in [140 << 10, 1 << 20] {
        assert_eq!(
            huge_head(addr, size),
            Ok("HTTP/1.1 431 Request Header Fields Too Large".to_owned()),
            "{size} bytes"
        );
    }
    // The listener goes on serving.
    assert_eq!(get(addr, "/health").status, 200);
}

#[test]
fn tencent_trace_ids_come_back() {
    let server = Launch::new(TENCENT)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .start(1);
    let auth = format!(
        "TC3-HMAC-SHA256 Credential=AKIDexample/2026-01-01/kms/tc3_request, SignedHeaders=content-type;host, Signature={}",
        "0".repeat(64)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let trace = "2f66c315-2861-4df8-8185-51127384c73e";
    let r = request(
        server.addr("tencent"),
        "POST",
        "/",
        &[
            ("Content-Type", "application/json"),
            ("X-TC-Action", "ListKeys"),
            ("X-TC-Version", "2019-01-18"),
            ("X-TC-Region", "ap-guangzhou"),
            ("X-TC-Timestamp", &now),
            ("X-TC-TraceId", trace),
            ("Authorization", &auth),
        ],
        b"{}",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("X-TC-TraceId"), Some(trace), "{:?}", r.headers);
}

#[test]
fn require_signed_action_is_a_known_setting_that_needs_strict_auth() {
    let run = Launch::new(TENCENT)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .env("KMSGATE_TENCENT__REQUIRE_SIGNED_ACTION", "true")
        .run_to_exit();
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(
        run.stderr.contains("tencent.require_signed_action")
            && run.stderr.contains("tencent.strict_auth"),
        "{run:?}"
    );
    let mut server = Launch::new(TENCENT)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .env("KMSGATE_TENCENT__STRICT_AUTH", "true")
        .env("KMSGATE_TENCENT__REQUIRE_SIGNED_ACTION", "true")
        .env("KMSGATE_TENCENT__CREDENTIALS__AKIDexample__SECRET_KEY", "s")
        .start(1);
    assert!(
        !server.stderr().contains("REQUIRE_SIGNED_ACTION"),
        "an unknown-variable warning: {}",
        server.stderr()
    );
    server.signal("TERM");
    assert_eq!(server.wait_exit(PROMPT_EXIT).code(), Some(0));
}
