//! Everything a kmsgate process can be told, layered from weakest to strongest: built-in
//! defaults, a TOML file (`--config`), `KMSGATE_…` environment variables, command-line flags.
//!
//! Environment names are `KMSGATE_` followed by the key path in upper case with `__` between
//! levels: `aws.listen` is `KMSGATE_AWS__LISTEN`, `data_dir` is `KMSGATE_DATA_DIR`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use config::{Config, File, FileFormat};
use dialect_aws::Account;
use dialect_huawei::ProjectId;
use dialect_tencent::{Account as TencentUin, Action as TencentAction, Edition as TencentEdition};
use kms_core::wrapping::PoolTargets;
use serde::Deserialize;

use crate::dialect::DialectKind;
use crate::env_source::EnvSource;

/// A process's whole configuration. Unknown keys are errors, so a typo never silently falls
/// back to a default.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `data_dir`: directory of the durable store (`root.key` and `keys.redb`), created on
    /// first start. Default `./kmsgate-data`. Ignored when `in_memory` is set.
    pub data_dir: PathBuf,
    /// `in_memory`: keep keys in memory only; nothing is written to disk and everything is
    /// gone when the process exits. Default false.
    pub in_memory: bool,
    /// `sweep_interval_secs`: seconds between passes of the background expiry sweeper
    /// (at least 1). Default 1.
    pub sweep_interval_secs: u64,
    /// `[admin]`: the emulator's own control endpoints.
    pub admin: AdminSettings,
    /// `[limits]`: per-request limits, the same on every listener.
    pub limits: LimitSettings,
    /// `[aws]`: the AWS KMS listener.
    pub aws: AwsSettings,
    /// `[tencent]`: the Tencent Cloud KMS listener.
    pub tencent: TencentSettings,
    /// `[huawei]`: the Huawei Cloud KMS listener.
    pub huawei: HuaweiSettings,
    /// `[pool]`: wrapping key pairs generated ahead of demand.
    pub pool: PoolSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./kmsgate-data"),
            in_memory: false,
            sweep_interval_secs: 1,
            admin: AdminSettings::default(),
            limits: LimitSettings::default(),
            aws: AwsSettings::default(),
            tencent: TencentSettings::default(),
            huawei: HuaweiSettings::default(),
            pool: PoolSettings::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// `admin.clock_control`: serve `GET /_kmsgate/clock` and `POST /_kmsgate/clock/advance`
    /// on every listener; when false both answer 404. Default true.
    pub clock_control: bool,
}

impl Default for AdminSettings {
    fn default() -> Self {
        AdminSettings {
            clock_control: true,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// `limits.body_bytes`: largest request body accepted (at least 1); a larger one gets the
    /// dialect's "too large" answer. Default 262144 (256 KiB).
    pub body_bytes: usize,
    /// `limits.request_timeout_secs`: longest a request may take to arrive (body upload
    /// included) and to reach a worker (at least 1); a slower one gets the dialect's "timed
    /// out" answer and is not handled at all. A request whose handling has started is always
    /// finished and answered, however long that takes. Default 30.
    pub request_timeout_secs: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            body_bytes: 262_144,
            request_timeout_secs: 30,
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsSettings {
    /// `aws.listen`: `HOST:PORT` of the AWS listener (port 0: any free port).
    /// Default `127.0.0.1:8411`.
    pub listen: ListenAddr,
    /// `aws.default_account`: the 12-digit account keys belong to when the access key id is
    /// not itself an account id. Default `000000000000`.
    pub default_account: AccountId,
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
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            listen: ListenAddr::default_for(DialectKind::Aws),
            default_account: AccountId(Account::DEFAULT),
            strict_auth: false,
            credentials: BTreeMap::new(),
            allow_rsaes_pkcs1_v1_5: false,
        }
    }
}

impl fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs and error messages.
        f.debug_struct("AwsSettings")
            .field("listen", &self.listen)
            .field("default_account", &self.default_account)
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("allow_rsaes_pkcs1_v1_5", &self.allow_rsaes_pkcs1_v1_5)
            .finish()
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TencentSettings {
    /// `tencent.listen`: `HOST:PORT` of the Tencent listener. Default `127.0.0.1:8412`.
    pub listen: ListenAddr,
    /// `tencent.default_account`: the account (uin, a positive decimal number) keys belong to
    /// when the SecretId is not in `tencent.credentials`. Default `100000000001`.
    pub default_account: TencentAccount,
    /// `tencent.strict_auth`: verify signatures against `tencent.credentials` and refuse
    /// unknown SecretIds. Default false: the signature is parsed and its timestamp checked,
    /// nothing more.
    pub strict_auth: bool,
    /// `[tencent.credentials.<SecretId>]`: `secret_key` (checked in strict mode) and
    /// `account` (the uin the SecretId acts for, in every mode; default
    /// `tencent.default_account`). Default empty.
    pub credentials: BTreeMap<String, TencentCredentialSettings>,
    /// `tencent.edition`: `fips` (AES-256 keys, KeyMetadata.Type 2) or `sm` (SM4 keys, Type 4,
    /// SM2PKE wrapping offered). Default `fips`.
    pub edition: TencentEditionSetting,
    /// `[tencent.quotas]`: per-action request quotas.
    pub quotas: TencentQuotaSettings,
}

impl Default for TencentSettings {
    fn default() -> Self {
        TencentSettings {
            listen: ListenAddr::default_for(DialectKind::Tencent),
            default_account: TencentAccount(TencentUin::DEFAULT),
            strict_auth: false,
            credentials: BTreeMap::new(),
            edition: TencentEditionSetting(TencentEdition::Fips),
            quotas: TencentQuotaSettings::default(),
        }
    }
}

impl fmt::Debug for TencentSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of logs and error messages (the credential entries hide theirs).
        f.debug_struct("TencentSettings")
            .field("listen", &self.listen)
            .field("default_account", &self.default_account)
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &self.credentials)
            .field("edition", &self.edition)
            .field("quotas", &self.quotas)
            .finish()
    }
}

