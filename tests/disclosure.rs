//! The disclosure card and the league table, end to end: figures checked
//! by hand on a small network, "not disclosed" where the data is silent,
//! and the card first in every format.

mod common;
use common::{data, scratch};
use serde_json::Value;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    common::run_at_fixed_time(env!("CARGO_BIN_EXE_rackaudit"), args)
}

/// Five providers, 20 GPUs: operator opA holds p1 (8 GPUs) and p2 (4),
/// the US holds 14 GPUs, Nvidia 18, only p1 has a cloud (AWS, 8 GPUs).
const SMALL: &str = "\
provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake
p1,opA,,US,,16509,aws,,nvidia,H100 SXM,8,80,0.999,2.0,
p2,opA,,US,,,,,nvidia,H100 SXM,4,80,0.98,3.0,
p3,opB,,DE,,,,,nvidia,A100 SXM4,4,40,0.90,1.0,
p4,opC,,FR,,,,,amd,MI300X,2,192,0.995,,
p5,opD,,US,,,,,nvidia,A100 SXM4,2,40,0.99,1.0,
";

/// The items a stake-only chain cannot disclose, in card order.
const GPU_ITEMS: [&str; 6] = [
    "hardware",
    "uptime",
    "geography",
    "pricing",
    "nvidia",
    "cloud",
];

fn card_of(args: &[&str]) -> Vec<Value> {
    let o = run(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["snapshots"][0]["disclosure"]["items"]
        .as_array()
        .expect("a disclosure card")
        .clone()
}

fn item<'a>(card: &'a [Value], key: &str) -> &'a Value {
    card.iter()
        .find(|i| i["item"] == key)
        .unwrap_or_else(|| panic!("no {key}"))
}

fn small_file(name: &str) -> String {
    let dir = scratch(name);
    let path = dir.join("small.csv");
    std::fs::write(&path, SMALL).unwrap();
    path.display().to_string()
}

#[test]
fn card_figures_match_the_hand_computed_ones() {
    let path = small_file("card");
    let card = card_of(&["audit", &path, "--format", "json"]);
    let keys: Vec<&str> = card.iter().map(|i| i["item"].as_str().unwrap()).collect();
    let mut expected = vec!["provider_concentration", "supplier_share"];
    expected.extend(GPU_ITEMS);
    expected.extend(["validator_set", "resilience"]);
    assert_eq!(keys, expected);
    // (item, banded-on figure computed by hand, verdict)
    let cases: [(&str, Option<f64>, &str); 9] = [
        // Provider HHI: 40² + 20² + 20² + 10² + 10² = 2,600.
        ("provider_concentration", Some(2600.0), "high"),
        // opA: 12 of 20 GPUs.
        ("supplier_share", Some(0.6), "high"),
        // Models: H100 60%, A100 30%, MI300X 10%: HHI 4,600.
        ("hardware", Some(4600.0), "high"),
        // US: 14 of 20 GPUs.
        ("geography", Some(0.7), "high"),
        // H100 prices 2 and 3: CV 0.2; A100 1 and 1: CV 0; median 0.1.
        ("pricing", Some(0.1), "low"),
        // Nvidia: 18 of 20 GPUs.
        ("nvidia", Some(0.9), "high"),
        // AWS is the only known cloud: 100% of the known part (40% known).
        ("cloud", Some(1.0), "high"),
        ("validator_set", None, "not_disclosed"),
        ("uptime", None, "high"),
    ];
    for (key, figure, verdict) in cases {
        let i = item(&card, key);
        assert_eq!(i["verdict"], verdict, "{key}: {i}");
        if let Some(f) = figure {
            let got = i["banded_on"][0].as_f64().unwrap();
            assert!((got - f).abs() < 1e-9 * f.max(1.0), "{key}: {got} vs {f}");
        }
    }
    assert!(
        item(&card, "geography")["value"]
            .as_str()
            .unwrap()
            .contains("1 country for 1/3, 1 country for 1/2; 3 countries")
    );
    assert!(
        item(&card, "cloud")["coverage"]
            .as_str()
            .unwrap()
            .contains("cloud known for 40.0% of GPUs (low coverage)")
    );
    assert_eq!(
        item(&card, "validator_set")["value"],
        "not disclosed by the data"
    );
    // Rules on two numbers give both, in the rule's order.
    assert_eq!(
        item(&card, "provider_concentration")["banded_on"],
        serde_json::json!([2600.0, 1.0])
    );
    assert_eq!(
        item(&card, "geography")["banded_on"],
        serde_json::json!([0.7, 1.0])
    );
    // The resilience row comes from the stress test, as in `report`.
    let r = item(&card, "resilience");
    assert!(r["verdict"] != "not_measured", "{r}");
    assert!(r["value"].as_str().unwrap().contains("top 1:"), "{r}");
}

