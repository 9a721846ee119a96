//! What a server asks a dialect about one entry of a seed file: which tenant the entry's
//! key belongs to, what its aliases are called in the engine, and which key spec and usage
//! it has (in the cloud's own names, checked against what the cloud's CreateKey offers).
//! The entry's common fields (id, material, state, ...) mean the same in every cloud and are
//! the server's to read; these are the ones each cloud spells its own way.

use std::collections::BTreeMap;

/// An entry's cloud-specific part, as written.
#[derive(Clone, Copy, Debug)]
pub struct SeedTerms<'a> {
    /// Every field of the entry the server does not read itself (for AWS: `account`,
    /// `region`), as text. A dialect refuses fields it does not know, so a typo fails the
    /// start instead of seeding a key somewhere unexpected.
    pub fields: &'a BTreeMap<String, String>,
    /// The entry's `aliases`, in the cloud's own syntax.
    pub aliases: &'a [String],
    /// The entry's `spec`, as the cloud names key specs, or `None` for what this cloud's
    /// CreateKey gives by default there.
    pub spec: Option<&'a str>,
    /// The entry's `usage`, as the cloud names key usages, or `None` for the spec's default.
    pub usage: Option<&'a str>,
    /// The entry's key is `external` (bring your own key), which some clouds refuse for some
    /// specs.
    pub external: bool,
}

/// Where and how the entry's key lives in the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedPlacement {
    /// The engine's tenant id.
    pub tenant: String,
    /// The engine's alias names, in the order given (a cloud whose keys carry a name may add
    /// it here).
    pub aliases: Vec<String>,
    /// The engine's key spec name (`AES_256`, `RSA_2048`, `ECC_NIST_P256`, `HMAC_256`, ...).
    pub spec: &'static str,
    /// The engine's key usage name: [`ENCRYPT_DECRYPT`], [`SIGN_VERIFY`] or
    /// [`GENERATE_VERIFY_MAC`].
    pub usage: &'static str,
}

/// The engine's key usage names.
pub const ENCRYPT_DECRYPT: &str = "ENCRYPT_DECRYPT";
pub const SIGN_VERIFY: &str = "SIGN_VERIFY";
pub const GENERATE_VERIFY_MAC: &str = "GENERATE_VERIFY_MAC";

/// The engine's spec names a seed entry may give.
pub const AES_256: &str = "AES_256";
pub const SM4: &str = "SM4";

impl<'a> SeedTerms<'a> {
    /// Refuses any field not in `known`, naming it and the ones this cloud takes.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        match self.fields.keys().find(|f| !known.contains(&f.as_str())) {
            Some(field) => Err(format!(
                "unknown field `{field}` (this cloud's entries take {})",
                known.join(", ")
            )),
            None => Ok(()),
        }
    }

    /// The field `name`, which this cloud requires.
    pub fn required(&self, name: &str) -> Result<&'a str, String> {
        self.fields
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("`{name}` is missing"))
    }

    /// The entry's spec, which must be `allowed` where this key lives (`None` gives
    /// `allowed`).
    pub fn spec_must_be(
        &self,
        allowed: &'static str,
        where_: &str,
    ) -> Result<&'static str, String> {
        match self.spec {
            None => Ok(allowed),
            Some(s) if s == allowed => Ok(allowed),
            Some(s) if s == AES_256 || s == SM4 => Err(format!(
                "spec {s} is not offered {where_}: keys there are {allowed}"
            )),
            Some(s) => Err(unknown_spec(s)),
        }
    }
}

fn unknown_spec(s: &str) -> String {
    format!("spec {s:?} is not one of {AES_256}, {SM4} (this cloud's symmetric keys)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms<'a>(fields: &'a BTreeMap<String, String>, spec: Option<&'a str>) -> SeedTerms<'a> {
        SeedTerms {
            fields,
            aliases: &[],
            spec,
            usage: None,
            external: false,
        }
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let fields = BTreeMap::from([("acount".to_owned(), "1".to_owned())]);
        let t = terms(&fields, None);
        let e = t.only(&["account", "region"]).unwrap_err();
        assert!(
            e.contains("`acount`") && e.contains("account, region"),
            "{e}"
        );
        assert!(t.required("region").unwrap_err().contains("`region`"));
        assert_eq!(t.required("acount"), Ok("1"));
    }

    #[test]
    fn specs_are_checked_against_what_the_cloud_offers() {
        let none = BTreeMap::new();
        assert_eq!(
            terms(&none, None).spec_must_be(SM4, "in cn-north-1"),
            Ok(SM4)
        );
        assert_eq!(terms(&none, Some("SM4")).spec_must_be(SM4, "x"), Ok(SM4));
        let e = terms(&none, Some("AES_256"))
            .spec_must_be(SM4, "in cn-north-1")
            .unwrap_err();
        assert!(e.contains("in cn-north-1") && e.contains("SM4"), "{e}");
        assert!(
            terms(&none, Some("aes"))
                .spec_must_be(AES_256, "x")
                .is_err()
        );
    }
}
