//! The scale-out path computes rackaudit's numbers: a lake exported by
//! `snapshots export --all --format parquet` and measured by
//! `scale/audit_lake.py` (Spark SQL, local mode) gives, for every snapshot ×
//! dimension × weight, the same rows and the same figures as
//! `rackaudit audit --format json` and `rackaudit history` (counts exactly,
//! shares and indices within 1e-9 relative).
//!
//! The test installs PySpark itself, into a virtual environment under
//! `target/` (kept between runs), with `scale/requirements.txt`. Spark needs
//! Java 17 or newer: `.ci/run` installs Debian's OpenJDK 17 when `java` is
//! missing. Nothing is skipped: without Python, Java or PySpark the test
//! fails and says which.
#![cfg(feature = "parquet")]

mod common;

use common::{import, rackaudit_ok as ok};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// Fails the test with `why` and what the command printed.
fn require(o: std::io::Result<Output>, why: &str) -> Output {
    match o {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!(
            "{why}: exit {}\n{}{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("{why}: {e}"),
    }
}

/// A Python with PySpark: a virtual environment under `target/`, made and
/// filled from `scale/requirements.txt` when it lacks the pinned version.
fn spark_python() -> PathBuf {
    let java = Command::new("java").arg("-version").output();
    require(
        java,
        "Spark needs Java 17 or newer and `java -version` failed (.ci/run installs Debian's openjdk-17-jre-headless)",
    );
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spark-venv");
    let python = venv.join("bin").join("python");
    let requirements = Path::new(MANIFEST).join("scale/requirements.txt");
    let pinned = std::fs::read_to_string(&requirements).unwrap();
    let version = pinned
        .lines()
        .find_map(|l| l.trim().strip_prefix("pyspark=="))
        .expect("scale/requirements.txt pins pyspark");
    let has_it = Command::new(&python)
        .args(["-c", "import pyspark, sys; print(pyspark.__version__)"])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == version);
    if !has_it {
        require(
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv)
                .output(),
            "cannot make a Python virtual environment with `python3 -m venv`",
        );
        require(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements)
                .output(),
            "cannot install PySpark with pip (it needs the PyPI registry)",
        );
    }
    python
}

/// A store with several snapshots per network: the bundled real data
/// (its 44-day Bittensor subnet series, and single snapshots with a time
/// given), synthetic networks and the hand-made edge cases.
fn build_store(dir: &Path) -> String {
    let store = dir.join("store.sqlite").display().to_string();
    for (file, taken_at) in [
        ("data/cosmos/osmosis1_valset_height471386.json", None),
        (
            "data/cosmos/cosmoshub_validators_2019.json",
            Some("2019-04-01"),
        ),
        (
            "data/cosmos/celestia_validators_vp_2025-07.json",
            Some("2025-06-29"),
        ),
        (
            "data/bittensor/subtensor_nakamoto_snapshot_block3606775.json",
            Some("2023-03-20"),
        ),
        (
            "data/akash/website_aep-4_providers.json",
            Some("2019-12-01"),
        ),
        (
            "data/akash/community_gpu_testnet_2023.generic.csv",
            Some("2023-06-01"),
        ),
        (
            "data/vastai/vast_offers_A100SXM4_fieldsubset.json",
            Some("2026-06-02"),
        ),
        (
            "tests/fixtures/akash_console_providers.json",
            Some("2026-01-01"),
        ),
        (
            "tests/fixtures/akash_console_supply_checks.json",
            Some("2026-01-02"),
        ),
        ("tests/fixtures/lake_edges.csv", Some("2026-02-01")),
    ] {
        import(&store, file, taken_at);
    }
    let series = Path::new(MANIFEST).join("data/bittensor/subnet_emissions_2025");
    let mut days: Vec<PathBuf> = std::fs::read_dir(series)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    days.sort();
    for day in &days {
        import(&store, day.to_str().unwrap(), None);
    }
    for seed in 1..=3 {
        let csv = dir.join(format!("synth-{seed}.csv"));
        let csv = csv.to_str().unwrap();
        ok(&[
            "synth",
            "--providers",
            "400",
            "--gpus",
            "2000",
            "--seed",
            &seed.to_string(),
            "-o",
            csv,
        ]);
        import(&store, csv, Some(&format!("2026-03-0{seed}")));
    }
    store
}

