//! The engine: the operations a dialect calls. Each one reads a key, asks the key (and so
//! the lifecycle state machine) for the change, and writes it back in one atomic store
//! update. Slow work (RSA and SM2 unwrapping, key pair generation) happens before that
//! update, never inside it.

mod aliases;
mod asymmetric;
mod crypto;
mod decoded;
mod import;
mod key_pairs;
mod keys;
mod mac;
mod operator;
mod rotation;
mod seed;
mod sweep;
mod upgrade;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use aliases::{AliasPage, Retarget};
pub use asymmetric::{PublicKey, Signature};
pub use crypto::{DataKey, Decrypted, ReEncrypted};
pub use import::{
    ImportLayers, ImportOutcome, ImportParameters, ImportRequest, NewMaterialOptions,
};
pub use keys::{CreateKey, KeyPage, PageSize};
pub use operator::{KeyStateCounts, ResetReport};
pub use seed::{SeedConflict, SeedError, SeedKey, SeedMaterial, Seeded};
pub use sweep::{SweepReport, SweepStats, Sweeper};
pub use upgrade::UpgradeReport;

use crate::error::{InternalError, KmsError};
use crate::ids::{KeyId, TenantId};
use crate::key::{AgedKey, Key};
use crate::key_materials::Entry;
use crate::lifecycle::Aged;
use crate::material;
use crate::record;
use crate::seal::{RootKey, Sealer};
use crate::spec::{Expiry, Origin};
use crate::store::{Change, KeyStore};
use crate::time::{Clock, SystemClock, Timestamp};
use crate::wrapping::{FreshKeyPairs, KeyPairSource, RecentPairs};

/// How long import tokens (and their wrapping public keys) stay valid unless configured.
pub const DEFAULT_IMPORT_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// The KMS engine. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Kms {
    store: Arc<dyn KeyStore>,
    clock: Arc<dyn Clock>,
    key_pairs: Arc<dyn KeyPairSource>,
    sealer: Sealer,
    import_token_ttl: Duration,
    /// Pairs of recent answers, so imports need not decode the key their token carries.
    recent_pairs: RecentPairs,
    /// Keys as last decoded, for reads of records unchanged since.
    decoded: decoded::DecodedKeys,
}

/// Builds a [`Kms`]: a store and a root key are required, the rest has defaults.
pub struct KmsBuilder {
    store: Arc<dyn KeyStore>,
    sealer: Sealer,
    clock: Arc<dyn Clock>,
    key_pairs: Arc<dyn KeyPairSource>,
    import_token_ttl: Duration,
}

