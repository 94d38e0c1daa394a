//! The disclosure block of an audit: headline, coalitions, hardware, cloud,
//! geography, uptime, prices, stake and field coverage.
//!
//! Every share that divides by a known part (clouds, countries, vendors,
//! uptime, prices) carries the coverage it rests on, and is `None` when
//! nothing is known: an unknown field is never reported as 0.

use super::{Cell, Dimension, Rows, ShareRow, Vector, Weight, find_cell};
use crate::cloud::{Attribution, Category, CloudOf};
use crate::metrics::dispersion::{Dispersion, dispersion, weighted_dispersion};
use crate::metrics::{Holds, Weights, concentration::tau_index};
use crate::model::Snapshot;
use crate::supply::NetworkProfile;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Below this coverage a figure describes a minority of the network: it is
/// still shown, with its coverage, and flagged `low_coverage`.
pub const LOW_COVERAGE: f64 = 0.5;

/// A share of the known part of a weight, with the coverage it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KnownShare {
    /// Share of the weight whose field is known; `None` when nothing is.
    pub value: Option<f64>,
    /// Share of the weight for which the field is known.
    pub coverage: f64,
    /// Coverage below [`LOW_COVERAGE`].
    pub low_coverage: bool,
}

impl KnownShare {
    /// `part` of the `known` weight, out of `total` weight.
    pub fn of(part: f64, known: f64, total: f64) -> Self {
        let coverage = if total > 0.0 { known / total } else { 0.0 };
        KnownShare {
            value: (known > 0.0).then(|| part / known),
            coverage,
            low_coverage: coverage < LOW_COVERAGE,
        }
    }
}

/// The weight headline figures use, and why: GPUs where the data has
/// them, else stake, else emission (rewards), else provider count.
pub fn primary_weight(cells: &[Cell], s: &Snapshot) -> (Weight, String) {
    let has = |w: Weight| find_cell(cells, Dimension::Provider, w).is_some();
    if let Some(w) = [Weight::Gpus, Weight::Stake, Weight::Emission]
        .into_iter()
        .find(|w| has(*w))
    {
        let note = match w {
            Weight::Gpus => "GPUs: the data lists GPU capacity".to_string(),
            Weight::Stake => "stake: the data lists no GPUs; stake is voting power".to_string(),
            _ => "emission: the data lists no GPUs or stake".to_string(),
        };
        return (w, note);
    }
    let listed = s.providers.iter().any(|p| !p.gpus.is_empty());
    let note = if listed {
        "provider count: every GPU count in the data is 0, and it lists no stake or emission"
    } else {
        "provider count: the data lists no GPUs, stake or emission"
    };
    (Weight::Providers, note.to_string())
}

/// How a weight reads in a sentence.
pub fn weight_words(w: Weight) -> &'static str {
    match w {
        Weight::Providers => "providers",
        Weight::Gpus => "GPUs",
        Weight::GpuMemoryGb => "GPU memory",
        Weight::Fp16Tflops => "FP16 compute",
        Weight::Stake => "voting stake",
        Weight::Emission => "emission",
        Weight::MonthlyRevenue => "list-price revenue",
    }
}

/// The fewest providers and operators holding one of the network
/// profile's thresholds of the primary weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coalition {
    /// The share (its exact fraction is `label`).
    pub threshold: f64,
    /// As the profile writes it, e.g. `1/3`.
    pub label: String,
    /// Whether the coalition holds at least the share or more than it.
    pub holds: Holds,
    /// What a coalition of this size can do.
    pub meaning: String,
    pub provider: Option<usize>,
    pub operator: Option<usize>,
    /// Where unlinked providers exist: operators needed if every unlinked
    /// provider were its own operator (`best`, equal to `operator`) and if
    /// all unlinked supply were one operator (`worst`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_bounds: Option<CountBounds>,
}

impl Coalition {
    /// The threshold as written in tables: `≥1/3`, `>2/3`.
    pub fn threshold_text(&self) -> String {
        format!("{}{}", self.holds.symbol(), self.label)
    }
}

/// A count under the best and the worst attribution assumption.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CountBounds {
    pub best: Option<usize>,
    pub worst: Option<usize>,
}

