//! Client-side wrapping of key material for import, as a user of each cloud does it: what
//! `kmsgate wrap` prints and what the conformance suite imports with. Written from the
//! clouds' documents and independently of kms-core's unwrapping, so each checks the other.
//!
//! - `RSAES_PKCS1_V1_5`, `RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256` (MGF1 with the same hash,
//!   empty label): one RSA block.
//! - `RSA_AES_KEY_WRAP_SHA_1/256`: RSA-OAEP of a fresh AES-256 key, followed by the RFC 5649
//!   key wrap with padding of the material under that key.
//! - `SM2PKE` (Tencent) / `SM2_ENCRYPT` (Huawei, AWS China): SM2 encryption (GB/T 32918.4),
//!   C1C3C2, as DER `SEQUENCE { x, y, C3, C2 }` (what OpenSSL `pkeyutl -encrypt` writes, the
//!   default) or raw, with or without the `04` point prefix.

mod der;
mod public_key;

use std::fmt;

use aes_kw::KekAes256;
use rand_core::{OsRng, RngCore};
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};
use sha1::Sha1;
use sha2::Sha256;
use sm2::pke::{EncryptingKey, Mode};

pub use der::der_c1c3c2;
pub use public_key::{PublicKey, PublicKeyError};

/// A wrapping algorithm, by the names the clouds give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    RsaesPkcs1V15,
    RsaesOaepSha1,
    RsaesOaepSha256,
    RsaAesKeyWrapSha1,
    RsaAesKeyWrapSha256,
    Sm2,
}

impl Algorithm {
    pub const ALL: [Algorithm; 6] = [
        Algorithm::RsaesPkcs1V15,
        Algorithm::RsaesOaepSha1,
        Algorithm::RsaesOaepSha256,
        Algorithm::RsaAesKeyWrapSha1,
        Algorithm::RsaAesKeyWrapSha256,
        Algorithm::Sm2,
    ];

    /// A cloud's name for it; SM2 answers to Tencent's `SM2PKE` and Huawei's and AWS's
    /// `SM2_ENCRYPT`. Case matters, as it does on the wire.
    pub fn parse(name: &str) -> Option<Algorithm> {
        Some(match name {
            "RSAES_PKCS1_V1_5" => Algorithm::RsaesPkcs1V15,
            "RSAES_OAEP_SHA_1" => Algorithm::RsaesOaepSha1,
            "RSAES_OAEP_SHA_256" => Algorithm::RsaesOaepSha256,
            "RSA_AES_KEY_WRAP_SHA_1" => Algorithm::RsaAesKeyWrapSha1,
            "RSA_AES_KEY_WRAP_SHA_256" => Algorithm::RsaAesKeyWrapSha256,
            "SM2PKE" | "SM2_ENCRYPT" => Algorithm::Sm2,
            _ => return None,
        })
    }

    fn is_sm2(self) -> bool {
        self == Algorithm::Sm2
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
            Algorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Algorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Algorithm::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            Algorithm::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
            Algorithm::Sm2 => "SM2PKE",
        })
    }
}

/// How an SM2 ciphertext is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sm2Format {
    /// GM/T 0009 DER, as OpenSSL writes it.
    #[default]
    Der,
    /// `x ‖ y ‖ C3 ‖ C2`.
    Raw,
    /// `04 ‖ x ‖ y ‖ C3 ‖ C2`.
    Raw04,
}

impl Sm2Format {
    pub fn parse(name: &str) -> Option<Sm2Format> {
        Some(match name {
            "der" => Sm2Format::Der,
            "raw" => Sm2Format::Raw,
            "raw04" => Sm2Format::Raw04,
            _ => return None,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    #[error("{algorithm} needs an {wants} public key, and this one is {got}")]
    KeyDoesNotFit {
        algorithm: Algorithm,
        wants: &'static str,
        got: &'static str,
    },
    #[error("{0} encryption failed: {1}")]
    Encrypt(Algorithm, String),
    #[error("the system random number generator failed")]
    Random,
}

/// Wraps `material` under `key` with `algorithm`; `sm2` lays out SM2 ciphertexts.
pub fn wrap(
    key: &PublicKey,
    algorithm: Algorithm,
    material: &[u8],
    sm2: Sm2Format,
) -> Result<Vec<u8>, WrapError> {
    let refuse = |wants| WrapError::KeyDoesNotFit {
        algorithm,
        wants,
        got: key.kind(),
    };
    match (key, algorithm.is_sm2()) {
        (PublicKey::Sm2(public), true) => sm2_wrap(public, material, sm2),
        (PublicKey::Rsa(rsa), false) => rsa_wrap(rsa, algorithm, material),
        (PublicKey::Rsa(_), true) => Err(refuse("SM2")),
        (PublicKey::Sm2(_), false) => Err(refuse("RSA")),
    }
}

fn rsa_wrap(
    rsa: &RsaPublicKey,
    algorithm: Algorithm,
    material: &[u8],
) -> Result<Vec<u8>, WrapError> {
    match algorithm {
        Algorithm::RsaesPkcs1V15 => rsa
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, material)
            .map_err(|e| WrapError::Encrypt(algorithm, e.to_string())),
        Algorithm::RsaAesKeyWrapSha1 | Algorithm::RsaAesKeyWrapSha256 => {
            let mut aes_key = [0u8; 32];
            OsRng
                .try_fill_bytes(&mut aes_key)
                .map_err(|_| WrapError::Random)?;
            let mut out = oaep(rsa, algorithm, &aes_key)?;
            let wrapped = KekAes256::from(aes_key)
                .wrap_with_padding_vec(material)
                .map_err(|e| WrapError::Encrypt(algorithm, e.to_string()))?;
            out.extend_from_slice(&wrapped);
            Ok(out)
        }
        Algorithm::RsaesOaepSha1 | Algorithm::RsaesOaepSha256 | Algorithm::Sm2 => {
            oaep(rsa, algorithm, material)
        }
    }
}

fn oaep(key: &RsaPublicKey, algorithm: Algorithm, data: &[u8]) -> Result<Vec<u8>, WrapError> {
    let padding = match algorithm {
        Algorithm::RsaesOaepSha1 | Algorithm::RsaAesKeyWrapSha1 => Oaep::new::<Sha1>(),
        _ => Oaep::new::<Sha256>(),
    };
    key.encrypt(&mut OsRng, padding, data)
        .map_err(|e| WrapError::Encrypt(algorithm, e.to_string()))
}

fn sm2_wrap(
    key: &sm2::PublicKey,
    material: &[u8],
    format: Sm2Format,
) -> Result<Vec<u8>, WrapError> {
    let raw = EncryptingKey::new_with_mode(*key, Mode::C1C3C2)
        .encrypt(
            &mut sm2::elliptic_curve::common::getrandom::SysRng,
            material,
        )
        .map_err(|e| WrapError::Encrypt(Algorithm::Sm2, e.to_string()))?;
    let layout = || WrapError::Encrypt(Algorithm::Sm2, "unexpected ciphertext layout".into());
    match format {
        Sm2Format::Raw04 => Ok(raw),
        Sm2Format::Raw => raw
            .strip_prefix(&[0x04])
            .map(<[u8]>::to_vec)
            .ok_or_else(layout),
        Sm2Format::Der => der_c1c3c2(&raw).ok_or_else(layout),
    }
}
