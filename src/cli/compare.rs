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
        let d = dim.name();
        out.push((
            format!("{d} Nakamoto (at least 50%)"),
            m(&|x| x.nakamoto_coefficient.map(|n| n as f64)),
        ));
        out.push((format!("{d} max share (of known)"), m(&|x| x.max_share)));
        out.push((format!("{d} HHI"), m(&|x| x.hhi)));
        out.push((format!("{d} Gini"), m(&|x| x.gini)));
        if matches!(dim, Dimension::Country | Dimension::Cloud) {
            out.push((
                format!("{d} known (share of weight)"),
                c.map(|c| c.coverage()),
            ));
        }
    }
    for (i, which) in ["first", "second"].iter().enumerate() {
        let c = s.headline.coalitions.get(i);
        out.push((
            format!("operators at the profile's {which} threshold"),
            c.and_then(|c| c.operator).map(|n| n as f64),
        ));
    }
    // Shares of a known part are n/a (never 0) when nothing is known.
    out.push((
        "Nvidia share of GPUs (vendor known)".into(),
        s.headline.nvidia_gpu_share.and_then(|n| n.value),
    ));
    out.push((
        "hyperscaler share (cloud known)".into(),
        s.cloud.hyperscaler_share.value,
    ));
    out.push(("cloud coverage".into(), Some(s.cloud.coverage)));
    out.push((
        "uptime mean (uptime known)".into(),
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
        let side = |s: &SnapshotAudit, location: &str| {
            serde_json::json!({
                "network": s.network,
                "location": location,
                "input_sha256": s.input_sha256,
                "weight": s.headline.primary_weight,
                "profile": s.profile,
                "thresholds": s.headline.coalitions.iter().map(|c| format!("{}{}", c.holds.symbol(), c.label)).collect::<Vec<_>>(),
            })
        };
        json(&serde_json::json!({"a": side(&a, &args.a), "b": side(&b, &args.b), "rows": rows}))
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
        let describe = |x: &SnapshotAudit| {
            let t: Vec<String> = x
                .headline
                .coalitions
                .iter()
                .map(|c| format!("{}{}", c.holds.symbol(), c.label))
                .collect();
            format!(
                "by {}, thresholds {} (profile {})",
                x.headline.primary_weight.name(),
                t.join(", "),
                x.profile
            )
        };
        let _ = writeln!(
            s,
            "A: {}\nB: {}",
            terminal(&describe(&a)),
            terminal(&describe(&b))
        );
        let _ = writeln!(s, "{t}");
        s.into_bytes()
    };
    crate::output::write_stdout(&bytes)
}
