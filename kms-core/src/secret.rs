//! Bytes that must not linger: key material and data-key plaintext.

use std::fmt;

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::error::{InternalError, KmsError};

/// `n` bytes from the system's random number generator.
pub(crate) fn random_bytes(n: usize) -> Result<SecretBytes, KmsError> {
    let mut bytes = SecretBytes::from(vec![0u8; n]);
    OsRng
        .try_fill_bytes(&mut bytes.0)
        .map_err(|_| InternalError::Randomness)?;
    Ok(bytes)
}

/// Secret bytes, wiped from memory on drop and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(v))
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([redacted; {}])", self.0.len())
    }
}
