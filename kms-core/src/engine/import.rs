//! Bring-your-own-key: import parameters, import, and deletion of imported material.

use super::Kms;
use crate::error::KmsError;
use crate::ids::{KeyId, TenantId};
use crate::key::{KeyDescription, MaterialClaim};
use crate::lifecycle::{ImportPolicy, MaterialDeletionPolicy};
use crate::material;
use crate::seal::MaterialId;
use crate::spec::Expiry;
use crate::time::Timestamp;
use crate::token::{self, Claims, ImportToken};
use crate::wrapping::rules;
use crate::wrapping::{EncryptedMaterial, WrappingAlgorithm, WrappingKeySpec};

/// What a caller needs to wrap material for one key.
#[derive(Clone, Debug)]
pub struct ImportParameters {
    pub key_id: KeyId,
    pub algorithm: WrappingAlgorithm,
    pub wrapping_key_spec: WrappingKeySpec,
    /// DER SubjectPublicKeyInfo of the wrapping key.
    pub public_key_der: Vec<u8>,
    pub import_token: ImportToken,
    /// The token and public key are refused from this instant on, and stay refused even if
    /// the clock is later moved back before it.
    pub valid_to: Timestamp,
}

/// How the material of an import travels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImportLayers {
    /// The wrapping algorithm carries the material itself (AWS, Tencent, Huawei's symmetric
    /// keys).
    #[default]
    One,
    /// Huawei: asymmetric keys bring their private key in a second layer
    /// ([`ImportRequest::wrapped_private_key`]) under a temporary key that the wrapping
    /// algorithm carries; other keys travel in one layer.
    TwoForPrivateKeys,
}

#[derive(Clone, Debug)]
pub struct ImportRequest {
    pub key_id: KeyId,
    pub import_token: ImportToken,
    pub encrypted_material: EncryptedMaterial,
    /// Huawei's two layers: when `Some`, `encrypted_material` unwraps (with the token's
    /// algorithm) to a temporary key (AES-256 for the RSA algorithms, SM4 for SM2PKE), and
    /// this is the PKCS#8 private key under it with RFC 5649 key wrap with padding. `None`
    /// everywhere else.
    pub wrapped_private_key: Option<EncryptedMaterial>,
    pub expiry: Expiry,
    pub policy: ImportPolicy,
    pub claim: MaterialClaim,
}

/// What an import says of its material beyond [`ImportRequest`] (kept apart so that struct
/// stays as dialects build it). Built with [`NewMaterialOptions::new`] and its setters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewMaterialOptions {
    /// Stored with the material (new material), or replacing its description (re-import).
    pub description: Option<String>,
    /// The caller offers rotation: NEW material into a symmetric key that already has some
    /// waits pending rotation. Without it such an import is refused (`MaterialAlreadySet`), as
    /// it must be for a front end that cannot rotate the key afterwards.
    pub rotation: bool,
}

impl NewMaterialOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// The material's description (opaque to the core; the dialect checks its syntax).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// See [`NewMaterialOptions::rotation`].
    pub fn for_rotation(mut self) -> Self {
        self.rotation = true;
        self
    }
}

#[derive(Clone, Debug)]
pub struct ImportOutcome {
    pub key: KeyDescription,
    pub material_id: MaterialId,
}

impl Kms {
    /// Issues a fresh wrapping key pair and a token bound to this key, algorithm and pair,
    /// for material in one layer ([`ImportLayers::One`]).
    pub fn get_parameters_for_import(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        algorithm: WrappingAlgorithm,
        wrapping_key_spec: WrappingKeySpec,
    ) -> Result<ImportParameters, KmsError> {
        self.get_parameters_for_import_in(
            tenant,
            key_id,
            algorithm,
            wrapping_key_spec,
            ImportLayers::One,
        )
    }

    /// [`Kms::get_parameters_for_import`] for material that will travel in `layers`: which
    /// wrapping algorithm may carry which material depends on it
    /// (`WrappingNotForMaterial`).
    pub fn get_parameters_for_import_in(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        algorithm: WrappingAlgorithm,
        wrapping_key_spec: WrappingKeySpec,
        layers: ImportLayers,
    ) -> Result<ImportParameters, KmsError> {
        if !algorithm.fits(wrapping_key_spec) {
            return Err(KmsError::IncompatibleWrapping {
                algorithm,
                spec: wrapping_key_spec,
            });
        }
        let (spec, key_created) = self.read_key(tenant, key_id, |k, _| {
            k.check_import_parameters()?;
            Ok((k.spec, k.created_at))
        })?;
        let two_layers = layers == ImportLayers::TwoForPrivateKeys && spec.is_asymmetric();
        rules::check(algorithm, wrapping_key_spec, spec, two_layers)?;
        let key_pair = self.key_pairs.key_pair(wrapping_key_spec, tenant)?;
        self.recent_pairs.remember(&key_pair);
        let (now, generation) = self.clock.now_and_generation();
        let valid_to = now.saturating_add(self.import_token_ttl);
        let import_token = token::issue(
            &self.sealer,
            &Claims {
                tenant,
                key_id: *key_id,
                algorithm,
                key_pair: &key_pair,
                expires_at: valid_to,
                generation,
                key_created,
            },
        )?;
        Ok(ImportParameters {
            key_id: *key_id,
            algorithm,
            wrapping_key_spec,
            public_key_der: key_pair.public_key_der()?,
            import_token,
            valid_to,
        })
    }

