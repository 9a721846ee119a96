//! The AWS KMS dialect: `TrentService` JSON 1.1 requests signed with SigV4, translated to
//! `kms-core` calls, and core results and errors translated back to AWS's exact answers.
//!
//! Work in progress (issue #3): SigV4 verification and the error mapping are done; request
//! routing and operations are not yet.

pub mod error;
pub mod sigv4;
