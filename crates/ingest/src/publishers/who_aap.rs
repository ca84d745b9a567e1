//! WHO Ambient Air Quality Database: the XLSX workbook (or its data sheet as CSV), in the V5
//! (2022) or the V6.1 (2024) column schema.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{number, sheet_rows, strip_bom, xml_instead, Lines};
use crate::table::{SourceRecord, SourceTable};

/// The measures of the database, named as in the V6.1 schema.
pub(crate) const POLLUTANTS: [&str; 3] = [
    "pm25_concentration",
    "pm10_concentration",
    "no2_concentration",
];

/// The column of either schema a header stands for, in V6.1 names (`iso3`, `city`, `year`,
/// `version`, `pm25_concentration`, ...); `None` for a column the adapter does not use.
pub(crate) fn canonical_column(header: &str) -> Option<&'static str> {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .replace('\u{b5}', "\u{3bc}")
        .to_lowercase();
    Some(match h.as_str() {
        "iso3" => "iso3",
        "city or locality" | "city" => "city",
        "measurement year" | "year" => "year",
        "version of the database" | "version" => "version",
        "pm2.5 (\u{3bc}g/m3)" | "pm25_concentration" => "pm25_concentration",
        "pm10 (\u{3bc}g/m3)" | "pm10_concentration" => "pm10_concentration",
        "no2 (\u{3bc}g/m3)" | "no2_concentration" => "no2_concentration",
        _ => return None,
    })
}

/// A cell of the data sheet.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Number(f64),
    Text(String),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(n) => n.to_string(),
            Cell::Text(t) => t.trim().to_string(),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Number(_) => false,
            Cell::Text(t) => t.trim().is_empty(),
        }
    }
}

impl From<&Data> for Cell {
    fn from(data: &Data) -> Self {
        match data {
            Data::Empty => Cell::Empty,
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Float(f) => Cell::Number(*f),
            Data::String(s) => Cell::Text(s.clone()),
            other => Cell::Text(other.to_string()),
        }
    }
}

/// What to check when an HTML or XML page comes where the AAP data was expected.
const AAP_XML_HINT: &str =
    "give the Ambient Air Quality Database workbook itself (.xlsx), not the web page linking to it";

/// Reads the WHO AAP workbook (XLSX bytes): the first sheet whose header names `ISO3` and the
/// city column (`AAP_2022_city_v9` in V5; the README sheet is skipped). Positions are sheet rows.
pub fn parse_who_aap_xlsx(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_who_aap_xlsx(bytes, file)?)
}

fn read_who_aap_xlsx(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = xml_instead(bytes, file, "an XLSX workbook", AAP_XML_HINT) {
        return Err(err);
    }
    let workbook_error = |source| Error::Workbook {
        file: file.to_string(),
        source,
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(workbook_error)?;
    for name in workbook.sheet_names() {
        let rows = sheet_rows(&mut workbook, &name, file)?
            .into_iter()
            .map(|(line, row)| (line, row.iter().map(Cell::from).collect()));
        if let Some(table) = from_rows(rows, file, "row")? {
            return Ok(table);
        }
    }
    Err(Error::format(
        file,
        None,
        "no sheet has the WHO AAP columns (`ISO3` and `City or Locality`, or `iso3` and `city`)"
            .to_string(),
    ))
}

/// Reads the WHO AAP data sheet saved as CSV (UTF-8, with or without BOM). Positions are lines.
pub fn parse_who_aap_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_who_aap_csv(bytes, file)?)
}

fn read_who_aap_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = xml_instead(bytes, file, "the AAP CSV", AAP_XML_HINT) {
        return Err(err);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(strip_bom(bytes));
    let mut lines = Lines::new(strip_bom(bytes));
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        let cells = record
            .iter()
            .map(|f| {
                if f.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(f.to_string())
                }
            })
            .collect();
        rows.push((lines.of(&record), cells));
    }
    from_rows(rows.into_iter(), file, "line")?.ok_or_else(|| {
        Error::format(
            file,
            None,
            "the header does not name the WHO AAP columns (`ISO3` and `City or Locality`, or `iso3` and `city`)"
                .to_string(),
        )
    })
}

