//! The workload Nakamoto coefficient: the fewest groups (operators,
//! providers, countries, clouds, ASNs, data centers) whose joint loss drops
//! the *optimal* served demand strictly below `level × demand`.
//!
//! Served demand is monotone: losing more never serves more. So the
//! coefficient is found by deciding, for k = 1, 2, …, whether some k groups
//! reach the level, with
//!
//! - **sound lower bounds** that hold for every set of k groups at once:
//!   a *robust placement* gives each class fixed portions of the bins, and
//!   losing k groups can take away at most the k largest portions a class
//!   has in them ([`Bounds`]); a class alone, with all its eligible
//!   capacity, gives one such bound, a division of every bin among the
//!   classes gives another;
//! - **upper bounds** from attacks whose result is proven by the maximum
//!   flow bound of the placement solver (or by an exact placement):
//!   largest capacity first, greatest impact first, per-class attacks on
//!   the scarcest class, then a local search that swaps groups in and out;
//! - an exact **branch and bound** over which groups are lost, pruned by
//!   the lower bounds, with interchangeable groups (the same bins) taken in
//!   one order only. A k it completes without finding a set is proven
//!   impossible; the first k with a set is the coefficient, exactly.
//!
//! The search is deterministic (fixed orders, no clocks): its effort is
//! counted in nodes, and a budget of nodes ends it, reporting the proven
//! bounds with `exact: false` and their gap.

use super::instance::Instance;
use super::solver::{Placement, Types, best_greedy, reaches_at_least, upper_bound};
use crate::text::pct;
use serde::Serialize;
use std::collections::HashMap;

/// Named groups of providers (operators, countries, …), disjoint.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    pub labels: Vec<String>,
    pub members: Vec<Vec<usize>>,
}

/// How the groups of one level are named in reasons.
#[derive(Debug, Clone, Copy)]
pub struct Noun {
    pub one: &'static str,
    pub many: &'static str,
}

impl Noun {
    pub const OPERATOR: Noun = Noun {
        one: "operator",
        many: "operators",
    };
    pub const PROVIDER: Noun = Noun {
        one: "provider",
        many: "providers",
    };
    pub const COUNTRY: Noun = Noun {
        one: "country",
        many: "countries",
    };
    pub const CLOUD: Noun = Noun {
        one: "cloud",
        many: "clouds",
    };
    pub const ASN: Noun = Noun {
        one: "ASN",
        many: "ASNs",
    };
    pub const DATACENTER: Noun = Noun {
        one: "data center",
        many: "data centers",
    };

    fn count(self, n: usize) -> String {
        crate::text::plural(n, self.one, self.many)
    }
}

/// Search nodes one second buys, by which `--nakamoto-time-limit` becomes a
/// node budget: measured on the reference 2-core machine (BENCHMARKS.md),
/// so results never depend on the clock or the machine's speed.
pub const NODES_PER_SECOND: f64 = 2_000_000.0;

/// The default time limit per level, in seconds.
pub const DEFAULT_TIME_LIMIT: f64 = 3.0;

/// The search effort one level may spend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub nodes: u64,
}

impl Budget {
    /// The budget of a time limit in seconds.
    pub fn seconds(limit: f64) -> Budget {
        Budget {
            nodes: (limit.max(0.0) * NODES_PER_SECOND).round() as u64,
        }
    }
}

/// Fewest groups whose joint loss drops served demand below the level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NakamotoResult {
    /// The coefficient when exact, else the best proven count (the upper
    /// bound); null when no loss is proven to reach the level or the
    /// coefficient is not applicable.
    pub value: Option<usize>,
    /// Proven lower bound; null when the coefficient is not applicable.
    pub lower_bound: Option<usize>,
    pub upper_bound: Option<usize>,
    /// The bounds meet: the value is the coefficient.
    pub exact: bool,
    /// (upper − lower) / upper when both bounds exist and differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<f64>,
    /// Why the lower bound holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower_reason: Option<String>,
    /// How the upper bound was found (a removal set, proven).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper_reason: Option<String>,
    /// Groups whose loss achieves `upper_bound`.
    pub removed: Vec<String>,
    /// Why `value` is null; null when it is given.
    pub reason: Option<String>,
    /// Search nodes spent (deterministic).
    pub nodes: u64,
}

impl NakamotoResult {
    /// A coefficient without a value, with the reason.
    pub fn without_value(lower_bound: Option<usize>, reason: String) -> Self {
        NakamotoResult {
            value: None,
            lower_bound,
            upper_bound: None,
            exact: false,
            gap: None,
            lower_reason: None,
            upper_reason: None,
            removed: vec![],
            reason: Some(reason),
            nodes: 0,
        }
    }
}

/// One class as the bounds see it.
#[derive(Debug, Clone, Copy)]
struct ClassDemand {
    /// GPUs demanded.
    gpus: u64,
    /// GPUs one placement unit takes from one bin (1 for spread classes).
    unit: u64,
    /// Served GPUs of a spread class round down to whole replicas.
    spread: Option<u64>,
}

impl ClassDemand {
    /// GPUs served of this class with `capacity` GPUs of whole units.
    fn served(self, capacity: u64) -> u64 {
        let x = self.gpus.min(capacity);
        match self.spread {
            Some(g) if g > 0 => x / g * g,
            _ => x,
        }
    }
}

/// One group, prepared for the search.
#[derive(Debug, Clone)]
struct Group {
    index: usize,
    members: Vec<usize>,
    /// The group's bins (indices into the instance).
    bins: Vec<usize>,
    /// Per class: GPUs of whole units the class could take from the
    /// group's bins alone.
    slots: Vec<u64>,
    /// Per division of the bins, per class: the group's portions.
    portions: Vec<Vec<u64>>,
    /// GPUs any class could use.
    usable: u64,
    /// Sorted bin types, to find interchangeable groups.
    signature: Vec<(u64, u64)>,
}

