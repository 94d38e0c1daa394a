//! Claims: statements about a network's decentralization, checked against
//! an audit and a stress test (`rackaudit check`).
//!
//! ```toml
//! [[claim]]
//! text = "No single operator controls more than 10% of GPUs"
//! metric = "max_share"
//! dimension = "operator"
//! weight = "gpus"
//! max = 0.10
//!
//! [[claim]]
//! text = "Halting the chain takes at least 7 operators"
//! metric = "coalition"
//! threshold = "1/3"
//! dimension = "operator"
//! weight = "stake"
//! min = 7
//!
//! [[claim]]
//! text = "Survives the loss of its 3 largest operators with 80% of demand served"
//! stress = "top_operators"
//! k = 3
//! min_served = 0.80
//! ```
//!
//! A claims file is checked before anything is measured: bounds of shares
//! lie in [0, 1] (a `30` meant as 30% is refused, not passed), counts are
//! whole, names are known (with a "did you mean"). A claim whose quantity
//! the data cannot measure, or measures on too little of the network
//! (`min_coverage`, default [`DEFAULT_MIN_COVERAGE`]), fails with the reason.

use crate::audit::{DIMENSIONS, KnownShare, SnapshotAudit, WEIGHTS, find_cell};
use crate::error::{Error, Result, line_at};
use crate::metrics::{Holds, Threshold};
use crate::stress::scenarios::StressResult;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Coverage a claim needs unless it sets `min_coverage`: a figure that rests
/// on less than half of the network cannot pass a claim about the network.
pub const DEFAULT_MIN_COVERAGE: f64 = crate::audit::LOW_COVERAGE;

/// What the bounds of a quantity may be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    /// A share or fraction in [0, 1].
    Share,
    /// A whole number ≥ 0.
    Count,
    /// HHI, 0–10,000.
    Hhi,
    /// Any number ≥ 0 (entropies in bits, Theil).
    NonNegative,
}

/// Metrics that need no dimension, with the range of their bounds.
const NETWORK: &[(&str, Range)] = &[
    ("nvidia_gpu_share", Range::Share),
    ("nvidia_memory_share", Range::Share),
    ("hyperscaler_share", Range::Share),
    ("datacenter_share", Range::Share),
    ("largest_country_share", Range::Share),
    ("unknown_cloud_share", Range::Share),
    ("unknown_country_share", Range::Share),
    ("uptime_mean", Range::Share),
    ("uptime_p10", Range::Share),
    ("providers", Range::Count),
    ("operators", Range::Count),
];

/// Metrics of a dimension × weight cell, with the range of their bounds.
const CELL: &[(&str, Range)] = &[
    ("total_entities", Range::Count),
    ("nakamoto_coefficient", Range::Count),
    ("coalition", Range::Count),
    ("max_share", Range::Share),
    ("hhi", Range::Hhi),
    ("gini", Range::Share),
    ("shannon_entropy", Range::NonNegative),
    ("min_entropy", Range::NonNegative),
    ("entropy_percentage", Range::Share),
    ("theil_index", Range::NonNegative),
    ("unattributed_share", Range::Share),
];

/// Stress quantities, with the range of their bounds.
const STRESS: &[(&str, Range)] = &[
    ("baseline", Range::Share),
    ("top_operators", Range::Share),
    ("top_providers", Range::Share),
    ("workload_nakamoto", Range::Count),
];

/// Metrics that need no dimension.
pub fn network_metrics() -> Vec<&'static str> {
    NETWORK.iter().map(|m| m.0).collect()
}

/// Metrics of a dimension × weight cell.
pub fn cell_metrics() -> Vec<&'static str> {
    CELL.iter().map(|m| m.0).collect()
}

/// Stress quantities.
pub fn stress_kinds() -> Vec<&'static str> {
    STRESS.iter().map(|m| m.0).collect()
}

/// Levels of the workload Nakamoto coefficient a claim may name.
const NAKAMOTO_LEVELS: [&str; 4] = ["operators", "providers", "countries", "clouds"];

/// One claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    pub text: String,
    pub line: usize,
    pub metric: Option<String>,
    pub dimension: Option<String>,
    pub weight: Option<String>,
    /// `metric = "coalition"`: the share, as written (`1/3`, `>2/3`).
    pub threshold: Option<String>,
    /// `resolved` (default) or `worst` (operator figures if all unlinked
    /// supply were one operator).
    pub case: String,
    /// Which supply the claim is measured on: `claimed` (default),
    /// `passing` or `observed` (see the supply checks).
    pub basis: String,
    pub stress: Option<String>,
    pub k: Option<usize>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Least coverage (share of the weight the figure rests on) for the
    /// claim to be judged.
    pub min_coverage: f64,
}

