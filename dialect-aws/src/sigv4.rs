//! AWS Signature Version 4 as botocore signs KMS requests: parsing the `Authorization` header
//! and recomputing the signature. Which secret belongs to an access key, and how far the
//! request date may be from the real clock, are the caller's policy.

use dialect_kit::authorization::{self as syntax, SyntaxError};
use dialect_kit::calendar;
use dialect_kit::signing::{constant_time_eq, header_values, hmac_sha256, sha256_hex};

pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `yyyymmdd` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case header names, in the order the client signed them.
    pub signed_headers: Vec<String>,
    pub signature: [u8; 32],
}

/// Why a request's authentication was not acceptable; each maps to its own AWS error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Missing Authentication Token")]
    Missing,
    #[error("Authorization header is malformed: {0}")]
    Incomplete(&'static str),
    #[error("The request signature we calculated does not match the signature you provided.")]
    SignatureMismatch,
    #[error("Signature expired: the request date is outside the allowed clock skew.")]
    Expired,
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
}

fn syntax_error(e: SyntaxError) -> AuthError {
    AuthError::Incomplete(match e {
        SyntaxError::Scheme => "unsupported algorithm",
        SyntaxError::NotNameValue => "expected name=value pairs",
        SyntaxError::UnknownComponent => "unknown component",
        SyntaxError::Repeated => "a component appears twice",
        SyntaxError::Missing("Credential") => "missing Credential",
        SyntaxError::Missing("SignedHeaders") => "missing SignedHeaders",
        SyntaxError::Missing(_) => "missing Signature",
    })
}

pub fn parse_authorization(header: &str) -> Result<Authorization, AuthError> {
    let [credential, signed, signature] = syntax::components(
        header,
        ALGORITHM,
        ["Credential", "SignedHeaders", "Signature"],
    )
    .map_err(syntax_error)?;
    let mut scope = credential.split('/');
    let mut next = |what| {
        scope
            .next()
            .filter(|s| !s.is_empty())
            .ok_or(AuthError::Incomplete(what))
    };
    let access_key_id = next("missing access key id")?.to_owned();
    let date = next("missing scope date")?.to_owned();
    let region = next("missing scope region")?.to_owned();
    let service = next("missing scope service")?.to_owned();
    if next("missing scope terminator")? != "aws4_request" || scope.next().is_some() {
        return Err(AuthError::Incomplete(
            "credential scope must end in aws4_request",
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::Incomplete("scope date must be yyyymmdd"));
    }
    let signed_headers = syntax::signed_headers(signed).ok_or(AuthError::Incomplete(
        "SignedHeaders must be lower-case names",
    ))?;
    let signature = syntax::signature(signature)
        .ok_or(AuthError::Incomplete("Signature must be 64 hex digits"))?;
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers,
        signature,
    })
}

/// What of a request the signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SignedParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Header names in any case; repeated names are joined with commas, as SigV4 says.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn canonical_request(parts: &SignedParts<'_>, signed_headers: &[String]) -> String {
    let mut query: Vec<&str> = parts.query.split('&').filter(|q| !q.is_empty()).collect();
    query.sort_unstable();
    let mut out = format!(
        "{}\n{}\n{}\n",
        parts.method,
        if parts.path.is_empty() {
            "/"
        } else {
            parts.path
        },
        query.join("&")
    );
    for name in signed_headers {
        let values: Vec<String> = header_values(parts.headers, name).map(collapse).collect();
        out.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    out.push_str(&format!(
        "\n{}\n{}",
        signed_headers.join(";"),
        sha256_hex(parts.body)
    ));
    out
}

pub fn string_to_sign(amz_date: &str, auth: &Authorization, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{}/{}/{}/aws4_request\n{}",
        auth.date,
        auth.region,
        auth.service,
        sha256_hex(canonical_request.as_bytes())
    )
}