impl Group {
    /// Takes the group's capacities out of alive class capacities.
    fn take_from(&self, slots: &mut [u64], portions: &mut [Vec<u64>]) {
        for (s, mine) in slots.iter_mut().zip(&self.slots) {
            *s -= mine;
        }
        for (division, mine) in portions.iter_mut().zip(&self.portions) {
            for (p, m) in division.iter_mut().zip(mine) {
                *p -= m;
            }
        }
    }
}

/// Sound lower bounds on served demand after losing up to `j` of the
/// candidate groups: class portions of the alive bins, minus the `j`
/// largest portions the candidates hold.
///
/// For a division of every bin's capacity into class portions (each a
/// whole number of the class's units, together at most the bin), placing
/// each class on its portions of the alive bins is feasible; losing a set
/// S of groups removes exactly their portions. So for any S of at most j
/// candidates, served ≥ Σ_c served_c(P_c − Σ_{g∈S} portion_g,c) ≥
/// Σ_c served_c(P_c − (j largest candidate portions of c)). A single class
/// given every eligible bin is such a division too.
struct Bounds<'a> {
    classes: &'a [ClassDemand],
    /// Most candidates × class subsets for the exact joint bound.
    joint_work: usize,
}

impl Bounds<'_> {
    /// Sum of the `j` largest of `values`.
    fn top(values: &mut [u64], j: usize) -> u64 {
        if j >= values.len() {
            return values.iter().sum();
        }
        if j == 0 {
            return 0;
        }
        values.select_nth_unstable_by(j - 1, |a, b| b.cmp(a));
        values[..j].iter().sum()
    }

    /// The best bound, with a name for the reason: alive class capacities
    /// per division (`alive[d][c]`), candidates, and j more losses.
    fn at(
        &self,
        alive_slots: &[u64],
        alive_portions: &[Vec<u64>],
        candidates: &[&Group],
        j: usize,
        scratch: &mut Vec<u64>,
    ) -> (u64, Bound) {
        let mut best = (0, Bound::Capacity);
        for (c, class) in self.classes.iter().enumerate() {
            scratch.clear();
            scratch.extend(candidates.iter().map(|g| g.slots[c]));
            let left = alive_slots[c].saturating_sub(Self::top(scratch, j));
            let v = class.served(left);
            if v > best.0 {
                best = (v, Bound::Class(c));
            }
        }
        let nc = self.classes.len();
        let joint = nc <= 12 && (candidates.len() << nc) <= self.joint_work;
        for (d, portions) in alive_portions.iter().enumerate() {
            let v = if joint {
                self.division_joint(d, portions, candidates, j, scratch)
            } else {
                let mut v = 0;
                for (c, class) in self.classes.iter().enumerate() {
                    scratch.clear();
                    scratch.extend(candidates.iter().map(|g| g.portions[d][c]));
                    v += class.served(portions[c].saturating_sub(Self::top(scratch, j)));
                }
                v
            };
            if v > best.0 {
                best = (v, Bound::Division(d));
            }
        }
        best
    }

    /// The least a division's placement serves after losing any `j`
    /// candidates, exactly: Σ_c min(D_c, P_c − lost_c(S)) minimized over
    /// sets S equals the minimum over class sets Q of
    /// Σ_{c∉Q} D_c + Σ_{c∈Q} P_c − (the j largest Σ_{c∈Q} portions of a
    /// group), since the two minimums commute. (Spread classes lose at
    /// most a replica less one to rounding, taken off up front.)
    fn division_joint(
        &self,
        d: usize,
        portions: &[u64],
        candidates: &[&Group],
        j: usize,
        scratch: &mut Vec<u64>,
    ) -> u64 {
        let held: Vec<&[u64]> = candidates
            .iter()
            .map(|g| g.portions[d].as_slice())
            .collect();
        self.joint(portions, &held, j, scratch)
    }

    /// The exact least of Σ_c served_c(P_c − lost_c(S)) over sets S of at
    /// most `j` of the candidates, whose portions are `held`.
    fn joint(&self, portions: &[u64], held: &[&[u64]], j: usize, scratch: &mut Vec<u64>) -> u64 {
        let nc = self.classes.len();
        let cap = |c: usize| -> (i64, i64) {
            let class = self.classes[c];
            match class.spread {
                Some(g) if g > 1 => (
                    (class.gpus / g * g) as i64,
                    portions[c] as i64 - (g as i64 - 1),
                ),
                _ => (class.gpus as i64, portions[c] as i64),
            }
        };
        let mut least = i64::MAX;
        for q in 0u64..(1 << nc) {
            let mut v: i64 = 0;
            for c in 0..nc {
                let (demand, alive) = cap(c);
                v += if q & (1 << c) != 0 { alive } else { demand };
            }
            scratch.clear();
            scratch.extend(held.iter().map(|h| {
                (0..nc)
                    .filter(|c| q & (1 << c) != 0)
                    .map(|c| h[c])
                    .sum::<u64>()
            }));
            v -= Self::top(scratch, j) as i64;
            least = least.min(v);
        }
        least.max(0) as u64
    }
}

/// Most (candidates × class subsets) the exact joint division bound may
/// take per search node; beyond it the per-class relaxation is used.
const JOINT_WORK: usize = 1 << 14;

/// Which bound proved a count impossible.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Capacity,
    Class(usize),
    Division(usize),
}

/// What a placement says about reaching the level.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reach {
    /// Proven below the level (the flow bound or an exact optimum is).
    Yes,
    /// A placement serves at least the level.
    No,
    /// Neither could be shown.
    Unknown,
}

/// The coefficient of one level.
pub struct Search<'a> {
    inst: &'a Instance,
    providers: usize,
    /// The level in GPUs: a loss reaches it when the optimum is below.
    target: f64,
    classes: Vec<ClassDemand>,
    class_names: Vec<String>,
    groups: Vec<Group>,
    labels: &'a [String],
    noun: Noun,
    nodes: u64,
    budget: u64,
    memo: HashMap<Types, Reach>,
    /// Class capacities with every bin alive (single class, then per
    /// division of the whole network), made once: each decision starts
    /// from them.
    all_slots: Vec<u64>,
    all_portions: Vec<Vec<u64>>,
}

