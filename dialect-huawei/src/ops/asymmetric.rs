//! encrypt-data and decrypt-data with an asymmetric key (`encryption_algorithm`
//! RSAES_OAEP_SHA_256 or SM2_ENCRYPT): the ciphertext is the algorithm's own (RSA-OAEP block,
//! SM2 DER C1C3C2) in base64, with nothing of ours around it, so a client can decrypt
//! or produce it offline with the public key; decrypt-data then needs the `key_id` ("only
//! needed when the ciphertext was made with an asymmetric key").

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{EncryptionAlgorithm, KeyId};
use serde_json::{Value, json};

use super::Ctx;
use super::wire_names::{ENCRYPTION_ALGORITHMS, lookup};
use crate::error::HuaweiError;
use crate::input::{Input, matches_base64_pattern};

/// decrypt-data's documented `cipher_text` pattern length.
const CIPHERTEXT_CHARS: std::ops::RangeInclusive<usize> = 128..=5648;

/// The documented values of encrypt-data and decrypt-data (re-encrypt also takes
/// RSAES_OAEP_SHA_1).
const DATA_ALGORITHMS: &[&str] = &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256", "SM2_ENCRYPT"];

/// `encryption_algorithm` of encrypt-data/decrypt-data; SYMMETRIC_DEFAULT when absent.
pub(super) fn data_algorithm(
    input: &Input,
    field: &str,
) -> Result<EncryptionAlgorithm, HuaweiError> {
    let name = input.choice(field, DATA_ALGORITHMS)?;
    Ok(
        lookup(field, name, ENCRYPTION_ALGORITHMS)?
            .unwrap_or(EncryptionAlgorithm::SymmetricDefault),
    )
}

/// Asymmetric encryption has no additional authenticated data; refusing it keeps a caller
/// from believing the ciphertext is bound to it.
pub(super) fn no_aad(input: &Input, field: &str) -> Result<(), HuaweiError> {
    match super::crypto::aad_text(input, field)? {
        None | Some("") => Ok(()),
        Some(_) => Err(HuaweiError::invalid(format!(
            "Invalid parameter: {field} is for symmetric keys; asymmetric encryption does not take it."
        ))),
    }
}

/// An asymmetric ciphertext in base64, within decrypt-data's documented pattern.
pub(super) fn ciphertext(input: &Input, field: &str) -> Result<Vec<u8>, HuaweiError> {
    let text = input.required(field, 1..=8192)?;
    if !matches_base64_pattern(text, CIPHERTEXT_CHARS) {
        return Err(HuaweiError::invalid(format!(
            "Invalid parameter: {field} must match ^[0-9a-zA-Z+/=]{{128,5648}}$."
        )));
    }
    STANDARD.decode(text).map_err(|_| {
        HuaweiError::invalid(format!("Invalid parameter: {field} is not valid base64."))
    })
}

pub(super) fn encrypt(
    ctx: &Ctx<'_>,
    input: &Input,
    id: KeyId,
    plaintext: &[u8],
    algorithm: EncryptionAlgorithm,
) -> Result<Value, HuaweiError> {
    no_aad(input, "additional_authenticated_data")?;
    let ciphertext = ctx
        .kms
        .encrypt_asymmetric(&ctx.caller.tenant, &id, plaintext, algorithm)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": id.to_string(),
        "cipher_text": STANDARD.encode(ciphertext),
    }))
}

pub(super) fn decrypt(
    ctx: &Ctx<'_>,
    input: &Input,
    algorithm: EncryptionAlgorithm,
) -> Result<Value, HuaweiError> {
    let ciphertext = ciphertext(input, "cipher_text")?;
    no_aad(input, "additional_authenticated_data")?;
    let id = input
        .optional_key_id("key_id")?
        .ok_or_else(|| HuaweiError::missing("key_id"))?;
    let plain = ctx
        .kms
        .decrypt_asymmetric(&ctx.caller.tenant, &id, &ciphertext, algorithm)
        .map_err(|e| ctx.core(e))?;
    let bytes = plain.plaintext.expose();
    Ok(json!({
        "key_id": plain.key_id.to_string(),
        "plain_text": String::from_utf8_lossy(bytes),
        "plain_text_base64": STANDARD.encode(bytes),
    }))
}
