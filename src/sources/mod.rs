//! Input adapters: each turns the bytes of one file format into a
//! [`Snapshot`]. Formats are detected from content when not named.

pub mod akash;
pub mod bittensor;
pub mod bittensor_subnets;
pub mod cosmos;
pub mod generic_csv;
pub mod hive;
pub mod json;
pub mod numbers;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod snapshot_json;
pub mod vastai;

use crate::error::{Error, Result};
use crate::model::{Provider, Snapshot, geo};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Bytes of one input, with the name used in messages and reports.
pub struct Input<'a> {
    /// Path as given, `-` for standard input, or `bundled:<path>`.
    pub location: &'a str,
    pub bytes: &'a [u8],
}

impl<'a> Input<'a> {
    /// SHA-256 of the bytes, lowercase hex.
    pub fn sha256(&self) -> String {
        sha256_hex(self.bytes)
    }

    /// The bytes as UTF-8 text without a byte-order mark.
    pub fn text(&self) -> Result<&'a str> {
        let bytes = self
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(self.bytes);
        std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Error::input(
                self.location,
                Some(format!("line {line}")),
                None,
                format!("is not valid UTF-8 (byte offset {})", e.valid_up_to()),
            )
            .with_hint("save the file as UTF-8")
        })
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An empty snapshot of `network` read from `input` by `adapter`.
pub fn new_snapshot(network: impl Into<String>, adapter: &str, input: &Input<'_>) -> Snapshot {
    Snapshot::new(
        network,
        crate::model::Source {
            adapter: adapter.into(),
            location: input.location.to_string(),
            note: None,
        },
        input.sha256(),
    )
}

/// Content of an input, parsed once for detection and reading.
pub enum Content<'a> {
    Json(Value),
    Text(&'a str),
}

/// One input format.
pub trait Adapter: Sync {
    /// Name used with `--source`.
    fn name(&self) -> &'static str;
    /// One-line description for `--help` and error messages.
    fn describe(&self) -> &'static str;
    /// Whether the content looks like this format.
    fn sniff(&self, content: &Content<'_>) -> bool;
    /// Reads the content into a snapshot.
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot>;
}

/// Every adapter, in detection order (most specific first).
pub fn adapters() -> &'static [&'static dyn Adapter] {
    &[
        &snapshot_json::SnapshotJson,
        &bittensor::NakamotoSnapshot,
        &bittensor::Metagraph,
        &bittensor_subnets::SubnetEmissions,
        &cosmos::Validators,
        &akash::ConsoleProviders,
        &akash::ChainProviders,
        &akash::Aep4Snapshot,
        &vastai::Offers,
        &generic_csv::GenericCsv,
    ]
}

/// Finds an adapter by `--source` name.
pub fn adapter_named(name: &str) -> Result<&'static dyn Adapter> {
    adapters()
        .iter()
        .copied()
        .find(|a| a.name() == name)
        .ok_or_else(|| {
            let names: Vec<_> = adapters().iter().map(|a| a.name()).collect();
            Error::Usage(format!(
                "--source: unknown source kind `{name}`; known kinds: {}{}",
                names.join(", "),
                crate::suggest::hint(name, names.iter().copied())
            ))
        })
}

/// Parses the input once: JSON when it looks like JSON, text otherwise.
pub fn content<'a>(input: &Input<'a>) -> Result<Content<'a>> {
    let text = input.text()?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::input(input.location, None, None, "is empty")
            .with_hint("give a snapshot file; see the README for the formats"));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::input(
                input.location,
                Some(format!("line {}, column {}", e.line(), e.column())),
                None,
                format!("is not valid JSON: {e}"),
            )
            .with_hint("check that the file is complete (not truncated)")
        })?;
        return Ok(Content::Json(value));
    }
    Ok(Content::Text(text))
}

