//! The audit report (one data structure) and its exporters, one per format.

pub mod csv;
pub mod escape;
pub mod full;
pub mod html;
pub mod json;
pub mod layout;
pub mod league;
pub mod markdown;
pub mod operators;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod stress;
pub mod supply;
pub mod table;

use crate::audit::{AuditOptions, SnapshotAudit};
use crate::metrics::SummaryParams;
use serde::Serialize;

pub use crate::model::InputRecord;
pub use crate::text::{num, pct};

/// Options that change numbers, recorded so a report can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedOptions {
    /// Tau thresholds as given; `None`: each snapshot's profile thresholds
    /// (listed per snapshot as `tau_thresholds`).
    pub tau: Option<Vec<String>>,
    pub top: Vec<String>,
    pub alpha: Vec<String>,
    pub top_n: usize,
    /// Weakest evidence allowed to merge providers into operators.
    pub min_confidence: crate::entities::Confidence,
    /// Link key kinds switched off.
    pub disabled_keys: Vec<crate::entities::LinkKind>,
    /// The domain deny-list in force (built-in, mapping file and flags).
    pub deny_domains: Vec<String>,
    /// Whether the supply checks ran.
    pub supply_checks: bool,
    /// The `--profile` given (bundled name or file), if any; otherwise each
    /// snapshot's bundled profile was used.
    pub profile: Option<String>,
    /// `--rule` severities, as `rule=severity`.
    pub rule_overrides: Vec<String>,
}

impl RecordedOptions {
    fn from(opts: &AuditOptions) -> Self {
        let SummaryParams { tau, top, alpha } = &opts.params;
        Self {
            tau: (!opts.tau_from_profile).then(|| labels(tau)),
            top: labels(top),
            alpha: labels(alpha),
            top_n: opts.top_n,
            min_confidence: opts.entities.min_confidence,
            disabled_keys: opts.entities.disabled.iter().copied().collect(),
            deny_domains: opts.entities.deny.domains().to_vec(),
            supply_checks: opts.supply.is_some(),
            profile: opts
                .profile
                .as_ref()
                .or(opts.supply.as_ref().and_then(|s| s.profile.as_ref()))
                .map(|p| p.origin.clone()),
            rule_overrides: opts
                .supply
                .iter()
                .flat_map(|s| &s.overrides)
                .map(|(r, v)| format!("{}={}", r.id(), v.name()))
                .collect(),
        }
    }
}

fn labels<T>(v: &[crate::metrics::Labelled<T>]) -> Vec<String> {
    v.iter().map(|l| l.label.clone()).collect()
}

/// The full result of `rackaudit audit`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub schema_version: &'static str,
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub methodology_version: &'static str,
    /// SHA-256 over the inputs' locations and hashes, in order.
    pub input_sha256: String,
    pub inputs: Vec<InputRecord>,
    pub options: RecordedOptions,
    /// One row per snapshot, sorted (see [`league::SORTED_BY`]).
    pub league: Vec<league::LeagueRow>,
    pub snapshots: Vec<SnapshotAudit>,
}

impl AuditReport {
    /// Assembles a report from audited snapshots and their inputs.
    pub fn new(
        inputs: Vec<InputRecord>,
        opts: &AuditOptions,
        snapshots: Vec<SnapshotAudit>,
    ) -> Self {
        AuditReport {
            schema_version: crate::SCHEMA_VERSION,
            tool: "rackaudit",
            tool_version: crate::TOOL_VERSION,
            methodology_version: crate::METHODOLOGY_VERSION,
            input_sha256: inputs_sha256(&inputs),
            inputs,
            options: RecordedOptions::from(opts),
            league: league::rows(&snapshots),
            snapshots,
        }
    }
}

/// SHA-256 over the inputs' locations and hashes, in order: one hash that
/// pins everything a report was computed from.
pub fn inputs_sha256(inputs: &[InputRecord]) -> String {
    let joined: String = inputs
        .iter()
        .map(|i| format!("{}\t{}\n", i.location, i.sha256))
        .collect();
    crate::sources::sha256_hex(joined.as_bytes())
}

/// An output format.
pub trait Exporter {
    fn render(&self, report: &AuditReport) -> Vec<u8>;
}

/// A share of a known part with the coverage it rests on: `33.3%`,
/// `33.3% (cloud known for 40.0% of GPUs; low coverage)`, or
/// `n/a (cloud known for 0% of GPUs)`.
pub fn known_pct(s: &crate::audit::KnownShare, field: &str, of: &str) -> String {
    match s.value {
        None => format!("n/a ({field} known for 0% of {of})"),
        Some(v) if s.coverage >= 1.0 => pct(v),
        Some(v) => format!(
            "{} ({field} known for {} of {of}{})",
            pct(v),
            pct(s.coverage),
            if s.low_coverage { "; low coverage" } else { "" }
        ),
    }
}

/// Formats an optional share.
pub fn opt_pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), pct)
}

/// Formats an optional count.
pub fn opt_count(x: Option<usize>) -> String {
    x.map_or("n/a".into(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn num_keeps_integer_digits() {
        assert_eq!(super::num(1810.6, 0), "1811");
        assert_eq!(super::num(1810.0, 0), "1810");
        assert_eq!(super::num(0.1500, 3), "0.15");
        assert_eq!(super::num(2.0, 3), "2");
    }
}
