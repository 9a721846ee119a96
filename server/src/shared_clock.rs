//! The emulated clock of processes sharing one store: its state lives in the store (the
//! `clock` metadata value every process already persists after a move), and each process
//! takes it from there
//!
//! - before handling each request, so a move made through one instance holds for the very
//!   next request to any other. Concurrent requests share reads: a request waits for a read
//!   that began after it arrived (so after any move committed before it arrived), started by
//!   itself or by a request that arrived with it, so under load there is about one read per
//!   database round trip rather than one per request;
//! - every [`REFRESH_PERIOD`] on a thread of its own, so an idle instance's sweeper does not
//!   judge expiry by an old offset for long;
//! - before a move, so moves made through different instances compose. Two moves at the
//!   same instant through two instances are not serialised: the later write wins.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use kms_core::periodic::Periodic;
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
    /// The reads requests share (see the module documentation).
    flight: Mutex<Flight>,
    landed: Condvar,
}

/// Reads made for requests: numbered when they begin, one at a time.
#[derive(Debug, Default)]
struct Flight {
    started: u64,
    done: u64,
    running: bool,
}

/// Ends a request read even if it unwinds, so waiting requests never wait forever.
struct Landing<'a> {
    clock: &'a SharedClock,
    number: u64,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        let mut flight = self.clock.flight();
        flight.running = false;
        flight.done = self.number;
        self.clock.landed.notify_all();
    }
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
            flight: Mutex::new(Flight::default()),
            landed: Condvar::new(),
        }
    }

    /// Plain counters and a flag, each assignment whole: consistent even if poisoned.
    fn flight(&self) -> MutexGuard<'_, Flight> {
        self.flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Before a request: returns once a read that began after this call has been applied
    /// (made here, or by a concurrent request). A failed read is logged, and the request
    /// goes on with the state last read (its store call will most likely fail the same way
    /// and say so).
    pub(crate) fn refresh_for_request(&self) {
        let mut flight = self.flight();
        let wanted = flight.started + 1;
        loop {
            if flight.done >= wanted {
                return;
            }
            if !flight.running {
                flight.running = true;
                flight.started += 1;
                let landing = Landing {
                    clock: self,
                    number: flight.started,
                };
                drop(flight);
                self.refresh_or_log();
                drop(landing);
                return;
            }
            flight = self.landed.wait(flight).unwrap_or_else(|p| p.into_inner());
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

    /// [`SharedClock::refresh`], logging a failure.
    pub(crate) fn refresh_or_log(&self) {
        if let Err(e) = self.refresh() {
            tracing::debug!("{e}");
        }
    }
}

/// Refreshes a [`SharedClock`] every [`REFRESH_PERIOD`] until dropped.
#[derive(Debug)]
pub(crate) struct Refresher {
    /// Held for its drop, which stops the refreshes.
    _refreshes: Periodic,
}

impl Refresher {
    pub(crate) fn start(clock: Arc<SharedClock>) -> std::io::Result<Refresher> {
        let refreshes = Periodic::start("kmsgate-clock", REFRESH_PERIOD, move || {
            clock.refresh_or_log();
            REFRESH_PERIOD
        })?;
        Ok(Refresher {
            _refreshes: refreshes,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use kms_core::{EmulatedClock, Kms, MemoryStore, RootKey};

    use super::*;

    fn engine(store: &Arc<MemoryStore>) -> Arc<Kms> {
        Arc::new(Kms::builder(Arc::clone(store) as _, &RootKey::from_bytes([3; 32])).build())
    }

    #[test]
    fn a_move_stored_by_another_process_is_taken_before_the_next_request() {
        // Two processes over one store: `theirs` moves its clock and stores it, as
        // `EngineView::advance` does.
        let store = Arc::new(MemoryStore::new());
        let (ours, theirs) = (Arc::new(EmulatedClock::new()), EmulatedClock::new());
        let shared = Arc::new(SharedClock::new(engine(&store), Arc::clone(&ours)));
        shared.refresh_for_request();
        assert_eq!(ours.offset(), Duration::ZERO);
        theirs.advance(Duration::from_secs(7200));
        let state = serde_json::to_vec(&theirs.state()).unwrap();
        engine(&store).put_meta(CLOCK_META, &state).unwrap();
        shared.refresh_for_request();
        assert_eq!(ours.offset(), Duration::from_secs(7200));
        // Concurrent requests all see it, sharing reads.
        theirs.advance(Duration::from_secs(60));
        let state = serde_json::to_vec(&theirs.state()).unwrap();
        engine(&store).put_meta(CLOCK_META, &state).unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                let (shared, ours) = (Arc::clone(&shared), Arc::clone(&ours));
                s.spawn(move || {
                    shared.refresh_for_request();
                    assert_eq!(ours.offset(), Duration::from_secs(7260));
                });
            }
        });
    }
}
