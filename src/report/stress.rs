//! Exporters of stress-test results: JSON (the data), terminal table and
//! Markdown (shared layout lines).

use super::escape::{markdown as md, terminal};
use super::{InputRecord, pct};
use crate::stress::scenarios::{NakamotoResult, StressOptions, StressResult};
use crate::stress::workload::Workload;
use crate::text::plural;
use serde::Serialize;
use std::fmt::Write;

/// The result of `rackaudit stress`.
#[derive(Debug, Clone, Serialize)]
pub struct StressReport {
    pub schema_version: &'static str,
    pub tool_version: &'static str,
    pub methodology_version: &'static str,
    /// SHA-256 over the inputs' locations and hashes (workload included).
    pub input_sha256: String,
    pub inputs: Vec<InputRecord>,
    pub workload: Workload,
    pub options: StressOptions,
    pub snapshots: Vec<StressResult>,
}

impl StressReport {
    pub fn new(
        inputs: Vec<InputRecord>,
        workload: Workload,
        options: StressOptions,
        snapshots: Vec<StressResult>,
    ) -> Self {
        StressReport {
            schema_version: crate::SCHEMA_VERSION,
            tool_version: crate::TOOL_VERSION,
            methodology_version: crate::METHODOLOGY_VERSION,
            input_sha256: super::inputs_sha256(&inputs),
            inputs,
            workload,
            options,
            snapshots,
        }
    }
}

/// One dimension's workload Nakamoto coefficient, in words.
fn nakamoto_text(r: &NakamotoResult) -> String {
    let because = r.reason.as_deref().unwrap_or("no reason given");
    match (r.value, r.exact, r.lower_bound) {
        (Some(v), true, _) => format!("{v} (exact)"),
        (Some(v), false, Some(lo)) => format!("{lo}–{v} (bounds)"),
        (Some(v), false, None) => format!("at most {v}"),
        (None, _, None) => format!("n/a — {because}"),
        // Counted but not reached: the reason says why.
        (None, _, Some(_)) => because.to_string(),
    }
}

/// "1 of 20 providers has", "3 of 20 providers have".
fn of_providers_have(k: usize, n: usize) -> String {
    format!(
        "{k} of {} {}",
        plural(n, "provider", "providers"),
        if k == 1 { "has" } else { "have" }
    )
}

/// Report lines; `esc` escapes untrusted text for the target format.
fn lines(r: &StressReport, esc: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = vec![format!(
        "rackaudit {} · methodology {} · workload {} ({} demanded in {}) · inputs sha256 {}",
        r.tool_version,
        r.methodology_version,
        esc(&r.workload.name),
        plural(r.workload.demanded_gpus(), "GPU", "GPUs"),
        plural(r.workload.classes.len(), "class", "classes"),
        &r.input_sha256[..16]
    )];
    for s in &r.snapshots {
        out.push(String::new());
        out.push(format!("== {} ({}) ==", esc(&s.network), esc(&s.location)));
        out.extend(snapshot_lines(s, esc));
    }
    out
}

