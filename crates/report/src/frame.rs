//! The frame of every chart: a white ground, the title, the subtitle lines and the source
//! footnote, laid out from the top and the bottom; what is left between them is the plot.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::chart::drawing;
use crate::error::{Error, Result};
use crate::format::wrap;
use crate::style::{text, unit, INK, MUTED};

/// A line of the subtitle, in its colour, bold or not.
pub(crate) struct Line {
    pub text: String,
    pub color: RGBColor,
    pub bold: bool,
}

impl Line {
    pub fn plain(text: String) -> Self {
        Self {
            text,
            color: MUTED,
            bold: false,
        }
    }
}

/// Paints the background, the title, the subtitle lines and the source footnote; returns the
/// area left for the plot.
pub(crate) fn frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &[Line],
    source: &str,
    chart: &'static str,
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    let u = unit(area);
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let margin = (40.0 * u) as i32;
    let max = w - 2 * margin;
    area.fill(&WHITE).map_err(drawing(chart))?;

    let mut y = margin;
    let title_style = text(40.0 * u, true, INK);
    for line in wrap(area, title, &title_style, max, chart)? {
        area.draw_text(&line, &title_style, (margin, y))
            .map_err(drawing(chart))?;
        y += (48.0 * u) as i32;
    }
    y += (6.0 * u) as i32;
    for line in subtitle {
        let style = text(28.0 * u, line.bold, line.color);
        for part in wrap(area, &line.text, &style, max, chart)? {
            area.draw_text(&part, &style, (margin, y))
                .map_err(drawing(chart))?;
            y += (36.0 * u) as i32;
        }
    }
    let top = y + (16.0 * u) as i32;

    let note_style = text(21.0 * u, false, MUTED);
    let notes = wrap(area, source, &note_style, max, chart)?;
    let step = (27.0 * u) as i32;
    let mut y = h - margin / 2 - step * notes.len() as i32;
    let bottom = h - y + (22.0 * u) as i32;
    for line in notes {
        area.draw_text(&line, &note_style, (margin, y))
            .map_err(drawing(chart))?;
        y += step;
    }
    Ok(area.margin(top, bottom, margin, margin))
}

/// An axis range checked before plotters lays it out: both ends and the width finite, the
/// lower end below the upper (an empty range is widened by one unit). Plotters' tick search
/// never terminates on an infinite range, so every chart builds its data axes through here.
pub(crate) fn axis(chart: &'static str, what: &str, lo: f64, hi: f64) -> Result<Range<f64>> {
    for (end, value) in [("lower", lo), ("upper", hi), ("width", hi - lo)] {
        if !value.is_finite() {
            return Err(Error::NotFinite {
                chart,
                what: format!("the {end} of the {what} axis"),
                value,
            });
        }
    }
    Ok(if lo < hi { lo..hi } else { lo - 0.5..hi + 0.5 })
}

/// Checks that a value a chart draws is finite; `what` says which value it is.
pub(crate) fn finite(
    chart: &'static str,
    value: f64,
    what: impl FnOnce() -> String,
) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite {
            chart,
            what: what(),
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_infinite_or_nan_axis_end_is_an_error_naming_the_chart_and_the_axis() {
        let err = axis("ranking", "score", 0.0, f64::INFINITY).unwrap_err();
        assert_eq!(
            err.to_string().split(';').next().unwrap(),
            "cannot draw the ranking chart: the upper of the score axis is inf, not a finite number"
        );
        assert!(axis("ranking", "score", f64::NAN, 1.0).is_err());
        // Finite ends whose width overflows.
        assert!(axis("ranking", "score", -f64::MAX, f64::MAX).is_err());
    }

    #[test]
    fn a_finite_axis_passes_and_an_empty_one_is_widened() {
        assert_eq!(axis("x", "score", 0.0, 100.0).unwrap(), 0.0..100.0);
        assert_eq!(axis("x", "score", 3.0, 3.0).unwrap(), 2.5..3.5);
    }

    #[test]
    fn finite_names_the_value() {
        let err = finite("ranking", f64::NAN, || "the score of `paris`".into()).unwrap_err();
        assert!(err.to_string().contains("the score of `paris` is NaN"));
        assert_eq!(finite("ranking", 2.0, String::new).unwrap(), 2.0);
    }
}
