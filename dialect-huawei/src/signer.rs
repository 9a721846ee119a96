//! SDK-HMAC-SHA256, the AK/SK signature huaweicloudsdkcore puts on every request: parsing the
//! `Authorization` header and recomputing the signature exactly as the SDK's `Signer` does
//! (canonical path with a trailing slash that is not on the wire, headers named by the
//! client's own SignedHeaders list, HMAC-SHA256 keyed by the secret key itself, no scope).
//! Which secret belongs to an AK, and how far the date may be from the real clock, are the
//! caller's policy.

use dialect_kit::authorization::{self as syntax, SyntaxError};
use dialect_kit::calendar;
use dialect_kit::percent::{decode_lenient, quote};
use dialect_kit::signing::{constant_time_eq, header, hmac_sha256, sha256_hex};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// SHA-256 of nothing: what the SDK signs for a request without a body.
pub const EMPTY_PAYLOAD_HASH: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The header in which the SDK declares the payload hash it signed (it sends
/// `UNSIGNED-PAYLOAD` there for non-JSON uploads).
pub const CONTENT_SHA256: &str = "x-sdk-content-sha256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Huawei's gateway refuses requests dated more than 15 minutes from its (real) clock.
pub const MAX_SKEW_SECS: u64 = 15 * 60;

/// The parts of `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// Lower-case header names, in the order the client signed them.
    pub signed_headers: Vec<String>,
    pub signature: [u8; 32],
}

/// Why a signature was not acceptable. The texts follow the API gateway's
/// "Incorrect IAM authentication information: ..." messages.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("malformed Authorization header: {0}")]
    Malformed(&'static str),
    #[error("verify aksk signature fail")]
    SignatureMismatch,
    #[error("verify aksk signature fail: X-Sdk-Date is more than 15 minutes from the server time")]
    Expired,
    #[error("verify aksk signature fail: X-Sdk-Content-Sha256 is not the SHA-256 of the body")]
    PayloadHashMismatch,
    #[error(
        "verify aksk signature fail: X-Sdk-Content-Sha256 UNSIGNED-PAYLOAD is not accepted for KMS calls; sign the JSON body"
    )]
    UnsignedPayload,
}

fn syntax_error(e: SyntaxError) -> SignatureError {
    SignatureError::Malformed(match e {
        SyntaxError::Scheme => "only SDK-HMAC-SHA256 is supported",
        SyntaxError::NotNameValue => "expected name=value pairs",
        SyntaxError::UnknownComponent => "unknown component",
        SyntaxError::Repeated => "a component appears twice",
        SyntaxError::Missing("Access") => "missing Access",
        SyntaxError::Missing("SignedHeaders") => "missing SignedHeaders",
        SyntaxError::Missing(_) => "missing Signature",
    })
}

pub fn parse_authorization(header: &str) -> Result<Authorization, SignatureError> {
    let [access, signed, signature] =
        syntax::components(header, ALGORITHM, ["Access", "SignedHeaders", "Signature"])
            .map_err(syntax_error)?;
    if access.is_empty() {
        return Err(SignatureError::Malformed("missing Access"));
    }
    let signed_headers = syntax::signed_headers(signed).ok_or(SignatureError::Malformed(
        "SignedHeaders must be lower-case names",
    ))?;
    let signature = syntax::signature(signature)
        .ok_or(SignatureError::Malformed("Signature must be 64 hex digits"))?;
    Ok(Authorization {
        access_key: access.to_owned(),
        signed_headers,
        signature,
    })
}

/// What of a request the signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SignedParts<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded, without the trailing slash the signature adds).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// Header names in any case, values as sent.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The SDK's canonical URI: decode, split on `/`, re-encode each segment, and end with `/`.
pub fn canonical_uri(path: &str) -> String {
    let decoded = decode_lenient(path);
    let mut uri = decoded
        .split(|b| *b == b'/')
        .map(quote)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Query pairs sorted by name then value, each side re-encoded.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_lenient(k), decode_lenient(v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn canonical_request(
    parts: &SignedParts<'_>,
    signed_headers: &[String],
) -> Result<String, SignatureError> {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let value = header(parts.headers, name).ok_or(SignatureError::Malformed(
            "a header named in SignedHeaders is missing",
        ))?;
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let payload_hash = payload_hash(parts, signed_headers)?;
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        parts.method.to_ascii_uppercase(),
        canonical_uri(parts.path),
        canonical_query(parts.query),
        canonical_headers,
        signed_headers.join(";"),
        payload_hash
    ))
}

