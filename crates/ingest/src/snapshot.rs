//! Building the snapshot: every catalogue indicator read from its file, matched to the
//! registry, checked, and written with its provenance.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use healthy_city_model::{
    Catalogue, Cities, City, Flag, Indicator, Level, Observation, Observations, SourceSpec,
};
use sha2::{Digest, Sha256};

use crate::error::{read_file, Conflict, Error, Result};
use crate::fetch::Download;
use crate::http::hex;
use crate::table::{SourceRecord, SourceTable};
use crate::{api, generic, gho, lenstore, master_index, wdi, who_aap};

/// The observations built from the source files, what happened to each indicator, and the
/// provenance file that goes with them.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Sorted and validated observations.
    pub observations: Observations,
    /// Per indicator: rows read, values kept, cities matched and not.
    pub report: IngestReport,
    /// The text of `SOURCES.md`.
    pub sources_md: String,
}

/// What ingesting did, per indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    /// Values with an earlier reference year were dropped.
    pub first_year: i32,
    /// Number of cities in the registry.
    pub registry_cities: usize,
    /// One entry per catalogue indicator, in catalogue order.
    pub indicators: Vec<IndicatorReport>,
}

/// What ingesting did for one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorReport {
    /// Indicator id.
    pub indicator: String,
    /// Short source key written in the observations' `source` column.
    pub source: String,
    /// Source file, relative to the data folder.
    pub file: String,
    /// Data rows in the file.
    pub rows_read: usize,
    /// Non-missing values of this indicator's measure in the file.
    pub values_read: usize,
    /// Of those, values with a reference year before [`IngestReport::first_year`].
    pub before_first_year: usize,
    /// Observations kept.
    pub kept: usize,
    /// Identical repeats kept once.
    pub duplicates: usize,
    /// Values replaced by a newer revision of the same place and year (WHO AAP database versions).
    pub superseded: usize,
    /// Registry cities with at least one value.
    pub cities_matched: usize,
    /// Registry cities (ids) with no value.
    pub cities_without_value: Vec<String>,
    /// Number of the file's places (names or codes, aggregates included) that matched no
    /// registry city.
    pub unmatched: usize,
    /// Those places, named in the printed summary for sources meant to match the registry (the
    /// city compilations); `None` for the others, whose places are too many to print: every
    /// source's are in [`IndicatorReport::unmatched_places`] (and `unmatched.csv`).
    pub unmatched_names: Option<Vec<String>>,
    /// Every place of the source that matched no registry city, with its country where known,
    /// whether it is a place or an aggregate, and its number of values; sorted by name.
    pub unmatched_places: Vec<UnmatchedPlace>,
    /// Where a downloaded source came from (`network`, `cache (revalidated)`,
    /// `cache (offline)`); `None` for a file.
    pub origin: Option<String>,
    /// Why the source failed, when `--allow-partial` kept the previous snapshot's values.
    pub failed: Option<String>,
    /// The publisher's status flags on the values kept (Eurostat `e`, `p`; SDMX `OBS_STATUS`),
    /// with their counts.
    pub statuses: BTreeMap<String, usize>,
}

/// Whether an unmatched code stands for one place or for a group of countries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlaceKind {
    /// A city, settlement, region or country.
    Place,
    /// A group of countries: a code the publisher marks as one (WHO GHO regions, income groups
    /// and `GLOBAL`), a World Bank region or income aggregate (`WLD`, `EMU`, `HIC`, ...), or a
    /// Eurostat or OECD group (`EU27_2020`, `EA20`, `OECD`).
    Aggregate,
}

impl PlaceKind {
    /// `place` or `aggregate`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Place => "place",
            PlaceKind::Aggregate => "aggregate",
        }
    }
}

/// A code or name of a source that matched no registry city.
#[derive(Debug, Clone, PartialEq)]
pub struct UnmatchedPlace {
    /// As the source writes it (`CAN/London`, `WLD`, `Atlantis`, `DE001C`).
    pub code_or_name: String,
    /// The ISO3 country, where the source says it (WHO AAP's `ISO3/` prefix, a national
    /// source's own country code, `USA` for CDC PLACES).
    pub country: Option<String>,
    /// Place or aggregate.
    pub kind: PlaceKind,
    /// The source's values of the indicator's measure under it, all years (for an aggregate
    /// the publisher marks itself, its data rows, which are never read as values).
    pub rows: usize,
}

/// World Bank aggregates: regions, income and lending groups, demographic dividend groups and
/// the world, as the `Metadata_Country` files list them (with an empty `Region`), plus `INX`
/// (not classified).
const WORLD_BANK_AGGREGATES: [&str; 49] = [
    "AFE", "AFW", "ARB", "CEB", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU", "FCS",
    "HIC", "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC", "LMC",
    "LMY", "LTE", "MEA", "MIC", "MNA", "NAC", "OED", "OSS", "PRE", "PSS", "PST", "SAS", "SSA",
    "SSF", "SST", "TEA", "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD",
];

