//! Generic tables (CSV, XLSX or Parquet, plain or gzipped) read through the catalogue's column mapping
//! (`adapter = "table"`, `columns = { place, year, value, measure, sheet, aliases }`).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use healthy_city_model::Columns;

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{csv_with_header, gunzip_if_gzip, number, sheet_rows, xml_instead};
use crate::table::{SourceRecord, SourceTable};

/// Reads a CSV, XLSX or Parquet table (XLSX and Parquet are recognised by their signatures,
/// `PK` and `PAR1`), gzipped or not (recognised by the gzip signature `1f 8b`, as research
/// data such as the Masselot et al. city panel `metacityyear.csv.gz` is published, and
/// decompressed in memory up to the crate's bound for compressed bodies), with `columns`:
/// places from `columns.place`, years from `columns.year`; in a long table (`columns.measure`
/// set) the measure is that column's cell and the value `columns.value`'s; in a wide table the
/// measure is `query` and the value the column `columns.value` (default: `query`). Missing
/// markers (empty, `-`, `NA`, `..`) give no value; anything else that is not a number is an
/// error naming the line or row.
pub fn parse_table(
    bytes: &[u8],
    file: &str,
    columns: &Columns,
    query: &str,
) -> Result<SourceTable> {
    check_table(read_table(bytes, file, columns, query)?)
}

