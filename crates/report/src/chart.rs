//! What every chart shares: the embedded font, the palette, text sizes relative to the area, the
//! frame (title, subtitle, source footnote), and the SVG + PNG writer.

use std::error::Error as StdError;
use std::path::Path;
use std::sync::OnceLock;

use healthy_city_score::Results;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::error::{Error, Result};

/// The one font family every chart uses (DejaVu Sans, embedded). The SVG names it with
/// fallbacks of similar metrics for viewers that lack it; the PNG is always drawn with it.
pub(crate) const FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded fonts with plotters, once per process.
pub(crate) fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FAMILY, FontStyle::Normal, REGULAR).is_ok()
            && register_font(FAMILY, FontStyle::Bold, BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Font { family: FAMILY })
    }
}

/// The Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
pub(crate) mod okabe_ito {
    use plotters::style::RGBColor;

    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
}

/// Text and rules in neutral greys.
pub(crate) const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
pub(crate) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const RULE: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Lines and marks that give context without drawing the eye.
pub(crate) const GREY: RGBColor = RGBColor(0xA6, 0xA6, 0xA6);

/// Size unit of an area: 1.0 on a 1600-pixel-wide chart; every font size and margin is a
/// multiple of it, so the SVG and PNG of any size keep their proportions.
pub(crate) fn unit<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> f64 {
    let (w, h) = area.dim_in_pixel();
    (f64::from(w) / 1600.0).min(f64::from(h) / 600.0)
}

/// A text style in the embedded family.
pub(crate) fn text(size: f64, bold: bool, color: RGBColor) -> TextStyle<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    let mut text = TextStyle::from((FontFamily::Name(FAMILY), size, style).into_font());
    text.color = color.to_backend_color();
    text
}

/// A linear f64 axis with the tick positions given, rather than chosen by plotters.
pub(crate) struct Ticked {
    pub range: std::ops::Range<f64>,
    pub ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = (value - self.range.start) / (self.range.end - self.range.start);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// The house style of a chart's axes: muted tick labels, axis titles in ink, light rules at the
/// major ticks and none between them, short tick marks; sizes in [`unit`]s.
pub(crate) trait HouseStyle {
    fn house_style(&mut self, u: f64) -> &mut Self;
}

impl<X: Ranged, Y: Ranged, DB: DrawingBackend> HouseStyle for MeshStyle<'_, '_, X, Y, DB> {
    fn house_style(&mut self, u: f64) -> &mut Self {
        self.label_style(text(22.0 * u, false, MUTED))
            .axis_desc_style(text(24.0 * u, false, INK))
            .bold_line_style(RULE)
            .light_line_style(WHITE.mix(0.0))
            .axis_style(MUTED)
            .set_all_tick_mark_size((6.0 * u) as i32)
    }
}

/// Anchors a text style.
pub(crate) fn anchored(style: &TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
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

/// Pixel width of a text.
pub(crate) fn width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    chart: &'static str,
) -> Result<i32>
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.estimate_text_size(s, style).map_err(drawing(chart))?;
    Ok(i32::try_from(w).unwrap_or(i32::MAX))
}

