//! Key material per family: what generation makes, what an import may bring (parsed, checked
//! against the spec, and re-encoded canonically, so two encodings of one key are one
//! material with one `MaterialId`), and the cryptography a stored key does. Material at
//! rest: symmetric and HMAC keys as raw bytes, asymmetric keys as canonical PKCS#8 DER.

mod ecc;
mod ed25519;
pub(crate) mod hmac;
mod kwp;
mod pkcs8;
mod rsa;
mod sm2;

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::algorithm::{EncryptionAlgorithm, MessageType, SigningAlgorithm};
use crate::error::{InternalError, KmsError};
use crate::key::check_material_len;
use crate::secret::{SecretBytes, random_bytes};
use crate::spec::{KeyFamily, KeySpec};

pub(crate) use kwp::unwrap_private_key;
pub(crate) use rsa::oaep_capacity;

/// Material that generation made or [`accept`] checked for `spec`: the only material a key
/// takes ([`crate::key::Key::import`]).
#[derive(Clone, Debug)]
pub(crate) struct Accepted {
    spec: KeySpec,
    secret: SecretBytes,
}

impl Accepted {
    pub(crate) fn spec(&self) -> KeySpec {
        self.spec
    }

    pub(crate) fn secret(&self) -> &SecretBytes {
        &self.secret
    }

    pub(crate) fn into_secret(self) -> SecretBytes {
        self.secret
    }
}

/// Fresh material for a generated key of `spec`. RSA generation takes up to seconds: call
/// it outside any store update.
pub(crate) fn generate(spec: KeySpec) -> Result<Accepted, KmsError> {
    let secret = match spec.family() {
        KeyFamily::Symmetric => match spec.material_len() {
            Some(len) => random_bytes(len),
            None => Err(InternalError::MaterialGeneration(spec).into()),
        },
        KeyFamily::Hmac => hmac::generate(spec),
        KeyFamily::Rsa => rsa::generate(spec),
        KeyFamily::Sm2 => sm2::generate(),
        KeyFamily::Ecc => match spec {
            KeySpec::EccNistEdwards25519 => ed25519::generate(),
            _ => ecc::generate(spec),
        },
    }?;
    Ok(Accepted { spec, secret })
}

/// The material as the key stores it, or why `spec` cannot take it: symmetric material of
/// the exact length (`MaterialLength`), HMAC material of the spec's lengths, asymmetric
/// material a PKCS#8 private key of the spec's algorithm, curve and size
/// (`MaterialNotForSpec`).
pub(crate) fn accept(spec: KeySpec, material: SecretBytes) -> Result<Accepted, KmsError> {
    let refused = |problem| KmsError::MaterialNotForSpec { spec, problem };
    let secret = match spec.family() {
        KeyFamily::Symmetric => {
            check_material_len(spec, &material)?;
            material
        }
        KeyFamily::Hmac => {
            hmac::check(spec, material.expose()).map_err(refused)?;
            material
        }
        KeyFamily::Rsa | KeyFamily::Ecc | KeyFamily::Sm2 => {
            let der = material.expose();
            pkcs8::expect(spec, der).map_err(refused)?;
            match spec.family() {
                KeyFamily::Rsa => rsa::canonical(spec, der),
                KeyFamily::Sm2 => sm2::canonical(der),
                _ if spec == KeySpec::EccNistEdwards25519 => ed25519::canonical(der),
                _ => ecc::canonical(spec, der),
            }
            .map_err(refused)?
        }
    };
    Ok(Accepted { spec, secret })
}

