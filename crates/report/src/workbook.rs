//! The Excel workbook of a report: one sheet per [`Table`], after a first sheet that says what
//! each holds. Numbers are stored as numbers (with the column's decimals as their format),
//! header rows are bold and frozen, every sheet has an autofilter, and columns are as wide as
//! their contents (within limits).

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::error::{Error, Result};
use crate::table::{Cell, Table};

/// One sheet of the workbook: its name (at most 31 characters, none of `[]:*?/\`), what it
/// holds in a sentence, and its table.
#[derive(Debug, Clone, Copy)]
pub struct Sheet<'a> {
    /// Sheet name, as on its tab.
    pub name: &'a str,
    /// What the sheet holds, for the first sheet.
    pub about: &'a str,
    /// The rows.
    pub table: &'a Table,
}

/// Most rows a sheet can hold (Excel's limit, the header included).
const MAX_ROWS: usize = 1_048_576;
/// Most characters of a cell (Excel's limit).
const MAX_TEXT: usize = 32_767;
/// Widest column, in characters.
const MAX_WIDTH: usize = 60;
/// Rows read to size the columns.
const SIZING_ROWS: usize = 2_000;

/// The workbook as bytes: a first sheet "About" (the title, `notes` line by line, then each
/// sheet's name and what it holds), then the sheets in order. The document's creation date is
/// fixed (`created`, year-month-day), so the same results give the same bytes.
pub fn workbook_bytes(
    title: &str,
    notes: &[String],
    sheets: &[Sheet<'_>],
    created: (u16, u8, u8),
) -> Result<Vec<u8>> {
    for sheet in sheets {
        check_name(sheet.name)?;
        if sheet.table.len() + 1 > MAX_ROWS {
            return Err(Error::Workbook {
                message: format!(
                    "the sheet `{}` would need {} rows, more than Excel's {MAX_ROWS}: read its CSV file instead",
                    sheet.name,
                    sheet.table.len() + 1
                ),
            });
        }
    }
    let failed = |e: XlsxError| Error::Workbook {
        message: e.to_string(),
    };
    let mut book = Workbook::new();
    let date = ExcelDateTime::from_ymd(created.0, created.1, created.2).map_err(failed)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(clip(title))
            .set_creation_datetime(&date),
    );
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();

    let about = book.add_worksheet();
    about.set_name("About").map_err(failed)?;
    about
        .write_string_with_format(
            0,
            0,
            clip(title),
            &Format::new().set_bold().set_font_size(14),
        )
        .map_err(failed)?;
    let mut row = 1;
    for note in notes {
        about.write_string(row, 0, clip(note)).map_err(failed)?;
        row += 1;
    }
    row += 1;
    about
        .write_string_with_format(row, 0, "sheet", &bold)
        .map_err(failed)?;
    about
        .write_string_with_format(row, 1, "what it holds", &bold)
        .map_err(failed)?;
    for sheet in sheets {
        row += 1;
        about.write_string(row, 0, sheet.name).map_err(failed)?;
        about
            .write_string_with_format(row, 1, clip(sheet.about), &wrap)
            .map_err(failed)?;
    }
    about.set_column_width(0, 24).map_err(failed)?;
    about.set_column_width(1, 100).map_err(failed)?;

    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet.name).map_err(failed)?;
        write_sheet(ws, sheet.table, &bold).map_err(failed)?;
    }
    book.save_to_buffer().map_err(failed)
}

fn write_sheet(
    ws: &mut Worksheet,
    table: &Table,
    bold: &Format,
) -> std::result::Result<(), XlsxError> {
    let columns = table.columns();
    let formats: Vec<Format> = columns
        .iter()
        .map(|c| match c.decimals {
            Some(0) => Format::new().set_num_format("0"),
            Some(d) => Format::new().set_num_format(format!("0.{}", "0".repeat(d.min(15)))),
            None => Format::new(),
        })
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.name.chars().count() + 3).collect();
    for (k, column) in columns.iter().enumerate() {
        ws.write_string_with_format(0, col(k), clip(&column.name), bold)?;
    }
    for (r, cells) in table.rows().iter().enumerate() {
        let row = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (k, cell) in cells.iter().enumerate() {
            let c = col(k);
            let shown = match cell {
                Cell::Empty => 0,
                Cell::Text(s) => {
                    ws.write_string(row, c, clip(s))?;
                    s.chars().count()
                }
                Cell::Int(i) => {
                    // Whole numbers beyond 2^53 lose digits as numbers: kept as text.
                    if i.unsigned_abs() < (1 << 53) {
                        ws.write_number_with_format(row, c, *i as f64, &Format::new())?;
                    } else {
                        ws.write_string(row, c, i.to_string())?;
                    }
                    i.to_string().len()
                }
                Cell::Float(x) if x.is_finite() => {
                    ws.write_number_with_format(row, c, *x, &formats[k])?;
                    match columns[k].decimals {
                        Some(d) => format!("{x:.d$}").len(),
                        None => x.to_string().len().min(12),
                    }
                }
                // No number can say NaN or infinity: an empty cell, or the word.
                Cell::Float(x) if x.is_nan() => 0,
                Cell::Float(x) => {
                    ws.write_string(row, c, x.to_string())?;
                    4
                }
                Cell::Bool(b) => {
                    ws.write_boolean(row, c, *b)?;
                    5
                }
            };
            if r < SIZING_ROWS {
                widths[k] = widths[k].max(shown + 2);
            }
        }
    }
    for (k, w) in widths.iter().enumerate() {
        ws.set_column_width(col(k), (*w).min(MAX_WIDTH) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !columns.is_empty() {
        let last_row = u32::try_from(table.len()).unwrap_or(u32::MAX);
        ws.autofilter(0, 0, last_row, col(columns.len() - 1))?;
    }
    Ok(())
}

fn col(k: usize) -> u16 {
    u16::try_from(k).unwrap_or(u16::MAX)
}

/// Text within Excel's cell limit, ending in an ellipsis when cut.
fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_TEXT - 1).collect();
    cut.push('…');
    cut
}

