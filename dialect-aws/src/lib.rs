//! The AWS KMS dialect: `TrentService` JSON 1.1 requests signed with SigV4, translated to
//! `kms-core` calls, and core results and errors translated back to AWS's exact answers.

pub mod error;
mod response;
mod service;
pub mod sigv4;

pub use service::{Account, AwsConfig, AwsDialect};
