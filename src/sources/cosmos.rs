//! Cosmos-SDK validator sets.
//!
//! Accepted shapes: `/cosmos/staking/v1beta1/validators` (`{"validators":
//! […], "pagination": …}`), the older LCD `{"height", "result": […]}`, a bare
//! array of validators (2019-era Cosmos Hub, integer statuses and flat
//! commission), `historical_info` (`{"hist": {"header", "valset"}}`),
//! Tendermint RPC `/validators` (`{"result": {"validators": [{address,
//! voting_power}]}}`) and lists of `{validator_address, moniker,
//! voting_power_percent, status}` as published by upgrade-signal reports.
//!
//! Weight is bonded tokens (or voting power); `voting_power_percent` lists
//! are read as percentages or shares by their values (see [`PERCENT_TOTAL`]),
//! so the `share-sum` check can test their sum. Jailed or non-bonded
//! validators stay in the snapshot with `active_set: false`: they are
//! reported, but hold no voting power in the metrics.

use super::json::{Rec, each_object, first_object_has};
use super::{Adapter, Content, Input};
use crate::error::{Error, Result};
use crate::model::{KeyKind, Provider, Snapshot, Text};
use serde_json::Value;

/// Adapter for Cosmos-SDK validator sets.
pub struct Validators;

const VALIDATOR_KEYS: &[&[&str]] = &[
    &["operator_address", "tokens"],
    &["validator_address", "voting_power_percent"],
    &["address", "voting_power"],
];

fn looks_like_validators(v: &Value) -> bool {
    VALIDATOR_KEYS.iter().any(|keys| first_object_has(v, keys))
}

/// Finds the validator list and the header, whatever the wrapper.
fn locate(root: &Value) -> Option<(&Value, &'static str, Option<&Value>)> {
    if looks_like_validators(root) {
        return Some((root, "$", None));
    }
    let candidates: [(&[&str], &'static str); 5] = [
        (&["validators"], "$.validators"),
        (&["result"], "$.result"),
        (&["result", "validators"], "$.result.validators"),
        (&["hist", "valset"], "$.hist.valset"),
        (&["historical_info", "valset"], "$.historical_info.valset"),
    ];
    for (path, label) in candidates {
        let found = path.iter().try_fold(root, |v, k| v.get(*k));
        if let Some(list) = found.filter(|l| looks_like_validators(l)) {
            let header = root
                .get("hist")
                .or(root.get("historical_info"))
                .and_then(|h| h.get("header"))
                .or(root.get("header"));
            return Some((list, label, header));
        }
    }
    None
}

impl Adapter for Validators {
    fn name(&self) -> &'static str {
        "cosmos"
    }
    fn describe(&self) -> &'static str {
        "Cosmos-SDK validator set (staking/v1beta1 validators, LCD, historical_info, Tendermint /validators)"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v) if locate(v).is_some())
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let file = input.location;
        let Content::Json(root) = content else {
            return Err(Error::input(file, None, None, "is not JSON"));
        };
        let (list, path, header) = locate(root).ok_or_else(|| {
            Error::input(
                file,
                Some("$".into()),
                Some("validators"),
                "no list of validators was found",
            )
        })?;
        let array = list.as_array().expect("located lists are arrays");
        let providers = each_object(file, path, array, |r| validator(&r))?;
        let prefix = providers.iter().find_map(|p| bech32_prefix(&p.id));
        let chain_id = header.and_then(|h| h["chain_id"].as_str());
        let network = chain_id
            .map(str::to_string)
            .or_else(|| prefix.map(network_of_prefix))
            .unwrap_or_else(|| "cosmos-sdk".into());
        let mut s = super::new_snapshot(network, self.name(), input);
        s.taken_at = header
            .and_then(|h| h["time"].as_str())
            .map(str::to_string)
            .or_else(|| {
                root.get("height")
                    .or(root.get("result").and_then(|r| r.get("block_height")))
                    .and_then(|h| {
                        h.as_str()
                            .map(str::to_string)
                            .or(h.as_u64().map(|n| n.to_string()))
                    })
                    .map(|h| format!("height {h}"))
            });
        // Stakes read from `voting_power_percent` (`tokens` comes first).
        let given = |v: &Value, field: &str| v.get(field).is_some_and(|x| !x.is_null());
        let percent_field = array.iter().any(|v| given(v, "voting_power_percent"))
            && !array.iter().any(|v| given(v, "tokens"));
        s.stake_unit = Some(stake_unit(&providers, prefix, percent_field));
        s.providers = providers;
        Ok(s)
    }
}

