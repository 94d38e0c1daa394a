//! The audit: every concentration metric, for every dimension and weight the
//! data supports, plus the disclosure block (hardware, cloud, geography,
//! uptime, prices, stake) and field coverage.
//!
//! Pure computation on a [`Snapshot`]: no I/O. The result is plain serde data
//! that exporters in [`crate::report`] render.

pub use crate::cloud;
mod bases;
pub mod disclosure;
pub use bases::{Basis, BasisThreshold, Claimed, SupplySummary, bases};
pub mod operators;
mod sections;

use crate::entities;
use crate::metrics::{Summary, SummaryParams, Weights};
use crate::model::{GpuGroup, Provider, Snapshot};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub use sections::{
    CloudExposure, Coalition, Coverage, Geography, Hardware, Headline, KnownShare, LOW_COVERAGE,
    PriceDispersion, StakeSummary, UptimeSummary, count, weight_words,
};

/// What a concentration is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Provider,
    Operator,
    Country,
    Region,
    Asn,
    Cloud,
    Datacenter,
    GpuVendor,
    GpuModel,
}

/// Every dimension, in report order.
pub const DIMENSIONS: [Dimension; 9] = [
    Dimension::Provider,
    Dimension::Operator,
    Dimension::Country,
    Dimension::Region,
    Dimension::Asn,
    Dimension::Cloud,
    Dimension::Datacenter,
    Dimension::GpuVendor,
    Dimension::GpuModel,
];

impl Dimension {
    /// Name as in JSON and CSV output.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Provider => "provider",
            Dimension::Operator => "operator",
            Dimension::Country => "country",
            Dimension::Region => "region",
            Dimension::Asn => "asn",
            Dimension::Cloud => "cloud",
            Dimension::Datacenter => "datacenter",
            Dimension::GpuVendor => "gpu_vendor",
            Dimension::GpuModel => "gpu_model",
        }
    }

    fn per_gpu_group(self) -> bool {
        matches!(self, Dimension::GpuVendor | Dimension::GpuModel)
    }
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    /// Each provider counts 1.
    Providers,
    Gpus,
    GpuMemoryGb,
    Fp16Tflops,
    /// Voting stake (jailed / unbonded validators count 0).
    Stake,
    Emission,
    /// List price × GPUs × 730 hours: revenue at full utilization.
    MonthlyRevenue,
}

/// Every weight, in report order.
pub const WEIGHTS: [Weight; 7] = [
    Weight::Providers,
    Weight::Gpus,
    Weight::GpuMemoryGb,
    Weight::Fp16Tflops,
    Weight::Stake,
    Weight::Emission,
    Weight::MonthlyRevenue,
];

/// Hours in an average month (8,760 / 12), for monthly revenue.
pub const HOURS_PER_MONTH: f64 = 730.0;

impl Weight {
    /// Name as in JSON and CSV output.
    pub fn name(self) -> &'static str {
        match self {
            Weight::Providers => "providers",
            Weight::Gpus => "gpus",
            Weight::GpuMemoryGb => "gpu_memory_gb",
            Weight::Fp16Tflops => "fp16_tflops",
            Weight::Stake => "stake",
            Weight::Emission => "emission",
            Weight::MonthlyRevenue => "monthly_revenue",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether the weight can be split across a provider's GPU groups.
    fn per_gpu_group(self) -> bool {
        matches!(
            self,
            Weight::Gpus | Weight::GpuMemoryGb | Weight::Fp16Tflops | Weight::MonthlyRevenue
        )
    }
}

/// One value per weight.
pub type Vector = [f64; 7];

/// One flag per weight.
pub type Mask = [bool; 7];

/// Options of an audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Thresholds, top-k and Rényi orders of each metric summary. The tau
    /// thresholds are replaced by the network profile's when
    /// `tau_from_profile` is set.
    pub params: SummaryParams,
    /// Use each snapshot's profile thresholds as the tau thresholds (the
    /// default; `--tau` turns it off).
    pub tau_from_profile: bool,
    /// How many largest entities each cell lists.
    pub top_n: usize,
    /// How providers are resolved into operators.
    pub entities: entities::ResolveOptions,
    /// Supply checks and the three bases (`None`: claimed supply only).
    pub supply: Option<crate::supply::SupplyOptions>,
    /// One network profile for every snapshot (`--profile`); `None`: each
    /// snapshot's bundled profile. Gives the coalition thresholds even when
    /// the supply checks are off.
    pub profile: Option<crate::supply::NetworkProfile>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self {
            params: SummaryParams::default(),
            tau_from_profile: true,
            top_n: 10,
            entities: entities::ResolveOptions::default(),
            supply: Some(crate::supply::SupplyOptions::default()),
            profile: None,
        }
    }
}

impl AuditOptions {
    /// The network profile a snapshot is audited under.
    pub fn profile_for(&self, s: &Snapshot) -> crate::supply::NetworkProfile {
        match (&self.supply, &self.profile) {
            (Some(so), _) => so.profile_for(s),
            (None, Some(p)) => p.clone(),
            (None, None) => crate::supply::NetworkProfile::for_snapshot(s),
        }
    }

