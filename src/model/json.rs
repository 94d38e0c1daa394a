//! The snapshot's pretty JSON form, written with both cores.
//!
//! A snapshot of 500,000 providers is 760 MB of pretty JSON; serde_json
//! writes it at about 360 MB/s through a `dyn Write`, and half of that time
//! goes to escaping strings a byte at a time, field names included. Here
//! providers are written by hand, in parallel, in chunks, into plain byte
//! buffers and written in input order. The bytes are exactly serde_json's
//! `to_writer_pretty` of the provider's record (`model::record`; checked by
//! the tests below), so the format is unchanged.
//!
//! Field names and indentation are rendered when compiling and copied in
//! fixed-size blocks; a GPU kind's fields once per chunk. Each provider's
//! lists are written in canonical order whether or not the provider was
//! canonicalized, so `snapshot` can write providers of a sorted CSV while
//! the rest of the file is still being read ([`ProviderList`]).

use super::gpu::GpuGroup;
use super::{OperatorKey, Price, Provider, ProviderMore, Snapshot, Uptime};
use rayon::prelude::*;
use serde_json::ser::Formatter;
use std::io::Write;

/// Providers written per parallel task.
const CHUNK: usize = 1024;
/// Providers written before the buffers are written out: bounds memory
/// to a few tens of megabytes whatever the snapshot's size.
const WINDOW: usize = 16 * CHUNK;

/// Writes `snapshot` as pretty JSON, byte for byte as
/// `serde_json::to_writer_pretty` would.
pub fn write_pretty(w: &mut dyn Write, snapshot: &Snapshot) -> std::io::Result<()> {
    if snapshot.providers.is_empty() {
        return w.write_all(&serde_json::to_vec_pretty(&without_providers(snapshot))?);
    }
    let (head, tail) = frame(snapshot)?;
    w.write_all(&head)?;
    ProviderList::default().write(w, &snapshot.providers)?;
    w.write_all(&tail)
}

/// The pretty JSON of `snapshot` around its providers, for a snapshot
/// with at least one: the head, up to the list's `[`, and the tail, from
/// the line break before its `]`. The head's length depends on the
/// snapshot's fields, not on its providers.
pub fn frame(snapshot: &Snapshot) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let frame = serde_json::to_vec_pretty(&without_providers(snapshot))?;
    // The frame holds `"providers": []` once, at the top level: a string
    // value cannot contain it unescaped, and nothing else is at indent 2.
    let marker = b"\n  \"providers\": [";
    let at = find(&frame, marker).expect("the frame has a providers key") + marker.len();
    let mut tail = b"\n  ".to_vec();
    tail.extend_from_slice(&frame[at..]);
    let mut head = frame;
    head.truncate(at);
    Ok((head, tail))
}

/// The providers of a snapshot's list, written in parts as they come (in
/// the list's order), between a [`frame`]'s head and tail. Each provider
/// is written as [`Provider::canonicalize`] would leave it.
#[derive(Default)]
pub struct ProviderList {
    /// Whether a provider has been written (the next needs a comma).
    started: bool,
}

impl ProviderList {
    /// Writes `providers`, the list's next ones.
    pub fn write(&mut self, w: &mut dyn Write, providers: &[Provider]) -> std::io::Result<()> {
        // One thread (with rayon's pool) writes windows of providers into
        // buffers while this one writes the previous window out: the two
        // overlap, and at most two windows are held at a time.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(1);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                for window in providers.chunks(WINDOW) {
                    let chunks = window.par_chunks(CHUNK).map(providers_indented).collect();
                    // The writer hung up after an error: stop.
                    if tx.send(chunks).is_err() {
                        return;
                    }
                }
            });
            for chunks in rx {
                for chunk in chunks {
                    // Every chunk starts with a separator: the list's first
                    // provider has none.
                    w.write_all(if self.started { &chunk } else { &chunk[1..] })?;
                    self.started = true;
                }
            }
            Ok(())
        })
    }
}

/// Nesting level of a provider object inside `"providers": [ … ]`.
const PROVIDER_LEVEL: usize = 2;

