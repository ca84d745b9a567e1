//! The common shape every parser returns: records of (place, measure, year, value).

use std::collections::{BTreeMap, BTreeSet};

use healthy_city_model::{Direction, Flag};

use crate::error::{Error, Result};

/// One value read from a source file, before it is matched to a city.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// 1-based position in the file: CSV line, sheet row or JSON record (see [`SourceTable::position`]).
    pub line: usize,
    /// The place as the source names or codes it: `ISO3/City` (WHO AAP), an ISO3 code
    /// (national files) or a city name (compilations).
    pub place: String,
    /// What is measured: a column, an indicator code or a measure id.
    pub measure: String,
    /// Reference year of the value.
    pub year: i32,
    /// The value, as published.
    pub value: f64,
    /// What the source itself says about the value (modelled, country-level, ...).
    pub flag: Flag,
    /// Ordering key of the publisher's revisions where one file holds several (the WHO AAP
    /// `Version of the database`, as a year); `0` elsewhere.
    pub revision: i32,
    /// Direction the source gives for the measure, where it gives one.
    pub direction: Option<Direction>,
    /// The publisher's status flag, as published (Eurostat `e`, `p`, `b`; SDMX `OBS_STATUS`).
    pub status: Option<String>,
    /// Lower bound of the publisher's uncertainty interval (WHO GHO `Low`,
    /// `FactValueNumericLow`), when it gives one.
    pub low: Option<f64>,
    /// Upper bound of the publisher's uncertainty interval (WHO GHO `High`,
    /// `FactValueNumericHigh`), when it gives one.
    pub high: Option<f64>,
}

impl SourceRecord {
    /// A value as published, with nothing more said about it: no flag, revision `0`, no
    /// direction, status or interval. A parser whose source says more sets those fields on the
    /// result (`SourceRecord { flag, ..SourceRecord::new(...) }`).
    pub fn new(
        line: usize,
        place: impl Into<String>,
        measure: impl Into<String>,
        year: i32,
        value: f64,
    ) -> Self {
        SourceRecord {
            line,
            place: place.into(),
            measure: measure.into(),
            year,
            value,
            flag: Flag::None,
            revision: 0,
            direction: None,
            status: None,
            low: None,
            high: None,
        }
    }
}

/// Everything a parser read from one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceTable {
    /// The file's name, for messages.
    pub file: String,
    /// What [`SourceRecord::line`] counts: `line`, `row` or `record`.
    pub position: &'static str,
    /// Data rows read (header, preamble and blank rows not counted).
    pub rows_read: usize,
    /// Every place named in the data rows, whether or not it has a value.
    pub places: BTreeSet<String>,
    /// Every measure the file holds (columns, indicator codes or measure ids).
    pub measures: BTreeSet<String>,
    /// The release the file states about itself, where it states one (World Bank `Last Updated Date`).
    pub release: Option<String>,
    /// Codes the publisher itself marks as aggregates rather than countries (WHO GHO rows whose
    /// `SpatialDimType` is not `COUNTRY`, portal rows whose `Location type` is not `Country`),
    /// with their number of data rows. Their values are not read; they are listed as unmatched
    /// aggregates in the ingest report.
    pub aggregates: BTreeMap<String, usize>,
    /// The address of the next page of a paged answer (WHO GHO OData `@odata.nextLink`).
    pub next: Option<String>,
    /// The non-missing values.
    pub records: Vec<SourceRecord>,
}

impl SourceTable {
    pub(crate) fn new(file: &str, position: &'static str) -> Self {
        SourceTable {
            file: file.to_string(),
            position,
            ..SourceTable::default()
        }
    }

    /// Appends the rows of a later page of the same response (World Bank API, GHO OData and
    /// Socrata paging); the next page is the later page's.
    pub fn append(&mut self, page: SourceTable) {
        self.rows_read += page.rows_read;
        self.places.extend(page.places);
        self.measures.extend(page.measures);
        self.records.extend(page.records);
        for (code, rows) in page.aggregates {
            *self.aggregates.entry(code).or_insert(0) += rows;
        }
        self.next = page.next;
    }

    /// Counts one data row of an aggregate code (see [`SourceTable::aggregates`]).
    pub(crate) fn aggregate(&mut self, code: &str) {
        *self.aggregates.entry(code.to_string()).or_insert(0) += 1;
    }

    /// `line 12`, `row 3`, `record 7`.
    pub fn at(&self, line: usize) -> String {
        format!("{} {line}", self.position)
    }
}

/// Reads a published number: `None` for a missing value (empty, `-`, `NA`, `n/a`, `..`),
/// the number otherwise; units written in the cell (`£1.92`, `20.40%`) are dropped.
/// Anything else is an error message naming the text.
pub(crate) fn number(text: &str) -> std::result::Result<Option<f64>, String> {
    let text = text.trim();
    if matches!(text, "" | "-" | "NA" | "N/A" | "n/a" | "..") {
        return Ok(None);
    }
    let bare = text
        .trim_start_matches(['£', '$', '€'])
        .trim_end_matches('%')
        .trim();
    match bare.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("`{text}` is not a number")),
    }
}

