//! A key: its fixed attributes plus its lifecycle state. Every change to a key is one of the
//! methods here, each delegating the state question to [`KeyState`].

use crate::algorithm::{Algorithm, EncryptionAlgorithm, KeyUsage, MacAlgorithm, SigningAlgorithm};
use crate::engine::NewMaterialOptions;
use crate::error::{KmsError, MaterialProblem, Operation};
use crate::ids::{KeyId, TenantId};
use crate::key_materials::{Entry, KeyMaterialInfo, Rotation, RotationType};
use crate::lifecycle::{
    Aged, Arrival, DeletionPolicy, ImportPolicy, KeyState, KeyStateKind, Material,
    MaterialDeletionPolicy, Refusal, TogglePolicy,
};
use crate::material::Accepted;
use crate::rotation::{OnDemandRules, RotationPeriod, RotationStatus, Schedule};
use crate::seal::MaterialId;
use crate::secret::SecretBytes;
use crate::spec::{Expiry, KeyFamily, KeySpec, Origin};
use crate::tags::Tags;
use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) id: KeyId,
    pub(crate) tenant: TenantId,
    pub(crate) spec: KeySpec,
    /// Fixed at creation; always one the spec allows.
    pub(crate) usage: KeyUsage,
    pub(crate) origin: Origin,
    pub(crate) description: String,
    pub(crate) created_at: Timestamp,
    pub(crate) tags: Tags,
    /// The materials live in the state (see [`KeyState::materials`]).
    pub(crate) state: KeyState,
    /// Automatic rotation, while enabled (generated symmetric keys only).
    pub(crate) rotation: Option<Schedule>,
}

/// What time did to a key (its state's aging, then its rotation schedule).
#[derive(Debug)]
pub(crate) enum AgedKey {
    Unchanged,
    /// Boxed: a key is large, and most agings change nothing.
    Changed(Box<Key>),
    Purged,
}

/// At most this many automatic rotations are caught up in one aging (a clock moved by years
/// over a short period); the schedule then restarts from now.
const MAX_CATCH_UP: usize = 64;

/// The most materials a key holds. Every write of a key re-seals all of them and every
/// ciphertext naming none may try each, so an unbounded number (a client rotating one key
/// in a loop, where the cloud sets no bound) would make each use slower and the record
/// larger without end. At the bound, a rotation on demand is refused as `RotationLimit`
/// and automatic rotation stops.
pub const MAX_MATERIALS: usize = 1000;

/// What a key looks like from outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDescription {
    pub key_id: KeyId,
    pub tenant: TenantId,
    pub spec: KeySpec,
    pub usage: KeyUsage,
    pub origin: Origin,
    pub description: String,
    pub created_at: Timestamp,
    pub state: KeyStateKind,
    /// When a key pending deletion will be purged.
    pub deletion_date: Option<Timestamp>,
    /// The expiry of the material the key holds now; `None` when it holds none.
    pub material_expiry: Option<Expiry>,
    /// The key's current material (see [`MaterialId`]), also while it is deleted or expired;
    /// `None` until the first import. A material pending rotation is not current.
    pub material_id: Option<MaterialId>,
    pub tags: Tags,
}

impl KeyDescription {
    /// The current material's id (what DescribeKey-like answers call the current key
    /// material); the same as `material_id`.
    pub fn current_material_id(&self) -> Option<MaterialId> {
        self.material_id
    }

    /// Whether the key holds its current material right now.
    pub fn has_material(&self) -> bool {
        self.material_expiry.is_some()
    }

