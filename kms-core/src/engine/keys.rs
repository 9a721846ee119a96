//! Creating, finding and managing keys.

use super::Kms;
use crate::algorithm::KeyUsage;
use crate::error::{InternalError, KmsError, ValidationError};
use crate::ids::{KeyId, TenantId};
use crate::key::{Key, KeyDescription};
use crate::key_materials::Entry;
use crate::lifecycle::{DeletionPolicy, KeyState, TogglePolicy};
use crate::material;
use crate::record;
use crate::spec::{DeletionWindow, Expiry, KeySpec, Origin};
use crate::tags::Tags;

#[derive(Clone, Debug)]
pub struct CreateKey {
    pub spec: KeySpec,
    /// Must be one of `spec.usages()`, else `UsageNotAllowed` and nothing is written.
    pub usage: KeyUsage,
    pub origin: Origin,
    pub description: String,
    pub tags: Tags,
}

/// How many keys one listing page holds: 1 to 1000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSize(usize);

impl PageSize {
    pub const MAX: usize = 1000;

    pub fn new(n: usize) -> Result<Self, ValidationError> {
        if (1..=Self::MAX).contains(&n) {
            Ok(PageSize(n))
        } else {
            Err(ValidationError::PageSizeOutOfRange { max: Self::MAX })
        }
    }

    pub fn get(self) -> usize {
        self.0
    }
}

#[derive(Clone, Debug)]
pub struct KeyPage {
    pub keys: Vec<KeyDescription>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<KeyId>,
}

pub(crate) use crate::secret::random_bytes;

impl Kms {
    /// A generated key starts Enabled with fresh material that never expires; an external key
    /// starts PendingImport with none.
    pub fn create_key(
        &self,
        tenant: &TenantId,
        request: CreateKey,
    ) -> Result<KeyDescription, KmsError> {
        if !request.spec.allows(request.usage) {
            return Err(KmsError::UsageNotAllowed {
                spec: request.spec,
                usage: request.usage,
            });
        }
        let now = self.clock.now();
        let id = KeyId::random();
        let state = match request.origin {
            Origin::Generated => {
                // RSA takes up to seconds; no lock is held yet.
                let secret = material::generate(request.spec)?.into_secret();
                let material_id = self.sealer.material_id(&id, secret.expose());
                let entry = Entry::new(material_id, secret, Expiry::Never, Origin::Generated, now);
                KeyState::first(entry, false)
            }
            Origin::External => KeyState::PendingImport(None),
        };
        let key = Key {
            id,
            tenant: tenant.clone(),
            spec: request.spec,
            usage: request.usage,
            origin: request.origin,
            description: request.description,
            created_at: now,
            tags: request.tags,
            state,
            rotation: None,
        };
        let bytes = record::encode(&key, &self.sealer)?;
        // A v4 UUID collision is astronomically unlikely; never overwrite if it happens.
        if !self.store.insert(tenant, &id, bytes)? {
            return Err(KmsError::Internal(InternalError::CorruptRecord(
                "key id collision",
            )));
        }
        Ok(key.describe())
    }

    pub fn describe_key(&self, tenant: &TenantId, id: &KeyId) -> Result<KeyDescription, KmsError> {
        self.read_key(tenant, id, |k, _| Ok(k.describe()))
    }

    /// One page of a tenant's keys in key id order; unreadable records are left out.
    pub fn list_keys(
        &self,
        tenant: &TenantId,
        after: Option<&KeyId>,
        size: PageSize,
    ) -> Result<KeyPage, KmsError> {
        let mut raw = self.store.list(tenant, after, size.get() + 1)?;
        let more = raw.len() > size.get();
        raw.truncate(size.get());
        let next = if more {
            raw.last().map(|(id, _)| *id)
        } else {
            None
        };
        let mut keys = Vec::with_capacity(raw.len());
        for (id, bytes) in &raw {
            // One unreadable record must not take the tenant's listing down: it is skipped
            // (its decoding logged it, and `count_by_state` counts it), while describing or
            // using that key still answers the internal error.
            if let Ok(Some(key)) = self.peek(tenant, id, bytes) {
                keys.push(key.describe());
            }
        }
        Ok(KeyPage { keys, next })
    }

    pub fn enable_key(&self, tenant: &TenantId, id: &KeyId) -> Result<KeyDescription, KmsError> {
        self.enable_key_with(tenant, id, TogglePolicy::default())
    }

    /// [`Kms::enable_key`], with `policy` deciding what enabling an Enabled key does.
    pub fn enable_key_with(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        policy: TogglePolicy,
    ) -> Result<KeyDescription, KmsError> {
        self.with_key(tenant, id, |k, now| {
            let next = k.enable(now, policy)?;
            let description = next.describe();
            Ok((Some(next), description))
        })
    }

    pub fn disable_key(&self, tenant: &TenantId, id: &KeyId) -> Result<KeyDescription, KmsError> {
        self.disable_key_with(tenant, id, TogglePolicy::default())
    }

    /// [`Kms::disable_key`], with `policy` deciding what disabling a Disabled key does.
    pub fn disable_key_with(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        policy: TogglePolicy,
    ) -> Result<KeyDescription, KmsError> {
        self.transition(tenant, id, |k| k.disable(policy))
    }

    /// The key is purged once `window` has passed (judged by the engine's clock).
    pub fn schedule_key_deletion(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        window: DeletionWindow,
        policy: DeletionPolicy,
    ) -> Result<KeyDescription, KmsError> {
        self.with_key(tenant, id, |k, now| {
            let next = k.schedule_deletion(now.saturating_add(window.duration()), policy)?;
            let description = next.describe();
            Ok((Some(next), description))
        })
    }

    pub fn cancel_key_deletion(
        &self,
        tenant: &TenantId,
        id: &KeyId,
    ) -> Result<KeyDescription, KmsError> {
        self.transition(tenant, id, Key::cancel_deletion)
    }

    pub fn update_key_description(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        description: String,
    ) -> Result<KeyDescription, KmsError> {
        self.transition(tenant, id, |k| k.with_description(description))
    }

    /// Adds or overwrites tags, all or nothing.
    pub fn tag_key(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        tags: &Tags,
    ) -> Result<KeyDescription, KmsError> {
        self.transition(tenant, id, |k| {
            k.with_tags(|t| t.merge(tags.iter().map(|(k, v)| (k.to_owned(), v.to_owned()))))
        })
    }

    /// Removes the named tags; names the key does not carry are ignored.
    pub fn untag_key(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        tag_keys: &[String],
    ) -> Result<KeyDescription, KmsError> {
        self.transition(tenant, id, |k| {
            k.with_tags(|t| {
                t.remove(tag_keys.iter().map(String::as_str));
                Ok(())
            })
        })
    }

    pub(super) fn transition(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        step: impl FnOnce(&Key) -> Result<Key, KmsError>,
    ) -> Result<KeyDescription, KmsError> {
        self.with_key(tenant, id, |k, _| {
            let next = step(k)?;
            let description = next.describe();
            Ok((Some(next), description))
        })
    }
}
