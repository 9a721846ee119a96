//! GetPublicKey: the SubjectPublicKeyInfo of an asymmetric key, with what it may be used for.

use kms_core::KeyUsage;
use serde_json::{Value, json};

use super::Ctx;
use super::algorithms::{encryption_list, signing_list};
use super::wire::{b64, grant_tokens};
use crate::error::{AwsError, KeyNamer, spec_name};
use crate::input::Input;
use crate::key_ref::Accepts;

pub(super) fn get_public_key(ctx: &Ctx<'_>, input: &Input) -> Result<Option<Value>, AwsError> {
    grant_tokens(input)?;
    let id = ctx.key(input, "KeyId", Accepts::KeyOrAlias)?;
    let public = ctx
        .kms
        .get_public_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    let key = &public.key;
    let spec = spec_name(key.spec);
    let mut out = json!({
        "KeyId": ctx.caller.key_arn(&id),
        "PublicKey": b64(&public.spki_der),
        "CustomerMasterKeySpec": spec,
        "KeySpec": spec,
        "KeyUsage": key.usage.to_string(),
    });
    // Only the list of the key's own usage, as the model documents.
    match key.usage {
        KeyUsage::EncryptDecrypt => {
            out["EncryptionAlgorithms"] = encryption_list(key.encryption_algorithms());
        }
        KeyUsage::SignVerify => out["SigningAlgorithms"] = signing_list(key.signing_algorithms()),
        KeyUsage::GenerateVerifyMac => {}
    }
    Ok(Some(out))
}
