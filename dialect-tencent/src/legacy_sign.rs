//! The legacy signature (`SignatureMethod` HmacSHA1 or HmacSHA256) that
//! `ClientProfile(signMethod=...)` selects: all parameters, common ones included, in the query
//! string or a form body, signed as
//! `base64(HMAC(SecretKey, METHOD + host + path + "?" + sorted "k=v" pairs joined by &))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialect_kit::signing::{constant_time_eq, hmac_sha256};
use hmac::{Hmac, Mac};

use crate::tc3::AuthError;

/// The string the SDK signs (`AbstractClient._format_sign_string`): keys sorted, `_` in keys
/// written as `.`, values not encoded, the `Signature` pair left out.
pub fn string_to_sign(method: &str, host: &str, path: &str, pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> =
        pairs.iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let joined: Vec<String> = sorted
        .iter()
        .map(|(k, v)| format!("{}={v}", k.replace('_', ".")))
        .collect();
    format!("{method}{host}{path}?{}", joined.join("&"))
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Result<Vec<u8>, AuthError> {
    // HMAC takes keys of any length, so this cannot fail; were it to, nothing verifies.
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(key).map_err(|_| AuthError::SignatureMismatch)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

/// Checks `signature` (base64) over `to_sign` with the named method (HmacSHA1 by default,
/// as the SDK's).
pub fn verify(
    method: Option<&str>,
    to_sign: &str,
    signature: &str,
    secret_key: &str,
) -> Result<(), AuthError> {
    let expected = match method.unwrap_or("HmacSHA1") {
        "HmacSHA1" => hmac_sha1(secret_key.as_bytes(), to_sign.as_bytes())?,
        "HmacSHA256" => hmac_sha256(secret_key.as_bytes(), to_sign.as_bytes()).to_vec(),
        _ => {
            return Err(AuthError::Malformed(
                "SignatureMethod must be HmacSHA1 or HmacSHA256",
            ));
        }
    };
    let given = STANDARD
        .decode(signature.trim())
        .map_err(|_| AuthError::SignatureMismatch)?;
    if constant_time_eq(&given, &expected) {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}
