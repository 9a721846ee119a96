//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial: Tencent's BYOK
//! rules (which wrapping algorithms in which edition, ValidTo bounds, no re-import into a
//! disabled key) in front of the core's (token, unwrapping, material length and identity).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{
    EncryptedMaterial, Expiry, ImportPolicy, ImportRequest, ImportToken, KmsError, MaterialClaim,
    Timestamp, WrappingAlgorithm, WrappingKeySpec,
};
use serde_json::{Map, json};

use super::{Answer, Ctx, core};
use crate::edition::Edition;
use crate::error::{ErrorCode, TencentError};
use crate::params::{Params, bad_value};

/// The latest ValidTo Tencent accepts (2038-01-18T00:00:00Z).
pub const MAX_VALID_TO: i64 = 2_147_443_200;

/// Tencent imports only into Enabled or PendingImport keys; a disabled key must be enabled
/// first.
const TENCENT_IMPORT_POLICY: ImportPolicy = ImportPolicy {
    reimport_into_enabled: true,
    reimport_into_disabled: false,
};

fn wrapping_algorithm(edition: Edition, text: &str) -> Result<WrappingAlgorithm, TencentError> {
    match (text, edition) {
        ("RSAES_PKCS1_V1_5", _) => Ok(WrappingAlgorithm::RsaesPkcs1V15),
        ("RSAES_OAEP_SHA_1", _) => Ok(WrappingAlgorithm::RsaesOaepSha1),
        ("RSAES_OAEP_SHA_256", _) => Ok(WrappingAlgorithm::RsaesOaepSha256),
        // kmsgate's extension for the SM edition (Tencent documents no SM2 wrapping value).
        ("SM2PKE", Edition::Sm) => Ok(WrappingAlgorithm::Sm2Pke),
        ("SM2PKE", Edition::Fips) => Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "WrappingAlgorithm",
            "SM2PKE is available in the SM-CRYPTO edition only",
        )),
        _ => Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "WrappingAlgorithm",
            "it must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 (or SM2PKE in the SM-CRYPTO edition)",
        )),
    }
}

fn wrapping_key_spec(edition: Edition, text: &str) -> Result<WrappingKeySpec, TencentError> {
    match (text, edition) {
        ("RSA_2048", _) => Ok(WrappingKeySpec::Rsa2048),
        ("SM2", Edition::Sm) => Ok(WrappingKeySpec::Sm2),
        ("SM2", Edition::Fips) => Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "WrappingKeySpec",
            "SM2 is available in the SM-CRYPTO edition only",
        )),
        _ => Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "WrappingKeySpec",
            "it must be RSA_2048 (or SM2 in the SM-CRYPTO edition)",
        )),
    }
}

pub(super) fn get_parameters_for_import(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let edition = ctx.settings.edition;
    let algorithm = wrapping_algorithm(edition, &params.required_nonempty("WrappingAlgorithm")?)?;
    let spec = wrapping_key_spec(edition, &params.required_nonempty("WrappingKeySpec")?)?;
    let p = ctx
        .kms
        .get_parameters_for_import(&ctx.caller.tenant, &id, algorithm, spec)
        .map_err(core)?;
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(id.to_string()));
    out.insert("ImportToken".into(), json!(p.import_token.to_base64()));
    out.insert(
        "PublicKey".into(),
        json!(STANDARD.encode(&p.public_key_der)),
    );
    out.insert("ParametersValidTo".into(), json!(p.valid_to.as_secs()));
    Ok(out)
}

fn base64_param(params: &Params, name: &str) -> Result<Vec<u8>, TencentError> {
    let text = params.required_nonempty(name)?;
    STANDARD.decode(text.trim()).map_err(|_| {
        bad_value(
            ErrorCode::InvalidParameter,
            name,
            "it must be a base64 string",
        )
    })
}

