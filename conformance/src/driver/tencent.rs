//! Tencent Cloud KMS 2019-01-18: `POST /` with `X-TC-Action`, TC3-HMAC-SHA256-signed; every
//! business error is HTTP 200 with `Response.Error.Code`. A listener serves one compliance
//! edition: FIPS (AES-256 keys) or SM (SM4 keys).

use serde_json::{Value, json};

use super::{
    Call, CallError, DataKey, Driver, Endpoints, Support, WireError, b64, json_body, string, unb64,
};
use crate::http;
use crate::neutral::{
    AsymHandle, AsymSpec, Dialect, Expiry, ImportParams, KeyHandle, KeySpec, KeyView, State,
    WrapAlg, WrapSpec,
};
use crate::sign::tc3::{self, Credentials};
use crate::sign::unix_now;

const SECRET_ID: &str = "AKIDconformance0000000000000000000000";
const SECRET_KEY: &str = "conformance-secret-key";
const REGION: &str = "ap-guangzhou";

#[derive(Debug)]
pub struct TencentDriver {
    endpoints: Endpoints,
}

impl TencentDriver {
    pub fn new(endpoints: Endpoints) -> Self {
        TencentDriver { endpoints }
    }

    fn call(&self, spec: KeySpec, action: &str, body: Value) -> Call<Value> {
        let creds = Credentials {
            secret_id: SECRET_ID.into(),
            secret_key: SECRET_KEY.into(),
            region: REGION.into(),
        };
        let body = body.to_string().into_bytes();
        let endpoint = self.endpoints.get(spec)?;
        let host = http::authority(endpoint)?;
        let headers = tc3::sign(&creds, host, action, &body, unix_now());
        let r = http::send(endpoint, "POST", "/", &headers, &body)?;
        if r.status != 200 {
            // The SDK raises ServerNetworkError for any other status without reading the body.
            return Err(CallError::Wire(WireError {
                status: r.status,
                code: "ServerNetworkError".into(),
                message: String::from_utf8_lossy(&r.body).into_owned(),
            }));
        }
        if r.header("content-type") != Some("application/json") {
            return Err(CallError::broken(format!(
                "{action}: Content-Type {:?}, the SDK needs exactly application/json",
                r.header("content-type")
            )));
        }
        let value = json_body(&r.body)?;
        let response = &value["Response"];
        if !response.is_object() || response["RequestId"].as_str().is_none() {
            return Err(CallError::broken(format!(
                "{action}: no Response.RequestId in {value}"
            )));
        }
        if let Some(error) = response.get("Error") {
            return Err(CallError::Wire(WireError {
                status: 200,
                code: string(&error["Code"], "Error.Code")?,
                message: error["Message"].as_str().unwrap_or_default().to_owned(),
            }));
        }
        Ok(response.clone())
    }

    fn key_call(&self, key: &KeyHandle, action: &str, mut body: Value) -> Call<Value> {
        body["KeyId"] = json!(key.id);
        self.call(key.spec, action, body)
    }
}

