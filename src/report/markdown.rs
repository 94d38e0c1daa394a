//! Markdown exporter: a readable report for issues, wikis and papers.
//! Every cell and sentence from the data is escaped.

use super::escape::markdown as md;
use super::layout::{Grid, disclosure, grids, league, summary_lines};
use super::{AuditReport, Exporter};
use std::fmt::Write;

/// GitHub-flavoured Markdown.
pub struct Markdown;

/// One grid as a Markdown document of its own (the twin of `csv::grid`).
pub fn grid(g: &Grid) -> Vec<u8> {
    let mut out = String::new();
    table(&mut out, g);
    out.into_bytes()
}

/// Appends one grid as a Markdown table, every cell escaped.
pub fn table(out: &mut String, g: &Grid) {
    let _ = writeln!(out, "\n**{}**\n", md(&g.title));
    let _ = writeln!(out, "| {} |", g.header.join(" | "));
    let align: Vec<&str> = g
        .numeric
        .iter()
        .map(|n| if *n { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for row in &g.rows {
        let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

impl Exporter for Markdown {
    fn render(&self, report: &AuditReport) -> Vec<u8> {
        let mut out = String::new();
        let _ = writeln!(out, "# rackaudit report\n");
        let _ = writeln!(
            out,
            "Tool {} · methodology {} · schema {} · inputs sha256 `{}` (snapshots, mapping, profile)",
            report.tool_version,
            report.methodology_version,
            report.schema_version,
            report.input_sha256
        );
        let inputs = Grid {
            title: "Inputs".into(),
            header: vec!["input".into(), "adapter".into(), "sha256".into()],
            numeric: vec![false; 3],
            rows: report
                .inputs
                .iter()
                .map(|i| vec![i.location.clone(), i.adapter.clone(), i.sha256.clone()])
                .collect(),
        };
        if report.snapshots.len() > 1 {
            let (g, _) = league(&report.league);
            table(&mut out, &g);
        }
        table(&mut out, &inputs);
        for s in &report.snapshots {
            let when = s
                .taken_at
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            let _ = writeln!(out, "\n## {}\n", md(&format!("{}{when}", s.network)));
            let card = disclosure(s);
            if !card.rows.is_empty() {
                table(&mut out, &card);
                out.push('\n');
            }
            if let Some(note) = &s.note {
                let _ = writeln!(out, "> {}\n", md(note));
            }
            let _ = writeln!(out, "**{}**\n", md(&s.headline.summary));
            for line in summary_lines(s) {
                let _ = writeln!(out, "- {}", md(&line));
            }
            for g in grids(s) {
                table(&mut out, &g);
            }
        }
        let _ = writeln!(
            out,
            "\nMetric definitions: see METHODOLOGY.md of rackaudit {}.",
            report.tool_version
        );
        out.into_bytes()
    }
}
