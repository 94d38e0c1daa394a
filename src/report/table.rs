//! Terminal exporter: readable tables per snapshot. Colour and box drawing
//! only when writing to a terminal; untrusted text is stripped of control
//! sequences.

use super::escape::terminal;
use super::{AuditReport, Exporter, num, opt_count, opt_pct, pct};
use crate::audit::{Cell, SnapshotAudit};
use comfy_table::{Table as Grid, presets};
use std::fmt::Write;

/// Terminal tables.
pub struct Table {
    /// Writing to a terminal: colour and box-drawing characters.
    pub tty: bool,
}

impl Table {
    fn grid(&self, header: &[&str]) -> Grid {
        let mut g = Grid::new();
        g.load_style(if self.tty {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_MARKDOWN
        });
        g.set_header(header.iter().copied());
        g
    }

    fn bold(&self, s: &str) -> String {
        if self.tty {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

impl Exporter for Table {
    fn render(&self, report: &AuditReport) -> Vec<u8> {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "rackaudit {} · methodology {} · inputs sha256 {}",
            report.tool_version,
            report.methodology_version,
            &report.input_sha256[..16]
        );
        for s in &report.snapshots {
            self.snapshot(&mut out, s);
        }
        out.into_bytes()
    }
}

impl Table {
    fn snapshot(&self, out: &mut String, s: &SnapshotAudit) {
        let when = s
            .taken_at
            .as_deref()
            .map(|t| format!(" · {}", terminal(t)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{}",
            self.bold(&format!("== {}{when} ==", terminal(&s.network)))
        );
        let _ = writeln!(
            out,
            "source: {} ({}), sha256 {}",
            terminal(&s.location),
            s.adapter,
            s.input_sha256
        );
        if let Some(note) = &s.note {
            let _ = writeln!(out, "note: {}", terminal(note));
        }
        let _ = writeln!(
            out,
            "providers {} · operators {} ({} providers unlinked, each counted as its own operator)",
            s.providers, s.operators, s.unlinked_providers
        );
        let _ = writeln!(out, "{}", self.bold(&terminal(&s.headline.summary)));
        self.concentration(out, &s.concentration);
        self.hardware(out, s);
        self.cloud_and_geography(out, s);
        self.uptime_prices_stake(out, s);
        let cov: Vec<String> = s
            .coverage
            .iter()
            .map(|c| format!("{} {}", c.field, pct(c.share)))
            .collect();
        let _ = writeln!(
            out,
            "\ncoverage (share of providers with the field): {}",
            cov.join(", ")
        );
    }

    fn concentration(&self, out: &mut String, cells: &[Cell]) {
        let mut g = self.grid(&[
            "dimension",
            "weight",
            "entities",
            "Nakamoto",
            "tau",
            "max share",
            "HHI",
            "Gini",
            "entropy %",
            "unattributed",
            "largest",
        ]);
        for c in cells {
            let m = &c.metrics;
            let tau: Vec<String> = m
                .tau_index
                .0
                .iter()
                .map(|(k, v)| format!("{k}:{}", opt_count(*v)))
                .collect();
            let largest = c.top.first().map_or(String::new(), |r| {
                let name = r.label.as_deref().unwrap_or(&r.key);
                format!("{} ({})", truncate(&terminal(name), 28), pct(r.share))
            });
            g.add_row(vec![
                c.dimension.name().to_string(),
                c.weight.name().to_string(),
                m.total_entities.to_string(),
                opt_count(m.nakamoto_coefficient),
                tau.join(" "),
                opt_pct(m.max_share),
                m.hhi.map_or("n/a".into(), |h| num(h, 0)),
                m.gini.map_or("n/a".into(), |x| num(x, 3)),
                opt_pct(m.entropy_percentage),
                pct(c.unattributed_share),
                largest,
            ]);
        }
        let _ = writeln!(out, "\nconcentration (metrics over attributed weight)\n{g}");
    }

    fn hardware(&self, out: &mut String, s: &SnapshotAudit) {
        let Some(h) = &s.hardware else {
            return;
        };
        let _ = writeln!(
            out,
            "\nhardware: {} GPUs, {} GB GPU memory on {} providers; Nvidia {} of GPUs, {} of GPU memory",
            h.gpus,
            num(h.gpu_memory_gb, 0),
            h.providers_with_gpus,
            pct(h.nvidia.gpu_share),
            pct(h.nvidia.memory_share)
        );
        let mut g = self.grid(&["model", "vendor", "GPUs", "share", "catalogued"]);
        for m in h.by_model.iter().take(15) {
            g.add_row(vec![
                terminal(&m.model),
                m.vendor.clone().unwrap_or_default(),
                m.gpus.to_string(),
                pct(m.gpu_share),
                if m.known {
                    "yes".into()
                } else {
                    "NO (flagged)".to_string()
                },
            ]);
        }
        if h.unknown_model_gpus > 0 {
            g.add_row(vec![
                "(model unknown)".into(),
                String::new(),
                h.unknown_model_gpus.to_string(),
                pct(h.unknown_model_gpus as f64 / h.gpus as f64),
                String::new(),
            ]);
        }
        let _ = writeln!(out, "{g}");
    }

    fn cloud_and_geography(&self, out: &mut String, s: &SnapshotAudit) {
        let c = &s.cloud;
        let cats: Vec<String> = c
            .by_category
            .iter()
            .map(|(k, v)| format!("{k} {}", pct(*v)))
            .collect();
        let clouds: Vec<String> = c
            .rows
            .iter()
            .take(8)
            .map(|r| format!("{} {}", terminal(&r.cloud), pct(r.share)))
            .collect();
        let _ = writeln!(
            out,
            "\ncloud/hosting by {}: {}{}unknown {}",
            c.weight.name(),
            if cats.is_empty() {
                String::new()
            } else {
                format!("{}; ", cats.join(", "))
            },
            if clouds.is_empty() {
                String::new()
            } else {
                format!("{}; ", clouds.join(", "))
            },
            pct(c.unknown_share)
        );
        let geo = &s.geography;
        let countries: Vec<String> = geo
            .countries
            .iter()
            .take(10)
            .map(|r| format!("{} {}", r.place, pct(r.share)))
            .collect();
        let _ = writeln!(
            out,
            "countries by {} ({} known): {}{}unknown {}",
            geo.weight.name(),
            geo.countries.len(),
            countries.join(", "),
            if countries.is_empty() { "" } else { "; " },
            pct(geo.country_unknown_share)
        );
    }

    fn uptime_prices_stake(&self, out: &mut String, s: &SnapshotAudit) {
        if let Some(u) = &s.uptime {
            let d = &u.providers;
            let _ = write!(
                out,
                "uptime ({}; n={}): mean {}, std dev {}, p10 {}, median {}, p90 {}",
                u.windows.join("/"),
                d.n,
                pct(d.mean),
                pct(d.std_dev),
                pct(d.p10),
                pct(d.median),
                pct(d.p90)
            );
            if let Some(g) = &u.gpu_weighted {
                let _ = write!(
                    out,
                    "; GPU-weighted mean {}, std dev {}",
                    pct(g.mean),
                    pct(g.std_dev)
                );
            }
            let _ = writeln!(out);
        }
        if !s.pricing.is_empty() {
            let mut g = self.grid(&[
                "GPU model",
                "n",
                "min",
                "median",
                "max",
                "CV",
                "IQR",
                "currency/GPU-h",
            ]);
            for p in &s.pricing {
                let d = &p.per_gpu_hour;
                g.add_row(vec![
                    terminal(&p.gpu_model),
                    d.n.to_string(),
                    num(d.min, 3),
                    num(d.median, 3),
                    num(d.max, 3),
                    d.coefficient_of_variation
                        .map_or("n/a".into(), |x| num(x, 3)),
                    num(d.iqr, 3),
                    terminal(&p.currency),
                ]);
            }
            let _ = writeln!(out, "pricing dispersion\n{g}");
        }
        if let Some(st) = &s.stake {
            let _ = writeln!(
                out,
                "stake: {} {} counts as voting power across {} providers; {} providers excluded (jailed/unbonded) holding {}",
                num(st.voting_stake, 3),
                terminal(st.unit.as_deref().unwrap_or("")),
                st.providers_with_stake - st.excluded_providers,
                st.excluded_providers,
                num(st.excluded_stake, 3)
            );
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}
