//! Using symmetric key material: encrypt, decrypt, re-encrypt, data keys, random bytes.
//! These are SYMMETRIC_DEFAULT operations: a key of another usage is refused with
//! `WrongKeyUsage`, an ENCRYPT_DECRYPT key of an asymmetric spec with `AlgorithmNotForKey`
//! (its encryption goes through `encrypt_asymmetric`).

use super::Kms;
use super::keys::random_bytes;
use crate::algorithm::EncryptionAlgorithm;
use crate::ciphertext::{self, EncryptionContext};
use crate::error::KmsError;
use crate::ids::{KeyId, TenantId};
use crate::key::Use;
use crate::seal::MaterialId;
use crate::secret::SecretBytes;
use crate::spec::{ByteCount, DataKeySpec};

#[derive(Clone, Debug)]
pub struct Decrypted {
    /// The key the ciphertext was made under.
    pub key_id: KeyId,
    /// The material that decrypted it (read with the key, not looked up again).
    pub material_id: Option<MaterialId>,
    pub plaintext: SecretBytes,
}

#[derive(Clone, Debug)]
pub struct ReEncrypted {
    pub source_key_id: KeyId,
    pub source_material_id: Option<MaterialId>,
    pub key_id: KeyId,
    pub material_id: Option<MaterialId>,
    pub ciphertext: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct DataKey {
    pub key_id: KeyId,
    /// The material that encrypted the data key.
    pub material_id: Option<MaterialId>,
    pub plaintext: SecretBytes,
    /// The data key encrypted under `key_id`.
    pub ciphertext: Vec<u8>,
}

impl Kms {
    /// Only Enabled keys encrypt; the blob names the key so decrypt needs no key id.
    pub fn encrypt(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        self.encrypt_noting_material(tenant, key_id, plaintext, context)
            .map(|(blob, _)| blob)
    }

    /// [`Kms::encrypt`], also naming the material that encrypted (read with the key).
    pub fn encrypt_noting_material(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<(Vec<u8>, Option<MaterialId>), KmsError> {
        self.read_key(tenant, key_id, |k, _| {
            k.material_for(Use::Encryption(EncryptionAlgorithm::SymmetricDefault))?;
            let (material_id, material) = k.current_usable()?;
            let blob = ciphertext::encrypt(
                k.spec,
                material.expose(),
                &k.id,
                &material_id,
                plaintext,
                context,
            )?;
            Ok((blob, Some(material_id)))
        })
    }

    /// Finds the key the blob names (within `tenant` only) and decrypts with the material the
    /// blob names (a blob of the first format names none: each held material is tried, newest
    /// first; the cipher's authentication tells which one made it). A blob whose key does
    /// not exist in `tenant`, or whose material the key does not hold, is
    /// `InvalidCiphertext`.
    pub fn decrypt(
        &self,
        tenant: &TenantId,
        blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<Decrypted, KmsError> {
        let key_id = ciphertext::key_id_of(blob).ok_or(KmsError::InvalidCiphertext)?;
        let named = ciphertext::material_id_of(blob).ok_or(KmsError::InvalidCiphertext)?;
        let decrypted = self.read_key(tenant, &key_id, |k, _| {
            let candidates = k.decrypting_materials(
                Use::Encryption(EncryptionAlgorithm::SymmetricDefault),
                named.as_ref(),
            )?;
            candidates
                .into_iter()
                .find_map(|(material_id, material)| {
                    ciphertext::decrypt(k.spec, material.expose(), blob, context).map(|plaintext| {
                        Decrypted {
                            key_id,
                            material_id: Some(material_id),
                            plaintext,
                        }
                    })
                })
                .ok_or(KmsError::InvalidCiphertext)
        });
        // The caller named no key: a blob naming one this tenant does not have (altered, from
        // another tenant, or of a purged key) is simply not a ciphertext it can decrypt.
        match decrypted {
            Err(KmsError::KeyNotFound { .. }) => Err(KmsError::InvalidCiphertext),
            other => other,
        }
    }

    pub fn re_encrypt(
        &self,
        tenant: &TenantId,
        blob: &[u8],
        source_context: &EncryptionContext,
        destination: &KeyId,
        destination_context: &EncryptionContext,
    ) -> Result<ReEncrypted, KmsError> {
        let plain = self.decrypt(tenant, blob, source_context)?;
        let (ciphertext, material_id) = self.encrypt_noting_material(
            tenant,
            destination,
            plain.plaintext.expose(),
            destination_context,
        )?;
        Ok(ReEncrypted {
            source_key_id: plain.key_id,
            source_material_id: plain.material_id,
            key_id: *destination,
            material_id,
            ciphertext,
        })
    }

    pub fn generate_data_key(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        spec: DataKeySpec,
        context: &EncryptionContext,
    ) -> Result<DataKey, KmsError> {
        let plaintext = random_bytes(spec.byte_len())?;
        let (ciphertext, material_id) =
            self.encrypt_noting_material(tenant, key_id, plaintext.expose(), context)?;
        Ok(DataKey {
            key_id: *key_id,
            material_id,
            plaintext,
            ciphertext,
        })
    }

    pub fn generate_random(&self, count: ByteCount) -> Result<SecretBytes, KmsError> {
        random_bytes(count.get())
    }
}
