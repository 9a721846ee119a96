//! The key lifecycle: one state machine, with material living only in the states where a key
//! may hold it. Every operation goes through a transition here; nothing else inspects states.
//!
//! ```text
//!                 import                       disable
//!  PendingImport ───────▶ Enabled(material) ◀──────────▶ Disabled(material)
//!        ▲   ▲  delete material / expiry │ enable              │
//!        │   └──────────────────────────┴─────────────────────┘
//!        │ cancel (no material)          schedule deletion (from any state but itself)
//!  PendingDeletion{material?} ◀─────────────────────────────────
//!        │ cancel (material) ──▶ Disabled     window passes ──▶ purged
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Operation;
use crate::secret::SecretBytes;
use crate::spec::Expiry;
use crate::time::Timestamp;

/// The state of a key, without its data: what descriptions report and errors carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyStateKind {
    Enabled,
    Disabled,
    PendingImport,
    PendingDeletion,
}

impl KeyStateKind {
    pub const ALL: [KeyStateKind; 4] = [
        KeyStateKind::Enabled,
        KeyStateKind::Disabled,
        KeyStateKind::PendingImport,
        KeyStateKind::PendingDeletion,
    ];
}

impl fmt::Display for KeyStateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyStateKind::Enabled => "Enabled",
            KeyStateKind::Disabled => "Disabled",
            KeyStateKind::PendingImport => "PendingImport",
            KeyStateKind::PendingDeletion => "PendingDeletion",
        })
    }
}

/// Key material currently held by a key, and when it stops being usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Material {
    pub(crate) secret: SecretBytes,
    pub(crate) expiry: Expiry,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyState {
    Enabled(Material),
    Disabled(Material),
    PendingImport,
    PendingDeletion {
        deletion_date: Timestamp,
        material: Option<Material>,
    },
}

/// Which states accept an import of key material. PendingImport always does (that is what it
/// is for); Enabled and Disabled accept only a re-import of the same material, and a dialect
/// may refuse them (Tencent refuses Disabled keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportPolicy {
    pub reimport_into_enabled: bool,
    pub reimport_into_disabled: bool,
}

impl Default for ImportPolicy {
    fn default() -> Self {
        ImportPolicy {
            reimport_into_enabled: true,
            reimport_into_disabled: true,
        }
    }
}

/// Which states may be scheduled for deletion. PendingImport and Disabled always may; a
/// dialect may refuse Enabled keys (Tencent deletes only disabled keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeletionPolicy {
    pub from_enabled: bool,
}

impl Default for DeletionPolicy {
    fn default() -> Self {
        DeletionPolicy { from_enabled: true }
    }
}

/// Why a transition was refused; the key turns it into a [`crate::KmsError`] with its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    InvalidState(KeyStateKind, Operation),
    Disabled,
}

/// What the passing of time did to a state.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Aged {
    Unchanged,
    Changed(KeyState),
    /// The deletion window has passed: the key no longer exists.
    Purged,
}

impl KeyState {
    pub(crate) fn kind(&self) -> KeyStateKind {
        match self {
            KeyState::Enabled(_) => KeyStateKind::Enabled,
            KeyState::Disabled(_) => KeyStateKind::Disabled,
            KeyState::PendingImport => KeyStateKind::PendingImport,
            KeyState::PendingDeletion { .. } => KeyStateKind::PendingDeletion,
        }
    }

    pub(crate) fn material(&self) -> Option<&Material> {
        match self {
            KeyState::Enabled(m) | KeyState::Disabled(m) => Some(m),
            KeyState::PendingDeletion { material, .. } => material.as_ref(),
            KeyState::PendingImport => None,
        }
    }

    pub(crate) fn deletion_date(&self) -> Option<Timestamp> {
        match self {
            KeyState::PendingDeletion { deletion_date, .. } => Some(*deletion_date),
            _ => None,
        }
    }

    fn refuse(&self, op: Operation) -> Refusal {
        Refusal::InvalidState(self.kind(), op)
    }

