//! Client-side wrapping for the scenarios: `byok-wrap`, the code `kmsgate wrap` runs, written
//! from the clouds' documents and independently of kms-core's unwrapping (each checks the
//! other). Output is what goes, base64-encoded, into the import request.

use byok_wrap::{Algorithm, PublicKey, Sm2Format};

use crate::neutral::WrapAlg;

#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    #[error("the wrapping public key: {0}")]
    PublicKey(#[from] byok_wrap::PublicKeyError),
    #[error(transparent)]
    Wrap(#[from] byok_wrap::WrapError),
}

/// Wraps `material` under the DER SubjectPublicKeyInfo `public_key_der`, SM2 as DER C1C3C2
/// (what OpenSSL writes and every cloud's recipe uses).
pub fn wrap(
    public_key_der: &[u8],
    algorithm: WrapAlg,
    material: &[u8],
) -> Result<Vec<u8>, WrapError> {
    let key = PublicKey::from_der(public_key_der)?;
    Ok(byok_wrap::wrap(
        &key,
        algorithm_of(algorithm),
        material,
        Sm2Format::Der,
    )?)
}

fn algorithm_of(algorithm: WrapAlg) -> Algorithm {
    match algorithm {
        WrapAlg::RsaesPkcs1V15 => Algorithm::RsaesPkcs1V15,
        WrapAlg::RsaesOaepSha1 => Algorithm::RsaesOaepSha1,
        WrapAlg::RsaesOaepSha256 => Algorithm::RsaesOaepSha256,
        WrapAlg::RsaAesKeyWrapSha1 => Algorithm::RsaAesKeyWrapSha1,
        WrapAlg::RsaAesKeyWrapSha256 => Algorithm::RsaAesKeyWrapSha256,
        WrapAlg::Sm2Pke => Algorithm::Sm2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suites_names_are_the_toolkits() {
        for alg in WrapAlg::ALL {
            assert_eq!(algorithm_of(alg).to_string(), alg.to_string());
        }
    }

    #[test]
    fn a_key_of_the_wrong_kind_is_refused() {
        assert!(matches!(
            wrap(b"junk", WrapAlg::Sm2Pke, &[0; 16]),
            Err(WrapError::PublicKey(_))
        ));
    }
}
