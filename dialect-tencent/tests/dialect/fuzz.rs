//! The fuzz harness (issue #14, item 6): valid requests of every action, mutated
//! structure-aware by `dialect_kit::fuzz`, sent straight to `TencentDialect::handle`. Three
//! listeners share one engine: permissive FIPS (most cases: deep into every action),
//! strict FIPS with really signed requests (TC3 and the legacy HmacSHA256 form:
//! authentication paths), and permissive SM (SM4 keys, SM2 wrapping) in another region.
//! Every key and alias record is compared before and after each refused request.
//!
//! `KMSGATE_FUZZ_CASES` sets the number of cases (CI: the default below), `KMSGATE_FUZZ_SEED`
//! the seed; the long run is
//! `KMSGATE_FUZZ_CASES=1000000 cargo test --release -p dialect-tencent --test dialect fuzz -- --nocapture`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialect_kit::Dialect;
use dialect_kit::fuzz::{self, Target, Template, Verdict, Vocabulary};
use dialect_kit::percent;
use dialect_kit::signing::{header_pairs, hmac_sha256};
use dialect_tencent::tc3::{self, Authorization, SignedParts};
use dialect_tencent::{Action, Credential, Edition, QuotaSettings, Settings, TencentDialect};
use kms_core::testing::{StoreSnapshot, VectorKeyPairs};
use kms_core::{Clocks, Kms, ManualClock, MemoryStore, RootKey};
use serde_json::{Value, json};

use crate::support::{CAPTURE_TIME, REGION, SECRET_ID, SECRET_KEY, b64};

/// CI's share: a few seconds in the debug test profile on two cores.
const DEFAULT_CASES: u64 = 5_000;

const HOST: &str = "127.0.0.1:8412";
/// The SM listener's tenant: another region of the same account.
const SM_REGION: &str = "ap-shanghai";

#[test]
fn fuzz() {
    let config = fuzz::Config::from_env(DEFAULT_CASES).unwrap();
    let report = fuzz::run(&mut Tencent::default(), &config).unwrap();
    println!("{report}");
    assert!(report.findings.is_empty(), "{report}");
    assert_eq!(
        report.cases,
        config.cases + config.first % config.rebuild_every
    );
}

/// A TC3 request as the SDK sends it: JSON body for POST, the flattened query for GET;
/// signed with the configured secret (good for the strict listener too).
fn tc3_request(
    method: &str,
    query: &str,
    body: Vec<u8>,
    action: &str,
    region: &str,
) -> http::Request<Vec<u8>> {
    let uri = if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{query}")
    };
    let content_type = if method == "GET" {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let mut request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .header("host", HOST)
        .header("x-tc-action", action)
        .header("x-tc-version", "2019-01-18")
        .header("x-tc-timestamp", CAPTURE_TIME.as_secs().to_string())
        .header("x-tc-region", region)
        .header("x-tc-language", "en-US")
        .body(body)
        .unwrap();
    sign_tc3(&mut request);
    request
}

/// Signs `request` with TC3 over the headers it carries now, as the SDK does.
fn sign_tc3(request: &mut http::Request<Vec<u8>>) {
    let timestamp = request
        .headers()
        .get("x-tc-timestamp")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut auth = Authorization {
        secret_id: SECRET_ID.to_owned(),
        date: tc3::utc_date(timestamp.parse().unwrap_or(CAPTURE_TIME.as_secs())),
        service: "kms".to_owned(),
        signed_headers: vec!["content-type".into(), "host".into()],
        signature: [0; 32],
    };
    let signature = {
        let headers = header_pairs(request.headers());
        let parts = SignedParts {
            method: request.method().as_str(),
            query: request.uri().query().unwrap_or(""),
            headers: &headers,
            body: request.body(),
            timestamp: &timestamp,
        };
        tc3::signature(&parts, &auth, SECRET_KEY)
    };
    auth.signature = signature;
    let header = format!(
        "TC3-HMAC-SHA256 Credential={SECRET_ID}/{}/kms/tc3_request, SignedHeaders=content-type;host, Signature={}",
        auth.date,
        hex::encode(auth.signature)
    );
    request
        .headers_mut()
        .insert("authorization", header.parse().unwrap());
}

