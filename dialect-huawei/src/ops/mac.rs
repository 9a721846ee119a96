//! generate-mac and verify-mac: HMAC keys' MACs over a base64 message of 1 to 4096 bytes.
//! The MAC itself is hex, as the GenerateMac and VerifyMac pages' examples show it (64 hex
//! digits for HMAC_SHA_256). verify-mac answers a mismatch with `mac_valid: false` (a boolean
//! in the SDK's model), not an error.

use kms_core::{KeyId, MacAlgorithm};
use serde_json::{Value, json};

use super::Ctx;
use super::sign::base64_bytes;
use super::wire_names::{MAC_ALGORITHMS, lookup, mac_algorithm_name};
use crate::error::HuaweiError;
use crate::input::Input;

/// "The original message is 1 to 4096 bytes long."
const MESSAGE_BYTES: std::ops::RangeInclusive<usize> = 1..=4096;
/// The longest MAC is HMAC-SHA-512's 64 bytes; leave room for a wrong one to be judged.
const MAC_BYTES: std::ops::RangeInclusive<usize> = 1..=128;

struct MacRequest {
    key_id: KeyId,
    algorithm: MacAlgorithm,
    message: Vec<u8>,
}

impl MacRequest {
    fn parse(input: &Input) -> Result<Self, HuaweiError> {
        let key_id = input.key_id("key_id")?;
        let algorithm = lookup(
            "mac_algorithm",
            Some(input.required("mac_algorithm", 1..=64)?),
            MAC_ALGORITHMS,
        )?
        .ok_or_else(|| HuaweiError::missing("mac_algorithm"))?;
        let message = base64_bytes(input, "message", 1..=8192, MESSAGE_BYTES)?;
        Ok(MacRequest {
            key_id,
            algorithm,
            message,
        })
    }
}

pub(super) fn generate_mac(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let r = MacRequest::parse(input)?;
    let mac = ctx
        .kms
        .generate_mac(&ctx.caller.tenant, &r.key_id, &r.message, r.algorithm)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": r.key_id.to_string(),
        "mac_algorithm": mac_algorithm_name(r.algorithm),
        "mac": hex::encode(&mac),
    }))
}

/// `mac`: hex digits (either case), of a MAC up to [`MAC_BYTES`] long.
fn hex_mac(input: &Input) -> Result<Vec<u8>, HuaweiError> {
    let text = input.required("mac", 2..=2 * MAC_BYTES.end())?;
    hex::decode(text)
        .ok()
        .filter(|mac| MAC_BYTES.contains(&mac.len()))
        .ok_or_else(|| {
            HuaweiError::invalid("Invalid parameter: mac. It must be the MAC in hex digits.")
        })
}

pub(super) fn verify_mac(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let r = MacRequest::parse(input)?;
    let mac = hex_mac(input)?;
    let valid = kms_core::verdict(ctx.kms.verify_mac(
        &ctx.caller.tenant,
        &r.key_id,
        &r.message,
        r.algorithm,
        &mac,
    ))
    .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": r.key_id.to_string(),
        "mac_algorithm": mac_algorithm_name(r.algorithm),
        "mac_valid": valid,
    }))
}