    /// The metric parameters for a snapshot: the profile's thresholds as
    /// tau thresholds, or the given ones, each taking the profile's
    /// comparison when it names the same share without a sign of its own
    /// (one definition per threshold everywhere).
    pub fn params_for(&self, profile: &crate::supply::NetworkProfile) -> SummaryParams {
        let mut params = self.params.clone();
        if self.tau_from_profile {
            params.tau = crate::profile::tau_list(&profile.thresholds);
        } else {
            for t in params.tau.iter_mut() {
                let signed = t.label.starts_with(['>', '≥']);
                if let Some(p) = profile
                    .thresholds
                    .iter()
                    .find(|p| p.exact.same_share(&t.value))
                    && !signed
                {
                    t.value.holds = p.holds;
                }
            }
        }
        params
    }
}

/// A tau threshold as applied to a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TauThreshold {
    /// The key in `tau_index`, as written (`1/3`, `0.33`).
    pub label: String,
    pub share: f64,
    pub holds: crate::metrics::Holds,
}

impl TauThreshold {
    /// CSV column name, e.g. `tau_at_least_1/3`.
    pub fn column(&self) -> String {
        format!(
            "tau_{}_{}",
            crate::variant_name(&self.holds),
            self.label.trim_start_matches(['>', '=', '≥'])
        )
    }

    /// `≥1/3`, `>2/3`.
    pub fn text(&self) -> String {
        format!(
            "{}{}",
            self.holds.symbol(),
            self.label.trim_start_matches(['>', '=', '≥'])
        )
    }
}

/// One entity's holding in a cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareRow {
    /// Entity key (provider id, operator id, country code, …).
    pub key: String,
    /// Human-readable label (untrusted text from the source), if any.
    pub label: Option<String>,
    pub weight: f64,
    /// Share of the attributed weight (the weight whose entity is known).
    pub share: f64,
}

/// Concentration of one weight over one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub dimension: Dimension,
    pub weight: Weight,
    /// Weight whose entity is known (the metrics are computed on it).
    pub attributed_weight: f64,
    /// Weight whose entity is unknown (e.g. providers without a country).
    pub unattributed_weight: f64,
    /// unattributed / (attributed + unattributed).
    pub unattributed_share: f64,
    /// The weight whose entity is known, or (for per-GPU figures) the GPUs
    /// whose figure is known, is below half: the cell describes a minority
    /// of the network.
    pub low_coverage: bool,
    /// For weights counted per GPU from a per-GPU figure (memory, FP16
    /// throughput, list price): the share of the cell's GPUs whose figure
    /// is known. GPUs without one carry no weight here, so the cell
    /// describes only this share of the GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_coverage: Option<f64>,
    pub metrics: Summary,
    /// Largest entities, largest first (ties by key).
    pub top: Vec<ShareRow>,
    /// Operator cells only: how the figures move if unlinked providers'
    /// control were known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds: Option<AttributionBounds>,
}

impl Cell {
    /// Share of the weight whose entity is known.
    pub fn coverage(&self) -> f64 {
        1.0 - self.unattributed_share
    }
}

/// Nakamoto coefficient, max share and HHI under one attribution assumption.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundMetrics {
    pub entities: usize,
    pub nakamoto_coefficient: Option<usize>,
    pub max_share: Option<f64>,
    pub hhi: Option<f64>,
}

impl BoundMetrics {
    fn of(m: &Summary) -> Self {
        BoundMetrics {
            entities: m.total_entities,
            nakamoto_coefficient: m.nakamoto_coefficient,
            max_share: m.max_share,
            hhi: m.hhi,
        }
    }
}

/// Operator concentration when unlinked providers' control is unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionBounds {
    pub unlinked_providers: usize,
    pub unlinked_weight: f64,
    /// Share of the weight held by unlinked providers.
    pub unlinked_share: f64,
    /// Every unlinked provider is its own operator (the resolved figures).
    pub best: BoundMetrics,
    /// All unlinked supply is one operator.
    pub worst: BoundMetrics,
}

/// How providers were resolved into operators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolutionSummary {
    pub min_confidence: entities::Confidence,
    pub disabled_keys: Vec<entities::LinkKind>,
    /// Operators per confidence tier (`unlinked` for lone unlinked providers).
    pub operators_by_confidence: std::collections::BTreeMap<String, usize>,
    /// Providers in operators of more than one provider.
    pub providers_in_multi_provider_operators: usize,
    pub merges: usize,
    /// Heuristic merges refused because the mapping names the operators apart.
    pub refused_merges: usize,
    /// Deny-listed domains seen, with how many providers carried each.
    pub denied_domains: std::collections::BTreeMap<String, usize>,
    /// Mapping-file provider ids not found in this snapshot.
    pub unmatched_mapping_ids: Vec<String>,
}

