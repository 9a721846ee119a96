//! GenerateMac and VerifyMac: HMAC over a message with a GENERATE_VERIFY_MAC key. The core
//! checks usage and algorithm and compares MACs in constant time.

use kms_core::MacAlgorithm;
use serde_json::{Value, json};

use super::Ctx;
use super::algorithms::mac_algorithm;
use super::wire::{b64, dry_run, grant_tokens};
use crate::error::{AwsError, KeyNamer};
use crate::input::Input;
use crate::key_ref::Accepts;
use crate::wire_enum::MacAlgorithmWire;

const MESSAGE_LEN: std::ops::RangeInclusive<usize> = 1..=4096;
const MAC_LEN: std::ops::RangeInclusive<usize> = 1..=6144;

struct MacRequest {
    message: Vec<u8>,
    wire: MacAlgorithmWire,
    algorithm: MacAlgorithm,
}

impl MacRequest {
    fn parse(input: &Input) -> Result<Self, AwsError> {
        let message = input.required_blob("Message", MESSAGE_LEN)?;
        let wire = input.required_enumeration::<MacAlgorithmWire>("MacAlgorithm")?;
        grant_tokens(input)?;
        Ok(MacRequest {
            message,
            wire,
            algorithm: mac_algorithm(wire),
        })
    }
}

pub(super) fn generate_mac(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let request = MacRequest::parse(input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let mac = ctx
        .kms
        .generate_mac(&ctx.caller.tenant, &id, &request.message, request.algorithm)
        .map_err(|e| ctx.core(e))?;
    dry_run(input)?;
    Ok(Some(json!({
        "KeyId": ctx.caller.key_arn(&id),
        "Mac": b64(&mac),
        "MacAlgorithm": request.wire.as_str(),
    })))
}

pub(super) fn verify_mac(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let request = MacRequest::parse(input)?;
    let mac = input.required_blob("Mac", MAC_LEN)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    ctx.kms
        .verify_mac(
            &ctx.caller.tenant,
            &id,
            &request.message,
            request.algorithm,
            &mac,
        )
        .map_err(|e| ctx.core(e))?;
    dry_run(input)?;
    Ok(Some(json!({
        "KeyId": ctx.caller.key_arn(&id),
        "MacValid": true,
        "MacAlgorithm": request.wire.as_str(),
    })))
}
