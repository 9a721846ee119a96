//! State and clock controls, durable across restarts, and honest starts: `/_kmsgate/reset`,
//! `/_kmsgate/clock/set|reset`, `--reset`, a data directory held by another process, a
//! root key that cannot open the store.

use kms_core::ROOT_KEY_FILE;
use serde_json::{Value, json};

use crate::support::{self, Launch, Running, get, request};
use crate::{AWS, PROMPT_EXIT};

fn start(dir: &std::path::Path, extra: &[&str]) -> Running {
    Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([dir])
        .args(extra)
        .start(1)
}

fn stop(mut server: Running) {
    server.signal("TERM");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
}

/// An AWS call for `account` in us-east-1.
fn aws(server: &Running, account: &str, operation: &str, body: &Value) -> (u16, Value) {
    support::aws(server, account, "us-east-1", operation, body)
}

fn key_count(server: &Running, account: &str) -> usize {
    let (status, listed) = aws(server, account, "ListKeys", &json!({}));
    assert_eq!(status, 200, "{listed}");
    listed["Keys"].as_array().unwrap().len()
}

fn admin(server: &Running, path: &str, body: &str) -> (u16, Value) {
    let r = request(server.addr("aws"), "POST", path, &[], body.as_bytes());
    (r.status, r.json())
}

const A: &str = "111111111111";
const B: &str = "222222222222";

#[test]
fn reset_empties_one_tenant_or_all_and_serve_reset_starts_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = start(&dir, &[]);
    let mut ids = Vec::new();
    for account in [A, A, B] {
        let (status, created) = aws(&server, account, "CreateKey", &json!({}));
        assert_eq!(status, 200, "{created}");
        ids.push(created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned());
    }
    let alias = json!({ "AliasName": "alias/snippet", "TargetKeyId": ids[0] });
    assert_eq!(aws(&server, A, "CreateAlias", &alias).0, 200);

    let (status, bad) = admin(
        &server,
        "/_kmsgate/reset",
        r#"{"tenant": {"project_id": "p"}}"#,
    );
    assert_eq!(status, 400, "{bad}");
    assert!(bad["error"].as_str().unwrap().contains("account"), "{bad}");
    assert_eq!(key_count(&server, A), 2, "a refused reset changes nothing");

    let (status, done) = admin(
        &server,
        "/_kmsgate/reset",
        &json!({ "tenant": { "account": A, "region": "us-east-1" } }).to_string(),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["keys_removed"], 2);
    assert_eq!(done["aliases_removed"], 1);
    assert_eq!(done["tenant"], "aws/111111111111/us-east-1");
    assert_eq!(key_count(&server, A), 0);
    assert_eq!(key_count(&server, B), 1, "other tenants are untouched");
    // The README snippet can run again: the alias name is free.
    let (_, created) = aws(&server, A, "CreateKey", &json!({}));
    let again =
        json!({ "AliasName": "alias/snippet", "TargetKeyId": created["KeyMetadata"]["KeyId"] });
    assert_eq!(aws(&server, A, "CreateAlias", &again).0, 200);
    stop(server);

    let server = start(&dir, &[]);
    assert_eq!(key_count(&server, B), 1, "kept across a restart");
    let (status, done) = admin(&server, "/_kmsgate/reset", "");
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["tenant"], Value::Null);
    assert_eq!(key_count(&server, A), 0);
    assert_eq!(key_count(&server, B), 0);
    assert_eq!(aws(&server, B, "CreateKey", &json!({})).0, 200);
    stop(server);

    let server = start(&dir, &["--reset"]);
    assert_eq!(
        key_count(&server, B),
        0,
        "--reset starts from an empty store"
    );
    stop(server);
}

#[test]
fn the_clock_is_set_reset_and_kept_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = start(&dir, &[]);
    let (status, moved) = admin(&server, "/_kmsgate/clock/advance", r#"{"seconds": 3600}"#);
    assert_eq!(status, 200, "{moved}");
    stop(server);

    // Emulated time picks up where it was (real time went on too).
    let server = start(&dir, &[]);
    let clock = get(server.addr("aws"), "/_kmsgate/clock").json();
    assert!(
        clock["offset_seconds"].as_f64().unwrap() >= 3600.0,
        "{clock}"
    );
    let now = clock["now"].as_f64().unwrap() as u64;

    let (status, refused) = admin(&server, "/_kmsgate/clock/set", r#"{"epoch_seconds": 1000}"#);
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("real time"),
        "{refused}"
    );

    let later = now + 30 * 86_400;
    let (status, set) = admin(
        &server,
        "/_kmsgate/clock/set",
        &json!({ "epoch_seconds": later }).to_string(),
    );
    assert_eq!(status, 200, "{set}");
    assert!(
        set["offset_seconds"].as_f64().unwrap() > 29.0 * 86_400.0,
        "{set}"
    );

    let (status, back) = admin(&server, "/_kmsgate/clock/reset", "");
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["offset_seconds"], json!(0));
    assert_eq!(
        back["generation"],
        json!(1),
        "moving back starts a generation"
    );
    stop(server);

    let server = start(&dir, &[]);
    let clock = get(server.addr("aws"), "/_kmsgate/clock").json();
    assert_eq!(clock["offset_seconds"], json!(0), "{clock}");
    assert_eq!(clock["generation"], json!(1), "{clock}");
    stop(server);
}

#[test]
fn a_second_process_on_the_same_data_dir_is_told_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let first = start(&dir, &[]);
    let second = Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([&dir])
        .run_to_exit();
    assert_eq!(second.code, Some(1), "{second:?}");
    for hint in ["another kmsgate", "--data-dir", "--in-memory"] {
        assert!(second.stderr.contains(hint), "{hint}: {second:?}");
    }
    stop(first);
}

#[test]
fn a_root_key_that_cannot_open_the_store_stops_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = start(&dir, &[]);
    assert_eq!(aws(&server, A, "CreateKey", &json!({})).0, 200);
    stop(server);
    std::fs::write(dir.join(ROOT_KEY_FILE), format!("{}\n", "ab".repeat(32))).unwrap();
    let refused = Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([&dir])
        .run_to_exit();
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(refused.stderr.contains("root key"), "{refused:?}");
    assert!(!refused.stdout.contains("listening on"), "{refused:?}");
}
