//! The generic CSV format: rows of provider and GPU model (several rows of
//! one model, e.g. one per machine, are summed), fillable by hand or by a
//! script for any network. Large files are streamed ([`read_rows`]).
//!
//! Header (columns in any order, all present):
//! `provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake`.
//! Optional provider-level columns, for the supply checks: `ip`,
//! `hostname`, `nodes`, `gpus_leased`, `online`, `last_seen` (RFC 3339),
//! `declared_country` (beside an IP-derived `country`), `fingerprint`,
//! `active_set` (false: a jailed or unbonded validator, no voting power),
//! `in_datacenter` (true/false), `gpus_offered`, `emission`,
//! `declared_region`, `last_checked` (RFC 3339), `status`,
//! `invalid_gpu_total` (a negative capacity the source reported),
//! `declared_gpu_models` (models named without counts, `|`-separated),
//! `city`, `cpu_cores`, `memory_gb`, `storage_gb` and `uptime_window` (the
//! window `uptime` covers; `declared` when empty).
//! Optional snapshot-level columns: `network`, `profile` (a bundled network
//! profile), `stake_unit`, `taken_at` and `emission_unit`; every row must give the same value
//! or leave it empty (a conflict is an error naming the line).
//! Every column but `provider_id` may be empty. Rows sharing a
//! `provider_id` are one provider: their provider-level fields must agree
//! (or be empty). Rows are folded into their provider's GPU group of the
//! same model while reading, so memory grows with providers and models,
//! not rows.

use super::{Adapter, Content, Input};
use crate::error::{Error, Result};
use crate::model::gpu::GpuGroup;
use crate::model::{
    KeyKind, More, Price, Provider, ProviderMore, Snapshot, Source, Text, Uptime, geo, gpu,
    push_exact,
};
use rustc_hash::FxHashMap;

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
pub const OPTIONAL_COLUMNS: [&str; 22] = [
    "ip",
    "hostname",
    "nodes",
    "gpus_leased",
    "online",
    "last_seen",
    "declared_country",
    "fingerprint",
    "active_set",
    "in_datacenter",
    "gpus_offered",
    "emission",
    "declared_region",
    "last_checked",
    "status",
    "invalid_gpu_total",
    "declared_gpu_models",
    "city",
    "cpu_cores",
    "memory_gb",
    "storage_gb",
    "uptime_window",
];

/// Position of `uptime_window` in [`OPTIONAL_COLUMNS`].
const K_UPTIME_WINDOW: usize = 21;

/// Optional snapshot-level columns: what the whole file is (the network,
/// the bundled profile it is audited under, the unit of `stake`, when the
/// data was recorded). Every row must give the same value or leave it empty.
pub const SNAPSHOT_COLUMNS: [&str; 5] = [
    "network",
    "profile",
    "stake_unit",
    "taken_at",
    "emission_unit",
];

/// Whether a first line looks like a generic-CSV header: one of its
/// cells, with surrounding spaces dropped (as the reader drops them from
/// every column name), is `provider_id`.
pub fn is_header(line: &str) -> bool {
    header_cells(line).iter().any(|c| c == "provider_id")
}

/// Whether a first line is a generic-CSV header without snapshot-level
/// columns: the snapshot of such a file is known, but for its rows and
/// the digest of its bytes, before its rows are read.
pub fn is_header_of_rows_only(line: &str) -> bool {
    let cells = header_cells(line);
    cells.iter().any(|c| c == "provider_id")
        && !cells.iter().any(|c| SNAPSHOT_COLUMNS.contains(&c.as_str()))
}

/// The cells of a first line as column names: a byte-order mark and the
/// spaces around each name dropped, quotes undone.
fn header_cells(line: &str) -> Vec<String> {
    let line = line.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|c| c.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Why a text input that no format recognised is not a generic CSV, from
/// its header (the only text format; the others are JSON): line 1, the
/// column that looks like `provider_id` (another case, spaces or a hyphen
/// instead of `_`, or a near miss such as `provider`) and the columns the
/// format needs.
pub fn header_error(file: &str, text: &str) -> Error {
    let first = text.lines().next().unwrap_or("");
    let cells = header_cells(first);
    let at = || Some("line 1 (header)".to_string());
    let needs = format!(
        "a generic CSV header names the columns {} (any order; optional columns are listed in the README)",
        COLUMNS.join(",")
    );
    let normal = |c: &str| c.to_ascii_lowercase().replace([' ', '-'], "_");
    if let Some(c) = cells.iter().find(|c| normal(c) == "provider_id") {
        return Error::input(
            file,
            at(),
            Some(c),
            "looks like `provider_id`, but column names must be written exactly: lowercase, with `_`",
        )
        .with_hint(format!("rename the column `provider_id`; {needs}"));
    }
    if let Some(c) = cells
        .iter()
        .find(|c| crate::suggest::closest(c, ["provider_id"]).is_some())
    {
        return Error::input(
            file,
            at(),
            Some(c),
            "is not `provider_id`, the column every generic CSV needs",
        )
        .with_hint(format!(
            "if this column holds the provider ids, rename it `provider_id`; {needs}"
        ));
    }
    let mut shown: String = first
        .trim_start_matches('\u{feff}')
        .chars()
        .take(80)
        .collect();
    if shown.len() < first.len() {
        shown.push('…');
    }
    Error::input(
        file,
        at(),
        None,
        format!(
            "`{shown}` has no `provider_id` column, so the file is not a generic CSV (the one text format; every other format is JSON)"
        ),
    )
    .with_hint(format!(
        "{needs}; for a JSON file, check that it starts with `{{` or `[`, or name its format with --source KIND"
    ))
}

/// Positions of the columns in the file's header.
struct Header {
    index: [usize; 15],
    optional: [Option<usize>; 22],
    snapshot: [Option<usize>; SNAPSHOT_COLUMNS.len()],
}

impl Header {
    fn parse(file: &str, record: &csv::StringRecord) -> Result<Self> {
        let names: Vec<&str> = record
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}'))
            .collect();
        let at = || Some("line 1 (header)".to_string());
        let known = |n: &&str| {
            COLUMNS.contains(n) || OPTIONAL_COLUMNS.contains(n) || SNAPSHOT_COLUMNS.contains(n)
        };
        if let Some(extra) = names.iter().find(|n| !known(n)) {
            let all = COLUMNS
                .iter()
                .chain(&OPTIONAL_COLUMNS)
                .chain(&SNAPSHOT_COLUMNS);
            let suggestion = crate::suggest::closest(extra, all.copied())
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            return Err(Error::input(
                file,
                at(),
                Some(extra),
                "is not a column of the generic CSV format",
            )
            .with_hint(format!(
                "{suggestion}the header is: {} (optional: {},{})",
                COLUMNS.join(","),
                OPTIONAL_COLUMNS.join(","),
                SNAPSHOT_COLUMNS.join(",")
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
        let snapshot = SNAPSHOT_COLUMNS.map(|c| names.iter().position(|n| *n == c));
        Ok(Self {
            index,
            optional,
            snapshot,
        })
    }
}

/// A data row's cells as the parsing thread read them: where each
/// column's text lies in the record (trimmed, unguarded) and the values of
/// the columns that need parsing. The merging thread is the slower side of
/// the reading pipeline, so everything that depends on one row alone is
/// done here; a cell that does not parse is left `None` beside its text,
/// and the merging side reports it in file order, as if it had parsed it.
#[derive(Default)]
struct Cells {
    /// Byte range of each column's text in the record; empty when absent.
    text: [(usize, usize); 15],
    /// Every cell of the row is empty (a row to skip).
    blank: bool,
    /// Some optional or snapshot-level cell is non-empty.
    any_optional: bool,
    any_snapshot_level: bool,
    /// The value of each number column, `None` when empty or not a
    /// non-negative number (`gpu_count`'s only when it is not whole).
    numbers: [Option<f64>; 15],
    /// `gpu_count` read as a whole number, exactly.
    whole_count: Option<u64>,
    country: Option<&'static str>,
    asn: Option<u32>,
}

/// The columns read as non-negative numbers (`gpu_count` is read as a
/// whole number first).
const NUMBER_COLUMNS: [usize; 4] = [C_GPU_MEMORY, C_UPTIME, C_PRICE, C_STAKE];

impl Cells {
    /// Fills the cells of `record`, a row under `header`.
    fn read(&mut self, record: &csv::StringRecord, header: &Header) {
        let base = record.as_slice().as_ptr() as usize;
        for (range, &i) in self.text.iter_mut().zip(&header.index) {
            *range = cell(record.get(i)).map_or((0, 0), |t| {
                let start = t.as_ptr() as usize - base;
                (start, start + t.len())
            });
        }
        let ranges = self.text;
        let text = |column: usize| text_in(record, ranges[column]);
        for column in NUMBER_COLUMNS {
            self.numbers[column] = text(column).and_then(non_negative);
        }
        self.whole_count = text(C_GPU_COUNT).and_then(|t| t.parse().ok());
        // Read as a number only when it is not a whole one (`8.0`, `1e3`).
        self.numbers[C_GPU_COUNT] = match self.whole_count {
            Some(_) => None,
            None => text(C_GPU_COUNT).and_then(non_negative),
        };
        self.country = text(C_COUNTRY).and_then(geo::country_code);
        self.asn = text(C_ASN).and_then(parse_asn);
        // A row with a provider id is not blank; others are checked whole.
        self.blank =
            self.text[C_ID].0 == self.text[C_ID].1 && record.iter().all(|f| f.trim().is_empty());
        let given = |i: &Option<usize>| cell(i.and_then(|i| record.get(i))).is_some();
        self.any_optional = header.optional.iter().any(given);
        self.any_snapshot_level = header.snapshot.iter().any(given);
    }

    /// The text of `column` in `record`, the row these cells were read
    /// from; `None` when empty.
    fn get<'r>(&self, record: &'r csv::StringRecord, column: usize) -> Option<&'r str> {
        text_in(record, self.text[column])
    }
}

/// The text at byte range `(start, end)` of `record`; `None` when empty.
fn text_in(record: &csv::StringRecord, (start, end): (usize, usize)) -> Option<&str> {
    (start < end).then(|| &record.as_slice()[start..end])
}

/// A finite non-negative number (`-0` read as `0`).
fn non_negative(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .map(|x| x + 0.0)
}

/// One data row, with its line number for messages.
struct Row<'r> {
    file: &'r str,
    line: u64,
    record: &'r csv::StringRecord,
    cells: &'r Cells,
    header: &'r Header,
}

impl Row<'_> {
    fn get(&self, column: usize) -> Option<&str> {
        self.cells.get(self.record, column)
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
        cell(self.header.optional[k].and_then(|i| self.record.get(i)))
    }

    /// A snapshot-level column's value (`None` when absent or empty).
    fn snapshot_level(&self, k: usize) -> Option<&str> {
        cell(self.header.snapshot[k].and_then(|i| self.record.get(i)))
    }

    fn number(&self, column: usize, hint: &str) -> Result<Option<f64>> {
        let Some(text) = self.get(column) else {
            return Ok(None);
        };
        match self.cells.numbers[column] {
            Some(x) => Ok(Some(x)),
            None => Err(self
                .err(column, format!("`{text}` is not a non-negative number"))
                .with_hint(hint)),
        }
    }
}

