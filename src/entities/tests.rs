//! Operator resolution tests on small hand-built provider sets.

use super::*;
use crate::model::{KeyKind, Text};

fn provider(
    id: &str,
    keys: &[(KeyKind, &str)],
    hostname: Option<&str>,
    ip: Option<&str>,
) -> Provider {
    let mut p = Provider::new(id);
    for (k, v) in keys {
        p.add_key(*k, v);
    }
    p.more.hostname = hostname.map(Text::from);
    p.ip = ip.map(Text::from);
    p
}

fn groups(providers: &[Provider], opts: &ResolveOptions) -> Vec<Vec<String>> {
    let r = resolve(providers, opts);
    let mut g: Vec<Vec<String>> = r
        .operators
        .iter()
        .map(|o| {
            o.members
                .iter()
                .map(|&m| providers[m].id.to_string())
                .collect()
        })
        .collect();
    g.sort();
    g
}

#[test]
fn transitive_merges_across_key_kinds() {
    let ps = vec![
        provider("a", &[(KeyKind::OwnerAddress, "addr1")], None, None),
        provider(
            "b",
            &[(KeyKind::OwnerAddress, "addr1")],
            Some("node.example.com"),
            None,
        ),
        provider(
            "c",
            &[(KeyKind::Domain, "https://www.example.com")],
            None,
            None,
        ),
        provider("d", &[(KeyKind::OwnerAddress, "addr2")], None, None),
    ];
    let r = resolve(&ps, &ResolveOptions::default());
    assert_eq!(
        groups(&ps, &ResolveOptions::default()),
        [vec!["a", "b", "c"], vec!["d"]]
    );
    let op = r.operator_of(0);
    assert_eq!(
        op.id, "owner_address:addr1",
        "strongest shared key names the operator"
    );
    assert_eq!(op.confidence, Some(Confidence::OnChain));
    assert_eq!(r.evidence.len(), 2);
    assert!(
        r.unlinked[3],
        "an owner address nobody shares links nothing"
    );
    assert!(!r.unlinked[2]);
}

#[test]
fn deny_listed_domains_do_not_merge() {
    let ps = vec![
        provider(
            "a",
            &[(KeyKind::EmailDomain, "gmail.com")],
            Some("ec2-1-2-3-4.compute-1.amazonaws.com"),
            None,
        ),
        provider(
            "b",
            &[(KeyKind::EmailDomain, "gmail.com")],
            Some("ec2-5-6-7-8.compute-1.amazonaws.com"),
            None,
        ),
        provider("c", &[], Some("x.akash.pub"), None),
        provider("d", &[], Some("y.akash.pub"), None),
    ];
    let r = resolve(&ps, &ResolveOptions::default());
    assert_eq!(r.operators.len(), 4);
    assert_eq!(r.denied_domains["gmail.com"], 2);
    let mut opts = ResolveOptions::default();
    opts.deny.extend(["example.org".to_string()]);
    let ps = vec![
        provider("e", &[], Some("a.example.org"), None),
        provider("f", &[], Some("b.example.org"), None),
    ];
    assert_eq!(
        resolve(&ps, &opts).operators.len(),
        2,
        "user deny-list entries apply too"
    );
    assert_eq!(resolve(&ps, &ResolveOptions::default()).operators.len(), 1);
}

#[test]
fn confidence_tiers_and_switches() {
    let ps = vec![
        provider("a", &[], None, Some("203.0.113.5")),
        provider("b", &[], None, Some("203.0.113.77")),
        provider("c", &[(KeyKind::Identity, "K1")], None, None),
        provider("d", &[(KeyKind::Identity, "K1")], None, None),
    ];
    let default = ResolveOptions::default();
    assert_eq!(
        resolve(&ps, &default).operators.len(),
        3,
        "IP prefixes are opt-in"
    );
    let network = ResolveOptions {
        min_confidence: Confidence::Network,
        ..ResolveOptions::default()
    };
    let r = resolve(&ps, &network);
    assert_eq!(r.operators.len(), 2);
    assert_eq!(r.operator_of(0).confidence, Some(Confidence::Network));
    assert_eq!(r.operator_of(0).id, "ip_prefix:203.0.113.0/24");
    let on_chain = ResolveOptions {
        min_confidence: Confidence::OnChain,
        ..ResolveOptions::default()
    };
    assert_eq!(resolve(&ps, &on_chain).operators.len(), 4);
    let mut no_identity = ResolveOptions::default();
    no_identity.disabled.insert(LinkKind::Identity);
    assert_eq!(resolve(&ps, &no_identity).operators.len(), 4);
}

