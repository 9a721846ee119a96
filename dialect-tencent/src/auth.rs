//! Authentication of every request. The signature is always parsed and its timestamp always
//! checked against the real clock (a stale request is refused in every mode, as Tencent
//! does); the signature itself and the SecretId are checked in strict mode.

use dialect_kit::signing::header_pairs;
use http::Request;
use kms_core::Clock;

use crate::account::Account;
use crate::error::{TencentError, from_auth};
use crate::framing::Framed;
use crate::legacy_sign;
use crate::settings::Settings;
use crate::tc3::{self, AuthError, SignedParts};

/// Headers a strict signature must cover, or it could be replayed with another body type or
/// against another host; the SDK always signs exactly these.
const SIGNED_REQUIRED: [&str; 2] = ["content-type", "host"];
/// What `tencent.require_signed_action` adds: the headers that say what to do and where.
const SIGNED_ROUTING: [&str; 2] = ["x-tc-action", "x-tc-region"];
/// How framing reads one common parameter.
type CommonValue = fn(&Framed) -> Option<&str>;
/// The common parameters the legacy signature covers, each with the value framing uses for
/// it (its `X-TC-*` header if sent, else the parameter).
const LEGACY_SIGNED: [(&str, CommonValue); 4] = [
    ("Action", |f| f.common.action.as_deref()),
    ("Region", |f| f.common.region.as_deref()),
    ("Version", |f| f.common.version.as_deref()),
    ("Timestamp", |f| f.common.timestamp.as_deref()),
];

/// The account the request acts for.
pub(crate) fn authenticate(
    request: &Request<Vec<u8>>,
    framed: &Framed,
    settings: &Settings,
    real_clock: &dyn Clock,
) -> Result<Account, TencentError> {
    let policy = Policy {
        settings,
        now: real_clock.now().as_secs(),
    };
    let auth_header = request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap_or(""));
    match auth_header {
        Some(value) => tc3_request(request, framed, &policy, value),
        None => legacy_request(request, framed, &policy),
    }
    .map_err(|e| from_auth(&e))
}

/// What a request is checked against: the settings, and the real time in seconds.
struct Policy<'a> {
    settings: &'a Settings,
    now: u64,
}

fn account_of(policy: &Policy<'_>, secret_id: &str) -> Account {
    policy.settings.account_of(secret_id)
}

fn timestamp(framed: &Framed, policy: &Policy<'_>) -> Result<(), AuthError> {
    let text = framed
        .common
        .timestamp
        .as_deref()
        .ok_or(AuthError::Malformed("X-TC-Timestamp is missing"))?;
    let ts = tc3::parse_timestamp(text)?;
    tc3::check_skew(ts, policy.now)
}

fn secret<'a>(policy: &Policy<'a>, secret_id: &str) -> Result<&'a str, AuthError> {
    policy
        .settings
        .credentials
        .get(secret_id)
        .map(|c| c.secret_key.as_str())
        .ok_or(AuthError::UnknownSecretId)
}

fn tc3_request(
    request: &Request<Vec<u8>>,
    framed: &Framed,
    policy: &Policy<'_>,
    header: &str,
) -> Result<Account, AuthError> {
    let auth = tc3::parse_authorization(header)?;
    timestamp(framed, policy)?;
    let account = account_of(policy, &auth.secret_id);
    if !policy.settings.strict_auth {
        return Ok(account);
    }
    if !SIGNED_REQUIRED
        .iter()
        .all(|h| auth.signed_headers.iter().any(|s| s == h))
    {
        return Err(AuthError::Malformed(
            "SignedHeaders must include content-type and host",
        ));
    }
    // The SDKs sign only content-type and host, so action and region are not bound; an
    // operator who signs them can insist (see `Settings::require_signed_action`).
    if policy.settings.require_signed_action
        && !SIGNED_ROUTING
            .iter()
            .all(|h| auth.signed_headers.iter().any(|s| s == h))
    {
        return Err(AuthError::ActionNotSigned);
    }
    // An unsigned payload (an SDK option the cloud accepts) would leave the body as open as
    // the action: refused by the same setting.
    if policy.settings.require_signed_action
        && request
            .headers()
            .get("x-tc-content-sha256")
            .is_some_and(|v| v.as_bytes().trim_ascii() == b"UNSIGNED-PAYLOAD")
    {
        return Err(AuthError::PayloadNotSigned);
    }
    let secret_key = secret(policy, &auth.secret_id)?;
    let headers = header_pairs(request.headers());
    let parts = SignedParts {
        method: request.method().as_str(),
        query: request.uri().query().unwrap_or(""),
        headers: &headers,
        body: request.body(),
        timestamp: framed.common.timestamp.as_deref().unwrap_or(""),
    };
    tc3::verify(&parts, &auth, secret_key)?;
    Ok(account)
}

fn legacy_request(
    request: &Request<Vec<u8>>,
    framed: &Framed,
    policy: &Policy<'_>,
) -> Result<Account, AuthError> {
    let (Some(secret_id), Some(signature), Some(pairs)) = (
        framed.common.secret_id.as_deref(),
        framed.common.signature.as_deref(),
        framed.flat_pairs(),
    ) else {
        return Err(AuthError::Missing);
    };
    timestamp(framed, policy)?;
    let account = account_of(policy, secret_id);
    if !policy.settings.strict_auth {
        return Ok(account);
    }
    let secret_key = secret(policy, secret_id)?;
    let host = request
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let to_sign =
        legacy_sign::string_to_sign(request.method().as_str(), host, request.uri().path(), pairs);
    legacy_sign::verify(
        framed.common.signature_method.as_deref(),
        &to_sign,
        signature,
        secret_key,
    )?;
    // Framing lets an `X-TC-*` header win over the parameter of the same meaning, but only
    // the parameters are signed here: what is used must be what was signed.
    for (name, used) in LEGACY_SIGNED {
        let signed = pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty());
        if used(framed) != signed {
            return Err(AuthError::SignatureMismatch);
        }
    }
    Ok(account)
}
