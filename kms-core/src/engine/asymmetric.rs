//! Asymmetric keys in use: public keys, signatures, and public-key encryption. Every
//! operation asks the key for its material through [`Key::material_for`], which checks the
//! usage, the algorithm and (through the state machine) the state.

use super::Kms;
use super::crypto::Decrypted;
use crate::algorithm::{EncryptionAlgorithm, MessageType, SigningAlgorithm};
use crate::error::Operation;
use crate::error::{InternalError, KmsError};
use crate::ids::{KeyId, TenantId};
use crate::key::{KeyDescription, Use};

/// A key's public half, as every cloud hands it out.
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub key: KeyDescription,
    /// DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Signature {
    pub key_id: KeyId,
    pub algorithm: SigningAlgorithm,
    /// DER for ECDSA and SM2DSA, the raw signature for RSA and Ed25519.
    pub bytes: Vec<u8>,
}

impl Kms {
    pub fn get_public_key(&self, tenant: &TenantId, key_id: &KeyId) -> Result<PublicKey, KmsError> {
        self.read_key(tenant, key_id, |k, _| {
            k.material_for(Use::PublicKey)?;
            Err(InternalError::Unimplemented("get_public_key").into())
        })
    }

    pub fn sign(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        message: &[u8],
        kind: MessageType,
        algorithm: SigningAlgorithm,
    ) -> Result<Signature, KmsError> {
        let _ = (message, kind);
        self.read_key(tenant, key_id, |k, _| {
            k.material_for(Use::Signing(algorithm, Operation::Sign))?;
            Err(InternalError::Unimplemented("sign").into())
        })
    }

    /// `Ok(())` when the signature is valid, `InvalidSignature` when it is not.
    pub fn verify(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        message: &[u8],
        kind: MessageType,
        algorithm: SigningAlgorithm,
        signature: &[u8],
    ) -> Result<(), KmsError> {
        let _ = (tenant, key_id, message, kind, algorithm, signature);
        Err(InternalError::Unimplemented("verify").into())
    }

    /// Raw RSA-OAEP ciphertext, or SM2 DER C1C3C2.
    pub fn encrypt_asymmetric(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        plaintext: &[u8],
        algorithm: EncryptionAlgorithm,
    ) -> Result<Vec<u8>, KmsError> {
        let _ = (tenant, key_id, plaintext, algorithm);
        Err(InternalError::Unimplemented("encrypt_asymmetric").into())
    }

    pub fn decrypt_asymmetric(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        ciphertext: &[u8],
        algorithm: EncryptionAlgorithm,
    ) -> Result<Decrypted, KmsError> {
        let _ = (tenant, key_id, ciphertext, algorithm);
        Err(InternalError::Unimplemented("decrypt_asymmetric").into())
    }
}
