//! History over stored snapshots: headline metrics per snapshot, computed
//! afresh from the stored data (never cached numbers), and per-provider
//! uptime derived from repeated observations for networks that report no
//! uptime of their own.
//!
//! Every share of a known part (Nvidia's share of the GPUs whose vendor is
//! known, the hyperscalers' share of the weight whose cloud is known, …) is
//! shown with its coverage metric beside it, and flagged when that
//! coverage is below [`LOW_COVERAGE`]. A derived uptime needs at least two
//! snapshots: one listing is not an observation of availability.

use crate::audit::{AuditOptions, Dimension, LOW_COVERAGE, Weight, find_cell};
use crate::metrics::dispersion::{Dispersion, dispersion};
use crate::model::Snapshot;
use crate::pipeline::audit_headline;
use crate::store::StoredSnapshot;
use crate::supply::BasisKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Every metric `history` can show, in column order, with what it means.
pub const METRIC_INFO: [(&str, &str); 21] = [
    (
        "complete",
        "whether the collection was complete (1 yes, 0 no in JSON and CSV; yes/no in tables)",
    ),
    ("providers", "providers listed"),
    ("operators", "operators the providers resolve into"),
    ("gpus", "GPUs listed (n/a for a network that lists none)"),
    (
        "coalition_providers",
        "fewest providers holding the network profile's first threshold of the weight",
    ),
    (
        "coalition_operators",
        "fewest operators holding the network profile's first threshold of the weight",
    ),
    (
        "nakamoto_providers",
        "fewest providers holding at least 50% of the weight",
    ),
    (
        "nakamoto_operators",
        "fewest operators holding at least 50% of the weight",
    ),
    (
        "max_operator_share",
        "the largest operator's share of the weight",
    ),
    (
        "operator_hhi",
        "Herfindahl-Hirschman index over operators (0-10,000)",
    ),
    ("operator_gini", "Gini coefficient over operators"),
    (
        "nvidia_gpu_share",
        "Nvidia's share of the GPUs whose vendor is known (shown with vendor_coverage)",
    ),
    ("vendor_coverage", "share of the GPUs whose vendor is known"),
    (
        "hyperscaler_share",
        "hyperscalers' share of the weight whose cloud is known (shown with cloud_coverage)",
    ),
    ("cloud_coverage", "share of the weight whose cloud is known"),
    (
        "largest_country_share",
        "the largest country's share of the weight whose country is known (shown with country_coverage)",
    ),
    (
        "country_coverage",
        "share of the weight whose country is known",
    ),
    (
        "reported_uptime_mean",
        "mean uptime as the source reports it, over the providers with one (shown with uptime_coverage)",
    ),
    (
        "uptime_coverage",
        "share of the providers whose uptime the source reports",
    ),
    (
        "passing_nakamoto_operators",
        "nakamoto_operators on the supply that passes the supply checks",
    ),
    ("supply_errors", "supply-check findings of severity error"),
];

/// The metrics shown when `--metric` is not given.
pub const DEFAULT_METRICS: [&str; 13] = [
    "complete",
    "providers",
    "operators",
    "gpus",
    "coalition_operators",
    "nakamoto_providers",
    "nakamoto_operators",
    "max_operator_share",
    "operator_hhi",
    "operator_gini",
    "nvidia_gpu_share",
    "vendor_coverage",
    "supply_errors",
];

/// Each share of a known part and the coverage metric it rests on. A share
/// is always shown with its coverage.
pub const COVERAGE_OF: [(&str, &str); 4] = [
    ("nvidia_gpu_share", "vendor_coverage"),
    ("hyperscaler_share", "cloud_coverage"),
    ("largest_country_share", "country_coverage"),
    ("reported_uptime_mean", "uptime_coverage"),
];

/// Every metric name, in column order.
pub fn metric_names() -> impl Iterator<Item = &'static str> {
    METRIC_INFO.iter().map(|(m, _)| *m)
}

