//! CDC: PLACES through the Socrata open-data API's JSON records (US city and county
//! estimates), and the 500 Cities project's GIS-friendly city-level CSV (PLACES' predecessor).

use serde_json::Value;

use crate::bounds::{check_table, echo};
use crate::error::{Error, Result};
use crate::read::{csv_with_header, data_line, json, number, xml_instead, year_of};
use crate::table::{SourceRecord, SourceTable};

/// How to ask Socrata for JSON, quoted when it answers XML.
const SOCRATA_JSON: &str = "use the `.json` resource (`/resource/{id}.json`), not `.xml` or `.csv`";

/// Reads a Socrata JSON answer (an array of records whose numbers are strings), as CDC PLACES
/// publishes it. Places are `stateabbr/locationname` (`NY/New York`), measures
/// `measureid.datavaluetypeid` (`OBESITY.AgeAdjPrv`), values `data_value`, years `year`.
pub fn parse_socrata(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_socrata(bytes, file)?)
}

fn read_socrata(bytes: &[u8], file: &str) -> Result<SourceTable> {
    let json = json(bytes, file, SOCRATA_JSON)?;
    let Some(rows) = json.as_array() else {
        return Err(Error::format(
            file,
            None,
            "not a Socrata answer (an array of records)".to_string(),
        ));
    };
    let mut table = SourceTable::new(file, "record");
    for (i, row) in rows.iter().enumerate() {
        let line = i + 1;
        let at = || Some(format!("record {line}"));
        let text = |k: &str| match row.get(k) {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        table.rows_read += 1;
        let (state, name) = (text("stateabbr"), text("locationname"));
        if name.is_empty() || text("measureid").is_empty() {
            return Err(Error::format(
                file,
                at(),
                "no `locationname` or `measureid`".to_string(),
            ));
        }
        let place = format!("{state}/{name}");
        let kind = text("datavaluetypeid");
        let measure = if kind.is_empty() {
            text("measureid")
        } else {
            format!("{}.{kind}", text("measureid"))
        };
        table.places.insert(place.clone());
        table.measures.insert(measure.clone());
        let year = year_of(&text("year")).ok_or_else(|| {
            Error::format(
                file,
                at(),
                format!("place `{place}`: `year` `{}` is not a year", text("year")),
            )
        })?;
        let value = number(&text("data_value")).map_err(|m| {
            Error::format(
                file,
                at(),
                format!("place `{place}`, year {year}, `data_value`: {m}"),
            )
        })?;
        if let Some(value) = value {
            table
                .records
                .push(SourceRecord::new(line, &place, &measure, year, value));
        }
    }
    Ok(table)
}

/// The data years of the 500 Cities releases this adapter knows: the release, the BRFSS year
/// of most measures, and the measures taken from the year before. The 2018 release's
/// description (CDC, "500 Cities: Local Data for Better Health, 2018 release", healthdata.gov
/// catalogue): "Behavioral Risk Factor Surveillance System (BRFSS) data (2016, 2015) ... there
/// are 4 measures (high blood pressure, taking high blood pressure medication, high
/// cholesterol, cholesterol screening) from the 2015 BRFSS", as those questions are asked in
/// odd years only. The GIS-friendly file itself states no year, and each release has the same
/// columns, so the release must come from the catalogue: an unknown one is an error rather than
/// a guessed year.
const CITIES_500_RELEASES: [(&str, i32, &[&str]); 1] =
    [("2018", 2016, &["BPHIGH", "BPMED", "HIGHCHOL", "CHOLSCREEN"])];

/// The kinds of estimate of the GIS-friendly file: the value column's suffix and its 95%
/// interval column's (`OBESITY_AdjPrev`, `OBESITY_Adj95CI`).
const CITIES_500_KINDS: [(&str, &str); 2] = [("CrudePrev", "Crude95CI"), ("AdjPrev", "Adj95CI")];

/// The place columns of the GIS-friendly file.
const CITIES_500_PLACE: [&str; 3] = ["StateAbbr", "PlaceName", "PlaceFIPS"];

/// Reads an interval cell as the 500 Cities file writes it, `(30.1, 31.2)` (with padding,
/// `( 5.3,  5.3)`): `None` when empty, the bounds otherwise; anything else, or a lower bound
/// above the upper, is an error message naming the text.
fn interval(text: &str) -> std::result::Result<Option<(f64, f64)>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bounds = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .and_then(|t| t.split_once(','))
        .and_then(|(low, high)| Some((number(low).ok()??, number(high).ok()??)));
    match bounds {
        Some((low, high)) if low <= high => Ok(Some((low, high))),
        Some((low, high)) => Err(format!(
            "the interval `{}` has its lower bound {low} above its upper bound {high}",
            echo(text)
        )),
        None => Err(format!(
            "`{}` is not an interval `(low, high)` such as `(30.1, 31.2)`",
            echo(text)
        )),
    }
}

