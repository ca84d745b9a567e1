//! Eurostat: the dissemination API's JSON-stat 2.0, the bulk download's TSV (plain or
//! gzipped) and the data browser's CSV export, Urban Audit (`urb_*`) and national tables alike.
//!
//! Measures are the codes of every dimension but place and time, joined with `.` in the
//! dataset's dimension order (`A.DE1001V` for `freq=A, indic_ur=DE1001V`): the catalogue's
//! `query` names one.

use serde_json::Value;

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{
    data_line, delimited_with_header, flag_of, gunzip_if_gzip, json, json_number, number,
    strip_bom, xml_instead, year_of, PLACE_DIMENSIONS, TIME_DIMENSIONS,
};
use crate::table::{SourceRecord, SourceTable, Withheld};

/// How to ask Eurostat for JSON-stat, quoted when it answers XML.
const JSONSTAT_JSON: &str = "ask the dissemination API for JSON-stat: `/api/dissemination/statistics/1.0/data/{dataset}?format=JSON` (the `/sdmx/2.1/` and `/sdmx/3.0/` addresses answer SDMX-ML)";

/// Reads a Eurostat JSON-stat 2.0 dataset: `id` and `size` list the dimensions, each
/// dimension's `category.index` maps codes to positions, and `value` (an object keyed by the
/// row-major position over `size`, or a dense array) holds the non-missing values; `status`
/// (same indexing) keeps the flags, `e` read as an estimate. The place dimension is `geo`, or
/// `cities` in Urban Audit datasets; the time dimension `time`. Positions are the value's index.
pub fn parse_jsonstat(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_jsonstat(bytes, file)?)
}

