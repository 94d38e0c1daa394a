//! Operator resolution: which providers are controlled by the same operator.
//!
//! Providers are clustered with a union-find over shared link keys (owner
//! and payout addresses, coldkeys, host ids, Keybase identities, registrable
//! domains of web sites, e-mail addresses and host names, IP prefixes). Each
//! key kind has a confidence tier and can be switched off; a deny-list keeps
//! shared domains (clouds, gateways, public mail) from merging strangers; the
//! user's mapping file overrides every heuristic. Every merge keeps its
//! evidence, and providers that nothing links are counted as *unlinked* so
//! the audit can bound what their unknown control could mean.

pub mod deny;
pub mod keys;
pub mod mapping;
pub mod unionfind;

use crate::model::Provider;
pub use deny::DenyList;
pub use keys::{Confidence, LinkKey, LinkKind, link_keys};
pub use mapping::Mapping;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use unionfind::UnionFind;

/// What resolution may use.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveOptions {
    /// Weakest evidence tier that may merge providers.
    pub min_confidence: Confidence,
    /// Key kinds switched off.
    pub disabled: BTreeSet<LinkKind>,
    pub deny: DenyList,
    pub mapping: Mapping,
}

impl Default for ResolveOptions {
    /// On-chain and domain evidence; IP prefixes are opt-in because many
    /// unrelated tenants share a hosting company's /24.
    fn default() -> Self {
        ResolveOptions {
            min_confidence: Confidence::Domain,
            disabled: BTreeSet::new(),
            deny: DenyList::default(),
            mapping: Mapping::default(),
        }
    }
}

impl ResolveOptions {
    /// Whether a key kind may link providers.
    pub fn enabled(&self, kind: LinkKind) -> bool {
        kind.confidence() <= self.min_confidence && !self.disabled.contains(&kind)
    }
}

/// Why two providers are one operator.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Reason {
    /// Both carry the same key (`kind_a` on provider a, `kind_b` on b).
    SharedKey {
        kind_a: LinkKind,
        kind_b: LinkKind,
        value: String,
    },
    /// The mapping file says so.
    Mapping {
        operator: String,
        reason: Option<String>,
    },
}

/// One merge (or refused merge) between two providers (indices).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub a: usize,
    pub b: usize,
    pub reason: Reason,
}

/// One resolved operator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operator {
    /// Stable id: `mapped:<name>`, `<key namespace>:<value>`, or `provider:<id>`.
    pub id: String,
    /// Name from the mapping file, else the first provider name.
    pub label: Option<String>,
    /// Strongest evidence tier that formed it; `None` for an unlinked provider.
    pub confidence: Option<Confidence>,
    /// Member provider indices, ordered by provider id.
    pub members: Vec<usize>,
}

/// The operators of a snapshot.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// Operator index of each provider.
    pub assignment: Vec<usize>,
    /// Operators, ordered by id.
    pub operators: Vec<Operator>,
    /// Merges that joined two sets, in processing order.
    pub evidence: Vec<Evidence>,
    /// Heuristic merges refused because the mapping file names the two
    /// providers' operators differently.
    pub refused: Vec<Evidence>,
    /// Providers no key links to an operator (each its own operator).
    pub unlinked: Vec<bool>,
    /// Denied domains and how many providers carried each.
    pub denied_domains: BTreeMap<String, usize>,
    /// Provider ids in the mapping file that are not in this snapshot.
    pub unmatched_mapping: Vec<String>,
}

impl Resolution {
    /// Number of unlinked providers.
    pub fn unlinked_count(&self) -> usize {
        self.unlinked.iter().filter(|u| **u).count()
    }

    /// The operator of provider `i`.
    pub fn operator_of(&self, i: usize) -> &Operator {
        &self.operators[self.assignment[i]]
    }
}

/// State of the clustering pass.
struct Clusterer<'a> {
    uf: UnionFind,
    /// Mapped operator (index into the mapping) of each set root.
    mapped: Vec<Option<usize>>,
    evidence: Vec<Evidence>,
    refused: Vec<Evidence>,
    mapping: &'a Mapping,
}

