//! Layout shared by the human-readable exporters: the same grids and summary
//! lines rendered as terminal tables or Markdown. Cells hold raw text; each
//! exporter escapes every cell for its own format.

use super::{known_pct, num, opt_count, opt_pct, pct};
use crate::audit::{SnapshotAudit, weight_words};

/// A table: header, which columns are numeric (right-aligned), rows.
pub struct Grid {
    pub title: String,
    pub header: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    fn new(title: impl Into<String>, columns: &[(&str, bool)]) -> Self {
        Grid {
            title: title.into(),
            header: columns.iter().map(|c| c.0.to_string()).collect(),
            numeric: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }
}

/// Every grid of a snapshot after the disclosure card, in report order
/// (empty grids left out).
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

/// The disclosure card of a snapshot (empty when it was not built).
pub fn disclosure(s: &SnapshotAudit) -> Grid {
    let mut g = Grid::new(
        format!(
            "Disclosure card (shares of {} unless a row says otherwise; verdict bands in METHODOLOGY.md)",
            weight_words(s.headline.primary_weight)
        ),
        &[
            ("item", false),
            ("verdict", false),
            ("value", false),
            ("rests on", false),
            ("in one sentence", false),
        ],
    );
    for i in s.disclosure.iter().flat_map(|d| &d.items) {
        g.rows.push(vec![
            i.title.into(),
            i.verdict.name().into(),
            i.value.clone(),
            i.coverage.clone(),
            i.sentence.clone(),
        ]);
    }
    g
}

/// The league table as a grid (see [`super::league`]); with, per row, the
/// index of its snapshot (for links).
pub fn league(rows: &[super::league::LeagueRow]) -> (Grid, Vec<usize>) {
    let mut g = Grid::new(
        format!("League table, sorted by {}", super::league::SORTED_BY),
        &[
            ("network", false),
            ("weight", false),
            ("providers at threshold", true),
            ("operators at threshold", true),
            ("max operator share", true),
            ("Nvidia share", true),
            ("hyperscaler share", true),
            ("largest country", false),
            ("served after top-3 operator loss", true),
            ("workload Nakamoto (operators)", false),
        ],
    );
    for r in rows {
        let at = |n: Option<usize>| match &r.threshold {
            Some(t) => format!("{} ({t})", opt_count(n)),
            None => "n/a".into(),
        };
        let max = match r.max_operator_share_worst_case {
            Some(w) => format!("{} (up to {})", opt_pct(r.max_operator_share), pct(w)),
            None => opt_pct(r.max_operator_share),
        };
        let nakamoto = r.workload_nakamoto.as_ref().map_or("n/a".into(), |n| {
            crate::audit::disclosure::nakamoto_text(&crate::audit::disclosure::NakamotoFigure {
                level: 0.0,
                value: n.value,
                exact: n.exact,
                lower_bound: n.lower_bound,
                upper_bound: n.upper_bound,
                reason: None,
            })
        });
        g.rows.push(vec![
            r.network.clone(),
            r.weight.name().into(),
            at(r.providers_at_threshold),
            at(r.operators_at_threshold),
            max,
            opt_pct(r.nvidia_share),
            opt_pct(r.hyperscaler_share),
            r.largest_country.as_ref().map_or("n/a".into(), |p| {
                format!("{} {}", p.country, pct(p.share_of_known))
            }),
            opt_pct(r.served_after_top3_operator_loss),
            nakamoto,
        ]);
    }
    (g, rows.iter().map(|r| r.snapshot).collect())
}

fn concentration(s: &SnapshotAudit) -> Grid {
    let taus: Vec<String> = s.tau_thresholds.iter().map(|t| t.text()).collect();
    let coalitions = format!("coalitions {}", taus.join(" · "));
    let mut g = Grid::new(
        "Concentration: metrics and shares over the weight whose entity is known; “known” is that weight's share of all, “value known” the share of GPUs with a known per-GPU figure",
        &[
            ("dimension", false),
            ("weight", false),
            ("entities", true),
            ("Nakamoto (≥50%)", true),
            (&coalitions, false),
            ("max share", true),
            ("HHI (2023 MG band)", true),
            ("Gini", true),
            ("entropy %", true),
            ("known", true),
            ("value known", true),
            ("largest", false),
        ],
    );
    for c in &s.concentration {
        let m = &c.metrics;
        let tau: Vec<String> = m.tau_index.0.iter().map(|(_, v)| opt_count(*v)).collect();
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
            tau.join(" · "),
            opt_pct(m.max_share),
            m.hhi.map_or("n/a".into(), hhi_text),
            m.gini.map_or("n/a".into(), |x| num(x, 3)),
            opt_pct(m.entropy_percentage),
            low(pct(c.coverage()), c.coverage()),
            c.value_coverage.map_or(String::new(), |v| low(pct(v), v)),
            largest,
        ]);
    }
    g
}

