//! The fuzz harness (issue #14, item 6): valid requests of every route, mutated
//! structure-aware by `dialect_kit::fuzz`, sent straight to `HuaweiDialect::handle`. Huawei
//! routes by method and path, so paths are mutated as much as bodies. A permissive listener
//! takes most cases (deep into every operation), a strict one the rest, with requests
//! really signed with SDK-HMAC-SHA256 or carrying an issued X-Auth-Token (authentication
//! paths); both share one engine, whose every record is compared before and after each
//! refused request.
//!
//! `KMSGATE_FUZZ_CASES` sets the number of cases (CI: the default below), `KMSGATE_FUZZ_SEED`
//! the seed; the long run is
//! `KMSGATE_FUZZ_CASES=1000000 cargo test --release -p dialect-huawei --test dialect fuzz -- --nocapture`.

use std::sync::Arc;

use dialect_huawei::signer::{self, SignedParts};
use dialect_huawei::{AccessKey, HuaweiDialect, IamUser, ProjectId, Settings};
use dialect_kit::Dialect;
use dialect_kit::fuzz::{self, Target, Template, Verdict, Vocabulary};
use dialect_kit::signing::hmac_sha256;
use kms_core::testing::{StoreSnapshot, VectorKeyPairs};
use kms_core::{Clocks, Kms, ManualClock, MemoryStore, RootKey};
use serde_json::{Value, json};

use crate::support::{CAPTURE_DATE, CAPTURE_TIME, PROJECT, b64, path, unsigned_authorization};

/// An openssl-made P-256 private key (tests/data/asymmetric/README.md).
const EC_P256: &[u8] = include_bytes!("../data/asymmetric/ec_p256.pk8");

/// CI's share: a few seconds in the debug test profile on two cores.
const DEFAULT_CASES: u64 = 5_000;

const HOST: &str = "127.0.0.1:8413";
const STRICT_AK: &str = "HPUAFUZZSTRICT000001";
const STRICT_SK: &str = "fuzz-strict-secret";
const SIGNED_HEADERS: [&str; 4] = ["content-type", "host", "user-agent", "x-sdk-date"];

#[test]
fn fuzz() {
    let config = fuzz::Config::from_env(DEFAULT_CASES).unwrap();
    let report = fuzz::run(&mut Huawei::default(), &config).unwrap();
    println!("{report}");
    assert!(report.findings.is_empty(), "{report}");
    assert_eq!(
        report.cases,
        config.cases + config.first % config.rebuild_every
    );
}

/// A request as huaweicloudsdkcore sends it, with a well-formed (permissive) signature.
fn request(method: &str, path_and_query: &str, body: &Value) -> http::Request<Vec<u8>> {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("content-type", "application/json;charset=utf-8")
        .header("host", HOST)
        .header("user-agent", "huaweicloud-usdk-python/3.0")
        .header("x-sdk-date", CAPTURE_DATE)
        .header("authorization", unsigned_authorization())
        .body(bytes)
        .unwrap()
}

/// Signs `request` with SDK-HMAC-SHA256 over the headers it carries now, their values read
/// as the verifier reads them (lossy UTF-8); false if it cannot be signed.
fn sign(request: &mut http::Request<Vec<u8>>) -> bool {
    let date = request
        .headers()
        .get("x-sdk-date")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .unwrap_or_default();
    let signed: Vec<String> = SIGNED_HEADERS.iter().map(|h| (*h).to_owned()).collect();
    let canonical = {
        let headers: Vec<(&str, String)> = request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let parts = SignedParts {
            method: request.method().as_str(),
            path: request.uri().path(),
            query: request.uri().query().unwrap_or(""),
            headers: &pairs,
            body: request.body(),
        };
        match signer::canonical_request(&parts, &signed) {
            Ok(c) => c,
            Err(_) => return false,
        }
    };
    let signature = hmac_sha256(
        STRICT_SK.as_bytes(),
        signer::string_to_sign(&date, &canonical).as_bytes(),
    );
    let header = format!(
        "SDK-HMAC-SHA256 Access={STRICT_AK}, SignedHeaders={}, Signature={}",
        signed.join(";"),
        hex::encode(signature)
    );
    match header.parse() {
        Ok(v) => {
            request.headers_mut().insert("authorization", v);
            true
        }
        Err(_) => false,
    }
}

