//! Coalition thresholds as exact fractions, each with its own comparison.
//!
//! A threshold says which coalitions count: those holding *at least* a
//! share (the Edinburgh Decentralization Index's tau index, and the halting
//! third of a CometBFT chain: commits need more than 2/3, so a third
//! exactly already halts) or *more than* it (the two thirds that commit a
//! CometBFT block alone). Shares are held as reduced fractions, so `1/3`
//! and `0.33` are different thresholds and never silently mixed, and the
//! comparison `covered / total ⋛ p / q` is evaluated as
//! `covered · q ⋛ p · total`, which is exact for integer weights below
//! 2^53 / q.

use serde::Serialize;

/// How a coalition's share is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holds {
    /// share ≥ threshold.
    AtLeast,
    /// share > threshold.
    MoreThan,
}

impl Holds {
    /// `≥` or `>`.
    pub fn symbol(self) -> &'static str {
        match self {
            Holds::AtLeast => "≥",
            Holds::MoreThan => ">",
        }
    }

    /// "at least" or "more than".
    pub fn words(self) -> &'static str {
        match self {
            Holds::AtLeast => "at least",
            Holds::MoreThan => "more than",
        }
    }

    /// Parses `at_least` / `more_than` (and `>=`, `>`).
    pub fn from_name(name: &str) -> Option<Holds> {
        match name.trim() {
            "at_least" | "at-least" | ">=" | "≥" => Some(Holds::AtLeast),
            "more_than" | "more-than" | ">" => Some(Holds::MoreThan),
            _ => None,
        }
    }
}

