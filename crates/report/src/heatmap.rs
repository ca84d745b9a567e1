//! The correlation heatmap: the statistical audit's correlations of one year and one data set,
//! indicators grouped by domain, then the domains, each with its parent group and the index.

use std::collections::HashMap;

use healthy_city_score::{Audit, CorrMethod, Results, COLLINEAR};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::{Error, Result};
use crate::format::{fit_lines, width};
use crate::frame::{frame, Line};
use crate::style::{anchored, register_fonts, text, unit, GREY, INK, MUTED, RULE};
use crate::tree::depth_first;

const CHART: &str = CorrelationChart::NAME;

/// The ends and the middle of the diverging scale: ColorBrewer's RdBu (Brewer 2003), safe for
/// the common colour-vision deficiencies; red for -1, near-white for 0, blue for +1.
const NEGATIVE: RGBColor = RGBColor(0xB2, 0x18, 0x2B);
const ZERO: RGBColor = RGBColor(0xF7, 0xF7, 0xF7);
const POSITIVE: RGBColor = RGBColor(0x21, 0x66, 0xAC);
/// The ground of a cell without a value, under grey hatching.
const MISSING: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);

/// Pixel width of the chart; its height follows the number of indicators and groups.
const WIDTH: u32 = 1600;
/// Largest and smallest cell side, in pixels: 13 indicators get the largest, a COINr import of
/// 49 about 18.
const MAX_CELL: f64 = 64.0;
const MIN_CELL: f64 = 16.0;
/// Width of the room for the row labels' names, of a relation column (with its parent, with
/// the index), of the gap between domains, and of a domain's header line.
const NAME_W: f64 = 360.0;
const NUMBER_W: f64 = 44.0;
const RELATION_W: f64 = 96.0;
const DOMAIN_GAP: f64 = 10.0;
const HEADER_H: f64 = 32.0;
/// Heights of the legend band, of a section heading and of a row of column labels.
const LEGEND_H: f64 = 120.0;
const SECTION_H: f64 = 44.0;
const COLUMN_LABELS_H: f64 = 40.0;

/// The correlation heatmap of a statistical audit ([`Audit`]): one year (the audit's) and one
/// data set, by one method.
///
/// The indicators are rows in framework order, grouped by domain (the index's children: a
/// header line and a gap each), numbered; the lower triangle holds each pair's correlation,
/// and two columns at the right each indicator's correlation with its parent group (its
/// domain, in a two-level framework) and with the index. Below, the groups (domains and any
/// sub-domains, lettered) get the same: the pairs of sibling groups, each group with its
/// parent and with the index. Colour: the coefficient on a diverging scale from -1 to 1, the
/// value printed (2 decimals) where the cells are large enough; a pair the audit has no value
/// for (fewer than two cities with both, or a constant variable) is grey and hatched, siblings
/// with `|r|` above [`COLLINEAR`] are outlined.
///
/// Which data set: `"scores"` is the natural choice and the one the HTML report shows. It holds
/// the values the index aggregates (normalised, imputed and treated, turned so that higher is
/// healthier: two indicators that both track health correlate positively whatever their
/// direction), and it is the only one with the correlations with the parent groups and the
/// index. The audit correlates those values between siblings only, so with `"scores"` the
/// pairs of indicators in different domains are left blank (said in the subtitle and the
/// legend). `"raw"` holds every pair of indicators on the values as published (before
/// imputation, a "lower is better" indicator keeping its sign) and nothing else: the full
/// triangle and no relation columns.
#[derive(Debug, Clone, Copy)]
pub struct CorrelationChart<'a> {
    /// The results: the framework's nodes (order, names, parents) and the index's name.
    pub results: &'a Results,
    /// The audit drawn (its year is the chart's).
    pub audit: &'a Audit,
    /// The audit's data set: `"scores"` (see above) or `"raw"`.
    pub dataset: &'a str,
    /// Pearson or Spearman: the audit holds both.
    pub method: CorrMethod,
    /// Source footnote.
    pub source: &'a str,
}

/// A cell: a value, a pair the audit computed without a value, or a pair it did not compute.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Value { r: f64, collinear: bool },
    Missing,
    Absent,
}

/// The audit's correlations of one data set and method, by the node slots they join.
struct Lookup {
    /// Sibling or indicator pairs, by (smaller slot, larger slot).
    pairs: HashMap<(usize, usize), (f64, bool)>,
    /// Each node with its parent group (not the index).
    parent: HashMap<usize, f64>,
    /// Each node with the index (the `parent` relation of the index's children, the `index`
    /// relation of the others).
    index: HashMap<usize, f64>,
}

