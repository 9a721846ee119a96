//! The fuzz harness (issue #14, item 6): valid requests of every operation, mutated
//! structure-aware by `dialect_kit::fuzz`, sent straight to `AwsDialect::handle`. A permissive
//! listener takes most cases (deep into every operation), a strict one with properly
//! signed requests the rest (authentication paths); both share one engine, whose every
//! record is compared before and after each refused request.
//!
//! `KMSGATE_FUZZ_CASES` sets the number of cases (CI: the default below), `KMSGATE_FUZZ_SEED`
//! the seed; the long run is
//! `KMSGATE_FUZZ_CASES=1000000 cargo test --release -p dialect-aws --test dialect fuzz -- --nocapture`.

use std::sync::Arc;

use dialect_aws::sigv4::{self, Authorization, SignedParts};
use dialect_aws::{AwsDialect, Settings};
use dialect_kit::Dialect;
use dialect_kit::fuzz::{self, Target, Template, Verdict, Vocabulary};
use dialect_kit::signing::{header_pairs, hmac_sha256};
use kms_core::testing::{StoreSnapshot, VectorKeyPairs};
use kms_core::{Clocks, Kms, ManualClock, MemoryStore, RootKey};
use serde_json::{Value, json};

use crate::support::{CAPTURE_TIME, b64};

/// CI's share: a few seconds in the debug test profile on two cores.
const DEFAULT_CASES: u64 = 5_000;

const AMZ_DATE: &str = "20261122T093232Z";
const STRICT_ACCESS_KEY: &str = "AKIAFUZZSTRICT000001";
const STRICT_SECRET: &str = "fuzz/strict+secret";
const SIGNED_HEADERS: [&str; 4] = ["content-type", "host", "x-amz-date", "x-amz-target"];

const OPERATIONS: [&str; 29] = [
    "CreateKey",
    "DescribeKey",
    "ListKeys",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "UpdateKeyDescription",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateRandom",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "ListAliases",
    "TagResource",
    "UntagResource",
    "ListResourceTags",
    "GetPublicKey",
    "Sign",
    "Verify",
    "GenerateMac",
    "VerifyMac",
];

/// An OpenSSL-made P-256 private key (PKCS#8), the asymmetric import template's material.
const P256_PKCS8: &[u8] = include_bytes!("../data/asymmetric/p256.pk8");

#[test]
fn fuzz() {
    let config = fuzz::Config::from_env(DEFAULT_CASES).unwrap();
    let report = fuzz::run(&mut Aws::default(), &config).unwrap();
    println!("{report}");
    assert!(report.findings.is_empty(), "{report}");
    assert_eq!(
        report.cases,
        config.cases + config.first % config.rebuild_every
    );
}

#[derive(Default)]
struct Aws {
    kms: Option<Arc<Kms>>,
    /// 0: permissive; 1: strict.
    lanes: Vec<AwsDialect>,
}

impl Aws {
    fn kms(&self) -> &Kms {
        self.kms.as_ref().unwrap()
    }
}

fn request(region: &str, op: &str, body: &Value) -> http::Request<Vec<u8>> {
    http::Request::post("/")
        .header("host", "127.0.0.1:8411")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("TrentService.{op}"))
        .header("x-amz-date", AMZ_DATE)
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/{region}/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
                "0".repeat(64)
            ),
        )
        .body(body.to_string().into_bytes())
        .unwrap()
}

/// Signs `request` with SigV4 as botocore does, over the headers it carries now.
fn sign(request: &mut http::Request<Vec<u8>>) {
    let amz_date = request
        .headers()
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .filter(|d| d.len() >= 8 && d.is_char_boundary(8))
        .unwrap_or(AMZ_DATE)
        .to_owned();
    let mut auth = Authorization {
        access_key_id: STRICT_ACCESS_KEY.to_owned(),
        date: amz_date[..8].to_owned(),
        region: "us-east-1".to_owned(),
        service: "kms".to_owned(),
        signed_headers: SIGNED_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        signature: [0; 32],
    };
    let canonical = {
        let headers = header_pairs(request.headers());
        let parts = SignedParts {
            method: request.method().as_str(),
            path: request.uri().path(),
            query: request.uri().query().unwrap_or(""),
            headers: &headers,
            body: request.body(),
        };
        sigv4::canonical_request(&parts, &auth.signed_headers)
    };
    let to_sign = sigv4::string_to_sign(&amz_date, &auth, &canonical);
    let mut key = hmac_sha256(
        format!("AWS4{STRICT_SECRET}").as_bytes(),
        auth.date.as_bytes(),
    );
    for part in [auth.region.as_str(), auth.service.as_str(), "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    auth.signature = hmac_sha256(&key, to_sign.as_bytes());
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={STRICT_ACCESS_KEY}/{}/us-east-1/kms/aws4_request, SignedHeaders={}, Signature={}",
        auth.date,
        SIGNED_HEADERS.join(";"),
        hex::encode(auth.signature)
    );
    request
        .headers_mut()
        .insert("authorization", header.parse().unwrap());
}

