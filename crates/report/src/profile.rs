//! The profile chart: one city's strengths and weaknesses, domain by domain and indicator by
//! indicator, against the peers ranked that year and the city ranked first.

use healthy_city_score::{quantile, Results};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::chart::{drawing, Chart};
use crate::error::Result;
use crate::focus::{Focus, Year};
use crate::format::{ordinal, width};
use crate::frame::{axis, frame, Line};
use crate::path::{plain_name, short_name};
use crate::style::{
    anchored, okabe_ito, register_fonts, text, unit, HouseStyle, GREY, INK, MUTED, RULE,
};

const CHART: &str = ProfileChart::NAME;

/// The middle half of the peers: a light grey band.
const BAND: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);

/// The profile chart: a row per domain (bold) and per indicator beneath it, on the normalised
/// scale the index aggregates; on each row the ranked cities' full range (thin grey line),
/// their middle half (thick grey bar) and median (dark tick), the city ranked first in the
/// index (orange ring) and the city profiled (blue dot), with the city's score and rank on
/// that row at the right. Indicators measured for the country are marked "(national)".
#[derive(Debug, Clone, Copy)]
pub struct ProfileChart<'a> {
    /// The results drawn.
    pub results: &'a Results,
    /// The city profiled.
    pub city: Focus,
    /// The year (it must be a ranked year of the results).
    pub year: Year,
    /// Ids of the indicators measured for the country, not the city (catalogue
    /// `level = "national"`): their rows say so.
    pub national: &'a [&'a str],
    /// Source footnote.
    pub source: &'a str,
}

/// One row: a domain (a child of the index) or an indicator under it.
struct Row {
    node: usize,
    domain: bool,
}

/// The domains in framework order, each followed by the indicators beneath it (at any depth).
fn rows(results: &Results) -> Vec<Row> {
    let under = |node: usize, domain: usize| {
        let mut at = Some(node);
        while let Some(n) = at {
            if n == domain {
                return true;
            }
            at = results.nodes[n].parent;
        }
        false
    };
    let mut rows = Vec::new();
    for d in results.domains() {
        rows.push(Row {
            node: d,
            domain: true,
        });
        if results.nodes[d].is_indicator {
            continue;
        }
        rows.extend(
            (0..results.nodes.len())
                .filter(|&n| results.nodes[n].is_indicator && n != d && under(n, d))
                .map(|node| Row {
                    node,
                    domain: false,
                }),
        );
    }
    rows
}

/// The ranked cities' scores on a node, sorted, NaN left out.
fn peers(results: &Results, y: usize, node: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..results.cities.len())
        .filter(|&c| results.is_ranked(y, c))
        .map(|c| results.score(y, c, node))
        .filter(|s| s.is_finite())
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// A node's display name up to its first bracket or comma, or its id.
fn name(results: &Results, node: usize) -> &str {
    let n = &results.nodes[node];
    match plain_name(&n.name) {
        "" => &n.id,
        plain => plain,
    }
}

/// The names of the indicator rows where the city's rank is in the top (`best`) or bottom
/// quarter of the cities ranked on that node (`peers`: each row's, as [`peers`] gives them).
fn quarter(
    results: &Results,
    y: usize,
    c: usize,
    rows: &[Row],
    peers: &[Vec<f64>],
    best: bool,
) -> Vec<String> {
    rows.iter()
        .zip(peers)
        .filter(|(r, _)| !r.domain)
        .filter_map(|(r, peers)| {
            let rank = f64::from(results.rank(y, c, r.node)?);
            let n = peers.len() as f64;
            let hit = if best {
                rank <= (n / 4.0).max(1.0)
            } else {
                rank > 0.75 * n && n >= 4.0
            };
            hit.then(|| name(results, r.node).to_string())
        })
        .collect()
}

/// Pixel size of the chart: 1600 wide, tall enough for a row per domain and indicator.
fn profile_size(results: &Results) -> (u32, u32) {
    let n = u32::try_from(rows(results).len()).unwrap_or(u32::MAX);
    (1600, (420 + 58 * n).max(700))
}

