//! Building the snapshot: every catalogue indicator read from its source, matched to the
//! registry, checked (one value per city, indicator and year) and reported.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use healthy_city_model::{
    Catalogue, Cities, City, Flag, Indicator, Level, Observation, Observations, SourceSpec,
};

use crate::bounds::{echo, years};
use crate::error::{Conflict, Error, Result};
use crate::provenance::sources_md;
use crate::publishers::{is_aggregate_code, Adapter};
use crate::report::{IndicatorReport, IngestReport, PlaceKind, UnmatchedPlace};
use crate::snapshot::Snapshot;
use crate::source::{Files, Loaded, Sources};
use crate::table::{SourceRecord, SourceTable};

/// A value held for one (city, year) of an indicator while the file is read.
struct Held<'a> {
    record: &'a SourceRecord,
}

/// Reads every catalogue indicator from its file under `data_dir`, matches places to the
/// registry (aliases for city-level sources, `country` for national ones), keeps reference years
/// from `first_year` on, and returns the sorted, validated observations with a report and the
/// text of `SOURCES.md`.
///
/// A national value used for a city is flagged `proxy`. Two different values for the same city,
/// indicator and year from one source are an error (identical repeats are kept once; a WHO AAP
/// settlement-year repeated from an older database version gives way to the newer one).
pub fn build_snapshot(
    data_dir: &Path,
    cities: &Cities,
    catalogue: &Catalogue,
    first_year: i32,
) -> Result<Snapshot> {
    assemble(&mut Files(data_dir), cities, catalogue, first_year, None)
}

/// [`build_snapshot`] over any [`Sources`]; a source loaded with `failed` set takes its
/// indicators' values from `previous`.
pub(crate) fn assemble(
    sources: &mut dyn Sources,
    cities: &Cities,
    catalogue: &Catalogue,
    first_year: i32,
    previous: Option<&Observations>,
) -> Result<Snapshot> {
    check_first_year(first_year)?;
    catalogue.check_ingest().map_err(Error::Invalid)?;
    let mut loaded: BTreeMap<String, Loaded> = BTreeMap::new();
    let mut by_country: HashMap<&str, Vec<&City>> = HashMap::new();
    for city in cities.iter() {
        by_country
            .entry(city.country.as_deref().unwrap_or_default())
            .or_default()
            .push(city);
    }
    let mut rows = Vec::new();
    let mut reports = Vec::new();
    // An indicator with fallback sources is read once per source; each city keeps the series
    // of the first source that has values for it.
    let variants: Vec<Indicator> = catalogue.iter().flat_map(Indicator::by_source).collect();
    let mut served: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut take = |indicator: &Indicator,
                    mut report: IndicatorReport,
                    mut kept: Vec<Observation>,
                    rows: &mut Vec<Observation>,
                    reports: &mut Vec<IndicatorReport>| {
        let earlier = served.entry(indicator.id.clone()).or_default();
        let before: BTreeSet<String> = kept.iter().map(|o| o.city.to_string()).collect();
        kept.retain(|o| !earlier.contains(o.city.as_str()));
        let after: BTreeSet<String> = kept.iter().map(|o| o.city.to_string()).collect();
        report.earlier_source = before.len() - after.len();
        report.kept = kept.len();
        report.cities_matched = after.len();
        report.cities_without_value = cities
            .iter()
            .filter(|c| !after.contains(&c.id))
            .map(|c| c.id.clone())
            .collect();
        earlier.extend(after);
        rows.extend(kept);
        reports.push(report);
    };
    for indicator in &variants {
        let spec = spec(indicator)?;
        let catalogue_error = |message: String| Error::Catalogue {
            indicator: indicator.id.clone(),
            message,
        };
        let adapter = Adapter::from_name(&spec.adapter).ok_or_else(|| {
            catalogue_error(format!(
                "unknown adapter `{}`: use one of {}",
                spec.adapter,
                Adapter::names()
            ))
        })?;
        let file = &sources.key(indicator, adapter)?;
        if !loaded.contains_key(file) {
            let source = sources.load(file, indicator, adapter)?;
            loaded.insert(file.clone(), source);
        }
        let Some(source) = loaded.get(file) else {
            continue;
        };
        if let Some(why) = &source.failed {
            let (report, kept) = keep_previous(indicator, adapter, file, why, previous, cities);
            take(indicator, report, kept, &mut rows, &mut reports);
            continue;
        }
        if source.adapter != adapter {
            return Err(catalogue_error(format!(
                "file `{file}` is read with adapter `{}` here but with another adapter by an earlier indicator: use one adapter per file",
                spec.adapter
            )));
        }
        // A wide table is parsed for one value column (the first indicator's query); another
        // indicator reading another column of the same file parses it again for its own.
        let reparsed;
        let table = if adapter == Adapter::Table
            && !source
                .table
                .measures
                .contains(&adapter.measure(&spec.query))
        {
            reparsed = sources.load(file, indicator, adapter)?;
            &reparsed.table
        } else {
            &source.table
        };
        if let Some(release) = &table.release {
            if release != &spec.release {
                return Err(catalogue_error(format!(
                    "`{file}` states release `{release}` but the catalogue says `{}`: correct the catalogue's `release`",
                    spec.release
                )));
            }
        }
        let measure = adapter.measure(&spec.query);
        if !table.measures.contains(&measure) {
            let known: Vec<String> = table
                .measures
                .iter()
                .take(12)
                .map(|m| format!("`{m}`"))
                .collect();
            return Err(catalogue_error(format!(
                "query `{}` names nothing in `{file}`; it has {}",
                spec.query,
                known.join(", ")
            )));
        }
        let (mut report, kept) = ingest_indicator(
            indicator,
            adapter,
            table,
            &measure,
            cities,
            &by_country,
            first_year,
        )?;
        if let Some(download) = source.downloads.first() {
            report.origin = Some(download.origin.as_str().to_string());
        }
        take(indicator, report, kept, &mut rows, &mut reports);
    }
    check_kept(&reports, first_year, rows.len())?;
    let mut observations = Observations::from_rows(rows, "ingested observations");
    observations.sort();
    observations
        .validate(cities, catalogue)
        .map_err(Error::Invalid)?;
    let report = IngestReport {
        first_year,
        registry_cities: cities.len(),
        indicators: reports,
    };
    let mut keys = Vec::new();
    for indicator in &variants {
        if let Some(adapter) = Adapter::from_name(&spec(indicator)?.adapter) {
            keys.push(sources.key(indicator, adapter)?);
        }
    }
    let sources_md = sources_md(&variants, &keys, &loaded, &report, &observations);
    Ok(Snapshot {
        observations,
        report,
        sources_md,
        accepted: Vec::new(),
    })
}

