//! Asymmetric keys in use: public keys, signatures, and public-key encryption. Every
//! operation takes the key's material through `Key::material_for`, which checks the usage,
//! the algorithm and (through the state machine) the state; the cryptography runs after the
//! read, outside any store update.

use super::Kms;
use super::crypto::Decrypted;
use crate::algorithm::{EncryptionAlgorithm, MessageType, SigningAlgorithm};
use crate::error::{KmsError, Operation};
use crate::ids::{KeyId, TenantId};
use crate::key::{KeyDescription, Use};
use crate::material::{Message, PrivateKey};
use crate::seal::MaterialId;

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

/// What one use needs of a key, read in one go.
struct InUse {
    key: PrivateKey,
    description: KeyDescription,
    material_id: Option<MaterialId>,
}

impl Kms {
    fn private_key(&self, tenant: &TenantId, key_id: &KeyId, use_: Use) -> Result<InUse, KmsError> {
        let (spec, secret, description, material_id) = self.read_key(tenant, key_id, |k, _| {
            let secret = k.material_for(use_)?.clone();
            Ok((k.spec, secret, k.describe(), k.material_id()))
        })?;
        Ok(InUse {
            key: PrivateKey::open(spec, &secret)?,
            description,
            material_id,
        })
    }

    /// Any usage; keys without a public half (symmetric, HMAC) answer `WrongKeyUsage`.
    pub fn get_public_key(&self, tenant: &TenantId, key_id: &KeyId) -> Result<PublicKey, KmsError> {
        let in_use = self.private_key(tenant, key_id, Use::PublicKey)?;
        Ok(PublicKey {
            spki_der: in_use.key.public_key_der()?,
            key: in_use.description,
        })
    }

    /// A DIGEST message must have the algorithm's digest length (`DigestLength`); Ed25519
    /// signs RAW messages only (`MessageTypeNotAllowed`). Both are checked before the key.
    pub fn sign(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        message: &[u8],
        kind: MessageType,
        algorithm: SigningAlgorithm,
    ) -> Result<Signature, KmsError> {
        let message = Message::new(algorithm, kind, message)?;
        let in_use = self.private_key(tenant, key_id, Use::Signing(algorithm, Operation::Sign))?;
        Ok(Signature {
            key_id: *key_id,
            algorithm,
            bytes: in_use.key.sign(algorithm, message)?,
        })
    }

    /// `Ok(())` when the signature is valid, `InvalidSignature` when it is not (including a
    /// signature that is not even well-formed).
    pub fn verify(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        message: &[u8],
        kind: MessageType,
        algorithm: SigningAlgorithm,
        signature: &[u8],
    ) -> Result<(), KmsError> {
        let message = Message::new(algorithm, kind, message)?;
        let in_use =
            self.private_key(tenant, key_id, Use::Signing(algorithm, Operation::Verify))?;
        in_use.key.verify(algorithm, message, signature)
    }

    /// Raw RSA-OAEP ciphertext, or SM2 DER C1C3C2. Longer plaintexts than the algorithm
    /// takes are `PlaintextTooLong`.
    pub fn encrypt_asymmetric(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        plaintext: &[u8],
        algorithm: EncryptionAlgorithm,
    ) -> Result<Vec<u8>, KmsError> {
        let in_use = self.private_key(tenant, key_id, Use::PublicKeyEncryption(algorithm))?;
        in_use.key.encrypt(algorithm, plaintext)
    }

    /// Every ciphertext that does not decrypt is one `InvalidCiphertext`.
    pub fn decrypt_asymmetric(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        ciphertext: &[u8],
        algorithm: EncryptionAlgorithm,
    ) -> Result<Decrypted, KmsError> {
        let in_use = self.private_key(tenant, key_id, Use::PublicKeyEncryption(algorithm))?;
        Ok(Decrypted {
            key_id: *key_id,
            material_id: in_use.material_id,
            plaintext: in_use.key.decrypt(algorithm, ciphertext)?,
        })
    }
}
