//! A small seeded random number generator, the same on every platform:
//! synthetic data, Monte Carlo trials and retry jitter draw from it.

/// SplitMix64: small, fast and deterministic across platforms.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Index drawn with probability proportional to 1 / (rank + 1)^s.
    pub fn zipf(&mut self, n: usize, s: f64) -> usize {
        // Inverse-CDF on the continuous approximation, clamped.
        let u = self.unit();
        let x = if (s - 1.0).abs() < 1e-9 {
            ((n as f64 + 1.0).ln() * u).exp() - 1.0
        } else {
            let a = 1.0 - s;
            (((n as f64 + 1.0).powf(a) - 1.0) * u + 1.0).powf(1.0 / a) - 1.0
        };
        (x as usize).min(n - 1)
    }
}
