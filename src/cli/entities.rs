//! `rackaudit entities`: who controls the providers. Lists operators with
//! their providers, shares of each weight and the evidence that formed
//! them; `--explain` tells why one provider sits in its operator.
//!
//! Examples:
//!   rackaudit entities data/bittensor/subtensor_nakamoto_snapshot_block3606775.json
//!   rackaudit entities validators.json --format csv -o operators.csv
//!   rackaudit entities providers.json --mapping operators.toml --explain akash1abc…

use super::Format;
use crate::audit::operators::operators;
use crate::entities::{explain, resolve};
use crate::error::{Error, Result};
use crate::report::operators::{EntitiesReport, csv, explanation, json, markdown, table};
use clap::Args;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit entities data/cosmos/osmosis1_valset_height471386.json\n  rackaudit entities data/vastai/vast_offers_A100SXM4_fieldsubset.json \\\n      --format csv -o operators.csv\n  rackaudit entities data/vastai/vast_offers_A100SXM4_fieldsubset.json \\\n      --explain machine:43988"
)]
pub struct EntitiesArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    #[command(flatten)]
    pub out: super::OutputArgs,
    /// Explain why this provider sits in its operator.
    #[arg(long)]
    pub explain: Option<String>,
    #[command(flatten)]
    pub top: super::TopArgs,
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
        let bytes = match args.out.format() {
            Format::Json => json(&e),
            Format::Table => explanation(&e),
            Format::Csv | Format::Md => {
                return Err(Error::Usage(
                    "--explain prints an explanation as text (--format table) or JSON (--format json), not as a table".into(),
                ));
            }
        };
        return args.out.emit(&bytes);
    }
    let mut inputs = Vec::new();
    let mut snapshots = Vec::new();
    for (s, record) in loaded {
        snapshots.push(operators(&s, &opts));
        inputs.push(record);
    }
    inputs.extend(mapping);
    let report = EntitiesReport::new(inputs, snapshots);
    let bytes = match args.out.format() {
        Format::Table => table(&report, args.top.top_n),
        Format::Json => json(&report),
        Format::Csv => csv(&report),
        Format::Md => markdown(&report, args.top.top_n),
    };
    args.out.emit(&bytes)
}
