//! Supply verification: claimed supply versus plausible and observed supply.
//!
//! Dashboards have published GPU counts of 2^64 - 1 (an unsigned underflow),
//! providers whose declared region and IP sit in different countries, and
//! "GPUs" counted twice under two accounts. Each named rule here flags one
//! such pattern on a snapshot, with the provider, field, claimed value and
//! reason. A finding of severity `error` removes its subject (one GPU group
//! or one provider) from the *passing* basis; the *observed* basis further
//! keeps only providers a probe found online. The audit reports its headline
//! on all three bases, so a reader sees how much the verdict rests on trust.
//!
//! Pure computation on a snapshot, its network profile and (optionally) IP
//! facts looked up beforehand: no I/O.

mod bases;
pub mod geoip;
pub mod profile;
mod rules;

pub use bases::{Basis, BasisKind, BasisThreshold, bases, passing_snapshot};
pub use geoip::{GeoFact, GeoFacts, GeoIp};
pub use profile::NetworkProfile;

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

/// One implausible, duplicated or inconsistent claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Setting,
    /// The provider the claim is about; for a network-level rule
    /// ([`Rule::network_level`], e.g. `share-sum`), the network's name.
    pub provider: String,
    /// Index into the provider's `gpus` when the finding concerns one group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu_group: Option<usize>,
    /// Field the claim is in, e.g. `gpus[0].count`.
    pub field: String,
    /// The claimed value, as the data gives it (untrusted text).
    pub claimed: String,
    /// Why it is implausible, with the evidence.
    pub reason: String,
    /// GPUs the finding removes from the passing basis.
    pub excluded_gpus: u64,
}

/// Findings of one rule, summed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSummary {
    pub rule: Rule,
    pub family: Family,
    pub severity: Setting,
    pub description: &'static str,
    pub findings: usize,
    pub providers: usize,
    /// GPUs the rule's findings remove from the passing basis.
    pub excluded_gpus: u64,
}

/// Everything the checks say about one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyCheck {
    pub profile: String,
    pub profile_origin: String,
    /// Thresholds of the profile, reported on every basis.
    pub thresholds: Vec<profile::Threshold>,
    /// Databases the IP facts came from, if any.
    pub geoip: Vec<String>,
    /// One row per rule that is switched on, in catalogue order.
    pub rules: Vec<RuleSummary>,
    pub findings: Vec<Finding>,
}

/// Runs every switched-on rule of the profile.
pub fn check(s: &Snapshot, profile: &NetworkProfile, geo: Option<&Located>) -> SupplyCheck {
    let mut findings = Vec::new();
    for rule in RULES {
        let severity = profile.setting(rule);
        if severity == Setting::Off {
            continue;
        }
        let ctx = rules::Context {
            snapshot: s,
            params: &profile.checks,
            geo,
        };
        for mut f in rules::run(rule, &ctx) {
            f.severity = severity;
            if severity != Setting::Error || !rule.removes_supply() {
                f.excluded_gpus = 0;
            }
            findings.push(f);
        }
    }
    let rules = RULES
        .iter()
        .filter(|r| profile.setting(**r) != Setting::Off)
        .map(|&rule| summarize(rule, profile.setting(rule), &findings))
        .collect();
    SupplyCheck {
        profile: profile.name.clone(),
        profile_origin: profile.origin.clone(),
        thresholds: profile.thresholds.clone(),
        geoip: geo.map(|g| g.databases.clone()).unwrap_or_default(),
        rules,
        findings,
    }
}

fn summarize(rule: Rule, severity: Setting, findings: &[Finding]) -> RuleSummary {
    let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
    let providers: std::collections::BTreeSet<&str> = mine
        .iter()
        .filter(|f| !f.rule.network_level())
        .map(|f| f.provider.as_str())
        .collect();
    RuleSummary {
        rule,
        family: rule.family(),
        severity,
        description: rule.description(),
        findings: mine.len(),
        providers: providers.len(),
        excluded_gpus: mine
            .iter()
            .fold(0u64, |s, f| s.saturating_add(f.excluded_gpus)),
    }
}

/// How the audit runs the supply checks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupplyOptions {
    /// One profile for every snapshot; `None`: each snapshot's bundled profile.
    pub profile: Option<NetworkProfile>,
    /// Rule severities given on the command line, applied over the profile.
    pub overrides: BTreeMap<Rule, Setting>,
    /// IP facts from `--geoip` databases.
    pub geo: Option<Located>,
}

impl SupplyOptions {
    /// The profile a snapshot is checked under, overrides applied.
    pub fn profile_for(&self, s: &Snapshot) -> NetworkProfile {
        let mut p = self
            .profile
            .clone()
            .unwrap_or_else(|| NetworkProfile::for_snapshot(s));
        apply_overrides(&mut p, &self.overrides);
        p
    }
}

