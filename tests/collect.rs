//! Collectors against an in-process HTTP server (all offline): complete
//! collections, every injected fault, the snapshot store, and a writer
//! killed mid-transaction.
//!
//! Responses are hand-made in the exact shapes of the real endpoints
//! (Cosmos SDK `/cosmos/staking/v1beta1/validators` with `pagination`,
//! `/cosmos/base/tendermint/v1beta1/node_info`, Akash console
//! `/v1/providers`, Substrate JSON-RPC `state_call`); none is real data.

mod common;
use common::http::{Reply, Script, serve};
use common::{data, scratch};
use serde_json::{Value, json};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rackaudit"))
        .args(args)
        .env_remove("RACKAUDIT_STORE")
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn validator(n: usize) -> Value {
    json!({
        "operator_address": format!("cosmosvaloper1handmade{n:04}"),
        "jailed": false,
        "status": "BOND_STATUS_BONDED",
        "tokens": format!("{}", 1000 * (n + 1)),
        "delegator_shares": "1000.0",
        "description": {"moniker": format!("validator {n}"), "identity": "", "website": "", "security_contact": "", "details": ""}
    })
}

fn page(items: &[usize], next: Option<&str>, total: usize) -> Reply {
    let body = json!({
        "validators": items.iter().map(|n| validator(*n)).collect::<Vec<_>>(),
        "pagination": {"next_key": next, "total": total.to_string()}
    });
    Reply::json(&body.to_string())
}

const FIRST: &str =
    "/cosmos/staking/v1beta1/validators?pagination.limit=2&pagination.count_total=true";
/// The second page's key is base64 with `+/=`, percent-encoded by the client.
const KEY: &str = "FPr/+z==";
const SECOND: &str = "/cosmos/staking/v1beta1/validators?pagination.limit=2&pagination.count_total=true&pagination.key=FPr%2F%2Bz%3D%3D";
const NODE_INFO: &str = "/cosmos/base/tendermint/v1beta1/node_info";

fn cosmos_script(first: Vec<Reply>, second: Vec<Reply>) -> Script {
    let mut s = Script::new();
    s.insert(
        NODE_INFO.into(),
        vec![Reply::json(
            r#"{"default_node_info": {"network": "handmade-1"}}"#,
        )],
    );
    s.insert(FIRST.into(), first);
    s.insert(SECOND.into(), second);
    s
}

/// `collect cosmos` against the server with fast retries; returns the
/// output and the store path.
fn collect_cosmos(script: Script, extra: &[&str], name: &str) -> (Output, String) {
    let server = serve(script);
    let dir = scratch(name);
    let store = dir.join("store.sqlite").display().to_string();
    let mut args = vec![
        "collect",
        "cosmos",
        "--endpoint",
        &server.base,
        "--store",
        &store,
        "--page-size",
        "2",
        "--backoff-ms",
        "20",
        "--rps",
        "0",
    ];
    args.extend_from_slice(extra);
    (run(&args), store)
}