/// Reads a grid whose first non-blank row is the header; `None` when that header is not a WHO AAP one.
fn from_rows(
    mut rows: impl Iterator<Item = (usize, Vec<Cell>)>,
    file: &str,
    position: &'static str,
) -> Result<Option<SourceTable>> {
    let Some((_, header)) = rows
        .by_ref()
        .find(|(_, cells)| !cells.iter().all(Cell::is_blank))
    else {
        return Ok(None);
    };
    let column = |name: &str| {
        header
            .iter()
            .position(|cell| canonical_column(&cell.text()) == Some(name))
    };
    let (Some(iso3), Some(city), Some(year)) = (column("iso3"), column("city"), column("year"))
    else {
        return Ok(None);
    };
    let version = column("version");
    let pollutants: Vec<(&str, usize)> = POLLUTANTS
        .iter()
        .filter_map(|&p| column(p).map(|c| (p, c)))
        .collect();
    let mut table = SourceTable::new(file, position);
    table.measures = pollutants.iter().map(|(p, _)| (*p).to_string()).collect();
    let empty = Cell::Empty;
    for (line, cells) in rows {
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        let cell = |i: usize| cells.get(i).unwrap_or(&empty);
        let at = || Some(format!("{position} {line}"));
        let place = format!("{}/{}", cell(iso3).text(), cell(city).text());
        let year = match cell(year) {
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 10_000.0 => *n as i32,
            other => other.text().parse::<i32>().map_err(|_| {
                Error::format(
                    file,
                    at(),
                    format!(
                        "`{place}`: measurement year `{}` is not a whole number",
                        other.text()
                    ),
                )
            })?,
        };
        let revision = version.map_or(0, |v| revision_of(&cell(v).text()));
        table.rows_read += 1;
        table.places.insert(place.clone());
        for &(measure, col) in &pollutants {
            let value = match cell(col) {
                Cell::Empty => None,
                Cell::Number(n) => Some(*n),
                Cell::Text(t) => number(t).map_err(|message| {
                    Error::format(
                        file,
                        at(),
                        format!("`{place}`, year {year}, column `{measure}`: {message}"),
                    )
                })?,
            };
            if let Some(value) = value.filter(|v| v.is_finite()) {
                table.records.push(SourceRecord {
                    revision,
                    ..SourceRecord::new(line, &place, measure, year, value)
                });
            }
        }
    }
    Ok(Some(table))
}

