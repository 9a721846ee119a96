//! The per-dialect code ledger: every failure the scenarios provoke, and the exact wire answer
//! (HTTP status and error code) each dialect must give for it, or why it gives none.
//!
//! One exhaustive `match` per dialect, no wildcard: a new expected failure cannot compile until
//! every dialect says what it answers. Drivers classify a wire error back to a neutral
//! [`Outcome`] through these same tables ([`classify`]).

use std::fmt;

use crate::neutral::Dialect;

/// What a failure means, whatever the cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    NotFound,
    NotExternal,
    InvalidState,
    Disabled,
    TokenInvalid,
    TokenForeign,
    TokenExpired,
    UnwrapFailed,
    BadLength,
    WrongMaterial,
    InvalidCiphertext,
    NotOffered,
    Throttled,
    InvalidSignature,
    InvalidMac,
}

/// Declares the [`Failure`] enum and its `ALL` from one list of variants, so a new variant
/// cannot be left out of `ALL` (and so out of [`classify`] and [`markdown`]).
macro_rules! failures {
    (
        $(#[$meta:meta])*
        pub enum Failure {
            $( $(#[$variant_meta:meta])* $variant:ident, )*
        }
    ) => {
        $(#[$meta])*
        pub enum Failure {
            $( $(#[$variant_meta])* $variant, )*
        }

        impl Failure {
            /// Every failure, in declaration order: the order [`classify`] tries them in.
            pub const ALL: [Failure; [$(Failure::$variant),*].len()] = [$(Failure::$variant),*];
        }
    };
}

failures! {
    /// A failure a scenario provokes on purpose.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Failure {
        KeyNotFound,
        NotExternal,
        CryptoPendingImport,
        CryptoDisabled,
        CryptoPendingDeletion,
        ParamsPendingDeletion,
        ImportPendingDeletion,
        /// Re-import (of the same material) into an Enabled key.
        ImportEnabled,
        /// Re-import (of the same material) into a Disabled key.
        ImportDisabled,
        SchedulePendingImport,
        ScheduleEnabled,
        TokenMalformed,
        TokenForeign,
        TokenExpired,
        UnwrapFailed,
        MaterialLength,
        MaterialMismatch,
        CiphertextCorrupt,
        /// Decrypt told to use a key other than the ciphertext's.
        CiphertextOtherKey,
        WrappingNotOffered,
        /// More imports at once than the dialect's request quota allows.
        Throttled,
        /// An EXTERNAL key of an asymmetric (signing) spec.
        AsymmetricImport,
        /// An EXTERNAL HMAC key.
        HmacImport,
        /// Private key material of another curve or algorithm than the key's spec.
        MaterialNotForSpec,
        /// A signature checked against another message.
        SignatureInvalid,
        /// A MAC checked against another message.
        MacInvalid,
        /// Rotating a key with imported material (after new material was imported, where
        /// the dialect can import it).
        ImportedKeyRotation,
        /// New material while another waits pending rotation.
        SecondPendingMaterial,
    }
}

impl Failure {
    pub fn outcome(self) -> Outcome {
        match self {
            Failure::KeyNotFound => Outcome::NotFound,
            Failure::NotExternal => Outcome::NotExternal,
            Failure::CryptoPendingImport
            | Failure::CryptoPendingDeletion
            | Failure::ParamsPendingDeletion
            | Failure::ImportPendingDeletion
            | Failure::ImportEnabled
            | Failure::ImportDisabled
            | Failure::SchedulePendingImport
            | Failure::ScheduleEnabled => Outcome::InvalidState,
            Failure::CryptoDisabled => Outcome::Disabled,
            Failure::TokenMalformed => Outcome::TokenInvalid,
            Failure::TokenForeign => Outcome::TokenForeign,
            Failure::TokenExpired => Outcome::TokenExpired,
            Failure::UnwrapFailed => Outcome::UnwrapFailed,
            Failure::MaterialLength => Outcome::BadLength,
            Failure::MaterialMismatch => Outcome::WrongMaterial,
            Failure::CiphertextCorrupt | Failure::CiphertextOtherKey => Outcome::InvalidCiphertext,
            Failure::WrappingNotOffered | Failure::AsymmetricImport | Failure::HmacImport => {
                Outcome::NotOffered
            }
            Failure::Throttled => Outcome::Throttled,
            Failure::MaterialNotForSpec => Outcome::WrongMaterial,
            Failure::SignatureInvalid => Outcome::InvalidSignature,
            Failure::MacInvalid => Outcome::InvalidMac,
            Failure::ImportedKeyRotation => Outcome::NotOffered,
            Failure::SecondPendingMaterial => Outcome::InvalidState,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Failure::KeyNotFound => "any operation on a key that does not exist",
            Failure::NotExternal => "import parameters / import on a key with generated material",
            Failure::CryptoPendingImport => "encrypt / decrypt / data key with a PendingImport key",
            Failure::CryptoDisabled => "encrypt / decrypt with a Disabled key",
            Failure::CryptoPendingDeletion => "encrypt / decrypt with a PendingDeletion key",
            Failure::ParamsPendingDeletion => "import parameters for a PendingDeletion key",
            Failure::ImportPendingDeletion => "import into a PendingDeletion key",
            Failure::ImportEnabled => "re-import of the same material into an Enabled key",
            Failure::ImportDisabled => "re-import of the same material into a Disabled key",
            Failure::SchedulePendingImport => "schedule deletion of a PendingImport key",
            Failure::ScheduleEnabled => "schedule deletion of an Enabled key",
            Failure::TokenMalformed => "import with a corrupted token",
            Failure::TokenForeign => "import with a token issued for another key",
            Failure::TokenExpired => "import with a token past its 24 h validity",
            Failure::UnwrapFailed => {
                "material wrapped with another public key or another algorithm"
            }
            Failure::MaterialLength => "material of the wrong length for the key spec",
            Failure::MaterialMismatch => "material other than the key's previous material",
            Failure::CiphertextCorrupt => "decrypt of an altered ciphertext",
            Failure::CiphertextOtherKey => "decrypt naming a key other than the ciphertext's",
            Failure::WrappingNotOffered => {
                "a wrapping algorithm / key spec the dialect does not offer"
            }
            Failure::Throttled => "imports beyond the dialect's request quota (32 at once)",
            Failure::AsymmetricImport => "an EXTERNAL key of an asymmetric signing spec",
            Failure::HmacImport => "an EXTERNAL HMAC key",
            Failure::MaterialNotForSpec => {
                "private key material of another curve or algorithm than the key's"
            }
            Failure::SignatureInvalid => "verify a signature against another message",
            Failure::MacInvalid => "verify a MAC against another message",
            Failure::ImportedKeyRotation => "rotate a key with imported material",
            Failure::SecondPendingMaterial => {
                "import new material while other new material waits pending rotation"
            }
        }
    }
}

/// What a dialect answers to a [`Failure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Refused with this HTTP status and error code.
    Code { status: u16, code: &'static str },
    /// Not a failure in this dialect: the operation is allowed.
    Accepted,
    /// The dialect's API has no way to ask for it.
    NotExpressible(&'static str),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Code { status, code } => write!(f, "{status} `{code}`"),
            Expect::Accepted => f.write_str("accepted"),
            Expect::NotExpressible(why) => write!(f, "not expressible ({why})"),
        }
    }
}

pub fn expect(dialect: Dialect, failure: Failure) -> Expect {
    match dialect {
        Dialect::Aws => aws(failure),
        Dialect::Tencent => tencent(failure),
        Dialect::Huawei => huawei(failure),
    }
}

/// The neutral outcome of a wire error, if the ledger knows its code. Several failures may
/// share a code (AWS's InvalidImportTokenException); the first listed wins.
pub fn classify(dialect: Dialect, status: u16, code: &str) -> Option<Outcome> {
    Failure::ALL.iter().find_map(|f| match expect(dialect, *f) {
        Expect::Code { status: s, code: c } if s == status && c == code => Some(f.outcome()),
        _ => None,
    })
}

const fn code(status: u16, code: &'static str) -> Expect {
    Expect::Code { status, code }
}

fn aws(f: Failure) -> Expect {
    match f {
        Failure::KeyNotFound => code(400, "NotFoundException"),
        Failure::NotExternal => code(400, "UnsupportedOperationException"),
        Failure::CryptoPendingImport => code(400, "KMSInvalidStateException"),
        Failure::CryptoDisabled => code(400, "DisabledException"),
        Failure::CryptoPendingDeletion => code(400, "KMSInvalidStateException"),
        Failure::ParamsPendingDeletion => code(400, "KMSInvalidStateException"),
        Failure::ImportPendingDeletion => code(400, "KMSInvalidStateException"),
        Failure::ImportEnabled | Failure::ImportDisabled => Expect::Accepted,
        Failure::SchedulePendingImport | Failure::ScheduleEnabled => Expect::Accepted,
        Failure::TokenMalformed => code(400, "InvalidImportTokenException"),
        Failure::TokenForeign => code(400, "InvalidImportTokenException"),
        Failure::TokenExpired => code(400, "ExpiredImportTokenException"),
        Failure::UnwrapFailed => code(400, "InvalidCiphertextException"),
        Failure::MaterialLength => code(400, "IncorrectKeyMaterialException"),
        Failure::MaterialMismatch => code(400, "IncorrectKeyMaterialException"),
        Failure::CiphertextCorrupt => code(400, "InvalidCiphertextException"),
        Failure::CiphertextOtherKey => code(400, "IncorrectKeyException"),
        Failure::WrappingNotOffered => code(400, "ValidationException"),
        Failure::Throttled => Expect::NotExpressible("kmsgate emulates no AWS request quota"),
        Failure::AsymmetricImport | Failure::HmacImport => Expect::Accepted,
        Failure::MaterialNotForSpec => code(400, "IncorrectKeyMaterialException"),
        Failure::SignatureInvalid => code(400, "KMSInvalidSignatureException"),
        Failure::MacInvalid => code(400, "KMSInvalidMacException"),
        // RotateKeyOnDemand makes the material pending rotation current.
        Failure::ImportedKeyRotation => Expect::Accepted,
        Failure::SecondPendingMaterial => code(400, "KMSInvalidStateException"),
    }
}

/// Tencent answers every business error with HTTP 200 and `Response.Error.Code`.
fn tencent(f: Failure) -> Expect {
    match f {
        Failure::KeyNotFound => code(200, "ResourceUnavailable.CmkNotFound"),
        Failure::NotExternal => code(200, "UnsupportedOperation.NotExternalCmk"),
        Failure::CryptoPendingImport => code(200, "ResourceUnavailable.CmkStateNotSupport"),
        Failure::CryptoDisabled => code(200, "ResourceUnavailable.CmkDisabled"),
        Failure::CryptoPendingDeletion => code(200, "ResourceUnavailable.CmkStateNotSupport"),
        Failure::ParamsPendingDeletion => code(200, "ResourceUnavailable.CmkStateNotSupport"),
        Failure::ImportPendingDeletion => code(200, "ResourceUnavailable.CmkStateNotSupport"),
        Failure::ImportEnabled => Expect::Accepted,
        // "Only CMKs in Enabled or PendingImport can import."
        Failure::ImportDisabled => code(200, "ResourceUnavailable.CmkStateNotSupport"),
        Failure::SchedulePendingImport => Expect::Accepted,
        // Tencent deletes only Disabled CMKs.
        Failure::ScheduleEnabled => code(200, "ResourceUnavailable.CmkShouldBeDisabled"),
        // The reference suggests InvalidParameterValue; the dialect documents InvalidParameter.
        Failure::TokenMalformed => code(200, "InvalidParameter"),
        Failure::TokenForeign => code(200, "InvalidParameter"),
        Failure::TokenExpired => code(200, "ResourceUnavailable.TokenExpired"),
        Failure::UnwrapFailed => code(200, "InvalidParameter.DecryptMaterialError"),
        Failure::MaterialLength => code(200, "InvalidParameterValue.InvalidImportKeyMaterial"),
        Failure::MaterialMismatch => code(200, "InvalidParameterValue.MaterialNotMatch"),
        // A well-formed blob that fails authentication; a malformed one is
        // InvalidParameterValue.InvalidCiphertext.
        Failure::CiphertextCorrupt => code(200, "FailedOperation.DecryptError"),
        Failure::CiphertextOtherKey => {
            Expect::NotExpressible("Decrypt takes no KeyId; the ciphertext names its key")
        }
        Failure::WrappingNotOffered => code(200, "InvalidParameterValue"),
        // "At most 10 ImportKeyMaterial requests per second" per account and region.
        Failure::Throttled => code(200, "RequestLimitExceeded"),
        // Tencent imports symmetric material only; KeyUsage is the parameter an EXTERNAL key
        // cannot take (docs/tencent.md).
        Failure::AsymmetricImport => code(200, "InvalidParameterValue.InvalidKeyUsage"),
        Failure::HmacImport => Expect::NotExpressible("Tencent has no HMAC keys"),
        Failure::MaterialNotForSpec | Failure::SignatureInvalid | Failure::MacInvalid => {
            Expect::NotExpressible("Tencent imports no asymmetric or HMAC material")
        }
        // EnableKeyRotation on an EXTERNAL key (the SDK's error list).
        Failure::ImportedKeyRotation => code(200, "UnsupportedOperation.ExternalCmkCanNotRotate"),
        Failure::SecondPendingMaterial => {
            Expect::NotExpressible("imported keys take no new material")
        }
    }
}

fn huawei(f: Failure) -> Expect {
    match f {
        // A well-formed id of no key: 404 KMS.0207 (see docs/huawei.md).
        Failure::KeyNotFound => code(404, "KMS.0207"),
        Failure::NotExternal => code(400, "KMS.0309"),
        Failure::CryptoPendingImport => code(400, "KMS.0310"),
        Failure::CryptoDisabled => code(400, "KMS.0209"),
        Failure::CryptoPendingDeletion => code(400, "KMS.0210"),
        Failure::ParamsPendingDeletion => code(400, "KMS.0310"),
        Failure::ImportPendingDeletion => code(400, "KMS.0310"),
        Failure::ImportEnabled | Failure::ImportDisabled => Expect::Accepted,
        Failure::SchedulePendingImport | Failure::ScheduleEnabled => Expect::Accepted,
        Failure::TokenMalformed => code(400, "KMS.2601"),
        Failure::TokenForeign => code(400, "KMS.2603"),
        Failure::TokenExpired => code(400, "KMS.2605"),
        Failure::UnwrapFailed => code(400, "KMS.0311"),
        Failure::MaterialLength => code(400, "KMS.2604"),
        Failure::MaterialMismatch => code(400, "KMS.2606"),
        Failure::CiphertextCorrupt => code(400, "KMS.0308"),
        Failure::CiphertextOtherKey => code(400, "KMS.0308"),
        Failure::WrappingNotOffered => code(400, "KMS.0308"),
        Failure::Throttled => Expect::NotExpressible("kmsgate emulates no Huawei request quota"),
        Failure::AsymmetricImport => Expect::Accepted,
        // Huawei's import guide: HMAC keys cannot import material (create-key refuses
        // origin=external for them; docs/huawei.md).
        Failure::HmacImport => code(400, "KMS.0308"),
        Failure::MaterialNotForSpec => code(400, "KMS.0308"),
        // verify answers signature_valid "false"; verify-mac mac_valid false.
        Failure::SignatureInvalid | Failure::MacInvalid => Expect::Accepted,
        // "External keys cannot be rotated" (Huawei's error-code page).
        Failure::ImportedKeyRotation => code(400, "KMS.0312"),
        Failure::SecondPendingMaterial => {
            Expect::NotExpressible("imported keys take no new material")
        }
    }
}

/// The ledger as a Markdown table (for docs/conformance.md).
pub fn markdown() -> String {
    let mut out =
        String::from("| Expected failure | aws | tencent | huawei |\n|---|---|---|---|\n");
    for f in Failure::ALL {
        out.push_str(&format!("| {} ({:?}) |", f.describe(), f.outcome()));
        for d in Dialect::ALL {
            out.push_str(&format!(" {} |", expect(d, f)));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_classify_back_to_their_outcome() {
        for d in Dialect::ALL {
            for f in Failure::ALL {
                if let Expect::Code { status, code } = expect(d, f) {
                    let got = classify(d, status, code).unwrap();
                    // Codes shared by several failures classify as the first; those share an
                    // outcome or are documented as ambiguous on that dialect.
                    assert!(
                        got == f.outcome()
                            || Failure::ALL
                                .iter()
                                .any(|g| g.outcome() == got && expect(d, *g) == expect(d, f)),
                        "{d} {f:?}"
                    );
                }
            }
        }
        assert_eq!(
            classify(Dialect::Aws, 400, "NotFoundException"),
            Some(Outcome::NotFound)
        );
        assert_eq!(classify(Dialect::Aws, 500, "NotFoundException"), None);
    }
}
