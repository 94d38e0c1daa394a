//! Property tests of the metric engine: invariants every weight vector must
//! satisfy, whatever its shape.

use proptest::prelude::*;
use rackaudit::metrics::concentration::*;

fn weights() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..1e6, 1e6f64..1e15], 1..200)
}

proptest! {
    #[test]
    fn permutation_does_not_change_any_metric(mut v in weights(), seed in any::<u64>()) {
        let a = Weights::new(&v).unwrap();
        // Deterministic shuffle driven by the seed.
        let n = v.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            v.swap(i, (s >> 33) as usize % (i + 1));
        }
        let b = Weights::new(&v).unwrap();
        prop_assert_eq!(nakamoto_coefficient(&a), nakamoto_coefficient(&b));
        prop_assert_eq!(hhi(&a), hhi(&b));
        prop_assert_eq!(gini(&a), gini(&b));
        prop_assert_eq!(shannon_entropy(&a), shannon_entropy(&b));
        prop_assert_eq!(theil_index(&a), theil_index(&b));
    }

    #[test]
    fn bounds_hold(v in weights()) {
        let w = Weights::new(&v).unwrap();
        let n = w.len() as f64;
        let nonzero = total_entities(&w);
        if w.total() > 0.0 {
            let h = hhi(&w).unwrap();
            // HHI lies in [10000 / n, 10000]; n counts non-zero entities.
            prop_assert!(h <= 10_000.0 * (1.0 + 1e-9));
            prop_assert!(h >= 10_000.0 / nonzero as f64 * (1.0 - 1e-9));
            let g = gini(&w).unwrap();
            prop_assert!((0.0..=1.0 - 1.0 / n + 1e-9).contains(&g), "gini {} n {}", g, n);
            let nc = nakamoto_coefficient(&w).unwrap();
            prop_assert!(nc >= 1 && nc <= nonzero);
            let cr1 = concentration_ratio(&w, 1).unwrap();
            let cr3 = concentration_ratio(&w, 3).unwrap();
            prop_assert!(cr1 <= cr3 + 1e-12 && cr3 <= 1.0 + 1e-12);
            prop_assert!(shannon_entropy(&w).unwrap() <= (nonzero as f64).log2() + 1e-9);
            prop_assert!(min_entropy(&w).unwrap() <= shannon_entropy(&w).unwrap() + 1e-9);
            let e = entropy_percentage(&w).unwrap();
            prop_assert!((0.0..=1.0 + 1e-9).contains(&e));
            prop_assert!(theil_index(&w).unwrap() >= 0.0);
            prop_assert!(theil_index(&w).unwrap() <= n.ln() + 1e-9);
        } else {
            prop_assert_eq!(nakamoto_coefficient(&w), None);
            prop_assert_eq!(hhi(&w), None);
        }
    }

    #[test]
    fn tau_grows_with_the_threshold(v in weights(), a in 0u64..=1000, b in 0u64..=1000, more in any::<bool>()) {
        use rackaudit::metrics::{Holds, Threshold};
        let w = Weights::new(&v).unwrap();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let at = |n| Threshold::new(n, 1000, Holds::AtLeast).unwrap();
        let over = |n| Threshold::new(n, 1000, Holds::MoreThan).unwrap();
        // Reaching more needs no fewer entities; "more than" needs no
        // fewer than "at least" (None, unreachable, sorts above).
        let key = |x: Option<usize>| x.unwrap_or(usize::MAX);
        prop_assert!(key(tau_index(&w, &at(lo))) <= key(tau_index(&w, &at(hi))));
        if more {
            prop_assert!(key(tau_index(&w, &at(lo))) <= key(tau_index(&w, &over(lo))));
        }
    }

    #[test]
    fn scaling_changes_nothing(v in weights(), j in -10i32..10) {
        // Powers of two scale exactly, so even tie-breaking must not move.
        let k = 2f64.powi(j);
        let a = Weights::new(&v).unwrap();
        let scaled: Vec<f64> = v.iter().map(|x| x * k).collect();
        let b = Weights::new(&scaled).unwrap();
        prop_assert_eq!(nakamoto_coefficient(&a), nakamoto_coefficient(&b));
        if let (Some(x), Some(y)) = (gini(&a), gini(&b)) {
            prop_assert!((x - y).abs() < 1e-9);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// Any bytes given to format detection give a snapshot or a typed
    /// error naming the input, never a panic.
    #[test]
    fn detection_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let input = rackaudit::sources::Input { location: "prop", bytes: &bytes };
        match rackaudit::sources::read(&input, None) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.to_string().contains("prop"), "{e}"),
        }
    }

    /// Same for text that looks like the formats: JSON and CSV fragments.
    #[test]
    fn detection_never_panics_on_format_like_text(
        head in prop_oneof![Just("{\"validators\": ["), Just("["), Just("provider_id,"), Just("{\"providers\": [{\"owner\": ")],
        tail in "[ -~\\n]{0,200}",
    ) {
        let text = format!("{head}{tail}");
        let input = rackaudit::sources::Input { location: "prop", bytes: text.as_bytes() };
        if let Err(e) = rackaudit::sources::read(&input, None) {
            prop_assert!(e.to_string().contains("prop"), "{e}");
        }
    }
}

/// The audit and operator listing of a CSV text, without the input hash
/// (which must differ when the bytes do).
fn audit_and_operators(csv: &str) -> (serde_json::Value, serde_json::Value) {
    let input = rackaudit::sources::Input {
        location: "network.csv",
        bytes: csv.as_bytes(),
    };
    let mut s = rackaudit::sources::read(&input, None).unwrap();
    s.input_sha256.clear();
    let opts = rackaudit::audit::AuditOptions::default();
    let audit = serde_json::to_value(rackaudit::pipeline::audit(&s, &opts)).unwrap();
    let ops =
        serde_json::to_value(rackaudit::audit::operators::operators(&s, &opts.entities)).unwrap();
    (audit, ops)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any order of a generic CSV's rows gives the same audit and operators,
    /// to the last bit: prices of one model on one provider are GPU-weighted,
    /// snapshots are put in a canonical order, sums run in that order.
    #[test]
    fn any_row_order_gives_the_same_audit(seed in any::<u64>()) {
        let text = include_str!("fixtures/order_independence.csv");
        let mut lines: Vec<&str> = text.lines().collect();
        let header = lines.remove(0);
        let expected = audit_and_operators(text);
        let mut s = seed;
        for i in (1..lines.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lines.swap(i, (s >> 33) as usize % (i + 1));
        }
        let shuffled = format!("{header}\n{}\n", lines.join("\n"));
        prop_assert_eq!(audit_and_operators(&shuffled), expected);
    }
}
