//! Where wrapping key pairs come from. RSA-4096 generation can take seconds, so a server keeps
//! a pool that a background thread refills. A request takes a fresh pair when one is ready;
//! when none is, it reuses the pair last handed out for its spec to the same tenant, within a
//! bound ([`Reuse`]), so sustained demand never waits for a generation; only past the bound
//! does it generate inline.
//!
//! Reuse stays within one tenant: an import token seals the private key it was issued with and
//! names its one key, so a token imports only into its own key, and material wrapped with a
//! response's public key imports with that response's token. But material wrapped for one
//! response also imports with another token of the same pair, so a pair shared by two tenants
//! would let one import the other's wrapped material into its own key (and probe it, as an
//! unwrap oracle). Within a tenant that gives nothing away: its keys are its own. What reuse
//! gives up is that two responses may show the same public key, which the clouds never do;
//! `Reuse::NEVER` restores a fresh pair per call (which may then wait).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{WrappingKeyPair, WrappingKeySpec};
use crate::error::InternalError;
use crate::ids::TenantId;

/// Hands out a key pair of the asked spec for one GetParametersForImport answer to `tenant`.
/// A source that hands a pair out more than once keeps it to one tenant, as [`KeyPairPool`]
/// does: a token imports whatever was wrapped with its pair's public key.
pub trait KeyPairSource: Send + Sync + fmt::Debug {
    fn key_pair(
        &self,
        spec: WrappingKeySpec,
        tenant: &TenantId,
    ) -> Result<WrappingKeyPair, InternalError>;
}

/// Generates every pair on demand (embedders with little traffic, and tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct FreshKeyPairs;

impl KeyPairSource for FreshKeyPairs {
    fn key_pair(
        &self,
        spec: WrappingKeySpec,
        _tenant: &TenantId,
    ) -> Result<WrappingKeyPair, InternalError> {
        WrappingKeyPair::generate(spec)
    }
}

/// How many ready pairs of each spec the pool keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolTargets {
    pub rsa_2048: usize,
    pub rsa_3072: usize,
    pub rsa_4096: usize,
    pub sm2: usize,
}

impl PoolTargets {
    fn of(&self, spec: WrappingKeySpec) -> usize {
        match spec {
            WrappingKeySpec::Rsa2048 => self.rsa_2048,
            WrappingKeySpec::Rsa3072 => self.rsa_3072,
            WrappingKeySpec::Rsa4096 => self.rsa_4096,
            WrappingKeySpec::Sm2 => self.sm2,
        }
    }
}

impl Default for PoolTargets {
    fn default() -> Self {
        PoolTargets {
            rsa_2048: 4,
            rsa_3072: 2,
            rsa_4096: 2,
            sm2: 4,
        }
    }
}

/// How far the pair last handed out for a spec to a tenant may serve more of its answers while
/// no fresh pair is ready: at most `calls` answers in all, within `within` of its first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reuse {
    pub calls: u32,
    pub within: Duration,
}

impl Reuse {
    /// A fresh pair for every answer (an answer may then wait for a generation).
    pub const NEVER: Reuse = Reuse {
        calls: 1,
        within: Duration::ZERO,
    };
}

impl Default for Reuse {
    fn default() -> Self {
        // Under sustained load thousands of answers a second may share a pair until the
        // refill makes the next one, so no bound on calls; the time bound keeps any pair from
        // serving without end.
        Reuse {
            calls: u32::MAX,
            within: Duration::from_secs(300),
        }
    }
}

/// (spec, tenant) pairs whose last pair is remembered for reuse, at most: past it, the one
/// remembered longest is forgotten (its next answer takes a fresh pair).
const REMEMBERED: usize = 1024;

/// The pair last handed out for a spec to a tenant, and how much it has served.
struct Current {
    pair: WrappingKeyPair,
    calls: u32,
    since: Instant,
}

