//! The dialect as a service: one HTTP request in, one HTTP response out. Blocking (RSA and
//! SM2 work happens inside), so a server must call it off its async workers.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use kms_core::{Clock, Kms, SystemClock};

use crate::auth::authenticate;
use crate::caller::Caller;
use crate::error::{ErrorCode, TencentError};
use crate::framing::Framed;
use crate::ops::{Ctx, resolve_action};
use crate::quota::{QuotaConfig, Quotas};
use crate::response;

/// The only API version of Tencent KMS.
pub const API_VERSION: &str = "2019-01-18";

/// How a Tencent listener behaves; every field has a default a plain SDK user expects.
#[derive(Clone)]
pub struct TencentConfig {
    /// The account keys belong to when the SecretId is not configured.
    pub default_account: Account,
    /// Verify signatures against `credentials` and refuse unknown SecretIds.
    pub strict_auth: bool,
    /// SecretId → its SecretKey and account. The account applies in every mode; the key is
    /// checked in strict mode.
    pub credentials: HashMap<String, Credential>,
    /// Which ciphers new keys get, as a Tencent region's compliance edition decides.
    pub edition: Edition,
    /// Per-action request quotas.
    pub quotas: QuotaConfig,
    /// The real clock that `X-TC-Timestamp` is checked against (never the emulated one).
    pub signature_clock: Arc<dyn Clock>,
    /// The clock quota windows are measured on (a server passes its emulated clock, so tests
    /// can move to the next window without waiting).
    pub quota_clock: Arc<dyn Clock>,
}

impl Default for TencentConfig {
    fn default() -> Self {
        TencentConfig {
            default_account: Account::DEFAULT,
            strict_auth: false,
            credentials: HashMap::new(),
            edition: Edition::Fips,
            quotas: QuotaConfig::default(),
            signature_clock: Arc::new(SystemClock),
            quota_clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for TencentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs: list only which SecretIds are configured.
        let mut ids: Vec<&String> = self.credentials.keys().collect();
        ids.sort();
        f.debug_struct("TencentConfig")
            .field("default_account", &self.default_account)
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &ids)
            .field("edition", &self.edition)
            .field("quotas", &self.quotas)
            .finish_non_exhaustive()
    }
}

/// What a configured SecretId stands for.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub secret_key: String,
    pub account: Account,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// A Tencent Cloud account id (uin): a positive decimal number, sent as a JSON integer in
/// `CreatorUin`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account(u64);

impl Account {
    pub const DEFAULT: Account = Account(100_000_000_001);

    /// 1 to 19 digits without a leading zero (so it fits the SDK's integer fields).
    pub fn parse(s: &str) -> Option<Account> {
        let digits = !s.is_empty()
            && s.len() <= 19
            && !s.starts_with('0')
            && s.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return None;
        }
        s.parse().ok().map(Account)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({})", self.0)
    }
}

/// Tencent regions are either FIPS-compliant (AES-256 keys, KeyMetadata.Type 2) or SM-CRYPTO
/// ("国密", SM4 keys, Type 4). The emulator takes one edition for the whole listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Edition {
    #[default]
    Fips,
    Sm,
}

impl Edition {
    pub fn parse(s: &str) -> Option<Edition> {
        match s {
            "fips" => Some(Edition::Fips),
            "sm" => Some(Edition::Sm),
            _ => None,
        }
    }

    pub fn key_spec(self) -> kms_core::KeySpec {
        match self {
            Edition::Fips => kms_core::KeySpec::Aes256,
            Edition::Sm => kms_core::KeySpec::Sm4,
        }
    }
}

/// The Tencent KMS endpoint over a shared engine.
#[derive(Debug)]
pub struct TencentDialect {
    kms: Arc<Kms>,
    config: TencentConfig,
    quotas: Quotas,
}

impl TencentDialect {
    pub fn new(kms: Arc<Kms>, config: TencentConfig) -> Self {
        let quotas = Quotas::new(config.quotas.clone(), Arc::clone(&config.quota_clock));
        TencentDialect {
            kms,
            config,
            quotas,
        }
    }

    /// Answers one request. Never panics on client input; every answer is HTTP 200 in
    /// Tencent's envelope, errors included (the SDK reads nothing else).
    pub fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        match self.answer(&request) {
            Ok(fields) => response::ok(fields),
            Err(e) => response::error(&e),
        }
    }

    /// Authenticate, check action and version, admit under the quota, parse, run.
    fn answer(
        &self,
        request: &http::Request<Vec<u8>>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, TencentError> {
        let framed = Framed::parse(request)?;
        let account = authenticate(request, &framed, &self.config)?;
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
            config: &self.config,
        };
        action.run(&ctx, &params)
    }

    /// The answer when the server refuses a body over `limit` bytes before reading it: the
    /// platform's own code for an oversized request.
    pub fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>> {
        response::error(&TencentError::new(
            ErrorCode::RequestSizeLimitExceeded,
            format!("The request body must be at most {limit} bytes."),
        ))
    }

    /// The answer when the server could not read or convert a request (a body that broke
    /// off, an unrepresentable header): Tencent's generic code for a request it cannot use.
    pub fn bad_request(&self, reason: &str) -> http::Response<Vec<u8>> {
        response::error(&TencentError::new(
            ErrorCode::InvalidParameter,
            format!("The request could not be read: {reason}."),
        ))
    }

    /// The answer when the server itself failed around a request.
    pub fn internal_error(&self) -> http::Response<Vec<u8>> {
        response::error(&TencentError::new(
            ErrorCode::InternalError,
            "An internal error occurred; try again later.",
        ))
    }

    /// The answer when a request could not start within the server's time limit. Nothing was
    /// done and a retry is safe: KMS's "service temporarily unavailable" says exactly that
    /// (ImportKeyMaterial documents it), where a plain InternalError would not.
    pub fn timed_out(&self) -> http::Response<Vec<u8>> {
        response::error(&TencentError::new(
            ErrorCode::UnsupportedOperationServiceTemporaryUnavailable,
            "The service is temporarily unavailable (the request timed out before it was handled); try again.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_positive_decimal_uins() {
        assert_eq!(Account::parse("100000000001"), Some(Account::DEFAULT));
        for bad in ["", "0", "012", "12a", "-5", "99999999999999999999"] {
            assert_eq!(Account::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let mut config = TencentConfig::default();
        config.credentials.insert(
            "AKIDvisible".into(),
            Credential {
                secret_key: "TopSecret".into(),
                account: Account::DEFAULT,
            },
        );
        let shown = format!("{config:?}");
        assert!(shown.contains("AKIDvisible"));
        assert!(!shown.contains("TopSecret"));
    }
}
