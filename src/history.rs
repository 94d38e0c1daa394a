//! History over stored snapshots: headline metrics per snapshot, computed
//! afresh from the stored data (never cached numbers), and per-provider
//! uptime derived from repeated observations for networks that report no
//! uptime of their own.

use crate::audit::{AuditOptions, Dimension, Weight, audit, find_cell};
use crate::metrics::dispersion::{Dispersion, dispersion};
use crate::model::Snapshot;
use crate::store::StoredSnapshot;
use crate::supply::BasisKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Every metric `history` can show, in column order.
pub const METRICS: [&str; 15] = [
    "complete",
    "providers",
    "operators",
    "gpus",
    "coalition_providers",
    "coalition_operators",
    "nakamoto_providers",
    "nakamoto_operators",
    "max_operator_share",
    "operator_hhi",
    "operator_gini",
    "nvidia_gpu_share",
    "hyperscaler_share",
    "passing_nakamoto_operators",
    "supply_errors",
];

/// The metrics shown when `--metric` is not given.
pub const DEFAULT_METRICS: [&str; 11] = [
    "complete",
    "providers",
    "operators",
    "gpus",
    "coalition_operators",
    "nakamoto_providers",
    "nakamoto_operators",
    "max_operator_share",
    "operator_hhi",
    "nvidia_gpu_share",
    "supply_errors",
];

/// The headline of one stored snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRow {
    pub id: i64,
    pub taken_at: Option<String>,
    pub input_sha256: String,
    /// Weight of the Nakamoto figures (GPUs, else stake, …).
    pub weight: Weight,
    /// The coalition threshold of `coalition_*` (the profile's first).
    pub coalition_threshold: Option<String>,
    /// Metric name → value (`null` when the data cannot say: never 0 for
    /// an unknown).
    pub values: BTreeMap<String, Option<f64>>,
}

/// Uptime of one provider across the stored snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedUptime {
    pub provider: String,
    /// Snapshots since the provider was first seen.
    pub observations: usize,
    /// Of those, how many found it up.
    pub up: usize,
    pub uptime: f64,
}

/// Uptime derived from repeated observations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedUptime {
    pub snapshots: usize,
    pub providers: usize,
    /// Dispersion of the per-provider uptimes.
    pub dispersion: Option<Dispersion>,
    /// Every provider, least available first (ties by id).
    pub per_provider: Vec<ObservedUptime>,
}

/// The result of `rackaudit history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryReport {
    pub schema_version: &'static str,
    pub tool_version: &'static str,
    pub methodology_version: &'static str,
    pub network: String,
    pub metrics: Vec<String>,
    pub rows: Vec<HistoryRow>,
    pub uptime: DerivedUptime,
}

fn row(
    stored: &StoredSnapshot,
    s: &Snapshot,
    metrics: &[String],
    opts: &AuditOptions,
) -> HistoryRow {
    let a = audit(s, opts);
    let w = a.headline.primary_weight;
    let cell = |d| find_cell(&a.concentration, d, w);
    let (provider, operator) = (cell(Dimension::Provider), cell(Dimension::Operator));
    let count = |x: Option<usize>| x.map(|v| v as f64);
    let supply = a.supply.as_ref();
    let all: BTreeMap<&str, Option<f64>> = [
        ("complete", Some(f64::from(u8::from(stored.complete)))),
        ("providers", Some(a.providers as f64)),
        ("operators", Some(a.operators as f64)),
        (
            // A network that lists no GPU capacity at all (a validator set)
            // has no GPU count: n/a, not 0.
            "gpus",
            s.providers
                .iter()
                .any(|p| !p.gpus.is_empty())
                .then(|| s.providers.iter().map(|p| p.gpu_count() as f64).sum()),
        ),
        (
            "nakamoto_providers",
            count(provider.and_then(|c| c.metrics.nakamoto_coefficient)),
        ),
        (
            "nakamoto_operators",
            count(operator.and_then(|c| c.metrics.nakamoto_coefficient)),
        ),
        (
            "max_operator_share",
            operator.and_then(|c| c.metrics.max_share),
        ),
        ("operator_hhi", operator.and_then(|c| c.metrics.hhi)),
        (
            "coalition_providers",
            count(a.headline.coalitions.first().and_then(|c| c.provider)),
        ),
        (
            "coalition_operators",
            count(a.headline.coalitions.first().and_then(|c| c.operator)),
        ),
        ("operator_gini", operator.and_then(|c| c.metrics.gini)),
        (
            "nvidia_gpu_share",
            a.headline.nvidia_gpu_share.and_then(|n| n.value),
        ),
        ("hyperscaler_share", a.cloud.hyperscaler_share.value),
        (
            "passing_nakamoto_operators",
            count(
                supply
                    .and_then(|su| su.basis(BasisKind::Passing))
                    .and_then(|b| b.nakamoto_operators),
            ),
        ),
        (
            "supply_errors",
            supply.map(|su| {
                su.findings_by_severity
                    .get(&crate::supply::Setting::Error)
                    .copied()
                    .unwrap_or(0) as f64
            }),
        ),
    ]
    .into();
    HistoryRow {
        id: stored.id,
        taken_at: s.taken_at.clone(),
        input_sha256: s.input_sha256.clone(),
        weight: w,
        coalition_threshold: a
            .headline
            .coalitions
            .first()
            .map(|c| format!("{}{}", c.holds.symbol(), c.label)),
        values: metrics
            .iter()
            .map(|m| (m.clone(), all.get(m.as_str()).copied().flatten()))
            .collect(),
    }
}

