//! End-to-end tests of the `healthy-city` binary.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn healthy_city() -> Command {
    Command::cargo_bin("healthy-city").unwrap()
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The SVG of chart `name` under `out`, after checking that its PNG preview is there too.
fn chart(out: &Path, name: &str) -> String {
    let png = out.join(format!("charts/{name}.png"));
    assert!(
        fs::read(&png).is_ok_and(|b| b.starts_with(b"\x89PNG")),
        "{} missing or not a PNG",
        png.display()
    );
    fs::read_to_string(out.join(format!("charts/{name}.svg"))).unwrap()
}

/// A path as a TOML basic string.
fn toml_string(path: &Path) -> String {
    let text = path.display().to_string();
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A copy of the default framework, with its data paths pointing at the repository's files.
fn framework_copy(dir: &Path, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
    let text = fs::read_to_string(root.join("frameworks/healthy-city.toml")).unwrap();
    let text = text
        .replace(
            "\"../snapshot/observations.csv\"",
            &toml_string(&root.join("snapshot/observations.csv")),
        )
        .replace(
            "\"../cities.toml\"",
            &toml_string(&root.join("cities.toml")),
        )
        .replace(
            "\"../catalogue.toml\"",
            &toml_string(&root.join("catalogue.toml")),
        );
    let path = dir.join("framework.toml");
    fs::write(&path, edit(text)).unwrap();
    path
}

#[test]
fn run_writes_the_ranking_scores_and_charts_with_london_ranked_over_eight_years() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["run", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("London"))
        .stdout(predicate::str::contains("Healthy City Index"));
    for file in [
        "ranking.csv",
        "scores.csv",
        "charts/ranking.svg",
        "charts/ranking.png",
        "charts/trajectory-london.svg",
        "charts/trajectory-london.png",
        "charts/profile-london.svg",
        "charts/profile-london.png",
    ] {
        let path = out.path().join(file);
        assert!(
            fs::metadata(&path).is_ok_and(|m| m.len() > 0),
            "{file} missing or empty"
        );
    }
    let ranking = read_csv(&out.path().join("ranking.csv"));
    let london_years: Vec<&str> = ranking
        .iter()
        .filter(|row| row[0] == "london")
        .map(|row| row[1].as_str())
        .collect();
    assert!(london_years.len() >= 8, "London ranked in {london_years:?}");
    // London's reference ranks come from the framework's [report] section, each with its source.
    let trajectory = fs::read_to_string(out.path().join("charts/trajectory-london.svg")).unwrap();
    assert!(trajectory.contains("7th: 2015 starting point"));
    assert!(trajectory.contains("1st: the aim"));
    assert!(trajectory.contains("Dashed line at 7th: Greater London Authority, March 2015"));
    // The profile names every domain and marks national values.
    let profile = fs::read_to_string(out.path().join("charts/profile-london.svg")).unwrap();
    assert!(profile.contains("London: strengths and weaknesses, Healthy City Index, 2019"));
    for domain in [
        "Health outcomes",
        "Environment",
        "Health services",
        "Safety",
    ] {
        assert!(
            profile.contains(domain),
            "{domain} missing from the profile"
        );
    }
    assert!(profile.contains("Intentional homicides \u{2014} national"));
    assert!(profile.contains("PM2.5 annual mean concentration"));
    assert!(!profile.contains("PM2.5 annual mean concentration \u{2014} national"));
    // No staging folder is left behind.
    let leftovers: Vec<_> = fs::read_dir(out.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".healthy-city"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn every_ranked_year_has_ranks_one_to_n_with_ties_sharing_the_best_rank() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["run", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let ranking = read_csv(&out.path().join("ranking.csv"));
    let mut years: Vec<&str> = ranking.iter().map(|r| r[1].as_str()).collect();
    years.dedup();
    for year in years {
        let mut rows: Vec<(f64, u32)> = ranking
            .iter()
            .filter(|r| r[1] == year)
            .map(|r| (r[2].parse().unwrap(), r[3].parse().unwrap()))
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (position, &(score, rank)) in rows.iter().enumerate() {
            let better = rows.iter().filter(|(s, _)| *s > score).count();
            assert_eq!(
                rank as usize,
                better + 1,
                "year {year}, position {position}"
            );
        }
    }
}

#[test]
fn run_is_deterministic_to_the_byte() {
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    for dir in [&a, &b] {
        healthy_city()
            .args(["run", "--out"])
            .arg(dir.path())
            .assert()
            .success();
    }
    for file in [
        "ranking.csv",
        "scores.csv",
        "charts/ranking.svg",
        "charts/ranking.png",
        "charts/trajectory-london.png",
        "charts/profile-london.svg",
        "charts/profile-london.png",
    ] {
        assert_eq!(
            fs::read(a.path().join(file)).unwrap(),
            fs::read(b.path().join(file)).unwrap(),
            "{file} differs between two runs"
        );
    }
}

#[test]
fn city_option_charts_another_city() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["run", "--city", "Paris", "--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "city,year,score,rank,city_share,region_share,national_share\n",
        ));
    assert!(out.path().join("charts/trajectory-paris.png").exists());
    // London's reference ranks are London's: not on Paris's trajectory.
    let paris = fs::read_to_string(out.path().join("charts/trajectory-paris.svg")).unwrap();
    assert!(
        paris.contains("Paris&apos;s rank among world cities"),
        "{paris}"
    );
    assert!(!paris.contains("starting point") && !paris.contains("Dashed"));
}

#[test]
fn rejects_an_unknown_city_with_exit_code_2() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["run", "--city", "Atlantis", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: city `Atlantis` is not among the world cities scored",
        ));
    assert_eq!(
        fs::read_dir(out.path()).unwrap().count(),
        0,
        "a failed run wrote files"
    );
}

#[test]
fn rejects_a_missing_framework_file_naming_it() {
    healthy_city()
        .args(["run", "--framework", "no/such/framework.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/framework.toml"));
}

#[test]
fn rejects_a_framework_that_names_an_unknown_indicator() {
    let dir = TempDir::new().unwrap();
    let framework = framework_copy(dir.path(), |t| t.replace("id = \"no2\"", "id = \"no3\""));
    let out = dir.path().join("out");
    healthy_city()
        .args(["run", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "indicator `no3` is not in the catalogue",
        ))
        .stderr(predicate::str::contains("framework.toml:"));
    assert!(!out.exists(), "a failed run created its output folder");
}

