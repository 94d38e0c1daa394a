//! Bittensor subnet metagraph over JSON-RPC: `state_call` of the runtime
//! API `NeuronInfoRuntimeApi_get_neurons_lite(netuid)`, whose answer is the
//! SCALE encoding of `Vec<NeuronInfoLite>` (subtensor's
//! `pallets/subtensor/src/rpc_info/neuron_info.rs`), decoded with
//! `parity-scale-codec`. Keys become SS58 addresses (prefix 42), amounts
//! TAO (rao / 10^9); the merged document is a neuron list the
//! `bittensor-metagraph` adapter reads.

use super::Fetched;
use super::http::Client;
use crate::error::{Error, Result};
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

const RAO_PER_TAO: f64 = 1e9;

/// The neuron as an entry of the merged document.
fn neuron_json(n: &NeuronInfoLite) -> Value {
    let stake_rao = n.stake.iter().fold(0u128, |s, (_, c)| s + u128::from(c.0));
    json!({
        "uid": n.uid.0,
        "hotkey": ss58(&n.hotkey),
        "coldkey": ss58(&n.coldkey),
        "active": n.active,
        "stake": stake_rao as f64 / RAO_PER_TAO,
        "emission": n.emission.0 as f64 / RAO_PER_TAO,
        "incentive": f64::from(n.incentive.0) / f64::from(u16::MAX),
        "validator_permit": n.validator_permit,
        "axon_info": { "ip": axon_ip(&n.axon_info), "port": n.axon_info.port },
        "last_update": n.last_update.0,
    })
}

/// Decodes the hex answer of `state_call`.
pub fn decode_neurons(url: &str, hex: &str) -> Result<Vec<NeuronInfoLite>> {
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
    let neurons = Vec::<NeuronInfoLite>::decode(&mut input).map_err(|e| {
        bad(format!(
            "the state_call result does not decode as Vec<NeuronInfoLite> ({e}); the runtime may have changed the type"
        ))
    })?;
    if !input.is_empty() {
        return Err(bad(format!(
            "{} bytes were left after decoding {} neurons; the runtime may have changed the type",
            input.len(),
            neurons.len()
        )));
    }
    Ok(neurons)
}

/// Fetches the subnet's neurons.
pub(super) fn fetch(client: &mut Client, endpoint: &str, netuid: u16) -> Result<Fetched> {
    let params = format!("0x{}", hex(&netuid.to_le_bytes()));
    let request = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "state_call",
        "params": ["NeuronInfoRuntimeApi_get_neurons_lite", params],
    });
    let answer = client.post_json(endpoint, &request)?;
    if let Some(e) = answer.get("error") {
        return Err(Error::network(endpoint, format!("JSON-RPC error: {e}")));
    }
    let result = answer["result"]
        .as_str()
        .ok_or_else(|| Error::network(endpoint, "the JSON-RPC answer has no `result` string"))?;
    let neurons = decode_neurons(endpoint, result)?;
    let mut problems = Vec::new();
    if let Some(n) = neurons.iter().find(|n| n.netuid.0 != netuid) {
        problems.push(format!(
            "neuron uid {} belongs to subnet {}, not {netuid}",
            n.uid.0, n.netuid.0
        ));
    }
    let list: Vec<Value> = neurons.iter().map(neuron_json).collect();
    let (list, duplicates) = super::pages::dedup(list, "hotkey");
    Ok(Fetched {
        received: list.len() as u64,
        document: json!({ "netuid": netuid, "neurons": list }),
        adapter: "bittensor-metagraph",
        pages: 1,
        expected: None,
        duplicates,
        problems,
        network: None,
    })
}

/// Hex of a SCALE-encoded neuron list (for test servers and fixtures).
pub fn encode_neurons(neurons: &[NeuronInfoLite]) -> String {
    format!("0x{}", hex(&neurons.encode()))
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
        let j = neuron_json(&n);
        assert_eq!(j["stake"], 2.0);
        assert_eq!(j["axon_info"]["ip"], "203.0.113.9");
        assert!(
            decode_neurons("x", &hex[..hex.len() - 2]).is_err(),
            "truncated"
        );
        assert!(decode_neurons("x", "0xzz").is_err());
    }
}
