//! `history` and `compare` say what their numbers rest on: a derived uptime
//! needs repeated observations, a share of a known part comes with its
//! coverage, and coalitions are compared at the same thresholds.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_of(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("JSON output")
}

/// A bundled file.
fn data(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(path)
        .display()
        .to_string()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rackaudit-history-compare-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a snapshot JSON of `network` taken at `taken_at`.
fn snapshot(dir: &Path, file: &str, network: &str, taken_at: &str, providers: Value) -> String {
    let path = dir.join(file);
    let doc = json!({
        "format": "rackaudit-snapshot/1",
        "network": network,
        "taken_at": taken_at,
        "source": {"adapter": "test", "location": file, "note": null},
        "input_sha256": "",
        "providers": providers,
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    path.display().to_string()
}

fn import(store: &str, files: &[&str]) {
    let mut args = vec!["snapshots", "import", "--store", store];
    args.extend_from_slice(files);
    ok(&args);
}

/// The cells of a pipe table's first data row whose first cell is `id`,
/// by column name.
fn table_row(t: &str, id: &str) -> Vec<(String, String)> {
    let split = |l: &str| -> Vec<String> {
        l.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let header = split(t.lines().find(|l| l.starts_with("| id |")).expect(t));
    let row = split(
        t.lines()
            .find(|l| l.starts_with(&format!("| {id} |")))
            .expect(t),
    );
    header.into_iter().zip(row).collect()
}

fn cell<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no column {name} in {row:?}"))
        .1
}

/// The compare table's row whose metric starts with `metric`: its cells.
fn compare_row<'a>(t: &'a str, metric: &str) -> Vec<&'a str> {
    let line = t
        .lines()
        .find(|l| l.trim_start_matches('|').trim_start().starts_with(metric))
        .unwrap_or_else(|| panic!("no row `{metric}` in\n{t}"));
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

fn json_row<'a>(v: &'a Value, metric: &str) -> &'a Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"].as_str().unwrap().starts_with(metric))
        .unwrap_or_else(|| panic!("no row `{metric}`"))
}

#[test]
fn one_snapshot_is_no_uptime_observation() {
    let dir = scratch("one");
    let store = dir.join("x.sqlite").display().to_string();
    import(
        &store,
        &[&data(
            "bittensor/subtensor_nakamoto_snapshot_block3606775.json",
        )],
    );
    let t = ok(&["history", "bittensor", "--store", &store]);
    assert!(
        t.contains("n/a (uptime needs at least 2 snapshots; the store holds 1)"),
        "{t}"
    );
    assert!(!t.contains("mean 1.000"), "{t}");
    assert!(!t.contains("least available"), "{t}");
    assert!(t.contains("· 1 snapshot ·"), "{t}");
    assert!(!t.contains("1 snapshots"), "{t}");
    let v = json_of(&[
        "history",
        "bittensor",
        "--store",
        &store,
        "--format",
        "json",
    ]);
    let u = &v["uptime"];
    assert!(u["dispersion"].is_null(), "{u}");
    assert_eq!(u["per_provider"], json!([]));
    assert_eq!(u["providers"], 0);
    assert_eq!(u["providers_seen_once"], 4096);
    assert!(
        u["reason"]
            .as_str()
            .unwrap()
            .contains("needs at least 2 snapshots"),
        "{u}"
    );
}

