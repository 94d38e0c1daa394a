//! Numbers a reader can publish: unknown is never zero, claims files are
//! validated, the network's own thresholds lead, results never depend on
//! row order, labels say what they measure.

mod common;

use common::{data, scratch};
use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("the binary runs")
}

fn json_of(args: &[&str]) -> Value {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Drops what legitimately differs between two orderings of one input: the
/// hashes of the input bytes.
fn without_hashes(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("input_sha256");
            m.remove("sha256");
            m.values_mut().for_each(without_hashes);
        }
        Value::Array(a) => a.iter_mut().for_each(without_hashes),
        _ => {}
    }
}

/// A seeded Fisher–Yates shuffle (xorshift), so failures reproduce.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed.max(1);
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        items.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

/// Every JSON output of every command on one input file.
fn outputs(path: &str, dir: &std::path::Path) -> Vec<Value> {
    let out = dir.join("report");
    let report = run(&["report", path, "--out-dir", out.to_str().unwrap()]);
    assert!(report.status.success(), "{}", text(&report));
    let full: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let mut all = vec![
        json_of(&["audit", path, "--format", "json"]),
        json_of(&["entities", path, "--format", "json"]),
        json_of(&["stress", path, "--format", "json", "--trials", "200"]),
        full,
    ];
    all.iter_mut().for_each(without_hashes);
    all
}

#[test]
fn any_order_of_csv_rows_gives_the_same_audit_entities_stress_and_report() {
    let dir = scratch("order-csv");
    let original = std::fs::read_to_string(data("tests/fixtures/order_independence.csv")).unwrap();
    let mut lines: Vec<&str> = original.lines().collect();
    let header = lines.remove(0);
    let path = dir.join("network.csv");
    let path = path.to_str().unwrap();
    let write = |rows: &[&str]| {
        std::fs::write(path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    };
    write(&lines);
    let expected = outputs(path, &dir);
    let mut reversed = lines.clone();
    reversed.reverse();
    let mut orders = vec![reversed];
    for seed in [1u64, 7, 42] {
        let mut rows = lines.clone();
        shuffle(&mut rows, seed);
        orders.push(rows);
    }
    for (i, rows) in orders.iter().enumerate() {
        write(rows);
        let got = outputs(path, &dir);
        for (k, (a, b)) in expected.iter().zip(&got).enumerate() {
            assert!(a == b, "ordering {i}: output {k} differs");
        }
    }
}

#[test]
fn any_order_of_a_json_provider_list_gives_the_same_results() {
    let dir = scratch("order-json");
    let snap = json_of(&["snapshot", &data("tests/fixtures/order_independence.csv")]);
    let path = dir.join("snapshot.json");
    let path = path.to_str().unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(&snap).unwrap()).unwrap();
    let expected = outputs(path, &dir);
    for seed in [3u64, 11] {
        let mut s = snap.clone();
        let providers = s["providers"].as_array_mut().unwrap();
        shuffle(providers, seed);
        for p in providers.iter_mut() {
            if let Some(g) = p["gpus"].as_array_mut() {
                g.reverse();
            }
        }
        std::fs::write(path, serde_json::to_vec_pretty(&s).unwrap()).unwrap();
        assert_eq!(outputs(path, &dir), expected, "seed {seed}");
    }
}