/// Reads CDC's "500 Cities: City-level Data (GIS Friendly Format)" CSV: one row per city
/// (`StateAbbr,PlaceName,PlaceFIPS,Population2010`, then per measure `{ID}_CrudePrev`,
/// `{ID}_Crude95CI`, `{ID}_AdjPrev`, `{ID}_Adj95CI`, then `Geolocation`).
///
/// Places are `PlaceFIPS`, the Census place code as text (New York `3651000`; leading zeros
/// kept, Montgomery AL is `0151000`; Honolulu is `15003`, a county code, as CDC gives it),
/// matched through the `fips` aliases: the names (`NY/New York`, the form of
/// [`parse_socrata`]) appear in messages. Measures are `{ID}.{kind}` (`OBESITY.AdjPrev`,
/// `OBESITY.CrudePrev`), with the `(low, high)` interval of the `95CI` column as the record's
/// bounds. Years come from `release` (the 2018 release is BRFSS 2016, and 2015 for four
/// measures). An empty cell is missing (the 2018 file has no Pap test estimate for 47
/// cities); a value or interval that does not read is an error naming the line,
/// city and column.
pub fn parse_cdc_500_cities(bytes: &[u8], file: &str, release: &str) -> Result<SourceTable> {
    check_table(read_cdc_500_cities(bytes, file, release)?)
}

