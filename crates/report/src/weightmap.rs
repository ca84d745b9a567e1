//! The weight map: which city ranks first for every split of three domains' combined weight,
//! on a ternary plot.

use std::collections::BTreeMap;

use healthy_city_score::WeightCell;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::{Focus, Year};
use crate::format::{fit_lines, ordinal, thousands, width};
use crate::frame::{frame, Line};
use crate::style::{anchored, okabe_ito, register_fonts, text, unit, GREY, INK, MUTED};

const CHART: &str = WeightMapChart::NAME;

/// Pixel size of the weight map.
const WEIGHT_MAP_SIZE: (u32, u32) = (1600, 1400);

/// Colours of the cities first somewhere, by decreasing share; the focus city is always
/// vermillion, cities beyond these share grey.
const PALETTE: [RGBColor; 6] = [
    okabe_ito::BLUE,
    okabe_ito::ORANGE,
    okabe_ito::BLUISH_GREEN,
    okabe_ito::SKY_BLUE,
    okabe_ito::REDDISH_PURPLE,
    okabe_ito::YELLOW,
];

/// The weight map: a triangle whose corners give all of the three domains' combined weight to
/// one of them (the other weights fixed), each small triangle of the grid coloured by the city
/// ranked first there; the focus city's first-place region outlined (or, if it is first
/// nowhere, its best rank ringed); the nominal weights marked with a dot; a legend with each
/// city's share of the map.
#[derive(Debug, Clone)]
pub struct WeightMapChart<'a> {
    /// The grid: the city first, and the focus city's rank, at each split of the weights.
    pub cells: &'a [WeightCell],
    /// Index name, for the title.
    pub index: &'a str,
    /// Year mapped.
    pub year: Year,
    /// Display names of the three domains, in the order of the cells' shares.
    pub domains: [&'a str; 3],
    /// Grid steps over the simplex (1 / step).
    pub steps: usize,
    /// Display name of each city, by the slot the cells use.
    pub names: &'a [String],
    /// The city whose first place is outlined and whose rank the cells hold (its slot in
    /// `names`).
    pub focus: Focus,
    /// The nominal split of the three domains' combined weight.
    pub nominal: [f64; 3],
    /// Source footnote.
    pub source: &'a str,
}

/// A lattice point: (level of the third share, position along the level), both in steps.
type Point = (usize, usize);

/// Cells by lattice point.
struct Lattice<'a> {
    steps: usize,
    cells: Vec<Option<&'a WeightCell>>,
}

impl<'a> Lattice<'a> {
    fn new(cells: &'a [WeightCell], steps: usize) -> Self {
        let mut lattice = vec![None; (steps + 1) * (steps + 1)];
        for cell in cells {
            let k = (cell.shares[2] * steps as f64).round() as usize;
            let j = (cell.shares[1] * steps as f64).round() as usize;
            if k <= steps && j <= steps - k {
                lattice[k * (steps + 1) + j] = Some(cell);
            }
        }
        Self {
            steps,
            cells: lattice,
        }
    }

    fn get(&self, (k, j): Point) -> Option<&'a WeightCell> {
        self.cells.get(k * (self.steps + 1) + j).copied().flatten()
    }

    /// The triangles of row `k` (between levels k and k + 1), left to right: up, down, up...
    fn row(&self, k: usize) -> Vec<[Point; 3]> {
        let m = self.steps - k;
        let mut row = Vec::with_capacity(2 * m);
        for j in 0..m {
            row.push([(k, j), (k, j + 1), (k + 1, j)]);
            if j + 1 < m {
                row.push([(k + 1, j), (k + 1, j + 1), (k, j + 1)]);
            }
        }
        row
    }

    /// The city first on most of a triangle's corners (the smallest slot among equals).
    fn first(&self, t: &[Point; 3]) -> Option<usize> {
        let firsts: Vec<usize> = t
            .iter()
            .filter_map(|&p| self.get(p))
            .map(|c| c.first)
            .collect();
        let mut best: Option<(usize, usize)> = None;
        for &f in &firsts {
            let n = firsts.iter().filter(|&&g| g == f).count();
            if best.is_none_or(|(bf, bn)| n > bn || (n == bn && f < bf)) {
                best = Some((f, n));
            }
        }
        best.map(|b| b.0)
    }
}

