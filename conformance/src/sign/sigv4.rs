//! AWS Signature Version 4 for the KMS JSON 1.1 protocol, as botocore signs it: `POST /`,
//! signed headers `content-type;host;x-amz-date;x-amz-target`.

use super::{Utc, hmac_sha256, sha256_hex};

#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

/// Canonical request over the given (already lower-case, sorted) signed headers.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    signed: &[(&str, &str)],
    body: &[u8],
) -> String {
    let mut headers = String::new();
    for (name, value) in signed {
        headers.push_str(&format!("{name}:{}\n", collapse(value)));
    }
    let names: Vec<&str> = signed.iter().map(|(n, _)| *n).collect();
    format!(
        "{method}\n{path}\n{query}\n{headers}\n{}\n{}",
        names.join(";"),
        sha256_hex(body)
    )
}

/// Trims and collapses inner runs of spaces, as SigV4 requires of header values.
fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

pub fn signature(secret: &str, date: &str, region: &str, service: &str, sts: &str) -> String {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"aws4_request");
    hex::encode(hmac_sha256(&k_signing, sts.as_bytes()))
}

/// The headers of a signed KMS call (`TrentService.<operation>`), Host included.
pub fn sign_kms(
    creds: &Credentials,
    host: &str,
    operation: &str,
    body: &[u8],
    now: u64,
) -> Vec<(String, String)> {
    let t = Utc::from_unix(now);
    let amz_date = t.basic();
    let target = format!("TrentService.{operation}");
    let content_type = "application/x-amz-json-1.1";
    let signed = [
        ("content-type", content_type),
        ("host", host),
        ("x-amz-date", amz_date.as_str()),
        ("x-amz-target", target.as_str()),
    ];
    let canonical = canonical_request("POST", "/", "", &signed, body);
    let scope = scope(&t.basic_date(), &creds.region, "kms");
    let sts = string_to_sign(&amz_date, &scope, &canonical);
    let sig = signature(
        &creds.secret_access_key,
        &t.basic_date(),
        &creds.region,
        "kms",
        &sts,
    );
    vec![
        ("Host".into(), host.into()),
        ("Content-Type".into(), content_type.into()),
        ("X-Amz-Date".into(), amz_date),
        ("X-Amz-Target".into(), target),
        (
            "Authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={sig}",
                creds.access_key_id
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::vectors::{all, header};

    #[test]
    fn matches_the_recorded_boto3_signature() {
        let v = &all()["aws"];
        let expected = v["canonical_request"].as_str().unwrap();
        let host = header(expected, "host");
        let date = header(expected, "x-amz-date");
        let signed = [
            ("content-type", "application/x-amz-json-1.1"),
            ("host", host),
            ("x-amz-date", date),
            ("x-amz-target", "TrentService.DescribeKey"),
        ];
        let body = v["body"].as_str().unwrap().as_bytes();
        let canonical = canonical_request("POST", "/", "", &signed, body);
        assert_eq!(canonical, expected);
        let sts = string_to_sign(date, &scope(&date[..8], "us-east-1", "kms"), &canonical);
        assert_eq!(sts, v["string_to_sign"].as_str().unwrap());
        let secret = v["secret_key"].as_str().unwrap();
        assert_eq!(
            signature(secret, &date[..8], "us-east-1", "kms", &sts),
            v["expected_signature"].as_str().unwrap()
        );
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(collapse("  a   b c "), "a b c");
    }
}
