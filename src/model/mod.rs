//! The normalized snapshot of one compute network at one time.
//!
//! Every adapter produces a [`Snapshot`]; every metric and report reads one.
//! Missing facts are `None` (or empty), never invented: the audit reports how
//! many providers lack each field.

pub mod geo;
pub mod gpu;
pub mod json;
mod record;

use serde::{Deserialize, Serialize};

pub use gpu::GpuGroup;

/// Text of a provider: strings of up to 24 bytes (most ids, countries,
/// models, currencies, data centers) are stored inline, without a heap
/// allocation; it derefs to `str` and serializes as a JSON string.
pub type Text = compact_str::CompactString;

/// Marker written into the snapshot's own JSON form so it can be detected.
pub const SNAPSHOT_FORMAT: &str = "rackaudit-snapshot/1";

/// One network at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// Network name, e.g. `bittensor`, `osmosis-1`, `akash`, `vast.ai`.
    pub network: String,
    /// When the data was recorded (RFC 3339), or a chain height, if known.
    pub taken_at: Option<String>,
    /// Where the data came from.
    pub source: Source,
    /// SHA-256 of the input bytes, lowercase hex.
    pub input_sha256: String,
    /// Unit of `stake` values (e.g. `TAO`, `uosmo`, `share`), if any.
    #[serde(default)]
    pub stake_unit: Option<String>,
    /// Unit of `emission` values (e.g. `alpha of subnet 1 per day`), when
    /// the source says; a rate's unit says what it is a rate of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emission_unit: Option<String>,
    /// The bundled network profile the snapshot is audited under, when the
    /// data says (a generic CSV exported from a Cosmos chain keeps `cosmos`);
    /// otherwise chosen by network name and adapter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The providers (nodes, validators, machines) of the network.
    pub providers: Vec<Provider>,
    /// How a live collection went (collected snapshots only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<Collection>,
}

/// The completeness record of a live collection: what was asked, what came
/// back, and what went wrong. A collection that could not complete is
/// refused, or saved with `complete: false`; never silently short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    pub collector: String,
    pub endpoint: String,
    /// When the collection started and ended (RFC 3339).
    pub started_at: String,
    pub finished_at: String,
    pub complete: bool,
    pub pages_fetched: u64,
    /// Items the endpoint said it holds (`pagination.total`), if it said.
    pub items_expected: Option<u64>,
    /// Distinct items kept.
    pub items_received: u64,
    /// Items seen again on a later page, dropped.
    pub duplicates_dropped: u64,
    /// Retried attempts and problems, in order.
    pub errors: Vec<String>,
    /// Every response archived: URL, status, sha256 of the body.
    pub responses: Vec<ArchivedResponse>,
    /// sha256 of the merged document the snapshot was read from (archived).
    pub document_sha256: String,
    /// What was added after reading (e.g. `--geoip` country and ASN), with
    /// the sha256 of each database used.
    #[serde(default)]
    pub enrichment: Vec<String>,
    /// For a collection made of several parts (every subnet of a network):
    /// each part, whether it came back whole, and why not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<CollectedPart>,
}

/// One part of a collection made of several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectedPart {
    /// What the part is, e.g. `subnet 8 (τaos)`.
    pub name: String,
    pub complete: bool,
    /// Items it contributed (neurons of a subnet).
    pub items: u64,
    /// Why it is incomplete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One archived response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedResponse {
    pub url: String,
    pub status: u16,
    pub sha256: String,
}

/// Origin of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Adapter that read it, e.g. `cosmos-validators`.
    pub adapter: String,
    /// File path, `bundled:<path>` or endpoint URL.
    pub location: String,
    /// Anything a reader should know about the data (e.g. testnet, partial).
    #[serde(default)]
    pub note: Option<String>,
}

/// Kind of an identifier that links a provider to whoever controls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// An operator name or id declared by the data itself (generic CSV).
    Declared,
    /// Bittensor coldkey owning a hotkey.
    Coldkey,
    /// Chain account that owns the provider (Akash owner, Cosmos account).
    OwnerAddress,
    /// Address rewards are paid to.
    PayoutAddress,
    /// Marketplace host account (Vast.ai `host_id`).
    HostId,
    /// Keybase identity (Cosmos `description.identity`).
    Identity,
    /// Registrable domain of a website or host name.
    Domain,
    /// Domain of a contact e-mail address.
    EmailDomain,
}