/// The audit of one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotAudit {
    pub network: String,
    pub taken_at: Option<String>,
    pub adapter: String,
    pub location: String,
    pub note: Option<String>,
    pub input_sha256: String,
    pub stake_unit: Option<String>,
    /// Unit of the emission weight, when the snapshot states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emission_unit: Option<String>,
    /// The network profile whose thresholds the coalitions use.
    pub profile: String,
    /// The disclosure card (filled by the pipeline's disclose stage, after
    /// the stress test; absent where only headline rows are measured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<disclosure::Disclosure>,
    /// The tau thresholds of every cell's `tau_index`, in key order.
    pub tau_thresholds: Vec<TauThreshold>,
    pub providers: usize,
    pub operators: usize,
    /// Providers no key links to an operator (each counted as its own).
    pub unlinked_providers: usize,
    pub operator_resolution: ResolutionSummary,
    pub headline: Headline,
    pub hardware: Option<Hardware>,
    pub cloud: CloudExposure,
    pub geography: Geography,
    pub uptime: Option<UptimeSummary>,
    pub pricing: Vec<PriceDispersion>,
    pub stake: Option<StakeSummary>,
    pub coverage: Vec<Coverage>,
    /// Supply checks and the headline on claimed, passing and observed supply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supply: Option<SupplySummary>,
    /// Every supported dimension × weight.
    pub concentration: Vec<Cell>,
    /// Lorenz curve of the primary weight over providers and operators:
    /// (share of entities, share of weight), smallest first, at most 101
    /// points.
    pub lorenz: BTreeMap<String, Vec<(f64, f64)>>,
}

/// Lorenz curve points of weights, downsampled to at most 101 points.
pub fn lorenz_curve(values: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let total: f64 = crate::metrics::sum::sum(v.iter().copied());
    if v.is_empty() || total <= 0.0 {
        return Vec::new();
    }
    let n = v.len();
    let mut cumulative = vec![0.0; n + 1];
    for i in 0..n {
        cumulative[i + 1] = cumulative[i] + v[i];
    }
    let steps = n.min(100);
    (0..=steps)
        .map(|s| {
            let i = s * n / steps;
            (i as f64 / n as f64, cumulative[i] / total)
        })
        .collect()
}

/// What one provider (or one GPU group) brings to each weight.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Contribution {
    /// The weight held.
    pub value: Vector,
    /// Whether it takes part in the weight at all: a validator outside the
    /// active set, or a provider with no stake value, holds no voting stake
    /// and is not an entity of the stake cells (not a zero).
    pub present: Mask,
    /// GPUs whose per-GPU figure behind the weight is known (memory, FP16
    /// figure, price; for `gpus`, every GPU).
    pub known_gpus: Vector,
}

impl Contribution {
    fn add(&mut self, other: &Contribution) {
        for w in 0..7 {
            self.value[w] += other.value[w];
            self.present[w] |= other.present[w];
            self.known_gpus[w] += other.known_gpus[w];
        }
    }
}

/// Per-provider facts the audit needs, computed once.
struct Prepared<'a> {
    snapshot: &'a Snapshot,
    resolution: Cow<'a, entities::Resolution>,
    /// Per provider: what it brings.
    totals: Vec<Contribution>,
    clouds: Vec<Option<cloud::CloudOf>>,
}

impl<'a> Prepared<'a> {
    fn new(snapshot: &'a Snapshot, opts: &AuditOptions) -> Self {
        Self::with(
            snapshot,
            Cow::Owned(entities::resolve(&snapshot.providers, &opts.entities)),
        )
    }

    fn with(snapshot: &'a Snapshot, resolution: Cow<'a, entities::Resolution>) -> Self {
        let providers = &snapshot.providers;
        // Group contributions are not kept: at a million GPU groups they
        // would hold 120 MB, and remaking them for the two per-group
        // dimensions costs a few milliseconds.
        let (totals, clouds) = rayon::join(
            || providers.par_iter().map(provider_contribution).collect(),
            || {
                providers
                    .par_iter()
                    .map(|p| cloud::resolve(p.cloud.as_deref(), p.asn))
                    .collect()
            },
        );
        Prepared {
            snapshot,
            resolution,
            totals,
            clouds,
        }
    }
}

/// What one GPU group of provider `p` brings to each weight. GPUs whose
/// per-GPU figure is unknown carry none of that weight, and a group none
/// of whose GPUs has the figure takes no part in it (not a zero).
fn group_contribution(p: &Provider, g: &GpuGroup) -> Contribution {
    let n = g.count as f64;
    let mut c = Contribution::default();
    let mut set = |w: Weight, per_gpu: Option<f64>, known: f64| {
        c.value[w.index()] = known * per_gpu.unwrap_or(0.0);
        c.present[w.index()] = per_gpu.is_some() && known > 0.0 || n == 0.0;
        c.known_gpus[w.index()] = if per_gpu.is_some() { known } else { 0.0 };
    };
    set(Weight::Gpus, Some(1.0), n);
    set(Weight::GpuMemoryGb, g.memory_gb, n);
    set(Weight::Fp16Tflops, g.tflops_fp16, n);
    // Asks that state their GPUs price only those; the rest of the group
    // has no price (no revenue, not counted as priced).
    let ask = p.ask_for(g.model.as_deref());
    let priced = ask.map_or(0.0, |a| a.gpus.map_or(n, |k| (k as f64).min(n)));
    set(
        Weight::MonthlyRevenue,
        ask.map(|a| a.per_gpu_hour * HOURS_PER_MONTH),
        priced,
    );
    c
}