    pub(crate) fn enable(&self) -> Result<KeyState, Refusal> {
        match self {
            KeyState::Enabled(m) | KeyState::Disabled(m) => Ok(KeyState::Enabled(m.clone())),
            KeyState::PendingImport | KeyState::PendingDeletion { .. } => {
                Err(self.refuse(Operation::Enable))
            }
        }
    }

    pub(crate) fn disable(&self) -> Result<KeyState, Refusal> {
        match self {
            KeyState::Enabled(m) | KeyState::Disabled(m) => Ok(KeyState::Disabled(m.clone())),
            KeyState::PendingImport | KeyState::PendingDeletion { .. } => {
                Err(self.refuse(Operation::Disable))
            }
        }
    }

    pub(crate) fn schedule_deletion(
        &self,
        deletion_date: Timestamp,
        policy: DeletionPolicy,
    ) -> Result<KeyState, Refusal> {
        match self {
            KeyState::PendingDeletion { .. } => Err(self.refuse(Operation::ScheduleDeletion)),
            KeyState::Enabled(_) if !policy.from_enabled => {
                Err(self.refuse(Operation::ScheduleDeletion))
            }
            _ => Ok(KeyState::PendingDeletion {
                deletion_date,
                material: self.material().cloned(),
            }),
        }
    }

    /// A cancelled deletion never re-enables a key: it comes back Disabled, or PendingImport
    /// when its material is gone.
    pub(crate) fn cancel_deletion(&self) -> Result<KeyState, Refusal> {
        match self {
            KeyState::PendingDeletion {
                material: Some(m), ..
            } => Ok(KeyState::Disabled(m.clone())),
            KeyState::PendingDeletion { material: None, .. } => Ok(KeyState::PendingImport),
            _ => Err(self.refuse(Operation::CancelDeletion)),
        }
    }

    /// Descriptions, tags and aliases may change in every state but PendingDeletion.
    pub(crate) fn permits_attribute_change(&self) -> Result<(), Refusal> {
        match self {
            KeyState::PendingImport | KeyState::Enabled(_) | KeyState::Disabled(_) => Ok(()),
            KeyState::PendingDeletion { .. } => Err(self.refuse(Operation::ChangeAttributes)),
        }
    }

    pub(crate) fn permits_import_parameters(&self) -> Result<(), Refusal> {
        match self {
            KeyState::PendingImport | KeyState::Enabled(_) | KeyState::Disabled(_) => Ok(()),
            KeyState::PendingDeletion { .. } => Err(self.refuse(Operation::GetParametersForImport)),
        }
    }

    /// Checks the state alone; whether the material is the right one is the key's concern.
    pub(crate) fn permits_import(&self, policy: ImportPolicy) -> Result<(), Refusal> {
        let allowed = match self {
            KeyState::PendingImport => true,
            KeyState::Enabled(_) => policy.reimport_into_enabled,
            KeyState::Disabled(_) => policy.reimport_into_disabled,
            KeyState::PendingDeletion { .. } => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(self.refuse(Operation::ImportKeyMaterial))
        }
    }

    /// PendingImport becomes Enabled; a re-import keeps Enabled or Disabled and replaces the
    /// expiry.
    pub(crate) fn import(
        &self,
        material: Material,
        policy: ImportPolicy,
    ) -> Result<KeyState, Refusal> {
        self.permits_import(policy)?;
        Ok(match self {
            KeyState::Disabled(_) => KeyState::Disabled(material),
            _ => KeyState::Enabled(material),
        })
    }

    pub(crate) fn delete_material(&self) -> Result<KeyState, Refusal> {
        match self {
            KeyState::Enabled(_) | KeyState::Disabled(_) => Ok(KeyState::PendingImport),
            KeyState::PendingDeletion { deletion_date, .. } => Ok(KeyState::PendingDeletion {
                deletion_date: *deletion_date,
                material: None,
            }),
            KeyState::PendingImport => Err(self.refuse(Operation::DeleteImportedKeyMaterial)),
        }
    }

