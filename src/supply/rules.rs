//! The rules: one small function per check, each returning its findings
//! with the subject's GPUs as `excluded_gpus` (the caller zeroes them for
//! findings below severity `error`).

use super::profile::CheckParams;
use super::{Finding, Located, Rule, Setting};
use crate::cloud::{self, Category};
use crate::model::{Provider, Snapshot, Text, gpu};
use std::collections::{BTreeMap, HashMap};

/// What every rule reads.
pub struct Context<'a> {
    pub snapshot: &'a Snapshot,
    pub params: &'a CheckParams,
    pub geo: Option<&'a Located>,
}

/// A rule that looks at one provider at a time.
pub type ProviderRule = fn(&Context<'_>, &Provider) -> Vec<Finding>;

/// The per-provider check of `rule`, when it is one: such rules can share
/// one pass over the providers.
pub fn per_provider_rule(rule: Rule) -> Option<ProviderRule> {
    Some(match rule {
        Rule::NegativeCapacity => negative_capacity,
        Rule::GpusPerProvider => gpus_per_provider,
        Rule::GpusPerNode => gpus_per_node,
        Rule::DuplicateListing => duplicate_listing,
        Rule::LocationMismatch => location_mismatch,
        Rule::CloudAsnMismatch => cloud_asn_mismatch,
        Rule::LeasedExceedsCapacity => leased_exceeds_capacity,
        Rule::UnknownGpuModel => unknown_models,
        Rule::SentinelCount => sentinel_counts,
        Rule::MemoryMismatch
        | Rule::ZeroCapacityOnline
        | Rule::PriceOutlier
        | Rule::DuplicateHost
        | Rule::DuplicateIp
        | Rule::DuplicateFingerprint
        | Rule::StaleOnline
        | Rule::VendorMismatch
        | Rule::ShareSum => return None,
    })
}

/// Providers per chunk of [`per_provider_findings`]: a chunk's providers
/// stay in cache while every rule reads them.
const CHUNK: usize = 1024;

/// The findings of several per-provider rules, one list per rule, in one
/// pass over the providers: each chunk of providers goes through every
/// rule before the next chunk is read (chunks on every core, findings in
/// provider order).
pub fn per_provider_findings(c: &Context<'_>, checks: &[ProviderRule]) -> Vec<Vec<Finding>> {
    use rayon::prelude::*;
    let per_chunk: Vec<Vec<Vec<Finding>>> = c
        .snapshot
        .providers
        .par_chunks(CHUNK)
        .map(|chunk| {
            checks
                .iter()
                .map(|check| chunk.iter().flat_map(|p| check(c, p)).collect())
                .collect()
        })
        .collect();
    let mut found = vec![Vec::new(); checks.len()];
    for chunk in per_chunk {
        for (all, more) in found.iter_mut().zip(chunk) {
            all.extend(more);
        }
    }
    found
}

/// The findings of one rule.
pub fn run(rule: Rule, c: &Context<'_>) -> Vec<Finding> {
    if let Some(check) = per_provider_rule(rule) {
        return per_provider_findings(c, &[check]).concat();
    }
    match rule {
        Rule::MemoryMismatch => memory_mismatches(c),
        Rule::ZeroCapacityOnline => zero_capacity_online(c),
        Rule::PriceOutlier => price_outliers(c),
        Rule::DuplicateHost => duplicates(c, Rule::DuplicateHost, "hostname", |p| {
            p.more
                .hostname
                .as_deref()
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
        }),
        Rule::DuplicateIp => duplicates(c, Rule::DuplicateIp, "ip", |p| {
            p.ip.as_deref()
                .and_then(crate::entities::keys::public_ip)
                .map(|ip| ip.to_string())
        }),
        Rule::DuplicateFingerprint => {
            duplicates(c, Rule::DuplicateFingerprint, "fingerprint", |p| {
                p.more
                    .fingerprint
                    .as_deref()
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
            })
        }
        Rule::StaleOnline => stale_online(c),
        Rule::VendorMismatch => vendor_mismatches(c),
        Rule::ShareSum => share_sum(c),
        // The per-provider rules, answered above.
        _ => Vec::new(),
    }
}

/// A finding about a whole provider (`group: None`) or one GPU group.
fn finding(
    rule: Rule,
    p: &Provider,
    group: Option<usize>,
    field: String,
    claimed: String,
    reason: String,
) -> Finding {
    let excluded_gpus = match group {
        Some(i) => p.gpus[i].count,
        None => p.gpu_count(),
    };
    Finding {
        rule,
        severity: Setting::Error,
        provider: p.id.to_string(),
        gpu_group: group,
        field,
        claimed,
        reason,
        excluded_gpus,
    }
}

/// How a count relates to the nearest overflow boundary, if it is within
/// `margin` of 2^31, 2^32, 2^63 or 2^64.
pub fn sentinel(count: u64, margin: u64) -> Option<String> {
    for k in [31u32, 32, 63, 64] {
        let bound = 1u128 << k;
        let c = u128::from(count);
        let distance = c.abs_diff(bound);
        if distance > u128::from(margin) {
            continue;
        }
        return Some(match c.cmp(&bound) {
            std::cmp::Ordering::Less if k % 32 == 0 => format!(
                "2^{k} - {distance}: -{distance} stored in an unsigned {k}-bit counter (an underflow)"
            ),
            std::cmp::Ordering::Less => format!(
                "2^{k} - {distance}: the edge of a signed {}-bit integer",
                k + 1
            ),
            std::cmp::Ordering::Equal => format!("exactly 2^{k}: an overflow boundary"),
            std::cmp::Ordering::Greater => {
                format!("2^{k} + {distance}: just past an overflow boundary")
            }
        });
    }
    None
}

fn has_sentinel(p: &Provider, margin: u64) -> bool {
    p.gpus.iter().any(|g| sentinel(g.count, margin).is_some())
        || p.more
            .gpus_leased
            .is_some_and(|l| sentinel(l, margin).is_some())
}

fn sentinel_counts(c: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let margin = c.params.sentinel_margin;
    let mut out = Vec::new();
    for (i, g) in p.gpus.iter().enumerate() {
        if let Some(why) = sentinel(g.count, margin) {
            out.push(finding(
                Rule::SentinelCount,
                p,
                Some(i),
                format!("gpus[{i}].count"),
                g.count.to_string(),
                format!("{} is {why}, not a number of GPUs", g.count),
            ));
        }
    }
    if let Some(l) = p.more.gpus_leased
        && let Some(why) = sentinel(l, margin)
    {
        out.push(finding(
            Rule::SentinelCount,
            p,
            None,
            "gpus_leased".into(),
            l.to_string(),
            format!("{l} leased GPUs is {why}: the provider's inventory reporting is broken"),
        ));
    }
    out
}

fn negative_capacity(_: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let Some(total) = p.more.invalid_gpu_total else {
        return Vec::new();
    };
    vec![finding(
        Rule::NegativeCapacity,
        p,
        None,
        "gpus".into(),
        total.to_string(),
        format!(
            "a GPU capacity of {total} is impossible: the provider's inventory went below zero, so none of its GPUs are counted"
        ),
    )]
}

fn gpus_per_provider(c: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let n = p.gpu_count();
    let max = c.params.max_gpus_per_provider;
    if n <= max || has_sentinel(p, c.params.sentinel_margin) || p.more.nodes.is_some() {
        return Vec::new();
    }
    vec![finding(
        Rule::GpusPerProvider,
        p,
        None,
        "gpus".into(),
        n.to_string(),
        format!("{n} GPUs on one provider of unknown size exceeds the profile's limit of {max}"),
    )]
}

fn gpus_per_node(c: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let nodes = p.more.nodes.or(c.params.providers_are_nodes.then_some(1));
    let Some(nodes) = nodes.filter(|n| *n > 0) else {
        return Vec::new();
    };
    let n = p.gpu_count();
    let max = c.params.max_gpus_per_node;
    if n <= max.saturating_mul(nodes) || has_sentinel(p, c.params.sentinel_margin) {
        return Vec::new();
    }
    let per_node = n as f64 / nodes as f64;
    vec![finding(
        Rule::GpusPerNode,
        p,
        None,
        "gpus".into(),
        format!(
            "{n} GPUs on {nodes} node{}",
            if nodes == 1 { "" } else { "s" }
        ),
        format!(
            "{per_node:.1} GPUs per machine; no server holds more than {max} without declaring a cluster"
        ),
    )]
}

fn memory_mismatches(c: &Context<'_>) -> Vec<Finding> {
    // Catalogue lookups parse the raw name: once per distinct name.
    let mut catalogue: HashMap<&str, Option<Vec<f64>>> = HashMap::new();
    c.snapshot
        .providers
        .iter()
        .flat_map(|p| memory_mismatch(c, p, &mut catalogue))
        .collect()
}

fn memory_mismatch<'a>(
    c: &Context<'_>,
    p: &'a Provider,
    catalogue: &mut HashMap<&'a str, Option<Vec<f64>>>,
) -> Vec<Finding> {
    let tol = c.params.memory_tolerance;
    let mut out = Vec::new();
    for (i, g) in p.gpus.iter().enumerate() {
        let (Some(raw), Some(mem)) = (g.raw_model.as_deref(), g.memory_gb) else {
            continue;
        };
        let known = catalogue
            .entry(raw)
            .or_insert_with(|| gpu::catalogued_memory(raw));
        let Some(variants) = known else {
            continue;
        };
        if variants.iter().any(|v| (mem - v).abs() <= tol * v) {
            continue;
        }
        let listed: Vec<String> = variants.iter().map(|v| format!("{v}")).collect();
        out.push(finding(
            Rule::MemoryMismatch,
            p,
            Some(i),
            format!("gpus[{i}].memory_gb"),
            format!("{mem} GB"),
            format!(
                "the catalogue lists `{raw}` with {} GB per GPU",
                listed.join(" or ")
            ),
        ));
    }
    out
}

