//! Which setting paths exist, learnt from the settings types themselves, so that an
//! environment variable naming no setting can be passed over with a warning instead of
//! stopping the process: CI systems and images set `KMSGATE_…` variables of their own
//! (`KMSGATE_VERSION`, `KMSGATE_CHECKOUT`). Unknown keys in a configuration file stay errors.
//!
//! Serde knows the field names of every settings struct and lists them when refusing an
//! unknown one; offering each struct a name no setting has asks it for that list. Map-valued
//! settings (keyed by user data) accept any key.

use serde_json::{Map, Value};

use crate::settings::Settings;

/// A name no setting has (settings names are lowercase ASCII).
const PROBE: &str = "\u{1}kmsgate-probe";

/// Whether `path` (lowercased segments, map keys as written) names a setting or lies inside a
/// map-valued one; if not, the nearest existing setting path to suggest.
pub(crate) fn check(path: &[String], case_kept_maps: &[Vec<String>]) -> Result<(), String> {
    for depth in 0..path.len() {
        let prefix = &path[..depth];
        let in_map = case_kept_maps
            .iter()
            .any(|map| map.len() == depth && map.iter().zip(prefix).all(|(m, p)| m == p));
        if in_map {
            return Ok(());
        }
        let Some(fields) = fields_at(prefix) else {
            // Not a struct: a value, whose own parsing reports what is wrong with it.
            return Ok(());
        };
        let segment = &path[depth];
        if !fields.iter().any(|f| f == segment) {
            let nearest = fields
                .iter()
                .min_by_key(|f| distance(f, segment))
                .map(|f| [prefix, std::slice::from_ref(f)].concat().join("."))
                .unwrap_or_default();
            return Err(nearest);
        }
    }
    Ok(())
}

/// The field names of the settings struct at `path`, or `None` if there is no struct there.
fn fields_at(path: &[String]) -> Option<Vec<String>> {
    let mut probe = Value::Object(Map::from_iter([(PROBE.to_owned(), Value::Null)]));
    for segment in path.iter().rev() {
        probe = Value::Object(Map::from_iter([(segment.clone(), probe)]));
    }
    let message = match serde_json::from_value::<Settings>(probe) {
        Ok(_) => return None,
        Err(e) => e.to_string(),
    };
    // serde lists the fields as "`a`", "`a` or `b`", or "one of `a`, `b`, …" (none: "there
    // are no fields"): every backticked name after "expected" is a field.
    let listed = message
        .split_once("unknown field")?
        .1
        .split_once("expected")?
        .1;
    Some(
        listed
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

/// Edit distance, to suggest the setting a typo meant.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    fn maps() -> Vec<Vec<String>> {
        vec![path("aws.credentials"), path("tencent.quotas.limits")]
    }

    #[test]
    fn every_documented_setting_is_known() {
        for p in [
            "data_dir",
            "in_memory",
            "limits.body_bytes",
            "log.level",
            "aws.listen",
            "aws.allow_rsaes_pkcs1_v1_5",
            "tencent.quotas.window_secs",
            "huawei.token_ttl_secs",
            "pool.sm2",
            "limits.request_timeout_secs",
            "admin.token",
            "admin.clock_control",
            "store.kind",
            "store.postgres.url",
            "store.postgres.pool_size",
            "store.postgres.statement_timeout_ms",
            "store.postgres.connect_timeout_ms",
            "root_key",
            "root_key_file",
            "aws.credentials.AKIAWHATEVER",
            "tencent.quotas.limits.Encrypt",
        ] {
            assert_eq!(check(&path(p), &maps()), Ok(()), "{p}");
        }
    }

    #[test]
    fn unknown_paths_get_the_nearest_setting() {
        assert!(check(&path("version"), &maps()).is_err());
        assert_eq!(check(&path("aws.lisen"), &maps()), Err("aws.listen".into()));
        assert_eq!(check(&path("data_dri"), &maps()), Err("data_dir".into()));
        assert_eq!(
            check(&path("tencent.quotas.windows_secs"), &maps()),
            Err("tencent.quotas.window_secs".into())
        );
        assert_eq!(check(&path("awz.listen"), &maps()), Err("aws".into()));
    }
}
