//! `[aws]`: everything an AWS listener can be told, read by the server from its configuration
//! layers and validated here.

use std::collections::BTreeMap;
use std::fmt;

use dialect_kit::{DialectSettings, ListenAddr};
use serde::Deserialize;

use crate::account::Account;

/// How an AWS listener behaves; every default is what a plain `boto3` user expects.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `aws.listen`: `HOST:PORT` of the AWS listener (port 0: any free port).
    /// Default `127.0.0.1:8411`.
    pub listen: ListenAddr,
    /// `aws.default_account`: the 12-digit account keys belong to when the access key id is
    /// not itself an account id. Default `000000000000`.
    pub default_account: Account,
    /// `aws.strict_auth`: verify SigV4 signatures against `aws.credentials` and refuse unknown
    /// access keys. Default false: the signature is only parsed, for the account (a 12-digit
    /// access key id) and the region of its credential scope.
    pub strict_auth: bool,
    /// `[aws.credentials]`: access key id → secret access key, used when `strict_auth` is on.
    /// Default empty.
    pub credentials: BTreeMap<String, String>,
    /// `aws.allow_rsaes_pkcs1_v1_5`: accept the RSAES_PKCS1_V1_5 wrapping algorithm, which AWS
    /// stopped accepting in 2023 (for old scripts only). Default false.
    pub allow_rsaes_pkcs1_v1_5: bool,
    /// `aws.known_regions_only`: refuse credential scopes naming a region AWS does not have
    /// (`InvalidSignatureException`, as AWS answers a wrongly scoped signature), so a typo
    /// does not quietly become a tenant of its own. Default false.
    pub known_regions_only: bool,
}

/// The listener's port on loopback when no address is configured.
pub const DEFAULT_PORT: u16 = 8411;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: ListenAddr::loopback(DEFAULT_PORT),
            default_account: Account::DEFAULT,
            strict_auth: false,
            credentials: BTreeMap::new(),
            allow_rsaes_pkcs1_v1_5: false,
            known_regions_only: false,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs and error messages: only which access keys are configured.
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("default_account", &self.default_account)
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("allow_rsaes_pkcs1_v1_5", &self.allow_rsaes_pkcs1_v1_5)
            .field("known_regions_only", &self.known_regions_only)
            .finish()
    }
}

/// `[aws]` values that parsed but cannot work together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSettings {
    #[error(
        "aws.strict_auth is on but aws.credentials is empty, so every request would be refused"
    )]
    StrictAuthWithoutCredentials,
}

impl DialectSettings for Settings {
    const SECTION: &'static str = "aws";
    const CASE_KEPT_MAPS: &'static [&'static [&'static str]] = &[&["credentials"]];
    type Invalid = InvalidSettings;

    fn validate(&self) -> Result<(), InvalidSettings> {
        if self.strict_auth && self.credentials.is_empty() {
            return Err(InvalidSettings::StrictAuthWithoutCredentials);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json(v: serde_json::Value) -> Result<Settings, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn defaults() {
        let s = Settings::default();
        assert_eq!(s.listen.as_str(), "127.0.0.1:8411");
        assert_eq!(s.default_account, Account::DEFAULT);
        assert!(!s.strict_auth && s.credentials.is_empty() && !s.allow_rsaes_pkcs1_v1_5);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn parses_typed_values_and_refuses_bad_ones() {
        let s = from_json(serde_json::json!({
            "default_account": "111122223333",
            "strict_auth": true,
            "credentials": { "AKIAEXAMPLE": "s3cr3t-Value" },
        }))
        .unwrap();
        assert_eq!(s.default_account.to_string(), "111122223333");
        assert_eq!(s.validate(), Ok(()));
        let e = from_json(serde_json::json!({ "default_account": "12345" })).unwrap_err();
        assert!(e.to_string().contains("12-digit"), "{e}");
        let e = from_json(serde_json::json!({ "listen": "8411" })).unwrap_err();
        assert!(e.to_string().contains("HOST:PORT"), "{e}");
        let e = from_json(serde_json::json!({ "lisen": "127.0.0.1:1" })).unwrap_err();
        assert!(e.to_string().contains("lisen"), "{e}");
    }

    #[test]
    fn strict_mode_needs_credentials() {
        let s = Settings {
            strict_auth: true,
            ..Settings::default()
        };
        let e = s.validate().unwrap_err();
        assert!(e.to_string().contains("aws.credentials"), "{e}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = Settings {
            credentials: [("AKIAEXAMPLE".to_owned(), "s3cr3t-Value".to_owned())].into(),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(
            shown.contains("AKIAEXAMPLE") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
