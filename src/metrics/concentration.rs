//! Concentration and diversity metrics on a vector of non-negative weights.
//!
//! Every function here is pure: it takes a validated [`Weights`] value and
//! returns a number (or `None` when the metric is undefined because the total
//! weight is zero). Conventions follow the Edinburgh Decentralization Index
//! (Blockchain-Technology-Lab/consensus-decentralization) so numbers are
//! comparable with published results; `METHODOLOGY.md` states each formula and
//! its edge cases.

use super::sum::{KahanSum, sum};
use super::threshold::Threshold;

/// Why a weight vector was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidWeight {
    #[error("weight at position {position} is negative ({value})")]
    Negative { position: usize, value: f64 },
    #[error("weight at position {position} is not a finite number ({value})")]
    NotFinite { position: usize, value: f64 },
}

/// Non-negative finite weights, sorted in descending order, with their total.
///
/// Sorting once and summing in that fixed order makes every metric (and the
/// cumulative share used by the Nakamoto coefficient) reproducible bit for bit.
#[derive(Debug, Clone)]
pub struct Weights {
    desc: Vec<f64>,
    total: f64,
}

impl Weights {
    /// Validates and sorts `values` (positions in errors are 0-based).
    pub fn new(values: &[f64]) -> Result<Self, InvalidWeight> {
        Self::from_vec(values.to_vec())
    }

    /// Like [`Weights::new`] but takes ownership to avoid a copy.
    pub fn from_vec(mut values: Vec<f64>) -> Result<Self, InvalidWeight> {
        for (position, &value) in values.iter().enumerate() {
            if !value.is_finite() {
                return Err(InvalidWeight::NotFinite { position, value });
            }
            if value < 0.0 {
                return Err(InvalidWeight::Negative { position, value });
            }
        }
        // -0.0 and 0.0 compare equal; normalise so output never shows "-0".
        for v in values.iter_mut() {
            if *v == 0.0 {
                *v = 0.0;
            }
        }
        // Non-negative finite floats order like their bit patterns, and
        // integer sorting is markedly faster than a float comparator.
        // Callers usually pass them ranked already: check in one pass.
        if !values.windows(2).all(|w| w[0].to_bits() >= w[1].to_bits()) {
            super::radix::sort_by_u64_key(&mut values, |v| !v.to_bits());
        }
        let mut total = sum(values.iter().copied());
        if !total.is_finite() {
            // Every metric is scale-invariant: rescale rather than overflow.
            let largest = values[0];
            values.iter_mut().for_each(|v| *v /= largest);
            total = sum(values.iter().copied());
        }
        Ok(Self {
            desc: values,
            total,
        })
    }

    /// Number of entities, zero-weight ones included.
    pub fn len(&self) -> usize {
        self.desc.len()
    }

    /// True when there are no entities at all.
    pub fn is_empty(&self) -> bool {
        self.desc.is_empty()
    }

    /// Sum of all weights.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Weights in descending order.
    pub fn descending(&self) -> &[f64] {
        &self.desc
    }

    /// Shares in descending order, or `None` when the total is zero.
    fn shares(&self) -> Option<impl Iterator<Item = f64> + '_> {
        (self.total > 0.0).then(|| self.desc.iter().map(move |w| w / self.total))
    }
}

/// `f` for a sequence of sorted weights or shares, evaluated once per run
/// of equal inputs. Weights tie often (whole GPU counts), and a logarithm
/// or power costs far more than the sum it feeds: the terms are the same
/// values, added in the same order, so totals do not change.
fn per_run(f: impl Fn(f64) -> f64) -> impl FnMut(f64) -> f64 {
    let mut last: Option<(u64, f64)> = None;
    move |x| match last {
        Some((bits, y)) if bits == x.to_bits() => y,
        _ => {
            let y = f(x);
            last = Some((x.to_bits(), y));
            y
        }
    }
}

/// Number of entities with a non-zero weight.
pub fn total_entities(w: &Weights) -> usize {
    w.desc.iter().take_while(|&&x| x > 0.0).count()
}