/// Coalition sizes at every threshold of the profile.
pub fn coalitions(
    profile: &NetworkProfile,
    providers: Option<&Weights>,
    operators: Option<&Weights>,
    worst: Option<&Weights>,
    unlinked: bool,
) -> Vec<Coalition> {
    profile
        .thresholds
        .iter()
        .map(|t| {
            let at = |w: Option<&Weights>| w.and_then(|w| tau_index(w, &t.exact));
            Coalition {
                threshold: t.share,
                label: t.label.clone(),
                holds: t.holds,
                meaning: t.meaning.clone(),
                provider: at(providers),
                operator: at(operators),
                operator_bounds: unlinked.then(|| CountBounds {
                    best: at(operators),
                    worst: at(worst),
                }),
            }
        })
        .collect()
}

/// Headline figures of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeadlineEntry {
    pub entities: usize,
    /// Fewest entities holding at least 50% (the EDI Nakamoto coefficient).
    pub nakamoto_coefficient: Option<usize>,
    /// Largest share of the attributed weight.
    pub max_share: Option<f64>,
    pub hhi: Option<f64>,
    pub gini: Option<f64>,
    /// Share of the weight with no entity in this dimension.
    pub unattributed_share: f64,
    pub largest: Option<ShareRow>,
    /// Operator level only: best and worst case for unlinked providers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds: Option<super::AttributionBounds>,
}

/// The headline: who holds the network at the thresholds that matter for
/// it, supplier concentration, and dependency on Nvidia.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    pub primary_weight: Weight,
    /// Why this weight: what the data lists.
    pub primary_weight_note: String,
    /// One entry per threshold of the network profile, first one leading.
    pub coalitions: Vec<Coalition>,
    /// What `nakamoto_coefficient` in the entries below means.
    pub nakamoto_definition: &'static str,
    pub provider: Option<HeadlineEntry>,
    pub operator: Option<HeadlineEntry>,
    pub country: Option<HeadlineEntry>,
    pub cloud: Option<HeadlineEntry>,
    /// Nvidia's share of the GPUs whose vendor is known (`None` without GPUs).
    pub nvidia_gpu_share: Option<KnownShare>,
    /// One sentence for humans.
    pub summary: String,
}

/// The definition every `nakamoto_coefficient` field follows.
pub const NAKAMOTO_DEFINITION: &str =
    "fewest largest entities holding at least 50% of the weight (Edinburgh Decentralization Index)";

fn entry(cells: &[Cell], dim: Dimension, w: Weight) -> Option<HeadlineEntry> {
    let c = find_cell(cells, dim, w)?;
    Some(HeadlineEntry {
        entities: c.metrics.total_entities,
        nakamoto_coefficient: c.metrics.nakamoto_coefficient,
        max_share: c.metrics.max_share,
        hhi: c.metrics.hhi,
        gini: c.metrics.gini,
        unattributed_share: c.unattributed_share,
        largest: c.top.first().cloned(),
        bounds: c.bounds.clone(),
    })
}

/// "1 operator", "4 operators", "n/a operators".
pub fn count(n: Option<usize>, noun: &str) -> String {
    match n {
        Some(1) => format!("1 {noun}"),
        Some(n) => format!("{n} {noun}s"),
        None => format!("n/a {noun}s"),
    }
}

fn coalition_clause(c: &Coalition, w: Weight, lead: bool) -> String {
    let worst = c
        .operator_bounds
        .filter(|b| b.worst != b.best)
        .map(|b| {
            format!(
                "; {} if all unlinked providers were one",
                count(b.worst, "operator")
            )
        })
        .unwrap_or_default();
    let several = c.operator != Some(1);
    format!(
        "{} ({}{worst}) {}{} {} {} of {} and can {}",
        count(c.operator, "operator"),
        count(c.provider, "provider"),
        if lead && several { "together " } else { "" },
        if several { "hold" } else { "holds" },
        c.holds.words(),
        c.label,
        weight_words(w),
        c.meaning
    )
}

