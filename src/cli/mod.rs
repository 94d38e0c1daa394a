//! Command-line interface: argument definitions (one module per subcommand)
//! and dispatch. The binary only calls [`run`] and maps errors to exit codes.

pub mod audit;
pub mod check;
pub mod collect;
pub mod compare;
pub mod entities;
pub mod history;
pub mod metrics;
pub mod report;
pub mod rewards;
pub mod shell;
pub mod snapshot;
pub mod snapshots;
pub mod stress;
pub mod synth;
pub mod term;
pub mod verify;
pub mod verify_supply;

use crate::error::Result;
use clap::{Parser, Subcommand};

/// Audit how decentralized a compute network really is.
#[derive(Debug, Parser)]
#[command(
    name = "rackaudit",
    version,
    about,
    long_about = None,
    after_long_help = "Examples:\n  rackaudit audit\n  rackaudit report --out-dir out/\n  rackaudit audit --help\n\nExit codes: 0 success; 1 a check or gate failed; 2 input or usage error;\n3 network error. NO_COLOR (set, not empty) turns colour off like --color never."
)]
pub struct Cli {
    /// When to colour terminal output; `auto` also honours NO_COLOR.
    #[arg(long, value_enum, global = true, default_value_t = term::ColorChoice::Auto, value_name = "WHEN")]
    pub color: term::ColorChoice,
    /// Print no notes or progress on standard error (errors and warnings
    /// still are).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The version line: tool, methodology, report schema and store schema, so
/// a number quoted from a run can be traced to the rules that made it.
pub fn version_line() -> String {
    format!(
        "{} (methodology {}, report schema {}, store schema {})",
        crate::TOOL_VERSION,
        crate::METHODOLOGY_VERSION,
        crate::SCHEMA_VERSION,
        crate::store::SCHEMA_VERSION
    )
}

/// The full command definition, with the version line.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    // The version is computed once per process; clap keeps a &'static str.
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let version: &'static str = VERSION.get_or_init(version_line);
    Cli::command().version(version)
}

/// Parses the process's arguments (exits with clap's message on a usage
/// error, as `Cli::parse` does).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit concentration of snapshots (default: the bundled real data).
    Audit(audit::AuditArgs),
    /// Check claims (TOML) against the audit and stress test: a policy gate.
    Check(check::CheckArgs),
    /// Fetch a live snapshot from a public endpoint into the snapshot store.
    Collect(collect::CollectArgs),
    /// Compare the headline metrics of two snapshots.
    Compare(compare::CompareArgs),
    /// List operators: which providers one entity controls, and why.
    Entities(entities::EntitiesArgs),
    /// Headline metrics over stored snapshots, and uptime from observations.
    History(history::HistoryArgs),
    /// Compute every concentration metric on a list of numbers.
    Metrics(metrics::MetricsArgs),
    /// Write the publishable report (JSON, Markdown, HTML, CSV) into a directory.
    Report(report::ReportArgs),
    /// Reward-flow concentration from block-explorer transfer exports.
    Rewards(rewards::RewardsArgs),
    /// Convert any supported input into rackaudit snapshot JSON.
    Snapshot(snapshot::SnapshotArgs),
    /// List, show, export, import and check stored snapshots.
    Snapshots(snapshots::SnapshotsArgs),
    /// Stress-test a workload against provider, operator, country and cloud loss.
    Stress(stress::StressArgs),
    /// Recompute a report from its recorded inputs and compare every number.
    Verify(verify::VerifyArgs),
    /// Check claimed supply: impossible values, duplicates, inconsistencies;
    /// the headline on claimed, passing and observed supply.
    VerifySupply(verify_supply::VerifySupplyArgs),
    /// Generate a synthetic snapshot (generic CSV) for benchmarks.
    Synth(synth::SynthArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(shell::CompletionsArgs),
    /// Print the roff man page of rackaudit or of one subcommand.
    Man(shell::ManArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    term::init(term::Settings {
        color: cli.color,
        quiet: cli.quiet,
    });
    match cli.command {
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
        Command::Audit(a) => audit::run(a),
        Command::Check(a) => check::run(a),
        Command::Collect(a) => collect::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Entities(a) => entities::run(a),
        Command::History(a) => history::run(a),
        Command::Metrics(a) => metrics::run(a),
        Command::Report(a) => report::run(a),
        Command::Rewards(a) => rewards::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Snapshots(a) => snapshots::run(a),
        Command::Stress(a) => stress::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Verify(a) => verify::run(a),
        Command::VerifySupply(a) => verify_supply::run(a),
    }
}

/// Metric parameters shared by `audit` and `metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricParams {
    /// Tau-index thresholds (keys of `tau_index`): decimals (0.33) or exact
    /// fractions (1/3); a leading `>` means "more than" (>2/3), otherwise
    /// "at least". Default for `audit` and `report`: each snapshot's
    /// network-profile thresholds (e.g. 1/3 and >2/3 on CometBFT chains);
    /// for `metrics`: 0.33,0.66 (the EDI's).
    #[arg(long)]
    pub tau: Option<String>,
    /// k of the concentration ratios CR_k (keys of `concentration_ratio`).
    #[arg(long, default_value = "1,3")]
    pub top: String,
    /// Rényi orders (keys of `renyi_entropy`; `inf` for min-entropy).
    #[arg(long, default_value = "0,2")]
    pub alpha: String,
}