    pub(crate) fn usable_material(&self) -> Result<&Material, Refusal> {
        match self {
            KeyState::Enabled(m) => Ok(m),
            KeyState::Disabled(_) => Err(Refusal::Disabled),
            KeyState::PendingImport | KeyState::PendingDeletion { .. } => {
                Err(self.refuse(Operation::Cryptography))
            }
        }
    }

    /// Applies what time does on its own: expired material is erased (the key goes back to
    /// PendingImport, or stays PendingDeletion without material) and a passed deletion date
    /// purges the key.
    pub(crate) fn age(&self, now: Timestamp) -> Aged {
        if let KeyState::PendingDeletion { deletion_date, .. } = self
            && *deletion_date <= now
        {
            return Aged::Purged;
        }
        match self.material() {
            Some(m) if m.expiry.has_passed(now) => Aged::Changed(match self {
                KeyState::PendingDeletion { deletion_date, .. } => KeyState::PendingDeletion {
                    deletion_date: *deletion_date,
                    material: None,
                },
                _ => KeyState::PendingImport,
            }),
            _ => Aged::Unchanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn material(expiry: Expiry) -> Material {
        Material {
            secret: SecretBytes::from(vec![7u8; 32]),
            expiry,
        }
    }

    fn all_states() -> Vec<KeyState> {
        let m = material(Expiry::Never);
        vec![
            KeyState::Enabled(m.clone()),
            KeyState::Disabled(m.clone()),
            KeyState::PendingImport,
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(100),
                material: Some(m),
            },
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(100),
                material: None,
            },
        ]
    }

    /// The whole transition table, state by state, so a change to one rule shows here.
    #[test]
    fn transition_table() {
        use KeyStateKind::*;
        let kinds = |r: Result<KeyState, Refusal>| r.map(|s| s.kind());
        let expected: [(Result<KeyStateKind, Refusal>, Result<KeyStateKind, Refusal>); 5] = [
            (Ok(Enabled), Ok(Disabled)),
            (Ok(Enabled), Ok(Disabled)),
            (
                Err(Refusal::InvalidState(PendingImport, Operation::Enable)),
                Err(Refusal::InvalidState(PendingImport, Operation::Disable)),
            ),
            (
                Err(Refusal::InvalidState(PendingDeletion, Operation::Enable)),
                Err(Refusal::InvalidState(PendingDeletion, Operation::Disable)),
            ),
            (
                Err(Refusal::InvalidState(PendingDeletion, Operation::Enable)),
                Err(Refusal::InvalidState(PendingDeletion, Operation::Disable)),
            ),
        ];
        for (state, (enable, disable)) in all_states().iter().zip(expected) {
            assert_eq!(kinds(state.enable()), enable, "enable from {state:?}");
            assert_eq!(kinds(state.disable()), disable, "disable from {state:?}");
        }

        let cancel: Vec<_> = all_states()
            .iter()
            .map(|s| kinds(s.cancel_deletion()))
            .collect();
        assert_eq!(
            cancel,
            vec![
                Err(Refusal::InvalidState(Enabled, Operation::CancelDeletion)),
                Err(Refusal::InvalidState(Disabled, Operation::CancelDeletion)),
                Err(Refusal::InvalidState(
                    PendingImport,
                    Operation::CancelDeletion
                )),
                Ok(Disabled),
                Ok(PendingImport),
            ]
        );

        let delete: Vec<_> = all_states()
            .iter()
            .map(|s| kinds(s.delete_material()))
            .collect();
        assert_eq!(
            delete,
            vec![
                Ok(PendingImport),
                Ok(PendingImport),
                Err(Refusal::InvalidState(
                    PendingImport,
                    Operation::DeleteImportedKeyMaterial
                )),
                Ok(PendingDeletion),
                Ok(PendingDeletion),
            ]
        );

        let use_: Vec<_> = all_states()
            .iter()
            .map(|s| s.usable_material().map(|_| ()))
            .collect();
        assert_eq!(
            use_,
            vec![
                Ok(()),
                Err(Refusal::Disabled),
                Err(Refusal::InvalidState(
                    PendingImport,
                    Operation::Cryptography
                )),
                Err(Refusal::InvalidState(
                    PendingDeletion,
                    Operation::Cryptography
                )),
                Err(Refusal::InvalidState(
                    PendingDeletion,
                    Operation::Cryptography
                )),
            ]
        );
    }

