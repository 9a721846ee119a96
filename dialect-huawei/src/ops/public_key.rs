//! get-publickey (SDK `show_public_key`): the public half of an asymmetric key.
//!
//! The field is documented only as "public key information"; Huawei's examples show a PEM
//! `-----BEGIN PUBLIC KEY-----` block, i.e. the SubjectPublicKeyInfo, which is what is
//! answered here (OpenSSL, Java and Python `cryptography` read it as it is).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::Ctx;
use crate::error::HuaweiError;
use crate::input::Input;

/// PEM of a DER SubjectPublicKeyInfo: base64 in 64-character lines.
pub(crate) fn spki_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 is ASCII, so every chunk is UTF-8.
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

pub(super) fn get_public_key(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let id = input.key_id("key_id")?;
    let public = ctx
        .kms
        .get_public_key(&ctx.caller.tenant, &id)
        .map_err(|e| ctx.core(e))?;
    Ok(json!({
        "key_id": id.to_string(),
        "public_key": spki_pem(&public.spki_der),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_lines_are_64_characters() {
        let pem = spki_pem(&[7u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[lines.len() - 1], "-----END PUBLIC KEY-----");
        let body: String = lines[1..lines.len() - 1].concat();
        assert_eq!(STANDARD.decode(body).unwrap(), vec![7u8; 100]);
    }
}
