//! Seed-file entries for AWS: `account` and `region` name the tenant, aliases are
//! `alias/...` names as CreateAlias takes them, and the spec is what SYMMETRIC_DEFAULT means
//! in the region (SM4 in China regions, AES_256 elsewhere).

use dialect_kit::seed::{AES_256, SM4, SeedPlacement, SeedTerms};

use crate::account::Account;
use crate::caller::Caller;
use crate::key_ref::parse_alias_name;
use crate::settings::Settings;

pub(crate) fn placement(
    settings: &Settings,
    terms: &SeedTerms<'_>,
) -> Result<SeedPlacement, String> {
    terms.only(&["account", "region"])?;
    let account = terms.required("account")?;
    let account = Account::parse(account)
        .ok_or_else(|| format!("account {account:?} is not a 12-digit AWS account id"))?;
    let region = terms.required("region")?;
    if settings.known_regions_only && !crate::regions::is_known(region) {
        return Err(format!(
            "region {region:?} is not an AWS region (aws.known_regions_only is on)"
        ));
    }
    let caller = Caller::new(account, region).map_err(|e| e.message)?;
    let spec = if caller.is_china() { SM4 } else { AES_256 };
    let spec = terms.spec_must_be(spec, &format!("in {region}"))?;
    let aliases = terms
        .aliases
        .iter()
        .map(|a| {
            parse_alias_name(a)
                .map(|name| name.as_str().to_owned())
                .map_err(|e| e.message)
        })
        .collect::<Result<_, _>>()?;
    Ok(SeedPlacement {
        tenant: caller.tenant.to_string(),
        aliases,
        spec,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
        placement(
            &Settings::default(),
            &SeedTerms {
                fields: &fields,
                aliases: &aliases,
                spec,
            },
        )
    }

    const US: &[(&str, &str)] = &[("account", "111122223333"), ("region", "us-east-1")];

    #[test]
    fn a_tenant_is_an_account_and_a_region() {
        let p = place(US, &["alias/payments"], None).unwrap();
        assert_eq!(p.tenant, "aws/111122223333/us-east-1");
        assert_eq!(p.aliases, ["alias/payments"]);
        assert_eq!(p.spec, AES_256);
        let cn = place(
            &[("account", "111122223333"), ("region", "cn-north-1")],
            &[],
            None,
        );
        assert_eq!(cn.unwrap().spec, SM4);
    }

    #[test]
    fn what_aws_would_refuse_is_refused() {
        for (fields, aliases, spec) in [
            (
                &[("account", "1111"), ("region", "us-east-1")][..],
                &[][..],
                None,
            ),
            (&[("account", "111122223333")][..], &[][..], None),
            (
                &[
                    ("account", "111122223333"),
                    ("region", "us-east-1"),
                    ("project", "x"),
                ][..],
                &[][..],
                None,
            ),
            (US, &["payments"][..], None),
            (US, &["alias/aws/s3"][..], None),
            (US, &[][..], Some("SM4")),
        ] {
            assert!(
                place(fields, aliases, spec).is_err(),
                "{fields:?} {aliases:?} {spec:?}"
            );
        }
    }
}