/// Whether a code names a group of countries rather than one place.
fn is_aggregate_code(code: &str) -> bool {
    if WORLD_BANK_AGGREGATES.contains(&code) {
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

impl fmt::Display for IngestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: usize = self.indicators.iter().map(|i| i.kept).sum();
        let files: BTreeSet<&str> = self.indicators.iter().map(|i| i.file.as_str()).collect();
        writeln!(
            f,
            "ingested {} values of {} indicators from {} files for {} registry cities (years from {})",
            thousands(total),
            self.indicators.len(),
            files.len(),
            self.registry_cities,
            self.first_year
        )?;
        let width = self
            .indicators
            .iter()
            .map(|i| i.indicator.len())
            .max()
            .unwrap_or(0);
        let key_width = self
            .indicators
            .iter()
            .map(|i| i.source.len())
            .max()
            .unwrap_or(0);
        for i in &self.indicators {
            write!(
                f,
                "  {:<width$}  {:<key_width$}  {:>6} values, {:>2}/{} cities",
                i.indicator,
                i.source,
                thousands(i.kept),
                i.cities_matched,
                self.registry_cities,
            )?;
            if i.duplicates > 0 {
                write!(f, ", {} identical repeats", i.duplicates)?;
            }
            if i.superseded > 0 {
                write!(f, ", {} superseded by a newer version", i.superseded)?;
            }
            if let Some(why) = &i.failed {
                write!(f, "; FAILED, previous values kept: {why}")?;
                writeln!(f)?;
                continue;
            }
            let aggregates = i
                .unmatched_places
                .iter()
                .filter(|p| p.kind == PlaceKind::Aggregate)
                .count();
            match &i.unmatched_names {
                None if aggregates > 0 => write!(
                    f,
                    "; {} places matched no city ({} of them aggregates)",
                    thousands(i.unmatched),
                    thousands(aggregates)
                )?,
                None => write!(f, "; {} places matched no city", thousands(i.unmatched))?,
                Some(names) if names.is_empty() => write!(f, "; every name matched")?,
                Some(names) => {
                    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                    write!(f, "; unmatched: {}", names.join(", "))?;
                }
            }
            if let Some(origin) = &i.origin {
                write!(f, "; from {origin}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The columns of `unmatched.csv`, in order.
pub const UNMATCHED_COLUMNS: [&str; 6] = [
    "source",
    "indicator",
    "code_or_name",
    "country",
    "kind",
    "rows",
];

/// The file [`write_report`] writes into the report folder.
pub const UNMATCHED_CSV: &str = "unmatched.csv";

impl IngestReport {
    /// Unmatched places of all indicators (rows of `unmatched.csv`).
    pub fn unmatched_total(&self) -> usize {
        self.indicators
            .iter()
            .map(|i| i.unmatched_places.len())
            .sum()
    }

    /// Every place of every source that matched no registry city, as CSV with the columns of
    /// [`UNMATCHED_COLUMNS`]: one row per indicator and place, in catalogue order then by
    /// name; `country` empty where the source does not say it.
    pub fn unmatched_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut rows = vec![UNMATCHED_COLUMNS.map(str::to_string).to_vec()];
        for i in &self.indicators {
            for p in &i.unmatched_places {
                rows.push(vec![
                    i.source.clone(),
                    i.indicator.clone(),
                    p.code_or_name.clone(),
                    p.country.clone().unwrap_or_default(),
                    p.kind.as_str().to_string(),
                    p.rows.to_string(),
                ]);
            }
        }
        for row in rows {
            // Writing to a Vec cannot fail.
            let _ = writer.write_record(&row);
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// Writes the ingest report, `unmatched.csv` (see [`IngestReport::unmatched_csv`]), into `dir`
/// (created if needed) through [`healthy_city_fs::write_atomic`], so the file is either the
/// previous one or the new one, never half written. Returns its path.
pub fn write_report(report: &IngestReport, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(UNMATCHED_CSV);
    healthy_city_fs::write_atomic(&path, report.unmatched_csv().as_bytes()).map_err(|source| {
        Error::Write {
            path: dir.to_path_buf(),
            source,
        }
    })?;
    Ok(path)
}

/// The adapters, by the name a catalogue source gives.
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
}

const ADAPTERS: &str = "`who_aap`, `wdi_csv`, `gho_csv`, `gho_odata`, `master_index`, `lenstore`, `wb_api`, `eurostat_json`, `eurostat_tsv`, `sdmx_json`, `socrata`, `table`";

impl Adapter {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "who_aap" => Adapter::WhoAap,
            "wdi_csv" => Adapter::Wdi,
            "gho_csv" => Adapter::GhoCsv,
            "gho_odata" => Adapter::GhoOdata,
            "master_index" => Adapter::MasterIndex,
            "lenstore" => Adapter::Lenstore,
            "wb_api" => Adapter::WbApi,
            "eurostat_json" => Adapter::EurostatJson,
            "eurostat_tsv" => Adapter::EurostatTsv,
            "sdmx_json" => Adapter::SdmxJson,
            "socrata" => Adapter::Socrata,
            "table" => Adapter::Table,
            _ => return None,
        })
    }

    /// The alias key of `cities.toml` a city-level source matches through; `None` for
    /// national sources, matched through each city's `country`.
    ///
    /// The API adapters serve both levels: at city level they match through their alias key
    /// (`eurostat`: Urban Audit codes such as `UK001C`; `oecd`: region codes; `cdc_places`:
    /// `ST/City`), at national level through ISO3 codes.
    /// The generic `table` adapter matches through `columns.aliases` (default `table`) at city
    /// level.
    fn alias_source(self, indicator: &Indicator) -> Option<String> {
        if self == Adapter::Table {
            return (indicator.level == Level::City).then(|| {
                indicator
                    .source
                    .columns
                    .as_ref()
                    .and_then(|c| c.aliases.clone())
                    .unwrap_or_else(|| "table".to_string())
            });
        }
        let level = indicator.level;
        let key = match (self, level) {
            (Adapter::WhoAap, _) => Some("who_aap"),
            (Adapter::MasterIndex, _) => Some("master_index"),
            (Adapter::Lenstore, _) => Some("lenstore"),
            (Adapter::EurostatJson | Adapter::EurostatTsv, Level::City) => Some("eurostat"),
            (Adapter::SdmxJson, Level::City) => Some("oecd"),
            (Adapter::Socrata, _) => Some("cdc_places"),
            (Adapter::WbApi, Level::City) => Some("world_bank"),
            (
                Adapter::Wdi
                | Adapter::GhoCsv
                | Adapter::GhoOdata
                | Adapter::WbApi
                | Adapter::EurostatJson
                | Adapter::EurostatTsv
                | Adapter::SdmxJson
                | Adapter::Table,
                _,
            ) => None,
        };
        key.map(str::to_string)
    }

    /// The publisher service a download goes to, as named by `--base-url NAME=URL`.
    pub(crate) fn service(self) -> &'static str {
        match self {
            Adapter::WhoAap => "who",
            Adapter::Wdi | Adapter::WbApi => "worldbank",
            Adapter::GhoCsv | Adapter::GhoOdata => "gho",
            Adapter::MasterIndex => "master-index",
            Adapter::Lenstore => "lenstore",
            Adapter::EurostatJson | Adapter::EurostatTsv => "eurostat",
            Adapter::SdmxJson => "oecd",
            Adapter::Socrata => "cdc",
            Adapter::Table => "table",
        }
    }

    /// The ISO3 country of an unmatched place, where the source says it: the `ISO3/` prefix of a
    /// WHO AAP settlement, a national source's own code, `USA` for CDC PLACES.
    fn country_of(self, place: &str, national: bool, kind: PlaceKind) -> Option<String> {
        let iso3 = |c: &str| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
        match self {
            Adapter::WhoAap => place
                .split_once('/')
                .map(|(c, _)| c)
                .filter(|c| iso3(c))
                .map(str::to_string),
            Adapter::Socrata => Some("USA".to_string()),
            _ if national && kind == PlaceKind::Place && iso3(place) => Some(place.to_string()),
            _ => None,
        }
    }

    /// Whether every place of the source is meant to be a registry city (so each miss is listed).
    fn lists_unmatched(self) -> bool {
        matches!(self, Adapter::MasterIndex | Adapter::Lenstore)
    }

    /// The short key of a source: `who-aap-v5`, `wdi-2025-01-28`, `gho-odata`, `gho-portal`,
    /// `master-index-3.2.1`, `lenstore-2021` (the first word of the release, lowercased).
    fn key(self, spec: &SourceSpec) -> String {
        let release = spec
            .release
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase();
        match self {
            Adapter::WhoAap => format!("who-aap-{release}"),
            Adapter::Wdi => format!("wdi-{release}"),
            Adapter::GhoCsv => "gho-portal".to_string(),
            Adapter::GhoOdata => "gho-odata".to_string(),
            Adapter::MasterIndex => format!("master-index-{release}"),
            Adapter::Lenstore => format!("lenstore-{release}"),
            Adapter::WbApi => format!("wb-api-{release}"),
            Adapter::EurostatJson | Adapter::EurostatTsv => format!("eurostat-{release}"),
            Adapter::SdmxJson => format!("oecd-{release}"),
            Adapter::Socrata => format!("cdc-places-{release}"),
            Adapter::Table => {
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
            Adapter::Wdi if bytes.starts_with(b"PK") => wdi::parse_wdi_zip(bytes, file),
            Adapter::Wdi => wdi::parse_wdi_csv(bytes, file),
            Adapter::WbApi => api::parse_wb_api(bytes, file).map(|(_, table)| table),
            Adapter::EurostatJson => api::parse_jsonstat(bytes, file),
            Adapter::EurostatTsv => api::parse_eurostat_tsv(bytes, file),
            Adapter::SdmxJson => api::parse_sdmx_json(bytes, file),
            Adapter::Socrata => api::parse_socrata(bytes, file),
            Adapter::Table => {
                let columns = indicator.source.columns.as_ref().ok_or_else(|| Error::Catalogue {
                    indicator: indicator.id.clone(),
                    message: "adapter `table` needs `columns = { place = ..., year = ..., value = ... }` in its source".to_string(),
                })?;
                generic::parse_table(bytes, file, columns, &indicator.source.query)
            }
            Adapter::GhoCsv => gho::parse_gho_csv(bytes, file),
            Adapter::GhoOdata => gho::parse_gho_odata(bytes, file),
            Adapter::MasterIndex => master_index::parse_master_index(bytes, file),
            Adapter::Lenstore => {
                let release = &indicator.source.release;
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
    fn measure(self, query: &str) -> String {
        match self {
            Adapter::WhoAap => who_aap::canonical_column(query)
                .filter(|c| who_aap::POLLUTANTS.contains(c))
                .map_or_else(|| query.trim().to_string(), str::to_string),
            _ => query.trim().to_string(),
        }
    }
}

/// A parsed source (a file or a download) and what is known about it.
pub(crate) struct Loaded {
    pub(crate) adapter: Adapter,
    pub(crate) table: SourceTable,
    pub(crate) sha256: String,
    /// The requests that fetched it (several for a paged API); empty for a file.
    pub(crate) downloads: Vec<Download>,
    /// Why the download failed, when `--allow-partial` keeps the previous values instead.
    pub(crate) failed: Option<String>,
}

/// How [`assemble`] gets each indicator's source.
pub(crate) trait Sources {
    /// The key of the indicator's source (a file path or a URL): indicators with the same key
    /// share one read.
    fn key(&self, indicator: &Indicator, adapter: Adapter) -> Result<String>;
    /// Reads and parses a source.
    fn load(&mut self, key: &str, indicator: &Indicator, adapter: Adapter) -> Result<Loaded>;
}

/// Files under a data folder.
pub(crate) struct Files<'a>(pub(crate) &'a Path);

impl Sources for Files<'_> {
    fn key(&self, indicator: &Indicator, _: Adapter) -> Result<String> {
        indicator
            .source
            .file
            .clone()
            .ok_or_else(|| Error::Catalogue {
                indicator: indicator.id.clone(),
                message:
                    "its source has no `file` (the path of the source file inside the data folder)"
                        .to_string(),
            })
    }

    fn load(&mut self, file: &str, indicator: &Indicator, adapter: Adapter) -> Result<Loaded> {
        let bytes = read_file(&self.0.join(file))?;
        let table = adapter.parse(&bytes, file, indicator)?;
        Ok(Loaded {
            adapter,
            table,
            sha256: hex(&Sha256::digest(&bytes)),
            downloads: Vec::new(),
            failed: None,
        })
    }
}

/// A value held for one (city, year) of an indicator while the file is read.
struct Held<'a> {
    record: &'a SourceRecord,
}

/// Reads every catalogue indicator from its file under `data_dir`, matches places to the
/// registry (aliases for city-level sources, `country` for national ones), keeps reference years
/// from `first_year` on, and returns the sorted, validated observations with a report and the
/// text of `SOURCES.md`.
///
/// A national value used for a city is flagged `proxy`. Two different values for the same city,
/// indicator and year from one source are an error (identical repeats are kept once; a WHO AAP
/// settlement-year repeated from an older database version gives way to the newer one).
pub fn build_snapshot(
    data_dir: &Path,
    cities: &Cities,
    catalogue: &Catalogue,
    first_year: i32,
) -> Result<Snapshot> {
    assemble(&mut Files(data_dir), cities, catalogue, first_year, None)
}

/// [`build_snapshot`] over any [`Sources`]; a source loaded with `failed` set takes its
/// indicators' values from `previous`.
pub(crate) fn assemble(
    sources: &mut dyn Sources,
    cities: &Cities,
    catalogue: &Catalogue,
    first_year: i32,
    previous: Option<&Observations>,
) -> Result<Snapshot> {
    let mut loaded: BTreeMap<String, Loaded> = BTreeMap::new();
    let mut by_country: HashMap<&str, Vec<&City>> = HashMap::new();
    for city in cities.iter() {
        by_country
            .entry(city.country.as_str())
            .or_default()
            .push(city);
    }
    let mut rows = Vec::new();
    let mut reports = Vec::new();
    for indicator in catalogue.iter() {
        let spec = &indicator.source;
        let catalogue_error = |message: String| Error::Catalogue {
            indicator: indicator.id.clone(),
            message,
        };
        let adapter = Adapter::from_name(&spec.adapter).ok_or_else(|| {
            catalogue_error(format!(
                "unknown adapter `{}`: use one of {ADAPTERS}",
                spec.adapter
            ))
        })?;
        let file = &sources.key(indicator, adapter)?;
        if !loaded.contains_key(file) {
            let source = sources.load(file, indicator, adapter)?;
            loaded.insert(file.clone(), source);
        }
        let Some(source) = loaded.get(file) else {
            continue;
        };
        if let Some(why) = &source.failed {
            let (report, kept) = keep_previous(indicator, adapter, file, why, previous, cities);
            rows.extend(kept);
            reports.push(report);
            continue;
        }
        if source.adapter != adapter {
            return Err(catalogue_error(format!(
                "file `{file}` is read with adapter `{}` here but with another adapter by an earlier indicator: use one adapter per file",
                spec.adapter
            )));
        }
        let table = &source.table;
        if let Some(release) = &table.release {
            if release != &spec.release {
                return Err(catalogue_error(format!(
                    "`{file}` states release `{release}` but the catalogue says `{}`: correct the catalogue's `release`",
                    spec.release
                )));
            }
        }
        let measure = adapter.measure(&spec.query);
        if !table.measures.contains(&measure) {
            let known: Vec<String> = table
                .measures
                .iter()
                .take(12)
                .map(|m| format!("`{m}`"))
                .collect();
            return Err(catalogue_error(format!(
                "query `{}` names nothing in `{file}`; it has {}",
                spec.query,
                known.join(", ")
            )));
        }
        let (mut report, kept) = ingest_indicator(
            indicator,
            adapter,
            table,
            &measure,
            cities,
            &by_country,
            first_year,
        )?;
        if let Some(download) = source.downloads.first() {
            report.origin = Some(download.origin.as_str().to_string());
        }
        rows.extend(kept);
        reports.push(report);
    }
    let mut observations = Observations::from_rows(rows, "ingested observations");
    observations.sort();
    observations
        .validate(cities, catalogue)
        .map_err(Error::Invalid)?;
    let report = IngestReport {
        first_year,
        registry_cities: cities.len(),
        indicators: reports,
    };
    let mut keys = Vec::new();
    for indicator in catalogue.iter() {
        if let Some(adapter) = Adapter::from_name(&indicator.source.adapter) {
            keys.push(sources.key(indicator, adapter)?);
        }
    }
    let sources_md = sources_md(catalogue, &keys, &loaded, &report, &observations);
    Ok(Snapshot {
        observations,
        report,
        sources_md,
    })
}

/// Matches one indicator's records to cities and checks one value per (city, year).
fn ingest_indicator(
    indicator: &Indicator,
    adapter: Adapter,
    table: &SourceTable,
    measure: &str,
    cities: &Cities,
    by_country: &HashMap<&str, Vec<&City>>,
    first_year: i32,
) -> Result<(IndicatorReport, Vec<Observation>)> {
    let key = adapter.key(&indicator.source);
    let alias = adapter.alias_source(indicator);
    let matches = |place: &str| -> Vec<&City> {
        match &alias {
            Some(source) => cities.by_alias(source, place).into_iter().collect(),
            None => by_country.get(place).cloned().unwrap_or_default(),
        }
    };
    let mut report = IndicatorReport {
        indicator: indicator.id.clone(),
        source: key.clone(),
        file: table.file.clone(),
        rows_read: table.rows_read,
        values_read: 0,
        before_first_year: 0,
        kept: 0,
        duplicates: 0,
        superseded: 0,
        cities_matched: 0,
        cities_without_value: Vec::new(),
        unmatched: 0,
        unmatched_names: None,
        unmatched_places: Vec::new(),
        origin: None,
        failed: None,
        statuses: BTreeMap::new(),
    };
    let mut held: BTreeMap<(&str, i32), Held> = BTreeMap::new();
    for record in table.records.iter().filter(|r| r.measure == measure) {
        report.values_read += 1;
        if let Some(direction) = record.direction {
            if direction != indicator.direction {
                return Err(Error::Catalogue {
                    indicator: indicator.id.clone(),
                    message: format!(
                        "`{}` {} gives direction `{direction}` for `{measure}` but the catalogue says `{}`",
                        table.file,
                        table.at(record.line),
                        indicator.direction
                    ),
                });
            }
        }
        if record.year < first_year {
            report.before_first_year += 1;
            continue;
        }
        for city in matches(&record.place) {
            let slot = (city.id.as_str(), record.year);
            let Some(first) = held.get(&slot).map(|h| h.record) else {
                held.insert(slot, Held { record });
                continue;
            };
            if first.value == record.value && first.flag == record.flag {
                report.duplicates += 1;
            } else if first.place == record.place && first.revision != record.revision {
                report.superseded += 1;
                if record.revision > first.revision {
                    held.insert(slot, Held { record });
                }
            } else {
                let fix = if first.place == record.place && alias.is_none() {
                    format!(
                        "the source gives two values for `{}` in {}: check the query (a breakdown such as sex may be missing from it) or report it to the publisher",
                        record.place, record.year
                    )
                } else if first.place == record.place {
                    format!(
                        "the file has two rows for `{}` in {}: correct the file, or remove the alias `{}` from `cities.toml`",
                        record.place, record.year, record.place
                    )
                } else {
                    format!(
                        "the source spells the city two ways: keep one by removing the alias `{}` (or `{}`) from the `{}` aliases of `{}` in `cities.toml`",
                        record.place,
                        first.place,
                        alias.as_deref().unwrap_or("country"),
                        city.id
                    )
                };
                return Err(Error::Conflict(Box::new(Conflict {
                    file: table.file.clone(),
                    city: city.id.clone(),
                    indicator: indicator.id.clone(),
                    year: record.year,
                    first: first.value,
                    first_at: table.at(first.line),
                    first_place: first.place.clone(),
                    second: record.value,
                    second_at: table.at(record.line),
                    second_place: record.place.clone(),
                    fix,
                })));
            }
        }
    }
    let matched: BTreeSet<&str> = held.keys().map(|(city, _)| *city).collect();
    report.cities_matched = matched.len();
    report.cities_without_value = cities
        .iter()
        .filter(|c| !matched.contains(c.id.as_str()))
        .map(|c| c.id.clone())
        .collect();
    let unmatched: Vec<&String> = table
        .places
        .iter()
        .filter(|p| matches(p).is_empty())
        .collect();
    let mut values: HashMap<&str, usize> = HashMap::new();
    for record in table.records.iter().filter(|r| r.measure == measure) {
        *values.entry(record.place.as_str()).or_insert(0) += 1;
    }
    let mut places: BTreeMap<&str, UnmatchedPlace> = BTreeMap::new();
    for place in &unmatched {
        let kind = if is_aggregate_code(place) {
            PlaceKind::Aggregate
        } else {
            PlaceKind::Place
        };
        places.insert(
            place,
            UnmatchedPlace {
                code_or_name: (*place).clone(),
                country: adapter.country_of(place, alias.is_none(), kind),
                kind,
                rows: values.get(place.as_str()).copied().unwrap_or(0),
            },
        );
    }
    for (code, rows) in &table.aggregates {
        if !matches(code).is_empty() {
            continue;
        }
        let entry = places.entry(code).or_insert_with(|| UnmatchedPlace {
            code_or_name: code.clone(),
            country: None,
            kind: PlaceKind::Aggregate,
            rows: 0,
        });
        entry.kind = PlaceKind::Aggregate;
        entry.rows += rows;
    }
    report.unmatched = places.len();
    report.unmatched_places = places.into_values().collect();
    if adapter.lists_unmatched() {
        report.unmatched_names = Some(unmatched.into_iter().cloned().collect());
    }
    for h in held.values() {
        if let Some(status) = &h.record.status {
            *report.statuses.entry(status.clone()).or_insert(0) += 1;
        }
    }
    let observations: Vec<Observation> = held
        .into_iter()
        .map(|((city, year), h)| Observation {
            city: city.to_string(),
            indicator: indicator.id.clone(),
            year,
            value: h.record.value,
            source: key.clone(),
            flag: if indicator.level == Level::National {
                Flag::Proxy
            } else {
                h.record.flag
            },
            low: h.record.low,
            high: h.record.high,
        })
        .collect();
    report.kept = observations.len();
    Ok((report, observations))
}

/// An indicator whose source failed under `--allow-partial`: its values in the previous
/// snapshot, unchanged (same source key and flags), and a report saying so.
fn keep_previous(
    indicator: &Indicator,
    adapter: Adapter,
    file: &str,
    why: &str,
    previous: Option<&Observations>,
    cities: &Cities,
) -> (IndicatorReport, Vec<Observation>) {
    let kept: Vec<Observation> = previous
        .map(|p| {
            p.rows()
                .iter()
                .filter(|o| o.indicator == indicator.id)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let matched: BTreeSet<&str> = kept.iter().map(|o| o.city.as_str()).collect();
    let report = IndicatorReport {
        indicator: indicator.id.clone(),
        source: adapter.key(&indicator.source),
        file: file.to_string(),
        rows_read: 0,
        values_read: 0,
        before_first_year: 0,
        kept: kept.len(),
        duplicates: 0,
        superseded: 0,
        cities_matched: matched.len(),
        cities_without_value: cities
            .iter()
            .filter(|c| !matched.contains(c.id.as_str()))
            .map(|c| c.id.clone())
            .collect(),
        unmatched: 0,
        unmatched_names: None,
        unmatched_places: Vec::new(),
        origin: None,
        failed: Some(why.to_string()),
        statuses: BTreeMap::new(),
    };
    (report, kept)
}

/// The text of `SOURCES.md`: the rules, then one section per source file or download.
fn sources_md(
    catalogue: &Catalogue,
    keys: &[String],
    loaded: &BTreeMap<String, Loaded>,
    report: &IngestReport,
    observations: &Observations,
) -> String {
    let mut out = String::new();
    let first_year = report.first_year;
    let total = thousands(observations.len());
    let _ = write!(
        out,
        "# Sources of the snapshot

`observations.csv` in this folder is derived data: {total} values built by healthy-city's own
file adapters (`healthy-city ingest --from <data folder>`) from the publishers' files listed
below, value by value. The publishers' files are not shipped; their SHA-256 says exactly which
download was read. This file is generated: rebuild rather than edit.

## Rules

- Years: values with a reference year before {first_year} are dropped; every later year a source
  publishes is kept.
- Missing stays missing: an empty cell, `-`, `NA` or `null` gives no row. Nothing is filled in,
  estimated or carried over here; imputation, if any, is the scoring method's choice.
- Matching: city-level sources match cities only through the aliases of `indicators/cities.toml`
  (case-insensitive); national sources match through each city's `country` (ISO3).
- `flag` = `proxy`: a national value used for a city (every value of a national indicator,
  Lenstore's `(Country)` columns, and the compilation's `Country proxy` rows).
- `flag` = `estimate`: the compilation says the value is modelled, crowd-sourced, a perception
  or self-reported (its `approx` column is not `none`).
- Reference years: WHO AAP `Measurement Year`; World Bank and WHO GHO the year of the column or
  period; the Master Index compilation the latest year its free-text `year` field names
  (`2022-24` is 2024, `2026 Mid-Year` is 2026); Lenstore the year of the report.
- One value per city, indicator and year and source: identical repeats are kept once; where the
  WHO AAP workbook repeats a settlement-year from an older database version with another value,
  the newer version's value is kept; any other disagreement stops the build.
- `source` column: the short key given in each section below.
- `low`, `high` columns: the publisher's uncertainty interval around the value where it gives
  one (WHO GHO OData `Low` and `High`, portal `FactValueNumericLow` and `FactValueNumericHigh`),
  empty otherwise; never computed here.
"
    );
    let mut files: Vec<&str> = Vec::new();
    for key in keys {
        if !files.contains(&key.as_str()) {
            files.push(key);
        }
    }
    for file in files {
        let Some(source) = loaded.get(file) else {
            continue;
        };
        let indicators: Vec<&Indicator> = catalogue
            .iter()
            .zip(keys)
            .filter(|(_, k)| k.as_str() == file)
            .map(|(i, _)| i)
            .collect();
        let Some(first) = indicators.first() else {
            continue;
        };
        let spec = &first.source;
        let key = source.adapter.key(spec);
        let fetched = if let Some(why) = &source.failed {
            format!("| Download | `{file}` |\n| Status | failed ({why}); the values below are kept from the previous snapshot |\n")
        } else if source.downloads.is_empty() {
            format!("| File | `{file}` |\n| SHA-256 | `{}` |\n", source.sha256)
        } else {
            let mut rows = String::new();
            for d in &source.downloads {
                let _ = write!(
                    rows,
                    "| Download | `{}` |\n| Retrieved | {} ({}) |\n| SHA-256 | `{}` |\n",
                    d.url,
                    d.retrieved,
                    d.origin.as_str(),
                    d.sha256
                );
            }
            rows
        };
        let _ = write!(
            out,
            "\n## `{key}`: {}\n\n| | |\n|---|---|\n| Publisher | {} |\n| Dataset | {} |\n| Release | {} |\n| Licence | {} |\n| URL | {} |\n{fetched}| Rows read | {} |\n\n| Indicator | Query | Level | Values kept | Cities | Years |\n|---|---|---|---:|---:|---|\n",
            spec.dataset,
            spec.publisher,
            spec.dataset,
            spec.release,
            spec.licence,
            spec.url.as_deref().unwrap_or("-"),
            thousands(source.table.rows_read),
        );
        for indicator in &indicators {
            let rows: Vec<&Observation> = observations
                .rows()
                .iter()
                .filter(|o| o.indicator == indicator.id)
                .collect();
            let cities: BTreeSet<&str> = rows.iter().map(|o| o.city.as_str()).collect();
            let years = match (
                rows.iter().map(|o| o.year).min(),
                rows.iter().map(|o| o.year).max(),
            ) {
                (Some(a), Some(b)) if a == b => a.to_string(),
                (Some(a), Some(b)) => format!("{a}-{b}"),
                _ => "-".to_string(),
            };
            let level = match indicator.level {
                Level::City => "city",
                Level::National => "national (proxy)",
            };
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {level} | {} | {} | {years} |",
                indicator.id,
                indicator.source.query,
                thousands(rows.len()),
                cities.len()
            );
        }
        let statuses: Vec<String> = report
            .indicators
            .iter()
            .filter(|r| indicators.iter().any(|i| i.id == r.indicator))
            .filter(|r| !r.statuses.is_empty())
            .map(|r| {
                let flags: Vec<String> = r
                    .statuses
                    .iter()
                    .map(|(flag, n)| format!("`{flag}` {n}"))
                    .collect();
                format!("`{}`: {}", r.indicator, flags.join(", "))
            })
            .collect();
        if !statuses.is_empty() {
            let _ = writeln!(
                out,
                "\nPublisher status flags on the values kept (`e` or `E` are flagged `estimate`): {}.",
                statuses.join("; ")
            );
        }
    }
    out
}

/// The two files [`write_snapshot`] generates; everything else in the snapshot folder is
/// carried over.
const GENERATED: [&str; 2] = ["observations.csv", "SOURCES.md"];

/// Writes `observations.csv` and `SOURCES.md` into `dir` through
/// [`healthy_city_fs::replace_dir`]: a new folder is built beside it (with every other file `dir`
/// already holds carried over), which then replaces `dir` by rename. A failure before the final
/// rename leaves the previous snapshot untouched; a failed rename puts the previous folder back.
pub fn write_snapshot(snapshot: &Snapshot, dir: &Path) -> Result<()> {
    let carried = if dir.is_dir() {
        carried_over(dir)?
    } else {
        Vec::new()
    };
    healthy_city_fs::replace_dir(dir, |new| {
        for entry in &carried {
            match entry {
                Carried::Folder(relative) => {
                    let path = new.join(relative);
                    std::fs::create_dir_all(&path)
                        .map_err(|source| healthy_city_fs::Error::CreateDir { path, source })?;
                }
                Carried::File(relative, bytes) => {
                    healthy_city_fs::write_atomic(&new.join(relative), bytes)?;
                }
            }
        }
        healthy_city_fs::write_atomic_with(&new.join(GENERATED[0]), |w| {
            snapshot.observations.write_csv(w)
        })?;
        healthy_city_fs::write_atomic(&new.join(GENERATED[1]), snapshot.sources_md.as_bytes())
    })
    .map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// A folder or file of the previous snapshot folder that the new one keeps.
enum Carried {
    Folder(PathBuf),
    File(PathBuf, Vec<u8>),
}

/// Everything in the snapshot folder `dir` but the generated files, read (recursively, paths
/// relative to `dir`) before the new folder is built, so that a file that cannot be read fails
/// the write with the previous snapshot untouched.
fn carried_over(dir: &Path) -> Result<Vec<Carried>> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let folder = dir.join(&relative);
        let read_error = |source| Error::Read {
            path: folder.clone(),
            source,
        };
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&folder).map_err(read_error)? {
            entries.push(entry.map_err(read_error)?.file_name());
        }
        entries.sort();
        for name in entries {
            if relative.as_os_str().is_empty() && GENERATED.iter().any(|g| name == *g) {
                continue;
            }
            let (path, inside) = (folder.join(&name), relative.join(&name));
            if path.is_dir() {
                out.push(Carried::Folder(inside.clone()));
                pending.push(inside);
            } else {
                let bytes = std::fs::read(&path).map_err(|source| Error::Read { path, source })?;
                out.push(Carried::File(inside, bytes));
            }
        }
    }
    Ok(out)
}

/// `32191` -> `32,191`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITIES: &str = r#"
[[city]]
id = "london"
name = "London"
country = "GBR"
region = "Europe & Central Asia"
latitude = 51.51
longitude = -0.13
aliases = { who_aap = ["GBR/London"], lenstore = ["London"] }

[[city]]
id = "new-york"
name = "New York"
country = "USA"
region = "North America"
latitude = 40.71
longitude = -74.01
aliases = { who_aap = ["USA/New York-Newark-Jersey City (Ny-Nj-Pa)"], lenstore = ["New York"] }

[[city]]
id = "frankfurt"
name = "Frankfurt"
country = "DEU"
region = "Europe & Central Asia"
latitude = 50.11
longitude = 8.68
aliases = { who_aap = ["DEU/Frankfurt Am Main", "DEU/Frankfurt"] }
"#;

    fn catalogue(extra: &str) -> Catalogue {
        let text = format!(
            r#"
[[indicator]]
id = "pm25"
name = "PM2.5"
unit = "ug/m3"
direction = "lower"
level = "city"
source = {{ adapter = "who_aap", publisher = "WHO", dataset = "AAP", release = "V5", licence = "CC BY-NC-SA 3.0 IGO", query = "PM2.5 (μg/m3)", file = "aap.csv" }}

[[indicator]]
id = "life_expectancy"
name = "Life expectancy"
unit = "years"
direction = "higher"
level = "national"
source = {{ adapter = "wdi_csv", publisher = "World Bank", dataset = "WDI", release = "2025-01-28", licence = "CC BY 4.0", query = "SP.DYN.LE00.IN", file = "wdi.csv" }}

[[indicator]]
id = "lenstore_sunshine"
name = "Sunshine"
unit = "hours"
direction = "higher"
level = "city"
source = {{ adapter = "lenstore", publisher = "Lenstore", dataset = "Healthy Lifestyle", release = "2021", licence = "report", query = "Sunshine hours(City)", file = "lenstore.csv" }}
{extra}"#
        );
        Catalogue::parse(&text, "catalogue.toml").unwrap()
    }

    const AAP: &str = "WHO Region,ISO3,WHO Country Name,City or Locality,Measurement Year,PM2.5 (μg/m3),PM10 (μg/m3),NO2 (μg/m3),Version of the database
Eur,GBR,United Kingdom,London,2019,11.41,20.51,34.83,2022
Amr,CAN,Canada,London,2019,7,,11,2022
Amr,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),2018,7.6,,,2022
Amr,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),2018,7.6,,,2022
Amr,USA,United States of America,New York-Newark-Jersey City (Ny-Nj-Pa),1999,9.9,,,2016
Eur,DEU,Germany,Frankfurt Am Main,2013,16.94,23.27,,2022
";

    const WDI: &str = "\"Data Source\",\"World Development Indicators\",

