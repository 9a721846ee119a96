//! Where a request's parts are: the common parameters (Action, Version, Region, Timestamp and
//! the legacy signature fields) and the action's own parameters.
//!
//! The SDK's default (TC3) puts the common parameters in `X-TC-*` headers and the action's
//! parameters in a JSON body (`POST`) or in the query string (`GET`, flattened as
//! `Tags.0.TagKey=...`). The legacy HmacSHA1/HmacSHA256 signature puts everything, common
//! parameters included, in the query string or a form body. Headers win where both exist.

use dialect_kit::percent::{self, Plus};
use serde_json::{Map, Value};

use crate::error::{ErrorCode, TencentError};
use crate::params::Params;

/// Common parameters of the legacy form, removed from the action's parameters.
const COMMON: &[&str] = &[
    "Action",
    "Version",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Language",
    "RequestClient",
    "Token",
];

#[derive(Clone, Debug, Default)]
pub(crate) struct Common {
    pub(crate) action: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) timestamp: Option<String>,
    /// Legacy signature fields (`SecretId`, `Signature`, `SignatureMethod`, `Nonce`).
    pub(crate) secret_id: Option<String>,
    pub(crate) signature: Option<String>,
    pub(crate) signature_method: Option<String>,
}

/// Where the action's parameters came from.
#[derive(Clone, Debug)]
enum Source {
    /// A JSON object body, or why the body is not one (reported only after authentication,
    /// so an unsigned request is an authentication failure whatever its body).
    Json(Result<Map<String, Value>, TencentError>),
    /// Flattened `name=value` pairs (query string or form body), in the order sent.
    Flat(Vec<(String, String)>),
}

#[derive(Clone, Debug)]
pub(crate) struct Framed {
    pub(crate) common: Common,
    source: Source,
}

fn invalid(message: impl Into<String>) -> TencentError {
    TencentError::new(ErrorCode::InvalidParameter, message)
}

fn header<'a>(request: &'a http::Request<Vec<u8>>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Whether a request carries what only Tencent clients send: the `X-TC-Action` or
/// `X-TC-Timestamp` header, a TC3 signature, or (the legacy form) an `Action` parameter in the
/// query or a form body.
pub(crate) fn is_tencent_shaped(request: &http::Request<Vec<u8>>) -> bool {
    let has_action =
        |text: &str| parse_query(text).is_ok_and(|pairs| pairs.iter().any(|(k, _)| k == "Action"));
    let form = header(request, "content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    header(request, "x-tc-action").is_some()
        || header(request, "x-tc-timestamp").is_some()
        || header(request, "authorization").is_some_and(|a| a.starts_with(crate::tc3::ALGORITHM))
        || request.uri().query().is_some_and(has_action)
        || (form && std::str::from_utf8(request.body()).is_ok_and(has_action))
}

impl Framed {
    pub(crate) fn parse(request: &http::Request<Vec<u8>>) -> Result<Framed, TencentError> {
        let content_type = header(request, "content-type")
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let body = request.body();
        let body_empty = body.iter().all(u8::is_ascii_whitespace);
        let source = match *request.method() {
            http::Method::GET => Source::Flat(parse_query(request.uri().query().unwrap_or(""))?),
            http::Method::POST if content_type == "application/x-www-form-urlencoded" => {
                let text = std::str::from_utf8(body)
                    .map_err(|_| invalid("The form body is not valid UTF-8."))?;
                Source::Flat(parse_query(text)?)
            }
            http::Method::POST if body_empty => Source::Json(Ok(Map::new())),
            http::Method::POST if content_type.is_empty() || content_type == "application/json" => {
                Source::Json(match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(map)) => Ok(map),
                    Ok(_) => Err(invalid("The request body must be a JSON object.")),
                    Err(e) => Err(invalid(format!("The request body is not valid JSON: {e}."))),
                })
            }
            http::Method::POST => Source::Json(Err(invalid(format!(
                "Content-Type `{content_type}` is not supported; send application/json."
            )))),
            _ => {
                return Err(TencentError::new(
                    ErrorCode::UnsupportedOperation,
                    format!(
                        "HTTP method {} is not supported; use POST (or GET).",
                        request.method()
                    ),
                ));
            }
        };
        let param = |name: &str| -> Option<String> {
            match &source {
                Source::Json(Ok(map)) => map.get(name).and_then(Value::as_str).map(str::to_owned),
                Source::Json(Err(_)) => None,
                Source::Flat(pairs) => pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone()),
            }
        };
        let either = |h: &str, p: &str| {
            header(request, h)
                .map(str::to_owned)
                .or_else(|| param(p))
                .filter(|v| !v.is_empty())
        };
        let common = Common {
            action: either("x-tc-action", "Action"),
            version: either("x-tc-version", "Version"),
            region: either("x-tc-region", "Region"),
            timestamp: either("x-tc-timestamp", "Timestamp"),
            secret_id: param("SecretId"),
            signature: param("Signature"),
            signature_method: param("SignatureMethod"),
        };
        Ok(Framed { common, source })
    }

    /// The flattened pairs of a legacy-signed request (what its signature covers).
    pub(crate) fn flat_pairs(&self) -> Option<&[(String, String)]> {
        match &self.source {
            Source::Flat(pairs) => Some(pairs),
            Source::Json(_) => None,
        }
    }

    /// The action's own parameters, common ones removed.
    pub(crate) fn params(&self) -> Result<Params, TencentError> {
        match &self.source {
            Source::Json(Err(e)) => Err(e.clone()),
            Source::Json(Ok(map)) => {
                let mut map = map.clone();
                for name in COMMON {
                    map.remove(*name);
                }
                Ok(Params::json(map))
            }
            Source::Flat(pairs) => {
                let own = pairs.iter().filter(|(k, _)| !COMMON.contains(&k.as_str()));
                Ok(Params::textual(unflatten(own)?))
            }
        }
    }
}

