//! Tags: free-form key/value labels on a key. The core enforces only bounds every cloud
//! shares (AWS's, the widest); dialects check their own tighter syntax first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{KmsError, ValidationError};

/// A key's tags, sorted by tag key; at most [`Tags::MAX_PER_KEY`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tags(BTreeMap<String, String>);

impl Tags {
    pub const MAX_PER_KEY: usize = 50;
    pub const MAX_KEY_LEN: usize = 128;
    pub const MAX_VALUE_LEN: usize = 256;

    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a set from pairs; a later pair with the same key wins, as a later tagging call
    /// would.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, KmsError> {
        let mut tags = Tags::new();
        tags.merge(pairs)?;
        Ok(tags)
    }

    /// Adds or overwrites; all or nothing.
    pub fn merge(
        &mut self,
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), KmsError> {
        let mut next = self.0.clone();
        for (k, v) in pairs {
            check_key(&k)?;
            if v.chars().count() > Self::MAX_VALUE_LEN || v.chars().any(char::is_control) {
                return Err(ValidationError::MalformedTag.into());
            }
            next.insert(k, v);
        }
        if next.len() > Self::MAX_PER_KEY {
            return Err(KmsError::TooManyTags {
                limit: Self::MAX_PER_KEY,
            });
        }
        self.0 = next;
        Ok(())
    }

    /// Removes the named tags; names that are not there are ignored, as every cloud does.
    pub fn remove<'a>(&mut self, keys: impl IntoIterator<Item = &'a str>) {
        for k in keys {
            self.0.remove(k);
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check_key(k: &str) -> Result<(), ValidationError> {
    let n = k.chars().count();
    if n == 0 || n > Tags::MAX_KEY_LEN || k.chars().any(char::is_control) {
        return Err(ValidationError::MalformedTag);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn merge_overwrites_and_is_all_or_nothing() {
        let mut t = Tags::from_pairs([pair("a", "1"), pair("b", "2")]).unwrap();
        t.merge([pair("a", "3")]).unwrap();
        assert_eq!(t.get("a"), Some("3"));
        assert!(t.merge([pair("c", "4"), pair("", "x")]).is_err());
        assert_eq!(t.get("c"), None);
        t.remove(["b", "nope"]);
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![("a", "3")]);
    }

    #[test]
    fn limits_are_enforced() {
        let many = (0..=Tags::MAX_PER_KEY).map(|i| pair(&format!("k{i}"), "v"));
        assert!(matches!(
            Tags::from_pairs(many),
            Err(KmsError::TooManyTags { limit: 50 })
        ));
        assert!(Tags::from_pairs([pair(&"k".repeat(129), "v")]).is_err());
        assert!(Tags::from_pairs([pair("k", &"v".repeat(257))]).is_err());
        assert!(Tags::from_pairs([pair("k", "")]).is_ok());
    }
}
