//! `fetch_snapshot` against mock publishers on loopback: the real files served as the
//! publishers serve them, and every fault ending in a correct snapshot or a clear error
//! (so the previous snapshot stays as it was).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use healthy_city_ingest::{
    build_snapshot, fetch_snapshot, parse_gho_csv, parse_gho_odata, parse_wdi_csv, parse_wdi_zip,
    parse_who_aap_xlsx, write_snapshot, BodyKind, Client, Error, FetchOptions, HttpConfig,
    NoProgress, Secret, Snapshot,
};
use healthy_city_model::{Catalogue, Cities, Flag, Observations};
use support::mock::{MockServer, Reply, Request};

fn config(cache: Option<&Path>) -> HttpConfig {
    HttpConfig {
        cache_dir: cache.map(Path::to_path_buf),
        retries: 2,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        ..HttpConfig::default()
    }
}

/// The shared data folder, or `None` (with a notice) when it is absent and
/// `HEALTHY_CITY_REQUIRE_DATA` is not `1`.
#[allow(clippy::print_stderr)]
fn shared_data() -> Option<PathBuf> {
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

/// A zip holding `files` (name, bytes), deflated, as the World Bank's bulk download.
fn zip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The World Bank bulk zip for one `API_...csv` file: it and its `Metadata_Country_` sibling.
fn wdi_zip(csv: &Path) -> Vec<u8> {
    let name = csv.file_name().unwrap().to_string_lossy().into_owned();
    let mut files = vec![(name.clone(), std::fs::read(csv).unwrap())];
    let meta = csv.with_file_name(format!("Metadata_Country_{name}"));
    if meta.exists() {
        files.push((
            format!("Metadata_Country_{name}"),
            std::fs::read(meta).unwrap(),
        ));
    }
    zip(&files)
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn the_snapshot_from_mock_publishers_equals_the_snapshot_from_the_files() {
    let Some(data) = shared_data() else { return };
    let indicators = root().join("indicators");
    let cities = Cities::load(&indicators.join("cities.toml")).unwrap();
    let catalogue = Catalogue::load(&indicators.join("catalogue.toml")).unwrap();
    // Path of each download -> the file the publisher would serve there.
    let mut routes: BTreeMap<String, PathBuf> = BTreeMap::new();
    // Every source of every indicator, the fallbacks too (the World Bank's life expectancy).
    for source in catalogue
        .iter()
        .flat_map(|i| i.source.iter().chain(&i.fallback))
    {
        if let (Some(download), Some(file)) = (&source.download, &source.file) {
            let path = reqwest::Url::parse(download).unwrap().path().to_string();
            routes.insert(path, data.join(file));
        }
    }
    assert_eq!(routes.len(), 7, "5 World Bank and 2 WHO GHO downloads");
    let server = MockServer::start(
        move |request: &Request, _| match routes.get(request.path()) {
            Some(file) if request.query("downloadformat") == Some("csv") => {
                Reply::new(200, "application/zip", wdi_zip(file))
            }
            Some(file) if request.query("$filter") == Some("Dim1%20eq%20%27SEX_BTSX%27") => {
                Reply::json(std::fs::read(file).unwrap())
            }
            _ => Reply::status(404),
        },
    );
    let cache = tempfile::tempdir().unwrap();
    let client = Client::new(config(Some(cache.path()))).unwrap();
    let bases = BTreeMap::from([
        ("gho".to_string(), server.url()),
        ("worldbank".to_string(), server.url()),
    ]);
    let options = options(&client, &bases);
    let fetched = fetch_snapshot(Some(&data), &cities, &catalogue, 2000, &options).unwrap();
    let from_files = build_snapshot(&data, &cities, &catalogue, 2000).unwrap();
    let csv = |s: &Snapshot| {
        let mut out = Vec::new();
        s.observations.write_csv(&mut out).unwrap();
        out
    };
    assert!(
        csv(&fetched) == csv(&from_files),
        "fetched observations differ from the files'"
    );
    assert!(
        csv(&fetched) == std::fs::read(indicators.join("snapshot/observations.csv")).unwrap(),
        "fetched observations differ from the committed snapshot"
    );
    assert_eq!(server.requests().len(), 7);
    // Provenance: the URL, the SHA-256 of the body served (the real file for GHO) and the origin.
    let md = &fetched.sources_md;
    assert!(
        md.contains(&format!(
            "| Download | `{}/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27` |",
            server.url()
        )),
        "{md}"
    );
    assert!(md.contains("| SHA-256 | `6e7b30422507bb25"), "{md}");
    assert!(md.contains("(network) |"), "{md}");
    let ncd = fetched
        .report
        .indicators
        .iter()
        .find(|i| i.indicator == "ncd_mortality")
        .unwrap();
    assert_eq!(
        (ncd.rows_read, ncd.origin.as_deref()),
        (4_312, Some("network"))
    );

    // A second run revalidates nothing (the mock sends no validators) but an offline run reads
    // the cache and gives the same observations.
    let offline = Client::new(HttpConfig {
        offline: true,
        ..config(Some(cache.path()))
    })
    .unwrap();
    let options = FetchOptions {
        client: &offline,
        ..options
    };
    let again = fetch_snapshot(Some(&data), &cities, &catalogue, 2000, &options).unwrap();
    assert!(csv(&again) == csv(&from_files));
    assert_eq!(server.requests().len(), 7, "offline never asks the server");
    assert!(again.sources_md.contains("(cache (offline)) |"));
}

#[test]
fn reads_the_whole_who_workbook_served_over_loopback() {
    let Some(data) = shared_data() else { return };
    let file = data.join("who-aap/who_aap_2021_v9_11august2022.xlsx");
    let server = MockServer::start(move |_, _| {
        Reply::new(
            200,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            std::fs::read(&file).unwrap(),
        )
    });
    let client = Client::new(config(None)).unwrap();
    let url = format!("{}/who_aap_2021_v9_11august2022.xlsx", server.url());
    let fetched = client
        .get(&url, BodyKind::Binary, "who", &NoProgress)
        .unwrap();
    assert_eq!(fetched.body.len(), 1_942_347);
    let table = parse_who_aap_xlsx(&fetched.body, &url).unwrap();
    assert_eq!(table.rows_read, 32_191);
    assert_eq!(table.places.len(), 6_905);
    let countries: BTreeSet<&str> = table
        .places
        .iter()
        .filter_map(|p| p.split('/').next())
        .collect();
    assert_eq!(countries.len(), 118);
}

#[test]
fn reads_every_world_bank_and_gho_file_served_over_loopback_completely() {
    let Some(data) = shared_data() else { return };
    let mut served = Vec::new();
    for release in std::fs::read_dir(data.join("worldbank-wdi")).unwrap() {
        for entry in std::fs::read_dir(release.unwrap().path()).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("API_")
            {
                served.push(("wdi", path));
            }
        }
    }
    for (kind, folder) in [
        ("odata", "who-gho/odata-json"),
        ("portal", "who-gho/portal-csv"),
    ] {
        for entry in std::fs::read_dir(data.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().unwrap().to_string_lossy().into_owned();
            if ext == "json" || ext == "csv" {
                served.push((kind, path));
            }
        }
    }
    served.sort();
    assert_eq!(served.len(), 12 + 2 + 3);
    let routes: BTreeMap<String, (&'static str, PathBuf)> = served
        .iter()
        .enumerate()
        .map(|(i, (k, p))| (format!("/f{i}"), (*k, p.clone())))
        .collect();
    let table = routes.clone();
    let server = MockServer::start(move |r: &Request, _| {
        let (kind, path) = &table[r.path()];
        match *kind {
            "wdi" => Reply::new(200, "application/zip", wdi_zip(path)),
            "odata" => Reply::json(std::fs::read(path).unwrap()),
            _ => Reply::new(200, "text/csv; charset=utf-8", std::fs::read(path).unwrap()),
        }
    });
    let client = Client::new(config(None)).unwrap();
    for (route, (kind, path)) in &routes {
        let url = format!("{}{route}", server.url());
        let body_kind = if *kind == "wdi" {
            BodyKind::Binary
        } else if *kind == "odata" {
            BodyKind::Json
        } else {
            BodyKind::Text
        };
        let body = client.get(&url, body_kind, kind, &NoProgress).unwrap().body;
        let file = std::fs::read(path).unwrap();
        let (over_http, from_file) = match *kind {
            "wdi" => (
                parse_wdi_zip(&body, "f").unwrap(),
                parse_wdi_csv(&file, "f").unwrap(),
            ),
            "odata" => (
                parse_gho_odata(&body, "f").unwrap(),
                parse_gho_odata(&file, "f").unwrap(),
            ),
            _ => (
                parse_gho_csv(&body, "f").unwrap(),
                parse_gho_csv(&file, "f").unwrap(),
            ),
        };
        assert!(from_file.rows_read > 0, "{}", path.display());
        assert_eq!(
            over_http.rows_read,
            from_file.rows_read,
            "{}",
            path.display()
        );
        assert_eq!(over_http.records, from_file.records, "{}", path.display());
    }
}

// --- Faults, on a small catalogue of my own fixtures -----------------------------------------

const CITIES: &str = r#"
[[city]]
id = "london"
name = "London"
country = "GBR"
region = "Europe & Central Asia"
latitude = 51.51
longitude = -0.13
aliases = { eurostat = ["UK001C"], oecd = ["UKI"] }

[[city]]
id = "new-york"
name = "New York"
country = "USA"
region = "North America"
latitude = 40.71
longitude = -74.01
aliases = { cdc_places = ["NY/New York"] }
"#;

const CATALOGUE: &str = r#"
[[indicator]]
id = "ncd"
name = "NCD mortality"
unit = "%"
direction = "lower"
level = "national"
source = { adapter = "gho_odata", publisher = "WHO", dataset = "GHO", release = "test", licence = "CC BY-NC-SA 3.0 IGO", query = "NCDMORT3070", download = "https://ghoapi.azureedge.net/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27" }

[[indicator]]
id = "le"
name = "Life expectancy"
unit = "years"
direction = "higher"
level = "national"
source = { adapter = "wb_api", publisher = "World Bank", dataset = "WDI", release = "2025-01-28", licence = "CC BY 4.0", query = "SP.DYN.LE00.IN", download = "https://api.worldbank.org/v2/country/{countries}/indicator/SP.DYN.LE00.IN?format=json&per_page=2&date=2019:2020" }

[[indicator]]
id = "population"
name = "Population"
unit = "persons"
direction = "higher"
level = "city"
source = { adapter = "eurostat_json", publisher = "Eurostat", dataset = "Urban Audit urb_cpop1", release = "2025-06-20", licence = "CC BY 4.0", query = "A.DE1001V", download = "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/urb_cpop1?format=JSON&lang=EN&cities=UK001C" }

[[indicator]]
id = "regional_le"
name = "Regional life expectancy"
unit = "years"
direction = "higher"
level = "city"
source = { adapter = "sdmx_json", publisher = "OECD", dataset = "Regional demography", release = "2.0", licence = "OECD terms", query = "LFEXP._T", download = "https://sdmx.oecd.org/public/rest/data/OECD.CFE.EDS,DSD_REG_DEMO@DF_LIFE_EXP,2.0/all?startPeriod=2019" }

[[indicator]]
id = "obesity_places"
name = "Obesity among adults"
unit = "%"
direction = "lower"
level = "city"
source = { adapter = "socrata", publisher = "CDC", dataset = "PLACES: Place Data", release = "2023", licence = "US Government work", query = "OBESITY.AgeAdjPrv", download = "https://data.cdc.gov/resource/eav7-hnsx.json?measureid=OBESITY" }
"#;

const SDMX: &str = r#"{"meta":{"schema":"sdmx-json-data-schema 2.0.0"},"data":{"dataSets":[{"structure":0,"series":{"0:0:0":{"observations":{"0":[81.2,0],"1":[80.1,1]}},"1:0:0":{"observations":{"1":[82.9,null]}}}}],"structures":[{"dimensions":{"series":[{"id":"REF_AREA","values":[{"id":"UKI"},{"id":"FR1"}]},{"id":"MEASURE","values":[{"id":"LFEXP"}]},{"id":"SEX","values":[{"id":"_T"}]}],"observation":[{"id":"TIME_PERIOD","values":[{"id":"2019"},{"id":"2020"}]}]},"attributes":{"observation":[{"id":"OBS_STATUS","values":[{"id":"A"},{"id":"E"}]}]}}]}}"#;

const PLACES: &str = r#"[{"year":"2021","stateabbr":"NY","statedesc":"New York","locationname":"New York","datasource":"BRFSS","measure":"Obesity among adults","data_value_unit":"%","data_value_type":"Age-adjusted prevalence","data_value":"25.1","low_confidence_limit":"24.8","high_confidence_limit":"25.4","measureid":"OBESITY","datavaluetypeid":"AgeAdjPrv"},{"year":"2021","stateabbr":"TX","locationname":"Houston","measureid":"OBESITY","datavaluetypeid":"AgeAdjPrv","data_value":"33.9"}]"#;

const GHO: &str = r#"{"@odata.context":"https://ghoapi.azureedge.net/api/$metadata#NCDMORT3070","value":[
{"Id":1,"IndicatorCode":"NCDMORT3070","SpatialDimType":"COUNTRY","SpatialDim":"GBR","TimeDim":2019,"Dim1":"SEX_BTSX","Value":"10.7 [9.5-12.1]","NumericValue":10.7,"Low":9.5,"High":12.1},
{"Id":2,"IndicatorCode":"NCDMORT3070","SpatialDimType":"COUNTRY","SpatialDim":"USA","TimeDim":2019,"Dim1":"SEX_BTSX","Value":"13.2","NumericValue":13.2,"Low":null,"High":null},
{"Id":3,"IndicatorCode":"NCDMORT3070","SpatialDimType":"REGION","SpatialDim":"EUR","TimeDim":2019,"Dim1":"SEX_BTSX","Value":"16.0","NumericValue":16.0,"Low":null,"High":null}]}"#;

