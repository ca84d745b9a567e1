//! The ranges every number read from input must lie in, so that no sum, range or mean computed
//! from them can overflow, and no implausible year passes unnoticed.
//!
//! - Values (observations `value`, `low`, `high`; goalposts, targets, the `scale`, z-score
//!   `mean` and `sd`): finite, magnitude at most [`MAX_MAGNITUDE`] (1e15). Larger magnitudes
//!   overflow the min-max range and the generalised means.
//! - Weights (node `weight`, scenario `[weights]`): finite, from 0 to [`MAX_WEIGHT`] (1e12).
//! - The generalised mean's power `p`: finite, not 0, magnitude at most [`MAX_POWER`] (1000).
//! - Box-Cox `lambda`: finite, magnitude at most [`MAX_LAMBDA`] (10).
//! - Rounding: at most [`MAX_ROUND`] (15) decimals.
//! - Years: whole numbers from 1800 to 2100 ([`DEFAULT_YEARS`]); the environment variable
//!   `HEALTHY_CITY_YEARS=FIRST-LAST` (for example `HEALTHY_CITY_YEARS=1700-2200`) sets another
//!   range, read by [`year_range`].

use std::ops::RangeInclusive;

use crate::error::{echo, Error, Result};

/// Largest magnitude of a value read from input. Larger magnitudes overflow the min-max range
/// and the generalised means.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// Largest weight of a node. A thousand siblings of this weight still sum far below overflow,
/// and a weight ratio of 1e12 is already beyond any meaningful index.
pub const MAX_WEIGHT: f64 = 1e12;

/// Largest magnitude of the generalised mean's power `p`.
pub const MAX_POWER: f64 = 1000.0;

/// Largest magnitude of the Box-Cox exponent `lambda`.
pub const MAX_LAMBDA: f64 = 10.0;

/// Most decimals scores may be rounded to (`round`): f64 holds about 15 significant digits.
pub const MAX_ROUND: u32 = 15;

/// Most points a winsorisation may treat (`winmax`).
pub const MAX_WINMAX: usize = 1_000_000;

/// Largest skewness or kurtosis threshold of a winsorisation.
pub const MAX_THRESHOLD: f64 = 1e6;

/// The years accepted when `HEALTHY_CITY_YEARS` is not set.
pub const DEFAULT_YEARS: RangeInclusive<i32> = 1800..=2100;

/// The environment variable that sets the accepted years, as `FIRST-LAST`.
pub const YEARS_VARIABLE: &str = "HEALTHY_CITY_YEARS";

/// The years observations may have: `HEALTHY_CITY_YEARS=FIRST-LAST` when set (both whole
/// numbers, FIRST not after LAST, e.g. `1700-2200`), else 1800..=2100. A malformed value is an
/// error saying what to write.
pub fn year_range() -> Result<RangeInclusive<i32>> {
    match std::env::var(YEARS_VARIABLE) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_YEARS),
        Err(std::env::VarError::NotUnicode(_)) => Err(years_error("(not valid text)")),
        Ok(text) => parse_years(&text).ok_or_else(|| years_error(&format!("`{}`", echo(&text)))),
    }
}

/// The accepted years for a check that cannot report a malformed `HEALTHY_CITY_YEARS`
/// itself (a flag's parser, a publisher's records): [`year_range`], or [`DEFAULT_YEARS`] when
/// the variable is malformed, which reading any observations file then reports.
pub fn accepted_years() -> RangeInclusive<i32> {
    year_range().unwrap_or(DEFAULT_YEARS)
}

fn years_error(shown: &str) -> Error {
    Error::Config {
        message: format!(
            "{YEARS_VARIABLE} is {shown}: write the first and last accepted year as FIRST-LAST, for example {YEARS_VARIABLE}=1800-2100, or unset it"
        ),
    }
}

/// `FIRST-LAST` (each possibly negative, e.g. `-500-2100`) with FIRST <= LAST.
pub(crate) fn parse_years(text: &str) -> Option<RangeInclusive<i32>> {
    let text = text.trim();
    // The separator is the first `-` after the first character (which may be a sign).
    let split = text.char_indices().skip(1).find(|&(_, c)| c == '-')?.0;
    let first: i32 = text[..split].trim().parse().ok()?;
    let last: i32 = text[split + 1..].trim().parse().ok()?;
    (first <= last).then_some(first..=last)
}

/// How to write the accepted years in a message: `1800..=2100`.
pub fn years_text(years: &RangeInclusive<i32>) -> String {
    format!("{}..={}", years.start(), years.end())
}

/// A number as messages show it: `1e308` rather than 309 digits, `12.5` as it is.
pub(crate) fn number(x: f64) -> String {
    if x.is_finite() && x != 0.0 && (x.abs() >= 1e16 || x.abs() < 1e-6) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Why `x` is not a usable value (not finite, or magnitude above [`MAX_MAGNITUDE`]), or `None`.
pub fn magnitude_problem(x: f64) -> Option<String> {
    if x.is_nan() {
        Some("is not a number".to_string())
    } else if x.is_infinite() {
        Some("is infinite".to_string())
    } else if x.abs() > MAX_MAGNITUDE {
        Some(format!(
            "has magnitude above {MAX_MAGNITUDE:e}, the largest accepted: larger magnitudes overflow the min-max range and the generalised means; change the unit (for example thousands instead of units)"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_year_ranges_and_rejects_malformed_ones() {
        assert_eq!(parse_years("1700-2200"), Some(1700..=2200));
        assert_eq!(parse_years(" -500 - 2100 "), Some(-500..=2100));
        assert_eq!(parse_years("2100-1800"), None);
        assert_eq!(parse_years("1800"), None);
        assert_eq!(parse_years("1800-20x0"), None);
        assert_eq!(parse_years(""), None);
        assert_eq!(parse_years("-"), None);
    }

    #[test]
    fn names_the_reason_a_value_is_unusable() {
        assert_eq!(magnitude_problem(1e15), None);
        assert_eq!(magnitude_problem(-1e15), None);
        assert!(magnitude_problem(1.000_001e15)
            .unwrap()
            .contains("magnitude above 1e15"));
        assert_eq!(magnitude_problem(f64::NAN).unwrap(), "is not a number");
        assert_eq!(magnitude_problem(f64::NEG_INFINITY).unwrap(), "is infinite");
    }
}