impl Claim {
    /// The coalition threshold's label as used for the audit's tau list.
    pub fn threshold_label(&self) -> Option<&str> {
        self.threshold.as_deref().map(str::trim)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    claim: Vec<Spanned<RawClaim>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    text: String,
    metric: Option<String>,
    dimension: Option<String>,
    weight: Option<String>,
    threshold: Option<toml::Value>,
    case: Option<String>,
    basis: Option<String>,
    stress: Option<String>,
    k: Option<toml::Value>,
    min: Option<f64>,
    max: Option<f64>,
    min_served: Option<f64>,
    min_coverage: Option<f64>,
}

/// Parses a claims file; errors name the file, the line and the field.
pub fn parse(location: &str, text: &str) -> Result<Vec<Claim>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = line_at(text, e.span().map_or(0, |s| s.start));
        Error::input(
            location,
            Some(format!("line {line}")),
            None,
            format!("is not a valid claims file: {}", e.message().trim()),
        )
        .with_hint("see the claims format in the README")
    })?;
    raw.claim
        .into_iter()
        .map(|c| {
            let line = line_at(text, c.span().start);
            validate(location, line, c.into_inner())
        })
        .collect()
}

fn validate(location: &str, line: usize, c: RawClaim) -> Result<Claim> {
    let err = |field: &str, msg: String| {
        Error::input(
            location,
            Some(format!("claim at line {line}")),
            Some(field),
            msg,
        )
    };
    let one_of = |field: &str, v: &Option<String>, allowed: &[&str]| match v {
        Some(x) if !allowed.contains(&x.as_str()) => Err(err(
            field,
            format!(
                "`{x}` is not one of: {}{}",
                allowed.join(", "),
                crate::suggest::hint(x, allowed.iter().copied())
            ),
        )),
        _ => Ok(()),
    };
    let range = match (&c.metric, &c.stress) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(err("metric", "give either `metric` or `stress`".into()));
        }
        (Some(m), None) => {
            let all: Vec<&str> = CELL.iter().chain(NETWORK).map(|x| x.0).collect();
            one_of("metric", &Some(m.clone()), &all)?;
            let is_cell = CELL.iter().any(|x| x.0 == m);
            if is_cell && (c.dimension.is_none() || c.weight.is_none()) {
                return Err(err(
                    "dimension",
                    format!("metric `{m}` needs `dimension` and `weight`"),
                ));
            }
            if is_cell {
                let dims: Vec<&str> = DIMENSIONS.iter().map(|d| d.name()).collect();
                one_of("dimension", &c.dimension, &dims)?;
            } else if let Some(d) = &c.dimension {
                return Err(err(
                    "dimension",
                    format!("metric `{m}` is network-wide; remove `dimension = \"{d}\"`"),
                ));
            }
            CELL.iter().chain(NETWORK).find(|x| x.0 == m).map(|x| x.1)
        }
        (None, Some(s)) => {
            one_of("stress", &Some(s.clone()), &stress_kinds())?;
            if s.starts_with("top_") && c.k.is_none() {
                return Err(err(
                    "k",
                    "is required for top_operators / top_providers".into(),
                ));
            }
            if s == "workload_nakamoto" {
                one_of("dimension", &c.dimension, &NAKAMOTO_LEVELS)?;
            } else if c.dimension.is_some() {
                return Err(err("dimension", format!("stress `{s}` takes no dimension")));
            }
            STRESS.iter().find(|x| x.0 == s).map(|x| x.1)
        }
    }
    .expect("the name was checked above");
    let weights: Vec<&str> = WEIGHTS.iter().map(|w| w.name()).collect();
    one_of("weight", &c.weight, &weights)?;
    one_of("case", &c.case, &["resolved", "worst"])?;
    one_of("basis", &c.basis, &["claimed", "passing", "observed"])?;
    if c.case.as_deref() == Some("worst") && c.dimension.as_deref() != Some("operator") {
        return Err(err(
            "case",
            "the worst case exists only for `dimension = \"operator\"`".into(),
        ));
    }
    let threshold = threshold_text(&c.threshold).map_err(|m| err("threshold", m))?;
    match (c.metric.as_deref() == Some("coalition"), &threshold) {
        (true, None) => {
            return Err(err(
                "threshold",
                "is required for `metric = \"coalition\"`, e.g. threshold = \"1/3\"".into(),
            ));
        }
        (false, Some(_)) => {
            return Err(err(
                "threshold",
                "applies only to `metric = \"coalition\"`".into(),
            ));
        }
        _ => {}
    }
    if let Some(t) = &threshold {
        Threshold::parse(t, Holds::AtLeast).map_err(|m| err("threshold", m))?;
    }
    if c.min_served.is_some() && c.min.is_some() {
        return Err(err(
            "min_served",
            "give `min` or `min_served`, not both".into(),
        ));
    }
    let (min_field, min) = match c.min_served {
        Some(v) => ("min_served", Some(v)),
        None => ("min", c.min),
    };
    if min.is_none() && c.max.is_none() {
        return Err(err("max", "give `max`, `min` or `min_served`".into()));
    }
    for (field, v) in [(min_field, min), ("max", c.max)] {
        if let Some(v) = v {
            check_bound(range, v).map_err(|m| err(field, m))?;
        }
    }
    if let (Some(lo), Some(hi)) = (min, c.max)
        && lo > hi
    {
        return Err(err(
            "max",
            format!("{hi} is below min {lo}: no value can pass"),
        ));
    }
    let k = match &c.k {
        None => None,
        Some(v) => Some(whole(v).map_err(|m| err("k", m))?),
    };
    let min_coverage = c.min_coverage.unwrap_or(DEFAULT_MIN_COVERAGE);
    check_bound(Range::Share, min_coverage).map_err(|m| err("min_coverage", m))?;
    Ok(Claim {
        text: c.text,
        line,
        metric: c.metric,
        dimension: c.dimension,
        weight: c.weight,
        threshold,
        case: c.case.unwrap_or_else(|| "resolved".into()),
        basis: c.basis.unwrap_or_else(|| "claimed".into()),
        stress: c.stress,
        k,
        min,
        max: c.max,
        min_coverage,
    })
}

