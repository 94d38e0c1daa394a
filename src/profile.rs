//! Network profiles: per-network check parameters, rule severities and the
//! coalition thresholds that matter for the network (1/3 and 2/3 on CometBFT
//! chains, a stake majority on Bittensor).
//!
//! Profiles are TOML. The bundled ones live in `data/profiles/`; a user file
//! may start from one with `extends = "<name>"` and change only what it names
//! (tables merge key by key; arrays such as `thresholds` replace).

use crate::error::{Error, Result};
use crate::metrics::Holds;
use crate::model::Snapshot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A named check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    SentinelCount,
    NegativeCapacity,
    GpusPerProvider,
    GpusPerNode,
    MemoryMismatch,
    ZeroCapacityOnline,
    PriceOutlier,
    DuplicateHost,
    DuplicateIp,
    DuplicateFingerprint,
    DuplicateListing,
    LocationMismatch,
    CloudAsnMismatch,
    StaleOnline,
    LeasedExceedsCapacity,
    VendorMismatch,
    ShareSum,
    UnknownGpuModel,
}

/// Every rule, in report order.
pub const RULES: [Rule; 18] = [
    Rule::SentinelCount,
    Rule::NegativeCapacity,
    Rule::GpusPerProvider,
    Rule::GpusPerNode,
    Rule::MemoryMismatch,
    Rule::ZeroCapacityOnline,
    Rule::PriceOutlier,
    Rule::DuplicateHost,
    Rule::DuplicateIp,
    Rule::DuplicateFingerprint,
    Rule::DuplicateListing,
    Rule::LocationMismatch,
    Rule::CloudAsnMismatch,
    Rule::StaleOnline,
    Rule::LeasedExceedsCapacity,
    Rule::VendorMismatch,
    Rule::ShareSum,
    Rule::UnknownGpuModel,
];

/// The kind of problem a rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Impossible,
    Duplicate,
    Inconsistent,
    Unknown,
}