    /// What the key signs with: empty unless its usage is SIGN_VERIFY.
    pub fn signing_algorithms(&self) -> &'static [SigningAlgorithm] {
        match self.usage {
            KeyUsage::SignVerify => self.spec.signing_algorithms(),
            KeyUsage::EncryptDecrypt | KeyUsage::GenerateVerifyMac => &[],
        }
    }

    /// What the key encrypts with: empty unless its usage is ENCRYPT_DECRYPT.
    pub fn encryption_algorithms(&self) -> &'static [EncryptionAlgorithm] {
        match self.usage {
            KeyUsage::EncryptDecrypt => self.spec.encryption_algorithms(),
            KeyUsage::SignVerify | KeyUsage::GenerateVerifyMac => &[],
        }
    }

    /// What the key makes MACs with: empty unless its usage is GENERATE_VERIFY_MAC.
    pub fn mac_algorithms(&self) -> &'static [MacAlgorithm] {
        match self.usage {
            KeyUsage::GenerateVerifyMac => self.spec.mac_algorithms(),
            KeyUsage::EncryptDecrypt | KeyUsage::SignVerify => &[],
        }
    }
}

/// One use of a key's material, with the algorithm it is used with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// SYMMETRIC_DEFAULT (the blob) or a public-key algorithm.
    Encryption(EncryptionAlgorithm),
    /// A public-key algorithm only: SYMMETRIC_DEFAULT is not one.
    PublicKeyEncryption(EncryptionAlgorithm),
    Signing(SigningAlgorithm, Operation),
    Mac(MacAlgorithm, Operation),
    PublicKey,
}

/// What the caller says about the material it imports. Checked with the key's origin and
/// state, before any unwrapping, and again inside the atomic import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MaterialClaim {
    /// No claim: the first material, or a material the key had, again.
    #[default]
    Unspecified,
    /// New material: the first of a key, or (symmetric keys that have material) one that
    /// waits pending rotation. Asymmetric and HMAC keys refuse it once they have material
    /// (`MaterialAlreadySet`), as does every key for material it already has.
    New,
    /// A material the key had; when an id is given, the material with that id.
    Existing(Option<MaterialId>),
}

impl Key {
    fn refused(&self, refusal: Refusal) -> KmsError {
        match refusal {
            Refusal::InvalidState(state, operation) => KmsError::InvalidState {
                key_id: self.id,
                state,
                operation,
            },
            Refusal::Disabled => KmsError::Disabled { key_id: self.id },
            Refusal::MaterialAlreadySet => KmsError::MaterialAlreadySet { key_id: self.id },
            Refusal::NoMaterialYet => KmsError::NoMaterialYet { key_id: self.id },
            Refusal::MaterialMismatch => KmsError::MaterialMismatch { key_id: self.id },
            Refusal::UnknownMaterial => KmsError::UnknownMaterial { key_id: self.id },
            Refusal::NoPendingMaterial => KmsError::NoPendingMaterial { key_id: self.id },
            Refusal::AnotherPending { new, pending } => KmsError::AnotherMaterialPending {
                key_id: self.id,
                new,
                pending,
            },
        }
    }

    fn with_state(&self, state: Result<KeyState, Refusal>) -> Result<Key, KmsError> {
        let state = state.map_err(|r| self.refused(r))?;
        Ok(Key {
            state,
            ..self.clone()
        })
    }

    pub(crate) fn describe(&self) -> KeyDescription {
        KeyDescription {
            key_id: self.id,
            tenant: self.tenant.clone(),
            spec: self.spec,
            usage: self.usage,
            origin: self.origin,
            description: self.description.clone(),
            created_at: self.created_at,
            state: self.state.kind(),
            deletion_date: self.state.deletion_date(),
            material_expiry: self.state.current_material().map(|e| e.expiry),
            material_id: self.material_id(),
            tags: self.tags.clone(),
        }
    }

    pub(crate) fn require_external(&self) -> Result<(), KmsError> {
        match self.origin {
            Origin::External => Ok(()),
            Origin::Generated => Err(KmsError::NotExternal { key_id: self.id }),
        }
    }

