//! The disclosure card: one row per item a compute network should disclose
//! (provider concentration, largest supplier, hardware, uptime, geography,
//! pricing, Nvidia, clouds, validator set, resilience), each with the
//! measured value, the coverage it rests on, a verdict band and one plain
//! sentence. Built from an audit (and the stress test's figures, when one
//! ran) by pure functions; every exporter shows the same card.
//!
//! The bands are stated in METHODOLOGY.md ("The disclosure card") with
//! their source or rationale; each row carries its band rule so a reader
//! can apply another. What the data cannot measure is "not disclosed by
//! the data": that absence is itself a finding.

use super::{Dimension, SnapshotAudit, Weight, find_cell, weight_words};
use crate::metrics::concentration::{Weights, tau_index};
use crate::metrics::{Holds, Threshold};
use crate::text::{num, pct};
use serde::Serialize;

/// A verdict band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Low,
    Moderate,
    High,
    /// The data has no field to measure this item.
    NotDisclosed,
    /// Measurable, but not measured in this run (e.g. `audit --no-stress`).
    NotMeasured,
}

impl Verdict {
    /// The band as a reader sees it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Low => "low",
            Verdict::Moderate => "moderate",
            Verdict::High => "high",
            Verdict::NotDisclosed => "not disclosed",
            Verdict::NotMeasured => "not measured",
        }
    }
}

/// One row of the card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisclosureItem {
    /// Stable key, e.g. `provider_concentration`.
    pub item: &'static str,
    pub title: &'static str,
    /// The measured value, as text.
    pub value: String,
    /// What the value rests on (coverage of the field, unlinked supply).
    pub coverage: String,
    pub verdict: Verdict,
    /// How the verdict is banded (the same words as METHODOLOGY.md).
    pub band_rule: &'static str,
    /// One plain sentence a reader can quote.
    pub sentence: String,
    /// The numbers the verdict is banded on, in the order the band rule
    /// names them (empty when not measured).
    pub banded_on: Vec<f64>,
}

/// The card of one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disclosure {
    /// The weight most rows are measured on (GPUs, or voting stake).
    pub weight: Weight,
    pub items: Vec<DisclosureItem>,
    /// The stress-test figures behind the resilience row.
    pub resilience: ResilienceFigures,
}

/// The stress-test figures the card reads (kept here so the audit does not
/// depend on the stress module; the pipeline fills it).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ResilienceFigures {
    pub workload: String,
    /// Why the test could not run on this data (no GPUs), if so.
    pub not_applicable: Option<String>,
    /// Why it was not run, if it was not (e.g. `--no-stress`).
    pub not_measured: Option<String>,
    /// Served fraction with every provider up.
    pub baseline: Option<f64>,
    /// Served demand after removing the k largest operators, k = 0, 1, ….
    pub after_operators: Vec<AfterLoss>,
    /// The weight that ranks operators for removal.
    pub by: Option<Weight>,
    /// Workload Nakamoto coefficient of operators.
    pub nakamoto: Option<NakamotoFigure>,
    /// GPUs of undisclosed memory that the workload's models would accept:
    /// left out of the placement, since the data cannot say they qualify.
    pub unknown_memory_gpus: u64,
}

/// Served demand after a loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AfterLoss {
    pub k: usize,
    pub served_fraction: f64,
    /// Proven optimal placement (else a lower bound).
    pub exact: bool,
}

impl ResilienceFigures {
    /// Served demand after losing the `k` largest operators.
    pub fn after(&self, k: usize) -> Option<&AfterLoss> {
        self.after_operators.iter().find(|a| a.k == k)
    }

    /// Served demand after losing the 3 largest operators (or as many as
    /// were measured, when there are fewer): the resilience verdict's
    /// figure. `None` when [`Self::undisclosed`].
    pub fn served_after_top3(&self) -> Option<f64> {
        self.top3_loss().map(|a| a.served_fraction)
    }

    /// The loss behind [`Self::served_after_top3`].
    fn top3_loss(&self) -> Option<&AfterLoss> {
        if self.undisclosed() {
            return None;
        }
        self.after(3).or(self.after_operators.last())
    }