fn validator(r: &Rec<'_>) -> Result<Provider> {
    let id = r
        .str("operator_address")?
        .or(r.str("validator_address")?)
        .or(r.str("address")?)
        .ok_or_else(|| {
            r.err("operator_address", "is missing")
                .with_hint("each validator needs an address")
        })?;
    let mut p = Provider::new(id);
    let desc_path = format!("{}.description", r.path);
    let description = r.child("description", &desc_path);
    p.name = match description {
        Some(d) => d.str("moniker")?,
        None => r.str("moniker")?,
    }
    .map(Text::from);
    if let Some(d) = description {
        if let Some(identity) = d.str("identity")? {
            p.add_key(KeyKind::Identity, identity.to_ascii_uppercase());
        }
        if let Some(site) = d.str("website")? {
            p.add_key(KeyKind::Domain, site);
        }
        if let Some(contact) = d.str("security_contact")? {
            p.add_email_domain(&contact);
        }
    }
    if let Some(account) = r.str("account_address")? {
        p.add_key(KeyKind::OwnerAddress, account);
    }
    let jailed = r.bool("jailed")?.unwrap_or(false);
    let status = status_text(r)?;
    let bonded = status.as_deref().is_none_or(|s| s == "BOND_STATUS_BONDED");
    p.active_set = Some(bonded && !jailed);
    p.status = Some(match (&status, jailed) {
        (Some(s), true) => compact_str::format_compact!("{s} (jailed)"),
        (Some(s), false) => Text::from(s.as_str()),
        (None, true) => "jailed".into(),
        (None, false) => "active".into(),
    });
    p.stake = match r.amount("tokens")? {
        Some(t) => Some(t),
        None => match r.amount("voting_power_percent")? {
            Some(v) => Some(v),
            None => r.amount("voting_power")?,
        },
    };
    Ok(p)
}

/// Normalizes legacy integer (0 unbonded, 1 unbonding, 2 bonded: the
/// pre-protobuf SDK numbering; protobuf enums travel as text in JSON), short
/// (`BONDED`) and long (`BOND_STATUS_BONDED`) statuses to the long form.
fn status_text(r: &Rec<'_>) -> Result<Option<String>> {
    let Some(v) = r.get("status") else {
        return Ok(None);
    };
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_ascii_uppercase(),
        _ => return Err(r.err("status", format!("unexpected value {v}"))),
    };
    let long = match text.as_str() {
        "0" | "UNBONDED" | "BOND_STATUS_UNBONDED" => "BOND_STATUS_UNBONDED",
        "1" | "UNBONDING" | "BOND_STATUS_UNBONDING" => "BOND_STATUS_UNBONDING",
        "2" | "BONDED" | "BOND_STATUS_BONDED" => "BOND_STATUS_BONDED",
        "BOND_STATUS_UNSPECIFIED" => "BOND_STATUS_UNSPECIFIED",
        _ => {
            return Err(r
                .err("status", format!("unknown validator status `{text}`"))
                .with_hint("expected BOND_STATUS_BONDED, _UNBONDING, _UNBONDED, or 0-2 (legacy)"));
        }
    };
    Ok(Some(long.to_string()))
}

