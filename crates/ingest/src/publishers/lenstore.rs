//! Lenstore's Healthy Lifestyle Cities Report: one row per city, one column per metric,
//! units in the cells.

use healthy_city_model::Flag;

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{csv_with_header, number};
use crate::table::{SourceRecord, SourceTable};

/// Reads the Lenstore table (`City,Rank,<metric>,...`). Every metric column (all but `City`
/// and `Rank`) is a measure named by its header; values such as `£1.92` and `20.40%` are read
/// as 1.92 and 20.4, and `-` or an empty cell is missing. Columns marked `(Country)` carry
/// national values: their records are flagged `proxy`. The report states no reference year
/// per value, so every record gets `year`, the report's year.
pub fn parse_lenstore(bytes: &[u8], file: &str, year: i32) -> Result<SourceTable> {
    check_table(read_lenstore(bytes, file, year)?)
}

fn read_lenstore(bytes: &[u8], file: &str, year: i32) -> Result<SourceTable> {
    let (mut reader, mut lines, header) = csv_with_header(bytes, file, false)?;
    let Some(city_col) = header.iter().position(|h| h.trim() == "City") else {
        return Err(Error::format(
            file,
            Some("line 1".to_string()),
            "no `City` column: is it the Lenstore Healthy Lifestyle Cities table?".to_string(),
        ));
    };
    let metrics: Vec<(usize, String, Flag)> = header
        .iter()
        .enumerate()
        .filter(|&(i, h)| i != city_col && h.trim() != "Rank" && !h.trim().is_empty())
        .map(|(i, h)| {
            let flag = if h.contains("(Country)") {
                Flag::Proxy
            } else {
                Flag::None
            };
            (i, h.trim().to_string(), flag)
        })
        .collect();
    let mut table = SourceTable::new(file, "line");
    table.measures = metrics.iter().map(|(_, m, _)| m.clone()).collect();
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = lines.of(&record);
        let city = record.get(city_col).unwrap_or("").trim();
        table.rows_read += 1;
        table.places.insert(city.to_string());
        for (column, measure, flag) in &metrics {
            let value = number(record.get(*column).unwrap_or("")).map_err(|message| {
                Error::format(
                    file,
                    Some(format!("line {line}")),
                    format!("city `{city}`, column `{measure}`: {message}"),
                )
            })?;
            if let Some(value) = value {
                table.records.push(SourceRecord {
                    flag: *flag,
                    ..SourceRecord::new(line, city, measure, year, value)
                });
            }
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "City,Rank,Sunshine hours(City),Cost of a bottle of water(City),Obesity levels(Country),Pollution(Index score) (City)
London,38,1633,£1.16,27.80%,58.91
Fukuoka,7,2769,£0.78,4.30%,
\"Washington, D.C.\",41,2528,£1.45,36.20%,-
";

    #[test]
    fn reads_units_missing_cells_and_country_columns() {
        let table = parse_lenstore(FIXTURE.as_bytes(), "lenstore.csv", 2021).unwrap();
        assert_eq!(table.rows_read, 3);
        assert!(table.places.contains("Washington, D.C."));
        let london: Vec<_> = table
            .records
            .iter()
            .filter(|r| r.place == "London")
            .map(|r| (r.measure.as_str(), r.value, r.flag, r.year))
            .collect();
        assert_eq!(
            london,
            [
                ("Sunshine hours(City)", 1633.0, Flag::None, 2021),
                ("Cost of a bottle of water(City)", 1.16, Flag::None, 2021),
                ("Obesity levels(Country)", 27.8, Flag::Proxy, 2021),
                ("Pollution(Index score) (City)", 58.91, Flag::None, 2021),
            ]
        );
        // A blank and a `-` are both missing.
        assert_eq!(
            table
                .records
                .iter()
                .filter(|r| r.measure.starts_with("Pollution"))
                .count(),
            1
        );
    }

    #[test]
    fn rejects_a_cell_that_is_not_a_number() {
        let text = FIXTURE.replace("£1.16", "one pound");
        let err = parse_lenstore(text.as_bytes(), "lenstore.csv", 2021)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`lenstore.csv` line 2: city `London`, column `Cost of a bottle of water(City)`: `one pound` is not a number"
        );
    }
}
