//! Huawei Cloud SDK-HMAC-SHA256, as huaweicloudsdkcore's signer computes it: the canonical
//! URI gets a trailing `/`, the key is the secret itself (no derivation, no scope).

use super::{Utc, hmac_sha256, sha256_hex};

#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub project_id: String,
}

/// What the Python SDK sends; it is signed, so any value works as long as it is the same.
pub const USER_AGENT: &str = "huaweicloud-usdk-python/3.0; kmsgate-conformance";

/// Percent-encodes each path segment (unreserved `A-Za-z0-9_.-~` kept) and appends `/`.
pub fn canonical_uri(path: &str) -> String {
    let mut uri: String = path
        .split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                        (b as char).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `signed` holds lower-case names, sorted, with their values as sent.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    signed: &[(&str, &str)],
    body: &[u8],
) -> String {
    let mut headers = String::new();
    for (name, value) in signed {
        headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let names: Vec<&str> = signed.iter().map(|(n, _)| *n).collect();
    format!(
        "{method}\n{}\n{query}\n{headers}\n{}\n{}",
        canonical_uri(path),
        names.join(";"),
        sha256_hex(body)
    )
}

pub fn string_to_sign(sdk_date: &str, canonical: &str) -> String {
    format!(
        "SDK-HMAC-SHA256\n{sdk_date}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

pub fn signature(secret_key: &str, sts: &str) -> String {
    hex::encode(hmac_sha256(secret_key.as_bytes(), sts.as_bytes()))
}

/// The headers of a signed JSON call, Host included. `path` is the request path as sent.
pub fn sign(
    creds: &Credentials,
    host: &str,
    method: &str,
    path: &str,
    body: &[u8],
    now: u64,
) -> Vec<(String, String)> {
    let sdk_date = Utc::from_unix(now).basic();
    let content_type = "application/json;charset=utf-8";
    let signed = [
        ("content-type", content_type),
        ("host", host),
        ("user-agent", USER_AGENT),
        ("x-project-id", creds.project_id.as_str()),
        ("x-sdk-date", sdk_date.as_str()),
    ];
    let canonical = canonical_request(method, path, "", &signed, body);
    let sig = signature(&creds.secret_key, &string_to_sign(&sdk_date, &canonical));
    vec![
        ("Host".into(), host.into()),
        ("Content-Type".into(), content_type.into()),
        ("User-Agent".into(), USER_AGENT.into()),
        ("X-Project-Id".into(), creds.project_id.clone()),
        ("X-Sdk-Date".into(), sdk_date),
        (
            "Authorization".into(),
            format!(
                "SDK-HMAC-SHA256 Access={}, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature={sig}",
                creds.access_key
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::vectors::{all, header};

    #[test]
    fn matches_the_recorded_sdk_signature() {
        let v = &all()["huawei"];
        let expected = v["canonical_request"].as_str().unwrap();
        let signed = [
            ("content-type", header(expected, "content-type")),
            ("host", header(expected, "host")),
            ("user-agent", header(expected, "user-agent")),
            ("x-project-id", header(expected, "x-project-id")),
            ("x-sdk-date", header(expected, "x-sdk-date")),
        ];
        let path = "/v1.0/0123456789abcdef0123456789abcdef/kms/describe-key";
        let body = v["body"].as_str().unwrap().as_bytes();
        let canonical = canonical_request("POST", path, "", &signed, body);
        assert_eq!(canonical, expected);
        let sts = string_to_sign(header(expected, "x-sdk-date"), &canonical);
        assert_eq!(sts, v["string_to_sign"].as_str().unwrap());
        assert_eq!(
            signature(v["secret_key"].as_str().unwrap(), &sts),
            v["expected_signature"].as_str().unwrap()
        );
    }

    #[test]
    fn the_canonical_uri_ends_with_a_slash_and_encodes_segments() {
        assert_eq!(canonical_uri("/v1.0/p/kms/x"), "/v1.0/p/kms/x/");
        assert_eq!(canonical_uri("/a b/"), "/a%20b/");
    }
}
