//! Placement of a workload on GPU capacity, with a proven upper bound.
//!
//! Capacity is a set of *bins*: the GPUs of one model on one provider. A
//! replica of class j takes `g_j` GPUs from one bin it is eligible for (or,
//! for classes that may spread across providers, single GPUs from any
//! eligible bin). The objective, stated once: **maximize the GPUs of placed
//! replicas** (served GPUs), at most `g_j × replicas_j` per class.
//!
//! This integer program is solved by (1) an upper bound, the maximum flow
//! source → class → bin → sink where each bin's capacity is first rounded
//! down to the largest total its eligible replica sizes can fill (a small
//! subset-sum) and each class→bin edge to whole replicas; (2) greedy
//! placements in several class orders, filling bins least useful to other
//! classes first, keeping the best. When the best placement meets the bound
//! the result is proven optimal (`exact`); otherwise the relative `gap`
//! between bound and placement is reported. Identical bins (same eligible
//! classes, same capacity) are aggregated, so the work grows with the number
//! of distinct bin types, not providers.

use std::collections::{BTreeMap, HashMap};

/// A class as the solver sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// GPUs per placement unit: a replica, or 1 for classes that spread.
    pub unit: u64,
    /// Units demanded.
    pub units: u64,
    /// Replica size for classes that spread (served GPUs round down to it).
    pub spread_replica: Option<u64>,
}

impl Demand {
    fn gpus(&self) -> u64 {
        self.unit * self.units
    }
}

/// GPUs of one model on one provider, and which classes they can serve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub provider: usize,
    pub capacity: u64,
    /// Bit j set: class j may use these GPUs.
    pub eligible: u64,
}

/// Result of one placement.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub served_gpus: u64,
    pub per_class_gpus: Vec<u64>,
    /// Proven upper bound on served GPUs.
    pub upper_bound_gpus: u64,
    /// The placement meets the bound.
    pub exact: bool,
}

impl Placement {
    /// (bound − served) / bound; 0 when exact or the bound is 0.
    pub fn gap(&self) -> f64 {
        if self.upper_bound_gpus == 0 {
            0.0
        } else {
            (self.upper_bound_gpus - self.served_gpus) as f64 / self.upper_bound_gpus as f64
        }
    }
}

/// Bins grouped by (eligible classes, capacity), with their counts.
pub type Types = BTreeMap<(u64, u64), u64>;

/// Counts the alive bins by type.
pub fn types_of(bins: &[Bin], alive: impl Fn(&Bin) -> bool) -> Types {
    let mut t = Types::new();
    for b in bins
        .iter()
        .filter(|b| b.eligible != 0 && b.capacity > 0 && alive(b))
    {
        *t.entry((b.eligible, b.capacity)).or_insert(0) += 1;
    }
    t
}

/// Places the demands on the bins: best greedy placement and the bound.
pub fn solve(demands: &[Demand], types: &Types) -> Placement {
    let lower = best_greedy(demands, types);
    let upper = upper_bound(demands, types).max(lower.0);
    if lower.0 < upper
        && let Some(optimum) = exact_search(demands, types, 200_000)
    {
        // The search is exhaustive: its value is the optimum and the bound.
        return Placement {
            served_gpus: optimum.0,
            per_class_gpus: optimum.1,
            upper_bound_gpus: optimum.0,
            exact: true,
        };
    }
    Placement {
        served_gpus: lower.0,
        per_class_gpus: lower.1,
        upper_bound_gpus: upper,
        exact: lower.0 == upper,
    }
}

