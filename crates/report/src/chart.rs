//! The one chart trait and the one writer. Every chart is a type that knows its size and draws
//! itself on any plotters backend; [`render_svg`] and [`render_png`] turn it into bytes (the
//! HTML report inlines the SVG, the CLI stages both), and [`write_chart`] writes the pair.

use std::error::Error as StdError;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::png::{encode, PngBackend};

// The tables look years and cities up through here.
pub(crate) use crate::focus::{city, ranked_year};
#[cfg(test)]
pub(crate) use crate::testdata;

/// A chart: a size in pixels and one drawing, generic over the plotters backend, so that the
/// same code draws the SVG (publication), the PNG (preview) and the HTML report's figure.
///
/// Each chart holds what it shows (the results or the analysis, the focus city, the year, the
/// source footnote), checks it while drawing, and returns data errors (an unknown city, a year
/// that is not ranked) before it draws anything.
pub trait Chart {
    /// The chart's name in error messages ("ranking", "rank intervals").
    const NAME: &'static str;

    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws the chart on `area`, which has [`size`](Chart::size).
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Turns a renderer error into ours, naming the chart.
pub(crate) fn drawing<E: StdError + Send + Sync + 'static>(
    chart: &'static str,
) -> impl Fn(E) -> Error {
    move |e| Error::Draw {
        chart,
        source: Box::new(e),
    }
}

/// The chart as an SVG document.
pub fn render_svg<C: Chart>(chart: &C) -> Result<String> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        chart.draw(&area)?;
        area.present().map_err(drawing(C::NAME))?;
    }
    Ok(svg)
}

/// The chart as a PNG file's bytes, text laid out like the SVG's (see the PNG backend).
pub fn render_png<C: Chart>(chart: &C) -> Result<Vec<u8>> {
    let (width, height) = chart.size();
    let too_large = || Error::TooLarge {
        chart: C::NAME,
        width,
        height,
    };
    let len = width
        .checked_mul(height)
        .and_then(|pixels| usize::try_from(pixels).ok())
        .and_then(|pixels| pixels.checked_mul(3))
        .ok_or_else(too_large)?;
    let mut rgb = vec![0_u8; len];
    {
        let backend =
            PngBackend::with_buffer(&mut rgb, (width, height)).map_err(drawing(C::NAME))?;
        let area = backend.into_drawing_area();
        chart.draw(&area)?;
        area.present().map_err(drawing(C::NAME))?;
    }
    encode(&rgb, width, height).map_err(drawing(C::NAME))
}

/// Writes the chart as an SVG (publication) and a PNG (preview), each atomically. Both are
/// rendered first, so a chart that cannot be drawn writes neither file. `png_path` must end in
/// `.png`.
pub fn write_chart<C: Chart>(chart: &C, svg_path: &Path, png_path: &Path) -> Result<()> {
    let is_png = png_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !is_png {
        return Err(Error::PngExtension {
            path: png_path.to_path_buf(),
        });
    }
    let svg = render_svg(chart).map_err(|e| e.at(svg_path))?;
    let png = render_png(chart).map_err(|e| e.at(png_path))?;
    healthy_city_fs::write_atomic(svg_path, svg.as_bytes())?;
    healthy_city_fs::write_atomic(png_path, &png)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shapes in every colour depth plotters blends (no text: plotters' own text differs).
    struct Shapes;

    impl Chart for Shapes {
        const NAME: &'static str = "test";

        fn size(&self) -> (u32, u32) {
            (320, 200)
        }

        fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
        where
            DB::ErrorType: 'static,
        {
            area.fill(&WHITE).map_err(drawing(Self::NAME))?;
            area.draw(&Rectangle::new(
                [(20, 20), (200, 90)],
                BLUE.mix(0.4).filled(),
            ))
            .map_err(drawing(Self::NAME))?;
            area.draw(&Circle::new((160, 120), 50, RED.stroke_width(3)))
                .map_err(drawing(Self::NAME))?;
            area.draw(&PathElement::new(vec![(0, 199), (319, 0)], BLACK))
                .map_err(drawing(Self::NAME))?;
            Ok(())
        }
    }

    #[test]
    fn png_bytes_are_the_file_plotters_itself_would_write() {
        // The charts used to reach their PNG through plotters' file-writing bitmap backend;
        // rendering to bytes must give the same file, byte for byte.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shapes.png");
        {
            let area = BitMapBackend::new(&path, Shapes.size()).into_drawing_area();
            Shapes.draw(&area).unwrap();
            area.present().unwrap();
        }
        assert_eq!(render_png(&Shapes).unwrap(), std::fs::read(&path).unwrap());
    }

    #[test]
    fn svg_text_is_the_file_plotters_itself_would_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shapes.svg");
        {
            let area = SVGBackend::new(&path, Shapes.size()).into_drawing_area();
            Shapes.draw(&area).unwrap();
            area.present().unwrap();
        }
        assert_eq!(
            render_svg(&Shapes).unwrap(),
            std::fs::read_to_string(&path).unwrap()
        );
    }

    #[test]
    fn write_chart_writes_both_renderings_and_refuses_a_png_path_without_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let (svg, png) = (dir.path().join("s.svg"), dir.path().join("s.png"));
        write_chart(&Shapes, &svg, &png).unwrap();
        assert_eq!(
            std::fs::read_to_string(&svg).unwrap(),
            render_svg(&Shapes).unwrap()
        );
        assert_eq!(std::fs::read(&png).unwrap(), render_png(&Shapes).unwrap());
        let bad = dir.path().join("s.tmp");
        let err = write_chart(&Shapes, &svg, &bad).unwrap_err().to_string();
        assert!(
            err.ends_with("s.tmp`: the file name must end in `.png`"),
            "{err}"
        );
        assert!(!bad.exists());
    }
}
