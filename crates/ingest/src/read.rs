//! Reading what publishers publish: the helpers every parser shares (published numbers, JSON
//! and CSV bodies, XML answered where data was expected, line positions) and the dimension
//! names of the multi-dimensional formats (JSON-stat, Eurostat TSV, SDMX).

use healthy_city_model::Flag;
use serde_json::Value;

use crate::error::{Error, Result};

/// Dimension ids that name the place (country, region or city).
pub(crate) const PLACE_DIMENSIONS: [&str; 6] =
    ["geo", "cities", "REF_AREA", "GEO", "COUNTRY", "LOCATION"];
/// Dimension ids that name the period.
pub(crate) const TIME_DIMENSIONS: [&str; 3] = ["time", "TIME_PERIOD", "TIME"];

/// A JSON body, or the error naming it (an XML answer named as such, with `hint` saying how to
/// ask the publisher for JSON).
pub(crate) fn json(bytes: &[u8], file: &str, hint: &str) -> Result<Value> {
    if let Some(err) = xml_instead(bytes, file, "JSON", hint) {
        return Err(err);
    }
    serde_json::from_slice(strip_bom(bytes)).map_err(|source| Error::Json {
        file: file.to_string(),
        source,
    })
}

/// A status flag as a [`Flag`]: `e` (Eurostat) and `E` (SDMX `OBS_STATUS`) mean estimated.
pub(crate) fn flag_of(status: Option<&str>) -> Flag {
    match status.map(str::trim) {
        Some(s) if s.contains('e') || s == "E" => Flag::Estimate,
        _ => Flag::None,
    }
}

/// A period written as a year (`2021`, ` 2021 `).
pub(crate) fn year_of(text: &str) -> Option<i32> {
    text.trim().parse::<i32>().ok()
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
        _ => Err(format!("`{}` is not a number", crate::bounds::echo(text))),
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

/// The most cells a sheet's rows may spread over (each row counted from column A to its last
/// cell): 10 million, several times the WHO AAP workbook's, far below the memory a forged
/// sheet with two cells far apart would need as one dense range.
pub(crate) const MAX_SHEET_CELLS: usize = 10_000_000;

/// The non-empty rows of sheet `name`, read cell by cell (never as calamine's dense range,
/// which two cells far apart, A1 and XFD1048576, make terabytes): each row's 1-based number
/// and its cells from column A to its last cell. More than [`MAX_SHEET_CELLS`] is an error
/// naming `file` and the sheet.
pub(crate) fn sheet_rows<RS: std::io::Read + std::io::Seek>(
    workbook: &mut calamine::Xlsx<RS>,
    name: &str,
    file: &str,
) -> Result<Vec<(usize, Vec<calamine::Data>)>> {
    // calamine indexes its shared-string table without a bound check: a damaged workbook
    // panics inside it (found by the large fuzz run), caught here as a damaged file.
    healthy_city_model::catch_decoder_panic(|| cell_rows(workbook, name, file)).unwrap_or_else(|| {
        Err(Error::format(
            file,
            None,
            format!(
                "sheet `{}` is damaged (a cell refers to text the workbook does not hold): save the workbook again from its source",
                crate::bounds::echo(name)
            ),
        ))
    })
}

fn cell_rows<RS: std::io::Read + std::io::Seek>(
    workbook: &mut calamine::Xlsx<RS>,
    name: &str,
    file: &str,
) -> Result<Vec<(usize, Vec<calamine::Data>)>> {
    use calamine::Data;
    let workbook_error = |source| Error::Workbook {
        file: file.to_string(),
        source,
    };
    let mut reader = workbook
        .worksheet_cells_reader(name)
        .map_err(workbook_error)?;
    let mut rows: std::collections::BTreeMap<u32, Vec<Data>> = std::collections::BTreeMap::new();
    let mut cells = 0usize;
    while let Some(cell) = reader.next_cell().map_err(workbook_error)? {
        let (row, col) = cell.get_position();
        let value = Data::from(cell.get_value().clone());
        if matches!(value, Data::Empty) {
            continue;
        }
        let col = col as usize;
        let row = rows.entry(row).or_default();
        if row.len() <= col {
            cells += col + 1 - row.len();
            if cells > MAX_SHEET_CELLS {
                return Err(Error::format(
                    file,
                    None,
                    format!(
                        "sheet `{}` spreads over more than {MAX_SHEET_CELLS} cells: is it the publisher's workbook?",
                        crate::bounds::echo(name)
                    ),
                ));
            }
            row.resize(col + 1, Data::Empty);
        }
        row[col] = value;
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| (row as usize + 1, cells))
        .collect())
}

/// The first two bytes of every gzip stream.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `bytes` decompressed when they start with the gzip magic bytes `1f 8b` (every member, as
/// `gzip -d` does, at most [`MAX_INFLATED`](crate::bounds::MAX_INFLATED) bytes), else
/// borrowed as they are. Publishers serve bulk files gzipped whatever the name or headers say
/// (Eurostat's `.tsv.gz`, the Masselot panel's `.csv.gz`), so the bytes decide, not the name.
/// A stream that does not decompress (truncated, corrupt) is an error naming `file`.
pub(crate) fn gunzip_if_gzip<'a>(
    bytes: &'a [u8],
    file: &str,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    crate::bounds::read_inflated(
        flate2::read::MultiGzDecoder::new(bytes),
        crate::bounds::MAX_INFLATED,
        file,
        "the body starts like gzip (bytes 1f 8b) but",
    )
    .map(std::borrow::Cow::Owned)
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
    delimited_with_header(bytes, file, comments, b',')
}

/// [`csv_with_header`] for a file whose fields are separated by `delimiter` (Eurostat's
/// data-browser exports use `;`); quoting is the CSV rule either way.
pub(crate) fn delimited_with_header<'a>(
    bytes: &'a [u8],
    file: &str,
    comments: bool,
    delimiter: u8,
) -> Result<(csv::Reader<&'a [u8]>, Lines<'a>, csv::StringRecord)> {
    let bytes = strip_bom(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .comment(comments.then_some(b'#'))
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let header = reader.headers().map_err(Error::csv(file))?.clone();
    Ok((reader, Lines::new(bytes), header))
}

/// The 1-based line of a data record, or `None` for a blank one (skipped); a record whose
/// field count is not the header's is an error naming its line (a `delimiter` inside an
/// unquoted cell is the usual cause). One check for every CSV adapter that reads by position.
pub(crate) fn data_line(
    lines: &mut Lines<'_>,
    record: &csv::StringRecord,
    fields: usize,
    delimiter: u8,
    file: &str,
) -> Result<Option<usize>> {
    let line = lines.of(record);
    if record.iter().all(|c| c.trim().is_empty()) {
        return Ok(None);
    }
    if record.len() != fields {
        return Err(Error::format(
            file,
            Some(format!("line {line}")),
            format!(
                "{} fields where the header names {fields}: a `{}` inside a cell must be quoted",
                record.len(),
                char::from(delimiter)
            ),
        ));
    }
    Ok(Some(line))
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
}
