//! Per-action request quotas ("A maximum of N requests can be initiated per second for this
//! API"), counted per tenant (account + region) in fixed windows of the quota clock.
//!
//! Windows are aligned to multiples of their length since the epoch, so moving the clock
//! forward by one window length always starts a fresh window; that is what lets tests step
//! windows deterministically. A throttled request is refused before its parameters are read
//! and changes nothing; every admitted request counts, whether it then succeeds or not.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kms_core::{Clock, TenantId};

use crate::error::{ErrorCode, TencentError};
use crate::ops::Action;

/// Quota settings. `limits` overrides the defaults per action; 0 lifts an action's limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaConfig {
    pub enabled: bool,
    pub window: Duration,
    pub limits: BTreeMap<Action, u32>,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        QuotaConfig {
            enabled: true,
            window: Duration::from_secs(1),
            limits: BTreeMap::new(),
        }
    }
}

impl QuotaConfig {
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
    config: QuotaConfig,
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<(TenantId, Action), (u64, u32)>>,
}

impl Quotas {
    pub(crate) fn new(config: QuotaConfig, clock: Arc<dyn Clock>) -> Self {
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
        let window_ms = u64::try_from(self.config.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
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
    use kms_core::{ManualClock, Timestamp};

    use super::*;

    fn quotas(config: QuotaConfig) -> (Quotas, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(5_000)));
        (Quotas::new(config, clock.clone()), clock)
    }

    fn tenant(s: &str) -> TenantId {
        TenantId::new(s).unwrap()
    }

    #[test]
    fn ten_per_second_then_refused_until_the_next_second() {
        let (q, clock) = quotas(QuotaConfig::default());
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
        let (q, _) = quotas(QuotaConfig::default());
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
        let mut config = QuotaConfig::default();
        config.limits.insert(Action::Encrypt, 2);
        config.limits.insert(Action::ImportKeyMaterial, 0);
        config.window = Duration::from_secs(60);
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
