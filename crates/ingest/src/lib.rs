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
//! - [`parse_eurostat_csv`]: Eurostat's data-browser CSV export (Urban Audit city statistics),
//!   its confidential cells counted;
//! - [`parse_oecd_fua_csv`] / [`parse_aqli_csv`]: wide year-column tables (OECD cities and
//!   functional urban areas; the Air Quality Life Index), one reader with a layout each;
//! - [`parse_cdc_500_cities`]: CDC 500 Cities GIS-friendly city CSV, 95% intervals kept;
//! - [`parse_table`]: any CSV, XLSX or Parquet table (gzipped or not) through a column mapping;
//! - [`urban_audit_registry`]: the European city registry from the Masselot et al. panel's
//!   Urban Audit city list (`healthy-city import urban-audit`);
//! - [`import_coinr`]: a COINr coin's iData and iMeta tables, turned into a framework, cities,
//!   catalogue and observations ([`write_coinr_import`] writes them).
//!
//! [`build_snapshot`] runs the catalogue's adapters on a data folder, matches places to the city
//! registry (through aliases for city sources, through `country` for national ones, flagging
//! the latter `proxy`), and returns a [`Snapshot`]: validated [`Observations`](healthy_city_model::Observations),
//! an [`IngestReport`] and the text of `SOURCES.md`. [`write_snapshot`] writes both files atomically
//! (keeping the other files of the folder);
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
//! Every parser's values are checked where they are read: a value must be finite and within
//! ±1e15, its year within 1800..=2100 (the model's bounds for observations), or the parse fails
//! naming the file, the position, the place, the measure and the year. A build that would keep
//! no value of an indicator (a `first_year` past its data, no place matching the registry, a
//! failed source with nothing to keep), or no value at all, fails with the reason and leaves the
//! snapshot as it was; `first_year` itself must be within 1800..=2100. Input quoted in an error
//! has its control characters escaped and is cut to its first 60 characters and its length
//! when long; a file with several problems (a COINr import) lists the first 20 and their count.
//!
//! One table, [`PUBLISHERS`] and the adapters behind it, says for each catalogue `adapter` which
//! parser reads it, the publisher service its downloads go to ([`base_url_services`] are the
//! names `--base-url` takes), how its places match the registry and the short key of its
//! values; the builder, the downloader and the CLI all read it. Every file is written through
//! `healthy-city-fs`: the snapshot folder replaced whole, the report and the HTTP cache
//! atomically, a COINr import's four files staged to appear together.
//!
//! Modules (private; an arrow reads "uses"; there is no circle, and every module uses `error`):
//!
//! ```text
//! fetch      -> build, source, publishers, http, snapshot   (downloading the sources)
//! build      -> provenance, snapshot, report, source, publishers, table, bounds   (matching, checks)
//! provenance -> report, source                               (SOURCES.md)
//! snapshot   -> report                                       (the snapshot and writing it)
//! source     -> publishers, http, table                      (a parsed source, its provenance)
//! publishers -> world_bank, who_gho, who_aap, eurostat, oecd, cdc, master_index, lenstore,
//!               generic, wide, http, table                   (the table of adapters)
//! world_bank, who_gho, ... generic -> read, table, bounds    (one parser module per publisher)
//! coinr      -> read, bounds                                 (the COINr import)
//! read, report -> bounds                                     (echoing input)
//! bounds     -> table                                        (value and year bounds, echo)
//! ```
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

mod bounds;
mod build;
mod coinr;
mod error;
mod fetch;
mod http;
mod provenance;
mod publishers;
mod read;
mod registry;
mod releases;
mod report;
mod snapshot;
mod source;
mod table;
#[cfg(test)]
mod testdata;

pub use build::build_snapshot;
pub use coinr::{coinr_id, import_coinr, write_coinr_import, CoinrImport, COINR_FILES};
pub use error::{Conflict, Error, Result, SourceFailure};
pub use fetch::{fetch_snapshot, FetchOptions};
pub use http::{
    default_budgets, default_cache_dir, BodyKind, Budget, Client, Fetched, HttpConfig, NoProgress,
    Origin, Progress, Secret,
};
pub use publishers::{
    base_url_services, parse_aqli_csv, parse_cdc_500_cities, parse_eurostat_csv,
    parse_eurostat_tsv, parse_gho_csv, parse_gho_odata, parse_jsonstat, parse_lenstore,
    parse_master_index, parse_oecd_fua_csv, parse_sdmx_json, parse_socrata, parse_table,
    parse_wb_api, parse_wdi_csv, parse_wdi_zip, parse_who_aap_csv, parse_who_aap_xlsx,
    parse_who_hub_csv, reference_year, Publisher, WbPage, PUBLISHERS,
};
pub use registry::urban_audit_registry;
pub use releases::{accept_releases, revisions, ReleaseChange, Revision, Revisions};
pub use report::{
    write_report, IndicatorReport, IngestReport, PlaceKind, UnmatchedPlace, UNMATCHED_COLUMNS,
    UNMATCHED_CSV,
};
pub use snapshot::{write_snapshot, Snapshot};
pub use source::Download;
pub use table::{SourceRecord, SourceTable, Withheld};
