//! SM2 unwrapping. OpenSSL and GmSSL emit ASN.1 DER `SEQUENCE { x, y, C3, C2 }`; some
//! toolkits emit the raw `04 ‖ x ‖ y ‖ C3 ‖ C2`, and some drop the `04`. The SM3 check value
//! C3 authenticates the plaintext, so trying each layout in turn cannot accept a wrong one.

use sm2::pke::{DecryptingKey, Mode};

use crate::secret::SecretBytes;

pub(super) fn unwrap(key: &sm2::SecretKey, ciphertext: &[u8]) -> Option<SecretBytes> {
    let decrypting = DecryptingKey::new_with_mode(key.to_nonzero_scalar(), Mode::C1C3C2);
    let attempt = |bytes: &[u8]| decrypting.decrypt(bytes).ok();
    decrypting
        .decrypt_der(ciphertext)
        .ok()
        .or_else(|| match ciphertext.first() {
            Some(0x04) => attempt(ciphertext),
            _ => None,
        })
        .or_else(|| {
            let mut prefixed = Vec::with_capacity(ciphertext.len() + 1);
            prefixed.push(0x04);
            prefixed.extend_from_slice(ciphertext);
            attempt(&prefixed)
        })
        .map(SecretBytes::from)
}
