//! Response bodies as JSON text.

/// `value` as JSON text, written straight into bytes: `Value`'s `Display` (what `to_string`
/// uses) goes through the formatting machinery a piece at a time, at about twice the cost, on
/// every answer. Writing a `Value` into a `Vec` cannot fail (its map keys are strings, and a
/// `Vec` takes every byte); were serde_json ever to say otherwise, the `Display` text, which
/// is the same JSON, is used.
pub fn json_body(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| value.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_are_the_display_text() {
        let value = serde_json::json!({
            "KeyId": "arn:aws:kms:us-east-1:111122223333:key/1",
            "Blob": "a\"b\\c\u{1}\u{7f}é",
            "N": [1, 2.5, null, true],
        });
        assert_eq!(json_body(&value), value.to_string().into_bytes());
    }
}
