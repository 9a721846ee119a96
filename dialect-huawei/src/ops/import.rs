//! get-parameters-for-import, import-key-material, delete-imported-key-material: Huawei's
//! BYOK fields and patterns in front of the core's import rules.
//!
//! Asymmetric keys come in two layers: `encrypted_key_material` carries a temporary key
//! (AES-256 under RSAES_OAEP_SHA_256, or SM4 under SM2_ENCRYPT) and `encrypted_privatekey`
//! the PKCS#8 private key wrapped under it with key wrap with padding (RFC 5649); the core
//! takes the second as `ImportRequest::wrapped_private_key`.
//!
//! Patterns applied to import-key-material, as the seeds state them:
//! * `import_token`: `^[0-9a-zA-Z+/=]{200,6144}$` (the core's tokens are 200 to 6144
//!   base64 characters, so every token we issue passes).
//! * `encrypted_key_material`: `^[0-9a-zA-Z+/=]{344,360}$` for the RSA algorithms (one
//!   RSA-2048 block, 344 characters). SM2_ENCRYPT ciphertexts are shorter and the seeds give
//!   no pattern for them; we accept `^[0-9a-zA-Z+/=]{152,188}$`, which is every SM2 C1C3C2
//!   ciphertext of 16- or 32-byte material: raw with or without the 0x04 prefix (112 to 129
//!   bytes) or ASN.1 DER with minimal integers (up to 141 bytes). The algorithm is sealed in
//!   the token, so a value must fit one of the two patterns; a value that fits the pattern of
//!   the other algorithm fails to unwrap (KMS.0311).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{
    EncryptedMaterial, Expiry, ImportLayers, ImportPolicy, ImportRequest, ImportToken,
    KeyDescription, KeyFamily, KmsError, MaterialClaim, MaterialDeletionPolicy, Origin, Timestamp,
    WrappingAlgorithm, WrappingKeySpec,
};
use serde_json::{Value, json};

use super::Ctx;
use super::wire_names::key_spec_name;
use crate::error::HuaweiError;
use crate::input::{Input, matches_base64_pattern};

pub(crate) const IMPORT_TOKEN_CHARS: std::ops::RangeInclusive<usize> = 200..=6144;
pub(crate) const RSA_MATERIAL_CHARS: std::ops::RangeInclusive<usize> = 344..=360;
pub(crate) const SM2_MATERIAL_CHARS: std::ops::RangeInclusive<usize> = 152..=188;
/// `encrypted_privatekey`: Huawei documents `^[0-9a-zA-Z+/=]{200,6144}$`, but the minimum
/// contradicts Huawei's own list of importable keys: an EC_P256 or SM2 private key in
/// OpenSSL's PKCS#8 (138 bytes, public key included) wraps into 144 bytes, 192 base64
/// characters, and without the optional public key into 108. We keep the maximum and take the
/// smallest key wrap output (16 bytes, 24 characters) as the minimum; the core judges what
/// the unwrapped key is.
pub(crate) const PRIVATE_KEY_CHARS: std::ops::RangeInclusive<usize> = 24..=6144;

const WRAPPING_ALGORITHMS: &[&str] = &[
    "RSAES_PKCS1_V1_5",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "SM2_ENCRYPT",
];

pub(super) fn get_parameters_for_import(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let algorithm = input
        .choice("wrapping_algorithm", WRAPPING_ALGORITHMS)?
        .ok_or_else(|| HuaweiError::missing("wrapping_algorithm"))?;
    // The returned public key is RSA_2048 (the seeds' default), or SM2 for SM2_ENCRYPT.
    let (algorithm, spec) = match algorithm {
        "RSAES_PKCS1_V1_5" => (WrappingAlgorithm::RsaesPkcs1V15, WrappingKeySpec::Rsa2048),
        "RSAES_OAEP_SHA_1" => (WrappingAlgorithm::RsaesOaepSha1, WrappingKeySpec::Rsa2048),
        "SM2_ENCRYPT" => (WrappingAlgorithm::Sm2Pke, WrappingKeySpec::Sm2),
        _ => (WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048),
    };
    // Asymmetric keys' private keys travel in the second layer, so any wrapping algorithm
    // (that can carry the temporary key) fits them.
    let params = ctx
        .kms
        .get_parameters_for_import_in(
            &ctx.caller.tenant,
            &id,
            algorithm,
            spec,
            ImportLayers::TwoForPrivateKeys,
        )
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": id.to_string(),
        "import_token": params.import_token.to_base64(),
        "expiration_time": params.valid_to.as_secs(),
        "public_key": STANDARD.encode(&params.public_key_der),
    }))
}

