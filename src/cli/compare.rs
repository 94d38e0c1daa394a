//! `rackaudit compare A B`: headline metrics of two snapshots side by side
//! (two networks, or one network at two dates), with deltas.
//!
//! Coalitions are compared at the same thresholds: both snapshots are
//! audited with the union of their profiles' thresholds, each taking its
//! own profile's comparison (at least / more than) for a share its profile
//! names, and one row per threshold says which comparison each side uses.
//! Every share of a known part is shown with its coverage, and each
//! coverage has a row of its own (n/a only when there is no weight at
//! all).
//!
//! Example: rackaudit compare data/cosmos/cosmoshub_validators_2019.json data/cosmos/osmosis1_valset_height471386.json

use crate::audit::{
    AuditOptions, Dimension, LOW_COVERAGE, SnapshotAudit, Weight, find_cell, weight_words,
};
use crate::error::{Error, Result};
use crate::metrics::{Holds, Labelled, Threshold};
use crate::report::escape::terminal;
use crate::report::operators::json;
use crate::supply::NetworkProfile;
use clap::Args;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// First snapshot.
    pub a: String,
    /// Second snapshot.
    pub b: String,
    /// Input format of both (detected when omitted).
    #[arg(long)]
    pub source: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
}

/// What a compared figure is, which decides how it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A whole number (entities, coalition sizes): deltas as integers.
    Count,
    /// A share in [0, 1].
    Share,
    /// A share of the part whose field is known, with its coverage.
    KnownShare,
    /// The share of the weight for which a field is known.
    Coverage,
    /// An index (HHI 0–10,000, Gini 0–1).
    Index,
}

/// The coverage a share of a known part rests on, per side.
#[derive(Debug, Clone, Serialize)]
pub struct SideCoverage {
    /// The field that must be known (`cloud`, `country`, `vendor`, `uptime`).
    pub field: &'static str,
    /// What the coverage is a share of, per side (`GPUs`, `voting stake`,
    /// `the providers`).
    pub of: [String; 2],
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// Coverage below 50%: the share describes a minority of the weight.
    pub low_a: bool,
    pub low_b: bool,
}

/// One compared figure.
#[derive(Debug, Serialize)]
pub struct Row {
    pub metric: String,
    pub kind: Kind,
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub delta: Option<f64>,
    /// Coalition rows: the threshold (as in `a.tau_thresholds` and
    /// `b.tau_thresholds`) and each side's comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<[Holds; 2]>,
    /// Shares of a known part: the coverage each rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<SideCoverage>,
}

/// One side's value of a figure.
struct Fig {
    value: Option<f64>,
    /// Coalition figures: the threshold's label and this side's comparison.
    threshold: Option<String>,
    holds: Option<Holds>,
    coverage: Option<f64>,
    of: String,
}

impl Fig {
    fn plain(value: Option<f64>) -> Self {
        Fig {
            value,
            threshold: None,
            holds: None,
            coverage: None,
            of: String::new(),
        }
    }
}

/// The thresholds both snapshots are compared at: every threshold of
/// either profile, once per share, smallest first, without a sign (so each
/// snapshot takes its own profile's comparison for a share it names).
pub fn union_thresholds(
    pa: &NetworkProfile,
    pb: &NetworkProfile,
) -> std::result::Result<Vec<Labelled<Threshold>>, String> {
    let mut all: Vec<&crate::supply::profile::Threshold> = Vec::new();
    for t in pa.thresholds.iter().chain(&pb.thresholds) {
        if !all.iter().any(|u| u.exact.same_share(&t.exact)) {
            all.push(t);
        }
    }
    all.sort_by(|x, y| {
        let ((xn, xd), (yn, yd)) = (x.exact.fraction(), y.exact.fraction());
        (u128::from(xn) * u128::from(yd)).cmp(&(u128::from(yn) * u128::from(xd)))
    });
    let labels: Vec<&str> = all.iter().map(|t| t.label.as_str()).collect();
    crate::metrics::parse_labelled(&labels.join(","), crate::metrics::parse_threshold)
}

/// Total primary weight of an audit (0 without providers or weight).
fn total_weight(s: &SnapshotAudit) -> f64 {
    find_cell(
        &s.concentration,
        Dimension::Provider,
        s.headline.primary_weight,
    )
    .map_or(0.0, |c| c.attributed_weight + c.unattributed_weight)
}