/// Breaks a text into lines no wider than `max` pixels, at spaces.
pub(crate) fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max: i32,
    chart: &'static str,
) -> Result<Vec<String>>
where
    DB::ErrorType: 'static,
{
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && width(area, &candidate, style, chart)? > max {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

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

/// The PNG backend: plotters' bitmap backend, except that text in the embedded family is laid
/// out and rasterised here with ab_glyph.
///
/// plotters 0.3.7 places each glyph's outline at the pen position without its left side bearing,
/// so PNG text comes out unevenly spaced ("cit ies"). Here each glyph goes where the font puts it
/// (advance widths, kerning, bearings), at the SVG's size (`font-size` = size / 1.24) and with the
/// SVG's anchoring (`text-anchor`; baseline 0.76 em below the top, or 0.5 ex below or above the
/// middle or bottom), so the preview matches the publication. Coverage is accumulated per pixel and
/// blended once into what is already there. Text in other families goes to plotters unchanged.
pub(crate) mod png {
    use std::path::Path;
    use std::sync::OnceLock;

    use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, VPos};
    use plotters::style::{FontStyle, FontTransform};
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };

    use super::{BOLD, FAMILY, REGULAR};

    /// The embedded faces, parsed once; `None` if either does not parse.
    fn faces() -> Option<&'static (FontRef<'static>, FontRef<'static>)> {
        static FACES: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
        FACES
            .get_or_init(|| {
                Some((
                    FontRef::try_from_slice(REGULAR).ok()?,
                    FontRef::try_from_slice(BOLD).ok()?,
                ))
            })
            .as_ref()
    }

    /// One line of text laid out from its anchor: glyphs positioned in pixels relative to the
    /// anchor point, before any rotation.
    struct Layout {
        glyphs: Vec<ab_glyph::Glyph>,
        font: &'static FontRef<'static>,
    }

    impl Layout {
        /// Lays `text` out in the embedded face for `bold`, at plotters text size `size`,
        /// anchored at (0, 0) by `h` and `v`.
        fn new(text: &str, size: f64, bold: bool, h: HPos, v: VPos) -> Option<Self> {
            let (regular, bold_face) = faces()?;
            let font = if bold { bold_face } else { regular };
            let upem = font.units_per_em()?;
            // The SVG's em; ab_glyph scales by ascent - descent rather than by the em.
            let em = (size / 1.24) as f32;
            let scale = PxScale::from(em * font.height_unscaled() / upem);
            let scaled = font.as_scaled(scale);
            let mut glyphs = Vec::new();
            let mut pen = 0.0_f32;
            let mut prev: Option<GlyphId> = None;
            for c in text.chars() {
                let id = font.glyph_id(c);
                if let Some(p) = prev {
                    pen += scaled.kern(p, id);
                }
                glyphs.push(id.with_scale_and_position(scale, point(pen, 0.0)));
                pen += scaled.h_advance(id);
                prev = Some(id);
            }
            let width = pen;
            let dx = match h {
                HPos::Left => 0.0,
                HPos::Center => -width / 2.0,
                HPos::Right => -width,
            }
            .round();
            // x-height from the outline of "x", as a browser takes it for `ex`.
            let ex = font
                .outline(font.glyph_id('x'))
                // ab_glyph keeps the outline's top in `min.y` (font units, y up).
                .map_or(0.5 * upem, |o| o.bounds.min.y.max(o.bounds.max.y))
                * em
                / upem;
            let baseline = match v {
                VPos::Top => 0.76 * em,
                VPos::Center => 0.5 * ex,
                VPos::Bottom => -0.5 * ex,
            }
            .round();
            for g in &mut glyphs {
                g.position.x += dx;
                g.position.y = baseline;
            }
            Some(Self { glyphs, font })
        }

        /// The anti-aliased coverage of the line: the top-left pixel offset from the anchor,
        /// the width of the coverage rows, and the rows (each value 0 to 1).
        fn coverage(&self) -> ((i32, i32), usize, Vec<f32>) {
            let outlined: Vec<_> = self
                .glyphs
                .iter()
                .filter_map(|g| self.font.outline_glyph(g.clone()))
                .collect();
            let Some(first) = outlined.first() else {
                return ((0, 0), 0, Vec::new());
            };
            let mut bounds = first.px_bounds();
            for o in &outlined {
                let b = o.px_bounds();
                bounds.min.x = bounds.min.x.min(b.min.x);
                bounds.min.y = bounds.min.y.min(b.min.y);
                bounds.max.x = bounds.max.x.max(b.max.x);
                bounds.max.y = bounds.max.y.max(b.max.y);
            }
            let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
            let w = (bounds.max.x as i32 - x0).max(0) as usize;
            let h = (bounds.max.y as i32 - y0).max(0) as usize;
            let mut cover = vec![0.0_f32; w * h];
            for o in &outlined {
                let b = o.px_bounds();
                let (ox, oy) = (
                    (b.min.x as i32 - x0) as usize,
                    (b.min.y as i32 - y0) as usize,
                );
                o.draw(|x, y, c| {
                    let (x, y) = (ox + x as usize, oy + y as usize);
                    if x < w && y < h {
                        cover[y * w + x] += c;
                    }
                });
            }
            ((x0, y0), w, cover)
        }
    }

    /// Where the pixel at offset (x, y) from the anchor lands once the text is turned.
    fn turn(t: &FontTransform, (x, y): (i32, i32)) -> (i32, i32) {
        // Turn the pixel's centre, not its corner, so a turned glyph keeps its place.
        match t {
            FontTransform::Rotate90 => (-y - 1, x),
            FontTransform::Rotate180 => (-x - 1, -y - 1),
            FontTransform::Rotate270 => (y, -x - 1),
            FontTransform::None => (x, y),
        }
    }

    /// plotters' bitmap backend with the embedded family's text drawn by [`Layout`].
    pub(crate) struct PngBackend<'a>(BitMapBackend<'a>);

    impl<'a> PngBackend<'a> {
        pub fn new(path: &'a Path, size: (u32, u32)) -> Self {
            Self(BitMapBackend::new(path, size))
        }

        /// A backend drawing into an RGB buffer of `size` (3 bytes a pixel), for tests.
        #[cfg(test)]
        pub fn with_buffer(buf: &'a mut [u8], size: (u32, u32)) -> Self {
            Self(BitMapBackend::with_buffer(buf, size))
        }
    }

    impl<'a> DrawingBackend for PngBackend<'a> {
        type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

        fn get_size(&self) -> (u32, u32) {
            self.0.get_size()
        }

        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.ensure_prepared()
        }

        fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.present()
        }

        fn draw_pixel(
            &mut self,
            point: BackendCoord,
            color: BackendColor,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_pixel(point, color)
        }

        fn draw_line<S: BackendStyle>(
            &mut self,
            from: BackendCoord,
            to: BackendCoord,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_line(from, to, style)
        }

        fn draw_rect<S: BackendStyle>(
            &mut self,
            upper_left: BackendCoord,
            bottom_right: BackendCoord,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_rect(upper_left, bottom_right, style, fill)
        }

        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_path(path, style)
        }

        fn draw_circle<S: BackendStyle>(
            &mut self,
            center: BackendCoord,
            radius: u32,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_circle(center, radius, style, fill)
        }

        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            vert: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.fill_polygon(vert, style)
        }

        fn blit_bitmap(
            &mut self,
            pos: BackendCoord,
            size: (u32, u32),
            src: &[u8],
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.blit_bitmap(pos, size, src)
        }

        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            style: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
            // plotters' estimate, as the SVG backend gives it, so both lay a chart out alike.
            self.0.estimate_text_size(text, style)
        }

        fn draw_text<S: BackendTextStyle>(
            &mut self,
            text: &str,
            style: &S,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            let color = style.color();
            if color.alpha == 0.0 {
                return Ok(());
            }
            let anchor = style.anchor();
            let layout = if style.family().as_str() == FAMILY {
                let bold = matches!(style.style(), FontStyle::Bold);
                Layout::new(text, style.size(), bold, anchor.h_pos, anchor.v_pos)
            } else {
                None
            };
            let Some(layout) = layout else {
                return self.0.draw_text(text, style, pos);
            };
            let transform = style.transform();
            let ((x0, y0), w, cover) = layout.coverage();
            for (i, &c) in cover.iter().enumerate() {
                if c <= 0.0 {
                    continue;
                }
                let (dx, dy) = turn(&transform, (x0 + (i % w) as i32, y0 + (i / w) as i32));
                let alpha = color.alpha * f64::from(c.min(1.0));
                self.0.draw_pixel(
                    (pos.0 + dx, pos.1 + dy),
                    BackendColor {
                        alpha,
                        rgb: color.rgb,
                    },
                )?;
            }
            Ok(())
        }
    }
}

