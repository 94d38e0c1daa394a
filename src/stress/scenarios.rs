//! Stress scenarios: baseline, resilience curves, single losses, the
//! workload Nakamoto coefficient and Monte Carlo availability.

use super::instance::Instance;
use super::solver::{Placement, best_greedy, solve};
use super::workload::{Class, Workload};
use crate::audit::{Weight, cloud, provider_vector};
use crate::entities::{self, ResolveOptions};
use crate::error::Error;
use crate::model::Snapshot;
use crate::report::pct;
use rayon::prelude::*;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::collections::{BTreeMap, BTreeSet};

/// Parts of a stress run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Baseline,
    Resilience,
    Single,
    Nakamoto,
    Montecarlo,
}

impl Part {
    /// The part's field in [`StressResult`].
    pub fn field(self) -> &'static str {
        match self {
            Part::Baseline => "baseline",
            Part::Resilience => "resilience",
            Part::Single => "single_losses",
            Part::Nakamoto => "workload_nakamoto",
            Part::Montecarlo => "monte_carlo",
        }
    }
}

/// Options of a stress run.
#[derive(Debug, Clone, Serialize)]
pub struct StressOptions {
    /// Largest k of the resilience curves.
    pub max_k: usize,
    /// Weight that ranks providers and operators for removal.
    pub by: Weight,
    /// Served fraction the workload Nakamoto coefficient must drop below.
    pub level: f64,
    /// Monte Carlo trials (at least 1 when Monte Carlo is run).
    pub trials: u64,
    pub seed: u64,
    /// Up-probability of providers without a known uptime (default 1).
    pub default_uptime: f64,
    pub parts: BTreeSet<Part>,
    #[serde(skip)]
    pub entities: ResolveOptions,
}

impl StressOptions {
    /// Every part, k up to 10 ranked by GPUs, level 50%, 1,000 trials with
    /// seed 1, providers without uptime always up: the `report` defaults.
    pub fn standard(entities: ResolveOptions) -> Self {
        StressOptions {
            max_k: 10,
            by: Weight::Gpus,
            level: 0.5,
            trials: 1000,
            seed: 1,
            default_uptime: 1.0,
            parts: [
                Part::Baseline,
                Part::Resilience,
                Part::Single,
                Part::Nakamoto,
                Part::Montecarlo,
            ]
            .into(),
            entities,
        }
    }
}

/// Served demand of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassResult {
    pub name: String,
    pub demanded_gpus: u64,
    pub served_gpus: u64,
    pub served_fraction: f64,
    /// Providers that can host one replica: a bin (GPUs of one model) the
    /// class accepts with room for a whole replica, or for classes that may
    /// spread across providers, at least one GPU the class accepts.
    pub hostable_providers: usize,
    /// Why nothing of the class can be served, when no replica fits anywhere.
    pub note: Option<String>,
}

/// Served demand with the whole network up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    pub served_fraction: f64,
    pub served_gpus: u64,
    pub demanded_gpus: u64,
    /// Proven upper bound on served GPUs.
    pub upper_bound_gpus: u64,
    pub per_class: Vec<ClassResult>,
    pub exact: bool,
    pub gap: f64,
}

/// One point of a resilience curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub k: usize,
    /// Ids removed at this step (cumulative list is the first k of `order`).
    pub removed: Vec<String>,
    pub served_fraction: f64,
    pub exact: bool,
    pub gap: f64,
}

/// Served demand as the largest providers and operators leave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resilience {
    pub by: Weight,
    pub providers: Vec<Step>,
    pub operators: Vec<Step>,
}

/// Served demand after losing every provider with one value of a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loss {
    pub value: String,
    pub providers: usize,
    pub served_fraction: f64,
    pub exact: bool,
}

/// Fewest groups whose joint loss drops served demand below the level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NakamotoResult {
    /// The best proven count (the upper bound); null when no loss is proven
    /// to reach the level or the coefficient is not applicable.
    pub value: Option<usize>,
    /// Proven lower bound; null when the coefficient is not applicable.
    pub lower_bound: Option<usize>,
    pub upper_bound: Option<usize>,
    pub exact: bool,
    /// Groups whose loss achieves `upper_bound`.
    pub removed: Vec<String>,
    /// Why `value` is null; null when it is given.
    pub reason: Option<String>,
}

impl NakamotoResult {
    fn without_value(lower_bound: Option<usize>, reason: String) -> Self {
        NakamotoResult {
            value: None,
            lower_bound,
            upper_bound: None,
            exact: false,
            removed: vec![],
            reason: Some(reason),
        }
    }
}

/// Workload Nakamoto coefficients per dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadNakamoto {
    pub level: f64,
    pub operators: NakamotoResult,
    pub providers: NakamotoResult,
    pub countries: NakamotoResult,
    pub clouds: NakamotoResult,
}

/// Served demand when each provider is up with probability = its uptime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonteCarlo {
    pub trials: u64,
    pub seed: u64,
    pub default_uptime: f64,
    pub providers_without_uptime: usize,
    pub mean: f64,
    pub p5: f64,
    pub p1: f64,
    /// Trials are placed by the greedy heuristics only (a lower bound per
    /// trial); the baseline's gap shows how far that can be from optimal.
    pub placement: &'static str,
}

/// The stress test of one snapshot.
///
/// Parts not requested are omitted; when the test is not applicable (no
/// GPUs), every requested part is `null` and `not_applicable` says why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressResult {
    pub network: String,
    pub location: String,
    pub input_sha256: String,
    pub providers: usize,
    pub providers_with_eligible_gpus: usize,
    /// Why no part could be computed (the data has no GPUs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// Which GPUs the workload is placed on, where the source lists offers
    /// that cover only part of the machines (Vast.ai): their full capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
    /// Null when the test is not applicable.
    pub baseline: Option<Baseline>,
    /// The requested parts other than the baseline when not applicable.
    #[serde(flatten)]
    null_parts: NullParts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resilience: Option<Resilience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_losses: Option<BTreeMap<String, Vec<Loss>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_nakamoto: Option<WorkloadNakamoto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monte_carlo: Option<MonteCarlo>,
}