impl KeyKind {
    /// The kind as the snapshot JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Declared => "declared",
            KeyKind::Coldkey => "coldkey",
            KeyKind::OwnerAddress => "owner_address",
            KeyKind::PayoutAddress => "payout_address",
            KeyKind::HostId => "host_id",
            KeyKind::Identity => "identity",
            KeyKind::Domain => "domain",
            KeyKind::EmailDomain => "email_domain",
        }
    }
}

/// Appends without the doubling growth of `Vec::push`: a provider holds a
/// few GPU groups, prices and keys, and a million providers each holding
/// room for four of each wasted hundreds of megabytes.
pub fn push_exact<T>(items: &mut Vec<T>, item: T) {
    items.reserve_exact(1);
    items.push(item);
}

/// One typed identifier of a provider's controller.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorKey {
    pub kind: KeyKind,
    pub value: Text,
}

/// Share of time a provider was up, over a stated window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uptime {
    /// Fraction in [0, 1].
    pub value: f64,
    /// Window the fraction covers, e.g. `7d`, `30d`, `marketplace-reliability`.
    pub window: Text,
}

/// Asking price of one GPU-hour of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Normalized GPU model the price is for (`None`: all of the provider's GPUs).
    pub gpu_model: Option<Text>,
    /// Price per GPU-hour.
    pub per_gpu_hour: f64,
    /// Currency, e.g. `USD`.
    pub currency: Text,
    /// GPUs listed at this price (rows of a generic CSV at the same price
    /// are summed); `None` when the source does not say. A provider's price
    /// for a model is the GPU-weighted mean of its asks (see [`Provider::price_for`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<u64>,
}

/// One provider: a node, validator, hotkey or machine.
///
/// Fields most sources give sit in the struct; the ones few sources give
/// sit in [`Provider::more`], which holds no allocation while they are all
/// absent (a generic CSV of 500,000 providers saved 148 MB). The JSON form
/// is one flat object with every field in a fixed order (`model::record`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provider {
    /// Identifier unique within the snapshot.
    pub id: Text,
    /// Identifiers linking the provider to its controller, strongest first.
    pub operator_keys: Vec<OperatorKey>,
    /// Human-readable name or moniker (untrusted text).
    pub name: Option<Text>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<Text>,
    pub region: Option<Text>,
    /// Autonomous system number of the provider's address.
    pub asn: Option<u32>,
    /// Hosting company / cloud, as declared by the source.
    pub cloud: Option<Text>,
    /// Named data center (facility), if the source names one.
    pub datacenter: Option<Text>,
    /// Whether the provider runs in a data center (`false`: home, office or
    /// another non-data-center location), when the source says.
    pub in_datacenter: Option<bool>,
    /// Public IP address, if known.
    pub ip: Option<Text>,
    /// GPUs by model.
    pub gpus: Vec<GpuGroup>,
    pub uptime: Option<Uptime>,
    pub online: Option<bool>,
    /// For consensus networks: whether the provider is in the active set
    /// (bonded and not jailed). `Some(false)` providers hold no voting power.
    pub active_set: Option<bool>,
    /// Raw status as the source stated it (e.g. `BOND_STATUS_UNBONDED`).
    pub status: Option<Text>,
    pub prices: Vec<Price>,
    /// Stake or voting power, in the snapshot's `stake_unit`.
    pub stake: Option<f64>,
    /// Emission / rewards per period, in the network's token.
    pub emission: Option<f64>,
    /// The fields few sources give.
    pub more: More,
}

