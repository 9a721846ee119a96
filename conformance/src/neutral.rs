//! The suite's own vocabulary, free of any cloud's: key specs, wrapping choices, states,
//! expiries, and what a driver hands back.

use std::fmt;

/// Symmetric key specs that take imported material.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySpec {
    Aes256,
    Sm4,
}

impl KeySpec {
    pub const ALL: [KeySpec; 2] = [KeySpec::Aes256, KeySpec::Sm4];

    /// Bytes of material a key of this spec takes.
    pub fn material_len(self) -> usize {
        match self {
            KeySpec::Aes256 => 32,
            KeySpec::Sm4 => 16,
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeySpec::Aes256 => "AES_256",
            KeySpec::Sm4 => "SM4",
        })
    }
}

/// How material is wrapped for import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WrapAlg {
    RsaesPkcs1V15,
    RsaesOaepSha1,
    RsaesOaepSha256,
    RsaAesKeyWrapSha1,
    RsaAesKeyWrapSha256,
    Sm2Pke,
}

impl WrapAlg {
    pub const ALL: [WrapAlg; 6] = [
        WrapAlg::RsaesPkcs1V15,
        WrapAlg::RsaesOaepSha1,
        WrapAlg::RsaesOaepSha256,
        WrapAlg::RsaAesKeyWrapSha1,
        WrapAlg::RsaAesKeyWrapSha256,
        WrapAlg::Sm2Pke,
    ];

    /// Whether the algorithm can work with a wrapping key of that spec at all (RSA with RSA,
    /// SM2 with SM2), whatever a cloud offers.
    pub fn fits(self, spec: WrapSpec) -> bool {
        (self == WrapAlg::Sm2Pke) == (spec == WrapSpec::Sm2)
    }
}

impl fmt::Display for WrapAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WrapAlg::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
            WrapAlg::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            WrapAlg::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            WrapAlg::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            WrapAlg::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
            WrapAlg::Sm2Pke => "SM2PKE",
        })
    }
}

/// The wrapping (public) key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WrapSpec {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    Sm2,
}

impl WrapSpec {
    pub const ALL: [WrapSpec; 4] = [
        WrapSpec::Rsa2048,
        WrapSpec::Rsa3072,
        WrapSpec::Rsa4096,
        WrapSpec::Sm2,
    ];
}

impl fmt::Display for WrapSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WrapSpec::Rsa2048 => "RSA_2048",
            WrapSpec::Rsa3072 => "RSA_3072",
            WrapSpec::Rsa4096 => "RSA_4096",
            WrapSpec::Sm2 => "SM2",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    Enabled,
    Disabled,
    PendingImport,
    PendingDeletion,
}

/// When imported material stops working, in Unix seconds of the server's (emulated) clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiry {
    Never,
    At(u64),
}

/// A key as the suite knows it: its id on the wire and the spec it was created with (a
/// dialect may need the spec to address the key, e.g. AWS's region).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHandle {
    pub id: String,
    pub spec: KeySpec,
}

/// What get-parameters-for-import returned.
#[derive(Clone, Debug)]
pub struct ImportParams {
    /// The opaque token, decoded from its wire form.
    pub token: Vec<u8>,
    /// DER SubjectPublicKeyInfo of the wrapping key.
    pub public_key_der: Vec<u8>,
    /// Unix seconds; `None` if the dialect does not say.
    pub valid_to: Option<u64>,
}

/// The parts of a description the scenarios look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyView {
    pub state: State,
    /// `None` when the key has no material (nothing to expire).
    pub expiry: Option<Expiry>,
    pub external: bool,
}

/// The clouds kmsgate speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    Aws,
    Tencent,
    Huawei,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::Aws, Dialect::Tencent, Dialect::Huawei];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Aws => "aws",
            Dialect::Tencent => "tencent",
            Dialect::Huawei => "huawei",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Non-symmetric keys whose material the suite imports (issue #16): two signing key pairs and
/// an HMAC key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AsymSpec {
    EccP256,
    Rsa2048,
    Hmac256,
}

impl AsymSpec {
    pub const SIGNING: [AsymSpec; 2] = [AsymSpec::EccP256, AsymSpec::Rsa2048];
}

impl fmt::Display for AsymSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AsymSpec::EccP256 => "EC P-256",
            AsymSpec::Rsa2048 => "RSA-2048",
            AsymSpec::Hmac256 => "HMAC-256",
        })
    }
}

/// An asymmetric or HMAC key as the suite knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsymHandle {
    pub id: String,
    pub spec: AsymSpec,
}

impl AsymHandle {
    /// The same key for the calls every key takes (describe, state): non-symmetric keys live
    /// where a dialect's AES-256 keys live.
    pub fn as_key(&self) -> KeyHandle {
        KeyHandle {
            id: self.id.clone(),
            spec: KeySpec::Aes256,
        }
    }
}
