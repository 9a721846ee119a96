//! AWS KMS through `dialect-aws`.

use std::sync::Arc;

use dialect_aws::{AwsConfig, AwsDialect};
use kms_core::{Kms, SystemClock};

use crate::dialect::Dialect;
use crate::settings::AwsSettings;

#[derive(Debug)]
pub(crate) struct AwsAdapter(AwsDialect);

impl AwsAdapter {
    pub(crate) fn new(kms: Arc<Kms>, settings: &AwsSettings) -> Self {
        AwsAdapter(AwsDialect::new(
            kms,
            AwsConfig {
                default_account: settings.default_account.0,
                strict_auth: settings.strict_auth,
                credentials: settings
                    .credentials
                    .iter()
                    .map(|(id, secret)| (id.clone(), secret.clone()))
                    .collect(),
                allow_rsaes_pkcs1_v1_5: settings.allow_rsaes_pkcs1_v1_5,
                // Signatures are dated by real SDK clocks, which the emulated clock's
                // fast-forwarding must not push out of the allowed skew.
                signature_clock: Arc::new(SystemClock),
            },
        ))
    }
}

impl Dialect for AwsAdapter {
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
