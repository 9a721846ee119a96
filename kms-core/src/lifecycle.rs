//! The key lifecycle: one state machine, with materials living only in the states where a
//! key may hold them. Every operation goes through a transition here; nothing else inspects
//! states. A key's materials ([`Materials`]: previous, current, pending rotation) move with
//! it from state to state.
//!
//! ```text
//!                       import (the first material, or the missing one back)
//!  PendingImport(materials?) ──────────────────────────────▶ Enabled(materials) ◀─ enable ─┐
//!        ▲   ▲                                                │     │ disable             │
//!        │   └─ a non-pending material deleted or expired ◀───┤     ▼                     │
//!        │      (from Enabled or Disabled)                    │  Disabled(materials) ─────┘
//!        │                                                    │
//!        │               without leaving Enabled (or Disabled, for the first two):
//!        │               import NEW → pending rotation (symmetric keys; one at a time)
//!        │               delete the pending material
//!        │               rotate (Enabled only): pending or fresh → current, current →
//!        │                 previous; on demand, or automatically by aging
//!        │ cancel (a material missing)
//!  PendingDeletion{materials?} ◀── schedule deletion (from any state but itself)
//!        │ cancel (all present) ──▶ Disabled            window passes ──▶ purged
//! ```
//! Enabled and Disabled hold only complete sets (every material but the pending one
//! present): every transition that changes the set builds its state with
//! [`KeyState::holding`], which turns an incomplete set into PendingImport.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Operation;
use crate::key::MaterialClaim;
use crate::key_materials::{Entry, Materials, Rotation, SetRefusal};
use crate::seal::MaterialId;
use crate::secret::SecretBytes;
use crate::spec::{Expiry, Origin};
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

/// Key material arriving in a key (an import, a seed, a generation), and when it stops being
/// usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Material {
    pub(crate) secret: SecretBytes,
    pub(crate) expiry: Expiry,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyState {
    Enabled(Materials),
    Disabled(Materials),
    /// `None`: the key never had material.
    PendingImport(Option<Materials>),
    PendingDeletion {
        deletion_date: Timestamp,
        materials: Option<Materials>,
    },
}

/// Which states accept an import of key material. PendingImport always does (that is what it
/// is for); Enabled and Disabled accept only a re-import of material the key had, or new
/// material for a rotation, and a dialect may refuse them (Tencent refuses Disabled keys).
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

/// Whether imported material may be deleted from a key pending deletion: AWS deletes it
/// (the key stays PendingDeletion); Huawei deletes material of Enabled and Disabled keys only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaterialDeletionPolicy {
    pub while_pending_deletion: bool,
}

impl Default for MaterialDeletionPolicy {
    fn default() -> Self {
        MaterialDeletionPolicy {
            while_pending_deletion: true,
        }
    }
}

/// Whether enabling an Enabled key (or disabling a Disabled one) is a change that changes
/// nothing, as AWS and Tencent take it, or a refusal in the key's state, as Huawei answers
/// ("only a disabled CMK can be enabled").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TogglePolicy {
    #[default]
    AcceptRepeat,
    RefuseRepeat,
}

/// Why a transition was refused; the key turns it into a [`crate::KmsError`] with its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    InvalidState(KeyStateKind, Operation),
    Disabled,
    /// NEW material into a key that has some and cannot take more, or material it already
    /// has claimed as new.
    MaterialAlreadySet,
    /// EXISTING material claimed for a key that never had any.
    NoMaterialYet,
    /// The material (or the id the caller named) is not one the key had.
    MaterialMismatch,
    /// The named material is not one of the key's.
    UnknownMaterial,
    /// A rotation of imported material with no material pending rotation to become current.
    NoPendingMaterial,
    /// NEW material (`new`) into a key that already has a material (`pending`) pending
    /// rotation: one at a time.
    AnotherPending {
        new: MaterialId,
        pending: MaterialId,
    },
}

/// What an import brings, as the key knows it.
#[derive(Clone, Debug)]
pub(crate) struct Arrival {
    pub(crate) id: MaterialId,
    pub(crate) material: Material,
    pub(crate) origin: Origin,
    pub(crate) description: Option<String>,
    pub(crate) now: Timestamp,
    /// Symmetric keys take new material for a rotation; asymmetric and HMAC keys never
    /// change their material after the first import.
    pub(crate) may_rotate: bool,
}