/// `,\n    {…}` for each provider, indented to its place in the array.
fn providers_indented(chunk: &[Provider]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunk.len() * 2048);
    let mut kinds = RenderedKinds::default();
    for p in chunk {
        line(&mut out, PROVIDER_LEVEL, true);
        provider(&mut out, p, &mut kinds);
    }
    out
}

/// A provider as its record (`model::record::ProviderRecord`) is written:
/// the same fields, in the same order, skipped in the same cases, at its
/// level in the snapshot (the members' keys are rendered for it).
fn provider(out: &mut Vec<u8>, p: &Provider, kinds: &mut RenderedKinds) {
    let m: &ProviderMore = &p.more;
    let gpus = Ordered::new(&p.gpus, super::canonical_gpu_order);
    let prices = Ordered::new(&p.prices, super::canonical_price_order);
    let models = Ordered::new(&m.declared_gpu_models, Ord::cmp);
    object(out, PROVIDER_LEVEL, |o| {
        string(o.key(key!(MEMBER, "id")), &p.id);
        let inner = o.level + 1;
        array(
            o.key(key!(MEMBER, "operator_keys")),
            inner,
            &p.operator_keys,
            operator_key,
        );
        or_null(o.key(key!(MEMBER, "name")), p.name.as_deref(), string);
        or_null(o.key(key!(MEMBER, "country")), p.country.as_deref(), string);
        or_null(o.key(key!(MEMBER, "region")), p.region.as_deref(), string);
        or_null(o.key(key!(MEMBER, "city")), m.city.as_deref(), string);
        or_null(o.key(key!(MEMBER, "asn")), p.asn.map(u64::from), uint);
        or_null(o.key(key!(MEMBER, "cloud")), p.cloud.as_deref(), string);
        or_null(
            o.key(key!(MEMBER, "datacenter")),
            p.datacenter.as_deref(),
            string,
        );
        if let Some(b) = p.in_datacenter {
            boolean(o.key(key!(MEMBER, "in_datacenter")), b);
        }
        or_null(
            o.key(key!(MEMBER, "hostname")),
            m.hostname.as_deref(),
            string,
        );
        or_null(o.key(key!(MEMBER, "ip")), p.ip.as_deref(), string);
        array(
            o.key(key!(MEMBER, "gpus")),
            inner,
            gpus.iter(),
            |out, level, g| gpu_group(out, level, g, kinds),
        );
        if let Some(n) = m.gpus_offered {
            uint(o.key(key!(MEMBER, "gpus_offered")), n);
        }
        array(
            o.key(key!(MEMBER, "declared_gpu_models")),
            inner,
            models.iter(),
            |out, _, t| string(out, t),
        );
        or_null(o.key(key!(MEMBER, "cpu_cores")), m.cpu_cores, float);
        or_null(o.key(key!(MEMBER, "memory_gb")), m.memory_gb, float);
        or_null(o.key(key!(MEMBER, "storage_gb")), m.storage_gb, float);
        match &p.uptime {
            Some(u) => uptime(o.key(key!(MEMBER, "uptime")), inner, u),
            None => null(o.key(key!(MEMBER, "uptime"))),
        }
        or_null(o.key(key!(MEMBER, "online")), p.online, boolean);
        or_null(o.key(key!(MEMBER, "active_set")), p.active_set, boolean);
        or_null(o.key(key!(MEMBER, "status")), p.status.as_deref(), string);
        array(o.key(key!(MEMBER, "prices")), inner, prices.iter(), price);
        or_null(o.key(key!(MEMBER, "stake")), p.stake, float);
        or_null(o.key(key!(MEMBER, "emission")), p.emission, float);
        if let Some(n) = m.nodes {
            uint(o.key(key!(MEMBER, "nodes")), n);
        }
        if let Some(n) = m.gpus_leased {
            uint(o.key(key!(MEMBER, "gpus_leased")), n);
        }
        let texts = [
            (key!(MEMBER, "last_seen"), &m.last_seen),
            (key!(MEMBER, "last_checked"), &m.last_checked),
            (key!(MEMBER, "declared_country"), &m.declared_country),
            (key!(MEMBER, "declared_region"), &m.declared_region),
        ];
        for (key, text) in texts {
            if let Some(t) = text {
                string(o.key(key), t);
            }
        }
        if let Some(x) = m.invalid_gpu_total {
            float(o.key(key!(MEMBER, "invalid_gpu_total")), x);
        }
        if let Some(t) = &m.fingerprint {
            string(o.key(key!(MEMBER, "fingerprint")), t);
        }
    });
}

