//! The operator listing of `rackaudit entities`: every resolved operator
//! with its providers, its share of each weight, and the evidence that
//! formed it.

use super::{ResolutionSummary, WEIGHTS, Weight, provider_contribution, resolution_summary};
use crate::entities::{self, Confidence, Reason, ResolveOptions};
use crate::model::Snapshot;
use serde::Serialize;
use std::collections::BTreeMap;

/// A provider in an operator listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderRef {
    pub id: String,
    pub name: Option<String>,
    /// `false` for a validator outside the active set (its stake is not
    /// voting power); omitted when the data does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_set: Option<bool>,
}

/// One merge, with provider ids.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceRow {
    pub a: String,
    pub b: String,
    #[serde(flatten)]
    pub reason: Reason,
}

/// One operator with its weights and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorRow {
    pub id: String,
    pub label: Option<String>,
    /// Strongest evidence tier that formed it; `None`: an unlinked provider.
    pub confidence: Option<Confidence>,
    pub providers: Vec<ProviderRef>,
    /// Weight held, per supported weight; `null` when the weight is unknown
    /// for every provider of the operator (no FP16 figure, no price, no
    /// voting stake outside the active set), never 0.
    pub weights: BTreeMap<Weight, Option<f64>>,
    /// Share of the weight known in the snapshot, per supported weight
    /// (`null` where the weight is).
    pub shares: BTreeMap<Weight, Option<f64>>,
    /// The merges that formed the operator.
    pub evidence: Vec<EvidenceRow>,
}

/// Operators of one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotOperators {
    pub network: String,
    pub location: String,
    pub input_sha256: String,
    pub providers: usize,
    pub operators: usize,
    pub unlinked_providers: usize,
    pub resolution: ResolutionSummary,
    /// Weights with a non-zero total, in report order.
    pub weights: Vec<Weight>,
    /// Operators by the first supported weight (GPUs, else stake, else
    /// provider count), largest first; ties by id.
    pub list: Vec<OperatorRow>,
    /// Merges refused because the mapping names the operators apart.
    pub refused: Vec<EvidenceRow>,
}

fn evidence_row(s: &Snapshot, e: &entities::Evidence) -> EvidenceRow {
    EvidenceRow {
        a: s.providers[e.a].id.to_string(),
        b: s.providers[e.b].id.to_string(),
        reason: e.reason.clone(),
    }
}

/// Resolves and lists the operators of a snapshot.
pub fn operators(s: &Snapshot, opts: &ResolveOptions) -> SnapshotOperators {
    let r = entities::resolve(&s.providers, opts);
    let vectors: Vec<_> = s.providers.iter().map(provider_contribution).collect();
    let totals: Vec<f64> = (0..WEIGHTS.len())
        .map(|w| crate::metrics::sum::sum(vectors.iter().map(|v| v.value[w])))
        .collect();
    let weights: Vec<Weight> = WEIGHTS
        .iter()
        .copied()
        .filter(|w| totals[w.index()] > 0.0)
        .collect();
    let mut evidence: Vec<Vec<EvidenceRow>> = vec![Vec::new(); r.operators.len()];
    for e in &r.evidence {
        evidence[r.assignment[e.a]].push(evidence_row(s, e));
    }
    let mut list: Vec<OperatorRow> = r
        .operators
        .iter()
        .zip(evidence)
        .map(|(op, evidence)| {
            let held = |w: Weight| {
                let i = w.index();
                op.members.iter().any(|&m| vectors[m].present[i]).then(|| {
                    crate::metrics::sum::sum(op.members.iter().map(|&m| vectors[m].value[i]))
                })
            };
            OperatorRow {
                id: op.id.clone(),
                label: op.label.clone(),
                confidence: op.confidence,
                providers: op
                    .members
                    .iter()
                    .map(|&m| ProviderRef {
                        id: s.providers[m].id.to_string(),
                        name: s.providers[m].name.as_deref().map(String::from),
                        active_set: s.providers[m].active_set,
                    })
                    .collect(),
                weights: weights.iter().map(|&w| (w, held(w))).collect(),
                shares: weights
                    .iter()
                    .map(|&w| (w, held(w).map(|h| h / totals[w.index()])))
                    .collect(),
                evidence,
            }
        })
        .collect();
    let rank = [Weight::Gpus, Weight::Stake]
        .into_iter()
        .find(|w| weights.contains(w))
        .unwrap_or(Weight::Providers);
    let held = |o: &OperatorRow| o.weights.get(&rank).copied().flatten().unwrap_or(-1.0);
    list.sort_by(|a, b| held(b).total_cmp(&held(a)).then_with(|| a.id.cmp(&b.id)));
    SnapshotOperators {
        network: s.network.clone(),
        location: s.source.location.clone(),
        input_sha256: s.input_sha256.clone(),
        providers: s.providers.len(),
        operators: r.operators.len(),
        unlinked_providers: r.unlinked_count(),
        resolution: resolution_summary(&r, opts),
        weights,
        list,
        refused: r.refused.iter().map(|e| evidence_row(s, e)).collect(),
    }
}
