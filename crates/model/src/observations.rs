//! Observations: the long, tidy data every index is scored from.
//!
//! One row per (city, indicator, year): `city,indicator,year,value,source,flag,low,high,level`,
//! as CSV or Parquet. Columns are found by name, in any order: `city,indicator,year,value` are
//! required; `source`, `flag`, `low`, `high` (the publisher's uncertainty interval) and `level`
//! (`city`, `metro`, `region` or `national`: where the value was measured) are optional, and
//! empty where absent.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::catalogue::{Catalogue, Level};
use crate::cities::Cities;
use crate::error::{echo, Error, Problem, Result};
use crate::limits::{magnitude_problem, number, year_range, years_text, YEARS_VARIABLE};

/// The columns of an observations file, in order, as written.
pub const COLUMNS: [&str; 9] = [
    "city",
    "indicator",
    "year",
    "value",
    "source",
    "flag",
    "low",
    "high",
    "level",
];

/// The columns every observations file has; the others of [`COLUMNS`] are optional.
pub const REQUIRED_COLUMNS: [&str; 4] = ["city", "indicator", "year", "value"];

/// Where each column of [`COLUMNS`] is in a file's header (`None`: absent), or why the header
/// cannot be read: a required column missing, a column unknown or given twice. Every problem
/// of the header is named at once.
pub fn column_positions(header: &[&str]) -> std::result::Result<[Option<usize>; 9], String> {
    let mut positions = [None; 9];
    let mut said = Vec::new();
    for (i, name) in header.iter().enumerate() {
        match COLUMNS.iter().position(|c| c == name) {
            Some(k) if positions[k].is_some() => {
                said.push(format!("`{}` is given twice", echo(name)));
            }
            Some(k) => positions[k] = Some(i),
            None => said.push(format!("`{}` is not an observations column", echo(name))),
        }
    }
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .zip(&positions)
        .filter(|(_, p)| p.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        said.insert(0, format!("`{}` missing", missing.join("`, `")));
    }
    if said.is_empty() {
        return Ok(positions);
    }
    Err(format!(
        "the columns are `{}` ({}): observations need `{}`, and may add `{}` (in any order)",
        echo(&header.join(",")),
        said.join("; "),
        REQUIRED_COLUMNS.join(","),
        COLUMNS[REQUIRED_COLUMNS.len()..].join(",")
    ))
}

/// What is special about a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Flag {
    /// Measured for the city itself.
    #[default]
    None,
    /// A national value used for the city.
    Proxy,
    /// Filled in by an imputation method.
    Imputed,
    /// Modelled or estimated by the publisher.
    Estimate,
}

impl Flag {
    /// The word written in files (empty for [`Flag::None`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::None => "",
            Flag::Proxy => "proxy",
            Flag::Imputed => "imputed",
            Flag::Estimate => "estimate",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Flag {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim() {
            "" => Ok(Flag::None),
            "proxy" => Ok(Flag::Proxy),
            "imputed" => Ok(Flag::Imputed),
            "estimate" => Ok(Flag::Estimate),
            other => Err(format!(
                "unknown flag `{}`: use `proxy`, `imputed`, `estimate` or leave it empty",
                echo(other)
            )),
        }
    }
}

/// An id or key of an observation: a string held inline up to 24 bytes (city, indicator and
/// source ids are short), so that millions of observations do not take a heap block each.
/// It derefs to `str` and is built from one with `.into()`.
pub type Text = compact_str::CompactString;

/// One value: a city's indicator in a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// City id (see `cities.toml`).
    pub city: Text,
    /// Indicator id (see `catalogue.toml`).
    pub indicator: Text,
    /// Reference year.
    pub year: i32,
    /// The value, in the indicator's unit.
    pub value: f64,
    /// Short source key (publisher, dataset and release; full provenance in SOURCES.md).
    pub source: Text,
    /// Proxy, imputed, estimate, or nothing.
    pub flag: Flag,
    /// Lower bound of the publisher's uncertainty interval (WHO GHO `Low`), when it gives one.
    pub low: Option<f64>,
    /// Upper bound of the publisher's uncertainty interval (WHO GHO `High`), when it gives one.
    pub high: Option<f64>,
    /// Where the value was measured, when the file says (`level` column).
    pub level: Option<Level>,
}