/// The legacy form (`SignatureMethod=HmacSHA256`): every parameter in a form body, signed
/// over the sorted pairs.
fn legacy_request(action: &str, params: &[(&str, &str)]) -> http::Request<Vec<u8>> {
    let timestamp = CAPTURE_TIME.as_secs().to_string();
    let mut pairs: Vec<(String, String)> = [
        ("Action", action),
        ("Version", "2019-01-18"),
        ("Region", REGION),
        ("Timestamp", &timestamp),
        ("Nonce", "649585992698467462"),
        ("SecretId", SECRET_ID),
        ("SignatureMethod", "HmacSHA256"),
    ]
    .iter()
    .chain(params)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let to_sign = dialect_tencent::legacy_sign::string_to_sign("POST", HOST, "/", &pairs);
    let signature = STANDARD.encode(hmac_sha256(SECRET_KEY.as_bytes(), to_sign.as_bytes()));
    pairs.push(("Signature".to_owned(), signature));
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent::quote(v.as_bytes())))
        .collect();
    http::Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("host", HOST)
        .body(body.join("&").into_bytes())
        .unwrap()
}

#[derive(Default)]
struct Tencent {
    kms: Option<Arc<Kms>>,
    /// 0: permissive FIPS; 1: strict FIPS; 2: permissive SM.
    lanes: Vec<TencentDialect>,
}

/// The fixture's setup calls, which must all succeed.
struct Setup<'a> {
    dialect: &'a TencentDialect,
    region: &'a str,
}

