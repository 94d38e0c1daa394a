//! Self-contained HTML exporter: one file with inline CSS and inline SVG
//! charts drawn here (no scripts, fonts or network), readable in light and
//! dark mode and printable. Every chart has a caption and a table fallback;
//! every string from the data is escaped.

use super::escape::html as esc;
use super::full::FullReport;
use super::layout::{grids, summary_lines};
use super::{num, pct};
use crate::audit::{Dimension, SnapshotAudit, find_cell};
use crate::stress::scenarios::StressResult;
use std::fmt::Write;

const CSS: &str = "
:root{--fg:#1b1f24;--bg:#ffffff;--muted:#5b6570;--accent:#2563eb;--accent2:#d97706;--grid:#d8dee4;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9aa5b1;--accent:#60a5fa;--accent2:#fbbf24;--grid:#30363d;--card:#161b22}}
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);max-width:1100px;margin:2em auto;padding:0 1.2em}
h1{font-size:1.8em;margin-bottom:.2em}h2{border-bottom:2px solid var(--grid);padding-bottom:.2em;margin-top:2.2em}
.meta,.caption,figcaption{color:var(--muted);font-size:.9em}
.headline{background:var(--card);border-left:4px solid var(--accent);padding:.8em 1em;font-weight:600}
figure{margin:1.2em 0;background:var(--card);padding:1em;border-radius:6px;break-inside:avoid}
svg{max-width:100%;height:auto}svg.chart{max-width:720px;display:block}svg text{fill:var(--fg);font-size:12px}svg .axis{stroke:var(--muted)}svg .grid{stroke:var(--grid)}
svg .bar{fill:var(--accent)}svg .bar2{fill:var(--accent2)}svg .line{fill:none;stroke:var(--accent);stroke-width:2}svg .diag{stroke:var(--muted);stroke-dasharray:4 4}
svg .mark{stroke:var(--accent2);stroke-width:2;stroke-dasharray:5 3}
svg .s1{stroke:var(--accent2);stroke-dasharray:6 3}svg .level{stroke:var(--muted);stroke-dasharray:2 4}svg .band{fill:var(--accent2);opacity:.18}
table{border-collapse:collapse;width:100%;font-size:.85em;margin:.5em 0}th,td{border-bottom:1px solid var(--grid);padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.n{text-align:right;font-variant-numeric:tabular-nums}ul.lines li{margin:.15em 0}
details summary{cursor:pointer;color:var(--muted)}code{font-size:.85em;word-break:break-all}
@media print{body{max-width:none;margin:0}details{display:block}details>*{display:block}figure{background:none;border:1px solid #ccc}}
";

/// Renders the full report as one HTML document.
pub fn render(r: &FullReport) -> Vec<u8> {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>rackaudit report</title><style>{CSS}</style></head><body>"
    );
    let _ = write!(
        o,
        "<h1>rackaudit report</h1><p class=\"meta\">rackaudit {} · methodology {} · schema {} · generated {} · inputs sha256 <code>{}</code> (every input: snapshots, workload, mapping, profile)</p>",
        esc(r.audit.tool_version),
        esc(r.audit.methodology_version),
        esc(r.audit.schema_version),
        esc(&r.generated_at),
        esc(&r.input_sha256)
    );
    for s in &r.audit.snapshots {
        snapshot(
            &mut o,
            s,
            r.stress
                .snapshots
                .iter()
                .find(|x| x.input_sha256 == s.input_sha256),
        );
    }
    methodology(&mut o, r);
    o.push_str("</body></html>\n");
    o.into_bytes()
}

fn snapshot(o: &mut String, s: &SnapshotAudit, stress: Option<&StressResult>) {
    let when = s
        .taken_at
        .as_deref()
        .map(|t| format!(" · {}", esc(t)))
        .unwrap_or_default();
    let _ = write!(o, "<h2>{}{when}</h2>", esc(&s.network));
    let _ = write!(
        o,
        "<p class=\"meta\">{} ({}) · sha256 <code>{}</code></p>",
        esc(&s.location),
        esc(&s.adapter),
        esc(&s.input_sha256)
    );
    if let Some(note) = &s.note {
        let _ = write!(o, "<p class=\"caption\">{}</p>", esc(note));
    }
    let _ = write!(
        o,
        "<p class=\"headline\">{}</p><ul class=\"lines\">",
        esc(&s.headline.summary)
    );
    for l in summary_lines(s) {
        let _ = write!(o, "<li>{}</li>", esc(&l));
    }
    o.push_str("</ul>");
    let w = s.headline.primary_weight;
    for (dim, points) in &s.lorenz {
        if points.len() > 1 {
            let gini = find_cell(
                &s.concentration,
                if dim == "provider" {
                    Dimension::Provider
                } else {
                    Dimension::Operator
                },
                w,
            )
            .and_then(|c| c.metrics.gini);
            let caption = format!(
                "Lorenz curve of {} over {dim}s (Gini {}): the further the curve sags below the diagonal, the more concentrated the {} are.",
                crate::audit::weight_words(w),
                gini.map_or("n/a".into(), |g| num(g, 3)),
                crate::audit::weight_words(w)
            );
            let rows: Vec<Vec<String>> = lorenz_rows(points)
                .into_iter()
                .map(|(x, y)| vec![pct(x), pct(y)])
                .collect();
            figure(
                o,
                &line_chart(
                    &[("Lorenz curve", points.clone())],
                    "share of entities (smallest first)",
                    "share of weight",
                    true,
                    &[],
                ),
                &caption,
                &["entities", "weight"],
                &rows,
            );
        }
    }
    for dim in [
        Dimension::Provider,
        Dimension::Operator,
        Dimension::Country,
        Dimension::Cloud,
        Dimension::GpuModel,
    ] {
        if let Some(c) = find_cell(&s.concentration, dim, w) {
            let bars: Vec<(String, f64)> = c
                .top
                .iter()
                .take(10)
                .map(|r| (r.label.clone().unwrap_or_else(|| r.key.clone()), r.share))
                .collect();
            let plural = match dim {
                Dimension::Country => "countries".to_string(),
                Dimension::GpuModel => "GPU models".to_string(),
                Dimension::Cloud => "clouds and hosting companies".to_string(),
                d => format!("{}s", d.name()),
            };
            let caption = format!(
                "Largest {plural} by {}: share of attributed weight (Nakamoto coefficient {}, HHI {}; {} unattributed).",
                w.name(),
                c.metrics
                    .nakamoto_coefficient
                    .map_or("n/a".into(), |n| n.to_string()),
                c.metrics.hhi.map_or("n/a".into(), |h| num(h, 0)),
                pct(c.unattributed_share)
            );
            bar_figure(o, &bars, &caption, dim.name());
        }
    }
    if let Some(h) = &s.hardware
        && !h.by_vendor.is_empty()
    {
        let bars: Vec<(String, f64)> = h
            .by_vendor
            .iter()
            .map(|v| (v.vendor.clone(), v.gpu_share))
            .collect();
        bar_figure(
            o,
            &bars,
            &format!(
                "GPU vendor dependency: share of the {} GPUs whose vendor is known ({} of all {} GPUs); Nvidia {} of GPU memory.",
                h.gpus - h.unknown_vendor_gpus,
                pct(h.nvidia.gpu_share.coverage),
                h.gpus,
                super::known_pct(&h.nvidia.memory_share, "vendor", "GPU memory")
            ),
            "vendor",
        );
    }
    if s.cloud.coverage > 0.0 {
        let cloud_bars: Vec<(String, f64)> = s
            .cloud
            .by_category
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        bar_figure(
            o,
            &cloud_bars,
            &format!(
                "Cloud and hosting dependency: hyperscalers, GPU clouds and hosting companies as shares of the {} whose cloud is known (known for {}).",
                crate::audit::weight_words(s.cloud.weight),
                pct(s.cloud.coverage)
            ),
            "category",
        );
    }
    if let Some(u) = &s.uptime {
        let bars: Vec<(String, f64)> = u
            .histogram
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                (
                    format!("{}–{}%", i * 10, i * 10 + 10),
                    n as f64 / u.providers.n as f64,
                )
            })
            .collect();
        bar_figure(
            o,
            &bars,
            &format!(
                "Uptime distribution ({}): share of {} providers per uptime band; mean {}, std dev {}.",
                u.windows.join("/"),
                u.providers.n,
                pct(u.providers.mean),
                pct(u.providers.std_dev)
            ),
            "uptime",
        );
    }
    if !s.pricing.is_empty() {
        price_figure(o, s);
    }
    if let Some(st) = stress {
        stress_section(o, st);
    }
    for g in grids(s) {
        let _ = write!(o, "<details><summary>{}</summary>", esc(&g.title));
        table(o, &g.header, &g.rows);
        o.push_str("</details>");
    }
}