/// A threshold written as a string (`"1/3"`) or a number (`0.5`).
fn threshold_text(v: &Option<toml::Value>) -> std::result::Result<Option<String>, String> {
    match v {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(toml::Value::Float(x)) => Ok(Some(x.to_string())),
        Some(toml::Value::Integer(i)) => Ok(Some(i.to_string())),
        Some(other) => Err(format!("{other} is not a share such as \"1/3\" or 0.5")),
    }
}

fn whole(v: &toml::Value) -> std::result::Result<usize, String> {
    match v {
        toml::Value::Integer(i) if *i >= 0 => Ok(*i as usize),
        toml::Value::Integer(i) => Err(format!("is {i}; it must be at least 0")),
        other => Err(format!("{other} is not a whole number")),
    }
}

fn check_bound(range: Range, v: f64) -> std::result::Result<(), String> {
    if !v.is_finite() {
        return Err(format!("{v} is not a finite number"));
    }
    match range {
        Range::Share if v > 1.0 && v <= 100.0 => Err(format!(
            "{v} is not a share in [0, 1]; it looks like a percentage: write {}",
            trim_number(v / 100.0)
        )),
        Range::Share if !(0.0..=1.0).contains(&v) => Err(format!("{v} is not a share in [0, 1]")),
        Range::Count if v < 0.0 || v.fract() != 0.0 => {
            Err(format!("{v} is not a whole number of at least 0"))
        }
        Range::Hhi if !(0.0..=10_000.0).contains(&v) => {
            Err(format!("{v} is outside the HHI scale 0–10,000"))
        }
        Range::NonNegative if v < 0.0 => Err(format!("{v} is negative")),
        _ => Ok(()),
    }
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    // Keep two decimals for shares (0.30, not 0.3): it reads as a share.
    match s.split_once('.') {
        Some((_, d)) if d.len() == 1 => format!("{s}0"),
        None => format!("{s}.00"),
        _ => s.to_string(),
    }
}

/// The outcome of one claim on one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub text: String,
    pub network: String,
    /// The supply basis it was measured on.
    pub basis: String,
    pub pass: bool,
    /// The measured value (`None`: the data cannot measure it; the claim fails).
    pub measured: Option<f64>,
    /// Share of the weight the measured value rests on, where it can be
    /// partial (known clouds, countries, vendors, uptimes, entities).
    pub coverage: Option<f64>,
    /// Distance to the threshold, positive when the claim holds.
    pub margin: Option<f64>,
    pub note: String,
}

