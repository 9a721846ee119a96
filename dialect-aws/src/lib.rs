//! The AWS KMS dialect: `TrentService` JSON 1.1 requests signed with SigV4, translated to
//! `kms-core` calls, and core results and errors translated back to AWS's exact answers.
//!
//! Request flow: [`AwsDialect::handle`] → `auth` (SigV4 → caller = account + region =
//! tenant) → `ops::Operation::from_target` (routing table) → typed request parsed from the
//! body by `input` (AWS validation messages) → `kms_core::Kms` → JSON response or the one
//! error mapping in [`error::from_core`].

mod account;
mod auth;
mod caller;
pub mod error;
mod input;
mod key_ref;
mod ops;
mod regions;
mod response;
mod seed;
mod service;
mod settings;
pub mod sigv4;
mod wire_enum;

pub use account::{Account, InvalidAccount};
pub use service::AwsDialect;
pub use settings::{DEFAULT_PORT, InvalidSettings, Settings};