/// Each city first somewhere, with its share of the grid's cells, by decreasing share (ties by
/// slot).
fn shares(cells: &[WeightCell]) -> Vec<(usize, f64)> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for cell in cells {
        *counts.entry(cell.first).or_default() += 1;
    }
    let mut shares: Vec<(usize, f64)> = counts
        .into_iter()
        .map(|(c, n)| (c, n as f64 / cells.len().max(1) as f64))
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    shares
}

/// The nominal split in words: "a third each" when the three are equal (three times "33%"
/// reads as a split that leaves 1% out), else whole percents when they add up to 100%, and
/// one decimal when they do not.
fn nominal_text(domains: [&str; 3], nominal: [f64; 3]) -> String {
    let [a, b, c] = domains;
    let total: f64 = nominal.iter().sum();
    let share = |k: usize| if total > 0.0 { nominal[k] / total } else { 0.0 };
    if (0..3).all(|k| (share(k) - 1.0 / 3.0).abs() < 1e-9) {
        return format!("a third each to {a}, {b} and {c}");
    }
    let sums_to_100 = |decimals: usize| {
        let sum: f64 = (0..3)
            .map(|k| {
                format!("{:.*}", decimals, 100.0 * share(k))
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
            .sum();
        (sum - 100.0).abs() < 1e-6
    };
    let decimals = usize::from(!sums_to_100(0));
    let pct = |k: usize| format!("{:.*}%", decimals, 100.0 * share(k));
    format!("{a} {}, {b} {}, {c} {}", pct(0), pct(1), pct(2))
}

/// Draws `name` on at most two lines no wider than `max` pixels (ellipsis beyond), its block
/// centred on `x` but moved inwards so that no line leaves the canvas, below `y` (`below`)
/// or above it.
#[allow(clippy::too_many_arguments)]
fn name_block<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    name: &str,
    style: &TextStyle<'static>,
    max: i32,
    (x, y): (i32, i32),
    below: bool,
    margin: i32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let lines = fit_lines(area, name, style, max, 2, CHART)?;
    let mut widest = 0;
    for line in &lines {
        widest = widest.max(width(area, line, style, CHART)?);
    }
    let canvas = i32::try_from(area.dim_in_pixel().0).unwrap_or(i32::MAX);
    let lo = margin + widest / 2;
    let hi = (canvas - margin - widest / 2).max(lo);
    let x = x.clamp(lo, hi);
    let pitch = (style.font.get_size() * 1.2) as i32;
    let n = i32::try_from(lines.len()).unwrap_or(0);
    if below {
        stack(
            area,
            &lines,
            &anchored(style, HPos::Center, VPos::Top),
            (x, y),
            pitch,
        )
    } else {
        let top = y - (n - 1) * pitch;
        stack(
            area,
            &lines,
            &anchored(style, HPos::Center, VPos::Bottom),
            (x, top),
            pitch,
        )
    }
}

/// Draws `lines` one under the other, `pitch` pixels apart, the first at (x, y), each anchored
/// as `style` says.
fn stack<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[String],
    style: &TextStyle<'static>,
    (x, y): (i32, i32),
    pitch: i32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    for (k, line) in lines.iter().enumerate() {
        let k = i32::try_from(k).unwrap_or(0);
        area.draw_text(line, style, (x, y + k * pitch))
            .map_err(drawing(CHART))?;
    }
    Ok(())
}