/// The coverage metric of a share of a known part.
pub fn coverage_metric(share: &str) -> Option<&'static str> {
    COVERAGE_OF
        .iter()
        .find(|(s, _)| *s == share)
        .map(|(_, c)| *c)
}

/// Checks the chosen metrics and completes them: duplicates dropped, and
/// the coverage metric inserted right after a share of a known part that
/// comes without it.
pub fn resolve_metrics(chosen: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for m in chosen {
        if !metric_names().any(|n| n == m) {
            return Err(format!(
                "`{m}` is not a history metric (the metrics are {}){}",
                metric_names().collect::<Vec<_>>().join(", "),
                crate::suggest::hint(m, metric_names())
            ));
        }
        if !out.contains(m) {
            out.push(m.clone());
        }
    }
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = coverage_metric(&out[i])
            && !out.iter().any(|m| m == c)
        {
            out.insert(i + 1, c.to_string());
        }
        i += 1;
    }
    Ok(out)
}

/// The `--metric` help: the defaults and every metric with its meaning.
pub fn metric_help(long: bool) -> String {
    let mut s = format!(
        "Metrics to show, comma-separated [default: {}]; of the defaults, those n/a in every snapshot are left out and named under the table",
        DEFAULT_METRICS.join(",")
    );
    if !long {
        s.push_str(&format!(
            "; all: {}",
            metric_names().collect::<Vec<_>>().join(", ")
        ));
        return s;
    }
    s.push_str(".\nA share of a known part always comes with its coverage metric, and is flagged \"(low coverage)\" in tables when that coverage is below 50%. Unknown values are n/a (null in JSON, empty in CSV), never 0.\nMetrics:");
    for (m, what) in METRIC_INFO {
        s.push_str(&format!("\n  {m}: {what}"));
    }
    s
}

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
    /// an unknown). `complete` is 1 (yes) or 0 (no).
    pub values: BTreeMap<String, Option<f64>>,
    /// Shares of a known part among the metrics whose coverage is below
    /// 50%: shown, but describing a minority of the weight.
    pub low_coverage: Vec<String>,
}

/// Uptime of one provider across the stored snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedUptime {
    pub provider: String,
    /// Snapshots since the provider was first seen (at least 2).
    pub observations: usize,
    /// Of those, how many found it up.
    pub up: usize,
    pub uptime: f64,
}

/// The fewest snapshots a derived uptime needs: the first appearance and at
/// least one later check.
pub const MIN_UPTIME_SNAPSHOTS: usize = 2;

/// How a derived uptime is counted, in words.
pub const UPTIME_RULE: &str = "a provider counts from its first appearance and needs at least one later snapshot; a snapshot that does not list it, or lists it offline, counts as down; a provider outside the active set counts as down";

/// Uptime derived from repeated observations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedUptime {
    /// Snapshots the uptime is derived from.
    pub snapshots: usize,
    /// Providers observed in at least 2 snapshots (first appearance and at
    /// least one later check): the ones with an uptime.
    pub providers: usize,
    /// Providers first listed in the latest snapshot: not yet checked
    /// again, so left out.
    pub providers_seen_once: usize,
    /// Dispersion of the per-provider uptimes (`null` when there are none).
    pub dispersion: Option<Dispersion>,
    /// Every provider with an uptime, least available first (ties by id).
    pub per_provider: Vec<ObservedUptime>,
    /// How the uptime is counted.
    pub rule: &'static str,
    /// Why there is no derived uptime (`null` when there is).
    pub reason: Option<String>,
}

/// The result of `rackaudit history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryReport {
    pub schema_version: &'static str,
    pub tool_version: &'static str,
    pub methodology_version: &'static str,
    pub network: String,
    /// Only snapshots taken on or after this time (`--since`).
    pub since: Option<String>,
    pub metrics: Vec<String>,
    /// Share of a known part → the coverage metric it rests on, for the
    /// metrics shown.
    pub coverage_of: BTreeMap<String, String>,
    /// Below this coverage a share is flagged `low_coverage`.
    pub low_coverage_below: f64,
    pub rows: Vec<HistoryRow>,
    /// Default metrics left out because every snapshot leaves them n/a
    /// (GPU figures of a network that lists no GPUs); a metric asked for
    /// with `--metric` is always shown.
    pub omitted_metrics: Vec<String>,
    pub uptime: DerivedUptime,
}

