//! HMAC keys in use: generating and verifying MACs. The key's material comes through
//! `Key::material_for` (usage, algorithm, state), the MAC is computed after the read.

use super::Kms;
use crate::algorithm::MacAlgorithm;
use crate::error::{KmsError, Operation};
use crate::ids::{KeyId, TenantId};
use crate::key::Use;
use crate::material::hmac;
use crate::secret::SecretBytes;

impl Kms {
    fn mac_key(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        algorithm: MacAlgorithm,
        operation: Operation,
    ) -> Result<SecretBytes, KmsError> {
        self.read_key(tenant, key_id, |k, _| {
            Ok(k.material_for(Use::Mac(algorithm, operation))?.clone())
        })
    }

    pub fn generate_mac(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        message: &[u8],
        algorithm: MacAlgorithm,
    ) -> Result<Vec<u8>, KmsError> {
        let key = self.mac_key(tenant, key_id, algorithm, Operation::GenerateMac)?;
        hmac::generate_mac(algorithm, &key, message)
    }

    /// `Ok(())` when the MAC is valid (compared in constant time), `InvalidMac` when not.
    pub fn verify_mac(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        message: &[u8],
        algorithm: MacAlgorithm,
        mac: &[u8],
    ) -> Result<(), KmsError> {
        let key = self.mac_key(tenant, key_id, algorithm, Operation::VerifyMac)?;
        hmac::verify_mac(algorithm, &key, message, mac)
    }
}
