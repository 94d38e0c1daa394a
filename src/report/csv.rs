//! CSV exporter: one row per snapshot × dimension × weight, every metric a
//! column. Text cells are guarded against spreadsheet formula injection.

use super::escape::csv_cell;
use super::{AuditReport, Exporter};

/// A grid as CSV: its header, then its rows, every text cell guarded
/// against formula injection (numeric columns are written as they are, so
/// a negative number stays a number).
pub fn grid(g: &super::layout::Grid) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(&g.header).expect("writing to memory");
    for row in &g.rows {
        let cells = row.iter().enumerate().map(|(i, c)| {
            if g.numeric.get(i).copied().unwrap_or(false) && c.parse::<f64>().is_ok() {
                c.clone()
            } else {
                csv_cell(c)
            }
        });
        w.write_record(cells).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Long-format CSV of every concentration cell.
pub struct Csv;

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

impl Exporter for Csv {
    fn render(&self, report: &AuditReport) -> Vec<u8> {
        let o = &report.options;
        let mut header: Vec<String> = [
            "network",
            "input_sha256",
            "dimension",
            "weight",
            "total_entities",
            "nakamoto_coefficient",
        ]
        .map(String::from)
        .to_vec();
        // Tau columns: every threshold any snapshot uses, named with its
        // comparison (`tau_at_least_1/3`, `tau_more_than_2/3`).
        let mut taus: Vec<String> = Vec::new();
        for t in report.snapshots.iter().flat_map(|s| &s.tau_thresholds) {
            let name = t.column();
            if !taus.contains(&name) {
                taus.push(name);
            }
        }
        header.extend(taus.iter().cloned());
        header.extend(o.top.iter().map(|k| format!("cr_{k}")));
        header.extend(
            ["max_share", "hhi", "gini", "shannon_entropy", "min_entropy"].map(String::from),
        );
        header.extend(o.alpha.iter().map(|a| format!("renyi_{a}")));
        header.extend(
            [
                "entropy_percentage",
                "theil_index",
                "effective_entities_shannon",
                "effective_entities_inverse_hhi",
                "attributed_weight",
                "unattributed_weight",
                "unattributed_share",
                "value_coverage",
                "largest_key",
                "largest_label",
                "largest_share",
            ]
            .map(String::from),
        );
        let mut w = ::csv::Writer::from_writer(Vec::new());
        w.write_record(&header).expect("writing to memory");
        for s in &report.snapshots {
            for c in &s.concentration {
                let m = &c.metrics;
                let mut row = vec![
                    csv_cell(&s.network),
                    s.input_sha256.clone(),
                    c.dimension.name().into(),
                    c.weight.name().into(),
                    m.total_entities.to_string(),
                    opt(m.nakamoto_coefficient),
                ];
                row.extend(taus.iter().map(|name| {
                    s.tau_thresholds
                        .iter()
                        .position(|t| &t.column() == name)
                        .and_then(|i| m.tau_index.0.get(i))
                        .map(|(_, v)| opt(*v))
                        .unwrap_or_default()
                }));
                row.extend(m.concentration_ratio.0.iter().map(|(_, v)| opt(*v)));
                row.extend([
                    opt(m.max_share),
                    opt(m.hhi),
                    opt(m.gini),
                    opt(m.shannon_entropy),
                    opt(m.min_entropy),
                ]);
                row.extend(m.renyi_entropy.0.iter().map(|(_, v)| opt(*v)));
                let largest = c.top.first();
                row.extend([
                    opt(m.entropy_percentage),
                    opt(m.theil_index),
                    opt(m.effective_entities.map(|e| e.shannon)),
                    opt(m.effective_entities.map(|e| e.inverse_hhi)),
                    c.attributed_weight.to_string(),
                    c.unattributed_weight.to_string(),
                    c.unattributed_share.to_string(),
                    opt(c.value_coverage),
                    largest.map(|r| csv_cell(&r.key)).unwrap_or_default(),
                    largest
                        .and_then(|r| r.label.as_deref())
                        .map(csv_cell)
                        .unwrap_or_default(),
                    opt(largest.map(|r| r.share)),
                ]);
                w.write_record(&row).expect("writing to memory");
            }
        }
        w.into_inner().expect("writing to memory")
    }
}
