//! RSA keys on aws-lc: generation, the canonical PKCS#8 form, PSS and PKCS#1 v1.5
//! signatures (also over a caller's digest), and OAEP. aws-lc's RSA is constant time; the
//! `rsa` crate's private-key operations are not (RUSTSEC-2023-0071), so it only reports the
//! size of a key aws-lc refused.

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::Message;
use crate::algorithm::{EncryptionAlgorithm, SigningAlgorithm};
use crate::error::{InternalError, KmsError, MaterialProblem};
use crate::secret::SecretBytes;
use crate::spec::KeySpec;

fn bits(spec: KeySpec) -> Option<usize> {
    match spec {
        KeySpec::Rsa2048 => Some(2048),
        KeySpec::Rsa3072 => Some(3072),
        KeySpec::Rsa4096 => Some(4096),
        _ => None,
    }
}

fn canonical_der(key: &PrivateDecryptingKey) -> Option<SecretBytes> {
    let der: Pkcs8V1Der<'static> = key.as_der().ok()?;
    Some(SecretBytes::from(der.as_ref().to_vec()))
}

pub(super) fn generate(spec: KeySpec) -> Result<SecretBytes, KmsError> {
    let size = match spec {
        KeySpec::Rsa2048 => Some(KeySize::Rsa2048),
        KeySpec::Rsa3072 => Some(KeySize::Rsa3072),
        KeySpec::Rsa4096 => Some(KeySize::Rsa4096),
        _ => None,
    };
    size.and_then(|size| PrivateDecryptingKey::generate(size).ok())
        .as_ref()
        .and_then(canonical_der)
        .ok_or(KmsError::Internal(InternalError::MaterialGeneration(spec)))
}

/// The key re-encoded by aws-lc, so that two encodings of one key are one material.
pub(super) fn canonical(spec: KeySpec, der: &[u8]) -> Result<SecretBytes, MaterialProblem> {
    let expected = bits(spec).ok_or(MaterialProblem::WrongAlgorithm)?;
    let Ok(key) = PrivateDecryptingKey::from_pkcs8(der) else {
        // aws-lc refuses keys below 2048 bits and inconsistent ones alike: say which.
        return Err(match modulus_bits(der) {
            Some(bits) if bits != expected => MaterialProblem::WrongModulus { bits },
            _ => MaterialProblem::InvalidKey,
        });
    };
    let found = key.key_size_bits();
    if found != expected {
        return Err(MaterialProblem::WrongModulus { bits: found });
    }
    // Signing loads the key through another aws-lc type; refuse now what it would refuse.
    if RsaKeyPair::from_pkcs8(der).is_err() {
        return Err(MaterialProblem::InvalidKey);
    }
    canonical_der(&key).ok_or(MaterialProblem::InvalidKey)
}

fn modulus_bits(der: &[u8]) -> Option<usize> {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::from_pkcs8_der(der).ok()?;
    Some(key.n().bits())
}

/// A stored RSA key. aws-lc parses a key for signing and for decryption as different types
/// (each with its consistency check), so each use parses the one it needs.
pub(crate) struct RsaKey {
    spec: KeySpec,
    der: SecretBytes,
}

fn corrupt() -> KmsError {
    KmsError::Internal(InternalError::CorruptRecord("rsa key"))
}

impl RsaKey {
    pub(super) fn open(spec: KeySpec, material: &SecretBytes) -> Self {
        RsaKey {
            spec,
            der: material.clone(),
        }
    }

    fn signing(&self) -> Result<RsaKeyPair, KmsError> {
        RsaKeyPair::from_pkcs8(self.der.expose()).map_err(|_| corrupt())
    }

    fn decrypting(&self) -> Result<PrivateDecryptingKey, KmsError> {
        PrivateDecryptingKey::from_pkcs8(self.der.expose()).map_err(|_| corrupt())
    }

    pub(super) fn public_key_der(&self) -> Option<Vec<u8>> {
        let der: PublicKeyX509Der<'static> = self.decrypting().ok()?.public_key().as_der().ok()?;
        Some(der.as_ref().to_vec())
    }

    pub(super) fn sign(
        &self,
        algorithm: SigningAlgorithm,
        message: Message<'_>,
    ) -> Result<Vec<u8>, KmsError> {
        let (padding, hash, _) = scheme(algorithm)?;
        let key = self.signing()?;
        let mut signature = vec![0u8; key.public_modulus_len()];
        let signed = match message {
            Message::Raw(m) => key.sign(padding, &SystemRandom::new(), m, &mut signature),
            Message::Digest(d) => Digest::import_less_safe(d, hash)
                .and_then(|d| key.sign_digest(padding, &d, &mut signature)),
        };
        signed.map_err(|_| KmsError::Internal(InternalError::Crypto("RSA signing")))?;
        Ok(signature)
    }