pub fn headline(
    cells: &[Cell],
    w: Weight,
    primary_weight_note: String,
    nvidia_gpu_share: Option<KnownShare>,
    coalitions: Vec<Coalition>,
) -> Headline {
    let provider = entry(cells, Dimension::Provider, w);
    let operator = entry(cells, Dimension::Operator, w);
    let mut parts: Vec<String> = coalitions
        .iter()
        .enumerate()
        .map(|(i, c)| coalition_clause(c, w, i == 0))
        .collect();
    let nc = |e: &Option<HeadlineEntry>, noun: &str| {
        count(e.as_ref().and_then(|e| e.nakamoto_coefficient), noun)
    };
    let mut nakamoto = format!(
        "Nakamoto coefficient (at least 50% of {}): {}, {}",
        weight_words(w),
        nc(&provider, "provider"),
        nc(&operator, "operator")
    );
    if let Some(b) = operator
        .as_ref()
        .and_then(|o| o.bounds.as_ref())
        .filter(|b| b.unlinked_share > 0.0)
        .filter(|b| b.worst.nakamoto_coefficient != b.best.nakamoto_coefficient)
    {
        nakamoto.push_str(&format!(
            " ({} if the {} held by {} were one operator)",
            count(b.worst.nakamoto_coefficient, "operator"),
            crate::text::pct(b.unlinked_share),
            count(Some(b.unlinked_providers), "unlinked provider")
        ));
    }
    parts.push(nakamoto);
    if let Some(share) = operator.as_ref().and_then(|o| o.max_share) {
        parts.push(format!(
            "the largest operator holds {:.1}% of {}",
            share * 100.0,
            weight_words(w)
        ));
    }
    if let Some(n) = nvidia_gpu_share {
        parts.push(match n.value {
            Some(v) if n.coverage >= 1.0 => format!("Nvidia makes {:.1}% of GPUs", v * 100.0),
            Some(v) => format!(
                "Nvidia makes {:.1}% of the GPUs whose vendor is known ({:.1}% of GPUs)",
                v * 100.0,
                n.coverage * 100.0
            ),
            None => "GPU vendor n/a (known for 0% of GPUs)".into(),
        });
    }
    if w == Weight::Providers {
        parts.push(format!("counted by {primary_weight_note}"));
    }
    if provider.is_none() {
        parts = vec![format!(
            "The data lists no providers with {}: no concentration can be measured",
            weight_words(w)
        )];
    }
    let mut summary = parts.join("; ");
    if let Some(first) = summary.get(..1) {
        summary = first.to_uppercase() + &summary[1..];
    }
    Headline {
        primary_weight: w,
        primary_weight_note,
        coalitions,
        nakamoto_definition: NAKAMOTO_DEFINITION,
        provider,
        operator,
        country: entry(cells, Dimension::Country, w),
        cloud: entry(cells, Dimension::Cloud, w),
        nvidia_gpu_share,
        summary,
    }
}

/// GPUs and memory of one vendor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VendorRow {
    pub vendor: String,
    pub gpus: u64,
    /// Share of the GPUs whose vendor is known.
    pub gpu_share: f64,
    pub memory_gb: f64,
    /// Share of the GPU memory whose vendor (and size) is known.
    pub memory_share: f64,
}

/// GPUs of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRow {
    pub model: String,
    pub vendor: Option<String>,
    pub gpus: u64,
    /// Share of all GPUs (models of unknown name included).
    pub gpu_share: f64,
    pub memory_gb: f64,
    /// False when the model is not in the bundled catalogue (kept, flagged).
    pub known: bool,
}

/// Dependency on one vendor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VendorDependency {
    /// Of the GPUs whose vendor is known.
    pub gpu_share: KnownShare,
    /// Of the GPU memory whose vendor is known.
    pub memory_share: KnownShare,
}

/// Hardware distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hardware {
    /// GPUs of the providers' full capacity (Vast.ai: whole machines).
    pub gpus: u64,
    /// Where the source lists rentable offers (Vast.ai): GPUs in the listed
    /// offers, and how many providers have such a figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpus_offered: Option<u64>,
    /// GB of GPU memory over the GPUs whose memory is known
    /// (`memory_coverage` of them); `None` when no GPU's memory is known,
    /// never a zero that would read as "no memory".
    pub gpu_memory_gb: Option<f64>,
    pub providers_with_gpus: usize,
    pub by_vendor: Vec<VendorRow>,
    pub by_model: Vec<ModelRow>,
    pub nvidia: VendorDependency,
    pub unknown_vendor_gpus: u64,
    pub unknown_model_gpus: u64,
    /// Raw names of models the catalogue does not know.
    pub unrecognised_models: Vec<String>,
    /// Share of GPUs with a catalogued FP16 throughput.
    pub fp16_coverage: f64,
    /// Share of GPUs with a known memory size.
    pub memory_coverage: f64,
    /// Providers that declare GPU models without counts.
    pub providers_declaring_models_only: usize,
}

/// The entry of `key`, made by `make` when missing: allocates the key only
/// then (the usual lookup finds an existing entry).
fn slot<'m, V>(map: &'m mut BTreeMap<String, V>, key: &str, make: impl FnOnce() -> V) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), make());
    }
    map.get_mut(key).expect("inserted above")
}

