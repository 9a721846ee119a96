//! Several kmsgate-aws processes over one PostgreSQL database (a real cluster the test starts,
//! see `kms_core::testing::postgres`): keys, imports, the emulated clock and durability are
//! the same whichever instance a request reaches, a killed instance loses nothing it
//! acknowledged, and a database restart heals without restarting kmsgate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::testing::postgres::TestPostgres;
use serde_json::{Value, json};

use crate::support::{self, Launch, Running};
use crate::{AWS, KMSGATE};

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";
/// The root key every instance of a test shares.
const ROOT_KEY: &str = "8f3c2a1b9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";
/// A database password, looked for in the logs.
const PASSWORD: &str = "pg-Secret-7f3e1c";

fn instance(url: &str) -> Running {
    Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0"])
        .env("KMSGATE_STORE__KIND", "postgres")
        .env("KMSGATE_STORE__POSTGRES__URL", url)
        .env("KMSGATE_STORE__POSTGRES__CONNECT_TIMEOUT_MS", "1000")
        .env("KMSGATE_ROOT_KEY", ROOT_KEY)
        // One wrapping key pair serves many answers: the tests are about the store.
        .env("KMSGATE_POOL__REUSE_CALLS", "1000")
        .start(1)
}

/// `kmsgate serve`: the three dialects over the database, logging at `debug`.
fn instance_serving_all(url: &str) -> Running {
    Launch::new(KMSGATE)
        .args([
            "serve",
            "--aws-listen",
            "127.0.0.1:0",
            "--tencent-listen",
            "127.0.0.1:0",
        ])
        .args(["--huawei-listen", "127.0.0.1:0", "--log-level", "debug"])
        .env("KMSGATE_STORE__KIND", "postgres")
        .env("KMSGATE_STORE__POSTGRES__URL", url)
        .env("KMSGATE_STORE__POSTGRES__CONNECT_TIMEOUT_MS", "1000")
        .env("KMSGATE_ROOT_KEY", ROOT_KEY)
        .start(3)
}

/// Tencent's ListKeys and Huawei's list-keys (permissive auth): status and body.
fn list_keys_elsewhere(server: &Running) -> [(u16, String); 2] {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let tc3 = format!(
        "TC3-HMAC-SHA256 Credential=AKIDexample/2026-01-01/kms/tc3_request, \
         SignedHeaders=content-type;host, Signature={}",
        "0".repeat(64)
    );
    let tencent = support::request(
        server.addr("tencent"),
        "POST",
        "/",
        &[
            ("Content-Type", "application/json"),
            ("X-TC-Action", "ListKeys"),
            ("X-TC-Version", "2019-01-18"),
            ("X-TC-Region", "ap-guangzhou"),
            ("X-TC-Timestamp", &now),
            ("Authorization", &tc3),
        ],
        b"{}",
    );
    let huawei = support::request(
        server.addr("huawei"),
        "POST",
        "/v1.0/0123456789abcdef0123456789abcdef/kms/list-keys",
        &[
            ("Content-Type", "application/json"),
            ("X-Auth-Token", "any"),
        ],
        b"{}",
    );
    [
        (tencent.status, tencent.text()),
        (huawei.status, huawei.text()),
    ]
}

fn aws(server: &Running, operation: &str, body: &Value) -> (u16, Value) {
    support::aws(server, ACCOUNT, REGION, operation, body)
}

fn create_external(server: &Running) -> String {
    let (status, created) = aws(server, "CreateKey", &json!({ "Origin": "EXTERNAL" }));
    assert_eq!(status, 200, "{created}");
    created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
}

