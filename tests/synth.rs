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
