//! The league table: one row per snapshot with the disclosure items side by
//! side, sorted by operators at the profile's first threshold (fewest, the
//! most concentrated, first; n/a last; ties in input order). A data
//! structure first (in the JSON report as `league`), rendered by
//! `layout::league` for the table, Markdown and HTML.

use crate::audit::SnapshotAudit;
use crate::audit::disclosure::NakamotoFigure;
use serde::Serialize;

/// How the rows are sorted, in words.
pub const SORTED_BY: &str =
    "operators at the profile's first threshold, fewest (most concentrated) first; n/a last";

/// One snapshot's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeagueRow {
    /// Position of the snapshot in the report's `snapshots`.
    pub snapshot: usize,
    pub network: String,
    pub input_sha256: String,
    pub weight: crate::audit::Weight,
    /// The profile's first threshold, e.g. `≥1/3`.
    pub threshold: Option<String>,
    pub providers_at_threshold: Option<usize>,
    pub operators_at_threshold: Option<usize>,
    pub max_operator_share: Option<f64>,
    /// If all unlinked supply were one operator, where that is larger.
    pub max_operator_share_worst_case: Option<f64>,
    /// Of the GPUs whose vendor is known.
    pub nvidia_share: Option<f64>,
    /// Of the weight whose cloud is known.
    pub hyperscaler_share: Option<f64>,
    pub largest_country: Option<Place>,
    pub served_after_top3_operator_loss: Option<f64>,
    /// Workload Nakamoto coefficient of operators, where the stress ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_nakamoto: Option<WorkloadNakamoto>,
}

/// A country and its share of the weight whose country is known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub country: String,
    pub share_of_known: f64,
}

/// The workload Nakamoto coefficient of operators, as the league shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadNakamoto {
    pub value: Option<usize>,
    pub exact: bool,
    pub lower_bound: Option<usize>,
    pub upper_bound: Option<usize>,
}

impl LeagueRow {
    fn of(snapshot: usize, s: &SnapshotAudit) -> Self {
        let h = &s.headline;
        let first = h.coalitions.first();
        let resilience = s.disclosure.as_ref().map(|d| &d.resilience);
        let operator = h.operator.as_ref();
        let worst = operator
            .and_then(|o| o.bounds.as_ref())
            .filter(|b| b.unlinked_providers > 0)
            .and_then(|b| b.worst.max_share)
            .filter(|w| operator.and_then(|o| o.max_share).is_none_or(|m| *w > m));
        LeagueRow {
            snapshot,
            network: s.network.clone(),
            input_sha256: s.input_sha256.clone(),
            weight: h.primary_weight,
            threshold: first.map(|c| c.threshold_text()),
            providers_at_threshold: first.and_then(|c| c.provider),
            operators_at_threshold: first.and_then(|c| c.operator),
            max_operator_share: operator.and_then(|o| o.max_share),
            max_operator_share_worst_case: worst,
            nvidia_share: h.nvidia_gpu_share.as_ref().and_then(|n| n.value),
            hyperscaler_share: s.cloud.hyperscaler_share.value,
            largest_country: s.geography.countries.first().map(|c| Place {
                country: c.place.clone(),
                share_of_known: c.share,
            }),
            served_after_top3_operator_loss: resilience
                .filter(|r| r.not_applicable.is_none())
                .and_then(|r| r.served_after_top3()),
            workload_nakamoto: resilience
                .and_then(|r| r.nakamoto.as_ref())
                .filter(|n| n.value.is_some() || n.lower_bound.is_some())
                .map(|n: &NakamotoFigure| WorkloadNakamoto {
                    value: n.value,
                    exact: n.exact,
                    lower_bound: n.lower_bound,
                    upper_bound: n.upper_bound,
                }),
        }
    }
}

/// Every snapshot's row, sorted as [`SORTED_BY`] says.
pub fn rows(snapshots: &[SnapshotAudit]) -> Vec<LeagueRow> {
    let mut rows: Vec<LeagueRow> = snapshots
        .iter()
        .enumerate()
        .map(|(i, s)| LeagueRow::of(i, s))
        .collect();
    rows.sort_by_key(|r| r.operators_at_threshold.unwrap_or(usize::MAX));
    rows
}
