//! `rackaudit snapshots`: what the snapshot store holds.
//!
//! Examples:
//!   rackaudit snapshots list
//!   rackaudit snapshots show latest:akash
//!   rackaudit snapshots export 12 -o akash.json --raw-dir akash-raw/
//!   rackaudit snapshots export --all --format parquet --out-dir lake/
//!   rackaudit snapshots import data/cosmos/*.json
//!   rackaudit snapshots import akash-2026-01-02.json --taken-at 2026-01-02T00:00:00Z
//!   rackaudit snapshots list --format csv -o snapshots.csv
//!   rackaudit snapshots check
//!
//! An import is skipped, with a message on standard error and exit code 0,
//! when the store already holds a snapshot of the same bytes (same
//! sha256, whatever the file's name or `--taken-at`): one listing is one
//! observation, and counting it twice would raise every derived uptime.

use super::Format;
use crate::error::{Error, Result};
use crate::report::escape::{csv_cell, markdown, terminal};
use clap::{Args, Subcommand};
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Snapshot store (SQLite); default: $RACKAUDIT_STORE, else
    /// rackaudit.sqlite in the user's data directory.
    #[arg(long, global = true)]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: SnapshotsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SnapshotsCommand {
    /// One line per stored snapshot, oldest first.
    #[command(
        after_long_help = "Formats: table (tab-separated, the input sha256 shortened to 16 digits),\njson (every stored field), csv (`complete` as 1/0) or md; csv and md give\nthe whole sha256.\n\nExamples:\n  rackaudit snapshots list\n  rackaudit snapshots list --network osmosis-1 --format md\n  rackaudit snapshots list --format csv -o snapshots.csv"
    )]
    List {
        /// Only this network (or collector).
        #[arg(long)]
        network: Option<String>,
        #[command(flatten)]
        out: super::OutputArgs,
    },
    /// A stored snapshot's completeness record and archived responses.
    #[command(
        after_long_help = "Examples:\n  rackaudit snapshots show latest\n  rackaudit snapshots show latest:osmosis-1\n  rackaudit snapshots show 1"
    )]
    Show {
        /// An id, `latest` or `latest:NETWORK`.
        which: String,
    },
    /// Write a stored snapshot as snapshot JSON (and its raw archive), or
    /// every stored snapshot as a Hive-partitioned lake (`--all`).
    #[command(
        after_long_help = "With --all --out-dir LAKE, every stored snapshot (or every one of --network)\n\
is written to LAKE/network=NETWORK/taken_at=TIME/part-0.parquet (or snapshot.json\n\
with --format json), the directory names escaped as Hive and Spark escape them\n\
(`:` is %3A). A Parquet part holds every column of the generic CSV but network\n\
and taken_at, which its directories hold, plus the derived columns (see README,\n\
\"Scale\"); `rackaudit audit` reads a part back with its network and time.\n\
Files of the lake already there for the same network and time are replaced;\n\
nothing is replaced until every file is written. A snapshot without a time,\n\
or two of one network with the same time, is an error.\n\n\
Examples:\n  rackaudit snapshots export latest:osmosis-1 -o osmosis.json\n  \
rackaudit snapshots export 1 -o first.json --raw-dir first-raw/\n  \
rackaudit snapshots export --all --network osmosis-1 --format parquet \\\n      --out-dir lake/"
    )]
    Export {
        /// An id, `latest` or `latest:NETWORK` (not with --all).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        which: Option<String>,
        /// Every stored snapshot (or every one of --network), as a lake in
        /// --out-dir.
        #[arg(long, requires = "out_dir")]
        all: bool,
        /// With --all: only this network.
        #[arg(long, requires = "all")]
        network: Option<String>,
        /// Data format: json (snapshot JSON) or parquet (needs the cargo
        /// feature `parquet`).
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(long, short, value_name = "FILE", conflicts_with = "all")]
        output: Option<PathBuf>,
        /// With --all: the lake's directory (created when missing).
        #[arg(long, value_name = "LAKE", requires = "all")]
        out_dir: Option<PathBuf>,
        /// Also write the merged document and raw responses into this
        /// directory, named by sha256 (uncompressed, ready for `rackaudit
        /// audit`).
        #[arg(long, alias = "raw", value_name = "DIR", conflicts_with = "all")]
        raw_dir: Option<PathBuf>,
    },
    /// Store offline files as snapshots (one transaction each); a file
    /// already stored (same sha256) is skipped.
    #[command(
        after_long_help = "A file whose bytes the store already holds (same sha256 as the input or \
document of a stored snapshot, or a snapshot JSON recording that input sha256) is skipped: \
a message on standard error names the stored snapshot, nothing is written, and the exit \
code stays 0. This holds whatever the file is called and whatever --taken-at says: the \
same listing is one observation, and storing it twice would count it twice in the uptime \
`rackaudit history` derives.\n\nExamples:\n  rackaudit snapshots import data/cosmos/*.json\n  \
rackaudit snapshots import --taken-at 2023-06-01T00:00:00Z \\\n      \
data/akash/community_gpu_testnet_2023.generic.csv"
    )]
    Import {
        /// Snapshot files to store, in any supported format (`-` for
        /// standard input), each as its own snapshot, in the order given.
        #[arg(value_name = "FILES")]
        files: Vec<String>,
        /// Input format of all of them (detected from content when
        /// omitted): snapshot, csv, bittensor-snapshot, bittensor-metagraph,
        /// bittensor-subnets, cosmos, akash-console, akash-chain, akash-aep4,
        /// vastai.
        #[arg(long)]
        source: Option<String>,
        /// When the data was taken (RFC 3339, e.g. 2026-01-02T03:04:05Z or
        /// 2026-01-02), for every file imported; replaces what a file
        /// records itself (a block height, a header time). Without it, the
        /// file's own date if it has one, else none.
        #[arg(long, value_name = "RFC3339")]
        taken_at: Option<String>,
    },
    /// Check the store's integrity: SQLite, foreign keys, every blob's hash.
    #[command(
        after_long_help = "Exit codes: 0 the store is sound; 1 a problem was found (each named);\n2 the store cannot be opened.\n\nExamples:\n  rackaudit snapshots check\n  rackaudit snapshots --store store.sqlite check"
    )]
    Check,
}