/// The headline on claimed, passing and observed supply.
pub fn supply_bases(su: &crate::audit::SupplySummary) -> Grid {
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
            ("Nakamoto (≥50%) prov/op", true),
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
                    "{}{}: {}/{}",
                    t.holds.symbol(),
                    t.label,
                    opt_count(t.providers),
                    opt_count(t.operators)
                )
            })
            .collect();
        g.rows.push(vec![
            kind,
            b.providers.to_string(),
            // A network that lists no GPUs has no GPU count (n/a, not 0).
            if b.gpus == 0 && b.weight != crate::audit::Weight::Gpus {
                "n/a".to_string()
            } else {
                b.gpus.to_string()
            },
            b.weight.name().into(),
            format!(
                "{}/{}",
                opt_count(b.nakamoto_providers),
                opt_count(b.nakamoto_operators)
            ),
            at.join("; "),
            opt_pct(b.max_operator_share),
            b.operator_hhi.map_or("n/a".into(), |h| num(h, 0)),
            match (&b.largest_country, b.country_coverage) {
                (Some(c), Some(cov)) if cov < 1.0 => format!(
                    "{} ({} of the {} known{})",
                    c.key,
                    pct(c.share),
                    pct(cov),
                    if cov < crate::audit::LOW_COVERAGE {
                        "; low coverage"
                    } else {
                        ""
                    }
                ),
                (Some(c), _) => format!("{} ({})", c.key, pct(c.share)),
                (None, _) => "n/a".into(),
            },
            b.note.clone(),
        ]);
    }
    g
}