impl Lookup {
    fn new(chart: &CorrelationChart<'_>) -> Result<Self> {
        let results = chart.results;
        let slot: HashMap<&str, usize> = results
            .nodes
            .iter()
            .enumerate()
            .map(|(k, n)| (n.id.as_str(), k))
            .collect();
        let find = |id: &str| {
            slot.get(id).copied().ok_or_else(|| Error::AuditNode {
                id: id.to_string(),
                index: results.index_id.clone(),
            })
        };
        let mut lookup = Self {
            pairs: HashMap::new(),
            parent: HashMap::new(),
            index: HashMap::new(),
        };
        for row in &chart.audit.correlations {
            if row.dataset != chart.dataset || row.method != chart.method {
                continue;
            }
            let (a, b) = (find(&row.var1)?, find(&row.var2)?);
            let r = row.corr.r;
            match row.relation {
                "pair" => {
                    lookup
                        .pairs
                        .insert((a.min(b), a.max(b)), (r, row.collinear));
                }
                "parent" if b == results.root => {
                    lookup.index.insert(a, r);
                }
                "parent" => {
                    lookup.parent.insert(a, r);
                }
                "index" => {
                    lookup.index.insert(a, r);
                }
                _ => {}
            }
        }
        if lookup.pairs.is_empty() && lookup.parent.is_empty() && lookup.index.is_empty() {
            let mut held: Vec<String> = Vec::new();
            for row in &chart.audit.correlations {
                let s = format!("`{}` by {}", row.dataset, row.method.as_str());
                if !held.contains(&s) {
                    held.push(s);
                }
            }
            return Err(Error::NoCorrelations {
                dataset: chart.dataset.to_string(),
                method: chart.method.as_str(),
                held: if held.is_empty() {
                    String::from("none")
                } else {
                    held.join(", ")
                },
            });
        }
        Ok(lookup)
    }

    fn pair(&self, a: usize, b: usize) -> Cell {
        match self.pairs.get(&(a.min(b), a.max(b))) {
            Some(&(r, collinear)) => value(r, collinear),
            None => Cell::Absent,
        }
    }

    fn parent(&self, a: usize) -> Cell {
        self.parent
            .get(&a)
            .map_or(Cell::Absent, |&r| value(r, false))
    }

    fn index(&self, a: usize) -> Cell {
        self.index
            .get(&a)
            .map_or(Cell::Absent, |&r| value(r, false))
    }
}

fn value(r: f64, collinear: bool) -> Cell {
    if r.is_finite() {
        Cell::Value { r, collinear }
    } else {
        Cell::Missing
    }
}

/// The colour of a coefficient: a straight line in RGB from [`ZERO`] to [`POSITIVE`] (above 0)
/// or [`NEGATIVE`] (below), each channel rounded; `r` is clamped to -1..1.
pub(crate) fn diverging(r: f64) -> RGBColor {
    let r = r.clamp(-1.0, 1.0);
    let end = if r < 0.0 { NEGATIVE } else { POSITIVE };
    let t = r.abs();
    let mix = |z: u8, e: u8| (f64::from(z) + t * (f64::from(e) - f64::from(z))).round() as u8;
    RGBColor(mix(ZERO.0, end.0), mix(ZERO.1, end.1), mix(ZERO.2, end.2))
}

/// A coefficient as printed: 2 decimals, a true minus sign.
fn coefficient(r: f64) -> String {
    let s = format!("{:.2}", r.abs());
    if r < 0.0 && s != "0.00" {
        format!("\u{2212}{s}")
    } else {
        s
    }
}

/// "A".."Z", "AA", "AB"...: the labels of the group rows.
fn letters(mut k: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (k % 26) as u8);
        if k < 26 {
            break;
        }
        k = k / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A node's display name, or its id.
fn name(results: &Results, node: usize) -> &str {
    let n = &results.nodes[node];
    match n.name.trim() {
        "" => &n.id,
        name => name,
    }
}

/// What the chart lays out: the rows of both panels and whether each column exists, all from
/// the results and the audit (no text measured), so that [`Chart::size`] and the drawing agree.
struct Plan {
    /// The indicators in framework order, each with the domain block it belongs to.
    indicators: Vec<(usize, usize)>,
    /// The domains heading the blocks (none in a flat framework).
    domains: Vec<usize>,
    /// The groups below the index, in framework order (empty without relations).
    groups: Vec<usize>,
    /// Whether a column "with its parent group" exists (a node whose parent is not the index
    /// has a value there), and one "with the index".
    parent_column: bool,
    index_column: bool,
    /// The side of a cell, in pixels at a unit of 1.
    cell: f64,
}

impl Plan {
    fn new(results: &Results, lookup: &Lookup) -> Self {
        let order = depth_first(results);
        let root = results.root;
        // The index's child each node descends from.
        let domain_of = |mut n: usize| {
            while let Some(p) = results.nodes[n].parent {
                if p == root {
                    return n;
                }
                n = p;
            }
            n
        };
        let flat = results
            .domains()
            .iter()
            .all(|&d| results.nodes[d].is_indicator);
        let mut domains: Vec<usize> = Vec::new();
        let mut indicators = Vec::new();
        for &(n, _) in &order {
            if !results.nodes[n].is_indicator {
                continue;
            }
            let block = if flat {
                0
            } else {
                let d = domain_of(n);
                if domains.last() != Some(&d) {
                    domains.push(d);
                }
                domains.len() - 1
            };
            indicators.push((n, block));
        }
        let relations = !lookup.parent.is_empty() || !lookup.index.is_empty();
        let groups: Vec<usize> = if relations {
            order
                .iter()
                .map(|&(n, _)| n)
                .filter(|&n| n != root && !results.nodes[n].is_indicator)
                .collect()
        } else {
            Vec::new()
        };
        let parent_column = !lookup.parent.is_empty();
        let index_column = !lookup.index.is_empty();
        let relation_w =
            RELATION_W * (usize::from(parent_column) + usize::from(index_column)) as f64;
        let columns = indicators
            .len()
            .saturating_sub(1)
            .max(groups.len().saturating_sub(1));
        let gaps = DOMAIN_GAP * domains.len().saturating_sub(1) as f64;
        let room = f64::from(WIDTH) - 80.0 - NUMBER_W - NAME_W - 24.0 - relation_w - 24.0 - gaps;
        let cell = if columns == 0 {
            MAX_CELL
        } else {
            (room / columns as f64).floor().clamp(MIN_CELL, MAX_CELL)
        };
        Self {
            indicators,
            domains,
            groups,
            parent_column,
            index_column,
            cell,
        }
    }