fn signing_key(secret: &str, auth: &Authorization) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    let k_region = hmac_sha256(&k_date, auth.region.as_bytes());
    let k_service = hmac_sha256(&k_region, auth.service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Recomputes the signature with `secret` and compares in constant time.
pub fn verify(
    parts: &SignedParts<'_>,
    amz_date: &str,
    auth: &Authorization,
    secret: &str,
) -> Result<(), AuthError> {
    if !amz_date.starts_with(&auth.date) {
        return Err(AuthError::SignatureMismatch);
    }
    let canonical = canonical_request(parts, &auth.signed_headers);
    let to_sign = string_to_sign(amz_date, auth, &canonical);
    let expected = hmac_sha256(&signing_key(secret, auth), to_sign.as_bytes());
    if constant_time_eq(&expected, &auth.signature) {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}

/// Seconds since the epoch of an `X-Amz-Date` (`yyyymmddThhmmssZ`), for the skew check.
pub fn parse_amz_date(value: &str) -> Option<u64> {
    calendar::parse_basic(value)
}

/// AWS refuses requests signed more than 15 minutes away from its (real) clock.
pub const MAX_SKEW_SECS: u64 = 15 * 60;

/// Checks an `X-Amz-Date` against the real clock (`now_secs`), never the emulated one.
pub fn check_skew(amz_date: &str, now_secs: u64) -> Result<(), AuthError> {
    let signed = parse_amz_date(amz_date).ok_or(AuthError::Incomplete("malformed X-Amz-Date"))?;
    if signed.abs_diff(now_secs) > MAX_SKEW_SECS {
        return Err(AuthError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/aws_signing_vector.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn parts_of(v: &serde_json::Value) -> (Vec<(String, String)>, String) {
        let canonical = v["canonical_request"].as_str().unwrap();
        let headers = canonical
            .lines()
            .skip(3)
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let (n, val) = l.split_once(':').unwrap();
                (n.to_owned(), val.to_owned())
            })
            .collect();
        (headers, v["body"].as_str().unwrap().to_owned())
    }

    /// Verifies the vector's request after `tamper`, with `secret` and scope `region`.
    fn check_with(
        v: &serde_json::Value,
        tamper: impl FnOnce(&mut Vec<(String, String)>, &mut String),
        secret: &str,
        region: &str,
    ) -> Result<(), AuthError> {
        let (mut headers, mut body) = parts_of(v);
        tamper(&mut headers, &mut body);
        let date = headers
            .iter()
            .find(|(n, _)| n == "x-amz-date")
            .unwrap()
            .1
            .clone();
        let header = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/{region}/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
            &date[..8],
            v["expected_signature"].as_str().unwrap()
        );
        let auth = parse_authorization(&header).unwrap();
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let parts = SignedParts {
            method: "POST",
            path: "/",
            query: "",
            headers: &pairs,
            body: body.as_bytes(),
        };
        assert_eq!(auth.signed_headers.len(), 4);
        if secret == v["secret_key"].as_str().unwrap() && region == "us-east-1" {
            let canonical = canonical_request(&parts, &auth.signed_headers);
            let unchanged = (headers.clone(), body.clone()) == parts_of(v);
            assert_eq!(
                canonical == v["canonical_request"].as_str().unwrap(),
                unchanged
            );
            if unchanged {
                assert_eq!(
                    string_to_sign(&date, &auth, &canonical),
                    v["string_to_sign"].as_str().unwrap()
                );
            }
        }
        verify(&parts, &date, &auth, secret)
    }

    fn check(
        v: &serde_json::Value,
        tamper: impl FnOnce(&mut Vec<(String, String)>, &mut String),
    ) -> Result<(), AuthError> {
        check_with(v, tamper, v["secret_key"].as_str().unwrap(), "us-east-1")
    }

    #[test]
    fn the_recorded_boto3_signature_verifies() {
        assert_eq!(check(&vector(), |_, _| {}), Ok(()));
    }

    #[test]
    fn any_tampering_breaks_the_signature() {
        let v = vector();
        assert_eq!(
            check(&v, |_, b| b.push(' ')),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(
            check(&v, |h, _| h[3].1 =
                "TrentService.DeleteImportedKeyMaterial".into()),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(
            check(&v, |h, _| h[1].1 = "127.0.0.1:1".into()),
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(
            check_with(&v, |_, _| {}, "wrong secret", "us-east-1"),
            Err(AuthError::SignatureMismatch)
        );
        let secret = v["secret_key"].as_str().unwrap();
        assert_eq!(
            check_with(&v, |_, _| {}, secret, "eu-west-1"),
            Err(AuthError::SignatureMismatch)
        );
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        let ok = "AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=".to_owned() + &"ab".repeat(32);
        let auth = parse_authorization(&ok).unwrap();
        assert_eq!(
            (
                auth.access_key_id.as_str(),
                auth.region.as_str(),
                auth.service.as_str()
            ),
            ("AK", "us-east-1", "kms")
        );
        for bad in [
            "",
            "Basic abc",
            "AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/kms/aws4_request, SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=AK/2026112/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/kms, SignedHeaders=host, Signature=00",
            &ok.replace("Signature=ab", "Signature=zz"),
            &ok.replace("host;", "Host;"),
            &ok.replace(", Signature", " Signature"),
            // One rule for every scheme: a repeated component is refused, never overwritten.
            &format!("{ok}, Signature={}", "cd".repeat(32)),
        ] {
            assert!(
                matches!(parse_authorization(bad), Err(AuthError::Incomplete(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn requests_outside_fifteen_minutes_are_expired() {
        let t = 1_795_339_952;
        assert_eq!(check_skew("20261122T093232Z", t), Ok(()));
        assert_eq!(check_skew("20261122T093232Z", t + 900), Ok(()));
        assert_eq!(
            check_skew("20261122T093232Z", t + 901),
            Err(AuthError::Expired)
        );
        assert_eq!(
            check_skew("20261122T093232Z", t - 901),
            Err(AuthError::Expired)
        );
        assert!(matches!(
            check_skew("yesterday", t),
            Err(AuthError::Incomplete(_))
        ));
    }

    #[test]
    fn dates_before_the_epoch_are_malformed_not_a_panic() {
        for date in ["00000101T000000Z", "00000201T000000Z", "19691231T235959Z"] {
            assert_eq!(parse_amz_date(date), None, "{date}");
            assert!(matches!(check_skew(date, 0), Err(AuthError::Incomplete(_))));
        }
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
    }

    #[test]
    fn amz_dates_parse_to_epoch_seconds() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20261122T093232Z"), Some(1_795_339_952));
        assert_eq!(parse_amz_date("20240229T235959Z"), Some(1_709_251_199));
        for bad in [
            "",
            "20261122T093232",
            "2026112xT093232Z",
            "20261322T093232Z",
            "20261122 093232Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }
}
