//! `KMSGATE_…` environment variables as a `config` source.
//!
//! `config::Environment` lowercases whole variable names, which would turn the access key id
//! in `KMSGATE_AWS__CREDENTIALS__AKIDEXAMPLE` into `akidexample` and make strict auth refuse
//! it; this source lowercases the setting path but keeps the case of credential ids. It also
//! names the offending variable in error messages.

use std::fmt;

use config::{ConfigError, Map, Source, Value, ValueKind};

const PREFIX: &str = "KMSGATE_";
const SEPARATOR: &str = "__";

#[derive(Clone)]
pub(crate) struct EnvSource {
    vars: Vec<(String, String)>,
}

impl EnvSource {
    pub(crate) fn new(vars: Vec<(String, String)>) -> Self {
        EnvSource { vars }
    }
}

impl fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets; names are enough to debug with.
        let names: Vec<&str> = self.vars.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("EnvSource").field("vars", &names).finish()
    }
}

/// A `KMSGATE_…` variable whose name is not a setting path.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} does not name a setting (use KMSGATE_SECTION__KEY)")]
pub(crate) struct NotASetting {
    pub name: String,
}

/// The dotted setting path a variable names, or `None` if it is not ours.
pub(crate) fn setting_path(name: &str) -> Option<Result<String, NotASetting>> {
    let (head, rest) = (name.get(..PREFIX.len())?, name.get(PREFIX.len()..)?);
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let segments: Vec<&str> = rest.split(SEPARATOR).collect();
    let valid = |s: &&str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if !segments.iter().all(valid) {
        return Some(Err(NotASetting {
            name: name.to_owned(),
        }));
    }
    let is_credential_id = |i: usize| {
        i == 2
            && segments[0].eq_ignore_ascii_case("aws")
            && segments[1].eq_ignore_ascii_case("credentials")
    };
    let path: Vec<String> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if is_credential_id(i) {
                (*s).to_owned()
            } else {
                s.to_ascii_lowercase()
            }
        })
        .collect();
    Some(Ok(path.join(".")))
}

impl Source for EnvSource {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, ConfigError> {
        let mut map = Map::new();
        for (name, value) in &self.vars {
            let Some(path) = setting_path(name) else {
                continue;
            };
            let path = path.map_err(|e| ConfigError::Message(e.to_string()))?;
            let origin = format!("environment variable {name}");
            map.insert(
                path,
                Value::new(Some(&origin), ValueKind::String(value.clone())),
            );
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_lowercased_except_credential_ids() {
        let p = |n: &str| setting_path(n).map(|r| r.unwrap());
        assert_eq!(p("KMSGATE_AWS__LISTEN").as_deref(), Some("aws.listen"));
        assert_eq!(p("KMSGATE_DATA_DIR").as_deref(), Some("data_dir"));
        assert_eq!(
            p("KMSGATE_AWS__CREDENTIALS__AKIDExample").as_deref(),
            Some("aws.credentials.AKIDExample")
        );
        assert_eq!(p("HOME"), None);
        assert_eq!(p("KMSGATEX"), None);
        assert!(setting_path("KMSGATE_AWS____LISTEN").unwrap().is_err());
        assert!(setting_path("KMSGATE_AWS.LISTEN").unwrap().is_err());
        assert_eq!(
            setting_path("KMSGATE_AWS.LISTEN")
                .unwrap()
                .unwrap_err()
                .to_string(),
            "environment variable KMSGATE_AWS.LISTEN does not name a setting \
             (use KMSGATE_SECTION__KEY)"
        );
    }
}
