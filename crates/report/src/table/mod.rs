//! The one table type of every tabular output, and one writer per format: [`write_csv`] (the
//! csv crate, quoting where a field needs it), [`write_json_lines`] (serde_json, one object per
//! row) and [`write_terminal`] (aligned text).
//!
//! A [`Table`] holds typed [`Cell`]s under named [`Column`]s. Numbers keep their full
//! precision in CSV and JSON (Rust's shortest round-trip form); the column says how the
//! terminal shows them (decimals, sign, width, alignment).

mod csv;
mod json;
mod parquet;
mod terminal;

use std::io;

pub use self::csv::{write_csv, CsvRows};
pub use self::json::write_json_lines;
pub use self::parquet::{write_parquet, ParquetTableRows};
pub use self::terminal::{render_terminal, write_terminal};

/// How the cells of a column line up in the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Padded on the right (names).
    Left,
    /// Padded on the left (numbers).
    Right,
}

/// The width of a column in the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// As wide as its widest cell or its header.
    Fit,
    /// Every cell padded to this many characters (a longer cell takes the room it needs).
    Fixed(usize),
}

/// How a number is written in CSV and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// Rust's shortest round-trip form (`0.1`, `50`, `1234.5`); a missing value is `NaN`.
    Plain,
    /// The shortest round-trip form, in exponent form below 1e-5 or from 1e16 in magnitude
    /// (`1.5e-7`); a missing value (NaN) is an empty field.
    Exponent,
}

/// One column: its name (the CSV header, the JSON key, the terminal heading) and how the
/// terminal shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header.
    pub name: String,
    /// Terminal alignment.
    pub align: Align,
    /// Terminal width.
    pub width: Width,
    /// Decimals shown in the terminal (all of them if `None`).
    pub decimals: Option<usize>,
    /// Whether the terminal shows a `+` before positive numbers.
    pub sign: bool,
    /// Written right after each terminal cell, outside its width (e.g. `%`).
    pub suffix: &'static str,
    /// Spaces before the column in the terminal (none before the first).
    pub gap: usize,
    /// Number notation in CSV and JSON.
    pub notation: Notation,
}

impl Column {
    /// A right-aligned column as wide as its cells, one space from the previous one.
    pub fn new(name: impl Into<String>) -> Self {
        Column {
            name: name.into(),
            align: Align::Right,
            width: Width::Fit,
            decimals: None,
            sign: false,
            suffix: "",
            gap: 1,
            notation: Notation::Plain,
        }
    }

    /// Left-aligned.
    #[must_use]
    pub fn left(mut self) -> Self {
        self.align = Align::Left;
        self
    }

    /// Every cell padded to `width` characters.
    #[must_use]
    pub fn width(mut self, width: usize) -> Self {
        self.width = Width::Fixed(width);
        self
    }

    /// Numbers shown with `decimals` decimals in the terminal.
    #[must_use]
    pub fn decimals(mut self, decimals: usize) -> Self {
        self.decimals = Some(decimals);
        self
    }

    /// Positive numbers shown with a `+` in the terminal.
    #[must_use]
    pub fn signed(mut self) -> Self {
        self.sign = true;
        self
    }

    /// Text written after each terminal cell.
    #[must_use]
    pub fn suffix(mut self, suffix: &'static str) -> Self {
        self.suffix = suffix;
        self
    }

    /// Spaces before the column in the terminal.
    #[must_use]
    pub fn gap(mut self, gap: usize) -> Self {
        self.gap = gap;
        self
    }

    /// Numbers in [`Notation::Exponent`] in CSV and JSON.
    #[must_use]
    pub fn exponent(mut self) -> Self {
        self.notation = Notation::Exponent;
        self
    }
}

/// One value of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing: an empty CSV field, `null` in JSON, the table's missing marker in the terminal.
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number (NaN: see [`Notation`]).
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
}

