//! `rackaudit stress`: can the network keep serving a workload if its top
//! providers, operators, countries or clouds disappear?
//!
//! Examples:
//!   rackaudit stress                                   # bundled data, default workload
//!   rackaudit stress providers.csv --workload workloads/llm-inference.toml --format json
//!   rackaudit stress offers.json --only baseline,resilience --max-k 5

use crate::error::{Error, Result};
use crate::report::operators::json;
use crate::report::stress::{StressReport, markdown, table};
use crate::stress::scenarios::{Part, StressOptions};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output formats of `stress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Md,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rackaudit stress\n  rackaudit stress providers.csv --workload workloads/llm-inference.toml --format json\n  rackaudit stress offers.json --only baseline,resilience --max-k 5"
)]
pub struct StressArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    /// Workload profile (TOML); default: workloads/default.toml (built in).
    #[arg(long)]
    pub workload: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Parts to run (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "baseline,resilience,single,nakamoto,montecarlo"
    )]
    pub only: Vec<Part>,
    /// Served fraction the workload Nakamoto coefficient must drop below
    /// (above 0, at most 1).
    #[arg(long, default_value_t = 0.5)]
    pub level: f64,
    /// Largest k of the resilience curves (at least 1).
    #[arg(long, default_value_t = 10)]
    pub max_k: usize,
    /// Weight that ranks providers and operators for removal.
    #[arg(long, default_value = "gpus")]
    pub by: String,
    /// Monte Carlo trials (at least 1).
    #[arg(long, default_value_t = 1000)]
    pub trials: u64,
    /// Monte Carlo seed (same seed, same result, whatever the thread count).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Up-probability of providers without a known uptime.
    #[arg(long, default_value_t = 1.0)]
    pub default_uptime: f64,
    #[command(flatten)]
    pub nakamoto: super::NakamotoArgs,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
    /// Write the baseline placement instance (demands and bins) of the first
    /// input as JSON, for checking against an external ILP solver.
    #[arg(long, hide = true)]
    pub export_instance: Option<PathBuf>,
}

fn weight_named(name: &str) -> Result<crate::audit::Weight> {
    crate::audit::WEIGHTS
        .iter()
        .copied()
        .find(|w| w.name() == name)
        .ok_or_else(|| Error::Usage(format!("--by: unknown weight `{name}`")))
}

pub fn run(args: StressArgs) -> Result<()> {
    if !(args.level > 0.0 && args.level <= 1.0) {
        return Err(Error::Usage(
            "--level must lie above 0 and at most 1 (served demand never drops below 0%)".into(),
        ));
    }
    if !(0.0..=1.0).contains(&args.default_uptime) {
        return Err(Error::Usage(
            "--default-uptime must lie between 0 and 1".into(),
        ));
    }
    if args.trials == 0 {
        return Err(Error::Usage("--trials must be at least 1".into()));
    }
    if args.max_k == 0 {
        return Err(Error::Usage(
            "--max-k must be at least 1 (k = 0 is the baseline)".into(),
        ));
    }
    let (entities, mapping) = args.resolve.options()?;
    let (workload, workload_record) = super::report::load_workload(args.workload.as_deref())?;
    let opts = StressOptions {
        max_k: args.max_k,
        by: weight_named(&args.by)?,
        level: args.level,
        nakamoto_time_limit: args.nakamoto.limit()?,
        trials: args.trials,
        seed: args.seed,
        default_uptime: args.default_uptime,
        parts: args.only.iter().copied().chain([Part::Baseline]).collect(),
        nakamoto_operators_only: false,
        entities,
    };
    let mut inputs = Vec::new();
    let mut results = Vec::new();
    let loaded = args.input.load()?;
    if let (Some(path), Some((snapshot, _))) = (&args.export_instance, loaded.first()) {
        let inst = crate::stress::instance::Instance::new(snapshot, &workload)?;
        crate::output::write_atomic(path, &json(&inst.export()))?;
    }
    for (snapshot, record) in loaded {
        // Supply that fails error-level checks (overflow sentinels, duplicate
        // listings, …) is not capacity a workload can use. Networks without
        // GPU capacity (stake-only chains) are listed as not applicable.
        let default_checks = crate::supply::SupplyOptions::default();
        let checked = crate::pipeline::check_supply(&snapshot, Some(&default_checks));
        results.push(crate::pipeline::stress(&checked, &workload, &opts)?);
        inputs.push(record);
    }
    inputs.push(workload_record);
    inputs.extend(mapping);
    let report = StressReport::new(inputs, workload, opts, results);
    let bytes = match args.format {
        Format::Table => table(&report),
        Format::Json => json(&report),
        Format::Md => markdown(&report),
    };
    super::emit(args.output.as_deref(), &bytes)
}
