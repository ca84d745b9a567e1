//! The look every chart shares: the embedded font, the colour-blind-safe palette, text sizes
//! relative to the area, and the house style of the axes.

use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::error::{Error, Result};

/// The one font family every chart uses (DejaVu Sans, embedded). The SVG names it with
/// fallbacks of similar metrics for viewers that lack it; the PNG is always drawn with it.
pub(crate) const FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// The embedded faces (DejaVu Sans and DejaVu Sans Bold).
pub(crate) static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
pub(crate) static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

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

/// Anchors a text style.
pub(crate) fn anchored(style: &TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
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