/// Reads an input with the named adapter, or detects the format.
pub fn read(input: &Input<'_>, kind: Option<&str>) -> Result<Snapshot> {
    if input.bytes.starts_with(b"PAR1") && kind.is_none_or(|k| k == "parquet") {
        return read_parquet(input);
    }
    if kind == Some("parquet") {
        return Err(Error::input(
            input.location,
            None,
            None,
            "is not a Parquet file (it does not start with PAR1)",
        ));
    }
    if kind.is_none_or(|k| k == "snapshot") {
        let text = input.text()?;
        if snapshot_json::starts_like(text.trim_start()) {
            let mut snapshot = snapshot_json::read_text(input.location, text)?;
            validate(&snapshot, input.location)?;
            snapshot.canonicalize();
            return Ok(snapshot);
        }
    }
    let content = content(input)?;
    let adapter = match kind {
        Some(name) => adapter_named(name)?,
        None => adapters()
            .iter()
            .copied()
            .find(|a| a.sniff(&content))
            .ok_or_else(|| match &content {
                // Every format but the generic CSV is JSON: text that is
                // not one is a CSV whose header is wrong.
                Content::Text(text) => generic_csv::header_error(input.location, text),
                Content::Json(_) => Error::UnknownFormat {
                    file: input.location.to_string(),
                    tried: adapters()
                        .iter()
                        .map(|a| format!("{} ({})", a.name(), a.describe()))
                        .collect(),
                },
            })?,
    };
    let mut snapshot = adapter.read(input, &content)?;
    validate(&snapshot, input.location)?;
    snapshot.canonicalize();
    Ok(snapshot)
}

