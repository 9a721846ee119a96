//! TC3-HMAC-SHA256 against the worked vector of the reference, and tampered variants.

use dialect_tencent::tc3::{self, AuthError, SignedParts};
use serde_json::Value;

fn vector() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/tencent_signing_vector.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn capture(name: &str) -> Value {
    let path = format!("{}/tests/data/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Signed {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Signed {
    fn of(capture: &Value) -> Signed {
        let r = &capture["request"];
        Signed {
            headers: r["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().unwrap().to_owned(),
                        h[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            body: r["body_raw"].as_str().unwrap().as_bytes().to_vec(),
        }
    }

    fn header(&self, name: &str) -> &str {
        &self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap()
            .1
    }

    fn check(&self, secret: &str) -> Result<(), AuthError> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let auth = tc3::parse_authorization(self.header("Authorization"))?;
        let parts = SignedParts {
            method: "POST",
            query: "",
            headers: &headers,
            body: &self.body,
            timestamp: self.header("X-TC-Timestamp"),
        };
        tc3::verify(&parts, &auth, secret)
    }
}

#[test]
fn the_reference_vector_is_reproduced_step_by_step() {
    let v = vector();
    let c = capture("004_tencent_DescribeKey_full.json");
    let signed = Signed::of(&c);
    assert_eq!(signed.body, v["body"].as_str().unwrap().as_bytes());
    let headers: Vec<(&str, &str)> = signed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let auth = tc3::parse_authorization(signed.header("Authorization")).unwrap();
    let parts = SignedParts {
        method: "POST",
        query: "",
        headers: &headers,
        body: &signed.body,
        timestamp: signed.header("X-TC-Timestamp"),
    };
    assert_eq!(
        tc3::canonical_request(&parts, &auth),
        v["canonical_request"]
    );
    assert_eq!(tc3::string_to_sign(&parts, &auth), v["string_to_sign"]);
    let secret = v["secret_key"].as_str().unwrap();
    assert_eq!(
        hex::encode(tc3::signature(&parts, &auth, secret)),
        v["expected_signature"]
    );
    assert_eq!(hex::encode(auth.signature), v["expected_signature"]);
    assert_eq!(signed.check(secret), Ok(()));
}

#[test]
fn tampering_with_any_signed_part_breaks_the_signature() {
    let secret = vector()["secret_key"].as_str().unwrap().to_owned();
    let original = Signed::of(&capture("004_tencent_DescribeKey_full.json"));
    assert_eq!(original.check(&secret), Ok(()));
    let tamper = |f: &dyn Fn(&mut Signed)| {
        let mut s = Signed::of(&capture("004_tencent_DescribeKey_full.json"));
        f(&mut s);
        s.check(&secret)
    };
    let set = |s: &mut Signed, name: &str, value: &str| {
        for h in &mut s.headers {
            if h.0.eq_ignore_ascii_case(name) {
                h.1 = value.to_owned();
            }
        }
    };
    let mismatch = Err(AuthError::SignatureMismatch);
    assert_eq!(tamper(&|s| s.body.push(b' ')), mismatch);
    assert_eq!(tamper(&|s| s.body[10] ^= 1), mismatch);
    assert_eq!(tamper(&|s| set(s, "Host", "127.0.0.1:1")), mismatch);
    assert_eq!(
        tamper(&|s| set(s, "Content-Type", "application/json; charset=utf-8")),
        mismatch
    );
    assert_eq!(
        tamper(&|s| set(s, "X-TC-Timestamp", "1795339955")),
        mismatch
    );
    // A timestamp of another day than the credential scope's.
    assert_eq!(
        tamper(&|s| set(s, "X-TC-Timestamp", "1795426354")),
        mismatch
    );
    let auth = original.header("Authorization").to_owned();
    let flipped = format!("{}0", &auth[..auth.len() - 1]);
    let flipped = if flipped == auth {
        format!("{}1", &auth[..auth.len() - 1])
    } else {
        flipped
    };
    assert_eq!(tamper(&|s| set(s, "Authorization", &flipped)), mismatch);
    assert_eq!(
        tamper(&|s| set(
            s,
            "Authorization",
            &auth.replace("2026-11-22", "2026-11-21")
        )),
        mismatch
    );
    assert_eq!(original.check("wrong-secret"), mismatch);
    // Headers the SDK does not sign may change freely.
    assert_eq!(tamper(&|s| set(s, "X-TC-TraceId", "x")), Ok(()));
}

#[test]
fn every_recorded_tc3_request_verifies() {
    let secret = vector()["secret_key"].as_str().unwrap().to_owned();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/captures");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with('_') || name.starts_with("046") || name.starts_with("047") {
            continue; // findings; GET and legacy are replayed through the dialect
        }
        let signed = Signed::of(&capture(&name));
        assert_eq!(signed.check(&secret), Ok(()), "{name}");
        n += 1;
    }
    assert!(n >= 45, "{n}");
}
