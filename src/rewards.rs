//! Reward-flow concentration: networks that publish no node list still pay
//! their operators on chain. Block-explorer transfer exports (Etherscan,
//! Arbiscan, Polygonscan, Solscan) are read, combined without duplicates,
//! filtered to a reward source (token, distributor wallets, time window), and
//! turned into a snapshot whose providers are the reward recipients,
//! weighted by rewards received, plus monthly concentration and the claimant
//! counts published for the same months.

use crate::error::{Error, Result};
use crate::metrics::{Summary, SummaryParams, Weights};
use crate::model::{KeyKind, Provider, Snapshot, Source};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Where rewards come from (a bundled or user profile, TOML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// Network the rewards belong to (`render`, `ionet`, `aethir`, …).
    pub network: String,
    pub chain: String,
    /// Token contract / mint; when set, rows of other tokens are dropped.
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub decimals: Option<u32>,
    /// Payer addresses; when non-empty only their transfers count.
    #[serde(default)]
    pub distributors: Vec<String>,
    /// Inclusive window, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Bundled profiles: (name, TOML).
pub const PROFILES: &[(&str, &str)] = &[
    (
        "render-solana",
        include_str!("../data/rewards/profiles/render-solana.toml"),
    ),
    (
        "render-ethereum",
        include_str!("../data/rewards/profiles/render-ethereum.toml"),
    ),
    (
        "ionet-solana",
        include_str!("../data/rewards/profiles/ionet-solana.toml"),
    ),
    (
        "aethir-ethereum",
        include_str!("../data/rewards/profiles/aethir-ethereum.toml"),
    ),
    (
        "aethir-arbitrum",
        include_str!("../data/rewards/profiles/aethir-arbitrum.toml"),
    ),
];

/// Parses a profile; errors name the file and line.
pub fn parse_profile(location: &str, text: &str) -> Result<Profile> {
    toml::from_str(text).map_err(|e| {
        let line = crate::error::line_at(text, e.span().map_or(0, |s| s.start));
        Error::input(
            location,
            Some(format!("line {line}")),
            None,
            format!("is not a valid reward profile: {}", e.message().trim()),
        )
    })
}

/// Export layouts, detected from the header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Etherscan-family token page: `Quantity` already decimal-adjusted.
    EtherscanToken,
    /// Etherscan-family address page (ERC-20): `TokenValue`, `ContractAddress`.
    EtherscanAddress,
    /// Solscan transfers: raw `Amount` with `Decimals` (optionally `Multiplier`).
    Solscan,
}

/// One token transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    /// Transaction hash or signature.
    pub tx: String,
    pub time: i64,
    pub from: String,
    pub to: String,
    pub amount: f64,
    pub token: Option<String>,
    /// Amount as written, for duplicate detection.
    raw_amount: String,
    /// The export labels it a mint or burn (Solscan `Action`).
    mint_or_burn: bool,
}

/// What one export file held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileCoverage {
    pub location: String,
    pub sha256: String,
    pub layout: Layout,
    pub rows: usize,
    pub first: Option<String>,
    pub last: Option<String>,
    pub truncated_last_line: bool,
}

