//! Fixtures: an engine over a chosen store with a manual clock, fixed wrapping key pairs from
//! the committed vectors, and client-side wrapping for the tests.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use kms_core::*;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};

pub const START: Timestamp = Timestamp::from_secs(1_800_000_000);
pub const DAY: Duration = Duration::from_secs(86_400);

pub fn json(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn hex(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// The committed RSA vectors file, parsed once.
pub fn rsa_vectors() -> &'static serde_json::Value {
    static V: OnceLock<serde_json::Value> = OnceLock::new();
    V.get_or_init(|| json("wrapping_vectors.json"))
}

pub fn sm2_vectors() -> &'static serde_json::Value {
    static V: OnceLock<serde_json::Value> = OnceLock::new();
    V.get_or_init(|| json("sm2_vectors.json"))
}

pub fn vector_key_pair(spec: WrappingKeySpec) -> WrappingKeyPair {
    let der = match spec {
        WrappingKeySpec::Sm2 => hex(&sm2_vectors()["sm2_private_pkcs8_der_hex"]),
        rsa => hex(&rsa_vectors()["rsa_keys"][rsa.to_string()]),
    };
    let pair = WrappingKeyPair::from_pkcs8_der(&der).unwrap();
    assert_eq!(pair.spec(), spec);
    pair
}

/// Hands out the vectors' fixed key pairs, so material wrapped offline imports; for specs
/// with a queued override (another key), that one is handed out first.
#[derive(Debug, Default)]
pub struct VectorKeyPairs {
    next: Mutex<Vec<WrappingKeyPair>>,
}

impl VectorKeyPairs {
    pub fn push_next(&self, pair: WrappingKeyPair) {
        self.next.lock().unwrap().push(pair);
    }
}

impl wrapping::KeyPairSource for VectorKeyPairs {
    fn key_pair(
        &self,
        spec: WrappingKeySpec,
        _tenant: &kms_core::TenantId,
    ) -> Result<WrappingKeyPair, InternalError> {
        let mut next = self.next.lock().unwrap();
        if let Some(i) = next.iter().position(|p| p.spec() == spec) {
            return Ok(next.remove(i));
        }
        Ok(vector_key_pair(spec))
    }
}

pub struct Fixture {
    pub kms: Arc<Kms>,
    pub clock: Arc<ManualClock>,
    pub pairs: Arc<VectorKeyPairs>,
    pub tenant: TenantId,
}

pub fn fixture() -> Fixture {
    fixture_over(Arc::new(MemoryStore::new()), &RootKey::from_bytes([7; 32]))
}

pub fn fixture_over(store: Arc<dyn KeyStore>, root: &RootKey) -> Fixture {
    let clock = Arc::new(ManualClock::new(START));
    let pairs = Arc::new(VectorKeyPairs::default());
    let kms = Kms::builder(store, root)
        .clock(clock.clone())
        .key_pairs(pairs.clone())
        .build();
    Fixture {
        kms: Arc::new(kms),
        clock,
        pairs,
        tenant: TenantId::new("tenant-a").unwrap(),
    }
}

impl Fixture {
    pub fn external(&self, spec: KeySpec) -> KeyId {
        self.create(spec, Origin::External)
    }

    pub fn create(&self, spec: KeySpec, origin: Origin) -> KeyId {
        let d = self
            .kms
            .create_key(
                &self.tenant,
                CreateKey {
                    spec,
                    usage: spec.default_usage(),
                    origin,
                    description: String::new(),
                    tags: Default::default(),
                },
            )
            .unwrap();
        d.key_id
    }

    pub fn describe(&self, id: &KeyId) -> KeyDescription {
        self.kms.describe_key(&self.tenant, id).unwrap()
    }

    pub fn state(&self, id: &KeyId) -> KeyStateKind {
        self.describe(id).state
    }

    pub fn params(
        &self,
        id: &KeyId,
        alg: WrappingAlgorithm,
        spec: WrappingKeySpec,
    ) -> ImportParameters {
        self.kms
            .get_parameters_for_import(&self.tenant, id, alg, spec)
            .unwrap()
    }

