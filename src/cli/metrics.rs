//! `rackaudit metrics`: numbers in, every concentration metric out, with
//! the conventions of the Edinburgh Decentralization Index.
//!
//! The numbers are a JSON array or one per line, one column of a CSV file
//! (`--column`), or one field of a JSON array of objects or of JSON Lines
//! (`--field`). The output is one JSON object (the default, unchanged since
//! the first release), or a metric/value table (`--format table|csv|md`)
//! in which keyed metrics are one row per key: `tau_index[0.33]`,
//! `concentration_ratio[3]`, `renyi_entropy[2]`,
//! `effective_entities[shannon]`.
//!
//! Examples:
//!   echo '[40, 30, 20, 10]' | rackaudit metrics
//!   rackaudit metrics stakes.txt --tau 0.33,0.5,0.66 --top 1,5 --alpha 0,2,inf
//!   rackaudit metrics validators.csv --column stake --format table
//!   rackaudit metrics nodes.jsonl --field stake.total --format csv -o metrics.csv

use super::Format;
use crate::error::{Error, Result};
use crate::metrics::{Summary, Weights};
use crate::report::escape::{csv_cell, markdown, terminal};
use crate::sources::numbers::{parse_column, parse_field, parse_numbers};
use crate::sources::{Input, read_bytes};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;

