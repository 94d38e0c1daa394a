//! Bittensor's emission split across subnets (the dTAO era, since February
//! 2025): daily `btcli subnet list --json` summaries of the form
//! `{"emissions": {netuid: rate}, "metadata": {timestamp, network, …}}`.
//!
//! One provider per subnet (id `netuid:N`), its weight the subnet's
//! emission rate: the share of each block's TAO emission that goes to the
//! subnet, as btcli reported it (the rates of all subnets sum to about 1).
//! Subnets carry no operator key here: the file does not say who owns or
//! mines them, so each subnet counts as its own entity and the figures are
//! concentration across subnets, not across the people behind them.

use super::json::{Rec, kind};
use super::{Adapter, Content, Input};
use crate::error::{Error, Result};
use crate::model::{Provider, Snapshot};
use serde_json::{Map, Value};

/// Network name of the series (Finney mainnet); another network in the
/// file's metadata gets its name appended.
pub const NETWORK: &str = "bittensor-subnets";

/// What one unit of a subnet's rate is.
pub const RATE_UNIT: &str = "share of TAO emission per block";

pub struct SubnetEmissions;

impl Adapter for SubnetEmissions {
    fn name(&self) -> &'static str {
        "bittensor-subnets"
    }
    fn describe(&self) -> &'static str {
        "Bittensor emission per subnet {\"emissions\": {netuid: rate}, \"metadata\": {timestamp}} (btcli subnet list)"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v)
            if v.get("emissions").is_some_and(Value::is_object)
                && v.get("metadata").is_some_and(Value::is_object))
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let file = input.location;
        let Content::Json(root) = content else {
            return Err(Error::input(file, None, None, "is not JSON"));
        };
        let emissions = Rec {
            file,
            path: "$",
            value: root,
        }
        .object("emissions")?;
        let metadata = root.get("metadata").and_then(Value::as_object);
        let text = |field: &str| metadata.and_then(|m| m.get(field)).and_then(Value::as_str);
        let network = match text("network") {
            None | Some("finney") => NETWORK.to_string(),
            Some(other) => format!("{NETWORK}-{}", other.trim()),
        };
        let mut s = super::new_snapshot(network, self.name(), input);
        s.taken_at = taken_at(file, metadata)?;
        s.emission_unit = Some(RATE_UNIT.into());
        s.providers = subnets(file, emissions)?;
        s.source.note = Some(note(&s.providers, metadata));
        Ok(s)
    }
}

/// One provider per `netuid: rate` entry, in netuid order.
fn subnets(file: &str, emissions: &Map<String, Value>) -> Result<Vec<Provider>> {
    let mut rows = Vec::with_capacity(emissions.len());
    for (key, value) in emissions {
        let at = || Some(format!("$.emissions[\"{key}\"]"));
        let netuid: u16 = key.trim().parse().map_err(|_| {
            Error::input(
                file,
                at(),
                Some("netuid"),
                format!("`{key}` is not a subnet number (0–65535)"),
            )
        })?;
        let rate = value
            .as_f64()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| {
                Error::input(
                    file,
                    at(),
                    Some("emission"),
                    match value {
                        Value::Null => "expected a non-negative emission rate, found null".into(),
                        v => format!(
                            "expected a non-negative emission rate, found {} `{v}`",
                            kind(v)
                        ),
                    },
                )
            })?;
        rows.push((netuid, rate));
    }
    rows.sort_by_key(|r| r.0);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::input(
            file,
            Some("$.emissions".into()),
            Some("netuid"),
            format!("subnet {} is listed twice", w[0].0),
        ));
    }
    Ok(rows
        .into_iter()
        .map(|(netuid, rate)| {
            let mut p = Provider::new(format!("netuid:{netuid}"));
            p.emission = Some(rate);
            p
        })
        .collect())
}

/// The collection time: `metadata.timestamp` (RFC 3339), else the
/// `metadata.date` day (`YYYYMMDD`), else unknown.
fn taken_at(file: &str, metadata: Option<&Map<String, Value>>) -> Result<Option<String>> {
    let Some(m) = metadata else {
        return Ok(None);
    };
    let bad = |field: &str, value: &Value, expected: &str| {
        Error::input(
            file,
            Some("$.metadata".into()),
            Some(field),
            format!("`{value}` is not {expected}"),
        )
    };
    if let Some(v) = m.get("timestamp").filter(|v| !v.is_null()) {
        let t = v
            .as_str()
            .filter(|t| crate::time::parse_datetime(t).is_some())
            .ok_or_else(|| bad("timestamp", v, "an RFC 3339 time"))?;
        return Ok(Some(t.to_string()));
    }
    if let Some(v) = m.get("date").filter(|v| !v.is_null()) {
        let day = v
            .as_str()
            .filter(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("date", v, "a YYYYMMDD date"))?;
        return Ok(Some(format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..])));
    }
    Ok(None)
}

