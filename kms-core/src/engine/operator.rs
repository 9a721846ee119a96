//! What an operator of the service needs besides the clouds' operations: wiping state and an
//! honest health check.

use super::Kms;
use crate::error::KmsError;
use crate::ids::TenantId;
use crate::record;
use crate::store::ClearReport;

/// What [`Kms::reset`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResetReport {
    pub keys: usize,
    pub aliases: usize,
}

impl From<ClearReport> for ResetReport {
    fn from(c: ClearReport) -> Self {
        ResetReport {
            keys: c.keys,
            aliases: c.aliases,
        }
    }
}

impl Kms {
    /// Removes every key and alias of `tenant`, or of every tenant when `None`, in one atomic
    /// store step. The store's metadata (the clock's state) is kept.
    pub fn reset(&self, tenant: Option<&TenantId>) -> Result<ResetReport, KmsError> {
        Ok(self.store.clear(tenant)?.into())
    }

    /// Whether the store can be read and its records opened with this engine's root key.
    ///
    /// Records are decoded in [`crate::KeyStore::all_keys`] order until one that holds sealed
    /// material has been opened: a record without material (a key pending import) opens under
    /// any root key, so it alone proves nothing. An empty store, or one where no key holds
    /// material, is `Ok`. A store that cannot be read fails with
    /// `KmsError::Internal(InternalError::Storage(_))`; a record that does not open (another
    /// root key, or damage) with `KmsError::Internal(InternalError::CorruptRecord(_))`.
    /// Reads only.
    pub fn check_readable(&self) -> Result<(), KmsError> {
        for (tenant, id) in self.store.all_keys()? {
            // Deleted since the listing: nothing to check in it.
            let Some(bytes) = self.store.get(&tenant, &id)? else {
                continue;
            };
            let key = record::decode(&bytes, &self.sealer, &tenant, &id)?;
            if key.state.material().is_some() {
                return Ok(());
            }
        }
        Ok(())
    }
}