const LONG_EXAMPLES: &str = "Inputs:
  without --column or --field: a JSON array of numbers ([40, 30, \"20\"]) or
  one number per line (blank lines and # comments skipped).
  --column NAME: one column of a CSV file (a .tsv file is tab-separated).
  The first row is the header when it has a cell NAME; otherwise NAME may
  be a 1-based position, as with `cut -f` (--column 3), and the first row
  is a header only when its cell there is not a number.
  --field NAME: one field of a JSON array of objects ([{\"stake\": 5}, …])
  or of JSON Lines (one object per line). A dotted path reaches into
  nested objects (--field stake.total).

Every value must be a non-negative finite number. An empty cell, a null
or a missing field is an error naming the line or JSON path, unless
--skip-empty leaves such records out (their count and the first of them
are printed on standard error): a missing value is not a zero.

Output: one JSON object by default (byte-identical to earlier releases);
--format table, csv or md gives one row per metric, keyed metrics as one
row per key (tau_index[0.33], concentration_ratio[1],
effective_entities[shannon]); n/a (empty in CSV) where a metric is
undefined (no weight at all).

Examples:
  echo '[40, 30, 20, 10]' | rackaudit metrics
  echo '[40, 30, 20, 10]' | rackaudit metrics --tau '1/3,1/2,>2/3' --top 1,2
  rackaudit metrics data/akash/community_gpu_testnet_2023.generic.csv \\
      --column gpu_count --format table
  rackaudit metrics data/akash/community_gpu_testnet_2023.generic.csv \\
      --column 11 --skip-empty --format csv -o metrics.csv
  echo '[{\"stake\": {\"total\": 5}}, {\"stake\": {\"total\": 3}}]' \\
      | rackaudit metrics --field stake.total --format md";

#[derive(Debug, Args)]
#[command(after_long_help = LONG_EXAMPLES)]
pub struct MetricsArgs {
    /// File of non-negative numbers (`-` or nothing for standard input): a
    /// JSON array or one number per line; with --column a CSV file, with
    /// --field JSON objects.
    pub input: Option<String>,
    /// Read this CSV column: a header name, or a 1-based position (`3`,
    /// as with `cut -f`) when no header cell has that name.
    #[arg(long, value_name = "NAME", conflicts_with = "field")]
    pub column: Option<String>,
    /// Read this field of every object of a JSON array or of JSON Lines; a
    /// dotted path (`stake.total`) reaches into nested objects.
    #[arg(long, value_name = "NAME")]
    pub field: Option<String>,
    /// Leave out records whose cell is empty or whose field is null or
    /// missing (noted on standard error) instead of stopping with an error.
    #[arg(long)]
    pub skip_empty: bool,
    /// Output format: json (the default), table, csv or md.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Same as `--format json`, the default (for scripts that pass it to
    /// every command).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub metric: super::MetricParams,
}

pub fn run(args: MetricsArgs) -> Result<()> {
    let params = args.metric.params()?;
    if args.skip_empty && args.column.is_none() && args.field.is_none() {
        return Err(Error::Usage(
            "--skip-empty needs --column or --field (a plain list has no empty cells)".into(),
        ));
    }
    let location = args.input.as_deref().unwrap_or("-");
    let bytes = read_bytes(location)?;
    let text = Input {
        location,
        bytes: &bytes,
    }
    .text()?;
    let looks_json = matches!(
        text.trim_start_matches('\u{feff}')
            .trim_start()
            .as_bytes()
            .first(),
        Some(b'[' | b'{')
    );
    let picked = match (&args.column, &args.field) {
        (Some(_), _) if looks_json => {
            return Err(Error::input(location, None, None, "is JSON, not CSV")
                .with_hint("read a field of JSON objects with --field NAME"));
        }
        (Some(column), _) => {
            let tab = location.to_ascii_lowercase().ends_with(".tsv");
            Some(parse_column(
                location,
                text,
                column,
                if tab { b'\t' } else { b',' },
                args.skip_empty,
            )?)
        }
        (None, Some(field)) => Some(parse_field(location, text, field, args.skip_empty)?),
        (None, None) => None,
    };
    let values = match picked {
        None => parse_numbers(location, text)?,
        Some(p) => {
            if let Some(first) = p.skipped.first() {
                eprintln!(
                    "rackaudit metrics: {}: skipped {} record{} with an empty value (first: {})",
                    terminal(location),
                    p.skipped.len(),
                    if p.skipped.len() == 1 { "" } else { "s" },
                    terminal(first)
                );
            }
            p.values
        }
    };
    let weights = Weights::from_vec(values).expect("the parsers checked every value");
    let summary = Summary::compute(&weights, &params);
    let out = match args.format {
        Format::Json => {
            let mut out = serde_json::to_vec_pretty(&summary).expect("summaries serialize");
            out.push(b'\n');
            out
        }
        Format::Table => table(&rows(&summary)).into_bytes(),
        Format::Csv => csv(&rows(&summary)),
        Format::Md => md(&rows(&summary)).into_bytes(),
    };
    super::emit(args.output.as_deref(), &out)
}

/// A metric's value as JSON writes it (`None` for null).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Count(usize),
    Real(f64),
}

/// One row per metric, keyed metrics one row per key (`tau_index[0.33]`),
/// in the JSON object's order.
fn rows(s: &Summary) -> Vec<(String, Option<Cell>)> {
    let mut out: Vec<(String, Option<Cell>)> = Vec::new();
    let real = |x: Option<f64>| x.map(Cell::Real);
    let count = |x: Option<usize>| x.map(Cell::Count);
    out.push(("total_entities".into(), Some(Cell::Count(s.total_entities))));
    out.push(("nakamoto_coefficient".into(), count(s.nakamoto_coefficient)));
    for (k, v) in &s.tau_index.0 {
        out.push((format!("tau_index[{k}]"), count(*v)));
    }
    for (k, v) in &s.concentration_ratio.0 {
        out.push((format!("concentration_ratio[{k}]"), real(*v)));
    }
    out.push(("max_share".into(), real(s.max_share)));
    out.push(("hhi".into(), real(s.hhi)));
    out.push(("gini".into(), real(s.gini)));
    out.push(("shannon_entropy".into(), real(s.shannon_entropy)));
    out.push(("min_entropy".into(), real(s.min_entropy)));
    for (k, v) in &s.renyi_entropy.0 {
        out.push((format!("renyi_entropy[{k}]"), real(*v)));
    }
    out.push(("entropy_percentage".into(), real(s.entropy_percentage)));
    out.push(("theil_index".into(), real(s.theil_index)));
    let e = s.effective_entities.as_ref();
    out.push((
        "effective_entities[shannon]".into(),
        real(e.map(|e| e.shannon)),
    ));
    out.push((
        "effective_entities[inverse_hhi]".into(),
        real(e.map(|e| e.inverse_hhi)),
    ));
    out
}

/// Full precision, as JSON writes the number (CSV).
fn exact(c: Option<Cell>) -> String {
    match c {
        None => String::new(),
        Some(Cell::Count(n)) => n.to_string(),
        Some(Cell::Real(x)) => {
            serde_json::Number::from_f64(x).map_or(String::new(), |n| n.to_string())
        }
    }
}

/// Rounded for reading (tables): whole numbers as such, others to 4
/// decimals; n/a, never blank, when undefined.
fn shown(c: Option<Cell>) -> String {
    match c {
        None => "n/a".into(),
        Some(Cell::Count(n)) => n.to_string(),
        Some(Cell::Real(x)) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(Cell::Real(x)) => format!("{x:.4}"),
    }
}

fn table(rows: &[(String, Option<Cell>)]) -> String {
    let values: Vec<String> = rows.iter().map(|(_, v)| shown(*v)).collect();
    let w_name = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0).max(6);
    let w_value = values.iter().map(String::len).max().unwrap_or(0).max(5);
    let mut out = format!("{:<w_name$}  {:>w_value$}\n", "metric", "value");
    for ((name, _), value) in rows.iter().zip(&values) {
        let _ = writeln!(out, "{name:<w_name$}  {value:>w_value$}");
    }
    out
}

fn csv(rows: &[(String, Option<Cell>)]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["metric", "value"]);
    for (name, value) in rows {
        let _ = w.write_record([csv_cell(name), exact(*value)]);
    }
    w.into_inner().unwrap_or_default()
}

fn md(rows: &[(String, Option<Cell>)]) -> String {
    let mut out = String::from("| metric | value |\n|---|---:|\n");
    for (name, value) in rows {
        let _ = writeln!(out, "| {} | {} |", markdown(name), shown(*value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_json_object() {
        let w = Weights::from_vec(vec![40.0, 30.0, 20.0, 10.0]).unwrap();
        let s = Summary::compute(&w, &Default::default());
        let r = rows(&s);
        let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "total_entities",
                "nakamoto_coefficient",
                "tau_index[0.33]",
                "tau_index[0.66]",
                "concentration_ratio[1]",
                "concentration_ratio[3]",
                "max_share",
                "hhi",
                "gini",
                "shannon_entropy",
                "min_entropy",
                "renyi_entropy[0]",
                "renyi_entropy[2]",
                "entropy_percentage",
                "theil_index",
                "effective_entities[shannon]",
                "effective_entities[inverse_hhi]",
            ]
        );
        let text = String::from_utf8(csv(&r)).unwrap();
        assert!(
            text.starts_with("metric,value\ntotal_entities,4\nnakamoto_coefficient,2\n"),
            "{text}"
        );
        assert!(text.contains("\nhhi,3000.0\n"), "{text}");
        let t = table(&r);
        assert!(
            t.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["hhi", "3000"]),
            "{t}"
        );
        let empty = rows(&Summary::compute(
            &Weights::from_vec(vec![]).unwrap(),
            &Default::default(),
        ));
        assert!(md(&empty).contains("| nakamoto\\_coefficient | n/a |"));
        assert!(String::from_utf8(csv(&empty)).unwrap().contains("\nhhi,\n"));
    }
}
