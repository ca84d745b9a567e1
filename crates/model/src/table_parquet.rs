//! Output tables as Parquet, written in row groups as the rows come: a table of millions of
//! rows (a large run's node scores) is never held whole, only one row group of typed columns.

use std::io::Write;

use polars::prelude::*;

/// The type of a column of an output table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetKind {
    /// UTF-8 text.
    Text,
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
    /// A boolean.
    Bool,
}

/// One cell, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParquetValue<'a> {
    /// Missing (null).
    Null,
    /// Text.
    Text(&'a str),
    /// A whole number (also accepted by a float column).
    Int(i64),
    /// A number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

enum Buffer {
    /// Appended in place (no string per value).
    Text(StringChunkedBuilder),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

/// Rows per row group: a million rows of five columns hold a few tens of megabytes.
const GROUP: usize = 1 << 20;

/// A Parquet table written row by row (see the module).
pub struct ParquetRows<W: Write> {
    writer: polars::io::parquet::write::BatchedWriter<W>,
    names: Vec<String>,
    buffers: Vec<Buffer>,
    rows: usize,
}

impl<W: Write> ParquetRows<W> {
    /// Starts a table of `columns` (name, type) on `out`.
    pub fn new(out: W, columns: &[(String, ParquetKind)]) -> std::io::Result<Self> {
        let schema: Schema = columns
            .iter()
            .map(|(name, kind)| {
                Field::new(
                    name.as_str().into(),
                    match kind {
                        ParquetKind::Text => DataType::String,
                        ParquetKind::Int => DataType::Int64,
                        ParquetKind::Float => DataType::Float64,
                        ParquetKind::Bool => DataType::Boolean,
                    },
                )
            })
            .collect();
        let writer = ParquetWriter::new(out)
            .batched(&schema)
            .map_err(std::io::Error::other)?;
        Ok(Self {
            writer,
            names: columns.iter().map(|(n, _)| n.clone()).collect(),
            buffers: columns.iter().map(|(_, k)| empty(*k)).collect(),
            rows: 0,
        })
    }

    /// Adds a row, one value per column; a value of another type than its column's is an
    /// error naming the column (an integer in a float column is taken as a float).
    pub fn row(&mut self, values: &[ParquetValue<'_>]) -> std::io::Result<()> {
        if values.len() != self.buffers.len() {
            return Err(std::io::Error::other(format!(
                "a row of {} values for a table of {} columns",
                values.len(),
                self.buffers.len()
            )));
        }
        // Every value checked before any is kept, so that a refused row leaves no column longer
        // than the others.
        for ((buffer, value), name) in self.buffers.iter().zip(values).zip(&self.names) {
            let fits = matches!(
                (buffer, value),
                (_, ParquetValue::Null)
                    | (Buffer::Text(_), ParquetValue::Text(_))
                    | (Buffer::Int(_), ParquetValue::Int(_))
                    | (
                        Buffer::Float(_),
                        ParquetValue::Float(_) | ParquetValue::Int(_)
                    )
                    | (Buffer::Bool(_), ParquetValue::Bool(_))
            );
            if !fits {
                return Err(std::io::Error::other(format!(
                    "column `{name}` cannot hold {value:?}"
                )));
            }
        }
        for (buffer, value) in self.buffers.iter_mut().zip(values) {
            match (buffer, *value) {
                (Buffer::Text(b), ParquetValue::Text(t)) => b.append_value(t),
                (Buffer::Text(b), ParquetValue::Null) => b.append_null(),
                (Buffer::Int(b), ParquetValue::Int(i)) => b.push(Some(i)),
                (Buffer::Int(b), ParquetValue::Null) => b.push(None),
                (Buffer::Float(b), ParquetValue::Float(x)) => b.push(Some(x)),
                (Buffer::Float(b), ParquetValue::Int(i)) => b.push(Some(i as f64)),
                (Buffer::Float(b), ParquetValue::Null) => b.push(None),
                (Buffer::Bool(b), ParquetValue::Bool(x)) => b.push(Some(x)),
                (Buffer::Bool(b), ParquetValue::Null) => b.push(None),
                _ => unreachable!("checked above"),
            }
        }
        self.rows += 1;
        if self.rows == GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let columns: Vec<Column> = self
            .buffers
            .iter_mut()
            .zip(&self.names)
            .map(|(buffer, name)| {
                let name: PlSmallStr = name.as_str().into();
                match buffer {
                    Buffer::Text(b) => {
                        let full = std::mem::replace(b, text_buffer(name.clone()));
                        full.finish().with_name(name).into_column()
                    }
                    Buffer::Int(b) => Column::new(name, std::mem::take(b)),
                    Buffer::Float(b) => Column::new(name, std::mem::take(b)),
                    Buffer::Bool(b) => Column::new(name, std::mem::take(b)),
                }
            })
            .collect();
        let frame = DataFrame::new(self.rows, columns).map_err(std::io::Error::other)?;
        self.writer
            .write_batch(&frame)
            .map_err(std::io::Error::other)?;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.flush()?;
        self.writer.finish().map_err(std::io::Error::other)?;
        Ok(())
    }
}

fn text_buffer(name: PlSmallStr) -> StringChunkedBuilder {
    StringChunkedBuilder::new(name, 0)
}

fn empty(kind: ParquetKind) -> Buffer {
    match kind {
        ParquetKind::Text => Buffer::Text(text_buffer(PlSmallStr::EMPTY)),
        ParquetKind::Int => Buffer::Int(Vec::new()),
        ParquetKind::Float => Buffer::Float(Vec::new()),
        ParquetKind::Bool => Buffer::Bool(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_in_groups_read_back_as_given_nulls_included() {
        let mut bytes = Vec::new();
        let columns = [
            ("city".to_string(), ParquetKind::Text),
            ("year".to_string(), ParquetKind::Int),
            ("score".to_string(), ParquetKind::Float),
            ("imputed".to_string(), ParquetKind::Bool),
        ];
        let mut rows = ParquetRows::new(&mut bytes, &columns).unwrap();
        rows.row(&[
            ParquetValue::Text("london"),
            ParquetValue::Int(2019),
            ParquetValue::Float(78.5),
            ParquetValue::Bool(false),
        ])
        .unwrap();
        rows.row(&[
            ParquetValue::Text("paris"),
            ParquetValue::Null,
            ParquetValue::Int(3),
            ParquetValue::Null,
        ])
        .unwrap();
        let err = rows
            .row(&[
                ParquetValue::Int(1),
                ParquetValue::Int(1),
                ParquetValue::Int(1),
                ParquetValue::Null,
            ])
            .unwrap_err();
        assert_eq!(err.to_string(), "column `city` cannot hold Int(1)");
        // A value refused in a later column leaves no column longer than the others.
        let err = rows
            .row(&[
                ParquetValue::Text("rome"),
                ParquetValue::Int(1),
                ParquetValue::Text("x"),
                ParquetValue::Null,
            ])
            .unwrap_err();
        assert_eq!(err.to_string(), "column `score` cannot hold Text(\"x\")");
        rows.finish().unwrap();
        let frame = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap();
        assert_eq!(frame.height(), 2);
        let city: Vec<Option<&str>> = frame
            .column("city")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(city, [Some("london"), Some("paris")]);
        let year: Vec<Option<i64>> = frame
            .column("year")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(year, [Some(2019), None]);
        let score: Vec<Option<f64>> = frame
            .column("score")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(score, [Some(78.5), Some(3.0)]);
    }
}
