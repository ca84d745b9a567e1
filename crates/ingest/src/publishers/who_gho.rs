//! WHO Global Health Observatory: the data portal's CSV export and the OData API's JSON.

use serde_json::Value;

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{csv_with_header, json_number, number, strip_bom, xml_instead};
use crate::table::{SourceRecord, SourceTable};

/// Whether a GHO dimension value is a breakdown rather than the total: a sex other than both
/// sexes, a beverage type other than all types.
fn is_breakdown(code: &str) -> bool {
    (code.starts_with("SEX_") && code != "SEX_BTSX")
        || (code.starts_with("ALCOHOLTYPE_") && code != "ALCOHOLTYPE_SA_TOTAL")
}

/// A CSV header, for finding its columns by name.
struct Header<'a> {
    names: &'a csv::StringRecord,
    file: &'a str,
    /// What the file should be, for the message when a column is missing.
    what: &'static str,
}

impl Header<'_> {
    fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|h| h.trim() == name)
    }

    fn required(&self, name: &str) -> Result<usize> {
        self.column(name).ok_or_else(|| {
            Error::format(
                self.file,
                Some("line 1".to_string()),
                format!("no `{name}` column: is it {}?", self.what),
            )
        })
    }
}

/// Reads a GHO portal CSV export. Keeps country rows (`Location type` = `Country`) for the
/// total of every breakdown (both sexes, all beverage types); the value is `FactValueNumeric`,
/// never the display text `Value`, and its uncertainty interval `FactValueNumericLow` /
/// `FactValueNumericHigh` where given (an interval that does not hold the value is an error).
/// Places are `SpatialDimValueCode`s (ISO3), measures `IndicatorCode`s.
pub fn parse_gho_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_gho_csv(bytes, file)?)
}

fn read_gho_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = xml_instead(
        bytes,
        file,
        "the GHO portal's CSV export",
        "export the indicator from the GHO data portal as CSV (the table itself, not the web page)",
    ) {
        return Err(err);
    }
    let (mut reader, mut lines, header) = csv_with_header(bytes, file, false)?;
    let columns = Header {
        names: &header,
        file,
        what: "a GHO portal CSV export",
    };
    let column = |name: &str| columns.column(name);
    let required = |name: &str| columns.required(name);
    let code_col = required("IndicatorCode")?;
    let place_col = required("SpatialDimValueCode")?;
    let year_col = required("Period")?;
    let value_col = required("FactValueNumeric")?;
    let low_col = column("FactValueNumericLow");
    let high_col = column("FactValueNumericHigh");
    let type_col = column("Location type");
    let dims: Vec<usize> = ["Dim1ValueCode", "Dim2ValueCode", "Dim3ValueCode"]
        .iter()
        .filter_map(|d| column(d))
        .collect();
    let mut table = SourceTable::new(file, "line");
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        table.rows_read += 1;
        let line = lines.of(&record);
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        if type_col.is_some_and(|c| field(c) != "Country") {
            table.aggregate(field(place_col));
            continue;
        }
        let (place, measure) = (field(place_col), field(code_col));
        table.places.insert(place.to_string());
        table.measures.insert(measure.to_string());
        if dims.iter().any(|&d| is_breakdown(field(d))) {
            continue;
        }
        let at = || Some(format!("line {line}"));
        let year = field(year_col).parse::<i32>().map_err(|_| {
            Error::format(
                file,
                at(),
                format!(
                    "country `{place}`: period `{}` is not a year",
                    field(year_col)
                ),
            )
        })?;
        let value = number(field(value_col)).map_err(|message| {
            Error::format(
                file,
                at(),
                format!("country `{place}`, year {year}, `FactValueNumeric`: {message}"),
            )
        })?;
        if let Some(value) = value {
            let bound = |col: Option<usize>, name: &str| {
                col.map_or(Ok(None), |c| number(field(c)))
                    .map_err(|message| {
                        Error::format(
                            file,
                            at(),
                            format!("country `{place}`, year {year}, `{name}`: {message}"),
                        )
                    })
            };
            let low = bound(low_col, "FactValueNumericLow")?;
            let high = bound(high_col, "FactValueNumericHigh")?;
            check_interval(file, &at, place, year, value, low, high)?;
            table.records.push(SourceRecord {
                low,
                high,
                ..SourceRecord::new(line, place, measure, year, value)
            });
        }
    }
    Ok(table)
}

/// How a WHO data hub CSV's value columns end (`RATE_PER_100000_N`, `INDEX_N`); their
/// interval columns add `L` and `U`.
const HUB_VALUE_SUFFIX: &str = "_N";

