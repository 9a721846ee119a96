//! The error surface: envelope, platform codes (action, version, region, auth, parameters),
//! quotas, tenants, and server-side failures.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dialect_kit::{Dialect, Edge};
use dialect_tencent::{Account, Credential, QuotaSettings, Settings};
use kms_core::store::Change;
use kms_core::{AliasName, KeyId, KeyStore, StoreError, TenantId};
use serde_json::json;

use crate::support::*;

fn raw(h: &Harness, request: http::Request<Vec<u8>>) -> Reply {
    envelope(h.dialect.handle(request))
}

#[test]
fn platform_codes_for_action_version_and_region() {
    let h = harness();
    let send = |c: Call<'_>| h.send(&c).code().to_owned();
    assert_eq!(send(Call::new("NoSuchThing", json!({}))), "InvalidAction");
    assert_eq!(
        send(Call::new("ArchiveKey", json!({}))),
        "UnsupportedOperation"
    );
    assert_eq!(
        send(Call {
            version: "2017-03-12",
            ..Call::new("DescribeKey", json!({}))
        }),
        "NoSuchVersion"
    );
    assert_eq!(
        send(Call {
            region: None,
            ..Call::new("ListKeys", json!({}))
        }),
        "MissingParameter"
    );
    assert_eq!(
        send(Call {
            region: Some("Ap Guangzhou"),
            ..Call::new("ListKeys", json!({}))
        }),
        "UnsupportedRegion"
    );
    assert_eq!(send(Call::new("ListKeys", json!({}))), "");
}

#[test]
fn authentication_failures() {
    let h = harness();
    let base = || Call::new("ListKeys", json!({})).request();
    let with_auth = |value: &str| {
        let mut r = base();
        r.headers_mut()
            .insert("authorization", value.parse().unwrap());
        r
    };
    let mut unsigned = base();
    unsigned.headers_mut().remove("authorization");
    assert_eq!(raw(&h, unsigned).code(), "AuthFailure.InvalidAuthorization");
    assert_eq!(
        raw(&h, with_auth("TC3-HMAC-SHA256 Credential=x")).code(),
        "AuthFailure.InvalidAuthorization"
    );
    let mut no_ts = base();
    no_ts.headers_mut().remove("x-tc-timestamp");
    assert_eq!(raw(&h, no_ts).code(), "AuthFailure.InvalidAuthorization");
    // Stale or future timestamps are refused in every mode, by the real clock.
    let now = CAPTURE_TIME.as_secs();
    for ts in [now - 301, now + 301] {
        let c = Call {
            timestamp: ts,
            ..Call::new("ListKeys", json!({}))
        };
        assert_eq!(h.send(&c).code(), "AuthFailure.SignatureExpire", "{ts}");
    }
    for ts in [now - 300, now + 300] {
        let c = Call {
            timestamp: ts,
            ..Call::new("ListKeys", json!({}))
        };
        assert_eq!(h.send(&c).code(), "", "{ts}");
    }
    // The emulated clock moving on does not age signatures.
    h.clock.advance(Duration::from_secs(86_400 * 30));
    assert_eq!(h.call("ListKeys", json!({})).code(), "");
    // Lenient mode: any secret passes.
    let c = Call {
        secret: "whatever",
        ..Call::new("ListKeys", json!({}))
    };
    assert_eq!(h.send(&c).code(), "");

    let mut credentials = BTreeMap::new();
    credentials.insert(
        "AKIDstrict".to_owned(),
        Credential {
            secret_key: "right".into(),
            account: Some(Account::DEFAULT),
        },
    );
    let strict = harness_with(Settings {
        strict_auth: true,
        credentials,
        ..Settings::default()
    });
    let code = |secret_id, secret| {
        let c = Call {
            secret_id,
            secret,
            ..Call::new("ListKeys", json!({}))
        };
        strict.send(&c).code().to_owned()
    };
    assert_eq!(code("AKIDstrict", "right"), "");
    assert_eq!(code("AKIDstrict", "wrong"), "AuthFailure.SignatureFailure");
    assert_eq!(code("AKIDSTRICT", "right"), "AuthFailure.SecretIdNotFound");
}

