//! HMAC keys in use: generating and verifying MACs.

use super::Kms;
use crate::algorithm::MacAlgorithm;
use crate::error::{InternalError, KmsError, Operation};
use crate::ids::{KeyId, TenantId};
use crate::key::Use;

impl Kms {
    pub fn generate_mac(
        &self,
        tenant: &TenantId,
        key_id: &KeyId,
        message: &[u8],
        algorithm: MacAlgorithm,
    ) -> Result<Vec<u8>, KmsError> {
        let _ = message;
        self.read_key(tenant, key_id, |k, _| {
            k.material_for(Use::Mac(algorithm, Operation::GenerateMac))?;
            Err(InternalError::Unimplemented("generate_mac").into())
        })
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
        let _ = (tenant, key_id, message, algorithm, mac);
        Err(InternalError::Unimplemented("verify_mac").into())
    }
}
