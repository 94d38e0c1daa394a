//! Every folder under `data/` has a `PROVENANCE.md` whose `## Files` section
//! lists exactly the files in that folder: each file present (searched
//! recursively, `PROVENANCE.md` itself aside) is listed, and each file listed
//! is present.
//!
//! "Listed" means: in the section that starts at the line `## Files` and
//! runs to the next heading (or the end of the file), a list item
//! `` - `PATH` `` followed by anything. PATH is relative to the folder and
//! uses `/`. It may hold one `*` in its last component (any run of
//! characters within a file name, not `/`); such an entry must then say how
//! many files it stands for, right after the path: `` - `dir/x_*.json` (44
//! files) ``, and exactly that many must match. Every file must match
//! exactly one entry, and every entry at least one file. File names quoted
//! elsewhere in a provenance file (sources, files seen but not copied) are
//! not listings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug)]
struct Entry {
    pattern: String,
    /// For an entry with `*`: how many files it says it stands for.
    count: Option<usize>,
    line: usize,
}

/// The entries of the `## Files` section, or what is wrong with it.
fn files_section(text: &str) -> Result<Vec<Entry>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_end() == "## Files")
        .collect();
    let start = match starts.as_slice() {
        [one] => *one,
        [] => return Err("no `## Files` section".into()),
        _ => return Err("more than one `## Files` section".into()),
    };
    let mut entries: Vec<Entry> = Vec::new();
    for (i, raw) in lines.iter().enumerate().skip(start + 1) {
        let line = i + 1;
        if raw.starts_with('#') {
            break;
        }
        if raw.starts_with("* ") || raw.starts_with("+ ") {
            return Err(format!(
                "line {line}: list items in `## Files` start with `- `"
            ));
        }
        let Some(item) = raw.strip_prefix("- ") else {
            continue; // prose
        };
        let Some(rest) = item.strip_prefix('`') else {
            return Err(format!(
                "line {line}: a list item in `## Files` must start with a file path in backticks"
            ));
        };
        let Some((pattern, after)) = rest.split_once('`') else {
            return Err(format!("line {line}: unclosed backtick"));
        };
        check_pattern(pattern).map_err(|e| format!("line {line}: `{pattern}`: {e}"))?;
        let count = if pattern.contains('*') {
            let n = after
                .strip_prefix(" (")
                .and_then(|s| s.split_once(" files)"))
                .and_then(|(n, _)| n.parse::<usize>().ok())
                .ok_or_else(|| {
                    format!(
                        "line {line}: `{pattern}` has a `*`: say how many files it stands for, as `{pattern}` (N files)"
                    )
                })?;
            Some(n)
        } else {
            None
        };
        if entries.iter().any(|e| e.pattern == pattern) {
            return Err(format!("line {line}: `{pattern}` is listed twice"));
        }
        entries.push(Entry {
            pattern: pattern.to_owned(),
            count,
            line,
        });
    }
    if entries.is_empty() {
        return Err("the `## Files` section lists no file".into());
    }
    Ok(entries)
}

fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() || pattern.starts_with('/') || pattern.contains('\\') {
        return Err("not a relative path with `/`".into());
    }
    let parts: Vec<&str> = pattern.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err("empty, `.` or `..` path component".into());
    }
    let (dirs, name) = parts.split_at(parts.len() - 1);
    if dirs.iter().any(|d| d.contains('*')) || name[0].matches('*').count() > 1 {
        return Err("at most one `*`, in the file name".into());
    }
    if pattern == "PROVENANCE.md" {
        return Err("the provenance file does not list itself".into());
    }
    Ok(())
}

fn matches(pattern: &str, path: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == path,
        Some((prefix, suffix)) => {
            path.len() >= prefix.len() + suffix.len()
                && path.starts_with(prefix)
                && path.ends_with(suffix)
                && !path[prefix.len()..path.len() - suffix.len()].contains('/')
        }
    }
}