/// Runs the checks and computes the three bases of one snapshot
/// (`resolution`: the snapshot's operators, if already resolved).
pub fn assess(
    s: &Snapshot,
    so: &SupplyOptions,
    weight: crate::audit::Weight,
    opts: &crate::audit::AuditOptions,
    resolution: Option<&crate::entities::Resolution>,
) -> (SupplyCheck, Vec<Basis>) {
    let profile = so.profile_for(s);
    let check = check(s, &profile, so.geo.as_ref());
    let bases = bases(s, &check, weight, opts, resolution);
    (check, bases)
}

/// The supply a stress test should run on: the passing basis when checks
/// are on (claimed overflow sentinels would otherwise be "served"), else
/// the snapshot as claimed.
pub fn passing_supply<'a>(
    s: &'a Snapshot,
    so: Option<&SupplyOptions>,
) -> std::borrow::Cow<'a, Snapshot> {
    let Some(so) = so else {
        return std::borrow::Cow::Borrowed(s);
    };
    let check = check(s, &so.profile_for(s), so.geo.as_ref());
    let removes = check
        .findings
        .iter()
        .any(|f| f.severity == Setting::Error && f.rule.removes_supply());
    if removes {
        std::borrow::Cow::Owned(passing_snapshot(s, &check.findings))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The snapshot of one basis: claimed as is, passing, or observed (`None`
/// when the data has no online observations).
pub fn basis_snapshot(s: &Snapshot, so: &SupplyOptions, kind: BasisKind) -> Option<Snapshot> {
    if kind == BasisKind::Claimed {
        return Some(s.clone());
    }
    let check = check(s, &so.profile_for(s), so.geo.as_ref());
    let passing = passing_snapshot(s, &check.findings);
    match kind {
        BasisKind::Observed => bases::observed_snapshot(s, &passing, &check.findings),
        _ => Some(passing),
    }
}

/// The supply section of an audit: rule totals and the three bases (the
/// findings themselves are listed by `rackaudit verify-supply`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplySummary {
    pub profile: String,
    pub profile_origin: String,
    pub thresholds: Vec<profile::Threshold>,
    pub geoip: Vec<String>,
    pub findings: usize,
    pub findings_by_severity: BTreeMap<Setting, usize>,
    pub rules: Vec<RuleSummary>,
    pub bases: Vec<Basis>,
}

impl SupplySummary {
    pub fn new(check: &SupplyCheck, bases: Vec<Basis>) -> Self {
        let mut by_severity = BTreeMap::new();
        for f in &check.findings {
            *by_severity.entry(f.severity).or_insert(0) += 1;
        }
        SupplySummary {
            profile: check.profile.clone(),
            profile_origin: check.profile_origin.clone(),
            thresholds: check.thresholds.clone(),
            geoip: check.geoip.clone(),
            findings: check.findings.len(),
            findings_by_severity: by_severity,
            rules: check.rules.clone(),
            bases,
        }
    }

    /// The basis of one kind.
    pub fn basis(&self, kind: BasisKind) -> Option<&Basis> {
        self.bases.iter().find(|b| b.kind == kind && b.available)
    }

    /// A clause for the headline sentence when checks change the verdict's
    /// basis: the Nakamoto coefficients on passing supply.
    pub fn headline_clause(&self) -> Option<String> {
        let claimed = self.basis(BasisKind::Claimed)?;
        let passing = self.basis(BasisKind::Passing)?;
        if passing.providers == claimed.providers && passing.gpus == claimed.gpus {
            return None;
        }
        let n = |x: Option<usize>| x.map_or("n/a".to_string(), |v| v.to_string());
        Some(format!(
            "; on supply passing the checks ({}): {} providers, {} operators",
            passing.note,
            n(passing.nakamoto_providers),
            n(passing.nakamoto_operators)
        ))
    }
}

/// IP facts for a snapshot and the databases they came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Located {
    pub facts: GeoFacts,
    pub databases: Vec<String>,
}

/// Rule severities given on the command line (`RULE=SEVERITY`), applied on
/// top of a profile.
pub fn apply_overrides(profile: &mut NetworkProfile, overrides: &BTreeMap<Rule, Setting>) {
    profile
        .rules
        .extend(overrides.iter().map(|(r, s)| (*r, *s)));
}

/// Parses `duplicate-ip=off`.
pub fn parse_override(text: &str) -> std::result::Result<(Rule, Setting), String> {
    let (id, setting) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not RULE=SEVERITY, e.g. duplicate-ip=off"))?;
    let rule = Rule::from_id(id.trim())
        .ok_or_else(|| format!("`{id}` is not a rule; rules: {}", rule_ids().join(", ")))?;
    let setting = Setting::from_name(setting)
        .ok_or_else(|| format!("`{setting}` is not error, warning, info or off"))?;
    Ok((rule, setting))
}

#[cfg(test)]
mod tests;