/// The Lorenz points a table shows: all of them for small networks, else
/// every tenth with the last one always included.
pub fn lorenz_rows(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= 21 {
        return points.to_vec();
    }
    let step = points.len().div_ceil(10);
    let mut rows: Vec<(f64, f64)> = points.iter().step_by(step).copied().collect();
    if let Some(last) = points.last()
        && rows.last() != Some(last)
    {
        rows.push(*last);
    }
    rows
}

fn figure<H: AsRef<str>>(
    o: &mut String,
    svg: &str,
    caption: &str,
    header: &[H],
    rows: &[Vec<String>],
) {
    let _ = write!(
        o,
        "<figure>{svg}<figcaption>{}</figcaption><details><summary>Table</summary>",
        esc(caption)
    );
    table(o, header, rows);
    o.push_str("</details></figure>");
}

fn table<H: AsRef<str>>(o: &mut String, header: &[H], rows: &[Vec<String>]) {
    o.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(o, "<th>{}</th>", esc(h.as_ref()));
    }
    o.push_str("</tr></thead><tbody>");
    for row in rows {
        o.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let class = if i > 0 && c.chars().next().is_some_and(|ch| ch.is_ascii_digit()) {
                " class=\"n\""
            } else {
                ""
            };
            let _ = write!(o, "<td{class}>{}</td>", esc(c));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
}