/// Computes the coefficient of one level.
#[allow(clippy::too_many_arguments)]
pub fn coefficient(
    inst: &Instance,
    providers: usize,
    groups: &Groups,
    class_names: &[String],
    base: &Placement,
    level: f64,
    noun: Noun,
    budget: Budget,
) -> NakamotoResult {
    let target = level * inst.demanded_gpus as f64;
    if (base.served_gpus as f64) < target {
        return NakamotoResult::without_value(None, below_level(inst, base, level));
    }
    if groups.labels.is_empty() {
        return NakamotoResult::without_value(
            None,
            format!("{} unknown for every provider", noun.one),
        );
    }
    let mut s = Search::new(inst, providers, groups, class_names, target, noun, budget);
    let mut r = s.run(level);
    r.nodes = s.nodes;
    r
}

impl<'a> Search<'a> {
    fn new(
        inst: &'a Instance,
        providers: usize,
        groups: &'a Groups,
        class_names: &[String],
        target: f64,
        noun: Noun,
        budget: Budget,
    ) -> Self {
        let classes: Vec<ClassDemand> = inst
            .demands
            .iter()
            .map(|d| ClassDemand {
                gpus: d.unit * d.units,
                unit: d.unit,
                spread: d.spread_replica,
            })
            .collect();
        let divisions = divisions(inst, &classes, &vec![true; inst.bins.len()]);
        let bins_of = BinsOf::new(inst, providers);
        let usable = inst.usable_gpus(providers);
        let mut prepared: Vec<Group> = groups
            .members
            .iter()
            .enumerate()
            .map(|(index, members)| {
                let bins: Vec<usize> = members
                    .iter()
                    .flat_map(|&p| bins_of.of(p))
                    .copied()
                    .collect();
                let slots = class_slots(bins.iter().map(|&b| &inst.bins[b]), &classes);
                let portions = divisions.iter().map(|d| d.held_by(&bins)).collect();
                let mut signature: Vec<(u64, u64)> = bins
                    .iter()
                    .map(|&b| (inst.bins[b].eligible, inst.bins[b].capacity))
                    .collect();
                signature.sort_unstable();
                Group {
                    index,
                    members: members.clone(),
                    bins,
                    slots,
                    portions,
                    usable: members.iter().map(|&p| usable[p]).sum(),
                    signature,
                }
            })
            .collect();
        // Search order: most usable capacity first; interchangeable groups
        // (equal signatures) next to each other; ties by label.
        prepared.sort_by(|a, b| {
            b.usable
                .cmp(&a.usable)
                .then_with(|| a.signature.cmp(&b.signature))
                .then_with(|| groups.labels[a.index].cmp(&groups.labels[b.index]))
        });
        let all_slots = class_slots(&inst.bins, &classes);
        let all_portions = divisions.iter().map(Division::totals).collect();
        Search {
            inst,
            providers,
            target,
            all_slots,
            all_portions,
            classes,
            class_names: class_names.to_vec(),
            groups: prepared,
            labels: &groups.labels,
            noun,
            nodes: 0,
            budget: budget.nodes,
            memo: HashMap::new(),
        }
    }

    fn labels_of(&self, set: &[usize]) -> Vec<String> {
        let mut out: Vec<String> = set
            .iter()
            .map(|&i| self.labels[self.groups[i].index].clone())
            .collect();
        out.sort();
        out
    }

    /// Whether losing the groups in `set` (search indices) drops the
    /// optimum below the level.
    fn reach(&mut self, set: &[usize]) -> Reach {
        let mut alive = vec![true; self.providers];
        for &i in set {
            for &p in &self.groups[i].members {
                alive[p] = false;
            }
        }
        let types = self.inst.types(&alive);
        if let Some(r) = self.memo.get(&types) {
            return *r;
        }
        // A placement costs about one flow over the bin types and classes.
        let flow_cost = 1 + types.len() as u64 * (1 + self.classes.len() as u64);
        self.nodes += flow_cost;
        let demands = &self.inst.demands;
        let r = if (best_greedy(demands, &types).0 as f64) >= self.target {
            Reach::No
        } else if (upper_bound(demands, &types) as f64) < self.target {
            Reach::Yes
        } else {
            // Decide exactly whether some placement reaches the level,
            // spending (and counting) this level's search budget.
            let goal = self.target.ceil() as u64;
            // One hard placement may not starve the rest of the search.
            let left = self.budget.saturating_sub(self.nodes).min(self.budget / 16);
            let (verdict, spent) = reaches_at_least(demands, &types, goal, left / flow_cost);
            self.nodes += spent.saturating_mul(flow_cost);
            match verdict {
                Some(true) => Reach::No,
                Some(false) => Reach::Yes,
                None => Reach::Unknown,
            }
        };
        self.memo.insert(types, r);
        r
    }

    /// GPUs the best greedy placement serves without the groups in `set`.
    fn served_without(&self, set: &[usize]) -> u64 {
        let mut alive = vec![true; self.providers];
        for &i in set {
            for &p in &self.groups[i].members {
                alive[p] = false;
            }
        }
        best_greedy(&self.inst.demands, &self.inst.types(&alive)).0
    }

    fn out_of_budget(&self) -> bool {
        self.nodes >= self.budget
    }

    /// Alive class capacities (single class, then per division) after
    /// losing `lost` (search indices).
    fn alive_capacities(&self, lost: &[bool]) -> (Vec<u64>, Vec<Vec<u64>>) {
        // Bins outside every group (field unknown) are always alive.
        let mut slots = self.all_slots.clone();
        let mut portions = self.all_portions.clone();
        for (g, _) in self.groups.iter().zip(lost).filter(|(_, l)| **l) {
            g.take_from(&mut slots, &mut portions);
        }
        (slots, portions)
    }

