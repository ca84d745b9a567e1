//! `healthy-city ingest --fetch` against mock publishers on loopback (127.0.0.1) serving the
//! real files of the data folder as the publishers serve them.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

use super::mock;
use super::{healthy_city, shared_data};

/// A mock World Bank and WHO GHO serving the real files of the data folder at the default
/// catalogue's download paths (the WDI CSVs zipped as the bulk download is), except that
/// `gho_status`, when given, is what the GHO answers.
fn mock_publishers(data: &Path, gho_status: Option<u16>) -> mock::MockServer {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalogue =
        healthy_city_model::Catalogue::load(&root.join("indicators/catalogue.toml")).unwrap();
    let mut routes = std::collections::BTreeMap::new();
    // Every source of every indicator, the fallbacks too (the World Bank's life expectancy).
    for source in catalogue
        .iter()
        .flat_map(|i| i.source.iter().chain(&i.fallback))
    {
        if let (Some(download), Some(file)) = (&source.download, &source.file) {
            let path = download.split('?').next().unwrap();
            let path =
                path[path.find("/api/").or_else(|| path.find("/v2/")).unwrap()..].to_string();
            routes.insert(path, data.join(file));
        }
    }
    mock::MockServer::start(move |request, _| {
        let Some(file) = routes.get(request.path()) else {
            return mock::Reply::status(404);
        };
        if request.path().starts_with("/api/") {
            return match gho_status {
                Some(status) => mock::Reply::status(status),
                None => mock::Reply::json(fs::read(file).unwrap()),
            };
        }
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, &fs::read(file).unwrap()).unwrap();
        mock::Reply::new(200, "application/zip", zip.finish().unwrap().into_inner())
    })
}

fn ingest_fetch(data: &Path, server: &mock::MockServer, out: &Path, cache: &Path) -> Command {
    let mut command = healthy_city();
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "ingest",
            "--fetch",
            "--retries",
            "1",
            "--retry-delay-ms",
            "1",
            "--from",
        ])
        .arg(data)
        .arg("--base-url")
        .arg(format!("gho={}", server.url()))
        .arg("--base-url")
        .arg(format!("worldbank={}", server.url()))
        .arg("--cache-dir")
        .arg(cache)
        .arg("--out")
        .arg(out)
        .arg("--report")
        .arg(out.with_extension("report"));
    command
}

#[test]
fn ingest_fetch_from_mock_publishers_regenerates_the_committed_observations() {
    let Some(data) = shared_data() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server = mock_publishers(&data, None);
    let dir = TempDir::new().unwrap();
    let snapshot = dir.path().join("snapshot");
    ingest_fetch(&data, &server, &snapshot, &dir.path().join("cache"))
        .assert()
        .success()
        .stderr(predicate::str::contains("; from network"));
    // `--fetch` writes the same unmatched list as `--from`: the World Bank's aggregates
    // included, from the zipped bulk download.
    let unmatched = fs::read_to_string(dir.path().join("snapshot.report/unmatched.csv")).unwrap();
    assert!(
        unmatched.contains("\nwdi-2025-01-28,life_expectancy,WLD,,aggregate,63\n"),
        "{unmatched}"
    );
    assert!(
        fs::read(snapshot.join("observations.csv")).unwrap()
            == fs::read(root.join("indicators/snapshot/observations.csv")).unwrap(),
        "observations fetched from the mock publishers differ from the committed snapshot"
    );
    let sources = fs::read_to_string(snapshot.join("SOURCES.md")).unwrap();
    assert!(sources.contains(&format!(
        "| Download | `{}/v2/en/indicator/SP.DYN.LE00.IN?downloadformat=csv` |",
        server.url()
    )));
    // Offline, from the cache just filled: the same observations, and the server not asked.
    let asked = server.requests().len();
    let offline = dir.path().join("offline");
    ingest_fetch(&data, &server, &offline, &dir.path().join("cache"))
        .arg("--offline")
        .assert()
        .success()
        .stderr(predicate::str::contains("; from cache (offline)"));
    assert_eq!(server.requests().len(), asked);
    assert_eq!(
        fs::read(offline.join("observations.csv")).unwrap(),
        fs::read(snapshot.join("observations.csv")).unwrap()
    );
}

#[test]
fn ingest_fetch_with_a_failing_publisher_exits_2_naming_it_and_keeps_the_snapshot() {
    let Some(data) = shared_data() else { return };
    let server = mock_publishers(&data, Some(503));
    let dir = TempDir::new().unwrap();
    let snapshot = dir.path().join("snapshot");
    fs::create_dir_all(&snapshot).unwrap();
    fs::write(snapshot.join("observations.csv"), "previous\n").unwrap();
    ingest_fetch(&data, &server, &snapshot, &dir.path().join("cache"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "2 sources failed; the snapshot is left as it was",
        ))
        .stderr(predicate::str::contains(
            "source `gho` (indicators `ncd_mortality`): cannot download",
        ))
        .stderr(predicate::str::contains(
            "the server answered 503 Service Unavailable (gave up after 2 attempts)",
        ));
    assert_eq!(
        fs::read_to_string(snapshot.join("observations.csv")).unwrap(),
        "previous\n"
    );
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        2,
        "snapshot and cache only"
    );
}

