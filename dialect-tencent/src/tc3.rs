//! TC3-HMAC-SHA256 exactly as `tencentcloud-sdk-python-common` signs, and as the Node.js
//! and Java SDKs sign it for an endpoint such as `127.0.0.1:8412` (see [`verify`]): parsing
//! the `Authorization` header and recomputing the signature. Which secret belongs to a SecretId
//! and how far the timestamp may be from the real clock are the caller's policy.

use dialect_kit::authorization::{self as syntax, SyntaxError};
use dialect_kit::calendar::DateTime;
use dialect_kit::signing::{constant_time_eq, header, hmac_sha256, sha256_hex};

pub(crate) const ALGORITHM: &str = "TC3-HMAC-SHA256";
const TERMINATOR: &str = "tc3_request";

/// Tencent refuses a request whose timestamp is more than five minutes off.
pub const MAX_SKEW_SECS: u64 = 300;

/// The parts of an `Authorization: TC3-HMAC-SHA256 ...` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub secret_id: String,
    /// `YYYY-MM-DD` of the credential scope.
    pub date: String,
    pub service: String,
    /// Lower-case header names, in the order the client signed them.
    pub signed_headers: Vec<String>,
    pub signature: [u8; 32],
}

/// Why a request's authentication was not acceptable; each maps to its own AuthFailure code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("The request carries no Authorization header (TC3-HMAC-SHA256 signature).")]
    Missing,
    #[error("The Authorization header is malformed: {0}.")]
    Malformed(&'static str),
    #[error(
        "The signature expired: X-TC-Timestamp {timestamp} is more than 300 seconds from the server time {now}."
    )]
    Expired { timestamp: u64, now: u64 },
    #[error(
        "The signature does not match the request (check the SecretKey and the signed content)."
    )]
    SignatureMismatch,
    #[error("The SecretId is not found; check that it is configured.")]
    UnknownSecretId,
    #[error(
        "The Authorization header's SignedHeaders must include x-tc-action and x-tc-region (tencent.require_signed_action is on)."
    )]
    ActionNotSigned,
    #[error(
        "X-TC-Content-SHA256: UNSIGNED-PAYLOAD leaves the body unsigned, which is refused while tencent.require_signed_action is on."
    )]
    PayloadNotSigned,
}

fn syntax_error(e: SyntaxError) -> AuthError {
    AuthError::Malformed(match e {
        SyntaxError::Scheme => "the algorithm must be TC3-HMAC-SHA256",
        SyntaxError::NotNameValue => "expected Name=value components",
        SyntaxError::UnknownComponent => "unknown component",
        SyntaxError::Repeated => "a component appears twice",
        SyntaxError::Missing("Credential") => "Credential is missing",
        SyntaxError::Missing("SignedHeaders") => "SignedHeaders is missing",
        SyntaxError::Missing(_) => "Signature is missing",
    })
}

pub fn parse_authorization(header: &str) -> Result<Authorization, AuthError> {
    let [credential, signed, signature] = syntax::components(
        header,
        ALGORITHM,
        ["Credential", "SignedHeaders", "Signature"],
    )
    .map_err(syntax_error)?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [secret_id, date, service, terminator] = parts[..] else {
        return Err(AuthError::Malformed(
            "Credential must be SecretId/YYYY-MM-DD/service/tc3_request",
        ));
    };
    if secret_id.is_empty() || service.is_empty() || terminator != TERMINATOR {
        return Err(AuthError::Malformed(
            "Credential must be SecretId/YYYY-MM-DD/service/tc3_request",
        ));
    }
    if !is_date(date) {
        return Err(AuthError::Malformed(
            "the credential date must be YYYY-MM-DD",
        ));
    }
    let signed_headers = syntax::signed_headers(signed).ok_or(AuthError::Malformed(
        "SignedHeaders must be lower-case header names separated by ;",
    ))?;
    let signature = syntax::signature(signature)
        .ok_or(AuthError::Malformed("Signature must be 64 hex digits"))?;
    Ok(Authorization {
        secret_id: secret_id.to_owned(),
        date: date.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature,
    })
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// `X-TC-Timestamp`: Unix seconds as a decimal integer.
pub fn parse_timestamp(value: &str) -> Result<u64, AuthError> {
    if value.is_empty() || value.len() > 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::Malformed("X-TC-Timestamp must be Unix seconds"));
    }
    value
        .parse()
        .map_err(|_| AuthError::Malformed("X-TC-Timestamp must be Unix seconds"))
}

/// Refuses a timestamp more than [`MAX_SKEW_SECS`] from `now` (either way).
pub fn check_skew(timestamp: u64, now: u64) -> Result<(), AuthError> {
    if timestamp.abs_diff(now) > MAX_SKEW_SECS {
        return Err(AuthError::Expired { timestamp, now });
    }
    Ok(())
}

/// The UTC date of a Unix time, `YYYY-MM-DD` (the credential scope date).
pub fn utc_date(secs: u64) -> String {
    DateTime::from_unix(secs).date()
}

