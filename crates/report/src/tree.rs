//! The framework chart: the index's tree, index at the left, each node with its nominal weight
//! within its parent and its effective weight in the index.

use std::fmt::Write as _;

use healthy_city_model::{Catalogue, Level};
use healthy_city_score::Results;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::format::{fit_lines, plain, width};
use crate::frame::{frame, Line};
use crate::style::{anchored, okabe_ito, register_fonts, text, unit, GREY, INK, MUTED, RULE};

const CHART: &str = FrameworkChart::NAME;

/// Pixel width of the chart; its height follows the leaves.
const WIDTH: u32 = 1600;
/// Vertical room, at a unit of 1, of a leaf (an indicator's row), of a group's box and of the
/// index's box, each box a few pixels shorter than its room.
const LEAF_H: f64 = 50.0;
const GROUP_H: f64 = 136.0;
const ROOT_H: f64 = 150.0;
/// The gap between a parent's column and its children's, where the connectors run.
const CONNECTOR_W: f64 = 48.0;
/// The columns right of the leaves: the weight within the parent, the effective-weight bar
/// and its value.
const WEIGHT_W: f64 = 150.0;
const BAR_W: f64 = 300.0;
const VALUE_W: f64 = 90.0;
/// Heights of the legend band and of the columns' heading (with the bar's axis).
const LEGEND_H: f64 = 56.0;
const HEADING_H: f64 = 78.0;

/// The level colours: the Okabe-Ito blue for a city-level indicator, its orange for a national
/// value used for the city, grey where the catalogue does not say.
const CITY: RGBColor = okabe_ito::BLUE;
const NATIONAL: RGBColor = okabe_ito::ORANGE;
/// A metropolitan-area value: the city's own on a wider boundary, a lighter blue.
const METRO: RGBColor = okabe_ito::SKY_BLUE;
/// A regional value standing in for the city.
const REGION: RGBColor = okabe_ito::REDDISH_PURPLE;
/// A box's ground and the track of a group's bar.
const BOX: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);
const TRACK: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

/// The framework as a tree: the index at the left, its domains, then any deeper groups, the
/// indicators in the last column (an indicator higher in the tree joins it by a longer
/// connector, so that every indicator's row lines up with its bar). Each group is a box with
/// its name, its nominal weight within its parent (as written or derived; in brackets its
/// share of the parent) and its effective weight, the share of the index score it carries,
/// as a number and as a bar across the box (the full box is the whole index). Each indicator
/// is a row: its name in a box striped by its level (the catalogue's `level`: city, national,
/// or not given), its weight and share of the parent, and its effective weight as a bar on
/// one axis for all indicators.
///
/// The weights are those the results were scored with, [`Results::effective_weights`]: the
/// numbers of the weights table ([`weights_table`](crate::weights_table)), not a second
/// computation.
#[derive(Debug, Clone, Copy)]
pub struct FrameworkChart<'a> {
    /// The results: the tree, the names and the weights as used.
    pub results: &'a Results,
    /// The catalogue, for each indicator's level.
    pub catalogue: &'a Catalogue,
    /// Source footnote.
    pub source: &'a str,
}