/// The fields of a [`Provider`] that few sources give (hardware detail,
/// probe times, declared locations).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProviderMore {
    pub city: Option<Text>,
    /// Host name (untrusted text).
    pub hostname: Option<Text>,
    /// GPUs the provider currently offers for rent in listed offers, where
    /// the source lists offers that can cover only part of a machine
    /// (Vast.ai); `gpus` always holds the machine's full capacity.
    pub gpus_offered: Option<u64>,
    /// GPU models the provider advertises without saying how many (Akash
    /// on-chain attributes): they carry no GPU weight.
    pub declared_gpu_models: Vec<Text>,
    /// CPU cores.
    pub cpu_cores: Option<f64>,
    /// Memory, GB.
    pub memory_gb: Option<f64>,
    /// Storage, GB.
    pub storage_gb: Option<f64>,
    /// Machines behind the provider, when the source says (`1` for a
    /// marketplace machine). Supply checks compare GPUs per node with it.
    pub nodes: Option<u64>,
    /// GPUs the network reports as leased / in use, when it reports both
    /// capacity and use.
    pub gpus_leased: Option<u64>,
    /// Last time a probe found the provider online (RFC 3339).
    pub last_seen: Option<Text>,
    /// Last time a probe checked the provider, whatever it found (RFC 3339).
    pub last_checked: Option<Text>,
    /// Country the provider declares (on-chain attributes), when the source
    /// also gives an IP-derived `country`.
    pub declared_country: Option<Text>,
    /// Region the provider declares, beside an IP-derived `region`.
    pub declared_region: Option<Text>,
    /// A GPU capacity the source reported that cannot be a count (negative),
    /// kept for the supply checks; such a provider counts no GPUs.
    pub invalid_gpu_total: Option<f64>,
    /// Hardware fingerprint (e.g. a machine or board id), where the data has one.
    pub fingerprint: Option<Text>,
}

/// All fields absent: what an empty [`More`] reads as.
static NO_MORE: ProviderMore = ProviderMore {
    city: None,
    hostname: None,
    gpus_offered: None,
    declared_gpu_models: Vec::new(),
    cpu_cores: None,
    memory_gb: None,
    storage_gb: None,
    nodes: None,
    gpus_leased: None,
    last_seen: None,
    last_checked: None,
    declared_country: None,
    declared_region: None,
    invalid_gpu_total: None,
    fingerprint: None,
};

/// A provider's [`ProviderMore`], allocated on the first write: reading
/// an absent one gives every field absent, writing through it (`p.more.city
/// = …`) makes it. Equal whether or not an all-absent one was allocated.
#[derive(Debug, Clone, Default)]
pub struct More(Option<Box<ProviderMore>>);

impl More {
    /// Holds `fields`, with no allocation when they are all absent.
    pub fn new(fields: ProviderMore) -> Self {
        More((fields != NO_MORE).then(|| Box::new(fields)))
    }

    /// The fields to change in place, `None` while all are absent (unlike
    /// writing through `DerefMut`, allocates nothing).
    pub fn get_mut(&mut self) -> Option<&mut ProviderMore> {
        self.0.as_deref_mut()
    }
}

impl std::ops::Deref for More {
    type Target = ProviderMore;
    fn deref(&self) -> &ProviderMore {
        self.0.as_deref().unwrap_or(&NO_MORE)
    }
}

