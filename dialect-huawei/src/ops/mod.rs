//! The operations: routing by method and path, one typed request per operation parsed from
//! the body (or the query, for GET), run on the core, answered as Huawei does. The routing
//! table is [`Operation`].

pub(crate) mod aliases;
mod asymmetric;
mod crypto;
mod datakey;
mod details;
mod import;
pub(crate) mod key_alias;
pub(crate) mod keys;
mod mac;
mod public_key;
mod re_encrypt;
mod rotation;
mod sign;
pub(crate) mod wire_names;

use http::Method;
use kms_core::{Kms, KmsError};
use serde_json::Value;

use crate::caller::Caller;
use crate::error::{ErrorCode, HuaweiError, from_core};
use crate::input::Input;
use crate::service::Config;

/// What one request may use.
pub(crate) struct Ctx<'a> {
    pub(crate) kms: &'a Kms,
    pub(crate) caller: &'a Caller,
    pub(crate) config: &'a Config,
}

impl Ctx<'_> {
    pub(crate) fn core(&self, err: KmsError) -> HuaweiError {
        from_core(&err)
    }
}

macro_rules! operations {
    ($($name:ident => $method:ident $path:literal => $handler:path),+ $(,)?) => {
        /// Every KMS operation this dialect answers, with its method and path after
        /// `/v1.0/{project_id}/kms/`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Operation {
            $($name),+
        }

        impl Operation {
            pub(crate) fn from_route(method: &Method, path: &str) -> Option<Operation> {
                $(if *method == Method::$method && path == $path {
                    return Some(Operation::$name);
                })+
                None
            }

            /// The operation's name, as the SDK's request classes name it.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name)),+
                }
            }

            pub(crate) fn run(self, ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
                match self {
                    $(Operation::$name => $handler(ctx, input)),+
                }
            }
        }
    };
}

operations! {
    CreateKey => POST "create-key" => keys::create_key,
    DescribeKey => POST "describe-key" => keys::describe_key,
    ListKeys => POST "list-keys" => keys::list_keys,
    EnableKey => POST "enable-key" => keys::enable_key,
    DisableKey => POST "disable-key" => keys::disable_key,
    ScheduleKeyDeletion => POST "schedule-key-deletion" => keys::schedule_key_deletion,
    CancelKeyDeletion => POST "cancel-key-deletion" => keys::cancel_key_deletion,
    UpdateKeyAlias => POST "update-key-alias" => key_alias::update_key_alias,
    UpdateKeyDescription => POST "update-key-description" => keys::update_key_description,
    GetParametersForImport => POST "get-parameters-for-import" => import::get_parameters_for_import,
    ImportKeyMaterial => POST "import-key-material" => import::import_key_material,
    DeleteImportedKeyMaterial => POST "delete-imported-key-material" => import::delete_imported_key_material,
    EncryptData => POST "encrypt-data" => crypto::encrypt_data,
    DecryptData => POST "decrypt-data" => crypto::decrypt_data,
    ReEncrypt => POST "re-encrypt" => re_encrypt::re_encrypt,
    GenRandom => POST "gen-random" => crypto::gen_random,
    CreateDatakey => POST "create-datakey" => datakey::create_datakey,
    CreateDatakeyWithoutPlaintext => POST "create-datakey-without-plaintext" => datakey::create_datakey_without_plaintext,
    EncryptDatakey => POST "encrypt-datakey" => datakey::encrypt_datakey,
    DecryptDatakey => POST "decrypt-datakey" => datakey::decrypt_datakey,
    CreateAlias => POST "aliases" => aliases::create_alias,
    ListAliases => GET "aliases" => aliases::list_aliases,
    DeleteAlias => DELETE "aliases" => aliases::delete_alias,
    AssociateAlias => POST "alias/associate" => aliases::associate_alias,
    // The SDK's show_public_key and validate_signature.
    ShowPublicKey => POST "get-publickey" => public_key::get_public_key,
    Sign => POST "sign" => sign::sign,
    ValidateSignature => POST "verify" => sign::verify,
    GenerateMac => POST "generate-mac" => mac::generate_mac,
    VerifyMac => POST "verify-mac" => mac::verify_mac,
    // Rotation (#17); the SDK's show_key_rotation_status is get-key-rotation-status.
    EnableKeyRotation => POST "enable-key-rotation" => rotation::enable_key_rotation,
    DisableKeyRotation => POST "disable-key-rotation" => rotation::disable_key_rotation,
    ShowKeyRotationStatus => POST "get-key-rotation-status" => rotation::get_key_rotation_status,
    UpdateKeyRotationInterval => POST "update-key-rotation-interval" => rotation::update_key_rotation_interval,
    RotateOnDemand => POST "rotate-on-demand" => rotation::rotate_on_demand,
}

impl Operation {
    /// The status of a success, as each operation's page gives it: 200 but for the aliases
    /// API's create (201) and delete (204, no body).
    pub(crate) fn success_status(self) -> u16 {
        match self {
            Operation::CreateAlias => 201,
            Operation::DeleteAlias => 204,
            _ => 200,
        }
    }

    /// Reads and symmetric cryptography (HMAC included; signatures are not quick, RSA
    /// private operations take milliseconds): see `dialect_kit::Dialect::is_quick`, and
    /// `may_be_asymmetric` for encrypt-data, decrypt-data and re-encrypt.
    pub(crate) fn is_quick(self) -> bool {
        matches!(
            self,
            Operation::DescribeKey
                | Operation::ListKeys
                | Operation::EncryptData
                | Operation::DecryptData
                | Operation::ReEncrypt
                | Operation::GenRandom
                | Operation::CreateDatakey
                | Operation::CreateDatakeyWithoutPlaintext
                | Operation::EncryptDatakey
                | Operation::DecryptDatakey
                | Operation::ListAliases
                | Operation::ShowPublicKey
                | Operation::GenerateMac
                | Operation::VerifyMac
        )
    }
}

