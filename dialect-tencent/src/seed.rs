//! Seed-file entries for Tencent: `account` (the uin) and `region` name the tenant; every
//! Tencent key has exactly one alias (CreateKey requires it), and its spec is the listener's
//! edition's (AES_256 for `fips`, SM4 for `sm`).

use dialect_kit::seed::{AES_256, SM4, SeedPlacement, SeedTerms};

use crate::account::Account;
use crate::caller::Caller;
use crate::ops::keys::alias_named;
use crate::settings::Settings;

pub(crate) fn placement(
    settings: &Settings,
    terms: &SeedTerms<'_>,
) -> Result<SeedPlacement, String> {
    terms.only(&["account", "region"])?;
    let uin = terms.required("account")?;
    let account = Account::parse(uin)
        .ok_or_else(|| format!("account {uin:?} is not a Tencent account id (uin)"))?;
    let region = terms.required("region")?;
    if settings.known_regions_only && !crate::regions::is_known(region) {
        return Err(format!(
            "region {region:?} is not a Tencent Cloud region (tencent.known_regions_only is on)"
        ));
    }
    let caller = Caller::new(account, Some(region)).map_err(|e| e.message)?;
    let spec = match settings.edition {
        crate::edition::Edition::Fips => AES_256,
        crate::edition::Edition::Sm => SM4,
    };
    let spec = terms.spec_must_be(spec, "by this listener's tencent.edition")?;
    let [alias] = terms.aliases else {
        return Err(format!(
            "a Tencent key has exactly one alias (CreateKey's Alias); this entry gives {}",
            terms.aliases.len()
        ));
    };
    let alias = alias_named(alias).map_err(|e| e.message)?;
    Ok(SeedPlacement {
        tenant: caller.tenant.to_string(),
        aliases: vec![alias.as_str().to_owned()],
        spec,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::edition::Edition;

    fn place(
        settings: &Settings,
        aliases: &[&str],
        spec: Option<&str>,
    ) -> Result<SeedPlacement, String> {
        let fields = BTreeMap::from([
            ("account".to_owned(), "100000000001".to_owned()),
            ("region".to_owned(), "ap-guangzhou".to_owned()),
        ]);
        let aliases: Vec<String> = aliases.iter().map(|a| (*a).to_owned()).collect();
        placement(
            settings,
            &SeedTerms {
                fields: &fields,
                aliases: &aliases,
                spec,
            },
        )
    }

    #[test]
    fn one_alias_and_the_edition_spec() {
        let p = place(&Settings::default(), &["payments"], None).unwrap();
        assert_eq!(p.tenant, "tencent/100000000001/ap-guangzhou");
        assert_eq!(p.aliases, ["payments"]);
        assert_eq!(p.spec, AES_256);
        let sm = Settings {
            edition: Edition::Sm,
            ..Settings::default()
        };
        assert_eq!(place(&sm, &["payments"], Some("SM4")).unwrap().spec, SM4);
        assert!(place(&sm, &["payments"], Some("AES_256")).is_err());
        assert!(place(&Settings::default(), &[], None).is_err());
        assert!(place(&Settings::default(), &["a", "b"], None).is_err());
        assert!(place(&Settings::default(), &["kms-reserved"], None).is_err());
    }
}
