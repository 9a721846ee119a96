//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateRandom.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{BLOB_OVERHEAD, ByteCount, DataKeySpec, EncryptionContext, KmsError};
use serde_json::{Map, Value, json};

use super::keys::check_hsm_cluster;
use super::{Answer, Ctx, core, parse_key_id};
use crate::error::{ErrorCode, TencentError};
use crate::params::{Params, bad_value};

const PLAINTEXT_MAX: usize = 4096;
const CONTEXT_MAX_CHARS: usize = 1024;
const CIPHERTEXT_MAX: usize = 6144;

/// `EncryptionContext`: a JSON object *as a string* (`"{\"purpose\":\"test\"}"`), at most 1024
/// characters; empty means none. Names map to values; a non-string value keeps its JSON text.
/// Two contexts match when they hold the same pairs, whatever their order or spacing.
pub(crate) fn context(params: &Params, name: &str) -> Result<EncryptionContext, TencentError> {
    let mut ctx = EncryptionContext::new();
    let text = params.string(name)?.unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(ctx);
    }
    let invalid = |why: &str| bad_value(ErrorCode::InvalidParameterValue, name, why);
    if text.chars().count() > CONTEXT_MAX_CHARS {
        return Err(invalid("it must be at most 1024 characters"));
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) else {
        return Err(invalid(
            "it must be a JSON object in a string, such as {\"k\":\"v\"}",
        ));
    };
    for (k, v) in map {
        match v {
            Value::String(s) => ctx.insert(k, s),
            other => ctx.insert(k, other.to_string()),
        }
    }
    Ok(ctx)
}

fn b64(bytes: &[u8]) -> Value {
    json!(STANDARD.encode(bytes))
}

/// A `CiphertextBlob` that could be one of ours: base64 and long enough. Anything else is
/// InvalidCiphertext before the core is asked.
fn ciphertext(params: &Params, name: &str) -> Result<Vec<u8>, TencentError> {
    let text = params.required_nonempty(name)?;
    let invalid =
        |why: &str| bad_value(ErrorCode::InvalidParameterValueInvalidCiphertext, name, why);
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| invalid("it must be a base64 string"))?;
    if bytes.len() <= BLOB_OVERHEAD || bytes.len() > CIPHERTEXT_MAX {
        return Err(invalid(
            "it is not a ciphertext made by Encrypt or GenerateDataKey",
        ));
    }
    Ok(bytes)
}

/// Re-encrypting results to a caller's public key (`EncryptionPublicKey`) is not emulated;
/// answering in plaintext instead would hand out what the caller asked to be protected.
fn refuse_public_key(params: &Params) -> Result<(), TencentError> {
    if params
        .string("EncryptionPublicKey")?
        .is_some_and(|k| !k.is_empty())
    {
        return Err(TencentError::new(
            ErrorCode::UnsupportedOperation,
            "kmsgate does not emulate EncryptionPublicKey (returning the plaintext encrypted to a caller's public key).",
        ));
    }
    match params.string("EncryptionAlgorithm")?.as_deref() {
        None
        | Some("")
        | Some("SM2")
        | Some("SM2_C1C3C2_ASN1")
        | Some("RSAES_PKCS1_V1_5")
        | Some("RSAES_OAEP_SHA_1")
        | Some("RSAES_OAEP_SHA_256") => Ok(()),
        Some(_) => Err(bad_value(
            ErrorCode::InvalidParameterValue,
            "EncryptionAlgorithm",
            "it must be SM2, SM2_C1C3C2_ASN1, RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256",
        )),
    }
}

pub(super) fn encrypt(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let text = params.required_nonempty("Plaintext")?;
    let invalid = |why: &str| {
        bad_value(
            ErrorCode::InvalidParameterValueInvalidPlaintext,
            "Plaintext",
            why,
        )
    };
    let plaintext = STANDARD
        .decode(text.trim())
        .map_err(|_| invalid("it must be the base64 of the data"))?;
    if plaintext.is_empty() || plaintext.len() > PLAINTEXT_MAX {
        return Err(invalid("the data must be 1 to 4096 bytes"));
    }
    let enc_ctx = context(params, "EncryptionContext")?;
    let blob = ctx
        .kms
        .encrypt(&ctx.caller.tenant, &id, &plaintext, &enc_ctx)
        .map_err(core)?;
    let mut out = Map::new();
    out.insert("CiphertextBlob".into(), b64(&blob));
    out.insert("KeyId".into(), json!(id.to_string()));
    Ok(out)
}

pub(super) fn decrypt(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let blob = ciphertext(params, "CiphertextBlob")?;
    let enc_ctx = context(params, "EncryptionContext")?;
    refuse_public_key(params)?;
    let plain = ctx
        .kms
        .decrypt(&ctx.caller.tenant, &blob, &enc_ctx)
        .map_err(core)?;
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(plain.key_id.to_string()));
    out.insert("Plaintext".into(), b64(plain.plaintext.expose()));
    Ok(out)
}