/// A Parquet snapshot (rackaudit's own, or any file with the generic CSV's
/// columns), read through the generic-CSV reader; its sha256 is the
/// Parquet file's.
#[cfg(feature = "parquet")]
fn read_parquet(input: &Input<'_>) -> Result<Snapshot> {
    let csv = parquet::to_csv(input.location, input.bytes)?;
    let mut snapshot = generic_csv::GenericCsv.read(
        &Input {
            location: input.location,
            bytes: &csv,
        },
        &Content::Text(std::str::from_utf8(&csv).expect("the CSV written is UTF-8")),
    )?;
    snapshot.input_sha256 = input.sha256();
    snapshot.source.adapter = "parquet".into();
    validate(&snapshot, input.location)?;
    snapshot.canonicalize();
    Ok(snapshot)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet(input: &Input<'_>) -> Result<Snapshot> {
    Err(Error::input(
        input.location,
        None,
        None,
        "is a Parquet file, and this rackaudit was built without Parquet: build it with `cargo build --release --features parquet`",
    ))
}

/// Files at least this large are streamed when they are generic CSV.
pub const STREAM_THRESHOLD_BYTES: u64 = 8 << 20;

/// Reads a file from disk (or standard input for `-`) and its snapshot.
/// Large generic-CSV files are streamed in bounded memory.
pub fn read_path(path: &str, kind: Option<&str>) -> Result<(Snapshot, String)> {
    read_path_with(path, kind, None)
}

/// [`read_path`], telling `completed` which providers are complete while
/// a large generic CSV is read (see [`generic_csv::Completed`]; other
/// inputs are read whole and it is not called). When it was told only of
/// complete providers (never `None`), the snapshot's providers are in id
/// order but each one's lists are left as read, not canonicalized: the
/// caller that wrote them as they came writes them in canonical order
/// (as `model::json` does) or canonicalizes the snapshot.
pub fn read_path_with(
    path: &str,
    kind: Option<&str>,
    completed: Option<&mut generic_csv::Completed<'_>>,
) -> Result<(Snapshot, String)> {
    if let Some(large) = LargeFile::open(path, kind)?
        && let Some(streamed) = stream_csv(path, large, kind == Some("csv"), completed)?
    {
        return Ok(streamed);
    }
    let bytes = read_bytes(path)?;
    let input = Input {
        location: path,
        bytes: &bytes,
    };
    Ok((read(&input, kind)?, input.sha256()))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A file large enough to be streamed if it is a generic CSV: opened, with
/// its size and its first 64 KiB (enough for any header line).
struct LargeFile {
    file: std::fs::File,
    len: u64,
    head: Vec<u8>,
}

impl LargeFile {
    /// `path` as a [`LargeFile`]; `None` for standard input, another
    /// format named, a file smaller than [`STREAM_THRESHOLD_BYTES`] or not
    /// a regular file (read whole).
    fn open(path: &str, kind: Option<&str>) -> Result<Option<Self>> {
        if path == "-" || !matches!(kind, None | Some("csv")) {
            return Ok(None);
        }
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(None);
        };
        if !meta.is_file() || meta.len() < STREAM_THRESHOLD_BYTES {
            return Ok(None);
        }
        let io = |source| Error::Io {
            path: path.to_string(),
            action: "cannot read",
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut head = vec![0u8; 64 << 10];
        let n = read_up_to(&mut file, &mut head).map_err(io)?;
        head.truncate(n);
        Ok(Some(LargeFile {
            file,
            len: meta.len(),
            head,
        }))
    }

    fn first_line(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.head.split(|b| *b == b'\n').next().unwrap_or(&[]))
    }
}

/// Streams a large generic-CSV file: rows are folded into providers while
/// the file is read and hashed, so memory does not grow with rows. `None`
/// when its header is not a generic CSV's and `forced` (`--source csv`) is
/// not given (the caller then reads it whole).
fn stream_csv(
    path: &str,
    large: LargeFile,
    forced: bool,
    completed: Option<&mut generic_csv::Completed<'_>>,
) -> Result<Option<(Snapshot, String)>> {
    use sha2::Digest;
    use std::io::Read;
    if !forced && !generic_csv::is_header(&large.first_line()) {
        return Ok(None);
    }
    let io = |source| Error::Io {
        path: path.to_string(),
        action: "cannot read",
        source,
    };
    let LargeFile { file, len, head } = large;
    let mut reader = Hashing {
        inner: std::io::BufReader::with_capacity(1 << 20, std::io::Cursor::new(head).chain(file)),
        hasher: Sha256::new(),
    };
    let mut in_order = completed.is_some();
    let mut snapshot = match completed {
        Some(tell) => {
            let mut watched = |providers: Option<&[Provider]>| {
                in_order &= providers.is_some();
                tell(providers)
            };
            generic_csv::read_rows_with(path, &mut reader, len, Some(&mut watched))?
        }
        None => generic_csv::read_rows(path, &mut reader, len)?,
    };
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(io)?;
    let sha = hex(&reader.hasher.finalize());
    snapshot.input_sha256 = sha.clone();
    validate(&snapshot, path)?;
    if !in_order {
        snapshot.canonicalize();
    }
    Ok(Some((snapshot, sha)))
}

/// Whether [`read_path_with`] streams `path` as a generic CSV whose
/// snapshot, but for its rows and digest, its header tells: a regular
/// file large enough to be streamed, whose header names no snapshot-level
/// column. Only such a file's providers can be written while it is read.
pub fn streams_rows_only(path: &str, kind: Option<&str>) -> bool {
    LargeFile::open(path, kind)
        .ok()
        .flatten()
        .is_some_and(|large| generic_csv::is_header_of_rows_only(&large.first_line()))
}

/// Fills `buf` as far as the reader allows; returns the bytes read.
fn read_up_to(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads all bytes of a file or of standard input (`-`).
pub fn read_bytes(path: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |action, source| Error::Io {
        path: path.to_string(),
        action,
        source,
    };
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| io("cannot read standard input", e))?;
        return Ok(buf);
    }
    let meta = std::fs::metadata(path).map_err(|e| io("cannot open", e))?;
    if meta.is_dir() {
        return Err(Error::input(path, None, None, "is a directory, not a file")
            .with_hint("name a snapshot file inside it"));
    }
    std::fs::read(path).map_err(|e| io("cannot read", e))
}

