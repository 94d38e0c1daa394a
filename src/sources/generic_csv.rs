//! The generic CSV format: rows of provider and GPU model (several rows of
//! one model, e.g. one per machine, are summed), fillable by hand or by a
//! script for any network. Large files are streamed ([`read_rows`]).
//!
//! Header (columns in any order, all present):
//! `provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake`.
//! Optional provider-level columns, for the supply checks: `ip`,
//! `hostname`, `nodes`, `gpus_leased`, `online`, `last_seen` (RFC 3339),
//! `declared_country` (beside an IP-derived `country`), `fingerprint` and
//! `active_set` (false: a jailed or unbonded validator, no voting power).
//! Every column but `provider_id` may be empty. Rows sharing a
//! `provider_id` are one provider: their provider-level fields must agree
//! (or be empty). Rows are folded into their provider's GPU group of the
//! same model while reading, so memory grows with providers and models,
//! not rows.

use super::{Adapter, Content, Input};
use crate::error::{Error, Result};
use crate::model::gpu::GpuGroup;
use crate::model::{KeyKind, Price, Provider, Snapshot, Source, Uptime, geo, gpu};
use std::collections::HashMap;

/// The columns, in the documented order.
pub const COLUMNS: [&str; 15] = [
    "provider_id",
    "operator",
    "name",
    "country",
    "region",
    "asn",
    "cloud",
    "datacenter",
    "gpu_vendor",
    "gpu_model",
    "gpu_count",
    "gpu_memory_gb",
    "uptime",
    "price_per_gpu_hour",
    "stake",
];

/// Adapter for the generic CSV format.
pub struct GenericCsv;

impl Adapter for GenericCsv {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn describe(&self) -> &'static str {
        "generic CSV with header provider_id,operator,…,stake"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        match content {
            Content::Text(t) => t.lines().next().is_some_and(is_header),
            Content::Json(_) => false,
        }
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let Content::Text(text) = content else {
            return Err(Error::input(input.location, None, None, "is JSON, not CSV")
                .with_hint("drop --source csv to detect the format"));
        };
        read_csv(input, text)
    }
}

/// Optional provider-level columns, read when the header has them.
pub const OPTIONAL_COLUMNS: [&str; 9] = [
    "ip",
    "hostname",
    "nodes",
    "gpus_leased",
    "online",
    "last_seen",
    "declared_country",
    "fingerprint",
    "active_set",
];

/// Whether a first line looks like a generic-CSV header.
pub fn is_header(line: &str) -> bool {
    let line = line.trim_start_matches('\u{feff}');
    line.starts_with("provider_id") || line.contains(",provider_id")
}

/// Positions of the columns in the file's header.
struct Header {
    index: [usize; 15],
    optional: [Option<usize>; 9],
}

impl Header {
    fn parse(file: &str, record: &csv::StringRecord) -> Result<Self> {
        let names: Vec<&str> = record
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}'))
            .collect();
        let at = || Some("line 1 (header)".to_string());
        let known = |n: &&str| COLUMNS.contains(n) || OPTIONAL_COLUMNS.contains(n);
        if let Some(extra) = names.iter().find(|n| !known(n)) {
            return Err(Error::input(
                file,
                at(),
                Some(extra),
                "is not a column of the generic CSV format",
            )
            .with_hint(format!(
                "the header is: {} (optional: {})",
                COLUMNS.join(","),
                OPTIONAL_COLUMNS.join(",")
            )));
        }
        let mut index = [0; 15];
        for (slot, column) in index.iter_mut().zip(COLUMNS) {
            *slot = names.iter().position(|n| *n == column).ok_or_else(|| {
                Error::input(file, at(), Some(column), "column is missing")
                    .with_hint(format!("the header is: {}", COLUMNS.join(",")))
            })?;
        }
        let optional = OPTIONAL_COLUMNS.map(|c| names.iter().position(|n| *n == c));
        Ok(Self { index, optional })
    }
}

/// One data row, with its line number for messages.
struct Row<'r> {
    file: &'r str,
    line: u64,
    record: &'r csv::StringRecord,
    header: &'r Header,
}

