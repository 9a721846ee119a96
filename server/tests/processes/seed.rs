//! Seed files through the real binaries: keys exist from the first request, survive a
//! restart (seeding again keeps them as their users left them), conflicts stop the start
//! naming the entry and its line, and `POST /_kmsgate/seed` applies a document all or
//! nothing. The example file in the repository starts every dialect.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{self, Launch, Running, request};
use crate::{AWS, KMSGATE, PROMPT_EXIT};

const ACCOUNT: &str = "111122223333";
const IMPORTED: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
const PENDING: &str = "7b6c2f0e-3d2a-4f7e-9a51-2c1b8e0d4a66";
const MATERIAL: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn seed_file(dir: &Path, material: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("payments.key"), hex::decode(material).unwrap()).unwrap();
    let path = dir.join("seed.toml");
    std::fs::write(
        &path,
        format!(
            r#"# two AWS keys
[[aws.keys]]
account = "{ACCOUNT}"
region = "us-east-1"
id = "{IMPORTED}"
aliases = ["alias/payments"]
description = "seeded"
tags = {{ team = "payments" }}
origin = "external"
material = "@payments.key"

[[aws.keys]]
account = "{ACCOUNT}"
region = "us-east-1"
id = "{PENDING}"
origin = "external"
"#
        ),
    )
    .unwrap();
    path
}

fn start(data: &Path, seed: &Path) -> Running {
    Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([data])
        .args(["--seed"])
        .args([seed])
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

fn state(server: &Running, key: &str) -> String {
    let (status, d) = aws(server, "DescribeKey", &json!({ "KeyId": key }));
    assert_eq!(status, 200, "{d}");
    d["KeyMetadata"]["KeyState"].as_str().unwrap().to_owned()
}

#[test]
fn seeded_keys_serve_at_once_and_survive_restarts_as_their_users_left_them() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = seed_file(tmp.path(), MATERIAL);
    let data = tmp.path().join("data");

    let server = start(&data, &seed);
    let (status, d) = aws(
        &server,
        "DescribeKey",
        &json!({ "KeyId": "alias/payments" }),
    );
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["KeyMetadata"]["KeyId"], IMPORTED);
    assert_eq!(d["KeyMetadata"]["Origin"], "EXTERNAL");
    assert_eq!(d["KeyMetadata"]["Description"], "seeded");
    assert_eq!(
        d["KeyMetadata"]["ExpirationModel"],
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    );
    assert_eq!(state(&server, PENDING), "PendingImport");
    let (status, sealed) = aws(
        &server,
        "Encrypt",
        &json!({ "KeyId": IMPORTED, "Plaintext": "c2VlZGVk" }),
    );
    assert_eq!(status, 200, "{sealed}");
    let (status, _) = aws(&server, "DisableKey", &json!({ "KeyId": IMPORTED }));
    assert_eq!(status, 200);
    let log = stop(server);
    assert!(log.contains("created=2"), "{log}");

    let server = start(&data, &seed);
    // Kept as the API left it: still disabled, and the old ciphertext still opens.
    assert_eq!(state(&server, IMPORTED), "Disabled");
    assert_eq!(
        aws(&server, "EnableKey", &json!({ "KeyId": IMPORTED })).0,
        200
    );
    let (status, opened) = aws(
        &server,
        "Decrypt",
        &json!({ "CiphertextBlob": sealed["CiphertextBlob"] }),
    );
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["Plaintext"], "c2VlZGVk");
    let log = stop(server);
    assert!(log.contains("kept=2"), "{log}");
}

#[test]
fn a_conflicting_entry_stops_the_start_naming_it_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = seed_file(tmp.path(), MATERIAL);
    let data = tmp.path().join("data");
    stop(start(&data, &seed));

    // The same key id with other material.
    seed_file(tmp.path(), &"ff".repeat(32));
    let finished = Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .args([&data])
        .args(["--seed"])
        .args([&seed])
        .run_to_exit();
    assert_eq!(finished.code, Some(2), "{}", finished.stderr);
    assert!(
        finished.stderr.contains("aws.keys[0] (line 2)")
            && finished.stderr.contains(IMPORTED)
            && finished.stderr.contains("material"),
        "{}",
        finished.stderr
    );

    // Nothing changed: the original declaration still finds its keys as they were.
    seed_file(tmp.path(), MATERIAL);
    let server = start(&data, &seed);
    assert_eq!(state(&server, IMPORTED), "Enabled");
    assert!(stop(server).contains("kept=2"));
}

