//! Where wrapping key pairs come from. RSA-4096 generation can take seconds, so a server keeps
//! a pool that a background thread refills; a request only generates inline when the pool of
//! its spec has run dry.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::{WrappingKeyPair, WrappingKeySpec};
use crate::error::InternalError;

/// Hands out a fresh, never-before-used key pair of the asked spec.
pub trait KeyPairSource: Send + Sync + fmt::Debug {
    fn key_pair(&self, spec: WrappingKeySpec) -> Result<WrappingKeyPair, InternalError>;
}

/// Generates every pair on demand (embedders with little traffic, and tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct FreshKeyPairs;

impl KeyPairSource for FreshKeyPairs {
    fn key_pair(&self, spec: WrappingKeySpec) -> Result<WrappingKeyPair, InternalError> {
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

#[derive(Default)]
struct Ready {
    pairs: HashMap<WrappingKeySpec, Vec<WrappingKeyPair>>,
    /// Pairs generated on the request path because none was ready, per spec, since start.
    inline: HashMap<WrappingKeySpec, u64>,
    stopping: bool,
}

struct Shared {
    ready: Mutex<Ready>,
    wake: Condvar,
    targets: PoolTargets,
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
    pub fn start(targets: PoolTargets) -> Self {
        let shared = Arc::new(Shared {
            ready: Mutex::new(Ready::default()),
            wake: Condvar::new(),
            targets,
        });
        let worker = Arc::clone(&shared);
        let refill = std::thread::Builder::new()
            .name("kmsgate-keypair-pool".into())
            .spawn(move || refill_loop(&worker))
            .ok();
        KeyPairPool { shared, refill }
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

fn refill_loop(shared: &Shared) {
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
            Ok(pair) => shared.lock().pairs.entry(spec).or_default().push(pair),
            // The system RNG failing is not something retrying in a tight loop fixes; the
            // request path will generate inline and report the error itself.
            Err(_) => return,
        }
    }
}

impl KeyPairSource for KeyPairPool {
    fn key_pair(&self, spec: WrappingKeySpec) -> Result<WrappingKeyPair, InternalError> {
        let taken = self.shared.lock().pairs.get_mut(&spec).and_then(Vec::pop);
        self.shared.wake.notify_one();
        match taken {
            Some(pair) => Ok(pair),
            None => {
                let pair = WrappingKeyPair::generate(spec)?;
                *self.shared.lock().inline.entry(spec).or_default() += 1;
                Ok(pair)
            }
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
    fn pool_hands_out_distinct_pairs_and_falls_back_to_inline_generation() {
        let pool = KeyPairPool::start(PoolTargets {
            rsa_2048: 0,
            rsa_3072: 0,
            rsa_4096: 0,
            sm2: 2,
        });
        let mut publics = Vec::new();
        // More than the target: whatever the refill thread managed, every take succeeds.
        for _ in 0..5 {
            let pair = pool
                .key_pair(WrappingKeySpec::Sm2)
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
    fn an_empty_pool_counts_every_pair_as_generated_inline() {
        let pool = KeyPairPool::start(PoolTargets {
            rsa_2048: 0,
            rsa_3072: 0,
            rsa_4096: 0,
            sm2: 0,
        });
        for _ in 0..3 {
            pool.key_pair(WrappingKeySpec::Sm2)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(pool.generated_inline(WrappingKeySpec::Sm2), 3);
        assert_eq!(pool.generated_inline(WrappingKeySpec::Rsa2048), 0);
        assert!(format!("{pool:?}").contains("generated_inline"));
    }
}
