//! Huawei Cloud KMS through `dialect-huawei`.

use std::sync::Arc;
use std::time::Duration;

use dialect_huawei::{AccessKey, HuaweiConfig, HuaweiDialect, IamUser};
use kms_core::{Clock, EmulatedClock, Kms, SystemClock};

use crate::dialect::Dialect;
use crate::settings::HuaweiSettings;

#[derive(Debug)]
pub(crate) struct HuaweiAdapter(HuaweiDialect);

impl HuaweiAdapter {
    pub(crate) fn new(
        kms: Arc<Kms>,
        settings: &HuaweiSettings,
        clock: &Arc<EmulatedClock>,
    ) -> Self {
        HuaweiAdapter(HuaweiDialect::new(
            kms,
            HuaweiConfig {
                strict_auth: settings.strict_auth,
                credentials: settings
                    .credentials
                    .iter()
                    .map(|(ak, c)| {
                        let key = AccessKey {
                            secret_key: c.secret_key.clone(),
                            projects: c.projects.0.clone(),
                        };
                        (ak.clone(), key)
                    })
                    .collect(),
                users: settings
                    .users
                    .iter()
                    .map(|(name, u)| {
                        let user = IamUser {
                            password: u.password.clone(),
                            domain: u.domain.clone(),
                            projects: u.projects.0.clone(),
                        };
                        (name.clone(), user)
                    })
                    .collect(),
                static_tokens: settings
                    .static_tokens
                    .iter()
                    .map(|(token, project)| (token.clone(), project.0.clone()))
                    .collect(),
                token_ttl: Duration::from_secs(settings.token_ttl_secs),
                // Issued tokens expire on the emulated clock, so users can fast-forward past
                // their 24 hours; signature dates come from real SDK clocks.
                clock: Arc::clone(clock) as Arc<dyn Clock>,
                signature_clock: Arc::new(SystemClock),
                ..HuaweiConfig::default()
            },
        ))
    }
}

impl Dialect for HuaweiAdapter {
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
