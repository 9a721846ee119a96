//! kmsgate's HTTP front: actix-web listeners, one per cloud dialect, over one shared engine,
//! one store and one emulated clock.
//!
//! The binaries (`kmsgate serve`, `kmsgate-aws`, `kmsgate-tencent`, `kmsgate-huawei`) are thin
//! calls into [`dialect_main`] and [`kmsgate_main`]; [`Background`] runs the same server inside
//! another program (tests). A dialect plugs in through the [`Dialect`]
//! trait: `http::Request` in, `http::Response` out, so dialect crates never see actix.

mod admin;
mod background;
mod body;
mod busy_poll;
mod cli;
mod controls;
mod dialect;
mod engine;
mod env_source;
mod http_bridge;
mod known_settings;
mod listener;
mod log_format;
mod log_writer;
mod logging;
mod material_source;
mod metrics;
mod redact;
mod request_line;
mod run;
mod seed;
mod settings;
mod shared_clock;
mod signals;
mod store_settings;
mod wrap_cmd;

pub use background::{Background, BackgroundError};
pub use dialect::DialectKind;
pub use dialect_kit::{Dialect, Edge};
pub use kms_core::PostgresUrl;
#[cfg(feature = "test-postgres")]
pub use kms_core::testing::postgres::TestPostgres;
pub use run::{StartFailure, dialect_main, kmsgate_main};
pub use settings::{
    AdminSettings, InvalidListenAddr, LimitSettings, ListenAddr, Overrides, PoolSettings,
    PostgresSettings, RootKeyHex, Settings, SettingsError, StoreKind, StoreSettings, Unusable,
};