/// What one provider brings to each weight.
pub fn provider_contribution(p: &Provider) -> Contribution {
    provider_total(p, p.gpus.iter().map(|g| group_contribution(p, g)))
}

/// What one provider brings, from what its GPU groups bring.
fn provider_total(p: &Provider, groups: impl IntoIterator<Item = Contribution>) -> Contribution {
    let mut c = Contribution::default();
    for g in groups {
        c.add(&g);
    }
    if p.gpus.is_empty() {
        // A provider without GPUs holds none of them: a known zero.
        for w in [
            Weight::Gpus,
            Weight::GpuMemoryGb,
            Weight::Fp16Tflops,
            Weight::MonthlyRevenue,
        ] {
            c.present[w.index()] = true;
        }
    }
    c.present[Weight::Gpus.index()] = true;
    c.value[Weight::Providers.index()] = 1.0;
    c.present[Weight::Providers.index()] = true;
    if let Some(stake) = p.voting_stake() {
        c.value[Weight::Stake.index()] = stake;
        c.present[Weight::Stake.index()] = true;
    }
    if let Some(e) = p.emission {
        c.value[Weight::Emission.index()] = e;
        c.present[Weight::Emission.index()] = true;
    }
    c
}

/// Every weight of one provider, indexed like [`WEIGHTS`] (zero where it
/// takes no part).
pub fn provider_vector(p: &Provider) -> Vector {
    provider_contribution(p).value
}

/// Weight per entity of one dimension, and the weight with no entity.
///
/// Columnar: each entity key is interned once (an integer id) and weights
/// are summed into flat vectors by id; the ids are then put in the string
/// order of the keys once, so ranking by weight then key sorts integers
/// only.
struct Aggregate<'a> {
    /// In string order, once built.
    keys: Vec<Cow<'a, str>>,
    labels: Vec<Option<Cow<'a, str>>>,
    /// Borrowed for the provider dimension, whose entities are the
    /// providers themselves.
    totals: Cow<'a, [Contribution]>,
    unattributed: Contribution,
}

/// The key and label of an entity.
type Named<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// Builds an aggregate from a stream of providers or GPU groups, each with
/// a cheap identity `K` of its entity (a borrowed string, an index, an ASN
/// number); the entity's key and label are made once, when first seen.
struct AggregateBuilder<'a, K> {
    ids: FxHashMap<K, u32>,
    agg: Aggregate<'a>,
}

impl<'a, K: std::hash::Hash + Eq> AggregateBuilder<'a, K> {
    /// A builder for at most `most` entities (the items it will be given).
    /// Their lists are sized for that many up front: only address space,
    /// whose pages are touched as entities arrive, and the lists never grow
    /// by copying (grown by doubling, the 285,000 ASNs of a 500,000-provider
    /// network copied 70 MB into fresh pages, most of that dimension's time).
    fn new(most: usize) -> Self {
        AggregateBuilder {
            ids: FxHashMap::default(),
            agg: Aggregate {
                keys: Vec::with_capacity(most),
                labels: Vec::with_capacity(most),
                totals: Cow::Owned(Vec::with_capacity(most)),
                unattributed: Contribution::default(),
            },
        }
    }

    /// Adds a contribution; an entity keeps the label it was first seen
    /// with (providers come in canonical order, so that is deterministic).
    fn add(&mut self, key: Option<K>, c: &Contribution, name: impl FnOnce(&K) -> Named<'a>) {
        let Some(k) = key else {
            self.agg.unattributed.add(c);
            return;
        };
        let agg = &mut self.agg;
        let id = *self.ids.entry(k).or_insert_with_key(|k| {
            let (key, label) = name(k);
            agg.keys.push(key);
            agg.labels.push(label);
            agg.totals.to_mut().push(Contribution::default());
            (agg.keys.len() - 1) as u32
        });
        agg.totals.to_mut()[id as usize].add(c);
    }

    fn finish(self) -> Aggregate<'a> {
        self.agg.ordered_by_key()
    }
}