    /// Nothing of the workload is served with every provider up while GPUs
    /// of undisclosed memory might have served it: the data cannot show
    /// the network's resilience (a network whose disclosed GPUs simply do
    /// not qualify is another case: it is not resilient).
    pub fn undisclosed(&self) -> bool {
        self.baseline.is_some_and(|b| b <= 0.0) && self.unknown_memory_gpus > 0
    }
}

/// The workload Nakamoto coefficient as the card shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct NakamotoFigure {
    pub level: f64,
    pub value: Option<usize>,
    pub exact: bool,
    pub lower_bound: Option<usize>,
    pub upper_bound: Option<usize>,
    pub reason: Option<String>,
}

/// The band rules, in card order (METHODOLOGY.md repeats them verbatim;
/// a test keeps the two equal).
pub const RULES: [(&str, &str); 10] = [
    (
        "provider_concentration",
        "high: HHI above 1,800 or at most 3 providers at the profile's first threshold; moderate: HHI from 1,000 or at most 7 providers; low otherwise",
    ),
    (
        "supplier_share",
        "high: the largest operator holds at least 1/3 (worst case with unlinked supply); moderate: at least 10%; low otherwise",
    ),
    (
        "hardware",
        "high: HHI of GPU models above 1,800; moderate: from 1,000; low otherwise",
    ),
    (
        "uptime",
        "high: p10 of provider uptime below 95%; moderate: below 99%; low otherwise",
    ),
    (
        "geography",
        "high: one country holds at least 1/3; moderate: at most 3 countries hold half; low otherwise",
    ),
    (
        "pricing",
        "high: median coefficient of variation across GPU models at least 0.5; moderate: at least 0.25; low otherwise",
    ),
    (
        "nvidia",
        "high: Nvidia makes at least 80% of the GPUs whose vendor is known; moderate: at least 50%; low otherwise",
    ),
    (
        "cloud",
        "high: hyperscalers or one cloud hold at least 1/3 of the known part; moderate: at least 10%; low otherwise",
    ),
    (
        "validator_set",
        "high: at most 3 operators at the profile's first threshold of voting stake; moderate: at most 7; low otherwise",
    ),
    (
        "resilience",
        "high: less than 50% of demand served after losing the 3 largest operators; moderate: less than 90%; low otherwise",
    ),
];

fn rule(item: &str) -> &'static str {
    RULES
        .iter()
        .find(|(k, _)| *k == item)
        .map(|(_, r)| *r)
        .expect("every item has a rule")
}

/// Bands `x`: `High` at or above `high`, `Moderate` at or above `moderate`.
fn at_least(x: f64, moderate: f64, high: f64) -> Verdict {
    if x >= high {
        Verdict::High
    } else if x >= moderate {
        Verdict::Moderate
    } else {
        Verdict::Low
    }
}

/// Bands a coalition size: fewer parties is more concentrated.
fn coalition_verdict(n: usize) -> Verdict {
    match n {
        0..=3 => Verdict::High,
        4..=7 => Verdict::Moderate,
        _ => Verdict::Low,
    }
}

/// The 2023 Merger Guidelines band of an HHI, as a verdict.
fn hhi_verdict(h: f64) -> Verdict {
    match crate::metrics::concentration::hhi_band(h) {
        "highly concentrated" => Verdict::High,
        "moderately concentrated" => Verdict::Moderate,
        _ => Verdict::Low,
    }
}

/// A row the data cannot measure.
fn absent(item: &'static str, title: &'static str, why: &str) -> DisclosureItem {
    DisclosureItem {
        item,
        title,
        value: "not disclosed by the data".into(),
        coverage: why.to_string(),
        verdict: Verdict::NotDisclosed,
        band_rule: rule(item),
        sentence: "The data cannot show this; a network that wants it measured must publish it."
            .into(),
        banded_on: Vec::new(),
    }
}

/// A share, or n/a.
fn opt_pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), pct)
}

/// "4 providers", "1 operator", "n/a".
fn many(n: Option<usize>, noun: &str) -> String {
    match n {
        Some(n) => super::count(Some(n), noun),
        None => "n/a".into(),
    }
}

