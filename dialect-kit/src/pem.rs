//! PEM text of a public key, as Huawei's get-publickey and Tencent's GetPublicKey
//! (`PublicKeyPem`) hand it out: the DER SubjectPublicKeyInfo in base64, 64 characters a line,
//! between `-----BEGIN PUBLIC KEY-----` and `-----END PUBLIC KEY-----` (RFC 7468), each line
//! ending in `\n`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub fn public_key_pem(spki_der: &[u8]) -> String {
    let b64 = STANDARD.encode(spki_der);
    let mut pem = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    pem.push_str("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 is ASCII, so every chunk is UTF-8.
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_64_characters_between_the_labels() {
        for n in [1, 47, 48, 49, 100, 294] {
            let der = vec![7u8; n];
            let pem = public_key_pem(&der);
            let lines: Vec<&str> = pem.lines().collect();
            assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
            assert_eq!(lines[lines.len() - 1], "-----END PUBLIC KEY-----");
            let body = &lines[1..lines.len() - 1];
            assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64), "{n}");
            assert!((1..=64).contains(&body[body.len() - 1].len()), "{n}");
            assert_eq!(STANDARD.decode(body.concat()).unwrap(), der);
            assert!(pem.ends_with("-----\n"));
        }
    }
}