/// A claim whose basis the data cannot provide (no online observations for
/// `observed`): it fails, saying why.
pub fn unmeasurable(claim: &Claim, network: &str, why: &str) -> Verdict {
    Verdict {
        text: claim.text.clone(),
        network: network.to_string(),
        basis: claim.basis.clone(),
        pass: false,
        measured: None,
        coverage: None,
        margin: None,
        note: why.to_string(),
    }
}

/// What a claim measured: the value, the coverage it rests on, and a note.
struct Measured {
    value: Option<f64>,
    coverage: Option<f64>,
    note: String,
}

impl Measured {
    fn full(value: Option<f64>, note: impl Into<String>) -> Self {
        Measured {
            value,
            coverage: None,
            note: note.into(),
        }
    }

    fn na(note: impl Into<String>) -> Self {
        Measured::full(None, note)
    }

    fn known(share: KnownShare, field: &str, weight: &str) -> Self {
        let note = match share.value {
            None => format!("n/a: {field} known for 0% of {weight}"),
            Some(_) if share.coverage >= 1.0 => String::new(),
            Some(_) => format!(
                "of the {weight} whose {field} is known ({} of {weight})",
                crate::report::pct(share.coverage)
            ),
        };
        Measured {
            value: share.value,
            coverage: Some(share.coverage),
            note,
        }
    }
}

/// Checks a claim against an audit and, for stress claims, a stress result,
/// both of the claim's basis.
pub fn check(claim: &Claim, audit: &SnapshotAudit, stress: Option<&StressResult>) -> Verdict {
    let m = measure(claim, audit, stress);
    let mut note = m.note;
    let low = m.coverage.filter(|c| *c < claim.min_coverage);
    if let Some(c) = low.filter(|_| m.value.is_some()) {
        let why = format!(
            "coverage {} is below the claim's min_coverage {}",
            crate::report::pct(c),
            crate::report::pct(claim.min_coverage)
        );
        note = if note.is_empty() {
            why
        } else {
            format!("{why}; {note}")
        };
    }
    let margin = m.value.map(|v| {
        let above = claim.min.map(|lo| v - lo);
        let below = claim.max.map(|hi| hi - v);
        match (above, below) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => 0.0,
        }
    });
    Verdict {
        text: claim.text.clone(),
        network: audit.network.clone(),
        basis: claim.basis.clone(),
        pass: low.is_none() && margin.is_some_and(|m| m >= -1e-12),
        measured: m.value,
        coverage: m.coverage,
        margin,
        note,
    }
}

fn measure(c: &Claim, a: &SnapshotAudit, stress: Option<&StressResult>) -> Measured {
    if let Some(kind) = &c.stress {
        return measure_stress(c, kind, stress);
    }
    let m = c.metric.as_deref().unwrap_or("");
    let weight_name = crate::audit::weight_words(a.headline.primary_weight);
    let of = |share: Option<KnownShare>, field: &str, why_none: &str| match share {
        Some(s) => Measured::known(s, field, weight_name),
        None => Measured::na(why_none),
    };
    let no_gpus = "n/a: the data lists no GPUs";
    match m {
        "nvidia_gpu_share" => {
            return match &a.hardware {
                Some(h) => Measured::known(h.nvidia.gpu_share, "vendor", "GPUs"),
                None => Measured::na(no_gpus),
            };
        }
        "nvidia_memory_share" => {
            return match &a.hardware {
                Some(h) => Measured::known(h.nvidia.memory_share, "vendor", "GPU memory"),
                None => Measured::na(no_gpus),
            };
        }
        "hyperscaler_share" => {
            return of(Some(a.cloud.hyperscaler_share), "cloud", "");
        }
        "datacenter_share" => {
            return of(Some(a.cloud.datacenter_share), "location type", "");
        }
        "largest_country_share" => {
            return of(Some(a.geography.largest_country_share), "country", "");
        }
        "unknown_cloud_share" => {
            return Measured::full(
                Some(a.cloud.unknown_share),
                format!("share of {weight_name} whose cloud is unknown"),
            );
        }
        "unknown_country_share" => {
            return Measured::full(
                Some(1.0 - a.geography.country_coverage),
                format!("share of {weight_name} whose country is unknown"),
            );
        }
        "uptime_mean" | "uptime_p10" => {
            return match &a.uptime {
                Some(u) => Measured {
                    value: Some(if m == "uptime_mean" {
                        u.providers.mean
                    } else {
                        u.providers.p10
                    }),
                    coverage: Some(u.coverage),
                    note: format!(
                        "over the {} providers whose uptime is known ({} of providers)",
                        u.providers.n,
                        crate::report::pct(u.coverage)
                    ),
                },
                None => Measured::na("n/a: uptime known for 0% of providers"),
            };
        }
        "providers" => return Measured::full(Some(a.providers as f64), ""),
        "operators" => return Measured::full(Some(a.operators as f64), ""),
        _ => {}
    }
    measure_cell(c, m, a)
}