/// Whether a provider present in a snapshot was up: its own `online` flag,
/// else membership of the active set, else presence itself.
fn up(p: &crate::model::Provider) -> bool {
    p.online.unwrap_or(true) && p.active_set != Some(false)
}

/// Per-provider uptime over the snapshots, oldest first. A provider counts
/// from the first snapshot that lists it; a later snapshot that does not
/// list it is an observation of it being down.
pub fn derived_uptime(snapshots: &[Snapshot]) -> DerivedUptime {
    let mut seen: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in snapshots {
        let present: BTreeMap<&str, bool> =
            s.providers.iter().map(|p| (p.id.as_str(), up(p))).collect();
        for (id, e) in seen.iter_mut() {
            if !present.contains_key(id) {
                e.0 += 1;
            }
        }
        for (id, is_up) in present {
            let e = seen.entry(id).or_insert((0, 0));
            e.0 += 1;
            e.1 += usize::from(is_up);
        }
    }
    let mut per_provider: Vec<ObservedUptime> = seen
        .into_iter()
        .map(|(id, (obs, ups))| ObservedUptime {
            provider: id.to_string(),
            observations: obs,
            up: ups,
            uptime: ups as f64 / obs as f64,
        })
        .collect();
    per_provider.sort_by(|a, b| {
        a.uptime
            .total_cmp(&b.uptime)
            .then_with(|| a.provider.cmp(&b.provider))
    });
    let values: Vec<f64> = per_provider.iter().map(|u| u.uptime).collect();
    DerivedUptime {
        snapshots: snapshots.len(),
        providers: per_provider.len(),
        dispersion: dispersion(&values),
        per_provider,
    }
}

/// The history of `network` over stored snapshots (oldest first).
pub fn history(
    network: &str,
    stored: &[(StoredSnapshot, Snapshot)],
    metrics: &[String],
    opts: &AuditOptions,
) -> HistoryReport {
    let rows = stored
        .iter()
        .map(|(st, s)| row(st, s, metrics, opts))
        .collect();
    let snapshots: Vec<Snapshot> = stored.iter().map(|(_, s)| s.clone()).collect();
    HistoryReport {
        schema_version: crate::SCHEMA_VERSION,
        tool_version: crate::TOOL_VERSION,
        methodology_version: crate::METHODOLOGY_VERSION,
        network: network.to_string(),
        metrics: metrics.to_vec(),
        rows,
        uptime: derived_uptime(&snapshots),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Provider, Source};

    fn snap(ids: &[(&str, Option<bool>)]) -> Snapshot {
        let mut s = Snapshot::new(
            "t",
            Source {
                adapter: "t".into(),
                location: "t".into(),
                note: None,
            },
            String::new(),
        );
        s.providers = ids
            .iter()
            .map(|(id, online)| Provider {
                online: *online,
                ..Provider::new(*id)
            })
            .collect();
        s
    }

    #[test]
    fn uptime_from_presence_and_flags() {
        let snaps = [
            snap(&[("a", Some(true)), ("b", None)]),
            snap(&[("a", Some(false)), ("c", None)]),
            snap(&[("a", Some(true)), ("b", None), ("c", None)]),
            snap(&[("a", Some(true))]),
        ];
        let u = derived_uptime(&snaps);
        let by: BTreeMap<&str, (usize, usize)> = u
            .per_provider
            .iter()
            .map(|p| (p.provider.as_str(), (p.observations, p.up)))
            .collect();
        // a: 4 observations, down once (flag); b: seen in 1 and 3, absent in
        // 2 and 4; c: from its first appearance (2): present in 2, 3.
        assert_eq!(by["a"], (4, 3));
        assert_eq!(by["b"], (4, 2));
        assert_eq!(by["c"], (3, 2));
        assert_eq!(u.per_provider[0].provider, "b", "least available first");
        assert_eq!(u.dispersion.unwrap().n, 3);
    }
}