/// The fixture's setup calls, which must all succeed.
struct Setup<'a> {
    dialect: &'a AwsDialect,
}

impl Setup<'_> {
    fn call_in(&self, region: &str, op: &str, body: Value) -> Value {
        let response = self.dialect.handle(request(region, op, &body));
        let text = String::from_utf8_lossy(response.body()).into_owned();
        assert_eq!(response.status(), 200, "setup {op}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    fn call(&self, op: &str, body: Value) -> Value {
        self.call_in("us-east-1", op, body)
    }

    fn create(&self, region: &str, body: Value) -> String {
        self.call_in(region, "CreateKey", body)["KeyMetadata"]["KeyId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Import parameters for `key` and `material` wrapped under them.
    fn import_body(
        &self,
        region: &str,
        key: &str,
        (algorithm, spec): (&str, &str),
        material: &[u8],
    ) -> Value {
        let p = self.call_in(
            region,
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
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
        })
    }
}

impl Target for Aws {
    type Snapshot = StoreSnapshot;

    fn name(&self) -> &str {
        "aws"
    }

    fn rebuild(&mut self, _block: u64) -> Result<(Vec<Template>, Vocabulary), String> {
        let clock = Arc::new(ManualClock::new(CAPTURE_TIME));
        let kms = Arc::new(
            Kms::builder(Arc::new(MemoryStore::new()), &RootKey::from_bytes([9; 32]))
                .clock(clock.clone())
                .key_pairs(Arc::new(VectorKeyPairs))
                .build(),
        );
        let clocks = || Clocks {
            real: clock.clone(),
            emulated: clock.clone(),
        };
        let strict = Settings {
            strict_auth: true,
            credentials: [(STRICT_ACCESS_KEY.to_owned(), STRICT_SECRET.to_owned())].into(),
            ..Settings::default()
        };
        self.lanes = vec![
            AwsDialect::new(kms.clone(), Settings::default(), clocks()),
            AwsDialect::new(kms.clone(), strict, clocks()),
        ];
        self.kms = Some(kms);
        let s = Setup {
            dialect: &self.lanes[0],
        };

        // Keys in every state.
        let generated = s.create(
            "us-east-1",
            json!({ "Description": "generated", "Tags": [{ "TagKey": "team", "TagValue": "a" }] }),
        );
        // Each state-changing template has a key of its own, so that one does not spoil
        // another's until the next rebuild.
        let spare = s.create("us-east-1", json!({}));
        let to_schedule = s.create("us-east-1", json!({}));
        let disabled = s.create("us-east-1", json!({}));
        s.call("DisableKey", json!({ "KeyId": disabled }));
        let doomed = s.create("us-east-1", json!({}));
        s.call(
            "ScheduleKeyDeletion",
            json!({ "KeyId": doomed, "PendingWindowInDays": 7 }),
        );
        let pending = s.create("us-east-1", json!({ "Origin": "EXTERNAL" }));
        let pending_kw = s.create("us-east-1", json!({ "Origin": "EXTERNAL" }));
        let imported = s.create("us-east-1", json!({ "Origin": "EXTERNAL" }));
        let material = [7u8; 32];
        let oaep = ("RSAES_OAEP_SHA_256", "RSA_2048");
        let first = s.import_body("us-east-1", &imported, oaep, &material);
        s.call("ImportKeyMaterial", first);
        let to_delete = s.create("us-east-1", json!({ "Origin": "EXTERNAL" }));
        let again = s.import_body("us-east-1", &to_delete, oaep, &material);
        s.call("ImportKeyMaterial", again);
        let china = s.create("cn-north-1", json!({ "Origin": "EXTERNAL" }));
        for (name, key) in [("fuzz-gen", &generated), ("fuzz-imported", &imported)] {
            s.call(
                "CreateAlias",
                json!({ "AliasName": format!("alias/{name}"), "TargetKeyId": key }),
            );
        }
        for name in ["fuzz-doomed", "fuzz-moving"] {
            s.call(
                "CreateAlias",
                json!({ "AliasName": format!("alias/{name}"), "TargetKeyId": spare }),
            );
        }
        let ctx = json!({ "purpose": "fuzz", "n": "1" });
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
        // Asymmetric and HMAC keys (issue #16), and what they made.
        let signer = s.create(
            "us-east-1",
            json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY" }),
        );
        let rsa_enc = s.create(
            "us-east-1",
            json!({ "KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT" }),
        );
        let mac_key = s.create(
            "us-east-1",
            json!({ "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC" }),
        );
        let pending_ecc = s.create(
            "us-east-1",
            json!({ "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Origin": "EXTERNAL" }),
        );
        let pending_hmac = s.create(
            "us-east-1",
            json!({ "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC", "Origin": "EXTERNAL" }),
        );
        let signature = s.call(
            "Sign",
            json!({ "KeyId": signer, "Message": b64(b"fuzz"), "SigningAlgorithm": "ECDSA_SHA_256" }),
        )["Signature"]
            .clone();
        let mac = s.call(
            "GenerateMac",
            json!({ "KeyId": mac_key, "Message": b64(b"fuzz"), "MacAlgorithm": "HMAC_SHA_256" }),
        )["Mac"]
            .clone();
        let rsa_blob = s.call(
            "Encrypt",
            json!({ "KeyId": rsa_enc, "Plaintext": b64(b"fuzz"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
        )["CiphertextBlob"]
            .clone();
        let marker = s.call("ListKeys", json!({ "Limit": 1 }))["NextMarker"].clone();
        let arn = |id: &str| format!("arn:aws:kms:us-east-1:000000000000:key/{id}");

        // One template per operation, several where the variants take other paths.
        let mut bodies: Vec<(&str, &str, Value)> = vec![
            (
                "CreateKey",
                "full",
                json!({
                    "Description": "fuzz", "KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT",
                    "Origin": "AWS_KMS", "MultiRegion": false, "BypassPolicyLockoutSafetyCheck": false,
                    "Tags": [{ "TagKey": "env", "TagValue": "fuzz" }],
                }),
            ),
            (
                "CreateKey",
                "external",
                json!({ "Origin": "EXTERNAL", "Description": "byok" }),
            ),
            ("DescribeKey", "by id", json!({ "KeyId": generated })),
            (
                "DescribeKey",
                "by alias",
                json!({ "KeyId": "alias/fuzz-imported" }),
            ),
            ("DescribeKey", "by arn", json!({ "KeyId": arn(&pending) })),
            ("ListKeys", "first page", json!({ "Limit": 5 })),
            (
                "ListKeys",
                "next page",
                json!({ "Limit": 1, "Marker": marker }),
            ),
            ("EnableKey", "", json!({ "KeyId": disabled })),
            ("DisableKey", "", json!({ "KeyId": spare })),
            (
                "ScheduleKeyDeletion",
                "",
                json!({ "KeyId": to_schedule, "PendingWindowInDays": 7 }),
            ),
            ("CancelKeyDeletion", "", json!({ "KeyId": doomed })),
            (
                "UpdateKeyDescription",
                "",
                json!({ "KeyId": generated, "Description": "renamed" }),
            ),
            (
                "GetParametersForImport",
                "oaep",
                json!({
                    "KeyId": pending, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048",
                }),
            ),
            (
                "GetParametersForImport",
                "key wrap",
                json!({
                    "KeyId": imported, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_256", "WrappingKeySpec": "RSA_4096",
                }),
            ),
            (
                "ImportKeyMaterial",
                "first",
                s.import_body("us-east-1", &pending, oaep, &material),
            ),
            (
                "ImportKeyMaterial",
                "key wrap",
                s.import_body(
                    "us-east-1",
                    &pending_kw,
                    ("RSA_AES_KEY_WRAP_SHA_256", "RSA_3072"),
                    &[3u8; 32],
                ),
            ),
            (
                "DeleteImportedKeyMaterial",
                "",
                json!({ "KeyId": to_delete }),
            ),
            (
                "Encrypt",
                "",
                json!({
                    "KeyId": "alias/fuzz-gen", "Plaintext": b64(b"hello"), "EncryptionContext": ctx,
                    "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                }),
            ),
            (
                "Decrypt",
                "with context",
                json!({ "CiphertextBlob": blob, "EncryptionContext": ctx }),
            ),
            (
                "Decrypt",
                "naming the key",
                json!({ "CiphertextBlob": imported_blob, "KeyId": arn(&imported) }),
            ),
            (
                "ReEncrypt",
                "",
                json!({
                    "CiphertextBlob": blob, "SourceEncryptionContext": ctx, "DestinationKeyId": imported,
                    "DestinationEncryptionContext": { "to": "imported" },
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
                json!({ "KeyId": "alias/fuzz-imported", "NumberOfBytes": 64 }),
            ),
            (
                "GenerateDataKeyWithoutPlaintext",
                "",
                json!({ "KeyId": generated, "KeySpec": "AES_128" }),
            ),
            ("GenerateRandom", "", json!({ "NumberOfBytes": 32 })),
            (
                "CreateAlias",
                "",
                json!({ "AliasName": "alias/fuzz-new", "TargetKeyId": generated }),
            ),
            (
                "UpdateAlias",
                "",
                json!({ "AliasName": "alias/fuzz-moving", "TargetKeyId": generated }),
            ),
            (
                "DeleteAlias",
                "",
                json!({ "AliasName": "alias/fuzz-doomed" }),
            ),
            ("ListAliases", "all", json!({})),
            (
                "ListAliases",
                "of a key",
                json!({ "KeyId": generated, "Limit": 1 }),
            ),
            (
                "TagResource",
                "",
                json!({ "KeyId": generated, "Tags": [{ "TagKey": "k", "TagValue": "v" }] }),
            ),
            (
                "UntagResource",
                "",
                json!({ "KeyId": generated, "TagKeys": ["team"] }),
            ),
            (
                "ListResourceTags",
                "",
                json!({ "KeyId": generated, "Limit": 10 }),
            ),
            (
                "CreateKey",
                "signing",
                json!({ "KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY" }),
            ),
            (
                "CreateKey",
                "hmac external",
                json!({ "KeySpec": "HMAC_512", "KeyUsage": "GENERATE_VERIFY_MAC", "Origin": "EXTERNAL" }),
            ),
            ("GetPublicKey", "", json!({ "KeyId": signer })),
            (
                "Sign",
                "raw",
                json!({ "KeyId": signer, "Message": b64(b"fuzz"), "MessageType": "RAW", "SigningAlgorithm": "ECDSA_SHA_256" }),
            ),
            (
                "Sign",
                "digest",
                json!({ "KeyId": signer, "Message": b64(&[7u8; 32]), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256" }),
            ),
            (
                "Verify",
                "",
                json!({
                    "KeyId": signer, "Message": b64(b"fuzz"), "MessageType": "RAW",
                    "SigningAlgorithm": "ECDSA_SHA_256", "Signature": signature,
                }),
            ),
            (
                "GenerateMac",
                "",
                json!({ "KeyId": mac_key, "Message": b64(b"fuzz"), "MacAlgorithm": "HMAC_SHA_256" }),
            ),
            (
                "VerifyMac",
                "",
                json!({ "KeyId": mac_key, "Message": b64(b"fuzz"), "MacAlgorithm": "HMAC_SHA_256", "Mac": mac }),
            ),
            (
                "Encrypt",
                "rsa",
                json!({ "KeyId": rsa_enc, "Plaintext": b64(b"hello"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_1" }),
            ),
            (
                "Decrypt",
                "rsa",
                json!({ "KeyId": rsa_enc, "CiphertextBlob": rsa_blob, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256" }),
            ),
            (
                "GetParametersForImport",
                "ecc",
                json!({
                    "KeyId": pending_ecc, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048",
                }),
            ),
            (
                "ImportKeyMaterial",
                "ecc",
                s.import_body("us-east-1", &pending_ecc, oaep, P256_PKCS8),
            ),
            (
                "ImportKeyMaterial",
                "hmac",
                s.import_body("us-east-1", &pending_hmac, oaep, &[9u8; 48]),
            ),
        ];
        // Symmetric keys of the China regions are SM4: 16 bytes.
        let china_import = s.import_body("cn-north-1", &china, ("SM2PKE", "SM2"), &[5u8; 16]);
        let china_params =
            json!({ "KeyId": china, "WrappingAlgorithm": "SM2PKE", "WrappingKeySpec": "SM2" });
        let mut templates: Vec<Template> = Vec::new();
        for (op, variant, body) in &bodies {
            templates.push(Template {
                label: format!("{op} {variant}").trim().to_owned(),
                lane: 0,
                request: request("us-east-1", op, body),
                strict: false,
                binds_body: false,
            });
        }
        for (op, body) in [
            ("GetParametersForImport", &china_params),
            ("ImportKeyMaterial", &china_import),
        ] {
            templates.push(Template {
                label: format!("{op} SM2 (cn-north-1)"),
                lane: 0,
                request: request("cn-north-1", op, body),
                strict: false,
                binds_body: false,
            });
        }
        // The strict lane: the same requests, really signed.
        bodies.retain(|(op, ..)| {
            [
                "CreateKey",
                "DescribeKey",
                "ListKeys",
                "DisableKey",
                "ScheduleKeyDeletion",
                "ImportKeyMaterial",
                "Encrypt",
                "Decrypt",
                "GenerateDataKey",
                "CreateAlias",
                "DeleteAlias",
                "TagResource",
                "Sign",
                "VerifyMac",
            ]
            .contains(op)
        });
        for (op, variant, body) in &bodies {
            let mut request = request("us-east-1", op, body);
            sign(&mut request);
            templates.push(Template {
                label: format!("strict {op} {variant}").trim().to_owned(),
                lane: 1,
                request,
                strict: true,
                binds_body: true,
            });
        }

        let mut vocabulary = Vocabulary {
            routing: vec![(
                "x-amz-target".to_owned(),
                OPERATIONS
                    .iter()
                    .map(|op| format!("TrentService.{op}"))
                    .chain(
                        [
                            "TrentService.CreateGrant",
                            "TrentService.",
                            "TrentService",
                            "trentservice.CreateKey",
                            "TrentService.createKey",
                            "CreateKey",
                            "TrentService.CreateKey.",
                            "TrentService.TrentService.Encrypt",
                            "Kinesis_20131202.PutRecord",
                            "",
                        ]
                        .map(str::to_owned),
                    )
                    .collect(),
            )],
            paths: ["/", "//", "/kms", "/v1.0/x/kms/create-key", "/?Action=ListKeys"]
                .map(str::to_owned)
                .to_vec(),
            strings: [
                generated.clone(),
                imported.clone(),
                pending.clone(),
                disabled.clone(),
                doomed.clone(),
                china.clone(),
                arn(&generated),
                arn(&disabled),
                format!("arn:aws:kms:us-east-1:111122223333:key/{generated}"),
                format!("arn:aws:kms:cn-north-1:000000000000:key/{china}"),
                "arn:aws:kms:us-east-1:000000000000:alias/fuzz-gen".to_owned(),
                "alias/fuzz-gen".to_owned(),
                "alias/aws/ebs".to_owned(),
                "alias/".to_owned(),
                "00000000-0000-4000-8000-000000000000".to_owned(),
                "mrk-1234abcd12ab34cd56ef1234567890ab".to_owned(),
                blob.as_str().unwrap_or_default().to_owned(),
                imported_blob.as_str().unwrap_or_default().to_owned(),
                "SYMMETRIC_DEFAULT".to_owned(),
                "RSAES_PKCS1_V1_5".to_owned(),
                "RSAES_OAEP_SHA_1".to_owned(),
                "RSA_AES_KEY_WRAP_SHA_1".to_owned(),
                "SM2PKE".to_owned(),
                "RSA_4096".to_owned(),
                "SM2".to_owned(),
                "HMAC_256".to_owned(),
                "EXTERNAL".to_owned(),
                "AWS_CLOUDHSM".to_owned(),
                "KEY_MATERIAL_EXPIRES".to_owned(),
                "NEW_KEY_MATERIAL".to_owned(),
                "EXISTING_KEY_MATERIAL".to_owned(),
                "a".repeat(64),
                "AES_512".to_owned(),
                signer.clone(),
                rsa_enc.clone(),
                mac_key.clone(),
                rsa_blob.as_str().unwrap_or_default().to_owned(),
                "SIGN_VERIFY".to_owned(),
                "GENERATE_VERIFY_MAC".to_owned(),
                "ECC_NIST_P256".to_owned(),
                "ECC_NIST_EDWARDS25519".to_owned(),
                "ECDSA_SHA_256".to_owned(),
                "ECDSA_SHA_384".to_owned(),
                "RSASSA_PSS_SHA_256".to_owned(),
                "ED25519_PH_SHA_512".to_owned(),
                "ML_DSA_SHAKE_256".to_owned(),
                "HMAC_SHA_256".to_owned(),
                "HMAC_SHA_512".to_owned(),
                "RSAES_OAEP_SHA_256".to_owned(),
                "DIGEST".to_owned(),
                "EXTERNAL_MU".to_owned(),
            ]
            .to_vec(),
            headers: [
                ("content-type", "application/x-amz-json-1.0"),
                ("content-type", "application/json"),
                ("content-type", "text/plain; charset=utf-8"),
                ("x-amz-date", "20201122T093232Z"),
                ("x-amz-date", "not a date"),
                ("x-amz-security-token", "FwoGZXIvYXdzEXAMPLE"),
                ("authorization", "AWS4-HMAC-SHA256 Credential=111122223333/20261122/cn-north-1/kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000"),
                ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/../kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000"),
                ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/kms/aws4_request, SignedHeaders=, Signature=00"),
                ("authorization", "Bearer abc"),
                ("authorization", "AWS4-HMAC-SHA256"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .to_vec(),
            hash_headers: vec!["x-amz-content-sha256".to_owned()],
            ..Vocabulary::default()
        };
        vocabulary.harvest(&templates);
        Ok((templates, vocabulary))
    }

    fn handle(&self, lane: usize, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        self.lanes[lane].handle(request)
    }

    fn snapshot(&self) -> Self::Snapshot {
        StoreSnapshot::of(self.kms().store().as_ref())
    }

    fn difference(&self, before: &Self::Snapshot, after: &Self::Snapshot) -> Option<String> {
        before.changes_to(after)
    }

    fn verdict(&self, response: &http::Response<Vec<u8>>) -> Verdict {
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type");
        if content_type.is_none_or(|c| c != "application/x-amz-json-1.1") {
            return Verdict::Malformed(format!("content-type {content_type:?}"));
        }
        let body: Value = if response.body().is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(response.body()) {
                Ok(v) => v,
                Err(e) => return Verdict::Malformed(format!("body is not JSON: {e}")),
            }
        };
        let code = body["__type"].as_str().unwrap_or("");
        match status {
            200 if body.is_null() || body.is_object() && code.is_empty() => Verdict::Success,
            400..=499 if !code.is_empty() => Verdict::Refused,
            500..=599 => Verdict::ServerError(format!("{status} {code}")),
            _ => Verdict::Malformed(format!("status {status} with __type {code:?}")),
        }
    }

    fn resign(&self, _template: &Template, request: &mut http::Request<Vec<u8>>) -> bool {
        sign(request);
        true
    }
}

#[test]
fn strict_templates_are_accepted_as_signed_and_refused_once_changed() {
    let mut aws = Aws::default();
    let (templates, _) = aws.rebuild(0).unwrap();
    let strict: Vec<&Template> = templates.iter().filter(|t| t.strict).collect();
    assert!(strict.len() >= 10);
    for t in strict {
        let copy = || {
            let mut r = http::Request::new(t.request.body().clone());
            *r.method_mut() = t.request.method().clone();
            *r.uri_mut() = t.request.uri().clone();
            *r.headers_mut() = t.request.headers().clone();
            r
        };
        // Only whether the signature held: the operation may refuse on its own terms
        // (the key's state after an earlier template), never with an authentication code.
        let answer = aws.handle(t.lane, copy());
        let body = String::from_utf8_lossy(answer.body()).into_owned();
        // The error code, not the body text: Sign's answer has a `Signature` member.
        let code = serde_json::from_str::<Value>(&body).unwrap_or(Value::Null)["__type"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            !code.contains("Signature")
                && !code.contains("UnrecognizedClient")
                && !code.contains("MissingAuthenticationToken"),
            "{}: {body}",
            t.label
        );
        let mut changed = copy();
        changed.body_mut().push(b' ');
        let answer = aws.handle(t.lane, changed);
        assert_eq!(answer.status(), 400, "{}", t.label);
        assert!(
            String::from_utf8_lossy(answer.body()).contains("InvalidSignatureException"),
            "{}",
            t.label
        );
    }
}

#[test]
fn every_template_is_answered_on_a_fresh_fixture() {
    let mut aws = Aws::default();
    let count = aws.rebuild(0).unwrap().0.len();
    for i in 0..count {
        let (templates, _) = aws.rebuild(0).unwrap();
        let t = &templates[i];
        let mut r = http::Request::new(t.request.body().clone());
        *r.method_mut() = t.request.method().clone();
        *r.uri_mut() = t.request.uri().clone();
        *r.headers_mut() = t.request.headers().clone();
        let answer = aws.handle(t.lane, r);
        assert_eq!(
            aws.verdict(&answer),
            Verdict::Success,
            "{}: {}",
            t.label,
            String::from_utf8_lossy(answer.body())
        );
    }
}
