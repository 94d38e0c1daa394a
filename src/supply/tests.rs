//! Table-driven tests: every rule fires on its positive case and stays
//! silent on its negative one.

use super::*;
use crate::model::{Price, Provider, Source, gpu};

fn snapshot(network: &str, providers: Vec<Provider>) -> Snapshot {
    let mut s = Snapshot::new(
        network,
        Source {
            adapter: "test".into(),
            location: "test".into(),
            note: None,
        },
        "0".repeat(64),
    );
    s.providers = providers;
    s
}

fn with_gpus(id: &str, model: &str, memory: Option<f64>, count: u64) -> Provider {
    let mut p = Provider::new(id);
    p.gpus.push(gpu::normalize(model, None, memory, count));
    p
}

fn profile() -> NetworkProfile {
    NetworkProfile::bundled("default").unwrap()
}

fn findings(s: &Snapshot, p: &NetworkProfile, rule: Rule) -> Vec<Finding> {
    check(s, p, None)
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}

/// The real Akash underflow: 2^64 - 1 "GPUs".
const UNDERFLOW: u64 = 18_446_744_073_709_551_615;

#[test]
fn sentinel_values_table() {
    let margin = 65_536;
    let cases: &[(u64, bool)] = &[
        (UNDERFLOW, true),
        (UNDERFLOW - 7, true),
        (u64::from(u32::MAX), true),
        ((1 << 32) + 5, true),
        (i32::MAX as u64, true),
        (i64::MAX as u64, true),
        (8, false),
        (4_096, false),
        (1_000_000, false),
        ((1 << 32) - 1_000_000, false),
    ];
    for (count, flagged) in cases {
        assert_eq!(
            rules::sentinel(*count, margin).is_some(),
            *flagged,
            "{count}"
        );
    }
    assert!(
        rules::sentinel(UNDERFLOW, margin)
            .unwrap()
            .contains("2^64 - 1")
    );
}