/// Writes one chart as SVG and PNG through the same draw function.
pub(crate) fn write_svg_and_png(
    svg_path: &Path,
    png_path: &Path,
    size: (u32, u32),
    chart: &'static str,
    draw_svg: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
    draw_png: impl FnOnce(&DrawingArea<png::PngBackend, Shift>) -> Result<()>,
) -> Result<()> {
    let is_png = png_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !is_png {
        return Err(Error::PngExtension {
            path: png_path.to_path_buf(),
        });
    }
    {
        let area = SVGBackend::new(svg_path, size).into_drawing_area();
        draw_svg(&area).map_err(|e| e.at(svg_path))?;
        area.present()
            .map_err(drawing(chart))
            .map_err(|e| e.at(svg_path))?;
    }
    let area = png::PngBackend::new(png_path, size).into_drawing_area();
    draw_png(&area).map_err(|e| e.at(png_path))?;
    area.present()
        .map_err(drawing(chart))
        .map_err(|e| e.at(png_path))
}

/// Resolves a year slot: the given one if in range and ranked, else the latest ranked year.
pub(crate) fn ranked_year(results: &Results, year: Option<usize>) -> Result<usize> {
    match year {
        Some(slot) if slot >= results.years.len() => Err(Error::YearSlot {
            slot,
            n_years: results.years.len(),
        }),
        Some(slot) if !results.year_ranked[slot] => Err(Error::YearNotRanked {
            year: results.years[slot],
        }),
        Some(slot) => Ok(slot),
        None => results
            .latest_ranked_year()
            .ok_or_else(|| Error::NoRankedYear {
                index: results.index_id.clone(),
            }),
    }
}

/// Resolves a city by id or display name.
pub(crate) fn city(results: &Results, name: &str) -> Result<usize> {
    results.city_slot(name).ok_or_else(|| Error::UnknownCity {
        city: name.to_string(),
        known: results.cities.join(", "),
    })
}