fn operator_key(out: &mut Vec<u8>, level: usize, k: &OperatorKey) {
    object(out, level, |o| {
        string(o.key(key!(ITEM_MEMBER, "kind")), k.kind.as_str());
        string(o.key(key!(ITEM_MEMBER, "value")), &k.value);
    });
}

/// A GPU group as its record (`model::record::GpuGroupRecord`) is
/// written. The members its kind gives (all but the counts) are rendered
/// once per kind and copied into every group holding it: most groups of a
/// snapshot share a few kinds.
fn gpu_group(out: &mut Vec<u8>, level: usize, g: &GpuGroup, kinds: &mut RenderedKinds) {
    let kind = kinds
        .entry(g.kind_ptr() as usize)
        .or_insert_with(|| RenderedKind::new(g));
    object(out, level, |o| {
        // The kind's first members, the first of them without a comma.
        o.out.extend_from_slice(&kind.head);
        o.any = true;
        uint(o.key(key!(ITEM_MEMBER, "count")), g.count);
        o.out.extend_from_slice(&kind.tflops);
        if g.duplicated != 0 {
            uint(o.key(key!(ITEM_MEMBER, "duplicated")), g.duplicated);
        }
    });
}

/// The kinds rendered so far, by the address of the kind (groups sharing
/// a kind share its address while the snapshot is borrowed).
type RenderedKinds = rustc_hash::FxHashMap<usize, RenderedKind>;

/// A GPU kind's members as a group of it writes them: those before the
/// count, and the throughput after it.
struct RenderedKind {
    head: Vec<u8>,
    tflops: Vec<u8>,
}

impl RenderedKind {
    fn new(g: &GpuGroup) -> Self {
        let members = |out| Members {
            out,
            level: ITEM_MEMBER - 1,
            any: false,
        };
        let mut head = Vec::new();
        let o = &mut members(&mut head);
        or_null(
            o.key(key!(ITEM_MEMBER, "vendor")),
            g.vendor.as_deref(),
            string,
        );
        if let Some(v) = &g.declared_vendor {
            string(o.key(key!(ITEM_MEMBER, "declared_vendor")), v);
        }
        or_null(
            o.key(key!(ITEM_MEMBER, "model")),
            g.model.as_deref(),
            string,
        );
        or_null(
            o.key(key!(ITEM_MEMBER, "raw_model")),
            g.raw_model.as_deref(),
            string,
        );
        boolean(o.key(key!(ITEM_MEMBER, "known_model")), g.known_model);
        or_null(
            o.key(key!(ITEM_MEMBER, "interface")),
            g.interface.as_deref(),
            string,
        );
        or_null(o.key(key!(ITEM_MEMBER, "memory_gb")), g.memory_gb, float);
        let mut tflops = Vec::new();
        let o = &mut members(&mut tflops);
        o.any = true;
        or_null(
            o.key(key!(ITEM_MEMBER, "tflops_fp16")),
            g.tflops_fp16,
            float,
        );
        RenderedKind { head, tflops }
    }
}

fn uptime(out: &mut Vec<u8>, level: usize, u: &Uptime) {
    object(out, level, |o| {
        float(o.key(key!(NESTED_MEMBER, "value")), u.value);
        string(o.key(key!(NESTED_MEMBER, "window")), &u.window);
    });
}

