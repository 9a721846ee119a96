//! Keys declared up front (a seed file): created with a fixed id, or left alone when they
//! already exist as declared. Seeding is idempotent so a server can apply the same
//! declarations at every start; it never overwrites what the key's users changed since
//! (state, description, tags, expiry), and it refuses (changing nothing) what would make a
//! declared key a different key: another spec, usage, origin or material, or an alias held by
//! another key. A declared key has the usage declared (one its spec allows); its material
//! follows the import rules (`material::accept`: asymmetric keys as PKCS#8, kept canonical).

use std::fmt;

use super::Kms;
use crate::algorithm::KeyUsage;
use crate::alias::AliasName;
use crate::engine::NewMaterialOptions;
use crate::error::{InternalError, KmsError};
use crate::ids::{KeyId, TenantId};
use crate::key::{AgedKey, Key, MaterialClaim};
use crate::key_materials::Entry;
use crate::lifecycle::{ImportPolicy, KeyState, TogglePolicy};
use crate::material;
use crate::record;
use crate::secret::SecretBytes;
use crate::spec::{Expiry, KeySpec, Origin};
use crate::store::Change;
use crate::tags::Tags;

/// One declared key.
#[derive(Clone, Debug)]
pub struct SeedKey {
    pub id: KeyId,
    pub spec: KeySpec,
    /// One of the spec's usages ([`KeySpec::allows`]).
    pub usage: KeyUsage,
    pub origin: Origin,
    pub description: String,
    pub tags: Tags,
    pub material: SeedMaterial,
    /// Only keys that hold material can be disabled; see [`SeedMaterial`].
    pub enabled: bool,
    /// Names in the core's alias namespace (a dialect has already turned its own names into
    /// these).
    pub aliases: Vec<AliasName>,
}

/// What material a declared key starts with.
#[derive(Clone, Debug)]
pub enum SeedMaterial {
    /// A generated key gets fresh random material; an external key waits for an import.
    Absent,
    /// This material, as if generated with it (generated keys, whose material never expires)
    /// or imported (external keys, with the expiry given).
    Given { secret: SecretBytes, expiry: Expiry },
}

/// What seeding did with one declared key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seeded {
    Created,
    /// It existed as an external key that never had material, and now holds the declared
    /// material.
    Imported,
    /// It existed as declared (attributes its users changed since are left as they are).
    Kept,
}

/// Why a declared key was not seeded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The declaration contradicts the store; nothing was changed.
    #[error("{0}")]
    Conflict(SeedConflict),
    /// The declaration is not a key the core can make, or the store failed.
    #[error(transparent)]
    Kms(#[from] KmsError),
}

#[derive(Debug, PartialEq, Eq)]
pub enum SeedConflict {
    /// A key with this id exists and differs in `what` (spec, usage, origin, material).
    KeyDiffers { key_id: KeyId, what: &'static str },
    /// The alias names another key.
    AliasTaken { alias: AliasName, target: KeyId },
    /// The declaration itself is impossible (`why` says how).
    Impossible { why: &'static str },
}

impl fmt::Display for SeedConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedConflict::KeyDiffers { key_id, what } => write!(
                f,
                "key {key_id} already exists with another {what}; remove it (reset) or change the entry"
            ),
            SeedConflict::AliasTaken { alias, target } => {
                write!(f, "alias {alias} already names key {target}")
            }
            SeedConflict::Impossible { why } => f.write_str(why),
        }
    }
}

