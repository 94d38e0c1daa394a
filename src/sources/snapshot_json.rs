//! The snapshot's own JSON form (`"format": "rackaudit-snapshot/1"`), as
//! written by `rackaudit snapshot` and read back losslessly.

use super::{Adapter, Content, Input};
use crate::error::{Error, Result};
use crate::model::{SNAPSHOT_FORMAT, Snapshot};

/// Adapter for rackaudit snapshot JSON.
pub struct SnapshotJson;

impl Adapter for SnapshotJson {
    fn name(&self) -> &'static str {
        "snapshot"
    }
    fn describe(&self) -> &'static str {
        "rackaudit snapshot JSON (\"format\": \"rackaudit-snapshot/1\")"
    }
    fn sniff(&self, content: &Content<'_>) -> bool {
        matches!(content, Content::Json(v) if v.get("format").and_then(|f| f.as_str()) == Some(SNAPSHOT_FORMAT))
    }
    fn read(&self, input: &Input<'_>, content: &Content<'_>) -> Result<Snapshot> {
        let Content::Json(value) = content else {
            return Err(Error::input(input.location, None, None, "is not JSON"));
        };
        checked(input.location, serde_path_to_error::deserialize(value))
    }
}

/// Whether a text starts like snapshot JSON (its `format` member first, as
/// `rackaudit snapshot` writes it): then it is read straight into the
/// model, without a JSON tree in between (a tree of a million providers
/// takes several times the memory of the model).
pub fn starts_like(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(256)];
    let head = String::from_utf8_lossy(head);
    let compact: String = head.split_whitespace().collect();
    compact.starts_with(&format!("{{\"format\":\"{SNAPSHOT_FORMAT}\""))
}

/// Reads snapshot JSON text straight into the model.
pub fn read_text(location: &str, text: &str) -> Result<Snapshot> {
    let invalid = |e: &serde_json::Error| {
        Error::input(
            location,
            Some(format!("line {}, column {}", e.line(), e.column())),
            None,
            format!("is not valid JSON: {e}"),
        )
        .with_hint("check that the file is complete (not truncated)")
    };
    // Fast path first: tracking the JSON path of every value costs an
    // allocation per key, so the path is only traced when reading fails.
    let mut de = serde_json::Deserializer::from_str(text);
    if let Ok(snapshot) = <Snapshot as serde::Deserialize>::deserialize(&mut de)
        && de.end().is_ok()
    {
        return of_this_format(location, snapshot);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = serde_path_to_error::deserialize(&mut de);
    // Broken JSON is reported as such, like any other JSON input; only a
    // well-formed document with a wrong field gets its JSON path.
    if let Err(e) = &parsed
        && (e.inner().is_syntax() || e.inner().is_eof())
    {
        return Err(invalid(e.inner()));
    }
    let snapshot = checked(location, parsed)?;
    de.end().map_err(|e| invalid(&e))?;
    Ok(snapshot)
}

/// The snapshot, or an error naming the JSON path; its format must be
/// this version's.
fn checked<E: std::fmt::Display>(
    location: &str,
    parsed: std::result::Result<Snapshot, serde_path_to_error::Error<E>>,
) -> Result<Snapshot> {
    let snapshot = parsed.map_err(|e| {
        let path = e.path().to_string();
        Error::input(
            location,
            Some(format!("$.{path}")),
            None,
            e.inner().to_string(),
        )
        .with_hint("compare with a snapshot written by `rackaudit snapshot`")
    })?;
    of_this_format(location, snapshot)
}

/// The snapshot, if its format is this version's.
fn of_this_format(location: &str, snapshot: Snapshot) -> Result<Snapshot> {
    if snapshot.format != SNAPSHOT_FORMAT {
        return Err(Error::input(
            location,
            Some("$".into()),
            Some("format"),
            format!("is `{}`, expected `{SNAPSHOT_FORMAT}`", snapshot.format),
        ));
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Provider, Source};

    #[test]
    fn round_trips() {
        let mut s = Snapshot::new(
            "net",
            Source {
                adapter: "csv".into(),
                location: "x".into(),
                note: None,
            },
            "ab".into(),
        );
        let mut p = Provider::new("p1");
        p.gpus
            .push(crate::model::gpu::normalize("h100", None, Some(80.0), 8));
        s.providers.push(p);
        let text = serde_json::to_string(&s).unwrap();
        let back = super::super::read(
            &Input {
                location: "s.json",
                bytes: text.as_bytes(),
            },
            None,
        )
        .unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn wrong_types_name_the_json_path() {
        let text = r#"{"format":"rackaudit-snapshot/1","network":"n","taken_at":null,
            "source":{"adapter":"a","location":"l"},"input_sha256":"x",
            "providers":[{"id":"a"},{"id":"b","gpus":[{"count":"many"}]}]}"#;
        let e = super::super::read(
            &Input {
                location: "s.json",
                bytes: text.as_bytes(),
            },
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("s.json: $.providers[1].gpus[0].count"), "{e}");
    }
}