fn read_jsonstat(bytes: &[u8], file: &str) -> Result<SourceTable> {
    let json = json(bytes, file, JSONSTAT_JSON)?;
    let bad = |message: String| Error::format(file, None, message);
    let ids: Vec<&str> = json
        .get("id")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `id` array: is it a JSON-stat 2.0 dataset?".to_string()))?
        .iter()
        .map(|v| v.as_str().unwrap_or(""))
        .collect();
    let sizes: Vec<usize> = json
        .get("size")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `size` array".to_string()))?
        .iter()
        .map(|v| v.as_u64().map(|n| n as usize))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("`size` holds something other than counts".to_string()))?;
    if ids.len() != sizes.len() {
        return Err(bad(format!(
            "`id` names {} dimensions but `size` gives {}",
            ids.len(),
            sizes.len()
        )));
    }
    // Codes of each dimension, by position.
    let mut codes: Vec<Vec<String>> = Vec::new();
    for (&id, &size) in ids.iter().zip(&sizes) {
        let index = json
            .pointer(&format!("/dimension/{id}/category/index"))
            .ok_or_else(|| bad(format!("dimension `{id}` has no `category.index`")))?;
        // A dimension's size is the number of its codes, so nothing is allocated beyond what
        // the answer lists.
        let listed = match index {
            Value::Object(map) => map.len(),
            Value::Array(array) => array.len(),
            _ => {
                return Err(bad(format!(
                    "dimension `{id}`: `category.index` does not list {size} codes"
                )))
            }
        };
        if listed != size {
            return Err(bad(format!(
                "dimension `{id}`: `size` says {size} codes but `category.index` lists {listed}"
            )));
        }
        let mut list = vec![String::new(); size];
        match index {
            Value::Object(map) => {
                for (code, pos) in map {
                    let pos = pos.as_u64().map(|p| p as usize).filter(|&p| p < size);
                    let Some(pos) = pos else {
                        return Err(bad(format!(
                            "dimension `{id}`: code `{code}` has a position outside its size {size}"
                        )));
                    };
                    list[pos].clone_from(code);
                }
            }
            Value::Array(array) => {
                for (pos, code) in array.iter().enumerate() {
                    list[pos] = code.as_str().unwrap_or("").to_string();
                }
            }
            // Neither: returned above.
            _ => {}
        }
        codes.push(list);
    }
    let place_dim = ids
        .iter()
        .position(|d| PLACE_DIMENSIONS.contains(d))
        .ok_or_else(|| {
            bad(format!(
                "no place dimension (`geo` or `cities`) among {ids:?}"
            ))
        })?;
    let time_dim = ids
        .iter()
        .position(|d| TIME_DIMENSIONS.contains(d))
        .ok_or_else(|| bad(format!("no time dimension among {ids:?}")))?;
    let total = sizes
        .iter()
        .try_fold(1usize, |a, &s| a.checked_mul(s))
        .ok_or_else(|| {
            bad(format!(
                "`size` {sizes:?} multiplies to more positions than can be counted"
            ))
        })?;
    // The series (measures) are every combination of the other dimensions' codes: bounded,
    // so listing them cannot run for hours.
    sizes
        .iter()
        .enumerate()
        .filter(|(d, _)| *d != place_dim && *d != time_dim)
        .try_fold(1usize, |a, (_, &s)| a.checked_mul(s))
        .filter(|&n| n <= MAX_SERIES)
        .ok_or_else(|| {
            bad(format!(
                "the dimensions other than place and time make more than {MAX_SERIES} series: ask the API for the measures used (filter the other dimensions)"
            ))
        })?;
    let mut table = SourceTable::new(file, "value");
    table.places.extend(codes[place_dim].iter().cloned());
    let measure_of = |coords: &[usize]| -> String {
        coords
            .iter()
            .enumerate()
            .filter(|(d, _)| *d != place_dim && *d != time_dim)
            .map(|(d, &c)| codes[d][c].as_str())
            .collect::<Vec<_>>()
            .join(".")
    };
    let coords_of = |mut flat: usize| -> Vec<usize> {
        let mut coords = vec![0; sizes.len()];
        for d in (0..sizes.len()).rev() {
            coords[d] = flat % sizes[d];
            flat /= sizes[d];
        }
        coords
    };
    // Every measure the dataset holds, whether or not it has values.
    let mut some = vec![0; sizes.len()];
    let others: Vec<usize> = (0..sizes.len())
        .filter(|&d| d != place_dim && d != time_dim)
        .collect();
    if sizes.iter().all(|&s| s > 0) {
        loop {
            table.measures.insert(measure_of(&some));
            let mut carried = true;
            for &d in others.iter().rev() {
                some[d] += 1;
                if some[d] < sizes[d] {
                    carried = false;
                    break;
                }
                some[d] = 0;
            }
            if carried {
                break;
            }
        }
    }
    let entries: Vec<(usize, &Value)> = match json.get("value") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                k.parse::<usize>()
                    .ok()
                    .filter(|&i| i < total)
                    .map(|i| (i, v))
                    .ok_or_else(|| {
                        bad(format!(
                            "`value` key `{k}` is not a position below {total} (the product of `size`)"
                        ))
                    })
            })
            .collect::<Result<_>>()?,
        Some(Value::Array(array)) => {
            if array.len() != total {
                return Err(bad(format!(
                    "`value` holds {} entries but `size` makes {total}",
                    array.len()
                )));
            }
            array.iter().enumerate().collect()
        }
        _ => return Err(bad("no `value` object or array".to_string())),
    };
    let status_of = |i: usize| -> Option<String> {
        match json.get("status") {
            Some(Value::Object(map)) => map.get(&i.to_string()),
            Some(Value::Array(array)) => array.get(i),
            _ => None,
        }
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
    };
    let mut entries = entries;
    entries.sort_by_key(|(i, _)| *i);
    table.rows_read = entries.len();
    for (i, v) in entries {
        let coords = coords_of(i);
        let place = &codes[place_dim][coords[place_dim]];
        let period = &codes[time_dim][coords[time_dim]];
        let at = || Some(format!("value {i}"));
        let year = year_of(period).ok_or_else(|| {
            Error::format(
                file,
                at(),
                format!("place `{place}`: period `{period}` is not a year"),
            )
        })?;
        let value = json_number(Some(v), None, false)
            .map_err(|m| Error::format(file, at(), format!("place `{place}`, year {year}: {m}")))?;
        if let Some(value) = value {
            let mut r = SourceRecord::new(i + 1, place, measure_of(&coords), year, value);
            r.status = status_of(i);
            r.flag = flag_of(r.status.as_deref());
            table.records.push(r);
        }
    }
    Ok(table)
}

