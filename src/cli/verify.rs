//! `rackaudit verify report.json [--inputs DIR]`: recompute a published
//! report from its recorded inputs and options and compare every number.
//! Also checks every file the report lists (`files`) next to report.json:
//! present, with the listed length and sha256, and equal to a fresh
//! rendering from the recomputed report.
//! Exit 0 when everything matches, 1 with the differing fields and files
//! otherwise, 2 when an input is missing or its sha256 differs from the
//! record, or report.json is malformed.
//!
//! Example: rackaudit verify out/report.json --inputs data/

use super::Format;
use super::report::{REPORT_JSON, ReportInputs, build, is_plain_name, is_report_file_name, render};
use crate::audit::{AuditOptions, WEIGHTS};
use crate::entities::{Confidence, DenyList, LinkKind, Mapping, ResolveOptions};
use crate::error::{Error, Result};
use crate::report::InputRecord;
use crate::report::operators::json;
use crate::sources::{Input, read, read_bytes, sha256_hex};
use crate::stress::scenarios::{Part, StressOptions};
use crate::text::plural;
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit report --out-dir out/ && rackaudit verify out/report.json\n  rackaudit verify out/report.json --format json -o verification.json\n\nExit codes: 0 every number and file matches; 1 a figure or file differs; 2\ninputs missing or altered."
)]
pub struct VerifyArgs {
    /// The report.json to check.
    pub report: String,
    /// Directory holding the input files (default: the recorded paths).
    #[arg(long, value_name = "DIR")]
    pub inputs: Option<PathBuf>,
    /// `table` prints the verdict as a sentence (a failure on standard
    /// error); json, csv and md print the outcome, every problem with the
    /// files and every differing field as data on standard output (or
    /// `-o`), with the same exit code.
    #[command(flatten)]
    pub out: super::OutputArgs,
}

/// The outcome of a verification, as data (`--format json|csv|md`).
#[derive(Debug, serde::Serialize)]
struct Outcome<'a> {
    report: &'a str,
    verified: bool,
    inputs: usize,
    /// Files the report lists (`None`: a report.json from before reports
    /// listed their files; they were not checked).
    files_listed: Option<usize>,
    file_problems: &'a [String],
    differences: &'a [String],
}

impl Outcome<'_> {
    fn render(&self, format: Format) -> Vec<u8> {
        let summary = format!(
            "{}: {} inputs, {}",
            if self.verified {
                "verified"
            } else {
                "verification failed"
            },
            self.inputs,
            self.files_listed.map_or(
                "listed files not checked (the report lists none)".into(),
                |n| { format!("{n} listed files") }
            )
        );
        let rows = std::iter::once(vec!["outcome".to_string(), summary])
            .chain(
                self.file_problems
                    .iter()
                    .map(|p| vec!["file".to_string(), p.clone()]),
            )
            .chain(
                self.differences
                    .iter()
                    .map(|d| vec!["number".to_string(), d.clone()]),
            )
            .collect();
        let grid = crate::report::layout::Grid {
            title: format!(
                "{}: {}",
                self.report,
                if self.verified {
                    "verified"
                } else {
                    "verification failed"
                }
            ),
            header: vec!["kind".into(), "problem".into()],
            numeric: vec![false, false],
            rows,
        };
        match format {
            Format::Csv => crate::report::csv::grid(&grid),
            Format::Md => crate::report::markdown::grid(&grid),
            _ => json(self),
        }
    }
}

fn usage(what: &str) -> Error {
    Error::input(
        "report.json",
        Some("$".into()),
        Some(what),
        "is missing or malformed",
    )
    .with_hint("verify reads reports written by `rackaudit report`")
}

