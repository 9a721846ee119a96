//! The primitives every signature scheme of ours is built from. Each dialect keeps its own
//! canonical request; what they share is HMAC-SHA256, hex SHA-256, constant-time comparison
//! and header lookup.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// SHA-256's block size, which HMAC pads keys to.
const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104). Written out over `sha2` because HMAC accepts keys of any length:
/// the `hmac` crate's constructor returns a `Result` for an error that cannot happen, and
/// every caller would otherwise need a fallback for it.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Lower-case hex SHA-256, as every canonical request of ours writes payload hashes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Compares secrets and signatures without letting the time taken say where they differ.
/// Only the length may show, which no secret of ours depends on.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A request's headers as `(name, value)` pairs, the form the canonical requests read. A
/// value that is not visible ASCII cannot have been signed as text by an SDK, so it is left
/// out (a signature covering it then fails, as it should).
pub fn header_pairs(headers: &http::HeaderMap) -> Vec<(&str, &str)> {
    headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect()
}

/// The first value of header `name` (any case) among `(name, value)` pairs.
pub fn header<'a>(headers: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Every value of header `name` (any case), in the order received.
pub fn header_values<'a>(
    headers: &'a [(&str, &'a str)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};

    use super::*;

    fn reference(key: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn matches_the_hmac_crate_for_every_key_length_around_the_block() {
        for len in [0, 1, 31, 32, 63, 64, 65, 131, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(
                hmac_sha256(&key, b"data"),
                reference(&key, b"data"),
                "{len}"
            );
        }
    }

    #[test]
    fn sha256_of_nothing() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn header_pairs_keep_text_values() {
        let mut map = http::HeaderMap::new();
        map.insert("host", http::HeaderValue::from_static("example"));
        map.insert("x-bin", http::HeaderValue::from_bytes(b"\xff").unwrap());
        assert_eq!(header_pairs(&map), [("host", "example")]);
    }

    #[test]
    fn header_lookup_ignores_case_and_keeps_order() {
        let h = [("Host", "a"), ("x-one", "1"), ("X-ONE", "2")];
        assert_eq!(header(&h, "host"), Some("a"));
        assert_eq!(header(&h, "X-One"), Some("1"));
        assert_eq!(header(&h, "missing"), None);
        assert_eq!(header_values(&h, "x-one").collect::<Vec<_>>(), ["1", "2"]);
    }
}
