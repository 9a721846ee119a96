//! What the three dialect crates share, and nothing else: the seam a server drives them
//! through ([`Dialect`], [`Edge`]), the signing primitives their signature schemes are built
//! from, UTC calendar arithmetic, percent-coding, JSON bodies, and the listener address every
//! dialect's settings carry.
//!
//! The kit knows no cloud and no engine: it depends on no crate of ours, and a rule that only
//! one cloud has stays in that cloud's dialect (each canonical request, for one, really
//! differs). `conformance` keeps its own signers on purpose and does not use this crate.

pub mod authorization;
pub mod calendar;
mod dialect;
#[cfg(feature = "fuzz")]
pub mod fuzz;
mod json;
mod listen;
pub mod pem;
pub mod percent;
mod request_id;
pub mod seed;
mod settings;
pub mod signing;
mod summary;

pub use dialect::{Dialect, Edge};
pub use json::json_body;
pub use listen::{InvalidListenAddr, ListenAddr};
pub use request_id::request_uuid;
pub use seed::{SeedPlacement, SeedTerms};
pub use settings::DialectSettings;
pub use summary::Summary;
