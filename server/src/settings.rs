//! Everything a kmsgate process can be told, layered from weakest to strongest: built-in
//! defaults, a TOML file (`--config`), `KMSGATE_…` environment variables, command-line flags.
//!
//! Environment names are `KMSGATE_` followed by the key path in upper case with `__` between
//! levels: `aws.listen` is `KMSGATE_AWS__LISTEN`, `data_dir` is `KMSGATE_DATA_DIR`.

use std::fmt;
use std::path::{Path, PathBuf};

use config::{Config, File, FileFormat};
use dialect_kit::DialectSettings;
pub use dialect_kit::{InvalidListenAddr, ListenAddr};
use kms_core::wrapping::{PoolTargets, Reuse};
use serde::Deserialize;

use crate::dialect::DialectKind;
use crate::env_source::{EnvSource, data_maps, elided, env_name, setting_path};
use crate::known_settings;
use crate::logging::{LogFormat, LogLevel};
pub use crate::store_settings::{
    PostgresSettings, RootKeyHex, RootKeySource, StoreChoice, StoreKind, StoreSettings,
    StoreUnusable,
};

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
    /// `[store]`: which store (`redb`, `memory`, `postgres`) and how to reach a database.
    pub store: StoreSettings,
    /// `root_key_file`: a file holding the root key (64 hex digits, as `root.key`), instead
    /// of the data directory's `root.key` or a fresh key in memory. Every instance sharing a
    /// postgres store needs the same root key: this or `root_key`. Default unset.
    pub root_key_file: Option<PathBuf>,
    /// `root_key` (`KMSGATE_ROOT_KEY`): the root key itself, 64 hex digits. Never logged.
    /// Default unset.
    pub root_key: Option<RootKeyHex>,
    /// `sweep_interval_secs`: seconds between passes of the background expiry sweeper
    /// (at least 1). Default 1.
    pub sweep_interval_secs: u64,
    /// `busy_poll_micros`: how long a worker keeps polling its connections after an answer
    /// before it sleeps, while fewer connections are open than the machine has cores: a lone
    /// client's next request then finds it awake (see `docs/operations.md`). 0 turns it off;
    /// at most 1000. Default 50.
    pub busy_poll_micros: u64,
    /// `[admin]`: the emulator's own control endpoints.
    pub admin: AdminSettings,
    /// `[limits]`: per-request limits, the same on every listener.
    pub limits: LimitSettings,
    /// `[log]`: request logs and warnings on stderr.
    pub log: LogSettings,
    /// `[aws]`: the AWS KMS listener, as `dialect-aws` defines it.
    pub aws: dialect_aws::Settings,
    /// `[tencent]`: the Tencent Cloud KMS listener, as `dialect-tencent` defines it.
    pub tencent: dialect_tencent::Settings,
    /// `[huawei]`: the Huawei Cloud KMS listener, as `dialect-huawei` defines it.
    pub huawei: dialect_huawei::Settings,
    /// `[pool]`: wrapping key pairs generated ahead of demand.
    pub pool: PoolSettings,
    /// `[seed]`: keys declared up front.
    pub seed: SeedSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./kmsgate-data"),
            in_memory: false,
            store: StoreSettings::default(),
            root_key_file: None,
            root_key: None,
            sweep_interval_secs: 1,
            busy_poll_micros: 50,
            admin: AdminSettings::default(),
            limits: LimitSettings::default(),
            log: LogSettings::default(),
            aws: dialect_aws::Settings::default(),
            tencent: dialect_tencent::Settings::default(),
            huawei: dialect_huawei::Settings::default(),
            pool: PoolSettings::default(),
            seed: SeedSettings::default(),
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// `admin.clock_control`: serve the clock endpoints (`/_kmsgate/clock…`) on every
    /// listener; when false they answer 404. Default true.
    pub clock_control: bool,
    /// `admin.token`: when set, every `/_kmsgate/…` endpoint wants `Authorization: Bearer
    /// <token>`. When unset they are open while every served dialect is permissive, and
    /// answer 404 as soon as one runs with strict auth. Default unset.
    pub token: Option<String>,
}

impl Default for AdminSettings {
    fn default() -> Self {
        AdminSettings {
            clock_control: true,
            token: None,
        }
    }
}