    fn run(&mut self, level: f64) -> NakamotoResult {
        let m = self.groups.len();
        let (lower0, lower_bound) = self.static_lower_bound();
        let mut lower = lower0;
        let mut lower_how = self.bound_reason(lower0, lower_bound);
        let (mut upper, mut upper_set, mut upper_how) = match self.attacks(lower0) {
            Some((set, how)) => (Some(set.len()), set, how),
            None => (None, Vec::new(), String::new()),
        };
        let found = |s: &Self, k: usize| {
            format!(
                "found by the exhaustive search: losing these {} leaves less than {} served (proven by the flow bound)",
                s.noun.count(k),
                pct(level)
            )
        };
        let mut settled_all = true;
        // Served demand is monotone, so refuting "some u − 1 groups reach
        // the level" proves the coefficient is u: try that first (the
        // attacks' count is usually the coefficient), with at most half of
        // the budget left, keeping the rest to raise the lower bound.
        let full_budget = self.budget;
        self.budget = self.nodes + (full_budget.saturating_sub(self.nodes)) / 2;
        while let Some(u) = upper.filter(|&u| u > lower && !self.out_of_budget()) {
            match self.decide(u - 1) {
                Decision::Found(set) => {
                    upper = Some(u - 1);
                    upper_how = found(self, u - 1);
                    upper_set = set;
                }
                Decision::Refuted => {
                    lower = u;
                    lower_how = self.refuted_reason(u);
                }
                Decision::Open => break,
            }
        }
        self.budget = full_budget;
        // Otherwise raise the proven lower bound from below.
        let last = upper.map_or(m, |u| u.saturating_sub(1));
        let mut k = lower;
        while k <= last && upper.is_none_or(|u| lower < u) {
            if self.out_of_budget() {
                settled_all = false;
                break;
            }
            match self.decide(k) {
                Decision::Found(set) => {
                    upper = Some(k);
                    upper_how = found(self, k);
                    upper_set = set;
                    break;
                }
                Decision::Refuted => {
                    lower = k + 1;
                    lower_how = self.refuted_reason(k + 1);
                }
                Decision::Open => {
                    settled_all = false;
                    break;
                }
            }
            k += 1;
        }
        // Not settled: spend what is left on a smaller proven set.
        if let Some(u) = upper.filter(|&u| u > lower && !self.out_of_budget()) {
            let smaller = self.local_search(upper_set.clone(), lower);
            if smaller.len() < u {
                upper = Some(smaller.len());
                upper_how = format!(
                    "{} then swapping groups in and out (local search): losing these {} leaves less than {} served (proven by the flow bound)",
                    upper_how.split(':').next().unwrap_or(""),
                    self.noun.count(smaller.len()),
                    pct(level)
                );
                upper_set = smaller;
            }
        }
        match upper {
            Some(u) => {
                let exact = lower >= u;
                NakamotoResult {
                    value: Some(u),
                    lower_bound: Some(lower.min(u)),
                    upper_bound: Some(u),
                    exact,
                    gap: (!exact).then(|| (u - lower) as f64 / u as f64),
                    lower_reason: Some(lower_how),
                    upper_reason: Some(upper_how),
                    removed: self.labels_of(&upper_set),
                    reason: None,
                    nodes: 0,
                }
            }
            None => {
                // No set reaches the level: when the search refuted every
                // count up to all groups, losing them all stays above it.
                let all: Vec<usize> = (0..m).collect();
                let reach_all = self.reach(&all);
                let reason = match reach_all {
                    Reach::No => format!(
                        "not reachable: even losing {} leaves at least {} served (level {}){}",
                        all_of(m, self.noun),
                        pct(self.served_without(&all) as f64 / self.demand()),
                        pct(level),
                        self.unknown_tail()
                    ),
                    _ if settled_all => format!(
                        "not reachable: no set of {} drops served demand below {}",
                        self.noun.many,
                        pct(level)
                    ),
                    _ => format!(
                        "not proven: no set of up to {} was found to drop served demand below {} within the search budget",
                        self.noun.count(lower.saturating_sub(1).max(1)),
                        pct(level)
                    ),
                };
                // Not reachable at all: no count applies.
                let proven_none = reach_all == Reach::No || settled_all;
                let mut r = NakamotoResult::without_value((!proven_none).then_some(lower), reason);
                if !proven_none {
                    r.lower_reason = Some(lower_how);
                }
                r
            }
        }
    }

    /// The smallest k the robust bounds cannot rule out, and the bound that
    /// ruled out k − 1.
    fn static_lower_bound(&mut self) -> (usize, Bound) {
        let m = self.groups.len();
        let (slots, portions) = self.alive_capacities(&vec![false; m]);
        let all: Vec<&Group> = self.groups.iter().collect();
        // Once per level: the exact joint bound whatever the size.
        let bounds = Bounds {
            classes: &self.classes,
            joint_work: usize::MAX,
        };
        let mut scratch = Vec::new();
        let mut at = |k: usize| bounds.at(&slots, &portions, &all, k, &mut scratch);
        // The bound only falls as k grows: binary search the first k it
        // cannot rule out.
        if (at(m).0 as f64) >= self.target {
            return (m + 1, at(m).1);
        }
        let (mut lo, mut hi) = (1, m);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if (at(mid).0 as f64) < self.target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let why = if lo > 1 {
            at(lo - 1).1
        } else {
            Bound::Capacity
        };
        self.nodes += (m as u64) << self.classes.len().min(12);
        (lo, why)
    }

    fn bound_reason(&self, k: usize, b: Bound) -> String {
        if k <= 1 {
            return format!("at least one {} must be lost", self.noun.one);
        }
        let lost = self.noun.count(k - 1);
        match b {
            Bound::Capacity => format!("at least one {} must be lost", self.noun.one),
            Bound::Class(c) => format!(
                "losing any {lost} leaves enough GPUs eligible for class {} alone to serve at least {} of demand (its eligible capacity minus the largest shares any {lost} hold)",
                self.class_names.get(c).map_or("?", String::as_str),
                pct(self.target / self.demand())
            ),
            Bound::Division(_) => format!(
                "losing any {lost} leaves every class at least its portion of the remaining bins, together at least {} of demand (a fixed division of each bin among the classes, minus the largest portions any {lost} hold)",
                pct(self.target / self.demand())
            ),
        }
    }

