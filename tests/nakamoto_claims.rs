//! `check` on a workload Nakamoto coefficient the search only bounded: a
//! `min` claim is judged on the proven lower bound, a `max` claim on the
//! proven upper bound, and a claim the truth may still satisfy is NOT
//! PROVEN (it does not pass the gate), never a bare FAIL or PASS.

mod common;

use common::{data, scratch};
use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const LIMIT: &str = "0.5";

fn bounds(csv: &str, workload: &str) -> (u64, u64) {
    let o = run(&[
        "stress",
        csv,
        "--workload",
        workload,
        "--only",
        "nakamoto",
        "--format",
        "json",
        "--nakamoto-time-limit",
        LIMIT,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["snapshots"][0]["workload_nakamoto"]["operators"];
    assert_eq!(r["exact"], false, "the fixture is meant to stay open: {r}");
    (
        r["lower_bound"].as_u64().unwrap(),
        r["upper_bound"].as_u64().unwrap(),
    )
}

#[test]
fn claims_on_an_unsettled_coefficient_pass_fail_or_are_not_proven() {
    let csv = data("tests/fixtures/nakamoto_open.csv");
    let workload = data("tests/fixtures/nakamoto_open.toml");
    let (lo, hi) = bounds(&csv, &workload);
    assert!(
        lo + 1 < hi,
        "bounds {lo}..{hi} leave a count strictly between"
    );
    // (claim bound, expected status)
    let cases = [
        (format!("min = {lo}"), "pass"),
        (format!("min = {}", lo + 1), "not_proven"),
        (format!("min = {hi}"), "not_proven"),
        (format!("min = {}", hi + 1), "fail"),
        (format!("max = {hi}"), "pass"),
        (format!("max = {}", hi - 1), "not_proven"),
        (format!("max = {}", lo - 1), "fail"),
    ];
    let dir = scratch("nakamoto_claims");
    for (bound, want) in &cases {
        let claims = dir.join("claims.toml");
        std::fs::write(
            &claims,
            format!(
                "[[claim]]\ntext = \"operators to lose half\"\nstress = \"workload_nakamoto\"\ndimension = \"operators\"\n{bound}\n"
            ),
        )
        .unwrap();
        let args = [
            "check",
            "--claims",
            claims.to_str().unwrap(),
            &csv,
            "--workload",
            &workload,
            "--nakamoto-time-limit",
            LIMIT,
        ];
        let mut json_args = args.to_vec();
        json_args.push("--json");
        let o = run(&json_args);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let verdict = &v[0];
        assert_eq!(verdict["status"], *want, "{bound}: {verdict}");
        assert_eq!(verdict["pass"], *want == "pass", "{bound}");
        assert_eq!(
            verdict["bounds"],
            serde_json::json!([lo as f64, hi as f64]),
            "{bound}"
        );
        assert_eq!(
            o.status.code(),
            Some(if *want == "pass" { 0 } else { 1 }),
            "{bound}"
        );
        let text = String::from_utf8_lossy(&run(&args).stdout).to_string();
        let label = match *want {
            "pass" => "PASS ",
            "fail" => "FAIL ",
            _ => "NOT PROVEN ",
        };
        assert!(text.starts_with(label), "{bound}: {text}");
        assert!(text.contains(&format!("between {lo} and {hi}")), "{text}");
    }
}