/// Exact branch and bound over individual bins; `None` when it would
/// visit more than `budget` nodes.
///
/// Bins are taken in type order, and each bin is filled with a *pattern*
/// (replicas per class). Two restrictions keep the search small without
/// losing the optimum — both hold for the optimal solution whose sequence
/// of patterns is lexicographically largest: (1) every pattern is maximal
/// for the demand still open (a replica that fits and is still wanted is
/// placed: moving it here from a later bin keeps the objective and makes
/// the sequence larger); (2) identical bins take non-increasing patterns
/// (swapping them keeps the objective). Each node is bounded by what is
/// placed so far plus the maximum-flow bound of the open demand on the
/// remaining bins.
pub fn exact_search(demands: &[Demand], types: &Types, budget: u64) -> Option<(u64, Vec<u64>)> {
    let mut s = Exact::new(demands, types, None, budget)?;
    s.bin(0, 0).then_some(s.best)
}

/// Whether some placement serves at least `goal` GPUs: `Some(true)` with a
/// placement found, `Some(false)` when the search proves none exists,
/// `None` when it would visit more than `budget` nodes. Also returns the
/// nodes visited. The same search as [`exact_search`], stopping at the
/// first placement that reaches the goal and pruning every branch whose
/// bound stays below it.
pub fn reaches_at_least(
    demands: &[Demand],
    types: &Types,
    goal: u64,
    budget: u64,
) -> (Option<bool>, u64) {
    let Some(mut s) = Exact::new(demands, types, Some(goal), budget) else {
        return (None, 0);
    };
    if s.best.0 >= goal {
        return (Some(true), 0);
    }
    let complete = s.bin(0, 0);
    let verdict = if s.best.0 >= goal {
        Some(true)
    } else {
        complete.then_some(false)
    };
    (verdict, s.nodes)
}

/// State of [`exact_search`].
struct Exact<'a> {
    demands: &'a [Demand],
    bins: Vec<(u64, u64)>,
    /// The bins i.. as types, for every i.
    rest: Vec<Types>,
    left: Vec<u64>,
    units: Vec<u64>,
    best: (u64, Vec<u64>),
    /// Stop at the first placement serving this much; prune below it.
    goal: Option<u64>,
    nodes: u64,
    budget: u64,
    /// Pattern chosen per bin (for the symmetry rule).
    patterns: Vec<Vec<u64>>,
    fills: HashMap<(u64, u64), u64>,
}

impl<'a> Exact<'a> {
    /// Classes that spread take single GPUs (unit 1) and are credited in
    /// whole replicas at the end; placed GPUs bound their credit.
    fn new(demands: &'a [Demand], types: &Types, goal: Option<u64>, budget: u64) -> Option<Self> {
        let bins: Vec<(u64, u64)> = types
            .iter()
            .flat_map(|(&(sig, cap), &n)| std::iter::repeat_n((sig, cap), n as usize))
            .collect();
        let mut rest = vec![Types::new(); bins.len() + 1];
        for i in (0..bins.len()).rev() {
            rest[i] = rest[i + 1].clone();
            *rest[i].entry(bins[i]).or_insert(0) += 1;
        }
        Some(Exact {
            demands,
            bins,
            rest,
            left: demands.iter().map(|d| d.units).collect(),
            units: vec![0; demands.len()],
            best: best_greedy(demands, types),
            goal,
            nodes: 0,
            budget,
            patterns: Vec::new(),
            fills: HashMap::new(),
        })
    }

    /// Done: the goal is reached.
    fn reached(&self) -> bool {
        self.goal.is_some_and(|g| self.best.0 >= g)
    }

