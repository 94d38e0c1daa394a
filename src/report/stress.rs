//! Exporters of stress-test results: JSON (the data), terminal table and
//! Markdown (shared layout lines).

use super::escape::{markdown as md, terminal};
use super::{InputRecord, pct};
use crate::stress::scenarios::{NakamotoResult, StressOptions, StressResult};
use crate::stress::workload::Workload;
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

fn nakamoto_text(r: &NakamotoResult) -> String {
    match (r.value, r.exact) {
        (Some(v), true) => format!("{v} (exact)"),
        (Some(v), false) => format!("{}–{v} (bounds)", r.lower_bound),
        (None, _) if r.lower_bound == 0 => "n/a (field unknown)".to_string(),
        (None, _) => format!("not reached (even losing all {} groups)", r.lower_bound),
    }
}

/// Report lines; `esc` escapes untrusted text for the target format.
fn lines(r: &StressReport, esc: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = vec![format!(
        "rackaudit {} · methodology {} · workload {} ({} GPUs demanded in {} classes) · inputs sha256 {}",
        r.tool_version,
        r.methodology_version,
        esc(&r.workload.name),
        r.workload.demanded_gpus(),
        r.workload.classes.len(),
        &r.input_sha256[..16]
    )];
    for s in &r.snapshots {
        let b = &s.baseline;
        out.push(String::new());
        out.push(format!("== {} ({}) ==", esc(&s.network), esc(&s.location)));
        out.push(format!(
            "baseline: {} of demand served ({} of {} GPUs; bound {}; {}), {} of {} providers have eligible GPUs",
            pct(b.served_fraction),
            b.served_gpus,
            b.demanded_gpus,
            b.upper_bound_gpus,
            if b.exact { "exact".to_string() } else { format!("gap {}", pct(b.gap)) },
            s.providers_with_eligible_gpus,
            s.providers
        ));
        for c in &b.per_class {
            out.push(format!(
                "  class {}: {} of {} GPUs ({})",
                esc(&c.name),
                c.served_gpus,
                c.demanded_gpus,
                pct(c.served_fraction)
            ));
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
                let worst: Vec<String> = list
                    .iter()
                    .take(5)
                    .map(|l| format!("{} {}", esc(&l.value), pct(l.served_fraction)))
                    .collect();
                if !worst.is_empty() {
                    out.push(format!("worst single {dim} losses: {}", worst.join(", ")));
                }
            }
        }
        if let Some(n) = &s.workload_nakamoto {
            out.push(format!(
                "workload Nakamoto coefficient (served < {}): operators {}, providers {}, countries {}, clouds {}",
                pct(n.level),
                nakamoto_text(&n.operators),
                nakamoto_text(&n.providers),
                nakamoto_text(&n.countries),
                nakamoto_text(&n.clouds)
            ));
        }
        if let Some(m) = &s.monte_carlo {
            out.push(format!(
                "Monte Carlo ({} trials, seed {}, uptime as availability, {} providers without uptime at {}): mean {}, p5 {}, p1 {}",
                m.trials,
                m.seed,
                m.providers_without_uptime,
                pct(m.default_uptime),
                pct(m.mean),
                pct(m.p5),
                pct(m.p1)
            ));
        }
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
        } else if !l.is_empty() {
            let _ = writeln!(out, "- {l}");
        }
    }
    out.into_bytes()
}