/// The first year kept must be one a value may refer to ([`years`]): a later
/// one keeps nothing, an earlier one means the same as 1800 and is a typo.
pub(crate) fn check_first_year(first_year: i32) -> Result<()> {
    let years = years();
    if years.contains(&first_year) {
        Ok(())
    } else {
        Err(Error::Incomplete(format!(
            "the first year kept, {first_year}, is outside {}..={}, the years a value may refer to: give a year in that range (the default is 2000)",
            years.start(),
            years.end()
        )))
    }
}

/// Fails a build that would keep no value of an indicator, or no value at all, saying for
/// each such indicator why: every value before `first_year` (with the latest year it has), no
/// place matching a registry city, no value in the source, or a failed source whose values a
/// partial build would keep from a previous snapshot that holds none (a partial build keeps
/// previous values; it never empties an indicator).
fn check_kept(reports: &[IndicatorReport], first_year: i32, rows: usize) -> Result<()> {
    let empty: Vec<&IndicatorReport> = reports.iter().filter(|r| r.kept == 0).collect();
    if empty.is_empty() && (rows > 0 || reports.is_empty()) {
        return Ok(());
    }
    let why = |r: &IndicatorReport| {
        match r.latest_year {
        _ if r.failed.is_some() => format!(
            "its source failed ({}) and the previous snapshot holds no value of it to keep",
            r.failed.as_deref().unwrap_or_default()
        ),
        _ if r.values_read == 0 => format!(
            "`{}` has no value of its query (every cell missing or empty)",
            echo(&r.file)
        ),
        Some(latest) if r.before_first_year == r.values_read => format!(
            "every value is before the first year kept, {first_year}; its latest year is {latest}"
        ),
        _ => format!(
            "no place of `{}` matched a registry city ({} places matched none; see the unmatched list)",
            echo(&r.file),
            r.unmatched
        ),
    }
    };
    let mut lines: Vec<String> = empty
        .iter()
        .take(20)
        .map(|r| format!("`{}` ({})", echo(&r.indicator), why(r)))
        .collect();
    if empty.len() > 20 {
        lines.push(format!("and {} more", empty.len() - 20));
    }
    let mut message = if rows == 0 {
        "the snapshot would hold no observation".to_string()
    } else {
        format!(
            "{} would keep no value",
            if empty.len() == 1 {
                "1 indicator".to_string()
            } else {
                format!("{} indicators", empty.len())
            }
        )
    };
    if !lines.is_empty() {
        message.push_str(": ");
        message.push_str(&lines.join(", "));
    }
    let latest = empty
        .iter()
        .filter(|r| r.values_read > 0 && r.before_first_year == r.values_read)
        .filter_map(|r| r.latest_year)
        .min();
    if let Some(latest) = latest {
        let _ = write!(
            message,
            "; give a first year kept of {latest} or earlier to keep them"
        );
    }
    Err(Error::Incomplete(message))
}

/// The source of an indicator to ingest (every indicator has one once
/// [`Catalogue::check_ingest`] passed; the error is for callers that skip the check).
pub(crate) fn spec(indicator: &Indicator) -> Result<&SourceSpec> {
    indicator.source.as_ref().ok_or_else(|| Error::Catalogue {
        indicator: indicator.id.clone(),
        message: "it has no `source`: give `source = { adapter, publisher, dataset, release, licence, query }` to ingest it".to_string(),
    })
}

