//! `rackaudit synth`: write a synthetic generic-CSV snapshot, for benchmarks.
//!
//! Example: rackaudit synth --providers 50000 --gpus 1000000 -o big.csv

use crate::error::{Error, Result};
use crate::synth::{SynthSpec, write_csv};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit synth --providers 1000 --gpus 20000 -o synth.csv\n  rackaudit synth --providers 500000 --gpus 4000000 --seed 7 -o big.csv"
)]
pub struct SynthArgs {
    /// Number of providers.
    #[arg(long, default_value_t = 50_000)]
    pub providers: usize,
    /// Approximate number of GPUs.
    #[arg(long, default_value_t = 1_000_000)]
    pub gpus: u64,
    /// Operators the providers belong to (default: a quarter of them).
    #[arg(long)]
    pub operators: Option<usize>,
    /// Random seed (same seed, same file).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: SynthArgs) -> Result<()> {
    if args.providers == 0 {
        return Err(Error::Usage("--providers must be at least 1".into()));
    }
    let spec = SynthSpec {
        providers: args.providers,
        gpus: args.gpus,
        seed: args.seed,
        operators: args.operators,
    };
    let mut bytes = Vec::new();
    write_csv(&spec, &mut bytes).map_err(|e| Error::Io {
        path: "synth".into(),
        action: "cannot generate",
        source: e,
    })?;
    super::emit(args.output.as_deref(), &bytes)
}