    /// Checks, each with its own error and in this order: the key exists, is external and its
    /// state accepts an import under `policy`; the token is ours, for this key, unexpired; the
    /// token's algorithm may carry this key's material in the request's layers; the material
    /// unwraps; it fits the key spec (length, or PKCS#8 algorithm, curve and size; kept in
    /// its canonical encoding); it is the material the key already had (if any); the expiry
    /// is in the future. A refused import changes nothing.
    ///
    /// `request.claim` is the import type: [`MaterialClaim::New`] into a symmetric key that
    /// has material adds it pending rotation (one at a time; asymmetric and HMAC keys refuse
    /// with `MaterialAlreadySet`); [`MaterialClaim::Existing`] (or no claim) brings back a
    /// material the key had, restoring the key from PendingImport once nothing else is
    /// missing.
    pub fn import_key_material(
        &self,
        tenant: &TenantId,
        request: ImportRequest,
    ) -> Result<ImportOutcome, KmsError> {
        self.import_key_material_as(tenant, request, NewMaterialOptions::default())
    }

    /// [`Kms::import_key_material`] with what the request says of its material beyond the
    /// import type (its description).
    pub fn import_key_material_as(
        &self,
        tenant: &TenantId,
        request: ImportRequest,
        options: NewMaterialOptions,
    ) -> Result<ImportOutcome, KmsError> {
        let ImportRequest {
            key_id,
            import_token,
            encrypted_material,
            wrapped_private_key,
            expiry,
            policy,
            claim,
        } = request;
        // Cheap checks first, so a request for a missing or wrong key is not an RSA decryption.
        let spec = self.read_key(tenant, &key_id, |k, _| {
            k.check_import(policy, claim, options.rotation)?;
            Ok(k.spec)
        })?;
        let token::Opened {
            algorithm,
            key_pair,
            key_created,
            expires_at,
            generation,
        } = token::open(
            &self.sealer,
            &import_token,
            tenant,
            &key_id,
            &*self.clock,
            &self.recent_pairs,
        )?;
        rules::check(
            algorithm,
            key_pair.spec(),
            spec,
            wrapped_private_key.is_some(),
        )?;
        let unwrapped = key_pair
            .unwrap(algorithm, encrypted_material.as_bytes())
            .ok_or(KmsError::UnwrapFailed { algorithm })?;
        let secret = match &wrapped_private_key {
            None => unwrapped,
            Some(wrapped) => {
                material::unwrap_private_key(algorithm, &unwrapped, wrapped.as_bytes())
                    .ok_or(KmsError::UnwrapFailed { algorithm })?
            }
        };
        let accepted = material::accept(spec, secret)?;
        let material_id = self.sealer.material_id(&key_id, accepted.secret().expose());
        // The decision proper: re-checked against the key as it is now, atomically.
        self.with_key(tenant, &key_id, |k, now| {
            // The key was made again under its id since the token was issued: another key.
            if key_created.is_some_and(|created| created != k.created_at) {
                return Err(KmsError::ImportTokenForeign);
            }
            // Judged again at the write: the unwrap and the wait for the key's lock take
            // time, and the clock may have been moved meanwhile.
            if self.clock.has_passed(expires_at, generation) {
                return Err(KmsError::ImportTokenExpired {
                    expired_at: expires_at,
                });
            }
            let next = k.import(accepted, material_id, expiry, policy, claim, options, now)?;
            let outcome = ImportOutcome {
                key: next.describe(),
                material_id,
            };
            Ok((Some(next), outcome))
        })
    }

    /// Erases the current material; the key waits in PendingImport (or stays
    /// PendingDeletion) until the same material is imported again.
    pub fn delete_imported_key_material(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
    ) -> Result<KeyDescription, KmsError> {
        self.delete_imported_key_material_with(tenant, key_id, MaterialDeletionPolicy::default())
    }

    /// [`Kms::delete_imported_key_material`], with `policy` deciding whether a key pending
    /// deletion gives its material up.
    pub fn delete_imported_key_material_with(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        policy: MaterialDeletionPolicy,
    ) -> Result<KeyDescription, KmsError> {
        self.transition(tenant, key_id, |k| k.delete_material(None, policy))
    }

    /// Erases the material `material` names (`UnknownMaterial` when the key has no such
    /// material, after the origin and state checks): a material pending rotation just goes
    /// (the key stays as it is); any other leaves the key PendingImport (or PendingDeletion)
    /// until it is imported again.
    pub fn delete_named_key_material(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        material: &MaterialId,
    ) -> Result<KeyDescription, KmsError> {
        self.transition(tenant, key_id, |k| {
            k.delete_material(Some(material), MaterialDeletionPolicy::default())
        })
    }
}
