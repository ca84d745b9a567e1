//! The frame of every chart: a white ground, the title, the subtitle lines and the source
//! footnote, laid out from the top and the bottom; what is left between them is the plot.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::chart::drawing;
use crate::error::Result;
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
