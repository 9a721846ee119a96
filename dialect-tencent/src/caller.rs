//! Who is calling: the account (from the SecretId's configured account, or the default) and
//! the region (`X-TC-Region`). Together they are the core tenant; keys never cross tenants.

use kms_core::TenantId;

use crate::account::Account;
use crate::error::{ErrorCode, TencentError};

#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) account: Account,
    pub(crate) region: String,
    pub(crate) tenant: TenantId,
}

/// Tencent region names (`ap-guangzhou`, `na-siliconvalley`, `ap-shanghai-fsi`) are short
/// lower-case words joined by hyphens.
fn well_formed(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 40
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Caller {
    /// KMS is a regional product: a request without a region cannot name a key space.
    pub(crate) fn new(account: Account, region: Option<&str>) -> Result<Caller, TencentError> {
        let region = region.ok_or_else(|| {
            TencentError::new(
                ErrorCode::MissingParameter,
                "The request is missing a required parameter `Region` (the X-TC-Region header).",
            )
        })?;
        let unsupported = || {
            TencentError::new(
                ErrorCode::UnsupportedRegion,
                format!(
                    "The region `{region}` is not supported: region names are lower-case letters, digits and hyphens, such as ap-guangzhou."
                ),
            )
        };
        if !well_formed(region) {
            return Err(unsupported());
        }
        // The dialect prefix keeps Tencent tenants apart from other dialects' over one store.
        let tenant =
            TenantId::new(format!("tencent/{account}/{region}")).map_err(|_| unsupported())?;
        Ok(Caller {
            account,
            region: region.to_owned(),
            tenant,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_name_the_tenant() {
        let c = Caller::new(Account::DEFAULT, Some("ap-guangzhou")).unwrap();
        assert_eq!(c.tenant.as_str(), "tencent/100000000001/ap-guangzhou");
        assert_eq!(
            Caller::new(Account::DEFAULT, None).unwrap_err().code,
            ErrorCode::MissingParameter
        );
        for bad in [
            "AP-GUANGZHOU",
            "ap guangzhou",
            "-ap",
            "ap/../x",
            &"a".repeat(41),
        ] {
            assert_eq!(
                Caller::new(Account::DEFAULT, Some(bad)).unwrap_err().code,
                ErrorCode::UnsupportedRegion,
                "{bad}"
            );
        }
    }
}
