//! End-to-end tests of `rackaudit report` and `verify`, including a real
//! headless-browser rendering of the HTML report.

mod common;
use common::{data, scratch};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764097200")
        .output()
        .expect("binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn report_writes_every_file_and_verifies() {
    let dir = scratch("bundled");
    let o = run(&["report", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "report.json",
        "report.md",
        "report.html",
        "resilience.csv",
        "shares_provider.csv",
        "shares_operator.csv",
        "shares_country.csv",
        "shares_gpu_model.csv",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        v["generated_at"], "2025-11-25T19:00:00Z",
        "SOURCE_DATE_EPOCH fixes the time"
    );
    for key in ["audit", "operators", "stress", "methodology", "inputs"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    assert!(
        !html.contains("<script") && !html.contains("src=") && !html.contains("<link"),
        "self-contained, no scripts"
    );
    assert!(html.matches("<svg").count() >= 10);
    assert!(html.contains("<h2>Methodology</h2>"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## Methodology"));
    let report = dir.join("report.json");
    let o = run(&["verify", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Two runs give byte-identical files when the time is fixed.
    let again = scratch("bundled-again");
    assert!(
        run(&["report", "--out", again.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read(dir.join("report.json")).unwrap(),
        std::fs::read(again.join("report.json")).unwrap()
    );
}

#[test]
fn verify_reports_differences_and_altered_inputs() {
    let dir = scratch("verify");
    let input = dir.join("offers.json");
    std::fs::copy(
        data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
        &input,
    )
    .unwrap();
    let out = dir.join("out");
    assert!(
        run(&[
            "report",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    let report = out.join("report.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    v["audit"]["snapshots"][0]["headline"]["operator"]["nakamoto_coefficient"] =
        serde_json::json!(7);
    let tampered = out.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&v).unwrap()).unwrap();
    let o = run(&["verify", tampered.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("$.audit.snapshots[0].headline.operator.nakamoto_coefficient: report has 7, recomputed 2"), "{}", text(&o));
    // Inputs found in another directory with --inputs.
    let moved = dir.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::rename(&input, moved.join("offers.json")).unwrap();
    assert_eq!(
        run(&["verify", report.to_str().unwrap()]).status.code(),
        Some(2),
        "input missing"
    );
    assert_eq!(
        run(&[
            "verify",
            report.to_str().unwrap(),
            "--inputs",
            moved.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    std::fs::write(moved.join("offers.json"), b"[]").unwrap();
    let o = run(&[
        "verify",
        report.to_str().unwrap(),
        "--inputs",
        moved.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("altered input"), "{}", text(&o));
}

#[test]
fn hostile_strings_are_inert_in_every_report_format() {
    let dir = scratch("hostile");
    let o = run(&[
        "report",
        &data("tests/fixtures/hostile.csv"),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for raw in ["<script", "<img", "<svg onload", "<b>bold</b>", "\u{202e}"] {
        assert!(!html.contains(raw), "raw {raw:?} in HTML");
    }
    assert!(html.contains("&lt;script&gt;"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(!md.contains("<script") && !md.contains("<img") && !md.contains("\u{202e}"));
    // Every Markdown table row keeps its column count (pipes in data are escaped).
    let mut columns = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let cells = line.replace("\\|", "").matches('|').count();
            if line.starts_with("|---") || columns.is_none() {
                columns = Some(cells);
            }
            assert_eq!(Some(cells), columns, "{line}");
        } else {
            columns = None;
        }
    }
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_path(&path)
                .unwrap();
            for rec in r.records() {
                for cell in rec.unwrap().iter() {
                    let formula = cell.starts_with(['=', '+', '@'])
                        || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                    assert!(!formula, "{}: {cell}", path.display());
                }
            }
        }
    }
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|b| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join(b))
                .find(|p| p.exists())
        })
}

/// Renders the hostile report in headless Chromium: the charts are in the
/// DOM, no injected script ran, and a screenshot is kept as an artifact in
/// `target/test-artifacts/report.png`. `.ci/run` installs Chromium.
#[test]
fn browser_renders_the_report_and_runs_no_injected_script() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (.ci/run installs Debian's chromium)");
        return;
    };
    let dir = scratch("browser");
    assert!(
        run(&[
            "report",
            &data("tests/fixtures/hostile.csv"),
            &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
            "--out",
            dir.to_str().unwrap()
        ])
        .status
        .success()
    );
    let url = format!("file://{}", dir.join("report.html").display());
    let flags = |profile: &str| {
        vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", dir.join(profile).display()),
        ]
    };
    let dom = Command::new(&browser)
        .args(flags("profile-dom"))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<title>rackaudit report</title>"),
        "title unchanged: no script ran"
    );
    assert!(!dom.contains("PWNED</title>"));
    assert!(dom.matches("<svg").count() >= 10, "charts present");
    assert!(
        !dom.contains("<script") && !dom.contains("<img"),
        "no injected elements"
    );
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("report.png");
    let o = Command::new(&browser)
        .args(flags("profile-shot"))
        .args([
            "--window-size=1200,2600",
            &format!("--screenshot={}", shot.display()),
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        shot.exists() && std::fs::metadata(&shot).unwrap().len() > 10_000,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn check_gates_on_claims() {
    let vast = data("data/vastai/vast_offers_A100SXM4_fieldsubset.json");
    let o = run(&[
        "check",
        "--claims",
        &data("claims/seed-disclosure.toml"),
        &vast,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("PASS  [vast.ai] No single provider holds more than 10% of GPUs: measured 0.0667, margin +0.0333"), "{t}");
    assert!(t.contains("FAIL  [vast.ai] Survives the loss of its 3 largest operators with 80% of demand served: measured 0.5526"), "{t}");
    let dir = scratch("claims");
    let pass = dir.join("pass.toml");
    std::fs::write(
        &pass,
        "[[claim]]\ntext = \"at least 5 hosts\"\nmetric = \"operators\"\nmin = 5\n",
    )
    .unwrap();
    let o = run(&["check", "--claims", pass.to_str().unwrap(), &vast, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["measured"], 9.0);
    assert_eq!(v[0]["margin"], 4.0);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[claim]]\ntext = \"x\"\nmetric = \"max_share\"\ndimension = \"planet\"\nweight = \"gpus\"\nmax = 1\n").unwrap();
    let o = run(&["check", "--claims", bad.to_str().unwrap(), &vast]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("claim at line 1: field `dimension`"),
        "{}",
        text(&o)
    );
    // A claim the data cannot measure fails rather than passing silently.
    let unmeasurable = dir.join("u.toml");
    std::fs::write(
        &unmeasurable,
        "[[claim]]\ntext = \"uptime\"\nmetric = \"uptime_mean\"\nmin = 0.9\n",
    )
    .unwrap();
    let o = run(&[
        "check",
        "--claims",
        unmeasurable.to_str().unwrap(),
        &data("data/cosmos/osmosis1_valset_height471386.json"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("measured n/a"));
}

#[test]
fn compare_shows_deltas() {
    let o = run(&[
        "compare",
        &data("data/cosmos/cosmoshub_validators_2019.json"),
        &data("data/cosmos/osmosis1_valset_height471386.json"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "provider Nakamoto (at least 50%)")
        .unwrap();
    assert_eq!(
        (row["a"].as_f64(), row["b"].as_f64(), row["delta"].as_f64()),
        (Some(8.0), Some(6.0), Some(-2.0))
    );
    assert_eq!(v["a"]["weight"], "stake");
    // Shares of an unknown field are n/a, never 0: no cloud is known.
    let hyper = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "hyperscaler share (cloud known)")
        .unwrap();
    assert!(hyper["a"].is_null() && hyper["b"].is_null() && hyper["delta"].is_null());
}

/// Golden Markdown of the full report on the bundled data, time fixed by
/// SOURCE_DATE_EPOCH. Regenerate explicitly with
/// `UPDATE_GOLDEN=1 cargo test --release --test report golden`.
#[test]
fn golden_report_markdown() {
    let dir = scratch("golden");
    assert!(
        run(&["report", "--out", dir.to_str().unwrap()])
            .status
            .success()
    );
    let got = std::fs::read(dir.join("report.md")).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/bundled.report.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    assert!(
        got == std::fs::read(&golden).unwrap(),
        "report.md differs from tests/golden/bundled.report.md; regenerate with UPDATE_GOLDEN=1 if intended"
    );
}

#[test]
fn an_interrupted_report_leaves_the_previous_report_intact() {
    let dir = scratch("interrupted-report");
    let out = dir.join("out");
    let small = run(&["report", "--out", out.to_str().unwrap()]);
    assert!(small.status.success());
    let before: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    // A slow report of a large synthetic network, killed part-way.
    let big = dir.join("big.csv");
    assert!(
        run(&[
            "synth",
            "--providers",
            "20000",
            "--gpus",
            "200000",
            "-o",
            big.to_str().unwrap()
        ])
        .status
        .success()
    );
    for delay_ms in [100u64, 600, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rackaudit"))
            .args([
                "report",
                big.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .args(["--trials", "20000"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        if finished {
            continue;
        }
        for (p, b) in &before {
            assert_eq!(&std::fs::read(p).unwrap(), b, "{} changed", p.display());
        }
    }
}
