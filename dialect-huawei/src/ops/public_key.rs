//! get-publickey (SDK `show_public_key`): the public half of an asymmetric key.
//!
//! The field is documented only as "public key information" (公钥信息) and no response was
//! recorded; we answer the SubjectPublicKeyInfo as PEM (`-----BEGIN PUBLIC KEY-----`), which
//! OpenSSL, Java and Python `cryptography` read as it is. Inferred, not confirmed: if Huawei
//! answers bare base64 DER, this is the one place to change.

use dialect_kit::pem::public_key_pem;
use serde_json::{Value, json};

use super::Ctx;
use crate::error::HuaweiError;
use crate::input::Input;

pub(super) fn get_public_key(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let public = ctx
        .kms
        .get_public_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": id.to_string(),
        "public_key": public_key_pem(&public.spki_der),
    }))
}
