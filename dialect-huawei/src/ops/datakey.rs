//! create-datakey(-without-plaintext), encrypt-datakey, decrypt-datakey: data keys travel
//! in hex, and encrypt-datakey's plaintext carries the key's own digest (SHA-256, or SM3 under
//! an SM4 master key) so a truncated or altered key is refused.

use kms_core::{ByteCount, DataKeySpec, KeyId, KeySpec};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Ctx;
use super::crypto::{aad, check_source, hex_ciphertext};
use crate::ciphertext;
use crate::error::{ErrorCode, HuaweiError};
use crate::input::Input;

const DATAKEY_BYTES: std::ops::RangeInclusive<u64> = 1..=1024;

fn byte_count(n: u64, code: ErrorCode) -> Result<ByteCount, HuaweiError> {
    usize::try_from(n)
        .ok()
        .and_then(|n| ByteCount::new(n).ok())
        .ok_or_else(|| {
            HuaweiError::bad(
                code,
                "Invalid datakey_length: data keys are 1 to 1024 bytes.",
            )
        })
}

/// `datakey_length` (bits) wins over `key_spec`; with neither, 256 bits. A bad
/// `datakey_length` is `length_code`, the operation's own.
fn spec(input: &Input, length_code: ErrorCode) -> Result<DataKeySpec, HuaweiError> {
    let length = |input: &Input| -> Result<Option<DataKeySpec>, HuaweiError> {
        let Some(bits) = input.number("datakey_length", 8..=8192)? else {
            return Ok(None);
        };
        if bits % 8 != 0 {
            return Err(HuaweiError::bad(
                length_code,
                "Invalid datakey_length: it must be a multiple of 8.",
            ));
        }
        Ok(Some(DataKeySpec::Bytes(byte_count(bits / 8, length_code)?)))
    };
    if let Some(spec) = length(input).map_err(|e| e.recode(length_code))? {
        return Ok(spec);
    }
    let spec = input.choice(
        "key_spec",
        &[
            "AES_256", "AES_128", "SM4", "HMAC_256", "HMAC_384", "HMAC_512", "HMAC_SM3",
        ],
    )?;
    Ok(match spec {
        None | Some("AES_256") => DataKeySpec::Aes256,
        Some("AES_128") => DataKeySpec::Aes128,
        Some("SM4") => DataKeySpec::Sm4,
        Some("HMAC_384") => DataKeySpec::Bytes(byte_count(48, length_code)?),
        Some("HMAC_512") => DataKeySpec::Bytes(byte_count(64, length_code)?),
        // HMAC_256 and HMAC_SM3 keys are 256 bits.
        Some(_) => DataKeySpec::Bytes(byte_count(32, length_code)?),
    })
}

/// `pin` and `pin_type` ("仅四级密评场景支持该参数": level-4 key stores only, which kmsgate
/// does not emulate) are refused rather than ignored: a PIN a caller believes protects the
/// data key would protect nothing. encrypt-datakey's `key_spec` only takes effect there too
/// ("仅四级密评场景生效"), so it changes nothing elsewhere and is left alone.
fn no_pin(input: &Input) -> Result<(), HuaweiError> {
    if input.present("pin") || input.present("pin_type") {
        return Err(HuaweiError::invalid(
            "Invalid parameter: pin and pin_type are for level-4 key stores, which kmsgate does not emulate.",
        ));
    }
    Ok(())
}

fn create(ctx: &Ctx<'_>, input: &Input, with_plaintext: bool) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    // Each operation's own code for a bad datakey_length (Huawei's error table).
    let length_code = if with_plaintext {
        ErrorCode::Kms1901
    } else {
        ErrorCode::Kms2001
    };
    let spec = spec(input, length_code)?;
    let context = aad(input, "additional_authenticated_data")?;
    no_pin(input)?;
    let key = ctx
        .kms
        .generate_data_key(&ctx.caller.tenant, &id, spec, &context)
        .map_err(|e| ctx.core(e))?;
    let mut out = json!({
        "key_id": id.to_string(),
        "cipher_text": hex::encode(ciphertext::seal(key.ciphertext)),
    });
    if with_plaintext {
        out["plain_text"] = json!(hex::encode(key.plaintext.expose()));
    }
    Ok(out)
}

pub(super) fn create_datakey(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    create(ctx, input, true)
}

pub(super) fn create_datakey_without_plaintext(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Value, HuaweiError> {
    create(ctx, input, false)
}

/// The digest Huawei pairs with a data key under a master key of `spec`.
fn digest(spec: KeySpec, data_key: &[u8]) -> Vec<u8> {
    match spec {
        KeySpec::Sm4 => <sm3::Sm3 as sm3::Digest>::digest(data_key).to_vec(),
        // AES_256, and (#16) keys the core refuses for data keys anyway.
        _ => Sha256::digest(data_key).to_vec(),
    }
}

fn master_spec(ctx: &Ctx<'_>, id: &KeyId) -> Result<KeySpec, HuaweiError> {
    Ok(ctx
        .kms
        .describe_key(&ctx.caller.tenant, id)
        .map_err(|e| ctx.core(e))?
        .spec)
}

pub(super) fn encrypt_datakey(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let text = input
        .required("plain_text", 2..=4224)
        .map_err(|e| e.recode(ErrorCode::Kms2101))?;
    let plain = hex::decode(text)
        .map_err(|_| HuaweiError::bad(ErrorCode::Kms2101, "Invalid plain_text: it must be hex."))?;
    let n = input
        .required_number("datakey_plain_length", DATAKEY_BYTES)
        .map_err(|e| e.recode(ErrorCode::Kms2102))?;
    let context = aad(input, "additional_authenticated_data")?;
    no_pin(input)?;
    let spec = master_spec(ctx, &id)?;
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let (data_key, given) = plain.split_at(n.min(plain.len()));
    if data_key.len() != n || given != digest(spec, data_key).as_slice() {
        return Err(HuaweiError::bad(
            ErrorCode::Kms2103,
            format!(
                "Hash verification of the data encryption key failed: plain_text must be the hex of the {n}-byte data key followed by its {} digest.",
                match spec {
                    KeySpec::Sm4 => "SM3",
                    _ => "SHA-256",
                }
            ),
        ));
    }
    let blob = ctx
        .kms
        .encrypt(&ctx.caller.tenant, &id, data_key, &context)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": id.to_string(),
        "cipher_text": hex::encode(ciphertext::seal(blob)),
        "datakey_length": n.to_string(),
    }))
}

pub(super) fn decrypt_datakey(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let blob = hex_ciphertext(input, "cipher_text").map_err(|e| e.recode(ErrorCode::Kms2201))?;
    let n = input
        .required_number("datakey_cipher_length", DATAKEY_BYTES)
        .map_err(|e| e.recode(ErrorCode::Kms2202))?;
    let context = aad(input, "additional_authenticated_data")?;
    let plain = ctx
        .kms
        .decrypt(&ctx.caller.tenant, &blob, &context)
        .map_err(|e| ctx.core(e))?;
    check_source(Some(id), plain.key_id)?;
    let data_key = plain.plaintext.expose();
    if u64::try_from(data_key.len()).ok() != Some(n) {
        return Err(HuaweiError::bad(
            ErrorCode::Kms2202,
            format!(
                "Invalid datakey_cipher_length: it is {n}, but the data key is {} bytes.",
                data_key.len()
            ),
        ));
    }
    let spec = master_spec(ctx, &id)?;
    Ok(json!({
        "data_key": hex::encode(data_key),
        "datakey_length": data_key.len().to_string(),
        "datakey_dgst": hex::encode(digest(spec, data_key)),
    }))
}