/// What a reader of the figures must know about this file.
fn note(subnets: &[Provider], metadata: Option<&Map<String, Value>>) -> String {
    let total = crate::metrics::sum::sum(subnets.iter().filter_map(|p| p.emission));
    let on_network = metadata
        .and_then(|m| m.get("total_subnets_on_network"))
        .and_then(Value::as_u64)
        .map(|n| format!(" of {n} registered"))
        .unwrap_or_default();
    format!(
        "Emission rates of {} active subnets{on_network} as btcli reported them; the rates sum to {total:.6} (1 = a whole block's TAO emission). Each subnet is its own entity: the file does not say who runs it.",
        subnets.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::read;

    fn read_text(text: &str) -> Result<Snapshot> {
        read(
            &Input {
                location: "day.json",
                bytes: text.as_bytes(),
            },
            None,
        )
    }

    #[test]
    fn one_subnet_per_entry_with_its_rate() {
        let s = read_text(
            r#"{"emissions": {"10": 0.25, "2": 0.5, "1": 0.25},
                "metadata": {"timestamp": "2025-09-14T16:53:21.163147+00:00", "network": "finney",
                             "total_subnets_on_network": 5}}"#,
        )
        .unwrap();
        assert_eq!(s.network, "bittensor-subnets");
        assert_eq!(s.source.adapter, "bittensor-subnets");
        assert_eq!(
            s.taken_at.as_deref(),
            Some("2025-09-14T16:53:21.163147+00:00")
        );
        assert_eq!(s.emission_unit.as_deref(), Some(RATE_UNIT));
        let got: Vec<(&str, Option<f64>)> = s
            .providers
            .iter()
            .map(|p| (p.id.as_str(), p.emission))
            .collect();
        assert_eq!(
            got,
            [
                ("netuid:1", Some(0.25)),
                ("netuid:10", Some(0.25)),
                ("netuid:2", Some(0.5))
            ]
        );
        assert!(s.providers.iter().all(|p| p.operator_keys.is_empty()));
        let note = s.source.note.unwrap();
        assert!(note.contains("3 active subnets of 5 registered"), "{note}");
        assert!(note.contains("sum to 1.000000"), "{note}");
    }

    #[test]
    fn date_stands_in_for_a_missing_timestamp_and_testnet_is_named() {
        let s = read_text(
            r#"{"emissions": {"1": 1}, "metadata": {"date": "20251027", "network": "test"}}"#,
        )
        .unwrap();
        assert_eq!(s.taken_at.as_deref(), Some("2025-10-27"));
        assert_eq!(s.network, "bittensor-subnets-test");
    }

    #[test]
    fn bad_entries_name_the_path_and_field() {
        let cases = [
            (
                r#"{"emissions": {"x1": 0.5}, "metadata": {}}"#,
                "day.json: $.emissions[\"x1\"]: field `netuid`: `x1` is not a subnet number",
            ),
            (
                r#"{"emissions": {"3": -0.5}, "metadata": {}}"#,
                "day.json: $.emissions[\"3\"]: field `emission`: expected a non-negative emission rate, found a number `-0.5`",
            ),
            (
                r#"{"emissions": {"3": "0.5"}, "metadata": {}}"#,
                "field `emission`: expected a non-negative emission rate, found text",
            ),
            (
                r#"{"emissions": {"3": 0.5, " 3": 0.5}, "metadata": {}}"#,
                "day.json: $.emissions: field `netuid`: subnet 3 is listed twice",
            ),
            (
                r#"{"emissions": {"3": 0.5}, "metadata": {"timestamp": "yesterday"}}"#,
                "day.json: $.metadata: field `timestamp`: `\"yesterday\"` is not an RFC 3339 time",
            ),
        ];
        for (text, want) in cases {
            let e = read_text(text).unwrap_err().to_string();
            assert!(e.contains(want), "{e}\n  wanted: {want}");
        }
    }
}