#[test]
fn rejects_a_framework_whose_weights_are_negative() {
    let dir = TempDir::new().unwrap();
    let framework = framework_copy(dir.path(), |t| {
        t.replace(
            "id = \"pm10\"\nparent = \"environment\"",
            "id = \"pm10\"\nparent = \"environment\"\nweight = -1",
        )
    });
    healthy_city()
        .args(["validate", "--framework"])
        .arg(&framework)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`pm10` has weight -1: weights must be finite, not negative and at most 1e12",
        ));
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_untouched() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("ranking.csv"), "previous run\n").unwrap();
    // A geometric index on a 0-100 scale meets a zero score and, with `nonpositive =
    // "error"`, fails while scoring.
    let framework = framework_copy(dir.path(), |t| {
        t.replace(
            "aggregation = \"arithmetic\"",
            "aggregation = \"geometric\"\nnonpositive = \"error\"",
        )
    });
    healthy_city()
        .args(["run", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("geometric mean"))
        .stderr(predicate::str::contains("scale = [1, 100]"));
    assert_eq!(
        fs::read_to_string(out.join("ranking.csv")).unwrap(),
        "previous run\n"
    );
    assert_eq!(fs::read_dir(&out).unwrap().count(), 1);
}

#[test]
fn rejects_observations_with_a_value_that_is_not_a_number() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("bad.csv");
    fs::write(&data, "city,indicator,year,value,source,flag\nlondon,pm25,2019,11.4,s,\nlondon,pm10,2019,high,s,\n").unwrap();
    healthy_city()
        .args(["validate", "--data"])
        .arg(&data)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.csv:3: city `london`, indicator `pm10`, year 2019: value `high` is not a number",
        ));
}

#[test]
fn validate_accepts_the_embedded_defaults() {
    healthy_city()
        .arg("validate")
        .assert()
        .success()
        .stderr(predicate::str::starts_with(
            "ok: `<embedded>/indicators/frameworks/healthy-city.toml`",
        ));
}

#[test]
fn ingest_rejects_a_missing_data_folder() {
    let dir = TempDir::new().unwrap();
    healthy_city()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["ingest", "--from", "/no/such/data", "--out"])
        .arg(dir.path().join("snapshot"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`/no/such/data` does not exist"));
    assert!(!dir.path().join("snapshot").exists());
}

/// The publishers' files (`../shared/data` from the project's root, or `HEALTHY_CITY_DATA`).
/// Tests that need them skip with a notice when the folder is absent, unless
/// `HEALTHY_CITY_REQUIRE_DATA=1` (as in CI), where its absence is a failure.
#[allow(clippy::print_stderr)]
fn shared_data() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("HEALTHY_CITY_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
        std::path::PathBuf::from,
    );
    if path.is_dir() {
        Some(path)
    } else if std::env::var("HEALTHY_CITY_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!(
            "HEALTHY_CITY_REQUIRE_DATA=1 but the data folder `{}` is absent",
            path.display()
        );
    } else {
        eprintln!(
            "skipped: this test needs the publishers' files at `{}` (or HEALTHY_CITY_DATA)",
            path.display()
        );
        None
    }
}

#[test]
fn lenstore_framework_reproduces_all_44_published_ranks() {
    let Some(data) = shared_data() else { return };
    let published = read_csv(&data.join("rankings/lenstore_healthy_lifestyle_city_2021.csv"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cities = healthy_city_model::Cities::load(&root.join("indicators/cities.toml")).unwrap();
    let out = TempDir::new().unwrap();
    let output = healthy_city()
        .args(["run", "--format", "csv", "--city", "London", "--framework"])
        .arg(root.join("indicators/frameworks/lenstore-2021.toml"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ours: std::collections::HashMap<String, String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0].to_string(), fields[3].to_string())
        })
        .collect();
    assert_eq!(published.len(), 44);
    assert_eq!(ours.len(), 44, "{ours:?}");
    for row in &published {
        let city = cities
            .by_alias("lenstore", &row[0])
            .unwrap_or_else(|| panic!("{} has no lenstore alias", row[0]));
        assert_eq!(
            ours.get(&city.id),
            Some(&row[1]),
            "{}: published rank {}",
            row[0],
            row[1]
        );
    }
}

#[test]
fn ingest_from_the_publishers_files_regenerates_the_committed_snapshot() {
    let Some(data) = shared_data() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = TempDir::new().unwrap();
    let snapshot = dir.path().join("snapshot");
    let report = dir.path().join("report");
    healthy_city()
        .current_dir(root)
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--out")
        .arg(&snapshot)
        .arg("--report")
        .arg(&report)
        .assert()
        .success()
        .stderr(predicate::str::contains("observations"))
        .stderr(predicate::str::contains(format!(
            "that matched no city (places and aggregates, every source) in {}",
            report.join("unmatched.csv").display()
        )));
    for file in ["observations.csv", "SOURCES.md"] {
        assert!(
            fs::read(snapshot.join(file)).unwrap() == fs::read(root.join("indicators/snapshot").join(file)).unwrap(),
            "{file} differs from indicators/snapshot/{file}: run `healthy-city ingest --from ../shared/data` and commit"
        );
    }
    assert_eq!(
        fs::read_dir(&snapshot).unwrap().count(),
        2,
        "the report stays out of the snapshot folder"
    );
    // Unmatched places of every kind of source, counted by hand in the publishers' files:
    // WHO AAP's London in Canada (6 PM2.5 values), the World Bank's world aggregate (63 years
    // of life expectancy), the GHO's GLOBAL rows of physical inactivity (23 years).
    let rows = read_csv(&report.join("unmatched.csv"));
    let find = |indicator: &str, code: &str| {
        rows.iter()
            .find(|r| r[1] == indicator && r[2] == code)
            .unwrap_or_else(|| panic!("no `{indicator}`, `{code}` in unmatched.csv"))
            .clone()
    };
    assert_eq!(
        find("pm25", "CAN/London"),
        ["who-aap-v5", "pm25", "CAN/London", "CAN", "place", "6"]
    );
    assert_eq!(
        find("life_expectancy", "WLD"),
        [
            "wdi-2025-01-28",
            "life_expectancy",
            "WLD",
            "",
            "aggregate",
            "63"
        ]
    );
    assert_eq!(
        find("physical_inactivity", "GLOBAL"),
        [
            "gho-odata",
            "physical_inactivity",
            "GLOBAL",
            "",
            "aggregate",
            "23"
        ]
    );
}

