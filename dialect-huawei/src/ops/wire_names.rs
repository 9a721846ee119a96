//! Huawei's names for key specs, key usages and algorithms, and the defaults Huawei applies.
//! The core's `Display` gives AWS's names (`ECC_NIST_P256`, `SM2DSA`); Huawei spells several
//! of them differently (`EC_P256`, `SM2DSA_SM3`), so every name on this wire comes from here.

use kms_core::{EncryptionAlgorithm, KeyFamily, KeySpec, KeyUsage, MacAlgorithm, SigningAlgorithm};

use crate::error::HuaweiError;

/// create-key's `key_spec` enum (huaweicloudsdkkms `CreateKeyRequestBody`), in its order.
pub(crate) const KEY_SPECS: &[(&str, KeySpec)] = &[
    ("AES_256", KeySpec::Aes256),
    ("SM4", KeySpec::Sm4),
    ("RSA_2048", KeySpec::Rsa2048),
    ("RSA_3072", KeySpec::Rsa3072),
    ("RSA_4096", KeySpec::Rsa4096),
    ("EC_P256", KeySpec::EccNistP256),
    ("EC_P384", KeySpec::EccNistP384),
    ("SECP256K1", KeySpec::EccSecgP256k1),
    ("SM2", KeySpec::Sm2),
    ("ED25519", KeySpec::EccNistEdwards25519),
    ("HMAC_256", KeySpec::Hmac256),
    ("HMAC_384", KeySpec::Hmac384),
    ("HMAC_512", KeySpec::Hmac512),
    ("HMAC_SM3", KeySpec::HmacSm3),
];

pub(crate) fn key_spec(name: &str) -> Option<KeySpec> {
    KEY_SPECS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The Huawei name of a spec. ECC_NIST_P521 and HMAC_224 exist in the core (AWS offers them)
/// but not in Huawei's enum; no Huawei key can have them, and they are shown in AWS's words.
pub(crate) fn key_spec_name(spec: KeySpec) -> String {
    KEY_SPECS
        .iter()
        .find(|(_, s)| *s == spec)
        .map_or_else(|| spec.to_string(), |(n, _)| (*n).to_owned())
}

/// `key_usage` values: the SDK lists ENCRYPT_DECRYPT and SIGN_VERIFY; the API reference adds
/// GENERATE_VERIFY_MAC for HMAC keys.
pub(crate) const KEY_USAGES: &[(&str, KeyUsage)] = &[
    ("ENCRYPT_DECRYPT", KeyUsage::EncryptDecrypt),
    ("SIGN_VERIFY", KeyUsage::SignVerify),
    ("GENERATE_VERIFY_MAC", KeyUsage::GenerateVerifyMac),
];

pub(crate) fn key_usage_name(usage: KeyUsage) -> &'static str {
    match usage {
        KeyUsage::EncryptDecrypt => "ENCRYPT_DECRYPT",
        KeyUsage::SignVerify => "SIGN_VERIFY",
        KeyUsage::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
    }
}

/// Huawei's defaults ("symmetric keys default to ENCRYPT_DECRYPT, asymmetric keys to
/// SIGN_VERIFY"); an HMAC key has one usage, so it is its default. Not the core's
/// `usages()[0]`, which follows AWS (whose RSA keys have no default of SIGN_VERIFY).
pub(crate) fn default_usage(spec: KeySpec) -> KeyUsage {
    match spec.family() {
        KeyFamily::Symmetric => KeyUsage::EncryptDecrypt,
        KeyFamily::Rsa | KeyFamily::Ecc | KeyFamily::Sm2 => KeyUsage::SignVerify,
        KeyFamily::Hmac => KeyUsage::GenerateVerifyMac,
    }
}

/// sign/verify's `signing_algorithm` enum. ED25519_PH_SHA_512 is in the enum but not
/// emulated (the core signs Ed25519 in its pure form only).
pub(crate) const SIGNING_ALGORITHMS: &[(&str, SigningAlgorithm)] = &[
    ("RSASSA_PSS_SHA_256", SigningAlgorithm::RsassaPssSha256),
    ("RSASSA_PSS_SHA_384", SigningAlgorithm::RsassaPssSha384),
    ("RSASSA_PSS_SHA_512", SigningAlgorithm::RsassaPssSha512),
    (
        "RSASSA_PKCS1_V1_5_SHA_256",
        SigningAlgorithm::RsassaPkcs1V15Sha256,
    ),
    (
        "RSASSA_PKCS1_V1_5_SHA_384",
        SigningAlgorithm::RsassaPkcs1V15Sha384,
    ),
    (
        "RSASSA_PKCS1_V1_5_SHA_512",
        SigningAlgorithm::RsassaPkcs1V15Sha512,
    ),
    ("ECDSA_SHA_256", SigningAlgorithm::EcdsaSha256),
    ("ECDSA_SHA_384", SigningAlgorithm::EcdsaSha384),
    ("ECDSA_SHA_512", SigningAlgorithm::EcdsaSha512),
    ("SM2DSA_SM3", SigningAlgorithm::Sm2Dsa),
    ("ED25519_SHA_512", SigningAlgorithm::Ed25519Sha512),
];