/// The version of the database a row was first published in, as a year: `2022` as is, and the
/// V-names by the years the V6.1 metadata sheet gives them (V3 2016, V4 2018, V5 2022, V6.0 2023,
/// V6.1 2024); `0` when unknown.
fn revision_of(text: &str) -> i32 {
    let text = text.trim();
    if let Ok(year) = text.parse::<f64>() {
        if year.fract() == 0.0 && (1900.0..3000.0).contains(&year) {
            return year as i32;
        }
    }
    match text.to_ascii_uppercase().as_str() {
        "V3" => 2016,
        "V4" => 2018,
        "V5" => 2022,
        "V6" | "V6.0" => 2023,
        "V6.1" => 2024,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const V5: &str = "\u{feff}WHO Region,ISO3,WHO Country Name,City or Locality,Measurement Year,PM2.5 (\u{3bc}g/m3),PM10 (\u{3bc}g/m3),NO2 (\u{3bc}g/m3),PM25 temporal coverage (%),PM10 temporal coverage (%),NO2 temporal coverage (%),Reference,Number and type of monitoring stations,Version of the database,Status,,
European Region,GBR,United Kingdom,London,2019,11.41,20.51,34.83,,,,European Environment Agency,NA,2022,,,
Region of the Americas,CAN,Canada,London,2019,7,,11,,,,NAPS,NA,2022,,,
Region of the Americas,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),2018,7.6,,,,,,US EPA,NA,2022,,,
Eastern Mediterranean Region,ISR,Israel,Tel Aviv,2015,24.1,64.2,,,,,MoEP,NA,2018,,,
,,,,,,,,,,,,,,,,
";

    #[test]
    fn reads_the_v5_schema_with_bom_blank_cells_and_trailing_columns() {
        let table = parse_who_aap_csv(V5.as_bytes(), "aap.csv").unwrap();
        assert_eq!(table.rows_read, 4);
        assert_eq!(table.places.len(), 4);
        assert_eq!(table.position, "line");
        let london: Vec<_> = table
            .records
            .iter()
            .filter(|r| r.place == "GBR/London")
            .map(|r| (r.measure.as_str(), r.year, r.value, r.line))
            .collect();
        assert_eq!(
            london,
            [
                ("pm25_concentration", 2019, 11.41, 2),
                ("pm10_concentration", 2019, 20.51, 2),
                ("no2_concentration", 2019, 34.83, 2)
            ]
        );
        let canada: Vec<_> = table
            .records
            .iter()
            .filter(|r| r.place == "CAN/London")
            .map(|r| (r.measure.as_str(), r.value))
            .collect();
        assert_eq!(
            canada,
            [("pm25_concentration", 7.0), ("no2_concentration", 11.0)]
        );
        let new_york = table
            .records
            .iter()
            .find(|r| r.place == "USA/New York-Newark-Jersey City (Ny-Nj-Pa)")
            .unwrap();
        assert_eq!((new_york.year, new_york.value), (2018, 7.6));
        let tel_aviv = table
            .records
            .iter()
            .find(|r| r.place == "ISR/Tel Aviv")
            .unwrap();
        assert_eq!(tel_aviv.revision, 2018);
    }

    #[test]
    fn reads_the_v61_schema() {
        let text = "who_region,iso3,country_name,city,year,version,pm10_concentration,pm25_concentration,no2_concentration,pm10_tempcov,pm25_tempcov,no2_tempcov,type_of_stations,reference,web_link,population,population_source,latitude,longitude,who_ms
4_Eur,AUT,Austria,Wien,2021,V6.0,17.2,11.6,,,,,,,,,,48.2,16.37,1
4_Eur,AUT,Austria,Wien,2022,V6.1,,10.9,22.4,,,,,,,,,48.2,16.37,1
";
        let table = parse_who_aap_csv(text.as_bytes(), "v61.csv").unwrap();
        let got: Vec<_> = table
            .records
            .iter()
            .map(|r| {
                (
                    r.place.as_str(),
                    r.measure.as_str(),
                    r.year,
                    r.value,
                    r.revision,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("AUT/Wien", "pm25_concentration", 2021, 11.6, 2023),
                ("AUT/Wien", "pm10_concentration", 2021, 17.2, 2023),
                ("AUT/Wien", "pm25_concentration", 2022, 10.9, 2024),
                ("AUT/Wien", "no2_concentration", 2022, 22.4, 2024),
            ]
        );
    }

    #[test]
    fn rejects_a_value_that_is_not_a_number_naming_line_and_place() {
        let text = V5.replace("11.41", "eleven");
        let err = parse_who_aap_csv(text.as_bytes(), "aap.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`aap.csv` line 2: `GBR/London`, year 2019, column `pm25_concentration`: `eleven` is not a number"
        );
    }

    #[test]
    fn rejects_a_file_without_the_aap_columns() {
        let err = parse_who_aap_csv(b"a,b\n1,2\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("`x.csv`: the header does not name"),
            "{err}"
        );
    }

    #[test]
    fn rejects_bytes_that_are_not_a_workbook() {
        let err = parse_who_aap_xlsx(b"not a zip", "aap.xlsx")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`aap.xlsx` is not readable as an XLSX workbook");
    }

    #[test]
    fn reads_the_whole_who_workbook() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let file = "who-aap/who_aap_2021_v9_11august2022.xlsx";
        let bytes = std::fs::read(data.join(file)).unwrap();
        let table = parse_who_aap_xlsx(&bytes, file).unwrap();
        assert_eq!(table.rows_read, 32_191);
        assert_eq!(table.places.len(), 6_905);
        let countries: BTreeSet<&str> = table
            .places
            .iter()
            .filter_map(|p| p.split('/').next())
            .collect();
        assert_eq!(countries.len(), 118);
        let london: Vec<(i32, f64)> = table
            .records
            .iter()
            .filter(|r| r.place == "GBR/London" && r.measure == "pm25_concentration")
            .map(|r| (r.year, r.value))
            .collect();
        assert_eq!(
            london,
            [
                (2010, 14.39),
                (2013, 15.59),
                (2014, 14.38),
                (2015, 11.72),
                (2016, 12.27),
                (2017, 12.45),
                (2018, 11.47),
                (2019, 11.41)
            ]
        );
    }
}