impl Arrival {
    /// The material as an entry of the key's set, dated at its arrival.
    fn into_entry(self) -> Entry {
        let mut entry = Entry::new(
            self.id,
            self.material.secret,
            self.material.expiry,
            self.origin,
            self.now,
        );
        entry.description = self.description;
        entry
    }
}

/// What the passing of time did to a state.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Aged {
    Unchanged,
    /// Boxed: a state with its materials is large, and most agings change nothing.
    Changed(Box<KeyState>),
    /// The deletion window has passed: the key no longer exists.
    Purged,
}

impl KeyState {
    /// A state holding `materials`: Enabled or Disabled as `disabled` says when the set is
    /// complete, PendingImport otherwise.
    pub(crate) fn holding(materials: Materials, disabled: bool) -> KeyState {
        match (materials.is_complete(), disabled) {
            (false, _) => KeyState::PendingImport(Some(materials)),
            (true, false) => KeyState::Enabled(materials),
            (true, true) => KeyState::Disabled(materials),
        }
    }

    /// The first material of a key: generated, seeded or imported.
    pub(crate) fn first(entry: Entry, disabled: bool) -> KeyState {
        KeyState::holding(Materials::first(entry), disabled)
    }

    pub(crate) fn kind(&self) -> KeyStateKind {
        match self {
            KeyState::Enabled(_) => KeyStateKind::Enabled,
            KeyState::Disabled(_) => KeyStateKind::Disabled,
            KeyState::PendingImport(_) => KeyStateKind::PendingImport,
            KeyState::PendingDeletion { .. } => KeyStateKind::PendingDeletion,
        }
    }

    /// Every material the key knows (held or waiting to be imported again).
    pub(crate) fn materials(&self) -> Option<&Materials> {
        match self {
            KeyState::Enabled(m) | KeyState::Disabled(m) => Some(m),
            KeyState::PendingImport(m) | KeyState::PendingDeletion { materials: m, .. } => {
                m.as_ref()
            }
        }
    }

    /// The current material, if it is held now.
    pub(crate) fn current_material(&self) -> Option<&Entry> {
        self.materials()
            .map(|m| &m.current)
            .filter(|e| e.secret.is_some())
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

    /// The same kind of state with another set (Enabled or Disabled become PendingImport
    /// when the set is incomplete).
    fn with_materials(&self, materials: Materials) -> KeyState {
        match self {
            KeyState::Enabled(_) => KeyState::holding(materials, false),
            KeyState::Disabled(_) => KeyState::holding(materials, true),
            // Back from PendingImport when nothing is missing any more.
            KeyState::PendingImport(_) => KeyState::holding(materials, false),
            KeyState::PendingDeletion { deletion_date, .. } => KeyState::PendingDeletion {
                deletion_date: *deletion_date,
                materials: Some(materials),
            },
        }
    }

    pub(crate) fn enable(&self, policy: TogglePolicy) -> Result<KeyState, Refusal> {
        match (self, policy) {
            (KeyState::Disabled(m), _) | (KeyState::Enabled(m), TogglePolicy::AcceptRepeat) => {
                Ok(KeyState::Enabled(m.clone()))
            }
            (KeyState::Enabled(_), TogglePolicy::RefuseRepeat)
            | (KeyState::PendingImport(_) | KeyState::PendingDeletion { .. }, _) => {
                Err(self.refuse(Operation::Enable))
            }
        }
    }

    pub(crate) fn disable(&self, policy: TogglePolicy) -> Result<KeyState, Refusal> {
        match (self, policy) {
            (KeyState::Enabled(m), _) | (KeyState::Disabled(m), TogglePolicy::AcceptRepeat) => {
                Ok(KeyState::Disabled(m.clone()))
            }
            (KeyState::Disabled(_), TogglePolicy::RefuseRepeat)
            | (KeyState::PendingImport(_) | KeyState::PendingDeletion { .. }, _) => {
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
                materials: self.materials().cloned(),
            }),
        }
    }