    /// A key does not rotate while it cannot be used; enabled again after a missed rotation
    /// date it rotates once, at `now` (its next access), and every period from then, not
    /// once for every date it missed.
    pub(crate) fn enable(&self, now: Timestamp, policy: TogglePolicy) -> Result<Key, KmsError> {
        let next = self.with_state(self.state.enable(policy))?;
        let rotation = match self.rotation {
            Some(s) if s.next < now => Some(Schedule { next: now, ..s }),
            schedule => schedule,
        };
        Ok(Key { rotation, ..next })
    }

    pub(crate) fn disable(&self, policy: TogglePolicy) -> Result<Key, KmsError> {
        self.with_state(self.state.disable(policy))
    }

    pub(crate) fn schedule_deletion(
        &self,
        date: Timestamp,
        policy: DeletionPolicy,
    ) -> Result<Key, KmsError> {
        self.with_state(self.state.schedule_deletion(date, policy))
    }

    pub(crate) fn cancel_deletion(&self) -> Result<Key, KmsError> {
        self.with_state(self.state.cancel_deletion())
    }

    pub(crate) fn with_description(&self, description: String) -> Result<Key, KmsError> {
        self.permit_attribute_change()?;
        Ok(Key {
            description,
            ..self.clone()
        })
    }

    pub(crate) fn with_tags(
        &self,
        change: impl FnOnce(&mut Tags) -> Result<(), KmsError>,
    ) -> Result<Key, KmsError> {
        self.permit_attribute_change()?;
        let mut tags = self.tags.clone();
        change(&mut tags)?;
        Ok(Key {
            tags,
            ..self.clone()
        })
    }

    /// Whether an alias may be pointed at this key now.
    pub(crate) fn permit_attribute_change(&self) -> Result<(), KmsError> {
        self.state
            .permits_attribute_change()
            .map_err(|r| self.refused(r))
    }

    pub(crate) fn check_import_parameters(&self) -> Result<(), KmsError> {
        self.require_external()?;
        self.state
            .permits_import_parameters()
            .map_err(|r| self.refused(r))
    }

    /// The current material's id, kept while it is deleted or expired.
    pub(crate) fn material_id(&self) -> Option<MaterialId> {
        self.state.materials().map(|m| m.current.id)
    }

    /// Whether the key knows this material (any role, held or not).
    pub(crate) fn knows_material(&self, id: &MaterialId) -> bool {
        self.state.materials().is_some_and(|m| m.find(id).is_some())
    }

    /// Symmetric encryption keys take new material and rotate; asymmetric and HMAC keys
    /// keep their first material for good.
    fn rotates(&self) -> bool {
        self.spec.family() == KeyFamily::Symmetric
    }

    /// The checks an import can make before the material is unwrapped: origin, state, then
    /// what the caller claims about the material.
    pub(crate) fn check_import(
        &self,
        policy: ImportPolicy,
        claim: MaterialClaim,
        offers_rotation: bool,
    ) -> Result<(), KmsError> {
        self.require_external()?;
        self.state
            .permits_import(policy, claim, offers_rotation && self.rotates())
            .map_err(|r| self.refused(r))
    }

