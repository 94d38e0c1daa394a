//! `rackaudit audit`: concentration audit of one or more snapshots.
//!
//! Examples:
//!   rackaudit audit                           # the bundled real snapshots
//!   rackaudit audit providers.csv --format json
//!   rackaudit audit validators.json --source cosmos --format md -o report.md

use super::Format;
use super::report::load_workload;
use crate::audit::AuditOptions;
use crate::error::Result;
use crate::pipeline::{audit, audit_and_stress, disclose, not_stressed};
use crate::report::{AuditReport, Exporter};
use crate::stress::scenarios::StressOptions;
use clap::Args;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit audit\n  rackaudit audit data/cosmos/osmosis1_valset_height471386.json --format json\n  rackaudit audit data/cosmos/celestia_validators_vp_2025-07.json \\\n      --format md -o celestia.md\n  rackaudit audit --snapshot latest:osmosis-1 --no-stress --top-n 5"
)]
pub struct AuditArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    #[command(flatten)]
    pub out: super::OutputArgs,
    #[command(flatten)]
    pub metric: super::MetricParams,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
    #[command(flatten)]
    pub supply: super::SupplyArgs,
    #[command(flatten)]
    pub top: super::TopArgs,
    /// Workload of the disclosure card's resilience row (default: the
    /// built-in one, as `report` and `stress` use).
    #[arg(long)]
    pub workload: Option<String>,
    /// Skip the stress test behind the card's resilience row (baseline,
    /// resilience curve, workload Nakamoto coefficient): for very large
    /// networks, where it takes longer than the audit. The row then reads
    /// "not measured".
    #[arg(long, conflicts_with = "workload")]
    pub no_stress: bool,
    #[command(flatten)]
    pub nakamoto: super::NakamotoArgs,
}

pub fn run(args: AuditArgs) -> Result<()> {
    let (entities, mapping) = args.resolve.options()?;
    let loaded = args.input.load()?;
    let snapshots: Vec<_> = loaded.iter().map(|(s, _)| s).collect();
    let setup = args.supply.options(&snapshots)?;
    let opts = AuditOptions {
        params: args.metric.params()?,
        tau_from_profile: args.metric.tau_from_profile(),
        top_n: args.top.top_n,
        entities,
        supply: setup.supply,
        profile: setup.profile,
    };
    let mut inputs = Vec::new();
    let mut audits = Vec::new();
    let stress = if args.no_stress {
        None
    } else {
        let stress_opts = StressOptions {
            nakamoto_time_limit: args.nakamoto.limit()?,
            ..StressOptions::card(opts.entities.clone())
        };
        Some((load_workload(args.workload.as_deref())?, stress_opts))
    };
    let bar = super::term::Steps::new(loaded.len(), "auditing snapshots");
    let count = loaded.len();
    for (i, (snapshot, record)) in loaded.into_iter().enumerate() {
        bar.step(|| format!("auditing {}", snapshot.network));
        let audited = match &stress {
            None => {
                let mut a = audit(&snapshot, &opts);
                disclose(
                    &mut a,
                    &not_stressed("run without the stress test (--no-stress)"),
                );
                a
            }
            Some(((workload, _), stress_opts)) => {
                audit_and_stress(&snapshot, &opts, workload, stress_opts)?.0
            }
        };
        audits.push(audited);
        inputs.push(record);
        bar.done();
        // Earlier snapshots are freed for the next audit to reuse.
        if i + 1 == count {
            super::left_to_exit(snapshot);
        }
    }
    drop(bar);
    inputs.extend(stress.map(|((_, record), _)| record));
    inputs.extend(mapping);
    inputs.extend(setup.records);
    let report = AuditReport::new(inputs, &opts, audits);
    let bytes = match args.out.format() {
        Format::Table => args.out.table().render(&report),
        Format::Json => crate::report::json::Json.render(&report),
        Format::Csv => crate::report::csv::Csv.render(&report),
        Format::Md => crate::report::markdown::Markdown.render(&report),
    };
    args.out.emit(&bytes)
}
