//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial: AWS's BYOK rules
//! (which algorithms where, expiration models, import types) in front of the core's.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{
    EncryptedMaterial, Expiry, ImportPolicy, ImportRequest, ImportToken, KeyFamily, KmsError,
    MaterialClaim, MaterialId, NewMaterialOptions, Origin, WrappingAlgorithm, WrappingKeySpec,
};
use serde_json::{Value, json};

use super::{Ctx, epoch};
use crate::error::{AwsError, ErrorCode, KeyNamer, spec_name};
use crate::input::{Input, invalid};
use crate::key_ref::Accepts;
use crate::wire_enum::{
    AlgorithmSpecWire, ExpirationModelWire, ImportTypeWire, WrappingKeySpecWire,
};

/// AWS refuses a ValidTo further ahead than this.
const MAX_VALIDITY: Duration = Duration::from_secs(365 * 86_400);

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new(ErrorCode::ValidationException, message)
}

/// Which algorithms and wrapping specs AWS offers, by partition and by date.
fn wrapping(
    ctx: &Ctx<'_>,
    algorithm: AlgorithmSpecWire,
    spec: WrappingKeySpecWire,
) -> Result<(WrappingAlgorithm, WrappingKeySpec), AwsError> {
    let china = ctx.caller.is_china();
    let algorithm = match algorithm {
        AlgorithmSpecWire::RsaesPkcs1V15 if !ctx.settings.allow_rsaes_pkcs1_v1_5 => {
            return Err(validation(
                "WrappingAlgorithm RSAES_PKCS1_V1_5 is no longer supported (since 2023-10-10); use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.",
            ));
        }
        AlgorithmSpecWire::RsaesPkcs1V15 => WrappingAlgorithm::RsaesPkcs1V15,
        AlgorithmSpecWire::RsaesOaepSha1 => WrappingAlgorithm::RsaesOaepSha1,
        AlgorithmSpecWire::RsaesOaepSha256 => WrappingAlgorithm::RsaesOaepSha256,
        AlgorithmSpecWire::RsaAesKeyWrapSha1 | AlgorithmSpecWire::RsaAesKeyWrapSha256 if china => {
            return Err(validation(format!(
                "WrappingAlgorithm {} is not supported in China Regions.",
                algorithm.as_str()
            )));
        }
        AlgorithmSpecWire::RsaAesKeyWrapSha1 => WrappingAlgorithm::RsaAesKeyWrapSha1,
        AlgorithmSpecWire::RsaAesKeyWrapSha256 => WrappingAlgorithm::RsaAesKeyWrapSha256,
        AlgorithmSpecWire::Sm2Pke if !china => {
            return Err(validation(
                "WrappingAlgorithm SM2PKE is supported only in China Regions.",
            ));
        }
        AlgorithmSpecWire::Sm2Pke => WrappingAlgorithm::Sm2Pke,
    };
    let spec = match spec {
        WrappingKeySpecWire::Rsa2048 => WrappingKeySpec::Rsa2048,
        WrappingKeySpecWire::Rsa3072 => WrappingKeySpec::Rsa3072,
        WrappingKeySpecWire::Rsa4096 => WrappingKeySpec::Rsa4096,
        WrappingKeySpecWire::Sm2 if !china => {
            return Err(validation(
                "WrappingKeySpec SM2 is supported only in China Regions.",
            ));
        }
        WrappingKeySpecWire::Sm2 => WrappingKeySpec::Sm2,
    };
    Ok((algorithm, spec))
}

pub(super) fn get_parameters_for_import(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    let algorithm = input.required_enumeration::<AlgorithmSpecWire>("WrappingAlgorithm")?;
    let spec = input.required_enumeration::<WrappingKeySpecWire>("WrappingKeySpec")?;
    let (algorithm, spec) = wrapping(ctx, algorithm, spec)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    let params = ctx
        .kms
        .get_parameters_for_import(&ctx.caller.tenant, &id, algorithm, spec)
        .map_err(|e| ctx.core(e))?;
    Ok(Some(json!({
        "KeyId": ctx.caller.key_arn(&id),
        "ImportToken": params.import_token.to_base64(),
        "PublicKey": STANDARD.encode(&params.public_key_der),
        "ParametersValidTo": epoch(params.valid_to),
    })))
}

struct ImportKeyMaterialRequest {
    token: ImportToken,
    material: EncryptedMaterial,
    expiry: Expiry,
    claim: MaterialClaim,
    /// Whether the request used a member the model calls "only usable with symmetric
    /// encryption keys" (ImportType, KeyMaterialId, KeyMaterialDescription).
    names_symmetric_only: bool,
    description: Option<String>,
}

/// `KeyMaterialId`: exactly 64 lowercase hex digits.
fn material_id_member(input: &Input) -> Result<Option<MaterialId>, AwsError> {
    let Some(text) = input.string("KeyMaterialId", 64..=64)? else {
        return Ok(None);
    };
    let well_formed = text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    match text.parse() {
        Ok(id) if well_formed => Ok(Some(id)),
        _ => Err(invalid(
            "KeyMaterialId",
            Some(&text),
            "Member must satisfy regular expression pattern: ^[a-f0-9]+$",
        )),
    }
}

