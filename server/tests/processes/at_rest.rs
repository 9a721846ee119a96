//! Records at rest: a store written before records were authenticated is upgraded at start
//! and keeps every key; a record edited on disk is refused (logged, never usable) without
//! taking its tenant's listing down, and `/health` counts it.

use std::path::Path;

use kms_core::store::Change;
use kms_core::{KeyStore, RedbStore, TenantId};
use serde_json::{Value, json};

use crate::support::{self, Launch, Running, get};
use crate::{AWS, PROMPT_EXIT};

const ACCOUNT: &str = "111122223333";

fn start(data: &Path) -> Running {
    Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([data])
        .start(1)
}

fn stop(mut server: Running) -> String {
    server.signal("TERM");
    let status = server.wait_exit(PROMPT_EXIT);
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
    server.stderr()
}

fn aws(server: &Running, operation: &str, body: &Value) -> (u16, Value) {
    support::aws(server, ACCOUNT, "us-east-1", operation, body)
}

#[test]
fn a_store_of_the_previous_format_is_upgraded_at_start() {
    let v1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kms-core/tests/data/v1-store");
    let expected: Value =
        serde_json::from_slice(&std::fs::read(v1.join("expected.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for file in ["keys.redb", "root.key"] {
        std::fs::copy(v1.join(file), data.join(file)).unwrap();
    }
    let server = start(&data);
    let (status, opened) = aws(
        &server,
        "Decrypt",
        &json!({ "CiphertextBlob": expected["blobs"][0]["blob"] }),
    );
    assert_eq!(status, 200, "{opened}");
    let (status, d) = aws(
        &server,
        "DescribeKey",
        &json!({ "KeyId": "alias/disabled" }),
    );
    assert_eq!(
        (status, &d["KeyMetadata"]["KeyState"]),
        (200, &json!("Disabled")),
        "{d}"
    );
    // The emulated clock the old store kept is still ahead of real time.
    let clock = get(server.addr("aws"), "/_kmsgate/clock").json();
    assert!(
        clock["offset_seconds"].as_f64().unwrap() >= 3600.0,
        "{clock}"
    );
    let log = stop(server);
    assert!(log.contains("store upgraded"), "{log}");

    // Upgraded once: the next start has nothing to do.
    let log = stop(start(&data));
    assert!(!log.contains("store upgraded"), "{log}");
}

#[test]
fn a_record_edited_on_disk_is_refused_logged_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = start(&data);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (status, created) = aws(&server, "CreateKey", &json!({}));
        assert_eq!(status, 200, "{created}");
        ids.push(created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned());
    }
    let (_, sealed) = aws(
        &server,
        "Encrypt",
        &json!({ "KeyId": ids[0], "Plaintext": "c2VjcmV0" }),
    );
    assert_eq!(
        aws(&server, "DisableKey", &json!({ "KeyId": ids[0] })).0,
        200
    );
    stop(server);

    // Someone with write access to the file turns the key back on.
    {
        let store = RedbStore::open(&data.join("keys.redb")).unwrap();
        let tenant = TenantId::new(format!("aws/{ACCOUNT}/us-east-1")).unwrap();
        let id = ids[0].parse().unwrap();
        store
            .update(&tenant, &id, &mut |current| {
                let bytes = current.unwrap().to_vec();
                let at = bytes
                    .windows(10)
                    .position(|w| w == b"\"Disabled\"")
                    .unwrap();
                let mut edited = bytes[..at].to_vec();
                edited.extend_from_slice(b"\"Enabled\"");
                edited.extend_from_slice(&bytes[at + 10..]);
                Change::Put(edited)
            })
            .unwrap();
    }

    let server = start(&data);
    let (status, refused) = aws(
        &server,
        "Decrypt",
        &json!({ "CiphertextBlob": sealed["CiphertextBlob"] }),
    );
    assert_eq!(status, 500, "{refused}");
    assert_eq!(refused["__type"], "KMSInternalException");
    let (status, listed) = aws(&server, "ListKeys", &json!({}));
    assert_eq!(status, 200, "{listed}");
    let listed: Vec<&str> = listed["Keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["KeyId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[1].as_str()]);
    let health = get(server.addr("aws"), "/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["unreadable_records"], 1);
    let log = stop(server);
    assert!(
        log.contains(&format!(
            "stored key record aws/{ACCOUNT}/us-east-1/{} refused",
            ids[0]
        )),
        "{log}"
    );
}
