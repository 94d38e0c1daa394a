//! Terminal exporter: readable tables per snapshot. Box drawing only when
//! writing to a terminal, colour as `--color` decides; untrusted text is stripped of control
//! sequences.

use super::escape::{pipe_cell, terminal};
use super::layout::{Grid, disclosure, grids, league, summary_lines};
use super::{AuditReport, Exporter};
use comfy_table::{CellAlignment, Table as Comfy, presets};
use std::fmt::Write;

/// Terminal tables.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// Writing to a terminal: box-drawing characters, wrapping to its width.
    pub tty: bool,
    /// ANSI bold (`--color`, `NO_COLOR`).
    pub color: bool,
}

impl Table {
    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A cell's text: terminal-safe, and off a terminal (where the table
    /// is pipe-delimited) with `|` escaped so a name cannot split a cell.
    fn cell(&self, c: &str) -> String {
        if self.tty { terminal(c) } else { pipe_cell(c) }
    }

    /// One grid as a terminal table.
    pub fn grid(&self, g: &Grid) -> Comfy {
        let mut t = Comfy::new();
        t.load_style(if self.tty {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_MARKDOWN
        });
        if self.tty {
            // Long sentences wrap to the terminal's width. A terminal that
            // reports no width (0 columns under `script`, some CI runners
            // and `docker exec -t`) would squeeze every column to one
            // letter: take $COLUMNS, else 100.
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            if t.width().is_none_or(|w| w < 20) {
                let columns = std::env::var("COLUMNS")
                    .ok()
                    .and_then(|c| c.trim().parse::<u16>().ok())
                    .filter(|c| *c >= 20)
                    .unwrap_or(100);
                t.set_width(columns);
            }
        }
        t.set_header(g.header.iter().cloned());
        for row in &g.rows {
            t.add_row(row.iter().map(|c| self.cell(c)));
        }
        for (i, numeric) in g.numeric.iter().enumerate() {
            if let (true, Some(col)) = (*numeric, t.column_mut(i)) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        t
    }
}

impl Exporter for Table {
    fn render(&self, report: &AuditReport) -> Vec<u8> {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "rackaudit {} · methodology {} · inputs sha256 {}",
            report.tool_version,
            report.methodology_version,
            &report.input_sha256[..16]
        );
        if report.snapshots.len() > 1 {
            let (g, _) = league(&report.league);
            let _ = writeln!(out, "\n{}\n{}", self.bold(&g.title), self.grid(&g));
        }
        for s in &report.snapshots {
            let when = s
                .taken_at
                .as_deref()
                .map(|t| format!(" · {t}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\n{}",
                self.bold(&terminal(&format!("== {}{when} ==", s.network)))
            );
            let card = disclosure(s);
            if !card.rows.is_empty() {
                let _ = writeln!(out, "{}\n{}", card.title, self.grid(&card));
            }
            let _ = writeln!(
                out,
                "source: {} ({}), sha256 {}",
                terminal(&s.location),
                s.adapter,
                s.input_sha256
            );
            if let Some(note) = &s.note {
                let _ = writeln!(out, "note: {}", terminal(note));
            }
            let _ = writeln!(out, "{}", self.bold(&terminal(&s.headline.summary)));
            for line in summary_lines(s) {
                let _ = writeln!(out, "{}", terminal(&line));
            }
            for g in grids(s) {
                let _ = writeln!(out, "\n{}\n{}", g.title, self.grid(&g));
            }
        }
        out.into_bytes()
    }
}
