//! `rackaudit entities`: who controls the providers. Lists operators with
//! their providers, shares of each weight and the evidence that formed
//! them; `--explain` tells why one provider sits in its operator.
//!
//! Examples:
//!   rackaudit entities data/bittensor/subtensor_nakamoto_snapshot_block3606775.json
//!   rackaudit entities validators.json --format csv -o operators.csv
//!   rackaudit entities providers.json --mapping operators.toml --explain akash1abc…

use crate::audit::operators::operators;
use crate::entities::{explain, resolve};
use crate::error::{Error, Result};
use crate::report::operators::{EntitiesReport, csv, explanation, json, table};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output formats of `entities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rackaudit entities data/bittensor/subtensor_nakamoto_snapshot_block3606775.json\n  rackaudit entities validators.json --format csv -o operators.csv\n  rackaudit entities providers.json --mapping operators.toml --explain akash1abc"
)]
pub struct EntitiesArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Explain why this provider sits in its operator.
    #[arg(long)]
    pub explain: Option<String>,
    /// Operators listed per snapshot in the table format.
    #[arg(long, default_value_t = 25)]
    pub limit: usize,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
}

pub fn run(args: EntitiesArgs) -> Result<()> {
    let (opts, mapping) = args.resolve.options()?;
    let loaded = args.input.load()?;
    if let Some(id) = &args.explain {
        let found = loaded.iter().find_map(|(s, _)| {
            let r = resolve(&s.providers, &opts);
            explain(&s.providers, &r, &opts, id)
        });
        let e = found
            .ok_or_else(|| Error::Usage(format!("--explain: no provider `{id}` in the inputs")))?;
        let bytes = match args.format {
            Format::Json => json(&e),
            _ => explanation(&e),
        };
        return super::emit(args.output.as_deref(), &bytes);
    }
    let mut inputs = Vec::new();
    let mut snapshots = Vec::new();
    for (s, record) in loaded {
        snapshots.push(operators(&s, &opts));
        inputs.push(record);
    }
    inputs.extend(mapping);
    let report = EntitiesReport::new(inputs, snapshots);
    let bytes = match args.format {
        Format::Table => table(&report, args.limit),
        Format::Json => json(&report),
        Format::Csv => csv(&report),
    };
    super::emit(args.output.as_deref(), &bytes)
}