/// Reads a WHO data hub per-indicator CSV (`.../DATADOT/INDICATOR/{IND_UUID}_ALL_LATEST.csv`,
/// the files WHO publishes while the GHO OData API is retired): one row per indicator, place,
/// year and breakdown, columns `IND_CODE` (the GHO indicator code), `DIM_TIME` (the year),
/// `DIM_GEO_CODE_M49` (a UN M49 / ISO 3166-1 numeric code) with `DIM_GEO_CODE_TYPE`
/// (`COUNTRY`, or a region or group, counted as an aggregate), `DIM_SEX` (`TOTAL` kept, other
/// sexes skipped as breakdowns), `DIM_PUBLISH_STATE_CODE` (only `PUBLISHED` rows kept), and
/// the value in a column named by its unit (`RATE_PER_100000_N`, `VALUE_NUMERIC`,
/// `INDEX_N`, ...) with its interval in `{column}L` / `{column}U` (`RATE_PER_100000_NL`).
/// `value_column` names the value column; without it the file must have values in exactly
/// one. Places are ISO3 codes (from the M49 code); measures `IND_CODE`s.
pub fn parse_who_hub_csv(
    bytes: &[u8],
    file: &str,
    value_column: Option<&str>,
) -> Result<SourceTable> {
    check_table(read_who_hub_csv(bytes, file, value_column)?)
}

