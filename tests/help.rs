//! The help text as a user meets it: every subcommand's long help has
//! examples, every argument is described, examples do not wrap in the middle
//! of a command at 80 columns, and every example runs (in a scratch
//! directory holding the repository's data) without a usage or input error.

use clap::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// Every subcommand with its path of names (`["snapshots", "import"]`).
fn subcommands() -> Vec<(Vec<String>, Command)> {
    fn walk(path: Vec<String>, cmd: &Command, out: &mut Vec<(Vec<String>, Command)>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            out.push((p.clone(), sub.clone()));
            walk(p, sub, out);
        }
    }
    let mut cmd = rackaudit::cli::command();
    cmd.build();
    let mut out = vec![(Vec::new(), cmd.clone())];
    walk(Vec::new(), &cmd, &mut out);
    out
}

/// Whether a help line starts an example command: `rackaudit …`, or
/// `echo … | rackaudit …` feeding it standard input.
fn starts_command(line: &str) -> bool {
    line.starts_with("rackaudit ") || line.starts_with("echo ")
}

/// The example commands of a long help, with `\` continuations joined.
fn examples(cmd: &Command) -> Vec<String> {
    let text = cmd
        .get_after_long_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    let mut continued = false;
    for line in text.lines() {
        let t = line.trim();
        if continued {
            let last = out.last_mut().expect("a continued line follows a command");
            last.push(' ');
            last.push_str(t.trim_end_matches('\\').trim());
        } else if starts_command(t) {
            out.push(t.trim_end_matches('\\').trim().to_string());
        }
        continued = (continued || starts_command(t)) && t.ends_with('\\');
    }
    out
}

fn name(path: &[String]) -> String {
    if path.is_empty() {
        "rackaudit".into()
    } else {
        format!("rackaudit {}", path.join(" "))
    }
}

#[test]
fn every_subcommand_has_examples_and_every_argument_a_description() {
    let mut problems = Vec::new();
    for (path, cmd) in subcommands() {
        if cmd.has_subcommands() && !path.is_empty() {
            continue; // a group (`snapshots`): its subcommands have examples
        }
        if examples(&cmd).is_empty() {
            problems.push(format!("{}: no examples in its long help", name(&path)));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || matches!(id, "help" | "version") {
                continue;
            }
            let described = arg
                .get_long_help()
                .or(arg.get_help())
                .is_some_and(|h| !h.to_string().trim().is_empty());
            if !described {
                problems.push(format!("{}: argument `{id}` has no help", name(&path)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn examples_do_not_wrap_mid_command_at_80_columns() {
    let mut problems = Vec::new();
    for (path, cmd) in subcommands() {
        let raw = cmd
            .get_after_long_help()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let rendered = cmd.clone().term_width(80).render_long_help().to_string();
        for line in raw.lines().filter(|l| starts_command(l.trim_start())) {
            if line.chars().count() > 80 || !rendered.contains(line) {
                problems.push(format!("{}: `{line}` is cut or wrapped", name(&path)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Examples that need the network are not run here (tests never leave the
/// machine); `tests/collect.rs` runs the collectors against a loopback
/// server instead. Listed by prefix so a new one is a decision.
const NEEDS_NETWORK: &[&str] = &["rackaudit collect "];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory that sees the repository's data where the examples
/// name it, with a snapshot store holding two Cosmos snapshots.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rackaudit-help-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for d in ["data", "claims", "workloads", "tests"] {
        std::os::unix::fs::symlink(repo().join(d), dir.join(d)).unwrap();
    }
    let import = Process::new(env!("CARGO_BIN_EXE_rackaudit"))
        .current_dir(&dir)
        .env("RACKAUDIT_STORE", dir.join("store.sqlite"))
        .args([
            "-q",
            "snapshots",
            "import",
            "data/cosmos/osmosis1_valset_height471386.json",
            "data/cosmos/cosmoshub_validators_2019.json",
        ])
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    dir
}

fn path_with_binary() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_rackaudit")).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn every_help_example_runs() {
    let dir = scratch();
    let mut ran = 0;
    let mut problems = Vec::new();
    for (path, cmd) in subcommands() {
        for example in examples(&cmd) {
            if NEEDS_NETWORK.iter().any(|p| example.starts_with(p)) {
                continue;
            }
            let out = Process::new("sh")
                .arg("-c")
                .arg(&example)
                .current_dir(&dir)
                .env("PATH", path_with_binary())
                .env("RACKAUDIT_STORE", dir.join("store.sqlite"))
                .output()
                .unwrap();
            ran += 1;
            let stderr = String::from_utf8_lossy(&out.stderr);
            // 0, or 1 where a gate reports a failing claim or finding; a
            // usage or input error (2), a network error (3) or a panic
            // means the example is wrong.
            let code = out.status.code();
            if !matches!(code, Some(0 | 1)) || stderr.contains("panicked") {
                problems.push(format!(
                    "{}: `{example}` exited {code:?}: {stderr}",
                    name(&path)
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(ran >= 40, "only {ran} examples ran");
    eprintln!("{ran} help examples ran");
}

#[test]
fn completions_and_man_pages_are_generated() {
    let bin = env!("CARGO_BIN_EXE_rackaudit");
    for (shell, marker) in [
        ("bash", "_rackaudit()"),
        ("zsh", "#compdef rackaudit"),
        ("fish", "complete -c rackaudit"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[rackaudit]"),
    ] {
        let out = Process::new(bin)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: no `{marker}`");
        // Subcommands and their options are completed.
        assert!(text.contains("verify-supply"), "{shell}");
        assert!(text.contains("min-confidence"), "{shell}");
    }
    let out = Process::new(bin).args(["man"]).output().unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        page.starts_with(".ie") || page.contains(".TH rackaudit"),
        "{page}"
    );
    assert!(page.contains("verify\\-supply"));
    let out = Process::new(bin)
        .args(["man", "snapshots", "import"])
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(page.contains(".TH rackaudit-snapshots-import"), "{page}");
    let out = Process::new(bin).args(["man", "audti"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `audit`?"));
}

#[test]
fn version_names_the_methodology_and_schemas() {
    let out = Process::new(env!("CARGO_BIN_EXE_rackaudit"))
        .arg("--version")
        .output()
        .unwrap();
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(
        v.trim(),
        format!(
            "rackaudit {} (methodology {}, report schema {}, store schema {})",
            rackaudit::TOOL_VERSION,
            rackaudit::METHODOLOGY_VERSION,
            rackaudit::SCHEMA_VERSION,
            rackaudit::store::SCHEMA_VERSION
        )
    );
}