#[derive(Default)]
struct Ready {
    pairs: HashMap<WrappingKeySpec, Vec<WrappingKeyPair>>,
    current: HashMap<(WrappingKeySpec, TenantId), Current>,
    /// Pairs generated on the request path because none was ready, per spec, since start.
    inline: HashMap<WrappingKeySpec, u64>,
    stopping: bool,
}

struct Shared {
    ready: Mutex<Ready>,
    wake: Condvar,
    targets: PoolTargets,
    reuse: Reuse,
}

impl Shared {
    /// A poisoned lock only means a refill thread panicked mid-push; the pairs are still good.
    fn lock(&self) -> MutexGuard<'_, Ready> {
        self.ready.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The spec furthest below its target, so steady demand for one spec cannot starve the
    /// others of refills.
    fn missing_spec(&self, ready: &Ready) -> Option<WrappingKeySpec> {
        WrappingKeySpec::ALL
            .into_iter()
            .map(|s| {
                let have = ready.pairs.get(&s).map_or(0, Vec::len);
                (self.targets.of(s).saturating_sub(have), s)
            })
            .filter(|(short, _)| *short > 0)
            .max_by_key(|(short, _)| *short)
            .map(|(_, s)| s)
    }
}

/// A pool of pre-generated pairs refilled by one background thread (stopped on drop).
pub struct KeyPairPool {
    shared: Arc<Shared>,
    refill: Option<JoinHandle<()>>,
}

impl KeyPairPool {
    /// A pool with the default [`Reuse`], starting empty.
    pub fn start(targets: PoolTargets) -> Self {
        KeyPairPool::start_with(targets, Reuse::default(), Vec::new())
    }

    /// A pool starting with `stock` (pairs saved by an earlier process, see
    /// [`crate::Kms::save_key_pairs`]) and refilling up to `targets`.
    pub fn start_with(targets: PoolTargets, reuse: Reuse, stock: Vec<WrappingKeyPair>) -> Self {
        let mut ready = Ready::default();
        for pair in stock {
            ready.pairs.entry(pair.spec()).or_default().push(pair);
        }
        let shared = Arc::new(Shared {
            ready: Mutex::new(ready),
            wake: Condvar::new(),
            targets,
            reuse,
        });
        let worker = Arc::clone(&shared);
        let refill = std::thread::Builder::new()
            .name("kmsgate-keypair-pool".into())
            .spawn(move || refill_loop(&worker))
            .ok();
        KeyPairPool { shared, refill }
    }

    /// The pairs ready now (never handed out), to save for the next process.
    pub fn stock(&self) -> Vec<WrappingKeyPair> {
        let ready = self.shared.lock();
        WrappingKeySpec::ALL
            .iter()
            .flat_map(|s| ready.pairs.get(s).into_iter().flatten().cloned())
            .collect()
    }

    /// Pairs of `spec` ready right now.
    pub fn ready(&self, spec: WrappingKeySpec) -> usize {
        self.shared.lock().pairs.get(&spec).map_or(0, Vec::len)
    }

    /// Pairs of `spec` a request had to generate itself since the pool started, because none
    /// was ready: how often callers waited on a generation the pool exists to hide.
    ///
    /// To read this while an engine uses the pool, keep an `Arc<KeyPairPool>` and hand the
    /// builder a clone: `Kms::builder(..).key_pairs(pool.clone())`.
    pub fn generated_inline(&self, spec: WrappingKeySpec) -> u64 {
        self.shared.lock().inline.get(&spec).copied().unwrap_or(0)
    }
}