fn seed_over_http(server: &Running, document: &Value) -> (u16, Value) {
    let r = request(
        server.addr("aws"),
        "POST",
        "/_kmsgate/seed",
        &[],
        document.to_string().as_bytes(),
    );
    (r.status, r.json())
}

#[test]
fn the_seed_endpoint_applies_a_json_document_all_or_nothing() {
    let server = Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0", "--in-memory"])
        .start(1);
    let entry = |id: &str, alias: &str, material: &str| {
        json!({
            "account": ACCOUNT, "region": "us-east-1", "id": id,
            "aliases": [alias], "origin": "external", "material": material,
        })
    };
    let first =
        json!({ "aws": { "keys": [entry(IMPORTED, "alias/a", &format!("hex:{MATERIAL}"))] } });
    let (status, body) = seed_over_http(&server, &first);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["keys"][0]["outcome"], "created");
    assert_eq!(body["keys"][0]["entry"], "aws.keys[0]");
    let (status, body) = seed_over_http(&server, &first);
    assert_eq!((status, &body["keys"][0]["outcome"]), (200, &json!("kept")));

    // A new key beside a conflicting one: refused as a whole, the new key is not created.
    let mixed = json!({ "aws": { "keys": [
        entry(PENDING, "alias/b", &format!("hex:{MATERIAL}")),
        entry(IMPORTED, "alias/a", &format!("hex:{}", "ff".repeat(32))),
    ] } });
    let (status, body) = seed_over_http(&server, &mixed);
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("aws.keys[1]"), "{body}");
    assert_eq!(
        aws(&server, "DescribeKey", &json!({ "KeyId": PENDING })).0,
        400
    );

    // A document of the wrong shape is refused without echoing its values (key material
    // pasted into the wrong field would otherwise come back in the message).
    let shape = json!({ "aws": { "keys": [{
        "account": ACCOUNT, "region": "us-east-1", "id": PENDING,
        "origin": "external", "expires": MATERIAL,
    }] } });
    let (status, body) = seed_over_http(&server, &shape);
    assert_eq!(status, 400, "{body}");
    assert!(!body.to_string().contains(&MATERIAL[..16]), "{body}");

    // Files on the server are not for documents sent over HTTP.
    let file = json!({ "aws": { "keys": [entry(PENDING, "alias/b", "@/etc/hostname")] } });
    let (status, body) = seed_over_http(&server, &file);
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("hex: or base64:"), "{body}");
    let (status, _) = seed_over_http(&server, &json!({ "gcp": {} }));
    assert_eq!(status, 400);
    stop(server);
}

#[test]
fn the_example_seed_file_starts_every_dialect() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/seed.toml");
    let server = Launch::new(KMSGATE)
        .args(["serve", "--in-memory", "--seed"])
        .args([&example])
        .args([
            "--aws-listen",
            "127.0.0.1:0",
            "--tencent-listen",
            "127.0.0.1:0",
            "--huawei-listen",
            "127.0.0.1:0",
        ])
        .start(3);
    let (status, d) = aws(
        &server,
        "DescribeKey",
        &json!({ "KeyId": "alias/payments" }),
    );
    assert_eq!(status, 200, "{d}");
    // The HMAC key, with its declared material.
    let (status, d) = aws(
        &server,
        "DescribeKey",
        &json!({ "KeyId": "alias/webhook-mac" }),
    );
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (&d["KeyMetadata"]["KeySpec"], &d["KeyMetadata"]["KeyUsage"]),
        (&json!("HMAC_256"), &json!("GENERATE_VERIFY_MAC"))
    );
    let log = stop(server);
    assert!(log.contains("created=6"), "{log}");
}
