//! CDC PLACES: the Socrata open-data API's JSON records (US city and county estimates).

use serde_json::Value;

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{json, number, year_of};
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
}
