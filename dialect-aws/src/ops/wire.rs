//! Small pieces of the wire every cryptographic operation shares: base64 blobs, grant tokens,
//! DryRun, and the refusal of model algorithms kmsgate has no key for.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{KeyId, KeySpec, KeyUsage};
use serde_json::{Value, json};

use super::Ctx;
use crate::error::{
    AwsError, ErrorCode, KeyNamer, incompatible_algorithm, spec_name, wrong_key_usage,
};
use crate::input::Input;
use crate::wire_enum::DryRunModifierWire;

pub(super) fn b64(bytes: &[u8]) -> Value {
    json!(STANDARD.encode(bytes))
}

/// `GrantTokens` change nothing here but must still be well-formed.
pub(super) fn grant_tokens(input: &Input) -> Result<(), AwsError> {
    input.string_list("GrantTokens", 1..=8192, 10)?;
    Ok(())
}

/// Called after the operation succeeded: AWS answers a DryRun that would have worked so.
pub(super) fn dry_run(input: &Input) -> Result<(), AwsError> {
    if input.boolean("DryRun")? {
        return Err(would_have_succeeded());
    }
    Ok(())
}

/// AWS's answer to a DryRun that would have worked.
pub(super) fn would_have_succeeded() -> AwsError {
    AwsError::new(
        ErrorCode::DryRunOperationException,
        "The request would have succeeded, but the DryRun option is set.",
    )
}

/// Whether a DryRun asks to skip the ciphertext (`DryRunModifiers` holding IGNORE_CIPHERTEXT,
/// Decrypt and ReEncrypt): AWS then checks only that the caller could use the keys, so the
/// `CiphertextBlob` is neither required nor read. The modifiers are validated either way.
pub(super) fn dry_run_ignores_ciphertext(input: &Input) -> Result<bool, AwsError> {
    let modifiers =
        input.enumeration_list::<DryRunModifierWire>("DryRunModifiers", 0..=usize::MAX)?;
    Ok(input.boolean("DryRun")?
        && modifiers.is_some_and(|m| m.contains(&DryRunModifierWire::IgnoreCiphertext)))
}

/// A signing algorithm of the model that no kmsgate key takes (ML_DSA_SHAKE_256,
/// ED25519_PH_SHA_512): AWS's answer for the key named, checked in AWS's order (usage first).
pub(super) fn unmodelled_algorithm(ctx: &Ctx<'_>, id: &KeyId, algorithm: &str) -> AwsError {
    let key = match ctx.kms.describe_key(&ctx.caller.tenant, id) {
        Ok(key) => key,
        Err(e) => return ctx.core(e),
    };
    if key.usage != KeyUsage::SignVerify {
        return wrong_key_usage(&ctx.caller.key_arn(id), key.usage, ctx.operation.name());
    }
    if key.spec == KeySpec::EccNistEdwards25519 && algorithm == "ED25519_PH_SHA_512" {
        return AwsError::new(
            ErrorCode::UnsupportedOperationException,
            "kmsgate does not emulate ED25519_PH_SHA_512; sign with ED25519_SHA_512",
        );
    }
    incompatible_algorithm(algorithm, &spec_name(key.spec))
}
