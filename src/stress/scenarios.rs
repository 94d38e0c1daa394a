//! Stress scenarios: baseline, resilience curves, single losses, the
//! workload Nakamoto coefficient and Monte Carlo availability.

use super::instance::Instance;
pub use super::nakamoto::NakamotoResult;
use super::nakamoto::{self, Budget, Groups, Noun};
use super::solver::{Placement, best_greedy, solve};
use super::workload::{Class, Workload};
use crate::audit::{Weight, provider_vector};
use crate::cloud;
use crate::entities::{self, ResolveOptions};
use crate::error::Error;
use crate::model::Snapshot;
use crate::text::plural;
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
    /// Seconds of search per level of the workload Nakamoto coefficient,
    /// turned into a fixed node budget (results never depend on the clock).
    pub nakamoto_time_limit: f64,
    /// Monte Carlo trials (at least 1 when Monte Carlo is run).
    pub trials: u64,
    pub seed: u64,
    /// Up-probability of providers without a known uptime (default 1).
    pub default_uptime: f64,
    pub parts: BTreeSet<Part>,
    /// Search only the operators level of the workload Nakamoto
    /// coefficient (what the disclosure card reads); the other levels are
    /// left without a value. Not recorded: it changes no reported figure.
    #[serde(skip)]
    pub nakamoto_operators_only: bool,
    #[serde(skip)]
    pub entities: ResolveOptions,
}

impl StressOptions {
    /// What the disclosure card reads (baseline, resilience, workload
    /// Nakamoto coefficient) with the `report` defaults: the figures equal
    /// the report's.
    pub fn card(entities: ResolveOptions) -> Self {
        StressOptions {
            parts: [Part::Baseline, Part::Resilience, Part::Nakamoto].into(),
            nakamoto_operators_only: true,
            ..Self::standard(entities)
        }
    }

