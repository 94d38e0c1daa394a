//! Dispersion statistics of values (uptime, prices), plain and weighted.
//!
//! Quantiles of plain samples use linear interpolation between order
//! statistics (Hyndman–Fan type 7, the default of R and NumPy); weighted
//! quantiles use the inverse of the weighted empirical CDF. Standard
//! deviations are population ones: the audit describes the whole snapshot,
//! not a sample of it.

use super::sum::sum;
use serde::Serialize;

/// Summary of how spread out a set of values is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dispersion {
    /// Number of values.
    pub n: usize,
    pub min: f64,
    pub p10: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub p90: f64,
    pub max: f64,
    pub mean: f64,
    /// Population standard deviation.
    pub std_dev: f64,
    /// Standard deviation / mean; `None` when the mean is zero.
    pub coefficient_of_variation: Option<f64>,
    /// p75 − p25.
    pub iqr: f64,
}

/// Plain dispersion of `values` (non-finite values must be filtered out by
/// the caller). `None` when there are no values.
pub fn dispersion(values: &[f64]) -> Option<Dispersion> {
    let ones = vec![1.0; values.len()];
    describe(values, &ones, quantile_type7)
}

/// Dispersion of `values` each counted with `weights` (e.g. uptime per GPU).
/// Zero-weight values are ignored. `None` when the total weight is zero.
pub fn weighted_dispersion(values: &[f64], weights: &[f64]) -> Option<Dispersion> {
    assert_eq!(values.len(), weights.len(), "one weight per value");
    describe(values, weights, quantile_weighted)
}

type QuantileFn = fn(&[(f64, f64)], f64, f64) -> f64;

fn describe(values: &[f64], weights: &[f64], quantile: QuantileFn) -> Option<Dispersion> {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(v, w)| v.is_finite() && **w > 0.0)
        .map(|(&v, &w)| (v, w))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    // Stable, as a comparison sort by `total_cmp` would be.
    super::radix::sort_by_u64_key(&mut pairs, |p| super::radix::total_order_key(p.0));
    let total = sum(pairs.iter().map(|p| p.1));
    let mean = sum(pairs.iter().map(|(v, w)| v * w)) / total;
    let var = sum(pairs.iter().map(|(v, w)| w * (v - mean).powi(2))) / total;
    let std_dev = var.max(0.0).sqrt();
    let q = |p| quantile(&pairs, total, p);
    let (p25, p75) = (q(0.25), q(0.75));
    Some(Dispersion {
        n: pairs.len(),
        min: pairs[0].0,
        p10: q(0.10),
        p25,
        median: q(0.5),
        p75,
        p90: q(0.90),
        max: pairs[pairs.len() - 1].0,
        mean,
        std_dev,
        coefficient_of_variation: (mean != 0.0).then(|| std_dev / mean.abs()),
        iqr: p75 - p25,
    })
}

/// Type-7 quantile of sorted values (weights are all one here).
fn quantile_type7(sorted: &[(f64, f64)], _total: f64, p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo].0 + (h - lo as f64) * (sorted[hi].0 - sorted[lo].0)
}

/// Smallest value whose cumulative weight reaches `p` of the total.
fn quantile_weighted(sorted: &[(f64, f64)], total: f64, p: f64) -> f64 {
    let target = p * total;
    let mut cumulative = 0.0;
    for &(v, w) in sorted {
        cumulative += w;
        if cumulative >= target {
            return v;
        }
    }
    sorted[sorted.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_dispersion_matches_hand_values() {
        let d = dispersion(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((d.n, d.min, d.max), (4, 1.0, 4.0));
        assert_eq!(d.median, 2.5);
        assert_eq!(d.p25, 1.75, "type 7: 1 + 0.75 * (2 - 1)");
        assert_eq!(d.p75, 3.25);
        assert_eq!(d.iqr, 1.5);
        assert_eq!(d.mean, 2.5);
        assert!((d.std_dev - 1.25f64.sqrt()).abs() < 1e-12);
        assert!((d.coefficient_of_variation.unwrap() - 1.25f64.sqrt() / 2.5).abs() < 1e-12);
    }

    #[test]
    fn single_value_has_no_spread() {
        let d = dispersion(&[0.9]).unwrap();
        assert_eq!((d.median, d.std_dev, d.iqr), (0.9, 0.0, 0.0));
        assert_eq!(dispersion(&[]), None);
    }

    #[test]
    fn weights_shift_the_centre() {
        // 0.5 uptime on 1 GPU, 1.0 uptime on 3 GPUs.
        let d = weighted_dispersion(&[0.5, 1.0], &[1.0, 3.0]).unwrap();
        assert_eq!(d.mean, 0.875);
        assert_eq!(d.median, 1.0);
        assert_eq!(d.p10, 0.5);
        assert_eq!(weighted_dispersion(&[1.0], &[0.0]), None);
    }

    #[test]
    fn zero_mean_has_no_cv() {
        assert_eq!(
            dispersion(&[0.0, 0.0]).unwrap().coefficient_of_variation,
            None
        );
    }
}
