//! Bittensor over JSON-RPC (`state_call` of subtensor's runtime APIs,
//! answers SCALE-encoded, decoded with `parity-scale-codec`). Layouts as in
//! opentensor/subtensor at commit 14bc6f9f (2026-06-30):
//! - `NeuronInfoRuntimeApi_get_neurons_lite(netuid)` → `Vec<NeuronInfoLite>`
//!   (`pallets/subtensor/src/rpc_info/neuron_info.rs`): stake and emission
//!   in the subnet's **alpha** (`AlphaBalance`, 10^9 units per alpha), the
//!   emission per epoch;
//! - `SubnetInfoRuntimeApi_get_all_dynamic_info()` →
//!   `Vec<Option<DynamicInfo>>` (`rpc_info/dynamic_info.rs`): every subnet,
//!   its tempo (blocks per epoch) and pool reserves;
//! - `SwapRuntimeApi_current_alpha_price_all()` → `Vec<SubnetPrice>`
//!   (`pallets/swap/runtime-api`): each subnet's alpha price in rao of TAO
//!   per alpha (the pool is a weighted balancer, so `tao_in / alpha_in` is
//!   not the price).
//!
//! Keys become SS58 addresses (prefix 42). One subnet's merged document is
//! a neuron list the `bittensor-metagraph` adapter reads, in alpha;
//! `--all-subnets` also builds the network-wide snapshot of every neuron in
//! TAO-equivalents (alpha × the subnet's price at collection).

use super::Fetched;
use super::http::Client;
use crate::error::{Error, Result};
use crate::model::{CollectedPart, KeyKind, Provider, Snapshot, Source, Text};
use crate::sources::hex;
use parity_scale_codec::{Compact, Decode, Encode};
use serde_json::{Value, json};

/// A 32-byte public key.
pub type AccountId = [u8; 32];

/// Where a neuron's axon listens.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Default)]
pub struct AxonInfo {
    pub block: u64,
    pub version: u32,
    pub ip: u128,
    pub port: u16,
    pub ip_type: u8,
    pub protocol: u8,
    pub placeholder1: u8,
    pub placeholder2: u8,
}

/// A neuron's Prometheus endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Default)]
pub struct PrometheusInfo {
    pub block: u64,
    pub version: u32,
    pub ip: u128,
    pub port: u16,
    pub ip_type: u8,
}

/// One neuron as the runtime API encodes it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct NeuronInfoLite {
    pub hotkey: AccountId,
    pub coldkey: AccountId,
    pub uid: Compact<u16>,
    pub netuid: Compact<u16>,
    pub active: bool,
    pub axon_info: AxonInfo,
    pub prometheus_info: PrometheusInfo,
    /// (coldkey, rao) pairs staked on this hotkey.
    pub stake: Vec<(AccountId, Compact<u64>)>,
    pub rank: Compact<u16>,
    pub emission: Compact<u64>,
    pub incentive: Compact<u16>,
    pub consensus: Compact<u16>,
    pub trust: Compact<u16>,
    pub validator_trust: Compact<u16>,
    pub dividends: Compact<u16>,
    pub last_update: Compact<u64>,
    pub validator_permit: bool,
    pub pruning_score: Compact<u16>,
}

impl NeuronInfoLite {
    /// Stake on the hotkey, in whole alpha of its subnet.
    pub fn stake_alpha(&self) -> f64 {
        let units = self
            .stake
            .iter()
            .fold(0u128, |t, (_, c)| t + u128::from(c.0));
        units as f64 / UNITS_PER_TOKEN
    }

    /// Emission of the last epoch, in whole alpha of its subnet.
    pub fn emission_alpha(&self) -> f64 {
        self.emission.0 as f64 / UNITS_PER_TOKEN
    }
}

/// SS58 address of a public key (generic Substrate prefix 42, as Bittensor
/// uses): base58(prefix ‖ key ‖ first two bytes of blake2b-512("SS58PRE" ‖
/// prefix ‖ key)).
pub fn ss58(key: &AccountId) -> String {
    use blake2::{Blake2b512, Digest};
    let mut payload = vec![42u8];
    payload.extend_from_slice(key);
    let mut h = Blake2b512::new();
    h.update(b"SS58PRE");
    h.update(&payload);
    let checksum = h.finalize();
    payload.extend_from_slice(&checksum[..2]);
    bs58::encode(payload).into_string()
}