#[test]
fn uptime_counts_providers_observed_in_two_snapshots() {
    let dir = scratch("two");
    let store = dir.join("x.sqlite").display().to_string();
    // a: up twice; b: up, then listed offline; c: outside the active set,
    // then gone; d: first listed in the latest snapshot (not checked yet).
    let s1 = snapshot(
        &dir,
        "s1.json",
        "uptime-net",
        "2026-01-01T00:00:00Z",
        json!([{"id": "a"}, {"id": "b"}, {"id": "c", "active_set": false}]),
    );
    let s2 = snapshot(
        &dir,
        "s2.json",
        "uptime-net",
        "2026-01-02T00:00:00Z",
        json!([{"id": "a"}, {"id": "b", "online": false}, {"id": "d"}]),
    );
    import(&store, &[&s1, &s2]);
    let v = json_of(&[
        "history",
        "uptime-net",
        "--store",
        &store,
        "--format",
        "json",
    ]);
    let u = &v["uptime"];
    assert!(u["reason"].is_null(), "{u}");
    assert_eq!(u["providers"], 3);
    assert_eq!(u["providers_seen_once"], 1);
    let by: Vec<(String, u64, u64)> = u["per_provider"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["provider"].as_str().unwrap().to_string(),
                p["observations"].as_u64().unwrap(),
                p["up"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("c".to_string(), 2, 0),
            ("b".to_string(), 2, 1),
            ("a".to_string(), 2, 2)
        ]
    );
    assert_eq!(u["dispersion"]["n"], 3);
    let t = ok(&["history", "uptime-net", "--store", &store]);
    assert!(t.contains("(3 providers over 2 snapshots;"), "{t}");
    assert!(
        t.contains("a provider outside the active set counts as down"),
        "{t}"
    );
    assert!(
        t.contains("1 provider first listed in the latest snapshot is left out"),
        "{t}"
    );

    // One provider seen twice: singular.
    let solo = dir.join("solo.sqlite").display().to_string();
    let p1 = snapshot(
        &dir,
        "p1.json",
        "solo",
        "2026-01-01T00:00:00Z",
        json!([{"id": "a"}]),
    );
    let p2 = snapshot(
        &dir,
        "p2.json",
        "solo",
        "2026-01-02T00:00:00Z",
        json!([{"id": "a"}]),
    );
    import(&solo, &[&p1, &p2]);
    let t = ok(&["history", "solo", "--store", &solo]);
    assert!(t.contains("(1 provider over 2 snapshots;"), "{t}");
}

/// Two providers: 4 GPUs on AWS in the US, 6 GPUs of unknown vendor,
/// cloud and country: every field is known for 40% of the GPUs.
fn partly_known(dir: &Path) -> String {
    snapshot(
        dir,
        "cov.json",
        "coverage-net",
        "2026-01-01T00:00:00Z",
        json!([
            {"id": "a", "cloud": "aws", "country": "US",
             "gpus": [{"count": 4, "vendor": "nvidia", "model": "H100"}]},
            {"id": "b", "gpus": [{"count": 6}]}
        ]),
    )
}