fn read_table(bytes: &[u8], file: &str, columns: &Columns, query: &str) -> Result<SourceTable> {
    // Inflated once, never again: a gzip inside the gzip is read as the table it is not.
    let bytes = gunzip_if_gzip(bytes, file)?;
    let bytes = bytes.as_ref();
    let (position, header, rows) = if bytes.starts_with(b"PK") {
        xlsx_rows(bytes, file, columns.sheet.as_deref())?
    } else if bytes.starts_with(b"PAR1") {
        parquet_rows(bytes, file)?
    } else if let Some(err) = xml_instead(
        bytes,
        file,
        "a CSV, XLSX or Parquet table",
        "check that the address or file gives the table itself, not a web page or an error message",
    ) {
        return Err(err);
    } else {
        csv_rows(bytes, file)?
    };
    let find = |name: &str| {
        header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            Error::format(
                file,
                Some(format!("{position} 1")),
                format!(
                    "no column `{name}` (the catalogue's `columns` name it); the header has {}",
                    header
                        .iter()
                        .map(|h| format!("`{}`", h.trim()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    };
    let place_col = find(&columns.place)?;
    let year_col = find(&columns.year)?;
    let measure_col = columns.measure.as_deref().map(find).transpose()?;
    let value_name = match (&columns.value, measure_col) {
        (Some(v), _) => v.as_str(),
        (None, None) => query,
        (None, Some(_)) => {
            return Err(Error::format(
                file,
                None,
                "a long table (with `measure`) needs `value`, the column holding the values"
                    .to_string(),
            ))
        }
    };
    let value_col = find(value_name)?;
    let mut table = SourceTable::new(file, position);
    for (line, row) in rows {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| row.get(i).map_or("", |c| c.trim());
        table.rows_read += 1;
        let place = cell(place_col);
        let measure = measure_col.map_or(query, cell);
        table.places.insert(place.to_string());
        table.measures.insert(measure.to_string());
        if measure != query {
            continue;
        }
        let at = || Some(format!("{position} {line}"));
        let year = cell(year_col).parse::<i32>().map_err(|_| {
            Error::format(
                file,
                at(),
                format!(
                    "place `{place}`: `{}` `{}` is not a year",
                    columns.year,
                    cell(year_col)
                ),
            )
        })?;
        let value = number(cell(value_col)).map_err(|m| {
            Error::format(
                file,
                at(),
                format!("place `{place}`, year {year}, `{value_name}`: {m}"),
            )
        })?;
        if let Some(value) = value {
            table
                .records
                .push(SourceRecord::new(line, place, measure, year, value));
        }
    }
    Ok(table)
}

type Rows = (&'static str, Vec<String>, Vec<(usize, Vec<String>)>);

fn csv_rows(bytes: &[u8], file: &str) -> Result<Rows> {
    let (mut reader, mut lines, header) = csv_with_header(bytes, file, false)?;
    let header: Vec<String> = header.iter().map(str::to_string).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        let line = lines.of(&record);
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(("line", header, rows))
}

fn xlsx_rows(bytes: &[u8], file: &str, sheet: Option<&str>) -> Result<Rows> {
    let workbook_error = |source| Error::Workbook {
        file: file.to_string(),
        source,
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(workbook_error)?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(Error::format(
                file,
                None,
                format!("no sheet `{s}`; the workbook has {names:?}"),
            ))
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Error::format(file, None, "the workbook has no sheet".to_string()))?,
    };
    let mut rows = sheet_rows(&mut workbook, &name, file)?
        .into_iter()
        .map(|(line, row)| (line, row.iter().map(text).collect::<Vec<String>>()));
    let Some((_, header)) = rows.next() else {
        return Err(Error::format(
            file,
            None,
            format!("sheet `{name}` is empty"),
        ));
    };
    Ok(("row", header, rows.collect()))
}

fn parquet_rows(bytes: &[u8], file: &str) -> Result<Rows> {
    use polars::prelude::DataType;
    // The model crate checks every column's type against the file's own schema first, so a
    // column of a type polars is built without (struct, map, list...) is an error naming it,
    // never a panic.
    let (frame, _) = healthy_city_model::read_parquet_frame(bytes)
        .map_err(|message| Error::format(file, None, message))?;
    let header: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut columns = Vec::new();
    for column in frame.columns() {
        let unreadable = |e: polars::prelude::PolarsError| {
            Error::format(
                file,
                None,
                format!(
                    "column `{}` cannot be read as text: {e}",
                    healthy_city_model::echo(column.name())
                ),
            )
        };
        let strings = column.cast(&DataType::String).map_err(unreadable)?;
        let strings: Vec<String> = strings
            .str()
            .map_err(unreadable)?
            .iter()
            .map(|s| s.unwrap_or("").to_string())
            .collect();
        columns.push(strings);
    }
    let rows = (0..frame.height())
        .map(|i| (i + 1, columns.iter().map(|c| c[i].clone()).collect()))
        .collect();
    Ok(("row", header, rows))
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(value: Option<&str>, measure: Option<&str>) -> Columns {
        Columns {
            place: "City".to_string(),
            year: "Year".to_string(),
            value: value.map(str::to_string),
            measure: measure.map(str::to_string),
            sheet: None,
            aliases: None,
        }
    }

    fn values(table: &SourceTable) -> Vec<(String, i32, f64, usize)> {
        table
            .records
            .iter()
            .map(|r| (r.place.clone(), r.year, r.value, r.line))
            .collect()
    }

    #[test]
    fn reads_a_wide_csv_through_the_query_column() {
        let csv =
            "City,Year,PM2.5,NO2\nLondon,2019,11.4,34.8\nParis,2019,-,40.1\n\nLondon,2020,10.0,\n";
        let table = parse_table(csv.as_bytes(), "t.csv", &columns(None, None), "PM2.5").unwrap();
        assert_eq!(
            values(&table),
            [
                ("London".to_string(), 2019, 11.4, 2),
                ("London".to_string(), 2020, 10.0, 5)
            ]
        );
        assert_eq!(table.rows_read, 3);
    }

    #[test]
    fn reads_a_long_csv_keeping_the_query_measure() {
        let csv = "City,Year,Indicator,Value\nLondon,2019,pm25,11.4\nLondon,2019,no2,34.8\n";
        let table = parse_table(
            csv.as_bytes(),
            "t.csv",
            &columns(Some("Value"), Some("Indicator")),
            "no2",
        )
        .unwrap();
        assert_eq!(values(&table), [("London".to_string(), 2019, 34.8, 3)]);
        assert_eq!(table.measures.len(), 2);
    }

    #[test]
    fn names_a_missing_column_and_a_bad_value() {
        let csv = "City,Year,PM2.5\nLondon,2019,high\n";
        let err = parse_table(csv.as_bytes(), "t.csv", &columns(Some("PM10"), None), "x")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`t.csv` line 1: no column `PM10` (the catalogue's `columns` name it); the header has `City`, `Year`, `PM2.5`"
        );
        let err = parse_table(csv.as_bytes(), "t.csv", &columns(None, None), "PM2.5")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`t.csv` line 2: place `London`, year 2019, `PM2.5`: `high` is not a number"
        );
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_a_gzipped_csv_as_the_plain_one_and_names_a_truncated_one() {
        let csv = "City,Year,PM2.5\nLondon,2019,11.4\nParis,2019,NA\n";
        let plain = parse_table(csv.as_bytes(), "t.csv", &columns(None, None), "PM2.5").unwrap();
        let gz = gzip(csv.as_bytes());
        let unzipped = parse_table(&gz, "t.csv.gz", &columns(None, None), "PM2.5").unwrap();
        assert_eq!(unzipped.records, plain.records);
        assert_eq!(values(&unzipped), [("London".to_string(), 2019, 11.4, 2)]);
        let err = parse_table(
            &gz[..gz.len() - 12],
            "t.csv.gz",
            &columns(None, None),
            "PM2.5",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "`t.csv.gz`: the body starts like gzip (bytes 1f 8b) but does not decompress after"
            ),
            "{err}"
        );
        // A gzip inside the gzip is not inflated again: it is read as (unreadable) text.
        let twice = gzip(&gz);
        assert!(parse_table(&twice, "t.csv.gz.gz", &columns(None, None), "PM2.5").is_err());
    }

    /// The Masselot et al. (2023) city panel as published (`masselot-854-cities/`), value
    /// checked against the decompressed file's line, quoted.
    #[test]
    fn reads_the_published_masselot_panel_gzipped() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let bytes = std::fs::read(data.join("masselot-854-cities/metacityyear.csv.gz")).unwrap();
        let columns = Columns {
            place: "URAU_CODE".to_string(),
            year: "year".to_string(),
            value: None,
            measure: None,
            sheet: None,
            aliases: Some("eurostat".to_string()),
        };
        let pm25 = parse_table(&bytes, "metacityyear.csv.gz", &columns, "pm25").unwrap();
        let london = |table: &SourceTable, year: i32| -> Vec<(usize, f64)> {
            table
                .records
                .iter()
                .filter(|r| r.place == "UK001C" && r.year == year)
                .map(|r| (r.line, r.value))
                .collect()
        };
        // Line 15120: `"UK001C",2019,NA,NA,NA,5600.53416425876,0.52815226951,11.7079610824585,...`
        // (`pm25` is the 8th column).
        assert_eq!(london(&pm25, 2019), [(15120, 11.707_961_082_458_5)]);
        // 854 cities x 21 years (2000-2020).
        assert_eq!(pm25.rows_read, 17_934);
        assert_eq!(pm25.places.len(), 854);
        // Line 15119 (2018): `lifexp_00` 83.0238095238095; 2019 is `NA` (London's life
        // expectancy ends in 2018).
        let lifexp = parse_table(&bytes, "metacityyear.csv.gz", &columns, "lifexp_00").unwrap();
        assert_eq!(london(&lifexp, 2018), [(15119, 83.023_809_523_809_5)]);
        assert!(london(&lifexp, 2019).is_empty());
    }
}

#[cfg(test)]
mod xlsx_tests {
    use super::*;

    #[test]
    fn reads_a_named_sheet_of_a_workbook_with_numeric_years() {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().set_name("Notes").unwrap();
        let sheet = book.add_worksheet().set_name("Data").unwrap();
        for (c, h) in ["Country", "Year", "Obesity (%)"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "GBR").unwrap();
        sheet.write_number(1, 1, 2022.0).unwrap();
        sheet.write_number(1, 2, 27.8).unwrap();
        sheet.write_string(2, 0, "FRA").unwrap();
        sheet.write_number(2, 1, 2022.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let columns = Columns {
            place: "Country".to_string(),
            year: "Year".to_string(),
            value: None,
            measure: None,
            sheet: Some("Data".to_string()),
            aliases: None,
        };
        let table = parse_table(&bytes, "obesity.xlsx", &columns, "Obesity (%)").unwrap();
        let got: Vec<(&str, i32, f64, usize)> = table
            .records
            .iter()
            .map(|r| (r.place.as_str(), r.year, r.value, r.line))
            .collect();
        assert_eq!(got, [("GBR", 2022, 27.8, 2)]);
        assert_eq!(table.rows_read, 2);
        let wrong = Columns {
            sheet: Some("Sheet9".to_string()),
            ..columns
        };
        assert_eq!(
            parse_table(&bytes, "obesity.xlsx", &wrong, "Obesity (%)")
                .unwrap_err()
                .to_string(),
            "`obesity.xlsx`: no sheet `Sheet9`; the workbook has [\"Notes\", \"Data\"]"
        );
    }
}

#[cfg(test)]
mod parquet_tests {
    use super::*;
    use polars::prelude::{df, ParquetWriter};

    #[test]
    fn reads_a_long_parquet_table() {
        let mut frame = df!(
            "city" => ["London", "London", "Paris"],
            "year" => [2019i32, 2020, 2019],
            "indicator" => ["pm25", "pm25", "pm25"],
            "value" => [Some(11.41f64), None, Some(14.2)]
        )
        .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
        let columns = Columns {
            place: "city".to_string(),
            year: "year".to_string(),
            value: Some("value".to_string()),
            measure: Some("indicator".to_string()),
            sheet: None,
            aliases: None,
        };
        let table = parse_table(&bytes, "t.parquet", &columns, "pm25").unwrap();
        let got: Vec<(&str, i32, f64, usize)> = table
            .records
            .iter()
            .map(|r| (r.place.as_str(), r.year, r.value, r.line))
            .collect();
        assert_eq!(got, [("London", 2019, 11.41, 1), ("Paris", 2019, 14.2, 3)]);
        assert_eq!(table.rows_read, 3);
    }

    fn long_columns() -> Columns {
        Columns {
            place: "city".to_string(),
            year: "year".to_string(),
            value: Some("value".to_string()),
            measure: None,
            sheet: None,
            aliases: None,
        }
    }

    #[test]
    fn reads_decimal_values_and_small_integer_years_from_parquet() {
        use polars::prelude::{Column, DataFrame, DataType};
        let value = Column::new("value".into(), [12.34f64, 5.0])
            .cast(&DataType::Decimal(10, 2))
            .unwrap();
        let year = Column::new("year".into(), [2019i16, 2020]);
        let city = Column::new("city".into(), ["London", "Paris"]);
        let mut frame = DataFrame::new(2, vec![city, year, value]).unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
        let table = parse_table(&bytes, "t.parquet", &long_columns(), "pm25").unwrap();
        let got: Vec<(&str, i32, f64)> = table
            .records
            .iter()
            .map(|r| (r.place.as_str(), r.year, r.value))
            .collect();
        // Decimal(10, 2) 12.34 is read as the value 12.34 (tolerance 1e-12).
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1), ("London", 2019));
        assert!((got[0].2 - 12.34).abs() < 1e-12, "{got:?}");
        assert_eq!((got[1].0, got[1].1, got[1].2), ("Paris", 2020, 5.0));
    }

    #[test]
    fn an_unreadable_parquet_file_is_an_error_not_a_panic() {
        for bytes in [b"PAR1".to_vec(), b"PAR1 not really PAR1".to_vec()] {
            let e = parse_table(&bytes, "t.parquet", &long_columns(), "pm25")
                .unwrap_err()
                .to_string();
            assert!(e.contains("not a readable Parquet file"), "{e}");
        }
    }
}
