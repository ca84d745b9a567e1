//! What a value read from a publisher may be, and how input is shown in a message.
//!
//! Every parser's records go through [`check_table`]: a value must be finite and at most
//! [`MAX_ABS_VALUE`] in magnitude, a year within [`years`]; anything else
//! is an error naming the file, its position, the place, the measure and the year. Input
//! echoed in a message goes through [`echo`] (or, for every `Format`, `Catalogue` and
//! conflict message, [`safe_message`]): control characters escaped, long text cut.

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::table::SourceTable;

/// The years a value may refer to: the model crate's, for observations files
/// ([`healthy_city_model::year_range`]: 1800-2100, or `HEALTHY_CITY_YEARS`; a malformed
/// variable is reported when the built observations are validated). Earlier is a misread
/// cell; later, a date's day count, a code or a typo.
pub(crate) use healthy_city_model::accepted_years as years;

/// The largest magnitude a value may have, the model crate's bound for observations: 1e15 is
/// above any published health or city statistic in its unit (world GDP in US dollars is about
/// 1e14) and far below where the min-max range of two values could overflow.
pub(crate) const MAX_ABS_VALUE: f64 = healthy_city_model::MAX_MAGNITUDE;

/// The most a compressed body (a gzip TSV, a zip member) may inflate to: 1 GiB, above any
/// publisher's file (Eurostat's largest bulk TSVs are a few hundred MB), below what would
/// exhaust the memory of a small machine on a decompression bomb.
pub(crate) const MAX_INFLATED: u64 = 1 << 30;

/// Reads a decompressing reader to its end, at most `limit` bytes; more is an error naming
/// `what` (`the gzip body`, `member x.csv`) and the limit, never an exhausted memory.
pub(crate) fn read_inflated(
    reader: impl std::io::Read,
    limit: u64,
    file: &str,
    what: &str,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut reader.take(limit + 1), &mut out).map_err(|e| {
        Error::format(
            file,
            None,
            format!("{what} does not decompress after {} bytes: {e}", out.len()),
        )
    })?;
    if out.len() as u64 > limit {
        return Err(Error::format(
            file,
            None,
            format!("{what} decompresses to more than {limit} bytes, the most accepted: is it the publisher's file?"),
        ));
    }
    Ok(out)
}

/// How many characters of an input text a message shows.
const ECHO_CHARS: usize = 60;

/// Input text as a message shows it ([`healthy_city_model::echo`]: control characters
/// escaped as `\u{1b}`, a long text cut to its first 60 characters and its length).
pub(crate) use healthy_city_model::echo;

fn escape_into(out: &mut String, c: char) {
    out.push_str(&healthy_city_model::escape_controls(
        c.encode_utf8(&mut [0; 4]),
    ));
}

/// Longest backtick-quoted span of a message kept whole: the message's own quotes (a header,
/// an address, a hint) are shorter; a longer span is input, cut as [`echo`] cuts it.
const QUOTED_CHARS: usize = 200;
/// Longest run of a message's own text (outside backticks) kept whole: a message's prose is
/// shorter; a longer run is input that was echoed without quotes.
const PROSE_CHARS: usize = 1000;

/// A message safe to print whatever input it quotes: control characters escaped (a line break
/// too: a message is one line; the `Sources` list adds its own), a backtick-quoted span longer
/// than 200 characters cut as [`echo`] cuts it (its first 60 and its length), and an unquoted
/// run longer than 1000 characters cut to its first 1000 likewise.
pub(crate) fn safe_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(4096));
    for (k, part) in message.split('`').enumerate() {
        if k > 0 {
            out.push('`');
        }
        let (limit, keep) = if k % 2 == 1 {
            (QUOTED_CHARS, ECHO_CHARS)
        } else {
            (PROSE_CHARS, PROSE_CHARS)
        };
        let count = part.chars().count();
        let keep = if count > limit { keep } else { count };
        for c in part.chars().take(keep) {
            escape_into(&mut out, c);
        }
        if count > limit {
            let _ = write!(out, "… ({count} characters)");
        }
    }
    out
}