/// One configured Tencent SecretId.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TencentCredentialSettings {
    pub secret_key: String,
    #[serde(default)]
    pub account: Option<TencentAccount>,
}

impl fmt::Debug for TencentCredentialSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TencentCredentialSettings")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TencentQuotaSettings {
    /// `tencent.quotas.enabled`: enforce the quotas at all. Default true.
    pub enabled: bool,
    /// `tencent.quotas.window_secs`: length of a quota window in seconds of the emulated
    /// clock (at least 1). Default 1 (Tencent's "per second").
    pub window_secs: u64,
    /// `[tencent.quotas.limits]`: action name → requests allowed per window and per account
    /// and region; 0 lifts the action's limit. Defaults: ImportKeyMaterial 10, others
    /// unlimited. Action names are matched ignoring case.
    pub limits: BTreeMap<TencentQuotaAction, u32>,
}

impl Default for TencentQuotaSettings {
    fn default() -> Self {
        TencentQuotaSettings {
            enabled: true,
            window_secs: 1,
            limits: BTreeMap::new(),
        }
    }
}

impl TencentQuotaSettings {
    pub fn config(&self) -> dialect_tencent::QuotaConfig {
        dialect_tencent::QuotaConfig {
            enabled: self.enabled,
            window: std::time::Duration::from_secs(self.window_secs),
            limits: self.limits.iter().map(|(a, n)| (a.0, *n)).collect(),
        }
    }
}

/// A Tencent account id (uin) setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TencentAccount(pub TencentUin);

/// A Tencent account setting that is not a positive decimal number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Tencent account id (uin: a positive decimal number of at most 19 digits)")]
pub struct InvalidTencentAccount(pub String);

impl TryFrom<String> for TencentAccount {
    type Error = InvalidTencentAccount;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TencentUin::parse(&s)
            .map(TencentAccount)
            .ok_or(InvalidTencentAccount(s))
    }
}

/// `tencent.edition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TencentEditionSetting(pub TencentEdition);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Tencent edition (fips or sm)")]
pub struct InvalidTencentEdition(pub String);

impl TryFrom<String> for TencentEditionSetting {
    type Error = InvalidTencentEdition;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TencentEdition::parse(&s.to_ascii_lowercase())
            .map(TencentEditionSetting)
            .ok_or(InvalidTencentEdition(s))
    }
}

/// An action name in `tencent.quotas.limits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct TencentQuotaAction(pub TencentAction);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} in tencent.quotas.limits is not an action of the Tencent dialect")]
pub struct UnknownTencentAction(pub String);

