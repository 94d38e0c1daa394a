//! Solver tests: hand-solved instances and agreement with brute force.

use super::*;
use crate::rng::Rng;

fn d(unit: u64, units: u64) -> Demand {
    Demand {
        unit,
        units,
        spread_replica: None,
    }
}

fn bins(list: &[(u64, u64)]) -> Vec<Bin> {
    list.iter()
        .enumerate()
        .map(|(i, &(capacity, eligible))| Bin {
            provider: i,
            capacity,
            eligible,
        })
        .collect()
}

/// Optimal served GPUs by exhaustive search (tiny instances only).
fn brute_force(demands: &[Demand], bins: &[Bin]) -> u64 {
    fn go(demands: &[Demand], bins: &[Bin], b: usize, left: &mut Vec<u64>) -> u64 {
        if b == bins.len() {
            return 0;
        }
        let mut best = 0;
        // Enumerate unit counts per class for this bin.
        #[allow(clippy::too_many_arguments)] // a plain recursive enumerator, kept literal
        fn fill(
            demands: &[Demand],
            bins: &[Bin],
            b: usize,
            j: usize,
            cap: u64,
            left: &mut Vec<u64>,
            used: u64,
            best: &mut u64,
        ) {
            if j == demands.len() {
                let rest = go(demands, bins, b + 1, left);
                *best = (*best).max(used + rest);
                return;
            }
            let max = if bins[b].eligible & (1 << j) == 0 {
                0
            } else {
                (cap / demands[j].unit).min(left[j])
            };
            for k in 0..=max {
                left[j] -= k;
                fill(
                    demands,
                    bins,
                    b,
                    j + 1,
                    cap - k * demands[j].unit,
                    left,
                    used + k * demands[j].unit,
                    best,
                );
                left[j] += k;
            }
        }
        fill(demands, bins, b, 0, bins[b].capacity, left, 0, &mut best);
        best
    }
    let mut left: Vec<u64> = demands.iter().map(|d| d.units).collect();
    go(demands, bins, 0, &mut left)
}