#[test]
fn mapping_forces_merges_splits_and_keeps_named_operators_apart() {
    let ps = vec![
        provider("a", &[], Some("a.one.example"), None),
        provider("b", &[], Some("b.one.example"), None),
        provider("c", &[], Some("c.two.example"), None),
        provider("d", &[], None, None),
        provider("e", &[], Some("e.two.example"), None),
    ];
    let mapping = Mapping::parse(
        "m.toml",
        "[[operator]]\nname = \"Alpha\"\nproviders = [\"a\", \"d\"]\nreason = \"contract\"\n\n[[operator]]\nname = \"Beta\"\nproviders = [\"b\"]\n\n[[split]]\nproviders = [\"e\", \"zz\"]\n",
    )
    .unwrap();
    let opts = ResolveOptions {
        mapping,
        ..ResolveOptions::default()
    };
    let r = resolve(&ps, &opts);
    assert_eq!(
        groups(&ps, &opts),
        [vec!["a", "d"], vec!["b"], vec!["c"], vec!["e"]]
    );
    assert_eq!(r.operator_of(0).id, "mapped:Alpha");
    assert_eq!(r.operator_of(0).confidence, Some(Confidence::Mapping));
    assert_eq!(
        r.refused.len(),
        1,
        "a and b share one.example but are named apart"
    );
    assert_eq!(r.unmatched_mapping, ["zz"]);
    assert_eq!(r.operator_of(4).id, "split:e");
    assert_eq!(
        r.operator_of(2).id,
        "domain:two.example",
        "a lone domain names its operator"
    );
    assert!(
        r.unlinked.iter().all(|u| !u),
        "mapped, split and named providers are all attributed"
    );
}

#[test]
fn operator_ids_do_not_depend_on_input_order() {
    let make = || {
        vec![
            provider("p3", &[(KeyKind::Coldkey, "C2")], None, None),
            provider(
                "p1",
                &[(KeyKind::Coldkey, "C1")],
                Some("n1.site.example.com"),
                None,
            ),
            provider("p2", &[(KeyKind::Coldkey, "C1")], None, None),
            provider("p4", &[(KeyKind::Domain, "site.example.com")], None, None),
            provider("p5", &[], None, None),
        ]
    };
    let a = make();
    let mut b = make();
    b.reverse();
    let ids = |ps: &[Provider]| {
        let r = resolve(ps, &ResolveOptions::default());
        let mut v: Vec<(String, String)> = ps
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.to_string(), r.operator_of(i).id.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&a), ids(&b));
    let r = resolve(&a, &ResolveOptions::default());
    assert_eq!(r.operator_of(1).id, "coldkey:C1");
    assert_eq!(
        r.operator_of(0).id,
        "coldkey:C2",
        "a coldkey attributes a hotkey on its own"
    );
    assert!(!r.unlinked[0]);
    assert_eq!(r.operator_of(4).id, "provider:p5");
}

#[test]
fn explain_gives_the_evidence_chain() {
    let ps = vec![
        provider("a", &[(KeyKind::OwnerAddress, "X")], None, None),
        provider(
            "b",
            &[(KeyKind::OwnerAddress, "X")],
            Some("h.example.net"),
            None,
        ),
        provider("c", &[(KeyKind::Domain, "example.net")], None, None),
    ];
    let opts = ResolveOptions::default();
    let r = resolve(&ps, &opts);
    let e = explain(&ps, &r, &opts, "a").unwrap();
    assert_eq!(e.members, 3);
    let to_c = e.paths.iter().find(|p| p.member == "c").unwrap();
    assert_eq!(to_c.steps.len(), 2);
    assert_eq!(to_c.steps[0].to, "b");
    assert!(
        matches!(&to_c.steps[1].reason, Reason::SharedKey { value, .. } if value == "example.net")
    );
    assert!(explain(&ps, &r, &opts, "nope").is_none());
}
