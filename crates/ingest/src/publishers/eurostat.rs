//! Eurostat: the dissemination API's JSON-stat 2.0 and the bulk download's TSV (plain or
//! gzipped), Urban Audit (`urb_*`) and national tables alike.
//!
//! Measures are the codes of every dimension but place and time, joined with `.` in the
//! dataset's dimension order (`A.DE1001V` for `freq=A, indic_ur=DE1001V`): the catalogue's
//! `query` names one.

use serde_json::Value;

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{
    flag_of, gunzip_if_gzip, json, json_number, strip_bom, xml_instead, year_of, PLACE_DIMENSIONS,
    TIME_DIMENSIONS,
};
use crate::table::{SourceRecord, SourceTable};

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
}