impl Clusterer<'_> {
    /// Joins the sets of `a` and `b` unless the mapping names them apart.
    fn join(&mut self, a: usize, b: usize, reason: Reason) -> bool {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb {
            return true;
        }
        let (ma, mb) = (self.mapped[ra], self.mapped[rb]);
        if let (Some(x), Some(y)) = (ma, mb)
            && x != y
        {
            self.refused.push(Evidence { a, b, reason });
            return false;
        }
        let root = self.uf.union(ra, rb).expect("distinct roots");
        self.mapped[root] = ma.or(mb);
        self.evidence.push(Evidence { a, b, reason });
        true
    }
}

/// Resolves the providers of a snapshot into operators.
pub fn resolve(providers: &[Provider], opts: &ResolveOptions) -> Resolution {
    let n = providers.len();
    // Input order: operator ids and memberships do not depend on it (they
    // are functions of the connected components); only which of several
    // equivalent merges is recorded as evidence does.
    let order: Vec<usize> = (0..n).collect();
    let index: HashMap<&str, usize> = if opts.mapping == Mapping::default() {
        HashMap::new()
    } else {
        providers
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect()
    };
    let mut c = Clusterer {
        uf: UnionFind::new(n),
        mapped: vec![None; n],
        evidence: Vec::new(),
        refused: Vec::new(),
        mapping: &opts.mapping,
    };
    let mut unmatched = Vec::new();
    let mut split = vec![false; n];
    let mut mapped_member = vec![false; n];
    apply_mapping(
        &mut c,
        &index,
        &mut split,
        &mut mapped_member,
        &mut unmatched,
    );

    // slot → (first provider, its key kind, whether some other provider shares it)
    // Sized for the keys the providers carry, not grown by doubling (each
    // growth rehashes every key into fresh memory).
    let key_count: usize = providers
        .iter()
        .map(|p| {
            p.operator_keys.len()
                + usize::from(p.more.hostname.is_some())
                + usize::from(p.ip.is_some())
        })
        .sum();
    let mut slots: FxHashMap<(&'static str, String), (usize, LinkKind, bool)> =
        FxHashMap::with_capacity_and_hasher(key_count, Default::default());
    let mut denied_domains: BTreeMap<String, usize> = BTreeMap::new();
    for &i in &order {
        let (keys, denied) = link_keys(&providers[i], &opts.deny);
        for d in denied {
            *denied_domains.entry(d).or_default() += 1;
        }
        for key in keys.into_iter().filter(|k| opts.enabled(k.kind)) {
            if split[i] {
                continue;
            }
            match slots.entry((key.kind.namespace(), key.value)) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((i, key.kind, false));
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let (first, first_kind, _) = *o.get();
                    if first == i {
                        continue; // the same value under two kinds of one provider
                    }
                    let reason = Reason::SharedKey {
                        kind_a: first_kind,
                        kind_b: key.kind,
                        value: o.key().1.clone(),
                    };
                    if c.join(first, i, reason) {
                        o.get_mut().2 = true;
                    }
                }
            }
        }
    }
    let linking = slots
        .into_iter()
        .filter(|(_, v)| v.2)
        .map(|(slot, (first, kind, _))| (slot, first, kind));
    let operators = build_operators(
        providers,
        opts,
        &order,
        &mut c,
        linking,
        &mapped_member,
        &split,
    );
    let mut assignment = vec![0; n];
    let mut unlinked = vec![false; n];
    for (oi, op) in operators.iter().enumerate() {
        for &m in &op.members {
            assignment[m] = oi;
            unlinked[m] = op.confidence.is_none();
        }
    }
    Resolution {
        assignment,
        operators,
        evidence: c.evidence,
        refused: c.refused,
        unlinked,
        denied_domains,
        unmatched_mapping: unmatched,
    }
}

/// Forces the mapping's merges and marks its splits.
fn apply_mapping(
    c: &mut Clusterer<'_>,
    index: &HashMap<&str, usize>,
    split: &mut [bool],
    mapped_member: &mut [bool],
    unmatched: &mut Vec<String>,
) {
    let mapping = c.mapping;
    for (g, op) in mapping.operators.iter().enumerate() {
        let mut first: Option<usize> = None;
        for id in &op.providers {
            let Some(&i) = index.get(id.as_str()) else {
                unmatched.push(id.clone());
                continue;
            };
            mapped_member[i] = true;
            let root = c.uf.find(i);
            c.mapped[root] = Some(g);
            if let Some(f) = first {
                let reason = Reason::Mapping {
                    operator: op.name.clone(),
                    reason: op.reason.clone(),
                };
                c.join(f, i, reason);
            }
            first = first.or(Some(i));
        }
    }
    for s in &mapping.splits {
        for id in &s.providers {
            match index.get(id.as_str()) {
                Some(&i) if !mapped_member[i] => split[i] = true,
                Some(_) => {}
                None => unmatched.push(id.clone()),
            }
        }
    }
    unmatched.sort();
    unmatched.dedup();
}

