//! kmsgate's conformance suite: one set of BYOK scenarios, written in neutral terms, run
//! against every dialect over its real wire protocol, so that one core is seen to behave the
//! same behind every cloud's API.
//!
//! - [`neutral`]: the suite's vocabulary (key specs, wrapping choices, states).
//! - [`wrap`]: client-side wrapping of key material, independent of kms-core's unwrapping.
//! - [`sign`]: SigV4, TC3-HMAC-SHA256 and SDK-HMAC-SHA256, as the official SDKs sign.
//! - [`http`]: a tiny blocking HTTP/1.1 client for loopback servers.
//! - [`driver`]: the neutral client trait and one driver per dialect.
//! - [`ledger`]: every expected failure, with each dialect's exact wire code.
//! - [`scenarios`]: the scenarios, and the [`scenarios::Server`] seam a harness implements.
//! - [`matrix`]: the scenario × dialect summary.

pub mod driver;
pub mod http;
pub mod ledger;
pub mod matrix;
pub mod neutral;
pub mod scenarios;
pub mod sign;
pub mod wrap;
