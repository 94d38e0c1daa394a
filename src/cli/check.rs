//! `rackaudit check --claims claims.toml [INPUT…]`: a policy gate. Prints
//! every claim with PASS, FAIL or NOT PROVEN (a workload Nakamoto count the
//! search only bounded, with bounds that straddle the claim), the measured
//! value and the margin; exit 0 when all pass, 1 when any fails or is not
//! proven, 2 for a bad claims file or input.
//!
//! Example: rackaudit check --claims claims/seed-disclosure.toml data/vastai/vast_offers_A100SXM4_fieldsubset.json

use super::Format;
use crate::claims::{Status, Verdict, check, parse, unmeasurable};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::report::escape::terminal;
use crate::report::layout::Grid;
use crate::report::operators::json;
use crate::stress::scenarios::Part;
use clap::Args;
use std::fmt::Write;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit check --claims claims/seed-disclosure.toml \\\n      data/vastai/vast_offers_A100SXM4_fieldsubset.json\n  rackaudit check --claims claims/validator-set.toml \\\n      data/cosmos/cosmoshub_validators_2019.json --format json -o verdicts.json\n\nExit codes: 0 every claim passes; 1 a claim fails or is not proven; 2 a bad\nclaims file or input."
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
    #[command(flatten)]
    pub out: super::OutputArgs,
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
    #[command(flatten)]
    pub supply: super::SupplyArgs,
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
    let loaded = args.input.load()?;
    let snapshots: Vec<_> = loaded.iter().map(|(s, _)| s).collect();
    let setup = args.supply.options(&snapshots)?;
    let mut opts = setup.audit_options(entities.clone());
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
    // The resilience curve must reach the largest k a claim names.
    let mut stress_opts = args.scenario.options(
        entities,
        [Part::Baseline, Part::Resilience, Part::Nakamoto].into(),
    )?;
    let k = claims.iter().filter_map(|c| c.k).max().unwrap_or(0);
    stress_opts.max_k = stress_opts.max_k.max(k);
    let mut verdicts: Vec<Verdict> = Vec::new();
    let checks = opts.supply.as_ref();
    for (snapshot, _) in &loaded {
        // One supply check per snapshot gives every basis; one audit (and
        // stress test, sharing its basis' check) per basis the claims use.
        let checked = pipeline::check_supply(snapshot, checks);
        let mut by_basis = std::collections::BTreeMap::new();
        for c in &claims {
            if !by_basis.contains_key(&c.basis) {
                let kind = basis_kind(&c.basis);
                let measured = match crate::supply::basis_of(&checked, kind) {
                    // Without the checks only claimed supply exists.
                    _ if checks.is_none() && kind != crate::supply::BasisKind::Claimed => Err(
                        "the supply checks are off (--no-checks): only claimed supply is measured",
                    ),
                    None => Err("the data carries no online observations"),
                    Some(s) => {
                        let basis_checked = pipeline::check_supply(&s, checks);
                        let resolution = pipeline::resolve(&s, &opts);
                        let a = pipeline::measure(&basis_checked, &resolution, &opts);
                        // Networks without GPUs get a stress result that
                        // says why it is not applicable.
                        let st = if needs_stress {
                            Some(pipeline::stress(
                                &basis_checked,
                                Some((&resolution, &opts.entities)),
                                &workload,
                                &stress_opts,
                            )?)
                        } else {
                            None
                        };
                        Ok((a, st))
                    }
                };
                by_basis.insert(c.basis.clone(), measured);
            }
            verdicts.push(match &by_basis[&c.basis] {
                Ok((a, st)) => check(c, a, st.as_ref()),
                Err(why) => unmeasurable(c, &snapshot.network, why),
            });
        }
    }
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let out = match args.out.format() {
        Format::Json => json(&verdicts),
        Format::Table => text(&verdicts),
        Format::Csv => crate::report::csv::grid(&grid(&verdicts)),
        Format::Md => crate::report::markdown::grid(&grid(&verdicts)),
    };
    args.out.emit(&out)?;
    if failed > 0 {
        return Err(Error::Failed(format!(
            "{failed} of {} did not pass",
            crate::audit::count(Some(verdicts.len()), "claim")
        )));
    }
    Ok(())
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::NotProven => "NOT PROVEN",
    }
}

/// The measured value as printed: the bounds when only they are known.
fn measured_text(v: &Verdict) -> String {
    match v.bounds {
        Some([lo, hi]) => format!(
            "between {} and {}",
            crate::report::num(lo, 4),
            crate::report::num(hi, 4)
        ),
        None => v
            .measured
            .map_or("n/a".to_string(), |m| crate::report::num(m, 4)),
    }
}

/// The verdicts one per line, then the counts.
fn text(verdicts: &[Verdict]) -> Vec<u8> {
    let mut s = String::new();
    for v in verdicts {
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
            "{}  [{}{basis}] {}: measured {}{coverage}{margin}{note}",
            status_word(v.status),
            terminal(&v.network),
            terminal(&v.text),
            measured_text(v),
            note = terminal(&note)
        );
    }
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let unproven = verdicts
        .iter()
        .filter(|v| v.status == Status::NotProven)
        .count();
    let _ = writeln!(
        s,
        "{} checked, {} passed, {} failed, {} not proven",
        crate::audit::count(Some(verdicts.len()), "claim"),
        verdicts.len() - failed,
        failed - unproven,
        unproven
    );
    s.into_bytes()
}

/// One row per verdict, for CSV and Markdown: every figure in its own
/// column, unrounded in CSV's sense (as `num` prints it).
fn grid(verdicts: &[Verdict]) -> Grid {
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    Grid {
        title: "claims".into(),
        header: [
            "status", "network", "basis", "claim", "measured", "lower", "upper", "coverage",
            "margin", "note",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![
            false, false, false, false, true, true, true, true, true, false,
        ],
        rows: verdicts
            .iter()
            .map(|v| {
                vec![
                    status_word(v.status).to_string(),
                    v.network.clone(),
                    v.basis.clone(),
                    v.text.clone(),
                    opt(v.measured),
                    opt(v.bounds.map(|b| b[0])),
                    opt(v.bounds.map(|b| b[1])),
                    opt(v.coverage),
                    opt(v.margin),
                    v.note.clone(),
                ]
            })
            .collect(),
    }
}
