//! OECD: SDMX-JSON 1.0 and 2.0 answers of the OECD Data Explorer's SDMX API (regional and
//! national tables).
//!
//! Measures are the codes of every dimension but place and time, joined with `.` in the
//! dataset's dimension order (`LFEXP._T`): the catalogue's `query` names one.

use serde_json::Value;

use crate::bounds::check_table;
use crate::error::{Error, Result};
use crate::read::{flag_of, json, json_number, year_of, PLACE_DIMENSIONS, TIME_DIMENSIONS};
use crate::table::{SourceRecord, SourceTable};

/// How to ask an SDMX API for JSON, quoted when it answers XML.
const SDMX_JSON: &str = "ask for SDMX-JSON with the header `Accept: application/vnd.sdmx.data+json; charset=utf-8; version=2` (healthy-city sends it for `sdmx_json` sources; a proxy may have dropped it) or add `format=jsondata` to the address";

/// Reads an SDMX-JSON data message, version 1.0 (`dataSets` and `structure` at the top) or 2.0
/// (both inside `data`, the structure in `structures[0]`), in the series layout (`series` keyed
/// `0:1:0`, observations keyed by the time position) or the flat layout (`observations` keyed
/// by every dimension). The place dimension is `REF_AREA` (or `GEO`, `COUNTRY`, `LOCATION`),
/// the time dimension `TIME_PERIOD`; an `OBS_STATUS` attribute is kept as the status (`E`
/// read as an estimate).
pub fn parse_sdmx_json(bytes: &[u8], file: &str) -> Result<SourceTable> {
    check_table(read_sdmx_json(bytes, file)?)
}

fn read_sdmx_json(bytes: &[u8], file: &str) -> Result<SourceTable> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{values, SDMX2};
    use healthy_city_model::Flag;

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
}
