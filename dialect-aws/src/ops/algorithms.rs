//! The model's key specs, usages and algorithms as the core's types: what CreateKey, Sign,
//! Verify, GenerateMac, VerifyMac, Encrypt and Decrypt parse, and the lists KeyMetadata and
//! GetPublicKey answer with (in the order AWS lists them).

use kms_core::{EncryptionAlgorithm, KeySpec, KeyUsage, MacAlgorithm, SigningAlgorithm};
use serde_json::{Value, json};

use crate::error::{AwsError, ErrorCode};
use crate::wire_enum::{
    EncryptionAlgorithmWire, KeySpecWire, KeyUsageWire, MacAlgorithmWire, SigningAlgorithmWire,
    WireEnum,
};

fn not_emulated(what: &str) -> AwsError {
    AwsError::new(
        ErrorCode::UnsupportedOperationException,
        format!("kmsgate does not emulate {what}"),
    )
}

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new(ErrorCode::ValidationException, message)
}

/// A `KeySpec` (or `CustomerMasterKeySpec`) value: SYMMETRIC_DEFAULT is SM4 in the China
/// regions, AES-256 elsewhere; SM2 exists only in the China regions.
pub(crate) fn key_spec(wire: KeySpecWire, china: bool) -> Result<KeySpec, AwsError> {
    Ok(match wire {
        KeySpecWire::SymmetricDefault if china => KeySpec::Sm4,
        KeySpecWire::SymmetricDefault => KeySpec::Aes256,
        KeySpecWire::Rsa2048 => KeySpec::Rsa2048,
        KeySpecWire::Rsa3072 => KeySpec::Rsa3072,
        KeySpecWire::Rsa4096 => KeySpec::Rsa4096,
        KeySpecWire::EccNistP256 => KeySpec::EccNistP256,
        KeySpecWire::EccNistP384 => KeySpec::EccNistP384,
        KeySpecWire::EccNistP521 => KeySpec::EccNistP521,
        KeySpecWire::EccSecgP256k1 => KeySpec::EccSecgP256k1,
        KeySpecWire::EccNistEdwards25519 => KeySpec::EccNistEdwards25519,
        KeySpecWire::Hmac224 => KeySpec::Hmac224,
        KeySpecWire::Hmac256 => KeySpec::Hmac256,
        KeySpecWire::Hmac384 => KeySpec::Hmac384,
        KeySpecWire::Hmac512 => KeySpec::Hmac512,
        KeySpecWire::Sm2 if !china => {
            return Err(validation(
                "KeySpec SM2 is supported only in China Regions.",
            ));
        }
        KeySpecWire::Sm2 => KeySpec::Sm2,
        KeySpecWire::MlDsa44
        | KeySpecWire::MlDsa65
        | KeySpecWire::MlDsa87
        | KeySpecWire::MlKem512
        | KeySpecWire::MlKem768
        | KeySpecWire::MlKem1024 => {
            return Err(not_emulated(&format!("KeySpec {}", wire.as_str())));
        }
    })
}

/// A `KeyUsage` value the core knows. KEY_AGREEMENT and ENCAPSULATE_DECAPSULATE are refused by
/// the caller first where AWS itself refuses them for the spec.
pub(crate) fn key_usage(wire: KeyUsageWire) -> Option<KeyUsage> {
    match wire {
        KeyUsageWire::EncryptDecrypt => Some(KeyUsage::EncryptDecrypt),
        KeyUsageWire::SignVerify => Some(KeyUsage::SignVerify),
        KeyUsageWire::GenerateVerifyMac => Some(KeyUsage::GenerateVerifyMac),
        KeyUsageWire::KeyAgreement | KeyUsageWire::EncapsulateDecapsulate => None,
    }
}

/// Whether AWS offers `usage` (one kmsgate does not emulate) with `spec` at all: then the
/// refusal is "not emulated"; otherwise it is AWS's own ValidationException.
pub(crate) fn aws_offers_unemulated(usage: KeyUsageWire, spec: KeySpec) -> bool {
    match usage {
        KeyUsageWire::KeyAgreement => matches!(
            spec,
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 | KeySpec::Sm2
        ),
        _ => false,
    }
}

