//! Seed-file entries for AWS: `account` and `region` name the tenant, aliases are
//! `alias/...` names as CreateAlias takes them. `spec` is a KeySpec as CreateKey takes it
//! (SYMMETRIC_DEFAULT, the default, is SM4 in China regions and AES_256 elsewhere, which may
//! also be named), and `usage` a KeyUsage, required for every key but symmetric encryption
//! keys, as CreateKey requires it.

use dialect_kit::seed::{AES_256, SM4, SeedPlacement, SeedTerms};
use kms_core::{KeyFamily, KeySpec, KeyUsage};

use crate::account::Account;
use crate::caller::Caller;
use crate::key_ref::parse_alias_name;
use crate::ops::algorithms;
use crate::settings::Settings;
use crate::wire_enum::{KeySpecWire, KeyUsageWire, WireEnum};

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
    let china = caller.is_china();
    let spec = match terms.spec {
        None | Some("SYMMETRIC_DEFAULT") => {
            if china {
                KeySpec::Sm4
            } else {
                KeySpec::Aes256
            }
        }
        Some(name) if name == AES_256 || name == SM4 => {
            let symmetric = if china { SM4 } else { AES_256 };
            terms.spec_must_be(symmetric, &format!("in {region}"))?;
            if china { KeySpec::Sm4 } else { KeySpec::Aes256 }
        }
        Some(name) => {
            let wire = KeySpecWire::from_wire(name).ok_or_else(|| {
                let emulated: Vec<&str> = KeySpecWire::VALUES
                    .iter()
                    .copied()
                    .filter(|v| {
                        KeySpecWire::from_wire(v)
                            .is_some_and(|w| algorithms::key_spec(w, true).is_ok())
                    })
                    .collect();
                format!(
                    "spec {name:?} is not an AWS KeySpec kmsgate emulates ({}, or {AES_256} / {SM4} for SYMMETRIC_DEFAULT)",
                    emulated.join(", ")
                )
            })?;
            algorithms::key_spec(wire, china).map_err(|e| e.message)?
        }
    };
    let usages = || {
        spec.usages()
            .iter()
            .map(|u| u.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let usage = match terms.usage {
        None if spec.family() == KeyFamily::Symmetric => KeyUsage::EncryptDecrypt,
        None => {
            return Err(format!(
                "usage is required for a {spec} key, as CreateKey requires KeyUsage for every key but symmetric encryption keys ({})",
                usages()
            ));
        }
        Some(name) => {
            let wire = KeyUsageWire::from_wire(name);
            if wire.is_some_and(|w| algorithms::aws_offers_unemulated(w, spec)) {
                return Err(format!(
                    "usage {name} of a {spec} key is not emulated by kmsgate"
                ));
            }
            wire.and_then(algorithms::key_usage)
                .filter(|u| spec.allows(*u))
                .ok_or_else(|| {
                    format!("usage {name:?} is not one of a {spec} key's ({})", usages())
                })?
        }
    };
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
        spec: spec.name(),
        usage: usage.name(),
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
        place_with(fields, aliases, spec, None)
    }

    fn place_with(
        fields: &[(&str, &str)],
        aliases: &[&str],
        spec: Option<&str>,
        usage: Option<&str>,
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
                usage,
                external: true,
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
    fn every_key_spec_aws_creates_is_seeded_with_a_usage_it_allows() {
        let p = place_with(US, &[], Some("RSA_2048"), Some("SIGN_VERIFY")).unwrap();
        assert_eq!((p.spec, p.usage), ("RSA_2048", "SIGN_VERIFY"));
        let p = place_with(US, &[], Some("HMAC_512"), Some("GENERATE_VERIFY_MAC")).unwrap();
        assert_eq!((p.spec, p.usage), ("HMAC_512", "GENERATE_VERIFY_MAC"));
        let p = place_with(US, &[], Some("SYMMETRIC_DEFAULT"), None).unwrap();
        assert_eq!((p.spec, p.usage), ("AES_256", "ENCRYPT_DECRYPT"));
        let cn = [("account", "111122223333"), ("region", "cn-north-1")];
        let p = place_with(&cn, &[], Some("SM2"), Some("ENCRYPT_DECRYPT")).unwrap();
        assert_eq!((p.spec, p.usage), ("SM2", "ENCRYPT_DECRYPT"));
        // As CreateKey: a usage is required but for symmetric keys, and must be the spec's.
        let e = place_with(US, &[], Some("ECC_NIST_P256"), None).unwrap_err();
        assert!(e.contains("usage is required"), "{e}");
        let e = place_with(US, &[], Some("ECC_NIST_P256"), Some("ENCRYPT_DECRYPT")).unwrap_err();
        assert!(e.contains("SIGN_VERIFY"), "{e}");
        assert!(place_with(US, &[], None, Some("SIGN_VERIFY")).is_err());
        assert!(place_with(US, &[], Some("RSA_2048"), Some("sign_verify")).is_err());
        // Refused for the spec itself, with a usage the spec would take.
        let e = place_with(US, &[], Some("SM2"), Some("SIGN_VERIFY")).unwrap_err();
        assert!(e.contains("China"), "{e}");
        let e = place_with(US, &[], Some("ML_DSA_44"), Some("SIGN_VERIFY")).unwrap_err();
        assert!(e.contains("ML_DSA_44"), "{e}");
        let e = place_with(US, &[], Some("ECC_NIST_P256"), Some("KEY_AGREEMENT")).unwrap_err();
        assert!(e.contains("not emulated"), "{e}");
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
            (US, &[][..], Some("RSA_1024")),
        ] {
            assert!(
                place(fields, aliases, spec).is_err(),
                "{fields:?} {aliases:?} {spec:?}"
            );
        }
    }
}
