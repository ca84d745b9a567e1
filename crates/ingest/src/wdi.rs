//! World Bank World Development Indicators: the per-indicator bulk CSV download
//! (`API_<CODE>_DS2_en_csv_v2_<n>.csv`).

use crate::error::{Error, Result};
use crate::table::{number, strip_bom, Lines, SourceRecord, SourceTable};

/// What to check when the World Bank answers XML: it does so, with status 200, for an
/// indicator code it does not know.
const WB_XML_HINT: &str = "the World Bank answers an XML message for an unknown indicator code: check the code in the catalogue's `download` address (e.g. `SP.DYN.LE00.IN`)";

/// Reads a World Bank bulk CSV: the preamble (`Data Source`, `Last Updated Date`, blank lines),
/// the header `Country Name,Country Code,Indicator Name,Indicator Code,1960,...` and one row per
/// country or aggregate, with a trailing comma. Empty cells are missing. Places are the
/// `Country Code`s, measures the `Indicator Code`s; the `Last Updated Date` becomes the release.
pub fn parse_wdi_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = crate::table::xml_instead(bytes, file, "the WDI CSV", WB_XML_HINT) {
        return Err(err);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(strip_bom(bytes));
    let mut lines = Lines::new(strip_bom(bytes));
    let mut table = SourceTable::new(file, "line");
    let mut years: Option<Vec<(usize, i32)>> = None;
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        let line = lines.of(&record);
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let Some(year_columns) = &years else {
            if field(0) == "Last Updated Date" {
                table.release = Some(field(1).to_string());
            } else if field(0) == "Country Name" && field(1) == "Country Code" {
                if field(3) != "Indicator Code" {
                    return Err(Error::format(
                        file,
                        Some(format!("line {line}")),
                        "the header's fourth column is not `Indicator Code`".to_string(),
                    ));
                }
                years = Some(
                    record
                        .iter()
                        .enumerate()
                        .skip(4)
                        .filter_map(|(i, h)| h.trim().parse::<i32>().ok().map(|y| (i, y)))
                        .collect(),
                );
            }
            continue;
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let (code, indicator) = (field(1), field(3));
        if code.is_empty() || indicator.is_empty() {
            return Err(Error::format(
                file,
                Some(format!("line {line}")),
                "a data row has no `Country Code` or `Indicator Code`".to_string(),
            ));
        }
        table.rows_read += 1;
        table.places.insert(code.to_string());
        table.measures.insert(indicator.to_string());
        for &(column, year) in year_columns {
            let value = number(field(column)).map_err(|message| {
                Error::format(
                    file,
                    Some(format!("line {line}")),
                    format!("country `{code}`, year {year}: {message}"),
                )
            })?;
            if let Some(value) = value {
                table
                    .records
                    .push(SourceRecord::new(line, code, indicator, year, value));
            }
        }
    }
    if years.is_none() {
        return Err(Error::format(
            file,
            None,
            "no `Country Name,Country Code,Indicator Name,Indicator Code,...` header: is it a World Bank bulk CSV?"
                .to_string(),
        ));
    }
    Ok(table)
}

/// Reads the World Bank's bulk download zip (`downloadformat=csv`): the one
/// `API_<CODE>_DS2_...csv` member is parsed with [`parse_wdi_csv`]; the `Metadata_*` members
/// are ignored. Errors name the member as `file!member`.
pub fn parse_wdi_zip(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = crate::table::xml_instead(bytes, file, "a zip archive", WB_XML_HINT) {
        return Err(err);
    }
    let not_zip = |message: String| Error::format(file, None, message);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| not_zip(format!("not a readable zip archive: {e}")))?;
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    let data: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.starts_with("API_")
                && std::path::Path::new(n)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        })
        .collect();
    let [member] = data.as_slice() else {
        return Err(not_zip(format!(
            "expected one `API_..._DS2_...csv` member, found {}: {names:?}",
            data.len()
        )));
    };
    let mut entry = archive
        .by_name(member)
        .map_err(|e| not_zip(format!("cannot open member `{member}`: {e}")))?;
    let mut csv = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut csv)
        .map_err(|e| not_zip(format!("cannot inflate member `{member}`: {e}")))?;
    parse_wdi_csv(&csv, &format!("{file}!{member}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &str = "\u{feff}\"Data Source\",\"World Development Indicators\",\r
\r
\"Last Updated Date\",\"2025-01-28\",\r
\r
\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"2019\",\"2020\",\"2021\",\r
\"United Kingdom\",\"GBR\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"81.4048780487805\",\"80.3512195121951\",\"\",\r
\"Euro area\",\"EMU\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"82.1\",\"\",\"81.9\",\r
\"Hong Kong SAR, China\",\"HKG\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"\",\"85.4963414634146\",\"85.5\",\r
";

    #[test]
    fn reads_a_bulk_csv_with_preamble_bom_and_trailing_comma() {
        let table = parse_wdi_csv(THREE.as_bytes(), "wdi.csv").unwrap();
        assert_eq!(table.release.as_deref(), Some("2025-01-28"));
        assert_eq!(table.rows_read, 3);
        assert_eq!(
            table.places.iter().collect::<Vec<_>>(),
            ["EMU", "GBR", "HKG"]
        );
        let got: Vec<_> = table
            .records
            .iter()
            .map(|r| (r.place.as_str(), r.year, r.value, r.line))
            .collect();
        assert_eq!(
            got,
            [
                ("GBR", 2019, 81.404_878_048_780_5, 6),
                ("GBR", 2020, 80.351_219_512_195_1, 6),
                ("EMU", 2019, 82.1, 7),
                ("EMU", 2021, 81.9, 7),
                ("HKG", 2020, 85.496_341_463_414_6, 8),
                ("HKG", 2021, 85.5, 8),
            ]
        );
        assert!(table.records.iter().all(|r| r.measure == "SP.DYN.LE00.IN"));
    }

    #[test]
    fn rejects_a_cell_that_is_not_a_number_naming_line_country_and_year() {
        let text = THREE.replace("\"82.1\"", "\"n.a.\"");
        let err = parse_wdi_csv(text.as_bytes(), "wdi.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`wdi.csv` line 7: country `EMU`, year 2019: `n.a.` is not a number"
        );
    }

    #[test]
    fn rejects_a_file_without_the_header() {
        let err = parse_wdi_csv(b"a,b\n", "x.csv").unwrap_err().to_string();
        assert!(err.starts_with("`x.csv`: no `Country Name"), "{err}");
    }
}