#[test]
fn tenants_are_account_and_region() {
    let mut credentials = BTreeMap::new();
    for (id, uin) in [("AKIDa", "300000000003"), ("AKIDb", "400000000004")] {
        credentials.insert(
            id.to_owned(),
            Credential {
                secret_key: "s".into(),
                account: Some(Account::parse(uin).unwrap()),
            },
        );
    }
    let h = harness_with(Settings {
        credentials,
        ..Settings::default()
    });
    let create = Call {
        secret_id: "AKIDa",
        ..Call::new("CreateKey", json!({ "Alias": "mine" }))
    };
    let key = h.send(&create).response()["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let describe = |secret_id, region| {
        let c = Call {
            secret_id,
            region: Some(region),
            ..Call::new("DescribeKey", json!({ "KeyId": key }))
        };
        h.send(&c)
    };
    let mine = describe("AKIDa", REGION);
    assert_eq!(
        mine.response()["KeyMetadata"]["CreatorUin"],
        300_000_000_003u64
    );
    assert_eq!(
        describe("AKIDb", REGION).code(),
        "ResourceUnavailable.CmkNotFound"
    );
    assert_eq!(
        describe("AKIDa", "ap-shanghai").code(),
        "ResourceUnavailable.CmkNotFound"
    );
    // An unconfigured SecretId acts for the default account.
    assert_eq!(
        describe("AKIDother", REGION).code(),
        "ResourceUnavailable.CmkNotFound"
    );
    // Aliases are per tenant too.
    let again = Call {
        secret_id: "AKIDb",
        ..Call::new("CreateKey", json!({ "Alias": "mine" }))
    };
    assert_eq!(h.send(&again).code(), "");
}

