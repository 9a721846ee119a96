//! Configuration a process cannot use: a message on stderr and exit code 2, never a panic.

use std::io::Write;

use crate::support::{Finished, Launch};
use crate::{AWS, KMSGATE};

fn assert_refused(run: &Finished, mentions: &str) {
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains(mentions), "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    assert!(!run.stdout.contains("listening on"), "{run:?}");
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn an_unknown_key_in_the_config_file_is_refused() {
    let file = config_file("[aws]\nlisten = \"127.0.0.1:0\"\nstrict_auht = true\n");
    let run = Launch::new(AWS)
        .args(["--in-memory", "--config"])
        .args([file.path()])
        .run_to_exit();
    assert_refused(&run, "strict_auht");
    assert!(run.stderr.contains("invalid configuration"), "{run:?}");
}

#[test]
fn a_config_file_that_is_not_toml_is_refused() {
    let file = config_file("listen: 127.0.0.1:8411\n");
    let run = Launch::new(KMSGATE)
        .args(["serve", "--in-memory", "--config"])
        .args([file.path()])
        .run_to_exit();
    assert_refused(&run, "TOML");
}

#[test]
fn a_missing_config_file_is_refused() {
    let run = Launch::new(AWS)
        .args(["--in-memory", "--config", "/nonexistent/kmsgate.toml"])
        .run_to_exit();
    assert_refused(&run, "/nonexistent/kmsgate.toml");
}

#[test]
fn invalid_environment_values_are_refused() {
    let run = Launch::new(AWS)
        .args(["--in-memory"])
        .env("KMSGATE_LIMITS__REQUEST_TIMEOUT_SECS", "soon")
        .run_to_exit();
    assert_refused(&run, "KMSGATE_LIMITS__REQUEST_TIMEOUT_SECS");

    let run = Launch::new(AWS)
        .args(["--in-memory"])
        .env("KMSGATE_AWS__DEFAULT_ACCOUNT", "12345")
        .run_to_exit();
    assert_refused(&run, "aws.default_account");

    // A value that is not UTF-8: refused under the variable's shortened name, since a map's
    // entry name (here a static token) is a credential.
    use std::os::unix::ffi::OsStringExt;
    let run = Launch::new(AWS)
        .args(["--in-memory"])
        .env_os(
            "KMSGATE_HUAWEI__STATIC_TOKENS__MIIsecret",
            std::ffi::OsString::from_vec(vec![0xff, 0xfe]),
        )
        .run_to_exit();
    assert_refused(&run, "not valid UTF-8");
    assert!(!run.stderr.contains("MIIsecret"), "{run:?}");
}

/// A root key setting that cannot give a key is the configuration's fault: exit code 2, and
/// the value never shown.
#[test]
fn an_unusable_root_key_setting_is_refused() {
    let run = Launch::new(AWS)
        .args(["--in-memory"])
        .env("KMSGATE_ROOT_KEY_FILE", "/nonexistent/root.key")
        .run_to_exit();
    assert_refused(&run, "/nonexistent/root.key");
    let run = Launch::new(AWS)
        .args(["--in-memory"])
        .env("KMSGATE_ROOT_KEY", "not-hex-secret")
        .run_to_exit();
    assert_refused(&run, "root_key");
    assert!(!run.stderr.contains("not-hex-secret"), "{run:?}");
}

#[test]
fn a_malformed_listen_flag_is_a_usage_error() {
    let run = Launch::new(AWS)
        .args(["--in-memory", "--listen", "localhost"])
        .run_to_exit();
    assert_refused(&run, "--listen");
}

#[test]
fn a_taken_port_is_a_runtime_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let run = Launch::new(AWS)
        .args(["--in-memory", "--listen", &addr])
        .run_to_exit();
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("cannot listen on"), "{run:?}");
}