/// A cell's text: trimmed, without the `'` [`guard`] put before text a
/// spreadsheet could run as a formula; `None` when empty.
fn cell(field: Option<&str>) -> Option<&str> {
    field.map(str::trim).map(unguard).filter(|s| !s.is_empty())
}

/// Characters at the start of a cell that a spreadsheet may run as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Exported text guarded against spreadsheet formulas: a leading `'` (how
/// spreadsheets mark text) before text starting with a formula character,
/// and before text starting with `'` itself, so that [`unguard`] gives the
/// text back exactly.
pub(crate) fn guard(text: &str) -> String {
    match text.chars().next() {
        Some(c) if FORMULA_STARTS.contains(&c) || c == '\'' => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// Text without the `'` [`guard`] adds; other text as it is (`'t Hooft`
/// keeps its apostrophe).
pub(crate) fn unguard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(|c| FORMULA_STARTS.contains(&c) || c == '\'') => rest,
        _ => text,
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
    let mut snapshot = read_rows(input.location, text.as_bytes(), text.len() as u64)?;
    snapshot.input_sha256 = input.sha256();
    Ok(snapshot)
}

/// Reads a generic CSV from a stream in bounded memory: rows are folded
/// into their provider as they are read, so memory grows with providers,
/// GPU models per provider and distinct prices, not with rows. The
/// snapshot's `input_sha256` is left empty for the caller to fill.
pub fn read_rows<R: std::io::Read + Send>(
    file: &str,
    source: R,
    input_bytes: u64,
) -> Result<Snapshot> {
    read_rows_with(file, source, input_bytes, None)
}

/// Told, while a file is read, which of its providers are complete: after
/// each batch of rows, with the providers no later row can change (all but
/// the last, while provider ids come in increasing order, as in a sorted
/// file), or with `None` once a row breaks that order; it is not called
/// again after `None`. The providers are as read, their lists not yet in
/// canonical order.
pub type Completed<'a> = dyn FnMut(Option<&[Provider]>) -> Result<()> + 'a;

/// [`read_rows`], telling `completed` which providers are complete as the
/// file is read.
pub fn read_rows_with<R: std::io::Read + Send>(
    file: &str,
    source: R,
    input_bytes: u64,
    mut completed: Option<&mut Completed<'_>>,
) -> Result<Snapshot> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(source);
    let mut record = csv::StringRecord::new();
    if !reader
        .read_record(&mut record)
        .map_err(|e| csv_error(file, &e))?
    {
        return Err(Error::input(file, None, None, "has no header line"));
    }
    let header = Header::parse(file, &record)?;
    let mut merger = Merger {
        file,
        input_bytes,
        header: &header,
        providers: Vec::new(),
        listings: Vec::new(),
        by_id: ProviderIndex::default(),
        templates: Templates::default(),
        whole_file: Default::default(),
        previous: None,
    };
    each_record(file, reader, &header, &mut |batch| {
        merger.merge_batch(batch)?;
        if let Some(tell) = completed.as_mut() {
            if merger.by_id.in_order() {
                let done = merger.providers.len().saturating_sub(1);
                tell(Some(&merger.providers[..done]))?;
            } else {
                tell(None)?;
                completed = None;
            }
        }
        Ok(())
    })?;
    let Merger {
        providers,
        whole_file,
        ..
    } = merger;
    let [network, profile, stake_unit, taken_at, emission_unit] = whole_file;
    let mut snapshot = Snapshot::new(
        network.unwrap_or_else(|| "generic".into()),
        Source {
            adapter: "csv".into(),
            location: file.to_string(),
            note: None,
        },
        String::new(),
    );
    snapshot.profile = profile;
    snapshot.stake_unit = stake_unit;
    snapshot.emission_unit = emission_unit;
    snapshot.taken_at = taken_at;
    snapshot.providers = providers;
    Ok(snapshot)
}

/// What the merging thread has folded so far.
struct Merger<'a> {
    file: &'a str,
    input_bytes: u64,
    header: &'a Header,
    providers: Vec<Provider>,
    /// The rows seen of each provider (same index).
    listings: Vec<Listings>,
    by_id: ProviderIndex,
    templates: Templates,
    /// The snapshot-level columns' values.
    whole_file: [Option<String>; SNAPSHOT_COLUMNS.len()],
    /// The provider of the previous row.
    previous: Option<usize>,
}

