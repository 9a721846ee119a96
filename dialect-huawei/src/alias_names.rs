//! How Huawei key aliases are stored: every Huawei key is created with a `key_alias`, unique
//! per project, so it lives in the core's alias namespace (which guarantees uniqueness and
//! forgets aliases of purged keys) under a prefix that names of the aliases API cannot start
//! with. Errors and operations both show users the name without it.

use kms_core::AliasName;

/// `#` sorts before every character of `[a-zA-Z0-9:/_-]`, so in the core's sorted alias
/// listing a key's key alias comes first, and it never collides with names of the aliases
/// API.
pub(crate) const KEY_ALIAS_PREFIX: &str = "#";

/// The name a user chose: a key alias without its prefix, any other alias as it is.
pub(crate) fn shown(name: &AliasName) -> &str {
    name.as_str()
        .strip_prefix(KEY_ALIAS_PREFIX)
        .unwrap_or(name.as_str())
}
