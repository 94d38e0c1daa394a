//! The real snapshots bundled into the binary, audited by `rackaudit audit`
//! when no input is given. Each file sits in `data/` beside its
//! PROVENANCE.md; the notes here carry what the provenance says a reader of
//! the numbers must know.

use crate::error::Result;
use crate::model::Snapshot;
use crate::sources::{Input, read};

/// One bundled input.
pub struct Bundled {
    /// Path inside the repository.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// When the provenance knows it better than the file.
    pub taken_at: Option<&'static str>,
    /// Network name, when the provenance knows it better than the file.
    pub network: Option<&'static str>,
    pub note: &'static str,
}

macro_rules! bundled {
    ($path:literal, $taken:expr, $network:expr, $note:literal) => {
        Bundled {
            path: $path,
            bytes: include_bytes!(concat!("../", $path)),
            taken_at: $taken,
            network: $network,
            note: $note,
        }
    };
}

/// Every bundled input, in audit order.
pub const BUNDLED: &[Bundled] = &[
    bundled!(
        "data/bittensor/subtensor_nakamoto_snapshot_block3606775.json",
        Some("block 3606775 (2023-03-20)"),
        Some("bittensor-nakamoto"),
        "Real chain state of the Nakamoto-era Bittensor network (4,096 hotkeys), the genesis input of Finney; stake only, no hardware."
    ),
    bundled!(
        "data/bittensor/subnet_emissions_2025/emissions_20251027.json",
        None,
        None,
        "Real Finney mainnet emission split across subnets on 2025-10-27 (btcli subnet list): each subnet is one entity, weighted by its emission rate; who runs the subnets is not in the data. The whole 44-day series is in data/bittensor/subnet_emissions_2025/ (see `rackaudit history bittensor-subnets`)."
    ),
    bundled!(
        "data/cosmos/osmosis1_valset_height471386.json",
        None,
        None,
        "Real historical_info response of Osmosis mainnet at height 471386 (top 100 validator set)."
    ),
    bundled!(
        "data/cosmos/cosmoshub_validators_2019.json",
        Some("about 2019-04"),
        Some("cosmoshub-2"),
        "Real Cosmos Hub validator list of about April 2019 (legacy LCD schema), saved in a repository as a mock."
    ),
    bundled!(
        "data/cosmos/celestia_validators_vp_2025-07.json",
        Some("about 2025-06-29"),
        Some("celestia (probably the Mocha testnet)"),
        "Real voting-power shares recorded by an upgrade-signal script; the network is not stated and monikers suggest the Mocha testnet."
    ),
    bundled!(
        "data/akash/website_aep-4_providers.json",
        Some("2019-11/12"),
        None,
        "Real Akash testnet providers of 2019 (CPU only, no GPUs, prices or uptime)."
    ),
    bundled!(
        "data/akash/community_gpu_testnet_2023.generic.csv",
        Some("2023-05/06"),
        Some("akash-gpu-testnet-2023"),
        "Self-reported table of the Akash GPU Community Insider Testnet: 5 providers, 8 GPUs; the steering committee counted about 18 providers and 25 GPUs, so this is a minority."
    ),
    bundled!(
        "data/vastai/vast_offers_A100SXM4_fieldsubset.json",
        Some("about 2026-06-02"),
        None,
        "Real Vast.ai search result for A100 SXM4 only (33 offers, 20 machines): the centralized-marketplace baseline, not the whole market."
    ),
];

/// Reads one bundled input into a snapshot with its provenance notes.
pub fn read_bundled(b: &Bundled) -> Result<(Snapshot, String)> {
    let location = format!("bundled:{}", b.path);
    let input = Input {
        location: &location,
        bytes: b.bytes,
    };
    let mut s = read(&input, None)?;
    if let Some(t) = b.taken_at {
        s.taken_at = Some(t.to_string());
    }
    if let Some(n) = b.network {
        s.network = n.to_string();
    }
    s.source.note = Some(b.note.to_string());
    Ok((s, input.sha256()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_input_reads() {
        for b in BUNDLED {
            let (s, sha) = read_bundled(b).unwrap_or_else(|e| panic!("{}: {e}", b.path));
            assert!(!s.providers.is_empty(), "{}", b.path);
            assert_eq!(sha.len(), 64);
        }
    }
}
