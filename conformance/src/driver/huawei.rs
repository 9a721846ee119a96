//! Huawei Cloud KMS v1.0 REST: `POST /v1.0/{project_id}/kms/<action>`, SDK-HMAC-SHA256-signed,
//! errors as `{"error": {"error_code": "KMS.xxxx", "error_msg"}}` with a 4xx/5xx status. The
//! wrapping key spec follows from the algorithm (RSAES_OAEP_SHA_256: RSA_2048, SM2_ENCRYPT: SM2).

use serde_json::{Value, json};

use super::{
    Call, CallError, DataKey, Driver, Endpoints, Support, WireError, b64, json_body, kwp_len,
    string, unb64,
};
use crate::http;
use crate::neutral::{
    AsymHandle, AsymSpec, Dialect, Expiry, ImportParams, KeyHandle, KeySpec, KeyView, State,
    WrapAlg, WrapSpec,
};
use crate::sign::sdk_hmac::{self, Credentials};
use crate::sign::unix_now;

const ACCESS_KEY: &str = "HPUACONFORMANCE00000";
const SECRET_KEY: &str = "conformance-secret-key";
const PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";

#[derive(Debug)]
pub struct HuaweiDriver {
    endpoints: Endpoints,
}

impl HuaweiDriver {
    pub fn new(endpoints: Endpoints) -> Self {
        HuaweiDriver { endpoints }
    }

    fn call(&self, spec: KeySpec, action: &str, body: Value) -> Call<Value> {
        let creds = Credentials {
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            project_id: PROJECT_ID.into(),
        };
        let path = format!("/v1.0/{PROJECT_ID}/kms/{action}");
        let body = body.to_string().into_bytes();
        let endpoint = self.endpoints.get(spec)?;
        let host = http::authority(endpoint)?;
        let headers = sdk_hmac::sign(&creds, host, "POST", &path, &body, unix_now());
        let r = http::send(endpoint, "POST", &path, &headers, &body)?;
        let value = json_body(&r.body)?;
        if r.status < 400 {
            return Ok(value);
        }
        // The SDK takes error_code/error_msg at the top level, else from a nested object.
        let error = if value.get("error_code").is_some() {
            &value
        } else {
            &value["error"]
        };
        Err(CallError::Wire(WireError {
            status: r.status,
            code: error["error_code"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| r.status.to_string()),
            message: error["error_msg"].as_str().unwrap_or_default().to_owned(),
        }))
    }

    fn key_call(&self, key: &KeyHandle, action: &str, mut body: Value) -> Call<Value> {
        body["key_id"] = json!(key.id);
        self.call(key.spec, action, body)
    }

    fn asym_call(&self, key: &AsymHandle, action: &str, body: Value) -> Call<Value> {
        self.key_call(&key.as_key(), action, body)
    }

    fn signing_algorithm(spec: AsymSpec) -> &'static str {
        match spec {
            AsymSpec::EccP256 => "ECDSA_SHA_256",
            AsymSpec::Rsa2048 | AsymSpec::Hmac256 => "RSASSA_PSS_SHA_256",
        }
    }

    fn wire_algorithm(alg: WrapAlg) -> &'static str {
        match alg {
            WrapAlg::Sm2Pke => "SM2_ENCRYPT",
            WrapAlg::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
            WrapAlg::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            WrapAlg::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            WrapAlg::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            WrapAlg::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
        }
    }
}

/// Huawei timestamps are strings or numbers, documented as seconds but shown in milliseconds.
fn timestamp(value: &Value) -> Option<u64> {
    let n = match value {
        Value::String(s) if s.is_empty() => return None,
        Value::String(s) => s.parse::<u64>().ok()?,
        other => other.as_u64()?,
    };
    Some(if n > 100_000_000_000 { n / 1000 } else { n })
}

