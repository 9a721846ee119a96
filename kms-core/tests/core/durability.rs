//! The embedded durable store: restarts, `kill -9`, and nothing secret at rest.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use kms_core::wrapping::{WrappingKeyPair, WrappingKeySpec};
use kms_core::*;

use crate::support::*;

fn open(dir: &Path) -> Fixture {
    let data = DataDir::open(dir, None).unwrap();
    fixture_over(data.store, &data.root_key)
}

#[test]
fn keys_material_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let m = material(3, 32);
    let (key, blob, pending, token) = {
        let f = open(dir.path());
        let key = f.external(KeySpec::Aes256);
        f.import_plain(&key, &m, f.later(86_400)).unwrap();
        let blob = f.encrypt(&key, b"durable").unwrap();
        let pending = f.external(KeySpec::Aes256);
        let token = f.oaep_params(&pending);
        (key, blob, pending, token)
    };
    let f = open(dir.path());
    let d = f.describe(&key);
    assert_eq!(d.state, KeyStateKind::Enabled);
    assert_eq!(d.material_expiry, Some(f.later(86_400)));
    assert_eq!(f.decrypt(&blob).unwrap(), b"durable");
    // A token issued before the restart still works after it.
    f.import(
        &pending,
        &token,
        oaep_sha256(&token.public_key_der, &m),
        Expiry::Never,
    )
    .unwrap();
    // And the fingerprint survived: other material is still refused.
    assert!(matches!(
        f.import_plain(&key, &material(4, 32), Expiry::Never),
        Err(KmsError::MaterialMismatch { .. })
    ));
}

#[test]
fn a_store_opened_with_another_root_key_reports_corruption_not_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let f = open(dir.path());
        let key = f.external(KeySpec::Sm4);
        f.import_plain(&key, &material(1, 16), Expiry::Never)
            .unwrap();
        key
    };
    let data = DataDir::open(dir.path(), Some(RootKey::from_bytes([0xEE; 32]))).unwrap();
    let f = fixture_over(data.store, &data.root_key);
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &key),
        Err(KmsError::Internal(InternalError::CorruptRecord(_)))
    ));
}

#[test]
fn no_material_or_wrapping_key_bytes_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let sm2 = &sm2_vectors()["vectors"][0];
    let sm2_material = hex(&sm2["plaintext_hex"]);
    let rsa_material = material(0x5A, 32);
    {
        let f = open(dir.path());
        let a = f.external(KeySpec::Sm4);
        let p = f.params(&a, WrappingAlgorithm::Sm2Pke, WrappingKeySpec::Sm2);
        f.import(&a, &p, hex(&sm2["der_c1c3c2_hex"]), f.later(10))
            .unwrap();
        let b = f.external(KeySpec::Aes256);
        f.import_plain(&b, &rsa_material, Expiry::Never).unwrap();
        f.encrypt(&b, b"x").unwrap();
        f.kms.disable_key(&f.tenant, &b).unwrap();
        f.clock.advance(std::time::Duration::from_secs(11));
        f.kms.sweep().unwrap();
    }
    // Bytes of the private exponent (not the modulus, which is public anyway).
    let rsa_private = {
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PrivateKeyParts;
        let der = hex(&rsa_vectors()["rsa_keys"]["RSA_2048"]);
        let key = rsa::RsaPrivateKey::from_pkcs8_der(&der).unwrap();
        key.d().to_bytes_be()
    };
    let sm2_private = hex(&sm2_vectors()["sm2_private_pkcs8_der_hex"]);
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        for (what, needle) in [
            ("SM4 material", &sm2_material[..]),
            ("AES material", &rsa_material[..]),
            ("RSA private exponent", &rsa_private[..64]),
            ("SM2 private scalar", &sm2_private[36..68]),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{what} found in {}",
                path.display()
            );
        }
    }
    assert_eq!(files, 2, "root.key and keys.redb");
}

#[test]
fn a_lost_root_key_is_reported_not_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    {
        let f = open(dir.path());
        f.external(KeySpec::Aes256);
    }
    std::fs::remove_file(dir.path().join(ROOT_KEY_FILE)).unwrap();
    let err = DataDir::open(dir.path(), None).unwrap_err();
    assert!(err.to_string().contains("root.key is missing"), "{err}");
    assert!(!dir.path().join(ROOT_KEY_FILE).exists());
}

#[test]
fn a_data_directory_in_use_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let holder = DataDir::open(dir.path(), None).unwrap();
    let err = DataDir::open(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, DataDirError::InUse { path } if path == dir.path()),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("in use: another kmsgate process holds its keys.redb"),
        "{message}"
    );
    drop(holder);
    DataDir::open(dir.path(), None).unwrap();
}

const CHILD_ENV: &str = "KMSGATE_TEST_CHILD_DATA_DIR";

/// Not a test on its own: the writer process of `kill_9_loses_no_acknowledged_write`.
#[test]
#[ignore = "spawned by kill_9_loses_no_acknowledged_write"]
fn child_writes_until_killed() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let f = open(Path::new(&dir));
    // Concurrent writers, so acknowledged writes share group commits when the kill lands.
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..100_000 {
                    let key = f.external(KeySpec::Aes256);
                    println!("acked {key}");
                }
            });
        }
    });
}

#[test]
fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "durability::child_writes_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("acked ") {
            acked.push(id.parse::<KeyId>().unwrap());
            if acked.len() == 200 {
                break;
            }
        }
    }
    // While the writer lives, its data directory is refused to every other process.
    let held = DataDir::open(dir.path(), None).unwrap_err();
    assert!(matches!(held, DataDirError::InUse { .. }), "{held}");
    child.kill().unwrap(); // SIGKILL on Unix: no destructors, no flush.
    child.wait().unwrap();
    assert_eq!(acked.len(), 200, "the writer stopped early");
    let f = open(dir.path());
    for id in &acked {
        assert_eq!(f.state(id), KeyStateKind::PendingImport, "{id} lost");
    }
    let all = f.kms.store().all_keys().unwrap();
    assert!(all.len() >= acked.len());
}

#[test]
fn saved_wrapping_key_pairs_come_back_once_and_only_under_their_root_key() {
    let dir = tempfile::tempdir().unwrap();
    let pairs: Vec<WrappingKeyPair> = [WrappingKeySpec::Sm2, WrappingKeySpec::Rsa2048]
        .into_iter()
        .map(vector_key_pair)
        .collect();
    let publics: Vec<Vec<u8>> = pairs.iter().map(|p| p.public_key_der().unwrap()).collect();
    {
        let f = open(dir.path());
        f.kms.save_key_pairs(&pairs).unwrap();
    }
    let f = open(dir.path());
    let back: Vec<Vec<u8>> = f
        .kms
        .take_saved_key_pairs()
        .unwrap()
        .iter()
        .map(|p| p.public_key_der().unwrap())
        .collect();
    assert_eq!(back, publics);
    assert!(
        f.kms.take_saved_key_pairs().unwrap().is_empty(),
        "taken once"
    );
    f.kms.save_key_pairs(&pairs).unwrap();
    let store = f.kms.store().clone();
    let other = fixture_over(store, &RootKey::from_bytes([0xEE; 32]));
    assert!(other.kms.take_saved_key_pairs().unwrap().is_empty());
}