fn zero_capacity_online(c: &Context<'_>) -> Vec<Finding> {
    let reports_gpus = c.snapshot.providers.iter().any(|p| p.gpu_count() > 0);
    if !c.params.expects_gpus || !reports_gpus {
        return Vec::new();
    }
    c.snapshot
        .providers
        .iter()
        .filter(|p| p.online == Some(true) && p.gpu_count() == 0)
        .filter(|p| p.more.invalid_gpu_total.is_none()) // negative-capacity says it
        .map(|p| {
            finding(
                Rule::ZeroCapacityOnline,
                p,
                None,
                "gpus".into(),
                "0".into(),
                "online, yet offers no GPUs on a network whose other providers report GPU capacity"
                    .into(),
            )
        })
        .collect()
}

/// The median of `values` (at least one), found by selection rather than
/// a full sort; `values` is left reordered.
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (lower, mid, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        *mid
    } else {
        let below = lower.iter().copied().max_by(f64::total_cmp);
        (below.unwrap_or(*mid) + *mid) / 2.0
    }
}

/// Modified z-scores (Iglewicz and Hoaglin) of `x`: 0.6745 (x - median) /
/// MAD, or (x - median) / (1.2533 mean absolute deviation) when the MAD is
/// 0; `None` when every value is equal.
pub fn robust_z(x: &[f64]) -> Option<Vec<f64>> {
    if x.is_empty() {
        return None;
    }
    let med = median(&mut x.to_vec());
    let mut dev: Vec<f64> = x.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut dev);
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else {
        // Summed in ascending order, as the published figures always were.
        dev.sort_by(f64::total_cmp);
        1.2533 * dev.iter().sum::<f64>() / dev.len() as f64
    };
    (scale > 0.0).then(|| x.iter().map(|v| (v - med) / scale).collect())
}