impl TryFrom<String> for TencentQuotaAction {
    type Error = UnknownTencentAction;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TencentAction::from_name_ignore_case(&s)
            .map(TencentQuotaAction)
            .ok_or(UnknownTencentAction(s))
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields, try_from = "HuaweiSettingsFields")]
pub struct HuaweiSettings {
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
    pub credentials: BTreeMap<String, HuaweiCredential>,
    /// `[huawei.users.<name>]`: `password`, `domain` (account name) and `projects` of an IAM
    /// user that may obtain tokens from `POST /v3/auth/tokens` in strict mode. Default empty.
    pub users: BTreeMap<String, HuaweiUser>,
    /// `[huawei.static_tokens]`: X-Auth-Token → the project id it opens; never expires and
    /// survives restarts (issued tokens do not). Default empty.
    pub static_tokens: BTreeMap<String, HuaweiProject>,
    /// `huawei.token_ttl_secs`: validity of issued tokens on the emulated clock (at least 1).
    /// Default 86400 (24 h, as IAM).
    pub token_ttl_secs: u64,
}

/// What `[huawei]` is read into before it is checked as a whole.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct HuaweiSettingsFields {
    listen: ListenAddr,
    strict_auth: bool,
    credentials: BTreeMap<String, HuaweiCredential>,
    users: BTreeMap<String, HuaweiUser>,
    static_tokens: BTreeMap<String, HuaweiProject>,
    token_ttl_secs: u64,
}

impl Default for HuaweiSettingsFields {
    fn default() -> Self {
        let d = HuaweiSettings::default();
        HuaweiSettingsFields {
            listen: d.listen,
            strict_auth: d.strict_auth,
            credentials: d.credentials,
            users: d.users,
            static_tokens: d.static_tokens,
            token_ttl_secs: d.token_ttl_secs,
        }
    }
}

/// `[huawei]` values that parsed but cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidHuaweiSettings {
    #[error("huawei.token_ttl_secs must be at least 1")]
    NoTokenTtl,
    #[error(
        "huawei.strict_auth is on but huawei.credentials, huawei.users and huawei.static_tokens are all empty, so every request would be refused"
    )]
    StrictAuthWithoutCredentials,
}

impl TryFrom<HuaweiSettingsFields> for HuaweiSettings {
    type Error = InvalidHuaweiSettings;
    fn try_from(f: HuaweiSettingsFields) -> Result<Self, Self::Error> {
        if f.token_ttl_secs == 0 {
            return Err(InvalidHuaweiSettings::NoTokenTtl);
        }
        if f.strict_auth
            && f.credentials.is_empty()
            && f.users.is_empty()
            && f.static_tokens.is_empty()
        {
            return Err(InvalidHuaweiSettings::StrictAuthWithoutCredentials);
        }
        Ok(HuaweiSettings {
            listen: f.listen,
            strict_auth: f.strict_auth,
            credentials: f.credentials,
            users: f.users,
            static_tokens: f.static_tokens,
            token_ttl_secs: f.token_ttl_secs,
        })
    }
}

impl Default for HuaweiSettings {
    fn default() -> Self {
        HuaweiSettings {
            listen: ListenAddr::default_for(DialectKind::Huawei),
            strict_auth: false,
            credentials: BTreeMap::new(),
            users: BTreeMap::new(),
            static_tokens: BTreeMap::new(),
            token_ttl_secs: 86_400,
        }
    }
}

impl fmt::Debug for HuaweiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secret keys, passwords and static tokens stay out of logs and error messages.
        let token_projects: Vec<&HuaweiProject> = self.static_tokens.values().collect();
        f.debug_struct("HuaweiSettings")
            .field("listen", &self.listen)
            .field("strict_auth", &self.strict_auth)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .field("static_tokens_for_projects", &token_projects)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .finish()
    }
}

/// `[huawei.credentials.<AK>]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiCredential {
    pub secret_key: String,
    #[serde(default)]
    pub projects: HuaweiProjects,
}

/// `[huawei.users.<name>]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiUser {
    pub password: String,
    pub domain: String,
    #[serde(default)]
    pub projects: HuaweiProjects,
}

impl fmt::Debug for HuaweiCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HuaweiCredential")
            .field("projects", &self.projects)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for HuaweiUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HuaweiUser")
            .field("domain", &self.domain)
            .field("projects", &self.projects)
            .finish_non_exhaustive()
    }
}

/// A Huawei project id, as a setting.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HuaweiProject(pub ProjectId);

/// A project id setting that Huawei paths cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Huawei project id (1 to 64 characters of [0-9A-Za-z_-])")]
pub struct InvalidHuaweiProject(pub String);

impl TryFrom<String> for HuaweiProject {
    type Error = InvalidHuaweiProject;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ProjectId::parse(&s)
            .map(HuaweiProject)
            .ok_or(InvalidHuaweiProject(s))
    }
}

/// Project ids as a TOML list, or as one comma-separated string (the form an environment
/// variable can give).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ProjectsText")]
pub struct HuaweiProjects(pub Vec<ProjectId>);

