//! Key management and aliases: create-key's fields and validation, KeyDetails as strings,
//! listings, state changes with their codes, key aliases, the aliases API, and the general
//! error surface (unknown paths, bad JSON, sequence, projects).

use dialect_kit::{Dialect, Edge};
use serde_json::json;

use crate::support::*;

/// `huawei.region` is what keys report as their region and realm and what alias URNs name.
#[test]
fn keys_and_aliases_name_the_configured_region() {
    let h = harness_with(dialect_huawei::Settings {
        region: "ap-southeast-3".to_owned(),
        ..dialect_huawei::Settings::default()
    });
    let out = h.ok("create-key", json!({ "key_alias": "in-singapore" }));
    assert_eq!(out["key_info"]["region_id"], "ap-southeast-3");
    let key = out["key_info"]["key_id"].as_str().unwrap().to_owned();
    assert_eq!(h.describe(&key)["realm"], "ap-southeast-3");
    let reply = h.call("aliases", json!({ "key_id": key, "alias": "sg-1" }));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let urn = reply.body["alias_urn"].as_str().unwrap();
    assert!(urn.starts_with("kms:ap-southeast-3:"), "{urn}");
}

#[test]
fn created_keys_describe_themselves_in_strings() {
    let h = harness();
    let out = h.ok(
        "create-key",
        json!({ "key_alias": "orders/main", "key_spec": "SM4", "key_usage": "ENCRYPT_DECRYPT", "key_description": "d1", "origin": "kms", "sequence": "919c82d4-8046-4722-9094-35c3c6524cff" }),
    );
    let info = &out["key_info"];
    let key = info["key_id"].as_str().unwrap().to_owned();
    assert_eq!(info["region_id"], "cn-north-4");
    assert_eq!(info["domain_id"].as_str().unwrap().len(), 32);
    let d = h.describe(&key);
    for field in [
        "key_id",
        "domain_id",
        "key_alias",
        "realm",
        "key_spec",
        "key_usage",
        "key_description",
        "creation_date",
        "scheduled_deletion_date",
        "key_state",
        "default_key_flag",
        "key_type",
        "expiration_time",
        "origin",
        "key_rotation_enabled",
        "sys_enterprise_project_id",
        "keystore_id",
    ] {
        assert!(d[field].is_string(), "{field}: {d}");
    }
    assert_eq!(d["key_alias"], "orders/main");
    assert_eq!(d["key_spec"], "SM4");
    assert_eq!(d["key_state"], "2");
    assert_eq!(d["origin"], "kms");
    assert_eq!(d["key_description"], "d1");
    assert_eq!(d["creation_date"], (CAPTURE_TIME.as_millis()).to_string());
    assert_eq!(d["domain_id"], info["domain_id"]);
    let ext = h.create_key("external", "AES_256");
    assert_eq!(h.describe(&ext)["key_state"], "5");
}

#[test]
fn create_key_validation() {
    let h = harness();
    h.err("create-key", json!({}), 400, "KMS.0204");
    h.err("create-key", json!({ "key_alias": "" }), 400, "KMS.0204");
    for bad in ["a b", "x/default", &"a".repeat(256), "ü"] {
        h.err("create-key", json!({ "key_alias": bad }), 400, "KMS.1101");
    }
    h.ok("create-key", json!({ "key_alias": "a".repeat(255) }));
    h.ok("create-key", json!({ "key_alias": "dup" }));
    let r = h.err("create-key", json!({ "key_alias": "dup" }), 400, "KMS.1104");
    assert!(r.message().contains("already exists"), "{}", r.message());
    // the refused duplicate created nothing
    let listed = h.ok("list-keys", json!({ "key_spec": "ALL" }));
    assert_eq!(listed["total"], 2);
    for (field, value) in [
        // AWS's name of EC_P256; an AES_256 key does not sign
        ("key_spec", "ECC_NIST_P256"),
        ("key_spec", "AES_128"),
        ("key_usage", "SIGN_VERIFY"),
        ("origin", "EXTERNAL"),
        ("enterprise_project_id", "1234"),
        ("keystore_id", "1"),
    ] {
        let mut body = json!({ "key_alias": format!("k-{field}-{value}") });
        body[field] = json!(value);
        h.err("create-key", body, 400, "KMS.0308");
    }
    h.err(
        "create-key",
        json!({ "key_alias": "long", "key_description": "d".repeat(256) }),
        400,
        "KMS.1103",
    );
}

