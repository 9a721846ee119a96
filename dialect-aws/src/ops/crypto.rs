//! Encrypt, Decrypt and ReEncrypt. SYMMETRIC_DEFAULT (the default) is kmsgate's own blob,
//! which names its key; RSAES_OAEP_SHA_1/256 and SM2PKE are raw public-key ciphertexts,
//! which name nothing, so decrypting one needs the key named in the request.

use kms_core::{
    Algorithm, Decrypted, EncryptionAlgorithm, EncryptionContext, KeyDescription, KeyFamily,
    KeyUsage, KmsError, MaterialId,
};
use serde_json::{Value, json};

use super::Ctx;
use super::algorithms::encryption_algorithm;
use super::wire::{b64, dry_run, dry_run_ignores_ciphertext, grant_tokens, would_have_succeeded};
use crate::error::{AwsError, ErrorCode, KeyNamer};
use crate::input::Input;
use crate::key_ref::Accepts;
use crate::wire_enum::EncryptionAlgorithmWire;

const PLAINTEXT_LEN: std::ops::RangeInclusive<usize> = 1..=4096;
const CIPHERTEXT_LEN: std::ops::RangeInclusive<usize> = 1..=6144;

pub(super) fn context(input: &Input, member: &str) -> Result<EncryptionContext, AwsError> {
    let mut ctx = EncryptionContext::new();
    for (k, v) in input.string_map(member)? {
        ctx.insert(k, v);
    }
    Ok(ctx)
}

/// An `EncryptionAlgorithm`-like member; SYMMETRIC_DEFAULT when absent, as the model says.
fn algorithm(input: &Input, member: &str) -> Result<EncryptionAlgorithm, AwsError> {
    Ok(input
        .enumeration::<EncryptionAlgorithmWire>(member)?
        .map_or(EncryptionAlgorithm::SymmetricDefault, encryption_algorithm))
}

/// Members that change nothing here but must still be well-formed.
pub(super) fn common(input: &Input) -> Result<(), AwsError> {
    grant_tokens(input)?;
    if input.present("Recipient") {
        return Err(AwsError::new(
            ErrorCode::UnsupportedOperationException,
            "kmsgate does not emulate Nitro Enclaves attestation (Recipient)",
        ));
    }
    Ok(())
}

pub(super) fn with_material_id(mut out: Value, member: &str, id: Option<MaterialId>) -> Value {
    if let Some(id) = id {
        out[member] = json!(id.to_string());
    }
    out
}

/// "An encryption context is valid only for cryptographic operations with a symmetric
/// encryption KMS key" (the model's Decrypt documentation); the wording and code are ours.
fn refuse_context_for(
    algorithm: EncryptionAlgorithm,
    context: &EncryptionContext,
) -> Result<(), AwsError> {
    if algorithm == EncryptionAlgorithm::SymmetricDefault || context.is_empty() {
        return Ok(());
    }
    Err(AwsError::new(
        ErrorCode::ValidationException,
        format!(
            "An encryption context is valid only with SYMMETRIC_DEFAULT, not with {algorithm}."
        ),
    ))
}

/// Encrypts under `key` with `algorithm`: the ciphertext and, for a symmetric blob, the
/// material that made it.
fn encrypt_with(
    ctx: &Ctx<'_>,
    key: &kms_core::KeyId,
    plaintext: &[u8],
    algorithm: EncryptionAlgorithm,
    context: &EncryptionContext,
) -> Result<(Vec<u8>, Option<MaterialId>), AwsError> {
    refuse_context_for(algorithm, context)?;
    let tenant = &ctx.caller.tenant;
    match algorithm {
        EncryptionAlgorithm::SymmetricDefault => ctx
            .kms
            .encrypt_noting_material(tenant, key, plaintext, context),
        asymmetric => ctx
            .kms
            .encrypt_asymmetric(tenant, key, plaintext, asymmetric)
            .map(|c| (c, None)),
    }
    .map_err(|e| ctx.core(e))
}