#[derive(Deserialize)]
#[serde(untagged)]
enum ProjectsText {
    List(Vec<String>),
    Text(String),
}

impl TryFrom<ProjectsText> for HuaweiProjects {
    type Error = InvalidHuaweiProject;
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
            .map(|s| HuaweiProject::try_from(s).map(|p| p.0))
            .collect::<Result<Vec<_>, _>>()
            .map(HuaweiProjects)
    }
}

/// Ready wrapping key pairs kept per spec; 0 means every request generates its own pair.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolSettings {
    /// `pool.rsa_2048`. Default 4.
    pub rsa_2048: usize,
    /// `pool.rsa_3072`. Default 2.
    pub rsa_3072: usize,
    /// `pool.rsa_4096`. Default 2.
    pub rsa_4096: usize,
    /// `pool.sm2`. Default 4.
    pub sm2: usize,
}

impl Default for PoolSettings {
    fn default() -> Self {
        let t = PoolTargets::default();
        PoolSettings {
            rsa_2048: t.rsa_2048,
            rsa_3072: t.rsa_3072,
            rsa_4096: t.rsa_4096,
            sm2: t.sm2,
        }
    }
}

impl PoolSettings {
    pub fn targets(&self) -> PoolTargets {
        PoolTargets {
            rsa_2048: self.rsa_2048,
            rsa_3072: self.rsa_3072,
            rsa_4096: self.rsa_4096,
            sm2: self.sm2,
        }
    }
}

/// `HOST:PORT`, checked for shape only; the host is resolved when the listener binds, so
/// `localhost:8411` works as well as `127.0.0.1:8411` or `[::1]:8411`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ListenAddr(String);