#[test]
fn each_rule_fires_on_its_case_and_not_on_the_control() {
    let p = profile();
    type Case = (Rule, Vec<Provider>, Vec<Provider>);
    let online = |mut p: Provider| {
        p.online = Some(true);
        p
    };
    let cases: Vec<Case> = vec![
        (
            Rule::SentinelCount,
            vec![with_gpus("a", "H100", Some(80.0), UNDERFLOW)],
            vec![with_gpus("a", "H100", Some(80.0), 8)],
        ),
        (
            Rule::NegativeCapacity,
            vec![Provider {
                invalid_gpu_total: Some(-2.0),
                ..Provider::new("a")
            }],
            vec![with_gpus("a", "A100", None, 0)],
        ),
        (
            Rule::GpusPerProvider,
            vec![with_gpus("a", "RTX 4090", None, 250_000)],
            vec![with_gpus("a", "RTX 4090", None, 90_000)],
        ),
        (
            Rule::GpusPerNode,
            vec![Provider {
                nodes: Some(2),
                ..with_gpus("a", "A100", Some(80.0), 40)
            }],
            vec![Provider {
                nodes: Some(2),
                ..with_gpus("a", "A100", Some(80.0), 16)
            }],
        ),
        (
            Rule::MemoryMismatch,
            vec![with_gpus("a", "H100", Some(24.0), 8)],
            vec![with_gpus("a", "H100", Some(80.0), 8)],
        ),
        (
            Rule::ZeroCapacityOnline,
            vec![with_gpus("a", "A100", None, 8), online(Provider::new("b"))],
            vec![with_gpus("a", "A100", None, 8), Provider::new("b")],
        ),
        (
            Rule::DuplicateHost,
            vec![
                Provider {
                    hostname: Some("provider.example.com".into()),
                    ..with_gpus("a", "A100", None, 8)
                },
                Provider {
                    hostname: Some("Provider.Example.com.".into()),
                    ..with_gpus("b", "A100", None, 8)
                },
            ],
            vec![
                Provider {
                    hostname: Some("provider.example.com".into()),
                    ..Provider::new("a")
                },
                Provider {
                    hostname: Some("other.example.com".into()),
                    ..Provider::new("b")
                },
            ],
        ),
        (
            Rule::DuplicateIp,
            vec![
                Provider {
                    ip: Some("203.0.113.7".into()),
                    ..Provider::new("a")
                },
                Provider {
                    ip: Some("203.0.113.7".into()),
                    ..Provider::new("b")
                },
            ],
            vec![
                Provider {
                    ip: Some("10.0.0.1".into()),
                    ..Provider::new("a")
                },
                Provider {
                    ip: Some("10.0.0.1".into()),
                    ..Provider::new("b")
                },
            ],
        ),
        (
            Rule::DuplicateFingerprint,
            vec![
                Provider {
                    fingerprint: Some("board-42".into()),
                    ..Provider::new("a")
                },
                Provider {
                    fingerprint: Some("board-42".into()),
                    ..Provider::new("b")
                },
            ],
            vec![Provider {
                fingerprint: Some("board-42".into()),
                ..Provider::new("a")
            }],
        ),
        (
            Rule::DuplicateListing,
            vec![{
                let mut p = with_gpus("a", "A100", Some(80.0), 8);
                p.gpus.push(p.gpus[0].clone());
                p
            }],
            vec![{
                let mut p = with_gpus("a", "A100", Some(80.0), 8);
                p.gpus.push(gpu::normalize("A100", None, Some(80.0), 4));
                p
            }],
        ),
        (
            Rule::LocationMismatch,
            vec![Provider {
                country: Some("HR".into()),
                declared_country: Some("US".into()),
                declared_region: Some("Missouri".into()),
                ..Provider::new("a")
            }],
            vec![Provider {
                country: Some("US".into()),
                declared_country: Some("US".into()),
                ..Provider::new("a")
            }],
        ),
        (
            Rule::CloudAsnMismatch,
            vec![Provider {
                asn: Some(24940),
                cloud: Some("aws".into()),
                ..Provider::new("a")
            }],
            vec![Provider {
                asn: Some(16509),
                cloud: Some("aws".into()),
                ..Provider::new("a")
            }],
        ),
        (
            Rule::StaleOnline,
            vec![Provider {
                online: Some(true),
                last_seen: Some("2025-01-01T00:00:00Z".into()),
                last_checked: Some("2025-01-10T00:00:00Z".into()),
                ..Provider::new("a")
            }],
            vec![Provider {
                online: Some(true),
                last_seen: Some("2025-01-09T12:00:00Z".into()),
                last_checked: Some("2025-01-10T00:00:00Z".into()),
                ..Provider::new("a")
            }],
        ),
        (
            Rule::LeasedExceedsCapacity,
            vec![Provider {
                gpus_leased: Some(12),
                ..with_gpus("a", "A100", None, 8)
            }],
            vec![Provider {
                gpus_leased: Some(8),
                ..with_gpus("a", "A100", None, 8)
            }],
        ),
        (
            Rule::UnknownGpuModel,
            vec![with_gpus("a", "Quantum Flux 9000", None, 2)],
            vec![with_gpus("a", "RTX 3090", None, 2)],
        ),
    ];
    for (rule, positive, negative) in cases {
        let pos = findings(&snapshot("t", positive), &p, rule);
        assert!(!pos.is_empty(), "{rule:?} should fire");
        assert!(
            pos.iter()
                .all(|f| !f.reason.is_empty() && !f.field.is_empty())
        );
        let neg = findings(&snapshot("t", negative), &p, rule);
        assert!(neg.is_empty(), "{rule:?} fired on its control: {neg:?}");
    }
}