impl Merger<'_> {
    /// Folds a batch of rows, in order, a few rows at a time: their
    /// providers are fetched into cache together before they are merged.
    fn merge_batch(&mut self, batch: &[ParsedRow]) -> Result<()> {
        for rows in batch.chunks(LOOKAHEAD_ROWS) {
            self.by_id.prefetch(&self.providers, &self.listings, rows);
            for (record, cells) in rows {
                self.merge(record, cells)?;
            }
        }
        Ok(())
    }

    /// Folds one row into its provider, created at its first row.
    fn merge(&mut self, record: &csv::StringRecord, cells: &Cells) -> Result<()> {
        // Record 0 is the header.
        if let Some(at) = record.position()
            && at.record() == SIZE_SAMPLE_RECORDS
        {
            let providers = &mut self.providers;
            let expected = expected_providers(providers.len(), at.byte(), self.input_bytes);
            providers.reserve(expected.saturating_sub(providers.len()));
            self.listings
                .reserve(expected.saturating_sub(self.listings.len()));
            self.by_id.expected = expected;
        }
        if cells.blank {
            return Ok(());
        }
        let line = record.position().map_or(0, |p| p.line());
        let row = Row {
            file: self.file,
            line,
            record,
            cells,
            header: self.header,
        };
        let id = row.get(C_ID).ok_or_else(|| {
            row.err(C_ID, "is empty")
                .with_hint("every row needs a provider_id")
        })?;
        if cells.any_snapshot_level {
            merge_snapshot_level(&mut self.whole_file, &row)?;
        }
        let providers = &mut self.providers;
        // Rows of one provider usually follow each other: the previous
        // row's provider is tried first.
        let index = match self.previous.filter(|&i| providers[i].id == id) {
            Some(i) => i,
            None => self.by_id.find(providers, id).unwrap_or_else(|| {
                providers.push(Provider::new(id));
                self.listings.push(Listings::default());
                providers.len() - 1
            }),
        };
        self.previous = Some(index);
        merge_row(
            &mut providers[index],
            &mut self.listings[index],
            &mut self.templates,
            &row,
        )
    }
}

/// Finds a row's provider among those read so far. While new ids arrive
/// in increasing order, as in a sorted file, each is larger than every
/// earlier id, so no provider has it and no map is needed; the first id
/// out of order builds the map, which then finds every later one.
#[derive(Default)]
struct ProviderIndex {
    /// Provider of each id; `None` while ids have come in increasing order.
    /// Text keys: ids up to 24 bytes are stored inline, not allocated.
    by_id: Option<FxHashMap<Text, usize>>,
    /// Providers the file is expected to hold (a size hint for the map).
    expected: usize,
}

impl ProviderIndex {
    /// Whether every id so far came after the one before it.
    fn in_order(&self) -> bool {
        self.by_id.is_none()
    }

    /// The provider with `id`, or `None` after noting that the provider
    /// the caller pushes next (at `providers.len()`) has it.
    fn find(&mut self, providers: &[Provider], id: &str) -> Option<usize> {
        let map = match &mut self.by_id {
            Some(map) => map,
            None if providers.last().is_none_or(|p| p.id.as_str() < id) => return None,
            None => {
                let mut map = FxHashMap::default();
                map.reserve(self.expected.max(providers.len()));
                map.extend(providers.iter().enumerate().map(|(i, p)| (p.id.clone(), i)));
                self.by_id.insert(map)
            }
        };
        let found = map.get(id).copied();
        if found.is_none() {
            map.insert(Text::from(id), providers.len());
        }
        found
    }

    /// Asks the CPU to fetch the providers of `rows` into cache. Rows of a
    /// shuffled file land on providers scattered over memory, and merging
    /// waits for each; looked up together, the lookups overlap.
    fn prefetch(&self, providers: &[Provider], listings: &[Listings], rows: &[ParsedRow]) {
        let Some(map) = &self.by_id else {
            return;
        };
        for (record, cells) in rows {
            if let Some(&i) = cells.get(record, C_ID).and_then(|id| map.get(id)) {
                prefetch(&providers[i]);
                prefetch(&listings[i]);
            }
        }
    }
}

/// Rows whose providers are fetched into cache together.
const LOOKAHEAD_ROWS: usize = 16;

/// Asks the CPU to bring `value`'s memory into cache, without waiting.
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let start = (value as *const T).cast::<i8>();
        for offset in (0..std::mem::size_of::<T>()).step_by(64) {
            // SAFETY: a prefetch is only a hint; it reads nothing and never
            // faults, whatever the address. SSE is part of x86_64.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Records after which the reader estimates the file's providers from its
/// size, to size its lists once instead of growing them by doubling (each
/// doubling copies every provider into fresh memory, which on large files
/// cost a quarter of the audit's time).
const SIZE_SAMPLE_RECORDS: u64 = 4096;

/// Providers a file of `total` bytes is expected to hold, from the
/// records before byte `at`, which named `providers` providers, with 10% to
/// spare. Only a size hint: lists still grow if the rest of the file is
/// denser.
fn expected_providers(providers: usize, at: u64, total: u64) -> usize {
    if at == 0 {
        return providers;
    }
    let per_byte = providers as f64 / at as f64;
    let estimate = per_byte * total as f64 * 1.1;
    // A cap so a pathological sample cannot ask for absurd memory.
    estimate.min(total as f64 / 8.0) as usize
}

/// A record and its cells, as the parsing thread hands them over.
type ParsedRow = (csv::StringRecord, Cells);

/// Records parsed at a time by the parsing thread.
const RECORD_BATCH: usize = 4096;

/// Calls `merge` on every remaining record and its [`Cells`], in order. A
/// second thread parses the CSV and each row's cells (and reads and hashes
/// the input) while this one merges: batches of records go through a
/// channel of two and come back empty to be filled again, so memory stays
/// bounded and records are not reallocated. The first error, from either
/// side, stops both.
fn each_record<R: std::io::Read + Send>(
    file: &str,
    mut reader: csv::Reader<R>,
    header: &Header,
    merge: &mut dyn FnMut(&[ParsedRow]) -> Result<()>,
) -> Result<()> {
    type Batch = Vec<ParsedRow>;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Result<Batch>>(2);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            loop {
                let mut batch = empty_rx.try_recv().unwrap_or_default();
                batch.resize_with(RECORD_BATCH, Default::default);
                let mut filled = 0;
                while filled < RECORD_BATCH {
                    let (record, cells) = &mut batch[filled];
                    match reader.read_record(record) {
                        Ok(true) => {
                            cells.read(record, header);
                            filled += 1;
                        }
                        Ok(false) => break,
                        Err(e) => {
                            // The rows before the broken one are merged
                            // first: an error in them comes earlier in the
                            // file and is the one to report.
                            batch.truncate(filled);
                            if full_tx.send(Ok(batch)).is_ok() {
                                let _ = full_tx.send(Err(csv_error(file, &e)));
                            }
                            return;
                        }
                    }
                }
                batch.truncate(filled);
                let done = filled < RECORD_BATCH;
                // The merging side hung up after an error: stop reading.
                if full_tx.send(Ok(batch)).is_err() || done {
                    return;
                }
            }
        });
        for batch in full_rx {
            let batch = batch?;
            merge(&batch)?;
            let _ = empty_tx.send(batch);
        }
        Ok(())
    })
}

/// Reads the snapshot-level columns of one row: every row must give the
/// value the file gave before, or leave it empty; a profile must be a
/// bundled one.
fn merge_snapshot_level(
    slots: &mut [Option<String>; SNAPSHOT_COLUMNS.len()],
    row: &Row<'_>,
) -> Result<()> {
    for (k, slot) in slots.iter_mut().enumerate() {
        let name = SNAPSHOT_COLUMNS[k];
        let Some(value) = row.snapshot_level(k) else {
            continue;
        };
        match slot.as_deref() {
            Some(old) if old == value => {}
            Some(old) => {
                return Err(row
                    .err_in(
                        name,
                        format!("`{value}` conflicts with `{old}` given earlier in the file"),
                    )
                    .with_hint(
                        "network, profile, stake_unit, taken_at and emission_unit describe the whole file: every row must give the same value or leave it empty",
                    ));
            }
            None => {
                let bundled = crate::profile::BUNDLED.map(|(n, _)| n);
                if name == "profile" && !bundled.contains(&value) {
                    return Err(row
                        .err_in(name, format!("`{value}` is not a bundled network profile"))
                        .with_hint(format!(
                            "bundled profiles: {} (a profile file is given with --profile)",
                            bundled.join(", ")
                        )));
                }
                *slot = Some(value.to_string());
            }
        }
    }
    Ok(())
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
    /// The window of the provider's uptime (`uptime_window`), if given.
    uptime_window: Option<Text>,
}

/// Normalized GPU groups (count 0) per distinct (model, vendor, memory)
/// text, so each distinct model is normalized once per file, not per row.
#[derive(Default)]
struct Templates {
    /// model → vendor → memory bits → template: looked up by `&str`,
    /// without allocating, since most rows repeat a known model.
    index: FxHashMap<String, FxHashMap<String, FxHashMap<Option<u64>, usize>>>,
    groups: Vec<GpuGroup>,
}

