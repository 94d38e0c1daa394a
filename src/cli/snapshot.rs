//! `rackaudit snapshot`: convert any supported input into the normalized
//! snapshot JSON, to inspect what an adapter read or to archive it.
//!
//! `--format csv` writes the generic CSV instead (one row per GPU group
//! and ask, every column, the network, profile and stake unit on every
//! row), for spreadsheets or a distributed engine such as Spark or
//! DataFusion when a network outgrows one machine; read back, it gives the
//! same audit (see `sources::generic_csv::write_csv` for what changes:
//! operator keys become one declared operator).
//!
//! Examples:
//!   rackaudit snapshot validators.json -o osmosis.snapshot.json
//!   rackaudit snapshot offers.json --format csv -o offers.csv

use crate::error::Result;
use crate::sources;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit snapshot data/akash/website_aep-4_providers.json -o akash.json\n  rackaudit snapshot data/cosmos/osmosis1_valset_height471386.json --format csv"
)]
pub struct SnapshotArgs {
    /// Input file (`-` for standard input).
    pub input: String,
    /// Input format (detected from content when omitted).
    #[arg(long)]
    pub source: Option<String>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Output format: snapshot JSON, generic CSV, or Parquet (the CSV's
    /// columns typed, plus what rackaudit derived: operator_id, passing,
    /// active, cloud_resolved, gpu_vendor_resolved, gpu_model_resolved,
    /// gpu_fp16_tflops; needs a build with `--features parquet`).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

/// Output formats of `snapshot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Parquet,
}

/// The Parquet bytes of `snapshot`, or why this build cannot write them;
/// `partitioned`: without the columns a lake's directories hold.
pub(super) fn parquet(
    snapshot: &crate::model::Snapshot,
    location: &str,
    partitioned: bool,
) -> Result<Vec<u8>> {
    #[cfg(feature = "parquet")]
    {
        use crate::report::parquet::{Layout, write};
        let layout = if partitioned {
            Layout::Partitioned
        } else {
            Layout::Standalone
        };
        write(snapshot, location, layout)
    }
    #[cfg(not(feature = "parquet"))]
    {
        let _ = (snapshot, location, partitioned);
        Err(crate::Error::Usage(
            "--format parquet: this rackaudit was built without Parquet; build it with `cargo build --release --features parquet`".into(),
        ))
    }
}

pub fn run(args: SnapshotArgs) -> Result<()> {
    let (snapshot, _) = sources::read_path(&args.input, args.source.as_deref())?;
    let written = match args.format {
        // Streamed: a snapshot of a million providers is a gigabyte of JSON.
        Format::Json => super::emit_with(args.output.as_deref(), &mut |w| {
            crate::model::json::write_pretty(w, &snapshot)?;
            w.write_all(b"\n")
        }),
        Format::Csv => super::emit(
            args.output.as_deref(),
            &sources::generic_csv::write_csv(&snapshot),
        ),
        Format::Parquet => emit_parquet(&snapshot, &args.input, args.output.as_deref()),
    };
    super::left_to_exit(snapshot);
    written
}

/// Writes `snapshot` as one standalone Parquet file to `output` (`-o FILE`;
/// `-o -` is standard output), refusing to write it without `-o`.
pub(super) fn emit_parquet(
    snapshot: &crate::model::Snapshot,
    location: &str,
    output: Option<&std::path::Path>,
) -> Result<()> {
    if output.is_none() {
        return Err(crate::Error::Usage(
            "--format parquet writes a binary file: give -o FILE".into(),
        ));
    }
    super::emit(output, &parquet(snapshot, location, false)?)
}
