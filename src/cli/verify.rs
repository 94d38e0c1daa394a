//! `rackaudit verify report.json [--inputs DIR]`: recompute a published
//! report from its recorded inputs and options and compare every number.
//! Exit 0 when everything matches, 1 with the differing fields otherwise,
//! 2 when an input is missing or its sha256 differs from the record.
//!
//! Example: rackaudit verify out/report.json --inputs data/

use super::report::{ReportInputs, build};
use crate::audit::{AuditOptions, WEIGHTS};
use crate::entities::{Confidence, DenyList, LinkKind, Mapping, ResolveOptions};
use crate::error::{Error, Result};
use crate::report::InputRecord;
use crate::report::operators::json;
use crate::sources::{Input, read, read_bytes, sha256_hex};
use crate::stress::scenarios::{Part, StressOptions};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The report.json to check.
    pub report: String,
    /// Directory holding the input files (default: the recorded paths).
    #[arg(long)]
    pub inputs: Option<PathBuf>,
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
            crate::store::Store::open(std::path::Path::new(path)).map_err(|e| e.to_string())?;
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
    let recomputed: Value =
        serde_json::from_slice(&json(&build(inputs, generated)?)).expect("reports are JSON");
    let mut diffs = Vec::new();
    diff("$", &stored, &recomputed, &mut diffs);
    if diffs.is_empty() {
        println!(
            "verified: every number of {} matches a fresh computation from its {} inputs",
            args.report,
            records.len()
        );
        return Ok(());
    }
    let shown: Vec<String> = diffs.iter().take(50).cloned().collect();
    Err(Error::Failed(format!(
        "{}: {} fields differ from a fresh computation:\n  {}{}",
        args.report,
        diffs.len(),
        shown.join("\n  "),
        if diffs.len() > 50 { "\n  …" } else { "" }
    )))
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

/// Lists the JSON paths where `a` and `b` differ (`generated_at` ignored).
fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                if k == "generated_at" {
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