impl Row<'_> {
    fn get(&self, column: usize) -> Option<&str> {
        self.record
            .get(self.header.index[column])
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn err(&self, column: usize, message: impl Into<String>) -> Error {
        self.err_in(COLUMNS[column], message)
    }

    fn err_in(&self, column: &str, message: impl Into<String>) -> Error {
        Error::input(
            self.file,
            Some(format!("line {}", self.line)),
            Some(column),
            message,
        )
    }

    /// An optional column's value (`None` when absent or empty).
    fn optional(&self, k: usize) -> Option<&str> {
        self.header.optional[k]
            .and_then(|i| self.record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn number(&self, column: usize, hint: &str) -> Result<Option<f64>> {
        let Some(text) = self.get(column) else {
            return Ok(None);
        };
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x + 0.0)),
            _ => Err(self
                .err(column, format!("`{text}` is not a non-negative number"))
                .with_hint(hint)),
        }
    }
}

const C_ID: usize = 0;
const C_OPERATOR: usize = 1;
const C_NAME: usize = 2;
const C_COUNTRY: usize = 3;
const C_REGION: usize = 4;
const C_ASN: usize = 5;
const C_CLOUD: usize = 6;
const C_DATACENTER: usize = 7;
const C_GPU_VENDOR: usize = 8;
const C_GPU_MODEL: usize = 9;
const C_GPU_COUNT: usize = 10;
const C_GPU_MEMORY: usize = 11;
const C_UPTIME: usize = 12;
const C_PRICE: usize = 13;
const C_STAKE: usize = 14;

fn read_csv(input: &Input<'_>, text: &str) -> Result<Snapshot> {
    let mut snapshot = read_rows(input.location, text.as_bytes())?;
    snapshot.input_sha256 = input.sha256();
    Ok(snapshot)
}

/// Reads a generic CSV from a stream in bounded memory: rows are folded
/// into their provider as they are read, so memory grows with providers,
/// GPU models per provider and distinct prices, not with rows. The
/// snapshot's `input_sha256` is left empty for the caller to fill.
pub fn read_rows<R: std::io::Read>(file: &str, source: R) -> Result<Snapshot> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(source);
    let mut record = csv::StringRecord::new();
    let mut read_next = |record: &mut csv::StringRecord| {
        reader.read_record(record).map_err(|e| csv_error(file, &e))
    };
    if !read_next(&mut record)? {
        return Err(Error::input(file, None, None, "has no header line"));
    }
    let header = Header::parse(file, &record)?;
    let mut providers: Vec<Provider> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut listings: Vec<Listings> = Vec::new();
    let mut templates = Templates::default();
    while read_next(&mut record)? {
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let row = Row {
            file,
            line,
            record: &record,
            header: &header,
        };
        let id = row.get(C_ID).ok_or_else(|| {
            row.err(C_ID, "is empty")
                .with_hint("every row needs a provider_id")
        })?;
        let index = match by_id.get(id) {
            Some(i) => *i,
            None => {
                by_id.insert(id.to_string(), providers.len());
                providers.push(Provider::new(id));
                listings.push(Listings::default());
                providers.len() - 1
            }
        };
        merge_row(
            &mut providers[index],
            &mut listings[index],
            &mut templates,
            &row,
        )?;
    }
    let mut snapshot = Snapshot::new(
        "generic",
        Source {
            adapter: "csv".into(),
            location: file.to_string(),
            note: None,
        },
        String::new(),
    );
    snapshot.providers = providers;
    Ok(snapshot)
}

/// The GPU rows of one provider seen so far, to fold rows of one model into
/// one group and to recognise a row repeated identically (a duplicate
/// listing) without keeping every row.
#[derive(Default)]
struct Listings {
    /// (template, group index): which group of the provider holds a model.
    groups: Vec<(usize, usize)>,
    /// (group index, count, price bits) of rows seen; a few per group.
    seen: Vec<(usize, u64, Option<u64>)>,
}

/// Normalized GPU groups (count 0) per distinct (model, vendor, memory)
/// text, so each distinct model is normalized once per file, not per row.
#[derive(Default)]
struct Templates {
    index: HashMap<String, usize>,
    groups: Vec<GpuGroup>,
}