    /// Height of the indicators' panel and of the groups' (0 without groups), at a unit of 1.
    fn panels(&self) -> (f64, f64) {
        let indicators = SECTION_H
            + HEADER_H * self.domains.len() as f64
            + self.cell * self.indicators.len() as f64
            + COLUMN_LABELS_H;
        let groups = if self.groups.is_empty() {
            0.0
        } else {
            SECTION_H + self.cell * self.groups.len() as f64 + COLUMN_LABELS_H
        };
        (indicators, groups)
    }
}

/// The method's name and symbol, as the subtitle and legend say them.
fn method_name(method: CorrMethod) -> &'static str {
    match method {
        CorrMethod::Pearson => "Pearson's r",
        CorrMethod::Spearman => "Spearman's rho",
    }
}

/// The subtitle: what is correlated, on what and how; what blank cells mean.
fn subtitle(chart: &CorrelationChart<'_>, plan: &Plan, lookup: &Lookup) -> Vec<Line> {
    let audit = chart.audit;
    let what = match chart.dataset {
        "scores" => {
            "the normalised indicators (the values the index aggregates, higher is healthier)"
        }
        "raw" => "the raw indicator values (as published, before imputation and treatment)",
        other => other,
    };
    let with = match (plan.parent_column, plan.index_column) {
        (true, true) => ", each with its parent group and with the index",
        (false, true) => ", each with the index",
        _ => "",
    };
    let mut lines = vec![Line::plain(format!(
        "{} between {what}{with}, {}: {} {}, each pair on the cities with both values.",
        method_name(chart.method),
        audit.year,
        audit.n_cities,
        chart.results.units
    ))];
    if pairs_absent(plan, lookup) {
        lines.push(Line::plain(String::from(
            "The audit correlates these values between siblings only: indicators in different groups are left blank (the raw values of every pair are in audit/correlations.csv).",
        )));
    }
    lines
}

/// Height of the chart: the header (lines estimated from their lengths, as the frame wraps
/// them), the legend, both panels and the footnote; at least 700.
fn correlation_size(chart: &CorrelationChart<'_>) -> (u32, u32) {
    let lines = |s: &str, per_line: usize| s.chars().count().div_ceil(per_line).max(1);
    let mut header = 48 * lines(&title(chart), 80) + 27 * lines(chart.source, 125);
    let mut body = 0.0;
    if let Ok(lookup) = Lookup::new(chart) {
        let plan = Plan::new(chart.results, &lookup);
        for line in subtitle(chart, &plan, &lookup) {
            header += 36 * lines(&line.text, 95);
        }
        let (a, b) = plan.panels();
        body = LEGEND_H + a + b;
    }
    // The frame's margins and title spacing, 131 pixels, and some room to spare.
    let h = 140.0 + header as f64 + body;
    (WIDTH, (h.ceil() as u32).max(700))
}

fn title(chart: &CorrelationChart<'_>) -> String {
    format!(
        "{}: correlations of the statistical audit, {}",
        chart.results.index_name, chart.audit.year
    )
}

impl Chart for CorrelationChart<'_> {
    const NAME: &'static str = "correlation";

    /// 1600 wide; cells of at most 64 pixels, so the height follows the indicators and groups
    /// (at least 700).
    fn size(&self) -> (u32, u32) {
        correlation_size(self)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

/// Draws a cell with its top-left corner at (x, y) and side `s`: the colour and, when `label`
/// is given, the value; a missing value hatched; an absent pair not at all.
fn cell<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
    c: Cell,
    label: Option<f64>,
    u: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let inset = 1;
    let (x0, y0, x1, y1) = (x + inset, y + inset, x + w - inset, y + h - inset);
    match c {
        Cell::Absent => {}
        Cell::Missing => {
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], MISSING.filled()))
                .map_err(drawing(CHART))?;
            hatch(area, (x0, y0, x1, y1), u)?;
        }
        Cell::Value { r, collinear } => {
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], diverging(r).filled()))
                .map_err(drawing(CHART))?;
            if collinear {
                area.draw(&Rectangle::new(
                    [(x0 + 1, y0 + 1), (x1 - 1, y1 - 1)],
                    INK.stroke_width((2.5 * u).max(1.0) as u32),
                ))
                .map_err(drawing(CHART))?;
            }
            if let Some(size) = label {
                let colour = if r.abs() >= 0.6 { WHITE } else { INK };
                let style = anchored(&text(size, false, colour), HPos::Center, VPos::Center);
                area.draw_text(&coefficient(r), &style, ((x0 + x1) / 2, (y0 + y1) / 2))
                    .map_err(drawing(CHART))?;
            }
        }
    }
    Ok(())
}