const WB_1: &str = r#"[{"page":1,"pages":2,"per_page":2,"total":3,"sourceid":"2","lastupdated":"2025-01-28"},[{"indicator":{"id":"SP.DYN.LE00.IN","value":"Life expectancy at birth, total (years)"},"country":{"id":"GB","value":"United Kingdom"},"countryiso3code":"GBR","date":"2020","value":80.35,"unit":"","obs_status":"","decimal":2},{"indicator":{"id":"SP.DYN.LE00.IN","value":"Life expectancy at birth, total (years)"},"country":{"id":"GB","value":"United Kingdom"},"countryiso3code":"GBR","date":"2019","value":81.4,"unit":"","obs_status":"","decimal":2}]]"#;
const WB_2: &str = r#"[{"page":2,"pages":2,"per_page":2,"total":3,"sourceid":"2","lastupdated":"2025-01-28"},[{"indicator":{"id":"SP.DYN.LE00.IN","value":"Life expectancy at birth, total (years)"},"country":{"id":"US","value":"United States"},"countryiso3code":"USA","date":"2019","value":78.79,"unit":"","obs_status":"","decimal":2}]]"#;

const URB: &str = r#"{"version":"2.0","class":"dataset","label":"Population on 1 January","source":"ESTAT","id":["freq","indic_ur","cities","time"],"size":[1,1,2,2],"dimension":{"freq":{"category":{"index":{"A":0}}},"indic_ur":{"category":{"index":{"DE1001V":0}}},"cities":{"category":{"index":{"UK001C":0,"DE001C":1}}},"time":{"category":{"index":{"2019":0,"2020":1}}}},"value":{"0":8961989,"1":9002488,"2":3669491},"status":{"1":"p"}}"#;

