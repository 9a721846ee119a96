//! TC3 as the official SDKs other than Python's really sign it (issue #14, item 2), from raw
//! requests built here with an independent signer, the way `tencentcloud-sdk-nodejs`
//! (`sign.ts`, `http_connection.ts`) and `tencentcloud-sdk-java` (`AbstractClient`) build
//! them for an endpoint such as `127.0.0.1:8412`:
//!
//! - both take the credential scope's service from the endpoint's first label
//!   (`endpoint.split(".")[0]`: `127` for an IP, `localhost:8412` for a name without dots);
//! - Node signs `host` as the URL's hostname, without the port, while its HTTP client sends
//!   `Host: 127.0.0.1:8412`; Java signs and sends the endpoint with its port, and signs
//!   `content-type: application/json; charset=utf-8`.
//!
//! Also here: what those signatures leave unbound (action and region), the opt-in
//! `tencent.require_signed_action`, the legacy signature's common parameters, and the trace
//! id echo.

use std::collections::BTreeMap;

use dialect_kit::Dialect;
use dialect_tencent::{Account, Credential, InvalidSettings, Settings};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::*;

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// What one SDK signs and sends.
#[derive(Clone)]
struct Sdk<'a> {
    content_type: &'a str,
    /// The `Host` header on the wire.
    wire_host: &'a str,
    /// The `host` value in the canonical request.
    signed_host: &'a str,
    /// The scope's service the signing key is derived with.
    service: &'a str,
    /// The scope's service written in `Credential=`, when it differs (a forgery).
    claimed_service: Option<&'a str>,
    /// Signed besides `content-type` and `host` (lower-case names), with the signed values.
    signed_extra: Vec<(&'a str, &'a str)>,
    secret: &'a str,
}

/// `tencentcloud-sdk-nodejs` with `endpoint: "127.0.0.1:8412"`, `protocol: "http://"`.
fn node() -> Sdk<'static> {
    Sdk {
        content_type: "application/json",
        wire_host: "127.0.0.1:8412",
        signed_host: "127.0.0.1",
        service: "127",
        claimed_service: None,
        signed_extra: Vec::new(),
        secret: SECRET_KEY,
    }
}

/// `tencentcloud-sdk-java` with `setEndpoint("127.0.0.1:8412")`.
fn java() -> Sdk<'static> {
    Sdk {
        content_type: "application/json; charset=utf-8",
        wire_host: "127.0.0.1:8412",
        signed_host: "127.0.0.1:8412",
        service: "127",
        claimed_service: None,
        signed_extra: Vec::new(),
        secret: SECRET_KEY,
    }
}

impl Sdk<'_> {
    /// A TC3 POST of `action` in `region`, signed at `timestamp`.
    fn request_at(
        &self,
        action: &str,
        region: &str,
        body: &Value,
        timestamp: u64,
    ) -> http::Request<Vec<u8>> {
        let payload = body.to_string().into_bytes();
        let mut signed = vec![
            ("content-type", self.content_type),
            ("host", self.signed_host),
        ];
        signed.extend(self.signed_extra.iter().copied());
        signed.sort();
        let canonical_headers: String = signed.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let signed_names = signed.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(";");
        let canonical = format!(
            "POST\n/\n\n{canonical_headers}\n{signed_names}\n{}",
            sha256_hex(&payload)
        );
        let date = dialect_tencent::tc3::utc_date(timestamp);
        let scope = format!("{date}/{}/tc3_request", self.service);
        let to_sign = format!(
            "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let k_date = hmac(format!("TC3{}", self.secret).as_bytes(), &date);
        let k_service = hmac(&k_date, self.service);
        let k_signing = hmac(&k_service, "tc3_request");
        let signature = hex::encode(hmac(&k_signing, &to_sign));
        let claimed = self.claimed_service.unwrap_or(self.service);
        http::Request::post("/")
            .header("content-type", self.content_type)
            .header("host", self.wire_host)
            .header("x-tc-action", action)
            .header("x-tc-region", region)
            .header("x-tc-timestamp", timestamp.to_string())
            .header("x-tc-version", "2019-01-18")
            .header("x-tc-requestclient", "SDK_NODEJS_4.0.0")
            .header(
                "authorization",
                format!(
                    "TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/{claimed}/tc3_request, SignedHeaders={signed_names}, Signature={signature}"
                ),
            )
            .body(payload)
            .unwrap()
    }

    fn request(&self, action: &str, body: &Value) -> http::Request<Vec<u8>> {
        self.request_at(action, REGION, body, CAPTURE_TIME.as_secs())
    }
}

fn strict_settings() -> Settings {
    let mut credentials = BTreeMap::new();
    credentials.insert(
        SECRET_ID.to_owned(),
        Credential {
            secret_key: SECRET_KEY.to_owned(),
            account: Some(Account::DEFAULT),
        },
    );
    Settings {
        strict_auth: true,
        credentials,
        ..Settings::default()
    }
}

