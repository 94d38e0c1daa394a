//! `rackaudit history`: headline metrics of a network over its stored
//! snapshots, recomputed from the stored data, and per-provider uptime
//! derived from repeated observations (at least 2 snapshots).
//!
//! Every share of a known part is shown with its coverage metric beside
//! it (added when not asked for) and flagged "(low coverage)" in tables
//! below 50%. `complete` is 1/0 in JSON and CSV, yes/no in tables.
//!
//! Examples:
//!   rackaudit history akash
//!   rackaudit history osmosis-1 --metric nakamoto_operators,max_operator_share --since 2026-01-01 --format csv

use super::Format;
use crate::audit::count;
use crate::error::{Error, Result};
use crate::history::{DEFAULT_METRICS, HistoryReport, metric_help, resolve_metrics};
use crate::report::escape::{csv_cell, markdown as md, terminal};
use clap::Args;
use std::fmt::Write;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit history osmosis-1\n  rackaudit history osmosis-1 --metric nakamoto_operators,max_operator_share \\\n      --since 2019-01-01 --format csv"
)]
pub struct HistoryArgs {
    /// Network name as stored (e.g. akash, osmosis-1, bittensor-subnet-1),
    /// or a collector name.
    pub network: String,
    #[arg(long, help = metric_help(false), long_help = metric_help(true))]
    pub metric: Option<String>,
    /// Only snapshots taken on or after this date or time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Snapshot store (SQLite); default: $RACKAUDIT_STORE, else
    /// rackaudit.sqlite in the user's data directory.
    #[arg(long)]
    pub store: Option<String>,
    #[command(flatten)]
    pub out: super::OutputArgs,
    #[command(flatten)]
    pub supply: super::SupplyArgs,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
}