/// What the fixture publishers answer, by path; `fault` may replace an answer.
fn publisher(
    fault: impl Fn(&Request, usize) -> Option<Reply> + Send + Sync + 'static,
) -> MockServer {
    MockServer::start(move |r, n| {
        if let Some(reply) = fault(r, n) {
            return reply;
        }
        match r.path() {
            "/api/NCDMORT3070" => Reply::json(GHO),
            "/v2/country/GBR;USA/indicator/SP.DYN.LE00.IN" => match r.query("page") {
                Some("2") => Reply::json(WB_2),
                _ => Reply::json(WB_1),
            },
            "/eurostat/api/dissemination/statistics/1.0/data/urb_cpop1" => Reply::json(URB),
            "/public/rest/data/OECD.CFE.EDS,DSD_REG_DEMO@DF_LIFE_EXP,2.0/all" => Reply::new(
                200,
                "application/vnd.sdmx.data+json; charset=utf-8; version=2",
                SDMX,
            ),
            "/resource/eav7-hnsx.json" => Reply::json(PLACES),
            _ => Reply::status(404),
        }
    })
}

/// Every publisher service pointed at the mock server.
fn bases(server: &MockServer) -> BTreeMap<String, String> {
    ["gho", "worldbank", "eurostat", "oecd", "cdc"]
        .iter()
        .map(|s| (s.to_string(), server.url()))
        .collect()
}

/// Options of a plain fetch: no progress shown, no previous snapshot, nothing kept or accepted.
fn options<'a>(client: &'a Client, bases: &'a BTreeMap<String, String>) -> FetchOptions<'a> {
    FetchOptions {
        client,
        base_urls: bases,
        progress: &NoProgress,
        previous: None,
        allow_partial: false,
        accept_releases: false,
    }
}

fn fetch(
    server: &MockServer,
    previous: Option<&Observations>,
    allow_partial: bool,
) -> healthy_city_ingest::Result<Snapshot> {
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let client = Client::new(config(None)).unwrap();
    let bases = bases(server);
    let options = FetchOptions {
        client: &client,
        base_urls: &bases,
        progress: &NoProgress,
        previous,
        allow_partial,
        accept_releases: false,
    };
    fetch_snapshot(None, &cities, &catalogue, 2000, &options)
}

/// A first year outside 1800..=2100 is refused before anything is downloaded.
#[test]
fn a_first_year_outside_the_years_of_values_is_refused_before_any_download() {
    let server = publisher(|_, _| None);
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let client = Client::new(config(None)).unwrap();
    let bases = bases(&server);
    let options = options(&client, &bases);
    let err = fetch_snapshot(None, &cities, &catalogue, 3000, &options)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the first year kept, 3000, is outside 1800..=2100"),
        "{err}"
    );
    assert!(server.requests().is_empty());
}

fn rows(snapshot: &Snapshot) -> Vec<(String, String, i32, f64, Flag)> {
    snapshot
        .observations
        .rows()
        .iter()
        .map(|o| {
            (
                o.city.to_string(),
                o.indicator.to_string(),
                o.year,
                o.value,
                o.flag,
            )
        })
        .collect()
}

fn row(
    city: &str,
    indicator: &str,
    year: i32,
    value: f64,
    flag: Flag,
) -> (String, String, i32, f64, Flag) {
    (city.to_string(), indicator.to_string(), year, value, flag)
}

/// The snapshot every fault test starts from (or should end with).
fn expected() -> Vec<(String, String, i32, f64, Flag)> {
    vec![
        row("london", "le", 2019, 81.4, Flag::Proxy),
        row("london", "le", 2020, 80.35, Flag::Proxy),
        row("london", "ncd", 2019, 10.7, Flag::Proxy),
        row("london", "population", 2019, 8_961_989.0, Flag::None),
        row("london", "population", 2020, 9_002_488.0, Flag::None),
        row("london", "regional_le", 2019, 81.2, Flag::None),
        row("london", "regional_le", 2020, 80.1, Flag::Estimate),
        row("new-york", "le", 2019, 78.79, Flag::Proxy),
        row("new-york", "ncd", 2019, 13.2, Flag::Proxy),
        row("new-york", "obesity_places", 2021, 25.1, Flag::None),
    ]
}

