//! `kmsgate wrap`: its output imports into kmsgate-aws, for RSA and for SM2 (China region),
//! and misuse is a clear error.

use serde_json::{Value, json};

use crate::support::{self, Launch, Running};
use crate::{AWS, KMSGATE, PROMPT_EXIT};

fn aws(server: &Running, region: &str, operation: &str, body: &Value) -> (u16, Value) {
    support::aws(server, "111122223333", region, operation, body)
}

fn wrap(args: &[&str]) -> crate::support::Finished {
    Launch::new(KMSGATE).args(["wrap"]).args(args).run_to_exit()
}

#[test]
fn wrapped_material_imports_and_can_be_imported_again() {
    let server = Launch::new(AWS)
        .args(["--in-memory", "--listen", "127.0.0.1:0"])
        .start(1);
    let dir = tempfile::tempdir().unwrap();
    for (region, algorithm, spec) in [
        ("us-east-1", "RSAES_OAEP_SHA_256", "RSA_2048"),
        ("us-east-1", "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048"),
        ("cn-north-1", "SM2PKE", "SM2"),
    ] {
        let (status, created) = aws(
            &server,
            region,
            "CreateKey",
            &json!({ "Origin": "EXTERNAL" }),
        );
        assert_eq!(status, 200, "{created}");
        let key = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        let params =
            json!({ "KeyId": key, "WrappingAlgorithm": algorithm, "WrappingKeySpec": spec });
        let import = |material: &str, material_out: Option<&std::path::Path>| {
            let (status, p) = aws(&server, region, "GetParametersForImport", &params);
            assert_eq!(status, 200, "{p}");
            let public_key = p["PublicKey"].as_str().unwrap();
            let key_file = dir.path().join("public.b64");
            std::fs::write(&key_file, public_key).unwrap();
            let key_arg = format!("@{}", key_file.display());
            let mut args = vec![
                "--algorithm",
                algorithm,
                "--public-key",
                &key_arg,
                "--material",
                material,
            ];
            let out_arg;
            if let Some(out) = material_out {
                out_arg = out.display().to_string();
                args.extend(["--material-out", &out_arg]);
            }
            let wrapped = wrap(&args);
            assert_eq!(wrapped.code, Some(0), "{wrapped:?}");
            aws(
                &server,
                region,
                "ImportKeyMaterial",
                &json!({
                    "KeyId": key,
                    "ImportToken": p["ImportToken"],
                    "EncryptedKeyMaterial": wrapped.stdout.trim(),
                    "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
                }),
            )
        };
        let saved = dir.path().join(format!("{algorithm}.bin"));
        let len = if spec == "SM2" { 16 } else { 32 };
        let (status, body) = import(&format!("random:{len}"), Some(&saved));
        assert_eq!(status, 200, "{algorithm}: {body}");
        assert_eq!(std::fs::read(&saved).unwrap().len(), len);
        // Plaintext key material: readable by its owner only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&saved).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{algorithm}: {mode:o}");
        }
        // The saved material is the key's: importing it again is accepted, other material not.
        let again = format!("@{}", saved.display());
        assert_eq!(import(&again, None).0, 200, "{algorithm}");
        let other = format!("hex:{}", "ab".repeat(len));
        let (status, refused) = import(&other, None);
        assert_eq!(status, 400, "{algorithm}: {refused}");
    }
    server.signal("TERM");
    let mut server = server;
    assert_eq!(server.wait_exit(PROMPT_EXIT).code(), Some(0));
}

