//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::sync::Arc;

use std::cell::Cell;
use std::collections::BTreeMap;

use dialect_kit::{Dialect, Edge, SeedPlacement, SeedTerms, Summary};
use kms_core::{Clocks, Kms};

use crate::account::Account;
use crate::auth::authenticate;
use crate::caller::Caller;
use crate::error::{ErrorCode, TencentError};
use crate::framing::Framed;
use crate::ops::{Action, Ctx, resolve_action};
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

    /// Authenticate, check action and version, admit under the quota, parse, run; what is
    /// learnt on the way goes into `summary`.
    fn answer(
        &self,
        request: &http::Request<Vec<u8>>,
        summary: &mut Summary,
    ) -> Result<serde_json::Map<String, serde_json::Value>, TencentError> {
        let framed = Framed::parse(request)?;
        // Named before authentication, so a refused signature is logged with its operation;
        // only names of the routing table, never what a client made up.
        summary.operation = framed
            .common
            .action
            .as_deref()
            .and_then(|name| resolve_action(name).ok())
            .map(|action| action.name());
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
        summary.operation = Some(action.name());
        let caller = Caller::new(account, framed.common.region.as_deref())?;
        if self.settings.known_regions_only && !crate::regions::is_known(&caller.region) {
            return Err(TencentError::new(
                ErrorCode::UnsupportedRegion,
                format!(
                    "The region `{}` is not a Tencent Cloud region (tencent.known_regions_only is on).",
                    caller.region
                ),
            ));
        }
        summary.tenant = Some(caller.tenant.to_string());
        self.quotas.admit(&caller.tenant, action)?;
        let params = framed.params()?;
        action.check_parameters(&params)?;
        let ctx = Ctx {
            kms: &self.kms,
            caller: &caller,
            settings: &self.settings,
            key: Cell::new(None),
        };
        let result = action.run(&ctx, &params);
        summary.key_id = ctx.key.get().map(|id| id.to_string());
        result
    }
}

impl Dialect for TencentDialect {
    /// Never panics on client input; every answer is in Tencent's envelope, and HTTP 200,
    /// errors included (the SDK reads nothing else), unless the request is not Tencent's at
    /// all: then a 400, which its client cannot mistake for success.
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let mut summary = Summary::default();
        let mut response = match self.answer(&request, &mut summary) {
            Ok(fields) => response::ok(fields),
            Err(e) => {
                summary.error_code = Some(e.code.as_str());
                // Tencent's 200-for-everything would read as success to any other client.
                if self.recognizes(&request) {
                    response::error(&e)
                } else {
                    response::foreign_error(&e)
                }
            }
        };
        response::echo_trace_id(&request, &mut response);
        summary.finish(response, response::REQUEST_ID)
    }

    fn recognizes(&self, request: &http::Request<Vec<u8>>) -> bool {
        crate::framing::is_tencent_shaped(request)
    }

    fn is_quick(&self, request: &http::Request<Vec<u8>>) -> bool {
        // Only TC3-style requests name their action in a header; the legacy forms carry it in
        // the body or query, which this does not parse.
        request
            .headers()
            .get("x-tc-action")
            .and_then(|v| v.to_str().ok())
            .and_then(Action::from_name)
            .is_some_and(Action::is_quick)
    }

    fn tenant(&self, terms: &BTreeMap<String, String>) -> Result<String, String> {
        let wanted = "a Tencent tenant is {\"uin\": \"<account uin>\", \"region\": \"<region>\"}";
        let (Some(uin), Some(region)) = (terms.get("uin"), terms.get("region")) else {
            return Err(wanted.to_owned());
        };
        if terms.len() != 2 {
            return Err(wanted.to_owned());
        }
        let account = Account::parse(uin)
            .ok_or_else(|| format!("{uin:?} is not a Tencent account id (uin)"))?;
        Caller::new(account, Some(region))
            .map(|caller| caller.tenant.to_string())
            .map_err(|e| e.message)
    }

    fn seed_placement(&self, terms: &SeedTerms<'_>) -> Result<SeedPlacement, String> {
        crate::seed::placement(&self.settings, terms)
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
            // The SDK reads errors only from a 200, so this is as loud as Tencent's shape
            // gets; a server refuses such requests in its listener's own shape instead.
            Edge::Misdirected { message } => TencentError::new(ErrorCode::InvalidAction, message),
        };
        let summary = Summary {
            error_code: Some(error.code.as_str()),
            ..Summary::default()
        };
        summary.finish(response::error(&error), response::REQUEST_ID)
    }
}
