//! Unknown values are never counted as zeros: providers whose per-GPU
//! figure (FP16 throughput, memory, price) is unknown take no part in that
//! weight, unpriced GPUs earn nothing, and listings say n/a.

mod common;

use common::{data, scratch};
use serde_json::Value;
use std::process::Command;

fn json_of(args: &[&str]) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn cell<'a>(s: &'a Value, dim: &str, weight: &str) -> &'a Value {
    s["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dimension"] == dim && c["weight"] == weight)
        .unwrap()
}

#[test]
fn a_provider_without_an_fp16_figure_is_not_a_zero_in_the_fp16_gini() {
    let v = json_of(&[
        "audit",
        &data("data/akash/community_gpu_testnet_2023.generic.csv"),
        "--format",
        "json",
    ]);
    let s = &v["snapshots"][0];
    let c = cell(s, "provider", "fp16_tflops");
    // Four providers with a figure (330.3, 173.9, 130, 76.7 TFLOPS):
    // Gini = Σ(5 − 2i)x_i / (4 · 710.9) = 804.7 / 2843.6.
    assert_eq!(c["metrics"]["total_entities"], 4);
    let gini = c["metrics"]["gini"].as_f64().unwrap();
    assert!((gini - 804.7 / 2843.6).abs() < 1e-3, "{gini}");
    // 2 of the 8 GPUs (A10G) have no figure.
    assert!((c["value_coverage"].as_f64().unwrap() - 0.75).abs() < 1e-12);
}

#[test]
fn unpriced_gpus_earn_no_revenue_and_lower_the_priced_share() {
    let dir = scratch("priced");
    let path = dir.join("ord.csv");
    std::fs::write(
        &path,
        "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n\
         A,,,,,,,,nvidia,H100 SXM,4,80,,2.10,\n\
         A,,,,,,,,nvidia,H100 SXM,4,80,,1.70,\n\
         A,,,,,,,,nvidia,A100,3,80,,1.30,\n\
         C,,,,,,,,nvidia,H100 SXM,2,80,,1.1,\n\
         C,,,,,,,,nvidia,H100 SXM,6,80,,,\n\
         B,,,,,,,,nvidia,H100 SXM,4,80,,2.0,\n\
         D,,,,,,,,nvidia,H100 SXM,4,80,,,\n",
    )
    .unwrap();
    let v = json_of(&["audit", path.to_str().unwrap(), "--format", "json"]);
    let s = &v["snapshots"][0];
    let revenue = cell(s, "provider", "monthly_revenue");
    // A: (4·2.1 + 4·1.7 + 3·1.3)·730; B: 4·2·730; C: 2·1.1·730 (its other 6
    // H100 have no price); D has no price at all and is no entity.
    let a = (4.0 * 2.1 + 4.0 * 1.7 + 3.0 * 1.3) * 730.0;
    let total = a + 4.0 * 2.0 * 730.0 + 2.0 * 1.1 * 730.0;
    assert_eq!(revenue["metrics"]["total_entities"], 3);
    assert!((revenue["top"][0]["share"].as_f64().unwrap() - a / total).abs() < 1e-9);
    // 17 of 27 GPUs have a price.
    assert!((revenue["value_coverage"].as_f64().unwrap() - 17.0 / 27.0).abs() < 1e-12);
    let h100 = s["pricing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["gpu_model"] == "h100-80gb")
        .unwrap();
    assert_eq!(h100["gpus_priced"], 14);
    assert!((h100["coverage"].as_f64().unwrap() - 14.0 / 24.0).abs() < 1e-12);
    // A's H100 price is the GPU-weighted mean of its asks: 1.90.
    assert_eq!(h100["per_gpu_hour"]["n"], 3);
}

#[test]
fn the_operator_listing_says_na_for_an_unknown_weight() {
    let v = json_of(&[
        "entities",
        &data("data/akash/community_gpu_testnet_2023.generic.csv"),
        "--format",
        "json",
    ]);
    let list = v["snapshots"][0]["list"].as_array().unwrap();
    let a10g = list
        .iter()
        .find(|o| o["label"] == "akashtesting.xyz")
        .unwrap();
    assert!(a10g["weights"]["fp16_tflops"].is_null());
    assert!(a10g["shares"]["fp16_tflops"].is_null());
    let hub = json_of(&[
        "entities",
        &data("data/cosmos/cosmoshub_validators_2019.json"),
        "--format",
        "json",
    ]);
    let jailed = hub["snapshots"][0]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["providers"][0]["active_set"] == false)
        .unwrap();
    assert!(jailed["weights"]["stake"].is_null(), "{jailed}");
}

#[test]
fn an_hhi_next_to_a_band_edge_is_not_rounded_into_the_other_band() {
    // Shares 30%, 20% and five of 10%: HHI 900 + 400 + 500 = 1800 exactly,
    // moderately concentrated (highly is above 1,800).
    let dir = scratch("hhi-edge");
    let header = "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake";
    let exact = dir.join("exact.csv");
    let rows: Vec<String> = [3, 2, 1, 1, 1, 1, 1]
        .iter()
        .enumerate()
        .map(|(i, n)| format!("p{i},,,,,,,,nvidia,H100 SXM,{n},80,,,"))
        .collect();
    std::fs::write(&exact, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(["audit", exact.to_str().unwrap()])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("1800 (moderate)"), "{t}");
}

#[test]
fn zero_of_zero_is_no_share_and_fully_unknown_is_one() {
    let dir = scratch("empty");
    let empty = dir.join("empty.csv");
    std::fs::write(
        &empty,
        "provider_id,operator,name,country,region,asn,cloud,datacenter,gpu_vendor,gpu_model,gpu_count,gpu_memory_gb,uptime,price_per_gpu_hour,stake\n",
    )
    .unwrap();
    let claims = dir.join("c.toml");
    std::fs::write(
        &claims,
        "[[claim]]\ntext = \"unknown cloud\"\nmetric = \"unknown_cloud_share\"\nmax = 0.5\n\n[[claim]]\ntext = \"country unattributed\"\nmetric = \"unattributed_share\"\ndimension = \"country\"\nweight = \"gpus\"\nmax = 0.5\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(["check", "--claims", claims.to_str().unwrap(), "--json"])
        .arg(&empty)
        .arg(data("data/akash/community_gpu_testnet_2023.generic.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // The empty file: nothing to divide, n/a, never PASS with 0.
    assert!(v[0]["measured"].is_null() && v[0]["pass"] == false, "{v}");
    assert!(v[1]["measured"].is_null());
    // No country is known for any GPU: measurable, 1.
    assert_eq!(v[3]["measured"], 1.0);
}
