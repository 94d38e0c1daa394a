//! Bittensor: the Nakamoto-era stake snapshot and metagraph exports.
//!
//! One provider per hotkey; its coldkey is the operator key; stake is the
//! weight. Stake is converted to TAO (the snapshot stores rao, 1 TAO = 10^9
//! rao). A subnet's metagraph (one with a `netuid`) holds amounts in that
//! subnet's alpha since dTAO (February 2025): its units are the ones the
//! document states (`stake_unit`, `emission_unit`, as `collect bittensor`
//! writes them), else unknown. Names come from the bundled
//! delegate registry (`data/bittensor/subtensor_delegate_info.json`), keyed
//! by hotkey.

use super::json::{Rec, each_object, first_object_has, kind};
use super::{Adapter, Content, Input};
use crate::error::{Error, Result};
use crate::model::{KeyKind, Provider, Snapshot, Text};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const RAO_PER_TAO: f64 = 1e9;
const DELEGATES: &str = include_str!("../../data/bittensor/subtensor_delegate_info.json");

/// Delegate (name, url) keyed by hotkey, from the bundled registry.
fn delegate_names() -> &'static BTreeMap<String, (String, String)> {
    static NAMES: OnceLock<BTreeMap<String, (String, String)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let list: Vec<Value> =
            serde_json::from_str(DELEGATES).expect("bundled delegate registry is valid JSON");
        list.iter()
            .filter_map(|d| {
                let url = d["url"].as_str().unwrap_or_default().to_string();
                Some((
                    d["address"].as_str()?.to_string(),
                    (d["name"].as_str()?.to_string(), url),
                ))
            })
            .collect()
    })
}

fn new_snapshot(network: &str, adapter: &str, input: &Input<'_>) -> Snapshot {
    let mut s = super::new_snapshot(network, adapter, input);
    s.stake_unit = Some("TAO".into());
    s
}

fn hotkey_provider(hotkey: &str, coldkey: Option<&str>) -> Provider {
    let mut p = Provider::new(hotkey);
    if let Some(c) = coldkey {
        p.add_key(KeyKind::Coldkey, c);
    }
    if let Some((name, url)) = delegate_names().get(hotkey) {
        p.name = Some(Text::from(name.clone()));
        p.add_key(KeyKind::Domain, url);
    }
    p
}

/// The `{"stakes": {coldkey: {hotkey: [stake_rao, uid]}}, "balances": …}`
/// snapshot of the Nakamoto chain.
pub struct NakamotoSnapshot;

impl Adapter for NakamotoSnapshot {
    fn name(&self) -> &'static str {
        "bittensor-snapshot"
    }
    fn describe(&self) -> &'static str {
        "Bittensor stake snapshot {\"stakes\": {coldkey: {hotkey: [rao, uid]}}}"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v) if v.get("stakes").is_some_and(Value::is_object))
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let file = input.location;
        let Content::Json(root) = content else {
            return Err(Error::input(file, None, None, "is not JSON"));
        };
        let stakes = Rec {
            file,
            path: "$",
            value: root,
        }
        .object("stakes")?;
        let mut rows: Vec<(u64, Provider)> = Vec::new();
        for (coldkey, hotkeys) in stakes {
            let path = format!("$.stakes[\"{coldkey}\"]");
            let hotkeys = hotkeys.as_object().ok_or_else(|| {
                Error::input(
                    file,
                    Some(path.clone()),
                    None,
                    format!("expected an object of hotkeys, found {}", kind(hotkeys)),
                )
            })?;
            for (hotkey, entry) in hotkeys {
                let at = || Some(format!("{path}[\"{hotkey}\"]"));
                let pair = entry
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| Error::input(file, at(), None, "expected [stake_rao, uid]"))?;
                let stake = pair[0].as_f64().filter(|s| *s >= 0.0).ok_or_else(|| {
                    Error::input(
                        file,
                        at(),
                        Some("stake"),
                        format!("`{}` is not a non-negative amount of rao", pair[0]),
                    )
                })?;
                let uid = pair[1].as_u64().ok_or_else(|| {
                    Error::input(
                        file,
                        at(),
                        Some("uid"),
                        format!("`{}` is not a uid", pair[1]),
                    )
                })?;
                let mut p = hotkey_provider(hotkey, Some(coldkey));
                p.stake = Some(stake / RAO_PER_TAO);
                rows.push((uid, p));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        let mut s = new_snapshot("bittensor", self.name(), input);
        s.providers = rows.into_iter().map(|(_, p)| p).collect();
        Ok(s)
    }
}