fn bar_figure(o: &mut String, bars: &[(String, f64)], caption: &str, what: &str) {
    if bars.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = bars.iter().map(|(l, v)| vec![l.clone(), pct(*v)]).collect();
    figure(o, &bar_chart(bars), caption, &[what, "share"], &rows);
}

/// Horizontal bars, one per label, values in [0, 1].
fn bar_chart(bars: &[(String, f64)]) -> String {
    let (label_w, bar_w, row_h) = (260.0, 520.0, 22.0);
    let h = row_h * bars.len() as f64 + 10.0;
    let mut s = format!(
        "<svg viewBox=\"0 0 {} {h}\" role=\"img\">",
        label_w + bar_w + 70.0
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let short: String = if label.chars().count() > 30 {
            format!("{}…", label.chars().take(29).collect::<String>())
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect class=\"bar\" x=\"{label_w}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            label_w - 6.0,
            y + 15.0,
            esc(&short),
            y + 3.0,
            (v.clamp(0.0, 1.0) * bar_w).max(0.5),
            row_h - 6.0,
            label_w + v.clamp(0.0, 1.0) * bar_w + 5.0,
            y + 15.0,
            pct(*v)
        );
    }
    s.push_str("</svg>");
    s
}

/// Something drawn over a line chart, in the axes' own [0, 1] units.
pub enum Marker {
    /// A vertical line at x with a label.
    At(f64, String),
    /// A shaded band between two x values with a label (bounds, not a value).
    Band(f64, f64, String),
    /// A horizontal dashed line at y with a label.
    Level(f64, String),
}