impl std::ops::DerefMut for More {
    fn deref_mut(&mut self) -> &mut ProviderMore {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for More {
    fn eq(&self, other: &More) -> bool {
        **self == **other
    }
}

impl Serialize for Provider {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        record::ProviderRecord::borrowed(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Provider {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Provider, D::Error> {
        record::ProviderRecord::deserialize(deserializer).map(record::ProviderRecord::into_provider)
    }
}

/// A provider's asking price for one model: the GPU-weighted mean of its
/// asks, and the GPUs they cover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ask<'a> {
    pub per_gpu_hour: f64,
    pub currency: &'a str,
    /// GPUs the asks cover; `None`: all of the model's GPUs.
    pub gpus: Option<u64>,
}

impl Provider {
    /// A provider with only its id set.
    pub fn new(id: impl Into<Text>) -> Self {
        Provider {
            id: id.into(),
            ..Provider::default()
        }
    }

    /// Adds an operator key unless an equal one is present; empty values are skipped.
    pub fn add_key(&mut self, kind: KeyKind, value: impl AsRef<str>) {
        let value = value.as_ref().trim();
        if value.is_empty() {
            return;
        }
        let key = OperatorKey {
            kind,
            value: Text::from(value),
        };
        if !self.operator_keys.contains(&key) {
            push_exact(&mut self.operator_keys, key);
        }
    }

    /// Adds the domain of a contact e-mail address as a key.
    pub fn add_email_domain(&mut self, email: &str) {
        if let Some((_, domain)) = email.rsplit_once('@') {
            self.add_key(KeyKind::EmailDomain, domain.to_ascii_lowercase());
        }
    }

    /// Total GPUs. Saturates: claimed counts can be overflow sentinels
    /// such as 2^64 - 1, which the supply checks flag.
    pub fn gpu_count(&self) -> u64 {
        self.gpus
            .iter()
            .fold(0u64, |sum, g| sum.saturating_add(g.count))
    }

    /// Stake that counts as voting power: `None` for providers outside the
    /// active set (jailed or unbonded validators), which are excluded from
    /// every voting-power metric, and for providers without a stake.
    pub fn voting_stake(&self) -> Option<f64> {
        if self.active_set == Some(false) {
            return None;
        }
        self.stake
    }

    /// The provider's asking price per GPU-hour for GPUs of `model` in one
    /// currency: the GPU-weighted mean of its asks for that model (asks
    /// without a GPU count weigh one each), else of its asks for all of its
    /// GPUs; `None` when it states none. Independent of the order of asks.
    pub fn price_for(&self, model: Option<&str>) -> Option<(f64, &str)> {
        self.ask_for(model).map(|a| (a.per_gpu_hour, a.currency))
    }

    /// [`Provider::price_for`] with how many GPUs the asks cover: `Some(n)`
    /// when every ask states its GPUs (rows of a generic CSV), `None` when
    /// an ask covers all of the model's GPUs.
    pub fn ask_for(&self, model: Option<&str>) -> Option<Ask<'_>> {
        let matches = |p: &&Price| p.gpu_model.is_some() && p.gpu_model.as_deref() == model;
        // One ask for the model (the usual case): it is the answer.
        let mut exact_asks = self.prices.iter().filter(matches);
        if let (Some(p), None) = (exact_asks.next(), exact_asks.next()) {
            if p.gpus == Some(0) {
                return None;
            }
            return Some(Ask {
                per_gpu_hour: p.per_gpu_hour,
                currency: p.currency.as_str(),
                gpus: p.gpus,
            });
        }
        let exact: Vec<&Price> = self
            .prices
            .iter()
            .filter(|p| p.gpu_model.is_some() && p.gpu_model.as_deref() == model)
            .collect();
        let asks = if exact.is_empty() {
            self.prices
                .iter()
                .filter(|p| p.gpu_model.is_none())
                .collect()
        } else {
            exact
        };
        let currency = asks.first()?.currency.as_str();
        let mut parts: Vec<(f64, f64)> = asks
            .iter()
            .filter(|p| p.currency == currency)
            .map(|p| (p.gpus.map_or(1.0, |n| n as f64), p.per_gpu_hour))
            .collect();
        parts.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.total_cmp(&b.0)));
        let weight = crate::metrics::sum::sum(parts.iter().map(|p| p.0));
        if weight <= 0.0 {
            return None;
        }
        let total = crate::metrics::sum::sum(parts.iter().map(|p| p.0 * p.1));
        let counted = asks.iter().filter(|p| p.currency == currency);
        let gpus = counted
            .clone()
            .map(|p| p.gpus)
            .try_fold(0u64, |acc, g| g.map(|g| acc.saturating_add(g)));
        // One price asked for every GPU is that price exactly (a weighted
        // mean of equal prices can differ from it in the last digit).
        let one_price = parts.iter().all(|p| p.1.to_bits() == parts[0].1.to_bits());
        Some(Ask {
            per_gpu_hour: if one_price {
                parts[0].1
            } else {
                total / weight
            },
            currency,
            gpus,
        })
    }

    /// Puts the provider's lists in a canonical order (GPU groups, prices,
    /// keys), so nothing computed from it depends on the input's order.
    pub fn canonicalize(&mut self) {
        self.gpus.sort_by(canonical_gpu_order);
        self.prices.sort_by(canonical_price_order);
        if let Some(more) = self.more.get_mut() {
            more.declared_gpu_models.sort();
        }
    }
}

