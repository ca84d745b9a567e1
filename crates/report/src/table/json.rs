//! JSON lines through serde_json: one object per row, keys in column order. Numbers are
//! written as CSV writes them (Rust's shortest round-trip form, which is valid JSON), so the
//! two formats agree to the digit; NaN and empty cells are `null`.

use std::io;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use super::{Cell, Column, Notation, Table};

/// One row as a JSON object.
struct Row<'a> {
    columns: &'a [Column],
    cells: &'a [Cell],
}

/// One cell as a JSON value.
struct Value<'a> {
    cell: &'a Cell,
    notation: Notation,
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.cell {
            Cell::Empty => serializer.serialize_none(),
            Cell::Text(s) => serializer.serialize_str(s),
            Cell::Int(i) => serializer.serialize_i64(*i),
            Cell::Bool(b) => serializer.serialize_bool(*b),
            Cell::Float(x) if !x.is_finite() => serializer.serialize_none(),
            Cell::Float(_) => {
                let text = self.cell.csv_text(self.notation);
                RawValue::from_string(text)
                    .map_err(serde::ser::Error::custom)?
                    .serialize(serializer)
            }
        }
    }
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.columns.len()))?;
        for (column, cell) in self.columns.iter().zip(self.cells) {
            map.serialize_entry(
                &column.name,
                &Value {
                    cell,
                    notation: column.notation,
                },
            )?;
        }
        map.end()
    }
}

/// Writes `table` as JSON lines: one object per row, keyed by column name.
pub fn write_json_lines(table: &Table, out: &mut dyn io::Write) -> io::Result<()> {
    for cells in table.rows() {
        serde_json::to_writer(
            &mut *out,
            &Row {
                columns: table.columns(),
                cells,
            },
        )?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
