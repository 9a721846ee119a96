//! Symmetric encryption under key material, and the ciphertext blob format.
//!
//! ```text
//! blob = version (1 byte, = 2) ‖ key id (16) ‖ material id (32) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
//! aad  = "kmsgate/v1/ciphertext" ‖ version ‖ key id ‖ material id ‖ canonical(encryption context)
//! ```
//! The key id in the blob lets decrypt find the key without being told, the material id the
//! material among the key's (a key keeps its previous materials after a rotation); binding
//! both into the AAD means a re-labelled blob fails authentication even when both keys (or
//! materials) are the same bytes. Version 1 blobs (written before keys had several materials)
//! have no material id and are still decrypted: with each material the key holds. AES_256 keys use AES-256-GCM; SM4 keys SM4-GCM as in RFC 8998.

use std::collections::BTreeMap;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use rand_core::RngCore;
use sm4::Sm4;

use crate::error::InternalError;
use crate::ids::KeyId;
use crate::seal::MaterialId;
use crate::secret::SecretBytes;
use crate::spec::KeySpec;

type Sm4Gcm = AesGcm<Sm4, U12>;

/// Blobs written before keys had several materials: no material id.
const VERSION_1: u8 = 1;
const VERSION: u8 = 2;
const HEADER_LEN_1: usize = 1 + 16;
const MATERIAL_ID_LEN: usize = 32;
const HEADER_LEN: usize = HEADER_LEN_1 + MATERIAL_ID_LEN;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AAD_LABEL: &[u8] = b"kmsgate/v1/ciphertext";

/// The least a blob adds to its plaintext: the overhead of version 1 blobs, the shortest that
/// decrypt accepts. Blobs written now add [`BLOB_MATERIAL_ID_LEN`] more (the material id).
pub const BLOB_OVERHEAD: usize = HEADER_LEN_1 + NONCE_LEN + TAG_LEN;

/// What a blob written now adds to [`BLOB_OVERHEAD`]: the id of the material it was made with.
pub const BLOB_MATERIAL_ID_LEN: usize = MATERIAL_ID_LEN;

/// Name–value pairs bound to a ciphertext: decrypt must present exactly the same set.
/// Order does not matter (they are canonicalised sorted by name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Length-prefixed pairs, so no two different contexts share an encoding.
    fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            for part in [k.as_bytes(), v.as_bytes()] {
                out.extend_from_slice(&(part.len() as u64).to_be_bytes());
                out.extend_from_slice(part);
            }
        }
        out
    }
}