/// The lines of one snapshot's stress result: every part it has.
pub fn snapshot_lines(s: &StressResult, esc: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(why) = &s.not_applicable {
        out.push(format!("not applicable: {}", esc(why)));
        return out;
    }
    if let Some(c) = &s.capacity {
        out.push(format!("capacity: {c}"));
    }
    if let Some(b) = &s.baseline {
        // Every class has a note: not one replica fits anywhere.
        let unservable = b.per_class.iter().all(|c| c.note.is_some());
        out.push(format!(
            "baseline: {} of demand served ({} of {}; bound {}; {}), {} eligible GPUs{}",
            pct(b.served_fraction),
            b.served_gpus,
            plural(b.demanded_gpus, "GPU", "GPUs"),
            b.upper_bound_gpus,
            if b.exact {
                "exact".to_string()
            } else {
                format!("gap {}", pct(b.gap))
            },
            of_providers_have(s.providers_with_eligible_gpus, s.providers),
            if unservable {
                ": no replica of any class fits on this network"
            } else {
                ""
            }
        ));
        for c in &b.per_class {
            let detail = match &c.note {
                Some(note) => esc(note),
                None => format!(
                    "{} can host a replica",
                    plural(c.hostable_providers, "provider", "providers")
                ),
            };
            out.push(format!(
                "  class {}: {} of {} GPUs ({}); {detail}",
                esc(&c.name),
                c.served_gpus,
                c.demanded_gpus,
                pct(c.served_fraction)
            ));
        }
    }
    if let Some(res) = &s.resilience {
        let curve = |steps: &[crate::stress::scenarios::Step]| {
            steps
                .iter()
                .map(|st| {
                    format!(
                        "k={} {}{}",
                        st.k,
                        pct(st.served_fraction),
                        if st.exact { "" } else { "*" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(format!(
            "resilience (largest by {} removed; * = not proven optimal):",
            res.by.name()
        ));
        out.push(format!("  providers: {}", curve(&res.providers)));
        out.push(format!("  operators: {}", curve(&res.operators)));
    }
    if let Some(losses) = &s.single_losses {
        for (dim, list) in losses {
            let dim = match dim.as_str() {
                "asn" => "ASN",
                "datacenter" => "data center",
                other => other,
            };
            let worst: Vec<String> = list
                .iter()
                .take(5)
                .map(|l| format!("{} {}", esc(&l.value), pct(l.served_fraction)))
                .collect();
            out.push(if worst.is_empty() {
                format!("worst single {dim} losses: n/a — {dim} unknown for every provider")
            } else {
                format!(
                    "worst single {dim} losses (served after the loss): {}",
                    worst.join(", ")
                )
            });
        }
    }
    if let Some(n) = &s.workload_nakamoto {
        let head = format!("workload Nakamoto coefficient (served < {})", pct(n.level));
        let dims = n.levels();
        let shared = dims.iter().all(|(_, d)| {
            d.value.is_none() && d.lower_bound.is_none() && d.reason == n.operators.reason
        });
        if shared {
            out.push(format!("{head}: {}", nakamoto_text(&n.operators)));
        } else {
            out.push(format!("{head}:"));
            for (name, d) in dims {
                out.push(format!("  {name}: {}", nakamoto_text(d)));
            }
        }
    }
    if let Some(m) = &s.monte_carlo {
        let without = if m.providers_without_uptime == 0 {
            "uptime known for every provider".to_string()
        } else if m.providers_without_uptime == s.providers {
            format!(
                "uptime unknown for every provider, all taken as up {} of the time",
                pct(m.default_uptime)
            )
        } else {
            format!(
                "{} without uptime taken as up {} of the time",
                plural(m.providers_without_uptime, "provider", "providers"),
                pct(m.default_uptime)
            )
        };
        out.push(format!(
            "Monte Carlo ({}, seed {}; each provider up with probability = its uptime; {without}): mean {}, p5 {}, p1 {} served",
            plural(m.trials, "trial", "trials"),
            m.seed,
            pct(m.mean),
            pct(m.p5),
            pct(m.p1)
        ));
    }
    out
}

/// Terminal text.
pub fn table(r: &StressReport) -> Vec<u8> {
    let mut out = String::new();
    for l in lines(r, &|s| terminal(s)) {
        let _ = writeln!(out, "{l}");
    }
    out.into_bytes()
}

/// Markdown.
pub fn markdown(r: &StressReport) -> Vec<u8> {
    let mut out = String::from("# rackaudit stress test\n\n");
    for l in lines(r, &|s| md(s)) {
        if let Some(title) = l.strip_prefix("== ").and_then(|t| t.strip_suffix(" ==")) {
            let _ = writeln!(out, "\n## {title}\n");
        } else if let Some(nested) = l.strip_prefix("  ") {
            let _ = writeln!(out, "  - {}", nested.trim_start());
        } else if !l.is_empty() {
            let _ = writeln!(out, "- {l}");
        }
    }
    out.into_bytes()
}

/// Served fraction per k for providers and operators, one row per step of
/// each resilience curve (`stress --format csv`, `resilience.csv`).
pub fn resilience_csv(r: &StressReport) -> Vec<u8> {
    use super::escape::csv_cell;
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "network",
        "input_sha256",
        "removed",
        "k",
        "served_fraction",
        "exact",
        "gap",
        "removed_ids",
    ]);
    for s in &r.snapshots {
        let Some(res) = &s.resilience else { continue };
        for (what, steps) in [("providers", &res.providers), ("operators", &res.operators)] {
            for st in steps {
                let _ = w.write_record([
                    csv_cell(&s.network),
                    s.input_sha256.clone(),
                    what.to_string(),
                    st.k.to_string(),
                    st.served_fraction.to_string(),
                    st.exact.to_string(),
                    st.gap.to_string(),
                    csv_cell(&st.removed.join(";")),
                ]);
            }
        }
    }
    w.into_inner().unwrap_or_default()
}
