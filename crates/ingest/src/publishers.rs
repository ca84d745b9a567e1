//! The publishers and their adapters, in one table: which parser a catalogue source's
//! `adapter` names, the publisher service its downloads go to (the name `--base-url NAME=URL`
//! takes), how its places match the registry, the short key of its values, and what its
//! downloads should be. The snapshot builder, the downloader and the CLI's `--base-url` check
//! all read it; each publisher's parsers are in its own module below.

use std::path::Path;

use healthy_city_model::{Indicator, Level, SourceSpec};

use crate::error::{Error, Result};
use crate::http::BodyKind;
use crate::table::SourceTable;

mod cdc;
mod eurostat;
mod generic;
mod iso_numeric;
mod lenstore;
mod master_index;
mod oecd;
mod who_aap;
mod who_gho;
mod wide;
mod world_bank;

pub use cdc::{parse_cdc_500_cities, parse_socrata};
pub use eurostat::{parse_eurostat_csv, parse_eurostat_tsv, parse_jsonstat};
pub use generic::parse_table;
pub use lenstore::parse_lenstore;
pub use master_index::{parse_master_index, reference_year};
pub use oecd::parse_sdmx_json;
pub use who_aap::{parse_who_aap_csv, parse_who_aap_xlsx};
pub use who_gho::{parse_gho_csv, parse_gho_odata, parse_who_hub_csv};
pub use wide::{parse_aqli_csv, parse_oecd_fua_csv};
pub use world_bank::{parse_wb_api, parse_wdi_csv, parse_wdi_zip, WbPage};

/// A publisher service: the servers a source's downloads go to, as `--base-url NAME=URL`
/// and the progress bars name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publisher {
    /// `gho`, `worldbank`, `eurostat`, `oecd`, `who`, `cdc`, ...
    pub service: &'static str,
    /// Who publishes.
    pub name: &'static str,
    /// Whether `--base-url` may stand a mirror or test server in for its servers: the
    /// publishers with a download server, not the compilations (which have none) nor generic
    /// tables (which come from anywhere).
    pub base_url: bool,
}

/// Every publisher service, in the order `--base-url` lists them.
pub const PUBLISHERS: [Publisher; 10] = [
    Publisher {
        service: "gho",
        name: "WHO Global Health Observatory",
        base_url: true,
    },
    Publisher {
        service: "worldbank",
        name: "World Bank",
        base_url: true,
    },
    Publisher {
        service: "eurostat",
        name: "Eurostat",
        base_url: true,
    },
    Publisher {
        service: "oecd",
        name: "OECD",
        base_url: true,
    },
    Publisher {
        service: "who",
        name: "WHO Ambient Air Quality Database",
        base_url: true,
    },
    Publisher {
        service: "cdc",
        name: "CDC PLACES",
        base_url: true,
    },
    Publisher {
        service: "aqli",
        name: "the Air Quality Life Index (EPIC, University of Chicago)",
        base_url: false,
    },
    Publisher {
        service: "master-index",
        name: "the 55-city Master Index compilation",
        base_url: false,
    },
    Publisher {
        service: "lenstore",
        name: "Lenstore",
        base_url: false,
    },
    Publisher {
        service: "table",
        name: "a generic table",
        base_url: false,
    },
];

/// The services `--base-url NAME=URL` accepts, in order (`gho`, `worldbank`, `eurostat`,
/// `oecd`, `who`, `cdc`).
pub fn base_url_services() -> impl Iterator<Item = &'static str> {
    PUBLISHERS.iter().filter(|p| p.base_url).map(|p| p.service)
}

/// The adapters, by the name a catalogue source gives (the order of [`ADAPTERS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Adapter {
    WhoAap,
    Wdi,
    GhoCsv,
    GhoOdata,
    MasterIndex,
    Lenstore,
    WbApi,
    EurostatJson,
    EurostatTsv,
    SdmxJson,
    Socrata,
    Table,
    WhoHubCsv,
    EurostatCsv,
    OecdFuaCsv,
    AqliCsv,
    Cdc500Cities,
}