/// "46%" or "0.4%" (below 1%).
fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.01 {
        format!("{:.1}%", 100.0 * share)
    } else {
        format!("{:.0}%", 100.0 * share)
    }
}

impl Chart for WeightMapChart<'_> {
    const NAME: &'static str = "weight map";

    /// 1600 x 1400.
    fn size(&self) -> (u32, u32) {
        WEIGHT_MAP_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &WeightMapChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let cells = chart.cells;
    let focus = chart.focus.within(chart.names.len(), CHART)?;
    let steps = chart.steps.max(1);
    let lattice = Lattice::new(cells, steps);
    let shares = shares(cells);
    let focus_name = &chart.names[focus];
    let focus_share = shares.iter().find(|s| s.0 == focus).map_or(0.0, |s| s.1);
    let best = cells
        .iter()
        .filter(|c| c.city_rank > 0)
        .min_by_key(|c| c.city_rank);
    let [a, b, c] = chart.domains;
    let title = format!(
        "{}, {}: first place across the domain weights",
        chart.index, chart.year
    );
    let nominal_text = nominal_text(chart.domains, chart.nominal);
    let mut subtitle = vec![
        Line::plain(format!(
            "Each point splits the three domains' combined weight (other domains fixed); a corner gives it all to one. Colour: the city ranked first. {} splits, step {}.",
            thousands(cells.len()),
            percent(1.0 / steps as f64)
        )),
        Line::plain(format!(
            "Read a domain's share on the grid lines parallel to the side opposite its corner (every 20%). Dot: the nominal weights ({nominal_text})."
        )),
    ];
    subtitle.push(Line {
        text: if focus_share > 0.0 {
            format!(
                "{focus_name} is first on {} of the map (outlined).",
                percent(focus_share)
            )
        } else {
            match best {
                Some(cell) => format!(
                    "{focus_name} is first nowhere on the map; its best rank, {}, is at {a} {}, {b} {}, {c} {} (ringed).",
                    ordinal(cell.city_rank),
                    percent(cell.shares[0]),
                    percent(cell.shares[1]),
                    percent(cell.shares[2])
                ),
                None => format!("{focus_name} is not ranked anywhere on the map."),
            }
        },
        color: okabe_ito::VERMILLION,
        bold: true,
    });
    let plot = frame(area, &title, &subtitle, chart.source, CHART)?;

    // Colours: the focus city vermillion, the others by share, then grey.
    let mut colours: BTreeMap<usize, RGBColor> = BTreeMap::new();
    let mut palette = PALETTE.iter();
    for &(city, _) in &shares {
        let colour = if city == focus {
            okabe_ito::VERMILLION
        } else {
            palette.next().copied().unwrap_or(GREY)
        };
        colours.insert(city, colour);
    }
    let colour = |city: usize| colours.get(&city).copied().unwrap_or(GREY);

    // Geometry: the triangle left, the legend right.
    let u = unit(area);
    let gap = (14.0 * u) as i32;
    let (pw, ph) = plot.dim_in_pixel();
    let (pw, ph) = (f64::from(pw), f64::from(ph));
    let legend_w = 430.0 * u;
    let (side_room, top_room, bottom_room) = (110.0 * u, 60.0 * u, 130.0 * u);
    let side = (pw - legend_w - 2.0 * side_room)
        .min((ph - top_room - bottom_room) / 3f64.sqrt() * 2.0)
        .max(10.0);
    let height = side * 3f64.sqrt() / 2.0;
    let (bx, by) = plot.get_base_pixel();
    let (ax, ay) = area.get_base_pixel();
    let ox = f64::from(bx - ax) + side_room;
    let oy = f64::from(by - ay) + top_room + height;
    // Shares (a, b, c) to pixels: a at the bottom left, b at the bottom right, c at the top.
    let px = |b: f64, c: f64| -> (f64, f64) { (ox + side * (b + c / 2.0), oy - height * c) };
    let at = |b: f64, c: f64| {
        let (x, y) = px(b, c);
        (x.round() as i32, y.round() as i32)
    };
    // Where the legend starts: the right side's label keeps clear of it.
    let lx_legend = (f64::from(bx - ax) + pw - legend_w + 2.0 * 14.0 * u) as i32;
    let point = |(k, j): Point| {
        let s = steps as f64;
        px(j as f64 / s, k as f64 / s)
    };

    // Cells, merged into runs of one colour along each row, each grown by half a pixel so
    // that neighbours meet without a seam.
    for k in 0..steps {
        let row = lattice.row(k);
        let mut start = 0;
        while start < row.len() {
            let first = lattice.first(&row[start]);
            let mut end = start;
            while end + 1 < row.len() && lattice.first(&row[end + 1]) == first {
                end += 1;
            }
            if let Some(city) = first {
                let corners: Vec<(f64, f64)> = row[start..=end]
                    .iter()
                    .flatten()
                    .map(|&p| point(p))
                    .collect();
                let level = |top: bool| {
                    let y = if top {
                        point((k + 1, 0)).1
                    } else {
                        point((k, 0)).1
                    };
                    let xs = corners
                        .iter()
                        .filter(|p| (p.1 - y).abs() < 0.5)
                        .map(|p| p.0);
                    let lo = xs.clone().fold(f64::INFINITY, f64::min);
                    let hi = xs.fold(f64::NEG_INFINITY, f64::max);
                    (lo, hi, y)
                };
                let (bl, br, yb) = level(false);
                let (tl, tr, yt) = level(true);
                let grow = 0.5;
                let poly = vec![
                    ((bl - grow).round() as i32, (yb + grow).round() as i32),
                    ((br + grow).round() as i32, (yb + grow).round() as i32),
                    ((tr + grow).round() as i32, (yt - grow).round() as i32),
                    ((tl - grow).round() as i32, (yt - grow).round() as i32),
                ];
                area.draw(&Polygon::new(poly, colour(city).filled()))
                    .map_err(drawing(CHART))?;
            }
            start = end + 1;
        }
    }

    // Grid every 20% of each share, and the ticks: the third share on the left side, the first
    // along the bottom, the second on the right side.
    let grid = WHITE.mix(0.7).stroke_width((1.5 * u).max(1.0) as u32);
    let tick_style = text(20.0 * u, false, MUTED);
    for t in 1..5 {
        let v = f64::from(t) / 5.0;
        for line in [
            [at(0.0, v), at(1.0 - v, v)],         // c = v
            [at(1.0 - v, 0.0), at(0.0, 1.0 - v)], // a = v
            [at(v, 1.0 - v), at(v, 0.0)],         // b = v
        ] {
            area.draw(&PathElement::new(line.to_vec(), grid))
                .map_err(drawing(CHART))?;
        }
    }
    // No ticks at the corners: the domains' names are there.
    for t in 1..5 {
        let v = f64::from(t) / 5.0;
        let label = percent(v);
        let (x, y) = at(0.0, v);
        area.draw_text(
            &label,
            &anchored(&tick_style, HPos::Right, VPos::Center),
            (x - gap, y),
        )
        .map_err(drawing(CHART))?;
        let (x, y) = at(1.0 - v, 0.0);
        area.draw_text(
            &label,
            &anchored(&tick_style, HPos::Center, VPos::Top),
            (x, y + gap / 2),
        )
        .map_err(drawing(CHART))?;
        let (x, y) = at(v, 1.0 - v);
        area.draw_text(
            &label,
            &anchored(&tick_style, HPos::Left, VPos::Center),
            (x + gap, y),
        )
        .map_err(drawing(CHART))?;
    }
    let edge = MUTED.stroke_width((2.0 * u).max(1.0) as u32);
    area.draw(&PathElement::new(
        vec![at(0.0, 0.0), at(1.0, 0.0), at(0.0, 1.0), at(0.0, 0.0)],
        edge,
    ))
    .map_err(drawing(CHART))?;

    // Corners and sides, named.
    let corner = text(26.0 * u, true, INK);
    let side_style = text(22.0 * u, false, INK);
    // A corner's name may take up to 40% of the triangle's side, on two lines.
    let corner_w = (0.4 * side) as i32;
    let (x, y) = at(0.0, 0.0);
    name_block(area, a, &corner, corner_w, (x, y + 3 * gap), true, gap)?;
    let (x, y) = at(1.0, 0.0);
    name_block(area, b, &corner, corner_w, (x, y + 3 * gap), true, gap)?;
    let (x, y) = at(0.0, 1.0);
    name_block(area, c, &corner, corner_w, (x, y - gap), false, gap)?;
    // The bottom side's label between the two corner names (each reaches 20% of the side
    // inwards), on up to two lines.
    let (x, y) = at(0.5, 0.0);
    let room = ((0.6 * side) as i32 - 4 * gap).max(gap);
    let label = format!("\u{2190} share of {a}");
    let pitch = (22.0 * u * 1.2) as i32;
    stack(
        area,
        &fit_lines(area, &label, &side_style, room, 2, CHART)?,
        &anchored(&side_style, HPos::Center, VPos::Top),
        (x, y + 3 * gap + (26.0 * u) as i32),
        pitch,
    )?;
    // The side labels sit in the room beside the triangle's sides, on two lines if need be,
    // between the side and the canvas edge (left) or the legend (right).
    let (x, y) = at(0.0, 0.5);
    let room = (x - 7 * gap).max(gap);
    let label = format!("share of {c} \u{2191}");
    let lines = fit_lines(area, &label, &side_style, room, 2, CHART)?;
    let top = y - pitch * (i32::try_from(lines.len()).unwrap_or(1) - 1) / 2;
    stack(
        area,
        &lines,
        &anchored(&side_style, HPos::Right, VPos::Center),
        (x - 6 * gap, top),
        pitch,
    )?;
    let (x, y) = at(0.5, 0.5);
    let room = (lx_legend - x - 7 * gap).max(gap);
    let label = format!("share of {b} \u{2193}");
    let lines = fit_lines(area, &label, &side_style, room, 2, CHART)?;
    let top = y - pitch * (i32::try_from(lines.len()).unwrap_or(1) - 1) / 2;
    stack(
        area,
        &lines,
        &anchored(&side_style, HPos::Left, VPos::Center),
        (x + 6 * gap, top),
        pitch,
    )?;

    // The focus city's first place outlined: the edges of its triangles that no other of its
    // triangles shares.
    let line = INK.stroke_width((4.0 * u).max(1.0) as u32);
    let mut edges: BTreeMap<(Point, Point), usize> = BTreeMap::new();
    for k in 0..steps {
        for t in lattice.row(k) {
            if lattice.first(&t) == Some(focus) {
                for (p, q) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
                    *edges.entry((p.min(q), p.max(q))).or_default() += 1;
                }
            }
        }
    }
    for ((p, q), n) in edges {
        if n == 1 {
            let (p, q) = (point(p), point(q));
            let r = |v: (f64, f64)| (v.0.round() as i32, v.1.round() as i32);
            area.draw(&PathElement::new(vec![r(p), r(q)], line))
                .map_err(drawing(CHART))?;
        }
    }
    let radius = (10.0 * u).max(3.0) as i32;
    if focus_share == 0.0 {
        if let Some(cell) = best {
            let at_best = at(cell.shares[1], cell.shares[2]);
            area.draw(&Circle::new(at_best, radius + 4, line))
                .map_err(drawing(CHART))?;
        }
    }
    let at_nominal = at(chart.nominal[1], chart.nominal[2]);
    area.draw(&Circle::new(at_nominal, radius + 3, WHITE.filled()))
        .map_err(drawing(CHART))?;
    area.draw(&Circle::new(at_nominal, radius, INK.filled()))
        .map_err(drawing(CHART))?;

    // Legend: each city first somewhere (up to the palette), then the rest as one; the marks.
    let (lx, ly) = (
        f64::from(bx - ax) + pw - legend_w + 2.0 * f64::from(gap),
        f64::from(by - ay) + top_room,
    );
    let (lx, mut y) = (lx as i32, ly as i32);
    let swatch = (26.0 * u) as i32;
    let row_h = (40.0 * u) as i32;
    let entry = text(24.0 * u, false, INK);
    let entry_bold = text(24.0 * u, true, okabe_ito::VERMILLION);
    area.draw_text(
        "First place (share of the map)",
        &anchored(&text(24.0 * u, true, INK), HPos::Left, VPos::Center),
        (lx, y),
    )
    .map_err(drawing(CHART))?;
    y += row_h;
    let named: Vec<&(usize, f64)> = shares
        .iter()
        .filter(|s| s.0 == focus || colour(s.0) != GREY)
        .collect();
    let rest: Vec<&(usize, f64)> = shares
        .iter()
        .filter(|s| s.0 != focus && colour(s.0) == GREY)
        .collect();
    let mut entries: Vec<(RGBColor, String, String, bool)> = named
        .iter()
        .map(|&&(city, share)| {
            (
                colour(city),
                chart.names[city].clone(),
                percent(share),
                city == focus,
            )
        })
        .collect();
    if !rest.is_empty() {
        let share: f64 = rest.iter().map(|s| s.1).sum();
        entries.push((
            GREY,
            format!("{} other cities", rest.len()),
            percent(share),
            false,
        ));
    }
    let canvas = i32::try_from(area.dim_in_pixel().0).unwrap_or(i32::MAX);
    for (colour, name, share, bold) in &entries {
        area.draw(&Rectangle::new(
            [(lx, y - swatch / 2), (lx + swatch, y + swatch / 2)],
            colour.filled(),
        ))
        .map_err(drawing(CHART))?;
        let style = if *bold { &entry_bold } else { &entry };
        // The name ends in an ellipsis if it and its share do not fit; the share never does.
        let share = format!("  {share}");
        let room = canvas - lx - swatch - 2 * gap - width(area, &share, style, CHART)?;
        let label = fit_lines(area, name, style, room, 1, CHART)?.join(" ") + &share;
        area.draw_text(
            &label,
            &anchored(style, HPos::Left, VPos::Center),
            (lx + swatch + gap, y),
        )
        .map_err(drawing(CHART))?;
        y += row_h;
    }
    y += row_h / 2;
    let mark_x = lx + swatch / 2;
    area.draw(&Circle::new((mark_x, y), radius, INK.filled()))
        .map_err(drawing(CHART))?;
    area.draw_text(
        "Nominal weights",
        &anchored(&entry, HPos::Left, VPos::Center),
        (lx + swatch + gap, y),
    )
    .map_err(drawing(CHART))?;
    y += row_h;
    if focus_share > 0.0 {
        area.draw(&PathElement::new(vec![(lx, y), (lx + swatch, y)], line))
            .map_err(drawing(CHART))?;
        area.draw_text(
            &format!("{focus_name} first"),
            &anchored(&entry, HPos::Left, VPos::Center),
            (lx + swatch + gap, y),
        )
        .map_err(drawing(CHART))?;
    } else if best.is_some() {
        area.draw(&Circle::new((mark_x, y), radius + 4, line))
            .map_err(drawing(CHART))?;
        area.draw_text(
            &format!("{focus_name}'s best rank"),
            &anchored(&entry, HPos::Left, VPos::Center),
            (lx + swatch + gap, y),
        )
        .map_err(drawing(CHART))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_svg, write_chart};
    use crate::testdata::{png_size, svg_texts};

    /// A map on a grid of 4 steps: city 0 first where the first share is at least a half, city 2
    /// where the third is, city 1 elsewhere; city 1 (the focus) ranks 2nd where it is not first.
    fn cells() -> Vec<WeightCell> {
        let steps = 4_u32;
        let mut cells = Vec::new();
        for i in 0..=steps {
            for j in 0..=steps - i {
                let k = steps - i - j;
                let shares = [i, j, k].map(|x| f64::from(x) / f64::from(steps));
                let first = if shares[0] >= 0.5 {
                    0
                } else if shares[2] >= 0.5 {
                    2
                } else {
                    1
                };
                cells.push(WeightCell {
                    shares,
                    first,
                    city_rank: if first == 1 { 1 } else { 2 },
                });
            }
        }
        cells
    }

    fn chart<'a>(cells: &'a [WeightCell], names: &'a [String], focus: usize) -> WeightMapChart<'a> {
        WeightMapChart {
            cells,
            index: "Tiny index",
            year: Year(2019),
            domains: ["Outcomes", "Environment", "Services"],
            steps: 4,
            names,
            focus: Focus::new(focus),
            nominal: [0.5, 0.25, 0.25],
            source: "Source: test data.",
        }
    }

    fn svg(focus: usize) -> String {
        let names = ["Alpha", "Beta", "Gamma", "Delta"].map(String::from);
        let cells = cells();
        render_svg(&chart(&cells, &names, focus)).unwrap()
    }

    #[test]
    fn the_legend_gives_each_first_citys_share_of_the_grid() {
        // 15 points: Alpha first on 6 (first share 2/4, 3/4, 4/4: 3 + 2 + 1 points), Gamma on
        // 5 (third share 2/4 or more, first below: 3 + 2), Beta on the other 4.
        let texts = svg_texts(&svg(1));
        let has = |t: &str| texts.iter().any(|x| x == t);
        for label in [
            "Alpha  40%",
            "Gamma  33%",
            "Beta  27%",
            "Nominal weights",
            "Beta first",
        ] {
            assert!(has(label), "{label}: {texts:?}");
        }
        assert!(!texts.iter().any(|t| t.contains("Delta")));
        assert!(has("Beta is first on 27% of the map (outlined)."));
        for corner in ["Outcomes", "Environment", "Services"] {
            assert!(has(corner), "{corner}");
        }
    }

    #[test]
    fn the_nominal_weights_read_as_a_third_each_or_add_up_to_a_hundred() {
        let d = ["A", "B", "C"];
        // Three equal weights: never "33%, 33%, 33%".
        assert_eq!(
            nominal_text(d, [1.0, 1.0, 1.0]),
            "a third each to A, B and C"
        );
        assert_eq!(
            nominal_text(d, [0.2, 0.2, 0.2]),
            "a third each to A, B and C"
        );
        assert_eq!(nominal_text(d, [0.5, 0.25, 0.25]), "A 50%, B 25%, C 25%");
        // 1/6, 1/3, 1/2 rounds to 17% + 33% + 50% = 100%: whole percents.
        assert_eq!(nominal_text(d, [1.0, 2.0, 3.0]), "A 17%, B 33%, C 50%");
        // 2/7, 2/7, 3/7 = 28.57...%: 29 + 29 + 43 = 101, so one decimal (28.6 + 28.6 + 42.9 = 100.1
        // is the best one decimal does; the shares are relative to the three's combined weight).
        assert_eq!(
            nominal_text(d, [2.0, 2.0, 3.0]),
            "A 28.6%, B 28.6%, C 42.9%"
        );
        let texts = svg_texts(&svg(1));
        assert!(texts
            .iter()
            .any(|t| t.contains("(Outcomes 50%, Environment 25%, Services 25%)")));
    }

    #[test]
    fn long_domain_and_city_names_wrap_or_end_in_an_ellipsis_and_keep_the_share() {
        let names = [
            "Alpha",
            "Beta, the city with the longest name anyone has ever given to a city in an index",
            "Gamma",
            "Delta",
        ]
        .map(String::from);
        let cells = cells();
        let chart = WeightMapChart {
            domains: [
                "Health outcomes and the social determinants of health",
                "Environment",
                "Health services, their access and their quality",
            ],
            ..chart(&cells, &names, 0)
        };
        let texts = svg_texts(&render_svg(&chart).unwrap());
        // The legend keeps Beta's share, its name cut with an ellipsis.
        let beta = texts.iter().find(|t| t.starts_with("Beta")).unwrap();
        assert!(beta.ends_with("\u{2026}  27%"), "{beta}");
        // The corner names wrap onto two lines (at spaces), the words all there or ellipsed.
        assert!(
            texts.iter().any(|t| t.starts_with("Health outcomes and")),
            "{texts:?}"
        );
        let joined = texts.join(" ");
        assert!(joined.contains("determinants"), "{joined}");
    }

    #[test]
    fn every_grid_triangle_is_coloured_and_the_focus_region_outlined() {
        let s = svg(1);
        // 16 small triangles, merged into runs of one colour along each of the 4 rows.
        let polygons = s.matches("<polygon").count();
        assert!((4..=16).contains(&polygons), "{polygons}");
        let fills: Vec<&str> = s
            .split("<polygon")
            .skip(1)
            .map(|p| {
                p.split("fill=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
            })
            .collect();
        // Alpha blue, Beta (the focus) vermillion, Gamma orange.
        for fill in ["#0072B2", "#D55E00", "#E69F00"] {
            assert!(fills.contains(&fill), "{fill}: {fills:?}");
        }
        // The outline: thick ink lines (the triangle's own sides are grey).
        assert!(s.contains("stroke=\"#1A1A1A\""));
    }

    #[test]
    fn a_focus_city_first_nowhere_has_its_best_rank_ringed() {
        // Delta: 2nd where the second share is 0, lower as it grows.
        let mut cells = cells();
        for cell in &mut cells {
            cell.city_rank = 2 + (cell.shares[1] * 4.0).round() as u32;
        }
        let names = ["Alpha", "Beta", "Gamma", "Delta"].map(String::from);
        let s = render_svg(&chart(&cells, &names, 3)).unwrap();
        let texts = svg_texts(&s);
        // The first cell of rank 2 in grid order: all weight to Services.
        assert!(
            texts.iter().any(|t| t.contains(
                "Delta is first nowhere on the map; its best rank, 2nd, is at Outcomes 0%, Environment 0%, Services 100% (ringed)."
            )) || texts.join(" ").contains("its best rank, 2nd, is at Outcomes 0%, Environment 0%, Services 100% (ringed)."),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "Delta's best rank"));
        let texts = svg_texts(&svg(0));
        assert!(texts
            .iter()
            .any(|t| t == "Alpha is first on 40% of the map (outlined)."));
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["Alpha", "Beta", "Gamma", "Delta"].map(String::from);
        let write = |k: &str| {
            let (svg, png) = (
                dir.path().join(format!("{k}.svg")),
                dir.path().join(format!("{k}.png")),
            );
            write_chart(&chart(&cells(), &names, 1), &svg, &png).unwrap();
            (std::fs::read(svg).unwrap(), std::fs::read(png).unwrap())
        };
        let (a, b) = (write("a"), write("b"));
        assert_eq!(a, b);
        assert_eq!(png_size(&a.1), WEIGHT_MAP_SIZE);
        assert_eq!(chart(&cells(), &names, 1).size(), WEIGHT_MAP_SIZE);
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let names = ["Alpha", "Beta", "Gamma", "Delta"].map(String::from);
        let cells = cells();
        for focus in 0..4 {
            crate::testdata::assert_text_inside(&chart(&cells, &names, focus));
        }
    }
}
