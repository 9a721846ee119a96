//! The emulated clock of processes sharing one store: its state lives in the store (the
//! `clock` metadata value every process already persists after a move), and each process
//! takes it from there
//!
//! - before handling each request, so a move made through one instance holds for the very
//!   next request to any other (one small read per request);
//! - every [`REFRESH_PERIOD`] on a thread of its own, so an idle instance's sweeper does not
//!   judge expiry by an old offset for long;
//! - before a move, so moves made through different instances compose. Two moves at the
//!   same instant through two instances are not serialised: the later write wins.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use kms_core::{ClockState, EmulatedClock, KmsError};

use crate::engine::CLOCK_META;

/// How often an instance re-reads the shared clock besides each request.
pub(crate) const REFRESH_PERIOD: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub(crate) struct SharedClock {
    kms: Arc<kms_core::Kms>,
    clock: Arc<EmulatedClock>,
    /// Tickets order refreshes by when they began reading: a slow read that began before a
    /// quicker one must not overwrite the newer state that one applied.
    tickets: AtomicU64,
    applied: Mutex<Applied>,
}

#[derive(Debug, Default)]
struct Applied {
    ticket: u64,
    bytes: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum RefreshError {
    #[error("cannot read the shared emulated clock: {0}")]
    Read(#[from] KmsError),
    #[error("the shared emulated clock cannot be parsed: {0}")]
    Parse(#[from] serde_json::Error),
}

impl SharedClock {
    pub(crate) fn new(kms: Arc<kms_core::Kms>, clock: Arc<EmulatedClock>) -> Self {
        SharedClock {
            kms,
            clock,
            tickets: AtomicU64::new(1),
            applied: Mutex::new(Applied::default()),
        }
    }

    /// A poisoned lock guards two plain assignments: still consistent.
    fn applied(&self) -> MutexGuard<'_, Applied> {
        self.applied.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the stored state into this process's clock if it changed.
    pub(crate) fn refresh(&self) -> Result<(), RefreshError> {
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let stored = self.kms.get_meta(CLOCK_META)?;
        let mut applied = self.applied();
        if ticket <= applied.ticket || stored == applied.bytes {
            return Ok(());
        }
        // Nothing stored: no instance ever moved the clock, which is real time.
        let state = match &stored {
            Some(bytes) => serde_json::from_slice(bytes)?,
            None => ClockState::default(),
        };
        self.clock.restore(state);
        applied.ticket = ticket;
        applied.bytes = stored;
        Ok(())
    }

    /// What this process just stored itself: no need to read it back.
    pub(crate) fn stored(&self, bytes: Vec<u8>) {
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let mut applied = self.applied();
        applied.ticket = ticket;
        applied.bytes = Some(bytes);
    }

    /// [`SharedClock::refresh`], logging a failure: a request goes on with the state last
    /// read (its store call will most likely fail the same way and say so).
    pub(crate) fn refresh_or_log(&self) {
        if let Err(e) = self.refresh() {
            tracing::debug!("{e}");
        }
    }
}

/// Refreshes a [`SharedClock`] every [`REFRESH_PERIOD`] until dropped.
#[derive(Debug)]
pub(crate) struct Refresher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Refresher {
    pub(crate) fn start(clock: Arc<SharedClock>) -> std::io::Result<Refresher> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("kmsgate-clock".into())
            .spawn(move || {
                let (lock, cvar) = &*signal;
                loop {
                    {
                        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                        let (stopped, _) = cvar
                            .wait_timeout_while(guard, REFRESH_PERIOD, |stopped| !*stopped)
                            .unwrap_or_else(|p| p.into_inner());
                        if *stopped {
                            return;
                        }
                    }
                    clock.refresh_or_log();
                }
            })?;
        Ok(Refresher {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cvar.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