fn bech32_prefix(address: &str) -> Option<&str> {
    let (hrp, _) = address.split_once('1')?;
    hrp.strip_suffix("valoper")
        .or(Some(hrp))
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_lowercase()))
}

fn network_of_prefix(prefix: &str) -> String {
    match prefix {
        "cosmos" => "cosmoshub".into(),
        "osmo" => "osmosis".into(),
        other => other.to_string(),
    }
}

/// The plausible range of the sum of a `voting_power_percent` list given in
/// percent: about 100, with room for rounding, for validators that left or
/// joined between the figures, and for lists that are only a part of the
/// set or include inactive validators (the `share-sum` check reports any
/// sum away from 100). Outside it the values are read as voting power.
pub const PERCENT_TOTAL: std::ops::RangeInclusive<f64> = 50.0..=150.0;

/// Unit of the validators' `stake` values.
///
/// Values of `voting_power_percent` (the field names a proportion) are
/// percentages when every value lies in [0, 100] and they sum to
/// [`PERCENT_TOTAL`] (e.g. 40/30/20/5, also when some validators hold more
/// than 1%): "percent of voting power", which the `share-sum` check reads
/// as parts of 100. Otherwise values that all lie in [0, 1], not all 0 or
/// 1, are shares: "share of voting power" (parts of 1; Celestia's 420 shares
/// sum to 1.252, far below 50). Anything else is an amount in the chain's
/// staking unit. Token amounts (`tokens`, `voting_power`) are never read
/// as percentages: 40/30/20/5 tokens on a small testnet look the same.
fn stake_unit(providers: &[Provider], prefix: Option<&str>, percent_field: bool) -> String {
    let values: Vec<f64> = providers.iter().filter_map(|p| p.stake).collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let total = crate::metrics::sum::sum(sorted);
    let within = |top: f64| values.iter().all(|v| (0.0..=top).contains(v));
    if percent_field && !values.is_empty() && within(100.0) && PERCENT_TOTAL.contains(&total) {
        return "percent of voting power".into();
    }
    if within(1.0) && values.iter().any(|s| *s > 0.0 && *s < 1.0) {
        return "share of voting power".into();
    }
    match prefix {
        Some("cosmos") => "uatom".into(),
        Some("osmo") => "uosmo".into(),
        Some("celestia") => "utia".into(),
        Some("akash") => "uakt".into(),
        Some(p) => format!("base units of the {p} staking token"),
        None => "voting power".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Snapshot> {
        super::super::read(
            &Input {
                location: "v.json",
                bytes: text.as_bytes(),
            },
            None,
        )
    }

    #[test]
    fn v1beta1_with_statuses() {
        let s = read(r#"{"validators": [
            {"operator_address": "osmovaloper1a", "jailed": false, "status": "BOND_STATUS_BONDED", "tokens": "300", "description": {"moniker": "A", "identity": "abcd"}},
            {"operator_address": "osmovaloper1b", "jailed": true, "status": "BOND_STATUS_UNBONDING", "tokens": "100", "description": {"moniker": "B"}}
        ], "pagination": {"next_key": null, "total": "2"}}"#).unwrap();
        assert_eq!(s.network, "osmosis");
        assert_eq!(s.stake_unit.as_deref(), Some("uosmo"));
        assert_eq!(s.providers[0].active_set, Some(true));
        assert_eq!(s.providers[1].active_set, Some(false));
        assert_eq!(
            s.providers[1].voting_stake(),
            None,
            "outside the active set: no voting stake at all, not a zero"
        );
        assert_eq!(s.providers[0].operator_keys[0].value, "ABCD");
    }

    #[test]
    fn legacy_integer_statuses() {
        let s = read(r#"[{"operator_address": "cosmosvaloper1x", "jailed": false, "status": 2, "tokens": "5"},
                         {"operator_address": "cosmosvaloper1y", "jailed": false, "status": 0, "tokens": "5"}]"#).unwrap();
        assert_eq!(s.network, "cosmoshub");
        // Legacy SDK numbering: 0 unbonded, 1 unbonding, 2 bonded.
        assert_eq!(s.providers[1].active_set, Some(false));
    }

    #[test]
    fn errors_name_the_validator() {
        let e = read(r#"{"validators": [{"operator_address": "x1", "tokens": "1"}, {"operator_address": "x2", "tokens": "-5"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("$.validators[1]: field `tokens`"), "{e}");
    }

    fn percent_list(values: &[&str]) -> String {
        let rows: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                format!(
                    r#"{{"validator_address": "celestiavaloper1v{i}", "moniker": "V{i}", "voting_power_percent": "{v}", "status": "BONDED"}}"#
                )
            })
            .collect();
        format!("[{}]", rows.join(","))
    }

    #[test]
    fn voting_power_percent_lists_in_percent_are_percentages() {
        let unit = |values: &[&str]| read(&percent_list(values)).unwrap().stake_unit.unwrap();
        // Percentages, also with validators above 1% and a total near 100.
        assert_eq!(unit(&["40", "30", "20", "5"]), "percent of voting power");
        assert_eq!(unit(&["60.5", "39.5"]), "percent of voting power");
        assert_eq!(unit(&["100"]), "percent of voting power");
        // Ends of the plausible total: 50 and 150 are percent, beyond is not.
        assert_eq!(unit(&["25", "25"]), "percent of voting power");
        assert_eq!(unit(&["75", "75"]), "percent of voting power");
        assert_eq!(unit(&["24", "25"]), "utia");
        assert_eq!(unit(&["80", "80"]), "utia");
        // A value above 100 is no percentage.
        assert_eq!(unit(&["101", "1"]), "utia");
        // Shares stay shares (Celestia's sum to 1.252).
        assert_eq!(unit(&["0.4", "0.3", "0.2"]), "share of voting power");
        assert_eq!(unit(&["0.6", "0.652"]), "share of voting power");
        // 120 validators each below 1% that sum to 100 are percentages.
        let small = vec!["0.8333"; 120];
        assert_eq!(unit(&small), "percent of voting power");
    }

    #[test]
    fn percent_units_feed_the_share_sum_check() {
        use crate::supply::{NetworkProfile, check};
        let share_sum = |values: &[&str]| -> Vec<String> {
            let s = read(&percent_list(values)).unwrap();
            check(&s, &NetworkProfile::for_snapshot(&s), None)
                .findings
                .into_iter()
                .filter(|f| f.rule.id() == "share-sum")
                .map(|f| f.reason)
                .collect()
        };
        // 40/30/20/5 is 95 percent: seen, as percentages, not as 95 utia.
        let found = share_sum(&["40", "30", "20", "5"]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("voting-power percentages sum to 95.0 over 4 validators"),
            "{found:?}"
        );
        assert!(share_sum(&["40", "30", "20", "10"]).is_empty());
        // Shares are checked against 1.
        let found = share_sum(&["0.6", "0.652"]);
        assert!(found[0].contains("shares sum to 1.252"), "{found:?}");
    }

    #[test]
    fn token_amounts_are_never_percentages() {
        let s = read(
            r#"{"validators": [
            {"operator_address": "celestiavaloper1a", "tokens": "40"},
            {"operator_address": "celestiavaloper1b", "tokens": "30"},
            {"operator_address": "celestiavaloper1c", "tokens": "20"},
            {"operator_address": "celestiavaloper1d", "tokens": "5"}]}"#,
        )
        .unwrap();
        assert_eq!(s.stake_unit.as_deref(), Some("utia"));
    }

    #[test]
    fn the_bundled_celestia_file_stays_shares() {
        let text = include_str!("../../data/cosmos/celestia_validators_vp_2025-07.json");
        let s = read(text).unwrap();
        assert_eq!(s.stake_unit.as_deref(), Some("share of voting power"));
    }
}