/// (provider index, price index, price) of one price, grouped by (model, currency).
type PriceAt = (usize, usize, f64);

fn price_outliers(c: &Context<'_>) -> Vec<Finding> {
    let mut groups: BTreeMap<(&str, &str), Vec<PriceAt>> = BTreeMap::new();
    for (pi, p) in c.snapshot.providers.iter().enumerate() {
        for (j, price) in p.prices.iter().enumerate() {
            if let Some(model) = price
                .gpu_model
                .as_deref()
                .filter(|_| price.per_gpu_hour > 0.0)
            {
                groups
                    .entry((model, price.currency.as_str()))
                    .or_default()
                    .push((pi, j, price.per_gpu_hour));
            }
        }
    }
    let mut out = Vec::new();
    for ((model, currency), rows) in groups {
        if rows.len() < c.params.price_min_peers {
            continue;
        }
        let logs: Vec<f64> = rows.iter().map(|r| r.2.ln()).collect();
        let Some(z) = robust_z(&logs) else {
            continue;
        };
        // The median price is only quoted in findings: found once, when
        // the first outlier needs it.
        let mut med = None;
        for ((pi, j, price), z) in rows.iter().zip(z) {
            if z.abs() <= c.params.price_outlier_z {
                continue;
            }
            let med = *med
                .get_or_insert_with(|| median(&mut rows.iter().map(|r| r.2).collect::<Vec<_>>()));
            let p = &c.snapshot.providers[*pi];
            out.push(finding(
                Rule::PriceOutlier,
                p,
                None,
                format!("prices[{j}].per_gpu_hour"),
                format!("{price} {currency}/GPU-hour"),
                format!(
                    "robust z = {z:+.1} on log price against the median {med:.4} {currency} of {} `{model}` prices",
                    rows.len()
                ),
            ));
        }
    }
    out
}

