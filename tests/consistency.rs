//! One vocabulary across subcommands: every command that prints results
//! takes `--format table|json|csv|md` and `-o FILE`; the option families
//! (supply checks, operator resolution, stress scenario, `--top-n`) mean the
//! same thing on every command that has them; old spellings still work with
//! a deprecation note; `--color`, `NO_COLOR` and `-q` behave as in other
//! command-line tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rackaudit"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rackaudit-consistency-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const VAST: &str = "data/vastai/vast_offers_A100SXM4_fieldsubset.json";
const OSMOSIS: &str = "data/cosmos/osmosis1_valset_height471386.json";
const COSMOSHUB: &str = "data/cosmos/cosmoshub_validators_2019.json";

/// A store holding the two Cosmos snapshots.
fn store(dir: &Path) -> String {
    let store = dir.join("s.sqlite").display().to_string();
    let o = run(&[
        "-q",
        "snapshots",
        "--store",
        &store,
        "import",
        OSMOSIS,
        COSMOSHUB,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    store
}

/// Every command that prints results, with arguments that make it print.
fn printing_commands(store: &str, numbers: &str) -> Vec<Vec<String>> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&["audit", VAST, "--no-stress"]),
        v(&["check", "--claims", "claims/seed-disclosure.toml", VAST]),
        v(&["compare", COSMOSHUB, OSMOSIS]),
        v(&["entities", VAST]),
        v(&["history", "osmosis-1", "--store", store]),
        v(&["metrics", numbers]),
        v(&[
            "rewards",
            "tests/fixtures/rewards/etherscan_token_new.csv",
            "--profile",
            "render-ethereum",
        ]),
        v(&["snapshots", "--store", store, "list"]),
        v(&["stress", VAST, "--only", "baseline,resilience"]),
        v(&["verify-supply", VAST]),
    ]
}