/// Bytes of one recorded input, or why they cannot be had.
fn input_bytes(
    record: &InputRecord,
    dir: Option<&PathBuf>,
) -> std::result::Result<Vec<u8>, String> {
    if let Some(rest) = record.location.strip_prefix("store:") {
        let (path, id) = rest
            .rsplit_once('#')
            .ok_or_else(|| format!("{}: not store:PATH#ID", record.location))?;
        let store =
            super::open_store(std::path::Path::new(path), false).map_err(|e| e.to_string())?;
        let id = id
            .parse()
            .map_err(|_| format!("{}: bad snapshot id", record.location))?;
        let snapshot = store.snapshot(id).map_err(|e| e.to_string())?;
        return Ok(serde_json::to_vec_pretty(&snapshot).expect("snapshots serialize"));
    }
    if let Some(path) = record.location.strip_prefix("bundled:") {
        if path == "workloads/default.toml" {
            return Ok(crate::stress::workload::DEFAULT_WORKLOAD
                .as_bytes()
                .to_vec());
        }
        return crate::bundled::BUNDLED
            .iter()
            .find(|b| b.path == path)
            .map(|b| b.bytes.to_vec())
            .ok_or_else(|| {
                format!(
                    "{}: not bundled in rackaudit {}",
                    record.location,
                    crate::TOOL_VERSION
                )
            });
    }
    let path = match dir {
        Some(d) => d.join(
            std::path::Path::new(&record.location)
                .file_name()
                .unwrap_or_default(),
        ),
        None => PathBuf::from(&record.location),
    };
    read_bytes(&path.display().to_string()).map_err(|e| e.to_string())
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>> {
    v.as_array()
        .ok_or_else(|| usage(what))?
        .iter()
        .map(|x| x.as_str().map(str::to_string).ok_or_else(|| usage(what)))
        .collect()
}

fn variant<T: ValueEnum + serde::Serialize>(name: &str, what: &str) -> Result<T> {
    T::value_variants()
        .iter()
        .find(|v| crate::variant_name(*v) == name)
        .cloned()
        .ok_or_else(|| usage(what))
}

pub fn run(args: VerifyArgs) -> Result<()> {
    let bytes = read_bytes(&args.report)?;
    let stored: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::input(
            &args.report,
            Some(format!("line {}", e.line())),
            None,
            format!("is not JSON: {e}"),
        )
    })?;
    let records: Vec<InputRecord> = stored["inputs"]
        .as_array()
        .ok_or_else(|| usage("inputs"))?
        .iter()
        .map(|i| {
            Ok(InputRecord {
                location: i["location"]
                    .as_str()
                    .ok_or_else(|| usage("inputs.location"))?
                    .to_string(),
                sha256: i["sha256"]
                    .as_str()
                    .ok_or_else(|| usage("inputs.sha256"))?
                    .to_string(),
                adapter: i["adapter"]
                    .as_str()
                    .ok_or_else(|| usage("inputs.adapter"))?
                    .to_string(),
            })
        })
        .collect::<Result<_>>()?;
    let mut problems = Vec::new();
    let mut contents = Vec::new();
    for r in &records {
        match input_bytes(r, args.inputs.as_ref()) {
            Err(why) => problems.push(format!("missing input {}: {why}", r.location)),
            Ok(b) if sha256_hex(&b) != r.sha256 => problems.push(format!(
                "altered input {}: sha256 {} recorded, {} found",
                r.location,
                r.sha256,
                sha256_hex(&b)
            )),
            Ok(b) => contents.push((r.clone(), b)),
        }
    }
    if !problems.is_empty() {
        return Err(Error::input(
            &args.report,
            Some("$.inputs".into()),
            None,
            problems.join("; "),
        )
        .with_hint("give the directory of the original inputs with --inputs DIR"));
    }
    let o = &stored["audit"]["options"];
    let so = &stored["stress"]["options"];
    let mut entities = ResolveOptions {
        min_confidence: variant::<Confidence>(
            o["min_confidence"].as_str().unwrap_or(""),
            "audit.options.min_confidence",
        )?,
        disabled: strings(&o["disabled_keys"], "audit.options.disabled_keys")?
            .iter()
            .map(|k| variant::<LinkKind>(k, "disabled_keys"))
            .collect::<Result<_>>()?,
        deny: DenyList::from_domains(strings(&o["deny_domains"], "audit.options.deny_domains")?),
        mapping: Mapping::default(),
    };
    let mut snapshots = Vec::new();
    let mut workload = None;
    let mut extra = Vec::new();
    let mut profile_file = None;
    let mut geoip_files = Vec::new();
    for (record, bytes) in &contents {
        let text = || {
            Input {
                location: &record.location,
                bytes,
            }
            .text()
        };
        match record.adapter.as_str() {
            "workload" => {
                workload = Some((
                    crate::stress::workload::parse(&record.location, text()?)?,
                    record.clone(),
                ))
            }
            "operator-mapping" => {
                entities.mapping = Mapping::parse(&record.location, text()?)?;
                extra.push(record.clone());
            }
            crate::supply::profile::PROFILE_ADAPTER => {
                profile_file = Some(crate::supply::profile::parse(&record.location, text()?)?);
                extra.push(record.clone());
            }
            crate::supply::geoip::GEOIP_ADAPTER => {
                geoip_files.push((record.location.clone(), bytes.clone()));
                extra.push(record.clone());
            }
            kind => {
                let input = Input {
                    location: &record.location,
                    bytes,
                };
                // A rackaudit snapshot file records the adapter that first
                // read the network's data, not `snapshot`: detect it then.
                let mut s = read(&input, Some(kind)).or_else(|_| read(&input, None))?;
                if let Some(b) = record
                    .location
                    .strip_prefix("bundled:")
                    .and_then(|p| crate::bundled::BUNDLED.iter().find(|b| b.path == p))
                {
                    s = crate::bundled::read_bundled(b)?.0;
                }
                snapshots.push((s, record.clone()));
            }
        }
    }
    let (supply, profile) = recorded_supply(o, profile_file, geoip_files, &snapshots)?;
    // `tau` null: each snapshot's profile thresholds.
    let tau = match &o["tau"] {
        Value::Null => None,
        v => Some(strings(v, "audit.options.tau")?.join(",")),
    };
    let params = super::MetricParams {
        tau,
        top: strings(&o["top"], "audit.options.top")?.join(","),
        alpha: strings(&o["alpha"], "audit.options.alpha")?.join(","),
    };
    let tau_from_profile = params.tau_from_profile();
    let params = params.params()?;
    let by = so["by"].as_str().unwrap_or("");
    let stress = StressOptions {
        max_k: so["max_k"]
            .as_u64()
            .ok_or_else(|| usage("stress.options.max_k"))? as usize,
        by: WEIGHTS
            .iter()
            .copied()
            .find(|w| w.name() == by)
            .ok_or_else(|| usage("stress.options.by"))?,
        level: so["level"]
            .as_f64()
            .ok_or_else(|| usage("stress.options.level"))?,
        nakamoto_time_limit: so["nakamoto_time_limit"]
            .as_f64()
            .ok_or_else(|| usage("stress.options.nakamoto_time_limit"))?,
        trials: so["trials"]
            .as_u64()
            .ok_or_else(|| usage("stress.options.trials"))?,
        seed: so["seed"]
            .as_u64()
            .ok_or_else(|| usage("stress.options.seed"))?,
        default_uptime: so["default_uptime"]
            .as_f64()
            .ok_or_else(|| usage("stress.options.default_uptime"))?,
        parts: strings(&so["parts"], "stress.options.parts")?
            .iter()
            .map(|p| variant::<Part>(p, "parts"))
            .collect::<Result<_>>()?,
        nakamoto_operators_only: false,
        entities: entities.clone(),
    };
    let inputs = ReportInputs {
        snapshots,
        audit: AuditOptions {
            params,
            tau_from_profile,
            top_n: o["top_n"]
                .as_u64()
                .ok_or_else(|| usage("audit.options.top_n"))? as usize,
            entities,
            supply,
            profile,
        },
        stress,
        workload: workload.ok_or_else(|| usage("inputs (workload)"))?,
        extra,
    };
    let generated = stored["generated_at"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let listed = listed_files(&stored, &args.report)?;
    let mut fresh = build(inputs, generated)?;
    // Every file re-rendered from the recomputed report, with the recorded
    // generated_at: a listed file must be what the inputs give, not only
    // what report.json says it is.
    let rendered = render(&mut fresh);
    let recomputed: Value = serde_json::from_slice(&json(&fresh)).expect("reports are JSON");
    let mut diffs = Vec::new();
    diff("$", &stored, &recomputed, &mut diffs);
    let dir = match std::path::Path::new(&args.report).parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_problems = match &listed {
        Some(listed) => {
            for name in unlisted_report_files(&dir, listed) {
                super::term::note(
                    "verify",
                    &format!(
                        "note: {} has the name of a report file, but {} does not list it: it is not part of this report",
                        dir.join(name).display(),
                        args.report
                    ),
                );
            }
            check_files(&dir, listed, &rendered)
        }
        None => Vec::new(),
    };
    let verified = diffs.is_empty() && file_problems.is_empty();
    let format = args.out.format();
    if format != Format::Table {
        let outcome = Outcome {
            report: &args.report,
            verified,
            inputs: records.len(),
            files_listed: listed.as_ref().map(Vec::len),
            file_problems: &file_problems,
            differences: &diffs,
        };
        args.out.emit(&outcome.render(format))?;
        return if verified {
            Ok(())
        } else {
            Err(Error::Failed(format!(
                "{}: verification failed ({} differing, {})",
                args.report,
                plural(diffs.len(), "field", "fields"),
                plural(file_problems.len(), "file problem", "file problems")
            )))
        };
    }
    if verified {
        match &listed {
            Some(files) => println!(
                "verified: every number of {} matches a fresh computation from its {} inputs, and its {} listed files are on disk unaltered and are what those inputs give",
                args.report,
                records.len(),
                files.len()
            ),
            None => println!(
                "verified: every number of {} matches a fresh computation from its {} inputs; its other files were not checked: this report.json lists none (it was written by a rackaudit from before reports listed their files)",
                args.report,
                records.len()
            ),
        }
        return Ok(());
    }
    // A listed file that is missing, altered or not what the inputs give
    // is a failed verification (exit 1), like a differing number: the
    // report could be checked and does not hold. Exit 2 stays for what
    // stops the check itself (inputs missing or altered, a malformed
    // report.json).
    let mut message = format!("{}: verification failed", args.report);
    if !file_problems.is_empty() {
        message.push_str(&format!(
            "\n  {}:\n    {}",
            plural(
                file_problems.len(),
                "problem with the files it lists",
                "problems with the files it lists"
            ),
            file_problems.join("\n    ")
        ));
    }
    if !diffs.is_empty() {
        let shown: Vec<String> = diffs.iter().take(50).cloned().collect();
        message.push_str(&format!(
            "\n  {} from a fresh computation:\n    {}{}",
            plural(diffs.len(), "field differs", "fields differ"),
            shown.join("\n    "),
            if diffs.len() > 50 { "\n    …" } else { "" }
        ));
    }
    Err(Error::Failed(message))
}

