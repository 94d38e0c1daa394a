//! `rackaudit metrics` input (a JSON array or one number per line), then
//! every metric on what parses.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(values) = rackaudit::sources::numbers::parse_numbers("fuzz", text)
        && let Ok(w) = rackaudit::metrics::Weights::from_vec(values)
    {
        let _ = rackaudit::metrics::Summary::compute(&w, &Default::default());
    }
});