#[test]
fn ingest_refuses_a_report_folder_that_is_the_snapshot_folder() {
    let dir = TempDir::new().unwrap();
    let snapshot = dir.path().join("snapshot");
    healthy_city()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["ingest", "--from"])
        .arg(dir.path())
        .arg("--out")
        .arg(&snapshot)
        .arg("--report")
        .arg(&snapshot)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the snapshot folder"));
    assert!(!snapshot.exists());
}

#[test]
fn scoring_the_snapshot_as_parquet_gives_the_same_ranking_as_csv() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = TempDir::new().unwrap();
    let observations =
        healthy_city_model::Observations::load(&root.join("indicators/snapshot/observations.csv"))
            .unwrap();
    let parquet = dir.path().join("observations.parquet");
    observations
        .write_parquet(fs::File::create(&parquet).unwrap())
        .unwrap();
    let (from_csv, from_parquet) = (dir.path().join("csv"), dir.path().join("parquet"));
    healthy_city()
        .args(["run", "--out"])
        .arg(&from_csv)
        .assert()
        .success();
    healthy_city()
        .args(["run", "--data"])
        .arg(&parquet)
        .arg("--out")
        .arg(&from_parquet)
        .assert()
        .success();
    assert_eq!(
        fs::read(from_csv.join("ranking.csv")).unwrap(),
        fs::read(from_parquet.join("ranking.csv")).unwrap()
    );
}

#[test]
fn ingest_of_an_unreadable_workbook_names_it_and_leaves_the_snapshot_untouched() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    fs::create_dir_all(data.join("who-aap")).unwrap();
    fs::write(
        data.join("who-aap/who_aap_2021_v9_11august2022.xlsx"),
        b"not a workbook",
    )
    .unwrap();
    let snapshot = dir.path().join("snapshot");
    fs::create_dir_all(&snapshot).unwrap();
    fs::write(snapshot.join("observations.csv"), "previous\n").unwrap();
    healthy_city()
        .current_dir(root)
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--out")
        .arg(&snapshot)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "who_aap_2021_v9_11august2022.xlsx",
        ))
        .stderr(predicate::str::contains("not readable as an XLSX workbook"));
    assert_eq!(
        fs::read_to_string(snapshot.join("observations.csv")).unwrap(),
        "previous\n"
    );
    assert_eq!(fs::read_dir(&snapshot).unwrap().count(), 1);
}

#[test]
fn a_city_name_with_a_quote_and_a_comma_round_trips_through_compare_csv() {
    let dir = TempDir::new().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators");
    let cities = fs::read_to_string(root.join("cities.toml"))
        .unwrap()
        .replace("name = \"London\"", "name = 'London, \"Greater\"'");
    let cities_path = dir.path().join("cities.toml");
    fs::write(&cities_path, cities).unwrap();
    let framework = framework_copy(dir.path(), |t| {
        t.replace(
            &toml_string(&root.join("cities.toml")),
            &toml_string(&cities_path),
        )
    });
    let out = dir.path().join("out");
    healthy_city()
        .args([
            "compare",
            "--scenario",
            "equal-weights",
            "--city",
            "london",
            "--framework",
        ])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let text = fs::read_to_string(out.join("compare.csv")).unwrap();
    assert!(
        text.contains("london,\"London, \"\"Greater\"\"\","),
        "{text}"
    );
    let london: Vec<Vec<String>> = read_csv(&out.join("compare.csv"))
        .into_iter()
        .filter(|r| r[0] == "london")
        .collect();
    assert_eq!(london.len(), 1);
    assert_eq!(london[0][1], "London, \"Greater\"");
    assert_eq!(london[0].len(), 5, "city, name, two scenarios, shift");
}

#[test]
fn format_csv_and_json_print_the_table_of_the_commands_file() {
    let out = TempDir::new().unwrap();
    let csv = healthy_city()
        .args([
            "compare",
            "--scenario",
            "equal-weights",
            "--format",
            "csv",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Ranks in 2019 under each scenario",
        ))
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        fs::read_to_string(out.path().join("compare.csv")).unwrap()
    );
    let json = healthy_city()
        .args([
            "compare",
            "--scenario",
            "equal-weights",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json = String::from_utf8(json).unwrap();
    let rows = read_csv(&out.path().join("compare.csv"));
    assert_eq!(json.lines().count(), rows.len());
    let first = json.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{{\"city\":\"{}\",\"name\":\"{}\",\"nominal\":{},\"equal-weights\":{},\"largest_shift\":{}}}",
            rows[0][0], rows[0][1], rows[0][2], rows[0][3], rows[0][4]
        )
    );
}

#[test]
fn a_bad_option_value_is_a_usage_error_naming_the_flag() {
    let out = TempDir::new().unwrap();
    for (args, flag, says) in [
        (
            ["uncertainty", "--winmax", "5..2"],
            "--winmax",
            "the range 5..2 is empty",
        ),
        (["uncertainty", "--scale", "100,1"], "--scale", "L < U"),
        (
            ["path-to-first", "--cap", "pm25"],
            "--cap",
            "INDICATOR=VALUE",
        ),
        (
            ["uncertainty", "--normalisations", "minmax,nope"],
            "--normalisations",
            "nope",
        ),
        (
            ["uncertainty", "--normalisations", "minmax,zscore[10,0]"],
            "--normalisations",
            "positive `sd`",
        ),
        (
            ["weight-map", "--domains", "a,b"],
            "--domains",
            "exactly three",
        ),
    ] {
        healthy_city()
            .args(args)
            .arg("--out")
            .arg(out.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag))
            .stderr(predicate::str::contains(says));
    }
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}

#[path = "../crates/ingest/tests/support/mock.rs"]
mod mock;

mod ingest_fetch;

mod golden;

mod robustness;

mod score;

mod published;

mod report;

mod synth;

/// COINr's reference example (`HEALTHY_CITY_REFERENCE`, else `../reference` beside the data):
/// its iData and iMeta imported for 2024 into `dir/imported`, whose path is returned.
fn import_coinr_example(data: &Path, dir: &Path) -> std::path::PathBuf {
    let reference = std::env::var_os("HEALTHY_CITY_REFERENCE")
        .map_or_else(|| data.join("../reference"), std::path::PathBuf::from)
        .join("coinr");
    let imported = dir.join("imported");
    healthy_city()
        .args(["import", "coinr", "--year", "2024", "--idata"])
        .arg(reference.join("iData.csv"))
        .arg("--imeta")
        .arg(reference.join("iMeta.csv"))
        .arg("--out")
        .arg(&imported)
        .assert()
        .success();
    imported
}