#[test]
fn misuse_is_a_clear_error() {
    // The SM2 public key of byok-wrap's OpenSSL vectors.
    let sm2_key = "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE9wFlIjQR0a1lf4BF47n3VbKhOSS8eOi3utfa6urF0MqAXLqs4zOsE8Qu0f4kMPnm/vhSDU3tkH549t4PxX1G4Q==";
    let wrong_kind = wrap(&[
        "--algorithm",
        "RSAES_OAEP_SHA_256",
        "--public-key",
        sm2_key,
        "--material",
        "hex:00112233445566778899aabbccddeeff",
    ]);
    assert_eq!(wrong_kind.code, Some(1), "{wrong_kind:?}");
    assert!(
        wrong_kind.stderr.contains("needs an RSA public key"),
        "{wrong_kind:?}"
    );
    let not_a_key = wrap(&[
        "--algorithm",
        "SM2PKE",
        "--public-key",
        "hello",
        "--material",
        "hex:00",
    ]);
    assert_eq!(not_a_key.code, Some(1));
    assert!(not_a_key.stderr.contains("--public-key"), "{not_a_key:?}");
    let lost = wrap(&[
        "--algorithm",
        "SM2PKE",
        "--public-key",
        sm2_key,
        "--material",
        "random:16",
    ]);
    assert_eq!(lost.code, Some(1));
    assert!(lost.stderr.contains("--material-out"), "{lost:?}");
    // --material-out never overwrites a file (it may hold material imported before), and is
    // for random:N material only.
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("material.bin");
    std::fs::write(&existing, b"earlier material").unwrap();
    let existing_arg = existing.display().to_string();
    for material in ["random:16", "hex:00112233445566778899aabbccddeeff"] {
        let refused = wrap(&[
            "--algorithm",
            "SM2PKE",
            "--public-key",
            sm2_key,
            "--material",
            material,
            "--material-out",
            &existing_arg,
        ]);
        assert_eq!(refused.code, Some(1), "{material}: {refused:?}");
        assert!(refused.stdout.is_empty(), "{refused:?}");
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"earlier material");
    // --out never replaces the material's own file with its wrapped form: the plaintext
    // would be gone, and with it any way to import the material again.
    let at_existing = format!("@{existing_arg}");
    let same = dir.path().join("same.bin");
    let same_arg = same.display().to_string();
    let dotted = format!("{}/../{}/same.bin", dir.path().display(), {
        dir.path().file_name().unwrap().to_string_lossy()
    });
    for (material, material_out, out) in [
        (at_existing.as_str(), None, existing_arg.as_str()),
        ("random:16", Some(same_arg.as_str()), same_arg.as_str()),
        ("random:16", Some(same_arg.as_str()), dotted.as_str()),
    ] {
        let mut args = vec![
            "--algorithm",
            "SM2PKE",
            "--public-key",
            sm2_key,
            "--material",
            material,
            "--out",
            out,
        ];
        if let Some(m) = material_out {
            args.extend(["--material-out", m]);
        }
        let refused = wrap(&args);
        assert_eq!(refused.code, Some(1), "{args:?}: {refused:?}");
        assert!(
            refused
                .stderr
                .contains("kmsgate wrap: --out names the material"),
            "{refused:?}"
        );
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"earlier material");
    // The path spelled another way is recognised once the material is kept: the file holds
    // the plaintext (16 bytes), never its wrapped form.
    assert_eq!(std::fs::read(&same).unwrap().len(), 16);
    // A faulty hex value is described, never echoed back.
    let typo = wrap(&[
        "--algorithm",
        "SM2PKE",
        "--public-key",
        sm2_key,
        "--material",
        "hex:00112233445566778899aabbccddeeqq",
    ]);
    assert_eq!(typo.code, Some(1), "{typo:?}");
    assert!(!typo.stderr.contains('q'), "{typo:?}");
    assert!(typo.stderr.contains("position 30"), "{typo:?}");
    assert!(!typo.stderr.contains("--material: --material"), "{typo:?}");
    // A wrap that fails (an SM2 key for an RSA algorithm) keeps no material: nothing is
    // left behind to refuse the corrected command.
    let fresh = dir.path().join("fresh.bin");
    let fresh_arg = fresh.display().to_string();
    let misfit = wrap(&[
        "--algorithm",
        "RSAES_OAEP_SHA_256",
        "--public-key",
        sm2_key,
        "--material",
        "random:32",
        "--material-out",
        &fresh_arg,
    ]);
    assert_eq!(misfit.code, Some(1), "{misfit:?}");
    assert!(!fresh.exists(), "material kept for a failed wrap");
    let unknown = wrap(&[
        "--algorithm",
        "RSA_OAEP",
        "--public-key",
        sm2_key,
        "--material",
        "hex:00",
    ]);
    assert_eq!(unknown.code, Some(2), "a usage error: {unknown:?}");
    // A PEM given as the value itself (as `--public-key "$(cat key.pem)"` passes it) is a
    // key, not a flag.
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
        &sm2_key[..64],
        &sm2_key[64..]
    );
    let from_pem = wrap(&[
        "--algorithm",
        "SM2PKE",
        "--public-key",
        &pem,
        "--material",
        "hex:00112233445566778899aabbccddeeff",
    ]);
    assert_eq!(from_pem.code, Some(0), "{from_pem:?}");
    assert!(!from_pem.stdout.trim().is_empty());
    // Odd lengths are wrapped (users test refusals too), with a warning.
    let odd = wrap(&[
        "--algorithm",
        "SM2_ENCRYPT",
        "--public-key",
        sm2_key,
        "--material",
        "hex:0011",
    ]);
    assert_eq!(odd.code, Some(0), "{odd:?}");
    assert!(odd.stderr.contains("warning: 2 bytes"), "{odd:?}");
    assert!(!odd.stdout.trim().is_empty());
}