/// Supply-check rules that found something.
pub fn supply_rules(su: &crate::audit::SupplySummary) -> Grid {
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
        format!(
            "Cloud and hosting exposure: shares of the {} whose cloud is known (known for {})",
            weight_words(c.weight),
            pct(c.coverage)
        ),
        &[
            ("cloud", false),
            ("category", false),
            ("share of known", true),
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
    g
}

fn countries(s: &SnapshotAudit) -> Grid {
    let geo = &s.geography;
    let mut g = Grid::new(
        format!(
            "Countries: shares of the {} whose country is known (known for {})",
            weight_words(geo.weight),
            pct(geo.country_coverage)
        ),
        &[
            ("country", false),
            ("name", false),
            ("providers", true),
            ("share of known", true),
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
    g
}

/// Asking-price dispersion per GPU model.
pub fn pricing(s: &SnapshotAudit) -> Grid {
    let mut g = Grid::new(
        "Pricing dispersion per GPU-hour: one price per provider (its GPU-weighted mean ask for the model): “priced” is the share of the model's GPUs with a price",
        &[
            ("GPU model", false),
            ("providers", true),
            ("priced", true),
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
            p.coverage.map_or("n/a".into(), pct),
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
    let active = s
        .stake
        .as_ref()
        .filter(|st| st.excluded_providers > 0)
        .map_or(String::new(), |st| {
            format!(
                " ({} in the active set, {} outside it)",
                st.active_providers, st.excluded_providers
            )
        });
    let mut lines = vec![format!(
        "providers {}{active} · operators {} ({}, each counted as its own operator)",
        s.providers,
        s.operators,
        plural(
            s.unlinked_providers,
            "provider unlinked",
            "providers unlinked"
        ),
    )];
    let r = &s.operator_resolution;
    let tiers: Vec<String> = r
        .operators_by_confidence
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    lines.push(format!(
        "operator resolution (min confidence {}): {}; {}, {} refused by the mapping",
        crate::variant_name(&r.min_confidence),
        if tiers.is_empty() {
            "no operators".to_string()
        } else {
            tiers.join(", ")
        },
        plural(r.merges, "merge", "merges"),
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
            "unlinked providers with {}: {} holding {} of it; operator Nakamoto {} (best case) to {} (worst case: all unlinked supply one operator), max share {} to {}, HHI {} to {}",
            weight_words(s.headline.primary_weight),
            b.unlinked_providers,
            pct(b.unlinked_share),
            opt_count(b.best.nakamoto_coefficient),
            opt_count(b.worst.nakamoto_coefficient),
            opt_pct(b.best.max_share),
            opt_pct(b.worst.max_share),
            b.best.hhi.map_or("n/a".into(), |h| num(h, 0)),
            b.worst.hhi.map_or("n/a".into(), |h| num(h, 0)),
        ));
    }
    lines.extend(disclosure_lines(s));
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

/// Hardware, cloud, geography, uptime and stake sentences: every share of
/// a known part says what it rests on.
fn disclosure_lines(s: &SnapshotAudit) -> Vec<String> {
    let mut lines = Vec::new();
    let w = weight_words(s.headline.primary_weight);
    match &s.hardware {
        Some(h) => {
            let offered = h.gpus_offered.map_or(String::new(), |o| {
                format!(" ({o} of them in the listed offers; the rest are on the same machines)")
            });
            let nvidia = match (h.nvidia.gpu_share.value, h.nvidia.memory_share.value) {
                (Some(g), Some(m)) if h.nvidia.gpu_share.coverage >= 1.0 => {
                    format!(
                        "Nvidia makes {} of GPUs and {} of GPU memory",
                        pct(g),
                        pct(m)
                    )
                }
                (Some(g), m) => format!(
                    "Nvidia makes {} of the GPUs whose vendor is known and {} of their memory (vendor known for {} of GPUs{})",
                    pct(g),
                    super::opt_pct(m),
                    pct(h.nvidia.gpu_share.coverage),
                    if h.nvidia.gpu_share.low_coverage {
                        "; low coverage"
                    } else {
                        ""
                    }
                ),
                (None, _) => "GPU vendor n/a (known for 0% of GPUs)".to_string(),
            };
            // Memory summed over the GPUs whose memory is known: say so
            // unless that is all of them, and n/a when it is none.
            let memory = match h.gpu_memory_gb {
                Some(gb) if h.memory_coverage >= 1.0 => format!("{} GB GPU memory", num(gb, 0)),
                Some(gb) => format!(
                    "{} GB GPU memory (memory known for {} of GPUs)",
                    num(gb, 0),
                    pct(h.memory_coverage)
                ),
                None => "GPU memory n/a (known for 0% of GPUs)".to_string(),
            };
            lines.push(format!(
                "hardware: {} GPUs{offered}, {memory} on {}; {nvidia}; FP16 figure known for {} of GPUs",
                h.gpus,
                crate::audit::count(Some(h.providers_with_gpus), "provider"),
                pct(h.fp16_coverage)
            ));
        }
        None => lines.push("hardware: not disclosed by the data (no GPUs listed)".into()),
    }
    let c = &s.cloud;
    let cats: Vec<String> = c
        .by_category
        .iter()
        .map(|(k, v)| format!("{k} {}", pct(*v)))
        .collect();
    lines.push(if c.coverage > 0.0 {
        format!(
            "cloud/hosting by {w} (shares of the {} whose cloud is known): {}; hyperscalers {}",
            pct(c.coverage),
            cats.join(", "),
            known_pct(&c.hyperscaler_share, "cloud", w)
        )
    } else {
        format!("cloud/hosting: n/a (cloud known for 0% of {w})")
    });
    if c.datacenter_share.coverage > 0.0 {
        lines.push(format!(
            "in data centers: {}",
            known_pct(&c.datacenter_share, "location type", w)
        ));
    }
    let geo = &s.geography;
    lines.push(match geo.countries.first() {
        Some(top) => format!(
            "geography by {w}: {} known, largest {}{} with {}; {} known",
            plural(geo.countries.len(), "country", "countries"),
            top.name.as_deref().unwrap_or(&top.place),
            if top.name.is_some() {
                format!(" ({})", top.place)
            } else {
                String::new()
            },
            known_pct(&geo.largest_country_share, "country", w),
            crate::audit::count(Some(geo.regions.len()), "region")
        ),
        None => format!("geography: n/a (country known for 0% of {w})"),
    });
    match &s.uptime {
        Some(u) => {
            let d = &u.providers;
            let mut line = format!(
                "uptime ({}; {} of {} providers known{}): mean {}, std dev {}, p10 {}, median {}, p90 {}",
                u.windows.join("/"),
                d.n,
                s.providers,
                if u.low_coverage { ", low coverage" } else { "" },
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
        None => lines.push("uptime: n/a (known for 0% of providers)".into()),
    }
    if let Some(unit) = &s.emission_unit
        && let Some(c) = crate::audit::find_cell(
            &s.concentration,
            crate::audit::Dimension::Provider,
            crate::audit::Weight::Emission,
        )
    {
        lines.push(format!(
            "emission: {} ({unit}) over {}",
            num(c.attributed_weight + c.unattributed_weight, 6),
            crate::audit::count(Some(c.metrics.total_entities), "provider"),
        ));
    }
    if let Some(st) = &s.stake {
        let unit = st
            .unit
            .as_deref()
            .map_or(String::new(), |u| format!(" ({u})"));
        let mut line = format!(
            "voting stake: {}{unit} on {} in the active set",
            num(st.voting_stake, 3),
            crate::audit::count(Some(st.active_providers), "provider"),
        );
        if st.excluded_providers > 0 {
            let largest: Vec<String> = st
                .excluded
                .iter()
                .take(3)
                .map(|e| {
                    format!(
                        "{} {}",
                        truncate(e.name.as_deref().unwrap_or(&e.id), 32),
                        e.stake.map_or("n/a".into(), |x| num(x, 3))
                    )
                })
                .collect();
            line.push_str(&format!(
                "; {} outside it (jailed, unbonding or unbonded) hold {}{unit} and are excluded from every voting-power figure (largest: {})",
                crate::audit::count(Some(st.excluded_providers), "provider"),
                num(st.excluded_stake, 3),
                largest.join(", ")
            ));
        }
        lines.push(line);
    }
    lines
}

/// A coverage figure, flagged when it is below half.
fn low(text: String, coverage: f64) -> String {
    if coverage < crate::audit::LOW_COVERAGE {
        format!("{text} (low)")
    } else {
        text
    }
}

/// An HHI with its band: `1810 (high)`.
pub fn hhi_text(h: f64) -> String {
    let band = match crate::metrics::concentration::hhi_band(h) {
        "highly concentrated" => "high",
        "moderately concentrated" => "moderate",
        _ => "low",
    };
    // Next to a band edge, a rounded value could read as the other band.
    let near_edge = [1_000.0, 1_800.0]
        .iter()
        .any(|e| (h - e).abs() < 0.5 && h != *e);
    format!("{} ({band})", if near_edge { num(h, 1) } else { num(h, 0) })
}

use crate::text::{plural, truncate};

#[cfg(test)]
mod tests {
    #[test]
    fn hhi_bands_show_enough_digits_at_their_edges() {
        let cases = [
            (1800.0, "1800 (moderate)"),
            (1800.18, "1800.2 (high)"),
            (1799.6, "1799.6 (moderate)"),
            (999.7, "999.7 (low)"),
            (1810.4, "1810 (high)"),
            (604.0, "604 (low)"),
        ];
        for (h, shown) in cases {
            assert_eq!(super::hhi_text(h), shown, "{h}");
        }
    }
}
