//! The expiry sweeper. Every access already applies expiry lazily; the sweeper makes it happen
//! for keys nobody touches, so erased material is really gone from the store and purged keys
//! really deleted.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Kms;
use crate::error::KmsError;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub examined: usize,
    /// Keys whose state time changed (material erased) or that were purged.
    pub changed: usize,
}

impl Kms {
    /// One pass over every key of every tenant.
    pub fn sweep(&self) -> Result<SweepReport, KmsError> {
        let mut report = SweepReport::default();
        for (tenant, id) in self.store.all_keys()? {
            report.examined += 1;
            let before = self.store.get(&tenant, &id)?;
            match self.with_key(&tenant, &id, |_, _| Ok((None, ()))) {
                Ok(()) | Err(KmsError::KeyNotFound { .. }) => {}
                Err(e) => return Err(e),
            }
            if self.store.get(&tenant, &id)? != before {
                report.changed += 1;
            }
        }
        Ok(report)
    }
}

/// Runs [`Kms::sweep`] every `period` on a background thread until dropped.
#[derive(Debug)]
pub struct Sweeper {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Sweeper {
    pub fn start(kms: Arc<Kms>, period: Duration) -> Sweeper {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("kmsgate-sweeper".into())
            .spawn(move || {
                let (lock, cvar) = &*signal;
                let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                while !*stopped {
                    let (guard, timeout) = cvar
                        .wait_timeout(stopped, period)
                        .unwrap_or_else(|p| p.into_inner());
                    stopped = guard;
                    if timeout.timed_out() && !*stopped {
                        // A failed pass (say, a full disk) is retried next period.
                        let _ = kms.sweep();
                    }
                }
            })
            .ok();
        Sweeper { stop, thread }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cvar.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
