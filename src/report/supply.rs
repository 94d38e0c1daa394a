//! The result of `rackaudit verify-supply` and its exporters: JSON (the
//! data), terminal tables, Markdown, and CSV (one row per finding).

use super::InputRecord;
use super::escape::{csv_cell, markdown as md, terminal};
use super::layout::{Grid, supply_bases, supply_findings, supply_rules};
use crate::audit::SupplySummary;
use crate::supply::Finding;
use serde::Serialize;
use std::fmt::Write;

/// Checks of one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotSupply {
    pub network: String,
    pub location: String,
    pub input_sha256: String,
    pub summary: SupplySummary,
    pub findings: Vec<Finding>,
}

/// The result of `rackaudit verify-supply`.
#[derive(Debug, Clone, Serialize)]
pub struct SupplyReport {
    pub schema_version: &'static str,
    pub tool_version: &'static str,
    pub methodology_version: &'static str,
    pub input_sha256: String,
    pub inputs: Vec<InputRecord>,
    pub rule_overrides: Vec<String>,
    pub snapshots: Vec<SnapshotSupply>,
}

impl SupplyReport {
    pub fn new(
        inputs: Vec<InputRecord>,
        rule_overrides: Vec<String>,
        snapshots: Vec<SnapshotSupply>,
    ) -> Self {
        SupplyReport {
            schema_version: crate::SCHEMA_VERSION,
            tool_version: crate::TOOL_VERSION,
            methodology_version: crate::METHODOLOGY_VERSION,
            input_sha256: super::inputs_sha256(&inputs),
            inputs,
            rule_overrides,
            snapshots,
        }
    }
}

fn grids(s: &SnapshotSupply) -> Vec<Grid> {
    [
        supply_bases(&s.summary),
        supply_rules(&s.summary),
        supply_findings(&s.findings),
    ]
    .into_iter()
    .filter(|g| !g.rows.is_empty())
    .collect()
}

fn heading(r: &SupplyReport) -> String {
    format!(
        "rackaudit {} · methodology {} · inputs sha256 {}",
        r.tool_version, r.methodology_version, r.input_sha256
    )
}

fn profile_line(s: &SnapshotSupply) -> String {
    let t: Vec<String> = s
        .summary
        .thresholds
        .iter()
        .map(|t| format!("{}{} ({})", t.holds.symbol(), t.label, t.meaning))
        .collect();
    format!(
        "profile {} from {}; thresholds: {}; {}",
        s.summary.profile,
        s.summary.profile_origin,
        t.join(", "),
        crate::text::plural(s.summary.findings, "finding", "findings")
    )
}

/// Pretty JSON with a trailing newline.
pub fn json(r: &SupplyReport) -> Vec<u8> {
    super::operators::json(r)
}

/// How one human-readable format writes a snapshot's heading and a grid.
struct Style<'a> {
    escape: &'a dyn Fn(&str) -> String,
    heading: &'a dyn Fn(&str, &str, &str, &str) -> String,
    grid: &'a dyn Fn(&mut String, &Grid),
}

fn render(r: &SupplyReport, mut out: String, style: &Style<'_>) -> Vec<u8> {
    let esc = style.escape;
    for s in &r.snapshots {
        out.push_str(&(style.heading)(
            &esc(&s.network),
            &esc(&s.location),
            &s.input_sha256,
            &esc(&profile_line(s)),
        ));
        for g in grids(s) {
            (style.grid)(&mut out, &g);
        }
    }
    out.push('\n');
    out.into_bytes()
}

/// Terminal tables.
pub fn table(r: &SupplyReport, t: super::table::Table) -> Vec<u8> {
    let style = Style {
        escape: &|s| terminal(s),
        heading: &|net, loc, sha, profile| {
            format!("\n\n== {net} ==\nsource: {loc}, sha256 {sha}\n{profile}\n")
        },
        grid: &|out, g| {
            let _ = writeln!(out, "\n{}\n{}", g.title, t.grid(g));
        },
    };
    render(r, heading(r), &style)
}

/// Markdown.
pub fn markdown(r: &SupplyReport) -> Vec<u8> {
    let style = Style {
        escape: &|s| md(s),
        heading: &|net, loc, sha, profile| {
            format!("\n## {net}\n\nSource `{loc}` (sha256 `{sha}`). {profile}\n")
        },
        grid: &|out, g| super::markdown::table(out, g),
    };
    let head = format!("# rackaudit supply verification\n\n{}\n", heading(r));
    render(r, head, &style)
}

/// CSV: one row per finding, every snapshot.
pub fn csv(r: &SupplyReport) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "network",
        "input_sha256",
        "rule",
        "severity",
        "provider",
        "gpu_group",
        "field",
        "claimed",
        "reason",
        "excluded_gpus",
    ]);
    for s in &r.snapshots {
        for f in &s.findings {
            let group = f.gpu_group.map(|g| g.to_string()).unwrap_or_default();
            let _ = w.write_record([
                csv_cell(&s.network),
                s.input_sha256.clone(),
                f.rule.id().into(),
                f.severity.name().into(),
                csv_cell(&f.provider),
                group,
                csv_cell(&f.field),
                csv_cell(&f.claimed),
                csv_cell(&f.reason),
                f.excluded_gpus.to_string(),
            ]);
        }
    }
    w.into_inner().unwrap_or_default()
}
