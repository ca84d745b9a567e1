//! The rank-interval chart of an uncertainty analysis: per city, the 5-95% range of its rank
//! over the replications, the median and the nominal rank.

use healthy_city_score::RankStats;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::{Focus, Year};
use crate::format::{fit_lines, ordinal, width};
use crate::frame::{frame, Line};
use crate::ranking::{slots, Slot};
use crate::style::{anchored, okabe_ito, register_fonts, text, unit, HouseStyle, INK, MUTED};

const CHART: &str = IntervalChart::NAME;

/// The rank-interval chart: one row per city, best nominal rank at the top; a bar from the 5th
/// to the 95th percentile rank, a dot at the median and a ring at the nominal rank; rank 1 on
/// the left.
#[derive(Debug, Clone)]
pub struct IntervalChart<'a> {
    /// Each city's rank statistics over the replications.
    pub stats: &'a [RankStats],
    /// Index name, for the title.
    pub index: &'a str,
    /// Year analysed.
    pub year: Year,
    /// Replications.
    pub runs: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// The uncertain inputs, in words.
    pub inputs: &'a str,
    /// Display name of each city, in the order of the statistics.
    pub names: &'a [String],
    /// City highlighted (its position in the statistics).
    pub focus: Option<Focus>,
    /// Source footnote.
    pub source: &'a str,
}

/// Pixel size for `n` rows (about 28 pixels a row).
fn intervals_size(n: usize) -> (u32, u32) {
    let n = u32::try_from(n).unwrap_or(u32::MAX / 64);
    (1600, (360 + 28 * n).max(700))
}