/// Matches one indicator's records to cities and checks one value per (city, year).
fn ingest_indicator(
    indicator: &Indicator,
    adapter: Adapter,
    table: &SourceTable,
    measure: &str,
    cities: &Cities,
    by_country: &HashMap<&str, Vec<&City>>,
    first_year: i32,
) -> Result<(IndicatorReport, Vec<Observation>)> {
    let key = adapter.key(spec(indicator)?);
    let alias = adapter.alias_source(indicator);
    let matches = |place: &str| -> Vec<&City> {
        match &alias {
            Some(source) => cities.by_alias(source, place).into_iter().collect(),
            None => by_country.get(place).cloned().unwrap_or_default(),
        }
    };
    let mut report = IndicatorReport {
        indicator: indicator.id.clone(),
        source: key.clone(),
        file: table.file.clone(),
        rows_read: table.rows_read,
        values_read: 0,
        before_first_year: 0,
        latest_year: None,
        kept: 0,
        duplicates: 0,
        superseded: 0,
        confidential: 0,
        cities_matched: 0,
        earlier_source: 0,
        cities_without_value: Vec::new(),
        unmatched: 0,
        unmatched_names: None,
        unmatched_places: Vec::new(),
        origin: None,
        failed: None,
        statuses: BTreeMap::new(),
    };
    let mut held: BTreeMap<(&str, i32), Held> = BTreeMap::new();
    for record in table.records.iter().filter(|r| r.measure == measure) {
        report.values_read += 1;
        report.latest_year = report.latest_year.max(Some(record.year));
        if let Some(direction) = record.direction {
            if direction != indicator.direction {
                return Err(Error::Catalogue {
                    indicator: indicator.id.clone(),
                    message: format!(
                        "`{}` {} gives direction `{direction}` for `{measure}` but the catalogue says `{}`",
                        table.file,
                        table.at(record.line),
                        indicator.direction
                    ),
                });
            }
        }
        if record.year < first_year {
            report.before_first_year += 1;
            continue;
        }
        for city in matches(&record.place) {
            let slot = (city.id.as_str(), record.year);
            let Some(first) = held.get(&slot).map(|h| h.record) else {
                held.insert(slot, Held { record });
                continue;
            };
            if first.value == record.value && first.flag == record.flag {
                report.duplicates += 1;
            } else if first.place == record.place && first.revision != record.revision {
                report.superseded += 1;
                if record.revision > first.revision {
                    held.insert(slot, Held { record });
                }
            } else {
                let fix = if first.place == record.place && alias.is_none() {
                    format!(
                        "the source gives two values for `{}` in {}: check the query (a breakdown such as sex may be missing from it) or report it to the publisher",
                        record.place, record.year
                    )
                } else if first.place == record.place {
                    format!(
                        "the file has two rows for `{}` in {}: correct the file, or remove the alias `{}` from `cities.toml`",
                        record.place, record.year, record.place
                    )
                } else {
                    format!(
                        "the source spells the city two ways: keep one by removing the alias `{}` (or `{}`) from the `{}` aliases of `{}` in `cities.toml`",
                        record.place,
                        first.place,
                        alias.as_deref().unwrap_or("country"),
                        city.id
                    )
                };
                return Err(Error::Conflict(Box::new(Conflict {
                    file: table.file.clone(),
                    city: city.id.clone(),
                    indicator: indicator.id.clone(),
                    year: record.year,
                    first: first.value,
                    first_at: table.at(first.line),
                    first_place: first.place.clone(),
                    second: record.value,
                    second_at: table.at(record.line),
                    second_place: record.place.clone(),
                    fix,
                })));
            }
        }
    }
    report.confidential = table
        .confidential
        .iter()
        .filter(|c| c.measure == measure && c.year >= first_year)
        .filter(|c| !matches(&c.place).is_empty())
        .count();
    let matched: BTreeSet<&str> = held.keys().map(|(city, _)| *city).collect();
    report.cities_matched = matched.len();
    report.cities_without_value = cities
        .iter()
        .filter(|c| !matched.contains(c.id.as_str()))
        .map(|c| c.id.clone())
        .collect();
    let unmatched: Vec<&String> = table
        .places
        .iter()
        .filter(|p| matches(p).is_empty())
        .collect();
    let mut values: HashMap<&str, usize> = HashMap::new();
    for record in table.records.iter().filter(|r| r.measure == measure) {
        *values.entry(record.place.as_str()).or_insert(0) += 1;
    }
    let mut places: BTreeMap<&str, UnmatchedPlace> = BTreeMap::new();
    for place in &unmatched {
        let kind = if is_aggregate_code(place) {
            PlaceKind::Aggregate
        } else {
            PlaceKind::Place
        };
        places.insert(
            place,
            UnmatchedPlace {
                code_or_name: (*place).clone(),
                country: adapter.country_of(place, alias.is_none(), kind == PlaceKind::Aggregate),
                kind,
                rows: values.get(place.as_str()).copied().unwrap_or(0),
            },
        );
    }
    for (code, rows) in &table.aggregates {
        if !matches(code).is_empty() {
            continue;
        }
        let entry = places.entry(code).or_insert_with(|| UnmatchedPlace {
            code_or_name: code.clone(),
            country: None,
            kind: PlaceKind::Aggregate,
            rows: 0,
        });
        entry.kind = PlaceKind::Aggregate;
        entry.rows += rows;
    }
    report.unmatched = places.len();
    report.unmatched_places = places.into_values().collect();
    if adapter.lists_unmatched() {
        report.unmatched_names = Some(unmatched.into_iter().cloned().collect());
    }
    for h in held.values() {
        if let Some(status) = &h.record.status {
            *report.statuses.entry(status.clone()).or_insert(0) += 1;
        }
    }
    let observations: Vec<Observation> = held
        .into_iter()
        .map(|((city, year), h)| Observation {
            city: city.into(),
            indicator: indicator.id.as_str().into(),
            year,
            value: h.record.value,
            source: key.as_str().into(),
            flag: if indicator.is_national() {
                Flag::Proxy
            } else {
                h.record.flag
            },
            low: h.record.low,
            high: h.record.high,
            // City values and national proxies say their level by their flag; a metro or
            // regional value says it in the `level` column (the world snapshot has none, so
            // its file is unchanged).
            level: indicator
                .level
                .filter(|level| matches!(level, Level::Metro | Level::Region)),
        })
        .collect();
    report.kept = observations.len();
    Ok((report, observations))
}