impl Kms {
    /// Creates the declared key and its aliases, or checks that they exist as declared. A
    /// refusal changes nothing: aliases are checked before the key is written, and if one is
    /// taken meanwhile, what this wrote (the key's creation, or the declared material given to
    /// a pending key, and the aliases it created) is taken back, unless a client changed it
    /// since: that change is the client's, and stays.
    pub fn seed_key(&self, tenant: &TenantId, seed: &SeedKey) -> Result<Seeded, SeedError> {
        // Generating material (an RSA key pair takes a while) only for a key not stored: a
        // key kept at every start is never generated again. One gone by the write (purged)
        // is generated then.
        let stored = self.store.get(tenant, &seed.id).map_err(KmsError::from)?;
        let generate = if stored.is_some() {
            Generate::OnlyIfAbsent
        } else {
            Generate::Now
        };
        let fresh = self.fresh_seed_key(tenant, seed, generate)?;
        self.check_seed_aliases(tenant, seed)?;
        let (seeded, written) = match self.put_seed_key(tenant, seed, &fresh)? {
            Some(put) => put,
            None => {
                let fresh = self.fresh_seed_key(tenant, seed, Generate::Now)?;
                self.put_seed_key(tenant, seed, &fresh)?
                    .ok_or(SeedError::Kms(KmsError::Internal(
                        InternalError::CorruptRecord(
                            "a seeded key's generated material went missing",
                        ),
                    )))?
            }
        };
        let mut created_aliases = Vec::new();
        for alias in &seed.aliases {
            let outcome = match self.resolve_alias(tenant, alias) {
                Ok(target) if target == seed.id => Ok(()),
                Ok(target) => Err(SeedError::Conflict(SeedConflict::AliasTaken {
                    alias: alias.clone(),
                    target,
                })),
                Err(KmsError::AliasNotFound { .. }) => {
                    match self.create_alias(tenant, alias, &seed.id) {
                        Ok(_) => {
                            created_aliases.push(alias);
                            Ok(())
                        }
                        // Taken between the lookup and the write: the same conflict.
                        Err(KmsError::AliasExists { .. }) => {
                            Err(match self.resolve_alias(tenant, alias) {
                                Ok(target) => SeedError::Conflict(SeedConflict::AliasTaken {
                                    alias: alias.clone(),
                                    target,
                                }),
                                Err(e) => e.into(),
                            })
                        }
                        Err(e) => Err(e.into()),
                    }
                }
                Err(e) => Err(e.into()),
            };
            if let Err(e) = outcome {
                // Best effort: if the store fails here too, the next start reports it.
                for alias in created_aliases {
                    let _ = self.delete_alias_naming(tenant, alias, &seed.id);
                }
                if let Some(written) = &written {
                    let _ = self
                        .store
                        .update(tenant, &seed.id, &mut |current| written.take_back(current));
                    // As every write through `with_key` does: no stale or deleted material
                    // stays decoded in memory.
                    self.decoded.forget(&seed.id);
                }
                return Err(e);
            }
        }
        Ok(seeded)
    }

    /// What [`Kms::seed_key`] would do, without doing it: a server checks every entry of a
    /// file this way first, so a file with one bad entry changes nothing.
    pub fn check_seed_key(&self, tenant: &TenantId, seed: &SeedKey) -> Result<Seeded, SeedError> {
        // Never generates: only given material is compared with an existing key's.
        let fresh = self.fresh_seed_key(tenant, seed, Generate::OnlyIfAbsent)?;
        self.check_seed_aliases(tenant, seed)?;
        let now = self.clock.now();
        let Some(bytes) = self.store.get(tenant, &seed.id).map_err(KmsError::from)? else {
            return creatable(seed, now);
        };
        let key = record::decode(&bytes, &self.sealer, tenant, &seed.id)?;
        let key = match self.age(&key, now)? {
            AgedKey::Purged => return creatable(seed, now),
            AgedKey::Changed(next) => *next,
            AgedKey::Unchanged => key,
        };
        Ok(match reconcile(&key, seed, &fresh, now)? {
            Some(_) => Seeded::Imported,
            None => Seeded::Kept,
        })
    }