impl Rule {
    /// Identifier as in profiles, flags and output.
    pub fn id(self) -> &'static str {
        self.spec().0
    }

    pub fn family(self) -> Family {
        self.spec().1
    }

    pub fn default_setting(self) -> Setting {
        self.spec().2
    }

    /// What the rule flags, in one sentence.
    pub fn description(self) -> &'static str {
        self.spec().3
    }

    fn spec(self) -> (&'static str, Family, Setting, &'static str) {
        use Family::*;
        use Setting::{Error, Info, Warning};
        match self {
            Rule::SentinelCount => (
                "sentinel-count",
                Impossible,
                Error,
                "a GPU count within `sentinel_margin` of 2^31, 2^32, 2^63 or 2^64: an integer overflow or underflow, not hardware",
            ),
            Rule::NegativeCapacity => (
                "negative-capacity",
                Impossible,
                Error,
                "a negative GPU capacity reported by the network (inventory accounting below zero)",
            ),
            Rule::GpusPerProvider => (
                "gpus-per-provider",
                Impossible,
                Error,
                "more GPUs on one provider than `max_gpus_per_provider` when its node count is unknown",
            ),
            Rule::GpusPerNode => (
                "gpus-per-node",
                Impossible,
                Error,
                "more than `max_gpus_per_node` GPUs per machine, where the node count is known or each provider is one machine",
            ),
            Rule::MemoryMismatch => (
                "memory-mismatch",
                Impossible,
                Warning,
                "GPU memory that matches no catalogued variant of the model (within `memory_tolerance`)",
            ),
            Rule::ZeroCapacityOnline => (
                "zero-capacity-online",
                Impossible,
                Warning,
                "an online provider offering no GPUs on a network that reports GPU capacity",
            ),
            Rule::PriceOutlier => (
                "price-outlier",
                Impossible,
                Warning,
                "a price whose robust z-score on log price exceeds `price_outlier_z` among prices of the same model",
            ),
            Rule::DuplicateHost => (
                "duplicate-host",
                Duplicate,
                Warning,
                "several providers behind one host name (all but the first by id are flagged)",
            ),
            Rule::DuplicateIp => (
                "duplicate-ip",
                Duplicate,
                Warning,
                "several providers behind one public IP address (all but the first by id are flagged)",
            ),
            Rule::DuplicateFingerprint => (
                "duplicate-fingerprint",
                Duplicate,
                Error,
                "several providers with one hardware fingerprint (all but the first by id are flagged)",
            ),
            Rule::DuplicateListing => (
                "duplicate-listing",
                Duplicate,
                Warning,
                "a GPU group listed again identically on the same provider (a repeated row: the same offer twice, or two identical machines)",
            ),
            Rule::LocationMismatch => (
                "location-mismatch",
                Inconsistent,
                Warning,
                "a declared country that differs from the country of the provider's IP address (the data's own geolocation or --geoip)",
            ),
            Rule::CloudAsnMismatch => (
                "cloud-asn-mismatch",
                Inconsistent,
                Warning,
                "a declared cloud or location type that contradicts the owner of the provider's AS number",
            ),
            Rule::StaleOnline => (
                "stale-online",
                Inconsistent,
                Warning,
                "declared online, but the last successful probe is older than `max_probe_age_hours` (or older than a later failed check)",
            ),
            Rule::LeasedExceedsCapacity => (
                "leased-exceeds-capacity",
                Inconsistent,
                Error,
                "more GPUs leased than the provider's declared capacity",
            ),
            Rule::VendorMismatch => (
                "vendor-mismatch",
                Inconsistent,
                Warning,
                "a GPU vendor label that contradicts the model (the catalogue's vendor, or a brand word such as Radeon or GeForce in an unknown model's name); vendor dependency counts the model's vendor",
            ),
            Rule::ShareSum => (
                "share-sum",
                Inconsistent,
                Warning,
                "voting-power shares (per `stake_unit`) that do not sum to the whole, 1 or 100%, within 0.5% over all listed validators; one network-level finding, never normalised silently",
            ),
            Rule::UnknownGpuModel => (
                "unknown-gpu-model",
                Family::Unknown,
                Info,
                "a GPU model the catalogue does not know: kept as reported and counted, flagged for review",
            ),
        }
    }

    /// Whether an `error` finding removes its subject from the passing
    /// basis. Prices, vendor labels, unknown model names and share totals
    /// say nothing about whether the GPUs or the stake exist, so those rules
    /// only flag.
    pub fn removes_supply(self) -> bool {
        !matches!(
            self,
            Rule::PriceOutlier | Rule::UnknownGpuModel | Rule::VendorMismatch | Rule::ShareSum
        )
    }

    /// Whether the rule's findings concern the whole network rather than one
    /// provider: their `provider` is then the network's name, and they count
    /// no providers in the rule totals.
    pub fn network_level(self) -> bool {
        matches!(self, Rule::ShareSum)
    }

    /// The rule with this identifier.
    pub fn from_id(id: &str) -> Option<Rule> {
        RULES.into_iter().find(|r| r.id() == id)
    }
}

/// Every rule identifier, for messages.
pub fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id()).collect()
}

/// How much a finding matters; `Error` findings leave the passing basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Setting {
    Off,
    Info,
    Warning,
    Error,
}

impl Setting {
    pub fn from_name(name: &str) -> Option<Setting> {
        match name.trim().to_ascii_lowercase().as_str() {
            "off" => Some(Setting::Off),
            "info" => Some(Setting::Info),
            "warning" | "warn" => Some(Setting::Warning),
            "error" => Some(Setting::Error),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Setting::Off => "off",
            Setting::Info => "info",
            Setting::Warning => "warning",
            Setting::Error => "error",
        }
    }
}

/// The `adapter` of a profile file in a report's inputs.
pub const PROFILE_ADAPTER: &str = "network-profile";

