//! Reading Parquet snapshots (cargo feature `parquet`; the writer is
//! `report::parquet`): one row per provider × GPU
//! group or ask, every column of the generic CSV with its type (whole
//! numbers, decimals, flags, text), plus what rackaudit resolved and checked
//! ([`DERIVED_COLUMNS`]).
//!
//! Parquet is for engines that read columns (Spark, DataFusion, DuckDB,
//! pandas). Reading a file back goes through the generic-CSV reader, so it
//! gives the same audit as the snapshot it came from, exactly as the CSV
//! does; the added columns are left out on the way back (they are
//! derived, and rackaudit derives them again). A file of a Hive-partitioned
//! lake (`…/network=…/taken_at=…/part-0.parquet`) carries its network and
//! time in its directory names, and they are read from there.

use crate::error::{Error, Result};
use arrow_array::builder::{BooleanBuilder, Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, StringArray};
use arrow_schema::DataType;
use std::sync::Arc;

/// The first bytes of every Parquet file.
pub const MAGIC: &[u8] = b"PAR1";

/// Columns that rackaudit adds to the generic CSV's, in order:
/// - `operator_id`: the operator the audit counts the provider under (its
///   own id when nothing links it), default resolution options;
/// - `passing`: the row survives the default error-level supply checks;
/// - `active`: the provider counts in voting power (not outside an active
///   set);
/// - `cloud_resolved`: the cloud the audit attributes the provider to, from
///   the declared cloud or the ASN (empty: unknown);
/// - `gpu_vendor_resolved`, `gpu_model_resolved`: the vendor and normalized
///   model id the audit groups the row's GPUs under (empty: unknown);
/// - `gpu_fp16_tflops`: dense FP16 TFLOPS per GPU from the bundled
///   catalogue (empty: unknown).
pub const DERIVED_COLUMNS: [&str; 7] = [
    "operator_id",
    "passing",
    "active",
    "cloud_resolved",
    "gpu_vendor_resolved",
    "gpu_model_resolved",
    "gpu_fp16_tflops",
];

/// The Parquet type of a generic-CSV column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Whole,
    Decimal,
    Flag,
}

pub(crate) fn kind(column: &str) -> Kind {
    match column {
        "asn" | "gpu_count" | "nodes" | "gpus_leased" | "gpus_offered" => Kind::Whole,
        "gpu_memory_gb" | "uptime" | "price_per_gpu_hour" | "stake" | "emission"
        | "invalid_gpu_total" | "cpu_cores" | "memory_gb" | "storage_gb" | "gpu_fp16_tflops" => {
            Kind::Decimal
        }
        "online" | "active_set" | "in_datacenter" | "passing" | "active" => Kind::Flag,
        _ => Kind::Text,
    }
}

pub(crate) fn data_type(k: Kind) -> DataType {
    match k {
        Kind::Text => DataType::Utf8,
        Kind::Whole => DataType::UInt64,
        Kind::Decimal => DataType::Float64,
        Kind::Flag => DataType::Boolean,
    }
}

/// One column of text cells (as the generic CSV writes them, guards
/// removed) as an Arrow array of its type; an empty cell is null.
pub(crate) fn column(k: Kind, cells: &[String]) -> ArrayRef {
    match k {
        Kind::Text => {
            let mut b = StringBuilder::new();
            for c in cells {
                b.append_option((!c.is_empty()).then(|| super::generic_csv::unguard(c)));
            }
            Arc::new(b.finish())
        }
        Kind::Whole => {
            let mut b = UInt64Builder::new();
            for c in cells {
                b.append_option(c.parse().ok());
            }
            Arc::new(b.finish())
        }
        Kind::Decimal => {
            let mut b = Float64Builder::new();
            for c in cells {
                b.append_option(c.parse().ok());
            }
            Arc::new(b.finish())
        }
        Kind::Flag => {
            let mut b = BooleanBuilder::new();
            for c in cells {
                b.append_option(c.parse().ok());
            }
            Arc::new(b.finish())
        }
    }
}

fn read_error(location: &str, what: String) -> Error {
    Error::input(location, None, None, &what)
}

