//! Aliases: creating, re-pointing, deleting, resolving and listing them.
//!
//! An alias lives in its own store namespace, so it cannot be changed in the same atomic
//! update as its target key. The rules that keep them consistent: an alias is only pointed
//! at a key that exists and is not pending deletion (checked just before the alias write),
//! and an alias whose key has since been purged is treated as absent everywhere (resolving,
//! listing, and creating a new alias of the same name).

use super::Kms;
use super::keys::{CreateKey, PageSize};
use crate::alias::{AliasEntry, AliasName, AliasRecord};
use crate::error::KmsError;
use crate::ids::{KeyId, TenantId};
use crate::key::KeyDescription;
use crate::store::Change;

/// One page of a tenant's aliases, in name order.
#[derive(Clone, Debug)]
pub struct AliasPage {
    pub aliases: Vec<AliasEntry>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<AliasName>,
}

/// An alias record rewritten: the new entry, the record written and the one it replaced.
struct Rewritten {
    entry: AliasEntry,
    written: Vec<u8>,
    previous: Vec<u8>,
}

/// Which keys an alias may be moved to ([`Kms::update_alias`]): a cloud's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retarget {
    AnyKey,
    /// Only to a key of the same type (symmetric, asymmetric or HMAC) and key usage as the
    /// one it names, so that what uses the alias keeps working.
    SameTypeAndUsage,
}

/// Whether two keys are of one type for [`Retarget::SameTypeAndUsage`]: every asymmetric
/// family is one type; symmetric and HMAC keys are one each.
fn same_type(a: &KeyDescription, b: &KeyDescription) -> bool {
    if a.spec.is_asymmetric() {
        b.spec.is_asymmetric()
    } else {
        a.spec.family() == b.spec.family()
    }
}

/// Aliases read per store call when a listing keeps only one key's.
const FILTERED_BATCH: usize = 256;

impl Kms {
    /// Creates a key that is born with a unique name (clouds whose CreateKey requires an
    /// alias). Either both exist afterwards or neither: when the name is taken, the new key,
    /// whose id nobody has been told, is erased again.
    pub fn create_key_with_alias(
        &self,
        tenant: &TenantId,
        request: CreateKey,
        name: &AliasName,
    ) -> Result<(KeyDescription, AliasEntry), KmsError> {
        // Cheap early refusal; the compare-and-swap in create_alias is what decides.
        if self.resolve_alias(tenant, name).is_ok() {
            return Err(KmsError::AliasExists {
                alias: name.clone(),
            });
        }
        let key = self.create_key(tenant, request)?;
        match self.create_alias(tenant, name, &key.key_id) {
            Ok(alias) => Ok((key, alias)),
            Err(e) => {
                self.store
                    .update(tenant, &key.key_id, &mut |_| Change::Delete)?;
                Err(e)
            }
        }
    }