impl MetricParams {
    /// Whether the tau thresholds come from each snapshot's profile.
    pub fn tau_from_profile(&self) -> bool {
        self.tau.is_none()
    }

    /// Parses the lists, naming the flag of a bad value.
    pub fn params(&self) -> Result<crate::metrics::SummaryParams> {
        use crate::metrics::{parse_alpha, parse_labelled, parse_threshold, parse_top};
        let usage =
            |flag: &'static str| move |e: String| crate::Error::Usage(format!("--{flag}: {e}"));
        Ok(crate::metrics::SummaryParams {
            tau: parse_labelled(self.tau.as_deref().unwrap_or("0.33,0.66"), parse_threshold)
                .map_err(usage("tau"))?,
            top: parse_labelled(&self.top, parse_top).map_err(usage("top"))?,
            alpha: parse_labelled(&self.alpha, parse_alpha).map_err(usage("alpha"))?,
        })
    }
}

/// Snapshot inputs of `audit` and `entities`.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Snapshot files (`-` for standard input). Without any (and without
    /// --snapshot), the bundled real snapshots.
    pub inputs: Vec<String>,
    /// Input format (detected from content when omitted): snapshot, csv,
    /// bittensor-snapshot, bittensor-metagraph, cosmos, akash-console,
    /// akash-chain, akash-aep4, vastai.
    #[arg(long)]
    pub source: Option<String>,
    /// Snapshot store (SQLite) for --snapshot; default: $RACKAUDIT_STORE,
    /// else rackaudit.sqlite in the user's data directory.
    #[arg(long)]
    pub store: Option<String>,
    /// A stored snapshot to read (repeatable): an id, `latest`, or
    /// `latest:NETWORK`.
    #[arg(long)]
    pub snapshot: Vec<String>,
}

impl InputArgs {
    /// Reads the inputs, each with its report input record.
    pub fn load(&self) -> Result<Vec<(crate::model::Snapshot, crate::report::InputRecord)>> {
        if self.snapshot.is_empty() {
            return load_inputs(&self.inputs, self.source.as_deref());
        }
        let mut out = if self.inputs.is_empty() {
            Vec::new()
        } else {
            load_inputs(&self.inputs, self.source.as_deref())?
        };
        let path = store_path(self.store.as_deref())?;
        let store = open_store(&path, false)?;
        for which in &self.snapshot {
            out.push(stored_input(&store, &path, which)?);
        }
        Ok(out)
    }
}