impl Templates {
    fn get(&mut self, model: Option<&str>, vendor: Option<&str>, memory: Option<f64>) -> usize {
        let (m, v) = (model.unwrap_or(""), vendor.unwrap_or(""));
        let memory_bits = memory.map(f64::to_bits);
        if let Some(&i) = self
            .index
            .get(m)
            .and_then(|by_vendor| by_vendor.get(v))
            .and_then(|by_memory| by_memory.get(&memory_bits))
        {
            return i;
        }
        let group = match model {
            Some(m) => gpu::normalize(m, vendor, memory, 0),
            None => {
                let mut group = gpu::unnamed(vendor, 0);
                group.kind_mut().memory_gb = memory;
                group
            }
        };
        self.groups.push(group);
        self.index
            .entry(m.to_string())
            .or_default()
            .entry(v.to_string())
            .or_default()
            .insert(memory_bits, self.groups.len() - 1);
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
        (Some(old), Some(v)) => Err(conflict(row, column, &v, old)),
    }
}

/// A number compared by its exact bits (rows of one provider must repeat
/// it exactly) and shown as a number in a conflict message.
#[derive(Clone, Copy)]
struct Exact(f64);

impl PartialEq for Exact {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl std::fmt::Debug for Exact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// [`set_field`] for text, allocating only for a provider's first value.
fn set_text(
    slot: &mut Option<Text>,
    value: Option<&str>,
    row: &Row<'_>,
    column: usize,
) -> Result<()> {
    match (slot.as_deref(), value) {
        (_, None) => Ok(()),
        (None, Some(v)) => {
            *slot = Some(Text::from(v));
            Ok(())
        }
        (Some(old), Some(v)) if old == v => Ok(()),
        (Some(old), Some(v)) => Err(conflict(row, column, &v, &old)),
    }
}

/// Two rows of one provider disagree on a provider-level field.
fn conflict(
    row: &Row<'_>,
    column: usize,
    new: &impl std::fmt::Debug,
    old: &impl std::fmt::Debug,
) -> Error {
    row.err(
        column,
        format!("{new:?} conflicts with {old:?} given earlier for this provider"),
    )
    .with_hint("rows of one provider_id must agree on provider-level fields")
}

fn merge_row(
    p: &mut Provider,
    listings: &mut Listings,
    templates: &mut Templates,
    row: &Row<'_>,
) -> Result<()> {
    if let Some(op) = row.get(C_OPERATOR) {
        let declared = p
            .operator_keys
            .iter()
            .find(|k| k.kind == KeyKind::Declared)
            .map(|k| k.value.as_str());
        match declared {
            None => p.add_key(KeyKind::Declared, op),
            Some(old) if old == op => {}
            Some(old) => return Err(conflict(row, C_OPERATOR, &op, &old)),
        }
    }
    set_text(&mut p.name, row.get(C_NAME), row, C_NAME)?;
    let country = match row.get(C_COUNTRY) {
        None => None,
        Some(c) => Some(row.cells.country.ok_or_else(|| {
            row.err(C_COUNTRY, format!("`{c}` is not a known country"))
                .with_hint("use an ISO 3166-1 alpha-2 code such as US or DE")
        })?),
    };
    set_field(&mut p.country, country.map(Text::from), row, C_COUNTRY)?;
    set_text(&mut p.region, row.get(C_REGION), row, C_REGION)?;
    let asn = match row.get(C_ASN) {
        None => None,
        Some(a) => Some(row.cells.asn.ok_or_else(|| {
            row.err(C_ASN, format!("`{a}` is not an AS number"))
                .with_hint("write the number, e.g. 16509 or AS16509")
        })?),
    };
    set_field(&mut p.asn, asn, row, C_ASN)?;
    set_text(&mut p.cloud, row.get(C_CLOUD), row, C_CLOUD)?;
    set_text(&mut p.datacenter, row.get(C_DATACENTER), row, C_DATACENTER)?;
    let uptime = row.number(C_UPTIME, "uptime is a fraction, e.g. 0.995")?;
    if let Some(u) = uptime.filter(|u| *u > 1.0) {
        return Err(row
            .err(C_UPTIME, format!("{u} is outside [0, 1]"))
            .with_hint("uptime is a fraction: write 0.995 for 99.5%"));
    }
    let mut current = p.uptime.as_ref().map(|u| Exact(u.value));
    set_field(&mut current, uptime.map(Exact), row, C_UPTIME)?;
    if let Some(u) = uptime {
        p.uptime = Some(Uptime {
            value: u,
            window: "declared".into(),
        });
    }
    let text = |t: &str| Some(Text::from(t));
    optional_field(
        &mut listings.uptime_window,
        row,
        K_UPTIME_WINDOW,
        text,
        "a window",
    )?;
    if let (Some(u), Some(window)) = (p.uptime.as_mut(), &listings.uptime_window) {
        u.window.clone_from(window);
    }
    let stake = row.number(C_STAKE, "stake is a non-negative amount")?;
    let mut current = p.stake.map(Exact);
    set_field(&mut current, stake.map(Exact), row, C_STAKE)?;
    p.stake = p.stake.or(stake);
    if row.cells.any_optional {
        merge_optional(p, row)?;
    }
    merge_gpus(p, listings, templates, row)
}

/// [`optional_field`] for a field of the provider's [`More`], which is
/// allocated only when the row gives the column.
fn optional_more<T: PartialEq + std::fmt::Debug>(
    more: &mut More,
    slot: fn(&mut ProviderMore) -> &mut Option<T>,
    row: &Row<'_>,
    k: usize,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<()> {
    if row.optional(k).is_none() {
        return Ok(());
    }
    optional_field(slot(more), row, k, parse, expected)
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
    let text = |t: &str| Some(Text::from(t));
    let ip = |t: &str| t.parse::<std::net::IpAddr>().ok().map(|_| Text::from(t));
    let whole = |t: &str| t.parse::<u64>().ok();
    let flag = |t: &str| match t.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    };
    let time = |t: &str| crate::time::parse_datetime(t).map(|_| Text::from(t));
    optional_field(&mut p.ip, row, 0, ip, "an IP address")?;
    optional_more(
        &mut p.more,
        |m| &mut m.hostname,
        row,
        1,
        text,
        "a host name",
    )?;
    optional_more(
        &mut p.more,
        |m| &mut m.nodes,
        row,
        2,
        whole,
        "a whole number of machines",
    )?;
    optional_more(
        &mut p.more,
        |m| &mut m.gpus_leased,
        row,
        3,
        whole,
        "a whole number of GPUs",
    )?;
    optional_field(&mut p.online, row, 4, flag, "true or false")?;
    optional_more(
        &mut p.more,
        |m| &mut m.last_seen,
        row,
        5,
        time,
        "an RFC 3339 time, e.g. 2026-01-15T10:00:00Z",
    )?;
    optional_more(
        &mut p.more,
        |m| &mut m.declared_country,
        row,
        6,
        |t| geo::country_code(t).map(Text::from),
        "a known country",
    )?;
    optional_more(
        &mut p.more,
        |m| &mut m.fingerprint,
        row,
        7,
        text,
        "a fingerprint",
    )?;
    optional_field(&mut p.active_set, row, 8, flag, "true or false")?;
    optional_field(&mut p.in_datacenter, row, 9, flag, "true or false")?;
    optional_more(
        &mut p.more,
        |m| &mut m.gpus_offered,
        row,
        10,
        whole,
        "a whole number of GPUs",
    )?;
    let amount = non_negative;
    optional_field(&mut p.emission, row, 11, amount, "a non-negative amount")?;
    optional_more(
        &mut p.more,
        |m| &mut m.declared_region,
        row,
        12,
        text,
        "a region",
    )?;
    optional_more(
        &mut p.more,
        |m| &mut m.last_checked,
        row,
        13,
        time,
        "an RFC 3339 time, e.g. 2026-01-15T10:00:00Z",
    )?;
    optional_field(&mut p.status, row, 14, text, "a status")?;
    let negative = |t: &str| t.parse::<f64>().ok().filter(|x| x.is_finite() && *x < 0.0);
    optional_more(
        &mut p.more,
        |m| &mut m.invalid_gpu_total,
        row,
        15,
        negative,
        "a negative GPU total",
    )?;
    if row.optional(16).is_some() {
        let declared = &mut p.more.declared_gpu_models;
        let mut models = (!declared.is_empty()).then(|| std::mem::take(declared));
        optional_field(&mut models, row, 16, gpu_model_list, "a list of GPU models")?;
        *declared = models.unwrap_or_default();
    }
    optional_more(&mut p.more, |m| &mut m.city, row, 17, text, "a city")?;
    optional_more(
        &mut p.more,
        |m| &mut m.cpu_cores,
        row,
        18,
        amount,
        "a non-negative number of cores",
    )?;
    optional_more(
        &mut p.more,
        |m| &mut m.memory_gb,
        row,
        19,
        amount,
        "a non-negative amount of GB",
    )?;
    optional_more(
        &mut p.more,
        |m| &mut m.storage_gb,
        row,
        20,
        amount,
        "a non-negative amount of GB",
    )
}

/// `declared_gpu_models`: GPU model names separated by `|`, normalized
/// (model ids such as `a100-80gb` stay as they are), sorted, distinct.
fn gpu_model_list(text: &str) -> Option<Vec<Text>> {
    let mut models: Vec<Text> = text
        .split('|')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| {
            gpu::normalize(m, None, None, 0)
                .model
                .clone()
                .unwrap_or_else(|| Text::from(m))
        })
        .collect();
    models.sort();
    models.dedup();
    (!models.is_empty()).then_some(models)
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
            push_exact(&mut p.gpus, templates.groups[template].with_count(0));
            push_exact(&mut listings.groups, (template, p.gpus.len() - 1));
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
            None => push_exact(
                &mut p.prices,
                Price {
                    gpu_model: model,
                    per_gpu_hour: price,
                    currency: "USD".into(),
                    gpus: Some(count),
                },
            ),
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
        push_exact(&mut listings.seen, fingerprint);
    }
    Ok(())
}

