//! The emulated clock: real time plus an offset that users control. They move it forward to
//! fast-forward expiry, and back (to an instant, or to real time) to replay a scenario. Moving
//! back never undoes what time already did: each backwards move ends a *generation* and
//! remembers the instant that generation had reached (its ceiling), and
//! [`Clock::has_passed`] keeps every instant below a later ceiling passed.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Clock, SystemClock, Timestamp};

/// The instant a generation had reached when a backwards move ended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Ceiling {
    generation: u32,
    reached: Timestamp,
}

/// What an [`EmulatedClock`] holds besides real time, for a server to persist after every
/// change (it is `serde`-serialisable) and to [`EmulatedClock::restore`] at its next start.
/// Only the offset is kept, not the emulated instant, so real time flows on while the server
/// is stopped and emulated time never goes back across a restart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    offset_ms: u64,
    generation: u32,
    /// Only the ceilings that still decide something: a ceiling not above a later one's
    /// never does (see `ClockState::rewind`), so this stays short however often users
    /// move the clock back.
    ceilings: Vec<Ceiling>,
}

impl ClockState {
    /// How far the emulated clock runs ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms)
    }

    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Raises the ceiling of the generation that just ended to `reached`, if higher.
    fn raise_ended(&mut self, reached: Timestamp) {
        let ended = self.generation.saturating_sub(1);
        for c in &mut self.ceilings {
            if c.generation == ended && c.reached < reached {
                c.reached = reached;
            }
        }
    }

    /// Starts the next generation; the current one ended at `reached`.
    fn rewind(&mut self, reached: Timestamp) -> Result<ClockMove, ClockError> {
        let next = self
            .generation
            .checked_add(1)
            .ok_or(ClockError::TooManyRewinds)?;
        // A ceiling not above the new one is redundant: every generation it would answer for
        // is also covered by the new, higher ceiling.
        self.ceilings.retain(|c| c.reached > reached);
        self.ceilings.push(Ceiling {
            generation: self.generation,
            reached,
        });
        self.generation = next;
        Ok(ClockMove::Rewound {
            ceiling: reached,
            generation: next,
        })
    }
}

/// What [`EmulatedClock::set`] or [`EmulatedClock::reset`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMove {
    /// Emulated time went forward or stayed where it was: the generation goes on.
    Forward,
    /// Emulated time went back: `generation` began, and the one before ended at `ceiling`.
    Rewound { ceiling: Timestamp, generation: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(
        "the emulated clock cannot be set to {} (epoch ms): real time is already {} and the emulated clock never runs behind it",
        requested.as_millis(),
        real_now.as_millis()
    )]
    BeforeRealTime {
        requested: Timestamp,
        real_now: Timestamp,
    },
    #[error("the emulated clock has been moved back as often as it can count")]
    TooManyRewinds,
    #[error(
        "the emulated clock cannot go past {} (epoch seconds, the end of year 9999); {} was asked",
        EmulatedClock::LATEST.as_secs(),
        requested.as_secs()
    )]
    BeyondLatest { requested: Timestamp },
}

/// Real time (the system clock, unless another is injected) plus an offset of zero or more.
///
/// A server exposes it so users can fast-forward expiry ("advance by 24 h") while time keeps
/// flowing normally, set it to a later instant, or move it back with [`EmulatedClock::set`]
/// (never before real time) or [`EmulatedClock::reset`]. Material expiry and deletion dates
/// are judged by plain comparison with [`Clock::now`], so whoever moves the clock back must
/// first run [`crate::Kms::sweep`]: what had expired by then is erased for good, and keys
/// whose deletion date had come are purged. Import tokens need nothing: they are judged by
/// [`Clock::has_passed`].
#[derive(Debug)]
pub struct EmulatedClock {
    wall: Arc<dyn Clock>,
    /// The offset of `state`, readable without the lock: every request reads the clock,
    /// and a lock all of them take costs throughput. Written only under the lock, together
    /// with `state`.
    offset_ms: AtomicU64,
    state: Mutex<ClockState>,
    /// Held across a whole move, its keeping included (a store write, milliseconds), so that
    /// moves never interleave while `state`'s lock, which requests take to judge expiry, is
    /// held only for moments.
    moving: Mutex<()>,
}