/// The most series (combinations of the dimensions other than place and time) a JSON-stat
/// answer may hold: a million, far above any query of a few indicators.
const MAX_SERIES: usize = 1_000_000;

/// Reads a Eurostat bulk TSV download: the header `freq,indic_ur,cities\TIME_PERIOD` then one
/// column per period; each row starts with its comma-separated dimension codes; a cell is a
/// number, a number and flags (`3150000 e`) or `:` for missing (possibly flagged, `: c`).
///
/// A gzip body (Eurostat serves bulk files as `.tsv.gz`, as `application/octet-stream`,
/// `application/gzip` or with `Content-Encoding: gzip`) is recognised by its magic bytes
/// `1f 8b` and decompressed first, whatever the headers said.
pub fn parse_eurostat_tsv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_eurostat_tsv(bytes, file)?)
}

fn read_eurostat_tsv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    let bytes = gunzip_if_gzip(bytes, file)?;
    let bytes = bytes.as_ref();
    if let Some(err) = xml_instead(
        bytes,
        file,
        "tab-separated text",
        "ask for the bulk TSV: `/api/dissemination/sdmx/2.1/data/{dataset}?format=TSV&compressed=true` (without `format=TSV` the SDMX API answers SDMX-ML)",
    ) {
        return Err(err);
    }
    let text = std::str::from_utf8(strip_bom(bytes))
        .map_err(|_| Error::format(file, None, "not UTF-8 text".to_string()))?;
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(Error::format(file, None, "empty file".to_string()));
    };
    let mut cells = header.split('\t');
    let dims_cell = cells.next().unwrap_or("");
    let Some((dims, _time)) = dims_cell.split_once('\\') else {
        return Err(Error::format(
            file,
            Some("line 1".to_string()),
            format!("the first header cell `{dims_cell}` is not `dim,dim,...\\TIME_PERIOD`"),
        ));
    };
    let dims: Vec<&str> = dims.split(',').map(str::trim).collect();
    let place_dim = dims
        .iter()
        .position(|d| PLACE_DIMENSIONS.contains(d))
        .ok_or_else(|| {
            Error::format(
                file,
                Some("line 1".to_string()),
                format!("no place dimension (`geo` or `cities`) among {dims:?}"),
            )
        })?;
    let periods: Vec<Option<i32>> = cells.map(year_of).collect();
    let mut table = SourceTable::new(file, "line");
    for (i, row) in lines {
        let line = i + 1;
        if row.trim().is_empty() {
            continue;
        }
        let at = || Some(format!("line {line}"));
        let mut cells = row.split('\t');
        let keys: Vec<&str> = cells
            .next()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .collect();
        if keys.len() != dims.len() {
            return Err(Error::format(
                file,
                at(),
                format!(
                    "{} dimension codes where the header names {}",
                    keys.len(),
                    dims.len()
                ),
            ));
        }
        table.rows_read += 1;
        let place = keys[place_dim];
        let measure: Vec<&str> = keys
            .iter()
            .enumerate()
            .filter(|(d, _)| *d != place_dim)
            .map(|(_, k)| *k)
            .collect();
        let measure = measure.join(".");
        table.places.insert(place.to_string());
        table.measures.insert(measure.clone());
        for (c, cell) in cells.enumerate() {
            let cell = cell.trim();
            let (number_text, status) = match cell.split_once(' ') {
                Some((n, s)) => (n.trim(), Some(s.trim().to_string())),
                None => (cell, None),
            };
            if number_text == ":" || number_text.is_empty() {
                continue;
            }
            let Some(Some(year)) = periods.get(c) else {
                return Err(Error::format(
                    file,
                    at(),
                    format!("place `{place}`: column {} has no yearly period", c + 2),
                ));
            };
            let value = number_text.parse::<f64>().ok().filter(|v| v.is_finite());
            let Some(value) = value else {
                return Err(Error::format(
                    file,
                    at(),
                    format!("place `{place}`, year {year}: `{cell}` is not a number"),
                ));
            };
            let mut r = SourceRecord::new(line, place, &measure, *year, value);
            r.flag = flag_of(status.as_deref());
            r.status = status;
            table.records.push(r);
        }
    }
    Ok(table)
}