    pub(super) fn verify(
        &self,
        algorithm: SigningAlgorithm,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<(), KmsError> {
        let (_, hash, verification) = scheme(algorithm)?;
        let key = self.signing()?;
        let public = UnparsedPublicKey::new(verification, key.public_key().as_ref());
        let verified = match message {
            Message::Raw(m) => public.verify(m, signature),
            Message::Digest(d) => {
                Digest::import_less_safe(d, hash).and_then(|d| public.verify_digest(&d, signature))
            }
        };
        verified.map_err(|_| KmsError::InvalidSignature)
    }

    /// The largest plaintext OAEP fits in this key's block: k − 2·hLen − 2.
    fn max_plaintext(key: &PrivateDecryptingKey, algorithm: EncryptionAlgorithm) -> usize {
        let sha1 = algorithm == EncryptionAlgorithm::RsaesOaepSha1;
        oaep_capacity(key.key_size_bytes(), sha1)
    }

    pub(super) fn encrypt(
        &self,
        algorithm: EncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        let failed = || KmsError::Internal(InternalError::Crypto("RSA encryption"));
        let private = self.decrypting()?;
        let max = Self::max_plaintext(&private, algorithm);
        if plaintext.len() > max {
            return Err(KmsError::PlaintextTooLong {
                algorithm,
                spec: self.spec,
                max,
                actual: plaintext.len(),
            });
        }
        let key = OaepPublicEncryptingKey::new(private.public_key()).map_err(|_| failed())?;
        let mut out = vec![0u8; key.ciphertext_size()];
        let written = key
            .encrypt(oaep(algorithm)?, plaintext, &mut out, None)
            .map_err(|_| failed())?
            .len();
        out.truncate(written);
        Ok(out)
    }

    /// Every failure is one `InvalidCiphertext`, whichever check failed.
    pub(super) fn decrypt(
        &self,
        algorithm: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, KmsError> {
        let key = OaepPrivateDecryptingKey::new(self.decrypting()?).map_err(|_| corrupt())?;
        let mut out = Zeroizing::new(vec![0u8; key.key_size_bytes()]);
        let plain = key
            .decrypt(oaep(algorithm)?, ciphertext, &mut out, None)
            .map_err(|_| KmsError::InvalidCiphertext)?;
        Ok(SecretBytes::from(plain.to_vec()))
    }
}

fn oaep(algorithm: EncryptionAlgorithm) -> Result<&'static OaepAlgorithm, KmsError> {
    match algorithm {
        EncryptionAlgorithm::RsaesOaepSha1 => Ok(&OAEP_SHA1_MGF1SHA1),
        EncryptionAlgorithm::RsaesOaepSha256 => Ok(&OAEP_SHA256_MGF1SHA256),
        _ => Err(mismatch()),
    }
}

type Scheme = (
    &'static dyn signature::RsaEncoding,
    &'static digest::Algorithm,
    &'static signature::RsaParameters,
);

/// PSS salts are as long as the digest (aws-lc's PSS, as AWS KMS).
fn scheme(algorithm: SigningAlgorithm) -> Result<Scheme, KmsError> {
    use SigningAlgorithm::*;
    use signature::*;
    Ok(match algorithm {
        RsassaPssSha256 => (&RSA_PSS_SHA256, &digest::SHA256, &RSA_PSS_2048_8192_SHA256),
        RsassaPssSha384 => (&RSA_PSS_SHA384, &digest::SHA384, &RSA_PSS_2048_8192_SHA384),
        RsassaPssSha512 => (&RSA_PSS_SHA512, &digest::SHA512, &RSA_PSS_2048_8192_SHA512),
        RsassaPkcs1V15Sha256 => (
            &RSA_PKCS1_SHA256,
            &digest::SHA256,
            &RSA_PKCS1_2048_8192_SHA256,
        ),
        RsassaPkcs1V15Sha384 => (
            &RSA_PKCS1_SHA384,
            &digest::SHA384,
            &RSA_PKCS1_2048_8192_SHA384,
        ),
        RsassaPkcs1V15Sha512 => (
            &RSA_PKCS1_SHA512,
            &digest::SHA512,
            &RSA_PKCS1_2048_8192_SHA512,
        ),
        _ => return Err(mismatch()),
    })
}

/// The key already checked that its spec offers the algorithm; reaching this is a bug.
fn mismatch() -> KmsError {
    KmsError::Internal(InternalError::CorruptRecord(
        "algorithm not of the key's family",
    ))
}

/// What one RSA-OAEP block of `modulus_bytes` carries: k − 2·hLen − 2, hLen 20 for SHA-1 and
/// 32 for SHA-256 (the only OAEP hashes the clouds offer).
pub(crate) fn oaep_capacity(modulus_bytes: usize, sha1: bool) -> usize {
    let hash_len = if sha1 { 20 } else { 32 };
    modulus_bytes.saturating_sub(2 * hash_len + 2)
}