/// Checks every record of a parsed table: a finite value (and interval bounds) of magnitude at
/// most [`MAX_ABS_VALUE`], a year within [`years`]. The first record that
/// is not is an error at its position, naming its place, measure and year.
pub(crate) fn check_table(table: SourceTable) -> Result<SourceTable> {
    // Read once per table: the accepted years come from the environment.
    let years = years();
    for record in &table.records {
        let problem = if years.contains(&record.year) {
            [
                ("the value", Some(record.value)),
                ("the lower bound of its interval", record.low),
                ("the upper bound of its interval", record.high),
            ]
            .into_iter()
            .find_map(|(what, v)| v.and_then(|v| value_problem(what, v)))
        } else {
            Some(format!(
                "the year {} is outside {}..={}, the years a value may refer to: correct the year (a date or a code may have been read as one)",
                record.year,
                years.start(),
                years.end()
            ))
        };
        if let Some(problem) = problem {
            return Err(Error::format(
                &table.file,
                Some(table.at(record.line)),
                format!(
                    "place `{}`, measure `{}`, year {}: {problem}",
                    echo(&record.place),
                    echo(&record.measure),
                    record.year
                ),
            ));
        }
    }
    Ok(table)
}

/// Why a value cannot be kept, if it cannot.
fn value_problem(what: &str, value: f64) -> Option<String> {
    if !value.is_finite() {
        Some(format!(
            "{what} `{value}` is not a finite number: correct the cell or leave it empty for a missing value"
        ))
    } else if value.abs() > MAX_ABS_VALUE {
        Some(format!(
            "{what} `{value:e}` is beyond ±{MAX_ABS_VALUE:e}, the largest magnitude accepted: check the cell and the unit (a value in a much smaller unit, or a misplaced exponent)"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::SourceRecord;

    #[test]
    fn a_safe_message_cuts_each_quoted_span_and_long_prose() {
        let field = "9".repeat(201);
        let message = format!("place `Paris\u{1b}[2J`: `{field}` is not a number");
        assert_eq!(
            safe_message(&message),
            format!(
                "place `Paris\\u{{1b}}[2J`: `{}… (201 characters)` is not a number",
                "9".repeat(60)
            )
        );
        let unquoted = format!("value {} end", "y".repeat(2000));
        let safe = safe_message(&unquoted);
        assert!(safe.ends_with("… (2010 characters)"), "{safe}");
        assert_eq!(
            safe.chars().count(),
            1000 + "… (2010 characters)".chars().count()
        );
    }

    #[test]
    fn an_inflated_body_is_bounded() {
        let bytes = vec![b'x'; 1000];
        assert_eq!(
            read_inflated(&bytes[..], 1000, "f", "the body")
                .unwrap()
                .len(),
            1000
        );
        assert_eq!(
            read_inflated(&bytes[..], 999, "f", "the gzip body").unwrap_err().to_string(),
            "`f`: the gzip body decompresses to more than 999 bytes, the most accepted: is it the publisher's file?"
        );
    }

    fn table(year: i32, value: f64, low: Option<f64>) -> SourceTable {
        let mut table = SourceTable::new("f.csv", "line");
        table.records.push(SourceRecord {
            low,
            ..SourceRecord::new(7, "GBR/Lon\u{1b}don", "PM25", year, value)
        });
        table
    }

    #[test]
    fn rejects_non_finite_huge_and_out_of_range_values_with_their_place() {
        for (year, value, low, expected) in [
            (
                2019,
                f64::NAN,
                None,
                "`f.csv` line 7: place `GBR/Lon\\u{1b}don`, measure `PM25`, year 2019: the value `NaN` is not a finite number",
            ),
            (2019, f64::INFINITY, None, "the value `inf` is not a finite number"),
            (
                2019,
                -1e308,
                None,
                "the value `-1e308` is beyond ±1e15, the largest magnitude accepted",
            ),
            (2019, 1.5e15, None, "the value `1.5e15` is beyond ±1e15"),
            (
                2019,
                1.0,
                Some(f64::NEG_INFINITY),
                "the lower bound of its interval `-inf` is not a finite number",
            ),
            (
                99_999,
                1.0,
                None,
                "year 99999: the year 99999 is outside 1800..=2100",
            ),
            (1799, 1.0, None, "the year 1799 is outside 1800..=2100"),
            (2101, 1.0, None, "the year 2101 is outside 1800..=2100"),
            (-2019, 1.0, None, "the year -2019 is outside"),
        ] {
            let err = check_table(table(year, value, low)).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
        // The bounds themselves are accepted.
        for (year, value) in [
            (1800, 1e15),
            (2100, -1e15),
            (2019, 0.0),
            (2019, -0.0),
            (2019, 1e-320),
        ] {
            assert_eq!(
                check_table(table(year, value, None)).unwrap().records.len(),
                1
            );
        }
    }
}
