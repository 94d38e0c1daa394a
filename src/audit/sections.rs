//! The disclosure block of an audit: headline, hardware, cloud, geography,
//! uptime, prices, stake and field coverage.

use super::cloud::{Attribution, Category, CloudOf};
use super::{Cell, Dimension, Rows, ShareRow, Vector, Weight, find_cell};
use crate::metrics::dispersion::{Dispersion, dispersion, weighted_dispersion};
use crate::model::Snapshot;
use serde::Serialize;
use std::collections::BTreeMap;

/// The weight headline figures use: GPUs where the data has them, else
/// stake, else emission (rewards), else provider count.
pub fn primary_weight(cells: &[Cell]) -> Weight {
    [Weight::Gpus, Weight::Stake, Weight::Emission]
        .into_iter()
        .find(|w| find_cell(cells, Dimension::Provider, *w).is_some())
        .unwrap_or(Weight::Providers)
}

/// Headline figures of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeadlineEntry {
    pub entities: usize,
    pub nakamoto_coefficient: Option<usize>,
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

/// The seed's headline: supplier concentration at provider and operator level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    pub primary_weight: Weight,
    pub provider: Option<HeadlineEntry>,
    pub operator: Option<HeadlineEntry>,
    pub country: Option<HeadlineEntry>,
    pub cloud: Option<HeadlineEntry>,
    /// Share of GPUs made by Nvidia (of all GPUs, unknown vendor included).
    pub nvidia_gpu_share: Option<f64>,
    /// One sentence for humans.
    pub summary: String,
}

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
fn count(n: Option<usize>, noun: &str) -> String {
    match n {
        Some(1) => format!("1 {noun}"),
        Some(n) => format!("{n} {noun}s"),
        None => format!("n/a {noun}s"),
    }
}

pub fn headline(cells: &[Cell], w: Weight, snapshot: &Snapshot) -> Headline {
    let provider = entry(cells, Dimension::Provider, w);
    let operator = entry(cells, Dimension::Operator, w);
    let nvidia_gpu_share = hardware(snapshot).map(|h| h.nvidia.gpu_share);
    let nc = |e: &Option<HeadlineEntry>, noun: &str| {
        count(e.as_ref().and_then(|e| e.nakamoto_coefficient), noun)
    };
    let mut summary = format!(
        "Nakamoto coefficient by {}: {}, {}",
        w.name(),
        nc(&provider, "provider"),
        nc(&operator, "operator")
    );
    if let Some(b) = operator
        .as_ref()
        .and_then(|o| o.bounds.as_ref())
        .filter(|b| b.unlinked_share > 0.0)
    {
        summary.push_str(&format!(
            " ({} if the {} held by {} unlinked providers were one operator)",
            count(b.worst.nakamoto_coefficient, "operator"),
            crate::report::pct(b.unlinked_share),
            b.unlinked_providers
        ));
    }
    if let Some(share) = operator.as_ref().and_then(|o| o.max_share) {
        summary.push_str(&format!(
            "; the largest operator holds {:.1}%",
            share * 100.0
        ));
    }
    if let Some(n) = nvidia_gpu_share {
        summary.push_str(&format!("; Nvidia makes {:.1}% of GPUs", n * 100.0));
    }
    Headline {
        primary_weight: w,
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
    pub gpu_share: f64,
    pub memory_gb: f64,
    pub memory_share: f64,
}

/// GPUs of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRow {
    pub model: String,
    pub vendor: Option<String>,
    pub gpus: u64,
    pub gpu_share: f64,
    pub memory_gb: f64,
    /// False when the model is not in the bundled catalogue (kept, flagged).
    pub known: bool,
}

/// Dependency on one vendor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VendorDependency {
    pub gpu_share: f64,
    pub memory_share: f64,
}

/// Hardware distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hardware {
    pub gpus: u64,
    pub gpu_memory_gb: f64,
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
    /// Providers that declare GPU models without counts.
    pub providers_declaring_models_only: usize,
}

