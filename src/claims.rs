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
//! text = "Even on supply that passes the checks, 7 operators hold half the GPUs"
//! metric = "nakamoto_coefficient"
//! dimension = "operator"
//! weight = "gpus"
//! basis = "passing"
//! min = 7
//!
//! [[claim]]
//! text = "Survives the loss of its 3 largest operators with 80% of demand served"
//! stress = "top_operators"
//! k = 3
//! min_served = 0.80
//! ```

use crate::audit::{DIMENSIONS, SnapshotAudit, WEIGHTS, find_cell};
use crate::error::{Error, Result, line_at};
use crate::stress::scenarios::StressResult;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Metrics that need no dimension.
pub const NETWORK_METRICS: &[&str] = &[
    "nvidia_gpu_share",
    "nvidia_memory_share",
    "hyperscaler_share",
    "unknown_cloud_share",
    "unknown_country_share",
    "uptime_mean",
    "uptime_p10",
    "providers",
    "operators",
];

/// Metrics of a dimension × weight cell.
pub const CELL_METRICS: &[&str] = &[
    "total_entities",
    "nakamoto_coefficient",
    "max_share",
    "hhi",
    "gini",
    "shannon_entropy",
    "min_entropy",
    "entropy_percentage",
    "theil_index",
    "unattributed_share",
];

/// Stress quantities.
pub const STRESS_KINDS: &[&str] = &[
    "baseline",
    "top_operators",
    "top_providers",
    "workload_nakamoto",
];

/// One claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    pub text: String,
    pub line: usize,
    pub metric: Option<String>,
    pub dimension: Option<String>,
    pub weight: Option<String>,
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
    case: Option<String>,
    basis: Option<String>,
    stress: Option<String>,
    k: Option<i64>,
    min: Option<f64>,
    max: Option<f64>,
    min_served: Option<f64>,
}

/// Parses a claims file; errors name the line and the field.
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
            let c = c.into_inner();
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
                    format!("`{x}` is not one of: {}", allowed.join(", ")),
                )),
                _ => Ok(()),
            };
            let dims: Vec<&str> = DIMENSIONS
                .iter()
                .map(|d| d.name())
                .chain(["operators", "providers", "countries", "clouds"])
                .collect();
            let weights: Vec<&str> = WEIGHTS.iter().map(|w| w.name()).collect();
            match (&c.metric, &c.stress) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(err("metric", "give either `metric` or `stress`".into()));
                }
                (Some(m), None) => {
                    let all: Vec<&str> = CELL_METRICS
                        .iter()
                        .chain(NETWORK_METRICS)
                        .copied()
                        .collect();
                    one_of("metric", &Some(m.clone()), &all)?;
                    if CELL_METRICS.contains(&m.as_str())
                        && (c.dimension.is_none() || c.weight.is_none())
                    {
                        return Err(err(
                            "dimension",
                            format!("metric `{m}` needs `dimension` and `weight`"),
                        ));
                    }
                }
                (None, Some(_)) => {
                    one_of("stress", &c.stress, STRESS_KINDS)?;
                    if c.stress.as_deref().is_some_and(|s| s.starts_with("top_")) && c.k.is_none() {
                        return Err(err(
                            "k",
                            "is required for top_operators / top_providers".into(),
                        ));
                    }
                }
            }
            one_of("dimension", &c.dimension, &dims)?;
            one_of("weight", &c.weight, &weights)?;
            one_of("case", &c.case, &["resolved", "worst"])?;
            one_of("basis", &c.basis, &["claimed", "passing", "observed"])?;
            let min = c.min.or(c.min_served);
            if min.is_none() && c.max.is_none() {
                return Err(err("max", "give `max`, `min` or `min_served`".into()));
            }
            if let Some(k) = c.k.filter(|k| *k < 0) {
                return Err(err("k", format!("is {k}; it must be at least 0")));
            }
            Ok(Claim {
                text: c.text,
                line,
                metric: c.metric,
                dimension: c.dimension,
                weight: c.weight,
                case: c.case.unwrap_or_else(|| "resolved".into()),
                basis: c.basis.unwrap_or_else(|| "claimed".into()),
                stress: c.stress,
                k: c.k.map(|k| k as usize),
                min,
                max: c.max,
            })
        })
        .collect()
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
        margin: None,
        note: why.to_string(),
    }
}