#[test]
fn listings_page_filter_and_count() {
    let h = harness();
    let mut aes: Vec<String> = (0..5).map(|_| h.create_key("kms", "AES_256")).collect();
    aes.sort();
    let sm4 = h.create_key("external", "SM4");
    let page = h.ok("list-keys", json!({ "limit": "2" }));
    assert_eq!(page["keys"], json!([aes[0], aes[1]]));
    assert_eq!(
        (page["truncated"].as_str(), page["total"].as_u64()),
        (Some("true"), Some(5))
    );
    assert_eq!(page["key_details"][0]["key_id"], aes[0]);
    assert!(
        page["key_details"][0]["key_alias"]
            .as_str()
            .unwrap()
            .starts_with("k-")
    );
    // Markers count keys, as Huawei's do ("例如：10").
    assert_eq!(page["next_marker"], "2");
    let next = h.ok(
        "list-keys",
        json!({ "limit": 2, "marker": page["next_marker"] }),
    );
    assert_eq!(next["keys"], json!([aes[2], aes[3]]));
    assert_eq!(next["next_marker"], "4");
    assert_eq!(
        h.ok("list-keys", json!({ "marker": "1", "limit": "1" }))["keys"],
        json!([aes[1]])
    );
    // Past the end: an empty page, not an error.
    let beyond = h.ok("list-keys", json!({ "marker": "50" }));
    assert_eq!(
        (beyond["keys"].clone(), beyond["total"].as_u64()),
        (json!([]), Some(5))
    );
    let last = h.ok(
        "list-keys",
        json!({ "limit": 2, "marker": next["next_marker"] }),
    );
    assert_eq!(last["keys"], json!([aes[4]]));
    assert_eq!(
        (last["truncated"].as_str(), last["next_marker"].as_str()),
        (Some("false"), Some(""))
    );
    let all = h.ok("list-keys", json!({ "key_spec": "ALL" }));
    assert_eq!(all["total"], 6);
    let pending = h.ok("list-keys", json!({ "key_spec": "ALL", "key_state": "5" }));
    assert_eq!(pending["keys"], json!([sm4]));
    assert_eq!(
        h.ok("list-keys", json!({ "key_spec": "SM4" }))["keys"],
        json!([sm4])
    );
    assert_eq!(
        h.ok("list-keys", json!({ "key_spec": "RSA_2048" }))["total"],
        0
    );
    h.err("list-keys", json!({ "limit": "0" }), 400, "KMS.1601");
    // 1 to 2000 (the default); key_state 1 to 5
    h.ok("list-keys", json!({ "limit": "2000" }));
    h.err("list-keys", json!({ "limit": "2001" }), 400, "KMS.1601");
    h.err("list-keys", json!({ "key_state": "7" }), 400, "KMS.0308");
    h.err("list-keys", json!({ "marker": "junk" }), 400, "KMS.1602");
    h.err("list-keys", json!({ "marker": "-1" }), 400, "KMS.1602");
    h.err("list-keys", json!({ "key_state": "9" }), 400, "KMS.0308");
    // another project sees none of them
    let other = h.call_in("another-project", "list-keys", json!({ "key_spec": "ALL" }));
    assert_eq!((other.status, other.body["total"].as_u64()), (200, Some(0)));
}

