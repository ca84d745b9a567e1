//! The PNG backend: plotters' bitmap backend, except that text in the embedded family is laid
//! out and rasterised here with ab_glyph.
//!
//! plotters 0.3.7 places each glyph's outline at the pen position without its left side bearing,
//! so PNG text comes out unevenly spaced ("cit ies"). Here each glyph goes where the font puts it
//! (advance widths, kerning, bearings), at the SVG's size (`font-size` = size / 1.24) and with the
//! SVG's anchoring (`text-anchor`; baseline 0.76 em below the top, or 0.5 ex below or above the
//! middle or bottom), so the preview matches the publication. Coverage is accumulated per pixel and
//! blended once into what is already there. Text in other families goes to plotters unchanged.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{FontStyle, FontTransform};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use crate::style::{BOLD, FAMILY, REGULAR};

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

/// How far below its anchor a line's baseline sits: the SVG's `dy`, in em, in ex (the
/// x-height, as a browser takes it) or in pixels. plotters writes `0.76em` for a top anchor,
/// `0.5ex` for a centred one and `-0.5ex` for a bottom one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dy {
    Em(f32),
    Ex(f32),
    Px(f32),
}

impl From<VPos> for Dy {
    fn from(v: VPos) -> Self {
        match v {
            VPos::Top => Dy::Em(0.76),
            VPos::Center => Dy::Ex(0.5),
            VPos::Bottom => Dy::Ex(-0.5),
        }
    }
}

/// One line of text laid out from its anchor: glyphs positioned in pixels relative to the
/// anchor point, before any rotation. The PNG backend draws it; [`text_boxes`] measures the
/// SVG's text with it, so both agree on where a text's ink is.
///
/// [`text_boxes`]: crate::text_boxes
pub(crate) struct Layout {
    glyphs: Vec<ab_glyph::Glyph>,
    font: &'static FontRef<'static>,
}

impl Layout {
    /// Lays `text` out in the embedded face for `bold`, at plotters text size `size`,
    /// anchored at (0, 0) by `h` and `v`.
    fn new(text: &str, size: f64, bold: bool, h: HPos, v: VPos) -> Option<Self> {
        Self::with_em(text, (size / 1.24) as f32, bold, h, v.into())
    }

    /// Lays `text` out at the SVG's `font-size` `em` (pixels), anchored at (0, 0) by `h`
    /// (the SVG's `text-anchor`) with the baseline `dy` below the anchor.
    pub(crate) fn with_em(text: &str, em: f32, bold: bool, h: HPos, dy: Dy) -> Option<Self> {
        let (regular, bold_face) = faces()?;
        let font = if bold { bold_face } else { regular };
        let upem = font.units_per_em()?;
        // ab_glyph scales by ascent - descent rather than by the em.
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
        let baseline = match dy {
            Dy::Em(k) => k * em,
            Dy::Ex(k) => k * ex,
            Dy::Px(k) => k,
        }
        .round();
        for g in &mut glyphs {
            g.position.x += dx;
            g.position.y = baseline;
        }
        Some(Self { glyphs, font })
    }

    /// The pixels the line inks, relative to the anchor: `(left, top, right, bottom)`, or
    /// `None` for a line without ink (spaces).
    pub(crate) fn ink(&self) -> Option<(f32, f32, f32, f32)> {
        self.glyphs
            .iter()
            .filter_map(|g| self.font.outline_glyph(g.clone()))
            .map(|o| o.px_bounds())
            .map(|b| (b.min.x, b.min.y, b.max.x, b.max.y))
            .reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
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
    /// A backend drawing into an RGB buffer of `size` (3 bytes a pixel, row by row), or the
    /// renderer's error if the buffer is too small.
    pub fn with_buffer(
        buf: &'a mut [u8],
        size: (u32, u32),
    ) -> Result<Self, <BitMapBackend<'a> as DrawingBackend>::ErrorType> {
        BitMapBackend::with_buffer_and_format(buf, size).map(Self)
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

/// Encodes an RGB buffer (3 bytes a pixel, row by row) of `width` x `height` as a PNG, exactly
/// as plotters' bitmap backend saves a file (the image crate's PNG encoder, default compression
/// and filter), so that a chart rendered to bytes and one written by plotters are the same file.
pub(crate) fn encode(rgb: &[u8], width: u32, height: u32) -> image::ImageResult<Vec<u8>> {
    use image::ImageEncoder;

    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        rgb,
        width,
        height,
        image::ColorType::Rgb8,
    )?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use plotters::style::text_anchor::Pos;

    use super::*;
    use crate::style::{register_fonts, text, INK};

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
            let area = PngBackend::with_buffer(&mut buf, (w, h))
                .unwrap()
                .into_drawing_area();
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
}
