//! Layout shared by the human-readable exporters: the same grids and summary
//! lines rendered as terminal tables or Markdown. Cells hold raw text; each
//! exporter escapes every cell for its own format.

use super::{num, opt_count, opt_pct, pct};
use crate::audit::SnapshotAudit;

/// A table: header, which columns are numeric (right-aligned), rows.
pub struct Grid {
    pub title: String,
    pub header: Vec<&'static str>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    fn new(title: impl Into<String>, columns: &[(&'static str, bool)]) -> Self {
        Grid {
            title: title.into(),
            header: columns.iter().map(|c| c.0).collect(),
            numeric: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }
}

/// Every grid of a snapshot, in report order (empty grids left out).
pub fn grids(s: &SnapshotAudit) -> Vec<Grid> {
    let supply = s
        .supply
        .iter()
        .flat_map(|su| [supply_bases(su), supply_rules(su)]);
    [
        concentration(s),
        models(s),
        clouds(s),
        countries(s),
        pricing(s),
    ]
    .into_iter()
    .chain(supply)
    .filter(|g| !g.rows.is_empty())
    .collect()
}

fn concentration(s: &SnapshotAudit) -> Grid {
    let mut g = Grid::new(
        "Concentration (metrics over attributed weight)",
        &[
            ("dimension", false),
            ("weight", false),
            ("entities", true),
            ("Nakamoto", true),
            ("tau", false),
            ("max share", true),
            ("HHI", true),
            ("Gini", true),
            ("entropy %", true),
            ("unattributed", true),
            ("largest", false),
        ],
    );
    for c in &s.concentration {
        let m = &c.metrics;
        let tau: Vec<String> = m
            .tau_index
            .0
            .iter()
            .map(|(k, v)| format!("{k}:{}", opt_count(*v)))
            .collect();
        let largest = c.top.first().map_or(String::new(), |r| {
            format!(
                "{} ({})",
                truncate(r.label.as_deref().unwrap_or(&r.key), 40),
                pct(r.share)
            )
        });
        g.rows.push(vec![
            c.dimension.name().into(),
            c.weight.name().into(),
            m.total_entities.to_string(),
            opt_count(m.nakamoto_coefficient),
            tau.join(" "),
            opt_pct(m.max_share),
            m.hhi.map_or("n/a".into(), |h| num(h, 0)),
            m.gini.map_or("n/a".into(), |x| num(x, 3)),
            opt_pct(m.entropy_percentage),
            pct(c.unattributed_share),
            largest,
        ]);
    }
    g
}

/// The headline on claimed, passing and observed supply.
pub fn supply_bases(su: &crate::supply::SupplySummary) -> Grid {
    let mut g = Grid::new(
        format!(
            "Supply bases (profile {}): how much the verdict rests on trusting claims",
            su.profile
        ),
        &[
            ("basis", false),
            ("providers", true),
            ("GPUs", true),
            ("weight", false),
            ("Nakamoto prov/op", true),
            ("coalitions at profile thresholds (prov/op)", false),
            ("max operator", true),
            ("operator HHI", true),
            ("largest country", false),
            ("note", false),
        ],
    );
    for b in &su.bases {
        let kind = crate::variant_name(&b.kind);
        if !b.available {
            let mut row = vec![kind, "n/a".into()];
            row.resize(9, String::new());
            row.push(b.note.clone());
            g.rows.push(row);
            continue;
        }
        let at: Vec<String> = b
            .thresholds
            .iter()
            .map(|t| {
                format!(
                    "{}: {}/{}",
                    t.label,
                    opt_count(t.providers),
                    opt_count(t.operators)
                )
            })
            .collect();
        g.rows.push(vec![
            kind,
            b.providers.to_string(),
            b.gpus.to_string(),
            b.weight.name().into(),
            format!(
                "{}/{}",
                opt_count(b.nakamoto_providers),
                opt_count(b.nakamoto_operators)
            ),
            at.join("; "),
            opt_pct(b.max_operator_share),
            b.operator_hhi.map_or("n/a".into(), |h| num(h, 0)),
            b.largest_country
                .as_ref()
                .map_or(String::new(), |c| format!("{} ({})", c.key, pct(c.share))),
            b.note.clone(),
        ]);
    }
    g
}