impl Snapshot {
    /// An empty snapshot with the given identity.
    pub fn new(network: impl Into<String>, source: Source, input_sha256: String) -> Self {
        Snapshot {
            format: SNAPSHOT_FORMAT.to_string(),
            network: network.into(),
            taken_at: None,
            source,
            input_sha256,
            stake_unit: None,
            emission_unit: None,
            profile: None,
            providers: Vec::new(),
            collection: None,
        }
    }
}

/// The order of a provider's prices: by model, currency, amount, GPUs.
pub(crate) fn canonical_price_order(a: &Price, b: &Price) -> std::cmp::Ordering {
    (&a.gpu_model, &a.currency)
        .cmp(&(&b.gpu_model, &b.currency))
        .then(a.per_gpu_hour.total_cmp(&b.per_gpu_hour))
        .then(a.gpus.cmp(&b.gpus))
}

/// A total order of GPU groups by every field (model first).
pub(crate) fn canonical_gpu_order(a: &GpuGroup, b: &GpuGroup) -> std::cmp::Ordering {
    // Borrowed, not cloned: this runs for every provider of a snapshot.
    fn key(g: &GpuGroup) -> ([&Option<Text>; 4], u64, u64) {
        (
            [&g.model, &g.raw_model, &g.vendor, &g.interface],
            g.count,
            g.duplicated,
        )
    }
    key(a)
        .cmp(&key(b))
        .then(
            a.memory_gb
                .unwrap_or(-1.0)
                .total_cmp(&b.memory_gb.unwrap_or(-1.0)),
        )
        .then(
            a.tflops_fp16
                .unwrap_or(-1.0)
                .total_cmp(&b.tflops_fp16.unwrap_or(-1.0)),
        )
}

impl Snapshot {
    /// Orders providers by id and each provider's lists canonically: every
    /// audit, operator listing, stress test and report of the snapshot is
    /// then the same whatever the order of the input's rows or records.
    pub fn canonicalize(&mut self) {
        use rayon::prelude::*;
        sort_providers_by_id(&mut self.providers);
        self.providers
            .par_iter_mut()
            .for_each(Provider::canonicalize);
        // Most groups share their kind already (an adapter's templates):
        // those are skipped in parallel, the rest shared on one thread.
        let unshared: Vec<&mut GpuGroup> = self
            .providers
            .par_iter_mut()
            .flat_map_iter(|p| p.gpus.iter_mut().filter(|g| !g.kind_is_shared()))
            .collect();
        gpu::share_kinds(unshared);
    }
}

/// Sorts providers by id (stable: equal ids keep their order). A provider
/// is a large struct, so the order is found on keys copied side by side
/// (an id's first 16 bytes, then the id itself where those tie) and applied
/// by following its cycles: each provider moves about once and no scratch
/// copy of the list is made. Input that is already in order is left
/// untouched.
fn sort_providers_by_id(providers: &mut [Provider]) {
    use rayon::prelude::*;
    if providers.par_windows(2).all(|w| w[0].id <= w[1].id) {
        return;
    }
    let mut keyed: Vec<(u128, usize)> = providers
        .par_iter()
        .enumerate()
        .map(|(i, p)| (id_prefix(&p.id), i))
        .collect();
    keyed.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| providers[a.1].id.cmp(&providers[b.1].id))
            .then(a.1.cmp(&b.1))
    });
    let mut order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    apply_permutation(providers, &mut order);
    // Each provider's lists were allocated in input order, now scattered:
    // copied afresh in id order, every later pass over the providers reads
    // them in order instead of chasing pointers across the heap (on a
    // shuffled 1,000,000-row file the audit's CPU time drops by about 15%).
    providers.par_iter_mut().for_each(|p| {
        p.gpus = p.gpus.clone();
        p.prices = p.prices.clone();
        p.operator_keys = p.operator_keys.clone();
    });
}

/// An id's first 16 bytes as a number that orders as the bytes do (short
/// ids padded with zeros, so ids differing only after them tie).
fn id_prefix(id: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = id.len().min(16);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

/// Reorders `items` so that position `i` holds what was at `order[i]`;
/// `order` is consumed (left as the identity).
pub(crate) fn apply_permutation<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..items.len() {
        let mut hole = start;
        while order[hole] != start {
            let from = order[hole];
            items.swap(hole, from);
            order[hole] = hole;
            hole = from;
        }
        order[hole] = hole;
    }
}