fn measure_cell(c: &Claim, m: &str, a: &SnapshotAudit) -> Measured {
    let dim = DIMENSIONS
        .iter()
        .find(|d| Some(d.name()) == c.dimension.as_deref());
    let weight = WEIGHTS
        .iter()
        .find(|w| Some(w.name()) == c.weight.as_deref());
    let (Some(&dim), Some(&weight)) = (dim, weight) else {
        return Measured::na("unknown dimension or weight");
    };
    let Some(cell) = find_cell(&a.concentration, dim, weight) else {
        let weight_known =
            find_cell(&a.concentration, crate::audit::Dimension::Provider, weight).is_some();
        return Measured::na(if weight_known {
            format!(
                "n/a: {} known for 0% of {}",
                dim.name(),
                crate::audit::weight_words(weight)
            )
        } else {
            format!(
                "n/a: the data lists no {}",
                crate::audit::weight_words(weight)
            )
        });
    };
    // The weight whose entity is known and, for per-GPU figures, whose
    // figure is known: the smaller is what the value rests on.
    let coverage = cell.coverage().min(cell.value_coverage.unwrap_or(1.0));
    let with = |value: Option<f64>, note: String| Measured {
        value,
        coverage: Some(coverage),
        note,
    };
    if m == "unattributed_share" {
        return Measured::full(Some(cell.unattributed_share), "");
    }
    if c.case == "worst" {
        let Some(b) = &cell.bounds else {
            return Measured::na("worst case exists only for the operator dimension");
        };
        let v = match m {
            "nakamoto_coefficient" => b.worst.nakamoto_coefficient.map(|n| n as f64),
            "max_share" => b.worst.max_share,
            "hhi" => b.worst.hhi,
            "total_entities" => Some(b.worst.entities as f64),
            _ => return Measured::na(format!("no worst case for `{m}`")),
        };
        let note = if b.unlinked_providers == 0 {
            "worst case: no unlinked providers, so the resolved figure".to_string()
        } else {
            format!(
                "worst case: {} as one operator",
                crate::audit::count(Some(b.unlinked_providers), "unlinked provider")
            )
        };
        return with(v, note);
    }
    if m == "coalition" {
        let label = c.threshold_label().unwrap_or_default();
        let at = a.tau_thresholds.iter().position(|t| t.label == label);
        let value = at
            .and_then(|i| cell.metrics.tau_index.0.get(i))
            .and_then(|(_, v)| *v);
        let rule = at.map_or(String::new(), |i| {
            format!(
                "fewest {}s holding {} {} of {}",
                dim.name(),
                a.tau_thresholds[i].holds.words(),
                label.trim_start_matches(['>', '=', '≥']),
                weight.name()
            )
        });
        return with(value.map(|n| n as f64), rule);
    }
    let v = serde_json::to_value(&cell.metrics)
        .ok()
        .and_then(|j| j.get(m).and_then(|x| x.as_f64()));
    with(v, String::new())
}

