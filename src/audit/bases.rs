//! The headline on each supply basis (all claimed supply, supply passing
//! the checks, supply observed online) and the audit's supply section.

use super::{AuditOptions, Dimension, ShareRow, Weight, basis_cells, find_cell, nvidia_gpu_share};
use crate::entities::Resolution;
use crate::model::Snapshot;
use crate::supply::{
    BasisKind, Checked, Finding, RuleSummary, Setting, SupplyCheck, observed_snapshot, profile,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Coalition size at one profile threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BasisThreshold {
    pub label: String,
    pub share: f64,
    /// At least the share, or more than it (the profile says).
    pub holds: crate::metrics::Holds,
    /// Fewest providers holding the share of the weight.
    pub providers: Option<usize>,
    /// Fewest operators holding the share of the weight.
    pub operators: Option<usize>,
}

/// Headline figures on one basis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Basis {
    pub kind: BasisKind,
    pub available: bool,
    /// Why the basis is missing, or what it left out.
    pub note: String,
    pub providers: usize,
    pub operators: usize,
    pub gpus: u64,
    pub weight: Weight,
    pub total_weight: f64,
    pub nakamoto_providers: Option<usize>,
    pub nakamoto_operators: Option<usize>,
    pub thresholds: Vec<BasisThreshold>,
    pub max_operator_share: Option<f64>,
    pub operator_hhi: Option<f64>,
    /// Nvidia's share of the GPUs whose vendor is known (with coverage).
    pub nvidia_gpu_share: Option<crate::audit::KnownShare>,
    /// Largest country, its share of the weight whose country is known.
    pub largest_country: Option<ShareRow>,
    /// Share of the weight whose country is known.
    pub country_coverage: Option<f64>,
}

/// The headline on every basis. `opts` are the audit's options; the bases
/// use the profile's thresholds instead of the audit's tau list.
/// `resolution` is the claimed snapshot's, if already computed.
pub fn bases(
    checked: &Checked<'_>,
    weight: Weight,
    opts: &AuditOptions,
    resolution: Option<&Resolution>,
    claimed: Option<Claimed>,
) -> Vec<Basis> {
    let s = checked.snapshot;
    let Some(check) = &checked.check else {
        return Vec::new();
    };
    let opts = basis_options(check, opts);
    let claimed = match claimed {
        Some(c) => from_cells(BasisKind::Claimed, s, weight, &opts, c, String::new()),
        None => basis(
            BasisKind::Claimed,
            s,
            weight,
            &opts,
            resolution,
            String::new(),
        ),
    };
    let removing: Vec<&Finding> = check
        .findings
        .iter()
        .filter(|f| f.severity == Setting::Error && f.rule.removes_supply())
        .collect();
    let passing_s = &checked.passing;
    let passing = if removing.is_empty() {
        Basis {
            kind: BasisKind::Passing,
            note: "no error-level findings: identical to the claimed basis".into(),
            ..claimed.clone()
        }
    } else {
        let gpus = removing
            .iter()
            .fold(0u64, |sum, f| sum.saturating_add(f.excluded_gpus));
        let dropped = s.providers.len() - passing_s.providers.len();
        let note = format!(
            "{} error-level findings removed {gpus} claimed GPUs{}",
            removing.len(),
            match dropped {
                0 => String::new(),
                1 => " and 1 whole provider".into(),
                n => format!(" and {n} whole providers"),
            }
        );
        basis(BasisKind::Passing, passing_s, weight, &opts, None, note)
    };
    let observed = match observed_snapshot(s, passing_s, &check.findings) {
        Some(o) => {
            let note = format!(
                "{} of {} passing providers were online at the last probe",
                o.providers.len(),
                passing_s.providers.len()
            );
            basis(BasisKind::Observed, &o, weight, &opts, None, note)
        }
        None => Basis {
            kind: BasisKind::Observed,
            available: false,
            note: "the data carries no online observations".into(),
            ..empty(weight)
        },
    };
    vec![claimed, passing, observed]
}

fn empty(weight: Weight) -> Basis {
    Basis {
        kind: BasisKind::Claimed,
        available: true,
        note: String::new(),
        providers: 0,
        operators: 0,
        gpus: 0,
        weight,
        total_weight: 0.0,
        nakamoto_providers: None,
        nakamoto_operators: None,
        thresholds: Vec::new(),
        max_operator_share: None,
        operator_hhi: None,
        nvidia_gpu_share: None,
        largest_country: None,
        country_coverage: None,
    }
}

/// The audit's own measurements of the claimed snapshot, reused as its
/// basis (the claimed basis is the audit's supply).
pub struct Claimed {
    pub cells: Vec<crate::audit::Cell>,
    pub operators: usize,
    pub nvidia: Option<crate::audit::KnownShare>,
}

/// The audit options of the bases: the profile's thresholds instead of the
/// audit's tau list, one top row, no checks of their own.
pub fn basis_options(check: &SupplyCheck, opts: &AuditOptions) -> AuditOptions {
    let mut opts = opts.clone();
    opts.supply = None;
    opts.top_n = 1;
    opts.params.tau = profile::tau_list(&check.thresholds);
    opts
}

fn basis(
    kind: BasisKind,
    s: &Snapshot,
    weight: Weight,
    opts: &AuditOptions,
    resolution: Option<&Resolution>,
    note: String,
) -> Basis {
    let (cells, operators) = basis_cells(s, weight, opts, &opts.params, resolution);
    let measured = Claimed {
        cells,
        operators,
        nvidia: nvidia_gpu_share(s),
    };
    from_cells(kind, s, weight, opts, measured, note)
}

/// A basis from its provider, operator and country cells.
fn from_cells(
    kind: BasisKind,
    s: &Snapshot,
    weight: Weight,
    opts: &AuditOptions,
    measured: Claimed,
    note: String,
) -> Basis {
    let Claimed {
        cells,
        operators,
        nvidia,
    } = measured;
    let cell = |d: Dimension| find_cell(&cells, d, weight);
    let (provider, operator) = (cell(Dimension::Provider), cell(Dimension::Operator));
    let tau = |c: Option<&crate::audit::Cell>, label: &str| {
        c.and_then(|c| {
            c.metrics
                .tau_index
                .0
                .iter()
                .find(|(l, _)| l == label)
                .and_then(|(_, v)| *v)
        })
    };
    let thresholds = opts
        .params
        .tau
        .iter()
        .map(|t| BasisThreshold {
            label: t.label.clone(),
            share: t.value.value(),
            holds: t.value.holds,
            providers: tau(provider, &t.label),
            operators: tau(operator, &t.label),
        })
        .collect();
    Basis {
        kind,
        available: true,
        note,
        providers: s.providers.len(),
        operators,
        gpus: s
            .providers
            .iter()
            .fold(0u64, |sum, p| sum.saturating_add(p.gpu_count())),
        weight,
        total_weight: provider.map_or(0.0, |c| c.attributed_weight + c.unattributed_weight),
        nakamoto_providers: provider.and_then(|c| c.metrics.nakamoto_coefficient),
        nakamoto_operators: operator.and_then(|c| c.metrics.nakamoto_coefficient),
        thresholds,
        max_operator_share: operator.and_then(|c| c.metrics.max_share),
        operator_hhi: operator.and_then(|c| c.metrics.hhi),
        nvidia_gpu_share: nvidia,
        largest_country: cell(Dimension::Country).and_then(|c| c.top.first().cloned()),
        country_coverage: provider.map(|_| cell(Dimension::Country).map_or(0.0, |c| c.coverage())),
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