impl Aggregate<'_> {
    /// Renumbers the entities in the string order of their keys.
    fn ordered_by_key(mut self) -> Self {
        use crate::model::apply_permutation;
        // Keys usually arrive sorted (providers are in id order): one pass
        // checks that before sorting.
        if self.keys.windows(2).all(|w| w[0] < w[1]) {
            return self;
        }
        // Compared by their first eight bytes held inline, and by the whole
        // key only on a tie: the same order, without following a pointer to
        // the key for every comparison.
        let mut keyed: Vec<(u64, u32)> = (0..self.keys.len() as u32)
            .map(|id| (key_prefix(&self.keys[id as usize]), id))
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| self.keys[a.1 as usize].cmp(&self.keys[b.1 as usize]))
        });
        // Moved in place, along the permutation's cycles: no second copy
        // of the entities.
        let mut order: Vec<usize> = keyed.into_iter().map(|(_, id)| id as usize).collect();
        apply_permutation(&mut self.keys, &mut order.clone());
        apply_permutation(&mut self.labels, &mut order.clone());
        apply_permutation(self.totals.to_mut(), &mut order);
        self
    }

    /// The entities taking part in weight `w` as (id, weight), largest
    /// first (ties by key).
    fn ranked(&self, w: usize) -> Vec<(u32, f64)> {
        use crate::metrics::radix::{from_total_order_key, sort_by_u64_key, total_order_key};
        // Taken in key order (id order), then sorted stably by descending
        // weight as ordered bits: ties stay in key order without comparing
        // keys, and each weight is read back from its bits.
        let mut keyed: Vec<(u64, u32)> = self
            .totals
            .iter()
            .enumerate()
            .filter(|(_, c)| c.present[w])
            .map(|(id, c)| (!total_order_key(c.value[w]), id as u32))
            .collect();
        sort_by_u64_key(&mut keyed, |k| k.0);
        keyed
            .into_iter()
            .map(|(bits, id)| (id, from_total_order_key(!bits)))
            .collect()
    }

    /// The weight vector of weight `w` over the entities taking part.
    fn weights(&self, w: usize) -> Option<Weights> {
        // `Weights` sorts the values itself, as integers: ranking by key
        // matters only where entities are named.
        let values = self
            .totals
            .iter()
            .filter(|c| c.present[w])
            .map(|c| c.value[w])
            .collect();
        Weights::from_vec(values).ok()
    }
}

