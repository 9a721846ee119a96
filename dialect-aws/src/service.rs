//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::sync::Arc;

use std::cell::Cell;
use std::collections::BTreeMap;

use dialect_kit::{Dialect, Edge, SeedPlacement, SeedTerms, Summary};
use kms_core::{Clocks, Kms};
use serde_json::Value;

use crate::account::Account;
use crate::auth::authenticate;
use crate::caller::Caller;
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

    /// Authenticate, route by `X-Amz-Target`, parse the body, run the operation; what is
    /// learnt on the way goes into `summary`.
    fn answer(
        &self,
        request: &http::Request<Vec<u8>>,
        summary: &mut Summary,
    ) -> Result<Option<Value>, AwsError> {
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok());
        let operation = match target {
            Some(t) if request.method() == http::Method::POST => Operation::from_target(t),
            _ => None,
        };
        summary.operation = operation.map(|o| o.name());
        let caller = authenticate(request, &self.settings, &*self.clocks.real)?;
        summary.tenant = Some(caller.tenant.to_string());
        let operation = operation.ok_or_else(|| unknown_operation(target))?;
        let input = Input::parse(request.body())?;
        let ctx = Ctx {
            kms: &self.kms,
            caller: &caller,
            settings: &self.settings,
            operation,
            key: Cell::new(None),
        };
        let result = operation.run(&ctx, &input);
        summary.key_id = ctx.key.get().map(|id| id.to_string());
        result
    }
}

impl Dialect for AwsDialect {
    /// Never panics on client input; every failure is an AWS error body.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let mut summary = Summary::default();
        let response = match self.answer(&request, &mut summary) {
            Ok(Some(body)) => crate::response::ok(&body),
            Ok(None) => crate::response::empty(),
            Err(e) => {
                summary.error_code = Some(e.code.as_str());
                crate::response::error(&e)
            }
        };
        summary.finish(response, crate::response::REQUEST_ID)
    }

    fn recognizes(&self, request: &http::Request<Vec<u8>>) -> bool {
        let headers = request.headers();
        headers.contains_key("x-amz-target")
            || headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with(crate::sigv4::ALGORITHM))
    }

    fn is_quick(&self, request: &http::Request<Vec<u8>>) -> bool {
        request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(Operation::from_target)
            .is_some_and(|o| o.is_quick(request.body()))
    }

    fn tenant(&self, terms: &BTreeMap<String, String>) -> Result<String, String> {
        let wanted = "an AWS tenant is {\"account\": \"<12 digits>\", \"region\": \"<region>\"}";
        let (Some(account), Some(region)) = (terms.get("account"), terms.get("region")) else {
            return Err(wanted.to_owned());
        };
        if terms.len() != 2 {
            return Err(wanted.to_owned());
        }
        let account = Account::parse(account)
            .ok_or_else(|| format!("{account:?} is not a 12-digit AWS account id"))?;
        Caller::new(account, region)
            .map(|caller| caller.tenant.to_string())
            .map_err(|e| e.message)
    }

    fn seed_placement(&self, terms: &SeedTerms<'_>) -> Result<SeedPlacement, String> {
        crate::seed::placement(&self.settings, terms)
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
            // A 400 the CLI and boto3 raise, naming where AWS KMS really is.
            Edge::Misdirected { message } => {
                AwsError::new(ErrorCode::UnknownOperationException, message)
            }
        };
        let summary = Summary {
            error_code: Some(error.code.as_str()),
            ..Summary::default()
        };
        summary.finish(crate::response::error(&error), crate::response::REQUEST_ID)
    }
}