/// A count with thousands separated: "5,120".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// "1st", "2nd", "3rd", "4th", "11th", "21st"...
pub(crate) fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
pub(crate) mod testdata {
    //! A tiny scored example shared by the tests: three cities, two domains, three years.

    use healthy_city_model::{Catalogue, Cities, Framework, Observations};
    use healthy_city_score::{score, Results};

    const CITIES: &str = r#"
[[city]]
id = "london"
name = "London"
country = "GBR"
region = "Europe"
latitude = 51.5
longitude = -0.1
[[city]]
id = "paris"
name = "Paris"
country = "FRA"
region = "Europe"
latitude = 48.9
longitude = 2.4
[[city]]
id = "tokyo"
name = "Tokyo"
country = "JPN"
region = "Asia"
latitude = 35.7
longitude = 139.7
"#;

    const CATALOGUE: &str = r#"
[[indicator]]
id = "life"
name = "Life expectancy"
unit = "years"
direction = "higher"
level = "national"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
[[indicator]]
id = "pm25"
name = "PM2.5"
unit = "ug/m3"
direction = "lower"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
"#;

    const FRAMEWORK: &str = r#"
[index]
id = "tiny"
name = "Tiny healthy-city index"
[methods]
scale = [0, 100]
[[group]]
id = "index"
[[group]]
id = "health"
name = "Health"
parent = "index"
[[group]]
id = "air"
name = "Air"
parent = "index"
[[indicator]]
id = "life"
parent = "health"
[[indicator]]
id = "pm25"
parent = "air"
"#;

    // Panel bounds: life 70..82, pm25 10..30 (lower is better).
    // 2017: London life 76 (50), pm25 20 (50) -> 50; Paris 82 (100), 30 (0) -> 50;
    //       Tokyo 70 (0), 10 (100) -> 50. A three-way tie at 1st.
    // 2018: London has no data (unranked); Paris 79 (75), 25 (25) -> 50; Tokyo 73 (25), 15 (75) -> 50.
    // 2019: London 82 (100), 15 (75) -> 87.5; Paris 76 (50), 20 (50) -> 50; Tokyo 70 (0), 30 (0) -> 0.
    // Life is a national proxy everywhere: half of every score rests on it.
    const DATA: &str = "city,indicator,year,value,source,flag
london,life,2017,76,s,proxy
london,pm25,2017,20,s,
paris,life,2017,82,s,proxy
paris,pm25,2017,30,s,
tokyo,life,2017,70,s,proxy
tokyo,pm25,2017,10,s,
paris,life,2018,79,s,proxy
paris,pm25,2018,25,s,
tokyo,life,2018,73,s,proxy
tokyo,pm25,2018,15,s,
london,life,2019,82,s,proxy
london,pm25,2019,15,s,
paris,life,2019,76,s,proxy
paris,pm25,2019,20,s,
tokyo,life,2019,70,s,proxy
tokyo,pm25,2019,30,s,
";

    pub fn results() -> Results {
        results_of(DATA)
    }

    /// The same three cities and index, scored on other observations (`DATA`'s columns).
    pub fn results_of(data: &str) -> Results {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        let framework = Framework::parse(FRAMEWORK, "tiny.toml").unwrap();
        let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
        score(&framework, &catalogue, &cities, &observations).unwrap()
    }

    /// The text elements of an SVG, unescaped.
    pub fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..t.find("</text>")?];
                Some(
                    body.trim()
                        .replace("&apos;", "'")
                        .replace("&quot;", "\"")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&amp;", "&"),
                )
            })
            .collect()
    }

    /// PNG width and height from the IHDR chunk.
    pub fn png_size(bytes: &[u8]) -> (u32, u32) {
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&bytes[16..20]), be(&bytes[20..24]))
    }
}

#[cfg(test)]
mod tests {
    use plotters::style::FontTransform;

    use super::*;

