//! The aligned text table for the terminal.

use std::fmt::Write as _;
use std::io;

use super::{Align, Cell, Column, Table, Width};

/// A cell as the terminal shows it (before padding): text from input (city and indicator
/// names) escaped and cut by [`healthy_city_model::echo`] before the columns are measured, so
/// an escape sequence in a name can neither drive the terminal nor misalign the table.
fn text(cell: &Cell, column: &Column, missing: &str) -> String {
    match cell {
        Cell::Empty => missing.to_string(),
        Cell::Text(s) => healthy_city_model::echo(s),
        Cell::Int(i) if column.sign => format!("{i:+}"),
        Cell::Int(i) => i.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Float(x) => match (column.decimals, column.sign) {
            (Some(d), true) => format!("{x:+.d$}"),
            (Some(d), false) => format!("{x:.d$}"),
            (None, true) => format!("{x:+}"),
            (None, false) => x.to_string(),
        },
    }
}

/// The table as aligned text: the column names (unless left out), then one line per row.
/// Columns are separated by their gap; a fitted left-aligned last column is not padded.
pub fn render_terminal(table: &Table) -> String {
    let columns = table.columns();
    let mut lines: Vec<Vec<String>> = Vec::with_capacity(table.len() + 1);
    if table.heading {
        lines.push(
            columns
                .iter()
                .map(|c| healthy_city_model::echo(&c.name))
                .collect(),
        );
    }
    for row in table.rows() {
        lines.push(
            row.iter()
                .zip(columns)
                .map(|(cell, column)| text(cell, column, table.missing))
                .collect(),
        );
    }
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| match column.width {
            Width::Fixed(w) => w,
            Width::Fit => lines
                .iter()
                .map(|line| line[i].chars().count())
                .max()
                .unwrap_or(0),
        })
        .collect();
    let last = columns.len().saturating_sub(1);
    let mut out = String::new();
    for (k, line) in lines.iter().enumerate() {
        let heading = table.heading && k == 0;
        out.push_str(&" ".repeat(table.indent));
        for (i, (cell, column)) in line.iter().zip(columns).enumerate() {
            if i > 0 {
                out.push_str(&" ".repeat(column.gap));
            }
            let w = widths[i];
            match column.align {
                Align::Left if i == last && column.width == Width::Fit => out.push_str(cell),
                Align::Left => {
                    let _ = write!(out, "{cell:<w$}");
                }
                Align::Right => {
                    let _ = write!(out, "{cell:>w$}");
                }
            }
            if !heading {
                out.push_str(column.suffix);
            }
        }
        out.push('\n');
    }
    out
}

/// Writes `table` as aligned text ([`render_terminal`]).
pub fn write_terminal(table: &Table, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render_terminal(table).as_bytes())
}
