//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use kms_core::{Clock, Kms, SystemClock};
use serde_json::Value;

use crate::auth::authenticate;
use crate::error::AwsError;
use crate::input::Input;
use crate::ops::{Ctx, Operation, unknown_operation};

/// How an AWS listener behaves; every field has a default a plain `boto3` user expects.
#[derive(Clone)]
pub struct AwsConfig {
    /// The account keys belong to when the access key id is not itself 12 digits.
    pub default_account: Account,
    /// Verify signatures against `credentials` and refuse unknown access keys.
    pub strict_auth: bool,
    /// Access key id → secret access key, used in strict mode.
    pub credentials: HashMap<String, String>,
    /// Accept RSAES_PKCS1_V1_5, which AWS refuses since 2023-10-10 (for old scripts only).
    pub allow_rsaes_pkcs1_v1_5: bool,
    /// The real clock that signature timestamps are checked against (never the emulated one).
    pub signature_clock: Arc<dyn Clock>,
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            default_account: Account::DEFAULT,
            strict_auth: false,
            credentials: HashMap::new(),
            allow_rsaes_pkcs1_v1_5: false,
            signature_clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for AwsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs: list only which access keys are configured.
        let mut ids: Vec<&String> = self.credentials.keys().collect();
        ids.sort();
        f.debug_struct("AwsConfig")
            .field("default_account", &self.default_account)
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &ids)
            .field("allow_rsaes_pkcs1_v1_5", &self.allow_rsaes_pkcs1_v1_5)
            .finish_non_exhaustive()
    }
}

/// A 12-digit AWS account id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Account([u8; 12]);

impl Account {
    pub const DEFAULT: Account = Account(*b"000000000000");

    pub fn parse(s: &str) -> Option<Account> {
        let bytes: [u8; 12] = s.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_digit)
            .then_some(Account(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("000000000000")
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({})", self.as_str())
    }
}

/// The AWS KMS endpoint over a shared engine.
#[derive(Debug)]
pub struct AwsDialect {
    kms: Arc<Kms>,
    config: AwsConfig,
}

impl AwsDialect {
    pub fn new(kms: Arc<Kms>, config: AwsConfig) -> Self {
        AwsDialect { kms, config }
    }

    /// Answers one request. Never panics on client input; every failure is an AWS error body.
    pub fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        match self.answer(&request) {
            Ok(Some(body)) => crate::response::ok(&body),
            Ok(None) => crate::response::empty(),
            Err(e) => crate::response::error(&e),
        }
    }

    /// Authenticate, route by `X-Amz-Target`, parse the body, run the operation.
    fn answer(&self, request: &http::Request<Vec<u8>>) -> Result<Option<Value>, AwsError> {
        let caller = authenticate(request, &self.config)?;
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok());
        let operation = match target {
            Some(t) if request.method() == http::Method::POST => Operation::from_target(t),
            _ => None,
        }
        .ok_or_else(|| unknown_operation(target))?;
        let input = Input::parse(request.body())?;
        let ctx = Ctx {
            kms: &self.kms,
            caller: &caller,
            config: &self.config,
        };
        operation.run(&ctx, &input)
    }

    /// The answer when the server refuses a body over `limit` bytes before reading it.
    pub fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>> {
        crate::response::error(&crate::error::AwsError::new(
            crate::error::ErrorCode::ValidationException,
            format!("Request body must be at most {limit} bytes"),
        ))
    }

    /// The answer when the server could not read or convert a request (a broken body, an
    /// unrepresentable header): the client's fault, in AWS's shape.
    pub fn bad_request(&self, reason: &str) -> http::Response<Vec<u8>> {
        crate::response::error(&crate::error::AwsError::new(
            crate::error::ErrorCode::ValidationException,
            format!("The request could not be read: {reason}"),
        ))
    }

    /// The answer when the server itself failed around a request (a handler that panicked,
    /// a worker pool that is gone). Retryable, as AWS's own internal errors are.
    pub fn internal_error(&self) -> http::Response<Vec<u8>> {
        crate::response::error(&crate::error::AwsError::new(
            crate::error::ErrorCode::KmsInternalException,
            "Internal error.",
        ))
    }

    /// The answer when a request ran past the server's time limit.
    pub fn timed_out(&self) -> http::Response<Vec<u8>> {
        crate::response::error(&crate::error::AwsError::new(
            crate::error::ErrorCode::DependencyTimeoutException,
            "The request timed out",
        ))
    }
}
