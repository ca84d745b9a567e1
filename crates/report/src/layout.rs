//! Where a chart's text lands: every `<text>` element of a chart's SVG, measured in the
//! embedded font, so that a test can say which label runs off the canvas.
//!
//! plotters' SVG backend writes a text as `x`, `y`, a `dy` that moves the baseline below the
//! anchor (`0.76em` for a top anchor, `0.5ex` centred, `-0.5ex` bottom), a `text-anchor`, a
//! `font-size` (plotters' size / 1.24), `font-weight="bold"` for the bold face and, for a
//! turned text, `transform="rotate(angle, x, y)"`. The PNG backend lays the same text out in
//! the same embedded DejaVu face ([`crate::png`]); [`text_boxes`] uses that very layout, so a
//! box here is the ink of the PNG's text and, in a viewer with DejaVu Sans, of the SVG's.

use plotters::style::text_anchor::HPos;

use crate::png::{Dy, Layout};

/// One `<text>` element of an SVG and the box its ink covers on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    /// The text, unescaped.
    pub text: String,
    /// The anchor point (`x`, `y`), before any transform.
    pub x: f64,
    /// See [`x`](TextBox::x).
    pub y: f64,
    /// The SVG `font-size`, in pixels.
    pub font_size: f64,
    /// Whether it is set in the bold face.
    pub bold: bool,
    /// Left edge of the ink on the canvas, in pixels (after the transform).
    pub left: f64,
    /// Top edge of the ink.
    pub top: f64,
    /// Right edge of the ink.
    pub right: f64,
    /// Bottom edge of the ink.
    pub bottom: f64,
}

impl TextBox {
    /// Whether the ink lies wholly on a `width` x `height` canvas.
    pub fn is_within(&self, width: f64, height: f64) -> bool {
        self.left >= 0.0 && self.top >= 0.0 && self.right <= width && self.bottom <= height
    }
}

/// Every `<text>` element of `svg`, in document order, with the box its ink covers.
///
/// Each string is laid out in the embedded DejaVu Sans (bold for `font-weight="bold"` or a
/// weight of 600 and more) at its `font-size`, whatever `font-family` says: the charts use no
/// other family. `text-anchor` (`start`, `middle`, `end`), `dy` (in `em`, `ex` or pixels) and
/// `transform` (`rotate(a)`, `rotate(a, cx, cy)`, `translate(tx, ty)`, in a list applied as
/// SVG applies it) are honoured; a rotated text gets the bounding box of its turned ink. A
/// text without ink (only spaces) gets an empty box at its anchor. Other markup (`tspan`,
/// CSS) is not read: plotters writes none.
pub fn text_boxes(svg: &str) -> Vec<TextBox> {
    let mut boxes = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        rest = &rest[start + "<text".len()..];
        let (Some(open_end), Some(close)) = (rest.find('>'), rest.find("</text>")) else {
            break;
        };
        if open_end > close {
            break;
        }
        let attributes = attributes(&rest[..open_end]);
        let body = unescape(rest[open_end + 1..close].trim());
        rest = &rest[close..];
        boxes.push(measure(body, &attributes));
    }
    boxes
}

/// The texts of `svg` whose ink is not wholly on the `width` x `height` canvas.
pub fn text_outside(svg: &str, width: u32, height: u32) -> Vec<TextBox> {
    text_boxes(svg)
        .into_iter()
        .filter(|b| !b.is_within(f64::from(width), f64::from(height)))
        .collect()
}

/// `name="value"` pairs of an opening tag, values unescaped.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().to_string();
        let after = &rest[eq + 2..];
        let Some(end) = after.find('"') else { break };
        out.push((name, unescape(&after[..end])));
        rest = &after[end + 1..];
    }
    out
}

/// Text with the five XML entities plotters writes replaced by their characters.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A number at the start of `s` (`"0.76em"` gives 0.76 and `"em"`).
fn number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0)))
        .map_or(s.len(), |(i, _)| i);
    Some((s[..end].parse().ok()?, s[end..].trim()))
}

/// One SVG transform step, mapping a point.
#[derive(Debug, Clone, Copy)]
enum Step {
    Rotate { degrees: f64, cx: f64, cy: f64 },
    Translate { tx: f64, ty: f64 },
}