fn stored(store: &str) -> Vec<Value> {
    // A collection that failed before storing anything never created the
    // store (reading a missing store is an error, not an empty list).
    if !std::path::Path::new(store).exists() {
        return Vec::new();
    }
    let o = run(&["snapshots", "--store", store, "list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// `audit --store STORE --snapshot latest --format json`.
fn audit_latest(store: &str) -> Output {
    run(&[
        "audit",
        "--store",
        store,
        "--snapshot",
        "latest",
        "--format",
        "json",
    ])
}

fn export(store: &str, which: &str) -> Value {
    let o = run(&["snapshots", "--store", store, "export", which]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn paginated_cosmos_collection_is_complete_stored_and_reproducible() {
    let (o, store) = collect_cosmos(
        cosmos_script(vec![page(&[0, 1], Some(KEY), 3)], vec![page(&[2], None, 3)]),
        &[],
        "cosmos-ok",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = stored(&store);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["network"], "handmade-1");
    assert_eq!(rows[0]["complete"], true);
    let s = export(&store, "latest");
    let c = &s["collection"];
    assert_eq!(c["pages_fetched"], 2);
    assert_eq!(c["items_expected"], 3);
    assert_eq!(c["items_received"], 3);
    assert_eq!(c["responses"].as_array().unwrap().len(), 3);
    assert_eq!(s["providers"].as_array().unwrap().len(), 3);
    // The archived merged document re-derives the same snapshot offline.
    let raw = scratch("cosmos-ok-raw");
    let o = run(&[
        "snapshots",
        "--store",
        &store,
        "export",
        "1",
        "--raw",
        raw.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = raw.join(format!("{}.json", c["document_sha256"].as_str().unwrap()));
    let o = run(&["snapshot", doc.to_str().unwrap()]);
    let offline: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(offline["providers"], s["providers"]);
    assert_eq!(offline["network"], "handmade-1");
    assert_eq!(offline["input_sha256"], s["input_sha256"]);
    for r in c["responses"].as_array().unwrap() {
        let body =
            std::fs::read(raw.join(format!("{}.json", r["sha256"].as_str().unwrap()))).unwrap();
        assert_eq!(
            rackaudit::sources::sha256_hex(&body),
            r["sha256"].as_str().unwrap()
        );
    }
    // Audit straight from the store.
    let o = audit_latest(&store);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn transient_faults_are_retried_into_a_complete_snapshot() {
    let faults: Vec<(&str, Reply)> = vec![
        ("500", Reply::status(500)),
        ("503", Reply::status(503)),
        (
            "truncated",
            Reply::Truncated(br#"{"validators": [{"oper"#.to_vec()),
        ),
        ("invalid-json", Reply::json("{\"validators\": [}")),
        (
            "slow",
            Reply::Slow(Duration::from_millis(1500), Box::new(page(&[2], None, 3))),
        ),
    ];
    for (name, fault) in faults {
        let (o, store) = collect_cosmos(
            cosmos_script(
                vec![page(&[0, 1], Some(KEY), 3)],
                vec![fault, page(&[2], None, 3)],
            ),
            &["--timeout", "0.5"],
            &format!("fault-{name}"),
        );
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let s = export(&store, "latest");
        let c = &s["collection"];
        assert_eq!(c["complete"], true, "{name}");
        assert_eq!(c["items_received"], 3, "{name}");
        let errors = c["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
    }
}

#[test]
fn rate_limited_requests_honour_retry_after() {
    let start = Instant::now();
    let (o, store) = collect_cosmos(
        cosmos_script(
            vec![Reply::too_many(1), page(&[0, 1], Some(KEY), 3)],
            vec![page(&[2], None, 3)],
        ),
        &[],
        "retry-after",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited per Retry-After"
    );
    let s = export(&store, "latest");
    assert!(
        s["collection"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("HTTP 429")
    );
}

#[test]
fn persistent_failures_fail_loudly_with_exit_code_3() {
    let cases: Vec<(&str, Script, &str)> = vec![
        (
            "always-500",
            cosmos_script(vec![Reply::status(500)], vec![]),
            "HTTP 500",
        ),
        (
            "bad-json",
            cosmos_script(vec![Reply::json("not json")], vec![]),
            "not valid JSON",
        ),
        (
            "later-page-fails",
            cosmos_script(vec![page(&[0, 1], Some(KEY), 3)], vec![Reply::status(502)]),
            "incomplete",
        ),
        (
            "repeated-key",
            cosmos_script(
                vec![page(&[0, 1], Some(KEY), 3)],
                vec![page(&[2], Some(KEY), 3)],
            ),
            "repeated pagination key",
        ),
        (
            "short-total",
            cosmos_script(vec![page(&[0, 1], Some(KEY), 4)], vec![page(&[1], None, 4)]),
            "reported 4 items but 2 distinct",
        ),
    ];
    for (name, script, why) in cases {
        let (o, store) = collect_cosmos(script, &["--retries", "2"], name);
        assert_eq!(o.status.code(), Some(3), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{name}: {}", stderr(&o));
        assert!(stored(&store).is_empty(), "{name}: nothing stored");
    }
}

#[test]
fn incomplete_collections_are_saved_only_when_allowed_and_marked() {
    let (o, store) = collect_cosmos(
        cosmos_script(
            vec![page(&[0, 1], Some(KEY), 3)],
            vec![page(&[1], Some(KEY), 3)],
        ),
        &["--allow-incomplete"],
        "allowed-incomplete",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("INCOMPLETE"), "{}", stderr(&o));
    let rows = stored(&store);
    assert_eq!(rows[0]["complete"], false);
    let s = export(&store, "latest");
    let c = &s["collection"];
    assert_eq!(c["duplicates_dropped"], 1);
    assert_eq!(c["items_received"], 2);
    assert!(
        s["source"]["note"]
            .as_str()
            .unwrap()
            .starts_with("INCOMPLETE")
    );
}

#[test]
fn duplicate_items_are_dropped_and_counted() {
    let (o, store) = collect_cosmos(
        cosmos_script(
            vec![page(&[0, 1], Some(KEY), 3)],
            vec![page(&[1, 2], None, 3)],
        ),
        &[],
        "duplicates",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s = export(&store, "latest");
    assert_eq!(s["collection"]["duplicates_dropped"], 1);
    assert_eq!(s["collection"]["complete"], true);
    assert_eq!(s["providers"].as_array().unwrap().len(), 3);
}

#[test]
fn oversized_bodies_are_refused() {
    let big = format!(
        "{{\"validators\": [], \"pad\": \"{}\"}}",
        "x".repeat(2 << 20)
    );
    let (o, _) = collect_cosmos(
        cosmos_script(vec![Reply::json(&big)], vec![]),
        &["--max-body-mb", "1"],
        "oversized",
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("exceeds the limit"), "{}", stderr(&o));
}

#[test]
fn akash_console_collection_reads_the_provider_list() {
    let body =
        std::fs::read_to_string(data("tests/fixtures/akash_console_providers.json")).unwrap();
    let mut script = Script::new();
    script.insert("/v1/providers".into(), vec![Reply::json(&body)]);
    // /v1/gpu-prices is absent (404): optional.
    let server = serve(script);
    let dir = scratch("akash-collect");
    let out = dir.join("akash.json");
    let o = run(&[
        "collect",
        "akash",
        "--endpoint",
        &server.base,
        "--no-store",
        "-o",
        out.to_str().unwrap(),
        "--rps",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let expected: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        s["providers"].as_array().unwrap().len(),
        expected.as_array().unwrap().len()
    );
    assert_eq!(s["collection"]["complete"], true);
    let raw = std::fs::read_dir(dir.join("akash.json.raw"))
        .unwrap()
        .count();
    assert_eq!(raw, 2, "merged document + /v1/providers");
    // The snapshot file audits like any other input.
    let o = run(&["audit", out.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A hand-made neuron as the runtime API encodes it.
fn neuron(
    uid: u16,
    hot: u8,
    cold: u8,
    rao: u64,
    ip: [u8; 4],
) -> rackaudit::collect::bittensor::NeuronInfoLite {
    use parity_scale_codec::Compact;
    use rackaudit::collect::bittensor::{AxonInfo, NeuronInfoLite, PrometheusInfo};
    NeuronInfoLite {
        hotkey: [hot; 32],
        coldkey: [cold; 32],
        uid: Compact(uid),
        netuid: Compact(7),
        active: true,
        axon_info: AxonInfo {
            ip: u128::from(u32::from(std::net::Ipv4Addr::from(ip))),
            ip_type: 4,
            port: 8091,
            ..AxonInfo::default()
        },
        prometheus_info: PrometheusInfo::default(),
        stake: vec![([cold; 32], Compact(rao))],
        rank: Compact(0),
        emission: Compact(1_000_000_000),
        incentive: Compact(32768),
        consensus: Compact(0),
        trust: Compact(0),
        validator_trust: Compact(0),
        dividends: Compact(0),
        last_update: Compact(5),
        validator_permit: uid == 0,
        pruning_score: Compact(0),
    }
}

/// `collect bittensor` against `base`, no rate limit, fast retries.
fn collect_bittensor(base: &str, extra: &[&str]) -> Output {
    let endpoint = format!("{base}/");
    let mut args = vec![
        "collect",
        "bittensor",
        "--endpoint",
        &endpoint,
        "--rps",
        "0",
        "--backoff-ms",
        "10",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn rpc_answer(neurons: &[rackaudit::collect::bittensor::NeuronInfoLite]) -> Reply {
    let answer = json!({"jsonrpc": "2.0", "id": 1,
        "result": rackaudit::collect::bittensor::encode_neurons(neurons)});
    Reply::json(&answer.to_string())
}

#[test]
fn bittensor_metagraph_over_json_rpc() {
    let ip = [198, 51, 100, 3];
    let neurons = [
        neuron(0, 1, 9, 6_000_000_000, ip),
        neuron(1, 2, 9, 3_000_000_000, ip),
        neuron(2, 3, 8, 1_000_000_000, ip),
    ];
    let mut script = Script::new();
    script.insert(
        "POST /".into(),
        vec![Reply::status(503), rpc_answer(&neurons)],
    );
    let server = serve(script);
    let dir = scratch("bittensor-collect");
    let store = dir.join("s.sqlite").display().to_string();
    let o = collect_bittensor(&server.base, &["--netuid", "7", "--store", &store]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = export(&store, "latest:bittensor-subnet-7");
    assert_eq!(s["providers"].as_array().unwrap().len(), 3);
    let first = &s["providers"][0];
    assert_eq!(first["stake"], 6.0);
    assert_eq!(first["ip"], "198.51.100.3");
    // Two hotkeys share one coldkey: one operator holds 90% of stake.
    let a = audit_latest(&store);
    let a: Value = serde_json::from_slice(&a.stdout).unwrap();
    let op = a["snapshots"][0]["headline"]["operator"]["max_share"]
        .as_f64()
        .unwrap();
    assert!((op - 0.9).abs() < 1e-9, "{op}");
    // A result that does not decode is a clear network-side error.
    let mut script = Script::new();
    script.insert(
        "POST /".into(),
        vec![Reply::json(
            r#"{"jsonrpc": "2.0", "id": 1, "result": "0x0400"}"#,
        )],
    );
    let server = serve(script);
    let o = collect_bittensor(
        &server.base,
        &["--no-store", "-o", dir.join("x.json").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("NeuronInfoLite"), "{}", stderr(&o));
    // A neuron of another subnet makes the collection incomplete: refused,
    // or saved marked incomplete with --allow-incomplete.
    let mut stray = neurons.clone();
    stray[2].netuid = parity_scale_codec::Compact(8);
    for (extra, code) in [(None, Some(3)), (Some("--allow-incomplete"), Some(0))] {
        let mut script = Script::new();
        script.insert("POST /".into(), vec![rpc_answer(&stray)]);
        let server = serve(script);
        let mut args = vec!["--netuid", "7", "--store", &store];
        args.extend(extra);
        let o = collect_bittensor(&server.base, &args);
        assert_eq!(o.status.code(), code, "{}", stderr(&o));
    }
    let s = export(&store, "latest:bittensor-subnet-7");
    assert_eq!(s["collection"]["complete"], false);
    assert!(
        s["collection"]["errors"]
            .to_string()
            .contains("neuron uid 2 belongs to subnet 8, not 7"),
        "{}",
        s["collection"]
    );
}

/// A subnet's `DynamicInfo` as the runtime encodes it (subtensor 14bc6f9f).
fn dynamic_info(netuid: u16, tempo: u16) -> rackaudit::collect::bittensor::DynamicInfo {
    use parity_scale_codec::Compact;
    rackaudit::collect::bittensor::DynamicInfo {
        netuid: Compact(netuid),
        owner_hotkey: [netuid as u8; 32],
        owner_coldkey: [netuid as u8; 32],
        subnet_name: b"sn".iter().map(|b| Compact(*b)).collect(),
        token_symbol: vec![Compact(0xce), Compact(0xb1)],
        tempo: Compact(tempo),
        last_step: Compact(1),
        blocks_since_last_step: Compact(2),
        emission: Compact(0),
        alpha_in: Compact(5_000_000_000_000),
        alpha_out: Compact(7_000_000_000_000),
        tao_in: Compact(1_000_000_000_000),
        alpha_out_emission: Compact(1),
        alpha_in_emission: Compact(1),
        tao_in_emission: Compact(1),
        pending_alpha_emission: Compact(0),
        pending_root_emission: Compact(0),
        subnet_volume: Compact(123_456_789_000),
        network_registered_at: Compact(4_000_000),
        subnet_identity: Some(rackaudit::collect::bittensor::SubnetIdentityV3 {
            subnet_name: b"sn".to_vec(),
            ..Default::default()
        }),
        moving_price: 1 << 31,
    }
}

fn rpc_hex(hex: String) -> Reply {
    Reply::json(&json!({"jsonrpc": "2.0", "id": 1, "result": hex}).to_string())
}

/// A neuron of `netuid` emitting `emission` alpha units per epoch.
fn subnet_neuron(
    netuid: u16,
    hot: u8,
    cold: u8,
    alpha_units: u64,
    emission: u64,
) -> rackaudit::collect::bittensor::NeuronInfoLite {
    let mut n = neuron(u16::from(hot), hot, cold, alpha_units, [198, 51, 100, hot]);
    n.netuid = parity_scale_codec::Compact(netuid);
    n.emission = parity_scale_codec::Compact(emission);
    n
}

/// The answers of one `--all-subnets` run, in request order: subnet list,
/// prices, then each subnet's neurons (the last subnet's answer given).
fn all_subnets_script(last: Reply) -> Script {
    use rackaudit::collect::bittensor::{SubnetPrice, encode_answer, encode_neurons};
    let infos = vec![
        Some(dynamic_info(7, 360)),
        Some(dynamic_info(9, 360)),
        None,
        Some(dynamic_info(11, 360)),
    ];
    // 0.5 and 2 TAO per alpha; subnet 11 trades at 1.
    let prices = vec![
        SubnetPrice {
            netuid: 7,
            price: 500_000_000,
        },
        SubnetPrice {
            netuid: 9,
            price: 2_000_000_000,
        },
        SubnetPrice {
            netuid: 11,
            price: 1_000_000_000,
        },
    ];
    let mut script = Script::new();
    script.insert(
        "POST /".into(),
        vec![
            rpc_hex(encode_answer(&infos)),
            rpc_hex(encode_answer(&prices)),
            rpc_hex(encode_neurons(&[subnet_neuron(
                7,
                1,
                9,
                6_000_000_000,
                1_000_000_000,
            )])),
            rpc_hex(encode_neurons(&[
                subnet_neuron(9, 2, 9, 1_000_000_000, 1_000_000_000),
                subnet_neuron(9, 3, 8, 10_000_000_000, 500_000_000),
            ])),
            last,
        ],
    );
    script
}

#[test]
fn bittensor_all_subnets_in_alpha_and_tao_equivalents() {
    use rackaudit::collect::bittensor::encode_neurons;
    let dir = scratch("bittensor-all");
    let store = dir.join("s.sqlite").display().to_string();
    let server = serve(all_subnets_script(rpc_hex(encode_neurons(&[
        subnet_neuron(11, 4, 7, 1_000_000_000, 0),
    ]))));
    let o = collect_bittensor(&server.base, &["--all-subnets", "--store", &store]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Per subnet, alpha of that subnet; tempo 360 = 20 epochs a day.
    let sn9 = export(&store, "latest:bittensor-subnet-9");
    assert_eq!(sn9["stake_unit"], "alpha of subnet 9");
    assert_eq!(sn9["emission_unit"], "alpha of subnet 9 per day");
    let p = sn9["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["stake"] == 10.0)
        .unwrap();
    assert_eq!(p["emission"], 10.0, "0.5 alpha per epoch × 20 epochs");
    // Network-wide, by hand: coldkey 9 holds 6 × 0.5 + 1 × 2 = 5 TAO of
    // stake and emits 20 × 0.5 + 20 × 2 = 50 TAO a day; coldkey 8 holds
    // 10 × 2 = 20 and emits 10 × 2 = 20; coldkey 7 holds 1, emits 0.
    let all = export(&store, "latest:bittensor-finney");
    assert_eq!(
        all["stake_unit"],
        rackaudit::collect::bittensor::TAO_EQUIVALENT
    );
    assert_eq!(all["providers"].as_array().unwrap().len(), 4);
    let ids: Vec<&str> = all["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().split(':').next().unwrap())
        .collect();
    assert_eq!(ids, ["11", "7", "9", "9"]);
    assert!(
        all["source"]["location"]
            .as_str()
            .unwrap()
            .ends_with("(bittensor --all-subnets)"),
        "{}",
        all["source"]
    );
    let parts = all["collection"]["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3, "every subnet in the record: {parts:?}");
    assert!(all["source"]["note"].as_str().unwrap().contains(" in 2"));
    let o = run(&[
        "audit",
        "--store",
        &store,
        "--snapshot",
        "latest:bittensor-finney",
        "--format",
        "json",
        "--no-stress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a: Value = serde_json::from_slice(&o.stdout).unwrap();
    let cells = a["snapshots"][0]["concentration"].as_array().unwrap();
    let max = |weight: &str| {
        cells
            .iter()
            .find(|c| c["dimension"] == "operator" && c["weight"] == weight)
            .unwrap()["metrics"]["max_share"]
            .as_f64()
            .unwrap()
    };
    assert!((max("emission") - 50.0 / 70.0).abs() < 1e-12);
    assert!((max("stake") - 20.0 / 26.0).abs() < 1e-12);
    // A subnet whose answer does not decode: exit 3, naming it, unless
    // --allow-incomplete, which saves the record marked incomplete.
    let bad = || rpc_hex("0x0400".into());
    let server = serve(all_subnets_script(bad()));
    let o = collect_bittensor(&server.base, &["--all-subnets", "--store", &store]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("subnet 11"), "{}", stderr(&o));
    let server = serve(all_subnets_script(bad()));
    let o = collect_bittensor(
        &server.base,
        &["--all-subnets", "--allow-incomplete", "--store", &store],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let all = export(&store, "latest:bittensor-finney");
    assert_eq!(all["collection"]["complete"], false);
    let failed: Vec<&Value> = all["collection"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["complete"] == false)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["name"], "subnet 11 (sn)");
}

#[test]
fn history_derives_uptime_from_stored_observations() {
    let dir = scratch("history");
    let store = dir.join("h.sqlite").display().to_string();
    // Three collections of a chain whose validator 2 disappears once.
    for (i, items) in [vec![0, 1, 2], vec![0, 1], vec![0, 1, 2]]
        .iter()
        .enumerate()
    {
        let (o, _) = {
            let mut s = Script::new();
            s.insert(
                NODE_INFO.into(),
                vec![Reply::json(
                    r#"{"default_node_info": {"network": "handmade-1"}}"#,
                )],
            );
            s.insert(
                "/cosmos/staking/v1beta1/validators?pagination.limit=200&pagination.count_total=true".into(),
                vec![page(items, None, items.len())],
            );
            let server = serve(s);
            (
                run(&[
                    "collect",
                    "cosmos",
                    "--endpoint",
                    &server.base,
                    "--store",
                    &store,
                    "--rps",
                    "0",
                ]),
                i,
            )
        };
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run(&[
        "history",
        "handmade-1",
        "--store",
        &store,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let h: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(h["rows"].as_array().unwrap().len(), 3);
    assert_eq!(h["rows"][1]["values"]["providers"], 2.0);
    let least = &h["uptime"]["per_provider"][0];
    assert_eq!(least["provider"], "cosmosvaloper1handmade0002");
    assert_eq!(least["observations"], 3);
    assert_eq!(least["up"], 2);
    let o = run(&[
        "history",
        "handmade-1",
        "--store",
        &store,
        "--metric",
        "nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_writer_killed_mid_transaction_leaves_every_committed_snapshot_intact() {
    let dir = scratch("sigkill");
    let store = dir.join("k.sqlite").display().to_string();
    // Distinct files (the same snapshot, each with its own trailing
    // whitespace): an import of bytes already stored is skipped without a
    // transaction, and each run should be writing when it is killed.
    let body = std::fs::read(data(
        "data/bittensor/subtensor_nakamoto_snapshot_block3606775.json",
    ))
    .unwrap();
    const VARIANTS: usize = 64;
    let files: Vec<String> = (0..VARIANTS)
        .map(|i| {
            let path = dir.join(format!("s{i}.json"));
            let mut bytes = body.clone();
            bytes.extend(std::iter::repeat_n(b' ', i));
            std::fs::write(&path, bytes).unwrap();
            path.display().to_string()
        })
        .collect();
    for delay_ms in [150u64, 400, 900] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rackaudit"))
            .args(["snapshots", "--store", &store, "import"])
            .args(&files)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let o = run(&["snapshots", "--store", &store, "check"]);
        assert!(o.status.success(), "after {delay_ms} ms: {}", stderr(&o));
    }
    let rows = stored(&store);
    assert!(
        !rows.is_empty(),
        "some snapshots were committed before the kills"
    );
    assert!(rows.len() < VARIANTS, "the kills interrupted the writers");
    for r in &rows {
        let s = export(&store, &r["id"].to_string());
        assert_eq!(s["providers"].as_array().unwrap().len(), 4096);
    }
    for f in &files {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn geoip_enrichment_fills_country_and_asn_of_collected_providers() {
    use common::mmdb::{Value as M, ipv4};
    let dir = scratch("collect-geoip");
    let db = dir.join("geo.mmdb");
    std::fs::write(
        &db,
        ipv4(
            "rackaudit-test",
            &[(
                [198, 51, 100, 0],
                24,
                M::Map(vec![
                    ("country", M::Map(vec![("iso_code", M::Str("DE"))])),
                    ("autonomous_system_number", M::U32(24940)),
                ]),
            )],
        ),
    )
    .unwrap();
    let mut script = Script::new();
    script.insert(
        "POST /".into(),
        vec![rpc_answer(&[neuron(
            0,
            4,
            5,
            1_000_000_000,
            [198, 51, 100, 3],
        )])],
    );
    let server = serve(script);
    let out = dir.join("sn1.json");
    let o = collect_bittensor(
        &server.base,
        &[
            "--no-store",
            "-o",
            out.to_str().unwrap(),
            "--geoip",
            db.to_str().unwrap(),
            "--netuid",
            "7",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(s["providers"][0]["country"], "DE");
    assert_eq!(s["providers"][0]["asn"], 24940);
    assert!(
        s["collection"]["enrichment"][0]
            .as_str()
            .unwrap()
            .contains("geo.mmdb")
    );
}
