//! End-to-end tests of reward-flow exports (hand-made rows in the real
//! Etherscan and Solscan layouts, see tests/fixtures/PROVENANCE.md).

use serde_json::Value;
mod common;
use common::{data, scratch};
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .output()
        .unwrap()
}

const DISTRIBUTOR: &str = "0xd15tr1but0r000000000000000000000000000001";

#[test]
fn combined_etherscan_exports_are_deduplicated_filtered_and_audited() {
    let dir = scratch("combined");
    let snap = dir.join("rewards.snapshot.json");
    let o = run(&[
        "rewards",
        &fixture("etherscan_token_new.csv"),
        &fixture("etherscan_token_old_overlap.csv"),
        &fixture("etherscan_address_erc20.csv"),
        "--profile",
        "render-ethereum",
        "--distributor",
        DISTRIBUTOR,
        "--json",
        "--snapshot-out",
        snap.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let a: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(a["transfers_read"], 9);
    assert_eq!(
        a["duplicates_removed"], 1,
        "0xaaa4 is in both token exports"
    );
    assert_eq!(a["mints_and_burns_removed"], 1);
    assert_eq!(a["other_tokens"], 1, "the USDT row");
    assert_eq!(a["not_from_distributors"], 1);
    assert_eq!(a["recipients"], 4);
    assert_eq!(
        a["total_rewards"], 3300.75,
        "1,000 + 250.5 + 500 + 1,250.25 + 300"
    );
    assert_eq!(a["files"][1]["truncated_last_line"], true);
    assert_eq!(
        a["gaps"].as_array().unwrap().len(),
        1,
        "February to April is not covered"
    );
    let jan = &a["periods"][0];
    assert_eq!(
        (
            jan["month"].as_str(),
            jan["recipients"].as_u64(),
            jan["claimants_reported"].as_u64()
        ),
        (Some("2024-01"), Some(2), Some(2145))
    );
    // The recipients snapshot works with every other command.
    let o = run(&["audit", snap.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v["snapshots"][0];
    assert_eq!(s["headline"]["primary_weight"], "emission");
    assert_eq!(s["providers"], 4);
}

#[test]
fn solscan_exports_use_raw_amounts_and_decimals() {
    let o = run(&[
        "rewards",
        &fixture("solscan_current.csv"),
        &fixture("solscan_multiplier.csv"),
        "--profile",
        "render-solana",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let a: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(a["duplicates_removed"], 1, "5sigB in both files");
    assert_eq!(a["mints_and_burns_removed"], 1, "the BURN row");
    assert_eq!(a["recipients"], 3);
    let total = a["total_rewards"].as_f64().unwrap();
    assert!((total - (20.48267794 + 1.0 + 3.0)).abs() < 1e-9, "{total}");
    assert_eq!(a["periods"].as_array().unwrap().len(), 2);
    assert_eq!(
        a["periods"][0]["claimants_reported"], 205,
        "2024-12 per the 1kx aggregate"
    );
}

#[test]
fn unknown_layouts_and_bad_amounts_are_refused() {
    let dir = scratch("bad");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "a,b,c\n1,2,3\n").unwrap();
    let o = run(&[
        "rewards",
        bad.to_str().unwrap(),
        "--profile",
        "render-solana",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a known transfer export"));
    std::fs::write(&bad, "Signature,Block Time,Human Time,Action,From,To,Amount,Flow,Value,Decimals,Token Address\nx,1,t,TRANSFER,a,b,-5,in,1,8,tok\nx,1,t,TRANSFER,a,b,5,in,1,8,tok\n").unwrap();
    let o = run(&[
        "rewards",
        bad.to_str().unwrap(),
        "--profile",
        "render-solana",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 2: field `amount`"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&[
        "rewards",
        bad.to_str().unwrap(),
        "--profile",
        "no-such-profile",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

fn fixture(name: &str) -> String {
    data(&format!("tests/fixtures/rewards/{name}"))
}