#[test]
fn fetches_gho_every_world_bank_page_for_the_registry_countries_eurostat_oecd_and_cdc_cities() {
    let server = publisher(|_, _| None);
    let snapshot = fetch(&server, None, false).unwrap();
    assert_eq!(rows(&snapshot), expected());
    let paths: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert!(paths.contains(&"/v2/country/GBR;USA/indicator/SP.DYN.LE00.IN?format=json&per_page=2&date=2019%3A2020&page=2".to_string()), "{paths:?}");
    let population = &snapshot.report.indicators[2];
    assert_eq!((population.rows_read, population.unmatched), (3, 1)); // DE001C
    assert!(snapshot.sources_md.contains("## `wb-api-2025-01-28`: WDI"));
    assert!(snapshot.sources_md.contains(
        "Publisher status flags on the values kept (`e` or `E` are flagged `estimate`): `population`: `p` 1."
    ), "{}", snapshot.sources_md);
    assert!(snapshot.sources_md.contains("`regional_le`: `A` 1, `E` 1."));
    let report = |id: &str| {
        snapshot
            .report
            .indicators
            .iter()
            .find(|i| i.indicator == id)
            .unwrap()
    };
    assert_eq!(
        (
            report("regional_le").rows_read,
            report("regional_le").unmatched
        ),
        (3, 1)
    ); // FR1
    assert_eq!(
        (
            report("obesity_places").rows_read,
            report("obesity_places").unmatched
        ),
        (2, 1)
    ); // TX/Houston
    assert_eq!(
        snapshot.sources_md.matches("| Download | `").count(),
        6,
        "one per request, two World Bank pages"
    );
}

/// Writes `snapshot` as the previous one in a temporary folder; returns the folder and the
/// snapshot's bytes.
fn previous_snapshot() -> (tempfile::TempDir, PathBuf, Observations) {
    let server = publisher(|_, _| None);
    let snapshot = fetch(&server, None, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot");
    write_snapshot(&snapshot, &out).unwrap();
    let previous = Observations::load(&out.join("observations.csv")).unwrap();
    (dir, out, previous)
}

/// Runs a fetch under `fault` as `healthy-city ingest` does: write only on success. Returns
/// the error message, if any, and asserts the snapshot folder is then unchanged.
fn ingest_under(
    fault: impl Fn(&Request, usize) -> Option<Reply> + Send + Sync + 'static,
) -> Option<String> {
    let (_dir, out, _) = previous_snapshot();
    let before = std::fs::read(out.join("observations.csv")).unwrap();
    let server = publisher(fault);
    match fetch(&server, None, false) {
        Ok(snapshot) => {
            write_snapshot(&snapshot, &out).unwrap();
            assert_eq!(rows(&snapshot), expected());
            None
        }
        Err(err) => {
            assert!(matches!(err, Error::Sources(_)), "{err}");
            assert_eq!(std::fs::read(out.join("observations.csv")).unwrap(), before);
            let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(leftovers, ["snapshot"], "no temporary folder left");
            Some(err.to_string())
        }
    }
}

#[test]
fn a_500_then_success_gives_the_correct_snapshot() {
    let err =
        ingest_under(|r, n| (r.path() == "/api/NCDMORT3070" && n == 0).then(|| Reply::status(500)));
    assert_eq!(err, None);
}

#[test]
fn a_source_that_keeps_failing_leaves_the_previous_snapshot_and_names_source_and_indicators() {
    let err =
        ingest_under(|r, _| (r.path() == "/api/NCDMORT3070").then(|| Reply::status(502))).unwrap();
    assert!(
        err.starts_with("1 source failed; the snapshot is left as it was"),
        "{err}"
    );
    assert!(
        err.contains("source `gho` (indicators `ncd`): cannot download `http://127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.ends_with("the server answered 502 Bad Gateway (gave up after 3 attempts)"),
        "{err}"
    );
}

#[test]
fn truncated_json_leaves_the_previous_snapshot() {
    let err = ingest_under(|r, _| {
        (r.path() == "/api/NCDMORT3070").then(|| Reply::json(&GHO.as_bytes()[..300]))
    })
    .unwrap();
    assert!(err.contains("/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27` is not readable as JSON: EOF while parsing"), "{err}");
}

#[test]
fn a_connection_reset_mid_body_is_retried_into_the_correct_snapshot() {
    let err = ingest_under(|r, n| {
        (r.path() == "/api/NCDMORT3070" && n == 0).then(|| Reply::json(GHO).cut_after(100))
    });
    assert_eq!(err, None);
}

#[test]
fn a_wrong_content_type_leaves_the_previous_snapshot() {
    let err = ingest_under(|r, _| {
        r.path()
            .ends_with("urb_cpop1")
            .then(|| Reply::new(200, "text/html", "<html>Service unavailable</html>"))
    })
    .unwrap();
    assert!(
        err.contains("source `eurostat` (indicators `population`)"),
        "{err}"
    );
    assert!(
        err.ends_with("the server sent `text/html` where JSON was expected"),
        "{err}"
    );
}

#[test]
fn an_empty_result_leaves_the_previous_snapshot() {
    let err = ingest_under(|r, _| {
        r.path().starts_with("/v2/").then(|| Reply::json(r#"[{"page":0,"pages":0,"per_page":2,"total":0,"sourceid":null,"lastupdated":"2025-01-28"},null]"#))
    })
    .unwrap();
    assert!(
        err.contains("the answer holds no rows for query `SP.DYN.LE00.IN`"),
        "{err}"
    );
}

#[test]
fn a_missing_page_leaves_the_previous_snapshot() {
    let err =
        ingest_under(|r, _| (r.query("page") == Some("2")).then(|| Reply::json(WB_1))).unwrap();
    assert!(
        err.contains("page 2 of 2 is missing (the server answered page 1 with 2 rows)"),
        "{err}"
    );
    let err =
        ingest_under(|r, _| (r.query("page") == Some("2")).then(|| Reply::status(404))).unwrap();
    assert!(err.contains("the server answered 404 Not Found"), "{err}");
}

#[test]
fn a_response_far_larger_than_expected_leaves_the_previous_snapshot() {
    let (_dir, out, _) = previous_snapshot();
    let before = std::fs::read(out.join("observations.csv")).unwrap();
    let server = publisher(|r, _| {
        (r.path() == "/api/NCDMORT3070").then(|| Reply::json(vec![b' '; 2_000_000]))
    });
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let client = Client::new(HttpConfig {
        max_body: 1_000_000,
        ..config(None)
    })
    .unwrap();
    let bases = bases(&server);
    let options = options(&client, &bases);
    let err = fetch_snapshot(None, &cities, &catalogue, 2000, &options)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("the response announces 2000000 bytes, more than the 1000000 allowed"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("observations.csv")).unwrap(), before);
}

#[test]
fn allow_partial_keeps_the_previous_values_of_a_failed_source_and_says_so() {
    let (_dir, _out, previous) = previous_snapshot();
    let server = publisher(|r, _| (r.path() == "/api/NCDMORT3070").then(|| Reply::status(503)));
    let snapshot = fetch(&server, Some(&previous), true).unwrap();
    assert_eq!(rows(&snapshot), expected());
    let ncd = &snapshot.report.indicators[0];
    assert_eq!(ncd.kept, 2);
    assert!(ncd
        .failed
        .as_deref()
        .unwrap()
        .ends_with("(gave up after 3 attempts)"));
    let summary = snapshot.report.to_string();
    assert!(
        summary.contains("; FAILED, previous values kept: cannot download"),
        "{summary}"
    );
    assert!(
        snapshot
            .sources_md
            .contains("| Status | failed (cannot download"),
        "{}",
        snapshot.sources_md
    );
    assert!(snapshot
        .sources_md
        .contains("the values below are kept from the previous snapshot |"));
    // Without a previous snapshot there is nothing to keep: the failure stands.
    assert!(matches!(fetch(&server, None, true), Err(Error::Sources(_))));
    // A previous snapshot without the failed source's indicator: a partial build would
    // empty it, which it never does.
    let without: Vec<_> = previous
        .rows()
        .iter()
        .filter(|o| o.indicator != ncd.indicator)
        .cloned()
        .collect();
    let without = Observations::from_rows(without, "previous observations");
    let err = fetch(&server, Some(&without), true)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "the snapshot is left as it was: 1 indicator would keep no value: `{}` (its source failed (cannot download",
            ncd.indicator
        )),
        "{err}"
    );
    assert!(
        err.contains("and the previous snapshot holds no value of it to keep)"),
        "{err}"
    );
}

