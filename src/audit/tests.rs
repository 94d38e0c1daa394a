//! Audit tests on small hand-built snapshots.

use super::*;
use crate::model::{KeyKind, Price, Source, Text, gpu};
use crate::pipeline::audit;

fn snapshot(providers: Vec<Provider>) -> Snapshot {
    let mut s = Snapshot::new(
        "test",
        Source {
            adapter: "t".into(),
            location: "t".into(),
            note: None,
        },
        "00".into(),
    );
    s.providers = providers;
    s
}

fn gpu_provider(
    id: &str,
    operator: Option<&str>,
    country: Option<&str>,
    model: &str,
    count: u64,
) -> Provider {
    let mut p = Provider::new(id);
    if let Some(op) = operator {
        p.add_key(KeyKind::Declared, op);
    }
    p.country = country.map(Text::from);
    p.gpus.push(gpu::normalize(model, None, None, count));
    p
}

#[test]
fn operator_view_is_more_concentrated_than_provider_view() {
    let s = snapshot(vec![
        gpu_provider("a", Some("X"), Some("US"), "h100 80gb", 4),
        gpu_provider("b", Some("X"), Some("US"), "h100 80gb", 4),
        gpu_provider("c", Some("Y"), Some("DE"), "rtx4090", 4),
        gpu_provider("d", None, None, "mi300x", 4),
    ]);
    let a = audit(&s, &AuditOptions::default());
    assert_eq!(a.headline.primary_weight, Weight::Gpus);
    let p = a.headline.provider.as_ref().unwrap();
    let o = a.headline.operator.as_ref().unwrap();
    assert_eq!(
        (p.nakamoto_coefficient, o.nakamoto_coefficient),
        (Some(2), Some(1))
    );
    assert_eq!(o.max_share, Some(0.5));
    assert_eq!((a.operators, a.unlinked_providers), (3, 1));
    let country = find_cell(&a.concentration, Dimension::Country, Weight::Gpus).unwrap();
    assert_eq!(country.unattributed_share, 0.25);
    assert_eq!(country.metrics.total_entities, 2);
    let hw = a.hardware.unwrap();
    assert_eq!(hw.gpus, 16);
    assert_eq!(hw.nvidia.gpu_share.value, Some(0.75));
    assert_eq!(hw.nvidia.gpu_share.coverage, 1.0);
    assert_eq!(hw.by_model[0].model, "h100-80gb");
    // Memory: 8 x 80 + 4 x 24 + 4 x 192 = 1504 GB; Nvidia holds 736.
    assert!((hw.nvidia.memory_share.value.unwrap() - 736.0 / 1504.0).abs() < 1e-12);
}

#[test]
fn jailed_stake_is_reported_but_holds_no_power() {
    let mut a = Provider::new("a");
    a.stake = Some(60.0);
    a.active_set = Some(false);
    let mut b = Provider::new("b");
    b.stake = Some(30.0);
    b.active_set = Some(true);
    let mut c = Provider::new("c");
    c.stake = Some(10.0);
    c.active_set = Some(true);
    let r = audit(&snapshot(vec![a, b, c]), &AuditOptions::default());
    assert_eq!(r.headline.primary_weight, Weight::Stake);
    let stake = r.stake.unwrap();
    assert_eq!(
        (
            stake.excluded_providers,
            stake.excluded_stake,
            stake.voting_stake
        ),
        (1, 60.0, 40.0)
    );
    let cell = find_cell(&r.concentration, Dimension::Provider, Weight::Stake).unwrap();
    assert_eq!(cell.metrics.max_share, Some(0.75));
    assert!(r.hardware.is_none());
}

#[test]
fn revenue_uses_matching_prices() {
    let mut p = gpu_provider("a", None, None, "h100 80gb", 2);
    p.prices.push(Price {
        gpu_model: Some("h100-80gb".into()),
        per_gpu_hour: 2.0,
        currency: "USD".into(),
        gpus: None,
    });
    let r = audit(&snapshot(vec![p]), &AuditOptions::default());
    let cell = find_cell(
        &r.concentration,
        Dimension::Provider,
        Weight::MonthlyRevenue,
    )
    .unwrap();
    assert_eq!(cell.attributed_weight, 2.0 * 2.0 * HOURS_PER_MONTH);
    assert_eq!(r.pricing[0].per_gpu_hour.n, 1);
}

