//! Per-action request quotas ("A maximum of N requests can be initiated per second for this
//! API"), counted per tenant (account + region) in fixed windows of the quota clock.
//!
//! Windows are aligned to multiples of their length since the epoch, so moving the clock
//! forward by one window length always starts a fresh window; that is what lets tests step
//! windows deterministically. A throttled request is refused before its parameters are read
//! and changes nothing; every admitted request counts, whether it then succeeds or not.

use kms_core::{Clock, TenantId};
use serde::de::{self, Deserialize, Deserializer};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::error::{ErrorCode, TencentError};
use crate::ops::Action;

/// `[tencent.quotas]`: per-action request quotas.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuotaSettings {
    /// `tencent.quotas.enabled`: enforce the quotas at all. Default true.
    pub enabled: bool,
    /// `tencent.quotas.window_secs`: length of a quota window in seconds of the emulated
    /// clock (at least 1). Default 1 (Tencent's "per second").
    pub window_secs: u64,
    /// `[tencent.quotas.limits]`: action name → requests allowed per window and per account
    /// and region; 0 lifts the action's limit. Defaults: ImportKeyMaterial 10, others
    /// unlimited. Action names are matched ignoring case.
    pub limits: BTreeMap<Action, u32>,
}

impl Default for QuotaSettings {
    fn default() -> Self {
        QuotaSettings {
            enabled: true,
            window_secs: 1,
            limits: BTreeMap::new(),
        }
    }
}

/// An action name in `tencent.quotas.limits` that is no action of this dialect.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} in tencent.quotas.limits is not an action of the Tencent dialect")]
pub struct UnknownAction(pub String);

/// Quota limits name actions as users write them, in any case.
impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Action::from_name_ignore_case(&name).ok_or_else(|| de::Error::custom(UnknownAction(name)))
    }
}

impl QuotaSettings {
    /// Requests allowed per window for `action`, `None` for no limit.
    pub fn limit_for(&self, action: Action) -> Option<u32> {
        if !self.enabled {
            return None;
        }
        let limit = self
            .limits
            .get(&action)
            .copied()
            .or_else(|| action.default_quota())?;
        (limit > 0).then_some(limit)
    }
}

/// Entries beyond this are pruned to the current window, so idle tenants cost nothing.
const PRUNE_AT: usize = 4096;

#[derive(Debug)]
pub(crate) struct Quotas {
    config: QuotaSettings,
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<(TenantId, Action), (u64, u32)>>,
}

impl Quotas {
    pub(crate) fn new(config: QuotaSettings, clock: Arc<dyn Clock>) -> Self {
        Quotas {
            config,
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts the request, or refuses it with `RequestLimitExceeded` when the tenant has used
    /// up this window's allowance for the action.
    pub(crate) fn admit(&self, tenant: &TenantId, action: Action) -> Result<(), TencentError> {
        let Some(limit) = self.config.limit_for(action) else {
            return Ok(());
        };
        // Settings validation keeps the window at least 1 s; an embedder skipping it still
        // gets a window, not a division by zero.
        let window_ms = self.config.window_secs.saturating_mul(1000).max(1);
        let index = self.clock.now().as_millis() / window_ms;
        // A poisoned lock only means another request panicked mid-count; counts stay usable.
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= PRUNE_AT {
            windows.retain(|_, (i, _)| *i == index);
        }
        let entry = windows
            .entry((tenant.clone(), action))
            .or_insert((index, 0));
        if entry.0 != index {
            *entry = (index, 0);
        }
        if entry.1 >= limit {
            return Err(TencentError::new(
                ErrorCode::RequestLimitExceeded,
                format!(
                    "The request rate limit of {action} was exceeded: at most {limit} requests per {} ms for this account and region.",
                    window_ms
                ),
            ));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kms_core::{ManualClock, Timestamp};

    use super::*;

    fn quotas(config: QuotaSettings) -> (Quotas, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(5_000)));
        (Quotas::new(config, clock.clone()), clock)
    }

    fn tenant(s: &str) -> TenantId {
        TenantId::new(s).unwrap()
    }

    #[test]
    fn ten_per_second_then_refused_until_the_next_second() {
        let (q, clock) = quotas(QuotaSettings::default());
        let t = tenant("tencent/1/ap-guangzhou");
        for _ in 0..10 {
            q.admit(&t, Action::ImportKeyMaterial).unwrap();
        }
        let refused = q.admit(&t, Action::ImportKeyMaterial).unwrap_err();
        assert_eq!(refused.code, ErrorCode::RequestLimitExceeded);
        // 999 ms into the window: still the same window.
        clock.advance(Duration::from_millis(999));
        assert!(q.admit(&t, Action::ImportKeyMaterial).is_err());
        // The next whole second is a new window.
        clock.advance(Duration::from_millis(1));
        for _ in 0..10 {
            q.admit(&t, Action::ImportKeyMaterial).unwrap();
        }
        assert!(q.admit(&t, Action::ImportKeyMaterial).is_err());
    }

    #[test]
    fn tenants_and_actions_have_separate_counts() {
        let (q, _) = quotas(QuotaSettings::default());
        let a = tenant("tencent/1/ap-guangzhou");
        let b = tenant("tencent/1/ap-shanghai");
        for _ in 0..10 {
            q.admit(&a, Action::ImportKeyMaterial).unwrap();
        }
        assert!(q.admit(&a, Action::ImportKeyMaterial).is_err());
        q.admit(&b, Action::ImportKeyMaterial).unwrap();
        // Actions without a default limit are unlimited.
        for _ in 0..1000 {
            q.admit(&a, Action::DescribeKey).unwrap();
        }
    }

    #[test]
    fn limits_are_configurable_and_switchable_off() {
        let mut config = QuotaSettings::default();
        config.limits.insert(Action::Encrypt, 2);
        config.limits.insert(Action::ImportKeyMaterial, 0);
        config.window_secs = 60;
        let (q, clock) = quotas(config.clone());
        let t = tenant("tencent/1/ap-guangzhou");
        q.admit(&t, Action::Encrypt).unwrap();
        q.admit(&t, Action::Encrypt).unwrap();
        assert!(q.admit(&t, Action::Encrypt).is_err());
        clock.advance(Duration::from_secs(60));
        q.admit(&t, Action::Encrypt).unwrap();
        for _ in 0..100 {
            q.admit(&t, Action::ImportKeyMaterial).unwrap();
        }
        config.enabled = false;
        let (q, _) = quotas(config);
        for _ in 0..100 {
            q.admit(&t, Action::Encrypt).unwrap();
        }
    }
}
