//! A small CSV table read whole, for the registry and the catalogue written as CSV: the header
//! (trimmed, a byte-order mark dropped) and every row with its line, so that each reader checks
//! its own columns and reports every bad row at once.

use csv::StringRecord;

use crate::error::{echo, Error, Result};

/// A CSV table: its header and its rows with their 1-based lines.
pub(crate) struct Sheet {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each with its line in the file.
    pub rows: Vec<(usize, StringRecord)>,
}

impl Sheet {
    /// Reads a whole CSV table; rows may have any number of fields (see [`Sheet::width_problem`]).
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let csv_error = |line: Option<usize>, message: String| Error::Csv {
            file: file.to_string(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| csv_error(Some(1), e.to_string()))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(None, e.to_string()))?;
            let line = record
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
            rows.push((line, record));
        }
        Ok(Sheet { header, rows })
    }

    /// Position of a column.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// What is wrong with the header: each `required` column missing, each column given twice,
    /// each column `accepted` refuses (with its reason).
    pub fn header_problems(
        &self,
        required: &[&str],
        accepted: impl Fn(&str) -> std::result::Result<(), String>,
    ) -> Vec<String> {
        let mut said: Vec<String> = required
            .iter()
            .filter(|r| self.position(r).is_none())
            .map(|r| format!("`{r}` missing"))
            .collect();
        for (i, name) in self.header.iter().enumerate() {
            if self.header[..i].contains(name) {
                said.push(format!("`{}` is given twice", echo(name)));
            } else if let Err(why) = accepted(name) {
                said.push(why);
            }
        }
        said
    }

    /// Why a row cannot be read as the header says (another number of fields), if it cannot.
    pub fn width_problem(&self, record: &StringRecord) -> Option<String> {
        (record.len() != self.header.len()).then(|| {
            format!(
                "the row has {} fields and the header {}: give every row one field per column",
                record.len(),
                self.header.len()
            )
        })
    }

    /// The trimmed, non-empty cell of column `name` in `record`.
    pub fn cell<'r>(&self, record: &'r StringRecord, name: &str) -> Option<&'r str> {
        self.position(name)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}