#[test]
fn parameters_are_typed_and_known() {
    let h = harness();
    h.err("DescribeKey", json!({}), "MissingParameter");
    h.err("DescribeKey", json!({ "KeyId": "" }), "MissingParameter");
    h.err("DescribeKey", json!({ "KeyId": 5 }), "InvalidParameter");
    h.err(
        "DescribeKey",
        json!({ "KeyId": "nope" }),
        "InvalidParameterValue.InvalidKeyId",
    );
    h.err(
        "DescribeKey",
        json!({ "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Extra": 1 }),
        "UnknownParameter",
    );
    h.err("ListKeys", json!({ "Limit": "10" }), "InvalidParameter");
    h.err("ListKeys", json!({ "Limit": 201 }), "InvalidParameterValue");
    h.err(
        "DescribeKey",
        json!({ "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "MemberAccount": { "MemberUin": 1 } }),
        "UnsupportedOperation",
    );
    // Bodies that are not JSON objects, after authentication.
    let mut r = Call::new("ListKeys", json!({})).request();
    *r.body_mut() = b"[1]".to_vec();
    assert_eq!(raw(&h, r).code(), "InvalidParameter");
    let mut r = Call::new("ListKeys", json!({})).request();
    *r.body_mut() = b"{".to_vec();
    assert_eq!(raw(&h, r).code(), "InvalidParameter");
    // The GET form carries flattened text parameters.
    let key = h.create_key("get", 1);
    let mut r = Call::new("DescribeKeys", json!({})).request();
    *r.method_mut() = http::Method::GET;
    *r.uri_mut() = format!("/?KeyIds.0={key}").parse().unwrap();
    r.body_mut().clear();
    let reply = raw(&h, r);
    assert_eq!(
        reply.response()["KeyMetadatas"][0]["KeyId"],
        key,
        "{:?}",
        reply.body
    );
}

#[test]
fn import_key_material_is_limited_to_10_per_second_per_tenant() {
    let h = harness_with(Settings::default());
    let key = h.create_key("q", 2);
    let body = json!({ "KeyId": key, "ImportToken": b64(&[1; 300]), "EncryptedKeyMaterial": b64(&[2; 256]) });
    for _ in 0..10 {
        // Each fails on its own merits (a made-up token), but counts.
        h.err("ImportKeyMaterial", body.clone(), "InvalidParameter");
    }
    h.err("ImportKeyMaterial", body.clone(), "RequestLimitExceeded");
    // Another region is another tenant; other actions are not limited.
    assert_eq!(
        h.call_in("ap-shanghai", "ImportKeyMaterial", body.clone())
            .code(),
        "ResourceUnavailable.CmkNotFound"
    );
    h.ok("DescribeKey", json!({ "KeyId": key }));
    // The next second of the quota clock is a fresh window.
    h.clock.advance(Duration::from_secs(1));
    h.err("ImportKeyMaterial", body, "InvalidParameter");
}

#[test]
fn quota_limits_are_configurable() {
    let mut limits = std::collections::BTreeMap::new();
    limits.insert(dialect_tencent::Action::GenerateRandom, 2);
    let h = harness_with(Settings {
        quotas: QuotaSettings {
            limits,
            window_secs: 60,
            ..QuotaSettings::default()
        },
        ..Settings::default()
    });
    h.ok("GenerateRandom", json!({ "NumberOfBytes": 8 }));
    h.ok("GenerateRandom", json!({ "NumberOfBytes": 8 }));
    h.err(
        "GenerateRandom",
        json!({ "NumberOfBytes": 8 }),
        "RequestLimitExceeded",
    );
    // Windows are aligned to multiples of their length: the clock is 32 s into one.
    assert_eq!(h.now_secs() % 60, 32);
    h.clock.advance(Duration::from_millis(27_999));
    h.err(
        "GenerateRandom",
        json!({ "NumberOfBytes": 8 }),
        "RequestLimitExceeded",
    );
    h.clock.advance(Duration::from_millis(1));
    h.ok("GenerateRandom", json!({ "NumberOfBytes": 8 }));
}

/// A store whose every call fails, as a broken disk would.
#[derive(Debug)]
struct BrokenStore;

fn broken() -> StoreError {
    StoreError::new("broken", std::io::Error::other("disk on fire"))
}

impl KeyStore for BrokenStore {
    fn get(&self, _: &TenantId, _: &KeyId) -> Result<Option<Vec<u8>>, StoreError> {
        Err(broken())
    }
    fn update(
        &self,
        _: &TenantId,
        _: &KeyId,
        _: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        Err(broken())
    }
    fn list(
        &self,
        _: &TenantId,
        _: Option<&KeyId>,
        _: usize,
    ) -> Result<Vec<(KeyId, Vec<u8>)>, StoreError> {
        Err(broken())
    }
    fn all_keys(&self) -> Result<Vec<(TenantId, KeyId)>, StoreError> {
        Err(broken())
    }
    fn all_aliases(&self) -> Result<Vec<(TenantId, AliasName)>, StoreError> {
        Err(broken())
    }
    fn get_alias(&self, _: &TenantId, _: &AliasName) -> Result<Option<Vec<u8>>, StoreError> {
        Err(broken())
    }
    fn update_alias(
        &self,
        _: &TenantId,
        _: &AliasName,
        _: &mut dyn FnMut(Option<&[u8]>) -> Change,
    ) -> Result<(), StoreError> {
        Err(broken())
    }
    fn list_aliases(
        &self,
        _: &TenantId,
        _: Option<&AliasName>,
        _: usize,
    ) -> Result<Vec<(AliasName, Vec<u8>)>, StoreError> {
        Err(broken())
    }
    fn flush(&self) -> Result<(), StoreError> {
        Err(broken())
    }
    fn get_meta(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err(broken())
    }
    fn put_meta(&self, _: &str, _: &[u8]) -> Result<(), StoreError> {
        Err(broken())
    }
    fn clear(&self, _: Option<&TenantId>) -> Result<kms_core::ClearReport, StoreError> {
        Err(broken())
    }
}

#[test]
fn a_failing_store_is_an_internal_error_that_names_no_detail() {
    let h = harness_over(Arc::new(BrokenStore), Settings::default());
    let reply = h.call("CreateKey", json!({ "Alias": "x" }));
    assert_eq!(reply.code(), "InternalError");
    assert!(!reply.body.to_string().contains("fire"));
    assert_eq!(h.call("ListKeys", json!({})).code(), "InternalError");
}

#[test]
fn the_servers_own_answers_are_in_the_envelope() {
    let h = harness();
    let d = &h.dialect;
    assert_eq!(
        envelope(d.edge(Edge::BodyTooLarge { limit: 10 })).code(),
        "RequestSizeLimitExceeded"
    );
    assert_eq!(
        envelope(d.edge(Edge::BadRequest {
            reason: "broken body"
        }))
        .code(),
        "InvalidParameter"
    );
    assert_eq!(
        envelope(d.edge(Edge::InternalError)).code(),
        "InternalError"
    );
    assert_eq!(
        envelope(d.edge(Edge::TimedOut)).code(),
        "UnsupportedOperation.ServiceTemporaryUnavailable"
    );
}

#[test]
fn with_known_regions_only_a_region_typo_is_refused() {
    let lenient = harness();
    assert_eq!(
        lenient.call_in("ap-guanzhou", "ListKeys", json!({})).code(),
        "",
        "off by default: any well-formed region is a tenant"
    );
    let h = harness_with(Settings {
        known_regions_only: true,
        ..Settings::default()
    });
    let typo = h.call_in("ap-guanzhou", "ListKeys", json!({}));
    assert_eq!(typo.code(), "UnsupportedRegion");
    for region in ["ap-guangzhou", "ap-shanghai-fsi", "eu-frankfurt"] {
        assert_eq!(
            h.call_in(region, "ListKeys", json!({})).code(),
            "",
            "{region}"
        );
    }
}

#[test]
fn every_answer_carries_a_summary_and_foreign_requests_get_a_400() {
    let h = harness();
    let created = h
        .dialect
        .handle(Call::new("CreateKey", json!({ "Alias": "logged" })).request());
    let s = dialect_kit::Summary::of(&created).unwrap().clone();
    assert_eq!(s.operation, Some("CreateKey"));
    assert_eq!(
        s.tenant.as_deref(),
        Some(&*format!("tencent/{}/{REGION}", Account::DEFAULT))
    );
    assert!(s.key_id.is_some());
    assert_eq!(s.error_code, None);
    assert!(s.request_id.is_some());
    let unknown = h
        .dialect
        .handle(Call::new("NoSuchAction", json!({})).request());
    let s = dialect_kit::Summary::of(&unknown).unwrap();
    assert_eq!(s.operation, None, "only routed names become labels");
    assert_eq!(s.error_code, Some("InvalidAction"));
    assert_eq!(
        unknown.status(),
        200,
        "Tencent's own clients read errors from a 200"
    );

    // Nothing a Tencent client sends: a 400, in the envelope still.
    let foreign = http::Request::post("/")
        .header("x-amz-target", "TrentService.ListKeys")
        .body(b"{}".to_vec())
        .unwrap();
    assert!(!h.dialect.recognizes(&foreign));
    let answer = h.dialect.handle(foreign);
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    let code = body["Response"]["Error"]["Code"].as_str().unwrap();
    assert!(code.starts_with("AuthFailure"), "{body}");
    let legacy = http::Request::get("/?Action=ListKeys&Version=2019-01-18")
        .body(Vec::new())
        .unwrap();
    assert!(
        h.dialect.recognizes(&legacy),
        "the legacy query form is Tencent's"
    );
}

#[test]
fn operators_name_tenants_in_tencent_terms() {
    let h = harness();
    let terms = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(
        h.dialect.tenant(&terms(&[
            ("uin", "100000000001"),
            ("region", "ap-guangzhou")
        ])),
        Ok("tencent/100000000001/ap-guangzhou".to_owned())
    );
    assert!(h.dialect.tenant(&terms(&[("uin", "0")])).is_err());
    assert!(
        h.dialect
            .tenant(&terms(&[("account", "1"), ("region", "ap-guangzhou")]))
            .is_err()
    );
}