/// `ValidTo`: absent or 0 is "never expires"; otherwise later than now and at most
/// [`MAX_VALID_TO`]. "Now" is the engine's clock, the one expiry is judged by.
pub(crate) fn parse_valid_to(params: &Params, now: Timestamp) -> Result<Expiry, TencentError> {
    let invalid = |why: String| bad_value(ErrorCode::InvalidParameter, "ValidTo", &why);
    match params.integer("ValidTo")? {
        None | Some(0) => Ok(Expiry::Never),
        Some(t) if t > MAX_VALID_TO => Err(invalid(format!("it must be at most {MAX_VALID_TO}"))),
        Some(t) => match u64::try_from(t) {
            Ok(secs) if secs > now.as_secs() => Ok(Expiry::At(Timestamp::from_secs(secs))),
            _ => Err(invalid(format!(
                "it must be 0 (never expires) or later than the current time {}",
                now.as_secs()
            ))),
        },
    }
}

struct ImportKeyMaterialRequest {
    token: ImportToken,
    material: EncryptedMaterial,
    expiry: Expiry,
}

impl ImportKeyMaterialRequest {
    fn parse(ctx: &Ctx<'_>, params: &Params) -> Result<Self, TencentError> {
        let material = base64_param(params, "EncryptedKeyMaterial")?;
        let token = base64_param(params, "ImportToken")?;
        let expiry = parse_valid_to(params, ctx.kms.now())?;
        let validation = |e| core(KmsError::Validation(e));
        Ok(ImportKeyMaterialRequest {
            token: ImportToken::from_bytes(token).map_err(validation)?,
            material: EncryptedMaterial::new(material).map_err(validation)?,
            expiry,
        })
    }
}

pub(super) fn import_key_material(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let request = ImportKeyMaterialRequest::parse(ctx, params)?;
    ctx.kms
        .import_key_material(
            &ctx.caller.tenant,
            ImportRequest {
                key_id: id,
                import_token: request.token,
                encrypted_material: request.material,
                wrapped_private_key: None,
                expiry: request.expiry,
                policy: TENCENT_IMPORT_POLICY,
                // Tencent has no import types: the first material, or the same again.
                claim: MaterialClaim::Unspecified,
            },
        )
        .map_err(core)?;
    Ok(Map::new())
}

pub(super) fn delete_imported_key_material(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    ctx.kms
        .delete_imported_key_material(&ctx.caller.tenant, &id)
        .map_err(core)?;
    Ok(Map::new())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn params(v: Value) -> Params {
        match v {
            Value::Object(m) => Params::json(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn valid_to_edges() {
        let now = Timestamp::from_secs(1_795_339_952);
        let at = |v: Value| parse_valid_to(&params(json!({ "ValidTo": v })), now);
        assert_eq!(parse_valid_to(&params(json!({})), now), Ok(Expiry::Never));
        assert_eq!(at(json!(0)), Ok(Expiry::Never));
        assert_eq!(
            at(json!(MAX_VALID_TO)),
            Ok(Expiry::At(Timestamp::from_secs(2_147_443_200)))
        );
        assert_eq!(
            at(json!(1_795_339_953)),
            Ok(Expiry::At(Timestamp::from_secs(1_795_339_953)))
        );
        for bad in [
            json!(MAX_VALID_TO + 1),
            json!(1_795_339_952),
            json!(1),
            json!(-1),
            json!("1900000000"),
        ] {
            assert_eq!(
                at(bad.clone()).unwrap_err().code,
                ErrorCode::InvalidParameter,
                "{bad}"
            );
        }
    }

    #[test]
    fn sm2_wrapping_only_in_the_sm_edition() {
        assert!(wrapping_algorithm(Edition::Sm, "SM2PKE").is_ok());
        assert!(wrapping_key_spec(Edition::Sm, "SM2").is_ok());
        assert!(wrapping_algorithm(Edition::Fips, "SM2PKE").is_err());
        assert!(wrapping_key_spec(Edition::Fips, "SM2").is_err());
        for bad in ["RSA_AES_KEY_WRAP_SHA_256", "rsaes_oaep_sha_256", ""] {
            assert!(wrapping_algorithm(Edition::Sm, bad).is_err(), "{bad}");
        }
        for bad in ["RSA_3072", "RSA_4096", "sm2"] {
            assert!(wrapping_key_spec(Edition::Sm, bad).is_err(), "{bad}");
        }
    }
}