/// Running sums keyed by text, kept in key order, each reached by index.
struct Slots<V> {
    index: BTreeMap<String, usize>,
    sums: Vec<V>,
}

impl<V> Slots<V> {
    fn new() -> Self {
        Slots {
            index: BTreeMap::new(),
            sums: Vec::new(),
        }
    }

    /// The slot of `key`, made by `make` the first time the key is seen.
    fn of(&mut self, key: &str, make: impl FnOnce() -> V) -> usize {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        self.sums.push(make());
        self.index.insert(key.to_string(), self.sums.len() - 1);
        self.sums.len() - 1
    }

    /// Keys and sums, in key order.
    fn into_sorted(self) -> impl Iterator<Item = (String, V)> {
        let mut sums: Vec<Option<V>> = self.sums.into_iter().map(Some).collect();
        self.index
            .into_iter()
            .map(move |(key, i)| (key, sums[i].take().expect("one key per slot")))
    }
}

pub fn hardware(s: &Snapshot) -> Option<Hardware> {
    let mut vendors: Slots<(u64, f64)> = Slots::new();
    let mut models: Slots<(Option<String>, u64, f64, bool)> = Slots::new();
    // A kind's vendor and model slots, found by text at its first group and
    // then by the kind's address: groups share their kind, so a million
    // groups cost a million pointer lookups instead of two million string
    // searches in a tree. Each slot still sums its groups in input order.
    let mut slots_of_kind: rustc_hash::FxHashMap<
        *const crate::model::gpu::GpuKind,
        [Option<usize>; 2],
    > = Default::default();
    let (mut gpus, mut memory, mut unknown_vendor, mut unknown_model) = (0u64, 0.0, 0u64, 0u64);
    let (mut with_tflops, mut with_memory, mut vendor_memory) = (0u64, 0u64, 0.0);
    let mut unrecognised = Vec::new();
    for g in s.providers.iter().flat_map(|p| &p.gpus) {
        let mem = g.count as f64 * g.memory_gb.unwrap_or(0.0);
        // Saturating: claimed counts can be overflow sentinels (2^64 - 1).
        gpus = gpus.saturating_add(g.count);
        memory += mem;
        if g.tflops_fp16.is_some() {
            with_tflops = with_tflops.saturating_add(g.count);
        }
        if g.memory_gb.is_some() {
            with_memory = with_memory.saturating_add(g.count);
        }
        let [vendor, model] = *slots_of_kind.entry(g.kind_ptr()).or_insert_with(|| {
            let vendor = g.vendor.as_deref().map(|v| vendors.of(v, Default::default));
            let model = g.model.as_deref().map(|m| {
                if !g.known_model {
                    unrecognised.extend(g.raw_model.as_deref().map(String::from));
                }
                models.of(m, || {
                    (g.vendor.as_deref().map(String::from), 0, 0.0, g.known_model)
                })
            });
            [vendor, model]
        });
        match vendor {
            Some(i) => {
                let e = &mut vendors.sums[i];
                e.0 = e.0.saturating_add(g.count);
                e.1 += mem;
                vendor_memory += mem;
            }
            None => unknown_vendor = unknown_vendor.saturating_add(g.count),
        }
        match model {
            Some(i) => {
                let e = &mut models.sums[i];
                e.1 = e.1.saturating_add(g.count);
                e.2 += mem;
            }
            None => unknown_model = unknown_model.saturating_add(g.count),
        }
    }
    if gpus == 0 {
        return None;
    }
    let share = |x: f64, total: f64| if total > 0.0 { x / total } else { 0.0 };
    let known_vendor = gpus.saturating_sub(unknown_vendor) as f64;
    let mut by_vendor: Vec<VendorRow> = vendors
        .into_sorted()
        .map(|(vendor, (n, mem))| VendorRow {
            vendor,
            gpus: n,
            gpu_share: share(n as f64, known_vendor),
            memory_gb: mem,
            memory_share: share(mem, vendor_memory),
        })
        .collect();
    by_vendor.sort_by(|a, b| b.gpus.cmp(&a.gpus).then_with(|| a.vendor.cmp(&b.vendor)));
    let nvidia = by_vendor.iter().find(|v| v.vendor == "nvidia");
    let nvidia = VendorDependency {
        gpu_share: KnownShare::of(
            nvidia.map_or(0.0, |v| v.gpus as f64),
            known_vendor,
            gpus as f64,
        ),
        memory_share: KnownShare::of(nvidia.map_or(0.0, |v| v.memory_gb), vendor_memory, memory),
    };
    let mut by_model: Vec<ModelRow> = models
        .into_sorted()
        .map(|(model, (vendor, n, mem, known))| ModelRow {
            model,
            vendor,
            gpus: n,
            gpu_share: share(n as f64, gpus as f64),
            memory_gb: mem,
            known,
        })
        .collect();
    by_model.sort_by(|a, b| b.gpus.cmp(&a.gpus).then_with(|| a.model.cmp(&b.model)));
    unrecognised.sort();
    unrecognised.dedup();
    let offered: Vec<u64> = s
        .providers
        .iter()
        .filter_map(|p| p.more.gpus_offered)
        .collect();
    Some(Hardware {
        gpus,
        gpus_offered: (!offered.is_empty())
            .then(|| offered.iter().fold(0u64, |a, &b| a.saturating_add(b))),
        gpu_memory_gb: (with_memory > 0).then_some(memory),
        providers_with_gpus: s.providers.iter().filter(|p| p.gpu_count() > 0).count(),
        by_vendor,
        by_model,
        nvidia,
        unknown_vendor_gpus: unknown_vendor,
        unknown_model_gpus: unknown_model,
        unrecognised_models: unrecognised,
        fp16_coverage: share(with_tflops as f64, gpus as f64),
        memory_coverage: share(with_memory as f64, gpus as f64),
        providers_declaring_models_only: s
            .providers
            .iter()
            .filter(|p| p.gpus.is_empty() && !p.more.declared_gpu_models.is_empty())
            .count(),
    })
}

