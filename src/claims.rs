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
//! A claims file is checked before anything is measured, and each error
//! names the line of the field at fault: bounds of shares lie in [0, 1] (a
//! `30` meant as 30% is refused, not passed), counts are whole, names and
//! keys are known (with a "did you mean"), a coalition threshold is a share
//! above 0 that a coalition can reach (not `>1`), and `case = "worst"` is
//! given only where a worst case is measured. A claim whose quantity the
//! data cannot measure, or measures on too little of the network
//! (`min_coverage`, default [`DEFAULT_MIN_COVERAGE`]), fails with the reason.
//!
//! The worst case of an operator coalition is the audit headline's: at the
//! network profile's thresholds (the same share, exactly, and comparison)
//! on the headline weight. A workload Nakamoto claim names its level
//! singular or plural (`operator` or `operators`, … `asn`, `datacenter`).

use crate::audit::{DIMENSIONS, Dimension, KnownShare, SnapshotAudit, WEIGHTS, Weight, find_cell};
use crate::error::{Error, Result, line_at};
use crate::metrics::{Holds, Threshold};
use crate::stress::nakamoto::NakamotoResult;
use crate::stress::scenarios::{StressResult, WorkloadNakamoto};
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

/// Levels of the workload Nakamoto coefficient a claim may name, singular
/// and plural (`dimension = "operator"` as in cell claims, or `"operators"`
/// as the stress output names them), in the order of
/// [`WorkloadNakamoto::levels`](crate::stress::scenarios::WorkloadNakamoto::levels).
const NAKAMOTO_LEVELS: [(&str, &str); 6] = [
    ("operator", "operators"),
    ("provider", "providers"),
    ("country", "countries"),
    ("cloud", "clouds"),
    ("asn", "asns"),
    ("datacenter", "datacenters"),
];

/// Metrics with a worst case (all unlinked supply one operator).
const WORST_CASE_METRICS: [&str; 5] = [
    "nakamoto_coefficient",
    "max_share",
    "hhi",
    "total_entities",
    "coalition",
];

/// The keys a claim may have.
const FIELDS: [&str; 13] = [
    "text",
    "metric",
    "dimension",
    "weight",
    "threshold",
    "case",
    "basis",
    "stress",
    "k",
    "min",
    "max",
    "min_served",
    "min_coverage",
];

/// The position of a workload Nakamoto level, named singular or plural.
fn nakamoto_level(name: &str) -> Option<usize> {
    NAKAMOTO_LEVELS
        .iter()
        .position(|(one, many)| name == *one || name == *many)
}

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

/// A claim as written; every field keeps its place in the file, so errors
/// name the line of the field at fault.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    text: String,
    metric: Option<Spanned<String>>,
    dimension: Option<Spanned<String>>,
    weight: Option<Spanned<String>>,
    threshold: Option<Spanned<toml::Value>>,
    case: Option<Spanned<String>>,
    basis: Option<Spanned<String>>,
    stress: Option<Spanned<String>>,
    k: Option<Spanned<toml::Value>>,
    min: Option<Spanned<toml::Value>>,
    max: Option<Spanned<toml::Value>>,
    min_served: Option<Spanned<toml::Value>>,
    min_coverage: Option<Spanned<toml::Value>>,
}

/// A bound as written: a number (`0.5`, `7`) or, as a string, a decimal or
/// an exact fraction (`"1/3"`), as every threshold option takes it.
fn amount(v: Option<Spanned<toml::Value>>) -> std::result::Result<Option<f64>, String> {
    let Some(v) = v.map(Spanned::into_inner) else {
        return Ok(None);
    };
    let x = match &v {
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(x) => *x,
        toml::Value::String(t) => match t.trim().split_once('/') {
            Some((n, d)) => match (n.trim().parse::<f64>(), d.trim().parse::<f64>()) {
                (Ok(n), Ok(d)) if d != 0.0 => n / d,
                _ => return Err(format!("`{t}` is not a fraction such as \"1/3\"")),
            },
            None => t
                .trim()
                .parse()
                .map_err(|_| format!("`{t}` is not a number or a fraction such as \"1/3\""))?,
        },
        other => {
            return Err(format!(
                "expected a number or a fraction such as \"1/3\", found {}",
                other.type_str()
            ));
        }
    };
    if x.is_finite() {
        Ok(Some(x))
    } else {
        Err(format!("`{v}` is not a finite number"))
    }
}

/// Parses a claims file; errors name the file, the line and the field.
pub fn parse(location: &str, text: &str) -> Result<Vec<Claim>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(location, text, &e))?;
    raw.claim
        .into_iter()
        .map(|c| {
            let line = line_at(text, c.span().start);
            validate(location, text, line, c.into_inner())
        })
        .collect()
}