    fn refuted_reason(&self, k: usize) -> String {
        format!(
            "the exhaustive branch and bound found no set of {} whose loss drops served demand below {}, so none of fewer either ({} search nodes)",
            self.noun.count(k.saturating_sub(1)),
            pct(self.target / self.demand()),
            self.nodes
        )
    }

    fn demand(&self) -> f64 {
        self.inst.demanded_gpus.max(1) as f64
    }

    fn unknown_tail(&self) -> String {
        let mut grouped = vec![false; self.providers];
        for g in &self.groups {
            for &p in &g.members {
                grouped[p] = true;
            }
        }
        let usable = self.inst.usable_gpus(self.providers);
        let unknown = (0..self.providers)
            .filter(|&p| usable[p] > 0 && !grouped[p])
            .count();
        if unknown == 0 {
            String::new()
        } else {
            format!(
                "; {} unknown for {} with eligible GPUs",
                self.noun.one,
                crate::text::plural(unknown, "provider", "providers")
            )
        }
    }
}

/// How the search for one k ended.
enum Decision {
    /// This set of k groups reaches the level (proven).
    Found(Vec<usize>),
    /// No set of k groups reaches it (proven).
    Refuted,
    /// The budget ran out, or a placement could not be decided.
    Open,
}

impl Search<'_> {
    /// Is there a set of exactly `k` groups whose loss reaches the level?
    fn decide(&mut self, k: usize) -> Decision {
        let m = self.groups.len();
        if k > m {
            return Decision::Refuted;
        }
        let mut state = Dfs {
            lost: vec![false; m],
            chosen: Vec::new(),
            undecided: false,
            scratch: Vec::new(),
        };
        let (slots, portions) = self.alive_capacities(&state.lost);
        match self.dfs(k, 0, &mut state, slots, portions) {
            Some(set) => Decision::Found(set),
            None if state.undecided || self.out_of_budget() => Decision::Open,
            None => Decision::Refuted,
        }
    }

    /// Depth-first search over groups `i..` (lose or keep), `chosen` lost
    /// so far; `slots`/`portions` are the alive capacities.
    fn dfs(
        &mut self,
        k: usize,
        i: usize,
        st: &mut Dfs,
        slots: Vec<u64>,
        portions: Vec<Vec<u64>>,
    ) -> Option<Vec<usize>> {
        if self.out_of_budget() {
            st.undecided = true;
            return None;
        }
        self.nodes += 1;
        let j = k - st.chosen.len();
        if j == 0 {
            return match self.reach(&st.chosen.clone()) {
                Reach::Yes => Some(st.chosen.clone()),
                Reach::No => None,
                Reach::Unknown => {
                    st.undecided = true;
                    None
                }
            };
        }
        let m = self.groups.len();
        if m - i < j {
            return None;
        }
        let candidates: Vec<&Group> = self.groups[i..].iter().collect();
        // The bounds cost about one pass over the candidates per class (per
        // class subset for the joint bound).
        let nc = self.classes.len();
        let per = if nc <= 12 && (candidates.len() << nc) <= JOINT_WORK {
            1u64 << nc
        } else {
            nc as u64 * 4
        };
        self.nodes += candidates.len() as u64 * per / 64;
        let bounds = Bounds {
            classes: &self.classes,
            joint_work: JOINT_WORK,
        };
        let (lb, _) = bounds.at(&slots, &portions, &candidates, j, &mut st.scratch);
        if (lb as f64) >= self.target {
            return None;
        }
        // Divisions made for the bins still alive resist the remaining
        // losses better than those made for the whole network.
        if !st.chosen.is_empty() && nc <= 12 && (candidates.len() << nc) <= JOINT_WORK {
            self.nodes +=
                (self.inst.bins.len() * nc) as u64 / 4 + (candidates.len() << nc) as u64 / 16;
            if (self.adaptive_bound(&st.lost, i, j, &mut st.scratch) as f64) >= self.target {
                return None;
            }
        }
        // Lose group i…
        let symmetric_skip =
            i > 0 && self.groups[i].signature == self.groups[i - 1].signature && !st.lost[i - 1];
        if !symmetric_skip {
            let mut s2 = slots.clone();
            let mut p2 = portions.clone();
            self.groups[i].take_from(&mut s2, &mut p2);
            st.lost[i] = true;
            st.chosen.push(i);
            let found = self.dfs(k, i + 1, st, s2, p2);
            st.chosen.pop();
            st.lost[i] = false;
            if found.is_some() {
                return found;
            }
        }
        // …or keep it.
        self.dfs(k, i + 1, st, slots, portions)
    }
}

impl Search<'_> {
    /// The joint division bound with divisions made for the bins of the
    /// groups not lost so far: a lower bound on served demand after losing
    /// up to `j` more of the candidates `i..`.
    fn adaptive_bound(&self, lost: &[bool], i: usize, j: usize, scratch: &mut Vec<u64>) -> u64 {
        let mut alive = vec![true; self.inst.bins.len()];
        for (g, _) in self.groups.iter().zip(lost).filter(|(_, l)| **l) {
            for &b in &g.bins {
                alive[b] = false;
            }
        }
        let bounds = Bounds {
            classes: &self.classes,
            joint_work: JOINT_WORK,
        };
        let mut best = 0;
        for d in divisions(self.inst, &self.classes, &alive) {
            let total = d.totals();
            let held: Vec<Vec<u64>> = self.groups[i..]
                .iter()
                .map(|g| d.held_by(&g.bins))
                .collect();
            let refs: Vec<&[u64]> = held.iter().map(Vec::as_slice).collect();
            best = best.max(bounds.joint(&total, &refs, j, scratch));
        }
        best
    }
}

struct Dfs {
    lost: Vec<bool>,
    chosen: Vec<usize>,
    undecided: bool,
    scratch: Vec<u64>,
}

