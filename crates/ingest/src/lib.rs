//! Sources in, observations with provenance out: the ingest stage of healthy-city.
//!
//! Each publisher's file format has one parser, a pure function of the file's bytes that
//! returns a [`SourceTable`] of [`SourceRecord`]s (place, measure, year, value, flag) — so an
//! HTTP adapter can hand it a downloaded body unchanged:
//!
//! - [`parse_who_aap_xlsx`] / [`parse_who_aap_csv`]: WHO Ambient Air Quality Database (V5 and V6.1 columns);
//! - [`parse_wdi_csv`]: World Bank WDI bulk CSV;
//! - [`parse_gho_csv`] / [`parse_gho_odata`]: WHO GHO portal CSV and OData JSON;
//! - [`parse_master_index`]: the 55-city Master Index Workbench compilation;
//! - [`parse_lenstore`]: Lenstore's Healthy Lifestyle Cities Report;
//! - [`import_coinr`]: a COINr coin's iData and iMeta tables, turned into a framework, cities,
//!   catalogue and observations ([`write_coinr_import`] writes them).
//!
//! [`build_snapshot`] runs the catalogue's adapters on a data folder, matches places to the city
//! registry (through aliases for city sources, through `country` for national ones, flagging
//! the latter `proxy`), and returns a [`Snapshot`]: validated [`Observations`](healthy_city_model::Observations),
//! an [`IngestReport`] and the text of `SOURCES.md`. [`write_snapshot`] writes both files atomically;
//! [`write_report`] writes the report's `unmatched.csv` (every code or name that matched no city,
//! aggregates marked) into a separate report folder.
//!
//! [`fetch_snapshot`] does the same from the publishers' servers: each catalogue source with a
//! `download` address is fetched by a [`Client`] (rustls; retries with back-off and jitter,
//! `Retry-After`, a body-size limit, a content-type check, a revalidating cache, offline mode, a
//! per-host limit), parsed by the same parser as its file ([`parse_wb_api`], [`parse_jsonstat`],
//! [`parse_eurostat_tsv`], [`parse_sdmx_json`], [`parse_socrata`] for the API-only formats) and
//! recorded with its URL, retrieval time and SHA-256. A failed source fails the whole build
//! ([`Error::Sources`]) unless the previous snapshot's values are kept (`allow_partial`).
//!
//! ```
//! use healthy_city_ingest::{build_snapshot, write_report, write_snapshot};
//! use healthy_city_model::{Catalogue, Cities};
//!
//! let cities = Cities::parse(r#"
//! [[city]]
//! id = "london"
//! name = "London"
//! country = "GBR"
//! region = "Europe & Central Asia"
//! latitude = 51.51
//! longitude = -0.13
//! aliases = { lenstore = ["London"] }
//! "#, "cities.toml").unwrap();
//! let catalogue = Catalogue::parse(r#"
//! [[indicator]]
//! id = "lenstore_sunshine"
//! name = "Sunshine hours"
//! unit = "hours"
//! direction = "higher"
//! level = "city"
//! source = { adapter = "lenstore", publisher = "Lenstore", dataset = "Healthy Lifestyle Cities Report",
//!            release = "2021", licence = "published report", query = "Sunshine hours(City)",
//!            file = "lenstore.csv" }
//! "#, "catalogue.toml").unwrap();
//!
//! let data = std::env::temp_dir().join(format!("healthy-city-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&data).unwrap();
//! std::fs::write(data.join("lenstore.csv"), "City,Rank,Sunshine hours(City)\nLondon,38,1633\nAtlantis,1,4000\n").unwrap();
//!
//! let snapshot = build_snapshot(&data, &cities, &catalogue, 2000).unwrap();
//! assert_eq!(snapshot.observations.rows()[0].value, 1633.0);
//! assert_eq!(snapshot.report.indicators[0].unmatched_names, Some(vec!["Atlantis".to_string()]));
//! write_snapshot(&snapshot, &data.join("snapshot")).unwrap();
//! assert!(data.join("snapshot/SOURCES.md").exists());
//! let unmatched = write_report(&snapshot.report, &data.join("report")).unwrap();
//! assert_eq!(
//!     std::fs::read_to_string(unmatched).unwrap(),
//!     "source,indicator,code_or_name,country,kind,rows\nlenstore-2021,lenstore_sunshine,Atlantis,,place,1\n"
//! );
//! # std::fs::remove_dir_all(&data).unwrap();
//! ```

mod api;
mod coinr;
mod error;
mod fetch;
mod generic;
mod gho;
mod http;
mod lenstore;
mod master_index;
mod snapshot;
mod table;
#[cfg(test)]
mod testdata;
mod wdi;
mod who_aap;

pub use api::{
    parse_eurostat_tsv, parse_jsonstat, parse_sdmx_json, parse_socrata, parse_wb_api, WbPage,
};
pub use coinr::{coinr_id, import_coinr, write_coinr_import, CoinrImport, COINR_FILES};
pub use error::{Conflict, Error, Result};
pub use fetch::{fetch_snapshot, Download, FetchOptions, SourceFailure};
pub use generic::parse_table;
pub use gho::{parse_gho_csv, parse_gho_odata};
pub use http::{
    default_cache_dir, BodyKind, Client, Fetched, HttpConfig, NoProgress, Origin, Progress,
};
pub use lenstore::parse_lenstore;
pub use master_index::{parse_master_index, reference_year};
pub use snapshot::{
    build_snapshot, write_report, write_snapshot, IndicatorReport, IngestReport, PlaceKind,
    Snapshot, UnmatchedPlace, UNMATCHED_COLUMNS, UNMATCHED_CSV,
};
pub use table::{SourceRecord, SourceTable};
pub use wdi::{parse_wdi_csv, parse_wdi_zip};
pub use who_aap::{parse_who_aap_csv, parse_who_aap_xlsx};