/// Checks invariants every snapshot must meet, whatever its adapter:
/// unique provider ids, values in range, ISO country codes. The error is
/// the first provider's that breaks one (its id problem before its
/// values'); values are checked on every core.
pub fn validate(snapshot: &Snapshot, file: &str) -> Result<()> {
    use rayon::prelude::*;
    let providers = &snapshot.providers;
    let bad_values = providers
        .par_iter()
        .enumerate()
        .find_map_first(|(i, p)| check_values(file, i, p).err().map(|e| (i, e)));
    let bad_id = first_bad_id(file, providers);
    match (bad_id, bad_values) {
        (Some((i, e)), Some((j, _))) if i <= j => Err(e),
        (_, Some((_, e))) | (Some((_, e)), None) => Err(e),
        (None, None) => Ok(()),
    }
}

/// Where a provider's problem is reported: its position and id.
fn provider_error(file: &str, i: usize, p: &Provider, field: &str, message: String) -> Error {
    Error::input(
        file,
        Some(format!("provider {i} (id `{}`)", p.id)),
        Some(field),
        message,
    )
}

/// The first provider whose id is empty or repeats an earlier one's.
fn first_bad_id(file: &str, providers: &[Provider]) -> Option<(usize, Error)> {
    use rayon::prelude::*;
    let empty = |i: usize, p: &Provider| provider_error(file, i, p, "id", "is empty".into());
    // Ids in strictly increasing order (most files, and every snapshot
    // rackaudit writes) are distinct: only the first can be empty.
    if providers.par_windows(2).all(|w| w[0].id < w[1].id) {
        let first = providers.first().filter(|p| p.id.is_empty())?;
        return Some((0, empty(0, first)));
    }
    let mut seen = rustc_hash::FxHashSet::default();
    seen.reserve(providers.len());
    providers.iter().enumerate().find_map(|(i, p)| {
        if p.id.is_empty() {
            Some((i, empty(i, p)))
        } else if !seen.insert(p.id.as_str()) {
            let e = provider_error(file, i, p, "id", "appears more than once".into())
                .with_hint("give each provider a unique id");
            Some((i, e))
        } else {
            None
        }
    })
}

/// A provider's values: an ISO country, uptime in [0, 1], finite
/// non-negative amounts.
fn check_values(file: &str, i: usize, p: &Provider) -> Result<()> {
    let at = |field: &str, message: String| provider_error(file, i, p, field, message);
    if let Some(c) = &p.country
        && geo::country_code(c) != Some(c.as_str())
    {
        return Err(at(
            "country",
            format!("`{c}` is not an ISO 3166-1 alpha-2 code"),
        ));
    }
    if let Some(u) = &p.uptime
        && !(0.0..=1.0).contains(&u.value)
    {
        return Err(at("uptime", format!("{} is outside [0, 1]", u.value)));
    }
    let amounts = [
        ("stake", p.stake),
        ("emission", p.emission),
        ("cpu_cores", p.more.cpu_cores),
        ("memory_gb", p.more.memory_gb),
        ("storage_gb", p.more.storage_gb),
    ];
    for (field, value) in amounts {
        check_amount(value, |m| at(field, m))?;
    }
    for g in &p.gpus {
        check_amount(g.memory_gb, |m| at("gpus.memory_gb", m))?;
        check_amount(g.tflops_fp16, |m| at("gpus.tflops_fp16", m))?;
    }
    for price in &p.prices {
        check_amount(Some(price.per_gpu_hour), |m| at("prices.per_gpu_hour", m))?;
    }
    Ok(())
}

fn check_amount(value: Option<f64>, err: impl Fn(String) -> Error) -> Result<()> {
    match value {
        Some(x) if !x.is_finite() => Err(err(format!("{x} is not a finite number"))),
        Some(x) if x < 0.0 => Err(err(format!("{x} is negative"))),
        _ => Ok(()),
    }
}