/// The card of an audited snapshot.
pub fn card(s: &SnapshotAudit, resilience: &ResilienceFigures) -> Disclosure {
    Disclosure {
        weight: s.headline.primary_weight,
        items: vec![
            provider_concentration(s),
            supplier_share(s),
            hardware(s),
            uptime(s),
            geography(s),
            pricing(s),
            nvidia(s),
            cloud(s),
            validator_set(s),
            resilience_item(resilience),
        ],
        resilience: resilience.clone(),
    }
}

fn provider_concentration(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Provider concentration";
    let h = &s.headline;
    let w = weight_words(h.primary_weight);
    let (Some(p), Some(first)) = (&h.provider, h.coalitions.first()) else {
        return absent("provider_concentration", T, &format!("no {w} to measure"));
    };
    let at: Vec<String> = h
        .coalitions
        .iter()
        .map(|c| format!("{}: {}", c.threshold_text(), many(c.provider, "provider")))
        .collect();
    let hhi = p.hhi.unwrap_or(0.0);
    let verdict = hhi_verdict(hhi).max(first.provider.map_or(Verdict::Low, coalition_verdict));
    DisclosureItem {
        item: "provider_concentration",
        title: T,
        value: format!(
            "{}; Nakamoto {}; HHI {}",
            at.join(" · "),
            many(p.nakamoto_coefficient, "provider"),
            num(hhi, 0)
        ),
        coverage: format!("{} providers, {w}", s.providers),
        verdict,
        band_rule: rule("provider_concentration"),
        sentence: format!(
            "{} {} {} of {w} and can {}. HHI {} is {} (2023 U.S. Merger Guidelines).",
            match first.provider {
                Some(1) => "The largest provider alone holds".to_string(),
                Some(n) => format!("The {n} largest providers together hold"),
                None => "No set of providers holds".to_string(),
            },
            first.holds.words(),
            first.label,
            first.meaning,
            num(hhi, 0),
            crate::metrics::concentration::hhi_band(hhi)
        ),
        banded_on: p
            .hhi
            .into_iter()
            .chain(first.provider.map(|n| n as f64))
            .collect(),
    }
}

fn supplier_share(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Largest supplier";
    let h = &s.headline;
    let w = weight_words(h.primary_weight);
    let (Some(p), Some(o)) = (&h.provider, &h.operator) else {
        return absent("supplier_share", T, &format!("no {w} to measure"));
    };
    let name = |r: &Option<super::ShareRow>| {
        r.as_ref().map_or("n/a".into(), |r| {
            let label = r.label.as_deref().unwrap_or(&r.key);
            format!("{} ({})", crate::text::truncate(label, 40), pct(r.share))
        })
    };
    let best = o.max_share.unwrap_or(0.0);
    let worst = o
        .bounds
        .as_ref()
        .filter(|b| b.unlinked_providers > 0)
        .and_then(|b| b.worst.max_share);
    let banded = worst.unwrap_or(best).max(best);
    let mut value = format!(
        "largest provider {}; largest operator {}",
        name(&p.largest),
        name(&o.largest)
    );
    if let Some(wc) = worst.filter(|wc| *wc > best) {
        value.push_str(&format!(
            "; up to {} if all unlinked supply is one operator",
            pct(wc)
        ));
    }
    let coverage = match o.bounds.as_ref().filter(|b| b.unlinked_providers > 0) {
        Some(b) => format!(
            "{} holding {w} unlinked to any operator, with {} of it",
            crate::text::plural(b.unlinked_providers, "provider", "providers"),
            pct(b.unlinked_share)
        ),
        None => format!("every provider linked or alone; {} operators", s.operators),
    };
    DisclosureItem {
        item: "supplier_share",
        title: T,
        value,
        coverage,
        verdict: at_least(banded, 0.10, 1.0 / 3.0),
        band_rule: rule("supplier_share"),
        sentence: format!(
            "The largest operator controls {} of {w}{}.",
            pct(best),
            if worst.is_some_and(|wc| wc > best) {
                format!(", {} in the worst case for unlinked providers", pct(banded))
            } else {
                String::new()
            }
        ),
        banded_on: vec![banded],
    }
}

