//! Both ways in: X-Auth-Tokens from `POST /v3/auth/tokens` (issue, verify, expiry on the
//! emulated clock, project scoping, static tokens) and SDK-HMAC-SHA256 in strict mode.

use std::collections::BTreeMap;

use dialect_huawei::{AccessKey, IamUser, ProjectId, Settings};
use serde_json::{Value, json};

use crate::support::*;

const OTHER: &str = "fedcba9876543210fedcba9876543210";

fn strict() -> Settings {
    Settings {
        strict_auth: true,
        credentials: BTreeMap::from([
            (
                "AKANY".to_owned(),
                AccessKey {
                    secret_key: "sk-any".to_owned(),
                    projects: vec![].into(),
                },
            ),
            (
                "AKONE".to_owned(),
                AccessKey {
                    secret_key: "sk-one".to_owned(),
                    projects: vec![ProjectId::parse(PROJECT).unwrap()].into(),
                },
            ),
        ]),
        users: BTreeMap::from([(
            "alice".to_owned(),
            IamUser {
                password: "Passw0rd!".to_owned(),
                domain: "acme".to_owned(),
                projects: vec![ProjectId::parse(PROJECT).unwrap()].into(),
            },
        )]),
        static_tokens: BTreeMap::from([(
            "MIIstatic-token-for-other".to_owned(),
            ProjectId::parse(OTHER).unwrap(),
        )]),
        token_ttl_secs: 3600,
        ..Settings::default()
    }
}

fn get_token(h: &Harness, body: &Value) -> Reply {
    let request = http::Request::post("/v3/auth/tokens")
        .header("content-type", "application/json;charset=utf8")
        .body(body.to_string().into_bytes())
        .unwrap();
    h.raw(request)
}

fn token_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.headers["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn with_token(h: &Harness, project: &str, token: &str, action: &str, body: Value) -> Reply {
    h.send(
        "POST",
        &path(project, action),
        &body,
        ("x-auth-token", token),
    )
}

#[test]
fn moving_the_clock_back_does_not_revive_an_expired_token() {
    let h = harness_with(strict());
    let old = token_of(&get_token(
        &h,
        &password_auth("alice", "Passw0rd!", "acme", PROJECT),
    ));
    h.emulated.advance(std::time::Duration::from_secs(3600));
    let r = with_token(&h, PROJECT, &old, "list-keys", json!({}));
    assert_eq!((r.status, r.code().as_str()), (401, "APIG.0301"));
    h.emulated.reset().unwrap();
    let r = with_token(&h, PROJECT, &old, "list-keys", json!({}));
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "APIG.0301"),
        "revived by the rewind"
    );
    // A token issued after the rewind lives its full life.
    let fresh = token_of(&get_token(
        &h,
        &password_auth("alice", "Passw0rd!", "acme", PROJECT),
    ));
    assert_eq!(
        with_token(&h, PROJECT, &fresh, "list-keys", json!({})).status,
        200
    );
}

#[test]
fn issued_tokens_work_for_their_project_until_they_expire() {
    let h = harness_with(strict());
    let reply = get_token(&h, &password_auth("alice", "Passw0rd!", "acme", PROJECT));
    let token = token_of(&reply);
    assert!(token.starts_with("MII"), "{token}");
    let t = &reply.body["token"];
    assert_eq!(t["project"]["id"], PROJECT);
    assert_eq!(t["user"]["name"], "alice");
    assert_eq!(t["user"]["domain"]["name"], "acme");
    assert_eq!(t["expires_at"], "2026-11-22T10:32:37.000000Z");

    let created = with_token(
        &h,
        PROJECT,
        &token,
        "create-key",
        json!({ "key_alias": "t1" }),
    );
    assert_eq!(created.status, 200, "{}", created.body);
    // another project: 403
    let r = with_token(&h, OTHER, &token, "list-keys", json!({}));
    assert_eq!((r.status, r.code().as_str()), (403, "APIG.0301"));
    assert!(r.message().contains("scoped to project"), "{}", r.message());
    // forged or altered: 401, as the gateway answers (clients authenticate again)
    let mut altered = token.clone().into_bytes();
    altered[20] = if altered[20] == b'A' { b'B' } else { b'A' };
    let r = with_token(
        &h,
        PROJECT,
        &String::from_utf8(altered).unwrap(),
        "list-keys",
        json!({}),
    );
    assert_eq!((r.status, r.code().as_str()), (401, "APIG.0301"));
    assert!(r.message().contains("decrypt token fail"));
    // expiry on the emulated clock
    h.advance(3599);
    assert_eq!(
        with_token(&h, PROJECT, &token, "list-keys", json!({})).status,
        200
    );
    h.advance(1);
    let r = with_token(&h, PROJECT, &token, "list-keys", json!({}));
    assert_eq!((r.status, r.code().as_str()), (401, "APIG.0301"));
    assert!(r.message().contains("token expires"), "{}", r.message());
    // a token issued by another process with the same root key (an instance sharing the
    // store) verifies here; one issued under another root key does not
    let h2 = harness_with(strict());
    let sibling = token_of(&get_token(
        &harness_with(strict()),
        &password_auth("alice", "Passw0rd!", "acme", PROJECT),
    ));
    assert_eq!(
        with_token(&h2, PROJECT, &sibling, "list-keys", json!({})).status,
        200
    );
    let foreign = token_of(&get_token(
        &harness_with_root(strict(), [8; 32]),
        &password_auth("alice", "Passw0rd!", "acme", PROJECT),
    ));
    assert_eq!(
        with_token(&h2, PROJECT, &foreign, "list-keys", json!({})).status,
        401
    );
    // Same root key, but issued without a password check (a permissive process over the
    // same store) or to a user this process does not have: refused here.
    let unchecked = token_of(&get_token(
        &harness(),
        &password_auth("mallory", "anything", "acme", PROJECT),
    ));
    let r = with_token(&h2, PROJECT, &unchecked, "list-keys", json!({}));
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "APIG.0301"),
        "{}",
        r.body
    );
    let mut without_alice = strict();
    without_alice.users.clear();
    let h3 = harness_with(without_alice);
    let r = with_token(&h3, PROJECT, &sibling, "list-keys", json!({}));
    assert_eq!(r.status, 401, "a removed user's token: {}", r.body);
}