/// The axon's address as text, when it has one.
fn axon_ip(a: &AxonInfo) -> Option<String> {
    match a.ip_type {
        4 if a.ip != 0 => Some(std::net::Ipv4Addr::from(a.ip as u32).to_string()),
        6 if a.ip != 0 => Some(std::net::Ipv6Addr::from(a.ip).to_string()),
        _ => None,
    }
}

/// Units of alpha (and rao of TAO) per whole token.
const UNITS_PER_TOKEN: f64 = 1e9;

/// Blocks per day at 12-second blocks.
pub const BLOCKS_PER_DAY: f64 = 7200.0;

/// A subnet's identity as registered by its owner (`SubnetIdentityV3`,
/// `pallets/subtensor/src/lib.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Default)]
pub struct SubnetIdentityV3 {
    pub subnet_name: Vec<u8>,
    pub github_repo: Vec<u8>,
    pub subnet_contact: Vec<u8>,
    pub subnet_url: Vec<u8>,
    pub discord: Vec<u8>,
    pub description: Vec<u8>,
    pub logo_url: Vec<u8>,
    pub additional: Vec<u8>,
}

/// One subnet's state (`DynamicInfo`, `rpc_info/dynamic_info.rs`). Amounts
/// are in units of 10^-9 alpha or TAO; `moving_price` is an `I96F32`
/// (its bits as an `i128`).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct DynamicInfo {
    pub netuid: Compact<u16>,
    pub owner_hotkey: AccountId,
    pub owner_coldkey: AccountId,
    pub subnet_name: Vec<Compact<u8>>,
    pub token_symbol: Vec<Compact<u8>>,
    pub tempo: Compact<u16>,
    pub last_step: Compact<u64>,
    pub blocks_since_last_step: Compact<u64>,
    pub emission: Compact<u64>,
    pub alpha_in: Compact<u64>,
    pub alpha_out: Compact<u64>,
    pub tao_in: Compact<u64>,
    pub alpha_out_emission: Compact<u64>,
    pub alpha_in_emission: Compact<u64>,
    pub tao_in_emission: Compact<u64>,
    pub pending_alpha_emission: Compact<u64>,
    pub pending_root_emission: Compact<u64>,
    pub subnet_volume: Compact<u128>,
    pub network_registered_at: Compact<u64>,
    pub subnet_identity: Option<SubnetIdentityV3>,
    pub moving_price: i128,
}

impl DynamicInfo {
    /// The subnet's name as text (each byte was encoded as a compact).
    pub fn name(&self) -> String {
        let bytes: Vec<u8> = self.subnet_name.iter().map(|c| c.0).collect();
        String::from_utf8_lossy(&bytes).trim().to_string()
    }
}

/// A subnet's alpha price (`SubnetPrice`, swap runtime API): rao of TAO
/// per whole alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct SubnetPrice {
    pub netuid: u16,
    pub price: u64,
}

/// The neuron as an entry of a subnet's merged document: amounts in the
/// subnet's alpha, emission per epoch, or per day when the tempo is known.
fn neuron_json(n: &NeuronInfoLite, per_day: Option<f64>) -> Value {
    json!({
        "uid": n.uid.0,
        "hotkey": ss58(&n.hotkey),
        "coldkey": ss58(&n.coldkey),
        "active": n.active,
        "stake": n.stake_alpha(),
        "emission": n.emission_alpha() * per_day.unwrap_or(1.0),
        "incentive": f64::from(n.incentive.0) / f64::from(u16::MAX),
        "validator_permit": n.validator_permit,
        "axon_info": { "ip": axon_ip(&n.axon_info), "port": n.axon_info.port },
        "last_update": n.last_update.0,
    })
}

/// Epochs per day of a subnet with this tempo: at commit 14bc6f9f an epoch
/// runs once `tempo` blocks have passed since the last one.
pub fn epochs_per_day(tempo: u16) -> Option<f64> {
    (tempo > 0).then(|| BLOCKS_PER_DAY / f64::from(tempo))
}

/// Decodes the hex answer of `state_call` as `T`, all bytes used.
fn decode_answer<T: Decode>(url: &str, hex: &str, what: &str) -> Result<T> {
    let bad = |m: String| Error::network(url, m);
    let digits = hex.strip_prefix("0x").unwrap_or(hex);
    if !digits.len().is_multiple_of(2) || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("the state_call result is not hex".into()));
    }
    let bytes: Vec<u8> = (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("checked hex"))
        .collect();
    let mut input = bytes.as_slice();
    let value = T::decode(&mut input).map_err(|e| {
        bad(format!(
            "the state_call result does not decode as {what} ({e}); the runtime may have changed the type"
        ))
    })?;
    if !input.is_empty() {
        return Err(bad(format!(
            "{} bytes were left after decoding {what}; the runtime may have changed the type",
            input.len()
        )));
    }
    Ok(value)
}