/// One entry of a report's `files` list.
#[derive(Debug)]
struct Listed {
    path: String,
    sha256: String,
    bytes: u64,
}

/// The report's `files` list; `None` for a report.json from before reports
/// listed their files. A malformed list is an input error (exit 2).
fn listed_files(stored: &Value, report: &str) -> Result<Option<Vec<Listed>>> {
    let Some(files) = stored.get("files") else {
        return Ok(None);
    };
    let bad = |record: String, field: Option<&str>, what: &str| {
        Error::input(report, Some(record), field, what)
            .with_hint("verify reads reports written by `rackaudit report`")
    };
    let files = files
        .as_array()
        .ok_or_else(|| bad("$.files".into(), None, "is not a list"))?;
    let mut out: Vec<Listed> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let at = || format!("$.files[{i}]");
        let path = f["path"]
            .as_str()
            .ok_or_else(|| bad(at(), Some("path"), "is missing or not a string"))?;
        if !is_plain_name(path) || path == REPORT_JSON {
            return Err(bad(
                at(),
                Some("path"),
                &format!("{path:?} is not the name of a report file next to report.json"),
            ));
        }
        if out.iter().any(|l| l.path == path) {
            return Err(bad(
                at(),
                Some("path"),
                &format!("{path:?} is listed twice"),
            ));
        }
        let sha256 = f["sha256"]
            .as_str()
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad(at(), Some("sha256"), "is not a SHA-256 in hex"))?;
        let bytes = f["bytes"]
            .as_u64()
            .ok_or_else(|| bad(at(), Some("bytes"), "is not a whole number"))?;
        out.push(Listed {
            path: path.to_string(),
            sha256: sha256.to_ascii_lowercase(),
            bytes,
        });
    }
    Ok(Some(out))
}

