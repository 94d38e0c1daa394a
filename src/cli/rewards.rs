//! `rackaudit rewards`: reward-flow concentration from block-explorer
//! transfer exports, for networks that publish no node list.
//!
//! Examples:
//!   rackaudit rewards export1.csv export2.csv --profile render-solana --distributor <wallet>
//!   rackaudit rewards transfers.csv --profile my-network.toml --snapshot-out rewards.snapshot.json
//!   rackaudit audit rewards.snapshot.json

use super::Format;
use crate::error::{Error, Result};
use crate::report::escape::terminal;
use crate::report::layout::Grid;
use crate::report::operators::json;
use crate::report::{opt_count, opt_pct};
use crate::rewards::{PROFILES, analyse, parse_profile, read_export};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit rewards tests/fixtures/rewards/etherscan_token_new.csv \\\n      --profile render-ethereum \\\n      --distributor 0xd15tr1but0r000000000000000000000000000001\n  rackaudit rewards tests/fixtures/rewards/etherscan_token_new.csv \\\n      --profile render-ethereum --format csv -o monthly.csv \\\n      --snapshot-out rewards.snapshot.json"
)]
pub struct RewardsArgs {
    /// Transfer exports (Etherscan/Arbiscan/Polygonscan or Solscan CSV).
    #[arg(required = true)]
    pub exports: Vec<String>,
    /// Reward source: a bundled profile (render-solana, render-ethereum,
    /// ionet-solana, aethir-ethereum, aethir-arbitrum) or a TOML file.
    #[arg(long)]
    pub profile: String,
    /// Reward payer address (repeatable); adds to the profile's list.
    #[arg(long)]
    pub distributor: Vec<String>,
    /// Token contract / mint; overrides the profile's.
    #[arg(long)]
    pub token: Option<String>,
    #[command(flatten)]
    pub out: super::OutputArgs,
    /// Also write the recipients as a snapshot file (for audit, report,
    /// check).
    #[arg(long, value_name = "FILE")]
    pub snapshot_out: Option<PathBuf>,
}

pub fn run(args: RewardsArgs) -> Result<()> {
    let mut profile = match PROFILES.iter().find(|(n, _)| *n == args.profile) {
        Some((name, text)) => {
            parse_profile(&format!("bundled:data/rewards/profiles/{name}.toml"), text)?
        }
        None if std::path::Path::new(&args.profile).exists() => {
            let bytes = crate::sources::read_bytes(&args.profile)?;
            parse_profile(
                &args.profile,
                crate::sources::Input {
                    location: &args.profile,
                    bytes: &bytes,
                }
                .text()?,
            )?
        }
        None => {
            let names: Vec<&str> = PROFILES.iter().map(|p| p.0).collect();
            return Err(Error::Usage(format!(
                "--profile: `{}` is neither a bundled reward profile ({}) nor a file{}",
                args.profile,
                names.join(", "),
                crate::suggest::hint(&args.profile, names.iter().copied())
            )));
        }
    };
    profile
        .distributors
        .extend(args.distributor.iter().cloned());
    if args.token.is_some() {
        profile.token = args.token.clone();
    }
    let exports = args
        .exports
        .iter()
        .map(|path| read_export(path, &crate::sources::read_bytes(path)?))
        .collect::<Result<Vec<_>>>()?;
    let (analysis, snapshot) = analyse(&profile, exports)?;
    if let Some(path) = &args.snapshot_out {
        crate::output::write_atomic(path, &json(&snapshot))?;
    }
    let bytes = match args.out.format() {
        Format::Json => json(&analysis),
        Format::Csv => crate::report::csv::grid(&periods(&analysis, true)),
        Format::Table => {
            let mut s = summary(&analysis, &terminal);
            let table = crate::report::table::Table {
                tty: false,
                color: false,
            };
            let _ = writeln!(s, "{}", table.grid(&periods(&analysis, false)));
            s.into_bytes()
        }
        Format::Md => {
            let mut s = summary(&analysis, &crate::report::escape::markdown)
                .lines()
                .map(|l| format!("{l}  \n"))
                .collect::<String>();
            crate::report::markdown::table(&mut s, &periods(&analysis, false));
            s.into_bytes()
        }
    };
    args.out.emit(&bytes)
}

