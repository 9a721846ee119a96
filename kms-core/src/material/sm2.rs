//! SM2 keys (RustCrypto `sm2`): SM2DSA with SM3 and the default user id, DER signatures;
//! SM2 public-key encryption, DER C1C3C2 (GM/T 0009), as the SM2 unwrapping reads it.

use sm2::SecretKey;
use sm2::dsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey};
use sm2::elliptic_curve::Generate;
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use sm2::pke::{DecryptingKey, EncryptingKey, Mode};

use super::Message;
use crate::algorithm::EncryptionAlgorithm;
use crate::error::{InternalError, KmsError, MaterialProblem};
use crate::secret::SecretBytes;
use crate::spec::KeySpec;

/// GB/T 32918.2's default distinguishing identifier, what every cloud signs with.
const DEFAULT_USER_ID: &str = "1234567812345678";

/// SM2PKE encrypts at most this much (the AWS limit).
const MAX_PLAINTEXT: usize = 1024;

fn encode(key: &SecretKey) -> Option<SecretBytes> {
    let doc = key.to_pkcs8_der().ok()?;
    Some(SecretBytes::from(doc.as_bytes().to_vec()))
}

fn generation_failed() -> KmsError {
    KmsError::Internal(InternalError::MaterialGeneration(KeySpec::Sm2))
}

pub(super) fn generate() -> Result<SecretBytes, KmsError> {
    let key = SecretKey::try_generate().map_err(|_| generation_failed())?;
    encode(&key).ok_or_else(generation_failed)
}

pub(super) fn canonical(der: &[u8]) -> Result<SecretBytes, MaterialProblem> {
    SecretKey::from_pkcs8_der(der)
        .ok()
        .as_ref()
        .and_then(encode)
        .ok_or(MaterialProblem::InvalidKey)
}

pub(crate) struct Sm2Key {
    secret: SecretKey,
    signing: SigningKey,
}

impl Sm2Key {
    pub(super) fn open(material: &SecretBytes) -> Option<Self> {
        let secret = SecretKey::from_pkcs8_der(material.expose()).ok()?;
        let signing = SigningKey::new(DEFAULT_USER_ID, &secret).ok()?;
        Some(Sm2Key { secret, signing })
    }

    pub(super) fn public_key_der(&self) -> Option<Vec<u8>> {
        let doc = self.secret.public_key().to_public_key_der().ok()?;
        Some(doc.as_bytes().to_vec())
    }

    /// RAW: the library computes Z_A and e = SM3(Z_A ‖ M); DIGEST: e is the caller's.
    pub(super) fn sign(&self, message: Message<'_>) -> Result<Vec<u8>, KmsError> {
        let signature: Signature = match message {
            Message::Raw(m) => self.signing.try_sign(m),
            Message::Digest(e) => self.signing.sign_prehash(e),
        }
        .map_err(|_| KmsError::Internal(InternalError::Crypto("SM2 signing")))?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    pub(super) fn verify(&self, message: Message<'_>, der: &[u8]) -> Result<(), KmsError> {
        let signature = Signature::from_der(der).map_err(|_| KmsError::InvalidSignature)?;
        let key = self.signing.verifying_key();
        match message {
            Message::Raw(m) => key.verify(m, &signature),
            Message::Digest(e) => key.verify_prehash(e, &signature),
        }
        .map_err(|_| KmsError::InvalidSignature)
    }

    pub(super) fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, KmsError> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(KmsError::PlaintextTooLong {
                algorithm: EncryptionAlgorithm::Sm2Pke,
                spec: KeySpec::Sm2,
                max: MAX_PLAINTEXT,
                actual: plaintext.len(),
            });
        }
        EncryptingKey::new_with_mode(self.secret.public_key(), Mode::C1C3C2)
            .encrypt_der(&mut getrandom::SysRng, plaintext)
            .map_err(|_| KmsError::Internal(InternalError::Randomness))
    }

    pub(super) fn decrypt(&self, ciphertext: &[u8]) -> Result<SecretBytes, KmsError> {
        DecryptingKey::new_with_mode(self.secret.to_nonzero_scalar(), Mode::C1C3C2)
            .decrypt_der(ciphertext)
            .map(SecretBytes::from)
            .map_err(|_| KmsError::InvalidCiphertext)
    }
}
