//! The scenario comparison chart: a slope (bump) chart of each city's rank under the
//! framework's own weights and under each weighting scenario.

use healthy_city_score::Comparison;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::Focus;
use crate::format::{fit_lines, ordinal, width};
use crate::frame::{frame, Line};
use crate::style::{anchored, okabe_ito, register_fonts, text, unit, GREY, INK, MUTED, RULE};

const CHART: &str = CompareChart::NAME;

/// The scenario comparison chart: one column per scenario (the framework's own weights first,
/// as `nominal`), rank 1 at the top, one line per drawn city joining its ranks; the focus city
/// in vermillion with its rank at every column, the others grey; each drawn city named with
/// its rank at both ends. A city not ranked under a scenario leaves a gap in its line.
#[derive(Debug, Clone)]
pub struct CompareChart<'a> {
    /// The ranks under each scenario.
    pub comparison: &'a Comparison,
    /// Index name, for the title.
    pub index: &'a str,
    /// What the units are called, plural (the framework's `[index] units`).
    pub units: &'a str,
    /// City highlighted (its position in the comparison's cities), drawn even outside the top.
    pub focus: Option<Focus>,
    /// How many cities to draw, by nominal rank (the first column); the rest are left out so
    /// that 45 lines do not tangle.
    pub top: usize,
    /// Source footnote.
    pub source: &'a str,
}

/// The cities drawn: the top `top` by nominal rank and the `focus` city, best first (ties by
/// position).
fn shown(cmp: &Comparison, focus: Option<usize>, top: usize) -> Vec<usize> {
    let top = u32::try_from(top).unwrap_or(u32::MAX);
    let mut shown: Vec<usize> = (0..cmp.cities.len())
        .filter(|&c| {
            Some(c) == focus
                || cmp.ranks[c]
                    .first()
                    .copied()
                    .flatten()
                    .is_some_and(|r| r <= top)
        })
        .collect();
    shown.sort_by_key(|&c| {
        (
            cmp.ranks[c].first().copied().flatten().unwrap_or(u32::MAX),
            c,
        )
    });
    shown
}

/// The deepest rank any drawn city takes under any scenario (at least 2).
fn deepest(cmp: &Comparison, shown: &[usize]) -> u32 {
    shown
        .iter()
        .flat_map(|&c| cmp.ranks[c].iter().flatten().copied())
        .max()
        .unwrap_or(1)
        .max(2)
}