/// Exposure to one cloud or hosting company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudRow {
    pub cloud: String,
    pub category: Category,
    pub weight: f64,
    /// Share of the weight whose cloud is known.
    pub share: f64,
    pub providers_declared: usize,
    pub providers_inferred_from_asn: usize,
}

/// Cloud and hosting dependency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudExposure {
    pub weight: Weight,
    /// Largest first; shares of the weight whose cloud is known.
    pub rows: Vec<CloudRow>,
    /// Share per category (hyperscaler, gpu_cloud, hosting, other) of the
    /// weight whose cloud is known.
    pub by_category: BTreeMap<String, f64>,
    /// Hyperscalers' share of the weight whose cloud is known.
    pub hyperscaler_share: KnownShare,
    /// Share of the weight whose cloud is known.
    pub coverage: f64,
    /// Share of the weight with no known cloud (1 − coverage).
    pub unknown_share: f64,
    /// Share of the weight in data centers, of the weight whose location
    /// type (data center or not) is known.
    pub datacenter_share: KnownShare,
}

pub fn cloud_exposure(
    s: &Snapshot,
    clouds: &[Option<CloudOf>],
    totals: &[Vector],
    w: Weight,
) -> CloudExposure {
    let wi = w.index();
    let total = crate::metrics::sum::sum(totals.iter().map(|v| v[wi]));
    let mut rows: BTreeMap<String, CloudRow> = BTreeMap::new();
    let mut known = 0.0;
    for (c, v) in clouds.iter().zip(totals) {
        let Some(c) = c else { continue };
        known += v[wi];
        let row = slot(&mut rows, &c.name, || CloudRow {
            cloud: c.name.clone(),
            category: c.category,
            weight: 0.0,
            share: 0.0,
            providers_declared: 0,
            providers_inferred_from_asn: 0,
        });
        row.weight += v[wi];
        match c.attribution {
            Attribution::Declared => row.providers_declared += 1,
            Attribution::InferredFromAsn => row.providers_inferred_from_asn += 1,
        }
    }
    let share = |x: f64| if known > 0.0 { x / known } else { 0.0 };
    let mut rows: Vec<CloudRow> = rows.into_values().collect();
    let mut by_category = BTreeMap::new();
    let mut hyperscaler = 0.0;
    for r in rows.iter_mut() {
        r.share = share(r.weight);
        if r.category == Category::Hyperscaler {
            hyperscaler += r.weight;
        }
        *by_category
            .entry(crate::variant_name(&r.category))
            .or_insert(0.0) += r.share;
    }
    rows.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.cloud.cmp(&b.cloud))
    });
    let (mut dc, mut dc_known) = (0.0, 0.0);
    for (p, v) in s.providers.iter().zip(totals) {
        if let Some(in_dc) = p.in_datacenter {
            dc_known += v[wi];
            if in_dc {
                dc += v[wi];
            }
        }
    }
    let coverage = if total > 0.0 { known / total } else { 0.0 };
    CloudExposure {
        weight: w,
        rows,
        by_category,
        hyperscaler_share: KnownShare::of(hyperscaler, known, total),
        coverage,
        unknown_share: if total > 0.0 { 1.0 - coverage } else { 0.0 },
        datacenter_share: KnownShare::of(dc, dc_known, total),
    }
}

