//! sign and verify: a message or its digest (base64), Huawei's algorithm names, and
//! `message_type` defaulting to DIGEST (unlike AWS, where RAW is the default).
//!
//! Huawei rules applied here, before the core: SM2 keys sign digests only ("SM2 keys can only
//! be used to sign message digests", the Sign API's constraints: the digest is
//! SM3(Z_A ‖ M) of GB/T 32918, which the caller computes). verify answers a mismatch with
//! `signature_valid: "false"` (the response field documents "true"/"false"), not an error.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{KeyId, MessageType, SigningAlgorithm};
use serde_json::{Value, json};

use super::Ctx;
use super::wire_names::signing_algorithm;
use crate::error::HuaweiError;
use crate::input::Input;

/// `message`: "smaller than 4096 bytes" before base64.
const MESSAGE_BYTES: std::ops::RangeInclusive<usize> = 1..=4095;
/// `signature`: generous for the largest (RSA-4096, 512 bytes) in base64.
const SIGNATURE_CHARS: std::ops::RangeInclusive<usize> = 1..=1024;

/// A base64 field decoded, with its decoded length checked.
pub(super) fn base64_bytes(
    input: &Input,
    field: &str,
    chars: std::ops::RangeInclusive<usize>,
    bytes: std::ops::RangeInclusive<usize>,
) -> Result<Vec<u8>, HuaweiError> {
    let text = input.required(field, chars)?;
    let decoded = STANDARD
        .decode(text)
        .map_err(|_| HuaweiError::invalid(format!("Invalid parameter: {field} must be base64.")))?;
    if !bytes.contains(&decoded.len()) {
        return Err(HuaweiError::invalid(format!(
            "Invalid parameter: {field} must decode to {} to {} bytes.",
            bytes.start(),
            bytes.end()
        )));
    }
    Ok(decoded)
}

struct SignRequest {
    key_id: KeyId,
    message: Vec<u8>,
    algorithm: SigningAlgorithm,
    kind: MessageType,
}

impl SignRequest {
    fn parse(input: &Input) -> Result<Self, HuaweiError> {
        let key_id = input.key_id("key_id")?;
        let message = base64_bytes(input, "message", 1..=8192, MESSAGE_BYTES)?;
        let algorithm = signing_algorithm(
            "signing_algorithm",
            input.required("signing_algorithm", 1..=64)?,
        )?;
        let kind = match input.choice("message_type", &["DIGEST", "RAW"])? {
            None | Some("DIGEST") => MessageType::Digest,
            Some(_) => MessageType::Raw,
        };
        if algorithm == SigningAlgorithm::Sm2Dsa && kind == MessageType::Raw {
            return Err(HuaweiError::invalid(
                "Invalid parameter: SM2 keys sign message digests only; send SM3(Z_A || M) with message_type DIGEST.",
            ));
        }
        Ok(SignRequest {
            key_id,
            message,
            algorithm,
            kind,
        })
    }
}

pub(super) fn sign(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let r = SignRequest::parse(input)?;
    let signature = ctx
        .kms
        .sign(
            &ctx.caller.tenant,
            &r.key_id,
            &r.message,
            r.kind,
            r.algorithm,
        )
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": r.key_id.to_string(),
        "signature": STANDARD.encode(&signature.bytes),
    }))
}

pub(super) fn verify(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let r = SignRequest::parse(input)?;
    let signature = base64_bytes(
        input,
        "signature",
        SIGNATURE_CHARS,
        1..=SIGNATURE_CHARS.end() * 3 / 4,
    )?;
    let valid = kms_core::verdict(ctx.kms.verify(
        &ctx.caller.tenant,
        &r.key_id,
        &r.message,
        r.kind,
        r.algorithm,
        &signature,
    ))
    .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": r.key_id.to_string(),
        "signature_valid": valid.to_string(),
    }))
}
