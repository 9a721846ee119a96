//! Automatic rotation of generated symmetric keys: the period (a dialect's range, like
//! [`crate::DeletionWindow`]), the schedule a key keeps, and what a status query answers.
//! The rotation itself is a lifecycle transition ([`crate::lifecycle::KeyState::rotate`]),
//! applied by aging on the emulated clock like expiry.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::KeyId;
use crate::time::Timestamp;

const DAY_SECS: u64 = 86_400;

/// What a cloud requires of a rotation on demand; the dialect says which when it asks for
/// one. Checked inside the key's one atomic update, so concurrent requests never pass a check
/// together, and a concurrent change of the key is never overridden by a stale check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnDemandRules {
    /// How many rotations on demand a key may have had before another is refused
    /// (`RotationLimit`); `None`: no bound.
    pub at_most: Option<usize>,
    /// Only a key that rotates automatically may rotate on demand (`RotationNotEnabled`).
    pub needs_schedule: bool,
    /// How long after a rotation on demand the next may come (`RotationTooSoon`); checked
    /// after the key's state, so a disabled key says so first.
    pub min_interval: Option<std::time::Duration>,
}

impl OnDemandRules {
    /// No bound and no precondition.
    pub const ANY: OnDemandRules = OnDemandRules {
        at_most: None,
        needs_schedule: false,
        min_interval: None,
    };

    /// Whether a key that has rotated on demand `done` times may do so once more.
    pub(crate) fn allows(self, done: usize) -> bool {
        self.at_most.is_none_or(|most| done < most)
    }
}

/// Days between automatic rotations. Each cloud allows its own range, so the dialect names
/// the range when it builds one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct RotationPeriod {
    days: u32,
}

/// A rotation period outside the range the dialect allows (kept out of [`crate::KmsError`],
/// whose variants every dialect matches exhaustively).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rotation period of {days} days is outside {min}..={max}")]
pub struct RotationPeriodOutOfRange {
    pub days: u32,
    pub min: u32,
    pub max: u32,
}

impl RotationPeriod {
    pub fn days_within(
        days: u32,
        allowed: std::ops::RangeInclusive<u32>,
    ) -> Result<Self, RotationPeriodOutOfRange> {
        if days == 0 || !allowed.contains(&days) {
            return Err(RotationPeriodOutOfRange {
                days,
                min: *allowed.start(),
                max: *allowed.end(),
            });
        }
        Ok(RotationPeriod { days })
    }

    pub fn days(self) -> u32 {
        self.days
    }

    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.days) * DAY_SECS)
    }
}

impl TryFrom<u32> for RotationPeriod {
    type Error = RotationPeriodOutOfRange;
    /// Stored periods were validated by a dialect; only zero is impossible.
    fn try_from(days: u32) -> Result<Self, Self::Error> {
        RotationPeriod::days_within(days, 1..=u32::MAX)
    }
}

impl From<RotationPeriod> for u32 {
    fn from(p: RotationPeriod) -> u32 {
        p.days
    }
}

impl fmt::Display for RotationPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} days", self.days)
    }
}

/// A key's automatic rotation: every `period`, next at `next`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Schedule {
    pub(crate) period: RotationPeriod,
    pub(crate) next: Timestamp,
}

impl Schedule {
    pub(crate) fn starting(period: RotationPeriod, now: Timestamp) -> Schedule {
        Schedule {
            period,
            next: now.saturating_add(period.duration()),
        }
    }

    /// The schedule after the rotation due at `self.next`.
    pub(crate) fn after_rotation(self) -> Schedule {
        Schedule {
            period: self.period,
            next: self.next.saturating_add(self.period.duration()),
        }
    }
}

/// Whether a key rotates automatically, and when next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationStatus {
    pub key_id: KeyId,
    pub enabled: bool,
    /// The period while enabled.
    pub period: Option<RotationPeriod>,
    /// While enabled: the date of the next automatic rotation. A disabled key (or one
    /// pending deletion or import) does not rotate; it rotates on its first access once
    /// enabled again if the date has passed.
    pub next_rotation: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_checked_against_the_dialects_range() {
        assert_eq!(
            RotationPeriod::days_within(89, 90..=2560),
            Err(RotationPeriodOutOfRange {
                days: 89,
                min: 90,
                max: 2560
            })
        );
        let p = RotationPeriod::days_within(90, 90..=2560).map(RotationPeriod::days);
        assert_eq!(p, Ok(90));
        assert!(RotationPeriod::days_within(0, 0..=10).is_err());
    }

    #[test]
    fn a_schedule_moves_by_whole_periods() {
        let p = RotationPeriod::days_within(7, 7..=365).unwrap_or_else(|e| panic!("{e}"));
        let s = Schedule::starting(p, Timestamp::from_secs(0));
        assert_eq!(s.next, Timestamp::from_secs(7 * DAY_SECS));
        assert_eq!(s.after_rotation().next, Timestamp::from_secs(14 * DAY_SECS));
    }
}
