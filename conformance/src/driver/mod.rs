//! The neutral client: what the scenarios ask of a dialect, and one driver per dialect that
//! asks it over the real wire protocol, signed as the official SDK signs.

mod aws;
mod huawei;
mod tencent;

pub use aws::AwsDriver;
pub use huawei::HuaweiDriver;
pub use tencent::TencentDriver;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::http;
use crate::ledger::{self, Outcome};
use crate::neutral::{
    AsymHandle, AsymSpec, Dialect, Expiry, ImportParams, KeyHandle, KeySpec, KeyView, WrapAlg,
    WrapSpec,
};

/// An error the server answered, as the wire carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// Why a call did not succeed.
#[derive(Clone, Debug)]
pub enum CallError {
    /// The server refused, in its dialect's error shape.
    Wire(WireError),
    /// No usable answer: connection failure, or an answer not in the dialect's shape.
    Broken(String),
}

impl CallError {
    pub fn broken(what: impl fmt::Display) -> CallError {
        CallError::Broken(what.to_string())
    }

    /// The neutral meaning of this error, when the dialect's ledger knows its code.
    pub fn outcome(&self, dialect: Dialect) -> Option<Outcome> {
        match self {
            CallError::Wire(w) => ledger::classify(dialect, w.status, &w.code),
            CallError::Broken(_) => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Wire(w) => write!(f, "{} {}: {}", w.status, w.code, w.message),
            CallError::Broken(why) => write!(f, "no usable answer: {why}"),
        }
    }
}

impl From<http::HttpError> for CallError {
    fn from(e: http::HttpError) -> Self {
        CallError::broken(e)
    }
}

pub type Call<T> = Result<T, CallError>;

