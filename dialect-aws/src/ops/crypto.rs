//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{ByteCount, DataKeySpec, EncryptionContext, KeyId, MaterialId};
use serde_json::{Value, json};

use super::Ctx;
use crate::error::{AwsError, ErrorCode, KeyNamer};
use crate::input::{Input, invalid};
use crate::key_ref::{Accepts, KeyRef, parse_key_ref};
use crate::wire_enum::{DataKeySpecWire, EncryptionAlgorithmWire};

const PLAINTEXT_LEN: std::ops::RangeInclusive<usize> = 1..=4096;
const CIPHERTEXT_LEN: std::ops::RangeInclusive<usize> = 1..=6144;

fn context(input: &Input, member: &str) -> Result<EncryptionContext, AwsError> {
    let mut ctx = EncryptionContext::new();
    for (k, v) in input.string_map(member)? {
        ctx.insert(k, v);
    }
    Ok(ctx)
}

/// Symmetric keys take only SYMMETRIC_DEFAULT; the others name asymmetric algorithms.
fn algorithm(input: &Input, member: &str) -> Result<(), AwsError> {
    match input.enumeration::<EncryptionAlgorithmWire>(member)? {
        None | Some(EncryptionAlgorithmWire::SymmetricDefault) => Ok(()),
        Some(a) => Err(AwsError::new(
            ErrorCode::InvalidKeyUsageException,
            format!(
                "{} is not a valid encryption algorithm for a symmetric KMS key",
                a.as_str()
            ),
        )),
    }
}

/// Members that change nothing here but must still be well-formed.
fn common(input: &Input) -> Result<(), AwsError> {
    input.string_list("GrantTokens", 1..=8192, 10)?;
    if input.present("Recipient") {
        return Err(AwsError::new(
            ErrorCode::UnsupportedOperationException,
            "kmsgate does not emulate Nitro Enclaves attestation (Recipient)",
        ));
    }
    Ok(())
}

fn dry_run(input: &Input) -> Result<(), AwsError> {
    if input.boolean("DryRun")? {
        return Err(AwsError::new(
            ErrorCode::DryRunOperationException,
            "The request would have succeeded, but the DryRun option is set.",
        ));
    }
    Ok(())
}

fn b64(bytes: &[u8]) -> Value {
    json!(STANDARD.encode(bytes))
}

fn with_material_id(mut out: Value, member: &str, id: Option<MaterialId>) -> Value {
    if let Some(id) = id {
        out[member] = json!(id.to_string());
    }
    out
}

