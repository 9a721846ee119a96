//! AWS's public region names, for `aws.known_regions_only`: with it on, a typo such as
//! `us-est-1` is refused instead of quietly becoming a tenant of its own. The list is
//! botocore's `endpoints.json` (every partition: aws, aws-cn, aws-us-gov and the isolated
//! ones); AWS opening a region means adding its name here.

const KNOWN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

pub(crate) fn is_known(region: &str) -> bool {
    KNOWN.binary_search(&region).is_ok()
}

/// The partition ARNs name for `region`, by the prefixes of botocore's `partitions.json`
/// region patterns (`^us\-gov\-\w+\-\d+$` and so on); any other region is `aws`'s.
pub(crate) fn partition(region: &str) -> &'static str {
    const BY_PREFIX: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    BY_PREFIX
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_for_the_search_and_typos_are_unknown() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
        assert!(is_known("us-east-1") && is_known("cn-north-1") && is_known("us-gov-west-1"));
        assert!(!is_known("us-est-1") && !is_known("US-EAST-1") && !is_known(""));
    }

    #[test]
    fn every_known_region_has_its_partition() {
        let named = |r: &str| partition(r);
        assert_eq!(named("us-east-1"), "aws");
        assert_eq!(named("cn-northwest-1"), "aws-cn");
        assert_eq!(named("us-gov-west-1"), "aws-us-gov");
        assert_eq!(named("us-iso-east-1"), "aws-iso");
        assert_eq!(named("us-isob-east-1"), "aws-iso-b");
        assert_eq!(named("us-isof-south-1"), "aws-iso-f");
        assert_eq!(named("eu-isoe-west-1"), "aws-iso-e");
        assert_eq!(named("eusc-de-east-1"), "aws-eusc");
        // Every known region of an isolated partition is named for it.
        for r in KNOWN {
            let expected = match r.split('-').next() {
                Some("cn") => "aws-cn",
                Some("eusc") => "aws-eusc",
                _ if r.starts_with("us-gov-") => "aws-us-gov",
                _ if r.starts_with("us-isob-") => "aws-iso-b",
                _ if r.starts_with("us-isof-") => "aws-iso-f",
                _ if r.starts_with("us-iso-") => "aws-iso",
                _ if r.starts_with("eu-isoe-") => "aws-iso-e",
                _ => "aws",
            };
            assert_eq!(partition(r), expected, "{r}");
        }
    }
}