#[test]
fn clouds_are_inferred_from_asn_and_labelled() {
    let mut a = gpu_provider("a", None, None, "t4", 1);
    a.asn = Some(16509);
    let mut b = gpu_provider("b", None, None, "t4", 3);
    b.cloud = Some("Hetzner Online GmbH".into());
    let r = audit(
        &snapshot(vec![a, b, gpu_provider("c", None, None, "t4", 4)]),
        &AuditOptions::default(),
    );
    assert_eq!(r.cloud.rows[0].cloud, "Hetzner");
    assert_eq!(r.cloud.rows[0].providers_declared, 1);
    assert_eq!(r.cloud.rows[1].providers_inferred_from_asn, 1);
    assert_eq!(r.cloud.unknown_share, 0.5);
    // Shares are of the GPUs whose cloud is known: AWS holds 1 of 4.
    assert_eq!(r.cloud.by_category["hyperscaler"], 0.25);
    assert_eq!(r.cloud.hyperscaler_share.value, Some(0.25));
    assert_eq!(r.cloud.hyperscaler_share.coverage, 0.5);
    assert!(!r.cloud.hyperscaler_share.low_coverage);
}

#[test]
fn empty_snapshot_audits_without_panicking() {
    let r = audit(&snapshot(vec![]), &AuditOptions::default());
    assert!(r.concentration.is_empty());
    assert_eq!(r.headline.primary_weight, Weight::Providers);
}

#[test]
fn unlinked_supply_is_bounded() {
    // Two linked providers of one operator hold 50%; two unlinked ones 25% each.
    let mut a = gpu_provider("a", Some("X"), None, "t4", 2);
    a.name = Some("A".into());
    let b = gpu_provider("b", Some("X"), None, "t4", 2);
    let c = gpu_provider("c", None, None, "t4", 2);
    let d = gpu_provider("d", None, None, "t4", 2);
    let r = audit(&snapshot(vec![a, b, c, d]), &AuditOptions::default());
    let cell = find_cell(&r.concentration, Dimension::Operator, Weight::Gpus).unwrap();
    let bounds = cell.bounds.as_ref().unwrap();
    assert_eq!(bounds.unlinked_providers, 2);
    assert_eq!(bounds.unlinked_share, 0.5);
    assert_eq!(bounds.best.nakamoto_coefficient, Some(1));
    assert_eq!(bounds.best.max_share, Some(0.5));
    assert_eq!(bounds.worst.max_share, Some(0.5));
    assert_eq!(bounds.worst.entities, 2);
    assert_eq!(bounds.worst.hhi, Some(5000.0));
    assert_eq!(bounds.best.hhi, Some(2500.0 + 625.0 + 625.0));
    // Worst and best case agree here (1 operator), so the headline does
    // not repeat it; with a third unlinked provider they differ.
    assert!(
        !r.headline.summary.contains("unlinked"),
        "{}",
        r.headline.summary
    );
    let e = gpu_provider("e", None, None, "t4", 2);
    let (a, b, c, d) = (
        gpu_provider("a", Some("X"), None, "t4", 2),
        gpu_provider("b", Some("X"), None, "t4", 2),
        gpu_provider("c", None, None, "t4", 2),
        gpu_provider("d", None, None, "t4", 2),
    );
    let r3 = audit(&snapshot(vec![a, b, c, d, e]), &AuditOptions::default());
    assert!(
        r3.headline
            .summary
            .contains("(1 operator if the 60.0% held by 3 unlinked providers were one operator)"),
        "{}",
        r3.headline.summary
    );
    assert!(
        find_cell(&r.concentration, Dimension::Provider, Weight::Gpus)
            .unwrap()
            .bounds
            .is_none()
    );
}

