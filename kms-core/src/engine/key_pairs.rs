//! Wrapping key pairs kept across restarts: a server saves its pool's ready pairs when it
//! stops and starts the next pool with them, so a restart does not spend seconds of CPU
//! generating RSA keys again. Saved sealed under their own root-derived key (they are
//! private keys), in the store's metadata (so also authenticated); taken out at load, so a
//! pair handed out after a load is never handed out again by a later process.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::Kms;
use crate::error::{InternalError, KmsError};
use crate::seal::Purpose;
use crate::wrapping::{WrappingKeyPair, WrappingKeySpec};

const META: &str = "key_pairs";
const AAD: &[u8] = b"kmsgate/v1/key-pairs";

#[derive(Serialize, Deserialize)]
struct Saved {
    spec: WrappingKeySpec,
    /// base64 of the pair's private encoding.
    private: String,
}

impl Kms {
    /// Saves `pairs` for [`Kms::take_saved_key_pairs`], replacing any saved before.
    pub fn save_key_pairs(&self, pairs: &[WrappingKeyPair]) -> Result<(), KmsError> {
        let mut saved = Vec::with_capacity(pairs.len());
        for pair in pairs {
            saved.push(Saved {
                spec: pair.spec(),
                private: STANDARD.encode(pair.to_private_bytes()?.as_slice()),
            });
        }
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(&saved).map_err(|_| InternalError::CorruptRecord("key pairs"))?,
        );
        let sealed = self.sealer.seal(Purpose::KeyPairs, AAD, &json)?;
        self.put_meta(META, &sealed)
    }

    /// The pairs saved by an earlier process, removed from the store. Pairs that no longer
    /// open (another root key, damage) are dropped: a pool simply generates new ones.
    pub fn take_saved_key_pairs(&self) -> Result<Vec<WrappingKeyPair>, KmsError> {
        let sealed = match self.get_meta(META) {
            Ok(Some(sealed)) => sealed,
            Ok(None) | Err(KmsError::Internal(InternalError::CorruptRecord(_))) => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        self.put_meta(META, &self.sealer.seal(Purpose::KeyPairs, AAD, b"[]")?)?;
        let Some(json) = self.sealer.open(Purpose::KeyPairs, AAD, &sealed) else {
            return Ok(Vec::new());
        };
        // It opened, so this process's root key sealed it; unparsable would mean another
        // version's format: those pairs are simply not reused.
        let Ok(saved) = serde_json::from_slice::<Vec<Saved>>(&json) else {
            return Ok(Vec::new());
        };
        Ok(saved
            .iter()
            .filter_map(|s| {
                let bytes = zeroize::Zeroizing::new(STANDARD.decode(&s.private).ok()?);
                WrappingKeyPair::from_private_bytes(s.spec, &bytes)
            })
            .collect())
    }
}