pub(super) fn encrypt(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let plaintext = input.required_blob("Plaintext", PLAINTEXT_LEN)?;
    let enc_ctx = context(input, "EncryptionContext")?;
    algorithm(input, "EncryptionAlgorithm")?;
    common(input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let blob = ctx
        .kms
        .encrypt(&ctx.caller.tenant, &id, &plaintext, &enc_ctx)
        .map_err(|e| ctx.core(e))?;
    dry_run(input)?;
    Ok(Some(json!({
        "CiphertextBlob": b64(&blob),
        "KeyId": ctx.caller.key_arn(&id),
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    })))
}

/// An optional `KeyId`-like member that must name the key the ciphertext was made under.
fn expected_key(ctx: &Ctx<'_>, input: &Input, member: &str) -> Result<Option<KeyId>, AwsError> {
    match input.string(member, 1..=2048)? {
        None => Ok(None),
        Some(text) => {
            let key: KeyRef = parse_key_ref(&text, ctx.caller, Accepts::KeyOrAlias)?;
            let id = ctx.resolve(&key)?;
            ctx.kms
                .describe_key(&ctx.caller.tenant, &id)
                .map_err(|e| ctx.core(e))?;
            Ok(Some(id))
        }
    }
}

fn check_expected(expected: Option<KeyId>, actual: KeyId) -> Result<(), AwsError> {
    match expected {
        Some(e) if e != actual => Err(AwsError::new(
            ErrorCode::IncorrectKeyException,
            "The key ID in the request does not identify a KMS key that can perform this operation.",
        )),
        _ => Ok(()),
    }
}

pub(super) fn decrypt(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let blob = input.required_blob("CiphertextBlob", CIPHERTEXT_LEN)?;
    let enc_ctx = context(input, "EncryptionContext")?;
    algorithm(input, "EncryptionAlgorithm")?;
    common(input)?;
    let expected = expected_key(ctx, input, "KeyId")?;
    let plain = ctx
        .kms
        .decrypt(&ctx.caller.tenant, &blob, &enc_ctx)
        .map_err(|e| ctx.core(e))?;
    check_expected(expected, plain.key_id)?;
    dry_run(input)?;
    let out = json!({
        "KeyId": ctx.caller.key_arn(&plain.key_id),
        "Plaintext": b64(plain.plaintext.expose()),
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    });
    Ok(Some(with_material_id(
        out,
        "KeyMaterialId",
        plain.material_id,
    )))
}

pub(super) fn re_encrypt(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let blob = input.required_blob("CiphertextBlob", CIPHERTEXT_LEN)?;
    let source_ctx = context(input, "SourceEncryptionContext")?;
    let destination_ctx = context(input, "DestinationEncryptionContext")?;
    algorithm(input, "SourceEncryptionAlgorithm")?;
    algorithm(input, "DestinationEncryptionAlgorithm")?;
    common(input)?;
    let destination = ctx.key(input, "DestinationKeyId", Accepts::KeyOrAlias)?;
    let expected = expected_key(ctx, input, "SourceKeyId")?;
    let tenant = &ctx.caller.tenant;
    let source = ctx
        .kms
        .decrypt(tenant, &blob, &source_ctx)
        .map_err(|e| ctx.core(e))?;
    check_expected(expected, source.key_id)?;
    let (ciphertext, destination_material) = ctx
        .kms
        .encrypt_noting_material(
            tenant,
            &destination,
            source.plaintext.expose(),
            &destination_ctx,
        )
        .map_err(|e| ctx.core(e))?;
    dry_run(input)?;
    let mut response = json!({
        "CiphertextBlob": b64(&ciphertext),
        "SourceKeyId": ctx.caller.key_arn(&source.key_id),
        "KeyId": ctx.caller.key_arn(&destination),
        "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    });
    response = with_material_id(response, "SourceKeyMaterialId", source.material_id);
    response = with_material_id(response, "DestinationKeyMaterialId", destination_material);
    Ok(Some(response))
}

fn data_key_spec(input: &Input) -> Result<DataKeySpec, AwsError> {
    let spec = input.enumeration::<DataKeySpecWire>("KeySpec")?;
    let bytes = input.integer("NumberOfBytes", 1..=1024)?;
    match (spec, bytes) {
        (Some(DataKeySpecWire::Aes128), None) => Ok(DataKeySpec::Aes128),
        (Some(DataKeySpecWire::Aes256), None) => Ok(DataKeySpec::Aes256),
        (None, Some(n)) => usize::try_from(n)
            .ok()
            .and_then(|n| ByteCount::new(n).ok())
            .map(DataKeySpec::Bytes)
            .ok_or_else(|| {
                invalid(
                    "NumberOfBytes",
                    Some(&n.to_string()),
                    "Member must have value between 1 and 1024",
                )
            }),
        (Some(_), Some(_)) => Err(AwsError::new(
            ErrorCode::ValidationException,
            "Please specify either number of bytes or key spec, not both.",
        )),
        (None, None) => Err(AwsError::new(
            ErrorCode::ValidationException,
            "Please specify either number of bytes or key spec.",
        )),
    }
}

fn data_key(ctx: &Ctx<'_>, input: &Input, with_plaintext: bool) -> Result<Option<Value>, AwsError> {
    let enc_ctx = context(input, "EncryptionContext")?;
    let spec = data_key_spec(input)?;
    common(input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let key = ctx
        .kms
        .generate_data_key(&ctx.caller.tenant, &id, spec, &enc_ctx)
        .map_err(|e| ctx.core(e))?;
    dry_run(input)?;
    let mut out = json!({
        "CiphertextBlob": b64(&key.ciphertext),
        "KeyId": ctx.caller.key_arn(&id),
    });
    if with_plaintext {
        out["Plaintext"] = b64(key.plaintext.expose());
    }
    Ok(Some(with_material_id(
        out,
        "KeyMaterialId",
        key.material_id,
    )))
}

pub(super) fn generate_data_key(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    data_key(ctx, input, true)
}

pub(super) fn generate_data_key_without_plaintext(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Option<Value>, AwsError> {
    data_key(ctx, input, false)
}

pub(super) fn generate_random(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let n = input
        .integer("NumberOfBytes", 1..=1024)?
        .ok_or_else(|| invalid("NumberOfBytes", None, "Member must not be null"))?;
    if input.string("CustomKeyStoreId", 1..=64)?.is_some() {
        return Err(AwsError::new(
            ErrorCode::UnsupportedOperationException,
            "kmsgate does not emulate custom key stores",
        ));
    }
    common(input)?;
    let count = usize::try_from(n)
        .ok()
        .and_then(|n| ByteCount::new(n).ok())
        .ok_or_else(|| {
            invalid(
                "NumberOfBytes",
                Some(&n.to_string()),
                "Member must have value between 1 and 1024",
            )
        })?;
    let bytes = ctx.kms.generate_random(count).map_err(|e| ctx.core(e))?;
    Ok(Some(json!({ "Plaintext": b64(bytes.expose()) })))
}