    /// A cancelled deletion never re-enables a key: it comes back Disabled, or PendingImport
    /// when a material is missing.
    pub(crate) fn cancel_deletion(&self) -> Result<KeyState, Refusal> {
        match self {
            KeyState::PendingDeletion {
                materials: Some(m), ..
            } => Ok(KeyState::holding(m.clone(), true)),
            KeyState::PendingDeletion {
                materials: None, ..
            } => Ok(KeyState::PendingImport(None)),
            _ => Err(self.refuse(Operation::CancelDeletion)),
        }
    }

    /// Descriptions, tags, aliases and the rotation schedule may change in every state but
    /// PendingDeletion.
    pub(crate) fn permits_attribute_change(&self) -> Result<(), Refusal> {
        match self {
            KeyState::PendingImport(_) | KeyState::Enabled(_) | KeyState::Disabled(_) => Ok(()),
            KeyState::PendingDeletion { .. } => Err(self.refuse(Operation::ChangeAttributes)),
        }
    }

    pub(crate) fn permits_import_parameters(&self) -> Result<(), Refusal> {
        match self {
            KeyState::PendingImport(_) | KeyState::Enabled(_) | KeyState::Disabled(_) => Ok(()),
            KeyState::PendingDeletion { .. } => Err(self.refuse(Operation::GetParametersForImport)),
        }
    }

    /// What can be checked before the material is unwrapped: the state under `policy`, then
    /// the caller's claim against the materials the key knows.
    pub(crate) fn permits_import(
        &self,
        policy: ImportPolicy,
        claim: MaterialClaim,
        may_rotate: bool,
    ) -> Result<(), Refusal> {
        let allowed = match self {
            KeyState::PendingImport(_) => true,
            KeyState::Enabled(_) => policy.reimport_into_enabled,
            KeyState::Disabled(_) => policy.reimport_into_disabled,
            KeyState::PendingDeletion { .. } => false,
        };
        if !allowed {
            return Err(self.refuse(Operation::ImportKeyMaterial));
        }
        match (claim, self.materials()) {
            (MaterialClaim::Existing(_), None) => Err(Refusal::NoMaterialYet),
            (MaterialClaim::Existing(Some(named)), Some(m)) if m.find(&named).is_none() => {
                Err(Refusal::MaterialMismatch)
            }
            (MaterialClaim::New, Some(_)) if !may_rotate => Err(Refusal::MaterialAlreadySet),
            // A key waiting for a missing material takes that material back first.
            (MaterialClaim::New, Some(_)) if matches!(self, KeyState::PendingImport(_)) => {
                Err(self.refuse(Operation::ImportKeyMaterial))
            }
            // One material pending rotation at a time: refused by `import`, once the new
            // material's id is known, since the refusal names both.
            _ => Ok(()),
        }
    }

    /// The first material makes a key Enabled; material the key had comes back (with this
    /// import's expiry), which ends PendingImport once nothing else is missing; NEW material
    /// waits pending rotation. Disabled keys stay Disabled.
    pub(crate) fn import(
        &self,
        arrival: Arrival,
        policy: ImportPolicy,
        claim: MaterialClaim,
    ) -> Result<KeyState, Refusal> {
        self.permits_import(policy, claim, arrival.may_rotate)?;
        let Some(materials) = self.materials() else {
            return Ok(KeyState::first(
                arrival.into_entry(),
                matches!(self, KeyState::Disabled(_)),
            ));
        };
        let known = materials.find(&arrival.id).is_some();
        let next = match claim {
            MaterialClaim::New if known => return Err(Refusal::MaterialAlreadySet),
            MaterialClaim::New if let Some(pending) = &materials.pending => {
                return Err(Refusal::AnotherPending {
                    new: arrival.id,
                    pending: pending.id,
                });
            }
            MaterialClaim::New => {
                let entry = arrival.into_entry();
                materials
                    .add_pending(entry)
                    .map_err(|_| self.refuse(Operation::ImportKeyMaterial))?
            }
            MaterialClaim::Existing(Some(named)) if !named.matches(&arrival.id) => {
                return Err(Refusal::MaterialMismatch);
            }
            MaterialClaim::Existing(_) | MaterialClaim::Unspecified => materials
                .restore(
                    &arrival.id,
                    arrival.material.secret,
                    arrival.material.expiry,
                    arrival.description,
                )
                .map_err(|_| Refusal::MaterialMismatch)?,
        };
        Ok(self.with_materials(next))
    }

