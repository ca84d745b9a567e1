//! The ranking chart: one year's index scores as horizontal bars, best at the top; beyond
//! [`FULL_CHART_MAX`] cities, the top and the focus city's neighbourhood (a top-and-focus chart).

use std::ops::Range;

use healthy_city_score::Results;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::{Focus, Year};
use crate::format::{decimals_for, fit_lines, ordinal, width};
use crate::frame::{axis, finite, frame, Line};
use crate::style::{anchored, okabe_ito, register_fonts, text, unit, HouseStyle, INK, MUTED};

const CHART: &str = RankingChart::NAME;

/// The ranking chart: one year's index scores as a bar per ranked city, best at the top,
/// labelled with rank and name; the focus city highlighted, its rank and score called out.
/// Scores are drawn as ranked (rounded with `methods.round`) with
/// [`score_decimals`](crate::score_decimals) decimals, on the index's scale. More than 60
/// ranked cities make a top-and-focus chart of bounded height: the top 40, a gap marker, the
/// focus city with two cities above and below, a marker for the rest, and a subtitle saying how
/// many are left out.
#[derive(Debug, Clone, Copy)]
pub struct RankingChart<'a> {
    /// The results drawn.
    pub results: &'a Results,
    /// The year ranked (it must be a ranked year of the results).
    pub year: Year,
    /// The city highlighted, if any.
    pub focus: Option<Focus>,
    /// Source footnote.
    pub source: &'a str,
}

/// One ranked city: slot, rank, score, and whether its rank is shared.
struct Row {
    city: usize,
    rank: u32,
    score: f64,
    tied: bool,
}

/// The cities ranked in year slot `y`, best first (ties by city id).
fn rows(results: &Results, y: usize) -> Vec<Row> {
    let mut rows: Vec<Row> = (0..results.cities.len())
        .filter_map(|c| {
            let rank = results.rank(y, c, results.root)?;
            Some(Row {
                city: c,
                rank,
                score: results.ranked_score(y, c, results.root),
                tied: false,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| results.cities[a.city].cmp(&results.cities[b.city]))
    });
    // Sorted by rank, a shared rank is one a neighbour holds too.
    let ranks: Vec<u32> = rows.iter().map(|r| r.rank).collect();
    for (i, row) in rows.iter_mut().enumerate() {
        row.tied = (i > 0 && ranks[i - 1] == row.rank) || ranks.get(i + 1) == Some(&row.rank);
    }
    rows
}

/// Ranking charts of more ranked cities than this become top-and-focus charts.
pub(crate) const FULL_CHART_MAX: usize = 60;
/// Cities at the top of a top-and-focus chart.
pub(crate) const TOP: usize = 40;
/// Cities shown above and below the focus city in a top-and-focus chart.
pub(crate) const NEIGHBOURS: usize = 2;

/// One row of the chart: a ranked city (its index in the rows) or a gap marker standing for
/// the rows `from..to` left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    City(usize),
    Gap { from: usize, to: usize },
}

/// The rows drawn: every ranked city up to [`FULL_CHART_MAX`]; beyond, a top-and-focus chart:
/// the top [`TOP`], a gap marker, the focus city with [`NEIGHBOURS`] cities above and below,
/// and a gap marker for the rest (the top is extended instead where the focus's window meets
/// it). `focus` is the focus city's index in `rows`, if ranked.
pub(crate) fn slots(n: usize, focus: Option<usize>) -> Vec<Slot> {
    if n <= FULL_CHART_MAX {
        return (0..n).map(Slot::City).collect();
    }
    let window = focus.map(|p| (p.saturating_sub(NEIGHBOURS), (p + NEIGHBOURS).min(n - 1)));
    let mut top = TOP;
    let window = match window {
        Some((first, last)) if first <= top => {
            top = top.max(last + 1);
            None
        }
        other => other,
    };
    let mut slots: Vec<Slot> = (0..top).map(Slot::City).collect();
    let mut next = top;
    if let Some((first, last)) = window {
        slots.push(Slot::Gap {
            from: next,
            to: first,
        });
        slots.extend((first..=last).map(Slot::City));
        next = last + 1;
    }
    if next < n {
        slots.push(Slot::Gap { from: next, to: n });
    }
    slots
}