/// `None`: a value of the model kmsgate has no key for (ML-DSA, Ed25519ph).
pub(crate) fn signing_algorithm(wire: SigningAlgorithmWire) -> Option<SigningAlgorithm> {
    Some(match wire {
        SigningAlgorithmWire::RsassaPssSha256 => SigningAlgorithm::RsassaPssSha256,
        SigningAlgorithmWire::RsassaPssSha384 => SigningAlgorithm::RsassaPssSha384,
        SigningAlgorithmWire::RsassaPssSha512 => SigningAlgorithm::RsassaPssSha512,
        SigningAlgorithmWire::RsassaPkcs1V15Sha256 => SigningAlgorithm::RsassaPkcs1V15Sha256,
        SigningAlgorithmWire::RsassaPkcs1V15Sha384 => SigningAlgorithm::RsassaPkcs1V15Sha384,
        SigningAlgorithmWire::RsassaPkcs1V15Sha512 => SigningAlgorithm::RsassaPkcs1V15Sha512,
        SigningAlgorithmWire::EcdsaSha256 => SigningAlgorithm::EcdsaSha256,
        SigningAlgorithmWire::EcdsaSha384 => SigningAlgorithm::EcdsaSha384,
        SigningAlgorithmWire::EcdsaSha512 => SigningAlgorithm::EcdsaSha512,
        SigningAlgorithmWire::Sm2Dsa => SigningAlgorithm::Sm2Dsa,
        SigningAlgorithmWire::Ed25519Sha512 => SigningAlgorithm::Ed25519Sha512,
        SigningAlgorithmWire::MlDsaShake256 | SigningAlgorithmWire::Ed25519PhSha512 => {
            return None;
        }
    })
}

pub(crate) fn mac_algorithm(wire: MacAlgorithmWire) -> MacAlgorithm {
    match wire {
        MacAlgorithmWire::HmacSha224 => MacAlgorithm::HmacSha224,
        MacAlgorithmWire::HmacSha256 => MacAlgorithm::HmacSha256,
        MacAlgorithmWire::HmacSha384 => MacAlgorithm::HmacSha384,
        MacAlgorithmWire::HmacSha512 => MacAlgorithm::HmacSha512,
    }
}

pub(crate) fn encryption_algorithm(wire: EncryptionAlgorithmWire) -> EncryptionAlgorithm {
    match wire {
        EncryptionAlgorithmWire::SymmetricDefault => EncryptionAlgorithm::SymmetricDefault,
        EncryptionAlgorithmWire::RsaesOaepSha1 => EncryptionAlgorithm::RsaesOaepSha1,
        EncryptionAlgorithmWire::RsaesOaepSha256 => EncryptionAlgorithm::RsaesOaepSha256,
        EncryptionAlgorithmWire::Sm2Pke => EncryptionAlgorithm::Sm2Pke,
    }
}

/// A list of algorithms in the order the model's enum lists them, except that RSA signing keys
/// list PKCS #1 v1.5 before PSS, as AWS's DescribeKey examples show.
fn ordered<T: Copy + std::fmt::Display>(items: &[T], order: &[&str]) -> Value {
    let mut names: Vec<String> = items.iter().map(ToString::to_string).collect();
    names.sort_by_key(|n| order.iter().position(|o| o == n).unwrap_or(order.len()));
    json!(names)
}

const SIGNING_ORDER: [&str; 11] = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "ED25519_SHA_512",
    "SM2DSA",
];

pub(crate) fn signing_list(items: &[SigningAlgorithm]) -> Value {
    ordered(items, &SIGNING_ORDER)
}

pub(crate) fn encryption_list(items: &[EncryptionAlgorithm]) -> Value {
    ordered(items, <EncryptionAlgorithmWire as WireEnum>::VALUES)
}

pub(crate) fn mac_list(items: &[MacAlgorithm]) -> Value {
    ordered(items, <MacAlgorithmWire as WireEnum>::VALUES)
}