impl HistoryReport {
    /// Leaves out the metrics that are n/a in every row, and records them
    /// in `omitted_metrics`. A share of a known part and its coverage stay
    /// or go together.
    pub fn omit_unknown_metrics(&mut self) {
        let known = |m: &str| {
            self.rows
                .iter()
                .any(|r| r.values.get(m).is_some_and(Option::is_some))
        };
        let keep: Vec<bool> = self
            .metrics
            .iter()
            .map(|m| {
                let partner = coverage_metric(m)
                    .or_else(|| COVERAGE_OF.iter().find(|(_, c)| c == m).map(|(s, _)| *s));
                known(m) || partner.is_some_and(known)
            })
            .collect();
        let (kept, omitted): (Vec<_>, Vec<_>) = self
            .metrics
            .drain(..)
            .zip(keep)
            .partition(|(_, keep)| *keep);
        self.metrics = kept.into_iter().map(|(m, _)| m).collect();
        self.omitted_metrics = omitted.into_iter().map(|(m, _)| m).collect();
        let shown = &self.metrics;
        self.coverage_of.retain(|share, _| shown.contains(share));
        for row in &mut self.rows {
            row.values.retain(|m, _| shown.contains(m));
        }
    }
}

fn row(
    stored: &StoredSnapshot,
    s: &Snapshot,
    metrics: &[String],
    opts: &AuditOptions,
) -> HistoryRow {
    let a = audit_headline(s, opts);
    let w = a.headline.primary_weight;
    let cell = |d| find_cell(&a.concentration, d, w);
    let (provider, operator) = (cell(Dimension::Provider), cell(Dimension::Operator));
    // A coverage of the weight is known (possibly 0) whenever there is
    // weight at all; n/a only without any.
    let weighed = provider.is_some_and(|c| c.attributed_weight + c.unattributed_weight > 0.0);
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
        (
            // GPUs whose vendor is known, of all GPUs: n/a without GPUs.
            "vendor_coverage",
            a.headline.nvidia_gpu_share.map(|n| n.coverage),
        ),
        ("hyperscaler_share", a.cloud.hyperscaler_share.value),
        ("cloud_coverage", weighed.then_some(a.cloud.coverage)),
        (
            "largest_country_share",
            a.geography.largest_country_share.value,
        ),
        (
            "country_coverage",
            weighed.then_some(a.geography.country_coverage),
        ),
        (
            "reported_uptime_mean",
            a.uptime.as_ref().map(|u| u.providers.mean),
        ),
        (
            "uptime_coverage",
            (a.providers > 0).then(|| a.uptime.as_ref().map_or(0.0, |u| u.coverage)),
        ),
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
    let get = |m: &str| all.get(m).copied().flatten();
    let low_coverage = metrics
        .iter()
        .filter(|m| {
            coverage_metric(m)
                .is_some_and(|c| get(m).is_some() && get(c).is_some_and(|cov| cov < LOW_COVERAGE))
        })
        .cloned()
        .collect();
    HistoryRow {
        id: stored.id,
        taken_at: s.taken_at.clone(),
        input_sha256: s.input_sha256.clone(),
        weight: w,
        coalition_threshold: a.headline.coalitions.first().map(|c| c.threshold_text()),
        values: metrics.iter().map(|m| (m.clone(), get(m))).collect(),
        low_coverage,
    }
}

/// Whether a provider present in a snapshot was up: its own `online` flag,
/// else membership of the active set (a validator outside it counts as
/// down), else presence itself.
fn up(p: &crate::model::Provider) -> bool {
    p.online.unwrap_or(true) && p.active_set != Some(false)
}