/// The nodes depth first from the index (children in framework order), each with its depth
/// (the index 0).
pub(crate) fn depth_first(results: &Results) -> Vec<(usize, usize)> {
    fn visit(results: &Results, node: usize, depth: usize, out: &mut Vec<(usize, usize)>) {
        out.push((node, depth));
        for child in children(results, node) {
            visit(results, child, depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(results.nodes.len());
    visit(results, results.root, 0, &mut out);
    out
}

fn children(results: &Results, node: usize) -> Vec<usize> {
    (0..results.nodes.len())
        .filter(|&c| results.nodes[c].parent == Some(node))
        .collect()
}

/// A node's display name, or its id.
fn name(results: &Results, node: usize) -> &str {
    let n = &results.nodes[node];
    match n.name.trim() {
        "" => &n.id,
        name => name,
    }
}

/// Where each node goes, from the tree alone (no text measured), so that the size and the
/// drawing agree: a tidy layout in which every subtree gets the room of its leaves or of its
/// own box, whichever is taller, and each group is centred on its children.
struct Plan {
    /// Per node slot: the column (the index 0, the indicators the last) and the vertical
    /// centre, at a unit of 1 from the tree's top; `None` for a node not in the tree.
    at: Vec<Option<(usize, f64)>>,
    /// The last column's index: the deepest indicator's depth.
    columns: usize,
    /// The tree's height at a unit of 1.
    height: f64,
}

impl Plan {
    fn new(results: &Results) -> Self {
        let order = depth_first(results);
        let columns = order
            .iter()
            .filter(|&&(n, _)| results.nodes[n].is_indicator)
            .map(|&(_, d)| d)
            .max()
            .unwrap_or(1)
            .max(1);
        let mut at = vec![None; results.nodes.len()];
        let height = place(results, results.root, 0, 0.0, columns, &mut at);
        Self {
            at,
            columns,
            height,
        }
    }
}

/// The room a node's box needs.
fn room(results: &Results, node: usize) -> f64 {
    if results.nodes[node].is_indicator {
        LEAF_H
    } else if node == results.root {
        ROOT_H
    } else {
        GROUP_H
    }
}

/// Places the subtree of `node` from `top` down; returns its height.
fn place(
    results: &Results,
    node: usize,
    depth: usize,
    top: f64,
    columns: usize,
    at: &mut [Option<(usize, f64)>],
) -> f64 {
    let own = room(results, node);
    if results.nodes[node].is_indicator {
        at[node] = Some((columns, top + own / 2.0));
        return own;
    }
    let kids = children(results, node);
    let needed: f64 = kids.iter().map(|&c| span(results, c)).sum();
    let height = needed.max(own);
    let mut y = top + (height - needed) / 2.0;
    for &c in &kids {
        y += place(results, c, depth + 1, y, columns, at);
    }
    let centres: Vec<f64> = kids.iter().filter_map(|&c| at[c]).map(|a| a.1).collect();
    let centre = match (centres.first(), centres.last()) {
        (Some(a), Some(b)) => (a + b) / 2.0,
        _ => top + height / 2.0,
    };
    // The box stays within the subtree's room, whatever its children's balance.
    let centre = centre.clamp(top + own / 2.0, top + height - own / 2.0);
    at[node] = Some((depth, centre));
    height
}

/// The height of a node's subtree.
fn span(results: &Results, node: usize) -> f64 {
    if results.nodes[node].is_indicator {
        return LEAF_H;
    }
    let needed: f64 = children(results, node)
        .iter()
        .map(|&c| span(results, c))
        .sum();
    needed.max(room(results, node))
}

fn level_colour(level: Option<Level>) -> RGBColor {
    match level {
        Some(Level::City) => CITY,
        Some(Level::Metro) => METRO,
        Some(Level::Region) => REGION,
        Some(Level::National) => NATIONAL,
        None => GREY,
    }
}

/// A share as a percentage: one decimal, two below 0.1% so that a small share is not 0.0%.
pub(crate) fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.001 {
        format!("{:.2}%", 100.0 * share)
    } else {
        format!("{:.1}%", 100.0 * share)
    }
}

/// An indicator's effective weight: two decimals, so that 6.25% (a quarter of a quarter) is
/// not rounded to 6.2% and the indicators' column reads alike.
pub(crate) fn leaf_percent(share: f64) -> String {
    format!("{:.2}%", 100.0 * share)
}

/// A node's weight and its share of its parent: "1 (50%)"; the weight alone for the index or
/// when the siblings' weights sum to nothing.
fn weight_text(results: &Results, node: usize) -> String {
    let w = results.effective_weights[node].weight;
    let Some(parent) = results.nodes[node].parent else {
        return plain(w);
    };
    let total: f64 = children(results, parent)
        .iter()
        .map(|&c| results.effective_weights[c].weight)
        .filter(|w| w.is_finite())
        .sum();
    if total > 0.0 && w.is_finite() {
        // A share to one decimal, dropped when whole: 12.5% stays 12.5%, 50.0% is 50%.
        let share = format!("{:.1}", 100.0 * w / total);
        format!("{} ({}%)", plain(w), share.trim_end_matches(".0"))
    } else {
        plain(w)
    }
}

fn title(chart: &FrameworkChart<'_>) -> String {
    format!(
        "{}: the framework and its weights",
        chart.results.index_name
    )
}

fn subtitle(chart: &FrameworkChart<'_>) -> Vec<Line> {
    let results = chart.results;
    let indicators: Vec<usize> = (0..results.nodes.len())
        .filter(|&n| results.nodes[n].is_indicator)
        .collect();
    let groups = results.nodes.len() - indicators.len() - 1;
    let national: Vec<usize> = indicators
        .iter()
        .copied()
        .filter(|&n| chart.catalogue.level(&results.nodes[n].id) == Some(Level::National))
        .filter(|&n| !is_mixed(chart, n))
        .collect();
    let mixed = indicators.iter().filter(|&&n| is_mixed(chart, n)).count();
    let share: f64 = national
        .iter()
        .map(|&n| results.effective_weights[n].effective)
        .sum();
    let mut lines = vec![Line::plain(String::from(
        "Each node's nominal weight within its parent (in brackets, its share of the parent) and its effective weight: the share of the index score it carries, the product of the shares down its path.",
    ))];
    let structure = match (indicators.len(), groups) {
        (1, 0) => String::from("1 indicator"),
        (n, 0) => format!("{n} indicators directly under the index"),
        (n, 1) => format!("{n} indicators in 1 group"),
        (n, g) => format!("{n} indicators in {g} groups"),
    };
    lines.push(Line::plain(match national.len() {
        0 => format!("{structure}; no national value."),
        1 => format!(
            "{structure}; 1 national value used for the {} carries {} of the index.",
            results.units,
            percent(share)
        ),
        k => format!(
            "{structure}; {k} national values used for the {} carry {} of the index.",
            results.units,
            percent(share)
        ),
    }));
    if mixed > 0 {
        let last = lines.len() - 1;
        let text = &mut lines[last].text;
        text.pop(); // the full stop
        let _ =
            write!(
            text,
            "; {mixed} {} from several sources, {} level differs from one of the {} to another.",
            if mixed == 1 { "indicator" } else { "indicators" },
            if mixed == 1 { "whose" } else { "whose values'" },
            results.units,
        );
    }
    lines
}

/// Whether node `n` is an indicator the catalogue reads from several sources (its values'
/// level then differs from unit to unit).
fn is_mixed(chart: &FrameworkChart<'_>, n: usize) -> bool {
    chart
        .catalogue
        .get(&chart.results.nodes[n].id)
        .is_some_and(healthy_city_model::Indicator::is_mixed)
}

/// Height of the chart: the header (lines estimated from their lengths, as the frame wraps
/// them), the legend, the heading and the tree; at least 700.
fn framework_size(chart: &FrameworkChart<'_>) -> (u32, u32) {
    let lines = |s: &str, per_line: usize| s.chars().count().div_ceil(per_line).max(1);
    let mut header = 48 * lines(&title(chart), 80) + 27 * lines(chart.source, 125);
    for line in subtitle(chart) {
        header += 36 * lines(&line.text, 95);
    }
    let plan = Plan::new(chart.results);
    // The frame's margins and title spacing, 131 pixels, and some room to spare.
    let h = 140.0 + header as f64 + LEGEND_H + HEADING_H + plan.height;
    (WIDTH, (h.ceil() as u32).max(700))
}

impl Chart for FrameworkChart<'_> {
    const NAME: &'static str = "framework";

    /// 1600 wide, about 50 pixels an indicator (more where a group needs the room) beneath the
    /// title and subtitle (at least 700).
    fn size(&self) -> (u32, u32) {
        framework_size(self)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

/// `long` if it fits in `room` pixels, else `short`.
fn longest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    long: String,
    short: String,
    style: &TextStyle,
    room: i32,
) -> Result<String>
where
    DB::ErrorType: 'static,
{
    Ok(if width(area, &long, style, CHART)? <= room {
        long
    } else {
        short
    })
}

/// A step for the indicators' axis: at most 5 intervals up to `max` (a share).
fn axis_step(max: f64) -> f64 {
    [0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5]
        .into_iter()
        .find(|&s| max / s <= 5.0)
        .unwrap_or(1.0)
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &FrameworkChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let results = chart.results;
    let plan = Plan::new(results);
    let plot = frame(area, &title(chart), &subtitle(chart), chart.source, CHART)?;
    let u = unit(area);
    let px = |v: f64| (v * u).round() as i32;
    let (bx, by) = plot.get_base_pixel();
    let (ax, ay) = area.get_base_pixel();
    let (left, top) = (bx - ax, by - ay);
    let plot_w = f64::from(plot.dim_in_pixel().0) / u;

    // Column geometry: the index's column 0.9 of a group's, the indicators' 1.5.
    let right_w = WEIGHT_W + BAR_W + VALUE_W + 3.0 * 16.0;
    let tree_w = plot_w - right_w;
    let c = plan.columns as f64;
    let share = (tree_w - c * CONNECTOR_W) / (0.9 + (c - 1.0) + 1.5);
    let column_w = |k: usize| {
        if k == 0 {
            0.9 * share
        } else if k == plan.columns {
            1.5 * share
        } else {
            share
        }
    };
    let column_x = |k: usize| (0..k).map(|j| column_w(j) + CONNECTOR_W).sum::<f64>();

    // The legend: the levels present, and how to read a group's bar.
    let levels: Vec<Option<Level>> = {
        let mut found: Vec<Option<Level>> = Vec::new();
        for n in 0..results.nodes.len() {
            if results.nodes[n].is_indicator {
                let l = chart.catalogue.level(&results.nodes[n].id);
                if !found.contains(&l) {
                    found.push(l);
                }
            }
        }
        Level::ALL
            .map(Some)
            .into_iter()
            .chain([None])
            .filter(|l| found.contains(l))
            .collect()
    };
    let legend_style = text(22.0 * u, false, INK);
    let mut lx = left;
    let ly = top + px(LEGEND_H / 2.0) - px(8.0);
    let swatch = px(22.0);
    for l in levels {
        let label = match l {
            Some(Level::City) => "City-level indicator",
            Some(Level::Metro) => "Metropolitan-area value",
            Some(Level::Region) => "Regional value used for the city",
            Some(Level::National) => "National value used for the city",
            None => "Level not given",
        };
        area.draw(&Rectangle::new(
            [(lx, ly - swatch / 2), (lx + swatch, ly + swatch / 2)],
            level_colour(l).filled(),
        ))
        .map_err(drawing(CHART))?;
        area.draw_text(
            label,
            &anchored(&legend_style, HPos::Left, VPos::Center),
            (lx + swatch + px(10.0), ly),
        )
        .map_err(drawing(CHART))?;
        lx += swatch + px(10.0) + width(area, label, &legend_style, CHART)? + px(40.0);
    }
    let group_key = "Group bar: its share of the index (the full box is 100%)";
    let key_room = left + px(plot_w) - lx - swatch * 2 - px(10.0);
    if let Some(line) = fit_lines(area, group_key, &legend_style, key_room, 1, CHART)?
        .into_iter()
        .next()
    {
        area.draw(&Rectangle::new(
            [(lx, ly - px(5.0)), (lx + 2 * swatch, ly + px(5.0))],
            TRACK.filled(),
        ))
        .map_err(drawing(CHART))?;
        area.draw(&Rectangle::new(
            [(lx, ly - px(5.0)), (lx + swatch / 2, ly + px(5.0))],
            INK.filled(),
        ))
        .map_err(drawing(CHART))?;
        area.draw_text(
            &line,
            &anchored(&legend_style, HPos::Left, VPos::Center),
            (lx + 2 * swatch + px(10.0), ly),
        )
        .map_err(drawing(CHART))?;
    }

    // The columns' heading and the indicators' axis.
    let tree_top = top + px(LEGEND_H + HEADING_H);
    let weight_x = left + px(tree_w + 16.0);
    let bar_x = weight_x + px(WEIGHT_W + 16.0);
    let bar_w = px(BAR_W);
    let value_x = bar_x + bar_w + px(16.0);
    let heading = text(20.0 * u, true, INK);
    let tick_style = text(18.0 * u, false, MUTED);
    let head_y = top + px(LEGEND_H + 10.0);
    for (x, label) in [
        (weight_x, "Weight (share)"),
        (bar_x, "Effective weight in the index"),
    ] {
        area.draw_text(
            label,
            &anchored(&heading, HPos::Left, VPos::Top),
            (x, head_y),
        )
        .map_err(drawing(CHART))?;
    }
    let leaves: Vec<usize> = (0..results.nodes.len())
        .filter(|&n| results.nodes[n].is_indicator && plan.at[n].is_some())
        .collect();
    let max = leaves
        .iter()
        .map(|&n| results.effective_weights[n].effective)
        .filter(|e| e.is_finite())
        .fold(0.0, f64::max);
    let step = axis_step(max);
    let axis_max = ((max / step).ceil() * step).max(step);
    let ticks = (axis_max / step).round() as i32;
    let at_share =
        |e: f64| bar_x + (f64::from(bar_w) * (e / axis_max).clamp(0.0, 1.0)).round() as i32;
    let bottom = tree_top + px(plan.height);
    for k in 0..=ticks {
        let e = step * f64::from(k);
        let x = at_share(e);
        area.draw_text(
            &format!("{}%", plain(100.0 * e)),
            &anchored(&tick_style, HPos::Center, VPos::Bottom),
            (x, tree_top - px(8.0)),
        )
        .map_err(drawing(CHART))?;
        area.draw(&PathElement::new(
            vec![(x, tree_top - px(4.0)), (x, bottom)],
            RULE.stroke_width(1),
        ))
        .map_err(drawing(CHART))?;
    }

    // Boxes: a box per node, a connector from each group to its children.
    let name_bold = text(20.0 * u, true, INK);
    let leaf_style = text(18.0 * u, false, INK);
    let small = text(18.0 * u, false, MUTED);
    let value_style = text(18.0 * u, false, INK);
    let pad = px(8.0);
    let line = MUTED.stroke_width((2.0 * u).max(1.0) as u32);
    let geometry = |n: usize| {
        plan.at[n].map(|(col, centre)| {
            let h = room(results, n)
                - if results.nodes[n].is_indicator {
                    6.0
                } else {
                    12.0
                };
            let x0 = left + px(column_x(col));
            let x1 = x0 + px(column_w(col));
            let cy = tree_top + px(centre);
            (x0, x1, cy, px(h))
        })
    };
    for (n, _) in depth_first(results) {
        let Some((x0, x1, cy, h)) = geometry(n) else {
            continue;
        };
        let kids: Vec<(i32, i32)> = children(results, n)
            .into_iter()
            .filter_map(|c| geometry(c).map(|g| (g.0, g.2)))
            .collect();
        if !kids.is_empty() {
            let mid = x1 + px(CONNECTOR_W / 2.0);
            let lo = kids.iter().map(|k| k.1).min().unwrap_or(cy).min(cy);
            let hi = kids.iter().map(|k| k.1).max().unwrap_or(cy).max(cy);
            area.draw(&PathElement::new(vec![(x1, cy), (mid, cy)], line))
                .map_err(drawing(CHART))?;
            area.draw(&PathElement::new(vec![(mid, lo), (mid, hi)], line))
                .map_err(drawing(CHART))?;
            for &(kx, ky) in &kids {
                area.draw(&PathElement::new(vec![(mid, ky), (kx, ky)], line))
                    .map_err(drawing(CHART))?;
            }
        }
        let (y0, y1) = (cy - h / 2, cy + h / 2);
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], BOX.filled()))
            .map_err(drawing(CHART))?;
        let inner = x1 - x0 - 2 * pad;
        let e = results.effective_weights[n].effective;
        if results.nodes[n].is_indicator {
            let l = chart.catalogue.level(&results.nodes[n].id);
            let stripe = px(7.0);
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + stripe, y1)],
                level_colour(l).filled(),
            ))
            .map_err(drawing(CHART))?;
            let lines = fit_lines(
                area,
                name(results, n),
                &leaf_style,
                inner - stripe,
                2,
                CHART,
            )?;
            let lh = px(21.0);
            let total = lh * lines.len() as i32;
            for (k, text_line) in lines.iter().enumerate() {
                area.draw_text(
                    text_line,
                    &anchored(&leaf_style, HPos::Left, VPos::Center),
                    (x0 + stripe + pad, cy - total / 2 + lh * k as i32 + lh / 2),
                )
                .map_err(drawing(CHART))?;
            }
            area.draw_text(
                &weight_text(results, n),
                &anchored(&value_style, HPos::Left, VPos::Center),
                (weight_x, cy),
            )
            .map_err(drawing(CHART))?;
            let half = px(9.0);
            if e.is_finite() && e > 0.0 {
                area.draw(&Rectangle::new(
                    [(bar_x, cy - half), (at_share(e).max(bar_x + 1), cy + half)],
                    level_colour(l).filled(),
                ))
                .map_err(drawing(CHART))?;
            }
            area.draw_text(
                &leaf_percent(e),
                &anchored(&value_style, HPos::Left, VPos::Center),
                (value_x, cy),
            )
            .map_err(drawing(CHART))?;
            continue;
        }
        // A group (or the index): its name, then its weight and its effective weight with a
        // bar across the box.
        let root = n == results.root;
        let label = if root {
            results.index_name.as_str()
        } else {
            name(results, n)
        };
        let name_lines = fit_lines(
            area,
            label,
            &name_bold,
            inner,
            if root { 3 } else { 2 },
            CHART,
        )?;
        let lh = px(23.0);
        let mut ty = y0 + pad + lh / 2;
        for text_line in &name_lines {
            area.draw_text(
                text_line,
                &anchored(&name_bold, HPos::Left, VPos::Center),
                (x0 + pad, ty),
            )
            .map_err(drawing(CHART))?;
            ty += lh;
        }
        // From the bottom: the bar, the effective weight above it, the weight above that.
        let detail_y = y1 - pad - px(10.0) - px(16.0);
        if root {
            let leaves_n = leaves.len();
            let groups_n = results.nodes.len() - leaves_n - 1;
            let detail = if groups_n == 0 {
                format!("{leaves_n} indicators")
            } else {
                format!("{groups_n} groups, {leaves_n} indicators")
            };
            area.draw_text(
                &detail,
                &anchored(&small, HPos::Left, VPos::Center),
                (x0 + pad, detail_y),
            )
            .map_err(drawing(CHART))?;
        } else {
            let weight = weight_text(results, n);
            let weight = longest(area, format!("weight {weight}"), weight, &small, inner)?;
            area.draw_text(
                &weight,
                &anchored(&small, HPos::Left, VPos::Center),
                (x0 + pad, detail_y - px(21.0)),
            )
            .map_err(drawing(CHART))?;
            let share = longest(
                area,
                format!("{} of the index", percent(e)),
                percent(e),
                &value_style,
                inner,
            )?;
            area.draw_text(
                &share,
                &anchored(&value_style, HPos::Left, VPos::Center),
                (x0 + pad, detail_y),
            )
            .map_err(drawing(CHART))?;
        }
        let (tx0, tx1) = (x0 + pad, x1 - pad);
        let (ty0, ty1) = (y1 - pad - px(10.0), y1 - pad);
        area.draw(&Rectangle::new([(tx0, ty0), (tx1, ty1)], TRACK.filled()))
            .map_err(drawing(CHART))?;
        if e.is_finite() && e > 0.0 {
            let fill = tx0 + (f64::from(tx1 - tx0) * e.min(1.0)).round() as i32;
            area.draw(&Rectangle::new(
                [(tx0, ty0), (fill.max(tx0 + 1), ty1)],
                INK.filled(),
            ))
            .map_err(drawing(CHART))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_png, render_svg};
    use crate::layout::text_boxes;
    use crate::tables::weights_table;
    use crate::testdata::{self, assert_text_inside, png_size, svg_texts};

    const SOURCE: &str = "Source: test data.";

    fn chart<'a>(r: &'a Results, c: &'a Catalogue) -> FrameworkChart<'a> {
        FrameworkChart {
            results: r,
            catalogue: c,
            source: SOURCE,
        }
    }

    /// `node -> effective_weight` from the weights table's CSV.
    fn table_weights(r: &Results) -> Vec<(String, f64)> {
        weights_table(r)
            .to_csv()
            .lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                (f[0].to_string(), f[3].parse().unwrap())
            })
            .collect()
    }

    /// Whether a node's name is among the texts: whole on one line or wrapped on up to three
    /// consecutive ones, or fitted: one line ending in an ellipsis whose stem begins the
    /// name, or a first line that begins it (ending at a word) with an ellipsis on a line of
    /// the chart.
    fn named(texts: &[String], name: &str) -> bool {
        let at_word = |t: &str| name.starts_with(t) && name[t.len()..].starts_with(' ');
        (1..=3).any(|k| texts.windows(k).any(|w| w.join(" ") == name))
            || texts.iter().any(|t| {
                t.strip_suffix('\u{2026}')
                    .is_some_and(|stem| stem.len() > 3 && name.starts_with(stem))
            })
            || (texts.iter().any(|t| t.len() > 3 && at_word(t))
                && texts.iter().any(|t| t.ends_with('\u{2026}')))
    }

    fn cases() -> Vec<(Results, Catalogue)> {
        let (wide, _, wide_catalogue) = testdata::wide(8, 6, false);
        let (deep, _, deep_catalogue) = testdata::wide(3, 4, true);
        vec![
            (testdata::results(), testdata::catalogue()),
            (testdata::flat(), testdata::catalogue()),
            (wide, wide_catalogue),
            (deep, deep_catalogue),
        ]
    }

    #[test]
    fn every_node_is_named_and_the_tree_is_walked_depth_first() {
        for (r, c) in &cases() {
            let texts = svg_texts(&render_svg(&chart(r, c)).unwrap());
            assert!(named(&texts, &r.index_name), "{texts:?}");
            for n in 0..r.nodes.len() {
                if n != r.root {
                    assert!(named(&texts, name(r, n)), "{}: {texts:?}", name(r, n));
                }
            }
            assert!(texts.iter().any(|t| t == SOURCE));
        }
        let r = testdata::results();
        let ids: Vec<&str> = depth_first(&r)
            .into_iter()
            .map(|(n, _)| r.nodes[n].id.as_str())
            .collect();
        assert_eq!(ids, ["index", "health", "life", "air", "pm25"]);
    }

    #[test]
    fn the_effective_weights_printed_are_the_weights_tables() {
        for (r, c) in &cases() {
            let svg = render_svg(&chart(r, c)).unwrap();
            let boxes = text_boxes(&svg);
            let texts = svg_texts(&svg);
            for (id, effective) in table_weights(r) {
                let n = r.nodes.iter().position(|node| node.id == id).unwrap();
                if n == r.root {
                    continue;
                }
                if r.nodes[n].is_indicator {
                    // The indicator's value is the text of the last column (the rightmost
                    // percentages) nearest its name's first line.
                    let label = name(r, n);
                    let name_y = boxes
                        .iter()
                        .find(|b| b.text == label)
                        .or_else(|| {
                            // A first line: the name's beginning, up to an ellipsis or a word.
                            boxes
                                .iter()
                                .find(|b| match b.text.strip_suffix('\u{2026}') {
                                    Some(stem) => stem.len() > 3 && label.starts_with(stem),
                                    None => {
                                        label.starts_with(b.text.as_str())
                                            && label[b.text.len()..].starts_with(' ')
                                    }
                                })
                        })
                        .unwrap()
                        .y;
                    let column = boxes
                        .iter()
                        .filter(|b| b.text.ends_with('%'))
                        .map(|b| b.x)
                        .fold(f64::NEG_INFINITY, f64::max);
                    let value = boxes
                        .iter()
                        .filter(|b| b.text.ends_with('%') && b.x == column)
                        .min_by(|a, b| (a.y - name_y).abs().total_cmp(&(b.y - name_y).abs()))
                        .unwrap();
                    let shown: f64 = value.text.trim_end_matches('%').parse().unwrap();
                    // Printed with 2 decimals: within half the last digit.
                    assert!(
                        (shown - 100.0 * effective).abs() <= 0.005 + 1e-9,
                        "{id}: {} vs {effective}",
                        value.text
                    );
                } else {
                    let want = format!("{} of the index", percent(effective));
                    assert!(
                        texts.iter().any(|t| *t == want || *t == percent(effective)),
                        "{id}: {want} {texts:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn nominal_weights_and_their_products_by_hand() {
        // Four domains of weight 1 (25% each); in each the first indicator weighs 2 of 4
        // (50%), the others 1 (25%): 0.25 * 0.5 = 12.50% and 0.25 * 0.25 = 6.25%.
        let (r, _, c) = testdata::wide(4, 3, false);
        let texts = svg_texts(&render_svg(&chart(&r, &c)).unwrap());
        let count = |t: &str| texts.iter().filter(|x| *x == t).count();
        assert_eq!(count("12.50%"), 4, "{texts:?}");
        assert_eq!(count("6.25%"), 8, "{texts:?}");
        assert_eq!(count("2 (50%)"), 4);
        assert_eq!(count("1 (25%)"), 8);
        assert_eq!(count("weight 1 (25%)"), 4);
        assert_eq!(count("25.0% of the index"), 4);
        assert!(texts
            .iter()
            .any(|t| t == "12 indicators in 4 groups; 6 national values used for the cities carry 50.0% of the index."));
    }

    #[test]
    fn levels_are_marked_with_a_legend() {
        // Life expectancy is national (orange), PM2.5 city-level (blue).
        let r = testdata::results();
        let c = testdata::catalogue();
        let svg = render_svg(&chart(&r, &c)).unwrap();
        let texts = svg_texts(&svg);
        for t in ["City-level indicator", "National value used for the city"] {
            assert!(texts.iter().any(|x| x == t), "{t}: {texts:?}");
        }
        assert!(!texts.iter().any(|x| x == "Level not given"));
        for colour in ["#E69F00", "#0072B2"] {
            assert!(svg.contains(&format!("fill=\"{colour}\"")), "{colour}");
        }
        // A catalogue that gives no level: grey, said so.
        let bare =
            Catalogue::parse_csv("id,direction\nlife,higher\npm25,lower\n", "c.csv").unwrap();
        let svg = render_svg(&chart(&r, &bare)).unwrap();
        let texts = svg_texts(&svg);
        assert!(texts.iter().any(|x| x == "Level not given"), "{texts:?}");
        assert!(!texts.iter().any(|x| x == "City-level indicator"));
        assert!(svg.contains("fill=\"#A6A6A6\""));
    }

    #[test]
    fn the_height_follows_the_leaves_and_no_text_lies_outside_the_canvas() {
        let heights: Vec<u32> = cases()
            .iter()
            .map(|(r, c)| {
                assert_text_inside(&chart(r, c));
                chart(r, c).size().1
            })
            .collect();
        // 2, 2, 48 and 12 indicators (the last with 9 groups).
        assert!(
            heights[2] > heights[3] && heights[3] > heights[0],
            "{heights:?}"
        );
        assert!(heights[2] > 48 * 50, "{heights:?}");
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let (r, c) = (testdata::results(), testdata::catalogue());
        let ch = chart(&r, &c);
        let (one, two) = (render_png(&ch).unwrap(), render_png(&ch).unwrap());
        assert_eq!(one, two);
        assert_eq!(png_size(&one), ch.size());
    }
}