/// Columns of a data-browser or SDMX-CSV export that are not dimensions: the value, its flags,
/// and the SDMX-CSV bookkeeping columns. (Label columns, such as `Observation status (Flag) V2
/// structure`, are not code-like names and are never dimensions either.)
const CSV_NOT_DIMENSIONS: [&str; 10] = [
    "DATAFLOW",
    "LAST_UPDATE",
    "STRUCTURE",
    "STRUCTURE_ID",
    "STRUCTURE_NAME",
    "ACTION",
    "OBS_VALUE",
    "OBS_FLAG",
    "OBS_STATUS",
    "CONF_STATUS",
];

/// How to ask Eurostat for the CSV export, quoted when it answers XML.
const EUROSTAT_CSV: &str = "download the data browser's CSV export, or ask the dissemination API for `format=SDMX-CSV` (the `/sdmx/2.1/` addresses answer SDMX-ML otherwise)";

/// A cell's code: `UK001C` from `UK001C` or from `UK001C:London` (an export with labels
/// writes `code:label`; codes never hold `:`).
fn code(cell: &str) -> &str {
    cell.split_once(':').map_or(cell, |(c, _)| c).trim()
}

/// Reads a Eurostat CSV export: the data browser's `estat_{dataset}_en.csv` (`;`-separated,
/// `indic_ur;cities;TIME_PERIOD;OBS_VALUE;OBS_FLAG;...;CONF_STATUS;...`) or the API's
/// SDMX-CSV (`,`-separated, `DATAFLOW,LAST UPDATE,freq,...`); the separator is the header's
/// (`;` when the header holds one). One row per value.
///
/// Places are the `cities` (or `geo`) codes as published: country totals such as `AT` are
/// places like the cities (the registry decides what matches). Measures are the codes of the
/// other dimension columns joined with `.` in column order, as [`parse_eurostat_tsv`] and
/// [`parse_jsonstat`] make them (`EN2026V` here, where the export has no `freq` column;
/// `A.EN2026V` where it has one); a `code:label` cell counts by its code. `OBS_FLAG` is the
/// status (`e` read as an estimate). An empty value (or `:`) is missing; one with `C` in
/// `CONF_STATUS` is a confidential cell, kept in [`SourceTable::confidential`] so the report
/// can count it. A gzip body is decompressed first.
pub fn parse_eurostat_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_eurostat_csv(bytes, file)?)
}