    /// Every part, k up to 10 ranked by GPUs, level 50%, 1,000 trials with
    /// seed 1, providers without uptime always up: the `report` defaults.
    pub fn standard(entities: ResolveOptions) -> Self {
        StressOptions {
            max_k: 10,
            by: Weight::Gpus,
            level: 0.5,
            nakamoto_time_limit: super::nakamoto::DEFAULT_TIME_LIMIT,
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
            nakamoto_operators_only: false,
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

/// Workload Nakamoto coefficients per dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadNakamoto {
    pub level: f64,
    /// Search nodes each level may spend (from `--nakamoto-time-limit`).
    pub node_budget: u64,
    pub operators: NakamotoResult,
    pub providers: NakamotoResult,
    pub countries: NakamotoResult,
    pub clouds: NakamotoResult,
    pub asns: NakamotoResult,
    pub datacenters: NakamotoResult,
}

impl WorkloadNakamoto {
    /// Every level with its name, in report order.
    pub fn levels(&self) -> [(&'static str, &NakamotoResult); 6] {
        [
            ("operators", &self.operators),
            ("providers", &self.providers),
            ("countries", &self.countries),
            ("clouds", &self.clouds),
            ("ASNs", &self.asns),
            ("data centers", &self.datacenters),
        ]
    }
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
    stress_checked(snapshot, snapshot, workload, opts, None)
}

/// Runs the stress test of `passing`, the part of `listed` that passes the
/// supply checks; when no GPU passes, the reason names what `listed` had.
/// `passing_operators`, when given, is `passing`'s operator resolution with
/// `opts.entities` (made here when not).
pub fn stress_checked(
    listed: &Snapshot,
    passing: &Snapshot,
    workload: &Workload,
    opts: &StressOptions,
    passing_operators: Option<&entities::Resolution>,
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
    let resolved;
    let resolution = match passing_operators {
        Some(r) => r,
        None => {
            resolved = entities::resolve(&snapshot.providers, &opts.entities);
            &resolved
        }
    };
    let operators = Groups {
        labels: resolution.operators.iter().map(|o| o.id.clone()).collect(),
        members: resolution
            .operators
            .iter()
            .map(|o| o.members.clone())
            .collect(),
    };
    // Each provider as its own group: the resilience curve reads it as is;
    // the search's groups are made only when that level is searched.
    let providers = EachProvider::of(snapshot);
    let has = |part| opts.parts.contains(&part);
    let usable = inst.usable_gpus(n);
    let class_names: Vec<String> = workload.classes.iter().map(|c| c.name.clone()).collect();
    let budget = Budget::seconds(opts.nakamoto_time_limit);
    let coefficient = |groups: &Groups, noun: Noun| {
        nakamoto::coefficient(
            &inst,
            n,
            groups,
            &class_names,
            &base,
            opts.level,
            noun,
            budget,
        )
    };
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
        workload_nakamoto: has(Part::Nakamoto).then(|| {
            // Levels are independent searches with their own budgets: run
            // them in parallel, collect in a fixed order.
            // Each level's groups are built by its own task, and only for
            // the levels searched; operators and providers are the groups
            // already built above.
            let search = |i: usize| match i {
                0 => coefficient(&operators, Noun::OPERATOR),
                _ if opts.nakamoto_operators_only => {
                    NakamotoResult::without_value(None, "not computed".into())
                }
                1 => coefficient(&providers.groups(), Noun::PROVIDER),
                2 => coefficient(
                    &field_groups(snapshot, |p| p.country.as_deref().map(String::from)),
                    Noun::COUNTRY,
                ),
                3 => coefficient(&cloud_groups(snapshot), Noun::CLOUD),
                4 => coefficient(
                    &field_groups(snapshot, |p| p.asn.map(|a| format!("AS{a}"))),
                    Noun::ASN,
                ),
                _ => coefficient(
                    &field_groups(snapshot, |p| p.datacenter.as_deref().map(String::from)),
                    Noun::DATACENTER,
                ),
            };
            let mut r: Vec<NakamotoResult> = (0..6).into_par_iter().map(search).collect();
            let mut next = || r.remove(0);
            WorkloadNakamoto {
                level: opts.level,
                node_budget: budget.nodes,
                operators: next(),
                providers: next(),
                countries: next(),
                clouds: next(),
                asns: next(),
                datacenters: next(),
            }
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
        .filter(|p| !p.more.declared_gpu_models.is_empty())
        .count();
    let detail = if listed.providers.is_empty() {
        "the data lists no providers".to_string()
    } else if listed_gpus > 0 {
        format!(
            "{} listed, none passes the supply checks (see rackaudit verify-supply)",
            plural(listed_gpus, "GPU", "GPUs")
        )
    } else if models_only > 0 {
        format!(
            "the data lists GPU models but no GPU counts ({} name models only)",
            plural(models_only, "provider", "providers")
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
    let offered: Vec<u64> = s
        .providers
        .iter()
        .filter_map(|p| p.more.gpus_offered)
        .collect();
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
                        plural(*most, "GPU", "GPUs")
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
                    plural(eligible_total, "GPU", "GPUs")
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
    let mut r = plural(c.gpus_per_replica, "GPU", "GPUs");
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

/// GPUs whose memory is not disclosed that some class of `workload` with a
/// memory requirement would accept by model: the data cannot say whether
/// they qualify, so they are left out of every placement.
pub fn unknown_memory_gpus(s: &Snapshot, workload: &Workload) -> u64 {
    unknown_memory_for(s, &workload.classes)
}

/// GPUs of undisclosed memory that one of `classes` with a memory
/// requirement accepts by model.
fn unknown_memory_for(s: &Snapshot, classes: &[Class]) -> u64 {
    s.providers
        .iter()
        .flat_map(|p| &p.gpus)
        .filter(|g| {
            g.memory_gb.is_none()
                && classes.iter().any(|c| {
                    c.min_gpu_memory_gb.is_some() && c.accepts(g.model.as_deref(), Some(f64::MAX))
                })
        })
        .fold(0u64, |sum, g| sum.saturating_add(g.count))
}

/// No listed GPU is eligible for `c`; counts those of unknown memory that
/// would be, had they enough.
fn no_qualifying_gpu(s: &Snapshot, c: &Class) -> String {
    let unknown = unknown_memory_for(s, std::slice::from_ref(c));
    if unknown > 0 {
        format!(
            "no listed GPU qualifies ({} of unknown memory)",
            plural(unknown, "GPU", "GPUs")
        )
    } else {
        "no listed GPU qualifies".to_string()
    }
}

/// Groups whose loss the resilience curve follows: each one's providers
/// and label.
trait Removable {
    fn count(&self) -> usize;
    fn members(&self, g: usize) -> &[usize];
    fn label(&self, g: usize) -> &str;
}

impl Removable for Groups {
    fn count(&self) -> usize {
        self.labels.len()
    }

    fn members(&self, g: usize) -> &[usize] {
        &self.members[g]
    }

    fn label(&self, g: usize) -> &str {
        &self.labels[g]
    }
}

/// Every provider as a group of its own, labelled by its id, without a
/// list and a label string per provider.
struct EachProvider<'a> {
    snapshot: &'a Snapshot,
    /// `0..n`: provider `p`'s members are `identity[p..=p]`.
    identity: Vec<usize>,
}

impl<'a> EachProvider<'a> {
    fn of(snapshot: &'a Snapshot) -> Self {
        EachProvider {
            snapshot,
            identity: (0..snapshot.providers.len()).collect(),
        }
    }

    /// The same groups as lists, for the Nakamoto search.
    fn groups(&self) -> Groups {
        Groups {
            labels: (0..self.count())
                .map(|p| self.label(p).to_string())
                .collect(),
            members: self.identity.iter().map(|&p| vec![p]).collect(),
        }
    }
}

impl Removable for EachProvider<'_> {
    fn count(&self) -> usize {
        self.identity.len()
    }

    fn members(&self, g: usize) -> &[usize] {
        &self.identity[g..=g]
    }

    fn label(&self, g: usize) -> &str {
        &self.snapshot.providers[g].id
    }
}

/// The first `k` groups by their total `weights`, largest first (ties by
/// label, then by position), in order.
fn ranked(groups: &impl Removable, weights: &[f64], k: usize) -> Vec<usize> {
    // Each group's total once, not once per comparison.
    let totals: Vec<f64> = (0..groups.count())
        .map(|g| groups.members(g).iter().map(|&p| weights[p]).sum::<f64>())
        .collect();
    let order_of = |&a: &usize, &b: &usize| {
        totals[b]
            .total_cmp(&totals[a])
            .then_with(|| groups.label(a).cmp(groups.label(b)))
            .then(a.cmp(&b))
    };
    let mut order: Vec<usize> = (0..groups.count()).collect();
    // Only the first k are read: select them, then sort those alone
    // (a network has hundreds of thousands of providers, k is about 10).
    if k < order.len() {
        order.select_nth_unstable_by(k, order_of);
        order.truncate(k);
    }
    order.sort_unstable_by(order_of);
    order
}

fn curve(
    inst: &Instance,
    n: usize,
    groups: &impl Removable,
    weights: &[f64],
    max_k: usize,
) -> Vec<Step> {
    let order = ranked(groups, weights, max_k);
    let mut removed_providers = Vec::new();
    (0..=order.len())
        .map(|k| {
            if k > 0 {
                removed_providers.extend_from_slice(groups.members(order[k - 1]));
            }
            let p = place_without(inst, n, &removed_providers);
            Step {
                k,
                removed: order[..k]
                    .iter()
                    .map(|&g| groups.label(g).to_string())
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
        (
            "country",
            field_groups(s, |p| p.country.as_deref().map(String::from)),
        ),
        ("asn", field_groups(s, |p| p.asn.map(|a| format!("AS{a}")))),
        ("cloud", cloud_groups(s)),
        (
            "datacenter",
            field_groups(s, |p| p.datacenter.as_deref().map(String::from)),
        ),
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
            let mut rng = crate::rng::Rng::new(opts.seed ^ t.wrapping_mul(0x9E37_79B9_7F4A_7C15));
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

    #[test]
    fn the_first_k_ranked_groups_are_those_of_a_full_stable_sort() {
        // Ties in weight, in label, and in both (a label used twice).
        let groups = Groups {
            labels: ["b", "a", "c", "a", "d", "e", "b"]
                .map(String::from)
                .to_vec(),
            members: vec![
                vec![0],
                vec![1, 2],
                vec![3],
                vec![4],
                vec![5],
                vec![],
                vec![6],
            ],
        };
        let weights = [2.0, 1.0, 1.0, 2.0, 2.0, 0.5, 2.0];
        let totals: Vec<f64> = groups
            .members
            .iter()
            .map(|m| m.iter().map(|&p| weights[p]).sum())
            .collect();
        let mut full: Vec<usize> = (0..groups.labels.len()).collect();
        full.sort_by(|&a, &b| {
            totals[b]
                .total_cmp(&totals[a])
                .then_with(|| groups.labels[a].cmp(&groups.labels[b]))
        });
        assert_eq!(full, [1, 3, 0, 6, 2, 4, 5]);
        for k in 0..=groups.labels.len() + 2 {
            let expected = &full[..k.min(full.len())];
            assert_eq!(ranked(&groups, &weights, k), expected, "k = {k}");
        }
    }

    #[test]
    fn each_provider_ranks_and_removes_like_groups_of_one() {
        let mut s = empty_snapshot();
        for (id, gpus) in [("b", 8), ("a", 8), ("d", 4), ("c", 8), ("e", 2)] {
            let mut p = crate::model::Provider::new(id);
            p.gpus
                .push(gpu::normalize("H100 SXM", None, Some(80.0), gpus));
            s.providers.push(p);
        }
        let w = crate::stress::workload::parse(
            "w",
            "name = \"w\"\n[[class]]\nname = \"one\"\nreplicas = 20\ngpus_per_replica = 1\n",
        )
        .unwrap();
        let inst = Instance::new(&s, &w).unwrap();
        let weights: Vec<f64> = s.providers.iter().map(|p| p.gpu_count() as f64).collect();
        let each = EachProvider::of(&s);
        // Ties of 8 GPUs go by id: a, b, c.
        assert_eq!(ranked(&each, &weights, 3), [1, 0, 3]);
        for k in 0..7 {
            assert_eq!(
                curve(&inst, 5, &each, &weights, k),
                curve(&inst, 5, &each.groups(), &weights, k),
                "k = {k}"
            );
        }
    }

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
        let r = stress_checked(&listed, &passing, &workload(), &options(), None).unwrap();
        assert_eq!(
            r.not_applicable.as_deref(),
            Some(
                "no GPUs: 28 GPUs listed, none passes the supply checks (see rackaudit verify-supply)"
            )
        );
        let mut s = empty_snapshot();
        let mut p = crate::model::Provider::new("p");
        p.more.declared_gpu_models.push("h100".into());
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
        assert_eq!(c.lower_bound, None, "no count applies");
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