/// Weight in one place (country or region).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceRow {
    pub place: String,
    pub name: Option<String>,
    pub providers: u64,
    pub weight: f64,
    /// Share of the weight whose place is known.
    pub share: f64,
}

/// Geographic exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geography {
    pub weight: Weight,
    /// Largest first; shares of the weight whose country is known.
    pub countries: Vec<PlaceRow>,
    /// Largest first; shares of the weight whose region is known.
    pub regions: Vec<PlaceRow>,
    /// Share of the weight whose country is known.
    pub country_coverage: f64,
    /// Share of the weight whose region is known.
    pub region_coverage: f64,
    /// The largest country's share of the weight whose country is known.
    pub largest_country_share: KnownShare,
}

fn places(rows: &Rows, w: Weight) -> (Vec<PlaceRow>, f64, f64) {
    let wi = w.index();
    let pi = Weight::Providers.index();
    let total: f64 = crate::metrics::sum::sum(rows.iter().map(|r| r.1[wi]));
    let known: f64 =
        crate::metrics::sum::sum(rows.iter().filter(|r| r.0.is_some()).map(|r| r.1[wi]));
    let share = |x: f64| if known > 0.0 { x / known } else { 0.0 };
    let mut out: Vec<PlaceRow> = rows
        .iter()
        .filter_map(|(k, v, name)| {
            Some(PlaceRow {
                place: k.clone()?,
                name: name.clone(),
                providers: v[pi] as u64,
                weight: v[wi],
                share: share(v[wi]),
            })
        })
        .filter(|r| r.weight > 0.0 || r.providers > 0)
        .collect();
    out.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.place.cmp(&b.place))
    });
    (out, known, total)
}

pub fn geography(countries: &Rows, regions: &Rows, w: Weight) -> Geography {
    let (countries, known, total) = places(countries, w);
    let (regions, region_known, _) = places(regions, w);
    let coverage = |k: f64| if total > 0.0 { k / total } else { 0.0 };
    Geography {
        weight: w,
        largest_country_share: KnownShare::of(
            countries.first().map_or(0.0, |c| c.weight),
            known,
            total,
        ),
        countries,
        regions,
        country_coverage: coverage(known),
        region_coverage: coverage(region_known),
    }
}

/// Uptime variance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UptimeSummary {
    /// Windows the uptimes cover, as the sources state them.
    pub windows: Vec<String>,
    /// One value per provider with a known uptime.
    pub providers: Dispersion,
    /// Each provider's uptime counted once per GPU.
    pub gpu_weighted: Option<Dispersion>,
    /// Share of providers whose uptime is known.
    pub coverage: f64,
    /// Share of the primary weight held by providers whose uptime is known.
    pub weight_coverage: f64,
    /// Coverage (of providers) below [`LOW_COVERAGE`].
    pub low_coverage: bool,
    pub online_known: usize,
    pub online: usize,
    /// Providers per uptime decile: [0, 0.1), …, [0.9, 1.0].
    pub histogram: [usize; 10],
}

