//! The indicator catalogue: `indicators/catalogue.toml`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::cities::is_identifier;
use crate::error::{echo, read_text, toml_entries, Error, Problem, Result};
use crate::sheet::Sheet;

/// An indicator as read, before it is checked.
struct Draft {
    id: String,
    name: Option<String>,
    unit: Option<String>,
    direction: Option<Direction>,
    level: Option<Level>,
    source: Option<SourceSpec>,
    fallback: Vec<SourceSpec>,
}

/// The error of a catalogue with no indicator.
fn empty(file: &str) -> Error {
    Error::Invalid {
        problems: vec![Problem {
            file: file.to_string(),
            line: None,
            message: "the catalogue lists no indicator: a catalogue needs at least one indicator (`[[indicator]]` entries with `id` and `direction`, or CSV rows `id,direction`)".to_string(),
        }],
    }
}

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

/// Geographic level a value is measured at, from the city's own to the country's. The order is
/// the distance from the city: where a value combines others (an imputation between two years,
/// a rate over a denominator), it takes the farthest level of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Measured for the city itself (its administrative area).
    City,
    /// Measured for the city's metropolitan or functional urban area (OECD FUA, Urban Audit
    /// greater city): the city's own, on a wider boundary.
    Metro,
    /// Measured for the region the city lies in (NUTS 1 or 2, a US state, an AQLI region that
    /// is not the city): a regional value used for the city.
    Region,
    /// Measured for the country; used for a city it is a proxy.
    National,
}

impl Level {
    /// Every level, nearest first.
    pub const ALL: [Level; 4] = [Level::City, Level::Metro, Level::Region, Level::National];

    /// `city`, `metro`, `region` or `national`, as files spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::Metro => "metro",
            Level::Region => "region",
            Level::National => "national",
        }
    }

    /// Whether the value is the city's own (the city or its metropolitan area), not a
    /// regional or national value standing in for it.
    pub fn is_own(self) -> bool {
        matches!(self, Level::City | Level::Metro)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown level `{}`: use `city`, `metro`, `region` or `national`",
                    crate::error::echo(s)
                )
            })
    }
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
    /// Where this source measures, when it is not the indicator's `level` (an indicator read
    /// from several sources, see [`Indicator::fallback`]).
    #[serde(default)]
    pub level: Option<Level>,
    /// What a reader of the values must know about the source (how the publisher derived or
    /// filled them), written into the snapshot's `SOURCES.md`.
    #[serde(default)]
    pub note: Option<String>,
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
    /// Display name (the id when the catalogue gives none).
    pub name: String,
    /// Unit of the values (empty when not given).
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// City-level or national (proxy) measurement, when the catalogue says.
    pub level: Option<Level>,
    /// Where the values come from: needed to ingest them, optional when the user supplies the
    /// observations (reported as "not given").
    pub source: Option<SourceSpec>,
    /// The sources read after `source`, in order (`[[indicator.fallback]]`): a city takes all
    /// its values of the indicator from the first source that has any for it, so each city's
    /// series comes from one source, and the level of each value is its source's. The
    /// indicator's `level` is then the farthest its values may be.
    pub fallback: Vec<SourceSpec>,
    /// Line of the indicator's `id` in its file.
    pub line: usize,
}

/// What outputs write for provenance the catalogue does not give.
pub const NOT_GIVEN: &str = "not given";

impl Indicator {
    /// Whether the catalogue says the indicator is a national value used for cities (a proxy).
    pub fn is_national(&self) -> bool {
        self.level == Some(Level::National)
    }

