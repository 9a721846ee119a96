//! A key: its fixed attributes plus its lifecycle state. Every change to a key is one of the
//! methods here, each delegating the state question to [`KeyState`].

use crate::algorithm::{Algorithm, EncryptionAlgorithm, KeyUsage, MacAlgorithm, SigningAlgorithm};
use crate::error::{KmsError, MaterialProblem, Operation};
use crate::ids::{KeyId, TenantId};
use crate::lifecycle::{DeletionPolicy, ImportPolicy, KeyState, KeyStateKind, Material, Refusal};
use crate::material::Accepted;
use crate::seal::MaterialId;
use crate::secret::SecretBytes;
use crate::spec::{Expiry, KeySpec, Origin};
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
    /// The only material this key will ever accept, fixed by its first import (or by
    /// generation). Kept after the material itself is deleted or expires.
    pub(crate) material_id: Option<MaterialId>,
    pub(crate) tags: Tags,
    pub(crate) state: KeyState,
}

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
    /// The material the key accepts (see [`MaterialId`]); `None` until the first import.
    pub material_id: Option<MaterialId>,
    pub tags: Tags,
}

impl KeyDescription {
    /// Whether the key holds material right now.
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
    /// No claim: the first material, or the same material again.
    #[default]
    Unspecified,
    /// Material for a key that has never had any.
    New,
    /// The material the key already had; when an id is given, the material with that id.
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
            material_expiry: self.state.material().map(|m| m.expiry),
            material_id: self.material_id,
            tags: self.tags.clone(),
        }
    }

    pub(crate) fn require_external(&self) -> Result<(), KmsError> {
        match self.origin {
            Origin::External => Ok(()),
            Origin::Generated => Err(KmsError::NotExternal { key_id: self.id }),
        }
    }

    pub(crate) fn enable(&self) -> Result<Key, KmsError> {
        self.with_state(self.state.enable())
    }

    pub(crate) fn disable(&self) -> Result<Key, KmsError> {
        self.with_state(self.state.disable())
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

    /// The checks an import can make before the material is unwrapped: origin, state, then
    /// what the caller claims about the material.
    pub(crate) fn check_import(
        &self,
        policy: ImportPolicy,
        claim: MaterialClaim,
    ) -> Result<(), KmsError> {
        self.require_external()?;
        self.state
            .permits_import(policy)
            .map_err(|r| self.refused(r))?;
        match (claim, &self.material_id) {
            (MaterialClaim::New, Some(_)) => Err(KmsError::MaterialAlreadySet { key_id: self.id }),
            (MaterialClaim::Existing(_), None) => Err(KmsError::NoMaterialYet { key_id: self.id }),
            (MaterialClaim::Existing(Some(named)), Some(accepted)) if !accepted.matches(&named) => {
                Err(KmsError::MaterialMismatch { key_id: self.id })
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn import(
        &self,
        material: Accepted,
        material_id: MaterialId,
        expiry: Expiry,
        policy: ImportPolicy,
        claim: MaterialClaim,
        now: Timestamp,
    ) -> Result<Key, KmsError> {
        self.check_import(policy, claim)?;
        // Accepted for another spec: only a declared (seeded) id reused for another key.
        if material.spec() != self.spec {
            return Err(KmsError::MaterialNotForSpec {
                spec: self.spec,
                problem: MaterialProblem::WrongAlgorithm,
            });
        }
        let secret = material.into_secret();
        if let Some(accepted) = &self.material_id
            && !accepted.matches(&material_id)
        {
            return Err(KmsError::MaterialMismatch { key_id: self.id });
        }
        if let Expiry::At(at) = expiry
            && at <= now
        {
            return Err(KmsError::InvalidExpiry { expiry: at, now });
        }
        let state = self.state.import(Material { secret, expiry }, policy);
        let mut next = self.with_state(state)?;
        next.material_id = Some(material_id);
        Ok(next)
    }

    /// Erases the material; with `named`, only if it is the material that id names.
    pub(crate) fn delete_material(&self, named: Option<&MaterialId>) -> Result<Key, KmsError> {
        self.require_external()?;
        let next = self.with_state(self.state.delete_material())?;
        if let Some(named) = named
            && !self.material_id.is_some_and(|m| m.matches(named))
        {
            return Err(KmsError::UnknownMaterial { key_id: self.id });
        }
        Ok(next)
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
        self.usable_material()
    }

    pub(crate) fn usable_material(&self) -> Result<&SecretBytes, KmsError> {
        self.state
            .usable_material()
            .map(|m| &m.secret)
            .map_err(|r| self.refused(r))
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