/// Line chart on [0,1]×[0,1] of one or more named series (a legend when
/// there are several), an optional diagonal, and markers.
fn line_chart(
    series: &[(&str, Vec<(f64, f64)>)],
    x_label: &str,
    y_label: &str,
    diagonal: bool,
    markers: &[Marker],
) -> String {
    let (w, h, m) = (640.0, 320.0, 56.0);
    let px = |x: f64| m + x * (w - 2.0 * m);
    let py = |y: f64| h - m - y * (h - 2.0 * m);
    let mut s = format!("<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\">");
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            px(0.0),
            px(1.0),
            py(t),
            py(t),
            m - 6.0,
            py(t) + 4.0,
            pct(t)
        );
    }
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/><line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{3}\" y2=\"{2}\"/>",
        px(0.0),
        px(1.0),
        py(0.0),
        py(1.0)
    );
    if diagonal {
        let _ = write!(
            s,
            "<line class=\"diag\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            px(0.0),
            py(0.0),
            px(1.0),
            py(1.0)
        );
    }
    for marker in markers {
        match marker {
            Marker::Band(x0, x1, label) => {
                let _ = write!(
                    s,
                    "<rect class=\"band\" x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
                    px(*x0),
                    py(1.0),
                    (px(*x1) - px(*x0)).max(2.0),
                    py(0.0) - py(1.0),
                    px(*x0) + 4.0,
                    py(1.0) + 12.0,
                    esc(label)
                );
            }
            Marker::At(x, label) => {
                let _ = write!(
                    s,
                    "<line class=\"mark\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{3:.1}\" y=\"{4}\">{5}</text>",
                    px(*x),
                    py(0.0),
                    py(1.0),
                    px(*x) + 4.0,
                    py(1.0) + 12.0,
                    esc(label)
                );
            }
            Marker::Level(y, label) => {
                let _ = write!(
                    s,
                    "<line class=\"level\" x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1}\" y2=\"{2:.1}\"/><text x=\"{3}\" y=\"{4:.1}\" text-anchor=\"end\">{5}</text>",
                    px(0.0),
                    px(1.0),
                    py(*y),
                    px(1.0) - 4.0,
                    py(*y) - 4.0,
                    esc(label)
                );
            }
        }
    }
    for (i, (_, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
            .collect();
        let _ = write!(
            s,
            "<polyline class=\"line s{i}\" points=\"{}\"/>",
            path.join(" ")
        );
    }
    if series.len() > 1 {
        for (i, (name, _)) in series.iter().enumerate() {
            // Above the plot area, where no line or marker label runs.
            let x = m + 200.0 * i as f64;
            let _ = write!(
                s,
                "<line class=\"line s{i}\" x1=\"{0}\" x2=\"{1}\" y1=\"18\" y2=\"18\"/><text x=\"{2}\" y=\"22\">{3}</text>",
                x,
                x + 24.0,
                x + 30.0,
                esc(name)
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"10\" y=\"{}\" transform=\"rotate(-90 10 {})\" text-anchor=\"middle\">{}</text></svg>",
        w / 2.0,
        h - 10.0,
        esc(x_label),
        h / 2.0,
        h / 2.0,
        esc(y_label)
    );
    s
}

/// Box plot per GPU model of asking prices (min, p25, median, p75, max)
/// on a price axis with ticks.
fn price_figure(o: &mut String, s: &SnapshotAudit) {
    let max = s
        .pricing
        .iter()
        .map(|p| p.per_gpu_hour.max)
        .fold(0.0, f64::max)
        .max(1e-9);
    let step = nice_step(max / 4.0);
    let top = (max / step).ceil() * step;
    let (label_w, plot_w, row_h, axis_h) = (180.0, 500.0, 28.0, 40.0);
    let rows_h = row_h * s.pricing.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {} {}\" role=\"img\"><title>Asking price per GPU-hour by GPU model</title>",
        label_w + plot_w + 100.0,
        rows_h + axis_h
    );
    let x = |v: f64| label_w + v / top * plot_w;
    let currency = s.pricing.first().map_or("", |p| p.currency.as_str());
    let mut t = 0.0;
    while t <= top + step * 1e-9 {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"0\" y2=\"{1:.1}\"/><text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\">{3}</text>",
            x(t),
            rows_h,
            rows_h + 16.0,
            esc(&num(t, 3))
        );
        t += step;
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{rows_h:.1}\" y2=\"{rows_h:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        x(0.0),
        x(top),
        x(top / 2.0),
        rows_h + 34.0,
        esc(&format!("price per GPU-hour ({currency})"))
    );
    for (i, p) in s.pricing.iter().enumerate() {
        let d = &p.per_gpu_hour;
        let y = 5.0 + i as f64 * row_h;
        let mid = y + row_h / 2.0 - 2.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <line class=\"axis\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{mid:.1}\" y2=\"{mid:.1}\"/>\
             <rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>\
             <line class=\"mark\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 6.0,
            y + 16.0,
            esc(&p.gpu_model),
            x(d.min),
            x(d.max),
            x(d.p25),
            y + 6.0,
            (x(d.p75) - x(d.p25)).max(1.0),
            row_h - 12.0,
            x(d.median),
            x(d.median),
            y + 3.0,
            y + row_h - 3.0,
            x(d.max) + 5.0,
            y + 16.0,
            esc(&format!("median {} {}", num(d.median, 3), p.currency))
        );
    }
    svg.push_str("</svg>");
    let grid = super::layout::pricing(s);
    figure(
        o,
        &svg,
        "Asking price per GPU-hour by GPU model: line from minimum to maximum, box from p25 to p75, dashed mark at the median.",
        &grid.header,
        &grid.rows,
    );
}

