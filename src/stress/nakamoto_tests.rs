//! The workload Nakamoto coefficient against brute force: every removal
//! set enumerated, each placed exactly.

use super::*;
use crate::model::{KeyKind, Provider, Snapshot, Source, gpu};
use crate::rng::Rng;
use crate::stress::solver::exact_search;
use crate::stress::workload::{Workload, parse};

const MODELS: [(&str, f64); 5] = [
    ("h100", 80.0),
    ("a100", 40.0),
    ("rtx4090", 24.0),
    ("l4", 24.0),
    ("t4", 16.0),
];

/// A random network of `operators` operators (1–3 providers each, 1–2
/// GPU models per provider) and a random workload of whole-replica classes
/// sized to a share of its capacity.
fn network(rng: &mut Rng, operators: usize) -> (Snapshot, Workload, Groups) {
    let source = Source {
        adapter: "t".into(),
        location: "t".into(),
        note: None,
    };
    let mut s = Snapshot::new("t", source, "00".into());
    let mut groups = Groups::default();
    for o in 0..operators {
        let mut members = Vec::new();
        for q in 0..1 + rng.next_u64() % 3 {
            let mut p = Provider::new(format!("p{o:02}-{q}"));
            p.add_key(KeyKind::Declared, format!("op{o:02}"));
            for _ in 0..1 + rng.next_u64() % 2 {
                let (model, mem) = MODELS[(rng.next_u64() % 5) as usize];
                p.gpus.push(gpu::normalize(
                    model,
                    None,
                    Some(mem),
                    1 + rng.next_u64() % 8,
                ));
            }
            members.push(s.providers.len());
            s.providers.push(p);
        }
        groups.labels.push(format!("op{o:02}"));
        groups.members.push(members);
    }
    let total: u64 = s.providers.iter().map(|p| p.gpu_count()).sum();
    let classes = 1 + rng.next_u64() % 4;
    let mut text = String::from("name = \"w\"\n");
    for c in 0..classes {
        let unit = [1u64, 1, 2, 4, 8][(rng.next_u64() % 5) as usize];
        let memory = [16u64, 24, 40, 80][(rng.next_u64() % 4) as usize];
        let share = 0.1 + rng.unit() * 0.5;
        let replicas = ((total as f64 * share / classes as f64) / unit as f64).ceil() as u64;
        text.push_str(&format!(
            "[[class]]\nname = \"c{c}\"\nreplicas = {}\ngpus_per_replica = {unit}\nmin_gpu_memory_gb = {memory}\n",
            replicas.max(1)
        ));
    }
    (s, parse("w", &text).unwrap(), groups)
}

/// Optimal served GPUs without the providers of the groups in `set`.
fn optimum(inst: &Instance, n: usize, groups: &Groups, set: &[usize]) -> u64 {
    let mut alive = vec![true; n];
    for &g in set {
        for &p in &groups.members[g] {
            alive[p] = false;
        }
    }
    let types = inst.types(&alive);
    let p = crate::stress::solver::solve(&inst.demands, &types);
    if p.exact {
        return p.served_gpus;
    }
    exact_search(&inst.demands, &types, 20_000_000)
        .expect("small instances are searched exactly")
        .0
}

fn combinations(m: usize, k: usize, f: &mut impl FnMut(&[usize]) -> bool) -> bool {
    fn go(
        start: usize,
        m: usize,
        k: usize,
        cur: &mut Vec<usize>,
        f: &mut impl FnMut(&[usize]) -> bool,
    ) -> bool {
        if cur.len() == k {
            return f(cur);
        }
        for i in start..m {
            cur.push(i);
            if go(i + 1, m, k, cur, f) {
                return true;
            }
            cur.pop();
        }
        false
    }
    go(0, m, k, &mut Vec::new(), f)
}

/// The true coefficient (None: no set reaches the level), by enumeration.
fn truth(inst: &Instance, n: usize, groups: &Groups, target: f64) -> Option<usize> {
    let m = groups.labels.len();
    (0..=m).find(|&k| {
        combinations(m, k, &mut |set| {
            (optimum(inst, n, groups, set) as f64) < target
        })
    })
}