fn price(out: &mut Vec<u8>, level: usize, p: &Price) {
    object(out, level, |o| {
        or_null(
            o.key(key!(ITEM_MEMBER, "gpu_model")),
            p.gpu_model.as_deref(),
            string,
        );
        float(o.key(key!(ITEM_MEMBER, "per_gpu_hour")), p.per_gpu_hour);
        string(o.key(key!(ITEM_MEMBER, "currency")), &p.currency);
        if let Some(n) = p.gpus {
            uint(o.key(key!(ITEM_MEMBER, "gpus")), n);
        }
    });
}

/// `,\n` and then spaces, enough for 47 levels of indentation: a line of
/// up to [`SHORT_LINE`] bytes is copied from here as a fixed-size block
/// and cut to length.
const LINE: &[u8; 2 * SHORT_LINE] = &{
    let mut line = [b' '; 2 * SHORT_LINE];
    line[0] = b',';
    line[1] = b'\n';
    line
};

/// Bytes copied at once for a line break and its indentation, or a
/// member's start ([`Key`]). A copy of a length known when compiling is a
/// few vector stores; one of a length known only when running is a call
/// to `memcpy`, and these run for every field of every provider.
const SHORT_LINE: usize = 64;

/// Appends `block[from..from + len]` to `out` by copying [`SHORT_LINE`]
/// bytes and cutting the surplus off again.
fn put_short(out: &mut Vec<u8>, block: &[u8], from: usize, len: usize) {
    debug_assert!(len <= SHORT_LINE);
    let at = out.len();
    let fixed: &[u8; SHORT_LINE] = block[from..from + SHORT_LINE]
        .try_into()
        .expect("the block holds SHORT_LINE bytes past `from`");
    out.extend_from_slice(fixed);
    out.truncate(at + len);
}

/// A line break, after a comma if `comma`, and the indentation of `level`
/// (two spaces per level, as serde_json's pretty printer).
fn line(out: &mut Vec<u8>, level: usize, comma: bool) {
    let from = usize::from(!comma);
    let mut left = 2 * level;
    if 2 + left <= SHORT_LINE + from {
        put_short(out, LINE, from, 2 - from + left);
        return;
    }
    out.extend_from_slice(&LINE[from..2]);
    while left > 0 {
        let n = left.min(LINE.len() - 2);
        out.extend_from_slice(&LINE[2..2 + n]);
        left -= n;
    }
}

/// Nesting levels of the members written: a provider's own, those of the
/// objects in its lists (operator keys, GPU groups, prices), and its
/// uptime's.
const MEMBER: usize = PROVIDER_LEVEL + 1;
const ITEM_MEMBER: usize = PROVIDER_LEVEL + 3;
const NESTED_MEMBER: usize = PROVIDER_LEVEL + 2;

/// The start of a member at a fixed nesting level, rendered when
/// compiling: `,\n`, the indentation, `"name": `.
struct Key {
    /// The rendered start, padded with spaces to be copied in one block.
    bytes: [u8; 2 * SHORT_LINE],
    len: usize,
}

impl Key {
    /// Field names are plain names, which JSON does not escape.
    const fn new(level: usize, name: &str) -> Key {
        let name = name.as_bytes();
        let len = 2 + 2 * level + name.len() + 4;
        assert!(len <= SHORT_LINE, "a member's start fits one block");
        let mut bytes = *LINE;
        let mut at = 2 + 2 * level;
        bytes[at] = b'"';
        at += 1;
        let mut i = 0;
        while i < name.len() {
            bytes[at + i] = name[i];
            i += 1;
        }
        at += name.len();
        bytes[at] = b'"';
        bytes[at + 1] = b':';
        Key { bytes, len }
    }
}

/// The [`Key`] of member `$name` at nesting level `$level`, built when
/// compiling.
macro_rules! key {
    ($level:expr, $name:literal) => {
        &const { Key::new($level, $name) }
    };
}
use key;

/// The members of an object being written, `level` deep.
struct Members<'o> {
    out: &'o mut Vec<u8>,
    level: usize,
    any: bool,
}