impl Chart for IntervalChart<'_> {
    const NAME: &'static str = "rank intervals";

    /// 1600 wide, about 28 pixels a row drawn (at least 700): every city up to
    /// [`FULL_CHART_MAX`](crate::ranking::FULL_CHART_MAX), else the top and the focus city (see
    /// [`slots`]).
    fn size(&self) -> (u32, u32) {
        let focus = self
            .focus
            .and_then(|f| f.within(self.stats.len(), CHART).ok());
        let (order, at) = by_nominal_rank(self.stats, focus);
        intervals_size(slots(order.len(), at).len())
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

/// The cities by nominal rank (ties by position), and where the focus city is among them.
fn by_nominal_rank(stats: &[RankStats], focus: Option<usize>) -> (Vec<usize>, Option<usize>) {
    let mut order: Vec<usize> = (0..stats.len()).collect();
    order.sort_by_key(|&c| (stats[c].nominal_rank, c));
    let at = focus.and_then(|f| order.iter().position(|&c| c == f));
    (order, at)
}

#[allow(clippy::too_many_lines)]
fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &IntervalChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let stats = chart.stats;
    let focus = chart
        .focus
        .map(|f| f.within(stats.len().min(chart.names.len()), CHART))
        .transpose()?;
    let (order, focus_at) = by_nominal_rank(stats, focus);
    let n = stats.len();
    // The rows drawn: every city up to `FULL_CHART_MAX`, else the top, the focus city with its
    // neighbours and gap markers (as in the ranking chart); the rank axis keeps every rank.
    let slots = slots(n, focus_at);
    let drawn: Vec<(usize, usize)> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match *s {
            Slot::City(p) => Some((i, order[p])),
            Slot::Gap { .. } => None,
        })
        .collect();
    let rows = slots.len();
    let title = format!("{}: how sure is each rank? {}", chart.index, chart.year);
    let mut subtitle = vec![
        Line::plain(format!(
            "Rank over {} replications (seed {}) varying {}.",
            chart.runs, chart.seed, chart.inputs
        )),
        Line::plain(String::from(
            "Bar: 5th to 95th percentile rank; dot: median; ring: nominal rank. Rank 1 is best, on the left.",
        )),
    ];
    if let Some(c) = focus {
        let s = &stats[c];
        subtitle.push(Line {
            text: format!(
                "{}: nominal {}, median {}, 90% of runs between {} and {}; first in {:.1}% of runs",
                chart.names[c],
                ordinal(s.nominal_rank),
                s.median_rank,
                crate::format::rank_text(s.q05_rank),
                crate::format::rank_text(s.q95_rank),
                100.0 * s.p_first
            ),
            color: okabe_ito::VERMILLION,
            bold: true,
        });
    }
    if drawn.len() < n {
        let top = slots
            .iter()
            .take_while(|s| matches!(s, Slot::City(_)))
            .count();
        let with = match (focus, focus_at) {
            (Some(c), Some(p)) if p >= top => {
                format!(" and {} with its neighbours", chart.names[c])
            }
            _ => String::new(),
        };
        subtitle.push(Line::plain(format!(
            "Showing the top {top} by nominal rank{with}; the other {} are left out here, and uncertainty.csv lists every city.",
            n - drawn.len()
        )));
    }
    let plot = frame(area, &title, &subtitle, chart.source, CHART)?;
    let u = unit(area);
    let (_, plot_h) = plot.dim_in_pixel();
    let x_axis = 72.0 * u;
    let pitch = (f64::from(plot_h) - x_axis) / rows.max(1) as f64;
    let size = (24.0 * u).min(pitch * 0.78);
    let normal = text(size, false, INK);
    let bold = text(size, true, okabe_ito::VERMILLION);
    let style = |c: usize| {
        if Some(c) == focus {
            bold.clone()
        } else {
            normal.clone()
        }
    };
    let gap = (14.0 * u) as i32;
    // Names on one line of at most 30% of the chart's width, ending in an ellipsis beyond.
    let name_max = (0.3 * f64::from(area.dim_in_pixel().0)) as i32;
    let mut name_w = 0;
    let mut names = std::collections::HashMap::new();
    let muted = text(size, false, MUTED);
    let gap_label = |from: usize, to: usize| {
        let (first, last) = (
            stats[order[from]].nominal_rank,
            stats[order[to - 1]].nominal_rank,
        );
        let ranks = if first == last {
            format!("rank {first}")
        } else {
            format!("ranks {first} to {last}")
        };
        format!("\u{22ee} {ranks}: {} not shown", to - from)
    };
    for s in &slots {
        if let Slot::Gap { from, to } = *s {
            name_w = name_w.max(width(area, &gap_label(from, to), &muted, CHART)?);
        }
    }
    for &(_, c) in &drawn {
        let name = fit_lines(area, &chart.names[c], &style(c), name_max, 1, CHART)?.join(" ");
        name_w = name_w.max(width(area, &name, &style(c), CHART)?);
        names.insert(c, name);
    }
    let label_area = name_w + 2 * gap;
    let hi = n.max(2) as f64 + 0.5;
    let mut plotted = ChartBuilder::on(&plot)
        .margin_right(3 * gap)
        .margin_top((8.0 * u) as i32)
        .x_label_area_size(x_axis as i32)
        .y_label_area_size(label_area)
        .build_cartesian_2d(0.5..hi, 0.0..rows.max(1) as f64)
        .map_err(drawing(CHART))?;
    let fmt = |v: &f64| format!("{v:.0}");
    plotted
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(n.clamp(2, 12))
        .x_label_formatter(&fmt)
        .x_desc("Rank (1 = best)")
        .house_style(u)
        .draw()
        .map_err(drawing(CHART))?;
    let top = |i: usize| (rows - i) as f64 - 0.5;
    let colour = |c: usize| {
        if Some(c) == focus {
            okabe_ito::VERMILLION
        } else {
            okabe_ito::BLUE
        }
    };
    if let Some(&(i, _)) = drawn.iter().find(|&&(_, c)| Some(c) == focus) {
        plotted
            .draw_series(std::iter::once(Rectangle::new(
                [(0.5, top(i) - 0.5), (hi, top(i) + 0.5)],
                okabe_ito::VERMILLION.mix(0.10).filled(),
            )))
            .map_err(drawing(CHART))?;
    }
    let half = (0.22_f64).min(10.0 * u / pitch.max(1.0));
    plotted
        .draw_series(drawn.iter().map(|&(i, c)| {
            let s = &stats[c];
            Rectangle::new(
                [
                    (s.q05_rank - 0.2, top(i) - half),
                    (s.q95_rank + 0.2, top(i) + half),
                ],
                colour(c).mix(0.45).filled(),
            )
        }))
        .map_err(drawing(CHART))?;
    let radius = ((8.0 * u).min(pitch * 0.3)).max(2.0) as i32;
    plotted
        .draw_series(
            drawn.iter().map(|&(i, c)| {
                Circle::new((stats[c].median_rank, top(i)), radius, colour(c).filled())
            }),
        )
        .map_err(drawing(CHART))?;
    plotted
        .draw_series(drawn.iter().map(|&(i, c)| {
            Circle::new(
                (f64::from(stats[c].nominal_rank), top(i)),
                radius + 3,
                ShapeStyle::from(&INK).stroke_width(2),
            )
        }))
        .map_err(drawing(CHART))?;
    let (bx, by) = area.get_base_pixel();
    for (i, s) in slots.iter().enumerate() {
        let (x0, yc) = plotted.backend_coord(&(0.5, top(i)));
        let (x0, yc) = (x0 - bx, yc - by);
        let (label, style) = match *s {
            Slot::City(p) => (
                names.get(&order[p]).cloned().unwrap_or_default(),
                style(order[p]),
            ),
            Slot::Gap { from, to } => (gap_label(from, to), muted.clone()),
        };
        area.draw_text(
            &label,
            &anchored(&style, HPos::Right, VPos::Center),
            (x0 - gap, yc),
        )
        .map_err(drawing(CHART))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_png, render_svg};
    use crate::testdata::{png_size, svg_texts};

    fn stats() -> Vec<RankStats> {
        let row = |city: &str, nominal: u32, median: f64, q05: f64, q95: f64, p: f64| RankStats {
            city: city.to_string(),
            nominal_rank: nominal,
            mean_rank: median,
            median_rank: median,
            q05_rank: q05,
            q95_rank: q95,
            p_first: p,
            p_top3: 1.0,
        };
        vec![
            row("b", 2, 2.0, 1.0, 3.0, 0.3),
            row("a", 1, 1.0, 1.0, 2.0, 0.7),
            row("c", 3, 3.0, 2.0, 3.0, 0.0),
        ]
    }

    /// The chart of `stats` for cities `names`, the first one the focus.
    fn chart<'a>(stats: &'a [RankStats], names: &'a [String]) -> IntervalChart<'a> {
        IntervalChart {
            stats,
            index: "Tiny index",
            year: Year(2019),
            runs: 1000,
            seed: 7,
            inputs: "weights",
            names,
            focus: Some(Focus::new(0)),
            source: "Source: test data.",
        }
    }

    #[test]
    fn a_long_name_ends_in_an_ellipsis_inside_the_canvas() {
        let names: Vec<String> = [
            "Beta",
            "Alpha, the city with a name long enough to squeeze any plot off its canvas and more",
            "Gamma",
        ]
        .map(String::from)
        .to_vec();
        let stats = stats();
        let chart = chart(&stats, &names);
        let texts = svg_texts(&render_svg(&chart).unwrap());
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("Alpha, the city") && t.ends_with('\u{2026}')),
            "{texts:?}"
        );
        crate::testdata::assert_text_inside(&chart);
    }

    #[test]
    fn names_every_city_and_says_how_sure_the_focus_city_is() {
        let names: Vec<String> = ["Beta", "Alpha", "Gamma"].map(String::from).to_vec();
        let stats = stats();
        let chart = chart(&stats, &names);
        assert_eq!(chart.size(), intervals_size(3));
        let s = render_svg(&chart).unwrap();
        let texts = svg_texts(&s);
        for name in ["Alpha", "Beta", "Gamma"] {
            assert!(texts.iter().any(|t| t == name), "{name} missing: {texts:?}");
        }
        assert!(
            texts.iter().any(|t| t.contains(
                "Beta: nominal 2nd, median 2, 90% of runs between 1 and 3; first in 30.0% of runs"
            )),
            "{texts:?}"
        );
        // Labels are drawn top to bottom: Alpha (nominal 1st) before Beta and Gamma.
        let at = |name: &str| texts.iter().position(|t| t == name).unwrap();
        assert!(at("Alpha") < at("Beta") && at("Beta") < at("Gamma"));
    }

    #[test]
    fn a_chart_of_many_cities_draws_the_top_forty_and_the_focus_city_with_its_neighbours() {
        // 100 cities, nominal rank = position + 1; the focus city is 70th.
        let stats: Vec<RankStats> = (0..100u32)
            .map(|k| {
                let r = f64::from(k + 1);
                RankStats {
                    city: format!("c{k}"),
                    nominal_rank: k + 1,
                    mean_rank: r,
                    median_rank: r,
                    q05_rank: (r - 2.0).max(1.0),
                    q95_rank: (r + 2.0).min(100.0),
                    p_first: 0.0,
                    p_top3: 0.0,
                }
            })
            .collect();
        let names: Vec<String> = (0..100).map(|k| format!("City {k}")).collect();
        let mut chart = chart(&stats, &names);
        chart.focus = Some(Focus::new(69));
        // 40 at the top, a gap, 5 around the focus, a gap: 47 rows.
        assert_eq!(chart.size(), intervals_size(47));
        let texts = svg_texts(&render_svg(&chart).unwrap());
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(has("City 0") && has("City 39") && has("City 67") && has("City 71"));
        assert!(!has("City 40") && !has("City 66") && !has("City 72") && !has("City 99"));
        assert!(has("\u{22ee} ranks 41 to 67: 27 not shown"), "{texts:?}");
        assert!(has("\u{22ee} ranks 73 to 100: 28 not shown"), "{texts:?}");
        assert!(
            texts.iter().any(|t| t.starts_with(
                "Showing the top 40 by nominal rank and City 69 with its neighbours; the other 55"
            )),
            "{texts:?}"
        );
    }

    #[test]
    fn renders_a_png_of_the_stated_size_deterministically_and_refuses_a_focus_beyond_the_cities() {
        let names: Vec<String> = ["Beta", "Alpha", "Gamma"].map(String::from).to_vec();
        let stats = stats();
        let chart = IntervalChart {
            stats: &stats,
            index: "Tiny index",
            year: Year(2019),
            runs: 1000,
            seed: 7,
            inputs: "weights",
            names: &names,
            focus: Some(Focus::new(2)),
            source: "Source: test data.",
        };
        let png = render_png(&chart).unwrap();
        assert_eq!(png_size(&png), intervals_size(3));
        assert_eq!(png, render_png(&chart).unwrap());
        let beyond = IntervalChart {
            focus: Some(Focus::new(3)),
            ..chart
        };
        assert_eq!(
            render_svg(&beyond).unwrap_err().to_string(),
            "the rank intervals chart has 3 cities: no city at slot 3"
        );
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let names: Vec<String> = ["Beta", "Alpha", "Gamma"].map(String::from).to_vec();
        let stats = stats();
        for focus in [None, Some(Focus::new(0)), Some(Focus::new(2))] {
            crate::testdata::assert_text_inside(&IntervalChart {
                stats: &stats,
                index: "Tiny index",
                year: Year(2019),
                runs: 1000,
                seed: 7,
                inputs: "weights",
                names: &names,
                focus,
                source: "Source: test data.",
            });
        }
    }
}
