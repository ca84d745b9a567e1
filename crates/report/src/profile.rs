//! The profile chart: one city's strengths and weaknesses, domain by domain and indicator by
//! indicator, against the peers ranked that year and the city ranked first.

use healthy_city_model::{Catalogue, Level};
use healthy_city_score::{quantile, Results};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::{Focus, Year};
use crate::format::{fit_lines, ordinal, width};
use crate::frame::{axis, frame, Line};
use crate::style::{
    anchored, okabe_ito, register_fonts, text, unit, HouseStyle, Ticked, GREY, INK, MUTED, RULE,
};

const CHART: &str = ProfileChart::NAME;

/// The middle half of the peers: a light grey band.
const BAND: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);

/// The profile chart: a row per domain (bold) and per indicator beneath it (a domain of one
/// indicator is one row, naming both; a flat framework's indicators a row each), on the
/// normalised scale the index aggregates (`methods.scale`, e.g. 0-1, when every value is
/// inside it); on each row the ranked cities' full range (thin grey line),
/// their middle half (thick grey bar) and median (dark tick), the city ranked first in the
/// index (orange ring) and the city profiled (blue dot), with the city's score and rank on
/// that row at the right. Indicators measured for the country or the region rather than the
/// city are marked "— national" or "— regional" (the catalogue's `level`).
#[derive(Debug, Clone, Copy)]
pub struct ProfileChart<'a> {
    /// The results drawn.
    pub results: &'a Results,
    /// The city profiled.
    pub city: Focus,
    /// The year (it must be a ranked year of the results).
    pub year: Year,
    /// The catalogue: an indicator measured for the country or the region (`level`), not the
    /// city, says so on its row.
    pub catalogue: &'a Catalogue,
    /// Source footnote.
    pub source: &'a str,
}

/// One row: a domain (a child of the index) or an indicator under it.
struct Row {
    node: usize,
    domain: bool,
    /// The indicator whose values the row shows: the row's own node for an indicator (under
    /// a domain, or directly under the index in a flat framework), the one indicator of a
    /// domain that has only one (its row stands for both: the two would be identical), none
    /// for a domain of several.
    indicator: Option<usize>,
}

/// The domains in framework order, each followed by the indicators beneath it (at any depth).
fn rows(results: &Results) -> Vec<Row> {
    let under = |node: usize, domain: usize| {
        let mut at = Some(node);
        while let Some(n) = at {
            if n == domain {
                return true;
            }
            at = results.nodes[n].parent;
        }
        false
    };
    let mut rows = Vec::new();
    for d in results.domains() {
        if results.nodes[d].is_indicator {
            rows.push(Row {
                node: d,
                domain: true,
                indicator: Some(d),
            });
            continue;
        }
        let beneath: Vec<usize> = (0..results.nodes.len())
            .filter(|&n| results.nodes[n].is_indicator && n != d && under(n, d))
            .collect();
        if let [only] = beneath[..] {
            rows.push(Row {
                node: d,
                domain: true,
                indicator: Some(only),
            });
            continue;
        }
        rows.push(Row {
            node: d,
            domain: true,
            indicator: None,
        });
        rows.extend(beneath.into_iter().map(|node| Row {
            node,
            domain: false,
            indicator: Some(node),
        }));
    }
    rows
}

/// The ranked cities' scores on a node, sorted, NaN left out.
fn peers(results: &Results, y: usize, node: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..results.cities.len())
        .filter(|&c| results.is_ranked(y, c))
        .map(|c| results.score(y, c, node))
        .filter(|s| s.is_finite())
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// A node's display name (whole: charts shorten it with an ellipsis where it does not fit),
/// or its id.
fn name(results: &Results, node: usize) -> &str {
    let n = &results.nodes[node];
    match n.name.trim() {
        "" => &n.id,
        name => name,
    }
}

/// The names of the indicators (each row's, see [`Row::indicator`]) where the city's rank is
/// in the top (`best`) or bottom quarter of the cities ranked on it (`peers`: each row's, as
/// [`peers`] gives them).
fn quarter(
    results: &Results,
    y: usize,
    c: usize,
    rows: &[Row],
    peers: &[Vec<f64>],
    best: bool,
) -> Vec<String> {
    rows.iter()
        .zip(peers)
        .filter_map(|(r, peers)| {
            let i = r.indicator?;
            let rank = f64::from(results.rank(y, c, i)?);
            let n = peers.len() as f64;
            let hit = if best {
                rank <= (n / 4.0).max(1.0)
            } else {
                rank > 0.75 * n && n >= 4.0
            };
            hit.then(|| name(results, i).to_string())
        })
        .collect()
}

