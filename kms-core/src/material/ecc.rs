//! ECDSA keys on the NIST curves and secp256k1 (RustCrypto): generation, the canonical PKCS#8
//! form (SEC1 key with its public key), DER signatures over the algorithm's digest.

use sha2::{Digest as _, Sha256, Sha384, Sha512};

use super::Message;
use crate::algorithm::SigningAlgorithm;
use crate::error::{InternalError, KmsError, MaterialProblem};
use crate::secret::SecretBytes;
use crate::spec::KeySpec;

/// One curve's operations; the four curves differ only in their crate.
macro_rules! curve {
    ($module:ident, $krate:ident) => {
        mod $module {
            use $krate::SecretKey;
            use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $krate::elliptic_curve::Generate;
            use $krate::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};

            use crate::secret::SecretBytes;

            pub(super) fn generate() -> Option<SecretBytes> {
                encode(&SecretKey::try_generate().ok()?)
            }

            pub(super) fn canonical(der: &[u8]) -> Option<SecretBytes> {
                encode(&SecretKey::from_pkcs8_der(der).ok()?)
            }

            fn encode(key: &SecretKey) -> Option<SecretBytes> {
                let doc = key.to_pkcs8_der().ok()?;
                Some(SecretBytes::from(doc.as_bytes().to_vec()))
            }

            pub(super) fn open(material: &SecretBytes) -> Option<SigningKey> {
                SecretKey::from_pkcs8_der(material.expose())
                    .ok()
                    .map(SigningKey::from)
            }

            pub(super) fn public_key_der(key: &SigningKey) -> Option<Vec<u8>> {
                let doc = key.verifying_key().to_public_key_der().ok()?;
                Some(doc.as_bytes().to_vec())
            }

            pub(super) fn sign(key: &SigningKey, digest: &[u8]) -> Option<Vec<u8>> {
                let signature: Signature = key.sign_prehash(digest).ok()?;
                Some(signature.to_der().as_bytes().to_vec())
            }

            /// High-S signatures (what OpenSSL may make) are accepted: ECDSA does not forbid
            /// them, and secp256k1's verifier would refuse them unless normalised.
            pub(super) fn verify(key: &VerifyingKey, digest: &[u8], der: &[u8]) -> bool {
                Signature::from_der(der)
                    .map(|s| s.normalize_s())
                    .is_ok_and(|s| key.verify_prehash(digest, &s).is_ok())
            }
        }
    };
}

curve!(nist_p256, p256);
curve!(nist_p384, p384);
curve!(nist_p521, p521);
curve!(secg_k256, k256);

/// A stored ECDSA key, parsed for use.
pub(crate) enum EcdsaKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    K256(k256::ecdsa::SigningKey),
}

pub(super) fn generate(spec: KeySpec) -> Result<SecretBytes, KmsError> {
    match spec {
        KeySpec::EccNistP256 => nist_p256::generate(),
        KeySpec::EccNistP384 => nist_p384::generate(),
        KeySpec::EccNistP521 => nist_p521::generate(),
        KeySpec::EccSecgP256k1 => secg_k256::generate(),
        _ => None,
    }
    .ok_or(KmsError::Internal(InternalError::MaterialGeneration(spec)))
}

/// The algorithm and curve were checked from the PKCS#8 header; what fails here is the key.
pub(super) fn canonical(spec: KeySpec, der: &[u8]) -> Result<SecretBytes, MaterialProblem> {
    match spec {
        KeySpec::EccNistP256 => nist_p256::canonical(der),
        KeySpec::EccNistP384 => nist_p384::canonical(der),
        KeySpec::EccNistP521 => nist_p521::canonical(der),
        KeySpec::EccSecgP256k1 => secg_k256::canonical(der),
        _ => return Err(MaterialProblem::WrongAlgorithm),
    }
    .ok_or(MaterialProblem::InvalidKey)
}

impl EcdsaKey {
    pub(super) fn open(spec: KeySpec, material: &SecretBytes) -> Option<Self> {
        Some(match spec {
            KeySpec::EccNistP256 => EcdsaKey::P256(nist_p256::open(material)?),
            KeySpec::EccNistP384 => EcdsaKey::P384(nist_p384::open(material)?),
            KeySpec::EccNistP521 => EcdsaKey::P521(nist_p521::open(material)?),
            KeySpec::EccSecgP256k1 => EcdsaKey::K256(secg_k256::open(material)?),
            _ => return None,
        })
    }

    pub(super) fn public_key_der(&self) -> Option<Vec<u8>> {
        match self {
            EcdsaKey::P256(k) => nist_p256::public_key_der(k),
            EcdsaKey::P384(k) => nist_p384::public_key_der(k),
            EcdsaKey::P521(k) => nist_p521::public_key_der(k),
            EcdsaKey::K256(k) => secg_k256::public_key_der(k),
        }
    }

    pub(super) fn sign(
        &self,
        algorithm: SigningAlgorithm,
        message: Message<'_>,
    ) -> Result<Vec<u8>, KmsError> {
        let digest = digest(algorithm, message);
        match self {
            EcdsaKey::P256(k) => nist_p256::sign(k, &digest),
            EcdsaKey::P384(k) => nist_p384::sign(k, &digest),
            EcdsaKey::P521(k) => nist_p521::sign(k, &digest),
            EcdsaKey::K256(k) => secg_k256::sign(k, &digest),
        }
        .ok_or(KmsError::Internal(InternalError::Crypto("ECDSA signing")))
    }

    pub(super) fn verify(
        &self,
        algorithm: SigningAlgorithm,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<(), KmsError> {
        let digest = digest(algorithm, message);
        let valid = match self {
            EcdsaKey::P256(k) => nist_p256::verify(k.verifying_key(), &digest, signature),
            EcdsaKey::P384(k) => nist_p384::verify(k.verifying_key(), &digest, signature),
            EcdsaKey::P521(k) => nist_p521::verify(k.verifying_key(), &digest, signature),
            EcdsaKey::K256(k) => secg_k256::verify(k.verifying_key(), &digest, signature),
        };
        if valid {
            Ok(())
        } else {
            Err(KmsError::InvalidSignature)
        }
    }
}

/// The digest to sign: the caller's, or the message hashed with the algorithm's hash.
fn digest(algorithm: SigningAlgorithm, message: Message<'_>) -> Vec<u8> {
    match message {
        Message::Digest(d) => d.to_vec(),
        Message::Raw(m) => match algorithm {
            SigningAlgorithm::EcdsaSha384 => Sha384::digest(m).to_vec(),
            SigningAlgorithm::EcdsaSha512 => Sha512::digest(m).to_vec(),
            _ => Sha256::digest(m).to_vec(),
        },
    }
}