#[test]
fn the_who_workbook_by_url_gives_the_same_values_as_the_file() {
    let Some(data) = shared_data() else { return };
    let indicators = root().join("indicators");
    let cities = Cities::load(&indicators.join("cities.toml")).unwrap();
    let text = std::fs::read_to_string(indicators.join("catalogue.toml")).unwrap();
    // The catalogue's first indicator (pm25, from the workbook) alone, with a download address.
    let pm25 = text.split("[[indicator]]").nth(1).unwrap();
    let with_url = format!(
        "[[indicator]]{pm25}download = \"https://who.example/who_aap_2021_v9_11august2022.xlsx\"\n"
    );
    let from_url = Catalogue::parse(&with_url, "catalogue.toml").unwrap();
    let from_file = Catalogue::parse(&format!("[[indicator]]{pm25}"), "catalogue.toml").unwrap();
    let file = data.join("who-aap/who_aap_2021_v9_11august2022.xlsx");
    let server = MockServer::start(move |r: &Request, _| {
        if r.path() == "/who_aap_2021_v9_11august2022.xlsx" {
            Reply::new(
                200,
                "application/octet-stream",
                std::fs::read(&file).unwrap(),
            )
        } else {
            Reply::status(404)
        }
    });
    let client = Client::new(config(None)).unwrap();
    let bases = BTreeMap::from([("who".to_string(), server.url())]);
    let options = options(&client, &bases);
    let fetched = fetch_snapshot(None, &cities, &from_url, 2000, &options).unwrap();
    let built = build_snapshot(&data, &cities, &from_file, 2000).unwrap();
    assert_eq!(fetched.observations.rows(), built.observations.rows());
    assert_eq!(fetched.observations.len(), 354);
    assert_eq!(fetched.report.indicators[0].rows_read, 32_191);
    assert!(fetched.sources_md.contains(
        "| SHA-256 | `a521a304d59dc3c26b85b554e915dad27952ee41829d8d45c821d455e7e0a8ff` |"
    ));
}

#[test]
fn two_different_values_for_one_country_and_year_name_the_url_and_both_records() {
    let server = publisher(|r, _| {
        (r.query("page") == Some("2")).then(|| {
            Reply::json(WB_2.replace(
                r#""countryiso3code":"USA","date":"2019""#,
                r#""countryiso3code":"GBR","date":"2019""#,
            ))
        })
    });
    let err = fetch(&server, None, false).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "`{}/v2/country/GBR;USA/indicator/SP.DYN.LE00.IN?format=json&per_page=2&date=2019:2020` record 3: two different values for city `london`, indicator `le`, year 2019: `81.4` (record 2, `GBR`) and `78.79` (`GBR`); the source gives two values for `GBR` in 2019: check the query (a breakdown such as sex may be missing from it) or report it to the publisher",
            server.url()
        )
    );
}

/// CDC PLACES through Socrata: pages of `$limit` rows followed by `$offset` until a short
/// page, each in a stable order (`$order=:id` added when the address gives none, the
/// address's own `$order` kept otherwise, as Socrata's paging documentation requires), with
/// the app token sent as `X-App-Token` on every page.
#[test]
fn follows_socrata_offsets_until_a_short_page() {
    for (address, order) in [("", "%3Aid"), ("&$order=locationname", "locationname")] {
        let server = publisher(|r, _| {
            if r.path() != "/resource/eav7-hnsx.json" {
                return None;
            }
            let records: Vec<serde_json::Value> = serde_json::from_str(PLACES).unwrap();
            let offset: usize = r.query("%24offset").unwrap().parse().unwrap();
            let limit: usize = r.query("%24limit").unwrap().parse().unwrap();
            let page: Vec<_> = records.into_iter().skip(offset).take(limit).collect();
            Some(Reply::json(serde_json::to_vec(&page).unwrap()))
        });
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(
            &CATALOGUE.replace(
                "?measureid=OBESITY",
                &format!("?measureid=OBESITY&$limit=1{address}"),
            ),
            "catalogue.toml",
        )
        .unwrap();
        let client = Client::new(HttpConfig {
            headers: BTreeMap::from([(
                "cdc".to_string(),
                vec![("X-App-Token".to_string(), Secret("test-token".to_string()))],
            )]),
            ..config(None)
        })
        .unwrap();
        assert!(
            !format!("{client:?}").contains("test-token"),
            "the token shows in Debug output"
        );
        let bases = bases(&server);
        let options = options(&client, &bases);
        let snapshot = fetch_snapshot(None, &cities, &catalogue, 2000, &options).unwrap();
        assert_eq!(rows(&snapshot), expected());
        let requests = server.requests();
        let pages: Vec<&Request> = requests
            .iter()
            .filter(|r| r.path() == "/resource/eav7-hnsx.json")
            .collect();
        let offsets: Vec<&str> = pages
            .iter()
            .map(|r| r.query("%24offset").unwrap())
            .collect();
        assert_eq!(offsets, ["0", "1", "2"]);
        for page in &pages {
            assert_eq!(page.query("%24order"), Some(order), "{}", page.target);
            assert_eq!(page.target.matches("order=").count(), 1, "{}", page.target);
            assert_eq!(
                page.headers.get("x-app-token").map(String::as_str),
                Some("test-token")
            );
        }
        // Only the CDC's requests carry its token.
        assert!(requests
            .iter()
            .filter(|r| r.path() != "/resource/eav7-hnsx.json")
            .all(|r| !r.headers.contains_key("x-app-token")));
        let places = snapshot
            .report
            .indicators
            .iter()
            .find(|i| i.indicator == "obesity_places")
            .unwrap();
        assert_eq!((places.rows_read, places.unmatched), (2, 1));
    }
}