/// Every compared figure of one side, in row order: (metric, kind,
/// coverage field, value). Coalition labels are finished by [`rows`].
fn figures(s: &SnapshotAudit, tau: &[Labelled<Threshold>]) -> Vec<(String, Kind, Fig)> {
    let w = s.headline.primary_weight;
    let weighed = total_weight(s) > 0.0;
    let of_weight = weight_words(w).to_string();
    let known = |value: Option<f64>, coverage: Option<f64>, of: &str| Fig {
        coverage,
        of: of.to_string(),
        ..Fig::plain(value)
    };
    let cloud_coverage = weighed.then_some(s.cloud.coverage);
    let country_coverage = weighed.then_some(s.geography.country_coverage);
    let count = |n: usize| Fig::plain(Some(n as f64));
    let mut out = vec![
        ("providers".into(), Kind::Count, count(s.providers)),
        ("operators".into(), Kind::Count, count(s.operators)),
        (
            "unlinked providers".into(),
            Kind::Count,
            count(s.unlinked_providers),
        ),
    ];
    for dim in [
        Dimension::Provider,
        Dimension::Operator,
        Dimension::Country,
        Dimension::Cloud,
    ] {
        let c = find_cell(&s.concentration, dim, w);
        let m = |f: &dyn Fn(&crate::metrics::Summary) -> Option<f64>| {
            Fig::plain(c.and_then(|c| f(&c.metrics)))
        };
        let d = dim.name();
        out.push((
            format!("{d} Nakamoto (at least 50%)"),
            Kind::Count,
            m(&|x| x.nakamoto_coefficient.map(|n| n as f64)),
        ));
        let max_share = m(&|x| x.max_share);
        // The largest country's or cloud's share is a share of the weight
        // whose country or cloud is known: it comes with that coverage.
        let (kind, max_share) = match dim {
            Dimension::Country => (
                Kind::KnownShare,
                known(max_share.value, country_coverage, &of_weight),
            ),
            Dimension::Cloud => (
                Kind::KnownShare,
                known(max_share.value, cloud_coverage, &of_weight),
            ),
            _ => (Kind::Share, max_share),
        };
        out.push((format!("{d} max share (of known)"), kind, max_share));
        out.push((format!("{d} HHI"), Kind::Index, m(&|x| x.hhi)));
        out.push((format!("{d} Gini"), Kind::Index, m(&|x| x.gini)));
    }
    // Coalitions at the same thresholds on both sides, from the tau index.
    for (dim, noun) in [
        (Dimension::Provider, "providers"),
        (Dimension::Operator, "operators"),
    ] {
        let c = find_cell(&s.concentration, dim, w);
        for t in tau {
            let value = c
                .and_then(|c| c.metrics.tau_index.0.iter().find(|(k, _)| *k == t.label))
                .and_then(|(_, v)| *v)
                .map(|n| n as f64);
            let holds = s
                .tau_thresholds
                .iter()
                .find(|x| x.label == t.label)
                .map(|x| x.holds);
            out.push((
                format!("{noun} holding {}", t.label),
                Kind::Count,
                Fig {
                    value,
                    threshold: Some(t.label.clone()),
                    holds,
                    coverage: None,
                    of: String::new(),
                },
            ));
        }
    }
    let vendor_coverage = s.headline.nvidia_gpu_share.map(|n| n.coverage);
    let uptime_coverage = (s.providers > 0).then(|| s.uptime.as_ref().map_or(0.0, |u| u.coverage));
    // Shares of a known part are n/a (never 0) when nothing is known, and
    // carry their coverage; each coverage has its own row.
    out.extend([
        (
            "Nvidia share of GPUs (vendor known)".to_string(),
            Kind::KnownShare,
            known(
                s.headline.nvidia_gpu_share.and_then(|n| n.value),
                vendor_coverage,
                "GPUs",
            ),
        ),
        (
            "vendor coverage (share of GPUs with a known vendor)".into(),
            Kind::Coverage,
            Fig::plain(vendor_coverage),
        ),
        (
            "hyperscaler share (cloud known)".into(),
            Kind::KnownShare,
            known(s.cloud.hyperscaler_share.value, cloud_coverage, &of_weight),
        ),
        (
            "cloud coverage (share of weight with a known cloud)".into(),
            Kind::Coverage,
            Fig::plain(cloud_coverage),
        ),
        (
            "country coverage (share of weight with a known country)".into(),
            Kind::Coverage,
            Fig::plain(country_coverage),
        ),
        (
            "uptime mean (uptime known)".into(),
            Kind::KnownShare,
            known(
                s.uptime.as_ref().map(|u| u.providers.mean),
                uptime_coverage,
                "the providers",
            ),
        ),
        (
            "uptime coverage (share of providers with a known uptime)".into(),
            Kind::Coverage,
            Fig::plain(uptime_coverage),
        ),
    ]);
    out
}