/// Parts serialised as `"field": null` (see [`StressResult`]).
#[derive(Debug, Clone, Default, PartialEq)]
struct NullParts(Vec<Part>);

impl Serialize for NullParts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for p in &self.0 {
            map.serialize_entry(p.field(), &())?;
        }
        map.end()
    }
}

/// Named groups of providers (operators, countries, …).
struct Groups {
    labels: Vec<String>,
    members: Vec<Vec<usize>>,
}

fn fraction(served: u64, demanded: u64) -> f64 {
    if demanded == 0 {
        0.0
    } else {
        served as f64 / demanded as f64
    }
}

fn place(inst: &Instance, alive: &[bool]) -> Placement {
    solve(&inst.demands, &inst.types(alive))
}

fn place_without(inst: &Instance, n: usize, removed: &[usize]) -> Placement {
    let mut alive = vec![true; n];
    for &p in removed {
        alive[p] = false;
    }
    place(inst, &alive)
}

/// Runs the stress test of a snapshot (not applicable when it has no GPUs).
pub fn stress(
    snapshot: &Snapshot,
    workload: &Workload,
    opts: &StressOptions,
) -> crate::Result<StressResult> {
    stress_checked(snapshot, snapshot, workload, opts)
}

/// Runs the stress test of `passing`, the part of `listed` that passes the
/// supply checks; when no GPU passes, the reason names what `listed` had.
pub fn stress_checked(
    listed: &Snapshot,
    passing: &Snapshot,
    workload: &Workload,
    opts: &StressOptions,
) -> crate::Result<StressResult> {
    if opts.trials == 0 && opts.parts.contains(&Part::Montecarlo) {
        return Err(Error::Usage(
            "Monte Carlo needs at least 1 trial: --trials must be at least 1".into(),
        ));
    }
    let inst = Instance::new(passing, workload)?;
    if let Some(reason) = no_gpus_reason(listed, passing) {
        return Ok(not_applicable(passing, opts, reason));
    }
    let snapshot = passing;
    let n = snapshot.providers.len();
    let base = place(&inst, &vec![true; n]);
    let baseline = Baseline {
        served_fraction: fraction(base.served_gpus, inst.demanded_gpus),
        served_gpus: base.served_gpus,
        demanded_gpus: inst.demanded_gpus,
        upper_bound_gpus: base.upper_bound_gpus,
        per_class: class_results(snapshot, workload, &inst, &base),
        exact: base.exact,
        gap: base.gap(),
    };
    let weights: Vec<f64> = snapshot
        .providers
        .iter()
        .map(|p| provider_vector(p)[opts.by as usize])
        .collect();
    let resolution = entities::resolve(&snapshot.providers, &opts.entities);
    let operators = Groups {
        labels: resolution.operators.iter().map(|o| o.id.clone()).collect(),
        members: resolution
            .operators
            .iter()
            .map(|o| o.members.clone())
            .collect(),
    };
    let providers = Groups {
        labels: snapshot.providers.iter().map(|p| p.id.clone()).collect(),
        members: (0..n).map(|i| vec![i]).collect(),
    };
    let has = |part| opts.parts.contains(&part);
    let usable = inst.usable_gpus(n);
    let coefficient =
        |groups: &Groups, noun: Noun| nakamoto(&inst, n, groups, &usable, &base, opts.level, noun);
    Ok(StressResult {
        network: snapshot.network.clone(),
        location: snapshot.source.location.clone(),
        input_sha256: snapshot.input_sha256.clone(),
        providers: n,
        providers_with_eligible_gpus: usable.iter().filter(|&&u| u > 0).count(),
        not_applicable: None,
        capacity: capacity_note(snapshot),
        null_parts: NullParts::default(),
        resilience: has(Part::Resilience).then(|| Resilience {
            by: opts.by,
            providers: curve(&inst, n, &providers, &weights, opts.max_k),
            operators: curve(&inst, n, &operators, &weights, opts.max_k),
        }),
        single_losses: has(Part::Single).then(|| single_losses(snapshot, &inst)),
        workload_nakamoto: has(Part::Nakamoto).then(|| WorkloadNakamoto {
            level: opts.level,
            operators: coefficient(&operators, Noun::OPERATOR),
            providers: coefficient(&providers, Noun::PROVIDER),
            countries: coefficient(
                &field_groups(snapshot, |p| p.country.clone()),
                Noun::COUNTRY,
            ),
            clouds: coefficient(&cloud_groups(snapshot), Noun::CLOUD),
        }),
        monte_carlo: has(Part::Montecarlo).then(|| monte_carlo(snapshot, &inst, opts)),
        baseline: Some(baseline),
    })
}

/// Why `passing` offers no GPU capacity to stress, if it offers none;
/// `listed` is the data before the supply checks.
pub fn no_gpus_reason(listed: &Snapshot, passing: &Snapshot) -> Option<String> {
    if passing.providers.iter().any(|p| p.gpu_count() > 0) {
        return None;
    }
    let listed_gpus = listed
        .providers
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.gpu_count()));
    let models_only = listed
        .providers
        .iter()
        .filter(|p| !p.declared_gpu_models.is_empty())
        .count();
    let detail = if listed.providers.is_empty() {
        "the data lists no providers".to_string()
    } else if listed_gpus > 0 {
        format!(
            "{} listed, none passes the supply checks (see rackaudit verify-supply)",
            count(listed_gpus, "GPU", "GPUs")
        )
    } else if models_only > 0 {
        format!(
            "the data lists GPU models but no GPU counts ({} name models only)",
            count(models_only as u64, "provider", "providers")
        )
    } else if listed.providers.iter().any(|p| p.stake.is_some()) {
        "the data lists no GPU capacity (stake-only network)".to_string()
    } else {
        "the data lists no GPU capacity".to_string()
    };
    Some(format!("no GPUs: {detail}"))
}

