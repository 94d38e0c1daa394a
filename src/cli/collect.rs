//! `rackaudit collect`: fetch today's network from a public endpoint into a
//! snapshot with a completeness record, store it (with every raw response)
//! in the snapshot store, and optionally write it to a file.
//!
//! Examples:
//!   rackaudit collect akash
//!   rackaudit collect cosmos --endpoint https://rest.cosmos.directory/osmosis
//!   rackaudit collect bittensor --netuid 1 -o sn1.json
//!   rackaudit collect bittensor --all-subnets
//!   rackaudit collect akash-chain --endpoint https://api.akashnet.net --no-store -o chain.json

use crate::collect::http::HttpOptions;
use crate::collect::{CollectOptions, Network, collect};
use crate::error::{Error, Result};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
#[command(
    after_long_help = "Examples:\n  rackaudit collect akash\n  rackaudit collect cosmos --endpoint https://rest.cosmos.directory/osmosis\n  rackaudit collect bittensor --netuid 1 -o sn1.json\n  rackaudit collect bittensor --all-subnets\n\nExit codes: 0 collected (a saved incomplete collection says so on standard\nerror); 2 usage or store error; 3 network error, or an incomplete collection\nwithout --allow-incomplete."
)]
pub struct CollectArgs {
    /// What to collect.
    #[arg(value_enum)]
    pub network: Network,
    /// Base URL of the endpoint (console API, chain REST, or JSON-RPC).
    /// Defaults: akash https://console-api.akash.network, akash-chain
    /// https://api.akashnet.net, bittensor https://entrypoint-finney.opentensor.ai;
    /// cosmos needs one.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Bittensor subnet id.
    #[arg(long, default_value_t = 1, conflicts_with = "all_subnets")]
    pub netuid: u16,
    /// Bittensor: every subnet in one run. Stores one snapshot per subnet
    /// (amounts in its alpha, emission per day) and the network-wide
    /// snapshot `bittensor-finney` (every neuron as `netuid:hotkey`,
    /// operated by its coldkey, in TAO-equivalents); -o writes the
    /// network-wide one. A subnet that fails to decode makes the collection
    /// incomplete.
    #[arg(long)]
    pub all_subnets: bool,
    /// Snapshot store (SQLite); default: $RACKAUDIT_STORE, else
    /// rackaudit.sqlite in the user's data directory.
    #[arg(long)]
    pub store: Option<String>,
    /// Do not store the snapshot (then give -o FILE).
    #[arg(long)]
    pub no_store: bool,
    /// Also write the snapshot JSON to this file (atomically); the merged
    /// document and raw responses go to FILE.raw/ as gzip files named by
    /// sha256.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The spelling of --output before 0.2 (deprecated; still works).
    #[arg(long, hide = true, value_name = "FILE", conflicts_with = "output")]
    pub out: Option<PathBuf>,
    /// Most requests per second.
    #[arg(long, default_value_t = 5.0)]
    pub rps: f64,
    /// Timeout of one request, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Retries of a failed request (timeouts, 5xx, 429, bad bodies).
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
    /// Items per page on paginated endpoints.
    #[arg(long, default_value_t = 200)]
    pub page_size: u32,
    /// Largest response body accepted, MiB.
    #[arg(long, default_value_t = 256)]
    pub max_body_mb: u64,
    /// Save an incomplete collection, marked incomplete, instead of failing.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// MaxMind DB file(s) filling missing country and ASN from provider IPs
    /// (repeatable; e.g. GeoLite2-Country.mmdb and GeoLite2-ASN.mmdb). Never
    /// downloaded.
    #[arg(long)]
    pub geoip: Vec<String>,
    /// First retry delay, milliseconds (doubles per retry, ±50% jitter).
    #[arg(long, default_value_t = 500)]
    pub backoff_ms: u64,
}

fn options(args: &CollectArgs) -> Result<CollectOptions> {
    let endpoint = match (&args.endpoint, args.network.default_endpoint()) {
        (Some(e), _) => e.clone(),
        (None, Some(d)) => d.to_string(),
        (None, None) => {
            return Err(Error::Usage(format!(
                "collect {} needs --endpoint (the chain's REST URL)",
                args.network.name()
            )));
        }
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.rps.is_finite() && args.rps >= 0.0)
    {
        return Err(Error::Usage(
            "--timeout must be positive and --rps at least 0".into(),
        ));
    }
    if args.page_size == 0 {
        return Err(Error::Usage("--page-size must be at least 1".into()));
    }
    if args.no_store && output_file(args).is_none() {
        return Err(Error::Usage("--no-store needs -o FILE".into()));
    }
    Ok(CollectOptions {
        endpoint,
        http: HttpOptions {
            timeout: Duration::from_secs_f64(args.timeout),
            retries: args.retries,
            rps: args.rps,
            max_body_bytes: args.max_body_mb.saturating_mul(1 << 20),
            backoff: Duration::from_millis(args.backoff_ms),
            ..HttpOptions::default()
        },
        page_size: args.page_size,
        allow_incomplete: args.allow_incomplete,
        netuid: args.netuid,
    })
}