/// A sheet name Excel takes: 1 to 31 characters, none of `[]:*?/\`, not starting or ending
/// with an apostrophe, not "History".
fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.chars().count() > 31
        || name.contains(['[', ']', ':', '*', '?', '/', '\\'])
        || name.starts_with('\'')
        || name.ends_with('\'')
        || name.eq_ignore_ascii_case("history")
        || name.eq_ignore_ascii_case("about");
    if bad {
        return Err(Error::Workbook {
            message: format!(
                "`{name}` cannot name a sheet: give 1 to 31 characters, none of []:*?/\\, and not `About` or `History`"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::table::Column;

    fn table() -> Table {
        let mut t = Table::new(vec![
            Column::new("city").left(),
            Column::new("rank"),
            Column::new("score").decimals(2),
            Column::new("ranked"),
        ]);
        t.push(vec![
            "<script>alert(1)</script> & \"Co\"".into(),
            Cell::Int(1),
            Cell::Float(87.004_999),
            true.into(),
        ]);
        t.push(vec![
            "=1+1".into(),
            Cell::Empty,
            Cell::Float(f64::NAN),
            false.into(),
        ]);
        t
    }

    fn read(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        Xlsx::new(Cursor::new(bytes)).unwrap()
    }

    #[test]
    fn numbers_stay_numbers_and_text_stays_inert() {
        let t = table();
        let bytes = workbook_bytes(
            "Tiny index, 2019",
            &[String::from("A note.")],
            &[Sheet {
                name: "ranking",
                about: "One row per city.",
                table: &t,
            }],
            (2026, 12, 3),
        )
        .unwrap();
        let mut book = read(bytes);
        assert_eq!(book.sheet_names(), ["About", "ranking"]);
        let about = book.worksheet_range("About").unwrap();
        assert_eq!(
            about.get((0, 0)),
            Some(&Data::String("Tiny index, 2019".into()))
        );
        assert_eq!(about.get((4, 0)), Some(&Data::String("ranking".into())));
        assert_eq!(
            about.get((4, 1)),
            Some(&Data::String("One row per city.".into()))
        );
        let sheet = book.worksheet_range("ranking").unwrap();
        assert_eq!(sheet.get((0, 2)), Some(&Data::String("score".into())));
        assert_eq!(
            sheet.get((1, 0)),
            Some(&Data::String("<script>alert(1)</script> & \"Co\"".into()))
        );
        assert_eq!(sheet.get((1, 1)), Some(&Data::Float(1.0)));
        // The full value, not the two decimals shown.
        assert_eq!(sheet.get((1, 2)), Some(&Data::Float(87.004_999)));
        assert_eq!(sheet.get((1, 3)), Some(&Data::Bool(true)));
        // A text starting with "=" is text, not a formula; a missing number is an empty cell.
        assert_eq!(sheet.get((2, 0)), Some(&Data::String("=1+1".into())));
        assert!(matches!(sheet.get((2, 2)), None | Some(Data::Empty)));
    }

    #[test]
    fn the_same_tables_give_the_same_bytes() {
        let t = table();
        let sheets = [Sheet {
            name: "ranking",
            about: "One row per city.",
            table: &t,
        }];
        let a = workbook_bytes("T", &[], &sheets, (2026, 12, 3)).unwrap();
        let b = workbook_bytes("T", &[], &sheets, (2026, 12, 3)).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_sheet_name_excel_refuses_is_an_error_saying_why() {
        let t = table();
        for name in ["", "a/b", "about", "x".repeat(32).as_str()] {
            let err = workbook_bytes(
                "T",
                &[],
                &[Sheet {
                    name,
                    about: "",
                    table: &t,
                }],
                (2026, 12, 3),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("cannot name a sheet"), "{name}: {err}");
        }
    }
}
