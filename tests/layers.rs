//! The module graph is layered: each module of `src/` names (as
//! `crate::<module>`) only modules of lower layers, so there is no cycle and
//! the pipeline reads bottom to top. Test code (`*tests.rs` files and what
//! follows `#[cfg(test)]`) and comments are not counted.

use std::collections::BTreeMap;
use std::path::Path;

/// Bottom to top. A module may use the modules of the layers below its own.
const LAYERS: &[&[&str]] = &[
    &["error", "text", "time", "rng", "suggest", "metrics"],
    &["model"],
    &["cloud", "profile", "entities"],
    &["sources"],
    &["supply", "output", "synth", "bundled", "rewards"],
    &["audit"],
    &["stress"],
    &["pipeline"],
    &["report", "collect"],
    &["store", "claims"],
    &["history"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a source file names, outside tests and comments.
fn uses(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = Vec::new();
    for line in code.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_uses_only_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    // Items of the crate root (`crate::SCHEMA_VERSION`, …) are below all.
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let modules: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    for m in &modules {
        assert!(
            layer_of(m).is_some(),
            "module `{m}` is not in LAYERS: place it"
        );
    }
    let mut violations: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in all {
        let rel = path.strip_prefix(&src).unwrap();
        let file = rel.file_name().unwrap().to_string_lossy().to_string();
        if file.ends_with("tests.rs") || rel == Path::new("lib.rs") || rel == Path::new("main.rs") {
            continue;
        }
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let own = layer_of(&module)
            .unwrap_or_else(|| panic!("module `{module}` is not in LAYERS: place it"));
        let text = std::fs::read_to_string(&path).unwrap();
        for used in uses(&text) {
            if used == module || !modules.contains(&used) {
                continue;
            }
            let theirs = layer_of(&used)
                .unwrap_or_else(|| panic!("{}: `crate::{used}` is not in LAYERS", rel.display()));
            if theirs >= own {
                violations
                    .entry(rel.display().to_string())
                    .or_default()
                    .push(used);
            }
        }
    }
    assert!(
        violations.is_empty(),
        "modules using a module at or above their own layer: {violations:#?}"
    );
}

#[test]
fn the_scanner_sees_uses_and_skips_comments_and_tests() {
    let text = "use crate::model::Snapshot;\n// crate::cli is a comment\nfn f() { crate::text::pct(1.0); }\n#[cfg(test)]\nmod t { use crate::cli; }\n";
    assert_eq!(uses(text), vec!["model", "text"]);
}