fn hardware(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Hardware distribution";
    let Some(h) = s.hardware.as_ref().filter(|h| h.gpus > 0) else {
        return absent("hardware", T, "no GPUs listed");
    };
    let known = h.gpus - h.unknown_model_gpus;
    if known == 0 {
        return absent("hardware", T, "no GPU model known");
    }
    // Shares of the GPUs whose model is known.
    let shares: Vec<f64> = h
        .by_model
        .iter()
        .map(|m| m.gpus as f64 / known as f64)
        .collect();
    let hhi: f64 = shares.iter().map(|x| (x * 100.0).powi(2)).sum();
    let top: Vec<String> = h
        .by_model
        .iter()
        .zip(&shares)
        .take(3)
        .map(|(m, x)| format!("{} {}", m.model, pct(*x)))
        .collect();
    let coverage = known as f64 / h.gpus as f64;
    DisclosureItem {
        item: "hardware",
        title: T,
        value: format!(
            "{}; {} GPUs, {}; {}; HHI {}",
            top.join(", "),
            h.gpus,
            match h.gpu_memory_gb {
                Some(gb) => format!("{} GB GPU memory", num(gb, 0)),
                None => "GPU memory unknown".into(),
            },
            crate::text::plural(h.by_model.len(), "model", "models"),
            num(hhi, 0)
        ),
        coverage: format!(
            "model known for {} of GPUs, memory for {}",
            pct(coverage),
            pct(h.memory_coverage)
        ),
        verdict: hhi_verdict(hhi),
        band_rule: rule("hardware"),
        sentence: format!(
            "{} of the GPUs whose model is known are {}.",
            pct(shares[0]),
            h.by_model[0].model
        ),
        banded_on: vec![hhi],
    }
}

fn uptime(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Uptime variance";
    let Some(u) = &s.uptime else {
        return absent("uptime", T, "uptime known for 0% of providers");
    };
    let d = &u.providers;
    DisclosureItem {
        item: "uptime",
        title: T,
        value: format!(
            "mean {}, std dev {}, p10 {}",
            pct(d.mean),
            pct(d.std_dev),
            pct(d.p10)
        ),
        coverage: format!(
            "{} of {} providers ({}{}), window {}",
            d.n,
            s.providers,
            pct(u.coverage),
            if u.low_coverage { ", low coverage" } else { "" },
            u.windows.join("/")
        ),
        verdict: if d.p10 < 0.95 {
            Verdict::High
        } else if d.p10 < 0.99 {
            Verdict::Moderate
        } else {
            Verdict::Low
        },
        band_rule: rule("uptime"),
        sentence: format!(
            "The 10th percentile of provider uptime ({} as the source states it) is {}; the mean is {}.",
            u.windows.join("/"),
            pct(d.p10),
            pct(d.mean)
        ),
        banded_on: vec![d.p10],
    }
}

/// The fewest largest entities of `weights` holding at least `n/d`.
fn at_least_count(weights: &[f64], n: u64, d: u64) -> Option<usize> {
    let w = Weights::new(weights).ok()?;
    tau_index(&w, &Threshold::new(n, d, Holds::AtLeast)?)
}

fn geography(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Geographic exposure";
    let g = &s.geography;
    let w = weight_words(g.weight);
    let Some(top) = g.countries.first() else {
        return absent("geography", T, &format!("country known for 0% of {w}"));
    };
    let weights: Vec<f64> = g.countries.iter().map(|c| c.weight).collect();
    let third = at_least_count(&weights, 1, 3);
    let half = at_least_count(&weights, 1, 2);
    let verdict = if third == Some(1) {
        Verdict::High
    } else if half.is_some_and(|n| n <= 3) {
        Verdict::Moderate
    } else {
        Verdict::Low
    };
    let name = top.name.as_deref().unwrap_or(&top.place);
    DisclosureItem {
        item: "geography",
        title: T,
        value: format!(
            "largest {name} ({}) {}; {} for 1/3, {} for 1/2; {}",
            top.place,
            pct(top.share),
            countries(third),
            countries(half),
            crate::text::plural(g.countries.len(), "country", "countries")
        ),
        coverage: known_text(g.country_coverage, "country", w),
        verdict,
        band_rule: rule("geography"),
        sentence: format!(
            "{name} hosts {} of the {w} whose country is known; {}.",
            pct(top.share),
            match half {
                Some(1) => "it alone holds half".to_string(),
                Some(n) => format!("{n} countries hold half"),
                None => "no set of countries holds half".into(),
            }
        ),
        banded_on: std::iter::once(top.share)
            .chain(half.map(|n| n as f64))
            .collect(),
    }
}