/// The file `-o` (or the deprecated `--out`) names.
fn output_file(args: &CollectArgs) -> Option<&std::path::Path> {
    args.output.as_deref().or(args.out.as_deref())
}

/// Progress: a spinner on a terminal, plain lines otherwise.
fn progress() -> (
    Option<indicatif::ProgressBar>,
    crate::collect::http::Progress,
) {
    if super::term::chatty() && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        let b = bar.clone();
        (
            Some(bar),
            Box::new(move |m: &str| b.set_message(m.to_string())),
        )
    } else {
        (None, Box::new(|m: &str| super::term::note("collect", m)))
    }
}

pub fn run(args: CollectArgs) -> Result<()> {
    if args.out.is_some() {
        super::term::warn(
            "collect",
            "--out FILE is deprecated: use -o/--output FILE (--out-dir names directories)",
        );
    }
    let opts = options(&args)?;
    if !args.geoip.is_empty() {
        crate::supply::GeoIp::open(&args.geoip)?; // fail before fetching
    }
    let (bar, report) = progress();
    if let Some(b) = &bar {
        b.set_message(format!(
            "collecting {} from {}",
            args.network.name(),
            opts.endpoint
        ));
    }
    let collected = if args.all_subnets {
        if args.network != Network::Bittensor {
            return Err(Error::Usage(
                "--all-subnets applies to `collect bittensor` only".into(),
            ));
        }
        crate::collect::collect_all_subnets(&opts, Some(report))
    } else {
        collect(args.network, &opts, Some(report)).map(|c| vec![c])
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut collected = collected?;
    if !args.geoip.is_empty() {
        let db = crate::supply::GeoIp::open(&args.geoip)?;
        for one in &mut collected {
            let n = db.enrich(&mut one.snapshot)?;
            let c = one.snapshot.collection.as_mut().expect("collected");
            for r in db.records() {
                c.enrichment.push(format!(
                    "country and ASN of {n} providers from {} (sha256 {})",
                    r.location, r.sha256
                ));
            }
        }
    }
    // The first is the one -o names (the network-wide snapshot of
    // --all-subnets).
    if let Some(out) = output_file(&args) {
        let bytes = serde_json::to_vec_pretty(&collected[0].snapshot).expect("snapshots serialize");
        write_archive(out, &collected[0])?;
        crate::output::write_atomic(out, &bytes)?;
    }
    let mut store = if args.no_store {
        None
    } else {
        let path = super::store_path(args.store.as_deref())?;
        Some((crate::store::Store::open(&path)?, path))
    };
    for one in &collected {
        let s = &one.snapshot;
        let c = s
            .collection
            .as_ref()
            .expect("collectors record completeness");
        let stored = match &mut store {
            None => String::new(),
            Some((store, path)) => {
                let id = store.insert(s, &one.document, &one.responses)?;
                format!("; stored as snapshot {id} in {}", path.display())
            }
        };
        let line = format!(
            "{} ({}): {} providers from {} page(s), {}{}{stored}",
            s.network,
            c.endpoint,
            s.providers.len(),
            c.pages_fetched,
            if c.complete { "complete" } else { "INCOMPLETE" },
            if c.duplicates_dropped > 0 {
                format!(", {} duplicate items dropped", c.duplicates_dropped)
            } else {
                String::new()
            },
        );
        if c.complete {
            super::term::note("collect", &line);
        } else {
            // A warning, so `-q` does not hide it.
            eprintln!("rackaudit collect: {line}");
        }
    }
    Ok(())
}

/// Writes the merged document and every raw response, gzip-compressed and
/// named by sha256, into `<out>.raw/`.
fn write_archive(out: &std::path::Path, c: &crate::collect::Collected) -> Result<()> {
    let dir = PathBuf::from(format!("{}.raw", out.display()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Io {
        path: dir.display().to_string(),
        action: "cannot create the archive directory",
        source: e,
    })?;
    let bodies = std::iter::once((
        crate::sources::sha256_hex(&c.document),
        c.document.as_slice(),
    ))
    .chain(
        c.responses
            .iter()
            .map(|r| (r.sha256.clone(), r.body.as_slice())),
    );
    for (sha, body) in bodies {
        let gz = crate::store::gzip(body);
        crate::output::write_atomic(&dir.join(format!("{sha}.json.gz")), &gz)?;
    }
    Ok(())
}