/// Supply-check rules that found something.
pub fn supply_rules(su: &crate::supply::SupplySummary) -> Grid {
    let mut g = Grid::new(
        "Supply checks with findings",
        &[
            ("rule", false),
            ("severity", false),
            ("findings", true),
            ("providers", true),
            ("GPUs excluded", true),
            ("what it flags", false),
        ],
    );
    for r in su.rules.iter().filter(|r| r.findings > 0) {
        g.rows.push(vec![
            r.rule.id().into(),
            r.severity.name().into(),
            r.findings.to_string(),
            r.providers.to_string(),
            r.excluded_gpus.to_string(),
            r.description.into(),
        ]);
    }
    g
}

/// Findings, one row each.
pub fn supply_findings(findings: &[crate::supply::Finding]) -> Grid {
    let mut g = Grid::new(
        "Findings",
        &[
            ("severity", false),
            ("rule", false),
            ("provider", false),
            ("field", false),
            ("claimed", false),
            ("why", false),
        ],
    );
    for f in findings {
        g.rows.push(vec![
            f.severity.name().into(),
            f.rule.id().into(),
            truncate(&f.provider, 48),
            f.field.clone(),
            truncate(&f.claimed, 48),
            f.reason.clone(),
        ]);
    }
    g
}

fn models(s: &SnapshotAudit) -> Grid {
    let mut g = Grid::new(
        "GPU models",
        &[
            ("model", false),
            ("vendor", false),
            ("GPUs", true),
            ("share", true),
            ("catalogued", false),
        ],
    );
    let Some(h) = &s.hardware else { return g };
    for m in &h.by_model {
        let known = if m.known { "yes" } else { "NO (flagged)" };
        g.rows.push(vec![
            m.model.clone(),
            m.vendor.clone().unwrap_or_default(),
            m.gpus.to_string(),
            pct(m.gpu_share),
            known.into(),
        ]);
    }
    if h.unknown_model_gpus > 0 {
        let share = h.unknown_model_gpus as f64 / h.gpus as f64;
        g.rows.push(vec![
            "(model unknown)".into(),
            String::new(),
            h.unknown_model_gpus.to_string(),
            pct(share),
            String::new(),
        ]);
    }
    g
}

fn clouds(s: &SnapshotAudit) -> Grid {
    let c = &s.cloud;
    let mut g = Grid::new(
        format!("Cloud and hosting exposure by {}", c.weight.name()),
        &[
            ("cloud", false),
            ("category", false),
            ("share", true),
            ("declared", true),
            ("inferred from ASN", true),
        ],
    );
    for r in &c.rows {
        let category = crate::variant_name(&r.category);
        g.rows.push(vec![
            r.cloud.clone(),
            category,
            pct(r.share),
            r.providers_declared.to_string(),
            r.providers_inferred_from_asn.to_string(),
        ]);
    }
    if !g.rows.is_empty() {
        g.rows.push(vec![
            "(unknown)".into(),
            String::new(),
            pct(c.unknown_share),
            String::new(),
            String::new(),
        ]);
    }
    g
}

fn countries(s: &SnapshotAudit) -> Grid {
    let geo = &s.geography;
    let mut g = Grid::new(
        format!("Countries by {}", geo.weight.name()),
        &[
            ("country", false),
            ("name", false),
            ("providers", true),
            ("share", true),
        ],
    );
    for r in geo.countries.iter().take(15) {
        g.rows.push(vec![
            r.place.clone(),
            r.name.clone().unwrap_or_default(),
            r.providers.to_string(),
            pct(r.share),
        ]);
    }
    if !g.rows.is_empty() {
        g.rows.push(vec![
            "(unknown)".into(),
            String::new(),
            String::new(),
            pct(geo.country_unknown_share),
        ]);
    }
    g
}

/// Asking-price dispersion per GPU model.
pub fn pricing(s: &SnapshotAudit) -> Grid {
    let mut g = Grid::new(
        "Pricing dispersion (per GPU-hour)",
        &[
            ("GPU model", false),
            ("n", true),
            ("min", true),
            ("median", true),
            ("max", true),
            ("CV", true),
            ("IQR", true),
            ("currency", false),
        ],
    );
    for p in &s.pricing {
        let d = &p.per_gpu_hour;
        g.rows.push(vec![
            p.gpu_model.clone(),
            d.n.to_string(),
            num(d.min, 3),
            num(d.median, 3),
            num(d.max, 3),
            d.coefficient_of_variation
                .map_or("n/a".into(), |x| num(x, 3)),
            num(d.iqr, 3),
            p.currency.clone(),
        ]);
    }
    g
}

