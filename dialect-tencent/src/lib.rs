//! The Tencent Cloud KMS dialect (API 2019-01-18): requests signed with TC3-HMAC-SHA256 (or
//! the legacy HmacSHA1/HmacSHA256), translated to `kms-core` calls, and core results and
//! errors translated back into Tencent's envelope.
//!
//! Request flow: [`TencentDialect::handle`] → `framing` (common parameters from `X-TC-*`
//! headers, or from the query/form for the legacy signature; the action's parameters from
//! the JSON body or the query) → `auth` (signature → account; + region = tenant) → version
//! and `ops::Action` (routing table) → `quota` (per tenant and action) → typed request
//! parsed from `params` → `kms_core::Kms` → `{"Response": {...}}` or the one error mapping
//! in [`error::from_core`]. Every answer is HTTP 200, as the SDK requires.

mod account;
mod auth;
mod caller;
mod edition;
pub mod error;
mod framing;
pub mod legacy_sign;
mod ops;
mod params;
mod quota;
mod regions;
mod response;
mod seed;
mod service;
mod settings;
pub mod tc3;

pub use account::{Account, InvalidAccount};
pub use edition::{Edition, InvalidEdition};
pub use ops::Action;
pub use quota::{QuotaSettings, UnknownAction};
pub use service::{API_VERSION, TencentDialect};
pub use settings::{Credential, DEFAULT_PORT, InvalidSettings, Settings};