fn countries(n: Option<usize>) -> String {
    n.map_or("n/a".into(), |n| {
        crate::text::plural(n, "country", "countries")
    })
}

/// "country known for 40.0% of GPUs (low coverage)".
fn known_text(coverage: f64, field: &str, of: &str) -> String {
    format!(
        "{field} known for {} of {of}{}",
        pct(coverage),
        if coverage < super::LOW_COVERAGE {
            " (low coverage)"
        } else {
            ""
        }
    )
}

fn pricing(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Pricing dispersion";
    let mut cvs: Vec<(f64, &super::PriceDispersion)> = s
        .pricing
        .iter()
        .filter(|p| p.per_gpu_hour.n >= 2)
        .filter_map(|p| Some((p.per_gpu_hour.coefficient_of_variation?, p)))
        .collect();
    if cvs.is_empty() {
        let why = if s.pricing.is_empty() {
            "no prices listed"
        } else {
            "no GPU model has two or more prices"
        };
        return absent("pricing", T, why);
    }
    let mut sorted: Vec<f64> = cvs.iter().map(|c| c.0).collect();
    sorted.sort_by(f64::total_cmp);
    let median = crate::metrics::dispersion::dispersion(&sorted).map_or(sorted[0], |d| d.median);
    // The models with the most priced GPUs first.
    cvs.sort_by(|a, b| {
        b.1.gpus_priced
            .cmp(&a.1.gpus_priced)
            .then(a.1.gpu_model.cmp(&b.1.gpu_model))
    });
    let shown: Vec<String> = cvs
        .iter()
        .take(3)
        .map(|(cv, p)| {
            format!(
                "{} CV {} IQR {} {}",
                p.gpu_model,
                num(*cv, 2),
                num(p.per_gpu_hour.iqr, 3),
                p.currency
            )
        })
        .collect();
    let priced: u64 = s.pricing.iter().map(|p| p.gpus_priced).sum();
    let gpus = s.hardware.as_ref().map_or(0, |h| h.gpus);
    DisclosureItem {
        item: "pricing",
        title: T,
        value: format!(
            "median CV {} across {}; {}",
            num(median, 2),
            crate::text::plural(cvs.len(), "model", "models"),
            shown.join("; ")
        ),
        coverage: if gpus > 0 {
            format!("{} of {} GPUs priced", priced.min(gpus), gpus)
        } else {
            format!("{priced} GPUs priced")
        },
        verdict: at_least(median, 0.25, 0.5),
        band_rule: rule("pricing"),
        sentence: format!(
            "For the same GPU model, the standard deviation of providers' prices per GPU-hour is typically {} of the mean price (median over models).",
            pct(median)
        ),
        banded_on: vec![median],
    }
}

fn nvidia(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Dependency on Nvidia";
    let Some(h) = s.hardware.as_ref().filter(|h| h.gpus > 0) else {
        return absent("nvidia", T, "no GPUs listed");
    };
    let Some(share) = h.nvidia.gpu_share.value else {
        return absent("nvidia", T, "GPU vendor known for 0% of GPUs");
    };
    DisclosureItem {
        item: "nvidia",
        title: T,
        value: format!(
            "{} of GPUs, {} of GPU memory",
            pct(share),
            opt_pct(h.nvidia.memory_share.value)
        ),
        coverage: known_text(h.nvidia.gpu_share.coverage, "vendor", "GPUs"),
        verdict: at_least(share, 0.5, 0.8),
        band_rule: rule("nvidia"),
        sentence: format!(
            "Nvidia makes {} of the GPUs whose vendor is known.",
            pct(share)
        ),
        banded_on: vec![share],
    }
}