pub(super) fn encrypt(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let plaintext = input.required_blob("Plaintext", PLAINTEXT_LEN)?;
    let enc_ctx = context(input, "EncryptionContext")?;
    let algorithm = algorithm(input, "EncryptionAlgorithm")?;
    common(input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let (blob, _) = encrypt_with(ctx, &id, &plaintext, algorithm, &enc_ctx)?;
    dry_run(input)?;
    Ok(Some(json!({
        "CiphertextBlob": b64(&blob),
        "KeyId": ctx.caller.key_arn(&id),
        "EncryptionAlgorithm": algorithm.to_string(),
    })))
}

/// An optional `KeyId`-like member naming the key a ciphertext must have been made under.
fn named_key(
    ctx: &Ctx<'_>,
    input: &Input,
    member: &str,
) -> Result<Option<KeyDescription>, AwsError> {
    match input.string(member, 1..=2048)? {
        None => Ok(None),
        Some(text) => {
            let id = ctx.resolve(&ctx.key_ref(&text, Accepts::KeyOrAlias)?)?;
            let key = ctx
                .kms
                .describe_key(&ctx.caller.tenant, &id)
                .map_err(|e| ctx.core(e))?;
            Ok(Some(key))
        }
    }
}

/// AWS's recorded wording (Decrypt and ReEncrypt naming a key other than the ciphertext's).
fn incorrect_key() -> AwsError {
    AwsError::new(
        ErrorCode::IncorrectKeyException,
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
}

/// Decrypts `blob` as `algorithm` says: a symmetric blob finds its own key (and must be of
/// the key named, if any); a public-key ciphertext needs the key named in `member`.
fn decrypt_with(
    ctx: &Ctx<'_>,
    blob: &[u8],
    algorithm: EncryptionAlgorithm,
    context: &EncryptionContext,
    named: Option<KeyDescription>,
    member: &str,
) -> Result<Decrypted, AwsError> {
    refuse_context_for(algorithm, context)?;
    let tenant = &ctx.caller.tenant;
    if algorithm != EncryptionAlgorithm::SymmetricDefault {
        let key = named.ok_or_else(|| {
            AwsError::new(
                ErrorCode::ValidationException,
                format!(
                    "{member} is required to decrypt ciphertext made with the asymmetric algorithm {algorithm}."
                ),
            )
        })?;
        return ctx
            .kms
            .decrypt_asymmetric(tenant, &key.key_id, blob, algorithm)
            .map_err(|e| ctx.core(e));
    }
    // An asymmetric encryption key named with SYMMETRIC_DEFAULT: the algorithm is wrong for
    // the key, whatever the blob holds (AWS checks the key before the ciphertext).
    if let Some(key) = &named
        && key.usage == KeyUsage::EncryptDecrypt
        && key.spec.family() != KeyFamily::Symmetric
    {
        return Err(ctx.core(KmsError::AlgorithmNotForKey {
            key_id: key.key_id,
            spec: key.spec,
            algorithm: Algorithm::Encryption(algorithm),
        }));
    }
    let plain = ctx
        .kms
        .decrypt(tenant, blob, context)
        .map_err(|e| ctx.core(e))?;
    match named {
        Some(key) if key.key_id != plain.key_id => Err(incorrect_key()),
        _ => Ok(plain),
    }
}

pub(super) fn decrypt(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    if dry_run_ignores_ciphertext(input)? {
        context(input, "EncryptionContext")?;
        algorithm(input, "EncryptionAlgorithm")?;
        common(input)?;
        // Without the ciphertext, the key to check is the one KeyId names, if any.
        named_key(ctx, input, "KeyId")?;
        return Err(would_have_succeeded());
    }
    let blob = input.required_blob("CiphertextBlob", CIPHERTEXT_LEN)?;
    let enc_ctx = context(input, "EncryptionContext")?;
    let algorithm = algorithm(input, "EncryptionAlgorithm")?;
    common(input)?;
    let named = named_key(ctx, input, "KeyId")?;
    let plain = decrypt_with(ctx, &blob, algorithm, &enc_ctx, named, "KeyId")?;
    dry_run(input)?;
    let out = json!({
        "KeyId": ctx.caller.key_arn(&plain.key_id),
        "Plaintext": b64(plain.plaintext.expose()),
        "EncryptionAlgorithm": algorithm.to_string(),
    });
    // The model: "present only when the operation uses a symmetric encryption KMS key".
    let material = plain
        .material_id
        .filter(|_| algorithm == EncryptionAlgorithm::SymmetricDefault);
    Ok(Some(with_material_id(out, "KeyMaterialId", material)))
}

pub(super) fn re_encrypt(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    if dry_run_ignores_ciphertext(input)? {
        context(input, "SourceEncryptionContext")?;
        context(input, "DestinationEncryptionContext")?;
        algorithm(input, "SourceEncryptionAlgorithm")?;
        algorithm(input, "DestinationEncryptionAlgorithm")?;
        common(input)?;
        let destination = ctx.key(input, "DestinationKeyId", Accepts::KeyOrAlias)?;
        ctx.kms
            .describe_key(&ctx.caller.tenant, &destination)
            .map_err(|e| ctx.core(e))?;
        named_key(ctx, input, "SourceKeyId")?;
        return Err(would_have_succeeded());
    }
    let blob = input.required_blob("CiphertextBlob", CIPHERTEXT_LEN)?;
    let source_ctx = context(input, "SourceEncryptionContext")?;
    let destination_ctx = context(input, "DestinationEncryptionContext")?;
    let source_algorithm = algorithm(input, "SourceEncryptionAlgorithm")?;
    let destination_algorithm = algorithm(input, "DestinationEncryptionAlgorithm")?;
    common(input)?;
    let destination = ctx.key(input, "DestinationKeyId", Accepts::KeyOrAlias)?;
    let named = named_key(ctx, input, "SourceKeyId")?;
    let source = decrypt_with(
        ctx,
        &blob,
        source_algorithm,
        &source_ctx,
        named,
        "SourceKeyId",
    )?;
    let (ciphertext, destination_material) = encrypt_with(
        ctx,
        &destination,
        source.plaintext.expose(),
        destination_algorithm,
        &destination_ctx,
    )?;
    dry_run(input)?;
    let mut response = json!({
        "CiphertextBlob": b64(&ciphertext),
        "SourceKeyId": ctx.caller.key_arn(&source.key_id),
        "KeyId": ctx.caller.key_arn(&destination),
        "SourceEncryptionAlgorithm": source_algorithm.to_string(),
        "DestinationEncryptionAlgorithm": destination_algorithm.to_string(),
    });
    let source_material = source
        .material_id
        .filter(|_| source_algorithm == EncryptionAlgorithm::SymmetricDefault);
    response = with_material_id(response, "SourceKeyMaterialId", source_material);
    response = with_material_id(response, "DestinationKeyMaterialId", destination_material);
    Ok(Some(response))
}