impl Search<'_> {
    /// Upper bounds by attack: the smallest proven removal set found, and
    /// how. Each candidate set is checked with the placement solver: only
    /// a flow bound (or exact optimum) below the level counts.
    fn attacks(&mut self, lower: usize) -> Option<(Vec<usize>, String)> {
        let m = self.groups.len();
        let mut best: Option<(Vec<usize>, String)> = None;
        let mut consider = |s: &mut Self, order: Vec<usize>, how: &str| {
            let limit = best.as_ref().map_or(m, |(b, _)| b.len().saturating_sub(1));
            if let Some(set) = s.prefix_reaching(&order, lower, limit) {
                best = Some((set, how.to_string()));
            }
        };
        // The fewest groups whose loss the flow bound itself proves: a cut
        // of the placement's flow network, attacked where it is thinnest.
        if let Some(order) = self.cut_attack() {
            consider(
                self,
                order,
                "losing the groups that hold the most capacity behind the flow network's weakest cut",
            );
        }
        // Largest usable capacity first (the search order).
        consider(
            self,
            (0..m).collect(),
            "losing the groups with the most usable GPUs first",
        );
        // Per class: the groups holding most of its eligible capacity.
        for c in 0..self.classes.len() {
            let mut order: Vec<usize> = (0..m).collect();
            order.sort_by(|&a, &b| {
                self.groups[b].slots[c]
                    .cmp(&self.groups[a].slots[c])
                    .then(a.cmp(&b))
            });
            let how = format!(
                "losing the groups with the most GPUs eligible for class {} first",
                self.class_names.get(c).map_or("?", String::as_str)
            );
            consider(self, order, &how);
        }
        if m <= 64 {
            let limit = best.as_ref().map_or(m, |(b, _)| b.len().saturating_sub(1));
            if let Some(set) = self.impact_greedy(limit) {
                best = Some((
                    set,
                    "losing, one at a time, the group whose loss hurts the placement most".into(),
                ));
            }
        }
        best.map(|(set, how)| {
            let n = set.len();
            (
                set,
                format!(
                    "{how}: losing these {} leaves less than {} served (proven by the flow bound)",
                    self.noun.count(n),
                    pct(self.target / self.demand())
                ),
            )
        })
    }

    /// The loss order that drops the maximum-flow bound below the level
    /// with the fewest groups.
    ///
    /// The flow network (source → class → bin → sink) has, for every set A
    /// of classes left on the source side, a cut of value
    /// Σ_{c∉A} demand_c + Σ_bins min(fill_b, Σ_{c∈A} slots_c(b)); the
    /// maximum flow is the smallest of them. So the flow bound drops below
    /// the level exactly when, for some A, the alive bins' terms sum below
    /// level − Σ_{c∉A} demand_c, and for one A the fewest losses do that by
    /// taking the groups with the largest terms first. Trying every A (up
    /// to 12 classes) finds the fewest groups the flow bound can prove.
    fn cut_attack(&mut self) -> Option<Vec<usize>> {
        let nc = self.classes.len();
        if nc == 0 || nc > 12 {
            return None;
        }
        let demands = &self.inst.demands;
        let sizes = |sig: u64| -> Vec<u64> {
            (0..nc)
                .filter(|c| sig & (1 << c) != 0)
                .map(|c| demands[c].unit)
                .collect()
        };
        // Per bin: the fill and the slots per class.
        let mut fills: HashMap<(u64, u64), u64> = HashMap::new();
        let bins: Vec<(usize, u64, Vec<u64>)> = self
            .inst
            .bins
            .iter()
            .filter(|b| b.eligible != 0 && b.capacity > 0)
            .map(|b| {
                let fill = *fills
                    .entry((b.eligible, b.capacity))
                    .or_insert_with(|| super::solver::best_fill(b.capacity, &sizes(b.eligible)));
                let slots = (0..nc)
                    .map(|c| {
                        if b.eligible & (1 << c) != 0 {
                            b.capacity / demands[c].unit * demands[c].unit
                        } else {
                            0
                        }
                    })
                    .collect();
                (b.provider, fill, slots)
            })
            .collect();
        let mut group_of = vec![usize::MAX; self.providers];
        for (i, g) in self.groups.iter().enumerate() {
            for &p in &g.members {
                group_of[p] = i;
            }
        }
        self.nodes += (bins.len() as u64) << nc.min(12);
        let mut best: Option<(usize, Vec<usize>)> = None;
        for a in 1u64..(1 << nc) {
            let outside: u64 = (0..nc)
                .filter(|c| a & (1 << c) == 0)
                .map(|c| self.classes[c].gpus)
                .sum();
            let room = self.target - outside as f64;
            if room <= 0.0 {
                continue; // this cut alone never drops below the level
            }
            let mut per_group = vec![0u64; self.groups.len()];
            let mut total = 0u64;
            for (p, fill, slots) in &bins {
                let into: u64 = (0..nc)
                    .filter(|c| a & (1 << c) != 0)
                    .map(|c| slots[c])
                    .sum();
                let term = into.min(*fill);
                total += term;
                if group_of[*p] != usize::MAX {
                    per_group[group_of[*p]] += term;
                }
            }
            let mut order: Vec<usize> = (0..self.groups.len()).collect();
            order.sort_by(|&x, &y| per_group[y].cmp(&per_group[x]).then(x.cmp(&y)));
            let mut left = total;
            let mut k = 0;
            while (left as f64) >= room && k < order.len() {
                left -= per_group[order[k]];
                k += 1;
            }
            if (left as f64) < room && best.as_ref().is_none_or(|(b, _)| k < *b) {
                best = Some((k, order));
            }
        }
        best.map(|(_, order)| order)
    }

    /// The shortest prefix of `order` (at least `lower`, at most `limit`
    /// long) whose loss reaches the level.
    fn prefix_reaching(
        &mut self,
        order: &[usize],
        lower: usize,
        limit: usize,
    ) -> Option<Vec<usize>> {
        // Reaching is monotone in the prefix: binary search its length.
        let (mut lo, mut hi) = (lower.max(1), limit.min(order.len()));
        if lo > hi || self.out_of_budget() {
            return None;
        }
        if self.reach(&order[..hi]) != Reach::Yes {
            return None;
        }
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.reach(&order[..mid]) == Reach::Yes {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(order[..hi].to_vec())
    }

    /// Removes, one at a time, the group whose loss leaves the least served
    /// demand (best greedy placement), until the level is proven crossed.
    fn impact_greedy(&mut self, limit: usize) -> Option<Vec<usize>> {
        let m = self.groups.len();
        let mut alive = vec![true; self.providers];
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < limit && !self.out_of_budget() {
            let mut pick: Option<(u64, usize)> = None;
            for g in (0..m).filter(|g| !chosen.contains(g)) {
                let mut trial = alive.clone();
                self.groups[g]
                    .members
                    .iter()
                    .for_each(|&p| trial[p] = false);
                let types = self.inst.types(&trial);
                self.nodes += 1 + types.len() as u64;
                let served = best_greedy(&self.inst.demands, &types).0;
                if pick.is_none_or(|(s, _)| served < s) {
                    pick = Some((served, g));
                }
            }
            let (_, g) = pick?;
            self.groups[g]
                .members
                .iter()
                .for_each(|&p| alive[p] = false);
            chosen.push(g);
            if self.reach(&chosen) == Reach::Yes {
                return Some(chosen);
            }
        }
        None
    }

    /// Tries to shorten a reaching set: drop one group, then swap one of
    /// the rest for an outside group, as long as that finds a smaller
    /// reaching set.
    fn local_search(&mut self, mut set: Vec<usize>, lower: usize) -> Vec<usize> {
        let m = self.groups.len();
        'shrink: while set.len() > lower.max(1) && !self.out_of_budget() {
            for drop in 0..set.len() {
                let mut smaller = set.clone();
                smaller.remove(drop);
                if self.reach(&smaller) == Reach::Yes {
                    set = smaller;
                    continue 'shrink;
                }
                for swap in 0..smaller.len() {
                    for g in 0..m {
                        if self.out_of_budget() {
                            return set;
                        }
                        if set.contains(&g) {
                            continue;
                        }
                        let mut trial = smaller.clone();
                        trial[swap] = g;
                        if self.reach(&trial) == Reach::Yes {
                            set = trial;
                            continue 'shrink;
                        }
                    }
                }
            }
            break;
        }
        set
    }
}