/// What the signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SignedParts<'a> {
    pub method: &'a str,
    /// The raw query string as sent (no leading `?`); the SDK signs it unsorted.
    pub query: &'a str,
    /// Every header as received (name, value); the signed ones are looked up here.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    pub timestamp: &'a str,
}

/// The canonical request, as `AbstractClient._get_tc3_signature` builds it. Header values are
/// used as sent (the SDK signs them so, even a `Host` of `http://127.0.0.1:PORT`).
pub fn canonical_request(parts: &SignedParts<'_>, auth: &Authorization) -> String {
    let mut canonical_headers = String::new();
    for name in &auth.signed_headers {
        let value = header(parts.headers, name).unwrap_or("");
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value.trim());
        canonical_headers.push('\n');
    }
    let unsigned = header(parts.headers, "x-tc-content-sha256")
        .is_some_and(|v| v.trim() == "UNSIGNED-PAYLOAD");
    let payload_hash = if unsigned {
        sha256_hex(b"UNSIGNED-PAYLOAD")
    } else {
        sha256_hex(parts.body)
    };
    format!(
        "{}\n/\n{}\n{}\n{}\n{}",
        parts.method,
        parts.query,
        canonical_headers,
        auth.signed_headers.join(";"),
        payload_hash
    )
}

pub fn string_to_sign(parts: &SignedParts<'_>, auth: &Authorization) -> String {
    let hashed = sha256_hex(canonical_request(parts, auth).as_bytes());
    format!(
        "{ALGORITHM}\n{}\n{}/{}/{TERMINATOR}\n{hashed}",
        parts.timestamp, auth.date, auth.service
    )
}

pub fn signature(parts: &SignedParts<'_>, auth: &Authorization, secret_key: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), auth.date.as_bytes());
    let k_service = hmac_sha256(&k_date, auth.service.as_bytes());
    let k_signing = hmac_sha256(&k_service, TERMINATOR.as_bytes());
    hmac_sha256(&k_signing, string_to_sign(parts, auth).as_bytes())
}

/// Checks the signature in constant time. The scope's service is taken as signed, whatever
/// it is: the Node.js and Java SDKs derive it from the endpoint's first label (`127` for
/// `127.0.0.1:8412`), and it is part of the signing key, so it cannot be changed without the
/// secret. The host is tried as sent and, if that fails, without its port: the Node.js SDK
/// signs the URL's hostname while its HTTP client sends `Host: 127.0.0.1:8412`. Only a port
/// is ever dropped, so a signature still names the host it was made for. Signed header
/// values are tried as sent (the SDKs sign them so) and lower-cased, as Tencent's published
/// TC3 specification and its demo sign them (`x-tc-action:listkeys`).
pub fn verify(
    parts: &SignedParts<'_>,
    auth: &Authorization,
    secret_key: &str,
) -> Result<(), AuthError> {
    let date_matches = parse_timestamp(parts.timestamp).is_ok_and(|t| utc_date(t) == auth.date);
    let matches = |parts: &SignedParts<'_>| {
        constant_time_eq(&signature(parts, auth, secret_key), &auth.signature)
    };
    let signs_host = auth.signed_headers.iter().any(|h| h == "host");
    let host = header(parts.headers, "host").and_then(|h| without_port(h.trim()));
    // As sent first: what every SDK signs, and no copy of the headers.
    let mut same = matches(parts);
    for (lower, portless) in [(false, true), (true, false), (true, true)] {
        if same || (portless && (!signs_host || host.is_none())) {
            continue;
        }
        let headers: Vec<(&str, String)> = parts
            .headers
            .iter()
            .map(|&(n, v)| {
                let v = match host {
                    Some(h) if portless && n.eq_ignore_ascii_case("host") => h,
                    _ => v,
                };
                // Only signed values are lower-cased, and never the payload marker, whose
                // meaning (`UNSIGNED-PAYLOAD`) is read as sent.
                let signed = auth
                    .signed_headers
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(n));
                let lowered = lower && signed && !n.eq_ignore_ascii_case("x-tc-content-sha256");
                (
                    n,
                    if lowered {
                        v.to_ascii_lowercase()
                    } else {
                        v.to_owned()
                    },
                )
            })
            .collect();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        same = matches(&SignedParts {
            headers: &headers,
            ..*parts
        });
    }
    if same && date_matches {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}

