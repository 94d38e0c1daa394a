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
