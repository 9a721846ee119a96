//! What an operator of the service needs besides the clouds' operations: wiping state, an
//! honest health check, and counts for metrics.

use std::collections::BTreeSet;

use super::Kms;
use crate::error::KmsError;
use crate::ids::{KeyId, TenantId};
use crate::lifecycle::KeyStateKind;
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

/// How many keys are in each state, as a client describing them would see it now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyStateCounts {
    pub enabled: usize,
    pub disabled: usize,
    pub pending_import: usize,
    pub pending_deletion: usize,
    /// Records that could not be read (corrupt, or sealed under another root key).
    pub unreadable: usize,
}

impl KeyStateCounts {
    /// The count of one state; with [`KeyStateKind::ALL`] and its `Display`, what a metric
    /// labelled by state needs.
    pub fn of(&self, state: KeyStateKind) -> usize {
        match state {
            KeyStateKind::Enabled => self.enabled,
            KeyStateKind::Disabled => self.disabled,
            KeyStateKind::PendingImport => self.pending_import,
            KeyStateKind::PendingDeletion => self.pending_deletion,
        }
    }

    fn count(&mut self, state: KeyStateKind) {
        let slot = match state {
            KeyStateKind::Enabled => &mut self.enabled,
            KeyStateKind::Disabled => &mut self.disabled,
            KeyStateKind::PendingImport => &mut self.pending_import,
            KeyStateKind::PendingDeletion => &mut self.pending_deletion,
        };
        *slot += 1;
    }
}

/// Records fetched per store call while scanning a tenant.
const SCAN_PAGE: usize = 500;

impl Kms {
    /// Removes every key and alias of `tenant`, or of every tenant when `None`, in one atomic
    /// store step. The store's metadata (the clock's state) is kept.
    pub fn reset(&self, tenant: Option<&TenantId>) -> Result<ResetReport, KmsError> {
        let cleared = self.store.clear(tenant)?;
        self.decoded.clear();
        Ok(cleared.into())
    }

    /// Whether the store can be read and its records opened with this engine's root key;
    /// what a server asks before [`Kms::upgrade_store`], which must not rewrite a store under
    /// the wrong key.
    ///
    /// Every stored value is authenticated under the root key, so one value tells: the
    /// upgrade marker if the store has one, else the first key record in
    /// [`crate::KeyStore::all_keys`] order. Records from before authentication prove the key
    /// only by opening sealed material, so the check looks past those without material. An
    /// empty store is `Ok`. A store that cannot be read fails with
    /// `KmsError::Internal(InternalError::Storage(_))`; a value that does not verify (another
    /// root key, or damage) with `KmsError::Internal(InternalError::CorruptRecord(_))`.
    /// Reads only.
    pub fn check_readable(&self) -> Result<(), KmsError> {
        if self.has_upgrade_marker()? {
            return Ok(());
        }
        for (tenant, id) in self.store.all_keys()? {
            // Deleted since the listing: try the next one.
            let Some(bytes) = self.store.get(&tenant, &id)? else {
                continue;
            };
            if record::proves_root(&bytes, &self.sealer, &tenant, &id)? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Counts every tenant's keys by the state a client would see now (expired material
    /// already erased, keys past their deletion date gone), without writing anything.
    /// Unreadable records are counted apart; only a store failure stops the count.
    pub fn count_by_state(&self) -> Result<KeyStateCounts, KmsError> {
        let tenants: BTreeSet<TenantId> = self
            .store
            .all_keys()?
            .into_iter()
            .map(|(tenant, _)| tenant)
            .collect();
        let mut counts = KeyStateCounts::default();
        for tenant in &tenants {
            let mut after: Option<KeyId> = None;
            loop {
                let page = self.store.list(tenant, after.as_ref(), SCAN_PAGE)?;
                for (id, bytes) in &page {
                    match self.peek(tenant, id, bytes) {
                        Ok(Some(key)) => counts.count(key.state.kind()),
                        Ok(None) => {}
                        Err(_) => counts.unreadable += 1,
                    }
                }
                match page.last() {
                    Some((last, _)) if page.len() == SCAN_PAGE => after = Some(*last),
                    _ => break,
                }
            }
        }
        Ok(counts)
    }
}