/// (demands, bins as (capacity, eligible mask), optimum, why).
type Case = (Vec<Demand>, Vec<(u64, u64)>, u64, &'static str);

#[test]
fn hand_solved_instances() {
    // (demands, bins (capacity, eligible mask), optimum)
    let cases: Vec<Case> = vec![
        (
            vec![d(8, 2)],
            vec![(8, 1), (8, 1), (7, 1)],
            16,
            "8-GPU replicas need whole 8-GPU bins",
        ),
        (
            vec![d(2, 10)],
            vec![(3, 1), (3, 1)],
            4,
            "odd bins waste one GPU each",
        ),
        (
            vec![d(2, 1), d(1, 5)],
            vec![(4, 0b11)],
            4,
            "a small class fills what the large leaves",
        ),
        (
            vec![d(1, 3)],
            vec![(10, 1)],
            3,
            "demand caps the served GPUs",
        ),
        (
            vec![d(4, 1), d(3, 2)],
            vec![(6, 0b10), (4, 0b11)],
            10,
            "the 3s must avoid the only 4-bin",
        ),
        (
            vec![d(5, 1)],
            vec![(4, 1)],
            0,
            "a replica larger than any bin is never placed",
        ),
    ];
    for (demands, list, optimum, why) in cases {
        let b = bins(&list);
        assert_eq!(brute_force(&demands, &b), optimum, "brute force: {why}");
        let p = solve(&demands, &types_of(&b, |_| true));
        assert_eq!(p.served_gpus, optimum, "{why}");
        assert!(p.upper_bound_gpus >= optimum, "{why}");
    }
}

#[test]
fn greedy_alone_misses_the_optimum_and_the_exact_search_recovers_it() {
    // Found by random search against brute force: every greedy order and the
    // bin-by-bin fill reach 11 of the optimal 14 GPUs.
    let demands = vec![d(5, 1), d(3, 1), d(2, 3)];
    let b = bins(&[(7, 3), (3, 5), (9, 5), (1, 3)]);
    let types = types_of(&b, |_| true);
    assert_eq!(brute_force(&demands, &b), 14);
    assert!(
        best_greedy(&demands, &types).0 < 14,
        "the heuristics alone are not optimal here"
    );
    assert_eq!(upper_bound(&demands, &types), 14);
    let p = solve(&demands, &types);
    assert_eq!((p.served_gpus, p.exact, p.gap()), (14, true, 0.0));
}

#[test]
fn without_exact_search_the_gap_is_reported() {
    let demands = vec![d(5, 1), d(3, 1), d(2, 3)];
    let types = types_of(&bins(&[(7, 3), (3, 5), (9, 5), (1, 3)]), |_| true);
    assert_eq!(
        exact_search(&demands, &types, 3),
        None,
        "a tiny budget gives up"
    );
    let lower = best_greedy(&demands, &types).0;
    let upper = upper_bound(&demands, &types);
    assert!(lower < upper);
}

#[test]
fn agrees_with_brute_force_on_random_instances() {
    let mut rng = Rng::new(11);
    let mut exact_claims = 0;
    for case in 0..400 {
        let classes = 1 + (rng.next_u64() % 3) as usize;
        let demands: Vec<Demand> = (0..classes)
            .map(|_| d(1 + rng.next_u64() % 4, 1 + rng.next_u64() % 4))
            .collect();
        let nbins = 1 + (rng.next_u64() % 4) as usize;
        let list: Vec<(u64, u64)> = (0..nbins)
            .map(|_| {
                (
                    1 + rng.next_u64() % 8,
                    1 + rng.next_u64() % ((1 << classes) - 1),
                )
            })
            .collect();
        let b = bins(&list);
        let optimum = brute_force(&demands, &b);
        let p = solve(&demands, &types_of(&b, |_| true));
        assert!(
            p.served_gpus <= optimum,
            "case {case}: placement above optimum"
        );
        assert!(
            p.upper_bound_gpus >= optimum,
            "case {case}: bound {} below optimum {optimum}",
            p.upper_bound_gpus
        );
        if p.exact {
            exact_claims += 1;
            assert_eq!(p.served_gpus, optimum, "case {case}: claimed exact");
        }
    }
    assert!(
        exact_claims > 300,
        "the bound should usually prove optimality: {exact_claims}"
    );
}

#[test]
fn removing_bins_never_increases_served_demand() {
    let mut rng = Rng::new(5);
    for _ in 0..30 {
        let demands = vec![d(2, 4), d(1, 3), d(4, 2)];
        let list: Vec<(u64, u64)> = (0..6)
            .map(|_| (1 + rng.next_u64() % 9, 1 + rng.next_u64() % 7))
            .collect();
        let b = bins(&list);
        let all = brute_force(&demands, &b);
        let fewer = brute_force(&demands, &b[..4]);
        assert!(fewer <= all);
        let p_all = solve(&demands, &types_of(&b, |_| true));
        let p_fewer = solve(&demands, &types_of(&b, |bin| bin.provider < 4));
        assert!(p_fewer.upper_bound_gpus <= p_all.upper_bound_gpus);
    }
}

#[test]
fn best_fill_table() {
    let cases: [(u64, &[u64], u64); 6] = [
        (7, &[2], 6),
        (7, &[2, 3], 7),
        (1, &[2, 3], 0),
        (10, &[4, 6], 10),
        (11, &[4, 6], 10),
        (1000, &[8], 1000),
    ];
    for (cap, sizes, expected) in cases {
        assert_eq!(best_fill(cap, sizes), expected, "{cap} {sizes:?}");
    }
}

#[test]
fn spread_classes_serve_whole_replicas() {
    // A 4-GPU job that may span providers, on three bins of 3 GPUs: 9 GPUs
    // hold two whole replicas (8 GPUs).
    let demands = vec![Demand {
        unit: 1,
        units: 12,
        spread_replica: Some(4),
    }];
    let p = solve(
        &demands,
        &types_of(&bins(&[(3, 1), (3, 1), (3, 1)]), |_| true),
    );
    assert_eq!(p.served_gpus, 8);
}