#[test]
fn import_coinr_writes_a_framework_that_run_scores_as_coinr_does() {
    let Some(data) = shared_data() else { return };
    let reference = std::env::var_os("HEALTHY_CITY_REFERENCE")
        .map_or_else(|| data.join("../reference"), std::path::PathBuf::from)
        .join("coinr");
    let dir = TempDir::new().unwrap();
    let imported = import_coinr_example(&data, dir.path());
    // COINr's a_amean on min-max [1, 100] (aggregate/a_amean.csv): the same framework rescaled.
    let framework = imported.join("framework.toml");
    let text = fs::read_to_string(&framework).unwrap();
    assert!(
        text.contains("scale = [0, 100]"),
        "the imported framework's scale changed"
    );
    let text = text.replace("scale = [0, 100]", "scale = [1, 100]");
    fs::write(&framework, text).unwrap();
    let output = healthy_city()
        .args(["run", "--format", "csv", "--city", "LON", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ours: std::collections::HashMap<String, (f64, String)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f[0].to_string(), (f[2].parse().unwrap(), f[3].to_string()))
        })
        .collect();
    let expected = read_csv(&reference.join("aggregate/a_amean.csv"));
    let header: Vec<String> = csv::Reader::from_path(reference.join("aggregate/a_amean.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let (index, rank) = (
        header.iter().position(|h| h == "Index").unwrap(),
        header.iter().position(|h| h == "Rank_Index").unwrap(),
    );
    assert_eq!(ours.len(), 55);
    for row in &expected {
        let (score, our_rank) = &ours[&row[0].to_lowercase()];
        let theirs: f64 = row[index].parse().unwrap();
        // Tolerance 1e-9 (relative to the 1-100 scale): the same arithmetic in another order.
        assert!(
            (score - theirs).abs() < 1e-9,
            "{}: {score} vs COINr {theirs}",
            row[0]
        );
        assert_eq!(our_rank, &row[rank], "{}", row[0]);
    }
}

#[test]
fn audit_writes_its_five_tables_for_the_default_index() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["audit", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("2019"));
    for file in [
        "availability.csv",
        "skew_kurt.csv",
        "correlations.csv",
        "cronbach.csv",
        "pca.csv",
    ] {
        let rows = read_csv(&out.path().join("audit").join(file));
        assert!(!rows.is_empty(), "audit/{file} is empty");
    }
}

#[test]
fn audit_rejects_a_year_without_data_with_exit_code_2() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["audit", "--year", "1900", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1900"));
    assert!(!out.path().join("audit").exists());
}

#[test]
fn compare_writes_one_rank_column_per_scenario_and_the_largest_shift() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "compare",
            "--scenario",
            "equal-weights",
            "--scenario",
            "outcome-led",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("London"));
    let mut reader = csv::Reader::from_path(out.path().join("compare.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "city",
            "name",
            "nominal",
            "equal-weights",
            "outcome-led",
            "largest_shift"
        ]
    );
    let rows = read_csv(&out.path().join("compare.csv"));
    // The nominal column is `run`'s latest ranking: 1..n in order.
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row[2], (k + 1).to_string());
        let ranks: Vec<u32> = row[2..5].iter().map(|r| r.parse().unwrap()).collect();
        let shift = ranks.iter().max().unwrap() - ranks.iter().min().unwrap();
        assert_eq!(row[5], shift.to_string());
    }
    // The slope chart: a column per scenario; London, the default focus, named with its rank
    // at both ends.
    let svg = chart(out.path(), "compare");
    for label in ["nominal", "equal-weights", "outcome-led"] {
        assert!(svg.contains(&format!(">\n{label}\n<")), "{label} missing");
    }
    let london = rows.iter().find(|r| r[0] == "london").unwrap();
    for label in [
        format!("London  {}", london[2]),
        format!("{}  London", london[4]),
    ] {
        assert!(svg.contains(&format!(">\n{label}\n<")), "{label} missing");
    }
}

#[test]
fn compare_highlights_the_city_given_and_refuses_an_unknown_one() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "compare",
            "--scenario",
            "equal-weights",
            "--city",
            "paris",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    assert!(chart(out.path(), "compare").contains("Paris: "));
    let empty = TempDir::new().unwrap();
    healthy_city()
        .args(["compare", "--city", "Atlantis", "--out"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "city `Atlantis` is not among the world cities compared",
        ));
    assert_eq!(fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn a_scenario_naming_an_unknown_node_is_rejected_with_its_file_line_and_key() {
    let dir = TempDir::new().unwrap();
    let scenario = dir.path().join("bad.toml");
    fs::write(
        &scenario,
        "[scenario]\nid = \"bad\"\nname = \"Bad\"\n\n[weights]\nairr = 2\n",
    )
    .unwrap();
    healthy_city()
        .args(["compare", "--out"])
        .arg(dir.path().join("out"))
        .arg("--scenario")
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.toml:6: weights.airr: `airr` is not a node",
        ));
    assert!(!dir.path().join("out/compare.csv").exists());
}

#[test]
fn uncertainty_gives_byte_identical_files_with_one_thread_or_two() {
    let run = |threads: &str| {
        let out = TempDir::new().unwrap();
        healthy_city()
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "uncertainty",
                "--runs",
                "3000",
                "--seed",
                "9",
                "--dirichlet",
                "30",
                "--leave-one-out",
                "--winmax",
                "0..5",
                "--write-replications",
                "--out",
            ])
            .arg(out.path())
            .assert()
            .success();
        (
            fs::read(out.path().join("uncertainty.csv")).unwrap(),
            fs::read(out.path().join("uncertainty-runs.csv")).unwrap(),
            fs::read(out.path().join("uncertainty-replications.csv")).unwrap(),
        )
    };
    let (one, two) = (run("1"), run("2"));
    assert!(one == two, "outputs differ between 1 and 2 threads");
    let text = String::from_utf8(one.0).unwrap();
    assert!(text.starts_with(
        "city,nominal_rank,mean_rank,median_rank,q05_rank,q95_rank,p_first,p_top3,target\n"
    ));
    assert_eq!(String::from_utf8(one.1).unwrap().lines().count(), 3001);
}

