//! End-to-end tests of `rackaudit report` and `verify`, including a real
//! headless-browser rendering of the HTML report.

mod common;
use common::{data, scratch};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    common::run_at_fixed_time(env!("CARGO_BIN_EXE_rackaudit"), args)
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
    let o = run(&["report", "--out-dir", dir.to_str().unwrap()]);
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
    assert!(html.contains("<h2 id=\"methodology\">Methodology</h2>"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## Methodology"));
    let report = dir.join("report.json");
    let o = run(&["verify", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Two runs give byte-identical files when the time is fixed.
    let again = scratch("bundled-again");
    assert!(
        run(&["report", "--out-dir", again.to_str().unwrap()])
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
            "--out-dir",
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
        "--out-dir",
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

/// Chromium, or `None` (the test is skipped, saying so) when it is
/// missing; CI sets `RACKAUDIT_REQUIRE_BROWSER=1` (in `.ci/run`), so a
/// missing browser fails there instead of skipping silently.
fn browser_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("RACKAUDIT_REQUIRE_BROWSER").is_none(),
            "RACKAUDIT_REQUIRE_BROWSER is set but no chromium is on PATH"
        );
        eprintln!("skipped: no chromium on PATH (.ci/run installs Debian's chromium)");
    }
    found
}

fn headless_flags(profile: &Path) -> Vec<String> {
    vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--hide-scrollbars".into(),
        format!("--user-data-dir={}", profile.display()),
    ]
}

/// Lays `html` out in a frame `width` px wide (headless Chromium's
/// window has a minimum width, a frame does not) and returns the frame's
/// scroll width, its client width and the elements reaching past its
/// right edge. The measuring script is in the wrapper page: the report
/// itself forbids scripts.
fn laid_out(browser: &Path, dir: &Path, html: &Path, width: u32) -> (u32, u32, String) {
    let wrapper = format!(
        "<!DOCTYPE html><html><head><title>wait</title></head><body style=\"margin:0\">\
         <iframe id=\"f\" src=\"{}\" style=\"width:{width}px;height:900px;border:0\"></iframe>\
         <script>f.onload=()=>{{const d=f.contentDocument.documentElement;\
         const over=[...f.contentDocument.querySelectorAll('body *')].filter(e=>e.getBoundingClientRect().right>d.clientWidth+0.5&&!(e.parentElement&&e.parentElement.closest('.scroll'))).slice(0,6).map(e=>e.tagName+'.'+(e.className.baseVal??e.className)+':'+Math.round(e.getBoundingClientRect().right)).join(',');\
         document.title='layout '+d.scrollWidth+' '+d.clientWidth+' '+over}}</script></body></html>",
        html.file_name().unwrap().to_string_lossy()
    );
    let page = html.with_file_name(format!("probe-{width}.html"));
    std::fs::write(&page, wrapper).unwrap();
    let o = Command::new(browser)
        .args(headless_flags(&dir.join(format!("profile-probe-{width}"))))
        .args([
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout).to_string();
    let title = dom
        .split("<title>layout ")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_else(|| panic!("no layout measured: {}", String::from_utf8_lossy(&o.stderr)))
        .to_string();
    let mut parts = title.splitn(3, ' ');
    let mut n = || parts.next().unwrap_or("").to_string();
    let (scroll, client, over) = (n(), n(), n());
    (scroll.parse().unwrap(), client.parse().unwrap(), over)
}

/// Screenshots of the bundled report (seven networks, league table) and
/// of a one-network report at 1280 px and 375 px, kept in
/// `target/test-artifacts/`; the DOM has a title and axis labels on every
/// chart, the disclosure card first in every network's section, and
/// nothing wider than the phone's viewport.
#[test]
fn browser_reads_the_report_at_desktop_and_phone_width() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let vast = data("data/vastai/vast_offers_A100SXM4_fieldsubset.json");
    for (name, inputs) in [("bundled", vec![]), ("vastai", vec![vast.as_str()])] {
        let dir = scratch(&format!("reader-{name}"));
        let mut args = vec!["report"];
        args.extend(inputs);
        args.extend(["--out-dir", dir.to_str().unwrap()]);
        assert!(run(&args).status.success());
        let html = dir.join("report.html");
        let page = std::fs::read_to_string(&html).unwrap();
        // Every chart: an SVG <title>, a visible title, axis labels.
        let charts: Vec<&str> = page.split("<figure>").skip(1).collect();
        assert!(!charts.is_empty());
        for c in &charts {
            let c = &c[..c.find("</figure>").unwrap()];
            assert!(c.starts_with("<h4>"), "visible title: {c:.200}");
            let svg = &c[c.find("<svg").unwrap()..];
            assert!(svg.contains("<title>"), "svg title: {c:.200}");
            assert!(svg.contains("class=\"axis-label\""), "axis label: {c:.200}");
            assert!(
                svg.contains("%</text>") || svg.contains("price per GPU-hour"),
                "ticks: {c:.200}"
            );
        }
        // The card opens every network's section.
        for section in page.split("<section id=\"net-").skip(1) {
            let after_heading = &section[section.find("</h2>").unwrap() + 5..];
            assert!(
                after_heading.starts_with("<h3>Disclosure card</h3>"),
                "{section:.300}"
            );
        }
        assert_eq!(page.contains("id=\"league\""), name == "bundled");
        for width in [1280, 375] {
            let (scroll, client, over) = laid_out(&browser, &dir, &html, width);
            assert_eq!(client, width, "{name}: the frame is {width} px wide");
            assert!(
                scroll <= client,
                "{name} at {width} px: content {scroll} px wide in a {client} px viewport; past the edge: {over}"
            );
            screenshot(
                &browser,
                &dir.join(format!("profile-shot-{width}")),
                &format!("file://{}", html.display()),
                &format!("{width},3000"),
                &artifacts.join(format!("report-{name}-{width}.png")),
            );
        }
    }
}

/// Renders the hostile report in headless Chromium: the charts are in the
/// DOM, no injected script ran, and a screenshot is kept as an artifact in
/// `target/test-artifacts/report.png`. `.ci/run` installs Chromium.
#[test]
fn browser_renders_the_report_and_runs_no_injected_script() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = scratch("browser");
    assert!(
        run(&[
            "report",
            &data("tests/fixtures/hostile.csv"),
            &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
            "--out-dir",
            dir.to_str().unwrap()
        ])
        .status
        .success()
    );
    let url = format!("file://{}", dir.join("report.html").display());
    let flags = |profile: &str| headless_flags(&dir.join(profile));
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
    screenshot(
        &browser,
        &dir.join("profile-shot"),
        &url,
        "1200,2600",
        &artifacts.join("report.png"),
    );
}

