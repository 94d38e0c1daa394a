//! Exporters of the operator listing (`rackaudit entities`) and of a single
//! provider's explanation (`--explain`).

use super::InputRecord;
use super::escape::{csv_cell, terminal};
use crate::audit::operators::SnapshotOperators;
use crate::entities::{Explanation, Reason};
use serde::Serialize;
use std::fmt::Write;

/// The result of `rackaudit entities`.
#[derive(Debug, Clone, Serialize)]
pub struct EntitiesReport {
    pub schema_version: &'static str,
    pub tool_version: &'static str,
    pub methodology_version: &'static str,
    pub inputs: Vec<InputRecord>,
    pub snapshots: Vec<SnapshotOperators>,
}

impl EntitiesReport {
    pub fn new(inputs: Vec<InputRecord>, snapshots: Vec<SnapshotOperators>) -> Self {
        EntitiesReport {
            schema_version: crate::SCHEMA_VERSION,
            tool_version: crate::TOOL_VERSION,
            methodology_version: crate::METHODOLOGY_VERSION,
            inputs,
            snapshots,
        }
    }
}

/// Pretty JSON with a trailing newline.
pub fn json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("reports serialize to JSON");
    out.push(b'\n');
    out
}

/// Short text of a merge reason.
pub fn reason_text(r: &Reason) -> String {
    match r {
        Reason::SharedKey {
            kind_a,
            kind_b,
            value,
        } if kind_a == kind_b => format!("same {} {value}", kind_a.name()),
        Reason::SharedKey {
            kind_a,
            kind_b,
            value,
        } => format!(
            "{} of one = {} of the other = {value}",
            kind_a.name(),
            kind_b.name()
        ),
        Reason::Mapping { operator, reason } => match reason {
            Some(why) => format!("mapping file: operator {operator} ({why})"),
            None => format!("mapping file: operator {operator}"),
        },
    }
}

fn confidence_text(c: Option<crate::entities::Confidence>) -> String {
    c.map_or("unlinked".into(), |c| crate::variant_name(&c))
}

/// One row per operator: id, label, confidence, provider count and ids,
/// weight shares, evidence.
pub fn csv(report: &EntitiesReport) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let weights: Vec<_> = {
        let mut all: Vec<_> = report
            .snapshots
            .iter()
            .flat_map(|s| s.weights.iter().copied())
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let mut header = vec![
        "network".to_string(),
        "operator_id".into(),
        "label".into(),
        "confidence".into(),
        "providers".into(),
        "provider_ids".into(),
    ];
    header.extend(weights.iter().map(|w| format!("share_{}", w.name())));
    header.push("evidence".into());
    w.write_record(&header).expect("writing to memory");
    for s in &report.snapshots {
        for o in &s.list {
            let mut row = vec![
                csv_cell(&s.network),
                csv_cell(&o.id),
                csv_cell(o.label.as_deref().unwrap_or("")),
                confidence_text(o.confidence),
                o.providers.len().to_string(),
                csv_cell(
                    &o.providers
                        .iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                ),
            ];
            row.extend(weights.iter().map(|w| {
                o.shares
                    .get(w)
                    .copied()
                    .flatten()
                    .map(|x| x.to_string())
                    .unwrap_or_default()
            }));
            let evidence: Vec<String> = o
                .evidence
                .iter()
                .map(|e| format!("{} ~ {}: {}", e.a, e.b, reason_text(&e.reason)))
                .collect();
            row.push(csv_cell(&evidence.join("; ")));
            w.write_record(&row).expect("writing to memory");
        }
    }
    w.into_inner().expect("writing to memory")
}

/// Readable listing: per snapshot, the largest operators with their shares
/// and how they were formed.
pub fn table(report: &EntitiesReport, limit: usize) -> Vec<u8> {
    listing(report, limit, false)
}

/// [`table`] as Markdown: a heading per snapshot, every cell escaped.
pub fn markdown(report: &EntitiesReport, limit: usize) -> Vec<u8> {
    listing(report, limit, true)
}