fn norm(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

const ZERO_ADDRESSES: &[&str] = &[
    "0x0000000000000000000000000000000000000000",
    "11111111111111111111111111111111",
    "",
];

/// Reads one export: its layout, transfers, and coverage.
pub fn read_export(location: &str, bytes: &[u8]) -> Result<(Vec<Transfer>, FileCoverage)> {
    let text = crate::sources::Input { location, bytes }.text()?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records
        .next()
        .ok_or_else(|| Error::input(location, None, None, "is empty"))?
        .map_err(|e| {
            Error::input(
                location,
                Some("line 1".into()),
                None,
                format!("cannot be read as CSV: {e}"),
            )
        })?;
    let names: Vec<String> = header.iter().map(norm).collect();
    let col = |alts: &[&str]| names.iter().position(|n| alts.contains(&n.as_str()));
    let tx = col(&["transactionhash", "txhash", "signature"]);
    let layout = match (
        col(&["quantity"]),
        col(&["tokenvalue"]),
        col(&["amount"]).zip(col(&["decimals"])),
    ) {
        (Some(_), _, _) if tx.is_some() => Layout::EtherscanToken,
        (_, Some(_), _) if tx.is_some() => Layout::EtherscanAddress,
        (_, _, Some(_)) if col(&["signature"]).is_some() => Layout::Solscan,
        _ => {
            return Err(Error::input(location, Some("line 1 (header)".into()), None, "is not a known transfer export")
                .with_hint("expected an Etherscan/Arbiscan/Polygonscan token or address export (Transaction Hash/Txhash, From, To, Quantity/TokenValue) or a Solscan export (Signature, Block Time, From, To, Amount, Decimals)"));
        }
    };
    let need = |alts: &[&str], what: &str| {
        col(alts).ok_or_else(|| {
            Error::input(
                location,
                Some("line 1 (header)".into()),
                Some(what),
                "column is missing",
            )
        })
    };
    let (c_tx, c_from, c_to) = (
        tx.expect("checked"),
        need(&["from"], "From")?,
        need(&["to"], "To")?,
    );
    let c_time = col(&["unixtimestamp", "blocktime"]);
    let c_date = col(&["datetimeutc", "humantime"]);
    let c_amount = match layout {
        Layout::EtherscanToken => need(&["quantity"], "Quantity")?,
        Layout::EtherscanAddress => need(&["tokenvalue"], "TokenValue")?,
        Layout::Solscan => need(&["amount"], "Amount")?,
    };
    let c_decimals = col(&["decimals"]);
    let c_token = col(&["contractaddress", "tokenaddress"]);
    let c_action = col(&["action"]);
    let mut out = Vec::new();
    let mut truncated = false;
    let all: Vec<_> = records.collect();
    let count = all.len();
    for (i, rec) in all.into_iter().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| {
            Error::input(
                location,
                Some(format!("line {line}")),
                None,
                format!("cannot be read as CSV: {e}"),
            )
        })?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() < names.len() {
            if i + 1 == count {
                truncated = true; // an export cut short: the last row is incomplete
                continue;
            }
            return Err(Error::input(
                location,
                Some(format!("line {line}")),
                None,
                format!("has {} fields, the header {}", rec.len(), names.len()),
            ));
        }
        let field = |c: usize| rec.get(c).unwrap_or("").trim();
        let err = |what: &str, msg: String| {
            Error::input(location, Some(format!("line {line}")), Some(what), msg)
        };
        let mint_or_burn = c_action
            .is_some_and(|c| matches!(field(c).to_ascii_uppercase().as_str(), "MINT" | "BURN"));
        let raw = field(c_amount).trim_matches('"').replace(',', "");
        let mut amount: f64 = raw
            .parse()
            .ok()
            .filter(|a: &f64| a.is_finite() && *a >= 0.0)
            .ok_or_else(|| {
                err(
                    "amount",
                    format!("`{}` is not a non-negative amount", field(c_amount)),
                )
            })?;
        if layout == Layout::Solscan {
            let d: i32 = c_decimals
                .map(field)
                .unwrap_or("0")
                .parse()
                .map_err(|_| err("Decimals", "is not a whole number".into()))?;
            amount /= 10f64.powi(d);
        }
        let time = match c_time.map(field).and_then(|t| t.parse::<i64>().ok()) {
            Some(t) => t,
            None => c_date
                .map(field)
                .and_then(crate::time::parse_datetime)
                .ok_or_else(|| {
                    err(
                        "time",
                        "no readable UnixTimestamp / Block Time / DateTime".into(),
                    )
                })?,
        };
        out.push(Transfer {
            tx: field(c_tx).to_string(),
            time,
            from: field(c_from).to_string(),
            to: field(c_to).to_string(),
            amount,
            token: c_token
                .map(|c| field(c).to_string())
                .filter(|t| !t.is_empty()),
            raw_amount: raw,
            mint_or_burn,
        });
    }
    let month = |t: i64| crate::time::rfc3339(t);
    let coverage = FileCoverage {
        location: location.to_string(),
        sha256: crate::sources::sha256_hex(bytes),
        layout,
        rows: out.len(),
        first: out.iter().map(|t| t.time).min().map(month),
        last: out.iter().map(|t| t.time).max().map(month),
        truncated_last_line: truncated,
    };
    Ok((out, coverage))
}

/// A gap in time between consecutive export files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub from: String,
    pub to: String,
    pub days: f64,
}

/// Concentration of one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    pub month: String,
    pub recipients: usize,
    pub payouts: usize,
    pub total: f64,
    pub nakamoto_coefficient: Option<usize>,
    pub max_share: Option<f64>,
    pub hhi: Option<f64>,
    pub gini: Option<f64>,
    /// Fewest recipients holding 50% / 90% of the month's rewards.
    pub recipients_for_50: Option<usize>,
    pub recipients_for_90: Option<usize>,
    /// Claimants the published aggregates count for the month, if any.
    pub claimants_reported: Option<u64>,
    /// recipients / claimants_reported: below 1 the export is partial.
    pub export_coverage: Option<f64>,
}