    // The import's parts as the engine has them after unwrapping (seeding passes the same);
    // a struct for them would be built only to be taken apart here.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn import(
        &self,
        material: Accepted,
        material_id: MaterialId,
        expiry: Expiry,
        policy: ImportPolicy,
        claim: MaterialClaim,
        options: NewMaterialOptions,
        now: Timestamp,
    ) -> Result<Key, KmsError> {
        self.check_import(policy, claim, options.rotation)?;
        // A material already pending is the refusal to name first (the state's, below).
        let pending = self.state.materials().is_some_and(|m| m.pending.is_some());
        if matches!(claim, MaterialClaim::New) && self.materials_full() && !pending {
            return Err(KmsError::RotationLimit {
                key_id: self.id,
                done: self.on_demand_rotations().len(),
            });
        }
        // Accepted for another spec: only a declared (seeded) id reused for another key.
        if material.spec() != self.spec {
            return Err(KmsError::MaterialNotForSpec {
                spec: self.spec,
                problem: MaterialProblem::WrongAlgorithm,
            });
        }
        let arrival = Arrival {
            id: material_id,
            material: Material {
                secret: material.into_secret(),
                expiry,
            },
            origin: self.origin,
            description: options.description,
            now,
            may_rotate: options.rotation && self.rotates(),
        };
        // Whether the material is one the key may take is decided before its expiry is.
        let next = self.with_state(self.state.import(arrival, policy, claim))?;
        if let Expiry::At(at) = expiry
            && at <= now
        {
            return Err(KmsError::InvalidExpiry { expiry: at, now });
        }
        Ok(next)
    }

    /// Erases the current material, or the one `named` names.
    pub(crate) fn delete_material(
        &self,
        named: Option<&MaterialId>,
        policy: MaterialDeletionPolicy,
    ) -> Result<Key, KmsError> {
        self.require_external()?;
        self.with_state(self.state.delete_material(named, policy))
    }

    /// Rotation is for symmetric encryption keys; generated ones get new material from
    /// `fresh`, imported ones make their pending material current. `rules` (a bound, a
    /// schedule required) are checked before anything else about the key's state.
    pub(crate) fn rotate_on_demand(
        &self,
        now: Timestamp,
        rules: OnDemandRules,
        fresh: &mut dyn FnMut(Timestamp) -> Result<Entry, KmsError>,
    ) -> Result<Key, KmsError> {
        self.require_rotatable()?;
        let on_demand = self.on_demand_rotations();
        let done = on_demand.len();
        // A pending material only moves up: the rotation adds nothing then.
        let adds = self.state.materials().is_none_or(|m| m.pending.is_none());
        if !rules.allows(done) || (adds && self.materials_full()) {
            return Err(KmsError::RotationLimit {
                key_id: self.id,
                done,
            });
        }
        if rules.needs_schedule && !self.rotation_status()?.enabled {
            // A key pending deletion has its schedule suspended: its state is the reason.
            self.permit_attribute_change()?;
            return Err(KmsError::RotationNotEnabled { key_id: self.id });
        }
        let fresh = match self.origin {
            Origin::Generated if self.state.usable_materials().is_ok() => Some(fresh(now)?),
            Origin::Generated | Origin::External => None,
        };
        let rotation = Rotation {
            at: now,
            kind: RotationType::OnDemand,
        };
        let next = self.with_state(self.state.rotate(fresh, rotation))?;
        // A rotation that lies ahead of now (the clock was moved back since) holds the next
        // one back no more: the replayed timeline has not reached it.
        let last = on_demand.iter().filter(|at| **at <= now).max();
        if let (Some(gap), Some(last)) = (rules.min_interval, last) {
            let allowed_at = last.saturating_add(gap);
            if now < allowed_at {
                return Err(KmsError::RotationTooSoon {
                    key_id: self.id,
                    allowed_at,
                });
            }
        }
        Ok(next)
    }

    /// Asymmetric and HMAC keys never rotate: SYMMETRIC_DEFAULT is the algorithm rotation is
    /// for (the closest existing refusal; see the crate's error notes).
    fn require_rotatable(&self) -> Result<(), KmsError> {
        if self.rotates() {
            Ok(())
        } else {
            Err(KmsError::AlgorithmNotForKey {
                key_id: self.id,
                spec: self.spec,
                algorithm: Algorithm::Encryption(EncryptionAlgorithm::SymmetricDefault),
            })
        }
    }

    /// Automatic rotation: generated symmetric keys only (an external key's material comes
    /// only from imports, so it is refused as material that is already set), in any state
    /// that allows attribute changes.
    pub(crate) fn with_rotation(
        &self,
        period: Option<RotationPeriod>,
        now: Timestamp,
    ) -> Result<Key, KmsError> {
        self.require_rotatable()?;
        if self.origin == Origin::External {
            return Err(KmsError::MaterialAlreadySet { key_id: self.id });
        }
        self.permit_attribute_change()?;
        let rotation = match period {
            None => None,
            // The same period again keeps the date already planned.
            Some(p) if self.rotation.is_some_and(|s| s.period == p) => self.rotation,
            Some(p) => Some(Schedule::starting(p, now)),
        };
        Ok(Key {
            rotation,
            ..self.clone()
        })
    }

    pub(crate) fn rotation_status(&self) -> Result<RotationStatus, KmsError> {
        self.require_rotatable()?;
        // A key pending deletion does not rotate; its schedule returns if the deletion is
        // cancelled.
        let pending_deletion = self.state.kind() == KeyStateKind::PendingDeletion;
        Ok(RotationStatus {
            key_id: self.id,
            enabled: self.rotation.is_some() && !pending_deletion,
            period: self.rotation.map(|s| s.period),
            next_rotation: self.rotation.map(|s| s.next),
        })
    }

    /// When the key rotated on demand.
    fn on_demand_rotations(&self) -> Vec<Timestamp> {
        self.material_infos()
            .iter()
            .filter_map(|m| m.rotation.filter(|r| r.kind == RotationType::OnDemand))
            .map(|r| r.at)
            .collect()
    }

    /// Whether it holds [`MAX_MATERIALS`] already.
    fn materials_full(&self) -> bool {
        self.state
            .materials()
            .is_some_and(|m| m.len() >= MAX_MATERIALS)
    }

    /// Every material the key knows, in creation order (empty before the first).
    pub(crate) fn material_infos(&self) -> Vec<KeyMaterialInfo> {
        self.state
            .materials()
            .map(|m| m.infos())
            .unwrap_or_default()
    }

    /// Whether time changes this key at `now` (cheap: no material is generated).
    pub(crate) fn is_due(&self, now: Timestamp) -> bool {
        self.state.age(now) != Aged::Unchanged || self.rotation_due(now)
    }

    fn rotation_due(&self, now: Timestamp) -> bool {
        matches!(self.state, KeyState::Enabled(_)) && self.rotation.is_some_and(|s| s.next <= now)
    }

    /// What time does: the state ages (expiry, purge), then an Enabled key rotates for each
    /// scheduled date that has passed, each rotation dated at its schedule. `fresh` makes
    /// generated material (with its id).
    pub(crate) fn age(
        &self,
        now: Timestamp,
        fresh: &mut dyn FnMut(Timestamp) -> Result<Entry, KmsError>,
    ) -> Result<AgedKey, KmsError> {
        let mut key = match self.state.age(now) {
            Aged::Purged => return Ok(AgedKey::Purged),
            Aged::Changed(state) => Key {
                state: *state,
                ..self.clone()
            },
            Aged::Unchanged if !self.rotation_due(now) => return Ok(AgedKey::Unchanged),
            Aged::Unchanged => self.clone(),
        };
        let mut caught_up = 0;
        while let Some(schedule) = key.rotation.filter(|_| key.rotation_due(now)) {
            if caught_up == MAX_CATCH_UP || key.materials_full() {
                key.rotation = Some(Schedule::starting(schedule.period, now));
                break;
            }
            let rotation = Rotation {
                at: schedule.next,
                kind: RotationType::Automatic,
            };
            let state = key
                .state
                .rotate(Some(fresh(schedule.next)?), rotation)
                .map_err(|r| key.refused(r))?;
            key = Key {
                state,
                rotation: Some(schedule.after_rotation()),
                ..key
            };
            caught_up += 1;
        }
        Ok(AgedKey::Changed(Box::new(key)))
    }

    /// The material for one use of the key: its usage must fit the use and its spec offer
    /// the algorithm (static refusals first, each with its own error), then the state
    /// machine decides whether the material may be used now.
    pub(crate) fn material_for(&self, use_: Use) -> Result<&SecretBytes, KmsError> {
        let wrong_usage = |operation| KmsError::WrongKeyUsage {
            key_id: self.id,
            usage: self.usage,
            operation,
        };
        let (usage, operation, algorithm) = match use_ {
            Use::Encryption(a) | Use::PublicKeyEncryption(a) => (
                KeyUsage::EncryptDecrypt,
                Operation::Cryptography,
                Some(Algorithm::Encryption(a)),
            ),
            Use::Signing(a, op) => (KeyUsage::SignVerify, op, Some(Algorithm::Signing(a))),
            Use::Mac(a, op) => (KeyUsage::GenerateVerifyMac, op, Some(Algorithm::Mac(a))),
            // Any usage: only keys without a public half refuse.
            Use::PublicKey if self.spec.is_asymmetric() => {
                (self.usage, Operation::GetPublicKey, None)
            }
            Use::PublicKey => return Err(wrong_usage(Operation::GetPublicKey)),
        };
        if self.usage != usage {
            return Err(wrong_usage(operation));
        }
        if let Some(algorithm) = algorithm {
            let offered = match algorithm {
                Algorithm::Encryption(EncryptionAlgorithm::SymmetricDefault)
                    if matches!(use_, Use::PublicKeyEncryption(_)) =>
                {
                    false
                }
                Algorithm::Encryption(a) => self.spec.encryption_algorithms().contains(&a),
                Algorithm::Signing(a) => self.spec.signing_algorithms().contains(&a),
                Algorithm::Mac(a) => self.spec.mac_algorithms().contains(&a),
            };
            if !offered {
                return Err(KmsError::AlgorithmNotForKey {
                    key_id: self.id,
                    spec: self.spec,
                    algorithm,
                });
            }
        }
        let materials = self
            .state
            .usable_materials_for(operation)
            .map_err(|r| self.refused(r))?;
        materials.current.secret.as_ref().ok_or(KmsError::Internal(
            crate::error::InternalError::CorruptRecord("current material missing"),
        ))
    }

    /// The current material with its id, when the state lets the key be used.
    pub(crate) fn current_usable(&self) -> Result<(MaterialId, &SecretBytes), KmsError> {
        let materials = self.state.usable_materials().map_err(|r| self.refused(r))?;
        let current = &materials.current;
        // Enabled sets are complete (`KeyState::holding`), so this is only a corrupt record.
        let secret = current.secret.as_ref().ok_or(KmsError::Internal(
            crate::error::InternalError::CorruptRecord("current material missing"),
        ))?;
        Ok((current.id, secret))
    }

    /// The materials a ciphertext may have been made with: the one it names, or (blobs of
    /// the first format name none) every held material, newest first. The use is checked as
    /// for [`Key::material_for`].
    pub(crate) fn decrypting_materials(
        &self,
        use_: Use,
        named: Option<&MaterialId>,
    ) -> Result<Vec<(MaterialId, &SecretBytes)>, KmsError> {
        self.material_for(use_)?;
        let materials = self.state.usable_materials().map_err(|r| self.refused(r))?;
        Ok(materials
            .decrypting()
            .filter(|(id, _)| named.is_none_or(|n| n.matches(id)))
            .map(|(id, s)| (*id, s))
            .collect())
    }
}