// --- GHO OData paging ----------------------------------------------------------------------

const GHO_PAGE_1: &str = r#"{"@odata.context":"https://ghoapi.azureedge.net/api/$metadata#NCDMORT3070","value":[
{"Id":1,"IndicatorCode":"NCDMORT3070","SpatialDimType":"COUNTRY","SpatialDim":"GBR","TimeDim":2019,"Dim1":"SEX_BTSX","Value":"10.7 [9.5-12.1]","NumericValue":10.7,"Low":9.5,"High":12.1},
{"Id":3,"IndicatorCode":"NCDMORT3070","SpatialDimType":"REGION","SpatialDim":"EUR","TimeDim":2019,"Dim1":"SEX_BTSX","Value":"16.0","NumericValue":16.0,"Low":null,"High":null}],
"@odata.nextLink":"NEXT"}"#;

const GHO_PAGE_2: &str = r#"{"@odata.context":"https://ghoapi.azureedge.net/api/$metadata#NCDMORT3070","value":[
{"Id":2,"IndicatorCode":"NCDMORT3070","SpatialDimType":"COUNTRY","SpatialDim":"USA","TimeDim":2019,"Dim1":"SEX_BTSX","Value":"13.2","NumericValue":13.2,"Low":null,"High":null}]}"#;

/// A GHO serving `GHO_PAGE_1` (linking to `$skip=2`), then `next(request)` for any `$skip` page.
fn paged_gho(next: fn(&Request) -> Reply) -> MockServer {
    publisher(move |r, _| {
        if r.path() != "/api/NCDMORT3070" {
            return None;
        }
        Some(match r.query("$skip") {
            None => {
                let link = format!(
                    "http://{}/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27&$skip=2",
                    r.headers["host"]
                );
                Reply::json(GHO_PAGE_1.replace("NEXT", &link))
            }
            Some(_) => next(r),
        })
    })
}

#[test]
fn follows_the_gho_odata_next_link_across_two_pages() {
    let server = paged_gho(|_| Reply::json(GHO_PAGE_2));
    let snapshot = fetch(&server, None, false).unwrap();
    // GBR 10.7 (with its interval 9.5-12.1) from page 1, USA 13.2 from page 2.
    assert_eq!(rows(&snapshot), expected());
    let ncd: Vec<_> = snapshot
        .observations
        .rows()
        .iter()
        .filter(|o| o.indicator == "ncd")
        .map(|o| (o.city.as_str(), o.value, o.low, o.high))
        .collect();
    assert_eq!(
        ncd,
        [
            ("london", 10.7, Some(9.5), Some(12.1)),
            ("new-york", 13.2, None, None)
        ]
    );
    let gho: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/api/NCDMORT3070")
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        gho,
        [
            "/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27",
            "/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27&$skip=2"
        ]
    );
    let report = &snapshot.report.indicators[0];
    assert_eq!(report.rows_read, 3, "two rows on page 1, one on page 2");
    assert_eq!(
        report
            .unmatched_places
            .iter()
            .map(|p| (p.code_or_name.as_str(), p.kind.as_str(), p.rows))
            .collect::<Vec<_>>(),
        [("EUR", "aggregate", 1)]
    );
    assert!(snapshot.sources_md.contains(&format!(
        "| Download | `{}/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27&$skip=2` |",
        server.url()
    )));
}

#[test]
fn a_gho_next_link_back_to_a_fetched_page_is_a_clear_error() {
    let server = paged_gho(|r| {
        let link = format!(
            "http://{}/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27",
            r.headers["host"]
        );
        Reply::json(GHO_PAGE_1.replace("NEXT", &link))
    });
    let err = fetch(&server, None, false).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "`@odata.nextLink` of page 2 leads back to `{}/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27`, a page already fetched: the server's paging loops",
            server.url()
        )),
        "{err}"
    );
}

#[test]
fn gho_paging_stops_at_the_page_cap_with_a_clear_error() {
    // Every page links to the next one, forever.
    let server = paged_gho(|r| {
        let skip: usize = r.query("$skip").unwrap().parse().unwrap();
        let link = format!(
            "http://{}/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27&$skip={}",
            r.headers["host"],
            skip + 2
        );
        Reply::json(GHO_PAGE_1.replace("NEXT", &link))
    });
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let client = Client::new(HttpConfig {
        max_pages: 3,
        ..config(None)
    })
    .unwrap();
    let bases = bases(&server);
    let options = options(&client, &bases);
    let err = fetch_snapshot(None, &cities, &catalogue, 2000, &options)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("more than 3 pages of `@odata.nextLink`: stopped following them"),
        "{err}"
    );
    let asked = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/api/NCDMORT3070")
        .count();
    assert_eq!(asked, 3);
}

// --- Eurostat bulk TSV, gzipped -----------------------------------------------------------

#[test]
fn reads_eurostat_bulk_tsv_served_gzipped_under_every_header_eurostat_uses() {
    const TSV: &str = "freq,indic_ur,cities\\TIME_PERIOD\t2019 \t2020 \nA,DE1001V,UK001C\t8961989\t9002488 p\nA,DE1001V,DE001C\t3669491\t: \n";
    let catalogue = r#"
[[indicator]]
id = "population"
name = "Population"
unit = "persons"
direction = "higher"
level = "city"
source = { adapter = "eurostat_tsv", publisher = "Eurostat", dataset = "Urban Audit urb_cpop1", release = "2025-06-20", licence = "CC BY 4.0", query = "A.DE1001V", download = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/urb_cpop1?format=TSV&compressed=true" }
"#;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(TSV.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for (content_type, encoding) in [
        ("application/octet-stream", None),
        ("application/gzip", None),
        ("text/tab-separated-values", Some("gzip")),
    ] {
        let body = gz.clone();
        let server = MockServer::start(move |_, _| {
            let reply = Reply::new(200, content_type, body.clone());
            match encoding {
                Some(e) => reply.header("Content-Encoding", e),
                None => reply,
            }
        });
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(catalogue, "catalogue.toml").unwrap();
        let client = Client::new(config(None)).unwrap();
        let bases = BTreeMap::from([("eurostat".to_string(), server.url())]);
        let options = options(&client, &bases);
        let snapshot = fetch_snapshot(None, &cities, &catalogue, 2000, &options)
            .unwrap_or_else(|e| panic!("{content_type}: {e}"));
        // London (UK001C): 8,961,989 in 2019 and 9,002,488 (flagged `p`) in 2020; DE001C is
        // no registry city.
        assert_eq!(
            rows(&snapshot),
            [
                row("london", "population", 2019, 8_961_989.0, Flag::None),
                row("london", "population", 2020, 9_002_488.0, Flag::None),
            ],
            "{content_type}"
        );
        let report = &snapshot.report.indicators[0];
        assert_eq!(
            (report.rows_read, report.unmatched),
            (2, 1),
            "{content_type}"
        );
        assert_eq!(report.statuses.get("p"), Some(&1));
    }
}

