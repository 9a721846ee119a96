//! The legacy signature (`SignatureMethod` HmacSHA1 or HmacSHA256) that
//! `ClientProfile(signMethod=...)` selects: all parameters, common ones included, in the query
//! string or a form body, signed as
//! `base64(HMAC(SecretKey, METHOD + host + path + "?" + sorted "k=v" pairs joined by &))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
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

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    match <M as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
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
        "HmacSHA1" => mac::<Hmac<sha1::Sha1>>(secret_key.as_bytes(), to_sign.as_bytes()),
        "HmacSHA256" => mac::<Hmac<sha2::Sha256>>(secret_key.as_bytes(), to_sign.as_bytes()),
        _ => {
            return Err(AuthError::Malformed(
                "SignatureMethod must be HmacSHA1 or HmacSHA256",
            ));
        }
    };
    let given = STANDARD
        .decode(signature.trim())
        .map_err(|_| AuthError::SignatureMismatch)?;
    let same = given.len() == expected.len()
        && given
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}
