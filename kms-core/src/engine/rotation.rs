//! Rotation: on demand (a generated key gets new material; an imported one makes its
//! material pending rotation current), the automatic schedule of generated keys (applied by
//! aging, see [`crate::key::Key::age`]), and the listing of a key's materials.

use super::Kms;
use crate::error::KmsError;
use crate::ids::{KeyId, TenantId};
use crate::key::KeyDescription;
use crate::key_materials::KeyMaterialInfo;
use crate::rotation::{OnDemandRules, RotationPeriod, RotationStatus};

impl Kms {
    /// Rotates now: the pending material (imported keys) or fresh material (generated keys)
    /// becomes current, the current one previous; old ciphertexts keep decrypting. Only an
    /// Enabled symmetric key rotates: other specs are refused with `AlgorithmNotForKey`, a
    /// key `rules` do not let rotate with `RotationLimit` or `RotationNotEnabled`, an
    /// imported key without a pending material with `NoPendingMaterial`, other states with
    /// `Disabled` or `InvalidState`, and then a rotation sooner than `rules` allow after the
    /// last one on demand with `RotationTooSoon`. An automatic schedule keeps its dates.
    pub fn rotate_key_on_demand(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        rules: OnDemandRules,
    ) -> Result<KeyDescription, KmsError> {
        self.with_key(tenant, key_id, |k, now| {
            let next = k.rotate_on_demand(now, rules, &mut |at| self.fresh_entry(k, at))?;
            let description = next.describe();
            Ok((Some(next), description))
        })
    }

    /// Rotates the key automatically every `period` from now (the same period again keeps
    /// the planned date). Generated symmetric keys only: imported keys are refused with
    /// `MaterialAlreadySet`, other specs with `AlgorithmNotForKey`; a key pending deletion
    /// with `InvalidState`.
    pub fn enable_key_rotation(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        period: RotationPeriod,
    ) -> Result<RotationStatus, KmsError> {
        self.set_rotation(tenant, key_id, Some(period), false)
    }

    /// Gives a key that rotates automatically a new period, its schedule restarting from now
    /// (the same period keeps the planned date); a key that does not rotate is refused with
    /// `RotationNotEnabled`, in the same update, so a concurrent disable is never undone.
    /// Otherwise refused as [`Kms::enable_key_rotation`] is.
    pub fn change_rotation_period(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        period: RotationPeriod,
    ) -> Result<RotationStatus, KmsError> {
        self.set_rotation(tenant, key_id, Some(period), true)
    }

    /// Stops automatic rotation (refused as [`Kms::enable_key_rotation`] is).
    pub fn disable_key_rotation(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
    ) -> Result<RotationStatus, KmsError> {
        self.set_rotation(tenant, key_id, None, false)
    }

    /// The one update behind enabling, changing and disabling automatic rotation: the key's
    /// schedule becomes `period` (none: off), refused with `RotationNotEnabled` when
    /// `only_if_enabled` and the key does not rotate now.
    fn set_rotation(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        period: Option<RotationPeriod>,
        only_if_enabled: bool,
    ) -> Result<RotationStatus, KmsError> {
        self.with_key(tenant, key_id, |k, now| {
            if only_if_enabled && !k.rotation_status()?.enabled {
                // A key pending deletion has its schedule suspended: its state is the reason.
                k.permit_attribute_change()?;
                return Err(KmsError::RotationNotEnabled { key_id: k.id });
            }
            let next = k.with_rotation(period, now)?;
            let status = next.rotation_status()?;
            Ok((Some(next), status))
        })
    }

    /// Whether the key rotates automatically, its period and next date (symmetric keys;
    /// other specs are refused with `AlgorithmNotForKey`).
    pub fn key_rotation_status(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
    ) -> Result<RotationStatus, KmsError> {
        self.read_key(tenant, key_id, |k, _| k.rotation_status())
    }

    /// Every material of the key in creation order (previous ones, the current one, the one
    /// pending rotation), with its role, presence, expiry, description and rotation: what
    /// a listing of all key material shows. Empty for a key that never had material.
    pub fn list_key_materials(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
    ) -> Result<Vec<KeyMaterialInfo>, KmsError> {
        self.read_key(tenant, key_id, |k, _| Ok(k.material_infos()))
    }

    /// The completed rotations, oldest first: the materials that became current by a
    /// rotation (not the first material, not one pending rotation).
    pub fn list_key_rotations(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
    ) -> Result<Vec<KeyMaterialInfo>, KmsError> {
        self.list_key_materials(tenant, key_id)
            .map(|all| all.into_iter().filter(|m| m.rotation.is_some()).collect())
    }
}