impl Templates {
    fn get(&mut self, model: Option<&str>, vendor: Option<&str>, memory: Option<f64>) -> usize {
        let key = format!(
            "{}\u{1f}{}\u{1f}{:?}",
            model.unwrap_or(""),
            vendor.unwrap_or(""),
            memory.map(f64::to_bits)
        );
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let group = match model {
            Some(m) => gpu::normalize(m, vendor, memory, 0),
            None => GpuGroup {
                memory_gb: memory,
                ..gpu::unnamed(vendor, 0)
            },
        };
        self.groups.push(group);
        self.index.insert(key, self.groups.len() - 1);
        self.groups.len() - 1
    }
}

/// Most rows remembered per GPU group for duplicate detection.
const ROWS_REMEMBERED_PER_GROUP: usize = 16;

fn csv_error(file: &str, e: &csv::Error) -> Error {
    let line = e.position().map(|p| format!("line {}", p.line()));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields, but the header has {expected_len}")
        }
        _ => format!("cannot be read as CSV: {e}"),
    };
    Error::input(file, line, None, message).with_hint("quote fields that contain commas")
}

/// Sets a provider-level field from a row, refusing conflicting values.
fn set_field<T: PartialEq + std::fmt::Debug>(
    slot: &mut Option<T>,
    value: Option<T>,
    row: &Row<'_>,
    column: usize,
) -> Result<()> {
    match (slot.as_ref(), value) {
        (_, None) => Ok(()),
        (None, Some(v)) => {
            *slot = Some(v);
            Ok(())
        }
        (Some(old), Some(v)) if *old == v => Ok(()),
        (Some(old), Some(v)) => Err(row
            .err(
                column,
                format!("{v:?} conflicts with {old:?} given earlier for this provider"),
            )
            .with_hint("rows of one provider_id must agree on provider-level fields")),
    }
}

fn merge_row(
    p: &mut Provider,
    listings: &mut Listings,
    templates: &mut Templates,
    row: &Row<'_>,
) -> Result<()> {
    let mut declared = p
        .operator_keys
        .iter()
        .find(|k| k.kind == KeyKind::Declared)
        .map(|k| k.value.clone());
    set_field(
        &mut declared,
        row.get(C_OPERATOR).map(str::to_string),
        row,
        C_OPERATOR,
    )?;
    if let Some(op) = declared {
        p.add_key(KeyKind::Declared, op);
    }
    set_field(
        &mut p.name,
        row.get(C_NAME).map(str::to_string),
        row,
        C_NAME,
    )?;
    let country = match row.get(C_COUNTRY) {
        None => None,
        Some(c) => Some(geo::country_code(c).ok_or_else(|| {
            row.err(C_COUNTRY, format!("`{c}` is not a known country"))
                .with_hint("use an ISO 3166-1 alpha-2 code such as US or DE")
        })?),
    };
    set_field(&mut p.country, country, row, C_COUNTRY)?;
    set_field(
        &mut p.region,
        row.get(C_REGION).map(str::to_string),
        row,
        C_REGION,
    )?;
    let asn = match row.get(C_ASN) {
        None => None,
        Some(a) => Some(parse_asn(a).ok_or_else(|| {
            row.err(C_ASN, format!("`{a}` is not an AS number"))
                .with_hint("write the number, e.g. 16509 or AS16509")
        })?),
    };
    set_field(&mut p.asn, asn, row, C_ASN)?;
    set_field(
        &mut p.cloud,
        row.get(C_CLOUD).map(str::to_string),
        row,
        C_CLOUD,
    )?;
    set_field(
        &mut p.datacenter,
        row.get(C_DATACENTER).map(str::to_string),
        row,
        C_DATACENTER,
    )?;
    let uptime = row.number(C_UPTIME, "uptime is a fraction, e.g. 0.995")?;
    if let Some(u) = uptime.filter(|u| *u > 1.0) {
        return Err(row
            .err(C_UPTIME, format!("{u} is outside [0, 1]"))
            .with_hint("uptime is a fraction: write 0.995 for 99.5%"));
    }
    let mut current = p.uptime.as_ref().map(|u| u.value.to_bits());
    set_field(&mut current, uptime.map(f64::to_bits), row, C_UPTIME)?;
    if let Some(u) = uptime {
        p.uptime = Some(Uptime {
            value: u,
            window: "declared".into(),
        });
    }
    let stake = row.number(C_STAKE, "stake is a non-negative amount")?;
    let mut current = p.stake.map(f64::to_bits);
    set_field(&mut current, stake.map(f64::to_bits), row, C_STAKE)?;
    p.stake = p.stake.or(stake);
    merge_optional(p, row)?;
    merge_gpus(p, listings, templates, row)
}