/// A share `numerator / denominator` in [0, 1] with its comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Threshold {
    numerator: u64,
    denominator: u64,
    pub holds: Holds,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Threshold {
    /// At least half: the Nakamoto coefficient's threshold.
    pub const HALF: Threshold = Threshold {
        numerator: 1,
        denominator: 2,
        holds: Holds::AtLeast,
    };

    /// `numerator / denominator`, reduced. `None` unless 0 ≤ n ≤ d and d > 0.
    pub fn new(numerator: u64, denominator: u64, holds: Holds) -> Option<Self> {
        if denominator == 0 || numerator > denominator {
            return None;
        }
        let g = gcd(numerator, denominator).max(1);
        Some(Threshold {
            numerator: numerator / g,
            denominator: denominator / g,
            holds,
        })
    }

    /// Parses `1/3`, `0.33`, `>2/3`, `>=0.5` or `≥1/2`. Without a sign the
    /// comparison is `default`.
    pub fn parse(text: &str, default: Holds) -> Result<Self, String> {
        let t = text.trim();
        let (holds, rest) = if let Some(r) = t.strip_prefix(">=").or(t.strip_prefix('≥')) {
            (Holds::AtLeast, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (Holds::MoreThan, r)
        } else {
            (default, t)
        };
        let is_fraction = rest.contains('/');
        let (n, d) = match rest.trim().split_once('/') {
            Some((n, d)) => {
                let n: u64 = n.trim().parse().map_err(|_| not_a_share(t))?;
                let d: u64 = d.trim().parse().map_err(|_| not_a_share(t))?;
                (n, d)
            }
            None => decimal(rest.trim()).ok_or_else(|| not_a_share(t))?,
        };
        Threshold::new(n, d, holds).ok_or_else(|| {
            // A typed percentage (2 to 100) gets the hint; 1.5 is not one.
            if !is_fraction && d > 0 && n >= 2 * d && n <= 100 * d {
                format!(
                    "`{t}` is above 1; it looks like a percentage: write {}",
                    percent_hint(n, d)
                )
            } else {
                format!("`{t}` is not a share: a threshold must lie between 0 and 1")
            }
        })
    }

    /// The share as a float (for display and charts only).
    pub fn value(&self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    /// `(numerator, denominator)`, reduced.
    pub fn fraction(&self) -> (u64, u64) {
        (self.numerator, self.denominator)
    }

    /// Whether the same share (whatever the comparison).
    pub fn same_share(&self, other: &Threshold) -> bool {
        self.fraction() == other.fraction()
    }

    /// Whether `covered` out of `total` meets the threshold.
    pub fn reached(&self, covered: f64, total: f64) -> bool {
        let lhs = covered * self.denominator as f64;
        let rhs = self.numerator as f64 * total;
        match self.holds {
            Holds::AtLeast => lhs >= rhs,
            Holds::MoreThan => lhs > rhs,
        }
    }

    /// `1/3`, or the decimal when the denominator is a power of ten.
    pub fn fraction_text(&self) -> String {
        if self.denominator == 1 {
            return self.numerator.to_string();
        }
        match power_of_ten(self.denominator) {
            // From the integers: a float misprints 17 or 18 decimals.
            Some(digits) => format!(
                "{}.{:0digits$}",
                self.numerator / self.denominator,
                self.numerator % self.denominator
            ),
            None => format!("{}/{}", self.numerator, self.denominator),
        }
    }

    /// `≥1/3` or `>2/3`.
    pub fn text(&self) -> String {
        format!("{}{}", self.holds.symbol(), self.fraction_text())
    }
}

/// `Some(k)` when `n` is 10^k.
fn power_of_ten(mut n: u64) -> Option<usize> {
    let mut k = 0;
    while n > 1 && n.is_multiple_of(10) {
        n /= 10;
        k += 1;
    }
    (n == 1).then_some(k)
}

fn not_a_share(t: &str) -> String {
    format!("`{t}` is not a share such as 0.5, 1/3 or >2/3")
}

fn percent_hint(n: u64, d: u64) -> String {
    let v = n as f64 / d as f64 / 100.0;
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Decimals a share may have: 10^18 fits a `u64`, and 16 or 17 are what
/// a float such as 1/3 prints as (`0.3333333333333333`).
const MAX_DECIMALS: usize = 18;

/// `0.33` → (33, 100), exactly; at most [`MAX_DECIMALS`] decimals.
fn decimal(s: &str) -> Option<(u64, u64)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.len() > MAX_DECIMALS
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let den = 10u64.checked_pow(frac.len() as u32)?;
    let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_n: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    Some((int.checked_mul(den)?.checked_add(frac_n)?, den))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fractions_decimals_and_signs() {
        let cases: &[(&str, (u64, u64), Holds, &str)] = &[
            ("1/3", (1, 3), Holds::AtLeast, "≥1/3"),
            ("2/6", (1, 3), Holds::AtLeast, "≥1/3"),
            ("0.33", (33, 100), Holds::AtLeast, "≥0.33"),
            (">2/3", (2, 3), Holds::MoreThan, ">2/3"),
            (">=0.5", (1, 2), Holds::AtLeast, "≥1/2"),
            ("≥ 1/2", (1, 2), Holds::AtLeast, "≥1/2"),
            ("0.25", (1, 4), Holds::AtLeast, "≥1/4"),
            ("0.1", (1, 10), Holds::AtLeast, "≥0.1"),
            ("1", (1, 1), Holds::AtLeast, "≥1"),
            ("0", (0, 1), Holds::AtLeast, "≥0"),
            // A float's 16 and 17 digits, and the most a u64 holds.
            (
                "0.3333333333333333",
                (3_333_333_333_333_333, 10_000_000_000_000_000),
                Holds::AtLeast,
                "≥0.3333333333333333",
            ),
            (
                "0.66666666666666663",
                (66_666_666_666_666_663, 100_000_000_000_000_000),
                Holds::AtLeast,
                "≥0.66666666666666663",
            ),
            (
                "0.123456789012345679",
                (123_456_789_012_345_679, 1_000_000_000_000_000_000),
                Holds::AtLeast,
                "≥0.123456789012345679",
            ),
            (
                "0.000000000000000001",
                (1, 1_000_000_000_000_000_000),
                Holds::AtLeast,
                "≥0.000000000000000001",
            ),
            ("0.500000000000000000", (1, 2), Holds::AtLeast, "≥1/2"),
            ("1.000000000000000000", (1, 1), Holds::AtLeast, "≥1"),
        ];
        for (text, fraction, holds, shown) in cases {
            let t = Threshold::parse(text, Holds::AtLeast).unwrap();
            assert_eq!(t.fraction(), *fraction, "{text}");
            assert_eq!(t.holds, *holds, "{text}");
            assert_eq!(t.text(), *shown, "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_share() {
        for (text, want) in [
            ("30", "looks like a percentage: write 0.3"),
            ("3/2", "between 0 and 1"),
            ("abc", "not a share"),
            ("1/0", "between 0 and 1"),
            ("-0.5", "not a share"),
            ("0.5.5", "not a share"),
            // 19 decimals do not fit a u64.
            ("0.3333333333333333333", "not a share"),
            // Only a typed percentage (2 to 100) gets the percentage hint.
            ("2", "looks like a percentage: write 0.02"),
            ("100", "looks like a percentage: write 1"),
            (
                "1.5",
                "`1.5` is not a share: a threshold must lie between 0 and 1",
            ),
            ("1.99", "between 0 and 1"),
            ("101", "between 0 and 1"),
        ] {
            let e = Threshold::parse(text, Holds::AtLeast).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
            if !want.contains("percentage") {
                assert!(!e.contains("percentage"), "{text}: {e}");
            }
        }
    }

    #[test]
    fn exact_comparison_at_the_boundary() {
        let third = Threshold::parse("1/3", Holds::AtLeast).unwrap();
        let more = Threshold::parse(">1/3", Holds::AtLeast).unwrap();
        // One of three equal validators holds exactly a third.
        assert!(third.reached(1.0, 3.0), "a third is at least a third");
        assert!(!more.reached(1.0, 3.0), "a third is not more than a third");
        assert!(more.reached(2.0, 3.0));
        // 0.33 and 1/3 are different thresholds: 33 of 100 meets 0.33 only.
        let decimal = Threshold::parse("0.33", Holds::AtLeast).unwrap();
        assert!(decimal.reached(33.0, 100.0) && !third.reached(33.0, 100.0));
    }
}
