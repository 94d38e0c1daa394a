//! `rackaudit verify-supply`: separate claimed supply from plausible and
//! observed supply. Lists every finding (rule, provider, field, claimed
//! value, why, severity) and the headline on claimed, passing and observed
//! supply.
//!
//! Examples:
//!   rackaudit verify-supply                       # the bundled real data
//!   rackaudit verify-supply providers.json --geoip GeoLite2-Country.mmdb --geoip GeoLite2-ASN.mmdb
//!   rackaudit verify-supply offers.json --rule duplicate-ip=error --format csv -o findings.csv
//!   rackaudit verify-supply --list-rules

use super::Format;
use crate::audit::AuditOptions;
use crate::error::{Error, Result};
use crate::pipeline;
use crate::report::supply::{SnapshotSupply, SupplyReport, csv, json, markdown, table};
use crate::supply::{RULES, Setting, SupplyOptions};
use clap::Args;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit verify-supply\n  rackaudit verify-supply tests/fixtures/akash_console_supply_checks.json\n  rackaudit verify-supply data/vastai/vast_offers_A100SXM4_fieldsubset.json \\\n      --rule duplicate-ip=error --format csv -o findings.csv\n  rackaudit verify-supply --list-rules"
)]
pub struct VerifySupplyArgs {
    #[command(flatten)]
    pub input: super::InputArgs,
    #[command(flatten)]
    pub supply: super::SupplyArgs,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
    #[command(flatten)]
    pub out: super::OutputArgs,
    /// Exit with status 1 when a finding has this severity or a higher one
    /// (error, warning or info); the output is written first.
    #[arg(long)]
    pub fail_on: Option<String>,
    /// Print the rule catalogue (id, family, default severity, what it
    /// flags) and exit.
    #[arg(long)]
    pub list_rules: bool,
}

pub fn run(args: VerifySupplyArgs) -> Result<()> {
    if args.list_rules {
        return args.out.emit(&catalogue(args.out.format()));
    }
    if args.supply.no_checks {
        return Err(Error::Usage(
            "--no-checks makes no sense for verify-supply".into(),
        ));
    }
    let fail_on = match args.fail_on.as_deref() {
        None => None,
        Some(s) => match Setting::from_name(s) {
            Some(Setting::Off) | None => {
                return Err(Error::Usage(format!(
                    "--fail-on: `{s}` is not error, warning or info"
                )));
            }
            some => some,
        },
    };
    let (entities, mapping) = args.resolve.options()?;
    let loaded = args.input.load()?;
    let refs: Vec<_> = loaded.iter().map(|(s, _)| s).collect();
    let setup = args.supply.options(&refs)?;
    let so: SupplyOptions = setup.supply.unwrap_or(SupplyOptions {
        profile: setup.profile.clone(),
        ..SupplyOptions::default()
    });
    let supply_inputs = setup.records;
    let opts = AuditOptions {
        entities,
        supply: Some(so.clone()),
        profile: setup.profile,
        ..AuditOptions::default()
    };
    let mut inputs = Vec::new();
    let mut snapshots = Vec::new();
    for (s, record) in &loaded {
        // One supply check feeds both the audit's supply section and the
        // findings listed.
        let checked = pipeline::check_supply(s, Some(&so));
        let a = pipeline::measure(&checked, &pipeline::resolve(s, &opts), &opts);
        let findings = checked.check.map(|c| c.findings).unwrap_or_default();
        snapshots.push(SnapshotSupply {
            network: s.network.clone(),
            location: record.location.clone(),
            input_sha256: record.sha256.clone(),
            summary: a.supply.expect("checks are on"),
            findings,
        });
        inputs.push(record.clone());
    }
    inputs.extend(mapping);
    inputs.extend(supply_inputs);
    let overrides = so
        .overrides
        .iter()
        .map(|(r, v)| format!("{}={}", r.id(), v.name()))
        .collect();
    let report = SupplyReport::new(inputs, overrides, snapshots);
    let bytes = match args.out.format() {
        Format::Table => table(&report, args.out.table()),
        Format::Json => json(&report),
        Format::Csv => csv(&report),
        Format::Md => markdown(&report),
    };
    args.out.emit(&bytes)?;
    let worst = report
        .snapshots
        .iter()
        .flat_map(|s| &s.findings)
        .map(|f| f.severity)
        .max();
    match (fail_on, worst) {
        (Some(limit), Some(w)) if w >= limit => Err(Error::Failed(format!(
            "supply checks found {} at severity {} or above",
            crate::text::plural(
                report
                    .snapshots
                    .iter()
                    .flat_map(|s| &s.findings)
                    .filter(|f| f.severity >= limit)
                    .count(),
                "finding",
                "findings"
            ),
            limit.name()
        ))),
        _ => Ok(()),
    }
}

/// The rule catalogue as text.
/// The rule catalogue in the format asked for (table: tab-separated).
fn catalogue(format: Format) -> Vec<u8> {
    let grid = crate::report::layout::Grid {
        title: "supply-check rules".into(),
        header: ["rule", "family", "default", "what it flags"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false; 4],
        rows: RULES
            .iter()
            .map(|r| {
                vec![
                    r.id().to_string(),
                    crate::variant_name(&r.family()),
                    r.default_setting().name().to_string(),
                    r.description().to_string(),
                ]
            })
            .collect(),
    };
    match format {
        Format::Table => {
            let mut out = grid.header.join("\t") + "\n";
            for row in &grid.rows {
                out.push_str(&row.join("\t"));
                out.push('\n');
            }
            out.into_bytes()
        }
        Format::Csv => crate::report::csv::grid(&grid),
        Format::Md => crate::report::markdown::grid(&grid),
        Format::Json => {
            let rules: Vec<serde_json::Value> = grid
                .rows
                .iter()
                .map(|r| {
                    serde_json::json!({"rule": r[0], "family": r[1], "default": r[2], "description": r[3]})
                })
                .collect();
            crate::report::operators::json(&rules)
        }
    }
}
