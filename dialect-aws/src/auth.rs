//! Authentication of every request: parse SigV4, derive the caller, and in strict mode
//! verify the signature against configured secrets within the clock-skew window.

use dialect_kit::signing::header_pairs;
use http::Request;

use crate::caller::Caller;
use crate::error::{AwsError, ErrorCode, from_auth};
use kms_core::Clock;

use crate::account::Account;
use crate::settings::Settings;
use crate::sigv4::{self, AuthError, SignedParts};

const SIGNED_REQUIRED: [&str; 3] = ["host", "x-amz-date", "x-amz-target"];

pub(crate) fn authenticate(
    request: &Request<Vec<u8>>,
    settings: &Settings,
    real_clock: &dyn Clock,
) -> Result<Caller, AwsError> {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").ok_or_else(|| from_auth(&AuthError::Missing))?;
    let auth = sigv4::parse_authorization(authorization).map_err(|e| from_auth(&e))?;
    let account = Account::parse(&auth.access_key_id).unwrap_or(settings.default_account);
    if settings.known_regions_only && !crate::regions::is_known(&auth.region) {
        return Err(AwsError::new(
            ErrorCode::InvalidSignatureException,
            format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                auth.region
            ),
        ));
    }
    let caller = Caller::new(account, &auth.region)?;
    if !settings.strict_auth {
        return Ok(caller);
    }
    // A signature must cover what routes and scopes the request, or it could be replayed
    // as another operation; botocore always signs these.
    if auth.service != "kms" {
        // AWS's own words for a credential scoped to another service.
        return Err(AwsError::new(
            ErrorCode::InvalidSignatureException,
            "Credential should be scoped to correct service: 'kms'. ",
        ));
    }
    if !SIGNED_REQUIRED
        .iter()
        .all(|h| auth.signed_headers.iter().any(|s| s == h))
    {
        return Err(from_auth(&AuthError::Incomplete(
            "SignedHeaders must include host, x-amz-date and x-amz-target",
        )));
    }
    let amz_date = header("x-amz-date")
        .ok_or_else(|| from_auth(&AuthError::Incomplete("missing X-Amz-Date")))?;
    sigv4::check_skew(amz_date, real_clock.now().as_secs()).map_err(|e| from_auth(&e))?;
    let secret = settings
        .credentials
        .get(&auth.access_key_id)
        .ok_or_else(|| from_auth(&AuthError::UnknownAccessKey))?;
    let headers = header_pairs(request.headers());
    let parts = SignedParts {
        method: request.method().as_str(),
        path: request.uri().path(),
        query: request.uri().query().unwrap_or(""),
        headers: &headers,
        body: request.body(),
    };
    sigv4::verify(&parts, amz_date, &auth, secret).map_err(|e| from_auth(&e))?;
    Ok(caller)
}
