//! The publishable report: audit, operators and stress test of the same
//! inputs in one data structure, with its methodology, exported as JSON,
//! Markdown, self-contained HTML and CSV tables.

use super::operators::EntitiesReport;
use super::stress::StressReport;
use super::{AuditReport, Exporter, InputRecord, pct};
use crate::audit::DIMENSIONS;
use serde::Serialize;

/// Methodology facts every report carries.
#[derive(Debug, Clone, Serialize)]
pub struct Methodology {
    pub version: &'static str,
    /// Where the definitions are written down.
    pub document: &'static str,
    pub nakamoto_threshold: f64,
    /// HHI bands of the 2023 U.S. Merger Guidelines (DoJ/FTC, section 2.1):
    /// below `unconcentrated_below` unconcentrated, above
    /// `highly_concentrated_above` highly concentrated, moderately between.
    pub hhi_bands_source: &'static str,
    pub hhi_unconcentrated_below: f64,
    pub hhi_highly_concentrated_above: f64,
    pub operator_min_confidence: crate::entities::Confidence,
    pub workload: String,
}

/// Everything `rackaudit report` publishes.
#[derive(Debug, Clone, Serialize)]
pub struct FullReport {
    pub schema_version: &'static str,
    pub tool_version: &'static str,
    pub methodology_version: &'static str,
    /// When the report was made: the only field that changes between runs
    /// (set `SOURCE_DATE_EPOCH` to fix it); `verify` ignores it.
    pub generated_at: String,
    /// SHA-256 over every input (snapshots, workload, mapping file).
    pub input_sha256: String,
    pub inputs: Vec<InputRecord>,
    pub methodology: Methodology,
    pub audit: AuditReport,
    pub operators: EntitiesReport,
    pub stress: StressReport,
    /// Every other file the report wrote (path relative to its directory,
    /// sha256 and length of the bytes written), sorted by path; report.json
    /// itself is not listed. Filled by `cli::report::render`.
    pub files: Vec<crate::output::FileRecord>,
}

impl FullReport {
    pub fn new(
        audit: AuditReport,
        operators: EntitiesReport,
        stress: StressReport,
        generated_at: String,
    ) -> Self {
        let inputs = stress.inputs.clone();
        FullReport {
            schema_version: crate::SCHEMA_VERSION,
            tool_version: crate::TOOL_VERSION,
            methodology_version: crate::METHODOLOGY_VERSION,
            generated_at,
            input_sha256: super::inputs_sha256(&inputs),
            methodology: Methodology {
                version: crate::METHODOLOGY_VERSION,
                document: "METHODOLOGY.md",
                nakamoto_threshold: 0.5,
                hhi_bands_source: "2023 U.S. Merger Guidelines (DoJ and FTC), section 2.1",
                hhi_unconcentrated_below: crate::metrics::concentration::HHI_UNCONCENTRATED_BELOW,
                hhi_highly_concentrated_above:
                    crate::metrics::concentration::HHI_HIGHLY_CONCENTRATED_ABOVE,
                operator_min_confidence: audit.options.min_confidence,
                workload: stress.workload.name.clone(),
            },
            inputs,
            audit,
            operators,
            stress,
            files: Vec::new(),
        }
    }
}

