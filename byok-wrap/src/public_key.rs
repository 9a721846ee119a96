//! The wrapping public key as the clouds hand it out (base64 DER SubjectPublicKeyInfo) or as
//! a user may have saved it (PEM, raw DER).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;

/// An RSA or SM2 public key.
#[derive(Clone, Debug)]
pub enum PublicKey {
    Rsa(RsaPublicKey),
    Sm2(sm2::PublicKey),
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    #[error("the public key is neither base64 nor PEM nor DER")]
    Encoding,
    #[error("the public key is not an RSA or SM2 SubjectPublicKeyInfo")]
    NotRsaOrSm2,
}

impl PublicKey {
    /// From a SubjectPublicKeyInfo in DER.
    pub fn from_der(der: &[u8]) -> Result<PublicKey, PublicKeyError> {
        if let Ok(rsa) = RsaPublicKey::from_public_key_der(der) {
            return Ok(PublicKey::Rsa(rsa));
        }
        <sm2::PublicKey as sm2::pkcs8::DecodePublicKey>::from_public_key_der(der)
            .map(PublicKey::Sm2)
            .map_err(|_| PublicKeyError::NotRsaOrSm2)
    }

    /// From base64 DER (what GetParametersForImport returns), PEM
    /// (`-----BEGIN PUBLIC KEY-----`), or DER bytes.
    pub fn parse(bytes: &[u8]) -> Result<PublicKey, PublicKeyError> {
        let text = std::str::from_utf8(bytes).ok();
        let der = match text.map(str::trim) {
            Some(t) if t.starts_with("-----BEGIN") => {
                let body: String = t
                    .lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<Vec<_>>()
                    .concat();
                STANDARD
                    .decode(body.trim())
                    .map_err(|_| PublicKeyError::Encoding)?
            }
            Some(t) => match STANDARD.decode(t) {
                Ok(der) => der,
                Err(_) => return Err(PublicKeyError::Encoding),
            },
            None => bytes.to_vec(),
        };
        PublicKey::from_der(&der)
    }

    /// "RSA" or "SM2", for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            PublicKey::Rsa(_) => "RSA",
            PublicKey::Sm2(_) => "SM2",
        }
    }
}