impl Setup<'_> {
    fn call(&self, action: &str, body: Value) -> Value {
        let request = tc3_request(
            "POST",
            "",
            body.to_string().into_bytes(),
            action,
            self.region,
        );
        let response = self.dialect.handle(request);
        let reply: Value = serde_json::from_slice(response.body()).unwrap();
        assert!(
            reply["Response"].get("Error").is_none(),
            "setup {action}: {reply}"
        );
        reply["Response"].clone()
    }

    fn create(&self, alias: &str, key_type: u8) -> String {
        self.call("CreateKey", json!({ "Alias": alias, "Type": key_type }))["KeyId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Import parameters for `key` and `material` wrapped under them.
    fn import_body(&self, key: &str, (algorithm, spec): (&str, &str), material: &[u8]) -> Value {
        let p = self.call(
            "GetParametersForImport",
            json!({ "KeyId": key, "WrappingAlgorithm": algorithm, "WrappingKeySpec": spec }),
        );
        let public =
            byok_wrap::PublicKey::parse(p["PublicKey"].as_str().unwrap().as_bytes()).unwrap();
        let wrapped = byok_wrap::wrap(
            &public,
            byok_wrap::Algorithm::parse(algorithm).unwrap(),
            material,
            byok_wrap::Sm2Format::Der,
        )
        .unwrap();
        json!({
            "KeyId": key,
            "ImportToken": p["ImportToken"],
            "EncryptedKeyMaterial": b64(&wrapped),
            "ValidTo": 0,
        })
    }
}

impl Target for Tencent {
    type Snapshot = StoreSnapshot;

    fn name(&self) -> &str {
        "tencent"
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
        // Quotas off: with a frozen clock the ImportKeyMaterial window never ends.
        let base = Settings {
            quotas: QuotaSettings {
                enabled: false,
                ..QuotaSettings::default()
            },
            ..Settings::default()
        };
        let strict = Settings {
            strict_auth: true,
            credentials: [(
                SECRET_ID.to_owned(),
                Credential {
                    secret_key: SECRET_KEY.to_owned(),
                    account: None,
                },
            )]
            .into(),
            ..base.clone()
        };
        let sm = Settings {
            edition: Edition::Sm,
            ..base.clone()
        };
        self.lanes = vec![
            TencentDialect::new(kms.clone(), base, clocks()),
            TencentDialect::new(kms.clone(), strict, clocks()),
            TencentDialect::new(kms.clone(), sm, clocks()),
        ];
        self.kms = Some(kms);
        let s = Setup {
            dialect: &self.lanes[0],
            region: REGION,
        };

        // Keys in every state; each state-changing template has a key of its own, so that
        // one does not spoil another's until the next rebuild.
        let generated = s.call(
            "CreateKey",
            json!({ "Alias": "fuzz-gen", "Description": "generated", "Tags": [{ "TagKey": "team", "TagValue": "a" }] }),
        )["KeyId"]
            .as_str()
            .unwrap()
            .to_owned();
        let to_disable = s.create("fuzz-to-disable", 1);
        let to_schedule = s.create("fuzz-to-schedule", 1);
        let to_rename = s.create("fuzz-to-rename", 1);
        let disabled = s.create("fuzz-disabled", 1);
        s.call("DisableKey", json!({ "KeyId": disabled }));
        // Tencent schedules deletion of disabled keys only.
        s.call("DisableKey", json!({ "KeyId": to_schedule }));
        let doomed = s.create("fuzz-doomed", 1);
        s.call("DisableKey", json!({ "KeyId": doomed }));
        s.call(
            "ScheduleKeyDeletion",
            json!({ "KeyId": doomed, "PendingWindowInDays": 7 }),
        );
        let pending = s.create("fuzz-pending", 2);
        let imported = s.create("fuzz-imported", 2);
        let material = [7u8; 32];
        let oaep = ("RSAES_OAEP_SHA_256", "RSA_2048");
        let body = s.import_body(&imported, oaep, &material);
        s.call("ImportKeyMaterial", body);
        let to_delete = s.create("fuzz-to-delete", 2);
        let body = s.import_body(&to_delete, oaep, &material);
        s.call("ImportKeyMaterial", body);
        let ctx = r#"{"purpose":"fuzz","n":"1"}"#;
        let blob = s.call(
            "Encrypt",
            json!({ "KeyId": generated, "Plaintext": b64(b"secret"), "EncryptionContext": ctx }),
        )["CiphertextBlob"]
            .clone();
        let imported_blob = s.call(
            "Encrypt",
            json!({ "KeyId": imported, "Plaintext": b64(b"byok") }),
        )["CiphertextBlob"]
            .clone();
        // RotateKey needs rotation enabled.
        s.call(
            "EnableKeyRotation",
            json!({ "KeyId": generated, "RotateDays": 30 }),
        );
        // Generated asymmetric keys (#16): an ECC signer and an SM2 decryption key (no RSA
        // key generation in every rebuild).
        let signer = s.call(
            "CreateKey",
            json!({ "Alias": "fuzz-ecc", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECC" }),
        )["KeyId"]
            .as_str()
            .unwrap()
            .to_owned();
        let sm2 = s.call(
            "CreateKey",
            json!({ "Alias": "fuzz-sm2", "KeyUsage": "ASYMMETRIC_DECRYPT_SM2" }),
        )["KeyId"]
            .as_str()
            .unwrap()
            .to_owned();
        let signature = s.call(
            "SignByAsymmetricKey",
            json!({ "KeyId": signer, "Message": b64(b"fuzz"), "Algorithm": "ECC_P256_R1" }),
        )["Signature"]
            .clone();
        let sm2_public = s.call("GetPublicKey", json!({ "KeyId": sm2 }))["PublicKey"].clone();
        let sm2_cipher = byok_wrap::wrap(
            &byok_wrap::PublicKey::parse(sm2_public.as_str().unwrap().as_bytes()).unwrap(),
            byok_wrap::Algorithm::Sm2,
            b"fuzz",
            byok_wrap::Sm2Format::Der,
        )
        .unwrap();
        let sm_setup = Setup {
            dialect: &self.lanes[2],
            region: SM_REGION,
        };
        let sm_generated = sm_setup.create("sm-gen", 1);
        let sm_pending = sm_setup.create("sm-pending", 2);
        // SM4 keys take 16 bytes.
        let sm_import = sm_setup.import_body(&sm_pending, ("SM2PKE", "SM2"), &[5u8; 16]);

        let bodies: Vec<(&str, &str, Value)> = vec![
            (
                "CreateKey",
                "full",
                json!({
                    "Alias": "fuzz-new", "Description": "fuzz", "KeyUsage": "ENCRYPT_DECRYPT", "Type": 1,
                    "Tags": [{ "TagKey": "env", "TagValue": "fuzz" }],
                }),
            ),
            (
                "CreateKey",
                "external",
                json!({ "Alias": "fuzz-new-external", "Type": 2 }),
            ),
            ("DescribeKey", "", json!({ "KeyId": generated })),
            (
                "DescribeKeys",
                "",
                json!({ "KeyIds": [generated, imported, doomed] }),
            ),
            (
                "ListKeys",
                "",
                json!({ "Offset": 1, "Limit": 5, "Role": 0 }),
            ),
            (
                "ListKeyDetail",
                "filtered",
                json!({
                    "Offset": 0, "Limit": 10, "Role": 0, "OrderType": 1, "KeyState": 0,
                    "SearchKeyAlias": "fuzz", "Origin": "ALL", "KeyUsage": "ALL",
                    "TagFilters": [{ "TagKey": "team", "TagValue": ["a"] }],
                }),
            ),
            ("EnableKey", "", json!({ "KeyId": disabled })),
            ("DisableKey", "", json!({ "KeyId": to_disable })),
            (
                "ScheduleKeyDeletion",
                "",
                json!({ "KeyId": to_schedule, "PendingWindowInDays": 7 }),
            ),
            ("CancelKeyDeletion", "", json!({ "KeyId": doomed })),
            (
                "UpdateAlias",
                "",
                json!({ "KeyId": to_rename, "Alias": "fuzz-renamed" }),
            ),
            (
                "UpdateKeyDescription",
                "",
                json!({ "KeyId": generated, "Description": "renamed" }),
            ),
            (
                "GetParametersForImport",
                "",
                json!({
                    "KeyId": pending, "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_2048",
                }),
            ),
            (
                "ImportKeyMaterial",
                "first",
                s.import_body(&pending, oaep, &material),
            ),
            ("ImportKeyMaterial", "again, expiring", {
                let mut b = s.import_body(&imported, ("RSAES_PKCS1_V1_5", "RSA_2048"), &material);
                b["ValidTo"] = json!(CAPTURE_TIME.as_secs() + 86_400);
                b
            }),
            (
                "DeleteImportedKeyMaterial",
                "",
                json!({ "KeyId": to_delete }),
            ),
            (
                "Encrypt",
                "",
                json!({ "KeyId": generated, "Plaintext": b64(b"hello"), "EncryptionContext": ctx }),
            ),
            (
                "Decrypt",
                "with context",
                json!({ "CiphertextBlob": blob, "EncryptionContext": ctx }),
            ),
            (
                "Decrypt",
                "imported",
                json!({ "CiphertextBlob": imported_blob }),
            ),
            (
                "ReEncrypt",
                "",
                json!({
                    "CiphertextBlob": blob, "SourceEncryptionContext": ctx, "DestinationKeyId": imported,
                    "DestinationEncryptionContext": r#"{"to":"imported"}"#,
                }),
            ),
            (
                "GenerateDataKey",
                "spec",
                json!({ "KeyId": generated, "KeySpec": "AES_256", "EncryptionContext": ctx }),
            ),
            (
                "GenerateDataKey",
                "bytes",
                json!({ "KeyId": imported, "NumberOfBytes": 64 }),
            ),
            ("GenerateRandom", "", json!({ "NumberOfBytes": 32 })),
            ("GetServiceStatus", "", json!({})),
            // Rotation (#17); an imported key only answers the status.
            (
                "EnableKeyRotation",
                "",
                json!({ "KeyId": generated, "RotateDays": 7 }),
            ),
            ("RotateKey", "", json!({ "KeyId": generated })),
            ("GetKeyRotationStatus", "", json!({ "KeyId": imported })),
            ("DisableKeyRotation", "", json!({ "KeyId": generated })),
            ("GetPublicKey", "", json!({ "KeyId": signer })),
            (
                "SignByAsymmetricKey",
                "",
                json!({ "KeyId": signer, "Message": b64(&[3u8; 32]), "Algorithm": "ECC_P256_R1",
                        "MessageType": "DIGEST" }),
            ),
            (
                "VerifyByAsymmetricKey",
                "",
                json!({ "KeyId": signer, "Message": b64(b"fuzz"), "Algorithm": "ECC_P256_R1",
                        "SignatureValue": signature }),
            ),
            (
                "AsymmetricSm2Decrypt",
                "",
                json!({ "KeyId": sm2, "Ciphertext": b64(&sm2_cipher) }),
            ),
            ("ListAlgorithms", "", json!({})),
            (
                "CreateKey",
                "asymmetric",
                json!({ "Alias": "fuzz-new-sm2", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_SM2" }),
            ),
        ];
        let mut templates: Vec<Template> = Vec::new();
        let strict_actions = [
            "CreateKey",
            "DescribeKey",
            "DisableKey",
            "ScheduleKeyDeletion",
            "ImportKeyMaterial",
            "Encrypt",
            "Decrypt",
            "GenerateDataKey",
            "UpdateAlias",
            "ListKeyDetail",
        ];
        for (action, variant, body) in &bodies {
            let request = tc3_request("POST", "", body.to_string().into_bytes(), action, REGION);
            let label = format!("{action} {variant}").trim().to_owned();
            if strict_actions.contains(action) {
                templates.push(Template {
                    label: format!("strict {label}"),
                    lane: 1,
                    request: copy(&request),
                    strict: true,
                    binds_body: true,
                });
            }
            templates.push(Template {
                label,
                lane: 0,
                request,
                strict: false,
                binds_body: false,
            });
        }
        // The GET form: flattened parameters in the query string.
        let get = tc3_request(
            "GET",
            &format!("KeyIds.0={generated}&KeyIds.1={imported}"),
            Vec::new(),
            "DescribeKeys",
            REGION,
        );
        templates.push(Template {
            label: "strict DescribeKeys GET".to_owned(),
            lane: 1,
            request: copy(&get),
            strict: true,
            binds_body: true,
        });
        templates.push(Template {
            label: "DescribeKeys GET".to_owned(),
            lane: 0,
            request: get,
            strict: false,
            binds_body: false,
        });
        // The legacy signature: common parameters in the form body too. Its signature
        // covers decoded pairs, so equivalent encodings of a changed body may pass: no
        // binding is claimed for it.
        for (action, params) in [
            ("DescribeKey", vec![("KeyId", generated.as_str())]),
            (
                "Encrypt",
                vec![("KeyId", generated.as_str()), ("Plaintext", "aGVsbG8=")],
            ),
            ("ListKeys", vec![("Limit", "2")]),
        ] {
            let request = legacy_request(action, &params);
            templates.push(Template {
                label: format!("strict legacy {action}"),
                lane: 1,
                request: copy(&request),
                strict: true,
                binds_body: false,
            });
            templates.push(Template {
                label: format!("legacy {action}"),
                lane: 0,
                request,
                strict: false,
                binds_body: false,
            });
        }
        // The SM edition, in its own region.
        for (action, body) in [
            (
                "Encrypt",
                json!({ "KeyId": sm_generated, "Plaintext": b64(b"sm") }),
            ),
            (
                "GetParametersForImport",
                json!({ "KeyId": sm_pending, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "SM2" }),
            ),
            ("ImportKeyMaterial", sm_import),
        ] {
            templates.push(Template {
                label: format!("SM {action}"),
                lane: 2,
                request: tc3_request("POST", "", body.to_string().into_bytes(), action, SM_REGION),
                strict: false,
                binds_body: false,
            });
        }

        let mut vocabulary = Vocabulary {
            routing: vec![
                (
                    "x-tc-action".to_owned(),
                    Action::ALL
                        .iter()
                        .map(|a| a.name().to_owned())
                        .chain(
                            [
                                "ArchiveKey",
                                "GetRegions",
                                "createKey",
                                "CREATEKEY",
                                "CreateKey ",
                                "",
                                "kms.CreateKey",
                            ]
                            .map(str::to_owned),
                        )
                        .collect(),
                ),
                (
                    "x-tc-version".to_owned(),
                    ["2019-01-18", "2017-03-12", "2019-1-18", ""]
                        .map(str::to_owned)
                        .to_vec(),
                ),
                (
                    "x-tc-region".to_owned(),
                    [REGION, SM_REGION, "ap-nowhere", "", "../ap-guangzhou"]
                        .map(str::to_owned)
                        .to_vec(),
                ),
                (
                    "x-tc-timestamp".to_owned(),
                    [
                        (CAPTURE_TIME.as_secs() + 299).to_string(),
                        (CAPTURE_TIME.as_secs() + 301).to_string(),
                        "0".to_owned(),
                        "-1".to_owned(),
                        "99999999999999999999".to_owned(),
                        "1.5e9".to_owned(),
                    ]
                    .to_vec(),
                ),
            ],
            paths: ["/", "//", "/?Action=ListKeys", "/kms"]
                .map(str::to_owned)
                .to_vec(),
            strings: [
                generated.clone(),
                imported.clone(),
                pending.clone(),
                disabled.clone(),
                doomed.clone(),
                sm_generated.clone(),
                "fuzz-gen".to_owned(),
                "00000000-0000-4000-8000-000000000000".to_owned(),
                generated.to_uppercase(),
                blob.as_str().unwrap_or_default().to_owned(),
                imported_blob.as_str().unwrap_or_default().to_owned(),
                ctx.to_owned(),
                "{}".to_owned(),
                "[]".to_owned(),
                r#"{"a":{"b":1}}"#.to_owned(),
                "RSAES_PKCS1_V1_5".to_owned(),
                "SM2PKE".to_owned(),
                "SM2".to_owned(),
                "RSA_4096".to_owned(),
                "AES_128".to_owned(),
                "AES_512".to_owned(),
                "ASYMMETRIC_DECRYPT_RSA_2048".to_owned(),
                "EXTERNAL".to_owned(),
                "TENCENT_KMS".to_owned(),
                "a".repeat(61),
                "TC3-HMAC-SHA256".to_owned(),
            ]
            .to_vec(),
            headers: [
                ("content-type", "application/json; charset=utf-8"),
                ("content-type", "application/x-www-form-urlencoded"),
                ("content-type", "text/plain"),
                ("x-tc-token", "session-token"),
                ("x-tc-traceid", "077c638f-185b-417c-8ab2-ccbc0441b68c"),
                ("x-tc-requestclient", "SDK_PYTHON_3.1.192"),
                ("x-tc-language", "zh-CN"),
                (
                    "authorization",
                    "TC3-HMAC-SHA256 Credential=AKIDother/2026-11-22/kms/tc3_request, SignedHeaders=content-type;host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
                ),
                (
                    "authorization",
                    "TC3-HMAC-SHA256 Credential=AKIDother/2026-11-22/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=00",
                ),
                ("authorization", "TC3-HMAC-SHA256"),
                ("authorization", "HmacSHA1 abc"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .to_vec(),
            hash_headers: vec!["x-tc-content-sha256".to_owned()],
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

    /// Tencent answers everything with HTTP 200 and `{"Response": ...}` (a request no Tencent
    /// client would send: the same envelope with a 400); an error is `Response.Error`, a
    /// server fault an `InternalError*` code.
    fn verdict(&self, response: &http::Response<Vec<u8>>) -> Verdict {
        let status = response.status().as_u16();
        if status >= 500 {
            return Verdict::ServerError(format!("status {status}"));
        }
        if status != 200 && status != 400 {
            return Verdict::Malformed(format!("status {status}"));
        }
        if response
            .headers()
            .get("content-type")
            .is_none_or(|c| c != "application/json")
        {
            return Verdict::Malformed("content-type".to_owned());
        }
        let body: Value = match serde_json::from_slice(response.body()) {
            Ok(v) => v,
            Err(e) => return Verdict::Malformed(format!("body is not JSON: {e}")),
        };
        let inner = &body["Response"];
        if !inner["RequestId"].is_string() {
            return Verdict::Malformed("no Response.RequestId".to_owned());
        }
        match inner.get("Error") {
            None if status == 200 => Verdict::Success,
            None => Verdict::Malformed("a 400 without Response.Error".to_owned()),
            Some(error) => match (error["Code"].as_str(), error["Message"].as_str()) {
                (Some(code), Some(_)) if code.starts_with("InternalError") => {
                    Verdict::ServerError(code.to_owned())
                }
                (Some(_), Some(_)) => Verdict::Refused,
                _ => Verdict::Malformed(format!("error without code or message: {error}")),
            },
        }
    }

    /// TC3 requests only: the legacy signature lives in the body the mutation changed.
    fn resign(&self, template: &Template, request: &mut http::Request<Vec<u8>>) -> bool {
        if template.label.contains("legacy") {
            return false;
        }
        sign_tc3(request);
        true
    }
}

fn copy(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut r = http::Request::new(request.body().clone());
    *r.method_mut() = request.method().clone();
    *r.uri_mut() = request.uri().clone();
    *r.headers_mut() = request.headers().clone();
    r
}

fn code(response: &http::Response<Vec<u8>>) -> String {
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    body["Response"]["Error"]["Code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn every_template_is_answered_on_a_fresh_fixture() {
    let mut tencent = Tencent::default();
    let count = tencent.rebuild(0).unwrap().0.len();
    for i in 0..count {
        let (templates, _) = tencent.rebuild(0).unwrap();
        let t = &templates[i];
        let answer = tencent.handle(t.lane, copy(&t.request));
        assert_eq!(
            tencent.verdict(&answer),
            Verdict::Success,
            "{}: {}",
            t.label,
            String::from_utf8_lossy(answer.body())
        );
    }
}

#[test]
fn strict_templates_are_refused_once_changed() {
    let mut tencent = Tencent::default();
    let (templates, _) = tencent.rebuild(0).unwrap();
    let strict: Vec<&Template> = templates.iter().filter(|t| t.strict).collect();
    // As many as there are signed operations: a test over none would pass.
    assert!(strict.len() >= 10, "{} strict templates", strict.len());
    for t in strict {
        let mut changed = copy(&t.request);
        if t.request.body().is_empty() {
            *changed.method_mut() = http::Method::POST;
        } else {
            changed.body_mut().push(b'&');
            changed.body_mut().push(b'x');
        }
        let answer = tencent.handle(t.lane, changed);
        assert_eq!(code(&answer), "AuthFailure.SignatureFailure", "{}", t.label);
    }
}