/// Metagraph exports of the Bittensor SDK: either columnar (`uids`,
/// `hotkeys`, `coldkeys`, `stake`/`S`, `emission`, `incentive`,
/// `validator_permit`, `axons`) or a list of neurons (`neurons: [{uid,
/// hotkey, coldkey, stake, emission, incentive, validator_permit,
/// axon_info: {ip}}]`, or that list alone).
pub struct Metagraph;

impl Adapter for Metagraph {
    fn name(&self) -> &'static str {
        "bittensor-metagraph"
    }
    fn describe(&self) -> &'static str {
        "Bittensor metagraph JSON (columnar hotkeys/coldkeys/stake, or a list of neurons)"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        let Content::Json(v) = content else {
            return false;
        };
        v.get("hotkeys").is_some_and(Value::is_array)
            && v.get("coldkeys").is_some_and(Value::is_array)
            || v.get("neurons")
                .is_some_and(|n| first_object_has(n, &["hotkey", "coldkey"]))
            || first_object_has(v, &["hotkey", "coldkey", "uid"])
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let file = input.location;
        let Content::Json(root) = content else {
            return Err(Error::input(file, None, None, "is not JSON"));
        };
        let netuid = root.get("netuid").and_then(Value::as_u64);
        let network = match netuid {
            Some(n) => format!("bittensor-subnet-{n}"),
            None => "bittensor".to_string(),
        };
        let mut s = new_snapshot(&network, self.name(), input);
        // A subnet's amounts are in its own token (alpha) since dTAO
        // (February 2025): the collector states the units; an export that
        // names a subnet but not its units leaves them unknown.
        let declared = |field: &str| root.get(field).and_then(Value::as_str).map(String::from);
        if netuid.is_some() {
            s.stake_unit = declared("stake_unit");
        }
        s.emission_unit = declared("emission_unit");
        s.taken_at = root
            .get("block")
            .and_then(Value::as_u64)
            .map(|b| format!("block {b}"));
        s.providers = if let Some(neurons) = root.get("neurons").or(root.is_array().then_some(root))
        {
            let list = neurons.as_array().ok_or_else(|| {
                Error::input(file, Some("$".into()), Some("neurons"), "expected an array")
            })?;
            let prefix = if root.is_array() { "$" } else { "$.neurons" };
            each_object(file, prefix, list, |r| neuron(&r))?
        } else {
            columnar(file, root)?
        };
        Ok(s)
    }
}

fn neuron(r: &Rec<'_>) -> Result<Provider> {
    let hotkey = r.req_str("hotkey")?;
    let mut p = hotkey_provider(&hotkey, r.str("coldkey")?.as_deref());
    p.stake = r.amount("stake")?.or(r.amount("total_stake")?);
    p.emission = r.amount("emission")?;
    p.status = role(r.bool("validator_permit")?);
    p.online = r.bool("active")?;
    let axon = r.get("axon_info").or(r.get("axon"));
    p.ip = axon.and_then(|a| a.get("ip")).and_then(axon_ip);
    Ok(p)
}

/// A neuron's role from its validator permit: `validator` or `miner`.
pub(crate) fn role(validator_permit: Option<bool>) -> Option<Text> {
    validator_permit.map(|v| Text::from(if v { "validator" } else { "miner" }))
}