/// The reward source, the files read and what was removed, and the
/// concentration of the whole window, one line each (`esc` escapes text
/// from the files for the output format).
fn summary(a: &crate::rewards::RewardAnalysis, esc: &dyn Fn(&str) -> String) -> String {
    let terminal = esc;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "reward source {} ({} on {}); {}",
        terminal(&a.profile.name),
        terminal(a.profile.symbol.as_deref().unwrap_or("token")),
        terminal(&a.profile.chain),
        terminal(a.profile.note.as_deref().unwrap_or(""))
    );
    for f in &a.files {
        let _ = writeln!(
            s,
            "  {} ({}): {} transfers, {} to {}{}",
            terminal(&f.location),
            crate::variant_name(&f.layout),
            f.rows,
            f.first.as_deref().unwrap_or("-"),
            f.last.as_deref().unwrap_or("-"),
            if f.truncated_last_line {
                "; last line truncated and ignored"
            } else {
                ""
            }
        );
    }
    for g in &a.gaps {
        let _ = writeln!(
            s,
            "  GAP between files: {} to {} ({:.1} days not covered)",
            g.from, g.to, g.days
        );
    }
    let _ = writeln!(
        s,
        "{} transfers read; removed {} duplicates, {} mints/burns, {} of other tokens, {} not from distributors, {} outside the window",
        a.transfers_read,
        a.duplicates_removed,
        a.mints_and_burns_removed,
        a.other_tokens,
        a.not_from_distributors,
        a.outside_window
    );
    let _ = writeln!(
        s,
        "{} payouts to {} recipients, {} in total; by amount: Nakamoto {}, max share {}, HHI {}, Gini {}",
        a.payouts,
        a.recipients,
        crate::report::num(a.total_rewards, 4),
        opt_count(a.by_amount.nakamoto_coefficient),
        opt_pct(a.by_amount.max_share),
        a.by_amount
            .hhi
            .map_or("n/a".into(), |h| crate::report::num(h, 0)),
        a.by_amount
            .gini
            .map_or("n/a".into(), |g| crate::report::num(g, 3))
    );
    s
}

/// One row per month: readable (percentages, rounded) or `raw` for CSV
/// (snake_case names, shares as fractions, numbers unrounded, empty for
/// n/a).
fn periods(a: &crate::rewards::RewardAnalysis, raw: bool) -> Grid {
    let header: [(&str, &str); 12] = [
        ("month", "month"),
        ("recipients", "recipients"),
        ("claimants reported", "claimants_reported"),
        ("export coverage", "export_coverage"),
        ("payouts", "payouts"),
        ("total", "total"),
        ("Nakamoto", "nakamoto_coefficient"),
        ("for 50%", "recipients_for_50"),
        ("for 90%", "recipients_for_90"),
        ("max share", "max_share"),
        ("HHI", "hhi"),
        ("Gini", "gini"),
    ];
    let share = |x: Option<f64>| match (raw, x) {
        (true, x) => x.map_or(String::new(), |v| v.to_string()),
        (false, x) => opt_pct(x),
    };
    let count = |x: Option<usize>| match (raw, x) {
        (true, x) => x.map_or(String::new(), |v| v.to_string()),
        (false, x) => opt_count(x),
    };
    let index = |x: Option<f64>, digits: usize| match (raw, x) {
        (true, x) => x.map_or(String::new(), |v| v.to_string()),
        (false, x) => x.map_or("n/a".into(), |v| crate::report::num(v, digits)),
    };
    Grid {
        title: "monthly reward concentration".into(),
        header: header
            .iter()
            .map(|(text, name)| if raw { name } else { text }.to_string())
            .collect(),
        numeric: (0..header.len()).map(|i| i > 0).collect(),
        rows: a
            .periods
            .iter()
            .map(|p| {
                vec![
                    p.month.clone(),
                    p.recipients.to_string(),
                    p.claimants_reported
                        .map_or(if raw { "" } else { "-" }.into(), |c| c.to_string()),
                    share(p.export_coverage),
                    p.payouts.to_string(),
                    index(Some(p.total), 2),
                    count(p.nakamoto_coefficient),
                    count(p.recipients_for_50),
                    count(p.recipients_for_90),
                    share(p.max_share),
                    index(p.hhi, 0),
                    index(p.gini, 3),
                ]
            })
            .collect(),
    }
}