fn duplicates(
    c: &Context<'_>,
    rule: Rule,
    field: &str,
    key: impl Fn(&Provider) -> Option<String>,
) -> Vec<Finding> {
    let mut by_key: BTreeMap<String, Vec<&Provider>> = BTreeMap::new();
    for p in &c.snapshot.providers {
        if let Some(k) = key(p).filter(|k| !k.is_empty()) {
            by_key.entry(k).or_default().push(p);
        }
    }
    let mut out = Vec::new();
    for (value, mut group) in by_key {
        if group.len() < 2 {
            continue;
        }
        group.sort_by(|a, b| a.id.cmp(&b.id));
        let kept = &group[0].id;
        let control = controllers(&group);
        for p in &group[1..] {
            out.push(finding(
                rule,
                p,
                None,
                field.to_string(),
                value.clone(),
                format!(
                    "{} providers share this {field} ({control}); graded error, only `{kept}` (first by id) would stay",
                    group.len()
                ),
            ));
        }
    }
    out
}

/// Whether providers sharing an address also share a controller key: one
/// operator's machines behind one NAT are ordinary; unrelated accounts
/// behind one address suggest one supply counted several times.
fn controllers(group: &[&Provider]) -> String {
    let common = group[0]
        .operator_keys
        .iter()
        .find(|k| group[1..].iter().all(|p| p.operator_keys.contains(k)));
    match common {
        Some(k) => format!(
            "all under one {} `{}`",
            crate::variant_name(&k.kind).replace('_', " "),
            k.value
        ),
        None if group.iter().all(|p| p.operator_keys.is_empty()) => {
            "no controller keys to compare".into()
        }
        None => "with no controller key in common".into(),
    }
}

fn duplicate_listing(_: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let mut out = Vec::new();
    // Same-model groups at different prices are distinct offers.
    let one_price = |model: &Option<Text>| {
        let mut prices = p
            .prices
            .iter()
            .filter(|pr| pr.gpu_model == *model)
            .map(|pr| pr.per_gpu_hour.to_bits());
        let first = prices.next();
        prices.all(|x| Some(x) == first)
    };
    for (i, g) in p.gpus.iter().enumerate() {
        let model = g.model.as_deref().unwrap_or("unknown model");
        if g.duplicated > 0 {
            // Rows the source (generic CSV) repeated identically.
            let mut f = finding(
                Rule::DuplicateListing,
                p,
                Some(i),
                format!("gpus[{i}]"),
                format!("{} × {model}", g.count),
                format!(
                    "{} of these GPUs come from rows repeated identically (same model, count and price): one listing counted twice",
                    g.duplicated
                ),
            );
            f.excluded_gpus = g.duplicated;
            out.push(f);
            continue;
        }
        if !one_price(&g.model) {
            continue;
        }
        if let Some(j) = p.gpus[..i].iter().position(|earlier| earlier == g) {
            out.push(finding(
                Rule::DuplicateListing,
                p,
                Some(i),
                format!("gpus[{i}]"),
                format!("{} × {model}", g.count),
                format!("identical in every field to gpus[{j}] of the same provider: one listing counted twice"),
            ));
        }
    }
    out
}