fn read_eurostat_csv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    let bytes = gunzip_if_gzip(bytes, file)?;
    let bytes = bytes.as_ref();
    if let Some(err) = xml_instead(bytes, file, "a CSV export", EUROSTAT_CSV) {
        return Err(err);
    }
    let first_line = strip_bom(bytes)
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or(b"");
    let delimiter = if first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let (mut reader, mut lines, header) = delimited_with_header(bytes, file, false, delimiter)?;
    let header: Vec<&str> = header.iter().map(str::trim).collect();
    let named = |names: &[&str]| header.iter().position(|h| names.contains(h));
    let missing = |what: &str| {
        Error::format(
            file,
            Some("line 1".to_string()),
            format!(
                "no {what} column: is it a Eurostat CSV export (`indic_ur;cities;TIME_PERIOD;OBS_VALUE;...`)? The header has {}",
                header
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    let value_col = named(&["OBS_VALUE"]).ok_or_else(|| missing("`OBS_VALUE`"))?;
    let place_col = named(&PLACE_DIMENSIONS).ok_or_else(|| missing("place (`cities` or `geo`)"))?;
    let time_col = named(&TIME_DIMENSIONS).ok_or_else(|| missing("`TIME_PERIOD`"))?;
    let flag_col = named(&["OBS_FLAG"]).or_else(|| named(&["OBS_STATUS"]));
    let conf_col = named(&["CONF_STATUS"]);
    let dimensions: Vec<usize> = (0..header.len())
        .filter(|&c| c != place_col && c != time_col)
        .filter(|&c| {
            let h = header[c];
            !h.is_empty()
                && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !CSV_NOT_DIMENSIONS.contains(&h)
        })
        .collect();
    let mut table = SourceTable::new(file, "line");
    for record in reader.records() {
        let record = record.map_err(Error::csv(file))?;
        let Some(line) = data_line(&mut lines, &record, header.len(), delimiter, file)? else {
            continue;
        };
        let at = || Some(format!("line {line}"));
        table.rows_read += 1;
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let place = code(cell(place_col));
        if place.is_empty() {
            return Err(Error::format(
                file,
                at(),
                format!("no place code in `{}`", header[place_col]),
            ));
        }
        let measure = dimensions
            .iter()
            .map(|&c| code(cell(c)))
            .collect::<Vec<_>>()
            .join(".");
        table.places.insert(place.to_string());
        table.measures.insert(measure.clone());
        let period = cell(time_col);
        let year = year_of(period).ok_or_else(|| {
            Error::format(
                file,
                at(),
                format!(
                    "place `{place}`, measure `{measure}`: `{}` `{period}` is not a year (this adapter reads annual data)",
                    header[time_col]
                ),
            )
        })?;
        let text = cell(value_col);
        let value = if text == ":" {
            None
        } else {
            number(text).map_err(|m| {
                Error::format(
                    file,
                    at(),
                    format!("place `{place}`, measure `{measure}`, year {year}: {m}"),
                )
            })?
        };
        let Some(value) = value else {
            if conf_col.is_some_and(|c| code(cell(c)) == "C") {
                table.confidential.push(Withheld {
                    line,
                    place: place.to_string(),
                    measure,
                    year,
                });
            }
            continue;
        };
        let mut r = SourceRecord::new(line, place, measure, year, value);
        r.status = flag_col
            .map(|c| code(cell(c)))
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        r.flag = flag_of(r.status.as_deref());
        table.records.push(r);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{values, URB};
    use healthy_city_model::Flag;

    #[test]
    fn reads_sparse_jsonstat_row_major_with_status_flags() {
        let table = parse_jsonstat(URB.as_bytes(), "urb_cpop1").unwrap();
        assert_eq!(
            values(&table),
            [
                (
                    "UK001C".to_string(),
                    "A.DE1001V".to_string(),
                    2020,
                    8_961_989.0,
                    None
                ),
                (
                    "UK001C".to_string(),
                    "A.DE1001V".to_string(),
                    2022,
                    9_002_488.0,
                    Some("e".to_string())
                ),
                (
                    "DE001C".to_string(),
                    "A.DE1001V".to_string(),
                    2021,
                    3_677_472.0,
                    None
                ),
            ]
        );
        assert_eq!(table.records[1].flag, Flag::Estimate);
        assert_eq!(
            table.places.iter().collect::<Vec<_>>(),
            ["DE001C", "UK001C"]
        );
    }

    /// Sizes are the answer's own counts: a size beyond the codes listed, a product that
    /// cannot be counted or a cube of too many series is an error, never a huge allocation, an
    /// overflow or hours of listing series.
    #[test]
    fn rejects_jsonstat_sizes_beyond_the_codes_listed() {
        let body = URB.replace(r#""size":[1,1,2,3]"#, r#""size":[1,1,2000000000000,3]"#);
        let err = parse_jsonstat(body.as_bytes(), "urb")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`urb`: dimension `cities`: `size` says 2000000000000 codes but `category.index` lists 2"
        );
        // Two further dimensions of 1001 codes each: 1,002,001 series.
        let codes = |prefix: &str| {
            (0..1001)
                .map(|k| format!("\"{prefix}{k}\":{k}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let body = format!(
            r#"{{"id":["a","b","geo","time"],"size":[1001,1001,1,1],"dimension":{{"a":{{"category":{{"index":{{{}}}}}}},"b":{{"category":{{"index":{{{}}}}}}},"geo":{{"category":{{"index":{{"FR":0}}}}}},"time":{{"category":{{"index":{{"2020":0}}}}}}}},"value":{{"0":1}}}}"#,
            codes("a"),
            codes("b")
        );
        let err = parse_jsonstat(body.as_bytes(), "big")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "`big`: the dimensions other than place and time make more than 1000000 series"
            ),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_jsonstat_position_beyond_the_size() {
        let body = URB.replace(r#""4":3677472"#, r#""6":1"#);
        let err = parse_jsonstat(body.as_bytes(), "urb")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`urb`: `value` key `6` is not a position below 6 (the product of `size`)"
        );
    }

    #[test]
    fn reads_the_eurostat_bulk_tsv_with_flags_and_missing_cells() {
        let tsv = "freq,indic_ur,cities\\TIME_PERIOD\t2020 \t2021 \t2022 \nA,DE1001V,DE002F\t3100000\t3150000 e\t: \nA,DE1001V,DE004F\t:\t: c\t1080000\n";
        let table = parse_eurostat_tsv(tsv.as_bytes(), "urb.tsv").unwrap();
        assert_eq!(
            values(&table),
            [
                (
                    "DE002F".to_string(),
                    "A.DE1001V".to_string(),
                    2020,
                    3_100_000.0,
                    None
                ),
                (
                    "DE002F".to_string(),
                    "A.DE1001V".to_string(),
                    2021,
                    3_150_000.0,
                    Some("e".to_string())
                ),
                (
                    "DE004F".to_string(),
                    "A.DE1001V".to_string(),
                    2022,
                    1_080_000.0,
                    None
                ),
            ]
        );
        assert_eq!(table.rows_read, 2);
        let bad = tsv.replace("1080000", "lots");
        assert_eq!(
            parse_eurostat_tsv(bad.as_bytes(), "urb.tsv")
                .unwrap_err()
                .to_string(),
            "`urb.tsv` line 3: place `DE004F`, year 2022: `lots` is not a number"
        );
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_a_gzipped_eurostat_tsv_as_the_plain_one_and_names_a_corrupt_one() {
        let tsv = "freq,indic_ur,cities\\TIME_PERIOD\t2020 \t2021 \nA,DE1001V,UK001C\t8961989\t9002488 p\n";
        let plain = parse_eurostat_tsv(tsv.as_bytes(), "urb.tsv").unwrap();
        let gz = gzip(tsv.as_bytes());
        assert_eq!(&gz[..2], [0x1f, 0x8b]);
        let unzipped = parse_eurostat_tsv(&gz, "urb.tsv.gz").unwrap();
        assert_eq!(unzipped.records, plain.records);
        assert_eq!(
            values(&unzipped)[1],
            (
                "UK001C".to_string(),
                "A.DE1001V".to_string(),
                2021,
                9_002_488.0,
                Some("p".to_string())
            )
        );
        let err = parse_eurostat_tsv(&gz[..gz.len() / 2], "urb.tsv.gz")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "`urb.tsv.gz`: the body starts like gzip (bytes 1f 8b) but does not decompress"
            ),
            "{err}"
        );
    }

    #[test]
    fn truncated_json_is_an_error_naming_the_response() {
        let err = parse_jsonstat(&URB.as_bytes()[..200], "https://ec.europa.eu/x")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`https://ec.europa.eu/x` is not readable as JSON");
    }

    /// The data browser's export as published: `;`-separated, CRLF line ends, a flag label
    /// holding a quoted `;`, a confidential cell and a country total.
    const URB_CSV: &str = "indic_ur;cities;TIME_PERIOD;OBS_VALUE;OBS_FLAG;Observation status (Flag) V2 structure;CONF_STATUS;Confidentiality status (flag)\r
EN1002V;AT001C;2000;;;;C;confidential\r
EN1002V;AT001C;2004;5.30;;;;\r
EN1002V;BE;1991;4.60;;;;\r
SA2013V;NL;2019;;m;\"missing value; data cannot exist\";;\r
SA2029I;UK001C;2011;6;b;break in time series;;\r
SA2029I;UK001C;2012;;;;;";

    #[test]
    fn reads_the_data_browser_csv_counting_confidential_cells_and_keeping_country_totals() {
        let table = parse_eurostat_csv(URB_CSV.as_bytes(), "urb.csv").unwrap();
        assert_eq!(
            values(&table),
            [
                ("AT001C".to_string(), "EN1002V".to_string(), 2004, 5.3, None),
                ("BE".to_string(), "EN1002V".to_string(), 1991, 4.6, None),
                (
                    "UK001C".to_string(),
                    "SA2029I".to_string(),
                    2011,
                    6.0,
                    Some("b".to_string())
                ),
            ]
        );
        assert_eq!(
            table.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [3, 4, 6]
        );
        // Only the cell with `C` is confidential: `m` (data cannot exist) and the bare empty
        // value of the last line are just missing.
        assert_eq!(
            table.confidential,
            [Withheld {
                line: 2,
                place: "AT001C".to_string(),
                measure: "EN1002V".to_string(),
                year: 2000
            }]
        );
        assert_eq!(table.rows_read, 6);
        assert_eq!(
            table.places.iter().collect::<Vec<_>>(),
            ["AT001C", "BE", "NL", "UK001C"]
        );
        assert_eq!(
            table.measures.iter().collect::<Vec<_>>(),
            ["EN1002V", "SA2013V", "SA2029I"]
        );
    }

    /// An SDMX-CSV answer (`,`-separated, with `freq`, and `code:label` cells) gives the
    /// measures the TSV and JSON-stat adapters give (`A.DE1001V`).
    #[test]
    fn reads_an_sdmx_csv_with_labels_as_the_tsv_names_its_measures() {
        let csv = "DATAFLOW,LAST UPDATE,freq,indic_ur,cities,TIME_PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS
ESTAT:URB_CPOP1(1.0),20/06/25 23:00:00,A:Annual,DE1001V:Population on the 1st of January,UK001C:London,2022,9002488,e:estimated,
";
        let table = parse_eurostat_csv(csv.as_bytes(), "urb.csv").unwrap();
        let tsv = parse_eurostat_tsv(
            b"freq,indic_ur,cities\\TIME_PERIOD\t2022 \nA,DE1001V,UK001C\t9002488 e\n",
            "urb.tsv",
        )
        .unwrap();
        assert_eq!(values(&table), values(&tsv));
        assert_eq!(table.records[0].flag, Flag::Estimate);
    }

    #[test]
    fn a_bad_eurostat_csv_is_an_error_naming_line_and_fix() {
        let err = parse_eurostat_csv(
            b"indic_ur;cities;TIME_PERIOD;OBS_FLAG\nEN2026V;UK001C;2013;\n",
            "u.csv",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "`u.csv` line 1: no `OBS_VALUE` column: is it a Eurostat CSV export (`indic_ur;cities;TIME_PERIOD;OBS_VALUE;...`)? The header has `indic_ur`, `cities`, `TIME_PERIOD`, `OBS_FLAG`"
        );
        let short = URB_CSV.replace("EN1002V;BE;1991;4.60;;;;", "EN1002V;BE;1991;4.60;");
        assert_eq!(
            parse_eurostat_csv(short.as_bytes(), "u.csv")
                .unwrap_err()
                .to_string(),
            "`u.csv` line 4: 5 fields where the header names 8: a `;` inside a cell must be quoted"
        );
        let quarter = URB_CSV.replace("BE;1991", "BE;1991-Q1");
        assert_eq!(
            parse_eurostat_csv(quarter.as_bytes(), "u.csv")
                .unwrap_err()
                .to_string(),
            "`u.csv` line 4: place `BE`, measure `EN1002V`: `TIME_PERIOD` `1991-Q1` is not a year (this adapter reads annual data)"
        );
        let bad = URB_CSV.replace("4.60", "4,60");
        assert_eq!(
            parse_eurostat_csv(bad.as_bytes(), "u.csv")
                .unwrap_err()
                .to_string(),
            "`u.csv` line 4: place `BE`, measure `EN1002V`, year 1991: `4,60` is not a number"
        );
    }

    /// The published exports (`eurostat-urban-audit/`), values checked against the files'
    /// lines, quoted.
    #[test]
    fn reads_the_published_urban_audit_csv_exports() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let read = |f: &str| {
            let path = data.join("eurostat-urban-audit").join(f);
            parse_eurostat_csv(&std::fs::read(path).unwrap(), f).unwrap()
        };
        let find = |table: &SourceTable, place: &str, measure: &str, year: i32| {
            let found: Vec<_> = table
                .records
                .iter()
                .filter(|r| r.place == place && r.measure == measure && r.year == year)
                .map(|r| (r.line, r.value, r.status.clone()))
                .collect();
            assert_eq!(found.len(), 1, "{place} {measure} {year}: {found:?}");
            found[0].clone()
        };
        let cenv = read("estat_urb_cenv_en.csv");
        // Line 34010: `EN2026V;UK001C;2013;36.70;;;;` (London's last NO2 annual mean).
        assert_eq!(find(&cenv, "UK001C", "EN2026V", 2013), (34010, 36.7, None));
        // Line 33986: `EN2026V;UK001C;1989;75.80;;;;`.
        assert_eq!(find(&cenv, "UK001C", "EN2026V", 1989), (33986, 75.8, None));
        // Line 58255: `EN5205V;FR001C;2012;14.75;;;;` (Paris, green urban areas; the export
        // has no NO2 for Paris).
        assert_eq!(find(&cenv, "FR001C", "EN5205V", 2012), (58255, 14.75, None));
        assert!(!cenv
            .records
            .iter()
            .any(|r| r.place == "FR001C" && r.measure == "EN2026V"));
        // Line 12: `EN1002V;BE;1991;4.60;;;;`, a country total kept as a place.
        assert_eq!(find(&cenv, "BE", "EN1002V", 1991), (12, 4.6, None));
        // Line 2: `EN1002V;AT001C;2000;;;;C;confidential`; 15 such cells in the file
        // (`grep -c ';;;;C;confidential'`).
        assert_eq!(
            cenv.confidential[0],
            Withheld {
                line: 2,
                place: "AT001C".to_string(),
                measure: "EN1002V".to_string(),
                year: 2000
            }
        );
        assert_eq!(cenv.confidential.len(), 15);
        // 59,338 data rows, 34 of them without a value (15 confidential, 19 flagged `b`/`u`).
        assert_eq!((cenv.rows_read, cenv.records.len()), (59_338, 59_304));

        let cfermor = read("estat_urb_cfermor_en.csv");
        // Line 128559: `SA2029I;UK001C;2011;6;b;break in time series;;` (London crude death
        // rate, rounded to an integer in this export).
        assert_eq!(
            find(&cfermor, "UK001C", "SA2029I", 2011),
            (128_559, 6.0, Some("b".to_string()))
        );
        // Line 8124: `SA2004I;UK001C;2018;3;;;;` (London infant mortality, its last year).
        assert_eq!(find(&cfermor, "UK001C", "SA2004I", 2018), (8124, 3.0, None));
        // Line 3916: `SA2004I;FR001C;2022;4;;;;` (Paris infant mortality).
        assert_eq!(find(&cfermor, "FR001C", "SA2004I", 2022), (3916, 4.0, None));
        // Lines like `SA2013V;NL;2019;;m;"missing value; data cannot exist";;` (a quoted `;`)
        // are missing, not confidential; 534 cells are confidential.
        assert_eq!(cfermor.confidential.len(), 534);
        assert_eq!(
            (cfermor.rows_read, cfermor.records.len()),
            (129_920, 129_227)
        );
        assert!(cfermor.places.contains("UK") && cfermor.places.contains("EL"));
    }
}