/// The payload hash the canonical request ends with, bound to the body.
///
/// The SDK signs `X-Sdk-Content-Sha256` in place of the body's hash when it sends one. That
/// header is believed only when the signature covers it (an unsigned one is anybody's, and
/// would let a signed request be resent with any body), and then only if it is the body's
/// SHA-256. `UNSIGNED-PAYLOAD` is refused even when signed: huaweicloudsdkcore declares it
/// only for non-JSON uploads, which no KMS call is, and a KMS request whose body is not signed
/// could be resent with any body (other key material, another alias) while its date is valid.
/// A request without a body signs the empty hash whatever the header says, as the SDK does.
pub fn payload_hash(
    parts: &SignedParts<'_>,
    signed_headers: &[String],
) -> Result<String, SignatureError> {
    if parts.body.is_empty() {
        return Ok(EMPTY_PAYLOAD_HASH.to_owned());
    }
    let actual = sha256_hex(parts.body);
    let declared = signed_headers
        .iter()
        .any(|h| h == CONTENT_SHA256)
        .then(|| header(parts.headers, CONTENT_SHA256))
        .flatten()
        .map(str::trim);
    match declared {
        None => Ok(actual),
        Some(UNSIGNED_PAYLOAD) => Err(SignatureError::UnsignedPayload),
        // Signed as sent (the SDK signs the header's text), so a client's upper-case hex
        // still verifies.
        Some(hash) if hash.eq_ignore_ascii_case(&actual) => Ok(hash.to_owned()),
        Some(_) => Err(SignatureError::PayloadHashMismatch),
    }
}

pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Recomputes the signature with `secret` and compares in constant time.
pub fn verify(
    parts: &SignedParts<'_>,
    sdk_date: &str,
    auth: &Authorization,
    secret: &str,
) -> Result<(), SignatureError> {
    let canonical = canonical_request(parts, &auth.signed_headers)?;
    let expected = hmac_sha256(
        secret.as_bytes(),
        string_to_sign(sdk_date, &canonical).as_bytes(),
    );
    if constant_time_eq(&expected, &auth.signature) {
        Ok(())
    } else {
        Err(SignatureError::SignatureMismatch)
    }
}

/// Seconds since the epoch of an `X-Sdk-Date` (`yyyymmddThhmmssZ`).
pub fn parse_sdk_date(value: &str) -> Option<u64> {
    calendar::parse_basic(value)
}