    #[test]
    fn scheduling_keeps_material_and_refuses_twice() {
        let s = KeyState::Enabled(material(Expiry::Never));
        let pending = s
            .schedule_deletion(Timestamp::from_secs(5), DeletionPolicy::default())
            .unwrap_or(KeyState::PendingImport);
        assert_eq!(pending.kind(), KeyStateKind::PendingDeletion);
        assert!(pending.material().is_some());
        assert_eq!(
            pending.schedule_deletion(Timestamp::from_secs(6), DeletionPolicy::default()),
            Err(Refusal::InvalidState(
                KeyStateKind::PendingDeletion,
                Operation::ScheduleDeletion
            ))
        );
    }

    #[test]
    fn a_deletion_policy_may_refuse_enabled_keys_only() {
        let only_disabled = DeletionPolicy {
            from_enabled: false,
        };
        let at = Timestamp::from_secs(5);
        assert_eq!(
            KeyState::Enabled(material(Expiry::Never)).schedule_deletion(at, only_disabled),
            Err(Refusal::InvalidState(
                KeyStateKind::Enabled,
                Operation::ScheduleDeletion
            ))
        );
        for s in [
            KeyState::Disabled(material(Expiry::Never)),
            KeyState::PendingImport,
        ] {
            let next = s.schedule_deletion(at, only_disabled);
            assert!(
                matches!(next, Ok(KeyState::PendingDeletion { .. })),
                "{s:?} -> {next:?}"
            );
        }
    }

    #[test]
    fn import_respects_the_policy() {
        let m = material(Expiry::Never);
        let strict = ImportPolicy {
            reimport_into_enabled: true,
            reimport_into_disabled: false,
        };
        assert_eq!(
            KeyState::PendingImport
                .import(m.clone(), strict)
                .map(|s| s.kind()),
            Ok(KeyStateKind::Enabled)
        );
        assert_eq!(
            KeyState::Disabled(m.clone())
                .import(m.clone(), strict)
                .map(|s| s.kind()),
            Err(Refusal::InvalidState(
                KeyStateKind::Disabled,
                Operation::ImportKeyMaterial
            ))
        );
        assert_eq!(
            KeyState::Disabled(m.clone())
                .import(m.clone(), ImportPolicy::default())
                .map(|s| s.kind()),
            Ok(KeyStateKind::Disabled)
        );
        assert!(
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(1),
                material: None
            }
            .import(m, ImportPolicy::default())
            .is_err()
        );
    }

    #[test]
    fn time_erases_expired_material_and_purges_after_the_window() {
        let t = Timestamp::from_secs(1_000);
        let expiring = material(Expiry::At(t));
        assert_eq!(
            KeyState::Enabled(expiring.clone()).age(Timestamp::from_secs(999)),
            Aged::Unchanged
        );
        assert_eq!(
            KeyState::Enabled(expiring.clone()).age(t),
            Aged::Changed(KeyState::PendingImport)
        );
        assert_eq!(
            KeyState::Disabled(expiring.clone()).age(t),
            Aged::Changed(KeyState::PendingImport)
        );
        let pending = KeyState::PendingDeletion {
            deletion_date: Timestamp::from_secs(2_000),
            material: Some(expiring),
        };
        assert_eq!(
            pending.age(t),
            Aged::Changed(KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(2_000),
                material: None
            })
        );
        assert_eq!(pending.age(Timestamp::from_secs(2_000)), Aged::Purged);
        assert_eq!(
            KeyState::Enabled(material(Expiry::Never)).age(Timestamp::from_millis(u64::MAX)),
            Aged::Unchanged
        );
    }
}
