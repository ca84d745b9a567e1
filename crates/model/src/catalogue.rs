//! The indicator catalogue: `indicators/catalogue.toml`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::cities::is_identifier;
use crate::error::{echo, line_of, read_text, Error, Problem, Result};

/// Which way is better for an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A higher value is better (life expectancy).
    Higher,
    /// A lower value is better (PM2.5).
    Lower,
}

impl Direction {
    /// `1.0` for higher-is-better, `-1.0` for lower-is-better (COINr's `Direction`).
    pub fn sign(self) -> f64 {
        match self {
            Direction::Higher => 1.0,
            Direction::Lower => -1.0,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        })
    }
}

/// Geographic level an indicator is measured at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Measured for the city itself.
    City,
    /// Measured for the country; used for a city it is a proxy.
    National,
}

/// Where an indicator's values come from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Adapter that reads it (e.g. `who_aap`, `wdi_csv`, `gho_csv`, `gho_odata`, `master_index`, `lenstore`).
    pub adapter: String,
    /// Publisher (e.g. `World Health Organization`).
    pub publisher: String,
    /// Dataset name.
    pub dataset: String,
    /// Release or version of the dataset.
    pub release: String,
    /// Licence of the data.
    pub licence: String,
    /// Source-specific query: column, indicator code or measure id.
    pub query: String,
    /// File of the source, relative to the folder given to `ingest --from`.
    #[serde(default)]
    pub file: Option<String>,
    /// Publisher's address for the dataset.
    #[serde(default)]
    pub url: Option<String>,
    /// Address `healthy-city ingest --fetch` downloads the data from (an API query or a bulk
    /// download); `{countries}` stands for the registry's ISO3 codes joined with `;`.
    #[serde(default)]
    pub download: Option<String>,
    /// For the generic `table` adapter (CSV, XLSX or Parquet): which columns hold what.
    #[serde(default)]
    pub columns: Option<Columns>,
}

/// The column mapping of a generic table source (`adapter = "table"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// Column naming the place (a city name or code, or an ISO3 code for a national indicator).
    pub place: String,
    /// Column holding the reference year.
    pub year: String,
    /// Column holding the values. Long tables (with `measure`) need it; in wide tables it
    /// defaults to the column the `query` names.
    #[serde(default)]
    pub value: Option<String>,
    /// Long tables: the column naming the measure; rows whose measure is the `query` are read.
    #[serde(default)]
    pub measure: Option<String>,
    /// XLSX: the sheet to read (default: the first).
    #[serde(default)]
    pub sheet: Option<String>,
    /// The `cities.toml` alias key city-level places match through (default: `table`).
    #[serde(default)]
    pub aliases: Option<String>,
}

/// One indicator of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Stable identifier (e.g. `pm25`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Unit of the values.
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// City-level or national (proxy) measurement.
    pub level: Level,
    /// Where the values come from.
    pub source: SourceSpec,
    /// Line of the indicator's `id` in its file.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    indicator: Vec<RawIndicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    name: String,
    unit: String,
    direction: Option<Direction>,
    level: Level,
    source: SourceSpec,
}

/// The indicator catalogue, in file order.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    indicators: Vec<Indicator>,
    by_id: HashMap<String, usize>,
    file: String,
}

impl Catalogue {
    /// Reads and validates a catalogue file.
    pub fn load(path: &Path) -> Result<Self> {
        Self::parse(&read_text(path)?, &path.display().to_string())
    }

    /// Parses and validates a catalogue from text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| Error::toml(file, "catalogue", &e, text))?;
        if raw.indicator.is_empty() {
            return Err(Error::Invalid {
                problems: vec![Problem {
                    file: file.to_string(),
                    line: None,
                    message: "the catalogue lists no indicator: a catalogue needs at least one `[[indicator]]` entry".to_string(),
                }],
            });
        }
        let mut problems = Vec::new();
        let mut catalogue = Catalogue {
            file: file.to_string(),
            ..Catalogue::default()
        };
        for item in raw.indicator {
            let line = line_of(text, item.id.span().start);
            let id = item.id.into_inner();
            let shown = echo(&id);
            let mut problem = |message: String| {
                problems.push(Problem {
                    file: file.to_string(),
                    line: Some(line),
                    message,
                });
            };
            if !is_identifier(&id) {
                problem(format!(
                    "indicator id `{shown}` must be lowercase letters, digits, `_` and `-`"
                ));
            }
            let Some(direction) = item.direction else {
                problem(format!(
                    "indicator `{shown}` has no direction: add `direction = \"higher\"` or `\"lower\"`"
                ));
                continue;
            };
            if catalogue.by_id.contains_key(&id) {
                problem(format!("duplicate indicator id `{shown}`"));
                continue;
            }
            catalogue
                .by_id
                .insert(id.clone(), catalogue.indicators.len());
            catalogue.indicators.push(Indicator {
                id,
                name: item.name,
                unit: item.unit,
                direction,
                level: item.level,
                source: item.source,
                line,
            });
        }
        Error::check(problems)?;
        Ok(catalogue)
    }

    /// The file the catalogue was read from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// An indicator by id.
    pub fn get(&self, id: &str) -> Option<&Indicator> {
        self.by_id.get(id).map(|&i| &self.indicators[i])
    }

    /// All indicators, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter()
    }

    /// Number of indicators.
    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[indicator]]
id = "pm25"
name = "PM2.5 annual mean"
unit = "µg/m³"
direction = "lower"
level = "city"
source = { adapter = "who_aap", publisher = "WHO", dataset = "AAQ", release = "V5", licence = "CC BY-NC-SA 3.0 IGO", query = "pm25" }
"#;

    #[test]
    fn reads_an_indicator_with_its_direction_and_source() {
        let catalogue = Catalogue::parse(ONE, "catalogue.toml").unwrap();
        let pm25 = catalogue.get("pm25").unwrap();
        assert_eq!(pm25.direction, Direction::Lower);
        assert_eq!(pm25.direction.sign(), -1.0);
        assert_eq!(pm25.level, Level::City);
        assert_eq!(pm25.source.adapter, "who_aap");
        assert_eq!(pm25.line, 3);
    }

    #[test]
    fn rejects_an_indicator_with_no_direction() {
        let text = ONE.replace("direction = \"lower\"\n", "");
        let err = Catalogue::parse(&text, "catalogue.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "catalogue.toml:3: indicator `pm25` has no direction: add `direction = \"higher\"` or `\"lower\"`"
        );
    }

    #[test]
    fn rejects_an_unknown_direction_word_with_its_line() {
        let text = ONE.replace("\"lower\"", "\"down\"");
        let err = Catalogue::parse(&text, "catalogue.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("`catalogue.toml` is not a valid catalogue file: line 6:"),
            "{err}"
        );
    }
}