impl Step {
    fn apply(self, (x, y): (f64, f64)) -> (f64, f64) {
        match self {
            Step::Rotate { degrees, cx, cy } => {
                let (sin, cos) = degrees.to_radians().sin_cos();
                let (dx, dy) = (x - cx, y - cy);
                (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
            }
            Step::Translate { tx, ty } => (x + tx, y + ty),
        }
    }
}

/// The steps of a `transform` attribute, in the order written (SVG applies the last first).
fn transform(s: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        let name = rest[..open].trim().trim_start_matches(',').trim();
        let Some(close) = rest[open..].find(')') else {
            break;
        };
        let args: Vec<f64> = rest[open + 1..open + close]
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|a| !a.is_empty())
            .filter_map(|a| a.parse().ok())
            .collect();
        rest = &rest[open + close + 1..];
        match (name, args.as_slice()) {
            ("rotate", [a]) => steps.push(Step::Rotate {
                degrees: *a,
                cx: 0.0,
                cy: 0.0,
            }),
            ("rotate", [a, cx, cy]) => steps.push(Step::Rotate {
                degrees: *a,
                cx: *cx,
                cy: *cy,
            }),
            ("translate", [tx]) => steps.push(Step::Translate { tx: *tx, ty: 0.0 }),
            ("translate", [tx, ty]) => steps.push(Step::Translate { tx: *tx, ty: *ty }),
            _ => {}
        }
    }
    steps
}

