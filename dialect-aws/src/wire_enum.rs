//! The model's enumerations, with every value the model lists: a value outside the set is a
//! ValidationException naming the set, as AWS answers (botocore never checks enums itself).
//! Whether kmsgate *supports* a listed value is decided by the operation, not here.

/// An enum as the wire spells it.
pub(crate) trait WireEnum: Sized + Copy {
    const VALUES: &'static [&'static str];
    fn from_wire(s: &str) -> Option<Self>;
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum $name {
            $($variant),+
        }

        impl WireEnum for $name {
            const VALUES: &'static [&'static str] = &[$($wire),+];
            fn from_wire(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl $name {
            #[allow(dead_code)]
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }
    };
}

wire_enum!(KeySpecWire {
    Rsa2048 = "RSA_2048",
    Rsa3072 = "RSA_3072",
    Rsa4096 = "RSA_4096",
    EccNistP256 = "ECC_NIST_P256",
    EccNistP384 = "ECC_NIST_P384",
    EccNistP521 = "ECC_NIST_P521",
    EccSecgP256k1 = "ECC_SECG_P256K1",
    SymmetricDefault = "SYMMETRIC_DEFAULT",
    Hmac224 = "HMAC_224",
    Hmac256 = "HMAC_256",
    Hmac384 = "HMAC_384",
    Hmac512 = "HMAC_512",
    Sm2 = "SM2",
    MlDsa44 = "ML_DSA_44",
    MlDsa65 = "ML_DSA_65",
    MlDsa87 = "ML_DSA_87",
    EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
    MlKem512 = "ML_KEM_512",
    MlKem768 = "ML_KEM_768",
    MlKem1024 = "ML_KEM_1024",
});

wire_enum!(
    /// The deprecated `CustomerMasterKeySpec` member's set.
    CustomerMasterKeySpecWire {
    Rsa2048 = "RSA_2048",
    Rsa3072 = "RSA_3072",
    Rsa4096 = "RSA_4096",
    EccNistP256 = "ECC_NIST_P256",
    EccNistP384 = "ECC_NIST_P384",
    EccNistP521 = "ECC_NIST_P521",
    EccSecgP256k1 = "ECC_SECG_P256K1",
    SymmetricDefault = "SYMMETRIC_DEFAULT",
    Hmac224 = "HMAC_224",
    Hmac256 = "HMAC_256",
    Hmac384 = "HMAC_384",
    Hmac512 = "HMAC_512",
    Sm2 = "SM2",
});

wire_enum!(KeyUsageWire {
    SignVerify = "SIGN_VERIFY",
    EncryptDecrypt = "ENCRYPT_DECRYPT",
    GenerateVerifyMac = "GENERATE_VERIFY_MAC",
    KeyAgreement = "KEY_AGREEMENT",
    EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
});

wire_enum!(OriginWire {
    AwsKms = "AWS_KMS",
    External = "EXTERNAL",
    AwsCloudHsm = "AWS_CLOUDHSM",
    ExternalKeyStore = "EXTERNAL_KEY_STORE",
});

wire_enum!(AlgorithmSpecWire {
    RsaesPkcs1V15 = "RSAES_PKCS1_V1_5",
    RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
    RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
    RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
    RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256",
    Sm2Pke = "SM2PKE",
});

wire_enum!(WrappingKeySpecWire {
    Rsa2048 = "RSA_2048",
    Rsa3072 = "RSA_3072",
    Rsa4096 = "RSA_4096",
    Sm2 = "SM2",
});

wire_enum!(ExpirationModelWire {
    KeyMaterialExpires = "KEY_MATERIAL_EXPIRES",
    KeyMaterialDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE",
});

wire_enum!(ImportTypeWire {
    NewKeyMaterial = "NEW_KEY_MATERIAL",
    ExistingKeyMaterial = "EXISTING_KEY_MATERIAL",
});

wire_enum!(DataKeySpecWire {
    Aes256 = "AES_256",
    Aes128 = "AES_128",
});

wire_enum!(EncryptionAlgorithmWire {
    SymmetricDefault = "SYMMETRIC_DEFAULT",
    RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
    RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
    Sm2Pke = "SM2PKE",
});

wire_enum!(SigningAlgorithmWire {
    RsassaPssSha256 = "RSASSA_PSS_SHA_256",
    RsassaPssSha384 = "RSASSA_PSS_SHA_384",
    RsassaPssSha512 = "RSASSA_PSS_SHA_512",
    RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
    RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
    RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
    EcdsaSha256 = "ECDSA_SHA_256",
    EcdsaSha384 = "ECDSA_SHA_384",
    EcdsaSha512 = "ECDSA_SHA_512",
    Sm2Dsa = "SM2DSA",
    MlDsaShake256 = "ML_DSA_SHAKE_256",
    Ed25519Sha512 = "ED25519_SHA_512",
    Ed25519PhSha512 = "ED25519_PH_SHA_512",
});

wire_enum!(MessageTypeWire {
    Raw = "RAW",
    Digest = "DIGEST",
    ExternalMu = "EXTERNAL_MU",
});

wire_enum!(MacAlgorithmWire {
    HmacSha224 = "HMAC_SHA_224",
    HmacSha256 = "HMAC_SHA_256",
    HmacSha384 = "HMAC_SHA_384",
    HmacSha512 = "HMAC_SHA_512",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for v in AlgorithmSpecWire::VALUES {
            assert_eq!(AlgorithmSpecWire::from_wire(v).unwrap().as_str(), *v);
        }
        assert_eq!(KeySpecWire::VALUES.len(), 20);
        // The sets of the botocore model this dialect was written against.
        assert_eq!(SigningAlgorithmWire::VALUES.len(), 13);
        assert_eq!(MessageTypeWire::VALUES.len(), 3);
        assert_eq!(MacAlgorithmWire::VALUES.len(), 4);
        for v in SigningAlgorithmWire::VALUES {
            assert_eq!(SigningAlgorithmWire::from_wire(v).unwrap().as_str(), *v);
        }
        assert_eq!(AlgorithmSpecWire::from_wire("NOPE"), None);
        assert_eq!(AlgorithmSpecWire::from_wire("rsaes_oaep_sha_1"), None);
    }
}

wire_enum!(IncludeKeyMaterialWire {
    AllKeyMaterial = "ALL_KEY_MATERIAL",
    RotationsOnly = "ROTATIONS_ONLY",
});

wire_enum!(ResourceOwnerWire {
    SelfOwned = "SELF",
    OtherAccountsViaRam = "OTHER_ACCOUNTS_VIA_RAM",
});

wire_enum!(DryRunModifierWire {
    IgnoreCiphertext = "IGNORE_CIPHERTEXT",
});