// --- Bad input, per case ---------------------------------------------------------------------

#[test]
fn oecd_requests_ask_for_sdmx_json_and_an_sdmx_ml_answer_says_xml_and_which_accept_to_send() {
    let server = publisher(|r, _| {
        r.path().starts_with("/public/rest/data/").then(|| {
            Reply::new(
                200,
                "application/vnd.sdmx.genericdata+xml; version=2.1",
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><message:GenericData></message:GenericData>",
            )
        })
    });
    let err = fetch(&server, None, false).unwrap_err().to_string();
    assert!(
        err.contains("source `oecd` (indicators `regional_le`)"),
        "{err}"
    );
    assert!(
        err.contains("the answer is XML (it starts `<?xml version=\"1.0\" encoding=\"utf-8\"?><message:GenericData><`), not JSON: ask for SDMX-JSON with the header `Accept: application/vnd.sdmx.data+json; charset=utf-8; version=2`"),
        "{err}"
    );
    let accepts: BTreeMap<String, String> = server
        .requests()
        .iter()
        .map(|r| {
            (
                r.path().to_string(),
                r.headers.get("accept").cloned().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        accepts["/public/rest/data/OECD.CFE.EDS,DSD_REG_DEMO@DF_LIFE_EXP,2.0/all"],
        "application/vnd.sdmx.data+json; charset=utf-8; version=2"
    );
    assert_eq!(accepts["/api/NCDMORT3070"], "application/json");
}

#[test]
fn an_xml_error_page_served_with_200_where_gho_json_was_asked_says_xml_not_a_json_position() {
    let err = ingest_under(|r, _| {
        (r.path() == "/api/NCDMORT3070").then(|| {
            Reply::new(
                200,
                "application/xml",
                "<?xml version=\"1.0\"?><error><code>InvalidQuery</code></error>",
            )
        })
    })
    .unwrap();
    assert!(
        err.contains("/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27`: the answer is XML (it starts `<?xml version=\"1.0\"?><error><code>InvalidQuery</code></error`), not JSON: ask the OData API for JSON with the header `Accept: application/json`"),
        "{err}"
    );
    assert!(!err.contains("line 1 column 1"), "{err}");
}

#[test]
fn a_gho_breakdown_left_out_of_the_query_is_an_error_naming_both_records() {
    // An unknown dimension (urban and rural residence) gives GBR two values for 2019.
    let server = publisher(|r, _| {
        (r.path() == "/api/NCDMORT3070").then(|| {
            Reply::json(GHO.replace(
                r#""SpatialDim":"USA","TimeDim":2019,"Dim1":"SEX_BTSX","Value":"13.2","NumericValue":13.2"#,
                r#""SpatialDim":"GBR","TimeDim":2019,"Dim1":"SEX_BTSX","Dim2":"RESIDENCEAREATYPE_RUR","Value":"13.2","NumericValue":13.2"#,
            ))
        })
    });
    let err = fetch(&server, None, false).unwrap_err().to_string();
    assert!(
        err.ends_with("record 2: two different values for city `london`, indicator `ncd`, year 2019: `10.7` (record 1, `GBR`) and `13.2` (`GBR`); the source gives two values for `GBR` in 2019: check the query (a breakdown such as sex may be missing from it) or report it to the publisher"),
        "{err}"
    );
}

// --- Eurostat and OECD answers to large or empty requests ---------------------------------

const EUROSTAT_PATH: &str = "/eurostat/api/dissemination/statistics/1.0/data/urb_cpop1";

/// A request for Eurostat city statistics carries every dimension the catalogue names
/// (`freq` and `indic_ur` from the query `A.DE1001V`, the address's own `cities`, and
/// `sinceTimePeriod` from the first year), and Eurostat's 413 (its SOAP fault, as its API
/// documentation shows it) gives a message quoting the fault and saying what to do.
#[test]
fn a_eurostat_413_names_the_fault_and_what_to_narrow() {
    const FAULT: &str = r#"<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><faultcode>413</faultcode><faultstring>EXTRACTION_TOO_BIG: The requested extraction is too big, estimated 420709314 rows, max authorised is 5000000, please change your filters to reduce the extraction size</faultstring></S:Fault></S:Body></S:Envelope>"#;
    let server = publisher(|r, _| {
        (r.path() == EUROSTAT_PATH).then(|| Reply::new(413, "text/xml;charset=UTF-8", FAULT))
    });
    let err = fetch(&server, None, false).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "`{}{EUROSTAT_PATH}?format=JSON&lang=EN&cities=UK001C&freq=A&indic_ur=DE1001V&sinceTimePeriod=2000`: the server answered 413 Payload Too Large (EXTRACTION_TOO_BIG: The requested extraction is too big, estimated 420709314 rows, max authorised is 5000000, please change your filters to reduce the extraction size): the request asks for more than the publisher extracts at once; it already filters every dimension: ask for fewer cities or years per address, or use the dataset's bulk TSV file",
            server.url()
        )),
        "{err}"
    );
    // A 413 is not retried.
    let asked = server
        .requests()
        .iter()
        .filter(|r| r.path() == EUROSTAT_PATH)
        .count();
    assert_eq!(asked, 1);
}

/// An answer announcing Eurostat's asynchronous delivery (status `SUBMITTED` and a key, in
/// the shape of its asynchronous API's documentation) is refused with a message saying so,
/// never parsed as data.
#[test]
fn a_eurostat_answer_moved_to_the_asynchronous_api_says_so() {
    const ASYNC: &str = r#"<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/><env:Body><ns0:syncResponse xmlns:ns0="http://estat.ec.europa.eu/disschain/soap/extraction"><queued><id>a1b2c3d4-0000-4000-8000-000000000000</id><status>SUBMITTED</status></queued></ns0:syncResponse></env:Body></env:Envelope>"#;
    let server = publisher(|r, _| {
        (r.path() == EUROSTAT_PATH).then(|| Reply::new(200, "application/xml", ASYNC))
    });
    let err = fetch(&server, None, false).unwrap_err().to_string();
    assert!(
        err.contains("Eurostat moved this request to its asynchronous API (status `SUBMITTED`)"),
        "{err}"
    );
}