    /// Points a new alias at `target`; fails if the name is taken.
    pub fn create_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        target: &KeyId,
    ) -> Result<AliasEntry, KmsError> {
        self.permit_alias_target(tenant, target)?;
        // A name held by an alias of a purged key is free; compare-and-swap on exactly the
        // record seen dangling, so a concurrent create of a live alias still wins.
        let dangling = match self.store.get_alias(tenant, name)? {
            Some(bytes)
                if !self.alias_is_live(
                    tenant,
                    &AliasRecord::decode(&bytes, &self.sealer, tenant, name)?,
                )? =>
            {
                Some(bytes)
            }
            _ => None,
        };
        let now = self.clock.now();
        let record = AliasRecord {
            target: *target,
            created_at: now,
            updated_at: now,
        };
        let bytes = record.encode(&self.sealer, tenant, name)?;
        let mut created = false;
        self.store.update_alias(tenant, name, &mut |current| {
            created = current.is_none() || current == dangling.as_deref();
            if created {
                Change::Put(bytes.clone())
            } else {
                Change::Keep
            }
        })?;
        if !created {
            return Err(KmsError::AliasExists {
                alias: name.clone(),
            });
        }
        self.recheck_alias_target(tenant, name, target, &bytes, dangling)?;
        Ok(record.entry(name.clone()))
    }

    /// The target was checked before the alias write, in another store update: a deletion
    /// scheduled in between would leave an alias on a key pending deletion, which no key may
    /// take. Checks again, and if the key refuses now, puts back what the alias record was
    /// (`previous`), unless another write replaced `written` meanwhile.
    fn recheck_alias_target(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        target: &KeyId,
        written: &[u8],
        previous: Option<Vec<u8>>,
    ) -> Result<(), KmsError> {
        let Err(refused) = self.permit_alias_target(tenant, target) else {
            return Ok(());
        };
        let mut previous = previous;
        self.store.update_alias(tenant, name, &mut |current| {
            if current != Some(written) {
                return Change::Keep;
            }
            match previous.take() {
                Some(bytes) => Change::Put(bytes),
                None => Change::Delete,
            }
        })?;
        Err(refused)
    }

    /// Gives the key that `old` names the name `new` instead (clouds where an alias is a key's
    /// one display name). The new name is taken first, so a taken name changes nothing; if
    /// the old one cannot be dropped afterwards, the new one is dropped again and the key
    /// keeps its old name. Each name is dropped only while it still names the key: a client
    /// that moved either name meanwhile keeps its acknowledged change (and a name deleted
    /// meanwhile is simply gone).
    pub fn rename_alias(
        &self,
        tenant: &TenantId,
        old: &AliasName,
        new: &AliasName,
    ) -> Result<AliasEntry, KmsError> {
        let target = self.resolve_alias(tenant, old)?;
        let entry = self.create_alias(tenant, new, &target)?;
        if let Err(e) = self.delete_alias_naming(tenant, old, &target) {
            // Best effort: if this fails too, the store is failing and both names stay.
            let _ = self.delete_alias_naming(tenant, new, &target);
            return Err(e);
        }
        Ok(entry)
    }

    /// Points an existing alias at another key of the same tenant, if `retarget` allows a
    /// move from the key it names now to `target`. The rule is judged against the key the
    /// alias names when it is rewritten: a concurrent move in between makes this judge again.
    pub fn update_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        target: &KeyId,
        retarget: Retarget,
    ) -> Result<AliasEntry, KmsError> {
        loop {
            // The current target must be live too: an alias of a purged key no longer exists.
            let current = self.resolve_alias(tenant, name)?;
            self.permit_alias_target(tenant, target)?;
            if retarget == Retarget::SameTypeAndUsage {
                let (from, to) = (
                    self.describe_key(tenant, &current)?,
                    self.describe_key(tenant, target)?,
                );
                if !same_type(&from, &to) || from.usage != to.usage {
                    return Err(KmsError::AliasTargetMismatch {
                        alias: name.clone(),
                        current,
                        target: *target,
                    });
                }
            }
            // `None`: moved meanwhile, so judge the move again from where it is now. Each
            // retry means another move succeeded, so the moves as a whole always progress.
            if let Some(done) = self.rewrite_alias(tenant, name, target, current)? {
                self.recheck_alias_target(
                    tenant,
                    name,
                    target,
                    &done.written,
                    Some(done.previous),
                )?;
                return Ok(done.entry);
            }
        }
    }

    /// Points the alias at `target` if it still names `expected`: the entry, and the record
    /// written and the one it replaced; `None` if it names another key by now.
    fn rewrite_alias(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        target: &KeyId,
        expected: KeyId,
    ) -> Result<Option<Rewritten>, KmsError> {
        let now = self.clock.now();
        let mut outcome: Result<Option<Rewritten>, KmsError> = Err(not_found(name));
        self.store.update_alias(tenant, name, &mut |current| {
            let Some(bytes) = current else {
                outcome = Err(not_found(name));
                return Change::Keep;
            };
            let old = match AliasRecord::decode(bytes, &self.sealer, tenant, name) {
                Ok(old) => old,
                Err(e) => {
                    outcome = Err(e);
                    return Change::Keep;
                }
            };
            if old.target != expected {
                outcome = Ok(None);
                return Change::Keep;
            }
            let next = AliasRecord {
                target: *target,
                created_at: old.created_at,
                updated_at: now,
            };
            match next.encode(&self.sealer, tenant, name) {
                Ok(b) => {
                    outcome = Ok(Some(Rewritten {
                        entry: next.entry(name.clone()),
                        written: b.clone(),
                        previous: bytes.to_vec(),
                    }));
                    Change::Put(b)
                }
                Err(e) => {
                    outcome = Err(e);
                    Change::Keep
                }
            }
        })?;
        outcome
    }

    pub fn delete_alias(&self, tenant: &TenantId, name: &AliasName) -> Result<(), KmsError> {
        self.resolve_alias(tenant, name)?;
        let mut found = false;
        self.store.update_alias(tenant, name, &mut |current| {
            found = current.is_some();
            if found { Change::Delete } else { Change::Keep }
        })?;
        if found { Ok(()) } else { Err(not_found(name)) }
    }

    /// Deletes the alias only while it names `target`: taking back an alias this process
    /// created, without undoing a client's move of it since.
    pub(crate) fn delete_alias_naming(
        &self,
        tenant: &TenantId,
        name: &AliasName,
        target: &KeyId,
    ) -> Result<(), KmsError> {
        self.store.update_alias(tenant, name, &mut |current| {
            let names_target = current
                .and_then(|b| AliasRecord::decode(b, &self.sealer, tenant, name).ok())
                .is_some_and(|record| record.target == *target);
            if names_target {
                Change::Delete
            } else {
                Change::Keep
            }
        })?;
        Ok(())
    }

    /// The key an alias points at, if the alias exists and its key has not been purged.
    pub fn resolve_alias(&self, tenant: &TenantId, name: &AliasName) -> Result<KeyId, KmsError> {
        let bytes = self
            .store
            .get_alias(tenant, name)?
            .ok_or_else(|| not_found(name))?;
        let record = AliasRecord::decode(&bytes, &self.sealer, tenant, name)?;
        if self.alias_is_live(tenant, &record)? {
            Ok(record.target)
        } else {
            Err(not_found(name))
        }
    }

    /// One page of live aliases, optionally only those pointing at `target`.
    ///
    /// Entries come in ascending name order ([`AliasName`]'s `Ord`: byte order), whatever
    /// order they were created in, and a page continues right after `after`: the order
    /// [`KeyStore::list_aliases`](crate::KeyStore::list_aliases) promises and the backend
    /// suite checks. Dialects rely on it: Huawei shows the first alias of a key's listing as
    /// that key's alias.
    pub fn list_aliases(
        &self,
        tenant: &TenantId,
        target: Option<&KeyId>,
        after: Option<&AliasName>,
        size: PageSize,
    ) -> Result<AliasPage, KmsError> {
        let mut aliases = Vec::new();
        let mut cursor = after.cloned();
        // Filtering drops entries, so read in batches until the page is full or the
        // namespace ends; one extra entry tells whether a next page exists. A filter by
        // target keeps few entries of a batch, so it reads larger ones: a one-entry page
        // (a key's alias) would otherwise take a store call per two aliases of the tenant.
        let wanted = size.get() + 1;
        let batch_len = if target.is_some() {
            wanted.max(FILTERED_BATCH)
        } else {
            wanted
        };
        loop {
            let batch = self
                .store
                .list_aliases(tenant, cursor.as_ref(), batch_len)?;
            let exhausted = batch.len() < batch_len;
            for (name, bytes) in batch {
                cursor = Some(name.clone());
                // One unreadable alias must not hide the others; it was logged.
                let Ok(record) = AliasRecord::decode(&bytes, &self.sealer, tenant, &name) else {
                    continue;
                };
                if target.is_some_and(|t| *t != record.target)
                    || !self.alias_is_live(tenant, &record)?
                {
                    continue;
                }
                if aliases.len() == size.get() {
                    let next = aliases.last().map(|e: &AliasEntry| e.name.clone());
                    return Ok(AliasPage { aliases, next });
                }
                aliases.push(record.entry(name));
            }
            if exhausted {
                return Ok(AliasPage {
                    aliases,
                    next: None,
                });
            }
        }
    }

    fn permit_alias_target(&self, tenant: &TenantId, target: &KeyId) -> Result<(), KmsError> {
        self.read_key(tenant, target, |k, _| k.permit_attribute_change())
    }

    /// Whether the alias's key still exists. An unreadable key exists (its use answers the
    /// internal error), so its aliases stay listed.
    fn alias_is_live(&self, tenant: &TenantId, record: &AliasRecord) -> Result<bool, KmsError> {
        match self.store.get(tenant, &record.target)? {
            None => Ok(false),
            Some(bytes) => Ok(!matches!(
                self.peek(tenant, &record.target, &bytes),
                Ok(None)
            )),
        }
    }
}

fn not_found(name: &AliasName) -> KmsError {
    KmsError::AliasNotFound {
        alias: name.clone(),
    }
}