/// Grey diagonal lines across a box, every 6 units.
fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0, x1, y1): (i32, i32, i32, i32),
    u: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = (x1 - x0, y1 - y0);
    let step = ((6.0 * u) as i32).max(3);
    let mut t = step;
    while t < w + h {
        // The line x + y = t inside the box: from its left or bottom edge to its top or right.
        let from = (x0 + (t - h).max(0), y0 + t.min(h));
        let to = (x0 + t.min(w), y0 + (t - w).max(0));
        area.draw(&PathElement::new(vec![from, to], GREY.stroke_width(1)))
            .map_err(drawing(CHART))?;
        t += step;
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &CorrelationChart<'_>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let results = chart.results;
    let lookup = Lookup::new(chart)?;
    let plan = Plan::new(results, &lookup);
    let subtitle = subtitle(chart, &plan, &lookup);
    let plot = frame(area, &title(chart), &subtitle, chart.source, CHART)?;
    let u = unit(area);
    let px = |v: f64| (v * u).round() as i32;
    let (bx, by) = plot.get_base_pixel();
    let (ax, ay) = area.get_base_pixel();
    let (left, top) = (bx - ax, by - ay);
    let s = plan.cell * u;
    let cell_px = s.round() as i32;

    // Styles that follow the cell: labels up to 20 pixels, values up to 19, printed only when
    // "−0.00" fits in a cell with room to spare.
    let label_size = (0.62 * plan.cell).clamp(11.0, 20.0) * u;
    let label_style = text(label_size, false, INK);
    let number_style = text(label_size, false, MUTED);
    let value_style = text((0.3 * plan.cell).min(19.0) * u, false, INK);
    let print_values = 0.3 * plan.cell >= 11.0
        && width(area, "\u{2212}0.00", &value_style, CHART)? + px(6.0) <= cell_px;
    let value_label = print_values.then_some(value_style.font.get_size());
    let line_h = (label_size * 1.15).round() as i32;
    let name_lines = ((s / f64::from(line_h)).floor() as usize).clamp(1, 2);

    // The legend: the scale as a bar of 40 steps, its ticks, then the hatched and blank cells
    // and the outline, each said only where the chart has one.
    let legend_style = text(22.0 * u, false, INK);
    let tick_style = text(20.0 * u, false, MUTED);
    let (lx, ly) = (left, top);
    area.draw_text(
        &format!("{} (\u{2212}1 to 1)", method_name(chart.method)),
        &anchored(&text(22.0 * u, true, INK), HPos::Left, VPos::Top),
        (lx, ly),
    )
    .map_err(drawing(CHART))?;
    let (bar_x, bar_y, bar_w, bar_h) = (lx, ly + px(34.0), px(440.0), px(24.0));
    for k in 0..40 {
        let r = -1.0 + (f64::from(k) + 0.5) / 20.0;
        let x0 = bar_x + bar_w * k / 40;
        let x1 = bar_x + bar_w * (k + 1) / 40;
        area.draw(&Rectangle::new(
            [(x0, bar_y), (x1, bar_y + bar_h)],
            diverging(r).filled(),
        ))
        .map_err(drawing(CHART))?;
    }
    for k in 0..=4 {
        let r = -1.0 + f64::from(k) / 2.0;
        let x = bar_x + bar_w * k / 4;
        area.draw(&PathElement::new(
            vec![(x, bar_y + bar_h), (x, bar_y + bar_h + px(6.0))],
            MUTED,
        ))
        .map_err(drawing(CHART))?;
        let label = match k {
            0 => String::from("\u{2212}1"),
            2 => String::from("0"),
            4 => String::from("1"),
            _ => coefficient(r).trim_end_matches('0').to_string(),
        };
        area.draw_text(
            &label,
            &anchored(&tick_style, HPos::Center, VPos::Top),
            (x, bar_y + bar_h + px(10.0)),
        )
        .map_err(drawing(CHART))?;
    }
    let mut keys: Vec<(Cell, String)> = Vec::new();
    let cells = all_cells(&plan, &lookup);
    if cells.contains(&Cell::Missing) {
        keys.push((
            Cell::Missing,
            String::from("no value: fewer than 2 cities with both, or a constant variable"),
        ));
    }
    if cells.iter().any(|c| {
        matches!(
            c,
            Cell::Value {
                collinear: true,
                ..
            }
        )
    }) {
        keys.push((
            Cell::Value {
                r: COLLINEAR,
                collinear: true,
            },
            format!("collinear siblings, |r| > {COLLINEAR}"),
        ));
    }
    if pairs_absent(&plan, &lookup) {
        keys.push((
            Cell::Absent,
            String::from("blank: not correlated by the audit"),
        ));
    }
    let key_side = px(28.0);
    let mut kx = bar_x + bar_w + px(60.0);
    let mut ky = ly + px(4.0);
    let key_room = i32::try_from(plot.dim_in_pixel().0).unwrap_or(i32::MAX) - (kx - left);
    for (c, label) in &keys {
        cell(area, (kx, ky), (key_side, key_side), *c, None, u)?;
        if *c == Cell::Absent {
            area.draw(&Rectangle::new(
                [(kx + 1, ky + 1), (kx + key_side - 1, ky + key_side - 1)],
                RULE.stroke_width(1),
            ))
            .map_err(drawing(CHART))?;
        }
        let lines = fit_lines(
            area,
            label,
            &legend_style,
            key_room - key_side - px(12.0),
            1,
            CHART,
        )?;
        for line in lines {
            area.draw_text(
                &line,
                &anchored(&legend_style, HPos::Left, VPos::Center),
                (kx + key_side + px(12.0), ky + key_side / 2),
            )
            .map_err(drawing(CHART))?;
        }
        ky += px(36.0);
        if ky + key_side > ly + px(LEGEND_H - 10.0) {
            ky = ly + px(4.0);
            kx += key_room / 2;
        }
    }

    // Columns: the triangle right of the labels, then the relation columns.
    let name_x = left + px(NUMBER_W);
    let matrix_x = name_x + px(NAME_W) + px(24.0);
    let triangle_w = |blocks: usize, columns: usize| {
        columns as f64 * s + DOMAIN_GAP * u * blocks.saturating_sub(1) as f64
    };
    let relation_x = matrix_x
        + (triangle_w(plan.domains.len(), plan.indicators.len().saturating_sub(1))
            .max(triangle_w(1, plan.groups.len().saturating_sub(1)))
            + 24.0 * u)
            .round() as i32;
    let relation_w = px(RELATION_W);
    let parent_x = relation_x;
    let index_x = relation_x + if plan.parent_column { relation_w } else { 0 };

    // One panel: a section heading, rows with their labels, pair cells in the lower triangle,
    // relation cells, and the column labels beneath.
    let section_style = text(26.0 * u, true, INK);
    let header_style = text(22.0 * u, true, MUTED);
    let column_style = text((0.55 * plan.cell).clamp(10.0, 18.0) * u, false, MUTED);
    let mut y = top + px(LEGEND_H);
    let panels: [Panel<'_>; 2] = [
        (
            "Indicators",
            plan.indicators.clone(),
            !plan.domains.is_empty(),
        ),
        (
            "Groups",
            plan.groups.iter().map(|&g| (g, 0)).collect(),
            false,
        ),
    ];
    for (panel, (heading, rows, headed)) in panels.iter().enumerate() {
        if rows.is_empty() {
            continue;
        }
        area.draw_text(
            heading,
            &anchored(&section_style, HPos::Left, VPos::Center),
            (left, y + px(SECTION_H / 2.0)),
        )
        .map_err(drawing(CHART))?;
        y += px(SECTION_H);
        let mark = |k: usize| {
            if panel == 0 {
                (k + 1).to_string()
            } else {
                letters(k)
            }
        };
        // Each row's top, and each triangle column's left edge.
        let mut row_y = Vec::with_capacity(rows.len());
        let mut col_x = Vec::with_capacity(rows.len());
        let mut block = usize::MAX;
        for &(_, b) in rows {
            if *headed && b != block {
                y += px(HEADER_H);
            }
            let gaps = if *headed { b } else { 0 };
            col_x.push(
                matrix_x + (col_x.len() as f64 * s + DOMAIN_GAP * u * gaps as f64).round() as i32,
            );
            row_y.push(y);
            y += cell_px;
            block = b;
        }
        // Domain headers and a rule above each domain after the first.
        if *headed {
            let mut previous = usize::MAX;
            for (k, &(_, b)) in rows.iter().enumerate() {
                if b == previous {
                    continue;
                }
                previous = b;
                let hy = row_y[k] - px(HEADER_H);
                if k > 0 {
                    area.draw(&PathElement::new(
                        vec![(left, hy + px(4.0)), (index_x + relation_w, hy + px(4.0))],
                        RULE.stroke_width((2.0 * u).max(1.0) as u32),
                    ))
                    .map_err(drawing(CHART))?;
                }
                let d = plan.domains[b];
                let room = index_x + relation_w - left;
                let label = fit_lines(area, name(results, d), &header_style, room, 1, CHART)?;
                for line in label {
                    area.draw_text(
                        &line,
                        &anchored(&header_style, HPos::Left, VPos::Center),
                        (left, hy + px(HEADER_H / 2.0 + 3.0)),
                    )
                    .map_err(drawing(CHART))?;
                }
            }
        }
        for (i, &(node, _)) in rows.iter().enumerate() {
            let ry = row_y[i];
            let centre = ry + cell_px / 2;
            area.draw_text(
                &mark(i),
                &anchored(&number_style, HPos::Right, VPos::Center),
                (name_x - px(10.0), centre),
            )
            .map_err(drawing(CHART))?;
            let lines = fit_lines(
                area,
                name(results, node),
                &label_style,
                px(NAME_W),
                name_lines,
                CHART,
            )?;
            let total = line_h * lines.len() as i32;
            for (k, line) in lines.iter().enumerate() {
                area.draw_text(
                    line,
                    &anchored(&label_style, HPos::Left, VPos::Center),
                    (name_x, centre - total / 2 + line_h * k as i32 + line_h / 2),
                )
                .map_err(drawing(CHART))?;
            }
            for (j, &(other, _)) in rows.iter().enumerate().take(i) {
                cell(
                    area,
                    (col_x[j], ry),
                    (cell_px, cell_px),
                    lookup.pair(node, other),
                    value_label,
                    u,
                )?;
            }
            // A faint guide from the row's last cell to its relation cells.
            let from = if i == 0 {
                matrix_x
            } else {
                col_x[i - 1] + cell_px
            };
            if (plan.parent_column || plan.index_column) && from + px(8.0) < relation_x {
                area.draw(&PathElement::new(
                    vec![(from + px(4.0), centre), (relation_x - px(4.0), centre)],
                    RULE.stroke_width(1),
                ))
                .map_err(drawing(CHART))?;
            }
            let relation_label = (plan.cell * 0.3 >= 11.0).then_some(value_style.font.get_size());
            if plan.parent_column {
                cell(
                    area,
                    (parent_x, ry),
                    (relation_w, cell_px),
                    lookup.parent(node),
                    relation_label,
                    u,
                )?;
            }
            if plan.index_column {
                cell(
                    area,
                    (index_x, ry),
                    (relation_w, cell_px),
                    lookup.index(node),
                    relation_label,
                    u,
                )?;
            }
        }
        // Column labels: the rows' marks under the triangle, the relations' names.
        let ly = y + px(8.0);
        for (j, &x) in col_x.iter().enumerate().take(rows.len().saturating_sub(1)) {
            area.draw_text(
                &mark(j),
                &anchored(&column_style, HPos::Center, VPos::Top),
                (x + cell_px / 2, ly),
            )
            .map_err(drawing(CHART))?;
        }
        let relation_style = text(18.0 * u, false, MUTED);
        let parent_name = if panel == 0
            && rows.iter().all(|&(n, _)| {
                results.nodes[n]
                    .parent
                    .is_some_and(|p| results.nodes[p].parent == Some(results.root))
            }) {
            "Domain"
        } else {
            "Parent"
        };
        let mut relations = Vec::new();
        // The groups' parent column only where a group below a domain has a value there.
        let parents = rows.iter().any(|&(n, _)| lookup.parent.contains_key(&n));
        if plan.parent_column && (panel == 0 || parents) {
            relations.push((parent_x, parent_name));
        }
        if plan.index_column {
            relations.push((index_x, "Index"));
        }
        for (x, label) in relations {
            area.draw_text(
                label,
                &anchored(&relation_style, HPos::Center, VPos::Top),
                (x + relation_w / 2, ly),
            )
            .map_err(drawing(CHART))?;
        }
        y += px(COLUMN_LABELS_H);
    }
    Ok(())
}