impl Default for EmulatedClock {
    fn default() -> Self {
        Self::new()
    }
}

impl EmulatedClock {
    /// On the system clock, with no offset.
    pub fn new() -> Self {
        Self::with_wall(Arc::new(SystemClock))
    }

    /// On `wall` as real time: tests drive real time with a [`super::ManualClock`].
    pub fn with_wall(wall: Arc<dyn Clock>) -> Self {
        EmulatedClock {
            wall,
            offset_ms: AtomicU64::new(0),
            state: Mutex::new(ClockState::default()),
            moving: Mutex::new(()),
        }
    }

    /// Every change below is a whole assignment or a push that cannot panic halfway, so a
    /// poisoned lock still guards a consistent state.
    fn lock(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Emulated now, read under the caller's lock so that it agrees with the offset a
    /// concurrent move is about to change.
    fn now_in(&self, state: &ClockState) -> Timestamp {
        self.wall.now().saturating_add(state.offset())
    }

    /// The latest instant a move may reach: dates past year 9999 no longer have four-digit
    /// years, which the clouds' timestamp formats and SDK date parsers assume.
    pub const LATEST: Timestamp = Timestamp::from_secs(253_402_300_799);

    pub fn advance(&self, by: Duration) {
        let kept: Result<(), Infallible> = self.advance_kept(by, |_| Ok(()));
        let Ok(()) = kept;
    }

    /// [`EmulatedClock::advance`], made only once `keep` (a server storing the state it
    /// persists) has accepted the state the clock will then have: if `keep` fails, the clock
    /// stays where it was, and nobody has read the moved time. No other move interleaves, and
    /// readers of the clock never wait for `keep`.
    pub fn advance_kept<E>(
        &self,
        by: Duration,
        keep: impl FnOnce(&ClockState) -> Result<(), E>,
    ) -> Result<(), E> {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.change(keep, |state, _| {
            state.offset_ms = state.offset_ms.saturating_add(ms);
            Ok(ClockMove::Forward)
        })
        .map(|_| ())
    }

    /// Applies `change` to a copy of the state, has `keep` accept the copy, and only then
    /// makes it the clock's. A change that changes nothing is not kept.
    fn change<E>(
        &self,
        keep: impl FnOnce(&ClockState) -> Result<(), E>,
        change: impl FnOnce(&mut ClockState, Timestamp) -> Result<ClockMove, E>,
    ) -> Result<ClockMove, E> {
        // Guards no data: a poisoned lock only says that another move panicked.
        let _moving = self.moving.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.lock().clone();
        let mut next = current.clone();
        let moved = change(&mut next, self.wall.now())?;
        if next == current {
            return Ok(moved);
        }
        keep(&next)?;
        // Every change of the state is a move or a restore, both made under `moving`: the
        // state is still `current`.
        let mut state = self.lock();
        // Requests went on in the old timeline while `keep` wrote: the generation that ends
        // here reached the instant of this install, not only that of the plan, or a token
        // that expired meanwhile would come back. (What `keep` stored says the plan's
        // instant; the next move stores this one.)
        let moved = match moved {
            ClockMove::Rewound {
                ceiling,
                generation,
            } => {
                let reached = self.now_in(&current).max(ceiling);
                next.raise_ended(reached);
                ClockMove::Rewound {
                    ceiling: reached,
                    generation,
                }
            }
            ClockMove::Forward => ClockMove::Forward,
        };
        *state = next;
        self.publish(&state);
        Ok(moved)
    }

    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::Acquire))
    }

    /// Makes `state`'s offset what lock-free readers see; call under the lock after every
    /// change.
    fn publish(&self, state: &ClockState) {
        self.offset_ms.store(state.offset_ms, Ordering::Release);
    }

    /// Whether [`EmulatedClock::set`] would take `to`: not before real time, not past
    /// [`EmulatedClock::LATEST`]. For a caller that prepares a move (a sweep) before making
    /// it, or checks where an advance would land.
    pub fn check_settable(&self, to: Timestamp) -> Result<(), ClockError> {
        if to > Self::LATEST {
            return Err(ClockError::BeyondLatest { requested: to });
        }
        let real_now = self.wall.now();
        if to < real_now {
            return Err(ClockError::BeforeRealTime {
                requested: to,
                real_now,
            });
        }
        Ok(())
    }

    /// Jumps to `to`, which must not be before real time. Setting an instant before the
    /// emulated now is a backwards move (see the type's documentation: sweep first).
    pub fn set(&self, to: Timestamp) -> Result<ClockMove, ClockError> {
        self.set_kept(to, |_| Ok(()))
    }

    /// [`EmulatedClock::set`], made only once `keep` has accepted the resulting state (see
    /// [`EmulatedClock::advance_kept`]).
    pub fn set_kept<E: From<ClockError>>(
        &self,
        to: Timestamp,
        keep: impl FnOnce(&ClockState) -> Result<(), E>,
    ) -> Result<ClockMove, E> {
        if to > Self::LATEST {
            return Err(ClockError::BeyondLatest { requested: to }.into());
        }
        self.change(keep, |state, real_now| {
            let Some(offset_ms) = to.as_millis().checked_sub(real_now.as_millis()) else {
                return Err(ClockError::BeforeRealTime {
                    requested: to,
                    real_now,
                }
                .into());
            };
            let current = real_now.saturating_add(state.offset());
            let moved = if to < current {
                state.rewind(current)?
            } else {
                ClockMove::Forward
            };
            state.offset_ms = offset_ms;
            Ok(moved)
        })
    }

    /// Back to real time (offset zero): a backwards move unless the offset already is zero
    /// (see the type's documentation: sweep first).
    pub fn reset(&self) -> Result<ClockMove, ClockError> {
        self.reset_kept(|_| Ok(()))
    }

    /// [`EmulatedClock::reset`], made only once `keep` has accepted the resulting state (see
    /// [`EmulatedClock::advance_kept`]). Nothing to keep when the offset already is zero.
    pub fn reset_kept<E: From<ClockError>>(
        &self,
        keep: impl FnOnce(&ClockState) -> Result<(), E>,
    ) -> Result<ClockMove, E> {
        self.change(keep, |state, real_now| {
            if state.offset_ms == 0 {
                return Ok(ClockMove::Forward);
            }
            let moved = state.rewind(real_now.saturating_add(state.offset()))?;
            state.offset_ms = 0;
            Ok(moved)
        })
    }

    /// What to persist after every change (advance, set, reset).
    pub fn state(&self) -> ClockState {
        self.lock().clone()
    }

    /// Takes over a persisted state. Meant for start-up, before anything has read this clock:
    /// replacing a state in use with an older one would move time back without a new
    /// generation. (A shared store's refresh uses it too; it waits for a move this process is
    /// storing.)
    pub fn restore(&self, state: ClockState) {
        let _moving = self.moving.lock().unwrap_or_else(|p| p.into_inner());
        let mut current = self.lock();
        *current = state;
        self.publish(&current);
    }
}

