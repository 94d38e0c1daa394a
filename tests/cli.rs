//! End-to-end tests: the `rackaudit` binary on the bundled real data and on
//! bad input.

use serde_json::Value;
mod common;
use common::{data, scratch};
use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn run_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn audit_json(args: &[&str]) -> Value {
    let mut all = vec!["audit", "--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn cell<'a>(snapshot: &'a Value, dim: &str, weight: &str) -> &'a Value {
    snapshot["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dimension"] == dim && c["weight"] == weight)
        .unwrap_or_else(|| panic!("no cell {dim}/{weight}"))
}

#[test]
fn default_audit_covers_every_bundled_network() {
    let o = run(&["audit"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for network in [
        "bittensor-nakamoto",
        "osmosis-1",
        "cosmoshub-2",
        "celestia",
        "akash-testnet-2019",
        "akash-gpu-testnet-2023",
        "vast.ai",
    ] {
        assert!(text.contains(network), "missing {network}");
    }
    // Bittensor's profile leads with a stake majority (Yuma consensus).
    assert!(
        text.contains("17 operators (22 providers) together hold at least 1/2 of voting stake"),
        "{text}"
    );
    assert!(text.contains(
        "Nakamoto coefficient (at least 50% of voting stake): 22 providers, 17 operators"
    ));
    // CometBFT chains lead with the third that halts the chain.
    assert!(text.contains("4 operators (4 providers) together hold at least 1/3 of voting stake and can halt the chain"), "{text}");
}

#[test]
fn json_is_byte_identical_and_records_versions_and_hashes() {
    let a = run(&["audit", "--format", "json"]);
    let b = run(&["audit", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
    let v: Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["schema_version"], "1");
    assert_eq!(v["tool_version"], env!("CARGO_PKG_VERSION"));
    assert!(v["methodology_version"].is_string());
    assert_eq!(v["input_sha256"].as_str().unwrap().len(), 64);
    // Eight snapshots and the workload behind the cards' resilience rows.
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 9);
    assert_eq!(inputs[8]["adapter"], "workload");
    let o = run(&["audit", "--format", "json", "--no-stress"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"].as_array().unwrap().len(), 8);
}

#[test]
fn bittensor_snapshot_numbers() {
    // The EDI's thresholds, as decimals, for comparison with its code.
    let v = audit_json(&[
        &data("data/bittensor/subtensor_nakamoto_snapshot_block3606775.json"),
        "--tau",
        "0.33,0.66",
    ]);
    let s = &v["snapshots"][0];
    assert_eq!(s["providers"], 4096);
    assert_eq!(s["operators"], 371);
    // Values agree with the consensus-decentralization metric code on the
    // same stakes (checked side by side with bench/peer_metrics.py).
    let p = &cell(s, "provider", "stake")["metrics"];
    assert_eq!(p["total_entities"], 4084);
    assert_eq!(p["nakamoto_coefficient"], 22);
    assert_eq!(p["tau_index"]["0.33"], 12);
    assert_eq!(p["tau_index"]["0.66"], 41);
    assert!((p["gini"].as_f64().unwrap() - 0.9756124469083768).abs() < 1e-12);
    assert!((p["hhi"].as_f64().unwrap() - 155.64257604462003).abs() < 1e-9);
    let o = &cell(s, "operator", "stake")["metrics"];
    assert_eq!(o["nakamoto_coefficient"], 17);
    assert!((s["stake"]["voting_stake"].as_f64().unwrap() - 2361517.466).abs() < 0.001);
}

#[test]
fn cosmos_sets_exclude_non_bonded_validators() {
    let hub = audit_json(&[&data("data/cosmos/cosmoshub_validators_2019.json")]);
    let s = &hub["snapshots"][0];
    assert_eq!(s["network"], "cosmoshub");
    assert_eq!(s["stake"]["excluded_providers"], 6);
    assert_eq!(
        cell(s, "provider", "stake")["metrics"]["total_entities"],
        94
    );
    let osmo = audit_json(&[&data("data/cosmos/osmosis1_valset_height471386.json")]);
    let s = &osmo["snapshots"][0];
    assert_eq!(s["network"], "osmosis-1");
    assert_eq!(
        cell(s, "provider", "stake")["metrics"]["nakamoto_coefficient"],
        6
    );
    let tia = audit_json(&[&data("data/cosmos/celestia_validators_vp_2025-07.json")]);
    let s = &tia["snapshots"][0];
    assert_eq!(s["providers"], 420);
    assert_eq!(s["stake"]["excluded_providers"], 320);
}

#[test]
fn vast_offers_count_machines_and_hosts() {
    let v = audit_json(&[&data("data/vastai/vast_offers_A100SXM4_fieldsubset.json")]);
    let s = &v["snapshots"][0];
    assert_eq!(s["providers"], 20);
    assert_eq!(s["operators"], 9);
    assert_eq!(s["hardware"]["gpus"], 120);
    assert_eq!(s["hardware"]["nvidia"]["gpu_share"]["value"], 1.0);
    assert_eq!(s["hardware"]["nvidia"]["gpu_share"]["coverage"], 1.0);
    // Machine capacity and the GPUs in the listed offers are both reported.
    assert_eq!(s["hardware"]["gpus_offered"], 63);
    // hosting_type is a data-center flag, not a data center's name.
    assert!(
        s["concentration"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["dimension"] != "datacenter")
    );
    assert!(
        (s["cloud"]["datacenter_share"]["value"].as_f64().unwrap() - 16.0 / 120.0).abs() < 1e-12
    );
    assert_eq!(s["geography"]["countries"].as_array().unwrap().len(), 7);
    assert!(s["pricing"].as_array().unwrap().len() >= 2);
    assert!(s["uptime"]["providers"]["n"] == 20);
}

#[test]
fn akash_inputs_read() {
    let v = audit_json(&[
        &data("data/akash/website_aep-4_providers.json"),
        &data("data/akash/community_gpu_testnet_2023.generic.csv"),
    ]);
    assert_eq!(v["snapshots"][0]["providers"], 8);
    assert_eq!(v["snapshots"][1]["hardware"]["gpus"], 8);
    let fixture = audit_json(&[&data("tests/fixtures/akash_console_providers.json")]);
    let s = &fixture["snapshots"][0];
    assert_eq!(s["adapter"], "akash-console");
    assert!(s["hardware"]["gpus"].as_u64().unwrap() > 0);
}

#[test]
fn csv_and_markdown_formats() {
    let o = run(&["audit", "--format", "csv"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let mut rows = csv_rows(&text);
    let header = rows.remove(0);
    assert!(header.contains(&"nakamoto_coefficient".to_string()));
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let o = run(&["audit", "--format", "md"]);
    assert!(stdout(&o).starts_with("# rackaudit report"));
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect()
}

#[test]
fn metrics_command_keys_and_values() {
    let o = run_stdin(&["metrics"], "[40, 30, 20, 10]");
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "total_entities",
        "nakamoto_coefficient",
        "tau_index",
        "concentration_ratio",
        "max_share",
        "hhi",
        "gini",
        "shannon_entropy",
        "min_entropy",
        "renyi_entropy",
        "entropy_percentage",
        "theil_index",
        "effective_entities",
    ];
    let mut sorted = keys.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    assert_eq!(v["nakamoto_coefficient"], 2);
    assert_eq!(v["hhi"], 3000.0);
    assert_eq!(v["tau_index"]["0.66"], 2);
    let o = run_stdin(
        &[
            "metrics", "--tau", "0.5,0.9", "--top", "2", "--alpha", "1,inf",
        ],
        "1\n1\n1\n1\n",
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tau_index"]["0.9"], 4);
    assert_eq!(v["concentration_ratio"]["2"], 0.5);
    assert_eq!(v["renyi_entropy"]["inf"], 2.0);
    let o = run_stdin(&["metrics"], "[]");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["nakamoto_coefficient"], Value::Null);
    assert_eq!(v["total_entities"], 0);
}

/// A generic CSV with the standard header and the given rows.
fn csv_row(rows: &str) -> Vec<u8> {
    format!(
        "{}\n{rows}\n",
        rackaudit::sources::generic_csv::COLUMNS.join(",")
    )
    .into_bytes()
}

#[test]
fn accepted_edge_cases_bom_crlf_and_amounts_beyond_u64() {
    let dir = scratch("accepted");
    let csv = dir.join("bom.csv");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(csv_row("p1,,,,,,,,,H100,1,,,,").iter().flat_map(|b| {
        if *b == b'\n' {
            vec![b'\r', b'\n']
        } else {
            vec![*b]
        }
    }));
    std::fs::write(&csv, bytes).unwrap();
    let v = audit_json(&[csv.to_str().unwrap()]);
    assert_eq!(v["snapshots"][0]["providers"], 1);
    let big = dir.join("u128.json");
    std::fs::write(
        &big,
        br#"{"validators":[{"operator_address":"cosmosvaloper1x","tokens":"340282366920938463463374607431768211455","status":"BOND_STATUS_BONDED"},{"operator_address":"cosmosvaloper1y","tokens":"1","status":"BOND_STATUS_BONDED"}]}"#,
    )
    .unwrap();
    let v = audit_json(&[big.to_str().unwrap()]);
    let max = v["snapshots"][0]["headline"]["provider"]["max_share"]
        .as_f64()
        .unwrap();
    assert!((max - 1.0).abs() < 1e-12, "{max}");
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_code_2() {
    let dir = scratch("bad");
    let write = |name: &str, body: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["audit".into(), "/nonexistent/x.json".into()],
            "/nonexistent/x.json: cannot open".into(),
        ),
        (
            vec!["audit".into(), dir.display().to_string()],
            "is a directory".into(),
        ),
        (
            vec!["audit".into(), write("empty.json", b"")],
            "is empty".into(),
        ),
        (
            vec![
                "audit".into(),
                write("trunc.json", b"{\"validators\": [{\"operator_address\": "),
            ],
            "is not valid JSON".into(),
        ),
        (
            vec!["audit".into(), write("other.json", b"{\"hello\": 1}")],
            "formats tried".into(),
        ),
        (
            vec![
                "audit".into(),
                write(
                    "case.csv",
                    csv_row("p1,,,,,,,,,H100,1,,,,")
                        .strip_prefix(b"provider_id")
                        .map(|rest| [b"Provider_ID".as_slice(), rest].concat())
                        .unwrap()
                        .as_slice(),
                ),
            ],
            "case.csv: line 1 (header): field `Provider_ID`: looks like `provider_id`".into(),
        ),
        (
            vec!["audit".into(), write("bin.csv", b"provider_id\xff\xfe")],
            "not valid UTF-8".into(),
        ),
        (
            vec![
                "audit".into(),
                "--source".into(),
                "nope".into(),
                write("x.csv", b"a"),
            ],
            "unknown source kind".into(),
        ),
        (
            vec![
                "audit".into(),
                write(
                    "types.json",
                    br#"{"validators":[{"operator_address":"cosmosvaloper1x","tokens":{"a":1},"status":"BOND_STATUS_BONDED"}]}"#,
                ),
            ],
            "$.validators[0]: field `tokens`: expected a number, found an object".into(),
        ),
        (
            vec![
                "audit".into(),
                write(
                    "negtokens.json",
                    br#"{"validators":[{"operator_address":"cosmosvaloper1x","tokens":"-5","status":"BOND_STATUS_BONDED"}]}"#,
                ),
            ],
            "field `tokens`: is negative (-5)".into(),
        ),
        (
            vec!["audit".into(), write("nan.csv", &csv_row("p1,,,,,,,,,H100,NaN,,,,"))],
            "line 2: field `gpu_count`: `NaN` is not a non-negative number".into(),
        ),
        (
            vec!["audit".into(), write("inf.csv", &csv_row("p1,,,,,,,,,H100,1,,,inf,"))],
            "line 2: field `price_per_gpu_hour`: `inf` is not a non-negative number".into(),
        ),
        (
            vec!["audit".into(), write("up.csv", &csv_row("p1,,,,,,,,,H100,1,,1.5,,"))],
            "line 2: field `uptime`: 1.5 is outside [0, 1] (hint: uptime is a fraction".into(),
        ),
        (
            vec!["audit".into(), write("cols.csv", &csv_row("p1,,,,,,,,,H100,1,,,"))],
            "line 2: has 14 fields, but the header has 15".into(),
        ),
        (
            vec![
                "audit".into(),
                write("conflict.csv", &csv_row("p1,,A,,,,,,,,,,,,\np1,,B,,,,,,,,,,,,")),
            ],
            "line 3: field `name`: \"B\" conflicts with \"A\"".into(),
        ),
        (
            vec![
                "audit".into(),
                write(
                    "dupid.json",
                    br#"{"format":"rackaudit-snapshot/1","network":"x","taken_at":null,"source":{"adapter":"a","location":"l"},"input_sha256":"0","providers":[{"id":"a"},{"id":"a"}]}"#,
                ),
            ],
            "provider 1 (id `a`): field `id`: appears more than once".into(),
        ),
        (
            vec!["metrics".into(), write("neg.txt", b"1\n-2\n")],
            "line 2: `-2` is negative".into(),
        ),
        (
            vec!["metrics".into(), write("nan.json", b"[1, \"NaN\"]")],
            "$[1]".into(),
        ),
        (
            vec![
                "metrics".into(),
                "--tau".into(),
                "2".into(),
                write("ok.txt", b"1"),
            ],
            "--tau".into(),
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&expected), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
}

#[test]
fn failed_run_leaves_previous_output_intact() {
    let dir = scratch("atomic");
    let out = dir.join("report.json");
    let ok = run(&["audit", "--format", "json", "-o", out.to_str().unwrap()]);
    assert!(ok.status.success());
    let before = std::fs::read(&out).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{").unwrap();
    let o = run(&[
        "audit",
        bad.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary files left: {names:?}");
}

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let dir = scratch("hostile");
    let path = dir.join("hostile.csv");
    let header = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake";
    std::fs::write(
        &path,
        format!("{header}\np1,=cmd|' /C calc'!A0,\"<script>alert(1)</script> | [x](javascript:y) \x1b[31m\",US,,,,,,h100,8,80,,,\np2,op2,b,DE,,,,,,h100,1,80,,,\n"),
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let md = stdout(&run(&["audit", p, "--format", "md"]));
    assert!(!md.contains("<script>") && md.contains("&lt;script&gt;"));
    assert!(md.contains("\\| \\[x\\]"));
    let csv = stdout(&run(&["audit", p, "--format", "csv"]));
    assert!(csv.contains("'declared:=cmd") || !csv.contains(",=cmd"));
    for row in csv_rows(&csv) {
        assert!(row.iter().all(|c| !c.starts_with('=')), "{row:?}");
    }
    let table = stdout(&run(&["audit", p]));
    assert!(
        !table.contains('\x1b'),
        "no raw escape sequences reach the terminal"
    );
}

#[test]
fn snapshot_round_trips_through_its_json_form() {
    let dir = scratch("snap");
    let out = dir.join("osmo.snapshot.json");
    let o = run(&[
        "snapshot",
        &data("data/cosmos/osmosis1_valset_height471386.json"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let direct = audit_json(&[&data("data/cosmos/osmosis1_valset_height471386.json")]);
    let via = audit_json(&[out.to_str().unwrap()]);
    assert_eq!(
        direct["snapshots"][0]["concentration"],
        via["snapshots"][0]["concentration"]
    );
}

#[test]
fn synth_output_audits() {
    let dir = scratch("synth");
    let out = dir.join("s.csv");
    let o = run(&[
        "synth",
        "--providers",
        "300",
        "--gpus",
        "5000",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let v = audit_json(&[out.to_str().unwrap()]);
    assert_eq!(v["snapshots"][0]["providers"], 300);
}

/// Golden outputs: the exact JSON and Markdown of an audit, checked in so a
/// change to any number or layout is seen in review. Regenerate with
/// `UPDATE_GOLDEN=1 cargo test --release --test cli golden`.
#[test]
fn golden_reports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let inputs = [
        "data/vastai/vast_offers_A100SXM4_fieldsubset.json",
        "data/cosmos/osmosis1_valset_height471386.json",
    ];
    for (format, file) in [
        ("json", "vastai_osmosis.audit.json"),
        ("md", "vastai_osmosis.audit.md"),
    ] {
        let mut cmd = bin();
        cmd.current_dir(root)
            .arg("audit")
            .args(inputs)
            .args(["--format", format]);
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        let golden = root.join("tests/golden").join(file);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &out.stdout).unwrap();
        }
        let expected = std::fs::read(&golden).unwrap();
        assert!(
            out.stdout == expected,
            "{file} differs from the golden output; regenerate with UPDATE_GOLDEN=1 if intended"
        );
    }
}

#[test]
fn entities_lists_operators_with_evidence() {
    let o = run(&[
        "entities",
        &data("data/bittensor/subtensor_nakamoto_snapshot_block3606775.json"),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v["snapshots"][0];
    assert_eq!(s["providers"], 4096);
    assert_eq!(s["operators"], 371);
    assert_eq!(s["unlinked_providers"], 0);
    let top = &s["list"][0];
    assert_eq!(
        top["id"],
        "coldkey:5ChuGqW2cxc5AZJ29z6vyTkTncg75L9ovfp8QN8eB8niSD75"
    );
    assert_eq!(top["providers"].as_array().unwrap().len(), 4);
    assert_eq!(top["evidence"].as_array().unwrap().len(), 3);
    assert!((top["shares"]["stake"].as_f64().unwrap() - 0.1163).abs() < 1e-3);
    let csv = stdout(&run(&[
        "entities",
        &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
        "--format",
        "csv",
    ]));
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 10, "header and 9 hosts");
    let table = stdout(&run(&[
        "entities",
        &data("tests/fixtures/akash_console_providers.json"),
    ]));
    assert!(table.contains("domain:example.com"), "{table}");
}

#[test]
fn explain_names_the_chain_of_keys() {
    let o = run(&[
        "entities",
        &data("tests/fixtures/akash_console_providers.json"),
        "--explain",
        "akash1handmadefixture000000000000000000004",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("operator domain:example.com"), "{text}");
    assert!(
        text.contains("hostname_domain of the other = example.com"),
        "{text}"
    );
    let o = run(&[
        "entities",
        &data("tests/fixtures/akash_console_providers.json"),
        "--explain",
        "nobody",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no provider `nobody`"));
}

#[test]
fn mapping_file_overrides_and_is_recorded() {
    let dir = scratch("mapping");
    let mapping = dir.join("ops.toml");
    std::fs::write(
        &mapping,
        "[[operator]]\nname = \"One Team\"\nproviders = [\"osmovaloper1cyw4vw20el8e7ez8080md0r8psg25n0cq98a9n\", \"osmovaloper196ax4vc0lwpxndu9dyhvca7jhxp70rmcmmarz7\"]\nreason = \"test\"\n",
    )
    .unwrap();
    let v = audit_json(&[
        &data("data/cosmos/osmosis1_valset_height471386.json"),
        "--mapping",
        mapping.to_str().unwrap(),
    ]);
    let s = &v["snapshots"][0];
    let op = cell(s, "operator", "stake");
    assert_eq!(op["top"][0]["key"], "mapped:One Team");
    assert!(
        (op["top"][0]["share"].as_f64().unwrap() - 0.229).abs() < 0.01,
        "Sentinel 15.4% + SG-1 7.5%"
    );
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.last().unwrap()["adapter"], "operator-mapping");
    std::fs::write(&mapping, "[[operator]]\nname = \"X\"\nproviders = [\"a\"\n").unwrap();
    let o = run(&[
        "audit",
        &data("data/cosmos/osmosis1_valset_height471386.json"),
        "--mapping",
        mapping.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ops.toml: line 3"), "{}", stderr(&o));
}

#[test]
fn operator_cells_carry_attribution_bounds() {
    let v = audit_json(&[&data("data/cosmos/celestia_validators_vp_2025-07.json")]);
    let s = &v["snapshots"][0];
    let b = &cell(s, "operator", "stake")["bounds"];
    // Only the 100 validators in the active set hold voting stake.
    assert_eq!(b["unlinked_providers"], 100);
    assert_eq!(b["worst"]["nakamoto_coefficient"], 1);
    assert_eq!(b["best"]["nakamoto_coefficient"], 6);
    assert!(
        s["headline"]["summary"]
            .as_str()
            .unwrap()
            .contains("unlinked providers were one operator")
    );
}

#[test]
fn stress_json_has_the_documented_shape() {
    let o = run(&[
        "stress",
        &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
        "--format",
        "json",
        "--trials",
        "200",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v["snapshots"][0];
    for key in [
        "served_fraction",
        "served_gpus",
        "demanded_gpus",
        "per_class",
        "exact",
        "gap",
    ] {
        assert!(s["baseline"].get(key).is_some(), "baseline.{key}");
    }
    assert_eq!(s["baseline"]["served_fraction"], 1.0);
    assert_eq!(s["resilience"]["providers"][0]["k"], 0);
    assert!(
        s["resilience"]["operators"][2]["removed"]
            .as_array()
            .unwrap()
            .len()
            == 2
    );
    assert!(s["single_losses"]["country"][0]["value"] == "US");
    for dim in ["operators", "providers", "countries", "clouds"] {
        for key in ["value", "lower_bound", "upper_bound", "exact", "removed"] {
            assert!(
                s["workload_nakamoto"][dim].get(key).is_some(),
                "{dim}.{key}"
            );
        }
    }
    assert_eq!(s["workload_nakamoto"]["operators"]["value"], 4);
    for key in ["trials", "seed", "mean", "p5", "p1"] {
        assert!(s["monte_carlo"].get(key).is_some(), "monte_carlo.{key}");
    }
    let again = run(&[
        "stress",
        &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
        "--format",
        "json",
        "--trials",
        "200",
    ]);
    assert_eq!(o.stdout, again.stdout, "deterministic");
    assert_eq!(
        v["inputs"].as_array().unwrap().last().unwrap()["adapter"],
        "workload"
    );
}

#[test]
fn example_workloads_run_and_bad_ones_are_refused() {
    for w in [
        "workloads/llm-inference.toml",
        "workloads/finetune-8gpu.toml",
        "workloads/small-gpu-batch.toml",
        "workloads/default.toml",
    ] {
        let o = run(&[
            "stress",
            &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
            "--workload",
            &data(w),
            "--only",
            "baseline",
        ]);
        assert!(o.status.success(), "{w}: {}", stderr(&o));
    }
    let dir = scratch("workload");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\n[[class]]\nname = \"a\"\nreplicas = 1\ngpus_per_replica = 0\n",
    )
    .unwrap();
    let o = run(&[
        "stress",
        &data("data/vastai/vast_offers_A100SXM4_fieldsubset.json"),
        "--workload",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("field `gpus_per_replica`"),
        "{}",
        stderr(&o)
    );
    let o = run(&["stress", "--level", "2"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["stress"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("workload default-ai-mix"));
}

#[test]
fn snapshots_export_to_generic_csv_and_read_back_the_same() {
    let dir = scratch("csv-export");
    for b in rackaudit::bundled::BUNDLED {
        let original = b.path;
        let src = data(original);
        let csv = dir.join(format!("{}.csv", original.replace('/', "_")));
        let o = run(&[
            "snapshot",
            &src,
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{original}: {}", stderr(&o));
        let a = audit_json(&[&src, "--no-checks"]);
        let c = audit_json(&[csv.to_str().unwrap(), "--no-checks"]);
        let (a, c) = (&a["snapshots"][0], &c["snapshots"][0]);
        assert_eq!(a["providers"], c["providers"], "{original}");
        for key in ["primary_weight", "provider"] {
            assert_eq!(a["headline"][key], c["headline"][key], "{original}: {key}");
        }
    }
}

/// Off a terminal the table is pipe-delimited: a `|` in a name is escaped
/// so every row keeps its columns (audit and compare).
#[test]
fn pipes_in_names_do_not_split_table_cells() {
    let dir = common::scratch("pipes");
    let path = dir.join("pipes.csv");
    std::fs::write(
        &path,
        "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n\
         p1,a|b,x|y,US,,,,,nvidia,T4,1,16,,,\n\
         p2,c,z,US,,,,,nvidia,T4,1,16,,,\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    for args in [vec!["audit", p], vec!["compare", p, p]] {
        let o = run(&args);
        let out = String::from_utf8(o.stdout).unwrap();
        let mut columns = None;
        for line in out.lines() {
            if !line.starts_with('|') {
                columns = None;
                continue;
            }
            let cells = line.replace("\\|", "").matches('|').count();
            assert_eq!(*columns.get_or_insert(cells), cells, "{args:?}: {line}");
        }
        if args[0] == "audit" {
            assert!(out.contains("x\\|y"), "{out}");
        }
    }
}

#[test]
fn misspelled_source_kinds_and_rules_get_a_suggestion() {
    let bundled = data("data/vastai/vast_offers_A100SXM4_fieldsubset.json");
    let o = run(&["audit", "--source", "cosmo", &bundled]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("unknown source kind `cosmo`"), "{e}");
    assert!(e.contains("known kinds: snapshot,"), "{e}");
    assert!(e.contains("did you mean `cosmos`?"), "{e}");
    let o = run(&["verify-supply", "--rule", "duplicat-ip=off", &bundled]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `duplicate-ip`?"),
        "{}",
        stderr(&o)
    );
    let o = run(&["verify-supply", "--rule", "duplicate-ip=of", &bundled]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `off`?"), "{}", stderr(&o));
}

#[test]
fn snapshots_import_skips_stored_inputs_and_sets_taken_at() {
    let dir = scratch("import");
    let store = dir.join("s.sqlite").display().to_string();
    let osmo = data("data/cosmos/osmosis1_valset_height471386.json");
    let copy = dir.join("renamed.json");
    std::fs::copy(&osmo, &copy).unwrap();
    let copy = copy.display().to_string();
    let import = |file: &str, taken_at: &str| {
        run(&[
            "snapshots",
            "import",
            "--store",
            &store,
            "--taken-at",
            taken_at,
            file,
        ])
    };
    let o = import(&osmo, "2026-01-02T03:04:05Z");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("stored as snapshot 1"),
        "{}",
        stderr(&o)
    );
    // The same bytes again, under another name and another date: skipped.
    for (file, taken_at) in [(&osmo, "2026-01-02T03:04:05Z"), (&copy, "2026-02-01")] {
        let o = import(file, taken_at);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&format!(
                "skipped {file}: already stored as snapshot 1 (same sha256 "
            )),
            "{e}"
        );
    }
    // Its snapshot JSON records the same input: skipped too.
    let converted = dir.join("osmo.snapshot.json");
    let o = run(&["snapshot", &osmo, "-o", converted.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "snapshots",
        "import",
        "--store",
        &store,
        converted.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("already stored as snapshot 1 (same input sha256 "),
        "{}",
        stderr(&o)
    );
    let o = run(&["snapshots", "list", "--store", &store, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["taken_at"], "2026-01-02T03:04:05Z");
    // The hidden --json is the same list.
    let o2 = run(&["snapshots", "list", "--store", &store, "--json"]);
    assert_eq!(o.stdout, o2.stdout);
    // The table shows the date; csv and md too, and -o writes the file.
    let table = stdout(&run(&["snapshots", "list", "--store", &store]));
    assert!(
        table.starts_with("id\tnetwork\tcollector\ttaken_at\t")
            && table.contains("\tosmosis-1\timport:cosmos\t2026-01-02T03:04:05Z\tyes\t"),
        "{table}"
    );
    let out = dir.join("list.csv");
    let o = run(&[
        "snapshots",
        "list",
        "--store",
        &store,
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success() && o.stdout.is_empty(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows = csv_rows(&csv);
    assert_eq!(
        rows[0],
        [
            "id",
            "network",
            "collector",
            "taken_at",
            "complete",
            "providers",
            "input_sha256"
        ]
    );
    assert_eq!(rows[1][3], "2026-01-02T03:04:05Z");
    assert_eq!(rows[1][6].len(), 64);
    let md = stdout(&run(&[
        "snapshots",
        "list",
        "--store",
        &store,
        "--format",
        "md",
    ]));
    assert!(
        md.contains("| 1 | osmosis-1 | import:cosmos | 2026-01-02T03:04:05Z | yes |"),
        "{md}"
    );
    // A bad --taken-at is a usage error naming the flag; nothing is stored.
    for bad in ["yesterday", "2026-02-30", "2026-01-02T03:04:05"] {
        let o = run(&[
            "snapshots",
            "import",
            "--store",
            &store,
            "--taken-at",
            bad,
            &data("data/cosmos/cosmoshub_validators_2019.json"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains("--taken-at: `"), "{}", stderr(&o));
    }
    let o = run(&["snapshots", "list", "--store", &store, "--format", "json"]);
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
}

#[test]
fn metrics_reads_csv_columns_and_json_fields_in_every_format() {
    let dir = scratch("metrics-inputs");
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let plain = run_stdin(&["metrics"], "[40, 30, 20, 10]");
    let csv = write("v.csv", "id,stake\na,40\nb,30\nc,20\nd,10\n");
    let json = write(
        "v.json",
        r#"[{"s":{"t":40}},{"s":{"t":30}},{"s":{"t":20}},{"s":{"t":10}}]"#,
    );
    let jsonl = write(
        "v.jsonl",
        "{\"w\": 40}\n{\"w\": 30}\n{\"w\": 20}\n{\"w\": 10}\n",
    );
    // Every input layout gives the same JSON, byte for byte.
    for args in [
        vec!["metrics", csv.as_str(), "--column", "stake"],
        vec!["metrics", csv.as_str(), "--column", "2"],
        vec!["metrics", json.as_str(), "--field", "s.t"],
        vec![
            "metrics",
            jsonl.as_str(),
            "--field",
            "w",
            "--format",
            "json",
        ],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(o.stdout, plain.stdout, "{args:?}");
    }
    let table = stdout(&run(&[
        "metrics", &csv, "--column", "stake", "--format", "table",
    ]));
    assert!(table.starts_with("metric "), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().eq(["tau_index[0.66]", "2"])),
        "{table}"
    );
    let out = dir.join("m.csv");
    let o = run(&[
        "metrics",
        &csv,
        "--column",
        "stake",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success() && o.stdout.is_empty(), "{}", stderr(&o));
    let rows = csv_rows(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(rows[0], ["metric", "value"]);
    assert!(
        rows.contains(&vec!["hhi".to_string(), "3000.0".to_string()]),
        "{rows:?}"
    );
    let md = stdout(&run(&["metrics", &jsonl, "--field", "w", "--format", "md"]));
    assert!(md.contains("| effective\\_entities\\[shannon\\] |"), "{md}");
    // --skip-empty leaves empty cells out, with a note.
    let gaps = write("gaps.csv", "id,stake\na,40\nb,\nc,30\nd,20\ne,10\n");
    let o = run(&["metrics", &gaps, "--column", "stake", "--skip-empty"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, plain.stdout);
    assert!(
        stderr(&o).contains("skipped 1 record with an empty value (first: line 3)"),
        "{}",
        stderr(&o)
    );
    // Errors name the file, the record and the field; exit code 2.
    let cases = [
        (
            vec!["metrics", gaps.as_str(), "--column", "stake"],
            "gaps.csv: line 3: field `stake`: is empty",
        ),
        (
            vec!["metrics", csv.as_str(), "--column", "stak"],
            "field `stak`: is not a column of the header",
        ),
        (
            vec!["metrics", json.as_str(), "--field", "s.x"],
            "v.json: $[0].s.x: field `s.x`: is missing",
        ),
        (
            vec!["metrics", json.as_str(), "--column", "s"],
            "is JSON, not CSV",
        ),
        (
            vec!["metrics", csv.as_str(), "--column", "stake", "--field", "x"],
            "cannot be used with",
        ),
        (
            vec!["metrics", csv.as_str(), "--skip-empty"],
            "--skip-empty needs --column or --field",
        ),
    ];
    for (args, expected) in cases {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
}

/// A reader that stops early (`| head -c 1000`) ends the output, not the
/// run: exit 0 and nothing on stderr. The streamed snapshot can leave a
/// partial line in standard output's buffer for the final flush, which
/// must take the closed pipe as quietly as the writes before it did.
#[test]
fn a_reader_closing_the_pipe_early_is_not_an_error() {
    use std::io::Read;
    let input = "data/bittensor/subtensor_nakamoto_snapshot_block3606775.json";
    for args in [
        vec!["snapshot", input],
        vec!["audit", input, "--format", "json"],
    ] {
        let mut child = bin()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 1000];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        // The pipe's read end is closed here, before the output is complete.
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
    }
}

/// A generic CSV above the size read as a stream (8 MiB), sorted by
/// provider id: each provider's GPU rows out of canonical order, some rows
/// repeated, names that JSON must escape, empty cells. `extra` adds a
/// column (header name, value of every row).
fn large_sorted_csv(providers: usize, extra: Option<(&str, &str)>) -> String {
    let mut csv = String::from(
        "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake",
    );
    if let Some((column, _)) = extra {
        csv.push(',');
        csv.push_str(column);
    }
    csv.push('\n');
    let countries = ["US", "DE", "FR", "", "SG"];
    for i in 0..providers {
        let name = match i % 4 {
            0 => format!("host {i}"),
            1 => format!("\"say \"\"hi\"\" {i}\""),
            2 => format!("back\\slash {i}"),
            _ => String::new(),
        };
        let country = countries[i % countries.len()];
        let mut rows = vec![
            ("nvidia", "RTX 3090", 1 + i % 3, 24, 0.23),
            (
                "nvidia",
                "H100 SXM",
                1 + i % 8,
                80,
                2.5 + (i % 7) as f64 / 10.0,
            ),
        ];
        if i % 5 == 0 {
            rows.push(rows[0]);
        }
        for (vendor, model, count, memory, price) in rows {
            csv.push_str(&format!(
                "p{i:07},op-{},{name},{country},,{},,dc-{},{vendor},{model},{count},{memory},0.{},{price},",
                i % 97,
                64_000 + i % 3000,
                i % 50,
                900 + i % 99
            ));
            if let Some((_, value)) = extra {
                csv.push(',');
                csv.push_str(value);
            }
            csv.push('\n');
        }
    }
    csv
}

/// Providers of [`large_sorted_csv`]'s files in the tests: 11 MB.
const PROVIDERS: usize = 60_000;

/// Files in `dir`, by name.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `snapshot -o FILE` of a large sorted CSV writes each provider while the
/// rest of the file is still being read, and the head (with the digest of
/// the whole input) last. The file must be exactly what standard output
/// gets, where the snapshot is written after reading: for a sorted file,
/// for the same rows in reverse, and with a snapshot-level column.
#[test]
fn a_snapshot_written_while_reading_is_the_snapshot_written_after() {
    let dir = scratch("snapshot-streamed");
    let sorted = large_sorted_csv(PROVIDERS, None);
    assert!(sorted.len() > 9 << 20, "{} bytes", sorted.len());
    let (header, rows) = sorted.split_once('\n').unwrap();
    let mut reversed: Vec<&str> = rows.lines().collect();
    reversed.reverse();
    let reversed = format!("{header}\n{}\n", reversed.join("\n"));
    let with_network = large_sorted_csv(PROVIDERS, Some(("network", "akash")));
    for (name, csv) in [
        ("sorted.csv", &sorted),
        ("reversed.csv", &reversed),
        ("network.csv", &with_network),
    ] {
        let input = dir.join(name);
        std::fs::write(&input, csv).unwrap();
        let input = input.to_str().unwrap();
        let piped = run(&["snapshot", input]);
        assert!(piped.status.success(), "{name}: {}", stderr(&piped));
        let out = dir.join(format!("{name}.json"));
        // Over an older file, too: replaced whole.
        std::fs::write(&out, "older").unwrap();
        let o = run(&["snapshot", input, "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let written = std::fs::read(&out).unwrap();
        assert!(
            written == piped.stdout,
            "{name}: the file differs from stdout"
        );
        let snapshot: Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(snapshot["providers"].as_array().unwrap().len(), PROVIDERS);
    }
    assert!(
        files_in(&dir).iter().all(|f| !f.contains(".tmp")),
        "{:?}",
        files_in(&dir)
    );
}

/// A large sorted CSV that is wrong at its end (a value, or a row the CSV
/// reader refuses) fails as it does when read whole: exit 2, the error
/// names the place, and the providers already written while reading are
/// removed with their temporary file; an older output stays as it was.
#[test]
fn a_snapshot_written_while_reading_leaves_nothing_when_the_input_is_wrong() {
    let dir = scratch("snapshot-streamed-bad");
    let good = large_sorted_csv(PROVIDERS, None);
    let bad_country =
        format!("{good}p9999999,op-1,last,XX,,1,,dc-1,nvidia,H100 SXM,1,80,0.9,2.5,\n");
    let bad_row = format!("{good}p9999999,op-1,last\n");
    let cases = [
        (bad_country, "line ", "field `country`"),
        (bad_row, "line ", "fields"),
    ];
    for (i, (csv, place, what)) in cases.iter().enumerate() {
        let input = dir.join(format!("bad{i}.csv"));
        std::fs::write(&input, csv).unwrap();
        let out = dir.join("out.json");
        std::fs::write(&out, "older").unwrap();
        let o = run(&[
            "snapshot",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "case {i}: {}", stderr(&o));
        assert!(stderr(&o).contains(place), "case {i}: {}", stderr(&o));
        assert!(stderr(&o).contains(what), "case {i}: {}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "older", "case {i}");
        let names = files_in(&dir);
        assert!(
            names.iter().all(|f| !f.contains(".tmp")),
            "case {i}: {names:?}"
        );
    }
    // With both the input and the output's directory wrong, the input is
    // what is reported, as when the file is written after reading.
    let missing = dir.join("missing.csv");
    let nowhere = dir.join("no-such-dir/out.json");
    let o = run(&[
        "snapshot",
        missing.to_str().unwrap(),
        "-o",
        nowhere.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("missing.csv: cannot open"),
        "{}",
        stderr(&o)
    );
}