#[test]
fn history_shares_come_with_their_coverage() {
    let dir = scratch("coverage");
    let store = dir.join("x.sqlite").display().to_string();
    import(&store, &[&partly_known(&dir)]);
    let t = ok(&[
        "history",
        "coverage-net",
        "--store",
        &store,
        "--metric",
        "complete,hyperscaler_share,nvidia_gpu_share",
    ]);
    let row = table_row(&t, "1");
    let names: Vec<&str> = row.iter().map(|(n, _)| n.as_str()).collect();
    // Each share of a known part has its coverage right beside it.
    assert_eq!(
        names[3..],
        [
            "complete",
            "hyperscaler_share",
            "cloud_coverage",
            "nvidia_gpu_share",
            "vendor_coverage"
        ],
        "{t}"
    );
    assert_eq!(cell(&row, "complete"), "yes");
    assert_eq!(cell(&row, "hyperscaler_share"), "1 (low coverage)");
    assert_eq!(cell(&row, "cloud_coverage"), "0.4000");
    assert_eq!(cell(&row, "vendor_coverage"), "0.4000");
    let v = json_of(&[
        "history",
        "coverage-net",
        "--store",
        &store,
        "--metric",
        "hyperscaler_share,largest_country_share",
        "--format",
        "json",
    ]);
    let values = &v["rows"][0]["values"];
    assert_eq!(values["cloud_coverage"], 0.4);
    assert_eq!(values["country_coverage"], 0.4);
    assert_eq!(values["largest_country_share"], 1.0);
    assert_eq!(
        v["rows"][0]["low_coverage"],
        json!(["hyperscaler_share", "largest_country_share"])
    );
    assert_eq!(v["coverage_of"]["hyperscaler_share"], "cloud_coverage");
    let csv = ok(&[
        "history",
        "coverage-net",
        "--store",
        &store,
        "--metric",
        "complete,hyperscaler_share",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "id,taken_at,weight,complete,hyperscaler_share,cloud_coverage"
    );
    assert!(
        csv.lines().nth(1).unwrap().ends_with(",1,1,0.4000"),
        "{csv}"
    );

    // A validator set: the cloud is known for none of the stake, a known
    // 0, while the share itself is n/a.
    let chain = dir.join("chain.sqlite").display().to_string();
    import(&chain, &[&data("cosmos/osmosis1_valset_height471386.json")]);
    let t = ok(&[
        "history",
        "osmosis-1",
        "--store",
        &chain,
        "--metric",
        "hyperscaler_share,country_coverage",
    ]);
    let row = table_row(&t, "1");
    assert_eq!(cell(&row, "hyperscaler_share"), "n/a");
    assert_eq!(cell(&row, "cloud_coverage"), "0");
    assert_eq!(cell(&row, "country_coverage"), "0");
}

#[test]
fn history_help_lists_the_defaults_it_shows_and_every_metric() {
    let help = ok(&["history", "--help"]);
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let metric = flat.find("--metric").expect(&flat);
    let start = metric + flat[metric..].find("[default: ").expect(&flat) + "[default: ".len();
    let defaults: Vec<&str> = flat[start..][..flat[start..].find(']').unwrap()]
        .split(',')
        .map(str::trim)
        .collect();
    for metric in [
        "complete",
        "providers",
        "operators",
        "gpus",
        "coalition_providers",
        "coalition_operators",
        "nakamoto_providers",
        "nakamoto_operators",
        "max_operator_share",
        "operator_hhi",
        "operator_gini",
        "nvidia_gpu_share",
        "vendor_coverage",
        "hyperscaler_share",
        "cloud_coverage",
        "largest_country_share",
        "country_coverage",
        "reported_uptime_mean",
        "uptime_coverage",
        "passing_nakamoto_operators",
        "supply_errors",
    ] {
        assert!(flat.contains(&format!("{metric}:")), "{metric} in {flat}");
    }
    let dir = scratch("help");
    let store = dir.join("x.sqlite").display().to_string();
    import(&store, &[&data("cosmos/osmosis1_valset_height471386.json")]);
    let t = ok(&["history", "osmosis-1", "--store", &store]);
    let row = table_row(&t, "1");
    let shown: Vec<&str> = row[3..].iter().map(|(n, _)| n.as_str()).collect();
    // A validator set lists no GPUs: the GPU columns are n/a in every
    // snapshot, so the default leaves them out and says so.
    let omitted = ["gpus", "nvidia_gpu_share", "vendor_coverage"];
    assert!(
        t.contains("Not shown, n/a in every snapshot: gpus, nvidia_gpu_share, vendor_coverage."),
        "{t}"
    );
    let expected: Vec<&str> = defaults
        .iter()
        .copied()
        .filter(|m| !omitted.contains(m))
        .collect();
    assert_eq!(shown, expected, "the help's defaults are the columns shown");
    assert!(shown.contains(&"coalition_operators"));
}

#[test]
fn a_misspelled_metric_gets_a_suggestion() {
    let dir = scratch("typo");
    let store = dir.join("x.sqlite").display().to_string();
    import(&store, &[&data("cosmos/osmosis1_valset_height471386.json")]);
    let o = run(&[
        "history",
        "osmosis-1",
        "--store",
        &store,
        "--metric",
        "hyperscaler_shar",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("did you mean `hyperscaler_share`?"),
        "{}",
        text(&o)
    );
}

#[test]
fn compare_counts_coalitions_at_the_same_thresholds() {
    let a = data("cosmos/cosmoshub_validators_2019.json");
    let b = data("bittensor/subtensor_nakamoto_snapshot_block3606775.json");
    let t = ok(&["compare", &a, &b]);
    assert!(!t.contains("profile's first threshold"), "{t}");
    // Each side's own coalitions, from its audit.
    let coalition = |path: &str, label: &str| -> Option<f64> {
        let v = json_of(&["audit", path, "--format", "json"]);
        v["snapshots"][0]["headline"]["coalitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == label)
            .unwrap()["operator"]
            .as_f64()
    };
    let v = json_of(&["compare", &a, &b, "--json"]);
    let third = json_row(&v, "operators holding 1/3");
    assert_eq!(third["metric"], "operators holding 1/3 (A ≥, B ≥)");
    assert_eq!(third["values"][0].as_f64(), coalition(&a, "1/3"));
    let half = json_row(&v, "operators holding 1/2");
    assert_eq!(half["metric"], "operators holding 1/2 (A ≥, B ≥)");
    assert_eq!(half["values"][1].as_f64(), coalition(&b, "1/2"));
    let two_thirds = json_row(&v, "operators holding 2/3");
    assert_eq!(two_thirds["metric"], "operators holding 2/3 (A >, B >)");
    assert_eq!(two_thirds["values"][0].as_f64(), coalition(&a, "2/3"));
    assert_eq!(two_thirds["values"][1].as_f64(), coalition(&b, "2/3"));
    assert_eq!(two_thirds["holds"], json!(["more_than", "more_than"]));
    assert_eq!(v["compared_thresholds"], json!(["1/3", "1/2", "2/3"]));
    // Counts print as integers, shares with 4 decimals.
    let row = compare_row(&t, "operators holding 1/2");
    let delta = half["deltas"][1].as_f64().unwrap();
    assert_eq!(row[3], format!("{delta:+}"), "{t}");
    assert!(!row[3].contains('.'), "{t}");
    let row = compare_row(&t, "operator Nakamoto (at least 50%)");
    assert!(!row[3].contains('.'), "{t}");
    let row = compare_row(&t, "operator max share");
    assert_eq!(row[3].split('.').nth(1).map(str::len), Some(4), "{t}");
}

#[test]
fn compare_says_when_comparisons_or_weights_differ() {
    // A generic GPU network (default profile: ≥1/3, ≥1/2) against a
    // CometBFT chain (≥1/3, >2/3).
    let t = ok(&[
        "compare",
        &data("akash/community_gpu_testnet_2023.generic.csv"),
        &data("cosmos/cosmoshub_validators_2019.json"),
    ]);
    compare_row(
        &t,
        "operators holding 2/3 (A ≥, B >: the comparisons differ)",
    );
    compare_row(&t, "operators holding 1/3 (A ≥, B ≥)");
    assert!(
        t.contains(" by gpus, thresholds") && t.contains(" by stake, thresholds"),
        "{t}"
    );
    assert!(
        t.contains("weighed differently (A by GPUs (gpus), B by voting stake (stake))"),
        "{t}"
    );
    // Weighed rows are shown side by side but not subtracted.
    let row = compare_row(&t, "operator max share (of known)");
    assert_eq!(row[3], "n/a (weights differ)", "{t}");
    let row = compare_row(&t, "providers");
    assert!(row[3].starts_with('+') || row[3].starts_with('-'), "{t}");
}

#[test]
fn compare_coverage_is_a_known_zero_not_na() {
    let v = json_of(&[
        "compare",
        &data("cosmos/cosmoshub_validators_2019.json"),
        &data("cosmos/osmosis1_valset_height471386.json"),
        "--json",
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert!(
        !rows.iter().any(|r| r["metric"]
            .as_str()
            .unwrap()
            .contains("known (share of weight)")),
        "one coverage row per field"
    );
    for field in ["cloud coverage", "country coverage", "uptime coverage"] {
        let r = json_row(&v, field);
        assert_eq!(
            (r["values"][0].as_f64(), r["values"][1].as_f64()),
            (Some(0.0), Some(0.0)),
            "{r}"
        );
    }
    // No GPUs at all: the vendor coverage is n/a.
    let vendor = json_row(&v, "vendor coverage");
    assert!(vendor["values"][0].is_null() && vendor["values"][1].is_null());
    let hyper = json_row(&v, "hyperscaler share (cloud known)");
    assert!(hyper["values"][0].is_null());
    assert_eq!(hyper["coverage"]["values"][0], 0.0);

    // A partly known network: each share shows its coverage, flagged.
    let dir = scratch("compare-coverage");
    let file = partly_known(&dir);
    let t = ok(&[
        "compare",
        &file,
        &data("cosmos/cosmoshub_validators_2019.json"),
    ]);
    let row = compare_row(&t, "hyperscaler share (cloud known)");
    assert_eq!(row[1], "1 (cloud known for 40.0% of GPUs; low coverage)");
    assert_eq!(row[2], "n/a (cloud known for 0% of voting stake)");
    let row = compare_row(&t, "uptime mean (uptime known)");
    assert_eq!(row[1], "n/a (uptime known for 0% of the providers)");
    let row = compare_row(&t, "vendor coverage");
    assert_eq!((row[1], row[2]), ("0.4", "n/a (no GPUs)"));
    let row = compare_row(&t, "cloud coverage");
    // A coverage of GPUs against one of voting stake: not subtracted.
    assert_eq!(
        (row[1], row[2], row[3]),
        ("0.4", "0", "n/a (weights differ)")
    );
}

#[test]
fn compare_takes_several_snapshots_in_every_format() {
    let (a, b, c) = (
        data("cosmos/osmosis1_valset_height471386.json"),
        data("cosmos/cosmoshub_validators_2019.json"),
        data("cosmos/celestia_validators_vp_2025-07.json"),
    );
    let v = json_of(&["compare", &a, &b, &c, "--format", "json"]);
    assert_eq!(v["snapshots"].as_array().unwrap().len(), 3);
    let row = json_row(&v, "provider Nakamoto (at least 50%)");
    let values: Vec<f64> = (0..3).map(|i| row["values"][i].as_f64().unwrap()).collect();
    for i in 0..3 {
        assert_eq!(row["deltas"][i].as_f64(), Some(values[i] - values[0]));
    }
    assert_eq!(row["comparable"], true);
    let t = ok(&["compare", &a, &b, &c]);
    let row = compare_row(&t, "provider Nakamoto (at least 50%)");
    assert_eq!(row.len(), 6, "metric, three values, two deltas: {t}");
    assert!(
        !row[4].contains('.') && !row[5].contains('.'),
        "integer deltas: {t}"
    );
    let md = ok(&["compare", &a, &b, &c, "--format", "md"]);
    assert!(md.contains("| metric | A: osmosis-1 "), "{md}");
    assert!(md.lines().any(|l| l.starts_with("|---|")), "{md}");
    let csv = ok(&["compare", &a, &b, &c, "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "metric,kind,side,network,input_sha256,weight,value,delta_vs_first,comparable,coverage"
        )
    );
    assert_eq!(lines.count(), 3 * v["rows"].as_array().unwrap().len());
    // Mixed weights: two GPU networks subtract, the stake chain does not.
    let v = json_of(&[
        "compare",
        &data("vastai/vast_offers_A100SXM4_fieldsubset.json"),
        &data("akash/community_gpu_testnet_2023.generic.csv"),
        &a,
        "--format",
        "json",
    ]);
    let row = json_row(&v, "operator max share");
    assert_eq!(row["comparable"], false);
    assert!(
        row["deltas"][1].is_number() && row["deltas"][2].is_null(),
        "{row}"
    );
    // One snapshot is not a comparison.
    let o = run(&["compare", &a]);
    assert_eq!(o.status.code(), Some(2));
}
