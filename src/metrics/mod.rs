//! Pure metric functions: concentration of weights and dispersion of values.
//!
//! Nothing in this module does I/O. [`Summary`] bundles every concentration
//! metric for one weight vector, with the thresholds, top-k values and Rényi
//! orders chosen by [`SummaryParams`].

pub mod concentration;
pub mod dispersion;
pub mod radix;
pub mod sum;
pub mod threshold;

pub use concentration::{EffectiveEntities, InvalidWeight, RenyiOrder, Weights};
pub use threshold::{Holds, Threshold};

use serde::ser::{Serialize, SerializeMap, Serializer};

/// A parameter value together with the text the user wrote for it, so output
/// keys read exactly as given (`"0.33"`, not `"0.33000000000000002"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled<T> {
    pub label: String,
    pub value: T,
}

/// Which extra keys a [`Summary`] carries.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryParams {
    pub tau: Vec<Labelled<Threshold>>,
    pub top: Vec<Labelled<usize>>,
    pub alpha: Vec<Labelled<RenyiOrder>>,
}

impl Default for SummaryParams {
    /// The defaults of `rackaudit metrics`: tau 0.33 and 0.66, CR_1 and CR_3,
    /// Rényi orders 0 and 2.
    fn default() -> Self {
        let label = |s: &str| s.to_string();
        Self {
            tau: parse_labelled("0.33,0.66", parse_threshold).expect("valid defaults"),
            top: vec![
                Labelled {
                    label: label("1"),
                    value: 1,
                },
                Labelled {
                    label: label("3"),
                    value: 3,
                },
            ],
            alpha: vec![
                Labelled {
                    label: label("0"),
                    value: RenyiOrder::Finite(0.0),
                },
                Labelled {
                    label: label("2"),
                    value: RenyiOrder::Finite(2.0),
                },
            ],
        }
    }
}

/// A map whose keys keep the order they were given in when serialized.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Every concentration metric of one weight vector. Field order is the
/// output order of `rackaudit metrics`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Entities with non-zero weight.
    pub total_entities: usize,
    /// Fewest largest entities holding at least 50% of the weight (the
    /// Edinburgh Decentralization Index's Nakamoto coefficient).
    pub nakamoto_coefficient: Option<usize>,
    /// Tau index per requested threshold.
    pub tau_index: OrderedMap<Option<usize>>,
    /// Joint share of the k largest entities, per requested k.
    pub concentration_ratio: OrderedMap<Option<f64>>,
    /// Largest single share.
    pub max_share: Option<f64>,
    /// Herfindahl–Hirschman index, 0–10,000.
    pub hhi: Option<f64>,
    /// Gini coefficient (population formula).
    pub gini: Option<f64>,
    /// Shannon entropy, bits.
    pub shannon_entropy: Option<f64>,
    /// Min-entropy, bits.
    pub min_entropy: Option<f64>,
    /// Rényi entropy per requested order, bits.
    pub renyi_entropy: OrderedMap<Option<f64>>,
    /// Shannon entropy / log2(non-zero entities).
    pub entropy_percentage: Option<f64>,
    /// Theil T index.
    pub theil_index: Option<f64>,
    /// Hill numbers of order 1 and 2.
    pub effective_entities: Option<EffectiveEntities>,
}

impl Summary {
    /// Computes every metric on `w`.
    pub fn compute(w: &Weights, params: &SummaryParams) -> Self {
        use concentration as c;
        // Shannon entropy and HHI feed three fields each: compute them once.
        let shannon = c::shannon_entropy(w);
        let hhi = c::hhi(w);
        let nonzero = c::total_entities(w);
        Self {
            total_entities: nonzero,
            nakamoto_coefficient: c::nakamoto_coefficient(w),
            tau_index: keyed(&params.tau, |t| c::tau_index(w, &t)),
            concentration_ratio: keyed(&params.top, |k| c::concentration_ratio(w, k)),
            max_share: c::max_share(w),
            hhi,
            gini: c::gini(w),
            shannon_entropy: shannon,
            min_entropy: c::min_entropy(w),
            renyi_entropy: keyed(&params.alpha, |a| c::renyi_entropy(w, a)),
            entropy_percentage: shannon.map(|h| c::entropy_share(h, nonzero)),
            theil_index: c::theil_index(w),
            effective_entities: shannon.zip(hhi).map(|(h, x)| c::effective_from(h, x)),
        }
    }
}

/// Applies `f` to each labelled parameter, keyed by its label.
fn keyed<T: Copy, V>(items: &[Labelled<T>], f: impl Fn(T) -> V) -> OrderedMap<V> {
    OrderedMap(
        items
            .iter()
            .map(|i| (i.label.clone(), f(i.value)))
            .collect(),
    )
}

/// Parses a comma-separated list of labelled values (`"0.33,0.66"`), checking
/// each with `parse`. Used by the CLI and by report options alike.
pub fn parse_labelled<T>(
    list: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<Labelled<T>>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse(s)
                .map(|value| Labelled {
                    label: s.to_string(),
                    value,
                })
                .map_err(|why| format!("`{s}`: {why}"))
        })
        .collect()
}

/// Parses a tau threshold: a share in [0, 1] written as a decimal (`0.33`)
/// or an exact fraction (`1/3`), optionally `>` (more than) or `>=`
/// (at least, the default).
pub fn parse_threshold(s: &str) -> Result<Threshold, String> {
    Threshold::parse(s, Holds::AtLeast)
}

/// Parses a top-k value: a positive whole number.
pub fn parse_top(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(k) if k > 0 => Ok(k),
        _ => Err("k must be a whole number of at least 1".into()),
    }
}

/// Parses a Rényi order: a number ≥ 0, or `inf` / `-1` for min-entropy.
pub fn parse_alpha(s: &str) -> Result<RenyiOrder, String> {
    if matches!(s.to_ascii_lowercase().as_str(), "inf" | "infinity" | "-1") {
        return Ok(RenyiOrder::Infinite);
    }
    match s.parse::<f64>() {
        Ok(a) if a.is_finite() && a >= 0.0 => Ok(RenyiOrder::Finite(a)),
        _ => Err("an order must be a number >= 0, or inf (or -1) for min-entropy".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_keys_keep_the_given_labels_and_order() {
        let w = Weights::new(&[4.0, 3.0, 2.0, 1.0]).unwrap();
        let json = serde_json::to_string(&Summary::compute(&w, &SummaryParams::default())).unwrap();
        let keys = [
            "total_entities",
            "nakamoto_coefficient",
            "tau_index",
            "concentration_ratio",
            "max_share",
            "hhi",
            "gini",
            "shannon_entropy",
            "min_entropy",
            "renyi_entropy",
            "entropy_percentage",
            "theil_index",
            "effective_entities",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| json.find(&format!("\"{k}\":")).expect(k))
            .collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{json}");
        assert!(
            json.contains("\"tau_index\":{\"0.33\":1,\"0.66\":2}"),
            "{json}"
        );
        assert!(
            json.contains("\"concentration_ratio\":{\"1\":0.4,\"3\":0.9}"),
            "{json}"
        );
    }

    #[test]
    fn parses_parameter_lists() {
        let t = parse_labelled("0.33, 0.5", parse_threshold).unwrap();
        assert_eq!(t[1].label, "0.5");
        assert!(parse_labelled("1.5", parse_threshold).is_err());
        assert!(parse_labelled("0", parse_top).is_err());
        assert_eq!(parse_alpha("inf").unwrap(), RenyiOrder::Infinite);
        assert!(parse_alpha("-2").is_err());
    }
}