    /// Parameters for RSA-2048 OAEP-SHA-256, the everyday path.
    pub fn oaep_params(&self, id: &KeyId) -> ImportParameters {
        self.params(
            id,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
        )
    }

    pub fn import(
        &self,
        id: &KeyId,
        params: &ImportParameters,
        wrapped: Vec<u8>,
        expiry: Expiry,
    ) -> Result<ImportOutcome, KmsError> {
        self.import_with(id, params, wrapped, expiry, ImportPolicy::default())
    }

    pub fn import_with(
        &self,
        id: &KeyId,
        params: &ImportParameters,
        wrapped: Vec<u8>,
        expiry: Expiry,
        policy: ImportPolicy,
    ) -> Result<ImportOutcome, KmsError> {
        self.kms.import_key_material(
            &self.tenant,
            ImportRequest {
                key_id: *id,
                import_token: params.import_token.clone(),
                encrypted_material: EncryptedMaterial::new(wrapped).unwrap(),
                wrapped_private_key: None,
                expiry,
                policy,
                claim: MaterialClaim::Unspecified,
            },
        )
    }

    /// Gets fresh parameters and imports `material` wrapped with RSA-OAEP-SHA-256.
    pub fn import_plain(
        &self,
        id: &KeyId,
        material: &[u8],
        expiry: Expiry,
    ) -> Result<ImportOutcome, KmsError> {
        let p = self.oaep_params(id);
        self.import(id, &p, oaep_sha256(&p.public_key_der, material), expiry)
    }

    pub fn encrypt(&self, id: &KeyId, plaintext: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.kms
            .encrypt(&self.tenant, id, plaintext, &EncryptionContext::new())
    }

    pub fn decrypt(&self, blob: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.kms
            .decrypt(&self.tenant, blob, &EncryptionContext::new())
            .map(|d| d.plaintext.expose().to_vec())
    }

    pub fn later(&self, secs: u64) -> Expiry {
        Expiry::At(Timestamp::from_millis(
            self.clock.now().as_millis() + secs * 1000,
        ))
    }
}

/// Client-side RSA-OAEP-SHA-256 wrapping with the `rsa` crate's public-key side.
pub fn oaep_sha256(spki_der: &[u8], material: &[u8]) -> Vec<u8> {
    let public = RsaPublicKey::from_public_key_der(spki_der).unwrap();
    public
        .encrypt(&mut rand_core::OsRng, Oaep::new::<sha2::Sha256>(), material)
        .unwrap()
}

pub fn oaep_sha1(spki_der: &[u8], material: &[u8]) -> Vec<u8> {
    let public = RsaPublicKey::from_public_key_der(spki_der).unwrap();
    public
        .encrypt(&mut rand_core::OsRng, Oaep::new::<sha1::Sha1>(), material)
        .unwrap()
}

pub fn material(byte: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| byte.wrapping_add(i as u8)).collect()
}

impl Fixture {
    /// Imports `material` (RSA-OAEP-SHA-256) with an import type and options, as a front end
    /// that offers rotation does.
    pub fn import_claimed(
        &self,
        id: &KeyId,
        material: &[u8],
        claim: MaterialClaim,
        options: NewMaterialOptions,
    ) -> Result<ImportOutcome, KmsError> {
        let p = self.oaep_params(id);
        self.kms.import_key_material_as(
            &self.tenant,
            ImportRequest {
                key_id: *id,
                import_token: p.import_token.clone(),
                encrypted_material: EncryptedMaterial::new(oaep_sha256(
                    &p.public_key_der,
                    material,
                ))
                .unwrap(),
                wrapped_private_key: None,
                expiry: Expiry::Never,
                policy: ImportPolicy::default(),
                claim,
            },
            options.for_rotation(),
        )
    }
}

/// The engine's test store that steps in between checks and writes (kms-core's `testing`).
pub use kms_core::testing::Interloper;
