//! `rackaudit history`: headline metrics of a network over its stored
//! snapshots, recomputed from the stored data, and per-provider uptime
//! derived from repeated observations.
//!
//! Examples:
//!   rackaudit history akash
//!   rackaudit history osmosis-1 --metric nakamoto_operators,max_operator_share --since 2026-01-01 --format csv

use super::audit::Format;
use crate::audit::AuditOptions;
use crate::error::{Error, Result};
use crate::history::{DEFAULT_METRICS, HistoryReport, METRICS, history};
use crate::report::escape::{csv_cell, markdown as md, terminal};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rackaudit history akash\n  rackaudit history osmosis-1 --metric nakamoto_operators,max_operator_share --since 2026-01-01 --format csv"
)]
pub struct HistoryArgs {
    /// Network name as stored (e.g. akash, osmosis-1, bittensor-subnet-1),
    /// or a collector name.
    pub network: String,
    /// Metrics to show (comma-separated); default: all of complete,
    /// providers, operators, gpus, nakamoto_providers, nakamoto_operators,
    /// max_operator_share, operator_hhi, nvidia_gpu_share,
    /// passing_nakamoto_operators, supply_errors.
    #[arg(long)]
    pub metric: Option<String>,
    /// Only snapshots taken on or after this date or time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Snapshot store; default: $RACKAUDIT_STORE, else the data directory's.
    #[arg(long)]
    pub store: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: HistoryArgs) -> Result<()> {
    let metrics: Vec<String> = match &args.metric {
        None => DEFAULT_METRICS.iter().map(|m| m.to_string()).collect(),
        Some(list) => list.split(',').map(|m| m.trim().to_string()).collect(),
    };
    if let Some(bad) = metrics.iter().find(|m| !METRICS.contains(&m.as_str())) {
        return Err(Error::Usage(format!(
            "--metric: `{bad}` is not one of {}",
            METRICS.join(", ")
        )));
    }
    let since = match &args.since {
        None => None,
        Some(t) => Some(crate::time::parse_datetime(t).ok_or_else(|| {
            Error::Usage(format!("--since: `{t}` is not a date such as 2026-01-01"))
        })?),
    };
    let path = super::store_path(args.store.as_deref())?;
    let store = crate::store::Store::open(&path)?;
    let mut stored = Vec::new();
    for row in store.list(Some(&args.network))? {
        let when = row
            .taken_at
            .as_deref()
            .and_then(crate::time::parse_datetime);
        if since.is_some_and(|s| when.is_none_or(|w| w < s)) {
            continue;
        }
        let s = store.snapshot(row.id)?;
        stored.push((row, s));
    }
    if stored.is_empty() {
        return Err(Error::Usage(format!(
            "store {} holds no snapshot of `{}`{}; see `rackaudit snapshots list`",
            path.display(),
            args.network,
            if since.is_some() {
                " in that period"
            } else {
                ""
            }
        )));
    }
    let report = history(&args.network, &stored, &metrics, &AuditOptions::default());
    let bytes = match args.format {
        Format::Json => crate::report::operators::json(&report),
        Format::Csv => csv(&report),
        Format::Table => text(&report, &|s| terminal(s)),
        Format::Md => text(&report, &|s| md(s)),
    };
    super::emit(args.output.as_deref(), &bytes)
}

fn value(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{x:.0}")
        } else {
            format!("{x:.4}")
        }
    })
}

fn csv(r: &HistoryReport) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["id".to_string(), "taken_at".into(), "weight".into()];
    header.extend(r.metrics.iter().cloned());
    let _ = w.write_record(&header);
    for row in &r.rows {
        let mut rec = vec![
            row.id.to_string(),
            csv_cell(row.taken_at.as_deref().unwrap_or_default()),
            row.weight.name().to_string(),
        ];
        rec.extend(r.metrics.iter().map(|m| value(row.values[m])));
        let _ = w.write_record(&rec);
    }
    w.into_inner().unwrap_or_default()
}

/// Pipe tables (terminal or Markdown, by the escaping given).
fn text(r: &HistoryReport, esc: &dyn Fn(&str) -> String) -> Vec<u8> {
    let mut out = format!(
        "history of {} · {} snapshots · rackaudit {} · methodology {}\n\n",
        esc(&r.network),
        r.rows.len(),
        r.tool_version,
        r.methodology_version
    );
    if let Some(t) = r
        .rows
        .iter()
        .find_map(|row| row.coalition_threshold.as_deref())
    {
        let _ = writeln!(
            out,
            "coalition_*: the fewest providers or operators holding {t} of the weight (the network profile's first threshold)\n"
        );
    }
    let _ = writeln!(
        out,
        "| id | taken at | weight | {} |",
        r.metrics.join(" | ")
    );
    let _ = writeln!(out, "|---|---|---|{}", "---:|".repeat(r.metrics.len()));
    for row in &r.rows {
        // An unknown is "n/a", never 0 or blank.
        let cells: Vec<String> = r
            .metrics
            .iter()
            .map(|m| row.values[m].map_or("n/a".to_string(), |v| value(Some(v))))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            row.id,
            esc(row.taken_at.as_deref().unwrap_or("?")),
            row.weight.name(),
            cells.join(" | ")
        );
    }
    let u = &r.uptime;
    let _ = writeln!(
        out,
        "\nUptime from repeated observations ({} providers over {} snapshots; a provider counts from its first appearance, absence is downtime):",
        u.providers, u.snapshots
    );
    if let Some(d) = &u.dispersion {
        let _ = writeln!(
            out,
            "mean {:.3} · std dev {:.3} · p10 {:.3} · median {:.3} · min {:.3}",
            d.mean, d.std_dev, d.p10, d.median, d.min
        );
    }
    let _ = writeln!(
        out,
        "\n| least available | observations | up | uptime |\n|---|---:|---:|---:|"
    );
    for p in u.per_provider.iter().take(10) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} |",
            esc(&p.provider),
            p.observations,
            p.up,
            p.uptime
        );
    }
    out.into_bytes()
}
