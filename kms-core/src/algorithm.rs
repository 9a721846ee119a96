//! What a key is used for and the algorithms it is used with. `Display` of each enum is the
//! AWS wire name; dialects with other names map themselves.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a key is for; fixed at creation, allowed per spec by [`crate::KeySpec::usages`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyUsage {
    /// Records written before other usages existed are symmetric encryption keys.
    #[default]
    EncryptDecrypt,
    SignVerify,
    GenerateVerifyMac,
}

impl KeyUsage {
    pub const ALL: [KeyUsage; 3] = [
        KeyUsage::EncryptDecrypt,
        KeyUsage::SignVerify,
        KeyUsage::GenerateVerifyMac,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncryptionAlgorithm {
    /// kmsgate's symmetric blob (AES-256-GCM or SM4-GCM).
    SymmetricDefault,
    RsaesOaepSha1,
    RsaesOaepSha256,
    /// SM2 public-key encryption, DER C1C3C2.
    Sm2Pke,
}

impl EncryptionAlgorithm {
    pub const ALL: [EncryptionAlgorithm; 4] = [
        EncryptionAlgorithm::SymmetricDefault,
        EncryptionAlgorithm::RsaesOaepSha1,
        EncryptionAlgorithm::RsaesOaepSha256,
        EncryptionAlgorithm::Sm2Pke,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// PSS with MGF1 of the same hash and a salt as long as the digest (as AWS).
    RsassaPssSha256,
    RsassaPssSha384,
    RsassaPssSha512,
    RsassaPkcs1V15Sha256,
    RsassaPkcs1V15Sha384,
    RsassaPkcs1V15Sha512,
    /// DER-encoded ECDSA signatures.
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    /// Pure Ed25519 (RFC 8032): RAW messages only.
    Ed25519Sha512,
    /// SM2 with SM3 and the default user id `1234567812345678`; DER signatures. Its DIGEST
    /// form is e = SM3(Z_A ‖ M), computed by the caller.
    Sm2Dsa,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 11] = [
        SigningAlgorithm::RsassaPssSha256,
        SigningAlgorithm::RsassaPssSha384,
        SigningAlgorithm::RsassaPssSha512,
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        SigningAlgorithm::RsassaPkcs1V15Sha384,
        SigningAlgorithm::RsassaPkcs1V15Sha512,
        SigningAlgorithm::EcdsaSha256,
        SigningAlgorithm::EcdsaSha384,
        SigningAlgorithm::EcdsaSha512,
        SigningAlgorithm::Ed25519Sha512,
        SigningAlgorithm::Sm2Dsa,
    ];

    /// The length a DIGEST message must have; `None`: the algorithm has no DIGEST form.
    pub const fn digest_len(self) -> Option<usize> {
        use SigningAlgorithm::*;
        match self {
            RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 | Sm2Dsa => Some(32),
            RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(48),
            RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 => Some(64),
            Ed25519Sha512 => None,
        }
    }
}

/// Whether a message to sign or verify is the message itself or its digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    Raw,
    Digest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
    /// Huawei's HMAC_SM3.
    HmacSm3,
}

impl MacAlgorithm {
    pub const ALL: [MacAlgorithm; 5] = [
        MacAlgorithm::HmacSha224,
        MacAlgorithm::HmacSha256,
        MacAlgorithm::HmacSha384,
        MacAlgorithm::HmacSha512,
        MacAlgorithm::HmacSm3,
    ];
}

/// Any of the algorithms, for errors that name the one a key refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Signing(SigningAlgorithm),
    Encryption(EncryptionAlgorithm),
    Mac(MacAlgorithm),
}

impl fmt::Display for KeyUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl KeyUsage {
    /// The usage's name, as AWS spells it.
    pub const fn name(self) -> &'static str {
        match self {
            KeyUsage::EncryptDecrypt => "ENCRYPT_DECRYPT",
            KeyUsage::SignVerify => "SIGN_VERIFY",
            KeyUsage::GenerateVerifyMac => "GENERATE_VERIFY_MAC",
        }
    }
}

impl fmt::Display for EncryptionAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncryptionAlgorithm::SymmetricDefault => "SYMMETRIC_DEFAULT",
            EncryptionAlgorithm::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            EncryptionAlgorithm::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            EncryptionAlgorithm::Sm2Pke => "SM2PKE",
        })
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SigningAlgorithm::*;
        f.write_str(match self {
            RsassaPssSha256 => "RSASSA_PSS_SHA_256",
            RsassaPssSha384 => "RSASSA_PSS_SHA_384",
            RsassaPssSha512 => "RSASSA_PSS_SHA_512",
            RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
            RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
            RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
            EcdsaSha256 => "ECDSA_SHA_256",
            EcdsaSha384 => "ECDSA_SHA_384",
            EcdsaSha512 => "ECDSA_SHA_512",
            Ed25519Sha512 => "ED25519_SHA_512",
            Sm2Dsa => "SM2DSA",
        })
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessageType::Raw => "RAW",
            MessageType::Digest => "DIGEST",
        })
    }
}

impl fmt::Display for MacAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MacAlgorithm::HmacSha224 => "HMAC_SHA_224",
            MacAlgorithm::HmacSha256 => "HMAC_SHA_256",
            MacAlgorithm::HmacSha384 => "HMAC_SHA_384",
            MacAlgorithm::HmacSha512 => "HMAC_SHA_512",
            MacAlgorithm::HmacSm3 => "HMAC_SM3",
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Algorithm::Signing(a) => a.fmt(f),
            Algorithm::Encryption(a) => a.fmt(f),
            Algorithm::Mac(a) => a.fmt(f),
        }
    }
}
