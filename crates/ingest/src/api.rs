//! Parsers of the publishers' API responses: World Bank API v2 JSON, Eurostat JSON-stat 2.0 and
//! bulk TSV, SDMX-JSON 1.0 and 2.0 (OECD), Socrata JSON (CDC PLACES). Each is a pure function
//! of the body, like the file parsers; `file` names the response (its URL) in errors.
//!
//! Measures of the multi-dimensional formats (JSON-stat, TSV, SDMX) are the codes of every
//! dimension but place and time, joined with `.` in the dataset's dimension order (`A.DE1001V`
//! for `freq=A, indic_ur=DE1001V`): the catalogue's `query` names one.

use healthy_city_model::Flag;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::table::{json_number, number, strip_bom, xml_instead, SourceRecord, SourceTable};

/// Dimension ids that name the place (country, region or city).
const PLACE_DIMENSIONS: [&str; 6] = ["geo", "cities", "REF_AREA", "GEO", "COUNTRY", "LOCATION"];
/// Dimension ids that name the period.
const TIME_DIMENSIONS: [&str; 3] = ["time", "TIME_PERIOD", "TIME"];

/// How to ask each API for JSON, quoted when it answers XML.
pub(crate) const WB_JSON: &str =
    "add `format=json` to the address (the World Bank API answers XML without it)";
pub(crate) const JSONSTAT_JSON: &str = "ask the dissemination API for JSON-stat: `/api/dissemination/statistics/1.0/data/{dataset}?format=JSON` (the `/sdmx/2.1/` and `/sdmx/3.0/` addresses answer SDMX-ML)";
pub(crate) const SDMX_JSON: &str = "ask for SDMX-JSON with the header `Accept: application/vnd.sdmx.data+json; charset=utf-8; version=2.0` (healthy-city sends it for `sdmx_json` sources; a proxy may have dropped it) or add `format=jsondata` to the address";
pub(crate) const SOCRATA_JSON: &str =
    "use the `.json` resource (`/resource/{id}.json`), not `.xml` or `.csv`";

fn json(bytes: &[u8], file: &str, hint: &str) -> Result<Value> {
    if let Some(err) = xml_instead(bytes, file, "JSON", hint) {
        return Err(err);
    }
    serde_json::from_slice(strip_bom(bytes)).map_err(|source| Error::Json {
        file: file.to_string(),
        source,
    })
}

/// A status flag as a [`Flag`]: `e` (Eurostat) and `E` (SDMX `OBS_STATUS`) mean estimated.
fn flag_of(status: Option<&str>) -> Flag {
    match status.map(str::trim) {
        Some(s) if s.contains('e') || s == "E" => Flag::Estimate,
        _ => Flag::None,
    }
}

fn year_of(text: &str) -> Option<i32> {
    text.trim().parse::<i32>().ok()
}