/// The row's GPU count, read exactly: an overflow sentinel such as
/// 18446744073709551615 is kept as claimed for the supply checks to flag.
fn gpu_count(row: &Row<'_>) -> Result<Option<u64>> {
    if row.get(C_GPU_COUNT).is_none() {
        return Ok(None);
    }
    if let Some(n) = row.cells.whole_count {
        return Ok(Some(n));
    }
    match row.number(C_GPU_COUNT, "gpu_count is a whole number of GPUs")? {
        Some(c) if c.fract() == 0.0 && c <= u64::MAX as f64 => Ok(Some(c as u64)),
        Some(c) => Err(row.err(C_GPU_COUNT, format!("{c} is not a whole number of GPUs"))),
        None => Ok(None),
    }
}

/// Writes a snapshot as generic CSV (every column, optional and
/// snapshot-level ones included), for spreadsheets and distributed engines
/// (Spark, DataFusion). Reading it back gives the same audit numbers:
///
/// - GPUs: one row per ask (the ask's GPUs at its price) and one row without
///   a price for the group's GPUs no ask covers; an ask without a GPU count
///   (Vast.ai, Akash) covers the whole group, so the group is one row at that
///   price. Several asks of one model without GPU counts (possible only in
///   hand-made snapshot JSON) become one row at their mean price. Prices are
///   written as USD, the unit of the column.
/// - A group's duplicated GPUs ([`GpuGroup::duplicated`]) are written as a
///   repeated identical row, which the reader counts as duplicated again
///   (see [`repeated_rows`] for the rare counts no repetition can carry).
/// - `gpu_vendor` is the vendor the source declared (`declared_vendor` when
///   it differs from the model's), so `vendor-mismatch` is found again.
/// - `operator` is the operator the provider resolves to under the default
///   resolution options, when a key names one: a declared operator by its
///   name, any other as `<kind>:<value>` (`identity:ABCD…`,
///   `coldkey:5F…`, `host_id:94202`, `domain:example.com`, or a shared
///   `owner_address:…`). A provider no key links (a validator with only its
///   own account address) is left empty: unlinked again, never a declared
///   operator. The keys themselves are not columns, so an audit of the CSV
///   with other resolution options (`--min-confidence`, `--no-key`) can
///   group differently than one of the original.
/// - `network`, `profile` (the bundled profile the snapshot is audited
///   under), `stake_unit` and `taken_at` on every row.
///
/// Untrusted text is guarded against spreadsheet formulas by a leading `'`,
/// which the reader removes again.
pub fn write_csv(s: &Snapshot) -> Vec<u8> {
    let resolution =
        crate::entities::resolve(&s.providers, &crate::entities::ResolveOptions::default());
    write_csv_resolved(s, &resolution)
}

/// [`write_csv`] with the providers' operators already resolved under the
/// default options (the Parquet writer needs the resolution too).
pub(crate) fn write_csv_resolved(
    s: &Snapshot,
    resolution: &crate::entities::Resolution,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = COLUMNS
        .iter()
        .chain(OPTIONAL_COLUMNS.iter())
        .chain(SNAPSHOT_COLUMNS.iter())
        .copied()
        .collect();
    let _ = w.write_record(&header);
    fn text<T: AsRef<str>>(v: &Option<T>) -> String {
        v.as_ref().map(|t| guard(t.as_ref())).unwrap_or_default()
    }
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let whole = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let flag = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
    let profile = crate::profile::NetworkProfile::for_snapshot(s).name;
    let whole_file = [
        guard(&s.network),
        guard(&profile),
        text(&s.stake_unit),
        text(&s.taken_at),
        text(&s.emission_unit),
    ];
    let operators = exported_operators(resolution, s.providers.len());
    for source in row_sources(s) {
        let p = &s.providers[source.provider];
        let operator = &operators[source.provider];
        let row = |gpu: [String; 5]| {
            let [vendor, model, count, memory, price] = gpu;
            let mut fields = vec![
                guard(&p.id),
                guard(operator),
                text(&p.name),
                p.country.as_deref().unwrap_or_default().to_string(),
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
                text(&p.more.hostname),
                whole(p.more.nodes),
                whole(p.more.gpus_leased),
                flag(p.online),
                text(&p.more.last_seen),
                p.more
                    .declared_country
                    .as_deref()
                    .unwrap_or_default()
                    .to_string(),
                text(&p.more.fingerprint),
                flag(p.active_set),
                flag(p.in_datacenter),
                whole(p.more.gpus_offered),
                num(p.emission),
                text(&p.more.declared_region),
                text(&p.more.last_checked),
                text(&p.status),
                num(p.more.invalid_gpu_total),
                guard(&p.more.declared_gpu_models.join("|")),
                text(&p.more.city),
                num(p.more.cpu_cores),
                num(p.more.memory_gb),
                num(p.more.storage_gb),
                p.uptime
                    .as_ref()
                    .map(|u| guard(&u.window))
                    .unwrap_or_default(),
            ];
            fields.extend(whole_file.iter().cloned());
            debug_assert_eq!(fields.len(), header.len(), "one field per column");
            fields
        };
        let gpu = match source.group {
            None => Default::default(),
            Some(RowGroup {
                group,
                count,
                price,
            }) => {
                let g = &p.gpus[group];
                [
                    text(&g.declared_vendor.clone().or(g.vendor.clone())),
                    text(&g.raw_model.clone().or(g.model.clone())),
                    count.to_string(),
                    num(g.memory_gb),
                    num(price),
                ]
            }
        };
        let _ = w.write_record(row(gpu));
    }
    w.into_inner().unwrap_or_default()
}

/// Where one row of the generic CSV comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RowSource {
    /// Index of the provider in the snapshot.
    pub provider: usize,
    /// The GPU group's part in the row; `None` for the one row of a
    /// provider without GPUs.
    pub group: Option<RowGroup>,
}

/// A GPU group's part in one row: its index in the provider's groups, the
/// GPUs the row holds and their price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RowGroup {
    pub group: usize,
    pub count: u64,
    pub price: Option<f64>,
}

/// The rows of the generic CSV of `s`, in order: providers in order, each
/// group's rows (one per ask and per repeat carrying duplicates) in group
/// order. The Parquet writer adds its derived cells row by row from this.
pub(crate) fn row_sources(s: &Snapshot) -> Vec<RowSource> {
    let mut rows = Vec::new();
    for (provider, p) in s.providers.iter().enumerate() {
        if p.gpus.is_empty() {
            rows.push(RowSource {
                provider,
                group: None,
            });
        }
        for (group, g) in p.gpus.iter().enumerate() {
            rows.extend(
                group_rows(p, g)
                    .into_iter()
                    .map(|(count, price)| RowSource {
                        provider,
                        group: Some(RowGroup {
                            group,
                            count,
                            price,
                        }),
                    }),
            );
        }
    }
    rows
}

