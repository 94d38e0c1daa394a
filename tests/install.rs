//! `cargo install --path .`, as the README's install section says, gives a
//! working `rackaudit` outside the source tree: the bundled data, profiles
//! and workloads are inside the binary.
//!
//! The install builds in its own target directory (the test run holds the
//! lock on the main one); it is kept under `target/` so a second run only
//! relinks.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn cargo_install_gives_a_working_binary() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_rackaudit"));
    // target/release/rackaudit → target/
    let target = exe.parent().and_then(|p| p.parent()).unwrap();
    let root = std::env::temp_dir().join(format!("rackaudit-install-{}", std::process::id()));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = Command::new(cargo)
        .args(["install", "--path"])
        .arg(&manifest)
        .arg("--root")
        .arg(&root)
        .args(["--locked", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", target.join("install-test"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "cargo install failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let installed = root.join("bin").join("rackaudit");
    let version = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("rackaudit {}", rackaudit::cli::version_line())
    );
    // Run from elsewhere: the bundled audit needs no file of the repository.
    let elsewhere = std::env::temp_dir();
    let audit = Command::new(&installed)
        .current_dir(&elsewhere)
        .args(["audit", "--no-stress", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(v["snapshots"].as_array().unwrap().len() >= 8);
    let _ = std::fs::remove_dir_all(&root);
}