/// `a=1&b=x%20y` → pairs, percent-decoded (`+` is a space, as in forms).
pub(crate) fn parse_query(query: &str) -> Result<Vec<(String, String)>, TencentError> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Result<String, TencentError> {
    let bad = || invalid("The query string or form body is not properly percent-encoded.");
    let bytes = percent::decode(s, Plus::Space).map_err(|_| bad())?;
    String::from_utf8(bytes).map_err(|_| bad())
}

/// The most segments a flattened parameter name may have. Tencent's deepest KMS parameter
/// (`Filters.0.Values.0`) has four; the bound keeps a crafted name such as `a.a.a…` (one
/// level per segment) from nesting the value deep enough to overflow the stack, both when
/// it is built and when it is dropped.
const MAX_SEGMENTS: usize = 8;

/// `Tags.0.TagKey=k` style pairs → nested JSON (objects, arrays for numeric segments); every
/// leaf stays a string, to be read as the action's field type later.
fn unflatten<'a>(
    pairs: impl Iterator<Item = &'a (String, String)>,
) -> Result<Map<String, Value>, TencentError> {
    let mut root = Value::Object(Map::new());
    for (name, value) in pairs {
        let segments: Vec<&str> = name.splitn(MAX_SEGMENTS + 1, '.').collect();
        if segments.len() > MAX_SEGMENTS {
            let shown: String = name.chars().take(64).collect();
            return Err(invalid(format!(
                "The parameter name `{shown}…` has more than {MAX_SEGMENTS} parts."
            )));
        }
        if segments.iter().any(|s| s.is_empty()) {
            return Err(invalid(format!(
                "The parameter name `{name}` is malformed."
            )));
        }
        insert(&mut root, &segments, value, name)?;
    }
    match root {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

fn insert(node: &mut Value, path: &[&str], value: &str, name: &str) -> Result<(), TencentError> {
    let conflict = || {
        invalid(format!(
            "The parameter `{name}` conflicts with another one."
        ))
    };
    let Some((head, rest)) = path.split_first() else {
        return Err(conflict());
    };
    let child = match node {
        Value::Object(map) => {
            if rest.is_empty() {
                if map.contains_key(*head) {
                    return Err(invalid(format!("The parameter `{name}` appears twice.")));
                }
                map.insert((*head).to_owned(), Value::String(value.to_owned()));
                return Ok(());
            }
            let fresh = if rest[0].bytes().all(|b| b.is_ascii_digit()) {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            };
            map.entry((*head).to_owned()).or_insert(fresh)
        }
        Value::Array(items) => {
            let index: usize = head.parse().map_err(|_| conflict())?;
            // Indices come in order (0, 1, ...); a gap cannot be filled meaningfully.
            if index > items.len() || index > 1000 {
                return Err(invalid(format!(
                    "The list index in `{name}` is out of sequence."
                )));
            }
            if index == items.len() {
                items.push(if rest.is_empty() {
                    Value::Null
                } else if rest[0].bytes().all(|b| b.is_ascii_digit()) {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Map::new())
                });
            }
            let slot = &mut items[index];
            if rest.is_empty() {
                if !slot.is_null() {
                    return Err(invalid(format!("The parameter `{name}` appears twice.")));
                }
                *slot = Value::String(value.to_owned());
                return Ok(());
            }
            slot
        }
        _ => return Err(conflict()),
    };
    insert(child, rest, value, name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn flat(query: &str) -> Value {
        let pairs = parse_query(query).unwrap();
        Value::Object(unflatten(pairs.iter()).unwrap())
    }

    #[test]
    fn a_name_nested_past_any_parameter_is_refused_not_built() {
        let deep = format!("{}=1", vec!["a"; 200_000].join("."));
        let pairs = parse_query(&deep).unwrap();
        let refused = unflatten(pairs.iter()).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidParameter);
        assert!(refused.message.contains("more than 8 parts"), "{refused:?}");
        assert!(refused.message.len() < 200, "the name is cut short");
        let deepest = flat("Filters.0.Values.0=x&A.b.c.d.e.f.g.h=y");
        assert_eq!(deepest["Filters"][0]["Values"][0], "x");
    }

    #[test]
    fn flattened_parameters_become_nested_json() {
        assert_eq!(
            flat("KeyId=a%2Bb&Tags.0.TagKey=k&Tags.0.TagValue=v+w&KeyIds.0=x&KeyIds.1=y"),
            json!({
                "KeyId": "a+b",
                "Tags": [{"TagKey": "k", "TagValue": "v w"}],
                "KeyIds": ["x", "y"],
            })
        );
    }

    #[test]
    fn malformed_flat_parameters_are_refused() {
        for bad in [
            "A=1&A=2",
            "A.=1",
            "L.1=x",
            "L.0=x&L.0=y",
            "X=%zz",
            "A=1&A.b=2",
        ] {
            let pairs = parse_query(bad);
            let result = pairs.and_then(|p| unflatten(p.iter()));
            assert!(result.is_err(), "{bad}");
        }
    }
}
