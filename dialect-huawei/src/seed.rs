//! Seed-file entries for Huawei: `project` names the tenant, `key_alias` is the name every
//! Huawei key is created with (required, as create-key requires it), and `aliases` are names
//! of the aliases API. `spec` and `usage` are create-key's `key_spec` (AES_256 by default,
//! SM4, RSA_2048, EC_P256, HMAC_256, ...) and `key_usage` (its default: ENCRYPT_DECRYPT for
//! symmetric keys, SIGN_VERIFY for asymmetric ones); external keys are those whose material
//! Huawei imports.

use dialect_kit::seed::{SeedPlacement, SeedTerms};
use kms_core::KeySpec;

use crate::caller::{Caller, ProjectId};
use crate::ops::aliases::alias_name;
use crate::ops::key_alias;
use crate::ops::keys::importable;
use crate::ops::wire_names::{KEY_SPECS, KEY_USAGES, default_usage, key_spec_name};

pub(crate) fn placement(terms: &SeedTerms<'_>) -> Result<SeedPlacement, String> {
    terms.only(&["project", "key_alias"])?;
    let project = terms.required("project")?;
    let project = ProjectId::parse(project)
        .ok_or_else(|| format!("project {project:?} is not a Huawei project id"))?;
    let caller = Caller::new(project).map_err(|e| e.message)?;
    let key_alias = terms
        .required("key_alias")
        .map_err(|e| format!("{e} (every Huawei key has one)"))?;
    let mut aliases = vec![
        key_alias::named(key_alias, "key_alias")
            .map_err(|e| e.message)?
            .as_str()
            .to_owned(),
    ];
    for alias in terms.aliases {
        aliases.push(
            alias_name("alias", alias)
                .map_err(|e| e.message)?
                .as_str()
                .to_owned(),
        );
    }
    let names = |list: &[(&str, _)]| list.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let spec = match terms.spec {
        None => KeySpec::Aes256,
        Some(name) => KEY_SPECS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                format!(
                    "spec {name:?} is not a Huawei key_spec ({})",
                    names(KEY_SPECS)
                )
            })?,
    };
    let usage = match terms.usage {
        None => default_usage(spec),
        Some(name) => KEY_USAGES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, u)| *u)
            .filter(|u| spec.allows(*u))
            .ok_or_else(|| {
                format!(
                    "usage {name:?} is not a key_usage of a {} key",
                    key_spec_name(spec)
                )
            })?,
    };
    if terms.external && !importable(spec) {
        return Err(format!(
            "origin external is not available for {} keys (Huawei imports material into AES_256, SM4, RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384 and SM2 keys)",
            key_spec_name(spec)
        ));
    }
    Ok(SeedPlacement {
        tenant: caller.tenant.to_string(),
        aliases,
        spec: spec.name(),
        usage: usage.name(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const PROJECT: &str = "0123456789abcdef0123456789abcdef";

    fn place(
        fields: &[(&str, &str)],
        aliases: &[&str],
        spec: Option<&str>,
    ) -> Result<SeedPlacement, String> {
        let fields: BTreeMap<String, String> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let aliases: Vec<String> = aliases.iter().map(|a| (*a).to_owned()).collect();
        placement(&SeedTerms {
            fields: &fields,
            aliases: &aliases,
            spec,
            usage: None,
            external: false,
        })
    }

    #[test]
    fn huawei_specs_and_usages_in_huawei_names() {
        let fields: BTreeMap<String, String> = [("project", PROJECT), ("key_alias", "k")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let place = |spec, usage, external| {
            placement(&SeedTerms {
                fields: &fields,
                aliases: &[],
                spec,
                usage,
                external,
            })
        };
        let p = place(Some("EC_P256"), None, true).unwrap();
        assert_eq!((p.spec, p.usage), ("ECC_NIST_P256", "SIGN_VERIFY"));
        let p = place(Some("RSA_3072"), Some("ENCRYPT_DECRYPT"), false).unwrap();
        assert_eq!((p.spec, p.usage), ("RSA_3072", "ENCRYPT_DECRYPT"));
        let p = place(Some("HMAC_SM3"), None, false).unwrap();
        assert_eq!((p.spec, p.usage), ("HMAC_SM3", "GENERATE_VERIFY_MAC"));
        let p = place(None, None, true).unwrap();
        assert_eq!((p.spec, p.usage), ("AES_256", "ENCRYPT_DECRYPT"));
        // Huawei names, Huawei's import list, a usage of the spec.
        assert!(place(Some("ECC_NIST_P256"), None, false).is_err());
        assert!(place(Some("HMAC_256"), None, true).is_err());
        assert!(place(Some("EC_P256"), Some("ENCRYPT_DECRYPT"), false).is_err());
    }

    #[test]
    fn the_key_alias_comes_first_in_its_own_namespace() {
        let p = place(
            &[("project", PROJECT), ("key_alias", "payments")],
            &["alias/pay"],
            Some("SM4"),
        )
        .unwrap();
        assert_eq!(p.aliases, ["#payments", "alias/pay"]);
        assert_eq!(p.spec, "SM4");
        assert!(p.tenant.contains(PROJECT), "{}", p.tenant);
    }

    #[test]
    fn what_huawei_would_refuse_is_refused() {
        assert!(place(&[("project", PROJECT)], &[], None).is_err());
        assert!(place(&[("key_alias", "k")], &[], None).is_err());
        assert!(
            place(
                &[("project", PROJECT), ("key_alias", "a/default")],
                &[],
                None
            )
            .is_err()
        );
        assert!(
            place(
                &[("project", PROJECT), ("key_alias", "k")],
                &["bad name"],
                None
            )
            .is_err()
        );
        assert!(
            place(
                &[("project", PROJECT), ("key_alias", "k"), ("region", "x")],
                &[],
                None
            )
            .is_err()
        );
    }
}
