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
use crate::key_materials::{Entry, MaterialRole, Materials, Rotation};
use crate::lifecycle::KeyState;
use crate::rotation::Schedule;
use crate::seal::{MaterialId, Purpose, Sealer};
use crate::secret::SecretBytes;
use crate::spec::{Expiry, KeySpec, Origin};
use crate::tags::Tags;
use crate::time::Timestamp;

/// Records written now. Format 1 (one material, in the state) is still read: it becomes a
/// key whose only material is current.
const FORMAT: u32 = 2;
const FORMAT_ONE_MATERIAL: u32 = 1;

#[derive(Deserialize)]
struct FormatOnly {
    format: u32,
}

#[derive(Serialize, Deserialize)]
struct Record {
    format: u32,
    id: KeyId,
    tenant: TenantId,
    spec: KeySpec,
    usage: KeyUsage,
    origin: Origin,
    description: String,
    created_at: Timestamp,
    #[serde(default)]
    tags: Tags,
    state: StoredKind,
    /// Previous materials, then the current one, then the one pending rotation; empty for a
    /// key that never had material.
    #[serde(default)]
    materials: Vec<StoredEntry>,
    #[serde(default)]
    rotation: Option<Schedule>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
enum StoredKind {
    Enabled,
    Disabled,
    PendingImport,
    PendingDeletion { deletion_date: Timestamp },
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum StoredRole {
    Previous,
    Current,
    Pending,
}

#[derive(Serialize, Deserialize)]
struct StoredEntry {
    id: MaterialId,
    role: StoredRole,
    /// Absent while the material is deleted or expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
    expiry: Expiry,
    origin: Origin,
    #[serde(default)]
    description: Option<String>,
    created_at: Timestamp,
    #[serde(default)]
    rotation: Option<Rotation>,
}

/// A format 1 record: one material, kept in the state.
#[derive(Deserialize)]
struct RecordV1 {
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
    state: StoredStateV1,
}

#[derive(Deserialize)]
enum StoredStateV1 {
    Enabled(SealedMaterial),
    Disabled(SealedMaterial),
    PendingImport,
    PendingDeletion {
        deletion_date: Timestamp,
        material: Option<SealedMaterial>,
    },
}

#[derive(Deserialize)]
struct SealedMaterial {
    sealed: String,
    expiry: Expiry,
}

/// Format 1 sealed the one material of a key under this AAD.
fn aad_v1(tenant: &TenantId, id: &KeyId) -> Vec<u8> {
    format!("kmsgate/v1/material/{tenant}\0{id}").into_bytes()
}

/// Each material of a format 2 record is sealed for its key and its own id, so sealed
/// secrets cannot trade places inside a record either.
fn aad(tenant: &TenantId, id: &KeyId, material: &MaterialId) -> Vec<u8> {
    format!("kmsgate/v2/material/{tenant}\0{id}\0{material}").into_bytes()
}

fn corrupt(what: &'static str) -> KmsError {
    KmsError::Internal(InternalError::CorruptRecord(what))
}

pub(crate) fn encode(key: &Key, sealer: &Sealer) -> Result<Vec<u8>, KmsError> {
    let store = |e: &Entry, role: StoredRole| -> Result<StoredEntry, KmsError> {
        let sealed = match &e.secret {
            Some(secret) => {
                let aad = aad(&key.tenant, &key.id, &e.id);
                Some(STANDARD.encode(sealer.seal(Purpose::Material, &aad, secret.expose())?))
            }
            None => None,
        };
        Ok(StoredEntry {
            id: e.id,
            role,
            sealed,
            expiry: e.expiry,
            origin: e.origin,
            description: e.description.clone(),
            created_at: e.created_at,
            rotation: e.rotation,
        })
    };
    let mut materials = Vec::new();
    if let Some(m) = key.state.materials() {
        for (e, role) in m.entries() {
            let role = match role {
                MaterialRole::Previous => StoredRole::Previous,
                MaterialRole::Current => StoredRole::Current,
                MaterialRole::PendingRotation => StoredRole::Pending,
            };
            materials.push(store(e, role)?);
        }
    }
    let state = match &key.state {
        KeyState::Enabled(_) => StoredKind::Enabled,
        KeyState::Disabled(_) => StoredKind::Disabled,
        KeyState::PendingImport(_) => StoredKind::PendingImport,
        KeyState::PendingDeletion { deletion_date, .. } => StoredKind::PendingDeletion {
            deletion_date: *deletion_date,
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
        tags: key.tags.clone(),
        state,
        materials,
        rotation: key.rotation,
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
    Ok(!legacy || key.state.materials().is_some_and(|m| m.holds_any_secret()))
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
    let format: FormatOnly = serde_json::from_slice(json).map_err(|_| corrupt("json"))?;
    let key = match format.format {
        FORMAT => decode_v2(json, sealer, tenant, id)?,
        FORMAT_ONE_MATERIAL => decode_v1(json, sealer, tenant, id)?,
        _ => return Err(corrupt("format")),
    };
    if key.id != *id || key.tenant != *tenant {
        return Err(corrupt("misplaced"));
    }
    Ok(key)
}

fn open_sealed(sealer: &Sealer, aad: &[u8], sealed: &str) -> Result<SecretBytes, KmsError> {
    let sealed = STANDARD.decode(sealed).map_err(|_| corrupt("base64"))?;
    let plain = sealer
        .open(Purpose::Material, aad, &sealed)
        .ok_or_else(|| corrupt("sealed material does not open with this root key"))?;
    Ok(SecretBytes::from(plain.to_vec()))
}

fn decode_v2(json: &[u8], sealer: &Sealer, tenant: &TenantId, id: &KeyId) -> Result<Key, KmsError> {
    let record: Record = serde_json::from_slice(json).map_err(|_| corrupt("json"))?;
    let mut previous = Vec::new();
    let mut current = None;
    let mut pending = None;
    for stored in record.materials {
        let secret = match &stored.sealed {
            Some(sealed) => Some(open_sealed(sealer, &aad(tenant, id, &stored.id), sealed)?),
            None => None,
        };
        let entry = Entry {
            id: stored.id,
            secret,
            expiry: stored.expiry,
            origin: stored.origin,
            description: stored.description,
            created_at: stored.created_at,
            rotation: stored.rotation,
        };
        // Roles in order: previous ones, exactly one current, at most one pending after it.
        match (stored.role, &current, &pending) {
            (StoredRole::Previous, None, None) => previous.push(entry),
            (StoredRole::Current, None, None) => current = Some(entry),
            (StoredRole::Pending, Some(_), None) => pending = Some(entry),
            _ => return Err(corrupt("material roles")),
        }
    }
    let materials = match current {
        Some(current) => Some(Materials {
            previous,
            current,
            pending,
        }),
        None if previous.is_empty() => None,
        None => return Err(corrupt("no current material")),
    };
    let state = match (record.state, materials) {
        (StoredKind::Enabled, Some(m)) if m.is_complete() => KeyState::Enabled(m),
        (StoredKind::Disabled, Some(m)) if m.is_complete() => KeyState::Disabled(m),
        (StoredKind::Enabled | StoredKind::Disabled, _) => {
            return Err(corrupt("usable key without its materials"));
        }
        (StoredKind::PendingImport, m) => KeyState::PendingImport(m),
        (StoredKind::PendingDeletion { deletion_date }, materials) => KeyState::PendingDeletion {
            deletion_date,
            materials,
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
        tags: record.tags,
        state,
        rotation: record.rotation,
    })
}

/// A format 1 record: its one material becomes the current one, created with the key (the
/// record kept no other date). Its id is the stored one; a record that held material
/// without an id gets the id that material would have been given.
fn decode_v1(json: &[u8], sealer: &Sealer, tenant: &TenantId, id: &KeyId) -> Result<Key, KmsError> {
    let record: RecordV1 = serde_json::from_slice(json).map_err(|_| corrupt("json"))?;
    let aad = aad_v1(tenant, id);
    let open = |m: SealedMaterial| -> Result<(SecretBytes, Expiry), KmsError> {
        Ok((open_sealed(sealer, &aad, &m.sealed)?, m.expiry))
    };
    let (held, deletion, disabled) = match record.state {
        StoredStateV1::Enabled(m) => (Some(open(m)?), None, false),
        StoredStateV1::Disabled(m) => (Some(open(m)?), None, true),
        StoredStateV1::PendingImport => (None, None, false),
        StoredStateV1::PendingDeletion {
            deletion_date,
            material,
        } => (material.map(open).transpose()?, Some(deletion_date), false),
    };
    let material_id = match (&record.material_id, &held) {
        (Some(m), _) => Some(*m),
        (None, Some((secret, _))) => Some(sealer.material_id(id, secret.expose())),
        (None, None) => None,
    };
    let materials = material_id.map(|material_id| {
        let (secret, expiry) = match held {
            Some((secret, expiry)) => (Some(secret), expiry),
            None => (None, Expiry::Never),
        };
        Materials::first(Entry {
            id: material_id,
            secret,
            expiry,
            origin: record.origin,
            description: None,
            created_at: record.created_at,
            rotation: None,
        })
    });
    let state = match (deletion, materials) {
        (Some(deletion_date), materials) => KeyState::PendingDeletion {
            deletion_date,
            materials,
        },
        (None, Some(m)) if m.is_complete() => KeyState::holding(m, disabled),
        (None, m) => KeyState::PendingImport(m),
    };
    Ok(Key {
        id: record.id,
        tenant: record.tenant,
        spec: record.spec,
        usage: record.usage,
        origin: record.origin,
        description: record.description,
        created_at: record.created_at,
        tags: record.tags,
        state,
        rotation: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_materials::RotationType;
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
            tags: Tags::from_pairs([("k".to_owned(), "v".to_owned())]).unwrap(),
            state,
            rotation: None,
        }
    }

    fn entry(sealer: &Sealer, byte: u8, expiry: Expiry) -> Entry {
        let secret = vec![byte; 16];
        Entry::new(
            sealer.material_id(&KeyId::random(), &secret),
            SecretBytes::from(secret),
            expiry,
            Origin::External,
            Timestamp::from_secs(6),
        )
    }

    #[test]
    fn records_round_trip_and_keep_material_sealed() {
        let sealer = Sealer::new(&RootKey::from_bytes([3; 32]));
        let m = Materials::first(entry(&sealer, 0x61, Expiry::At(Timestamp::from_secs(9))));
        let rotation = Rotation {
            at: Timestamp::from_secs(8),
            kind: RotationType::OnDemand,
        };
        let rotated = m
            .add_pending(entry(&sealer, 0x62, Expiry::Never))
            .and_then(|m| m.rotate(None, rotation))
            .and_then(|m| m.add_pending(entry(&sealer, 0x63, Expiry::Never)))
            .unwrap();
        let gone = rotated.erase(Some(&m.current.id)).unwrap();
        for state in [
            KeyState::Enabled(m.clone()),
            KeyState::Disabled(m.clone()),
            KeyState::Enabled(rotated.clone()),
            KeyState::PendingImport(None),
            KeyState::PendingImport(Some(gone.clone())),
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(7),
                materials: Some(gone),
            },
            KeyState::PendingDeletion {
                deletion_date: Timestamp::from_secs(7),
                materials: None,
            },
        ] {
            let k = key(state);
            let bytes = encode(&k, &sealer).unwrap();
            for byte in [0x61u8, 0x62, 0x63] {
                let secret = [byte; 16];
                assert!(!bytes.windows(16).any(|w| w == secret.as_slice()));
            }
            assert_eq!(decode(&bytes, &sealer, &k.tenant, &k.id).unwrap(), k);
            assert!(decode(&bytes, &sealer, &k.tenant, &KeyId::random()).is_err());
        }
        // The usage and the rotation schedule are stored with the key.
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
        let period = crate::rotation::RotationPeriod::days_within(90, 90..=90).unwrap();
        let scheduled = Key {
            rotation: Some(Schedule::starting(period, Timestamp::from_secs(1))),
            ..key(KeyState::Enabled(m.clone()))
        };
        let bytes = encode(&scheduled, &sealer).unwrap();
        assert_eq!(
            decode(&bytes, &sealer, &scheduled.tenant, &scheduled.id).unwrap(),
            scheduled
        );
        let k = key(KeyState::Enabled(m));
        let bytes = encode(&k, &sealer).unwrap();
        let other = Sealer::new(&RootKey::from_bytes([4; 32]));
        assert!(decode(&bytes, &other, &k.tenant, &k.id).is_err());
        assert!(decode(b"{", &sealer, &k.tenant, &k.id).is_err());
    }

    /// A format 1 record (as the code before multi-material keys wrote it) reads as a key
    /// whose one material is current, with the stored id.
    #[test]
    fn format_one_records_read_as_one_current_material() {
        let sealer = Sealer::new(&RootKey::from_bytes([3; 32]));
        let (tenant, id) = (TenantId::new("t").unwrap(), KeyId::random());
        let secret = [0x42u8; 16];
        let sealed = sealer
            .seal(Purpose::Material, &aad_v1(&tenant, &id), &secret)
            .unwrap();
        let material_id = sealer.material_id(&id, &secret);
        let v1 = |state: serde_json::Value| {
            let json = serde_json::json!({
                "format": 1, "id": id, "tenant": tenant, "spec": "Sm4", "origin": "External",
                "description": "old", "created_at": 5000, "material_id": material_id,
                "state": state,
            });
            let bytes = serde_json::to_vec(&json).unwrap();
            let wrapped = authentic::wrap(&sealer, Place::Key(&tenant, &id), &bytes).unwrap();
            decode(&wrapped, &sealer, &tenant, &id).unwrap()
        };
        let sealed = serde_json::json!({"sealed": STANDARD.encode(&sealed), "expiry": "Never"});
        let disabled = v1(serde_json::json!({ "Disabled": sealed }));
        assert_eq!(
            disabled.state.kind(),
            crate::lifecycle::KeyStateKind::Disabled
        );
        assert_eq!(disabled.material_id(), Some(material_id));
        assert_eq!(disabled.usage, KeyUsage::EncryptDecrypt);
        let pending = v1(serde_json::json!("PendingImport"));
        assert_eq!(pending.material_id(), Some(material_id));
        assert!(pending.state.current_material().is_none());
    }
}
