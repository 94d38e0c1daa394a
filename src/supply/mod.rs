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

pub mod geoip;
mod rules;
mod subsets;

pub use crate::profile::{self, Family, NetworkProfile, RULES, Rule, Setting, rule_ids};
pub use geoip::{GeoFact, GeoFacts, GeoIp};
pub use subsets::{BasisKind, observed_snapshot, passing_snapshot};

use crate::model::Snapshot;
use serde::Serialize;
use std::collections::BTreeMap;

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
    use rayon::prelude::*;
    let ctx = rules::Context {
        snapshot: s,
        params: &profile.checks,
        geo,
    };
    // Rules are independent: the per-provider ones share one pass over the
    // providers, the others are passes of their own; all run side by side
    // and findings are kept in rule order.
    let on = |rule: Rule| profile.setting(rule) != Setting::Off;
    let fused = |rule: Rule| rules::per_provider_rule(rule).filter(|_| on(rule));
    let checks: Vec<rules::ProviderRule> = RULES.iter().filter_map(|&r| fused(r)).collect();
    let (per_provider, mut per_rule) = rayon::join(
        || rules::per_provider_findings(&ctx, &checks),
        || {
            RULES
                .par_iter()
                .map(|&rule| {
                    if !on(rule) || fused(rule).is_some() {
                        return Vec::new();
                    }
                    rules::run(rule, &ctx)
                })
                .collect::<Vec<Vec<Finding>>>()
        },
    );
    let mut per_provider = per_provider.into_iter();
    for (found, &rule) in per_rule.iter_mut().zip(&RULES) {
        if fused(rule).is_some() {
            *found = per_provider.next().unwrap_or_default();
        }
        let severity = profile.setting(rule);
        for f in found.iter_mut() {
            f.severity = severity;
            if severity != Setting::Error || !rule.removes_supply() {
                f.excluded_gpus = 0;
            }
        }
    }
    let findings: Vec<Finding> = per_rule.into_iter().flatten().collect();
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

/// The supply-check stage's output: the findings (`None` when checks are
/// off) and the supply that passes them, computed once and passed on to
/// the measure and stress stages.
#[derive(Debug, Clone)]
pub struct Checked<'a> {
    pub snapshot: &'a Snapshot,
    pub check: Option<SupplyCheck>,
    /// Claimed supply minus the subjects of error-level findings: the
    /// snapshot itself when nothing is removed or checks are off.
    pub passing: std::borrow::Cow<'a, Snapshot>,
}

/// The supply-check stage: runs the checks of the snapshot's profile.
pub fn check_supply<'a>(s: &'a Snapshot, so: Option<&SupplyOptions>) -> Checked<'a> {
    let Some(so) = so else {
        return Checked {
            snapshot: s,
            check: None,
            passing: std::borrow::Cow::Borrowed(s),
        };
    };
    Checked::new(s, check(s, &so.profile_for(s), so.geo.as_ref()))
}

impl<'a> Checked<'a> {
    /// A snapshot with its check: the passing supply is derived here.
    pub fn new(s: &'a Snapshot, check: SupplyCheck) -> Self {
        let removes = check
            .findings
            .iter()
            .any(|f| f.severity == Setting::Error && f.rule.removes_supply());
        let passing = if removes {
            std::borrow::Cow::Owned(passing_snapshot(s, &check.findings))
        } else {
            std::borrow::Cow::Borrowed(s)
        };
        Checked {
            snapshot: s,
            check: Some(check),
            passing,
        }
    }
}

/// The snapshot of one basis, from the supply-check stage: claimed as is,
/// passing, or observed (`None` when the data has no online observations).
pub fn basis_of<'a>(
    checked: &'a Checked<'_>,
    kind: BasisKind,
) -> Option<std::borrow::Cow<'a, Snapshot>> {
    use std::borrow::Cow;
    match (kind, &checked.check) {
        (BasisKind::Claimed, _) | (_, None) => Some(Cow::Borrowed(checked.snapshot)),
        (BasisKind::Passing, Some(_)) => Some(Cow::Borrowed(&*checked.passing)),
        (BasisKind::Observed, Some(c)) => {
            observed_snapshot(checked.snapshot, &checked.passing, &c.findings).map(Cow::Owned)
        }
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
    let ids = rule_ids();
    let rule = Rule::from_id(id.trim()).ok_or_else(|| {
        format!(
            "`{id}` is not a rule; rules: {}{}",
            ids.join(", "),
            crate::suggest::hint(id, ids.iter().copied())
        )
    })?;
    let setting = Setting::from_name(setting).ok_or_else(|| {
        format!(
            "`{setting}` is not error, warning, info or off{}",
            crate::suggest::hint(setting, ["error", "warning", "info", "off"])
        )
    })?;
    Ok((rule, setting))
}

#[cfg(test)]
mod tests;