/// Tau index: the fewest largest entities whose cumulative share reaches
/// `threshold` (at least it, or more than it, as the threshold says).
/// `None` for zero total weight, and when even every entity together does
/// not reach it (more than 100%).
pub fn tau_index(w: &Weights, threshold: &Threshold) -> Option<usize> {
    if w.total <= 0.0 {
        return None;
    }
    let mut covered = KahanSum::default();
    let mut count = 0;
    for &x in &w.desc {
        if threshold.reached(covered.total(), w.total) {
            return Some(count);
        }
        covered.add(x);
        count += 1;
    }
    threshold.reached(covered.total(), w.total).then_some(count)
}

/// Half the weight, at least: the Nakamoto coefficient's threshold (EDI).
pub const HALF: Threshold = Threshold::HALF;

/// Nakamoto coefficient: the tau index at (at least) 0.5.
pub fn nakamoto_coefficient(w: &Weights) -> Option<usize> {
    tau_index(w, &HALF)
}

/// Concentration ratio CR_k: the joint share of the `k` largest entities.
pub fn concentration_ratio(w: &Weights, k: usize) -> Option<f64> {
    (w.total > 0.0).then(|| sum(w.desc.iter().take(k).copied()) / w.total)
}

/// Largest single share (CR_1).
pub fn max_share(w: &Weights) -> Option<f64> {
    concentration_ratio(w, 1)
}

/// Herfindahl–Hirschman index on the 0–10,000 scale (shares in percent).
pub fn hhi(w: &Weights) -> Option<f64> {
    w.shares().map(|s| sum(s.map(|p| (100.0 * p).powi(2))))
}

/// The reading of an HHI under the 2023 U.S. Merger Guidelines (DoJ and
/// FTC, section 2.1): above 1,800 highly concentrated, 1,000 to 1,800
/// moderately concentrated, below 1,000 unconcentrated.
pub fn hhi_band(hhi: f64) -> &'static str {
    if hhi > HHI_HIGHLY_CONCENTRATED_ABOVE {
        "highly concentrated"
    } else if hhi >= HHI_UNCONCENTRATED_BELOW {
        "moderately concentrated"
    } else {
        "unconcentrated"
    }
}

/// 2023 U.S. Merger Guidelines: an HHI above this is highly concentrated.
pub const HHI_HIGHLY_CONCENTRATED_ABOVE: f64 = 1_800.0;
/// 2023 U.S. Merger Guidelines: an HHI below this is unconcentrated.
pub const HHI_UNCONCENTRATED_BELOW: f64 = 1_000.0;

/// Gini coefficient, population formula; zero-weight entities count in n.
pub fn gini(w: &Weights) -> Option<f64> {
    if w.total <= 0.0 {
        return None;
    }
    let n = w.desc.len() as f64;
    // With x sorted descending and rank i = 1..n:
    // G = sum_i (n + 1 - 2i) x_i / (n * total).
    let numerator = sum(w
        .desc
        .iter()
        .enumerate()
        .map(|(i, &x)| (n + 1.0 - 2.0 * (i as f64 + 1.0)) * x));
    Some((numerator / (n * w.total)).max(0.0))
}

/// Shannon entropy in bits.
pub fn shannon_entropy(w: &Weights) -> Option<f64> {
    w.shares()
        .map(|s| -sum(s.filter(|&p| p > 0.0).map(per_run(|p| p * p.log2()))) + 0.0)
}

/// Min-entropy in bits: `-log2(max share)`.
pub fn min_entropy(w: &Weights) -> Option<f64> {
    max_share(w).map(|p| -p.log2() + 0.0)
}

/// Order of a Rényi entropy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RenyiOrder {
    /// A finite order α ≥ 0 (α = 1 is Shannon entropy, α = 0 Hartley entropy).
    Finite(f64),
    /// α → ∞, the min-entropy (the EDI spells it α = −1).
    Infinite,
}