impl Observation {
    /// Where the value was measured: its `level`, else national for a value flagged `proxy`
    /// (files without a `level` column mark national values so), else the unit's own.
    pub fn effective_level(&self) -> Level {
        self.level.unwrap_or(if self.flag == Flag::Proxy {
            Level::National
        } else {
            Level::City
        })
    }

    /// Why the interval does not hold the value (`low <= value <= high`, each bound finite
    /// where given), or `None` when it does or there is none.
    pub fn interval_problem(&self) -> Option<String> {
        let at = || {
            format!(
                "city `{}`, indicator `{}`, year {}",
                echo(&self.city),
                echo(&self.indicator),
                self.year
            )
        };
        interval_problem(self.value, self.low, self.high).map(|m| format!("{}: {m}", at()))
    }
}

/// Why `low <= value <= high` fails (each bound optional), or `None`.
pub fn interval_problem(value: f64, low: Option<f64>, high: Option<f64>) -> Option<String> {
    for (name, bound) in [("low", low), ("high", high)] {
        if bound.is_some_and(|b| !b.is_finite()) {
            return Some(format!("`{name}` is not a finite number"));
        }
    }
    match (low, high) {
        (Some(l), _) if l > value => Some(format!(
            "`low` {l} is above `value` {value}: the interval must hold the value (low <= value <= high)"
        )),
        (_, Some(h)) if h < value => Some(format!(
            "`high` {h} is below `value` {value}: the interval must hold the value (low <= value <= high)"
        )),
        _ => None,
    }
}

/// A set of observations with where each came from (for error messages).
#[derive(Debug, Clone, Default)]
pub struct Observations {
    rows: Vec<Observation>,
    /// 1-based line (CSV) or row (Parquet) of each observation in its file.
    lines: Vec<usize>,
    file: String,
}

impl Observations {
    /// Observations built in memory (by an adapter); `origin` names them in errors.
    pub fn from_rows(rows: Vec<Observation>, origin: &str) -> Self {
        let lines = (1..=rows.len()).collect();
        Observations {
            rows,
            lines,
            file: origin.to_string(),
        }
    }