/// A round axis step (1, 2 or 5 × 10^k) near `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The stress test of one snapshot: every part the JSON has, and the
/// resilience chart with the level and the workload Nakamoto coefficient
/// (a band when only bounds are proven, never drawn as a value).
fn stress_section(o: &mut String, st: &StressResult) {
    o.push_str("<h3>Workload stress test</h3>");
    if let Some(why) = &st.not_applicable {
        let _ = write!(o, "<p class=\"headline\">Not applicable: {}</p>", esc(why));
        return;
    }
    if let Some(r) = &st.resilience {
        resilience_figure(o, st, r);
    }
    if let Some(b) = &st.baseline {
        let rows: Vec<Vec<String>> = b
            .per_class
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.demanded_gpus.to_string(),
                    c.served_gpus.to_string(),
                    pct(c.served_fraction),
                    c.note.clone().unwrap_or_else(|| {
                        format!("{} providers can host a replica", c.hostable_providers)
                    }),
                ]
            })
            .collect();
        let _ = write!(
            o,
            "<p>Baseline: {} of the demanded GPUs served with every provider up ({}).</p>",
            pct(b.served_fraction),
            if b.exact {
                "proven optimal".to_string()
            } else {
                format!("gap {}", pct(b.gap))
            }
        );
        table(
            o,
            &[
                "class",
                "demanded GPUs",
                "served GPUs",
                "served",
                "who can host it",
            ],
            &rows,
        );
    }
    if let Some(n) = &st.workload_nakamoto {
        let cell = |r: &crate::stress::scenarios::NakamotoResult| {
            let count = |x: Option<usize>| x.map_or("n/a".to_string(), |v| v.to_string());
            vec![
                match (r.value, r.exact) {
                    (Some(v), true) => format!("{v} (exact)"),
                    (Some(_), false) => {
                        format!("{}–{} (bounds)", count(r.lower_bound), count(r.upper_bound))
                    }
                    (None, _) => "n/a".into(),
                },
                count(r.lower_bound),
                count(r.upper_bound),
                if r.exact { "yes".into() } else { "no".into() },
                r.reason.clone().unwrap_or_default(),
            ]
        };
        let rows: Vec<Vec<String>> = n
            .levels()
            .into_iter()
            .map(|(name, r)| {
                let mut row = vec![name.to_string()];
                row.extend(cell(r));
                row
            })
            .collect();
        let _ = write!(
            o,
            "<p>Workload Nakamoto coefficient: the fewest groups whose joint loss leaves less than {} of demand served.</p>",
            pct(n.level)
        );
        table(
            o,
            &[
                "lose",
                "coefficient",
                "lower bound",
                "upper bound",
                "exact",
                "why n/a",
            ],
            &rows,
        );
    }
    let _ = write!(
        o,
        "<details><summary>Every stress figure</summary><ul class=\"lines\">"
    );
    for line in super::stress::snapshot_lines(st, &|s| s.to_string()) {
        let _ = write!(o, "<li>{}</li>", esc(&line));
    }
    o.push_str("</ul></details>");
}