/// Says that workloads are placed on machine capacity where the source
/// also lists the (smaller) slices currently offered.
fn capacity_note(s: &Snapshot) -> Option<String> {
    let offered: Vec<u64> = s.providers.iter().filter_map(|p| p.gpus_offered).collect();
    if offered.is_empty() {
        return None;
    }
    let machines = s
        .providers
        .iter()
        .fold(0u64, |a, p| a.saturating_add(p.gpu_count()));
    let listed = offered.iter().fold(0u64, |a, &b| a.saturating_add(b));
    Some(format!(
        "placed on the machines' full capacity ({machines} GPUs), not only on the {listed} GPUs in the listed offers"
    ))
}

/// The result of a snapshot without GPUs: every requested part null.
fn not_applicable(s: &Snapshot, opts: &StressOptions, reason: String) -> StressResult {
    StressResult {
        network: s.network.clone(),
        location: s.source.location.clone(),
        input_sha256: s.input_sha256.clone(),
        providers: s.providers.len(),
        providers_with_eligible_gpus: 0,
        not_applicable: Some(reason),
        capacity: None,
        baseline: None,
        null_parts: NullParts(
            opts.parts
                .iter()
                .copied()
                .filter(|&p| p != Part::Baseline)
                .collect(),
        ),
        resilience: None,
        single_losses: None,
        workload_nakamoto: None,
        monte_carlo: None,
    }
}

/// `n` with its noun: "1 provider", "2 providers".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Served demand per class, with the providers that can host it.
fn class_results(
    s: &Snapshot,
    workload: &Workload,
    inst: &Instance,
    base: &Placement,
) -> Vec<ClassResult> {
    workload
        .classes
        .iter()
        .enumerate()
        .zip(&base.per_class_gpus)
        .map(|((j, c), &served)| {
            let unit = inst.demands[j].unit;
            let eligible: Vec<u64> = inst
                .bins
                .iter()
                .filter(|b| b.eligible & (1 << j) != 0 && b.capacity > 0)
                .map(|b| b.capacity)
                .collect();
            let hostable: BTreeSet<usize> = inst
                .bins
                .iter()
                .filter(|b| b.eligible & (1 << j) != 0 && b.capacity >= unit)
                .map(|b| b.provider)
                .collect();
            let eligible_total = eligible.iter().fold(0u64, |sum, &c| sum.saturating_add(c));
            let note = if hostable.is_empty() {
                let why = match eligible.iter().max() {
                    Some(most) => format!(
                        "the most any provider has of one eligible model is {}",
                        count(*most, "GPU", "GPUs")
                    ),
                    None => no_qualifying_gpu(s, c),
                };
                Some(format!(
                    "no provider can host it: needs {}; {why}",
                    requirement(c)
                ))
            } else if !c.same_provider && eligible_total < c.gpus_per_replica {
                Some(format!(
                    "no replica fits: needs {}, and the network has only {} it can use",
                    requirement(c),
                    count(eligible_total, "GPU", "GPUs")
                ))
            } else {
                None
            };
            ClassResult {
                name: c.name.clone(),
                demanded_gpus: c.demanded_gpus(),
                served_gpus: served,
                served_fraction: fraction(served, c.demanded_gpus()),
                hostable_providers: hostable.len(),
                note,
            }
        })
        .collect()
}

/// What one replica of a class needs, in words.
fn requirement(c: &Class) -> String {
    let mut r = count(c.gpus_per_replica, "GPU", "GPUs");
    if let Some(m) = c.min_gpu_memory_gb {
        r += &format!(" of ≥ {m} GB");
    }
    if !c.models.is_empty() {
        r += &format!(" of model {}", c.models.join(" or "));
    }
    r += if !c.same_provider {
        " (may spread across providers)"
    } else if c.gpus_per_replica > 1 {
        " on one provider"
    } else {
        ""
    };
    r
}

/// No listed GPU is eligible for `c`; counts those of unknown memory that
/// would be, had they enough.
fn no_qualifying_gpu(s: &Snapshot, c: &Class) -> String {
    let unknown = if c.min_gpu_memory_gb.is_some() {
        s.providers
            .iter()
            .flat_map(|p| &p.gpus)
            .filter(|g| g.memory_gb.is_none() && c.accepts(g.model.as_deref(), Some(f64::MAX)))
            .fold(0u64, |sum, g| sum.saturating_add(g.count))
    } else {
        0
    };
    if unknown > 0 {
        format!(
            "no listed GPU qualifies ({} of unknown memory)",
            count(unknown, "GPU", "GPUs")
        )
    } else {
        "no listed GPU qualifies".to_string()
    }
}

/// Groups ordered by their total `weights`, largest first (ties by label).
fn ranked(groups: &Groups, weights: &[f64]) -> Vec<usize> {
    let total = |g: usize| groups.members[g].iter().map(|&p| weights[p]).sum::<f64>();
    let mut order: Vec<usize> = (0..groups.labels.len()).collect();
    order.sort_by(|&a, &b| {
        total(b)
            .total_cmp(&total(a))
            .then_with(|| groups.labels[a].cmp(&groups.labels[b]))
    });
    order
}

fn curve(inst: &Instance, n: usize, groups: &Groups, weights: &[f64], max_k: usize) -> Vec<Step> {
    let order = ranked(groups, weights);
    let mut removed_providers = Vec::new();
    (0..=max_k.min(order.len()))
        .map(|k| {
            if k > 0 {
                removed_providers.extend(groups.members[order[k - 1]].iter().copied());
            }
            let p = place_without(inst, n, &removed_providers);
            Step {
                k,
                removed: order[..k]
                    .iter()
                    .map(|&g| groups.labels[g].clone())
                    .collect(),
                served_fraction: fraction(p.served_gpus, inst.demanded_gpus),
                exact: p.exact,
                gap: p.gap(),
            }
        })
        .collect()
}