    /// Fills bin `i` onwards; `used` GPUs are placed. `false`: out of budget.
    fn bin(&mut self, i: usize, used: u64) -> bool {
        self.nodes += 1;
        if self.nodes > self.budget {
            return false;
        }
        if i == self.bins.len() {
            // Classes that spread are credited in whole replicas.
            let per: Vec<u64> = self
                .demands
                .iter()
                .zip(&self.units)
                .map(|(d, u)| {
                    let gpus = d.unit * u;
                    d.spread_replica
                        .map_or(gpus, |g| gpus / g.max(1) * g.max(1))
                })
                .collect();
            let credited: u64 = per.iter().sum();
            if credited > self.best.0 {
                self.best = (credited, per);
            }
            return true;
        }
        let open: Vec<Demand> = self
            .demands
            .iter()
            .zip(&self.left)
            .map(|(d, &l)| Demand {
                unit: d.unit,
                units: l,
                spread_replica: None,
            })
            .collect();
        // What must be beaten: the incumbent, or the goal less one.
        let floor = match self.goal {
            Some(g) => g.saturating_sub(1).max(self.best.0),
            None => self.best.0,
        };
        let cheap: u64 = open.iter().map(|d| d.unit * d.units).sum();
        if used + cheap <= floor {
            return true;
        }
        if used + upper_bound_with(&open, &self.rest[i], &mut self.fills) <= floor {
            return true;
        }
        let (sig, cap) = self.bins[i];
        let same_as_prev = i > 0 && self.bins[i - 1] == (sig, cap);
        let ceiling = same_as_prev.then(|| self.patterns[i - 1].clone());
        let mut pattern = vec![0u64; self.demands.len()];
        self.patterns.push(Vec::new());
        let ok = self.fill(i, 0, cap, used, &mut pattern, ceiling.as_deref(), true);
        self.patterns.pop();
        ok
    }

    /// Chooses the units of class `j` in bin `i` (most first), with `cap`
    /// GPUs free; `tight` while the pattern equals the ceiling so far.
    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        i: usize,
        j: usize,
        cap: u64,
        used: u64,
        pattern: &mut Vec<u64>,
        ceiling: Option<&[u64]>,
        tight: bool,
    ) -> bool {
        let (sig, _) = self.bins[i];
        if j == self.demands.len() {
            // Maximal: no wanted replica still fits.
            let room = (0..self.demands.len())
                .any(|c| sig & (1 << c) != 0 && self.left[c] > 0 && self.demands[c].unit <= cap);
            if room {
                return true;
            }
            *self.patterns.last_mut().expect("pushed") = pattern.clone();
            return self.bin(i + 1, used);
        }
        let unit = self.demands[j].unit;
        let mut max = if sig & (1 << j) == 0 {
            0
        } else {
            (cap / unit).min(self.left[j])
        };
        if let (Some(c), true) = (ceiling, tight) {
            max = max.min(c[j]);
        }
        for k in (0..=max).rev() {
            self.left[j] -= k;
            self.units[j] += k;
            pattern[j] = k;
            let still_tight = tight && ceiling.is_some_and(|c| c[j] == k);
            let ok = self.fill(
                i,
                j + 1,
                cap - k * unit,
                used + k * unit,
                pattern,
                ceiling,
                still_tight,
            );
            self.left[j] += k;
            self.units[j] -= k;
            pattern[j] = 0;
            if !ok {
                return false;
            }
            if self.reached() {
                return true;
            }
        }
        true
    }
}