/// The `operator` cell of every provider: the operator it resolves to under
/// the default options when some key names it (a declared operator by its
/// name, any other by its id `<kind>:<value>`), else empty. Exporting the
/// resolved operator rather than one key keeps operators that several keys
/// (or a shared owner address) join whole, and leaves unlinked providers
/// unlinked.
fn exported_operators(resolution: &crate::entities::Resolution, providers: usize) -> Vec<String> {
    (0..providers)
        .map(|i| {
            let op = resolution.operator_of(i);
            match (op.confidence, op.id.split_once(':')) {
                (None, _) => String::new(),
                (Some(_), Some(("declared", name))) => name.to_string(),
                (Some(_), _) => op.id.clone(),
            }
        })
        .collect()
}

/// The (GPUs, price) rows that give back one GPU group with its asks and
/// duplicated GPUs, rows carrying duplicates first.
fn group_rows(p: &Provider, g: &GpuGroup) -> Vec<(u64, Option<f64>)> {
    let mut left = g.duplicated;
    let (mut front, mut back) = (Vec::new(), Vec::new());
    for (count, price) in price_rows(p, g) {
        let (sizes, held) = repeated_rows(count, left);
        left -= held;
        let rows = sizes.into_iter().map(|n| (n, price));
        if held > 0 {
            front.extend(rows);
        } else {
            back.extend(rows);
        }
    }
    front.extend(back);
    front
}

/// One group's GPUs by price: one entry per ask (its GPUs at its price, asks
/// at one price merged, as the reader merges them) and the GPUs no ask
/// covers without a price; one entry for the whole group when an ask has no
/// GPU count, when the asks are the provider's asks for all models, or when
/// their counts exceed the group.
fn price_rows(p: &Provider, g: &GpuGroup) -> Vec<(u64, Option<f64>)> {
    let Some(ask) = p.ask_for(g.model.as_deref()) else {
        return vec![(g.count, None)];
    };
    // The asks `ask_for` averaged: the model's own, else the provider-wide
    // ones (`gpu_model: None`, which the reader makes of priced rows
    // without a model), in the currency it chose.
    let own: Vec<&Price> = p
        .prices
        .iter()
        .filter(|pr| pr.gpu_model.is_some() && pr.gpu_model == g.model)
        .filter(|pr| pr.currency == ask.currency)
        .collect();
    let asks: Vec<&Price> = if own.is_empty() && g.model.is_none() {
        p.prices
            .iter()
            .filter(|pr| pr.gpu_model.is_none() && pr.currency == ask.currency)
            .collect()
    } else {
        own
    };
    match ask.gpus {
        Some(covered) if !asks.is_empty() && covered <= g.count => {
            let mut rows: Vec<(u64, Option<f64>)> = Vec::new();
            for pr in asks {
                let n = pr.gpus.unwrap_or(0);
                match rows
                    .iter_mut()
                    .find(|r| r.1.map(f64::to_bits) == Some(pr.per_gpu_hour.to_bits()))
                {
                    Some(r) => r.0 = r.0.saturating_add(n),
                    None => rows.push((n, Some(pr.per_gpu_hour))),
                }
            }
            if covered < g.count {
                rows.push((g.count - covered, None));
            }
            rows
        }
        _ => vec![(g.count, Some(ask.per_gpu_hour))],
    }
}

/// Most times one row is repeated to carry duplicated GPUs.
const MAX_REPEATS: u64 = 16;