fn cloud(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Dependency on cloud partners";
    let c = &s.cloud;
    let w = weight_words(c.weight);
    let (Some(hyper), Some(top)) = (c.hyperscaler_share.value, c.rows.first()) else {
        return absent("cloud", T, &format!("cloud known for 0% of {w}"));
    };
    let banded = hyper.max(top.share);
    DisclosureItem {
        item: "cloud",
        title: T,
        value: format!(
            "hyperscalers {}; largest {} {}",
            pct(hyper),
            top.cloud,
            pct(top.share)
        ),
        coverage: known_text(c.coverage, "cloud", w),
        verdict: at_least(banded, 0.10, 1.0 / 3.0),
        band_rule: rule("cloud"),
        sentence: format!(
            "Of the {w} whose cloud is known, hyperscalers hold {} and {} alone {}.",
            pct(hyper),
            top.cloud,
            pct(top.share)
        ),
        banded_on: vec![hyper, top.share],
    }
}

fn validator_set(s: &SnapshotAudit) -> DisclosureItem {
    const T: &str = "Dependency on a small validator set";
    let cell = find_cell(&s.concentration, Dimension::Operator, Weight::Stake)
        .filter(|c| c.metrics.total_entities > 0);
    let (Some(c), Some(first)) = (cell, s.tau_thresholds.first()) else {
        return absent("validator_set", T, "no stake in the data");
    };
    let at: Vec<String> = s
        .tau_thresholds
        .iter()
        .zip(&c.metrics.tau_index.0)
        .map(|(t, (_, n))| format!("{}: {}", t.text(), many(*n, "operator")))
        .collect();
    let lead = c.metrics.tau_index.0.first().and_then(|(_, n)| *n);
    let unit = s
        .stake_unit
        .as_deref()
        .map_or(String::new(), |u| format!(" ({u})"));
    DisclosureItem {
        item: "validator_set",
        title: T,
        value: format!(
            "{} of {} operators with voting stake",
            at.join(" · "),
            c.metrics.total_entities
        ),
        coverage: match &s.stake {
            Some(st) => format!(
                "stake{unit} known for {} of {} providers",
                st.providers_with_stake, s.providers
            ),
            None => format!("stake{unit}"),
        },
        verdict: lead.map_or(Verdict::NotDisclosed, coalition_verdict),
        band_rule: rule("validator_set"),
        sentence: format!(
            "{} together hold {} {} of voting stake.",
            lead.map_or("n/a operators".into(), |n| crate::text::plural(
                n,
                "operator",
                "operators"
            )),
            first.holds.words(),
            first.label.trim_start_matches(['>', '=', '≥'])
        ),
        banded_on: lead.map(|n| n as f64).into_iter().collect(),
    }
}

