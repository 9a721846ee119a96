//! The expiry sweeper. Every access already applies expiry lazily; the sweeper makes it happen
//! for keys nobody touches, so erased material is really gone from the store and purged keys
//! really deleted.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::Kms;
use crate::error::{InternalError, KmsError};
use crate::ids::{KeyId, TenantId};
use crate::periodic::Periodic;
use crate::record;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub examined: usize,
    /// Keys whose state time changed (material erased) or that were purged.
    pub changed: usize,
    /// Keys that could not be swept (unreadable record, storage error); the pass goes on.
    pub failed: usize,
}

/// What a [`Sweeper`] has done since it started: totals over its passes, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepStats {
    /// Passes begun, including those that failed.
    pub runs: usize,
    /// Passes that stopped because the store could not list its keys.
    pub failed_runs: usize,
    pub examined: usize,
    /// Keys whose state time changed, or that were purged.
    pub changed: usize,
    /// Keys that could not be swept.
    pub failed: usize,
}

impl SweepStats {
    fn record(&mut self, pass: &Result<SweepReport, KmsError>) {
        self.runs = self.runs.saturating_add(1);
        match pass {
            Ok(r) => {
                self.examined = self.examined.saturating_add(r.examined);
                self.changed = self.changed.saturating_add(r.changed);
                self.failed = self.failed.saturating_add(r.failed);
            }
            Err(_) => self.failed_runs = self.failed_runs.saturating_add(1),
        }
    }
}

/// What a scan of every key found: keys time has changed (with the record as read), and how
/// many keys it examined and could not read.
#[derive(Debug, Default)]
struct Scan {
    examined: usize,
    failed: usize,
    due: Vec<(TenantId, KeyId, Vec<u8>)>,
}

impl Kms {
    /// One pass over every key of every tenant. A key that fails does not stop the pass: one
    /// unreadable record must not leave every later key unswept.
    pub fn sweep(&self) -> Result<SweepReport, KmsError> {
        Ok(self.age_due(self.scan()?))
    }

    /// Reads and decodes every key once, writing nothing: most keys, most passes, are not
    /// due. The decoding bypasses the decoded-key cache, which a pass over every key would
    /// otherwise fill with keys nobody uses, at the expense of those requests use.
    fn scan(&self) -> Result<Scan, KmsError> {
        let mut scan = Scan::default();
        for (tenant, id) in self.store.all_keys()? {
            scan.examined += 1;
            let due = self
                .store
                .get(&tenant, &id)
                .map_err(KmsError::from)
                .and_then(|found| {
                    let Some(bytes) = found else {
                        return Ok(None);
                    };
                    let key = record::decode(&bytes, &self.sealer, &tenant, &id)?;
                    Ok(key.is_due(self.clock.now()).then_some(bytes))
                });
            match due {
                Ok(Some(before)) => scan.due.push((tenant, id, before)),
                Ok(None) => {}
                Err(_) => scan.failed += 1,
            }
        }
        Ok(scan)
    }

    /// Writes what time did to the keys a scan found due, each re-read and re-aged inside its
    /// update (the record may have changed since the scan).
    fn age_due(&self, scan: Scan) -> SweepReport {
        let mut report = SweepReport {
            examined: scan.examined,
            changed: 0,
            failed: scan.failed,
        };
        for (tenant, id, before) in scan.due {
            let aged = match self.with_key(&tenant, &id, |_, _| Ok((None, ()))) {
                Ok(()) | Err(KmsError::KeyNotFound { .. }) => self.store.get(&tenant, &id),
                Err(_) => {
                    report.failed += 1;
                    continue;
                }
            };
            match aged {
                Ok(after) if after.as_deref() != Some(before.as_slice()) => report.changed += 1,
                Ok(_) => {}
                Err(_) => report.failed += 1,
            }
        }
        report
    }

    /// A periodic pass: [`Kms::sweep`], unless another process sharing the store is running
    /// one right now (`Ok(None)`). Two passes at once would be safe, since each key's aging
    /// is one atomic update that a second pass finds already done, but on a shared store
    /// every process's pass reads every key: one at a time is enough.
    pub fn sweep_exclusive(&self) -> Result<Option<SweepReport>, KmsError> {
        self.exclusive_pass(&|kms: &Kms| kms.scan())
    }

