//! The Tencent dialect through its public entry point, `TencentDialect::handle`: recorded SDK
//! requests, the TC3 vector, the BYOK flow, key management and the error surface.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod asymmetric;
mod byok;
mod captures;
mod fuzz;
mod management;
mod rotation;
mod sdks;
mod signing;
mod surface;