/// The error for an XML (or HTML) body where JSON or delimited text was expected: an SDMX-ML
/// message, or an XML error page served with status 200. `format` names what was expected,
/// `hint` how to ask the publisher for it. `None` when the body does not start with `<`.
pub(crate) fn xml_instead(bytes: &[u8], file: &str, format: &str, hint: &str) -> Option<Error> {
    let body = strip_bom(bytes).trim_ascii_start();
    if !body.starts_with(b"<") {
        return None;
    }
    let start: String = String::from_utf8_lossy(&body[..body.len().min(60)])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(Error::format(
        file,
        None,
        format!("the answer is XML (it starts `{start}`), not {format}: {hint}"),
    ))
}

/// A JSON cell read as a published number: absent or `null` is missing, a JSON number is
/// itself, a string is read by [`number`] where `strings` allows it (the World Bank and SDMX
/// send some values as text); anything else is an error message naming the cell and, given
/// `name`, its key ("`value` `true` is not a number").
pub(crate) fn json_number(
    cell: Option<&serde_json::Value>,
    name: Option<&str>,
    strings: bool,
) -> std::result::Result<Option<f64>, String> {
    use serde_json::Value;
    match cell {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_f64().is_some() => Ok(n.as_f64()),
        Some(Value::String(s)) if strings => number(s),
        Some(other) => Err(match name {
            Some(name) => format!("`{name}` `{other}` is not a number"),
            None => format!("`{other}` is not a number"),
        }),
    }
}

/// Strips a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A CSV reader over `bytes` (byte-order mark stripped, ragged rows allowed; `#` lines skipped
/// when `comments`), its line finder, and its header row. Errors name `file`.
pub(crate) fn csv_with_header<'a>(
    bytes: &'a [u8],
    file: &str,
    comments: bool,
) -> Result<(csv::Reader<&'a [u8]>, Lines<'a>, csv::StringRecord)> {
    let bytes = strip_bom(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .comment(comments.then_some(b'#'))
        .flexible(true)
        .from_reader(bytes);
    let header = reader.headers().map_err(Error::csv(file))?.clone();
    Ok((reader, Lines::new(bytes), header))
}

/// Finds the 1-based line where each CSV record starts, counting newlines in the bytes read
/// (the csv crate's own line count goes astray on blank `\r\n` lines). Records must be asked
/// for in file order.
pub(crate) struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    pub(crate) fn of(&mut self, record: &csv::StringRecord) -> usize {
        let Some(byte) = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
        else {
            return self.line;
        };
        // A record's position can be the `\n` of the previous `\r\n`: skip line ends.
        let mut end = byte.min(self.bytes.len());
        while self
            .bytes
            .get(end)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            end += 1;
        }
        if end > self.offset {
            self.line += self.bytes[self.offset..end].split(|&b| b == b'\n').count() - 1;
            self.offset = end;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_with_units_and_missing_markers() {
        assert_eq!(number("£1.92"), Ok(Some(1.92)));
        assert_eq!(number("20.40%"), Ok(Some(20.4)));
        assert_eq!(number(" 81.2 "), Ok(Some(81.2)));
        assert_eq!(number("-"), Ok(None));
        assert_eq!(number(""), Ok(None));
        assert_eq!(number("NA"), Ok(None));
        assert_eq!(number("-3.5"), Ok(Some(-3.5)));
        assert_eq!(number("abc"), Err("`abc` is not a number".to_string()));
        assert!(number("inf").is_err());
    }

    /// An HTML page or an XML message where a file was expected (a wrong link, the World Bank's
    /// answer to an unknown indicator code) is named as such by every file parser, with what
    /// to check, never reported as a parse error at line 1.
    #[test]
    fn every_file_parser_names_an_xml_or_html_answer() {
        let wb_error = br#"<?xml version="1.0" encoding="utf-8"?><wb:error xmlns:wb="http://www.worldbank.org"><wb:message id="120" key="Invalid value">The provided parameter value is not valid</wb:message></wb:error>"#;
        let html = b"\xEF\xBB\xBF  <!DOCTYPE html><html><body>Page not found</body></html>";
        let columns = healthy_city_model::Columns {
            place: "city".to_string(),
            year: "year".to_string(),
            value: None,
            measure: None,
            sheet: None,
            aliases: None,
        };
        let results = [
            ("wdi csv", crate::wdi::parse_wdi_csv(wb_error, "f").err()),
            ("wdi zip", crate::wdi::parse_wdi_zip(wb_error, "f").err()),
            ("gho csv", crate::gho::parse_gho_csv(html, "f").err()),
            (
                "aap xlsx",
                crate::who_aap::parse_who_aap_xlsx(html, "f").err(),
            ),
            (
                "aap csv",
                crate::who_aap::parse_who_aap_csv(html, "f").err(),
            ),
            (
                "table",
                crate::generic::parse_table(html, "f", &columns, "pm25").err(),
            ),
        ];
        for (parser, err) in results {
            let message = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("the answer is XML (it starts `<"),
                "{parser}: {message}"
            );
        }
        let zip = crate::wdi::parse_wdi_zip(wb_error, "f")
            .unwrap_err()
            .to_string();
        assert!(zip.contains("unknown indicator code"), "{zip}");
        assert!(zip.contains("<wb:error"), "{zip}");
    }
}
