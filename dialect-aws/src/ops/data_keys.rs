//! GenerateDataKey(WithoutPlaintext) and GenerateRandom: symmetric data keys under a
//! SYMMETRIC_DEFAULT key (the core refuses every other key), and random bytes.

use kms_core::{ByteCount, DataKeySpec};
use serde_json::{Value, json};

use super::Ctx;
use super::crypto::{common, context, with_material_id};
use super::wire::{b64, dry_run};
use crate::error::{AwsError, ErrorCode, KeyNamer};
use crate::input::{Input, invalid};
use crate::key_ref::Accepts;
use crate::wire_enum::DataKeySpecWire;

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
        // AWS's wording (LocalStack's snapshot test_generate_random_invalid_number_of_bytes).
        .ok_or_else(|| {
            crate::error::AwsError::new(
                crate::error::ErrorCode::ValidationException,
                "NumberOfBytes is required.",
            )
        })?;
    if input.string("CustomKeyStoreId", 1..=64)?.is_some() {
        return Err(crate::error::no_custom_key_store());
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
