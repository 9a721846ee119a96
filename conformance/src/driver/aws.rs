//! AWS KMS: JSON 1.1 over `POST /`, SigV4-signed, errors as `{"__type", "message"}` with 4xx/5xx.
//! AES-256 keys live in us-east-1; SM4 keys exist only in the China regions (cn-north-1),
//! where SYMMETRIC_DEFAULT means SM4 and SM2 wrapping is offered.

use serde_json::{Value, json};

use super::{
    Call, CallError, DataKey, Driver, Endpoints, Support, WireError, b64, json_body, string, unb64,
};
use crate::http;
use crate::neutral::{
    AsymHandle, AsymSpec, Dialect, Expiry, ImportParams, KeyHandle, KeySpec, KeyView, State,
    WrapAlg, WrapSpec,
};
use crate::sign::sigv4::{self, Credentials};
use crate::sign::unix_now;

const ACCESS_KEY: &str = "AKIDCONFORMANCE";
const SECRET: &str = "conformance-secret-key";
const GLOBAL_REGION: &str = "us-east-1";
const CHINA_REGION: &str = "cn-north-1";

#[derive(Debug)]
pub struct AwsDriver {
    endpoints: Endpoints,
}

impl AwsDriver {
    pub fn new(endpoints: Endpoints) -> Self {
        AwsDriver { endpoints }
    }

    fn region(spec: KeySpec) -> &'static str {
        match spec {
            KeySpec::Aes256 => GLOBAL_REGION,
            KeySpec::Sm4 => CHINA_REGION,
        }
    }

    fn call(&self, spec: KeySpec, operation: &str, body: Value) -> Call<Value> {
        let creds = Credentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET.into(),
            region: Self::region(spec).into(),
        };
        let body = body.to_string().into_bytes();
        let endpoint = self.endpoints.get(spec)?;
        let host = http::authority(endpoint)?;
        let headers = sigv4::sign_kms(&creds, host, operation, &body, unix_now());
        let r = http::send(endpoint, "POST", "/", &headers, &body)?;
        let value = json_body(&r.body)?;
        if r.status == 200 {
            return Ok(value);
        }
        let raw = value["__type"].as_str().unwrap_or_default();
        let code = raw.rsplit('#').next().unwrap_or(raw);
        let code = code.split(':').next().unwrap_or(code);
        if code.is_empty() {
            return Err(CallError::broken(format!(
                "{operation}: HTTP {} without __type: {value}",
                r.status
            )));
        }
        Err(CallError::Wire(WireError {
            status: r.status,
            code: code.to_owned(),
            message: value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or_default()
                .to_owned(),
        }))
    }

    fn key_call(&self, key: &KeyHandle, operation: &str, mut body: Value) -> Call<Value> {
        body["KeyId"] = json!(key.id);
        self.call(key.spec, operation, body)
    }

    fn asym_call(&self, key: &AsymHandle, operation: &str, body: Value) -> Call<Value> {
        self.key_call(&key.as_key(), operation, body)
    }

    fn signing_algorithm(spec: AsymSpec) -> &'static str {
        match spec {
            AsymSpec::EccP256 => "ECDSA_SHA_256",
            AsymSpec::Rsa2048 | AsymSpec::Hmac256 => "RSASSA_PSS_SHA_256",
        }
    }
}

