//! Reading an action's parameters with Tencent's error codes: a missing required parameter is
//! `MissingParameter`, a value of the wrong type `InvalidParameter`; range and enumeration
//! problems are the caller's to name (each has its own code).
//!
//! JSON bodies carry typed values (integers as numbers, as the SDK sends them); query strings
//! and form bodies carry only text, so there integers and booleans are read from their text.

use serde_json::{Map, Value};

use crate::error::{ErrorCode, TencentError};

#[derive(Clone, Debug)]
pub(crate) struct Params {
    map: Map<String, Value>,
    textual: bool,
}

pub(crate) fn missing(name: &str) -> TencentError {
    TencentError::new(
        ErrorCode::MissingParameter,
        format!("The request is missing a required parameter `{name}`."),
    )
}

pub(crate) fn wrong_type(name: &str, expected: &str) -> TencentError {
    TencentError::new(
        ErrorCode::InvalidParameter,
        format!("The parameter `{name}` must be {expected}."),
    )
}

pub(crate) fn bad_value(code: ErrorCode, name: &str, why: &str) -> TencentError {
    TencentError::new(
        code,
        format!("The value of the parameter `{name}` is invalid: {why}."),
    )
}

impl Params {
    pub(crate) fn json(map: Map<String, Value>) -> Self {
        Params {
            map,
            textual: false,
        }
    }

    pub(crate) fn textual(map: Map<String, Value>) -> Self {
        Params { map, textual: true }
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// JSON `null` counts as absent: the SDK never sends it, but hand-written clients do.
    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub(crate) fn present(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, TencentError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(wrong_type(name, "a String")),
        }
    }

    pub(crate) fn required_string(&self, name: &str) -> Result<String, TencentError> {
        self.string(name)?.ok_or_else(|| missing(name))
    }

    /// A required string that must not be empty (Tencent treats `""` as not given).
    pub(crate) fn required_nonempty(&self, name: &str) -> Result<String, TencentError> {
        match self.string(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(missing(name)),
        }
    }

    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, TencentError> {
        let expected = "an Integer";
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) if !self.textual => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, expected)),
            Some(Value::String(s)) if self.textual => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| wrong_type(name, expected)),
            Some(_) => Err(wrong_type(name, expected)),
        }
    }

    pub(crate) fn required_integer(&self, name: &str) -> Result<i64, TencentError> {
        self.integer(name)?.ok_or_else(|| missing(name))
    }

    pub(crate) fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, TencentError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let items = v
            .as_array()
            .ok_or_else(|| wrong_type(name, "an Array of String"))?;
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong_type(name, "an Array of String"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// An array of objects (such as `Tags`), each as its own parameters.
    pub(crate) fn objects(&self, name: &str) -> Result<Option<Vec<Params>>, TencentError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let items = v
            .as_array()
            .ok_or_else(|| wrong_type(name, "an Array of objects"))?;
        items
            .iter()
            .map(|item| match item {
                Value::Object(map) => Ok(Params {
                    map: map.clone(),
                    textual: self.textual,
                }),
                _ => Err(wrong_type(name, "an Array of objects")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn json_params(v: Value) -> Params {
        match v {
            Value::Object(map) => Params::json(map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn types_are_not_coerced_in_json() {
        let p = json_params(json!({"Limit": "10", "KeyId": 5, "Offset": 1.5, "N": null}));
        assert_eq!(
            p.integer("Limit").unwrap_err().code,
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            p.string("KeyId").unwrap_err().code,
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            p.integer("Offset").unwrap_err().code,
            ErrorCode::InvalidParameter
        );
        assert_eq!(p.string("N").unwrap(), None);
        assert_eq!(
            p.required_string("Alias").unwrap_err().code,
            ErrorCode::MissingParameter
        );
    }

    #[test]
    fn text_is_read_as_the_field_type_in_queries() {
        let mut map = Map::new();
        map.insert("Limit".into(), json!("10"));
        map.insert("Bad".into(), json!("ten"));
        let p = Params::textual(map);
        assert_eq!(p.integer("Limit").unwrap(), Some(10));
        assert_eq!(
            p.integer("Bad").unwrap_err().code,
            ErrorCode::InvalidParameter
        );
    }
}