/// Decodes the hex answer of `get_neurons_lite`.
pub fn decode_neurons(url: &str, hex: &str) -> Result<Vec<NeuronInfoLite>> {
    decode_answer(url, hex, "Vec<NeuronInfoLite>")
}

/// Calls a runtime API and returns its hex answer.
fn state_call(client: &mut Client, endpoint: &str, method: &str, args: &[u8]) -> Result<String> {
    let request = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "state_call",
        "params": [method, format!("0x{}", hex(args))],
    });
    let answer = client.post_json(endpoint, &request)?;
    if let Some(e) = answer.get("error") {
        return Err(Error::network(
            endpoint,
            format!("JSON-RPC error from {method}: {e}"),
        ));
    }
    answer["result"].as_str().map(String::from).ok_or_else(|| {
        Error::network(
            endpoint,
            format!("the JSON-RPC answer to {method} has no `result` string"),
        )
    })
}

/// Fetches one subnet's neurons, with the problem of a neuron that names
/// another subnet (the collection is then incomplete, not refused).
fn neurons(
    client: &mut Client,
    endpoint: &str,
    netuid: u16,
) -> Result<(Vec<NeuronInfoLite>, Option<String>)> {
    let answer = state_call(
        client,
        endpoint,
        "NeuronInfoRuntimeApi_get_neurons_lite",
        &netuid.to_le_bytes(),
    )?;
    let list = decode_neurons(endpoint, &answer)?;
    let problem = list.iter().find(|n| n.netuid.0 != netuid).map(|n| {
        format!(
            "neuron uid {} belongs to subnet {}, not {netuid}",
            n.uid.0, n.netuid.0
        )
    });
    Ok((list, problem))
}

/// One subnet's merged document, in its alpha.
fn subnet_fetched(
    netuid: u16,
    list: &[NeuronInfoLite],
    tempo: Option<u16>,
    problem: Option<String>,
) -> Fetched {
    let per_day = tempo.and_then(epochs_per_day);
    let emission_unit = match per_day {
        Some(_) => format!("alpha of subnet {netuid} per day"),
        None => format!("alpha of subnet {netuid} per epoch"),
    };
    let entries: Vec<Value> = list.iter().map(|n| neuron_json(n, per_day)).collect();
    let (entries, duplicates) = super::pages::dedup(entries, "hotkey");
    Fetched {
        received: entries.len() as u64,
        document: json!({
            "netuid": netuid,
            "stake_unit": format!("alpha of subnet {netuid}"),
            "emission_unit": emission_unit,
            "tempo": tempo,
            "neurons": entries,
        }),
        adapter: "bittensor-metagraph",
        pages: 1,
        expected: None,
        duplicates,
        problems: problem.into_iter().collect(),
        network: None,
        parts: Vec::new(),
    }
}

/// Fetches one subnet's neurons (`collect bittensor --netuid N`): amounts
/// in the subnet's alpha, emission per epoch (the tempo is not fetched).
pub(super) fn fetch(client: &mut Client, endpoint: &str, netuid: u16) -> Result<Fetched> {
    let (list, problem) = neurons(client, endpoint, netuid)?;
    Ok(subnet_fetched(netuid, &list, None, problem))
}

/// Network name of the all-subnet snapshot.
pub const NETWORK_WIDE: &str = "bittensor-finney";

/// What `--all-subnets` fetched: the network-wide snapshot's document and
/// one document per subnet that decoded.
pub(super) struct AllSubnets {
    pub network_wide: Fetched,
    pub subnets: Vec<Fetched>,
}