/// The host of a `Host` value `host:port` (a name, an IPv4 address or a bracketed IPv6
/// address); `None` when there is no port, or when the value is not of that form (such as
/// the `http://127.0.0.1:8412` the Python SDK sends for an endpoint given as a URL).
fn without_port(host: &str) -> Option<&str> {
    let (name, port) = host.rsplit_once(':')?;
    let port_ok = (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit());
    let name_ok =
        !name.is_empty() && (!name.contains(':') || (name.starts_with('[') && name.ends_with(']')));
    (port_ok && name_ok).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_port_is_dropped_from_a_host() {
        assert_eq!(without_port("127.0.0.1:8412"), Some("127.0.0.1"));
        assert_eq!(without_port("localhost:1"), Some("localhost"));
        assert_eq!(without_port("[::1]:8412"), Some("[::1]"));
        assert_eq!(without_port("kms.tencentcloudapi.com"), None);
        assert_eq!(without_port("127.0.0.1"), None);
        assert_eq!(without_port("[::1]"), None);
        assert_eq!(without_port("::1"), None);
        assert_eq!(without_port("http://127.0.0.1:8412"), None);
        assert_eq!(without_port("127.0.0.1:"), None);
        assert_eq!(without_port(":8412"), None);
        assert_eq!(without_port("h:123456"), None);
        assert_eq!(without_port("h:8x"), None);
    }

    #[test]
    fn parses_the_sdk_header() {
        let a = parse_authorization(
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2026-11-22/kms/tc3_request, SignedHeaders=content-type;host, Signature=1972d8409dbb7db84097b2f88f87995b277fd106cd781c49453bc7d37c41f740",
        )
        .unwrap();
        assert_eq!(a.secret_id, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE");
        assert_eq!(a.date, "2026-11-22");
        assert_eq!(a.service, "kms");
        assert_eq!(a.signed_headers, ["content-type", "host"]);
    }

    #[test]
    fn malformed_headers_are_refused() {
        let sig = "0".repeat(64);
        for bad in [
            String::new(),
            "AWS4-HMAC-SHA256 Credential=a/b".to_owned(),
            "TC3-HMAC-SHA256".to_owned(),
            format!("TC3-HMAC-SHA256 Credential=AKID/2026-11-22/kms, SignedHeaders=host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=AKID/20261122/kms/tc3_request, SignedHeaders=host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=/2026-11-22/kms/tc3_request, SignedHeaders=host, Signature={sig}"),
            "TC3-HMAC-SHA256 Credential=AKID/2026-11-22/kms/tc3_request, SignedHeaders=host, Signature=zz".to_owned(),
            format!("TC3-HMAC-SHA256 Credential=AKID/2026-11-22/kms/tc3_request, SignedHeaders=Host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=AKID/2026-11-22/kms/tc3_request, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=AKID/2026-11-22/kms/tc3_request, SignedHeaders=host, Signature={sig}, Signature={sig}"),
        ] {
            assert!(
                matches!(parse_authorization(&bad), Err(AuthError::Malformed(_))),
                "{bad}"
            );
        }
    }

    /// Tencent's specification and demo sign header values lower-cased
    /// (`x-tc-action:listkeys`), the SDKs as sent: both verify, and nothing else does.
    #[test]
    fn signed_values_verify_as_sent_or_lower_cased() {
        let sent: &[(&str, &str)] = &[
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:8412"),
            ("X-TC-Action", "ListKeys"),
        ];
        let timestamp = "1795339954";
        let mut auth = Authorization {
            secret_id: "AKID".into(),
            date: utc_date(1_795_339_954),
            service: "kms".into(),
            signed_headers: vec!["content-type".into(), "host".into(), "x-tc-action".into()],
            signature: [0; 32],
        };
        let parts = |headers: &'static [(&'static str, &'static str)]| SignedParts {
            method: "POST",
            query: "",
            headers,
            body: b"{}",
            timestamp,
        };
        let lower: &[(&str, &str)] = &[
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:8412"),
            ("X-TC-Action", "listkeys"),
        ];
        let other: &[(&str, &str)] = &[
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:8412"),
            ("X-TC-Action", "DeleteKey"),
        ];
        for signed in [sent, lower] {
            auth.signature = signature(&parts(signed), &auth, "secret");
            assert_eq!(verify(&parts(sent), &auth, "secret"), Ok(()), "{signed:?}");
            assert!(verify(&parts(other), &auth, "secret").is_err());
            assert!(verify(&parts(sent), &auth, "other secret").is_err());
        }
        // Lower-cased signed values with an unsigned payload: the marker keeps its meaning.
        let sent_unsigned: &[(&str, &str)] = &[
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:8412"),
            ("X-TC-Action", "ListKeys"),
            ("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD"),
        ];
        let lower_unsigned: &[(&str, &str)] = &[
            ("Content-Type", "application/json"),
            ("Host", "127.0.0.1:8412"),
            ("X-TC-Action", "listkeys"),
            ("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD"),
        ];
        auth.signature = signature(&parts(lower_unsigned), &auth, "secret");
        assert_eq!(verify(&parts(sent_unsigned), &auth, "secret"), Ok(()));
    }

    #[test]
    fn utc_dates_and_skew() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_795_339_954), "2026-11-22");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert!(check_skew(1000, 1300).is_ok());
        assert!(check_skew(1300, 1000).is_ok());
        assert!(check_skew(1000, 1301).is_err());
        assert!(check_skew(1301, 1000).is_err());
        assert!(parse_timestamp("17953x").is_err());
        assert!(parse_timestamp("").is_err());
        assert!(parse_timestamp("-1").is_err());
    }
}
