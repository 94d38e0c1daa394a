//! Helpers shared by the end-to-end test binaries.

use std::path::{Path, PathBuf};

/// Absolute path of a file in the repository.
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
#[allow(dead_code)] // used by the collector tests only
pub mod http;
#[allow(dead_code)] // used by the supply tests only
pub mod mmdb;
