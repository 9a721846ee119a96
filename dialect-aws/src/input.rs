//! Reading a request body's members with AWS's validation rules and messages. Every accessor
//! returns typed values or the ValidationException AWS would send, naming the member in
//! lower camel case as AWS does ("Value null at 'keyId' failed to satisfy constraint...").

use std::ops::RangeInclusive;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::Timestamp;
use serde_json::{Map, Value};

use crate::error::{AwsError, ErrorCode};
use crate::wire_enum::WireEnum;

/// The members of one request body, or of one structure in a list member: then `path` is
/// where AWS's messages place it (`tags.1.member.`, counted from 1).
#[derive(Debug)]
pub(crate) struct Input {
    members: Map<String, Value>,
    path: String,
}

/// `KeyId` → `keyId`, the spelling AWS uses in validation messages.
fn camel(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn invalid(member: &str, value: Option<&str>, constraint: &str) -> AwsError {
    let value = match value {
        Some(v) => format!("Value '{v}'"),
        None => "Value null".to_owned(),
    };
    invalid_shown(member, &value, constraint)
}

/// `shown` is how the message opens: `Value 'x'`, `Value null`, or (blobs, whose bytes AWS
/// never shows) `Value`.
fn invalid_shown(member: &str, shown: &str, constraint: &str) -> AwsError {
    AwsError::new(
        ErrorCode::ValidationException,
        format!(
            "1 validation error detected: {shown} at '{}' failed to satisfy constraint: {constraint}",
            camel(member)
        ),
    )
}

fn wrong_type(member: &str, expected: &str) -> AwsError {
    AwsError::new(
        ErrorCode::ValidationException,
        format!(
            "1 validation error detected: Value at '{}' must be {expected}",
            camel(member)
        ),
    )
}

fn check_len(
    member: &str,
    shown: &str,
    len: usize,
    range: &RangeInclusive<usize>,
) -> Result<(), AwsError> {
    if len < *range.start() {
        return Err(invalid_shown(
            member,
            shown,
            &format!(
                "Member must have length greater than or equal to {}",
                range.start()
            ),
        ));
    }
    if len > *range.end() {
        return Err(invalid_shown(
            member,
            shown,
            &format!(
                "Member must have length less than or equal to {}",
                range.end()
            ),
        ));
    }
    Ok(())
}

impl Input {
    /// An empty body is an empty request (botocore sends `{}`, but curl users send nothing).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, AwsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input::top(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Input::top(map)),
            Ok(_) => Err(AwsError::new(
                ErrorCode::ValidationException,
                "1 validation error detected: the request body must be a JSON object",
            )),
            Err(e) => Err(AwsError::new(
                ErrorCode::ValidationException,
                format!("1 validation error detected: the request body is not valid JSON ({e})"),
            )),
        }
    }

    fn top(members: Map<String, Value>) -> Self {
        Input {
            members,
            path: String::new(),
        }
    }

    /// Where AWS's messages place `member` of this input.
    fn at(&self, member: &str) -> String {
        format!("{}{}", self.path, camel(member))
    }

    /// JSON `null` counts as absent, as botocore never sends it and AWS treats it so.
    fn get(&self, member: &str) -> Option<&Value> {
        self.members.get(member).filter(|v| !v.is_null())
    }

    pub(crate) fn present(&self, member: &str) -> bool {
        self.get(member).is_some()
    }

    pub(crate) fn string(
        &self,
        member: &str,
        len: RangeInclusive<usize>,
    ) -> Result<Option<String>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let s = v
            .as_str()
            .ok_or_else(|| wrong_type(&self.at(member), "a string"))?;
        check_len(
            &self.at(member),
            &format!("Value '{s}'"),
            s.chars().count(),
            &len,
        )?;
        Ok(Some(s.to_owned()))
    }

    pub(crate) fn required_string(
        &self,
        member: &str,
        len: RangeInclusive<usize>,
    ) -> Result<String, AwsError> {
        self.string(member, len)?
            .ok_or_else(|| invalid(&self.at(member), None, "Member must not be null"))
    }

    /// A base64 blob; `len` bounds the decoded bytes.
    pub(crate) fn blob(
        &self,
        member: &str,
        len: RangeInclusive<usize>,
    ) -> Result<Option<Vec<u8>>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let s = v
            .as_str()
            .ok_or_else(|| wrong_type(&self.at(member), "a base64-encoded string"))?;
        let bytes = STANDARD
            .decode(s.trim())
            .map_err(|_| wrong_type(&self.at(member), "valid base64"))?;
        check_len(&self.at(member), "Value", bytes.len(), &len)?;
        Ok(Some(bytes))
    }

    pub(crate) fn required_blob(
        &self,
        member: &str,
        len: RangeInclusive<usize>,
    ) -> Result<Vec<u8>, AwsError> {
        self.blob(member, len)?
            .ok_or_else(|| invalid(&self.at(member), None, "Member must not be null"))
    }

    pub(crate) fn integer(
        &self,
        member: &str,
        range: RangeInclusive<i64>,
    ) -> Result<Option<i64>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let n = v
            .as_i64()
            .ok_or_else(|| wrong_type(&self.at(member), "an integer"))?;
        if n < *range.start() {
            return Err(invalid(
                &self.at(member),
                Some(&n.to_string()),
                &format!(
                    "Member must have value greater than or equal to {}",
                    range.start()
                ),
            ));
        }
        if n > *range.end() {
            return Err(invalid(
                &self.at(member),
                Some(&n.to_string()),
                &format!(
                    "Member must have value less than or equal to {}",
                    range.end()
                ),
            ));
        }
        Ok(Some(n))
    }

    pub(crate) fn boolean(&self, member: &str) -> Result<bool, AwsError> {
        match self.get(member) {
            None => Ok(false),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| wrong_type(&self.at(member), "a boolean")),
        }
    }

    /// Epoch seconds, fractions allowed (botocore sends milliseconds as a fraction).
    pub(crate) fn timestamp(&self, member: &str) -> Result<Option<Timestamp>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let secs = v
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1.0e13)
            .ok_or_else(|| wrong_type(&self.at(member), "a timestamp in epoch seconds"))?;
        // Bounded above, so the cast cannot overflow; sub-millisecond parts are dropped.
        let millis = (secs * 1000.0).round() as u64;
        Ok(Some(Timestamp::from_millis(millis)))
    }

    pub(crate) fn enumeration<T: WireEnum>(&self, member: &str) -> Result<Option<T>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let s = v
            .as_str()
            .ok_or_else(|| wrong_type(&self.at(member), "a string"))?;
        T::from_wire(s).map(Some).ok_or_else(|| {
            invalid(
                &self.at(member),
                Some(s),
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    T::VALUES.join(", ")
                ),
            )
        })
    }

    pub(crate) fn required_enumeration<T: WireEnum>(&self, member: &str) -> Result<T, AwsError> {
        self.enumeration(member)?
            .ok_or_else(|| invalid(&self.at(member), None, "Member must not be null"))
    }

    /// A list of `items` enum values (botocore checks neither the count nor the values).
    pub(crate) fn enumeration_list<T: WireEnum>(
        &self,
        member: &str,
        items: RangeInclusive<usize>,
    ) -> Result<Option<Vec<T>>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let list = v
            .as_array()
            .ok_or_else(|| wrong_type(&self.at(member), "a list of strings"))?;
        if list.len() < *items.start() {
            return Err(invalid(
                &self.at(member),
                Some("[]"),
                &format!(
                    "Member must have length greater than or equal to {}",
                    items.start()
                ),
            ));
        }
        if list.len() > *items.end() {
            return Err(invalid(
                &self.at(member),
                None,
                &format!(
                    "Member must have length less than or equal to {}",
                    items.end()
                ),
            ));
        }
        list.iter()
            .map(|item| {
                let s = item
                    .as_str()
                    .ok_or_else(|| wrong_type(&self.at(member), "a list of strings"))?;
                T::from_wire(s).ok_or_else(|| {
                    invalid(&self.at(member),
                        Some(s),
                        &format!(
                            "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                            T::VALUES.join(", ")
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A string-to-string map, such as an encryption context.
    pub(crate) fn string_map(&self, member: &str) -> Result<Vec<(String, String)>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(Vec::new());
        };
        let map = v
            .as_object()
            .ok_or_else(|| wrong_type(&self.at(member), "a map of strings"))?;
        map.iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.clone(), s.to_owned())),
                None => Err(wrong_type(&self.at(member), "a map of strings")),
            })
            .collect()
    }

    /// A list of strings, each `item_len` characters long, at most `max_items` of them.
    pub(crate) fn string_list(
        &self,
        member: &str,
        item_len: RangeInclusive<usize>,
        max_items: usize,
    ) -> Result<Option<Vec<String>>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let items = v
            .as_array()
            .ok_or_else(|| wrong_type(&self.at(member), "a list of strings"))?;
        if items.len() > max_items {
            return Err(invalid(
                &self.at(member),
                None,
                &format!("Member must have length less than or equal to {max_items}"),
            ));
        }
        items
            .iter()
            .map(|item| {
                let s = item
                    .as_str()
                    .ok_or_else(|| wrong_type(&self.at(member), "a list of strings"))?;
                check_len(
                    &self.at(member),
                    &format!("Value '{s}'"),
                    s.chars().count(),
                    &item_len,
                )?;
                Ok(s.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A list of structures (such as `Tags`), each handed to `each` as its own [`Input`].
    pub(crate) fn structures<T>(
        &self,
        member: &str,
        each: impl Fn(&Input) -> Result<T, AwsError>,
    ) -> Result<Option<Vec<T>>, AwsError> {
        let Some(v) = self.get(member) else {
            return Ok(None);
        };
        let items = v
            .as_array()
            .ok_or_else(|| wrong_type(&self.at(member), "a list"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => each(&Input {
                    members: map.clone(),
                    path: format!("{}.{}.member.", self.at(member), i + 1),
                }),
                _ => Err(wrong_type(&self.at(member), "a list of structures")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_enum::AlgorithmSpecWire;

    fn input(json: &str) -> Input {
        Input::parse(json.as_bytes()).unwrap()
    }

    fn message(e: AwsError) -> String {
        assert_eq!(e.code, ErrorCode::ValidationException);
        e.message
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(Input::parse(b"").is_ok());
        for bad in [&b"{"[..], b"[]", b"\"x\"", b"{\"a\":1,}"] {
            assert_eq!(
                Input::parse(bad).unwrap_err().code,
                ErrorCode::ValidationException
            );
        }
    }

    #[test]
    fn messages_follow_aws_wording() {
        let i = input(r#"{"WrappingAlgorithm": "NOPE", "Limit": 0, "KeyId": ""}"#);
        assert_eq!(
            message(
                i.required_enumeration::<AlgorithmSpecWire>("WrappingAlgorithm")
                    .unwrap_err()
            ),
            "1 validation error detected: Value 'NOPE' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, SM2PKE]"
        );
        assert_eq!(
            message(i.integer("Limit", 1..=1000).unwrap_err()),
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        assert_eq!(
            message(i.required_string("Description", 0..=10).unwrap_err()),
            "1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null"
        );
        assert!(
            message(i.required_string("KeyId", 1..=2048).unwrap_err())
                .contains("Member must have length greater than or equal to 1")
        );
    }

    /// AWS shows no value for a blob (snapshot test_plaintext_size_for_encrypt).
    #[test]
    fn a_blob_of_the_wrong_length_is_named_without_a_value() {
        let i = input(r#"{"Plaintext": "AAAAAA=="}"#);
        assert_eq!(
            message(i.blob("Plaintext", 1..=2).unwrap_err()),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 2"
        );
    }

    #[test]
    fn wrong_types_and_bad_base64_are_validation_errors() {
        let i =
            input(r#"{"KeyId": 5, "Plaintext": "%%%", "Limit": "3", "Ctx": {"a": 1}, "T": 1.5}"#);
        assert!(i.required_string("KeyId", 1..=5).is_err());
        assert!(i.blob("Plaintext", 1..=5).is_err());
        assert!(i.integer("Limit", 1..=5).is_err());
        assert!(i.string_map("Ctx").is_err());
        assert_eq!(
            i.timestamp("T").unwrap(),
            Some(Timestamp::from_millis(1500))
        );
    }

    #[test]
    fn null_members_are_absent() {
        let i = input(r#"{"KeyId": null}"#);
        assert_eq!(i.string("KeyId", 1..=5).unwrap(), None);
    }
}