#[test]
fn price_outliers_use_a_robust_z_score_on_log_price() {
    let mut providers = Vec::new();
    for (i, price) in [1.9, 2.0, 2.1, 2.0, 1.95, 2.05, 40.0].iter().enumerate() {
        let mut p = with_gpus(&format!("p{i}"), "H100", Some(80.0), 8);
        p.prices.push(Price {
            gpu_model: p.gpus[0].model.clone(),
            per_gpu_hour: *price,
            currency: "USD".into(),
            gpus: None,
        });
        providers.push(p);
    }
    let found = findings(
        &snapshot("t", providers.clone()),
        &profile(),
        Rule::PriceOutlier,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].provider, "p6");
    assert_eq!(found[0].excluded_gpus, 0, "a price never removes supply");
    // Fewer peers than price_min_peers: no judgement.
    providers.truncate(4);
    providers.push({
        let mut p = with_gpus("x", "H100", Some(80.0), 8);
        p.prices.push(Price {
            gpu_model: p.gpus[0].model.clone(),
            per_gpu_hour: 40.0,
            currency: "USD".into(),
            gpus: None,
        });
        p
    });
    let mut few = profile();
    few.checks.price_min_peers = 6;
    assert!(findings(&snapshot("t", providers), &few, Rule::PriceOutlier).is_empty());
}

#[test]
fn robust_z_handles_constant_and_mad_zero_data() {
    assert_eq!(rules::robust_z(&[1.0, 1.0, 1.0]), None);
    let z = rules::robust_z(&[1.0, 1.0, 1.0, 1.0, 5.0]).unwrap();
    assert!(z[4] > 3.5 && z[0] == 0.0);
}

#[test]
fn vast_machines_are_nodes_so_24_gpus_on_one_is_flagged() {
    let vast = NetworkProfile::bundled("vastai").unwrap();
    let s = snapshot("vast.ai", vec![with_gpus("m", "RTX 4090", None, 24)]);
    assert_eq!(findings(&s, &vast, Rule::GpusPerNode).len(), 1);
    // The same claim on a cluster network with no node count is not judged.
    let akash = NetworkProfile::bundled("akash").unwrap();
    assert!(findings(&s, &akash, Rule::GpusPerNode).is_empty());
}

#[test]
fn passing_basis_drops_error_subjects_and_keeps_warnings() {
    // A repeated row is a warning by default (it may be two identical
    // machines); graded error, only the repeated GPUs leave.
    let mut dup = with_gpus("dup", "A100", Some(80.0), 16);
    dup.gpus[0].duplicated = 8;
    let s = snapshot(
        "t",
        vec![
            with_gpus("big", "H100", Some(80.0), UNDERFLOW),
            dup,
            with_gpus("odd", "H100", Some(24.0), 4),
            with_gpus("fine", "A100", Some(80.0), 8),
        ],
    );
    let c = check(&s, &profile(), None);
    let passing = passing_snapshot(&s, &c.findings);
    let gpus: Vec<(String, u64)> = passing
        .providers
        .iter()
        .map(|p| (p.id.clone(), p.gpu_count()))
        .collect();
    assert_eq!(
        gpus,
        [("big", 0), ("dup", 16), ("odd", 4), ("fine", 8)].map(|(a, b)| (a.to_string(), b))
    );
    let mut strict = profile();
    apply_overrides(
        &mut strict,
        &[(Rule::DuplicateListing, Setting::Error)].into(),
    );
    let c_strict = check(&s, &strict, None);
    let dup_left = passing_snapshot(&s, &c_strict.findings).providers[1].gpu_count();
    assert_eq!(dup_left, 8, "only the repeated rows leave");
    let opts = crate::audit::AuditOptions::default();
    let b = bases(&s, &c, crate::audit::Weight::Gpus, &opts, None);
    assert_eq!(
        b[0].gpus,
        u64::MAX,
        "claimed keeps the sentinel (saturated)"
    );
    assert_eq!(b[0].nakamoto_providers, Some(1));
    assert_eq!(b[1].gpus, 28);
    assert_eq!(b[1].nakamoto_providers, Some(1), "dup holds 16 of 28");
    assert!(!b[2].available, "no online observations");
}

#[test]
fn severity_overrides_move_findings_between_bases() {
    let s = snapshot(
        "t",
        vec![
            Provider {
                ip: Some("198.51.100.9".into()),
                ..with_gpus("a", "A100", None, 8)
            },
            Provider {
                ip: Some("198.51.100.9".into()),
                ..with_gpus("b", "A100", None, 8)
            },
        ],
    );
    let mut p = profile();
    let warn = check(&s, &p, None);
    assert_eq!(passing_snapshot(&s, &warn.findings).providers.len(), 2);
    apply_overrides(&mut p, &[(Rule::DuplicateIp, Setting::Error)].into());
    let err = check(&s, &p, None);
    let passing = passing_snapshot(&s, &err.findings);
    assert_eq!(passing.providers.len(), 1);
    assert_eq!(passing.providers[0].id, "a", "the first by id is kept");
    apply_overrides(&mut p, &[(Rule::DuplicateIp, Setting::Off)].into());
    assert!(check(&s, &p, None).findings.is_empty());
}