    /// Erases the material `named` names (the current one when `None`). A pending material
    /// just goes; any other leaves the key PendingImport (or PendingDeletion) until it is
    /// imported again.
    /// A key pending deletion gives its material up only if `policy` lets it.
    pub(crate) fn delete_material(
        &self,
        named: Option<&MaterialId>,
        policy: MaterialDeletionPolicy,
    ) -> Result<KeyState, Refusal> {
        if matches!(self, KeyState::PendingDeletion { .. }) && !policy.while_pending_deletion {
            return Err(self.refuse(Operation::DeleteImportedKeyMaterial));
        }
        let Some(materials) = self.materials() else {
            return Err(self.refuse(Operation::DeleteImportedKeyMaterial));
        };
        match materials.erase(named) {
            Ok(next) => Ok(self.with_materials(next)),
            Err(SetRefusal::Unknown) => Err(Refusal::UnknownMaterial),
            // Erasing what is already gone changes nothing while deletion is pending.
            Err(SetRefusal::AlreadyGone) if matches!(self, KeyState::PendingDeletion { .. }) => {
                Ok(self.clone())
            }
            Err(_) => Err(self.refuse(Operation::DeleteImportedKeyMaterial)),
        }
    }

    /// The pending material (or `fresh`, for generated keys) becomes current. Only an
    /// Enabled key rotates.
    pub(crate) fn rotate(
        &self,
        fresh: Option<Entry>,
        rotation: Rotation,
    ) -> Result<KeyState, Refusal> {
        match self {
            KeyState::Enabled(m) => m
                .rotate(fresh, rotation)
                .map(|next| self.with_materials(next))
                .map_err(|_| Refusal::NoPendingMaterial),
            // As for any use of a disabled key's material.
            KeyState::Disabled(_) => Err(Refusal::Disabled),
            _ => Err(self.refuse(Operation::ChangeAttributes)),
        }
    }

    pub(crate) fn usable_materials(&self) -> Result<&Materials, Refusal> {
        self.usable_materials_for(Operation::Cryptography)
    }

    /// [`KeyState::usable_materials`], refused in the name of `operation` (Sign, GenerateMac,
    /// GetPublicKey…).
    pub(crate) fn usable_materials_for(&self, operation: Operation) -> Result<&Materials, Refusal> {
        match self {
            KeyState::Enabled(m) => Ok(m),
            KeyState::Disabled(_) => Err(Refusal::Disabled),
            KeyState::PendingImport(_) | KeyState::PendingDeletion { .. } => {
                Err(self.refuse(operation))
            }
        }
    }