/// How a source's places match the registry.
#[derive(Debug, Clone, Copy)]
enum Matching {
    /// Through this alias key of `cities.toml`, at any level.
    Aliases(&'static str),
    /// At city level through this alias key; at national level through each city's `country`.
    CityAliases(&'static str),
    /// Through each city's `country` (ISO3).
    Country,
    /// At city level through the alias key `columns.aliases` names (default `table`); at
    /// national level through `country`.
    Columns,
}

/// The short key of a source, written in the observations' `source` column.
#[derive(Debug, Clone, Copy)]
enum Key {
    /// This prefix, `-`, and the first word of the release, lowercased (`who-aap-v5`).
    Release(&'static str),
    /// Always this key (`gho-odata`).
    Fixed(&'static str),
    /// The dataset's words, `-`-joined and lowercased, then the release (`city-survey-2023`).
    Dataset,
}

/// What a download of the adapter's sources should be.
#[derive(Debug, Clone, Copy)]
enum Body {
    Is(BodyKind),
    /// Text when the address's path ends in `.csv`, else a binary file.
    CsvElseBinary,
}

/// One adapter's row of the table.
#[derive(Debug, Clone, Copy)]
struct Row {
    adapter: Adapter,
    /// The catalogue's `adapter`.
    name: &'static str,
    /// The [`Publisher::service`] its downloads go to.
    service: &'static str,
    matching: Matching,
    key: Key,
    /// Whether every place of the source is meant to be a registry city (so each miss is
    /// named in the summary).
    lists_unmatched: bool,
    body: Body,
    /// The `Accept` header its requests send: SDMX-JSON for the OECD (whose SDMX API answers
    /// SDMX-ML otherwise), JSON for the other JSON APIs, none for files.
    accept: Option<&'static str>,
}

/// The adapters, in the order of [`Adapter`].
const ADAPTERS: [Row; 17] = [
    Row {
        adapter: Adapter::WhoAap,
        name: "who_aap",
        service: "who",
        matching: Matching::Aliases("who_aap"),
        key: Key::Release("who-aap"),
        lists_unmatched: false,
        body: Body::CsvElseBinary,
        accept: None,
    },
    Row {
        adapter: Adapter::Wdi,
        name: "wdi_csv",
        service: "worldbank",
        matching: Matching::Country,
        key: Key::Release("wdi"),
        lists_unmatched: false,
        body: Body::CsvElseBinary,
        accept: None,
    },
    Row {
        adapter: Adapter::GhoCsv,
        name: "gho_csv",
        service: "gho",
        matching: Matching::Country,
        key: Key::Fixed("gho-portal"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    Row {
        adapter: Adapter::GhoOdata,
        name: "gho_odata",
        service: "gho",
        matching: Matching::Country,
        key: Key::Fixed("gho-odata"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Json),
        accept: Some(JSON),
    },
    Row {
        adapter: Adapter::MasterIndex,
        name: "master_index",
        service: "master-index",
        matching: Matching::Aliases("master_index"),
        key: Key::Release("master-index"),
        lists_unmatched: true,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    Row {
        adapter: Adapter::Lenstore,
        name: "lenstore",
        service: "lenstore",
        matching: Matching::Aliases("lenstore"),
        key: Key::Release("lenstore"),
        lists_unmatched: true,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    Row {
        adapter: Adapter::WbApi,
        name: "wb_api",
        service: "worldbank",
        matching: Matching::CityAliases("world_bank"),
        key: Key::Release("wb-api"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Json),
        accept: Some(JSON),
    },
    Row {
        adapter: Adapter::EurostatJson,
        name: "eurostat_json",
        service: "eurostat",
        matching: Matching::CityAliases("eurostat"),
        key: Key::Release("eurostat"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Json),
        accept: Some(JSON),
    },
    Row {
        adapter: Adapter::EurostatTsv,
        name: "eurostat_tsv",
        service: "eurostat",
        matching: Matching::CityAliases("eurostat"),
        key: Key::Release("eurostat"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    Row {
        adapter: Adapter::SdmxJson,
        name: "sdmx_json",
        service: "oecd",
        matching: Matching::CityAliases("oecd"),
        key: Key::Release("oecd"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Json),
        accept: Some("application/vnd.sdmx.data+json; charset=utf-8; version=2"),
    },
    Row {
        adapter: Adapter::Socrata,
        name: "socrata",
        service: "cdc",
        matching: Matching::Aliases("cdc_places"),
        key: Key::Release("cdc-places"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Json),
        accept: Some(JSON),
    },
    Row {
        adapter: Adapter::Table,
        name: "table",
        service: "table",
        matching: Matching::Columns,
        key: Key::Dataset,
        lists_unmatched: false,
        body: Body::CsvElseBinary,
        accept: None,
    },
    Row {
        adapter: Adapter::WhoHubCsv,
        name: "who_hub_csv",
        service: "gho",
        matching: Matching::Country,
        key: Key::Fixed("who-hub"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    // The data browser's CSV export: same codes, measures and key as the other Eurostat
    // formats, so a source can move between them without touching `cities.toml`.
    Row {
        adapter: Adapter::EurostatCsv,
        name: "eurostat_csv",
        service: "eurostat",
        matching: Matching::CityAliases("eurostat"),
        key: Key::Release("eurostat"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    // OECD city tables name places `Country name/City name` (`United Kingdom/London`), not the
    // region codes the `oecd` aliases hold, so they have an alias key of their own.
    Row {
        adapter: Adapter::OecdFuaCsv,
        name: "oecd_fua_csv",
        service: "oecd",
        matching: Matching::Aliases("oecd_fua"),
        key: Key::Release("oecd-fua"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    // Subnational regions through `aqli` aliases (`Germany/Berlin`); the country table's ISO3
    // ids through each city's `country`.
    Row {
        adapter: Adapter::AqliCsv,
        name: "aqli_csv",
        service: "aqli",
        matching: Matching::CityAliases("aqli"),
        key: Key::Release("aqli"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
    // Census place FIPS codes, an alias key any source coding US places that way can share.
    Row {
        adapter: Adapter::Cdc500Cities,
        name: "cdc_500_cities",
        service: "cdc",
        matching: Matching::Aliases("fips"),
        key: Key::Release("cdc-500-cities"),
        lists_unmatched: false,
        body: Body::Is(BodyKind::Text),
        accept: None,
    },
];

/// The `Accept` header of the JSON APIs.
const JSON: &str = "application/json";

impl Adapter {
    fn row(self) -> &'static Row {
        &ADAPTERS[self as usize]
    }

    /// The adapter a catalogue source's `adapter` names.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        ADAPTERS.iter().find(|r| r.name == name).map(|r| r.adapter)
    }

    /// Every adapter name, quoted, for the message that names an unknown one.
    pub(crate) fn names() -> String {
        ADAPTERS
            .iter()
            .map(|r| format!("`{}`", r.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The publisher service a download goes to, as named by `--base-url NAME=URL`.
    pub(crate) fn service(self) -> &'static str {
        self.row().service
    }

    /// The alias key of `cities.toml` a city-level source matches through; `None` for
    /// national sources, matched through each city's `country`.
    ///
    /// The API adapters serve both levels: at city level they match through their alias key
    /// (`eurostat`: Urban Audit codes such as `UK001C`; `oecd`: region codes; `cdc_places`:
    /// `ST/City`; `aqli`: `Country/Region`), at national level through ISO3 codes. City
    /// tables match through theirs at any level (`oecd_fua`: `Country/City`; `fips`: Census
    /// place codes such as `3651000`).
    /// The generic `table` adapter matches through `columns.aliases` (default `table`) at city
    /// level.
    pub(crate) fn alias_source(self, indicator: &Indicator) -> Option<String> {
        // City, metro and regional values are a place's own (a region's value attached to a
        // city by the source, as the Masselot panel does): matched through aliases. Only
        // national values match through `country`.
        let city = matches!(
            indicator.level,
            Some(Level::City | Level::Metro | Level::Region)
        );
        match self.row().matching {
            Matching::Aliases(key) => Some(key.to_string()),
            Matching::CityAliases(key) => city.then(|| key.to_string()),
            Matching::Country => None,
            Matching::Columns => city.then(|| {
                indicator
                    .source
                    .as_ref()
                    .and_then(|s| s.columns.as_ref())
                    .and_then(|c| c.aliases.clone())
                    .unwrap_or_else(|| "table".to_string())
            }),
        }
    }

    /// The ISO3 country of an unmatched place, where the source says it: the `ISO3/` prefix of a
    /// WHO AAP settlement, a national source's own code, `USA` for CDC PLACES.
    pub(crate) fn country_of(self, place: &str, national: bool, aggregate: bool) -> Option<String> {
        let iso3 = |c: &str| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
        match self {
            Adapter::WhoAap => place
                .split_once('/')
                .map(|(c, _)| c)
                .filter(|c| iso3(c))
                .map(str::to_string),
            Adapter::Socrata | Adapter::Cdc500Cities => Some("USA".to_string()),
            _ if national && !aggregate && iso3(place) => Some(place.to_string()),
            _ => None,
        }
    }

    /// Whether every place of the source is meant to be a registry city (so each miss is listed).
    pub(crate) fn lists_unmatched(self) -> bool {
        self.row().lists_unmatched
    }

    /// The short key of a source: `who-aap-v5`, `wdi-2025-01-28`, `gho-odata`, `gho-portal`,
    /// `master-index-3.2.1`, `lenstore-2021` (the first word of the release, lowercased).
    pub(crate) fn key(self, spec: &SourceSpec) -> String {
        let release = spec
            .release
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase();
        match self.row().key {
            Key::Release(prefix) => format!("{prefix}-{release}"),
            Key::Fixed(key) => key.to_string(),
            Key::Dataset => {
                let dataset: String = spec
                    .dataset
                    .to_lowercase()
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join("-");
                format!("{dataset}-{release}")
            }
        }
    }

    /// The body kind a download of `url` should have.
    pub(crate) fn body_kind(self, url: &str) -> BodyKind {
        match self.row().body {
            Body::Is(kind) => kind,
            Body::CsvElseBinary => {
                let path = url.split('?').next().unwrap_or(url);
                if Path::new(path)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
                {
                    BodyKind::Text
                } else {
                    BodyKind::Binary
                }
            }
        }
    }

    /// The `Accept` header the adapter's requests send.
    pub(crate) fn accept(self) -> Option<&'static str> {
        self.row().accept
    }

    /// Parses a source's bytes (a file or a downloaded body) with the adapter's parser.
    pub(crate) fn parse(
        self,
        bytes: &[u8],
        file: &str,
        indicator: &Indicator,
    ) -> Result<SourceTable> {
        match self {
            Adapter::WhoAap => {
                if !bytes.starts_with(b"PK")
                    && (Path::new(file)
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
                        || file.starts_with("http"))
                {
                    who_aap::parse_who_aap_csv(bytes, file)
                } else {
                    who_aap::parse_who_aap_xlsx(bytes, file)
                }
            }
            Adapter::Wdi if bytes.starts_with(b"PK") => world_bank::parse_wdi_zip(bytes, file),
            Adapter::Wdi => world_bank::parse_wdi_csv(bytes, file),
            Adapter::WbApi => world_bank::parse_wb_api(bytes, file).map(|(_, table)| table),
            Adapter::EurostatJson => eurostat::parse_jsonstat(bytes, file),
            Adapter::EurostatTsv => eurostat::parse_eurostat_tsv(bytes, file),
            Adapter::EurostatCsv => eurostat::parse_eurostat_csv(bytes, file),
            Adapter::OecdFuaCsv => wide::parse_oecd_fua_csv(bytes, file),
            Adapter::AqliCsv => wide::parse_aqli_csv(bytes, file),
            Adapter::Cdc500Cities => {
                let release = &crate::build::spec(indicator)?.release;
                cdc::parse_cdc_500_cities(bytes, file, release)
            }
            Adapter::SdmxJson => oecd::parse_sdmx_json(bytes, file),
            Adapter::Socrata => cdc::parse_socrata(bytes, file),
            Adapter::Table => {
                let spec = crate::build::spec(indicator)?;
                let columns = spec.columns.as_ref().ok_or_else(|| Error::Catalogue {
                    indicator: indicator.id.clone(),
                    message: "adapter `table` needs `columns = { place = ..., year = ..., value = ... }` in its source".to_string(),
                })?;
                generic::parse_table(bytes, file, columns, &spec.query)
            }
            Adapter::GhoCsv => who_gho::parse_gho_csv(bytes, file),
            Adapter::GhoOdata => who_gho::parse_gho_odata(bytes, file),
            Adapter::WhoHubCsv => {
                let query = &crate::build::spec(indicator)?.query;
                who_gho::parse_who_hub_csv(bytes, file, hub_value_column(query))
            }
            Adapter::MasterIndex => master_index::parse_master_index(bytes, file),
            Adapter::Lenstore => {
                let release = &crate::build::spec(indicator)?.release;
                let year = release
                    .split_whitespace()
                    .next()
                    .and_then(|y| y.parse::<i32>().ok())
                    .ok_or_else(|| Error::Catalogue {
                        indicator: indicator.id.clone(),
                        message: format!(
                            "the Lenstore release `{release}` does not start with the report's year (e.g. `2021`)"
                        ),
                    })?;
                lenstore::parse_lenstore(bytes, file, year)
            }
        }
    }

    /// The measure a catalogue query stands for in the parsed table.
    pub(crate) fn measure(self, query: &str) -> String {
        match self {
            Adapter::WhoAap => who_aap::canonical_column(query)
                .filter(|c| who_aap::POLLUTANTS.contains(c))
                .map_or_else(|| query.trim().to_string(), str::to_string),
            Adapter::WhoHubCsv => query.split(':').next().unwrap_or("").trim().to_string(),
            _ => query.trim().to_string(),
        }
    }
}

/// The value column a `who_hub_csv` query names after its indicator code
/// (`SDGSUICIDE:RATE_PER_100000_N`), if any.
fn hub_value_column(query: &str) -> Option<&str> {
    query
        .split_once(':')
        .map(|(_, c)| c.trim())
        .filter(|c| !c.is_empty())
}

/// Whether a code names a group of countries rather than one place: a World Bank region or
/// income aggregate (`WLD`, `EMU`, `HIC`, ...), or a Eurostat or OECD group (`EU27_2020`,
/// `EA20`, `OECD`).
pub(crate) fn is_aggregate_code(code: &str) -> bool {
    if world_bank::AGGREGATES.contains(&code) {
        return true;
    }
    // Eurostat and OECD groups: EU27_2020, EU28, EA20, EA19, EEA, EFTA, OECD, OECDE.
    let upper = code.to_ascii_uppercase();
    if ["EEA", "EFTA", "OECD", "OECDE", "EU", "EA"].contains(&upper.as_str()) {
        return true;
    }
    ["EU", "EA"].iter().any(|p| {
        upper
            .strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{values, SDMX2, URB};

    #[test]
    fn the_adapter_table_is_in_the_order_of_the_adapters_and_names_known_services() {
        for (k, row) in ADAPTERS.iter().enumerate() {
            assert_eq!(row.adapter as usize, k, "{}", row.name);
            assert_eq!(Adapter::from_name(row.name), Some(row.adapter));
            assert!(
                PUBLISHERS.iter().any(|p| p.service == row.service),
                "{}",
                row.name
            );
        }
        assert_eq!(
            base_url_services().collect::<Vec<_>>(),
            ["gho", "worldbank", "eurostat", "oecd", "who", "cdc"]
        );
        assert_eq!(
            Adapter::names(),
            "`who_aap`, `wdi_csv`, `gho_csv`, `gho_odata`, `master_index`, `lenstore`, `wb_api`, `eurostat_json`, `eurostat_tsv`, `sdmx_json`, `socrata`, `table`, `who_hub_csv`, `eurostat_csv`, `oecd_fua_csv`, `aqli_csv`, `cdc_500_cities`"
        );
    }

    #[test]
    fn classifies_publishers_group_codes_as_aggregates() {
        for code in ["WLD", "EMU", "HIC", "EU27_2020", "EA20", "OECD", "EFTA"] {
            assert!(is_aggregate_code(code), "{code}");
        }
        for code in ["GBR", "CAN", "UK001C", "EST", "EUR/Paris", "Atlantis"] {
            assert!(!is_aggregate_code(code), "{code}");
        }
    }

    /// An HTML page or an XML message where a file was expected (a wrong link, the World Bank's
    /// answer to an unknown indicator code) is named as such by every file parser, with what
    /// to check, never reported as a parse error at line 1.
    #[test]
    fn every_file_parser_names_an_xml_or_html_answer() {
        let wb_error = br#"<?xml version="1.0" encoding="utf-8"?><wb:error xmlns:wb="http://www.worldbank.org"><wb:message id="120" key="Invalid value">The provided parameter value is not valid</wb:message></wb:error>"#;
        let html = b"\xEF\xBB\xBF  <!DOCTYPE html><html><body>Page not found</body></html>";
        let columns = healthy_city_model::Columns {
            place: "city".to_string(),
            year: "year".to_string(),
            value: None,
            measure: None,
            sheet: None,
            aliases: None,
        };
        let results = [
            ("wdi csv", world_bank::parse_wdi_csv(wb_error, "f").err()),
            ("wdi zip", world_bank::parse_wdi_zip(wb_error, "f").err()),
            ("gho csv", who_gho::parse_gho_csv(html, "f").err()),
            ("aap xlsx", who_aap::parse_who_aap_xlsx(html, "f").err()),
            ("aap csv", who_aap::parse_who_aap_csv(html, "f").err()),
            (
                "table",
                generic::parse_table(html, "f", &columns, "pm25").err(),
            ),
        ];
        for (parser, err) in results {
            let message = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("the answer is XML (it starts `<"),
                "{parser}: {message}"
            );
        }
        let zip = world_bank::parse_wdi_zip(wb_error, "f")
            .unwrap_err()
            .to_string();
        assert!(zip.contains("unknown indicator code"), "{zip}");
        assert!(zip.contains("<wb:error"), "{zip}");
    }

    const SDMX_ML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<message:GenericData xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\"><message:Header/></message:GenericData>";

    #[test]
    fn an_xml_answer_is_named_as_xml_with_how_to_ask_each_api_for_json() {
        let start = "the answer is XML (it starts `<?xml version=\"1.0\" encoding=\"utf-8\"?> <message:GenericData`), not";
        let err = parse_sdmx_json(SDMX_ML.as_bytes(), "https://sdmx.oecd.org/x")
            .unwrap_err()
            .to_string();
        assert_eq!(err, format!("`https://sdmx.oecd.org/x`: {start} JSON: ask for SDMX-JSON with the header `Accept: application/vnd.sdmx.data+json; charset=utf-8; version=2` (healthy-city sends it for `sdmx_json` sources; a proxy may have dropped it) or add `format=jsondata` to the address"));
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