impl Driver for AwsDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Aws
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
            Support::NotExpressible("no server in this run")
        }
    }

    fn wrapping_support(&self, key: KeySpec, alg: WrapAlg, spec: WrapSpec) -> Support {
        if !alg.fits(spec) {
            return Support::Refused("the algorithm does not fit the wrapping key spec");
        }
        match (key, alg) {
            (_, WrapAlg::RsaesPkcs1V15) => Support::Refused(
                "retired by AWS on 2023-10-10 (aws.allow_rsaes_pkcs1_v1_5 brings it back)",
            ),
            (KeySpec::Sm4, WrapAlg::RsaAesKeyWrapSha1 | WrapAlg::RsaAesKeyWrapSha256) => {
                Support::Refused("RSA_AES_KEY_WRAP is not offered in China regions")
            }
            (KeySpec::Aes256, WrapAlg::Sm2Pke) => Support::Refused(
                "SM2 wrapping is offered only in China regions, where keys are SM4",
            ),
            _ => Support::Offered,
        }
    }

    fn default_wrapping(&self, _key: KeySpec) -> (WrapAlg, WrapSpec) {
        (WrapAlg::RsaesOaepSha256, WrapSpec::Rsa2048)
    }

    fn create_key(&self, spec: KeySpec, external: bool) -> Call<KeyHandle> {
        let origin = if external { "EXTERNAL" } else { "AWS_KMS" };
        let v = self.call(
            spec,
            "CreateKey",
            json!({"Origin": origin, "KeySpec": "SYMMETRIC_DEFAULT",
                   "KeyUsage": "ENCRYPT_DECRYPT", "Description": "conformance"}),
        )?;
        Ok(KeyHandle {
            id: string(&v["KeyMetadata"]["KeyId"], "KeyMetadata.KeyId")?,
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
            valid_to: v["ParametersValidTo"].as_f64().map(|t| t as u64),
        })
    }

    fn import(&self, key: &KeyHandle, token: &[u8], wrapped: &[u8], expiry: Expiry) -> Call<()> {
        let mut body = json!({"ImportToken": b64(token), "EncryptedKeyMaterial": b64(wrapped)});
        match expiry {
            Expiry::Never => body["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
            Expiry::At(t) => {
                body["ExpirationModel"] = json!("KEY_MATERIAL_EXPIRES");
                body["ValidTo"] = json!(t);
            }
        }
        self.key_call(key, "ImportKeyMaterial", body).map(drop)
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
            Some("PendingDeletion") => State::PendingDeletion,
            other => return Err(CallError::broken(format!("KeyState {other:?}"))),
        };
        let expiry = match (m["ValidTo"].as_f64(), m["ExpirationModel"].as_str()) {
            (Some(t), _) => Some(Expiry::At(t as u64)),
            (None, Some("KEY_MATERIAL_DOES_NOT_EXPIRE")) => Some(Expiry::Never),
            _ => None,
        };
        let expiry = if state == State::PendingImport {
            None
        } else {
            expiry
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
        named: Option<&KeyHandle>,
    ) -> Call<Vec<u8>> {
        let mut body = json!({"CiphertextBlob": b64(ciphertext)});
        if let Some(key) = named {
            body["KeyId"] = json!(key.id);
        }
        let v = self.call(spec, "Decrypt", body)?;
        unb64(&v["Plaintext"], "Plaintext")
    }

    fn generate_data_key(&self, key: &KeyHandle) -> Call<DataKey> {
        let v = self.key_call(key, "GenerateDataKey", json!({"KeySpec": "AES_256"}))?;
        Ok(DataKey {
            plaintext: unb64(&v["Plaintext"], "Plaintext")?,
            ciphertext: unb64(&v["CiphertextBlob"], "CiphertextBlob")?,
        })
    }

    fn asym_support(&self, _spec: AsymSpec) -> Support {
        Support::Offered
    }

    fn create_asym_key(&self, spec: AsymSpec) -> Call<AsymHandle> {
        let (key_spec, usage) = match spec {
            AsymSpec::EccP256 => ("ECC_NIST_P256", "SIGN_VERIFY"),
            AsymSpec::Rsa2048 => ("RSA_2048", "SIGN_VERIFY"),
            AsymSpec::Hmac256 => ("HMAC_256", "GENERATE_VERIFY_MAC"),
        };
        let v = self.call(
            KeySpec::Aes256,
            "CreateKey",
            json!({"Origin": "EXTERNAL", "KeySpec": key_spec, "KeyUsage": usage,
                   "Description": "conformance"}),
        )?;
        Ok(AsymHandle {
            id: string(&v["KeyMetadata"]["KeyId"], "KeyMetadata.KeyId")?,
            spec,
        })
    }

    /// The developer guide's choices: an RSA private key only with RSA_AES_KEY_WRAP (here
    /// under RSA_4096), everything else directly with RSAES_OAEP_SHA_256.
    fn import_asym(&self, key: &AsymHandle, material: &[u8]) -> Call<()> {
        let (alg, spec) = match key.spec {
            AsymSpec::Rsa2048 => (WrapAlg::RsaAesKeyWrapSha256, WrapSpec::Rsa4096),
            AsymSpec::EccP256 | AsymSpec::Hmac256 => (WrapAlg::RsaesOaepSha256, WrapSpec::Rsa2048),
        };
        let handle = key.as_key();
        let params = self.get_parameters(&handle, alg, spec)?;
        let wrapped =
            crate::wrap::wrap(&params.public_key_der, alg, material).map_err(CallError::broken)?;
        self.import(&handle, &params.token, &wrapped, Expiry::Never)
    }

    fn public_key(&self, key: &AsymHandle) -> Call<Vec<u8>> {
        let v = self.asym_call(key, "GetPublicKey", json!({}))?;
        unb64(&v["PublicKey"], "PublicKey")
    }

    fn sign(&self, key: &AsymHandle, message: &[u8]) -> Call<Vec<u8>> {
        let v = self.asym_call(
            key,
            "Sign",
            json!({"Message": b64(message), "MessageType": "RAW",
                   "SigningAlgorithm": Self::signing_algorithm(key.spec)}),
        )?;
        unb64(&v["Signature"], "Signature")
    }

    /// A signature that does not verify is KMSInvalidSignatureException, never `false`.
    fn verify(&self, key: &AsymHandle, message: &[u8], signature: &[u8]) -> Call<bool> {
        let v = self.asym_call(
            key,
            "Verify",
            json!({"Message": b64(message), "MessageType": "RAW", "Signature": b64(signature),
                   "SigningAlgorithm": Self::signing_algorithm(key.spec)}),
        )?;
        Ok(v["SignatureValid"].as_bool() == Some(true))
    }

    fn generate_mac(&self, key: &AsymHandle, message: &[u8]) -> Call<Vec<u8>> {
        let v = self.asym_call(
            key,
            "GenerateMac",
            json!({"Message": b64(message), "MacAlgorithm": "HMAC_SHA_256"}),
        )?;
        unb64(&v["Mac"], "Mac")
    }

    fn verify_mac(&self, key: &AsymHandle, message: &[u8], mac: &[u8]) -> Call<bool> {
        let v = self.asym_call(
            key,
            "VerifyMac",
            json!({"Message": b64(message), "MacAlgorithm": "HMAC_SHA_256", "Mac": b64(mac)}),
        )?;
        Ok(v["MacValid"].as_bool() == Some(true))
    }

    fn list_key_ids(&self) -> Call<Vec<String>> {
        let mut ids = Vec::new();
        for spec in KeySpec::ALL {
            let mut marker: Option<String> = None;
            loop {
                let mut body = json!({"Limit": 1000});
                if let Some(m) = &marker {
                    body["Marker"] = json!(m);
                }
                let v = self.call(spec, "ListKeys", body)?;
                for k in v["Keys"].as_array().into_iter().flatten() {
                    ids.push(string(&k["KeyId"], "Keys[].KeyId")?);
                }
                match (v["Truncated"].as_bool(), v["NextMarker"].as_str()) {
                    (Some(true), Some(next)) => marker = Some(next.to_owned()),
                    _ => break,
                }
            }
        }
        Ok(ids)
    }
}