/// Rényi entropy in bits. α = 0 counts zero-weight entities (log2 n), as the
/// EDI does; α = 1 is Shannon; α = ∞ is min-entropy.
pub fn renyi_entropy(w: &Weights, order: RenyiOrder) -> Option<f64> {
    match order {
        RenyiOrder::Infinite => min_entropy(w),
        RenyiOrder::Finite(1.0) => shannon_entropy(w),
        RenyiOrder::Finite(0.0) => (w.total > 0.0).then(|| (w.len() as f64).log2()),
        RenyiOrder::Finite(a) if a.fract() == 0.0 && a <= i32::MAX as f64 => w.shares().map(|s| {
            sum(s.filter(|&p| p > 0.0).map(per_run(|p| p.powi(a as i32)))).log2() / (1.0 - a) + 0.0
        }),
        RenyiOrder::Finite(a) => w.shares().map(|s| {
            sum(s.filter(|&p| p > 0.0).map(per_run(|p| p.powf(a)))).log2() / (1.0 - a) + 0.0
        }),
    }
}

/// Shannon entropy as a share of its maximum, log2(non-zero entities).
/// A single entity has no diversity: 0 (the EDI convention).
pub fn entropy_percentage(w: &Weights) -> Option<f64> {
    Some(entropy_share(shannon_entropy(w)?, total_entities(w)))
}

/// Shannon entropy `h` as a share of log2(`nonzero`); 0 for one entity.
pub fn entropy_share(h: f64, nonzero: usize) -> f64 {
    if nonzero <= 1 {
        0.0
    } else {
        h / (nonzero as f64).log2()
    }
}

/// Theil T index (natural log); zero-weight entities count in n.
pub fn theil_index(w: &Weights) -> Option<f64> {
    if w.total <= 0.0 {
        return None;
    }
    let n = w.desc.len() as f64;
    let mean = w.total / n;
    let t = sum(w
        .desc
        .iter()
        .copied()
        .filter(|&x| x > 0.0)
        .map(per_run(|x| (x / mean) * (x / mean).ln())))
        / n;
    Some(t.max(0.0))
}

/// Effective number of entities (Hill numbers of order 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EffectiveEntities {
    /// 2^(Shannon entropy in bits): Hill number of order 1.
    pub shannon: f64,
    /// 1 / sum of squared shares (10,000 / HHI): Hill number of order 2.
    pub inverse_hhi: f64,
}

/// Effective number of entities, or `None` for zero total weight.
pub fn effective_entities(w: &Weights) -> Option<EffectiveEntities> {
    Some(effective_from(shannon_entropy(w)?, hhi(w)?))
}

/// Hill numbers from a Shannon entropy (bits) and an HHI (0–10,000).
pub fn effective_from(shannon_bits: f64, hhi: f64) -> EffectiveEntities {
    EffectiveEntities {
        shannon: shannon_bits.exp2(),
        inverse_hhi: 10_000.0 / hhi,
    }
}

#[cfg(test)]
mod tests {
    use super::super::threshold::Holds;
    use super::*;

