//! The snapshot's pretty JSON form, written with both cores.
//!
//! A snapshot of 500,000 providers is 760 MB of pretty JSON; serde_json
//! writes it at about 360 MB/s through a `dyn Write`, and half of that time
//! goes to escaping strings a byte at a time, field names included. Here
//! providers are written by hand, in parallel, in chunks, into plain byte
//! buffers and written in input order. The bytes are exactly serde_json's
//! `to_writer_pretty` of the provider's record (`model::record`; checked by
//! the tests below), so the format is unchanged.

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
    let frame = serde_json::to_vec_pretty(&without_providers(snapshot))?;
    if snapshot.providers.is_empty() {
        return w.write_all(&frame);
    }
    // The frame holds `"providers": []` once, at the top level: a string
    // value cannot contain it unescaped, and nothing else is at indent 2.
    let marker = b"\n  \"providers\": [";
    let at = find(&frame, marker).expect("the frame has a providers key") + marker.len();
    w.write_all(&frame[..at])?;
    // One thread (with rayon's pool) writes windows of providers into
    // buffers while this one writes the previous window out: the two
    // overlap, and at most two windows are held at a time.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for window in snapshot.providers.chunks(WINDOW) {
                let chunks = window.par_chunks(CHUNK).map(providers_indented).collect();
                // The writer hung up after an error: stop.
                if tx.send(chunks).is_err() {
                    return;
                }
            }
        });
        let mut first = true;
        for chunks in rx {
            for chunk in chunks {
                // Every chunk starts with a separator: drop the first comma.
                w.write_all(if first { &chunk[1..] } else { &chunk })?;
                first = false;
            }
        }
        Ok::<(), std::io::Error>(())
    })?;
    w.write_all(b"\n  ")?;
    w.write_all(&frame[at..])
}

/// Nesting level of a provider object inside `"providers": [ … ]`.
const PROVIDER_LEVEL: usize = 2;

/// `,\n    {…}` for each provider, indented to its place in the array.
fn providers_indented(chunk: &[Provider]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunk.len() * 2048);
    for p in chunk {
        line(&mut out, PROVIDER_LEVEL, true);
        provider(&mut out, p, PROVIDER_LEVEL);
    }
    out
}

/// A provider as its record (`model::record::ProviderRecord`) is written:
/// the same fields, in the same order, skipped in the same cases.
fn provider(out: &mut Vec<u8>, p: &Provider, level: usize) {
    let m: &ProviderMore = &p.more;
    object(out, level, |o| {
        string(o.key("id"), &p.id);
        let inner = o.level + 1;
        array(
            o.key("operator_keys"),
            inner,
            &p.operator_keys,
            operator_key,
        );
        or_null(o.key("name"), p.name.as_deref(), string);
        or_null(o.key("country"), p.country.as_deref(), string);
        or_null(o.key("region"), p.region.as_deref(), string);
        or_null(o.key("city"), m.city.as_deref(), string);
        or_null(o.key("asn"), p.asn.map(u64::from), uint);
        or_null(o.key("cloud"), p.cloud.as_deref(), string);
        or_null(o.key("datacenter"), p.datacenter.as_deref(), string);
        if let Some(b) = p.in_datacenter {
            boolean(o.key("in_datacenter"), b);
        }
        or_null(o.key("hostname"), m.hostname.as_deref(), string);
        or_null(o.key("ip"), p.ip.as_deref(), string);
        array(o.key("gpus"), inner, &p.gpus, gpu_group);
        if let Some(n) = m.gpus_offered {
            uint(o.key("gpus_offered"), n);
        }
        let models = &m.declared_gpu_models;
        array(o.key("declared_gpu_models"), inner, models, |out, _, t| {
            string(out, t)
        });
        or_null(o.key("cpu_cores"), m.cpu_cores, float);
        or_null(o.key("memory_gb"), m.memory_gb, float);
        or_null(o.key("storage_gb"), m.storage_gb, float);
        match &p.uptime {
            Some(u) => uptime(o.key("uptime"), inner, u),
            None => null(o.key("uptime")),
        }
        or_null(o.key("online"), p.online, boolean);
        or_null(o.key("active_set"), p.active_set, boolean);
        or_null(o.key("status"), p.status.as_deref(), string);
        array(o.key("prices"), inner, &p.prices, price);
        or_null(o.key("stake"), p.stake, float);
        or_null(o.key("emission"), p.emission, float);
        if let Some(n) = m.nodes {
            uint(o.key("nodes"), n);
        }
        if let Some(n) = m.gpus_leased {
            uint(o.key("gpus_leased"), n);
        }
        let texts = [
            ("last_seen", &m.last_seen),
            ("last_checked", &m.last_checked),
            ("declared_country", &m.declared_country),
            ("declared_region", &m.declared_region),
        ];
        for (name, text) in texts {
            if let Some(t) = text {
                string(o.key(name), t);
            }
        }
        if let Some(x) = m.invalid_gpu_total {
            float(o.key("invalid_gpu_total"), x);
        }
        if let Some(t) = &m.fingerprint {
            string(o.key("fingerprint"), t);
        }
    });
}