#[test]
fn the_runs_log_names_imputations_in_framework_syntax_not_the_program_s_internal_names() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "uncertainty",
            "--runs",
            "300",
            "--seed",
            "4",
            "--imputations",
        ])
        .arg("none,group_mean,latest")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let text = fs::read_to_string(out.path().join("uncertainty-runs.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "imputation").unwrap();
    let seen: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(column).unwrap())
        .collect();
    // 300 uniform draws among three choices: each is drawn (a miss has probability ~1e-53).
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["group_mean by region", "latest", "none"],
        "{text:.400}"
    );
}

#[test]
fn uncertainty_takes_normalisations_with_parameters_and_logs_them_in_the_same_syntax() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "uncertainty",
            "--runs",
            "200",
            "--seed",
            "3",
            "--normalisations",
        ])
        .arg("minmax[1,100],zscore[10,2]")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let path = out.path().join("uncertainty-runs.csv");
    let header = csv::Reader::from_path(&path)
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let column = header.iter().position(|h| h == "normalisation").unwrap();
    let seen: std::collections::BTreeSet<String> = read_csv(&path)
        .into_iter()
        .map(|row| row[column].clone())
        .collect();
    // 200 draws between two choices: both drawn (a miss has probability ~1e-60).
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["minmax[1,100]", "zscore[10,2]"]
    );
}

#[test]
fn uncertainty_of_a_domain_target_starts_from_the_domain_ranks_that_score_writes() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["score", "--no-charts", "--out"])
        .arg(out.path().join("score"))
        .assert()
        .success();
    let ranked: std::collections::BTreeMap<String, String> =
        read_csv(&out.path().join("score/scores.csv"))
            .into_iter()
            .filter(|r| r[1] == "2019" && r[2] == "outcomes" && !r[4].is_empty())
            .map(|r| (r[0].clone(), r[4].clone()))
            .collect();
    healthy_city()
        .args([
            "uncertainty",
            "--target",
            "outcomes",
            "--runs",
            "20",
            "--weight-noise",
            "0",
            "--out",
        ])
        .arg(out.path().join("u"))
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Rank uncertainty of `outcomes` in 2019",
        ));
    let rows = read_csv(&out.path().join("u/uncertainty.csv"));
    assert_eq!(rows.len(), ranked.len());
    for row in &rows {
        assert_eq!(row[8], "outcomes", "{row:?}");
        assert_eq!(Some(&row[1]), ranked.get(&row[0]), "{row:?}");
        // No noise: every replication ranks the domain as score does.
        assert_eq!(
            row[3].parse::<f64>().unwrap(),
            row[1].parse::<f64>().unwrap()
        );
    }
    // Not the index's ranking: the check compared something.
    let index: std::collections::BTreeMap<String, String> =
        read_csv(&out.path().join("score/scores.csv"))
            .into_iter()
            .filter(|r| r[1] == "2019" && r[2] == "index" && !r[4].is_empty())
            .map(|r| (r[0].clone(), r[4].clone()))
            .collect();
    assert!(rows.iter().any(|r| index.get(&r[0]) != Some(&r[1])));
    healthy_city()
        .args(["uncertainty", "--target", "nope", "--out"])
        .arg(out.path().join("bad"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--target: `nope` is not a node"));
}

#[test]
fn uncertainty_writes_every_replication_s_scores_and_ranks_that_the_statistics_summarise() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "uncertainty",
            "--runs",
            "300",
            "--seed",
            "5",
            "--target",
            "environment",
            "--write-replications",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stats = read_csv(&out.path().join("uncertainty.csv"));
    let path = out.path().join("uncertainty-replications.csv");
    let header = csv::Reader::from_path(&path)
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        ["replication", "city", "score", "rank"]
    );
    let rows = read_csv(&path);
    assert_eq!(rows.len(), 300 * stats.len());
    let n = stats.len();
    let mut by_run: std::collections::BTreeMap<usize, Vec<(f64, u32)>> =
        std::collections::BTreeMap::new();
    let mut by_city: std::collections::BTreeMap<String, Vec<f64>> =
        std::collections::BTreeMap::new();
    let mut unscored = 0;
    for r in &rows {
        let run: usize = r[0].parse().unwrap();
        // No score (leaving out the indicators a city has of the target): no rank, which the
        // statistics count as last.
        let rank = if r[2].is_empty() {
            assert_eq!(r[3], "", "{r:?}");
            unscored += 1;
            n as u32
        } else {
            let (score, rank) = (r[2].parse().unwrap(), r[3].parse().unwrap());
            by_run.entry(run).or_default().push((score, rank));
            rank
        };
        by_city
            .entry(r[1].clone())
            .or_default()
            .push(f64::from(rank));
    }
    assert!(unscored < rows.len() / 10, "{unscored}");
    assert_eq!(by_run.len(), 300);
    // Each replication's ranks are the competition ranks of its written scores.
    for cities in by_run.values() {
        for &(score, rank) in cities {
            let above = cities.iter().filter(|(s, _)| *s > score).count();
            assert_eq!(rank as usize, above + 1);
        }
    }
    // The mean of each city's written ranks (no rank: last) is its mean_rank (tolerance 1e-9).
    for row in &stats {
        let ranks = &by_city[&row[0]];
        assert_eq!(ranks.len(), 300);
        let mean = ranks.iter().sum::<f64>() / 300.0;
        assert!(
            (mean - row[2].parse::<f64>().unwrap()).abs() < 1e-9,
            "{row:?}"
        );
    }
    // Something varied.
    assert!(stats.iter().any(|r| r[4] != r[5]));
}