    /// `city`, `metro`, `region`, `national`, or [`NOT_GIVEN`].
    pub fn level_text(&self) -> &'static str {
        self.level.map_or(NOT_GIVEN, Level::as_str)
    }

    /// Source `position`: 0 for `source`, `k` for the `k`th fallback.
    pub fn source_at(&self, position: usize) -> Option<&SourceSpec> {
        match position {
            0 => self.source.as_ref(),
            k => self.fallback.get(k - 1),
        }
    }

    /// The level shown for one of its values measured at `value`: the value's own where the
    /// indicator has several sources (their levels differ from city to city), else the
    /// catalogue's (`None` where it gives none).
    pub fn shown_level(&self, value: Level) -> Option<Level> {
        if self.is_mixed() {
            Some(value)
        } else {
            self.level
        }
    }

    /// Whether its values come from more than one source (and so may differ in level).
    pub fn is_mixed(&self) -> bool {
        !self.fallback.is_empty()
    }

    /// The indicator once per source, in source order, each with one `source`, no fallback
    /// and its source's level (the indicator's where the source gives none).
    pub fn by_source(&self) -> Vec<Indicator> {
        self.source
            .iter()
            .chain(&self.fallback)
            .map(|spec| Indicator {
                level: spec.level.or(self.level),
                source: Some(spec.clone()),
                fallback: Vec::new(),
                ..self.clone()
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    indicator: Vec<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    direction: Option<Direction>,
    #[serde(default)]
    level: Option<Level>,
    #[serde(default)]
    source: Option<SourceSpec>,
    #[serde(default)]
    fallback: Vec<SourceSpec>,
}

/// The indicator catalogue, in file order.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    indicators: Vec<Indicator>,
    by_id: HashMap<String, usize>,
    file: String,
}

impl Catalogue {
    /// Reads and validates a catalogue file: TOML (`[[indicator]]` entries), or CSV when the
    /// name ends in `.csv` (`id,direction`, optionally `name,unit,level`).
    pub fn load(path: &Path) -> Result<Self> {
        let file = path.display().to_string();
        let text = read_text(path)?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            Self::parse_csv(&text, &file)
        } else {
            Self::parse(&text, &file)
        }
    }

    /// Parses and validates a TOML catalogue from text; `file` names it in errors. Every bad
    /// entry is reported.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| Error::toml(file, "catalogue", &e, text))?;
        if raw.indicator.is_empty() {
            return Err(empty(file));
        }
        let (entries, mut problems) =
            toml_entries::<RawIndicator>(raw.indicator, text, file, "indicator");
        let mut catalogue = Catalogue {
            file: file.to_string(),
            ..Catalogue::default()
        };
        for (line, item) in entries {
            let found = catalogue.add(
                Draft {
                    id: item.id,
                    name: item.name,
                    unit: item.unit,
                    direction: item.direction,
                    level: item.level,
                    source: item.source,
                    fallback: item.fallback,
                },
                line,
            );
            problems.extend(Problem::all_at(file, line, found));
        }
        problems.sort_by_key(|p| p.line);
        Error::check(problems)?;
        Ok(catalogue)
    }

    /// Parses and validates a CSV catalogue: `id` and `direction` are required, `name`,
    /// `unit` and `level` optional; no provenance (such indicators are scored from the user's
    /// observations, not ingested). Every bad row is reported.
    pub fn parse_csv(text: &str, file: &str) -> Result<Self> {
        const COLUMNS: [&str; 5] = ["id", "direction", "name", "unit", "level"];
        let sheet = Sheet::parse(text, file)?;
        let said = sheet.header_problems(&COLUMNS[..2], |name| {
            if COLUMNS.contains(&name) {
                Ok(())
            } else {
                Err(format!("`{}` is not a catalogue column", echo(name)))
            }
        });
        if !said.is_empty() {
            return Err(Error::Csv {
                file: file.to_string(),
                line: Some(1),
                message: format!(
                    "the header is `{}` ({}): a CSV catalogue needs `id,direction` and may add `name,unit,level`; an indicator with provenance (to be ingested) is written in a TOML catalogue",
                    echo(&sheet.header.join(",")),
                    said.join("; ")
                ),
            });
        }
        let mut catalogue = Catalogue {
            file: file.to_string(),
            ..Catalogue::default()
        };
        let mut problems = Vec::new();
        for (line, record) in &sheet.rows {
            let line = *line;
            let cell = |name: &str| sheet.cell(record, name);
            let mut found: Vec<String> = sheet.width_problem(record).into_iter().collect();
            let id = cell("id").unwrap_or_default().to_string();
            let direction = match cell("direction") {
                None => None,
                Some("higher") => Some(Direction::Higher),
                Some("lower") => Some(Direction::Lower),
                Some(other) => {
                    found.push(format!(
                        "indicator `{}`: direction `{}` is not `higher` or `lower`",
                        echo(&id),
                        echo(other)
                    ));
                    Some(Direction::Higher)
                }
            };
            let level = match cell("level") {
                None => None,
                Some("city") => Some(Level::City),
                Some("national") => Some(Level::National),
                Some(other) => {
                    found.push(format!(
                        "indicator `{}`: level `{}` is not `city` or `national` (or leave it empty)",
                        echo(&id),
                        echo(other)
                    ));
                    None
                }
            };
            found.extend(catalogue.add(
                Draft {
                    id,
                    name: cell("name").map(str::to_string),
                    unit: cell("unit").map(str::to_string),
                    direction,
                    level,
                    source: None,
                    fallback: Vec::new(),
                },
                line,
            ));
            problems.extend(Problem::all_at(file, line, found));
        }
        if catalogue.is_empty() && problems.is_empty() {
            return Err(empty(file));
        }
        Error::check(problems)?;
        Ok(catalogue)
    }

    /// Checks an indicator and adds it (unless its id is taken or it has no direction);
    /// returns what is wrong with it.
    fn add(&mut self, draft: Draft, line: usize) -> Vec<String> {
        let mut problems = Vec::new();
        let shown = echo(&draft.id);
        if !is_identifier(&draft.id) {
            problems.push(format!(
                "indicator id `{shown}` must be lowercase letters, digits, `_` and `-`"
            ));
        }
        if !draft.fallback.is_empty() && draft.source.is_none() {
            problems.push(format!(
                "indicator `{shown}` has a `fallback` but no `source`: give the first source as `[indicator.source]` and the later ones as `[[indicator.fallback]]`"
            ));
        }
        let specs: Vec<&SourceSpec> = draft.source.iter().chain(&draft.fallback).collect();
        for (n, spec) in specs.iter().enumerate() {
            if specs[..n]
                .iter()
                .any(|s| s.file == spec.file && s.query == spec.query && s.url == spec.url)
            {
                problems.push(format!(
                    "indicator `{shown}` names the source `{}` (query `{}`) twice: each source of an indicator must be another file or query",
                    echo(spec.file.as_deref().unwrap_or(&spec.dataset)),
                    echo(&spec.query)
                ));
            }
        }
        if let (Some(farthest), true) = (draft.level, !draft.fallback.is_empty()) {
            for spec in &specs {
                if spec.level.is_some_and(|l| l > farthest) {
                    problems.push(format!(
                        "indicator `{shown}` has level `{farthest}` but a source of level `{}`: with several sources the indicator's `level` is the farthest of theirs",
                        spec.level.map_or("", Level::as_str)
                    ));
                }
            }
        }
        let Some(direction) = draft.direction else {
            problems.push(format!(
                "indicator `{shown}` has no direction: add `direction = \"higher\"` or `\"lower\"`"
            ));
            return problems;
        };
        if self.by_id.contains_key(&draft.id) {
            problems.push(format!("duplicate indicator id `{shown}`"));
            return problems;
        }
        self.by_id.insert(draft.id.clone(), self.indicators.len());
        self.indicators.push(Indicator {
            name: draft.name.unwrap_or_else(|| draft.id.clone()),
            id: draft.id,
            unit: draft.unit.unwrap_or_default(),
            direction,
            level: draft.level,
            source: draft.source,
            fallback: draft.fallback,
            line,
        });
        problems
    }

    /// Checks that every indicator can be ingested: each has a `source` and a `level`. Every
    /// indicator lacking one is reported.
    pub fn check_ingest(&self) -> Result<()> {
        let problems = self
            .indicators
            .iter()
            .filter_map(|i| {
                let missing: Vec<&str> = [
                    ("source", i.source.is_none()),
                    ("level", i.level.is_none()),
                ]
                .into_iter()
                .filter(|(_, m)| *m)
                .map(|(k, _)| k)
                .collect();
                (!missing.is_empty()).then(|| Problem {
                    file: self.file.clone(),
                    line: Some(i.line),
                    message: format!(
                        "indicator `{}` has no `{}`: ingest reads an indicator from its publisher's files, so it needs `level = \"city\"` or `\"national\"` and `source = {{ adapter, publisher, dataset, release, licence, query }}`; score your own observations with `healthy-city score --data FILE` instead",
                        echo(&i.id),
                        missing.join("` and `")
                    ),
                })
            })
            .collect();
        Error::check(problems)
    }

    /// The file the catalogue was read from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// A copy in which source `position` of indicator `id` (0: `source`, `k`: the `k`th
    /// fallback) states `release` (`ingest --fetch --accept-releases` takes the release a
    /// publisher now offers); `None` when no indicator has that id or it has no such source.
    pub fn with_release(&self, id: &str, position: usize, release: &str) -> Option<Catalogue> {
        let mut copy = self.clone();
        let index = *copy.by_id.get(id)?;
        let indicator = &mut copy.indicators[index];
        let spec = match position {
            0 => indicator.source.as_mut()?,
            k => indicator.fallback.get_mut(k - 1)?,
        };
        spec.release = release.to_string();
        Some(copy)
    }

    /// An indicator by id.
    pub fn get(&self, id: &str) -> Option<&Indicator> {
        self.by_id.get(id).map(|&i| &self.indicators[i])
    }

    /// The level of indicator `id` (`None`: unknown indicator, or no level given).
    pub fn level(&self, id: &str) -> Option<Level> {
        self.get(id).and_then(|i| i.level)
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
    fn sources_in_order_each_with_its_level_and_the_errors_of_a_bad_order() {
        let base = "[[indicator]]\nid = \"le\"\ndirection = \"higher\"\nlevel = \"national\"\n[indicator.source]\nlevel = \"region\"\nadapter = \"table\"\npublisher = \"p\"\ndataset = \"d\"\nrelease = \"r\"\nlicence = \"l\"\nquery = \"q\"\nfile = \"a.csv\"\n[[indicator.fallback]]\nadapter = \"wdi_csv\"\npublisher = \"p\"\ndataset = \"d\"\nrelease = \"r\"\nlicence = \"l\"\nquery = \"q\"\nfile = \"b.csv\"\n";
        let c = Catalogue::parse(base, "c.toml").unwrap();
        let le = c.get("le").unwrap();
        assert!(le.is_mixed());
        let parts: Vec<(Option<Level>, Option<String>)> = le
            .by_source()
            .iter()
            .map(|i| (i.level, i.source.as_ref().and_then(|s| s.file.clone())))
            .collect();
        assert_eq!(
            parts,
            [
                (Some(Level::Region), Some("a.csv".to_string())),
                (Some(Level::National), Some("b.csv".to_string()))
            ]
        );
        // The indicator's level must be the farthest of its sources'.
        let err = Catalogue::parse(
            &base.replace(
                "level = \"national\"\n[indicator.source]",
                "level = \"city\"\n[indicator.source]",
            ),
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "c.toml:1: indicator `le` has level `city` but a source of level `region`"
            ),
            "{err}"
        );
        // The same file and query twice.
        let err = Catalogue::parse(&base.replace("b.csv", "a.csv"), "c.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("names the source `a.csv` (query `q`) twice"),
            "{err}"
        );
    }

    #[test]
    fn reads_an_indicator_with_its_direction_and_source() {
        let catalogue = Catalogue::parse(ONE, "catalogue.toml").unwrap();
        let pm25 = catalogue.get("pm25").unwrap();
        assert_eq!(pm25.direction, Direction::Lower);
        assert_eq!(pm25.direction.sign(), -1.0);
        assert_eq!(pm25.level, Some(Level::City));
        assert_eq!(pm25.source.as_ref().unwrap().adapter, "who_aap");
        assert_eq!(pm25.line, 2);
    }

    #[test]
    fn rejects_an_indicator_with_no_direction() {
        let text = ONE.replace("direction = \"lower\"\n", "");
        let err = Catalogue::parse(&text, "catalogue.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "catalogue.toml:2: indicator `pm25` has no direction: add `direction = \"higher\"` or `\"lower\"`"
        );
    }

    #[test]
    fn rejects_an_unknown_direction_word_with_its_line() {
        let text = ONE.replace("\"lower\"", "\"down\"");
        let err = Catalogue::parse(&text, "catalogue.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "catalogue.toml:2: indicator `pm25`: unknown variant `down`, expected `higher` or `lower` in `direction`"
        );
    }

    #[test]
    fn an_indicator_needs_only_an_id_and_a_direction_and_provenance_is_not_given() {
        let text = "[[indicator]]\nid = \"le\"\ndirection = \"higher\"\n\n[[indicator]]\nid = \"pm\"\nunit = 3\n\n[[indicator]]\nid = \"gni\"\n";
        let err = Catalogue::parse(text, "k.toml").unwrap_err().to_string();
        assert_eq!(err, "2 problems found:\n  k.toml:5: indicator `pm`: invalid type: integer `3`, expected a string in `unit`\n  k.toml:9: indicator `gni` has no direction: add `direction = \"higher\"` or `\"lower\"`");
        let k = Catalogue::parse(
            "[[indicator]]\nid = \"le\"\ndirection = \"higher\"\n",
            "k.toml",
        )
        .unwrap();
        let le = k.get("le").unwrap();
        assert_eq!(
            (
                le.name.as_str(),
                le.unit.as_str(),
                le.level,
                le.source.is_none()
            ),
            ("le", "", None, true)
        );
        assert_eq!(le.level_text(), NOT_GIVEN);
        let err = k.check_ingest().unwrap_err().to_string();
        assert!(
            err.starts_with("k.toml:1: indicator `le` has no `source` and `level`: ingest reads"),
            "{err}"
        );
        assert!(Catalogue::parse(ONE, "c.toml")
            .unwrap()
            .check_ingest()
            .is_ok());
    }

    #[test]
    fn a_csv_catalogue_needs_id_and_direction_and_reports_every_bad_row() {
        let k = Catalogue::parse_csv(
            "id,direction,name,unit\nle,higher,Life expectancy,years\npm,lower,,\n",
            "k.csv",
        )
        .unwrap();
        assert_eq!(
            (
                k.get("le").unwrap().unit.as_str(),
                k.get("pm").unwrap().name.as_str()
            ),
            ("years", "pm")
        );
        assert_eq!(k.get("pm").unwrap().direction, Direction::Lower);
        let err = Catalogue::parse_csv("id,direction,source\n", "k.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("(`source` is not a catalogue column)"),
            "{err}"
        );
        let err =
            Catalogue::parse_csv("id,direction,level\nle,up,\npm,,\nx,lower,metro\n", "k.csv")
                .unwrap_err()
                .to_string();
        assert_eq!(err, "3 problems found:\n  k.csv:2: indicator `le`: direction `up` is not `higher` or `lower`\n  k.csv:3: indicator `pm` has no direction: add `direction = \"higher\"` or `\"lower\"`\n  k.csv:4: indicator `x`: level `metro` is not `city` or `national` (or leave it empty)");
    }
}
