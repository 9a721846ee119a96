//! `[huawei]`: everything a Huawei listener can be told, read by the server from its
//! configuration layers and validated here.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use dialect_kit::{DialectSettings, ListenAddr};
use serde::Deserialize;

use crate::caller::ProjectId;

/// How a Huawei listener behaves; every default is what a plain SDK user expects.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `huawei.listen`: `HOST:PORT` of the Huawei listener. Default `127.0.0.1:8413`.
    pub listen: ListenAddr,
    /// `huawei.strict_auth`: verify SDK-HMAC-SHA256 signatures against `huawei.credentials`,
    /// accept only X-Auth-Tokens this process issued (or `huawei.static_tokens`) for their own
    /// project, and issue tokens only to `huawei.users`. Default false: any well-formed
    /// signature header and any non-empty token is accepted for any project, and tokens are
    /// issued to any user name and password.
    pub strict_auth: bool,
    /// `[huawei.credentials.<AK>]`: `secret_key` and `projects` (project ids the AK may use;
    /// empty or absent: any). AKs are matched exactly, also when set through the environment.
    /// Default empty.
    pub credentials: BTreeMap<String, AccessKey>,
    /// `[huawei.users.<name>]`: `password`, `domain` (account name) and `projects` of an IAM
    /// user that may obtain tokens from `POST /v3/auth/tokens` in strict mode. Default empty.
    pub users: BTreeMap<String, IamUser>,
    /// `[huawei.static_tokens]`: X-Auth-Token → the project id it opens; never expires and
    /// survives restarts (issued tokens do only where the root key does). Default empty.
    pub static_tokens: BTreeMap<String, ProjectId>,
    /// `huawei.token_ttl_secs`: validity of issued tokens on the emulated clock (at least 1).
    /// Default 86400 (24 h, as IAM).
    pub token_ttl_secs: u64,
    /// `huawei.region`: the region keys report as their realm and alias URNs name.
    /// Default `cn-north-4`.
    pub region: String,
}

/// The listener's port on loopback when no address is configured.
pub const DEFAULT_PORT: u16 = 8413;

/// Huawei's default token validity.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: ListenAddr::loopback(DEFAULT_PORT),
            strict_auth: false,
            credentials: BTreeMap::new(),
            users: BTreeMap::new(),
            static_tokens: BTreeMap::new(),
            token_ttl_secs: DEFAULT_TOKEN_TTL.as_secs(),
            region: "cn-north-4".to_owned(),
        }
    }
}

impl Settings {
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_secs)
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secret keys, passwords and static tokens (secrets themselves) stay out of logs and
        // error messages: access key ids, user names, and the projects tokens open.
        let token_projects: Vec<&ProjectId> = self.static_tokens.values().collect();
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .field("static_tokens_for_projects", &token_projects)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("region", &self.region)
            .finish()
    }
}

/// `[huawei.credentials.<AK>]`: an access key's secret and the projects it may act on.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    pub secret_key: String,
    /// Empty: any project.
    #[serde(default)]
    pub projects: Projects,
}

/// `[huawei.users.<name>]`: an IAM user that may obtain tokens in strict mode.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamUser {
    pub password: String,
    /// The account (domain) name the user belongs to.
    pub domain: String,
    /// Projects the user may scope a token to (empty: any).
    #[serde(default)]
    pub projects: Projects,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("projects", &self.projects)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for IamUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamUser")
            .field("domain", &self.domain)
            .field("projects", &self.projects)
            .finish_non_exhaustive()
    }
}

/// Project ids as a list, or as one comma-separated string (the form an environment variable
/// can give). Empty means any project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ProjectsText")]
pub struct Projects(pub Vec<ProjectId>);

impl Projects {
    /// Whether `project` is allowed: every project when the list is empty.
    pub fn allow(&self, project: &ProjectId) -> bool {
        self.0.is_empty() || self.0.contains(project)
    }
}

impl From<Vec<ProjectId>> for Projects {
    fn from(ids: Vec<ProjectId>) -> Self {
        Projects(ids)
    }
}

/// Raw text first, checked after: an untagged enum of checked ids would hide which id is
/// wrong behind "did not match any variant".
#[derive(Deserialize)]
#[serde(untagged)]
enum ProjectsText {
    List(Vec<String>),
    Text(String),
}

impl TryFrom<ProjectsText> for Projects {
    type Error = InvalidProject;
    fn try_from(p: ProjectsText) -> Result<Self, Self::Error> {
        let items: Vec<String> = match p {
            ProjectsText::List(l) => l,
            ProjectsText::Text(t) => t
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        };
        items
            .into_iter()
            .map(ProjectId::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map(Projects)
    }
}

/// A project id setting that Huawei paths cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Huawei project id (1 to 64 characters of [0-9A-Za-z_-])")]
pub struct InvalidProject(pub String);

impl TryFrom<String> for ProjectId {
    type Error = InvalidProject;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ProjectId::parse(&s).ok_or(InvalidProject(s))
    }
}