/// The text cell of row `i` of an Arrow column, as the generic CSV writes
/// it (guarded text, `to_string` numbers, `true`/`false`; empty for null).
fn cell(a: &dyn Array, i: usize) -> Option<String> {
    if a.is_null(i) {
        return Some(String::new());
    }
    let any = a.as_any();
    if let Some(s) = any.downcast_ref::<StringArray>() {
        return Some(super::generic_csv::guard(s.value(i)));
    }
    if let Some(n) = any.downcast_ref::<arrow_array::UInt64Array>() {
        return Some(n.value(i).to_string());
    }
    if let Some(n) = any.downcast_ref::<arrow_array::Int64Array>() {
        return Some(n.value(i).to_string());
    }
    if let Some(x) = any.downcast_ref::<Float64Array>() {
        return Some(x.value(i).to_string());
    }
    if let Some(b) = any.downcast_ref::<BooleanArray>() {
        return Some(b.value(i).to_string());
    }
    None
}

/// A Parquet file as generic CSV (the derived columns left out), for the
/// generic-CSV reader.
pub fn to_csv(location: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::copy_from_slice(bytes),
    )
    .map_err(|e| read_error(location, format!("is not a readable Parquet file: {e}")))?
    .build()
    .map_err(|e| read_error(location, format!("is not a readable Parquet file: {e}")))?;
    let partitions = super::hive::partition_values(location);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header_written = false;
    let mut row_number = 0usize;
    for batch in reader {
        let batch =
            batch.map_err(|e| read_error(location, format!("cannot read a row group: {e}")))?;
        let schema = batch.schema();
        let kept: Vec<usize> = (0..batch.num_columns())
            .filter(|c| !DERIVED_COLUMNS.contains(&schema.field(*c).name().as_str()))
            .collect();
        // A lake file's network and time live in its directory names.
        let from_path: Vec<&(&str, String)> = partitions
            .iter()
            .filter(|(c, _)| schema.column_with_name(c).is_none())
            .collect();
        if !header_written {
            let names: Vec<&str> = kept
                .iter()
                .map(|c| schema.field(*c).name().as_str())
                .chain(from_path.iter().map(|(c, _)| *c))
                .collect();
            let _ = w.write_record(&names);
            header_written = true;
        }
        for r in 0..batch.num_rows() {
            row_number += 1;
            let mut record = Vec::with_capacity(kept.len());
            for c in &kept {
                let value = cell(batch.column(*c).as_ref(), r).ok_or_else(|| {
                    Error::input(
                        location,
                        Some(format!("row {row_number}")),
                        Some(schema.field(*c).name()),
                        format!(
                            "has Parquet type {}; rackaudit reads text, whole numbers, decimals and flags",
                            schema.field(*c).data_type()
                        ),
                    )
                })?;
                record.push(value);
            }
            record.extend(from_path.iter().map(|(_, v)| super::generic_csv::guard(v)));
            let _ = w.write_record(&record);
        }
    }
    w.into_inner()
        .map_err(|e| read_error(location, format!("cannot convert: {e}")))
}

#[cfg(test)]
mod tests {
    use crate::bundled::{BUNDLED, read_bundled};

    #[test]
    fn every_bundled_snapshot_reads_back_to_the_same_audit() {
        let opts = crate::audit::AuditOptions::default();
        for b in BUNDLED {
            let (s, _) = read_bundled(b).unwrap();
            let bytes = crate::report::parquet::write(
                &s,
                b.path,
                crate::report::parquet::Layout::Standalone,
            )
            .unwrap();
            assert!(bytes.starts_with(super::MAGIC));
            let back = crate::sources::read(
                &crate::sources::Input {
                    location: "back.parquet",
                    bytes: &bytes,
                },
                None,
            )
            .unwrap();
            let csv = crate::sources::generic_csv::write_csv(&s);
            let via_csv = crate::sources::read(
                &crate::sources::Input {
                    location: "back.csv",
                    bytes: &csv,
                },
                None,
            )
            .unwrap();
            let audit = |s: &crate::model::Snapshot| {
                let mut a = serde_json::to_value(crate::pipeline::audit(s, &opts)).unwrap();
                for k in ["input_sha256", "adapter", "location"] {
                    a[k] = serde_json::Value::Null;
                }
                a
            };
            assert_eq!(audit(&back), audit(&via_csv), "{}", b.path);
        }
    }
}
