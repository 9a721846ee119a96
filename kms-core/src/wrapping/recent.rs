//! Wrapping key pairs recently handed out or opened, found again by a digest of their private
//! encoding. An import token carries its pair's private key; decoding it for every import
//! costs more than the unwrapping itself (aws-lc parses the key and derives its precomputed
//! values on first use), and with pairs reused across answers most imports bring a pair seen
//! moments ago.

use std::collections::VecDeque;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::{WrappingKeyPair, WrappingKeySpec};

const CAPACITY: usize = 32;

#[derive(Default)]
pub(crate) struct RecentPairs {
    entries: Mutex<VecDeque<([u8; 32], WrappingKeyPair)>>,
}

impl RecentPairs {
    pub(crate) fn remember(&self, pair: &WrappingKeyPair) {
        if let Ok(bytes) = pair.to_private_bytes() {
            self.insert(digest(&bytes), pair.clone());
        }
    }

    /// The pair whose private encoding is `bytes`, from memory or decoded now.
    pub(crate) fn decode(&self, spec: WrappingKeySpec, bytes: &[u8]) -> Option<WrappingKeyPair> {
        let wanted = digest(bytes);
        let found = self
            .lock()
            .iter()
            .find(|(d, p)| *d == wanted && p.spec() == spec)
            .map(|(_, p)| p.clone());
        if found.is_some() {
            return found;
        }
        let pair = WrappingKeyPair::from_private_bytes(spec, bytes)?;
        self.insert(wanted, pair.clone());
        Some(pair)
    }

    fn insert(&self, digest: [u8; 32], pair: WrappingKeyPair) {
        let mut entries = self.lock();
        if entries.iter().any(|(d, _)| *d == digest) {
            return;
        }
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back((digest, pair));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<([u8; 32], WrappingKeyPair)>> {
        // A list of pairs is consistent after every statement.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl std::fmt::Debug for RecentPairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecentPairs({})", self.lock().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm2() -> WrappingKeyPair {
        WrappingKeyPair::generate(WrappingKeySpec::Sm2).unwrap_or_else(|e| panic!("{e}"))
    }

    fn public(p: &WrappingKeyPair) -> Vec<u8> {
        p.public_key_der().unwrap_or_default()
    }

    #[test]
    fn a_remembered_pair_is_found_and_an_unknown_one_decoded() {
        let recent = RecentPairs::default();
        let a = sm2();
        recent.remember(&a);
        let bytes = a.to_private_bytes().unwrap_or_else(|e| panic!("{e}"));
        let found = recent.decode(WrappingKeySpec::Sm2, &bytes);
        assert_eq!(found.map(|p| public(&p)), Some(public(&a)));
        // The spec is part of the match: the same bytes under another spec do not decode.
        assert!(recent.decode(WrappingKeySpec::Rsa2048, &bytes).is_none());
        let b = sm2();
        let bytes = b.to_private_bytes().unwrap_or_else(|e| panic!("{e}"));
        let decoded = recent.decode(WrappingKeySpec::Sm2, &bytes);
        assert_eq!(decoded.map(|p| public(&p)), Some(public(&b)));
    }

    #[test]
    fn the_oldest_pair_is_forgotten_beyond_capacity() {
        let recent = RecentPairs::default();
        for _ in 0..CAPACITY + 5 {
            recent.remember(&sm2());
        }
        assert_eq!(recent.lock().len(), CAPACITY);
    }
}
