//! The DER layout of SM2 ciphertexts (GM/T 0009), which OpenSSL and the clouds' recipes use.

/// Re-encodes raw `04 ‖ x(32) ‖ y(32) ‖ C3(32) ‖ C2` as DER `SEQUENCE { x, y, C3, C2 }`;
/// `None` for anything else.
pub fn der_c1c3c2(raw: &[u8]) -> Option<Vec<u8>> {
    let rest = raw.strip_prefix(&[0x04])?;
    if rest.len() < 32 * 3 {
        return None;
    }
    let (x, rest) = rest.split_at(32);
    let (y, rest) = rest.split_at(32);
    let (c3, c2) = rest.split_at(32);
    let mut content = der_integer(x);
    content.extend(der_integer(y));
    content.extend(der_tlv(0x04, c3));
    content.extend(der_tlv(0x04, c2));
    Some(der_tlv(0x30, &content))
}

/// A non-negative big-endian integer, minimal: leading zeros dropped (one kept for zero), a
/// zero byte added when the top bit is set.
fn der_integer(be: &[u8]) -> Vec<u8> {
    let first = be
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(be.len().saturating_sub(1));
    let mut value = be.get(first..).map(<[u8]>::to_vec).unwrap_or_default();
    if value.first().is_none_or(|b| b & 0x80 != 0) {
        value.insert(0, 0);
    }
    der_tlv(0x02, &value)
}

fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            // At most 8 length bytes: always fits the low bits of the first octet.
            out.push(0x80 | (bytes.len() as u8));
            out.extend(bytes);
        }
    }
    out.extend_from_slice(value);
    out
}