/// The first eight bytes of `key`, zero-padded, as a big-endian integer:
/// ordering these orders the keys, up to ties among keys sharing them.
fn key_prefix(key: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = key.len().min(8);
    bytes[..n].copy_from_slice(&key.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

/// Sums the contributions of every provider (or GPU group) per entity of
/// one dimension.
fn aggregate<'a>(prep: &'a Prepared<'_>, dim: Dimension) -> Aggregate<'a> {
    let providers = &prep.snapshot.providers;
    let totals = prep.totals.iter();
    let borrowed = |k: &&'a str| (Cow::Borrowed(*k), None);
    match dim {
        Dimension::GpuVendor | Dimension::GpuModel => {
            let groups = providers.iter().map(|p| p.gpus.len()).sum();
            let mut b = AggregateBuilder::new(groups);
            for p in providers {
                for g in &p.gpus {
                    let key = match dim {
                        Dimension::GpuVendor => g.vendor.as_deref(),
                        _ => g.model.as_deref(),
                    };
                    b.add(key, &group_contribution(p, g), borrowed);
                }
            }
            b.finish()
        }
        Dimension::Provider => {
            // Provider ids are unique (validated on reading): entity `i` is
            // provider `i`, no interning needed.
            Aggregate {
                keys: providers
                    .iter()
                    .map(|p| Cow::Borrowed(p.id.as_str()))
                    .collect(),
                labels: providers
                    .iter()
                    .map(|p| p.name.as_deref().map(Cow::Borrowed))
                    .collect(),
                totals: Cow::Borrowed(&prep.totals),
                unattributed: Contribution::default(),
            }
            .ordered_by_key()
        }
        Dimension::Operator => {
            let r = &*prep.resolution;
            let mut b = AggregateBuilder::new(r.operators.len());
            for (&op, c) in r.assignment.iter().zip(totals) {
                b.add(Some(op), c, |&op| {
                    let op = &r.operators[op];
                    (
                        Cow::Borrowed(op.id.as_str()),
                        op.label.as_deref().map(Cow::Borrowed),
                    )
                });
            }
            b.finish()
        }
        Dimension::Country => {
            let mut b = AggregateBuilder::new(providers.len());
            for (p, c) in providers.iter().zip(totals) {
                b.add(p.country.as_deref(), c, |k| {
                    (
                        Cow::Borrowed(*k),
                        crate::model::geo::country_name(k).map(Cow::Borrowed),
                    )
                });
            }
            b.finish()
        }
        Dimension::Region => {
            let mut b = AggregateBuilder::new(providers.len());
            for (p, c) in providers.iter().zip(totals) {
                let key = p.region.as_deref().map(|r| (p.country.as_deref(), r));
                b.add(key, c, |&(country, r)| match country {
                    Some(country) => (Cow::Owned(format!("{country}/{r}")), None),
                    None => (Cow::Borrowed(r), None),
                });
            }
            b.finish()
        }
        Dimension::Asn => {
            let mut b = AggregateBuilder::new(providers.len());
            for (p, c) in providers.iter().zip(totals) {
                b.add(p.asn, c, |a| (Cow::Owned(format!("AS{a}")), None));
            }
            b.finish()
        }
        Dimension::Cloud => {
            let mut b = AggregateBuilder::new(providers.len());
            for (cloud, c) in prep.clouds.iter().zip(totals) {
                b.add(cloud.as_ref().map(|c| c.name.as_str()), c, borrowed);
            }
            b.finish()
        }
        Dimension::Datacenter => {
            let mut b = AggregateBuilder::new(providers.len());
            for (p, c) in providers.iter().zip(totals) {
                b.add(p.datacenter.as_deref(), c, borrowed);
            }
            b.finish()
        }
    }
}

/// Every entity of an aggregate with its weights and label, plus the
/// unattributed weights (key `None`), sorted by key.
type Rows = Vec<(Option<String>, Vector, Option<String>)>;

fn agg_rows(agg: &Aggregate) -> Rows {
    let mut rows: Rows = (0..agg.keys.len())
        .map(|id| {
            (
                Some(agg.keys[id].to_string()),
                agg.totals[id].value,
                agg.labels[id].as_deref().map(str::to_string),
            )
        })
        .collect();
    rows.push((None, agg.unattributed.value, None));
    rows
}

/// Computes one cell, or `None` when the data holds none of this weight.
fn cell(
    agg: &Aggregate,
    dim: Dimension,
    weight: Weight,
    params: &SummaryParams,
    top_n: usize,
) -> Option<Cell> {
    let w = weight.index();
    let rows = agg.ranked(w);
    let weights = Weights::from_vec(rows.iter().map(|r| r.1).collect()).ok()?;
    if weights.total() <= 0.0 {
        return None;
    }
    let attributed = weights.total();
    let unattributed = agg.unattributed.value[w];
    let top = rows
        .iter()
        .take(top_n)
        .map(|&(id, x)| ShareRow {
            key: agg.keys[id as usize].to_string(),
            label: agg.labels[id as usize].as_deref().map(str::to_string),
            weight: x,
            share: x / attributed,
        })
        .collect();
    let value_coverage = matches!(
        weight,
        Weight::GpuMemoryGb | Weight::Fp16Tflops | Weight::MonthlyRevenue
    )
    .then(|| {
        let all = agg.totals.iter().chain([&agg.unattributed]);
        let (known, gpus) = all.fold((0.0, 0.0), |(k, g), c| {
            (k + c.known_gpus[w], g + c.known_gpus[Weight::Gpus.index()])
        });
        if gpus > 0.0 { known / gpus } else { 0.0 }
    });
    let unattributed_share = unattributed / (attributed + unattributed);
    Some(Cell {
        dimension: dim,
        weight,
        attributed_weight: attributed,
        unattributed_weight: unattributed,
        unattributed_share,
        low_coverage: (1.0 - unattributed_share).min(value_coverage.unwrap_or(1.0)) < LOW_COVERAGE,
        value_coverage,
        metrics: Summary::compute(&weights, params),
        top,
        bounds: None,
    })
}

/// The operator aggregate with every unlinked provider in one operator.
fn worst_case_operators<'a>(prep: &'a Prepared<'_>) -> Aggregate<'a> {
    let r = &*prep.resolution;
    let mut agg = AggregateBuilder::new(prep.totals.len());
    for (i, c) in prep.totals.iter().enumerate() {
        // `None`: every unlinked provider, as one operator.
        let key = (!r.unlinked[i]).then(|| r.assignment[i]);
        agg.add(Some(key), c, |key| match key {
            None => (
                Cow::Borrowed("unlinked:all"),
                Some(Cow::Borrowed("all unlinked providers")),
            ),
            Some(op) => (Cow::Borrowed(r.operators[*op].id.as_str()), None),
        });
    }
    agg.finish()
}

/// Attaches attribution bounds to an operator cell.
fn add_bounds(cell: &mut Cell, worst: &Aggregate, prep: &Prepared<'_>, params: &SummaryParams) {
    let w = cell.weight.index();
    let unlinked: Vec<usize> = (0..prep.totals.len())
        .filter(|&i| prep.resolution.unlinked[i] && prep.totals[i].present[w])
        .collect();
    let unlinked_weight: f64 =
        crate::metrics::sum::sum(unlinked.iter().map(|&i| prep.totals[i].value[w]));
    let worst_metrics = worst.weights(w).map(|ws| Summary::compute(&ws, params));
    cell.bounds = Some(AttributionBounds {
        unlinked_providers: unlinked.len(),
        unlinked_weight,
        unlinked_share: if cell.attributed_weight > 0.0 {
            unlinked_weight / cell.attributed_weight
        } else {
            0.0
        },
        best: BoundMetrics::of(&cell.metrics),
        worst: worst_metrics
            .map_or_else(|| BoundMetrics::of(&cell.metrics), |m| BoundMetrics::of(&m)),
    });
}

/// Summary of a resolution, for reports.
pub fn resolution_summary(
    r: &entities::Resolution,
    opts: &entities::ResolveOptions,
) -> ResolutionSummary {
    let mut by_confidence = std::collections::BTreeMap::new();
    for op in &r.operators {
        let name = op
            .confidence
            .map_or("unlinked".to_string(), |c| crate::variant_name(&c));
        *by_confidence.entry(name).or_insert(0) += 1;
    }
    ResolutionSummary {
        min_confidence: opts.min_confidence,
        disabled_keys: opts.disabled.iter().copied().collect(),
        operators_by_confidence: by_confidence,
        providers_in_multi_provider_operators: r
            .operators
            .iter()
            .filter(|o| o.members.len() > 1)
            .map(|o| o.members.len())
            .sum(),
        merges: r.evidence.len(),
        refused_merges: r.refused.len(),
        denied_domains: r.denied_domains.clone(),
        unmatched_mapping_ids: r.unmatched_mapping.clone(),
    }
}

/// What one dimension contributes to an audit.
struct Measured<'a> {
    dim: Dimension,
    cells: Vec<Cell>,
    /// Rows of the place dimensions (country, region), for the geography.
    place: Option<Rows>,
    /// The aggregate, kept for the dimensions the Lorenz curves, coalitions
    /// and the claimed basis need (provider, operator, country).
    kept: Option<Aggregate<'a>>,
}

/// Every cell of one dimension, one per weight it takes.
fn measure_dimension<'a>(
    prep: &'a Prepared<'_>,
    dim: Dimension,
    worst: &Aggregate<'_>,
    params: &SummaryParams,
    top_n: usize,
) -> Measured<'a> {
    let agg = aggregate(prep, dim);
    let place = matches!(dim, Dimension::Country | Dimension::Region).then(|| agg_rows(&agg));
    let mut cells = Vec::new();
    for weight in WEIGHTS {
        if dim.per_gpu_group() && !weight.per_gpu_group() {
            continue;
        }
        let Some(mut c) = cell(&agg, dim, weight, params, top_n) else {
            continue;
        };
        if dim == Dimension::Operator {
            add_bounds(&mut c, worst, prep, params);
        }
        cells.push(c);
    }
    let keep = matches!(
        dim,
        Dimension::Provider | Dimension::Operator | Dimension::Country
    );
    Measured {
        dim,
        cells,
        place,
        kept: keep.then_some(agg),
    }
}

