//! Percent-decoding and quoting for the query strings, paths and form bodies dialects read.

/// What a `+` means where it is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plus {
    /// A literal `+` (paths, and queries of SDKs that encode spaces as `%20`).
    Literal,
    /// A space (`application/x-www-form-urlencoded`).
    Space,
}

/// A `%` not followed by two hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed percent-encoding")]
pub struct MalformedEscape;

/// Strict decoding: a `%` must start a two-digit hex escape.
pub fn decode(s: &str, plus: Plus) -> Result<Vec<u8>, MalformedEscape> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(hex_pair(bytes, i + 1).ok_or(MalformedEscape)?);
                i += 3;
            }
            b'+' if plus == Plus::Space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Lenient decoding, as signing SDKs decode before re-encoding: a `%` that does not start a
/// hex escape stays as it is, and `+` is literal.
pub fn decode_lenient(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i] == b'%').then(|| hex_pair(bytes, i + 1)).flatten() {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

fn hex_pair(bytes: &[u8], at: usize) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    let pair = bytes.get(at..at + 2)?;
    let value = digit(pair[0])? * 16 + digit(pair[1])?;
    u8::try_from(value).ok()
}

/// Python's `urllib.parse.quote(s, safe='~')` (RFC 3986 unreserved characters stay, all else
/// becomes upper-case `%XX`).
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding() {
        assert_eq!(decode("a%20b+c", Plus::Space).unwrap(), b"a b c");
        assert_eq!(decode("a%2Bb+c", Plus::Literal).unwrap(), b"a+b+c");
        assert_eq!(decode("%e4%B8%AD", Plus::Literal).unwrap(), "中".as_bytes());
        for bad in ["%", "%2", "%zz", "a%g0", "%+1", "%-1"] {
            assert_eq!(decode(bad, Plus::Space), Err(MalformedEscape), "{bad:?}");
        }
    }

    #[test]
    fn lenient_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(decode_lenient("a%20b+%zz%2"), b"a b+%zz%2");
        assert_eq!(decode_lenient("%41%"), b"A%");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"aZ09_.-~"), "aZ09_.-~");
        assert_eq!(quote("a b/中".as_bytes()), "a%20b%2F%E4%B8%AD");
    }
}
