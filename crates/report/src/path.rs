//! The path-to-first chart: the effort each indicator takes on the least improvement that
//! ranks a city first, with the move in the indicator's own units.

use healthy_city_model::{Catalogue, Level};
use healthy_city_score::{PathStep, PathToFirst};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::format::{fit_lines, ordinal, thousands, width};
use crate::frame::{finite, frame, Line};
use crate::style::{anchored, okabe_ito, register_fonts, text, unit, HouseStyle, INK};

const CHART: &str = PathChart::NAME;

/// An indicator as the chart names it.
#[derive(Debug, Clone)]
pub struct PathLabel {
    /// Display name (the catalogue's).
    pub name: String,
    /// Unit of its values ("%", "µg/m³").
    pub unit: String,
    /// A national value standing in for the city (catalogue `level = "national"`): the chart
    /// says so, because moving it means moving the country's figure.
    pub national: bool,
}

impl PathLabel {
    /// The label of each of the path's steps, in order, from the catalogue (an indicator the
    /// catalogue lacks is named by its id, without a unit).
    pub fn for_steps(path: &PathToFirst, catalogue: &Catalogue) -> Vec<Self> {
        path.steps
            .iter()
            .map(|s| {
                catalogue.get(&s.indicator).map_or_else(
                    || PathLabel {
                        name: s.indicator.clone(),
                        unit: String::new(),
                        national: false,
                    },
                    |i| PathLabel {
                        name: i.name.clone(),
                        unit: i.unit.clone(),
                        national: i.shown_level(s.level) == Some(Level::National),
                    },
                )
            })
            .collect()
    }
}

/// The path-to-first chart: a bar per indicator that moves, largest effort at the top, its
/// length the effort (the share of the peer range closed, 0 to 1), labelled with the move from
/// the current value to the target in the indicator's units; "(limit)" marks a target at the
/// best peer value or cap. The title and subtitle give the rank and score before and after.
///
/// The city is the path's own ([`PathToFirst::city`]); the chart takes its display name and
/// the runner-up's, as labels.
#[derive(Debug, Clone)]
pub struct PathChart<'a> {
    /// The path drawn.
    pub path: &'a PathToFirst,
    /// Index name, for the title.
    pub index: &'a str,
    /// Display name of the city.
    pub city: &'a str,
    /// Display name of the best other city after the path.
    pub runner_up: &'a str,
    /// Name and unit of each step's indicator, in the order of the path's steps.
    pub labels: &'a [PathLabel],
    /// Source footnote.
    pub source: &'a str,
}

/// The steps that move, by decreasing effort (ties in path order).
fn moving(path: &PathToFirst) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..path.steps.len())
        .filter(|&i| path.steps[i].change != 0.0)
        .collect();
    rows.sort_by(|&a, &b| {
        path.steps[b]
            .effort
            .total_cmp(&path.steps[a].effort)
            .then(a.cmp(&b))
    });
    rows
}

/// Pixel size for a path: about 80 pixels an indicator that moves.
fn path_size(path: &PathToFirst) -> (u32, u32) {
    let n = u32::try_from(moving(path).len()).unwrap_or(u32::MAX / 256);
    (1600, (520 + 80 * n).max(800))
}

/// Decimals that give a value three significant figures (none from 100 up).
fn decimals(v: f64) -> usize {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 || !a.is_finite() {
        0
    } else {
        (2.0 - a.log10().floor()).clamp(0.0, 6.0) as usize
    }
}