/// Opens the snapshot store at `path`. Only commands that store snapshots
/// (`import`, `collect`) create it: a command that reads one names a
/// mistyped path instead of reading a new, empty store.
pub fn open_store(path: &std::path::Path, create: bool) -> Result<crate::store::Store> {
    if !create && !path.exists() {
        return Err(crate::Error::Usage(format!(
            "{}: no snapshot store there (`rackaudit snapshots import` or `rackaudit collect` creates one; --store FILE or $RACKAUDIT_STORE names it)",
            path.display()
        )));
    }
    crate::store::Store::open(path)
}

/// The store path given, or the default one.
pub fn store_path(given: Option<&str>) -> Result<std::path::PathBuf> {
    match given {
        Some(p) => Ok(std::path::PathBuf::from(p)),
        None => crate::store::default_path(),
    }
}

/// A stored snapshot (`ID`, `latest` or `latest:NETWORK`) and its input
/// record `store:PATH#ID`, hashed over its snapshot JSON so `verify` can
/// check it.
pub fn stored_input(
    store: &crate::store::Store,
    path: &std::path::Path,
    which: &str,
) -> Result<(crate::model::Snapshot, crate::report::InputRecord)> {
    let (which, network) = match which.split_once(':') {
        Some((w, n)) => (w, Some(n)),
        None => (which, None),
    };
    let id = store.resolve_id(which, network)?;
    let snapshot = store.snapshot(id)?;
    let bytes = serde_json::to_vec_pretty(&snapshot).expect("snapshots serialize");
    let record = crate::report::InputRecord {
        location: format!("store:{}#{id}", path.display()),
        sha256: crate::sources::sha256_hex(&bytes),
        adapter: "snapshot".into(),
    };
    Ok((snapshot, record))
}

/// Reads the inputs named on the command line, or the bundled real
/// snapshots when there are none, each with its report input record.
pub fn load_inputs(
    paths: &[String],
    source: Option<&str>,
) -> Result<Vec<(crate::model::Snapshot, crate::report::InputRecord)>> {
    let record =
        |s: &crate::model::Snapshot, location: String, sha256: String| crate::report::InputRecord {
            location,
            sha256,
            adapter: s.source.adapter.clone(),
        };
    if paths.is_empty() {
        return crate::bundled::BUNDLED
            .iter()
            .map(|b| {
                let (s, sha) = crate::bundled::read_bundled(b)?;
                let r = record(&s, format!("bundled:{}", b.path), sha);
                Ok((s, r))
            })
            .collect();
    }
    paths
        .iter()
        .map(|path| {
            let (s, sha) = term::with_spinner(&format!("reading {path}"), || {
                crate::sources::read_path(path, source)
            })?;
            let r = record(&s, path.clone(), sha);
            Ok((s, r))
        })
        .collect()
}

/// The output formats of every command that prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text for a person: tables (box drawing on a terminal,
    /// pipes off it), or tab-separated lines where a command lists records.
    Table,
    /// JSON, byte-identical for the same inputs and options.
    Json,
    /// CSV with a header row; text cells guarded against formula injection.
    Csv,
    /// GitHub-flavoured Markdown, every cell escaped.
    Md,
}

/// `--format` and `-o/--output`, the same on every command that prints
/// results.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Same as `--format json` (the spelling before `--format`; kept for
    /// scripts).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
    /// Write to this file (atomically: a temporary file, then renamed)
    /// instead of standard output (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

impl OutputArgs {
    /// The format asked for.
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }

    /// The look of a table written where this output goes.
    pub fn table(&self) -> crate::report::table::Table {
        let look = term::look(file_named(self.output.as_deref()).is_some());
        crate::report::table::Table {
            tty: look.tty,
            color: look.color,
        }
    }

    /// Writes the rendered output to `-o FILE` or standard output.
    pub fn emit(&self, bytes: &[u8]) -> Result<()> {
        emit(self.output.as_deref(), bytes)
    }
}

/// `-o -` means standard output, as `-` does for inputs.
fn file_named(output: Option<&std::path::Path>) -> Option<&std::path::Path> {
    output.filter(|p| p.as_os_str() != "-")
}

/// Writes output to a file (atomically) or to standard output.
pub fn emit(output: Option<&std::path::Path>, bytes: &[u8]) -> Result<()> {
    match file_named(output) {
        Some(path) => crate::output::write_atomic(path, bytes),
        None => crate::output::write_stdout(bytes),
    }
}

