//! encrypt-data, decrypt-data (asymmetric algorithms: `asymmetric`), gen-random; the
//! ciphertext helpers re-encrypt shares.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{ByteCount, EncryptionAlgorithm, EncryptionContext, KeyId};
use serde_json::{Value, json};

use super::{Ctx, asymmetric};
use crate::ciphertext;
use crate::error::{ErrorCode, HuaweiError};
use crate::input::{Input, matches_base64_pattern};

/// `plain_text` of encrypt-data: 1 to 4096 bytes of UTF-8.
const PLAINTEXT_BYTES: std::ops::RangeInclusive<usize> = 1..=4096;
/// decrypt-data's documented `cipher_text` pattern length.
const CIPHERTEXT_CHARS: std::ops::RangeInclusive<usize> = 128..=5648;
/// Hex data-key ciphertexts (re-encrypt with `datakey_cipher_length`): up to a sealed
/// 1024-byte data key and then some.
const HEX_CIPHERTEXT_CHARS: std::ops::RangeInclusive<usize> = 2..=4096;

/// The AAD as the core's encryption context (one entry), so decrypt must repeat it.
pub(super) fn aad(input: &Input, field: &str) -> Result<EncryptionContext, HuaweiError> {
    let mut ctx = EncryptionContext::new();
    if let Some(a) = aad_text(input, field)?
        && !a.is_empty()
    {
        ctx.insert("additional_authenticated_data", a);
    }
    Ok(ctx)
}

/// An AAD member: "任意字符串，长度不超过128字节", at most 128 bytes (not characters).
pub(super) fn aad_text<'a>(input: &'a Input, field: &str) -> Result<Option<&'a str>, HuaweiError> {
    let text = input.string(field, 0..=128)?;
    if text.is_some_and(|a| a.len() > 128) {
        return Err(HuaweiError::invalid(format!(
            "Invalid parameter: {field} must be at most 128 bytes."
        )));
    }
    Ok(text)
}

pub(super) fn encrypt_data(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let plain = input.required("plain_text", 1..=PLAINTEXT_BYTES.end() * 4)?;
    if !PLAINTEXT_BYTES.contains(&plain.len()) {
        return Err(HuaweiError::invalid(
            "Invalid parameter: plain_text must be 1 to 4096 bytes.",
        ));
    }
    let algorithm = asymmetric::data_algorithm(input, "encryption_algorithm")?;
    if algorithm != EncryptionAlgorithm::SymmetricDefault {
        return asymmetric::encrypt(ctx, input, id, plain.as_bytes(), algorithm);
    }
    let context = aad(input, "additional_authenticated_data")?;
    let blob = ctx
        .kms
        .encrypt(&ctx.caller.tenant, &id, plain.as_bytes(), &context)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": id.to_string(),
        "cipher_text": STANDARD.encode(ciphertext::seal(blob)),
    }))
}

/// A base64 `cipher_text` of encrypt-data, unsealed to the core's blob.
pub(super) fn base64_ciphertext(input: &Input, field: &str) -> Result<Vec<u8>, HuaweiError> {
    let text = input.required(field, 1..=8192)?;
    if !matches_base64_pattern(text, CIPHERTEXT_CHARS) {
        return Err(HuaweiError::invalid(format!(
            "Invalid parameter: {field} must match ^[0-9a-zA-Z+/=]{{128,5648}}$."
        )));
    }
    let bytes = STANDARD.decode(text).map_err(|_| {
        HuaweiError::invalid(format!("Invalid parameter: {field} is not valid base64."))
    })?;
    Ok(ciphertext::open(&bytes)?.to_vec())
}

/// A hex data-key ciphertext, unsealed to the core's blob.
pub(super) fn hex_ciphertext(input: &Input, field: &str) -> Result<Vec<u8>, HuaweiError> {
    let text = input.required(field, HEX_CIPHERTEXT_CHARS)?;
    let bytes = hex::decode(text)
        .map_err(|_| HuaweiError::invalid(format!("Invalid parameter: {field} must be hex.")))?;
    Ok(ciphertext::open(&bytes)?.to_vec())
}

/// A key id the request names must be the key the ciphertext was made under.
pub(super) fn check_source(expected: Option<KeyId>, actual: KeyId) -> Result<(), HuaweiError> {
    match expected {
        Some(e) if e != actual => Err(HuaweiError::invalid(format!(
            "Invalid parameter: the ciphertext was not made under key {e}."
        ))),
        _ => Ok(()),
    }
}

pub(super) fn decrypt_data(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let algorithm = asymmetric::data_algorithm(input, "encryption_algorithm")?;
    if algorithm != EncryptionAlgorithm::SymmetricDefault {
        return asymmetric::decrypt(ctx, input, algorithm);
    }
    let blob = base64_ciphertext(input, "cipher_text")?;
    let context = aad(input, "additional_authenticated_data")?;
    let expected = input.optional_key_id("key_id")?;
    let plain = ctx
        .kms
        .decrypt(&ctx.caller.tenant, &blob, &context)
        .map_err(|e| ctx.core(e))?;
    check_source(expected, plain.key_id)?;
    let bytes = plain.plaintext.expose();
    Ok(json!({
        "key_id": plain.key_id.to_string(),
        "plain_text": String::from_utf8_lossy(bytes),
        "plain_text_base64": STANDARD.encode(bytes),
    }))
}

pub(super) fn gen_random(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    // gen-random's own code for a bad length (Huawei's error table).
    let bad = |why: &str| {
        HuaweiError::bad(
            ErrorCode::Kms1801,
            format!("Invalid random_data_length: {why}."),
        )
    };
    let bits = input
        .required_number("random_data_length", 8..=8192)
        .map_err(|e| e.recode(ErrorCode::Kms1801))?;
    if bits % 8 != 0 {
        return Err(bad("it must be a multiple of 8"));
    }
    let count = usize::try_from(bits / 8)
        .ok()
        .and_then(|n| ByteCount::new(n).ok())
        .ok_or_else(|| bad("it must be 8 to 8192 bits"))?;
    let bytes = ctx.kms.generate_random(count).map_err(|e| ctx.core(e))?;
    Ok(json!({ "random_data": hex::encode(bytes.expose()) }))
}