impl Driver for TencentDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Tencent
    }

    fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    fn set_endpoints(&mut self, endpoints: Endpoints) {
        self.endpoints = endpoints;
    }

    fn key_spec_support(&self, spec: KeySpec) -> Support {
        if self.endpoints.serves(spec) {
            Support::Offered
        } else {
            Support::NotExpressible(match spec {
                KeySpec::Aes256 => "needs a FIPS-edition listener (tencent.edition = fips)",
                KeySpec::Sm4 => "needs an SM-edition listener (tencent.edition = sm)",
            })
        }
    }

    fn wrapping_support(&self, key: KeySpec, alg: WrapAlg, spec: WrapSpec) -> Support {
        match (alg, spec) {
            (
                WrapAlg::RsaesPkcs1V15 | WrapAlg::RsaesOaepSha1 | WrapAlg::RsaesOaepSha256,
                WrapSpec::Rsa2048,
            ) => Support::Offered,
            (WrapAlg::Sm2Pke, WrapSpec::Sm2) if key == KeySpec::Sm4 => Support::Offered,
            (WrapAlg::Sm2Pke, WrapSpec::Sm2) => {
                Support::Refused("SM2 wrapping is an SM-edition extension")
            }
            (_, WrapSpec::Rsa3072 | WrapSpec::Rsa4096) => {
                Support::Refused("Tencent documents only RSA_2048 wrapping keys")
            }
            (WrapAlg::RsaAesKeyWrapSha1 | WrapAlg::RsaAesKeyWrapSha256, _) => {
                Support::Refused("Tencent has no RSA_AES_KEY_WRAP")
            }
            _ => Support::Refused("the algorithm does not fit the wrapping key spec"),
        }
    }

    fn default_wrapping(&self, _key: KeySpec) -> (WrapAlg, WrapSpec) {
        (WrapAlg::RsaesOaepSha256, WrapSpec::Rsa2048)
    }

    fn create_key(&self, spec: KeySpec, external: bool) -> Call<KeyHandle> {
        let alias = format!("conf-{}", uuid::Uuid::new_v4().simple());
        let v = self.call(
            spec,
            "CreateKey",
            json!({"Alias": alias, "Description": "conformance",
                   "KeyUsage": "ENCRYPT_DECRYPT", "Type": if external { 2 } else { 1 }}),
        )?;
        Ok(KeyHandle {
            id: string(&v["KeyId"], "KeyId")?,
            spec,
        })
    }

    fn get_parameters(&self, key: &KeyHandle, alg: WrapAlg, spec: WrapSpec) -> Call<ImportParams> {
        let v = self.key_call(
            key,
            "GetParametersForImport",
            json!({"WrappingAlgorithm": alg.to_string(), "WrappingKeySpec": spec.to_string()}),
        )?;
        Ok(ImportParams {
            token: unb64(&v["ImportToken"], "ImportToken")?,
            public_key_der: unb64(&v["PublicKey"], "PublicKey")?,
            valid_to: v["ParametersValidTo"].as_u64(),
        })
    }

    fn import(&self, key: &KeyHandle, token: &[u8], wrapped: &[u8], expiry: Expiry) -> Call<()> {
        let valid_to = match expiry {
            Expiry::Never => 0,
            Expiry::At(t) => t,
        };
        self.key_call(
            key,
            "ImportKeyMaterial",
            json!({"ImportToken": b64(token), "EncryptedKeyMaterial": b64(wrapped),
                   "ValidTo": valid_to}),
        )
        .map(drop)
    }

    fn delete_material(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "DeleteImportedKeyMaterial", json!({}))
            .map(drop)
    }

    fn describe(&self, key: &KeyHandle) -> Call<KeyView> {
        let v = self.key_call(key, "DescribeKey", json!({}))?;
        let m = &v["KeyMetadata"];
        let state = match m["KeyState"].as_str() {
            Some("Enabled") => State::Enabled,
            Some("Disabled") => State::Disabled,
            Some("PendingImport") => State::PendingImport,
            Some("PendingDelete") => State::PendingDeletion,
            other => return Err(CallError::broken(format!("KeyState {other:?}"))),
        };
        let expiry = match (state, m["ValidTo"].as_u64()) {
            (State::PendingImport, _) => None,
            (_, Some(0)) => Some(Expiry::Never),
            (_, Some(t)) => Some(Expiry::At(t)),
            (_, None) => None,
        };
        Ok(KeyView {
            state,
            expiry,
            external: m["Origin"].as_str() == Some("EXTERNAL"),
        })
    }

    fn enable(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "EnableKey", json!({})).map(drop)
    }

    fn disable(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "DisableKey", json!({})).map(drop)
    }

    fn schedule_deletion(&self, key: &KeyHandle, days: u32) -> Call<()> {
        self.key_call(
            key,
            "ScheduleKeyDeletion",
            json!({"PendingWindowInDays": days}),
        )
        .map(drop)
    }

    fn cancel_deletion(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "CancelKeyDeletion", json!({})).map(drop)
    }

    fn encrypt(&self, key: &KeyHandle, plaintext: &[u8]) -> Call<Vec<u8>> {
        let v = self.key_call(key, "Encrypt", json!({"Plaintext": b64(plaintext)}))?;
        unb64(&v["CiphertextBlob"], "CiphertextBlob")
    }

    fn decrypt(
        &self,
        spec: KeySpec,
        ciphertext: &[u8],
        _named: Option<&KeyHandle>,
    ) -> Call<Vec<u8>> {
        let v = self.call(spec, "Decrypt", json!({"CiphertextBlob": b64(ciphertext)}))?;
        unb64(&v["Plaintext"], "Plaintext")
    }

    fn generate_data_key(&self, key: &KeyHandle) -> Call<DataKey> {
        let v = self.key_call(key, "GenerateDataKey", json!({"KeySpec": "AES_256"}))?;
        Ok(DataKey {
            plaintext: unb64(&v["Plaintext"], "Plaintext")?,
            ciphertext: unb64(&v["CiphertextBlob"], "CiphertextBlob")?,
        })
    }

    /// Tencent imports symmetric material only and has no HMAC keys.
    fn asym_support(&self, spec: AsymSpec) -> Support {
        match spec {
            AsymSpec::EccP256 | AsymSpec::Rsa2048 => {
                Support::Refused("Tencent imports symmetric material only")
            }
            AsymSpec::Hmac256 => Support::NotExpressible("Tencent has no HMAC keys"),
        }
    }

    /// An EXTERNAL (Type 2) key of an asymmetric usage: what Tencent refuses.
    fn create_asym_key(&self, spec: AsymSpec) -> Call<AsymHandle> {
        let usage = match spec {
            AsymSpec::EccP256 => "ASYMMETRIC_SIGN_VERIFY_ECC",
            AsymSpec::Rsa2048 => "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
            AsymSpec::Hmac256 => {
                return Err(CallError::broken("Tencent has no HMAC keys"));
            }
        };
        let alias = format!("conf-{}", uuid::Uuid::new_v4().simple());
        let v = self.call(
            KeySpec::Aes256,
            "CreateKey",
            json!({"Alias": alias, "Description": "conformance", "KeyUsage": usage, "Type": 2}),
        )?;
        Ok(AsymHandle {
            id: string(&v["KeyId"], "KeyId")?,
            spec,
        })
    }

    fn list_key_ids(&self) -> Call<Vec<String>> {
        let mut ids = Vec::new();
        for spec in KeySpec::ALL {
            if !self.endpoints.serves(spec) {
                continue;
            }
            let mut offset = 0u64;
            loop {
                let v = self.call(spec, "ListKeys", json!({"Offset": offset, "Limit": 200}))?;
                let page = v["Keys"].as_array().cloned().unwrap_or_default();
                for k in &page {
                    let id = string(&k["KeyId"], "Keys[].KeyId")?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                offset += page.len() as u64;
                if page.is_empty() || offset >= v["TotalCount"].as_u64().unwrap_or(0) {
                    break;
                }
            }
        }
        Ok(ids)
    }
}