fn listing(report: &EntitiesReport, limit: usize, md: bool) -> Vec<u8> {
    let terminal = |s: &str| {
        if md {
            super::escape::markdown(s)
        } else {
            terminal(s)
        }
    };
    let mut out = String::new();
    for s in &report.snapshots {
        let r = &s.resolution;
        let tiers: Vec<String> = r
            .operators_by_confidence
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(
            out,
            "{} {} ({}){}\n{} providers → {} operators ({}); {} merges, {} refused by the mapping; {} providers unlinked",
            if md { "##" } else { "==" },
            terminal(&s.network),
            terminal(&s.location),
            if md { "\n" } else { " ==" },
            s.providers,
            s.operators,
            tiers.join(", "),
            r.merges,
            r.refused_merges,
            s.unlinked_providers
        );
        if !r.denied_domains.is_empty() {
            let denied: Vec<String> = r
                .denied_domains
                .iter()
                .map(|(d, n)| format!("{d} ({n})"))
                .collect();
            let _ = writeln!(
                out,
                "deny-listed domains not used as links: {}",
                terminal(&denied.join(", "))
            );
        }
        if !r.unmatched_mapping_ids.is_empty() {
            let _ = writeln!(
                out,
                "mapping ids not in this snapshot: {}",
                terminal(&r.unmatched_mapping_ids.join(", "))
            );
        }
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::ASCII_MARKDOWN);
        let mut header = vec![
            "operator".to_string(),
            "label".into(),
            "confidence".into(),
            "providers".into(),
        ];
        header.extend(s.weights.iter().map(|w| format!("% {}", w.name())));
        header.push("formed by".into());
        t.set_header(header);
        for o in s.list.iter().take(limit) {
            let mut row = vec![
                terminal(&o.id),
                terminal(o.label.as_deref().unwrap_or("")),
                confidence_text(o.confidence),
                o.providers.len().to_string(),
            ];
            row.extend(
                s.weights
                    .iter()
                    .map(|w| super::opt_pct(o.shares.get(w).copied().flatten())),
            );
            let mut kinds: Vec<String> =
                o.evidence.iter().map(|e| reason_kind(&e.reason)).collect();
            kinds.sort();
            kinds.dedup();
            row.push(kinds.join(", "));
            t.add_row(row);
        }
        let _ = writeln!(out, "{t}");
        if s.list.len() > limit {
            let _ = writeln!(
                out,
                "… {} more operators (use --format json or csv for all)",
                s.list.len() - limit
            );
        }
        let _ = writeln!(out);
    }
    out.into_bytes()
}

fn reason_kind(r: &Reason) -> String {
    match r {
        Reason::SharedKey { kind_b, .. } => kind_b.name().to_string(),
        Reason::Mapping { .. } => "mapping".into(),
    }
}

/// Readable explanation of why a provider sits in its operator.
pub fn explanation(e: &Explanation) -> Vec<u8> {
    let mut out = String::new();
    let _ = writeln!(out, "provider {}", terminal(&e.provider));
    let _ = writeln!(
        out,
        "operator {} ({}), {} providers, confidence {}",
        terminal(&e.operator),
        terminal(e.label.as_deref().unwrap_or("no name")),
        e.members,
        confidence_text(e.confidence)
    );
    let keys: Vec<String> = e
        .keys
        .iter()
        .map(|k| format!("{} {}", k.kind.name(), k.value))
        .collect();
    let _ = writeln!(
        out,
        "link keys used: {}",
        terminal(&if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        })
    );
    if !e.unused_keys.is_empty() {
        let unused: Vec<String> = e
            .unused_keys
            .iter()
            .map(|k| format!("{} {}", k.kind.name(), k.value))
            .collect();
        let _ = writeln!(
            out,
            "keys switched off by the options: {}",
            terminal(&unused.join(", "))
        );
    }
    if !e.denied_domains.is_empty() {
        let _ = writeln!(
            out,
            "deny-listed domains ignored: {}",
            terminal(&e.denied_domains.join(", "))
        );
    }
    if e.unlinked {
        let _ = writeln!(
            out,
            "unlinked: no key ties this provider to any other, so its operator is unknown; the audit bounds what that could mean"
        );
    } else if e.paths.is_empty() {
        let _ = writeln!(
            out,
            "sole provider of its operator, attributed by its own key"
        );
    }
    for p in &e.paths {
        let _ = writeln!(out, "→ {}", terminal(&p.member));
        for step in &p.steps {
            let _ = writeln!(
                out,
                "    {} ~ {}: {}",
                terminal(&step.from),
                terminal(&step.to),
                terminal(&reason_text(&step.reason))
            );
        }
    }
    out.into_bytes()
}