/// The result of `rackaudit rewards`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RewardAnalysis {
    pub profile: Profile,
    pub files: Vec<FileCoverage>,
    pub gaps: Vec<Gap>,
    pub transfers_read: usize,
    pub duplicates_removed: usize,
    pub mints_and_burns_removed: usize,
    pub not_from_distributors: usize,
    pub other_tokens: usize,
    pub outside_window: usize,
    pub payouts: usize,
    pub recipients: usize,
    pub total_rewards: f64,
    /// Concentration of rewards received over recipients.
    pub by_amount: Summary,
    /// Concentration of payout counts over recipients.
    pub by_payouts: Summary,
    pub periods: Vec<Period>,
}

/// Combines exports and analyses the rewards; returns the analysis and the
/// recipients snapshot.
pub fn analyse(
    profile: &Profile,
    exports: Vec<(Vec<Transfer>, FileCoverage)>,
) -> Result<(RewardAnalysis, Snapshot)> {
    let window = |d: &Option<String>, end: bool| -> Result<Option<i64>> {
        d.as_deref()
            .map(|s| {
                crate::time::parse_datetime(&format!(
                    "{s} {}",
                    if end { "23:59:59" } else { "00:00:00" }
                ))
                .ok_or_else(|| Error::Usage(format!("reward window date `{s}` is not YYYY-MM-DD")))
            })
            .transpose()
    };
    let (start, end) = (window(&profile.from, false)?, window(&profile.to, true)?);
    let mut files: Vec<FileCoverage> = Vec::new();
    let mut seen = HashSet::new();
    let mut kept: Vec<Transfer> = Vec::new();
    let (mut read, mut dups, mut mint, mut foreign, mut token, mut outside) = (0, 0, 0, 0, 0, 0);
    let distributors: HashSet<String> = profile
        .distributors
        .iter()
        .map(|d| d.to_ascii_lowercase())
        .collect();
    for (transfers, coverage) in exports {
        read += transfers.len();
        for t in transfers {
            let key = (
                t.tx.clone(),
                t.from.to_ascii_lowercase(),
                t.to.to_ascii_lowercase(),
                t.raw_amount.clone(),
            );
            if !seen.insert(key) {
                dups += 1;
                continue;
            }
            if ZERO_ADDRESSES.contains(&t.from.as_str()) || ZERO_ADDRESSES.contains(&t.to.as_str())
            {
                mint += 1;
                continue;
            }
            if let (Some(want), Some(got)) = (&profile.token, &t.token)
                && !want.eq_ignore_ascii_case(got)
            {
                token += 1;
                continue;
            }
            if !distributors.is_empty() && !distributors.contains(&t.from.to_ascii_lowercase()) {
                foreign += 1;
                continue;
            }
            if start.is_some_and(|s| t.time < s) || end.is_some_and(|e| t.time > e) {
                outside += 1;
                continue;
            }
            kept.push(t);
        }
        files.push(coverage);
    }
    let gaps = gaps(&files);
    // Per recipient: amount and count.
    let mut per: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for t in &kept {
        let e = per.entry(t.to.clone()).or_default();
        e.0 += t.amount;
        e.1 += 1;
    }
    let params = SummaryParams::default();
    let summary = |v: Vec<f64>| {
        Summary::compute(
            &Weights::from_vec(v).expect("amounts are validated"),
            &params,
        )
    };
    let by_amount = summary(per.values().map(|v| v.0).collect());
    let by_payouts = summary(per.values().map(|v| v.1 as f64).collect());
    let periods = periods(&kept, &profile.network);
    let mut snapshot = Snapshot::new(
        format!("{}-rewards", profile.network),
        Source {
            adapter: "rewards".into(),
            location: files
                .iter()
                .map(|f| f.location.as_str())
                .collect::<Vec<_>>()
                .join(" + "),
            note: profile.note.clone(),
        },
        crate::sources::sha256_hex(
            files
                .iter()
                .map(|f| f.sha256.as_str())
                .collect::<Vec<_>>()
                .join("\n")
                .as_bytes(),
        ),
    );
    snapshot.taken_at = files.iter().filter_map(|f| f.last.clone()).max();
    snapshot.stake_unit = profile.symbol.clone();
    snapshot.providers = per
        .iter()
        .map(|(address, (amount, _))| {
            let mut p = Provider::new(address.clone());
            p.add_key(KeyKind::PayoutAddress, address);
            p.emission = Some(*amount);
            p
        })
        .collect();
    let analysis = RewardAnalysis {
        profile: profile.clone(),
        files,
        gaps,
        transfers_read: read,
        duplicates_removed: dups,
        mints_and_burns_removed: mint,
        not_from_distributors: foreign,
        other_tokens: token,
        outside_window: outside,
        payouts: kept.len(),
        recipients: per.len(),
        total_rewards: crate::metrics::sum::sum(kept.iter().map(|t| t.amount)),
        by_amount,
        by_payouts,
        periods,
    };
    Ok((analysis, snapshot))
}

