//! `rackaudit snapshot`: convert any supported input into the normalized
//! snapshot JSON, to inspect what an adapter read or to archive it.
//!
//! Example: rackaudit snapshot validators.json -o osmosis.snapshot.json

use crate::error::Result;
use crate::sources;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Input file (`-` for standard input).
    pub input: String,
    /// Input format (detected from content when omitted).
    #[arg(long)]
    pub source: Option<String>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: SnapshotArgs) -> Result<()> {
    let (snapshot, _) = sources::read_path(&args.input, args.source.as_deref())?;
    let mut bytes = serde_json::to_vec_pretty(&snapshot).expect("snapshots serialize");
    bytes.push(b'\n');
    super::emit(args.output.as_deref(), &bytes)
}
