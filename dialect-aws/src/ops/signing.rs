//! Sign and Verify: signatures made and checked by the core with a SIGN_VERIFY key's private
//! key. Which key usage, algorithm, message type and digest length fit is the core's rule;
//! the refusals reach the client through `error::from_core`.

use kms_core::{KeyUsage, MessageType, SigningAlgorithm};
use serde_json::{Value, json};

use super::Ctx;
use super::algorithms::signing_algorithm;
use super::wire::{b64, dry_run, grant_tokens, unmodelled_algorithm};
use crate::error::{AwsError, ErrorCode, KeyNamer, wrong_key_usage};
use crate::input::Input;
use crate::key_ref::Accepts;
use crate::wire_enum::{MessageTypeWire, SigningAlgorithmWire};

const MESSAGE_LEN: std::ops::RangeInclusive<usize> = 1..=4096;
const SIGNATURE_LEN: std::ops::RangeInclusive<usize> = 1..=6144;

/// The members Sign and Verify share, parsed before the key is looked at.
struct SigningRequest {
    message: Vec<u8>,
    kind: MessageTypeWire,
    algorithm: SigningAlgorithmWire,
}

impl SigningRequest {
    fn parse(input: &Input) -> Result<Self, AwsError> {
        let message = input.required_blob("Message", MESSAGE_LEN)?;
        // RAW unless told otherwise, as the model documents.
        let kind = input
            .enumeration::<MessageTypeWire>("MessageType")?
            .unwrap_or(MessageTypeWire::Raw);
        let algorithm = input.required_enumeration::<SigningAlgorithmWire>("SigningAlgorithm")?;
        grant_tokens(input)?;
        Ok(SigningRequest {
            message,
            kind,
            algorithm,
        })
    }

    /// The core's message type. EXTERNAL_MU is ML-DSA's, and kmsgate has no ML-DSA keys: it
    /// is refused for the key named (once that key is found), as a message type the signing
    /// algorithm does not take, not before the key is looked up with an error Sign and
    /// Verify do not list.
    fn kind(&self, ctx: &Ctx<'_>, id: &kms_core::KeyId) -> Result<MessageType, AwsError> {
        match self.kind {
            MessageTypeWire::Raw => Ok(MessageType::Raw),
            MessageTypeWire::Digest => Ok(MessageType::Digest),
            MessageTypeWire::ExternalMu => {
                let key = ctx
                    .kms
                    .describe_key(&ctx.caller.tenant, id)
                    .map_err(|e| ctx.core(e))?;
                if key.usage != KeyUsage::SignVerify {
                    return Err(wrong_key_usage(
                        &ctx.caller.key_arn(id),
                        key.usage,
                        ctx.operation.name(),
                    ));
                }
                Err(AwsError::new(
                    ErrorCode::ValidationException,
                    format!(
                        "MessageType EXTERNAL_MU is not valid for signing algorithm {}.",
                        self.algorithm.as_str()
                    ),
                ))
            }
        }
    }

    /// The core's algorithm, or the refusal AWS gives for a key that cannot use the
    /// (unemulated) one asked for.
    fn algorithm(&self, ctx: &Ctx<'_>, id: &kms_core::KeyId) -> Result<SigningAlgorithm, AwsError> {
        match signing_algorithm(self.algorithm) {
            Some(a) => Ok(a),
            None => Err(unmodelled_algorithm(ctx, id, self.algorithm.as_str())),
        }
    }
}

pub(super) fn sign(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let request = SigningRequest::parse(input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let algorithm = request.algorithm(ctx, &id)?;
    let kind = request.kind(ctx, &id)?;
    let signature = ctx
        .kms
        .sign(&ctx.caller.tenant, &id, &request.message, kind, algorithm)
        .map_err(|e| ctx.core(e))?;
    dry_run(input)?;
    Ok(Some(json!({
        "KeyId": ctx.caller.key_arn(&id),
        "Signature": b64(&signature.bytes),
        "SigningAlgorithm": request.algorithm.as_str(),
    })))
}

pub(super) fn verify(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    let request = SigningRequest::parse(input)?;
    let signature = input.required_blob("Signature", SIGNATURE_LEN)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let algorithm = request.algorithm(ctx, &id)?;
    let kind = request.kind(ctx, &id)?;
    ctx.kms
        .verify(
            &ctx.caller.tenant,
            &id,
            &request.message,
            kind,
            algorithm,
            &signature,
        )
        .map_err(|e| ctx.core(e))?;
    dry_run(input)?;
    Ok(Some(json!({
        "KeyId": ctx.caller.key_arn(&id),
        "SignatureValid": true,
        "SigningAlgorithm": request.algorithm.as_str(),
    })))
}