    /// The key as the declaration makes it, before anything is stored.
    /// With [`Generate::OnlyIfAbsent`], a generated key whose material the entry does not
    /// give is made without it (PendingImport), which [`Kms::put_seed_key`] never writes.
    fn fresh_seed_key(
        &self,
        tenant: &TenantId,
        seed: &SeedKey,
        generate: Generate,
    ) -> Result<Key, SeedError> {
        let impossible = |why| Err(SeedError::Conflict(SeedConflict::Impossible { why }));
        if !seed.spec.allows(seed.usage) {
            return Err(KmsError::UsageNotAllowed {
                spec: seed.spec,
                usage: seed.usage,
            }
            .into());
        }
        let now = self.clock.now();
        let (secret, expiry) = match (&seed.material, seed.origin) {
            (SeedMaterial::Absent, Origin::External) => {
                if !seed.enabled {
                    return impossible(
                        "an external key without material is pending import; only keys with material can be disabled",
                    );
                }
                (None, Expiry::Never)
            }
            (SeedMaterial::Absent, Origin::Generated) => match generate {
                Generate::Now => (
                    Some(material::generate(seed.spec)?.into_secret()),
                    Expiry::Never,
                ),
                Generate::OnlyIfAbsent => (None, Expiry::Never),
            },
            (SeedMaterial::Given { expiry, .. }, Origin::Generated) if *expiry != Expiry::Never => {
                return impossible(
                    "generated material never expires; expiry is for imported material",
                );
            }
            // Whether the expiry is still ahead matters only when the key is created (or gets
            // the material): a key already holding it is kept however time has moved since.
            // Asymmetric material is kept in its canonical encoding, as an import keeps it.
            (SeedMaterial::Given { secret, expiry }, _) => (
                Some(material::accept(seed.spec, secret.clone())?.into_secret()),
                *expiry,
            ),
        };
        let state = match secret {
            None => KeyState::PendingImport(None),
            Some(secret) => {
                let material_id = self.sealer.material_id(&seed.id, secret.expose());
                let entry = Entry::new(material_id, secret, expiry, seed.origin, now);
                KeyState::first(entry, !seed.enabled)
            }
        };
        Ok(Key {
            id: seed.id,
            tenant: tenant.clone(),
            spec: seed.spec,
            usage: seed.usage,
            origin: seed.origin,
            description: seed.description.clone(),
            created_at: now,
            tags: seed.tags.clone(),
            state,
            rotation: None,
        })
    }