#[test]
fn uncertainty_over_two_weight_sets_ranks_every_replication_as_compare_ranks_one_of_them() {
    use std::collections::BTreeMap;
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "compare",
            "--scenario",
            "outcome-led",
            "--scenario",
            "pca-weights",
            "--out",
        ])
        .arg(out.path().join("compare"))
        .assert()
        .success();
    // compare.csv: city, name, nominal, outcome-led, pca-weights, largest_shift.
    let compare = read_csv(&out.path().join("compare/compare.csv"));
    let column = |k: usize| -> BTreeMap<String, String> {
        compare
            .iter()
            .map(|r| (r[0].clone(), r[k].clone()))
            .collect()
    };
    let expected = [("outcome-led", column(3)), ("pca-weights", column(4))];
    assert_ne!(expected[0].1, expected[1].1);
    healthy_city()
        .args([
            "uncertainty",
            "--runs",
            "40",
            "--weight-sets",
            "outcome-led,pca-weights",
            "--write-replications",
            "--out",
        ])
        .arg(out.path().join("u"))
        .assert()
        .success();
    let runs_path = out.path().join("u/uncertainty-runs.csv");
    let header = csv::Reader::from_path(&runs_path)
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let at = header.iter().position(|h| h == "weight_set").unwrap();
    let drawn: Vec<String> = read_csv(&runs_path)
        .into_iter()
        .map(|r| r[at].clone())
        .collect();
    let mut ranks: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); 40];
    for r in read_csv(&out.path().join("u/uncertainty-replications.csv")) {
        ranks[r[0].parse::<usize>().unwrap()].insert(r[1].clone(), r[3].clone());
    }
    let mut seen = BTreeMap::new();
    for (run, ranking) in ranks.iter().enumerate() {
        let (name, ranks) = expected
            .iter()
            .find(|(name, _)| *name == drawn[run])
            .unwrap_or_else(|| panic!("replication {run}: weight set `{}`", drawn[run]));
        assert_eq!(ranking, ranks, "replication {run} under {name}");
        *seen.entry(*name).or_insert(0) += 1;
    }
    // 40 draws between two: both drawn (a miss has probability 2^-39).
    assert_eq!(seen.len(), 2, "{seen:?}");
    let err = |sets: &str, says: &str| {
        healthy_city()
            .args(["uncertainty", "--weight-sets", sets, "--out"])
            .arg(out.path().join("bad"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says.to_string()));
    };
    err("outcome-led,nope", "--weight-sets: no scenario `nope`");
    err("outcome-led,outcome-led", "is given twice");
    let methods = out.path().join("methods.toml");
    fs::write(
        &methods,
        "[scenario]\nid = \"geo\"\nname = \"Geo\"\n[weights]\noutcomes = 2\n[methods]\nscale = [1, 100]\n",
    )
    .unwrap();
    err(
        &format!("outcome-led,{}", methods.display()),
        "the scenario `geo`",
    );
    healthy_city()
        .args([
            "uncertainty",
            "--weight-sets",
            "outcome-led",
            "--weight-noise",
            "0.1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn uncertainty_without_noise_keeps_every_city_at_its_nominal_rank() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "uncertainty",
            "--runs",
            "50",
            "--weight-noise",
            "0",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    for row in read_csv(&out.path().join("uncertainty.csv")) {
        for value in &row[2..6] {
            assert_eq!(
                value.parse::<f64>().unwrap(),
                row[1].parse::<f64>().unwrap(),
                "{row:?}"
            );
        }
    }
}

#[test]
fn sensitivity_and_uncertainty_reject_impossible_settings_with_exit_code_2() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["sensitivity", "--runs", "1", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--runs: Sobol indices need at least 2 runs",
        ));
    healthy_city()
        .args(["uncertainty", "--weight-noise", "1=1.5", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'--weight-noise <[LEVEL=]X>'"))
        .stderr(predicate::str::contains(
            "noise 1.5 at level 1 can make weights zero or negative",
        ));
    // The default z-score (mean 0) gives negative values: refused, saying where and how to
    // lift them.
    healthy_city()
        .args([
            "uncertainty",
            "--aggregations",
            "arithmetic,geometric",
            "--normalisations",
            "minmax,zscore",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--normalisations: the geometric mean needs positive values, but `zscore` normalisation gives -",
        ))
        .stderr(predicate::str::contains("in 2019"))
        .stderr(predicate::str::contains("zscore[100,10]"))
        .stderr(predicate::str::contains("--scale 1,100"));
    assert!(!out.path().join("uncertainty.csv").exists());
}

#[test]
fn uncertainty_takes_a_geometric_mean_of_z_scores_that_stay_positive() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "uncertainty",
            "--runs",
            "100",
            "--aggregations",
            "arithmetic,geometric",
            "--normalisations",
            "zscore[100,10],rank",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let rows = read_csv(&out.path().join("uncertainty-runs.csv"));
    assert_eq!(rows.len(), 100);
    assert!(rows
        .iter()
        .any(|r| r[2] == "zscore[100,10]" && r[3] == "geometric"));
}

#[test]
fn sensitivity_writes_first_order_and_total_effect_indices_per_input() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "sensitivity",
            "--runs",
            "64",
            "--bootstrap",
            "50",
            "--weight-noise",
            "0.25",
            "--leave-one-out",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let rows = read_csv(&out.path().join("sensitivity.csv"));
    let inputs: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(inputs, ["weights", "leave_one_out"]);
    for row in &rows {
        let v: Vec<f64> = row[1..].iter().map(|x| x.parse().unwrap()).collect();
        assert!(v.iter().all(|x| x.is_finite()), "{row:?}");
        assert!(v[1] <= v[2] && v[4] <= v[5], "intervals in order: {row:?}");
    }
    // The chart names the output and each input.
    let svg = chart(out.path(), "sensitivity");
    assert!(svg.contains("mean absolute rank shift"));
    for input in ["weights", "leave one out"] {
        assert!(svg.contains(&format!(">\n{input}\n<")), "{input} missing");
    }
}