#[test]
fn observed_basis_keeps_online_fresh_providers() {
    let s = snapshot(
        "t",
        vec![
            Provider {
                online: Some(true),
                last_seen: Some("2025-01-10T00:00:00Z".into()),
                last_checked: Some("2025-01-10T00:00:00Z".into()),
                ..with_gpus("up", "A100", None, 8)
            },
            Provider {
                online: Some(true),
                last_seen: Some("2024-12-01T00:00:00Z".into()),
                ..with_gpus("stale", "A100", None, 8)
            },
            Provider {
                online: Some(false),
                ..with_gpus("down", "A100", None, 8)
            },
        ],
    );
    let c = check(&s, &profile(), None);
    let b = bases(
        &s,
        &c,
        crate::audit::Weight::Gpus,
        &Default::default(),
        None,
    );
    assert!(b[2].available);
    assert_eq!((b[2].providers, b[2].gpus), (1, 8));
    assert_eq!((b[0].providers, b[0].gpus), (3, 24));
}

#[test]
fn geoip_facts_drive_location_and_asn_checks() {
    let s = snapshot(
        "t",
        vec![
            Provider {
                ip: Some("203.0.113.5".into()),
                country: Some("US".into()),
                datacenter: Some("home".into()),
                ..Provider::new("a")
            },
            Provider {
                ip: Some("198.51.100.5".into()),
                country: Some("DE".into()),
                ..Provider::new("b")
            },
        ],
    );
    let geo = Located {
        facts: [
            (
                "203.0.113.5".to_string(),
                GeoFact {
                    country: Some("HR".into()),
                    asn: Some(16509),
                    as_organization: Some("AMAZON-02".into()),
                },
            ),
            (
                "198.51.100.5".to_string(),
                GeoFact {
                    country: Some("DE".into()),
                    asn: None,
                    as_organization: None,
                },
            ),
        ]
        .into(),
        databases: vec!["test.mmdb".into()],
    };
    let c = check(&s, &profile(), Some(&geo));
    let rules: Vec<(Rule, &str)> = c
        .findings
        .iter()
        .map(|f| (f.rule, f.provider.as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![(Rule::LocationMismatch, "a"), (Rule::CloudAsnMismatch, "a")]
    );
    assert!(c.findings[0].reason.contains("HR"));
    assert_eq!(c.geoip, vec!["test.mmdb".to_string()]);
}

#[test]
fn every_rule_has_a_unique_id_and_a_description() {
    let ids = rule_ids();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), RULES.len());
    for r in RULES {
        assert_eq!(Rule::from_id(r.id()), Some(r));
        assert!(!r.description().is_empty());
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            serde_json::Value::from(r.id())
        );
    }
    assert!(parse_override("duplicate-ip=off").is_ok());
    assert!(parse_override("nope=off").is_err());
    assert!(parse_override("duplicate-ip").is_err());
}

#[test]
fn same_model_groups_at_different_prices_are_distinct_offers() {
    let mut p = with_gpus("a", "A100", Some(80.0), 8);
    p.gpus.push(p.gpus[0].clone());
    for price in [1.1, 1.3] {
        p.prices.push(Price {
            gpu_model: p.gpus[0].model.clone(),
            per_gpu_hour: price,
            currency: "USD".into(),
            gpus: None,
        });
    }
    let s = snapshot("t", vec![p.clone()]);
    assert!(findings(&s, &profile(), Rule::DuplicateListing).is_empty());
    p.prices[1].per_gpu_hour = 1.1;
    let s = snapshot("t", vec![p]);
    assert_eq!(findings(&s, &profile(), Rule::DuplicateListing).len(), 1);
}