/// Builds operators with stable ids from the final sets.
fn build_operators(
    providers: &[Provider],
    opts: &ResolveOptions,
    order: &[usize],
    c: &mut Clusterer<'_>,
    linking: impl Iterator<Item = ((&'static str, String), usize, LinkKind)>,
    mapped_member: &[bool],
    split: &[bool],
) -> Vec<Operator> {
    // Best linking slot per set root: strongest tier, then namespace, then value.
    let mut best: Vec<Option<(Confidence, &'static str, String)>> = vec![None; providers.len()];
    for ((ns, value), first, kind) in linking {
        let root = c.uf.find(first);
        let candidate = (kind.confidence(), ns, value);
        if best[root]
            .as_ref()
            .is_none_or(|current| candidate < *current)
        {
            best[root] = Some(candidate);
        }
    }
    let mut operators: Vec<Operator> = components(providers, order, &mut c.uf)
        .into_iter()
        .map(|(root, members)| {
            let first_name = label_of(providers, &members);
            let mapped = c.mapped[root].filter(|_| members.iter().any(|&m| mapped_member[m]));
            if let Some(g) = mapped {
                let name = c.mapping.operators[g].name.clone();
                return Operator {
                    id: format!("mapped:{name}"),
                    label: Some(name),
                    confidence: Some(Confidence::Mapping),
                    members,
                };
            }
            if let Some((tier, ns, value)) = &best[root] {
                return Operator {
                    id: format!("{ns}:{value}"),
                    label: declared_label(*tier, value, first_name),
                    confidence: Some(*tier),
                    members,
                };
            }
            let p = &providers[members[0]];
            if split[members[0]] {
                return Operator {
                    id: format!("split:{}", p.id),
                    label: first_name,
                    confidence: Some(Confidence::Mapping),
                    members,
                };
            }
            match own_key(p, opts) {
                Some((tier, ns, value)) => Operator {
                    id: format!("{ns}:{value}"),
                    label: declared_label(tier, &value, first_name),
                    confidence: Some(tier),
                    members,
                },
                None => Operator {
                    id: format!("provider:{}", p.id),
                    label: first_name,
                    confidence: None,
                    members,
                },
            }
        })
        .collect();
    operators.sort_by(|a, b| a.id.cmp(&b.id));
    // Ids are unique by construction (a key shared by two sets would have
    // merged them); this keeps them unique even if that ever fails.
    for i in 1..operators.len() {
        if operators[i].id == operators[i - 1].id {
            let first = &providers[operators[i].members[0]].id;
            operators[i].id = format!("{}+{first}", operators[i].id);
        }
    }
    operators
}

/// The sets as (root, members ordered by provider id), grouped by a
/// counting sort on the roots rather than a map of vectors.
fn components(
    providers: &[Provider],
    order: &[usize],
    uf: &mut UnionFind,
) -> Vec<(usize, Vec<usize>)> {
    let roots: Vec<usize> = (0..providers.len()).map(|i| uf.find(i)).collect();
    let mut start = vec![0usize; providers.len() + 1];
    for &r in &roots {
        start[r + 1] += 1;
    }
    for i in 0..providers.len() {
        start[i + 1] += start[i];
    }
    let mut flat = vec![0usize; providers.len()];
    let mut next = start.clone();
    for &i in order {
        flat[next[roots[i]]] = i;
        next[roots[i]] += 1;
    }
    (0..providers.len())
        .filter(|&r| start[r + 1] > start[r])
        .map(|r| {
            let mut members = flat[start[r]..start[r + 1]].to_vec();
            members.sort_unstable_by(|&a, &b| providers[a].id.cmp(&providers[b].id));
            (r, members)
        })
        .collect()
}

/// A declared operator is labelled with its declared name; others with
/// their members' names.
fn declared_label(tier: Confidence, value: &str, names: Option<String>) -> Option<String> {
    if tier == Confidence::Declared {
        Some(value.to_string())
    } else {
        names
    }
}

/// An operator's label: its first member's name (in id order), with the
/// number of other members when they do not all share that name.
fn label_of(providers: &[Provider], members: &[usize]) -> Option<String> {
    let name = members.iter().find_map(|&m| providers[m].name.as_deref())?;
    let others = members
        .iter()
        .filter(|&&m| providers[m].name.as_deref() != Some(name))
        .count();
    Some(if others == 0 {
        name.to_string()
    } else {
        format!("{name} +{others}")
    })
}

/// The strongest key that names a lone provider's controller by itself
/// (see [`LinkKind::attributes_alone`]), as (tier, namespace, value).
fn own_key(p: &Provider, opts: &ResolveOptions) -> Option<(Confidence, &'static str, String)> {
    let (keys, _) = link_keys(p, &opts.deny);
    keys.into_iter()
        .filter(|k| k.kind.attributes_alone() && opts.enabled(k.kind))
        .map(|k| (k.kind.confidence(), k.kind.namespace(), k.value))
        .min()
}

/// Why a provider sits in its operator: the chain of evidence from it to
/// every other member.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub provider: String,
    pub operator: String,
    pub label: Option<String>,
    pub confidence: Option<Confidence>,
    pub members: usize,
    pub unlinked: bool,
    /// The provider's link keys, and the ones switched off or denied.
    pub keys: Vec<LinkKey>,
    pub unused_keys: Vec<LinkKey>,
    pub denied_domains: Vec<String>,
    /// For each other member, the merges leading to it from this provider.
    pub paths: Vec<Path>,
}

/// Evidence chain from the explained provider to one member.
#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub member: String,
    pub steps: Vec<Step>,
}

/// One merge on a path, with provider ids.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub from: String,
    pub to: String,
    pub reason: Reason,
}