pub(super) fn re_encrypt(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let blob = ciphertext(params, "CiphertextBlob")?;
    let destination = match params.string("DestinationKeyId")? {
        Some(text) if !text.is_empty() => Some(parse_key_id("DestinationKeyId", &text)?),
        _ => None,
    };
    let source_ctx = context(params, "SourceEncryptionContext")?;
    let destination_ctx = context(params, "DestinationEncryptionContext")?;
    let tenant = &ctx.caller.tenant;
    let source = ctx.kms.decrypt(tenant, &blob, &source_ctx).map_err(core)?;
    let target = destination.unwrap_or(source.key_id);
    let (fresh, material) = ctx
        .kms
        .encrypt_noting_material(tenant, &target, source.plaintext.expose(), &destination_ctx)
        .map_err(core)?;
    // Same key, same context and no rotation since (the current material made the
    // ciphertext): Tencent hands it back unchanged ("若密钥没有轮换则密文不会刷新").
    let unchanged =
        target == source.key_id && destination_ctx == source_ctx && material == source.material_id;
    let out_blob = if unchanged { blob } else { fresh };
    let mut out = Map::new();
    out.insert("CiphertextBlob".into(), b64(&out_blob));
    out.insert("KeyId".into(), json!(target.to_string()));
    out.insert("SourceKeyId".into(), json!(source.key_id.to_string()));
    out.insert("ReEncrypted".into(), json!(!unchanged));
    Ok(out)
}

fn byte_count(params: &Params, name: &str) -> Result<Option<ByteCount>, TencentError> {
    match params.integer(name)? {
        None => Ok(None),
        Some(n) => usize::try_from(n)
            .ok()
            .and_then(|n| ByteCount::new(n).ok())
            .map(Some)
            .ok_or_else(|| {
                bad_value(
                    ErrorCode::InvalidParameterValue,
                    name,
                    "it must be between 1 and 1024",
                )
            }),
    }
}

/// `NumberOfBytes` wins over `KeySpec`; one of them is required.
fn data_key_spec(params: &Params) -> Result<DataKeySpec, TencentError> {
    let spec = match params.string("KeySpec")?.as_deref() {
        None | Some("") => None,
        Some("AES_128") => Some(DataKeySpec::Aes128),
        Some("AES_256") => Some(DataKeySpec::Aes256),
        Some(_) => {
            return Err(bad_value(
                ErrorCode::InvalidParameterValue,
                "KeySpec",
                "it must be AES_128 or AES_256",
            ));
        }
    };
    match (byte_count(params, "NumberOfBytes")?, spec) {
        (Some(n), _) => Ok(DataKeySpec::Bytes(n)),
        (None, Some(spec)) => Ok(spec),
        (None, None) => Err(TencentError::new(
            ErrorCode::MissingParameter,
            "The request is missing a required parameter: one of `KeySpec` or `NumberOfBytes`.",
        )),
    }
}

pub(super) fn generate_data_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let spec = data_key_spec(params)?;
    let enc_ctx = context(params, "EncryptionContext")?;
    refuse_public_key(params)?;
    match params.integer("IsHostedByKms")? {
        None | Some(0) => {}
        Some(1) => {
            return Err(TencentError::new(
                ErrorCode::UnsupportedOperation,
                "kmsgate does not emulate data keys hosted by KMS (IsHostedByKms=1).",
            ));
        }
        Some(_) => {
            return Err(bad_value(
                ErrorCode::InvalidParameterValue,
                "IsHostedByKms",
                "it must be 0 or 1",
            ));
        }
    }
    check_hsm_cluster(params)?;
    let key = ctx
        .kms
        .generate_data_key(&ctx.caller.tenant, &id, spec, &enc_ctx)
        .map_err(core)?;
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(id.to_string()));
    out.insert("Plaintext".into(), b64(key.plaintext.expose()));
    out.insert("CiphertextBlob".into(), b64(&key.ciphertext));
    Ok(out)
}

pub(super) fn generate_random(ctx: &Ctx<'_>, params: &Params) -> Answer {
    params.required_integer("NumberOfBytes")?;
    let count = byte_count(params, "NumberOfBytes")?.ok_or_else(|| {
        core(KmsError::Validation(
            kms_core::ValidationError::ByteCountOutOfRange {
                requested: 0,
                max: ByteCount::MAX,
            },
        ))
    })?;
    let bytes = ctx.kms.generate_random(count).map_err(core)?;
    let mut out = Map::new();
    out.insert("Plaintext".into(), b64(bytes.expose()));
    Ok(out)
}
