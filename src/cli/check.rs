//! `rackaudit check --claims claims.toml [INPUT…]`: a policy gate. Prints
//! every claim with PASS, FAIL or NOT PROVEN (a workload Nakamoto count the
//! search only bounded, with bounds that straddle the claim), the measured
//! value and the margin; exit 0 when all pass, 1 when any fails or is not
//! proven, 2 for a bad claims file or input.
//!
//! Example: rackaudit check --claims claims/seed-disclosure.toml data/vastai/vast_offers_A100SXM4_fieldsubset.json

use crate::audit::AuditOptions;
use crate::claims::{Status, Verdict, check, parse, unmeasurable};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::report::escape::terminal;
use crate::report::operators::json;
use crate::stress::scenarios::{Part, StressOptions};
use clap::Args;
use std::fmt::Write;

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  rackaudit check --claims claims/seed-disclosure.toml data/vastai/vast_offers_A100SXM4_fieldsubset.json"
)]
pub struct CheckArgs {
    /// Claims file (TOML).
    #[arg(long)]
    pub claims: String,
    #[command(flatten)]
    pub input: super::InputArgs,
    /// Workload for stress claims (default: the built-in one).
    #[arg(long)]
    pub workload: Option<String>,
    /// Print the verdicts as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub nakamoto: super::NakamotoArgs,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
}

fn basis_kind(name: &str) -> crate::supply::BasisKind {
    match name {
        "passing" => crate::supply::BasisKind::Passing,
        "observed" => crate::supply::BasisKind::Observed,
        _ => crate::supply::BasisKind::Claimed,
    }
}

pub fn run(args: CheckArgs) -> Result<()> {
    let bytes = crate::sources::read_bytes(&args.claims)?;
    let claims = parse(
        &args.claims,
        crate::sources::Input {
            location: &args.claims,
            bytes: &bytes,
        }
        .text()?,
    )?;
    let (entities, _) = args.resolve.options()?;
    let (workload, _) = super::report::load_workload(args.workload.as_deref())?;
    let mut opts = AuditOptions {
        entities: entities.clone(),
        ..AuditOptions::default()
    };
    // Coalition claims name their thresholds; measure exactly those (each
    // takes the network profile's comparison when the profile names the
    // same share).
    let thresholds: Vec<&str> = claims.iter().filter_map(|c| c.threshold_label()).collect();
    if !thresholds.is_empty() {
        opts.tau_from_profile = false;
        opts.params.tau =
            crate::metrics::parse_labelled(&thresholds.join(","), crate::metrics::parse_threshold)
                .map_err(Error::Usage)?;
    }
    let needs_stress = claims.iter().any(|c| c.stress.is_some());
    let k = claims.iter().filter_map(|c| c.k).max().unwrap_or(0).max(10);
    let stress_opts = StressOptions {
        max_k: k,
        by: crate::audit::Weight::Gpus,
        level: 0.5,
        nakamoto_time_limit: args.nakamoto.limit()?,
        trials: 0,
        seed: 1,
        default_uptime: 1.0,
        parts: [Part::Baseline, Part::Resilience, Part::Nakamoto].into(),
        nakamoto_operators_only: false,
        entities,
    };
    let mut verdicts: Vec<Verdict> = Vec::new();
    let checks = opts.supply.clone().unwrap_or_default();
    for (snapshot, _) in args.input.load()? {
        // One supply check per snapshot gives every basis; one audit (and
        // stress test, sharing its basis' check) per basis the claims use.
        let checked = pipeline::check_supply(&snapshot, Some(&checks));
        let mut by_basis = std::collections::BTreeMap::new();
        for c in &claims {
            if !by_basis.contains_key(&c.basis) {
                let kind = basis_kind(&c.basis);
                let measured = match crate::supply::basis_of(&checked, kind) {
                    None => None,
                    Some(s) => {
                        let basis_checked = pipeline::check_supply(&s, Some(&checks));
                        let resolution = pipeline::resolve(&s, &opts);
                        let a = if opts.supply.is_some() {
                            pipeline::measure(&basis_checked, &resolution, &opts)
                        } else {
                            pipeline::measure(&pipeline::check_supply(&s, None), &resolution, &opts)
                        };
                        // Networks without GPUs get a stress result that
                        // says why it is not applicable.
                        let st = if needs_stress {
                            Some(pipeline::stress(&basis_checked, &workload, &stress_opts)?)
                        } else {
                            None
                        };
                        Some((a, st))
                    }
                };
                by_basis.insert(c.basis.clone(), measured);
            }
            verdicts.push(match &by_basis[&c.basis] {
                Some((a, st)) => check(c, a, st.as_ref()),
                None => unmeasurable(
                    c,
                    &snapshot.network,
                    "the data carries no online observations",
                ),
            });
        }
    }
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let unproven = verdicts
        .iter()
        .filter(|v| v.status == Status::NotProven)
        .count();
    let out = if args.json {
        json(&verdicts)
    } else {
        let mut s = String::new();
        for v in &verdicts {
            let measured = match v.bounds {
                Some([lo, hi]) => format!(
                    "between {} and {}",
                    crate::report::num(lo, 4),
                    crate::report::num(hi, 4)
                ),
                None => v
                    .measured
                    .map_or("n/a".to_string(), |m| crate::report::num(m, 4)),
            };
            let coverage = v.coverage.filter(|c| *c < 1.0).map_or(String::new(), |c| {
                format!(", coverage {}", crate::report::pct(c))
            });
            let margin = v.margin.map_or(String::new(), |m| {
                let sign = if m >= 0.0 { "+" } else { "-" };
                format!(", margin {sign}{}", crate::report::num(m.abs(), 4))
            });
            let note = if v.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.note)
            };
            let basis = if v.basis == "claimed" {
                String::new()
            } else {
                format!(" ({} supply)", v.basis)
            };
            let _ = writeln!(
                s,
                "{}  [{}{basis}] {}: measured {measured}{coverage}{margin}{note}",
                match v.status {
                    Status::Pass => "PASS",
                    Status::Fail => "FAIL",
                    Status::NotProven => "NOT PROVEN",
                },
                terminal(&v.network),
                terminal(&v.text),
                note = terminal(&note)
            );
        }
        let _ = writeln!(
            s,
            "{} checked, {} passed, {} failed, {} not proven",
            crate::audit::count(Some(verdicts.len()), "claim"),
            verdicts.len() - failed,
            failed - unproven,
            unproven
        );
        s.into_bytes()
    };
    crate::output::write_stdout(&out)?;
    if failed > 0 {
        return Err(Error::Failed(format!(
            "{failed} of {} did not pass",
            crate::audit::count(Some(verdicts.len()), "claim")
        )));
    }
    Ok(())
}