/// Whether a declared location type (`datacenter`, `home`, `office`, …) is
/// a data center; `None` for a type it cannot classify.
pub fn in_datacenter(location_type: &str) -> Option<bool> {
    let t: String = location_type
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match t.as_str() {
        "datacenter" | "datacentre" | "dc" | "colo" | "colocation" | "hyperscaler" | "cloud" => {
            Some(true)
        }
        "home" | "residential" | "office" | "serverroom" | "nondatacenter" | "homelab" => {
            Some(false)
        }
        _ => None,
    }
}

/// Trims a string and turns an empty one into `None`.
pub fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// One input file of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputRecord {
    /// Path as given, or `bundled:<path>`.
    pub location: String,
    pub sha256: String,
    pub adapter: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_fields_are_allocated_only_when_given_and_keep_their_json_place() {
        // Absent: no allocation, whether built empty or read from JSON.
        let mut plain = Provider::new("a");
        assert!(plain.more.get_mut().is_none());
        let mut read: Provider = serde_json::from_str(r#"{"id": "a", "hostname": null}"#).unwrap();
        assert!(read.more.get_mut().is_none());
        assert_eq!(read, plain);
        // Written through and then cleared: equal to never written.
        plain.more.city = Some("Oslo".into());
        assert_ne!(plain, read);
        plain.more.city = None;
        assert_eq!(plain, read);
        // Given: kept, and written where the format has always had it
        // (between `region` and `asn`; probe times after `emission`).
        let json = r#"{"id": "a", "region": "r", "city": "Oslo", "asn": 1, "last_seen": "2025-01-01T00:00:00Z"}"#;
        let p: Provider = serde_json::from_str(json).unwrap();
        assert_eq!(p.more.city.as_deref(), Some("Oslo"));
        let out = serde_json::to_string(&p).unwrap();
        let at = |key: &str| out.find(&format!("\"{key}\"")).unwrap();
        assert!(at("region") < at("city") && at("city") < at("asn"));
        assert!(at("emission") < at("last_seen"));
        assert!(
            !out.contains("last_checked"),
            "absent optional fields stay out: {out}"
        );
        let again: Provider = serde_json::from_str(&out).unwrap();
        assert_eq!(again, p);
        // Unknown fields are still refused, naming the field.
        let err = serde_json::from_str::<Provider>(r#"{"id": "a", "cty": "x"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `cty`"), "{err}");
    }

    #[test]
    fn providers_sort_by_id_like_a_stable_sort() {
        // Ids with repeats, in a scrambled order; names record the input
        // position so stability can be seen.
        // Ids sharing their first 16 bytes (the sort key's prefix) or
        // differing from a shorter id only by a NUL are ordered by the
        // whole id.
        let ids = [
            "d",
            "b",
            "a",
            "d",
            "c",
            "a",
            "e",
            "b",
            "b",
            "provider-0000001b",
            "provider-0000001",
            "provider-0000001a",
            "provider-0000001\0",
            "provider-0000001",
            "provider-000000",
            "provider-0000001\0\0",
        ];
        let mut providers: Vec<Provider> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut p = Provider::new(*id);
                p.name = Some(i.to_string().into());
                p
            })
            .collect();
        let mut expected = providers.clone();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        sort_providers_by_id(&mut providers);
        let key = |v: &[Provider]| -> Vec<(String, String)> {
            v.iter()
                .map(|p| (p.id.to_string(), p.name.clone().unwrap().to_string()))
                .collect()
        };
        assert_eq!(key(&providers), key(&expected));
    }

    #[test]
    fn permutation_is_applied_along_its_cycles() {
        for order in [
            vec![],
            vec![0],
            vec![1, 0],
            vec![2, 0, 1],
            vec![3, 2, 1, 0, 4],
            vec![4, 0, 3, 1, 2, 5],
        ] {
            let items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            let expected: Vec<usize> = order.iter().map(|&i| items[i]).collect();
            let mut moved = items.clone();
            let mut work = order.clone();
            apply_permutation(&mut moved, &mut work);
            assert_eq!(moved, expected, "order {order:?}");
        }
    }
}
