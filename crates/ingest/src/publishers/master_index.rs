//! The 55-city compilation (Master Index Workbench): long CSV with `#` comment lines.

use healthy_city_model::{Direction, Flag};

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{csv_with_header, number};
use crate::table::{SourceRecord, SourceTable};

/// Reads the Master Index Workbench dataset CSV (`city,measure_id,...,direction,data_level,approx,value,year,...`).
/// A blank value is missing (no record). The year is the value's own reference year: the latest
/// year its free-text `year` field names (see [`reference_year`]). The flag is `proxy` where
/// `data_level` is `Country proxy`, else `estimate` where `approx` is not `none`.
pub fn parse_master_index(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_master_index(bytes, file)?)
}

fn read_master_index(bytes: &[u8], file: &str) -> Result<SourceTable> {
    let (mut reader, mut lines, header) = csv_with_header(bytes, file, true)?;
    let header_line = lines.of(&header).max(1);
    let required = |name: &str| {
        header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            Error::format(
                file,
                Some(format!("line {header_line}")),
                format!("no `{name}` column: is it the Master Index Workbench dataset?"),
            )
        })
    };
    let city_col = required("city")?;
    let measure_col = required("measure_id")?;
    let direction_col = required("direction")?;
    let level_col = required("data_level")?;
    let approx_col = required("approx")?;
    let value_col = required("value")?;
    let year_col = required("year")?;
    let mut table = SourceTable::new(file, "line");
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = lines.of(&record);
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let (city, measure) = (field(city_col), field(measure_col));
        let at = || Some(format!("line {line}"));
        table.rows_read += 1;
        table.places.insert(city.to_string());
        table.measures.insert(measure.to_string());
        let value = number(field(value_col)).map_err(|message| {
            Error::format(
                file,
                at(),
                format!("city `{city}`, measure `{measure}`: {message}"),
            )
        })?;
        let Some(value) = value else { continue };
        let year = reference_year(field(year_col)).ok_or_else(|| {
            Error::format(
                file,
                at(),
                format!(
                    "city `{city}`, measure `{measure}`: value `{value}` has no reference year (`year` is `{}`)",
                    field(year_col)
                ),
            )
        })?;
        let direction = match field(direction_col) {
            "higher" => Some(Direction::Higher),
            "lower" => Some(Direction::Lower),
            _ => None,
        };
        let flag = if field(level_col).eq_ignore_ascii_case("country proxy") {
            Flag::Proxy
        } else if field(approx_col).eq_ignore_ascii_case("none") {
            Flag::None
        } else {
            Flag::Estimate
        };
        table.records.push(SourceRecord {
            flag,
            direction,
            ..SourceRecord::new(line, city, measure, year, value)
        });
    }
    Ok(table)
}

/// The reference year of a free-text year field: the latest year it names. Four-digit years
/// 1900-2099 count, and so does a two-digit end of a range written `2022-24` or `2024/25`
/// (`2024`, `2025`), but not the month of a date (`2026-07-12` is 2026). `None` when no year is named.
///
/// `2022-24` -> 2024, `2026 Mid-Year` -> 2026, `2013..2018` -> 2018,
/// `current (last update 2026-06-19)` -> 2026, `FY2024 (Reiwa 6, Apr 2024–Mar 2025)` -> 2025.
pub fn reference_year(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    let mut latest: Option<i32> = None;
    let mut previous_year: Option<(i32, usize)> = None; // year and the index just after it
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        let year = match digits.len() {
            4 => digits
                .parse::<i32>()
                .ok()
                .filter(|y| (1900..2100).contains(y)),
            2 => previous_year.and_then(|(base, end)| {
                let joined = end + 1 == start && matches!(bytes[end], b'-' | b'/');
                let short: i32 = digits.parse().ok()?;
                let full = base / 100 * 100 + short;
                (joined && full > base).then_some(full)
            }),
            _ => None,
        };
        previous_year = if digits.len() == 4 {
            year.map(|y| (y, i))
        } else {
            None
        };
        if let Some(y) = year {
            latest = Some(latest.map_or(y, |l: i32| l.max(y)));
        }
    }
    latest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_reference_year_of_free_text() {
        for (text, year) in [
            ("2023", Some(2023)),
            ("2022-24", Some(2024)),
            ("2024/25", Some(2025)),
            ("FY2023-24", Some(2024)),
            ("2026 Mid-Year", Some(2026)),
            ("2013..2018", Some(2018)),
            ("current (last update 2026-06-19)", Some(2026)),
            ("2026-07-12 (live db)", Some(2026)),
            ("FY2024 (Reiwa 6, Apr 2024\u{2013}Mar 2025)", Some(2025)),
            (
                "2025 (workforce 30 Sep 2025; population mid-2024)",
                Some(2025),
            ),
            ("2026 Q1", Some(2026)),
            ("n/a", None),
            ("", None),
        ] {
            assert_eq!(reference_year(text), year, "{text}");
        }
    }

    const FIXTURE: &str = "# Master Index Workbench v3.2.1 (released 2026-07-18)
# A blank value is honest missing data (see the note column), never a zero.
city,measure_id,measure,area,subtheme,unit,direction,data_level,approx,value,year,source,note
London,LIV-01,Homicide rate,Liveable,Safety & Stability,per 100k,lower,Mixed,none,1.28,2023-25,\"ONS \u{2014} offences 123/111/108\",\"London region\"
Tokyo,LIV-01,Homicide rate,Liveable,Safety & Stability,per 100k,lower,Mixed,none,,n/a,\"Mixed\",\"NULL: no honest city figure exists.\"
London,GRN-02,Open space access,Green,Parks,%,higher,City,modelled,41.5,2020,UN-Habitat,
London,CMP-09,Something national,Competitive,X,%,higher,Country proxy,none,3.5,2024,OECD,
";

    #[test]
    fn reads_the_compilation_skipping_comments_and_blank_values() {
        let table = parse_master_index(FIXTURE.as_bytes(), "mi.csv").unwrap();
        assert_eq!(table.rows_read, 4);
        assert_eq!(table.places.iter().collect::<Vec<_>>(), ["London", "Tokyo"]);
        let got: Vec<_> = table
            .records
            .iter()
            .map(|r| {
                (
                    r.place.as_str(),
                    r.measure.as_str(),
                    r.year,
                    r.value,
                    r.flag,
                    r.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("London", "LIV-01", 2025, 1.28, Flag::None, 4),
                ("London", "GRN-02", 2020, 41.5, Flag::Estimate, 6),
                ("London", "CMP-09", 2024, 3.5, Flag::Proxy, 7),
            ]
        );
        assert_eq!(table.records[0].direction, Some(Direction::Lower));
    }

    #[test]
    fn rejects_a_value_without_a_reference_year() {
        let text = FIXTURE.replace("1.28,2023-25", "1.28,n/a");
        let err = parse_master_index(text.as_bytes(), "mi.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`mi.csv` line 4: city `London`, measure `LIV-01`: value `1.28` has no reference year (`year` is `n/a`)"
        );
    }
}