pub fn run(args: HistoryArgs) -> Result<()> {
    let chosen: Vec<String> = match &args.metric {
        None => DEFAULT_METRICS.iter().map(|m| m.to_string()).collect(),
        Some(list) => list
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect(),
    };
    if chosen.is_empty() {
        return Err(Error::Usage(
            "--metric: name at least one metric (see `rackaudit history --help`)".into(),
        ));
    }
    let metrics = resolve_metrics(&chosen).map_err(|e| Error::Usage(format!("--metric: {e}")))?;
    let since = match &args.since {
        None => None,
        Some(t) => Some(crate::time::parse_datetime(t).ok_or_else(|| {
            Error::Usage(format!("--since: `{t}` is not a date such as 2026-01-01"))
        })?),
    };
    // The same supply checks and operator resolution as `audit`, so a
    // history row can be made to match an audit run with these options.
    // GeoIP needs every snapshot before the run; stored snapshots carry
    // what `collect --geoip` found.
    if !args.supply.geoip.is_empty() {
        return Err(Error::Usage(
            "history: --geoip is not taken here; collect or import with it (`collect --geoip`) so the stored snapshots carry the IP facts".into(),
        ));
    }
    let setup = args.supply.options(&[])?;
    let (entities, _) = args.resolve.options()?;
    let opts = setup.audit_options(entities);
    let path = super::store_path(args.store.as_deref())?;
    let store = super::open_store(&path, false)?;
    // Listed first (metadata only), then read one at a time while the
    // history is computed: memory stays flat in the number of snapshots.
    let chosen: Vec<crate::store::StoredSnapshot> = store
        .list(Some(&args.network))?
        .into_iter()
        .filter(|row| {
            let when = row
                .taken_at
                .as_deref()
                .and_then(crate::time::parse_datetime);
            since.is_none_or(|s| when.is_some_and(|w| w >= s))
        })
        .collect();
    if chosen.is_empty() {
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
    // A reader thread decodes the next snapshots from the store while the
    // current ones are measured; the bounded channel keeps at most a few
    // in memory.
    let (sender, received) = std::sync::mpsc::sync_channel(1);
    let bar = super::term::Steps::new(chosen.len(), "history: snapshots read");
    let mut report = std::thread::scope(|scope| {
        let bar = &bar;
        scope.spawn(move || {
            for row in chosen {
                bar.done();
                let item = store.snapshot(row.id).map(|s| (row, s));
                let failed = item.is_err();
                if sender.send(item).is_err() || failed {
                    break;
                }
            }
        });
        crate::history::history(
            &args.network,
            received,
            &metrics,
            &opts,
            args.since.as_deref(),
        )
    })?;
    drop(bar);
    if args.metric.is_none() {
        report.omit_unknown_metrics();
    }
    let bytes = match args.out.format() {
        Format::Json => crate::report::operators::json(&report),
        Format::Csv => csv(&report),
        Format::Table => text(&report, &|s| terminal(s)),
        Format::Md => text(&report, &|s| md(s)),
    };
    args.out.emit(&bytes)
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

/// One table cell: n/a for an unknown (never 0 or blank), yes/no for
/// `complete`, a low-coverage share flagged.
fn cell(row: &crate::history::HistoryRow, metric: &str) -> String {
    match (metric, row.values[metric]) {
        (_, None) => "n/a".into(),
        ("complete", Some(v)) => if v > 0.0 { "yes" } else { "no" }.into(),
        (m, Some(v)) if row.low_coverage.iter().any(|l| l == m) => {
            format!("{} (low coverage)", value(Some(v)))
        }
        (_, Some(v)) => value(Some(v)),
    }
}

/// Pipe tables (terminal or Markdown, by the escaping given).
fn text(r: &HistoryReport, esc: &dyn Fn(&str) -> String) -> Vec<u8> {
    let mut out = format!(
        "history of {} · {}{} · rackaudit {} · methodology {}\n\n",
        esc(&r.network),
        count(Some(r.rows.len()), "snapshot"),
        r.since
            .as_deref()
            .map_or(String::new(), |t| format!(" since {}", esc(t))),
        r.tool_version,
        r.methodology_version
    );
    if let Some(t) = r
        .rows
        .iter()
        .find_map(|row| row.coalition_threshold.as_deref())
        .filter(|_| r.metrics.iter().any(|m| m.starts_with("coalition_")))
    {
        let _ = writeln!(
            out,
            "coalition_*: the fewest providers or operators holding {t} of the weight (the network profile's first threshold)\n"
        );
    }
    if !r.coverage_of.is_empty() {
        let pairs: Vec<String> = r
            .coverage_of
            .iter()
            .map(|(share, cov)| format!("{share} rests on {cov}"))
            .collect();
        let _ = writeln!(
            out,
            "Shares of a known part ({}): each is a share of the part whose field is known, beside its coverage (the share of the weight, or of the GPUs for the vendor, for which the field is known); \"(low coverage)\" marks a coverage below {:.0}%.\n",
            pairs.join(", "),
            r.low_coverage_below * 100.0
        );
    }
    if !r.omitted_metrics.is_empty() {
        let _ = writeln!(
            out,
            "Not shown, n/a in every snapshot: {}.\n",
            r.omitted_metrics.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "| id | taken at | weight | {} |",
        r.metrics.join(" | ")
    );
    let _ = writeln!(out, "|---|---|---|{}", "---:|".repeat(r.metrics.len()));
    for row in &r.rows {
        let cells: Vec<String> = r.metrics.iter().map(|m| cell(row, m)).collect();
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
    if let Some(why) = &u.reason {
        let _ = writeln!(
            out,
            "\nUptime from repeated observations: n/a ({}).",
            esc(why)
        );
        return out.into_bytes();
    }
    let _ = writeln!(
        out,
        "\nUptime from repeated observations ({} over {}; {}):",
        count(Some(u.providers), "provider"),
        count(Some(u.snapshots), "snapshot"),
        u.rule
    );
    if u.providers_seen_once > 0 {
        let _ = writeln!(
            out,
            "{} first listed in the latest snapshot {} left out until a later snapshot checks {}.",
            count(Some(u.providers_seen_once), "provider"),
            if u.providers_seen_once == 1 {
                "is"
            } else {
                "are"
            },
            if u.providers_seen_once == 1 {
                "it"
            } else {
                "them"
            }
        );
    }
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
