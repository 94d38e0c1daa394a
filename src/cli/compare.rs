//! `rackaudit compare A B [C …]`: headline metrics of two or more
//! snapshots side by side (several networks, or one network at several
//! dates), with each one's delta against the first.
//!
//! Coalitions are compared at the same thresholds: every snapshot is
//! audited with the union of their profiles' thresholds, each taking its
//! own profile's comparison (at least / more than) for a share its profile
//! names, and one row per threshold says which comparison each side uses.
//! Every share of a known part is shown with its coverage, and each
//! coverage has a row of its own (n/a only when there is no weight at
//! all). Rows measured on a weight (shares, HHI, Gini, Nakamoto,
//! coalitions, coverages) are not comparable between snapshots weighed
//! differently (GPUs against voting stake): their deltas are left out and
//! the rows say so.
//!
//! Example: rackaudit compare data/cosmos/cosmoshub_validators_2019.json data/cosmos/osmosis1_valset_height471386.json

use super::Format;
use crate::audit::{Dimension, LOW_COVERAGE, SnapshotAudit, Weight, find_cell, weight_words};
use crate::error::{Error, Result};
use crate::metrics::{Holds, Labelled, Threshold};
use crate::report::escape::pipe_cell;
use crate::report::operators::json;
use crate::supply::NetworkProfile;
use clap::Args;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit compare data/cosmos/cosmoshub_validators_2019.json \\\n      data/cosmos/osmosis1_valset_height471386.json\n  rackaudit compare data/cosmos/cosmoshub_validators_2019.json \\\n      --snapshot latest:osmosis-1 --format csv -o compared.csv"
)]
pub struct CompareArgs {
    /// Snapshots to compare, files and `--snapshot`s together two or more;
    /// deltas are against the first (files first, then stored snapshots).
    #[command(flatten)]
    pub input: super::InputArgs,
    #[command(flatten)]
    pub out: super::OutputArgs,
    #[command(flatten)]
    pub supply: super::SupplyArgs,
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
    pub of: Vec<String>,
    pub values: Vec<Option<f64>>,
    /// Coverage below 50%: the share describes a minority of the weight.
    pub low: Vec<bool>,
}