fn base64_field(
    input: &Input,
    field: &str,
    fits: impl Fn(&str) -> bool,
    pattern: &str,
) -> Result<Vec<u8>, HuaweiError> {
    let text = input.required(field, 1..=8192)?;
    if !fits(text) {
        return Err(HuaweiError::invalid(format!(
            "Invalid parameter: {field} must match {pattern}."
        )));
    }
    STANDARD.decode(text).map_err(|_| {
        HuaweiError::invalid(format!("Invalid parameter: {field} is not valid base64."))
    })
}

struct ImportKeyMaterialRequest {
    token: ImportToken,
    material: EncryptedMaterial,
    /// Asymmetric keys: the PKCS#8 private key under the temporary key `material` carries.
    private_key: Option<EncryptedMaterial>,
    expiry: Expiry,
}

impl ImportKeyMaterialRequest {
    fn parse(input: &Input) -> Result<Self, HuaweiError> {
        let token = base64_field(
            input,
            "import_token",
            |s| matches_base64_pattern(s, IMPORT_TOKEN_CHARS),
            "^[0-9a-zA-Z+/=]{200,6144}$",
        )?;
        let material = base64_field(
            input,
            "encrypted_key_material",
            |s| {
                matches_base64_pattern(s, RSA_MATERIAL_CHARS)
                    || matches_base64_pattern(s, SM2_MATERIAL_CHARS)
            },
            "^[0-9a-zA-Z+/=]{344,360}$ (RSA wrapping) or ^[0-9a-zA-Z+/=]{152,188}$ (SM2_ENCRYPT)",
        )?;
        let private_key = if input.present("encrypted_privatekey") {
            Some(base64_field(
                input,
                "encrypted_privatekey",
                |s| matches_base64_pattern(s, PRIVATE_KEY_CHARS),
                "^[0-9a-zA-Z+/=]{24,6144}$",
            )?)
        } else {
            None
        };
        // Seconds since the epoch; the material is deleted at that instant. 0 is the past.
        let expiry = match input.number("expiration_time", 0..=u64::MAX / 1000)? {
            None => Expiry::Never,
            Some(secs) => Expiry::At(Timestamp::from_secs(secs)),
        };
        let core = |e| crate::error::from_core(&KmsError::Validation(e));
        Ok(ImportKeyMaterialRequest {
            token: ImportToken::from_bytes(token).map_err(core)?,
            material: EncryptedMaterial::new(material).map_err(core)?,
            private_key: private_key
                .map(EncryptedMaterial::new)
                .transpose()
                .map_err(core)?,
            expiry,
        })
    }
}

/// Which layers an import of this key's material needs: symmetric material comes alone in
/// `encrypted_key_material`; an asymmetric private key comes in `encrypted_privatekey`, under
/// the temporary key that `encrypted_key_material` carries.
fn check_layers(
    key: &KeyDescription,
    private_key: Option<&EncryptedMaterial>,
) -> Result<(), HuaweiError> {
    // A generated key takes no import at all: the core's refusal (KMS.0309, external keys
    // required) says so, whatever layers came.
    if key.origin != Origin::External {
        return Ok(());
    }
    match (key.spec.family(), private_key) {
        (KeyFamily::Symmetric, Some(_)) => Err(HuaweiError::invalid(format!(
            "Invalid parameter: encrypted_privatekey is for asymmetric keys; the material of {} key {} travels in encrypted_key_material alone.",
            key_spec_name(key.spec),
            key.key_id
        ))),
        (KeyFamily::Rsa | KeyFamily::Ecc | KeyFamily::Sm2, None) => {
            Err(HuaweiError::missing("encrypted_privatekey"))
        }
        // HMAC keys cannot be external here (create-key refuses them), so the core's refusal
        // of a generated key is what an import into one gets.
        (KeyFamily::Symmetric, None)
        | (KeyFamily::Rsa | KeyFamily::Ecc | KeyFamily::Sm2, Some(_))
        | (KeyFamily::Hmac, _) => Ok(()),
    }
}

