//! Tencent Cloud's public region names, for `tencent.known_regions_only`: with it on, a typo
//! such as `ap-guanzhou` is refused with `UnsupportedRegion` instead of quietly becoming a
//! tenant of its own. The list is the one Tencent's API documents ("Request Structure",
//! service addresses), with the financial zones (`-fsi`); Tencent opening a region means
//! adding its name here.

const KNOWN: &[&str] = &[
    "ap-bangkok",
    "ap-beijing",
    "ap-beijing-fsi",
    "ap-chengdu",
    "ap-chongqing",
    "ap-guangzhou",
    "ap-hongkong",
    "ap-jakarta",
    "ap-mumbai",
    "ap-nanjing",
    "ap-seoul",
    "ap-shanghai",
    "ap-shanghai-fsi",
    "ap-shenzhen-fsi",
    "ap-singapore",
    "ap-tokyo",
    "eu-frankfurt",
    "eu-moscow",
    "na-ashburn",
    "na-siliconvalley",
    "na-toronto",
    "sa-saopaulo",
];

pub(crate) fn is_known(region: &str) -> bool {
    KNOWN.binary_search(&region).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_for_the_search_and_typos_are_unknown() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
        assert!(is_known("ap-guangzhou") && is_known("ap-shanghai-fsi"));
        assert!(!is_known("ap-guanzhou") && !is_known("AP-GUANGZHOU") && !is_known(""));
    }
}