/// Per-provider uptime over the snapshots, oldest first. A provider counts
/// from the first snapshot that lists it; a later snapshot that does not
/// list it is an observation of it being down. Only providers observed in
/// at least [`MIN_UPTIME_SNAPSHOTS`] snapshots have an uptime: a single
/// listing says nothing about availability. `since` is the start of the
/// period the snapshots were chosen from, if any (for the reason when
/// there are too few).
pub fn derived_uptime(snapshots: &[Snapshot], since: Option<&str>) -> DerivedUptime {
    let mut tally = UptimeTally::default();
    for s in snapshots {
        tally.add(s);
    }
    tally.finish(since)
}

/// [`derived_uptime`] one snapshot at a time: one small record per
/// provider ever listed, so a history's memory does not grow with the
/// number of snapshots.
#[derive(Debug, Default)]
pub struct UptimeTally {
    /// Provider id → (observations, observations up).
    seen: BTreeMap<String, (usize, usize)>,
    snapshots: usize,
}

impl UptimeTally {
    /// Counts the next snapshot (oldest first).
    pub fn add(&mut self, s: &Snapshot) {
        self.snapshots += 1;
        let present: rustc_hash::FxHashMap<&str, bool> =
            s.providers.iter().map(|p| (p.id.as_str(), up(p))).collect();
        for (id, e) in self.seen.iter_mut() {
            if !present.contains_key(id.as_str()) {
                e.0 += 1;
            }
        }
        for (id, is_up) in present {
            let e = match self.seen.get_mut(id) {
                Some(e) => e,
                None => self.seen.entry(id.to_string()).or_insert((0, 0)),
            };
            e.0 += 1;
            e.1 += usize::from(is_up);
        }
    }

    /// The uptime of every provider observed often enough.
    pub fn finish(self, since: Option<&str>) -> DerivedUptime {
        let seen_once = self
            .seen
            .values()
            .filter(|(obs, _)| *obs < MIN_UPTIME_SNAPSHOTS)
            .count();
        let mut per_provider: Vec<ObservedUptime> = self
            .seen
            .into_iter()
            .filter(|(_, (obs, _))| *obs >= MIN_UPTIME_SNAPSHOTS)
            .map(|(id, (obs, ups))| ObservedUptime {
                provider: id,
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
        let reason = if self.snapshots < MIN_UPTIME_SNAPSHOTS {
            Some(format!(
                "uptime needs at least {MIN_UPTIME_SNAPSHOTS} snapshots; the store holds {}{}",
                self.snapshots,
                since.map_or(String::new(), |t| format!(" taken since {t}"))
            ))
        } else if per_provider.is_empty() {
            Some(format!(
                "no provider was observed in at least {MIN_UPTIME_SNAPSHOTS} snapshots"
            ))
        } else {
            None
        };
        DerivedUptime {
            snapshots: self.snapshots,
            providers: per_provider.len(),
            providers_seen_once: seen_once,
            dispersion: dispersion(&values),
            per_provider,
            rule: UPTIME_RULE,
            reason,
        }
    }
}

/// The history of `network` over stored snapshots (oldest first), taken
/// on or after `since` when given. `metrics` should come from
/// [`resolve_metrics`].
pub fn history<E>(
    network: &str,
    stored: impl IntoIterator<Item = Result<(StoredSnapshot, Snapshot), E>>,
    metrics: &[String],
    opts: &AuditOptions,
    since: Option<&str>,
) -> Result<HistoryReport, E> {
    // A few snapshots at a time (one per thread, measured in parallel):
    // their rows and uptime observations are kept, the snapshots dropped
    // before the next are read, so memory is flat in their number.
    use rayon::prelude::*;
    let batch = rayon::current_num_threads().max(1);
    let mut rows = Vec::new();
    let mut tally = UptimeTally::default();
    let mut stored = stored.into_iter();
    loop {
        let chunk = stored.by_ref().take(batch).collect::<Result<Vec<_>, E>>()?;
        if chunk.is_empty() {
            break;
        }
        rows.par_extend(chunk.par_iter().map(|(st, s)| row(st, s, metrics, opts)));
        for (_, s) in &chunk {
            tally.add(s);
        }
    }
    Ok(HistoryReport {
        schema_version: crate::SCHEMA_VERSION,
        tool_version: crate::TOOL_VERSION,
        methodology_version: crate::METHODOLOGY_VERSION,
        network: network.to_string(),
        since: since.map(str::to_string),
        metrics: metrics.to_vec(),
        coverage_of: metrics
            .iter()
            .filter_map(|m| coverage_metric(m).map(|c| (m.clone(), c.to_string())))
            .collect(),
        low_coverage_below: LOW_COVERAGE,
        rows,
        omitted_metrics: Vec::new(),
        uptime: tally.finish(since),
    })
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
            snap(&[("a", Some(true)), ("d", None)]),
        ];
        let u = derived_uptime(&snaps, None);
        let by: BTreeMap<&str, (usize, usize)> = u
            .per_provider
            .iter()
            .map(|p| (p.provider.as_str(), (p.observations, p.up)))
            .collect();
        // a: 4 observations, down once (flag); b: seen in 1 and 3, absent in
        // 2 and 4; c: from its first appearance (2): present in 2, 3; d:
        // listed once, in the latest snapshot: no uptime yet.
        assert_eq!(by["a"], (4, 3));
        assert_eq!(by["b"], (4, 2));
        assert_eq!(by["c"], (3, 2));
        assert!(!by.contains_key("d"));
        assert_eq!(u.providers_seen_once, 1);
        assert_eq!(u.per_provider[0].provider, "b", "least available first");
        assert_eq!(u.dispersion.unwrap().n, 3);
        assert_eq!(u.reason, None);
    }