/// Every file under `dir`, as `/`-separated paths relative to `dir`.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// What is wrong with one data folder's provenance listing (empty: nothing).
fn problems(dir: &Path) -> Vec<String> {
    let prov = dir.join("PROVENANCE.md");
    let text = match std::fs::read_to_string(&prov) {
        Ok(t) => t,
        Err(e) => return vec![format!("{}: {e}", prov.display())],
    };
    let entries = match files_section(&text) {
        Ok(entries) => entries,
        Err(e) => return vec![format!("{}: {e}", prov.display())],
    };
    let files: Vec<String> = files_under(dir)
        .into_iter()
        .filter(|f| f != "PROVENANCE.md")
        .collect();
    let mut out = Vec::new();
    let mut matched: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &files {
        let by: Vec<&Entry> = entries
            .iter()
            .filter(|e| matches(&e.pattern, file))
            .collect();
        match by.as_slice() {
            [] => out.push(format!(
                "{}: `{file}` is in the folder but not listed in `## Files`",
                prov.display()
            )),
            [one] => *matched.entry(one.pattern.as_str()).or_default() += 1,
            many => out.push(format!(
                "{}: `{file}` matches {} entries",
                prov.display(),
                many.len()
            )),
        }
    }
    for e in &entries {
        let n = matched.get(e.pattern.as_str()).copied().unwrap_or(0);
        match e.count {
            None if n == 0 => out.push(format!(
                "{}:{}: `{}` is listed but not in the folder",
                prov.display(),
                e.line,
                e.pattern
            )),
            Some(want) if want != n => out.push(format!(
                "{}:{}: `{}` says {want} files, {n} match",
                prov.display(),
                e.line,
                e.pattern
            )),
            _ => {}
        }
    }
    out
}

fn data_folders() -> Vec<PathBuf> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            path.is_dir(),
            "{}: data/ holds folders only, each with its PROVENANCE.md",
            path.display()
        );
        dirs.push(path);
    }
    dirs.sort();
    dirs
}

#[test]
fn provenance_lists_exactly_the_files_of_each_data_folder() {
    let dirs = data_folders();
    assert!(dirs.len() >= 7, "expected the bundled data folders");
    let all: Vec<String> = dirs.iter().flat_map(|d| problems(d)).collect();
    assert!(all.is_empty(), "{}", all.join("\n"));
}

/// The check itself: it reports a file missing from the list, a listed file
/// that is absent, a wrong count and a missing section.
#[test]
fn the_check_finds_each_kind_of_mismatch() {
    let dir = std::env::temp_dir().join(format!("rackaudit-provenance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("series")).unwrap();
    for f in [
        "a.json",
        "unlisted.csv",
        "series/d_1.json",
        "series/d_2.json",
    ] {
        std::fs::write(dir.join(f), "{}").unwrap();
    }
    let write = |files: &str| {
        std::fs::write(
            dir.join("PROVENANCE.md"),
            format!("# x\n\nsee `elsewhere.json`\n\n## Files\n\n{files}\n## Notes\n- `b.json` not copied\n"),
        )
        .unwrap()
    };
    write("- `a.json` — one\n- `gone.json`\n- `series/d_*.json` (3 files)\n");
    let found = problems(&dir).join("\n");
    assert!(
        found.contains("`unlisted.csv` is in the folder but not listed"),
        "{found}"
    );
    assert!(
        found.contains("`gone.json` is listed but not in the folder"),
        "{found}"
    );
    assert!(found.contains("says 3 files, 2 match"), "{found}");
    assert_eq!(problems(&dir).len(), 3, "{found}");

    write("- `a.json`\n- `unlisted.csv`\n- `series/d_*.json` (2 files)\n");
    assert_eq!(problems(&dir), Vec::<String>::new());

    write("- `a.json`\n- `unlisted.csv`\n- `series/d_*.json`\n");
    assert!(problems(&dir)[0].contains("say how many files"));

    std::fs::write(dir.join("PROVENANCE.md"), "# x\n- `a.json`\n").unwrap();
    assert!(problems(&dir)[0].contains("no `## Files` section"));
    std::fs::remove_dir_all(&dir).unwrap();
}