/// The indicators where the city ranks best and worst (the first in row order on a tie), with
/// their ranks: `None` without two ranked indicators of different ranks.
fn extremes(results: &Results, y: usize, c: usize, rows: &[Row]) -> Option<[(String, u32); 2]> {
    let ranked: Vec<(usize, u32)> = rows
        .iter()
        .filter_map(|r| {
            let i = r.indicator?;
            Some((i, results.rank(y, c, i)?))
        })
        .collect();
    let best = ranked.iter().min_by_key(|&&(_, k)| k)?;
    let worst = ranked.iter().rev().max_by_key(|&&(_, k)| k)?;
    (best.1 != worst.1).then(|| {
        [
            (name(results, best.0).to_string(), best.1),
            (name(results, worst.0).to_string(), worst.1),
        ]
    })
}

/// Pixel size of the chart: 1600 wide, tall enough for the title, the subtitle and the
/// footnote (their lines estimated from their lengths) and about 62 pixels a row (two lines of
/// a label), at least 700.
fn profile_size(chart: &ProfileChart<'_>) -> (u32, u32) {
    let results = chart.results;
    let rows = rows(results);
    let lines = |s: &str, per_line: usize| s.chars().count().div_ceil(per_line).max(1);
    let mut header = 48 * lines(&results.index_name, 40) + 27 * lines(chart.source, 125);
    if let (Ok(y), Ok(c)) = (
        chart.year.ranked_slot(results),
        chart.city.within(results.cities.len(), CHART),
    ) {
        let leader = (0..results.cities.len())
            .find(|&k| results.rank(y, k, results.root) == Some(1))
            .unwrap_or(c);
        let peers: Vec<Vec<f64>> = rows.iter().map(|r| peers(results, y, r.node)).collect();
        for line in subtitle(chart, y, c, leader, &rows, &peers) {
            header += 36 * lines(&line.text, 95);
        }
    }
    let h = 240 + header + 62 * rows.len();
    (1600, u32::try_from(h).unwrap_or(u32::MAX).max(700))
}

impl Chart for ProfileChart<'_> {
    const NAME: &'static str = "profile";

    /// 1600 wide, about 62 pixels a domain or indicator beneath the title and subtitle (at
    /// least 700).
    fn size(&self) -> (u32, u32) {
        profile_size(self)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

/// Decimals of values on an axis of `span`: 1 for 100, 3 for 1 (as [`score_decimals`]
/// gives for a scale).
///
/// [`score_decimals`]: crate::score_decimals
fn span_decimals(span: f64) -> usize {
    if span.is_finite() && span > 0.0 {
        // Clamped to 0..=6 before the conversion: no truncation or sign loss.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let d = (3.0 - span.log10().round()).clamp(0.0, 6.0) as usize;
        d
    } else {
        1
    }
}

/// The x axis: the scale of the index (`methods.scale`) when every value drawn is inside it,
/// else the values' range padded; with its description.
fn x_range(results: &Results, y: usize, c: usize, rows: &[Row]) -> Result<(f64, f64, String)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in rows {
        for k in 0..results.cities.len() {
            let s = results.score(y, k, r.node);
            if s.is_finite() && (results.is_ranked(y, k) || k == c) {
                lo = lo.min(s);
                hi = hi.max(s);
            }
        }
    }
    let [a, b] = results.scale;
    let (l, u) = (a.min(b), a.max(b));
    let (x0, x1, desc) = if u > l && (!lo.is_finite() || (lo >= l && hi <= u)) {
        (
            l,
            u,
            format!("Normalised score ({l}-{u} scale, higher is healthier)"),
        )
    } else if lo.is_finite() {
        let pad = 0.04 * (hi - lo).max(1e-9);
        (
            lo - pad,
            hi + pad,
            String::from("Normalised score (higher is healthier)"),
        )
    } else {
        (
            0.0,
            1.0,
            String::from("Normalised score (higher is healthier)"),
        )
    };
    let r = axis(CHART, "score", x0, x1)?;
    Ok((r.start, r.end, desc))
}