/// Summary sentences of a snapshot (raw text).
pub fn summary_lines(s: &SnapshotAudit) -> Vec<String> {
    let mut lines = vec![format!(
        "providers {} · operators {} ({} providers unlinked, each counted as its own operator)",
        s.providers, s.operators, s.unlinked_providers
    )];
    let r = &s.operator_resolution;
    let tiers: Vec<String> = r
        .operators_by_confidence
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    lines.push(format!(
        "operator resolution (min confidence {}): {}; {} merges, {} refused by the mapping",
        crate::variant_name(&r.min_confidence),
        tiers.join(", "),
        r.merges,
        r.refused_merges
    ));
    if let Some(b) = s
        .headline
        .operator
        .as_ref()
        .and_then(|o| o.bounds.as_ref())
        .filter(|b| b.unlinked_providers > 0)
    {
        lines.push(format!(
            "unlinked providers: {} holding {} of {}; operator Nakamoto {} (best case) to {} (worst case: all unlinked supply one operator), max share {} to {}, HHI {} to {}",
            b.unlinked_providers,
            pct(b.unlinked_share),
            s.headline.primary_weight.name(),
            opt_count(b.best.nakamoto_coefficient),
            opt_count(b.worst.nakamoto_coefficient),
            opt_pct(b.best.max_share),
            opt_pct(b.worst.max_share),
            b.best.hhi.map_or("n/a".into(), |h| num(h, 0)),
            b.worst.hhi.map_or("n/a".into(), |h| num(h, 0)),
        ));
    }
    if let Some(h) = &s.hardware {
        lines.push(format!(
            "hardware: {} GPUs, {} GB GPU memory on {} providers; Nvidia {} of GPUs, {} of GPU memory",
            h.gpus,
            num(h.gpu_memory_gb, 0),
            h.providers_with_gpus,
            pct(h.nvidia.gpu_share),
            pct(h.nvidia.memory_share)
        ));
    }
    let cats: Vec<String> = s
        .cloud
        .by_category
        .iter()
        .map(|(k, v)| format!("{k} {}", pct(*v)))
        .collect();
    lines.push(format!(
        "cloud/hosting by {}: {}unknown {}",
        s.cloud.weight.name(),
        cats.iter().map(|c| format!("{c}, ")).collect::<String>(),
        pct(s.cloud.unknown_share)
    ));
    lines.push(format!(
        "geography by {}: {} countries known, {} regions known; country unknown for {}",
        s.geography.weight.name(),
        s.geography.countries.len(),
        s.geography.regions.len(),
        pct(s.geography.country_unknown_share)
    ));
    if let Some(u) = &s.uptime {
        let d = &u.providers;
        let mut line = format!(
            "uptime ({}; n={}): mean {}, std dev {}, p10 {}, median {}, p90 {}",
            u.windows.join("/"),
            d.n,
            pct(d.mean),
            pct(d.std_dev),
            pct(d.p10),
            pct(d.median),
            pct(d.p90)
        );
        if let Some(g) = &u.gpu_weighted {
            line.push_str(&format!(
                "; GPU-weighted mean {}, std dev {}",
                pct(g.mean),
                pct(g.std_dev)
            ));
        }
        lines.push(line);
    }
    if let Some(st) = &s.stake {
        lines.push(format!(
            "stake: {} {} is voting power across {} providers; {} providers excluded (jailed or not bonded) hold {}",
            num(st.voting_stake, 3),
            st.unit.as_deref().unwrap_or(""),
            st.providers_with_stake - st.excluded_providers,
            st.excluded_providers,
            num(st.excluded_stake, 3)
        ));
    }
    let cov: Vec<String> = s
        .coverage
        .iter()
        .map(|c| format!("{} {}", c.field, pct(c.share)))
        .collect();
    lines.push(format!(
        "coverage (share of providers with the field): {}",
        cov.join(", ")
    ));
    lines
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}