    #[test]
    fn one_snapshot_is_no_uptime_observation() {
        let u = derived_uptime(&[snap(&[("a", Some(true)), ("b", None)])], None);
        assert_eq!((u.providers, u.providers_seen_once), (0, 2));
        assert!(u.dispersion.is_none() && u.per_provider.is_empty());
        assert_eq!(
            u.reason.as_deref(),
            Some("uptime needs at least 2 snapshots; the store holds 1")
        );
    }

    #[test]
    fn outside_the_active_set_counts_as_down() {
        let mut later = snap(&[("a", None)]);
        later.providers[0].active_set = Some(false);
        let u = derived_uptime(&[snap(&[("a", None)]), later], None);
        assert_eq!(u.per_provider[0].up, 1);
        assert_eq!(u.per_provider[0].observations, 2);
    }

    #[test]
    fn metrics_are_checked_and_shares_get_their_coverage() {
        let m = |list: &[&str]| {
            resolve_metrics(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            m(&["hyperscaler_share", "providers", "providers"]).unwrap(),
            ["hyperscaler_share", "cloud_coverage", "providers"]
        );
        assert_eq!(
            m(&["cloud_coverage", "hyperscaler_share"]).unwrap(),
            ["cloud_coverage", "hyperscaler_share"]
        );
        let e = m(&["hyperscaler_shar"]).unwrap_err();
        assert!(e.contains("did you mean `hyperscaler_share`"), "{e}");
        // The defaults are metrics, and complete (a share's coverage is in).
        let d: Vec<String> = DEFAULT_METRICS.iter().map(|s| s.to_string()).collect();
        assert_eq!(resolve_metrics(&d).unwrap(), d);
        for (share, cov) in COVERAGE_OF {
            assert!(metric_names().any(|n| n == share) && metric_names().any(|n| n == cov));
        }
        let help = metric_help(true);
        for name in metric_names() {
            assert!(help.contains(name), "{name}");
        }
        assert!(help.contains(&DEFAULT_METRICS.join(",")));
    }
}
