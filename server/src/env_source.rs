//! `KMSGATE_…` environment variables as a `config` source.
//!
//! `config::Environment` lowercases whole variable names, which would turn the access key id
//! in `KMSGATE_AWS__CREDENTIALS__AKIDEXAMPLE` into `akidexample` and make strict auth refuse
//! it; this source lowercases the setting path but keeps the case of map keys that are data
//! (access key ids, user names, tokens, action names), which each dialect declares in its
//! settings' `CASE_KEPT_MAPS`. It also names the offending variable in error messages.

use std::fmt;

use config::{ConfigError, Map, Source, Value, ValueKind};
use dialect_kit::DialectSettings;

const PREFIX: &str = "KMSGATE_";
const SEPARATOR: &str = "__";

/// The full paths of the map-valued settings keyed by user data.
pub(crate) fn data_maps() -> Vec<Vec<String>> {
    case_kept_maps()
        .map(|(section, path)| {
            std::iter::once(section)
                .chain(path.iter().copied())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Which of a dialect's lists of map-valued settings.
#[derive(Clone, Copy)]
enum Maps {
    /// Keyed by user data: the segment right after one of these paths is kept as written.
    CaseKept,
    /// Keyed by secrets (tokens): never shown.
    SecretKeyed,
}

/// Every dialect's `which` maps, as (section, path below it).
fn maps(which: Maps) -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
    fn of<S: DialectSettings>(
        which: Maps,
    ) -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
        let maps = match which {
            Maps::CaseKept => S::CASE_KEPT_MAPS,
            Maps::SecretKeyed => S::SECRET_KEYED_MAPS,
        };
        maps.iter().map(|path| (S::SECTION, *path))
    }
    of::<dialect_aws::Settings>(which)
        .chain(of::<dialect_tencent::Settings>(which))
        .chain(of::<dialect_huawei::Settings>(which))
}

fn case_kept_maps() -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
    maps(Maps::CaseKept)
}

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

/// The variable that sets a dotted setting path.
pub(crate) fn env_name(path: &str) -> String {
    format!(
        "{PREFIX}{}",
        path.replace('.', SEPARATOR).to_ascii_uppercase()
    )
}

/// `name` with its segments after the first `keep` left out (`KMSGATE_A__B__…`): the part of a
/// variable's name that may be a map key, and so a token, never reaches a message.
pub(crate) fn elided(name: &str, keep: usize) -> String {
    let Some(rest) = name.get(PREFIX.len()..) else {
        return name.to_owned();
    };
    let segments: Vec<&str> = rest.split(SEPARATOR).collect();
    if segments.len() <= keep {
        return name.to_owned();
    }
    let head = name.get(..PREFIX.len()).unwrap_or(PREFIX);
    format!("{head}{}{SEPARATOR}…", segments[..keep].join(SEPARATOR))
}

/// `name` as messages show it: up to its first segment that is a map key (an access key id,
/// a user, a token) or not a valid segment.
pub(crate) fn shown_name(name: &str) -> String {
    let Some(rest) = name.get(PREFIX.len()..) else {
        return name.to_owned();
    };
    let segments: Vec<&str> = rest.split(SEPARATOR).collect();
    // Sections and their settings (the first two segments) are ours to show even when
    // malformed; deeper, a malformed segment may be a token in a misspelt map's name.
    let keep = (0..segments.len())
        .find(|&i| is_map_key(&segments, i) || (i >= 2 && !valid_segment(segments[i])))
        .unwrap_or(segments.len());
    elided(name, keep)
}

/// A dotted setting path (`huawei.static_tokens.<token>`, as the configuration parser names
/// a value in its errors) as messages show it: up to the key of a map whose keys are secrets.
pub(crate) fn shown_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('.').collect();
    match (0..segments.len()).find(|&i| is_key_of(Maps::SecretKeyed, &segments, i)) {
        Some(keep) => format!("{}.…", segments[..keep].join(".")),
        None => path.to_owned(),
    }
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether segment `i` of a variable's name is the key of a case-kept map.
fn is_map_key(segments: &[&str], i: usize) -> bool {
    is_key_of(Maps::CaseKept, segments, i)
}

/// Whether segment `i` of a setting's path (its section first) is the key of one of the
/// `which` maps.
fn is_key_of(which: Maps, segments: &[&str], i: usize) -> bool {
    maps(which).any(|(section, map)| {
        map.len() + 1 == i
            && std::iter::once(&section)
                .chain(map.iter())
                .zip(segments)
                .all(|(want, got)| got.eq_ignore_ascii_case(want))
    })
}

/// The dotted setting path a variable names, or `None` if it is not ours.
pub(crate) fn setting_path(name: &str) -> Option<Result<String, NotASetting>> {
    let (head, rest) = (name.get(..PREFIX.len())?, name.get(PREFIX.len()..)?);
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let segments: Vec<&str> = rest.split(SEPARATOR).collect();
    if !segments.iter().all(|s| valid_segment(s)) {
        return Some(Err(NotASetting {
            name: shown_name(name),
        }));
    }
    let path: Vec<String> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if is_map_key(&segments, i) {
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
            let origin = format!("environment variable {}", shown_name(name));
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
    fn paths_are_lowercased_except_map_keys() {
        let p = |n: &str| setting_path(n).map(|r| r.unwrap());
        assert_eq!(p("KMSGATE_AWS__LISTEN").as_deref(), Some("aws.listen"));
        assert_eq!(p("KMSGATE_DATA_DIR").as_deref(), Some("data_dir"));
        assert_eq!(
            p("KMSGATE_AWS__CREDENTIALS__AKIDExample").as_deref(),
            Some("aws.credentials.AKIDExample")
        );
        assert_eq!(
            p("KMSGATE_HUAWEI__CREDENTIALS__HpuaAk__SECRET_KEY").as_deref(),
            Some("huawei.credentials.HpuaAk.secret_key")
        );
        assert_eq!(
            p("KMSGATE_HUAWEI__USERS__Alice__PASSWORD").as_deref(),
            Some("huawei.users.Alice.password")
        );
        assert_eq!(
            p("KMSGATE_HUAWEI__STATIC_TOKENS__MIIstatic").as_deref(),
            Some("huawei.static_tokens.MIIstatic")
        );
        assert_eq!(
            p("KMSGATE_TENCENT__CREDENTIALS__AKIDab__ACCOUNT").as_deref(),
            Some("tencent.credentials.AKIDab.account")
        );
        assert_eq!(
            p("KMSGATE_TENCENT__QUOTAS__LIMITS__ImportKeyMaterial").as_deref(),
            Some("tencent.quotas.limits.ImportKeyMaterial")
        );
        // Only the map key keeps its case, not what follows or precedes it.
        assert_eq!(
            p("KMSGATE_TENCENT__QUOTAS__WINDOW_SECS").as_deref(),
            Some("tencent.quotas.window_secs")
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