/// The bundled profiles: (name, TOML text).
pub const BUNDLED: [(&str, &str); 6] = [
    ("default", include_str!("../data/profiles/default.toml")),
    ("akash", include_str!("../data/profiles/akash.toml")),
    // Before `bittensor`, whose `bittensor-*` would match its networks too.
    (
        "bittensor-subnets",
        include_str!("../data/profiles/bittensor-subnets.toml"),
    ),
    ("bittensor", include_str!("../data/profiles/bittensor.toml")),
    ("cosmos", include_str!("../data/profiles/cosmos.toml")),
    ("vastai", include_str!("../data/profiles/vastai.toml")),
];

/// A coalition size the network's security or service depends on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// As written in the profile, e.g. `1/3`.
    pub label: String,
    /// The share, in (0, 1] (the exact fraction is `label`).
    pub share: f64,
    /// Whether a coalition must hold at least the share or more than it.
    pub holds: Holds,
    /// What a coalition of this size can do.
    pub meaning: String,
    /// The exact fraction and comparison.
    #[serde(skip)]
    pub exact: crate::metrics::Threshold,
}

/// The thresholds as the tau list of the metrics, labelled as written.
pub fn tau_list(
    thresholds: &[Threshold],
) -> Vec<crate::metrics::Labelled<crate::metrics::Threshold>> {
    thresholds
        .iter()
        .map(|t| crate::metrics::Labelled {
            label: t.label.clone(),
            value: t.exact,
        })
        .collect()
}

/// Parameters of the checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckParams {
    pub max_gpus_per_node: u64,
    pub max_gpus_per_provider: u64,
    pub providers_are_nodes: bool,
    pub sentinel_margin: u64,
    pub memory_tolerance: f64,
    pub price_outlier_z: f64,
    pub price_min_peers: usize,
    pub max_probe_age_hours: f64,
    pub expects_gpus: bool,
}

/// One network profile, resolved (no `extends` left).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkProfile {
    pub name: String,
    pub description: String,
    /// Snapshot network names the profile applies to (`name-*` matches a prefix).
    pub networks: Vec<String>,
    /// Adapters whose snapshots the profile applies to.
    pub adapters: Vec<String>,
    pub thresholds: Vec<Threshold>,
    pub checks: CheckParams,
    /// Severity of every rule (`Off` for switched-off rules).
    pub rules: BTreeMap<Rule, Setting>,
    /// Where the profile came from: `bundled:<name>` or a file path.
    pub origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    share: toml::Value,
    /// `at_least` (default) or `more_than`.
    #[serde(default)]
    holds: Option<String>,
    meaning: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    #[allow(dead_code)] // consumed before deserialization
    extends: Option<String>,
    name: String,
    description: String,
    networks: Vec<String>,
    adapters: Vec<String>,
    thresholds: Vec<RawThreshold>,
    checks: CheckParams,
    rules: BTreeMap<String, String>,
}

impl NetworkProfile {
    /// A bundled profile by name.
    pub fn bundled(name: &str) -> Option<NetworkProfile> {
        let (_, text) = BUNDLED.iter().find(|(n, _)| *n == name)?;
        let origin = format!("bundled:data/profiles/{name}.toml");
        Some(parse(&origin, text).expect("bundled profiles are valid (tested)"))
    }

    /// Every bundled profile.
    pub fn all_bundled() -> Vec<NetworkProfile> {
        BUNDLED
            .iter()
            .filter_map(|(n, _)| Self::bundled(n))
            .collect()
    }