pub fn run(args: SnapshotsArgs) -> Result<()> {
    let path = super::store_path(args.store.as_deref())?;
    let creates = matches!(args.command, SnapshotsCommand::Import { .. });
    let mut store = super::open_store(&path, creates)?;
    match args.command {
        SnapshotsCommand::List { network, out } => {
            let rows = store.list(network.as_deref())?;
            let bytes = match out.format() {
                Format::Json => crate::report::operators::json(&rows),
                Format::Table => list_text(&rows).into_bytes(),
                Format::Csv => list_csv(&rows),
                Format::Md => list_md(&rows).into_bytes(),
            };
            out.emit(&bytes)
        }
        SnapshotsCommand::Show { which } => {
            let (s, record) = super::stored_input(&store, &path, &which)?;
            let id = record.location.rsplit('#').next().unwrap_or_default();
            let mut out = format!(
                "snapshot {id}: {} · {} providers · taken {} · input sha256 {}\n",
                terminal(&s.network),
                s.providers.len(),
                s.taken_at.as_deref().unwrap_or("?"),
                s.input_sha256
            );
            match &s.collection {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "collected by {} from {} between {} and {}: {}, {} pages, {} items received{}, {} duplicates dropped",
                        c.collector,
                        terminal(&c.endpoint),
                        c.started_at,
                        c.finished_at,
                        if c.complete { "complete" } else { "INCOMPLETE" },
                        c.pages_fetched,
                        c.items_received,
                        c.items_expected
                            .map(|e| format!(" of {e} expected"))
                            .unwrap_or_default(),
                        c.duplicates_dropped
                    );
                    for e in &c.errors {
                        let _ = writeln!(out, "  problem: {}", terminal(e));
                    }
                    for r in &c.responses {
                        let _ = writeln!(
                            out,
                            "  {} {} sha256 {}",
                            r.status,
                            terminal(&r.url),
                            r.sha256
                        );
                    }
                }
                None => {
                    let _ = writeln!(out, "imported from {}", terminal(&s.source.location));
                }
            }
            crate::output::write_stdout(out.as_bytes())
        }
        SnapshotsCommand::Export {
            which,
            all,
            network,
            format,
            output,
            out_dir,
            raw_dir,
        } => {
            if all {
                let dir = out_dir.expect("clap requires --out-dir with --all");
                return export_lake(&store, network.as_deref(), format, &dir);
            }
            let which = which.expect("clap requires WHICH without --all");
            let (s, record) = super::stored_input(&store, &path, &which)?;
            if let Some(dir) = raw_dir {
                let id: i64 = record
                    .location
                    .rsplit('#')
                    .next()
                    .and_then(|i| i.parse().ok())
                    .expect("stored inputs end in #ID");
                export_raw(&store, id, &dir)?;
            }
            match format {
                ExportFormat::Json => super::emit_with(output.as_deref(), &mut |w| {
                    crate::model::json::write_pretty(w, &s)
                }),
                ExportFormat::Parquet => {
                    super::snapshot::emit_parquet(&s, &record.location, output.as_deref())
                }
            }
        }
        SnapshotsCommand::Import {
            files,
            source,
            taken_at,
        } => {
            if files.is_empty() {
                return Err(Error::Usage("give the files to import".into()));
            }
            let taken_at = taken_at.as_deref().map(normalized_taken_at).transpose()?;
            if let Some(kind) = &source {
                crate::sources::adapter_named(kind)?;
            }
            for f in &files {
                import(&mut store, f, source.as_deref(), taken_at.as_deref())?;
            }
            Ok(())
        }
        SnapshotsCommand::Check => {
            let mut problems = store.check()?;
            for row in store.list(None)? {
                if let Err(e) = store.snapshot(row.id) {
                    problems.push(e.to_string());
                }
                if let Err(e) = store.blob(&row.document_sha256) {
                    problems.push(e.to_string());
                }
                for (_, _, sha) in store.responses(row.id)? {
                    if let Err(e) = store.blob(&sha) {
                        problems.push(e.to_string());
                    }
                }
            }
            if problems.is_empty() {
                println!("store {}: ok", path.display());
                Ok(())
            } else {
                Err(Error::Failed(format!(
                    "store {}: {}",
                    path.display(),
                    problems.join("; ")
                )))
            }
        }
    }
}