/// A rank as shown in a label: "7", or "7=" when shared.
fn rank_label(row: &Row) -> String {
    if row.tied {
        format!("{}=", row.rank)
    } else {
        row.rank.to_string()
    }
}

/// The score axis: the index's scale (`methods.scale`, 0-100 by default) when every score lies
/// within it, else the scores' own range; with its description and the decimals of its tick
/// labels. Every score must be finite.
fn score_range(results: &Results, year: i32, rows: &[Row]) -> Result<(Range<f64>, String, usize)> {
    for r in rows {
        finite(CHART, r.score, || {
            format!("the score of `{}` in {year}", results.cities[r.city])
        })?;
    }
    let [l, u] = results.scale;
    let (l, u) = (l.min(u), l.max(u));
    let within = rows.iter().all(|r| (l..=u).contains(&r.score));
    let (range, desc) = if within && u > l {
        (
            l..u,
            format!("Index score ({l}-{u} scale, higher is healthier)"),
        )
    } else {
        let lo = rows.iter().map(|r| r.score).fold(0.0, f64::min);
        let hi = rows.iter().map(|r| r.score).fold(100.0, f64::max);
        (
            axis(CHART, "score", lo.floor(), hi.ceil())?,
            String::from("Index score (higher is healthier)"),
        )
    };
    // Eleven ticks, a tenth of the span apart: as many decimals as that step needs.
    let step = (range.end - range.start) / 10.0;
    // Clamped to 0..=6 before the conversion: no truncation or sign loss.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ticks = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    Ok((range, desc, ticks))
}

/// Pixel size of the ranking chart for `n` ranked cities: 1600 wide, tall enough to keep every
/// label readable (about 28 pixels a city).
fn ranking_size(n: usize) -> (u32, u32) {
    let n = u32::try_from(n).unwrap_or(u32::MAX / 64);
    (1600, (320 + 28 * n).max(700))
}

