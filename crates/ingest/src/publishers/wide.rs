//! Wide year-column tables: one row per place (and measure), one column per year, as the OECD
//! city database and the Air Quality Life Index publish them.
//!
//! One reader, [`read_wide`], parameterised by a [`WideLayout`]: which columns name the place
//! (joined with `/`), which column, if any, names the measure, and the rule every year column
//! follows, a name that is a prefix and a four-digit year (`2019`, `pm2019`, `who2019`). The
//! prefix is part of the measure, so one file can hold several (`pm` and `who`); columns that
//! are neither (population, coordinates, `natstandard`) are not read. The publishers' adapters
//! are layouts: [`parse_oecd_fua_csv`] and [`parse_aqli_csv`].

use crate::bounds::{check_table, echo};
use crate::error::{Error, Result};
use crate::read::{csv_with_header, data_line, gunzip_if_gzip, number, xml_instead};
use crate::table::{SourceRecord, SourceTable};

/// Which columns of a wide table say what.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WideLayout<'a> {
    /// Columns whose cells, joined with `/` in this order, name the place (`country/city`).
    /// A place part the file leaves empty stays empty (`Aruba/`), so the place still says
    /// which part is missing.
    pub(crate) place: &'a [&'a str],
    /// Column whose cell names the measure (OECD's `variable`), or `None` when the year
    /// columns' prefixes alone name it.
    pub(crate) measure: Option<&'a str>,
    /// What the format is, for the message naming a header without year columns
    /// (`pm2019`-like names).
    pub(crate) example: &'a str,
}

/// A header cell read as a year column: its prefix and year (`pm2019` is `("pm", 2019)`,
/// `2019` is `("", 2019)`). A name with anything after the year, or fewer than four digits,
/// is not one.
fn year_column(name: &str) -> Option<(&str, i32)> {
    let name = name.trim();
    let split = name.len().checked_sub(4)?;
    let (prefix, digits) = (name.get(..split)?, name.get(split..)?);
    if !digits.bytes().all(|b| b.is_ascii_digit())
        || !prefix.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
    {
        return None;
    }
    Some((prefix, digits.parse().ok()?))
}

/// Reads a wide CSV table with `layout`: one record per row and year column whose cell is a
/// number; the measure is the `measure` column's cell, the year column's prefix, or both
/// joined with `.`. Missing markers (empty, `NA`, `-`, `..`) give no value; anything else that
/// is not a number is an error naming the line, the place and the column. A header without a
/// column the layout names, or without any year column, or with one year column twice, is an
/// error naming the header. A gzip body is decompressed first.
pub(crate) fn read_wide(bytes: &[u8], file: &str, layout: &WideLayout) -> Result<SourceTable> {
    let bytes = gunzip_if_gzip(bytes, file)?;
    let bytes = bytes.as_ref();
    if let Some(err) = xml_instead(
        bytes,
        file,
        "a CSV table",
        "check that the address or file gives the table itself, not a web page or an error message",
    ) {
        return Err(err);
    }
    let (mut reader, mut lines, header) = csv_with_header(bytes, file, false)?;
    let header: Vec<&str> = header.iter().map(str::trim).collect();
    let listed = || {
        header
            .iter()
            .map(|h| format!("`{}`", echo(h)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let find = |name: &str| {
        header.iter().position(|h| *h == name).ok_or_else(|| {
            Error::format(
                file,
                Some("line 1".to_string()),
                format!(
                    "no column `{name}` ({}); the header has {}",
                    layout.example,
                    listed()
                ),
            )
        })
    };
    let place_cols: Vec<usize> = layout
        .place
        .iter()
        .map(|c| find(c))
        .collect::<Result<_>>()?;
    let measure_col = layout.measure.map(find).transpose()?;
    let mut years: Vec<(usize, &str, i32)> = Vec::new();
    for (c, name) in header.iter().enumerate() {
        let Some((prefix, year)) = year_column(name) else {
            continue;
        };
        if prefix.is_empty() && measure_col.is_none() {
            continue;
        }
        if years.iter().any(|&(_, p, y)| p == prefix && y == year) {
            return Err(Error::format(
                file,
                Some("line 1".to_string()),
                format!(
                    "the column `{name}` appears twice: which one holds the values is not known"
                ),
            ));
        }
        years.push((c, prefix, year));
    }
    if years.is_empty() {
        return Err(Error::format(
            file,
            Some("line 1".to_string()),
            format!(
                "no year columns (a prefix and a four-digit year: {}); the header has {}",
                layout.example,
                listed()
            ),
        ));
    }
    let mut table = SourceTable::new(file, "line");
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        let Some(line) = data_line(&mut lines, &record, header.len(), b',', file)? else {
            continue;
        };
        table.rows_read += 1;
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let place = place_cols
            .iter()
            .map(|&c| cell(c))
            .collect::<Vec<_>>()
            .join("/");
        table.places.insert(place.clone());
        let named = measure_col.map(cell);
        for &(c, prefix, year) in &years {
            let measure = match (named, prefix) {
                (Some(m), "") => m.to_string(),
                (Some(m), p) => format!("{m}.{p}"),
                (None, p) => p.to_string(),
            };
            table.measures.insert(measure.clone());
            let value = number(cell(c)).map_err(|m| {
                Error::format(
                    file,
                    Some(format!("line {line}")),
                    format!("place `{place}`, column `{}`: {m}", header[c]),
                )
            })?;
            if let Some(value) = value {
                table
                    .records
                    .push(SourceRecord::new(line, &place, measure, year, value));
            }
        }
    }
    Ok(table)
}

/// The OECD "Cities and Functional Urban Areas" wide table (`country,city,variable,2009,...,
/// 2019[,lon,lat]`, e.g. the FUA PM2.5 exposure file `Pollution.csv`).
const OECD_FUA: WideLayout<'static> = WideLayout {
    place: &["country", "city"],
    measure: Some("variable"),
    example: "the OECD city table has `country,city,variable,2009,...,2019`",
};

/// Reads the OECD city and functional-urban-area wide table: places are `country/city` as
/// the file writes them (`United Kingdom/London`, `Canada/London`: the country is what keeps
/// two Londons apart, and the file gives country names, not codes); the measure is the
/// `variable` cell (`Mean population exposure to PM2.5 air pollution`); years are the
/// year columns. `lon` and `lat` (added by the file's compiler) are not read.
pub fn parse_oecd_fua_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_wide(bytes, file, &OECD_FUA)?)
}

