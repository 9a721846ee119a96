//! How a [`Key`] is written to a store: JSON with the material sealed, the whole record
//! authenticated for its place ([`crate::authentic`]). The sealed material's AAD names its
//! tenant and key as well, so a sealed blob copied into another record will not open.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::algorithm::KeyUsage;
use crate::authentic::{self, Legacy, Place, Unauthentic};
use crate::error::{InternalError, KmsError};
use crate::ids::{KeyId, TenantId};
use crate::key::Key;
use crate::lifecycle::{KeyState, Material};
use crate::seal::{MaterialId, Purpose, Sealer};
use crate::secret::SecretBytes;
use crate::spec::{Expiry, KeySpec, Origin};
use crate::tags::Tags;
use crate::time::Timestamp;

const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Record {
    format: u32,
    id: KeyId,
    tenant: TenantId,
    spec: KeySpec,
    /// Absent in records from before other usages existed: those are all symmetric keys.
    #[serde(default)]
    usage: KeyUsage,
    origin: Origin,
    description: String,
    created_at: Timestamp,
    material_id: Option<MaterialId>,
    #[serde(default)]
    tags: Tags,
    state: StoredState,
}

#[derive(Serialize, Deserialize)]
enum StoredState {
    Enabled(SealedMaterial),
    Disabled(SealedMaterial),
    PendingImport,
    PendingDeletion {
        deletion_date: Timestamp,
        material: Option<SealedMaterial>,
    },
}

#[derive(Serialize, Deserialize)]
struct SealedMaterial {
    sealed: String,
    expiry: Expiry,
}

fn aad(tenant: &TenantId, id: &KeyId) -> Vec<u8> {
    format!("kmsgate/v1/material/{tenant}\0{id}").into_bytes()
}

fn corrupt(what: &'static str) -> KmsError {
    KmsError::Internal(InternalError::CorruptRecord(what))
}

pub(crate) fn encode(key: &Key, sealer: &Sealer) -> Result<Vec<u8>, KmsError> {
    let aad = aad(&key.tenant, &key.id);
    let seal = |m: &Material| -> Result<SealedMaterial, KmsError> {
        let sealed = sealer.seal(Purpose::Material, &aad, m.secret.expose())?;
        Ok(SealedMaterial {
            sealed: STANDARD.encode(sealed),
            expiry: m.expiry,
        })
    };
    let state = match &key.state {
        KeyState::Enabled(m) => StoredState::Enabled(seal(m)?),
        KeyState::Disabled(m) => StoredState::Disabled(seal(m)?),
        KeyState::PendingImport => StoredState::PendingImport,
        KeyState::PendingDeletion {
            deletion_date,
            material,
        } => StoredState::PendingDeletion {
            deletion_date: *deletion_date,
            material: material.as_ref().map(seal).transpose()?,
        },
    };
    let record = Record {
        format: FORMAT,
        id: key.id,
        tenant: key.tenant.clone(),
        spec: key.spec,
        usage: key.usage,
        origin: key.origin,
        description: key.description.clone(),
        created_at: key.created_at,
        material_id: key.material_id,
        tags: key.tags.clone(),
        state,
    };
    let json = serde_json::to_vec(&record).map_err(|_| corrupt("serialise"))?;
    authentic::wrap(sealer, Place::Key(&key.tenant, &key.id), &json)
        .ok_or(KmsError::Internal(InternalError::Seal))
}

/// Whether the record stored under `tenant`/`id` proves that `sealer` has the store's root
/// key: an authenticated record does if it verifies; an unauthenticated one (from before the
/// upgrade) only if it holds material and the material opens. A record that fails is an
/// error.
pub(crate) fn proves_root(
    bytes: &[u8],
    sealer: &Sealer,
    tenant: &TenantId,
    id: &KeyId,
) -> Result<bool, KmsError> {
    let legacy =
        authentic::unwrap(sealer, Place::Key(tenant, id), bytes) == Err(Unauthentic::Legacy);
    let key = decode_as(bytes, sealer, tenant, id, Legacy::Accepted)?;
    Ok(!legacy || key.state.material().is_some())
}

