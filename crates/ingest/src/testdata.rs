//! Test support shared by the unit tests: where the publishers' files are, and the API
//! fixtures and record view several parsers' tests use.

use std::path::PathBuf;

use crate::table::SourceTable;

/// The shared data folder (`$HEALTHY_CITY_DATA`, else `../shared/data` from the workspace), or
/// `None` (with a notice) when it is absent and `HEALTHY_CITY_REQUIRE_DATA` is not `1`.
#[allow(clippy::print_stderr)]
pub(crate) fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("HEALTHY_CITY_DATA").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("HEALTHY_CITY_REQUIRE_DATA").as_deref() != Ok("1"),
        "HEALTHY_CITY_REQUIRE_DATA=1 but the data folder `{}` is absent",
        dir.display()
    );
    eprintln!(
        "notice: skipping a test on the published data: `{}` is absent (set HEALTHY_CITY_REQUIRE_DATA=1 to make this a failure)",
        dir.display()
    );
    None
}

/// Each record as (place, measure, year, value, status).
pub(crate) fn values(table: &SourceTable) -> Vec<(String, String, i32, f64, Option<String>)> {
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

/// Urban Audit shape: the city dimension is `cities`; values sparse, one flagged `e`.
pub(crate) const URB: &str = r#"{"version":"2.0","class":"dataset","label":"Population on 1 January","source":"ESTAT","updated":"2025-06-20",
"id":["freq","indic_ur","cities","time"],"size":[1,1,2,3],
"dimension":{"freq":{"category":{"index":{"A":0}}},"indic_ur":{"category":{"index":{"DE1001V":0}}},
"cities":{"category":{"index":{"UK001C":0,"DE001C":1}}},"time":{"category":{"index":{"2020":0,"2021":1,"2022":2}}}},
"value":{"0":8961989,"2":9002488,"4":3677472},"status":{"2":"e","5":":"}}"#;

/// OECD regional life expectancy in the SDMX-JSON 2.0 series layout.
pub(crate) const SDMX2: &str = r#"{"meta":{"schema":"https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json"},
"data":{"dataSets":[{"structure":0,"action":"Information","series":{
"0:0:0":{"observations":{"0":[81.2,0],"1":[80.1,1]}},
"1:0:0":{"observations":{"1":[82.9,null]}}}}],
"structures":[{"dimensions":{"series":[{"id":"REF_AREA","values":[{"id":"UKI"},{"id":"FR1"}]},{"id":"MEASURE","values":[{"id":"LFEXP"}]},{"id":"SEX","values":[{"id":"_T"}]}],
"observation":[{"id":"TIME_PERIOD","values":[{"id":"2019"},{"id":"2020"}]}]},
"attributes":{"observation":[{"id":"OBS_STATUS","values":[{"id":"A"},{"id":"E"}]}]}}]}}"#;
