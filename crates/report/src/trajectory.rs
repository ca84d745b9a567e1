//! The trajectory chart: one city's index rank in every ranked year, rank 1 at the top.

use healthy_city_model::ReferenceRank;
use healthy_city_score::Results;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::{ranked_year, Focus};
use crate::format::{ordinal, width, wrap};
use crate::frame::{frame, Line};
use crate::style::{
    anchored, okabe_ito, register_fonts, text, unit, HouseStyle, Ticked, INK, MUTED,
};

const CHART: &str = TrajectoryChart::NAME;

/// Pixel size of the trajectory chart.
const TRAJECTORY_SIZE: (u32, u32) = (1600, 1000);

/// The trajectory chart: one city's index rank in every ranked year, a line with points, rank 1
/// at the top, each point labelled with its rank and the number of cities ranked that year,
/// unranked years as gaps, and a dashed reference line for each of the framework's reference
/// ranks that belongs to the city (or to no city in particular), labelled with its ordinal and
/// label, its source printed in the subtitle: a reference rank is usually not a rank of this
/// index, and the chart says where it comes from.
#[derive(Debug, Clone, Copy)]
pub struct TrajectoryChart<'a> {
    /// The results drawn.
    pub results: &'a Results,
    /// The city whose ranks are drawn.
    pub city: Focus,
    /// The framework's reference ranks (`[report] reference_ranks`); the chart draws those of
    /// `city` and those naming no city.
    pub references: &'a [ReferenceRank],
    /// Source footnote.
    pub source: &'a str,
}

