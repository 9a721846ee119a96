//! `[tencent]`: everything a Tencent listener can be told, read by the server from its
//! configuration layers and validated here.

use std::collections::BTreeMap;
use std::fmt;

use dialect_kit::{DialectSettings, ListenAddr};
use serde::Deserialize;

use crate::account::Account;
use crate::edition::Edition;
use crate::quota::QuotaSettings;

/// How a Tencent listener behaves; every default is what a plain SDK user expects.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `tencent.listen`: `HOST:PORT` of the Tencent listener. Default `127.0.0.1:8412`.
    pub listen: ListenAddr,
    /// `tencent.default_account`: the account (uin, a positive decimal number) keys belong to
    /// when the SecretId is not in `tencent.credentials`. Default `100000000001`.
    pub default_account: Account,
    /// `tencent.strict_auth`: verify signatures against `tencent.credentials` and refuse
    /// unknown SecretIds. Default false: the signature is parsed and its timestamp checked,
    /// nothing more.
    pub strict_auth: bool,
    /// `tencent.require_signed_action`: in strict mode, refuse TC3 requests whose
    /// `SignedHeaders` lack `x-tc-action` and `x-tc-region`, or whose body is unsigned
    /// (`X-TC-Content-SHA256: UNSIGNED-PAYLOAD`). The official SDKs sign only
    /// `content-type;host`, so a signed request could otherwise be resent within its five
    /// minutes as another action or in another region; no SDK passes this check, only
    /// clients that sign those headers themselves. Default false.
    pub require_signed_action: bool,
    /// `[tencent.credentials.<SecretId>]`: `secret_key` (checked in strict mode) and
    /// `account` (the uin the SecretId acts for, in every mode; default
    /// `tencent.default_account`). SecretIds are matched exactly. Default empty.
    pub credentials: BTreeMap<String, Credential>,
    /// `tencent.edition`: `fips` (AES-256 keys, KeyMetadata.Type 2) or `sm` (SM4 keys, Type 4,
    /// SM2PKE wrapping offered). Default `fips`.
    pub edition: Edition,
    /// `[tencent.quotas]`: per-action request quotas.
    pub quotas: QuotaSettings,
    /// `tencent.known_regions_only`: refuse regions Tencent Cloud does not have
    /// (`UnsupportedRegion`), so a typo does not quietly become a tenant of its own.
    /// Default false.
    pub known_regions_only: bool,
}

/// The listener's port on loopback when no address is configured.
pub const DEFAULT_PORT: u16 = 8412;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: ListenAddr::loopback(DEFAULT_PORT),
            default_account: Account::DEFAULT,
            strict_auth: false,
            require_signed_action: false,
            credentials: BTreeMap::new(),
            edition: Edition::Fips,
            quotas: QuotaSettings::default(),
            known_regions_only: false,
        }
    }
}

impl Settings {
    /// The account a SecretId acts for, in every auth mode.
    pub fn account_of(&self, secret_id: &str) -> Account {
        self.credentials
            .get(secret_id)
            .and_then(|c| c.account)
            .unwrap_or(self.default_account)
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs and error messages (the credential entries hide theirs).
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("default_account", &self.default_account)
            .field("strict_auth", &self.strict_auth)
            .field("require_signed_action", &self.require_signed_action)
            .field("credentials", &self.credentials)
            .field("edition", &self.edition)
            .field("quotas", &self.quotas)
            .field("known_regions_only", &self.known_regions_only)
            .finish()
    }
}

/// `[tencent.credentials.<SecretId>]`: what a configured SecretId stands for.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub secret_key: String,
    /// The uin the SecretId acts for; `tencent.default_account` when absent.
    #[serde(default)]
    pub account: Option<Account>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// `[tencent]` values that parsed but cannot work together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSettings {
    #[error(
        "tencent.strict_auth is on but tencent.credentials is empty, so every request would be refused"
    )]
    StrictAuthWithoutCredentials,
    #[error(
        "tencent.require_signed_action is on but tencent.strict_auth is off, so no signature is checked and it would protect nothing"
    )]
    RequireSignedActionWithoutStrictAuth,
    #[error("tencent.quotas.window_secs must be at least 1")]
    NoQuotaWindow,
}