/// The field a share of a known part needs, from its metric name.
fn field_of(metric: &str) -> &'static str {
    if metric.contains("vendor") || metric.starts_with("Nvidia") {
        "vendor"
    } else if metric.contains("cloud") {
        "cloud"
    } else if metric.contains("country") {
        "country"
    } else {
        "uptime"
    }
}

/// The compared rows: figures of both sides with deltas.
fn rows(a: &SnapshotAudit, b: &SnapshotAudit, tau: &[Labelled<Threshold>]) -> Vec<Row> {
    figures(a, tau)
        .into_iter()
        .zip(figures(b, tau))
        .map(|((metric, kind, x), (_, _, y))| {
            let delta = x.value.zip(y.value).map(|(x, y)| y - x);
            let mut metric = metric;
            let holds = x.holds.zip(y.holds).map(|(ha, hb)| [ha, hb]);
            if let Some([ha, hb]) = holds {
                metric = if ha == hb {
                    format!("{metric} (A {}, B {})", ha.symbol(), hb.symbol())
                } else {
                    format!(
                        "{metric} (A {}, B {}: the comparisons differ)",
                        ha.symbol(),
                        hb.symbol()
                    )
                };
            }
            let coverage = (kind == Kind::KnownShare).then(|| SideCoverage {
                field: field_of(&metric),
                of: [x.of.clone(), y.of.clone()],
                a: x.coverage,
                b: y.coverage,
                low_a: x.coverage.is_some_and(|c| c < LOW_COVERAGE),
                low_b: y.coverage.is_some_and(|c| c < LOW_COVERAGE),
            });
            Row {
                metric,
                kind,
                a: x.value,
                b: y.value,
                delta,
                threshold: x.threshold,
                holds,
                coverage,
            }
        })
        .collect()
}

/// A value as the table shows it: counts whole, the rest with up to 4
/// decimals; a share of a known part with its coverage.
fn shown(
    metric: &str,
    kind: Kind,
    v: Option<f64>,
    cov: Option<(&SideCoverage, Option<f64>, &str)>,
) -> String {
    let plain = |x: f64| match kind {
        Kind::Count => format!("{x:.0}"),
        _ => crate::report::num(x, 4),
    };
    let Some((c, coverage, of)) = cov else {
        return match (v, kind) {
            (None, Kind::Coverage) => format!("n/a ({})", no_weight(field_of(metric))),
            _ => v.map_or("n/a".into(), plain),
        };
    };
    match (v, coverage) {
        (_, None) => format!("n/a ({})", no_weight(c.field)),
        (None, Some(k)) => format!("n/a ({} known for {} of {of})", c.field, percent(k)),
        (Some(x), Some(k)) if k >= 1.0 => plain(x),
        (Some(x), Some(k)) => format!(
            "{} ({} known for {} of {of}{})",
            plain(x),
            c.field,
            percent(k),
            if k < LOW_COVERAGE {
                "; low coverage"
            } else {
                ""
            }
        ),
    }
}

/// Why a coverage is n/a: there is nothing to cover.
fn no_weight(field: &str) -> &'static str {
    if field == "vendor" {
        "no GPUs"
    } else {
        "no weight"
    }
}

/// `54.5%`, and `0%` for nothing.
fn percent(x: f64) -> String {
    if x == 0.0 {
        "0%".into()
    } else {
        crate::report::pct(x)
    }
}

fn delta(kind: Kind, d: Option<f64>) -> String {
    match (kind, d) {
        (_, None) => "n/a".into(),
        (Kind::Count, Some(d)) => format!("{d:+.0}"),
        (_, Some(d)) => format!("{d:+.4}"),
    }
}

fn read(
    path: &str,
    args: &CompareArgs,
    opts: &AuditOptions,
) -> Result<(crate::model::Snapshot, NetworkProfile)> {
    let (s, _) = crate::sources::read_path(path, args.source.as_deref())?;
    let p = opts.profile_for(&s);
    Ok((s, p))
}