fn measure_stress(c: &Claim, kind: &str, stress: Option<&StressResult>) -> Measured {
    let Some(st) = stress else {
        return Measured::na("not applicable: no stress test was run");
    };
    if let Some(why) = &st.not_applicable {
        return Measured::na(format!("not applicable: {why}"));
    }
    match kind {
        "baseline" => Measured::full(
            st.baseline.as_ref().map(|b| b.served_fraction),
            "served fraction with every provider up",
        ),
        "top_operators" | "top_providers" => {
            let k = c.k.unwrap_or(0);
            let curve = st.resilience.as_ref().map(|r| {
                if kind == "top_operators" {
                    &r.operators
                } else {
                    &r.providers
                }
            });
            match curve.and_then(|cv| cv.iter().find(|s| s.k == k)) {
                Some(step) => Measured::full(
                    Some(step.served_fraction),
                    format!(
                        "served fraction after removing the {k} largest{}",
                        if step.exact {
                            ""
                        } else {
                            " (not proven optimal)"
                        }
                    ),
                ),
                None => Measured::na(format!("the resilience curve does not reach k = {k}")),
            }
        }
        _ => {
            let Some(n) = st.workload_nakamoto.as_ref() else {
                return Measured::na("workload Nakamoto coefficient not computed");
            };
            let r = match c.dimension.as_deref().unwrap_or("operators") {
                "providers" => &n.providers,
                "countries" => &n.countries,
                "clouds" => &n.clouds,
                _ => &n.operators,
            };
            if let Some(why) = &r.reason {
                return Measured::na(format!("n/a: {why}"));
            }
            let note = if r.exact {
                "exact".to_string()
            } else {
                format!(
                    "proven lower bound; the search found a removal set of {}",
                    r.upper_bound
                        .map_or("none reaching the level".to_string(), |u| u.to_string())
                )
            };
            Measured::full(r.lower_bound.map(|l| l as f64), note)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_with_lines() {
        let ok = parse("c.toml", "[[claim]]\ntext = \"a\"\nmetric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 0.1\n\n[[claim]]\ntext = \"b\"\nstress = \"top_operators\"\nk = 3\nmin_served = 0.8\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].min, Some(0.8));
        assert_eq!(ok[0].min_coverage, DEFAULT_MIN_COVERAGE);
        let cases = [
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"bogus\"\nmax = 1\n",
                "claim at line 1: field `metric`",
            ),
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"max_shares\"\nmax = 1\n",
                "did you mean `max_share`?",
            ),
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"hhi\"\nmax = 1\n",
                "field `dimension`",
            ),
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"hhi\"\ndimension = \"operators\"\nweight = \"gpus\"\nmax = 1\n",
                "did you mean `operator`?",
            ),
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"hhi\"\ndimension = \"operator\"\nweight = \"gpu\"\nmax = 1\n",
                "did you mean `gpus`?",
            ),
            (
                "[[claim]]\ntext = \"a\"\nstress = \"top_operators\"\nmin_served = 1\n",
                "field `k`",
            ),
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"providers\"\n",
                "field `max`",
            ),
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"providers\"\nmax = \"x\"\n",
                "c.toml: line 4",
            ),
        ];
        for (text, expected) in cases {
            let e = parse("c.toml", text).unwrap_err().to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
    }

    #[test]
    fn bounds_outside_their_range_are_refused() {
        let claim = |body: &str| format!("[[claim]]\ntext = \"t\"\n{body}\n");
        let cases = [
            (
                "metric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 30",
                "field `max`: 30 is not a share in [0, 1]; it looks like a percentage: write 0.30",
            ),
            (
                "metric = \"nvidia_gpu_share\"\nmin = -0.1",
                "field `min`: -0.1 is not a share",
            ),
            (
                "metric = \"nakamoto_coefficient\"\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 2.5",
                "2.5 is not a whole number",
            ),
            (
                "metric = \"hhi\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 25000",
                "outside the HHI scale",
            ),
            (
                "stress = \"baseline\"\nmin_served = 80",
                "field `min_served`: 80 is not a share in [0, 1]; it looks like a percentage: write 0.80",
            ),
            (
                "stress = \"top_operators\"\nk = 1.5\nmin_served = 0.5",
                "field `k`: 1.5 is not a whole number",
            ),
            (
                "metric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 0.5\nmax = 0.2",
                "no value can pass",
            ),
            (
                "metric = \"coalition\"\ndimension = \"operator\"\nweight = \"stake\"\nmin = 3",
                "field `threshold`: is required",
            ),
            (
                "metric = \"coalition\"\nthreshold = \"4/3\"\ndimension = \"operator\"\nweight = \"stake\"\nmin = 3",
                "field `threshold`",
            ),
            (
                "metric = \"max_share\"\nthreshold = \"1/3\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 0.5",
                "applies only to",
            ),
            (
                "metric = \"nvidia_gpu_share\"\nmax = 0.8\nmin_coverage = 50",
                "field `min_coverage`",
            ),
        ];
        for (body, expected) in cases {
            let e = parse("c.toml", &claim(body)).unwrap_err().to_string();
            assert!(
                e.contains("c.toml") && e.contains("claim at line 1") && e.contains(expected),
                "{body:?}: {e}"
            );
        }
    }
}
