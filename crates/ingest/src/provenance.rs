//! `SOURCES.md`: the provenance of every value of the snapshot, source by source.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use healthy_city_model::{Indicator, Level, Observation, Observations};

use crate::report::{thousands, IngestReport};
use crate::source::Loaded;

/// The text of `SOURCES.md`: the rules, then one section per source file or download.
pub(crate) fn sources_md(
    indicators_by_source: &[Indicator],
    keys: &[String],
    loaded: &BTreeMap<String, Loaded>,
    report: &IngestReport,
    observations: &Observations,
) -> String {
    let mut out = String::new();
    let first_year = report.first_year;
    let total = thousands(observations.len());
    let _ = write!(
        out,
        "# Sources of the snapshot

`observations.csv` in this folder is derived data: {total} values built by healthy-city's own
file adapters (`healthy-city ingest --from <data folder>`) from the publishers' files listed
below, value by value. The publishers' files are not shipped; their SHA-256 says exactly which
download was read. This file is generated: rebuild rather than edit.

## Rules

- Years: values with a reference year before {first_year} are dropped; every later year a source
  publishes is kept.
- Missing stays missing: an empty cell, `-`, `NA` or `null` gives no row. Nothing is filled in,
  estimated or carried over here; imputation, if any, is the scoring method's choice.
- Matching: city-level sources match cities only through the aliases of `indicators/cities.toml`
  (case-insensitive); national sources match through each city's `country` (ISO3).
- `flag` = `proxy`: a national value used for a city (every value of a national indicator,
  Lenstore's `(Country)` columns, and the compilation's `Country proxy` rows).
- `flag` = `estimate`: the compilation says the value is modelled, crowd-sourced, a perception
  or self-reported (its `approx` column is not `none`).
- Reference years: WHO AAP `Measurement Year`; World Bank and WHO GHO the year of the column or
  period; the Master Index compilation the latest year its free-text `year` field names
  (`2022-24` is 2024, `2026 Mid-Year` is 2026); Lenstore the year of the report.
- One value per city, indicator and year and source: identical repeats are kept once; where the
  WHO AAP workbook repeats a settlement-year from an older database version with another value,
  the newer version's value is kept; any other disagreement stops the build.
- `source` column: the short key given in each section below.
- `low`, `high` columns: the publisher's uncertainty interval around the value where it gives
  one (WHO GHO OData `Low` and `High`, portal `FactValueNumericLow` and `FactValueNumericHigh`),
  empty otherwise; never computed here.
"
    );
    // Said only where an indicator has several sources, so other snapshots read as before.
    let mixed: Vec<String> = indicators_by_source
        .iter()
        .enumerate()
        .filter(|(n, i)| indicators_by_source[..*n].iter().any(|e| e.id == i.id))
        .map(|(_, i)| format!("`{}`", i.id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !mixed.is_empty() {
        let _ = write!(
            out,
            "- Several sources for one indicator ({}): the catalogue lists them in order, and a city
  takes its whole series from the first that has a value for it (never a mix of sources over
  the years); a value's source is its `source` column and its level (`region`, `metro`) its
  `level` column, or `proxy` for a national one.
",
            mixed.join(", ")
        );
    }
    let mut files: Vec<&str> = Vec::new();
    for key in keys {
        if !files.contains(&key.as_str()) {
            files.push(key);
        }
    }
    for file in files {
        let Some(source) = loaded.get(file) else {
            continue;
        };
        let indicators: Vec<&Indicator> = indicators_by_source
            .iter()
            .zip(keys)
            .filter(|(_, k)| k.as_str() == file)
            .map(|(i, _)| i)
            .collect();
        let Some(first) = indicators.first() else {
            continue;
        };
        let Some(spec) = &first.source else {
            continue;
        };
        let key = source.adapter.key(spec);
        let fetched = if let Some(why) = &source.failed {
            format!("| Download | `{file}` |\n| Status | failed ({why}); the values below are kept from the previous snapshot |\n")
        } else if source.downloads.is_empty() {
            format!("| File | `{file}` |\n| SHA-256 | `{}` |\n", source.sha256)
        } else {
            let mut rows = String::new();
            for d in &source.downloads {
                let _ = write!(
                    rows,
                    "| Download | `{}` |\n| Retrieved | {} ({}) |\n| SHA-256 | `{}` |\n",
                    d.url,
                    d.retrieved,
                    d.origin.as_str(),
                    d.sha256
                );
            }
            rows
        };
        let note = spec
            .note
            .as_deref()
            .map_or_else(String::new, |n| format!("| Note | {n} |\n"));
        let _ = write!(
            out,
            "\n## `{key}`: {}\n\n| | |\n|---|---|\n| Publisher | {} |\n| Dataset | {} |\n| Release | {} |\n| Licence | {} |\n| URL | {} |\n{note}{fetched}| Rows read | {} |\n\n| Indicator | Query | Level | Values kept | Cities | Years |\n|---|---|---|---:|---:|---|\n",
            spec.dataset,
            spec.publisher,
            spec.dataset,
            spec.release,
            spec.licence,
            spec.url.as_deref().unwrap_or("-"),
            thousands(source.table.rows_read),
        );
        for indicator in &indicators {
            let source_key = indicator
                .source
                .as_ref()
                .map(|s| source.adapter.key(s))
                .unwrap_or_default();
            let rows: Vec<&Observation> = observations
                .rows()
                .iter()
                .filter(|o| o.indicator == indicator.id && o.source == source_key)
                .collect();
            let cities: BTreeSet<&str> = rows.iter().map(|o| o.city.as_str()).collect();
            let years = match (
                rows.iter().map(|o| o.year).min(),
                rows.iter().map(|o| o.year).max(),
            ) {
                (Some(a), Some(b)) if a == b => a.to_string(),
                (Some(a), Some(b)) => format!("{a}-{b}"),
                _ => "-".to_string(),
            };
            let level = match indicator.level {
                Some(Level::City) => "city",
                Some(Level::Metro) => "metro",
                Some(Level::Region) => "region",
                Some(Level::National) => "national (proxy)",
                None => healthy_city_model::NOT_GIVEN,
            };
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {level} | {} | {} | {years} |",
                indicator.id,
                indicator.source.as_ref().map_or("", |s| s.query.as_str()),
                thousands(rows.len()),
                cities.len()
            );
        }
        let statuses: Vec<String> = report
            .indicators
            .iter()
            .filter(|r| {
                indicators.iter().any(|i| {
                    i.id == r.indicator
                        && i.source.as_ref().map(|s| source.adapter.key(s)).as_ref()
                            == Some(&r.source)
                })
            })
            .filter(|r| !r.statuses.is_empty())
            .map(|r| {
                let flags: Vec<String> = r
                    .statuses
                    .iter()
                    .map(|(flag, n)| format!("`{flag}` {n}"))
                    .collect();
                format!("`{}`: {}", r.indicator, flags.join(", "))
            })
            .collect();
        if !statuses.is_empty() {
            let _ = writeln!(
                out,
                "\nPublisher status flags on the values kept (`e` or `E` are flagged `estimate`): {}.",
                statuses.join("; ")
            );
        }
        // Said only where there are some, so a snapshot without them reads as before.
        let withheld: Vec<String> = report
            .indicators
            .iter()
            .filter(|r| {
                indicators.iter().any(|i| {
                    i.id == r.indicator
                        && i.source.as_ref().map(|s| source.adapter.key(s)).as_ref()
                            == Some(&r.source)
                })
            })
            .filter(|r| r.confidential > 0)
            .map(|r| format!("`{}` {}", r.indicator, thousands(r.confidential)))
            .collect();
        if !withheld.is_empty() {
            let _ = writeln!(
                out,
                "\nConfidential cells the publisher withholds for registry cities (no value; Eurostat `CONF_STATUS` `C`): {}.",
                withheld.join("; ")
            );
        }
    }
    out
}
