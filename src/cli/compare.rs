//! `rackaudit compare A B`: headline metrics of two snapshots side by side
//! (two networks, or one network at two dates), with deltas.
//!
//! Example: rackaudit compare data/cosmos/cosmoshub_validators_2019.json data/cosmos/osmosis1_valset_height471386.json

use crate::audit::{AuditOptions, Dimension, SnapshotAudit, audit, find_cell};
use crate::error::Result;
use crate::report::escape::terminal;
use crate::report::operators::json;
use clap::Args;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// First snapshot.
    pub a: String,
    /// Second snapshot.
    pub b: String,
    /// Input format of both (detected when omitted).
    #[arg(long)]
    pub source: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub resolve: super::ResolveArgs,
}

/// One compared figure.
#[derive(Debug, Serialize)]
pub struct Row {
    pub metric: String,
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub delta: Option<f64>,
}

fn figures(s: &SnapshotAudit) -> Vec<(String, Option<f64>)> {
    let w = s.headline.primary_weight;
    let mut out = vec![
        ("providers".into(), Some(s.providers as f64)),
        ("operators".into(), Some(s.operators as f64)),
        (
            "unlinked providers".into(),
            Some(s.unlinked_providers as f64),
        ),
    ];
    for dim in [
        Dimension::Provider,
        Dimension::Operator,
        Dimension::Country,
        Dimension::Cloud,
    ] {
        let c = find_cell(&s.concentration, dim, w);
        let m = |f: &dyn Fn(&crate::metrics::Summary) -> Option<f64>| c.and_then(|c| f(&c.metrics));
        out.push((
            format!("{} Nakamoto ({})", dim.name(), w.name()),
            m(&|x| x.nakamoto_coefficient.map(|n| n as f64)),
        ));
        out.push((
            format!("{} max share ({})", dim.name(), w.name()),
            m(&|x| x.max_share),
        ));
        out.push((format!("{} HHI ({})", dim.name(), w.name()), m(&|x| x.hhi)));
        out.push((
            format!("{} Gini ({})", dim.name(), w.name()),
            m(&|x| x.gini),
        ));
    }
    out.push((
        "Nvidia share of GPUs".into(),
        s.hardware.as_ref().map(|h| h.nvidia.gpu_share),
    ));
    out.push((
        "hyperscaler share".into(),
        Some(
            s.cloud
                .by_category
                .get("hyperscaler")
                .copied()
                .unwrap_or(0.0),
        ),
    ));
    out.push((
        "uptime mean".into(),
        s.uptime.as_ref().map(|u| u.providers.mean),
    ));
    out
}

pub fn run(args: CompareArgs) -> Result<()> {
    let (entities, _) = args.resolve.options()?;
    let opts = AuditOptions {
        entities,
        ..AuditOptions::default()
    };
    let (sa, _) = crate::sources::read_path(&args.a, args.source.as_deref())?;
    let (sb, _) = crate::sources::read_path(&args.b, args.source.as_deref())?;
    let (a, b) = (audit(&sa, &opts), audit(&sb, &opts));
    let rows: Vec<Row> = figures(&a)
        .into_iter()
        .zip(figures(&b))
        .map(|((metric, x), (_, y))| Row {
            delta: x.zip(y).map(|(x, y)| y - x),
            metric,
            a: x,
            b: y,
        })
        .collect();
    let bytes = if args.json {
        json(
            &serde_json::json!({"a": {"network": a.network, "location": args.a, "input_sha256": a.input_sha256}, "b": {"network": b.network, "location": args.b, "input_sha256": b.input_sha256}, "rows": rows}),
        )
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::ASCII_MARKDOWN);
        t.set_header(vec![
            "metric".to_string(),
            terminal(&format!("A: {}", a.network)),
            terminal(&format!("B: {}", b.network)),
            "B − A".into(),
        ]);
        let f = |v: Option<f64>| v.map_or("n/a".into(), |x| crate::report::num(x, 4));
        for r in &rows {
            t.add_row(vec![
                r.metric.clone(),
                f(r.a),
                f(r.b),
                r.delta.map_or("n/a".into(), |d| format!("{d:+.4}")),
            ]);
        }
        let mut s = String::new();
        let _ = writeln!(s, "{t}");
        s.into_bytes()
    };
    crate::output::write_stdout(&bytes)
}