fn operator_key(out: &mut Vec<u8>, level: usize, k: &OperatorKey) {
    object(out, level, |o| {
        string(o.key("kind"), k.kind.as_str());
        string(o.key("value"), &k.value);
    });
}

/// A GPU group as its record (`model::record::GpuGroupRecord`) is written.
fn gpu_group(out: &mut Vec<u8>, level: usize, g: &GpuGroup) {
    object(out, level, |o| {
        or_null(o.key("vendor"), g.vendor.as_deref(), string);
        if let Some(v) = &g.declared_vendor {
            string(o.key("declared_vendor"), v);
        }
        or_null(o.key("model"), g.model.as_deref(), string);
        or_null(o.key("raw_model"), g.raw_model.as_deref(), string);
        boolean(o.key("known_model"), g.known_model);
        or_null(o.key("interface"), g.interface.as_deref(), string);
        or_null(o.key("memory_gb"), g.memory_gb, float);
        uint(o.key("count"), g.count);
        or_null(o.key("tflops_fp16"), g.tflops_fp16, float);
        if g.duplicated != 0 {
            uint(o.key("duplicated"), g.duplicated);
        }
    });
}

fn uptime(out: &mut Vec<u8>, level: usize, u: &Uptime) {
    object(out, level, |o| {
        float(o.key("value"), u.value);
        string(o.key("window"), &u.window);
    });
}

fn price(out: &mut Vec<u8>, level: usize, p: &Price) {
    object(out, level, |o| {
        or_null(o.key("gpu_model"), p.gpu_model.as_deref(), string);
        float(o.key("per_gpu_hour"), p.per_gpu_hour);
        string(o.key("currency"), &p.currency);
        if let Some(n) = p.gpus {
            uint(o.key("gpus"), n);
        }
    });
}

/// `,\n` and then the spaces of up to 31 levels of indentation.
const LINE: &[u8; 64] = b",\n                                                              ";

/// A line break, after a comma if `comma`, and the indentation of `level`
/// (two spaces per level, as serde_json's pretty printer), copied from one
/// ready-made line: this runs for every field of every provider.
fn line(out: &mut Vec<u8>, level: usize, comma: bool) {
    const MOST: usize = LINE.len() - 2;
    let mut left = 2 * level;
    let head = left.min(MOST);
    out.extend_from_slice(&LINE[usize::from(!comma)..2 + head]);
    left -= head;
    while left > 0 {
        let n = left.min(MOST);
        out.extend_from_slice(&LINE[2..2 + n]);
        left -= n;
    }
}

/// The members of an object being written, `level` deep.
struct Members<'o> {
    out: &'o mut Vec<u8>,
    level: usize,
    any: bool,
}

impl Members<'_> {
    /// Starts a member on its own line: `"name": `; the value follows.
    /// Names are plain field names, which JSON does not escape.
    fn key(&mut self, name: &str) -> &mut Vec<u8> {
        line(self.out, self.level + 1, self.any);
        self.any = true;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\": ");
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
fn array<T>(out: &mut Vec<u8>, level: usize, items: &[T], item: fn(&mut Vec<u8>, usize, &T)) {
    out.push(b'[');
    for (i, t) in items.iter().enumerate() {
        line(out, level + 1, i > 0);
        item(out, level + 1, t);
    }
    if !items.is_empty() {
        line(out, level, false);
    }
    out.push(b']');
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
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
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
            declared_gpu_models: vec!["a100".into(), "h100".into()],
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
        for p in [full, Provider::new("bare")] {
            for level in [0, PROVIDER_LEVEL, 5] {
                let mut out = Vec::new();
                provider(&mut out, &p, level);
                let mut expected = Vec::new();
                let mut ser = serde_json::Serializer::with_formatter(
                    &mut expected,
                    serde_json::ser::PrettyFormatter::new(),
                );
                serde::Serialize::serialize(&p, &mut ser).unwrap();
                let indent = format!("\n{}", " ".repeat(2 * level));
                let expected = String::from_utf8(expected).unwrap().replace('\n', &indent);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    expected,
                    "{} at {level}",
                    p.id
                );
            }
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