/// One result row's figures, by column.
type Figures = BTreeMap<String, String>;
/// (network, taken_at, dimension, weight).
type Key = (String, String, String, String);

fn spark_rows(csv_path: &Path) -> (Vec<String>, BTreeMap<Key, Figures>) {
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut rows = BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        let figures: Figures = header
            .iter()
            .cloned()
            .zip(r.iter().map(String::from))
            .collect();
        let key = (
            figures["network"].clone(),
            figures["taken_at"].clone(),
            figures["dimension"].clone(),
            figures["weight"].clone(),
        );
        assert!(rows.insert(key.clone(), figures).is_none(), "{key:?} twice");
    }
    (header, rows)
}

/// Whether Spark's cell equals rackaudit's figure: counts exactly, numbers
/// within 1e-9 relative (1e-12 absolute around zero), n/a as an empty cell.
fn same(expected: &Value, cell: &str, count: bool) -> bool {
    match expected {
        Value::Null => cell.is_empty(),
        _ if count => cell.parse::<u64>().ok() == expected.as_u64(),
        _ => {
            let (e, g) = (expected.as_f64().unwrap(), cell.parse::<f64>().unwrap());
            let d = (e - g).abs();
            d <= 1e-9 * e.abs().max(g.abs()) || d <= 1e-12
        }
    }
}

