//! Helpers for other crates' tests (feature `test-suite`): what a dialect's fuzz or
//! integration test needs of the engine, kept once here instead of in every dialect.

mod interloper;
#[cfg(feature = "postgres")]
pub mod postgres;

pub use interloper::{Interloper, disk_full};

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::error::InternalError;
use crate::store::KeyStore;
use crate::wrapping::{KeyPairSource, WrappingKeyPair, WrappingKeySpec};

/// Hands out the committed wrapping key pairs of kms-core's test vectors (RSA 2048/3072/4096
/// and SM2): generating an RSA-4096 pair per import-parameters request would make each test
/// case take a second. Every tenant gets the same pairs: for tests only, where no tenant
/// guards its wrapped material from another.
#[derive(Debug, Default, Clone, Copy)]
pub struct VectorKeyPairs;

impl KeyPairSource for VectorKeyPairs {
    fn key_pair(
        &self,
        spec: WrappingKeySpec,
        _tenant: &crate::ids::TenantId,
    ) -> Result<WrappingKeyPair, InternalError> {
        static PAIRS: OnceLock<Vec<WrappingKeyPair>> = OnceLock::new();
        PAIRS
            .get_or_init(vector_pairs)
            .iter()
            .find(|p| p.spec() == spec)
            .cloned()
            .ok_or(InternalError::KeyGeneration(spec))
    }
}

fn vector_pairs() -> Vec<WrappingKeyPair> {
    let rsa: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/data/wrapping_vectors.json"))
            .unwrap_or_default();
    let sm2: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/data/sm2_vectors.json")).unwrap_or_default();
    let der = |v: &serde_json::Value| hex::decode(v.as_str().unwrap_or_default()).ok();
    ["RSA_2048", "RSA_3072", "RSA_4096"]
        .iter()
        .map(|s| &rsa["rsa_keys"][s])
        .chain([&sm2["sm2_private_pkcs8_der_hex"]])
        .filter_map(|v| WrappingKeyPair::from_pkcs8_der(&der(v)?))
        .collect()
}

/// Every key and alias record of every tenant, as stored: compare two to prove that
/// something changed nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreSnapshot(BTreeMap<String, Vec<u8>>);

impl StoreSnapshot {
    /// Records that cannot be read are recorded as empty, which still compares.
    pub fn of(store: &dyn KeyStore) -> Self {
        let mut out = BTreeMap::new();
        for (tenant, id) in store.all_keys().unwrap_or_default() {
            let record = store.get(&tenant, &id).ok().flatten().unwrap_or_default();
            out.insert(format!("key {tenant}/{id}"), record);
        }
        for (tenant, name) in store.all_aliases().unwrap_or_default() {
            let record = store
                .get_alias(&tenant, &name)
                .ok()
                .flatten()
                .unwrap_or_default();
            out.insert(format!("alias {tenant}/{name}"), record);
        }
        StoreSnapshot(out)
    }

    /// What differs in `after`, record by record; `None` when nothing does.
    pub fn changes_to(&self, after: &StoreSnapshot) -> Option<String> {
        let mut changes: Vec<String> = Vec::new();
        for (name, record) in &self.0 {
            match after.0.get(name) {
                None => changes.push(format!("{name} removed")),
                Some(r) if r != record => changes.push(format!("{name} rewritten")),
                Some(_) => {}
            }
        }
        changes.extend(
            after
                .0
                .keys()
                .filter(|n| !self.0.contains_key(*n))
                .map(|n| format!("{n} added")),
        );
        (!changes.is_empty()).then(|| changes.join(", "))
    }
}
