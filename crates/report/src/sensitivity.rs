//! The sensitivity chart: Sobol first-order and total-effect indices of each uncertain input,
//! with their bootstrap intervals.

use healthy_city_score::SobolIndex;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::Year;
use crate::format::{fit_lines, thousands, width};
use crate::frame::{axis, frame, Line};
use crate::style::{anchored, okabe_ito, register_fonts, text, unit, HouseStyle, INK, MUTED};

const CHART: &str = SensitivityChart::NAME;

/// The sensitivity chart: a row per uncertain input, the one with the largest total effect at
/// the top; in each row a bar for the total effect and one for the first-order index, each
/// with a whisker over its 95% bootstrap interval and its value at the end.
#[derive(Debug, Clone)]
pub struct SensitivityChart<'a> {
    /// The Sobol indices, one per uncertain input.
    pub indices: &'a [SobolIndex],
    /// Index name, for the title.
    pub index: &'a str,
    /// Year analysed.
    pub year: Year,
    /// The output analysed, in words ("rank of London").
    pub output: &'a str,
    /// Name of each uncertain input, in the order of the indices.
    pub inputs: &'a [String],
    /// Rows of each sample matrix.
    pub runs: usize,
    /// Rebuilds of the index the estimate took.
    pub rebuilds: usize,
    /// How the sample was drawn, in words.
    pub sampler: &'a str,
    /// Seed of the draws.
    pub seed: u64,
    /// Bootstrap resamples behind the intervals.
    pub bootstrap: usize,
    /// Source footnote.
    pub source: &'a str,
}

/// Pixel size for `k` inputs (about 120 pixels an input).
fn sensitivity_size(k: usize) -> (u32, u32) {
    let k = u32::try_from(k).unwrap_or(u32::MAX / 256);
    (1600, (460 + 120 * k).max(760))
}

/// The inputs by decreasing total effect (ties in input order).
fn order(indices: &[SobolIndex]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..indices.len()).collect();
    order.sort_by(|&a, &b| {
        indices[b]
            .total_effect
            .total_cmp(&indices[a].total_effect)
            .then(a.cmp(&b))
    });
    order
}

/// The x axis: from 0 (or below, if an interval reaches below) to the largest value or interval
/// end, in tenths.
fn x_range(indices: &[SobolIndex]) -> (f64, f64) {
    let values = indices.iter().flat_map(|ix| {
        [
            ix.first_order,
            ix.total_effect,
            ix.first_order_ci[0],
            ix.first_order_ci[1],
            ix.total_effect_ci[0],
            ix.total_effect_ci[1],
        ]
    });
    let finite: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    let lo = finite.iter().copied().fold(0.0, f64::min);
    let hi = finite.iter().copied().fold(0.1, f64::max);
    ((lo * 10.0).floor() / 10.0, (hi * 10.0).ceil() / 10.0)
}

/// A value to two decimals, with its interval between `open`, `sep` and `close` when both
/// ends are finite (there is none without bootstrap resamples).
fn with_interval(v: f64, ci: [f64; 2], open: &str, sep: &str, close: &str) -> String {
    if ci.iter().all(|c| c.is_finite()) {
        format!("{v:.2}{open}{:.2}{sep}{:.2}{close}", ci[0], ci[1])
    } else {
        format!("{v:.2}")
    }
}

