//! Each network adapter forced on arbitrary input (`--source KIND`); the
//! first byte picks the adapter.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rackaudit::sources::{Input, read};

const KINDS: [&str; 9] = [
    "snapshot",
    "csv",
    "bittensor-snapshot",
    "bittensor-metagraph",
    "cosmos",
    "akash-console",
    "akash-chain",
    "akash-aep4",
    "vastai",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let kind = KINDS[usize::from(pick) % KINDS.len()];
    let _ = read(&Input { location: "fuzz", bytes: rest }, Some(kind));
});