    #[test]
    fn ordinals_follow_english_usage() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111]
            .map(ordinal)
            .into();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th"
            ]
        );
    }

    /// Renders `s` in the regular face at text size `size` into a white 600x400 bitmap at `at`,
    /// and returns the inked pixels.
    fn ink(
        s: &str,
        size: f64,
        at: (i32, i32),
        anchor: Pos,
        turn: FontTransform,
    ) -> Vec<(i32, i32)> {
        register_fonts().unwrap();
        let (w, h) = (600_u32, 400_u32);
        let mut buf = vec![255_u8; (w * h * 3) as usize];
        {
            let area = png::PngBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            let style = text(size, false, INK).pos(anchor).transform(turn);
            area.draw_text(s, &style, at).unwrap();
            area.present().unwrap();
        }
        (0..w * h)
            .filter(|&i| buf[(i * 3) as usize] < 128)
            .map(|i| ((i % w) as i32, (i / w) as i32))
            .collect()
    }

    fn left_top() -> Pos {
        Pos::new(HPos::Left, VPos::Top)
    }

    #[test]
    fn png_text_puts_each_glyph_where_the_font_does() {
        use ab_glyph::{Font, FontRef, ScaleFont};
        // plotters 0.3.7 drops the left side bearings: "lo" came out with the "o" 4 pixels too
        // far right at this size. Compare the left ink edges of the two glyphs with the font's.
        let size = 124.0;
        let px = ink("lo", size, (100, 100), left_top(), FontTransform::None);
        let mut columns: Vec<i32> = px.iter().map(|p| p.0).collect();
        columns.sort_unstable();
        columns.dedup();
        let o_left = columns
            .windows(2)
            .find(|w| w[1] > w[0] + 1)
            .map(|w| w[1])
            .unwrap();
        let l_left = columns[0];
        let font = FontRef::try_from_slice(REGULAR).unwrap();
        let em = (size / 1.24) as f32;
        let scaled = font.as_scaled(em * font.height_unscaled() / font.units_per_em().unwrap());
        let (l, o) = (font.glyph_id('l'), font.glyph_id('o'));
        let lsb = |g| f64::from(scaled.h_side_bearing(g));
        let want_l = 100.0 + lsb(l);
        let want_o = 100.0 + f64::from(scaled.h_advance(l) + scaled.kern(l, o)) + lsb(o);
        assert!(
            (f64::from(l_left) - want_l).abs() <= 1.0,
            "{l_left} vs {want_l}"
        );
        assert!(
            (f64::from(o_left) - want_o).abs() <= 1.0,
            "{o_left} vs {want_o}"
        );
    }

    #[test]
    fn png_text_is_anchored_like_the_svg() {
        let xs = |px: &[(i32, i32)]| {
            let x = px.iter().map(|p| p.0);
            (x.clone().min().unwrap(), x.max().unwrap())
        };
        let ys = |px: &[(i32, i32)]| {
            let y = px.iter().map(|p| p.1);
            (y.clone().min().unwrap(), y.max().unwrap())
        };
        // Right: the ink ends at the anchor, less the last glyph's right bearing.
        let right = ink(
            "Hx",
            40.0,
            (300, 200),
            Pos::new(HPos::Right, VPos::Top),
            FontTransform::None,
        );
        assert!((295..300).contains(&xs(&right).1), "{:?}", xs(&right));
        // Centre: the ink of a symmetric text sits evenly about the anchor.
        let centre = ink(
            "HOH",
            40.0,
            (300, 200),
            Pos::new(HPos::Center, VPos::Center),
            FontTransform::None,
        );
        let (l, r) = xs(&centre);
        assert!((l + r - 600).abs() <= 2, "{l}..{r}");
        // Centre, vertically: the x-height is centred on the anchor (the SVG's dy = 0.5ex).
        let (t, b) = ys(&ink(
            "xxx",
            40.0,
            (300, 200),
            Pos::new(HPos::Left, VPos::Center),
            FontTransform::None,
        ));
        assert!((t + b - 400).abs() <= 2, "{t}..{b}");
        // Top: below the anchor; bottom: above it.
        assert!(ys(&ink("H", 40.0, (300, 200), left_top(), FontTransform::None)).0 > 200);
        let bottom = ink(
            "H",
            40.0,
            (300, 200),
            Pos::new(HPos::Left, VPos::Bottom),
            FontTransform::None,
        );
        assert!(ys(&bottom).1 < 200);
        // Turned a quarter anticlockwise (the y-axis label): it reads upwards from the anchor.
        let up = ink(
            "Hxxxx",
            40.0,
            (300, 200),
            left_top(),
            FontTransform::Rotate270,
        );
        let (t, b) = ys(&up);
        assert!(b < 200 && b > 195 && t < 120, "{t}..{b}");
        let (l, r) = xs(&up);
        assert!(l > 300 && r < 340, "{l}..{r}");
    }

    #[test]
    fn an_unranked_year_slot_is_refused_with_its_year() {
        let r = testdata::results();
        assert_eq!(ranked_year(&r, None).unwrap(), 2);
        let err = ranked_year(&r, Some(7)).unwrap_err().to_string();
        assert_eq!(err, "year slot 7 is out of range: the results hold 3 years");
        assert!(city(&r, "Atlantis")
            .unwrap_err()
            .to_string()
            .contains("london, paris, tokyo"));
    }
}