/// Gaps of more than a day between the time ranges of the files.
fn gaps(files: &[FileCoverage]) -> Vec<Gap> {
    let mut ranges: Vec<(i64, i64)> = files
        .iter()
        .filter_map(|f| {
            Some((
                crate::time::parse_datetime(f.first.as_deref()?)?,
                crate::time::parse_datetime(f.last.as_deref()?)?,
            ))
        })
        .collect();
    ranges.sort();
    let mut out = Vec::new();
    let mut covered = match ranges.first() {
        Some(r) => r.1,
        None => return out,
    };
    for &(s, e) in &ranges[1..] {
        if s > covered + 86_400 {
            out.push(Gap {
                from: crate::time::rfc3339(covered),
                to: crate::time::rfc3339(s),
                days: (s - covered) as f64 / 86_400.0,
            });
        }
        covered = covered.max(e);
    }
    out
}

fn periods(kept: &[Transfer], network: &str) -> Vec<Period> {
    let claimants = reported_claimants(network);
    let mut months: BTreeMap<String, BTreeMap<&str, f64>> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for t in kept {
        let m = crate::time::rfc3339(t.time)[..7].to_string();
        *months
            .entry(m.clone())
            .or_default()
            .entry(t.to.as_str())
            .or_default() += t.amount;
        *counts.entry(m).or_default() += 1;
    }
    months
        .into_iter()
        .map(|(month, per)| {
            let w =
                Weights::from_vec(per.values().copied().collect()).expect("amounts are validated");
            use crate::metrics::concentration as c;
            let reported = claimants.get(&month).copied();
            Period {
                recipients: per.len(),
                payouts: counts[&month],
                total: w.total(),
                nakamoto_coefficient: c::nakamoto_coefficient(&w),
                max_share: c::max_share(&w),
                hhi: c::hhi(&w),
                gini: c::gini(&w),
                recipients_for_50: c::tau_index(&w, &crate::metrics::Threshold::HALF),
                recipients_for_90: c::tau_index(
                    &w,
                    &crate::metrics::Threshold::new(9, 10, crate::metrics::Holds::AtLeast)
                        .expect("9/10 is a share"),
                ),
                export_coverage: reported
                    .filter(|r| *r > 0)
                    .map(|r| per.len() as f64 / r as f64),
                claimants_reported: reported,
                month,
            }
        })
        .collect()
}

/// Monthly claimant counts compiled by 1kx (bundled), keyed `YYYY-MM`.
pub fn reported_claimants(network: &str) -> BTreeMap<String, u64> {
    let (text, column) = match network {
        "render" => (
            include_str!("../data/rewards/render_rewards_data_1kx.csv"),
            "# nodes",
        ),
        "ionet" => (
            include_str!("../data/rewards/ionet_rewards_data_1kx.csv"),
            "nodes (unique workers paid)",
        ),
        _ => return BTreeMap::new(),
    };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("bundled aggregates have a header")
        .clone();
    let Some(c) = header.iter().position(|h| h == column) else {
        return BTreeMap::new();
    };
    reader
        .records()
        .filter_map(|r| r.ok())
        .filter_map(|r| {
            let month = r.get(0)?;
            let (y, m) = match month.split_once('/') {
                Some((m, y)) => (y.to_string(), m.to_string()),
                None => {
                    let (y, m) = month.split_once('-')?;
                    (y.to_string(), m.to_string())
                }
            };
            let key = format!("{y}-{:02}", m.parse::<u32>().ok()?);
            Some((key, r.get(c)?.replace(',', "").parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimant_months_are_normalized() {
        let r = reported_claimants("render");
        assert_eq!(r["2024-02"], 452);
        assert_eq!(r["2023-11"], 300);
        let io = reported_claimants("ionet");
        assert_eq!(io["2025-02"], 100711);
        assert!(reported_claimants("aethir").is_empty());
    }

    #[test]
    fn datetimes_parse() {
        assert_eq!(
            crate::time::parse_datetime("1970-01-02 00:00:00"),
            Some(86_400)
        );
        assert_eq!(
            crate::time::parse_datetime("2024-12-29T07:01:06.000Z"),
            Some(1_735_455_666)
        );
        assert_eq!(crate::time::rfc3339(1_735_455_666), "2024-12-29T07:01:06Z");
        assert_eq!(crate::time::parse_datetime("nonsense"), None);
    }

    #[test]
    fn every_bundled_profile_parses() {
        for (name, text) in PROFILES {
            assert_eq!(parse_profile(name, text).unwrap().name, *name);
        }
    }
}
