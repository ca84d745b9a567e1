//! Numbers and text as the charts print them: thousands separators, English ordinals, and text
//! measured and wrapped to a width in pixels.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::chart::drawing;
use crate::error::Result;

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
