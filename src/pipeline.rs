//! The pipeline, in one place. Every command runs a prefix of it:
//!
//! 1. **read** — a source adapter turns input bytes into a canonical
//!    [`Snapshot`] (`crate::sources`; the CLI loads files and stores);
//! 2. **check supply** — the network profile's rules flag implausible
//!    claims and give the supply that passes them ([`check_supply`]);
//! 3. **resolve operators** — providers are grouped into the operators
//!    that control them ([`resolve`]);
//! 4. **measure** — every concentration metric, on every supply basis
//!    ([`measure`]);
//! 5. **stress** — the declared workload placed on the passing supply, and
//!    the losses it survives ([`stress`]);
//! 6. **disclose** — the disclosure card of each snapshot, from its audit
//!    and its stress test ([`disclose`]);
//! 7. **publish** — exporters render the results (`crate::report`).
//!
//! Each stage is a function of the previous stages' outputs, computed once
//! and passed on: the supply checks are not run again for the stress test,
//! nor the operators resolved again for the bases.

use crate::audit::disclosure::{AfterLoss, NakamotoFigure, ResilienceFigures, card};
use crate::audit::{AuditOptions, SnapshotAudit};
use crate::entities::{Resolution, ResolveOptions};
use crate::model::Snapshot;
use crate::stress::scenarios::{StressOptions, StressResult, stress_checked};
use crate::stress::workload::Workload;
pub use crate::supply::{Checked, check_supply};

/// Stage 3: operator resolution.
pub fn resolve(snapshot: &Snapshot, opts: &AuditOptions) -> Resolution {
    crate::entities::resolve(&snapshot.providers, &opts.entities)
}

/// Stage 4: the audit of a checked, resolved snapshot.
pub fn measure(
    checked: &Checked<'_>,
    resolution: &Resolution,
    opts: &AuditOptions,
) -> SnapshotAudit {
    crate::audit::measure(checked, resolution, opts)
}

/// Stage 5: the stress test, on the supply passing the checks.
/// `resolved` is stage 3's resolution of the listed snapshot and the
/// options it was made with, when the caller has it: when the checks remove
/// nothing and the options are the stress test's, it is the passing
/// supply's resolution too and is not made again.
pub fn stress(
    checked: &Checked<'_>,
    resolved: Option<(&Resolution, &ResolveOptions)>,
    workload: &Workload,
    opts: &StressOptions,
) -> crate::Result<StressResult> {
    let unchanged = matches!(checked.passing, std::borrow::Cow::Borrowed(_));
    let passing_operators = resolved
        .filter(|(_, with)| unchanged && **with == opts.entities)
        .map(|(r, _)| r);
    stress_checked(
        checked.snapshot,
        &checked.passing,
        workload,
        opts,
        passing_operators,
    )
}

/// Stages 2 and 3 side by side: the supply checks and operator resolution
/// both read only the snapshot, so they run on two cores at once.
pub fn check_and_resolve<'a>(
    snapshot: &'a Snapshot,
    opts: &AuditOptions,
) -> (Checked<'a>, Resolution) {
    rayon::join(
        || check_supply(snapshot, opts.supply.as_ref()),
        || resolve(snapshot, opts),
    )
}

/// Stages 2–4: the audit of one snapshot.
pub fn audit(snapshot: &Snapshot, opts: &AuditOptions) -> SnapshotAudit {
    let (checked, resolution) = check_and_resolve(snapshot, opts);
    measure(&checked, &resolution, opts)
}

/// Stages 2–4 computing only what the headline rows of `history` read
/// (see [`crate::audit::Scope::Headline`]).
pub fn audit_headline(snapshot: &Snapshot, opts: &AuditOptions) -> SnapshotAudit {
    let (checked, resolution) = check_and_resolve(snapshot, opts);
    crate::audit::measure_scoped(&checked, &resolution, opts, crate::audit::Scope::Headline)
}