/// Decodes the record stored under `tenant`/`id`; a record claiming another place is corrupt.
pub(crate) fn decode(
    bytes: &[u8],
    sealer: &Sealer,
    tenant: &TenantId,
    id: &KeyId,
) -> Result<Key, KmsError> {
    decode_as(bytes, sealer, tenant, id, Legacy::Refused)
}

pub(crate) fn decode_as(
    bytes: &[u8],
    sealer: &Sealer,
    tenant: &TenantId,
    id: &KeyId,
    legacy: Legacy,
) -> Result<Key, KmsError> {
    let json = authentic::payload(sealer, Place::Key(tenant, id), bytes, legacy)?;
    let record: Record = serde_json::from_slice(json).map_err(|_| corrupt("json"))?;
    if record.format != FORMAT {
        return Err(corrupt("format"));
    }
    if record.id != *id || record.tenant != *tenant {
        return Err(corrupt("misplaced"));
    }
    let aad = aad(tenant, id);
    let open = |m: SealedMaterial| -> Result<Material, KmsError> {
        let sealed = STANDARD.decode(m.sealed).map_err(|_| corrupt("base64"))?;
        let plain = sealer
            .open(Purpose::Material, &aad, &sealed)
            .ok_or_else(|| corrupt("sealed material does not open with this root key"))?;
        Ok(Material {
            secret: SecretBytes::from(plain.to_vec()),
            expiry: m.expiry,
        })
    };
    let state = match record.state {
        StoredState::Enabled(m) => KeyState::Enabled(open(m)?),
        StoredState::Disabled(m) => KeyState::Disabled(open(m)?),
        StoredState::PendingImport => KeyState::PendingImport,
        StoredState::PendingDeletion {
            deletion_date,
            material,
        } => KeyState::PendingDeletion {
            deletion_date,
            material: material.map(open).transpose()?,
        },
    };
    Ok(Key {
        id: record.id,
        tenant: record.tenant,
        spec: record.spec,
        usage: record.usage,
        origin: record.origin,
        description: record.description,
        created_at: record.created_at,
        material_id: record.material_id,
        tags: record.tags,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::RootKey;

    fn key(state: KeyState) -> Key {
        Key {
            id: KeyId::random(),
            tenant: TenantId::new("t").unwrap(),
            spec: KeySpec::Sm4,
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::External,
            description: "d".into(),
            created_at: Timestamp::from_secs(5),
            material_id: None,
            tags: Tags::from_pairs([("k".to_owned(), "v".to_owned())]).unwrap(),
            state,
        }
    }

    #[test]
    fn records_round_trip_and_keep_material_sealed() {
        let sealer = Sealer::new(&RootKey::from_bytes([3; 32]));
        let secret = b"0123456789abcdef".to_vec();
        let m = Material {
            secret: SecretBytes::from(secret.clone()),
            expiry: Expiry::At(Timestamp::from_secs(9)),
        };
        for state in [
            KeyState::Enabled(m.clone()),
            KeyState::Disabled(m.clone()),
            KeyState::PendingImport,
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(7),
                material: Some(m.clone()),
            },
        ] {
            let k = key(state);
            let bytes = encode(&k, &sealer).unwrap();
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_slice()));
            assert_eq!(decode(&bytes, &sealer, &k.tenant, &k.id).unwrap(), k);
            assert!(decode(&bytes, &sealer, &k.tenant, &KeyId::random()).is_err());
        }
        // The usage is stored with the key.
        let signing = Key {
            spec: KeySpec::EccNistP256,
            usage: KeyUsage::SignVerify,
            ..key(KeyState::Enabled(m.clone()))
        };
        let bytes = encode(&signing, &sealer).unwrap();
        assert_eq!(
            decode(&bytes, &sealer, &signing.tenant, &signing.id).unwrap(),
            signing
        );
        let k = key(KeyState::Enabled(m));
        let bytes = encode(&k, &sealer).unwrap();
        let other = Sealer::new(&RootKey::from_bytes([4; 32]));
        assert!(decode(&bytes, &other, &k.tenant, &k.id).is_err());
        assert!(decode(b"{", &sealer, &k.tenant, &k.id).is_err());
    }
}