    /// Applies what time does on its own: expired material is erased (the key goes to
    /// PendingImport unless only a pending material expired, or stays PendingDeletion) and
    /// a passed deletion date purges the key.
    pub(crate) fn age(&self, now: Timestamp) -> Aged {
        if let KeyState::PendingDeletion { deletion_date, .. } = self
            && *deletion_date <= now
        {
            return Aged::Purged;
        }
        match self.materials().and_then(|m| m.expire(now)) {
            Some(next) => Aged::Changed(Box::new(self.with_materials(next))),
            None => Aged::Unchanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_materials::RotationType;

    fn mid(b: u8) -> MaterialId {
        MaterialId::from_bytes([b; 32])
    }

    fn entry(b: u8, expiry: Expiry) -> Entry {
        Entry::new(
            mid(b),
            SecretBytes::from(vec![b; 32]),
            expiry,
            Origin::External,
            Timestamp::from_secs(1),
        )
    }

    fn materials(expiry: Expiry) -> Materials {
        Materials::first(entry(7, expiry))
    }

    fn arrival(b: u8, may_rotate: bool) -> Arrival {
        Arrival {
            id: mid(b),
            material: Material {
                secret: SecretBytes::from(vec![b; 32]),
                expiry: Expiry::Never,
            },
            origin: Origin::External,
            description: None,
            now: Timestamp::from_secs(2),
            may_rotate,
        }
    }

    fn all_states() -> Vec<KeyState> {
        let m = materials(Expiry::Never);
        let gone = m.erase(None).unwrap_or_else(|_| m.clone());
        vec![
            KeyState::Enabled(m.clone()),
            KeyState::Disabled(m.clone()),
            KeyState::PendingImport(None),
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(100),
                materials: Some(m),
            },
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(100),
                materials: Some(gone),
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
        let accept = TogglePolicy::AcceptRepeat;
        for (state, (enable, disable)) in all_states().iter().zip(expected) {
            assert_eq!(kinds(state.enable(accept)), enable, "enable from {state:?}");
            assert_eq!(
                kinds(state.disable(accept)),
                disable,
                "disable from {state:?}"
            );
        }
        // Refusing repeats changes only the two repeats.
        let refuse = TogglePolicy::RefuseRepeat;
        let states = all_states();
        let (enabled, disabled) = (&states[0], &states[1]);
        assert_eq!(
            kinds(enabled.enable(refuse)),
            Err(Refusal::InvalidState(Enabled, Operation::Enable))
        );
        assert_eq!(kinds(enabled.disable(refuse)), Ok(Disabled));
        assert_eq!(kinds(disabled.enable(refuse)), Ok(Enabled));
        assert_eq!(
            kinds(disabled.disable(refuse)),
            Err(Refusal::InvalidState(Disabled, Operation::Disable))
        );

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
            .map(|s| kinds(s.delete_material(None, MaterialDeletionPolicy::default())))
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
        // A policy keeping the material of keys pending deletion refuses only those.
        let keep = MaterialDeletionPolicy {
            while_pending_deletion: false,
        };
        let kept: Vec<_> = all_states()
            .iter()
            .map(|s| kinds(s.delete_material(None, keep)))
            .collect();
        let refused = Err(Refusal::InvalidState(
            PendingDeletion,
            Operation::DeleteImportedKeyMaterial,
        ));
        assert_eq!(kept[..3], delete[..3]);
        assert_eq!(kept[3..], [refused, refused]);

        let use_: Vec<_> = all_states()
            .iter()
            .map(|s| s.usable_materials().map(|_| ()))
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
        let s = KeyState::Enabled(materials(Expiry::Never));
        let pending = s
            .schedule_deletion(Timestamp::from_secs(5), DeletionPolicy::default())
            .unwrap_or(KeyState::PendingImport(None));
        assert_eq!(pending.kind(), KeyStateKind::PendingDeletion);
        assert!(pending.current_material().is_some());
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
            KeyState::Enabled(materials(Expiry::Never)).schedule_deletion(at, only_disabled),
            Err(Refusal::InvalidState(
                KeyStateKind::Enabled,
                Operation::ScheduleDeletion
            ))
        );
        for s in [
            KeyState::Disabled(materials(Expiry::Never)),
            KeyState::PendingImport(None),
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
        let strict = ImportPolicy {
            reimport_into_enabled: true,
            reimport_into_disabled: false,
        };
        let any = MaterialClaim::Unspecified;
        assert_eq!(
            KeyState::PendingImport(None)
                .import(arrival(7, true), strict, any)
                .map(|s| s.kind()),
            Ok(KeyStateKind::Enabled)
        );
        let disabled = KeyState::Disabled(materials(Expiry::Never));
        assert_eq!(
            disabled
                .import(arrival(7, true), strict, any)
                .map(|s| s.kind()),
            Err(Refusal::InvalidState(
                KeyStateKind::Disabled,
                Operation::ImportKeyMaterial
            ))
        );
        assert_eq!(
            disabled
                .import(arrival(7, true), ImportPolicy::default(), any)
                .map(|s| s.kind()),
            Ok(KeyStateKind::Disabled)
        );
        assert!(
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(1),
                materials: None
            }
            .import(arrival(7, true), ImportPolicy::default(), any)
            .is_err()
        );
    }

    /// NEW material: pending rotation, one at a time, symmetric keys only; other material
    /// without the NEW claim is a mismatch.
    #[test]
    fn new_material_waits_pending_rotation() {
        let policy = ImportPolicy::default();
        let enabled = KeyState::Enabled(materials(Expiry::Never));
        assert_eq!(
            enabled.import(arrival(8, true), policy, MaterialClaim::Unspecified),
            Err(Refusal::MaterialMismatch)
        );
        assert_eq!(
            enabled.import(arrival(8, false), policy, MaterialClaim::New),
            Err(Refusal::MaterialAlreadySet)
        );
        assert_eq!(
            enabled.import(arrival(7, true), policy, MaterialClaim::New),
            Err(Refusal::MaterialAlreadySet)
        );
        let pending = enabled
            .import(arrival(8, true), policy, MaterialClaim::New)
            .unwrap_or_else(|_| enabled.clone());
        assert_eq!(pending.kind(), KeyStateKind::Enabled);
        assert_eq!(
            pending.import(arrival(9, true), policy, MaterialClaim::New),
            Err(Refusal::AnotherPending {
                new: mid(9),
                pending: mid(8)
            })
        );
        // Known before the material is unwrapped: nothing refuses it yet.
        assert_eq!(
            pending.permits_import(policy, MaterialClaim::New, true),
            Ok(())
        );
        let rotation = Rotation {
            at: Timestamp::from_secs(3),
            kind: RotationType::OnDemand,
        };
        assert_eq!(
            enabled.rotate(None, rotation),
            Err(Refusal::NoPendingMaterial)
        );
        let rotated = pending
            .rotate(None, rotation)
            .unwrap_or_else(|_| enabled.clone());
        assert_eq!(rotated.current_material().map(|e| e.id), Some(mid(8)));
        // Deleting the previous material makes the key wait for it; deleting a pending one
        // does not.
        assert_eq!(
            pending
                .delete_material(Some(&mid(8)), MaterialDeletionPolicy::default())
                .map(|s| s.kind()),
            Ok(KeyStateKind::Enabled)
        );
        let waiting = rotated
            .delete_material(Some(&mid(7)), MaterialDeletionPolicy::default())
            .unwrap_or_else(|_| rotated.clone());
        assert_eq!(waiting.kind(), KeyStateKind::PendingImport);
        assert_eq!(
            waiting.delete_material(Some(&mid(6)), MaterialDeletionPolicy::default()),
            Err(Refusal::UnknownMaterial)
        );
        let back = waiting.import(
            arrival(7, true),
            policy,
            MaterialClaim::Existing(Some(mid(7))),
        );
        assert_eq!(back.map(|s| s.kind()), Ok(KeyStateKind::Enabled));
        assert_eq!(
            waiting.import(
                arrival(7, true),
                policy,
                MaterialClaim::Existing(Some(mid(8)))
            ),
            Err(Refusal::MaterialMismatch)
        );
    }

    #[test]
    fn time_erases_expired_material_and_purges_after_the_window() {
        let t = Timestamp::from_secs(1_000);
        let expiring = materials(Expiry::At(t));
        let gone = expiring.expire(t).unwrap_or_else(|| expiring.clone());
        assert_eq!(
            KeyState::Enabled(expiring.clone()).age(Timestamp::from_secs(999)),
            Aged::Unchanged
        );
        assert_eq!(
            KeyState::Enabled(expiring.clone()).age(t),
            Aged::Changed(Box::new(KeyState::PendingImport(Some(gone.clone()))))
        );
        assert_eq!(
            KeyState::Disabled(expiring.clone()).age(t),
            Aged::Changed(Box::new(KeyState::PendingImport(Some(gone.clone()))))
        );
        let pending = KeyState::PendingDeletion {
            deletion_date: Timestamp::from_secs(2_000),
            materials: Some(expiring),
        };
        assert_eq!(
            pending.age(t),
            Aged::Changed(Box::new(KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(2_000),
                materials: Some(gone)
            }))
        );
        assert_eq!(pending.age(Timestamp::from_secs(2_000)), Aged::Purged);
        assert_eq!(
            KeyState::Enabled(materials(Expiry::Never)).age(Timestamp::from_millis(u64::MAX)),
            Aged::Unchanged
        );
    }
}