/// Stages 2–6: the audit and the stress test of one snapshot, sharing one
/// supply check and, when `stress_opts` resolve operators as the audit
/// does, one operator resolution; and the audit's disclosure card from
/// both.
pub fn audit_and_stress(
    snapshot: &Snapshot,
    opts: &AuditOptions,
    workload: &Workload,
    stress_opts: &StressOptions,
) -> crate::Result<(SnapshotAudit, StressResult)> {
    let (checked, resolution) = check_and_resolve(snapshot, opts);
    // Measuring and the stress test read the same checked, resolved
    // snapshot and much of the stress test is one search: side by side.
    let (mut audit, stressed) = rayon::join(
        || measure(&checked, &resolution, opts),
        || {
            stress(
                &checked,
                Some((&resolution, &opts.entities)),
                workload,
                stress_opts,
            )
        },
    );
    let stressed = stressed?;
    disclose(
        &mut audit,
        &resilience_figures(&stressed, workload, &checked.passing),
    );
    Ok((audit, stressed))
}

/// Stage 6: the disclosure card, with the stress test's figures.
pub fn disclose(audit: &mut SnapshotAudit, resilience: &ResilienceFigures) {
    audit.disclosure = Some(card(audit, resilience));
}

/// What the card reads from a stress result on `placed`, the snapshot the
/// workload was placed on.
fn resilience_figures(
    st: &StressResult,
    workload: &Workload,
    placed: &Snapshot,
) -> ResilienceFigures {
    let mut r = ResilienceFigures {
        workload: workload.name.clone(),
        not_applicable: st.not_applicable.clone(),
        baseline: st.baseline.as_ref().map(|b| b.served_fraction),
        unknown_memory_gpus: crate::stress::scenarios::unknown_memory_gpus(placed, workload),
        ..Default::default()
    };
    if let Some(res) = &st.resilience {
        r.by = Some(res.by);
        r.after_operators = res
            .operators
            .iter()
            .map(|s| AfterLoss {
                k: s.k,
                served_fraction: s.served_fraction,
                exact: s.exact,
            })
            .collect();
    }
    r.nakamoto = st.workload_nakamoto.as_ref().map(|n| NakamotoFigure {
        level: n.level,
        value: n.operators.value,
        exact: n.operators.exact,
        lower_bound: n.operators.lower_bound,
        upper_bound: n.operators.upper_bound,
        reason: n.operators.reason.clone(),
    });
    r
}

/// The card's resilience row when no stress test ran.
pub fn not_stressed(why: &str) -> ResilienceFigures {
    ResilienceFigures {
        not_measured: Some(why.to_string()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::LinkKind;
    use crate::stress::scenarios::Part;

    /// Two providers one declared operator runs, and a third alone.
    fn snapshot() -> Snapshot {
        let csv = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n\
                   a,op-1,,US,,,,,nvidia,H100 SXM,8,80,,,\n\
                   b,op-1,,US,,,,,nvidia,H100 SXM,8,80,,,\n\
                   c,op-2,,DE,,,,,nvidia,H100 SXM,4,80,,,\n";
        crate::sources::generic_csv::read_rows("t.csv", csv.as_bytes(), csv.len() as u64).unwrap()
    }

    #[test]
    fn the_stress_test_reuses_a_resolution_only_made_with_its_options() {
        let s = snapshot();
        let workload = crate::stress::workload::parse(
            "w",
            "name = \"w\"\n[[class]]\nname = \"one\"\nreplicas = 16\ngpus_per_replica = 1\n",
        )
        .unwrap();
        let audit_options = ResolveOptions::default();
        let merged = crate::entities::resolve(&s.providers, &audit_options);
        assert_eq!(merged.operators.len(), 2);
        let checked = check_supply(&s, None);
        let result = |opts: &StressOptions, resolved| {
            let r = stress(&checked, resolved, &workload, opts).unwrap();
            serde_json::to_string(&r).unwrap()
        };
        // The stress test ignores declared operators: the audit's
        // resolution, which merged a and b, must not be reused.
        let mut split = StressOptions {
            parts: [Part::Baseline, Part::Resilience].into(),
            ..StressOptions::standard(audit_options.clone())
        };
        split.entities.disabled.insert(LinkKind::Declared);
        let own = result(&split, None);
        assert_eq!(result(&split, Some((&merged, &audit_options))), own);
        assert!(own.contains("provider:a"), "{own}");
        // With the same options it is reused, and gives the same result.
        let same = StressOptions {
            entities: audit_options.clone(),
            ..split
        };
        assert_eq!(
            result(&same, Some((&merged, &audit_options))),
            result(&same, None)
        );
    }
}