impl Chart for RankingChart<'_> {
    const NAME: &'static str = "ranking";

    /// 1600 wide, about 28 pixels a row drawn (at least 700): at most
    /// [`FULL_CHART_MAX`] cities, or the rows of a top-and-focus chart, whatever the number
    /// ranked.
    fn size(&self) -> (u32, u32) {
        let n = self.year.ranked_slot(self.results).map_or(0, |y| {
            let rows = rows(self.results, y);
            let focus = self
                .focus
                .and_then(|f| rows.iter().position(|r| r.city == f.slot()));
            slots(rows.len(), focus).len()
        });
        ranking_size(n)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &RankingChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let RankingChart {
        results, source, ..
    } = *chart;
    let y = chart.year.ranked_slot(results)?;
    let focus = chart
        .focus
        .map(|f| f.within(results.cities.len(), CHART))
        .transpose()?;
    let rows = rows(results, y);
    let n = rows.len();
    let focus_at = focus.and_then(|c| rows.iter().position(|r| r.city == c));
    let slots = slots(n, focus_at);
    let drawn = slots.len();
    let year_label = results.years[y];
    let (x_range, x_desc, tick_decimals) = score_range(results, year_label, &rows)?;
    let (lo, hi) = (x_range.start, x_range.end);
    // Decimals that tell the rows drawn apart (a top-and-focus chart leaves the others out).
    let decimals = decimals_for(
        results,
        slots
            .iter()
            .filter_map(|s| match *s {
                Slot::City(i) => Some((rows[i].rank, rows[i].score)),
                Slot::Gap { .. } => None,
            })
            .collect(),
    );

    let title = format!(
        "{}: ranking of {}, {year_label}",
        results.index_name, results.units
    );
    // The level breakdown: the shares of each score resting on regional and on national
    // values standing in for the city, in a column after the names, when any city drawn has
    // one (the regional share only when some city has one).
    let positive = |share: f64| share.is_finite() && share > 0.0;
    let drawn_cities = || {
        slots.iter().filter_map(|s| match *s {
            Slot::City(i) => Some(rows[i].city),
            Slot::Gap { .. } => None,
        })
    };
    let shows_region = drawn_cities().any(|c| positive(results.region_share(y, c)));
    let shows_national =
        shows_region || drawn_cities().any(|c| positive(results.proxy_share(y, c)));
    let national = |c: usize| {
        let pct = |x: f64| format!("{:.0}%", 100.0 * x);
        if shows_region {
            Some(format!(
                "{} + {}",
                pct(results.region_share(y, c)),
                pct(results.proxy_share(y, c))
            ))
        } else {
            positive(results.proxy_share(y, c)).then(|| pct(results.proxy_share(y, c)))
        }
    };
    let mut subtitle = vec![Line::plain(format!(
        "{n} of {} {} ranked in {year_label}, best at the top. Bars show the index score.{}",
        results.cities.len(),
        results.units,
        if shows_region {
            " Grey figures after each name: the shares of its score resting on regional + national values standing in for the city."
        } else if shows_national {
            " Grey figure after each name: the share of its score resting on national values used as proxies."
        } else {
            ""
        }
    ))];
    let shown = slots.iter().filter(|s| matches!(s, Slot::City(_))).count();
    if shown < n {
        let top = slots
            .iter()
            .take_while(|s| matches!(s, Slot::City(_)))
            .count();
        let with = match focus_at {
            Some(p) if p >= top => format!(
                " and {} with its neighbours",
                results.city_names[rows[p].city]
            ),
            _ => String::new(),
        };
        subtitle.push(Line::plain(format!(
            "Showing the top {top}{with}; the other {} are left out here, and ranking.csv lists every rank.",
            n - shown
        )));
    }
    let focus_row = focus_at.map(|p| &rows[p]);
    if let Some(c) = focus {
        let name = &results.city_names[c];
        let text = match focus_row {
            Some(row) => format!(
                "{name}: {}{} of {n}, score {:.decimals$}",
                ordinal(row.rank),
                if row.tied { " (shared)" } else { "" },
                row.score
            ),
            None => format!("{name}: not ranked in {year_label} (too little data)"),
        };
        subtitle.push(Line {
            text,
            color: okabe_ito::VERMILLION,
            bold: true,
        });
    }
    let plot = frame(area, &title, &subtitle, source, CHART)?;

    let u = unit(area);
    let (plot_w, plot_h) = plot.dim_in_pixel();
    let x_axis = 72.0 * u;
    let pitch = (f64::from(plot_h) - x_axis) / drawn.max(1) as f64;
    let size = (26.0 * u).min(pitch * 0.78);
    let normal = text(size, false, INK);
    let bold = text(size, true, okabe_ito::VERMILLION);
    let muted = text(size, false, MUTED);
    let style = |row: &Row| {
        if Some(row.city) == focus {
            bold.clone()
        } else {
            normal.clone()
        }
    };
    let gap_label = |from: usize, to: usize| {
        let (first, last) = (rows[from].rank, rows[to - 1].rank);
        let ranks = if first == last {
            format!("rank {first}")
        } else {
            format!("ranks {first} to {last}")
        };
        format!("\u{22ee} {ranks}: {} not shown", to - from)
    };
    let drawn_rows = || {
        slots.iter().filter_map(|s| match *s {
            Slot::City(i) => Some(&rows[i]),
            Slot::Gap { .. } => None,
        })
    };

    // Label column: ranks right-aligned, names left-aligned (on one line, ending in an
    // ellipsis beyond 30% of the chart's width), then the national share right-aligned.
    let gap = (14.0 * u) as i32;
    let name_max = (0.3 * f64::from(plot_w)) as i32;
    let national_text = |row: &Row| national(row.city).unwrap_or_default();
    let mut rank_w = 0;
    let mut name_w = 0;
    let mut national_w = 0;
    let mut names = std::collections::HashMap::new();
    for row in drawn_rows() {
        rank_w = rank_w.max(width(area, &rank_label(row), &style(row), CHART)?);
        let name = fit_lines(
            area,
            &results.city_names[row.city],
            &style(row),
            name_max,
            1,
            CHART,
        )?
        .join(" ");
        name_w = name_w.max(width(area, &name, &style(row), CHART)?);
        names.insert(row.city, name);
        national_w = national_w.max(width(area, &national_text(row), &muted, CHART)?);
    }
    let national_col = if national_w > 0 { national_w + gap } else { 0 };
    // A gap marker may run on into the plot: its row has no bar.
    let label_area = rank_w + gap + name_w + national_col + 2 * gap;

    // Value labels right of the bars; reserve what the longest needs beyond the plot.
    let value = |row: &Row| {
        if Some(row.city) == focus {
            format!("{:.decimals$}  \u{2190} {}", row.score, ordinal(row.rank))
        } else {
            format!("{:.decimals$}", row.score)
        }
    };
    let span = f64::from(plot_w) - f64::from(label_area);
    let mut right = 0.0_f64;
    for row in drawn_rows() {
        let need = f64::from(width(area, &value(row), &style(row), CHART)? + gap);
        let f = (row.score - lo) / (hi - lo);
        if f > 0.0 {
            right = right.max((need - (1.0 - f) * span) / f);
        }
    }

    let mut chart = ChartBuilder::on(&plot)
        .margin_right(right.ceil() as i32 + gap)
        .margin_top((8.0 * u) as i32)
        .x_label_area_size(x_axis as i32)
        .y_label_area_size(label_area)
        .build_cartesian_2d(x_range.clone(), 0.0..drawn.max(1) as f64)
        .map_err(drawing(CHART))?;
    let fmt = |v: &f64| format!("{v:.tick_decimals$}");
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(11)
        .x_label_formatter(&fmt)
        .x_desc(x_desc)
        .house_style(u)
        .draw()
        .map_err(drawing(CHART))?;

    let top = |i: usize| (drawn - i) as f64;
    let focus_slot = slots
        .iter()
        .position(|s| matches!(*s, Slot::City(i) if Some(rows[i].city) == focus));
    if let Some(i) = focus_slot {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(lo, top(i) - 1.0), (hi, top(i))],
                okabe_ito::VERMILLION.mix(0.10).filled(),
            )))
            .map_err(drawing(CHART))?;
    }
    // Bars fill two thirds of their row, but no thicker than 44 pixels a unit.
    let half = (0.34_f64).min(22.0 * u / pitch.max(1.0));
    let bar = |row: &Row| {
        if Some(row.city) == focus {
            okabe_ito::VERMILLION
        } else {
            okabe_ito::BLUE
        }
    };
    chart
        .draw_series(slots.iter().enumerate().filter_map(|(i, s)| match *s {
            Slot::City(k) => {
                let row = &rows[k];
                Some(Rectangle::new(
                    [
                        (lo, top(i) - 0.5 - half),
                        (row.score.max(lo), top(i) - 0.5 + half),
                    ],
                    bar(row).filled(),
                ))
            }
            Slot::Gap { .. } => None,
        }))
        .map_err(drawing(CHART))?;

    // Labels, in the area's own pixel coordinates.
    let (bx, by) = area.get_base_pixel();
    for (i, s) in slots.iter().enumerate() {
        let (x0, yc) = chart.backend_coord(&(lo, top(i) - 0.5));
        let (x0, yc) = (x0 - bx, yc - by);
        let left = x0 - label_area + gap;
        let row = match *s {
            Slot::City(k) => &rows[k],
            Slot::Gap { from, to } => {
                // On a white ground that breaks the axis line: ranks are left out here.
                let label = gap_label(from, to);
                let w = width(area, &label, &muted, CHART)?;
                let half_h = (pitch / 2.0).ceil() as i32;
                area.draw(&Rectangle::new(
                    [
                        (left - gap / 2, yc - half_h),
                        (left + w + gap / 2, yc + half_h),
                    ],
                    WHITE.filled(),
                ))
                .map_err(drawing(CHART))?;
                area.draw_text(
                    &label,
                    &anchored(&muted, HPos::Left, VPos::Center),
                    (left, yc),
                )
                .map_err(drawing(CHART))?;
                continue;
            }
        };
        let (x1, _) = chart.backend_coord(&(row.score.max(lo), top(i) - 0.5));
        let x1 = x1 - bx;
        let s = style(row);
        area.draw_text(
            &rank_label(row),
            &anchored(&s, HPos::Right, VPos::Center),
            (left + rank_w, yc),
        )
        .map_err(drawing(CHART))?;
        area.draw_text(
            names.get(&row.city).map_or("", String::as_str),
            &anchored(&s, HPos::Left, VPos::Center),
            (left + rank_w + gap, yc),
        )
        .map_err(drawing(CHART))?;
        if national_col > 0 {
            area.draw_text(
                &national_text(row),
                &anchored(&muted, HPos::Right, VPos::Center),
                (left + rank_w + gap + name_w + national_col, yc),
            )
            .map_err(drawing(CHART))?;
        }
        area.draw_text(
            &value(row),
            &anchored(&s, HPos::Left, VPos::Center),
            (x1 + gap / 2, yc),
        )
        .map_err(drawing(CHART))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_svg, write_chart};
    use crate::testdata::{png_size, results, svg_texts};

    const SOURCE: &str = "Source: test data. Tiny healthy-city index, panel min-max 0-100.";

    fn has(svg: &str, text: &str) -> bool {
        svg_texts(svg).iter().any(|t| t == text)
    }

    /// The chart of year slot `year` (the latest ranked year if `None`), `focus` by id or name.
    fn chart<'a>(r: &'a Results, year: Option<usize>, focus: Option<&str>) -> RankingChart<'a> {
        RankingChart {
            results: r,
            year: year.map_or_else(|| Year::latest_ranked(r).unwrap(), |y| Year(r.years[y])),
            focus: focus.map(|f| Focus::find(r, f).unwrap()),
            source: SOURCE,
        }
    }

    fn svg(year: Option<usize>, focus: Option<&str>) -> String {
        let r = results();
        let chart = chart(&r, year, focus);
        assert_eq!(chart.size(), ranking_size(3));
        render_svg(&chart).unwrap()
    }

    #[test]
    fn the_svg_names_the_index_year_focus_city_and_its_rank() {
        let s = svg(None, Some("london"));
        assert!(
            s.contains("Tiny healthy-city index: ranking of cities, 2019"),
            "{s}"
        );
        assert!(s.contains("London: 1st of 3, score 87.5"));
        assert!(s.contains("87.5  \u{2190} 1st"));
        assert!(s.contains(SOURCE));
        // The focus city's bar is vermillion, the others blue.
        assert!(s.contains("#D55E00"));
        assert!(s.contains("#0072B2"));
    }

    #[test]
    fn shared_ranks_are_marked_and_an_unranked_focus_is_said_so() {
        let s = svg(Some(0), Some("London"));
        assert!(has(&s, "London: 1st (shared) of 3, score 50.0"));
        assert!(has(&s, "1="));
        let s = svg(Some(1), Some("London"));
        assert!(has(&s, "London: not ranked in 2018 (too little data)"));
        assert!(s.contains("2 of 3 cities ranked in 2018"));
    }

    #[test]
    fn an_infinite_score_is_an_error_naming_the_city_not_a_hang() {
        // An overflowing score (a weight of 1e308) used to send plotters' tick search on an
        // infinite axis into an endless loop.
        let mut r = results();
        let y = Year::latest_ranked(&r).unwrap().ranked_slot(&r).unwrap();
        let c = (0..r.cities.len()).find(|&c| r.is_ranked(y, c)).unwrap();
        let slot = (y * r.cities.len() + c) * r.nodes.len() + r.root;
        for value in [f64::INFINITY, f64::NAN] {
            r.scores[slot] = value;
            let err = render_svg(&chart(&r, None, None)).unwrap_err().to_string();
            assert!(
                err.contains(&format!("the score of `{}` in", r.cities[c]))
                    && err.contains("not a finite number"),
                "{err}"
            );
        }
    }

    #[test]
    fn beyond_sixty_cities_the_chart_shows_the_top_the_focus_and_its_neighbours() {
        use Slot::{City, Gap};
        // 60 cities: every one.
        assert_eq!(slots(60, Some(55)), (0..60).map(City).collect::<Vec<_>>());
        // 400 cities, focus at row 200: rows 0-39, a gap for 40-197, 198-202, a gap for the
        // rest.
        let s = slots(400, Some(200));
        let mut expected: Vec<Slot> = (0..40).map(City).collect();
        expected.push(Gap { from: 40, to: 198 });
        expected.extend((198..=202).map(City));
        expected.push(Gap { from: 203, to: 400 });
        assert_eq!(s, expected);
        // Focus last: two above it, no trailing gap.
        let s = slots(400, Some(399));
        assert_eq!(
            s[40..],
            [Gap { from: 40, to: 397 }, City(397), City(398), City(399)]
        );
        // Focus within reach of the top (row 41: its window 39-43 meets rows 0-39): the top
        // runs on to row 43, then one gap.
        let s = slots(400, Some(41));
        assert_eq!(s.len(), 45);
        assert_eq!(s[44], Gap { from: 44, to: 400 });
        // No focus (or an unranked one): the top 40 and one gap.
        assert_eq!(slots(61, None).len(), 41);
        // Height bounded whatever the number: at most 40 + 1 + 5 + 1 rows.
        assert!(slots(1_000_000, Some(500_000)).len() <= 47);
    }

    #[test]
    fn a_chart_of_four_hundred_cities_names_the_rows_left_out_and_stays_small() {
        let r = crate::testdata::many(400);
        let y = 0;
        assert_eq!(r.n_ranked(y), 400);
        let rows = rows(&r, y);
        let focus = rows[200].city;
        let chart = RankingChart {
            results: &r,
            year: Year(2019),
            focus: Some(Focus::new(focus)),
            source: SOURCE,
        };
        // 47 rows drawn (40, a gap, 5, a gap): 320 + 28 * 47 = 1636 pixels high; 400 - 45 =
        // 355 cities left out.
        assert_eq!(chart.size(), (1600, 1636));
        let svg = render_svg(&chart).unwrap();
        let texts = svg_texts(&svg);
        let name = &r.city_names[focus];
        assert!(
            texts.iter().any(|t| t == &format!("Showing the top 40 and {name} with its neighbours; the other 355 are left out here, and ranking.csv lists every rank.")),
            "{texts:?}"
        );
        let gap =
            |from: u32, to: u32, n: usize| format!("\u{22ee} ranks {from} to {to}: {n} not shown");
        let (r41, r198) = (rows[40].rank, rows[197].rank);
        assert!(texts.contains(&gap(r41, r198, 158)), "{texts:?}");
        let (r204, last) = (rows[203].rank, rows[399].rank);
        assert!(texts.contains(&gap(r204, last, 197)), "{texts:?}");
        // The rows drawn: the top 40 names and the focus's window, nothing else.
        for (i, row) in rows.iter().enumerate() {
            let drawn = i < 40 || (198..=202).contains(&i);
            assert_eq!(
                texts.contains(&r.city_names[row.city]),
                drawn,
                "row {i}: {}",
                r.city_names[row.city]
            );
        }
    }

    #[test]
    fn a_zero_to_one_index_is_drawn_on_its_own_scale_with_distinct_labels() {
        let mut r = results();
        let (nc, nn) = (r.cities.len(), r.nodes.len());
        for v in &mut r.scores[2 * nc * nn..] {
            *v /= 100.0;
        }
        r.scale = [0.0, 1.0];
        let s = render_svg(&chart(&r, None, Some("london"))).unwrap();
        // 0.875, 0.5 and 0 with 3 decimals (span 1); ticks a tenth apart, one decimal.
        assert!(
            has(&s, "Index score (0-1 scale, higher is healthier)"),
            "{s}"
        );
        assert!(has(&s, "London: 1st of 3, score 0.875"));
        assert!(has(&s, "0.500"));
        assert!(has(&s, "0.3"));
        assert!(!has(&s, "30"));
    }

    #[test]
    fn each_row_shows_the_share_of_its_score_resting_on_national_values() {
        // Life expectancy, a national proxy, carries half of every score (testdata).
        let r = results();
        let texts = svg_texts(&render_svg(&chart(&r, None, Some("london"))).unwrap());
        assert_eq!(texts.iter().filter(|t| *t == "50%").count(), 3, "{texts:?}");
        assert!(texts.join(" ").contains(
            "Grey figure after each name: the share of its score resting on national values used as proxies."
        ), "{texts:?}");
        // With a regional value, the column gives regional + national shares.
        let regional = crate::testdata::regional_paris();
        let texts = svg_texts(&render_svg(&chart(&regional, None, Some("london"))).unwrap());
        assert_eq!(
            texts.iter().filter(|t| *t == "0% + 50%").count(),
            2,
            "{texts:?}"
        );
        assert_eq!(
            texts.iter().filter(|t| *t == "50% + 0%").count(),
            1,
            "{texts:?}"
        );
        assert!(
            texts.join(" ").contains("regional + national values"),
            "{texts:?}"
        );
        // Without proxies: no column and no sentence.
        let own = crate::testdata::results_of(&crate::testdata::DATA.replace(",proxy", ","));
        let texts = svg_texts(&render_svg(&chart(&own, None, Some("london"))).unwrap());
        assert!(
            !texts
                .iter()
                .any(|t| t.ends_with('%') || t.contains("Grey figure")),
            "{texts:?}"
        );
    }

    #[test]
    fn the_best_city_is_drawn_at_the_top() {
        let s = svg(None, None);
        let y_of = |name: &str| {
            let at = s.find(&format!(">\n{name}\n<")).unwrap();
            let tag = &s[s[..at].rfind("<text").unwrap()..at];
            let y = tag.split("y=\"").nth(1).unwrap();
            y[..y.find('"').unwrap()].parse::<i32>().unwrap()
        };
        assert!(y_of("London") < y_of("Paris"));
        assert!(y_of("Paris") < y_of("Tokyo"));
    }

    #[test]
    fn writes_a_png_of_the_stated_size_and_renders_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let r = results();
        let paths = |k: &str| {
            (
                dir.path().join(format!("{k}.svg")),
                dir.path().join(format!("{k}.png")),
            )
        };
        let (svg_a, png_a) = paths("a");
        let (svg_b, png_b) = paths("b");
        let c = chart(&r, None, Some("london"));
        write_chart(&c, &svg_a, &png_a).unwrap();
        write_chart(&c, &svg_b, &png_b).unwrap();
        let png = std::fs::read(&png_a).unwrap();
        assert_eq!(png_size(&png), ranking_size(3));
        assert_eq!(png, std::fs::read(&png_b).unwrap());
        assert_eq!(
            std::fs::read(&svg_a).unwrap(),
            std::fs::read(&svg_b).unwrap()
        );
    }

    #[test]
    fn a_png_path_without_the_extension_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("ranking.tmp");
        let r = results();
        let err = write_chart(&chart(&r, None, None), &dir.path().join("r.svg"), &png)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("ranking.tmp`: the file name must end in `.png`"),
            "{err}"
        );
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let r = results();
        for (year, focus) in [
            (None, Some("london")),
            (Some(0), Some("London")),
            (Some(1), Some("London")),
            (None, None),
        ] {
            crate::testdata::assert_text_inside(&chart(&r, year, focus));
        }
        let flat = crate::testdata::flat();
        crate::testdata::assert_text_inside(&chart(&flat, None, Some("paris")));
        let many = crate::testdata::many(400);
        crate::testdata::assert_text_inside(&chart(&many, None, Some("City 250")));
    }
}