fn read_who_hub_csv(bytes: &[u8], file: &str, value_column: Option<&str>) -> Result<SourceTable> {
    if let Some(err) = xml_instead(
        bytes,
        file,
        "the WHO data hub's CSV",
        "take the indicator's CSV download address (`.../DATADOT/INDICATOR/{IND_UUID}_ALL_LATEST.csv`), not its web page",
    ) {
        return Err(err);
    }
    let (mut reader, mut lines, header) = csv_with_header(bytes, file, false)?;
    let columns = Header {
        names: &header,
        file,
        what: "a WHO data hub indicator CSV (`..._ALL_LATEST.csv`)",
    };
    let column = |name: &str| columns.column(name);
    let required = |name: &str| columns.required(name);
    let code_col = required("IND_CODE")?;
    let year_col = required("DIM_TIME")?;
    let geo_col = required("DIM_GEO_CODE_M49")?;
    let geo_type_col = required("DIM_GEO_CODE_TYPE")?;
    let sex_col = column("DIM_SEX");
    let state_col = column("DIM_PUBLISH_STATE_CODE");
    let candidates: Vec<(usize, &str)> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (i, h.trim()))
        .filter(|(_, h)| h.ends_with(HUB_VALUE_SUFFIX) || *h == "VALUE_NUMERIC")
        .collect();
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(Error::csv(file))?;
    let value_col = if let Some(name) = value_column {
        column(name).ok_or_else(|| {
            Error::format(
                file,
                Some("line 1".to_string()),
                format!(
                    "no value column `{name}` (the query's `:{name}`); its value columns are {}",
                    candidates
                        .iter()
                        .map(|(_, h)| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?
    } else {
        let used: Vec<(usize, &str)> = candidates
            .iter()
            .copied()
            .filter(|&(i, _)| {
                records
                    .iter()
                    .any(|r| !r.get(i).unwrap_or("").trim().is_empty())
            })
            .collect();
        match used[..] {
            [(i, _)] => i,
            [] => {
                return Err(Error::format(
                    file,
                    Some("line 1".to_string()),
                    "no value column holds a value (`..._N` or `VALUE_NUMERIC`)".to_string(),
                ))
            }
            _ => {
                return Err(Error::format(
                    file,
                    Some("line 1".to_string()),
                    format!(
                    "values in {} columns ({}): name the one to read in the query, e.g. `{}:{}`",
                    used.len(),
                    used.iter()
                        .map(|(_, h)| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    records
                        .first()
                        .and_then(|r| r.get(code_col))
                        .unwrap_or("CODE")
                        .trim(),
                    used[0].1
                ),
                ))
            }
        }
    };
    let value_name = header.get(value_col).map_or("", |h| h.trim()).to_string();
    let low_col = column(&format!("{value_name}L"));
    let high_col = column(&format!("{value_name}U"));
    let mut table = SourceTable::new(file, "line");
    for record in &records {
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        table.rows_read += 1;
        let line = lines.of(record);
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let m49 = field(geo_col);
        if field(geo_type_col) != "COUNTRY" {
            table.aggregate(m49);
            continue;
        }
        // An M49 code outside ISO 3166-1 stays as it is: it matches no city and is listed.
        let place = super::iso_numeric::iso3_of_numeric(m49).unwrap_or(m49);
        let measure = field(code_col);
        table.places.insert(place.to_string());
        table.measures.insert(measure.to_string());
        if state_col.is_some_and(|c| !matches!(field(c), "" | "PUBLISHED")) {
            continue;
        }
        if sex_col.is_some_and(|c| !matches!(field(c), "" | "TOTAL" | "BTSX" | "SEX_BTSX")) {
            continue;
        }
        let at = || Some(format!("line {line}"));
        let year = field(year_col).parse::<i32>().map_err(|_| {
            Error::format(
                file,
                at(),
                format!(
                    "country `{place}`: `DIM_TIME` `{}` is not a year",
                    field(year_col)
                ),
            )
        })?;
        let cell = |col: Option<usize>, name: &str| {
            col.map_or(Ok(None), |c| number(field(c)))
                .map_err(|message| {
                    Error::format(
                        file,
                        at(),
                        format!("country `{place}`, year {year}, `{name}`: {message}"),
                    )
                })
        };
        if let Some(value) = cell(Some(value_col), &value_name)? {
            let low = cell(low_col, &format!("{value_name}L"))?;
            let high = cell(high_col, &format!("{value_name}U"))?;
            check_interval(file, &at, place, year, value, low, high)?;
            table.records.push(SourceRecord {
                low,
                high,
                ..SourceRecord::new(line, place, measure, year, value)
            });
        }
    }
    Ok(table)
}

/// An error when the publisher's interval does not hold its value.
fn check_interval(
    file: &str,
    at: &dyn Fn() -> Option<String>,
    place: &str,
    year: i32,
    value: f64,
    low: Option<f64>,
    high: Option<f64>,
) -> Result<()> {
    match healthy_city_model::interval_problem(value, low, high) {
        Some(message) => Err(Error::format(
            file,
            at(),
            format!("country `{place}`, year {year}: {message}"),
        )),
        None => Ok(()),
    }
}

/// Reads a GHO OData API response (`{"@odata.context": ..., "value": [...]}`). Keeps
/// `SpatialDimType` = `COUNTRY` records for both sexes (and the total of any other breakdown);
/// the value is `NumericValue`, never the display text `Value`, and its uncertainty interval
/// `Low` / `High` where not null (an interval that does not hold the value is an error).
/// Positions are 1-based record numbers in `value`. Rows of other `SpatialDimType`s (regions,
/// income groups, the globe) are counted in [`SourceTable::aggregates`]; a paged answer's
/// `@odata.nextLink` is kept in [`SourceTable::next`].
pub fn parse_gho_odata(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_gho_odata(bytes, file)?)
}

fn read_gho_odata(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = xml_instead(
        bytes,
        file,
        "JSON",
        "ask the OData API for JSON with the header `Accept: application/json` (healthy-city sends it) or `$format=json` in the address",
    ) {
        return Err(err);
    }
    let json: Value = serde_json::from_slice(strip_bom(bytes)).map_err(|source| Error::Json {
        file: file.to_string(),
        source,
    })?;
    let Some(rows) = json.get("value").and_then(Value::as_array) else {
        return Err(Error::format(
            file,
            None,
            "no `value` array: is it a GHO OData response?".to_string(),
        ));
    };
    let mut table = SourceTable::new(file, "record");
    table.next = json
        .get("@odata.nextLink")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    for (i, row) in rows.iter().enumerate() {
        let line = i + 1;
        table.rows_read += 1;
        let text = |key: &str| row.get(key).and_then(Value::as_str).unwrap_or("").trim();
        if text("SpatialDimType") != "COUNTRY" {
            table.aggregate(text("SpatialDim"));
            continue;
        }
        let (place, measure) = (text("SpatialDim"), text("IndicatorCode"));
        table.places.insert(place.to_string());
        table.measures.insert(measure.to_string());
        if ["Dim1", "Dim2", "Dim3"]
            .iter()
            .any(|d| is_breakdown(text(d)))
        {
            continue;
        }
        let at = || Some(format!("record {line}"));
        let year = match row.get("TimeDim") {
            Some(Value::Number(n)) => n.as_i64().and_then(|y| i32::try_from(y).ok()),
            Some(Value::String(s)) => s.trim().parse::<i32>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            Error::format(
                file,
                at(),
                format!("country `{place}`: `TimeDim` is not a year"),
            )
        })?;
        let cell = |name: &str| {
            json_number(row.get(name), Some(name), false).map_err(|m| {
                Error::format(file, at(), format!("country `{place}`, year {year}: {m}"))
            })
        };
        if let Some(value) = cell("NumericValue")? {
            let (low, high) = (cell("Low")?, cell("High")?);
            check_interval(file, &at, place, year, value, low, high)?;
            table.records.push(SourceRecord {
                low,
                high,
                ..SourceRecord::new(line, place, measure, year, value)
            });
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTAL: &str = "IndicatorCode,Indicator,ValueType,ParentLocationCode,ParentLocation,Location type,SpatialDimValueCode,Location,Period type,Period,IsLatestYear,Dim1 type,Dim1,Dim1ValueCode,Dim2 type,Dim2,Dim2ValueCode,Dim3 type,Dim3,Dim3ValueCode,DataSourceDimValueCode,DataSource,FactValueNumericPrefix,FactValueNumeric,FactValueUoM,FactValueNumericLowPrefix,FactValueNumericLow,FactValueNumericHighPrefix,FactValueNumericHigh,Value,FactValueTranslationID,FactComments,Language,DateModified
NCD_BMI_30A,\"Prevalence of obesity among adults, BMI &GreaterEqual; 30 (age-standardized estimate) (%)\",numeric,EUR,Europe,Country,GBR,United Kingdom of Great Britain and Northern Ireland,Year,2022,true,Sex,Both sexes,SEX_BTSX,Age Group,18+  years,AGEGROUP_YEARS18-PLUS,,,,,,,26.82,,,23.9,,29.9,26.8 [23.9-29.9],,,EN,2024-02-28T23:00:00.000Z
NCD_BMI_30A,\"Prevalence of obesity among adults, BMI &GreaterEqual; 30 (age-standardized estimate) (%)\",numeric,EUR,Europe,Country,GBR,United Kingdom of Great Britain and Northern Ireland,Year,2022,true,Sex,Female,SEX_FMLE,Age Group,18+  years,AGEGROUP_YEARS18-PLUS,,,,,,,28.1,,,24.0,,32.0,28.1 [24.0-32.0],,,EN,2024-02-28T23:00:00.000Z
NCD_BMI_30A,\"Prevalence of obesity among adults, BMI &GreaterEqual; 30 (age-standardized estimate) (%)\",numeric,,,WHO region,EUR,Europe,Year,2022,true,Sex,Both sexes,SEX_BTSX,Age Group,18+  years,AGEGROUP_YEARS18-PLUS,,,,,,,24.1,,,22.0,,26.0,24.1 [22.0-26.0],,,EN,2024-02-28T23:00:00.000Z
SA_0000001400,\"Alcohol, recorded per capita (15+) consumption (in litres of pure alcohol), by beverage type\",numeric,EMR,Eastern Mediterranean,Country,AFG,Afghanistan,Year,2020,true,Beverage Types,All types,ALCOHOLTYPE_SA_TOTAL,,,,,,,DATASOURCE_GISAHAFG,\"FAO; merged (FAO, IWSR, OIV) 2000-2020\",,0.009,,,,,,0,,,EN,2024-08-11T22:00:00.000Z
SA_0000001400,Alcohol,numeric,EMR,Eastern Mediterranean,Country,AFG,Afghanistan,Year,2020,true,Beverage Types,Beer,ALCOHOLTYPE_SA_BEER,,,,,,,,,,0.001,,,,,,0,,,EN,2024-08-11T22:00:00.000Z
";

    #[test]
    fn reads_portal_csv_country_totals_from_the_numeric_column() {
        let table = parse_gho_csv(PORTAL.as_bytes(), "gho.csv").unwrap();
        assert_eq!(table.rows_read, 5);
        let got: Vec<_> = table
            .records
            .iter()
            .map(|r| {
                (
                    r.measure.as_str(),
                    r.place.as_str(),
                    r.year,
                    r.value,
                    r.line,
                )
            })
            .collect();
        // 0.009 is the numeric value; the display text says 0.
        assert_eq!(
            got,
            [
                ("NCD_BMI_30A", "GBR", 2022, 26.82, 2),
                ("SA_0000001400", "AFG", 2020, 0.009, 5),
            ]
        );
        assert!(!table.places.contains("EUR"));
        assert_eq!(table.aggregates.get("EUR"), Some(&1), "the WHO region row");
    }

    const ODATA: &str = r#"{
  "@odata.context": "https://ghoapi.azureedge.net/api/$metadata#NCD_PAA",
  "value": [
    {"Id": 1, "IndicatorCode": "NCD_PAA", "SpatialDimType": "COUNTRY", "SpatialDim": "GBR",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2022, "Dim1": "SEX_BTSX",
     "Value": "19.0 [15.0-23.5]", "NumericValue": 18.987, "Low": 15.0, "High": 23.5},
    {"Id": 2, "IndicatorCode": "NCD_PAA", "SpatialDimType": "REGION", "SpatialDim": "EUR",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2022, "Dim1": "SEX_BTSX",
     "Value": "28.9 [26.1-32.0]", "NumericValue": 28.9},
    {"Id": 3, "IndicatorCode": "NCD_PAA", "SpatialDimType": "COUNTRY", "SpatialDim": "GBR",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2022, "Dim1": "SEX_MLE",
     "Value": "16.0", "NumericValue": 16.0},
    {"Id": 4, "IndicatorCode": "NCD_PAA", "SpatialDimType": "GLOBAL", "SpatialDim": "GLOBAL",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2022, "Dim1": "SEX_BTSX",
     "Value": "31.3", "NumericValue": 31.3},
    {"Id": 5, "IndicatorCode": "NCD_PAA", "SpatialDimType": "COUNTRY", "SpatialDim": "FRA",
     "TimeDimType": "YEAR", "Dim1Type": "SEX", "TimeDim": 2021, "Dim1": "SEX_BTSX",
     "Value": "No data", "NumericValue": null}
  ]
}"#;

    #[test]
    fn reads_odata_country_rows_for_both_sexes_only() {
        let table = parse_gho_odata(ODATA.as_bytes(), "paa.json").unwrap();
        assert_eq!(table.rows_read, 5);
        assert_eq!(table.position, "record");
        let got: Vec<_> = table
            .records
            .iter()
            .map(|r| (r.place.as_str(), r.year, r.value, r.line))
            .collect();
        assert_eq!(got, [("GBR", 2022, 18.987, 1)]);
        assert_eq!(table.places.iter().collect::<Vec<_>>(), ["FRA", "GBR"]);
        // The REGION and GLOBAL rows, one each, are aggregates: counted, never values.
        assert_eq!(
            table
                .aggregates
                .iter()
                .map(|(c, n)| (c.as_str(), *n))
                .collect::<Vec<_>>(),
            [("EUR", 1), ("GLOBAL", 1)]
        );
        assert_eq!(table.next, None);
    }

    #[test]
    fn keeps_the_publishers_interval_from_the_portal_csv_and_odata() {
        let table = parse_gho_csv(PORTAL.as_bytes(), "gho.csv").unwrap();
        // GBR 2022: FactValueNumericLow 23.9, FactValueNumericHigh 29.9; AFG alcohol: none.
        assert_eq!(
            table
                .records
                .iter()
                .map(|r| (r.place.as_str(), r.low, r.high))
                .collect::<Vec<_>>(),
            [("GBR", Some(23.9), Some(29.9)), ("AFG", None, None)]
        );
        let table = parse_gho_odata(ODATA.as_bytes(), "paa.json").unwrap();
        assert_eq!(
            (table.records[0].low, table.records[0].high),
            (Some(15.0), Some(23.5))
        );
    }

    #[test]
    fn rejects_an_interval_that_does_not_hold_the_value_naming_file_position_country_and_year() {
        let bad = ODATA.replace(r#""Low": 15.0"#, r#""Low": 19.5"#);
        let err = parse_gho_odata(bad.as_bytes(), "paa.json")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`paa.json` record 1: country `GBR`, year 2022: `low` 19.5 is above `value` 18.987: the interval must hold the value (low <= value <= high)");
        let bad = PORTAL.replace(",29.9,26.8 [", ",26.0,26.8 [");
        let err = parse_gho_csv(bad.as_bytes(), "gho.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`gho.csv` line 2: country `GBR`, year 2022: `high` 26 is below `value` 26.82: the interval must hold the value (low <= value <= high)");
        let bad = ODATA.replace(r#""High": 23.5"#, r#""High": "23.5""#);
        let err = parse_gho_odata(bad.as_bytes(), "paa.json")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`paa.json` record 1: country `GBR`, year 2022: `High` `\"23.5\"` is not a number"
        );
    }

    #[test]
    fn rejects_json_that_is_not_an_odata_response() {
        let err = parse_gho_odata(b"[1, 2]", "x.json")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`x.json`: no `value` array: is it a GHO OData response?"
        );
        let err = parse_gho_odata(b"{", "x.json").unwrap_err().to_string();
        assert_eq!(err, "`x.json` is not readable as JSON");
    }
}
