//! Keys as last decoded from their stored bytes, so a read of a record that has not changed
//! since skips authenticating, parsing and unsealing it again: on an Encrypt of microseconds
//! those three were the largest share of the engine's work.
//!
//! An entry is used only when the bytes just read from the store are exactly the bytes it was
//! decoded from (and for the same tenant), so the store stays the only truth: a record that
//! was written, deleted or replaced since is decoded afresh, and decoding is a pure function
//! of the bytes, the root key and the record's place. Aging is applied after, on every read,
//! as before. Bounded: a shard that is full is emptied before it takes a new key.
//!
//! A reader keeps what it decoded only if nothing of its shard was forgotten since it took a
//! [`Ticket`], before reading the store: otherwise a reader that read a record just before
//! its key was deleted could put the deleted material back, where nothing would ever use it
//! but it would stay in memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::error::KmsError;
use crate::ids::{KeyId, TenantId};
use crate::key::Key;
use crate::record;
use crate::seal::Sealer;

const SHARDS: usize = 16;
/// Entries per shard: 4,096 keys in all, a few MiB at most.
const PER_SHARD: usize = 256;

struct Entry {
    tenant: TenantId,
    bytes: Box<[u8]>,
    key: Arc<Key>,
}

#[derive(Default)]
pub(crate) struct DecodedKeys {
    shards: [RwLock<HashMap<KeyId, Entry>>; SHARDS],
    /// Per shard, how many times something of it was forgotten (or everything cleared).
    forgets: [AtomicU64; SHARDS],
}

/// Taken before a read of the store: what the shard's forgets were then.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket(u64);

impl DecodedKeys {
    fn index(id: &KeyId) -> usize {
        usize::from(id.as_bytes().first().copied().unwrap_or(0)) % SHARDS
    }

    fn shard(&self, id: &KeyId) -> &RwLock<HashMap<KeyId, Entry>> {
        &self.shards[Self::index(id)]
    }

    /// Take before reading `id`'s record from the store, for [`DecodedKeys::decode`].
    pub(crate) fn ticket(&self, id: &KeyId) -> Ticket {
        Ticket(self.forgets[Self::index(id)].load(Ordering::Acquire))
    }

    /// The key `bytes` (read from `tenant`'s record `id` after `ticket` was taken) decode to.
    pub(crate) fn decode(
        &self,
        ticket: Ticket,
        bytes: &[u8],
        sealer: &Sealer,
        tenant: &TenantId,
        id: &KeyId,
    ) -> Result<Arc<Key>, KmsError> {
        let shard = self.shard(id);
        {
            // A poisoned shard only means a reader panicked; entries are whole either way.
            let entries = shard.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries.get(id)
                && entry.tenant == *tenant
                && *entry.bytes == *bytes
            {
                return Ok(Arc::clone(&entry.key));
            }
        }
        let key = Arc::new(record::decode(bytes, sealer, tenant, id)?);
        let mut entries = shard.write().unwrap_or_else(PoisonError::into_inner);
        // Forgets count under the write lock, so none can slip in between this check and
        // the insert.
        if self.forgets[Self::index(id)].load(Ordering::Acquire) != ticket.0 {
            return Ok(key);
        }
        if entries.len() >= PER_SHARD && !entries.contains_key(id) {
            entries.clear();
        }
        entries.insert(
            *id,
            Entry {
                tenant: tenant.clone(),
                bytes: bytes.into(),
                key: Arc::clone(&key),
            },
        );
        Ok(key)
    }

    /// Drops what is kept of `id` (its record is gone), so a deleted or purged key's
    /// material does not stay in memory until its shard happens to be emptied.
    pub(crate) fn forget(&self, id: &KeyId) {
        let mut entries = self
            .shard(id)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        self.forgets[Self::index(id)].fetch_add(1, Ordering::AcqRel);
        entries.remove(id);
    }

