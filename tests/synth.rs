//! End-to-end tests of the hidden `healthy-city synth`: the panel is deterministic, misses
//! the share asked for, scores the same from Parquet and CSV, and has the structure the scale
//! measurements of issue 16 rely on (winsorised indicators, national values per country).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::{healthy_city, read_csv};

const FILES: [&str; 4] = [
    "framework.toml",
    "cities.toml",
    "catalogue.toml",
    "observations.parquet",
];

/// `synth --cities 30 --indicators 12 --years 5` with `seed` (and `extra` flags) into `out`.
fn synth(out: &Path, seed: u64, extra: &[&str]) {
    healthy_city()
        .args([
            "synth",
            "--cities",
            "30",
            "--indicators",
            "12",
            "--years",
            "5",
        ])
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// `run --framework DIR/framework.toml --no-charts` (with `extra` flags) into `out`.
fn run(panel: &Path, out: &Path, extra: &[&str]) {
    healthy_city()
        .args(["run", "--no-charts", "--framework"])
        .arg(panel.join("framework.toml"))
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn synth_gives_the_same_bytes_for_a_seed_and_other_observations_for_another() {
    let dir = TempDir::new().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    synth(&a, 7, &[]);
    synth(&b, 7, &[]);
    synth(&c, 8, &[]);
    for name in FILES {
        assert_eq!(
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
            "{name} differs between two runs with seed 7"
        );
    }
    assert_ne!(
        fs::read(a.join("observations.parquet")).unwrap(),
        fs::read(c.join("observations.parquet")).unwrap(),
        "seeds 7 and 8 gave the same observations"
    );
    assert!(
        !a.join("observations.csv").exists(),
        "CSV written without --csv"
    );
}

#[test]
fn synth_misses_the_share_of_values_asked_for_within_three_points() {
    let dir = TempDir::new().unwrap();
    for missing in ["0.05", "0.10", "0.20"] {
        let out = dir.path().join(missing);
        synth(&out, 7, &["--missing", missing, "--csv"]);
        let rows = read_csv(&out.join("observations.csv")).len();
        let cells = 30 * 12 * 5;
        let share = 1.0 - rows as f64 / f64::from(cells);
        let asked: f64 = missing.parse().unwrap();
        assert!(
            (share - asked).abs() <= 0.03,
            "asked {asked}, {rows} of {cells} values present: {share:.3} missing"
        );
    }
}

#[test]
fn a_synthetic_panel_ranks_the_same_from_parquet_and_from_csv() {
    let dir = TempDir::new().unwrap();
    let panel = dir.path().join("panel");
    synth(&panel, 7, &["--csv"]);
    let (parquet, csv) = (dir.path().join("parquet"), dir.path().join("csv"));
    run(&panel, &parquet, &[]);
    let data = panel.join("observations.csv");
    run(&panel, &csv, &["--data", data.to_str().unwrap()]);
    for name in ["ranking.csv", "scores.csv"] {
        let from_parquet = fs::read(parquet.join(name)).unwrap();
        assert!(
            read_csv(&parquet.join(name)).len() > 30,
            "{name} is nearly empty"
        );
        assert_eq!(
            from_parquet,
            fs::read(csv.join(name)).unwrap(),
            "{name} differs between the Parquet and the CSV observations"
        );
    }
}

#[test]
fn a_synthetic_panel_has_winsorised_indicators_and_one_national_value_per_country_and_year() {
    let dir = TempDir::new().unwrap();
    let panel = dir.path().join("panel");
    synth(&panel, 7, &["--csv"]);
    let out = dir.path().join("out");
    run(&panel, &out, &[]);

    // treatment.csv: indicator,year,treatment,...,nwin (values winsorised).
    let treatment = read_csv(&out.join("treatment.csv"));
    let winsorised: Vec<&str> = treatment
        .iter()
        .filter(|r| r[2] == "winsorise" && r[9].parse::<usize>().unwrap() > 0)
        .map(|r| r[0].as_str())
        .collect();
    assert!(
        !winsorised.is_empty(),
        "no indicator winsorised: {treatment:?}"
    );

    let cities = fs::read_to_string(panel.join("cities.toml")).unwrap();
    let country: BTreeMap<String, String> = cities
        .split("[[city]]")
        .skip(1)
        .map(|block| {
            let field = |key: &str| {
                let line = block.lines().find(|l| l.starts_with(key)).unwrap();
                line.split('"').nth(1).unwrap().to_string()
            };
            (field("id ="), field("country ="))
        })
        .collect();
    let countries: BTreeSet<&String> = country.values().collect();
    assert!(countries.len() >= 2, "one country only: {countries:?}");

    // observations: city,indicator,year,value,source,flag,low,high,level.
    let mut national: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for row in read_csv(&panel.join("observations.csv")) {
        if row[8] == "national" {
            assert_eq!(
                row[5], "proxy",
                "a national value not flagged proxy: {row:?}"
            );
            national
                .entry((row[1].clone(), country[&row[0]].clone(), row[2].clone()))
                .or_default()
                .insert(row[3].clone());
        }
    }
    let indicators: BTreeSet<&String> = national.keys().map(|(i, _, _)| i).collect();
    assert!(!indicators.is_empty(), "no national indicator");
    for ((indicator, country, year), values) in &national {
        assert_eq!(
            values.len(),
            1,
            "{indicator} in {country} in {year} has several values: {values:?}"
        );
    }
    // Different countries get different values (not one constant).
    let per_indicator_year: BTreeSet<&BTreeSet<String>> = national.values().collect();
    assert!(per_indicator_year.len() > 1);
}

#[test]
fn a_synthetic_panel_scores_alike_in_memory_and_from_files_in_parquet_tables_and_csv_ones() {
    use polars::prelude::*;

    let dir = TempDir::new().unwrap();
    let panel = dir.path().join("panel");
    synth(&panel, 11, &["--csv"]);
    // From the Parquet observations to CSV tables, and from the CSV ones to Parquet tables.
    let (csv_out, parquet_out) = (dir.path().join("csv"), dir.path().join("parquet"));
    run(&panel, &csv_out, &[]);
    let data = panel.join("observations.csv");
    run(
        &panel,
        &parquet_out,
        &["--data", data.to_str().unwrap(), "--tables", "parquet"],
    );
    assert!(!parquet_out.join("scores.csv").exists());
    assert!(!csv_out.join("scores.parquet").exists());

    // The in-memory path: the library on the same files gives the same bytes as the command.
    let framework = healthy_city_model::Framework::load(&panel.join("framework.toml")).unwrap();
    let cities = healthy_city_model::Cities::load(&panel.join("cities.toml")).unwrap();
    let catalogue = healthy_city_model::Catalogue::load(&panel.join("catalogue.toml")).unwrap();
    let observations =
        healthy_city_model::Observations::load(&panel.join("observations.parquet")).unwrap();
    observations.validate(&cities, &catalogue).unwrap();
    let results =
        healthy_city_score::score(&framework, &catalogue, &cities, &observations).unwrap();
    assert_eq!(
        healthy_city_report::ranking_table(&results).to_csv(),
        fs::read_to_string(csv_out.join("ranking.csv")).unwrap()
    );
    assert_eq!(
        healthy_city_report::scores_table(&results).to_csv(),
        fs::read_to_string(csv_out.join("scores.csv")).unwrap()
    );

    // The Parquet tables hold the CSV tables' values exactly, typed: text, integers, floats.
    for name in ["ranking", "scores", "weights"] {
        let csv = read_csv(&csv_out.join(format!("{name}.csv")));
        let file = fs::File::open(parquet_out.join(format!("{name}.parquet"))).unwrap();
        let frame = ParquetReader::new(file).finish().unwrap();
        assert_eq!(frame.height(), csv.len(), "{name}: rows");
        assert!(frame.height() > 10, "{name} is nearly empty");
        let header = fs::read_to_string(csv_out.join(format!("{name}.csv"))).unwrap();
        let header: Vec<&str> = header.lines().next().unwrap().split(',').collect();
        let names: Vec<&str> = frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(names, header, "{name}: columns");
        for (j, column) in frame.columns().iter().enumerate() {
            for (i, row) in csv.iter().enumerate() {
                let cell = column.get(i).unwrap();
                let text = match cell {
                    AnyValue::Null => String::new(),
                    AnyValue::String(s) => s.to_string(),
                    AnyValue::StringOwned(s) => s.to_string(),
                    AnyValue::Int64(v) => v.to_string(),
                    AnyValue::Float64(v) => v.to_string(),
                    AnyValue::Boolean(v) => v.to_string(),
                    other => panic!("{name}: unexpected {other:?}"),
                };
                assert_eq!(text, row[j], "{name}: row {i}, column {}", header[j]);
            }
        }
    }
    let scores = ParquetReader::new(fs::File::open(parquet_out.join("scores.parquet")).unwrap())
        .finish()
        .unwrap();
    let types: Vec<String> = scores.dtypes().iter().map(ToString::to_string).collect();
    assert_eq!(types, ["str", "i64", "str", "f64", "i64"]);
}
