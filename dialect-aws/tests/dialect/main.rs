//! The AWS dialect through its public entry point, `AwsDialect::handle`: recorded boto3
//! requests, the BYOK flow, key management and the error surface. One binary, many modules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod asymmetric;
mod byok;
mod captures;
mod fuzz;
mod management;
mod surface;
