//! Table-driven tests: every rule fires on its positive case and stays
//! silent on its negative one.

use super::*;
use crate::audit::bases;
use crate::model::{More, Price, Provider, ProviderMore, Source, gpu};

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

/// A validator holding `stake` (a share of voting power), in or out of the
/// active set.
fn validator(id: &str, stake: f64, active: bool) -> Provider {
    Provider {
        stake: Some(stake),
        active_set: Some(active),
        ..Provider::new(id)
    }
}

/// A provider with GPUs of `model` whose source labels them `vendor`.
fn labelled(id: &str, model: &str, vendor: &str, count: u64) -> Provider {
    let mut p = Provider::new(id);
    p.gpus
        .push(gpu::normalize(model, Some(vendor), None, count));
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
                more: More::new(ProviderMore {
                    invalid_gpu_total: Some(-2.0),
                    ..ProviderMore::default()
                }),
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
                more: More::new(ProviderMore {
                    nodes: Some(2),
                    ..ProviderMore::default()
                }),
                ..with_gpus("a", "A100", Some(80.0), 40)
            }],
            vec![Provider {
                more: More::new(ProviderMore {
                    nodes: Some(2),
                    ..ProviderMore::default()
                }),
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
                    more: More::new(ProviderMore {
                        hostname: Some("provider.example.com".into()),
                        ..ProviderMore::default()
                    }),
                    ..with_gpus("a", "A100", None, 8)
                },
                Provider {
                    more: More::new(ProviderMore {
                        hostname: Some("Provider.Example.com.".into()),
                        ..ProviderMore::default()
                    }),
                    ..with_gpus("b", "A100", None, 8)
                },
            ],
            vec![
                Provider {
                    more: More::new(ProviderMore {
                        hostname: Some("provider.example.com".into()),
                        ..ProviderMore::default()
                    }),
                    ..Provider::new("a")
                },
                Provider {
                    more: More::new(ProviderMore {
                        hostname: Some("other.example.com".into()),
                        ..ProviderMore::default()
                    }),
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
                    more: More::new(ProviderMore {
                        fingerprint: Some("board-42".into()),
                        ..ProviderMore::default()
                    }),
                    ..Provider::new("a")
                },
                Provider {
                    more: More::new(ProviderMore {
                        fingerprint: Some("board-42".into()),
                        ..ProviderMore::default()
                    }),
                    ..Provider::new("b")
                },
            ],
            vec![Provider {
                more: More::new(ProviderMore {
                    fingerprint: Some("board-42".into()),
                    ..ProviderMore::default()
                }),
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
                more: More::new(ProviderMore {
                    declared_country: Some("US".into()),
                    declared_region: Some("Missouri".into()),
                    ..ProviderMore::default()
                }),
                ..Provider::new("a")
            }],
            vec![Provider {
                country: Some("US".into()),
                more: More::new(ProviderMore {
                    declared_country: Some("US".into()),
                    ..ProviderMore::default()
                }),
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
                more: More::new(ProviderMore {
                    last_seen: Some("2025-01-01T00:00:00Z".into()),
                    last_checked: Some("2025-01-10T00:00:00Z".into()),
                    ..ProviderMore::default()
                }),
                ..Provider::new("a")
            }],
            vec![Provider {
                online: Some(true),
                more: More::new(ProviderMore {
                    last_seen: Some("2025-01-09T12:00:00Z".into()),
                    last_checked: Some("2025-01-10T00:00:00Z".into()),
                    ..ProviderMore::default()
                }),
                ..Provider::new("a")
            }],
        ),
        (
            Rule::LeasedExceedsCapacity,
            vec![Provider {
                more: More::new(ProviderMore {
                    gpus_leased: Some(12),
                    ..ProviderMore::default()
                }),
                ..with_gpus("a", "A100", None, 8)
            }],
            vec![Provider {
                more: More::new(ProviderMore {
                    gpus_leased: Some(8),
                    ..ProviderMore::default()
                }),
                ..with_gpus("a", "A100", None, 8)
            }],
        ),
        (
            Rule::VendorMismatch,
            vec![labelled("a", "Radeon RX 7900 XTX", "nvidia", 2)],
            vec![labelled("a", "Radeon RX 7900 XTX", "amd", 2)],
        ),
        (
            Rule::ShareSum,
            vec![validator("a", 0.6, true), validator("b", 0.652, true)],
            vec![validator("a", 0.6, true), validator("b", 0.398, true)],
        ),
        (
            Rule::UnknownGpuModel,
            vec![with_gpus("a", "Quantum Flux 9000", None, 2)],
            vec![with_gpus("a", "RTX 3090", None, 2)],
        ),
    ];
    // Stakes in these snapshots are shares of voting power (the unit the
    // Cosmos adapter gives `voting_power_percent` lists); rules that do not
    // read stakes ignore it.
    let snapshot = |net: &str, providers: Vec<Provider>| {
        let mut s = snapshot(net, providers);
        s.stake_unit = Some("share of voting power".into());
        s
    };
    let tested: std::collections::BTreeSet<Rule> = cases.iter().map(|c| c.0).collect();
    let untested: Vec<Rule> = RULES
        .into_iter()
        .filter(|r| !tested.contains(r) && *r != Rule::PriceOutlier)
        .collect();
    assert!(untested.is_empty(), "rules without a case: {untested:?}");
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
        .map(|p| (p.id.to_string(), p.gpu_count()))
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
    let b = bases(
        &Checked::new(&s, c.clone()),
        crate::audit::Weight::Gpus,
        &opts,
        None,
        None,
    );
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
                more: More::new(ProviderMore {
                    last_seen: Some("2025-01-10T00:00:00Z".into()),
                    last_checked: Some("2025-01-10T00:00:00Z".into()),
                    ..ProviderMore::default()
                }),
                ..with_gpus("up", "A100", None, 8)
            },
            Provider {
                online: Some(true),
                more: More::new(ProviderMore {
                    last_seen: Some("2024-12-01T00:00:00Z".into()),
                    ..ProviderMore::default()
                }),
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
        &Checked::new(&s, c),
        crate::audit::Weight::Gpus,
        &Default::default(),
        None,
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
fn misspelled_rules_and_severities_get_a_suggestion() {
    let e = parse_override("duplicat-ip=off").unwrap_err();
    assert!(e.contains("did you mean `duplicate-ip`?"), "{e}");
    let e = parse_override("duplicate-ip=warnig").unwrap_err();
    assert!(e.contains("did you mean `warning`?"), "{e}");
    let e = parse_override("zzz=off").unwrap_err();
    assert!(!e.contains("did you mean"), "{e}");
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

#[test]
fn vendor_mismatch_names_the_label_and_what_vendor_dependency_counts() {
    // (provider, raw name, declared vendor, expected reason, or None)
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        (
            "radeon",
            "Radeon RX 7900 XTX",
            "nvidia",
            Some(
                "`Radeon RX 7900 XTX` is an AMD model (in the GPU catalogue); the data labels it nvidia; vendor dependency counts it as amd",
            ),
        ),
        (
            "geforce",
            "RTX 4090",
            "AMD",
            Some(
                "`RTX 4090` is an NVIDIA model (in the GPU catalogue); the data labels it AMD; vendor dependency counts it as nvidia",
            ),
        ),
        (
            "unknown-radeon",
            "Radeon RX 9070 XT",
            "nvidia",
            Some(
                "`Radeon RX 9070 XT` is an AMD model (by the brand in its name); the data labels it nvidia; vendor dependency counts it as amd",
            ),
        ),
        (
            "agrees",
            "Radeon RX 7900 XTX",
            "Advanced Micro Devices, Inc.",
            None,
        ),
        ("pci-id", "H100", "10de", None),
        ("mystery", "Quantum Flux 9000", "acme", None),
    ];
    for (id, raw, vendor, want) in cases {
        let s = snapshot("t", vec![labelled(id, raw, vendor, 4)]);
        let found = findings(&s, &profile(), Rule::VendorMismatch);
        match want {
            None => assert!(found.is_empty(), "{id}: {found:?}"),
            Some(reason) => {
                assert_eq!(found.len(), 1, "{id}");
                let f = &found[0];
                assert_eq!(f.reason, *reason);
                assert_eq!(f.field, "gpus[0].vendor");
                assert_eq!(f.claimed, *vendor);
                assert_eq!(f.gpu_group, Some(0));
                assert_eq!(f.severity, Setting::Warning);
                assert_eq!(f.excluded_gpus, 0);
            }
        }
    }
}

#[test]
fn vendor_mismatch_reads_snapshots_written_before_the_vendor_was_checked() {
    // A stored snapshot whose AMD model carries `vendor: nvidia` and no
    // `declared_vendor`: flagged, and the reason says what is counted.
    let mut p = Provider::new("old");
    let kind = gpu::GpuKind {
        vendor: Some("nvidia".into()),
        model: Some("rx7900xtx-24gb".into()),
        raw_model: Some("Radeon RX 7900 XTX".into()),
        known_model: true,
        ..Default::default()
    };
    p.gpus.push(gpu::GpuGroup::new(kind, 2));
    let found = findings(&snapshot("t", vec![p]), &profile(), Rule::VendorMismatch);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .reason
            .ends_with("the data labels it nvidia; vendor dependency counts it as nvidia"),
        "{}",
        found[0].reason
    );
}

