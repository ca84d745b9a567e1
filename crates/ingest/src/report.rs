//! What ingesting did: per indicator, the values read and kept and the places that matched no
//! city; printed as the summary and written as `unmatched.csv`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::bounds::echo;
use crate::error::{Error, Result};

/// What ingesting did, per indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    /// Values with an earlier reference year were dropped.
    pub first_year: i32,
    /// Number of cities in the registry.
    pub registry_cities: usize,
    /// One entry per catalogue indicator, in catalogue order.
    pub indicators: Vec<IndicatorReport>,
}

/// What ingesting did for one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorReport {
    /// Indicator id.
    pub indicator: String,
    /// Short source key written in the observations' `source` column.
    pub source: String,
    /// Source file, relative to the data folder.
    pub file: String,
    /// Data rows in the file.
    pub rows_read: usize,
    /// Non-missing values of this indicator's measure in the file.
    pub values_read: usize,
    /// Of those, values with a reference year before [`IngestReport::first_year`].
    pub before_first_year: usize,
    /// The latest reference year of those values (`None` when there are none).
    pub latest_year: Option<i32>,
    /// Observations kept.
    pub kept: usize,
    /// Identical repeats kept once.
    pub duplicates: usize,
    /// Values replaced by a newer revision of the same place and year (WHO AAP database versions).
    pub superseded: usize,
    /// Cells of this indicator's measure that the publisher withholds as confidential
    /// (Eurostat `CONF_STATUS` `C`) for registry cities, from the first year kept: gaps in
    /// those cities' series that are the publisher's choice, not missing data. Confidential
    /// cells of places outside the registry are not counted.
    pub confidential: usize,
    /// Registry cities with at least one value kept.
    pub cities_matched: usize,
    /// Registry cities this source has values for that it did not supply, because an earlier
    /// source of the indicator did (an indicator with `[[indicator.fallback]]` sources takes
    /// each city's series from one source).
    pub earlier_source: usize,
    /// Registry cities (ids) with no value.
    pub cities_without_value: Vec<String>,
    /// Number of the file's places (names or codes, aggregates included) that matched no
    /// registry city.
    pub unmatched: usize,
    /// Those places, named in the printed summary for sources meant to match the registry (the
    /// city compilations); `None` for the others, whose places are too many to print: every
    /// source's are in [`IndicatorReport::unmatched_places`] (and `unmatched.csv`).
    pub unmatched_names: Option<Vec<String>>,
    /// Every place of the source that matched no registry city, with its country where known,
    /// whether it is a place or an aggregate, and its number of values; sorted by name.
    pub unmatched_places: Vec<UnmatchedPlace>,
    /// Where a downloaded source came from (`network`, `cache (revalidated)`,
    /// `cache (offline)`); `None` for a file.
    pub origin: Option<String>,
    /// Why the source failed, when `--allow-partial` kept the previous snapshot's values.
    pub failed: Option<String>,
    /// The publisher's status flags on the values kept (Eurostat `e`, `p`; SDMX `OBS_STATUS`),
    /// with their counts.
    pub statuses: BTreeMap<String, usize>,
}

/// Whether an unmatched code stands for one place or for a group of countries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlaceKind {
    /// A city, settlement, region or country.
    Place,
    /// A group of countries: a code the publisher marks as one (WHO GHO regions, income groups
    /// and `GLOBAL`), a World Bank region or income aggregate (`WLD`, `EMU`, `HIC`, ...), or a
    /// Eurostat or OECD group (`EU27_2020`, `EA20`, `OECD`).
    Aggregate,
}

impl PlaceKind {
    /// `place` or `aggregate`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Place => "place",
            PlaceKind::Aggregate => "aggregate",
        }
    }
}

/// A code or name of a source that matched no registry city.
#[derive(Debug, Clone, PartialEq)]
pub struct UnmatchedPlace {
    /// As the source writes it (`CAN/London`, `WLD`, `Atlantis`, `DE001C`).
    pub code_or_name: String,
    /// The ISO3 country, where the source says it (WHO AAP's `ISO3/` prefix, a national
    /// source's own country code, `USA` for CDC PLACES).
    pub country: Option<String>,
    /// Place or aggregate.
    pub kind: PlaceKind,
    /// The source's values of the indicator's measure under it, all years (for an aggregate
    /// the publisher marks itself, its data rows, which are never read as values).
    pub rows: usize,
}