impl Chart for SensitivityChart<'_> {
    const NAME: &'static str = "sensitivity";

    /// 1600 wide, about 120 pixels an input (at least 760).
    fn size(&self) -> (u32, u32) {
        sensitivity_size(self.indices.len())
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &SensitivityChart<'_>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let indices = chart.indices;
    let order = order(indices);
    let k = indices.len();
    let title = format!(
        "{}, {}: what drives the {}?",
        chart.index, chart.year, chart.output
    );
    let mut subtitle = vec![
        Line::plain(String::from(
            "Sobol indices: share of the output's variance due to each input, alone (first order) and with its interactions (total effect).",
        )),
        Line::plain(if chart.bootstrap == 0 {
            format!(
                "No intervals (no bootstrap resamples were drawn). {} rows, {} rebuilds, {} sampling, seed {}.",
                thousands(chart.runs), thousands(chart.rebuilds), chart.sampler, chart.seed
            )
        } else {
            format!(
                "Whiskers and brackets: 95% bootstrap interval ({} resamples). {} rows, {} rebuilds, {} sampling, seed {}.",
                thousands(chart.bootstrap), thousands(chart.runs), thousands(chart.rebuilds), chart.sampler, chart.seed
            )
        }),
    ];
    if let Some(&top) = order.first() {
        let ix = &indices[top];
        subtitle.push(Line {
            text: format!(
                "Largest total effect: {}, {}",
                chart.inputs[top],
                with_interval(
                    ix.total_effect,
                    ix.total_effect_ci,
                    " (95% interval ",
                    " to ",
                    ")"
                )
            ),
            color: okabe_ito::BLUE,
            bold: true,
        });
    }
    let plot = frame(area, &title, &subtitle, chart.source, CHART)?;

    let u = unit(area);
    let gap = (14.0 * u) as i32;
    let x_axis = 72.0 * u;
    let legend_h = (48.0 * u) as i32;
    let (_, plot_h) = plot.dim_in_pixel();
    let pitch = (f64::from(plot_h) - x_axis - f64::from(legend_h)) / k.max(1) as f64;
    let name_style = text((26.0 * u).min(pitch * 0.4), false, INK);
    let value_style = text((22.0 * u).min(pitch * 0.3), false, MUTED);
    // Input names on up to two lines of at most 30% of the chart's width, ellipsis beyond.
    let name_max = (0.3 * f64::from(area.dim_in_pixel().0)) as i32;
    let mut name_w = 0;
    let mut names = Vec::with_capacity(chart.inputs.len());
    for name in chart.inputs {
        let lines = fit_lines(area, name, &name_style, name_max, 2, CHART)?;
        for line in &lines {
            name_w = name_w.max(width(area, line, &name_style, CHART)?);
        }
        names.push(lines);
    }
    let name_pitch = (name_style.font.get_size() * 1.15) as i32;
    let label_area = name_w + 2 * gap;
    let (lo, hi) = x_range(indices);
    let (lo, hi) = {
        let r = axis(CHART, "Sobol index", lo, hi)?;
        (r.start, r.end)
    };
    // The values and their intervals in a column right of the plot, clear of every whisker.
    let label = |v: f64, ci: [f64; 2]| with_interval(v, ci, "  [", ", ", "]");
    let mut value_w = 0;
    for ix in indices {
        for (v, ci) in [
            (ix.total_effect, ix.total_effect_ci),
            (ix.first_order, ix.first_order_ci),
        ] {
            value_w = value_w.max(width(area, &label(v, ci), &value_style, CHART)?);
        }
    }
    let mut plotted = ChartBuilder::on(&plot)
        .margin_right(value_w + 2 * gap)
        .margin_top(legend_h)
        .x_label_area_size(x_axis as i32)
        .y_label_area_size(label_area)
        .build_cartesian_2d(lo..hi, 0.0..k.max(1) as f64)
        .map_err(drawing(CHART))?;
    let fmt = |v: &f64| format!("{v:.1}");
    // Tenths, every other one past 12, and at most 41 labels (estimates far outside [0, 1]
    // come from too few runs).
    let ticks = ((hi - lo) * 10.0).round().min(1000.0) as usize + 1;
    plotted
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels((if ticks > 12 { ticks / 2 + 1 } else { ticks }).min(41))
        .x_label_formatter(&fmt)
        .x_desc("Sobol index (share of the output's variance; 1 = all of it)")
        .house_style(u)
        .draw()
        .map_err(drawing(CHART))?;
    if lo < 0.0 {
        plotted
            .draw_series(std::iter::once(PathElement::new(
                [(0.0, 0.0), (0.0, k as f64)],
                MUTED.stroke_width((2.0 * u).max(1.0) as u32),
            )))
            .map_err(drawing(CHART))?;
    }

    // Two bars a row: total effect above, first order below.
    let half = (0.16_f64).min(17.0 * u / pitch.max(1.0));
    let centre = |i: usize, bar: usize| {
        let top = (k - i) as f64;
        top - 0.5 + if bar == 0 { 1.15 * half } else { -1.15 * half }
    };
    let kinds = [
        (okabe_ito::BLUE, "total effect"),
        (okabe_ito::SKY_BLUE, "first order"),
    ];
    let value = |ix: &SobolIndex, bar: usize| {
        if bar == 0 {
            (ix.total_effect, ix.total_effect_ci)
        } else {
            (ix.first_order, ix.first_order_ci)
        }
    };
    let whisker = INK.stroke_width((2.0 * u).max(1.0) as u32);
    let cap = half * 0.6;
    let coord = plotted.as_coord_spec().clone();
    let (bx, by) = area.get_base_pixel();
    let at = |x: f64, y: f64| {
        let (px, py) = coord.translate(&(x, y));
        (px - bx, py - by)
    };
    for (i, &input) in order.iter().enumerate() {
        for (bar, (colour, _)) in kinds.iter().enumerate() {
            let (v, ci) = value(&indices[input], bar);
            let y = centre(i, bar);
            plotted
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - half), (v, y + half)],
                    colour.filled(),
                )))
                .map_err(drawing(CHART))?;
            if ci.iter().all(|c| c.is_finite()) {
                plotted
                    .draw_series([
                        PathElement::new([(ci[0], y), (ci[1], y)], whisker),
                        PathElement::new([(ci[0], y - cap), (ci[0], y + cap)], whisker),
                        PathElement::new([(ci[1], y - cap), (ci[1], y + cap)], whisker),
                    ])
                    .map_err(drawing(CHART))?;
            }
            let (px, py) = at(hi, y);
            area.draw_text(
                &label(v, ci),
                &anchored(&value_style, HPos::Left, VPos::Center),
                (px + gap, py),
            )
            .map_err(drawing(CHART))?;
        }
        let (px, py) = at(lo, (k - i) as f64 - 0.5);
        let lines = &names[input];
        let n = i32::try_from(lines.len()).unwrap_or(1);
        for (j, line) in lines.iter().enumerate() {
            let j = i32::try_from(j).unwrap_or(0);
            area.draw_text(
                line,
                &anchored(&name_style, HPos::Right, VPos::Center),
                (px - gap, py + name_pitch * (2 * j - (n - 1)) / 2),
            )
            .map_err(drawing(CHART))?;
        }
    }

    // Legend above the plot, at its right.
    let legend_style = text(22.0 * u, false, INK);
    let swatch = (20.0 * u) as i32;
    let (right, top) = at(hi, k as f64);
    let mut x = right;
    for (colour, name) in kinds.iter().rev() {
        let w = width(area, name, &legend_style, CHART)?;
        x -= w;
        let y = top - legend_h / 2;
        area.draw_text(
            name,
            &anchored(&legend_style, HPos::Left, VPos::Center),
            (x, y),
        )
        .map_err(drawing(CHART))?;
        x -= gap / 2 + swatch;
        area.draw(&Rectangle::new(
            [(x, y - swatch / 2), (x + swatch, y + swatch / 2)],
            colour.filled(),
        ))
        .map_err(drawing(CHART))?;
        x -= 2 * gap;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_svg, write_chart};
    use crate::testdata::{png_size, svg_texts};

    fn indices() -> Vec<SobolIndex> {
        let ix = |s: f64, t: f64| SobolIndex {
            first_order: s,
            first_order_ci: [s - 0.07, s + 0.06],
            total_effect: t,
            total_effect_ci: [t - 0.01, t + 0.02],
        };
        vec![ix(0.035, 0.110), ix(0.254, 0.499), ix(0.419, 0.653)]
    }

    fn chart<'a>(indices: &'a [SobolIndex], inputs: &'a [String]) -> SensitivityChart<'a> {
        SensitivityChart {
            indices,
            index: "Tiny index",
            year: Year(2019),
            output: "rank of London",
            inputs,
            runs: 1024,
            rebuilds: 5120,
            sampler: "Owen-scrambled Sobol",
            seed: 1,
            bootstrap: 50,
            source: "Source: test data.",
        }
    }

    fn svg() -> String {
        let inputs = ["weights", "normalisation", "leave one out"].map(String::from);
        let indices = indices();
        let chart = chart(&indices, &inputs);
        assert_eq!(chart.size(), sensitivity_size(3));
        render_svg(&chart).unwrap()
    }

    #[test]
    fn a_long_input_name_wraps_and_ends_in_an_ellipsis_within_the_label_column() {
        let inputs = [
            "weights",
            "leave out Probability of dying between ages 30 and 70 from cardiovascular disease, cancer, diabetes or chronic respiratory disease",
            "normalisation",
        ]
        .map(String::from);
        let indices = indices();
        let texts = svg_texts(&render_svg(&chart(&indices, &inputs)).unwrap());
        assert!(
            texts.iter().any(|t| t.starts_with("leave out Probability")),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.ends_with('\u{2026}')), "{texts:?}");
        assert!(
            !texts
                .iter()
                .any(|t| t.contains("chronic respiratory disease")),
            "{texts:?}"
        );
    }

    #[test]
    fn names_the_output_and_sorts_the_inputs_by_total_effect() {
        let s = svg();
        let texts = svg_texts(&s);
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(
            has("Tiny index, 2019: what drives the rank of London?"),
            "{texts:?}"
        );
        assert!(has(
            "Largest total effect: leave one out, 0.65 (95% interval 0.64 to 0.67)"
        ));
        // Top to bottom by total effect: leave one out, normalisation, weights.
        let at = |t: &str| texts.iter().position(|x| x == t).unwrap();
        assert!(at("leave one out") < at("normalisation") && at("normalisation") < at("weights"));
        // Each input's two values with their intervals, in the column right of the plot (the
        // intervals are the test's: total effect -0.01/+0.02, first order -0.07/+0.06), and a
        // legend.
        for v in [
            "0.65  [0.64, 0.67]",
            "0.42  [0.35, 0.48]",
            "0.50  [0.49, 0.52]",
            "0.25  [0.18, 0.31]",
            "0.11  [0.10, 0.13]",
            "0.04  [-0.04, 0.10]",
        ] {
            assert!(has(v), "{v}: {texts:?}");
        }
        // Every value label starts at the same x, right of the plot.
        let xs: std::collections::BTreeSet<&str> = s
            .split("<text")
            .filter(|t| t.contains("  ["))
            .filter_map(|t| t.split("x=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(xs.len(), 1, "{xs:?}");
        assert!(has("total effect") && has("first order"));
        assert!(
            texts.join(" ").contains("1,024 rows, 5,120 rebuilds"),
            "{texts:?}"
        );
        // Two bars and three whisker strokes (bar and caps) per bar.
        let rects = |fill: &str| {
            s.split("<rect")
                .skip(1)
                .filter(|r| r[..r.find('>').unwrap()].contains(&format!("fill=\"{fill}\"")))
                .count()
        };
        assert_eq!(rects("#0072B2"), 3 + 1, "3 bars and a swatch");
        assert_eq!(rects("#56B4E9"), 3 + 1);
        assert_eq!(s.matches("stroke=\"#1A1A1A\"").count(), 6 * 3);
    }

    #[test]
    fn without_a_bootstrap_there_are_no_whiskers_and_no_nan() {
        let inputs = ["weights", "normalisation", "leave one out"].map(String::from);
        let mut indices = indices();
        for ix in &mut indices {
            ix.first_order_ci = [f64::NAN; 2];
            ix.total_effect_ci = [f64::NAN; 2];
        }
        let mut chart = chart(&indices, &inputs);
        chart.bootstrap = 0;
        let s = render_svg(&chart).unwrap();
        let texts = svg_texts(&s);
        assert!(!s.contains("NaN"), "{texts:?}");
        assert!(texts
            .iter()
            .any(|t| t == "Largest total effect: leave one out, 0.65"));
        assert!(texts
            .iter()
            .any(|t| t.starts_with("No intervals (no bootstrap resamples were drawn).")));
        assert!(texts.iter().any(|t| t == "0.65") && texts.iter().any(|t| t == "0.04"));
        assert_eq!(s.matches("stroke=\"#1A1A1A\"").count(), 0, "no whiskers");
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = ["weights", "normalisation", "leave one out"].map(String::from);
        let write = |k: &str| {
            let (svg, png) = (
                dir.path().join(format!("{k}.svg")),
                dir.path().join(format!("{k}.png")),
            );
            write_chart(&chart(&indices(), &inputs), &svg, &png).unwrap();
            (std::fs::read(svg).unwrap(), std::fs::read(png).unwrap())
        };
        let (a, b) = (write("a"), write("b"));
        assert_eq!(a, b);
        assert_eq!(png_size(&a.1), sensitivity_size(3));
    }

    #[test]
    fn no_text_lies_outside_the_canvas() {
        let inputs = ["weights", "normalisation", "leave one out"].map(String::from);
        let indices = indices();
        crate::testdata::assert_text_inside(&chart(&indices, &inputs));
        let no_bootstrap = SensitivityChart {
            bootstrap: 0,
            ..chart(&indices, &inputs)
        };
        crate::testdata::assert_text_inside(&no_bootstrap);
    }
}
