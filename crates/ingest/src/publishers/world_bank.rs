//! World Bank: the World Development Indicators' per-indicator bulk CSV download
//! (`API_<CODE>_DS2_en_csv_v2_<n>.csv`, alone or in its zip) and the Indicators API v2 JSON;
//! and the World Bank's aggregate codes (regions, income groups, the world).

use serde_json::Value;

use crate::bounds::{check_table, read_inflated, MAX_INFLATED};
use crate::error::{Error, Result};
use crate::read::{json, json_number, number, strip_bom, xml_instead, year_of, Lines};
use crate::table::{SourceRecord, SourceTable};

/// What to check when the World Bank answers XML: it does so, with status 200, for an
/// indicator code it does not know.
const WB_XML_HINT: &str = "the World Bank answers an XML message for an unknown indicator code: check the code in the catalogue's `download` address (e.g. `SP.DYN.LE00.IN`)";

/// Reads a World Bank bulk CSV: the preamble (`Data Source`, `Last Updated Date`, blank lines),
/// the header `Country Name,Country Code,Indicator Name,Indicator Code,1960,...` and one row per
/// country or aggregate, with a trailing comma. Empty cells are missing. Places are the
/// `Country Code`s, measures the `Indicator Code`s; the `Last Updated Date` becomes the release.
pub fn parse_wdi_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_wdi_csv(bytes, file)?)
}

fn read_wdi_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = xml_instead(bytes, file, "the WDI CSV", WB_XML_HINT) {
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
    check_table(read_wdi_zip(bytes, file)?)
}

fn read_wdi_zip(bytes: &[u8], file: &str) -> Result<SourceTable> {
    if let Some(err) = xml_instead(bytes, file, "a zip archive", WB_XML_HINT) {
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
    let csv = read_inflated(
        &mut entry,
        MAX_INFLATED,
        file,
        &format!("member `{member}`"),
    )?;
    parse_wdi_csv(&csv, &format!("{file}!{member}"))
}

/// How to ask the World Bank API for JSON, quoted when it answers XML.
const WB_JSON: &str =
    "add `format=json` to the address (the World Bank API answers XML without it)";

/// The paging header of a World Bank API v2 response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WbPage {
    /// This page (1-based).
    pub page: u64,
    /// Number of pages.
    pub pages: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Rows in all pages.
    pub total: u64,
}

/// Reads one page of a World Bank Indicators API v2 response: a two-element array, the paging
/// header then the rows (`null` when there are none). The API's error shape
/// (`[{"message":[{"id","key","value"}]}]`) is an error quoting the API's message. Places are
/// `countryiso3code`s (aggregates such as `EMU` included; rows without a code are counted but
/// give no place), measures `indicator.id`s, the release the header's `lastupdated`; positions
/// are record numbers counted over all pages.
pub fn parse_wb_api(bytes: &[u8], file: &str) -> Result<(WbPage, SourceTable)> {
    let (page, table) = read_wb_api(bytes, file)?;
    Ok((page, check_table(table)?))
}

fn read_wb_api(bytes: &[u8], file: &str) -> Result<(WbPage, SourceTable)> {
    let json = json(bytes, file, WB_JSON)?;
    let Some([header, rows]) = json.as_array().map(Vec::as_slice).and_then(|a| match a {
        [h, r] => Some([h, r]),
        [h] if h.get("message").is_some() => Some([h, &Value::Null]),
        _ => None,
    }) else {
        return Err(Error::format(
            file,
            None,
            "not a World Bank API v2 response (a two-element array: paging header, rows)"
                .to_string(),
        ));
    };
    if let Some(messages) = header.get("message").and_then(Value::as_array) {
        let text: Vec<String> = messages
            .iter()
            .map(|m| {
                let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                format!("{} {}: {}", s("id"), s("key"), s("value"))
            })
            .collect();
        return Err(Error::format(
            file,
            None,
            format!(
                "the World Bank API answered with an error: {}",
                text.join("; ")
            ),
        ));
    }
    let int = |k: &str| match header.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let (Some(page), Some(pages), Some(per_page), Some(total)) =
        (int("page"), int("pages"), int("per_page"), int("total"))
    else {
        return Err(Error::format(
            file,
            None,
            "the paging header lacks `page`, `pages`, `per_page` or `total`".to_string(),
        ));
    };
    let paging = WbPage {
        page,
        pages,
        per_page,
        total,
    };
    let mut table = SourceTable::new(file, "record");
    table.release = header
        .get("lastupdated")
        .and_then(Value::as_str)
        .map(str::to_string);
    let rows: &[Value] = match rows {
        Value::Null => &[],
        Value::Array(rows) => rows,
        _ => {
            return Err(Error::format(
                file,
                None,
                "the second element is not an array of rows".to_string(),
            ))
        }
    };
    // The position of the page's first row: a forged page or page size that numbers rows
    // beyond what can be counted is an error, never an overflow.
    let first = (page.max(1) - 1)
        .checked_mul(per_page)
        .and_then(|f| usize::try_from(f).ok())
        .and_then(|f| f.checked_add(rows.len()).map(|_| f))
        .ok_or_else(|| {
            Error::format(
                file,
                None,
                format!("the paging header's `page` {page} and `per_page` {per_page} number rows beyond any answer"),
            )
        })?;
    for (i, row) in rows.iter().enumerate() {
        let line = first + i + 1;
        let at = || Some(format!("record {line}"));
        table.rows_read += 1;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").trim().to_string();
        let place = text(row.get("countryiso3code"));
        let measure = text(row.pointer("/indicator/id"));
        if measure.is_empty() {
            return Err(Error::format(file, at(), "no `indicator.id`".to_string()));
        }
        table.measures.insert(measure.clone());
        if place.is_empty() {
            continue;
        }
        table.places.insert(place.clone());
        let date = text(row.get("date"));
        let year = year_of(&date).ok_or_else(|| {
            Error::format(
                file,
                at(),
                format!("country `{place}`: `date` `{date}` is not a year"),
            )
        })?;
        let value = json_number(row.get("value"), Some("value"), true).map_err(|m| {
            Error::format(file, at(), format!("country `{place}`, year {year}: {m}"))
        })?;
        if let Some(value) = value {
            let mut r = SourceRecord::new(line, &place, &measure, year, value);
            let status = text(row.get("obs_status"));
            if !status.is_empty() {
                r.status = Some(status);
            }
            table.records.push(r);
        }
    }
    Ok((paging, table))
}