    /// The bundled profile for a snapshot: the one the data names, else
    /// matched by network name, then by adapter, else `default`.
    pub fn for_snapshot(s: &Snapshot) -> NetworkProfile {
        // The data may name its profile (a generic CSV exported from a
        // Cosmos chain keeps `cosmos`).
        if let Some(p) = s.profile.as_deref().and_then(Self::bundled) {
            return p;
        }
        let all = Self::all_bundled();
        let by_network = all
            .iter()
            .find(|p| p.networks.iter().any(|n| name_matches(n, &s.network)));
        let by_adapter = || all.iter().find(|p| p.adapters.contains(&s.source.adapter));
        by_network
            .or_else(by_adapter)
            .or_else(|| all.iter().find(|p| p.name == "default"))
            .cloned()
            .expect("the default profile is bundled")
    }

    /// Severity of a rule under this profile.
    pub fn setting(&self, rule: Rule) -> Setting {
        self.rules
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_setting())
    }
}

/// `akash` matches only `akash`; `akash-*` matches `akash-gpu-testnet-2023`.
fn name_matches(pattern: &str, network: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => network.starts_with(prefix),
        None => pattern == network,
    }
}

/// Parses a profile file (`location` names it in errors).
pub fn parse(location: &str, text: &str) -> Result<NetworkProfile> {
    let bad = |message: String| Error::input(location, None, None, message);
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(format!("is not a valid profile: {e}")))?;
    let mut chain = Vec::new();
    while let Some(parent) = table.get("extends").and_then(toml::Value::as_str) {
        let parent = parent.to_string();
        if chain.contains(&parent) || chain.len() > 8 {
            return Err(bad(format!("`extends` loops through `{parent}`")));
        }
        let base = BUNDLED.iter().find(|(n, _)| *n == parent).ok_or_else(|| {
            bad(format!(
                "extends `{parent}`, which is not a bundled profile"
            ))
            .with_hint(format!(
                "bundled profiles: {}",
                BUNDLED.map(|(n, _)| n).join(", ")
            ))
        })?;
        let mut merged: toml::Table = base.1.parse().expect("bundled profiles are valid TOML");
        table.remove("extends");
        merge(&mut merged, table);
        chain.push(parent);
        table = merged;
    }
    let raw: RawProfile = table
        .try_into()
        .map_err(|e: toml::de::Error| bad(format!("is not a valid profile: {e}")))?;
    resolve(location, raw)
}

/// Overlays `top` on `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn resolve(location: &str, raw: RawProfile) -> Result<NetworkProfile> {
    let field = |f: String, message: String| Error::input(location, None, Some(&f), message);
    let mut rules = BTreeMap::new();
    for (id, setting) in &raw.rules {
        let rule = Rule::from_id(id).ok_or_else(|| {
            field(format!("rules.{id}"), "is not a rule".into())
                .with_hint(format!("rules: {}", rule_ids().join(", ")))
        })?;
        let setting = Setting::from_name(setting).ok_or_else(|| {
            field(
                format!("rules.{id}"),
                format!("`{setting}` is not error, warning, info or off"),
            )
        })?;
        rules.insert(rule, setting);
    }
    let mut thresholds = Vec::new();
    for (i, t) in raw.thresholds.iter().enumerate() {
        let holds = match &t.holds {
            None => Holds::AtLeast,
            Some(h) => Holds::from_name(h).ok_or_else(|| {
                field(
                    format!("thresholds[{i}].holds"),
                    format!("`{h}` is not at_least or more_than"),
                )
            })?,
        };
        let (label, exact) = threshold(&t.share, holds).ok_or_else(|| {
            field(
                format!("thresholds[{i}].share"),
                format!(
                    "{} is not a share in (0, 1] such as 0.5 or \"2/3\"",
                    t.share
                ),
            )
        })?;
        thresholds.push(Threshold {
            label,
            share: exact.value(),
            holds,
            meaning: t.meaning.clone(),
            exact,
        });
    }
    let c = &raw.checks;
    let positive = [
        ("memory_tolerance", c.memory_tolerance),
        ("price_outlier_z", c.price_outlier_z),
        ("max_probe_age_hours", c.max_probe_age_hours),
    ];
    if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
        return Err(field(
            format!("checks.{name}"),
            format!("{v} is not a positive number"),
        ));
    }
    if c.max_gpus_per_node == 0 || c.max_gpus_per_provider == 0 {
        return Err(field(
            "checks.max_gpus_per_node".into(),
            "GPU limits must be at least 1".into(),
        ));
    }
    Ok(NetworkProfile {
        name: raw.name,
        description: raw.description,
        networks: raw.networks,
        adapters: raw.adapters,
        thresholds,
        checks: raw.checks,
        rules,
        origin: location.to_string(),
    })
}

