//! The syntax every signature scheme of ours shares in its `Authorization` header:
//! `SCHEME Name=value, Name=value, ...`. What the components mean (a credential scope, an
//! access key) stays with each dialect; how they are found, and the one rule for repeated
//! components (refused: a second `Signature=` must not silently replace the first), is here.

/// Why a header is not `SCHEME Name=value, ...` with exactly the expected components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("the scheme is not the expected one")]
    Scheme,
    #[error("expected Name=value components")]
    NotNameValue,
    #[error("unknown component")]
    UnknownComponent,
    #[error("a component appears twice")]
    Repeated,
    #[error("{0} is missing")]
    Missing(&'static str),
}

/// The values of `names`, in that order, from `header` in `scheme`. The scheme must be
/// followed by a space; each of `names` must appear exactly once and nothing else may.
pub fn components<'h, const N: usize>(
    header: &'h str,
    scheme: &str,
    names: [&'static str; N],
) -> Result<[&'h str; N], SyntaxError> {
    let rest = header
        .strip_prefix(scheme)
        .filter(|r| r.starts_with(' '))
        .ok_or(SyntaxError::Scheme)?;
    let mut found: [Option<&'h str>; N] = [None; N];
    for part in rest.split(',') {
        let (name, value) = part
            .trim()
            .split_once('=')
            .ok_or(SyntaxError::NotNameValue)?;
        let slot = names
            .iter()
            .position(|n| *n == name)
            .ok_or(SyntaxError::UnknownComponent)?;
        if found[slot].replace(value).is_some() {
            return Err(SyntaxError::Repeated);
        }
    }
    let mut values = [""; N];
    for (i, value) in found.into_iter().enumerate() {
        values[i] = value.ok_or(SyntaxError::Missing(names[i]))?;
    }
    Ok(values)
}

/// A `SignedHeaders` list: `;`-separated, non-empty, lower-case HTTP header names, in the
/// order the client signed them.
pub fn signed_headers(value: &str) -> Option<Vec<String>> {
    let names: Vec<String> = value.split(';').map(str::to_owned).collect();
    let is_name = |h: &String| {
        !h.is_empty()
            && h.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
            })
    };
    names.iter().all(is_name).then_some(names)
}

/// A hex HMAC-SHA256 signature: exactly 64 hex digits.
pub fn signature(value: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(value, &mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["Credential", "SignedHeaders", "Signature"];

    #[test]
    fn finds_components_in_any_order() {
        let got = components(
            "AWS4-HMAC-SHA256 Signature=ab, Credential=c/d,SignedHeaders=host",
            "AWS4-HMAC-SHA256",
            NAMES,
        );
        assert_eq!(got, Ok(["c/d", "host", "ab"]));
    }

    #[test]
    fn refuses_what_is_not_exactly_the_expected_components() {
        let scheme = "TC3-HMAC-SHA256";
        for (header, want) in [
            ("", SyntaxError::Scheme),
            ("TC3-HMAC-SHA256", SyntaxError::Scheme),
            ("TC3-HMAC-SHA256Credential=a", SyntaxError::Scheme),
            ("AWS4-HMAC-SHA256 Credential=a", SyntaxError::Scheme),
            ("TC3-HMAC-SHA256 Credential", SyntaxError::NotNameValue),
            ("TC3-HMAC-SHA256 Colour=blue", SyntaxError::UnknownComponent),
            (
                "TC3-HMAC-SHA256 Credential=a, Credential=b",
                SyntaxError::Repeated,
            ),
            (
                "TC3-HMAC-SHA256 Credential=a, Signature=b",
                SyntaxError::Missing("SignedHeaders"),
            ),
        ] {
            assert_eq!(components(header, scheme, NAMES), Err(want), "{header:?}");
        }
    }

    #[test]
    fn signed_header_lists() {
        assert_eq!(
            signed_headers("content-type;host;x-amz-date"),
            Some(vec![
                "content-type".to_owned(),
                "host".to_owned(),
                "x-amz-date".to_owned()
            ])
        );
        for bad in ["", "host;", ";host", "Host", "host;X-Date", "a b", "a:b"] {
            assert_eq!(signed_headers(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn signatures_are_64_hex_digits() {
        assert_eq!(signature(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(signature(&"ab".repeat(31)), None);
        assert_eq!(signature(&"zz".repeat(32)), None);
    }
}