/// The best of several greedy placements: (served GPUs, per class).
pub fn best_greedy(demands: &[Demand], types: &Types) -> (u64, Vec<u64>) {
    let n = demands.len();
    let supply: Vec<u64> = (0..n)
        .map(|j| {
            types
                .iter()
                .filter(|((sig, _), _)| sig & (1 << j) != 0)
                .map(|((_, cap), count)| cap * count)
                .sum()
        })
        .collect();
    let mut orders: Vec<Vec<usize>> = Vec::new();
    let spread_last = |a: &usize, b: &usize| {
        demands[*a]
            .spread_replica
            .is_some()
            .cmp(&demands[*b].spread_replica.is_some())
    };
    let mut by_size: Vec<usize> = (0..n).collect();
    by_size.sort_by(|a, b| {
        spread_last(a, b)
            .then(demands[*b].unit.cmp(&demands[*a].unit))
            .then(a.cmp(b))
    });
    orders.push(by_size);
    let mut by_scarcity: Vec<usize> = (0..n).collect();
    // Classes whose eligible supply covers their demand least come first.
    by_scarcity.sort_by(|a, b| {
        let ratio = |j: usize| supply[j] as f64 / demands[j].gpus().max(1) as f64;
        spread_last(a, b)
            .then(ratio(*a).total_cmp(&ratio(*b)))
            .then(a.cmp(b))
    });
    orders.push(by_scarcity);
    let mut by_small: Vec<usize> = (0..n).collect();
    by_small.sort_by(|a, b| {
        spread_last(a, b)
            .then(demands[*a].unit.cmp(&demands[*b].unit))
            .then(a.cmp(b))
    });
    orders.push(by_small);
    orders
        .iter()
        .map(|order| greedy(demands, types, order))
        .chain(std::iter::once(bin_by_bin(demands, types)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .unwrap_or((0, vec![0; n]))
}

/// Fills bins one type at a time (least flexible, smallest first), each with
/// the replica mix that fills it best given the demand still open: a small
/// bounded knapsack per bin, its pattern repeated over identical bins.
fn bin_by_bin(demands: &[Demand], types: &Types) -> (u64, Vec<u64>) {
    let mut left: Vec<u64> = demands.iter().map(|d| d.units).collect();
    let mut keys: Vec<((u64, u64), u64)> = types.iter().map(|(k, c)| (*k, *c)).collect();
    keys.sort_by_key(|&((sig, cap), _)| (sig.count_ones(), cap));
    for ((sig, cap), mut count) in keys {
        while count > 0 {
            let items: Vec<(usize, u64, u64)> = (0..demands.len())
                .filter(|&j| sig & (1 << j) != 0 && left[j] > 0 && demands[j].unit <= cap)
                .map(|j| (j, demands[j].unit, left[j].min(cap / demands[j].unit)))
                .collect();
            let pattern = best_pattern(cap, &items);
            if pattern.is_empty() {
                break;
            }
            // Repeat the pattern on as many identical bins as demand allows.
            let repeat = pattern
                .iter()
                .map(|&(j, k)| left[j] / k)
                .min()
                .unwrap_or(0)
                .min(count)
                .max(1);
            for &(j, k) in &pattern {
                left[j] -= k * repeat.min(left[j] / k);
            }
            count -= repeat;
        }
    }
    let per_class: Vec<u64> = demands
        .iter()
        .zip(&left)
        .map(|(d, &l)| {
            let gpus = (d.units - l) * d.unit;
            d.spread_replica.map_or(gpus, |g| gpus / g * g)
        })
        .collect();
    (per_class.iter().sum(), per_class)
}

/// Units per class that fill `cap` best from `items` (class, size, max
/// units), preferring larger replicas on ties. Bounded knapsack by binary
/// splitting; bins above 4,096 GPUs are filled largest-first instead.
fn best_pattern(cap: u64, items: &[(usize, u64, u64)]) -> Vec<(usize, u64)> {
    let mut sorted = items.to_vec();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if cap > 4096 {
        let mut rest = cap;
        return sorted
            .iter()
            .filter_map(|&(j, size, max)| {
                let k = (rest / size).min(max);
                rest -= k * size;
                (k > 0).then_some((j, k))
            })
            .collect();
    }
    let mut chunks: Vec<(usize, u64, u64)> = Vec::new(); // (class, units, weight)
    for &(j, size, max) in &sorted {
        let (mut left, mut take) = (max, 1);
        while left > 0 {
            let k = take.min(left);
            chunks.push((j, k, k * size));
            left -= k;
            take *= 2;
        }
    }
    let cap = cap as usize;
    let mut first = vec![usize::MAX; cap + 1];
    let mut reach = vec![false; cap + 1];
    reach[0] = true;
    for (idx, &(_, _, w)) in chunks.iter().enumerate() {
        let w = w as usize;
        for c in (w..=cap).rev() {
            if !reach[c] && reach[c - w] {
                reach[c] = true;
                first[c] = idx;
            }
        }
    }
    let mut c = (0..=cap).rev().find(|&c| reach[c]).unwrap_or(0);
    let mut units: BTreeMap<usize, u64> = BTreeMap::new();
    while c > 0 {
        let (j, k, w) = chunks[first[c]];
        *units.entry(j).or_insert(0) += k;
        c -= w as usize;
    }
    units.into_iter().collect()
}

/// Places classes in `order`, each as fully as it can, into the bins least
/// useful to other classes (fewest eligible classes), then least waste.
fn greedy(demands: &[Demand], types: &Types, order: &[usize]) -> (u64, Vec<u64>) {
    let mut types = types.clone();
    let mut units = vec![0u64; demands.len()];
    for &j in order {
        let d = &demands[j];
        let mut need = d.units;
        let mut keys: Vec<(u64, u64)> = types
            .keys()
            .copied()
            .filter(|(sig, cap)| sig & (1 << j) != 0 && *cap >= d.unit)
            .collect();
        keys.sort_by_key(|&(sig, cap)| (sig.count_ones(), cap % d.unit, std::cmp::Reverse(cap)));
        for (sig, cap) in keys {
            if need == 0 {
                break;
            }
            let Some(&count) = types.get(&(sig, cap)) else {
                continue;
            };
            let fit = cap / d.unit;
            let full = count.min(need / fit);
            let mut moved = Vec::new();
            if full > 0 {
                moved.push((cap - fit * d.unit, full));
                need -= full * fit;
            }
            let partial = need > 0 && need < fit && count > full;
            if partial {
                moved.push((cap - need * d.unit, 1));
                need = 0;
            }
            let used = full + u64::from(partial);
            if used == 0 {
                continue;
            }
            let left = count - used;
            if left == 0 {
                types.remove(&(sig, cap));
            } else {
                types.insert((sig, cap), left);
            }
            for (rest, n) in moved.into_iter().filter(|(rest, _)| *rest > 0) {
                *types.entry((sig, rest)).or_insert(0) += n;
            }
        }
        units[j] = d.units - need;
    }
    let per_class: Vec<u64> = demands
        .iter()
        .zip(&units)
        .map(|(d, &u)| match d.spread_replica {
            Some(g) => (u * d.unit) / g * g,
            None => u * d.unit,
        })
        .collect();
    (per_class.iter().sum(), per_class)
}

/// Maximum-flow bound on served GPUs.
pub fn upper_bound(demands: &[Demand], types: &Types) -> u64 {
    upper_bound_with(demands, types, &mut HashMap::new())
}

/// [`upper_bound`] with a memo of bin fills shared across calls.
fn upper_bound_with(
    demands: &[Demand],
    types: &Types,
    fill_memo: &mut HashMap<(u64, u64), u64>,
) -> u64 {
    let n = demands.len();
    let t_count = types.len();
    let (source, sink) = (0, 1 + n + t_count);
    let mut g = Flow::new(sink + 1);
    for (j, d) in demands.iter().enumerate() {
        // A class that spreads is credited in whole replicas: it can never
        // be credited more than its eligible capacity rounded down to them.
        let credit = match d.spread_replica {
            Some(r) if r > 0 => {
                let eligible: u64 = types
                    .iter()
                    .filter(|((sig, _), _)| sig & (1 << j) != 0)
                    .map(|((_, cap), n)| cap.saturating_mul(*n))
                    .fold(0u64, u64::saturating_add);
                d.gpus().min(eligible / r * r)
            }
            _ => d.gpus(),
        };
        g.edge(source, 1 + j, credit);
    }
    for (t, (&(sig, cap), &count)) in types.iter().enumerate() {
        let node = 1 + n + t;
        let sizes: Vec<u64> = (0..n)
            .filter(|j| sig & (1 << j) != 0)
            .map(|j| demands[j].unit)
            .collect();
        let fill = *fill_memo
            .entry((sig, cap))
            .or_insert_with(|| best_fill(cap, &sizes));
        g.edge(node, sink, fill * count);
        for j in (0..n).filter(|j| sig & (1 << j) != 0) {
            let per_bin = cap / demands[j].unit * demands[j].unit;
            if per_bin > 0 {
                g.edge(1 + j, node, per_bin * count);
            }
        }
    }
    g.max_flow(source, sink)
}

/// Largest total ≤ `cap` that replicas of the given sizes can fill in one bin.
pub fn best_fill(cap: u64, sizes: &[u64]) -> u64 {
    let Some(&largest) = sizes.iter().max() else {
        return 0;
    };
    if sizes.contains(&1) {
        return cap;
    }
    let d = sizes.iter().copied().fold(0, gcd);
    // Every multiple of the gcd from largest² on is a sum of the sizes.
    if cap >= largest.saturating_mul(largest) {
        return cap - cap % d;
    }
    let cap = cap as usize;
    let mut reach = vec![false; cap + 1];
    reach[0] = true;
    for x in 1..=cap {
        reach[x] = sizes
            .iter()
            .any(|&s| s as usize <= x && reach[x - s as usize]);
    }
    (0..=cap).rev().find(|&x| reach[x]).unwrap_or(0) as u64
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Dinic's maximum flow on a small dense-ish graph with integer capacities.
struct Flow {
    head: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<u64>,
}

impl Flow {
    fn new(nodes: usize) -> Self {
        Flow {
            head: vec![Vec::new(); nodes],
            to: Vec::new(),
            cap: Vec::new(),
        }
    }

    fn edge(&mut self, a: usize, b: usize, c: u64) {
        self.head[a].push(self.to.len());
        self.to.push(b);
        self.cap.push(c);
        self.head[b].push(self.to.len());
        self.to.push(a);
        self.cap.push(0);
    }

    fn max_flow(&mut self, s: usize, t: usize) -> u64 {
        let mut total = 0u64;
        loop {
            let level = self.levels(s);
            if level[t] == usize::MAX {
                return total;
            }
            let mut next = vec![0usize; self.head.len()];
            loop {
                let pushed = self.push(s, t, u64::MAX, &level, &mut next);
                if pushed == 0 {
                    break;
                }
                total = total.saturating_add(pushed);
            }
        }
    }

    fn levels(&self, s: usize) -> Vec<usize> {
        let mut level = vec![usize::MAX; self.head.len()];
        level[s] = 0;
        let mut queue = std::collections::VecDeque::from([s]);
        while let Some(x) = queue.pop_front() {
            for &e in &self.head[x] {
                let y = self.to[e];
                if self.cap[e] > 0 && level[y] == usize::MAX {
                    level[y] = level[x] + 1;
                    queue.push_back(y);
                }
            }
        }
        level
    }

    /// One augmenting path in the level graph (iterative DFS).
    fn push(&mut self, s: usize, t: usize, limit: u64, level: &[usize], next: &mut [usize]) -> u64 {
        let mut path: Vec<usize> = Vec::new();
        let mut x = s;
        loop {
            if x == t {
                let f = path
                    .iter()
                    .map(|&e| self.cap[e])
                    .min()
                    .unwrap_or(limit)
                    .min(limit);
                for &e in &path {
                    self.cap[e] -= f;
                    self.cap[e ^ 1] += f;
                }
                return f;
            }
            let mut advanced = false;
            while next[x] < self.head[x].len() {
                let e = self.head[x][next[x]];
                let y = self.to[e];
                if self.cap[e] > 0 && level[y] == level[x] + 1 {
                    path.push(e);
                    x = y;
                    advanced = true;
                    break;
                }
                next[x] += 1;
            }
            if !advanced {
                if x == s {
                    return 0;
                }
                let e = path.pop().expect("not at the source");
                x = self.to[e ^ 1];
                next[x] += 1;
            }
        }
    }
}

#[cfg(test)]
#[path = "solver_tests.rs"]
mod tests;