fn coefficient_of(
    s: &Snapshot,
    w: &Workload,
    groups: &Groups,
    level: f64,
) -> Option<(Instance, NakamotoResult)> {
    let inst = Instance::new(s, w).unwrap();
    let base =
        super::super::solver::solve(&inst.demands, &inst.types(&vec![true; s.providers.len()]));
    if (base.served_gpus as f64) < level * inst.demanded_gpus as f64 {
        return None;
    }
    let names: Vec<String> = w.classes.iter().map(|c| c.name.clone()).collect();
    let r = coefficient(
        &inst,
        s.providers.len(),
        groups,
        &names,
        &base,
        level,
        Noun::OPERATOR,
        Budget { nodes: 50_000_000 },
    );
    Some((inst, r))
}

#[test]
fn exact_on_every_small_network_and_equal_to_brute_force() {
    let mut rng = Rng::new(14);
    let mut checked = 0;
    for case in 0..400 {
        let operators = 2 + (rng.next_u64() % 11) as usize; // 2..=12
        let (s, w, groups) = network(&mut rng, operators);
        let level = [0.3, 0.5, 0.7][(rng.next_u64() % 3) as usize];
        let t0 = std::time::Instant::now();
        if std::env::var("PROBE").is_ok() {
            eprintln!("start case {case} ops {operators}");
        }
        let Some((inst, r)) = coefficient_of(&s, &w, &groups, level) else {
            continue;
        };
        let t1 = t0.elapsed();
        if std::env::var("PROBE").is_ok() {
            eprintln!("searched {t1:?} nodes {} {:?}", r.nodes, r.value);
        }
        let t = truth(
            &inst,
            s.providers.len(),
            &groups,
            level * inst.demanded_gpus as f64,
        );
        if std::env::var("PROBE").is_ok() {
            eprintln!(
                "case {case} ops {operators} bins {} search {:?} nodes {} truth {:?} total {:?}",
                inst.bins.len(),
                t1,
                r.nodes,
                t,
                t0.elapsed()
            );
        }
        assert!(
            r.exact
                || (r.value.is_none()
                    && r.reason
                        .as_deref()
                        .is_some_and(|x| x.starts_with("not reachable"))),
            "case {case}: not exact on {operators} operators: {r:?}"
        );
        assert_eq!(r.value, t, "case {case}: {r:?}");
        if let Some(k) = t {
            // The removal set reported is a real witness.
            let set: Vec<usize> = r
                .removed
                .iter()
                .map(|l| groups.labels.iter().position(|x| x == l).unwrap())
                .collect();
            assert_eq!(set.len(), k);
            assert!(
                (optimum(&inst, s.providers.len(), &groups, &set) as f64)
                    < level * inst.demanded_gpus as f64
            );
        }
        checked += 1;
    }
    assert!(
        checked > 200,
        "only {checked} networks had a baseline above the level"
    );
}

