//! Block-explorer transfer exports (Etherscan family, Solscan).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rackaudit::rewards::read_export("fuzz", data);
});