/// Methodology sentences shared by the Markdown and HTML reports.
pub fn methodology_lines(r: &FullReport) -> Vec<String> {
    let o = &r.audit.options;
    let mut lines = vec![
        format!("Methodology version {} (definitions in METHODOLOGY.md of rackaudit {}); schema {}.", r.methodology_version, r.tool_version, r.schema_version),
        "Coalitions at each network profile's thresholds lead the headline: the fewest largest entities holding at least (≥) or more than (>) the share, as the profile states (CometBFT: ≥1/3 halts the chain, >2/3 commits alone). Thresholds are exact fractions.".into(),
        "Nakamoto coefficient: the fewest largest entities holding at least 50% of the weight (Edinburgh Decentralization Index); tau index the same at other thresholds.".into(),
        "Shares of a known part (clouds, countries, vendors, uptime, prices) are of the weight whose field is known, shown with that coverage, flagged below 50%, and n/a when nothing is known.".into(),
        "HHI on the 0–10,000 scale, read with the 2023 U.S. Merger Guidelines: below 1,000 unconcentrated, 1,000–1,800 moderately concentrated, above 1,800 highly concentrated. Gini: population formula. Entropies in bits.".into(),
        format!(
            "Tau thresholds {}, concentration ratios CR_{}, Rényi orders {}.",
            o.tau.as_ref().map_or("of each snapshot's network profile".to_string(), |t| t.join(", ")),
            o.top.join("/CR_"),
            o.alpha.join(", ")
        ),
        format!(
            "Operators: union-find over shared keys up to confidence “{}”; disabled key kinds: {}; {} deny-listed domains; unlinked providers bound the operator figures (best and worst case).",
            crate::variant_name(&o.min_confidence),
            if o.disabled_keys.is_empty() { "none".to_string() } else { o.disabled_keys.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ") },
            o.deny_domains.len()
        ),
        format!("Stress test: workload “{}” ({} GPUs demanded), served fraction = GPUs of placed replicas / GPUs demanded, with proven bounds.", r.stress.workload.name, r.stress.workload.demanded_gpus()),
        format!("Generated {} (the only field that changes between runs). Inputs sha256 {}.", r.generated_at, r.input_sha256),
    ];
    for s in &r.audit.snapshots {
        let cov: Vec<String> = s
            .coverage
            .iter()
            .map(|c| format!("{} {}", c.field, pct(c.share)))
            .collect();
        lines.push(format!("Coverage, {}: {}.", s.network, cov.join(", ")));
    }
    lines
}

/// Markdown: the audit, the stress test and the methodology.
pub fn markdown(r: &FullReport) -> Vec<u8> {
    let mut out = super::markdown::Markdown.render(&r.audit);
    out.extend_from_slice(b"\n");
    let stress = super::stress::markdown(&r.stress);
    out.extend_from_slice(&stress);
    out.extend_from_slice(b"\n## Methodology\n\n");
    for l in methodology_lines(r) {
        out.extend_from_slice(format!("- {}\n", super::escape::markdown(&l)).as_bytes());
    }
    out
}

/// `shares_<dimension>.csv` tables: the largest entities per snapshot and weight.
pub fn share_tables(r: &FullReport) -> Vec<(String, Vec<u8>)> {
    use super::escape::csv_cell;
    DIMENSIONS
        .iter()
        .filter_map(|&dim| {
            let mut w = ::csv::Writer::from_writer(Vec::new());
            w.write_record([
                "network",
                "input_sha256",
                "weight",
                "rank",
                "key",
                "label",
                "weight_value",
                "share",
                "unattributed_share",
            ])
            .ok()?;
            let mut any = false;
            for s in &r.audit.snapshots {
                for c in s.concentration.iter().filter(|c| c.dimension == dim) {
                    for (rank, row) in c.top.iter().enumerate() {
                        any = true;
                        w.write_record([
                            csv_cell(&s.network),
                            s.input_sha256.clone(),
                            c.weight.name().to_string(),
                            (rank + 1).to_string(),
                            csv_cell(&row.key),
                            csv_cell(row.label.as_deref().unwrap_or("")),
                            row.weight.to_string(),
                            row.share.to_string(),
                            c.unattributed_share.to_string(),
                        ])
                        .ok()?;
                    }
                }
            }
            any.then(|| {
                (
                    format!("shares_{}.csv", dim.name()),
                    w.into_inner().unwrap_or_default(),
                )
            })
        })
        .collect()
}

/// `resilience.csv`: served fraction per k for providers and operators.
pub fn resilience_table(r: &FullReport) -> Vec<u8> {
    super::stress::resilience_csv(&r.stress)
}

pub use crate::time::{generated_at, rfc3339};