/// Data formats of `snapshots export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Parquet,
}

/// Writes every stored snapshot (of `network`) into a Hive-partitioned
/// lake: `dir/network=…/taken_at=…/part-0.parquet` (or `snapshot.json`).
/// Snapshots are read and encoded one at a time; every file is staged
/// before any is renamed into place.
fn export_lake(
    store: &crate::store::Store,
    network: Option<&str>,
    format: ExportFormat,
    dir: &std::path::Path,
) -> Result<()> {
    use crate::sources::hive::partition_dir;
    let rows = store.list(network)?;
    if rows.is_empty() {
        return Err(Error::Usage(format!(
            "the store holds no snapshot{}; see `rackaudit snapshots list`",
            network.map(|n| format!(" of `{n}`")).unwrap_or_default()
        )));
    }
    // Two snapshots in one partition would be measured as one.
    let mut seen: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for row in &rows {
        let Some(taken_at) = &row.taken_at else {
            return Err(Error::Usage(format!(
                "snapshot {} ({}) has no time, and a lake partition is named by it; re-import its file with --taken-at",
                row.id,
                terminal(&row.network)
            )));
        };
        if let Some(first) = seen.insert((row.network.clone(), taken_at.clone()), row.id) {
            return Err(Error::Usage(format!(
                "snapshots {first} and {} are both of {} taken at {taken_at}: one lake partition cannot hold two snapshots; export them with --network or separately",
                row.id,
                terminal(&row.network)
            )));
        }
    }
    let file = match format {
        ExportFormat::Json => "snapshot.json",
        ExportFormat::Parquet => "part-0.parquet",
    };
    let bar = super::term::Steps::new(rows.len(), "snapshots export: snapshots written");
    let mut staged = crate::output::StagedFiles::default();
    // Directories this export made: removed again when it fails (only
    // while empty), so a refused export leaves the lake as it was.
    let mut created: Vec<std::path::PathBuf> = Vec::new();
    let mut write_all = || -> Result<()> {
        for row in &rows {
            let s = store.snapshot(row.id)?;
            let taken_at = row.taken_at.as_deref().unwrap_or_default();
            let partition = dir.join(partition_dir(&row.network, taken_at));
            let path = partition.join(file);
            let bytes = match format {
                ExportFormat::Json => {
                    let mut out = Vec::new();
                    crate::model::json::write_pretty(&mut out, &s).map_err(|e| Error::Io {
                        path: path.display().to_string(),
                        action: "cannot encode",
                        source: e,
                    })?;
                    out
                }
                ExportFormat::Parquet => {
                    super::snapshot::parquet(&s, &path.display().to_string(), true)?
                }
            };
            create_dirs(&partition, &mut created)?;
            staged.add(&path, &bytes)?;
            bar.done();
        }
        Ok(())
    };
    if let Err(e) = write_all() {
        drop(staged);
        for d in created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
        return Err(e);
    }
    staged.commit()?;
    super::term::note(
        "snapshots",
        &format!(
            "wrote {} snapshot{} to {}",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            terminal(&dir.display().to_string())
        ),
    );
    Ok(())
}

/// Creates `dir` and its missing parents, recording each one made.
fn create_dirs(dir: &std::path::Path, created: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let missing: Vec<&std::path::Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    for d in missing.into_iter().rev() {
        std::fs::create_dir(d).map_err(|e| Error::Io {
            path: d.display().to_string(),
            action: "cannot create directory",
            source: e,
        })?;
        created.push(d.to_path_buf());
    }
    Ok(())
}