/// Host name of a URI such as `https://provider.example.com:8443`.
pub fn host_of(uri: &str) -> Option<String> {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| h.trim_start_matches('['))?
    } else {
        host.split(':').next()?
    };
    crate::model::non_empty(Some(&host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a large generic CSV whose header names no snapshot-level
    /// column is written while it is read (`snapshot -o`): for any other
    /// input the output file is created after reading, as before.
    #[test]
    fn only_large_csvs_without_snapshot_columns_stream_their_rows() {
        let dir = std::env::temp_dir().join(format!("rackaudit-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let header = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake";
        let row = "p1,o,n,US,,1,,dc,nvidia,H100,1,80,0.9,2,\n";
        let rows = row.repeat(STREAM_THRESHOLD_BYTES as usize / row.len() + 1);
        let cases = [
            ("large.csv", format!("{header}\n{rows}"), None, true),
            ("forced.txt", format!("{header}\n{rows}"), Some("csv"), true),
            (
                "json-kind.csv",
                format!("{header}\n{rows}"),
                Some("snapshot"),
                false,
            ),
            (
                "network.csv",
                format!("{header},network\n{rows}"),
                None,
                false,
            ),
            ("small.csv", format!("{header}\n{row}"), None, false),
            (
                "other.csv",
                format!("id,{header}\n{rows}").replace("provider_id", "pid"),
                None,
                false,
            ),
        ];
        for (name, text, kind, expected) in cases {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            assert_eq!(
                streams_rows_only(path.to_str().unwrap(), kind),
                expected,
                "{name}"
            );
        }
        assert!(!streams_rows_only("-", None));
        assert!(!streams_rows_only(dir.to_str().unwrap(), None));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn host_of_table() {
        let cases = [
            (
                "https://provider.example.com:8443",
                Some("provider.example.com"),
            ),
            (
                "http://akash.wcdxnxbxqrz.hypercloud.sh",
                Some("akash.wcdxnxbxqrz.hypercloud.sh"),
            ),
            ("provider.Foo.io", Some("provider.foo.io")),
            ("https://[2001:db8::1]:443/x", Some("2001:db8::1")),
            ("", None),
        ];
        for (uri, expected) in cases {
            assert_eq!(host_of(uri).as_deref(), expected, "{uri}");
        }
    }

    #[test]
    fn validation_names_the_first_bad_provider() {
        // (ids, provider with a country that is not a code, expected error)
        let cases: [(&[&str], Option<usize>, Option<&str>); 7] = [
            (&["a", "b", "c"], None, None),
            (&["b", "a", "c"], None, None),
            (
                &["a", "b", "a"],
                Some(0),
                Some("provider 0 (id `a`): field `country`"),
            ),
            (
                &["a", "b", "a"],
                Some(2),
                Some("provider 2 (id `a`): field `id`: appears"),
            ),
            (
                &["b", "a", "c"],
                Some(2),
                Some("provider 2 (id `c`): field `country`"),
            ),
            (
                &["", "a"],
                Some(1),
                Some("provider 0 (id ``): field `id`: is empty"),
            ),
            (
                &["b", "a", ""],
                None,
                Some("provider 2 (id ``): field `id`: is empty"),
            ),
        ];
        for (ids, bad_country, expected) in cases {
            let mut s = Snapshot::new(
                "t",
                crate::model::Source {
                    adapter: "t".into(),
                    location: "t".into(),
                    note: None,
                },
                String::new(),
            );
            s.providers = ids.iter().map(|id| Provider::new(*id)).collect();
            if let Some(i) = bad_country {
                s.providers[i].country = Some("Narnia".into());
            }
            let got = validate(&s, "t").err().map(|e| e.to_string());
            match expected {
                None => assert!(got.is_none(), "{ids:?}: {got:?}"),
                Some(want) => {
                    let got = got.unwrap_or_default();
                    assert!(got.contains(want), "{ids:?}: {got}");
                }
            }
        }
    }

    #[test]
    fn empty_and_binary_inputs_get_clear_errors() {
        let e = read(
            &Input {
                location: "x",
                bytes: b"  \n",
            },
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("x: is empty"), "{e}");
        let e = read(
            &Input {
                location: "x",
                bytes: b"ok\n\xff\xfe",
            },
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("x: line 2: is not valid UTF-8"),
            "{e}"
        );
        let e = read(
            &Input {
                location: "x",
                bytes: b"{\"a\": [1, 2",
            },
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("is not valid JSON"), "{e}");
        let e = read(
            &Input {
                location: "x",
                bytes: b"{\"a\": 1}",
            },
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("formats tried"), "{e}");
    }
}
