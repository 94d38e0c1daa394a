//! Parquet export of a snapshot (cargo feature `parquet`): the generic
//! CSV's rows with typed columns, plus what rackaudit resolved and checked
//! (`sources::parquet::DERIVED_COLUMNS`), as one file or as one partition
//! of a Hive-partitioned lake. Reading is `sources::parquet`.

use crate::entities::Resolution;
use crate::error::{Error, Result};
use crate::model::Snapshot;
use crate::sources::generic_csv::{row_sources, write_csv_resolved};
use crate::sources::hive::PARTITION_COLUMNS;
use crate::sources::parquet::{DERIVED_COLUMNS, column, data_type, kind};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use std::sync::Arc;

fn write_error(location: &str, e: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{location}: cannot write Parquet: {e}"))
}

/// The header and rows of the generic CSV of `s`.
fn rows(s: &Snapshot, resolution: &Resolution) -> (Vec<String>, Vec<Vec<String>>) {
    let csv = write_csv_resolved(s, resolution);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("the generic CSV has a header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.expect("the generic CSV reads back")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, rows)
}

/// The derived cells of every row: the resolved operator, whether the row
/// survives the default supply checks, whether its provider counts in
/// voting power, and the resolved cloud, GPU vendor, GPU model and FP16
/// figure the audit uses (so an engine without rackaudit's catalogues
/// groups and weighs exactly as the audit does).
fn derived(s: &Snapshot, resolution: &Resolution) -> [Vec<String>; DERIVED_COLUMNS.len()] {
    let checks = crate::supply::SupplyOptions::default();
    let checked = crate::pipeline::check_supply(s, Some(&checks));
    // Per passing provider, the raw names of its GPU models that pass; a
    // provider the checks removed whole is absent.
    let mut passing_models: std::collections::HashMap<&str, Vec<String>> =
        std::collections::HashMap::new();
    for p in &checked.passing.providers {
        let models = p.gpus.iter().map(|g| raw_model(g).to_string()).collect();
        passing_models.insert(p.id.as_str(), models);
    }
    let text = |v: Option<&str>| v.unwrap_or_default().to_string();
    let mut cells: [Vec<String>; DERIVED_COLUMNS.len()] = Default::default();
    for row in row_sources(s) {
        let p = &s.providers[row.provider];
        let group = row.group.map(|r| &p.gpus[r.group]);
        let passing = passing_models
            .get(p.id.as_str())
            .is_some_and(|models| group.is_none_or(|g| models.iter().any(|m| m == raw_model(g))));
        let cloud = crate::cloud::resolve(p.cloud.as_deref(), p.asn).map(|c| c.name);
        let values = [
            resolution.operator_of(row.provider).id.clone(),
            passing.to_string(),
            (p.active_set != Some(false)).to_string(),
            text(cloud.as_deref()),
            text(group.and_then(|g| g.vendor.as_deref())),
            text(group.and_then(|g| g.model.as_deref())),
            group
                .and_then(|g| g.tflops_fp16)
                .map(|x| x.to_string())
                .unwrap_or_default(),
        ];
        for (column, value) in cells.iter_mut().zip(values) {
            column.push(value);
        }
    }
    cells
}

/// The model name a row of the generic CSV carries for a group.
fn raw_model(g: &crate::model::GpuGroup) -> &str {
    g.raw_model
        .as_deref()
        .or(g.model.as_deref())
        .unwrap_or_default()
}

/// Which columns a Parquet file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every column: a file that stands alone.
    Standalone,
    /// Without `network` and `taken_at`, which the file's Hive partition
    /// directories (`network=…/taken_at=…`) hold instead: an engine that
    /// reads the lake would otherwise see each twice.
    Partitioned,
}

/// Writes `s` as one Parquet file (Snappy-compressed, one row group).
pub fn write(s: &Snapshot, location: &str, layout: Layout) -> Result<Vec<u8>> {
    // Resolved once: the CSV's `operator` cells and `operator_id` both
    // come from it.
    let resolution = crate::entities::resolve(&s.providers, &Default::default());
    let (header, rows) = rows(s, &resolution);
    let derived = derived(s, &resolution);
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (c, name) in header.iter().enumerate() {
        if layout == Layout::Partitioned && PARTITION_COLUMNS.contains(&name.as_str()) {
            continue;
        }
        let k = kind(name);
        let cells: Vec<String> = rows.iter().map(|r| r[c].clone()).collect();
        fields.push(Field::new(name, data_type(k), true));
        arrays.push(column(k, &cells));
    }
    for (name, cells) in DERIVED_COLUMNS.iter().zip(derived) {
        let k = kind(name);
        fields.push(Field::new(*name, data_type(k), true));
        arrays.push(column(k, &cells));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch =
        RecordBatch::try_new(schema.clone(), arrays).map_err(|e| write_error(location, e))?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_created_by(format!("rackaudit {}", crate::TOOL_VERSION))
        .build();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, Some(props))
        .map_err(|e| write_error(location, e))?;
    w.write(&batch).map_err(|e| write_error(location, e))?;
    w.close().map_err(|e| write_error(location, e))?;
    Ok(out)
}
