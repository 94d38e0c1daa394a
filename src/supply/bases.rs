//! The three bases of an audit: all claimed supply, supply passing the
//! checks, and supply a probe observed online.

use super::{Finding, Rule, Setting, SupplyCheck};
use crate::audit::{
    AuditOptions, Dimension, ShareRow, Weight, basis_cells, find_cell, nvidia_gpu_share,
};
use crate::entities::Resolution;
use crate::metrics::Labelled;
use crate::model::Snapshot;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Which supply a basis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BasisKind {
    /// Everything the data claims.
    Claimed,
    /// Claimed supply minus the subjects of `error` findings.
    Passing,
    /// Passing supply that a probe found online (and not stale).
    Observed,
}

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

/// The claimed snapshot minus the subjects of `error` findings that remove
/// supply: whole providers, or single GPU groups.
pub fn passing_snapshot(s: &Snapshot, findings: &[Finding]) -> Snapshot {
    let removing = |f: &&Finding| f.severity == Setting::Error && f.rule.removes_supply();
    let dropped: BTreeSet<&str> = findings
        .iter()
        .filter(removing)
        .filter(|f| f.gpu_group.is_none())
        .map(|f| f.provider.as_str())
        .collect();
    // GPUs to take off each (provider, group): a whole group for an
    // overflow sentinel, only the repeated rows for a duplicate listing.
    let mut cuts: BTreeMap<(&str, usize), u64> = BTreeMap::new();
    for f in findings.iter().filter(removing) {
        if let Some(i) = f.gpu_group {
            let cut = cuts.entry((f.provider.as_str(), i)).or_insert(0);
            *cut = cut.saturating_add(f.excluded_gpus);
        }
    }
    let mut out = s.clone();
    out.providers.retain(|p| !dropped.contains(p.id.as_str()));
    for p in &mut out.providers {
        let id = p.id.clone();
        let mut i = 0;
        p.gpus.retain_mut(|g| {
            let cut = cuts.get(&(id.as_str(), i));
            i += 1;
            let Some(cut) = cut else { return true };
            g.count = g.count.saturating_sub(*cut);
            g.duplicated = 0;
            g.count > 0
        });
    }
    out
}

/// The passing snapshot restricted to providers a probe found online, or
/// `None` when the data carries no online observations.
pub(super) fn observed_snapshot(
    claimed: &Snapshot,
    passing: &Snapshot,
    findings: &[Finding],
) -> Option<Snapshot> {
    if claimed.providers.iter().all(|p| p.online.is_none()) {
        return None;
    }
    let stale: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.rule == Rule::StaleOnline)
        .map(|f| f.provider.as_str())
        .collect();
    let mut out = passing.clone();
    out.providers
        .retain(|p| p.online == Some(true) && !stale.contains(p.id.as_str()));
    Some(out)
}

/// The headline on every basis. `opts` are the audit's options; the bases
/// use the profile's thresholds instead of the audit's tau list.
/// `resolution` is the claimed snapshot's, if already computed.
pub fn bases(
    s: &Snapshot,
    check: &SupplyCheck,
    weight: Weight,
    opts: &AuditOptions,
    resolution: Option<&Resolution>,
) -> Vec<Basis> {
    let mut opts = opts.clone();
    opts.supply = None;
    opts.top_n = 1;
    opts.params.tau = check
        .thresholds
        .iter()
        .map(|t| Labelled {
            label: t.label.clone(),
            value: t.exact,
        })
        .collect();
    let claimed = basis(
        BasisKind::Claimed,
        s,
        weight,
        &opts,
        resolution,
        String::new(),
    );
    let removing: Vec<&Finding> = check
        .findings
        .iter()
        .filter(|f| f.severity == Setting::Error && f.rule.removes_supply())
        .collect();
    let passing_s = if removing.is_empty() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(passing_snapshot(s, &check.findings))
    };
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
        basis(BasisKind::Passing, &passing_s, weight, &opts, None, note)
    };
    let observed = match observed_snapshot(s, &passing_s, &check.findings) {
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

fn basis(
    kind: BasisKind,
    s: &Snapshot,
    weight: Weight,
    opts: &AuditOptions,
    resolution: Option<&Resolution>,
    note: String,
) -> Basis {
    let (cells, operators) = basis_cells(s, weight, opts, &opts.params, resolution);
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
        nvidia_gpu_share: nvidia_gpu_share(s),
        largest_country: cell(Dimension::Country).and_then(|c| c.top.first().cloned()),
        country_coverage: provider.map(|_| cell(Dimension::Country).map_or(0.0, |c| c.coverage())),
    }
}