/// Lets `value` go without freeing it, for what a command holds until its
/// last step: the process ends next and the OS takes its memory back at
/// once, where freeing half a million providers one allocation at a time
/// only delayed the exit (45 ms).
pub(crate) fn left_to_exit<T>(value: T) {
    std::mem::forget(value);
}

/// [`emit`] with the contents streamed by `write`.
pub fn emit_with(
    output: Option<&std::path::Path>,
    write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    match file_named(output) {
        Some(path) => crate::output::write_atomic_with(path, write),
        None => crate::output::write_stdout_with(write),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

/// Operator-resolution options shared by `audit` and `entities`.
#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// Operator mapping file (TOML): forced merges, splits, operator names,
    /// extra deny-listed domains. Recorded in the report's inputs.
    #[arg(long)]
    pub mapping: Option<String>,
    /// Weakest evidence allowed to merge providers: on-chain (owner,
    /// coldkey, payout, host id), domain (adds identity, web, e-mail and
    /// host-name domains), network (adds IPv4 /24 and IPv6 /48).
    #[arg(long, value_enum, default_value = "domain")]
    pub min_confidence: crate::entities::Confidence,
    /// Switch off one key kind (repeatable), e.g. --no-key email-domain.
    #[arg(long = "no-key", value_enum)]
    pub no_key: Vec<crate::entities::LinkKind>,
    /// Never link providers through this domain (repeatable).
    #[arg(long = "deny-domain")]
    pub deny_domain: Vec<String>,
}

impl ResolveArgs {
    /// Resolution options, and the mapping file as a report input.
    pub fn options(
        &self,
    ) -> Result<(
        crate::entities::ResolveOptions,
        Option<crate::report::InputRecord>,
    )> {
        let mut opts = crate::entities::ResolveOptions {
            min_confidence: self.min_confidence,
            disabled: self.no_key.iter().copied().collect(),
            ..Default::default()
        };
        let mut record = None;
        if let Some(path) = &self.mapping {
            let bytes = crate::sources::read_bytes(path)?;
            let input = crate::sources::Input {
                location: path,
                bytes: &bytes,
            };
            opts.mapping = crate::entities::Mapping::parse(path, input.text()?)?;
            opts.deny.extend(opts.mapping.deny_domains.clone());
            record = Some(crate::report::InputRecord {
                location: path.clone(),
                sha256: input.sha256(),
                adapter: "operator-mapping".into(),
            });
        }
        opts.deny.extend(self.deny_domain.iter().cloned());
        Ok((opts, record))
    }
}

/// What the supply options give a command.
pub struct SupplySetup {
    /// The checks to run (`None` with `--no-checks`).
    pub supply: Option<crate::supply::SupplyOptions>,
    /// The `--profile` given, if any.
    pub profile: Option<crate::supply::NetworkProfile>,
    /// Files read (profile, GeoIP databases), as report inputs.
    pub records: Vec<crate::report::InputRecord>,
}

impl SupplySetup {
    /// The audit options of a command with no metric or listing options of
    /// its own (`check`, `compare`, `history`): the defaults, with these
    /// supply checks and profile and the given operator resolution.
    pub fn audit_options(
        self,
        entities: crate::entities::ResolveOptions,
    ) -> crate::audit::AuditOptions {
        crate::audit::AuditOptions {
            entities,
            supply: self.supply,
            profile: self.profile,
            ..crate::audit::AuditOptions::default()
        }
    }
}

/// Supply-check options shared by `audit`, `report` and `verify-supply`.
#[derive(Debug, clap::Args)]
pub struct SupplyArgs {
    /// Network profile of the supply checks: a bundled name (default, akash,
    /// bittensor, bittensor-subnets, cosmos, vastai) or a TOML file. Default: each snapshot's
    /// bundled profile, chosen by network and format.
    #[arg(long)]
    pub profile: Option<String>,
    /// Set one rule's severity (repeatable), e.g. --rule duplicate-ip=off
    /// or --rule memory-mismatch=error.
    #[arg(long = "rule", value_parser = crate::supply::parse_override)]
    pub rule: Vec<(crate::supply::Rule, crate::supply::Setting)>,
    /// MaxMind DB file giving IP country and/or ASN (repeatable), e.g.
    /// GeoLite2-Country.mmdb and GeoLite2-ASN.mmdb. Never downloaded.
    #[arg(long)]
    pub geoip: Vec<String>,
    /// Skip the supply checks: report claimed supply only.
    #[arg(long)]
    pub no_checks: bool,
}

impl SupplyArgs {
    /// Supply options for these snapshots, the `--profile` (which sets the
    /// coalition thresholds even with `--no-checks`), and the files they
    /// read as report inputs.
    pub fn options(&self, snapshots: &[&crate::model::Snapshot]) -> Result<SupplySetup> {
        let mut records = Vec::new();
        let profile = match &self.profile {
            None => None,
            Some(name) => match crate::supply::NetworkProfile::bundled(name) {
                Some(p) => Some(p),
                None => {
                    if !std::path::Path::new(name).exists() {
                        let names = crate::profile::BUNDLED.iter().map(|(n, _)| *n);
                        return Err(crate::Error::Usage(format!(
                            "--profile: `{name}` is neither a bundled profile ({}) nor a file{}",
                            names.clone().collect::<Vec<_>>().join(", "),
                            crate::suggest::hint(name, names)
                        )));
                    }
                    let bytes = crate::sources::read_bytes(name)?;
                    let input = crate::sources::Input {
                        location: name,
                        bytes: &bytes,
                    };
                    records.push(crate::report::InputRecord {
                        location: name.clone(),
                        sha256: input.sha256(),
                        adapter: crate::supply::profile::PROFILE_ADAPTER.into(),
                    });
                    Some(crate::supply::profile::parse(name, input.text()?)?)
                }
            },
        };
        if self.no_checks {
            return Ok(SupplySetup {
                supply: None,
                profile,
                records,
            });
        }
        let geo = if self.geoip.is_empty() {
            None
        } else {
            let db = crate::supply::GeoIp::open(&self.geoip)?;
            records.extend(db.records());
            Some(db.locate(snapshots)?)
        };
        Ok(SupplySetup {
            supply: Some(crate::supply::SupplyOptions {
                profile: profile.clone(),
                overrides: self.rule.iter().copied().collect(),
                geo,
            }),
            profile,
            records,
        })
    }
}

/// How many of the largest entities a listing shows: one option with one
/// default on every command that lists them.
#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// Largest entities listed (per dimension and weight; operators per
    /// snapshot in `entities`).
    #[arg(long, alias = "limit", default_value_t = TOP_N, value_parser = parse_top_n)]
    pub top_n: usize,
}

