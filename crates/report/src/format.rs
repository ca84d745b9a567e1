//! Numbers and text as the charts print them: thousands separators, English ordinals, and text
//! measured and wrapped to a width in pixels.

use healthy_city_score::Results;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::chart::drawing;
use crate::error::Result;

/// Most decimals a score is shown with.
const MAX_DECIMALS: usize = 6;

/// Decimals the scores of year slot `y` are shown with, in the terminal table and the charts'
/// labels. Exactly `methods.round` when the framework rounds (the score written is the rounded
/// one). Otherwise `3 - round(log10(span))` (at least 0) for the span of the index's scale
/// (`methods.scale`: span 100 gives 1 decimal, span 1 gives 3), or of the year's ranked index
/// scores when they leave the scale (a z-score index); then one more at a time, at most two
/// more (and 6 in all), while two cities of different ranks would show the same score. The
/// CSV files keep every digit.
pub fn score_decimals(results: &Results, y: usize) -> usize {
    let root = results.root;
    let ranked: Vec<(u32, f64)> = (0..results.cities.len())
        .filter_map(|c| Some((results.rank(y, c, root)?, results.ranked_score(y, c, root))))
        .collect();
    decimals_for(results, ranked)
}

/// [`score_decimals`] for the given `(rank, score)` pairs (a chart's rows drawn).
pub(crate) fn decimals_for(results: &Results, mut ranked: Vec<(u32, f64)>) -> usize {
    if let Some(d) = results.round {
        return usize::try_from(d).unwrap_or(MAX_DECIMALS);
    }
    ranked.retain(|(_, s)| s.is_finite());
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let [l, u] = results.scale;
    let (lo, hi) = (l.min(u), l.max(u));
    let within = ranked.iter().all(|&(_, s)| (lo..=hi).contains(&s));
    let span = if within {
        hi - lo
    } else {
        let (min, max) = ranked
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, s)| {
                (a.min(s), b.max(s))
            });
        max - min
    };
    let base = if span.is_finite() && span > 0.0 {
        // Clamped to 0..=MAX_DECIMALS before the conversion: no truncation or sign loss.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let d = (3.0 - span.log10().round()).clamp(0.0, MAX_DECIMALS as f64) as usize;
        d
    } else {
        1
    };
    let same = |d: usize| {
        ranked
            .windows(2)
            .any(|w| w[0].0 != w[1].0 && format!("{:.d$}", w[0].1) == format!("{:.d$}", w[1].1))
    };
    let mut decimals = base;
    while decimals < (base + 2).min(MAX_DECIMALS) && same(decimals) {
        decimals += 1;
    }
    decimals
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

/// A name on at most `max_lines` lines, each no wider than `max` pixels in `style` (the
/// chart's font): wrapped at spaces, and when it still does not fit, the last line (or a
/// word wider than `max`) ends with an ellipsis "…". Never cut silently: every chart
/// shortens names through here.
pub(crate) fn fit_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max: i32,
    max_lines: usize,
    chart: &'static str,
) -> Result<Vec<String>>
where
    DB::ErrorType: 'static,
{
    let max_lines = max_lines.max(1);
    let mut lines = wrap(area, s, style, max, chart)?;
    let cut = lines.len() > max_lines;
    lines.truncate(max_lines);
    let last = lines.len().saturating_sub(1);
    for (k, line) in lines.iter_mut().enumerate() {
        if (cut && k == last) || width(area, line, style, chart)? > max {
            *line = ellipsis(area, line, style, max, chart)?;
        }
    }
    Ok(lines)
}

/// `s` shortened, a character at a time from the end, until it and a trailing "…" fit in
/// `max` pixels (the ellipsis alone if nothing else does).
fn ellipsis<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max: i32,
    chart: &'static str,
) -> Result<String>
where
    DB::ErrorType: 'static,
{
    let mut kept = s.trim_end().trim_end_matches([',', ';', ':']).to_string();
    loop {
        let candidate = format!("{kept}\u{2026}");
        if kept.is_empty() || width(area, &candidate, style, chart)? <= max {
            return Ok(candidate);
        }
        kept.pop();
        kept = kept
            .trim_end()
            .trim_end_matches([',', ';', ':'])
            .to_string();
    }
}

/// A number as written for a reader, without a column's decimals (a weight, a bound): at most
/// four decimals, trailing zeros dropped, never "-0".
pub(crate) fn plain(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        String::from("0")
    } else {
        text.to_string()
    }
}

