//! Integration tests of the engine through its public API only. One test binary (many
//! modules) so the workspace links once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod aliases_tags;
mod asymmetric;
mod authenticated;
mod crypto;
mod durability;
mod import_errors;
mod import_lifecycle;
mod keys;
mod mac;
mod model;
mod old_formats;
mod operator;
mod reads;
mod rewind;
mod rotation;
mod seed;

mod vectors;