/// Saves a screenshot of `url` at `size` (`W,H`) to `shot`, checked to be
/// a real picture.
fn screenshot(browser: &Path, profile: &Path, url: &str, size: &str, shot: &Path) {
    let _ = std::fs::remove_file(shot);
    let o = Command::new(browser)
        .args(headless_flags(profile))
        .args([
            &format!("--window-size={size}"),
            &format!("--screenshot={}", shot.display()),
            url,
        ])
        .output()
        .unwrap();
    assert!(
        shot.exists() && std::fs::metadata(shot).unwrap().len() > 10_000,
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
        (
            row["values"][0].as_f64(),
            row["values"][1].as_f64(),
            row["deltas"][1].as_f64()
        ),
        (Some(8.0), Some(6.0), Some(-2.0))
    );
    assert_eq!(v["snapshots"][0]["weight"], "stake");
    // Shares of an unknown field are n/a, never 0: no cloud is known.
    let hyper = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "hyperscaler share (cloud known)")
        .unwrap();
    assert!(
        hyper["values"][0].is_null()
            && hyper["values"][1].is_null()
            && hyper["deltas"][1].is_null()
    );
}

/// Golden Markdown of the full report on the bundled data, time fixed by
/// SOURCE_DATE_EPOCH. Regenerate explicitly with
/// `UPDATE_GOLDEN=1 cargo test --release --test report golden`.
#[test]
fn golden_report_markdown() {
    let dir = scratch("golden");
    assert!(
        run(&["report", "--out-dir", dir.to_str().unwrap()])
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
    let small = run(&["report", "--out-dir", out.to_str().unwrap()]);
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
                "--out-dir",
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

/// A small generic CSV with a `cloud` column, so its report writes
/// `shares_cloud.csv` (Cosmos validator sets have no cloud dimension).
fn cloud_csv(dir: &Path) -> PathBuf {
    let csv = dir.join("clouds.csv");
    std::fs::write(
        &csv,
        "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n\
         p1,,One,US,,,aws,,nvidia,H100 SXM,8,80,0.99,2.5,\n\
         p2,,Two,DE,,,gcp,,nvidia,A100 80GB,4,80,0.95,1.2,\n\
         p3,,Three,FR,,,,,nvidia,RTX 4090,2,24,0.9,0.4,\n",
    )
    .unwrap();
    csv
}

fn report_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn report_json_lists_every_other_file_with_its_sha256_and_size() {
    let dir = scratch("files-list");
    let out = dir.join("out");
    let csv = cloud_csv(&dir);
    let o = run(&[
        "report",
        csv.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(o.stdout.is_empty(), "nothing on stdout: {}", text(&o));
    let v = report_json(&out);
    let files = v["files"].as_array().expect("a files list");
    let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut on_disk = names_in(&out);
    on_disk.retain(|n| n != "report.json");
    assert_eq!(
        listed, on_disk,
        "every file but report.json, sorted by path"
    );
    assert!(listed.contains(&"shares_cloud.csv"), "{listed:?}");
    for f in files {
        let bytes = std::fs::read(out.join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["sha256"], sha256(&bytes), "{f}");
        assert_eq!(f["bytes"], bytes.len() as u64, "{f}");
    }
    // Byte-deterministic: the same inputs and time give the same report.json.
    let again = dir.join("again");
    assert!(
        run(&[
            "report",
            csv.to_str().unwrap(),
            "--out-dir",
            again.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap(),
        std::fs::read(again.join("report.json")).unwrap()
    );
    // Re-running into the same directory removes nothing and changes nothing.
    let o = run(&[
        "report",
        csv.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", text(&o));
    assert_eq!(report_json(&out), v);
}

#[test]
fn a_second_report_removes_the_first_reports_files_but_not_the_users() {
    let dir = scratch("stale");
    let out = dir.join("out");
    let csv = cloud_csv(&dir);
    assert!(
        run(&[
            "report",
            csv.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert!(out.join("shares_cloud.csv").exists());
    std::fs::write(out.join("notes.txt"), b"my notes").unwrap();
    let cosmos = data("data/cosmos/osmosis1_valset_height471386.json");
    let o = run(&["report", &cosmos, "--out-dir", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(o.stdout.is_empty());
    assert!(
        !out.join("shares_cloud.csv").exists(),
        "the first network's cloud table is gone"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("shares_cloud.csv"),
        "the removal is reported: {}",
        text(&o)
    );
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"my notes");
    let v = report_json(&out);
    let mut expected: Vec<String> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    expected.extend(["notes.txt".to_string(), "report.json".to_string()]);
    expected.sort();
    assert_eq!(
        names_in(&out),
        expected,
        "only this report's files and the user's"
    );
    let o = run(&["verify", out.join("report.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_report_from_before_the_files_list_is_cleaned_by_name_only() {
    let dir = scratch("stale-old");
    let out = dir.join("out");
    let csv = cloud_csv(&dir);
    assert!(
        run(&[
            "report",
            csv.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    // As written by rackaudit before report.json listed its files.
    let mut v = report_json(&out);
    v.as_object_mut().unwrap().remove("files");
    std::fs::write(
        out.join("report.json"),
        serde_json::to_vec_pretty(&v).unwrap(),
    )
    .unwrap();
    let o = run(&["verify", out.join("report.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("its other files were not checked"),
        "{}",
        text(&o)
    );
    std::fs::write(out.join("shares_mine.csv"), b"a,b\n").unwrap();
    std::fs::write(out.join("notes.txt"), b"my notes").unwrap();
    let cosmos = data("data/cosmos/osmosis1_valset_height471386.json");
    assert!(
        run(&["report", &cosmos, "--out-dir", out.to_str().unwrap()])
            .status
            .success()
    );
    assert!(!out.join("shares_cloud.csv").exists());
    assert!(out.join("shares_mine.csv").exists() && out.join("notes.txt").exists());
}

#[test]
fn a_hand_edited_files_list_cannot_delete_a_users_file() {
    let dir = scratch("stale-hostile");
    let out = dir.join("out");
    let cosmos = data("data/cosmos/osmosis1_valset_height471386.json");
    assert!(
        run(&["report", &cosmos, "--out-dir", out.to_str().unwrap()])
            .status
            .success()
    );
    std::fs::write(out.join("notes.txt"), b"my notes").unwrap();
    std::fs::write(dir.join("outside.txt"), b"outside").unwrap();
    let mut v = report_json(&out);
    for path in ["notes.txt", "../outside.txt"] {
        v["files"].as_array_mut().unwrap().push(serde_json::json!({
            "path": path, "sha256": sha256(b"something else"), "bytes": 14
        }));
    }
    std::fs::write(
        out.join("report.json"),
        serde_json::to_vec_pretty(&v).unwrap(),
    )
    .unwrap();
    assert!(
        run(&["report", &cosmos, "--out-dir", out.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"my notes");
    assert_eq!(std::fs::read(dir.join("outside.txt")).unwrap(), b"outside");
}

#[test]
fn verify_fails_on_an_altered_or_missing_listed_file() {
    let dir = scratch("verify-files");
    let out = dir.join("out");
    let csv = cloud_csv(&dir);
    assert!(
        run(&[
            "report",
            csv.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    let report = out.join("report.json");
    let report = report.to_str().unwrap();
    let o = run(&["verify", report]);
    assert_eq!(o.status.code(), Some(0), "untouched: {}", text(&o));
    assert!(
        text(&o).contains("listed files are on disk unaltered"),
        "{}",
        text(&o)
    );

    // One byte of report.md changed, same length.
    let md = out.join("report.md");
    let original = std::fs::read(&md).unwrap();
    let mut changed = original.clone();
    let i = changed.iter().position(|b| b.is_ascii_digit()).unwrap();
    changed[i] = if changed[i] == b'9' {
        b'8'
    } else {
        changed[i] + 1
    };
    std::fs::write(&md, &changed).unwrap();
    let o = run(&["verify", report]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("verification failed"), "{t}");
    assert!(t.contains(&format!("{}: altered", md.display())), "{t}");
    std::fs::write(&md, &original).unwrap();

    // A listed CSV deleted.
    let shares = out.join("shares_cloud.csv");
    let kept = std::fs::read(&shares).unwrap();
    std::fs::remove_file(&shares).unwrap();
    let o = run(&["verify", report]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{}: missing", shares.display())),
        "{}",
        text(&o)
    );
    std::fs::write(&shares, &kept).unwrap();

    // A file altered consistently with its listing (report.json updated to
    // match) is caught by the fresh rendering from the inputs.
    std::fs::write(&md, &changed).unwrap();
    let mut v = report_json(&out);
    for f in v["files"].as_array_mut().unwrap() {
        if f["path"] == "report.md" {
            f["sha256"] = sha256(&changed).into();
        }
    }
    std::fs::write(report, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let o = run(&["verify", report]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{}: not what the inputs give", md.display())),
        "{}",
        text(&o)
    );

    // An entry dropped from the list: the fresh rendering still writes the
    // file, and the file left on disk is named as not part of the report.
    assert!(
        run(&[
            "report",
            csv.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    let mut dropped = report_json(&out);
    dropped["files"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["path"] != "shares_cloud.csv");
    std::fs::write(report, serde_json::to_vec_pretty(&dropped).unwrap()).unwrap();
    let o = run(&["verify", report]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains(&format!(
            "{}: a fresh report from the inputs writes this file, but report.json does not list it",
            shares.display()
        )),
        "{t}"
    );
    assert!(
        t.contains("has the name of a report file, but"),
        "note on stderr: {t}"
    );

    // A listed path outside the report's directory is a malformed report.
    v["files"][0]["path"] = "../clouds.csv".into();
    std::fs::write(report, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let o = run(&["verify", report]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("$.files[0]: field `path`"),
        "{}",
        text(&o)
    );
}
