//! Who is calling, as SigV4 tells: the account (from the access key id or the configured
//! default) and the region (from the credential scope). Together they are the core tenant,
//! and they name everything in ARNs.

use kms_core::{AliasName, KeyId, TenantId};

use crate::account::Account;
use crate::error::{AwsError, ErrorCode, KeyNamer};

#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) account: Account,
    pub(crate) region: String,
    pub(crate) tenant: TenantId,
}

/// Regions of the `aws-cn` partition, where SYMMETRIC_DEFAULT means SM4 and SM2 wrapping
/// keys are offered.
const CHINA_REGIONS: &[&str] = &["cn-north-1", "cn-northwest-1"];

impl Caller {
    pub(crate) fn new(account: Account, region: &str) -> Result<Caller, AwsError> {
        let well_formed = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(AwsError::new(
                ErrorCode::IncompleteSignatureException,
                format!("Credential scope names an invalid region '{region}'"),
            ));
        }
        // The dialect prefix keeps AWS tenants apart from other dialects' over one store.
        let tenant = TenantId::new(format!("aws/{account}/{region}")).map_err(|_| {
            AwsError::new(
                ErrorCode::IncompleteSignatureException,
                "invalid credential scope",
            )
        })?;
        Ok(Caller {
            account,
            region: region.to_owned(),
            tenant,
        })
    }

    pub(crate) fn is_china(&self) -> bool {
        CHINA_REGIONS.contains(&self.region.as_str())
    }

    pub(crate) fn partition(&self) -> &'static str {
        crate::regions::partition(&self.region)
    }

    /// The ARN of `resource` (`key/…`, `alias/…`) in the caller's account and region.
    pub(crate) fn arn(&self, resource: &str) -> String {
        format!(
            "arn:{}:kms:{}:{}:{resource}",
            self.partition(),
            self.region,
            self.account
        )
    }
}

impl KeyNamer for Caller {
    fn key_arn(&self, key_id: &KeyId) -> String {
        // One format, not the resource and then the ARN: this names the key in most answers.
        format!(
            "arn:{}:kms:{}:{}:key/{key_id}",
            self.partition(),
            self.region,
            self.account
        )
    }

    fn alias_arn(&self, alias: &AliasName) -> String {
        self.arn(alias.as_str())
    }
}
