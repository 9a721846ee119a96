//! Tencent Cloud KMS through `dialect-tencent`.

use std::sync::Arc;

use dialect_tencent::{Credential, TencentConfig, TencentDialect};
use kms_core::{Clock, EmulatedClock, Kms, SystemClock};

use crate::dialect::Dialect;
use crate::settings::TencentSettings;

#[derive(Debug)]
pub(crate) struct TencentAdapter(TencentDialect);

impl TencentAdapter {
    pub(crate) fn new(
        kms: Arc<Kms>,
        settings: &TencentSettings,
        clock: &Arc<EmulatedClock>,
    ) -> Self {
        let default_account = settings.default_account.0;
        TencentAdapter(TencentDialect::new(
            kms,
            TencentConfig {
                default_account,
                strict_auth: settings.strict_auth,
                credentials: settings
                    .credentials
                    .iter()
                    .map(|(id, c)| {
                        let credential = Credential {
                            secret_key: c.secret_key.clone(),
                            account: c.account.map_or(default_account, |a| a.0),
                        };
                        (id.clone(), credential)
                    })
                    .collect(),
                edition: settings.edition.0,
                quotas: settings.quotas.config(),
                // Signatures are dated by real SDK clocks, which the emulated clock's
                // fast-forwarding must not push out of Tencent's five-minute window.
                signature_clock: Arc::new(SystemClock),
                // Quota windows follow the emulated clock, so tests can step to the next
                // window instead of sleeping.
                quota_clock: Arc::clone(clock) as Arc<dyn Clock>,
            },
        ))
    }
}

impl Dialect for TencentAdapter {
    fn handle(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        self.0.handle(request)
    }

    fn body_too_large(&self, limit: usize) -> http::Response<Vec<u8>> {
        self.0.body_too_large(limit)
    }

    fn timed_out(&self) -> http::Response<Vec<u8>> {
        self.0.timed_out()
    }

    fn bad_request(&self, reason: &str) -> http::Response<Vec<u8>> {
        self.0.bad_request(reason)
    }

    fn internal_error(&self) -> http::Response<Vec<u8>> {
        self.0.internal_error()
    }
}