/// Row sizes summing to `count` in which a row repeated identically holds as
/// many of `wanted` duplicated GPUs as it can, and how many it holds: a row
/// of `x` GPUs written `k` times holds `(k - 1) x` duplicated GPUs, and the
/// rest is one row of another size. At most `count - 1` can be held (the
/// first listing is not a duplicate); a count that no row of at most
/// [`MAX_REPEATS`] repeats can carry (rare: a duplicated count that is not
/// a multiple of any row size that fits) is held in part, the rest read
/// back as listed once.
fn repeated_rows(count: u64, wanted: u64) -> (Vec<u64>, u64) {
    if wanted == 0 || count < 2 {
        return (vec![count], 0);
    }
    let most = wanted.min(count - 1);
    for held in (1..=most).rev().take(64) {
        for k in 2..=MAX_REPEATS {
            if held % (k - 1) != 0 {
                continue;
            }
            let x = held / (k - 1);
            let Some(used) = x.checked_mul(k).filter(|u| *u <= count) else {
                continue;
            };
            let rest = count - used;
            if rest == x {
                continue; // would be one more repeat
            }
            let mut sizes = vec![x; k as usize];
            if rest > 0 {
                sizes.push(rest);
            }
            return (sizes, held);
        }
    }
    (vec![count], 0)
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
    fn row_order_does_not_change_the_snapshot() {
        let rows = [
            "p1,op,A,US,,,,,,H100,8,80,,2.5,",
            "p1,op,,,,,,,,A100,4,40,,1.2,",
            "p2,,,DE,,,,,,H100,1,80,,,",
            "p3,,,,,,,,,H100,2,80,,,",
            "p3,,,,,,,,,H100,2,80,,,",
            "p2,,,,,,,,,H100,1,80,,3,",
        ];
        // In order, reversed, interleaved, and in order until an id that
        // comes back after a later one (the reader then starts its map).
        let orders = [
            [0, 1, 2, 3, 4, 5],
            [5, 4, 3, 2, 1, 0],
            [2, 0, 3, 5, 1, 4],
            [0, 2, 3, 4, 1, 5],
            [3, 4, 0, 2, 1, 5],
        ];
        let providers = |order: &[usize]| {
            let body: String = order.iter().map(|&i| format!("{}\n", rows[i])).collect();
            serde_json::to_string(&parse(&body).unwrap().providers).unwrap()
        };
        let expected = providers(&orders[0]);
        assert!(expected.contains(r#""duplicated":2"#), "{expected}");
        for order in &orders[1..] {
            assert_eq!(providers(order), expected, "order {order:?}");
        }
    }

    #[test]
    fn empty_optional_columns_allocate_no_rare_fields() {
        // Present but empty on one provider, given on the other.
        let header = HEADER.trim_end();
        let text = format!(
            "{header},hostname,nodes,declared_gpu_models\n\
             p1,,,,,,,,,H100,8,,,,,,,\n\
             p2,,,,,,,,,H100,8,,,,,h.example.com,,\n"
        );
        let mut s = read_text(&text).unwrap();
        assert!(s.providers[0].more.get_mut().is_none());
        let p2 = s.providers[1].more.get_mut().expect("p2 gives a host name");
        assert_eq!(p2.hostname.as_deref(), Some("h.example.com"));
        assert_eq!((p2.nodes, p2.declared_gpu_models.len()), (None, 0));
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
            (p.more.nodes, p.more.gpus_leased, p.online),
            (Some(1), Some(3), Some(true))
        );
        assert_eq!(p.more.declared_country.as_deref(), Some("US"));
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
            // Cells are parsed ahead of merging; errors still come in file
            // order, and in column order within a row.
            (
                "p1,,A,,,,,,,,,,,,\np1,,B,,,,,,,,,,,,\np2,,,,,,,,,,,,x,,\n",
                "line 3: field `name`",
            ),
            (
                "p1,,A,,,,,,,,,,,,\np1,,B,,,,,,,h100,1,,x,,\n",
                "line 3: field `name`",
            ),
            ("p1,,,Narnia,,AS-x,,,,,,,,,\n", "line 2: field `country`"),
            // A bad cell before a row that is not CSV at all.
            (
                "p1,,,,,,,,,h100,1,,,bad,\np2,,,,,,,,,,,,,,,\n",
                "line 2: field `price_per_gpu_hour`",
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
    fn gpu_counts_written_as_numbers_are_read_when_whole() {
        let s = parse("p1,,,,,,,,,t4,8.0,,,,\np2,,,,,,,,,t4,1e1,,,,\n").unwrap();
        let counts: Vec<u64> = s.providers.iter().map(|p| p.gpu_count()).collect();
        assert_eq!(counts, [8, 10]);
        let e = parse("p1,,,,,,,,,t4,1.5,,,,\n").unwrap_err().to_string();
        assert!(
            e.contains("line 2: field `gpu_count`: 1.5 is not a whole number"),
            "{e}"
        );
    }

    #[test]
    fn rows_of_empty_cells_are_skipped() {
        let s =
            parse("p1,,,,,,,,,t4,2,,,,\n,,,,,,,,,,,,,,\n , ,,,,,\t,,,,,,,,\np2,,,,,,,,,,,,,,\n")
                .unwrap();
        assert_eq!(s.providers.len(), 2);
        let e = parse(" ,,,,,,,,,t4,,,,,\n").unwrap_err().to_string();
        assert!(e.contains("line 2: field `provider_id`: is empty"), "{e}");
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

    /// Writes a snapshot as generic CSV and reads it back.
    fn round_trip(s: &Snapshot) -> (String, Snapshot) {
        let text = String::from_utf8(write_csv(s)).unwrap();
        let back = read_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        (text, back)
    }

    /// The (gpu_vendor, gpu_model, gpu_count, price) cells of each data row.
    fn gpu_cells(text: &str) -> Vec<[String; 5]> {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let h = r.headers().unwrap().clone();
        let at = |n: &str| h.iter().position(|c| c == n).unwrap();
        let cols = [
            at("provider_id"),
            at("gpu_vendor"),
            at("gpu_model"),
            at("gpu_count"),
            at("price_per_gpu_hour"),
        ];
        r.records()
            .map(|rec| cols.map(|c| rec.as_ref().unwrap()[c].to_string()))
            .collect()
    }

    fn cells(rows: &[[&str; 5]]) -> Vec<[String; 5]> {
        rows.iter().map(|r| r.map(str::to_string)).collect()
    }

    #[test]
    fn snapshot_level_columns_describe_the_file() {
        // Optional columns anywhere, before provider_id too.
        let text = format!(
            "network,{},stake_unit,profile,taken_at\n\
             cosmoshub-4,v1,,,,,,,,,,,,,,100,uatom,cosmos,\n\
             ,v2,,,,,,,,,,,,,,50,,,height 5\n\
             cosmoshub-4,v3,,,,,,,,,,,,,,25,uatom,,height 5\n",
            HEADER.trim_end()
        );
        assert!(is_header(text.lines().next().unwrap()));
        let s = read_text(&text).unwrap();
        assert_eq!(s.network, "cosmoshub-4");
        assert_eq!(s.stake_unit.as_deref(), Some("uatom"));
        assert_eq!(s.profile.as_deref(), Some("cosmos"));
        assert_eq!(s.taken_at.as_deref(), Some("height 5"));
        assert_eq!(
            crate::profile::NetworkProfile::for_snapshot(&s).name,
            "cosmos"
        );
        // Without them: the generic network, no profile, no unit.
        let s = parse("p1,,,,,,,,,,,,,,1\n").unwrap();
        assert_eq!(
            (s.network.as_str(), s.profile, s.stake_unit),
            ("generic", None, None)
        );
    }

    /// Each body after `header` fails to read with a message containing
    /// its expected text.
    fn assert_read_errors(header: &str, cases: &[(&str, &str)]) {
        for (body, expected) in cases {
            let text = read_text(&format!("{header}{body}"))
                .unwrap_err()
                .to_string();
            assert!(text.contains(expected), "{body:?}: {text}");
        }
    }

    #[test]
    fn snapshot_level_conflicts_name_the_line() {
        let header = format!("{},network,profile,stake_unit\n", HEADER.trim_end());
        let cases = [
            (
                // Another provider, another network: still one file.
                "a,,,,,,,,,,,,,,1,osmosis-1,,\nb,,,,,,,,,,,,,,1,,,\nc,,,,,,,,,,,,,,1,cosmoshub-4,,\n",
                "line 4: field `network`: `cosmoshub-4` conflicts with `osmosis-1` given earlier in the file",
            ),
            (
                "a,,,,,,,,,,,,,,1,,cosmos,\na,,,,,,,,,,,,,,,,bittensor,\n",
                "line 3: field `profile`: `bittensor` conflicts with `cosmos`",
            ),
            (
                "a,,,,,,,,,,,,,,1,,,uatom\nb,,,,,,,,,,,,,,1,,,TAO\n",
                "line 3: field `stake_unit`: `TAO` conflicts with `uatom`",
            ),
            (
                "a,,,,,,,,,,,,,,1,,mainnet,\n",
                "line 2: field `profile`: `mainnet` is not a bundled network profile",
            ),
        ];
        assert_read_errors(&header, &cases);
    }

    #[test]
    fn a_header_without_provider_id_gets_an_error_about_the_header() {
        let read = |text: &str| {
            crate::sources::read(
                &Input {
                    location: "f.csv",
                    bytes: text.as_bytes(),
                },
                None,
            )
        };
        let rest = COLUMNS[1..].join(",");
        let cases = [
            (
                format!("Provider_ID,{rest}\n"),
                "f.csv: line 1 (header): field `Provider_ID`: looks like `provider_id`",
            ),
            (
                format!("Provider ID,{rest}\n"),
                "field `Provider ID`: looks like `provider_id`",
            ),
            (
                format!("{rest},provider\n"),
                "field `provider`: is not `provider_id`",
            ),
            (
                "id,gpus\na,1\n".to_string(),
                "f.csv: line 1 (header): `id,gpus` has no `provider_id` column",
            ),
        ];
        for (text, expected) in cases {
            let e = read(&text).unwrap_err().to_string();
            assert!(e.contains(expected), "{text:?}: {e}");
            assert!(
                e.contains("gpu_count,gpu_memory_gb"),
                "lists the columns: {e}"
            );
            assert!(!e.contains("formats tried"), "{e}");
        }
        // Spaces around a name are dropped, as for every column.
        let spaced = format!("{rest}, provider_id \n,,,,,,,,H100,1,,,,,p1\n");
        assert!(is_header(spaced.lines().next().unwrap()));
        assert_eq!(read(&spaced).unwrap().providers[0].id, "p1");
        // A misspelled optional column is named with a suggestion.
        let e = read(&format!("provider_id,{rest},hostnme\np,,,,,,,,,,,,,,,\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `hostname`?"), "{e}");
    }

    #[test]
    fn number_conflicts_show_the_numbers() {
        let cases = [
            (
                "p,,,,,,,,,,,,0.99,,\np,,,,,,,,,,,,0.95,,\n",
                "line 3: field `uptime`: 0.95 conflicts with 0.99 given earlier for this provider",
            ),
            (
                "p,,,,,,,,,,,,,,100\np,,,,,,,,,,,,,,250.5\n",
                "line 3: field `stake`: 250.5 conflicts with 100 given earlier for this provider",
            ),
        ];
        assert_read_errors(HEADER, &cases);
        // The same number written twice is no conflict.
        read_text(&format!(
            "{HEADER}p,,,,,,,,,,,,0.99,,\np,,,,,,,,,,,,0.990,,\n"
        ))
        .unwrap();
    }

    #[test]
    fn header_needs_the_required_columns_beside_optional_ones() {
        let e = read_text("provider_id,network,profile\np,x,cosmos\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("column is missing"), "{e}");
    }

    #[test]
    fn export_writes_one_row_per_ask_and_the_unpriced_rest() {
        let s = parse(
            "A,,,,,,,,nvidia,H100,4,80,,2.10,\n\
             A,,,,,,,,nvidia,H100,4,80,,1.70,\n\
             C,,,,,,,,nvidia,H100,2,80,,1.1,\n\
             C,,,,,,,,nvidia,H100,6,80,,,\n",
        )
        .unwrap();
        let (text, back) = round_trip(&s);
        assert_eq!(
            gpu_cells(&text),
            cells(&[
                ["A", "nvidia", "H100", "4", "1.7"],
                ["A", "nvidia", "H100", "4", "2.1"],
                ["C", "nvidia", "H100", "2", "1.1"],
                ["C", "nvidia", "H100", "6", ""],
            ])
        );
        assert_eq!(back.providers, s.providers);
        let a = back.providers[0].ask_for(Some("h100-80gb")).unwrap();
        assert_eq!((a.per_gpu_hour, a.gpus), (1.9, Some(8)));
        let c = back.providers[1].ask_for(Some("h100-80gb")).unwrap();
        assert_eq!((c.per_gpu_hour, c.gpus), (1.1, Some(2)));
    }

    #[test]
    fn asks_without_gpu_counts_cover_the_whole_group() {
        let mut s = parse("m1,,,,,,,,,A100 SXM4,8,80,,,\n").unwrap();
        s.providers[0].prices.push(Price {
            gpu_model: Some("a100-80gb".into()),
            per_gpu_hour: 1.25,
            currency: "USD".into(),
            gpus: None,
        });
        let (text, back) = round_trip(&s);
        assert_eq!(
            gpu_cells(&text),
            cells(&[["m1", "nvidia", "A100 SXM4", "8", "1.25"]])
        );
        let ask = back.providers[0].ask_for(Some("a100-80gb")).unwrap();
        assert_eq!((ask.per_gpu_hour, ask.gpus), (1.25, Some(8)));
    }

    #[test]
    fn repeated_rows_survive_as_duplicated_gpus() {
        let s = parse(
            "A,,,,,,,,,H100,4,80,,2.1,\n\
             A,,,,,,,,,H100,4,80,,2.1,\n\
             A,,,,,,,,,H100,3,80,,1.5,\n\
             B,,,,,,,,,A100,2,80,,,\n\
             B,,,,,,,,,A100,2,80,,,\n\
             B,,,,,,,,,A100,2,80,,,\n\
             B,,,,,,,,,A100,1,80,,,\n",
        )
        .unwrap();
        assert_eq!(s.providers[0].gpus[0].duplicated, 4);
        assert_eq!(s.providers[1].gpus[0].duplicated, 4);
        let (_, back) = round_trip(&s);
        assert_eq!(back.providers, s.providers);
    }

    #[test]
    fn repeated_rows_hold_the_duplicated_gpus() {
        // (count, duplicated wanted) → row sizes, duplicated GPUs they hold.
        let cases: [(u64, u64, &[u64], u64); 10] = [
            (8, 0, &[8], 0),
            (8, 4, &[4, 4], 4),
            (12, 8, &[4, 4, 4], 8),
            (7, 2, &[2, 2, 3], 2),
            // 3 + 3 + 3 would hold 6: four rows of 1 and one of 5 hold 3.
            (9, 3, &[1, 1, 1, 1, 5], 3),
            // At most count - 1: the first listing is no duplicate.
            (6, 9, &[1, 1, 1, 1, 1, 1], 5),
            (1, 1, &[1], 0),
            (0, 0, &[0], 0),
            // No rows of 3 GPUs hold exactly 1 duplicate: listed once.
            (3, 1, &[3], 0),
            (u64::MAX, 1, &[1, 1, u64::MAX - 2], 1),
        ];
        for (count, wanted, sizes, held) in cases {
            assert_eq!(
                repeated_rows(count, wanted),
                (sizes.to_vec(), held),
                "{count} GPUs, {wanted} duplicated"
            );
        }
    }

    #[test]
    fn export_keeps_the_declared_vendor() {
        let s = parse("red,,,,,,,,nvidia,Radeon RX 7900 XTX,2,24,,,\n").unwrap();
        let g = &s.providers[0].gpus[0];
        assert_eq!(
            (g.vendor.as_deref(), g.declared_vendor.as_deref()),
            (Some("amd"), Some("nvidia"))
        );
        let (text, back) = round_trip(&s);
        assert_eq!(gpu_cells(&text)[0][1], "nvidia");
        assert_eq!(back.providers, s.providers);
    }

    #[test]
    fn export_names_only_operators_some_key_names() {
        use crate::model::KeyKind;
        let mut s = parse(
            "lone,,,,,,,,,,,,,,1\n\
             twin1,,,,,,,,,,,,,,1\n\
             twin2,,,,,,,,,,,,,,1\n\
             keybase,,,,,,,,,,,,,,1\n\
             said,alpha,,,,,,,,,,,,,1\n",
        )
        .unwrap();
        let key = |s: &mut Snapshot, id: &str, kind, value: &str| {
            let p = s.providers.iter_mut().find(|p| p.id == id).unwrap();
            p.add_key(kind, value);
        };
        key(&mut s, "lone", KeyKind::OwnerAddress, "cosmos1lone");
        key(&mut s, "twin1", KeyKind::OwnerAddress, "cosmos1twin");
        key(&mut s, "twin2", KeyKind::OwnerAddress, "cosmos1twin");
        key(&mut s, "keybase", KeyKind::OwnerAddress, "cosmos1kb");
        key(&mut s, "keybase", KeyKind::Identity, "ABCD");
        let (text, back) = round_trip(&s);
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let operators: Vec<(String, String)> = r
            .records()
            .map(|x| {
                let x = x.unwrap();
                (x[0].to_string(), x[1].to_string())
            })
            .collect();
        let expected = [
            ("keybase", "identity:ABCD"),
            ("lone", ""),
            ("said", "alpha"),
            ("twin1", "owner_address:cosmos1twin"),
            ("twin2", "owner_address:cosmos1twin"),
        ];
        assert_eq!(
            operators,
            expected.map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let declared: Vec<usize> = back
            .providers
            .iter()
            .map(|p| p.operator_keys.len())
            .collect();
        assert_eq!(declared, [1, 0, 1, 1, 1], "the lone account stays unlinked");
    }

    #[test]
    fn declared_gpu_models_are_normalized_and_stay_ids() {
        let names = "H100 SXM 80GB | A100 80GB|RTX 4090|Some Future GPU|";
        let ids = gpu_model_list(names).unwrap();
        assert!(ids.contains(&Text::from("h100-80gb")), "{ids:?}");
        assert!(ids.contains(&Text::from("a100-80gb")), "{ids:?}");
        assert_eq!(ids.len(), 4, "{ids:?}");
        // Ids as `snapshot --format csv` writes them read back unchanged.
        assert_eq!(gpu_model_list(&ids.join("|")).unwrap(), ids);
    }

    #[test]
    fn every_provider_field_but_the_keys_round_trips() {
        let text = format!(
            "{},in_datacenter,gpus_offered,emission,declared_region,last_checked,status,invalid_gpu_total,declared_gpu_models,city,cpu_cores,memory_gb,storage_gb,uptime_window,ip,hostname,online,active_set\n\
             p1,,,US,,,,,,A100,8,80,0.98,,,true,4,1.5,Missouri,2026-01-15T10:00:00Z,verified,,,Kansas City,64,512,2000,30d,203.0.113.9,gpu.example.com,true,true\n\
             p2,,,,,,,,,,,,,,,,,,,,BOND_STATUS_UNBONDED,-2,a100-80gb|h100-80gb,,,,,,,,,false\n",
            HEADER.trim_end()
        );
        let s = read_text(&text).unwrap();
        let p1 = &s.providers[0];
        assert_eq!(p1.uptime.as_ref().unwrap().window, "30d");
        assert_eq!(
            (p1.in_datacenter, p1.more.gpus_offered),
            (Some(true), Some(4))
        );
        assert_eq!(s.providers[1].more.invalid_gpu_total, Some(-2.0));
        assert_eq!(s.providers[1].more.declared_gpu_models.len(), 2);
        let (_, back) = round_trip(&s);
        // The host-name domain names p1's operator: written as `operator`,
        // read back as a declared operator beside the host name.
        let mut expected = s.providers.clone();
        expected[0].add_key(KeyKind::Declared, "domain:example.com");
        assert_eq!(back.providers, expected);
        assert_eq!(back.profile.as_deref(), Some("default"));
    }

    #[test]
    fn formula_guards_are_undone_on_reading() {
        for text in [
            "=SUM(1)", "+1", "-2+3", "@x", "'quoted", "'t Hooft", "plain",
        ] {
            assert_eq!(unguard(&guard(text)), text);
        }
        assert_eq!(unguard("'t Hooft"), "'t Hooft");
        let s = parse("p1,=cmd,'t Hooft,,,,,,,,,,,,\n").unwrap();
        let (text, back) = round_trip(&s);
        assert!(text.contains("'=cmd"), "{text}");
        assert_eq!(back.providers, s.providers);
    }
}