/// An indicator whose source failed under `--allow-partial`: its values in the previous
/// snapshot, unchanged (same source key and flags), and a report saying so.
fn keep_previous(
    indicator: &Indicator,
    adapter: Adapter,
    file: &str,
    why: &str,
    previous: Option<&Observations>,
    cities: &Cities,
) -> (IndicatorReport, Vec<Observation>) {
    let key = indicator
        .source
        .as_ref()
        .map_or_else(String::new, |spec| adapter.key(spec));
    let kept: Vec<Observation> = previous
        .map(|p| {
            p.rows()
                .iter()
                .filter(|o| o.indicator == indicator.id && o.source == key)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let matched: BTreeSet<&str> = kept.iter().map(|o| o.city.as_str()).collect();
    let report = IndicatorReport {
        indicator: indicator.id.clone(),
        source: key,
        file: file.to_string(),
        rows_read: 0,
        values_read: 0,
        before_first_year: 0,
        latest_year: kept.iter().map(|o| o.year).max(),
        kept: kept.len(),
        duplicates: 0,
        superseded: 0,
        confidential: 0,
        cities_matched: matched.len(),
        earlier_source: 0,
        cities_without_value: cities
            .iter()
            .filter(|c| !matched.contains(c.id.as_str()))
            .map(|c| c.id.clone())
            .collect(),
        unmatched: 0,
        unmatched_names: None,
        unmatched_places: Vec::new(),
        origin: None,
        failed: Some(why.to_string()),
        statuses: BTreeMap::new(),
    };
    (report, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    use crate::report::write_report;
    use crate::snapshot::write_snapshot;

    const CITIES: &str = r#"
[[city]]
id = "london"
name = "London"
country = "GBR"
region = "Europe & Central Asia"
latitude = 51.51
longitude = -0.13
aliases = { who_aap = ["GBR/London"], lenstore = ["London"] }

[[city]]
id = "new-york"
name = "New York"
country = "USA"
region = "North America"
latitude = 40.71
longitude = -74.01
aliases = { who_aap = ["USA/New York-Newark-Jersey City (Ny-Nj-Pa)"], lenstore = ["New York"] }

[[city]]
id = "frankfurt"
name = "Frankfurt"
country = "DEU"
region = "Europe & Central Asia"
latitude = 50.11
longitude = 8.68
aliases = { who_aap = ["DEU/Frankfurt Am Main", "DEU/Frankfurt"] }
"#;

    fn catalogue(extra: &str) -> Catalogue {
        let text = format!(
            r#"
[[indicator]]
id = "pm25"
name = "PM2.5"
unit = "ug/m3"
direction = "lower"
level = "city"
source = {{ adapter = "who_aap", publisher = "WHO", dataset = "AAP", release = "V5", licence = "CC BY-NC-SA 3.0 IGO", query = "PM2.5 (μg/m3)", file = "aap.csv" }}

[[indicator]]
id = "life_expectancy"
name = "Life expectancy"
unit = "years"
direction = "higher"
level = "national"
source = {{ adapter = "wdi_csv", publisher = "World Bank", dataset = "WDI", release = "2025-01-28", licence = "CC BY 4.0", query = "SP.DYN.LE00.IN", file = "wdi.csv" }}

[[indicator]]
id = "lenstore_sunshine"
name = "Sunshine"
unit = "hours"
direction = "higher"
level = "city"
source = {{ adapter = "lenstore", publisher = "Lenstore", dataset = "Healthy Lifestyle", release = "2021", licence = "report", query = "Sunshine hours(City)", file = "lenstore.csv" }}
{extra}"#
        );
        Catalogue::parse(&text, "catalogue.toml").unwrap()
    }

    const AAP: &str = "WHO Region,ISO3,WHO Country Name,City or Locality,Measurement Year,PM2.5 (μg/m3),PM10 (μg/m3),NO2 (μg/m3),Version of the database
Eur,GBR,United Kingdom,London,2019,11.41,20.51,34.83,2022
Amr,CAN,Canada,London,2019,7,,11,2022
Amr,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),2018,7.6,,,2022
Amr,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),2018,7.6,,,2022
Amr,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),1999,9.9,,,2016
Eur,DEU,Germany,Frankfurt Am Main,2013,16.94,23.27,,2022
";

    const WDI: &str = "\"Data Source\",\"World Development Indicators\",

\"Last Updated Date\",\"2025-01-28\",

\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"2019\",\"2020\",
\"United Kingdom\",\"GBR\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"81.4\",\"80.35\",
\"Canada\",\"CAN\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"82.2\",\"81.7\",
\"World\",\"WLD\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"72.8\",\"72.0\",
";

    const LENSTORE: &str = "City,Rank,Sunshine hours(City)
London,38,1633
New York,42,2535
Atlantis,1,4000
";

    /// A data folder with the three fixture files, removed on drop.
    struct Folder(PathBuf);

    impl Folder {
        fn new(name: &str, aap: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("healthy-city-ingest-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("aap.csv"), aap).unwrap();
            std::fs::write(dir.join("wdi.csv"), WDI).unwrap();
            std::fs::write(dir.join("lenstore.csv"), LENSTORE).unwrap();
            Folder(dir)
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn build(folder: &Folder, extra: &str) -> Result<Snapshot> {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        build_snapshot(&folder.0, &cities, &catalogue(extra), 2000)
    }

    fn values(snapshot: &Snapshot, indicator: &str) -> Vec<(String, i32, f64, Flag)> {
        snapshot
            .observations
            .rows()
            .iter()
            .filter(|o| o.indicator == indicator)
            .map(|o| (o.city.to_string(), o.year, o.value, o.flag))
            .collect()
    }

    fn build_from(folder: &Folder, first_year: i32) -> Result<Snapshot> {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        build_snapshot(&folder.0, &cities, &catalogue(""), first_year)
    }

    #[test]
    fn a_first_year_outside_the_years_of_values_is_an_error() {
        let folder = Folder::new("first-year-range", AAP);
        for year in [3000, 2101, 1799, -2019, i32::MAX] {
            let err = build_from(&folder, year).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("the snapshot is left as it was: the first year kept, {year}, is outside 1800..=2100, the years a value may refer to: give a year in that range (the default is 2000)")
            );
        }
        // The bounds themselves are settings (2100 then keeps nothing: see below).
        assert!(build_from(&folder, 1800).is_ok());
    }

    /// `--first-year` past every value of an indicator fails the build naming the indicator
    /// and its latest year, and the snapshot written before stays as it was.
    #[test]
    fn a_first_year_past_an_indicators_data_fails_and_leaves_the_snapshot() {
        let folder = Folder::new("first-year-past", AAP);
        let out = folder.0.join("snapshot");
        write_snapshot(&build_from(&folder, 2000).unwrap(), &out).unwrap();
        let before = std::fs::read(out.join("observations.csv")).unwrap();
        // AAP's latest year is 2019; WDI has 2020, Lenstore 2021.
        let err = build_from(&folder, 2020)
            .and_then(|s| write_snapshot(&s, &out))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "the snapshot is left as it was: 1 indicator would keep no value: `pm25` (every value is before the first year kept, 2020; its latest year is 2019); give a first year kept of 2019 or earlier to keep them"
        );
        assert_eq!(std::fs::read(out.join("observations.csv")).unwrap(), before);
        // Past every value: no observation at all.
        let err = build_from(&folder, 2100).unwrap_err().to_string();
        assert!(
            err.starts_with("the snapshot is left as it was: the snapshot would hold no observation: `pm25` (every value is before the first year kept, 2100; its latest year is 2019), `life_expectancy` (every value is before the first year kept, 2100; its latest year is 2020), `lenstore_sunshine` (every value is before the first year kept, 2100; its latest year is 2021)"),
            "{err}"
        );
        assert!(
            err.ends_with("; give a first year kept of 2019 or earlier to keep them"),
            "{err}"
        );
        // 2019 keeps a value of each.
        assert!(build_from(&folder, 2019).is_ok());
    }

    #[test]
    fn an_indicator_whose_places_match_no_city_fails_the_build() {
        let folder = Folder::new("no-match", AAP);
        std::fs::write(
            folder.0.join("lenstore.csv"),
            "City,Rank,Sunshine hours(City)\nAtlantis,1,4000\nEl Dorado,2,3000\n",
        )
        .unwrap();
        let err = build_from(&folder, 2000).unwrap_err().to_string();
        assert_eq!(
            err,
            "the snapshot is left as it was: 1 indicator would keep no value: `lenstore_sunshine` (no place of `lenstore.csv` matched a registry city (2 places matched none; see the unmatched list))"
        );
        std::fs::write(
            folder.0.join("lenstore.csv"),
            "City,Rank,Sunshine hours(City)\nLondon,1,\nNew York,2,-\n",
        )
        .unwrap();
        let err = build_from(&folder, 2000).unwrap_err().to_string();
        assert!(
            err.contains("`lenstore_sunshine` (`lenstore.csv` has no value of its query (every cell missing or empty))"),
            "{err}"
        );
    }

    #[test]
    fn matches_london_gbr_and_never_london_can() {
        let folder = Folder::new("london", AAP);
        let snapshot = build(&folder, "").unwrap();
        let london: Vec<_> = values(&snapshot, "pm25")
            .into_iter()
            .filter(|v| v.0 == "london")
            .collect();
        assert_eq!(london, [("london".to_string(), 2019, 11.41, Flag::None)]);
        let pm25 = &snapshot.report.indicators[0];
        assert_eq!(pm25.unmatched, 1); // CAN/London
        assert_eq!(pm25.unmatched_names, None);
    }

    #[test]
    fn matches_new_york_through_its_metro_name_keeping_identical_repeats_once() {
        let folder = Folder::new("new-york", AAP);
        let snapshot = build(&folder, "").unwrap();
        let new_york: Vec<_> = values(&snapshot, "pm25")
            .into_iter()
            .filter(|v| v.0 == "new-york")
            .collect();
        // 1999 is before the first year (2000); the repeated 2018 row is kept once.
        assert_eq!(new_york, [("new-york".to_string(), 2018, 7.6, Flag::None)]);
        let pm25 = &snapshot.report.indicators[0];
        assert_eq!(
            (pm25.duplicates, pm25.before_first_year, pm25.kept),
            (1, 1, 3)
        );
        assert_eq!(snapshot.observations.rows()[0].source, "who-aap-v5");
    }

    #[test]
    fn flags_national_values_as_proxies_for_every_city_of_the_country() {
        let folder = Folder::new("national", AAP);
        let snapshot = build(&folder, "").unwrap();
        assert_eq!(
            values(&snapshot, "life_expectancy"),
            [
                ("london".to_string(), 2019, 81.4, Flag::Proxy),
                ("london".to_string(), 2020, 80.35, Flag::Proxy)
            ]
        );
        let report = &snapshot.report.indicators[1];
        assert_eq!(report.source, "wdi-2025-01-28");
        assert_eq!(report.cities_without_value, ["new-york", "frankfurt"]);
        assert_eq!(report.unmatched, 2); // CAN, WLD
    }

    #[test]
    fn reports_every_unmatched_lenstore_name() {
        let folder = Folder::new("lenstore", AAP);
        let snapshot = build(&folder, "").unwrap();
        let report = &snapshot.report.indicators[2];
        assert_eq!(report.unmatched_names, Some(vec!["Atlantis".to_string()]));
        assert_eq!(report.cities_matched, 2);
        let summary = snapshot.report.to_string();
        assert!(summary.contains("unmatched: `Atlantis`"), "{summary}");
        assert!(summary.starts_with("ingested 7 values of 3 indicators from 3 files for 3 registry cities (years from 2000)"), "{summary}");
    }

    #[test]
    fn lists_every_unmatched_place_of_every_source_with_country_kind_and_values() {
        let folder = Folder::new("unmatched", AAP);
        let snapshot = build(&folder, "").unwrap();
        // By hand from the fixtures: the AAP file's `CAN/London` (one PM2.5 value, 2019); the
        // WDI file's `CAN` (2019 and 2020) and the aggregate `WLD` (2019 and 2020); Lenstore's
        // `Atlantis` (one value).
        assert_eq!(
            snapshot.report.unmatched_csv(),
            "source,indicator,code_or_name,country,kind,rows
who-aap-v5,pm25,CAN/London,CAN,place,1
wdi-2025-01-28,life_expectancy,CAN,CAN,place,2
wdi-2025-01-28,life_expectancy,WLD,,aggregate,2
lenstore-2021,lenstore_sunshine,Atlantis,,place,1
"
        );
        assert_eq!(snapshot.report.unmatched_total(), 4);
        let summary = snapshot.report.to_string();
        assert!(
            summary.contains("; 2 places matched no city (1 of them aggregates)"),
            "{summary}"
        );
    }

    #[test]
    fn writes_the_report_atomically_into_its_own_folder() {
        let folder = Folder::new("report", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("out/ingest");
        let path = write_report(&snapshot.report, &dir).unwrap();
        assert_eq!(path, dir.join("unmatched.csv"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            snapshot.report.unmatched_csv()
        );
        // A second run replaces the file and leaves no temporary file.
        write_report(&snapshot.report, &dir).unwrap();
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["unmatched.csv"]);
        // A report folder that cannot be created is an error naming it.
        let blocked = folder.0.join("aap.csv").join("report");
        let err = write_report(&snapshot.report, &blocked)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot write `"), "{err}");
        assert!(err.contains("aap.csv/report`"), "{err}");
    }

    #[test]
    fn rejects_two_spellings_giving_different_values_naming_file_rows_city_and_fix() {
        let aap = format!("{AAP}Eur,DEU,Germany,Frankfurt,2013,20.75,31.99,46.29,2022\n");
        let folder = Folder::new("conflict", &aap);
        let err = build(&folder, "").unwrap_err().to_string();
        assert_eq!(
            err,
            "`aap.csv` line 8: two different values for city `frankfurt`, indicator `pm25`, year 2013: \
             `16.94` (line 7, `DEU/Frankfurt Am Main`) and `20.75` (`DEU/Frankfurt`); the source spells \
             the city two ways: keep one by removing the alias `DEU/Frankfurt` (or `DEU/Frankfurt Am Main`) \
             from the `who_aap` aliases of `frankfurt` in `cities.toml`"
        );
    }

    #[test]
    fn keeps_the_newer_database_version_of_a_repeated_settlement_year() {
        let aap = format!("{AAP}Eur,GBR,United Kingdom,London,2019,11.9,,,2018\n");
        let folder = Folder::new("revision", &aap);
        let snapshot = build(&folder, "").unwrap();
        let london: Vec<_> = values(&snapshot, "pm25")
            .into_iter()
            .filter(|v| v.0 == "london")
            .collect();
        assert_eq!(london, [("london".to_string(), 2019, 11.41, Flag::None)]);
        assert_eq!(snapshot.report.indicators[0].superseded, 1);
    }

    /// A Eurostat CSV export through the build: a registry city's confidential cell is
    /// counted in the report (one outside the registry or before the first year is not), and
    /// two values for one city and year in the file stop the build naming both lines.
    #[test]
    fn counts_a_citys_confidential_cells_and_rejects_two_values_for_one_year() {
        let folder = Folder::new("eurostat-csv", AAP);
        let urb = "indic_ur;cities;TIME_PERIOD;OBS_VALUE;OBS_FLAG;CONF_STATUS\r
EN2026V;UK001C;2012;39.30;;\r
EN2026V;UK001C;2013;;;C\r
EN2026V;AT001C;2013;;;C\r
EN2026V;UK001C;1999;;;C\r
";
        std::fs::write(folder.0.join("urb.csv"), urb).unwrap();
        let cities = CITIES.replace(
            "lenstore = [\"London\"] }",
            "lenstore = [\"London\"], eurostat = [\"UK001C\"] }",
        );
        let cities = Cities::parse(&cities, "cities.toml").unwrap();
        let extra = r#"
[[indicator]]
id = "no2"
name = "NO2"
unit = "ug/m3"
direction = "lower"
level = "city"
source = { adapter = "eurostat_csv", publisher = "Eurostat", dataset = "urb_cenv", release = "2025-04", licence = "CC BY 4.0", query = "EN2026V", file = "urb.csv" }
"#;
        let snapshot = build_snapshot(&folder.0, &cities, &catalogue(extra), 2000).unwrap();
        assert_eq!(
            values(&snapshot, "no2"),
            [("london".to_string(), 2012, 39.3, Flag::None)]
        );
        let report = &snapshot.report.indicators[3];
        assert_eq!(
            (report.source.as_str(), report.confidential),
            ("eurostat-2025-04", 1)
        );
        assert!(
            snapshot.sources_md.contains("Confidential cells the publisher withholds for registry cities (no value; Eurostat `CONF_STATUS` `C`): `no2` 1."),
            "{}",
            snapshot.sources_md
        );
        let summary = snapshot.report.to_string();
        assert!(
            summary.contains("1/3 cities, 1 confidential cell (withheld by the publisher); 1 places matched no city"),
            "{summary}"
        );
        std::fs::write(
            folder.0.join("urb.csv"),
            format!("{urb}EN2026V;UK001C;2012;40.10;;\r\n"),
        )
        .unwrap();
        let err = build_snapshot(&folder.0, &cities, &catalogue(extra), 2000)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`urb.csv` line 6: two different values for city `london`, indicator `no2`, year 2012: \
             `39.3` (line 2, `UK001C`) and `40.1` (`UK001C`); the file has two rows for `UK001C` \
             in 2012: correct the file, or remove the alias `UK001C` from `cities.toml`"
        );
    }

    #[test]
    fn reads_a_generic_csv_through_its_column_mapping_and_table_aliases() {
        let folder = Folder::new("table", AAP);
        std::fs::write(
            folder.0.join("survey.csv"),
            "Town,Year,Happy\nLondres,2023,7.1\nNew York City,2023,6.8\nAtlantis,2023,9.9\n",
        )
        .unwrap();
        let cities = CITIES
            .replace(
                "lenstore = [\"London\"] }",
                "lenstore = [\"London\"], survey = [\"Londres\"] }",
            )
            .replace(
                "lenstore = [\"New York\"] }",
                "lenstore = [\"New York\"], survey = [\"New York City\"] }",
            );
        let cities = Cities::parse(&cities, "cities.toml").unwrap();
        let extra = r#"
[[indicator]]
id = "happiness"
name = "Happiness"
unit = "score"
direction = "higher"
level = "city"
source = { adapter = "table", publisher = "A survey", dataset = "City Survey", release = "2023", licence = "CC BY 4.0", query = "Happy", file = "survey.csv", columns = { place = "Town", year = "Year", aliases = "survey" } }
"#;
        let snapshot = build_snapshot(&folder.0, &cities, &catalogue(extra), 2000).unwrap();
        assert_eq!(
            values(&snapshot, "happiness"),
            [
                ("london".to_string(), 2023, 7.1, Flag::None),
                ("new-york".to_string(), 2023, 6.8, Flag::None)
            ]
        );
        let report = &snapshot.report.indicators[3];
        assert_eq!(
            (report.source.as_str(), report.unmatched),
            ("city-survey-2023", 1)
        );
    }

    #[test]
    fn a_city_takes_its_whole_series_from_the_first_source_that_has_it() {
        let folder = Folder::new("fallback", AAP);
        // London's region has two years; the national fallback has London too (it must not be
        // used for London) and New York, which only the fallback covers.
        std::fs::write(
            folder.0.join("regions.csv"),
            "Code,Year,LE\nUKI,2019,82.9\nUKI,2020,80.0\nXX9,2019,70.0\n",
        )
        .unwrap();
        std::fs::write(
            folder.0.join("wdi-us.csv"),
            WDI.replace("\"Canada\",\"CAN\"", "\"United States\",\"USA\""),
        )
        .unwrap();
        let cities = CITIES.replace(
            "lenstore = [\"London\"] }",
            "lenstore = [\"London\"], nuts = [\"UKI\"] }",
        );
        let cities = Cities::parse(&cities, "cities.toml").unwrap();
        let extra = r#"
[[indicator]]
id = "le_mixed"
direction = "higher"
level = "national"
[indicator.source]
level = "region"
adapter = "table"
publisher = "P"
dataset = "Regions"
release = "2024"
licence = "CC BY 4.0"
query = "LE"
file = "regions.csv"
columns = { place = "Code", year = "Year", aliases = "nuts" }
note = "Averaged over the city's regions."
[[indicator.fallback]]
adapter = "wdi_csv"
publisher = "World Bank"
dataset = "WDI"
release = "2025-01-28"
licence = "CC BY 4.0"
query = "SP.DYN.LE00.IN"
file = "wdi-us.csv"
"#;
        let snapshot = build_snapshot(&folder.0, &cities, &catalogue(extra), 2000).unwrap();
        let rows: Vec<(&str, i32, f64, &str, Option<Level>)> = snapshot
            .observations
            .rows()
            .iter()
            .filter(|o| o.indicator == "le_mixed")
            .map(|o| (o.city.as_str(), o.year, o.value, o.source.as_str(), o.level))
            .collect();
        // London: both regional values, none of the UK's (81.4, 80.35); New York: the USA's
        // (the fixture's second country row: 82.2, 81.7), national and flagged proxy.
        assert_eq!(
            rows,
            [
                ("london", 2019, 82.9, "regions-2024", Some(Level::Region)),
                ("london", 2020, 80.0, "regions-2024", Some(Level::Region)),
                ("new-york", 2019, 82.2, "wdi-2025-01-28", None),
                ("new-york", 2020, 81.7, "wdi-2025-01-28", None),
            ]
        );
        let proxies: Vec<Flag> = snapshot
            .observations
            .rows()
            .iter()
            .filter(|o| o.indicator == "le_mixed")
            .map(|o| o.flag)
            .collect();
        assert_eq!(proxies, [Flag::None, Flag::None, Flag::Proxy, Flag::Proxy]);
        let reports: Vec<(&str, usize, usize, usize)> = snapshot
            .report
            .indicators
            .iter()
            .filter(|r| r.indicator == "le_mixed")
            .map(|r| {
                (
                    r.source.as_str(),
                    r.kept,
                    r.cities_matched,
                    r.earlier_source,
                )
            })
            .collect();
        assert_eq!(
            reports,
            [("regions-2024", 2, 1, 0), ("wdi-2025-01-28", 2, 1, 1)]
        );
        assert!(snapshot
            .report
            .to_string()
            .contains("1 city taken from an earlier source"));
        let md = &snapshot.sources_md;
        assert!(
            md.contains("- Several sources for one indicator (`le_mixed`)"),
            "{md}"
        );
        assert!(
            md.contains("| Note | Averaged over the city's regions. |"),
            "{md}"
        );
        assert!(
            md.contains("| `le_mixed` | `LE` | region | 2 | 1 | 2019-2020 |"),
            "{md}"
        );
        assert!(
            md.contains("| `le_mixed` | `SP.DYN.LE00.IN` | national (proxy) | 2 | 1 | 2019-2020 |"),
            "{md}"
        );
    }

    #[test]
    fn names_a_missing_file_and_the_from_option() {
        let folder = Folder::new("missing", AAP);
        std::fs::remove_file(folder.0.join("wdi.csv")).unwrap();
        let err = build(&folder, "").unwrap_err().to_string();
        assert!(err.starts_with("source file `"), "{err}");
        assert!(
            err.contains("wdi.csv` not found in the data folder"),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_query_that_names_nothing_in_the_file() {
        let folder = Folder::new("query", AAP);
        let extra = r#"
[[indicator]]
id = "x"
name = "X"
unit = "u"
direction = "lower"
level = "national"
source = { adapter = "wdi_csv", publisher = "World Bank", dataset = "WDI", release = "2025-01-28", licence = "CC BY 4.0", query = "SP.NOPE", file = "wdi.csv" }
"#;
        let err = build(&folder, extra).unwrap_err().to_string();
        assert_eq!(
            err,
            "indicator `x`: query `SP.NOPE` names nothing in `wdi.csv`; it has `SP.DYN.LE00.IN`"
        );
    }

    #[test]
    fn writes_the_snapshot_in_place_keeping_other_files() {
        let folder = Folder::new("write", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("snapshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("observations.csv"), "old").unwrap();
        std::fs::write(dir.join("README.md"), "keep me").unwrap();
        write_snapshot(&snapshot, &dir).unwrap();
        let csv = std::fs::read_to_string(dir.join("observations.csv")).unwrap();
        assert!(
            csv.starts_with(
                "city,indicator,year,value,source,flag,low,high\nfrankfurt,pm25,2013,16.94,who-aap-v5,,,\n"
            ),
            "{csv}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("README.md")).unwrap(),
            "keep me"
        );
        let md = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
        assert!(md.contains("| File | `aap.csv` |"), "{md}");
        assert!(
            md.contains("| `pm25` | `PM2.5 (μg/m3)` | city | 3 | 3 | 2013-2019 |"),
            "{md}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&folder.0)
            .unwrap()
            .filter_map(std::result::Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_write_leaves_the_previous_snapshot_untouched() {
        let folder = Folder::new("fail", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("snapshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("observations.csv"), "old").unwrap();
        // A file of the folder that cannot be carried over (a link to nothing): writing fails.
        std::os::unix::fs::symlink(folder.0.join("nowhere"), dir.join("notes.md")).unwrap();
        let err = write_snapshot(&snapshot, &dir).unwrap_err().to_string();
        assert!(err.contains("notes.md`"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("observations.csv")).unwrap(),
            "old"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&folder.0)
            .unwrap()
            .filter_map(std::result::Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }

    /// A snapshot without observations (built by hand: the builder refuses one) never
    /// replaces the folder.
    #[test]
    fn an_empty_snapshot_is_never_written() {
        let folder = Folder::new("empty", AAP);
        let mut snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("snapshot");
        write_snapshot(&snapshot, &dir).unwrap();
        let before = std::fs::read(dir.join("observations.csv")).unwrap();
        snapshot.observations = Observations::from_rows(Vec::new(), "none");
        let err = write_snapshot(&snapshot, &dir).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "the snapshot is left as it was: the snapshot holds no observation, so `"
            ),
            "{err}"
        );
        assert_eq!(std::fs::read(dir.join("observations.csv")).unwrap(), before);
    }

    #[test]
    fn carries_over_the_files_of_subfolders_whatever_their_names() {
        let folder = Folder::new("carry", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("snapshot");
        std::fs::create_dir_all(dir.join("notes/empty")).unwrap();
        std::fs::write(dir.join("notes/observations.csv"), "an older extract").unwrap();
        write_snapshot(&snapshot, &dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("notes/observations.csv")).unwrap(),
            "an older extract"
        );
        assert!(dir.join("notes/empty").is_dir());
    }

    // --- Tests on the real published files in ../shared/data -----------------------------

    #[test]
    fn rebuilds_the_committed_snapshot_byte_for_byte() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let indicators = root.join("indicators");
        let cities = Cities::load(&indicators.join("cities.toml")).unwrap();
        let catalogue = Catalogue::load(&indicators.join("catalogue.toml")).unwrap();
        let snapshot = build_snapshot(&data, &cities, &catalogue, 2000).unwrap();
        let mut csv = Vec::new();
        snapshot.observations.write_csv(&mut csv).unwrap();
        let committed = std::fs::read(indicators.join("snapshot/observations.csv")).unwrap();
        assert!(
            csv == committed,
            "indicators/snapshot/observations.csv differs from a rebuild: run `healthy-city ingest --from ../shared/data`"
        );
        let committed = std::fs::read_to_string(indicators.join("snapshot/SOURCES.md")).unwrap();
        assert_eq!(snapshot.sources_md, committed);
    }
}