/// The refill runs at the lowest priority ([`crate::priority`]): under sustained demand the
/// pool drains and answers reuse pairs (within [`Reuse`]) instead of a generation taking cores
/// from requests.
fn refill_loop(shared: &Shared) {
    crate::priority::yield_to_requests();
    let mut failures: u32 = 0;
    loop {
        let spec = {
            let mut ready = shared.lock();
            loop {
                if ready.stopping {
                    return;
                }
                if let Some(spec) = shared.missing_spec(&ready) {
                    break spec;
                }
                ready = shared.wake.wait(ready).unwrap_or_else(|p| p.into_inner());
            }
        };
        // Generation happens with the lock released so requests can take ready pairs.
        match WrappingKeyPair::generate(spec) {
            Ok(pair) => {
                failures = 0;
                shared.lock().pairs.entry(spec).or_default().push(pair);
            }
            // The system RNG failing is not something retrying in a tight loop fixes, nor
            // something to give up on for good: requests meanwhile generate inline and report
            // the error themselves, and the refill tries again after a pause that grows.
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = refill_pause(failures);
                tracing::warn!(
                    "generating a wrapping key pair failed ({e}); the pool tries again in {} s",
                    pause.as_secs()
                );
                let ready = shared.lock();
                if ready.stopping {
                    return;
                }
                drop(
                    shared
                        .wake
                        .wait_timeout(ready, pause)
                        .unwrap_or_else(|p| p.into_inner()),
                );
            }
        }
    }
}

/// 2, 4, 8 … up to 64 seconds after the `failures`-th failure in a row.
fn refill_pause(failures: u32) -> Duration {
    Duration::from_secs(1 << failures.clamp(1, 6))
}

impl KeyPairSource for KeyPairPool {
    fn key_pair(
        &self,
        spec: WrappingKeySpec,
        tenant: &TenantId,
    ) -> Result<WrappingKeyPair, InternalError> {
        let reuse = self.shared.reuse;
        let mine = (spec, tenant.clone());
        {
            let mut ready = self.shared.lock();
            if let Some(pair) = ready.pairs.get_mut(&spec).and_then(Vec::pop) {
                self.shared.wake.notify_one();
                ready.remember(mine, pair.clone(), reuse);
                return Ok(pair);
            }
            if let Some(current) = ready.current.get_mut(&mine)
                && current.calls < reuse.calls
                && current.since.elapsed() < reuse.within
            {
                current.calls += 1;
                return Ok(current.pair.clone());
            }
        }
        // Nothing ready and nothing reusable: generate here, with the lock released.
        let pair = WrappingKeyPair::generate(spec)?;
        let mut ready = self.shared.lock();
        *ready.inline.entry(spec).or_default() += 1;
        ready.remember(mine, pair.clone(), reuse);
        Ok(pair)
    }
}

impl Ready {
    /// Makes `pair` the one `who` reuses next, forgetting pairs past their time bound and,
    /// beyond [`REMEMBERED`] entries, the oldest one.
    fn remember(&mut self, who: (WrappingKeySpec, TenantId), pair: WrappingKeyPair, reuse: Reuse) {
        self.current.insert(who, Current::new(pair));
        if self.current.len() > REMEMBERED {
            self.current.retain(|_, c| c.since.elapsed() < reuse.within);
        }
        while self.current.len() > REMEMBERED {
            let oldest = self
                .current
                .iter()
                .min_by_key(|(_, c)| c.since)
                .map(|(who, _)| who.clone());
            match oldest {
                Some(who) => self.current.remove(&who),
                None => break,
            };
        }
    }
}

impl Current {
    fn new(pair: WrappingKeyPair) -> Self {
        Current {
            pair,
            calls: 1,
            since: Instant::now(),
        }
    }
}

impl Drop for KeyPairPool {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_all();
        if let Some(handle) = self.refill.take() {
            // A panicked refill thread has nothing left to clean up.
            let _ = handle.join();
        }
    }
}