/// The AQLI wide tables' header, for messages.
const AQLI_EXAMPLE: &str =
    "the AQLI wide table has `id,name,...,pm1998..pm2023,who1998..who2023,nat1998..nat2023`";

/// Reads an Air Quality Life Index wide table (`gadm0_2023_wide.csv`, `gadm1_2023_wide.csv`,
/// `gadm2_...`): the measure is the year column's prefix (`pm` PM2.5 in µg/m³, `who` and `nat`
/// the years of life expectancy gained if the WHO guideline or the national standard were met;
/// the codebook, `data_Readme.md`), the year its suffix.
///
/// Places follow the file's own level: a country table (no `name0` column) is placed by `id`,
/// the ISO3 code (`DEU`), so national indicators match through each city's `country`; a
/// subnational table by its names from the country down, `name0/name` (`Germany/Berlin`) or
/// `name0/name1/name`: the codebook's `id` is a row number of the release (Berlin is `1005` in
/// the 2023 data), not a code another release or source keeps.
pub fn parse_aqli_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    // Which names the header holds decides the level; read it once to choose the layout.
    let inflated = gunzip_if_gzip(bytes, file)?;
    let (_, _, header) = csv_with_header(inflated.as_ref(), file, false)?;
    let has = |name: &str| header.iter().any(|h| h.trim() == name);
    let place: &[&str] = match (has("name0"), has("name1")) {
        (true, true) => &["name0", "name1", "name"],
        (true, false) => &["name0", "name"],
        (false, _) => &["id"],
    };
    let layout = WideLayout {
        place,
        measure: None,
        example: AQLI_EXAMPLE,
    };
    check_table(read_wide(inflated.as_ref(), file, &layout)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::values;

    #[test]
    fn reads_year_columns_by_prefix_and_leaves_other_columns() {
        assert_eq!(year_column("pm2019"), Some(("pm", 2019)));
        assert_eq!(year_column("2009"), Some(("", 2009)));
        assert_eq!(year_column(" who1998 "), Some(("who", 1998)));
        for name in [
            "whostandard",
            "population",
            "lon",
            "pm19",
            "pm2019a",
            "p-2019",
            "ü2019",
        ] {
            assert_eq!(year_column(name), None, "{name}");
        }
    }

    const AQLI: &str = "id,name,name0,population,pm2019,pm2018,who2019,who2018,nat2019
1005,Berlin,Germany,3721033,11.67,14.03,0.65,0.88,0.16
187,,Aruba,117524,5.12,4.6,0.01,NA,
";

    #[test]
    fn reads_an_aqli_subnational_table_by_country_and_region_names() {
        let table = parse_aqli_csv(AQLI.as_bytes(), "gadm1.csv").unwrap();
        let got = values(&table);
        assert_eq!(
            got[..4],
            [
                (
                    "Germany/Berlin".to_string(),
                    "pm".to_string(),
                    2019,
                    11.67,
                    None
                ),
                (
                    "Germany/Berlin".to_string(),
                    "pm".to_string(),
                    2018,
                    14.03,
                    None
                ),
                (
                    "Germany/Berlin".to_string(),
                    "who".to_string(),
                    2019,
                    0.65,
                    None
                ),
                (
                    "Germany/Berlin".to_string(),
                    "who".to_string(),
                    2018,
                    0.88,
                    None
                ),
            ]
        );
        // `NA` and empty cells are missing; an empty region name stays in the place.
        assert!(table
            .records
            .iter()
            .any(|r| r.place == "Aruba/" && r.measure == "who" && r.year == 2019));
        assert!(!table
            .records
            .iter()
            .any(|r| r.place == "Aruba/" && r.measure == "who" && r.year == 2018));
        assert_eq!(
            table.measures.iter().collect::<Vec<_>>(),
            ["nat", "pm", "who"]
        );
        assert_eq!(table.rows_read, 2);
    }

    #[test]
    fn reads_an_aqli_country_table_by_iso3() {
        let csv = "id,name,whostandard,natstandard,population,pm2023,who2023\nDEU,Germany,5,10,84182002,7.4,0.24\n";
        let table = parse_aqli_csv(csv.as_bytes(), "gadm0.csv").unwrap();
        assert_eq!(
            values(&table),
            [
                ("DEU".to_string(), "pm".to_string(), 2023, 7.4, None),
                ("DEU".to_string(), "who".to_string(), 2023, 0.24, None)
            ]
        );
    }

    #[test]
    fn reads_the_oecd_table_keeping_the_two_londons_apart() {
        let csv = "\"country\",\"city\",\"variable\",\"2018\",\"2019\",\"lon\",\"lat\"
\"Canada\",\"London\",\"Mean population exposure to PM2.5 air pollution\",7.5,7.4,-81.2452768,42.9849233
\"United Kingdom\",\"London\",\"Mean population exposure to PM2.5 air pollution\",11.4,11.1,-0.1275862,51.5072178
\"Germany\",\"Bocholt, Stadt\",\"Mean population exposure to PM2.5 air pollution\",,16.2,6.6,51.8
";
        let table = parse_oecd_fua_csv(csv.as_bytes(), "Pollution.csv").unwrap();
        let pm = "Mean population exposure to PM2.5 air pollution";
        let of = |place: &str| -> Vec<(i32, f64)> {
            table
                .records
                .iter()
                .filter(|r| r.place == place && r.measure == pm)
                .map(|r| (r.year, r.value))
                .collect()
        };
        assert_eq!(of("Canada/London"), [(2018, 7.5), (2019, 7.4)]);
        assert_eq!(of("United Kingdom/London"), [(2018, 11.4), (2019, 11.1)]);
        assert_eq!(of("Germany/Bocholt, Stadt"), [(2019, 16.2)]);
        // Coordinates are not year columns.
        assert_eq!(table.measures.len(), 1);
        assert_eq!(table.records.len(), 5);
    }

    #[test]
    fn a_wide_header_without_a_named_column_or_year_columns_is_an_error() {
        let err = parse_oecd_fua_csv(
            b"country,town,variable,2019\nCanada,London,pm,7.4\n",
            "p.csv",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "`p.csv` line 1: no column `city` (the OECD city table has `country,city,variable,2009,...,2019`); the header has `country`, `town`, `variable`, `2019`"
        );
        let err = parse_aqli_csv(b"id,name,population\nDEU,Germany,1\n", "a.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("`a.csv` line 1: no year columns (a prefix and a four-digit year: the AQLI wide table has"),
            "{err}"
        );
        let err = parse_aqli_csv(b"id,name,pm2019,pm2019\nDEU,Germany,1,2\n", "a.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`a.csv` line 1: the column `pm2019` appears twice: which one holds the values is not known"
        );
    }

    #[test]
    fn a_bad_cell_or_a_short_row_is_an_error_naming_line_place_and_column() {
        let bad = AQLI.replace("14.03", "high");
        assert_eq!(
            parse_aqli_csv(bad.as_bytes(), "gadm1.csv")
                .unwrap_err()
                .to_string(),
            "`gadm1.csv` line 2: place `Germany/Berlin`, column `pm2018`: `high` is not a number"
        );
        let short = AQLI.replace(",0.88,0.16", "");
        assert_eq!(
            parse_aqli_csv(short.as_bytes(), "gadm1.csv")
                .unwrap_err()
                .to_string(),
            "`gadm1.csv` line 2: 7 fields where the header names 9: a `,` inside a cell must be quoted"
        );
    }

    /// The published files (`oecd-fua/`, `aqli/`), values checked against the files' lines,
    /// quoted.
    #[test]
    fn reads_the_published_oecd_and_aqli_tables() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let value = |table: &SourceTable, place: &str, measure: &str, year: i32| {
            let found: Vec<(usize, f64)> = table
                .records
                .iter()
                .filter(|r| r.place == place && r.measure == measure && r.year == year)
                .map(|r| (r.line, r.value))
                .collect();
            assert_eq!(found.len(), 1, "{place} {measure} {year}: {found:?}");
            found[0]
        };
        let oecd = parse_oecd_fua_csv(
            &std::fs::read(data.join("oecd-fua/Pollution.csv")).unwrap(),
            "Pollution.csv",
        )
        .unwrap();
        let pm = "Mean population exposure to PM2.5 air pollution";
        // Line 1019: `"United Kingdom","London","Mean population exposure to PM2.5 air
        // pollution",14.6,14,15.1,12.9,13.1,11.9,11.7,11.2,11.9,11.4,11.1,-0.1275862,51.5072178`.
        assert_eq!(
            value(&oecd, "United Kingdom/London", pm, 2019),
            (1019, 11.1)
        );
        assert_eq!(
            value(&oecd, "United Kingdom/London", pm, 2009),
            (1019, 14.6)
        );
        // Line 65: `"Canada","London","Mean population exposure to PM2.5 air
        // pollution",8.9,8.5,8.9,8.9,8.1,8.4,8,7.6,7.4,7.5,7.4,-81.2452768,42.9849233`.
        assert_eq!(value(&oecd, "Canada/London", pm, 2019), (65, 7.4));
        // 1,269 areas x 11 years, none missing; a quoted comma stays in the name (line
        // `"Germany","Bocholt, Stadt",...`).
        assert_eq!((oecd.rows_read, oecd.records.len()), (1269, 13_959));
        assert!(oecd.places.contains("Germany/Bocholt, Stadt"));
        assert_eq!(oecd.measures.iter().collect::<Vec<_>>(), [pm]);

        let gadm1 = parse_aqli_csv(
            &std::fs::read(data.join("aqli/gadm1_2023_wide.csv")).unwrap(),
            "gadm1_2023_wide.csv",
        )
        .unwrap();
        // Line 1006: `1005,Berlin,Germany,3721033,9.44,10.45,11.54,10.04,11.67,...` (pm2023
        // first, then back to pm1998; then who2023.. `0.44,0.53,0.64,0.49,0.65,...`).
        assert_eq!(value(&gadm1, "Germany/Berlin", "pm", 2019), (1006, 11.67));
        assert_eq!(value(&gadm1, "Germany/Berlin", "pm", 2023), (1006, 9.44));
        assert_eq!(value(&gadm1, "Germany/Berlin", "who", 2019), (1006, 0.65));
        // Line 1220: `1219,NCT of Delhi,India,18836889,88.35,...`.
        assert_eq!(
            value(&gadm1, "India/NCT of Delhi", "pm", 2023),
            (1220, 88.35)
        );
        // London exists only as England: line 3432 `3431,England,United Kingdom,57361926,7.4,...`.
        assert_eq!(
            value(&gadm1, "United Kingdom/England", "pm", 2023),
            (3432, 7.4)
        );
        // 3,676 regions (ids 1 to 3676; the provenance note says 3,675), the last line
        // without a line end.
        assert_eq!(gadm1.rows_read, 3676);
        assert_eq!(
            gadm1.measures.iter().collect::<Vec<_>>(),
            ["nat", "pm", "who"]
        );

        let gadm0 = parse_aqli_csv(
            &std::fs::read(data.join("aqli/gadm0_2023_wide.csv")).unwrap(),
            "gadm0_2023_wide.csv",
        )
        .unwrap();
        // Line 193: `SGP,Singapore,5,10,5943652,17.1,14.9,13.9,12.1,20.3,...`.
        assert_eq!(value(&gadm0, "SGP", "pm", 2019), (193, 20.3));
        assert_eq!(gadm0.rows_read, 252);
    }
}