#[test]
fn exact_on_networks_of_13_to_22_operators() {
    let mut rng = Rng::new(22);
    let mut checked = 0;
    for case in 0..40 {
        let operators = 13 + (rng.next_u64() % 10) as usize; // 13..=22
        let (s, w, groups) = network(&mut rng, operators);
        let level = 0.5;
        let Some((inst, r)) = coefficient_of(&s, &w, &groups, level) else {
            continue;
        };
        let target = level * inst.demanded_gpus as f64;
        assert!(
            r.exact,
            "case {case}: {operators} operators not settled: {r:?}"
        );
        let Some(k) = r.value else { continue };
        let n = s.providers.len();
        let set: Vec<usize> = r
            .removed
            .iter()
            .map(|l| groups.labels.iter().position(|x| x == l).unwrap())
            .collect();
        assert!(
            (optimum(&inst, n, &groups, &set) as f64) < target,
            "case {case}: witness"
        );
        // No smaller set reaches the level, checked by enumeration where
        // that stays affordable.
        let m = groups.labels.len();
        let sets = (0..k).map(|j| binomial(m, j)).sum::<u64>();
        if sets <= 60_000 {
            for j in 0..k {
                assert!(
                    !combinations(m, j, &mut |c| (optimum(&inst, n, &groups, c) as f64)
                        < target),
                    "case {case}: a set of {j} reaches the level; reported {k}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} networks were cross-checked");
}

fn binomial(n: usize, k: usize) -> u64 {
    (0..k).fold(1u64, |acc, i| acc * (n - i) as u64 / (i as u64 + 1))
}

#[test]
fn a_small_budget_reports_sound_bounds_deterministically() {
    let mut rng = Rng::new(5);
    for _ in 0..30 {
        let (s, w, groups) = network(&mut rng, 16);
        let inst = Instance::new(&s, &w).unwrap();
        let base =
            super::super::solver::solve(&inst.demands, &inst.types(&vec![true; s.providers.len()]));
        if (base.served_gpus as f64) < 0.5 * inst.demanded_gpus as f64 {
            continue;
        }
        let names: Vec<String> = w.classes.iter().map(|c| c.name.clone()).collect();
        let run = |nodes| {
            coefficient(
                &inst,
                s.providers.len(),
                &groups,
                &names,
                &base,
                0.5,
                Noun::OPERATOR,
                Budget { nodes },
            )
        };
        let t0 = std::time::Instant::now();
        let full = run(50_000_000);
        if std::env::var("PROBE").is_ok() {
            eprintln!(
                "full {:?} nodes {} exact {} {:?}..{:?}",
                t0.elapsed(),
                full.nodes,
                full.exact,
                full.lower_bound,
                full.upper_bound
            );
        }
        let small = run(200);
        assert_eq!(small, run(200), "same budget, same result");
        if let (Some(lo), Some(v)) = (small.lower_bound, full.value) {
            assert!(lo <= v, "lower bound {lo} above the truth {v}");
        }
        if let (Some(up), Some(v)) = (small.upper_bound, full.value) {
            assert!(up >= v, "upper bound {up} below the truth {v}");
        }
        if !small.exact && small.value.is_some() {
            assert!(
                small.gap.is_some() && small.lower_reason.is_some() && small.upper_reason.is_some()
            );
        }
    }
}

fn zeros(bins: usize, classes: usize) -> Division {
    Division {
        classes,
        portions: vec![0; bins * classes],
    }
}

fn bin_mut(d: &mut Division, b: usize) -> &mut [u64] {
    &mut d.portions[b * d.classes..(b + 1) * d.classes]
}

/// The divisions as first written, bin by bin and class by class: the
/// faster [`divisions`] must give exactly these.
fn divisions_by_definition(
    inst: &Instance,
    classes: &[ClassDemand],
    alive: &[bool],
) -> [Division; 2] {
    let nc = classes.len();
    let eligible = |b: usize, c: usize| alive[b] && inst.bins[b].eligible & (1 << c) != 0;
    // Classes by unit, smallest first: sorted once, not once per bin.
    let mut by_unit: Vec<usize> = (0..nc).collect();
    by_unit.sort_by_key(|&c| (classes[c].unit, c));
    let leftover = |d: &mut Division| {
        for b in (0..inst.bins.len()).filter(|&b| alive[b]) {
            let per = bin_mut(d, b);
            let used: u64 = per.iter().sum();
            let mut rest = inst.bins[b].capacity.saturating_sub(used);
            for &c in by_unit.iter().filter(|&&c| eligible(b, c)) {
                let k = rest / classes[c].unit * classes[c].unit;
                per[c] += k;
                rest -= k;
            }
        }
    };
    // Proportional to demand.
    let mut proportional = zeros(inst.bins.len(), nc);
    for (b, bin) in inst.bins.iter().enumerate() {
        let total: u64 = (0..nc)
            .filter(|&c| eligible(b, c))
            .map(|c| classes[c].gpus)
            .sum();
        if total == 0 {
            continue;
        }
        let per = bin_mut(&mut proportional, b);
        for c in (0..nc).filter(|&c| eligible(b, c)) {
            let share = (bin.capacity as u128 * classes[c].gpus as u128 / total as u128) as u64;
            per[c] = share / classes[c].unit * classes[c].unit;
        }
    }
    leftover(&mut proportional);
    // Scarcest class first, one unit per bin in turn.
    let supply: Vec<u64> = (0..nc)
        .map(|c| {
            inst.bins
                .iter()
                .enumerate()
                .filter(|(b, _)| eligible(*b, c))
                .map(|(_, bin)| bin.capacity)
                .sum()
        })
        .collect();
    let mut order: Vec<usize> = (0..nc).collect();
    order.sort_by(|&a, &b| {
        let ratio = |c: usize| supply[c] as f64 / classes[c].gpus.max(1) as f64;
        ratio(a).total_cmp(&ratio(b)).then(a.cmp(&b))
    });
    let mut spread = zeros(inst.bins.len(), nc);
    let mut free: Vec<u64> = inst
        .bins
        .iter()
        .zip(alive)
        .map(|(b, &a)| if a { b.capacity } else { 0 })
        .collect();
    for c in order {
        let unit = classes[c].unit;
        let mut need = classes[c].gpus / unit;
        let bins: Vec<usize> = (0..inst.bins.len()).filter(|&b| eligible(b, c)).collect();
        while need > 0 {
            let mut placed = false;
            for &b in &bins {
                if need == 0 {
                    break;
                }
                if free[b] >= unit {
                    free[b] -= unit;
                    bin_mut(&mut spread, b)[c] += unit;
                    need -= 1;
                    placed = true;
                }
            }
            if !placed {
                break;
            }
        }
    }
    leftover(&mut spread);
    [proportional, spread]
}

#[test]
fn divisions_match_their_definition() {
    let mut rng = Rng::new(11);
    for case in 0..400 {
        let (s, w, _) = network(&mut rng, 1 + case % 25);
        let mut inst = Instance::new(&s, &w).unwrap();
        // Some cases with a bin too large for a 64-bit product of
        // capacity and demand.
        if case % 7 == 0 {
            inst.bins[0].capacity = 1 << 62;
        }
        // Classes of every kind: no demand, demand beyond supply (the
        // spread then takes several passes), any unit.
        let classes: Vec<ClassDemand> = (0..inst.demands.len())
            .map(|_| {
                let unit = [1u64, 2, 4, 8][(rng.next_u64() % 4) as usize];
                let gpus = match rng.next_u64() % 4 {
                    0 => 0,
                    1 => unit * (1 + rng.next_u64() % 5),
                    2 => unit * (1 + rng.next_u64() % 200),
                    _ => unit * (1 + rng.next_u64() % 1024),
                };
                ClassDemand {
                    gpus,
                    unit,
                    spread: None,
                }
            })
            .collect();
        let alive: Vec<bool> = (0..inst.bins.len())
            .map(|_| case % 3 == 0 || rng.next_u64() % 10 < 7)
            .collect();
        let fast = divisions(&inst, &classes, &alive);
        let slow = divisions_by_definition(&inst, &classes, &alive);
        for (f, s) in fast.iter().zip(&slow) {
            assert_eq!(f.portions, s.portions, "case {case}");
        }
    }
}

#[test]
fn usable_gpus_are_each_providers_best_fills() {
    let mut rng = Rng::new(23);
    for case in 0..200 {
        let (s, w, _) = network(&mut rng, 1 + case % 20);
        let inst = Instance::new(&s, &w).unwrap();
        // By definition: every bin's best fill with the units of the
        // classes it is eligible for, summed per provider (one more
        // provider than any bin names, which has none).
        let n = s.providers.len() + 1;
        let mut expected = vec![0u64; n];
        for b in &inst.bins {
            let sizes: Vec<u64> = (0..inst.demands.len())
                .filter(|j| b.eligible & (1 << j) != 0)
                .map(|j| inst.demands[j].unit)
                .collect();
            expected[b.provider] += crate::stress::solver::best_fill(b.capacity, &sizes);
        }
        assert_eq!(inst.usable_gpus(n), expected, "case {case}");
    }
}
