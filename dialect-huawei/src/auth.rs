//! Authentication of every KMS request, by `X-Auth-Token` or by an SDK-HMAC-SHA256
//! signature, for the project in the path.
//!
//! Permissive mode accepts any non-empty token and any well-formed signature header; strict
//! mode accepts only tokens this process issued (or configured static ones) for their own
//! project, and signatures that verify with a configured AK allowed for the project.

use dialect_kit::signing::constant_time_eq;
use http::Request;

use crate::caller::ProjectId;
use crate::error::{HuaweiError, from_auth};
use crate::service::Config;
use crate::signer::{self, SignatureError, SignedParts};
use crate::token::TokenIssuer;

const SIGNED_REQUIRED: [&str; 2] = ["host", "x-sdk-date"];

/// Why a request's credentials were not acceptable. The texts follow the API gateway's
/// "Incorrect IAM authentication information: ..." messages.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("x-auth-token not found")]
    Missing,
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
    #[error("verify aksk signature fail: the AK is unknown")]
    UnknownAccessKey,
    #[error("the AK is not allowed to access project {project}")]
    ProjectNotAllowed { project: String },
    #[error("the token's user is no longer allowed to access project {project}")]
    UserNotAllowed { project: String },
    #[error("decrypt token fail")]
    InvalidToken,
    #[error("token expires, expires_at: {expires_at}")]
    TokenExpired { expires_at: u64 },
    #[error("the token is scoped to project {token_project}, not to project {project}")]
    TokenProjectMismatch {
        token_project: String,
        project: String,
    },
}

impl From<SignatureError> for AuthError {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::Malformed(why) => AuthError::Malformed(why),
            SignatureError::SignatureMismatch => AuthError::SignatureMismatch,
            SignatureError::Expired => AuthError::Expired,
            SignatureError::PayloadHashMismatch => AuthError::PayloadHashMismatch,
            SignatureError::UnsignedPayload => AuthError::UnsignedPayload,
        }
    }
}

pub(crate) fn authenticate(
    request: &Request<Vec<u8>>,
    project: &ProjectId,
    config: &Config,
    tokens: Option<&TokenIssuer>,
) -> Result<(), HuaweiError> {
    check(request, project, config, tokens).map_err(|e| from_auth(&e))
}

fn header<'a>(request: &'a Request<Vec<u8>>, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn check(
    request: &Request<Vec<u8>>,
    project: &ProjectId,
    config: &Config,
    tokens: Option<&TokenIssuer>,
) -> Result<(), AuthError> {
    if let Some(sent) = header(request, "x-project-id")
        && sent != project.as_str()
    {
        return Err(AuthError::Malformed(
            "X-Project-Id does not match the project id in the path",
        ));
    }
    if let Some(token) = header(request, "x-auth-token") {
        return if config.settings.strict_auth {
            check_token(token, project, config, tokens)
        } else {
            Ok(())
        };
    }
    let authorization = header(request, "authorization").ok_or(AuthError::Missing)?;
    let auth = signer::parse_authorization(authorization)?;
    // The date window is part of the signing rule in every mode, as Tencent's is: a replayed
    // or badly clocked client fails here before it fails against the real cloud.
    let date = header(request, "x-sdk-date").ok_or(AuthError::Malformed("missing X-Sdk-Date"))?;
    signer::check_skew(date, config.clocks.real.now().as_secs())?;
    if !config.settings.strict_auth {
        return Ok(());
    }
    if !SIGNED_REQUIRED
        .iter()
        .all(|h| auth.signed_headers.iter().any(|s| s == h))
    {
        return Err(AuthError::Malformed(
            "SignedHeaders must include host and x-sdk-date",
        ));
    }
    let key = config
        .settings
        .credentials
        .get(&auth.access_key)
        .ok_or(AuthError::UnknownAccessKey)?;
    let headers: Vec<(&str, String)> = request
        .headers()
        .iter()
        // Values are signed as the SDK holds them (UTF-8 text), whatever bytes they arrive as.
        .map(|(n, v)| {
            (
                n.as_str(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let parts = SignedParts {
        method: request.method().as_str(),
        path: request.uri().path(),
        query: request.uri().query().unwrap_or(""),
        headers: &pairs,
        body: request.body(),
    };
    signer::verify(&parts, date, &auth, &key.secret_key)?;
    if !key.projects.allow(project) {
        return Err(AuthError::ProjectNotAllowed {
            project: project.to_string(),
        });
    }
    Ok(())
}

fn check_token(
    token: &str,
    project: &ProjectId,
    config: &Config,
    tokens: Option<&TokenIssuer>,
) -> Result<(), AuthError> {
    let mismatch = |token_project: &str| AuthError::TokenProjectMismatch {
        token_project: token_project.to_owned(),
        project: project.to_string(),
    };
    // Every configured token is compared, each in constant time: a map lookup would stop at
    // the first differing byte, and time how a guess sorts against the secrets.
    let mut found = None;
    for (known, scoped) in &config.settings.static_tokens {
        if constant_time_eq(known.as_bytes(), token.as_bytes()) {
            found = Some(scoped);
        }
    }
    if let Some(scoped) = found {
        return if scoped == project {
            Ok(())
        } else {
            Err(mismatch(scoped.as_str()))
        };
    }
    let claims = tokens
        .and_then(|t| t.verify(token))
        .ok_or(AuthError::InvalidToken)?;
    // Judged by generation too: a token that expired before the clock was moved back stays
    // expired after it.
    if config
        .clocks
        .emulated
        .has_passed(claims.expires_at, claims.generation)
    {
        return Err(AuthError::TokenExpired {
            expires_at: claims.expires_at.as_secs(),
        });
    }
    if claims.project_id != project.as_str() {
        return Err(mismatch(&claims.project_id));
    }
    // Strict mode issues tokens to `huawei.users` alone, but the token key is the store's: a
    // token a permissive process issued to anyone, or one of a user since removed or no
    // longer allowed the project, must not outlive that here.
    // The domain as IAM matched it at issue: by name, or by the id derived from the name.
    let user = config
        .settings
        .users
        .get(&claims.user)
        .filter(|u| {
            u.domain == claims.domain_name
                || crate::caller::derived_id("domain", &[&u.domain]) == claims.domain_id
        })
        .ok_or(AuthError::InvalidToken)?;
    if !user.projects.allow(project) {
        return Err(AuthError::UserNotAllowed {
            project: project.to_string(),
        });
    }
    Ok(())
}
