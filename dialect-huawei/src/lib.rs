//! The Huawei Cloud KMS dialect: REST v1.0 requests under `/v1.0/{project_id}/kms/...`,
//! authenticated by SDK-HMAC-SHA256 (huaweicloudsdkcore's AK/SK signature) or by an IAM
//! `X-Auth-Token`, translated to `kms-core` calls; core results and errors translated back to
//! Huawei's answers. The listener also serves the IAM call that issues tokens,
//! `POST /v3/auth/tokens`.
//!
//! Request flow: [`HuaweiDialect::handle`] → `ops::route` (routing table: method and path →
//! operation and project) → `auth` (signature or token → caller = project = tenant) →
//! `input` (typed fields with Huawei's validation) → `kms_core::Kms` → JSON response, or the
//! one error mapping in [`error::from_core`].

mod alias_names;
pub mod auth;
mod caller;
mod ciphertext;
pub mod error;
mod iam;
mod input;
mod ops;
mod response;
mod seed;
mod service;
mod settings;
pub mod signer;
pub mod token;

pub use caller::ProjectId;
pub use service::HuaweiDialect;
pub use settings::{
    AccessKey, DEFAULT_PORT, DEFAULT_TOKEN_TTL, IamUser, InvalidProject, InvalidSettings, Projects,
    Settings,
};
