//! Reading a request body's fields with Huawei's rules: a missing required field is KMS.0204,
//! a malformed key id KMS.0205, any other bad value KMS.0308, a bad `sequence` KMS.0206.
//! Numbers may come as JSON numbers or as strings of digits (the SDK models type most of them
//! as strings; `expiration_time` is an integer in one model and a string in another).

use std::ops::RangeInclusive;

use kms_core::KeyId;
use std::cell::Cell;

use serde_json::{Map, Value};

use crate::error::{ErrorCode, HuaweiError};

#[derive(Debug)]
pub(crate) struct Input(
    Map<String, Value>,
    /// The key the request named, for the request log.
    Cell<Option<KeyId>>,
);

/// `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`, Huawei's key id rule.
pub(crate) fn matches_key_id_pattern(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || b.is_ascii_lowercase(),
        })
}

/// `^[0-9a-zA-Z+/=]{min,max}$`, the shape of Huawei's base64 fields.
pub(crate) fn matches_base64_pattern(s: &str, len: RangeInclusive<usize>) -> bool {
    len.contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// A key id that passes Huawei's pattern but is not one of ours (upper hex digits cannot
/// pass; letters beyond `f` can) names no key: the same answer as an unknown key.
pub(crate) fn parse_key_id(field: &str, s: &str) -> Result<KeyId, HuaweiError> {
    if !matches_key_id_pattern(s) {
        return Err(HuaweiError::bad(
            ErrorCode::Kms0205,
            format!(
                "Invalid key ID: {field} must match ^[0-9a-z]{{8}}-[0-9a-z]{{4}}-[0-9a-z]{{4}}-[0-9a-z]{{4}}-[0-9a-z]{{12}}$."
            ),
        ));
    }
    // Huawei's pattern takes g-z, which no key id of ours holds: such an id names no key.
    s.parse().map_err(|_| {
        HuaweiError::new(
            404,
            ErrorCode::Kms0207,
            format!("The key does not exist: key {s} in this project."),
        )
    })
}

fn not_a(field: &str, what: &str) -> HuaweiError {
    HuaweiError::invalid(format!("Invalid parameter: {field} must be {what}."))
}

impl Input {
    /// An empty body is an empty request (curl users send nothing for GET-like calls).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, HuaweiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input(Map::new(), Cell::new(None)));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Input(map, Cell::new(None))),
            Ok(_) => Err(HuaweiError::bad(
                ErrorCode::Kms0202,
                "Invalid JSON format of the request message: the body must be a JSON object.",
            )),
            Err(e) => Err(HuaweiError::bad(
                ErrorCode::Kms0202,
                format!("Invalid JSON format of the request message: {e}."),
            )),
        }
    }

    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Input(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
            Cell::new(None),
        )
    }

    /// The key the request named (or created: [`Input::about`]), once known.
    pub(crate) fn named_key(&self) -> Option<KeyId> {
        self.1.get()
    }

    /// Notes the key the request is about, for the request log.
    pub(crate) fn about(&self, id: KeyId) {
        self.1.set(Some(id));
    }

    /// JSON `null` counts as absent: the SDK omits unset members, others send null.
    fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    pub(crate) fn present(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// An optional string of `len` characters.
    pub(crate) fn string(
        &self,
        field: &str,
        len: RangeInclusive<usize>,
    ) -> Result<Option<&str>, HuaweiError> {
        let Some(v) = self.get(field) else {
            return Ok(None);
        };
        let s = v.as_str().ok_or_else(|| not_a(field, "a string"))?;
        let n = s.chars().count();
        if !len.contains(&n) {
            return Err(HuaweiError::invalid(format!(
                "Invalid parameter: {field} must be {} to {} characters long.",
                len.start(),
                len.end()
            )));
        }
        Ok(Some(s))
    }

    /// A required string; an empty one counts as missing.
    pub(crate) fn required(
        &self,
        field: &str,
        len: RangeInclusive<usize>,
    ) -> Result<&str, HuaweiError> {
        match self.get(field) {
            Some(Value::String(s)) if s.is_empty() => Err(HuaweiError::missing(field)),
            _ => self
                .string(field, len)?
                .ok_or_else(|| HuaweiError::missing(field)),
        }
    }

    pub(crate) fn key_id(&self, field: &str) -> Result<KeyId, HuaweiError> {
        // No length bound of its own: whatever breaks the pattern, its length included, is
        // the key id's documented code (KMS.0205), not the generic KMS.0308.
        let s = self.required(field, 1..=usize::MAX)?;
        let id = parse_key_id(field, s)?;
        self.about(id);
        Ok(id)
    }

    pub(crate) fn optional_key_id(&self, field: &str) -> Result<Option<KeyId>, HuaweiError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(_) => self.key_id(field).map(Some),
        }
    }

    /// A whole number given as a JSON number or a string of digits, within `range`.
    pub(crate) fn number(
        &self,
        field: &str,
        range: RangeInclusive<u64>,
    ) -> Result<Option<u64>, HuaweiError> {
        let Some(v) = self.get(field) else {
            return Ok(None);
        };
        let n = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok()
            }
            _ => None,
        }
        .ok_or_else(|| not_a(field, "a whole number (as a number or a string of digits)"))?;
        if !range.contains(&n) {
            return Err(HuaweiError::invalid(format!(
                "Invalid parameter: {field} must be between {} and {}.",
                range.start(),
                range.end()
            )));
        }
        Ok(Some(n))
    }

    pub(crate) fn required_number(
        &self,
        field: &str,
        range: RangeInclusive<u64>,
    ) -> Result<u64, HuaweiError> {
        self.number(field, range)?
            .ok_or_else(|| HuaweiError::missing(field))
    }

    /// One of `values`, compared exactly (Huawei's enums are case-sensitive).
    pub(crate) fn choice<'v>(
        &self,
        field: &str,
        values: &[&'v str],
    ) -> Result<Option<&'v str>, HuaweiError> {
        let Some(s) = self.string(field, 0..=64)? else {
            return Ok(None);
        };
        values
            .iter()
            .find(|v| **v == s)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                HuaweiError::invalid(format!(
                    "Invalid parameter: {field} must be one of {}.",
                    values.join(", ")
                ))
            })
    }

    /// `sequence`, accepted on every body: a request serial number of at most 36 characters.
    pub(crate) fn check_sequence(&self) -> Result<(), HuaweiError> {
        match self.get("sequence") {
            None => Ok(()),
            Some(Value::String(s)) if (1..=36).contains(&s.len()) && s.is_ascii() => Ok(()),
            Some(_) => Err(HuaweiError::bad(
                ErrorCode::Kms0206,
                "Invalid sequence number: sequence must be 1 to 36 ASCII characters.",
            )),
        }
    }

    /// A list of strings.
    pub(crate) fn string_list(&self, field: &str) -> Result<Option<Vec<&str>>, HuaweiError> {
        let Some(v) = self.get(field) else {
            return Ok(None);
        };
        let items = v
            .as_array()
            .ok_or_else(|| not_a(field, "a list of strings"))?;
        items
            .iter()
            .map(|i| i.as_str().ok_or_else(|| not_a(field, "a list of strings")))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> Input {
        Input::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(Input::parse(b"").is_ok());
        assert!(Input::parse(b"  \n").is_ok());
        for bad in [&b"{"[..], b"[]", b"\"x\"", b"{\"a\":1,}"] {
            assert_eq!(Input::parse(bad).unwrap_err().code, ErrorCode::Kms0202);
        }
    }

    #[test]
    fn key_id_pattern_at_its_edges() {
        let ok = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(matches_key_id_pattern(ok));
        assert!(matches_key_id_pattern(
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"
        ));
        for bad in [
            "",
            &ok[1..],
            &format!("{ok}0"),
            "1234ABCD-12ab-34cd-56ef-1234567890ab",
            "1234abcd_12ab-34cd-56ef-1234567890ab",
            "alias/foo",
        ] {
            assert!(!matches_key_id_pattern(bad), "{bad}");
        }
        let i = input(r#"{"a": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "b": "x", "c": 5}"#);
        let e = i.key_id("a").unwrap_err();
        assert_eq!((e.status, e.code), (404, ErrorCode::Kms0207));
        let e = i.key_id("b").unwrap_err();
        assert_eq!((e.status, e.code), (400, ErrorCode::Kms0205));
        assert_eq!(i.key_id("c").unwrap_err().code, ErrorCode::Kms0308);
        assert_eq!(i.key_id("d").unwrap_err().code, ErrorCode::Kms0204);
    }

    #[test]
    fn base64_pattern_at_its_edges() {
        let r = 200..=6144;
        assert!(!matches_base64_pattern(&"A".repeat(199), r.clone()));
        assert!(matches_base64_pattern(&"A".repeat(200), r.clone()));
        assert!(matches_base64_pattern(&"A".repeat(6144), r.clone()));
        assert!(!matches_base64_pattern(&"A".repeat(6145), r.clone()));
        assert!(matches_base64_pattern(
            &format!("{}+/==", "a".repeat(300)),
            r.clone()
        ));
        assert!(!matches_base64_pattern(
            &format!("{}-", "a".repeat(300)),
            r.clone()
        ));
        assert!(!matches_base64_pattern(
            &format!("{}\n", "a".repeat(300)),
            r
        ));
    }

    #[test]
    fn numbers_come_as_numbers_or_digit_strings() {
        let i = input(
            r#"{"a": 7, "b": "1096", "c": "7d", "d": -1, "e": 1.5, "f": "", "g": "1097", "h": null}"#,
        );
        assert_eq!(i.number("a", 7..=1096).unwrap(), Some(7));
        assert_eq!(i.number("b", 7..=1096).unwrap(), Some(1096));
        for bad in ["c", "d", "e", "f", "g"] {
            assert_eq!(
                i.number(bad, 7..=1096).unwrap_err().code,
                ErrorCode::Kms0308,
                "{bad}"
            );
        }
        assert_eq!(i.number("h", 7..=1096).unwrap(), None);
        assert_eq!(
            i.required_number("h", 7..=1096).unwrap_err().code,
            ErrorCode::Kms0204
        );
    }

    #[test]
    fn required_strings_and_sequences() {
        let i = input(
            r#"{"a": "", "b": 1, "c": "xyz", "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}"#,
        );
        assert_eq!(i.required("a", 1..=5).unwrap_err().code, ErrorCode::Kms0204);
        assert_eq!(i.required("b", 1..=5).unwrap_err().code, ErrorCode::Kms0308);
        assert_eq!(i.required("c", 1..=2).unwrap_err().code, ErrorCode::Kms0308);
        assert_eq!(i.required("c", 1..=3).unwrap(), "xyz");
        assert!(i.check_sequence().is_ok());
        for bad in [r#"{"sequence": 5}"#, r#"{"sequence": ""}"#] {
            assert_eq!(
                input(bad).check_sequence().unwrap_err().code,
                ErrorCode::Kms0206
            );
        }
        let long = format!(r#"{{"sequence": "{}"}}"#, "a".repeat(37));
        assert_eq!(
            input(&long).check_sequence().unwrap_err().code,
            ErrorCode::Kms0206
        );
        let i = input(r#"{"x": "B"}"#);
        assert_eq!(i.choice("x", &["A", "B"]).unwrap(), Some("B"));
        assert_eq!(
            i.choice("x", &["a", "b"]).unwrap_err().code,
            ErrorCode::Kms0308
        );
    }
}
