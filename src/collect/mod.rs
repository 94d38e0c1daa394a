//! Live collectors: fetch today's network from public endpoints into a
//! snapshot, with a completeness record and every raw response kept.
//!
//! Each collector fetches (all pages), merges the items into one document
//! in a format an offline adapter reads, and reads the snapshot from that
//! document with the adapter. The merged document and every response body
//! are archived by sha256, so any report can be re-derived from exactly what
//! the endpoints said (`rackaudit audit` on the exported document gives the
//! same snapshot).

pub mod bittensor;
pub mod http;
mod pages;

use crate::error::{Error, Result};
use crate::model::{ArchivedResponse, Collection, Snapshot};
use http::{Client, HttpOptions, RawResponse};
use serde_json::Value;

/// What to collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Network {
    /// Akash console API `/v1/providers` (+ `/v1/gpu-prices`, archived).
    Akash,
    /// Akash chain REST `/akash/provider/v1beta3/providers`, all pages.
    AkashChain,
    /// Any Cosmos-SDK chain REST `/cosmos/staking/v1beta1/validators`.
    Cosmos,
    /// A Bittensor subnet's metagraph over JSON-RPC (`--netuid`).
    Bittensor,
}

impl Network {
    pub fn name(self) -> &'static str {
        match self {
            Network::Akash => "akash",
            Network::AkashChain => "akash-chain",
            Network::Cosmos => "cosmos",
            Network::Bittensor => "bittensor",
        }
    }

    /// Public endpoint used when none is given (`None`: one must be given).
    pub fn default_endpoint(self) -> Option<&'static str> {
        match self {
            Network::Akash => Some("https://console-api.akash.network"),
            Network::AkashChain => Some("https://api.akashnet.net"),
            Network::Cosmos => None,
            Network::Bittensor => Some("https://entrypoint-finney.opentensor.ai"),
        }
    }
}

/// Options of one collection.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub endpoint: String,
    pub http: HttpOptions,
    /// Items per page.
    pub page_size: u32,
    /// Save an incomplete collection (marked so) instead of failing.
    pub allow_incomplete: bool,
    /// Bittensor subnet.
    pub netuid: u16,
}

/// A finished collection: the snapshot, the merged document it was read
/// from, and every raw response.
#[derive(Debug, Clone)]
pub struct Collected {
    pub snapshot: Snapshot,
    pub document: Vec<u8>,
    pub responses: Vec<RawResponse>,
}

/// What the fetching stage hands to [`finish`].
struct Fetched {
    document: Value,
    adapter: &'static str,
    pages: u64,
    expected: Option<u64>,
    received: u64,
    duplicates: u64,
    problems: Vec<String>,
    /// Network name to set when the adapter cannot know it (chain id).
    network: Option<String>,
    /// The parts of a collection made of several (every subnet).
    parts: Vec<crate::model::CollectedPart>,
}

/// Runs one collection. `progress` receives short status lines.
pub fn collect(
    network: Network,
    opts: &CollectOptions,
    progress: Option<http::Progress>,
) -> Result<Collected> {
    let started_at = crate::time::generated_at();
    let mut client = Client::new(opts.http.clone());
    client.on_wait = progress;
    let base = opts.endpoint.trim_end_matches('/');
    let fetched = match network {
        Network::Akash => akash_console(&mut client, base),
        Network::AkashChain => pages::all(
            &mut client,
            &format!("{base}/akash/provider/v1beta3/providers"),
            "providers",
            "owner",
            opts.page_size,
        )
        .map(|p| p.into_fetched("akash-chain", None)),
        Network::Cosmos => cosmos(&mut client, base, opts.page_size),
        Network::Bittensor => bittensor::fetch(&mut client, base, opts.netuid),
    };
    let fetched = fetched?;
    finish(
        network,
        opts,
        &client.retried,
        client.responses,
        fetched,
        started_at,
    )
}