pub fn hardware(s: &Snapshot) -> Option<Hardware> {
    let mut vendors: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    let mut models: BTreeMap<String, (Option<String>, u64, f64, bool)> = BTreeMap::new();
    let (mut gpus, mut memory, mut unknown_vendor, mut unknown_model, mut with_tflops) =
        (0, 0.0, 0, 0, 0);
    let mut unrecognised = Vec::new();
    for g in s.providers.iter().flat_map(|p| &p.gpus) {
        let mem = g.count as f64 * g.memory_gb.unwrap_or(0.0);
        // Saturating: claimed counts can be overflow sentinels (2^64 - 1).
        gpus = u64::saturating_add(gpus, g.count);
        memory += mem;
        if g.tflops_fp16.is_some() {
            with_tflops = u64::saturating_add(with_tflops, g.count);
        }
        match &g.vendor {
            Some(v) => {
                let e = vendors.entry(v.clone()).or_default();
                e.0 = e.0.saturating_add(g.count);
                e.1 += mem;
            }
            None => unknown_vendor = u64::saturating_add(unknown_vendor, g.count),
        }
        match &g.model {
            Some(m) => {
                let e =
                    models
                        .entry(m.clone())
                        .or_insert((g.vendor.clone(), 0, 0.0, g.known_model));
                e.1 = e.1.saturating_add(g.count);
                e.2 += mem;
                if !g.known_model {
                    unrecognised.extend(g.raw_model.clone());
                }
            }
            None => unknown_model = u64::saturating_add(unknown_model, g.count),
        }
    }
    if gpus == 0 {
        return None;
    }
    let share = |x: f64, total: f64| if total > 0.0 { x / total } else { 0.0 };
    let mut by_vendor: Vec<VendorRow> = vendors
        .into_iter()
        .map(|(vendor, (n, mem))| VendorRow {
            vendor,
            gpus: n,
            gpu_share: share(n as f64, gpus as f64),
            memory_gb: mem,
            memory_share: share(mem, memory),
        })
        .collect();
    by_vendor.sort_by(|a, b| b.gpus.cmp(&a.gpus).then_with(|| a.vendor.cmp(&b.vendor)));
    let nvidia = by_vendor.iter().find(|v| v.vendor == "nvidia");
    let nvidia = VendorDependency {
        gpu_share: nvidia.map_or(0.0, |v| v.gpu_share),
        memory_share: nvidia.map_or(0.0, |v| v.memory_share),
    };
    let mut by_model: Vec<ModelRow> = models
        .into_iter()
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
    Some(Hardware {
        gpus,
        gpu_memory_gb: memory,
        providers_with_gpus: s.providers.iter().filter(|p| p.gpu_count() > 0).count(),
        by_vendor,
        by_model,
        nvidia,
        unknown_vendor_gpus: unknown_vendor,
        unknown_model_gpus: unknown_model,
        unrecognised_models: unrecognised,
        fp16_coverage: share(with_tflops as f64, gpus as f64),
        providers_declaring_models_only: s
            .providers
            .iter()
            .filter(|p| p.gpus.is_empty() && !p.declared_gpu_models.is_empty())
            .count(),
    })
}

/// Exposure to one cloud or hosting company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudRow {
    pub cloud: String,
    pub category: Category,
    pub weight: f64,
    /// Share of all weight (unattributed included).
    pub share: f64,
    pub providers_declared: usize,
    pub providers_inferred_from_asn: usize,
}

/// Cloud and hosting dependency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudExposure {
    pub weight: Weight,
    pub rows: Vec<CloudRow>,
    /// Share per category (hyperscaler, gpu_cloud, hosting, other).
    pub by_category: BTreeMap<String, f64>,
    /// Share of weight with no known cloud.
    pub unknown_share: f64,
}

pub fn cloud_exposure(clouds: &[Option<CloudOf>], totals: &[Vector], w: Weight) -> CloudExposure {
    let wi = w.index();
    let total: f64 = totals.iter().map(|v| v[wi]).sum();
    let mut rows: BTreeMap<String, CloudRow> = BTreeMap::new();
    let mut unknown = 0.0;
    for (c, v) in clouds.iter().zip(totals) {
        let Some(c) = c else {
            unknown += v[wi];
            continue;
        };
        let row = rows.entry(c.name.clone()).or_insert_with(|| CloudRow {
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
    let share = |x: f64| if total > 0.0 { x / total } else { 0.0 };
    let mut rows: Vec<CloudRow> = rows.into_values().collect();
    let mut by_category = BTreeMap::new();
    for r in rows.iter_mut() {
        r.share = share(r.weight);
        *by_category
            .entry(crate::variant_name(&r.category))
            .or_insert(0.0) += r.share;
    }
    rows.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.cloud.cmp(&b.cloud))
    });
    CloudExposure {
        weight: w,
        rows,
        by_category,
        unknown_share: share(unknown),
    }
}

/// Weight in one place (country or region).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceRow {
    pub place: String,
    pub name: Option<String>,
    pub providers: u64,
    pub weight: f64,
    /// Share of all weight (unattributed included).
    pub share: f64,
}

/// Geographic exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geography {
    pub weight: Weight,
    pub countries: Vec<PlaceRow>,
    pub regions: Vec<PlaceRow>,
    pub country_unknown_share: f64,
    pub region_unknown_share: f64,
}