impl Chart for TrajectoryChart<'_> {
    const NAME: &'static str = "trajectory";

    /// 1600 x 1000.
    fn size(&self) -> (u32, u32) {
        TRAJECTORY_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

/// One year on the x axis: year, the city's rank (None: unranked), cities ranked (0: the year is
/// not ranked at all).
struct Point {
    year: i32,
    rank: Option<u32>,
    n: usize,
}

fn points(results: &Results, c: usize) -> Vec<Point> {
    let ranked: Vec<usize> = (0..results.years.len())
        .filter(|&y| results.year_ranked[y])
        .collect();
    let (Some(&first), Some(&last)) = (ranked.first(), ranked.last()) else {
        return Vec::new();
    };
    (first..=last)
        .map(|y| Point {
            year: results.years[y],
            rank: results.rank(y, c, results.root),
            n: if results.year_ranked[y] {
                results.n_ranked(y)
            } else {
                0
            },
        })
        .collect()
}

/// How many cities were ranked, in words.
fn ranked_counts(points: &[Point], units: &str) -> String {
    let counts = points.iter().map(|p| p.n).filter(|&n| n > 0);
    let lo = counts.clone().min().unwrap_or(0);
    let hi = counts.max().unwrap_or(0);
    if lo == hi {
        format!("{hi} {units} ranked each year")
    } else {
        format!("{lo} to {hi} {units} ranked a year (under each rank label)")
    }
}

/// The runs of consecutive years in which the city has no rank, as (first, last) point indices.
fn unranked_runs(points: &[Point]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (k, p) in points.iter().enumerate() {
        if p.rank.is_some() {
            continue;
        }
        match runs.last_mut() {
            Some(run) if run.1 + 1 == k => run.1 = k,
            _ => runs.push((k, k)),
        }
    }
    runs
}

/// The note under a run of unranked years: why, if it fits.
fn gap_note(run: &[Point], units: &str) -> String {
    if run.iter().all(|p| p.n == 0) {
        // No city is ranked in these years.
        format!("not ranked: too few {units} with data")
    } else {
        "not ranked: too little data".to_string()
    }
}

/// Lists years as "2016, 2018".
fn years(points: &[&Point]) -> String {
    points
        .iter()
        .map(|p| p.year.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where point `k` (rank `r`) takes its label, clear of the line segments that leave it and of
/// its neighbours' labels: above the point if no segment rises from it; below it if a segment
/// rises and none falls (a level neighbour's label is above, so below is clear); else, on a
/// diagonal, in the free upper corner.
/// Returns the horizontal anchor, the x offset from the point, and whether it goes above.
fn label_place(points: &[Point], k: usize, r: u32, offset: i32) -> (HPos, i32, bool) {
    let neighbour = |i: Option<usize>| i.and_then(|i| points.get(i)).and_then(|p| p.rank);
    let (left, right) = (neighbour(k.checked_sub(1)), neighbour(Some(k + 1)));
    // A smaller rank is drawn higher.
    let rises = |n: Option<u32>| n.is_some_and(|n| n < r);
    let falls = |n: Option<u32>| n.is_some_and(|n| n > r);
    match (rises(left), rises(right)) {
        (false, false) => (HPos::Center, 0, true),
        (true, true) => (HPos::Center, 0, false),
        (false, true) if !falls(left) => (HPos::Center, 0, false),
        (true, false) if !falls(right) => (HPos::Center, 0, false),
        (false, true) => (HPos::Right, -offset, true),
        (true, false) => (HPos::Left, offset, true),
    }
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &TrajectoryChart<'_>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let TrajectoryChart {
        results,
        references,
        source,
        ..
    } = *chart;
    ranked_year(results, None)?;
    let slot = chart.city.within(results.cities.len(), CHART)?;
    let points = points(results, slot);
    let name = &results.city_names[slot];
    let (y0, y1) = match (points.first(), points.last()) {
        (Some(a), Some(b)) => (a.year, b.year),
        _ => (0, 0),
    };
    let span = if y0 == y1 {
        y0.to_string()
    } else {
        format!("{y0}-{y1}")
    };
    let title = format!(
        "{name}'s rank among {}, {}, {span}",
        results.units, results.index_name
    );
    let mut subtitle = vec![Line::plain(format!(
        "Index rank each year, 1 = healthiest; {}.",
        ranked_counts(&points, &results.units)
    ))];
    let id = &results.cities[slot];
    let references: Vec<(u32, String)> = references
        .iter()
        .filter(|r| r.belongs_to(id))
        .map(|r| {
            subtitle.push(Line::plain(format!(
                "Dashed line at {}: {}.",
                ordinal(r.rank),
                r.source.trim_end_matches('.')
            )));
            (r.rank, format!("{}: {}", ordinal(r.rank), r.label))
        })
        .collect();
    let unranked: Vec<&Point> = points
        .iter()
        .filter(|p| p.n > 0 && p.rank.is_none())
        .collect();
    if !unranked.is_empty() {
        subtitle.push(Line::plain(format!(
            "{name} is not ranked in {} (too little data): a gap in the line.",
            years(&unranked)
        )));
    }
    let plot = frame(area, &title, &subtitle, source, CHART)?;

    let u = unit(area);
    let gap = (14.0 * u) as i32;
    let worst = points
        .iter()
        .filter_map(|p| p.rank)
        .chain(references.iter().map(|r| r.0))
        .max()
        .unwrap_or(1)
        .max(2);
    // Every rank up to 20, every fifth up to 100; beyond, a round step giving at most 12
    // ticks (a rank among 800 European cities would otherwise print 160 labels).
    let step = match worst {
        0..=20 => 1,
        21..=100 => 5,
        _ => [10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000]
            .into_iter()
            .find(|s| worst / s <= 12)
            .unwrap_or(10_000),
    };
    let y_keys: Vec<f64> = (1..=worst)
        .filter(|&r| r == 1 || r % step == 0)
        .map(|r| -f64::from(r))
        .collect();
    let x_keys: Vec<f64> = points.iter().map(|p| f64::from(p.year)).collect();

    let ref_style = text(24.0 * u, true, INK);
    let mut right = 0;
    for (_, label) in &references {
        right = right.max(width(area, label, &ref_style, CHART)?);
    }
    // Room under the worst point for a label below it: 64 units, whatever the rank scale.
    let (x_axis, top_margin) = (72.0 * u, 60.0 * u);
    let plot_h = f64::from(plot.dim_in_pixel().1) - x_axis - top_margin;
    let pitch = (plot_h - 64.0 * u) / (f64::from(worst) - 0.4);
    let bottom = f64::from(worst) + (64.0 * u / pitch.max(1.0)).max(0.7);
    let mut chart = ChartBuilder::on(&plot)
        .margin_right(right + 2 * gap)
        .margin_top(top_margin as i32)
        .margin_left(gap)
        .x_label_area_size(x_axis as i32)
        .y_label_area_size((110.0 * u) as i32)
        .build_cartesian_2d(
            Ticked {
                range: f64::from(y0) - 0.6..f64::from(y1) + 0.6,
                ticks: x_keys,
            },
            Ticked {
                range: -bottom..-0.4,
                ticks: y_keys,
            },
        )
        .map_err(drawing(CHART))?;
    let x_fmt = |v: &f64| format!("{v:.0}");
    let y_fmt = |v: &f64| ordinal((-v).round() as u32);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc("Year")
        .y_desc("Rank (1 = healthiest)")
        .house_style(u)
        .draw()
        .map_err(drawing(CHART))?;

    let (bx, by) = area.get_base_pixel();
    let to_area = |(x, y): (i32, i32)| (x - bx, y - by);
    let (xl, xr) = (f64::from(y0) - 0.6, f64::from(y1) + 0.6);
    let ref_colors = [
        okabe_ito::ORANGE,
        okabe_ito::BLUISH_GREEN,
        okabe_ito::SKY_BLUE,
    ];
    for (i, (rank, label)) in references.iter().enumerate() {
        let color = ref_colors[i % ref_colors.len()];
        let y = -f64::from(*rank);
        chart
            .draw_series(DashedLineSeries::new(
                [(xl, y), (xr, y)],
                (14.0 * u) as i32,
                (9.0 * u) as i32,
                color.stroke_width((3.0 * u).max(1.0) as u32),
            ))
            .map_err(drawing(CHART))?;
        let (x, y) = to_area(chart.backend_coord(&(xr, y)));
        area.draw_text(
            label.as_str(),
            &anchored(&text(24.0 * u, true, color), HPos::Left, VPos::Center),
            (x + gap, y),
        )
        .map_err(drawing(CHART))?;
    }

    let line = okabe_ito::BLUE;
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut runs = Vec::new();
    for p in &points {
        match p.rank {
            Some(r) => run.push((f64::from(p.year), -f64::from(r))),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    let stroke = line.stroke_width((4.0 * u).max(1.0) as u32);
    for run in runs {
        chart
            .draw_series(LineSeries::new(run, stroke))
            .map_err(drawing(CHART))?;
    }
    let radius = (9.0 * u).max(2.0) as i32;
    for (k, p) in points.iter().enumerate() {
        let year_x = f64::from(p.year);
        if let Some(r) = p.rank {
            let at = (year_x, -f64::from(r));
            chart
                .draw_series([
                    Circle::new(at, radius + (2.0 * u) as i32, WHITE.filled()),
                    Circle::new(at, radius, line.filled()),
                ])
                .map_err(drawing(CHART))?;
            let (px, py) = to_area(chart.backend_coord(&at));
            let (h, dx, above) = label_place(&points, k, r, radius + gap / 3);
            let rank_style = anchored(&text(26.0 * u, true, line), h, VPos::Top);
            let of_style = anchored(&text(20.0 * u, false, MUTED), h, VPos::Top);
            let (rank_h, of_h) = ((28.0 * u) as i32, (22.0 * u) as i32);
            let y = if above {
                py - radius - gap / 3 - rank_h - of_h
            } else {
                py + radius + gap / 3
            };
            area.draw_text(&ordinal(r), &rank_style, (px + dx, y))
                .map_err(drawing(CHART))?;
            area.draw_text(&format!("of {}", p.n), &of_style, (px + dx, y + rank_h))
                .map_err(drawing(CHART))?;
        }
    }

    // One note per run of unranked years, centred under the gap, as wide as the run's years.
    let note_style = text(20.0 * u, false, MUTED);
    let step = (24.0 * u) as i32;
    for (a, b) in unranked_runs(&points) {
        let x_of = |k: usize| to_area(chart.backend_coord(&(f64::from(points[k].year), -bottom)));
        let ((xa, py), (xb, _)) = (x_of(a), x_of(b));
        let pitch = match (x_of(0), points.len()) {
            (_, 0 | 1) => f64::from(plot.dim_in_pixel().0),
            ((x0, _), n) => f64::from(x_of(n - 1).0 - x0) / (n - 1) as f64,
        };
        let max = (pitch * (b - a + 1) as f64) as i32 - gap;
        let mut lines = wrap(
            area,
            &gap_note(&points[a..=b], &results.units),
            &note_style,
            max,
            CHART,
        )?;
        if lines.len() > 2 {
            lines = wrap(area, "not ranked", &note_style, max, CHART)?;
        }
        let x = (xa + xb) / 2;
        for (i, line) in lines.iter().rev().enumerate() {
            area.draw_text(
                line,
                &anchored(&note_style, HPos::Center, VPos::Bottom),
                (x, py - gap - step * i as i32),
            )
            .map_err(drawing(CHART))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_svg, write_chart};
    use crate::focus::city;
    use crate::testdata::{png_size, results, svg_texts};

    const SOURCE: &str = "Source: test data. Tiny healthy-city index, panel min-max 0-100.";

    /// London's two reference ranks, as the default framework gives them.
    fn references() -> &'static [ReferenceRank] {
        static REFS: std::sync::OnceLock<Vec<ReferenceRank>> = std::sync::OnceLock::new();
        REFS.get_or_init(|| {
            let rank = |rank, label: &str, source: &str| ReferenceRank {
                rank,
                label: label.into(),
                source: source.into(),
                city: Some("london".into()),
            };
            vec![
                rank(
                    7,
                    "2015 starting point",
                    "GLA, March 2015: 7th of 14 (not this index).",
                ),
                rank(1, "the aim", "the partners' aim"),
            ]
        })
    }

    /// The chart of `city` (by id or name) with London's references.
    fn chart<'a>(r: &'a Results, city: &str) -> TrajectoryChart<'a> {
        TrajectoryChart {
            results: r,
            city: Focus::find(r, city).unwrap(),
            references: references(),
            source: SOURCE,
        }
    }

    fn svg(city: &str) -> String {
        let r = results();
        render_svg(&chart(&r, city)).unwrap()
    }

    #[test]
    fn the_svg_has_the_title_ranks_counts_and_reference_lines() {
        let texts = svg_texts(&svg("london"));
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(
            has("London's rank among cities, Tiny healthy-city index, 2017-2019"),
            "{texts:?}"
        );
        // The points' labels: 1st (tied) in 2017 and 1st in 2019, of 3 cities each.
        assert_eq!(texts.iter().filter(|t| *t == "of 3").count(), 2);
        assert!(has("1st"));
        assert!(has("7th: 2015 starting point"));
        assert!(has("1st: the aim"));
        // Each reference's source is its caveat, in the subtitle (one full stop).
        assert!(has(
            "Dashed line at 7th: GLA, March 2015: 7th of 14 (not this index)."
        ));
        assert!(has("Dashed line at 1st: the partners' aim."));
        // London's one unranked year has one note, with the reason.
        assert!(has("not ranked: too little data"));
        assert!(has("Rank (1 = healthiest)"));
        assert!(has("Year"));
        assert!(has(SOURCE));
        assert!(has(
            "London is not ranked in 2018 (too little data): a gap in the line."
        ));
        assert!(has(
            "Index rank each year, 1 = healthiest; 2 to 3 cities ranked a year (under each rank label)."
        ));
    }

    #[test]
    fn another_city_gets_only_the_references_that_name_no_city() {
        let r = results();
        let texts = svg_texts(&svg("paris"));
        assert!(!texts
            .iter()
            .any(|t| t.contains("starting point") || t.contains("Dashed")));
        // A reference naming no city is every city's; one naming London stays London's.
        let mut all = references().to_vec();
        all.push(ReferenceRank {
            rank: 2,
            label: "the target".into(),
            source: "a plan".into(),
            city: None,
        });
        let paris = TrajectoryChart {
            references: &all,
            ..chart(&r, "paris")
        };
        let texts = svg_texts(&render_svg(&paris).unwrap());
        assert!(texts.iter().any(|t| t == "2nd: the target"), "{texts:?}");
        assert!(
            texts.iter().any(|t| t == "Dashed line at 2nd: a plan."),
            "{texts:?}"
        );
        assert!(!texts.iter().any(|t| t.contains("starting point")));
    }

    #[test]
    fn an_unranked_year_breaks_the_line() {
        // London is ranked in 2017 and 2019 but not 2018: two one-point runs, so no line
        // joins them (a polyline needs two points).
        // The city's line is the only blue polyline; count the points of each.
        let runs = |s: &str| -> Vec<usize> {
            s.split("<polyline")
                .skip(1)
                .filter(|p| p.contains("stroke=\"#0072B2\""))
                .map(|p| {
                    let points = p.split("points=\"").nth(1).unwrap();
                    points[..points.find('"').unwrap()]
                        .split_whitespace()
                        .count()
                })
                .filter(|&n| n > 1)
                .collect()
        };
        assert_eq!(runs(&svg("london")), Vec::<usize>::new());
        // Paris is ranked every year: one line through three points.
        assert_eq!(runs(&svg("paris")), [3]);
    }

    /// London, Paris and Tokyo over 2016-2022: only Tokyo has data in 2017 and 2018, so
    /// neither year is ranked; London has none in 2020 and 2021, ranked years.
    fn gappy() -> Results {
        use std::fmt::Write;

        let mut data = String::from("city,indicator,year,value,source,flag\n");
        let rows: [(&str, &[i32]); 3] = [
            ("london", &[2016, 2019, 2022]),
            ("paris", &[2016, 2019, 2020, 2021, 2022]),
            ("tokyo", &[2016, 2017, 2018, 2019, 2020, 2021, 2022]),
        ];
        for (c, (city, years)) in rows.iter().enumerate() {
            for &year in *years {
                let life = 70 + 4 * c as i32 + (year - 2016) % 3;
                let pm = 10 + 6 * c as i32 + (year - 2016) % 4;
                writeln!(
                    data,
                    "{city},life,{year},{life},s,\n{city},pm25,{year},{pm},s,"
                )
                .unwrap();
            }
        }
        crate::testdata::results_of(&data)
    }

    #[test]
    fn a_run_of_unranked_years_gets_one_note_centred_under_it() {
        let r = gappy();
        let ranked: Vec<bool> = r.year_ranked.clone();
        assert_eq!(ranked, [true, false, false, true, true, true, true]);
        let slot = city(&r, "london").unwrap();
        let runs = unranked_runs(&points(&r, slot));
        assert_eq!(runs, [(1, 2), (4, 5)]);

        let s = render_svg(&chart(&r, "london")).unwrap();
        // Each text element with its x.
        let texts: Vec<(i32, String)> = s
            .split("<text")
            .skip(1)
            .map(|t| {
                let x = t.split("x=\"").nth(1).unwrap();
                let x = x[..x.find('"').unwrap()].parse().unwrap();
                let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
                (x, body.trim().to_string())
            })
            .collect();
        let x_of = |label: &str| texts.iter().find(|t| t.1 == label).unwrap().0;
        // A note starts with "not ranked" (it may wrap onto a second line).
        let notes: Vec<&(i32, String)> = texts
            .iter()
            .filter(|t| t.1.starts_with("not ranked"))
            .collect();
        assert_eq!(notes.len(), 2, "{texts:?}");
        let mid = |a: &str, b: &str| (x_of(a) + x_of(b)) / 2;
        assert!((notes[0].0 - mid("2017", "2018")).abs() <= 1, "{notes:?}");
        assert!((notes[1].0 - mid("2020", "2021")).abs() <= 1, "{notes:?}");
        // Why: no year-2017/2018 ranking at all; London's own data missing in 2020/2021.
        let all = texts
            .iter()
            .map(|t| t.1.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(all.contains("too few"), "{all}");
        assert!(all.contains("too little data"), "{all}");
    }

    #[test]
    fn writes_a_png_of_the_stated_size_and_renders_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let r = results();
        let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
        let svg = dir.path().join("t.svg");
        write_chart(&chart(&r, "London"), &svg, &a).unwrap();
        write_chart(&chart(&r, "London"), &svg, &b).unwrap();
        let png = std::fs::read(&a).unwrap();
        assert_eq!(png_size(&png), TRAJECTORY_SIZE);
        assert_eq!(chart(&r, "London").size(), TRAJECTORY_SIZE);
        assert_eq!(png, std::fs::read(&b).unwrap());
    }

    #[test]
    fn an_unknown_city_is_refused_before_any_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let (svg, png) = (dir.path().join("t.svg"), dir.path().join("t.png"));
        let r = results();
        let err = Focus::find(&r, "Atlantis").unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown city `Atlantis`; the results hold: london, paris, tokyo"
        );
        // A slot beyond the results' cities is refused by the chart, and nothing is written.
        let beyond = TrajectoryChart {
            city: Focus::new(3),
            ..chart(&r, "london")
        };
        let err = write_chart(&beyond, &svg, &png).unwrap_err().to_string();
        assert_eq!(err, "the trajectory chart has 3 cities: no city at slot 3");
        assert!(!png.exists());
        assert!(!svg.exists());
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let r = results();
        for city in ["london", "paris", "tokyo"] {
            crate::testdata::assert_text_inside(&chart(&r, city));
        }
        let g = gappy();
        crate::testdata::assert_text_inside(&chart(&g, "london"));
    }
}
