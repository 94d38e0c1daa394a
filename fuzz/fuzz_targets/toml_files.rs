//! The TOML inputs: workload profiles, claims files, operator mapping
//! files and network profiles; the first byte picks the parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    match pick % 4 {
        0 => drop(rackaudit::stress::workload::parse("fuzz", text)),
        1 => drop(rackaudit::claims::parse("fuzz", text)),
        2 => drop(rackaudit::entities::Mapping::parse("fuzz", text)),
        _ => drop(rackaudit::supply::profile::parse("fuzz", text)),
    }
});