    fn w(values: &[f64]) -> Weights {
        Weights::new(values).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn nakamoto_table() {
        let cases: &[(&[f64], Option<usize>, &str)] = &[
            (&[], None, "empty input is undefined"),
            (&[0.0, 0.0], None, "all-zero input is undefined"),
            (&[5.0], Some(1), "one entity holds everything"),
            (
                &[1.0, 1.0],
                Some(1),
                "exactly half counts: at least the threshold",
            ),
            (
                &[1.0, 1.0, 1.0, 1.0],
                Some(2),
                "two of four equal reach 50% exactly",
            ),
            (&[1.0, 1.0, 1.0], Some(2), "one third is below half"),
            (&[3.0, 1.0, 1.0, 1.0], Some(1), "largest holds exactly half"),
            (
                &[1.0, 4.0, 0.0, 5.0],
                Some(1),
                "order of input does not matter",
            ),
            (&[2.0, 2.0, 1.0, 0.0, 0.0], Some(2), "zeros never needed"),
        ];
        for (input, expected, why) in cases {
            assert_eq!(nakamoto_coefficient(&w(input)), *expected, "{why}");
        }
    }

    #[test]
    fn tau_table() {
        let ten = [1.0; 10];
        let cases: &[(&[f64], f64, Option<usize>, &str)] = &[
            (&ten, 0.33, Some(4), "3 of 10 is 0.30, below 0.33"),
            (&ten, 0.66, Some(7), "7 of 10 is the first at or above 0.66"),
            (&ten, 0.0, Some(0), "zero threshold needs nobody"),
            (&ten, 1.0, Some(10), "full threshold needs everyone"),
            (
                &[1.0, 1.0, 1.0],
                0.66,
                Some(2),
                "two thirds is at least 0.66",
            ),
            (&[1.0, 1.0, 1.0], 0.67, Some(3), "two thirds is below 0.67"),
            (
                &[9.0, 1.0, 0.0],
                1.0,
                Some(2),
                "zero-weight entities are never needed",
            ),
        ];
        for (input, threshold, expected, why) in cases {
            let t = Threshold::parse(&threshold.to_string(), Holds::AtLeast).unwrap();
            assert_eq!(tau_index(&w(input), &t), *expected, "{why}");
        }
        // More than a share: equal thirds need two for more than 1/3.
        let more = Threshold::parse(">1/3", Holds::AtLeast).unwrap();
        assert_eq!(tau_index(&w(&[1.0, 1.0, 1.0]), &more), Some(2));
        let all = Threshold::parse(">1", Holds::AtLeast).unwrap();
        assert_eq!(
            tau_index(&w(&[1.0, 1.0]), &all),
            None,
            "nobody holds more than 100%"
        );
    }

    #[test]
    fn hhi_table() {
        let cases: &[(&[f64], Option<f64>, &str)] = &[
            (&[1.0], Some(10_000.0), "monopoly"),
            (&[1.0, 1.0], Some(5_000.0), "duopoly of equals"),
            (&[1.0; 4], Some(2_500.0), "four equals"),
            (&[3.0, 1.0], Some(6_250.0), "75/25: 5625 + 625"),
            (
                &[1.0, 0.0, 0.0],
                Some(10_000.0),
                "zeros do not lower the HHI",
            ),
            (&[0.0], None, "zero total"),
        ];
        for (input, expected, why) in cases {
            let got = hhi(&w(input));
            match (got, expected) {
                (Some(g), Some(e)) => assert!(close(g, *e), "{why}: {g}"),
                (g, e) => assert_eq!(g, *e, "{why}"),
            }
        }
    }

    #[test]
    fn hhi_bands_of_the_2023_merger_guidelines() {
        let cases = [
            (999.9, "unconcentrated"),
            (1_000.0, "moderately concentrated"),
            (1_800.0, "moderately concentrated"),
            (1_800.1, "highly concentrated"),
            (10_000.0, "highly concentrated"),
        ];
        for (hhi, band) in cases {
            assert_eq!(hhi_band(hhi), band, "{hhi}");
        }
    }

    #[test]
    fn gini_table() {
        let cases: &[(&[f64], f64, &str)] = &[
            (&[1.0, 1.0, 1.0], 0.0, "perfect equality"),
            (
                &[1.0, 0.0, 0.0, 0.0],
                0.75,
                "one of four holds all: 1 - 1/n",
            ),
            (&[1.0], 0.0, "one entity"),
            (
                &[1.0, 2.0, 3.0, 4.0],
                0.25,
                "sum |xi-xj| = 20, 2 n^2 mean = 80",
            ),
        ];
        for (input, expected, why) in cases {
            let g = gini(&w(input)).unwrap();
            assert!(close(g, *expected), "{why}: {g}");
        }
        assert_eq!(gini(&w(&[])), None);
    }

    #[test]
    fn entropy_table() {
        // Four equal entities: 2 bits of every order.
        let four = w(&[1.0; 4]);
        assert!(close(shannon_entropy(&four).unwrap(), 2.0));
        assert!(close(min_entropy(&four).unwrap(), 2.0));
        assert!(close(
            renyi_entropy(&four, RenyiOrder::Finite(2.0)).unwrap(),
            2.0
        ));
        assert!(close(entropy_percentage(&four).unwrap(), 1.0));
        // 1/2, 1/4, 1/4: Shannon 1.5 bits; collision entropy -log2(3/8).
        let skew = w(&[2.0, 1.0, 1.0]);
        assert!(close(shannon_entropy(&skew).unwrap(), 1.5));
        assert!(close(
            renyi_entropy(&skew, RenyiOrder::Finite(2.0)).unwrap(),
            -(0.375f64).log2()
        ));
        assert!(close(min_entropy(&skew).unwrap(), 1.0));
        // Hartley entropy counts zero-weight entities (EDI convention).
        let with_zero = w(&[1.0, 1.0, 0.0, 0.0]);
        assert!(close(
            renyi_entropy(&with_zero, RenyiOrder::Finite(0.0)).unwrap(),
            2.0
        ));
        assert!(close(entropy_percentage(&with_zero).unwrap(), 1.0));
        // One entity: no entropy, percentage 0 by convention.
        let one = w(&[7.0]);
        assert_eq!(shannon_entropy(&one), Some(0.0));
        assert_eq!(entropy_percentage(&one), Some(0.0));
        assert_eq!(shannon_entropy(&w(&[0.0])), None);
    }

    #[test]
    fn theil_table() {
        assert!(close(theil_index(&w(&[1.0, 1.0])).unwrap(), 0.0));
        // One of two holds everything: (1/2) * 2 ln 2 = ln 2.
        assert!(close(theil_index(&w(&[1.0, 0.0])).unwrap(), 2f64.ln()));
        assert_eq!(theil_index(&w(&[])), None);
    }

    #[test]
    fn effective_entities_table() {
        let e = effective_entities(&w(&[1.0; 5])).unwrap();
        assert!(close(e.shannon, 5.0) && close(e.inverse_hhi, 5.0));
        let e = effective_entities(&w(&[2.0, 1.0, 1.0])).unwrap();
        assert!(close(e.shannon, 2f64.powf(1.5)));
        assert!(close(e.inverse_hhi, 1.0 / 0.375));
    }

    #[test]
    fn concentration_ratio_table() {
        let v = w(&[5.0, 3.0, 2.0]);
        assert!(close(concentration_ratio(&v, 1).unwrap(), 0.5));
        assert!(close(concentration_ratio(&v, 2).unwrap(), 0.8));
        assert!(close(concentration_ratio(&v, 10).unwrap(), 1.0));
        assert_eq!(concentration_ratio(&v, 0), Some(0.0));
    }

    #[test]
    fn huge_values_stay_finite() {
        let v = w(&[1e300, 1e300, 1e-300]);
        assert_eq!(nakamoto_coefficient(&v), Some(1));
        assert!(hhi(&v).unwrap().is_finite());
        assert!(gini(&v).unwrap().is_finite());
        let v = w(&[3.4e38, 1.0]);
        assert!(close(max_share(&v).unwrap(), 1.0));
        // Totals beyond f64::MAX are rescaled, not turned into infinity.
        let v = w(&[f64::MAX, f64::MAX]);
        assert!(close(max_share(&v).unwrap(), 0.5));
        assert_eq!(nakamoto_coefficient(&v), Some(1));
    }

    #[test]
    fn rejects_bad_weights() {
        assert_eq!(
            Weights::new(&[1.0, -2.0]).unwrap_err(),
            InvalidWeight::Negative {
                position: 1,
                value: -2.0
            }
        );
        assert!(matches!(
            Weights::new(&[f64::NAN]).unwrap_err(),
            InvalidWeight::NotFinite { position: 0, .. }
        ));
        assert!(Weights::new(&[f64::INFINITY]).is_err());
    }
}