/// What is signed or verified, checked against the algorithm: a DIGEST must have the
/// algorithm's digest length, and Ed25519 has no DIGEST form.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Message<'a> {
    Raw(&'a [u8]),
    Digest(&'a [u8]),
}

impl<'a> Message<'a> {
    pub(crate) fn new(
        algorithm: SigningAlgorithm,
        kind: MessageType,
        bytes: &'a [u8],
    ) -> Result<Self, KmsError> {
        match (kind, algorithm.digest_len()) {
            (MessageType::Raw, _) => Ok(Message::Raw(bytes)),
            (MessageType::Digest, None) => Err(KmsError::MessageTypeNotAllowed { algorithm, kind }),
            (MessageType::Digest, Some(expected)) if bytes.len() != expected => {
                Err(KmsError::DigestLength {
                    algorithm,
                    expected,
                    actual: bytes.len(),
                })
            }
            (MessageType::Digest, Some(_)) => Ok(Message::Digest(bytes)),
        }
    }
}

/// A stored private key, parsed for use. Material that does not parse as its spec's key was
/// accepted by no import or generation of ours: a corrupt record.
pub(crate) enum PrivateKey {
    Rsa(Box<rsa::RsaKey>),
    Ecdsa(Box<ecc::EcdsaKey>),
    Ed25519(Box<ed25519::Ed25519Key>),
    Sm2(Box<sm2::Sm2Key>),
}

fn corrupt(what: &'static str) -> KmsError {
    KmsError::Internal(InternalError::CorruptRecord(what))
}

/// An algorithm of another family than the key's: the key checked its spec offers the
/// algorithm, so reaching this is a bug, reported as such.
fn not_of_family() -> KmsError {
    corrupt("algorithm not of the key's family")
}

impl PrivateKey {
    pub(crate) fn open(spec: KeySpec, material: &SecretBytes) -> Result<Self, KmsError> {
        let key = match spec.family() {
            KeyFamily::Rsa => Some(PrivateKey::Rsa(Box::new(rsa::RsaKey::open(spec, material)))),
            KeyFamily::Sm2 => sm2::Sm2Key::open(material).map(|k| PrivateKey::Sm2(Box::new(k))),
            KeyFamily::Ecc if spec == KeySpec::EccNistEdwards25519 => {
                ed25519::Ed25519Key::open(material).map(|k| PrivateKey::Ed25519(Box::new(k)))
            }
            KeyFamily::Ecc => {
                ecc::EcdsaKey::open(spec, material).map(|k| PrivateKey::Ecdsa(Box::new(k)))
            }
            KeyFamily::Symmetric | KeyFamily::Hmac => None,
        };
        key.ok_or_else(|| corrupt("private key material"))
    }

    /// DER SubjectPublicKeyInfo.
    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>, KmsError> {
        match self {
            PrivateKey::Rsa(k) => k.public_key_der(),
            PrivateKey::Ecdsa(k) => k.public_key_der(),
            PrivateKey::Ed25519(k) => k.public_key_der(),
            PrivateKey::Sm2(k) => k.public_key_der(),
        }
        .ok_or_else(|| corrupt("public key encoding"))
    }

    pub(crate) fn sign(
        &self,
        algorithm: SigningAlgorithm,
        message: Message<'_>,
    ) -> Result<Vec<u8>, KmsError> {
        match (self, message) {
            (PrivateKey::Rsa(k), _) => k.sign(algorithm, message),
            (PrivateKey::Ecdsa(k), _) => k.sign(algorithm, message),
            (PrivateKey::Ed25519(k), Message::Raw(m)) => Ok(k.sign(m)),
            (PrivateKey::Ed25519(_), Message::Digest(_)) => Err(not_of_family()),
            (PrivateKey::Sm2(k), _) => k.sign(message),
        }
    }

    pub(crate) fn verify(
        &self,
        algorithm: SigningAlgorithm,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<(), KmsError> {
        match (self, message) {
            (PrivateKey::Rsa(k), _) => k.verify(algorithm, message, signature),
            (PrivateKey::Ecdsa(k), _) => k.verify(algorithm, message, signature),
            (PrivateKey::Ed25519(k), Message::Raw(m)) => k.verify(m, signature),
            (PrivateKey::Ed25519(_), Message::Digest(_)) => Err(not_of_family()),
            (PrivateKey::Sm2(k), _) => k.verify(message, signature),
        }
    }

    /// Longer plaintexts than the algorithm takes (the AWS limits: OAEP's block, 1024 bytes
    /// for SM2) are `PlaintextTooLong`.
    pub(crate) fn encrypt(
        &self,
        algorithm: EncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        match self {
            PrivateKey::Rsa(k) => k.encrypt(algorithm, plaintext),
            PrivateKey::Sm2(k) => k.encrypt(plaintext),
            PrivateKey::Ecdsa(_) | PrivateKey::Ed25519(_) => Err(not_of_family()),
        }
    }

    pub(crate) fn decrypt(
        &self,
        algorithm: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, KmsError> {
        match self {
            PrivateKey::Rsa(k) => k.decrypt(algorithm, ciphertext),
            PrivateKey::Sm2(k) => k.decrypt(ciphertext),
            PrivateKey::Ecdsa(_) | PrivateKey::Ed25519(_) => Err(not_of_family()),
        }
    }
}

/// `N` random bytes on the stack, wiped when dropped.
fn random_array<const N: usize>() -> Result<Zeroizing<[u8; N]>, KmsError> {
    let mut bytes = Zeroizing::new([0u8; N]);
    OsRng
        .try_fill_bytes(bytes.as_mut())
        .map_err(|_| InternalError::Randomness)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_keys() -> Vec<(KeySpec, Vec<u8>)> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/asymmetric_vectors.json"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                let spec = KeySpec::ALL
                    .into_iter()
                    .find(|s| k["spec"] == s.to_string())
                    .unwrap();
                (spec, hex::decode(k["pkcs8_hex"].as_str().unwrap()).unwrap())
            })
            .collect()
    }

    /// What a key stores is a fixed point: accepting it again gives the same bytes, so a
    /// stored key, a re-import and a seed all fingerprint alike; and it opens for use.
    #[test]
    fn canonical_material_is_a_fixed_point_and_opens() {
        for (spec, der) in vector_keys() {
            let once = accept(spec, SecretBytes::from(der)).unwrap();
            let twice = accept(spec, once.secret().clone()).unwrap();
            assert_eq!(once.secret(), twice.secret(), "{spec}");
            assert!(PrivateKey::open(spec, once.secret()).is_ok(), "{spec}");
        }
        // RSA generation takes seconds; the RSA vectors cover its fixed point.
        for spec in KeySpec::ALL
            .into_iter()
            .filter(|s| s.family() != KeyFamily::Rsa)
        {
            let generated = generate(spec).unwrap();
            let again = accept(spec, generated.secret().clone()).unwrap();
            assert_eq!(generated.secret(), again.secret(), "{spec}");
        }
    }
}