impl fmt::Debug for AdminSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret.
        f.debug_struct("AdminSettings")
            .field("clock_control", &self.clock_control)
            .field("token", &self.token.as_ref().map(|_| ".."))
            .finish()
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `log.level`: a level (`error`, `warn`, `info`, `debug`, `trace`) or a `tracing` filter
    /// such as `kmsgate_server=debug,warn`. `RUST_LOG` overrides it, and `--log-level`
    /// overrides both. Default `info`: one line per request.
    pub level: LogLevel,
    /// `log.format`: `text` or `json` (one object per line). Default `text`.
    pub format: LogFormat,
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

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedSettings {
    /// `seed.file`: a TOML file of keys to create at every start, or to find as declared
    /// (see `docs/seeding.md`); `@path` material references in it are relative to its
    /// directory. Default unset.
    pub file: Option<PathBuf>,
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
    /// `pool.reuse_calls`: while no fresh pair of a spec is ready, the pair last handed out
    /// serves up to this many GetParametersForImport answers in all (at least 1; 1: a fresh
    /// pair for every answer, which may then wait for a generation). Default 4294967295: no bound but time.
    pub reuse_calls: u32,
    /// `pool.reuse_secs`: ... and only within this many seconds of its first answer.
    /// Default 300.
    pub reuse_secs: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        let t = PoolTargets::default();
        PoolSettings {
            rsa_2048: t.rsa_2048,
            rsa_3072: t.rsa_3072,
            rsa_4096: t.rsa_4096,
            sm2: t.sm2,
            reuse_calls: Reuse::default().calls,
            reuse_secs: Reuse::default().within.as_secs(),
        }
    }
}

impl PoolSettings {
    pub fn reuse(&self) -> Reuse {
        Reuse {
            calls: self.reuse_calls,
            within: std::time::Duration::from_secs(self.reuse_secs),
        }
    }

    pub fn targets(&self) -> PoolTargets {
        PoolTargets {
            rsa_2048: self.rsa_2048,
            rsa_3072: self.rsa_3072,
            rsa_4096: self.rsa_4096,
            sm2: self.sm2,
        }
    }
}

/// What command-line flags say; `None`/`false` leaves the layers below in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub in_memory: bool,
    /// `--log-level`: beats `RUST_LOG` as well as `log.level`, so it is kept apart and
    /// applied when the subscriber is built.
    pub log_level: Option<LogLevel>,
    pub log_format: Option<LogFormat>,
    /// `--reset`: start from an empty store (an action at start, not a setting).
    pub reset: bool,
    /// `--seed FILE`: beats `seed.file`.
    pub seed: Option<PathBuf>,
    pub aws_listen: Option<ListenAddr>,
    pub tencent_listen: Option<ListenAddr>,
    pub huawei_listen: Option<ListenAddr>,
}