/// How much of an audit to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything a report shows.
    Full,
    /// Only what the headline rows of `history` read: the provider,
    /// operator and country dimensions, headline, hardware, cloud,
    /// geography by country, uptime and the supply bases. Regions,
    /// prices, stake, Lorenz curves and the coverage list are left empty;
    /// such an audit is never published.
    Headline,
}

/// The measure stage: every metric of one snapshot, from its checked
/// supply and its resolved operators (each computed once, upstream), on
/// every supply basis when the supply was checked.
pub fn measure(
    checked: &crate::supply::Checked<'_>,
    resolution: &entities::Resolution,
    opts: &AuditOptions,
) -> SnapshotAudit {
    measure_scoped(checked, resolution, opts, Scope::Full)
}

/// The measure stage, computing only what `scope` needs.
pub fn measure_scoped(
    checked: &crate::supply::Checked<'_>,
    resolution: &entities::Resolution,
    opts: &AuditOptions,
    scope: Scope,
) -> SnapshotAudit {
    let full = scope == Scope::Full;
    let dimensions: &[Dimension] = if full { &DIMENSIONS } else { &DIMENSIONS[..3] };
    let snapshot = checked.snapshot;
    let prep = Prepared::with(snapshot, Cow::Borrowed(resolution));
    let profile = opts.profile_for(snapshot);
    let params = opts.params_for(&profile);
    // The dimensions, and the sections that need no primary weight, are
    // independent: they run on both cores, and are put together in a fixed
    // order, so the output does not depend on the schedule.
    let ((worst, per_dimension), (hardware, (pricing, stake))) = rayon::join(
        || {
            let worst = worst_case_operators(&prep);
            let per_dimension: Vec<Measured> = dimensions
                .par_iter()
                .map(|&dim| measure_dimension(&prep, dim, &worst, &params, opts.top_n))
                .collect();
            (worst, per_dimension)
        },
        || {
            rayon::join(
                || sections::hardware(snapshot),
                || {
                    if !full {
                        return (Vec::new(), None);
                    }
                    rayon::join(|| sections::pricing(snapshot), || sections::stake(snapshot))
                },
            )
        },
    );
    let mut concentration = Vec::new();
    let mut places = Vec::new();
    let mut entity_aggs = Vec::new();
    for m in per_dimension {
        concentration.extend(m.cells);
        places.extend(m.place);
        entity_aggs.extend(m.kept.map(|agg| (m.dim, agg)));
    }
    let (primary, primary_note) = sections::primary_weight(&concentration, snapshot);
    let wi = primary.index();
    // What follows reads only the measured dimensions and the primary
    // weight: the parts run side by side and are joined in a fixed order.
    let lorenz_and_coalitions = || {
        let lorenz: BTreeMap<String, Vec<(f64, f64)>> = entity_aggs
            .iter()
            .filter(|(d, _)| full && *d != Dimension::Country)
            .map(|(dim, agg)| {
                let values: Vec<f64> = agg.ranked(wi).iter().map(|r| r.1).collect();
                (dim.name().to_string(), lorenz_curve(&values))
            })
            .collect();
        let coalitions = sections::coalitions(
            &profile,
            entity_aggs[0].1.weights(wi).as_ref(),
            entity_aggs[1].1.weights(wi).as_ref(),
            worst.weights(wi).as_ref(),
            prep.resolution.unlinked_count() > 0,
        );
        (lorenz, coalitions)
    };
    let supply = || {
        checked.check.as_ref().map(|check| {
            let basis_params = bases::basis_options(check, opts).params;
            let claimed = Claimed {
                cells: entity_aggs
                    .iter()
                    .filter_map(|(dim, agg)| cell(agg, *dim, primary, &basis_params, 1))
                    .collect(),
                operators: prep.resolution.operators.len(),
                nvidia: hardware.as_ref().map(|h| h.nvidia.gpu_share),
            };
            let bases = bases(
                checked,
                primary,
                opts,
                Some(&prep.resolution),
                Some(claimed),
            );
            SupplySummary::new(check, bases)
        })
    };
    let weights: Vec<Vector> = prep.totals.iter().map(|c| c.value).collect();
    let cloud = || sections::cloud_exposure(snapshot, &prep.clouds, &weights, primary);
    let uptime_and_coverage = || {
        rayon::join(
            || sections::uptime(snapshot, primary, &weights),
            || {
                if full {
                    sections::coverage(snapshot, &prep.clouds)
                } else {
                    Vec::new()
                }
            },
        )
    };
    let ((lorenz, coalitions), (supply, (cloud, (uptime, coverage)))) =
        rayon::join(lorenz_and_coalitions, || {
            rayon::join(supply, || rayon::join(cloud, uptime_and_coverage))
        });
    let no_regions = Rows::new();
    let (countries, regions) = (&places[0], places.get(1).unwrap_or(&no_regions));
    let nvidia_gpu_share = hardware.as_ref().map(|h| h.nvidia.gpu_share);
    let mut headline = sections::headline(
        &concentration,
        primary,
        primary_note,
        nvidia_gpu_share,
        coalitions,
    );
    if let Some(sentence) = supply.as_ref().and_then(|s| s.headline_clause()) {
        headline.summary.push_str(&sentence);
    }
    SnapshotAudit {
        network: snapshot.network.clone(),
        taken_at: snapshot.taken_at.clone(),
        adapter: snapshot.source.adapter.clone(),
        location: snapshot.source.location.clone(),
        note: snapshot.source.note.clone(),
        input_sha256: snapshot.input_sha256.clone(),
        stake_unit: snapshot.stake_unit.clone(),
        emission_unit: snapshot.emission_unit.clone(),
        profile: profile.name.clone(),
        disclosure: None,
        tau_thresholds: params
            .tau
            .iter()
            .map(|t| TauThreshold {
                label: t.label.clone(),
                share: t.value.value(),
                holds: t.value.holds,
            })
            .collect(),
        providers: snapshot.providers.len(),
        operators: prep.resolution.operators.len(),
        unlinked_providers: prep.resolution.unlinked_count(),
        operator_resolution: resolution_summary(&prep.resolution, &opts.entities),
        headline,
        hardware,
        cloud,
        geography: sections::geography(countries, regions, primary),
        uptime,
        pricing,
        stake,
        coverage,
        supply,
        concentration,
        lorenz,
    }
}