\"Last Updated Date\",\"2025-01-28\",

\"Country Name\",\"Country Code\",\"Indicator Name\",\"Indicator Code\",\"2019\",\"2020\",
\"United Kingdom\",\"GBR\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"81.4\",\"80.35\",
\"Canada\",\"CAN\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"82.2\",\"81.7\",
\"World\",\"WLD\",\"Life expectancy at birth, total (years)\",\"SP.DYN.LE00.IN\",\"72.8\",\"72.0\",
";

    const LENSTORE: &str = "City,Rank,Sunshine hours(City)
London,38,1633
New York,42,2535
Atlantis,1,4000
";

    /// A data folder with the three fixture files, removed on drop.
    struct Folder(PathBuf);

    impl Folder {
        fn new(name: &str, aap: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("healthy-city-ingest-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("aap.csv"), aap).unwrap();
            std::fs::write(dir.join("wdi.csv"), WDI).unwrap();
            std::fs::write(dir.join("lenstore.csv"), LENSTORE).unwrap();
            Folder(dir)
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn build(folder: &Folder, extra: &str) -> Result<Snapshot> {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        build_snapshot(&folder.0, &cities, &catalogue(extra), 2000)
    }

    fn values(snapshot: &Snapshot, indicator: &str) -> Vec<(String, i32, f64, Flag)> {
        snapshot
            .observations
            .rows()
            .iter()
            .filter(|o| o.indicator == indicator)
            .map(|o| (o.city.clone(), o.year, o.value, o.flag))
            .collect()
    }

    #[test]
    fn matches_london_gbr_and_never_london_can() {
        let folder = Folder::new("london", AAP);
        let snapshot = build(&folder, "").unwrap();
        let london: Vec<_> = values(&snapshot, "pm25")
            .into_iter()
            .filter(|v| v.0 == "london")
            .collect();
        assert_eq!(london, [("london".to_string(), 2019, 11.41, Flag::None)]);
        let pm25 = &snapshot.report.indicators[0];
        assert_eq!(pm25.unmatched, 1); // CAN/London
        assert_eq!(pm25.unmatched_names, None);
    }

    #[test]
    fn matches_new_york_through_its_metro_name_keeping_identical_repeats_once() {
        let folder = Folder::new("new-york", AAP);
        let snapshot = build(&folder, "").unwrap();
        let new_york: Vec<_> = values(&snapshot, "pm25")
            .into_iter()
            .filter(|v| v.0 == "new-york")
            .collect();
        // 1999 is before the first year (2000); the repeated 2018 row is kept once.
        assert_eq!(new_york, [("new-york".to_string(), 2018, 7.6, Flag::None)]);
        let pm25 = &snapshot.report.indicators[0];
        assert_eq!(
            (pm25.duplicates, pm25.before_first_year, pm25.kept),
            (1, 1, 3)
        );
        assert_eq!(snapshot.observations.rows()[0].source, "who-aap-v5");
    }

    #[test]
    fn flags_national_values_as_proxies_for_every_city_of_the_country() {
        let folder = Folder::new("national", AAP);
        let snapshot = build(&folder, "").unwrap();
        assert_eq!(
            values(&snapshot, "life_expectancy"),
            [
                ("london".to_string(), 2019, 81.4, Flag::Proxy),
                ("london".to_string(), 2020, 80.35, Flag::Proxy)
            ]
        );
        let report = &snapshot.report.indicators[1];
        assert_eq!(report.source, "wdi-2025-01-28");
        assert_eq!(report.cities_without_value, ["new-york", "frankfurt"]);
        assert_eq!(report.unmatched, 2); // CAN, WLD
    }

    #[test]
    fn reports_every_unmatched_lenstore_name() {
        let folder = Folder::new("lenstore", AAP);
        let snapshot = build(&folder, "").unwrap();
        let report = &snapshot.report.indicators[2];
        assert_eq!(report.unmatched_names, Some(vec!["Atlantis".to_string()]));
        assert_eq!(report.cities_matched, 2);
        let summary = snapshot.report.to_string();
        assert!(summary.contains("unmatched: `Atlantis`"), "{summary}");
        assert!(summary.starts_with("ingested 7 values of 3 indicators from 3 files for 3 registry cities (years from 2000)"), "{summary}");
    }

    #[test]
    fn lists_every_unmatched_place_of_every_source_with_country_kind_and_values() {
        let folder = Folder::new("unmatched", AAP);
        let snapshot = build(&folder, "").unwrap();
        // By hand from the fixtures: the AAP file's `CAN/London` (one PM2.5 value, 2019); the
        // WDI file's `CAN` (2019 and 2020) and the aggregate `WLD` (2019 and 2020); Lenstore's
        // `Atlantis` (one value).
        assert_eq!(
            snapshot.report.unmatched_csv(),
            "source,indicator,code_or_name,country,kind,rows
who-aap-v5,pm25,CAN/London,CAN,place,1
wdi-2025-01-28,life_expectancy,CAN,CAN,place,2
wdi-2025-01-28,life_expectancy,WLD,,aggregate,2
lenstore-2021,lenstore_sunshine,Atlantis,,place,1
"
        );
        assert_eq!(snapshot.report.unmatched_total(), 4);
        let summary = snapshot.report.to_string();
        assert!(
            summary.contains("; 2 places matched no city (1 of them aggregates)"),
            "{summary}"
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

    #[test]
    fn writes_the_report_atomically_into_its_own_folder() {
        let folder = Folder::new("report", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("out/ingest");
        let path = write_report(&snapshot.report, &dir).unwrap();
        assert_eq!(path, dir.join("unmatched.csv"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            snapshot.report.unmatched_csv()
        );
        // A second run replaces the file and leaves no temporary file.
        write_report(&snapshot.report, &dir).unwrap();
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["unmatched.csv"]);
        // A report folder that cannot be created is an error naming it.
        let blocked = folder.0.join("aap.csv").join("report");
        let err = write_report(&snapshot.report, &blocked)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot write `"), "{err}");
        assert!(err.contains("aap.csv/report`"), "{err}");
    }

    #[test]
    fn rejects_two_spellings_giving_different_values_naming_file_rows_city_and_fix() {
        let aap = format!("{AAP}Eur,DEU,Germany,Frankfurt,2013,20.75,31.99,46.29,2022\n");
        let folder = Folder::new("conflict", &aap);
        let err = build(&folder, "").unwrap_err().to_string();
        assert_eq!(
            err,
            "`aap.csv` line 8: two different values for city `frankfurt`, indicator `pm25`, year 2013: \
             `16.94` (line 7, `DEU/Frankfurt Am Main`) and `20.75` (`DEU/Frankfurt`); the source spells \
             the city two ways: keep one by removing the alias `DEU/Frankfurt` (or `DEU/Frankfurt Am Main`) \
             from the `who_aap` aliases of `frankfurt` in `cities.toml`"
        );
    }

    #[test]
    fn keeps_the_newer_database_version_of_a_repeated_settlement_year() {
        let aap = format!("{AAP}Eur,GBR,United Kingdom,London,2019,11.9,,,2018\n");
        let folder = Folder::new("revision", &aap);
        let snapshot = build(&folder, "").unwrap();
        let london: Vec<_> = values(&snapshot, "pm25")
            .into_iter()
            .filter(|v| v.0 == "london")
            .collect();
        assert_eq!(london, [("london".to_string(), 2019, 11.41, Flag::None)]);
        assert_eq!(snapshot.report.indicators[0].superseded, 1);
    }

    #[test]
    fn reads_a_generic_csv_through_its_column_mapping_and_table_aliases() {
        let folder = Folder::new("table", AAP);
        std::fs::write(
            folder.0.join("survey.csv"),
            "Town,Year,Happy\nLondres,2023,7.1\nNew York City,2023,6.8\nAtlantis,2023,9.9\n",
        )
        .unwrap();
        let cities = CITIES
            .replace(
                "lenstore = [\"London\"] }",
                "lenstore = [\"London\"], survey = [\"Londres\"] }",
            )
            .replace(
                "lenstore = [\"New York\"] }",
                "lenstore = [\"New York\"], survey = [\"New York City\"] }",
            );
        let cities = Cities::parse(&cities, "cities.toml").unwrap();
        let extra = r#"
[[indicator]]
id = "happiness"
name = "Happiness"
unit = "score"
direction = "higher"
level = "city"
source = { adapter = "table", publisher = "A survey", dataset = "City Survey", release = "2023", licence = "CC BY 4.0", query = "Happy", file = "survey.csv", columns = { place = "Town", year = "Year", aliases = "survey" } }
"#;
        let snapshot = build_snapshot(&folder.0, &cities, &catalogue(extra), 2000).unwrap();
        assert_eq!(
            values(&snapshot, "happiness"),
            [
                ("london".to_string(), 2023, 7.1, Flag::None),
                ("new-york".to_string(), 2023, 6.8, Flag::None)
            ]
        );
        let report = &snapshot.report.indicators[3];
        assert_eq!(
            (report.source.as_str(), report.unmatched),
            ("city-survey-2023", 1)
        );
    }

    #[test]
    fn names_a_missing_file_and_the_from_option() {
        let folder = Folder::new("missing", AAP);
        std::fs::remove_file(folder.0.join("wdi.csv")).unwrap();
        let err = build(&folder, "").unwrap_err().to_string();
        assert!(err.starts_with("source file `"), "{err}");
        assert!(
            err.contains("wdi.csv` not found: the data folder is given with `--from`"),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_query_that_names_nothing_in_the_file() {
        let folder = Folder::new("query", AAP);
        let extra = r#"
[[indicator]]
id = "x"
name = "X"
unit = "u"
direction = "lower"
level = "national"
source = { adapter = "wdi_csv", publisher = "World Bank", dataset = "WDI", release = "2025-01-28", licence = "CC BY 4.0", query = "SP.NOPE", file = "wdi.csv" }
"#;
        let err = build(&folder, extra).unwrap_err().to_string();
        assert_eq!(
            err,
            "indicator `x`: query `SP.NOPE` names nothing in `wdi.csv`; it has `SP.DYN.LE00.IN`"
        );
    }

    #[test]
    fn writes_the_snapshot_in_place_keeping_other_files() {
        let folder = Folder::new("write", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("snapshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("observations.csv"), "old").unwrap();
        std::fs::write(dir.join("README.md"), "keep me").unwrap();
        write_snapshot(&snapshot, &dir).unwrap();
        let csv = std::fs::read_to_string(dir.join("observations.csv")).unwrap();
        assert!(
            csv.starts_with(
                "city,indicator,year,value,source,flag,low,high\nfrankfurt,pm25,2013,16.94,who-aap-v5,,,\n"
            ),
            "{csv}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("README.md")).unwrap(),
            "keep me"
        );
        let md = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
        assert!(md.contains("| File | `aap.csv` |"), "{md}");
        assert!(
            md.contains("| `pm25` | `PM2.5 (μg/m3)` | city | 3 | 3 | 2013-2019 |"),
            "{md}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&folder.0)
            .unwrap()
            .filter_map(std::result::Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_write_leaves_the_previous_snapshot_untouched() {
        let folder = Folder::new("fail", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("snapshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("observations.csv"), "old").unwrap();
        // A file of the folder that cannot be carried over (a link to nothing): writing fails.
        std::os::unix::fs::symlink(folder.0.join("nowhere"), dir.join("notes.md")).unwrap();
        let err = write_snapshot(&snapshot, &dir).unwrap_err().to_string();
        assert!(err.contains("notes.md`"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("observations.csv")).unwrap(),
            "old"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&folder.0)
            .unwrap()
            .filter_map(std::result::Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn carries_over_the_files_of_subfolders_whatever_their_names() {
        let folder = Folder::new("carry", AAP);
        let snapshot = build(&folder, "").unwrap();
        let dir = folder.0.join("snapshot");
        std::fs::create_dir_all(dir.join("notes/empty")).unwrap();
        std::fs::write(dir.join("notes/observations.csv"), "an older extract").unwrap();
        write_snapshot(&snapshot, &dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("notes/observations.csv")).unwrap(),
            "an older extract"
        );
        assert!(dir.join("notes/empty").is_dir());
    }

    #[test]
    fn formats_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(32_191), "32,191");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    // --- Tests on the real published files in ../shared/data -----------------------------

    #[test]
    fn reads_the_whole_who_workbook() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let file = "who-aap/who_aap_2021_v9_11august2022.xlsx";
        let bytes = std::fs::read(data.join(file)).unwrap();
        let table = who_aap::parse_who_aap_xlsx(&bytes, file).unwrap();
        assert_eq!(table.rows_read, 32_191);
        assert_eq!(table.places.len(), 6_905);
        let countries: BTreeSet<&str> = table
            .places
            .iter()
            .filter_map(|p| p.split('/').next())
            .collect();
        assert_eq!(countries.len(), 118);
        let london: Vec<(i32, f64)> = table
            .records
            .iter()
            .filter(|r| r.place == "GBR/London" && r.measure == "pm25_concentration")
            .map(|r| (r.year, r.value))
            .collect();
        assert_eq!(
            london,
            [
                (2010, 14.39),
                (2013, 15.59),
                (2014, 14.38),
                (2015, 11.72),
                (2016, 12.27),
                (2017, 12.45),
                (2018, 11.47),
                (2019, 11.41)
            ]
        );
    }

    #[test]
    fn rebuilds_the_committed_snapshot_byte_for_byte() {
        let Some(data) = crate::testdata::shared_data() else {
            return;
        };
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let indicators = root.join("indicators");
        let cities = Cities::load(&indicators.join("cities.toml")).unwrap();
        let catalogue = Catalogue::load(&indicators.join("catalogue.toml")).unwrap();
        let snapshot = build_snapshot(&data, &cities, &catalogue, 2000).unwrap();
        let mut csv = Vec::new();
        snapshot.observations.write_csv(&mut csv).unwrap();
        let committed = std::fs::read(indicators.join("snapshot/observations.csv")).unwrap();
        assert!(
            csv == committed,
            "indicators/snapshot/observations.csv differs from a rebuild: run `healthy-city ingest --from ../shared/data`"
        );
        let committed = std::fs::read_to_string(indicators.join("snapshot/SOURCES.md")).unwrap();
        assert_eq!(snapshot.sources_md, committed);
    }
}