pub(super) fn import_key_material(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let request = ImportKeyMaterialRequest::parse(input)?;
    // The spec never changes, so reading it before the import decides nothing stale.
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    check_layers(&key, request.private_key.as_ref())?;
    ctx.kms
        .import_key_material(
            &ctx.caller.tenant,
            ImportRequest {
                key_id: id,
                import_token: request.token,
                encrypted_material: request.material,
                wrapped_private_key: request.private_key,
                expiry: request.expiry,
                // Huawei lets the same material be imported again (a new expiration) into a
                // key that has it, enabled or disabled; other material is refused by the core.
                policy: ImportPolicy::default(),
                claim: MaterialClaim::Unspecified,
            },
        )
        .map_err(|e| ctx.core(e))?;
    Ok(json!({}))
}

pub(super) fn delete_imported_key_material(
    ctx: &Ctx<'_>,
    input: &Input,
) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let key = ctx
        .kms
        .describe_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    // "Asymmetric key material cannot be deleted": Huawei's rule (AWS deletes any imported
    // material), so it lives here. Generated keys still get the core's KMS.0309. Huawei
    // documents no code of its own for this; KMS.0308 is its code for a request the key
    // cannot take.
    if key.origin == Origin::External && key.spec.family() != KeyFamily::Symmetric {
        return Err(HuaweiError::invalid(format!(
            "Invalid parameter: the material of {} key {id} cannot be deleted; only symmetric keys' imported material can.",
            key_spec_name(key.spec)
        )));
    }
    // "CMK material can be deleted only when the CMK is in Enabled or Disabled status"
    // (Huawei's KMS.2701), so not from a key pending deletion.
    let policy = MaterialDeletionPolicy {
        while_pending_deletion: false,
    };
    ctx.kms
        .delete_imported_key_material_with(&ctx.caller.tenant, &id, policy)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn material_input(chars: usize) -> Input {
        let token = "A".repeat(200);
        let body = format!(
            r#"{{"key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "import_token": "{token}", "encrypted_key_material": "{}"}}"#,
            "A".repeat(chars)
        );
        Input::parse(body.as_bytes()).unwrap()
    }

    fn token_input(chars: usize) -> Input {
        let body = format!(
            r#"{{"import_token": "{}", "encrypted_key_material": "{}"}}"#,
            "A".repeat(chars),
            "A".repeat(344)
        );
        Input::parse(body.as_bytes()).unwrap()
    }

    fn code(r: Result<ImportKeyMaterialRequest, HuaweiError>) -> Option<ErrorCode> {
        r.err().map(|e| e.code)
    }

    #[test]
    fn seed_patterns_at_their_boundaries() {
        let bad = Some(ErrorCode::Kms0308);
        assert_eq!(
            code(ImportKeyMaterialRequest::parse(&token_input(199))),
            bad
        );
        assert_eq!(
            code(ImportKeyMaterialRequest::parse(&token_input(200))),
            None
        );
        assert_eq!(
            code(ImportKeyMaterialRequest::parse(&token_input(6144))),
            None
        );
        assert_eq!(
            code(ImportKeyMaterialRequest::parse(&token_input(6145))),
            bad
        );
        for (chars, ok) in [
            (343, false),
            (344, true),
            (360, true),
            (361, false),
            (151, false),
            (152, true),
            (188, true),
            (189, false),
        ] {
            let got = code(ImportKeyMaterialRequest::parse(&material_input(chars)));
            assert_eq!(got, if ok { None } else { bad }, "{chars} characters");
        }
    }

    #[test]
    fn missing_fields_are_kms_0204() {
        let i = Input::parse(br#"{"import_token": ""}"#).unwrap();
        assert_eq!(
            code(ImportKeyMaterialRequest::parse(&i)),
            Some(ErrorCode::Kms0204)
        );
    }
}