/// `collect bittensor --all-subnets`: the network-wide snapshot first, then
/// one snapshot per subnet that decoded. A subnet that failed makes the
/// network-wide collection incomplete: refused unless `allow_incomplete`.
/// Every response is archived with the network-wide snapshot; each subnet's
/// snapshot keeps its own merged document.
pub fn collect_all_subnets(
    opts: &CollectOptions,
    progress: Option<http::Progress>,
) -> Result<Vec<Collected>> {
    let started_at = crate::time::generated_at();
    let mut client = Client::new(opts.http.clone());
    client.on_wait = progress;
    let base = opts.endpoint.trim_end_matches('/');
    let all = bittensor::fetch_all(&mut client, base)?;
    let network = Network::Bittensor;
    let mut out = vec![finish(
        network,
        opts,
        &client.retried,
        client.responses,
        all.network_wide,
        started_at.clone(),
    )?];
    for subnet in all.subnets {
        out.push(finish(
            network,
            opts,
            &[],
            Vec::new(),
            subnet,
            started_at.clone(),
        )?);
    }
    Ok(out)
}

fn finish(
    network: Network,
    opts: &CollectOptions,
    retried: &[String],
    responses: Vec<RawResponse>,
    f: Fetched,
    started_at: String,
) -> Result<Collected> {
    let complete = f.problems.is_empty() && f.expected.is_none_or(|e| e == f.received);
    let mut problems = f.problems;
    if let Some(e) = f.expected.filter(|e| *e != f.received) {
        problems.push(format!(
            "the endpoint reported {e} items but {} distinct ones were received",
            f.received
        ));
    }
    if !complete && !opts.allow_incomplete {
        return Err(Error::network(
            &opts.endpoint,
            format!("the collection is incomplete: {}", problems.join("; ")),
        )
        .with_hint("retry later, or pass --allow-incomplete to save it marked incomplete"));
    }
    let document = serde_json::to_vec_pretty(&f.document).expect("documents serialize");
    let location = format!("{} ({})", opts.endpoint, network.name());
    let mut snapshot = crate::sources::read(
        &crate::sources::Input {
            location: &location,
            bytes: &document,
        },
        Some(f.adapter),
    )?;
    if let Some(n) = f.network {
        snapshot.network = n;
    }
    let finished_at = crate::time::generated_at();
    snapshot.taken_at.get_or_insert_with(|| finished_at.clone());
    if !complete {
        snapshot.source.note = Some(format!("INCOMPLETE collection: {}", problems.join("; ")));
    }
    let mut errors = retried.to_vec();
    errors.extend(problems);
    snapshot.collection = Some(Collection {
        collector: network.name().into(),
        endpoint: opts.endpoint.clone(),
        started_at,
        finished_at,
        complete,
        pages_fetched: f.pages,
        items_expected: f.expected,
        items_received: f.received,
        duplicates_dropped: f.duplicates,
        errors,
        responses: responses
            .iter()
            .map(|r| ArchivedResponse {
                url: r.url.clone(),
                status: r.status,
                sha256: r.sha256.clone(),
            })
            .collect(),
        document_sha256: crate::sources::sha256_hex(&document),
        enrichment: Vec::new(),
        parts: f.parts,
    });
    Ok(Collected {
        snapshot,
        document,
        responses,
    })
}

fn akash_console(client: &mut Client, base: &str) -> Result<Fetched> {
    let providers = client.get_json(&format!("{base}/v1/providers"))?;
    let list = providers
        .as_array()
        .or_else(|| providers.get("providers").and_then(Value::as_array))
        .ok_or_else(|| {
            Error::network(
                &format!("{base}/v1/providers"),
                "the answer is not a list of providers",
            )
        })?;
    let (items, duplicates) = pages::dedup(list.clone(), "owner");
    // Prices are archived with the providers; the snapshot does not use them.
    let _ = client.get_optional_json(&format!("{base}/v1/gpu-prices"))?;
    Ok(Fetched {
        received: items.len() as u64,
        document: Value::Array(items),
        adapter: "akash-console",
        pages: 1,
        expected: None,
        duplicates,
        problems: Vec::new(),
        network: None,
        parts: Vec::new(),
    })
}

fn cosmos(client: &mut Client, base: &str, page_size: u32) -> Result<Fetched> {
    let info =
        client.get_optional_json(&format!("{base}/cosmos/base/tendermint/v1beta1/node_info"))?;
    let chain_id = info
        .as_ref()
        .and_then(|i| i["default_node_info"]["network"].as_str())
        .map(str::to_string);
    let p = pages::all(
        client,
        &format!("{base}/cosmos/staking/v1beta1/validators"),
        "validators",
        "operator_address",
        page_size,
    )?;
    let mut f = p.into_fetched("cosmos", chain_id.clone());
    if let Some(id) = chain_id {
        f.document["header"] = serde_json::json!({ "chain_id": id });
    }
    Ok(f)
}