fn measure(text: String, attributes: &[(String, String)]) -> TextBox {
    let get = |name: &str| {
        attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let coordinate = |name: &str| get(name).and_then(number).map_or(0.0, |(v, _)| v);
    let (x, y) = (coordinate("x"), coordinate("y"));
    // An SVG's default font size is 16 pixels.
    let font_size = get("font-size").and_then(number).map_or(16.0, |(v, _)| v);
    let bold = get("font-weight").is_some_and(|w| {
        w == "bold" || w == "bolder" || number(w).is_some_and(|(v, _)| v >= 600.0)
    });
    let h = match get("text-anchor") {
        Some("middle") => HPos::Center,
        Some("end") => HPos::Right,
        _ => HPos::Left,
    };
    let dy = match get("dy").and_then(number) {
        Some((v, "em")) => Dy::Em(v as f32),
        Some((v, "ex")) => Dy::Ex(v as f32),
        Some((v, _)) => Dy::Px(v as f32),
        None => Dy::Px(0.0),
    };
    let ink = Layout::with_em(&text, font_size as f32, bold, h, dy)
        .and_then(|l| l.ink())
        .map_or((0.0, 0.0, 0.0, 0.0), |(l, t, r, b)| {
            (f64::from(l), f64::from(t), f64::from(r), f64::from(b))
        });
    let steps = get("transform").map(transform).unwrap_or_default();
    let corners = [
        (x + ink.0, y + ink.1),
        (x + ink.2, y + ink.1),
        (x + ink.0, y + ink.3),
        (x + ink.2, y + ink.3),
    ]
    .map(|p| steps.iter().rev().fold(p, |p, s| s.apply(p)));
    let xs = corners.map(|p| p.0);
    let ys = corners.map(|p| p.1);
    let min = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
    let max = |v: [f64; 4]| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    TextBox {
        text,
        x,
        y,
        font_size,
        bold,
        left: min(xs),
        top: min(ys),
        right: max(xs),
        bottom: max(ys),
    }
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{Pos, VPos};
    use plotters::style::FontTransform;

    use super::*;
    use crate::png::PngBackend;
    use crate::style::{register_fonts, text, INK};

    /// A 200 x 100 canvas: "Inside" well inside, "Outside" anchored 10 pixels from the right
    /// edge and running past it, "End" right-anchored at the left edge (all of it outside),
    /// and a turned text whose box is tall and narrow.
    const HAND_MADE: &str = r##"<svg width="200" height="100" viewBox="0 0 200 100" xmlns="http://www.w3.org/2000/svg">
<text x="20" y="20" dy="0.76em" text-anchor="start" font-family="DejaVu Sans" font-size="16" opacity="1" fill="#000000">
Inside
</text>
<text x="190" y="50" dy="0.5ex" text-anchor="start" font-family="DejaVu Sans" font-size="16" opacity="1" fill="#000000" font-weight="bold">
Outside
</text>
<text x="0" y="80" dy="0.5ex" text-anchor="end" font-family="DejaVu Sans" font-size="16" opacity="1" fill="#000000">
End &amp; more
</text>
<text x="100" y="50" dy="0.76em" text-anchor="middle" font-family="DejaVu Sans" font-size="16" opacity="1" fill="#000000" transform="rotate(270, 100, 50)">
Turned
</text>
</svg>"##;

    #[test]
    fn a_text_inside_the_canvas_passes_and_one_running_off_it_is_reported() {
        let boxes = text_boxes(HAND_MADE);
        let texts: Vec<&str> = boxes.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Inside", "Outside", "End & more", "Turned"]);
        let inside = &boxes[0];
        // Top anchor: the baseline 0.76 em (12 pixels) below y = 20, the ascender of "d"
        // reaching about as high, and "Inside" at 16 px some 45 pixels wide.
        assert!(
            (18.0..=21.0).contains(&inside.top) && inside.bottom < 40.0,
            "{inside:?}"
        );
        assert!(
            (40.0..55.0).contains(&(inside.right - inside.left)),
            "{inside:?}"
        );
        assert!(inside.is_within(200.0, 100.0));
        assert!(boxes[1].bold && boxes[1].right > 200.0, "{:?}", boxes[1]);
        assert!(boxes[2].right <= 0.0, "{:?}", boxes[2]);
        // Turned a quarter: taller than wide, centred on x = 100 + its half height.
        let turned = &boxes[3];
        assert!(
            turned.bottom - turned.top > 2.0 * (turned.right - turned.left),
            "{turned:?}"
        );
        let outside: Vec<String> = text_outside(HAND_MADE, 200, 100)
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert_eq!(outside, ["Outside", "End & more"]);
        // On a wide enough canvas only the text left of x = 0 stays outside.
        let outside: Vec<String> = text_outside(HAND_MADE, 400, 100)
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert_eq!(outside, ["End & more"]);
    }

    /// The inked pixels' box of `s` drawn by the PNG backend, and the box [`text_boxes`]
    /// gives for the same text drawn by the SVG backend.
    fn both(s: &str, anchor: Pos, turn: FontTransform) -> ((i32, i32, i32, i32), TextBox) {
        register_fonts().unwrap();
        let (w, h) = (700_u32, 500_u32);
        let style = text(40.0, true, INK).pos(anchor).transform(turn);
        let mut buf = vec![255_u8; (w * h * 3) as usize];
        {
            let area = PngBackend::with_buffer(&mut buf, (w, h))
                .unwrap()
                .into_drawing_area();
            area.draw_text(s, &style, (350, 250)).unwrap();
            area.present().unwrap();
        }
        let inked: Vec<(i32, i32)> = (0..w * h)
            .filter(|&i| buf[(i * 3) as usize] < 250)
            .map(|i| ((i % w) as i32, (i / w) as i32))
            .collect();
        let px = (
            inked.iter().map(|p| p.0).min().unwrap(),
            inked.iter().map(|p| p.1).min().unwrap(),
            inked.iter().map(|p| p.0).max().unwrap() + 1,
            inked.iter().map(|p| p.1).max().unwrap() + 1,
        );
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            area.draw_text(s, &style, (350, 250)).unwrap();
            area.present().unwrap();
        }
        let boxes = text_boxes(&svg);
        assert_eq!(boxes.len(), 1, "{svg}");
        (px, boxes[0].clone())
    }

    #[test]
    fn a_box_is_where_the_png_backend_puts_the_ink() {
        for (k, (anchor, turn)) in [
            (Pos::new(HPos::Left, VPos::Top), FontTransform::None),
            (Pos::new(HPos::Center, VPos::Center), FontTransform::None),
            (Pos::new(HPos::Right, VPos::Bottom), FontTransform::None),
            (Pos::new(HPos::Center, VPos::Top), FontTransform::Rotate270),
            (Pos::new(HPos::Left, VPos::Center), FontTransform::Rotate90),
        ]
        .into_iter()
        .enumerate()
        {
            let (px, b) = both("Quay 1, gjy", anchor, turn);
            let got = [b.left, b.top, b.right, b.bottom];
            let want = [px.0, px.1, px.2, px.3].map(f64::from);
            // Within 2 pixels: the PNG turns each pixel's centre, anti-aliasing fades the
            // outermost coverage below the threshold.
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= 2.0, "case {k}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn transforms_and_attributes_are_read_as_svg_reads_them() {
        let steps = transform("translate(10, 5) rotate(90)");
        // SVG applies the last step first: (1, 0) turned to (0, 1), then moved to (10, 6).
        let p = steps.iter().rev().fold((1.0, 0.0), |p, s| s.apply(p));
        assert!(
            (p.0 - 10.0).abs() < 1e-9 && (p.1 - 6.0).abs() < 1e-9,
            "{p:?}"
        );
        assert_eq!(number("-0.5ex"), Some((-0.5, "ex")));
        assert_eq!(number("12"), Some((12.0, "")));
        let a = attributes(r#" x="3" title="a &quot;b&quot;""#);
        assert_eq!(a[1], ("title".to_string(), "a \"b\"".to_string()));
    }
}