/// Whether some pair of indicators has no correlation in the audit (with `"scores"`: pairs in
/// different groups).
fn pairs_absent(plan: &Plan, lookup: &Lookup) -> bool {
    let rows = &plan.indicators;
    (0..rows.len()).any(|i| (0..i).any(|j| lookup.pair(rows[i].0, rows[j].0) == Cell::Absent))
}

/// A panel: its heading, its rows (node, domain block) and whether its blocks have headers.
type Panel<'a> = (&'a str, Vec<(usize, usize)>, bool);

/// Every cell the chart draws, for the legend's entries.
fn all_cells(plan: &Plan, lookup: &Lookup) -> Vec<Cell> {
    let mut cells = Vec::new();
    let indicators: Vec<usize> = plan.indicators.iter().map(|&(n, _)| n).collect();
    for rows in [&indicators, &plan.groups] {
        for (i, &a) in rows.iter().enumerate() {
            for &b in &rows[..i] {
                cells.push(lookup.pair(a, b));
            }
            if plan.parent_column {
                cells.push(lookup.parent(a));
            }
            if plan.index_column {
                cells.push(lookup.index(a));
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use healthy_city_score::{Correlation, CorrelationRow};

    use super::*;
    use crate::chart::{render_png, render_svg};
    use crate::testdata::{self, assert_text_inside, png_size, svg_texts};

    const SOURCE: &str = "Source: test data.";

    fn chart<'a>(r: &'a Results, a: &'a Audit, dataset: &'a str) -> CorrelationChart<'a> {
        CorrelationChart {
            results: r,
            audit: a,
            dataset,
            method: CorrMethod::Pearson,
            source: SOURCE,
        }
    }

    /// The fill colours of the SVG's rectangles, as plotters writes them (`#RRGGBB`).
    fn fills(svg: &str) -> Vec<String> {
        svg.split("<rect")
            .skip(1)
            .filter_map(|r| Some(r.split("fill=\"").nth(1)?.split('"').next()?.to_string()))
            .collect()
    }

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    /// Whether a node's name is among the texts whole, or fitted: one line ending in an
    /// ellipsis whose stem begins the name, or a first line that begins it (ending at a word)
    /// with an ellipsis on a line of the chart.
    fn named(texts: &[String], name: &str) -> bool {
        let at_word = |t: &str| name.starts_with(t) && name[t.len()..].starts_with(' ');
        texts.iter().any(|t| t == name)
            || texts.iter().any(|t| {
                t.strip_suffix('\u{2026}')
                    .is_some_and(|stem| stem.len() > 3 && name.starts_with(stem))
            })
            || (texts.iter().any(|t| t.len() > 3 && at_word(t))
                && texts.iter().any(|t| t.ends_with('\u{2026}')))
    }

    #[test]
    fn the_scale_runs_from_red_through_white_to_blue_in_straight_lines() {
        // By hand from RdBu's ends: 0.4 of the way from F7F7F7 (247, 247, 247) to 2166AC
        // (33, 102, 172) is 247 - 0.4 * 214 = 161.4, 247 - 0.4 * 145 = 189, 247 - 0.4 * 75 =
        // 217; 0.8 of the way to B2182B (178, 24, 43) is 191.8, 68.6, 83.8.
        assert_eq!(diverging(0.4), RGBColor(161, 189, 217));
        assert_eq!(diverging(-0.8), RGBColor(192, 69, 84));
        assert_eq!(diverging(0.0), ZERO);
        assert_eq!(diverging(1.0), POSITIVE);
        assert_eq!(diverging(-3.0), NEGATIVE);
        assert_eq!(coefficient(-0.804), "\u{2212}0.80");
        assert_eq!(coefficient(-0.001), "0.00");
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
    }

    #[test]
    fn a_known_correlation_gets_its_colour_and_value() {
        // 2019, scores: health = life [100, 50, 0], air = pm25 [75, 50, 0] (testdata):
        // r = 3750 / sqrt(5000 * 2916.67) = 0.98198; 247 + 0.98198 * (33 - 247) = 36.9,
        // 247 + 0.98198 * (102 - 247) = 104.6, 247 + 0.98198 * (172 - 247) = 173.4: #2569AD.
        let (r, a) = (testdata::results(), testdata::audit_2019());
        let s = render_svg(&chart(&r, &a, "scores")).unwrap();
        let texts = svg_texts(&s);
        assert!(
            fills(&s).contains(&String::from("#2569AD")),
            "{:?}",
            fills(&s)
        );
        assert!(texts.iter().any(|t| t == "0.98"), "{texts:?}");
        // Collinear siblings (|r| > 0.9) are outlined, and the legend says so.
        assert!(texts.iter().any(|t| t == "collinear siblings, |r| > 0.9"));
        // Raw: life [82, 76, 70] against pm25 [15, 20, 30], r = -0.98198 (PM2.5 keeps its
        // sign): 247 + 0.98198 * (178 - 247) = 179.2, 28.0, 46.7: #B31C2F.
        let s = render_svg(&chart(&r, &a, "raw")).unwrap();
        assert!(
            fills(&s).contains(&String::from("#B31C2F")),
            "{:?}",
            fills(&s)
        );
        assert!(svg_texts(&s).iter().any(|t| t == "\u{2212}0.98"));
    }

    #[test]
    fn a_hand_made_audit_colours_each_relation_and_hatches_a_pair_without_a_value() {
        let r = testdata::results();
        let row = |relation: &'static str, var1: &str, var2: &str, value: f64| CorrelationRow {
            dataset: "scores",
            method: CorrMethod::Pearson,
            relation,
            var1: var1.to_string(),
            var2: var2.to_string(),
            corr: Correlation {
                r: value,
                p: f64::NAN,
                n: 3,
            },
            collinear: false,
        };
        let audit = Audit {
            year: 2019,
            n_cities: 3,
            availability: Vec::new(),
            skew_kurt: Vec::new(),
            correlations: vec![
                row("pair", "health", "air", 0.4),
                row("parent", "life", "health", -0.8),
                row("parent", "pm25", "air", f64::NAN),
                row("index", "life", "index", 0.25),
                row("parent", "health", "index", 1.0),
            ],
            groups: Vec::new(),
        };
        let s = render_svg(&chart(&r, &audit, "scores")).unwrap();
        let fills = fills(&s);
        for (what, colour) in [
            ("health ~ air", diverging(0.4)),
            ("life ~ health", diverging(-0.8)),
            ("health ~ index", POSITIVE),
            ("pm25 ~ air, no value", MISSING),
        ] {
            assert!(fills.contains(&hex(colour)), "{what}: {fills:?}");
        }
        let texts = svg_texts(&s);
        for t in [
            "0.40",
            "\u{2212}0.80",
            "0.25",
            "1.00",
            "no value: fewer than 2 cities with both, or a constant variable",
        ] {
            assert!(texts.iter().any(|x| x == t), "{t}: {texts:?}");
        }
        // pm25 ~ index is not in this audit: blank, not hatched; only one hatched cell (the
        // legend's swatch is the other).
        assert_eq!(
            fills.iter().filter(|f| **f == hex(MISSING)).count(),
            2,
            "{fills:?}"
        );
    }

    #[test]
    fn every_indicator_and_group_is_named_in_order_with_the_method_year_and_data_set() {
        let (wide, wide_audit, _) = testdata::wide(8, 6, false);
        let cases = [
            (testdata::results(), testdata::audit_2019()),
            (testdata::flat(), testdata::flat_audit_2019()),
            (wide, wide_audit),
        ];
        for (r, a) in &cases {
            for dataset in ["scores", "raw"] {
                let spearman = CorrelationChart {
                    method: CorrMethod::Spearman,
                    ..chart(r, a, dataset)
                };
                let texts = svg_texts(&render_svg(&spearman).unwrap());
                let joined = texts.join(" ");
                assert!(
                    joined.contains(&format!(
                        "Spearman's rho between the {}",
                        if dataset == "raw" {
                            "raw"
                        } else {
                            "normalised"
                        }
                    )),
                    "{joined}"
                );
                assert!(
                    joined.contains(", 2019: 3 cities") || joined.contains(", 2019: 12 cities"),
                    "{joined}"
                );
                assert!(texts.iter().any(|t| t == SOURCE));
                for n in 0..r.nodes.len() {
                    let node = &r.nodes[n];
                    let shown = node.is_indicator || (dataset == "scores" && n != r.root);
                    if shown {
                        assert!(named(&texts, name(r, n)), "{}: {texts:?}", node.name);
                    }
                }
                // Rows in framework order: the names found whole come in depth-first order,
                // each after its number.
                let mut whole = Vec::new();
                let indicators = depth_first(r)
                    .into_iter()
                    .filter(|&(n, _)| r.nodes[n].is_indicator);
                for (k, (n, _)) in indicators.enumerate() {
                    if let Some(p) = texts.iter().position(|t| t == name(r, n)) {
                        assert_eq!(texts[p - 1], (k + 1).to_string(), "{}", name(r, n));
                        whole.push(p);
                    }
                }
                assert!(whole.len() >= 2, "{texts:?}");
                assert!(whole.windows(2).all(|w| w[0] < w[1]), "{whole:?}");
            }
        }
        // The wide audit's last two indicators share no city: hatched, and said so.
        let (r, a) = (&cases[2].0, &cases[2].1);
        let s = render_svg(&chart(r, a, "raw")).unwrap();
        assert!(fills(&s).contains(&hex(MISSING)));
        assert!(svg_texts(&s)
            .iter()
            .any(|t| t.starts_with("no value: fewer than 2 cities")));
    }

    #[test]
    fn cells_are_capped_and_the_height_follows_the_indicators() {
        let (r12, a12, _) = testdata::wide(4, 3, false);
        let (r48, a48, _) = testdata::wide(8, 6, false);
        let small = Plan::new(&r12, &Lookup::new(&chart(&r12, &a12, "scores")).unwrap());
        let large = Plan::new(&r48, &Lookup::new(&chart(&r48, &a48, "raw")).unwrap());
        assert_eq!(small.cell, MAX_CELL);
        assert!(
            large.cell < MAX_CELL && large.cell >= MIN_CELL,
            "{}",
            large.cell
        );
        let (w12, h12) = chart(&r12, &a12, "scores").size();
        let (w48, h48) = chart(&r48, &a48, "scores").size();
        assert_eq!((w12, w48), (WIDTH, WIDTH));
        assert!(h48 > h12, "{h12} {h48}");
        // Values are printed in large cells only.
        let texts = svg_texts(&render_svg(&chart(&r48, &a48, "raw")).unwrap());
        assert!(
            !texts.iter().any(|t| t.len() == 4 && t.starts_with("0.")),
            "{texts:?}"
        );
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let (r48, a48, _) = testdata::wide(8, 6, false);
        let (deep, deep_audit, _) = testdata::wide(3, 4, true);
        let (r, a) = (testdata::results(), testdata::audit_2019());
        let (f, fa) = (testdata::flat(), testdata::flat_audit_2019());
        for dataset in ["scores", "raw"] {
            assert_text_inside(&chart(&r, &a, dataset));
            assert_text_inside(&chart(&f, &fa, dataset));
            assert_text_inside(&chart(&r48, &a48, dataset));
            assert_text_inside(&chart(&deep, &deep_audit, dataset));
        }
    }

    #[test]
    fn an_audit_without_the_data_set_or_of_another_framework_is_an_error() {
        let (r, a) = (testdata::results(), testdata::audit_2019());
        let err = render_svg(&chart(&r, &a, "treated"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "the audit holds no `treated` correlations by pearson: it holds `raw` by pearson, `scores` by pearson, `raw` by spearman, `scores` by spearman"
        );
        let (wide, wide_audit, _) = testdata::wide(2, 2, false);
        let err = render_svg(&chart(&r, &wide_audit, "scores"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the audit names `d0`, which is not a node of the results of `tiny`"),
            "{err}"
        );
        drop(wide);
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let (r, a) = (testdata::results(), testdata::audit_2019());
        let c = chart(&r, &a, "scores");
        let (one, two) = (render_png(&c).unwrap(), render_png(&c).unwrap());
        assert_eq!(one, two);
        assert_eq!(png_size(&one), c.size());
        assert_eq!(render_svg(&c).unwrap(), render_svg(&c).unwrap());
    }
}