fn strict() -> Harness {
    harness_with(strict_settings())
}

fn code_of(h: &Harness, request: http::Request<Vec<u8>>) -> String {
    envelope(h.dialect.handle(request)).code().to_owned()
}

#[test]
fn node_and_java_signatures_for_an_ip_endpoint_verify() {
    let h = strict();
    let create = |alias: &str| json!({ "Alias": alias });
    assert_eq!(
        code_of(&h, node().request("CreateKey", &create("node"))),
        ""
    );
    assert_eq!(
        code_of(&h, java().request("CreateKey", &create("java"))),
        ""
    );
    // A name without dots is its own first label, port included.
    let localhost = Sdk {
        wire_host: "localhost:8412",
        signed_host: "localhost",
        service: "localhost:8412",
        ..node()
    };
    assert_eq!(
        code_of(&h, localhost.request("CreateKey", &create("localhost"))),
        ""
    );
    let ipv6 = Sdk {
        wire_host: "[::1]:8412",
        signed_host: "[::1]",
        service: "[::1]:8412",
        ..node()
    };
    assert_eq!(code_of(&h, ipv6.request("CreateKey", &create("ipv6"))), "");
    // The Python SDK's shape (service kms, host as sent) still verifies.
    let python = Sdk {
        signed_host: "127.0.0.1:8412",
        service: "kms",
        ..node()
    };
    assert_eq!(
        code_of(&h, python.request("CreateKey", &create("python"))),
        ""
    );
}

#[test]
fn the_host_service_and_secret_are_still_verified() {
    let h = strict();
    let failure = "AuthFailure.SignatureFailure";
    let list = |sdk: Sdk<'_>| code_of(&h, sdk.request("ListKeys", &json!({})));
    assert_eq!(
        list(Sdk {
            secret: "wrong",
            ..node()
        }),
        failure
    );
    // Another host, with or without a port, is another host.
    assert_eq!(
        list(Sdk {
            signed_host: "127.0.0.2",
            ..node()
        }),
        failure
    );
    assert_eq!(
        list(Sdk {
            signed_host: "127.0.0.1:9999",
            ..node()
        }),
        failure
    );
    assert_eq!(
        list(Sdk {
            signed_host: "127.0.0.1:8412",
            wire_host: "127.0.0.1",
            ..node()
        }),
        failure
    );
    // A port is only ever dropped from what was sent, never added.
    assert_eq!(
        list(Sdk {
            signed_host: "127.0.0.1",
            wire_host: "127.0.0.1",
            ..node()
        }),
        ""
    );
    // The service is part of the signing key: changing it in the header breaks the signature.
    assert_eq!(
        list(Sdk {
            claimed_service: Some("kms"),
            ..node()
        }),
        failure
    );
    assert_eq!(
        list(Sdk {
            service: "kms",
            claimed_service: Some("127"),
            ..node()
        }),
        failure
    );
}

/// As the SDKs sign TC3 (`content-type;host`), the action and region headers are not covered:
/// a signed DescribeKey can be resent as DisableKey while its timestamp is valid. Documented,
/// and what `tencent.require_signed_action` is for.
#[test]
fn sdk_signatures_do_not_bind_the_action_or_region() {
    let h = strict();
    let key = h.create_key("victim", 1);
    let (mut parts, body) = node()
        .request("DescribeKey", &json!({ "KeyId": key }))
        .into_parts();
    parts
        .headers
        .insert("x-tc-action", "DisableKey".parse().unwrap());
    assert_eq!(code_of(&h, http::Request::from_parts(parts, body)), "");
    assert_eq!(h.describe(&key)["KeyState"], "Disabled");
}

fn requiring_signed_action() -> Harness {
    harness_with(Settings {
        require_signed_action: true,
        ..strict_settings()
    })
}