#[test]
fn state_changes_answer_with_state_codes() {
    let h = harness();
    let key = h.create_key("kms", "AES_256");
    let id = json!({ "key_id": key });
    assert_eq!(
        h.ok("disable-key", id.clone())["key_info"]["key_state"],
        "3"
    );
    assert_eq!(h.ok("enable-key", id.clone())["key_info"]["key_state"], "2");
    // Only a disabled key can be enabled, only an enabled one disabled (Huawei's table).
    h.err("enable-key", id.clone(), 400, "KMS.1201");
    h.ok("disable-key", id.clone());
    h.err("disable-key", id.clone(), 400, "KMS.1301");
    h.ok("enable-key", id.clone());
    h.err("cancel-key-deletion", id.clone(), 400, "KMS.1501");
    for bad in [json!("6"), json!(1097), json!("x")] {
        h.err(
            "schedule-key-deletion",
            json!({ "key_id": key, "pending_days": bad }),
            400,
            "KMS.1401",
        );
    }
    h.err("schedule-key-deletion", id.clone(), 400, "KMS.0204");
    let s = h.ok(
        "schedule-key-deletion",
        json!({ "key_id": key, "pending_days": "1096" }),
    );
    assert_eq!(
        (s["key_id"].as_str(), s["key_state"].as_str()),
        (Some(key.as_str()), Some("4"))
    );
    let d = h.describe(&key);
    assert_eq!(
        d["scheduled_deletion_date"],
        (CAPTURE_TIME.as_millis() + 1096 * 86_400_000).to_string()
    );
    h.err("enable-key", id.clone(), 400, "KMS.1201");
    h.err(
        "encrypt-data",
        json!({ "key_id": key, "plain_text": "a" }),
        400,
        "KMS.0210",
    );
    h.err(
        "schedule-key-deletion",
        json!({ "key_id": key, "pending_days": 7 }),
        400,
        "KMS.1402",
    );
    assert_eq!(h.ok("cancel-key-deletion", id.clone())["key_state"], "3");
    h.ok(
        "schedule-key-deletion",
        json!({ "key_id": key, "pending_days": 7 }),
    );
    h.advance(7 * 86_400);
    h.err("describe-key", id, 404, "KMS.0207");
    let ext = h.create_key("external", "AES_256");
    h.err("enable-key", json!({ "key_id": ext }), 400, "KMS.1201");
    h.err(
        "describe-key",
        json!({ "key_id": "1234ABCD-12ab-34cd-56ef-1234567890ab" }),
        400,
        "KMS.0205",
    );
    // however long, a key_id off the pattern is the key id's code, not a length error
    h.err(
        "describe-key",
        json!({ "key_id": "1".repeat(65) }),
        400,
        "KMS.0205",
    );
    h.err("describe-key", json!({}), 400, "KMS.0204");
}

#[test]
fn key_aliases_and_descriptions_round_trip() {
    let h = harness();
    let a = h.create_key("kms", "AES_256");
    let b = h.create_key("kms", "AES_256");
    let out = h.ok(
        "update-key-alias",
        json!({ "key_id": a, "key_alias": "renamed" }),
    );
    assert_eq!(
        out["key_info"],
        json!({ "key_id": a, "key_alias": "renamed" })
    );
    assert_eq!(h.describe(&a)["key_alias"], "renamed");
    h.ok(
        "update-key-alias",
        json!({ "key_id": a, "key_alias": "renamed" }),
    );
    h.err(
        "update-key-alias",
        json!({ "key_id": b, "key_alias": "renamed" }),
        400,
        "KMS.1104",
    );
    // the old name is free again
    h.ok(
        "create-key",
        json!({ "key_alias": h.describe(&b)["key_alias"].as_str().unwrap().replace("k-", "x-") }),
    );
    h.err(
        "update-key-alias",
        json!({ "key_id": a, "key_alias": "bad alias" }),
        400,
        "KMS.1101",
    );
    let out = h.ok(
        "update-key-description",
        json!({ "key_id": a, "key_description": "new words" }),
    );
    assert_eq!(out["key_info"]["key_description"], "new words");
    assert_eq!(h.describe(&a)["key_description"], "new words");
    h.err(
        "update-key-description",
        json!({ "key_id": a }),
        400,
        "KMS.0204",
    );
    h.ok(
        "schedule-key-deletion",
        json!({ "key_id": a, "pending_days": 7 }),
    );
    h.err(
        "update-key-alias",
        json!({ "key_id": a, "key_alias": "again" }),
        400,
        "KMS.0210",
    );
    h.err(
        "update-key-description",
        json!({ "key_id": a, "key_description": "x" }),
        400,
        "KMS.0210",
    );
    assert_eq!(h.describe(&a)["key_alias"], "renamed");
    // a purged key's alias is free again
    h.advance(7 * 86_400);
    h.ok("create-key", json!({ "key_alias": "renamed" }));
}