/// A rank quantile as read: one decimal at most (a type-7 quantile between two ranks, such
/// as 7.05, would otherwise print its binary rounding, 7.0499999999999545).
pub(crate) fn rank_text(q: f64) -> String {
    plain((q * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn a_rank_quantile_prints_one_decimal_at_most() {
        // 7 + 0.05 x (8 - 7) in binary is 7.0499999999999545: read as 7 (one decimal, rounded).
        assert_eq!(rank_text(7.0 + 0.05 * (8.0 - 7.0) - 4.5e-14), "7");
        assert_eq!(rank_text(19.0), "19");
        assert_eq!(rank_text(7.25), "7.3");
    }

    fn area_of(s: &mut String) -> DrawingArea<SVGBackend<'_>, Shift> {
        crate::style::register_fonts().unwrap();
        SVGBackend::with_string(s, (1600, 800)).into_drawing_area()
    }

    #[test]
    fn a_long_name_wraps_and_ends_with_an_ellipsis_never_cut_at_a_comma() {
        let mut buf = String::new();
        let area = area_of(&mut buf);
        let style = crate::style::text(26.0, false, crate::style::INK);
        let name = "Probability of dying between ages 30 and 70 from cardiovascular disease, cancer, diabetes or chronic respiratory disease";
        let lines = fit_lines(&area, name, &style, 300, 2, "test").unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("Probability of"), "{lines:?}");
        assert!(lines[1].ends_with('\u{2026}'), "{lines:?}");
        for line in &lines {
            assert!(width(&area, line, &style, "test").unwrap() <= 300, "{line}");
        }
        // With room, the whole name, past its commas, on as many lines as it needs.
        let lines = fit_lines(&area, name, &style, 700, 3, "test").unwrap();
        assert_eq!(lines.join(" "), name);
        // Short names stay whole, brackets and all.
        let lines = fit_lines(&area, "Physicians (per 1,000)", &style, 300, 2, "test").unwrap();
        assert_eq!(lines, ["Physicians (per 1,000)"]);
        // One word wider than the room: cut with an ellipsis, not left to overflow.
        let lines = fit_lines(
            &area,
            "Supercalifragilisticexpialidocious",
            &style,
            120,
            2,
            "test",
        )
        .unwrap();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].ends_with('\u{2026}'), "{lines:?}");
        assert!(width(&area, &lines[0], &style, "test").unwrap() <= 120);
    }

    #[test]
    fn decimals_follow_the_scale_the_rounding_and_the_ranks() {
        let mut r = testdata::results();
        // 2019: 87.5, 50, 0 on the 0-100 scale: span 100, 3 - log10(100) = 1 decimal, and
        // 87.5 / 50.0 / 0.0 are distinct.
        assert_eq!(score_decimals(&r, 2), 1);
        // The same scores on a 0-1 scale: 0.875, 0.5, 0 -> span 1, 3 decimals.
        let root = r.root;
        let nn = r.nodes.len();
        let nc = r.cities.len();
        for c in 0..nc {
            let at = (2 * nc + c) * nn + root;
            r.scores[at] /= 100.0;
        }
        r.scale = [0.0, 1.0];
        assert_eq!(score_decimals(&r, 2), 3);
        // London and Paris 0.00004 apart with different ranks: 0.50004 and 0.5 show as 0.500
        // at 3 decimals and 0.5000 at 4, distinct at 5 (= base + 2, the most added).
        r.scores[2 * nc * nn + root] = 0.500_04;
        assert_eq!(score_decimals(&r, 2), 5);
        // 0.500004 would need 6: the cap (base + 2) stops at 5.
        r.scores[2 * nc * nn + root] = 0.500_004;
        assert_eq!(score_decimals(&r, 2), 5);
        // With methods.round = 2, exactly 2 whatever the scale.
        r.round = Some(2);
        assert_eq!(score_decimals(&r, 2), 2);
        // Scores outside the scale (a z-score index): the span of the scores, 87.5 - 0 on the
        // 0-100 data gives 3 - round(1.94) = 1.
        let mut r = testdata::results();
        r.scale = [0.0, 1.0];
        assert_eq!(score_decimals(&r, 2), 1);
    }

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
    fn thousands_are_separated_by_commas() {
        let got: Vec<String> = [0, 999, 1000, 5120, 1_234_567].map(thousands).into();
        assert_eq!(got, ["0", "999", "1,000", "5,120", "1,234,567"]);
    }
}