impl Overrides {
    pub fn listen(&self, kind: DialectKind) -> Option<&ListenAddr> {
        match kind {
            DialectKind::Aws => self.aws_listen.as_ref(),
            DialectKind::Tencent => self.tencent_listen.as_ref(),
            DialectKind::Huawei => self.huawei_listen.as_ref(),
        }
    }

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
    /// The file or the environment cannot be read, or does not fit the settings; the values
    /// the parser quoted are left out ([`crate::redact`]).
    #[error("invalid configuration: {0}")]
    Source(String),
    /// Every value parsed, but they cannot work.
    #[error("invalid configuration: {0}")]
    Unusable(#[from] Unusable),
    /// A `KMSGATE_…` variable whose value is not UTF-8.
    #[error("invalid configuration: environment variable {name} is not valid UTF-8")]
    NotUtf8 { name: String },
}

impl From<config::ConfigError> for SettingsError {
    fn from(e: config::ConfigError) -> Self {
        let message = crate::redact::values_hidden(&e.to_string());
        SettingsError::Source(map_keys_hidden(&message))
    }
}

/// `message` with the setting paths it quotes (`` for key `huawei.static_tokens.<token>` ``)
/// cut before any map key: the key of `static_tokens` is the token itself.
fn map_keys_hidden(message: &str) -> String {
    const OPEN: &str = "key `";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(OPEN) {
        let (before, after) = rest.split_at(at + OPEN.len());
        out.push_str(before);
        let Some(end) = after.find('`') else {
            rest = after;
            break;
        };
        out.push_str(&crate::env_source::shown_path(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Settings that parsed but cannot work.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    #[error("limits.body_bytes must be at least 1")]
    NoBody,
    #[error("limits.request_timeout_secs must be at least 1")]
    NoTime,
    #[error("sweep_interval_secs must be at least 1")]
    NoSweepInterval,
    #[error("busy_poll_micros must be at most 1000 (0 turns busy polling off)")]
    LongBusyPoll,
    #[error("pool.reuse_calls must be at least 1 (1: a fresh wrapping key pair for every answer)")]
    NoPairUse,
    #[error("data_dir must not be empty (or set in_memory)")]
    NoDataDir,
    #[error("admin.token must not be empty (leave it unset instead)")]
    EmptyAdminToken,
    /// A token read from a file often ends in a newline, which no client sends back.
    #[error(
        "admin.token starts or ends with whitespace (a newline from a file?), which no Authorization header carries: remove it"
    )]
    PaddedAdminToken,
    #[error(
        "admin.token holds characters other than visible ASCII and spaces, which no Authorization header a client sends can carry: choose another"
    )]
    UnsendableAdminToken,
    #[error(transparent)]
    Store(#[from] StoreUnusable),
    /// A dialect's section, in the dialect's own words.
    #[error(transparent)]
    Dialect(Box<dyn std::error::Error + Send + Sync>),
}

fn dialect_section<S: DialectSettings>(section: &S) -> Result<(), Unusable> {
    section
        .validate()
        .map_err(|e| Unusable::Dialect(Box::new(e)))
}

impl Settings {
    /// Layers defaults < `file` < `env` < `overrides`. `env` is passed in rather than read
    /// here so tests never touch the process environment; only `KMSGATE_…` pairs matter.
    pub fn load(
        file: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> Result<Settings, SettingsError> {
        Settings::load_reporting(file, env, overrides).map(|(settings, _)| settings)
    }

    /// [`Settings::load`], also returning warnings: one per `KMSGATE_…` variable that names
    /// no setting (it is passed over, since CI systems and images set such variables of their
    /// own), with the nearest setting. Unknown keys in the file stay errors.
    pub fn load_reporting(
        file: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> Result<(Settings, Vec<String>), SettingsError> {
        let maps = data_maps();
        let mut known = Vec::new();
        let mut warnings = Vec::new();
        for (name, value) in env {
            let Some(Ok(path)) = setting_path(name) else {
                // Not ours, or malformed: the source reports the latter as an error.
                known.push((name.clone(), value.clone()));
                continue;
            };
            let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
            match known_settings::check(&segments, &maps) {
                Ok(()) => known.push((name.clone(), value.clone())),
                // Shown up to the segment that names nothing: what follows a misspelt map's
                // name may be a token.
                Err(nearest) => warnings.push(format!(
                    "environment variable {} names no setting and is ignored (did you mean {nearest}, {}?)",
                    elided(name, nearest.split('.').count()),
                    env_name(&nearest)
                )),
            }
        }
        let mut builder = Config::builder();
        if let Some(path) = file {
            builder = builder.add_source(File::from(path).format(FileFormat::Toml).required(true));
        }
        let layered = builder.add_source(EnvSource::new(known)).build()?;
        let mut settings: Settings = layered.try_deserialize()?;
        settings.apply(overrides);
        settings.validate()?;
        Ok((settings, warnings))
    }

    fn apply(&mut self, o: &Overrides) {
        if let Some(dir) = &o.data_dir {
            self.data_dir = dir.clone();
        }
        if o.in_memory {
            self.in_memory = true;
        }
        if let Some(format) = o.log_format {
            self.log.format = format;
        }
        if let Some(file) = &o.seed {
            self.seed.file = Some(file.clone());
        }
        for kind in DialectKind::ALL {
            if let Some(a) = o.listen(kind) {
                *self.listen_mut(kind) = a.clone();
            }
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
        if self.busy_poll_micros > 1000 {
            return Err(Unusable::LongBusyPoll);
        }
        if self.pool.reuse_calls == 0 {
            return Err(Unusable::NoPairUse);
        }
        dialect_section(&self.aws)?;
        dialect_section(&self.tencent)?;
        dialect_section(&self.huawei)?;
        if self
            .admin
            .token
            .as_ref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return Err(Unusable::EmptyAdminToken);
        }
        if self
            .admin
            .token
            .as_ref()
            .is_some_and(|t| t.trim() != t.as_str())
        {
            return Err(Unusable::PaddedAdminToken);
        }
        // A header value clients send (and actix reads as text) is visible ASCII and spaces.
        if self
            .admin
            .token
            .as_ref()
            .is_some_and(|t| !t.bytes().all(|b| b == b' ' || b.is_ascii_graphic()))
        {
            return Err(Unusable::UnsendableAdminToken);
        }
        let (store, _) = self.store_choice()?;
        if matches!(store, StoreChoice::Redb(_)) && self.data_dir.as_os_str().is_empty() {
            return Err(Unusable::NoDataDir);
        }
        Ok(())
    }

    /// The store to open and the root key configured for it (checked by `load`).
    pub fn store_choice(&self) -> Result<(StoreChoice, Option<RootKeySource>), StoreUnusable> {
        crate::store_settings::resolve(
            &self.store,
            self.in_memory,
            &self.data_dir,
            self.root_key_file.as_ref(),
            self.root_key.as_ref(),
        )
    }

    pub fn listen(&self, kind: DialectKind) -> &ListenAddr {
        match kind {
            DialectKind::Aws => &self.aws.listen,
            DialectKind::Tencent => &self.tencent.listen,
            DialectKind::Huawei => &self.huawei.listen,
        }
    }

    /// Whether `kind` verifies its callers.
    pub fn strict_auth(&self, kind: DialectKind) -> bool {
        match kind {
            DialectKind::Aws => self.aws.strict_auth,
            DialectKind::Tencent => self.tencent.strict_auth,
            DialectKind::Huawei => self.huawei.strict_auth,
        }
    }

    pub fn listen_mut(&mut self, kind: DialectKind) -> &mut ListenAddr {
        match kind {
            DialectKind::Aws => &mut self.aws.listen,
            DialectKind::Tencent => &mut self.tencent.listen,
            DialectKind::Huawei => &mut self.huawei.listen,
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
        assert_eq!(s.busy_poll_micros, 50);
        assert!(s.admin.clock_control);
        assert_eq!(s.limits.body_bytes, 262_144);
        assert_eq!(s.limits.request_timeout_secs, 30);
        assert_eq!(s.aws.listen, addr("127.0.0.1:8411"));
        assert_eq!(s.tencent.listen, addr("127.0.0.1:8412"));
        assert_eq!(s.huawei.listen, addr("127.0.0.1:8413"));
        assert_eq!(s.aws.default_account, dialect_aws::Account::DEFAULT);
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
        assert_eq!(s.aws.default_account.to_string(), "111111111111");

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
        // Values parsers quote never reach the message: a credential given in the wrong
        // shape, an unquoted root key in the file, a token in a misspelt or malformed name.
        let e = error_of(
            None,
            &[("KMSGATE_TENCENT__CREDENTIALS__AKID1", "s3cretvalue")],
        );
        assert!(
            e.contains("tencent.credentials") && !e.contains("s3cretvalue"),
            "{e}"
        );
        let unquoted = "0f".repeat(32);
        let e = error_of(Some(&format!("root_key = {unquoted}\n")), &[]);
        assert!(e.contains("line 1") && !e.contains(&unquoted[..16]), "{e}");
        let e = error_of(None, &[("KMSGATE_HUAWEI__STATIC_TOKENS__MIIab+c/d=", "p")]);
        assert!(!e.contains("MIIab"), "{e}");
        // A token read from a file with its newline would never match a header.
        let e = error_of(None, &[("KMSGATE_ADMIN__TOKEN", "s3cret\n")]);
        assert!(e.contains("admin.token") && e.contains("whitespace"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        for unsendable in ["clé-s3cret", "tab\tin-s3cret"] {
            let e = error_of(None, &[("KMSGATE_ADMIN__TOKEN", unsendable)]);
            assert!(
                e.contains("admin.token") && e.contains("visible ASCII"),
                "{e}"
            );
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    const HEX_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn the_store_kind_resolves_with_the_old_flags() {
        let load = |pairs: &[(&str, &str)], o: &Overrides| {
            let s = Settings::load(None, &env(pairs), o).unwrap();
            s.store_choice().unwrap().0
        };
        let none = Overrides::default();
        assert!(matches!(load(&[], &none), StoreChoice::Redb(_)));
        assert!(matches!(
            load(&[("KMSGATE_IN_MEMORY", "true")], &none),
            StoreChoice::Memory
        ));
        let flag = Overrides {
            in_memory: true,
            ..Overrides::default()
        };
        assert!(matches!(load(&[], &flag), StoreChoice::Memory));
        assert!(matches!(
            load(&[("KMSGATE_STORE__KIND", "memory")], &none),
            StoreChoice::Memory
        ));
        let pg = load(
            &[
                ("KMSGATE_STORE__KIND", "postgres"),
                (
                    "KMSGATE_STORE__POSTGRES__URL",
                    "postgres://kms:pw-1234@db:5433/k",
                ),
                ("KMSGATE_STORE__POSTGRES__POOL_SIZE", "4"),
                ("KMSGATE_ROOT_KEY", HEX_KEY),
            ],
            &none,
        );
        let StoreChoice::Postgres(options) = &pg else {
            panic!("{pg:?}");
        };
        assert_eq!(options.pool_size, 4);
        assert_eq!(options.statement_timeout, std::time::Duration::from_secs(5));
        // Neither the startup line nor Debug shows the password or the root key.
        for shown in [pg.describe(), format!("{pg:?}")] {
            assert!(shown.contains("postgres://kms@db:5433/k"), "{shown}");
            assert!(!shown.contains("pw-1234"), "{shown}");
        }
        let s = Settings::load(None, &env(&[("KMSGATE_ROOT_KEY", HEX_KEY)]), &none).unwrap();
        assert!(!format!("{s:?}").contains("00112233"), "{s:?}");
    }

    #[test]
    fn busy_polling_is_bounded_and_can_be_turned_off() {
        let none = Overrides::default();
        let off = env(&[("KMSGATE_BUSY_POLL_MICROS", "0")]);
        assert_eq!(
            Settings::load(None, &off, &none).unwrap().busy_poll_micros,
            0
        );
        let most = env(&[("KMSGATE_BUSY_POLL_MICROS", "1000")]);
        assert_eq!(
            Settings::load(None, &most, &none).unwrap().busy_poll_micros,
            1000
        );
        let e = error_of(None, &[("KMSGATE_BUSY_POLL_MICROS", "1001")]);
        assert!(e.contains("busy_poll_micros must be at most 1000"), "{e}");
    }

    #[test]
    fn unusable_store_settings_are_errors_naming_the_setting() {
        let url = ("KMSGATE_STORE__POSTGRES__URL", "postgres://u@h/d");
        let kind = ("KMSGATE_STORE__KIND", "postgres");
        let key = ("KMSGATE_ROOT_KEY", HEX_KEY);
        let e = error_of(None, &[kind, key]);
        assert!(e.contains("store.postgres.url"), "{e}");
        let e = error_of(None, &[kind, url]);
        assert!(e.contains("root_key_file or root_key"), "{e}");
        let e = error_of(None, &[kind, url, key, ("KMSGATE_ROOT_KEY_FILE", "/k")]);
        assert!(e.contains("not both"), "{e}");
        let e = error_of(None, &[kind, url, key, ("KMSGATE_IN_MEMORY", "true")]);
        assert!(e.contains("in_memory"), "{e}");
        let e = error_of(
            None,
            &[kind, url, key, ("KMSGATE_STORE__POSTGRES__POOL_SIZE", "1")],
        );
        assert!(e.contains("store.postgres.pool_size"), "{e}");
        let e = error_of(
            None,
            &[
                kind,
                url,
                key,
                ("KMSGATE_STORE__POSTGRES__STATEMENT_TIMEOUT_MS", "0"),
            ],
        );
        assert!(e.contains("store.postgres.statement_timeout_ms"), "{e}");
        let e = error_of(None, &[("KMSGATE_STORE__KIND", "sqlite")]);
        assert!(e.contains("sqlite"), "{e}");
        // A URL alone does not choose PostgreSQL: the embedded store would silently be used.
        for extra in [None, Some(("KMSGATE_IN_MEMORY", "true"))] {
            let mut vars = vec![url, key];
            vars.extend(extra);
            let e = error_of(None, &vars);
            assert!(
                e.contains("store.postgres.url") && e.contains("store.kind"),
                "{e}"
            );
        }
        let e = error_of(None, &[("KMSGATE_ROOT_KEY", "abcd")]);
        assert!(e.contains("64 hex digits") && !e.contains("abcd"), "{e}");
        let e = error_of(
            None,
            &[
                kind,
                key,
                ("KMSGATE_STORE__POSTGRES__URL", "postgres://u:s3cr3t@h:x/d"),
            ],
        );
        assert!(
            e.contains("not a PostgreSQL connection URL") && !e.contains("s3cr3t"),
            "{e}"
        );
    }

    #[test]
    fn variables_naming_no_setting_are_warnings_not_errors() {
        let env = env(&[
            ("KMSGATE_VERSION", "1.2.3"),
            ("KMSGATE_AWS__LISEN", "127.0.0.1:1"),
            ("KMSGATE_AWS__LISTEN", "127.0.0.1:2"),
            ("KMSGATE_AWS__CREDENTIALS__ANYKEY", "secret"),
        ]);
        let (s, warnings) = Settings::load_reporting(None, &env, &Overrides::default()).unwrap();
        assert_eq!(s.aws.listen, addr("127.0.0.1:2"));
        assert_eq!(s.aws.credentials["ANYKEY"], "secret");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("KMSGATE_VERSION"), "{warnings:?}");
        assert!(
            warnings[1].contains("KMSGATE_AWS__LISEN")
                && warnings[1].contains("KMSGATE_AWS__LISTEN"),
            "{warnings:?}"
        );
        assert!(!warnings.concat().contains("secret"));
        // A misspelt map's name is shown up to the misspelling: what follows may be a token.
        let misspelt = self::env(&[("KMSGATE_HUAWEI__STATIC_TOKEN__MIItoken", "p1")]);
        let (_, warnings) =
            Settings::load_reporting(None, &misspelt, &Overrides::default()).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("KMSGATE_HUAWEI__STATIC_TOKEN__…")
                && !warnings[0].contains("MIItoken"),
            "{warnings:?}"
        );
        // The file keeps refusing unknown keys.
        let e = error_of(Some("version = 1\n"), &[]);
        assert!(e.contains("version"), "{e}");
    }

    #[test]
    fn tencent_defaults() {
        let s = Settings::load(None, &[], &Overrides::default()).unwrap();
        let t = &s.tencent;
        assert_eq!(t.default_account, dialect_tencent::Account::DEFAULT);
        assert!(!t.strict_auth);
        assert!(t.credentials.is_empty());
        assert_eq!(t.edition, dialect_tencent::Edition::Fips);
        let q = &t.quotas;
        assert!(q.enabled);
        assert_eq!(q.window_secs, 1);
        assert_eq!(
            q.limit_for(dialect_tencent::Action::ImportKeyMaterial),
            Some(10)
        );
        assert_eq!(q.limit_for(dialect_tencent::Action::Encrypt), None);
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
        assert_eq!(t.default_account.to_string(), "200000000002");
        assert!(t.strict_auth);
        assert_eq!(t.edition, dialect_tencent::Edition::Sm);
        let c = &t.credentials["AKIDFromFile"];
        assert_eq!(c.secret_key, "file-Secret");
        assert_eq!(
            c.account.map(|a| a.to_string()).as_deref(),
            Some("300000000003")
        );
        assert!(t.credentials["AKIDNoAccount"].account.is_none());
        assert_eq!(t.quotas.window_secs, 3600);
        assert!(!t.quotas.enabled);
        let q = &t.quotas;
        assert_eq!(q.limits[&dialect_tencent::Action::ImportKeyMaterial], 5);
        assert_eq!(q.limits[&dialect_tencent::Action::Encrypt], 7);
        assert_eq!(
            q.limit_for(dialect_tencent::Action::Encrypt),
            None,
            "switched off"
        );
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
        let projects: Vec<&str> = env_ak
            .projects
            .0
            .iter()
            .map(dialect_huawei::ProjectId::as_str)
            .collect();
        assert_eq!(projects, ["p1", "p2"]);
        assert_eq!(s.users["alice"].domain, "acme");
        assert!(s.users["alice"].projects.0.is_empty());
        assert_eq!(s.static_tokens["MIIstatic-Token"].as_str(), "p1");
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
        // A static token is its map's key: a bad value names the map, never the token.
        for (file, vars) in [
            (
                Some("[huawei.static_tokens]\nMIIsecretTok = \"bad id\"\n"),
                vec![],
            ),
            (
                None,
                vec![("KMSGATE_HUAWEI__STATIC_TOKENS__MIIsecretTok", "bad id")],
            ),
        ] {
            let e = error_of(file, &vars);
            assert!(!e.contains("MIIsecretTok"), "{e}");
            assert!(e.contains("huawei.static_tokens"), "{e}");
        }
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
}