#[test]
fn require_signed_action_refuses_signatures_that_leave_them_out() {
    let h = requiring_signed_action();
    let reply = envelope(h.dialect.handle(node().request("ListKeys", &json!({}))));
    assert_eq!(reply.code(), "AuthFailure.InvalidAuthorization");
    let message = reply.response()["Error"]["Message"].as_str().unwrap();
    assert!(
        message.contains("x-tc-action") && message.contains("tencent.require_signed_action"),
        "{message}"
    );
    let only_action = Sdk {
        signed_extra: vec![("x-tc-action", "ListKeys")],
        ..node()
    };
    assert_eq!(
        code_of(&h, only_action.request("ListKeys", &json!({}))),
        "AuthFailure.InvalidAuthorization"
    );
    // Routing signed, but the body left unsigned: as open, refused by the same setting.
    let routed = Sdk {
        signed_extra: vec![("x-tc-action", "ListKeys"), ("x-tc-region", REGION)],
        ..node()
    };
    let (mut parts, body) = routed.request("ListKeys", &json!({})).into_parts();
    parts
        .headers
        .insert("x-tc-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    let reply = envelope(h.dialect.handle(http::Request::from_parts(parts, body)));
    assert_eq!(reply.code(), "AuthFailure.InvalidAuthorization");
    let message = reply.response()["Error"]["Message"].as_str().unwrap();
    assert!(message.contains("UNSIGNED-PAYLOAD"), "{message}");
}

#[test]
fn require_signed_action_binds_action_and_region() {
    let h = requiring_signed_action();
    let signing = |action: &'static str| Sdk {
        signed_extra: vec![("x-tc-action", action), ("x-tc-region", REGION)],
        ..node()
    };
    let created = envelope(
        h.dialect
            .handle(signing("CreateKey").request("CreateKey", &json!({ "Alias": "bound" }))),
    );
    assert_eq!(created.code(), "", "{}", created.body);
    let key = created.response()["KeyId"].as_str().unwrap().to_owned();
    let describe = signing("DescribeKey").request("DescribeKey", &json!({ "KeyId": key }));
    let resend = |name: &str, value: &str| {
        let (mut parts, body) = describe.clone().into_parts();
        parts.headers.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        code_of(&h, http::Request::from_parts(parts, body))
    };
    assert_eq!(
        resend("x-tc-action", "DisableKey"),
        "AuthFailure.SignatureFailure"
    );
    assert_eq!(
        resend("x-tc-region", "ap-shanghai"),
        "AuthFailure.SignatureFailure"
    );
    assert_eq!(resend("x-tc-action", "DescribeKey"), "");
    assert_eq!(code_of(&h, describe), "");
}

#[test]
fn require_signed_action_needs_strict_auth() {
    let loose = Settings {
        require_signed_action: true,
        ..Settings::default()
    };
    assert_eq!(
        dialect_kit::DialectSettings::validate(&loose),
        Err(InvalidSettings::RequireSignedActionWithoutStrictAuth)
    );
    assert_eq!(
        dialect_kit::DialectSettings::validate(&Settings {
            require_signed_action: true,
            ..strict_settings()
        }),
        Ok(())
    );
}

/// The legacy signature (HmacSHA1/HmacSHA256) covers Action, Region, Version and Timestamp as
/// parameters; an `X-TC-*` header must not stand in for them unsigned.
#[test]
fn legacy_signed_parameters_cannot_be_overridden_by_headers() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/captures/047_unknown_unknown_full.json"
    );
    let capture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let r = &capture["request"];
    let request = |extra: Option<(&str, &str)>| {
        let mut b = http::Request::builder()
            .method(r["method"].as_str().unwrap())
            .uri(r["path"].as_str().unwrap());
        for h in r["headers"].as_array().unwrap() {
            b = b.header(h[0].as_str().unwrap(), h[1].as_str().unwrap());
        }
        if let Some((name, value)) = extra {
            b = b.header(name, value);
        }
        b.body(r["body_raw"].as_str().unwrap().as_bytes().to_vec())
            .unwrap()
    };
    let h = strict();
    // As recorded: verifies (and the key does not exist).
    assert_eq!(
        code_of(&h, request(None)),
        "ResourceUnavailable.CmkNotFound"
    );
    for header in [
        ("x-tc-action", "ListKeys"),
        ("x-tc-region", "ap-shanghai"),
        ("x-tc-version", "2017-03-12"),
        ("x-tc-timestamp", "1795339999"),
    ] {
        assert_eq!(
            code_of(&h, request(Some(header))),
            "AuthFailure.SignatureFailure",
            "{header:?}"
        );
    }
    // The same values the signature covers are harmless.
    assert_eq!(
        code_of(&h, request(Some(("x-tc-action", "DescribeKey")))),
        "ResourceUnavailable.CmkNotFound"
    );
}

#[test]
fn the_trace_id_is_echoed_when_it_is_safe_to() {
    let h = harness();
    let trace = |value: Option<&[u8]>, action: &str| {
        let mut request = Call::new(action, json!({})).request();
        if let Some(v) = value {
            request
                .headers_mut()
                .insert("x-tc-traceid", http::HeaderValue::from_bytes(v).unwrap());
        }
        let response = h.dialect.handle(request);
        response
            .headers()
            .get("x-tc-traceid")
            .map(|v| v.as_bytes().to_vec())
    };
    let id = b"8c55cc7a-6202-453c-8cec-a12b5d28ae59";
    assert_eq!(trace(Some(id), "ListKeys").as_deref(), Some(&id[..]));
    // Errors carry it too.
    assert_eq!(trace(Some(id), "NoSuchAction").as_deref(), Some(&id[..]));
    assert_eq!(trace(None, "ListKeys"), None);
    let long = vec![b'a'; 129];
    assert_eq!(trace(Some(&long), "ListKeys"), None);
    assert_eq!(
        trace(Some(&long[..128]), "ListKeys").as_deref(),
        Some(&long[..128])
    );
    for bad in [&b"has space"[..], b"tab\there", b"\xe4\xb8\xad", b""] {
        assert_eq!(trace(Some(bad), "ListKeys"), None, "{bad:?}");
    }
}