fn field_groups(s: &Snapshot, key: impl Fn(&crate::model::Provider) -> Option<String>) -> Groups {
    let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in s.providers.iter().enumerate() {
        if let Some(k) = key(p) {
            by.entry(k).or_default().push(i);
        }
    }
    Groups {
        labels: by.keys().cloned().collect(),
        members: by.into_values().collect(),
    }
}

fn cloud_groups(s: &Snapshot) -> Groups {
    field_groups(s, |p| {
        cloud::resolve(p.cloud.as_deref(), p.asn).map(|c| c.name)
    })
}

fn single_losses(s: &Snapshot, inst: &Instance) -> BTreeMap<String, Vec<Loss>> {
    let n = s.providers.len();
    let dims: [(&str, Groups); 4] = [
        ("country", field_groups(s, |p| p.country.clone())),
        ("asn", field_groups(s, |p| p.asn.map(|a| format!("AS{a}")))),
        ("cloud", cloud_groups(s)),
        ("datacenter", field_groups(s, |p| p.datacenter.clone())),
    ];
    dims.into_iter()
        .map(|(name, g)| {
            let mut losses: Vec<Loss> = g
                .labels
                .iter()
                .zip(&g.members)
                .map(|(label, members)| {
                    let p = place_without(inst, n, members);
                    Loss {
                        value: label.clone(),
                        providers: members.len(),
                        served_fraction: fraction(p.served_gpus, inst.demanded_gpus),
                        exact: p.exact,
                    }
                })
                .collect();
            losses.sort_by(|a, b| {
                a.served_fraction
                    .total_cmp(&b.served_fraction)
                    .then_with(|| a.value.cmp(&b.value))
            });
            (name.to_string(), losses)
        })
        .collect()
}

/// How the groups of one dimension are named in reasons.
#[derive(Debug, Clone, Copy)]
struct Noun {
    one: &'static str,
    many: &'static str,
}

impl Noun {
    const OPERATOR: Noun = Noun {
        one: "operator",
        many: "operators",
    };
    const PROVIDER: Noun = Noun {
        one: "provider",
        many: "providers",
    };
    const COUNTRY: Noun = Noun {
        one: "country",
        many: "countries",
    };
    const CLOUD: Noun = Noun {
        one: "cloud",
        many: "clouds",
    };
}

/// Fewest groups whose loss drops served demand below `level`: a lower
/// bound from capacity (a group's loss lowers the optimum by at most the
/// GPUs it can contribute), an upper bound from removing groups by usable
/// capacity until the flow bound proves the drop, and an exhaustive check of
/// the counts in between when the groups are few. Not applicable (null with
/// a reason) when the baseline is already below the level or the field is
/// unknown for every provider.
fn nakamoto(
    inst: &Instance,
    n: usize,
    groups: &Groups,
    usable: &[u64],
    base: &Placement,
    level: f64,
    noun: Noun,
) -> NakamotoResult {
    let target = level * inst.demanded_gpus as f64;
    if (base.served_gpus as f64) < target {
        return NakamotoResult::without_value(None, below_level(inst, base, level));
    }
    if groups.labels.is_empty() {
        // The field is unknown for every provider: nothing to remove.
        return NakamotoResult::without_value(
            None,
            format!("{} unknown for every provider", noun.one),
        );
    }
    let caps: Vec<u64> = groups
        .members
        .iter()
        .map(|m| m.iter().map(|&p| usable[p]).sum())
        .collect();
    let mut sorted = caps.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let need = base.served_gpus as f64 - target;
    let mut lower = 0;
    let mut acc = 0u64;
    while (acc as f64) <= need && lower < sorted.len() {
        acc += sorted[lower];
        lower += 1;
    }
    if (acc as f64) <= need {
        // Even losing every group leaves at least `served - acc` GPUs served
        // (the groups do not cover the supply, or the level is 0).
        let left = fraction(base.served_gpus.saturating_sub(acc), inst.demanded_gpus);
        return NakamotoResult::without_value(
            Some(lower),
            format!(
                "not reachable: even losing {} leaves at least {} served (level {}){}",
                all_of(groups.labels.len(), noun),
                pct(left),
                pct(level),
                unknown_tail(groups, usable, noun)
            ),
        );
    }
    let mut order: Vec<usize> = (0..caps.len()).collect();
    order.sort_by(|&a, &b| {
        caps[b]
            .cmp(&caps[a])
            .then_with(|| groups.labels[a].cmp(&groups.labels[b]))
    });
    let mut removed = Vec::new();
    let mut upper = None;
    for (k, &g) in order.iter().enumerate() {
        removed.extend(groups.members[g].iter().copied());
        if (k + 1) >= lower && (place_without(inst, n, &removed).upper_bound_gpus as f64) < target {
            upper = Some(k + 1);
            break;
        }
    }
    // With few groups, a greedy by actual impact (remove the group whose loss
    // hurts the placement most) often proves a smaller count.
    if groups.labels.len() <= 64
        && let Some((k, chosen)) =
            impact_greedy(inst, n, groups, target, upper.unwrap_or(usize::MAX))
    {
        upper = Some(k);
        let rest: Vec<usize> = order
            .iter()
            .copied()
            .filter(|g| !chosen.contains(g))
            .collect();
        order = chosen.into_iter().chain(rest).collect();
    }
    let mut result = NakamotoResult {
        value: upper,
        lower_bound: Some(lower),
        upper_bound: upper,
        exact: upper == Some(lower),
        removed: upper
            .map(|u| {
                order[..u]
                    .iter()
                    .map(|&g| groups.labels[g].clone())
                    .collect()
            })
            .unwrap_or_default(),
        reason: None,
    };
    if !result.exact && groups.labels.len() <= 16 {
        exhaustive(inst, n, groups, &caps, base, target, &mut result);
    }
    if result.value.is_none() {
        result.reason = Some(not_reached(inst, n, groups, usable, level, noun));
    }
    result
}