/// A value for a label with `decimals` decimals, thousands separated ("4,269", "26.2").
fn value(v: f64, decimals: usize) -> String {
    let s = format!("{:.decimals$}", v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let grouped = int
        .parse::<usize>()
        .map_or_else(|_| int.to_string(), thousands);
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// "26.2% → 6.1%", "11.4 → 5.5 µg/m³": both values to the decimals that give the larger three
/// significant figures; "(limit)" when the target is as far as the step may go, "national" when
/// the value is the country's.
fn move_label(step: &PathStep, label: &PathLabel) -> String {
    let d = decimals(step.current.abs().max(step.target.abs()));
    let (a, b) = (value(step.current, d), value(step.target, d));
    let at_limit = (step.target - step.limit).abs() <= 1e-9 * step.limit.abs().max(1.0);
    let limit = match (at_limit, label.national) {
        (true, true) => "  (limit; national)",
        (true, false) => "  (limit)",
        (false, true) => "  (national)",
        (false, false) => "",
    };
    match label.unit.trim() {
        "%" => format!("{a}% \u{2192} {b}%{limit}"),
        "" => format!("{a} \u{2192} {b}{limit}"),
        unit => format!("{a} \u{2192} {b} {unit}{limit}"),
    }
}

/// Every number the chart prints or draws is finite.
fn check_finite(path: &PathToFirst) -> Result<()> {
    finite(CHART, path.score[0], || {
        format!("`{}`'s score before", path.city)
    })?;
    finite(CHART, path.score[1], || {
        format!("`{}`'s score after", path.city)
    })?;
    finite(CHART, path.runner_up.1, || {
        format!("the score of `{}`, next best", path.runner_up.0)
    })?;
    finite(CHART, path.effort, || String::from("the total effort"))?;
    for step in &path.steps {
        for (what, v) in [
            ("current value", step.current),
            ("target", step.target),
            ("limit", step.limit),
            ("effort", step.effort),
        ] {
            finite(CHART, v, || format!("the {what} of `{}`", step.indicator))?;
        }
    }
    Ok(())
}

impl Chart for PathChart<'_> {
    const NAME: &'static str = "path to first";

    /// 1600 wide, about 80 pixels an indicator that moves (at least 800).
    fn size(&self) -> (u32, u32) {
        path_size(self.path)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &PathChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let path = chart.path;
    check_finite(path)?;
    let rows = moving(path);
    let n = rows.len();
    let title = format!(
        "{}: what would it take for {} to rank first? {}",
        chart.index, chart.city, path.year
    );
    let mut subtitle = vec![
        Line::plain(format!(
            "Least improvement, indicator by indicator ({}): rank {} \u{2192} {}, score {:.1} \u{2192} {:.1}; next best {} {:.1}.",
            path.method,
            ordinal(path.rank_before),
            ordinal(path.rank_after),
            path.score[0],
            path.score[1],
            chart.runner_up,
            path.runner_up.1
        )),
        Line::plain(format!(
            "Bar: effort, the share of the peer range closed (total {:.2}). Label: current \u{2192} target; (limit): best peer value or cap.",
            path.effort
        )),
    ];
    let national = rows.iter().filter(|&&i| chart.labels[i].national).count();
    if national > 0 {
        subtitle.push(Line::plain(format!(
            "(national): {national} of the {n} indicators that move are national values standing in for {}: moving them means moving the country's figure.",
            chart.city
        )));
    }
    let still: Vec<String> = path
        .steps
        .iter()
        .zip(chart.labels)
        .filter(|(s, _)| s.change == 0.0)
        .map(|(s, l)| {
            let name = l.name.trim();
            if name.is_empty() {
                s.indicator.clone()
            } else {
                name.to_string()
            }
        })
        .collect();
    if !still.is_empty() {
        subtitle.push(Line::plain(format!("Unchanged: {}.", still.join("; "))));
    }
    if !path.reached {
        subtitle.push(Line {
            text: String::from(
                "First place is out of reach within the limits: each indicator drawn is at its limit (best peer value or cap).",
            ),
            color: okabe_ito::VERMILLION,
            bold: true,
        });
    }
    let plot = frame(area, &title, &subtitle, chart.source, CHART)?;

    let u = unit(area);
    let gap = (14.0 * u) as i32;
    let x_axis = 72.0 * u;
    let (plot_w, plot_h) = plot.dim_in_pixel();
    let pitch = (f64::from(plot_h) - x_axis) / n.max(1) as f64;
    let name_style = text((26.0 * u).min(pitch * 0.5), false, INK);
    let move_style = text((24.0 * u).min(pitch * 0.45), true, okabe_ito::BLUE);
    let max_name = i32::try_from(plot_w).unwrap_or(i32::MAX) * 3 / 10;
    let mut names = Vec::with_capacity(n);
    let mut name_w = 0;
    for &i in &rows {
        let label = &chart.labels[i];
        let name = if label.name.trim().is_empty() {
            fit_lines(
                area,
                &path.steps[i].indicator,
                &name_style,
                max_name,
                2,
                CHART,
            )?
        } else {
            fit_lines(area, label.name.trim(), &name_style, max_name, 2, CHART)?
        };
        for line in &name {
            name_w = name_w.max(width(area, line, &name_style, CHART)?);
        }
        names.push(name);
    }
    let label_area = name_w + 2 * gap;
    let moves: Vec<String> = rows
        .iter()
        .map(|&i| move_label(&path.steps[i], &chart.labels[i]))
        .collect();
    // Labels right of the bars; reserve what the longest needs beyond the plot.
    let span = f64::from(plot_w) - f64::from(label_area);
    let mut right = 0.0_f64;
    for (&i, label) in rows.iter().zip(&moves) {
        let need = f64::from(width(area, label, &move_style, CHART)? + gap);
        let f = path.steps[i].effort.clamp(0.0, 1.0);
        right = right.max(need - (1.0 - f) * span);
    }
    let mut plotted = ChartBuilder::on(&plot)
        .margin_right(right.max(0.0).ceil() as i32 + gap)
        .margin_top((8.0 * u) as i32)
        .x_label_area_size(x_axis as i32)
        .y_label_area_size(label_area)
        .build_cartesian_2d(0.0..1.0, 0.0..n.max(1) as f64)
        .map_err(drawing(CHART))?;
    let fmt = |v: &f64| format!("{v:.1}");
    plotted
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(11)
        .x_label_formatter(&fmt)
        .x_desc("Effort: share of the peer range closed (0 = no change, 1 = worst peer to best)")
        .house_style(u)
        .draw()
        .map_err(drawing(CHART))?;
    let half = (0.3_f64).min(20.0 * u / pitch.max(1.0));
    let centre = |r: usize| (n - r) as f64 - 0.5;
    plotted
        .draw_series(rows.iter().enumerate().map(|(r, &i)| {
            Rectangle::new(
                [
                    (0.0, centre(r) - half),
                    (path.steps[i].effort.clamp(0.0, 1.0), centre(r) + half),
                ],
                okabe_ito::BLUE.filled(),
            )
        }))
        .map_err(drawing(CHART))?;
    let coord = plotted.as_coord_spec().clone();
    let (bx, by) = area.get_base_pixel();
    let at = |x: f64, y: f64| {
        let (px, py) = coord.translate(&(x, y));
        (px - bx, py - by)
    };
    for (r, &i) in rows.iter().enumerate() {
        let (x0, y) = at(0.0, centre(r));
        let line_h = (name_style.font.get_size() * 1.15) as i32;
        let n_lines = i32::try_from(names[r].len()).unwrap_or(1);
        for (l, line) in names[r].iter().enumerate() {
            let dy = (2 * i32::try_from(l).unwrap_or(0) - (n_lines - 1)) * line_h / 2;
            area.draw_text(
                line,
                &anchored(&name_style, HPos::Right, VPos::Center),
                (x0 - gap, y + dy),
            )
            .map_err(drawing(CHART))?;
        }
        let (x1, _) = at(path.steps[i].effort.clamp(0.0, 1.0), centre(r));
        area.draw_text(
            &moves[r],
            &anchored(&move_style, HPos::Left, VPos::Center),
            (x1 + gap / 2, y),
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

    fn step(id: &str, current: f64, target: f64, effort: f64, limit: f64) -> PathStep {
        PathStep {
            indicator: id.to_string(),
            current,
            target,
            change: target - current,
            effort,
            limit,
            level: Level::City,
        }
    }

    /// London's path on the default data in 2019 (README), less four indicators.
    fn path() -> PathToFirst {
        PathToFirst {
            city: String::from("london"),
            year: 2019,
            rank_before: 21,
            rank_after: 1,
            score: [78.05, 87.0],
            runner_up: (String::from("stockholm"), 86.99),
            gap: 0.01,
            reached: true,
            method: "linear programme",
            steps: vec![
                step("obesity", 26.17, 6.09, 0.584, 6.09),
                step("health_expenditure", 4268.6772, 10658.3975, 0.177, 12000.0),
                step("physicians", 2.932, 3.3035, 0.080, 5.0),
                step("pm10", 15.0, 15.0, 0.0, 5.0),
            ],
            effort: 0.841,
        }
    }

    fn labels() -> Vec<PathLabel> {
        let l = |name: &str, unit: &str| PathLabel {
            name: name.to_string(),
            unit: unit.to_string(),
            national: !matches!(unit, "µg/m³" | "per 1,000 people"),
        };
        vec![
            l(
                "Prevalence of obesity among adults (BMI >= 30, age-standardised)",
                "%",
            ),
            l("Current health expenditure per capita", "current US$"),
            l("Physicians", "per 1,000 people"),
            l("PM10 annual mean concentration", "µg/m³"),
        ]
    }

    fn chart<'a>(path: &'a PathToFirst, labels: &'a [PathLabel]) -> PathChart<'a> {
        PathChart {
            path,
            index: "Tiny index",
            city: "London",
            runner_up: "Stockholm",
            labels,
            source: "Source: test data.",
        }
    }

    #[test]
    fn labels_each_move_in_its_units_largest_effort_first() {
        let labels = labels();
        let p = path();
        let c = chart(&p, &labels);
        assert_eq!(c.size(), path_size(&p));
        let s = render_svg(&c).unwrap();
        let texts = svg_texts(&s);
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(
            has("Tiny index: what would it take for London to rank first? 2019"),
            "{texts:?}"
        );
        // The subtitle may wrap: read its lines as one.
        assert!(
            texts.join(" ").contains(
                "rank 21st \u{2192} 1st, score 78.0 \u{2192} 87.0; next best Stockholm 87.0"
            ),
            "{texts:?}"
        );
        for label in [
            "26.2% \u{2192} 6.1%  (limit; national)",
            "4,269 \u{2192} 10,658 current US$  (national)",
            "2.93 \u{2192} 3.30 per 1,000 people",
            "Current health expenditure per capita",
        ] {
            assert!(has(label), "{label}: {texts:?}");
        }
        // The long name wraps onto a second line, whole (it is not cut at its bracket or
        // comma) or ended with an ellipsis.
        let first = texts
            .iter()
            .position(|t| t.starts_with("Prevalence of obesity"))
            .unwrap();
        let name = format!("{} {}", texts[first], texts[first + 1]);
        assert!(
            name == "Prevalence of obesity among adults (BMI >= 30, age-standardised)"
                || (name.ends_with('\u{2026}')
                    && name.starts_with("Prevalence of obesity among adults (BMI")),
            "{name}"
        );
        assert!(
            texts.join(" ").contains("(national): 2 of the 3 indicators that move are national values standing in for London"),
            "{texts:?}"
        );
        // PM10 does not move: named once, in the subtitle, with no bar.
        assert!(has("Unchanged: PM10 annual mean concentration."));
        let bars = s
            .split("<rect")
            .filter(|r| r.split('>').next().unwrap().contains("fill=\"#0072B2\""))
            .count();
        assert_eq!(bars, 3);
        let at = |t: &str| texts.iter().position(|x| x == t).unwrap();
        assert!(first < at("Physicians"));
    }

    #[test]
    fn values_keep_three_significant_figures() {
        let got: Vec<String> = [
            4268.68,
            26.17,
            2.932,
            0.2046,
            0.0,
            -0.9455,
            1_234_567.0,
            100.4,
        ]
        .map(|v| value(v, decimals(v)))
        .into();
        assert_eq!(
            got,
            [
                "4,269",
                "26.2",
                "2.93",
                "0.205",
                "0",
                "-0.946",
                "1,234,567",
                "100"
            ]
        );
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let dir = tempfile::tempdir().unwrap();
        let labels = labels();
        let write = |k: &str| {
            let (svg, png) = (
                dir.path().join(format!("{k}.svg")),
                dir.path().join(format!("{k}.png")),
            );
            write_chart(&chart(&path(), &labels), &svg, &png).unwrap();
            (std::fs::read(svg).unwrap(), std::fs::read(png).unwrap())
        };
        let (a, b) = (write("a"), write("b"));
        assert_eq!(a, b);
        assert_eq!(png_size(&a.1), path_size(&path()));
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let (path, labels) = (path(), labels());
        crate::testdata::assert_text_inside(&chart(&path, &labels));
    }
}