impl fmt::Debug for KeyPairPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ready = self.shared.lock();
        let counts: Vec<_> = WrappingKeySpec::ALL
            .iter()
            .map(|s| (s.to_string(), ready.pairs.get(s).map_or(0, Vec::len)))
            .collect();
        let inline: Vec<_> = WrappingKeySpec::ALL
            .iter()
            .map(|s| (s.to_string(), ready.inline.get(s).copied().unwrap_or(0)))
            .collect();
        f.debug_struct("KeyPairPool")
            .field("targets", &self.shared.targets)
            .field("ready", &counts)
            .field("generated_inline", &inline)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_refill_pauses_longer_each_time_up_to_about_a_minute() {
        let pauses: Vec<u64> = (1..=9).map(|n| refill_pause(n).as_secs()).collect();
        assert_eq!(pauses, [2, 4, 8, 16, 32, 64, 64, 64, 64]);
        assert_eq!(refill_pause(u32::MAX).as_secs(), 64);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_refill_thread_runs_at_the_lowest_priority() {
        let pool = KeyPairPool::start_with(
            PoolTargets {
                rsa_2048: 0,
                rsa_3072: 0,
                rsa_4096: 0,
                sm2: 1,
            },
            Reuse::NEVER,
            Vec::new(),
        );
        // A pair made by the refill thread: it has lowered its priority first.
        let deadline = Instant::now() + Duration::from_secs(60);
        while pool.ready(WrappingKeySpec::Sm2) == 0 {
            assert!(
                Instant::now() < deadline,
                "the refill made no SM2 pair in a minute"
            );
            std::thread::yield_now();
        }
        // (Other tests' pools may be listed too; their refill threads lower themselves alike.)
        let nice = crate::priority::nice_values_of("kmsgate-keypair");
        let expected = crate::priority::expected_background_nice();
        assert!(
            !nice.is_empty() && nice.iter().all(|n| *n == expected),
            "{nice:?}"
        );
    }

    #[test]
    fn without_reuse_every_answer_gets_a_distinct_pair() {
        let pool = KeyPairPool::start_with(
            PoolTargets {
                rsa_2048: 0,
                rsa_3072: 0,
                rsa_4096: 0,
                sm2: 2,
            },
            Reuse::NEVER,
            Vec::new(),
        );
        let mut publics = Vec::new();
        // More than the target: whatever the refill thread managed, every take succeeds.
        for _ in 0..5 {
            let pair = pool
                .key_pair(WrappingKeySpec::Sm2, &tenant())
                .map_err(|e| e.to_string());
            let pair = pair.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(pair.spec(), WrappingKeySpec::Sm2);
            publics.push(pair.public_key_der().unwrap_or_default());
        }
        publics.sort();
        publics.dedup();
        assert_eq!(publics.len(), 5);
        assert!(pool.ready(WrappingKeySpec::Sm2) <= 2);
        assert_eq!(pool.ready(WrappingKeySpec::Rsa4096), 0);
        // How many came from the pool depends on the refill thread's pace; none came twice.
        assert!(pool.generated_inline(WrappingKeySpec::Sm2) <= 5);
        assert_eq!(pool.generated_inline(WrappingKeySpec::Rsa4096), 0);
    }

    #[test]
    fn an_empty_pool_without_reuse_counts_every_pair_as_generated_inline() {
        let pool = KeyPairPool::start_with(
            PoolTargets {
                rsa_2048: 0,
                rsa_3072: 0,
                rsa_4096: 0,
                sm2: 0,
            },
            Reuse::NEVER,
            Vec::new(),
        );
        for _ in 0..3 {
            pool.key_pair(WrappingKeySpec::Sm2, &tenant())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(pool.generated_inline(WrappingKeySpec::Sm2), 3);
        assert_eq!(pool.generated_inline(WrappingKeySpec::Rsa2048), 0);
        assert!(format!("{pool:?}").contains("generated_inline"));
    }

    fn empty_targets() -> PoolTargets {
        PoolTargets {
            rsa_2048: 0,
            rsa_3072: 0,
            rsa_4096: 0,
            sm2: 0,
        }
    }

    fn public(pair: &WrappingKeyPair) -> Vec<u8> {
        pair.public_key_der().unwrap_or_default()
    }

    fn tenant() -> TenantId {
        TenantId::new("111122223333/us-east-1").unwrap_or_else(|e| panic!("{e}"))
    }

    /// Material wrapped for one answer imports with any token of the same pair: a pair
    /// shared by two tenants would let one import (or probe) the other's wrapped material.
    #[test]
    fn a_pair_is_reused_for_its_tenant_only() {
        let pool = KeyPairPool::start_with(empty_targets(), Reuse::default(), Vec::new());
        let other = TenantId::new("444455556666/us-east-1").unwrap_or_else(|e| panic!("{e}"));
        let take = |t: &TenantId| {
            public(
                &pool
                    .key_pair(WrappingKeySpec::Sm2, t)
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        };
        let mine = take(&tenant());
        let theirs = take(&other);
        assert_ne!(mine, theirs, "another tenant gets a pair of its own");
        assert_eq!(take(&tenant()), mine, "reused for its own tenant");
        assert_eq!(take(&other), theirs);
        assert_eq!(pool.generated_inline(WrappingKeySpec::Sm2), 2);
    }

    #[test]
    fn past_the_remembered_tenants_one_is_forgotten() {
        let pool = KeyPairPool::start_with(empty_targets(), Reuse::default(), Vec::new());
        let pair =
            WrappingKeyPair::generate(WrappingKeySpec::Sm2).unwrap_or_else(|e| panic!("{e}"));
        let mut ready = pool.shared.lock();
        for n in 0..=REMEMBERED {
            let t = TenantId::new(format!("t{n}")).unwrap_or_else(|e| panic!("{e}"));
            ready.remember((WrappingKeySpec::Sm2, t), pair.clone(), Reuse::default());
        }
        assert_eq!(ready.current.len(), REMEMBERED);
        let newest = TenantId::new(format!("t{REMEMBERED}")).unwrap_or_else(|e| panic!("{e}"));
        assert!(ready.current.contains_key(&(WrappingKeySpec::Sm2, newest)));
    }

    #[test]
    fn with_nothing_ready_a_pair_serves_up_to_its_bound_then_a_new_one_is_made() {
        let reuse = Reuse {
            calls: 3,
            within: Duration::from_secs(3600),
        };
        let pool = KeyPairPool::start_with(empty_targets(), reuse, Vec::new());
        let take = || {
            pool.key_pair(WrappingKeySpec::Sm2, &tenant())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let first = public(&take());
        assert_eq!(public(&take()), first);
        assert_eq!(public(&take()), first);
        assert_ne!(public(&take()), first, "a fourth answer gets a new pair");
        assert_eq!(pool.generated_inline(WrappingKeySpec::Sm2), 2);
    }

    #[test]
    fn a_ready_pair_is_preferred_to_reuse_and_stock_is_handed_out_first() {
        let stocked =
            WrappingKeyPair::generate(WrappingKeySpec::Sm2).unwrap_or_else(|e| panic!("{e}"));
        let pool =
            KeyPairPool::start_with(empty_targets(), Reuse::default(), vec![stocked.clone()]);
        assert_eq!(public(&pool.stock()[0]), public(&stocked));
        let got = pool
            .key_pair(WrappingKeySpec::Sm2, &tenant())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(public(&got), public(&stocked));
        assert!(pool.stock().is_empty(), "handed out: no longer stock");
        assert_eq!(pool.generated_inline(WrappingKeySpec::Sm2), 0);
    }

    #[test]
    fn an_exhausted_age_bound_means_a_new_pair() {
        let reuse = Reuse {
            calls: 100,
            within: Duration::ZERO,
        };
        let pool = KeyPairPool::start_with(empty_targets(), reuse, Vec::new());
        let a = pool
            .key_pair(WrappingKeySpec::Sm2, &tenant())
            .unwrap_or_else(|e| panic!("{e}"));
        let b = pool
            .key_pair(WrappingKeySpec::Sm2, &tenant())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(public(&a), public(&b));
    }
}
