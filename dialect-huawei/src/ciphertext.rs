//! The ciphertexts this dialect hands out: the core's blob, padded to at least
//! [`MIN_LEN`] bytes. Huawei's decrypt-data accepts `cipher_text` of 128 to 5648 base64
//! characters, so a ciphertext of a one-byte plaintext (a 46-byte core blob, 64 characters)
//! would be refused by a client that checks the documented pattern. The padding is
//! PKCS#7-like (`k` bytes of value `k`, at least one), so it is always removable; any
//! tampering with it fails like tampering with the blob.

use crate::error::HuaweiError;

/// 96 bytes are 128 base64 characters, the documented minimum of `cipher_text`.
pub(crate) const MIN_LEN: usize = 96;

pub(crate) fn seal(blob: Vec<u8>) -> Vec<u8> {
    let pad = MIN_LEN.saturating_sub(blob.len()).max(1);
    let mut out = blob;
    // `pad` is at most MIN_LEN, far below 256.
    out.extend(std::iter::repeat_n(pad as u8, pad));
    out
}

pub(crate) fn open(bytes: &[u8]) -> Result<&[u8], HuaweiError> {
    let bad = || {
        HuaweiError::invalid("Invalid parameter: cipher_text is not a ciphertext of this service.")
    };
    let pad = usize::from(*bytes.last().ok_or_else(bad)?);
    if pad == 0 || pad > MIN_LEN || pad > bytes.len() {
        return Err(bad());
    }
    let (blob, padding) = bytes.split_at(bytes.len() - pad);
    if padding.iter().any(|b| usize::from(*b) != pad) || blob.is_empty() {
        return Err(bad());
    }
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_round_trips_and_reaches_the_minimum() {
        for n in [1, 46, 95, 96, 97, 4141] {
            let blob = vec![0xabu8; n];
            let sealed = seal(blob.clone());
            assert!(sealed.len() >= MIN_LEN, "{n}");
            assert!(sealed.len() > n);
            assert_eq!(open(&sealed).unwrap(), &blob[..]);
        }
    }

    #[test]
    fn broken_padding_is_refused() {
        let mut sealed = seal(vec![1u8; 46]);
        for bad in [&b""[..], &[0u8][..], &[97u8; 97][..], &[3, 3][..]] {
            assert!(open(bad).is_err(), "{bad:?}");
        }
        let last = sealed.len() - 2;
        sealed[last] ^= 1;
        assert!(open(&sealed).is_err());
    }
}