/// Why the coefficient does not apply when the baseline is below the level.
fn below_level(inst: &Instance, base: &Placement, level: f64) -> String {
    let served = pct(fraction(base.served_gpus, inst.demanded_gpus));
    if (base.upper_bound_gpus as f64) < level * inst.demanded_gpus as f64 {
        format!(
            "baseline already below the level: {served} served with every provider up (level {})",
            pct(level)
        )
    } else {
        format!(
            "baseline may already be below the level: {served} served with every provider up, proven at most {} (level {})",
            pct(fraction(base.upper_bound_gpus, inst.demanded_gpus)),
            pct(level)
        )
    }
}

/// Why no count of groups was found to reach the level, when even removing
/// them all was tried by the search.
fn not_reached(
    inst: &Instance,
    n: usize,
    groups: &Groups,
    usable: &[u64],
    level: f64,
    noun: Noun,
) -> String {
    let all: Vec<usize> = groups.members.iter().flatten().copied().collect();
    let p = place_without(inst, n, &all);
    let all_groups = all_of(groups.labels.len(), noun);
    let served = pct(fraction(p.served_gpus, inst.demanded_gpus));
    if p.served_gpus as f64 >= level * inst.demanded_gpus as f64 {
        format!(
            "not reachable: even losing {all_groups} leaves {served} served (level {}){}",
            pct(level),
            unknown_tail(groups, usable, noun)
        )
    } else {
        format!(
            "not proven: losing {all_groups} leaves between {served} and {} served (level {})",
            pct(fraction(p.upper_bound_gpus, inst.demanded_gpus)),
            pct(level)
        )
    }
}

/// "the only country", "all 3 countries".
fn all_of(m: usize, noun: Noun) -> String {
    if m == 1 {
        format!("the only {}", noun.one)
    } else {
        format!("all {m} {}", noun.many)
    }
}

/// "; country unknown for 3 providers with eligible GPUs", or nothing.
fn unknown_tail(groups: &Groups, usable: &[u64], noun: Noun) -> String {
    let mut grouped = vec![false; usable.len()];
    groups
        .members
        .iter()
        .flatten()
        .for_each(|&p| grouped[p] = true);
    let unknown = usable
        .iter()
        .zip(&grouped)
        .filter(|&(&u, &g)| u > 0 && !g)
        .count();
    if unknown == 0 {
        String::new()
    } else {
        format!(
            "; {} unknown for {} with eligible GPUs",
            noun.one,
            count(unknown as u64, "provider", "providers")
        )
    }
}

/// Removes, one at a time, the group whose loss leaves the least served
/// demand, until the flow bound proves the level is crossed; returns the
/// count and the groups if that beats `best`.
fn impact_greedy(
    inst: &Instance,
    n: usize,
    groups: &Groups,
    target: f64,
    best: usize,
) -> Option<(usize, Vec<usize>)> {
    let mut alive = vec![true; n];
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() + 1 < best.min(groups.labels.len() + 1) {
        let pick = (0..groups.labels.len())
            .filter(|g| !chosen.contains(g))
            .min_by_key(|&g| {
                let mut trial = alive.clone();
                groups.members[g].iter().for_each(|&p| trial[p] = false);
                (best_greedy(&inst.demands, &inst.types(&trial)).0, g)
            })?;
        groups.members[pick].iter().for_each(|&p| alive[p] = false);
        chosen.push(pick);
        if (place(inst, &alive).upper_bound_gpus as f64) < target {
            return Some((chosen.len(), chosen));
        }
    }
    None
}

/// Checks every combination of k groups for k between the bounds.
fn exhaustive(
    inst: &Instance,
    n: usize,
    groups: &Groups,
    caps: &[u64],
    base: &Placement,
    target: f64,
    r: &mut NakamotoResult,
) {
    let (Some(lower), Some(upper)) = (r.lower_bound, r.upper_bound) else {
        return;
    };
    let need = base.served_gpus as f64 - target;
    let m = groups.labels.len();
    for k in lower..upper {
        let mut all_above = true;
        let mut found: Option<Vec<usize>> = None;
        for combo in combinations(m, k) {
            if (combo.iter().map(|&g| caps[g]).sum::<u64>() as f64) <= need {
                continue; // cannot reach the level
            }
            let removed: Vec<usize> = combo
                .iter()
                .flat_map(|&g| groups.members[g].iter().copied())
                .collect();
            let p = place_without(inst, n, &removed);
            if (p.upper_bound_gpus as f64) < target {
                found = Some(combo);
                break;
            }
            if (p.served_gpus as f64) < target {
                all_above = false; // undecided: placement below, bound above
            }
        }
        if let Some(combo) = found {
            r.upper_bound = Some(k);
            r.value = Some(k);
            r.removed = combo.iter().map(|&g| groups.labels[g].clone()).collect();
            r.exact = all_above || Some(k) == r.lower_bound;
            return;
        }
        if !all_above {
            return;
        }
        r.lower_bound = Some(k + 1);
    }
    r.exact = r.upper_bound == r.lower_bound;
}