/// Uptime dispersion, or `None` when no provider's uptime is known.
/// `weights` are each provider's weights ([`super::provider_vector`]), in
/// provider order.
pub fn uptime(s: &Snapshot, primary: Weight, weights: &[Vector]) -> Option<UptimeSummary> {
    let with: Vec<_> = s
        .providers
        .iter()
        .zip(weights)
        .filter_map(|(p, w)| p.uptime.as_ref().map(|u| (p, u, w[primary.index()])))
        .collect();
    let values: Vec<f64> = with.iter().map(|(_, u, _)| u.value).collect();
    let gpus: Vec<f64> = with.iter().map(|(p, _, _)| p.gpu_count() as f64).collect();
    // Distinct windows first: a network has a handful, and a String per
    // provider cost half a million allocations. Neighbours mostly share
    // theirs, so a repeat of the last one skips the tree.
    let mut distinct: BTreeSet<&str> = BTreeSet::new();
    let mut last = None;
    for (_, u, _) in &with {
        let window = u.window.as_str();
        if last != Some(window) {
            distinct.insert(window);
            last = Some(window);
        }
    }
    let windows: Vec<String> = distinct.into_iter().map(str::to_owned).collect();
    let total = crate::metrics::sum::sum(weights.iter().map(|w| w[primary.index()]));
    let known = crate::metrics::sum::sum(with.iter().map(|(_, _, w)| *w));
    let coverage = with.len() as f64 / s.providers.len().max(1) as f64;
    // Two sorts of half a million values: side by side.
    let (providers, gpu_weighted) = rayon::join(
        || dispersion(&values),
        || weighted_dispersion(&values, &gpus),
    );
    Some(UptimeSummary {
        windows,
        providers: providers?,
        gpu_weighted,
        coverage,
        weight_coverage: if total > 0.0 { known / total } else { 0.0 },
        low_coverage: coverage < LOW_COVERAGE,
        online_known: s.providers.iter().filter(|p| p.online.is_some()).count(),
        online: s
            .providers
            .iter()
            .filter(|p| p.online == Some(true))
            .count(),
        histogram: values.iter().fold([0; 10], |mut h, &v| {
            h[((v * 10.0) as usize).min(9)] += 1;
            h
        }),
    })
}

/// Dispersion of asking prices for one GPU model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceDispersion {
    pub gpu_model: String,
    pub currency: String,
    /// One price per provider: the GPU-weighted mean of its asks for the
    /// model (per GPU-hour).
    pub per_gpu_hour: Dispersion,
    /// GPUs of this model on providers that state a price for it.
    pub gpus_priced: u64,
    /// Share of this model's GPUs that have a price (`None` for a price
    /// stated for a model the provider lists no GPUs of).
    pub coverage: Option<f64>,
}

pub fn pricing(s: &Snapshot) -> Vec<PriceDispersion> {
    // (model, currency) → one price per provider, and GPUs priced.
    // model → currency → (one price per provider, GPUs priced)
    let mut by_model: BTreeMap<String, BTreeMap<String, (Vec<f64>, u64)>> = BTreeMap::new();
    let mut gpus_of: BTreeMap<String, u64> = BTreeMap::new();
    for p in &s.providers {
        let mut models: BTreeSet<Option<&str>> = BTreeSet::new();
        for g in &p.gpus {
            let name = g.model.as_deref().unwrap_or("(model unknown)");
            *slot(&mut gpus_of, name, Default::default) += g.count;
            models.insert(g.model.as_deref());
        }
        models.extend(
            p.prices
                .iter()
                .filter_map(|pr| pr.gpu_model.as_deref().map(Some)),
        );
        if p.gpus.is_empty() && p.prices.iter().any(|pr| pr.gpu_model.is_none()) {
            models.insert(None);
        }
        for model in models {
            let Some(ask) = p.ask_for(model) else {
                continue;
            };
            let (price, currency) = (ask.per_gpu_hour, ask.currency);
            let name = model.unwrap_or(if p.gpus.is_empty() {
                "(all models)"
            } else {
                "(model unknown)"
            });
            let listed: u64 = p
                .gpus
                .iter()
                .filter(|g| g.model.as_deref().unwrap_or("(model unknown)") == name)
                .map(|g| g.count)
                .sum();
            // Asks that state their GPUs price only those.
            let priced = ask.gpus.map_or(listed, |k| k.min(listed));
            let e = slot(
                slot(&mut by_model, name, Default::default),
                currency,
                Default::default,
            );
            e.0.push(price);
            e.1 = e.1.saturating_add(priced);
        }
    }
    by_model
        .into_iter()
        .flat_map(|(model, currencies)| {
            currencies
                .into_iter()
                .map(move |(currency, v)| ((model.clone(), currency), v))
        })
        .filter_map(|((gpu_model, currency), (v, priced))| {
            let all = gpus_of.get(&gpu_model).copied().unwrap_or(0);
            Some(PriceDispersion {
                per_gpu_hour: dispersion(&v)?,
                coverage: (all > 0).then(|| priced as f64 / all as f64),
                gpus_priced: priced,
                gpu_model,
                currency,
            })
        })
        .collect()
}

/// A validator outside the active set: listed, holding no voting power.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcludedProvider {
    pub id: String,
    pub name: Option<String>,
    /// Status as the source states it (`BOND_STATUS_UNBONDED`, jailed, …).
    pub status: Option<String>,
    pub stake: Option<f64>,
}

