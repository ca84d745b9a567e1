//! Test support: COINr's reference outputs (`shared/reference/coinr`), read as tables.
//!
//! The folder is `$HEALTHY_CITY_REFERENCE`, else `shared/reference` next to the repository.
//! When it is absent the tests print a notice and pass, unless `HEALTHY_CITY_REQUIRE_DATA=1`.

use std::collections::HashMap;
use std::path::PathBuf;

/// A CSV table: header and rows of fields (NA is an empty field).
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Column position by name.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column `{name}` in {:?}", self.header))
    }

    /// A numeric field: NaN for NA (empty).
    pub fn number(&self, row: usize, column: usize) -> f64 {
        let text = &self.rows[row][column];
        if text.is_empty() {
            f64::NAN
        } else {
            text.parse()
                .unwrap_or_else(|_| panic!("`{text}` is not a number"))
        }
    }

    /// Row position of each value of a key column (e.g. `uCode`).
    pub fn index(&self, column: usize) -> HashMap<String, usize> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r[column].clone(), i))
            .collect()
    }
}

/// The COINr reference folder, or `None` (after a notice) when the data is absent.
pub fn coinr_dir() -> Option<PathBuf> {
    let base = std::env::var_os("HEALTHY_CITY_REFERENCE").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/reference"
            ))
        },
        PathBuf::from,
    );
    let dir = base.join("coinr");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("HEALTHY_CITY_REQUIRE_DATA").as_deref() != Ok("1"),
        "COINr reference data not found at {} and HEALTHY_CITY_REQUIRE_DATA=1",
        dir.display()
    );
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "notice: COINr reference data not found at {}; skipping (set HEALTHY_CITY_REFERENCE)",
            dir.display()
        );
    }
    None
}

/// Reads a reference CSV (quoted text, unquoted numbers, empty = NA).
pub fn read(path: &std::path::Path) -> Table {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.is_empty()).map(split);
    let header = lines.next().expect("a header");
    Table {
        header,
        rows: lines.collect(),
    }
}

fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            _ => fields.last_mut().expect("a field").push(ch),
        }
    }
    fields
}

/// Asserts `|a - b| <= tol`, NaN only against NaN.
pub fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol,
        "{what}: {a} != {b} (tolerance {tol})"
    );
}