/// A TOML or shape error, at its line; an unknown key gets a "did you mean".
fn toml_error(location: &str, text: &str, e: &toml::de::Error) -> Error {
    let line = line_at(text, e.span().map_or(0, |s| s.start));
    let message = e.message().trim();
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    match unknown {
        // A key of the file itself (`[[claims]]` for `[[claim]]`).
        Some(name) if !message.contains("`text`") => Error::input(
            location,
            Some(format!("line {line}")),
            Some(name),
            format!(
                "is not a key of a claims file{}",
                crate::suggest::hint(name, ["claim"])
            ),
        )
        .with_hint("each claim is a [[claim]] table; see the claims format in the README"),
        Some(name) => {
            let hint = field_hint(name);
            let message = if hint.is_empty() {
                format!("is not a claim field; the fields are {}", FIELDS.join(", "))
            } else {
                format!("is not a claim field{hint}")
            };
            Error::input(location, Some(format!("line {line}")), Some(name), message)
                .with_hint("see the claims format in the README")
        }
        None => Error::input(
            location,
            Some(format!("line {line}")),
            None,
            format!("is not a valid claims file: {message}"),
        )
        .with_hint("see the claims format in the README"),
    }
}

/// "; did you mean `max`?" for a misspelled claim field: a likely typo
/// (see [`crate::suggest`]), else the one field a single edit away, which
/// catches short names (`mx`, `mn`) too short for the similarity measure.
fn field_hint(name: &str) -> String {
    let hint = crate::suggest::hint(name, FIELDS);
    if !hint.is_empty() || name.chars().count() < 2 {
        return hint;
    }
    let near: Vec<&str> = FIELDS
        .into_iter()
        .filter(|f| strsim::levenshtein(name, f) == 1)
        .collect();
    match near.as_slice() {
        [one] => format!("; did you mean `{one}`?"),
        _ => String::new(),
    }
}

/// The line of a field, where it is given.
fn line_of<T>(text: &str, v: &Option<Spanned<T>>) -> Option<usize> {
    v.as_ref().map(|s| line_at(text, s.span().start))
}

fn value<T>(v: Option<Spanned<T>>) -> Option<T> {
    v.map(Spanned::into_inner)
}

