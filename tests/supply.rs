//! End-to-end tests of the supply checks: `verify-supply`, the supply
//! section of `audit`, network profiles, and `--geoip` with a database the
//! test writes itself.

mod common;
use common::mmdb::{self, Value as M};
use common::{data, scratch};
use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

const FIXTURE: &str = "tests/fixtures/akash_console_supply_checks.json";

fn findings(report: &Value) -> Vec<(String, String)> {
    report["snapshots"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let provider = f["provider"].as_str().unwrap();
            (
                f["rule"].as_str().unwrap().to_string(),
                provider[provider.len() - 3..].to_string(),
            )
        })
        .collect()
}

fn basis<'a>(summary: &'a Value, kind: &str) -> &'a Value {
    summary["bases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == kind)
        .unwrap()
}

#[test]
fn akash_fixture_findings_and_three_bases() {
    let r = json_of(&["verify-supply", &data(FIXTURE), "--format", "json"]);
    let mut got = findings(&r);
    got.sort();
    let want: Vec<(String, String)> = [
        ("duplicate-host", "103"),
        ("location-mismatch", "104"),
        ("negative-capacity", "106"),
        ("sentinel-count", "101"),
        ("stale-online", "104"),
        ("zero-capacity-online", "105"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    let sentinel = &r["snapshots"][0]["findings"][0];
    assert_eq!(sentinel["claimed"], "18446744073709551615");
    assert_eq!(sentinel["severity"], "error");
    let s = &r["snapshots"][0]["summary"];
    assert_eq!(s["profile"], "akash");
    assert_eq!(basis(s, "claimed")["gpus"], u64::MAX);
    assert_eq!(basis(s, "passing")["gpus"], 12);
    assert_eq!(basis(s, "passing")["providers"], 4);
    assert_eq!(basis(s, "observed")["gpus"], 8);
    assert_eq!(basis(s, "observed")["providers"], 3);
}

#[test]
fn fail_on_sets_the_exit_status_after_writing_the_output() {
    let dir = scratch("fail-on");
    let out = dir.join("findings.csv");
    let o = run(&[
        "verify-supply",
        &data(FIXTURE),
        "--format",
        "csv",
        "--fail-on",
        "error",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(csv.starts_with("network,input_sha256,rule,severity,provider"));
    // Switching the rules that fire at error off passes the gate.
    let o = run(&[
        "verify-supply",
        &data(FIXTURE),
        "--rule",
        "sentinel-count=warning",
        "--rule",
        "duplicate-host=off",
        "--rule",
        "negative-capacity=warning",
        "--fail-on",
        "error",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&[
        "verify-supply",
        &data(FIXTURE),
        "--rule",
        "no-such-rule=off",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-rule"), "{}", stderr(&o));
}

#[test]
fn audit_reports_the_bases_and_says_so_in_the_headline() {
    let r = json_of(&["audit", &data(FIXTURE), "--format", "json"]);
    let s = &r["snapshots"][0];
    let supply = &s["supply"];
    assert_eq!(supply["findings"], 6);
    assert_eq!(basis(supply, "passing")["gpus"], 12);
    let headline = s["headline"]["summary"].as_str().unwrap();
    assert!(
        headline.contains("on supply passing the checks"),
        "{headline}"
    );
    assert_eq!(r["options"]["supply_checks"], true);
    let off = json_of(&["audit", &data(FIXTURE), "--format", "json", "--no-checks"]);
    assert!(off["snapshots"][0].get("supply").is_none());
    assert_eq!(off["options"]["supply_checks"], false);
}

#[test]
fn user_profiles_extend_bundled_ones_and_are_recorded() {
    let dir = scratch("profile");
    let profile = dir.join("strict.toml");
    std::fs::write(
        &profile,
        "extends = \"akash\"\nname = \"strict\"\n[[thresholds]]\nshare = \"2/3\"\nmeaning = \"two thirds\"\n[rules]\nlocation-mismatch = \"error\"\n",
    )
    .unwrap();
    let p = profile.to_str().unwrap();
    let r = json_of(&[
        "verify-supply",
        &data(FIXTURE),
        "--profile",
        p,
        "--format",
        "json",
    ]);
    let s = &r["snapshots"][0]["summary"];
    assert_eq!(s["profile"], "strict");
    assert_eq!(s["thresholds"][0]["label"], "2/3");
    assert_eq!(
        basis(s, "passing")["gpus"],
        8,
        "the Zagreb provider's 4 GPUs leave"
    );
    assert!(
        r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["adapter"] == "network-profile" && i["location"] == p)
    );
    std::fs::write(
        &profile,
        "extends = \"akash\"\n[checks]\nmax_gpus_per_node = 0\n",
    )
    .unwrap();
    let o = run(&["verify-supply", &data(FIXTURE), "--profile", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("strict.toml") && stderr(&o).contains("max_gpus_per_node"),
        "{}",
        stderr(&o)
    );
}

fn geoip_fixture(dir: &std::path::Path) -> (String, String) {
    let db = mmdb::ipv4(
        "rackaudit-test-country-asn",
        &[
            (
                [203, 0, 113, 0],
                24,
                M::Map(vec![
                    ("country", M::Map(vec![("iso_code", M::Str("HR"))])),
                    ("autonomous_system_number", M::U32(16509)),
                    ("autonomous_system_organization", M::Str("AMAZON-02")),
                ]),
            ),
            (
                [198, 51, 100, 0],
                24,
                M::Map(vec![(
                    "registered_country",
                    M::Map(vec![("iso_code", M::Str("DE"))]),
                )]),
            ),
        ],
    );
    let db_path = dir.join("test.mmdb");
    std::fs::write(&db_path, db).unwrap();
    let snapshot = serde_json::json!({
        "format": "rackaudit-snapshot/1",
        "network": "geo-test",
        "taken_at": null,
        "source": {"adapter": "hand-made", "location": "test"},
        "input_sha256": "0".repeat(64),
        "providers": [
            {"id": "zagreb", "ip": "203.0.113.9", "country": "US", "datacenter": "home",
             "gpus": [{"model": "a100-80gb", "known_model": true, "count": 8}]},
            {"id": "frankfurt", "ip": "198.51.100.4", "country": "DE",
             "gpus": [{"model": "a100-80gb", "known_model": true, "count": 8}]},
            {"id": "unknown-ip", "ip": "192.0.2.1", "country": "FR"}
        ]
    });
    let snap_path = dir.join("geo.json");
    std::fs::write(&snap_path, serde_json::to_vec(&snapshot).unwrap()).unwrap();
    (
        db_path.to_str().unwrap().to_string(),
        snap_path.to_str().unwrap().to_string(),
    )
}

#[test]
fn geoip_database_drives_location_and_asn_findings() {
    let dir = scratch("geoip");
    let (db, snap) = geoip_fixture(&dir);
    let r = json_of(&["verify-supply", &snap, "--geoip", &db, "--format", "json"]);
    let f = &r["snapshots"][0]["findings"];
    let rules: Vec<(&str, &str)> = f
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["provider"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("location-mismatch", "zagreb"),
            ("cloud-asn-mismatch", "zagreb")
        ]
    );
    assert!(
        f[0]["reason"]
            .as_str()
            .unwrap()
            .contains("203.0.113.9 in HR")
    );
    assert!(f[1]["reason"].as_str().unwrap().contains("Amazon"));
    assert!(
        r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["adapter"] == "geoip-mmdb")
    );
    // Without the database there is nothing to compare.
    let r = json_of(&["verify-supply", &snap, "--format", "json"]);
    assert_eq!(r["snapshots"][0]["findings"].as_array().unwrap().len(), 0);
    // A file that is not an MMDB is named in the error.
    let bad = dir.join("bad.mmdb");
    std::fs::write(&bad, b"not a database").unwrap();
    let o = run(&["verify-supply", &snap, "--geoip", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.mmdb"), "{}", stderr(&o));
}

#[test]
fn reports_with_profiles_and_geoip_verify() {
    let dir = scratch("verify-supply-report");
    let (db, snap) = geoip_fixture(&dir);
    let profile = dir.join("p.toml");
    std::fs::write(
        &profile,
        "extends = \"default\"\nname = \"p\"\n[rules]\nlocation-mismatch = \"error\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = run(&[
        "report",
        &snap,
        "--geoip",
        &db,
        "--profile",
        profile.to_str().unwrap(),
        "--rule",
        "cloud-asn-mismatch=info",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = out.join("report.json");
    let o = run(&["verify", report.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let supply = &r["audit"]["snapshots"][0]["supply"];
    assert_eq!(basis(supply, "passing")["gpus"], 8);
    assert_eq!(
        r["audit"]["options"]["rule_overrides"][0],
        "cloud-asn-mismatch=info"
    );
}

#[test]
fn bundled_real_data_is_checked_deterministically() {
    let a = run(&["verify-supply", "--format", "json"]);
    let b = run(&["verify-supply", "--format", "json"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    let r: Value = serde_json::from_slice(&a.stdout).unwrap();
    let snapshots = r["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 8);
    for s in snapshots {
        let kinds: Vec<&str> = s["summary"]["bases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["claimed", "passing", "observed"]);
    }
    let cosmos = snapshots
        .iter()
        .find(|s| s["network"] == "osmosis-1")
        .unwrap();
    let labels: Vec<&str> = cosmos["summary"]["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["1/3", "2/3"]);
}

#[test]
fn csv_fixture_fires_each_rule_once_and_spares_the_controls() {
    let r = json_of(&[
        "verify-supply",
        &data("tests/fixtures/supply_checks.csv"),
        "--format",
        "json",
    ]);
    let got: Vec<(String, String)> = r["snapshots"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["provider"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("sentinel-count", "overflow32"),
        ("sentinel-count", "underflow"),
        ("gpus-per-node", "bignode"),
        ("memory-mismatch", "fakeh100"),
        ("price-outlier", "pricey"),
        ("duplicate-ip", "sameip-2"),
        ("duplicate-fingerprint", "clone-2"),
        ("duplicate-listing", "listedtwice"),
        ("location-mismatch", "declaredelsewhere"),
        ("cloud-asn-mismatch", "homeonaws"),
        ("cloud-asn-mismatch", "notaws"),
        ("leased-exceeds-capacity", "overleased"),
        ("unknown-gpu-model", "mystery"),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(got, want);
    // The passing basis drops the error subjects: both sentinels, the
    // 24-GPU machine, the second fingerprint clone and the over-leased
    // provider; the repeated row is a warning (it may be two machines).
    let s = &r["snapshots"][0]["summary"];
    assert_eq!(basis(s, "passing")["gpus"], 150 - 24 - 8 - 4);
}

#[test]
fn claims_can_be_checked_on_passing_and_observed_supply() {
    let dir = scratch("claims-basis");
    let claims = dir.join("c.toml");
    let claim = |basis: &str| {
        format!(
            "[[claim]]\ntext = \"max share {basis}\"\nmetric = \"max_share\"\ndimension = \"provider\"\nweight = \"gpus\"\nbasis = \"{basis}\"\nmax = 0.7\n"
        )
    };
    std::fs::write(
        &claims,
        [claim("claimed"), claim("passing"), claim("observed")].concat(),
    )
    .unwrap();
    let o = run(&[
        "check",
        "--claims",
        claims.to_str().unwrap(),
        &data(FIXTURE),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let got: Vec<(&str, bool)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["basis"].as_str().unwrap(), v["pass"].as_bool().unwrap()))
        .collect();
    // Claimed: the 2^64 - 1 sentinel holds 100%; passing: 8 of 12 GPUs
    // (66.7%); observed: the one online provider with GPUs holds 100%.
    assert_eq!(
        got,
        [("claimed", false), ("passing", true), ("observed", false)]
    );
    std::fs::write(&claims, claim("trusted")).unwrap();
    let o = run(&[
        "check",
        "--claims",
        claims.to_str().unwrap(),
        &data(FIXTURE),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("basis"), "{}", stderr(&o));
}

#[test]
fn celestia_voting_power_shares_that_miss_one_are_a_finding() {
    let r = json_of(&[
        "verify-supply",
        &data("data/cosmos/celestia_validators_vp_2025-07.json"),
        "--format",
        "json",
    ]);
    let s = &r["snapshots"][0];
    let sums: Vec<&Value> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "share-sum")
        .collect();
    assert_eq!(sums.len(), 1, "{:#}", s["findings"]);
    let f = sums[0];
    assert_eq!(f["claimed"], "1.252");
    assert_eq!(f["provider"], s["network"], "a network-level finding");
    assert_eq!(f["field"], "providers[].stake");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["excluded_gpus"], 0);
    let reason = f["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "voting-power shares sum to 1.252 over 420 validators (0.997 over the 100 in the active set)"
        ),
        "{reason}"
    );
    assert!(reason.contains("metrics divide by the sum of the active set's shares"));
    let rule = s["summary"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "share-sum")
        .unwrap();
    assert_eq!(
        (rule["findings"].as_u64(), rule["providers"].as_u64()),
        (Some(1), Some(0))
    );
    // Token-denominated validator sets are never judged by it.
    let r = json_of(&[
        "verify-supply",
        &data("data/cosmos/osmosis1_valset_height471386.json"),
        "--format",
        "json",
    ]);
    assert!(
        r["snapshots"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "share-sum")
    );
}

#[test]
fn a_radeon_labelled_nvidia_is_flagged_and_counted_as_amd() {
    let dir = scratch("vendor-mismatch");
    let csv = dir.join("gpus.csv");
    std::fs::write(
        &csv,
        "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n\
         red,,,,,,,,nvidia,Radeon RX 7900 XTX,4,,,,\n\
         green,,,,,,,,NVIDIA,RTX 4090,4,,,,\n",
    )
    .unwrap();
    let r = json_of(&["verify-supply", csv.to_str().unwrap(), "--format", "json"]);
    let findings: Vec<&Value> = r["snapshots"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "vendor-mismatch")
        .collect();
    assert_eq!(findings.len(), 1);
    let f = findings[0];
    assert_eq!(f["provider"], "red");
    assert_eq!(f["field"], "gpus[0].vendor");
    assert_eq!(f["claimed"], "nvidia");
    assert_eq!(
        f["reason"],
        "`Radeon RX 7900 XTX` is an AMD model (in the GPU catalogue); the data labels it nvidia; vendor dependency counts it as amd"
    );
    // The snapshot keeps the label beside the model's vendor.
    let out = dir.join("gpus.snapshot.json");
    let o = run(&[
        "snapshot",
        csv.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let snap: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let groups: Vec<(&Value, &Value)> = snap["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (&p["gpus"][0]["vendor"], &p["gpus"][0]["declared_vendor"]))
        .collect();
    assert!(groups.contains(&(&Value::from("amd"), &Value::from("nvidia"))));
    assert!(groups.contains(&(&Value::from("nvidia"), &Value::Null)));
    // Read back, the stored snapshot gives the same finding.
    let again = json_of(&["verify-supply", out.to_str().unwrap(), "--format", "json"]);
    let reasons = |r: &Value| -> Vec<Value> {
        r["snapshots"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["reason"].clone())
            .collect()
    };
    assert_eq!(reasons(&again), reasons(&r));
}
