//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::sync::Arc;

use dialect_kit::{Dialect, Edge};
use kms_core::{Clocks, Kms};

use crate::auth::authenticate;
use crate::caller::Caller;
use crate::error::{ErrorCode, TencentError};
use crate::framing::Framed;
use crate::ops::{Ctx, resolve_action};
use crate::quota::Quotas;
use crate::response;
use crate::settings::Settings;

/// The only API version of Tencent KMS.
pub const API_VERSION: &str = "2019-01-18";

/// The Tencent KMS endpoint over a shared engine.
#[derive(Debug)]
pub struct TencentDialect {
    kms: Arc<Kms>,
    settings: Settings,
    clocks: Clocks,
    quotas: Quotas,
}

impl TencentDialect {
    /// `X-TC-Timestamp` is checked against `clocks.real`; quota windows are measured on
    /// `clocks.emulated`, so tests step to the next window instead of sleeping.
    pub fn new(kms: Arc<Kms>, settings: Settings, clocks: Clocks) -> Self {
        let quotas = Quotas::new(settings.quotas.clone(), Arc::clone(&clocks.emulated));
        TencentDialect {
            kms,
            settings,
            clocks,
            quotas,
        }
    }

    /// Authenticate, check action and version, admit under the quota, parse, run.
    fn answer(
        &self,
        request: &http::Request<Vec<u8>>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, TencentError> {
        let framed = Framed::parse(request)?;
        let account = authenticate(request, &framed, &self.settings, &*self.clocks.real)?;
        let action_name = framed.common.action.clone().ok_or_else(|| {
            TencentError::new(
                ErrorCode::MissingParameter,
                "The request is missing a required parameter `Action` (the X-TC-Action header).",
            )
        })?;
        match framed.common.version.as_deref() {
            Some(API_VERSION) => {}
            Some(other) => {
                return Err(TencentError::new(
                    ErrorCode::NoSuchVersion,
                    format!(
                        "The requested version `{other}` of service `kms` does not exist; kms supports only {API_VERSION}."
                    ),
                ));
            }
            None => {
                return Err(TencentError::new(
                    ErrorCode::MissingParameter,
                    "The request is missing a required parameter `Version` (the X-TC-Version header).",
                ));
            }
        }
        let action = resolve_action(&action_name)?;
        let caller = Caller::new(account, framed.common.region.as_deref())?;
        self.quotas.admit(&caller.tenant, action)?;
        let params = framed.params()?;
        action.check_parameters(&params)?;
        let ctx = Ctx {
            kms: &self.kms,
            caller: &caller,
            settings: &self.settings,
        };
        action.run(&ctx, &params)
    }
}

impl Dialect for TencentDialect {
    /// Never panics on client input; every answer is HTTP 200 in Tencent's envelope, errors
    /// included (the SDK reads nothing else).
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        match self.answer(&request) {
            Ok(fields) => response::ok(fields),
            Err(e) => response::error(&e),
        }
    }

    fn edge(&self, edge: Edge<'_>) -> http::Response<Vec<u8>> {
        let error = match edge {
            // The platform's own code for an oversized request.
            Edge::BodyTooLarge { limit } => TencentError::new(
                ErrorCode::RequestSizeLimitExceeded,
                format!("The request body must be at most {limit} bytes."),
            ),
            // Tencent's generic code for a request it cannot use.
            Edge::BadRequest { reason } => TencentError::new(
                ErrorCode::InvalidParameter,
                format!("The request could not be read: {reason}."),
            ),
            // Nothing was done and a retry is safe: KMS's "service temporarily unavailable"
            // says exactly that (ImportKeyMaterial documents it), where a plain
            // InternalError would not.
            Edge::TimedOut => TencentError::new(
                ErrorCode::UnsupportedOperationServiceTemporaryUnavailable,
                "The service is temporarily unavailable (the request timed out before it was handled); try again.",
            ),
            Edge::InternalError => TencentError::new(
                ErrorCode::InternalError,
                "An internal error occurred; try again later.",
            ),
        };
        response::error(&error)
    }
}
