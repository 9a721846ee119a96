//! Tencent Cloud TC3-HMAC-SHA256, as tencentcloud-sdk-python signs a POST: signed headers
//! `content-type;host`, scope `<date>/<service>/tc3_request`.

use super::{Utc, hmac_sha256, sha256_hex};

#[derive(Clone, Debug)]
pub struct Credentials {
    pub secret_id: String,
    pub secret_key: String,
    pub region: String,
}

pub const SERVICE: &str = "kms";
pub const VERSION: &str = "2019-01-18";
const CONTENT_TYPE: &str = "application/json";

pub fn canonical_request(content_type: &str, host: &str, body: &[u8]) -> String {
    format!(
        "POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{}",
        sha256_hex(body)
    )
}

pub fn string_to_sign(timestamp: u64, date: &str, canonical: &str) -> String {
    format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/{SERVICE}/tc3_request\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

pub fn signature(secret_key: &str, date: &str, sts: &str) -> String {
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, SERVICE.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    hex::encode(hmac_sha256(&secret_signing, sts.as_bytes()))
}

/// The headers of a signed call of `action`, Host included.
pub fn sign(
    creds: &Credentials,
    host: &str,
    action: &str,
    body: &[u8],
    now: u64,
) -> Vec<(String, String)> {
    let date = Utc::from_unix(now).extended_date();
    let canonical = canonical_request(CONTENT_TYPE, host, body);
    let sts = string_to_sign(now, &date, &canonical);
    let sig = signature(&creds.secret_key, &date, &sts);
    let mut headers = vec![
        ("Host".to_owned(), host.to_owned()),
        ("Content-Type".to_owned(), CONTENT_TYPE.to_owned()),
        ("X-TC-Action".to_owned(), action.to_owned()),
        ("X-TC-Version".to_owned(), VERSION.to_owned()),
        ("X-TC-Timestamp".to_owned(), now.to_string()),
        ("X-TC-Language".to_owned(), "en-US".to_owned()),
        (
            "Authorization".to_owned(),
            format!(
                "TC3-HMAC-SHA256 Credential={}/{date}/{SERVICE}/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
                creds.secret_id
            ),
        ),
    ];
    if !creds.region.is_empty() {
        headers.push(("X-TC-Region".to_owned(), creds.region.clone()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::vectors::{all, header};

    #[test]
    fn matches_the_recorded_sdk_signature() {
        let v = &all()["tencent"];
        let expected = v["canonical_request"].as_str().unwrap();
        let body = v["body"].as_str().unwrap().as_bytes();
        let canonical = canonical_request("application/json", header(expected, "host"), body);
        assert_eq!(canonical, expected);
        let want_sts = v["string_to_sign"].as_str().unwrap();
        let timestamp: u64 = want_sts.lines().nth(1).unwrap().parse().unwrap();
        let date = Utc::from_unix(timestamp).extended_date();
        let sts = string_to_sign(timestamp, &date, &canonical);
        assert_eq!(sts, want_sts);
        assert_eq!(
            signature(v["secret_key"].as_str().unwrap(), &date, &sts),
            v["expected_signature"].as_str().unwrap()
        );
    }
}
