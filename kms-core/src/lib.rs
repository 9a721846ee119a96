//! # kms-core
//!
//! The protocol-neutral engine of kmsgate: keys and their lifecycle, the bring-your-own-key
//! import flow (import parameters, tokens, unwrapping, material rules, expiry), the
//! cryptography that uses the material, and sealed storage. It knows no cloud and no wire
//! format: dialect crates translate each cloud's API into calls on [`Kms`].
//!
//! ```
//! use std::sync::Arc;
//! use kms_core::{
//!     CreateKey, EncryptionContext, Kms, KeySpec, KeyStateKind, KeyUsage, MemoryStore, Origin,
//!     RootKey, TenantId,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let kms = Kms::builder(Arc::new(MemoryStore::new()), &RootKey::generate()?).build();
//! let tenant = TenantId::new("acme/eu-west-1")?;
//! let key = kms.create_key(&tenant, CreateKey {
//!     spec: KeySpec::Aes256,
//!     usage: KeyUsage::EncryptDecrypt,
//!     origin: Origin::Generated,
//!     description: "orders".into(),
//!     tags: Default::default(),
//! })?;
//! assert_eq!(key.state, KeyStateKind::Enabled);
//!
//! let ctx: EncryptionContext = [("table", "orders")].into_iter().collect();
//! let blob = kms.encrypt(&tenant, &key.key_id, b"card 4111", &ctx)?;
//! let back = kms.decrypt(&tenant, &blob, &ctx)?; // the blob names its key
//! assert_eq!(back.plaintext.expose(), b"card 4111");
//! # Ok(())
//! # }
//! ```

mod algorithm;
mod alias;
mod authentic;
mod ciphertext;
mod data_dir;
mod engine;
mod error;
mod ids;
mod key;
mod key_materials;
mod lifecycle;
mod material;
pub mod periodic;
mod priority;
mod record;
mod rotation;
mod seal;
mod secret;
mod spec;
pub mod store;
mod tags;
// Also compiled for kms-core's own tests, which start a throwaway PostgreSQL through it.
#[cfg(any(test, feature = "test-suite"))]
pub mod testing;
mod time;
mod token;
pub mod wrapping;

pub use algorithm::{
    Algorithm, EncryptionAlgorithm, KeyUsage, MacAlgorithm, MessageType, SigningAlgorithm,
};
pub use alias::{AliasEntry, AliasName};
pub use ciphertext::{BLOB_MATERIAL_ID_LEN, BLOB_OVERHEAD, EncryptionContext};
pub use data_dir::{DATABASE_FILE, DataDir, DataDirError, ROOT_KEY_FILE, create_private_file};
pub use engine::{
    AliasPage, CreateKey, DEFAULT_IMPORT_TOKEN_TTL, DataKey, Decrypted, ImportLayers,
    ImportOutcome, ImportParameters, ImportRequest, KeyPage, KeyStateCounts, Kms, KmsBuilder,
    NewMaterialOptions, PageSize, PublicKey, ReEncrypted, ResetReport, Retarget, SeedConflict,
    SeedError, SeedKey, SeedMaterial, Seeded, Signature, SweepReport, SweepStats, Sweeper,
    UpgradeReport,
};
pub use error::{InternalError, KmsError, MaterialProblem, Operation, ValidationError, verdict};
pub use ids::{KeyId, TenantId};
pub use key::{KeyDescription, MAX_MATERIALS, MaterialClaim};
pub use key_materials::{KeyMaterialInfo, MaterialPresence, MaterialRole, Rotation, RotationType};
pub use lifecycle::{
    DeletionPolicy, ImportPolicy, KeyStateKind, MaterialDeletionPolicy, TogglePolicy,
};
pub use rotation::{OnDemandRules, RotationPeriod, RotationPeriodOutOfRange, RotationStatus};
pub use seal::{MaterialId, RootKey};
pub use secret::SecretBytes;
pub use spec::{
    ByteCount, DataKeySpec, DeletionWindow, Expiry, HmacLengths, KeyFamily, KeySpec, Origin,
};
pub use store::{ClearReport, KeyStore, MemoryStore, OpenError, RedbStore, StoreError};
#[cfg(feature = "postgres")]
pub use store::{PostgresOptions, PostgresStore, PostgresUrl};
pub use tags::Tags;
pub use time::{
    Clock, ClockError, ClockMove, ClockState, Clocks, EmulatedClock, ManualClock, SystemClock,
    Timestamp,
};
pub use token::ImportToken;
pub use wrapping::{EncryptedMaterial, WrappingAlgorithm, WrappingKeyPair, WrappingKeySpec};