#[test]
fn vendor_and_share_findings_never_remove_supply() {
    let mut s = snapshot(
        "t",
        vec![
            labelled("a", "Radeon RX 7900 XTX", "nvidia", 4),
            Provider {
                stake: Some(0.7),
                ..labelled("b", "RTX 4090", "nvidia", 4)
            },
            validator("c", 0.7, true),
        ],
    );
    s.stake_unit = Some("share".into());
    let mut strict = profile();
    apply_overrides(
        &mut strict,
        &[
            (Rule::VendorMismatch, Setting::Error),
            (Rule::ShareSum, Setting::Error),
        ]
        .into(),
    );
    let c = check(&s, &strict, None);
    let rules: Vec<Rule> = c.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::VendorMismatch, Rule::ShareSum]);
    assert!(c.findings.iter().all(|f| f.excluded_gpus == 0));
    let passing = passing_snapshot(&s, &c.findings);
    assert_eq!(passing, s, "flags only: nothing leaves the passing basis");
    // The share-sum finding is about the network: it names no provider.
    let summary = c.rules.iter().find(|r| r.rule == Rule::ShareSum).unwrap();
    assert_eq!((summary.findings, summary.providers), (1, 0));
    assert_eq!(c.findings[1].provider, "t");
}

#[test]
fn share_sum_table() {
    // (stake unit, validators (stake, active), expected claimed sum and
    // reason, or None)
    type Case = (
        &'static str,
        Vec<(f64, bool)>,
        Option<(&'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        // Celestia's shape: inactive validators still carry shares.
        (
            "share of voting power",
            vec![(0.5, true), (0.497, true), (0.255, false)],
            Some((
                "1.252",
                "voting-power shares sum to 1.252 over 3 validators (0.997 over the 2 in the active set), not 1 (tolerance 0.005); metrics divide by the sum of the active set's shares",
            )),
        ),
        // Everyone active: no active-set clause.
        (
            "share",
            vec![(0.5, true), (0.4, true)],
            Some((
                "0.900",
                "voting-power shares sum to 0.900 over 2 validators, not 1 (tolerance 0.005); metrics divide by this sum",
            )),
        ),
        // Within the 0.005 tolerance, either side.
        (
            "share of voting power",
            vec![(0.5, true), (0.504, true)],
            None,
        ),
        (
            "share of voting power",
            vec![(0.5, true), (0.496, true)],
            None,
        ),
        // Just outside it.
        (
            "fraction",
            vec![(0.5, true), (0.507, true)],
            Some(("1.007", "voting-power shares sum to 1.007")),
        ),
        // Percentages: the whole is 100, the tolerance 0.5 points.
        (
            "percent of voting power",
            vec![(60.0, true), (39.7, true)],
            None,
        ),
        (
            "%",
            vec![(60.0, true), (50.0, true), (1.0, false)],
            Some((
                "111.0",
                "voting-power percentages sum to 111.0 over 3 validators (110.0 over the 2 in the active set), not 100 (tolerance 0.5 points)",
            )),
        ),
        // Token amounts are not shares: never judged.
        ("uatom", vec![(5.0, true), (7.0, true)], None),
        ("TAO", vec![(0.2, true)], None),
        ("delegator shares", vec![(0.2, true)], None),
    ];
    for (unit, stakes, want) in cases {
        let providers = stakes
            .iter()
            .enumerate()
            .map(|(i, (stake, active))| validator(&format!("v{i}"), *stake, *active))
            .collect();
        let mut s = snapshot("chain", providers);
        s.stake_unit = Some(unit.into());
        let found = findings(&s, &profile(), Rule::ShareSum);
        match want {
            None => assert!(found.is_empty(), "{unit} {stakes:?}: {found:?}"),
            Some((claimed, reason)) => {
                assert_eq!(found.len(), 1, "{unit} {stakes:?}");
                let f = &found[0];
                assert_eq!(f.claimed, claimed, "{unit} {stakes:?}");
                assert!(f.reason.starts_with(reason), "{}", f.reason);
                assert_eq!(
                    (f.provider.as_str(), f.field.as_str()),
                    ("chain", "providers[].stake")
                );
                assert_eq!(f.gpu_group, None);
            }
        }
    }
    // No unit, or no stakes at all: nothing to judge.
    let s = snapshot("chain", vec![validator("a", 0.2, true)]);
    assert!(findings(&s, &profile(), Rule::ShareSum).is_empty());
    let mut s = snapshot("chain", vec![Provider::new("a")]);
    s.stake_unit = Some("share".into());
    assert!(findings(&s, &profile(), Rule::ShareSum).is_empty());
}

#[test]
fn share_sums_do_not_depend_on_validator_order() {
    let stakes = [0.138, 0.127, 0.124, 0.097, 0.093, 0.058, 0.3, 0.315];
    let make = |order: &[usize]| {
        let mut s = snapshot(
            "chain",
            order
                .iter()
                .map(|&i| validator(&format!("v{i}"), stakes[i], i % 3 != 0))
                .collect(),
        );
        s.stake_unit = Some("share of voting power".into());
        findings(&s, &profile(), Rule::ShareSum)
    };
    let forward: Vec<usize> = (0..stakes.len()).collect();
    let backward: Vec<usize> = forward.iter().rev().copied().collect();
    assert_eq!(make(&forward), make(&backward));
    assert_eq!(make(&forward).len(), 1);
}

#[test]
fn per_provider_rules_sharing_one_pass_report_as_separate_passes_would() {
    // Findings of several per-provider rules on providers spread over many
    // chunks of the shared pass: each rule's findings come in provider
    // order, and the rules in catalogue order.
    let providers: Vec<Provider> = (0..3500)
        .map(|i| {
            let id = format!("p{i:05}");
            match i % 7 {
                0 => with_gpus(&id, "mystery-9000", None, 4),
                1 if i % 3 == 0 => with_gpus(&id, "H100 SXM", Some(80.0), 200_000),
                2 if i % 5 == 0 => {
                    let mut q = with_gpus(&id, "RTX 4090", Some(24.0), 0);
                    q.more.invalid_gpu_total = Some(-3.0);
                    q
                }
                _ => with_gpus(&id, "A100 80GB", Some(80.0), 8),
            }
        })
        .collect();
    let s = snapshot("generic", providers);
    let p = profile();
    let all = check(&s, &p, None).findings;
    let position = |r: Rule| RULES.iter().position(|&x| x == r);
    assert!(
        all.windows(2)
            .all(|w| position(w[0].rule) <= position(w[1].rule))
    );
    let ctx = rules::Context {
        snapshot: &s,
        params: &p.checks,
        geo: None,
    };
    let what = |f: &Finding| {
        (
            f.provider.clone(),
            f.gpu_group,
            f.field.clone(),
            f.claimed.clone(),
            f.reason.clone(),
        )
    };
    let mut per_provider_rules_firing = 0;
    for rule in RULES.into_iter().filter(|&r| p.setting(r) != Setting::Off) {
        let Some(one) = rules::per_provider_rule(rule) else {
            continue;
        };
        let alone: Vec<_> = s.providers.iter().flat_map(|q| one(&ctx, q)).collect();
        let shared: Vec<_> = all.iter().filter(|f| f.rule == rule).map(what).collect();
        assert_eq!(
            shared,
            alone.iter().map(what).collect::<Vec<_>>(),
            "{rule:?}"
        );
        per_provider_rules_firing += usize::from(alone.len() > 2);
    }
    assert!(
        per_provider_rules_firing >= 3,
        "the case must exercise several rules"
    );
}
