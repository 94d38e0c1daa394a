//! Format auto-detection and every adapter it reaches, then the audit
//! (with supply checks) of whatever parses: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rackaudit::sources::{Input, read};

fuzz_target!(|data: &[u8]| {
    let input = Input { location: "fuzz", bytes: data };
    if let Ok(s) = read(&input, None)
        && s.providers.len() <= 256
    {
        let _ = rackaudit::pipeline::audit(&s, &rackaudit::audit::AuditOptions::default());
    }
});