impl DialectSettings for Settings {
    const SECTION: &'static str = "tencent";
    const CASE_KEPT_MAPS: &'static [&'static [&'static str]] =
        &[&["credentials"], &["quotas", "limits"]];
    type Invalid = InvalidSettings;

    fn validate(&self) -> Result<(), InvalidSettings> {
        if self.strict_auth && self.credentials.is_empty() {
            return Err(InvalidSettings::StrictAuthWithoutCredentials);
        }
        if self.require_signed_action && !self.strict_auth {
            return Err(InvalidSettings::RequireSignedActionWithoutStrictAuth);
        }
        if self.quotas.window_secs == 0 {
            return Err(InvalidSettings::NoQuotaWindow);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ops::Action;

    fn from_json(v: serde_json::Value) -> Result<Settings, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn defaults() {
        let s = Settings::default();
        assert_eq!(s.listen.as_str(), "127.0.0.1:8412");
        assert_eq!(s.default_account, Account::DEFAULT);
        assert!(!s.strict_auth && s.credentials.is_empty());
        assert!(!s.require_signed_action);
        assert_eq!(s.edition, Edition::Fips);
        assert_eq!(s.quotas.limit_for(Action::ImportKeyMaterial), Some(10));
        assert_eq!(s.quotas.limit_for(Action::Encrypt), None);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn parses_typed_values() {
        let s = from_json(json!({
            "default_account": "200000000002",
            "strict_auth": true,
            "require_signed_action": true,
            "edition": "SM",
            "credentials": {
                "AKIDWithAccount": { "secret_key": "k1", "account": "300000000003" },
                "AKIDWithout": { "secret_key": "k2" },
            },
            "quotas": { "window_secs": 60, "limits": { "encrypt": 2, "ImportKeyMaterial": 0 } },
        }))
        .unwrap();
        assert_eq!(s.edition, Edition::Sm);
        assert!(s.require_signed_action);
        assert_eq!(s.account_of("AKIDWithAccount").to_string(), "300000000003");
        assert_eq!(s.account_of("AKIDWithout").to_string(), "200000000002");
        assert_eq!(s.account_of("AKIDUnknown").to_string(), "200000000002");
        assert_eq!(s.quotas.limit_for(Action::Encrypt), Some(2));
        assert_eq!(s.quotas.limit_for(Action::ImportKeyMaterial), None);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn bad_values_are_errors_naming_the_problem() {
        for (v, want) in [
            (json!({ "default_account": "0123" }), "Tencent account"),
            (json!({ "edition": "gm" }), "fips or sm"),
            (
                json!({ "quotas": { "limits": { "NoSuchAction": 3 } } }),
                "NoSuchAction",
            ),
            (json!({ "quotas": { "limits": { "Encrypt": -1 } } }), "-1"),
            (
                json!({ "credentials": { "AKID": { "secret": "x" } } }),
                "secret",
            ),
        ] {
            let e = from_json(v.clone()).unwrap_err().to_string();
            assert!(e.contains(want), "{v}: {e}");
        }
        let strict = Settings {
            strict_auth: true,
            ..Settings::default()
        };
        assert_eq!(
            strict.validate(),
            Err(InvalidSettings::StrictAuthWithoutCredentials)
        );
        let mut no_window = Settings::default();
        no_window.quotas.window_secs = 0;
        let e = no_window.validate().unwrap_err().to_string();
        assert!(e.contains("tencent.quotas.window_secs"), "{e}");
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let s = from_json(json!({
            "credentials": { "AKIDvisible": { "secret_key": "TopSecret" } },
        }))
        .unwrap();
        let shown = format!("{s:?}");
        assert!(shown.contains("AKIDvisible"));
        assert!(!shown.contains("TopSecret"));
    }
}
