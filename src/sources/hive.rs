//! Hive-style partition directories (`network=akash/taken_at=…`), as
//! Hive and Spark name them: the lake `snapshots export --all` writes, and
//! the partition values a lake file's path gives back when it is read.

/// Columns that a file of a Hive-partitioned lake leaves to its directory
/// names (`network=akash/taken_at=2026-01-02T00%3A00%3A00Z`).
pub const PARTITION_COLUMNS: [&str; 2] = ["network", "taken_at"];

/// Whether Hive (and Spark, which follows it) escapes `c` in a partition
/// directory name, as `%` and two upper-case hex digits.
fn hive_escapes(c: char) -> bool {
    c.is_ascii_control() || "\"#%'*/:=?\\{[]^".contains(c)
}

/// A partition value as Hive writes it in a directory name.
pub fn hive_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if hive_escapes(c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A directory name's partition value back as written; `None` when a `%`
/// is not followed by two hex digits or the bytes are not UTF-8.
pub fn hive_unescape(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The partition values (network, time) named by the directories of a
/// lake file's path, innermost last.
pub fn partition_values(location: &str) -> Vec<(&'static str, String)> {
    let path = std::path::Path::new(location);
    let mut found = Vec::new();
    for dir in path.parent().into_iter().flat_map(|p| p.components()) {
        let dir = dir.as_os_str().to_string_lossy();
        let Some((name, value)) = dir.split_once('=') else {
            continue;
        };
        if let (Some(column), Some(value)) = (
            PARTITION_COLUMNS.iter().find(|c| **c == name),
            hive_unescape(value),
        ) {
            found.retain(|(c, _)| c != column);
            found.push((*column, value));
        }
    }
    found
}

/// The directory, relative to the lake, of one snapshot's partition.
pub fn partition_dir(network: &str, taken_at: &str) -> std::path::PathBuf {
    std::path::Path::new(&format!("network={}", hive_escape(network)))
        .join(format!("taken_at={}", hive_escape(taken_at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_hive_does_and_back() {
        let cases = [
            ("2026-01-02T03:04:05Z", "2026-01-02T03%3A04%3A05Z"),
            ("a/b=c", "a%2Fb%3Dc"),
            ("100%", "100%25"),
            ("plain-name_1.x", "plain-name_1.x"),
            ("üñí", "üñí"),
            ("tab\there", "tab%09here"),
        ];
        for (value, escaped) in cases {
            assert_eq!(hive_escape(value), escaped);
            assert_eq!(hive_unescape(escaped).as_deref(), Some(value));
        }
        assert_eq!(hive_unescape("bad%2"), None);
        assert_eq!(hive_unescape("bad%zz"), None);
    }

    #[test]
    fn partition_values_come_from_the_directories() {
        let dir = partition_dir("osmosis-1", "2021-07-23T18:43:54Z");
        let file = std::path::Path::new("lake")
            .join(dir)
            .join("part-0.parquet");
        assert_eq!(
            partition_values(file.to_str().unwrap()),
            vec![
                ("network", "osmosis-1".to_string()),
                ("taken_at", "2021-07-23T18:43:54Z".to_string())
            ]
        );
        assert!(partition_values("plain/file.parquet").is_empty());
        assert!(partition_values("other=x/file.parquet").is_empty());
    }
}