#[test]
fn path_to_first_puts_london_first_when_rescored() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["path-to-first", "--city", "London", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("-> 1,"));
    let rows = read_csv(&out.path().join("path-to-first.csv"));
    // Every indicator London has a value of in 2019: ten, its region's life expectancy (the
    // first of that indicator's two sources) stopping in 2018.
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r[0] != "life_expectancy"));
    for row in &rows {
        let v: Vec<f64> = row[1..6].iter().map(|x| x.parse().unwrap()).collect();
        // target = current + change, effort in [0, 1], never beyond the limit.
        assert!(
            (v[0] + v[2] - v[1]).abs() < 1e-6 * v[1].abs().max(1.0),
            "{row:?}"
        );
        assert!((0.0..=1.0 + 1e-12).contains(&v[3]), "{row:?}");
    }
    // The catalogue's level: obesity is the country's value, PM2.5 the city's (WHO AAP).
    let level = |id: &str| rows.iter().find(|r| r[0] == id).unwrap()[6].clone();
    assert_eq!(level("obesity"), "national");
    assert_eq!(level("pm25"), "city");
    // The chart: a bar per indicator that moves, named from the catalogue.
    let svg = chart(out.path(), "path-to-first");
    assert!(svg.contains("what would it take for London to rank first?"));
    let moving = rows.iter().filter(|r| r[3] != "0").count();
    assert!(moving > 0);
    assert_eq!(
        svg.matches("\u{2192}").count(),
        moving + 3,
        "a label per bar, three in the subtitle"
    );
    assert!(svg.contains("Prevalence of obesity among adults"));

    // In 2018 London's life expectancy is its region's (the catalogue lists the region's
    // source first): the level column says the value's own level, not the indicator's farthest.
    let out = TempDir::new().unwrap();
    healthy_city()
        .args([
            "path-to-first",
            "--city",
            "London",
            "--year",
            "2018",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let rows = read_csv(&out.path().join("path-to-first.csv"));
    let level = |id: &str| rows.iter().find(|r| r[0] == id).unwrap()[6].clone();
    assert_eq!(level("life_expectancy"), "region");
    assert_eq!(level("infant_mortality"), "national");
}

#[test]
fn the_weight_map_at_the_nominal_weights_names_runs_first_city() {
    let out = TempDir::new().unwrap();
    let run = healthy_city()
        .args(["run", "--format", "csv", "--out"])
        .arg(out.path().join("run"))
        .output()
        .unwrap();
    let first = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    // Step 1/30: the nominal equal thirds lie on the grid.
    healthy_city()
        .args([
            "weight-map",
            "--domains",
            "outcomes,environment,services",
            "--step",
        ])
        .arg((1.0f64 / 30.0).to_string())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let rows = read_csv(&out.path().join("weight-map.csv"));
    assert_eq!(rows.len(), 31 * 32 / 2);
    let nominal = rows
        .iter()
        .find(|r| {
            r[..3]
                .iter()
                .all(|w| (w.parse::<f64>().unwrap() - 1.0 / 3.0).abs() < 1e-9)
        })
        .unwrap();
    assert_eq!(nominal[3], first);
    // The ternary chart: the three domains at the corners, the nominal weights marked.
    let svg = chart(out.path(), "weight-map");
    for label in [
        "Health outcomes",
        "Environment",
        "Health services",
        "Nominal weights",
    ] {
        assert!(svg.contains(&format!(">\n{label}\n<")), "{label} missing");
    }
}

#[test]
fn run_reports_each_indicators_effective_weight_in_the_index() {
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["run", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let rows = read_csv(&out.path().join("weights.csv"));
    let effective = |id: &str| -> f64 {
        rows.iter().find(|r| r[0] == id).unwrap()[3]
            .parse()
            .unwrap()
    };
    // Five equal domains; homicide is safety's only indicator, pm25 one of three in environment.
    assert!((effective("index") - 1.0).abs() < 1e-12);
    assert!((effective("homicide") - 0.2).abs() < 1e-12);
    assert!((effective("pm25") - 0.2 / 3.0).abs() < 1e-12);
    let indicators: f64 = rows
        .iter()
        .filter(|r| r[1] == "1")
        .map(|r| r[3].parse::<f64>().unwrap())
        .sum();
    assert!((indicators - 1.0).abs() < 1e-12);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_long_uncertainty_run_without_writing_a_file() {
    let out = TempDir::new().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("healthy-city");
    let child = std::process::Command::new(bin)
        .args(["uncertainty", "--runs", "100000000", "--out"])
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the staging folder exists the replications are about to start: a moment later the
    // signal finds the loop running (before it, the command stops at once, without saying how
    // far it got).
    let start = std::time::Instant::now();
    while fs::read_dir(out.path()).unwrap().count() == 0 {
        assert!(
            start.elapsed().as_secs() < 120,
            "no staging folder appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted after"), "{stderr}");
    // Nothing written, not even the staging folder.
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn run_writes_what_winsorising_did_when_the_framework_treats_outliers() {
    let dir = TempDir::new().unwrap();
    let framework = framework_copy(dir.path(), |t| {
        t.replace(
            "missing = \"skip\"",
            "missing = \"skip\"\ntreatment = \"winsorise\"",
        )
    });
    let out = dir.path().join("out");
    healthy_city()
        .args(["run", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let rows = read_csv(&out.join("treatment.csv"));
    // One row per indicator of the default index, pooled over the panel (no year).
    assert_eq!(rows.len(), 11);
    for row in &rows {
        assert_eq!((row[1].as_str(), row[2].as_str()), ("", "winsorise"));
        // A failing indicator was winsorised (points listed) or logged.
        if row[5] == "false" {
            assert!(row[9] != "0" || row[10] == "true", "{row:?}");
        }
    }
}

#[test]
fn import_coinr_without_a_time_column_or_year_names_the_year_flag() {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("iData.csv"),
        "uCode,uName,X1\nA,Alpha,1\nB,Beta,2\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("iMeta.csv"),
        "Level,iCode,Direction,Weight,Parent,Type\n1,X1,1,1,Index,Indicator\n2,Index,1,1,,Aggregate\n",
    )
    .unwrap();
    // The library names the setting ("the year the values refer to"); the CLI adds its flag.
    healthy_city()
        .current_dir(dir.path())
        .args(["import", "coinr", "--idata", "iData.csv", "--imeta", "iMeta.csv", "--out", "imported"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no `Time` column: give the year the values refer to (e.g. 2023) (give it with `--year`)",
        ));
    assert!(!dir.path().join("imported/framework.toml").exists());
}

/// `sensitivity --target NODE`: a domain's score does not depend on the weights of the
/// domains (level 1), so with only those weights uncertain its ranks never move and both
/// Sobol indices are exactly 0; the index's ranks do move with them.
#[test]
fn sensitivity_of_a_domain_target_is_zero_for_the_domains_own_weights() {
    let indices = |target: Option<&str>| {
        let out = TempDir::new().unwrap();
        let mut command = healthy_city();
        command.args(["sensitivity", "--runs", "64", "--weight-noise", "1=0.25"]);
        if let Some(node) = target {
            command.args(["--target", node]);
        }
        command.arg("--out").arg(out.path()).assert().success();
        let rows = read_csv(&out.path().join("sensitivity.csv"));
        let weights = rows.iter().find(|r| r[0] == "weights").unwrap().clone();
        (
            weights[1].parse::<f64>().unwrap(),
            weights[4].parse::<f64>().unwrap(),
        )
    };
    assert_eq!(indices(Some("outcomes")), (0.0, 0.0));
    let (_, total) = indices(None);
    assert!(total > 0.0, "{total}");
}

#[test]
fn a_shipped_framework_is_named_by_its_id_and_an_unknown_name_is_refused_with_the_list() {
    let (by_id, by_path) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    healthy_city()
        .args(["run", "--framework", "lenstore-2021", "--out"])
        .arg(by_id.path())
        .assert()
        .success();
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators/frameworks/lenstore-2021.toml");
    healthy_city()
        .args(["run", "--framework"])
        .arg(&file)
        .arg("--out")
        .arg(by_path.path())
        .assert()
        .success();
    // The embedded copy and the file are the same framework on the same data.
    assert_eq!(
        fs::read(by_id.path().join("ranking.csv")).unwrap(),
        fs::read(by_path.path().join("ranking.csv")).unwrap()
    );
    let out = TempDir::new().unwrap();
    healthy_city()
        .args(["run", "--framework", "europe-2030", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: no framework file `europe-2030` and no shipped framework of that name: give a framework file's path, or one of the shipped frameworks `healthy-city`, `lenstore-2021`",
        ));
    assert!(
        fs::read_dir(out.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

/// The European index's floors (issue 14), on the embedded registry, catalogue and snapshot:
/// at least 400 cities ranked in each of at least 10 years, no national value anywhere, at least
/// 60% of every ranked city's score from its own (city-level) values, London ranked in at least
/// 10 years. Shares are compared with a tolerance of 1e-9 (they are sums of weight fractions).
#[test]
fn the_european_index_meets_its_floors_on_the_embedded_data() {
    let dir = TempDir::new().unwrap();
    healthy_city()
        .args(["run", "--framework", "europe", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "European Healthy City Index, 2020",
        ));
    let rows = read_csv(&dir.path().join("ranking.csv"));
    let mut per_year = std::collections::BTreeMap::<String, usize>::new();
    let mut london_years = 0;
    for row in &rows {
        // city, year, score, rank, city_share, region_share, national_share
        assert_eq!(
            row[6].parse::<f64>().unwrap(),
            0.0,
            "a national value: {row:?}"
        );
        if row[3].is_empty() {
            continue;
        }
        *per_year.entry(row[1].clone()).or_default() += 1;
        let own: f64 = row[4].parse().unwrap();
        assert!(
            own >= 0.6 - 1e-9,
            "{row:?}: {own} of the score is the city's own"
        );
        if row[0] == "london" {
            london_years += 1;
        }
    }
    let full_years = per_year.values().filter(|&&n| n >= 400).count();
    assert!(
        full_years >= 10,
        "years with 400 or more cities ranked: {per_year:?}"
    );
    assert!(london_years >= 10, "London ranked in {london_years} years");
    // Hundreds of ranks on the trajectory's axis: a round step, not one label per rank.
    let svg = chart(dir.path(), "trajectory-london");
    let ticks = svg.matches("th</text>").count() + svg.matches("st</text>").count();
    assert!(ticks <= 40, "{ticks} rank labels on London's trajectory");
}

#[test]
fn import_urban_audit_regenerates_the_committed_european_registry() {
    let Some(data) = shared_data() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("cities.toml");
    healthy_city()
        .current_dir(root)
        .args(["import", "urban-audit", "--metadata"])
        .arg(data.join("masselot-854-cities/metadata.csv.gz"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote 854 cities"));
    assert!(
        fs::read(&out).unwrap() == fs::read(root.join("indicators/europe/cities.toml")).unwrap(),
        "indicators/europe/cities.toml differs: run `healthy-city import urban-audit --metadata ../shared/data/masselot-854-cities/metadata.csv.gz` and commit"
    );
    let cities = healthy_city_model::Cities::load(&out).unwrap();
    // The traps: NL002C is Alkmaar, not Amsterdam; Frankfurt is Frankfurt am Main (DE005C), and
    // Frankfurt (Oder) keeps its qualifier; London keeps the world registry's id.
    let id = |code: &str| cities.by_alias("eurostat", code).unwrap().id.clone();
    assert_eq!(id("NL002C"), "alkmaar");
    assert_eq!(id("NL001C"), "amsterdam");
    assert_eq!(id("DE005C"), "frankfurt");
    assert_eq!(id("DE027C"), "frankfurt-oder");
    assert_eq!(id("UK001C"), "london");
    let london = cities.get("london").unwrap();
    assert_eq!(london.coordinates, Some((51.5073, -0.1276)));
}

#[test]
fn ingest_regenerates_the_committed_european_snapshot() {
    let Some(data) = shared_data() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = TempDir::new().unwrap();
    let snapshot = dir.path().join("snapshot");
    healthy_city()
        .current_dir(root)
        .args(["ingest", "--cities", "indicators/europe/cities.toml"])
        .args(["--catalogue", "indicators/europe/catalogue.toml", "--from"])
        .arg(&data)
        .arg("--out")
        .arg(&snapshot)
        .arg("--report")
        .arg(dir.path().join("report"))
        .assert()
        .success()
        .stderr(predicate::str::contains("48 confidential cells"));
    for file in ["observations.csv", "SOURCES.md"] {
        assert!(
            fs::read(snapshot.join(file)).unwrap()
                == fs::read(root.join("indicators/europe/snapshot").join(file)).unwrap(),
            "{file} differs from indicators/europe/snapshot/{file}: rebuild it (README, London among European cities) and commit"
        );
    }
    // Urban Audit codes outside the registry's 854 cities are listed with their row counts,
    // never dropped silently or matched by name: the country total `UK` (6 infant-death
    // values) and the city code `ES008C` (24; not among the Masselot panel's cities).
    let unmatched = read_csv(&dir.path().join("report/unmatched.csv"));
    for (code, rows) in [("UK", "6"), ("ES008C", "24")] {
        assert!(
            unmatched
                .iter()
                .any(|r| r[1] == "infant_mortality" && r[2] == code && r[5] == rows),
            "{code} is not listed in unmatched.csv with {rows} rows"
        );
    }
    // London's values against the files: PM2.5 2019 11.7079610824585 (metacityyear.csv.gz),
    // infant deaths 2018 383 and live births 2018 (estat_urb_cfermor_en.csv), life expectancy
    // 2018 83.0238095238095, a regional value.
    let rows = read_csv(&snapshot.join("observations.csv"));
    let value = |indicator: &str, year: &str| {
        rows.iter()
            .find(|r| r[0] == "london" && r[1] == indicator && r[2] == year)
            .unwrap_or_else(|| panic!("no London {indicator} {year}"))
            .clone()
    };
    assert_eq!(value("pm25", "2019")[3], "11.7079610824585");
    assert_eq!(value("infant_mortality", "2018")[3], "383");
    let le = value("life_expectancy", "2018");
    assert_eq!(
        (le[3].as_str(), le[8].as_str()),
        ("83.0238095238095", "region")
    );
}