impl Cell {
    /// A whole number, or [`Cell::Empty`] when there is none.
    pub fn int_or_empty(value: Option<impl Into<i64>>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Int(v.into()))
    }

    /// A number, or [`Cell::Empty`] when it is NaN.
    pub fn float_or_empty(value: f64) -> Self {
        if value.is_nan() {
            Cell::Empty
        } else {
            Cell::Float(value)
        }
    }

    /// Appends the cell as CSV writes it to `out` (the same text as [`Cell::csv_text`],
    /// without a String per cell).
    pub(crate) fn write_csv_text(&self, notation: Notation, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Cell::Empty => {}
            Cell::Text(s) => out.push_str(s),
            Cell::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Cell::Float(x) => write_number(*x, notation, out),
            Cell::Bool(b) => {
                let _ = write!(out, "{b}");
            }
        }
    }

    /// The cell as CSV writes it.
    pub(crate) fn csv_text(&self, notation: Notation) -> String {
        let mut text = String::new();
        self.write_csv_text(notation, &mut text);
        text
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Self {
        Cell::Text(s.clone())
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Float(x)
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}

macro_rules! int_cell {
    ($($t:ty),*) => {$(
        impl From<$t> for Cell {
            fn from(i: $t) -> Self {
                Cell::Int(i64::from(i))
            }
        }
    )*};
}
int_cell!(i32, u32, u16, u8, i64);

impl From<usize> for Cell {
    fn from(i: usize) -> Self {
        Cell::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

/// A number in `notation`.
fn write_number(x: f64, notation: Notation, out: &mut String) {
    use std::fmt::Write as _;
    match notation {
        Notation::Exponent if x.is_nan() => {}
        Notation::Exponent if x != 0.0 && !(1e-5..1e16).contains(&x.abs()) => {
            let _ = write!(out, "{x:e}");
        }
        Notation::Plain | Notation::Exponent => {
            let _ = write!(out, "{x}");
        }
    }
}

/// [`write_number`] into a new String.
#[cfg(test)]
fn number(x: f64, notation: Notation) -> String {
    let mut text = String::new();
    write_number(x, notation, &mut text);
    text
}

/// A table: columns, rows of cells, and how the terminal shows what is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
    missing: &'static str,
    indent: usize,
    heading: bool,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: Vec<Column>) -> Self {
        Table {
            columns,
            rows: Vec::new(),
            missing: "",
            indent: 0,
            heading: true,
        }
    }

    /// Shows empty cells as `marker` in the terminal (default: nothing).
    #[must_use]
    pub fn missing(mut self, marker: &'static str) -> Self {
        self.missing = marker;
        self
    }

    /// Indents every terminal line by `spaces`.
    #[must_use]
    pub fn indent(mut self, spaces: usize) -> Self {
        self.indent = spaces;
        self
    }

    /// Leaves the column names out of the terminal table (a plain list).
    #[must_use]
    pub fn without_heading(mut self) -> Self {
        self.heading = false;
        self
    }

    /// Adds a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "one cell per column");
        self.rows.push(row);
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as CSV text.
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        // Writing to memory cannot fail.
        let _ = write_csv(self, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The table as JSON lines.
    pub fn to_json_lines(&self) -> String {
        let mut out = Vec::new();
        let _ = write_json_lines(self, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The formats a table is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text ([`write_terminal`]).
    Terminal,
    /// CSV ([`write_csv`]).
    Csv,
    /// JSON lines ([`write_json_lines`]).
    JsonLines,
}

/// Writes `table` in `format`.
pub fn write_table(table: &Table, format: Format, out: &mut dyn io::Write) -> io::Result<()> {
    match format {
        Format::Terminal => write_terminal(table, out),
        Format::Csv => write_csv(table, out),
        Format::JsonLines => write_json_lines(table, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cities() -> Table {
        let mut table = Table::new(vec![
            Column::new("city").left(),
            Column::new("score").decimals(1),
            Column::new("rank"),
            Column::new("ok"),
        ])
        .missing("-");
        table.push(vec!["London".into(), 87.5.into(), 1u32.into(), true.into()]);
        table.push(vec![
            "Paris, \"Ville lumière\"".into(),
            Cell::Empty,
            Cell::Empty,
            false.into(),
        ]);
        table
    }

    #[test]
    fn the_terminal_table_escapes_control_characters_before_measuring_the_columns() {
        let mut table = Table::new(vec![Column::new("city").left(), Column::new("rank")]);
        table.push(vec!["Lon\u{1b}[2Jdon".into(), 1u32.into()]);
        table.push(vec!["Paris".into(), 2u32.into()]);
        let text = render_terminal(&table);
        assert!(!text.contains('\u{1b}'));
        // Both rank columns end at the same character: the width counts the escaped name.
        let ends: Vec<usize> = text.lines().map(|l| l.chars().count()).collect();
        assert_eq!(ends, vec![ends[0]; 3], "{text}");
        assert!(text.contains("Lon\\u{1b}[2Jdon"), "{text}");
        // CSV stays byte-exact: escaping is for the terminal only.
        assert!(table.to_csv().contains("Lon\u{1b}[2Jdon"));
    }

    #[test]
    fn a_city_name_with_a_quote_or_a_comma_round_trips_through_csv() {
        let text = cities().to_csv();
        assert_eq!(
            text,
            "city,score,rank,ok\nLondon,87.5,1,true\n\"Paris, \"\"Ville lumière\"\"\",,,false\n"
        );
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let names: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(names, ["London", "Paris, \"Ville lumière\""]);
    }

    #[test]
    fn json_lines_hold_one_object_per_row_with_numbers_as_csv_writes_them() {
        assert_eq!(
            cities().to_json_lines(),
            "{\"city\":\"London\",\"score\":87.5,\"rank\":1,\"ok\":true}\n\
             {\"city\":\"Paris, \\\"Ville lumière\\\"\",\"score\":null,\"rank\":null,\"ok\":false}\n"
        );
        let mut t = Table::new(vec![Column::new("x"), Column::new("y").exponent()]);
        t.push(vec![50.0.into(), 1.5e-7.into()]);
        t.push(vec![f64::NAN.into(), f64::NAN.into()]);
        assert_eq!(
            t.to_json_lines(),
            "{\"x\":50,\"y\":1.5e-7}\n{\"x\":null,\"y\":null}\n"
        );
        for line in t.to_json_lines().lines() {
            let _: serde_json::Value = serde_json::from_str(line).unwrap();
        }
    }

    #[test]
    fn the_exponent_notation_writes_tiny_numbers_in_exponent_form_and_nan_as_empty() {
        let mut t = Table::new(vec![Column::new("p").exponent(), Column::new("q")]);
        t.push(vec![1.5e-7.into(), 0.25.into()]);
        t.push(vec![0.0.into(), f64::NAN.into()]);
        t.push(vec![2e16.into(), 1e-7.into()]);
        assert_eq!(t.to_csv(), "p,q\n1.5e-7,0.25\n0,NaN\n2e16,0.0000001\n");
    }

    /// Moved from the score crate's audit (its `num`), whose CSV files use this notation.
    #[test]
    fn csv_numbers_round_trip_and_na_is_empty() {
        assert_eq!(number(f64::NAN, Notation::Exponent), "");
        assert_eq!(number(0.25, Notation::Exponent), "0.25");
        assert_eq!(number(0.0, Notation::Exponent), "0");
        assert_eq!(number(1.25e-21, Notation::Exponent), "1.25e-21");
    }

    #[test]
    fn the_terminal_table_aligns_fitted_columns_and_marks_missing_cells() {
        assert_eq!(
            render_terminal(&cities()),
            "city                   score rank    ok\n\
             London                  87.5    1  true\n\
             Paris, \"Ville lumière\"     -    - false\n"
        );
    }

    #[test]
    fn fixed_widths_pad_every_cell_and_let_a_longer_one_overflow() {
        let mut t = Table::new(vec![
            Column::new("indicator").left().width(6),
            Column::new("change").width(8).decimals(2).signed(),
            Column::new("level").left().gap(2),
        ]);
        t.push(vec!["pm25".into(), 1.5.into(), "city".into()]);
        t.push(vec![
            "life_expectancy".into(),
            (-0.25).into(),
            "national".into(),
        ]);
        assert_eq!(
            render_terminal(&t),
            "indicator   change  level\n\
             pm25      +1.50  city\n\
             life_expectancy    -0.25  national\n"
        );
    }

    #[test]
    fn a_list_without_heading_is_indented_and_takes_suffixes() {
        let mut t = Table::new(vec![
            Column::new("city").left().width(8),
            Column::new("share").width(5).decimals(1).suffix("%"),
        ])
        .indent(2)
        .without_heading();
        t.push(vec!["Paris".into(), 62.5.into()]);
        assert_eq!(render_terminal(&t), "  Paris     62.5%\n");
    }
}