#[test]
fn two_prices_of_one_model_are_gpu_weighted_whatever_their_order() {
    // A lists 4 GPUs at 1.00 and 4 at 3.00 (mean 2.00 per GPU-hour); B lists
    // 8 at 2.05. B earns more at list price, whichever row of A comes first.
    let dir = scratch("prices");
    let header = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake";
    let a1 = "A,,,,,,,,nvidia,H100 SXM,4,80,,1.00,";
    let a2 = "A,,,,,,,,nvidia,H100 SXM,4,80,,3.00,";
    let b = "B,,,,,,,,nvidia,H100 SXM,8,80,,2.05,";
    let mut seen = Vec::new();
    for rows in [[a1, a2, b], [a2, a1, b], [b, a2, a1]] {
        let path = dir.join("p.csv");
        std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        let v = json_of(&["audit", path.to_str().unwrap(), "--format", "json"]);
        let s = &v["snapshots"][0];
        let cell = s["concentration"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["dimension"] == "provider" && c["weight"] == "monthly_revenue")
            .unwrap()
            .clone();
        assert_eq!(cell["top"][0]["key"], "B");
        // 8 × 2.05 × 730 against 4 × 1 × 730 + 4 × 3 × 730.
        assert!((cell["top"][0]["weight"].as_f64().unwrap() - 8.0 * 2.05 * 730.0).abs() < 1e-6);
        assert!((cell["top"][1]["weight"].as_f64().unwrap() - 8.0 * 2.0 * 730.0).abs() < 1e-6);
        // Dispersion: one price per provider (2 values, not 3 rows).
        let price = &s["pricing"][0];
        assert_eq!(price["per_gpu_hour"]["n"], 2);
        assert_eq!(price["per_gpu_hour"]["min"], 2.0);
        seen.push(cell);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

/// A generic CSV of `rows` (provider, operator, country, cloud, model, count).
fn csv(dir: &std::path::Path, name: &str, rows: &[[&str; 6]]) -> String {
    let header = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake";
    let body: Vec<String> = rows
        .iter()
        .map(|[id, op, country, cloud, model, n]| {
            format!("{id},{op},,{country},,,{cloud},,,{model},{n},,,,")
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, format!("{header}\n{}\n", body.join("\n"))).unwrap();
    path.to_str().unwrap().to_string()
}

fn claims(dir: &std::path::Path, body: &str) -> String {
    let path = dir.join("claims.toml");
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_share_of_an_unknown_field_is_na_and_fails_its_claim() {
    let dir = scratch("unknown");
    let gpus = csv(
        &dir,
        "g.csv",
        &[
            ["a", "", "US", "", "H100 SXM", "8"],
            ["b", "", "DE", "", "A100", "8"],
        ],
    );
    let c = claims(
        &dir,
        "[[claim]]\ntext = \"At most half on hyperscalers\"\nmetric = \"hyperscaler_share\"\nmax = 0.5\n",
    );
    for input in [
        gpus.as_str(),
        &data("data/bittensor/subtensor_nakamoto_snapshot_block3606775.json"),
    ] {
        let o = run(&["check", "--claims", &c, input]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(t.contains("FAIL") && t.contains("measured n/a"), "{t}");
        assert!(t.contains("cloud known for 0%"), "{t}");
        assert!(!t.contains("PASS"), "{t}");
    }
    let v = json_of(&["audit", &gpus, "--format", "json"]);
    let cloud = &v["snapshots"][0]["cloud"];
    assert!(cloud["hyperscaler_share"]["value"].is_null());
    assert_eq!(cloud["hyperscaler_share"]["coverage"], 0.0);
    let t = String::from_utf8(run(&["audit", &gpus]).stdout).unwrap();
    assert!(
        t.contains("cloud/hosting: n/a (cloud known for 0% of GPUs)"),
        "{t}"
    );
}

#[test]
fn a_claim_fails_below_its_coverage_and_passes_above_it() {
    let dir = scratch("coverage");
    // AWS known for 8 of 32 GPUs (25%): the hyperscaler share of the known
    // part is 100%, but it rests on a quarter of the network.
    let input = csv(
        &dir,
        "c.csv",
        &[
            ["a", "", "US", "AWS", "H100 SXM", "8"],
            ["b", "", "DE", "", "A100", "24"],
        ],
    );
    let strict = claims(
        &dir,
        "[[claim]]\ntext = \"Hyperscalers hold at least 90%\"\nmetric = \"hyperscaler_share\"\nmin = 0.9\n",
    );
    let o = run(&["check", "--claims", &strict, &input]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("coverage 25.0% is below the claim's min_coverage 50.0%"),
        "{}",
        text(&o)
    );
    let lenient = claims(
        &dir,
        "[[claim]]\ntext = \"Hyperscalers hold at least 90%\"\nmetric = \"hyperscaler_share\"\nmin = 0.9\nmin_coverage = 0.2\n",
    );
    let o = run(&["check", "--claims", &lenient, &input]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_percentage_typed_as_a_share_is_refused_with_file_line_and_field() {
    let dir = scratch("typo");
    let c = claims(
        &dir,
        "# a comment\n[[claim]]\ntext = \"No operator above 30%\"\nmetric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 30\n",
    );
    let o = run(&["check", "--claims", &c]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("claims.toml") && t.contains("claim at line 2") && t.contains("field `max`"),
        "{t}"
    );
    assert!(
        t.contains("30 looks like a percentage: write 0.30")
            || t.contains("it looks like a percentage: write 0.30"),
        "{t}"
    );
}

#[test]
fn coalition_claims_use_the_profile_comparison() {
    let dir = scratch("coalition");
    // Three equal validators: one holds exactly a third. CometBFT commits
    // need more than 2/3, so one of three can halt the chain.
    let set = dir.join("vals.json");
    std::fs::write(
        &set,
        r#"{"validators": [
            {"operator_address": "cosmosvaloper1a", "jailed": false, "status": "BOND_STATUS_BONDED", "tokens": "100", "description": {"moniker": "A"}},
            {"operator_address": "cosmosvaloper1b", "jailed": false, "status": "BOND_STATUS_BONDED", "tokens": "100", "description": {"moniker": "B"}},
            {"operator_address": "cosmosvaloper1c", "jailed": false, "status": "BOND_STATUS_BONDED", "tokens": "100", "description": {"moniker": "C"}}
        ], "pagination": {"next_key": null, "total": "3"}}"#,
    )
    .unwrap();
    let set = set.to_str().unwrap();
    let v = json_of(&["audit", set, "--format", "json"]);
    let co = &v["snapshots"][0]["headline"]["coalitions"];
    assert_eq!(co[0]["label"], "1/3");
    assert_eq!(co[0]["holds"], "at_least");
    assert_eq!(co[0]["meaning"], "halt the chain");
    assert_eq!(co[0]["provider"], 1);
    assert_eq!(co[1]["label"], "2/3");
    assert_eq!(co[1]["holds"], "more_than");
    assert_eq!(
        co[1]["provider"], 3,
        "two of three hold exactly 2/3, not more"
    );
    let c = claims(
        &dir,
        "[[claim]]\ntext = \"Halting takes 2\"\nmetric = \"coalition\"\nthreshold = \"1/3\"\ndimension = \"provider\"\nweight = \"stake\"\nmin = 2\n\n[[claim]]\ntext = \"More than a third takes 2\"\nmetric = \"coalition\"\nthreshold = \">1/3\"\ndimension = \"provider\"\nweight = \"stake\"\nmin = 2\n",
    );
    let o = run(&["check", "--claims", &c, set, "--json"]);
    let verdicts: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(verdicts[0]["measured"], 1.0);
    assert_eq!(verdicts[0]["pass"], false);
    assert_eq!(verdicts[1]["measured"], 2.0);
    assert_eq!(verdicts[1]["pass"], true);
    // --tau with exact fractions; a bare 2/3 takes the profile's ">".
    let v = json_of(&["audit", set, "--format", "json", "--tau", "1/3,2/3,0.66"]);
    let s = &v["snapshots"][0];
    let taus: Vec<String> = s["tau_thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}{}",
                t["holds"].as_str().unwrap(),
                t["label"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(taus, ["at_least1/3", "more_than2/3", "at_least0.66"]);
    let stake = s["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dimension"] == "provider" && c["weight"] == "stake")
        .unwrap();
    assert_eq!(stake["metrics"]["tau_index"]["2/3"], 3);
    assert_eq!(stake["metrics"]["tau_index"]["0.66"], 2);
}

#[test]
fn the_headline_leads_with_the_networks_own_threshold() {
    let v = json_of(&[
        "audit",
        &data("data/cosmos/cosmoshub_validators_2019.json"),
        "--format",
        "json",
    ]);
    let h = &v["snapshots"][0]["headline"];
    let summary = h["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("5 operators (5 providers) together hold at least 1/3 of voting stake and can halt the chain"),
        "{summary}"
    );
    assert_eq!(h["coalitions"][0]["operator"], 5);
    // The 50% figure stays, labelled as such.
    assert!(summary.contains("Nakamoto coefficient (at least 50% of voting stake): 8 providers"));
    assert!(
        h["nakamoto_definition"]
            .as_str()
            .unwrap()
            .contains("at least 50%")
    );
    // The tau columns use the same thresholds: one answer per threshold.
    let s = &v["snapshots"][0];
    let cell = s["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dimension"] == "operator" && c["weight"] == "stake")
        .unwrap();
    assert_eq!(cell["metrics"]["tau_index"]["1/3"], 5);
    let passing = &s["supply"]["bases"][0]["thresholds"][0];
    assert_eq!(
        (passing["label"].as_str(), passing["operators"].as_u64()),
        (Some("1/3"), Some(5))
    );
}

#[test]
fn validators_outside_the_active_set_are_left_out_of_every_voting_power_metric() {
    let v = json_of(&[
        "audit",
        &data("data/cosmos/celestia_validators_vp_2025-07.json"),
        "--format",
        "json",
    ]);
    let s = &v["snapshots"][0];
    let cell = s["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dimension"] == "provider" && c["weight"] == "stake")
        .unwrap();
    // Gini over the 100 validators of the active set, not over 420.
    let gini = cell["metrics"]["gini"].as_f64().unwrap();
    assert!((gini - 0.816).abs() < 0.001, "{gini}");
    assert_eq!(s["stake"]["active_providers"], 100);
    assert_eq!(s["stake"]["excluded"].as_array().unwrap().len(), 320);
    // The Lorenz curve is over the active set too: 100 validators.
    let lorenz = s["lorenz"]["provider"].as_array().unwrap();
    assert_eq!(lorenz.len(), 101);
}

#[test]
fn all_zero_gpu_counts_say_what_is_counted() {
    let dir = scratch("zero");
    let input = csv(
        &dir,
        "z.csv",
        &[
            ["a", "", "US", "", "H100 SXM", "0"],
            ["b", "", "DE", "", "A100", "0"],
        ],
    );
    let v = json_of(&["audit", &input, "--format", "json"]);
    let h = &v["snapshots"][0]["headline"];
    assert_eq!(h["primary_weight"], "providers");
    assert!(
        h["primary_weight_note"]
            .as_str()
            .unwrap()
            .contains("every GPU count in the data is 0")
    );
    assert!(
        h["summary"]
            .as_str()
            .unwrap()
            .contains("counted by provider count")
    );
    assert!(v["snapshots"][0]["hardware"].is_null());
}

#[test]
fn a_declared_operator_is_declared_evidence_named_as_declared() {
    let dir = scratch("declared");
    let input = csv(
        &dir,
        "d.csv",
        &[
            ["a", "Alpha Compute", "US", "", "H100 SXM", "8"],
            ["b", "Alpha Compute", "US", "", "H100 SXM", "8"],
            ["c", "", "DE", "", "A100", "8"],
        ],
    );
    let v = json_of(&["entities", &input, "--format", "json"]);
    let op = &v["snapshots"][0]["list"][0];
    assert_eq!(op["label"], "Alpha Compute");
    assert_eq!(op["confidence"], "declared");
}

#[test]
fn hhi_is_read_with_the_2023_merger_guidelines() {
    let dir = scratch("hhi");
    let out = dir.join("r");
    let o = run(&[
        "report",
        &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["methodology"]["hhi_unconcentrated_below"], 1000.0);
    assert_eq!(r["methodology"]["hhi_highly_concentrated_above"], 1800.0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("2023 U.S. Merger Guidelines"));
    // The Vast.ai operators' GPU HHI, 1,810, is just above 1,800.
    assert!(md.contains("1810 (high)"), "{md}");
    // Small networks get every Lorenz point in the HTML table (9 operators).
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.matches("<td class=\"n\">").count() > 20);
}

#[test]
fn history_shows_na_for_what_a_network_cannot_measure() {
    let dir = scratch("history-na");
    let store = dir.join("s.sqlite");
    let store = store.to_str().unwrap();
    let o = run(&[
        "snapshots",
        "import",
        "--store",
        store,
        &data("data/cosmos/osmosis1_valset_height471386.json"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // Asked for, a metric the network cannot measure is shown as n/a; by
    // default it is left out and named.
    let default = text(&run(&["history", "osmosis-1", "--store", store]));
    assert!(
        default
            .contains("Not shown, n/a in every snapshot: gpus, nvidia_gpu_share, vendor_coverage."),
        "{default}"
    );
    let o = run(&[
        "history",
        "osmosis-1",
        "--store",
        store,
        "--metric",
        "gpus,coalition_operators,nvidia_gpu_share",
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    // No GPUs: Nvidia's share is n/a, not 0; the coalition leads.
    let header = t.lines().find(|l| l.starts_with("| id")).unwrap();
    let row = t.lines().find(|l| l.starts_with("| 1 ")).unwrap();
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let names: Vec<&str> = header.split('|').map(str::trim).collect();
    let at = |name: &str| cells[names.iter().position(|n| *n == name).unwrap()];
    assert_eq!(at("nvidia_gpu_share"), "n/a", "{t}");
    assert_eq!(at("gpus"), "n/a");
    assert_eq!(at("coalition_operators"), "4");
    assert!(t.contains("≥1/3"), "{t}");
    let v = json_of(&["history", "osmosis-1", "--store", store, "--format", "json"]);
    assert!(v["rows"][0]["values"]["nvidia_gpu_share"].is_null());
}

#[test]
fn a_claims_file_is_refused_at_the_line_of_the_field_at_fault() {
    let dir = scratch("claim-fields");
    let head = "# claims\n[[claim]]\ntext = \"t\"\n";
    // (the claim from line 4 on, what the message says, what it must not say)
    let cases = [
        (
            "metric = \"max_share\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 30\n",
            "claims.toml: line 7, in the claim at line 2: field `max`: 30 is not a share in [0, 1]; it looks like a percentage: write 0.30",
            "",
        ),
        (
            "metric = \"gini\"\ndimension = \"operator\"\nweight = \"gpus\"\nmax = 1.5\n",
            "claims.toml: line 7, in the claim at line 2: field `max`: 1.5 is not a share in [0, 1]",
            "percentage",
        ),
        (
            "metric = \"providers\"\nmx = 30\n",
            "claims.toml: line 5: field `mx`: is not a claim field; did you mean `max`?",
            "",
        ),
        (
            "metric = \"coalition\"\ndimension = \"operator\"\nweight = \"gpus\"\nthreshold = \">1\"\nmin = 1\n",
            "claims.toml: line 7, in the claim at line 2: field `threshold`: `>1` can never be reached",
            "",
        ),
        (
            "metric = \"coalition\"\ndimension = \"operator\"\nweight = \"gpus\"\nthreshold = \"0\"\nmin = 1\n",
            "line 7, in the claim at line 2: field `threshold`: `0` is not above 0",
            "",
        ),
        (
            "metric = \"coalition\"\ndimension = \"operator\"\nweight = \"gpus\"\nthreshold = 1.5\nmin = 1\n",
            "field `threshold`: `1.5` is not a share: a threshold must lie between 0 and 1",
            "percentage",
        ),
        (
            "metric = \"gini\"\ndimension = \"operator\"\nweight = \"gpus\"\ncase = \"worst\"\nmax = 0.5\n",
            "line 7, in the claim at line 2: field `case`: the worst case is measured only for the metrics nakamoto_coefficient, max_share, hhi, total_entities, coalition; not for metric `gini`",
            "",
        ),
        (
            "stress = \"workload_nakamoto\"\ndimension = \"planets\"\nmin = 1\n",
            "line 5, in the claim at line 2: field `dimension`: `planets` is not a level of the workload Nakamoto coefficient",
            "",
        ),
    ];
    for (body, want, never) in cases {
        let c = claims(&dir, &format!("{head}{body}"));
        let o = run(&["check", "--claims", &c]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{body}: {t}");
        assert!(t.contains(want), "{body}: {t}");
        assert!(never.is_empty() || !t.contains(never), "{body}: {t}");
    }
    // A float's digits of 1/3 are a share (not 1/3 itself: an exact 0.333…).
    let c = claims(
        &dir,
        &format!(
            "{head}metric = \"coalition\"\ndimension = \"provider\"\nweight = \"gpus\"\nthreshold = 0.3333333333333333\nmin = 1\n"
        ),
    );
    let input = csv(&dir, "one.csv", &[["a", "", "US", "", "H100 SXM", "8"]]);
    let o = run(&["check", "--claims", &c, &input, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn worst_case_coalitions_and_every_workload_nakamoto_level_are_measured() {
    let dir = scratch("claim-levels");
    // Operators X, Y and Z declared; d, e and f unlinked (one operator of
    // 24 of the 48 GPUs in the worst case). Three countries, three ASNs,
    // four data centers.
    let input = dir.join("g.csv");
    let rows = [
        ("a", "X", "US", "AS1", "dc1"),
        ("b", "Y", "US", "AS1", "dc1"),
        ("c", "Z", "DE", "AS1", "dc2"),
        ("d", "", "DE", "AS2", "dc3"),
        ("e", "", "FR", "AS2", "dc3"),
        ("f", "", "FR", "AS3", "dc4"),
    ];
    let body: Vec<String> = rows
        .iter()
        .map(|(id, op, country, asn, dc)| {
            format!("{id},{op},,{country},,{asn},,{dc},nvidia,H100 SXM,8,80,,,")
        })
        .collect();
    std::fs::write(
        &input,
        format!(
            "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n{}\n",
            body.join("\n")
        ),
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let workload = dir.join("w.toml");
    std::fs::write(
        &workload,
        "name = \"t\"\n[[class]]\nname = \"one\"\nreplicas = 24\ngpus_per_replica = 1\nmin_gpu_memory_gb = 16\n",
    )
    .unwrap();
    let workload = workload.to_str().unwrap();
    let coalition = |threshold: &str, weight: &str, case: &str| {
        format!(
            "[[claim]]\ntext = \"{case} {threshold} {weight}\"\nmetric = \"coalition\"\nthreshold = \"{threshold}\"\ndimension = \"operator\"\nweight = \"{weight}\"\ncase = \"{case}\"\nmin = 2\n"
        )
    };
    let mut body = [
        coalition("1/3", "gpus", "resolved"),
        coalition("1/3", "gpus", "worst"),
        coalition("1/2", "gpus", "worst"),
        coalition("0.3333333333333333", "gpus", "worst"),
        coalition("1/3", "providers", "worst"),
    ]
    .concat();
    let levels = [
        ("operator", "operators"),
        ("provider", "providers"),
        ("country", "countries"),
        ("cloud", "clouds"),
        ("asn", "asns"),
        ("datacenter", "datacenters"),
    ];
    for name in levels.iter().flat_map(|(one, many)| [one, many]) {
        body.push_str(&format!(
            "[[claim]]\ntext = \"{name}\"\nstress = \"workload_nakamoto\"\ndimension = \"{name}\"\nmin = 1\n"
        ));
    }
    let c = claims(&dir, &body);
    let o = run(&[
        "check",
        "--claims",
        &c,
        input,
        "--workload",
        workload,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // The worst case is the headline's, at the profile's thresholds.
    let audit = json_of(&["audit", input, "--format", "json"]);
    let co = &audit["snapshots"][0]["headline"]["coalitions"];
    assert_eq!(
        (co[0]["label"].as_str(), co[1]["label"].as_str()),
        (Some("1/3"), Some("1/2"))
    );
    assert_eq!(co[0]["operator_bounds"]["worst"], 1);
    assert_eq!(
        (v[0]["measured"].as_f64(), v[0]["pass"].as_bool()),
        (Some(2.0), Some(true))
    );
    assert_eq!(
        (v[1]["measured"].as_f64(), v[1]["pass"].as_bool()),
        (Some(1.0), Some(false))
    );
    assert!(
        v[1]["note"]
            .as_str()
            .unwrap()
            .contains("worst case: 3 unlinked providers as one operator"),
        "{}",
        v[1]
    );
    assert_eq!(
        v[2]["measured"],
        co[1]["operator_bounds"]["worst"].as_f64().unwrap()
    );
    for (i, why) in [
        (
            3,
            "measured only at the network profile's thresholds (1/3, 1/2); `0.3333333333333333` is not one of them",
        ),
        (
            4,
            "measured only on the headline weight, GPUs (`weight = \"gpus\"`)",
        ),
    ] {
        assert!(
            v[i]["measured"].is_null() && v[i]["pass"] == false,
            "{}",
            v[i]
        );
        assert!(v[i]["note"].as_str().unwrap().contains(why), "{}", v[i]);
    }
    // Each level, singular or plural, measures that level of the stress test.
    let stress = json_of(&[
        "stress",
        input,
        "--workload",
        workload,
        "--format",
        "json",
        "--trials",
        "1",
    ]);
    let n = &stress["snapshots"][0]["workload_nakamoto"];
    let mut distinct = std::collections::BTreeSet::new();
    for (i, (one, many)) in levels.iter().enumerate() {
        let expected = &n[many]["lower_bound"];
        for verdict in [&v[5 + 2 * i], &v[6 + 2 * i]] {
            assert_eq!(
                &verdict["measured"].as_f64(),
                &expected.as_f64(),
                "{one}: {verdict}"
            );
        }
        distinct.insert(expected.to_string());
    }
    assert!(distinct.len() >= 4, "the levels differ: {distinct:?}");
    // Clouds are unknown: that level fails with its reason.
    assert!(
        v[11]["note"].as_str().unwrap().starts_with("n/a: clouds: "),
        "{}",
        v[11]
    );
}