    /// Reads a CSV or Parquet file, chosen by extension (`.parquet` or anything else for CSV).
    pub fn load(path: &Path) -> Result<Self> {
        let file = path.display().to_string();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            crate::parquet::read(&bytes, &file)
        } else {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            Self::from_csv(&bytes, &file)
        }
    }

    /// Parses CSV bytes; `file` names them in errors. Every bad row is reported, with its line.
    pub fn from_csv(bytes: &[u8], file: &str) -> Result<Self> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Csv {
                file: file.to_string(),
                line: None,
                message: format!(
                    "the observations file is empty: it needs the header `{}` (optionally `,{}`) and one row per observation",
                    REQUIRED_COLUMNS.join(","),
                    COLUMNS[REQUIRED_COLUMNS.len()..].join(",")
                ),
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes);
        let header = reader.headers().map_err(|e| Error::Csv {
            file: file.to_string(),
            line: Some(1),
            message: e.to_string(),
        })?;
        let header: Vec<String> = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        let positions = column_positions(&names).map_err(|message| Error::Csv {
            file: file.to_string(),
            line: Some(1),
            message,
        })?;
        let years = year_range()?;
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        let mut problems = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| Error::Csv {
                file: file.to_string(),
                line: e
                    .position()
                    .map(|p| usize::try_from(p.line()).unwrap_or(usize::MAX)),
                message: e.to_string(),
            })?;
            let line = record
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
            // Field `k` of [`COLUMNS`] ("" where the file has no such column).
            let field = |k: usize| {
                positions[k]
                    .and_then(|i| record.get(i))
                    .unwrap_or("")
                    .trim()
            };
            let (city, indicator) = (echo(field(0)), echo(field(1)));
            let mut problem = |message: String| {
                problems.push(Problem {
                    file: file.to_string(),
                    line: Some(line),
                    message,
                });
            };
            if record.len() != names.len() {
                problem(format!(
                    "the row has {} fields and the header {}: give every row one field per column (an empty field for a missing source, flag or bound)",
                    record.len(),
                    names.len()
                ));
                continue;
            }
            if field(0).is_empty() || field(1).is_empty() {
                problem(format!(
                    "city `{city}`, indicator `{indicator}`: the city and the indicator must both be given"
                ));
                continue;
            }
            let year = match field(2).parse::<i32>() {
                Ok(year) if years.contains(&year) => Some(year),
                Ok(year) => {
                    problem(format!(
                        "city `{city}`, indicator `{indicator}`: year {year} is outside the accepted years {}: fix the year, or set {YEARS_VARIABLE}=FIRST-LAST to accept others",
                        years_text(&years)
                    ));
                    None
                }
                Err(_) => {
                    problem(format!(
                        "city `{city}`, indicator `{indicator}`: year `{}` is not a whole number: write the year as an integer such as 2019",
                        echo(field(2))
                    ));
                    None
                }
            };
            let year_shown = echo(field(2));
            let value = match field(3).parse::<f64>().map(|v| (v, magnitude_problem(v))) {
                Ok((v, None)) => Some(v),
                Ok((_, Some(why))) => {
                    problem(format!(
                            "city `{city}`, indicator `{indicator}`, year {year_shown}: value `{}` {why}",
                            echo(field(3))
                        ));
                    None
                }
                Err(_) => {
                    problem(format!(
                        "city `{city}`, indicator `{indicator}`, year {year_shown}: value `{}` is not a number (leave a missing value out rather than writing a placeholder)",
                        echo(field(3))
                    ));
                    None
                }
            };
            let flag = match field(5).parse::<Flag>() {
                Ok(f) => Some(f),
                Err(message) => {
                    problem(format!("city `{city}`, indicator `{indicator}`: {message}"));
                    None
                }
            };
            let mut bound = |i: usize, name: &str| -> Option<Option<f64>> {
                let text = field(i);
                if text.is_empty() {
                    return Some(None);
                }
                match text.parse::<f64>().map(|v| (v, magnitude_problem(v))) {
                    Ok((v, None)) => Some(Some(v)),
                    Ok((_, Some(why))) => {
                        problem(format!(
                                "city `{city}`, indicator `{indicator}`, year {year_shown}: `{name}` `{}` {why}",
                                echo(text)
                            ));
                        None
                    }
                    Err(_) => {
                        problem(format!(
                            "city `{city}`, indicator `{indicator}`, year {year_shown}: `{name}` `{}` is not a number (leave it empty when the publisher gives no interval)",
                            echo(text)
                        ));
                        None
                    }
                }
            };
            let (low, high) = (bound(6, "low"), bound(7, "high"));
            let level = match field(8) {
                "" => Some(None),
                text => match text.parse::<Level>() {
                    Ok(level) => Some(Some(level)),
                    Err(message) => {
                        problem(format!(
                            "city `{city}`, indicator `{indicator}`, year {year_shown}: {message}"
                        ));
                        None
                    }
                },
            };
            if let (Some(year), Some(value), Some(flag), Some(low), Some(high), Some(level)) =
                (year, value, flag, low, high, level)
            {
                let row = Observation {
                    city: field(0).into(),
                    indicator: field(1).into(),
                    year,
                    value,
                    source: field(4).into(),
                    flag,
                    low,
                    high,
                    level,
                };
                if let Some(message) = row.interval_problem() {
                    problem(message);
                    continue;
                }
                rows.push(row);
                lines.push(line);
            }
        }
        if rows.is_empty() && problems.is_empty() {
            return Err(Error::Csv {
                file: file.to_string(),
                line: None,
                message: "the observations file holds no observation: it has a header but no row"
                    .to_string(),
            });
        }
        Error::check(problems)?;
        Ok(Observations {
            rows,
            lines,
            file: file.to_string(),
        })
    }

    /// Checks the observations against the registry and the catalogue: known city and
    /// indicator, one value per (city, indicator, year), an interval holding its value. Every
    /// problem is reported.
    pub fn validate(&self, cities: &Cities, catalogue: &Catalogue) -> Result<()> {
        // An empty registry or catalogue would make every row a problem: say it once.
        let empty = |file: &str, message: &str| {
            Err(Error::Invalid {
                problems: vec![Problem {
                    file: file.to_string(),
                    line: None,
                    message: message.to_string(),
                }],
            })
        };
        if cities.is_empty() {
            return empty(
                cities.file(),
                "the city registry lists no city: a registry needs at least one `[[city]]` entry",
            );
        }
        if catalogue.is_empty() {
            return empty(catalogue.file(), "the indicator catalogue lists no indicator: a catalogue needs at least one `[[indicator]]` entry");
        }
        let years = year_range()?;
        let mut problems = Vec::new();
        // Each distinct city and indicator is looked up once and given a dense slot (known ones
        // only), and whether a (city, indicator, year) was seen is one bit of a dense table:
        // at millions of rows, hashing every row's strings (or even its slots) was a fifth of a
        // run and a large share of its memory.
        let mut city_slot: FxHashMap<&str, Option<u32>> = FxHashMap::default();
        let mut indicator_slot: FxHashMap<&str, Option<u32>> = FxHashMap::default();
        let (mut known_cities, mut known_indicators) = (0u32, 0u32);
        let (first_year, span) = (
            *years.start(),
            usize::try_from(i64::from(*years.end()) - i64::from(*years.start()) + 1).unwrap_or(0),
        );
        let words = span.div_ceil(64);
        let pairs = cities.len() * catalogue.len();
        let mut seen = Seen::new(pairs, words);
        // A repeat's first line is found after the pass, for the repeated keys only.
        let mut repeats: Vec<(usize, usize, (u32, u32, i32))> = Vec::new();
        for (r, (row, &line)) in self.rows.iter().zip(&self.lines).enumerate() {
            let mut problem = |message: String| {
                problems.push(Problem {
                    file: self.file.clone(),
                    line: Some(line),
                    message,
                });
            };
            let city = *city_slot.entry(row.city.as_str()).or_insert_with(|| {
                cities.get(&row.city).map(|_| {
                    known_cities += 1;
                    known_cities - 1
                })
            });
            let indicator = *indicator_slot
                .entry(row.indicator.as_str())
                .or_insert_with(|| {
                    catalogue.get(&row.indicator).map(|_| {
                        known_indicators += 1;
                        known_indicators - 1
                    })
                });
            if city.is_none() {
                problem(format!(
                    "unknown city `{}` (indicator `{}`, year {}): add it to `{}` or fix the id",
                    echo(&row.city),
                    echo(&row.indicator),
                    row.year,
                    cities.file()
                ));
            }
            if indicator.is_none() {
                problem(format!(
                    "unknown indicator `{}` (city `{}`, year {}): add it to `{}` or fix the id",
                    echo(&row.indicator),
                    echo(&row.city),
                    row.year,
                    catalogue.file()
                ));
            }
            if !years.contains(&row.year) {
                problem(format!(
                    "city `{}`, indicator `{}`: year {} is outside the accepted years {}: fix the year, or set {YEARS_VARIABLE}=FIRST-LAST to accept others",
                    echo(&row.city),
                    echo(&row.indicator),
                    row.year,
                    years_text(&years)
                ));
            }
            for (name, x) in [
                ("value", Some(row.value)),
                ("low", row.low),
                ("high", row.high),
            ] {
                if let Some(why) = x.and_then(magnitude_problem) {
                    problem(format!(
                        "city `{}`, indicator `{}`, year {}: `{name}` {} {why}",
                        echo(&row.city),
                        echo(&row.indicator),
                        row.year,
                        number(x.unwrap_or_default())
                    ));
                }
            }
            if let Some(message) = row.interval_problem() {
                problem(message);
            }
            let (Some(city), Some(indicator)) = (city, indicator) else {
                continue; // unknown, said above: not a duplicate of anything known
            };
            if !years.contains(&row.year) {
                continue; // said above
            }
            let pair = city as usize * catalogue.len() + indicator as usize;
            let year = (i64::from(row.year) - i64::from(first_year)) as usize;
            if seen.insert(pair, year, (city, indicator, row.year)) {
                problem(String::new()); // said below, with the first line
                repeats.push((problems.len() - 1, r, (city, indicator, row.year)));
            }
        }
        if !repeats.is_empty() {
            let wanted: FxHashSet<(u32, u32, i32)> = repeats.iter().map(|(_, _, k)| *k).collect();
            let mut first: FxHashMap<(u32, u32, i32), usize> = FxHashMap::default();
            for (row, &line) in self.rows.iter().zip(&self.lines) {
                let slots = (
                    city_slot.get(row.city.as_str()).copied().flatten(),
                    indicator_slot
                        .get(row.indicator.as_str())
                        .copied()
                        .flatten(),
                );
                if let (Some(c), Some(i)) = slots {
                    let key = (c, i, row.year);
                    if wanted.contains(&key) {
                        first.entry(key).or_insert(line);
                    }
                }
            }
            for (at, r, key) in repeats {
                let row = &self.rows[r];
                problems[at].message = format!(
                    "duplicate value for city `{}`, indicator `{}`, year {} (first on line {}): keep one",
                    echo(&row.city),
                    echo(&row.indicator),
                    row.year,
                    first.get(&key).copied().unwrap_or_default()
                );
            }
        }
        Error::check(problems)
    }

    /// The observations, in file order.
    pub fn rows(&self) -> &[Observation] {
        &self.rows
    }

    /// The file they were read from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Sorts by city, indicator and year: the canonical order of written files.
    pub fn sort(&mut self) {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.rows[a], &self.rows[b]);
            (&x.city, &x.indicator, x.year).cmp(&(&y.city, &y.indicator, y.year))
        });
        self.rows = order.iter().map(|&i| self.rows[i].clone()).collect();
        self.lines = order.iter().map(|&i| self.lines[i]).collect();
    }

    /// Whether any row says its level (the `level` column is written only then, so files
    /// of city and proxy-flagged national values keep their eight columns).
    pub fn has_levels(&self) -> bool {
        self.rows.iter().any(|r| r.level.is_some())
    }

    /// Writes CSV with the columns of [`COLUMNS`] (values in their shortest round-trip form;
    /// `low` and `high` empty when unknown; `level` only when a row has one, see
    /// [`Observations::has_levels`]).
    pub fn write_csv<W: Write>(&self, out: W) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        let n = if self.has_levels() { 9 } else { 8 };
        writer.write_record(&COLUMNS[..n])?;
        for row in &self.rows {
            let fields = [
                row.city.as_str(),
                row.indicator.as_str(),
                &row.year.to_string(),
                &row.value.to_string(),
                row.source.as_str(),
                row.flag.as_str(),
                &row.low.map(|v| v.to_string()).unwrap_or_default(),
                &row.high.map(|v| v.to_string()).unwrap_or_default(),
                row.level.map_or("", Level::as_str),
            ];
            writer.write_record(&fields[..n])?;
        }
        writer.flush()
    }

    /// Writes Parquet.
    pub fn write_parquet<W: Write>(&self, out: W) -> Result<()> {
        crate::parquet::write(self, out, &self.file)
    }
}

