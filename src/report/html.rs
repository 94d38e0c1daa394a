//! Self-contained HTML exporter: one file with inline CSS and inline SVG
//! charts drawn here (no scripts, fonts or network), readable in light and
//! dark mode and printable. Every chart has a caption and a table fallback;
//! every string from the data is escaped.

use super::escape::html as esc;
use super::full::FullReport;
use super::layout::{grids, league, summary_lines};
use super::{num, pct};
use crate::audit::{Dimension, SnapshotAudit, find_cell};
use crate::stress::scenarios::StressResult;
use std::fmt::Write;

const CSS: &str = "
:root{--fg:#1b1f24;--bg:#ffffff;--muted:#5b6570;--accent:#2563eb;--accent2:#b45309;--grid:#d8dee4;--card:#f6f8fa;--high:#b42318;--moderate:#8a5300;--low:#166534}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9aa5b1;--accent:#60a5fa;--accent2:#fbbf24;--grid:#30363d;--card:#161b22;--high:#ff9b8f;--moderate:#fbbf24;--low:#6ee7a0}}
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);max-width:1100px;margin:2em auto;padding:0 1.2em}
h1{font-size:1.8em;margin-bottom:.2em}h2{border-bottom:2px solid var(--grid);padding-bottom:.2em;margin-top:2.2em;overflow-wrap:anywhere}h4{margin:0 0 .4em}
a{color:var(--accent)}
.meta,.caption,figcaption{color:var(--muted);font-size:.9em;overflow-wrap:anywhere}
.headline{background:var(--card);border-left:4px solid var(--accent);padding:.8em 1em;font-weight:600}
figure{margin:1.2em 0;background:var(--card);padding:1em;border-radius:6px;break-inside:avoid}
.scroll{overflow-x:auto;max-width:100%}
svg{max-width:100%;height:auto}svg.chart{max-width:520px;width:100%;display:block}svg text{fill:var(--fg);font-size:13px}svg .axis{stroke:var(--muted)}svg .grid{stroke:var(--grid)}
svg .bar{fill:var(--accent)}svg .line{fill:none;stroke:var(--accent);stroke-width:2.5}svg .diag{stroke:var(--muted);stroke-dasharray:4 4}
svg .mark{stroke:var(--fg);stroke-width:1.5;stroke-dasharray:2 3}
svg .s1{stroke:var(--accent2);stroke-dasharray:7 4}svg .level{stroke:var(--muted);stroke-dasharray:2 4}svg .band{fill:var(--accent2);opacity:.2}
table{border-collapse:collapse;width:100%;font-size:.85em;margin:.5em 0}th,td{border-bottom:1px solid var(--grid);padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:break-word}th{min-width:4.5em}
td.n{text-align:right;font-variant-numeric:tabular-nums}ul.lines li{margin:.15em 0}p,li{overflow-wrap:anywhere}
table.card td:first-child{font-weight:600}
.verdict{font-weight:700;white-space:nowrap;border-left:4px solid currentColor;padding-left:.4em}
.v-high{color:var(--high)}.v-moderate{color:var(--moderate)}.v-low{color:var(--low)}.v-not-disclosed,.v-not-measured{color:var(--muted);font-weight:400;border-left-style:dotted}
details summary{cursor:pointer;color:var(--muted)}code{font-size:.85em;word-break:break-all}
nav ol{padding-left:1.4em}
@media (max-width:600px){body{margin:1em auto;padding:0 .6em;font-size:14px}figure{padding:.5em;margin:1em 0}table{font-size:.8em}th,td{padding:.2em .3em}table.card,table.card tbody,table.card tr,table.card td{display:block;width:auto}table.card thead{display:none}table.card tr{border-bottom:2px solid var(--grid);padding:.4em 0}table.card td{border:none;padding:.1em 0}table.card td:nth-child(3)::before{content:'value: ';color:var(--muted)}table.card td:nth-child(4)::before{content:'rests on: ';color:var(--muted)}}
@media print{body{max-width:none;margin:0}details{display:block}details>*{display:block}figure{background:none;border:1px solid #ccc}.scroll{overflow:visible}}
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
    contents(&mut o, &r.audit.snapshots, &r.audit.league);
    for (i, s) in r.audit.snapshots.iter().enumerate() {
        snapshot(
            &mut o,
            i,
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

/// The section heading of a snapshot: network and time.
fn title(s: &SnapshotAudit) -> String {
    match &s.taken_at {
        Some(t) => format!("{} · {t}", s.network),
        None => s.network.clone(),
    }
}

/// For several snapshots: the league table (pre-sorted: no scripts) and
/// the table of contents, each network linking to its section.
fn contents(o: &mut String, snapshots: &[SnapshotAudit], rows: &[super::league::LeagueRow]) {
    if snapshots.len() < 2 {
        return;
    }
    let (g, order) = league(rows);
    let _ = write!(
        o,
        "<h2 id=\"league\">League table</h2><p class=\"caption\">One row per snapshot, sorted by {}. Coalitions are counted at each network's own profile threshold (shown in brackets) on the weight in the second column; shares are of the part whose field is known (see each card for coverage).</p>",
        esc(super::league::SORTED_BY)
    );
    table_of(o, "", &g.header, &g.rows, |o, r, k, c| {
        if k == 0 {
            let _ = write!(o, "<td><a href=\"#net-{}\">{}</a></td>", order[r], esc(c));
        } else {
            let _ = write!(o, "<td>{}</td>", esc(c));
        }
    });
    o.push_str("<nav aria-label=\"contents\"><h2>Contents</h2><ol>");
    for (i, s) in snapshots.iter().enumerate() {
        let _ = write!(o, "<li><a href=\"#net-{i}\">{}</a></li>", esc(&title(s)));
    }
    o.push_str("<li><a href=\"#methodology\">Methodology</a></li></ol></nav>");
}

/// The disclosure card: the layout's grid, with each verdict as a word
/// and a colour (its band rule as a tooltip).
fn card(o: &mut String, s: &SnapshotAudit) {
    let Some(d) = &s.disclosure else { return };
    let g = super::layout::disclosure(s);
    let _ = write!(
        o,
        "<h3>Disclosure card</h3><p class=\"caption\">{}Shares of {} unless a row says otherwise. Verdict bands and their sources: METHODOLOGY.md, “The disclosure card”.</p>",
        s.note.as_deref().map_or(String::new(), |n| format!(
            "<strong>What the data is:</strong> {}<br>",
            esc(n)
        )),
        esc(crate::audit::weight_words(d.weight))
    );
    table_of(o, " class=\"card\"", &g.header, &g.rows, |o, r, k, c| {
        if k == 1 {
            let _ = write!(
                o,
                "<td><span class=\"verdict v-{}\" title=\"{}\">{}</span></td>",
                c.replace(' ', "-"),
                esc(d.items[r].band_rule),
                esc(c)
            );
        } else {
            let _ = write!(o, "<td>{}</td>", esc(c));
        }
    });
}

fn snapshot(o: &mut String, index: usize, s: &SnapshotAudit, stress: Option<&StressResult>) {
    let _ = write!(o, "<section id=\"net-{index}\"><h2>{}</h2>", esc(&title(s)));
    card(o, s);
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
    if let Some(st) = stress {
        stress_section(o, st);
    }
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
            let title = format!(
                "Lorenz curve of {} over {dim}s",
                crate::audit::weight_words(w)
            );
            figure(
                o,
                &title,
                &line_chart(
                    &title,
                    &[("Lorenz curve (this network)", points.clone())],
                    &Axes {
                        x_label: &format!("share of {dim}s, smallest first (%)"),
                        y_label: &format!("share of {} (%)", crate::audit::weight_words(w)),
                        x_ticks: share_ticks(),
                    },
                    Some("perfect equality"),
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
            let words = crate::audit::weight_words(w);
            bar_figure(
                o,
                &format!("Largest {plural} by {words}"),
                &bars,
                &format!("share of attributed {words} (%)"),
                &caption,
            );
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
            "GPU vendors",
            &bars,
            "share of GPUs whose vendor is known (%)",
            &format!(
                "GPU vendor dependency: share of the {} GPUs whose vendor is known ({} of all {} GPUs); Nvidia {} of GPU memory.",
                h.gpus - h.unknown_vendor_gpus,
                pct(h.nvidia.gpu_share.coverage),
                h.gpus,
                super::known_pct(&h.nvidia.memory_share, "vendor", "GPU memory")
            ),
        );
    }
    if s.cloud.coverage > 0.0 {
        let cloud_bars: Vec<(String, f64)> = s
            .cloud
            .by_category
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let words = crate::audit::weight_words(s.cloud.weight);
        bar_figure(
            o,
            "Cloud and hosting categories",
            &cloud_bars,
            &format!("share of {words} whose cloud is known (%)"),
            &format!(
                "Cloud and hosting dependency: hyperscalers, GPU clouds and hosting companies as shares of the {} whose cloud is known (known for {}).",
                crate::audit::weight_words(s.cloud.weight),
                pct(s.cloud.coverage)
            ),
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
            "Uptime of providers",
            &bars,
            "share of providers with a known uptime (%)",
            &format!(
                "Uptime distribution ({}): share of {} providers per uptime band; mean {}, std dev {}.",
                u.windows.join("/"),
                u.providers.n,
                pct(u.providers.mean),
                pct(u.providers.std_dev)
            ),
        );
    }
    if !s.pricing.is_empty() {
        price_figure(o, s);
    }
    for g in grids(s) {
        let _ = write!(o, "<details><summary>{}</summary>", esc(&g.title));
        table(o, &g.header, &g.rows);
        o.push_str("</details>");
    }
    o.push_str("</section>");
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

/// A chart with its visible title, caption and table fallback.
fn figure<H: AsRef<str>>(
    o: &mut String,
    title: &str,
    svg: &str,
    caption: &str,
    header: &[H],
    rows: &[Vec<String>],
) {
    let _ = write!(
        o,
        "<figure><h4>{}</h4>{svg}<figcaption>{}</figcaption><details><summary>Table</summary>",
        esc(title),
        esc(caption)
    );
    table(o, header, rows);
    o.push_str("</details></figure>");
}

/// A data table: numbers (cells after the first starting with a digit)
/// right-aligned.
fn table<H: AsRef<str>>(o: &mut String, header: &[H], rows: &[Vec<String>]) {
    table_of(o, "", header, rows, |o, _, k, c| {
        let class = if k > 0 && c.chars().next().is_some_and(|ch| ch.is_ascii_digit()) {
            " class=\"n\""
        } else {
            ""
        };
        let _ = write!(o, "<td{class}>{}</td>", esc(c));
    });
}

/// A table in a scroll container; `attrs` go on the `<table>` tag and
/// `cell(o, row, column, text)` writes each `<td>`.
fn table_of<H: AsRef<str>>(
    o: &mut String,
    attrs: &str,
    header: &[H],
    rows: &[Vec<String>],
    cell: impl Fn(&mut String, usize, usize, &str),
) {
    let _ = write!(o, "<div class=\"scroll\"><table{attrs}><thead><tr>");
    for h in header {
        let _ = write!(o, "<th>{}</th>", esc(h.as_ref()));
    }
    o.push_str("</tr></thead><tbody>");
    for (r, row) in rows.iter().enumerate() {
        o.push_str("<tr>");
        for (k, c) in row.iter().enumerate() {
            cell(o, r, k, c);
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>");
}

/// A bar chart of shares with its title, axis label and table.
fn bar_figure(o: &mut String, title: &str, bars: &[(String, f64)], axis: &str, caption: &str) {
    if bars.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = bars.iter().map(|(l, v)| vec![l.clone(), pct(*v)]).collect();
    figure(
        o,
        title,
        &bar_chart(title, bars, axis),
        caption,
        &["", "share"],
        &rows,
    );
}

/// Chart width in SVG units: narrow enough that 13-unit text stays
/// legible when a phone (375 px) scales the chart down.
const CHART_W: f64 = 400.0;

/// Horizontal bars of shares in [0, 1]: the label above each bar, the
/// value at its end, and a share axis with ticks below.
fn bar_chart(title: &str, bars: &[(String, f64)], axis: &str) -> String {
    let (left, right, row_h, top) = (16.0, 56.0, 36.0, 4.0);
    let plot_w = CHART_W - left - right;
    let rows_h = top + row_h * bars.len() as f64;
    let h = rows_h + 44.0;
    let x = |v: f64| left + v.clamp(0.0, 1.0) * plot_w;
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {CHART_W} {h}\" role=\"img\"><title>{}</title>",
        esc(title)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{rows_h:.1}\"/><text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\">{2}</text>",
            x(t),
            rows_h + 16.0,
            tick_pct(t)
        );
    }
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let _ = write!(
            s,
            "<text x=\"{left}\" y=\"{:.1}\">{}</text><rect class=\"bar\" x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            y + 13.0,
            esc(&crate::text::truncate(label, 40)),
            y + 18.0,
            (x(*v) - left).max(0.5),
            x(*v) + 4.0,
            y + 29.0,
            pct(*v)
        );
    }
    let _ = write!(
        s,
        "<line class=\"axis\" x1=\"{left}\" x2=\"{:.1}\" y1=\"{rows_h:.1}\" y2=\"{rows_h:.1}\"/><text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></svg>",
        x(1.0),
        x(0.5),
        rows_h + 36.0,
        esc(axis)
    );
    s
}

/// `0%`, `25%`, `100%`: tick labels without decimals.
fn tick_pct(t: f64) -> String {
    format!("{}%", num(t * 100.0, 0))
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

/// A line chart's axes: labels with units, and the x ticks (position in
/// [0, 1], label); the y axis is a share with ticks every 25%.
struct Axes<'a> {
    x_label: &'a str,
    y_label: &'a str,
    x_ticks: Vec<(f64, String)>,
}

/// Ticks every 25% for an x axis of shares.
fn share_ticks() -> Vec<(f64, String)> {
    [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|&t| (t, tick_pct(t)))
        .collect()
}

/// Line chart on [0,1]×[0,1] of one or more named series (a legend when
/// there are several; the second series is dashed, so colour is never
/// the only cue), an optional diagonal, and markers.
fn line_chart(
    title: &str,
    series: &[(&str, Vec<(f64, f64)>)],
    axes: &Axes<'_>,
    diagonal: Option<&str>,
    markers: &[Marker],
) -> String {
    let (w, h) = (CHART_W, 300.0);
    let (left, right, top, bottom) = (60.0, 24.0, 50.0, 52.0);
    let px = |x: f64| left + x * (w - left - right);
    let py = |y: f64| h - bottom - y * (h - top - bottom);
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\"><title>{}</title>",
        esc(title)
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            px(0.0),
            px(1.0),
            py(t),
            py(t),
            left - 5.0,
            py(t) + 4.0,
            tick_pct(t)
        );
    }
    for (x, label) in &axes.x_ticks {
        let _ = write!(
            s,
            "<line class=\"axis\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1:.1}\" y2=\"{2:.1}\"/><text x=\"{0:.1}\" y=\"{3:.1}\" text-anchor=\"middle\">{4}</text>",
            px(*x),
            py(0.0),
            py(0.0) + 5.0,
            py(0.0) + 18.0,
            esc(label)
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
    let mut legend: Vec<(String, &str)> = Vec::new();
    if let Some(name) = diagonal {
        let _ = write!(
            s,
            "<line class=\"diag\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            px(0.0),
            py(0.0),
            px(1.0),
            py(1.0)
        );
        legend.push((name.to_string(), "diag"));
    }
    // A marker's label runs to the side with room.
    let side = |x: f64| {
        if x > 0.45 {
            (px(x) - 4.0, "end")
        } else {
            (px(x) + 4.0, "start")
        }
    };
    for marker in markers {
        match marker {
            Marker::Band(x0, x1, label) => {
                let (tx, anchor) = side(*x0);
                let _ = write!(
                    s,
                    "<rect class=\"band\" x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"/><text x=\"{tx:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                    px(*x0),
                    py(1.0),
                    (px(*x1) - px(*x0)).max(2.0),
                    py(0.0) - py(1.0),
                    py(1.0) + 14.0,
                    esc(label)
                );
            }
            Marker::At(x, label) => {
                let (tx, anchor) = side(*x);
                let _ = write!(
                    s,
                    "<line class=\"mark\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\"/><text x=\"{tx:.1}\" y=\"{3}\" text-anchor=\"{anchor}\">{4}</text>",
                    px(*x),
                    py(0.0),
                    py(1.0),
                    py(1.0) + 14.0,
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
    for (i, (name, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
            .collect();
        let _ = write!(
            s,
            "<polyline class=\"line s{i}\" points=\"{}\"/>",
            path.join(" ")
        );
        legend.insert(
            i,
            (name.to_string(), if i == 0 { "line s0" } else { "line s1" }),
        );
    }
    if legend.len() > 1 {
        // Above the plot area, where no line or marker label runs: one
        // entry per row, so long names never collide.
        for (i, (name, class)) in legend.iter().enumerate() {
            let y = 14.0 + 16.0 * i as f64;
            let _ = write!(
                s,
                "<line class=\"{class}\" x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{}\" y=\"{:.1}\">{}</text>",
                left + 26.0,
                y - 4.0,
                y - 4.0,
                left + 32.0,
                y,
                esc(name)
            );
        }
    }
    let _ = write!(
        s,
        "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text class=\"axis-label\" x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text></svg>",
        px(0.5),
        h - 10.0,
        esc(axes.x_label),
        py(0.5),
        py(0.5),
        esc(axes.y_label)
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
    let title = "Asking price per GPU-hour by GPU model";
    let (left, right, row_h, top_pad) = (16.0, 24.0, 40.0, 4.0);
    let plot_w = CHART_W - left - right;
    let rows_h = top_pad + row_h * s.pricing.len() as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {CHART_W} {}\" role=\"img\"><title>{title}</title>",
        rows_h + 44.0
    );
    let x = |v: f64| left + v / top * plot_w;
    let currency = s.pricing.first().map_or("", |p| p.currency.as_str());
    let mut t = 0.0;
    while t <= top + step * 1e-9 {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top_pad}\" y2=\"{1:.1}\"/><text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\">{3}</text>",
            x(t),
            rows_h,
            rows_h + 16.0,
            esc(&num(t, 3))
        );
        t += step;
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{rows_h:.1}\" y2=\"{rows_h:.1}\"/><text class=\"axis-label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        x(0.0),
        x(top),
        x(top / 2.0),
        rows_h + 36.0,
        esc(&format!("price per GPU-hour ({currency})"))
    );
    for (i, p) in s.pricing.iter().enumerate() {
        let d = &p.per_gpu_hour;
        let y = top_pad + i as f64 * row_h;
        let mid = y + 27.0;
        let _ = write!(
            svg,
            "<text x=\"{left}\" y=\"{:.1}\">{}</text>\
             <line class=\"axis\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{mid:.1}\" y2=\"{mid:.1}\"/>\
             <rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\"/>\
             <line class=\"mark\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            y + 13.0,
            esc(&format!(
                "{}: median {} {}",
                crate::text::truncate(&p.gpu_model, 28),
                num(d.median, 3),
                p.currency
            )),
            x(d.min),
            x(d.max),
            x(d.p25),
            mid - 6.0,
            (x(d.p75) - x(d.p25)).max(1.0),
            x(d.median),
            x(d.median),
            mid - 9.0,
            mid + 9.0,
        );
    }
    svg.push_str("</svg>");
    let grid = super::layout::pricing(s);
    figure(
        o,
        title,
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
                    markers.push(Marker::At(x(v), format!("workload Nakamoto = {v}")));
                }
                format!(" The workload Nakamoto coefficient of operators is {v} (exact).")
            }
            (_, false, Some(lo), Some(hi)) => {
                if lo <= kmax {
                    markers.push(Marker::Band(
                        x(lo),
                        x(hi),
                        format!("workload Nakamoto {lo}–{hi}"),
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
    let title = "Served demand as the largest operators and providers leave";
    let every = kmax.div_ceil(10).max(1);
    let svg = line_chart(
        title,
        &[
            ("k largest operators removed", scale(&r.operators)),
            ("k largest providers removed (dashed)", scale(&r.providers)),
        ],
        &Axes {
            x_label: &format!("k: largest removed, ranked by {}", r.by.name()),
            y_label: "demanded GPUs served (%)",
            x_ticks: (0..=kmax)
                .step_by(every)
                .map(|k| (k as f64 / kmax as f64, k.to_string()))
                .collect(),
        },
        None,
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
        title,
        &svg,
        &caption,
        &["k", "operators removed", "providers removed"],
        &rows,
    );
}

fn methodology(o: &mut String, r: &FullReport) {
    o.push_str("<h2 id=\"methodology\">Methodology</h2><ul class=\"lines\">");
    for line in super::full::methodology_lines(r) {
        let _ = write!(o, "<li>{}</li>", esc(&line));
    }
    o.push_str(
        "</ul><div class=\"scroll\"><table><thead><tr><th>input</th><th>kind</th><th>sha256</th></tr></thead><tbody>",
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
    o.push_str("</tbody></table></div>");
}

#[cfg(test)]
mod tests {
    /// The colour variables of one `:root{…}` block of the style sheet.
    fn palette(block: &str) -> std::collections::BTreeMap<String, [f64; 3]> {
        let body = &block[block.find(":root{").unwrap() + 6..];
        let body = &body[..body.find('}').unwrap()];
        body.split(';')
            .filter_map(|decl| {
                let (name, hex) = decl.trim().strip_prefix("--")?.split_once(":#")?;
                let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64;
                Some((name.to_string(), [channel(0), channel(2), channel(4)]))
            })
            .collect()
    }

    /// WCAG 2.x relative luminance and contrast ratio.
    fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
        let lum = |c: [f64; 3]| {
            let lin = |v: f64| {
                let s = v / 255.0;
                if s <= 0.03928 {
                    s / 12.92
                } else {
                    ((s + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn colours_pass_wcag_aa_in_light_and_dark_mode() {
        let dark_at = super::CSS.find("prefers-color-scheme:dark").unwrap();
        for (mode, block) in [
            ("light", &super::CSS[..dark_at]),
            ("dark", &super::CSS[dark_at..]),
        ] {
            let p = palette(block);
            for bg in ["bg", "card"] {
                // Text: 4.5:1 (AA, normal size).
                for fg in ["fg", "muted", "accent", "high", "moderate", "low"] {
                    let c = contrast(p[fg], p[bg]);
                    assert!(c >= 4.5, "{mode}: {fg} on {bg} is {c:.2}:1");
                }
                // Bars, lines and marks: 3:1 (AA, graphical objects).
                for fg in ["accent", "accent2"] {
                    let c = contrast(p[fg], p[bg]);
                    assert!(c >= 3.0, "{mode}: {fg} on {bg} is {c:.2}:1");
                }
            }
        }
    }
}