/// Explains provider `id`, or `None` if the snapshot has no such provider.
pub fn explain(
    providers: &[Provider],
    r: &Resolution,
    opts: &ResolveOptions,
    id: &str,
) -> Option<Explanation> {
    let i = providers.iter().position(|p| p.id == id)?;
    let op = r.operator_of(i);
    let (keys, denied) = link_keys(&providers[i], &opts.deny);
    let (keys, unused): (Vec<_>, Vec<_>) = keys.into_iter().partition(|k| opts.enabled(k.kind));
    // Breadth-first search over the merge graph of this operator.
    let mut adjacent: HashMap<usize, Vec<(usize, &Evidence)>> = HashMap::new();
    for e in &r.evidence {
        if r.assignment[e.a] == r.assignment[i] {
            adjacent.entry(e.a).or_default().push((e.b, e));
            adjacent.entry(e.b).or_default().push((e.a, e));
        }
    }
    let mut came_from: HashMap<usize, (usize, &Evidence)> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([i]);
    let mut seen = BTreeSet::from([i]);
    while let Some(x) = queue.pop_front() {
        for &(y, e) in adjacent.get(&x).map(Vec::as_slice).unwrap_or_default() {
            if seen.insert(y) {
                came_from.insert(y, (x, e));
                queue.push_back(y);
            }
        }
    }
    let paths = op
        .members
        .iter()
        .filter(|&&m| m != i)
        .map(|&m| {
            let mut steps = Vec::new();
            let mut at = m;
            while let Some(&(prev, e)) = came_from.get(&at) {
                steps.push(Step {
                    from: providers[prev].id.to_string(),
                    to: providers[at].id.to_string(),
                    reason: e.reason.clone(),
                });
                at = prev;
            }
            steps.reverse();
            Path {
                member: providers[m].id.to_string(),
                steps,
            }
        })
        .collect();
    Some(Explanation {
        provider: id.to_string(),
        operator: op.id.clone(),
        label: op.label.clone(),
        confidence: op.confidence,
        members: op.members.len(),
        unlinked: r.unlinked[i],
        keys,
        unused_keys: unused,
        denied_domains: denied,
        paths,
    })
}

#[cfg(test)]
mod tests;