fn resilience_item(r: &ResilienceFigures) -> DisclosureItem {
    const T: &str = "Resilience to operator loss";
    if let Some(why) = &r.not_applicable {
        return absent("resilience", T, why);
    }
    if let Some(why) = &r.not_measured {
        return DisclosureItem {
            item: "resilience",
            title: T,
            value: "not measured".into(),
            coverage: why.clone(),
            verdict: Verdict::NotMeasured,
            band_rule: rule("resilience"),
            sentence: format!("Not measured in this run: {why}."),
            banded_on: Vec::new(),
        };
    }
    let unknown_memory = crate::text::plural(r.unknown_memory_gpus, "GPU", "GPUs");
    if r.undisclosed() {
        return DisclosureItem {
            item: "resilience",
            title: T,
            value: "not disclosed by the data".into(),
            coverage: format!(
                "workload {}: nothing placeable with every provider up; {unknown_memory} of undisclosed memory",
                r.workload
            ),
            verdict: Verdict::NotDisclosed,
            band_rule: rule("resilience"),
            sentence: format!(
                "Nothing of the workload {} can be placed with the GPUs whose memory is known, and {unknown_memory} of the models it accepts do not disclose their memory: the data cannot show whether the network can serve it, or what losing operators would cost.",
                r.workload
            ),
            banded_on: Vec::new(),
        };
    }
    let shown: Vec<String> = [1, 3, 5]
        .iter()
        .filter_map(|&k| r.after(k))
        .map(|a| {
            format!(
                "top {}: {}{}",
                a.k,
                pct(a.served_fraction),
                if a.exact { "" } else { "*" }
            )
        })
        .collect();
    let coefficient = r.nakamoto.as_ref().map_or("n/a".to_string(), nakamoto_text);
    let top3 = r.served_after_top3();
    let lost = match r.top3_loss().map(|a| a.k) {
        Some(1) => "its largest operator leaves".to_string(),
        Some(k) => format!("its {k} largest operators leave"),
        None => "its 3 largest operators leave".to_string(),
    };
    let by = r.by.map_or("GPUs", weight_words);
    DisclosureItem {
        item: "resilience",
        title: T,
        value: format!(
            "served after losing the largest operators: {}; workload Nakamoto coefficient {coefficient}",
            shown.join(", ")
        ),
        coverage: format!(
            "workload {}, baseline {} served{}; operators ranked by {by}{}",
            r.workload,
            opt_pct(r.baseline),
            if r.unknown_memory_gpus > 0 {
                format!(" ({unknown_memory} of undisclosed memory left out)")
            } else {
                String::new()
            },
            if shown.iter().any(|s| s.ends_with('*')) {
                "; * not proven optimal"
            } else {
                ""
            }
        ),
        verdict: top3.map_or(Verdict::NotDisclosed, |f| {
            if f < 0.5 {
                Verdict::High
            } else if f < 0.9 {
                Verdict::Moderate
            } else {
                Verdict::Low
            }
        }),
        band_rule: rule("resilience"),
        sentence: format!(
            "{}After {lost}, the network serves {} of the workload; {}.",
            match r.baseline {
                Some(b) if b < 1.0 => format!(
                    "With every provider up the network serves only {} of the workload. ",
                    pct(b)
                ),
                _ => String::new(),
            },
            top3.map_or("n/a".into(), pct),
            match r.nakamoto.as_ref() {
                Some(n) if n.value.is_some() => format!(
                    "losing {} brings it below {}",
                    nakamoto_count(n),
                    pct(n.level)
                ),
                Some(n) => format!("workload Nakamoto coefficient {}", nakamoto_text(n)),
                None => "the workload Nakamoto coefficient was not computed".into(),
            }
        ),
        banded_on: top3.into_iter().collect(),
    }
}

/// `7 (exact)`, `5–9 (bounds)`, `n/a (why)`.
pub fn nakamoto_text(n: &NakamotoFigure) -> String {
    match (n.value, n.exact, n.lower_bound, n.upper_bound) {
        (Some(v), true, _, _) => format!("{v} (exact)"),
        (_, false, Some(lo), Some(hi)) => format!("{lo}–{hi} (bounds)"),
        _ => format!("n/a ({})", n.reason.as_deref().unwrap_or("not computed")),
    }
}