/// Reads the columnar export, checking every column has one entry per uid.
fn columnar(file: &str, root: &Value) -> Result<Vec<Provider>> {
    let column = |name: &str| -> Result<Option<&Vec<Value>>> {
        match root.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(Error::input(
                file,
                Some("$".into()),
                Some(name),
                format!("expected an array, found {}", kind(other)),
            )),
        }
    };
    let hotkeys = column("hotkeys")?
        .ok_or_else(|| Error::input(file, Some("$".into()), Some("hotkeys"), "is missing"))?;
    let n = hotkeys.len();
    let named = |names: &[&str]| -> Result<Option<(String, &Vec<Value>)>> {
        for name in names {
            if let Some(col) = column(name)? {
                if col.len() != n {
                    return Err(Error::input(
                        file,
                        Some("$".into()),
                        Some(name),
                        format!("has {} entries, but hotkeys has {n}", col.len()),
                    ));
                }
                return Ok(Some((name.to_string(), col)));
            }
        }
        Ok(None)
    };
    let coldkeys = named(&["coldkeys"])?;
    let stake = named(&["stake", "S", "total_stake"])?;
    let emission = named(&["emission", "E"])?;
    let permit = named(&["validator_permit"])?;
    let axons = named(&["axons"])?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let at = |field: &str, msg: String| {
            Error::input(file, Some(format!("$.{field}[{i}]")), Some(field), msg)
        };
        let hotkey = hotkeys[i]
            .as_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| at("hotkeys", "is not a hotkey".into()))?;
        let coldkey = coldkeys.as_ref().and_then(|(_, c)| c[i].as_str());
        let mut p = hotkey_provider(hotkey, coldkey);
        let amount = |col: &Option<(String, &Vec<Value>)>| -> Result<Option<f64>> {
            match col {
                None => Ok(None),
                Some((name, c)) => super::json::amount(&c[i]).map_err(|m| at(name, m)),
            }
        };
        p.stake = amount(&stake)?;
        p.emission = amount(&emission)?;
        p.status = role(permit.as_ref().and_then(|(_, c)| c[i].as_bool()));
        p.ip = axons
            .as_ref()
            .and_then(|(_, c)| c[i].get("ip"))
            .and_then(axon_ip);
        out.push(p);
    }
    Ok(out)
}

/// An axon IP from the SDK's integer or text forms; `0.0.0.0` means none.
fn axon_ip(v: &Value) -> Option<Text> {
    let ip = match v {
        Value::Number(n) => {
            let x = n.as_u64()?;
            if x <= u32::MAX as u64 {
                std::net::Ipv4Addr::from(x as u32).to_string()
            } else {
                std::net::Ipv6Addr::from(x as u128).to_string()
            }
        }
        Value::String(s) => s
            .trim_start_matches("/ipv4/")
            .trim_start_matches("/ipv6/")
            .to_string(),
        _ => return None,
    };
    (!matches!(ip.as_str(), "0.0.0.0" | "" | "::")).then(|| Text::from(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Snapshot> {
        super::super::read(
            &Input {
                location: "m.json",
                bytes: text.as_bytes(),
            },
            None,
        )
    }

    #[test]
    fn nakamoto_snapshot_converts_rao_and_orders_by_uid() {
        let s = read(r#"{"stakes": {"C1": {"H2": [2000000000, 1], "H1": [1000000000, 0]}, "C2": {"H3": [0, 2]}}, "balances": {}}"#).unwrap();
        let ids: Vec<_> = s.providers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["H1", "H2", "H3"]);
        assert_eq!(s.providers[1].stake, Some(2.0));
        assert_eq!(s.providers[2].operator_keys[0].value, "C2");
    }

    #[test]
    fn columnar_metagraph() {
        let s = read(r#"{"netuid": 3, "block": 100, "uids": [0, 1], "hotkeys": ["h0", "h1"], "coldkeys": ["c", "c"],
            "stake": [1.5, 2.5], "emission": [0.1, 0.2], "validator_permit": [true, false],
            "axons": [{"ip": "1.2.3.4", "port": 8091}, {"ip": 0}]}"#).unwrap();
        assert_eq!(s.network, "bittensor-subnet-3");
        assert_eq!(s.providers[1].stake, Some(2.5));
        assert_eq!(s.providers[0].status.as_deref(), Some("validator"));
        assert_eq!(s.providers[0].ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(s.providers[1].ip, None);
    }

    #[test]
    fn neuron_list_metagraph() {
        let s = read(
            r#"[{"uid": 0, "hotkey": "h", "coldkey": "c", "stake": "τ3.0", "emission": 0.5,
            "validator_permit": false, "axon_info": {"ip": 16909060}}]"#,
        )
        .unwrap();
        assert_eq!(s.providers[0].stake, Some(3.0));
        assert_eq!(s.providers[0].ip.as_deref(), Some("1.2.3.4"));
    }

    #[test]
    fn ragged_columns_and_bad_stake_are_refused() {
        let e = read(r#"{"hotkeys": ["a", "b"], "coldkeys": ["c"]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("field `coldkeys`: has 1 entries, but hotkeys has 2"),
            "{e}"
        );
        let e = read(r#"{"hotkeys": ["a"], "coldkeys": ["c"], "stake": [-1]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("$.stake[0]"), "{e}");
        let e = read(r#"{"stakes": {"C": {"H": ["x", 0]}}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `stake`"), "{e}");
    }
}
