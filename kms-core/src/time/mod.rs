//! Time as the core sees it: every expiry and deletion window is judged against an injected
//! [`Clock`], so tests and users move time instead of waiting for it.

mod emulated;

pub use emulated::{ClockError, ClockMove, ClockState, EmulatedClock};

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(u64);

impl Timestamp {
    pub const fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    pub const fn from_secs(secs: u64) -> Self {
        Timestamp(secs.saturating_mul(1000))
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds, rounded down.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// Saturates at the end of representable time rather than wrapping.
    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({}.{:03})", self.0 / 1000, self.0 % 1000)
    }
}

/// Where the core gets "now" from.
///
/// A clock that can be moved back (the [`EmulatedClock`]) numbers the stretches between its
/// rewinds: *generations*. Something stamped with an instant and the generation it was made
/// in (an import token's expiry) asks [`Clock::has_passed`] rather than comparing with
/// [`Clock::now`], so that an instant once reached stays reached after time is moved back.
/// Clocks that never go back keep the defaults: one generation, and "passed" means "not
/// later than now".
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;

    /// The current generation; it grows by one at every rewind.
    fn generation(&self) -> u32 {
        0
    }

    /// [`Clock::now`] and [`Clock::generation`] read together, so a rewind cannot fall
    /// between the two readings.
    fn now_and_generation(&self) -> (Timestamp, u32) {
        (self.now(), self.generation())
    }

    /// Whether `instant` has been reached at some point since generation `since_generation`
    /// began: it is not later than now, or a generation since then ended after it.
    fn has_passed(&self, instant: Timestamp, since_generation: u32) -> bool {
        // Never moved back: whatever was reached is still not later than now.
        let _ = since_generation;
        instant <= self.now()
    }
}

/// The machine's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

fn wall_clock() -> Timestamp {
    // A clock before 1970 is a broken machine; treating it as the epoch keeps us serving.
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    Timestamp(ms)
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        wall_clock()
    }
}

/// A clock that stands still until told to move: for tests. [`ManualClock::set`] may move it
/// back, but it keeps the trait's single generation: an instant counts as passed only while it
/// is not later than now. Tests of rewinds use an [`EmulatedClock`] over a `ManualClock`.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: AtomicU64,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now_ms: AtomicU64::new(start.0),
        }
    }

    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .now_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(ms))
            });
    }

    pub fn set(&self, to: Timestamp) {
        self.now_ms.store(to.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now_ms.load(Ordering::SeqCst))
    }
}

/// The two times a front end over the engine reads. They differ on purpose: signatures are
/// dated by the clients' real clocks, which users fast-forwarding the emulated clock must not
/// push out of a cloud's skew window; state users fast-forward through (issued tokens, rate
/// windows) follows the emulated clock, as the engine's own key state does.
#[derive(Clone, Debug)]
pub struct Clocks {
    /// Real time, for checking request signature dates.
    pub real: Arc<dyn Clock>,
    /// The engine's (emulated) time.
    pub emulated: Arc<dyn Clock>,
}

impl Default for Clocks {
    /// Both on the system clock: what an embedding without time control wants.
    fn default() -> Self {
        Clocks {
            real: Arc::new(SystemClock),
            emulated: Arc::new(SystemClock),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(Timestamp::from_secs(1_000));
        assert_eq!(c.now(), Timestamp::from_secs(1_000));
        c.advance(Duration::from_secs(86_401));
        assert_eq!(c.now().as_secs(), 87_401);
    }

    #[test]
    fn timestamps_saturate_instead_of_wrapping() {
        let t = Timestamp::from_millis(u64::MAX - 1);
        assert_eq!(
            t.saturating_add(Duration::from_secs(10)),
            Timestamp::from_millis(u64::MAX)
        );
    }
}