/// Checks each listed file on disk (present, same length and sha256) and
/// against a fresh rendering from the inputs; lists the problems.
fn check_files(
    dir: &std::path::Path,
    listed: &[Listed],
    rendered: &[(String, Vec<u8>)],
) -> Vec<String> {
    let mut problems = Vec::new();
    for f in listed {
        let path = dir.join(&f.path);
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => problems.push(format!(
                "{}: missing (report.json lists it with {} bytes)",
                path.display(),
                f.bytes
            )),
            Err(e) => problems.push(format!("{}: cannot be read: {e}", path.display())),
            Ok(b) => {
                let sha = sha256_hex(&b);
                if sha != f.sha256 || b.len() as u64 != f.bytes {
                    problems.push(format!(
                        "{}: altered: report.json lists {} bytes with sha256 {}, the file has {} bytes with sha256 {}",
                        path.display(),
                        f.bytes,
                        f.sha256,
                        b.len(),
                        sha
                    ));
                }
            }
        }
        match rendered.iter().find(|(name, _)| *name == f.path) {
            None => problems.push(format!(
                "{}: listed in report.json, but a fresh report from the inputs writes no such file",
                path.display()
            )),
            Some((_, b)) if sha256_hex(b) != f.sha256 || b.len() as u64 != f.bytes => {
                problems.push(format!(
                    "{}: not what the inputs give: report.json lists sha256 {}, a fresh rendering from the inputs has {} bytes with sha256 {}",
                    path.display(),
                    f.sha256,
                    b.len(),
                    sha256_hex(b)
                ))
            }
            Some(_) => {}
        }
    }
    for (name, _) in rendered {
        if name != REPORT_JSON && !listed.iter().any(|f| f.path == *name) {
            problems.push(format!(
                "{}: a fresh report from the inputs writes this file, but report.json does not list it",
                dir.join(name).display()
            ));
        }
    }
    problems
}

