//! `rackaudit metrics`: numbers in, every concentration metric out (one JSON
//! object), with the conventions of the Edinburgh Decentralization Index.
//!
//! Examples:
//!   echo '[40, 30, 20, 10]' | rackaudit metrics
//!   rackaudit metrics stakes.txt --tau 0.33,0.5,0.66 --top 1,5 --alpha 0,2,inf

use crate::error::Result;
use crate::metrics::{Summary, Weights};
use crate::sources::{Input, numbers::parse_numbers, read_bytes};
use clap::Args;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  echo '[40, 30, 20, 10]' | rackaudit metrics\n  rackaudit metrics stakes.txt --tau 0.33,0.5,0.66 --top 1,5 --alpha 0,2,inf"
)]
pub struct MetricsArgs {
    /// File of non-negative numbers: a JSON array or one per line (`-` or
    /// nothing for standard input).
    pub input: Option<String>,
    #[command(flatten)]
    pub metric: super::MetricParams,
}

pub fn run(args: MetricsArgs) -> Result<()> {
    let params = args.metric.params()?;
    let location = args.input.as_deref().unwrap_or("-");
    let bytes = read_bytes(location)?;
    let text = Input {
        location,
        bytes: &bytes,
    }
    .text()?;
    let values = parse_numbers(location, text)?;
    let weights = Weights::from_vec(values).expect("parse_numbers checked every value");
    let mut out = serde_json::to_vec_pretty(&Summary::compute(&weights, &params))
        .expect("summaries serialize");
    out.push(b'\n');
    crate::output::write_stdout(&out)
}