/// The OECD's answer to a selection matching no data, HTTP 404 with `NoResultsFound`, fails
/// the source as an empty answer with what to check, not as an unknown download failure.
#[test]
fn an_oecd_404_no_results_found_is_reported_as_an_empty_answer() {
    let server = publisher(|r, _| {
        r.path()
            .starts_with("/public/rest/data/")
            .then(|| Reply::new(404, "text/plain; charset=utf-8", "NoResultsFound"))
    });
    let err = fetch(&server, None, false).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "`{}/public/rest/data/OECD.CFE.EDS,DSD_REG_DEMO@DF_LIFE_EXP,2.0/all?startPeriod=2019` holds no rows: the server answered 404 Not Found with `NoResultsFound`, SDMX's answer to a selection that matches no data; check the catalogue's `download` address",
            server.url()
        )),
        "{err}"
    );
}

// --- WHO data hub CSV, the GHO OData API's replacement ------------------------------------

/// A WHO data hub per-indicator CSV in the published shape (the header of
/// `.../DATADOT/INDICATOR/{IND_UUID}_ALL_LATEST.csv` files), holding the GHO OData fixture's
/// values: GBR (M49 826) and USA (840) for both sexes, a male row (a breakdown, skipped), a
/// WHO region (an aggregate). The UUID is a placeholder, not NCDMORT3070's.
const WHO_HUB: &str = "IND_ID,IND_CODE,IND_UUID,IND_PER_CODE,DIM_TIME,DIM_TIME_TYPE,DIM_GEO_CODE_M49,DIM_GEO_CODE_TYPE,DIM_PUBLISH_STATE_CODE,IND_NAME,GEO_NAME_SHORT,DIM_SEX,RATE_PER_100_N,RATE_PER_100_NL,RATE_PER_100_NU,COUNT_N
X1,NCDMORT3070,00000000-0000-0000-0000-000000000000,NCDMORT3070_TOTAL,2019,YEAR,826,COUNTRY,PUBLISHED,\"Probability (%) of dying between age 30 and exact age 70 from any of cardiovascular disease, cancer, diabetes, or chronic respiratory disease\",United Kingdom of Great Britain and Northern Ireland,TOTAL,10.7,9.5,12.1,
X1,NCDMORT3070,00000000-0000-0000-0000-000000000000,NCDMORT3070_MALE,2019,YEAR,826,COUNTRY,PUBLISHED,\"Probability (%) of dying between age 30 and exact age 70 from any of cardiovascular disease, cancer, diabetes, or chronic respiratory disease\",United Kingdom of Great Britain and Northern Ireland,MALE,12.5,11.0,14.2,
X1,NCDMORT3070,00000000-0000-0000-0000-000000000000,NCDMORT3070_TOTAL,2019,YEAR,840,COUNTRY,PUBLISHED,\"Probability (%) of dying between age 30 and exact age 70 from any of cardiovascular disease, cancer, diabetes, or chronic respiratory disease\",United States of America,TOTAL,13.2,,,
X1,NCDMORT3070,00000000-0000-0000-0000-000000000000,NCDMORT3070_TOTAL,2019,YEAR,EUR,WHOREGION,PUBLISHED,\"Probability (%) of dying between age 30 and exact age 70 from any of cardiovascular disease, cancer, diabetes, or chronic respiratory disease\",Europe,TOTAL,16.0,,,
";

const WHO_HUB_PATH: &str =
    "/whdh/DATADOT/INDICATOR/00000000-0000-0000-0000-000000000000_ALL_LATEST.csv";

/// When the GHO OData API goes, a GHO indicator switches to WHO's data hub CSV by a catalogue
/// change only (adapter and address; the query stays the GHO indicator code): the same values,
/// intervals and aggregates as from the OData answer.
#[test]
fn a_gho_indicator_switches_to_the_who_data_hub_csv_by_a_catalogue_change() {
    let server = publisher(|r, _| {
        (r.path() == WHO_HUB_PATH).then(|| Reply::new(200, "text/csv; charset=utf-8", WHO_HUB))
    });
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let odata = "adapter = \"gho_odata\", publisher = \"WHO\", dataset = \"GHO\", release = \"test\", licence = \"CC BY-NC-SA 3.0 IGO\", query = \"NCDMORT3070\", download = \"https://ghoapi.azureedge.net/api/NCDMORT3070?$filter=Dim1%20eq%20%27SEX_BTSX%27\"";
    let hub = format!("adapter = \"who_hub_csv\", publisher = \"WHO\", dataset = \"WHO data hub\", release = \"test\", licence = \"CC BY-NC-SA 3.0 IGO\", query = \"NCDMORT3070\", download = \"https://srhdpeuwpubsa.blob.core.windows.net{WHO_HUB_PATH}\"");
    assert!(CATALOGUE.contains(odata));
    let catalogue = Catalogue::parse(&CATALOGUE.replace(odata, &hub), "catalogue.toml").unwrap();
    let client = Client::new(config(None)).unwrap();
    let bases = bases(&server);
    let options = options(&client, &bases);
    let snapshot = fetch_snapshot(None, &cities, &catalogue, 2000, &options).unwrap();
    assert_eq!(rows(&snapshot), expected());
    let london = snapshot
        .observations
        .rows()
        .iter()
        .find(|o| o.city == "london" && o.indicator == "ncd")
        .unwrap();
    assert_eq!((london.low, london.high), (Some(9.5), Some(12.1)));
    assert_eq!(london.source, "who-hub");
    let ncd = snapshot
        .report
        .indicators
        .iter()
        .find(|i| i.indicator == "ncd")
        .unwrap();
    assert_eq!(ncd.rows_read, 4);
    // Values in two columns: the query must say which.
    let two = WHO_HUB.replace(",TOTAL,13.2,,,\n", ",TOTAL,13.2,,,41200\n");
    let err = healthy_city_ingest::parse_who_hub_csv(two.as_bytes(), "hub.csv", None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("values in 2 columns (`RATE_PER_100_N`, `COUNT_N`): name the one to read in the query, e.g. `NCDMORT3070:RATE_PER_100_N`"),
        "{err}"
    );
    let table =
        healthy_city_ingest::parse_who_hub_csv(two.as_bytes(), "hub.csv", Some("COUNT_N")).unwrap();
    assert_eq!(table.records.len(), 1);
    assert_eq!(table.records[0].value, 41_200.0);
}