impl ImportKeyMaterialRequest {
    fn parse(ctx: &Ctx<'_>, input: &Input) -> Result<Self, AwsError> {
        let token = input.required_blob("ImportToken", 1..=6144)?;
        let material = input.required_blob("EncryptedKeyMaterial", 1..=6144)?;
        let valid_to = input.timestamp("ValidTo")?;
        let model = input
            .enumeration::<ExpirationModelWire>("ExpirationModel")?
            .unwrap_or(ExpirationModelWire::KeyMaterialExpires);
        let expiry = match (model, valid_to) {
            (ExpirationModelWire::KeyMaterialExpires, None) => {
                return Err(validation(
                    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
                ));
            }
            (ExpirationModelWire::KeyMaterialDoesNotExpire, Some(_)) => {
                return Err(validation(
                    "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
                ));
            }
            (ExpirationModelWire::KeyMaterialDoesNotExpire, None) => Expiry::Never,
            (ExpirationModelWire::KeyMaterialExpires, Some(at)) => {
                let now = ctx.kms.now();
                if at <= now {
                    return Err(validation("The validTo date must be in the future."));
                }
                if at > now.saturating_add(MAX_VALIDITY) {
                    return Err(validation(
                        "The validTo date must be no more than 365 days in the future.",
                    ));
                }
                Expiry::At(at)
            }
        };
        let description = input.string("KeyMaterialDescription", 0..=256)?;
        if let Some(d) = &description
            && !d
                .chars()
                // `\s` in the model's (Java) pattern is ASCII whitespace only.
                .all(|c| c.is_ascii_alphanumeric() || " \t\n\u{b}\u{c}\r:/_.-".contains(c))
        {
            return Err(invalid(
                "KeyMaterialDescription",
                Some(d),
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_\\s.-]+$",
            ));
        }
        let material_id = material_id_member(input)?;
        let names_symmetric_only = ["ImportType", "KeyMaterialId", "KeyMaterialDescription"]
            .iter()
            .any(|m| input.present(m));
        // Without an ImportType, AWS means "new" for a key that never had material and
        // "existing" otherwise, which is exactly the core's unspecified claim.
        let claim = match (
            input.enumeration::<ImportTypeWire>("ImportType")?,
            material_id,
        ) {
            (Some(ImportTypeWire::NewKeyMaterial), Some(_)) => {
                return Err(validation(
                    "KeyMaterialId can only be specified with ImportType EXISTING_KEY_MATERIAL.",
                ));
            }
            (Some(ImportTypeWire::NewKeyMaterial), None) => MaterialClaim::New,
            (Some(ImportTypeWire::ExistingKeyMaterial), named) => MaterialClaim::Existing(named),
            (None, Some(named)) => MaterialClaim::Existing(Some(named)),
            (None, None) => MaterialClaim::Unspecified,
        };
        let core_validation = |e| ctx.core(KmsError::Validation(e));
        Ok(ImportKeyMaterialRequest {
            token: ImportToken::from_bytes(token).map_err(core_validation)?,
            material: EncryptedMaterial::new(material).map_err(core_validation)?,
            expiry,
            claim,
            names_symmetric_only,
            description,
        })
    }
}

pub(super) fn import_key_material(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let request = ImportKeyMaterialRequest::parse(ctx, input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    if request.names_symmetric_only {
        // Asymmetric and HMAC material never changes after the first import, so the
        // multi-material members mean nothing for them; the model says they are refused.
        let key = ctx
            .kms
            .describe_key(&ctx.caller.tenant, &id)
            .map_err(|e| ctx.core(e))?;
        // The origin is the first thing an import checks; an AWS_KMS key is refused as
        // such whatever members the request names.
        if key.origin != Origin::External {
            return Err(ctx.core(KmsError::NotExternal { key_id: id }));
        }
        if key.spec.family() != KeyFamily::Symmetric {
            return Err(validation(format!(
                "ImportType, KeyMaterialId and KeyMaterialDescription are only usable with symmetric encryption keys; {} is {}.",
                ctx.caller.key_arn(&id),
                spec_name(key.spec)
            )));
        }
    }
    // AWS rotates imported material on demand, so NEW_KEY_MATERIAL may wait pending rotation.
    let mut options = NewMaterialOptions::new().for_rotation();
    if let Some(d) = request.description {
        options = options.description(d);
    }
    let outcome = ctx
        .kms
        .import_key_material_as(
            &ctx.caller.tenant,
            ImportRequest {
                key_id: id,
                import_token: request.token,
                encrypted_material: request.material,
                wrapped_private_key: None,
                expiry: request.expiry,
                policy: ImportPolicy::default(),
                claim: request.claim,
            },
            options,
        )
        .map_err(|e| ctx.core(e))?;
    Ok(Some(json!({
        "KeyId": ctx.caller.key_arn(&id),
        "KeyMaterialId": outcome.material_id.to_string(),
    })))
}

pub(super) fn delete_imported_key_material(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    let named = material_id_member(input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOnly)?;
    let tenant = &ctx.caller.tenant;
    let key = match &named {
        Some(m) => ctx.kms.delete_named_key_material(tenant, &id, m),
        None => ctx.kms.delete_imported_key_material(tenant, &id),
    }
    .map_err(|e| ctx.core(e))?;
    let mut out = json!({ "KeyId": ctx.caller.key_arn(&id) });
    // The material deleted: the one named, else the current one (a key whose material was
    // deleted always had one).
    if let Some(deleted) = named.or(key.material_id) {
        out["KeyMaterialId"] = json!(deleted.to_string());
    }
    Ok(Some(out))
}