/// World Bank aggregates: regions, income and lending groups, demographic dividend groups and
/// the world, as the `Metadata_Country` files list them (with an empty `Region`), plus `INX`
/// (not classified).
pub(crate) const AGGREGATES: [&str; 49] = [
    "AFE", "AFW", "ARB", "CEB", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU", "FCS",
    "HIC", "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC", "LMC",
    "LMY", "LTE", "MEA", "MIC", "MNA", "NAC", "OED", "OSS", "PRE", "PSS", "PST", "SAS", "SSA",
    "SSF", "SST", "TEA", "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::values;

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
    fn a_page_numbering_rows_beyond_any_answer_is_an_error() {
        let body =
            r#"[{"page":18446744073709551615,"pages":1,"per_page":4294967296,"total":1},[]]"#;
        assert_eq!(
            parse_wb_api(body.as_bytes(), "wb").unwrap_err().to_string(),
            "`wb`: the paging header's `page` 18446744073709551615 and `per_page` 4294967296 number rows beyond any answer"
        );
    }

    #[test]
    fn rejects_a_file_without_the_header() {
        let err = parse_wdi_csv(b"a,b\n", "x.csv").unwrap_err().to_string();
        assert!(err.starts_with("`x.csv`: no `Country Name"), "{err}");
    }

    const WB_PAGE_2: &str = r#"[{"page":2,"pages":2,"per_page":2,"total":3,"sourceid":"2","lastupdated":"2025-01-28"},[{"indicator":{"id":"SP.DYN.LE00.IN","value":"Life expectancy at birth, total (years)"},"country":{"id":"XC","value":"Euro area"},"countryiso3code":"EMU","date":"2020","value":null,"unit":"","obs_status":"","decimal":2}]]"#;

    #[test]
    fn reads_a_world_bank_page_with_its_paging_and_release() {
        let body = r#"[{"page":1,"pages":2,"per_page":2,"total":3,"sourceid":"2","lastupdated":"2025-01-28"},[{"indicator":{"id":"SP.DYN.LE00.IN","value":"Life expectancy"},"country":{"id":"GB","value":"United Kingdom"},"countryiso3code":"GBR","date":"2020","value":80.35,"unit":"","obs_status":"","decimal":2},{"indicator":{"id":"SP.DYN.LE00.IN","value":"Life expectancy"},"country":{"id":"XX","value":"Not classified"},"countryiso3code":"","date":"2020","value":5.0,"unit":"","obs_status":"","decimal":2}]]"#;
        let (page, mut table) = parse_wb_api(body.as_bytes(), "wb").unwrap();
        assert_eq!(
            page,
            WbPage {
                page: 1,
                pages: 2,
                per_page: 2,
                total: 3
            }
        );
        assert_eq!(table.release.as_deref(), Some("2025-01-28"));
        let (page2, rest) = parse_wb_api(WB_PAGE_2.as_bytes(), "wb").unwrap();
        assert_eq!(page2.page, 2);
        table.append(rest);
        assert_eq!(table.rows_read, 3);
        assert_eq!(
            values(&table),
            [(
                "GBR".to_string(),
                "SP.DYN.LE00.IN".to_string(),
                2020,
                80.35,
                None
            )]
        );
        assert_eq!(
            table.places.iter().collect::<Vec<_>>(),
            ["EMU", "GBR"],
            "a row without a code gives no place"
        );
    }

    #[test]
    fn reports_the_world_bank_error_shape_with_its_message() {
        let body = r#"[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]"#;
        let err = parse_wb_api(body.as_bytes(), "https://api.worldbank.org/v2/x")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`https://api.worldbank.org/v2/x`: the World Bank API answered with an error: 120 Invalid value: The provided parameter value is not valid");
    }

    #[test]
    fn reads_an_empty_world_bank_answer_as_no_rows() {
        let body = r#"[{"page":0,"pages":0,"per_page":50,"total":0,"sourceid":null,"lastupdated":"2025-01-28"},null]"#;
        let (page, table) = parse_wb_api(body.as_bytes(), "wb").unwrap();
        assert_eq!((page.pages, table.rows_read), (0, 0));
    }
}