/// Which (city, indicator) pair and year [`Observations::validate`] has seen: one bit each in
/// a dense table of `pairs x words` 64-bit words (the registry's cities times the catalogue's
/// indicators, times the accepted years in words) where that is at most 64 Mi words (512 MiB),
/// else a hash set of the keys.
enum Seen {
    Dense { bits: Vec<u64>, words: usize },
    Sparse(FxHashSet<(u32, u32, i32)>),
}

impl Seen {
    fn new(pairs: usize, words: usize) -> Self {
        match pairs.checked_mul(words) {
            Some(n) if n <= 1 << 26 => Seen::Dense {
                bits: vec![0; n],
                words,
            },
            _ => Seen::Sparse(FxHashSet::default()),
        }
    }

    /// Marks `year` (an offset in the accepted years) of `pair` (or `key`, when sparse) as
    /// seen; whether it was seen before.
    fn insert(&mut self, pair: usize, year: usize, key: (u32, u32, i32)) -> bool {
        match self {
            Seen::Dense { bits, words } => {
                let (word, mask) = (pair * *words + year / 64, 1u64 << (year % 64));
                let before = bits[word] & mask != 0;
                bits[word] |= mask;
                before
            }
            Seen::Sparse(keys) => !keys.insert(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITIES: &str = "[[city]]\nid = \"london\"\nname = \"London\"\ncountry = \"GBR\"\nregion = \"Europe\"\nlatitude = 51.5\nlongitude = -0.1\n";
    const CATALOGUE: &str = "[[indicator]]\nid = \"pm25\"\nname = \"P\"\nunit = \"u\"\ndirection = \"lower\"\nlevel = \"city\"\nsource = { adapter = \"x\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }\n";

    fn check(csv: &str) -> String {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        match Observations::from_csv(csv.as_bytes(), "obs.csv") {
            Err(e) => e.to_string(),
            Ok(obs) => match obs.validate(&cities, &catalogue) {
                Err(e) => e.to_string(),
                Ok(()) => "ok".to_string(),
            },
        }
    }

    #[test]
    fn reads_valid_observations() {
        let text = "city,indicator,year,value,source,flag\nlondon,pm25,2019,11.41,who-aap-v5,\n";
        assert_eq!(check(text), "ok");
        let obs = Observations::from_csv(text.as_bytes(), "obs.csv").unwrap();
        assert_eq!(obs.rows()[0].value, 11.41);
        assert_eq!(obs.rows()[0].flag, Flag::None);
    }

    #[test]
    fn rejects_a_value_that_is_not_a_number() {
        let e = check("city,indicator,year,value,source,flag\nlondon,pm25,2019,n/a,s,\n");
        assert_eq!(e, "obs.csv:2: city `london`, indicator `pm25`, year 2019: value `n/a` is not a number (leave a missing value out rather than writing a placeholder)");
    }

    #[test]
    fn rejects_an_unknown_city_and_indicator() {
        let e = check("city,indicator,year,value,source,flag\nlondon-ca,pm25,2019,1,s,\nlondon,pm10,2019,1,s,\n");
        assert!(e.contains("obs.csv:2: unknown city `london-ca` (indicator `pm25`, year 2019): add it to `cities.toml` or fix the id"), "{e}");
        assert!(e.contains("obs.csv:3: unknown indicator `pm10` (city `london`, year 2019): add it to `catalogue.toml` or fix the id"), "{e}");
    }

    #[test]
    fn rejects_a_duplicate_city_indicator_year() {
        let e = check(
            "city,indicator,year,value,source,flag\nlondon,pm25,2019,1,s,\nlondon,pm25,2019,2,s,\n",
        );
        assert_eq!(e, "obs.csv:3: duplicate value for city `london`, indicator `pm25`, year 2019 (first on line 2): keep one");
    }

    #[test]
    fn every_repeat_names_the_first_line_in_file_order_among_the_rows_other_problems() {
        // Lines 4 and 5 repeat line 2; line 3's indicator is unknown (no repeat of anything).
        let e = check(
            "city,indicator,year,value\nlondon,pm25,2019,1\nlondon,pm10,2019,1\nlondon,pm25,2019,2\nlondon,pm25,2019,3\n",
        );
        assert!(e.starts_with("3 problems found:\n"), "{e}");
        let lines: Vec<&str> = e.lines().skip(1).map(str::trim).collect();
        assert!(
            lines[0].starts_with("obs.csv:3: unknown indicator `pm10`"),
            "{e}"
        );
        for (line, n) in lines[1..].iter().zip([4, 5]) {
            assert_eq!(
                *line,
                format!("obs.csv:{n}: duplicate value for city `london`, indicator `pm25`, year 2019 (first on line 2): keep one"),
                "{e}"
            );
        }
    }

    #[test]
    fn rejects_a_wrong_header() {
        let e = check("city,indicator,value,year,value,note\nlondon,pm25,1\n");
        assert_eq!(e, "`obs.csv`:1: the columns are `city,indicator,value,year,value,note` (`value` is given twice; `note` is not an observations column): observations need `city,indicator,year,value`, and may add `source,flag,low,high,level` (in any order)");
        let e = check("city,indicator,value\nlondon,pm25,1\n");
        assert!(e.contains("(`year` missing)"), "{e}");
    }

    #[test]
    fn reads_the_four_required_columns_in_any_order_and_rows_of_the_wrong_width_at_once() {
        let obs = Observations::from_csv(
            b"value,year,indicator,city\n12.5,2019,pm25,london\n",
            "mine.csv",
        )
        .unwrap();
        let row = &obs.rows()[0];
        assert_eq!(
            (
                row.city.as_str(),
                row.indicator.as_str(),
                row.year,
                row.value
            ),
            ("london", "pm25", 2019, 12.5)
        );
        assert_eq!(
            (row.source.as_str(), row.flag, row.low),
            ("", Flag::None, None)
        );
        let e = Observations::from_csv(
            b"city,indicator,year,value\nlondon,pm25,2019\nparis,pm25,2019,1,x\nrome,pm25,x,1\n",
            "mine.csv",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "3 problems found:\n  mine.csv:2: the row has 3 fields and the header 4: give every row one field per column (an empty field for a missing source, flag or bound)\n  mine.csv:3: the row has 5 fields and the header 4: give every row one field per column (an empty field for a missing source, flag or bound)\n  mine.csv:4: city `rome`, indicator `pm25`: year `x` is not a whole number: write the year as an integer such as 2019");
    }

    #[test]
    fn csv_round_trips_exactly() {
        let text = "city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,0.1,s,proxy,,\nlondon,pm25,2020,14.790000000000001,s,,9.5,21.25\n";
        let obs = Observations::from_csv(text.as_bytes(), "obs.csv").unwrap();
        assert_eq!(
            (obs.rows()[1].low, obs.rows()[1].high),
            (Some(9.5), Some(21.25))
        );
        let mut out = Vec::new();
        obs.write_csv(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn reads_a_file_without_the_interval_columns_and_writes_them_empty() {
        let text = "city,indicator,year,value,source,flag\nlondon,pm25,2019,0.1,s,proxy\n";
        assert_eq!(check(text), "ok");
        let obs = Observations::from_csv(text.as_bytes(), "obs.csv").unwrap();
        assert_eq!((obs.rows()[0].low, obs.rows()[0].high), (None, None));
        let mut out = Vec::new();
        obs.write_csv(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,0.1,s,proxy,,\n"
        );
    }

    #[test]
    fn accepts_a_one_sided_or_degenerate_interval() {
        let text = "city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,5,s,,5,\nlondon,pm25,2020,5,s,,,5\nlondon,pm25,2021,5,s,,5,5\n";
        assert_eq!(check(text), "ok");
    }

    #[test]
    fn rejects_an_interval_that_does_not_hold_the_value_naming_line_city_indicator_and_year() {
        let e = check("city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,11.41,s,,9.5,12\nlondon,pm25,2020,11.41,s,,12,13\n");
        assert_eq!(e, "obs.csv:3: city `london`, indicator `pm25`, year 2020: `low` 12 is above `value` 11.41: the interval must hold the value (low <= value <= high)");
        let e = check(
            "city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,11.41,s,,9.5,11\n",
        );
        assert_eq!(e, "obs.csv:2: city `london`, indicator `pm25`, year 2019: `high` 11 is below `value` 11.41: the interval must hold the value (low <= value <= high)");
        let e = check(
            "city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,11.41,s,,about 9,\n",
        );
        assert_eq!(e, "obs.csv:2: city `london`, indicator `pm25`, year 2019: `low` `about 9` is not a number (leave it empty when the publisher gives no interval)");
    }

    #[test]
    fn the_level_column_is_read_written_only_when_given_and_proxy_means_national() {
        let text = "city,indicator,year,value,source,flag,low,high,level\nlondon,pm25,2019,10,s,,,,metro\nlondon,pm25,2020,11,s,proxy,,,\nlondon,pm25,2021,12,s,,,,\n";
        let obs = Observations::from_csv(text.as_bytes(), "obs.csv").unwrap();
        let levels: Vec<(Option<Level>, Level)> = obs
            .rows()
            .iter()
            .map(|r| (r.level, r.effective_level()))
            .collect();
        assert_eq!(
            levels,
            [
                (Some(Level::Metro), Level::Metro),
                (None, Level::National),
                (None, Level::City)
            ]
        );
        let mut out = Vec::new();
        obs.write_csv(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
        // Without a level anywhere, the file keeps its eight columns.
        let plain = "city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,10,s,,,\n";
        let obs = Observations::from_csv(plain.as_bytes(), "obs.csv").unwrap();
        let mut out = Vec::new();
        obs.write_csv(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), plain);
        // And through Parquet.
        let obs = Observations::from_csv(text.as_bytes(), "obs.csv").unwrap();
        let mut bytes = Vec::new();
        obs.write_parquet(&mut bytes).unwrap();
        let back = crate::parquet::read(&bytes, "obs.parquet").unwrap();
        assert_eq!(back.rows(), obs.rows());
    }

    #[test]
    fn validate_rejects_an_interval_built_in_memory_that_does_not_hold_the_value() {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        let obs = Observations::from_rows(
            vec![Observation {
                city: "london".into(),
                indicator: "pm25".into(),
                year: 2019,
                value: 3.0,
                source: "s".into(),
                flag: Flag::None,
                low: Some(1.0),
                high: Some(2.0),
                level: None,
            }],
            "ingested observations",
        );
        assert_eq!(
            obs.validate(&cities, &catalogue).unwrap_err().to_string(),
            "ingested observations:1: city `london`, indicator `pm25`, year 2019: `high` 2 is below `value` 3: the interval must hold the value (low <= value <= high)"
        );
    }

    #[test]
    fn parquet_round_trips_exactly() {
        let text = "city,indicator,year,value,source,flag,low,high\nlondon,pm25,2019,0.1,s,proxy,,\nlondon,pm25,2020,14.790000000000001,s,,9.5,21.25\n";
        let obs = Observations::from_csv(text.as_bytes(), "obs.csv").unwrap();
        let mut bytes = Vec::new();
        obs.write_parquet(&mut bytes).unwrap();
        let back = crate::parquet::read(&bytes, "obs.parquet").unwrap();
        assert_eq!(back.rows(), obs.rows());
    }
}