impl From<BTreeMap<String, String>> for EncryptionContext {
    fn from(map: BTreeMap<String, String>) -> Self {
        EncryptionContext(map)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EncryptionContext {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        EncryptionContext(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

fn aad(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + header.len() + 64);
    aad.extend_from_slice(AAD_LABEL);
    aad.extend_from_slice(header);
    aad.extend_from_slice(&context.canonical());
    aad
}

enum Cipher {
    Aes(Box<Aes256Gcm>),
    Sm4(Box<Sm4Gcm>),
}

impl Cipher {
    fn new(spec: KeySpec, material: &[u8]) -> Option<Cipher> {
        match spec {
            KeySpec::Aes256 => Aes256Gcm::new_from_slice(material)
                .ok()
                .map(|c| Cipher::Aes(Box::new(c))),
            KeySpec::Sm4 => Sm4Gcm::new_from_slice(material)
                .ok()
                .map(|c| Cipher::Sm4(Box::new(c))),
            // Callers refuse other keys first (`Key::material_for`).
            _ => None,
        }
    }

    fn encrypt(&self, nonce: &[u8], payload: Payload<'_, '_>) -> Option<Vec<u8>> {
        let nonce = Nonce::from_slice(nonce);
        match self {
            Cipher::Aes(c) => c.encrypt(nonce, payload).ok(),
            Cipher::Sm4(c) => c.encrypt(nonce, payload).ok(),
        }
    }

    fn decrypt(&self, nonce: &[u8], payload: Payload<'_, '_>) -> Option<Vec<u8>> {
        let nonce = Nonce::from_slice(nonce);
        match self {
            Cipher::Aes(c) => c.decrypt(nonce, payload).ok(),
            Cipher::Sm4(c) => c.decrypt(nonce, payload).ok(),
        }
    }
}

pub(crate) fn encrypt(
    spec: KeySpec,
    material: &[u8],
    key_id: &KeyId,
    material_id: &MaterialId,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, InternalError> {
    // Material length was enforced at import/generation; a mismatch here is a corrupt record.
    let cipher =
        Cipher::new(spec, material).ok_or(InternalError::CorruptRecord("material length"))?;
    let mut blob = Vec::with_capacity(HEADER_LEN + NONCE_LEN + TAG_LEN + plaintext.len());
    blob.push(VERSION);
    blob.extend_from_slice(key_id.as_bytes());
    blob.extend_from_slice(material_id.as_bytes());
    let mut nonce = [0u8; NONCE_LEN];
    // A CSPRNG in user space (see the workspace manifest): a system call per encryption cost
    // more than the encryption.
    rand::thread_rng()
        .try_fill_bytes(&mut nonce)
        .map_err(|_| InternalError::Randomness)?;
    let aad = aad(&blob, context);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .ok_or(InternalError::Seal)?;
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&sealed);
    Ok(blob)
}

/// The header length of a blob shaped like one of ours, by its version.
fn header_len(blob: &[u8]) -> Option<usize> {
    let header = match *blob.first()? {
        VERSION_1 => HEADER_LEN_1,
        VERSION => HEADER_LEN,
        _ => return None,
    };
    (blob.len() >= header + NONCE_LEN + TAG_LEN).then_some(header)
}

/// The key a blob claims to be under, if it is shaped like one of ours.
pub(crate) fn key_id_of(blob: &[u8]) -> Option<KeyId> {
    header_len(blob)?;
    Some(KeyId::from_bytes(
        blob.get(1..HEADER_LEN_1)?.try_into().ok()?,
    ))
}

/// The material a blob names: `Some(None)` for a version 1 blob, which names none.
pub(crate) fn material_id_of(blob: &[u8]) -> Option<Option<MaterialId>> {
    match header_len(blob)? {
        HEADER_LEN => {
            let bytes = blob.get(HEADER_LEN_1..HEADER_LEN)?.try_into().ok()?;
            Some(Some(MaterialId::from_bytes(bytes)))
        }
        _ => Some(None),
    }
}

pub(crate) fn decrypt(
    spec: KeySpec,
    material: &[u8],
    blob: &[u8],
    context: &EncryptionContext,
) -> Option<SecretBytes> {
    let header_len = header_len(blob)?;
    let cipher = Cipher::new(spec, material)?;
    let (header, rest) = blob.split_at(header_len);
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let aad = aad(header, context);
    cipher
        .decrypt(
            nonce,
            Payload {
                msg: sealed,
                aad: &aad,
            },
        )
        .map(SecretBytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection_for_both_specs() {
        for spec in KeySpec::SYMMETRIC {
            let material = vec![0x42; spec.material_len().unwrap()];
            let id = KeyId::random();
            let mid = MaterialId::from_bytes([9; 32]);
            let ctx: EncryptionContext = [("purpose", "test")].into_iter().collect();
            let blob = encrypt(spec, &material, &id, &mid, b"hello", &ctx).unwrap_or_default();
            assert_eq!(blob.len(), BLOB_OVERHEAD + BLOB_MATERIAL_ID_LEN + 5);
            assert_eq!(key_id_of(&blob), Some(id));
            assert_eq!(material_id_of(&blob), Some(Some(mid)));
            let mut renamed = blob.clone();
            renamed[20] ^= 1;
            assert!(
                decrypt(spec, &material, &renamed, &ctx).is_none(),
                "material id"
            );
            let back = decrypt(spec, &material, &blob, &ctx);
            assert_eq!(back.as_ref().map(SecretBytes::expose), Some(&b"hello"[..]));
            assert!(decrypt(spec, &material, &blob, &EncryptionContext::new()).is_none());
            let mut relabelled = blob.clone();
            relabelled[1..17].copy_from_slice(KeyId::random().as_bytes());
            assert!(decrypt(spec, &material, &relabelled, &ctx).is_none());
            for i in [0, 20, blob.len() - 1] {
                let mut t = blob.clone();
                t[i] ^= 1;
                assert!(decrypt(spec, &material, &t, &ctx).is_none(), "byte {i}");
            }
            assert!(decrypt(spec, &material, &blob[..BLOB_OVERHEAD - 1], &ctx).is_none());
            let short = &blob[..HEADER_LEN + NONCE_LEN + TAG_LEN - 1];
            assert!(key_id_of(short).is_none());
        }
    }

    #[test]
    fn context_encoding_is_unambiguous() {
        let a: EncryptionContext = [("ab", "c")].into_iter().collect();
        let b: EncryptionContext = [("a", "bc")].into_iter().collect();
        assert_ne!(a.canonical(), b.canonical());
    }

    /// RFC 8998 / GB/T 36624 SM4-GCM test vector (RFC 8998 appendix A.1).
    #[test]
    fn sm4_gcm_matches_rfc_8998() {
        let key = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap_or_default();
        let iv = hex::decode("00001234567800000000ABCD").unwrap_or_default();
        let aad = hex::decode("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2").unwrap_or_default();
        let pt = hex::decode(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        )
        .unwrap_or_default();
        let expected = hex::decode(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D83DE3541E4C2B58177E065A9BF7B62EC",
        )
        .unwrap_or_default();
        let cipher = Sm4Gcm::new_from_slice(&key).ok();
        let out = cipher.and_then(|c| {
            c.encrypt(
                Nonce::from_slice(&iv),
                Payload {
                    msg: &pt,
                    aad: &aad,
                },
            )
            .ok()
        });
        assert_eq!(out, Some(expected));
    }
}
