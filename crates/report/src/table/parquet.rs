//! Parquet through the model's row-group writer: a column's type is what its cells hold
//! (whole numbers, numbers, booleans, else text), an empty cell or a NaN is null.

use std::io;

use healthy_city_model::{ParquetKind, ParquetRows, ParquetValue};

use super::{Cell, Column, Table};

/// The type of a column holding `cells`: integers if every present cell is one, numbers if
/// every one is a number, booleans if every one is, else text (also for a column of empties).
pub(crate) fn kind_of<'a>(cells: impl Iterator<Item = &'a Cell>) -> ParquetKind {
    let (mut ints, mut floats, mut bools, mut texts) = (0, 0, 0, 0);
    for cell in cells {
        match cell {
            Cell::Empty => {}
            Cell::Int(_) => ints += 1,
            Cell::Float(_) => floats += 1,
            Cell::Bool(_) => bools += 1,
            Cell::Text(_) => texts += 1,
        }
    }
    match (ints, floats, bools, texts) {
        (_, 0, 0, 0) if ints > 0 => ParquetKind::Int,
        (_, f, 0, 0) if f > 0 => ParquetKind::Float,
        (0, 0, b, 0) if b > 0 => ParquetKind::Bool,
        _ => ParquetKind::Text,
    }
}

/// A cell as a value of a column of `kind` (text columns take any cell's CSV text).
fn value<'a>(cell: &'a Cell, kind: ParquetKind, text: &'a mut String) -> ParquetValue<'a> {
    match (cell, kind) {
        (Cell::Empty, _) => ParquetValue::Null,
        (Cell::Float(x), _) if x.is_nan() => ParquetValue::Null,
        (Cell::Text(s), _) => ParquetValue::Text(s),
        (other, ParquetKind::Text) => {
            *text = other.csv_text(super::Notation::Plain);
            ParquetValue::Text(text)
        }
        (Cell::Int(i), _) => ParquetValue::Int(*i),
        (Cell::Float(x), _) => ParquetValue::Float(*x),
        (Cell::Bool(b), _) => ParquetValue::Bool(*b),
    }
}

/// A Parquet table written row by row, its column types given (see [`write_parquet`]).
pub struct ParquetTableRows<'w> {
    rows: ParquetRows<&'w mut dyn io::Write>,
    kinds: Vec<ParquetKind>,
    texts: Vec<String>,
}

impl<'w> ParquetTableRows<'w> {
    /// Starts a table of `columns`, of the types `kinds`.
    pub fn new(
        out: &'w mut dyn io::Write,
        columns: &[Column],
        kinds: Vec<ParquetKind>,
    ) -> io::Result<Self> {
        let named: Vec<(String, ParquetKind)> = columns
            .iter()
            .map(|c| c.name.clone())
            .zip(kinds.iter().copied())
            .collect();
        Ok(Self {
            rows: ParquetRows::new(out, &named)?,
            texts: vec![String::new(); kinds.len()],
            kinds,
        })
    }

    /// Writes one row (one cell per column).
    pub fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        // Rows of up to `INLINE` cells (every table written) take no allocation.
        const INLINE: usize = 16;
        let mut inline = [ParquetValue::Null; INLINE];
        let mut spilled = Vec::new();
        let values = if cells.len() <= INLINE {
            &mut inline[..cells.len()]
        } else {
            spilled.resize(cells.len(), ParquetValue::Null);
            &mut spilled[..]
        };
        for (((slot, cell), &kind), text) in values
            .iter_mut()
            .zip(cells)
            .zip(&self.kinds)
            .zip(self.texts.iter_mut())
        {
            *slot = value(cell, kind, text);
        }
        self.rows.row(values)
    }

    /// Writes the last row group and the footer.
    pub fn finish(self) -> io::Result<()> {
        self.rows.finish()
    }
}

/// Writes `table` as Parquet, each column typed by what its cells hold.
pub fn write_parquet(table: &Table, out: &mut dyn io::Write) -> io::Result<()> {
    let kinds = (0..table.columns().len())
        .map(|i| kind_of(table.rows().iter().filter_map(|r| r.get(i))))
        .collect();
    let mut rows = ParquetTableRows::new(out, table.columns(), kinds)?;
    for row in table.rows() {
        rows.row(row)?;
    }
    rows.finish()
}
