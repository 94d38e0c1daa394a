//! Command-line interface: argument definitions (one module per subcommand)
//! and dispatch. The binary only calls [`run`] and maps errors to exit codes.

pub mod audit;
pub mod metrics;
pub mod snapshot;
pub mod synth;

use crate::error::Result;
use clap::{Parser, Subcommand};

/// Audit how decentralized a compute network really is.
#[derive(Debug, Parser)]
#[command(name = "rackaudit", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit concentration of snapshots (default: the bundled real data).
    Audit(audit::AuditArgs),
    /// Compute every concentration metric on a list of numbers.
    Metrics(metrics::MetricsArgs),
    /// Convert any supported input into rackaudit snapshot JSON.
    Snapshot(snapshot::SnapshotArgs),
    /// Generate a synthetic snapshot (generic CSV) for benchmarks.
    Synth(synth::SynthArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Audit(a) => audit::run(a),
        Command::Metrics(a) => metrics::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Synth(a) => synth::run(a),
    }
}

/// Metric parameters shared by `audit` and `metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricParams {
    /// Tau-index thresholds (keys of `tau_index`).
    #[arg(long, default_value = "0.33,0.66")]
    pub tau: String,
    /// k of the concentration ratios CR_k (keys of `concentration_ratio`).
    #[arg(long, default_value = "1,3")]
    pub top: String,
    /// Rényi orders (keys of `renyi_entropy`; `inf` for min-entropy).
    #[arg(long, default_value = "0,2")]
    pub alpha: String,
}

impl MetricParams {
    /// Parses the lists, naming the flag of a bad value.
    pub fn params(&self) -> Result<crate::metrics::SummaryParams> {
        use crate::metrics::{parse_alpha, parse_labelled, parse_threshold, parse_top};
        let usage =
            |flag: &'static str| move |e: String| crate::Error::Usage(format!("--{flag}: {e}"));
        Ok(crate::metrics::SummaryParams {
            tau: parse_labelled(&self.tau, parse_threshold).map_err(usage("tau"))?,
            top: parse_labelled(&self.top, parse_top).map_err(usage("top"))?,
            alpha: parse_labelled(&self.alpha, parse_alpha).map_err(usage("alpha"))?,
        })
    }
}

/// Writes output to a file (atomically) or to standard output.
pub fn emit(output: Option<&std::path::Path>, bytes: &[u8]) -> Result<()> {
    match output {
        Some(path) => crate::output::write_atomic(path, bytes),
        None => crate::output::write_stdout(bytes),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