/// One compared figure.
#[derive(Debug, Serialize)]
pub struct Row {
    pub metric: String,
    pub kind: Kind,
    /// One value per snapshot, in input order.
    pub values: Vec<Option<f64>>,
    /// Each value minus the first one's (the first is 0 when known); null
    /// when either is n/a or the row is not comparable.
    pub deltas: Vec<Option<f64>>,
    /// False when the row is measured on a weight and some snapshot is
    /// weighed differently from the first (its value is shown, its delta
    /// null).
    pub comparable: bool,
    /// Per side: whether its delta is taken (false: weighed differently
    /// from the first).
    #[serde(skip)]
    pub subtracted: Vec<bool>,
    /// Coalition rows: the threshold (as in each snapshot's
    /// `tau_thresholds`) and each side's comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<Vec<Holds>>,
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
    profiles: &[NetworkProfile],
) -> std::result::Result<Vec<Labelled<Threshold>>, String> {
    let mut all: Vec<&crate::supply::profile::Threshold> = Vec::new();
    for t in profiles.iter().flat_map(|p| &p.thresholds) {
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

/// Side names: A, B, C, …, then S27, S28, … past Z.
pub fn side_name(i: usize) -> String {
    match u8::try_from(i) {
        Ok(i) if i < 26 => char::from(b'A' + i).to_string(),
        _ => format!("S{}", i + 1),
    }
}

/// Whether a row's value depends on the weight (everything but the
/// provider and operator counts).
fn weighed(metric: &str) -> bool {
    !matches!(metric, "providers" | "operators" | "unlinked providers")
}

/// The compared rows: the figures of every side with deltas against the
/// first.
fn rows(audits: &[SnapshotAudit], tau: &[Labelled<Threshold>]) -> Vec<Row> {
    let figs: Vec<Vec<(String, Kind, Fig)>> = audits.iter().map(|a| figures(a, tau)).collect();
    let first = audits[0].headline.primary_weight;
    (0..figs[0].len())
        .map(|i| {
            let (metric, kind, _) = &figs[0][i];
            let sides: Vec<&Fig> = figs.iter().map(|f| &f[i].2).collect();
            let values: Vec<Option<f64>> = sides.iter().map(|f| f.value).collect();
            // A side is subtracted from the first when the row does not
            // depend on the weight or both are weighed alike.
            let subtracted: Vec<bool> = audits
                .iter()
                .map(|a| !weighed(metric) || a.headline.primary_weight == first)
                .collect();
            let deltas = values
                .iter()
                .zip(&subtracted)
                .map(|(v, yes)| {
                    yes.then(|| v.zip(values[0]).map(|(v, first)| v - first))
                        .flatten()
                })
                .collect();
            let mut metric = metric.clone();
            let holds: Option<Vec<Holds>> = sides.iter().map(|f| f.holds).collect();
            if let Some(h) = &holds {
                let each: Vec<String> = h
                    .iter()
                    .enumerate()
                    .map(|(j, x)| format!("{} {}", side_name(j), x.symbol()))
                    .collect();
                let differ = h.windows(2).any(|w| w[0] != w[1]);
                metric = format!(
                    "{metric} ({}{})",
                    each.join(", "),
                    if differ {
                        ": the comparisons differ"
                    } else {
                        ""
                    }
                );
            }
            let coverage = (*kind == Kind::KnownShare).then(|| SideCoverage {
                field: field_of(&metric),
                of: sides.iter().map(|f| f.of.clone()).collect(),
                values: sides.iter().map(|f| f.coverage).collect(),
                low: sides
                    .iter()
                    .map(|f| f.coverage.is_some_and(|c| c < LOW_COVERAGE))
                    .collect(),
            });
            Row {
                metric,
                kind: *kind,
                values,
                deltas,
                comparable: subtracted.iter().all(|x| *x),
                subtracted,
                threshold: sides[0].threshold.clone(),
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

pub fn run(args: CompareArgs) -> Result<()> {
    if args.input.inputs.len() + args.input.snapshot.len() < 2 {
        return Err(Error::Usage(
            "compare needs two or more snapshots: files, `--snapshot ID`s, or both".into(),
        ));
    }
    let (entities, _) = args.resolve.options()?;
    let loaded = args.input.load()?;
    let refs: Vec<_> = loaded.iter().map(|(s, _)| s).collect();
    let setup = args.supply.options(&refs)?;
    let mut opts = setup.audit_options(entities);
    let profiles: Vec<_> = refs.iter().map(|s| opts.profile_for(s)).collect();
    let locations: Vec<String> = loaded.iter().map(|(_, r)| r.location.clone()).collect();
    let snapshots: Vec<_> = loaded.into_iter().map(|(s, _)| s).collect();
    // All at the same thresholds: the union of the profiles'.
    let tau = union_thresholds(&profiles).map_err(Error::Usage)?;
    opts.tau_from_profile = false;
    opts.params.tau = tau.clone();
    let audits: Vec<SnapshotAudit> = snapshots
        .iter()
        .map(|s| crate::pipeline::audit(s, &opts))
        .collect();
    let rows = rows(&audits, &tau);
    let format = args.out.format();
    let bytes = match format {
        Format::Json => json_document(&audits, &locations, &rows, &tau),
        Format::Csv => csv_document(&audits, &rows),
        Format::Table => text(&audits, &rows, &tau, false),
        Format::Md => text(&audits, &rows, &tau, true),
    };
    args.out.emit(&bytes)
}

fn same_weight(audits: &[SnapshotAudit]) -> bool {
    audits
        .windows(2)
        .all(|w| w[0].headline.primary_weight == w[1].headline.primary_weight)
}

fn json_document(
    audits: &[SnapshotAudit],
    locations: &[String],
    rows: &[Row],
    tau: &[Labelled<Threshold>],
) -> Vec<u8> {
    let sides: Vec<serde_json::Value> = audits
        .iter()
        .zip(locations)
        .enumerate()
        .map(|(i, (s, location))| {
            serde_json::json!({
                "side": side_name(i),
                "network": s.network,
                "location": location,
                "input_sha256": s.input_sha256,
                "weight": s.headline.primary_weight,
                "profile": s.profile,
                "thresholds": s.headline.coalitions.iter().map(|c| c.threshold_text()).collect::<Vec<_>>(),
                "tau_thresholds": s.tau_thresholds,
            })
        })
        .collect();
    json(&serde_json::json!({
        "snapshots": sides,
        "same_weight": same_weight(audits),
        "compared_thresholds": tau.iter().map(|t| t.label.clone()).collect::<Vec<_>>(),
        "low_coverage_below": LOW_COVERAGE,
        "rows": rows,
    }))
}

/// Long CSV: one line per metric and snapshot, as a data frame wants it.
fn csv_document(audits: &[SnapshotAudit], rows: &[Row]) -> Vec<u8> {
    use crate::report::escape::csv_cell;
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "metric",
        "kind",
        "side",
        "network",
        "input_sha256",
        "weight",
        "value",
        "delta_vs_first",
        "comparable",
        "coverage",
    ]);
    let opt = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string());
    for r in rows {
        for (i, s) in audits.iter().enumerate() {
            let _ = w.write_record([
                csv_cell(&r.metric),
                crate::variant_name(&r.kind),
                side_name(i),
                csv_cell(&s.network),
                s.input_sha256.clone(),
                s.headline.primary_weight.name().to_string(),
                opt(r.values[i]),
                opt(r.deltas[i]),
                r.comparable.to_string(),
                opt(r.coverage.as_ref().and_then(|c| c.values[i])),
            ]);
        }
    }
    w.into_inner().unwrap_or_default()
}

/// The table (terminal or Markdown) with the notes a reader needs.
fn text(
    audits: &[SnapshotAudit],
    rows: &[Row],
    tau: &[Labelled<Threshold>],
    markdown: bool,
) -> Vec<u8> {
    let cell = |x: &str| {
        if markdown {
            crate::report::escape::markdown(x)
        } else {
            pipe_cell(x)
        }
    };
    let mut header = vec!["metric".to_string()];
    for (i, s) in audits.iter().enumerate() {
        header.push(cell(&format!(
            "{}: {} [{}]",
            side_name(i),
            s.network,
            s.headline.primary_weight.name()
        )));
    }
    for i in 1..audits.len() {
        header.push(format!("{} − A", side_name(i)));
    }
    let mut grid = vec![header];
    for r in rows {
        let mut line = vec![cell(&r.metric)];
        for (i, v) in r.values.iter().enumerate() {
            line.push(cell(&shown(
                &r.metric,
                r.kind,
                *v,
                r.coverage
                    .as_ref()
                    .map(|c| (c, c.values[i], c.of[i].as_str())),
            )));
        }
        for (d, subtracted) in r.deltas.iter().zip(&r.subtracted).skip(1) {
            line.push(if *subtracted {
                delta(r.kind, *d)
            } else {
                "n/a (weights differ)".into()
            });
        }
        grid.push(line);
    }
    let mut s = String::new();
    for (i, x) in audits.iter().enumerate() {
        let t: Vec<String> = x
            .headline
            .coalitions
            .iter()
            .map(|c| c.threshold_text())
            .collect();
        let _ = writeln!(
            s,
            "{}: {}",
            side_name(i),
            cell(&format!(
                "{} by {}, thresholds {} (profile {})",
                x.network,
                x.headline.primary_weight.name(),
                t.join(", "),
                x.profile
            ))
        );
    }
    if !same_weight(audits) {
        let each: Vec<String> = audits
            .iter()
            .enumerate()
            .map(|(i, a)| {
                format!(
                    "{} by {}",
                    side_name(i),
                    weight_phrase(a.headline.primary_weight)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "Note: the snapshots are weighed differently ({}): rows measured on the weight (Nakamoto, coalitions, shares, HHI, Gini, coverages) show each value but no delta.",
            each.join(", ")
        );
    }
    if !tau.is_empty() {
        let labels: Vec<&str> = tau.iter().map(|t| t.label.as_str()).collect();
        let _ = writeln!(
            s,
            "Coalitions are compared at the same thresholds, every threshold of any profile ({}): \"≥\" counts coalitions holding at least the share, \">\" more than it; each side takes its own profile's comparison for a share its profile names, else \"≥\".",
            labels.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "Shares of a known part are shares of the weight whose field is known, shown with that coverage (\"low coverage\" below {:.0}%); n/a when nothing is known.",
        LOW_COVERAGE * 100.0
    );
    if markdown {
        s.push('\n');
        let _ = writeln!(s, "| {} |", grid[0].join(" | "));
        let _ = writeln!(s, "|{}|", vec!["---"; grid[0].len()].join("|"));
        for line in &grid[1..] {
            let _ = writeln!(s, "| {} |", line.join(" | "));
        }
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::ASCII_MARKDOWN);
        t.set_header(grid[0].clone());
        for line in &grid[1..] {
            t.add_row(line.clone());
        }
        let _ = writeln!(s, "{t}");
    }
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
        let u = union_thresholds(&[cosmos, bittensor]).unwrap();
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