    /// Drops everything kept (a reset removed the records).
    pub(crate) fn clear(&self) {
        for (shard, forgets) in self.shards.iter().zip(&self.forgets) {
            let mut entries = shard.write().unwrap_or_else(PoisonError::into_inner);
            forgets.fetch_add(1, Ordering::AcqRel);
            entries.clear();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

impl std::fmt::Debug for DecodedKeys {
    // Entries hold unsealed material: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedKeys").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kms;
    use crate::algorithm::KeyUsage;
    use crate::engine::CreateKey;
    use crate::seal::RootKey;
    use crate::spec::{KeySpec, Origin};
    use crate::store::{KeyStore, MemoryStore};
    use crate::tags::Tags;

    fn tenant() -> TenantId {
        TenantId::new("t").unwrap()
    }

    #[test]
    fn same_bytes_same_key_other_bytes_decoded_afresh() {
        let store = Arc::new(MemoryStore::new());
        let root = RootKey::from_bytes([7; 32]);
        let kms = Kms::builder(store.clone(), &root).build();
        let sealer = Sealer::new(&root);
        let key = kms
            .create_key(
                &tenant(),
                CreateKey {
                    spec: KeySpec::Aes256,
                    usage: KeyUsage::EncryptDecrypt,
                    origin: Origin::Generated,
                    description: "one".into(),
                    tags: Tags::default(),
                },
            )
            .unwrap();
        let id = key.key_id;
        let cache = DecodedKeys::default();
        let bytes = store.get(&tenant(), &id).unwrap().unwrap();
        let a = cache
            .decode(cache.ticket(&id), &bytes, &sealer, &tenant(), &id)
            .unwrap();
        let b = cache
            .decode(cache.ticket(&id), &bytes, &sealer, &tenant(), &id)
            .unwrap();
        assert!(
            Arc::ptr_eq(&a, &b),
            "unchanged bytes: the decoded key is reused"
        );

        kms.update_key_description(&tenant(), &id, "two".into())
            .unwrap();
        let changed = store.get(&tenant(), &id).unwrap().unwrap();
        let c = cache
            .decode(cache.ticket(&id), &changed, &sealer, &tenant(), &id)
            .unwrap();
        assert_eq!(c.description, "two");

        let other = TenantId::new("u").unwrap();
        assert!(
            cache
                .decode(cache.ticket(&id), &changed, &sealer, &other, &id)
                .is_err(),
            "a record's bytes never open for another place, cached or not"
        );
        let mut forged = changed.clone();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert!(
            cache
                .decode(cache.ticket(&id), &forged, &sealer, &tenant(), &id)
                .is_err()
        );

        cache
            .decode(cache.ticket(&id), &changed, &sealer, &tenant(), &id)
            .unwrap();
        assert_eq!(cache.len(), 1);
        cache.forget(&id);
        assert_eq!(cache.len(), 0, "a forgotten key keeps nothing");
        cache
            .decode(cache.ticket(&id), &changed, &sealer, &tenant(), &id)
            .unwrap();
        cache.clear();
        assert_eq!(cache.len(), 0);

        // Read before a forget, decoded after it: answered, not kept.
        let ticket = cache.ticket(&id);
        cache.forget(&id);
        let late = cache
            .decode(ticket, &changed, &sealer, &tenant(), &id)
            .unwrap();
        assert_eq!(late.description, "two");
        assert_eq!(cache.len(), 0, "decoded from bytes read before the forget");
        cache
            .decode(cache.ticket(&id), &changed, &sealer, &tenant(), &id)
            .unwrap();
        assert_eq!(cache.len(), 1, "a ticket taken after the forget keeps it");
    }

    #[test]
    fn bounded() {
        let store = Arc::new(MemoryStore::new());
        let root = RootKey::from_bytes([7; 32]);
        let kms = Kms::builder(store.clone(), &root).build();
        let sealer = Sealer::new(&root);
        let cache = DecodedKeys::default();
        for _ in 0..(SHARDS * PER_SHARD + 500) {
            let id = kms
                .create_key(
                    &tenant(),
                    CreateKey {
                        spec: KeySpec::Aes256,
                        usage: KeyUsage::EncryptDecrypt,
                        origin: Origin::Generated,
                        description: String::new(),
                        tags: Tags::default(),
                    },
                )
                .unwrap()
                .key_id;
            let bytes = store.get(&tenant(), &id).unwrap().unwrap();
            cache
                .decode(cache.ticket(&id), &bytes, &sealer, &tenant(), &id)
                .unwrap();
        }
        assert!(cache.len() <= SHARDS * PER_SHARD);
    }
}
