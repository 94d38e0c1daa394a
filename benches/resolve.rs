//! Operator-resolution benchmark: 1,000,000 providers with 3 link keys each
//! (owner address, website domain, IP address), clustered by the union-find.
//! Run with `cargo bench --bench resolve`; prints wall time per run.

use rackaudit::entities::{Confidence, ResolveOptions, resolve};
use rackaudit::model::{KeyKind, Provider};
use rackaudit::synth::Rng;
use std::time::Instant;

/// Random keys: owners shared by about three providers, domains by about
/// five, random IPs. The key graph percolates into one giant component,
/// the worst case for the union-find and for sorting members.
fn random_providers(n: usize) -> Vec<Provider> {
    let mut rng = Rng::new(7);
    (0..n)
        .map(|i| {
            let mut p = Provider::new(format!("provider-{i:07}"));
            p.add_key(
                KeyKind::OwnerAddress,
                format!("owner{}", rng.next_u64() % (n as u64 / 3)),
            );
            p.add_key(
                KeyKind::Domain,
                format!("https://node.op{}.example", rng.next_u64() % (n as u64 / 5)),
            );
            let ip = rng.next_u64();
            p.ip = Some(rackaudit::model::Text::from(format!(
                "{}.{}.{}.{}",
                11 + ip % 200,
                (ip >> 8) % 256,
                (ip >> 16) % 256,
                (ip >> 24) % 256
            )));
            p
        })
        .collect()
}

fn providers(n: usize) -> Vec<Provider> {
    let mut rng = Rng::new(7);
    (0..n)
        .map(|i| {
            let mut p = Provider::new(format!("provider-{i:07}"));
            // Operators of six providers: two owner accounts of three
            // providers each, tied by one web domain; IPs in /24 networks
            // shared by two operators (so the network tier doubles them).
            p.add_key(KeyKind::OwnerAddress, format!("owner{}", i / 3));
            p.add_key(
                KeyKind::Domain,
                format!("https://node{}.op{}.example", i % 6, i / 6),
            );
            let net = i / 12;
            p.ip = Some(rackaudit::model::Text::from(format!(
                "{}.{}.{}.{}",
                11 + net / 65536 % 200,
                net / 256 % 256,
                net % 256,
                1 + rng.next_u64() % 250
            )));
            p
        })
        .collect()
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    for (shape, ps) in [
        ("operators of 6", providers(n)),
        ("random keys, one giant component", random_providers(n)),
    ] {
        run(shape, &ps);
    }
}

fn run(shape: &str, ps: &[Provider]) {
    let n = ps.len();
    for (label, tier) in [
        ("domain (default)", Confidence::Domain),
        ("network (all keys)", Confidence::Network),
    ] {
        let opts = ResolveOptions {
            min_confidence: tier,
            ..ResolveOptions::default()
        };
        let mut times = Vec::new();
        let mut operators = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let r = resolve(ps, &opts);
            times.push(start.elapsed().as_secs_f64());
            operators = r.operators.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{shape}: resolve {n} providers x 3 keys, min confidence {label}: median {:.3} s (min {:.3}, max {:.3}); {operators} operators",
            times[1], times[0], times[2]
        );
    }
}
