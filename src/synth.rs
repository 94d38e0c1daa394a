//! Synthetic snapshots for benchmarks: a deterministic generator of
//! generic-CSV networks with heavy-tailed provider sizes, operators owning
//! several providers, and realistic mixes of countries, clouds and GPUs.
//! Synthetic data is for measuring speed only; audits of real networks use
//! real data.

use std::io::Write;

pub use crate::rng::Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub providers: usize,
    /// Approximate total GPUs.
    pub gpus: u64,
    pub seed: u64,
    /// Operators the providers belong to (Zipf-distributed); `None`: a
    /// quarter of the providers.
    pub operators: Option<usize>,
}

const COUNTRIES: &[&str] = &[
    "US", "DE", "NL", "FR", "GB", "CA", "SG", "JP", "KR", "FI", "SE", "PL", "CZ", "HR", "IN", "BR",
    "AU", "CN", "HK", "TW", "RU", "UA", "ES", "IT", "CH", "NO", "IE", "AE", "ZA", "MX",
];
const ASNS: &[&str] = &[
    "16509", "396982", "8075", "31898", "24940", "16276", "14061", "20473", "63949", "51167", "",
    "", "", "7922", "3320", "12389",
];
const MODELS: &[(&str, &str, u32, f64)] = &[
    ("nvidia", "H100 SXM", 80, 2.4),
    ("nvidia", "A100 PCIe", 80, 1.2),
    ("nvidia", "A100 SXM4", 40, 0.9),
    ("nvidia", "RTX 4090", 24, 0.35),
    ("nvidia", "RTX 3090", 24, 0.2),
    ("nvidia", "L40S", 48, 0.9),
    ("nvidia", "H200", 141, 3.3),
    ("amd", "MI300X", 192, 2.1),
    ("nvidia", "T4", 16, 0.15),
    ("nvidia", "RTX A6000", 48, 0.5),
];

/// Writes a synthetic generic-CSV snapshot.
pub fn write_csv<W: Write>(spec: &SynthSpec, out: W) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let mut rng = Rng::new(spec.seed);
    writeln!(out, "{}", crate::sources::generic_csv::COLUMNS.join(","))?;
    let n = spec.providers.max(1);
    // Pareto-like sizes: provider i gets weight 1/(i+1)^0.8, scaled to the total.
    let raw: Vec<f64> = (0..n).map(|i| 1.0 / ((i + 1) as f64).powf(0.8)).collect();
    let scale = spec.gpus as f64 / raw.iter().sum::<f64>();
    let operators = spec.operators.unwrap_or(n / 4).clamp(1, n);
    for (i, r) in raw.iter().enumerate() {
        let total = ((r * scale).round() as u64).max(1);
        let operator = rng.zipf(operators, 1.1);
        let country = COUNTRIES[rng.zipf(COUNTRIES.len(), 1.2)];
        let asn = ASNS[rng.next_u64() as usize % ASNS.len()];
        let uptime = 1.0 - rng.unit().powi(3) * 0.4;
        let groups = 1 + (rng.next_u64() % 2) as usize;
        let mut left = total;
        for g in 0..groups {
            let count = if g + 1 == groups { left } else { left / 2 };
            left -= count;
            if count == 0 {
                continue;
            }
            let (vendor, model, mem, price) = MODELS[rng.zipf(MODELS.len(), 0.9)];
            let ask = price * (0.7 + 0.6 * rng.unit());
            writeln!(
                out,
                "p{i},op{operator},provider {i},{country},,{asn},,,{vendor},{model},{count},{mem},{uptime:.4},{ask:.4},"
            )?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_readable_deterministic_snapshot() {
        let spec = SynthSpec {
            providers: 200,
            gpus: 4000,
            seed: 7,
            operators: None,
        };
        let mut a = Vec::new();
        write_csv(&spec, &mut a).unwrap();
        let mut b = Vec::new();
        write_csv(&spec, &mut b).unwrap();
        assert_eq!(a, b);
        let s = crate::sources::read(
            &crate::sources::Input {
                location: "synth",
                bytes: &a,
            },
            None,
        )
        .unwrap();
        assert_eq!(s.providers.len(), 200);
        let gpus: u64 = s.providers.iter().map(|p| p.gpu_count()).sum();
        assert!((3900..=4100).contains(&gpus), "{gpus}");
    }
}