impl fmt::Display for IngestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: usize = self.indicators.iter().map(|i| i.kept).sum();
        let files: BTreeSet<&str> = self.indicators.iter().map(|i| i.file.as_str()).collect();
        writeln!(
            f,
            "ingested {} values of {} indicators from {} files for {} registry cities (years from {})",
            thousands(total),
            self.indicators.len(),
            files.len(),
            self.registry_cities,
            self.first_year
        )?;
        let width = self
            .indicators
            .iter()
            .map(|i| i.indicator.len())
            .max()
            .unwrap_or(0);
        let key_width = self
            .indicators
            .iter()
            .map(|i| i.source.len())
            .max()
            .unwrap_or(0);
        for i in &self.indicators {
            write!(
                f,
                "  {:<width$}  {:<key_width$}  {:>6} values, {:>2}/{} cities",
                i.indicator,
                i.source,
                thousands(i.kept),
                i.cities_matched,
                self.registry_cities,
            )?;
            if i.duplicates > 0 {
                write!(f, ", {} identical repeats", i.duplicates)?;
            }
            if i.superseded > 0 {
                write!(f, ", {} superseded by a newer version", i.superseded)?;
            }
            if i.earlier_source > 0 {
                write!(
                    f,
                    ", {} {} taken from an earlier source",
                    i.earlier_source,
                    if i.earlier_source == 1 {
                        "city"
                    } else {
                        "cities"
                    }
                )?;
            }
            if i.confidential > 0 {
                write!(
                    f,
                    ", {} confidential {} (withheld by the publisher)",
                    thousands(i.confidential),
                    if i.confidential == 1 { "cell" } else { "cells" }
                )?;
            }
            if let Some(why) = &i.failed {
                write!(f, "; FAILED, previous values kept: {why}")?;
                writeln!(f)?;
                continue;
            }
            let aggregates = i
                .unmatched_places
                .iter()
                .filter(|p| p.kind == PlaceKind::Aggregate)
                .count();
            match &i.unmatched_names {
                None if aggregates > 0 => write!(
                    f,
                    "; {} places matched no city ({} of them aggregates)",
                    thousands(i.unmatched),
                    thousands(aggregates)
                )?,
                None => write!(f, "; {} places matched no city", thousands(i.unmatched))?,
                Some(names) if names.is_empty() => write!(f, "; every name matched")?,
                Some(names) => {
                    let names: Vec<String> =
                        names.iter().map(|n| format!("`{}`", echo(n))).collect();
                    write!(f, "; unmatched: {}", names.join(", "))?;
                }
            }
            if let Some(origin) = &i.origin {
                write!(f, "; from {origin}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The columns of `unmatched.csv`, in order.
pub const UNMATCHED_COLUMNS: [&str; 6] = [
    "source",
    "indicator",
    "code_or_name",
    "country",
    "kind",
    "rows",
];

/// The file [`write_report`] writes into the report folder.
pub const UNMATCHED_CSV: &str = "unmatched.csv";

impl IngestReport {
    /// Unmatched places of all indicators (rows of `unmatched.csv`).
    pub fn unmatched_total(&self) -> usize {
        self.indicators
            .iter()
            .map(|i| i.unmatched_places.len())
            .sum()
    }

    /// Every place of every source that matched no registry city, as CSV with the columns of
    /// [`UNMATCHED_COLUMNS`]: one row per indicator and place, in catalogue order then by
    /// name; `country` empty where the source does not say it.
    pub fn unmatched_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut rows = vec![UNMATCHED_COLUMNS.map(str::to_string).to_vec()];
        for i in &self.indicators {
            for p in &i.unmatched_places {
                rows.push(vec![
                    i.source.clone(),
                    i.indicator.clone(),
                    p.code_or_name.clone(),
                    p.country.clone().unwrap_or_default(),
                    p.kind.as_str().to_string(),
                    p.rows.to_string(),
                ]);
            }
        }
        for row in rows {
            // Writing to a Vec cannot fail.
            let _ = writer.write_record(&row);
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// Writes the ingest report, `unmatched.csv` (see [`IngestReport::unmatched_csv`]), into `dir`
/// (created if needed) through [`healthy_city_fs::write_atomic`], so the file is either the
/// previous one or the new one, never half written. Returns its path.
pub fn write_report(report: &IngestReport, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(UNMATCHED_CSV);
    healthy_city_fs::write_atomic(&path, report.unmatched_csv().as_bytes()).map_err(|source| {
        Error::Write {
            path: dir.to_path_buf(),
            source,
        }
    })?;
    Ok(path)
}

/// `32191` -> `32,191`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(32_191), "32,191");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