/// `[huawei]` values that parsed but cannot work together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSettings {
    #[error("huawei.token_ttl_secs must be at least 1")]
    NoTokenTtl,
    #[error(
        "huawei.strict_auth is on but huawei.credentials, huawei.users and huawei.static_tokens are all empty, so every request would be refused"
    )]
    StrictAuthWithoutCredentials,
}

impl DialectSettings for Settings {
    const SECTION: &'static str = "huawei";
    const CASE_KEPT_MAPS: &'static [&'static [&'static str]] =
        &[&["credentials"], &["users"], &["static_tokens"]];
    // A static token is the key of its entry.
    const SECRET_KEYED_MAPS: &'static [&'static [&'static str]] = &[&["static_tokens"]];
    type Invalid = InvalidSettings;

    fn validate(&self) -> Result<(), InvalidSettings> {
        if self.token_ttl_secs == 0 {
            return Err(InvalidSettings::NoTokenTtl);
        }
        if self.strict_auth
            && self.credentials.is_empty()
            && self.users.is_empty()
            && self.static_tokens.is_empty()
        {
            return Err(InvalidSettings::StrictAuthWithoutCredentials);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn from_json(v: serde_json::Value) -> Result<Settings, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn defaults() {
        let s = Settings::default();
        assert_eq!(s.listen.as_str(), "127.0.0.1:8413");
        assert!(!s.strict_auth && s.credentials.is_empty() && s.users.is_empty());
        assert!(s.static_tokens.is_empty());
        assert_eq!(s.token_ttl(), Duration::from_secs(86_400));
        assert_eq!(s.region, "cn-north-4");
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn projects_as_a_list_or_comma_separated_text() {
        let s = from_json(json!({
            "credentials": {
                "AK1": { "secret_key": "s1", "projects": ["p1", "p2"] },
                "AK2": { "secret_key": "s2", "projects": "p1, p2" },
                "AK3": { "secret_key": "s3" },
            },
            "static_tokens": { "MIItoken": "p3" },
        }))
        .unwrap();
        let p1 = ProjectId::parse("p1").unwrap();
        assert_eq!(s.credentials["AK1"].projects, s.credentials["AK2"].projects);
        assert!(s.credentials["AK1"].projects.allow(&p1));
        assert!(
            !s.credentials["AK1"]
                .projects
                .allow(&ProjectId::parse("p3").unwrap())
        );
        assert!(s.credentials["AK3"].projects.allow(&p1), "empty: any");
        assert_eq!(s.static_tokens["MIItoken"].as_str(), "p3");
    }

    #[test]
    fn bad_values_are_errors_naming_the_problem() {
        for (v, want) in [
            (
                json!({ "static_tokens": { "MIItoken": "{project_id}" } }),
                "project id",
            ),
            (
                json!({ "credentials": { "AK": { "secret_key": "s", "projects": ["a b"] } } }),
                "project id",
            ),
            (json!({ "users": { "bob": { "password": "p" } } }), "domain"),
            (json!({ "strict": true }), "strict"),
        ] {
            let e = from_json(v.clone()).unwrap_err().to_string();
            assert!(e.contains(want), "{v}: {e}");
        }
        let no_ttl = Settings {
            token_ttl_secs: 0,
            ..Settings::default()
        };
        assert_eq!(no_ttl.validate(), Err(InvalidSettings::NoTokenTtl));
        let strict = Settings {
            strict_auth: true,
            ..Settings::default()
        };
        let e = strict.validate().unwrap_err().to_string();
        assert!(e.contains("huawei.credentials"), "{e}");
        let strict_with_token = Settings {
            strict_auth: true,
            static_tokens: [("T".to_owned(), ProjectId::parse("p1").unwrap())].into(),
            ..Settings::default()
        };
        assert_eq!(strict_with_token.validate(), Ok(()));
    }

    #[test]
    fn debug_output_holds_no_secrets() {
        let s = from_json(json!({
            "credentials": { "HPUAEXAMPLE": { "secret_key": "TopSecretKey" } },
            "users": { "alice": { "password": "Passw0rd!", "domain": "acme" } },
            "static_tokens": { "MIIstatictokenvalue": "p1" },
        }))
        .unwrap();
        let shown = format!("{s:?} {:?}", s.credentials["HPUAEXAMPLE"]);
        for secret in ["TopSecretKey", "Passw0rd!", "MIIstatictokenvalue"] {
            assert!(!shown.contains(secret), "{secret} leaks: {shown}");
        }
        assert!(shown.contains("HPUAEXAMPLE") && shown.contains("alice") && shown.contains("p1"));
    }
}