#[test]
fn ingest_fetch_allow_partial_keeps_the_failed_publishers_previous_values() {
    let Some(data) = shared_data() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server = mock_publishers(&data, Some(500));
    let dir = TempDir::new().unwrap();
    let snapshot = dir.path().join("snapshot");
    fs::create_dir_all(&snapshot).unwrap();
    let committed = fs::read(root.join("indicators/snapshot/observations.csv")).unwrap();
    fs::write(snapshot.join("observations.csv"), &committed).unwrap();
    ingest_fetch(&data, &server, &snapshot, &dir.path().join("cache"))
        .arg("--allow-partial")
        .assert()
        .success()
        .stderr(
            predicate::str::is_match(
                "ncd_mortality +gho-odata +1,342 values, 61/63 cities; FAILED, previous values kept: cannot download `http://127.0.0.1:[0-9]+/api/NCDMORT3070",
            )
            .unwrap(),
        );
    assert!(fs::read(snapshot.join("observations.csv")).unwrap() == committed);
    let sources = fs::read_to_string(snapshot.join("SOURCES.md")).unwrap();
    assert_eq!(
        sources
            .matches("the values below are kept from the previous snapshot")
            .count(),
        2
    );
}

#[test]
fn ingest_fetch_warns_on_standard_error_before_it_retries_a_request() {
    let Some(data) = shared_data() else { return };
    let server = mock_publishers(&data, Some(503));
    let dir = TempDir::new().unwrap();
    // A warning from the ingest crate (`tracing::warn!`) reaches standard error as a plain
    // `warning:` line: the retry after the first 503, naming the address.
    ingest_fetch(
        &data,
        &server,
        &dir.path().join("snapshot"),
        &dir.path().join("cache"),
    )
    .env("NO_COLOR", "1")
    .assert()
    .code(2)
    .stderr(
        predicate::str::is_match(
            "(?m)^warning: http://127\\.0\\.0\\.1:[0-9]+/api/[^ ]+: .*503.*; retrying in ",
        )
        .unwrap(),
    );
}

/// The World Bank's bulk endpoint serves only its current release. With a catalogue pinning
/// life expectancy to the 2024-02-21 release (and a snapshot built from that release's file)
/// while the publisher serves the real 2025-01-28 file: `--fetch` names the indicator, the
/// pinned and the offered release, exits 2 and leaves snapshot and catalogue as they were;
/// `--accept-releases` rewrites the catalogue's `release` (nothing else in it) and the
/// snapshot together and lists the revisions between the two real releases.
#[test]
fn a_newer_world_bank_release_is_reported_and_can_be_accepted() {
    let Some(data) = shared_data() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server = mock_publishers(&data, None);
    let dir = TempDir::new().unwrap();
    let current = fs::read_to_string(root.join("indicators/catalogue.toml")).unwrap();
    let pinned = current.replacen(
        "release = \"2025-01-28\"\nlicence = \"CC BY 4.0 (World Bank, World Development Indicators)\"\nquery = \"SP.DYN.LE00.IN\"\nfile = \"worldbank-wdi/release-2025-01-28/API_SP.DYN.LE00.IN_DS2_en_CSV_v2_76065.csv\"",
        "release = \"2024-02-21\"\nlicence = \"CC BY 4.0 (World Bank, World Development Indicators)\"\nquery = \"SP.DYN.LE00.IN\"\nfile = \"worldbank-wdi/release-2024-02-21/API_SP.DYN.LE00.IN_DS2_en_csv_v2_107.csv\"",
        1,
    );
    assert_ne!(
        pinned, current,
        "the catalogue's life_expectancy entry moved"
    );
    let catalogue = dir.path().join("catalogue.toml");
    fs::write(&catalogue, &pinned).unwrap();
    let snapshot = dir.path().join("snapshot");
    healthy_city()
        .current_dir(root)
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--catalogue")
        .arg(&catalogue)
        .arg("--out")
        .arg(&snapshot)
        .arg("--report")
        .arg(dir.path().join("report"))
        .assert()
        .success();
    let before = fs::read(snapshot.join("observations.csv")).unwrap();

    let cache = dir.path().join("cache");
    ingest_fetch(&data, &server, &snapshot, &cache)
        .arg("--catalogue")
        .arg(&catalogue)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "1 indicator's publisher now offers a release the catalogue does not pin; the snapshot is left as it was",
        ))
        .stderr(predicate::str::contains(
            "`life_expectancy`: pinned release `2024-02-21`, offered `2025-01-28`",
        ))
        .stderr(predicate::str::contains("--accept-releases"));
    assert!(fs::read(snapshot.join("observations.csv")).unwrap() == before);
    assert_eq!(fs::read_to_string(&catalogue).unwrap(), pinned);

    ingest_fetch(&data, &server, &snapshot, &cache)
        .arg("--catalogue")
        .arg(&catalogue)
        .arg("--accept-releases")
        .assert()
        .success()
        .stderr(predicate::str::contains("accepted 1 new release"))
        .stderr(
            predicate::str::is_match(
                "revisions in life_expectancy: [1-9][0-9,]* of [0-9,]+ values changed",
            )
            .unwrap(),
        );
    // Only the release changed in the catalogue; the snapshot is the one the current release
    // gives, which is the committed one.
    assert_eq!(
        fs::read_to_string(&catalogue).unwrap(),
        pinned.replacen("release = \"2024-02-21\"\nlicence = \"CC BY 4.0 (World Bank, World Development Indicators)\"\nquery = \"SP.DYN.LE00.IN\"", "release = \"2025-01-28\"\nlicence = \"CC BY 4.0 (World Bank, World Development Indicators)\"\nquery = \"SP.DYN.LE00.IN\"", 1)
    );
    assert!(
        fs::read(snapshot.join("observations.csv")).unwrap()
            == fs::read(root.join("indicators/snapshot/observations.csv")).unwrap(),
        "the accepted snapshot differs from the one the 2025-01-28 release gives"
    );
    assert!(fs::read(snapshot.join("observations.csv")).unwrap() != before);
}