/// Per class: the GPUs of the eligible ones of `bins`, in whole units of
/// the class.
fn class_slots<'a>(
    bins: impl IntoIterator<Item = &'a super::solver::Bin>,
    classes: &[ClassDemand],
) -> Vec<u64> {
    let mut slots = vec![0; classes.len()];
    for bin in bins {
        for (c, (slot, class)) in slots.iter_mut().zip(classes).enumerate() {
            if bin.eligible & (1 << c) != 0 {
                *slot += bin.capacity / class.unit * class.unit;
            }
        }
    }
    slots
}

/// Divisions of every bin's capacity among the classes, as
/// `division[bin][class]` GPUs (whole units of the class, together at most
/// the bin): one proportional to the classes' demands, one that meets the
/// scarcest classes' demand first, spread over as many bins as possible.
/// Capacity left over goes to the eligible class with the smallest unit.
fn divisions(inst: &Instance, classes: &[ClassDemand], alive: &[bool]) -> [Division; 2] {
    let nc = classes.len();
    // Each bin's eligible classes, none when it is lost: one pass of
    // masks instead of a lookup per bin and class.
    let classes_mask = if nc >= 64 { u64::MAX } else { (1u64 << nc) - 1 };
    let masks: Vec<u64> = inst
        .bins
        .iter()
        .zip(alive)
        .map(|(bin, &a)| if a { bin.eligible & classes_mask } else { 0 })
        .collect();
    // Classes by unit, smallest first: sorted once, not once per bin.
    let mut by_unit: Vec<usize> = (0..nc).collect();
    by_unit.sort_by_key(|&c| (classes[c].unit, c));
    // Capacity left in a bin goes to its eligible classes, smallest unit
    // first; a bin's leftover reads only that bin.
    let leftover = |per: &mut [u64], capacity: u64, mask: u64| {
        let used: u64 = per.iter().sum();
        let mut rest = capacity.saturating_sub(used);
        for &c in by_unit.iter().filter(|&&c| mask & (1 << c) != 0) {
            let k = rest / classes[c].unit * classes[c].unit;
            per[c] += k;
            rest -= k;
        }
    };
    // Proportional to demand. Each division is written row by row, never
    // read before it is written: fresh zeroed memory is mapped to the
    // kernel's shared zero page when first read, and the first write after
    // that is a second fault that also flushes every core's TLB.
    let mut row = vec![0u64; nc];
    let mut proportional = Division::with_capacity(inst.bins.len(), nc);
    for (bin, &mask) in inst.bins.iter().zip(&masks) {
        row.fill(0);
        if mask != 0 {
            let total: u64 = eligible_classes(mask, nc).map(|c| classes[c].gpus).sum();
            if total > 0 {
                for c in eligible_classes(mask, nc) {
                    let share = share_of(bin.capacity, classes[c].gpus, total);
                    row[c] = share / classes[c].unit * classes[c].unit;
                }
            }
            leftover(&mut row, bin.capacity, mask);
        }
        proportional.push(&row);
    }
    // Scarcest class first, one unit per bin in turn.
    let mut supply = vec![0u64; nc];
    for (bin, &mask) in inst.bins.iter().zip(&masks) {
        for c in eligible_classes(mask, nc) {
            supply[c] += bin.capacity;
        }
    }
    let mut order: Vec<usize> = (0..nc).collect();
    order.sort_by(|&a, &b| {
        let ratio = |c: usize| supply[c] as f64 / classes[c].gpus.max(1) as f64;
        ratio(a).total_cmp(&ratio(b)).then(a.cmp(&b))
    });
    // Per bin and class: the units the class takes from the bin. Only
    // the pages of bins that give units are ever written.
    let mut taken = vec![0u64; inst.bins.len() * nc];
    let mut free: Vec<u64> = inst
        .bins
        .iter()
        .zip(alive)
        .map(|(b, &a)| if a { b.capacity } else { 0 })
        .collect();
    for c in order {
        let unit = classes[c].unit;
        let mut need = classes[c].gpus / unit;
        // Passes over the eligible bins in order, each taking one unit from
        // every bin that still has one, until the class is met or no bin
        // has. The first pass visits every bin and stops when the class is
        // met (it usually is: demand is small next to supply).
        let give = |free: &mut [u64], taken: &mut [u64], b: usize, units: u64, need: &mut u64| {
            free[b] -= units * unit;
            taken[b * nc + c] += units * unit;
            *need -= units;
        };
        let mut open = Vec::new();
        for (b, &mask) in masks.iter().enumerate() {
            if need == 0 {
                break;
            }
            if mask & (1 << c) != 0 && free[b] >= unit {
                give(&mut free, &mut taken, b, 1, &mut need);
                if free[b] >= unit {
                    open.push(b);
                }
            }
        }
        if need == 0 || open.is_empty() {
            continue;
        }
        // The later passes in closed form, not one unit at a time: after
        // `t` more whole passes a bin with `k` units left has given
        // min(k, t). Find the most whole passes the class still needs,
        // then one partial pass, in order, while it needs more.
        let left = |free: &[u64], b: usize| free[b] / unit;
        let given = |t: u64| {
            open.iter()
                .fold(0u64, |sum, &b| sum.saturating_add(left(&free, b).min(t)))
        };
        let (mut lo, mut hi) = (0, open.iter().map(|&b| left(&free, b)).max().unwrap_or(0));
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if given(mid) <= need {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        for &b in &open {
            let units = left(&free, b).min(lo);
            give(&mut free, &mut taken, b, units, &mut need);
        }
        for &b in &open {
            if need == 0 {
                break;
            }
            if free[b] >= unit {
                give(&mut free, &mut taken, b, 1, &mut need);
            }
        }
    }
    let mut spread = Division::with_capacity(inst.bins.len(), nc);
    for (b, (bin, &mask)) in inst.bins.iter().zip(&masks).enumerate() {
        row.copy_from_slice(&taken[b * nc..(b + 1) * nc]);
        if mask != 0 {
            leftover(&mut row, bin.capacity, mask);
        }
        spread.push(&row);
    }
    [proportional, spread]
}

/// The classes below `nc` whose bit is set in `mask`, in order.
fn eligible_classes(mask: u64, nc: usize) -> impl Iterator<Item = usize> {
    (0..nc).filter(move |&c| mask & (1 << c) != 0)
}

/// `capacity × gpus / total`, rounded down, without overflow: in 64 bits
/// when the product fits (the common case, and much cheaper than a 128-bit
/// division).
fn share_of(capacity: u64, gpus: u64, total: u64) -> u64 {
    match capacity.checked_mul(gpus) {
        Some(product) => product / total,
        None => (capacity as u128 * gpus as u128 / total as u128) as u64,
    }
}

/// Each provider's usable bins (eligible for some class, with capacity),
/// as one flat list in provider order with each provider's start.
struct BinsOf {
    start: Vec<usize>,
    bins: Vec<usize>,
}

impl BinsOf {
    fn new(inst: &Instance, providers: usize) -> Self {
        let usable = |b: &&super::solver::Bin| b.eligible != 0 && b.capacity > 0;
        let mut start = vec![0usize; providers + 1];
        for bin in inst.bins.iter().filter(usable) {
            start[bin.provider + 1] += 1;
        }
        for p in 0..providers {
            start[p + 1] += start[p];
        }
        let mut next = start.clone();
        let mut bins = vec![0; start[providers]];
        for (b, bin) in inst.bins.iter().enumerate().filter(|(_, bin)| usable(bin)) {
            bins[next[bin.provider]] = b;
            next[bin.provider] += 1;
        }
        BinsOf { start, bins }
    }

    fn of(&self, provider: usize) -> &[usize] {
        &self.bins[self.start[provider]..self.start[provider + 1]]
    }
}

/// A division of every bin's capacity into class portions: one flat row
/// of `classes` numbers per bin (one allocation for all bins, not one
/// per bin).
struct Division {
    classes: usize,
    portions: Vec<u64>,
}

impl Division {
    /// An empty division, with room for `bins` rows.
    fn with_capacity(bins: usize, classes: usize) -> Self {
        Division {
            classes,
            portions: Vec::with_capacity(bins * classes),
        }
    }

    /// Appends the next bin's row.
    fn push(&mut self, row: &[u64]) {
        self.portions.extend_from_slice(row);
    }

    fn bin(&self, b: usize) -> &[u64] {
        &self.portions[b * self.classes..(b + 1) * self.classes]
    }

    /// Per class: the portions of `bins` summed.
    fn held_by(&self, bins: &[usize]) -> Vec<u64> {
        let mut held = vec![0; self.classes];
        for &b in bins {
            for (h, p) in held.iter_mut().zip(self.bin(b)) {
                *h += p;
            }
        }
        held
    }

    /// Per class: every bin's portions summed.
    fn totals(&self) -> Vec<u64> {
        let mut total = vec![0; self.classes];
        for per in self.portions.chunks_exact(self.classes.max(1)) {
            for (t, p) in total.iter_mut().zip(per) {
                *t += p;
            }
        }
        total
    }
}

/// Why the coefficient does not apply when the baseline is below the level.
pub fn below_level(inst: &Instance, base: &Placement, level: f64) -> String {
    let fraction = |g: u64| g as f64 / inst.demanded_gpus.max(1) as f64;
    let served = pct(fraction(base.served_gpus));
    if (base.upper_bound_gpus as f64) < level * inst.demanded_gpus as f64 {
        format!(
            "baseline already below the level: {served} served with every provider up (level {})",
            pct(level)
        )
    } else {
        format!(
            "baseline may already be below the level: {served} served with every provider up, proven at most {} (level {})",
            pct(fraction(base.upper_bound_gpus)),
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

#[cfg(test)]
#[path = "nakamoto_tests.rs"]
mod tests;