/// `history` reads its rows from the headline-scoped audit: every part it
/// reads must equal the full audit's, on every bundled snapshot, with and
/// without supply checks.
#[test]
fn headline_scope_matches_the_full_audit_where_history_reads_it() {
    fn json<T: Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }
    for b in crate::bundled::BUNDLED {
        let (s, _) = crate::bundled::read_bundled(b).unwrap();
        for supply in [None, Some(crate::supply::SupplyOptions::default())] {
            let opts = AuditOptions {
                supply,
                ..AuditOptions::default()
            };
            let full = audit(&s, &opts);
            let head = crate::pipeline::audit_headline(&s, &opts);
            let at = b.path;
            assert_eq!(json(&full.headline), json(&head.headline), "{at}");
            assert_eq!(json(&full.hardware), json(&head.hardware), "{at}");
            assert_eq!(json(&full.cloud), json(&head.cloud), "{at}");
            assert_eq!(json(&full.uptime), json(&head.uptime), "{at}");
            assert_eq!(json(&full.supply), json(&head.supply), "{at}");
            assert_eq!(
                (full.providers, full.operators),
                (head.providers, head.operators),
                "{at}"
            );
            let g = (&full.geography, &head.geography);
            assert_eq!(
                json(&g.0.largest_country_share),
                json(&g.1.largest_country_share),
                "{at}"
            );
            assert_eq!(g.0.country_coverage, g.1.country_coverage, "{at}");
            let kept = |a: &SnapshotAudit| {
                a.concentration
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.dimension,
                            Dimension::Provider | Dimension::Operator | Dimension::Country
                        )
                    })
                    .map(|c| serde_json::to_value(c).unwrap())
                    .collect::<Vec<_>>()
            };
            assert_eq!(kept(&full), kept(&head), "{at}");
            assert!(head.pricing.is_empty() && head.lorenz.is_empty(), "{at}");
        }
    }
}

#[test]
fn entity_rank_is_the_string_order_of_keys() {
    // Keys sharing their first eight bytes, shorter keys, a NUL and
    // non-ASCII text: ranked exactly as the strings sort.
    let keys = [
        "AS12345678",
        "AS12345677",
        "AS1",
        "AS1\0",
        "A",
        "",
        "AS123456",
        "Zürich",
        "Z",
        "AS2",
    ];
    let agg = Aggregate {
        keys: keys.iter().map(|k| Cow::Borrowed(*k)).collect(),
        labels: vec![None; keys.len()],
        totals: Cow::Owned(vec![Contribution::default(); keys.len()]),
        unattributed: Contribution::default(),
    }
    .ordered_by_key();
    let mut sorted = keys.to_vec();
    sorted.sort();
    assert_eq!(agg.keys, sorted);
}

#[test]
fn gpu_memory_is_absent_not_zero_when_no_gpu_discloses_it() {
    // "H100" names no memory size; "h100 80gb" does.
    let unknown = snapshot(vec![
        gpu_provider("a", None, None, "H100", 8),
        gpu_provider("b", None, None, "H100", 4),
    ]);
    let h = sections::hardware(&unknown).unwrap();
    assert_eq!((h.gpu_memory_gb, h.memory_coverage), (None, 0.0));
    let partly = snapshot(vec![
        gpu_provider("a", None, None, "H100", 8),
        gpu_provider("b", None, None, "h100 80gb", 2),
    ]);
    let h = sections::hardware(&partly).unwrap();
    assert_eq!((h.gpu_memory_gb, h.memory_coverage), (Some(160.0), 0.2));
}

#[test]
fn the_card_counts_one_country_in_the_singular() {
    let s = snapshot(vec![
        gpu_provider("a", None, Some("US"), "h100 80gb", 8),
        gpu_provider("b", None, None, "h100 80gb", 2),
    ]);
    let a = audit(&s, &AuditOptions::default());
    let card = disclosure::card(&a, &disclosure::ResilienceFigures::default());
    let geography = card.items.iter().find(|i| i.item == "geography").unwrap();
    assert!(
        geography.value.ends_with("; 1 country"),
        "{}",
        geography.value
    );
}
