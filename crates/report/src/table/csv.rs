//! CSV through the csv crate: a field is quoted when it holds a comma, a quote or a line break,
//! so any text round-trips.

use std::io;

use super::{Cell, Column, Notation, Table};

/// The I/O error behind a CSV error (a broken pipe stays a broken pipe).
fn io_error(err: csv::Error) -> io::Error {
    if !err.is_io_error() {
        return io::Error::other(err);
    }
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        kind => io::Error::other(format!("{kind:?}")),
    }
}

/// Writes `table` as CSV: a header of column names, then one record per row.
pub fn write_csv(table: &Table, out: &mut dyn io::Write) -> io::Result<()> {
    let mut rows = CsvRows::new(out, table.columns())?;
    for row in table.rows() {
        rows.row(row)?;
    }
    rows.finish()
}

/// A CSV table written row by row, for tables too long to hold (the runs of an uncertainty
/// analysis): the header when created, then each [`CsvRows::row`] as it comes.
pub struct CsvRows<'w> {
    writer: csv::Writer<&'w mut dyn io::Write>,
    notations: Vec<Notation>,
    /// One field's text, reused field after field.
    field: String,
}

impl<'w> CsvRows<'w> {
    /// Starts the table: writes the header.
    pub fn new(out: &'w mut dyn io::Write, columns: &[Column]) -> io::Result<Self> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        writer
            .write_record(columns.iter().map(|c| c.name.as_str()))
            .map_err(io_error)?;
        Ok(CsvRows {
            writer,
            notations: columns.iter().map(|c| c.notation).collect(),
            field: String::new(),
        })
    }

    /// Writes one row (one cell per column).
    pub fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        debug_assert_eq!(cells.len(), self.notations.len(), "one cell per column");
        // Field by field into one reused buffer, then the record's end: no String per cell.
        for (cell, &notation) in cells.iter().zip(&self.notations) {
            self.field.clear();
            cell.write_csv_text(notation, &mut self.field);
            self.writer
                .write_field(self.field.as_bytes())
                .map_err(io_error)?;
        }
        self.writer.write_record(None::<&[u8]>).map_err(io_error)?;
        Ok(())
    }

    /// Flushes what is buffered.
    pub fn finish(mut self) -> io::Result<()> {
        self.writer.flush()
    }
}
