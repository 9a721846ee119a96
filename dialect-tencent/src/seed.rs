//! Seed-file entries for Tencent: `account` (the uin) and `region` name the tenant; every
//! Tencent key has exactly one alias (CreateKey requires it). `usage` is CreateKey's
//! KeyUsage: ENCRYPT_DECRYPT (the default) makes a symmetric key of the listener's edition's
//! spec (AES_256 for `fips`, SM4 for `sm`, which `spec` may name), an ASYMMETRIC_... usage the
//! key it names; only symmetric keys take imported material (Type 2).

use dialect_kit::seed::{AES_256, SM4, SeedPlacement, SeedTerms};

use crate::account::Account;
use crate::caller::Caller;
use crate::ops::key_usage::Usage;
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
    let (spec, usage) = match Usage::parse(terms.usage).map_err(|e| e.message)? {
        Usage::Symmetric => {
            let spec = match settings.edition {
                crate::edition::Edition::Fips => AES_256,
                crate::edition::Edition::Sm => SM4,
            };
            let spec = terms
                .spec_must_be(spec, "by this listener's tencent.edition")
                .map_err(|e| {
                    format!("{e}; an asymmetric key is named by its usage (ASYMMETRIC_...), without spec")
                })?;
            (spec, kms_core::KeyUsage::EncryptDecrypt.name())
        }
        Usage::Asymmetric(spec, usage) => {
            if let Some(given) = terms.spec {
                return Err(format!(
                    "spec {given:?} with usage {}: an asymmetric key's usage names its spec; leave spec out",
                    terms.usage.unwrap_or_default()
                ));
            }
            if terms.external {
                return Err(
                    "Tencent imports symmetric key material only (CreateKey Type 2 takes KeyUsage ENCRYPT_DECRYPT): an asymmetric key is generated"
                        .to_owned(),
                );
            }
            (spec.name(), usage.name())
        }
    };
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
        usage,
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
        place_with(settings, aliases, spec, None, false)
    }

    fn place_with(
        settings: &Settings,
        aliases: &[&str],
        spec: Option<&str>,
        usage: Option<&str>,
        external: bool,
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
                usage,
                external,
            },
        )
    }

    #[test]
    fn asymmetric_usages_name_their_key_and_are_generated() {
        let fips = Settings::default();
        let p = place_with(
            &fips,
            &["s"],
            None,
            Some("ASYMMETRIC_SIGN_VERIFY_ECC"),
            false,
        )
        .unwrap();
        assert_eq!((p.spec, p.usage), ("ECC_NIST_P256", "SIGN_VERIFY"));
        let p = place_with(&fips, &["d"], None, Some("ASYMMETRIC_DECRYPT_SM2"), false).unwrap();
        assert_eq!((p.spec, p.usage), ("SM2", "ENCRYPT_DECRYPT"));
        let p = place_with(&fips, &["e"], None, Some("ENCRYPT_DECRYPT"), true).unwrap();
        assert_eq!((p.spec, p.usage), (AES_256, "ENCRYPT_DECRYPT"));
        let usage = Some("ASYMMETRIC_DECRYPT_RSA_2048");
        assert!(
            place_with(&fips, &["x"], None, usage, true).is_err(),
            "no import"
        );
        assert!(place_with(&fips, &["x"], Some("RSA_2048"), usage, false).is_err());
        assert!(place_with(&fips, &["x"], None, Some("SIGN_VERIFY"), false).is_err());
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
