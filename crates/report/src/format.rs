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
/// scores when they leave the scale (a z-score index); then one more at a time, up to 6, while
/// two cities of different ranks would show the same score. The CSV files keep every digit.
pub fn score_decimals(results: &Results, y: usize) -> usize {
    if let Some(d) = results.round {
        return usize::try_from(d).unwrap_or(MAX_DECIMALS);
    }
    let root = results.root;
    let mut ranked: Vec<(u32, f64)> = (0..results.cities.len())
        .filter_map(|c| Some((results.rank(y, c, root)?, results.score(y, c, root))))
        .filter(|(_, s)| s.is_finite())
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let [l, u] = results.scale;
    let (lo, hi) = (l.min(u), l.max(u));
    let within = ranked.iter().all(|&(_, s)| (lo..=hi).contains(&s));
    let span = if within {
        hi - lo
    } else {
        let (min, max) = ranked.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, s)| {
            (a.min(s), b.max(s))
        });
        max - min
    };
    let mut decimals = if span.is_finite() && span > 0.0 {
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
    while decimals < MAX_DECIMALS && same(decimals) {
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
    fn thousands_are_separated_by_commas() {
        let got: Vec<String> = [0, 999, 1000, 5120, 1_234_567].map(thousands).into();
        assert_eq!(got, ["0", "999", "1,000", "5,120", "1,234,567"]);
    }
}
