//! Parquet export of a snapshot (cargo feature `parquet`): the generic
//! CSV's rows with typed columns, plus what rackaudit resolved and checked
//! (`operator_id`, `passing`, `active`). Reading is `sources::parquet`.

use crate::error::{Error, Result};
use crate::model::Snapshot;
use crate::sources::generic_csv::{unguard, write_csv};
use crate::sources::parquet::{DERIVED_COLUMNS, Kind, column, data_type, kind};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use std::sync::Arc;

fn write_error(location: &str, e: impl std::fmt::Display) -> Error {
    Error::Usage(format!("{location}: cannot write Parquet: {e}"))
}

/// The rows of the generic CSV of `s` and, per row, its derived cells.
fn rows(s: &Snapshot) -> (Vec<String>, Vec<Vec<String>>) {
    let csv = write_csv(s);
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

/// The derived cells of every provider: operator id, and which of its GPU
/// models pass the default supply checks (`None`: the whole provider is
/// removed), and whether it counts in voting power.
struct Derived {
    operator: Vec<String>,
    passing_models: std::collections::HashMap<String, Option<Vec<String>>>,
}

fn derived(s: &Snapshot) -> Derived {
    let resolution = crate::entities::resolve(&s.providers, &Default::default());
    let operator = (0..s.providers.len())
        .map(|i| resolution.operator_of(i).id.clone())
        .collect();
    let checks = crate::supply::SupplyOptions::default();
    let checked = crate::pipeline::check_supply(s, Some(&checks));
    let mut passing_models: std::collections::HashMap<String, Option<Vec<String>>> = s
        .providers
        .iter()
        .map(|p| (p.id.to_string(), None))
        .collect();
    for p in &checked.passing.providers {
        let models = p
            .gpus
            .iter()
            .map(|g| {
                g.raw_model
                    .clone()
                    .or(g.model.clone())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        passing_models.insert(p.id.to_string(), Some(models));
    }
    Derived {
        operator,
        passing_models,
    }
}

/// Writes `s` as one Parquet file (Snappy-compressed, one row group per
/// million rows).
pub fn write(s: &Snapshot, location: &str) -> Result<Vec<u8>> {
    let (header, rows) = rows(s);
    let d = derived(s);
    let index = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (id_col, model_col, active_col) = (
        index("provider_id"),
        index("gpu_model"),
        index("active_set"),
    );
    // Rows follow the providers in order, so the provider of each row is
    // found by walking both.
    let position: std::collections::HashMap<&str, usize> = s
        .providers
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let mut operator_id = Vec::with_capacity(rows.len());
    let mut passing = Vec::with_capacity(rows.len());
    let mut active = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = unguard(&row[id_col]);
        let i = position[id];
        operator_id.push(d.operator[i].clone());
        let model = unguard(&row[model_col]);
        let pass = match &d.passing_models[id] {
            None => false,
            Some(models) => model.is_empty() || models.iter().any(|m| m == model),
        };
        passing.push(pass.to_string());
        active.push((row[active_col] != "false").to_string());
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (c, name) in header.iter().enumerate() {
        let k = kind(name);
        let cells: Vec<String> = rows.iter().map(|r| r[c].clone()).collect();
        fields.push(Field::new(name, data_type(k), true));
        arrays.push(column(k, &cells));
    }
    for (name, cells) in DERIVED_COLUMNS.iter().zip([operator_id, passing, active]) {
        let k = kind(name);
        fields.push(Field::new(*name, data_type(k), k == Kind::Text));
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
