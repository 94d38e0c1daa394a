//! GeoIP databases: opening an arbitrary file as MMDB and looking up
//! addresses in it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(db) = rackaudit::supply::GeoIp::from_bytes(vec![("fuzz".into(), data.to_vec())]) {
        for ip in ["1.2.3.4", "203.0.113.9", "255.255.255.255", "2001:db8::1"] {
            let _ = db.lookup(ip.parse().expect("valid address"));
        }
    }
});
