//! What a server needs to know of a dialect's settings section to compose it with others.

use std::fmt;

use serde::de::DeserializeOwned;

/// A dialect's settings section (`[aws]`, `[tencent]`, `[huawei]`), owned and validated by
/// the dialect. A server embeds one per dialect, reads it from its configuration sources and
/// hands it back to the dialect's constructor; beyond what is here it reads only the
/// section's `listen` address, which every section has.
pub trait DialectSettings:
    DeserializeOwned + Default + Clone + fmt::Debug + Send + Sync + 'static
{
    /// The section's name in configuration files and `KMSGATE_<SECTION>__…` variables.
    const SECTION: &'static str;

    /// Settings that are maps keyed by user data (access key ids, user names, action names),
    /// as key paths below the section: an environment source keeps the case of the segment
    /// right after one of these paths, which it otherwise lower-cases.
    const CASE_KEPT_MAPS: &'static [&'static [&'static str]];

    /// Those of [`DialectSettings::CASE_KEPT_MAPS`] whose keys are secrets (a token that is
    /// its own credential): messages about such a setting name the map, never the key.
    const SECRET_KEYED_MAPS: &'static [&'static [&'static str]] = &[];

    /// Why values that each parsed cannot work together; its message names the settings by
    /// their full path (`aws.strict_auth`).
    type Invalid: std::error::Error + Send + Sync + 'static;

    /// Whether the section can work as a whole (a strict mode with no credentials cannot).
    fn validate(&self) -> Result<(), Self::Invalid>;
}
