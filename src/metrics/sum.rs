//! Numerically robust summation (Neumaier's compensated sum).
//!
//! Concentration metrics divide by totals that may add up millions of values
//! spanning many orders of magnitude (rao-denominated stake next to dust). A
//! naive running sum loses the small terms; the compensated sum keeps the
//! rounding error in a second accumulator so the result is as if it were
//! computed in roughly twice the precision.

/// A running compensated sum.
#[derive(Debug, Default, Clone, Copy)]
pub struct KahanSum {
    sum: f64,
    compensation: f64,
}

impl KahanSum {
    /// Adds one term.
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The current total.
    pub fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Compensated sum of a sequence of values.
pub fn sum<I: IntoIterator<Item = f64>>(values: I) -> f64 {
    let mut acc = KahanSum::default();
    for v in values {
        acc.add(v);
    }
    acc.total()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_small_terms_next_to_large_ones() {
        // 1e16 + 1 + 1 - 1e16 is 2; the naive f64 sum gives 0.
        assert_eq!(sum([1e16, 1.0, 1.0, -1e16]), 2.0);
    }

    #[test]
    fn many_tenths_sum_to_exact_value() {
        let total = sum(std::iter::repeat_n(0.1, 1_000_000));
        assert!((total - 100_000.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(sum(std::iter::empty()), 0.0);
    }
}
