//! `rackaudit stress`: can the network keep serving a workload if its top
//! providers, operators, countries or clouds disappear?
//!
//! Examples:
//!   rackaudit stress                                   # bundled data, default workload
//!   rackaudit stress providers.csv --workload workloads/llm-inference.toml --format json
//!   rackaudit stress offers.json --only baseline,resilience --max-k 5

use super::Format;
use crate::error::Result;
use crate::report::operators::json;
use crate::report::stress::{StressReport, markdown, resilience_csv, table};
use crate::stress::scenarios::Part;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit stress data/cosmos/osmosis1_valset_height471386.json\n  rackaudit stress data/vastai/vast_offers_A100SXM4_fieldsubset.json \\\n      --workload workloads/llm-inference.toml --format json -o stress.json\n  rackaudit stress data/vastai/vast_offers_A100SXM4_fieldsubset.json \\\n      --only baseline,resilience --max-k 5 --level 1/2"
)]
pub struct StressArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    /// Workload profile (TOML); default: workloads/default.toml (built in).
    #[arg(long)]
    pub workload: Option<String>,
    #[command(flatten)]
    pub out: super::OutputArgs,
    /// Parts to run (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "baseline,resilience,single,nakamoto,montecarlo"
    )]
    pub only: Vec<Part>,
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
    #[command(flatten)]
    pub supply: super::SupplyArgs,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
    /// Write the baseline placement instance (demands and bins) of the first
    /// input as JSON, for checking against an external ILP solver.
    #[arg(long, hide = true)]
    pub export_instance: Option<PathBuf>,
}

pub fn run(args: StressArgs) -> Result<()> {
    let (entities, mapping) = args.resolve.options()?;
    let (workload, workload_record) = super::report::load_workload(args.workload.as_deref())?;
    let parts = args.only.iter().copied().chain([Part::Baseline]).collect();
    let opts = args.scenario.options(entities, parts)?;
    let mut inputs = Vec::new();
    let mut results = Vec::new();
    let loaded = args.input.load()?;
    let snapshots: Vec<_> = loaded.iter().map(|(s, _)| s).collect();
    let setup = args.supply.options(&snapshots)?;
    if let (Some(path), Some((snapshot, _))) = (&args.export_instance, loaded.first()) {
        let inst = crate::stress::instance::Instance::new(snapshot, &workload)?;
        crate::output::write_atomic(path, &json(&inst.export()))?;
    }
    let bar = super::term::Steps::new(loaded.len(), "stress test");
    for (snapshot, record) in loaded {
        bar.step(|| format!("stress test of {} (Monte Carlo included)", snapshot.network));
        // Supply that fails error-level checks (overflow sentinels, duplicate
        // listings, …) is not capacity a workload can use (`--no-checks`
        // places on claimed supply). Networks without GPU capacity
        // (stake-only chains) are listed as not applicable.
        let checked = crate::pipeline::check_supply(&snapshot, setup.supply.as_ref());
        results.push(crate::pipeline::stress(&checked, None, &workload, &opts)?);
        inputs.push(record);
        bar.done();
    }
    drop(bar);
    inputs.push(workload_record);
    inputs.extend(mapping);
    inputs.extend(setup.records);
    let report = StressReport::new(inputs, workload, opts, results);
    let bytes = match args.out.format() {
        Format::Table => table(&report),
        Format::Json => json(&report),
        Format::Md => markdown(&report),
        Format::Csv => resilience_csv(&report),
    };
    args.out.emit(&bytes)
}
