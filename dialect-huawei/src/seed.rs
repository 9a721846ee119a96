//! Seed-file entries for Huawei: `project` names the tenant, `key_alias` is the name every
//! Huawei key is created with (required, as create-key requires it), and `aliases` are names
//! of the aliases API. Both AES_256 and SM4 keys are offered (AES_256 by default).

use dialect_kit::seed::{AES_256, SeedPlacement, SeedTerms};

use crate::caller::{Caller, ProjectId};
use crate::ops::aliases::alias_name;
use crate::ops::key_alias;

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
    Ok(SeedPlacement {
        tenant: caller.tenant.to_string(),
        aliases,
        spec: terms.spec_or(AES_256)?,
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
        })
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