fn location_mismatch(c: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let observed = c
        .geo
        .zip(p.ip.as_deref())
        .and_then(|(g, ip)| Some((ip, g.facts.get(ip)?.country.as_deref()?)));
    let (field, claimed, observed, how) = match observed {
        Some((ip, geo_country)) => {
            let (field, claimed) = match (&p.more.declared_country, &p.country) {
                (Some(d), _) => ("declared_country", d),
                (None, Some(c)) => ("country", c),
                (None, None) => return Vec::new(),
            };
            (
                field,
                claimed,
                geo_country,
                format!("--geoip places IP {ip} in {geo_country}"),
            )
        }
        None => match (&p.more.declared_country, &p.country) {
            (Some(d), Some(ip_country)) => (
                "declared_country",
                d,
                ip_country.as_str(),
                format!(
                    "the data's IP geolocation places the provider in {ip_country}{}",
                    p.region
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
            ),
            _ => return Vec::new(),
        },
    };
    if claimed == observed {
        return Vec::new();
    }
    let declared = match &p.more.declared_region {
        Some(r) => format!("{claimed} ({r})"),
        None => claimed.to_string(),
    };
    vec![finding(
        Rule::LocationMismatch,
        p,
        None,
        field.into(),
        declared,
        how,
    )]
}

fn cloud_asn_mismatch(c: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let geo_asn = || {
        c.geo
            .zip(p.ip.as_deref())
            .and_then(|(g, ip)| g.facts.get(ip)?.asn)
    };
    let Some(asn) = p.asn.or_else(geo_asn) else {
        return Vec::new();
    };
    let Some(owner) = cloud::resolve(None, Some(asn)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(declared) = p.cloud.as_deref()
        && let Some(d) = cloud::resolve(Some(declared), None)
        && d.category != Category::Other
        && d.name != owner.name
    {
        out.push(finding(
            Rule::CloudAsnMismatch,
            p,
            None,
            "cloud".into(),
            declared.to_string(),
            format!("AS{asn} belongs to {}, not {}", owner.name, d.name),
        ));
    }
    // A declared non-data-center location (home, office, …) on a cloud's or
    // host's network: the flag, or an old snapshot's location-type text.
    let named_home = p
        .datacenter
        .as_deref()
        .filter(|dc| crate::model::in_datacenter(dc) == Some(false));
    if p.in_datacenter == Some(false) || named_home.is_some() {
        let (field, claimed) = match named_home {
            Some(dc) => ("datacenter", dc.to_string()),
            None => ("in_datacenter", "false".to_string()),
        };
        out.push(finding(
            Rule::CloudAsnMismatch,
            p,
            None,
            field.into(),
            claimed,
            format!(
                "AS{asn} belongs to {}, a {} network, not a home connection",
                owner.name,
                crate::variant_name(&owner.category)
            ),
        ));
    }
    out
}

fn stale_online(c: &Context<'_>) -> Vec<Finding> {
    fn parse<T: AsRef<str>>(t: &Option<T>) -> Option<i64> {
        t.as_ref()
            .and_then(|t| crate::time::parse_datetime(t.as_ref()))
    }
    let latest_check = c
        .snapshot
        .providers
        .iter()
        .filter_map(|p| parse(&p.more.last_checked))
        .max();
    let reference = parse(&c.snapshot.taken_at).max(latest_check);
    let Some(reference) = reference else {
        return Vec::new();
    };
    let max_age = c.params.max_probe_age_hours;
    let mut out = Vec::new();
    for p in &c.snapshot.providers {
        let Some(seen) = parse(&p.more.last_seen).filter(|_| p.online == Some(true)) else {
            continue;
        };
        let age_h = (reference - seen) as f64 / 3600.0;
        if age_h > max_age {
            out.push(finding(
                Rule::StaleOnline,
                p,
                None,
                "online".into(),
                "true".into(),
                format!(
                    "last seen online {} ({age_h:.0} h before the latest probe time {}), beyond the {max_age} h limit",
                    p.more.last_seen.as_deref().unwrap_or_default(),
                    crate::time::rfc3339(reference)
                ),
            ));
        }
    }
    out
}

fn leased_exceeds_capacity(c: &Context<'_>, p: &Provider) -> Vec<Finding> {
    let (Some(leased), total) = (p.more.gpus_leased, p.gpu_count()) else {
        return Vec::new();
    };
    let broken = has_sentinel(p, c.params.sentinel_margin) || p.more.invalid_gpu_total.is_some();
    if leased <= total || broken {
        return Vec::new();
    }
    vec![finding(
        Rule::LeasedExceedsCapacity,
        p,
        None,
        "gpus_leased".into(),
        leased.to_string(),
        format!("{leased} GPUs leased out of a declared capacity of {total}"),
    )]
}

fn unknown_models(_: &Context<'_>, p: &Provider) -> Vec<Finding> {
    p.gpus
        .iter()
        .enumerate()
        .filter(|(_, g)| g.model.is_some() && !g.known_model)
        .map(|(i, g)| {
            finding(
                Rule::UnknownGpuModel,
                p,
                Some(i),
                format!("gpus[{i}].model"),
                g.raw_model.clone().unwrap_or_default().to_string(),
                format!(
                    "not in the GPU catalogue: counted as `{}` with no memory or FP16 reference",
                    g.model.as_deref().unwrap_or_default()
                ),
            )
        })
        .collect()
}

/// How a vendor is written in a reason: `NVIDIA`, `AMD`, `Intel`, else as is.
fn vendor_name(v: &str) -> String {
    match v {
        "nvidia" => "NVIDIA".into(),
        "amd" => "AMD".into(),
        "intel" => "Intel".into(),
        other => other.to_string(),
    }
}

/// "an AMD model", "an NVIDIA model": the article follows the sound.
fn a_vendor_model(v: &str) -> String {
    let name = vendor_name(v);
    let vowel_sound = name.starts_with(['A', 'E', 'I', 'O', 'a', 'e', 'i', 'o', 'u'])
        || name.starts_with("NVIDIA");
    format!("{} {name} model", if vowel_sound { "an" } else { "a" })
}

/// GPU groups whose declared vendor contradicts the model: the catalogue's
/// vendor, or the brand word of an unknown model's name. Reads the label the
/// source gave (`declared_vendor`, kept by normalization when it differs;
/// else `vendor`, for snapshots written before normalization checked it).
fn vendor_mismatches(c: &Context<'_>) -> Vec<Finding> {
    // A network lists few distinct (model, label) pairs: each is judged once.
    let mut verdicts: rustc_hash::FxHashMap<(&str, &str), Option<(String, gpu::VendorBasis)>> =
        Default::default();
    let mut out = Vec::new();
    for p in &c.snapshot.providers {
        for (i, g) in p.gpus.iter().enumerate() {
            let Some(raw) = g.raw_model.as_deref() else {
                continue;
            };
            let Some(label) = g.declared_vendor.as_deref().or(g.vendor.as_deref()) else {
                continue;
            };
            let verdict = verdicts
                .entry((raw, label))
                .or_insert_with(|| vendor_mismatch(raw, label));
            let Some((model_vendor, basis)) = verdict else {
                continue;
            };
            let how = match basis {
                gpu::VendorBasis::Catalogue => "in the GPU catalogue",
                gpu::VendorBasis::Name => "by the brand in its name",
            };
            let counted = g.vendor.as_deref().unwrap_or("unknown");
            out.push(finding(
                Rule::VendorMismatch,
                p,
                Some(i),
                format!("gpus[{i}].vendor"),
                label.to_string(),
                format!(
                    "`{raw}` is {} ({how}); the data labels it {label}; vendor dependency counts it as {counted}",
                    a_vendor_model(model_vendor)
                ),
            ));
        }
    }
    out
}

/// The model's vendor and how it is known, when `label` names another.
fn vendor_mismatch(raw: &str, label: &str) -> Option<(String, gpu::VendorBasis)> {
    let (model_vendor, basis) = gpu::model_vendor(raw)?;
    let declared = gpu::canonical_vendor(label).unwrap_or_default();
    (!declared.is_empty() && declared != model_vendor).then_some((model_vendor, basis))
}

/// What a snapshot's `stake_unit` says the stakes add up to when they are
/// shares of voting power: 1 for shares or fractions, 100 for percentages;
/// `None` for token amounts and anything else.
pub fn share_scale(stake_unit: Option<&str>) -> Option<f64> {
    let unit = stake_unit?.trim().to_ascii_lowercase();
    let percent = unit == "%" || unit.starts_with("% ") || unit.contains("percent");
    let share = unit == "share"
        || unit == "shares"
        || unit.starts_with("share of")
        || unit.starts_with("fraction");
    if percent {
        Some(100.0)
    } else if share {
        Some(1.0)
    } else {
        None
    }
}

/// Absolute tolerance of `share-sum`, as a fraction of the whole (0.5%):
/// 0.005 for shares, 0.5 points for percentages. Published shares are
/// rounded (Celestia's to 0.001 each), so a few hundred rounded values can
/// miss 1 by a few thousandths without anything being wrong.
pub const SHARE_SUM_TOLERANCE: f64 = 0.005;

/// Order-independent compensated sum (sorted first).
fn exact_sum(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    crate::metrics::sum::sum(values)
}

/// One network-level finding when stakes are shares of voting power and
/// the shares over all listed validators do not sum to the whole.
fn share_sum(c: &Context<'_>) -> Vec<Finding> {
    let s = c.snapshot;
    let Some(scale) = share_scale(s.stake_unit.as_deref()) else {
        return Vec::new();
    };
    let staked: Vec<&Provider> = s.providers.iter().filter(|p| p.stake.is_some()).collect();
    if staked.is_empty() {
        return Vec::new();
    }
    let total = exact_sum(staked.iter().filter_map(|p| p.stake).collect());
    if (total - scale).abs() <= SHARE_SUM_TOLERANCE * scale {
        return Vec::new();
    }
    let active: Vec<f64> = staked
        .iter()
        .filter(|p| p.active_set != Some(false))
        .filter_map(|p| p.stake)
        .collect();
    let (n_all, n_active) = (staked.len(), active.len());
    let active_total = exact_sum(active);
    let percent = scale == 100.0;
    let fmt = |x: f64| {
        if percent {
            format!("{x:.1}")
        } else {
            format!("{x:.3}")
        }
    };
    let (what, whole, tol) = if percent {
        ("voting-power percentages", "100", "0.5 points")
    } else {
        ("voting-power shares", "1", "0.005")
    };
    let plural = |n: usize| if n == 1 { "validator" } else { "validators" };
    let active_clause = if n_active < n_all {
        format!(
            " ({} over the {n_active} in the active set)",
            fmt(active_total)
        )
    } else {
        String::new()
    };
    let divides = if n_active < n_all {
        "metrics divide by the sum of the active set's shares"
    } else {
        "metrics divide by this sum"
    };
    vec![Finding {
        rule: Rule::ShareSum,
        severity: Setting::Error,
        provider: s.network.clone(),
        gpu_group: None,
        field: "providers[].stake".into(),
        claimed: fmt(total),
        reason: format!(
            "{what} sum to {} over {n_all} {}{active_clause}, not {whole} (tolerance {tol}); {divides}",
            fmt(total),
            plural(n_all),
        ),
        excluded_gpus: 0,
    }]
}
