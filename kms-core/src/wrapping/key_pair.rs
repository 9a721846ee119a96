//! Wrapping key pairs: generated per import-parameters request, private half carried sealed
//! inside the import token and never stored.

use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::{WrappingAlgorithm, WrappingKeySpec, rsa_unwrap, sm2_unwrap};
use crate::error::InternalError;
use crate::secret::SecretBytes;

#[derive(Clone)]
enum Private {
    Rsa(Box<RsaPrivate>),
    Sm2(sm2::SecretKey),
}

/// An RSA private key for aws-lc's constant-time operations, and its PKCS#8 encoding (what
/// tokens carry, and what the one padding aws-lc lacks is decoded from).
#[derive(Clone)]
pub(super) struct RsaPrivate {
    pub(super) key: PrivateDecryptingKey,
    pub(super) pkcs8: Zeroizing<Vec<u8>>,
}

impl RsaPrivate {
    fn new(key: PrivateDecryptingKey) -> Option<Self> {
        let der: Pkcs8V1Der<'static> = key.as_der().ok()?;
        Some(RsaPrivate {
            key,
            pkcs8: Zeroizing::new(der.as_ref().to_vec()),
        })
    }

    fn from_pkcs8(der: &[u8]) -> Option<Self> {
        let key = PrivateDecryptingKey::from_pkcs8(der).ok()?;
        Some(RsaPrivate {
            key,
            pkcs8: Zeroizing::new(der.to_vec()),
        })
    }

    fn spec(&self) -> Option<WrappingKeySpec> {
        match self.key.key_size_bits() {
            2048 => Some(WrappingKeySpec::Rsa2048),
            3072 => Some(WrappingKeySpec::Rsa3072),
            4096 => Some(WrappingKeySpec::Rsa4096),
            _ => None,
        }
    }
}

/// A wrapping key pair of one [`WrappingKeySpec`].
#[derive(Clone)]
pub struct WrappingKeyPair {
    spec: WrappingKeySpec,
    private: Private,
    /// The public half's DER, made once and shared by every clone: for SM2 it is a scalar
    /// multiplication, which answers reusing a pair (each a clone) would otherwise each pay.
    public_der: Arc<OnceLock<Vec<u8>>>,
}

impl WrappingKeyPair {
    /// Generates a fresh pair. RSA-4096 can take seconds: call this off any lock and any async
    /// worker, or take pairs from a [`super::KeyPairPool`].
    pub fn generate(spec: WrappingKeySpec) -> Result<Self, InternalError> {
        let size = match spec {
            WrappingKeySpec::Rsa2048 => Some(KeySize::Rsa2048),
            WrappingKeySpec::Rsa3072 => Some(KeySize::Rsa3072),
            WrappingKeySpec::Rsa4096 => Some(KeySize::Rsa4096),
            WrappingKeySpec::Sm2 => None,
        };
        let private = match size {
            Some(size) => Private::Rsa(Box::new(
                PrivateDecryptingKey::generate(size)
                    .ok()
                    .and_then(RsaPrivate::new)
                    .ok_or(InternalError::KeyGeneration(spec))?,
            )),
            None => Private::Sm2(random_sm2_key()?),
        };
        let pair = WrappingKeyPair::new(spec, private);
        // Here, where generation already costs (off requests, in a pool), not per answer.
        pair.public_key_der()?;
        Ok(pair)
    }

    fn new(spec: WrappingKeySpec, private: Private) -> Self {
        WrappingKeyPair {
            spec,
            private,
            public_der: Arc::new(OnceLock::new()),
        }
    }

    /// Reads a PKCS#8 DER private key (RSA of 2048, 3072 or 4096 bits, or SM2): for embedders
    /// that bring their own wrapping keys, and for tests replaying fixed vectors.
    pub fn from_pkcs8_der(der: &[u8]) -> Option<Self> {
        if let Some(rsa) = RsaPrivate::from_pkcs8(der) {
            return Some(WrappingKeyPair::new(
                rsa.spec()?,
                Private::Rsa(Box::new(rsa)),
            ));
        }
        <sm2::SecretKey as sm2::pkcs8::DecodePrivateKey>::from_pkcs8_der(der)
            .ok()
            .map(|k| WrappingKeyPair::new(WrappingKeySpec::Sm2, Private::Sm2(k)))
    }

