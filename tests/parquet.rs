//! Parquet snapshots (cargo feature `parquet`, which the README's test
//! command turns on): a snapshot written as Parquet reads back to the same
//! audit as its generic CSV, the columns carry their types, and the derived
//! columns say what rackaudit resolved and checked.
#![cfg(feature = "parquet")]

use arrow_array::{Array, BooleanArray, StringArray, UInt64Array};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rackaudit-parquet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The audit JSON of `file` without what names the file itself.
fn audit(file: &str) -> serde_json::Value {
    let o = run(&["audit", file, "--no-stress", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &mut v["snapshots"][0];
    for k in ["input_sha256", "adapter", "location"] {
        s[k] = serde_json::Value::Null;
    }
    v["snapshots"].clone()
}

#[test]
fn parquet_reads_back_to_the_audit_of_the_generic_csv() {
    let dir = scratch("roundtrip");
    for input in [
        "data/vastai/vast_offers_A100SXM4_fieldsubset.json",
        "data/cosmos/osmosis1_valset_height471386.json",
        "tests/fixtures/akash_console_supply_checks.json",
    ] {
        let pq = dir.join("s.parquet");
        let csv = dir.join("s.csv");
        let o = run(&[
            "snapshot",
            input,
            "--format",
            "parquet",
            "-o",
            pq.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = run(&[
            "snapshot",
            input,
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ]);
        assert!(o.status.success());
        assert_eq!(
            audit(pq.to_str().unwrap()),
            audit(csv.to_str().unwrap()),
            "{input}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn columns_are_typed_and_derived_columns_record_resolution_and_checks() {
    let dir = scratch("columns");
    let pq = dir.join("s.parquet");
    let fixture = "tests/fixtures/akash_console_supply_checks.json";
    let o = run(&[
        "snapshot",
        fixture,
        "--format",
        "parquet",
        "-o",
        pq.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = std::fs::File::open(&pq).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    let batch = arrow_select_concat(&batches);
    let col = |name: &str| batch.column(batch.schema().index_of(name).unwrap()).clone();
    let counts = col("gpu_count");
    let counts = counts
        .as_any()
        .downcast_ref::<UInt64Array>()
        .expect("gpu_count is UInt64");
    // The overflow sentinel the checks flag survives as a number.
    assert!((0..counts.len()).any(|i| !counts.is_null(i) && counts.value(i) == u64::MAX));
    let passing = col("passing");
    let passing = passing.as_any().downcast_ref::<BooleanArray>().unwrap();
    let ids = col("provider_id");
    let ids = ids.as_any().downcast_ref::<StringArray>().unwrap();
    // The sentinel row fails the error-level checks; some rows pass.
    for i in 0..counts.len() {
        if !counts.is_null(i) && counts.value(i) == u64::MAX {
            assert!(!passing.value(i), "{}", ids.value(i));
        }
    }
    assert!((0..passing.len()).any(|i| passing.value(i)));
    let operators = col("operator_id");
    let operators = operators.as_any().downcast_ref::<StringArray>().unwrap();
    assert!((0..operators.len()).all(|i| !operators.is_null(i)));
    // `rackaudit verify-supply` removes 2 whole providers from this fixture:
    // every row of those providers is marked not passing.
    let mut failing: Vec<&str> = (0..ids.len())
        .filter(|i| !passing.value(*i))
        .map(|i| ids.value(i))
        .collect();
    failing.sort();
    failing.dedup();
    assert!(failing.len() >= 2, "{failing:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The batches of a small file as one (the writer makes one batch).
fn arrow_select_concat(batches: &[arrow_array::RecordBatch]) -> arrow_array::RecordBatch {
    assert_eq!(batches.len(), 1, "one batch for a small file");
    batches[0].clone()
}

#[test]
fn a_file_that_is_not_parquet_is_named() {
    let dir = scratch("bad");
    let bad = dir.join("bad.parquet");
    std::fs::write(&bad, b"PAR1 this is not a parquet file").unwrap();
    let o = run(&["audit", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.parquet") && err.contains("Parquet"),
        "{err}"
    );
    let o = run(&[
        "snapshot",
        "data/vastai/vast_offers_A100SXM4_fieldsubset.json",
        "--format",
        "parquet",
    ]);
    assert_eq!(o.status.code(), Some(2), "binary output needs -o");
    let _ = std::fs::remove_dir_all(&dir);
}