#[test]
fn every_printing_command_takes_every_format_and_an_output_file() {
    let dir = scratch("formats");
    let store = store(&dir);
    let numbers = dir.join("n.txt");
    std::fs::write(&numbers, "40\n30\n20\n10\n").unwrap();
    let mut problems = Vec::new();
    for args in printing_commands(&store, numbers.to_str().unwrap()) {
        for format in ["table", "json", "csv", "md"] {
            let file = dir.join(format!("{}.{format}", args[0]));
            let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
            a.extend(["--format", format, "-o", file.to_str().unwrap()]);
            let o = run(&a);
            let what = a.join(" ");
            if !matches!(o.status.code(), Some(0 | 1)) {
                problems.push(format!("{what}: {}", String::from_utf8_lossy(&o.stderr)));
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&file) else {
                problems.push(format!("{what}: no output file"));
                continue;
            };
            if !o.stdout.is_empty() {
                problems.push(format!("{what}: printed to standard output despite -o"));
            }
            let ok = match format {
                "json" => serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "csv" => {
                    let mut r = csv::Reader::from_reader(text.as_bytes());
                    let width = r.headers().map(|h| h.len()).unwrap_or(0);
                    width > 1
                        && r.records()
                            .all(|rec| rec.is_ok_and(|rec| rec.len() == width))
                }
                // Tables, or a titled list where the result is not a table.
                "md" => (text.contains("| ") && text.contains("|---")) || text.starts_with("# "),
                _ => !text.trim().is_empty(),
            };
            if !ok {
                problems.push(format!("{what}: not valid {format}:\n{text}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_old_json_flag_is_format_json() {
    let dir = scratch("json");
    let store = store(&dir);
    for args in [
        vec!["check", "--claims", "claims/seed-disclosure.toml", VAST],
        vec!["snapshots", "--store", &store, "list"],
        vec!["compare", COSMOSHUB, OSMOSIS],
    ] {
        let mut old = args.clone();
        old.push("--json");
        let mut new = args.clone();
        new.extend(["--format", "json"]);
        assert_eq!(run(&old).stdout, run(&new).stdout, "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn option_families_are_accepted_wherever_they_apply() {
    let dir = scratch("families");
    let out = dir.join("report");
    let out = out.to_str().unwrap();
    let supply = ["--profile", "default", "--rule", "duplicate-ip=off"];
    let resolve = [
        "--min-confidence",
        "network",
        "--deny-domain",
        "example.com",
    ];
    let scenario = [
        "--level", "1/2", "--max-k", "3", "--by", "gpus", "--trials", "10", "--seed", "2",
    ];
    let cases: Vec<(Vec<&str>, Vec<&[&str]>)> = vec![
        (vec!["audit", VAST, "--no-stress"], vec![&supply, &resolve]),
        (
            vec!["report", VAST, "--out-dir", out],
            vec![&supply, &resolve, &scenario],
        ),
        (vec!["stress", VAST], vec![&supply, &resolve, &scenario]),
        (
            vec!["check", "--claims", "claims/seed-disclosure.toml", VAST],
            vec![&supply, &resolve, &scenario],
        ),
        (vec!["compare", COSMOSHUB, OSMOSIS], vec![&supply, &resolve]),
        (vec!["verify-supply", VAST], vec![&supply, &resolve]),
        (vec!["entities", VAST], vec![&resolve]),
    ];
    for (base, families) in cases {
        for family in families {
            let mut a = base.clone();
            a.extend_from_slice(family);
            let o = run(&a);
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{}: {}",
                a.join(" "),
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let mut a = base.clone();
        a.push("--no-checks");
        // verify-supply is the checks; entities does not check supply.
        if !matches!(base[0], "entities" | "verify-supply") {
            let o = run(&a);
            assert!(matches!(o.status.code(), Some(0 | 1)), "{}", a.join(" "));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn top_n_has_one_default() {
    for cmd in ["audit", "report", "entities"] {
        let help = String::from_utf8(run(&[cmd, "--help"]).stdout).unwrap();
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let at = flat.find("--top-n").expect(cmd);
        assert!(
            flat[at..].contains("[default: 10]") && !flat[at..].contains("[default: 25]"),
            "{cmd}"
        );
    }
}

#[test]
fn fractions_are_accepted_and_percentages_get_a_hint() {
    let a = run(&[
        "stress", VAST, "--only", "nakamoto", "--level", "1/2", "--format", "json",
    ]);
    let b = run(&[
        "stress", VAST, "--only", "nakamoto", "--level", "0.5", "--format", "json",
    ]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let o = run(&["stress", VAST, "--level", "50"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("looks like a percentage: write 0.5"));
    let o = run(&["stress", VAST, "--by", "gpu"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `gpus`?"));
}

#[test]
fn old_spellings_work_with_a_deprecation_warning() {
    let dir = scratch("deprecated");
    let out = dir.join("r");
    let o = run(&["report", VAST, "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(out.join("report.json").exists());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--out DIR is deprecated: use --out-dir DIR"),
        "{err}"
    );
    // A deprecation is a warning: -q silences notes, not warnings.
    let o = run(&["-q", "report", VAST, "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: --out DIR is deprecated"));
    let o = run(&["-q", "report", VAST, "--out-dir", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A file is never taken for a directory: report has no -o.
    let o = run(&["report", VAST, "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn colour_follows_color_and_no_color() {
    let bold = "\x1b[1m";
    let piped = run(&["audit", VAST, "--no-stress"]);
    assert!(!String::from_utf8_lossy(&piped.stdout).contains(bold));
    let forced = run(&["--color", "always", "audit", VAST, "--no-stress"]);
    assert!(String::from_utf8_lossy(&forced.stdout).contains(bold));
    let never = run(&["audit", VAST, "--no-stress", "--color", "never"]);
    assert_eq!(never.stdout, piped.stdout);
    // NO_COLOR only changes `auto`: an explicit `always` still colours.
    let o = bin()
        .env("NO_COLOR", "1")
        .args(["--color", "always", "audit", VAST, "--no-stress"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains(bold));
}

#[test]
fn compare_reads_stored_snapshots() {
    let dir = scratch("compare");
    let store = store(&dir);
    let o = run(&[
        "compare",
        COSMOSHUB,
        "--snapshot",
        "latest:osmosis-1",
        "--store",
        &store,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sides = v["snapshots"].as_array().unwrap();
    assert_eq!(sides.len(), 2);
    assert_eq!(sides[1]["network"], "osmosis-1");
    assert!(sides[1]["location"].as_str().unwrap().starts_with("store:"));
    let o = run(&["compare", COSMOSHUB]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("two or more snapshots"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_checks_places_the_stress_test_on_claimed_supply() {
    // The fixture's error-level findings remove GPUs from passing supply,
    // so with the checks off the baseline has more GPUs to place on.
    let fixture = "tests/fixtures/akash_console_supply_checks.json";
    let gpus = |extra: &[&str]| {
        let mut a = vec!["stress", fixture, "--only", "baseline", "--format", "json"];
        a.extend_from_slice(extra);
        let o = run(&a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["snapshots"][0].to_string()
    };
    assert_ne!(gpus(&[]), gpus(&["--no-checks"]));
}

#[test]
fn verify_prints_its_outcome_in_every_format() {
    let dir = scratch("verify");
    let out = dir.join("r");
    let o = run(&["-q", "report", VAST, "--out-dir", out.to_str().unwrap()]);
    assert!(o.status.success());
    let report = out.join("report.json");
    let report = report.to_str().unwrap();
    let o = run(&["verify", report, "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["differences"].as_array().unwrap().len(), 0);
    // An altered file: exit 1 in every format, the problem listed as data.
    std::fs::write(out.join("resilience.csv"), "altered\n").unwrap();
    for format in ["json", "csv", "md"] {
        let o = run(&["verify", report, "--format", format]);
        assert_eq!(o.status.code(), Some(1), "{format}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("resilience.csv: altered"),
            "{format}"
        );
    }
    let o = run(&["verify", report]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("resilience.csv: altered"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reading_a_missing_store_is_an_error_and_creates_nothing() {
    let dir = scratch("nostore");
    let missing = dir.join("typo.sqlite");
    let m = missing.to_str().unwrap();
    for args in [
        vec!["snapshots", "--store", m, "list"],
        vec!["snapshots", "--store", m, "check"],
        vec!["history", "osmosis-1", "--store", m],
        vec!["audit", "--snapshot", "1", "--store", m],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("no snapshot store there"));
        assert!(!missing.exists(), "{args:?} created the store");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dash_as_output_is_standard_output() {
    let a = run(&["audit", VAST, "--no-stress", "--format", "json", "-o", "-"]);
    let b = run(&["audit", VAST, "--no-stress", "--format", "json"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
}

#[test]
fn taken_at_is_stored_as_a_full_timestamp_and_overriding_a_file_date_warns() {
    let dir = scratch("takenat");
    let store = dir.join("s.sqlite").display().to_string();
    let subnets = "data/bittensor/subnet_emissions_2025/emissions_20250914.json";
    let o = run(&[
        "snapshots",
        "--store",
        &store,
        "import",
        "--taken-at",
        "2025-09-01",
        subnets,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("the file says it was taken at 2025-09-14T16:53:21.163147+00:00; --taken-at 2025-09-01T00:00:00Z replaces that")
    );
    let o = run(&["snapshots", "--store", &store, "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["taken_at"], "2025-09-01T00:00:00Z");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn claims_take_fractions_for_their_bounds() {
    let dir = scratch("claims");
    let claims = dir.join("c.toml");
    let write = |max: &str| {
        std::fs::write(
            &claims,
            format!(
                "[[claim]]\ntext = \"x\"\nmetric = \"max_share\"\ndimension = \"provider\"\nweight = \"gpus\"\nmax = {max}\nmin_coverage = \"1/2\"\n"
            ),
        )
        .unwrap();
        run(&[
            "check",
            "--claims",
            claims.to_str().unwrap(),
            VAST,
            "--format",
            "json",
        ])
    };
    let fraction = write("\"1/3\"");
    assert!(
        fraction.status.success(),
        "{}",
        String::from_utf8_lossy(&fraction.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&fraction.stdout).unwrap();
    let margin = v[0]["margin"].as_f64().unwrap();
    assert!(
        (margin - (1.0 / 3.0 - 1.0 / 15.0)).abs() < 1e-12,
        "{margin}"
    );
    let bad = write("\"a/3\"");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("line 6, in the claim at line 1: field `max`")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn names_get_suggestions_and_lists_honour_format() {
    let o = run(&["audit", VAST, "--profile", "akas"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `akash`?"));
    let o = run(&["verify-supply", "--list-rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "duplicate-ip")
    );
    let o = run(&[
        "entities",
        VAST,
        "--explain",
        "machine:43988",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // A negative number in CSV stays a number (no formula guard).
    let o = run(&[
        "verify-supply",
        "tests/fixtures/akash_console_supply_checks.json",
        "--format",
        "csv",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(",-2,") && !text.contains("'-2"), "{text}");
}

#[test]
fn history_takes_the_audit_options_and_agrees_with_audit() {
    let dir = scratch("history");
    let store = dir.join("s.sqlite").display().to_string();
    let fixture = "tests/fixtures/akash_console_supply_checks.json";
    let o = run(&["-q", "snapshots", "--store", &store, "import", fixture]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let network = {
        let o = run(&["snapshots", "--store", &store, "list", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v[0]["network"].as_str().unwrap().to_string()
    };
    for options in [
        vec![],
        vec!["--min-confidence", "on-chain"],
        vec!["--no-checks"],
    ] {
        let mut h = vec![
            "history",
            &network,
            "--store",
            &store,
            "--metric",
            "operators,supply_errors",
        ];
        h.extend(["--format", "json"]);
        h.extend(options.iter().copied());
        let o = run(&h);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let history: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let text = history.to_string();
        let mut a = vec!["audit", fixture, "--no-stress", "--format", "json"];
        a.extend(options.iter().copied());
        let audit: serde_json::Value = serde_json::from_slice(&run(&a).stdout).unwrap();
        let operators = audit["snapshots"][0]["operators"].as_u64().unwrap();
        assert!(
            text.contains(&format!("\"operators\":{operators}")),
            "{options:?}: audit has {operators} operators, history {text}"
        );
    }
    let o = run(&["history", &network, "--store", &store, "--geoip", "x.mmdb"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