impl Chart for CompareChart<'_> {
    const NAME: &'static str = "scenario comparison";

    /// 1600 wide, about 40 pixels a rank from 1 to the deepest drawn (at least 900).
    fn size(&self) -> (u32, u32) {
        let focus = self.focus.map(Focus::slot);
        let rows = deepest(self.comparison, &shown(self.comparison, focus, self.top));
        (1600, (440 + 40 * rows.min(1000)).max(900))
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

/// A rank, or "not ranked".
fn rank_text(rank: Option<u32>) -> String {
    rank.map_or_else(|| String::from("not ranked"), ordinal)
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &CompareChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let cmp = chart.comparison;
    let focus = chart
        .focus
        .map(|f| f.within(cmp.cities.len(), CHART))
        .transpose()?;
    let shown = shown(cmp, focus, chart.top);
    let deepest = deepest(cmp, &shown);
    let k = cmp.scenarios.len();
    let ranked = cmp
        .ranks
        .iter()
        .filter(|r| r.first().copied().flatten().is_some())
        .count();
    let title = format!(
        "{}: does the ranking hold under other weights? {}",
        chart.index, cmp.year
    );
    let mut subtitle = vec![Line::plain(String::from(
        "Ranks (1 = best) with the framework's own weights (nominal) and under each scenario.",
    ))];
    let focus_name = focus.map(|c| cmp.names[c].as_str());
    let outside = focus.filter(|&c| {
        cmp.ranks[c]
            .first()
            .copied()
            .flatten()
            .is_none_or(|r| r as usize > chart.top)
    });
    let left_out = ranked.saturating_sub(shown.len());
    if left_out > 0 {
        let also = match (outside, focus_name) {
            (Some(_), Some(name)) => format!(" and {name}"),
            _ => String::new(),
        };
        subtitle.push(Line::plain(format!(
            "Drawn: the top {} of {ranked} {} by nominal rank{also}; the other {left_out} are left out (all are in compare.csv).",
            chart.top, chart.units
        )));
    }
    if let Some(c) = focus {
        let ranks = &cmp.ranks[c];
        let others: Vec<String> = cmp
            .scenarios
            .iter()
            .zip(ranks)
            .skip(1)
            .map(|(s, &r)| format!("{s} {}", rank_text(r)))
            .collect();
        let shift = cmp
            .shift(c)
            .map_or_else(String::new, |s| format!(" (largest shift {s})"));
        subtitle.push(Line {
            text: format!(
                "{}: {} nominal; {}{shift}",
                cmp.names[c],
                rank_text(ranks.first().copied().flatten()),
                others.join(", ")
            ),
            color: okabe_ito::VERMILLION,
            bold: true,
        });
    }
    let plot = frame(area, &title, &subtitle, chart.source, CHART)?;

    let u = unit(area);
    let gap = (14.0 * u) as i32;
    let (_, plot_h) = plot.dim_in_pixel();
    let header = (56.0 * u) as i32;
    let pitch = (f64::from(plot_h) - f64::from(header)) / f64::from(deepest);
    let size = (24.0 * u).min(pitch * 0.8);
    let normal = text(size, false, INK);
    let bold = text(size, true, okabe_ito::VERMILLION);

    // End labels, one per rank and column end: "Name 4" on the left, "4 Name" on the right;
    // cities sharing a rank share a label.
    let ends = |col: usize| -> Vec<(u32, Vec<usize>)> {
        let mut at: Vec<(u32, Vec<usize>)> = Vec::new();
        for &c in &shown {
            if let Some(r) = cmp.ranks[c].get(col).copied().flatten() {
                match at.iter_mut().find(|a| a.0 == r) {
                    Some(a) => a.1.push(c),
                    None => at.push((r, vec![c])),
                }
            }
        }
        at
    };
    let label_style = |cities: &[usize]| {
        if cities.iter().any(|&c| Some(c) == focus) {
            bold.clone()
        } else {
            normal.clone()
        }
    };
    // An end's names (tied cities share one) on one line of at most a fifth of the chart's
    // width, ending in an ellipsis beyond; the rank is never cut.
    let name_max = i32::try_from(area.dim_in_pixel().0 / 5).unwrap_or(i32::MAX);
    let label = |cities: &[usize], rank: u32, left: bool| -> Result<String> {
        let names: Vec<&str> = cities.iter().map(|&c| cmp.names[c].as_str()).collect();
        let names = fit_lines(
            area,
            &names.join(", "),
            &label_style(cities),
            name_max,
            1,
            CHART,
        )?
        .join(" ");
        Ok(if left {
            format!("{names}  {rank}")
        } else {
            format!("{rank}  {names}")
        })
    };
    let (left_ends, right_ends) = (ends(0), ends(k.saturating_sub(1)));
    let mut left_w = 0;
    for (r, cities) in &left_ends {
        left_w = left_w.max(width(
            area,
            &label(cities, *r, true)?,
            &label_style(cities),
            CHART,
        )?);
    }
    let mut right_w = 0;
    for (r, cities) in &right_ends {
        right_w = right_w.max(width(
            area,
            &label(cities, *r, false)?,
            &label_style(cities),
            CHART,
        )?);
    }
    let head_style = text(24.0 * u, true, INK);
    let first_head = width(
        area,
        cmp.scenarios.first().map_or("", String::as_str),
        &head_style,
        CHART,
    )?;
    let last_head = width(
        area,
        cmp.scenarios.last().map_or("", String::as_str),
        &head_style,
        CHART,
    )?;
    let x_max = k.saturating_sub(1).max(1) as f64;
    let lo = -(f64::from(deepest) + 0.5);
    let mut plotted = ChartBuilder::on(&plot)
        .margin_left(left_w.max(first_head / 2) + 2 * gap)
        .margin_right(right_w.max(last_head / 2) + 2 * gap)
        .margin_top(header)
        .build_cartesian_2d(0.0..x_max, lo..-0.5)
        .map_err(drawing(CHART))?;
    let (bx, by) = area.get_base_pixel();
    let coord = plotted.as_coord_spec().clone();
    let at = |x: f64, y: f64| {
        let (px, py) = coord.translate(&(x, y));
        (px - bx, py - by)
    };

    // Columns, with the scenario above each.
    for (col, scenario) in cmp.scenarios.iter().enumerate() {
        let x = col as f64;
        plotted
            .draw_series(std::iter::once(PathElement::new(
                [(x, -0.5), (x, lo)],
                RULE.stroke_width((2.0 * u).max(1.0) as u32),
            )))
            .map_err(drawing(CHART))?;
        let (px, py) = at(x, -0.5);
        area.draw_text(
            scenario,
            &anchored(&head_style, HPos::Center, VPos::Bottom),
            (px, py - gap),
        )
        .map_err(drawing(CHART))?;
    }

    // Rank guides every 5th rank, faint, so a grey line can be read off in the middle of the
    // chart as well as at its labelled ends; their numbers come after the lines.
    let guides: Vec<u32> = (5..=deepest).step_by(5).collect();
    for &r in &guides {
        let y = -f64::from(r);
        plotted
            .draw_series(std::iter::once(PathElement::new(
                [(0.0, y), (x_max, y)],
                RULE.mix(0.6).stroke_width((1.5 * u).max(1.0) as u32),
            )))
            .map_err(drawing(CHART))?;
    }
    // The guides' numbers midway between neighbouring columns, just above their guide, where
    // no city's point is (beside a column they sat on the points of that rank), under the
    // cities' lines.
    let guide_style = anchored(&text(18.0 * u, false, MUTED), HPos::Center, VPos::Bottom);
    for &r in &guides {
        for col in 0..k.saturating_sub(1) {
            let (px, py) = at(col as f64 + 0.5, -f64::from(r));
            area.draw_text(&r.to_string(), &guide_style, (px, py - (3.0 * u) as i32))
                .map_err(drawing(CHART))?;
        }
    }

    // Lines, the focus city last so it is drawn over the others.
    let mut order: Vec<usize> = shown
        .iter()
        .copied()
        .filter(|&c| Some(c) != focus)
        .collect();
    order.extend(focus.filter(|c| shown.contains(c)));
    let radius = |c: usize| {
        let r = if Some(c) == focus { 9.0 } else { 6.0 };
        ((r * u).min(pitch * 0.4)).max(2.0) as i32
    };
    for &c in &order {
        let (colour, stroke) = if Some(c) == focus {
            (okabe_ito::VERMILLION, 5.0 * u)
        } else {
            (GREY, 2.5 * u)
        };
        let style = colour.stroke_width(stroke.max(1.0) as u32);
        let ranks = &cmp.ranks[c];
        for pair in ranks.windows(2).enumerate() {
            if let (i, [Some(a), Some(b)]) = pair {
                plotted
                    .draw_series(std::iter::once(PathElement::new(
                        [(i as f64, -f64::from(*a)), ((i + 1) as f64, -f64::from(*b))],
                        style,
                    )))
                    .map_err(drawing(CHART))?;
            }
        }
        plotted
            .draw_series(ranks.iter().enumerate().filter_map(|(i, r)| {
                r.map(|r| Circle::new((i as f64, -f64::from(r)), radius(c), colour.filled()))
            }))
            .map_err(drawing(CHART))?;
    }

    // The focus city's rank at every inner column, above its point on a white ground.
    if let Some(c) = focus.filter(|c| shown.contains(c)) {
        let style = anchored(&bold, HPos::Center, VPos::Bottom);
        for (i, r) in cmp.ranks[c].iter().enumerate() {
            let Some(r) = r else { continue };
            if i == 0 || i + 1 == k {
                continue;
            }
            let s = ordinal(*r);
            let (px, py) = at(i as f64, -f64::from(*r));
            let w = width(area, &s, &bold, CHART)?;
            let y = py - radius(c) - gap / 3;
            let h = size as i32;
            area.draw(&Rectangle::new(
                [(px - w / 2 - gap / 3, y - h), (px + w / 2 + gap / 3, y + 1)],
                WHITE.mix(0.85).filled(),
            ))
            .map_err(drawing(CHART))?;
            area.draw_text(&s, &style, (px, y))
                .map_err(drawing(CHART))?;
        }
    }

    // Names and ranks at both ends.
    for (r, cities) in &left_ends {
        let (px, py) = at(0.0, -f64::from(*r));
        area.draw_text(
            &label(cities, *r, true)?,
            &anchored(&label_style(cities), HPos::Right, VPos::Center),
            (px - gap, py),
        )
        .map_err(drawing(CHART))?;
    }
    for (r, cities) in &right_ends {
        let (px, py) = at(x_max, -f64::from(*r));
        area.draw_text(
            &label(cities, *r, false)?,
            &anchored(&label_style(cities), HPos::Left, VPos::Center),
            (px + gap, py),
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

    /// Five cities under the nominal weights and two scenarios; Epsilon is not ranked under
    /// `b`.
    fn comparison() -> Comparison {
        let ranks = [
            [Some(1), Some(2), Some(1)],
            [Some(2), Some(1), Some(3)],
            [Some(3), Some(3), Some(2)],
            [Some(4), Some(5), Some(4)],
            [Some(5), Some(4), None],
        ];
        Comparison {
            year: 2019,
            scenarios: ["nominal", "a", "b"].map(String::from).to_vec(),
            cities: ["alpha", "beta", "gamma", "delta", "epsilon"]
                .map(String::from)
                .to_vec(),
            names: ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]
                .map(String::from)
                .to_vec(),
            ranks: ranks.iter().map(|r| r.to_vec()).collect(),
        }
    }

    fn chart(cmp: &Comparison, focus: Option<usize>, top: usize) -> CompareChart<'_> {
        CompareChart {
            units: "cities",
            comparison: cmp,
            index: "Tiny index",
            focus: focus.map(Focus::new),
            top,
            source: "Source: test data.",
        }
    }

    fn svg(chart: &CompareChart<'_>) -> String {
        render_svg(chart).unwrap()
    }

    #[test]
    fn draws_the_top_cities_and_the_focus_city_and_says_who_is_left_out() {
        let cmp = comparison();
        // Top 2 and Delta (4th): Gamma and Epsilon are left out.
        let texts = svg_texts(&svg(&chart(&cmp, Some(3), 2)));
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(
            has("Tiny index: does the ranking hold under other weights? 2019"),
            "{texts:?}"
        );
        for scenario in ["nominal", "a", "b"] {
            assert!(has(scenario), "{scenario}: {texts:?}");
        }
        assert!(has(
            "Drawn: the top 2 of 5 cities by nominal rank and Delta; the other 2 are left out (all are in compare.csv)."
        ));
        assert!(has("Delta: 4th nominal; a 5th, b 4th (largest shift 1)"));
        // Ends: "Name rank" on the left, "rank Name" on the right; the focus city's inner rank.
        for label in [
            "Alpha  1", "Beta  2", "Delta  4", "1  Alpha", "3  Beta", "4  Delta", "5th",
        ] {
            assert!(has(label), "{label}: {texts:?}");
        }
        assert!(!texts
            .iter()
            .any(|t| t.contains("Gamma") || t.contains("Epsilon")));
        // One line per drawn pair of neighbouring ranks: 3 cities x 2 segments.
        let s = svg(&chart(&cmp, Some(3), 2));
        assert_eq!(
            s.matches("<polyline").count(),
            3 + 1 + 6,
            "3 column rules, a rank guide at 5th (Delta's deepest) and 6 segments"
        );
        // The guide is numbered midway between each pair of neighbouring columns (2 gaps for
        // 3 columns), away from every column and so from every point.
        let x_of = |label: &str| -> Vec<i32> {
            s.split("<text")
                .skip(1)
                .filter(|t| {
                    let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
                    body.trim() == label
                })
                .map(|t| {
                    let x = t.split("x=\"").nth(1).unwrap();
                    x[..x.find('"').unwrap()].parse().unwrap()
                })
                .collect()
        };
        let fives = x_of("5");
        let columns: Vec<i32> = ["nominal", "a", "b"].iter().flat_map(|c| x_of(c)).collect();
        assert_eq!(
            (fives.len(), columns.len()),
            (2, 3),
            "{fives:?} {columns:?}"
        );
        for (i, x) in fives.iter().enumerate() {
            assert!(
                (x - (columns[i] + columns[i + 1]) / 2).abs() <= 1,
                "{fives:?} {columns:?}"
            );
        }
    }

    #[test]
    fn a_city_not_ranked_under_a_scenario_leaves_a_gap_and_says_so() {
        let cmp = comparison();
        let s = svg(&chart(&cmp, Some(4), 5));
        let texts = svg_texts(&s);
        assert!(
            texts
                .iter()
                .any(|t| t == "Epsilon: 5th nominal; a 4th, b not ranked (largest shift 1)"),
            "{texts:?}"
        );
        // Every city drawn: no "left out" line. Segments: 4 cities x 2, Epsilon 1; a guide
        // at 5th.
        assert!(!texts.iter().any(|t| t.starts_with("Drawn:")));
        assert_eq!(s.matches("<polyline").count(), 3 + 1 + 9);
        // Beta and Alpha share no end label; each rank on the right has its own.
        assert!(texts.iter().any(|t| t == "2  Gamma"));
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let dir = tempfile::tempdir().unwrap();
        let cmp = comparison();
        let c = chart(&cmp, Some(1), 3);
        let write = |k: &str| {
            let (svg, png) = (
                dir.path().join(format!("{k}.svg")),
                dir.path().join(format!("{k}.png")),
            );
            write_chart(&c, &svg, &png).unwrap();
            (std::fs::read(svg).unwrap(), std::fs::read(png).unwrap())
        };
        let (a, b) = (write("a"), write("b"));
        assert_eq!(a, b);
        assert_eq!(png_size(&a.1), c.size());
    }

    #[test]
    fn a_long_name_ends_in_an_ellipsis_and_keeps_its_rank() {
        let mut cmp = comparison();
        cmp.names[0] = "Alpha, the city with a name long enough to squeeze any plot off its canvas"
            .to_string();
        let texts = svg_texts(&svg(&chart(&cmp, Some(3), 5)));
        let alpha = texts.iter().find(|t| t.starts_with("Alpha")).unwrap();
        assert!(alpha.ends_with("\u{2026}  1"), "{alpha}");
        crate::testdata::assert_text_inside(&chart(&cmp, Some(3), 5));
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let cmp = comparison();
        for (focus, top) in [(Some(3), 2), (None, 5), (Some(4), 3), (Some(0), 1)] {
            crate::testdata::assert_text_inside(&chart(&cmp, focus, top));
        }
    }
}
