//! The snapshot's pretty JSON form, written with both cores.
//!
//! A snapshot of 500,000 providers is 760 MB of pretty JSON; serde_json
//! writes it at about 360 MB/s through a `dyn Write`. Here providers are
//! serialized in parallel, in chunks, into plain byte buffers and written
//! in input order. The bytes are exactly serde_json's `to_writer_pretty`
//! (checked by the tests below), so the format is unchanged.

use super::{Provider, Snapshot};
use rayon::prelude::*;
use std::io::Write;

/// Providers serialized per parallel task.
const CHUNK: usize = 1024;
/// Providers serialized before the buffers are written out: bounds memory
/// to a few tens of megabytes whatever the snapshot's size.
const WINDOW: usize = 16 * CHUNK;
/// Indentation of one provider inside `"providers": [ … ]`.
const PROVIDER_INDENT: &[u8] = b"\n    ";

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
    // One thread (with rayon's pool) serializes windows of providers while
    // this one writes the previous window: the two overlap, and at most two
    // windows are held at a time.
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<Vec<u8>>>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for window in snapshot.providers.chunks(WINDOW) {
                let chunks: std::io::Result<Vec<Vec<u8>>> =
                    window.par_chunks(CHUNK).map(providers_indented).collect();
                let failed = chunks.is_err();
                // The writer hung up after an error: stop serializing.
                if tx.send(chunks).is_err() || failed {
                    return;
                }
            }
        });
        let mut first = true;
        for chunks in rx {
            for chunk in chunks? {
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

/// `,\n    {…}` for each provider, indented to its place in the array.
fn providers_indented(chunk: &[Provider]) -> std::io::Result<Vec<u8>> {
    use serde::Serialize;
    let mut out = Vec::with_capacity(chunk.len() * 2048);
    for p in chunk {
        out.extend_from_slice(b",");
        out.extend_from_slice(PROVIDER_INDENT);
        let mut ser =
            serde_json::Serializer::with_formatter(&mut out, Indented::at(PROVIDER_LEVEL));
        p.serialize(&mut ser)?;
    }
    Ok(out)
}

/// Nesting level of a provider object inside `"providers": [ … ]`.
const PROVIDER_LEVEL: usize = 2;

/// `,\n` and then the spaces of up to 31 levels of indentation.
const LINE: &[u8; 64] = b",\n                                                              ";

/// serde_json's pretty layout (two spaces per level) for a value that
/// starts `level` levels deep, so a provider is written in place instead of
/// being written at level 0 and re-indented.
struct Indented {
    level: usize,
    has_value: bool,
}

impl Indented {
    fn at(level: usize) -> Self {
        Indented {
            level,
            has_value: false,
        }
    }

    /// A line break, after a comma if `comma`, and the indentation of this
    /// level, in one write: this runs for every key of every provider, and
    /// one copy from a ready-made line costs less than writing the
    /// separator and then the spaces.
    fn line<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        const MOST: usize = LINE.len() - 2;
        let mut left = 2 * self.level;
        let head = left.min(MOST);
        w.write_all(&LINE[usize::from(!comma)..2 + head])?;
        left -= head;
        while left > 0 {
            let n = left.min(MOST);
            w.write_all(&LINE[2..2 + n])?;
            left -= n;
        }
        Ok(())
    }

    /// Starts an array element or object key on its own line.
    fn entry<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.line(w, !first)
    }

    /// Opens an array or object one level deeper.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// Closes an array or object, on its own line when it held a value.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.entry(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.entry(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
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
                Indented {
                    level,
                    has_value: false,
                }
                .line(&mut out, comma)
                .unwrap();
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