/// One line of a row's label: its text, bold or not, indented or not.
struct LabelLine {
    text: String,
    bold: bool,
    indent: bool,
}

/// A row's label: a domain's name in bold (a one-indicator domain's indicator beneath it,
/// indented), an indicator's indented; "— national" and "— imputed" marks; each name on at
/// most two lines of `max` pixels (one each in a one-indicator domain's row), an ellipsis
/// where it does not fit.
#[allow(clippy::too_many_arguments)]
fn label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ProfileChart<'_>,
    y: usize,
    c: usize,
    row: &Row,
    styles: [&TextStyle; 2],
    max: i32,
    indent: i32,
) -> Result<Vec<LabelLine>>
where
    DB::ErrorType: 'static,
{
    let results = chart.results;
    let indicator_text = |i: usize| {
        let base = name(results, i);
        match level(chart, y, c, i) {
            Some(Level::National) => format!("{base} \u{2014} national"),
            Some(Level::Region) => format!("{base} \u{2014} regional"),
            _ => base.to_string(),
        }
    };
    let lines = |s: &str, bold: bool, indented: bool, n: usize| -> Result<Vec<LabelLine>> {
        let style = styles[usize::from(!bold)];
        let room = if indented { max - indent } else { max };
        Ok(fit_lines(area, s, style, room, n, CHART)?
            .into_iter()
            .map(|text| LabelLine {
                text,
                bold,
                indent: indented,
            })
            .collect())
    };
    if !row.domain {
        let i = row.indicator.unwrap_or(row.node);
        return lines(&indicator_text(i), false, true, 2);
    }
    let mut domain = name(results, row.node).to_string();
    if results.group_imputed(y, c, row.node) {
        domain.push_str(" \u{2014} imputed");
    }
    match row.indicator {
        Some(i) if i == row.node => lines(&indicator_text(i), false, false, 2),
        Some(i) => {
            let mut out = lines(&domain, true, false, 1)?;
            out.extend(lines(&indicator_text(i), false, true, 1)?);
            Ok(out)
        }
        None => lines(&domain, true, false, 2),
    }
}

/// The subtitle: the city's rank and the share of its score resting on national values, how
/// to read a row, the strengths and weaknesses (the indicators in the top and bottom
/// quarters, or the best and worst ranked when none is), and the marks used.
/// The level of indicator node `i`'s value shown for city `c` in year slot `y`: the
/// catalogue's, or where the indicator has several sources the value's own.
fn level(chart: &ProfileChart<'_>, y: usize, c: usize, i: usize) -> Option<Level> {
    let indicator = chart.catalogue.get(&chart.results.nodes[i].id)?;
    indicator.shown_level(chart.results.node_level(y, c, i)?)
}