    pub fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    /// The public half as DER SubjectPublicKeyInfo, which is what every cloud hands out.
    pub fn public_key_der(&self) -> Result<Vec<u8>, InternalError> {
        if let Some(der) = self.public_der.get() {
            return Ok(der.clone());
        }
        let der = self.encode_public_key()?;
        // A concurrent first call may have set it: both encoded the same key.
        let _same = self.public_der.set(der.clone());
        Ok(der)
    }

    fn encode_public_key(&self) -> Result<Vec<u8>, InternalError> {
        match &self.private {
            Private::Rsa(k) => {
                let der: Result<PublicKeyX509Der<'static>, _> = k.key.public_key().as_der();
                der.map(|d| d.as_ref().to_vec())
                    .map_err(|_| InternalError::KeyGeneration(self.spec))
            }
            Private::Sm2(k) => sm2::pkcs8::EncodePublicKey::to_public_key_der(&k.public_key())
                .map(|d| d.as_bytes().to_vec())
                .map_err(|_| InternalError::KeyGeneration(self.spec)),
        }
    }

    /// The compact private encoding carried inside import tokens: PKCS#8 DER for RSA, the
    /// 32-byte scalar for SM2.
    pub(crate) fn to_private_bytes(&self) -> Result<Zeroizing<Vec<u8>>, InternalError> {
        match &self.private {
            Private::Rsa(k) => Ok(k.pkcs8.clone()),
            Private::Sm2(k) => Ok(Zeroizing::new(k.to_bytes().to_vec())),
        }
    }

    pub(crate) fn from_private_bytes(spec: WrappingKeySpec, bytes: &[u8]) -> Option<Self> {
        let private = match spec.rsa_bits() {
            Some(_) => {
                let k = RsaPrivate::from_pkcs8(bytes)?;
                if k.spec()? != spec {
                    return None;
                }
                Private::Rsa(Box::new(k))
            }
            None => Private::Sm2(sm2::SecretKey::from_slice(bytes).ok()?),
        };
        Some(WrappingKeyPair::new(spec, private))
    }

    /// Unwraps material; `None` for every kind of failure (see `rsa_unwrap` for why).
    pub(crate) fn unwrap(
        &self,
        algorithm: WrappingAlgorithm,
        ciphertext: &[u8],
    ) -> Option<SecretBytes> {
        if !algorithm.fits(self.spec) {
            return None;
        }
        match &self.private {
            Private::Rsa(k) => rsa_unwrap::unwrap(k, algorithm, ciphertext),
            Private::Sm2(k) => sm2_unwrap::unwrap(k, ciphertext),
        }
    }
}

/// Rejection sampling: a uniformly random 256-bit string is a valid SM2 scalar unless it is
/// zero or not below the group order, which `from_slice` refuses.
fn random_sm2_key() -> Result<sm2::SecretKey, InternalError> {
    for _ in 0..64 {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(bytes.as_mut())
            .map_err(|_| InternalError::Randomness)?;
        if let Ok(k) = sm2::SecretKey::from_slice(bytes.as_ref()) {
            return Ok(k);
        }
    }
    Err(InternalError::KeyGeneration(WrappingKeySpec::Sm2))
}

impl fmt::Debug for WrappingKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappingKeyPair({}, private half redacted)", self.spec)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A pair restored from its private half (saved pairs, tokens) encodes its public key at
    /// first use, and clones made before then (the pool's reused pair) see that encoding.
    #[test]
    fn clones_share_the_public_key_encoding() {
        let pair = WrappingKeyPair::generate(WrappingKeySpec::Sm2).unwrap();
        assert!(pair.public_der.get().is_some(), "encoded at generation");
        let private = pair.to_private_bytes().unwrap();
        let restored = WrappingKeyPair::from_private_bytes(WrappingKeySpec::Sm2, &private).unwrap();
        let clone = restored.clone();
        assert!(clone.public_der.get().is_none());
        assert_eq!(
            restored.public_key_der().unwrap(),
            pair.public_key_der().unwrap()
        );
        assert_eq!(clone.public_der.get(), pair.public_der.get());
    }
}