fn parse_top_n(text: &str) -> std::result::Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{text}` is not a count of at least 1")),
    }
}

/// The default of `--top-n`.
pub const TOP_N: usize = 10;

/// Parses a share between 0 and 1 given as a decimal (`0.5`) or an exact
/// fraction (`1/2`), as every threshold option takes it.
pub fn parse_share(text: &str) -> std::result::Result<f64, String> {
    let t = text.trim();
    let value = match t.split_once('/') {
        Some((n, d)) => {
            let n: f64 = n.trim().parse().map_err(|_| not_a_share(t))?;
            let d: f64 = d.trim().parse().map_err(|_| not_a_share(t))?;
            if d == 0.0 {
                return Err(format!("`{t}` divides by zero"));
            }
            n / d
        }
        None => t.parse().map_err(|_| not_a_share(t))?,
    };
    if !(0.0..=1.0).contains(&value) {
        return Err(if (2.0..=100.0).contains(&value) && !t.contains('/') {
            format!(
                "`{t}` is above 1; it looks like a percentage: write {} or a fraction",
                value / 100.0
            )
        } else {
            format!("`{t}` is not a share: it must lie between 0 and 1")
        });
    }
    Ok(value)
}

fn not_a_share(t: &str) -> String {
    format!("`{t}` is not a share: write a decimal such as 0.5 or a fraction such as 1/2")
}

/// A weight named on the command line, with "did you mean" for a typo.
pub fn parse_weight(name: &str) -> std::result::Result<crate::audit::Weight, String> {
    let names = crate::audit::WEIGHTS.iter().map(|w| w.name());
    crate::audit::WEIGHTS
        .iter()
        .copied()
        .find(|w| w.name() == name.trim())
        .ok_or_else(|| {
            format!(
                "unknown weight `{name}`{}; weights: {}",
                crate::suggest::hint(name, names.clone()),
                names.collect::<Vec<_>>().join(", ")
            )
        })
}

/// The scenario options of the workload stress test, the same on every
/// command that runs it (`stress`, `report`, `check`).
#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// Served fraction the workload Nakamoto coefficient must drop below:
    /// above 0, at most 1, a decimal or a fraction (1/2).
    #[arg(long, default_value = "0.5", value_parser = parse_share)]
    pub level: f64,
    /// Largest k of the resilience curves (at least 1).
    #[arg(long, default_value_t = 10)]
    pub max_k: usize,
    /// Weight that ranks providers and operators for removal.
    #[arg(long, default_value = "gpus", value_parser = parse_weight)]
    pub by: crate::audit::Weight,
    /// Monte Carlo trials (at least 1), where Monte Carlo runs (`stress`,
    /// `report`; no claim of `check` uses it).
    #[arg(long, default_value_t = 1000)]
    pub trials: u64,
    /// Monte Carlo seed (same seed, same result, whatever the thread count).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Up-probability of providers without a known uptime (Monte Carlo): a
    /// decimal or a fraction.
    #[arg(long, default_value = "1", value_parser = parse_share)]
    pub default_uptime: f64,
    #[command(flatten)]
    pub nakamoto: NakamotoArgs,
}

impl ScenarioArgs {
    /// Stress options for these parts, checked.
    pub fn options(
        &self,
        entities: crate::entities::ResolveOptions,
        parts: std::collections::BTreeSet<crate::stress::scenarios::Part>,
    ) -> Result<crate::stress::scenarios::StressOptions> {
        use crate::Error;
        if self.level <= 0.0 {
            return Err(Error::Usage(
                "--level must lie above 0 and at most 1 (served demand never drops below 0%)"
                    .into(),
            ));
        }
        if self.trials == 0 {
            return Err(Error::Usage("--trials must be at least 1".into()));
        }
        if self.max_k == 0 {
            return Err(Error::Usage(
                "--max-k must be at least 1 (k = 0 is the baseline)".into(),
            ));
        }
        Ok(crate::stress::scenarios::StressOptions {
            max_k: self.max_k,
            by: self.by,
            level: self.level,
            nakamoto_time_limit: self.nakamoto.limit()?,
            trials: self.trials,
            seed: self.seed,
            default_uptime: self.default_uptime,
            parts,
            nakamoto_operators_only: false,
            entities,
        })
    }
}

/// The search limit of the workload Nakamoto coefficient, shared by the
/// commands that run the stress test.
#[derive(Debug, clap::Args)]
pub struct NakamotoArgs {
    /// Seconds of exact search per level (operators, providers, countries,
    /// clouds, ASNs, data centers) of the workload Nakamoto coefficient,
    /// counted as a fixed number of search nodes so results never depend on
    /// the machine; beyond it the proven bounds are reported.
    #[arg(long, default_value_t = crate::stress::nakamoto::DEFAULT_TIME_LIMIT, value_name = "SECONDS")]
    pub nakamoto_time_limit: f64,
}

impl NakamotoArgs {
    /// The limit, checked.
    pub fn limit(&self) -> Result<f64> {
        if self.nakamoto_time_limit.is_finite() && self.nakamoto_time_limit >= 0.0 {
            Ok(self.nakamoto_time_limit)
        } else {
            Err(crate::Error::Usage(
                "--nakamoto-time-limit must be a number of seconds, at least 0".into(),
            ))
        }
    }
}