/// Provider, operator and country cells of one weight, and the number of
/// operators: what a supply basis reports, without the rest of the audit.
/// `resolution`, when given, must be the snapshot's own (it saves resolving
/// the operators again). `params` carry the thresholds to report.
pub fn basis_cells(
    snapshot: &Snapshot,
    weight: Weight,
    opts: &AuditOptions,
    params: &SummaryParams,
    resolution: Option<&entities::Resolution>,
) -> (Vec<Cell>, usize) {
    let prep = match resolution {
        Some(r) => Prepared::with(snapshot, Cow::Borrowed(r)),
        None => Prepared::new(snapshot, opts),
    };
    let cells = [Dimension::Provider, Dimension::Operator, Dimension::Country]
        .into_iter()
        .filter_map(|dim| cell(&aggregate(&prep, dim), dim, weight, params, 1))
        .collect();
    (cells, prep.resolution.operators.len())
}

/// Nvidia's share of the GPUs whose vendor is known, with its coverage;
/// `None` without GPUs.
pub fn nvidia_gpu_share(snapshot: &Snapshot) -> Option<KnownShare> {
    sections::hardware(snapshot).map(|h| h.nvidia.gpu_share)
}

/// Finds a cell.
pub fn find_cell(cells: &[Cell], dim: Dimension, weight: Weight) -> Option<&Cell> {
    cells
        .iter()
        .find(|c| c.dimension == dim && c.weight == weight)
}

#[cfg(test)]
mod tests;
