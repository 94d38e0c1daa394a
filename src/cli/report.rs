//! `rackaudit report`: the publishable report of one or more snapshots:
//! `report.json` (audit + operators + stress test), `report.md`,
//! self-contained `report.html`, `shares_<dimension>.csv` and
//! `resilience.csv`, each written atomically into `--out-dir DIR`. report.json
//! lists the other files with their sha256 and length; files an earlier
//! report left in DIR that this one does not write are removed.
//!
//! Example: rackaudit report --out-dir out/        # the bundled real data

use crate::audit::{AuditOptions, DIMENSIONS, operators::operators};
use crate::error::{Error, Result};
use crate::model::Snapshot;
use crate::output::FileRecord;
use crate::report::full::{FullReport, generated_at, markdown, resilience_table, share_tables};
use crate::report::operators::{EntitiesReport, json};
use crate::report::stress::StressReport;
use crate::report::{AuditReport, InputRecord};
use crate::sources::sha256_hex;
use crate::stress::scenarios::StressOptions;
use crate::stress::workload::{DEFAULT_WORKLOAD, Workload, parse};
use clap::Args;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit report --out-dir out/\n  rackaudit report data/vastai/vast_offers_A100SXM4_fieldsubset.json \\\n      --workload workloads/llm-inference.toml --out-dir vast-report/"
)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    /// Workload profile of the stress test (default: the built-in one).
    #[arg(long)]
    pub workload: Option<String>,
    /// Directory to write the report files into (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "out")]
    pub out_dir: Option<PathBuf>,
    /// The spelling of --out-dir before 0.2 (deprecated; still works).
    #[arg(long, hide = true, value_name = "DIR", conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub top: super::TopArgs,
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
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
    let bar = super::term::Steps::new(snapshots.len(), "report");
    for (s, record) in &snapshots {
        bar.step(|| format!("audit and stress test of {}", s.network));
        // Every snapshot gets a stress result; without GPUs it says why
        // it is not applicable.
        let (a, st) = crate::pipeline::audit_and_stress(s, &opts, &workload, &stress_opts)?;
        bar.done();
        audits.push(a);
        stressed.push(st);
        listings.push(operators(s, &opts.entities));
        records.push(record.clone());
    }
    drop(bar);
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
    let dir = match (&args.out_dir, &args.out) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => {
            super::term::warn(
                "report",
                "--out DIR is deprecated: use --out-dir DIR (-o/--output always names a file)",
            );
            d.clone()
        }
        (None, None) => return Err(Error::Usage("report needs --out-dir DIR".into())),
    };
    let (entities, mapping) = args.resolve.options()?;
    let snapshots = args.input.load()?;
    let refs: Vec<_> = snapshots.iter().map(|(s, _)| s).collect();
    let setup = args.supply.options(&refs)?;
    let supply_inputs = setup.records;
    let inputs = ReportInputs {
        snapshots,
        audit: AuditOptions {
            params: args.metric.params()?,
            tau_from_profile: args.metric.tau_from_profile(),
            top_n: args.top.top_n,
            entities: entities.clone(),
            supply: setup.supply,
            profile: setup.profile,
        },
        stress: args
            .scenario
            .options(entities, StressOptions::standard(Default::default()).parts)?,
        workload: load_workload(args.workload.as_deref())?,
        extra: mapping.into_iter().chain(supply_inputs).collect(),
    };
    let mut report = build(inputs, generated_at())?;
    write_all(&dir, &mut report)
}

/// Renders every file of the report and records all of them but
/// report.json in `r.files` (sorted by path, hashed over the exact bytes
/// returned). report.json, which carries that list, comes last. `verify`
/// calls this on its recomputed report to re-render the files.
pub fn render(r: &mut FullReport) -> Vec<(String, Vec<u8>)> {
    // The other files never show the list, but clear it so that what they
    // contain cannot depend on an earlier one.
    r.files.clear();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("report.md".into(), markdown(r)),
        ("report.html".into(), crate::report::html::render(r)),
        ("resilience.csv".into(), resilience_table(r)),
    ];
    files.extend(share_tables(r));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    r.files = files
        .iter()
        .map(|(name, bytes)| FileRecord::of(name, bytes))
        .collect();
    files.push((REPORT_JSON.into(), json(r)));
    files
}

pub const REPORT_JSON: &str = "report.json";