/// Served demand as the largest providers and operators leave, with the
/// level and the operators' workload Nakamoto coefficient marked.
fn resilience_figure(o: &mut String, st: &StressResult, r: &crate::stress::scenarios::Resilience) {
    let kmax = r.providers.len().max(r.operators.len()).max(2) - 1;
    let scale = |steps: &[crate::stress::scenarios::Step]| -> Vec<(f64, f64)> {
        steps
            .iter()
            .map(|s| (s.k as f64 / kmax as f64, s.served_fraction))
            .collect()
    };
    let mut markers = Vec::new();
    let mut coefficient = String::new();
    if let Some(n) = &st.workload_nakamoto {
        markers.push(Marker::Level(n.level, format!("level {}", pct(n.level))));
        let x = |v: usize| v.min(kmax) as f64 / kmax as f64;
        let op = &n.operators;
        coefficient = match (op.value, op.exact, op.lower_bound, op.upper_bound) {
            (Some(v), true, _, _) => {
                if v <= kmax {
                    markers.push(Marker::At(
                        x(v),
                        format!("workload Nakamoto coefficient: {v} operators (exact)"),
                    ));
                }
                format!(" The workload Nakamoto coefficient of operators is {v} (exact).")
            }
            (_, false, Some(lo), Some(hi)) => {
                if lo <= kmax {
                    markers.push(Marker::Band(
                        x(lo),
                        x(hi),
                        format!("coefficient between {lo} and {hi} operators (bounds)"),
                    ));
                }
                format!(
                    " The workload Nakamoto coefficient of operators lies between {lo} and {hi}: proven bounds, not a value."
                )
            }
            _ => format!(
                " Workload Nakamoto coefficient of operators: n/a ({}).",
                op.reason.as_deref().unwrap_or("not computed")
            ),
        };
    }
    let svg = line_chart(
        &[
            ("operators removed", scale(&r.operators)),
            ("providers removed", scale(&r.providers)),
        ],
        &format!("largest removed by {} (k = 0…{kmax})", r.by.name()),
        "served demand",
        false,
        &markers,
    );
    let rows: Vec<Vec<String>> = (0..=kmax)
        .map(|k| {
            let at = |steps: &[crate::stress::scenarios::Step]| {
                steps
                    .get(k)
                    .map_or(String::new(), |s| pct(s.served_fraction))
            };
            vec![k.to_string(), at(&r.operators), at(&r.providers)]
        })
        .collect();
    let caption = format!(
        "Resilience: share of the workload's demanded GPUs still served after removing the k largest operators and providers by {} (baseline {}).{coefficient}",
        r.by.name(),
        super::opt_pct(st.baseline.as_ref().map(|b| b.served_fraction))
    );
    figure(
        o,
        &svg,
        &caption,
        &["k", "operators removed", "providers removed"],
        &rows,
    );
}

fn methodology(o: &mut String, r: &FullReport) {
    o.push_str("<h2>Methodology</h2><ul class=\"lines\">");
    for line in super::full::methodology_lines(r) {
        let _ = write!(o, "<li>{}</li>", esc(&line));
    }
    o.push_str(
        "</ul><table><thead><tr><th>input</th><th>kind</th><th>sha256</th></tr></thead><tbody>",
    );
    for i in &r.inputs {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&i.location),
            esc(&i.adapter),
            esc(&i.sha256)
        );
    }
    o.push_str("</tbody></table>");
}
