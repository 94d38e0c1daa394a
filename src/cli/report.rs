//! `rackaudit report`: the publishable report of one or more snapshots:
//! `report.json` (audit + operators + stress test), `report.md`,
//! self-contained `report.html`, `shares_<dimension>.csv` and
//! `resilience.csv`, each written atomically into `--out DIR`.
//!
//! Example: rackaudit report --out out/        # the bundled real data

use crate::audit::{AuditOptions, audit, operators::operators};
use crate::error::{Error, Result};
use crate::model::Snapshot;
use crate::report::full::{FullReport, generated_at, markdown, resilience_table, share_tables};
use crate::report::operators::{EntitiesReport, json};
use crate::report::stress::StressReport;
use crate::report::{AuditReport, InputRecord};
use crate::stress::scenarios::{StressOptions, stress};
use crate::stress::workload::{DEFAULT_WORKLOAD, Workload, parse};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rackaudit report --out out/\n  rackaudit report providers.csv --workload workloads/llm-inference.toml --out report/"
)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    /// Workload profile of the stress test (default: the built-in one).
    #[arg(long)]
    pub workload: Option<String>,
    /// Directory to write the report files into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Largest entities listed per dimension and weight.
    #[arg(long, default_value_t = 25)]
    pub top_n: usize,
    /// Monte Carlo trials of the stress test (at least 1).
    #[arg(long, default_value_t = 1000)]
    pub trials: u64,
    #[command(flatten)]
    pub metric: super::MetricParams,
    #[command(flatten)]
    pub supply: super::SupplyArgs,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
}

/// Reads a workload file, or the built-in default, with its input record.
pub fn load_workload(path: Option<&str>) -> Result<(Workload, InputRecord)> {
    match path {
        Some(path) => {
            let bytes = crate::sources::read_bytes(path)?;
            let input = crate::sources::Input {
                location: path,
                bytes: &bytes,
            };
            let w = parse(path, input.text()?)?;
            Ok((
                w,
                InputRecord {
                    location: path.to_string(),
                    sha256: input.sha256(),
                    adapter: "workload".into(),
                },
            ))
        }
        None => Ok((
            parse("bundled:workloads/default.toml", DEFAULT_WORKLOAD)?,
            InputRecord {
                location: "bundled:workloads/default.toml".into(),
                sha256: crate::sources::sha256_hex(DEFAULT_WORKLOAD.as_bytes()),
                adapter: "workload".into(),
            },
        )),
    }
}

/// Everything a report is computed from.
pub struct ReportInputs {
    pub snapshots: Vec<(Snapshot, InputRecord)>,
    pub audit: AuditOptions,
    pub stress: StressOptions,
    pub workload: (Workload, InputRecord),
    /// Operator mapping, network profile and GeoIP files, if given.
    pub extra: Vec<InputRecord>,
}

/// Computes the full report (pure apart from the time stamp given).
pub fn build(inputs: ReportInputs, generated: String) -> Result<FullReport> {
    let ReportInputs {
        snapshots,
        audit: opts,
        stress: stress_opts,
        workload: (workload, workload_record),
        extra,
    } = inputs;
    let mut records = Vec::new();
    let mut audits = Vec::new();
    let mut listings = Vec::new();
    let mut stressed = Vec::new();
    for (s, record) in &snapshots {
        audits.push(audit(s, &opts));
        listings.push(operators(s, &opts.entities));
        let supply = crate::supply::passing_supply(s, opts.supply.as_ref());
        if supply.providers.iter().any(|p| p.gpu_count() > 0) {
            stressed.push(stress(&supply, &workload, &stress_opts)?);
        }
        records.push(record.clone());
    }
    let mut all = records.clone();
    all.push(workload_record);
    all.extend(extra.iter().cloned());
    let mut audit_inputs = records.clone();
    audit_inputs.extend(extra);
    let audit_report = AuditReport::new(audit_inputs, &opts, audits);
    let entities = EntitiesReport::new(records, listings);
    let stress_report = StressReport::new(all, workload, stress_opts, stressed);
    Ok(FullReport::new(
        audit_report,
        entities,
        stress_report,
        generated,
    ))
}

pub fn run(args: ReportArgs) -> Result<()> {
    if args.trials == 0 {
        return Err(Error::Usage("--trials must be at least 1".into()));
    }
    let (entities, mapping) = args.resolve.options()?;
    let snapshots = args.input.load()?;
    let refs: Vec<_> = snapshots.iter().map(|(s, _)| s).collect();
    let (supply, supply_inputs) = args.supply.options(&refs)?;
    let inputs = ReportInputs {
        snapshots,
        audit: AuditOptions {
            params: args.metric.params()?,
            top_n: args.top_n,
            entities: entities.clone(),
            supply,
        },
        stress: StressOptions {
            trials: args.trials,
            ..StressOptions::standard(entities)
        },
        workload: load_workload(args.workload.as_deref())?,
        extra: mapping.into_iter().chain(supply_inputs).collect(),
    };
    let report = build(inputs, generated_at())?;
    write_all(&args.out, &report)
}

/// Writes every report file into `dir`, each atomically.
pub fn write_all(dir: &std::path::Path, r: &FullReport) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.display().to_string(),
        action: "cannot create directory",
        source: e,
    })?;
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("report.json".into(), json(r)),
        ("report.md".into(), markdown(r)),
        ("report.html".into(), crate::report::html::render(r)),
        ("resilience.csv".into(), resilience_table(r)),
    ];
    files.extend(share_tables(r));
    let files: Vec<(PathBuf, Vec<u8>)> = files
        .into_iter()
        .map(|(name, bytes)| (dir.join(name), bytes))
        .collect();
    crate::output::write_all_atomic(&files)
}
