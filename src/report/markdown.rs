//! Markdown exporter: a readable report for issues, wikis and papers.
//! Untrusted text is escaped for table cells.

use super::escape::markdown as md;
use super::{AuditReport, Exporter, num, opt_count, opt_pct, pct};
use std::fmt::Write;

/// GitHub-flavoured Markdown.
pub struct Markdown;

impl Exporter for Markdown {
    fn render(&self, report: &AuditReport) -> Vec<u8> {
        let mut out = String::new();
        let _ = writeln!(out, "# rackaudit report\n");
        let _ = writeln!(
            out,
            "Tool {} · methodology {} · schema {} · inputs sha256 `{}`\n",
            report.tool_version,
            report.methodology_version,
            report.schema_version,
            report.input_sha256
        );
        let _ = writeln!(out, "| input | adapter | sha256 |\n|---|---|---|");
        for i in &report.inputs {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` |",
                md(&i.location),
                i.adapter,
                i.sha256
            );
        }
        for s in &report.snapshots {
            let when = s
                .taken_at
                .as_deref()
                .map(|t| format!(" ({})", md(t)))
                .unwrap_or_default();
            let _ = writeln!(out, "\n## {}{when}\n", md(&s.network));
            if let Some(note) = &s.note {
                let _ = writeln!(out, "> {}\n", md(note));
            }
            let _ = writeln!(out, "**{}**\n", md(&s.headline.summary));
            let _ = writeln!(
                out,
                "{} providers, {} operators ({} providers unlinked, each counted as its own operator).\n",
                s.providers, s.operators, s.unlinked_providers
            );
            let _ = writeln!(
                out,
                "| dimension | weight | entities | Nakamoto | max share | HHI | Gini | unattributed | largest |"
            );
            let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|");
            for c in &s.concentration {
                let m = &c.metrics;
                let largest = c.top.first().map_or(String::new(), |r| {
                    format!(
                        "{} ({})",
                        md(r.label.as_deref().unwrap_or(&r.key)),
                        pct(r.share)
                    )
                });
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    c.dimension.name(),
                    c.weight.name(),
                    m.total_entities,
                    opt_count(m.nakamoto_coefficient),
                    opt_pct(m.max_share),
                    m.hhi.map_or("n/a".into(), |h| num(h, 0)),
                    m.gini.map_or("n/a".into(), |g| num(g, 3)),
                    pct(c.unattributed_share),
                    largest
                );
            }
            if let Some(h) = &s.hardware {
                let _ = writeln!(
                    out,
                    "\n**Hardware:** {} GPUs; Nvidia {} of GPUs and {} of GPU memory.\n",
                    h.gpus,
                    pct(h.nvidia.gpu_share),
                    pct(h.nvidia.memory_share)
                );
                let _ = writeln!(
                    out,
                    "| GPU model | GPUs | share | catalogued |\n|---|---:|---:|---|"
                );
                for m in &h.by_model {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        md(&m.model),
                        m.gpus,
                        pct(m.gpu_share),
                        if m.known { "yes" } else { "no (flagged)" }
                    );
                }
            }
            let cov: Vec<String> = s
                .coverage
                .iter()
                .map(|c| format!("{} {}", c.field, pct(c.share)))
                .collect();
            let _ = writeln!(out, "\n*Coverage:* {}", cov.join(", "));
        }
        let _ = writeln!(
            out,
            "\nMetric definitions: see METHODOLOGY.md of rackaudit {}.",
            report.tool_version
        );
        out.into_bytes()
    }
}
