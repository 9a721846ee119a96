//! What kind of private key a PKCS#8 document holds, read from its algorithm identifier
//! alone, so that a key of the wrong algorithm or curve gets its own refusal before any
//! family's parser sees it.

use pkcs8::{ObjectIdentifier, PrivateKeyInfoRef};

use crate::error::MaterialProblem;
use crate::spec::KeySpec;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
/// GmSSL also writes SM2 keys with this OID as the algorithm itself.
const SM2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rsa,
    Ec(Option<ObjectIdentifier>),
    Ed25519,
    Other,
}

fn kind(der: &[u8]) -> Result<Kind, MaterialProblem> {
    let info = PrivateKeyInfoRef::try_from(der).map_err(|_| MaterialProblem::NotPkcs8)?;
    let oid = info.algorithm.oid;
    Ok(if oid == RSA_ENCRYPTION {
        Kind::Rsa
    } else if oid == EC_PUBLIC_KEY {
        Kind::Ec(info.algorithm.parameters_oid().ok())
    } else if oid == SM2 {
        Kind::Ec(Some(SM2))
    } else if oid == ED25519 {
        Kind::Ed25519
    } else {
        Kind::Other
    })
}

/// Whether `der` is a PKCS#8 private key of the spec's algorithm and curve; the key itself
/// is parsed (and its size checked) by its family afterwards.
pub(super) fn expect(spec: KeySpec, der: &[u8]) -> Result<(), MaterialProblem> {
    let curve = match spec {
        KeySpec::EccNistP256 => Some(P256),
        KeySpec::EccNistP384 => Some(P384),
        KeySpec::EccNistP521 => Some(P521),
        KeySpec::EccSecgP256k1 => Some(SECP256K1),
        KeySpec::Sm2 => Some(SM2),
        _ => None,
    };
    match (kind(der)?, spec) {
        (Kind::Rsa, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096) => Ok(()),
        (Kind::Ed25519, KeySpec::EccNistEdwards25519) => Ok(()),
        (Kind::Ec(found), _) if curve.is_some() => {
            if found == curve {
                Ok(())
            } else {
                Err(MaterialProblem::WrongCurve)
            }
        }
        _ => Err(MaterialProblem::WrongAlgorithm),
    }
}
