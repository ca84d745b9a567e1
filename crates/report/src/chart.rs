//! What every chart shares: the embedded font, the palette, text sizes relative to the area, the
//! frame (title, subtitle, source footnote), and the SVG + PNG writer.

use std::error::Error as StdError;
use std::path::Path;
use std::sync::OnceLock;

use healthy_city_score::Results;
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
}

/// Text and rules in neutral greys.
pub(crate) const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
pub(crate) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const RULE: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

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
    let bottom = h - y + (12.0 * u) as i32;
    for line in notes {
        area.draw_text(&line, &note_style, (margin, y))
            .map_err(drawing(chart))?;
        y += step;
    }
    Ok(area.margin(top, bottom, margin, margin))
}

/// Writes one chart as SVG and PNG through the same draw function.
pub(crate) fn write_svg_and_png(
    svg_path: &Path,
    png_path: &Path,
    size: (u32, u32),
    chart: &'static str,
    draw_svg: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
    draw_png: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
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
    let area = BitMapBackend::new(png_path, size).into_drawing_area();
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
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        let framework = Framework::parse(FRAMEWORK, "tiny.toml").unwrap();
        let observations = Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap();
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
