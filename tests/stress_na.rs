//! End-to-end: the stress test never shows an unknown as a number. Networks
//! without GPUs, classes no provider can host, a baseline already below the
//! level and unknown fields are "not applicable" with a reason; `--trials 0`
//! is a usage error.

use serde_json::Value;
mod common;
use common::{data, scratch};
use std::process::{Command, Output};

const OSMOSIS: &str = "data/cosmos/osmosis1_valset_height471386.json";
const VASTAI: &str = "data/vastai/vast_offers_A100SXM4_fieldsubset.json";
const PARTS: [&str; 5] = [
    "baseline",
    "resilience",
    "single_losses",
    "workload_nakamoto",
    "monte_carlo",
];

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// No Rust debug text and no number standing in for an unknown.
fn assert_plain(text: &str) {
    for bad in ["Some(", "None", "0 (exact)"] {
        assert!(!text.contains(bad), "`{bad}` in:\n{text}");
    }
}

/// A workload whose only big class needs 200 GB GPUs (no A100 has that).
fn workload_200gb() -> String {
    let dir = scratch("stress-na-200gb");
    let path = dir.join("w.toml");
    std::fs::write(
        &path,
        "name = \"needs-200gb\"\n\n[[class]]\nname = \"giant\"\nreplicas = 2\ngpus_per_replica = 8\nmin_gpu_memory_gb = 200\n\n[[class]]\nname = \"small\"\nreplicas = 10\ngpus_per_replica = 1\nmin_gpu_memory_gb = 16\n",
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_stake_only_file_given_explicitly_is_not_applicable_in_every_part() {
    let v = json(&[
        "stress",
        &data(OSMOSIS),
        "--format",
        "json",
        "--trials",
        "50",
    ]);
    let snapshots = v["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1, "listed, not skipped");
    let s = &snapshots[0];
    assert_eq!(s["network"], "osmosis-1");
    assert_eq!(
        s["not_applicable"],
        "no GPUs: the data lists no GPU capacity (stake-only network)"
    );
    for part in PARTS {
        assert_eq!(s.get(part), Some(&Value::Null), "{part} is null");
    }
    assert_eq!(s["providers_with_eligible_gpus"], 0);

    let o = run(&["stress", &data(OSMOSIS), "--trials", "50"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "not applicable: no GPUs: the data lists no GPU capacity (stake-only network)"
        ),
        "{text}"
    );
    for number in ["%", "baseline", "Monte Carlo", "Nakamoto"] {
        assert!(!text.contains(number), "`{number}` in:\n{text}");
    }
    assert_plain(&text);

    let md = stdout(&run(&[
        "stress",
        &data(OSMOSIS),
        "--format",
        "md",
        "--trials",
        "50",
    ]));
    assert!(md.contains("- not applicable: no GPUs"), "{md}");
    assert!(!md.contains('%'), "{md}");
}

#[test]
fn parts_not_requested_stay_omitted_and_the_json_is_deterministic() {
    let args = [
        "stress",
        &data(OSMOSIS),
        "--format",
        "json",
        "--only",
        "resilience",
    ];
    let v = json(&args);
    let s = &v["snapshots"][0];
    assert_eq!(s["baseline"], Value::Null);
    assert_eq!(s["resilience"], Value::Null);
    for part in ["single_losses", "workload_nakamoto", "monte_carlo"] {
        assert!(s.get(part).is_none(), "{part} not requested");
    }
    assert_eq!(run(&args).stdout, run(&args).stdout);
}

#[test]
fn bundled_networks_without_gpus_are_listed_as_not_applicable() {
    let v = json(&["stress", "--format", "json", "--trials", "50"]);
    let snapshots = v["snapshots"].as_array().unwrap();
    let na: Vec<&str> = snapshots
        .iter()
        .filter(|s| !s["not_applicable"].is_null())
        .map(|s| s["network"].as_str().unwrap())
        .collect();
    for network in ["osmosis-1", "cosmoshub-2", "bittensor-nakamoto"] {
        assert!(na.contains(&network), "{network} in {na:?}");
    }
    for s in snapshots {
        if s["not_applicable"].is_null() {
            assert!(s["baseline"].is_object(), "{}", s["network"]);
        } else {
            for part in PARTS {
                assert_eq!(s[part], Value::Null, "{}: {part}", s["network"]);
            }
        }
    }
    let text = stdout(&run(&["stress", "--trials", "50"]));
    assert!(
        text.contains("== osmosis-1 (bundled:data/cosmos/osmosis1_valset_height471386.json) ==\nnot applicable: no GPUs"),
        "{text}"
    );
    assert_plain(&text);
}

#[test]
fn a_class_no_provider_can_host_is_named_and_the_coefficient_is_not_applicable() {
    let w = workload_200gb();
    let v = json(&[
        "stress",
        &data(VASTAI),
        "--workload",
        &w,
        "--format",
        "json",
        "--trials",
        "50",
    ]);
    let s = &v["snapshots"][0];
    assert!(s.get("not_applicable").is_none(), "the network has GPUs");
    let classes = s["baseline"]["per_class"].as_array().unwrap();
    assert_eq!(classes[0]["name"], "giant");
    assert_eq!(classes[0]["hostable_providers"], 0);
    assert_eq!(
        classes[0]["note"],
        "no provider can host it: needs 8 GPUs of ≥ 200 GB on one provider; no listed GPU qualifies"
    );
    assert_eq!(classes[1]["hostable_providers"], 20);
    assert_eq!(classes[1]["note"], Value::Null);
    // 10 of 26 GPUs: below the 50% level with every provider up.
    assert_eq!(s["baseline"]["served_gpus"], 10);
    for dim in ["operators", "providers", "countries", "clouds"] {
        let n = &s["workload_nakamoto"][dim];
        for key in ["value", "lower_bound", "upper_bound"] {
            assert_eq!(n[key], Value::Null, "{dim}.{key}");
        }
        assert_eq!(n["exact"], false, "{dim}");
        assert_eq!(
            n["reason"],
            "baseline already below the level: 38.5% served with every provider up (level 50.0%)",
            "{dim}"
        );
    }

    let text = stdout(&run(&[
        "stress",
        &data(VASTAI),
        "--workload",
        &w,
        "--trials",
        "50",
    ]));
    assert!(
        text.contains("  class giant: 0 of 16 GPUs (0.0%); no provider can host it: needs 8 GPUs of ≥ 200 GB on one provider"),
        "{text}"
    );
    assert!(
        text.contains("workload Nakamoto coefficient (served < 50.0%): n/a — baseline already below the level: 38.5% served"),
        "{text}"
    );
    assert_plain(&text);
}

#[test]
fn when_no_class_can_be_hosted_the_baseline_says_why() {
    let dir = scratch("stress-na-none");
    let path = dir.join("w.toml");
    std::fs::write(
        &path,
        "name = \"x\"\n[[class]]\nname = \"sixteen\"\nreplicas = 1\ngpus_per_replica = 16\nmin_gpu_memory_gb = 40\n",
    )
    .unwrap();
    let o = run(&[
        "stress",
        &data(VASTAI),
        "--workload",
        path.to_str().unwrap(),
        "--only",
        "baseline",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("baseline: 0.0% of demand served")
            && text.contains(": no replica of any class fits on this network"),
        "{text}"
    );
    assert!(
        text.contains("needs 16 GPUs of ≥ 40 GB on one provider; the most any provider has of one eligible model is 8 GPUs"),
        "{text}"
    );
}

#[test]
fn unknown_clouds_give_a_reason_not_a_count() {
    let v = json(&[
        "stress",
        &data(VASTAI),
        "--format",
        "json",
        "--only",
        "nakamoto",
    ]);
    let n = &v["snapshots"][0]["workload_nakamoto"];
    assert_eq!(n["clouds"]["value"], Value::Null);
    assert_eq!(n["clouds"]["lower_bound"], Value::Null);
    assert_eq!(n["clouds"]["reason"], "cloud unknown for every provider");
    // A computed coefficient has a value and a null reason.
    assert_eq!(n["operators"]["value"], 4);
    assert_eq!(n["operators"]["lower_bound"], 4);
    assert_eq!(n["operators"]["reason"], Value::Null);
    let text = stdout(&run(&["stress", &data(VASTAI), "--only", "nakamoto"]));
    assert!(
        text.contains("  clouds: n/a — cloud unknown for every provider"),
        "{text}"
    );
    assert!(text.contains("  operators: 4 (exact)"), "{text}");
    assert_plain(&text);
}

#[test]
fn zero_trials_max_k_and_level_are_usage_errors() {
    for args in [
        vec!["stress", "--trials", "0"],
        vec!["stress", VASTAI, "--trials", "0", "--only", "montecarlo"],
        vec!["stress", VASTAI, "--trials", "0", "--only", "baseline"],
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| if *a == VASTAI { data(a) } else { a.to_string() })
            .collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&refs);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("--trials must be at least 1"),
            "{}",
            stderr(&o)
        );
        assert!(o.stdout.is_empty(), "nothing printed");
    }
    let out = scratch("stress-na-report");
    let o = run(&[
        "report",
        &data(VASTAI),
        "--trials",
        "0",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--trials must be at least 1"));
    assert!(!out.join("report.json").exists(), "no report written");
    let o = run(&["stress", &data(VASTAI), "--max-k", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--max-k must be at least 1"));
    let o = run(&["stress", &data(VASTAI), "--level", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--level must lie above 0"));
}

#[test]
fn text_uses_plurals() {
    let dir = scratch("stress-na-plural");
    let csv = dir.join("one.csv");
    std::fs::write(
        &csv,
        "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\np1,alpha,,US,,,,,nvidia,h100,8,80,0.99,,\n",
    )
    .unwrap();
    let o = run(&["stress", csv.to_str().unwrap(), "--trials", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("1 of 1 provider has eligible GPUs"), "{text}");
    assert!(text.contains("1 provider can host a replica"), "{text}");
    assert!(text.contains("Monte Carlo (1 trial, "), "{text}");
    assert!(!text.contains("1 providers"), "{text}");
    assert_plain(&text);
}
