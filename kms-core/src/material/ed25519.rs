//! Ed25519 keys (ed25519-dalek): pure EdDSA over the message itself (RFC 8032); there is no
//! DIGEST form, which `Message` refuses before this is reached.

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey};

use crate::error::{InternalError, KmsError, MaterialProblem};
use crate::secret::SecretBytes;
use crate::spec::KeySpec;

fn encode(key: &SigningKey) -> Option<SecretBytes> {
    let doc = key.to_pkcs8_der().ok()?;
    Some(SecretBytes::from(doc.as_bytes().to_vec()))
}

pub(super) fn generate() -> Result<SecretBytes, KmsError> {
    let seed = super::random_array::<32>()?;
    encode(&SigningKey::from_bytes(&seed)).ok_or(KmsError::Internal(
        InternalError::MaterialGeneration(KeySpec::EccNistEdwards25519),
    ))
}

/// A v2 document's public key must match its private key (ed25519-dalek checks).
pub(super) fn canonical(der: &[u8]) -> Result<SecretBytes, MaterialProblem> {
    SigningKey::from_pkcs8_der(der)
        .ok()
        .as_ref()
        .and_then(encode)
        .ok_or(MaterialProblem::InvalidKey)
}

pub(crate) struct Ed25519Key(SigningKey);

impl Ed25519Key {
    pub(super) fn open(material: &SecretBytes) -> Option<Self> {
        SigningKey::from_pkcs8_der(material.expose())
            .ok()
            .map(Ed25519Key)
    }

    pub(super) fn public_key_der(&self) -> Option<Vec<u8>> {
        let doc = self.0.verifying_key().to_public_key_der().ok()?;
        Some(doc.as_bytes().to_vec())
    }

    pub(super) fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).to_bytes().to_vec()
    }

    /// Strict verification: no small-order keys or non-canonical encodings.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KmsError> {
        let signature = Signature::from_slice(signature).map_err(|_| KmsError::InvalidSignature)?;
        self.0
            .verifying_key()
            .verify_strict(message, &signature)
            .map_err(|_| KmsError::InvalidSignature)
    }
}
