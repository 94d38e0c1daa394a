//! `snapshots export --all --out-dir LAKE`: every stored snapshot in a
//! Hive-partitioned directory tree, refused whole when a snapshot has no
//! time or two share one partition, and read back with the network and time
//! its directories name.

mod common;

use common::{rackaudit as run, rackaudit_ok as ok, scratch};
use serde_json::Value;
use std::path::Path;

/// A store of the given files, each with its time.
fn store(dir: &Path, files: &[(&str, Option<&str>)]) -> String {
    let store = dir.join("store.sqlite").display().to_string();
    for (file, taken_at) in files {
        common::import(&store, file, *taken_at);
    }
    store
}

/// The arguments of `snapshots export --all` of `store` into `lake`, with
/// `extra` options.
fn export_all<'a>(store: &'a str, lake: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "snapshots",
        "export",
        "--all",
        "--out-dir",
        lake.to_str().unwrap(),
        "--store",
        store,
    ];
    args.extend(extra);
    args
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn json_lake_has_one_partition_per_snapshot() {
    let dir = scratch("lake-json");
    let store = store(
        &dir,
        &[
            ("data/cosmos/osmosis1_valset_height471386.json", None),
            (
                "data/bittensor/subnet_emissions_2025/emissions_20250914.json",
                None,
            ),
            (
                "data/bittensor/subnet_emissions_2025/emissions_20250915.json",
                None,
            ),
        ],
    );
    let lake = dir.join("lake");
    ok(&export_all(&store, &lake, &[]));
    assert_eq!(
        files(&lake),
        [
            "network=bittensor-subnets/taken_at=2025-09-14T16%3A53%3A21.163147+00%3A00/snapshot.json",
            "network=bittensor-subnets/taken_at=2025-09-15T18%3A54%3A58.666800+00%3A00/snapshot.json",
            "network=osmosis-1/taken_at=2021-07-23T18%3A43%3A54.270485119Z/snapshot.json",
        ]
    );
    // Each file is what `snapshots export ID` writes.
    let one = ok(&["snapshots", "export", "1", "--store", &store]);
    let part = lake.join(files(&lake)[2].clone());
    assert_eq!(std::fs::read(part).unwrap(), one);
    // --network keeps one network.
    let only = dir.join("only");
    ok(&export_all(&store, &only, &["--network", "osmosis-1"]));
    assert_eq!(files(&only).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_lake_is_refused_whole_when_a_partition_cannot_be_named() {
    let dir = scratch("lake-refused");
    // The Cosmos Hub file records no time.
    let untimed = store(
        &dir,
        &[
            ("data/cosmos/osmosis1_valset_height471386.json", None),
            ("data/cosmos/cosmoshub_validators_2019.json", None),
        ],
    );
    let lake = dir.join("lake");
    let o = run(&export_all(&untimed, &lake, &[]));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("snapshot 2 (cosmoshub) has no time") && err.contains("--taken-at"),
        "{err}"
    );
    assert!(files(&lake).is_empty(), "{:?}", files(&lake));

    // Two snapshots of one network at one time would be measured as one.
    let twice = dir.join("twice");
    std::fs::create_dir_all(&twice).unwrap();
    let store = store(
        &twice,
        &[
            ("tests/fixtures/lake_edges.csv", Some("2026-02-01")),
            ("tests/fixtures/order_independence.csv", Some("2026-02-01")),
            ("tests/fixtures/supply_checks.csv", Some("2026-02-01")),
        ],
    );
    let o = run(&export_all(&store, &lake, &[]));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("snapshots 2 and 3 are both of generic taken at 2026-02-01T00:00:00Z"),
        "{err}"
    );
    assert!(files(&lake).is_empty());

    // --all takes a directory, not -o, and no snapshot id.
    for args in [
        &["snapshots", "export", "--all", "-o", "x.json"][..],
        &["snapshots", "export", "1", "--all", "--out-dir", "x"][..],
        &["snapshots", "export", "--all"][..],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_parts_leave_network_and_time_to_their_directories() {
    use arrow_array::RecordBatchReader;
    let dir = scratch("lake-parquet");
    let store = store(
        &dir,
        &[(
            "tests/fixtures/lake_edges.csv",
            Some("2026-02-01T00:00:00Z"),
        )],
    );
    let lake = dir.join("lake");
    ok(&export_all(&store, &lake, &["--format", "parquet"]));
    let part = "network=edges/taken_at=2026-02-01T00%3A00%3A00Z/part-0.parquet";
    assert_eq!(files(&lake), [part]);
    let bytes = bytes::Bytes::from(std::fs::read(lake.join(part)).unwrap());
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
        .unwrap()
        .build()
        .unwrap();
    let schema = reader.schema();
    assert!(schema.column_with_name("network").is_none());
    assert!(schema.column_with_name("taken_at").is_none());
    for derived in [
        "operator_id",
        "passing",
        "active",
        "cloud_resolved",
        "gpu_vendor_resolved",
        "gpu_model_resolved",
        "gpu_fp16_tflops",
    ] {
        assert!(schema.column_with_name(derived).is_some(), "{derived}");
    }
    // Read back, the part names its network and time, and audits as the
    // stored snapshot does.
    let audit = |args: &[&str]| -> Value {
        let mut all = vec!["audit", "--no-stress", "--format", "json"];
        all.extend(args);
        serde_json::from_slice(&ok(&all)).unwrap()
    };
    let part_path = lake.join(part);
    let alone = audit(&[part_path.to_str().unwrap()]);
    let stored = audit(&["--store", &store, "--snapshot", "1"]);
    let (a, s) = (&alone["snapshots"][0], &stored["snapshots"][0]);
    assert_eq!(a["network"], "edges");
    assert_eq!(a["taken_at"], "2026-02-01T00:00:00Z");
    assert_eq!(a["concentration"], s["concentration"]);
    assert_eq!(a["headline"], s["headline"]);
    // One stored snapshot as Parquet: a file, or standard output with -o -.
    let alone = ["snapshots", "export", "1", "--format", "parquet", "--store"];
    let o = run(&[&alone[..], &[&store]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give -o FILE"));
    let piped = ok(&[&alone[..], &[&store, "-o", "-"]].concat());
    assert!(piped.starts_with(b"PAR1"));
    let _ = std::fs::remove_dir_all(&dir);
}
