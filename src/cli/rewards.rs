//! `rackaudit rewards`: reward-flow concentration from block-explorer
//! transfer exports, for networks that publish no node list.
//!
//! Examples:
//!   rackaudit rewards export1.csv export2.csv --profile render-solana --distributor <wallet>
//!   rackaudit rewards transfers.csv --profile my-network.toml --snapshot-out rewards.snapshot.json
//!   rackaudit audit rewards.snapshot.json

use crate::error::{Error, Result};
use crate::report::escape::terminal;
use crate::report::operators::json;
use crate::report::{opt_count, opt_pct};
use crate::rewards::{PROFILES, analyse, parse_profile, read_export};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rackaudit rewards export1.csv export2.csv --profile render-solana --distributor <wallet>\n  rackaudit rewards transfers.csv --profile my-network.toml --snapshot-out rewards.snapshot.json"
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
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the recipients as a snapshot (for audit, report, check).
    #[arg(long)]
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
                "--profile: `{}` is neither a bundled profile ({}) nor a file",
                args.profile,
                names.join(", ")
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
    if args.json {
        return crate::output::write_stdout(&json(&analysis));
    }
    let a = &analysis;
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
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header([
        "month",
        "recipients",
        "claimants reported",
        "export coverage",
        "payouts",
        "total",
        "Nakamoto",
        "for 50%",
        "for 90%",
        "max share",
        "HHI",
        "Gini",
    ]);
    for p in &a.periods {
        t.add_row(vec![
            p.month.clone(),
            p.recipients.to_string(),
            p.claimants_reported.map_or("-".into(), |c| c.to_string()),
            opt_pct(p.export_coverage),
            p.payouts.to_string(),
            crate::report::num(p.total, 2),
            opt_count(p.nakamoto_coefficient),
            opt_count(p.recipients_for_50),
            opt_count(p.recipients_for_90),
            opt_pct(p.max_share),
            p.hhi.map_or("n/a".into(), |h| crate::report::num(h, 0)),
            p.gini.map_or("n/a".into(), |g| crate::report::num(g, 3)),
        ]);
    }
    let _ = writeln!(s, "{t}");
    crate::output::write_stdout(s.as_bytes())
}