fn subtitle(
    chart: &ProfileChart<'_>,
    y: usize,
    c: usize,
    leader: usize,
    rows: &[Row],
    peers: &[Vec<f64>],
) -> Vec<Line> {
    let results = chart.results;
    let n_ranked = results.n_ranked(y);
    let city_name = &results.city_names[c];
    let leader_name = &results.city_names[leader];
    let year = results.years[y];
    let units = &results.units;
    let rank_text = results.rank(y, c, results.root).map_or_else(
        || format!("{city_name} is not ranked in {year} (too little data)"),
        |r| format!("{city_name} ranks {} of {n_ranked}", ordinal(r)),
    );
    let (proxy, region) = (results.proxy_share(y, c), results.region_share(y, c));
    let share = |x: f64| x.is_finite() && x > 0.0;
    let proxy_text = match (share(proxy), share(region)) {
        (true, true) => format!(
            "; {:.0}% of its score rests on national and {:.0}% on regional values standing in for the city",
            100.0 * proxy,
            100.0 * region
        ),
        (true, false) => format!(
            "; {:.0}% of its score rests on national values standing in for the city",
            100.0 * proxy
        ),
        (false, true) => format!(
            "; {:.0}% of its score rests on regional values standing in for the city",
            100.0 * region
        ),
        (false, false) => String::new(),
    };
    let mut subtitle = vec![
        Line::plain(format!(
            "{rank_text}{proxy_text}. Each row: the normalised score the index aggregates. Grey: the {n_ranked} {units} ranked (line: full range; band: middle half; tick: median)."
        )),
        Line::plain(format!(
            "Blue dot: {city_name}; orange ring: {leader_name}, first in the index. Right: {city_name}'s score and rank on the row."
        )),
    ];
    let strong = quarter(results, y, c, rows, peers, true);
    let weak = quarter(results, y, c, rows, peers, false);
    if !strong.is_empty() {
        subtitle.push(Line {
            text: format!("Strengths (top quarter): {}.", strong.join("; ")),
            color: okabe_ito::BLUE,
            bold: true,
        });
    }
    if !weak.is_empty() {
        subtitle.push(Line {
            text: format!("Weaknesses (bottom quarter): {}.", weak.join("; ")),
            color: okabe_ito::VERMILLION,
            bold: true,
        });
    }
    if strong.is_empty() && weak.is_empty() {
        if let Some([(best, b), (worst, w)]) = extremes(results, y, c, rows) {
            subtitle.push(Line {
                text: format!(
                    "Strongest: {best} ({}); weakest: {worst} ({}).",
                    ordinal(b),
                    ordinal(w)
                ),
                color: INK,
                bold: true,
            });
        }
    }
    let marked = |l: Level| {
        rows.iter().any(|r| {
            r.indicator
                .is_some_and(|i| level(chart, y, c, i) == Some(l))
        })
    };
    match (marked(Level::National), marked(Level::Region)) {
        (true, true) => subtitle.push(Line::plain(String::from(
            "\u{2014} national, \u{2014} regional: a national or regional value standing in for the city.",
        ))),
        (true, false) => subtitle.push(Line::plain(String::from(
            "\u{2014} national: a national value standing in for the city.",
        ))),
        (false, true) => subtitle.push(Line::plain(String::from(
            "\u{2014} regional: a regional value standing in for the city.",
        ))),
        (false, false) => {}
    }
    if rows
        .iter()
        .any(|r| r.domain && results.group_imputed(y, c, r.node))
    {
        subtitle.push(Line::plain(format!(
            "\u{2014} imputed: {city_name} has no score of its own there; the framework's `impute` filled it."
        )));
    }
    if rows
        .iter()
        .any(|r| r.domain && r.indicator.is_some_and(|i| i != r.node))
    {
        subtitle.push(Line::plain(String::from(
            "A domain of one indicator is one row: its score is the indicator's.",
        )));
    }
    subtitle
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &ProfileChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let results = chart.results;
    let y = chart.year.ranked_slot(results)?;
    let c = chart.city.within(results.cities.len(), CHART)?;
    let rows = rows(results);
    let leader = (0..results.cities.len())
        .find(|&k| results.rank(y, k, results.root) == Some(1))
        .unwrap_or(c);
    let city_name = &results.city_names[c];
    let year = results.years[y];

    let title = format!(
        "{city_name}: strengths and weaknesses, {}, {year}",
        results.index_name
    );
    let peer_scores: Vec<Vec<f64>> = rows.iter().map(|r| peers(results, y, r.node)).collect();
    let subtitle = subtitle(chart, y, c, leader, &rows, &peer_scores);
    let plot = frame(area, &title, &subtitle, chart.source, CHART)?;
    let (x0, x1, x_desc) = x_range(results, y, c, &rows)?;
    let decimals = span_decimals(x1 - x0);

    let u = unit(area);
    let gap = (14.0 * u) as i32;
    let n = rows.len().max(1);
    let domain_style = text(26.0 * u, true, INK);
    let indicator_style = text(22.0 * u, false, INK);
    let value_style = text(22.0 * u, false, INK);
    let indent = (28.0 * u) as i32;
    let max_label = i32::try_from(plot.dim_in_pixel().0).unwrap_or(i32::MAX) * 3 / 10;
    let mut labels: Vec<Vec<LabelLine>> = Vec::with_capacity(rows.len());
    let mut label_w = 0;
    for r in &rows {
        let lines = label(
            area,
            chart,
            y,
            c,
            r,
            [&domain_style, &indicator_style],
            max_label,
            indent,
        )?;
        for line in &lines {
            let style = if line.bold {
                &domain_style
            } else {
                &indicator_style
            };
            let w = width(area, &line.text, style, CHART)? + if line.indent { indent } else { 0 };
            label_w = label_w.max(w);
        }
        labels.push(lines);
    }
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            let s = results.score(y, c, r.node);
            match (s.is_finite(), results.rank(y, c, r.node)) {
                (false, _) => String::from("no data"),
                (true, Some(k)) => format!("{s:.decimals$}  {}", ordinal(k)),
                (true, None) => format!("{s:.decimals$}"),
            }
        })
        .collect();
    let mut value_w = width(area, "score  rank", &value_style, CHART)?;
    for v in &values {
        value_w = value_w.max(width(area, v, &value_style, CHART)?);
    }
    let x_axis = 72.0 * u;
    let mut plotted = ChartBuilder::on(&plot)
        .margin_right(value_w + 2 * gap)
        .margin_top((40.0 * u) as i32)
        .x_label_area_size(x_axis as i32)
        .y_label_area_size(label_w + 2 * gap)
        .build_cartesian_2d(
            Ticked {
                range: x0..x1,
                ticks: (0..=10)
                    .map(|k| x0 + (x1 - x0) * f64::from(k) / 10.0)
                    .collect(),
            },
            0.0..n as f64,
        )
        .map_err(drawing(CHART))?;
    let step = (x1 - x0) / 10.0;
    // Clamped to 0..=6 before the conversion: no truncation or sign loss.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let tick_decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    let fmt = |v: &f64| format!("{v:.tick_decimals$}");
    plotted
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&fmt)
        .x_desc(x_desc)
        .house_style(u)
        .draw()
        .map_err(drawing(CHART))?;

    let coord = plotted.as_coord_spec();
    let (bx, by) = area.get_base_pixel();
    let at = |x: f64, row: f64| {
        let (px, py) = coord.translate(&(x, row));
        (px - bx, py - by)
    };
    let centre = |r: usize| (n - r) as f64 - 0.5;
    let (left, _) = at(x0, 0.0);
    let (right, _) = at(x1, 0.0);
    let (_, top) = at(x0, n as f64);
    area.draw_text(
        "score  rank",
        &anchored(&text(20.0 * u, false, MUTED), HPos::Left, VPos::Bottom),
        (right + gap, top - gap / 2),
    )
    .map_err(drawing(CHART))?;
    let thin = (3.0 * u).max(1.0) as u32;
    let half = (11.0 * u) as i32;
    let radius = (10.0 * u).max(3.0) as i32;
    let flat = rows.iter().all(|r| r.indicator == Some(r.node));
    for (k, row) in rows.iter().enumerate() {
        let (_, py) = at(x0, centre(k));
        if row.domain && k > 0 && !flat {
            // A rule above each domain after the first (none between the indicators of a
            // flat framework).
            let (_, ry) = at(x0, centre(k) + 0.5);
            area.draw(&PathElement::new(
                [(left - label_w - gap, ry), (right, ry)],
                RULE.stroke_width(thin),
            ))
            .map_err(drawing(CHART))?;
        }
        // The label's lines centred on the row, each as tall as 1.1 times its font.
        let style_of = |line: &LabelLine| {
            if line.bold {
                &domain_style
            } else {
                &indicator_style
            }
        };
        let line_h = |line: &LabelLine| (style_of(line).font.get_size() * 1.1) as i32;
        let total: i32 = labels[k].iter().map(line_h).sum();
        let mut ly = py - total / 2;
        for line in &labels[k] {
            let h = line_h(line);
            let x = left - label_w - gap + if line.indent { indent } else { 0 };
            area.draw_text(
                &line.text,
                &anchored(style_of(line), HPos::Left, VPos::Center),
                (x, ly + h / 2),
            )
            .map_err(drawing(CHART))?;
            ly += h;
        }
        let peers = &peer_scores[k];
        if let (Some(&min), Some(&max)) = (peers.first(), peers.last()) {
            // The middle half as a light band, the full range as a line through it, the
            // median as a tick taller than the dots so it shows beside or behind them.
            let (qa, _) = at(quantile(peers, 0.25), 0.0);
            let (qb, _) = at(quantile(peers, 0.75), 0.0);
            area.draw(&Rectangle::new(
                [(qa, py - half), (qb.max(qa + 1), py + half)],
                BAND.filled(),
            ))
            .map_err(drawing(CHART))?;
            let (xa, _) = at(min, 0.0);
            let (xb, _) = at(max, 0.0);
            area.draw(&PathElement::new(
                [(xa, py), (xb, py)],
                GREY.stroke_width(thin),
            ))
            .map_err(drawing(CHART))?;
            let (qm, _) = at(quantile(peers, 0.5), 0.0);
            let tick = radius + (6.0 * u) as i32;
            area.draw(&PathElement::new(
                [(qm, py - tick), (qm, py + tick)],
                INK.stroke_width((4.0 * u).max(1.0) as u32),
            ))
            .map_err(drawing(CHART))?;
        }
        let best = results.score(y, leader, row.node);
        if best.is_finite() && leader != c {
            let (lx, _) = at(best, 0.0);
            area.draw(&Circle::new(
                (lx, py),
                radius + (2.0 * u) as i32,
                okabe_ito::ORANGE.stroke_width((4.0 * u).max(1.0) as u32),
            ))
            .map_err(drawing(CHART))?;
        }
        let s = results.score(y, c, row.node);
        if s.is_finite() {
            let (cx, _) = at(s, 0.0);
            area.draw(&Circle::new((cx, py), radius, okabe_ito::BLUE.filled()))
                .map_err(drawing(CHART))?;
        }
        let style = if row.domain && row.indicator != Some(row.node) {
            text(22.0 * u, true, INK)
        } else {
            value_style.clone()
        };
        area.draw_text(
            &values[k],
            &anchored(&style, HPos::Left, VPos::Center),
            (right + gap, py),
        )
        .map_err(drawing(CHART))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_svg, write_chart};
    use crate::testdata::{flat, png_size, results, svg_texts};

    const SOURCE: &str = "Source: test data.";

    /// The test catalogue (life national, pm25 city), once.
    fn catalogue() -> &'static Catalogue {
        static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        CATALOGUE.get_or_init(crate::testdata::catalogue)
    }

    /// The profile of `city` (by id or name) in the latest ranked year.
    fn chart<'a>(r: &'a Results, city: &str) -> ProfileChart<'a> {
        ProfileChart {
            results: r,
            city: Focus::find(r, city).unwrap(),
            year: Year::latest_ranked(r).unwrap(),
            catalogue: catalogue(),
            source: SOURCE,
        }
    }

    #[test]
    fn rows_are_domains_then_their_indicators_one_row_for_a_one_indicator_domain() {
        // Both domains of the tiny index hold one indicator: one row each, standing for it.
        let r = results();
        let id = |n: usize| r.nodes[n].id.as_str();
        let got: Vec<(&str, bool, Option<&str>)> = rows(&r)
            .iter()
            .map(|row| (id(row.node), row.domain, row.indicator.map(id)))
            .collect();
        assert_eq!(
            got,
            [("health", true, Some("life")), ("air", true, Some("pm25"))]
        );
        // A flat index: a row per indicator, each its own.
        let f = flat();
        let id = |n: usize| f.nodes[n].id.as_str();
        let got: Vec<(&str, Option<&str>)> = rows(&f)
            .iter()
            .map(|row| (id(row.node), row.indicator.map(id)))
            .collect();
        assert_eq!(got, [("life", Some("life")), ("pm25", Some("pm25"))]);
    }

    #[test]
    fn a_regional_value_is_marked_and_counted_in_the_subtitle() {
        let r = crate::testdata::regional_paris();
        let texts = svg_texts(&render_svg(&chart(&r, "paris")).unwrap()).join(" ");
        assert!(
            texts.contains("50% of its score rests on regional values standing in for the city"),
            "{texts}"
        );
    }

    #[test]
    fn labels_scores_ranks_and_the_national_mark() {
        // 2019 (chart.rs testdata): Paris life 76 -> 50, pm25 20 -> 50, index 50, 2nd of 3;
        // London first (life 100, pm25 75); Tokyo 0 and 0.
        let r = results();
        let s = render_svg(&chart(&r, "Paris")).unwrap();
        let texts = svg_texts(&s);
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(
            has("Paris: strengths and weaknesses, Tiny healthy-city index, 2019"),
            "{texts:?}"
        );
        for t in [
            "Health",
            "Life expectancy \u{2014} national",
            "Air",
            "PM2.5",
            "50.0  2nd",
            "Normalised score (0-100 scale, higher is healthier)",
            "100",
        ] {
            assert!(has(t), "{t}: {texts:?}");
        }
        // One row per one-indicator domain: the indicator's value is not repeated.
        assert_eq!(texts.iter().filter(|t| *t == "50.0  2nd").count(), 2);
        assert!(
            texts
                .join(" ")
                .contains("A domain of one indicator is one row"),
            "{texts:?}"
        );
        // Half of Paris's score rests on life expectancy, a national proxy (testdata).
        assert!(
            texts
                .join(" ")
                .contains("Paris ranks 2nd of 3; 50% of its score rests on national values"),
            "{texts:?}"
        );
        assert!(texts.join(" ").contains("orange ring: London, first"));
        // Of three cities, the top quarter is the first: Paris is in neither quarter.
        assert!(!texts.join(" ").contains("Strengths"));
        assert!(!texts.join(" ").contains("Weaknesses"));
    }

    #[test]
    fn the_leader_has_strengths_and_no_ring() {
        let r = results();
        let s = render_svg(&chart(&r, "london")).unwrap();
        let texts = svg_texts(&s);
        assert!(
            texts
                .join(" ")
                .contains("Strengths (top quarter): Life expectancy; PM2.5."),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "100.0  1st"));
        assert!(texts.iter().any(|t| t == "75.0  1st"));
    }

    #[test]
    fn a_flat_index_on_a_zero_to_one_scale_has_its_axis_and_a_strongest_and_weakest_line() {
        // 2019, flat, with Paris's PM2.5 at 10, better than London's 15: Paris is 1st on
        // PM2.5, the top quarter of three cities (before, a flat index had no such line).
        let data = crate::testdata::DATA.replace("paris,pm25,2019,20,s,", "paris,pm25,2019,10,s,");
        let f = crate::testdata::flat_of(&data);
        let s = render_svg(&chart(&f, "Paris")).unwrap();
        let texts = svg_texts(&s);
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(
            has("Normalised score (0-1 scale, higher is healthier)"),
            "{texts:?}"
        );
        for tick in ["0.0", "0.5", "1.0"] {
            assert!(has(tick), "{tick}: {texts:?}");
        }
        assert!(!has("100"), "{texts:?}");
        assert!(has("Strengths (top quarter): PM2.5."), "{texts:?}");
        // Three decimals on a 0-1 scale.
        assert!(has("1.000  1st"), "{texts:?}");
        // Paris's PM2.5 at 35 instead: 3rd (pm25 bounds 10-35), life 2nd, neither in a
        // quarter of three: the line names the best and worst.
        let data = crate::testdata::DATA.replace("paris,pm25,2019,20,s,", "paris,pm25,2019,35,s,");
        let f = crate::testdata::flat_of(&data);
        let texts = svg_texts(&render_svg(&chart(&f, "Paris")).unwrap());
        assert!(
            texts
                .iter()
                .any(|t| t == "Strongest: Life expectancy (2nd); weakest: PM2.5 (3rd)."),
            "{texts:?}"
        );
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let r = results();
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<_> = ["a.svg", "a.png", "b.svg", "b.png"]
            .iter()
            .map(|f| dir.path().join(f))
            .collect();
        write_chart(&chart(&r, "Paris"), &paths[0], &paths[1]).unwrap();
        write_chart(&chart(&r, "Paris"), &paths[2], &paths[3]).unwrap();
        let read = |i: usize| std::fs::read(&paths[i]).unwrap();
        assert_eq!(read(0), read(2));
        assert_eq!(read(1), read(3));
        assert_eq!(png_size(&read(1)), profile_size(&chart(&r, "Paris")));
    }

    #[test]
    fn an_unknown_city_is_an_error_naming_it() {
        let r = results();
        let err = Focus::find(&r, "Atlantis").unwrap_err();
        assert!(err.to_string().contains("Atlantis"), "{err}");
    }

    #[test]
    fn a_year_not_in_the_results_is_an_error_naming_it_and_writes_nothing() {
        let r = results();
        let dir = tempfile::tempdir().unwrap();
        let (svg, png) = (dir.path().join("p.svg"), dir.path().join("p.png"));
        let c = ProfileChart {
            year: Year(2030),
            ..chart(&r, "Paris")
        };
        let err = write_chart(&c, &svg, &png).unwrap_err().to_string();
        assert_eq!(
            err,
            "year 2030 is not in the results: they hold 2017, 2018, 2019"
        );
        assert!(!svg.exists() && !png.exists());
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let r = results();
        for city in ["london", "paris", "tokyo"] {
            crate::testdata::assert_text_inside(&chart(&r, city));
        }
        let f = flat();
        crate::testdata::assert_text_inside(&chart(&f, "paris"));
    }
}