/// Fetches every subnet: the subnet list and tempos, the alpha prices, and
/// each subnet's neurons. A subnet that fails makes the network-wide
/// snapshot incomplete (and is named in its record); the list itself must
/// decode.
pub(super) fn fetch_all(client: &mut Client, endpoint: &str) -> Result<AllSubnets> {
    let answer = state_call(
        client,
        endpoint,
        "SubnetInfoRuntimeApi_get_all_dynamic_info",
        &[],
    )?;
    let infos: Vec<Option<DynamicInfo>> =
        decode_answer(endpoint, &answer, "Vec<Option<DynamicInfo>>")?;
    let infos: Vec<DynamicInfo> = infos.into_iter().flatten().collect();
    let mut problems = Vec::new();
    let prices: Vec<SubnetPrice> = state_call(
        client,
        endpoint,
        "SwapRuntimeApi_current_alpha_price_all",
        &[],
    )
    .and_then(|a| decode_answer(endpoint, &a, "Vec<SubnetPrice>"))
    .unwrap_or_else(|e| {
        problems.push(format!("alpha prices: {e}; no TAO-equivalent can be given"));
        Vec::new()
    });
    let mut parts = Vec::new();
    let mut subnets = Vec::new();
    let mut merged: Vec<SubnetNeurons> = Vec::new();
    for info in &infos {
        let netuid = info.netuid.0;
        let price = prices
            .iter()
            .find(|p| p.netuid == netuid)
            .map(|p| p.price as f64 / UNITS_PER_TOKEN);
        match neurons(client, endpoint, netuid) {
            Ok((list, problem)) => {
                if let Some(p) = &problem {
                    problems.push(format!("subnet {netuid}: {p}"));
                }
                parts.push(CollectedPart {
                    name: part_name(info),
                    complete: problem.is_none(),
                    items: list.len() as u64,
                    problem: problem.clone(),
                });
                subnets.push(subnet_fetched(netuid, &list, Some(info.tempo.0), problem));
                merged.push(SubnetNeurons {
                    netuid,
                    tempo: info.tempo.0,
                    price,
                    neurons: list,
                });
            }
            Err(e) => {
                problems.push(format!("subnet {netuid}: {e}"));
                parts.push(CollectedPart {
                    name: part_name(info),
                    complete: false,
                    items: 0,
                    problem: Some(e.to_string()),
                });
            }
        }
    }
    let unpriced: Vec<String> = merged
        .iter()
        .filter(|m| m.price.is_none())
        .map(|m| m.netuid.to_string())
        .collect();
    if !unpriced.is_empty() && !prices.is_empty() {
        problems.push(format!(
            "no alpha price for subnet(s) {}: their neurons carry no TAO-equivalent",
            unpriced.join(", ")
        ));
    }
    let snapshot = network_wide(endpoint, &merged);
    let received = snapshot.providers.len() as u64;
    Ok(AllSubnets {
        network_wide: Fetched {
            document: serde_json::to_value(&snapshot).expect("snapshots serialize"),
            adapter: "snapshot",
            pages: 1,
            expected: None,
            received,
            duplicates: 0,
            problems,
            network: None,
            parts,
        },
        subnets,
    })
}

/// `subnet 8 (name)`, as the completeness record names a part.
fn part_name(info: &DynamicInfo) -> String {
    match info.name() {
        n if n.is_empty() => format!("subnet {}", info.netuid.0),
        n => format!("subnet {} ({n})", info.netuid.0),
    }
}

/// The coldkeys running neurons in the most subnets, in words.
fn widest_coldkeys(providers: &[Provider], subnets: usize) -> String {
    let mut by_coldkey: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for p in providers {
        if let (Some(key), Some((netuid, _))) = (p.operator_keys.first(), p.id.split_once(':')) {
            by_coldkey.entry(&key.value).or_default().insert(netuid);
        }
    }
    let mut widest: Vec<(&str, usize)> = by_coldkey.iter().map(|(k, s)| (*k, s.len())).collect();
    widest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = widest
        .iter()
        .take(5)
        .map(|(k, n)| format!("{k} in {n}"))
        .collect();
    format!(
        "Every neuron of {subnets} subnets, one provider per (subnet, hotkey), operated by its coldkey. Coldkeys in the most subnets: {}.",
        top.join(", ")
    )
}

/// One decoded subnet, for the network-wide snapshot.
struct SubnetNeurons {
    netuid: u16,
    tempo: u16,
    price: Option<f64>,
    neurons: Vec<NeuronInfoLite>,
}

/// Unit of the network-wide stake.
pub const TAO_EQUIVALENT: &str = "TAO-equivalent (alpha × the subnet's alpha price at collection)";
/// Unit of the network-wide emission.
pub const TAO_EQUIVALENT_PER_DAY: &str =
    "TAO-equivalent per day (alpha per day × the subnet's alpha price at collection)";

