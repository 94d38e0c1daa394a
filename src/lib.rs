//! rackaudit: audit the concentration of decentralized compute networks.
//!
//! The library reads network snapshots ([`sources`]), groups providers into
//! operators ([`entities`]), computes concentration metrics ([`metrics`],
//! [`audit`]) and exports results ([`report`]). The `rackaudit` binary is a
//! thin shell over it ([`cli`]).

pub mod audit;
pub mod bundled;
pub mod claims;
pub mod cli;
pub mod cloud;
pub mod collect;
pub mod entities;
pub mod error;
pub mod history;
pub mod metrics;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod profile;
pub mod report;
pub mod rewards;
pub mod rng;
pub mod sources;
pub mod store;
pub mod stress;
pub mod suggest;
pub mod supply;
pub mod synth;
pub mod text;
pub mod time;

pub use error::{Error, Result};

/// Version of the tool, from Cargo.toml.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Version of the methodology (metric definitions and rules); bumped when a
/// number could change for the same input.
pub const METHODOLOGY_VERSION: &str = "1.4.1";
/// Version of the JSON report schema.
pub const SCHEMA_VERSION: &str = "1";

/// The name a unit enum variant serializes to (`on_chain`, `hyperscaler`, …),
/// so text output uses the same words as the JSON.
pub fn variant_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