fn places(rows: &Rows, w: Weight) -> (Vec<PlaceRow>, f64) {
    let wi = w.index();
    let pi = Weight::Providers.index();
    let total: f64 = rows.iter().map(|r| r.1[wi]).sum();
    let share = |x: f64| if total > 0.0 { x / total } else { 0.0 };
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
        .collect();
    out.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.place.cmp(&b.place))
    });
    let unknown = rows.iter().filter(|r| r.0.is_none()).map(|r| r.1[wi]).sum();
    (out, share(unknown))
}

pub fn geography(countries: &Rows, regions: &Rows, w: Weight) -> Geography {
    let (countries, country_unknown_share) = places(countries, w);
    let (regions, region_unknown_share) = places(regions, w);
    Geography {
        weight: w,
        countries,
        regions,
        country_unknown_share,
        region_unknown_share,
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
    pub online_known: usize,
    pub online: usize,
    /// Providers per uptime decile: [0, 0.1), …, [0.9, 1.0].
    pub histogram: [usize; 10],
}

pub fn uptime(s: &Snapshot) -> Option<UptimeSummary> {
    let with: Vec<_> = s
        .providers
        .iter()
        .filter_map(|p| p.uptime.as_ref().map(|u| (p, u)))
        .collect();
    let values: Vec<f64> = with.iter().map(|(_, u)| u.value).collect();
    let gpus: Vec<f64> = with.iter().map(|(p, _)| p.gpu_count() as f64).collect();
    let mut windows: Vec<String> = with.iter().map(|(_, u)| u.window.clone()).collect();
    windows.sort();
    windows.dedup();
    Some(UptimeSummary {
        windows,
        providers: dispersion(&values)?,
        gpu_weighted: weighted_dispersion(&values, &gpus),
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
    /// One price per provider (per GPU-hour).
    pub per_gpu_hour: Dispersion,
}

pub fn pricing(s: &Snapshot) -> Vec<PriceDispersion> {
    let mut by_model: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for p in &s.providers {
        for price in &p.prices {
            let model = price
                .gpu_model
                .clone()
                .unwrap_or_else(|| "(all models)".into());
            by_model
                .entry((model, price.currency.clone()))
                .or_default()
                .push(price.per_gpu_hour);
        }
    }
    by_model
        .into_iter()
        .filter_map(|((gpu_model, currency), v)| {
            Some(PriceDispersion {
                gpu_model,
                currency,
                per_gpu_hour: dispersion(&v)?,
            })
        })
        .collect()
}

/// Stake and validator-set facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StakeSummary {
    pub unit: Option<String>,
    pub providers_with_stake: usize,
    /// Providers explicitly outside the active set (jailed, unbonding, unbonded).
    pub excluded_providers: usize,
    /// Stake they hold, which does not count as voting power.
    pub excluded_stake: f64,
    /// Stake that counts.
    pub voting_stake: f64,
}

pub fn stake(s: &Snapshot) -> Option<StakeSummary> {
    let with: Vec<_> = s.providers.iter().filter(|p| p.stake.is_some()).collect();
    if with.is_empty() {
        return None;
    }
    let excluded: Vec<_> = with
        .iter()
        .filter(|p| p.active_set == Some(false))
        .collect();
    Some(StakeSummary {
        unit: s.stake_unit.clone(),
        providers_with_stake: with.len(),
        excluded_providers: excluded.len(),
        excluded_stake: crate::metrics::sum::sum(excluded.iter().filter_map(|p| p.stake)),
        voting_stake: crate::metrics::sum::sum(with.iter().filter_map(|p| p.voting_stake())),
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
    let checks: [(&str, Check); 19] = [
        ("operator_key", |p| !p.operator_keys.is_empty()),
        ("name", |p| p.name.is_some()),
        ("country", |p| p.country.is_some()),
        ("region", |p| p.region.is_some()),
        ("city", |p| p.city.is_some()),
        ("asn", |p| p.asn.is_some()),
        ("cloud_declared", |p| p.cloud.is_some()),
        ("datacenter", |p| p.datacenter.is_some()),
        ("hostname", |p| p.hostname.is_some()),
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
            p.cpu_cores.is_some() || p.memory_gb.is_some() || p.storage_gb.is_some()
        }),
    ];
    let n = s.providers.len();
    let share = |k: usize| if n > 0 { k as f64 / n as f64 } else { 0.0 };
    let mut out: Vec<Coverage> = checks
        .iter()
        .map(|(field, check)| {
            let known = s.providers.iter().filter(|p| check(p)).count();
            Coverage {
                field,
                known,
                share: share(known),
            }
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