pub(crate) fn signing_algorithm(field: &str, name: &str) -> Result<SigningAlgorithm, HuaweiError> {
    if let Some((_, a)) = SIGNING_ALGORITHMS.iter().find(|(n, _)| *n == name) {
        return Ok(*a);
    }
    if name == "ED25519_PH_SHA_512" {
        return Err(HuaweiError::invalid(format!(
            "Invalid parameter: {field} ED25519_PH_SHA_512 is not supported by kmsgate; use ED25519_SHA_512 with message_type RAW."
        )));
    }
    let names: Vec<&str> = SIGNING_ALGORITHMS.iter().map(|(n, _)| *n).collect();
    Err(HuaweiError::invalid(format!(
        "Invalid parameter: {field} must be one of {}, ED25519_PH_SHA_512.",
        names.join(", ")
    )))
}

pub(crate) fn signing_algorithm_name(algorithm: SigningAlgorithm) -> String {
    SIGNING_ALGORITHMS
        .iter()
        .find(|(_, a)| *a == algorithm)
        .map_or_else(|| algorithm.to_string(), |(n, _)| (*n).to_owned())
}

/// generate-mac/verify-mac's `mac_algorithm` enum (no HMAC_SHA_224: Huawei has no HMAC_224
/// keys).
pub(crate) const MAC_ALGORITHMS: &[(&str, MacAlgorithm)] = &[
    ("HMAC_SHA_256", MacAlgorithm::HmacSha256),
    ("HMAC_SHA_384", MacAlgorithm::HmacSha384),
    ("HMAC_SHA_512", MacAlgorithm::HmacSha512),
    ("HMAC_SM3", MacAlgorithm::HmacSm3),
];

pub(crate) fn mac_algorithm_name(algorithm: MacAlgorithm) -> String {
    MAC_ALGORITHMS
        .iter()
        .find(|(_, a)| *a == algorithm)
        .map_or_else(|| algorithm.to_string(), |(n, _)| (*n).to_owned())
}

/// encrypt-data/decrypt-data's `encryption_algorithm`: SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256,
/// SM2_ENCRYPT; re-encrypt's also lists RSAES_OAEP_SHA_1.
pub(crate) const ENCRYPTION_ALGORITHMS: &[(&str, EncryptionAlgorithm)] = &[
    ("SYMMETRIC_DEFAULT", EncryptionAlgorithm::SymmetricDefault),
    ("RSAES_OAEP_SHA_1", EncryptionAlgorithm::RsaesOaepSha1),
    ("RSAES_OAEP_SHA_256", EncryptionAlgorithm::RsaesOaepSha256),
    ("SM2_ENCRYPT", EncryptionAlgorithm::Sm2Pke),
];

pub(crate) fn encryption_algorithm_name(algorithm: EncryptionAlgorithm) -> &'static str {
    match algorithm {
        EncryptionAlgorithm::SymmetricDefault => "SYMMETRIC_DEFAULT",
        EncryptionAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
        EncryptionAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        EncryptionAlgorithm::Sm2Pke => "SM2_ENCRYPT",
    }
}

/// An enum field by its Huawei names: absent is `None`, an unknown name KMS.0308.
pub(crate) fn lookup<T: Copy>(
    field: &str,
    text: Option<&str>,
    table: &[(&str, T)],
) -> Result<Option<T>, HuaweiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    table
        .iter()
        .find(|(n, _)| *n == text)
        .map(|(_, v)| Some(*v))
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            HuaweiError::invalid(format!(
                "Invalid parameter: {field} must be one of {}.",
                names.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_huawei_spec_name_round_trips() {
        for (name, spec) in KEY_SPECS {
            assert_eq!(key_spec(name), Some(*spec));
            assert_eq!(key_spec_name(*spec), *name);
        }
        assert_eq!(key_spec("ECC_NIST_P256"), None);
        assert_eq!(key_spec_name(KeySpec::EccNistP521), "ECC_NIST_P521");
    }

    #[test]
    fn defaults_follow_huawei() {
        assert_eq!(default_usage(KeySpec::Aes256), KeyUsage::EncryptDecrypt);
        assert_eq!(default_usage(KeySpec::Rsa2048), KeyUsage::SignVerify);
        assert_eq!(default_usage(KeySpec::Sm2), KeyUsage::SignVerify);
        assert_eq!(default_usage(KeySpec::HmacSm3), KeyUsage::GenerateVerifyMac);
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(
            signing_algorithm("a", "SM2DSA_SM3").unwrap(),
            SigningAlgorithm::Sm2Dsa
        );
        assert_eq!(
            signing_algorithm_name(SigningAlgorithm::Sm2Dsa),
            "SM2DSA_SM3"
        );
        assert!(signing_algorithm("a", "SM2DSA").is_err());
        assert!(signing_algorithm("a", "ED25519_PH_SHA_512").is_err());
        assert_eq!(mac_algorithm_name(MacAlgorithm::HmacSm3), "HMAC_SM3");
        assert_eq!(
            lookup("m", Some("HMAC_SHA_224"), MAC_ALGORITHMS)
                .unwrap_err()
                .code,
            crate::error::ErrorCode::Kms0308
        );
    }
}
