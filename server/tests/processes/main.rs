//! The real binaries, started as processes on loopback ports the OS picks. One test binary
//! (many modules) so the crate links once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod at_rest;
mod config;
mod controls;
mod data_dir;
mod hardening;
mod multi_instance;
mod operability;
mod seed;
mod serve;
mod single;
mod wrap;

const AWS: &str = env!("CARGO_BIN_EXE_kmsgate-aws");
const TENCENT: &str = env!("CARGO_BIN_EXE_kmsgate-tencent");
const HUAWEI: &str = env!("CARGO_BIN_EXE_kmsgate-huawei");
const KMSGATE: &str = env!("CARGO_BIN_EXE_kmsgate");

/// A signalled server must be gone within this (its pool may be mid RSA-4096 generation).
const PROMPT_EXIT: std::time::Duration = std::time::Duration::from_secs(10);