/// Symmetric material has exactly its spec's length (other families: `material::accept`).
pub(crate) fn check_material_len(spec: KeySpec, material: &SecretBytes) -> Result<(), KmsError> {
    let Some(expected) = spec.material_len() else {
        return Err(KmsError::MaterialNotForSpec {
            spec,
            problem: MaterialProblem::WrongAlgorithm,
        });
    };
    if material.len() != expected {
        return Err(KmsError::MaterialLength {
            spec,
            expected,
            actual: material.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::key_materials::{Entry, Materials};
    use crate::rotation::{RotationPeriod, Schedule};
    use crate::seal::MaterialId;

    fn entry(n: usize) -> Entry {
        let mut id = [0u8; 32];
        id[..8].copy_from_slice(&(n as u64).to_be_bytes());
        Entry::new(
            MaterialId::from_bytes(id),
            SecretBytes::from(vec![7; 32]),
            Expiry::Never,
            Origin::Generated,
            Timestamp::from_secs(1),
        )
    }

    /// A generated AES key holding `n` materials, rotating every 30 days from `next`.
    fn key_holding(n: usize, next: Timestamp) -> Key {
        let materials = Materials {
            previous: (1..n).map(entry).collect(),
            current: entry(0),
            pending: None,
        };
        Key {
            id: KeyId::random(),
            tenant: TenantId::new("t").unwrap(),
            spec: KeySpec::Aes256,
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::Generated,
            description: String::new(),
            created_at: Timestamp::from_secs(1),
            tags: Tags::new(),
            state: KeyState::holding(materials, false),
            rotation: Some(Schedule {
                period: RotationPeriod::days_within(30, 30..=365).unwrap(),
                next,
            }),
        }
    }

    fn count(key: &Key) -> usize {
        key.state.materials().map_or(0, Materials::len)
    }

    #[test]
    fn a_key_holds_at_most_max_materials() {
        let now = Timestamp::from_secs(1_000);
        let mut n = 0;
        let mut fresh = |_: Timestamp| {
            n += 1;
            Ok(entry(MAX_MATERIALS + n))
        };
        let almost = key_holding(MAX_MATERIALS - 1, Timestamp::from_secs(u64::MAX / 4));
        let full = almost
            .rotate_on_demand(now, OnDemandRules::ANY, &mut fresh)
            .unwrap();
        assert_eq!(count(&full), MAX_MATERIALS);
        assert!(matches!(
            full.rotate_on_demand(now, OnDemandRules::ANY, &mut fresh),
            Err(KmsError::RotationLimit { .. })
        ));
        // Automatic rotation stops too: the schedule moves on, no material is added.
        let due = key_holding(MAX_MATERIALS, now);
        let later = Timestamp::from_secs(1_000 + 90 * 86_400);
        let AgedKey::Changed(aged) = due.age(later, &mut fresh).unwrap() else {
            panic!("a due rotation changes the key");
        };
        assert_eq!(count(&aged), MAX_MATERIALS);
        assert!(aged.rotation.is_some_and(|s| s.next > later));
        // Below the bound, it rotates as scheduled.
        let AgedKey::Changed(rotated) = key_holding(3, now).age(later, &mut fresh).unwrap() else {
            panic!("a due rotation changes the key");
        };
        assert!(count(&rotated) > 3);
    }

    /// An imported key at the bound: NEW material is refused, while a rotation that moves
    /// the pending material up (adding nothing) goes on.
    #[test]
    fn imported_material_counts_against_the_bound_when_it_arrives() {
        let now = Timestamp::from_secs(1_000);
        let external = |pending: bool| {
            let mut key = key_holding(MAX_MATERIALS, Timestamp::from_secs(u64::MAX / 4));
            key.origin = Origin::External;
            key.rotation = None;
            if pending {
                let mut m = key.state.materials().unwrap().clone();
                m.previous.pop();
                m.pending = Some(entry(MAX_MATERIALS));
                key.state = KeyState::holding(m, false);
            }
            key
        };
        let full = external(false);
        let material = crate::material::accept(KeySpec::Aes256, SecretBytes::from(vec![9; 32]));
        let imported = full.import(
            material.unwrap(),
            entry(MAX_MATERIALS + 1).id,
            Expiry::Never,
            ImportPolicy::default(),
            MaterialClaim::New,
            NewMaterialOptions {
                description: None,
                rotation: true,
            },
            now,
        );
        assert!(
            matches!(imported, Err(KmsError::RotationLimit { .. })),
            "{imported:?}"
        );
        let waiting = external(true);
        assert_eq!(count(&waiting), MAX_MATERIALS);
        let mut never = |_: Timestamp| -> Result<Entry, KmsError> { panic!("no fresh material") };
        let rotated = waiting
            .rotate_on_demand(now, OnDemandRules::ANY, &mut never)
            .unwrap();
        assert_eq!(count(&rotated), MAX_MATERIALS);
    }
}