/// Stores one file unless the store already holds its input.
fn import(
    store: &mut crate::store::Store,
    file: &str,
    source: Option<&str>,
    taken_at: Option<&str>,
) -> Result<()> {
    let bytes = crate::sources::read_bytes(file)?;
    let sha = crate::sources::sha256_hex(&bytes);
    let skipped = |id: i64, what: &str, sha: &str| {
        super::term::note(
            "snapshots",
            &format!(
                "skipped {}: already stored as snapshot {id} (same {what} {}…)",
                terminal(file),
                &sha[..sha.len().min(16)]
            ),
        );
    };
    if let Some(id) = store.find_input(&sha)? {
        skipped(id, "sha256", &sha);
        return Ok(());
    }
    let mut s = crate::sources::read(
        &crate::sources::Input {
            location: file,
            bytes: &bytes,
        },
        source,
    )?;
    // A snapshot JSON records the sha256 of the input it was read from.
    if s.input_sha256 != sha
        && let Some(id) = store.find_input(&s.input_sha256)?
    {
        skipped(id, "input sha256", &s.input_sha256);
        return Ok(());
    }
    if let Some(t) = taken_at {
        if let Some(own) = s.taken_at.as_deref().filter(|own| *own != t) {
            super::term::warn(
                "snapshots",
                &format!(
                    "{}: the file says it was taken at {}; --taken-at {t} replaces that",
                    terminal(file),
                    terminal(own)
                ),
            );
        }
        s.taken_at = Some(t.to_string());
    }
    let id = store.insert(&s, &bytes, &[])?;
    super::term::note(
        "snapshots",
        &format!("{}: stored as snapshot {id}", terminal(file)),
    );
    Ok(())
}

/// `--taken-at`, checked and written as a full RFC 3339 date-time (a bare
/// date is midnight UTC), so every stored `taken_at` has one shape; a time
/// in the future is a warning (a typo, or a clock that is wrong).
fn normalized_taken_at(t: &str) -> Result<String> {
    crate::time::check_rfc3339(t).map_err(|e| Error::Usage(format!("--taken-at: {e}")))?;
    let t = t.trim();
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if crate::time::parse_datetime(&full).is_some_and(|at| at > now) {
        super::term::warn("snapshots", &format!("--taken-at {full} is in the future"));
    }
    Ok(full)
}

/// The list's columns, in every format.
const LIST_COLUMNS: [&str; 7] = [
    "id",
    "network",
    "collector",
    "taken_at",
    "complete",
    "providers",
    "input_sha256",
];

fn list_csv(rows: &[crate::store::StoredSnapshot]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(LIST_COLUMNS);
    for r in rows {
        let _ = w.write_record([
            r.id.to_string(),
            csv_cell(&r.network),
            csv_cell(&r.collector),
            csv_cell(r.taken_at.as_deref().unwrap_or_default()),
            if r.complete { "1" } else { "0" }.into(),
            r.providers.to_string(),
            r.input_sha256.clone(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

fn list_md(rows: &[crate::store::StoredSnapshot]) -> String {
    let mut out = format!(
        "| {} |\n|---:|---|---|---|---|---:|---|\n",
        LIST_COLUMNS.join(" | ")
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            markdown(&r.network),
            markdown(&r.collector),
            r.taken_at.as_deref().map(markdown).unwrap_or_default(),
            if r.complete { "yes" } else { "NO" },
            r.providers,
            markdown(&r.input_sha256)
        );
    }
    out
}

fn list_text(rows: &[crate::store::StoredSnapshot]) -> String {
    let mut out =
        String::from("id\tnetwork\tcollector\ttaken_at\tcomplete\tproviders\tinput_sha256\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            terminal(&r.network),
            terminal(&r.collector),
            r.taken_at.as_deref().map(terminal).unwrap_or_default(),
            if r.complete { "yes" } else { "NO" },
            r.providers,
            &r.input_sha256[..r.input_sha256.len().min(16)]
        );
    }
    out
}

fn export_raw(store: &crate::store::Store, id: i64, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.display().to_string(),
        action: "cannot create directory",
        source: e,
    })?;
    let row = store
        .list(None)?
        .into_iter()
        .find(|r| r.id == id)
        .expect("resolved ids exist");
    let shas = std::iter::once(row.document_sha256)
        .chain(store.responses(id)?.into_iter().map(|(_, _, sha)| sha));
    for sha in shas {
        let body = store.blob(&sha)?;
        crate::output::write_atomic(&dir.join(format!("{sha}.json")), &body)?;
    }
    Ok(())
}