impl Members<'_> {
    /// Starts a member on its own line: `"name": `; the value follows.
    /// `key` must be rendered for this object's members' level.
    fn key(&mut self, key: &Key) -> &mut Vec<u8> {
        let from = usize::from(!self.any);
        self.any = true;
        put_short(self.out, &key.bytes, from, key.len - from);
        self.out
    }
}

/// `{ … }` with the members `fill` writes; `{}` without any.
fn object(out: &mut Vec<u8>, level: usize, fill: impl FnOnce(&mut Members<'_>)) {
    out.push(b'{');
    let mut members = Members {
        out,
        level,
        any: false,
    };
    fill(&mut members);
    if members.any {
        line(out, level, false);
    }
    out.push(b'}');
}

/// `[ … ]`, one item per line; `[]` when empty.
fn array<'a, T: 'a>(
    out: &mut Vec<u8>,
    level: usize,
    items: impl IntoIterator<Item = &'a T>,
    mut item: impl FnMut(&mut Vec<u8>, usize, &T),
) {
    out.push(b'[');
    let mut any = false;
    for t in items {
        line(out, level + 1, any);
        item(out, level + 1, t);
        any = true;
    }
    if any {
        line(out, level, false);
    }
    out.push(b']');
}

/// A provider's list in its canonical order: as it is when in that order
/// already (a snapshot read whole is canonicalized before it is written),
/// sorted (stably, as `canonicalize` sorts) when not.
enum Ordered<'a, T> {
    AsIs(&'a [T]),
    Sorted(Vec<&'a T>),
}

impl<'a, T> Ordered<'a, T> {
    fn new(items: &'a [T], order: impl Fn(&T, &T) -> std::cmp::Ordering) -> Self {
        if items.is_sorted_by(|a, b| order(a, b).is_le()) {
            return Ordered::AsIs(items);
        }
        let mut sorted: Vec<&T> = items.iter().collect();
        sorted.sort_by(|a, b| order(a, b));
        Ordered::Sorted(sorted)
    }

    fn iter(&self) -> impl Iterator<Item = &'a T> + '_ {
        let (as_is, sorted) = match self {
            Ordered::AsIs(items) => (Some(items.iter()), None),
            Ordered::Sorted(items) => (None, Some(items.iter().copied())),
        };
        as_is
            .into_iter()
            .flatten()
            .chain(sorted.into_iter().flatten())
    }
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"null");
}

/// An optional value: written by `write` when present, `null` when absent.
fn or_null<T>(out: &mut Vec<u8>, value: Option<T>, write: fn(&mut Vec<u8>, T)) {
    match value {
        Some(v) => write(out, v),
        None => null(out),
    }
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

fn uint(out: &mut Vec<u8>, n: u64) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::ser::CompactFormatter.write_u64(out, n);
}

/// A number as serde_json writes an `f64`: its shortest form, `null` when
/// not finite.
fn float(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        // Writing into a Vec cannot fail.
        let _ = serde_json::ser::CompactFormatter.write_f64(out, x);
    } else {
        null(out);
    }
}

/// A JSON string escaped as serde_json escapes it: `"` and `\\`, and the
/// control characters below U+0020 (short forms where JSON has them,
/// `\u00XX` otherwise); everything else as it is. Most strings need no
/// escape and are copied whole.
fn string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let Some(first) = first_escaped(bytes) else {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    };
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        if short == 0 {
            let code = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ];
            out.extend_from_slice(&code);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Where the first byte JSON escapes is (`"`, `\\`, below U+0020), if