/// Files in `dir` with a report file name that `listed` does not include.
fn unlisted_report_files(dir: &std::path::Path, listed: &[Listed]) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| is_report_file_name(n) && !listed.iter().any(|f| f.path == *n))
        .collect();
    names.sort();
    names
}

/// The supply options a report recorded, rebuilt from its options and inputs.
fn recorded_supply(
    o: &Value,
    profile_file: Option<crate::supply::NetworkProfile>,
    geoip_files: Vec<(String, Vec<u8>)>,
    snapshots: &[(crate::model::Snapshot, InputRecord)],
) -> Result<(
    Option<crate::supply::SupplyOptions>,
    Option<crate::supply::NetworkProfile>,
)> {
    let usage =
        |field: &str| Error::Usage(format!("the report has no valid audit.options.{field}"));
    let profile = match o["profile"].as_str() {
        None => None,
        Some(origin) => Some(match origin.strip_prefix("bundled:data/profiles/") {
            Some(file) => crate::supply::NetworkProfile::bundled(file.trim_end_matches(".toml"))
                .ok_or_else(|| usage("profile"))?,
            None => {
                profile_file.ok_or_else(|| usage("profile (its file is not among the inputs)"))?
            }
        }),
    };
    if !o["supply_checks"]
        .as_bool()
        .ok_or_else(|| usage("supply_checks"))?
    {
        return Ok((None, profile));
    }
    let overrides = strings(&o["rule_overrides"], "audit.options.rule_overrides")?
        .iter()
        .map(|r| crate::supply::parse_override(r).map_err(Error::Usage))
        .collect::<Result<_>>()?;
    let geo = if geoip_files.is_empty() {
        None
    } else {
        let refs: Vec<_> = snapshots.iter().map(|(s, _)| s).collect();
        Some(crate::supply::GeoIp::from_bytes(geoip_files)?.locate(&refs)?)
    };
    Ok((
        Some(crate::supply::SupplyOptions {
            profile: profile.clone(),
            overrides,
            geo,
        }),
        profile,
    ))
}

/// Lists the JSON paths where `a` and `b` differ (`generated_at` ignored,
/// and the top-level `files`, which `check_files` compares file by file).
fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                if k == "generated_at" || (path == "$" && k == "files") {
                    continue;
                }
                diff(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: report has {a}, recomputed {b}")),
    }
}
