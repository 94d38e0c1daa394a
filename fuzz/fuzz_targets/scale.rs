//! Collector response decoding: the Bittensor `state_call` answer (SCALE
//! `Vec<NeuronInfoLite>`), given as raw bytes and as hex text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rackaudit::collect::bittensor::decode_neurons;

fuzz_target!(|data: &[u8]| {
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let _ = decode_neurons("fuzz", &format!("0x{hex}"));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = decode_neurons("fuzz", text);
    }
});
