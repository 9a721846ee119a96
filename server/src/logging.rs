//! Logs on stderr through `tracing`: one line per request at `info` (see
//! [`crate::listener`]), the startup summary, and warnings. Stdout keeps only the
//! `listening on` lines, which scripts wait for.
//!
//! # What is never logged
//!
//! Secrets, signatures, tokens, plaintext, key material, ciphertext and data keys. Request
//! lines are built only from a dialect's [`dialect_kit::Summary`] (operation, tenant, key id,
//! error code, request id), the status and the duration; no log statement formats a request
//! or response body, a header value, or a settings value other than names and numbers.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// `log.format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("{s:?} is not a log format (text or json)")),
        }
    }
}

/// `log.level`: a `tracing` filter directive such as `info`, `debug`, or
/// `kmsgate_server=debug,warn`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LogLevel(String);

impl LogLevel {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for LogLevel {
    fn default() -> Self {
        LogLevel("info".to_owned())
    }
}

impl TryFrom<String> for LogLevel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EnvFilter::try_new(&s)
            .map(|_| LogLevel(s.clone()))
            .map_err(|e| format!("{s:?} is not a log level or filter ({e})"))
    }
}

impl FromStr for LogLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LogLevel::try_from(s.to_owned())
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the filter came from: an explicit `--log-level` beats `RUST_LOG`, which beats
/// `log.level` from the file or `KMSGATE_LOG__LEVEL`.
/// A `RUST_LOG` that does not parse is passed over (it may be meant for another program).
pub(crate) fn filter(
    flag: Option<&LogLevel>,
    rust_log: Option<&str>,
    setting: &LogLevel,
) -> Result<EnvFilter, String> {
    let chosen = match (flag, rust_log.filter(|v| EnvFilter::try_new(v).is_ok())) {
        (Some(level), _) => level.as_str(),
        (None, Some(env)) => env,
        (None, None) => setting.as_str(),
    };
    // actix announces its workers at info; a filter that does not mention actix keeps that
    // below the request lines.
    let quiet = if chosen.contains("actix") {
        String::new()
    } else {
        ",actix_server=warn,actix_web=warn".to_owned()
    };
    EnvFilter::try_new(format!("{chosen}{quiet}")).map_err(|e| format!("log level {chosen:?}: {e}"))
}

/// Why `RUST_LOG` was passed over, when [`filter`] did so: a value that does not parse as a
/// filter (it may be meant for another program, so it does not stop the start, but a typo
/// must not go unnoticed). Names the variable, not its value.
pub(crate) fn ignored_rust_log(flag: Option<&LogLevel>, rust_log: Option<&str>) -> Option<String> {
    match (flag, rust_log) {
        (None, Some(env)) if EnvFilter::try_new(env).is_err() => Some(
            "RUST_LOG does not parse as a log filter (e.g. info or kmsgate_server=debug,warn), so log.level is used instead".to_owned(),
        ),
        _ => None,
    }
}

pub(crate) use crate::log_writer::LogGuard;

/// Installs the process's subscriber. Only the first call in a process takes effect (tests
/// and `Background` may start several servers); later calls change nothing.
/// Lines reach stderr through [`crate::log_writer`]: batched, a tenth of a second late at
/// most. Hold the guard until the process exits.
pub(crate) fn init(filter: EnvFilter, format: LogFormat) -> LogGuard {
    let (writer, guard) = crate::log_writer::batch_writer(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_timer(crate::log_format::UtcMicros)
        .with_target(false);
    // An error means a subscriber is already installed, which is what we want then.
    let _ = match format {
        LogFormat::Text => builder
            .event_format(crate::log_format::TextLines)
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    guard
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(flag: Option<&str>, rust_log: Option<&str>, setting: &str) -> String {
        let flag: Option<LogLevel> = flag.map(|f| f.parse().unwrap());
        let shown = filter(flag.as_ref(), rust_log, &setting.parse().unwrap())
            .unwrap()
            .to_string();
        shown
            .split(',')
            .filter(|d| !d.starts_with("actix"))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn flag_beats_rust_log_beats_setting() {
        assert_eq!(chosen(Some("debug"), Some("warn"), "info"), "debug");
        assert_eq!(chosen(None, Some("warn"), "info"), "warn");
        assert_eq!(chosen(None, None, "error"), "error");
        assert_eq!(
            chosen(None, Some("a=b=c"), "error"),
            "error",
            "unusable RUST_LOG"
        );
        // Passed over aloud, naming the variable but not its value; not when unused anyway.
        let warned = ignored_rust_log(None, Some("a=b=c")).unwrap();
        assert!(
            warned.contains("RUST_LOG") && !warned.contains("a=b=c"),
            "{warned}"
        );
        assert_eq!(ignored_rust_log(None, Some("warn")), None);
        assert_eq!(ignored_rust_log(None, None), None);
        let flag: LogLevel = "debug".parse().unwrap();
        assert_eq!(ignored_rust_log(Some(&flag), Some("a=b=c")), None);
    }

    #[test]
    fn levels_and_formats_parse() {
        assert!("kmsgate_server=debug,warn".parse::<LogLevel>().is_ok());
        assert!("a=b=c".parse::<LogLevel>().is_err());
        assert_eq!("JSON".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert!("xml".parse::<LogFormat>().is_err());
    }
}