impl Clock for EmulatedClock {
    fn now(&self) -> Timestamp {
        self.wall.now().saturating_add(Duration::from_millis(
            self.offset_ms.load(Ordering::Acquire),
        ))
    }

    fn generation(&self) -> u32 {
        self.lock().generation
    }

    fn now_and_generation(&self) -> (Timestamp, u32) {
        let state = self.lock();
        (self.now_in(&state), state.generation)
    }

    fn has_passed(&self, instant: Timestamp, since_generation: u32) -> bool {
        // The common case needs no lock: the instant is simply behind us.
        if instant <= self.now() {
            return true;
        }
        let state = self.lock();
        instant <= self.now_in(&state)
            || state
                .ceilings
                .iter()
                .any(|c| c.generation >= since_generation && instant <= c.reached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ManualClock;

    const T0: Timestamp = Timestamp::from_secs(1_800_000_000);
    const HOUR: Duration = Duration::from_secs(3_600);

    fn clock() -> (Arc<ManualClock>, EmulatedClock) {
        let wall = Arc::new(ManualClock::new(T0));
        let clock = EmulatedClock::with_wall(wall.clone());
        (wall, clock)
    }

    fn at(hours: u64) -> Timestamp {
        T0.saturating_add(HOUR * u32::try_from(hours).unwrap())
    }

    #[test]
    fn runs_ahead_of_real_time_by_its_offset_while_real_time_flows() {
        let (wall, c) = clock();
        assert_eq!(c.now(), T0);
        c.advance(HOUR);
        assert_eq!(c.now(), at(1));
        assert_eq!(c.offset(), HOUR);
        wall.advance(HOUR);
        assert_eq!(c.now(), at(2));
        assert_eq!(c.generation(), 0);
    }

    #[test]
    fn by_default_real_time_is_the_system_clock() {
        let c = EmulatedClock::new();
        c.advance(HOUR);
        // Bracketed by two system clock reads: a thread held up in between cannot fail it.
        let before = SystemClock.now().saturating_add(HOUR);
        let now = c.now();
        let after = SystemClock.now().saturating_add(HOUR);
        assert!(
            before <= now && now <= after,
            "{now:?} not within {before:?}..{after:?}"
        );
    }

    #[test]
    fn setting_forward_keeps_the_generation_and_backwards_starts_one() {
        let (wall, c) = clock();
        assert_eq!(c.set(at(10)), Ok(ClockMove::Forward));
        assert_eq!((c.now(), c.generation()), (at(10), 0));
        assert_eq!(c.set(at(10)), Ok(ClockMove::Forward), "same instant");
        wall.advance(HOUR);
        assert_eq!(
            c.set(at(5)),
            Ok(ClockMove::Rewound {
                ceiling: at(11),
                generation: 1
            })
        );
        assert_eq!(c.now_and_generation(), (at(5), 1));
        assert_eq!(c.offset(), HOUR * 4);
    }

    #[test]
    fn setting_before_real_time_is_refused_and_changes_nothing() {
        let (wall, c) = clock();
        c.advance(HOUR);
        wall.advance(HOUR * 2);
        let before = c.state();
        // What set refuses, check_settable refuses alike (a caller asks before sweeping).
        assert!(c.check_settable(at(1)).is_err());
        assert_eq!(c.check_settable(at(2)), Ok(()));
        assert_eq!(
            c.set(at(1)),
            Err(ClockError::BeforeRealTime {
                requested: at(1),
                real_now: at(2)
            })
        );
        assert_eq!(c.state(), before);
        assert_eq!(
            c.set(at(2)),
            Ok(ClockMove::Rewound {
                ceiling: at(3),
                generation: 1
            }),
            "real time itself is allowed"
        );
    }

    #[test]
    fn reset_returns_to_real_time_and_is_a_rewind_only_from_ahead() {
        let (wall, c) = clock();
        assert_eq!(c.reset(), Ok(ClockMove::Forward));
        assert_eq!(c.generation(), 0);
        c.advance(HOUR * 24);
        wall.advance(HOUR);
        assert_eq!(
            c.reset(),
            Ok(ClockMove::Rewound {
                ceiling: at(25),
                generation: 1
            })
        );
        assert_eq!(c.now(), at(1));
        assert_eq!(c.offset(), Duration::ZERO);
    }

    #[test]
    fn an_instant_reached_before_a_rewind_stays_passed_for_what_began_before_it() {
        let (_, c) = clock();
        c.advance(HOUR * 24);
        assert!(c.has_passed(at(24), 0));
        assert!(!c.has_passed(at(25), 0));
        c.reset().unwrap();
        assert!(c.has_passed(at(24), 0), "reached in generation 0");
        assert!(!c.has_passed(at(25), 0), "never reached");
        assert!(
            !c.has_passed(at(24), 1),
            "not reached since generation 1 began"
        );
        assert!(c.has_passed(T0, 1), "now");
        // The default, plain comparison, is what a clock that never goes back answers.
        let plain = ManualClock::new(at(3));
        assert!(plain.has_passed(at(3), 7) && !plain.has_passed(at(4), 0));
    }

    /// Time went on in the old timeline while the move back was being stored: what it
    /// reached meanwhile stays passed after the move.
    #[test]
    fn a_move_back_covers_the_time_its_storing_took() {
        let (wall, c) = clock();
        c.advance(HOUR * 24);
        let during = at(24).saturating_add(Duration::from_secs(1800));
        let moved = c
            .reset_kept(|_| {
                wall.advance(HOUR);
                Ok::<_, ClockError>(())
            })
            .unwrap();
        assert_eq!(
            moved,
            ClockMove::Rewound {
                ceiling: at(25),
                generation: 1
            }
        );
        assert!(c.has_passed(during, 0), "reached while the move was stored");
        assert!(!c.has_passed(at(26), 0));
    }

    #[test]
    fn a_move_its_keeper_refuses_leaves_the_clock_where_it_was() {
        let (_wall, c) = clock();
        c.advance(HOUR);
        let before = c.state();
        let refused = |_: &ClockState| Err(ClockError::TooManyRewinds);
        assert!(c.advance_kept(HOUR, refused).is_err());
        assert!(c.set_kept(at(5), refused).is_err());
        assert!(c.reset_kept(refused).is_err());
        assert_eq!(c.state(), before);
        assert_eq!(c.now(), at(1));
        // The keeper sees the state the clock takes, and only a change is offered to it.
        let mut kept = Vec::new();
        c.set_kept(at(3), |s| {
            kept.push(s.clone());
            Ok::<_, ClockError>(())
        })
        .unwrap();
        c.advance_kept(Duration::ZERO, |s| {
            kept.push(s.clone());
            Ok::<_, ClockError>(())
        })
        .unwrap();
        assert_eq!(kept, vec![c.state()]);
        assert_eq!(c.now(), at(3));
    }

    #[test]
    fn generations_compose_over_two_rewinds() {
        let (wall, c) = clock();
        c.set(at(48)).unwrap(); // generation 0 reaches +48 h
        c.reset().unwrap(); // generation 1 starts at T0
        c.set(at(10)).unwrap();
        wall.advance(HOUR); // generation 1 reaches +11 h
        c.set(at(2)).unwrap(); // generation 2 starts at +2 h (real time is +1 h)
        assert_eq!(c.generation(), 2);
        for (instant, since, passed) in [
            (at(30), 0, true),  // under generation 0's ceiling
            (at(30), 1, false), // generations 1 and 2 never got there
            (at(9), 1, true),   // under generation 1's ceiling
            (at(9), 2, false),
            (at(11), 1, true),
            (at(12), 1, false),
            (at(2), 2, true), // now
            (at(3), 0, true),
        ] {
            assert_eq!(
                c.has_passed(instant, since),
                passed,
                "{instant:?} since generation {since}"
            );
        }
    }

    #[test]
    fn a_higher_later_ceiling_replaces_lower_earlier_ones_without_changing_answers() {
        let (wall, c) = clock();
        for round in 1..=5 {
            c.advance(HOUR * 24);
            c.reset().unwrap();
            wall.advance(HOUR);
            assert_eq!(c.generation(), round);
        }
        // Each round reached further than the last, so only the last ceiling is kept.
        assert_eq!(c.state().ceilings.len(), 1);
        assert!(c.has_passed(at(4 + 24), 0));
        assert!(c.has_passed(at(4 + 24), 4));
        assert!(!c.has_passed(at(4 + 24), 5));
        assert!(!c.has_passed(at(4 + 25), 0));
    }

    #[test]
    fn state_round_trips_through_serde_and_restore_while_real_time_flows_on() {
        let (wall, c) = clock();
        c.set(at(48)).unwrap();
        c.reset().unwrap();
        c.advance(HOUR * 3);
        let saved = serde_json::to_vec(&c.state()).unwrap();

        wall.advance(HOUR); // the server is down for an hour
        let restarted = EmulatedClock::with_wall(wall.clone());
        restarted.restore(serde_json::from_slice(&saved).unwrap());
        assert_eq!(restarted.state(), c.state());
        assert_eq!(restarted.now(), at(4), "offset kept, real time flowed");
        assert_eq!(restarted.generation(), 1);
        assert!(restarted.has_passed(at(47), 0), "ceilings kept");
        assert!(!restarted.has_passed(at(47), 1));
        assert_eq!(restarted.state().offset(), HOUR * 3);
        assert_eq!(restarted.state().generation(), 1);
    }
}