fn read_cdc_500_cities(bytes: &[u8], file: &str, release: &str) -> Result<SourceTable> {
    let first_word = release.split_whitespace().next().unwrap_or("");
    let Some(&(_, year, earlier)) = CITIES_500_RELEASES
        .iter()
        .find(|(r, _, _)| *r == first_word)
    else {
        return Err(Error::format(
            file,
            None,
            format!(
                "the data years of the 500 Cities release `{}` are not known to this adapter (it knows {}): give the release as its year (`2018`), or add the release's BRFSS years to the adapter from CDC's release notes",
                echo(release),
                CITIES_500_RELEASES
                    .iter()
                    .map(|(r, _, _)| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    if let Some(err) = xml_instead(
        bytes,
        file,
        "a CSV table",
        "download the GIS-friendly CSV export (`/api/views/{id}/rows.csv`)",
    ) {
        return Err(err);
    }
    let (mut reader, mut lines, header) = csv_with_header(bytes, file, false)?;
    let header: Vec<&str> = header.iter().map(str::trim).collect();
    let find = |name: &str| {
        header.iter().position(|h| *h == name).ok_or_else(|| {
            Error::format(
                file,
                Some("line 1".to_string()),
                format!(
                    "no column `{name}`: is it the 500 Cities GIS-friendly file (`StateAbbr,PlaceName,PlaceFIPS,...,OBESITY_AdjPrev,OBESITY_Adj95CI,...`)?"
                ),
            )
        })
    };
    let [state_col, name_col, fips_col] = CITIES_500_PLACE.map(find);
    let (state_col, name_col, fips_col) = (state_col?, name_col?, fips_col?);
    // (value column, interval column, measure, year) for every measure and kind.
    let mut columns: Vec<(usize, usize, String, i32)> = Vec::new();
    for (c, name) in header.iter().enumerate() {
        for (value_kind, interval_kind) in CITIES_500_KINDS {
            let Some(id) = name
                .strip_suffix(value_kind)
                .and_then(|n| n.strip_suffix('_'))
            else {
                continue;
            };
            let interval_name = format!("{id}_{interval_kind}");
            let interval_col = find(&interval_name).map_err(|_| {
                Error::format(
                    file,
                    Some("line 1".to_string()),
                    format!("the column `{name}` has no interval column `{interval_name}`"),
                )
            })?;
            let year = if earlier.contains(&id) {
                year - 1
            } else {
                year
            };
            columns.push((c, interval_col, format!("{id}.{value_kind}"), year));
        }
    }
    if columns.is_empty() {
        return Err(Error::format(
            file,
            Some("line 1".to_string()),
            "no measure columns (`OBESITY_CrudePrev`, `OBESITY_AdjPrev`, ...)".to_string(),
        ));
    }
    let mut table = SourceTable::new(file, "line");
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        let Some(line) = data_line(&mut lines, &record, header.len(), b',', file)? else {
            continue;
        };
        let at = || Some(format!("line {line}"));
        table.rows_read += 1;
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let place = cell(fips_col);
        let city = format!("`{place}` ({}/{})", cell(state_col), cell(name_col));
        if place.is_empty() {
            return Err(Error::format(
                file,
                at(),
                format!("{}/{} has no `PlaceFIPS`", cell(state_col), cell(name_col)),
            ));
        }
        table.places.insert(place.to_string());
        for (value_col, interval_col, measure, year) in &columns {
            table.measures.insert(measure.clone());
            let bad = |column: usize, message: String| {
                Error::format(
                    file,
                    at(),
                    format!("place {city}, column `{}`: {message}", header[column]),
                )
            };
            let value = number(cell(*value_col)).map_err(|m| bad(*value_col, m))?;
            let bounds = interval(cell(*interval_col)).map_err(|m| bad(*interval_col, m))?;
            let Some(value) = value else {
                continue;
            };
            let (low, high) = bounds.unzip();
            table.records.push(SourceRecord {
                low,
                high,
                ..SourceRecord::new(line, place, measure, *year, value)
            });
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::values;

    #[test]
    fn reads_socrata_numbers_given_as_strings() {
        let body = r#"[{"year":"2021","stateabbr":"NY","statedesc":"New York","locationname":"New York","datasource":"BRFSS","measure":"Obesity among adults","data_value_unit":"%","data_value_type":"Age-adjusted prevalence","data_value":"25.1","low_confidence_limit":"24.8","high_confidence_limit":"25.4","measureid":"OBESITY","datavaluetypeid":"AgeAdjPrv"},
{"year":"2021","stateabbr":"NY","locationname":"New York","measureid":"OBESITY","datavaluetypeid":"CrdPrv"}]"#;
        let table = parse_socrata(body.as_bytes(), "places").unwrap();
        assert_eq!(
            values(&table),
            [(
                "NY/New York".to_string(),
                "OBESITY.AgeAdjPrv".to_string(),
                2021,
                25.1,
                None
            )]
        );
        assert_eq!(table.rows_read, 2);
        let bad = body.replace("\"25.1\"", "\"about 25\"");
        assert_eq!(
            parse_socrata(bad.as_bytes(), "places").unwrap_err().to_string(),
            "`places` record 1: place `NY/New York`, year 2021, `data_value`: `about 25` is not a number"
        );
    }

    const CITIES_500: &str = "StateAbbr,PlaceName,PlaceFIPS,Population2010,BPHIGH_CrudePrev,BPHIGH_Crude95CI,BPHIGH_AdjPrev,BPHIGH_Adj95CI,OBESITY_CrudePrev,OBESITY_Crude95CI,OBESITY_AdjPrev,OBESITY_Adj95CI,Geolocation
NY,New York,3651000,8175133,28.4,\"(28.4, 28.4)\",29.0,\"(29.0, 29.0)\",24.8,\"(24.8, 24.8)\",25.1,\"(25.1, 25.1)\",\"(40.69496068900, -73.9313850409)\"
AL,Montgomery,0151000,205764,41.2,\"(40.9, 41.5)\",38.7,\"( 38.4,  39.0)\",,,36.5,\"(36.2, 36.8)\",\"(32.3, -86.2)\"
";

    #[test]
    fn reads_the_500_cities_csv_with_intervals_and_the_releases_data_years() {
        let table = parse_cdc_500_cities(CITIES_500.as_bytes(), "500.csv", "2018").unwrap();
        let got: Vec<_> = table
            .records
            .iter()
            .map(|r| {
                (
                    r.place.as_str(),
                    r.measure.as_str(),
                    r.year,
                    r.value,
                    r.low,
                    r.high,
                )
            })
            .collect();
        assert_eq!(
            got[..4],
            [
                (
                    "3651000",
                    "BPHIGH.CrudePrev",
                    2015,
                    28.4,
                    Some(28.4),
                    Some(28.4)
                ),
                (
                    "3651000",
                    "BPHIGH.AdjPrev",
                    2015,
                    29.0,
                    Some(29.0),
                    Some(29.0)
                ),
                (
                    "3651000",
                    "OBESITY.CrudePrev",
                    2016,
                    24.8,
                    Some(24.8),
                    Some(24.8)
                ),
                (
                    "3651000",
                    "OBESITY.AdjPrev",
                    2016,
                    25.1,
                    Some(25.1),
                    Some(25.1)
                ),
            ]
        );
        // Leading zeros kept; padded bounds read; an empty value is missing.
        assert_eq!(
            got[5],
            (
                "0151000",
                "BPHIGH.AdjPrev",
                2015,
                38.7,
                Some(38.4),
                Some(39.0)
            )
        );
        assert_eq!(got.len(), 7);
        assert_eq!(table.measures.len(), 4);
        let err = parse_cdc_500_cities(CITIES_500.as_bytes(), "500.csv", "2019")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("`500.csv`: the data years of the 500 Cities release `2019` are not known to this adapter (it knows `2018`)"),
            "{err}"
        );
    }

    #[test]
    fn an_interval_that_does_not_read_is_an_error_naming_line_city_column_and_text() {
        for (interval, problem) in [
            (
                "\"(30.1; 31.2)\"",
                "`(30.1; 31.2)` is not an interval `(low, high)` such as `(30.1, 31.2)`",
            ),
            (
                "\"(31.2, 30.1)\"",
                "the interval `(31.2, 30.1)` has its lower bound 31.2 above its upper bound 30.1",
            ),
            ("30.1-31.2", "`30.1-31.2` is not an interval"),
            ("\"(, 31.2)\"", "`(, 31.2)` is not an interval"),
        ] {
            let csv = CITIES_500.replace("\"(25.1, 25.1)\"", interval);
            let err = parse_cdc_500_cities(csv.as_bytes(), "500.csv", "2018")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!(
                    "`500.csv` line 2: place `3651000` (NY/New York), column `OBESITY_Adj95CI`: {problem}"
                )),
                "{err}"
            );
        }
        let csv = CITIES_500.replace("PlaceFIPS", "FIPS");
        assert_eq!(
            parse_cdc_500_cities(csv.as_bytes(), "500.csv", "2018")
                .unwrap_err()
                .to_string(),
            "`500.csv` line 1: no column `PlaceFIPS`: is it the 500 Cities GIS-friendly file (`StateAbbr,PlaceName,PlaceFIPS,...,OBESITY_AdjPrev,OBESITY_Adj95CI,...`)?"
        );
        let csv = CITIES_500.replace("OBESITY_Adj95CI", "OBESITY_AdjCI");
        assert_eq!(
            parse_cdc_500_cities(csv.as_bytes(), "500.csv", "2018")
                .unwrap_err()
                .to_string(),
            "`500.csv` line 1: the column `OBESITY_AdjPrev` has no interval column `OBESITY_Adj95CI`"
        );
    }

    /// The published file (`cdc-500-cities/`), values checked against its line, quoted.
    #[test]
    fn reads_the_published_500_cities_file() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let name = "500_Cities__City-level_Data__GIS_Friendly_Format___2018_release.csv";
        let bytes = std::fs::read(data.join("cdc-500-cities").join(name)).unwrap();
        let table = parse_cdc_500_cities(&bytes, name, "2018").unwrap();
        let find = |place: &str, measure: &str| {
            let found: Vec<_> = table
                .records
                .iter()
                .filter(|r| r.place == place && r.measure == measure)
                .map(|r| (r.line, r.year, r.value, r.low, r.high))
                .collect();
            assert_eq!(found.len(), 1, "{place} {measure}: {found:?}");
            found[0]
        };
        // Line 142: `NY,New York,3651000,8175133,14.6,"(14.6, 14.7)",...` with
        // `OBESITY_CrudePrev,OBESITY_Crude95CI,OBESITY_AdjPrev,OBESITY_Adj95CI` =
        // `24.8,"(24.8, 24.8)",25.1,"(25.1, 25.1)"` and BPHIGH `28.4,"(28.4, 28.4)",29.0,"(29.0, 29.0)"`.
        assert_eq!(
            find("3651000", "OBESITY.AdjPrev"),
            (142, 2016, 25.1, Some(25.1), Some(25.1))
        );
        assert_eq!(
            find("3651000", "OBESITY.CrudePrev"),
            (142, 2016, 24.8, Some(24.8), Some(24.8))
        );
        assert_eq!(
            find("3651000", "BPHIGH.AdjPrev"),
            (142, 2015, 29.0, Some(29.0), Some(29.0))
        );
        // Same line, `ACCESS2_CrudePrev,ACCESS2_Crude95CI` = `14.6,"(14.6, 14.7)"`.
        assert_eq!(
            find("3651000", "ACCESS2.CrudePrev"),
            (142, 2016, 14.6, Some(14.6), Some(14.7))
        );
        // 500 cities x 28 measure columns (CDC's 27 measures, core preventive services split
        // into `COREM` and `COREW`) x 2 kinds, less the 47 cities without Pap test estimates.
        assert_eq!((table.rows_read, table.records.len()), (500, 27_906));
        assert_eq!(table.measures.len(), 56);
        assert!(table.places.contains("0151000") && table.places.contains("15003"));
    }
}
