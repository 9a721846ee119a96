//! Sealing at rest. Key material never reaches a store in plaintext: it is sealed with
//! AES-256-GCM under a key derived from the root key. The root key also derives the key that
//! seals import tokens and the key of material fingerprints, so no two uses share a key.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::InternalError;
use crate::ids::KeyId;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;

/// The 256-bit secret everything at rest hangs on. Lose it and the store is unreadable.
pub struct RootKey(Zeroizing<[u8; 32]>);

impl RootKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        RootKey(Zeroizing::new(bytes))
    }

    /// 64 hex characters, as written to the root key file and accepted from configuration.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
        Some(RootKey::from_bytes(bytes))
    }

    pub fn generate() -> Result<Self, InternalError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(bytes.as_mut())
            .map_err(|_| InternalError::Randomness)?;
        Ok(RootKey(bytes))
    }

    /// Reads the root key file, or creates it (mode 0600, written and synced before it is
    /// used) on first start. A file that exists but does not hold a key is an error, never
    /// silently replaced: replacing it would orphan every sealed record.
    pub fn load_or_create(path: &Path) -> io::Result<Self> {
        match fs::read_to_string(path) {
            Ok(text) => RootKey::from_hex(&text).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} does not hold a 64-hex-digit root key", path.display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Written to a temporary file and renamed into place, so a crash never leaves
                // a half-written root key behind.
                let key = RootKey::generate().map_err(io::Error::other)?;
                let tmp = path.with_extension("tmp");
                let _ = fs::remove_file(&tmp);
                let mut file = crate::data_dir::create_private_file(&tmp)?;
                let text = Zeroizing::new(hex::encode(key.0.as_ref()));
                file.write_all(text.as_bytes())?;
                file.write_all(b"\n")?;
                file.sync_all()?;
                fs::rename(&tmp, path)?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::File::open(dir)?.sync_all()?;
                }
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    fn derive(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // HMAC accepts keys of any length, so this cannot fail.
        if let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(self.0.as_ref()) {
            mac.update(label);
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey([redacted])")
    }
}

/// What a sealed value is for; each purpose has its own derived key.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Purpose {
    Material,
    ImportToken,
    /// Wrapping key pairs saved for the next process.
    KeyPairs,
}

/// Identifies one key's material without revealing it: HMAC-SHA256 under a root-derived key
/// of the key id and the material. The same material in two keys has two unrelated ids.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MaterialId([u8; 32]);

impl MaterialId {
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> MaterialId {
        MaterialId(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Compares in constant time: the stored fingerprint is a secret-derived value.
    pub(crate) fn matches(&self, other: &MaterialId) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl fmt::Display for MaterialId {
    /// 64 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for MaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaterialId({self})")
    }
}

impl std::str::FromStr for MaterialId {
    type Err = hex::FromHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes)?;
        Ok(MaterialId(bytes))
    }
}

impl TryFrom<String> for MaterialId {
    type Error = hex::FromHexError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<MaterialId> for String {
    fn from(id: MaterialId) -> String {
        id.to_string()
    }
}

pub(crate) struct Sealer {
    material: Aes256Gcm,
    token: Aes256Gcm,
    key_pairs: Aes256Gcm,
    fingerprint: Zeroizing<[u8; 32]>,
    records: Zeroizing<[u8; 32]>,
    /// The key of [`Sealer::front_end_secret`].
    front_ends: Zeroizing<[u8; 32]>,
}

impl Sealer {
    pub(crate) fn new(root: &RootKey) -> Self {
        let material = root.derive(b"kmsgate/v1/seal/key-material");
        let token = root.derive(b"kmsgate/v1/seal/import-token");
        Sealer {
            material: Aes256Gcm::new(material.as_ref().into()),
            token: Aes256Gcm::new(token.as_ref().into()),
            key_pairs: Aes256Gcm::new(root.derive(b"kmsgate/v1/seal/key-pairs").as_ref().into()),
            fingerprint: root.derive(b"kmsgate/v1/material-fingerprint"),
            records: root.derive(b"kmsgate/v1/record-authentication"),
            front_ends: root.derive(b"kmsgate/v1/front-end-secrets"),
        }
    }

    /// A secret of a front end's own, named by `label`: HMAC-SHA256 of the label under a
    /// root-derived key, so every process with the same root key derives the same one, and
    /// no label yields a key the engine uses itself.
    pub(crate) fn front_end_secret(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // HMAC accepts keys of any length, so this cannot fail.
        if let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(self.front_ends.as_ref()) {
            mac.update(label);
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    /// The key that authenticates stored values ([`crate::authentic`]).
    pub(crate) fn record_key(&self) -> &[u8] {
        self.records.as_ref()
    }

    fn cipher(&self, purpose: Purpose) -> &Aes256Gcm {
        match purpose {
            Purpose::Material => &self.material,
            Purpose::ImportToken => &self.token,
            Purpose::KeyPairs => &self.key_pairs,
        }
    }

    /// `nonce ‖ ciphertext ‖ tag`; `aad` binds the sealed value to where it belongs.
    pub(crate) fn seal(
        &self,
        purpose: Purpose,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, InternalError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| InternalError::Randomness)?;
        let sealed = self
            .cipher(purpose)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| InternalError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// `None` when the value was altered, sealed under another root key, or moved elsewhere.
    pub(crate) fn open(
        &self,
        purpose: Purpose,
        aad: &[u8],
        sealed: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN + 16 {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher(purpose)
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
            .ok()
            .map(Zeroizing::new)
    }

    pub(crate) fn material_id(&self, key_id: &KeyId, material: &[u8]) -> MaterialId {
        let mut id = [0u8; 32];
        if let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(self.fingerprint.as_ref()) {
            mac.update(key_id.as_bytes());
            mac.update(material);
            id.copy_from_slice(&mac.finalize().into_bytes());
        }
        MaterialId(id)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&RootKey::from_bytes([byte; 32]))
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_purpose_and_aad() {
        let s = sealer(1);
        let sealed = s
            .seal(Purpose::Material, b"here", b"secret")
            .unwrap_or_default();
        assert_eq!(
            s.open(Purpose::Material, b"here", &sealed)
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"secret"[..])
        );
        assert!(s.open(Purpose::Material, b"there", &sealed).is_none());
        assert!(s.open(Purpose::ImportToken, b"here", &sealed).is_none());
        assert!(
            sealer(2)
                .open(Purpose::Material, b"here", &sealed)
                .is_none()
        );
        let mut flipped = sealed.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert!(s.open(Purpose::Material, b"here", &flipped).is_none());
        assert!(s.open(Purpose::Material, b"here", &sealed[..20]).is_none());
    }

    #[test]
    fn material_ids_depend_on_key_material_and_root() {
        let (a, b) = (KeyId::random(), KeyId::random());
        let s = sealer(1);
        assert!(s.material_id(&a, b"m").matches(&s.material_id(&a, b"m")));
        assert!(!s.material_id(&a, b"m").matches(&s.material_id(&b, b"m")));
        assert!(!s.material_id(&a, b"m").matches(&s.material_id(&a, b"n")));
        assert!(
            !s.material_id(&a, b"m")
                .matches(&sealer(2).material_id(&a, b"m"))
        );
        let text = s.material_id(&a, b"m").to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<MaterialId>().map(|m| m.to_string()), Ok(text));
    }

    #[test]
    fn root_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("root.key");
        let first = RootKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        let again = RootKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.0.as_ref(), again.0.as_ref());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        fs::write(&path, "not a key").unwrap_or_else(|e| panic!("{e}"));
        assert!(RootKey::load_or_create(&path).is_err());
    }
}
