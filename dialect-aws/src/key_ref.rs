//! The `KeyId`-like members: a key id, key ARN, alias name or alias ARN, parsed once into
//! what the core understands. Which forms an operation accepts is AWS's rule per operation.

use kms_core::{AliasName, KeyId};

use crate::account::Account;
use crate::caller::Caller;
use crate::error::{AwsError, ErrorCode};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyRef {
    Key(KeyId),
    Alias(AliasName),
}

/// Whether an operation takes aliases (cryptographic and read operations) or only keys
/// (management and import operations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepts {
    KeyOnly,
    KeyOrAlias,
}

fn not_found(text: &str) -> AwsError {
    AwsError::new(
        ErrorCode::NotFoundException,
        format!("Invalid keyId '{text}'"),
    )
}

fn invalid_arn(text: &str) -> AwsError {
    AwsError::new(
        ErrorCode::InvalidArnException,
        format!("ARN {text} is not a valid KMS ARN"),
    )
}

pub(crate) fn parse_key_ref(
    text: &str,
    caller: &Caller,
    accepts: Accepts,
) -> Result<KeyRef, AwsError> {
    let resource = if let Some(rest) = text.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [partition, service, region, account, resource] = parts[..] else {
            return Err(invalid_arn(text));
        };
        if !partition.starts_with("aws")
            || service != "kms"
            || region.is_empty()
            || account.len() != 12
        {
            return Err(invalid_arn(text));
        }
        // Keys of another account or region are simply not visible to this caller; another
        // region's ARN in AWS's words (LocalStack's snapshot test_get_key_in_different_region).
        if region != caller.region {
            return Err(AwsError::new(
                ErrorCode::NotFoundException,
                format!("Invalid arn {region}"),
            ));
        }
        if Account::parse(account) != Some(caller.account) {
            return Err(AwsError::new(
                ErrorCode::NotFoundException,
                format!("{text} does not exist in this account and region"),
            ));
        }
        if !(resource.starts_with("key/") || resource.starts_with("alias/")) {
            return Err(invalid_arn(text));
        }
        resource
    } else {
        text
    };
    if let Some(id) = resource.strip_prefix("key/") {
        return id.parse().map(KeyRef::Key).map_err(|_| not_found(text));
    }
    if resource.starts_with("alias/") {
        if accepts == Accepts::KeyOnly {
            return Err(not_found(text));
        }
        // A malformed alias in a KeyId member names no key: AWS answers NotFound there and
        // keeps InvalidAliasNameException for the AliasName member of alias operations.
        return parse_alias_name(resource)
            .map(KeyRef::Alias)
            .map_err(|_| not_found(text));
    }
    resource
        .parse()
        .map(KeyRef::Key)
        .map_err(|_| not_found(text))
}

/// `alias/` followed by letters, digits, `/`, `_` and `-`; `alias/aws/` is AWS's own.
pub(crate) fn parse_alias_name(text: &str) -> Result<AliasName, AwsError> {
    let invalid = |why: &str| {
        AwsError::new(
            ErrorCode::InvalidAliasNameException,
            format!("Alias {text} {why}"),
        )
    };
    let Some(rest) = text.strip_prefix("alias/") else {
        return Err(invalid("must begin with 'alias/'"));
    };
    if rest.is_empty()
        || text.len() > 256
        || !rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'))
    {
        return Err(invalid(
            "must be at most 256 characters of letters, digits, '/', '_' and '-'",
        ));
    }
    if rest.starts_with("aws/") {
        return Err(invalid(
            "is reserved: the alias/aws/ prefix belongs to AWS managed keys",
        ));
    }
    AliasName::new(text).map_err(|_| invalid("is malformed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KeyNamer;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn caller() -> Caller {
        Caller::new(Account::parse("111122223333").unwrap(), "us-east-1").unwrap()
    }

    #[test]
    fn every_accepted_form_parses() {
        let c = caller();
        let key = KeyRef::Key(ID.parse().unwrap());
        let alias = KeyRef::Alias(AliasName::new("alias/app/db").unwrap());
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{ID}");
        assert_eq!(parse_key_ref(ID, &c, Accepts::KeyOnly).unwrap(), key);
        assert_eq!(parse_key_ref(&arn, &c, Accepts::KeyOnly).unwrap(), key);
        assert_eq!(
            parse_key_ref("alias/app/db", &c, Accepts::KeyOrAlias).unwrap(),
            alias
        );
        assert_eq!(
            parse_key_ref(
                "arn:aws:kms:us-east-1:111122223333:alias/app/db",
                &c,
                Accepts::KeyOrAlias
            )
            .unwrap(),
            alias
        );
    }

    #[test]
    fn bad_forms_get_aws_errors() {
        let c = caller();
        let code = |text: &str, accepts| parse_key_ref(text, &c, accepts).unwrap_err().code;
        assert_eq!(
            code("alias/x", Accepts::KeyOnly),
            ErrorCode::NotFoundException
        );
        assert_eq!(
            code("nope", Accepts::KeyOrAlias),
            ErrorCode::NotFoundException
        );
        assert_eq!(
            code("arn:aws:kms:us-east-1", Accepts::KeyOrAlias),
            ErrorCode::InvalidArnException
        );
        assert_eq!(
            code(
                "arn:aws:s3:us-east-1:111122223333:key/x",
                Accepts::KeyOrAlias
            ),
            ErrorCode::InvalidArnException
        );
        assert_eq!(
            code(
                &format!("arn:aws:kms:eu-west-1:111122223333:key/{ID}"),
                Accepts::KeyOnly
            ),
            ErrorCode::NotFoundException
        );
        assert_eq!(
            code("alias/aws/s3", Accepts::KeyOrAlias),
            ErrorCode::NotFoundException
        );
        assert_eq!(
            code("alias/a b", Accepts::KeyOrAlias),
            ErrorCode::NotFoundException
        );
        assert_eq!(
            parse_alias_name("alias/aws/s3").unwrap_err().code,
            ErrorCode::InvalidAliasNameException
        );
    }

    #[test]
    fn china_arns_use_the_aws_cn_partition() {
        let c = Caller::new(Account::DEFAULT, "cn-north-1").unwrap();
        assert!(c.is_china());
        let id: KeyId = ID.parse().unwrap();
        assert_eq!(
            c.key_arn(&id),
            format!("arn:aws-cn:kms:cn-north-1:000000000000:key/{ID}")
        );
    }
}
