//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::sync::Arc;

use dialect_kit::{Dialect, Edge};
use kms_core::{Clocks, Kms};
use serde_json::Value;

use crate::auth::authenticate;
use crate::error::{AwsError, ErrorCode};
use crate::input::Input;
use crate::ops::{Ctx, Operation, unknown_operation};
use crate::settings::Settings;

/// The AWS KMS endpoint over a shared engine.
#[derive(Debug)]
pub struct AwsDialect {
    kms: Arc<Kms>,
    settings: Settings,
    clocks: Clocks,
}

impl AwsDialect {
    /// Signature dates are checked against `clocks.real`.
    pub fn new(kms: Arc<Kms>, settings: Settings, clocks: Clocks) -> Self {
        AwsDialect {
            kms,
            settings,
            clocks,
        }
    }

    /// Authenticate, route by `X-Amz-Target`, parse the body, run the operation.
    fn answer(&self, request: &http::Request<Vec<u8>>) -> Result<Option<Value>, AwsError> {
        let caller = authenticate(request, &self.settings, &*self.clocks.real)?;
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
            settings: &self.settings,
        };
        operation.run(&ctx, &input)
    }
}

impl Dialect for AwsDialect {
    /// Never panics on client input; every failure is an AWS error body.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        match self.answer(&request) {
            Ok(Some(body)) => crate::response::ok(&body),
            Ok(None) => crate::response::empty(),
            Err(e) => crate::response::error(&e),
        }
    }

    fn edge(&self, edge: Edge<'_>) -> http::Response<Vec<u8>> {
        let error = match edge {
            Edge::BodyTooLarge { limit } => AwsError::new(
                ErrorCode::ValidationException,
                format!("Request body must be at most {limit} bytes"),
            ),
            // The client's fault, in AWS's shape.
            Edge::BadRequest { reason } => AwsError::new(
                ErrorCode::ValidationException,
                format!("The request could not be read: {reason}"),
            ),
            // Nothing was done, and AWS's own timeouts say a retry may work.
            Edge::TimedOut => AwsError::new(
                ErrorCode::DependencyTimeoutException,
                "The request timed out",
            ),
            // Retryable, as AWS's own internal errors are.
            Edge::InternalError => {
                AwsError::new(ErrorCode::KmsInternalException, "Internal error.")
            }
        };
        crate::response::error(&error)
    }
}