impl Chart for ProfileChart<'_> {
    const NAME: &'static str = "profile";

    /// 1600 wide, about 58 pixels a domain or indicator (at least 700).
    fn size(&self) -> (u32, u32) {
        profile_size(self.results)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        draw(area, self)
    }
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &ProfileChart<'_>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    register_fonts()?;
    let results = chart.results;
    let y = chart.year.ranked_slot(results)?;
    let c = chart.city.within(results.cities.len(), CHART)?;
    let rows = rows(results);
    let n_ranked = results.n_ranked(y);
    let leader = (0..results.cities.len())
        .find(|&k| results.rank(y, k, results.root) == Some(1))
        .unwrap_or(c);
    let city_name = &results.city_names[c];
    let leader_name = &results.city_names[leader];
    let year = results.years[y];
    let units = &results.units;

    let title = format!(
        "{city_name}: strengths and weaknesses, {}, {year}",
        results.index_name
    );
    let rank_text = results.rank(y, c, results.root).map_or_else(
        || format!("{city_name} is not ranked in {year} (too little data)"),
        |r| format!("{city_name} ranks {} of {n_ranked}", ordinal(r)),
    );
    let mut subtitle = vec![
        Line::plain(format!(
            "{rank_text}. Each row: the normalised score the index aggregates. Grey: the {n_ranked} {units} ranked (line: full range; band: middle half; tick: median)."
        )),
        Line::plain(format!(
            "Blue dot: {city_name}; orange ring: {leader_name}, first in the index. Right: {city_name}'s score and rank on the row."
        )),
    ];
    let peer_scores: Vec<Vec<f64>> = rows.iter().map(|r| peers(results, y, r.node)).collect();
    let strong = quarter(results, y, c, &rows, &peer_scores, true);
    let weak = quarter(results, y, c, &rows, &peer_scores, false);
    if !strong.is_empty() {
        subtitle.push(Line {
            text: format!("Strengths (top quarter): {}.", strong.join("; ")),
            color: okabe_ito::BLUE,
            bold: true,
        });
    }
    if !weak.is_empty() {
        subtitle.push(Line {
            text: format!("Weaknesses (bottom quarter): {}.", weak.join("; ")),
            color: okabe_ito::VERMILLION,
            bold: true,
        });
    }
    if rows
        .iter()
        .any(|r| !r.domain && chart.national.contains(&results.nodes[r.node].id.as_str()))
    {
        subtitle.push(Line::plain(String::from(
            "\u{2014} national: a national value standing in for the city.",
        )));
    }
    if rows
        .iter()
        .any(|r| r.domain && results.group_imputed(y, c, r.node))
    {
        subtitle.push(Line::plain(format!(
            "\u{2014} imputed: {city_name} has no score of its own there; the framework's `impute` filled it."
        )));
    }
    let plot = frame(area, &title, &subtitle, chart.source, CHART)?;

    // The x range: the scale's [0, 100] when every value is inside it, else the data's range.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in &rows {
        for k in 0..results.cities.len() {
            let s = results.score(y, k, r.node);
            if s.is_finite() && (results.is_ranked(y, k) || k == c) {
                lo = lo.min(s);
                hi = hi.max(s);
            }
        }
    }
    let (x0, x1) = if !lo.is_finite() || (lo >= 0.0 && hi <= 100.0) {
        (0.0, 100.0)
    } else {
        let pad = 0.04 * (hi - lo).max(1e-9);
        (lo - pad, hi + pad)
    };
    let (x0, x1) = {
        let r = axis(CHART, "score", x0, x1)?;
        (r.start, r.end)
    };

    let u = unit(area);
    let gap = (14.0 * u) as i32;
    let n = rows.len().max(1);
    let domain_style = text(26.0 * u, true, INK);
    let indicator_style = text(22.0 * u, false, INK);
    let value_style = text(22.0 * u, false, INK);
    let indent = (28.0 * u) as i32;
    let max_label = i32::try_from(plot.dim_in_pixel().0).unwrap_or(i32::MAX) * 3 / 10;
    let mut labels: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    let mut label_w = 0;
    for r in &rows {
        let base = name(results, r.node);
        let lines = if r.domain && results.group_imputed(y, c, r.node) {
            vec![format!("{base} \u{2014} imputed")]
        } else if r.domain {
            vec![base.to_string()]
        } else if chart.national.contains(&results.nodes[r.node].id.as_str()) {
            short_name(
                area,
                &format!("{base} \u{2014} national"),
                &indicator_style,
                max_label,
            )?
        } else {
            short_name(area, base, &indicator_style, max_label)?
        };
        for line in &lines {
            let w = if r.domain {
                width(area, line, &domain_style, CHART)?
            } else {
                width(area, line, &indicator_style, CHART)? + indent
            };
            label_w = label_w.max(w);
        }
        labels.push(lines);
    }
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            let s = results.score(y, c, r.node);
            match (s.is_finite(), results.rank(y, c, r.node)) {
                (false, _) => String::from("no data"),
                (true, Some(k)) => format!("{s:.1}  {}", ordinal(k)),
                (true, None) => format!("{s:.1}"),
            }
        })
        .collect();
    let mut value_w = width(area, "score  rank", &value_style, CHART)?;
    for v in &values {
        value_w = value_w.max(width(area, v, &value_style, CHART)?);
    }
    let x_axis = 72.0 * u;
    let mut plotted = ChartBuilder::on(&plot)
        .margin_right(value_w + 2 * gap)
        .margin_top((40.0 * u) as i32)
        .x_label_area_size(x_axis as i32)
        .y_label_area_size(label_w + 2 * gap)
        .build_cartesian_2d(x0..x1, 0.0..n as f64)
        .map_err(drawing(CHART))?;
    let fmt = |v: &f64| format!("{v:.0}");
    plotted
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(11)
        .x_label_formatter(&fmt)
        .x_desc("Normalised score (higher is healthier)")
        .house_style(u)
        .draw()
        .map_err(drawing(CHART))?;

    let coord = plotted.as_coord_spec().clone();
    let (bx, by) = area.get_base_pixel();
    let at = |x: f64, row: f64| {
        let (px, py) = coord.translate(&(x, row));
        (px - bx, py - by)
    };
    let centre = |r: usize| (n - r) as f64 - 0.5;
    let (left, _) = at(x0, 0.0);
    let (right, _) = at(x1, 0.0);
    let (_, top) = at(x0, n as f64);
    area.draw_text(
        "score  rank",
        &anchored(&text(20.0 * u, false, MUTED), HPos::Left, VPos::Bottom),
        (right + gap, top - gap / 2),
    )
    .map_err(drawing(CHART))?;
    let thin = (3.0 * u).max(1.0) as u32;
    let half = (11.0 * u) as i32;
    let radius = (10.0 * u).max(3.0) as i32;
    for (k, row) in rows.iter().enumerate() {
        let (_, py) = at(x0, centre(k));
        if row.domain && k > 0 {
            // A rule above each domain after the first.
            let (_, ry) = at(x0, centre(k) + 0.5);
            area.draw(&PathElement::new(
                [(left - label_w - gap, ry), (right, ry)],
                RULE.stroke_width(thin),
            ))
            .map_err(drawing(CHART))?;
        }
        let (style, x) = if row.domain {
            (&domain_style, left - label_w - gap)
        } else {
            (&indicator_style, left - label_w - gap + indent)
        };
        let line_h = (style.font.get_size() * 1.1) as i32;
        let n_lines = i32::try_from(labels[k].len()).unwrap_or(1);
        for (l, line) in labels[k].iter().enumerate() {
            let dy = (2 * i32::try_from(l).unwrap_or(0) - (n_lines - 1)) * line_h / 2;
            area.draw_text(
                line,
                &anchored(style, HPos::Left, VPos::Center),
                (x, py + dy),
            )
            .map_err(drawing(CHART))?;
        }
        let peers = &peer_scores[k];
        if let (Some(&min), Some(&max)) = (peers.first(), peers.last()) {
            // The middle half as a light band, the full range as a line through it, the
            // median as a tick taller than the dots so it shows beside or behind them.
            let (qa, _) = at(quantile(peers, 0.25), 0.0);
            let (qb, _) = at(quantile(peers, 0.75), 0.0);
            area.draw(&Rectangle::new(
                [(qa, py - half), (qb.max(qa + 1), py + half)],
                BAND.filled(),
            ))
            .map_err(drawing(CHART))?;
            let (xa, _) = at(min, 0.0);
            let (xb, _) = at(max, 0.0);
            area.draw(&PathElement::new(
                [(xa, py), (xb, py)],
                GREY.stroke_width(thin),
            ))
            .map_err(drawing(CHART))?;
            let (qm, _) = at(quantile(peers, 0.5), 0.0);
            let tick = radius + (6.0 * u) as i32;
            area.draw(&PathElement::new(
                [(qm, py - tick), (qm, py + tick)],
                INK.stroke_width((4.0 * u).max(1.0) as u32),
            ))
            .map_err(drawing(CHART))?;
        }
        let best = results.score(y, leader, row.node);
        if best.is_finite() && leader != c {
            let (lx, _) = at(best, 0.0);
            area.draw(&Circle::new(
                (lx, py),
                radius + (2.0 * u) as i32,
                okabe_ito::ORANGE.stroke_width((4.0 * u).max(1.0) as u32),
            ))
            .map_err(drawing(CHART))?;
        }
        let s = results.score(y, c, row.node);
        if s.is_finite() {
            let (cx, _) = at(s, 0.0);
            area.draw(&Circle::new((cx, py), radius, okabe_ito::BLUE.filled()))
                .map_err(drawing(CHART))?;
        }
        let style = if row.domain {
            text(22.0 * u, true, INK)
        } else {
            value_style.clone()
        };
        area.draw_text(
            &values[k],
            &anchored(&style, HPos::Left, VPos::Center),
            (right + gap, py),
        )
        .map_err(drawing(CHART))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{render_svg, write_chart};
    use crate::testdata::{png_size, results, svg_texts};

    const SOURCE: &str = "Source: test data.";

    /// The profile of `city` (by id or name) in the latest ranked year.
    fn chart<'a>(r: &'a Results, city: &str) -> ProfileChart<'a> {
        ProfileChart {
            results: r,
            city: Focus::find(r, city).unwrap(),
            year: Year::latest_ranked(r).unwrap(),
            national: &["life"],
            source: SOURCE,
        }
    }

    #[test]
    fn rows_are_domains_then_their_indicators() {
        let r = results();
        let got: Vec<(&str, bool)> = rows(&r)
            .iter()
            .map(|row| (r.nodes[row.node].id.as_str(), row.domain))
            .collect();
        assert_eq!(
            got,
            [
                ("health", true),
                ("life", false),
                ("air", true),
                ("pm25", false)
            ]
        );
    }

    #[test]
    fn labels_scores_ranks_and_the_national_mark() {
        // 2019 (chart.rs testdata): Paris life 76 -> 50, pm25 20 -> 50, index 50, 2nd of 3;
        // London first (life 100, pm25 75); Tokyo 0 and 0.
        let r = results();
        let s = render_svg(&chart(&r, "Paris")).unwrap();
        let texts = svg_texts(&s);
        let has = |t: &str| texts.iter().any(|x| x == t);
        assert!(
            has("Paris: strengths and weaknesses, Tiny healthy-city index, 2019"),
            "{texts:?}"
        );
        for t in [
            "Health",
            "Life expectancy \u{2014} national",
            "Air",
            "PM2.5",
            "50.0  2nd",
        ] {
            assert!(has(t), "{t}: {texts:?}");
        }
        assert_eq!(texts.iter().filter(|t| *t == "50.0  2nd").count(), 4);
        assert!(
            texts.join(" ").contains("Paris ranks 2nd of 3"),
            "{texts:?}"
        );
        assert!(texts.join(" ").contains("orange ring: London, first"));
        // Of three cities, the top quarter is the first: Paris is in neither quarter.
        assert!(!texts.join(" ").contains("Strengths"));
        assert!(!texts.join(" ").contains("Weaknesses"));
    }

    #[test]
    fn the_leader_has_strengths_and_no_ring() {
        let r = results();
        let s = render_svg(&chart(&r, "london")).unwrap();
        let texts = svg_texts(&s);
        assert!(
            texts
                .join(" ")
                .contains("Strengths (top quarter): Life expectancy; PM2.5."),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "100.0  1st"));
        assert!(texts.iter().any(|t| t == "75.0  1st"));
    }

    #[test]
    fn renders_byte_identical_files_of_the_stated_size() {
        let r = results();
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<_> = ["a.svg", "a.png", "b.svg", "b.png"]
            .iter()
            .map(|f| dir.path().join(f))
            .collect();
        write_chart(&chart(&r, "Paris"), &paths[0], &paths[1]).unwrap();
        write_chart(&chart(&r, "Paris"), &paths[2], &paths[3]).unwrap();
        let read = |i: usize| std::fs::read(&paths[i]).unwrap();
        assert_eq!(read(0), read(2));
        assert_eq!(read(1), read(3));
        assert_eq!(png_size(&read(1)), profile_size(&r));
        assert_eq!(chart(&r, "Paris").size(), profile_size(&r));
    }

    #[test]
    fn an_unknown_city_is_an_error_naming_it() {
        let r = results();
        let err = Focus::find(&r, "Atlantis").unwrap_err();
        assert!(err.to_string().contains("Atlantis"), "{err}");
    }

    #[test]
    fn a_year_not_in_the_results_is_an_error_naming_it_and_writes_nothing() {
        let r = results();
        let dir = tempfile::tempdir().unwrap();
        let (svg, png) = (dir.path().join("p.svg"), dir.path().join("p.png"));
        let c = ProfileChart {
            year: Year(2030),
            ..chart(&r, "Paris")
        };
        let err = write_chart(&c, &svg, &png).unwrap_err().to_string();
        assert_eq!(
            err,
            "year 2030 is not in the results: they hold 2017, 2018, 2019"
        );
        assert!(!svg.exists() && !png.exists());
    }
}
