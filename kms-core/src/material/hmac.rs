//! HMAC keys: raw bytes of the spec's lengths; MACs with the spec's hash (SHA-2 or SM3, on
//! the digest 0.11 line that `sm3` is on), compared in constant time.

use hmac_next::{Hmac, KeyInit, Mac};
use sha2_next::{Sha224, Sha256, Sha384, Sha512};
use sm3::Sm3;

use crate::algorithm::MacAlgorithm;
use crate::error::{InternalError, KmsError, MaterialProblem};
use crate::secret::SecretBytes;
use crate::spec::KeySpec;

pub(super) fn generate(spec: KeySpec) -> Result<SecretBytes, KmsError> {
    let lengths = spec
        .hmac_lengths()
        .ok_or(KmsError::Internal(InternalError::MaterialGeneration(spec)))?;
    crate::secret::random_bytes(lengths.generated)
}

pub(super) fn check(spec: KeySpec, key: &[u8]) -> Result<(), MaterialProblem> {
    let lengths = spec.hmac_lengths().ok_or(MaterialProblem::WrongAlgorithm)?;
    if (lengths.min..=lengths.max).contains(&key.len()) {
        Ok(())
    } else {
        Err(MaterialProblem::Length {
            min: lengths.min,
            max: lengths.max,
            actual: key.len(),
        })
    }
}

fn keyed<M: Mac + KeyInit>(key: &SecretBytes, message: &[u8]) -> Result<M, KmsError> {
    let mut mac = <M as KeyInit>::new_from_slice(key.expose())
        .map_err(|_| KmsError::Internal(InternalError::CorruptRecord("hmac key")))?;
    mac.update(message);
    Ok(mac)
}

pub(crate) fn generate_mac(
    algorithm: MacAlgorithm,
    key: &SecretBytes,
    message: &[u8],
) -> Result<Vec<u8>, KmsError> {
    fn tag<M: Mac + KeyInit>(key: &SecretBytes, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        Ok(keyed::<M>(key, message)?.finalize().into_bytes().to_vec())
    }
    match algorithm {
        MacAlgorithm::HmacSha224 => tag::<Hmac<Sha224>>(key, message),
        MacAlgorithm::HmacSha256 => tag::<Hmac<Sha256>>(key, message),
        MacAlgorithm::HmacSha384 => tag::<Hmac<Sha384>>(key, message),
        MacAlgorithm::HmacSha512 => tag::<Hmac<Sha512>>(key, message),
        MacAlgorithm::HmacSm3 => tag::<Hmac<Sm3>>(key, message),
    }
}

/// A truncated or extended MAC is simply invalid.
pub(crate) fn verify_mac(
    algorithm: MacAlgorithm,
    key: &SecretBytes,
    message: &[u8],
    mac: &[u8],
) -> Result<(), KmsError> {
    fn check<M: Mac + KeyInit>(
        key: &SecretBytes,
        message: &[u8],
        mac: &[u8],
    ) -> Result<(), KmsError> {
        keyed::<M>(key, message)?
            .verify_slice(mac)
            .map_err(|_| KmsError::InvalidMac)
    }
    match algorithm {
        MacAlgorithm::HmacSha224 => check::<Hmac<Sha224>>(key, message, mac),
        MacAlgorithm::HmacSha256 => check::<Hmac<Sha256>>(key, message, mac),
        MacAlgorithm::HmacSha384 => check::<Hmac<Sha384>>(key, message, mac),
        MacAlgorithm::HmacSha512 => check::<Hmac<Sha512>>(key, message, mac),
        MacAlgorithm::HmacSm3 => check::<Hmac<Sm3>>(key, message, mac),
    }
}