impl Kms {
    pub fn builder(store: Arc<dyn KeyStore>, root_key: &RootKey) -> KmsBuilder {
        KmsBuilder {
            store,
            sealer: Sealer::new(root_key),
            clock: Arc::new(SystemClock),
            key_pairs: Arc::new(FreshKeyPairs),
            import_token_ttl: DEFAULT_IMPORT_TOKEN_TTL,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn store(&self) -> &Arc<dyn KeyStore> {
        &self.store
    }

    /// A 32-byte secret for a front end's own use (say, MACing the session tokens it
    /// issues), named by `label`. Derived from the root key, so every process sharing a
    /// store (and so its root key) derives the same secret, and what one issues another
    /// verifies; distinct labels give unrelated secrets.
    pub fn front_end_secret(&self, label: &str) -> zeroize::Zeroizing<[u8; 32]> {
        self.sealer.front_end_secret(label.as_bytes())
    }

    /// Runs `op` on the key as time has left it, inside one atomic store update. `op` returns
    /// the key's next version (or `None` to leave it) and a result. If time changed the key
    /// (expired material, passed deletion date), that change is written even when `op` fails,
    /// so lazy expiry never depends on the operation succeeding.
    fn with_key<T>(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        op: impl FnOnce(&Key, Timestamp) -> Result<(Option<Key>, T), KmsError>,
    ) -> Result<T, KmsError> {
        let mut op = Some(op);
        let mut outcome: Option<Result<T, KmsError>> = None;
        self.store.update(tenant, id, &mut |current| {
            // Read once the store holds the key: time read before waiting for its lock could
            // judge the key as it was before a purge or an expiry others already saw.
            let now = self.clock.now();
            let (change, result) = self.decide(tenant, id, now, current, &mut op);
            outcome = Some(result);
            change
        })?;
        // A write leaves the kept decoding stale (it is only used for identical bytes), and a
        // delete or purge must not leave the material in memory.
        self.decoded.forget(id);
        outcome.unwrap_or(Err(KmsError::Internal(InternalError::CorruptRecord(
            "store skipped the update",
        ))))
    }

    fn decide<T, F>(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        now: Timestamp,
        current: Option<&[u8]>,
        op: &mut Option<F>,
    ) -> (Change, Result<T, KmsError>)
    where
        F: FnOnce(&Key, Timestamp) -> Result<(Option<Key>, T), KmsError>,
    {
        let not_found = || KmsError::KeyNotFound { key_id: *id };
        let Some(bytes) = current else {
            return (Change::Keep, Err(not_found()));
        };
        let key = match record::decode(bytes, &self.sealer, tenant, id) {
            Ok(k) => k,
            Err(e) => return (Change::Keep, Err(e)),
        };
        let (key, aged) = match self.age(&key, now) {
            Ok(AgedKey::Purged) => return (Change::Delete, Err(not_found())),
            Ok(AgedKey::Changed(next)) => (*next, true),
            Ok(AgedKey::Unchanged) => (key, false),
            Err(e) => return (Change::Keep, Err(e)),
        };
        let Some(op) = op.take() else {
            return (
                Change::Keep,
                Err(KmsError::Internal(InternalError::CorruptRecord(
                    "store ran an update twice",
                ))),
            );
        };
        let (write, result) = match op(&key, now) {
            Ok((Some(next), value)) => (Some(next), Ok(value)),
            Ok((None, value)) => (aged.then_some(key), Ok(value)),
            Err(e) => (aged.then_some(key), Err(e)),
        };
        match write {
            None => (Change::Keep, result),
            Some(k) => match record::encode(&k, &self.sealer) {
                Ok(bytes) => (Change::Put(bytes), result),
                Err(e) => (Change::Keep, Err(e)),
            },
        }
    }

    /// Runs `op` on the key as time has left it, reading only: no store write and no write
    /// lock, so reads never queue behind writers. If time changed the key since it was
    /// written (expired material, passed deletion date), the change is written first through
    /// [`Kms::with_key`], which re-reads and re-ages the key inside the write and runs `op`
    /// there: an expired key never acts as unexpired because the write was deferred.
    fn read_key<T>(
        &self,
        tenant: &TenantId,
        id: &KeyId,
        op: impl FnOnce(&Key, Timestamp) -> Result<T, KmsError>,
    ) -> Result<T, KmsError> {
        let now = self.clock.now();
        let ticket = self.decoded.ticket(id);
        let Some(bytes) = self.store.get(tenant, id)? else {
            self.decoded.forget(id);
            return Err(KmsError::KeyNotFound { key_id: *id });
        };
        let key = self
            .decoded
            .decode(ticket, &bytes, &self.sealer, tenant, id)?;
        if key.is_due(now) {
            self.with_key(tenant, id, |k, now| op(k, now).map(|v| (None, v)))
        } else {
            op(&key, now)
        }
    }

    /// What time does to `key` at `now`: [`Key::age`], with fresh generated material for
    /// automatic rotations (symmetric material: random bytes, cheap inside the update).
    fn age(&self, key: &Key, now: Timestamp) -> Result<AgedKey, KmsError> {
        key.age(now, &mut |at| self.fresh_entry(key, at))
    }

    /// New generated material for `key`, with its id, as of `at`.
    fn fresh_entry(&self, key: &Key, at: Timestamp) -> Result<Entry, KmsError> {
        let secret = material::generate(key.spec)?.into_secret();
        let id = self.sealer.material_id(&key.id, secret.expose());
        Ok(Entry::new(id, secret, Expiry::Never, Origin::Generated, at))
    }

    /// Reads a key as time has left it, without writing (for listings and counts): expiry
    /// and purges apply; a due automatic rotation does not (it needs material that would
    /// then exist only in this answer), so a listing may show the current material until the
    /// key's next access or sweep rotates it.
    fn peek(&self, tenant: &TenantId, id: &KeyId, bytes: &[u8]) -> Result<Option<Key>, KmsError> {
        let key = record::decode(bytes, &self.sealer, tenant, id)?;
        Ok(match key.state.age(self.clock.now()) {
            Aged::Purged => None,
            Aged::Changed(state) => Some(Key {
                state: *state,
                ..key
            }),
            Aged::Unchanged => Some(key),
        })
    }
}

impl KmsBuilder {
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where wrapping key pairs come from; a server should pass a
    /// [`crate::wrapping::KeyPairPool`].
    pub fn key_pairs(mut self, source: Arc<dyn KeyPairSource>) -> Self {
        self.key_pairs = source;
        self
    }

    /// At least one second: a zero validity would issue tokens that are expired on arrival.
    pub fn import_token_ttl(mut self, ttl: Duration) -> Self {
        self.import_token_ttl = ttl.max(Duration::from_secs(1));
        self
    }

    pub fn build(self) -> Kms {
        Kms {
            store: self.store,
            clock: self.clock,
            key_pairs: self.key_pairs,
            sealer: self.sealer,
            import_token_ttl: self.import_token_ttl,
            recent_pairs: RecentPairs::default(),
            decoded: decoded::DecodedKeys::default(),
        }
    }
}

impl fmt::Debug for Kms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kms")
            .field("store", &self.store)
            .field("clock", &self.clock)
            .field("key_pairs", &self.key_pairs)
            .field("import_token_ttl", &self.import_token_ttl)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for KmsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsBuilder").finish_non_exhaustive()
    }
}
