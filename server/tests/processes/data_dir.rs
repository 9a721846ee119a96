//! `--data-dir`: a durable store that survives a stop and a restart.

use kms_core::{DATABASE_FILE, ROOT_KEY_FILE};

use serde_json::{Value, json};

use crate::support::{Launch, Running, get, request};
use crate::{AWS, PROMPT_EXIT};

fn start(dir: &std::path::Path) -> Running {
    // The real pool: shutdown must stay prompt while it generates RSA keys.
    Launch::new(AWS)
        .default_pool()
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([dir])
        .start(1)
}

/// An AWS call with a well-formed but unverified signature (strict auth is off by default).
fn aws(server: &Running, operation: &str, body: &Value) -> (u16, Value) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/kms/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={}",
        "0".repeat(64)
    );
    let r = request(
        server.addr("aws"),
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", &format!("TrentService.{operation}")),
            ("X-Amz-Date", "20260101T000000Z"),
            ("Authorization", &auth),
        ],
        body.to_string().as_bytes(),
    );
    (r.status, r.json())
}

fn stop(mut server: Running) {
    server.signal("TERM");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
}

#[test]
fn a_data_dir_is_created_kept_and_reopened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");

    let first = start(&dir);
    assert_eq!(get(first.addr("aws"), "/health").status, 200);
    let (status, created) = aws(&first, "CreateKey", &json!({ "Description": "kept" }));
    assert_eq!(status, 200, "{created}");
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    stop(first);
    let root_key = std::fs::read(dir.join(ROOT_KEY_FILE)).expect("root.key written");
    assert!(dir.join(DATABASE_FILE).is_file(), "keys.redb written");

    let second = start(&dir);
    assert_eq!(get(second.addr("aws"), "/health").status, 200);
    let (status, described) = aws(&second, "DescribeKey", &json!({ "KeyId": key_id }));
    assert_eq!(status, 200, "{described}");
    assert_eq!(described["KeyMetadata"]["Description"], "kept");
    stop(second);
    assert_eq!(
        std::fs::read(dir.join(ROOT_KEY_FILE)).unwrap(),
        root_key,
        "a restart must reuse the root key, not mint a new one"
    );
}

/// Ready wrapping key pairs outlive a restart (no CPU spent generating them again): the pool
/// is full before the first request, the restored pairs are handed out fresh, and no pair
/// serves more answers than `pool.reuse_calls` allows (reuse itself, which depends on the
/// refill's pace here, is pinned by kms-core's pool tests).
#[test]
fn ready_key_pairs_survive_a_restart_and_no_pair_serves_more_answers_than_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let start = || {
        Launch::new(crate::AWS)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .args([&data])
            .env("KMSGATE_POOL__SM2", "2")
            .env("KMSGATE_POOL__REUSE_CALLS", "3")
            .start(1)
    };
    let server = start();
    // The pool fills in the background; wait until it has (a count, not a clock).
    let full = |server: &crate::support::Running| {
        get(server.addr("aws"), "/metrics")
            .text()
            .contains("kmsgate_wrapping_key_pairs_ready{spec=\"SM2\"} 2")
    };
    for _ in 0..600 {
        if full(&server) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(full(&server), "the pool never filled");
    let mut server = server;
    server.signal("TERM");
    assert_eq!(server.wait_exit(crate::PROMPT_EXIT).code(), Some(0));

    let server = start();
    assert!(full(&server), "restored before the first request");
    let key = |server: &crate::support::Running| {
        let (status, created) = crate::support::aws(
            server,
            "111122223333",
            "cn-north-1",
            "CreateKey",
            &json!({ "Origin": "EXTERNAL" }),
        );
        assert_eq!(status, 200, "{created}");
        created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    };
    let id = key(&server);
    let mut publics = Vec::new();
    for _ in 0..5 {
        let (status, params) = crate::support::aws(
            &server,
            "111122223333",
            "cn-north-1",
            "GetParametersForImport",
            &json!({ "KeyId": id, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "SM2" }),
        );
        assert_eq!(status, 200, "{params}");
        publics.push(params["PublicKey"].as_str().unwrap().to_owned());
    }
    // Fresh pairs first (two restored, then whatever the refill made), each answer a pair
    // no earlier answer showed unless none was ready; never more than 3 answers per pair.
    for p in &publics {
        assert!(publics.iter().filter(|q| *q == p).count() <= 3);
    }
    assert_ne!(publics[0], publics[1], "two ready pairs: two fresh answers");
    let mut server = server;
    server.signal("TERM");
    assert_eq!(server.wait_exit(crate::PROMPT_EXIT).code(), Some(0));
    assert!(
        server.stderr().contains("restored=2"),
        "{}",
        server.stderr()
    );
}