#[test]
fn card_does_not_depend_on_row_order() {
    let path = small_file("order");
    let mut lines: Vec<&str> = SMALL.lines().collect();
    lines[1..].reverse();
    let reversed = scratch("order-rev").join("small.csv");
    std::fs::write(&reversed, lines.join("\n")).unwrap();
    let a = card_of(&["audit", &path, "--format", "json"]);
    let b = card_of(&["audit", reversed.to_str().unwrap(), "--format", "json"]);
    assert_eq!(a, b);
}

#[test]
fn silent_data_is_not_disclosed_and_no_stress_is_not_measured() {
    let osmosis = data("data/cosmos/osmosis1_valset_height471386.json");
    let card = card_of(&["audit", &osmosis, "--format", "json"]);
    for key in GPU_ITEMS {
        let i = item(&card, key);
        assert_eq!(i["verdict"], "not_disclosed", "{key}");
        assert_eq!(i["banded_on"], serde_json::json!([]), "{key}: never a zero");
    }
    // BFT chain: 4 operators hold at least 1/3 of voting stake.
    let v = item(&card, "validator_set");
    assert_eq!(v["banded_on"], serde_json::json!([4.0]));
    assert_eq!(v["verdict"], "moderate");
    let path = small_file("nostress");
    let card = card_of(&["audit", &path, "--format", "json", "--no-stress"]);
    assert_eq!(item(&card, "resilience")["verdict"], "not_measured");
}

#[test]
fn card_comes_first_and_league_table_opens_several_snapshots() {
    let path = small_file("first");
    let o = run(&["audit", &path, "--format", "md"]);
    let md = String::from_utf8(o.stdout).unwrap();
    let after_heading = md.split("\n## ").nth(1).unwrap();
    assert!(
        after_heading
            .lines()
            .find(|l| l.starts_with("**"))
            .unwrap()
            .starts_with("**Disclosure card"),
        "{after_heading}"
    );
    let o = run(&["audit"]);
    let table = String::from_utf8(o.stdout).unwrap();
    let league = table.find("League table").expect("league table");
    assert!(league < table.find("== ").unwrap());
    // Sorted by operators at the first threshold, fewest first.
    let rows: Vec<&str> = table[league..]
        .lines()
        .skip(3)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(rows.len(), 8);
    let ops: Vec<usize> = rows
        .iter()
        .map(|r| {
            let cell = r.split('|').nth(4).unwrap().trim();
            cell.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    assert!(ops.windows(2).all(|w| w[0] <= w[1]), "{ops:?}");
    // The same rows, as data, in the JSON report.
    let o = run(&["audit", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let league = v["league"].as_array().unwrap();
    let json_ops: Vec<usize> = league
        .iter()
        .map(|r| r["operators_at_threshold"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(json_ops, ops);
    for r in league {
        let i = r["snapshot"].as_u64().unwrap() as usize;
        assert_eq!(r["network"], v["snapshots"][i]["network"]);
    }
}

#[test]
fn sentences_stay_true_at_ties_and_for_a_network_that_never_served_the_workload() {
    let dir = scratch("ties");
    let path = dir.join("ties.csv");
    // Every provider at exactly 95%: none is below it.
    let rows: String = (1..=4)
        .map(|i| format!("p{i},op{i},,US,,,,,nvidia,T4,1,16,0.95,,\n"))
        .collect();
    std::fs::write(&path, format!("{}\n{rows}", SMALL.lines().next().unwrap())).unwrap();
    let card = card_of(&["audit", path.to_str().unwrap(), "--format", "json"]);
    let uptime = item(&card, "uptime");
    assert_eq!(uptime["verdict"], "moderate", "p10 95% is not below 95%");
    assert!(!uptime["sentence"].as_str().unwrap().contains("less than"));
    // Four T4s cannot host the default workload's 70B class: the sentence
    // states the starting level before the loss.
    let r = item(&card, "resilience");
    let sentence = r["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("With every provider up the network serves only"),
        "{sentence}"
    );
}