/// Checks a claim against an audit and, for stress claims, a stress result,
/// both of the claim's basis.
pub fn check(claim: &Claim, audit: &SnapshotAudit, stress: Option<&StressResult>) -> Verdict {
    let (measured, note) = measure(claim, audit, stress);
    let margin = measured.map(|v| {
        let above = claim.min.map(|m| v - m);
        let below = claim.max.map(|m| m - v);
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
        pass: margin.is_some_and(|m| m >= -1e-12),
        measured,
        margin,
        note,
    }
}

fn measure(c: &Claim, a: &SnapshotAudit, stress: Option<&StressResult>) -> (Option<f64>, String) {
    if let Some(kind) = &c.stress {
        let Some(st) = stress else {
            return (None, "no stress result (the network has no GPUs)".into());
        };
        return match kind.as_str() {
            "baseline" => (
                st.baseline.as_ref().map(|b| b.served_fraction),
                "served fraction with every provider up".into(),
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
                    Some(step) => (
                        Some(step.served_fraction),
                        format!("served fraction after removing {k} (exact: {})", step.exact),
                    ),
                    None => (None, format!("the resilience curve does not reach k = {k}")),
                }
            }
            _ => {
                let n = st.workload_nakamoto.as_ref();
                let r = n.map(|n| match c.dimension.as_deref().unwrap_or("operators") {
                    "providers" | "provider" => &n.providers,
                    "countries" | "country" => &n.countries,
                    "clouds" | "cloud" => &n.clouds,
                    _ => &n.operators,
                });
                match r {
                    Some(r) => (
                        r.lower_bound.map(|l| l as f64),
                        format!(
                            "proven lower bound (value {:?}, exact {})",
                            r.value, r.exact
                        ),
                    ),
                    None => (None, "workload Nakamoto coefficient not computed".into()),
                }
            }
        };
    }
    let m = c.metric.as_deref().unwrap_or("");
    let network = match m {
        "nvidia_gpu_share" => Some(a.hardware.as_ref().map(|h| h.nvidia.gpu_share)),
        "nvidia_memory_share" => Some(a.hardware.as_ref().map(|h| h.nvidia.memory_share)),
        "hyperscaler_share" => Some(Some(
            a.cloud
                .by_category
                .get("hyperscaler")
                .copied()
                .unwrap_or(0.0),
        )),
        "unknown_cloud_share" => Some(Some(a.cloud.unknown_share)),
        "unknown_country_share" => Some(Some(a.geography.country_unknown_share)),
        "uptime_mean" => Some(a.uptime.as_ref().map(|u| u.providers.mean)),
        "uptime_p10" => Some(a.uptime.as_ref().map(|u| u.providers.p10)),
        "providers" => Some(Some(a.providers as f64)),
        "operators" => Some(Some(a.operators as f64)),
        _ => None,
    };
    if let Some(v) = network {
        return (
            v,
            if v.is_none() {
                "the data has no such field".into()
            } else {
                String::new()
            },
        );
    }
    let dim = DIMENSIONS
        .iter()
        .find(|d| Some(d.name()) == c.dimension.as_deref());
    let weight = WEIGHTS
        .iter()
        .find(|w| Some(w.name()) == c.weight.as_deref());
    let (Some(&dim), Some(&weight)) = (dim, weight) else {
        return (None, "unknown dimension or weight".into());
    };
    let Some(cell) = find_cell(&a.concentration, dim, weight) else {
        return (
            None,
            format!("the data has no {} × {} figures", dim.name(), weight.name()),
        );
    };
    if m == "unattributed_share" {
        return (Some(cell.unattributed_share), String::new());
    }
    if c.case == "worst" {
        let Some(b) = &cell.bounds else {
            return (
                None,
                "worst case exists only for the operator dimension".into(),
            );
        };
        let v = match m {
            "nakamoto_coefficient" => b.worst.nakamoto_coefficient.map(|n| n as f64),
            "max_share" => b.worst.max_share,
            "hhi" => b.worst.hhi,
            "total_entities" => Some(b.worst.entities as f64),
            _ => return (None, format!("no worst case for `{m}`")),
        };
        return (
            v,
            format!(
                "worst case: {} unlinked providers as one operator",
                b.unlinked_providers
            ),
        );
    }
    let v = serde_json::to_value(&cell.metrics)
        .ok()
        .and_then(|j| j.get(m).and_then(|x| x.as_f64()));
    (v, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_with_lines() {
        let ok = parse("c.toml", "[[claim]]\ntext = \"a\"\nmetric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 0.1\n\n[[claim]]\ntext = \"b\"\nstress = \"top_operators\"\nk = 3\nmin_served = 0.8\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].min, Some(0.8));
        let cases = [
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"bogus\"\nmax = 1\n",
                "claim at line 1: field `metric`",
            ),
            (
                "[[claim]]\ntext = \"a\"\nmetric = \"hhi\"\nmax = 1\n",
                "field `dimension`",
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
}