/// `0.5`, `"0.5"` or `"2/3"` → (label, exact threshold), in (0, 1].
fn threshold(v: &toml::Value, holds: Holds) -> Option<(String, crate::metrics::Threshold)> {
    let label = match v {
        toml::Value::Float(x) => x.to_string(),
        toml::Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    if label.starts_with('>') || label.starts_with('≥') {
        return None; // the comparison is the `holds` key
    }
    let exact = crate::metrics::Threshold::parse(&label, holds).ok()?;
    (exact.value() > 0.0).then_some((label, exact))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_profile_parses_and_names_itself() {
        for (name, text) in BUNDLED {
            let p = parse(name, text).unwrap();
            assert_eq!(p.name, name);
            assert!(!p.thresholds.is_empty(), "{name}");
        }
    }

    #[test]
    fn cosmos_chains_get_one_third_and_two_thirds() {
        let p = NetworkProfile::bundled("cosmos").unwrap();
        let shares: Vec<(f64, Holds)> = p.thresholds.iter().map(|t| (t.share, t.holds)).collect();
        assert_eq!(
            shares,
            vec![(1.0 / 3.0, Holds::AtLeast), (2.0 / 3.0, Holds::MoreThan)],
            "a third halts (commits need more than 2/3); more than two thirds commits alone"
        );
        assert!(!p.checks.expects_gpus);
    }

    #[test]
    fn a_user_file_extends_a_bundled_profile() {
        let text = "extends = \"akash\"\nname = \"mine\"\n[checks]\nmax_gpus_per_node = 8\n[rules]\nprice-outlier = \"off\"\n";
        let p = parse("mine.toml", text).unwrap();
        assert_eq!(p.name, "mine");
        assert_eq!(p.checks.max_gpus_per_node, 8);
        assert_eq!(p.checks.max_gpus_per_provider, 10000, "from akash");
        assert_eq!(p.setting(Rule::PriceOutlier), Setting::Off);
        assert_eq!(p.setting(Rule::DuplicateHost), Setting::Error, "from akash");
    }

    #[test]
    fn bad_profiles_name_the_field() {
        let cases = [
            ("extends = \"nope\"", "not a bundled profile"),
            (
                "extends = \"default\"\n[rules]\nno-such-rule = \"error\"",
                "rules.no-such-rule",
            ),
            (
                "extends = \"default\"\n[rules]\nprice-outlier = \"loud\"",
                "not error, warning",
            ),
            (
                "extends = \"default\"\n[[thresholds]]\nshare = \"3/2\"\nmeaning = \"x\"",
                "thresholds[0].share",
            ),
            (
                "extends = \"default\"\n[[thresholds]]\nshare = \"1/3\"\nholds = \"most\"\nmeaning = \"x\"",
                "thresholds[0].holds",
            ),
            (
                "extends = \"default\"\n[checks]\nprice_outlier_z = -1.0",
                "checks.price_outlier_z",
            ),
            (
                "extends = \"default\"\n[checks]\nmax_gpu = 3",
                "unknown field",
            ),
            ("name = 3", "not a valid profile"),
        ];
        for (text, want) in cases {
            let e = parse("p.toml", text).unwrap_err().to_string();
            assert!(e.contains("p.toml") && e.contains(want), "{text}: {e}");
        }
    }
}