    fn check_seed_aliases(&self, tenant: &TenantId, seed: &SeedKey) -> Result<(), SeedError> {
        for alias in &seed.aliases {
            match self.resolve_alias(tenant, alias) {
                Ok(target) if target != seed.id => {
                    return Err(SeedError::Conflict(SeedConflict::AliasTaken {
                        alias: alias.clone(),
                        target,
                    }));
                }
                Ok(_) | Err(KmsError::AliasNotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Writes `fresh` unless a key with its id exists; an existing key must agree with it in
    /// spec, usage, origin and (declared) material. A purged key (its deletion date passed) counts as
    /// absent. An external key that never had material gets the declared material, as an
    /// import would give it. With the outcome, what was written, to take it back.
    fn put_seed_key(
        &self,
        tenant: &TenantId,
        seed: &SeedKey,
        fresh: &Key,
    ) -> Result<Option<(Seeded, Option<Written>)>, SeedError> {
        let bytes = record::encode(fresh, &self.sealer)?;
        let ungenerated = matches!(
            (&seed.material, seed.origin),
            (SeedMaterial::Absent, Origin::Generated)
        ) && fresh.material_id().is_none();
        let mut absent = false;
        let mut outcome: Option<Result<Seeded, SeedError>> = None;
        let mut written = None;
        self.store
            .update(tenant, &seed.id, &mut |current| {
                absent = false;
                let (result, change) = self.seed_change(tenant, seed, fresh, &bytes, current);
                // Created without its material: leave it to a call with the material.
                if ungenerated && matches!(change, Change::Put(_)) {
                    absent = true;
                    outcome = None;
                    written = None;
                    return Change::Keep;
                }
                outcome = Some(result);
                written = match &change {
                    Change::Put(record) => Some(Written {
                        record: record.clone(),
                        before: current.map(<[u8]>::to_vec),
                    }),
                    Change::Keep | Change::Delete => None,
                };
                change
            })
            .map_err(KmsError::from)?;
        if absent {
            return Ok(None);
        }
        let seeded = outcome.unwrap_or(Err(SeedError::Kms(KmsError::Internal(
            InternalError::CorruptRecord("store skipped the update"),
        ))))?;
        Ok(Some((seeded, written)))
    }

    /// [`Kms::put_seed_key`]'s decision about the stored record `current` (`bytes`: `fresh`
    /// encoded).
    fn seed_change(
        &self,
        tenant: &TenantId,
        seed: &SeedKey,
        fresh: &Key,
        bytes: &[u8],
        current: Option<&[u8]>,
    ) -> (Result<Seeded, SeedError>, Change) {
        // Read once the store holds the key (see `Kms::with_key`).
        let now = self.clock.now();
        let existing = match current.map(|b| record::decode(b, &self.sealer, tenant, &seed.id)) {
            None => None,
            Some(Err(e)) => return (Err(e.into()), Change::Keep),
            Some(Ok(key)) => match self.age(&key, now) {
                Ok(AgedKey::Purged) => None,
                Ok(AgedKey::Changed(next)) => Some(*next),
                Ok(AgedKey::Unchanged) => Some(key),
                Err(e) => return (Err(e.into()), Change::Keep),
            },
        };
        let Some(key) = existing else {
            return match creatable(seed, now) {
                Ok(created) => (Ok(created), Change::Put(bytes.to_vec())),
                Err(e) => (Err(e), Change::Keep),
            };
        };
        match reconcile(&key, seed, fresh, now) {
            Ok(None) => (Ok(Seeded::Kept), Change::Keep),
            Ok(Some(next)) => match record::encode(&next, &self.sealer) {
                Ok(b) => (Ok(Seeded::Imported), Change::Put(b)),
                Err(e) => (Err(e.into()), Change::Keep),
            },
            Err(e) => (Err(e), Change::Keep),
        }
    }
}

/// Whether a declared generated key's material is generated before the store is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Generate {
    Now,
    OnlyIfAbsent,
}

/// A record seeding wrote, and the one it replaced (`None`: it created the key).
#[derive(Debug)]
struct Written {
    record: Vec<u8>,
    before: Option<Vec<u8>>,
}

impl Written {
    /// Puts back what was there, if the record is still the one written: a client's change
    /// since (its acknowledged write) is never undone.
    fn take_back(&self, current: Option<&[u8]>) -> Change {
        if current != Some(self.record.as_slice()) {
            return Change::Keep;
        }
        match &self.before {
            Some(before) => Change::Put(before.clone()),
            None => Change::Delete,
        }
    }
}

/// Whether a key can be created as declared now: its material must not have expired.
fn creatable(seed: &SeedKey, now: crate::time::Timestamp) -> Result<Seeded, SeedError> {
    match &seed.material {
        SeedMaterial::Given {
            expiry: Expiry::At(at),
            ..
        } if *at <= now => Err(KmsError::InvalidExpiry { expiry: *at, now }.into()),
        _ => Ok(Seeded::Created),
    }
}

/// How an existing key with a declared key's id relates to the declaration: the same key
/// (`None`: leave it), the same key still waiting for the declared material (its next
/// version), or another key.
fn reconcile(
    existing: &Key,
    seed: &SeedKey,
    fresh: &Key,
    now: crate::time::Timestamp,
) -> Result<Option<Key>, SeedError> {
    let differs = |what| {
        Err(SeedError::Conflict(SeedConflict::KeyDiffers {
            key_id: seed.id,
            what,
        }))
    };
    if existing.spec != seed.spec {
        return differs("key spec");
    }
    if existing.usage != seed.usage {
        return differs("key usage");
    }
    if existing.origin != seed.origin {
        return differs("origin");
    }
    // Only material the entry gives is compared: random or pending declarations accept
    // whatever the key got since.
    // A key rotated since still has its declared material, among its previous ones.
    let (SeedMaterial::Given { secret, expiry }, Some(declared)) =
        (&seed.material, fresh.material_id())
    else {
        return Ok(None);
    };
    match existing.material_id() {
        Some(_) if existing.knows_material(&declared) => Ok(None),
        Some(_) => differs("material"),
        None => {
            let imported = existing.import(
                material::accept(seed.spec, secret.clone())?,
                declared,
                *expiry,
                ImportPolicy::default(),
                MaterialClaim::Unspecified,
                NewMaterialOptions::default(),
                now,
            )?;
            if seed.enabled {
                Ok(Some(imported))
            } else {
                Ok(Some(imported.disable(TogglePolicy::default())?))
            }
        }
    }
}