impl ListenAddr {
    fn default_for(kind: DialectKind) -> Self {
        ListenAddr(kind.default_listen().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A listen address that is not `HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not HOST:PORT (for example 127.0.0.1:8411)")]
pub struct InvalidListenAddr(pub String);

impl FromStr for ListenAddr {
    type Err = InvalidListenAddr;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidListenAddr(s.to_owned());
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        port.parse::<u16>().map_err(|_| bad())?;
        let bracketed = host.len() > 2 && host.starts_with('[') && host.ends_with(']');
        // An unbracketed IPv6 host would make the port ambiguous.
        if host.is_empty() || (!bracketed && host.contains(['[', ']', ':'])) {
            return Err(bad());
        }
        Ok(ListenAddr(s.to_owned()))
    }
}

impl TryFrom<String> for ListenAddr {
    type Error = InvalidListenAddr;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 12-digit AWS account id, as a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AccountId(pub Account);

/// An account id setting that is not 12 digits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a 12-digit AWS account id")]
pub struct InvalidAccountId(pub String);

impl TryFrom<String> for AccountId {
    type Error = InvalidAccountId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match Account::parse(&s) {
            Some(account) => Ok(AccountId(account)),
            None => Err(InvalidAccountId(s)),
        }
    }
}

/// What command-line flags say; `None`/`false` leaves the layers below in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub in_memory: bool,
    pub aws_listen: Option<ListenAddr>,
    pub tencent_listen: Option<ListenAddr>,
    pub huawei_listen: Option<ListenAddr>,
}

impl Overrides {
    pub fn listen_mut(&mut self, kind: DialectKind) -> &mut Option<ListenAddr> {
        match kind {
            DialectKind::Aws => &mut self.aws_listen,
            DialectKind::Tencent => &mut self.tencent_listen,
            DialectKind::Huawei => &mut self.huawei_listen,
        }
    }
}

/// Configuration that cannot be used; the message says which setting and why.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file or the environment cannot be read, or does not fit the settings.
    #[error("invalid configuration: {0}")]
    Source(#[from] config::ConfigError),
    /// Every value parsed, but they cannot work.
    #[error("invalid configuration: {0}")]
    Unusable(#[from] Unusable),
    /// A `KMSGATE_…` variable whose value is not UTF-8.
    #[error("invalid configuration: environment variable {name} is not valid UTF-8")]
    NotUtf8 { name: String },
}

/// Settings that parsed but cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("limits.body_bytes must be at least 1")]
    NoBody,
    #[error("limits.request_timeout_secs must be at least 1")]
    NoTime,
    #[error("sweep_interval_secs must be at least 1")]
    NoSweepInterval,
    #[error(
        "aws.strict_auth is on but aws.credentials is empty, so every request would be refused"
    )]
    StrictAuthWithoutCredentials,
    #[error("data_dir must not be empty (or set in_memory)")]
    NoDataDir,
    #[error(
        "tencent.strict_auth is on but tencent.credentials is empty, so every request would be refused"
    )]
    TencentStrictAuthWithoutCredentials,
    #[error("tencent.quotas.window_secs must be at least 1")]
    TencentNoQuotaWindow,
}

impl Settings {
    /// Layers defaults < `file` < `env` < `overrides`. `env` is passed in rather than read
    /// here so tests never touch the process environment; only `KMSGATE_…` pairs matter.
    pub fn load(
        file: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> Result<Settings, SettingsError> {
        let mut builder = Config::builder();
        if let Some(path) = file {
            builder = builder.add_source(File::from(path).format(FileFormat::Toml).required(true));
        }
        let layered = builder.add_source(EnvSource::new(env.to_vec())).build()?;
        let mut settings: Settings = layered.try_deserialize()?;
        settings.apply(overrides);
        settings.validate()?;
        Ok(settings)
    }

    fn apply(&mut self, o: &Overrides) {
        if let Some(dir) = &o.data_dir {
            self.data_dir = dir.clone();
        }
        if o.in_memory {
            self.in_memory = true;
        }
        if let Some(a) = &o.aws_listen {
            self.aws.listen = a.clone();
        }
        if let Some(a) = &o.tencent_listen {
            self.tencent.listen = a.clone();
        }
        if let Some(a) = &o.huawei_listen {
            self.huawei.listen = a.clone();
        }
    }

    fn validate(&self) -> Result<(), Unusable> {
        if self.limits.body_bytes == 0 {
            return Err(Unusable::NoBody);
        }
        if self.limits.request_timeout_secs == 0 {
            return Err(Unusable::NoTime);
        }
        if self.sweep_interval_secs == 0 {
            return Err(Unusable::NoSweepInterval);
        }
        if self.aws.strict_auth && self.aws.credentials.is_empty() {
            return Err(Unusable::StrictAuthWithoutCredentials);
        }
        if self.tencent.strict_auth && self.tencent.credentials.is_empty() {
            return Err(Unusable::TencentStrictAuthWithoutCredentials);
        }
        if self.tencent.quotas.window_secs == 0 {
            return Err(Unusable::TencentNoQuotaWindow);
        }
        if !self.in_memory && self.data_dir.as_os_str().is_empty() {
            return Err(Unusable::NoDataDir);
        }
        Ok(())
    }

    pub fn listen(&self, kind: DialectKind) -> &ListenAddr {
        match kind {
            DialectKind::Aws => &self.aws.listen,
            DialectKind::Tencent => &self.tencent.listen,
            DialectKind::Huawei => &self.huawei.listen,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn toml(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn addr(s: &str) -> ListenAddr {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_without_any_source() {
        let s = Settings::load(None, &[], &Overrides::default()).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./kmsgate-data"));
        assert!(!s.in_memory);
        assert_eq!(s.sweep_interval_secs, 1);
        assert!(s.admin.clock_control);
        assert_eq!(s.limits.body_bytes, 262_144);
        assert_eq!(s.limits.request_timeout_secs, 30);
        assert_eq!(s.aws.listen, addr("127.0.0.1:8411"));
        assert_eq!(s.tencent.listen, addr("127.0.0.1:8412"));
        assert_eq!(s.huawei.listen, addr("127.0.0.1:8413"));
        assert_eq!(s.aws.default_account.0, Account::DEFAULT);
        assert!(!s.aws.strict_auth);
        assert!(s.aws.credentials.is_empty());
        assert!(!s.aws.allow_rsaes_pkcs1_v1_5);
        assert_eq!(s.pool.targets(), PoolTargets::default());
    }

    #[test]
    fn each_layer_overrides_the_one_below() {
        let file = toml(
            r#"
            data_dir = "/from/file"
            sweep_interval_secs = 7
            [aws]
            listen = "127.0.0.1:1001"
            default_account = "111111111111"
            [tencent]
            listen = "127.0.0.1:2001"
            [huawei]
            listen = "127.0.0.1:3001"
            [limits]
            body_bytes = 1000
            "#,
        );
        let env = env(&[
            ("KMSGATE_AWS__LISTEN", "127.0.0.1:1002"),
            ("KMSGATE_TENCENT__LISTEN", "127.0.0.1:2002"),
            ("KMSGATE_LIMITS__BODY_BYTES", "2000"),
            ("KMSGATE_ADMIN__CLOCK_CONTROL", "false"),
            ("KMSGATE_DATA_DIR", "/from/env"),
            ("UNRELATED", "ignored"),
        ]);
        let flags = Overrides {
            aws_listen: Some(addr("127.0.0.1:1003")),
            ..Overrides::default()
        };
        let s = Settings::load(Some(file.path()), &env, &flags).unwrap();
        assert_eq!(s.aws.listen, addr("127.0.0.1:1003"), "flag beats env");
        assert_eq!(s.tencent.listen, addr("127.0.0.1:2002"), "env beats file");
        assert_eq!(
            s.huawei.listen,
            addr("127.0.0.1:3001"),
            "file beats default"
        );
        assert_eq!(s.limits.body_bytes, 2000);
        assert_eq!(s.limits.request_timeout_secs, 30, "untouched default");
        assert!(!s.admin.clock_control);
        assert_eq!(s.data_dir, PathBuf::from("/from/env"));
        assert_eq!(s.sweep_interval_secs, 7);
        assert_eq!(s.aws.default_account.0.as_str(), "111111111111");

        let flags = Overrides {
            data_dir: Some(PathBuf::from("/from/flag")),
            in_memory: true,
            huawei_listen: Some(addr("[::1]:0")),
            ..Overrides::default()
        };
        let s = Settings::load(Some(file.path()), &env, &flags).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/from/flag"));
        assert!(s.in_memory);
        assert_eq!(s.huawei.listen, addr("[::1]:0"));
    }

    #[test]
    fn credential_ids_keep_their_case_from_file_and_env() {
        let file = toml(
            r#"
            [aws]
            strict_auth = true
            [aws.credentials]
            AKIAFROMFILE = "file-Secret"
            "#,
        );
        let env = env(&[("KMSGATE_AWS__CREDENTIALS__AKIAFROMENV", "env/Secret+1")]);
        let s = Settings::load(Some(file.path()), &env, &Overrides::default()).unwrap();
        assert!(s.aws.strict_auth);
        assert_eq!(s.aws.credentials["AKIAFROMFILE"], "file-Secret");
        assert_eq!(s.aws.credentials["AKIAFROMENV"], "env/Secret+1");
        assert!(
            !format!("{s:?}").contains("Secret"),
            "secrets leak into Debug"
        );
    }

    #[test]
    fn env_prefix_is_case_insensitive_and_booleans_parse() {
        let env = env(&[
            ("kmsgate_in_memory", "true"),
            ("KMSGATE_AWS__STRICT_AUTH", "FALSE"),
            ("KMSGATE_POOL__SM2", "0"),
        ]);
        let s = Settings::load(None, &env, &Overrides::default()).unwrap();
        assert!(s.in_memory);
        assert!(!s.aws.strict_auth);
        assert_eq!(s.pool.sm2, 0);
    }

    fn error_of(file: Option<&str>, env_pairs: &[(&str, &str)]) -> String {
        let f = file.map(toml);
        let e = Settings::load(
            f.as_ref().map(|f| f.path()),
            &env(env_pairs),
            &Overrides::default(),
        )
        .unwrap_err();
        e.to_string()
    }

    #[test]
    fn bad_configuration_is_an_error_naming_the_problem() {
        let e = error_of(Some("[aws]\nlisten = \"127.0.0.1:8411\"\nlisen = 1\n"), &[]);
        assert!(e.contains("lisen"), "{e}");
        let e = error_of(Some("colour = \"blue\"\n"), &[]);
        assert!(e.contains("colour"), "{e}");
        let e = error_of(Some("[limits]\nbody_bytes = \"lots\"\n"), &[]);
        assert!(e.contains("body_bytes"), "{e}");
        let e = error_of(Some("this is not toml"), &[]);
        assert!(e.starts_with("invalid configuration"), "{e}");
        let e = error_of(None, &[("KMSGATE_LIMITS__BODY_BYTES", "abc")]);
        assert!(e.contains("KMSGATE_LIMITS__BODY_BYTES"), "{e}");
        let e = error_of(None, &[("KMSGATE_NO_SUCH_THING", "1")]);
        assert!(e.contains("no_such_thing"), "{e}");
        let e = error_of(None, &[("KMSGATE_AWS__LISTEN", "8411")]);
        assert!(e.contains("HOST:PORT"), "{e}");
        let e = error_of(None, &[("KMSGATE_AWS__DEFAULT_ACCOUNT", "12345")]);
        assert!(e.contains("12-digit"), "{e}");
        let e = error_of(None, &[("KMSGATE_LIMITS__BODY_BYTES", "0")]);
        assert!(e.contains("limits.body_bytes"), "{e}");
        let e = error_of(None, &[("KMSGATE_AWS__STRICT_AUTH", "true")]);
        assert!(e.contains("aws.credentials"), "{e}");
        let e = error_of(None, &[("KMSGATE_", "1")]);
        assert!(e.contains("KMSGATE_"), "{e}");
    }

    #[test]
    fn tencent_defaults() {
        let s = Settings::load(None, &[], &Overrides::default()).unwrap();
        let t = &s.tencent;
        assert_eq!(t.default_account.0, TencentUin::DEFAULT);
        assert!(!t.strict_auth);
        assert!(t.credentials.is_empty());
        assert_eq!(t.edition.0, TencentEdition::Fips);
        let q = t.quotas.config();
        assert!(q.enabled);
        assert_eq!(q.window, std::time::Duration::from_secs(1));
        assert_eq!(q.limit_for(TencentAction::ImportKeyMaterial), Some(10));
        assert_eq!(q.limit_for(TencentAction::Encrypt), None);
    }

    #[test]
    fn tencent_settings_from_file_and_env() {
        let file = toml(
            r#"
            [tencent]
            default_account = "200000000002"
            strict_auth = true
            edition = "sm"
            [tencent.credentials.AKIDFromFile]
            secret_key = "file-Secret"
            account = "300000000003"
            [tencent.credentials.AKIDNoAccount]
            secret_key = "other-Secret"
            [tencent.quotas]
            window_secs = 3600
            [tencent.quotas.limits]
            ImportKeyMaterial = 5
            "#,
        );
        let env = env(&[
            ("KMSGATE_TENCENT__QUOTAS__LIMITS__ENCRYPT", "7"),
            ("KMSGATE_TENCENT__QUOTAS__ENABLED", "false"),
        ]);
        let s = Settings::load(Some(file.path()), &env, &Overrides::default()).unwrap();
        let t = &s.tencent;
        assert_eq!(t.default_account.0.to_string(), "200000000002");
        assert!(t.strict_auth);
        assert_eq!(t.edition.0, TencentEdition::Sm);
        let c = &t.credentials["AKIDFromFile"];
        assert_eq!(c.secret_key, "file-Secret");
        assert_eq!(
            c.account.map(|a| a.0.to_string()).as_deref(),
            Some("300000000003")
        );
        assert!(t.credentials["AKIDNoAccount"].account.is_none());
        assert_eq!(t.quotas.window_secs, 3600);
        assert!(!t.quotas.enabled);
        let q = t.quotas.config();
        assert_eq!(q.limits[&TencentAction::ImportKeyMaterial], 5);
        assert_eq!(q.limits[&TencentAction::Encrypt], 7);
        assert_eq!(q.limit_for(TencentAction::Encrypt), None, "switched off");
        assert!(
            !format!("{s:?}").contains("Secret"),
            "secrets leak into Debug"
        );
    }

    #[test]
    fn bad_tencent_settings_are_errors_naming_the_problem() {
        let e = error_of(None, &[("KMSGATE_TENCENT__DEFAULT_ACCOUNT", "0123")]);
        assert!(e.contains("Tencent account"), "{e}");
        let e = error_of(None, &[("KMSGATE_TENCENT__EDITION", "gm")]);
        assert!(e.contains("fips or sm"), "{e}");
        let e = error_of(
            None,
            &[("KMSGATE_TENCENT__QUOTAS__LIMITS__NOSUCHACTION", "3")],
        );
        assert!(e.contains("NOSUCHACTION"), "{e}");
        let e = error_of(None, &[("KMSGATE_TENCENT__QUOTAS__LIMITS__ENCRYPT", "-1")]);
        assert!(e.contains("ENCRYPT"), "{e}");
        let e = error_of(None, &[("KMSGATE_TENCENT__QUOTAS__WINDOW_SECS", "0")]);
        assert!(e.contains("tencent.quotas.window_secs"), "{e}");
        let e = error_of(None, &[("KMSGATE_TENCENT__STRICT_AUTH", "true")]);
        assert!(e.contains("tencent.credentials"), "{e}");
        let e = error_of(Some("[tencent.credentials.AKID]\nsecret = \"x\"\n"), &[]);
        assert!(e.contains("secret"), "{e}");
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let e = Settings::load(
            Some(Path::new("/nonexistent/kmsgate.toml")),
            &[],
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("kmsgate.toml"), "{e}");
    }

    #[test]
    fn huawei_settings_from_file_and_env() {
        let d = Settings::load(None, &[], &Overrides::default())
            .unwrap()
            .huawei;
        assert!(!d.strict_auth && d.credentials.is_empty() && d.users.is_empty());
        assert!(d.static_tokens.is_empty());
        assert_eq!(d.token_ttl_secs, 86_400);
        let file = toml(
            r#"
            [huawei]
            strict_auth = true
            token_ttl_secs = 600
            [huawei.credentials.HPUAFILEAK]
            secret_key = "file-Secret"
            projects = ["0123456789abcdef0123456789abcdef"]
            [huawei.users.alice]
            password = "alice-Passw0rd"
            domain = "acme"
            [huawei.static_tokens]
            "MIIstatic-Token" = "p1"
            "#,
        );
        let env = env(&[
            (
                "KMSGATE_HUAWEI__CREDENTIALS__HPUAENVAK__SECRET_KEY",
                "env/Secret+1",
            ),
            ("KMSGATE_HUAWEI__CREDENTIALS__HPUAENVAK__PROJECTS", "p1, p2"),
            ("KMSGATE_HUAWEI__USERS__Bob__PASSWORD", "bob-pw"),
            ("KMSGATE_HUAWEI__USERS__Bob__DOMAIN", "acme"),
            ("KMSGATE_HUAWEI__TOKEN_TTL_SECS", "900"),
        ]);
        let s = Settings::load(Some(file.path()), &env, &Overrides::default())
            .unwrap()
            .huawei;
        assert!(s.strict_auth);
        assert_eq!(s.token_ttl_secs, 900);
        let file_ak = &s.credentials["HPUAFILEAK"];
        assert_eq!(file_ak.secret_key, "file-Secret");
        assert_eq!(
            file_ak.projects.0[0].as_str(),
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(s.users["Bob"].domain, "acme");
        let env_ak = &s.credentials["HPUAENVAK"];
        assert_eq!(env_ak.secret_key, "env/Secret+1");
        let projects: Vec<&str> = env_ak.projects.0.iter().map(ProjectId::as_str).collect();
        assert_eq!(projects, ["p1", "p2"]);
        assert_eq!(s.users["alice"].domain, "acme");
        assert!(s.users["alice"].projects.0.is_empty());
        assert_eq!(s.static_tokens["MIIstatic-Token"].0.as_str(), "p1");
        let shown = format!("{s:?}");
        for secret in [
            "file-Secret",
            "env/Secret",
            "alice-Passw0rd",
            "MIIstatic-Token",
        ] {
            assert!(
                !shown.contains(secret),
                "{secret} leaks into Debug: {shown}"
            );
        }
        assert!(shown.contains("HPUAFILEAK") && shown.contains("alice"));
    }

    #[test]
    fn bad_huawei_settings_are_errors_naming_the_problem() {
        let e = error_of(None, &[("KMSGATE_HUAWEI__TOKEN_TTL_SECS", "0")]);
        assert!(e.contains("huawei.token_ttl_secs"), "{e}");
        let e = error_of(None, &[("KMSGATE_HUAWEI__STRICT_AUTH", "true")]);
        assert!(e.contains("huawei.credentials"), "{e}");
        let e = error_of(
            Some("[huawei.static_tokens]\n\"MIItoken\" = \"{project_id}\"\n"),
            &[],
        );
        assert!(e.contains("project id"), "{e}");
        let e = error_of(
            Some("[huawei.credentials.AK]\nsecret_key = \"s\"\nprojects = [\"a b\"]\n"),
            &[],
        );
        assert!(e.contains("project id"), "{e}");
        let e = error_of(Some("[huawei.users.bob]\npassword = \"p\"\n"), &[]);
        assert!(e.contains("domain"), "{e}");
        let e = error_of(Some("[huawei]\nstrict = true\n"), &[]);
        assert!(e.contains("strict"), "{e}");
        // strict mode with only users, or only static tokens, is usable
        let env = env(&[
            ("KMSGATE_HUAWEI__STRICT_AUTH", "true"),
            ("KMSGATE_HUAWEI__STATIC_TOKENS__TOKEN1", "p1"),
        ]);
        assert!(Settings::load(None, &env, &Overrides::default()).is_ok());
    }

    #[test]
    fn listen_addresses_need_a_host_and_a_port() {
        for good in [
            "127.0.0.1:0",
            "localhost:8411",
            "[::1]:8411",
            "0.0.0.0:65535",
        ] {
            assert!(good.parse::<ListenAddr>().is_ok(), "{good}");
        }
        for bad in [
            "8411",
            ":8411",
            "127.0.0.1",
            "127.0.0.1:65536",
            "::1:8411",
            "[]:1",
            "h:p",
        ] {
            assert!(bad.parse::<ListenAddr>().is_err(), "{bad}");
        }
    }
}