fn copy(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut r = http::Request::new(request.body().clone());
    *r.method_mut() = request.method().clone();
    *r.uri_mut() = request.uri().clone();
    *r.headers_mut() = request.headers().clone();
    r
}

fn password_auth(user: &str, password: &str) -> Value {
    crate::support::password_auth(user, password, "acme", PROJECT)
}

#[derive(Default)]
struct Huawei {
    kms: Option<Arc<Kms>>,
    /// 0: permissive; 1: strict.
    lanes: Vec<HuaweiDialect>,
}

/// The fixture's setup calls, which must all succeed.
struct Setup<'a> {
    dialect: &'a HuaweiDialect,
}

impl Setup<'_> {
    fn send(&self, method: &str, action: &str, body: Value) -> Value {
        let response = self
            .dialect
            .handle(request(method, &path(PROJECT, action), &body));
        let text = String::from_utf8_lossy(response.body()).into_owned();
        assert!(
            response.status().is_success(),
            "setup {action}: {} {text}",
            response.status()
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    fn call(&self, action: &str, body: Value) -> Value {
        self.send("POST", action, body)
    }

    fn create(&self, alias: &str, origin: &str, spec: &str) -> String {
        self.call(
            "create-key",
            json!({ "key_alias": alias, "key_spec": spec, "origin": origin }),
        )["key_info"]["key_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Huawei's two layers for an asymmetric key: byok-wrap's RSA_AES_KEY_WRAP_SHA_256 is
    /// OAEP(temporary key) ‖ RFC 5649(private key), split into the two fields.
    fn two_layer_body(&self, key: &str, pkcs8: &[u8]) -> Value {
        let p = self.call(
            "get-parameters-for-import",
            json!({ "key_id": key, "wrapping_algorithm": "RSAES_OAEP_SHA_256" }),
        );
        let public =
            byok_wrap::PublicKey::parse(p["public_key"].as_str().unwrap().as_bytes()).unwrap();
        let wrapped = byok_wrap::wrap(
            &public,
            byok_wrap::Algorithm::RsaAesKeyWrapSha256,
            pkcs8,
            byok_wrap::Sm2Format::Der,
        )
        .unwrap();
        let (temp, private) = wrapped.split_at(256);
        json!({
            "key_id": key,
            "import_token": p["import_token"],
            "encrypted_key_material": b64(temp),
            "encrypted_privatekey": b64(private),
        })
    }

    /// Import parameters for `key` and `material` wrapped under them.
    fn import_body(&self, key: &str, algorithm: &str, material: &[u8]) -> Value {
        let p = self.call(
            "get-parameters-for-import",
            json!({ "key_id": key, "wrapping_algorithm": algorithm }),
        );
        let public =
            byok_wrap::PublicKey::parse(p["public_key"].as_str().unwrap().as_bytes()).unwrap();
        let wrapped = byok_wrap::wrap(
            &public,
            byok_wrap::Algorithm::parse(algorithm).unwrap(),
            material,
            byok_wrap::Sm2Format::Der,
        )
        .unwrap();
        json!({
            "key_id": key,
            "import_token": p["import_token"],
            "encrypted_key_material": b64(&wrapped),
        })
    }
}

impl Target for Huawei {
    type Snapshot = StoreSnapshot;

    fn name(&self) -> &str {
        "huawei"
    }

    fn rebuild(&mut self, _block: u64) -> Result<(Vec<Template>, Vocabulary), String> {
        let clock = Arc::new(ManualClock::new(CAPTURE_TIME));
        let kms = Arc::new(
            Kms::builder(Arc::new(MemoryStore::new()), &RootKey::from_bytes([7; 32]))
                .clock(clock.clone())
                .key_pairs(Arc::new(VectorKeyPairs))
                .build(),
        );
        let clocks = || Clocks {
            real: clock.clone(),
            emulated: clock.clone(),
        };
        let project = ProjectId::parse(PROJECT).unwrap();
        let strict = Settings {
            strict_auth: true,
            credentials: [(
                STRICT_AK.to_owned(),
                AccessKey {
                    secret_key: STRICT_SK.to_owned(),
                    projects: vec![project.clone()].into(),
                },
            )]
            .into(),
            users: [(
                "alice".to_owned(),
                IamUser {
                    password: "Passw0rd!".to_owned(),
                    domain: "acme".to_owned(),
                    projects: vec![project.clone()].into(),
                },
            )]
            .into(),
            static_tokens: [("MIIstatic-fuzz-token".to_owned(), project)].into(),
            ..Settings::default()
        };
        self.lanes = vec![
            HuaweiDialect::new(kms.clone(), Settings::default(), clocks()),
            HuaweiDialect::new(kms.clone(), strict, clocks()),
        ];
        self.kms = Some(kms);
        let s = Setup {
            dialect: &self.lanes[0],
        };

        // Keys in every state; each state-changing template has a key of its own, so that
        // one does not spoil another's until the next rebuild.
        let generated = s.create("fuzz-gen", "kms", "AES_256");
        let sm4 = s.create("fuzz-sm4", "kms", "SM4");
        let to_disable = s.create("fuzz-to-disable", "kms", "AES_256");
        let to_schedule = s.create("fuzz-to-schedule", "kms", "AES_256");
        let to_rename = s.create("fuzz-to-rename", "kms", "AES_256");
        let disabled = s.create("fuzz-disabled", "kms", "AES_256");
        s.call("disable-key", json!({ "key_id": disabled }));
        let doomed = s.create("fuzz-doomed", "kms", "AES_256");
        s.call(
            "schedule-key-deletion",
            json!({ "key_id": doomed, "pending_days": "7" }),
        );
        let pending = s.create("fuzz-pending", "external", "AES_256");
        let pending_sm4 = s.create("fuzz-pending-sm4", "external", "SM4");
        let imported = s.create("fuzz-imported", "external", "AES_256");
        let material = [7u8; 32];
        let body = s.import_body(&imported, "RSAES_OAEP_SHA_256", &material);
        s.call("import-key-material", body);
        let to_delete = s.create("fuzz-to-delete", "external", "AES_256");
        let body = s.import_body(&to_delete, "RSAES_OAEP_SHA_256", &material);
        s.call("import-key-material", body);
        for (alias, key) in [
            ("kms-fuzz-listed", &generated),
            ("kms-fuzz-doomed", &to_rename),
            ("kms-fuzz-moving", &to_rename),
        ] {
            s.call("aliases", json!({ "key_id": key, "alias": alias }));
        }
        let aad = "fuzz-aad";
        let cipher = s.call(
            "encrypt-data",
            json!({ "key_id": generated, "plain_text": "hello", "additional_authenticated_data": aad }),
        )["cipher_text"]
            .clone();
        let data_key = s.call(
            "create-datakey",
            json!({ "key_id": generated, "datakey_length": "256" }),
        );
        let plain = hex::decode(data_key["plain_text"].as_str().unwrap()).unwrap();
        let mut with_digest = plain.clone();
        with_digest.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(&plain)[..]);
        // update-key-rotation-interval needs rotation enabled.
        s.call("enable-key-rotation", json!({ "key_id": sm4 }));
        let marker = s.call("list-keys", json!({ "limit": "1" }))["next_marker"].clone();
        // Asymmetric and HMAC keys (issue #16): an EC signer, an SM2 encryption key (SM2
        // rather than RSA: no RSA key generation in every rebuild), an HMAC key, and an
        // external EC key waiting for its two layers.
        let signer = s.call(
            "create-key",
            json!({ "key_alias": "fuzz-ec", "key_spec": "EC_P256" }),
        )["key_info"]["key_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let sm2 = s.call(
            "create-key",
            json!({ "key_alias": "fuzz-sm2", "key_spec": "SM2", "key_usage": "ENCRYPT_DECRYPT" }),
        )["key_info"]["key_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let hmac_key = s.create("fuzz-hmac", "kms", "HMAC_256");
        let pending_ec = s.create("fuzz-pending-ec", "external", "EC_P256");
        let digest = b64(&[9u8; 32]);
        let signature = s.call(
            "sign",
            json!({ "key_id": signer, "message": digest, "signing_algorithm": "ECDSA_SHA_256" }),
        )["signature"]
            .clone();
        let mac = s.call(
            "generate-mac",
            json!({ "key_id": hmac_key, "mac_algorithm": "HMAC_SHA_256", "message": digest }),
        )["mac"]
            .clone();
        let sm2_cipher = s.call(
            "encrypt-data",
            json!({ "key_id": sm2, "plain_text": "hello", "encryption_algorithm": "SM2_ENCRYPT" }),
        )["cipher_text"]
            .clone();

        let p = |action: &str| path(PROJECT, action);
        let routes: Vec<(&str, String, &str, Value)> = vec![
            (
                "POST",
                p("create-key"),
                "full",
                json!({
                    "key_alias": "fuzz-new", "key_spec": "AES_256", "key_usage": "ENCRYPT_DECRYPT",
                    "key_description": "fuzz", "origin": "kms", "enterprise_project_id": "0",
                    "sequence": "919c82d4-8046-4722-9094-35c3c6524cff",
                }),
            ),
            (
                "POST",
                p("create-key"),
                "external SM4",
                json!({ "key_alias": "fuzz-new-sm4", "key_spec": "SM4", "origin": "external" }),
            ),
            (
                "POST",
                p("describe-key"),
                "",
                json!({ "key_id": generated }),
            ),
            (
                "POST",
                p("list-keys"),
                "first page",
                json!({ "limit": "5", "key_state": "2", "key_spec": "AES_256" }),
            ),
            (
                "POST",
                p("list-keys"),
                "next page",
                json!({ "limit": "1", "marker": marker }),
            ),
            ("POST", p("enable-key"), "", json!({ "key_id": disabled })),
            (
                "POST",
                p("disable-key"),
                "",
                json!({ "key_id": to_disable }),
            ),
            (
                "POST",
                p("schedule-key-deletion"),
                "",
                json!({ "key_id": to_schedule, "pending_days": "7" }),
            ),
            (
                "POST",
                p("cancel-key-deletion"),
                "",
                json!({ "key_id": doomed }),
            ),
            (
                "POST",
                p("update-key-alias"),
                "",
                json!({ "key_id": to_rename, "key_alias": "fuzz-renamed" }),
            ),
            (
                "POST",
                p("update-key-description"),
                "",
                json!({ "key_id": generated, "key_description": "renamed" }),
            ),
            (
                "POST",
                p("get-parameters-for-import"),
                "",
                json!({
                    "key_id": pending, "wrapping_algorithm": "RSAES_OAEP_SHA_1", "sequence": "919c82d4-8046-4722-9094-35c3c6524cff",
                }),
            ),
            (
                "POST",
                p("import-key-material"),
                "first",
                s.import_body(&pending, "RSAES_OAEP_SHA_256", &material),
            ),
            ("POST", p("import-key-material"), "SM2, expiring", {
                let mut b = s.import_body(&pending_sm4, "SM2_ENCRYPT", &[5u8; 16]);
                b["expiration_time"] = json!(CAPTURE_TIME.as_secs() + 86_400);
                b
            }),
            (
                "POST",
                p("import-key-material"),
                "again",
                s.import_body(&imported, "RSAES_PKCS1_V1_5", &material),
            ),
            (
                "POST",
                p("delete-imported-key-material"),
                "",
                json!({ "key_id": to_delete }),
            ),
            (
                "POST",
                p("encrypt-data"),
                "",
                json!({
                    "key_id": generated, "plain_text": "hello", "additional_authenticated_data": aad,
                    "encryption_algorithm": "SYMMETRIC_DEFAULT",
                }),
            ),
            (
                "POST",
                p("decrypt-data"),
                "",
                json!({ "cipher_text": cipher, "additional_authenticated_data": aad }),
            ),
            (
                "POST",
                p("re-encrypt"),
                "",
                json!({
                    "cipher_text": cipher, "source_additional_authenticated_data": aad,
                    "destination_key_id": sm4, "destination_additional_authenticated_data": "to-sm4",
                }),
            ),
            (
                "POST",
                p("create-key"),
                "EC_P256",
                json!({ "key_alias": "fuzz-new-ec", "key_spec": "EC_P256", "key_usage": "SIGN_VERIFY" }),
            ),
            ("POST", p("get-publickey"), "", json!({ "key_id": signer })),
            (
                "POST",
                p("sign"),
                "",
                json!({ "key_id": signer, "message": digest, "signing_algorithm": "ECDSA_SHA_256",
                        "message_type": "DIGEST" }),
            ),
            (
                "POST",
                p("verify"),
                "",
                json!({ "key_id": signer, "message": digest, "signature": signature,
                        "signing_algorithm": "ECDSA_SHA_256" }),
            ),
            (
                "POST",
                p("generate-mac"),
                "",
                json!({ "key_id": hmac_key, "mac_algorithm": "HMAC_SHA_256", "message": digest }),
            ),
            (
                "POST",
                p("verify-mac"),
                "",
                json!({ "key_id": hmac_key, "mac_algorithm": "HMAC_SHA_256", "message": digest,
                        "mac": mac }),
            ),
            (
                "POST",
                p("encrypt-data"),
                "SM2",
                json!({ "key_id": sm2, "plain_text": "hello", "encryption_algorithm": "SM2_ENCRYPT" }),
            ),
            (
                "POST",
                p("decrypt-data"),
                "SM2",
                json!({ "key_id": sm2, "cipher_text": sm2_cipher, "encryption_algorithm": "SM2_ENCRYPT" }),
            ),
            (
                "POST",
                p("re-encrypt"),
                "SM2 to symmetric",
                json!({ "cipher_text": sm2_cipher, "source_encryption_algorithm": "SM2_ENCRYPT",
                        "source_key_id": sm2, "destination_key_id": generated }),
            ),
            (
                "POST",
                p("import-key-material"),
                "two layers",
                s.two_layer_body(&pending_ec, EC_P256),
            ),
            (
                "POST",
                p("gen-random"),
                "",
                json!({ "random_data_length": "512" }),
            ),
            (
                "POST",
                p("create-datakey"),
                "",
                json!({ "key_id": sm4, "key_spec": "AES_128", "additional_authenticated_data": aad }),
            ),
            (
                "POST",
                p("create-datakey-without-plaintext"),
                "",
                json!({ "key_id": generated, "datakey_length": "512" }),
            ),
            (
                "POST",
                p("encrypt-datakey"),
                "",
                json!({
                    "key_id": generated, "plain_text": hex::encode(&with_digest), "datakey_plain_length": "32",
                }),
            ),
            (
                "POST",
                p("decrypt-datakey"),
                "",
                json!({
                    "key_id": generated, "cipher_text": data_key["cipher_text"], "datakey_cipher_length": "32",
                }),
            ),
            (
                "POST",
                p("aliases"),
                "",
                json!({ "key_id": generated, "alias": "kms-fuzz-new" }),
            ),
            (
                "GET",
                format!("{}?key_id={generated}&limit=1", p("aliases")),
                "",
                Value::Null,
            ),
            (
                "DELETE",
                p("aliases"),
                "",
                json!({ "key_id": to_rename, "aliases": ["kms-fuzz-doomed"] }),
            ),
            (
                "POST",
                p("alias/associate"),
                "",
                json!({ "alias": "kms-fuzz-moving", "target_key_id": generated }),
            ),
            // Rotation (#17); an imported key only answers the status.
            (
                "POST",
                p("enable-key-rotation"),
                "",
                json!({ "key_id": sm4 }),
            ),
            (
                "POST",
                p("update-key-rotation-interval"),
                "",
                json!({ "key_id": sm4, "rotation_interval": 30 }),
            ),
            (
                "POST",
                p("get-key-rotation-status"),
                "",
                json!({ "key_id": imported }),
            ),
            (
                "POST",
                p("rotate-on-demand"),
                "",
                json!({ "key_id": generated }),
            ),
            (
                "POST",
                p("disable-key-rotation"),
                "",
                json!({ "key_id": sm4 }),
            ),
        ];
        let mut templates: Vec<Template> = Vec::new();
        let strict_routes = [
            "create-key",
            "describe-key",
            "disable-key",
            "schedule-key-deletion",
            "import-key-material",
            "encrypt-data",
            "decrypt-data",
            "create-datakey",
            "aliases",
        ];
        for (method, uri, variant, body) in &routes {
            let action = uri
                .rsplit("/kms/")
                .next()
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("");
            let label = format!("{method} {action} {variant}").trim().to_owned();
            let base = request(method, uri, body);
            if strict_routes.contains(&action) {
                let mut signed = copy(&base);
                assert!(sign(&mut signed), "{label}");
                templates.push(Template {
                    label: format!("strict {label}"),
                    lane: 1,
                    request: signed,
                    strict: true,
                    binds_body: true,
                });
            }
            templates.push(Template {
                label,
                lane: 0,
                request: base,
                strict: false,
                binds_body: false,
            });
        }
        // IAM: issuing a token, and using an issued and a static one in strict mode.
        let tokens = |body: &Value| {
            let mut r = request("POST", "/v3/auth/tokens", body);
            r.headers_mut().remove("authorization");
            r
        };
        let issue = tokens(&password_auth("alice", "Passw0rd!"));
        let issued = self.lanes[1].handle(copy(&issue));
        assert_eq!(issued.status(), 201, "{:?}", issued.body());
        let token = issued.headers()["x-subject-token"].clone();
        for (label, lane, strict) in [
            ("issue a token", 0, false),
            ("strict issue a token", 1, true),
        ] {
            templates.push(Template {
                label: label.to_owned(),
                lane,
                request: copy(&issue),
                strict,
                binds_body: false,
            });
        }
        for (label, value) in [
            ("issued", token.clone()),
            (
                "static",
                http::HeaderValue::from_static("MIIstatic-fuzz-token"),
            ),
        ] {
            let mut r = request(
                "POST",
                &p("encrypt-data"),
                &json!({ "key_id": generated, "plain_text": "with a token" }),
            );
            r.headers_mut().remove("authorization");
            r.headers_mut().insert("x-auth-token", value);
            templates.push(Template {
                label: format!("strict encrypt-data with an {label} token"),
                lane: 1,
                request: r,
                strict: true,
                binds_body: false,
            });
        }

        let operations = [
            "create-key",
            "describe-key",
            "list-keys",
            "enable-key",
            "disable-key",
            "schedule-key-deletion",
            "cancel-key-deletion",
            "update-key-alias",
            "update-key-description",
            "get-parameters-for-import",
            "import-key-material",
            "delete-imported-key-material",
            "encrypt-data",
            "decrypt-data",
            "re-encrypt",
            "gen-random",
            "create-datakey",
            "create-datakey-without-plaintext",
            "encrypt-datakey",
            "decrypt-datakey",
            "aliases",
            "alias/associate",
            "enable-key-rotation",
            "disable-key-rotation",
            "get-key-rotation-status",
            "update-key-rotation-interval",
            "rotate-on-demand",
            "get-publickey",
            "sign",
            "verify",
            "generate-mac",
            "verify-mac",
            // near misses and routes Huawei has and kmsgate does not
            "create-grant",
            "list-grants",
            "create-key/",
            "alias",
            "alias/associate/x",
            "kms",
        ];
        let mut paths: Vec<String> = operations.iter().map(|a| p(a)).collect();
        paths.extend([
            "/v3/auth/tokens".to_owned(),
            "/v3/auth/tokens/".to_owned(),
            format!("/v1.0/{PROJECT}/kms"),
            format!("/v1.0/{PROJECT}//kms/create-key"),
            format!("/v2/{PROJECT}/kms/create-key"),
            "/v1.0/fedcba9876543210fedcba9876543210/kms/list-keys".to_owned(),
            format!("/v1.0/{}/kms/list-keys", "p".repeat(65)),
            "/v1.0//kms/list-keys".to_owned(),
            "/v1.0/%2e%2e/kms/list-keys".to_owned(),
            "/".to_owned(),
        ]);
        let mut vocabulary = Vocabulary {
            paths,
            strings: [
                generated.clone(),
                sm4.clone(),
                imported.clone(),
                pending.clone(),
                disabled.clone(),
                doomed.clone(),
                PROJECT.to_owned(),
                "fedcba9876543210fedcba9876543210".to_owned(),
                "fuzz-gen".to_owned(),
                "kms-fuzz-listed".to_owned(),
                "00000000-0000-4000-8000-000000000000".to_owned(),
                generated.to_uppercase(),
                cipher.as_str().unwrap_or_default().to_owned(),
                "RSAES_OAEP_SHA_256".to_owned(),
                "SM2_ENCRYPT".to_owned(),
                "SM4".to_owned(),
                "AES_128".to_owned(),
                "HMAC_512".to_owned(),
                "SYMMETRIC_DEFAULT".to_owned(),
                signer.clone(),
                sm2.clone(),
                hmac_key.clone(),
                "EC_P256".to_owned(),
                "ED25519".to_owned(),
                "HMAC_SM3".to_owned(),
                "SIGN_VERIFY".to_owned(),
                "GENERATE_VERIFY_MAC".to_owned(),
                "RAW".to_owned(),
                "SM2DSA_SM3".to_owned(),
                "RSASSA_PSS_SHA_256".to_owned(),
                "HMAC_SHA_384".to_owned(),
                "external".to_owned(),
                "kms".to_owned(),
                "1096".to_owned(),
                "8192".to_owned(),
                "ab".repeat(600),
                "MIIstatic-fuzz-token".to_owned(),
            ]
            .to_vec(),
            headers: [
                ("content-type", "application/json"),
                ("content-type", "text/plain"),
                ("x-project-id", PROJECT),
                ("x-project-id", "fedcba9876543210fedcba9876543210"),
                ("x-auth-token", "MIIstatic-fuzz-token"),
                ("x-auth-token", "MIIforged"),
                ("x-sdk-date", "20261122T095237Z"),
                ("x-sdk-date", "not a date"),
                ("x-sdk-content-sha256", "UNSIGNED-PAYLOAD"),
                (
                    "x-sdk-content-sha256",
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                ),
                (
                    "authorization",
                    "SDK-HMAC-SHA256 Access=HPUAOTHER, SignedHeaders=host;x-sdk-date, Signature=00",
                ),
                ("authorization", "SDK-HMAC-SHA256"),
                (
                    "authorization",
                    "SDK-HMAC-SM3 Access=a, SignedHeaders=host, Signature=00",
                ),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .to_vec(),
            hash_headers: vec!["x-sdk-content-sha256".to_owned()],
            ..Vocabulary::default()
        };
        vocabulary.harvest(&templates);
        Ok((templates, vocabulary))
    }

    fn handle(&self, lane: usize, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        self.lanes[lane].handle(request)
    }

    fn snapshot(&self) -> Self::Snapshot {
        StoreSnapshot::of(self.kms.as_ref().unwrap().store().as_ref())
    }

    fn difference(&self, before: &Self::Snapshot, after: &Self::Snapshot) -> Option<String> {
        before.changes_to(after)
    }

    fn verdict(&self, response: &http::Response<Vec<u8>>) -> Verdict {
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type");
        if content_type.is_none_or(|c| c != "application/json;charset=UTF-8") {
            return Verdict::Malformed(format!("content-type {content_type:?}"));
        }
        if !response.headers().contains_key("x-request-id") {
            return Verdict::Malformed("no X-Request-Id".to_owned());
        }
        let body: Value = if response.body().is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(response.body()) {
                Ok(v) => v,
                Err(e) => return Verdict::Malformed(format!("body is not JSON: {e}")),
            }
        };
        // Huawei's three error shapes: KMS's nested one, the gateway's flat one, IAM's (whose
        // `code` is the HTTP status, `title` its name).
        let code = body["error"]["error_code"]
            .as_str()
            .or(body["error_code"].as_str())
            .or(body["error"]["title"].as_str())
            .unwrap_or("");
        match status {
            200..=299 if code.is_empty() => Verdict::Success,
            400..=499 if !code.is_empty() => Verdict::Refused,
            500..=599 => Verdict::ServerError(format!("{status} {code}")),
            _ => Verdict::Malformed(format!("status {status} with code {code:?}")),
        }
    }

    /// A token, when present, authenticates the request instead of the signature (as at
    /// Huawei's gateway), and a token binds no body: a valid one added by a mutation makes
    /// the changed body legitimately acceptable.
    fn still_signed(&self, _template: &Template, request: &http::Request<Vec<u8>>) -> bool {
        !request.headers().contains_key("x-auth-token")
    }

    /// Signed requests only: a token request stays as it was.
    fn resign(&self, template: &Template, request: &mut http::Request<Vec<u8>>) -> bool {
        template.binds_body && sign(request)
    }
}

#[test]
fn every_template_is_answered_on_a_fresh_fixture() {
    let mut huawei = Huawei::default();
    let count = huawei.rebuild(0).unwrap().0.len();
    for i in 0..count {
        let (templates, _) = huawei.rebuild(0).unwrap();
        let t = &templates[i];
        let answer = huawei.handle(t.lane, copy(&t.request));
        assert_eq!(
            huawei.verdict(&answer),
            Verdict::Success,
            "{}: {}",
            t.label,
            String::from_utf8_lossy(answer.body())
        );
    }
}

#[test]
fn signed_templates_are_refused_once_changed() {
    let mut huawei = Huawei::default();
    let (templates, _) = huawei.rebuild(0).unwrap();
    let signed: Vec<&Template> = templates.iter().filter(|t| t.binds_body).collect();
    // As many as there are signed operations: a test over none would pass.
    assert!(signed.len() >= 10, "{} signed templates", signed.len());
    for t in signed {
        let mut changed = copy(&t.request);
        if t.request.body().is_empty() {
            // Another method would be another route (404 before authentication).
            *changed.uri_mut() = format!("{}&limit=2", t.request.uri()).parse().unwrap();
        } else {
            changed.body_mut().push(b' ');
        }
        let answer = huawei.handle(t.lane, changed);
        assert_eq!(answer.status(), 401, "{}", t.label);
    }
}
