//! Generated asymmetric keys: GetPublicKey, SignByAsymmetricKey, VerifyByAsymmetricKey,
//! AsymmetricRsaDecrypt, AsymmetricSm2Decrypt, ListAlgorithms.
//!
//! Tencent's rules, from the API reference and the SDK's models: `MessageType` defaults to
//! RAW; a DIGEST is 32 bytes, a RAW message at most 4096; signatures and ciphertexts travel
//! in base64; SM2 ciphertexts are C1C3C2 in ASN.1 (at most 256 bytes); an invalid signature is
//! `SignatureValid: false`, not an error.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{EncryptionAlgorithm, KeyId, MessageType, SigningAlgorithm};
use serde_json::{Map, Value, json};

use super::key_usage::ASYMMETRIC;
use super::{Answer, Ctx};
use crate::error::{ErrorCode, TencentError, from_core_enabled_only, from_core_signing};
use crate::params::{Params, bad_value};

const MESSAGE_MAX: usize = 4096;
/// "The raw ciphertext must not exceed 256 bytes" (AsymmetricSm2Decrypt); RSA-2048 blocks are
/// 256 bytes too.
const CIPHERTEXT_MAX: usize = 256;

/// SignByAsymmetricKey's algorithm names and the key usage each belongs to.
const SIGNING: &[(&str, SigningAlgorithm, &str)] = &[
    (
        "SM2DSA",
        SigningAlgorithm::Sm2Dsa,
        "ASYMMETRIC_SIGN_VERIFY_SM2",
    ),
    (
        "ECC_P256_R1",
        SigningAlgorithm::EcdsaSha256,
        "ASYMMETRIC_SIGN_VERIFY_ECC",
    ),
    (
        "RSA_PSS_SHA_256",
        SigningAlgorithm::RsassaPssSha256,
        "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
    ),
    (
        "RSA_PKCS1_SHA_256",
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
    ),
];

/// A base64 parameter of 1 to `max` bytes; a malformed one is refused with `code`.
fn base64_param(
    params: &Params,
    name: &str,
    max: usize,
    code: ErrorCode,
) -> Result<Vec<u8>, TencentError> {
    let text = params.required_nonempty(name)?;
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| bad_value(code, name, "it must be a base64 string"))?;
    if bytes.is_empty() || bytes.len() > max {
        return Err(bad_value(
            code,
            name,
            &format!("it must decode to 1 to {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// A `Ciphertext` of the asymmetric decrypts: malformed, it is the error list's
/// InvalidParameterValue.InvalidCiphertext ("密文格式错误"), as Decrypt answers.
fn ciphertext_param(params: &Params) -> Result<Vec<u8>, TencentError> {
    base64_param(
        params,
        "Ciphertext",
        CIPHERTEXT_MAX,
        ErrorCode::InvalidParameterValueInvalidCiphertext,
    )
}

struct SignRequest {
    key_id: KeyId,
    message: Vec<u8>,
    algorithm: SigningAlgorithm,
    kind: MessageType,
}

impl SignRequest {
    fn parse(ctx: &Ctx<'_>, params: &Params) -> Result<Self, TencentError> {
        let key_id = ctx.key_id(params, "KeyId")?;
        let name = params.required_nonempty("Algorithm")?;
        let algorithm = SIGNING
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, a, _)| *a)
            .ok_or_else(|| {
                bad_value(
                    ErrorCode::InvalidParameterValue,
                    "Algorithm",
                    "it must be SM2DSA, ECC_P256_R1, RSA_PSS_SHA_256 or RSA_PKCS1_SHA_256",
                )
            })?;
        let kind = match params.string("MessageType")?.as_deref() {
            None | Some("") | Some("RAW") => MessageType::Raw,
            Some("DIGEST") => MessageType::Digest,
            Some(_) => {
                return Err(bad_value(
                    ErrorCode::InvalidParameterValue,
                    "MessageType",
                    "it must be RAW or DIGEST",
                ));
            }
        };
        let message = base64_param(
            params,
            "Message",
            MESSAGE_MAX,
            ErrorCode::InvalidParameterValue,
        )?;
        Ok(SignRequest {
            key_id,
            message,
            algorithm,
            kind,
        })
    }
}

pub(super) fn sign_by_asymmetric_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let r = SignRequest::parse(ctx, params)?;
    let signature = ctx
        .kms
        .sign(
            &ctx.caller.tenant,
            &r.key_id,
            &r.message,
            r.kind,
            r.algorithm,
        )
        .map_err(|e| from_core_signing(&e))?;
    let mut out = Map::new();
    out.insert("Signature".into(), json!(STANDARD.encode(&signature.bytes)));
    Ok(out)
}

pub(super) fn verify_by_asymmetric_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let r = SignRequest::parse(ctx, params)?;
    let signature = base64_param(
        params,
        "SignatureValue",
        1024,
        ErrorCode::InvalidParameterValue,
    )?;
    let valid = kms_core::verdict(ctx.kms.verify(
        &ctx.caller.tenant,
        &r.key_id,
        &r.message,
        r.kind,
        r.algorithm,
        &signature,
    ))
    .map_err(|e| from_core_signing(&e))?;
    let mut out = Map::new();
    out.insert("SignatureValid".into(), json!(valid));
    Ok(out)
}

