//! The Huawei dialect through its public entry point, `HuaweiDialect::handle`: recorded SDK
//! requests, the BYOK flow, key management, aliases, cryptography, and both ways to
//! authenticate. One binary, many modules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod asymmetric;
mod auth;
mod byok;
mod captures;
mod crypto;
mod fuzz;
mod management;
mod rotation;
