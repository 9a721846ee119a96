//! IAM's `POST /v3/auth/tokens` on the Huawei listener: a password identity with a project
//! scope gets a 201 whose `X-Subject-Token` header is the token for `X-Auth-Token`.
//!
//! Permissive mode issues a token to any user name and password (the domain and project are
//! taken as given); strict mode only to configured users with their password, in their
//! domain, for a project they are allowed. Tokens expire after the configured TTL on the
//! emulated clock.

use dialect_kit::calendar::DateTime;
use dialect_kit::signing::constant_time_eq;
use http::{HeaderValue, Response};
use kms_core::Timestamp;
use serde_json::{Value, json};

use crate::caller::{ProjectId, derived_id};
use crate::error::{ErrorCode, HuaweiError};
use crate::service::Config;
use crate::token::{MAX_CLAIM_LEN, TokenClaims, TokenIssuer};

fn bad(message: impl Into<String>) -> HuaweiError {
    HuaweiError::new(400, ErrorCode::IamBadRequest, message)
}

fn unauthorized(message: impl Into<String>) -> HuaweiError {
    HuaweiError::new(401, ErrorCode::IamUnauthorized, message)
}

/// A string member at `path` inside `v`, if present and a non-empty string.
fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// A domain as the request names it: by name, or by id only.
struct Domain {
    name: String,
    id: String,
}

struct PasswordAuth {
    user: String,
    password: String,
    domain: Domain,
    project_id: Option<ProjectId>,
    project_name: Option<String>,
}

fn parse(body: &[u8]) -> Result<PasswordAuth, HuaweiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("The request body is not valid JSON: {e}.")))?;
    let methods = v
        .pointer("/auth/identity/methods")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("auth.identity.methods is required."))?;
    if !methods.iter().any(|m| m.as_str() == Some("password")) {
        return Err(bad(
            "Only the password identity method is supported by kmsgate.",
        ));
    }
    let user = v
        .pointer("/auth/identity/password/user")
        .ok_or_else(|| bad("auth.identity.password.user is required."))?;
    let name = text(user, &["name"]).ok_or_else(|| bad("The user name is required."))?;
    let password =
        text(user, &["password"]).ok_or_else(|| bad("The user password is required."))?;
    let domain = match (
        text(user, &["domain", "name"]),
        text(user, &["domain", "id"]),
    ) {
        (Some(n), _) => Domain {
            name: n.to_owned(),
            id: derived_id("domain", &[n]),
        },
        (None, Some(id)) => Domain {
            name: id.to_owned(),
            id: id.to_owned(),
        },
        (None, None) => return Err(bad("The user's domain (name or id) is required.")),
    };
    let scope = v
        .pointer("/auth/scope/project")
        .ok_or_else(|| bad("A project scope (auth.scope.project) is required for KMS tokens."))?;
    let project_id = match text(scope, &["id"]) {
        Some(id) => Some(
            ProjectId::parse(id)
                .ok_or_else(|| bad(format!("The project id '{id}' is invalid.")))?,
        ),
        None => None,
    };
    let project_name = text(scope, &["name"]);
    if project_id.is_none() && project_name.is_none() {
        return Err(bad("The project scope needs an id or a name."));
    }
    for (what, s) in [("user name", name), ("domain", domain.name.as_str())] {
        if s.len() > MAX_CLAIM_LEN || s.chars().any(char::is_control) {
            return Err(bad(format!("The {what} is invalid.")));
        }
    }
    if project_name.is_some_and(|n| n.len() > MAX_CLAIM_LEN || n.chars().any(char::is_control)) {
        return Err(bad("The project name is invalid."));
    }
    Ok(PasswordAuth {
        user: name.to_owned(),
        password: password.to_owned(),
        domain,
        project_id,
        project_name: project_name.map(str::to_owned),
    })
}

fn claims(request: &PasswordAuth, config: &Config) -> Result<TokenClaims, HuaweiError> {
    let project_id = match (&request.project_id, request.project_name.as_deref()) {
        (Some(id), _) => id.clone(),
        (None, Some(name)) => ProjectId::named(&request.domain.id, name),
        (None, None) => return Err(bad("The project scope needs an id or a name.")),
    };
    if config.settings.strict_auth {
        let wrong = || unauthorized("The username or password is wrong.");
        let user = config.settings.users.get(&request.user).ok_or_else(wrong)?;
        let domain_matches = user.domain == request.domain.name
            || derived_id("domain", &[&user.domain]) == request.domain.id;
        if !constant_time_eq(user.password.as_bytes(), request.password.as_bytes())
            || !domain_matches
        {
            return Err(wrong());
        }
        if !user.projects.allow(&project_id) {
            return Err(unauthorized(format!(
                "The request you have made requires authentication: user {} may not access project {project_id}.",
                request.user
            )));
        }
    }
    let (now, generation) = config.clocks.emulated.now_and_generation();
    Ok(TokenClaims {
        user: request.user.clone(),
        domain_name: request.domain.name.clone(),
        domain_id: request.domain.id.clone(),
        project_name: request
            .project_name
            .clone()
            .unwrap_or_else(|| config.settings.region.clone()),
        project_id: project_id.to_string(),
        issued_at: now,
        expires_at: now.saturating_add(config.settings.token_ttl()),
        generation,
    })
}

/// `yyyy-mm-ddThh:mm:ss.ffffffZ`, the form IAM uses for `expires_at` and `issued_at`.
pub(crate) fn iso8601(t: Timestamp) -> String {
    format!(
        "{}.{:06}Z",
        DateTime::from_unix(t.as_secs()).date_time(),
        (t.as_millis() % 1000) * 1000
    )
}

fn token_body(c: &TokenClaims) -> Value {
    let domain = json!({ "id": c.domain_id, "name": c.domain_name });
    json!({
        "token": {
            "methods": ["password"],
            "expires_at": iso8601(c.expires_at),
            "issued_at": iso8601(c.issued_at),
            "user": {
                "domain": domain,
                "id": derived_id("user", &[&c.domain_id, &c.user]),
                "name": c.user,
                "password_expires_at": "",
            },
            "project": { "id": c.project_id, "name": c.project_name, "domain": domain },
            "catalog": [],
            "roles": [],
        }
    })
}

pub(crate) fn issue_token(
    request: &http::Request<Vec<u8>>,
    config: &Config,
    tokens: Option<&TokenIssuer>,
) -> Result<Response<Vec<u8>>, HuaweiError> {
    let claims = parse(request.body()).and_then(|r| claims(&r, config))?;
    let token = tokens
        .and_then(|t| t.issue(&claims))
        .ok_or_else(HuaweiError::internal)?;
    let value = HeaderValue::from_str(&token).map_err(|_| HuaweiError::internal())?;
    let mut response = crate::response::json(201, &token_body(&claims));
    response.headers_mut().insert("x-subject-token", value);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(
            iso8601(Timestamp::from_millis(0)),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            iso8601(Timestamp::from_millis(1_795_339_957_123)),
            "2026-11-22T09:32:37.123000Z"
        );
        assert_eq!(
            iso8601(Timestamp::from_secs(1_709_251_199)),
            "2024-02-29T23:59:59.000000Z"
        );
    }
}