impl Driver for HuaweiDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Huawei
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

    fn wrapping_support(&self, _key: KeySpec, alg: WrapAlg, spec: WrapSpec) -> Support {
        match (alg, spec) {
            // The project's seeds list RSAES_PKCS1_V1_5 and RSAES_OAEP_SHA_1 besides the SDK's
            // RSAES_OAEP_SHA_256 and SM2_ENCRYPT; kmsgate offers all four.
            (
                WrapAlg::RsaesPkcs1V15 | WrapAlg::RsaesOaepSha1 | WrapAlg::RsaesOaepSha256,
                WrapSpec::Rsa2048,
            )
            | (WrapAlg::Sm2Pke, WrapSpec::Sm2) => Support::Offered,
            (_, WrapSpec::Rsa3072 | WrapSpec::Rsa4096) => Support::NotExpressible(
                "get-parameters-for-import has no wrapping key spec: RSA wrapping keys are RSA_2048",
            ),
            (WrapAlg::Sm2Pke, _) | (_, WrapSpec::Sm2) => {
                Support::NotExpressible("SM2_ENCRYPT always comes with an SM2 wrapping key")
            }
            _ => Support::Refused("Huawei has no RSA_AES_KEY_WRAP"),
        }
    }

    fn default_wrapping(&self, _key: KeySpec) -> (WrapAlg, WrapSpec) {
        (WrapAlg::RsaesOaepSha256, WrapSpec::Rsa2048)
    }

    fn create_key(&self, spec: KeySpec, external: bool) -> Call<KeyHandle> {
        let alias = format!("conf-{}", uuid::Uuid::new_v4().simple());
        let v = self.call(
            spec,
            "create-key",
            json!({"key_alias": alias, "key_spec": spec.to_string(),
                   "key_usage": "ENCRYPT_DECRYPT", "key_description": "conformance",
                   "origin": if external { "external" } else { "kms" }}),
        )?;
        Ok(KeyHandle {
            id: string(&v["key_info"]["key_id"], "key_info.key_id")?,
            spec,
        })
    }

    fn get_parameters(&self, key: &KeyHandle, alg: WrapAlg, _spec: WrapSpec) -> Call<ImportParams> {
        let v = self.key_call(
            key,
            "get-parameters-for-import",
            json!({"wrapping_algorithm": Self::wire_algorithm(alg)}),
        )?;
        Ok(ImportParams {
            token: unb64(&v["import_token"], "import_token")?,
            public_key_der: unb64(&v["public_key"], "public_key")?,
            valid_to: timestamp(&v["expiration_time"]),
        })
    }

    fn import(&self, key: &KeyHandle, token: &[u8], wrapped: &[u8], expiry: Expiry) -> Call<()> {
        let mut body = json!({"import_token": b64(token), "encrypted_key_material": b64(wrapped)});
        if let Expiry::At(t) = expiry {
            body["expiration_time"] = json!(t);
        }
        self.key_call(key, "import-key-material", body).map(drop)
    }

    fn imported_rotation_support(&self) -> Support {
        Support::Refused("keys with imported material do not rotate")
    }

    fn rotate(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "enable-key-rotation", json!({}))
            .map(drop)
    }

    fn delete_material(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "delete-imported-key-material", json!({}))
            .map(drop)
    }

    fn describe(&self, key: &KeyHandle) -> Call<KeyView> {
        let v = self.key_call(key, "describe-key", json!({}))?;
        let info = &v["key_info"];
        let state = match info["key_state"].as_str() {
            Some("2") => State::Enabled,
            Some("3") => State::Disabled,
            Some("4") => State::PendingDeletion,
            Some("5") => State::PendingImport,
            other => return Err(CallError::broken(format!("key_state {other:?}"))),
        };
        let expiry = match state {
            State::PendingImport => None,
            _ => Some(timestamp(&info["expiration_time"]).map_or(Expiry::Never, Expiry::At)),
        };
        Ok(KeyView {
            state,
            expiry,
            external: info["origin"].as_str() == Some("external"),
        })
    }

    fn enable(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "enable-key", json!({})).map(drop)
    }

    fn disable(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "disable-key", json!({})).map(drop)
    }

    fn schedule_deletion(&self, key: &KeyHandle, days: u32) -> Call<()> {
        self.key_call(
            key,
            "schedule-key-deletion",
            json!({"pending_days": days.to_string()}),
        )
        .map(drop)
    }

    fn cancel_deletion(&self, key: &KeyHandle) -> Call<()> {
        self.key_call(key, "cancel-key-deletion", json!({}))
            .map(drop)
    }

    fn encrypt(&self, key: &KeyHandle, plaintext: &[u8]) -> Call<Vec<u8>> {
        // plain_text is the text itself; the scenarios encrypt printable ASCII.
        let text = String::from_utf8(plaintext.to_vec())
            .map_err(|_| CallError::broken("Huawei encrypt-data takes text plaintexts"))?;
        let v = self.key_call(key, "encrypt-data", json!({"plain_text": text}))?;
        unb64(&v["cipher_text"], "cipher_text")
    }

    fn decrypt(
        &self,
        spec: KeySpec,
        ciphertext: &[u8],
        named: Option<&KeyHandle>,
    ) -> Call<Vec<u8>> {
        let mut body = json!({"cipher_text": b64(ciphertext)});
        if let Some(key) = named {
            body["key_id"] = json!(key.id);
        }
        let v = self.call(spec, "decrypt-data", body)?;
        match v.get("plain_text_base64") {
            Some(b) => unb64(b, "plain_text_base64"),
            None => Ok(string(&v["plain_text"], "plain_text")?.into_bytes()),
        }
    }

    fn generate_data_key(&self, key: &KeyHandle) -> Call<DataKey> {
        let v = self.key_call(key, "create-datakey", json!({"key_spec": "AES_256"}))?;
        let hex_field = |name: &str| {
            hex::decode(string(&v[name], name)?)
                .map_err(|e| CallError::broken(format!("{name} is not hex: {e}")))
        };
        Ok(DataKey {
            plaintext: hex_field("plain_text")?,
            ciphertext: hex_field("cipher_text")?,
        })
    }

    fn decrypt_data_key(&self, key: &KeyHandle, ciphertext: &[u8]) -> Call<Vec<u8>> {
        let v = self.key_call(
            key,
            "decrypt-datakey",
            json!({"cipher_text": hex::encode(ciphertext), "datakey_cipher_length": "32"}),
        )?;
        hex::decode(string(&v["data_key"], "data_key")?)
            .map_err(|e| CallError::broken(format!("data_key is not hex: {e}")))
    }

    /// Huawei's import guide: asymmetric material yes (RSA, EC_P256, ...), HMAC material no.
    fn asym_support(&self, spec: AsymSpec) -> Support {
        match spec {
            AsymSpec::EccP256 | AsymSpec::Rsa2048 => Support::Offered,
            AsymSpec::Hmac256 => Support::Refused("Huawei imports no HMAC key material"),
        }
    }

    fn create_asym_key(&self, spec: AsymSpec) -> Call<AsymHandle> {
        let (key_spec, usage) = match spec {
            AsymSpec::EccP256 => ("EC_P256", "SIGN_VERIFY"),
            AsymSpec::Rsa2048 => ("RSA_2048", "SIGN_VERIFY"),
            AsymSpec::Hmac256 => ("HMAC_256", "GENERATE_VERIFY_MAC"),
        };
        let alias = format!("conf-{}", uuid::Uuid::new_v4().simple());
        let v = self.call(
            KeySpec::Aes256,
            "create-key",
            json!({"key_alias": alias, "key_spec": key_spec, "key_usage": usage,
                   "key_description": "conformance", "origin": "external"}),
        )?;
        Ok(AsymHandle {
            id: string(&v["key_info"]["key_id"], "key_info.key_id")?,
            spec,
        })
    }

    /// Huawei's two layers: a temporary AES-256 key under RSAES_OAEP_SHA_256 in
    /// `encrypted_key_material`, the PKCS#8 key under it (RFC 5649) in `encrypted_privatekey`.
    /// That is RSA_AES_KEY_WRAP_SHA_256's output cut where its RSA block ends.
    fn import_asym(&self, key: &AsymHandle, material: &[u8]) -> Call<()> {
        let handle = key.as_key();
        let params = self.get_parameters(&handle, WrapAlg::RsaesOaepSha256, WrapSpec::Rsa2048)?;
        let wrapped = crate::wrap::wrap(
            &params.public_key_der,
            WrapAlg::RsaAesKeyWrapSha256,
            material,
        )
        .map_err(CallError::broken)?;
        let split = wrapped
            .len()
            .checked_sub(kwp_len(material.len()))
            .ok_or_else(|| CallError::broken("RSA_AES_KEY_WRAP output shorter than its parts"))?;
        let (temporary, private_key) = wrapped.split_at(split);
        self.key_call(
            &handle,
            "import-key-material",
            json!({"import_token": b64(&params.token), "encrypted_key_material": b64(temporary),
                   "encrypted_privatekey": b64(private_key)}),
        )
        .map(drop)
    }

    /// `public_key` is PEM here.
    fn public_key(&self, key: &AsymHandle) -> Call<Vec<u8>> {
        let v = self.asym_call(key, "get-publickey", json!({}))?;
        let pem = string(&v["public_key"], "public_key")?;
        let body: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        unb64(&json!(body), "public_key (PEM body)")
    }

    fn sign(&self, key: &AsymHandle, message: &[u8]) -> Call<Vec<u8>> {
        let v = self.asym_call(
            key,
            "sign",
            json!({"message": b64(message), "message_type": "RAW",
                   "signing_algorithm": Self::signing_algorithm(key.spec)}),
        )?;
        unb64(&v["signature"], "signature")
    }

    /// `signature_valid` is the string "true" or "false".
    fn verify(&self, key: &AsymHandle, message: &[u8], signature: &[u8]) -> Call<bool> {
        let v = self.asym_call(
            key,
            "verify",
            json!({"message": b64(message), "message_type": "RAW", "signature": b64(signature),
                   "signing_algorithm": Self::signing_algorithm(key.spec)}),
        )?;
        match &v["signature_valid"] {
            Value::String(s) => Ok(s == "true"),
            Value::Bool(b) => Ok(*b),
            other => Err(CallError::broken(format!("signature_valid {other}"))),
        }
    }

    fn generate_mac(&self, key: &AsymHandle, message: &[u8]) -> Call<Vec<u8>> {
        let v = self.asym_call(
            key,
            "generate-mac",
            json!({"message": b64(message), "mac_algorithm": "HMAC_SHA_256"}),
        )?;
        // Hex, as Huawei's GenerateMac example shows it.
        let text = string(&v["mac"], "mac")?;
        hex::decode(&text).map_err(|e| CallError::broken(format!("mac is not hex: {e}")))
    }

    fn verify_mac(&self, key: &AsymHandle, message: &[u8], mac: &[u8]) -> Call<bool> {
        let v = self.asym_call(
            key,
            "verify-mac",
            json!({"message": b64(message), "mac_algorithm": "HMAC_SHA_256", "mac": hex::encode(mac)}),
        )?;
        match &v["mac_valid"] {
            Value::String(s) => Ok(s == "true"),
            Value::Bool(b) => Ok(*b),
            other => Err(CallError::broken(format!("mac_valid {other}"))),
        }
    }

    fn list_key_ids(&self) -> Call<Vec<String>> {
        let mut ids: Vec<String> = Vec::new();
        let Ok(endpoint_spec) = KeySpec::ALL
            .iter()
            .find(|s| self.endpoints.serves(**s))
            .copied()
            .ok_or(())
        else {
            return Ok(ids);
        };
        let mut marker: Option<String> = None;
        loop {
            let mut body = json!({"limit": "1000", "key_spec": "ALL"});
            if let Some(m) = &marker {
                body["marker"] = json!(m);
            }
            let v = self.call(endpoint_spec, "list-keys", body)?;
            for k in v["keys"].as_array().into_iter().flatten() {
                ids.push(string(k, "keys[]")?);
            }
            match (v["truncated"].as_str(), v["next_marker"].as_str()) {
                (Some("true"), Some(next)) if !next.is_empty() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(ids)
    }
}
