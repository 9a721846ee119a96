//! The recorded SDK requests (tests/data/captures, from ../shared/reference) replayed byte for
//! byte in strict mode: their signatures verify, and each parses to the answer an empty
//! account must give, in Tencent's envelope.

use std::collections::BTreeMap;

use dialect_kit::Dialect;
use dialect_tencent::{Account, Credential, Settings};
use serde_json::Value;

use crate::support::*;

fn captures() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/captures");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn request_of(capture: &Value) -> http::Request<Vec<u8>> {
    let r = &capture["request"];
    let mut builder = http::Request::builder()
        .method(r["method"].as_str().unwrap())
        .uri(r["path"].as_str().unwrap());
    for h in r["headers"].as_array().unwrap() {
        builder = builder.header(h[0].as_str().unwrap(), h[1].as_str().unwrap());
    }
    builder
        .body(r["body_raw"].as_str().unwrap().as_bytes().to_vec())
        .unwrap()
}

/// What an empty account answers each recorded request ("" = success).
fn expected(name: &str, capture: &Value) -> &'static str {
    let body = &capture["request"]["body_raw"];
    match capture["operation"].as_str().unwrap() {
        "CreateKey" | "ListKeyDetail" => "",
        // SM2 wrapping is the SM edition's; this listener is FIPS.
        "GetParametersForImport" if body.as_str().unwrap().contains("SM2PKE") => {
            "InvalidParameterValue"
        }
        // The short captures send ImportToken "t", which is not base64.
        "ImportKeyMaterial" if !name.starts_with("003") => "InvalidParameter",
        // 048 was recorded with an empty region, which the SDK leaves out.
        "DescribeKey" if name.starts_with("048") => "MissingParameter",
        _ => "ResourceUnavailable.CmkNotFound",
    }
}

#[test]
fn every_recorded_request_verifies_and_gets_its_answer() {
    let mut credentials = BTreeMap::new();
    credentials.insert(
        SECRET_ID.to_owned(),
        Credential {
            secret_key: SECRET_KEY.to_owned(),
            account: Some(Account::parse("200000000002").unwrap()),
        },
    );
    let h = harness_with(Settings {
        strict_auth: true,
        credentials,
        ..Settings::default()
    });
    let captures = captures();
    assert_eq!(captures.len(), 48);
    let mut aliases = std::collections::HashSet::new();
    for (name, capture) in &captures {
        let reply = envelope(h.dialect.handle(request_of(capture)));
        // CreateKey captures reuse aliases: only the first use of each gets it.
        let want = match expected(name, capture) {
            "" if capture["operation"] == "CreateKey" => {
                let alias = capture["request"]["body_json"]["Alias"].as_str().unwrap();
                if aliases.insert(alias.to_owned()) {
                    ""
                } else {
                    "InvalidParameterValue.AliasAlreadyExists"
                }
            }
            w => w,
        };
        assert_eq!(reply.code(), want, "{name}: {}", reply.body);
        if capture["operation"] == "CreateKey" && want.is_empty() {
            // Keys of the SecretId's configured account.
            let id = reply.response()["KeyId"].as_str().unwrap();
            assert!(uuid::Uuid::parse_str(id).is_ok());
        }
    }
    // The listing sees the keys created above: EXTERNAL, of account 200000000002.
    let listing = h.dialect.handle(request_of(
        &captures
            .iter()
            .find(|(n, _)| n.starts_with("008"))
            .unwrap()
            .1,
    ));
    let listing = envelope(listing);
    let metas = listing.response()["KeyMetadatas"].as_array().unwrap();
    assert_eq!(listing.response()["TotalCount"], aliases.len());
    let mut listed = std::collections::HashSet::new();
    for meta in metas {
        assert_eq!(meta["CreatorUin"], 200_000_000_002u64);
        assert_eq!(meta["Origin"], "EXTERNAL");
        assert_eq!(meta["KeyState"], "PendingImport");
        listed.insert(meta["Alias"].as_str().unwrap().to_owned());
    }
    assert_eq!(listed, aliases);
}

#[test]
fn recorded_requests_are_refused_once_stale_even_without_strict_auth() {
    let h = harness();
    h.signature_clock
        .advance(std::time::Duration::from_secs(3600));
    for (name, capture) in captures() {
        let reply = envelope(h.dialect.handle(request_of(&capture)));
        assert_eq!(reply.code(), "AuthFailure.SignatureExpire", "{name}");
    }
}

#[test]
fn a_wrong_secret_is_refused_in_strict_mode_only() {
    let mut credentials = BTreeMap::new();
    credentials.insert(
        SECRET_ID.to_owned(),
        Credential {
            secret_key: "not-the-secret".to_owned(),
            account: Some(Account::DEFAULT),
        },
    );
    let strict = harness_with(Settings {
        strict_auth: true,
        credentials: credentials.clone(),
        ..Settings::default()
    });
    let lenient = harness_with(Settings {
        credentials,
        ..Settings::default()
    });
    let (_, c) = captures()
        .into_iter()
        .find(|(n, _)| n.starts_with("004"))
        .unwrap();
    assert_eq!(
        envelope(strict.dialect.handle(request_of(&c))).code(),
        "AuthFailure.SignatureFailure"
    );
    assert_eq!(
        envelope(lenient.dialect.handle(request_of(&c))).code(),
        "ResourceUnavailable.CmkNotFound"
    );
    let (_, legacy) = captures()
        .into_iter()
        .find(|(n, _)| n.starts_with("047"))
        .unwrap();
    assert_eq!(
        envelope(strict.dialect.handle(request_of(&legacy))).code(),
        "AuthFailure.SignatureFailure"
    );
}