#[test]
fn the_aliases_api() {
    let h = harness();
    let a = h.create_key("kms", "AES_256");
    let b = h.create_key("kms", "AES_256");
    let reply = h.call("aliases", json!({ "key_id": a, "alias": "kms-1234" }));
    // 201 and ISO times, as Huawei's CreateAlias page shows them.
    assert_eq!(reply.status, 201, "{}", reply.body);
    let created = reply.body;
    assert_eq!(created["alias"], "kms-1234");
    let time = created["create_time"].as_str().unwrap();
    assert!(
        time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{time}"
    );
    assert_eq!(created["update_time"], time);
    assert_eq!(created["key_id"], a);
    assert!(
        created["alias_urn"]
            .as_str()
            .unwrap()
            .ends_with(":alias:kms-1234")
    );
    h.ok("aliases", json!({ "key_id": a, "alias": "kms-5678" }));
    h.err(
        "aliases",
        json!({ "key_id": b, "alias": "kms-1234" }),
        400,
        "KMS.1104",
    );
    h.err(
        "aliases",
        json!({ "key_id": b, "alias": "#x" }),
        400,
        "KMS.1101",
    );
    let list = |query: &str| {
        h.send(
            "GET",
            &format!("{}?{query}", path(PROJECT, "aliases")),
            &serde_json::Value::Null,
            ("authorization", &unsigned_authorization()),
        )
    };
    let page = list(&format!("key_id={a}&limit=1"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["aliases"][0]["alias"], "kms-1234");
    assert_eq!(page.body["page_info"]["current_count"], 1);
    let marker = page.body["page_info"]["next_marker"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = list(&format!("key_id={a}&limit=1&marker={marker}"));
    assert_eq!(next.body["aliases"][0]["alias"], "kms-5678");
    // "Range 1-100" (Huawei's ListAliases page).
    assert_eq!(list("limit=100").status, 200);
    assert_eq!(list("limit=101").code(), "KMS.0308");
    // key aliases are not aliases of this API
    assert_eq!(list("").body["aliases"].as_array().unwrap().len(), 2);
    let moved = h.ok(
        "alias/associate",
        json!({ "alias": "kms-5678", "target_key_id": b }),
    );
    assert_eq!(moved["key_id"], b);
    assert_eq!(
        list(&format!("key_id={b}")).body["aliases"][0]["alias"],
        "kms-5678"
    );
    h.err(
        "alias/associate",
        json!({ "alias": "nope", "target_key_id": b }),
        404,
        "KMS.1101",
    );
    // deletion is all or nothing
    let delete = |body: serde_json::Value| {
        h.send(
            "DELETE",
            &path(PROJECT, "aliases"),
            &body,
            ("authorization", &unsigned_authorization()),
        )
    };
    let r = delete(json!({ "key_id": a, "aliases": ["kms-1234", "kms-5678"] }));
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.0308"));
    assert_eq!(list("").body["aliases"].as_array().unwrap().len(), 2);
    // 204 with no body, as Huawei's DeleteAlias page documents.
    let r = delete(json!({ "key_id": a, "aliases": ["kms-1234"] }));
    assert_eq!((r.status, &r.body), (204, &serde_json::Value::Null));
    assert_eq!(list("").body["aliases"].as_array().unwrap().len(), 1);
    let r = delete(json!({ "key_id": a, "aliases": [] }));
    assert_eq!(r.code(), "KMS.0204");
    let r = list("key_id=00000000-0000-4000-8000-000000000000");
    assert_eq!((r.status, r.code().as_str()), (404, "KMS.0207"));
}

#[test]
fn the_error_surface() {
    let h = harness();
    let r = h.call("create-grant", json!({}));
    assert_eq!((r.status, r.code().as_str()), (404, "APIG.0101"));
    assert!(
        r.body["request_id"].is_string(),
        "flat gateway body: {}",
        r.body
    );
    let r = h.send(
        "GET",
        &path(PROJECT, "create-key"),
        &json!({}),
        ("authorization", &unsigned_authorization()),
    );
    assert_eq!((r.status, r.code().as_str()), (404, "APIG.0101"));
    let bad_json = http::Request::post(path(PROJECT, "describe-key"))
        .header("authorization", unsigned_authorization())
        .header("x-sdk-date", CAPTURE_DATE)
        .body(b"{not json".to_vec())
        .unwrap();
    let r = h.raw(bad_json);
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.0202"));
    assert!(
        r.body["error"]["error_msg"].is_string(),
        "nested KMS body: {}",
        r.body
    );
    h.err(
        "describe-key",
        json!({ "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "sequence": 5 }),
        400,
        "KMS.0206",
    );
    h.err(
        "describe-key",
        json!({ "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "sequence": "x".repeat(37) }),
        400,
        "KMS.0206",
    );
    let r = h.call_in("bad%20project", "list-keys", json!({}));
    assert_eq!((r.status, r.code().as_str()), (400, "KMS.0201"));
    // the server's own answers
    let too_large = h.dialect.edge(Edge::BodyTooLarge { limit: 10 });
    assert_eq!(too_large.status(), 400);
    assert!(String::from_utf8_lossy(too_large.body()).contains("KMS.0203"));
    assert_eq!(h.dialect.edge(Edge::TimedOut).status(), 504);
    assert_eq!(h.dialect.edge(Edge::InternalError).status(), 500);
    assert!(
        String::from_utf8_lossy(h.dialect.edge(Edge::BadRequest { reason: "broken" }).body())
            .contains("KMS.0202")
    );
}

#[test]
fn permissive_mode_still_wants_a_current_sdk_date() {
    let h = harness();
    let request = |date: Option<&str>| {
        let mut b = http::Request::post(path(PROJECT, "list-keys"))
            .header("authorization", unsigned_authorization());
        if let Some(d) = date {
            b = b.header("x-sdk-date", d);
        }
        b.body(b"{}".to_vec()).unwrap()
    };
    assert_eq!(h.raw(request(Some(CAPTURE_DATE))).status, 200);
    for stale in [None, Some("20261122T091637Z"), Some("not a date")] {
        let r = h.raw(request(stale));
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "APIG.0301"),
            "{stale:?}"
        );
    }
    // Emulated time moving on does not make a current request stale.
    h.advance(86_400 * 30);
    assert_eq!(h.raw(request(Some(CAPTURE_DATE))).status, 200);
}

#[test]
fn every_answer_carries_a_summary_and_misdirection_is_a_gateway_404() {
    let h = harness();
    let created = h.dialect.handle(
        http::Request::post(path(PROJECT, "create-key"))
            .header("x-auth-token", "MIIanything")
            .body(json!({ "key_alias": "logged" }).to_string().into_bytes())
            .unwrap(),
    );
    assert_eq!(created.status(), 200);
    let s = dialect_kit::Summary::of(&created).unwrap();
    assert_eq!(s.operation, Some("CreateKey"));
    assert_eq!(s.tenant.as_deref(), Some(&*format!("huawei/{PROJECT}")));
    assert!(s.key_id.is_some() && s.request_id.is_some() && s.error_code.is_none());
    let missing = h.dialect.handle(
        http::Request::post("/v1.0/p/kms/no-such-thing")
            .body(Vec::new())
            .unwrap(),
    );
    let s = dialect_kit::Summary::of(&missing).unwrap();
    assert_eq!((s.operation, s.error_code), (None, Some("APIG.0101")));

    let misdirected = h.dialect.edge(Edge::Misdirected {
        message: "elsewhere",
    });
    assert_eq!(misdirected.status(), 404);
    assert!(String::from_utf8_lossy(misdirected.body()).contains("APIG.0101"));
    let post = |path: &str, header: Option<(&str, &str)>| {
        let mut b = http::Request::post(path);
        if let Some((n, v)) = header {
            b = b.header(n, v);
        }
        h.dialect.recognizes(&b.body(Vec::new()).unwrap())
    };
    assert!(post("/v1.0/p/kms/list-keys", None));
    assert!(post("/v3/auth/tokens", None));
    assert!(post("/", Some(("x-auth-token", "MII"))));
    assert!(post(
        "/",
        Some(("authorization", "SDK-HMAC-SHA256 Access=a"))
    ));
    assert!(!post("/", Some(("x-amz-target", "TrentService.ListKeys"))));
    assert!(!post("/", None));
    let terms: std::collections::BTreeMap<String, String> =
        [("project_id".to_owned(), PROJECT.to_owned())].into();
    assert_eq!(h.dialect.tenant(&terms), Ok(format!("huawei/{PROJECT}")));
    assert!(h.dialect.tenant(&Default::default()).is_err());
}