pub(super) fn get_public_key(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let public = ctx
        .kms
        .get_public_key(&ctx.caller.tenant, &id)
        .map_err(|e| from_core_enabled_only(&e))?;
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(id.to_string()));
    out.insert("PublicKey".into(), json!(STANDARD.encode(&public.spki_der)));
    out.insert(
        "PublicKeyPem".into(),
        json!(dialect_kit::pem::public_key_pem(&public.spki_der)),
    );
    Ok(out)
}

fn decrypted(
    ctx: &Ctx<'_>,
    id: KeyId,
    ciphertext: &[u8],
    algorithm: EncryptionAlgorithm,
) -> Answer {
    let plain = ctx
        .kms
        .decrypt_asymmetric(&ctx.caller.tenant, &id, ciphertext, algorithm)
        .map_err(|e| from_core_enabled_only(&e))?;
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(id.to_string()));
    out.insert(
        "Plaintext".into(),
        json!(STANDARD.encode(plain.plaintext.expose())),
    );
    Ok(out)
}

pub(super) fn asymmetric_rsa_decrypt(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let ciphertext = ciphertext_param(params)?;
    let algorithm = match params.required_nonempty("Algorithm")?.as_str() {
        "RSAES_OAEP_SHA_1" => EncryptionAlgorithm::RsaesOaepSha1,
        "RSAES_OAEP_SHA_256" => EncryptionAlgorithm::RsaesOaepSha256,
        // Documented by Tencent; the core offers OAEP only (as AWS: PKCS#1 v1.5 encryption
        // is not offered for data).
        "RSAES_PKCS1_V1_5" => {
            return Err(TencentError::new(
                ErrorCode::UnsupportedOperation,
                "kmsgate does not emulate RSAES_PKCS1_V1_5 decryption; use RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256.",
            ));
        }
        _ => {
            return Err(bad_value(
                ErrorCode::InvalidParameterValue,
                "Algorithm",
                "it must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256",
            ));
        }
    };
    decrypted(ctx, id, &ciphertext, algorithm)
}

pub(super) fn asymmetric_sm2_decrypt(ctx: &Ctx<'_>, params: &Params) -> Answer {
    let id = ctx.key_id(params, "KeyId")?;
    let ciphertext = ciphertext_param(params)?;
    decrypted(ctx, id, &ciphertext, EncryptionAlgorithm::Sm2Pke)
}

/// The algorithms of the region: the edition's symmetric one, then the asymmetric key usages
/// this dialect creates, one entry each with the key's algorithm, as Tencent's example lists
/// them (`ASYMMETRIC_DECRYPT_RSA_2048`: `RSA_2048`, `ASYMMETRIC_SIGN_VERIFY_SM2`: `SM2`): the
/// usage's own suffix, so `ECC` for `ASYMMETRIC_SIGN_VERIFY_ECC` (inferred; no example shows
/// it). SignByAsymmetricKey's algorithm names (`SM2DSA`, …) are its own parameter's.
pub(super) fn list_algorithms(ctx: &Ctx<'_>, _params: &Params) -> Answer {
    let info = |usage: &str, algorithm: &str| json!({ "KeyUsage": usage, "Algorithm": algorithm });
    let symmetric = match ctx.settings.edition.key_spec() {
        kms_core::KeySpec::Sm4 => "SM4",
        _ => "AES_256",
    };
    let decrypt: Vec<Value> = ASYMMETRIC
        .iter()
        .filter_map(|(n, k)| match k {
            Some((kms_core::KeySpec::Rsa2048, kms_core::KeyUsage::EncryptDecrypt)) => {
                Some(info(n, "RSA_2048"))
            }
            Some((kms_core::KeySpec::Sm2, kms_core::KeyUsage::EncryptDecrypt)) => {
                Some(info(n, "SM2"))
            }
            _ => None,
        })
        .collect();
    let mut sign: Vec<Value> = Vec::new();
    for (_, _, usage) in SIGNING {
        let entry = info(usage, usage.trim_start_matches("ASYMMETRIC_SIGN_VERIFY_"));
        if !sign.contains(&entry) {
            sign.push(entry);
        }
    }
    let mut out = Map::new();
    out.insert(
        "SymmetricAlgorithms".into(),
        json!([info("ENCRYPT_DECRYPT", symmetric)]),
    );
    out.insert("AsymmetricAlgorithms".into(), json!(decrypt));
    out.insert("AsymmetricSignVerifyAlgorithms".into(), json!(sign));
    Ok(out)
}
