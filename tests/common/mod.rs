//! Helpers shared by the end-to-end test binaries.

use std::path::{Path, PathBuf};

/// Absolute path of a file in the repository.
#[allow(dead_code)] // not every test binary names files this way
pub fn data(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// Runs `binary` with `args` and the report time fixed
/// (`SOURCE_DATE_EPOCH`), so outputs can be compared byte for byte.
#[allow(dead_code)] // not every test binary runs the CLI this way
pub fn run_at_fixed_time(binary: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(binary)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764097200")
        .output()
        .expect("binary runs")
}

/// A fresh, empty scratch directory for one test of this process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rackaudit-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
/// Runs rackaudit quietly (`-q`) in the repository's root.
#[allow(dead_code)] // not every test binary runs the CLI this way
pub fn rackaudit(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("-q")
        .args(args)
        .output()
        .expect("binary runs")
}

/// [`rackaudit`]'s standard output; the test fails with its standard error
/// unless it succeeds.
#[allow(dead_code)] // not every test binary runs the CLI this way
pub fn rackaudit_ok(args: &[&str]) -> Vec<u8> {
    let o = rackaudit(args);
    assert!(
        o.status.success(),
        "rackaudit {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Stores `file` in the snapshot store at `store`, with `--taken-at` when
/// given.
#[allow(dead_code)] // used by the lake tests only
pub fn import(store: &str, file: &str, taken_at: Option<&str>) {
    let mut args = vec!["snapshots", "import", "--store", store, file];
    if let Some(t) = taken_at {
        args.extend(["--taken-at", t]);
    }
    rackaudit_ok(&args);
}

#[allow(dead_code)] // used by the collector tests only
pub mod http;
#[allow(dead_code)] // used by the supply tests only
pub mod mmdb;
