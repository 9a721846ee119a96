//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::collections::BTreeMap;
use std::sync::Arc;

use dialect_kit::percent;
use dialect_kit::{Dialect, Edge, SeedPlacement, SeedTerms, Summary};
use kms_core::{Clocks, Kms};

use crate::auth::authenticate;
use crate::caller::{Caller, ProjectId, invalid_project};
use crate::error::{ErrorCode, HuaweiError};
use crate::iam;
use crate::input::Input;
use crate::ops::{Ctx, Route, route};
use crate::settings::Settings;
use crate::token::TokenIssuer;

/// The IAM SDK's name for `POST /v3/auth/tokens` (password identity).
const IAM_TOKEN_OPERATION: &str = "KeystoneCreateUserTokenByPassword";

/// What authentication and IAM read besides the request.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) settings: Settings,
    /// Signature dates are checked against `real`; issued tokens live on `emulated`, so users
    /// can fast-forward past their 24 hours.
    pub(crate) clocks: Clocks,
}

/// The Huawei KMS endpoint (and its IAM token call) over a shared engine.
#[derive(Debug)]
pub struct HuaweiDialect {
    kms: Arc<Kms>,
    config: Config,
    /// Always present (kept optional for `auth` and `iam`, which also serve without one).
    tokens: Option<TokenIssuer>,
}

impl HuaweiDialect {
    pub fn new(kms: Arc<Kms>, settings: Settings, clocks: Clocks) -> Self {
        HuaweiDialect {
            // From the root key: every process sharing the store verifies the tokens of the
            // others, and tokens survive a restart of a durable store.
            tokens: Some(TokenIssuer::for_engine(&kms)),
            kms,
            config: Config { settings, clocks },
        }
    }

    fn kms_call(
        &self,
        request: &http::Request<Vec<u8>>,
        project: &str,
        operation: crate::ops::Operation,
        summary: &mut Summary,
    ) -> Result<serde_json::Value, HuaweiError> {
        summary.operation = Some(operation.name());
        let project = ProjectId::parse(project).ok_or_else(|| invalid_project(project))?;
        authenticate(request, &project, &self.config, self.tokens.as_ref())?;
        let caller = Caller::new(project)?;
        summary.tenant = Some(caller.tenant.to_string());
        let input = if request.method() == http::Method::GET {
            Input::from_pairs(query_pairs(request.uri().query().unwrap_or("")))
        } else {
            Input::parse(request.body())?
        };
        input.check_sequence()?;
        let ctx = Ctx {
            kms: &self.kms,
            caller: &caller,
            config: &self.config,
        };
        let result = operation.run(&ctx, &input);
        summary.key_id = input.named_key().map(|id| id.to_string());
        result
    }
}

impl Dialect for HuaweiDialect {
    /// Never panics on client input; every failure is a Huawei error.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let mut summary = Summary::default();
        let result = match route(request.method(), request.uri().path()) {
            Err(e) => Err(e),
            Ok(Route::IamTokens) => {
                summary.operation = Some(IAM_TOKEN_OPERATION);
                iam::issue_token(&request, &self.config, self.tokens.as_ref())
            }
            Ok(Route::Kms { project, operation }) => self
                .kms_call(&request, project, operation, &mut summary)
                .map(|body| crate::response::success(operation.success_status(), &body)),
        };
        let response = result.unwrap_or_else(|e| {
            summary.error_code = Some(e.code.as_str());
            crate::response::error(&e)
        });
        summary.finish(response, crate::response::REQUEST_ID)
    }

    fn recognizes(&self, request: &http::Request<Vec<u8>>) -> bool {
        let headers = request.headers();
        let path = request.uri().path();
        let kms_path = path
            .strip_prefix("/v1.0/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(_, rest)| rest.starts_with("kms/"));
        kms_path
            || path == "/v3/auth/tokens"
            || headers.contains_key("x-auth-token")
            || headers.contains_key("x-sdk-date")
            || headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with(crate::signer::ALGORITHM))
    }

    fn is_quick(&self, request: &http::Request<Vec<u8>>) -> bool {
        // IAM's token call is not: issuing a token writes nothing, but it is rare.
        matches!(
            route(request.method(), request.uri().path()),
            Ok(Route::Kms { operation, .. })
                if operation.is_quick() && !operation.may_be_asymmetric(request.body())
        )
    }

    fn tenant(&self, terms: &BTreeMap<String, String>) -> Result<String, String> {
        let wanted = "a Huawei tenant is {\"project_id\": \"<project id>\"}";
        let (Some(project), 1) = (terms.get("project_id"), terms.len()) else {
            return Err(wanted.to_owned());
        };
        let project = ProjectId::parse(project)
            .ok_or_else(|| format!("{project:?} is not a Huawei project id"))?;
        Caller::new(project)
            .map(|caller| caller.tenant.to_string())
            .map_err(|e| e.message)
    }

    fn seed_placement(&self, terms: &SeedTerms<'_>) -> Result<SeedPlacement, String> {
        crate::seed::placement(terms)
    }

    fn edge(&self, edge: Edge<'_>) -> http::Response<Vec<u8>> {
        let error = match edge {
            Edge::BodyTooLarge { limit } => HuaweiError::bad(
                ErrorCode::Kms0203,
                format!("Request message too long: the body must be at most {limit} bytes."),
            ),
            // The client's fault, reported as an unreadable message.
            Edge::BadRequest { reason } => HuaweiError::bad(
                ErrorCode::Kms0202,
                format!("The request message could not be read: {reason}."),
            ),
            // The gateway's backend time-out (504, so clients know nothing happened and may
            // retry).
            Edge::TimedOut => HuaweiError::new(504, ErrorCode::Apig0201, "Backend timeout."),
            // Huawei's system exception, with a 5xx so SDK retry logic sees a server fault.
            Edge::InternalError => HuaweiError::internal(),
            // The gateway's own answer for a path it does not publish.
            Edge::Misdirected { message } => HuaweiError::new(404, ErrorCode::Apig0101, message),
        };
        let summary = Summary {
            error_code: Some(error.code.as_str()),
            ..Summary::default()
        };
        summary.finish(crate::response::error(&error), crate::response::REQUEST_ID)
    }
}

/// Query parameters, percent-decoded (`+` is not a space: the SDK encodes spaces as %20).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    String::from_utf8_lossy(&percent::decode_lenient(s)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            query_pairs("key_id=a%2Fb&limit=10&marker"),
            vec![
                ("key_id".to_owned(), "a/b".to_owned()),
                ("limit".to_owned(), "10".to_owned()),
                ("marker".to_owned(), String::new()),
            ]
        );
    }
}