    /// [`Kms::sweep_exclusive`] with the scan (reading and decoding every key: nearly all of a
    /// pass's work) on a thread of the lowest priority, and the writes for due keys on the
    /// caller's: a write holds the store's write lock (or a row lock) and may lead a sync that
    /// other writers wait for, which a thread of the lowest priority must never do while
    /// requests keep the cores busy.
    fn background_pass(&self) -> Result<Option<SweepReport>, KmsError> {
        self.exclusive_pass(&|kms: &Kms| {
            crate::priority::at_lowest_priority(|| kms.scan()).unwrap_or_else(|| {
                Err(KmsError::Internal(InternalError::Background(
                    "the sweeper's scan did not finish",
                )))
            })
        })
    }

    fn exclusive_pass(
        &self,
        scan: &dyn Fn(&Kms) -> Result<Scan, KmsError>,
    ) -> Result<Option<SweepReport>, KmsError> {
        let mut pass = None;
        self.store.exclusive("sweep", &mut || {
            pass = Some(scan(self).map(|found| self.age_due(found)));
        })?;
        pass.transpose()
    }
}

/// At most one part in this many of a core's time goes to the background sweeper: after a
/// pass that took `d`, the next starts no sooner than `SWEEP_DUTY × d` after it began (and no
/// sooner than the period). A pass reads and decodes every key, so over a large store a pass
/// every second would otherwise take most of a core from requests; access applies expiry
/// anyway.
const SWEEP_DUTY: u32 = 20;

/// Runs [`Kms::sweep`] every `period` on a background thread until dropped (less often when
/// passes take long: see [`SWEEP_DUTY`]; each pass's scan at the lowest priority, see
/// [`crate::priority`]), and keeps [`SweepStats`] over its passes.
#[derive(Debug)]
pub struct Sweeper {
    kms: Arc<Kms>,
    stats: Arc<Mutex<SweepStats>>,
    /// Held for its drop, which stops the passes.
    _passes: Periodic,
}

/// A poisoned lock means a panic between two plain counter updates; the totals are still
/// what was counted.
fn stats_of(stats: &Mutex<SweepStats>) -> MutexGuard<'_, SweepStats> {
    stats.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sweeper {
    /// `period` is at least a millisecond. Fails only if the thread cannot be spawned.
    pub fn start(kms: Arc<Kms>, period: Duration) -> std::io::Result<Sweeper> {
        let period = period.max(Duration::from_millis(1));
        let stats = Arc::new(Mutex::new(SweepStats::default()));
        let (worker, totals) = (Arc::clone(&kms), Arc::clone(&stats));
        let thread = Periodic::start("kmsgate-sweeper", period, move || {
            // A failed pass (say, a full disk) is counted and retried next period; a pass
            // another process sharing the store runs is not counted here.
            let started = std::time::Instant::now();
            if let Some(pass) = worker.background_pass().transpose() {
                stats_of(&totals).record(&pass);
            }
            period.max(started.elapsed().saturating_mul(SWEEP_DUTY - 1))
        })?;
        Ok(Sweeper {
            kms,
            stats,
            _passes: thread,
        })
    }

    /// Totals since start; readable from any thread while passes run.
    pub fn stats(&self) -> SweepStats {
        *stats_of(&self.stats)
    }

    /// One pass now, on the calling thread, counted in [`Sweeper::stats`] like the background
    /// ones: what a server runs right before moving the emulated clock back.
    pub fn sweep_now(&self) -> Result<SweepReport, KmsError> {
        let pass = self.kms.sweep();
        stats_of(&self.stats).record(&pass);
        pass
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::seal::RootKey;
    use crate::store::MemoryStore;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_sweeper_writes_at_normal_priority_and_scans_at_the_lowest() {
        let store = Arc::new(MemoryStore::new());
        let kms = Arc::new(Kms::builder(store, &RootKey::from_bytes([7; 32])).build());
        let sweeper = Sweeper::start(kms, Duration::from_millis(1)).unwrap();
        while sweeper.stats().runs == 0 {
            std::thread::yield_now();
        }
        // The long-lived thread, which takes the store's locks for due keys, keeps the
        // priority of the thread that started it (threads inherit it); the scan's own thread
        // is `priority::at_lowest_priority`'s (tested there).
        // (Other tests' sweepers, started by test threads like this one, may be listed too.)
        let nice = crate::priority::nice_values_of("kmsgate-sweeper");
        let own = crate::priority::own_nice();
        assert!(
            !nice.is_empty() && nice.iter().all(|n| *n == own),
            "{nice:?}"
        );
    }
}
