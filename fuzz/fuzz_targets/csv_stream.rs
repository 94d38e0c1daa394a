//! The streaming generic-CSV reader (large files), then the supply checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = rackaudit::sources::generic_csv::read_rows("fuzz", data, data.len() as u64) {
        let profile = rackaudit::supply::NetworkProfile::for_snapshot(&s);
        let _ = rackaudit::supply::check(&s, &profile, None);
    }
});