/// Stake and validator-set facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StakeSummary {
    pub unit: Option<String>,
    pub providers_with_stake: usize,
    /// Providers whose stake counts (in the active set).
    pub active_providers: usize,
    /// Providers explicitly outside the active set (jailed, unbonding, unbonded).
    pub excluded_providers: usize,
    /// Stake they hold, which does not count as voting power.
    pub excluded_stake: f64,
    /// Stake that counts.
    pub voting_stake: f64,
    /// The excluded providers, largest stake first (ties by id): excluded
    /// from every voting-power metric (entities, shares, HHI, Gini,
    /// entropy, Lorenz curve), listed here.
    pub excluded: Vec<ExcludedProvider>,
}

pub fn stake(s: &Snapshot) -> Option<StakeSummary> {
    let with: Vec<_> = s.providers.iter().filter(|p| p.stake.is_some()).collect();
    let outside: Vec<_> = s
        .providers
        .iter()
        .filter(|p| p.active_set == Some(false))
        .collect();
    if with.is_empty() && outside.is_empty() {
        return None;
    }
    let mut excluded: Vec<ExcludedProvider> = outside
        .iter()
        .map(|p| ExcludedProvider {
            id: p.id.to_string(),
            name: p.name.as_deref().map(String::from),
            status: p.status.as_deref().map(String::from),
            stake: p.stake,
        })
        .collect();
    excluded.sort_by(|a, b| {
        b.stake
            .unwrap_or(0.0)
            .total_cmp(&a.stake.unwrap_or(0.0))
            .then_with(|| a.id.cmp(&b.id))
    });
    Some(StakeSummary {
        unit: s.stake_unit.clone(),
        providers_with_stake: with.len(),
        active_providers: with.iter().filter(|p| p.voting_stake().is_some()).count(),
        excluded_providers: outside.len(),
        excluded_stake: crate::metrics::sum::sum(outside.iter().filter_map(|p| p.stake)),
        voting_stake: crate::metrics::sum::sum(with.iter().filter_map(|p| p.voting_stake())),
        excluded,
    })
}

/// How many providers have one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub field: &'static str,
    pub known: usize,
    pub share: f64,
}

pub fn coverage(s: &Snapshot, clouds: &[Option<CloudOf>]) -> Vec<Coverage> {
    use crate::model::Provider;
    type Check = fn(&Provider) -> bool;
    let checks: [(&str, Check); 20] = [
        ("operator_key", |p| !p.operator_keys.is_empty()),
        ("name", |p| p.name.is_some()),
        ("country", |p| p.country.is_some()),
        ("region", |p| p.region.is_some()),
        ("city", |p| p.more.city.is_some()),
        ("asn", |p| p.asn.is_some()),
        ("cloud_declared", |p| p.cloud.is_some()),
        ("datacenter", |p| p.datacenter.is_some()),
        ("in_datacenter", |p| p.in_datacenter.is_some()),
        ("hostname", |p| p.more.hostname.is_some()),
        ("ip", |p| p.ip.is_some()),
        ("gpus", |p| p.gpu_count() > 0),
        ("gpu_model", |p| p.gpus.iter().any(|g| g.model.is_some())),
        ("gpu_memory", |p| {
            p.gpus.iter().any(|g| g.memory_gb.is_some())
        }),
        ("uptime", |p| p.uptime.is_some()),
        ("online", |p| p.online.is_some()),
        ("price", |p| !p.prices.is_empty()),
        ("stake", |p| p.stake.is_some()),
        ("emission", |p| p.emission.is_some()),
        ("cpu_memory_storage", |p| {
            p.more.cpu_cores.is_some() || p.more.memory_gb.is_some() || p.more.storage_gb.is_some()
        }),
    ];
    let n = s.providers.len();
    let share = |k: usize| if n > 0 { k as f64 / n as f64 } else { 0.0 };
    // One pass over the providers for all fields: a provider is read from
    // memory once, not once per field.
    let mut counts = [0usize; 20];
    for p in &s.providers {
        for (count, (_, check)) in counts.iter_mut().zip(&checks) {
            *count += usize::from(check(p));
        }
    }
    let mut out: Vec<Coverage> = checks
        .iter()
        .zip(counts)
        .map(|((field, _), known)| Coverage {
            field,
            known,
            share: share(known),
        })
        .collect();
    let resolved = clouds.iter().filter(|c| c.is_some()).count();
    out.insert(
        7,
        Coverage {
            field: "cloud_resolved",
            known: resolved,
            share: share(resolved),
        },
    );
    out
}
