//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::sync::Arc;

use dialect_kit::percent;
use dialect_kit::{Dialect, Edge};
use kms_core::{Clocks, Kms};

use crate::auth::authenticate;
use crate::caller::{Caller, ProjectId, invalid_project};
use crate::error::{ErrorCode, HuaweiError};
use crate::iam;
use crate::input::Input;
use crate::ops::{Ctx, Route, route};
use crate::settings::Settings;
use crate::token::TokenIssuer;

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
    /// `None` only if the system could not provide randomness for the secret: then no token
    /// is issued and none verifies, while AK/SK and static tokens keep working.
    tokens: Option<TokenIssuer>,
}

impl HuaweiDialect {
    pub fn new(kms: Arc<Kms>, settings: Settings, clocks: Clocks) -> Self {
        HuaweiDialect {
            kms,
            config: Config { settings, clocks },
            tokens: TokenIssuer::generate().ok(),
        }
    }

    fn kms_call(
        &self,
        request: &http::Request<Vec<u8>>,
        project: &str,
        operation: crate::ops::Operation,
    ) -> Result<serde_json::Value, HuaweiError> {
        let project = ProjectId::parse(project).ok_or_else(|| invalid_project(project))?;
        authenticate(request, &project, &self.config, self.tokens.as_ref())?;
        let caller = Caller::new(project)?;
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
        operation.run(&ctx, &input)
    }
}

impl Dialect for HuaweiDialect {
    /// Never panics on client input; every failure is a Huawei error.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let result = match route(request.method(), request.uri().path()) {
            Err(e) => Err(e),
            Ok(Route::IamTokens) => {
                return iam::issue_token(&request, &self.config, self.tokens.as_ref());
            }
            Ok(Route::Kms { project, operation }) => self.kms_call(&request, project, operation),
        };
        match result {
            Ok(body) => crate::response::ok(&body),
            Err(e) => crate::response::error(&e),
        }
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
        };
        crate::response::error(&error)
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