/// Checks an `X-Sdk-Date` against the real clock (`now_secs`), never the emulated one.
pub fn check_skew(sdk_date: &str, now_secs: u64) -> Result<(), SignatureError> {
    let signed = parse_sdk_date(sdk_date).ok_or(SignatureError::Malformed(
        "X-Sdk-Date must be yyyymmddThhmmssZ",
    ))?;
    if signed.abs_diff(now_secs) > MAX_SKEW_SECS {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/huawei_signing_vector.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// (path on the wire, headers, body) of the vector's request.
    fn request_of(v: &serde_json::Value) -> (String, Vec<(String, String)>, String) {
        let canonical = v["canonical_request"].as_str().unwrap();
        let mut lines = canonical.lines();
        lines.next();
        let uri = lines.next().unwrap();
        let path = uri.strip_suffix('/').unwrap().to_owned();
        let headers = lines
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let (n, val) = l.split_once(':').unwrap();
                (n.to_owned(), val.to_owned())
            })
            .collect();
        (path, headers, v["body"].as_str().unwrap().to_owned())
    }

    fn authorization_for(v: &serde_json::Value) -> String {
        format!(
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000000, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature={}",
            v["expected_signature"].as_str().unwrap()
        )
    }

    /// Verifies the vector's request after `tamper` with `secret`.
    fn check_with(
        v: &serde_json::Value,
        tamper: impl FnOnce(&mut String, &mut Vec<(String, String)>, &mut String),
        secret: &str,
    ) -> Result<(), SignatureError> {
        let (mut path, mut headers, mut body) = request_of(v);
        tamper(&mut path, &mut headers, &mut body);
        let date = headers
            .iter()
            .find(|(n, _)| n == "x-sdk-date")
            .unwrap()
            .1
            .clone();
        let auth = parse_authorization(&authorization_for(v)).unwrap();
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let parts = SignedParts {
            method: "POST",
            path: &path,
            query: "",
            headers: &pairs,
            body: body.as_bytes(),
        };
        verify(&parts, &date, &auth, secret)
    }

    fn check(
        v: &serde_json::Value,
        tamper: impl FnOnce(&mut String, &mut Vec<(String, String)>, &mut String),
    ) -> Result<(), SignatureError> {
        check_with(v, tamper, v["secret_key"].as_str().unwrap())
    }

    #[test]
    fn the_recorded_sdk_signature_verifies_with_its_canonical_request() {
        let v = vector();
        let (path, headers, body) = request_of(&v);
        assert!(!path.ends_with('/'), "the wire path has no trailing slash");
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let auth = parse_authorization(&authorization_for(&v)).unwrap();
        let parts = SignedParts {
            method: "POST",
            path: &path,
            query: "",
            headers: &pairs,
            body: body.as_bytes(),
        };
        let canonical = canonical_request(&parts, &auth.signed_headers).unwrap();
        assert_eq!(canonical, v["canonical_request"].as_str().unwrap());
        assert_eq!(
            string_to_sign("20261122T093237Z", &canonical),
            v["string_to_sign"].as_str().unwrap()
        );
        assert_eq!(check(&v, |_, _, _| {}), Ok(()));
    }

    #[test]
    fn any_tampering_breaks_the_signature() {
        let v = vector();
        let mismatch = Err(SignatureError::SignatureMismatch);
        assert_eq!(check(&v, |_, _, b| b.push(' ')), mismatch);
        assert_eq!(
            check(&v, |p, _, _| *p = p.replace("describe-key", "disable-key")),
            mismatch
        );
        assert_eq!(
            check(&v, |p, _, _| *p = p.replace("0123", "9123")),
            mismatch
        );
        assert_eq!(check(&v, |_, h, _| h[1].1 = "127.0.0.1:1".into()), mismatch);
        assert_eq!(
            check(&v, |_, h, _| h[4].1 = "20261122T093238Z".into()),
            mismatch
        );
        assert_eq!(check_with(&v, |_, _, _| {}, "wrong secret"), mismatch);
        assert_eq!(
            check(&v, |_, h, _| {
                h.remove(2);
            }),
            Err(SignatureError::Malformed(
                "a header named in SignedHeaders is missing"
            ))
        );
    }

    #[test]
    fn the_trailing_slash_is_added_once_and_never_on_the_wire() {
        let v = vector();
        // The same request sent with the slash on the wire canonicalises identically...
        assert_eq!(check(&v, |p, _, _| p.push('/')), Ok(()));
        // ...and a signature computed without the slash (a naive verifier's canonical URI)
        // would not be the SDK's.
        let (path, headers, body) = request_of(&v);
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let auth = parse_authorization(&authorization_for(&v)).unwrap();
        let parts = SignedParts {
            method: "POST",
            path: &path,
            query: "",
            headers: &pairs,
            body: body.as_bytes(),
        };
        let with_slash = canonical_request(&parts, &auth.signed_headers).unwrap();
        let without = with_slash.replacen("describe-key/\n", "describe-key\n", 1);
        assert_ne!(
            string_to_sign("20261122T093237Z", &with_slash),
            string_to_sign("20261122T093237Z", &without)
        );
        assert_eq!(canonical_uri("/v1.0/p/kms/x"), "/v1.0/p/kms/x/");
        assert_eq!(canonical_uri("/v1.0/p/kms/x/"), "/v1.0/p/kms/x/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(
            canonical_uri("/v1.0/%7Bproject_id%7D/kms/describe-key"),
            "/v1.0/%7Bproject_id%7D/kms/describe-key/"
        );
    }

    #[test]
    fn queries_are_sorted_and_reencoded() {
        assert_eq!(
            canonical_query("limit=10&key_id=1234abcd-12ab&marker="),
            "key_id=1234abcd-12ab&limit=10&marker="
        );
        assert_eq!(canonical_query("a=x%2Fy&a=b c"), "a=b%20c&a=x%2Fy");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn empty_bodies_sign_the_empty_hash_whatever_is_declared() {
        let headers = [("host", "h"), ("x-sdk-content-sha256", "UNSIGNED-PAYLOAD")];
        let parts = SignedParts {
            method: "get",
            path: "/v1.0/p/kms/aliases",
            query: "",
            headers: &headers,
            body: b"",
        };
        for signed in [
            vec!["host".to_owned()],
            vec!["host".to_owned(), CONTENT_SHA256.to_owned()],
        ] {
            let c = canonical_request(&parts, &signed).unwrap();
            assert!(
                c.starts_with("GET\n/v1.0/p/kms/aliases/\n\nhost:h\n"),
                "{c}"
            );
            assert!(c.ends_with(EMPTY_PAYLOAD_HASH));
        }
    }

    /// The payload hash a body is signed under, for `declared` (None: no header) signed or not.
    fn payload(
        body: &[u8],
        declared: Option<&str>,
        signed: bool,
    ) -> Result<String, SignatureError> {
        let mut headers = vec![("host", "h")];
        headers.extend(declared.map(|d| ("X-Sdk-Content-Sha256", d)));
        let mut names = vec!["host".to_owned()];
        if signed {
            names.push(CONTENT_SHA256.to_owned());
        }
        let parts = SignedParts {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body,
        };
        payload_hash(&parts, &names)
    }

    #[test]
    fn a_declared_payload_hash_counts_only_when_signed_and_true() {
        let body = b"{\"key_alias\":\"a\"}";
        let actual = sha256_hex(body);
        let other = sha256_hex(b"{\"key_alias\":\"b\"}");
        // No header, or one the signature does not cover: the body's own hash.
        assert_eq!(payload(body, None, false), Ok(actual.clone()));
        assert_eq!(payload(body, Some(&other), false), Ok(actual.clone()));
        assert_eq!(
            payload(body, Some("UNSIGNED-PAYLOAD"), false),
            Ok(actual.clone())
        );
        // Signed: used as sent, if it is the body's hash.
        assert_eq!(payload(body, Some(&actual), true), Ok(actual.clone()));
        let upper = actual.to_ascii_uppercase();
        assert_eq!(payload(body, Some(&format!(" {upper} ")), true), Ok(upper));
        assert_eq!(
            payload(body, Some(&other), true),
            Err(SignatureError::PayloadHashMismatch)
        );
        assert_eq!(
            payload(body, Some("not hex"), true),
            Err(SignatureError::PayloadHashMismatch)
        );
        // KMS bodies are JSON: an unsigned payload is never accepted for them.
        assert_eq!(
            payload(body, Some("UNSIGNED-PAYLOAD"), true),
            Err(SignatureError::UnsignedPayload)
        );
        // A signed header named but not sent is a malformed signature, as for any header.
        let parts = SignedParts {
            method: "POST",
            path: "/",
            query: "",
            headers: &[("host", "h")],
            body,
        };
        assert!(matches!(
            canonical_request(&parts, &["host".to_owned(), CONTENT_SHA256.to_owned()]),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn malformed_authorization_headers() {
        let ok = format!(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature={}",
            "ab".repeat(32)
        );
        let auth = parse_authorization(&ok).unwrap();
        assert_eq!(auth.access_key, "AK");
        assert_eq!(auth.signed_headers, ["host", "x-sdk-date"]);
        for bad in [
            "",
            "SDK-HMAC-SHA256",
            "SDK-HMAC-SM3 Access=AK, SignedHeaders=host, Signature=00",
            "SDK-HMAC-SHA256Access=AK, SignedHeaders=host, Signature=00",
            "SDK-HMAC-SHA256 Access=, SignedHeaders=host, Signature=00",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host",
            &ok.replace("Signature=ab", "Signature=zz"),
            &ok.replace("host;", "Host;"),
            &ok.replace(", Signature", " Signature"),
            &ok.replace("Access", "Credential"),
            // One rule for every scheme: a repeated component is refused, never overwritten.
            &format!("{ok}, Access=OTHER"),
        ] {
            assert!(
                matches!(parse_authorization(bad), Err(SignatureError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn sdk_dates_within_fifteen_minutes() {
        let t = 1_795_339_957; // 20261122T093237Z
        assert_eq!(parse_sdk_date("20261122T093237Z"), Some(t));
        assert_eq!(check_skew("20261122T093237Z", t + 900), Ok(()));
        assert_eq!(check_skew("20261122T093237Z", t - 900), Ok(()));
        assert_eq!(
            check_skew("20261122T093237Z", t + 901),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            check_skew("20261122T093237Z", t - 901),
            Err(SignatureError::Expired)
        );
        for bad in [
            "",
            "20261122T093237",
            "2026112xT093237Z",
            "20261322T093237Z",
            "19691231T235959Z",
            "+0261122T093237Z",
        ] {
            assert!(
                matches!(check_skew(bad, t), Err(SignatureError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(parse_sdk_date("19700101T000000Z"), Some(0));
    }
}
