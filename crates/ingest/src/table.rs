//! The common shape every parser returns: records of (place, measure, year, value).

use std::collections::{BTreeMap, BTreeSet};

use healthy_city_model::{Direction, Flag};

/// One value read from a source file, before it is matched to a city.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// 1-based position in the file: CSV line, sheet row or JSON record (see [`SourceTable::position`]).
    pub line: usize,
    /// The place as the source names or codes it: `ISO3/City` (WHO AAP), an ISO3 code
    /// (national files) or a city name (compilations).
    pub place: String,
    /// What is measured: a column, an indicator code or a measure id.
    pub measure: String,
    /// Reference year of the value.
    pub year: i32,
    /// The value, as published.
    pub value: f64,
    /// What the source itself says about the value (modelled, country-level, ...).
    pub flag: Flag,
    /// Ordering key of the publisher's revisions where one file holds several (the WHO AAP
    /// `Version of the database`, as a year); `0` elsewhere.
    pub revision: i32,
    /// Direction the source gives for the measure, where it gives one.
    pub direction: Option<Direction>,
    /// The publisher's status flag, as published (Eurostat `e`, `p`, `b`; SDMX `OBS_STATUS`).
    pub status: Option<String>,
    /// Lower bound of the publisher's uncertainty interval (WHO GHO `Low`,
    /// `FactValueNumericLow`), when it gives one.
    pub low: Option<f64>,
    /// Upper bound of the publisher's uncertainty interval (WHO GHO `High`,
    /// `FactValueNumericHigh`), when it gives one.
    pub high: Option<f64>,
}

impl SourceRecord {
    /// A value as published, with nothing more said about it: no flag, revision `0`, no
    /// direction, status or interval. A parser whose source says more sets those fields on the
    /// result (`SourceRecord { flag, ..SourceRecord::new(...) }`).
    pub fn new(
        line: usize,
        place: impl Into<String>,
        measure: impl Into<String>,
        year: i32,
        value: f64,
    ) -> Self {
        SourceRecord {
            line,
            place: place.into(),
            measure: measure.into(),
            year,
            value,
            flag: Flag::None,
            revision: 0,
            direction: None,
            status: None,
            low: None,
            high: None,
        }
    }
}

/// A cell the publisher withholds (see [`SourceTable::confidential`]): where it is and what it
/// would have held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// 1-based position in the file, counted as [`SourceRecord::line`] is.
    pub line: usize,
    /// The place, as the source codes it.
    pub place: String,
    /// The measure, as in the records.
    pub measure: String,
    /// Reference year.
    pub year: i32,
}

/// Everything a parser read from one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceTable {
    /// The file's name, for messages.
    pub file: String,
    /// What [`SourceRecord::line`] counts: `line`, `row` or `record`.
    pub position: &'static str,
    /// Data rows read (header, preamble and blank rows not counted).
    pub rows_read: usize,
    /// Every place named in the data rows, whether or not it has a value.
    pub places: BTreeSet<String>,
    /// Every measure the file holds (columns, indicator codes or measure ids).
    pub measures: BTreeSet<String>,
    /// The release the file states about itself, where it states one (World Bank `Last Updated Date`).
    pub release: Option<String>,
    /// Codes the publisher itself marks as aggregates rather than countries (WHO GHO rows whose
    /// `SpatialDimType` is not `COUNTRY`, portal rows whose `Location type` is not `Country`),
    /// with their number of data rows. Their values are not read; they are listed as unmatched
    /// aggregates in the ingest report.
    pub aggregates: BTreeMap<String, usize>,
    /// Cells the publisher withholds as confidential (Eurostat: an empty value with `C` in
    /// `CONF_STATUS`). They give no value, like any missing cell, but are kept here so the
    /// ingest report can say how many of a city's gaps are the publisher's choice rather than
    /// missing data (a confidential cell exists and is not shown; a missing one was never
    /// collected).
    pub confidential: Vec<Withheld>,
    /// The address of the next page of a paged answer (WHO GHO OData `@odata.nextLink`).
    pub next: Option<String>,
    /// The non-missing values.
    pub records: Vec<SourceRecord>,
}

impl SourceTable {
    pub(crate) fn new(file: &str, position: &'static str) -> Self {
        SourceTable {
            file: file.to_string(),
            position,
            ..SourceTable::default()
        }
    }

    /// Appends the rows of a later page of the same response (World Bank API, GHO OData and
    /// Socrata paging); the next page is the later page's.
    pub fn append(&mut self, page: SourceTable) {
        self.rows_read += page.rows_read;
        self.places.extend(page.places);
        self.measures.extend(page.measures);
        self.records.extend(page.records);
        self.confidential.extend(page.confidential);
        for (code, rows) in page.aggregates {
            *self.aggregates.entry(code).or_insert(0) += rows;
        }
        self.next = page.next;
    }

    /// Counts one data row of an aggregate code (see [`SourceTable::aggregates`]).
    pub(crate) fn aggregate(&mut self, code: &str) {
        *self.aggregates.entry(code.to_string()).or_insert(0) += 1;
    }

    /// `line 12`, `row 3`, `record 7`.
    pub fn at(&self, line: usize) -> String {
        format!("{} {line}", self.position)
    }
}
