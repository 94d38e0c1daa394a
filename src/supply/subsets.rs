//! The supply each basis counts: all claimed supply, supply passing the
//! checks, and supply a probe observed online.

use super::{Finding, Rule, Setting};
use crate::model::Snapshot;
use serde::Serialize;
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
pub fn observed_snapshot(
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