/// Every neuron of every subnet as one provider `netuid:hotkey`, operated
/// by its coldkey, weighted by TAO-equivalent stake and daily emission.
fn network_wide(endpoint: &str, subnets: &[SubnetNeurons]) -> Snapshot {
    let mut s = Snapshot::new(
        NETWORK_WIDE,
        Source {
            adapter: "bittensor-all-subnets".into(),
            location: format!("{endpoint} (bittensor --all-subnets)"),
            note: None,
        },
        String::new(),
    );
    s.stake_unit = Some(TAO_EQUIVALENT.into());
    s.emission_unit = Some(TAO_EQUIVALENT_PER_DAY.into());
    for sub in subnets {
        let per_day = epochs_per_day(sub.tempo);
        for n in &sub.neurons {
            let hotkey = ss58(&n.hotkey);
            let mut p = Provider::new(format!("{}:{hotkey}", sub.netuid));
            p.add_key(KeyKind::Coldkey, ss58(&n.coldkey));
            p.stake = sub.price.map(|price| n.stake_alpha() * price);
            p.emission = sub
                .price
                .zip(per_day)
                .map(|(price, d)| n.emission_alpha() * d * price);
            p.status = crate::sources::bittensor::role(Some(n.validator_permit));
            p.online = Some(n.active);
            p.ip = axon_ip(&n.axon_info).map(Text::from);
            s.providers.push(p);
        }
    }
    s.source.note = Some(widest_coldkeys(&s.providers, subnets.len()));
    s.canonicalize();
    s
}

/// Hex of a SCALE-encoded neuron list (for test servers and fixtures).
pub fn encode_neurons(neurons: &[NeuronInfoLite]) -> String {
    format!("0x{}", hex(&neurons.encode()))
}

/// Hex of any SCALE-encodable answer (for test servers and fixtures).
pub fn encode_answer<T: Encode>(value: &T) -> String {
    format!("0x{}", hex(&value.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss58_of_known_keys() {
        // The all-zero key and Alice's well-known sr25519 dev key.
        assert_eq!(
            ss58(&[0u8; 32]),
            "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"
        );
        let alice: AccountId = [
            0xd4, 0x35, 0x93, 0xc7, 0x15, 0xfd, 0xd3, 0x1c, 0x61, 0x14, 0x1a, 0xbd, 0x04, 0xa9,
            0x9f, 0xd6, 0x82, 0x2c, 0x85, 0x58, 0x85, 0x4c, 0xcd, 0xe3, 0x9a, 0x56, 0x84, 0xe7,
            0xa5, 0x6d, 0xa2, 0x7d,
        ];
        assert_eq!(
            ss58(&alice),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
    }

    #[test]
    fn neurons_round_trip_through_scale() {
        let n = NeuronInfoLite {
            hotkey: [1; 32],
            coldkey: [2; 32],
            uid: Compact(7),
            netuid: Compact(3),
            active: true,
            axon_info: AxonInfo {
                ip: u128::from(u32::from(std::net::Ipv4Addr::new(203, 0, 113, 9))),
                ip_type: 4,
                port: 8091,
                ..AxonInfo::default()
            },
            prometheus_info: PrometheusInfo::default(),
            stake: vec![
                ([2; 32], Compact(1_500_000_000)),
                ([3; 32], Compact(500_000_000)),
            ],
            rank: Compact(0),
            emission: Compact(250_000_000),
            incentive: Compact(65535),
            consensus: Compact(0),
            trust: Compact(0),
            validator_trust: Compact(0),
            dividends: Compact(0),
            last_update: Compact(100),
            validator_permit: false,
            pruning_score: Compact(0),
        };
        let hex = encode_neurons(std::slice::from_ref(&n));
        let back = decode_neurons("x", &hex).unwrap();
        assert_eq!(back, vec![n.clone()]);
        let j = neuron_json(&n, None);
        assert_eq!(j["stake"], 2.0, "alpha, not TAO");
        assert_eq!(j["emission"], 0.25, "alpha per epoch");
        // Tempo 360: 7,200 blocks a day make 20 epochs.
        let j = neuron_json(&n, epochs_per_day(360));
        assert_eq!(j["emission"], 5.0, "alpha per day");
        assert_eq!(epochs_per_day(0), None);
        assert_eq!(j["axon_info"]["ip"], "203.0.113.9");
        assert!(
            decode_neurons("x", &hex[..hex.len() - 2]).is_err(),
            "truncated"
        );
        assert!(decode_neurons("x", "0xzz").is_err());
    }
}
