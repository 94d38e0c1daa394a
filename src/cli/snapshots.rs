//! `rackaudit snapshots`: what the snapshot store holds.
//!
//! Examples:
//!   rackaudit snapshots list
//!   rackaudit snapshots show latest:akash
//!   rackaudit snapshots export 12 -o akash.json --raw akash-raw/
//!   rackaudit snapshots import data/cosmos/*.json
//!   rackaudit snapshots check

use crate::error::{Error, Result};
use crate::report::escape::terminal;
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
    List {
        /// Only this network (or collector).
        #[arg(long)]
        network: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A stored snapshot's completeness record and archived responses.
    Show {
        /// An id, `latest` or `latest:NETWORK`.
        which: String,
    },
    /// Write a stored snapshot as snapshot JSON (and its raw archive).
    Export {
        /// An id, `latest` or `latest:NETWORK`.
        which: String,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Also write the merged document and raw responses here, named by
        /// sha256 (uncompressed, ready for `rackaudit audit`).
        #[arg(long)]
        raw: Option<PathBuf>,
    },
    /// Store offline files as snapshots (one transaction each).
    Import {
        files: Vec<String>,
        /// Input format (detected when omitted).
        #[arg(long)]
        source: Option<String>,
    },
    /// Check the store's integrity: SQLite, foreign keys, every blob's hash.
    Check,
}

pub fn run(args: SnapshotsArgs) -> Result<()> {
    let path = super::store_path(args.store.as_deref())?;
    let mut store = crate::store::Store::open(&path)?;
    match args.command {
        SnapshotsCommand::List { network, json } => {
            let rows = store.list(network.as_deref())?;
            let bytes = if json {
                crate::report::operators::json(&rows)
            } else {
                list_text(&rows).into_bytes()
            };
            crate::output::write_stdout(&bytes)
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
        SnapshotsCommand::Export { which, output, raw } => {
            let (s, record) = super::stored_input(&store, &path, &which)?;
            if let Some(dir) = raw {
                let id: i64 = record
                    .location
                    .rsplit('#')
                    .next()
                    .and_then(|i| i.parse().ok())
                    .expect("stored inputs end in #ID");
                export_raw(&store, id, &dir)?;
            }
            super::emit_with(output.as_deref(), &mut |w| {
                crate::model::json::write_pretty(w, &s)
            })
        }
        SnapshotsCommand::Import { files, source } => {
            if files.is_empty() {
                return Err(Error::Usage("give the files to import".into()));
            }
            for f in &files {
                let bytes = crate::sources::read_bytes(f)?;
                let s = crate::sources::read(
                    &crate::sources::Input {
                        location: f,
                        bytes: &bytes,
                    },
                    source.as_deref(),
                )?;
                let id = store.insert(&s, &bytes, &[])?;
                eprintln!("rackaudit snapshots: {f}: stored as snapshot {id}");
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
