//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kms_core::{Clock, Kms, SystemClock};

use crate::auth::authenticate;
use crate::caller::{Caller, ProjectId, invalid_project};
use crate::error::{ErrorCode, HuaweiError};
use crate::iam;
use crate::input::Input;
use crate::ops::{Ctx, Route, route};
use crate::token::TokenIssuer;

/// Huawei's default token validity.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// An access key's secret and the projects it may act on (empty: any).
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub secret_key: String,
    pub projects: Vec<ProjectId>,
}

/// An IAM user that may obtain tokens in strict mode.
#[derive(Clone, PartialEq, Eq)]
pub struct IamUser {
    pub password: String,
    /// The account (domain) name the user belongs to.
    pub domain: String,
    /// Projects the user may scope a token to (empty: any).
    pub projects: Vec<ProjectId>,
}

/// How a Huawei listener behaves; every field has a default a plain SDK user expects.
#[derive(Clone)]
pub struct HuaweiConfig {
    /// Verify AK/SK signatures against `credentials`, accept only tokens this process issued
    /// (or `static_tokens`), issue tokens only to `users`.
    pub strict_auth: bool,
    /// AK → secret key and allowed projects, used in strict mode.
    pub credentials: HashMap<String, AccessKey>,
    /// IAM user name → password, domain and allowed projects, used in strict mode.
    pub users: HashMap<String, IamUser>,
    /// Fixed X-Auth-Tokens (token → the project it is scoped to); they never expire.
    pub static_tokens: HashMap<String, ProjectId>,
    /// Validity of issued tokens (24 h by default), judged by `clock`.
    pub token_ttl: Duration,
    /// The region keys report as their realm (`cn-north-4` by default).
    pub region: String,
    /// The emulated clock: token issue and expiry follow the time users fast-forward.
    pub clock: Arc<dyn Clock>,
    /// The real clock `X-Sdk-Date` is checked against (never the emulated one).
    pub signature_clock: Arc<dyn Clock>,
}

impl Default for HuaweiConfig {
    fn default() -> Self {
        HuaweiConfig {
            strict_auth: false,
            credentials: HashMap::new(),
            users: HashMap::new(),
            static_tokens: HashMap::new(),
            token_ttl: DEFAULT_TOKEN_TTL,
            region: "cn-north-4".to_owned(),
            clock: Arc::new(SystemClock),
            signature_clock: Arc::new(SystemClock),
        }
    }
}

fn sorted<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut v: Vec<&String> = keys.collect();
    v.sort();
    v
}

impl fmt::Debug for HuaweiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs: access key ids and user names only, and for static tokens
        // (which are secrets themselves) only the projects they open.
        let mut token_projects: Vec<&str> =
            self.static_tokens.values().map(ProjectId::as_str).collect();
        token_projects.sort_unstable();
        f.debug_struct("HuaweiConfig")
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &sorted(self.credentials.keys()))
            .field("users", &sorted(self.users.keys()))
            .field("static_tokens_for_projects", &token_projects)
            .field("token_ttl", &self.token_ttl)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("projects", &self.projects)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for IamUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamUser")
            .field("domain", &self.domain)
            .field("projects", &self.projects)
            .finish_non_exhaustive()
    }
}

/// The Huawei KMS endpoint (and its IAM token call) over a shared engine.
#[derive(Debug)]
pub struct HuaweiDialect {
    kms: Arc<Kms>,
    config: HuaweiConfig,
    /// `None` only if the system could not provide randomness for the secret: then no token
    /// is issued and none verifies, while AK/SK and static tokens keep working.
    tokens: Option<TokenIssuer>,
}

impl HuaweiDialect {
    pub fn new(kms: Arc<Kms>, config: HuaweiConfig) -> Self {
        HuaweiDialect {
            kms,
            config,
            tokens: TokenIssuer::generate().ok(),
        }
    }

    /// Answers one request. Never panics on client input; every failure is a Huawei error.
    pub fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
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

    /// The answer when the server refuses a body over `limit` bytes before reading it.
    pub fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>> {
        crate::response::error(&HuaweiError::bad(
            ErrorCode::Kms0203,
            format!("Request message too long: the body must be at most {limit} bytes."),
        ))
    }

    /// The answer when the server could not read or convert a request (a broken body, an
    /// unrepresentable header): the client's fault, reported as an unreadable message.
    pub fn bad_request(&self, reason: &str) -> http::Response<Vec<u8>> {
        crate::response::error(&HuaweiError::bad(
            ErrorCode::Kms0202,
            format!("The request message could not be read: {reason}."),
        ))
    }

    /// The answer when the server itself failed around a request: Huawei's system
    /// exception, with a 5xx so SDK retry logic sees a server fault.
    pub fn internal_error(&self) -> http::Response<Vec<u8>> {
        crate::response::error(&HuaweiError::internal())
    }

    /// The answer when a request could not start in time: the gateway's backend time-out
    /// (504, so clients know nothing happened and may retry).
    pub fn timed_out(&self) -> http::Response<Vec<u8>> {
        crate::response::error(&HuaweiError::new(
            504,
            ErrorCode::Apig0201,
            "Backend timeout.",
        ))
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
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_holds_no_secrets() {
        let mut config = HuaweiConfig::default();
        config.credentials.insert(
            "HPUAEXAMPLE".into(),
            AccessKey {
                secret_key: "TopSecretKey".into(),
                projects: vec![],
            },
        );
        config.users.insert(
            "alice".into(),
            IamUser {
                password: "Passw0rd!".into(),
                domain: "acme".into(),
                projects: vec![],
            },
        );
        config.static_tokens.insert(
            "MIIstatictokenvalue".into(),
            ProjectId::parse("p1").unwrap(),
        );
        let shown = format!("{config:?} {:?}", config.credentials["HPUAEXAMPLE"]);
        for secret in ["TopSecretKey", "Passw0rd!", "MIIstatictokenvalue"] {
            assert!(!shown.contains(secret), "{secret} leaks: {shown}");
        }
        assert!(shown.contains("HPUAEXAMPLE") && shown.contains("alice") && shown.contains("p1"));
    }

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