// --- World Bank API v2 --------------------------------------------------------------------

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
    let first = (page.max(1) - 1) * per_page;
    for (i, row) in rows.iter().enumerate() {
        let line = first as usize + i + 1;
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

// --- Eurostat JSON-stat 2.0 ----------------------------------------------------------------

/// Reads a Eurostat JSON-stat 2.0 dataset: `id` and `size` list the dimensions, each
/// dimension's `category.index` maps codes to positions, and `value` (an object keyed by the
/// row-major position over `size`, or a dense array) holds the non-missing values; `status`
/// (same indexing) keeps the flags, `e` read as an estimate. The place dimension is `geo`, or
/// `cities` in Urban Audit datasets; the time dimension `time`. Positions are the value's index.
pub fn parse_jsonstat(bytes: &[u8], file: &str) -> Result<SourceTable> {
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
            Value::Array(array) if array.len() == size => {
                for (pos, code) in array.iter().enumerate() {
                    list[pos] = code.as_str().unwrap_or("").to_string();
                }
            }
            _ => {
                return Err(bad(format!(
                    "dimension `{id}`: `category.index` does not list {size} codes"
                )))
            }
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
    let total: usize = sizes.iter().product();
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

// --- Eurostat bulk TSV ----------------------------------------------------------------------

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decompresses a gzip body (every member, as `gzip -d` does).
fn gunzip(bytes: &[u8], file: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out).map_err(
        |e| {
            Error::format(
                file,
                None,
                format!(
                    "the body starts like gzip (bytes 1f 8b) but does not decompress after {} bytes: {e}",
                    out.len()
                ),
            )
        },
    )?;
    Ok(out)
}

/// Reads a Eurostat bulk TSV download: the header `freq,indic_ur,cities\TIME_PERIOD` then one
/// column per period; each row starts with its comma-separated dimension codes; a cell is a
/// number, a number and flags (`3150000 e`) or `:` for missing (possibly flagged, `: c`).
///
/// A gzip body (Eurostat serves bulk files as `.tsv.gz`, as `application/octet-stream`,
/// `application/gzip` or with `Content-Encoding: gzip`) is recognised by its magic bytes
/// `1f 8b` and decompressed first, whatever the headers said.
pub fn parse_eurostat_tsv(bytes: &[u8], file: &str) -> Result<SourceTable> {
    let inflated;
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        inflated = gunzip(bytes, file)?;
        inflated.as_slice()
    } else {
        bytes
    };
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

// --- SDMX-JSON 1.0 and 2.0 ------------------------------------------------------------------

/// Reads an SDMX-JSON data message, version 1.0 (`dataSets` and `structure` at the top) or 2.0
/// (both inside `data`, the structure in `structures[0]`), in the series layout (`series` keyed
/// `0:1:0`, observations keyed by the time position) or the flat layout (`observations` keyed
/// by every dimension). The place dimension is `REF_AREA` (or `GEO`, `COUNTRY`, `LOCATION`),
/// the time dimension `TIME_PERIOD`; an `OBS_STATUS` attribute is kept as the status (`E`
/// read as an estimate).
pub fn parse_sdmx_json(bytes: &[u8], file: &str) -> Result<SourceTable> {
    let json = json(bytes, file, SDMX_JSON)?;
    let bad = |message: String| Error::format(file, None, message);
    let root = json.get("data").unwrap_or(&json);
    let structure = root
        .get("structure")
        .or_else(|| root.pointer("/structures/0"))
        .ok_or_else(|| {
            bad("no `structure` (SDMX-JSON 1.0) or `data.structures` (2.0)".to_string())
        })?;
    let dataset = root
        .pointer("/dataSets/0")
        .ok_or_else(|| bad("no `dataSets`".to_string()))?;
    let dim_list = |kind: &str| -> Vec<(String, Vec<String>)> {
        structure
            .pointer(&format!("/dimensions/{kind}"))
            .and_then(Value::as_array)
            .map(|dims| {
                dims.iter()
                    .map(|d| {
                        let id = d
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        let values = d
                            .get("values")
                            .and_then(Value::as_array)
                            .map(|v| {
                                v.iter()
                                    .map(|x| {
                                        x.get("id")
                                            .and_then(Value::as_str)
                                            .unwrap_or("")
                                            .to_string()
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        (id, values)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let series_dims = dim_list("series");
    let obs_dims = dim_list("observation");
    let status_values: Option<(usize, Vec<String>)> = structure
        .pointer("/attributes/observation")
        .and_then(Value::as_array)
        .and_then(|attrs| {
            let k = attrs
                .iter()
                .position(|a| a.get("id").and_then(Value::as_str) == Some("OBS_STATUS"))?;
            let values = attrs[k]
                .get("values")
                .and_then(Value::as_array)?
                .iter()
                .map(|v| {
                    v.get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            Some((k, values))
        });
    // All dimensions in key order: series first, then observation.
    let all: Vec<&(String, Vec<String>)> = series_dims.iter().chain(&obs_dims).collect();
    let place_dim = all
        .iter()
        .position(|(id, _)| PLACE_DIMENSIONS.contains(&id.as_str()))
        .ok_or_else(|| bad("no place dimension (`REF_AREA`) in the structure".to_string()))?;
    let time_dim = all
        .iter()
        .position(|(id, _)| TIME_DIMENSIONS.contains(&id.as_str()))
        .ok_or_else(|| bad("no time dimension (`TIME_PERIOD`) in the structure".to_string()))?;
    let mut table = SourceTable::new(file, "observation");
    table.places.extend(all[place_dim].1.iter().cloned());
    let parse_key = |key: &str, expect: usize| -> Result<Vec<usize>> {
        let parts: Vec<usize> = if key.is_empty() {
            Vec::new()
        } else {
            key.split(':')
                .map(|p| p.parse::<usize>().ok())
                .collect::<Option<_>>()
                .ok_or_else(|| bad(format!("key `{key}` is not colon-separated positions")))?
        };
        if parts.len() != expect {
            return Err(bad(format!(
                "key `{key}` has {} positions where the structure has {expect} dimensions",
                parts.len()
            )));
        }
        Ok(parts)
    };
    // (full key positions, observation array) pairs.
    let mut observations: Vec<(Vec<usize>, &Value)> = Vec::new();
    if let Some(series) = dataset.get("series").and_then(Value::as_object) {
        for (skey, s) in series {
            let mut base = parse_key(skey, series_dims.len())?;
            let Some(obs) = s.get("observations").and_then(Value::as_object) else {
                continue;
            };
            for (okey, o) in obs {
                let mut key = base.clone();
                key.extend(parse_key(okey, obs_dims.len())?);
                observations.push((key, o));
            }
            base.clear();
        }
    } else if let Some(obs) = dataset.get("observations").and_then(Value::as_object) {
        for (okey, o) in obs {
            observations.push((parse_key(okey, series_dims.len() + obs_dims.len())?, o));
        }
    } else {
        return Err(bad(
            "the data set has neither `series` nor `observations`".to_string()
        ));
    }
    observations.sort_by(|a, b| a.0.cmp(&b.0));
    for (n, (key, o)) in observations.into_iter().enumerate() {
        let line = n + 1;
        let at = || Some(format!("observation {line}"));
        let code = |d: usize| -> Result<&str> {
            all[d].1.get(key[d]).map(String::as_str).ok_or_else(|| {
                Error::format(
                    file,
                    at(),
                    format!("position {} is outside dimension `{}`", key[d], all[d].0),
                )
            })
        };
        let place = code(place_dim)?;
        let period = code(time_dim)?;
        let mut measure = Vec::new();
        for d in 0..all.len() {
            if d != place_dim && d != time_dim {
                measure.push(code(d)?);
            }
        }
        let measure = measure.join(".");
        table.rows_read += 1;
        table.measures.insert(measure.clone());
        let year = year_of(period).ok_or_else(|| {
            Error::format(
                file,
                at(),
                format!("place `{place}`: period `{period}` is not a year"),
            )
        })?;
        let value = json_number(o.get(0), None, true)
            .map_err(|m| Error::format(file, at(), format!("place `{place}`, year {year}: {m}")))?;
        if let Some(value) = value {
            let mut r = SourceRecord::new(line, place, &measure, year, value);
            if let Some((k, values)) = &status_values {
                r.status = o
                    .get(k + 1)
                    .and_then(Value::as_u64)
                    .and_then(|i| values.get(i as usize))
                    .filter(|s| !s.is_empty())
                    .cloned();
                r.flag = flag_of(r.status.as_deref());
            }
            table.records.push(r);
        }
    }
    Ok(table)
}

// --- Socrata (CDC PLACES) -------------------------------------------------------------------

/// Reads a Socrata JSON answer (an array of records whose numbers are strings), as CDC PLACES
/// publishes it. Places are `stateabbr/locationname` (`NY/New York`), measures
/// `measureid.datavaluetypeid` (`OBESITY.AgeAdjPrv`), values `data_value`, years `year`.
pub fn parse_socrata(bytes: &[u8], file: &str) -> Result<SourceTable> {
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

    fn values(table: &SourceTable) -> Vec<(String, String, i32, f64, Option<String>)> {
        table
            .records
            .iter()
            .map(|r| {
                (
                    r.place.clone(),
                    r.measure.clone(),
                    r.year,
                    r.value,
                    r.status.clone(),
                )
            })
            .collect()
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

    /// Urban Audit shape: the city dimension is `cities`; values sparse, one flagged `e`.
    const URB: &str = r#"{"version":"2.0","class":"dataset","label":"Population on 1 January","source":"ESTAT","updated":"2025-06-20",
"id":["freq","indic_ur","cities","time"],"size":[1,1,2,3],
"dimension":{"freq":{"category":{"index":{"A":0}}},"indic_ur":{"category":{"index":{"DE1001V":0}}},
"cities":{"category":{"index":{"UK001C":0,"DE001C":1}}},"time":{"category":{"index":{"2020":0,"2021":1,"2022":2}}}},
"value":{"0":8961989,"2":9002488,"4":3677472},"status":{"2":"e","5":":"}}"#;

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

    /// OECD regional life expectancy in the SDMX-JSON 2.0 series layout.
    const SDMX2: &str = r#"{"meta":{"schema":"https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json"},
"data":{"dataSets":[{"structure":0,"action":"Information","series":{
"0:0:0":{"observations":{"0":[81.2,0],"1":[80.1,1]}},
"1:0:0":{"observations":{"1":[82.9,null]}}}}],
"structures":[{"dimensions":{"series":[{"id":"REF_AREA","values":[{"id":"UKI"},{"id":"FR1"}]},{"id":"MEASURE","values":[{"id":"LFEXP"}]},{"id":"SEX","values":[{"id":"_T"}]}],
"observation":[{"id":"TIME_PERIOD","values":[{"id":"2019"},{"id":"2020"}]}]},
"attributes":{"observation":[{"id":"OBS_STATUS","values":[{"id":"A"},{"id":"E"}]}]}}]}}"#;

    #[test]
    fn reads_sdmx_json_2_series_with_obs_status() {
        let table = parse_sdmx_json(SDMX2.as_bytes(), "oecd").unwrap();
        assert_eq!(
            values(&table),
            [
                (
                    "UKI".to_string(),
                    "LFEXP._T".to_string(),
                    2019,
                    81.2,
                    Some("A".to_string())
                ),
                (
                    "UKI".to_string(),
                    "LFEXP._T".to_string(),
                    2020,
                    80.1,
                    Some("E".to_string())
                ),
                ("FR1".to_string(), "LFEXP._T".to_string(), 2020, 82.9, None),
            ]
        );
        assert_eq!(
            table.records.iter().map(|r| r.flag).collect::<Vec<_>>(),
            [Flag::None, Flag::Estimate, Flag::None]
        );
    }

    #[test]
    fn reads_sdmx_json_1_flat_observations() {
        let body = r#"{"header":{"id":"x"},"dataSets":[{"action":"Replace","observations":{"0:0:1":[7.5],"0:0:0":[7.1]}}],
"structure":{"dimensions":{"series":[],"observation":[{"id":"REF_AREA","values":[{"id":"GBR"}]},{"id":"MEASURE","values":[{"id":"PM25"}]},{"id":"TIME_PERIOD","values":[{"id":"2018"},{"id":"2019"}]}]}}}"#;
        let table = parse_sdmx_json(body.as_bytes(), "oecd").unwrap();
        assert_eq!(
            values(&table),
            [
                ("GBR".to_string(), "PM25".to_string(), 2018, 7.1, None),
                ("GBR".to_string(), "PM25".to_string(), 2019, 7.5, None),
            ]
        );
        let bad = body.replace("0:0:1", "0:1");
        assert_eq!(
            parse_sdmx_json(bad.as_bytes(), "oecd")
                .unwrap_err()
                .to_string(),
            "`oecd`: key `0:1` has 2 positions where the structure has 3 dimensions"
        );
    }

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

    const SDMX_ML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<message:GenericData xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\"><message:Header/></message:GenericData>";

    #[test]
    fn an_xml_answer_is_named_as_xml_with_how_to_ask_each_api_for_json() {
        let start = "the answer is XML (it starts `<?xml version=\"1.0\" encoding=\"utf-8\"?> <message:GenericData`), not";
        let err = parse_sdmx_json(SDMX_ML.as_bytes(), "https://sdmx.oecd.org/x")
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("`https://sdmx.oecd.org/x`: {start} JSON: ask for SDMX-JSON with the header `Accept: application/vnd.sdmx.data+json; charset=utf-8; version=2.0` (healthy-city sends it for `sdmx_json` sources; a proxy may have dropped it) or add `format=jsondata` to the address"));
        let err = parse_wb_api(SDMX_ML.as_bytes(), "wb")
            .unwrap_err()
            .to_string();
        assert!(err.contains("add `format=json` to the address"), "{err}");
        let err = parse_jsonstat(SDMX_ML.as_bytes(), "e")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "{start} JSON: ask the dissemination API for JSON-stat"
            )),
            "{err}"
        );
        let err = parse_socrata(SDMX_ML.as_bytes(), "c")
            .unwrap_err()
            .to_string();
        assert!(err.contains("use the `.json` resource"), "{err}");
        let err = parse_eurostat_tsv(SDMX_ML.as_bytes(), "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("{start} tab-separated text: ask for the bulk TSV")),
            "{err}"
        );
        // A byte-order mark and leading blank lines do not hide it.
        let bom = format!("\u{feff}\n  {SDMX_ML}");
        assert!(parse_sdmx_json(bom.as_bytes(), "o")
            .unwrap_err()
            .to_string()
            .contains("the answer is XML"));
    }

    #[test]
    fn a_dimension_the_header_or_structure_does_not_declare_is_an_error_naming_the_position() {
        // Eurostat TSV: a row with one code fewer than the header's dimensions.
        let tsv = "freq,indic_ur,cities\\TIME_PERIOD\t2020 \nA,DE1001V,UK001C\t1\nA,UK001C\t2\n";
        assert_eq!(
            parse_eurostat_tsv(tsv.as_bytes(), "urb.tsv")
                .unwrap_err()
                .to_string(),
            "`urb.tsv` line 3: 2 dimension codes where the header names 3"
        );
        // JSON-stat: a dimension in `id` that `dimension` does not describe.
        let body = URB.replace(
            r#""id":["freq","indic_ur","cities","time"]"#,
            r#""id":["freq","sex","cities","time"]"#,
        );
        assert_eq!(
            parse_jsonstat(body.as_bytes(), "urb")
                .unwrap_err()
                .to_string(),
            "`urb`: dimension `sex` has no `category.index`"
        );
        // SDMX-JSON: a position beyond a dimension's values.
        let body = SDMX2.replace(r#""1:0:0":{"#, r#""1:1:0":{"#);
        assert_eq!(
            parse_sdmx_json(body.as_bytes(), "oecd")
                .unwrap_err()
                .to_string(),
            "`oecd` observation 3: position 1 is outside dimension `MEASURE`"
        );
    }

    #[test]
    fn truncated_json_is_an_error_naming_the_response() {
        let err = parse_jsonstat(&URB.as_bytes()[..200], "https://ec.europa.eu/x")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "`https://ec.europa.eu/x` is not readable as JSON");
    }

    #[test]
    fn reads_the_published_api_samples() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let read = |f: &str| std::fs::read(data.join("api-samples").join(f)).unwrap();
        let (page, wb) = parse_wb_api(&read("worldbank_v2_recorded_answer.json"), "wb").unwrap();
        assert_eq!((page.total, wb.rows_read, wb.records.len()), (4, 4, 2));
        assert_eq!(wb.records[0].value, 1_832_641_364_775.52);
        assert!(parse_wb_api(&read("worldbank_v2_error.json"), "wb")
            .unwrap_err()
            .to_string()
            .contains("120 Invalid value"));
        let gdp = parse_jsonstat(&read("eurostat_jsonstat2_nama_10_gdp_sample.json"), "e").unwrap();
        assert_eq!(
            values(&gdp)[2],
            (
                "FR".to_string(),
                "A.CP_MEUR.B1GQ".to_string(),
                2022,
                2_653_997.2,
                None
            )
        );
        let tsv =
            parse_eurostat_tsv(&read("eurostat_bulk_tsv_urb_format_example.tsv"), "t").unwrap();
        assert_eq!(tsv.records.len(), 3);
        assert_eq!(tsv.records[1].status.as_deref(), Some("e"));
        let cdc = parse_socrata(&read("cdc_places_socrata_records.json"), "c").unwrap();
        assert_eq!(
            values(&cdc)[1],
            (
                "ME/23027045000".to_string(),
                "GHLTH.CrdPrv".to_string(),
                2019,
                18.8,
                None
            )
        );
    }
}