fn combinations(m: usize, k: usize) -> Vec<Vec<usize>> {
    fn go(start: usize, m: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..m {
            cur.push(i);
            go(i + 1, m, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    go(0, m, k, &mut Vec::new(), &mut out);
    out
}

fn monte_carlo(s: &Snapshot, inst: &Instance, opts: &StressOptions) -> MonteCarlo {
    let up: Vec<f64> = s
        .providers
        .iter()
        .map(|p| p.uptime.as_ref().map_or(opts.default_uptime, |u| u.value))
        .collect();
    let mut served: Vec<f64> = (0..opts.trials)
        .into_par_iter()
        .map(|t| {
            // Each trial has its own generator, so results do not depend on
            // how trials are spread over threads.
            let mut rng = crate::synth::Rng::new(opts.seed ^ t.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let alive: Vec<bool> = up.iter().map(|&u| rng.unit() < u).collect();
            fraction(
                best_greedy(&inst.demands, &inst.types(&alive)).0,
                inst.demanded_gpus,
            )
        })
        .collect();
    // `stress` refuses Monte Carlo without trials, so `served` is not empty.
    served.sort_by(f64::total_cmp);
    let q = |p: f64| quantile(&served, p);
    MonteCarlo {
        trials: opts.trials,
        seed: opts.seed,
        default_uptime: opts.default_uptime,
        providers_without_uptime: s.providers.iter().filter(|p| p.uptime.is_none()).count(),
        mean: crate::metrics::sum::sum(served.iter().copied()) / served.len() as f64,
        p5: q(0.05),
        p1: q(0.01),
        placement: "greedy",
    }
}

/// Type-7 quantile of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyKind, Source, Uptime, gpu};

    fn empty_snapshot() -> Snapshot {
        let source = Source {
            adapter: "t".into(),
            location: "t".into(),
            note: None,
        };
        Snapshot::new("t", source, "00".into())
    }

    fn snapshot() -> Snapshot {
        let mut s = empty_snapshot();
        // Operator X: two providers with 8 H100 each; Y: one with 8 H100;
        // Z: 4 RTX 4090 (too little memory for the 80 GB class).
        for (id, op, model, mem, n, country) in [
            ("a", "X", "h100", 80.0, 8, "US"),
            ("b", "X", "h100", 80.0, 8, "US"),
            ("c", "Y", "h100", 80.0, 8, "DE"),
            ("d", "Z", "rtx4090", 24.0, 4, "FR"),
        ] {
            let mut p = crate::model::Provider::new(id);
            p.add_key(KeyKind::Declared, op);
            p.country = Some(country.into());
            p.gpus.push(gpu::normalize(model, None, Some(mem), n));
            p.uptime = Some(Uptime {
                value: 1.0,
                window: "7d".into(),
            });
            s.providers.push(p);
        }
        s
    }

    fn workload() -> Workload {
        super::super::workload::parse(
            "w",
            "name = \"w\"\n[[class]]\nname = \"big\"\nreplicas = 3\ngpus_per_replica = 8\nmin_gpu_memory_gb = 80\n[[class]]\nname = \"small\"\nreplicas = 4\ngpus_per_replica = 1\nmin_gpu_memory_gb = 16\n",
        )
        .unwrap()
    }

    fn options() -> StressOptions {
        StressOptions {
            max_k: 3,
            trials: 200,
            seed: 7,
            ..StressOptions::standard(ResolveOptions::default())
        }
    }

    #[test]
    fn scenarios_on_a_hand_built_network() {
        let r = stress(&snapshot(), &workload(), &options()).unwrap();
        assert_eq!(r.not_applicable, None);
        let b = r.baseline.as_ref().unwrap();
        // 24 + 4 of 28 GPUs demanded: everything fits.
        assert_eq!((b.served_gpus, b.demanded_gpus, b.exact), (28, 28, true));
        // Three providers have 8 H100 for the 8-GPU class; all four fit a 1-GPU replica.
        let hostable: Vec<(usize, Option<&str>)> = b
            .per_class
            .iter()
            .map(|c| (c.hostable_providers, c.note.as_deref()))
            .collect();
        assert_eq!(hostable, [(3, None), (4, None)]);
        let res = r.resilience.unwrap();
        // Removing operator X (16 H100) leaves one 8-GPU replica and the 4 small ones: 12 / 28.
        assert_eq!(res.operators[1].removed, ["declared:X"]);
        assert!((res.operators[1].served_fraction - 12.0 / 28.0).abs() < 1e-12);
        let curve: Vec<f64> = res.providers.iter().map(|s| s.served_fraction).collect();
        assert!(
            curve.windows(2).all(|w| w[1] <= w[0]),
            "removing providers never increases served demand: {curve:?}"
        );
        let n = r.workload_nakamoto.unwrap();
        assert_eq!((n.operators.value, n.operators.exact), (Some(1), true));
        assert_eq!(n.providers.value, Some(2));
        assert_eq!(n.countries.value, Some(1), "losing the US drops 28 to 12");
        assert_eq!(n.clouds.value, None, "no cloud is known");
        assert_eq!(
            (n.clouds.lower_bound, n.clouds.upper_bound, n.clouds.exact),
            (None, None, false)
        );
        assert_eq!(
            n.clouds.reason.as_deref(),
            Some("cloud unknown for every provider")
        );
        assert_eq!(n.operators.reason, None);
        let losses = &r.single_losses.unwrap()["country"];
        assert_eq!(losses[0].value, "US");
        // Every provider always up: Monte Carlo equals the full network.
        let mc = r.monte_carlo.unwrap();
        assert_eq!((mc.mean, mc.p5, mc.p1), (1.0, 1.0, 1.0));
    }

    #[test]
    fn monte_carlo_is_seeded_and_thread_independent() {
        let mut s = snapshot();
        for p in s.providers.iter_mut() {
            p.uptime = Some(Uptime {
                value: 0.6,
                window: "7d".into(),
            });
        }
        let a = stress(&s, &workload(), &options())
            .unwrap()
            .monte_carlo
            .unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = pool.install(|| {
            stress(&s, &workload(), &options())
                .unwrap()
                .monte_carlo
                .unwrap()
        });
        assert_eq!(a, b);
        assert!(a.mean < 1.0 && a.p1 <= a.p5 && a.p5 <= a.mean);
    }

    /// Optimal served GPUs without the providers in `removed` (exhaustive).
    fn optimum(inst: &Instance, n: usize, removed: &[usize]) -> u64 {
        let mut alive = vec![true; n];
        for &p in removed {
            alive[p] = false;
        }
        crate::stress::solver::exact_search(&inst.demands, &inst.types(&alive), u64::MAX)
            .unwrap()
            .0
    }

    #[test]
    fn workload_nakamoto_agrees_with_brute_force_on_small_networks() {
        let mut rng = crate::synth::Rng::new(21);
        let w = workload();
        let mut exact_seen = 0;
        let mut not_applicable = 0;
        for case in 0..240 {
            let mut s = empty_snapshot();
            let operators = 2 + (rng.next_u64() % 9) as usize; // up to 10
            for o in 0..operators {
                for q in 0..1 + rng.next_u64() % 2 {
                    let mut p = crate::model::Provider::new(format!("p{o}-{q}"));
                    p.add_key(KeyKind::Declared, format!("op{o}"));
                    let (model, mem) = if rng.next_u64().is_multiple_of(2) {
                        ("h100", 80.0)
                    } else {
                        ("rtx4090", 24.0)
                    };
                    p.gpus.push(gpu::normalize(
                        model,
                        None,
                        Some(mem),
                        1 + rng.next_u64() % 9,
                    ));
                    s.providers.push(p);
                }
            }
            let inst = Instance::new(&s, &w).unwrap();
            let n = s.providers.len();
            let r = stress(&s, &w, &options()).unwrap();
            let got = r.workload_nakamoto.unwrap().operators;
            let resolution = entities::resolve(&s.providers, &ResolveOptions::default());
            let groups: Vec<Vec<usize>> = resolution
                .operators
                .iter()
                .map(|o| o.members.clone())
                .collect();
            let target = 0.5 * inst.demanded_gpus as f64;
            // Brute force: smallest subset of operators whose loss drops the optimum below the level.
            let m = groups.len();
            let truth = (0..=m).find(|&k| {
                combinations(m, k).iter().any(|c| {
                    let removed: Vec<usize> =
                        c.iter().flat_map(|&g| groups[g].iter().copied()).collect();
                    (optimum(&inst, n, &removed) as f64) < target
                })
            });
            let Some(lower) = got.lower_bound else {
                // Not applicable: the baseline is (or may be) below the level.
                let reason = got.reason.as_deref().unwrap_or("");
                assert!(
                    truth == Some(0) || reason.starts_with("baseline may"),
                    "case {case}: n/a ({reason}) but truth {truth:?}"
                );
                assert_eq!((got.value, got.upper_bound), (None, None));
                not_applicable += 1;
                continue;
            };
            assert_ne!(truth, Some(0), "case {case}: baseline below the level");
            assert!(
                lower <= truth.unwrap_or(usize::MAX),
                "case {case}: lower bound {lower} above truth {truth:?}"
            );
            assert_eq!(
                got.value.is_none(),
                got.reason.is_some(),
                "case {case}: a reason exactly when there is no value"
            );
            if let (Some(upper), Some(t)) = (got.upper_bound, truth) {
                assert!(upper >= t, "case {case}: upper bound below truth");
            }
            if got.exact {
                exact_seen += 1;
                assert_eq!(got.value, truth, "case {case}: claimed exact");
            }
        }
        // Most random networks cannot serve half the demand at all (n/a);
        // enough of them can for the search to be checked.
        let applicable = 240 - not_applicable;
        assert!(
            not_applicable > 0 && applicable >= 40,
            "cases: {applicable} applicable, {not_applicable} n/a"
        );
        assert!(
            exact_seen * 3 > applicable * 2,
            "small networks should mostly be solved exactly: {exact_seen} of {applicable}"
        );
    }

    fn validator(id: &str, stake: f64) -> crate::model::Provider {
        let mut p = crate::model::Provider::new(id);
        p.add_key(KeyKind::Declared, id);
        p.stake = Some(stake);
        p
    }

    #[test]
    fn a_network_without_gpus_is_not_applicable_in_every_requested_part() {
        let mut s = empty_snapshot();
        s.providers.push(validator("v1", 10.0));
        s.providers.push(validator("v2", 5.0));
        let r = stress(&s, &workload(), &options()).unwrap();
        assert_eq!(
            r.not_applicable.as_deref(),
            Some("no GPUs: the data lists no GPU capacity (stake-only network)")
        );
        assert_eq!(r.baseline, None);
        let v = serde_json::to_value(&r).unwrap();
        for part in [
            "baseline",
            "resilience",
            "single_losses",
            "workload_nakamoto",
            "monte_carlo",
        ] {
            assert_eq!(v.get(part), Some(&serde_json::Value::Null), "{part}");
        }
        // Each part appears once, in the order of the struct.
        let text = serde_json::to_string(&r).unwrap();
        let at: Vec<usize> = [
            "\"not_applicable\"",
            "\"baseline\"",
            "\"resilience\"",
            "\"single_losses\"",
            "\"workload_nakamoto\"",
            "\"monte_carlo\"",
        ]
        .iter()
        .map(|k| {
            assert_eq!(text.matches(k).count(), 1, "{k} in {text}");
            text.find(k).unwrap()
        })
        .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        // Parts not requested stay omitted.
        let only = StressOptions {
            parts: [Part::Baseline, Part::Nakamoto].into(),
            ..options()
        };
        let v = serde_json::to_value(stress(&s, &workload(), &only).unwrap()).unwrap();
        assert_eq!(v["workload_nakamoto"], serde_json::Value::Null);
        assert_eq!(v["baseline"], serde_json::Value::Null);
        assert!(v.get("resilience").is_none() && v.get("monte_carlo").is_none());
        // A result with numbers has no `not_applicable` key.
        let v = serde_json::to_value(stress(&snapshot(), &workload(), &only).unwrap()).unwrap();
        assert!(v.get("not_applicable").is_none());
        assert!(v["baseline"].is_object());
    }

    #[test]
    fn the_reason_names_gpus_removed_by_the_checks_and_declared_models() {
        let listed = snapshot();
        let mut passing = listed.clone();
        passing.providers.clear();
        let r = stress_checked(&listed, &passing, &workload(), &options()).unwrap();
        assert_eq!(
            r.not_applicable.as_deref(),
            Some(
                "no GPUs: 28 GPUs listed, none passes the supply checks (see rackaudit verify-supply)"
            )
        );
        let mut s = empty_snapshot();
        let mut p = crate::model::Provider::new("p");
        p.declared_gpu_models.push("h100".into());
        s.providers.push(p);
        let r = stress(&s, &workload(), &options()).unwrap();
        assert_eq!(
            r.not_applicable.as_deref(),
            Some(
                "no GPUs: the data lists GPU models but no GPU counts (1 provider name models only)"
            )
        );
        let r = stress(&empty_snapshot(), &workload(), &options()).unwrap();
        assert_eq!(
            r.not_applicable.as_deref(),
            Some("no GPUs: the data lists no providers")
        );
    }

    fn parse_workload(text: &str) -> Workload {
        super::super::workload::parse("w", text).unwrap()
    }

    #[test]
    fn a_class_no_provider_can_host_is_named_and_the_coefficient_is_not_applicable() {
        let w = parse_workload(
            "name = \"w\"\n[[class]]\nname = \"huge\"\nreplicas = 2\ngpus_per_replica = 8\nmin_gpu_memory_gb = 200\n[[class]]\nname = \"wide\"\nreplicas = 1\ngpus_per_replica = 16\nmin_gpu_memory_gb = 80\n",
        );
        let r = stress(&snapshot(), &w, &options()).unwrap();
        let b = r.baseline.unwrap();
        assert_eq!((b.served_gpus, b.served_fraction), (0, 0.0));
        let notes: Vec<(usize, Option<&str>)> = b
            .per_class
            .iter()
            .map(|c| (c.hostable_providers, c.note.as_deref()))
            .collect();
        assert_eq!(
            notes,
            [
                (
                    0,
                    Some(
                        "no provider can host it: needs 8 GPUs of ≥ 200 GB on one provider; no listed GPU qualifies"
                    )
                ),
                (
                    0,
                    Some(
                        "no provider can host it: needs 16 GPUs of ≥ 80 GB on one provider; the most any provider has of one eligible model is 8 GPUs"
                    )
                ),
            ]
        );
        let n = r.workload_nakamoto.unwrap();
        for d in [&n.operators, &n.providers, &n.countries, &n.clouds] {
            assert_eq!(
                (d.value, d.lower_bound, d.upper_bound, d.exact),
                (None, None, None, false)
            );
            assert_eq!(
                d.reason.as_deref(),
                Some(
                    "baseline already below the level: 0.0% served with every provider up (level 50.0%)"
                )
            );
        }
    }

    #[test]
    fn classes_that_spread_need_enough_gpus_in_the_whole_network() {
        let w = parse_workload(
            "name = \"w\"\n[[class]]\nname = \"spread\"\nreplicas = 1\ngpus_per_replica = 64\nsame_provider = false\n",
        );
        let r = stress(&snapshot(), &w, &options()).unwrap();
        let c = &r.baseline.unwrap().per_class[0];
        assert_eq!(c.served_gpus, 0);
        assert_eq!(c.hostable_providers, 4);
        assert_eq!(
            c.note.as_deref(),
            Some(
                "no replica fits: needs 64 GPUs (may spread across providers), and the network has only 28 GPUs it can use"
            )
        );
    }

    #[test]
    fn unknown_memory_is_counted_when_no_gpu_qualifies() {
        let mut s = empty_snapshot();
        let mut p = crate::model::Provider::new("p");
        p.gpus.push(gpu::normalize("mystery", None, None, 3));
        s.providers.push(p);
        let r = stress(&s, &workload(), &options()).unwrap();
        let b = r.baseline.unwrap();
        assert!(
            b.per_class[0]
                .note
                .as_deref()
                .is_some_and(|n| n.ends_with("no listed GPU qualifies (3 GPUs of unknown memory)")),
            "{:?}",
            b.per_class[0].note
        );
    }

    #[test]
    fn losing_every_known_country_can_leave_the_level_unreached() {
        // Only the small provider has a known country: losing it cannot
        // drop served demand below 50%.
        let mut s = snapshot();
        for p in s.providers.iter_mut().take(3) {
            p.country = None;
        }
        let n = stress(&s, &workload(), &options())
            .unwrap()
            .workload_nakamoto
            .unwrap();
        let c = &n.countries;
        assert_eq!((c.value, c.upper_bound, c.exact), (None, None, false));
        assert_eq!(c.lower_bound, Some(1), "the lower bound is kept");
        assert_eq!(
            c.reason.as_deref(),
            Some(
                "not reachable: even losing the only country leaves at least 85.7% served (level 50.0%); country unknown for 3 providers with eligible GPUs"
            )
        );
        assert_eq!(
            (n.operators.value, n.operators.reason.as_deref()),
            (Some(1), None)
        );
    }

    #[test]
    fn monte_carlo_without_trials_is_a_usage_error() {
        let opts = StressOptions {
            trials: 0,
            ..options()
        };
        let e = stress(&snapshot(), &workload(), &opts).unwrap_err();
        assert!(
            matches!(e, Error::Usage(ref m) if m.contains("--trials must be at least 1")),
            "{e}"
        );
        // Without Monte Carlo, trials are not used.
        let opts = StressOptions {
            trials: 0,
            parts: [Part::Baseline, Part::Nakamoto].into(),
            ..options()
        };
        assert!(stress(&snapshot(), &workload(), &opts).is_ok());
    }
}