impl Operation {
    /// Whether an otherwise quick request may ask for an RSA or SM2 private-key operation
    /// (milliseconds): encrypt-data, decrypt-data and re-encrypt whose body names an asymmetric
    /// algorithm. A byte search, not a parse: a false "may" only costs a blocking thread.
    pub(crate) fn may_be_asymmetric(self, body: &[u8]) -> bool {
        let names = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
        matches!(
            self,
            Operation::EncryptData | Operation::DecryptData | Operation::ReEncrypt
        ) && (names(b"RSAES_OAEP") || names(b"SM2_ENCRYPT"))
    }
}

/// Where a request goes.
#[derive(Debug)]
pub(crate) enum Route<'a> {
    /// IAM's token call.
    IamTokens,
    /// A KMS operation on the project segment of the path (not yet validated).
    Kms {
        project: &'a str,
        operation: Operation,
    },
}

/// The API gateway's answer for anything that is not a published API.
pub(crate) fn unknown_api(method: &Method, path: &str) -> HuaweiError {
    HuaweiError::new(
        404,
        ErrorCode::Apig0101,
        format!(
            "The API does not exist or has not been published in the environment: {method} {path}"
        ),
    )
}

pub(crate) fn route<'a>(method: &Method, path: &'a str) -> Result<Route<'a>, HuaweiError> {
    if path == "/v3/auth/tokens" && *method == Method::POST {
        return Ok(Route::IamTokens);
    }
    let found = path
        .strip_prefix("/v1.0/")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(project, rest)| Some((project, rest.strip_prefix("kms/")?)))
        .and_then(|(project, action)| {
            Some(Route::Kms {
                project,
                operation: Operation::from_route(method, action)?,
            })
        });
    found.ok_or_else(|| unknown_api(method, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_table() {
        let p = "/v1.0/0123456789abcdef0123456789abcdef/kms/";
        for (method, action, op) in [
            (Method::POST, "create-key", Operation::CreateKey),
            (
                Method::POST,
                "get-parameters-for-import",
                Operation::GetParametersForImport,
            ),
            (Method::POST, "aliases", Operation::CreateAlias),
            (Method::GET, "aliases", Operation::ListAliases),
            (Method::DELETE, "aliases", Operation::DeleteAlias),
            (Method::POST, "alias/associate", Operation::AssociateAlias),
            (Method::POST, "get-publickey", Operation::ShowPublicKey),
            (Method::POST, "sign", Operation::Sign),
            (Method::POST, "verify", Operation::ValidateSignature),
            (Method::POST, "generate-mac", Operation::GenerateMac),
            (Method::POST, "verify-mac", Operation::VerifyMac),
        ] {
            match route(&method, &format!("{p}{action}")).unwrap() {
                Route::Kms { project, operation } => {
                    assert_eq!(project, "0123456789abcdef0123456789abcdef");
                    assert_eq!(operation, op);
                }
                Route::IamTokens => panic!("{action}"),
            }
        }
        assert!(matches!(
            route(&Method::POST, "/v3/auth/tokens").unwrap(),
            Route::IamTokens
        ));
        for (method, path) in [
            (Method::GET, format!("{p}create-key")),
            (Method::POST, format!("{p}create-key/")),
            (Method::POST, format!("{p}create-grant")),
            (Method::POST, "/v1.0/p/kms".to_owned()),
            (Method::POST, "/v2/p/kms/create-key".to_owned()),
            (Method::GET, "/v3/auth/tokens".to_owned()),
            (Method::GET, "/".to_owned()),
        ] {
            let e = route(&method, &path).unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (404, ErrorCode::Apig0101),
                "{method} {path}"
            );
        }
    }
}

#[cfg(test)]
mod quick_tests {
    use http::Method;

    use super::Operation;

    #[test]
    fn only_reads_and_symmetric_cryptography_are_quick() {
        for quick in [
            "encrypt-data",
            "decrypt-data",
            "describe-key",
            "create-datakey",
        ] {
            let op = Operation::from_route(&Method::POST, quick);
            assert!(op.is_some_and(Operation::is_quick), "{quick}");
        }
        // encrypt-data and friends naming an asymmetric algorithm are not quick
        let op = Operation::from_route(&Method::POST, "encrypt-data").unwrap();
        assert!(!op.may_be_asymmetric(br#"{"plain_text": "x"}"#));
        assert!(op.may_be_asymmetric(br#"{"encryption_algorithm": "SM2_ENCRYPT"}"#));
        let op = Operation::from_route(&Method::POST, "re-encrypt").unwrap();
        assert!(op.may_be_asymmetric(br#"{"source_encryption_algorithm": "RSAES_OAEP_SHA_1"}"#));
        let op = Operation::from_route(&Method::POST, "describe-key").unwrap();
        assert!(!op.may_be_asymmetric(br#"{"key_id": "RSAES_OAEP"}"#));
        for slow in [
            "create-key",
            "get-parameters-for-import",
            "import-key-material",
            "disable-key",
            "sign",
            "verify",
        ] {
            let op = Operation::from_route(&Method::POST, slow);
            assert!(op.is_some_and(|o| !o.is_quick()), "{slow}");
        }
    }
}