fn validate(location: &str, text: &str, line: usize, raw: RawClaim) -> Result<Claim> {
    let lines = [
        ("metric", line_of(text, &raw.metric)),
        ("dimension", line_of(text, &raw.dimension)),
        ("weight", line_of(text, &raw.weight)),
        ("threshold", line_of(text, &raw.threshold)),
        ("case", line_of(text, &raw.case)),
        ("basis", line_of(text, &raw.basis)),
        ("stress", line_of(text, &raw.stress)),
        ("k", line_of(text, &raw.k)),
        ("min", line_of(text, &raw.min)),
        ("max", line_of(text, &raw.max)),
        ("min_served", line_of(text, &raw.min_served)),
        ("min_coverage", line_of(text, &raw.min_coverage)),
    ];
    // "line 7, in the claim at line 2: field `max`", or "claim at line 2"
    // for a field that is missing (or written on the claim's own line).
    let err = |field: &str, msg: String| {
        let at = lines
            .iter()
            .find(|(name, _)| *name == field)
            .and_then(|(_, l)| *l)
            .filter(|l| *l != line);
        let record = match at {
            Some(l) => format!("line {l}, in the claim at line {line}"),
            None => format!("claim at line {line}"),
        };
        Error::input(location, Some(record), Some(field), msg)
    };
    let c = Fields {
        metric: value(raw.metric),
        dimension: value(raw.dimension),
        weight: value(raw.weight),
        threshold: value(raw.threshold),
        case: value(raw.case),
        basis: value(raw.basis),
        stress: value(raw.stress),
        k: value(raw.k),
        min: amount(raw.min).map_err(|e| err("min", e))?,
        max: amount(raw.max).map_err(|e| err("max", e))?,
        min_served: amount(raw.min_served).map_err(|e| err("min_served", e))?,
        min_coverage: amount(raw.min_coverage).map_err(|e| err("min_coverage", e))?,
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
                    "is required for top_operators and top_providers".into(),
                ));
            }
            if s == "workload_nakamoto" {
                if let Some(d) = c
                    .dimension
                    .as_deref()
                    .filter(|d| nakamoto_level(d).is_none())
                {
                    let names = NAKAMOTO_LEVELS.iter().flat_map(|(one, many)| [*one, *many]);
                    return Err(err(
                        "dimension",
                        format!(
                            "`{d}` is not a level of the workload Nakamoto coefficient: {} \
                             (singular or plural){}",
                            NAKAMOTO_LEVELS.map(|l| l.1).join(", "),
                            crate::suggest::hint(d, names)
                        ),
                    ));
                }
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
    if c.case.as_deref() == Some("worst") {
        let measured = c
            .metric
            .as_deref()
            .is_some_and(|m| WORST_CASE_METRICS.contains(&m));
        if !measured {
            let what = match (&c.metric, &c.stress) {
                (Some(m), _) => format!("metric `{m}`"),
                (_, Some(s)) => format!("stress `{s}`"),
                _ => "this claim".to_string(),
            };
            return Err(err(
                "case",
                format!(
                    "the worst case is measured only for the metrics {}; not for {what}",
                    WORST_CASE_METRICS.join(", ")
                ),
            ));
        }
        if c.dimension.as_deref() != Some("operator") {
            return Err(err(
                "case",
                "the worst case exists only for `dimension = \"operator\"`".into(),
            ));
        }
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
        coalition_threshold(t).map_err(|m| err("threshold", m))?;
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
        text: raw.text,
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

/// A claim's fields without their places.
struct Fields {
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

/// A coalition threshold: a share above 0 that a coalition can reach
/// (at least 1 is every entity; more than 1 is no coalition at all).
fn coalition_threshold(text: &str) -> std::result::Result<Threshold, String> {
    let t = Threshold::parse(text, Holds::AtLeast)?;
    let (n, d) = t.fraction();
    if n == 0 {
        return Err(match t.holds {
            Holds::AtLeast => format!(
                "`{text}` is not above 0: an empty coalition already holds at least 0; \
                 give a share above 0, such as 1/3"
            ),
            Holds::MoreThan => format!(
                "`{text}` is not above 0: give a share above 0, such as 1/3 \
                 (the largest entity alone holds more than 0)"
            ),
        });
    }
    if n == d && t.holds == Holds::MoreThan {
        return Err(format!(
            "`{text}` can never be reached: no coalition holds more than all of the weight; \
             write \"1\" for a coalition of all entities"
        ));
    }
    Ok(t)
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
        // A typed percentage (2 to 100) gets the hint; 1.5 is not one.
        Range::Share if (2.0..=100.0).contains(&v) => Err(format!(
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
    /// `pass`, `fail`, or `not_proven`: the quantity is only bounded and
    /// the truth may still satisfy the claim (it does not pass a gate).
    pub status: Status,
    /// The measured value (`None`: the data cannot measure it; the claim
    /// fails); for a bounded quantity, the bound the claim is judged on.
    pub measured: Option<f64>,
    /// For a quantity known only within proven bounds (a workload Nakamoto
    /// coefficient the search did not settle): `[lower, upper]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 2]>,
    /// Share of the weight the measured value rests on, where it can be
    /// partial (known clouds, countries, vendors, uptimes, entities).
    pub coverage: Option<f64>,
    /// Distance to the threshold, positive when the claim holds.
    pub margin: Option<f64>,
    pub note: String,
}

/// The outcome of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// Only bounds are known and they straddle the claim.
    NotProven,
}

/// The status of a claim on a whole count known only within `[lo, hi]`:
/// every count the bounds allow satisfies it, pass; none does, fail; some
/// do, not proven.
fn status_within(lo: f64, hi: f64, holds: impl Fn(f64) -> bool) -> Status {
    let counts = lo as u64..=hi as u64;
    let all = counts.clone().all(|v| holds(v as f64));
    let any = counts.clone().any(|v| holds(v as f64));
    match (all, any) {
        (true, _) => Status::Pass,
        (false, false) => Status::Fail,
        (false, true) => Status::NotProven,
    }
}

/// A claim whose basis the data cannot provide (no online observations for
/// `observed`): it fails, saying why.
pub fn unmeasurable(claim: &Claim, network: &str, why: &str) -> Verdict {
    Verdict {
        text: claim.text.clone(),
        network: network.to_string(),
        basis: claim.basis.clone(),
        pass: false,
        status: Status::Fail,
        bounds: None,
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
    /// Proven bounds of a quantity that is not known exactly.
    bounds: Option<(f64, f64)>,
}

impl Measured {
    fn full(value: Option<f64>, note: impl Into<String>) -> Self {
        Measured {
            value,
            coverage: None,
            note: note.into(),
            bounds: None,
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
                crate::text::pct(share.coverage)
            ),
        };
        Measured {
            value: share.value,
            coverage: Some(share.coverage),
            note,
            bounds: None,
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
            crate::text::pct(c),
            crate::text::pct(claim.min_coverage)
        );
        note = if note.is_empty() {
            why
        } else {
            format!("{why}; {note}")
        };
    }
    let margin_of = |v: f64| {
        let above = claim.min.map(|lo| v - lo);
        let below = claim.max.map(|hi| hi - v);
        match (above, below) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => 0.0,
        }
    };
    let holds = |v: f64| margin_of(v) >= -1e-12;
    // A quantity known within [lo, hi]: a `min` is judged on the lower
    // bound, a `max` on the upper one; when the bounds straddle the claim,
    // the truth may still satisfy it: not proven, not a bare FAIL.
    let (status, measured) = match m.bounds {
        Some((lo, hi)) => {
            let judged = if claim.min.is_none() { hi } else { lo };
            (status_within(lo, hi, holds), Some(judged))
        }
        None => (
            if m.value.is_some_and(holds) {
                Status::Pass
            } else {
                Status::Fail
            },
            m.value,
        ),
    };
    let status = if low.is_some() && status == Status::Pass {
        Status::Fail
    } else {
        status
    };
    Verdict {
        text: claim.text.clone(),
        network: audit.network.clone(),
        basis: claim.basis.clone(),
        pass: status == Status::Pass,
        status,
        measured,
        bounds: m.bounds.map(|(lo, hi)| [lo, hi]),
        coverage: m.coverage,
        margin: measured.map(margin_of),
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
        // 0 of 0 is not a share: without any weight both are n/a.
        "unknown_cloud_share" | "unknown_country_share" if !has_weight(a) => {
            return Measured::na(format!("n/a: the data lists no {weight_name}"));
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
                    bounds: None,
                    note: format!(
                        "over the {} providers whose uptime is known ({} of providers)",
                        u.providers.n,
                        crate::text::pct(u.coverage)
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

/// Whether the audit's primary weight holds anything at all.
fn has_weight(a: &SnapshotAudit) -> bool {
    find_cell(
        &a.concentration,
        crate::audit::Dimension::Provider,
        a.headline.primary_weight,
    )
    .is_some()
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
        if weight_known && m == "unattributed_share" {
            // The entity is unknown for all of the weight: measurable, 1.
            return Measured::full(
                Some(1.0),
                format!("{} unknown for all of the weight", dim.name()),
            );
        }
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
        bounds: None,
    };
    if m == "unattributed_share" {
        return Measured::full(Some(cell.unattributed_share), "");
    }
    if c.case == "worst" {
        let Some(b) = &cell.bounds else {
            return Measured::na("n/a: the worst case exists only for the operator dimension");
        };
        let worst_note = if b.unlinked_providers == 0 {
            "worst case: no unlinked providers, so the resolved figure".to_string()
        } else {
            format!(
                "worst case: {} as one operator",
                crate::audit::count(Some(b.unlinked_providers), "unlinked provider")
            )
        };
        let v = match m {
            "nakamoto_coefficient" => b.worst.nakamoto_coefficient.map(|n| n as f64),
            "max_share" => b.worst.max_share,
            "hhi" => b.worst.hhi,
            "total_entities" => Some(b.worst.entities as f64),
            "coalition" => {
                return match worst_coalition(c, a, weight) {
                    Ok((n, rule)) => with(n.map(|n| n as f64), format!("{rule}; {worst_note}")),
                    Err(why) => Measured::na(format!("n/a: {why}")),
                };
            }
            _ => return Measured::na(format!("n/a: no worst case for `{m}`")),
        };
        return with(v, worst_note);
    }
    if m == "coalition" {
        let label = c.threshold_label().unwrap_or_default();
        let at = a.tau_thresholds.iter().position(|t| t.label == label);
        let value = at
            .and_then(|i| cell.metrics.tau_index.0.get(i))
            .and_then(|(_, v)| *v);
        let rule = at.map_or(String::new(), |i| {
            coalition_rule(dim, a.tau_thresholds[i].holds, label, weight)
        });
        return with(value.map(|n| n as f64), rule);
    }
    let v = serde_json::to_value(&cell.metrics)
        .ok()
        .and_then(|j| j.get(m).and_then(|x| x.as_f64()));
    with(v, String::new())
}

/// "fewest operators holding at least 1/3 of voting stake".
fn coalition_rule(dim: Dimension, holds: Holds, label: &str, weight: Weight) -> String {
    format!(
        "fewest {} holding {} {} of {}",
        dimension_words(dim),
        holds.words(),
        label.trim_start_matches(['>', '=', '≥']),
        crate::audit::weight_words(weight)
    )
}

/// A dimension's entities, plural.
fn dimension_words(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Provider => "providers",
        Dimension::Operator => "operators",
        Dimension::Country => "countries",
        Dimension::Region => "regions",
        Dimension::Asn => "ASNs",
        Dimension::Cloud => "clouds",
        Dimension::Datacenter => "data centers",
        Dimension::GpuVendor => "GPU vendors",
        Dimension::GpuModel => "GPU models",
    }
}

/// The worst case of an operator coalition: measured by the audit's
/// headline at each threshold of the network profile, on the headline
/// weight. The count, and the rule it follows; or why it is not measured.
fn worst_coalition(
    c: &Claim,
    a: &SnapshotAudit,
    weight: Weight,
) -> std::result::Result<(Option<usize>, String), String> {
    let h = &a.headline;
    if weight != h.primary_weight {
        return Err(format!(
            "the worst case of a coalition is measured only on the headline weight, {} \
             (`weight = \"{}\"`), not on {}",
            crate::audit::weight_words(h.primary_weight),
            h.primary_weight.name(),
            crate::audit::weight_words(weight)
        ));
    }
    let label = c.threshold_label().unwrap_or_default();
    let wanted = Threshold::parse(label, Holds::AtLeast)?;
    // The comparison the claim is measured with: the profile's for a bare
    // share (as in the audit's tau list), else its own sign.
    let holds = a
        .tau_thresholds
        .iter()
        .find(|t| t.label == label)
        .map_or(wanted.holds, |t| t.holds);
    let same = |co: &&crate::audit::Coalition| {
        Threshold::parse(&co.label, co.holds).is_ok_and(|t| t.same_share(&wanted))
    };
    let Some(co) = h.coalitions.iter().find(same) else {
        let listed: Vec<&str> = h.coalitions.iter().map(|co| co.label.as_str()).collect();
        return Err(if listed.is_empty() {
            "the worst case of a coalition is measured only at the network profile's \
             thresholds, and the profile names none"
                .to_string()
        } else {
            format!(
                "the worst case of a coalition is measured only at the network profile's \
                 thresholds ({}); `{label}` is not one of them",
                listed.join(", ")
            )
        });
    };
    if co.holds != holds {
        return Err(format!(
            "the network profile counts coalitions holding {} {}; the worst case is not \
             measured for {} {}",
            co.holds.words(),
            co.label,
            holds.words(),
            label.trim_start_matches(['>', '=', '≥']).trim()
        ));
    }
    let n = co.operator_bounds.map_or(co.operator, |b| b.worst);
    Ok((
        n,
        coalition_rule(Dimension::Operator, co.holds, &co.label, weight),
    ))
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
            let (level, r) = nakamoto_of(n, c.dimension.as_deref());
            if let Some(why) = &r.reason {
                return Measured::na(format!("n/a: {level}: {why}"));
            }
            if r.exact {
                return Measured::full(r.value.map(|v| v as f64), format!("{level}, exact"));
            }
            let (Some(lo), Some(hi)) = (r.lower_bound, r.upper_bound) else {
                return Measured::na(format!("n/a: {level}: no proven bounds"));
            };
            Measured {
                value: Some(lo as f64),
                coverage: None,
                note: format!(
                    "{level}, not settled by the search: proven between {lo} and {} (a min is judged on the lower bound, a max on the upper)",
                    count_of(hi, level)
                ),
                bounds: Some((lo as f64, hi as f64)),
            }
        }
    }
}

/// The level a workload Nakamoto claim names (operators when it names
/// none), with its name as the stress output writes it.
fn nakamoto_of<'a>(
    n: &'a WorkloadNakamoto,
    dimension: Option<&str>,
) -> (&'static str, &'a NakamotoResult) {
    n.levels()[dimension.and_then(nakamoto_level).unwrap_or(0)]
}

/// "1 operator", "3 operators", "1 data center" from a plural noun.
fn count_of(n: usize, plural: &str) -> String {
    if n != 1 {
        return format!("{n} {plural}");
    }
    let one = match plural {
        "countries" => "country",
        other => other.strip_suffix('s').unwrap_or(other),
    };
    format!("1 {one}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn bounded_counts_pass_fail_or_stay_not_proven() {
        use super::{Status, status_within};
        // (lower, upper, min, max, status)
        type Row = (f64, f64, Option<f64>, Option<f64>, Status);
        let table: &[Row] = &[
            (5.0, 9.0, Some(5.0), None, Status::Pass),
            (5.0, 9.0, Some(6.0), None, Status::NotProven),
            (5.0, 9.0, Some(9.0), None, Status::NotProven),
            (5.0, 9.0, Some(10.0), None, Status::Fail),
            (5.0, 9.0, None, Some(9.0), Status::Pass),
            (5.0, 9.0, None, Some(7.0), Status::NotProven),
            (5.0, 9.0, None, Some(4.0), Status::Fail),
            (5.0, 9.0, Some(6.0), Some(8.0), Status::NotProven),
            (5.0, 9.0, Some(1.0), Some(20.0), Status::Pass),
            (7.0, 7.0, Some(7.0), Some(7.0), Status::Pass),
        ];
        for &(lo, hi, min, max, want) in table {
            let holds = |v: f64| min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m);
            assert_eq!(
                status_within(lo, hi, holds),
                want,
                "[{lo}, {hi}] min {min:?} max {max:?}"
            );
        }
    }

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

    /// A claim of `body` at line 1 of `c.toml`.
    fn one(body: &str) -> Result<Claim> {
        parse("c.toml", &format!("[[claim]]\ntext = \"t\"\n{body}\n")).map(|mut c| c.remove(0))
    }

    #[test]
    fn errors_name_the_line_of_the_field() {
        // The claim starts on line 2; each field's own line is named.
        let cases = [
            (
                "# a comment\n[[claim]]\ntext = \"t\"\nmetric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 30\n",
                "c.toml: line 7, in the claim at line 2: field `max`: 30 is not a share in [0, 1]",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"max_shares\"\nmax = 1\n",
                "c.toml: line 4, in the claim at line 2: field `metric`: `max_shares` is not one of",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"hhi\"\ndimension = \"planet\"\nweight = \"gpus\"\nmax = 1\n",
                "c.toml: line 5, in the claim at line 2: field `dimension`",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"hhi\"\ndimension = \"operator\"\n\nweight = \"gpu\"\nmax = 1\n",
                "c.toml: line 7, in the claim at line 2: field `weight`",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"coalition\"\ndimension = \"operator\"\nweight = \"gpus\"\nthreshold = \">1\"\nmin = 1\n",
                "c.toml: line 7, in the claim at line 2: field `threshold`",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nstress = \"top_operators\"\nk = -1\nmin_served = 0.5\n",
                "c.toml: line 5, in the claim at line 2: field `k`: is -1",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"gini\"\ndimension = \"operator\"\nweight = \"gpus\"\ncase = \"worst\"\nmax = 0.5\n",
                "c.toml: line 7, in the claim at line 2: field `case`",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 0.5\nmax = 0.2\n",
                "c.toml: line 8, in the claim at line 2: field `max`: 0.2 is below min 0.5",
            ),
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"nvidia_gpu_share\"\nmax = 0.8\nmin_coverage = 1.2\n",
                "c.toml: line 6, in the claim at line 2: field `min_coverage`",
            ),
            // A missing field has no line of its own: the claim's is named.
            (
                "\n[[claim]]\ntext = \"t\"\nmetric = \"coalition\"\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 1\n",
                "c.toml: claim at line 2: field `threshold`: is required",
            ),
            // So is a field on the claim's own line (an inline table).
            (
                "claim = [{ text = \"t\", metric = \"providers\", max = -1 }]\n",
                "c.toml: claim at line 1: field `max`: -1 is not a whole number",
            ),
        ];
        for (text, expected) in cases {
            let e = parse("c.toml", text).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let e = e.to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
    }

    #[test]
    fn unknown_keys_get_a_did_you_mean() {
        let cases = [
            (
                "[[claim]]\ntext = \"t\"\nmetric = \"providers\"\nmx = 3\n",
                "c.toml: line 4: field `mx`: is not a claim field; did you mean `max`?",
            ),
            (
                "[[claim]]\ntext = \"t\"\nmetric = \"coalition\"\ntreshold = \"1/3\"\n",
                "field `treshold`: is not a claim field; did you mean `threshold`?",
            ),
            (
                "[[claim]]\ntext = \"t\"\nstress = \"baseline\"\nmin_serve = 0.5\n",
                "did you mean `min_served`?",
            ),
            (
                "[[claim]]\ntext = \"t\"\nmetric = \"providers\"\nmn = 3\n",
                "field `mn`: is not a claim field; did you mean `min`?",
            ),
            (
                "[[claim]]\ntext = \"t\"\nmetric = \"providers\"\nmax = 3\nqq = 3\n",
                "c.toml: line 5: field `qq`: is not a claim field; the fields are",
            ),
            (
                "[[claim]]\ntext = \"t\"\nmetric = \"providers\"\nzzz = 3\n",
                "field `zzz`: is not a claim field; the fields are text, metric, dimension",
            ),
            (
                "[[claims]]\ntext = \"t\"\n",
                "c.toml: line 1: field `claims`: is not a key of a claims file; did you mean `claim`?",
            ),
        ];
        for (text, expected) in cases {
            let e = parse("c.toml", text).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let e = e.to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
        }
        // Every field the hint offers is one a claim takes.
        for field in FIELDS {
            let e = parse(
                "c.toml",
                &format!("[[claim]]\ntext = \"t\"\n{field} = \"x\"\n"),
            )
            .map_or_else(|e| e.to_string(), |_| String::new());
            assert!(!e.contains("is not a claim field"), "{field}: {e}");
        }
    }

    #[test]
    fn coalition_thresholds_are_reachable_shares() {
        let claim = |t: &str| {
            one(&format!(
                "metric = \"coalition\"\nthreshold = {t}\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 1"
            ))
        };
        // (threshold as written in TOML, Ok(label) or Err(part of the message))
        let cases: &[(&str, std::result::Result<&str, &str>)] = &[
            ("\"1/3\"", Ok("1/3")),
            ("\">2/3\"", Ok(">2/3")),
            ("\"1\"", Ok("1")),
            ("\">=1\"", Ok(">=1")),
            ("1", Ok("1")),
            ("\"0.3333333333333333\"", Ok("0.3333333333333333")),
            ("0.3333333333333333", Ok("0.3333333333333333")),
            ("\"0.333333333333333333\"", Ok("0.333333333333333333")),
            (
                "\"0\"",
                Err("`0` is not above 0: an empty coalition already holds at least 0"),
            ),
            ("0", Err("`0` is not above 0")),
            ("0.0", Err("`0` is not above 0")),
            ("\">0\"", Err("`>0` is not above 0")),
            (
                "\">1\"",
                Err(
                    "`>1` can never be reached: no coalition holds more than all of the weight; write \"1\"",
                ),
            ),
            ("\"> 1/1\"", Err("can never be reached")),
            (
                "\"4/3\"",
                Err("`4/3` is not a share: a threshold must lie between 0 and 1"),
            ),
            (
                "1.5",
                Err("`1.5` is not a share: a threshold must lie between 0 and 1"),
            ),
            (
                "30",
                Err("`30` is above 1; it looks like a percentage: write 0.3"),
            ),
            ("\"0.3333333333333333333\"", Err("is not a share such as")),
            ("true", Err("true is not a share such as")),
        ];
        for (t, want) in cases {
            match (claim(t), want) {
                (Ok(c), Ok(label)) => assert_eq!(c.threshold_label(), Some(*label), "{t}"),
                (Err(e), Err(part)) => {
                    let e = e.to_string();
                    assert!(
                        e.contains("field `threshold`") && e.contains(part),
                        "{t}: {e}"
                    );
                    if !part.contains("percentage") {
                        assert!(!e.contains("percentage"), "{t}: {e}");
                    }
                }
                (got, _) => panic!("{t}: {got:?}"),
            }
        }
    }

    #[test]
    fn only_a_typed_percentage_gets_the_percentage_hint() {
        let gini = |v: &str| {
            one(&format!(
                "metric = \"gini\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = {v}"
            ))
        };
        let cases: &[(&str, Option<&str>)] = &[
            ("1", None),
            ("0.5", None),
            ("1.5", Some("1.5 is not a share in [0, 1]")),
            ("1.99", Some("1.99 is not a share in [0, 1]")),
            (
                "2",
                Some("2 is not a share in [0, 1]; it looks like a percentage: write 0.02"),
            ),
            (
                "30",
                Some("30 is not a share in [0, 1]; it looks like a percentage: write 0.30"),
            ),
            (
                "100",
                Some("100 is not a share in [0, 1]; it looks like a percentage: write 1.00"),
            ),
            ("101", Some("101 is not a share in [0, 1]")),
            ("-0.5", Some("-0.5 is not a share in [0, 1]")),
        ];
        for (v, want) in cases {
            match (gini(v), want) {
                (Ok(_), None) => {}
                (Err(e), Some(want)) => {
                    let e = e.to_string();
                    assert!(e.contains(want), "{v}: {e}");
                    if !want.contains("percentage") {
                        assert!(!e.contains("percentage"), "{v}: {e}");
                    }
                }
                (got, _) => panic!("{v}: {got:?}"),
            }
        }
    }

    #[test]
    fn the_worst_case_is_refused_where_it_is_not_measured() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "metric = \"coalition\"\nthreshold = \"1/3\"\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 2",
                None,
            ),
            (
                "metric = \"nakamoto_coefficient\"\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 2",
                None,
            ),
            (
                "metric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 0.2",
                None,
            ),
            (
                "metric = \"hhi\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 1800",
                None,
            ),
            (
                "metric = \"total_entities\"\ndimension = \"operator\"\nweight = \"gpus\"\nmin = 5",
                None,
            ),
            (
                "metric = \"gini\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 0.5",
                Some(
                    "field `case`: the worst case is measured only for the metrics nakamoto_coefficient, max_share, hhi, total_entities, coalition; not for metric `gini`",
                ),
            ),
            (
                "metric = \"operators\"\nmin = 5",
                Some("not for metric `operators`"),
            ),
            (
                "stress = \"workload_nakamoto\"\ndimension = \"operator\"\nmin = 2",
                Some("not for stress `workload_nakamoto`"),
            ),
            (
                "metric = \"coalition\"\nthreshold = \"1/3\"\ndimension = \"provider\"\nweight = \"gpus\"\nmin = 2",
                Some("field `case`: the worst case exists only for `dimension = \"operator\"`"),
            ),
        ];
        for (body, want) in cases {
            match (one(&format!("{body}\ncase = \"worst\"")), want) {
                (Ok(c), None) => assert_eq!(c.case, "worst"),
                (Err(e), Some(want)) => {
                    assert_eq!(e.exit_code(), 2);
                    let e = e.to_string();
                    assert!(
                        e.contains("c.toml: line ") && e.contains(want),
                        "{body}: {e}"
                    );
                }
                (got, _) => panic!("{body}: {got:?}"),
            }
        }
    }

    #[test]
    fn workload_nakamoto_levels_are_named_singular_or_plural() {
        let result = |n: usize| {
            let mut r = NakamotoResult::without_value(Some(n), String::new());
            (r.value, r.upper_bound, r.exact, r.reason) = (Some(n), Some(n), true, None);
            r
        };
        let n = WorkloadNakamoto {
            level: 0.5,
            node_budget: 1,
            operators: result(1),
            providers: result(2),
            countries: result(3),
            clouds: result(4),
            asns: result(5),
            datacenters: result(6),
        };
        let st = |dimension: Option<&str>| {
            let body = match dimension {
                Some(d) => format!("stress = \"workload_nakamoto\"\ndimension = \"{d}\"\nmin = 1"),
                None => "stress = \"workload_nakamoto\"\nmin = 1".to_string(),
            };
            one(&body)
        };
        let cases: &[(Option<&str>, usize, &str)] = &[
            (None, 1, "operators"),
            (Some("operator"), 1, "operators"),
            (Some("operators"), 1, "operators"),
            (Some("provider"), 2, "providers"),
            (Some("providers"), 2, "providers"),
            (Some("country"), 3, "countries"),
            (Some("countries"), 3, "countries"),
            (Some("cloud"), 4, "clouds"),
            (Some("clouds"), 4, "clouds"),
            (Some("asn"), 5, "ASNs"),
            (Some("asns"), 5, "ASNs"),
            (Some("datacenter"), 6, "data centers"),
            (Some("datacenters"), 6, "data centers"),
        ];
        for (dimension, value, level) in cases {
            let c = st(*dimension).unwrap();
            let (name, r) = nakamoto_of(&n, c.dimension.as_deref());
            assert_eq!(
                (name, r.lower_bound),
                (*level, Some(*value)),
                "{dimension:?}"
            );
        }
        for (dimension, want) in [
            (
                "planet",
                "`planet` is not a level of the workload Nakamoto coefficient: operators, providers, countries, clouds, asns, datacenters (singular or plural)",
            ),
            ("data_center", "did you mean `datacenter`?"),
            ("countrys", "did you mean `country"),
        ] {
            let e = st(Some(dimension)).unwrap_err().to_string();
            assert!(
                e.contains("field `dimension`") && e.contains(want),
                "{dimension}: {e}"
            );
        }
        assert_eq!(count_of(1, "data centers"), "1 data center");
        assert_eq!(count_of(1, "countries"), "1 country");
        assert_eq!(count_of(1, "ASNs"), "1 ASN");
        assert_eq!(count_of(3, "ASNs"), "3 ASNs");
    }

    /// Six operators of 4 GPUs each when resolved: X, Y, Z declared, and
    /// three unlinked providers (one operator of 12 GPUs in the worst case).
    fn audit_of(unlinked: bool, thresholds: &[&str]) -> SnapshotAudit {
        use crate::model::{KeyKind, Provider, Snapshot, Source, gpu};
        let mut s = Snapshot::new(
            "test",
            Source {
                adapter: "t".into(),
                location: "t".into(),
                note: None,
            },
            "00".into(),
        );
        for (id, op) in [
            ("a", "X"),
            ("b", "Y"),
            ("c", "Z"),
            ("d", "V"),
            ("e", "W"),
            ("f", "U"),
        ] {
            let mut p = Provider::new(id);
            if !unlinked || ["X", "Y", "Z"].contains(&op) {
                p.add_key(KeyKind::Declared, op);
            }
            p.gpus.push(gpu::normalize("h100 80gb", None, None, 4));
            s.providers.push(p);
        }
        // As `check` audits: the claims' thresholds are the tau list.
        let mut opts = crate::audit::AuditOptions {
            tau_from_profile: false,
            ..Default::default()
        };
        opts.params.tau =
            crate::metrics::parse_labelled(&thresholds.join(","), crate::metrics::parse_threshold)
                .unwrap();
        crate::pipeline::audit(&s, &opts)
    }

    #[test]
    fn worst_case_coalitions_are_the_headlines() {
        let coalition = |threshold: &str, weight: &str, case: &str| {
            one(&format!(
                "metric = \"coalition\"\nthreshold = \"{threshold}\"\ndimension = \"operator\"\nweight = \"{weight}\"\ncase = \"{case}\"\nmin = 2"
            ))
            .unwrap()
        };
        let thresholds = ["1/3", "1/2", "0.5", ">1/3", "1/4", "2/6"];
        let linked = audit_of(false, &thresholds);
        let unlinked = audit_of(true, &thresholds);
        // The default profile's thresholds: at least 1/3 and at least 1/2.
        let labels: Vec<&str> = unlinked
            .headline
            .coalitions
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        assert_eq!(labels, ["1/3", "1/2"]);
        // (audit, threshold, weight, case, measured, part of the note)
        let cases = [
            (
                &unlinked,
                "1/3",
                "gpus",
                "resolved",
                Some(2.0),
                "fewest operators holding at least 1/3 of GPUs",
            ),
            (
                &unlinked,
                "1/3",
                "gpus",
                "worst",
                Some(1.0),
                "fewest operators holding at least 1/3 of GPUs; worst case: 3 unlinked providers as one operator",
            ),
            (
                &unlinked,
                "1/2",
                "gpus",
                "worst",
                Some(1.0),
                "at least 1/2 of GPUs",
            ),
            // Written as a decimal or unreduced: the same share.
            (
                &unlinked,
                "0.5",
                "gpus",
                "worst",
                Some(1.0),
                "at least 1/2 of GPUs",
            ),
            (
                &unlinked,
                "2/6",
                "gpus",
                "worst",
                Some(1.0),
                "at least 1/3 of GPUs",
            ),
            (
                &linked,
                "1/3",
                "gpus",
                "worst",
                Some(2.0),
                "worst case: no unlinked providers, so the resolved figure",
            ),
            (
                &linked,
                "1/2",
                "gpus",
                "worst",
                Some(3.0),
                "at least 1/2 of GPUs",
            ),
            (
                &unlinked,
                ">1/3",
                "gpus",
                "worst",
                None,
                "n/a: the network profile counts coalitions holding at least 1/3; the worst case is not measured for more than 1/3",
            ),
            (
                &unlinked,
                "1/4",
                "gpus",
                "worst",
                None,
                "n/a: the worst case of a coalition is measured only at the network profile's thresholds (1/3, 1/2); `1/4` is not one of them",
            ),
            (
                &unlinked,
                "1/3",
                "providers",
                "worst",
                None,
                "n/a: the worst case of a coalition is measured only on the headline weight, GPUs (`weight = \"gpus\"`), not on providers",
            ),
        ];
        for (a, threshold, weight, case, measured, note) in &cases {
            let v = check(&coalition(threshold, weight, case), a, None);
            assert_eq!(
                v.measured, *measured,
                "{threshold} {weight} {case}: {}",
                v.note
            );
            assert!(
                v.note.contains(note),
                "{threshold} {weight} {case}: {}",
                v.note
            );
            assert_eq!(
                v.pass,
                measured.is_some_and(|m| m >= 2.0),
                "{threshold} {case}"
            );
        }
    }
}