#[test]
fn the_spark_job_computes_rackaudits_figures_on_a_lake() {
    let python = spark_python();
    let dir = common::scratch("spark");
    let store = build_store(&dir);
    let lake = dir.join("lake");
    let lake_str = lake.to_str().unwrap();
    ok(&[
        "snapshots",
        "export",
        "--all",
        "--format",
        "parquet",
        "--out-dir",
        lake_str,
        "--store",
        &store,
    ]);
    let out = dir.join("result.csv");
    let job = Command::new(&python)
        .current_dir(MANIFEST)
        .arg("scale/audit_lake.py")
        .arg(&lake)
        .arg(&out)
        .env("SPARK_MASTER", "local[2]")
        .output();
    require(
        job,
        "the Spark job (scale/audit_lake.py, local mode) failed",
    );
    let (header, spark) = spark_rows(&out);
    assert_eq!(
        header,
        [
            "network",
            "taken_at",
            "dimension",
            "weight",
            "entities",
            "coalition_1_3",
            "coalition_1_2",
            "coalition_2_3",
            "max_share",
            "hhi",
            "gini",
            "shannon_entropy",
            "unattributed_share"
        ]
    );

    // rackaudit on every stored snapshot, with the job's three thresholds.
    let listed: Value = serde_json::from_slice(&ok(&[
        "snapshots",
        "list",
        "--store",
        &store,
        "--format",
        "json",
    ]))
    .unwrap();
    let ids: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].to_string())
        .collect();
    assert!(ids.len() >= 55, "{} snapshots", ids.len());
    let mut args = vec![
        "audit",
        "--store",
        &store,
        "--no-stress",
        "--format",
        "json",
        "--tau",
        ">=1/3,>=1/2,>2/3",
    ];
    for id in &ids {
        args.extend(["--snapshot", id]);
    }
    let audit: Value = serde_json::from_slice(&ok(&args)).unwrap();
    let mut expected: BTreeMap<Key, Vec<(&str, Value, bool)>> = BTreeMap::new();
    let mut primary: BTreeMap<(String, String), String> = BTreeMap::new();
    for s in audit["snapshots"].as_array().unwrap() {
        let (network, taken_at) = (
            s["network"].as_str().unwrap().to_string(),
            s["taken_at"].as_str().unwrap().to_string(),
        );
        primary.insert(
            (network.clone(), taken_at.clone()),
            s["headline"]["primary_weight"].as_str().unwrap().into(),
        );
        for c in s["concentration"].as_array().unwrap() {
            let m = &c["metrics"];
            let key = (
                network.clone(),
                taken_at.clone(),
                c["dimension"].as_str().unwrap().to_string(),
                c["weight"].as_str().unwrap().to_string(),
            );
            let figures = vec![
                ("entities", m["total_entities"].clone(), true),
                ("coalition_1_3", m["tau_index"][">=1/3"].clone(), true),
                ("coalition_1_2", m["tau_index"][">=1/2"].clone(), true),
                ("coalition_2_3", m["tau_index"][">2/3"].clone(), true),
                ("max_share", m["max_share"].clone(), false),
                ("hhi", m["hhi"].clone(), false),
                ("gini", m["gini"].clone(), false),
                ("shannon_entropy", m["shannon_entropy"].clone(), false),
                ("unattributed_share", c["unattributed_share"].clone(), false),
            ];
            expected.insert(key, figures);
        }
    }

    // The same rows, both ways, and the same figures.
    let missing: Vec<&Key> = expected
        .keys()
        .filter(|k| !spark.contains_key(*k))
        .collect();
    let extra: Vec<&Key> = spark
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(missing.is_empty(), "rows Spark lacks: {missing:?}");
    assert!(extra.is_empty(), "rows rackaudit lacks: {extra:?}");
    let mut differences = Vec::new();
    for (key, figures) in &expected {
        for (column, value, count) in figures {
            let cell = &spark[key][*column];
            if !same(value, cell, *count) {
                differences.push(format!("{key:?} {column}: rackaudit {value}, Spark {cell}"));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
    // Every network and every dimension was measured, not just a few.
    let networks: std::collections::BTreeSet<&str> = spark.keys().map(|k| k.0.as_str()).collect();
    let dimensions: std::collections::BTreeSet<&str> = spark.keys().map(|k| k.2.as_str()).collect();
    assert!(networks.len() >= 9, "{networks:?}");
    assert_eq!(dimensions.len(), 9, "{dimensions:?}");
    assert!(expected.len() > 400, "{} rows", expected.len());

    // `history` agrees too: its operator rows are Spark's operator rows on
    // each snapshot's primary weight.
    for network in &networks {
        let history: Value = serde_json::from_slice(&ok(&[
            "history",
            network,
            "--store",
            &store,
            "--format",
            "json",
            "--metric",
            "nakamoto_operators,max_operator_share,operator_hhi,operator_gini,coalition_operators",
        ]))
        .unwrap();
        for row in history["rows"].as_array().unwrap() {
            let taken_at = row["taken_at"].as_str().unwrap().to_string();
            let weight = &primary[&(network.to_string(), taken_at.clone())];
            let key = (
                network.to_string(),
                taken_at,
                "operator".to_string(),
                weight.clone(),
            );
            let Some(cells) = spark.get(&key) else {
                // No operator row: the weight is zero, and so n/a in history.
                assert!(row["values"]["nakamoto_operators"].is_null(), "{key:?}");
                continue;
            };
            let v = &row["values"];
            let coalition = match row["coalition_threshold"].as_str().unwrap() {
                "≥1/3" => "coalition_1_3",
                "≥1/2" => "coalition_1_2",
                ">2/3" => "coalition_2_3",
                other => panic!("{key:?}: threshold {other}"),
            };
            for (metric, column) in [
                ("nakamoto_operators", "coalition_1_2"),
                ("coalition_operators", coalition),
                ("max_operator_share", "max_share"),
                ("operator_hhi", "hhi"),
                ("operator_gini", "gini"),
            ] {
                assert!(
                    same(&v[metric], &cells[column], false),
                    "{key:?} {metric}: history {}, Spark {}",
                    v[metric],
                    cells[column]
                );
            }
        }
    }

    // A lake file audited on its own reads its network and time from its
    // directories and gives the stored snapshot's figures.
    let part = lake
        .join(rackaudit::sources::hive::partition_dir(
            "edges",
            "2026-02-01T00:00:00Z",
        ))
        .join("part-0.parquet");
    let alone: Value = serde_json::from_slice(&ok(&[
        "audit",
        part.to_str().unwrap(),
        "--no-stress",
        "--format",
        "json",
        "--tau",
        ">=1/3,>=1/2,>2/3",
    ]))
    .unwrap();
    let s = &alone["snapshots"][0];
    assert_eq!(s["network"], "edges");
    assert_eq!(s["taken_at"], "2026-02-01T00:00:00Z");
    let stored = audit["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["network"] == "edges")
        .unwrap();
    assert_eq!(s["concentration"], stored["concentration"]);
    let _ = std::fs::remove_dir_all(&dir);
}