/// IAM takes the user's domain by name or by id; a token issued either way opens the
/// user's project.
#[test]
fn a_token_issued_for_a_domain_given_by_id_works() {
    let h = harness_with(strict());
    let by_name = get_token(&h, &password_auth("alice", "Passw0rd!", "acme", PROJECT));
    let domain_id = by_name.body["token"]["user"]["domain"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut by_id = password_auth("alice", "Passw0rd!", "acme", PROJECT);
    by_id["auth"]["identity"]["password"]["user"]["domain"] = json!({ "id": domain_id });
    let token = token_of(&get_token(&h, &by_id));
    let r = with_token(&h, PROJECT, &token, "list-keys", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn strict_mode_issues_tokens_only_to_configured_users() {
    let h = harness_with(strict());
    for (body, status) in [
        (password_auth("alice", "wrong", "acme", PROJECT), 401),
        (password_auth("mallory", "Passw0rd!", "acme", PROJECT), 401),
        (
            password_auth("alice", "Passw0rd!", "other-domain", PROJECT),
            401,
        ),
        (password_auth("alice", "Passw0rd!", "acme", OTHER), 401),
        (json!({ "auth": {} }), 400),
        (json!([]), 400),
    ] {
        let r = get_token(&h, &body);
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(
            r.body["error"]["message"].is_string(),
            "IAM error shape: {}",
            r.body
        );
        assert!(!r.headers.contains_key("x-subject-token"));
    }
    let mut no_scope = password_auth("alice", "Passw0rd!", "acme", PROJECT);
    no_scope["auth"].as_object_mut().unwrap().remove("scope");
    assert_eq!(get_token(&h, &no_scope).status, 400);
}

#[test]
fn static_tokens_and_permissive_tokens() {
    let h = harness_with(strict());
    let r = with_token(
        &h,
        OTHER,
        "MIIstatic-token-for-other",
        "list-keys",
        json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    h.advance(365 * 86_400);
    assert_eq!(
        with_token(
            &h,
            OTHER,
            "MIIstatic-token-for-other",
            "list-keys",
            json!({})
        )
        .status,
        200
    );
    assert_eq!(
        with_token(
            &h,
            PROJECT,
            "MIIstatic-token-for-other",
            "list-keys",
            json!({})
        )
        .status,
        403
    );
    assert_eq!(
        with_token(&h, PROJECT, "anything", "list-keys", json!({})).status,
        401
    );

    // permissive: any non-empty token, any project; tokens issued to anyone
    let p = harness();
    assert_eq!(
        with_token(&p, OTHER, "anything", "list-keys", json!({})).status,
        200
    );
    let mut by_name = password_auth("bob", "pw", "somedomain", PROJECT);
    by_name["auth"]["scope"] = json!({ "project": { "name": "cn-north-4" } });
    let reply = get_token(&p, &by_name);
    token_of(&reply);
    let project = reply.body["token"]["project"]["id"].as_str().unwrap();
    assert_eq!(project.len(), 32);
    assert_eq!(reply.body["token"]["project"]["name"], "cn-north-4");
    // no credentials at all: 401, even in permissive mode
    let r = p.send(
        "POST",
        &path(PROJECT, "list-keys"),
        &json!({}),
        ("x-other", "1"),
    );
    assert_eq!((r.status, r.code().as_str()), (401, "APIG.0301"));
}

#[test]
fn strict_signatures() {
    let h = harness_with(strict());
    let body = json!({ "key_alias": "signed" }).to_string().into_bytes();
    let call = |ak: &str, sk: &str, project: &str, date: &str| {
        h.raw(signed(
            "POST",
            &path(project, "create-key"),
            &body,
            ak,
            sk,
            date,
            Some(project),
        ))
    };
    let r = call("AKANY", "sk-any", PROJECT, CAPTURE_DATE);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call("AKANY", "sk-wrong", PROJECT, CAPTURE_DATE);
    assert_eq!((r.status, r.code().as_str()), (401, "APIG.0301"));
    assert_eq!(
        r.message(),
        "Incorrect IAM authentication information: verify aksk signature fail"
    );
    assert_eq!(
        call("AKNOBODY", "sk-any", PROJECT, CAPTURE_DATE).status,
        401
    );
    assert_eq!(call("AKONE", "sk-one", OTHER, CAPTURE_DATE).status, 403);
    assert_eq!(
        call("AKONE", "sk-one", PROJECT, CAPTURE_DATE).code(),
        "KMS.1104"
    ); // signed; alias taken
    assert_eq!(
        call("AKANY", "sk-any", PROJECT, "20261122T091736Z").status,
        401
    );
    assert_eq!(
        call("AKANY", "sk-any", PROJECT, "20261122T091737Z").code(),
        "KMS.1104"
    );
    // X-Project-Id must name the project of the path
    let mut req = signed(
        "POST",
        &path(PROJECT, "list-keys"),
        b"{}",
        "AKANY",
        "sk-any",
        CAPTURE_DATE,
        Some(PROJECT),
    );
    req.headers_mut()
        .insert("x-project-id", OTHER.parse().unwrap());
    assert_eq!(h.raw(req).status, 401);
    // GET with a query is signed over the canonical query
    let q = format!(
        "{}?limit=10&key_id=00000000-0000-4000-8000-000000000000",
        path(PROJECT, "aliases")
    );
    let r = h.raw(signed(
        "GET",
        &q,
        b"",
        "AKANY",
        "sk-any",
        CAPTURE_DATE,
        Some(PROJECT),
    ));
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "KMS.0207"),
        "{}",
        r.body
    );
}

/// Issue #14, item 1: anyone who saw one signed create-key could resend it within 15 minutes
/// with any body, by adding an unsigned `X-Sdk-Content-Sha256` of the signed body.
#[test]
fn an_unsigned_payload_hash_cannot_swap_the_body() {
    let h = harness_with(strict());
    let legit = json!({ "key_alias": "legit-a" }).to_string().into_bytes();
    let forged = json!({ "key_alias": "attacker-b" })
        .to_string()
        .into_bytes();
    let (mut parts, _) = signed(
        "POST",
        &path(PROJECT, "create-key"),
        &legit,
        "AKANY",
        "sk-any",
        CAPTURE_DATE,
        Some(PROJECT),
    )
    .into_parts();
    parts.headers.insert(
        "x-sdk-content-sha256",
        dialect_kit::signing::sha256_hex(&legit).parse().unwrap(),
    );
    let r = h.raw(http::Request::from_parts(parts, forged.clone()));
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "APIG.0301"),
        "{}",
        r.body
    );
    // Nothing was created: the alias is still free for a request that really signs it.
    let r = h.raw(signed(
        "POST",
        &path(PROJECT, "create-key"),
        &forged,
        "AKANY",
        "sk-any",
        CAPTURE_DATE,
        Some(PROJECT),
    ));
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A signed `X-Sdk-Content-Sha256` is what the signature covers in place of the body, so it
/// must be the body's hash; `UNSIGNED-PAYLOAD` (the SDK's choice for non-JSON uploads) is not
/// accepted for KMS's JSON calls.
#[test]
fn a_signed_payload_hash_must_be_the_bodys() {
    let h = harness_with(strict());
    let body = |alias: &str| json!({ "key_alias": alias }).to_string().into_bytes();
    let send = |signed_body: &[u8], declared: &str, sent_body: Vec<u8>| {
        let (parts, _) = signed_with(
            "POST",
            &path(PROJECT, "create-key"),
            signed_body,
            ("AKANY", "sk-any"),
            CAPTURE_DATE,
            Some(PROJECT),
            &[("x-sdk-content-sha256", declared)],
        )
        .into_parts();
        h.raw(http::Request::from_parts(parts, sent_body))
    };
    let hash = |b: &[u8]| dialect_kit::signing::sha256_hex(b);
    let a = body("declared-a");
    let r = send(&a, &hash(&a), a.clone());
    assert_eq!(r.status, 200, "{}", r.body);
    // The signed request resent with another body: its signed hash no longer matches.
    let b = body("declared-b");
    let r = send(&b, &hash(&b), body("declared-c"));
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "APIG.0301"),
        "{}",
        r.body
    );
    assert_eq!(
        r.message(),
        "Incorrect IAM authentication information: verify aksk signature fail: X-Sdk-Content-Sha256 is not the SHA-256 of the body"
    );
    let r = send(&b, "UNSIGNED-PAYLOAD", b.clone());
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "APIG.0301"),
        "{}",
        r.body
    );
    assert!(
        r.message().contains("UNSIGNED-PAYLOAD is not accepted"),
        "{}",
        r.body
    );
    // Neither created anything.
    for alias in ["declared-b", "declared-c"] {
        let r = h.raw(signed(
            "POST",
            &path(PROJECT, "create-key"),
            &body(alias),
            "AKANY",
            "sk-any",
            CAPTURE_DATE,
            Some(PROJECT),
        ));
        assert_eq!(r.status, 200, "{alias}: {}", r.body);
    }
}
