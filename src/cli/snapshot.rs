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
use crate::model::{Snapshot, Source, json};
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
    let output = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    let snapshot = match output {
        Some(path)
            if args.format == Format::Json
                && is_regular_or_new(path)
                && sources::streams_rows_only(&args.input, args.source.as_deref()) =>
        {
            match read_writing(&args.input, args.source.as_deref(), path)? {
                Streamed::Written(snapshot) => {
                    super::left_to_exit(snapshot);
                    return Ok(());
                }
                Streamed::Read(snapshot) => snapshot,
            }
        }
        _ => sources::read_path(&args.input, args.source.as_deref())?.0,
    };
    let written = match args.format {
        // Streamed: a snapshot of a million providers is a gigabyte of JSON.
        Format::Json => super::emit_with(args.output.as_deref(), &mut |w| {
            crate::model::json::write_pretty(w, &snapshot)?;
            w.write_all(JSON_END)
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

/// What follows the snapshot's JSON in its file.
const JSON_END: &[u8] = b"\n";

/// What [`read_writing`] did.
enum Streamed {
    /// The snapshot was read and its file written.
    Written(Snapshot),
    /// The snapshot was read; its file is still to be written.
    Read(Snapshot),
}

/// Whether `path` names a regular file (through any links) or nothing yet:
/// a file can be written out of order, a pipe or device cannot.
fn is_regular_or_new(path: &std::path::Path) -> bool {
    std::fs::metadata(path).map_or(true, |m| m.is_file())
}

/// Providers written at a time while the input is read: enough for every
/// core to write a few chunks.
const STREAMED_AT_ONCE: usize = 4096;

/// Reads `input` and, while a large sorted generic CSV is still being read,
/// writes its snapshot JSON to `path`: each provider once no later row can
/// change it, the head (which holds the digest of the whole input) last.
/// The disk then works while the input is read instead of after. For an
/// input that [`sources::streams_rows_only`] (the temporary file exists
/// from the start only then); one whose rows leave that order is read
/// whole and left for the caller to write, to the same bytes.
fn read_writing(input: &str, kind: Option<&str>, path: &std::path::Path) -> Result<Streamed> {
    // Everything but the digest of a generic CSV without snapshot-level
    // columns is known before it is read (such a CSV is the only input
    // streamed), and the digest's length is fixed.
    let provisional = Snapshot::new(
        "generic",
        Source {
            adapter: "csv".into(),
            location: input.to_string(),
            note: None,
        },
        "0".repeat(64),
    );
    let Ok((head, _)) = json::frame(&provisional) else {
        return Ok(Streamed::Read(sources::read_path(input, kind)?.0));
    };
    let mut outcome = None;
    let mut began = false;
    let written = crate::output::write_atomic_with_head(path, head.len(), &mut |w| {
        began = true;
        let (read, streamed) = read_streaming(input, kind, w);
        let finished = match (&read, streamed) {
            (Ok(snapshot), Ok(Some(stream))) => stream.finish(w, snapshot, head.len()),
            (Ok(_), Err(e)) => Err(e),
            _ => Ok(None),
        };
        let head = finished?;
        outcome = Some(read.map(|snapshot| match head {
            Some(_) => Streamed::Written(snapshot),
            None => Streamed::Read(snapshot),
        }));
        // Not written here: the temporary file is removed.
        head.ok_or_else(|| std::io::Error::other("not streamed"))
    });
    match (written, outcome) {
        (Ok(()), Some(streamed)) => streamed,
        // Not streamed (or the input is wrong): the file was removed.
        (Err(_), Some(read @ (Ok(Streamed::Read(_)) | Err(_)))) => read,
        // The file could not even be created: read first, as when writing
        // after reading, so that a wrong input is what is reported.
        (Err(_), None) if !began => Ok(Streamed::Read(sources::read_path(input, kind)?.0)),
        // Writing failed after the input was read.
        (Err(e), _) => Err(e),
        (Ok(()), None) => unreachable!("the file is written only after the input is read"),
    }
}

/// Providers written while the input is still being read.
#[derive(Default)]
struct Stream {
    list: json::ProviderList,
    /// Providers written so far (the first of the input).
    done: usize,
}

impl Stream {
    /// Writes the rest of `snapshot`'s providers (now read, checked and
    /// in canonical order) and the JSON's tail, and gives its head; `None`
    /// if the head would not have `head_len` bytes (nothing else is
    /// written then, and the file must be written anew).
    fn finish(
        mut self,
        w: &mut dyn std::io::Write,
        snapshot: &Snapshot,
        head_len: usize,
    ) -> std::io::Result<Option<Vec<u8>>> {
        let (head, tail) = json::frame(snapshot)?;
        if head.len() != head_len || snapshot.providers.len() < self.done {
            return Ok(None);
        }
        self.list.write(w, &snapshot.providers[self.done..])?;
        w.write_all(&tail)?;
        w.write_all(JSON_END)?;
        Ok(Some(head))
    }
}

/// Reads `input`, writing the providers of a large sorted CSV to `w` as
/// they are completed. Gives the snapshot read and what was written:
/// `None` if streaming did not apply, or why writing failed (reported only
/// if reading succeeds: an error in the input comes first).
fn read_streaming(
    input: &str,
    kind: Option<&str>,
    w: &mut dyn std::io::Write,
) -> (Result<Snapshot>, std::io::Result<Option<Stream>>) {
    let mut stream = Stream::default();
    let mut in_order = true;
    let mut failed = None;
    let mut write_completed = |completed: Option<&[crate::model::Provider]>| {
        match completed {
            // Not called again after `None`.
            Some(providers) if failed.is_none() => {
                if providers.len() - stream.done >= STREAMED_AT_ONCE {
                    if let Err(e) = stream.list.write(w, &providers[stream.done..]) {
                        failed = Some(e);
                    }
                    stream.done = providers.len();
                }
            }
            Some(_) => {}
            None => in_order = false,
        }
        Ok(())
    };
    let read = sources::read_path_with(input, kind, Some(&mut write_completed)).map(|r| r.0);
    let streamed = match failed {
        Some(e) => Err(e),
        None => Ok((in_order && stream.done > 0).then_some(stream)),
    };
    (read, streamed)
}