/// Reads one optional column with `parse`, refusing bad or conflicting values.
fn optional_field<T: PartialEq + std::fmt::Debug>(
    slot: &mut Option<T>,
    row: &Row<'_>,
    k: usize,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<()> {
    let name = OPTIONAL_COLUMNS[k];
    let Some(text) = row.optional(k) else {
        return Ok(());
    };
    let value =
        parse(text).ok_or_else(|| row.err_in(name, format!("`{text}` is not {expected}")))?;
    match slot.as_ref() {
        Some(old) if *old != value => Err(row
            .err_in(
                name,
                format!("{value:?} conflicts with {old:?} given earlier for this provider"),
            )
            .with_hint("rows of one provider_id must agree on provider-level fields")),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

fn merge_optional(p: &mut Provider, row: &Row<'_>) -> Result<()> {
    let text = |t: &str| Some(t.to_string());
    let ip = |t: &str| t.parse::<std::net::IpAddr>().ok().map(|_| t.to_string());
    let whole = |t: &str| t.parse::<u64>().ok();
    let flag = |t: &str| match t.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    };
    let time = |t: &str| crate::time::parse_datetime(t).map(|_| t.to_string());
    optional_field(&mut p.ip, row, 0, ip, "an IP address")?;
    optional_field(&mut p.hostname, row, 1, text, "a host name")?;
    optional_field(&mut p.nodes, row, 2, whole, "a whole number of machines")?;
    optional_field(&mut p.gpus_leased, row, 3, whole, "a whole number of GPUs")?;
    optional_field(&mut p.online, row, 4, flag, "true or false")?;
    optional_field(
        &mut p.last_seen,
        row,
        5,
        time,
        "an RFC 3339 time, e.g. 2026-01-15T10:00:00Z",
    )?;
    optional_field(
        &mut p.declared_country,
        row,
        6,
        geo::country_code,
        "a known country",
    )?;
    optional_field(&mut p.fingerprint, row, 7, text, "a fingerprint")?;
    optional_field(&mut p.active_set, row, 8, flag, "true or false")
}

fn merge_gpus(
    p: &mut Provider,
    listings: &mut Listings,
    templates: &mut Templates,
    row: &Row<'_>,
) -> Result<()> {
    let count = gpu_count(row)?;
    let memory = row.number(
        C_GPU_MEMORY,
        "gpu_memory_gb is memory per GPU in GB, e.g. 80",
    )?;
    let price = row.number(
        C_PRICE,
        "price_per_gpu_hour is a non-negative amount, e.g. 1.25",
    )?;
    let model = row.get(C_GPU_MODEL);
    let vendor = row.get(C_GPU_VENDOR);
    let Some(count) = count else {
        if model.is_some() || price.is_some() || memory.is_some() {
            return Err(row
                .err(C_GPU_COUNT, "is empty while other GPU columns are set")
                .with_hint("give the number of GPUs of this model"));
        }
        return Ok(());
    };
    // Rows of one model (same name, vendor and memory) fold into one group.
    let template = templates.get(model, vendor, memory);
    let index = match listings.groups.iter().find(|(t, _)| *t == template) {
        Some(&(_, i)) => i,
        None => {
            p.gpus.push(templates.groups[template].clone());
            listings.groups.push((template, p.gpus.len() - 1));
            p.gpus.len() - 1
        }
    };
    if let Some(price) = price {
        // Rows of one model at one price add their GPUs to one ask; the
        // provider's price for the model is the GPU-weighted mean of its
        // asks, whatever the order of the rows.
        let model = p.gpus[index].model.clone();
        match p
            .prices
            .iter_mut()
            .find(|pr| pr.gpu_model == model && pr.per_gpu_hour.to_bits() == price.to_bits())
        {
            Some(ask) => ask.gpus = Some(ask.gpus.unwrap_or(0).saturating_add(count)),
            None => p.prices.push(Price {
                gpu_model: model,
                per_gpu_hour: price,
                currency: "USD".into(),
                gpus: Some(count),
            }),
        }
    }
    let fingerprint = (index, count, price.map(f64::to_bits));
    let g = &mut p.gpus[index];
    g.count = g.count.saturating_add(count);
    if listings.seen.contains(&fingerprint) {
        // The same row again: counted as claimed, flagged by the supply
        // check `duplicate-listing`, and left out of the passing basis.
        g.duplicated = g.duplicated.saturating_add(count);
    } else if listings.seen.iter().filter(|s| s.0 == index).count() < ROWS_REMEMBERED_PER_GROUP {
        listings.seen.push(fingerprint);
    }
    Ok(())
}

/// The row's GPU count, read exactly: an overflow sentinel such as
/// 18446744073709551615 is kept as claimed for the supply checks to flag.
fn gpu_count(row: &Row<'_>) -> Result<Option<u64>> {
    let Some(text) = row.get(C_GPU_COUNT) else {
        return Ok(None);
    };
    if let Ok(n) = text.parse::<u64>() {
        return Ok(Some(n));
    }
    match row.number(C_GPU_COUNT, "gpu_count is a whole number of GPUs")? {
        Some(c) if c.fract() == 0.0 && c <= u64::MAX as f64 => Ok(Some(c as u64)),
        Some(c) => Err(row.err(C_GPU_COUNT, format!("{c} is not a whole number of GPUs"))),
        None => Ok(None),
    }
}

/// Writes a snapshot as generic CSV (every column, optional ones included):
/// one row per GPU group, provider fields repeated, for spreadsheets and
/// distributed engines (Spark, DataFusion). Reading it back gives the same
/// providers, GPUs, places, prices and stake; operator keys become one
/// declared operator (the strongest key's value), and untrusted text is
/// guarded against spreadsheet formulas.
pub fn write_csv(s: &Snapshot) -> Vec<u8> {
    use crate::report::escape::csv_cell;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = COLUMNS
        .iter()
        .chain(OPTIONAL_COLUMNS.iter())
        .copied()
        .collect();
    let _ = w.write_record(&header);
    let text = |v: &Option<String>| v.as_deref().map(csv_cell).unwrap_or_default();
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for p in &s.providers {
        let provider_fields = |gpu: [String; 6]| {
            let [vendor, model, count, memory, price, _] = gpu;
            vec![
                csv_cell(&p.id),
                p.operator_keys
                    .first()
                    .map(|k| csv_cell(&k.value))
                    .unwrap_or_default(),
                text(&p.name),
                p.country.clone().unwrap_or_default(),
                text(&p.region),
                p.asn.map(|a| a.to_string()).unwrap_or_default(),
                text(&p.cloud),
                text(&p.datacenter),
                vendor,
                model,
                count,
                memory,
                num(p.uptime.as_ref().map(|u| u.value)),
                price,
                num(p.stake),
                text(&p.ip),
                text(&p.hostname),
                p.nodes.map(|n| n.to_string()).unwrap_or_default(),
                p.gpus_leased.map(|n| n.to_string()).unwrap_or_default(),
                p.online.map(|o| o.to_string()).unwrap_or_default(),
                text(&p.last_seen),
                p.declared_country.clone().unwrap_or_default(),
                text(&p.fingerprint),
                p.active_set.map(|a| a.to_string()).unwrap_or_default(),
            ]
        };
        if p.gpus.is_empty() {
            let _ = w.write_record(provider_fields(Default::default()));
        }
        for g in &p.gpus {
            let price = p
                .prices
                .iter()
                .find(|pr| pr.gpu_model == g.model)
                .map(|pr| pr.per_gpu_hour.to_string())
                .unwrap_or_default();
            let _ = w.write_record(provider_fields([
                text(&g.vendor),
                text(&g.raw_model.clone().or(g.model.clone())),
                g.count.to_string(),
                num(g.memory_gb),
                price,
                String::new(),
            ]));
        }
    }
    w.into_inner().unwrap_or_default()
}

/// Parses `16509` or `AS16509`.
pub fn parse_asn(text: &str) -> Option<u32> {
    let t = text.trim();
    let digits = t
        .strip_prefix("AS")
        .or_else(|| t.strip_prefix("as"))
        .unwrap_or(t);
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n";

    fn parse(body: &str) -> Result<Snapshot> {
        read_text(&format!("{HEADER}{body}"))
    }

    fn read_text(text: &str) -> Result<Snapshot> {
        super::super::read(
            &Input {
                location: "t.csv",
                bytes: text.as_bytes(),
            },
            None,
        )
    }

    #[test]
    fn rows_of_one_provider_merge() {
        let s = parse(
            "p1,op,Alpha,US,,AS16509,,,nvidia,H100 SXM,8,80,0.99,2.5,\n\
             p1,,,,,,,,,A100,4,80,,1.2,\n\
             p2,,,de,,,,,,,,,,,100\n",
        )
        .unwrap();
        assert_eq!(s.providers.len(), 2);
        let p1 = &s.providers[0];
        assert_eq!(p1.gpu_count(), 12);
        // Canonical order: groups sorted by model id.
        assert_eq!(p1.gpus[0].model.as_deref(), Some("a100-80gb"));
        assert_eq!(p1.gpus[1].model.as_deref(), Some("h100-80gb"));
        assert_eq!(p1.asn, Some(16509));
        assert_eq!(p1.prices.len(), 2);
        assert_eq!(s.providers[1].country.as_deref(), Some("DE"));
        assert_eq!(s.providers[1].stake, Some(100.0));
    }

    #[test]
    fn optional_columns_feed_the_supply_checks() {
        let text = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake,ip,nodes,gpus_leased,online,last_seen,declared_country\n\
                    p1,,,HR,,,,,,H100,18446744073709551615,80,,,,203.0.113.9,1,3,yes,2026-01-15T10:00:00Z,us\n";
        let s = read_text(text).unwrap();
        let p = &s.providers[0];
        assert_eq!(p.gpus[0].count, u64::MAX, "the sentinel is kept exactly");
        assert_eq!(p.ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(
            (p.nodes, p.gpus_leased, p.online),
            (Some(1), Some(3), Some(true))
        );
        assert_eq!(p.declared_country.as_deref(), Some("US"));
        let bad = text.replace("yes,", "maybe,");
        let e = read_text(&bad).unwrap_err().to_string();
        assert!(
            e.contains("line 2") && e.contains("online") && e.contains("maybe"),
            "{e}"
        );
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let cases = [
            ("p1,,,,,,,,,h100,-1,,,,\n", "line 2: field `gpu_count`"),
            ("p1,,,,,,,,,h100,1,,1.5,,\n", "line 2: field `uptime`"),
            ("p1,,,Narnia,,,,,,,,,,,\n", "line 2: field `country`"),
            (
                "p1,,A,,,,,,,,,,,,\np1,,B,,,,,,,,,,,,\n",
                "line 3: field `name`",
            ),
            ("p1,,,,,,,,,h100,1\n", "line 2: has 11 fields"),
            (",op,,,,,,,,,,,,,\n", "line 2: field `provider_id`"),
            ("p1,,,,,,,,,h100,NaN,,,,\n", "field `gpu_count`"),
            (
                "p1,,,,,,,,,h100,,,,,\n",
                "field `gpu_count`: is empty while",
            ),
        ];
        for (body, expected) in cases {
            let e = parse(body).unwrap_err().to_string();
            assert!(e.contains(expected), "{body:?}: {e}");
        }
    }

    #[test]
    fn header_must_have_every_column() {
        let e = super::super::read(
            &Input {
                location: "t.csv",
                bytes: b"provider_id,name\np,x\n",
            },
            Some("csv"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("field `operator`: column is missing"), "{e}");
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let text = format!(
            "\u{feff}{}p1,,,,,,,,,t4,2,,,,\r\n",
            HEADER.replace('\n', "\r\n")
        );
        let s = super::super::read(
            &Input {
                location: "t.csv",
                bytes: text.as_bytes(),
            },
            None,
        )
        .unwrap();
        assert_eq!(s.providers[0].gpu_count(), 2);
    }
}