/// Whether a dialect offers a wrapping choice for a key spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Offered,
    /// The request can be made and must be refused ([`ledger::Failure::WrappingNotOffered`]).
    Refused(&'static str),
    /// The API cannot even ask for it.
    NotExpressible(&'static str),
}

/// A data key: its plaintext and its ciphertext under the key.
#[derive(Clone, Debug)]
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// One dialect's client. All calls are blocking and may run from several threads at once.
pub trait Driver: Send + Sync + fmt::Debug {
    fn dialect(&self) -> Dialect;
    /// Where keys of each spec are served (a Tencent listener serves one edition, so its SM4
    /// keys may live on another server than its AES-256 keys).
    fn endpoints(&self) -> &Endpoints;
    /// After a server restart (new ports).
    fn set_endpoints(&mut self, endpoints: Endpoints);

    /// Whether keys of this spec can be created at all.
    fn key_spec_support(&self, spec: KeySpec) -> Support;
    fn wrapping_support(&self, key: KeySpec, alg: WrapAlg, spec: WrapSpec) -> Support;
    /// The wrapping scenarios use when any will do.
    fn default_wrapping(&self, key: KeySpec) -> (WrapAlg, WrapSpec);

    /// `external`: created without material, for import.
    fn create_key(&self, spec: KeySpec, external: bool) -> Call<KeyHandle>;
    fn get_parameters(&self, key: &KeyHandle, alg: WrapAlg, spec: WrapSpec) -> Call<ImportParams>;
    fn import(&self, key: &KeyHandle, token: &[u8], wrapped: &[u8], expiry: Expiry) -> Call<()>;
    fn delete_material(&self, key: &KeyHandle) -> Call<()>;
    fn describe(&self, key: &KeyHandle) -> Call<KeyView>;
    fn enable(&self, key: &KeyHandle) -> Call<()>;
    fn disable(&self, key: &KeyHandle) -> Call<()>;
    fn schedule_deletion(&self, key: &KeyHandle, days: u32) -> Call<()>;
    fn cancel_deletion(&self, key: &KeyHandle) -> Call<()>;
    /// Ciphertext as bytes (decoded from the wire's encoding).
    fn encrypt(&self, key: &KeyHandle, plaintext: &[u8]) -> Call<Vec<u8>>;
    /// Decrypts as the owner of keys of `spec` (the caller context a dialect may need);
    /// `named` is sent as the key to use when the dialect lets decrypt name one.
    fn decrypt(&self, spec: KeySpec, ciphertext: &[u8], named: Option<&KeyHandle>)
    -> Call<Vec<u8>>;
    fn generate_data_key(&self, key: &KeyHandle) -> Call<DataKey>;
    /// Recovers a data key's plaintext from its ciphertext.
    fn decrypt_data_key(&self, key: &KeyHandle, ciphertext: &[u8]) -> Call<Vec<u8>> {
        self.decrypt(key.spec, ciphertext, None)
    }
    /// Every key id the caller can list (all specs' caller contexts).
    fn list_key_ids(&self) -> Call<Vec<String>>;

    // ---- asymmetric and HMAC keys (issue #16); a dialect without them keeps the defaults ----

    /// Whether an EXTERNAL key of this kind can be created (Refused: the create request can be
    /// made and must be refused as the ledger says).
    fn asym_support(&self, _spec: AsymSpec) -> Support {
        Support::NotExpressible("the dialect has no non-symmetric keys")
    }
    /// An EXTERNAL key of `spec`, signing keys with the signing usage.
    fn create_asym_key(&self, spec: AsymSpec) -> Call<AsymHandle> {
        Err(CallError::broken(format!("no {spec} keys in this dialect")))
    }
    /// Import parameters, the dialect's documented wrapping of `material` (a PKCS#8 DER
    /// private key, or HMAC key bytes), and the import, material never expiring.
    fn import_asym(&self, key: &AsymHandle, _material: &[u8]) -> Call<()> {
        Err(CallError::broken(format!(
            "no {} keys in this dialect",
            key.spec
        )))
    }
    /// The DER SubjectPublicKeyInfo.
    fn public_key(&self, key: &AsymHandle) -> Call<Vec<u8>> {
        Err(CallError::broken(format!(
            "no {} keys in this dialect",
            key.spec
        )))
    }
    /// Signs the whole `message` (RAW) with the key spec's SHA-256 algorithm (ECDSA_SHA_256,
    /// RSASSA_PSS_SHA_256).
    fn sign(&self, key: &AsymHandle, _message: &[u8]) -> Call<Vec<u8>> {
        Err(CallError::broken(format!(
            "no {} keys in this dialect",
            key.spec
        )))
    }
    /// Whether the dialect calls the signature valid (a dialect may refuse an invalid one
    /// instead, as the ledger says).
    fn verify(&self, key: &AsymHandle, _message: &[u8], _signature: &[u8]) -> Call<bool> {
        Err(CallError::broken(format!(
            "no {} keys in this dialect",
            key.spec
        )))
    }
    /// HMAC-SHA-256 of `message`.
    fn generate_mac(&self, key: &AsymHandle, _message: &[u8]) -> Call<Vec<u8>> {
        Err(CallError::broken(format!(
            "no {} keys in this dialect",
            key.spec
        )))
    }
    fn verify_mac(&self, key: &AsymHandle, _message: &[u8], _mac: &[u8]) -> Call<bool> {
        Err(CallError::broken(format!(
            "no {} keys in this dialect",
            key.spec
        )))
    }
}

/// The length of RFC 5649 key wrap with padding of `n` bytes: the padded length plus the
/// 8-byte integrity block (what follows the RSA block in RSA_AES_KEY_WRAP).
pub(crate) fn kwp_len(n: usize) -> usize {
    n.div_ceil(8) * 8 + 8
}

/// The server endpoint (`http://127.0.0.1:PORT`) for each key spec served.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints(pub Vec<(KeySpec, String)>);

impl Endpoints {
    /// One server for every spec.
    pub fn single(endpoint: &str) -> Endpoints {
        Endpoints(
            KeySpec::ALL
                .iter()
                .map(|s| (*s, endpoint.to_owned()))
                .collect(),
        )
    }

    pub fn get(&self, spec: KeySpec) -> Call<&str> {
        self.0
            .iter()
            .find(|(s, _)| *s == spec)
            .map(|(_, e)| e.as_str())
            .ok_or_else(|| CallError::broken(format!("no server for {spec} keys")))
    }

    pub fn serves(&self, spec: KeySpec) -> bool {
        self.0.iter().any(|(s, _)| *s == spec)
    }

    /// Each distinct server once (for clock control).
    pub fn distinct(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (_, e) in &self.0 {
            if !out.contains(&e.as_str()) {
                out.push(e);
            }
        }
        out
    }
}

/// Builds the driver of a dialect.
pub fn for_dialect(dialect: Dialect, endpoints: Endpoints) -> Box<dyn Driver> {
    match dialect {
        Dialect::Aws => Box::new(AwsDriver::new(endpoints)),
        Dialect::Tencent => Box::new(TencentDriver::new(endpoints)),
        Dialect::Huawei => Box::new(HuaweiDriver::new(endpoints)),
    }
}

/// The server's emulated clock, in Unix seconds (`GET /_kmsgate/clock`).
pub fn clock_now(endpoint: &str) -> Call<u64> {
    let r = http::send(endpoint, "GET", "/_kmsgate/clock", &[], b"")?;
    clock_field(&r, "now")
}

/// How far the emulated clock has been moved, in whole seconds.
pub fn clock_offset(endpoint: &str) -> Call<u64> {
    let r = http::send(endpoint, "GET", "/_kmsgate/clock", &[], b"")?;
    clock_field(&r, "offset_seconds")
}

/// `POST /_kmsgate/clock/advance`.
pub fn clock_advance(endpoint: &str, seconds: u64) -> Call<()> {
    let body = format!(r#"{{"seconds": {seconds}}}"#);
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    let r = http::send(
        endpoint,
        "POST",
        "/_kmsgate/clock/advance",
        &headers,
        body.as_bytes(),
    )?;
    match r.status {
        200 => Ok(()),
        s => Err(CallError::broken(format!("clock advance answered {s}"))),
    }
}

fn clock_field(r: &http::Response, field: &str) -> Call<u64> {
    let v: Value = serde_json::from_slice(&r.body).map_err(CallError::broken)?;
    v[field]
        .as_f64()
        .map(|s| s.floor() as u64)
        .ok_or_else(|| CallError::broken(format!("clock answer without {field}: {v}")))
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn unb64(value: &Value, what: &str) -> Call<Vec<u8>> {
    let text = value
        .as_str()
        .ok_or_else(|| CallError::broken(format!("{what} missing or not a string")))?;
    STANDARD
        .decode(text)
        .map_err(|e| CallError::broken(format!("{what} is not base64: {e}")))
}

pub(crate) fn string(value: &Value, what: &str) -> Call<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| CallError::broken(format!("{what} missing or not a string")))
}

pub(crate) fn json_body(body: &[u8]) -> Call<Value> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body).map_err(|e| {
        CallError::broken(format!(
            "answer is not JSON ({e}): {}",
            String::from_utf8_lossy(body)
        ))
    })
}

/// A key id the servers have never issued.
pub fn missing_key(spec: KeySpec) -> KeyHandle {
    KeyHandle {
        id: uuid::Uuid::new_v4().to_string(),
        spec,
    }
}