/// Import parameters from `server`, and `material` wrapped for them (RSAES_OAEP_SHA_256).
fn wrapped(server: &Running, key: &str, material: &[u8]) -> (Value, String) {
    let (status, params) = aws(
        server,
        "GetParametersForImport",
        &json!({ "KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                 "WrappingKeySpec": "RSA_2048" }),
    );
    assert_eq!(status, 200, "{params}");
    let public =
        byok_wrap::PublicKey::parse(params["PublicKey"].as_str().unwrap().as_bytes()).unwrap();
    let blob = byok_wrap::wrap(
        &public,
        byok_wrap::Algorithm::RsaesOaepSha256,
        material,
        byok_wrap::Sm2Format::Der,
    )
    .unwrap();
    (params["ImportToken"].clone(), STANDARD.encode(blob))
}

fn import(server: &Running, key: &str, token: &Value, blob: &str, expiry: Value) -> (u16, Value) {
    let mut body = json!({ "KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": blob });
    match expiry {
        Value::Null => body["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
        valid_to => {
            body["ExpirationModel"] = json!("KEY_MATERIAL_EXPIRES");
            body["ValidTo"] = valid_to;
        }
    }
    aws(server, "ImportKeyMaterial", &body)
}

fn key_state(server: &Running, key: &str) -> String {
    let (status, described) = aws(server, "DescribeKey", &json!({ "KeyId": key }));
    assert_eq!(status, 200, "{described}");
    described["KeyMetadata"]["KeyState"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn two_instances_share_keys_imports_and_the_clock() {
    let Some(pg) = TestPostgres::start() else {
        return;
    };
    let url = pg.create_database();
    let (a, b) = (instance(&url), instance(&url));

    // Created on A, described, imported (with A's token) and used on B, decrypted on A.
    let key = create_external(&a);
    assert_eq!(key_state(&b, &key), "PendingImport");
    let (token, blob) = wrapped(&a, &key, &[7; 32]);
    let (status, body) = import(&b, &key, &token, &blob, Value::Null);
    assert_eq!(status, 200, "A's import token imports on B: {body}");
    let (status, sealed) = aws(&b, "Encrypt", &json!({ "KeyId": key, "Plaintext": "aGk=" }));
    assert_eq!(status, 200, "{sealed}");
    let (status, opened) = aws(
        &a,
        "Decrypt",
        &json!({ "CiphertextBlob": sealed["CiphertextBlob"] }),
    );
    assert_eq!((status, opened["Plaintext"].as_str()), (200, Some("aGk=")));

    // 32 imports of different material into one key, half through each instance, at once:
    // exactly one wins, and the key holds its material.
    let contested = create_external(&a);
    let attempts: Vec<(usize, Value, String)> = (0..32u8)
        .map(|i| {
            let via = if i % 2 == 0 { &a } else { &b };
            let (token, blob) = wrapped(via, &contested, &[i + 1; 32]);
            (usize::from(i % 2), token, blob)
        })
        .collect();
    let servers = [&a, &b];
    let contested = contested.as_str();
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = attempts
            .iter()
            .map(|(via, token, blob)| {
                let server = servers[*via];
                s.spawn(move || import(server, contested, token, blob, Value::Null))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status == 200)
        .collect();
    assert_eq!(won.len(), 1, "exactly one import wins: {results:?}");
    for (status, body) in &results {
        assert!(
            *status == 200 || (*status == 400 && body["__type"] == "IncorrectKeyMaterialException"),
            "{status} {body}"
        );
    }
    assert_eq!(key_state(&a, contested), "Enabled");
    assert_eq!(key_state(&b, contested), "Enabled");

    // Material valid for an hour of emulated time; the clock advanced two hours on A has
    // expired it as seen from B at once, without restarting B.
    let expiring = create_external(&b);
    let (token, blob) = wrapped(&b, &expiring, &[9; 32]);
    let now = support::get(b.addr("aws"), "/_kmsgate/clock").json()["now"]
        .as_f64()
        .unwrap();
    let (status, body) = import(&b, &expiring, &token, &blob, json!(now + 3600.0));
    assert_eq!(status, 200, "{body}");
    assert_eq!(key_state(&a, &expiring), "Enabled");
    let moved = support::post(
        a.addr("aws"),
        "/_kmsgate/clock/advance",
        br#"{"seconds": 7200}"#,
    );
    assert_eq!(moved.status, 200, "{}", moved.text());
    // Seeding on B right after A's move, before any request to B, judges the expiry against
    // the shared clock: an hour from B's last reading has passed already.
    let seeded = json!({ "aws": { "keys": [{
        "account": "111122223333", "region": "us-east-1",
        "id": "5e2a4c1d-8f3b-4a6e-9d7c-0b1a2c3d4e5f", "origin": "external",
        "material": format!("hex:{}", "07".repeat(32)), "expires": now as u64 + 3600,
    }] } });
    let refused = support::post(
        b.addr("aws"),
        "/_kmsgate/seed",
        seeded.to_string().as_bytes(),
    );
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(
        refused.text().contains("must be later than now"),
        "{}",
        refused.text()
    );
    assert_eq!(key_state(&b, &expiring), "PendingImport");
    let (status, refused) = aws(
        &b,
        "Encrypt",
        &json!({ "KeyId": expiring, "Plaintext": "aGk=" }),
    );
    assert_eq!(status, 400, "{refused}");
    let offset = support::get(b.addr("aws"), "/_kmsgate/clock").json()["offset_seconds"]
        .as_f64()
        .unwrap();
    assert!(offset >= 7200.0, "B's clock shows A's move: {offset}");

    // An instance with another root key cannot open the records: it refuses to start.
    let wrong = Launch::new(AWS)
        .args(["--listen", "127.0.0.1:0"])
        .env("KMSGATE_STORE__KIND", "postgres")
        .env("KMSGATE_STORE__POSTGRES__URL", &url)
        .env("KMSGATE_ROOT_KEY", &"ab".repeat(32))
        .run_to_exit();
    assert_eq!(wrong.code, Some(1), "{wrong:?}");
    assert!(
        wrong.stderr.contains("root key cannot open"),
        "{}",
        wrong.stderr
    );
}

/// Creates keys through `server` from `threads` threads until `stop`; every id acknowledged
/// (200) goes into `acked`.
fn create_until(
    server: std::net::SocketAddr,
    threads: usize,
    stop: &Arc<AtomicBool>,
    acked: &Arc<Mutex<Vec<String>>>,
    failures: &Arc<Mutex<usize>>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..threads)
        .map(|_| {
            let (stop, acked, failures) =
                (Arc::clone(stop), Arc::clone(acked), Arc::clone(failures));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match try_create(server) {
                        Some(id) => acked.lock().unwrap().push(id),
                        None => {
                            *failures.lock().unwrap() += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            })
        })
        .collect()
}

/// One CreateKey; `None` for anything but a 200 (including a connection refused or cut).
fn try_create(server: std::net::SocketAddr) -> Option<String> {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/{REGION}/kms/aws4_request, \
         SignedHeaders=host, Signature={}",
        "0".repeat(64)
    );
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\nContent-Length: 2\r\n\
         X-Amz-Target: TrentService.CreateKey\r\nAuthorization: {auth}\r\n\r\n{{}}"
    );
    let mut stream = std::net::TcpStream::connect(server).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    std::io::Write::write_all(&mut stream, raw.as_bytes()).ok()?;
    let mut out = String::new();
    std::io::Read::read_to_string(&mut stream, &mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    let json: Value = serde_json::from_str(body).ok()?;
    Some(json["KeyMetadata"]["KeyId"].as_str()?.to_owned())
}

#[test]
fn a_killed_instance_loses_no_acknowledged_create() {
    let Some(pg) = TestPostgres::start() else {
        return;
    };
    let url = pg.create_database();
    let (a, b) = (instance(&url), instance(&url));
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(0));
    let load = create_until(a.addr("aws"), 4, &stop, &acked, &failures);
    let started = Instant::now();
    while acked.lock().unwrap().len() < 40 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    a.signal("KILL");
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for thread in load {
        thread.join().unwrap();
    }
    drop(a);
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40, "load ran: {}", acked.len());
    for id in &acked {
        assert_eq!(
            key_state(&b, id),
            "Enabled",
            "acknowledged {id} seen from B"
        );
    }
    let restarted = instance(&url);
    for id in &acked {
        assert_eq!(
            key_state(&restarted, id),
            "Enabled",
            "acknowledged {id} seen from A"
        );
    }
}

#[test]
fn a_database_restart_fails_requests_while_down_and_heals_without_a_restart() {
    let Some(pg) = TestPostgres::start() else {
        return;
    };
    // The test cluster trusts local connections, so the password is never checked; it is
    // here to be looked for in the logs.
    let url = pg
        .create_database()
        .replacen("://kmsgate@", &format!("://kmsgate:{PASSWORD}@"), 1);
    assert!(url.contains(PASSWORD), "{url}");
    let a = instance_serving_all(&url);
    let [(status, tencent), (_, huawei)] = list_keys_elsewhere(&a);
    assert!(status == 200 && tencent.contains("\"Keys\""), "{tencent}");
    assert!(huawei.contains("\"keys\""), "{huawei}");
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(0));
    let load = create_until(a.addr("aws"), 3, &stop, &acked, &failures);
    let started = Instant::now();
    while acked.lock().unwrap().len() < 20 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    pg.stop();
    // While the database is down: the dialect's internal error, and /health 503.
    let (status, body) = aws(&a, "CreateKey", &json!({}));
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["__type"], "KMSInternalException", "{body}");
    assert_eq!(support::get(a.addr("aws"), "/health").status, 503);
    let [(_, tencent), (status, huawei)] = list_keys_elsewhere(&a);
    assert!(tencent.contains("\"Code\":\"InternalError\""), "{tencent}");
    assert!(
        status == 500 && huawei.contains("KMS.0105"),
        "{status} {huawei}"
    );
    let failed_while_down = *failures.lock().unwrap();
    pg.resume();
    // Back without restarting kmsgate.
    let deadline = Instant::now() + Duration::from_secs(30);
    while support::get(a.addr("aws"), "/health").status != 200 {
        assert!(Instant::now() < deadline, "kmsgate did not recover");
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = acked.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < before + 20 {
        assert!(Instant::now() < deadline, "creates did not resume");
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    for thread in load {
        thread.join().unwrap();
    }
    assert!(failed_while_down > 0, "the load saw the outage");
    for id in acked.lock().unwrap().iter() {
        assert_eq!(key_state(&a, id), "Enabled", "acknowledged {id} kept");
    }
    // Debug logs through start, an outage and recovery: neither the database password nor
    // the root key, in any case.
    let logs = a.stderr();
    assert!(logs.contains(" DEBUG "), "debug lines: {logs}");
    let root = hex::decode(ROOT_KEY).unwrap();
    let lower = logs.to_lowercase();
    for secret in [
        PASSWORD.to_lowercase(),
        ROOT_KEY.to_owned(),
        STANDARD.encode(&root).to_lowercase(),
        format!("{:?}", root.as_slice()),
    ] {
        assert!(!lower.contains(&secret), "{secret} logged");
    }
}