/// any: eight bytes are tested at a time, the few flagged ones byte by
/// byte.
fn first_escaped(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    /// A high bit in each byte of `w` that is zero, and in no other byte
    /// if none is (the flag may spill past the first zero byte, which is
    /// why flagged words are looked at byte by byte).
    fn zero_bytes(w: u64) -> u64 {
        w.wrapping_sub(ONES) & !w & HIGH
    }
    let escaped = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut words = bytes.chunks_exact(8);
    for (i, word) in words.by_ref().enumerate() {
        let w = u64::from_ne_bytes(word.try_into().expect("eight bytes"));
        // Bytes below 0x20, and bytes equal to `"` or `\`.
        let flagged = (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | zero_bytes(w ^ (ONES * u64::from(b'"')))
            | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if flagged != 0
            && let Some(at) = word.iter().position(|&b| escaped(b))
        {
            return Some(8 * i + at);
        }
    }
    let tail = bytes.len() - words.remainder().len();
    words
        .remainder()
        .iter()
        .position(|&b| escaped(b))
        .map(|at| tail + at)
}

/// Every field but the providers (a struct literal: a new field fails to
/// compile here instead of being dropped from the output).
fn without_providers(s: &Snapshot) -> Snapshot {
    Snapshot {
        format: s.format.clone(),
        network: s.network.clone(),
        taken_at: s.taken_at.clone(),
        source: s.source.clone(),
        input_sha256: s.input_sha256.clone(),
        stake_unit: s.stake_unit.clone(),
        emission_unit: s.emission_unit.clone(),
        profile: s.profile.clone(),
        providers: Vec::new(),
        collection: s.collection.clone(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(s: &Snapshot) -> Vec<u8> {
        let mut out = Vec::new();
        write_pretty(&mut out, s).unwrap();
        out
    }

    #[test]
    fn lines_are_indented_at_any_depth() {
        for level in 0..80 {
            for comma in [false, true] {
                let mut out = Vec::new();
                line(&mut out, level, comma);
                let expected = format!(
                    "{}\n{}",
                    if comma { "," } else { "" },
                    " ".repeat(2 * level)
                );
                assert_eq!(String::from_utf8(out).unwrap(), expected, "level {level}");
            }
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é € 𝄞 \u{7f} \u{2028} end");
        for s in [every.as_str(), "", "plain", "\"", "\\", "a\u{0}b", "\u{1f}"] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn the_first_escaped_byte_is_found_at_any_place_in_a_word() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        };
        // Neighbours of the escaped bytes, and bytes with the high bit set.
        let plain = [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xe2, 0xff];
        for len in 0..=24 {
            for filler in plain {
                let mut bytes = vec![filler; len];
                assert_eq!(first_escaped(&bytes), None, "{bytes:?}");
                for at in 0..len {
                    for special in [0x00, 0x01, 0x1f, b'"', b'\\', b'\n'] {
                        bytes[at] = special;
                        assert_eq!(first_escaped(&bytes), naive(&bytes), "{bytes:?}");
                        // A second one later does not move the first.
                        if at + 3 < len {
                            bytes[at + 3] = b'"';
                            assert_eq!(first_escaped(&bytes), Some(at), "{bytes:?}");
                            bytes[at + 3] = filler;
                        }
                        bytes[at] = filler;
                    }
                }
            }
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for x in [
            0.0,
            -0.0,
            1.0,
            0.1,
            80.0,
            989.4,
            1e21,
            1e-7,
            123456789.125,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
        ] {
            let mut out = Vec::new();
            float(&mut out, x);
            assert_eq!(out, serde_json::to_vec(&x).unwrap(), "{x}");
        }
    }

    /// Every field of a provider set, every optional one both present and
    /// absent, every key kind: the hand-written form is the record's.
    #[test]
    fn matches_serde_json_on_a_provider_with_every_field() {
        use crate::model::{KeyKind, More};
        let kinds = [
            KeyKind::Declared,
            KeyKind::Coldkey,
            KeyKind::OwnerAddress,
            KeyKind::PayoutAddress,
            KeyKind::HostId,
            KeyKind::Identity,
            KeyKind::Domain,
            KeyKind::EmailDomain,
        ];
        let mut full = Provider::new("p\"1");
        for kind in kinds {
            full.add_key(kind, format!("{kind:?} value"));
        }
        full.name = Some("tab\there".into());
        full.country = Some("DE".into());
        full.region = Some("Bavaria".into());
        full.asn = Some(u32::MAX);
        full.cloud = Some("aws".into());
        full.datacenter = Some("dc 1".into());
        full.in_datacenter = Some(false);
        full.ip = Some("10.0.0.1".into());
        let mut gpus = crate::model::gpu::normalize("H100 SXM", Some("amd"), Some(80.0), 8);
        gpus.duplicated = 2;
        full.gpus = vec![gpus, crate::model::gpu::unnamed(None, 3)];
        full.uptime = Some(Uptime {
            value: 0.995,
            window: "30d".into(),
        });
        full.online = Some(true);
        full.active_set = Some(false);
        full.status = Some("BOND_STATUS_BONDED".into());
        full.prices = vec![
            Price {
                gpu_model: Some("h100-80gb".into()),
                per_gpu_hour: 2.5,
                currency: "USD".into(),
                gpus: Some(8),
            },
            Price {
                gpu_model: None,
                per_gpu_hour: 1e-3,
                currency: "uakt".into(),
                gpus: None,
            },
        ];
        full.stake = Some(1e20);
        full.emission = Some(0.25);
        full.more = More::new(ProviderMore {
            city: Some("Munich".into()),
            hostname: Some("gpu.example.com".into()),
            gpus_offered: Some(4),
            declared_gpu_models: vec!["h100".into(), "a100".into()],
            cpu_cores: Some(64.0),
            memory_gb: Some(512.0),
            storage_gb: Some(4096.5),
            nodes: Some(2),
            gpus_leased: Some(1),
            last_seen: Some("2026-01-15T10:00:00Z".into()),
            last_checked: Some("2026-01-15T11:00:00Z".into()),
            declared_country: Some("FR".into()),
            declared_region: Some("Paris".into()),
            invalid_gpu_total: Some(-3.0),
            fingerprint: Some("board-7".into()),
        });
        // `full`'s GPU groups and prices are out of canonical order: the
        // writer puts them in it, as `canonicalize` would.
        for p in [full, Provider::new("bare")] {
            let mut out = Vec::new();
            provider(&mut out, &p, &mut RenderedKinds::default());
            let mut canonical = p.clone();
            canonical.canonicalize();
            let mut expected = Vec::new();
            let mut ser = serde_json::Serializer::with_formatter(
                &mut expected,
                serde_json::ser::PrettyFormatter::new(),
            );
            serde::Serialize::serialize(&canonical, &mut ser).unwrap();
            let indent = format!("\n{}", " ".repeat(2 * PROVIDER_LEVEL));
            let expected = String::from_utf8(expected).unwrap().replace('\n', &indent);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{}", p.id);
        }
    }

    #[test]
    fn matches_serde_json_on_every_bundled_snapshot() {
        for b in crate::bundled::BUNDLED {
            let (snapshot, _) = crate::bundled::read_bundled(b).unwrap();
            let expected = serde_json::to_vec_pretty(&snapshot).unwrap();
            assert!(pretty(&snapshot) == expected, "{}", b.path);
        }
    }

    #[test]
    fn matches_serde_json_across_windows_and_on_awkward_strings() {
        let spec = crate::synth::SynthSpec {
            providers: WINDOW + CHUNK + 7,
            gpus: 100_000,
            seed: 7,
            operators: None,
        };
        let mut csv = Vec::new();
        crate::synth::write_csv(&spec, &mut csv).unwrap();
        let input = crate::sources::Input {
            location: "synthetic.csv",
            bytes: &csv,
        };
        let mut snapshot = crate::sources::read(&input, None).unwrap();
        snapshot.network = "a \"providers\": [] \n\t net".into();
        snapshot.providers[3].name = Some("line\nbreak \"providers\": []".into());
        let expected = serde_json::to_vec_pretty(&snapshot).unwrap();
        assert!(pretty(&snapshot) == expected);
        snapshot.providers.clear();
        assert_eq!(
            pretty(&snapshot),
            serde_json::to_vec_pretty(&snapshot).unwrap()
        );
        snapshot.providers.push(Provider::new("only"));
        assert_eq!(
            pretty(&snapshot),
            serde_json::to_vec_pretty(&snapshot).unwrap()
        );
    }
}
