//! Stress scenarios: baseline, resilience curves, single losses, the
//! workload Nakamoto coefficient and Monte Carlo availability.

use super::instance::Instance;
use super::solver::{Placement, best_greedy, solve};
use super::workload::Workload;
use crate::audit::{Weight, cloud, provider_vector};
use crate::entities::{self, ResolveOptions};
use crate::model::Snapshot;
use rayon::prelude::*;
use serde::Serialize;
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

/// Options of a stress run.
#[derive(Debug, Clone, Serialize)]
pub struct StressOptions {
    /// Largest k of the resilience curves.
    pub max_k: usize,
    /// Weight that ranks providers and operators for removal.
    pub by: Weight,
    /// Served fraction the workload Nakamoto coefficient must drop below.
    pub level: f64,
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
    /// The best proven count (the upper bound), if any loss reaches the level.
    pub value: Option<usize>,
    pub lower_bound: usize,
    pub upper_bound: Option<usize>,
    pub exact: bool,
    /// Groups whose loss achieves `upper_bound`.
    pub removed: Vec<String>,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressResult {
    pub network: String,
    pub location: String,
    pub input_sha256: String,
    pub providers: usize,
    pub providers_with_eligible_gpus: usize,
    pub baseline: Baseline,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resilience: Option<Resilience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_losses: Option<BTreeMap<String, Vec<Loss>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_nakamoto: Option<WorkloadNakamoto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monte_carlo: Option<MonteCarlo>,
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

/// Runs the stress test of a snapshot.
pub fn stress(
    snapshot: &Snapshot,
    workload: &Workload,
    opts: &StressOptions,
) -> crate::Result<StressResult> {
    let inst = Instance::new(snapshot, workload)?;
    let n = snapshot.providers.len();
    let base = place(&inst, &vec![true; n]);
    let baseline = Baseline {
        served_fraction: fraction(base.served_gpus, inst.demanded_gpus),
        served_gpus: base.served_gpus,
        demanded_gpus: inst.demanded_gpus,
        upper_bound_gpus: base.upper_bound_gpus,
        per_class: workload
            .classes
            .iter()
            .zip(&base.per_class_gpus)
            .map(|(c, &s)| ClassResult {
                name: c.name.clone(),
                demanded_gpus: c.demanded_gpus(),
                served_gpus: s,
                served_fraction: fraction(s, c.demanded_gpus()),
            })
            .collect(),
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
    Ok(StressResult {
        network: snapshot.network.clone(),
        location: snapshot.source.location.clone(),
        input_sha256: snapshot.input_sha256.clone(),
        providers: n,
        providers_with_eligible_gpus: usable.iter().filter(|&&u| u > 0).count(),
        resilience: has(Part::Resilience).then(|| Resilience {
            by: opts.by,
            providers: curve(&inst, n, &providers, &weights, opts.max_k),
            operators: curve(&inst, n, &operators, &weights, opts.max_k),
        }),
        single_losses: has(Part::Single).then(|| single_losses(snapshot, &inst)),
        workload_nakamoto: has(Part::Nakamoto).then(|| WorkloadNakamoto {
            level: opts.level,
            operators: nakamoto(&inst, n, &operators, &usable, &base, opts.level),
            providers: nakamoto(&inst, n, &providers, &usable, &base, opts.level),
            countries: nakamoto(
                &inst,
                n,
                &field_groups(snapshot, |p| p.country.clone()),
                &usable,
                &base,
                opts.level,
            ),
            clouds: nakamoto(
                &inst,
                n,
                &cloud_groups(snapshot),
                &usable,
                &base,
                opts.level,
            ),
        }),
        monte_carlo: has(Part::Montecarlo).then(|| monte_carlo(snapshot, &inst, opts)),
        baseline,
    })
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

/// Fewest groups whose loss drops served demand below `level`: a lower
/// bound from capacity (a group's loss lowers the optimum by at most the
/// GPUs it can contribute), an upper bound from removing groups by usable
/// capacity until the flow bound proves the drop, and an exhaustive check of
/// the counts in between when the groups are few.
fn nakamoto(
    inst: &Instance,
    n: usize,
    groups: &Groups,
    usable: &[u64],
    base: &Placement,
    level: f64,
) -> NakamotoResult {
    let target = level * inst.demanded_gpus as f64;
    if groups.labels.is_empty() {
        // The field is unknown for every provider: nothing to remove.
        return NakamotoResult {
            value: None,
            lower_bound: 0,
            upper_bound: None,
            exact: false,
            removed: vec![],
        };
    }
    let caps: Vec<u64> = groups
        .members
        .iter()
        .map(|m| m.iter().map(|&p| usable[p]).sum())
        .collect();
    if (base.upper_bound_gpus as f64) < target {
        return NakamotoResult {
            value: Some(0),
            lower_bound: 0,
            upper_bound: Some(0),
            exact: true,
            removed: vec![],
        };
    }
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
        // Even losing every group cannot be proven to reach the level.
        return NakamotoResult {
            value: None,
            lower_bound: lower,
            upper_bound: None,
            exact: false,
            removed: vec![],
        };
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
        lower_bound: lower,
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
    };
    if !result.exact && groups.labels.len() <= 16 {
        exhaustive(inst, n, groups, &caps, base, target, &mut result);
    }
    result
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
    let Some(upper) = r.upper_bound else { return };
    let need = base.served_gpus as f64 - target;
    let m = groups.labels.len();
    for k in r.lower_bound..upper {
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
            r.exact = all_above || k == r.lower_bound;
            return;
        }
        if !all_above {
            return;
        }
        r.lower_bound = k + 1;
    }
    r.exact = r.upper_bound == Some(r.lower_bound);
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
    served.sort_by(f64::total_cmp);
    let q = |p: f64| {
        if served.is_empty() {
            0.0
        } else {
            quantile(&served, p)
        }
    };
    MonteCarlo {
        trials: opts.trials,
        seed: opts.seed,
        default_uptime: opts.default_uptime,
        providers_without_uptime: s.providers.iter().filter(|p| p.uptime.is_none()).count(),
        mean: if served.is_empty() {
            0.0
        } else {
            crate::metrics::sum::sum(served.iter().copied()) / served.len() as f64
        },
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
        // 24 + 4 of 28 GPUs demanded: everything fits.
        assert_eq!(
            (
                r.baseline.served_gpus,
                r.baseline.demanded_gpus,
                r.baseline.exact
            ),
            (28, 28, true)
        );
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
        for case in 0..60 {
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
            assert!(
                got.lower_bound <= truth.unwrap_or(usize::MAX),
                "case {case}: lower bound {} above truth {truth:?}",
                got.lower_bound
            );
            if let (Some(upper), Some(t)) = (got.upper_bound, truth) {
                assert!(upper >= t, "case {case}: upper bound below truth");
            }
            if got.exact {
                exact_seen += 1;
                assert_eq!(got.value, truth, "case {case}: claimed exact");
            }
        }
        assert!(
            exact_seen > 40,
            "small networks should mostly be solved exactly: {exact_seen}"
        );
    }
}