/// Whether `name` is one `report` writes (or wrote before report.json
/// listed its files): report.md, report.html, resilience.csv and
/// shares_<dimension>.csv for the dimensions rackaudit knows.
pub fn is_report_file_name(name: &str) -> bool {
    matches!(name, "report.md" | "report.html" | "resilience.csv")
        || name
            .strip_prefix("shares_")
            .and_then(|n| n.strip_suffix(".csv"))
            .is_some_and(|dim| DIMENSIONS.iter().any(|d| d.name() == dim))
}

/// A plain file name, the only kind of path a report's `files` may list
/// (nothing outside the report's directory, no sub-directories).
pub fn is_plain_name(path: &str) -> bool {
    !path.is_empty() && path != "." && path != ".." && !path.contains(['/', '\\', '\0'])
}

/// Whether JSON is a report.json written by `rackaudit report` (the fields
/// every FullReport serialises).
pub fn is_rackaudit_report(v: &Value) -> bool {
    v["schema_version"].is_string()
        && v["tool_version"].is_string()
        && v["methodology_version"].is_string()
        && v["inputs"].is_array()
        && v["methodology"].is_object()
        && v["audit"].is_object()
        && v["operators"].is_object()
        && v["stress"].is_object()
}

/// The files in `dir` that the report already there wrote and the new one,
/// writing `new`, does not. Known only from a rackaudit report.json in
/// `dir`: its `files` list (a listed file counts when it still has a report
/// file name or still has exactly the listed content, so a hand-edited
/// list cannot make rackaudit delete a user's file); a report.json from
/// before that list (no `files`): the report file names present. Without
/// a rackaudit report.json nothing is stale: files in `dir` are then
/// nobody's but the user's.
fn stale_files(dir: &Path, new: &[(String, Vec<u8>)]) -> Vec<String> {
    let Some(earlier) = std::fs::read(dir.join(REPORT_JSON))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(is_rackaudit_report)
    else {
        return Vec::new();
    };
    let candidate = |name: &str| {
        is_plain_name(name)
            && name != REPORT_JSON
            && !new.iter().any(|(n, _)| n == name)
            && std::fs::symlink_metadata(dir.join(name)).is_ok_and(|m| !m.is_dir())
    };
    let mut stale: Vec<String> = match earlier.get("files") {
        Some(Value::Array(listed)) => listed
            .iter()
            .filter_map(|f| {
                let name = f["path"].as_str().filter(|n| candidate(n))?;
                let unchanged = || {
                    std::fs::read(dir.join(name))
                        .is_ok_and(|b| Some(sha256_hex(&b).as_str()) == f["sha256"].as_str())
                };
                (is_report_file_name(name) || unchanged()).then(|| name.to_string())
            })
            .collect(),
        Some(_) => Vec::new(),
        None => std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| is_report_file_name(n) && candidate(n))
            .collect(),
    };
    stale.sort();
    stale.dedup();
    stale
}

/// Writes every report file into `dir`, and removes the files of an
/// earlier report there that this one does not write.
///
/// Order, so that at every instant (a crash or power loss included) the
/// report.json on disk lists only files that are on disk:
/// 1. find the stale files, from the report.json still there;
/// 2. write every new file to a temporary name (a failure here changes
///    nothing);
/// 3. rename the new files other than report.json into place, sync the
///    directory: the old report.json still lists the old set, all present
///    (some already with new content, which `verify` would flag);
/// 4. rename the new report.json into place, sync: it lists the new set,
///    all present;
/// 5. remove the stale files, which only the old report.json listed.
///
/// Removing stale files before step 4 would leave an old report.json
/// listing missing files if interrupted; the price of this order is that
/// an interruption between 4 and 5 leaves stale files that no report.json
/// lists (the next report no longer knows them; `verify` names them).
pub fn write_all(dir: &Path, r: &mut FullReport) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.display().to_string(),
        action: "cannot create directory",
        source: e,
    })?;
    let files = render(r);
    let stale = stale_files(dir, &files);
    let files: Vec<(PathBuf, Vec<u8>)> = files
        .into_iter()
        .map(|(name, bytes)| (dir.join(name), bytes))
        .collect();
    crate::output::write_all_atomic(&files)?;
    let mut removed = Vec::new();
    let mut failed = None;
    for name in stale {
        let path = dir.join(&name);
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(name),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                failed.get_or_insert(Error::Io {
                    path: path.display().to_string(),
                    action: "cannot remove this file of the earlier report (the new report is complete; remove it by hand)",
                    source: e,
                });
            }
        }
    }
    crate::output::sync_dir(dir);
    if !removed.is_empty() {
        super::term::note(
            "report",
            &format!(
                "{}: removed the files of the earlier report there that this one does not write: {}",
                dir.display(),
                removed.join(", ")
            ),
        );
    }
    failed.map_or(Ok(()), Err)
}