pub fn run(args: CompareArgs) -> Result<()> {
    let (entities, _) = args.resolve.options()?;
    let mut opts = AuditOptions {
        entities,
        ..AuditOptions::default()
    };
    let (sa, pa) = read(&args.a, &args, &opts)?;
    let (sb, pb) = read(&args.b, &args, &opts)?;
    // Both at the same thresholds: the union of the two profiles'.
    let tau = union_thresholds(&pa, &pb).map_err(Error::Usage)?;
    opts.tau_from_profile = false;
    opts.params.tau = tau.clone();
    let (a, b) = (
        crate::pipeline::audit(&sa, &opts),
        crate::pipeline::audit(&sb, &opts),
    );
    let rows = rows(&a, &b, &tau);
    let (wa, wb) = (a.headline.primary_weight, b.headline.primary_weight);
    let bytes = if args.json {
        let side = |s: &SnapshotAudit, location: &str| {
            serde_json::json!({
                "network": s.network,
                "location": location,
                "input_sha256": s.input_sha256,
                "weight": s.headline.primary_weight,
                "profile": s.profile,
                "thresholds": s.headline.coalitions.iter().map(|c| format!("{}{}", c.holds.symbol(), c.label)).collect::<Vec<_>>(),
                "tau_thresholds": s.tau_thresholds,
            })
        };
        json(&serde_json::json!({
            "a": side(&a, &args.a),
            "b": side(&b, &args.b),
            "same_weight": wa == wb,
            "compared_thresholds": tau.iter().map(|t| t.label.clone()).collect::<Vec<_>>(),
            "low_coverage_below": LOW_COVERAGE,
            "rows": rows,
        }))
    } else {
        text(&a, &b, &rows, &tau)
    };
    crate::output::write_stdout(&bytes)
}

fn text(
    a: &SnapshotAudit,
    b: &SnapshotAudit,
    rows: &[Row],
    tau: &[Labelled<Threshold>],
) -> Vec<u8> {
    let (wa, wb) = (a.headline.primary_weight, b.headline.primary_weight);
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(vec![
        "metric".to_string(),
        terminal(&format!("A: {}", a.network)),
        terminal(&format!("B: {}", b.network)),
        "B − A".into(),
    ]);
    for r in rows {
        let side = |v: Option<f64>, i: usize| {
            shown(
                &r.metric,
                r.kind,
                v,
                r.coverage.as_ref().map(|c| {
                    let k = if i == 0 { c.a } else { c.b };
                    (c, k, c.of[i].as_str())
                }),
            )
        };
        t.add_row(vec![
            r.metric.clone(),
            side(r.a, 0),
            side(r.b, 1),
            delta(r.kind, r.delta),
        ]);
    }
    let mut s = String::new();
    let describe = |x: &SnapshotAudit| {
        let t: Vec<String> = x
            .headline
            .coalitions
            .iter()
            .map(|c| format!("{}{}", c.holds.symbol(), c.label))
            .collect();
        format!(
            "by {}, thresholds {} (profile {})",
            x.headline.primary_weight.name(),
            t.join(", "),
            x.profile
        )
    };
    let _ = writeln!(
        s,
        "A: {}\nB: {}",
        terminal(&describe(a)),
        terminal(&describe(b))
    );
    if wa != wb {
        let _ = writeln!(
            s,
            "Note: A is weighed by {} and B by {}: Nakamoto, coalition, share and coverage rows compare different weights.",
            weight_phrase(wa),
            weight_phrase(wb)
        );
    }
    if !tau.is_empty() {
        let labels: Vec<&str> = tau.iter().map(|t| t.label.as_str()).collect();
        let _ = writeln!(
            s,
            "Coalitions are compared at the same thresholds, every threshold of either profile ({}): \"≥\" counts coalitions holding at least the share, \">\" more than it; each side takes its own profile's comparison for a share its profile names, else \"≥\".",
            labels.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "Shares of a known part are shares of the weight whose field is known, shown with that coverage (\"low coverage\" below {:.0}%); n/a when nothing is known.",
        LOW_COVERAGE * 100.0
    );
    let _ = writeln!(s, "{t}");
    s.into_bytes()
}

/// "GPUs (gpus)".
fn weight_phrase(w: Weight) -> String {
    format!("{} ({})", weight_words(w), w.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_of_thresholds_is_sorted_and_unique() {
        let cosmos = NetworkProfile::bundled("cosmos").unwrap();
        let bittensor = NetworkProfile::bundled("bittensor").unwrap();
        let u = union_thresholds(&cosmos, &bittensor).unwrap();
        let labels: Vec<&str> = u.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["1/3", "1/2", "2/3"]);
    }

    #[test]
    fn counts_print_whole_and_shares_with_four_decimals() {
        assert_eq!(delta(Kind::Count, Some(12.0)), "+12");
        assert_eq!(delta(Kind::Share, Some(0.25)), "+0.2500");
        assert_eq!(delta(Kind::Coverage, None), "n/a");
    }
}