fn nakamoto_count(n: &NakamotoFigure) -> String {
    match (n.value, n.exact, n.lower_bound, n.upper_bound) {
        (Some(v), true, _, _) => crate::text::plural(v, "operator", "operators"),
        (_, _, Some(lo), Some(hi)) => format!("between {lo} and {hi} operators"),
        _ => "n/a".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_inclusive_at_their_stated_edges() {
        let cases = [
            (0.0999, Verdict::Low),
            (0.10, Verdict::Moderate),
            (0.3333, Verdict::Moderate),
            (1.0 / 3.0, Verdict::High),
        ];
        for (x, v) in cases {
            assert_eq!(at_least(x, 0.10, 1.0 / 3.0), v, "{x}");
        }
        let coalitions = [
            (1, Verdict::High),
            (3, Verdict::High),
            (4, Verdict::Moderate),
            (7, Verdict::Moderate),
            (8, Verdict::Low),
        ];
        for (n, v) in coalitions {
            assert_eq!(coalition_verdict(n), v, "{n}");
        }
        let hhi = [
            (999.9, Verdict::Low),
            (1000.0, Verdict::Moderate),
            (1800.0, Verdict::Moderate),
            (1800.1, Verdict::High),
        ];
        for (h, v) in hhi {
            assert_eq!(hhi_verdict(h), v, "{h}");
        }
    }

    #[test]
    fn country_coalitions_count_at_least_the_share() {
        // 40/30/20/10: one country reaches 1/3, two reach half (70%).
        assert_eq!(at_least_count(&[40.0, 30.0, 20.0, 10.0], 1, 3), Some(1));
        assert_eq!(at_least_count(&[40.0, 30.0, 20.0, 10.0], 1, 2), Some(2));
        // Exactly half counts ("at least").
        assert_eq!(at_least_count(&[50.0, 25.0, 25.0], 1, 2), Some(1));
        assert_eq!(at_least_count(&[], 1, 2), None);
    }

    #[test]
    fn nakamoto_text_never_prints_bounds_as_a_value() {
        let exact = NakamotoFigure {
            level: 0.5,
            value: Some(4),
            exact: true,
            ..Default::default()
        };
        assert_eq!(nakamoto_text(&exact), "4 (exact)");
        let bounds = NakamotoFigure {
            level: 0.5,
            value: Some(6),
            exact: false,
            lower_bound: Some(5),
            upper_bound: Some(9),
            reason: None,
        };
        assert_eq!(nakamoto_text(&bounds), "5–9 (bounds)");
    }

    fn figures(
        baseline: f64,
        after: &[(usize, f64)],
        unknown_memory_gpus: u64,
    ) -> ResilienceFigures {
        ResilienceFigures {
            workload: "w".into(),
            baseline: Some(baseline),
            after_operators: after
                .iter()
                .map(|&(k, served_fraction)| AfterLoss {
                    k,
                    served_fraction,
                    exact: true,
                })
                .collect(),
            unknown_memory_gpus,
            ..Default::default()
        }
    }

    #[test]
    fn resilience_is_not_disclosed_when_only_undisclosed_memory_could_serve() {
        // Nothing served, but 20 GPUs of unknown memory might have served:
        // the data cannot tell, so no verdict and no served figure.
        let r = figures(0.0, &[(0, 0.0), (1, 0.0)], 20);
        let item = resilience_item(&r);
        assert_eq!(item.verdict, Verdict::NotDisclosed);
        assert_eq!(r.served_after_top3(), None);
        assert!(
            item.coverage.contains("20 GPUs of undisclosed memory"),
            "{}",
            item.coverage
        );
        // Nothing served and every GPU's memory known: not resilient.
        let r = figures(0.0, &[(0, 0.0), (1, 0.0)], 0);
        assert_eq!(resilience_item(&r).verdict, Verdict::High);
        assert_eq!(r.served_after_top3(), Some(0.0));
        // Something served: the band stands, and the left-out GPUs are named.
        let r = figures(0.6, &[(0, 0.6), (1, 0.55), (2, 0.5), (3, 0.45)], 3);
        let item = resilience_item(&r);
        assert_eq!(item.verdict, Verdict::High);
        assert!(
            item.coverage
                .contains("(3 GPUs of undisclosed memory left out)"),
            "{}",
            item.coverage
        );
    }

    #[test]
    fn resilience_sentence_names_the_operators_actually_lost() {
        let two = resilience_item(&figures(1.0, &[(0, 1.0), (1, 0.6), (2, 0.0)], 0));
        assert!(
            two.sentence
                .starts_with("After its 2 largest operators leave, the network serves 0.0%"),
            "{}",
            two.sentence
        );
        let one = resilience_item(&figures(1.0, &[(0, 1.0), (1, 0.7)], 0));
        assert!(
            one.sentence
                .starts_with("After its largest operator leaves, the network serves 70.0%"),
            "{}",
            one.sentence
        );
        let three = resilience_item(&figures(
            1.0,
            &[(0, 1.0), (1, 0.9), (2, 0.8), (3, 0.75), (4, 0.5)],
            0,
        ));
        assert!(
            three
                .sentence
                .starts_with("After its 3 largest operators leave, the network serves 75.0%"),
            "{}",
            three.sentence
        );
        assert_eq!(three.verdict, Verdict::Moderate);
    }

    #[test]
    fn methodology_states_every_band_rule() {
        let doc = include_str!("../../METHODOLOGY.md");
        for (item, rule) in RULES {
            assert!(
                doc.contains(rule),
                "METHODOLOGY.md lacks the rule of {item}"
            );
        }
    }
}
