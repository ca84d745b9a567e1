//! End-to-end tests of `healthy-city score` and what `run` shares with it: the intermediate
//! tables of a tiny framework computed by hand, the focus city, `--year`, `--scenario`,
//! rounded scores, `--no-charts` and the top-and-focus ranking chart.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use tempfile::TempDir;

use crate::{healthy_city, read_csv};

const CATALOGUE: &str = r#"
[[indicator]]
id = "x"
name = "Indicator x"
unit = "points"
direction = "higher"
level = "city"
source = { adapter = "table", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
[[indicator]]
id = "y"
name = "Indicator y"
unit = "points"
direction = "lower"
level = "city"
source = { adapter = "table", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
"#;

/// Three boroughs, two indicators, two years; c's 2020 value of y is missing.
const OBSERVATIONS: &str = "city,indicator,year,value,source,flag
a,x,2020,10,s,
a,y,2020,1,s,
b,x,2020,20,s,
b,y,2020,3,s,
c,x,2020,30,s,
a,x,2021,20,s,
a,y,2021,2,s,
b,x,2021,30,s,
b,y,2021,4,s,
c,x,2021,40,s,
c,y,2021,6,s,
";

const FRAMEWORK: &str = r#"
[index]
id = "boroughs"
name = "Borough index"

[data]
observations = "observations.csv"
cities = "cities.toml"
catalogue = "catalogue.toml"

[methods]
normalisation = "minmax"
bounds = "panel"
scale = [0, 1]
impute = "mean"

[[group]]
id = "index"

[[indicator]]
id = "x"
parent = "index"

[[indicator]]
id = "y"
parent = "index"
"#;

/// A registry of `ids` named by their id in upper case ("A").
fn registry(ids: &[String]) -> String {
    let mut text = String::new();
    for id in ids {
        let _ = writeln!(
            text,
            "[[city]]\nid = \"{id}\"\nname = \"{}\"\ncountry = \"GBR\"\nregion = \"Europe\"\nlatitude = 51.5\nlongitude = -0.1",
            id.to_uppercase()
        );
    }
    text
}

/// The tiny framework's four files in `dir`, its text edited by `edit`; the framework's path.
fn tiny(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    fs::write(dir.join("cities.toml"), registry(&ids)).unwrap();
    fs::write(dir.join("catalogue.toml"), CATALOGUE).unwrap();
    fs::write(dir.join("observations.csv"), OBSERVATIONS).unwrap();
    let path = dir.join("framework.toml");
    fs::write(&path, edit(FRAMEWORK.to_string())).unwrap();
    path
}

/// A data.csv row: indicator, city, year, raw, imputed (= treated), imputed_flag, normalised.
type DataRow = (
    &'static str,
    &'static str,
    &'static str,
    Option<f64>,
    f64,
    bool,
    f64,
);

fn number(text: &str) -> f64 {
    text.parse().unwrap()
}

// Tolerance 1e-12 for the hand computations (fractions such as 1/3 in binary).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn score_writes_every_intermediate_table_of_a_tiny_framework_as_computed_by_hand() {
    let dir = TempDir::new().unwrap();
    let framework = tiny(dir.path(), |t| t);
    let out = dir.path().join("out");
    // Scale 0-1: 3 - log10(1) = 3 decimals, and 2021's scores are distinct at 3.
    healthy_city()
        .args(["score", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Borough index, 2021"))
        .stdout(predicate::str::is_match(r"\n +1 +A +0\.567 ").unwrap())
        .stdout(predicate::str::is_match(r"\n +2 +B +0\.533 ").unwrap())
        .stdout(predicate::str::is_match(r"\n +3 +C +0\.500 ").unwrap());

    // Imputation (mean, year by year): c's 2020 y = (1 + 3) / 2 = 2.
    // Panel min-max to [0, 1]: x over 10..40, (x - 10) / 30; y (lower is better) over 1..6,
    // (6 - y) / 5. No transform or treatment: treated = imputed.
    let data = read_csv(&out.join("data.csv"));
    let header = fs::read_to_string(out.join("data.csv")).unwrap();
    assert!(header.starts_with(
        "indicator,city,year,raw,imputed,imputed_flag,impute_method,treated,normalised\n"
    ));
    let expected: [DataRow; 12] = [
        ("x", "a", "2020", Some(10.0), 10.0, false, 0.0),
        ("x", "a", "2021", Some(20.0), 20.0, false, 1.0 / 3.0),
        ("x", "b", "2020", Some(20.0), 20.0, false, 1.0 / 3.0),
        ("x", "b", "2021", Some(30.0), 30.0, false, 2.0 / 3.0),
        ("x", "c", "2020", Some(30.0), 30.0, false, 2.0 / 3.0),
        ("x", "c", "2021", Some(40.0), 40.0, false, 1.0),
        ("y", "a", "2020", Some(1.0), 1.0, false, 1.0),
        ("y", "a", "2021", Some(2.0), 2.0, false, 0.8),
        ("y", "b", "2020", Some(3.0), 3.0, false, 0.6),
        ("y", "b", "2021", Some(4.0), 4.0, false, 0.4),
        ("y", "c", "2020", None, 2.0, true, 0.8),
        ("y", "c", "2021", Some(6.0), 6.0, false, 0.0),
    ];
    assert_eq!(data.len(), expected.len());
    for (row, (indicator, city, year, raw, imputed, flag, normalised)) in data.iter().zip(expected)
    {
        assert_eq!((&*row[0], &*row[1], &*row[2]), (indicator, city, year));
        assert_eq!(row[3], raw.map_or_else(String::new, |v| v.to_string()));
        assert!(close(number(&row[4]), imputed), "{row:?}");
        assert_eq!(row[5], flag.to_string());
        assert_eq!(row[6], if flag { "mean" } else { "" }, "{row:?}");
        assert!(close(number(&row[7]), imputed), "{row:?}");
        assert!(close(number(&row[8]), normalised), "{row:?}");
    }

    // Index: the mean of x and y (equal weights).
    // 2020: a (0 + 1) / 2 = 0.5, b (1/3 + 0.6) / 2 = 0.4667, c (2/3 + 0.8) / 2 = 0.7333.
    // 2021: a (1/3 + 0.8) / 2 = 0.5667, b (2/3 + 0.4) / 2 = 0.5333, c (1 + 0) / 2 = 0.5.
    let ranking = read_csv(&out.join("ranking.csv"));
    let expected = [
        ("c", "2020", 2.2 / 3.0, "1"),
        ("a", "2020", 0.5, "2"),
        ("b", "2020", 1.4 / 3.0, "3"),
        ("a", "2021", 1.7 / 3.0, "1"),
        ("b", "2021", 1.6 / 3.0, "2"),
        ("c", "2021", 0.5, "3"),
    ];
    assert_eq!(ranking.len(), expected.len());
    for (row, (city, year, score, rank)) in ranking.iter().zip(expected) {
        assert_eq!(
            (&*row[0], &*row[1], &*row[3]),
            (city, year, rank),
            "{row:?}"
        );
        assert!(close(number(&row[2]), score), "{row:?}");
    }
    // scores.csv: every node; the indicators hold their normalised values.
    let scores = read_csv(&out.join("scores.csv"));
    assert_eq!(scores.len(), 2 * 3 * 3);
    let c2020_y = scores
        .iter()
        .find(|r| r[0] == "c" && r[1] == "2020" && r[2] == "y")
        .unwrap();
    assert!(close(number(&c2020_y[3]), 0.8));
    // weights.csv (COINr levels: indicators 1, the index 2): x and y weigh 1 each, half the
    // index each.
    let weights = fs::read_to_string(out.join("weights.csv")).unwrap();
    assert_eq!(
        weights,
        "node,level,weight,effective_weight\nindex,2,1,1\nx,1,1,0.5\ny,1,1,0.5\n"
    );
    // No treatment: the header only.
    let treatment = fs::read_to_string(out.join("treatment.csv")).unwrap();
    assert_eq!(treatment.lines().count(), 1);
    // No focus city: the ranking chart only.
    let charts: Vec<String> = fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut charts = charts;
    charts.sort();
    assert_eq!(charts, ["ranking.png", "ranking.svg"]);
}

#[test]
fn score_prints_the_year_asked_for_and_refuses_one_without_data() {
    let dir = TempDir::new().unwrap();
    let framework = tiny(dir.path(), |t| t);
    let out = dir.path().join("out");
    // 2020 as CSV: c 0.7333, a 0.5, b 0.4667 (see the hand computation above).
    let output = healthy_city()
        .args(["score", "--year", "2020", "--format", "csv", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "city,year,score,rank,city_share,region_share,national_share"
    );
    assert!(lines[1].starts_with("c,2020,0.73333"), "{text}");
    assert!(lines[2].starts_with("a,2020,0.5,2,"), "{text}");
    assert_eq!(lines.len(), 4);
    // The files hold both years whatever --year says.
    assert_eq!(read_csv(&out.join("ranking.csv")).len(), 6);
    healthy_city()
        .args(["score", "--year", "2019", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--year 2019: `"))
        .stderr(predicate::str::contains(
            "has no data in 2019: give one of its years (2020, 2021)",
        ));
}

#[test]
fn run_with_a_framework_that_has_no_london_and_names_no_focus_draws_the_ranking_only() {
    let dir = TempDir::new().unwrap();
    let framework = tiny(dir.path(), |t| t);
    let out = dir.path().join("out");
    healthy_city()
        .args(["run", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "London is not among the cities scored",
        ));
    assert!(out.join("charts/ranking.svg").is_file());
    assert!(!out.join("data.csv").exists(), "run writes no data.csv");
    let n = fs::read_dir(out.join("charts")).unwrap().count();
    assert_eq!(n, 2, "only the ranking chart");
    // An unknown --city is still an error.
    healthy_city()
        .args(["run", "--city", "Atlantis", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "city `Atlantis` is not among the cities scored",
        ));
}

#[test]
fn a_focus_named_by_the_framework_gets_its_trajectory_and_profile() {
    let dir = TempDir::new().unwrap();
    let framework = tiny(dir.path(), |t| {
        t.replace("[data]\n", "[data]\nfocus = \"B\"\n")
    });
    let out = dir.path().join("out");
    for command in ["score", "run"] {
        healthy_city()
            .args([command, "--framework"])
            .arg(&framework)
            .arg("--out")
            .arg(&out)
            .assert()
            .success()
            .stdout(predicate::str::is_match(r"\n +> 2 +B +0\.533 ").unwrap());
        let profile = fs::read_to_string(out.join("charts/profile-b.svg")).unwrap();
        assert!(profile.contains("B: strengths and weaknesses"), "{command}");
        assert!(out.join("charts/trajectory-b.svg").is_file(), "{command}");
    }
    // --city wins over the framework's focus.
    healthy_city()
        .args(["score", "--city", "c", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(dir.path().join("c"))
        .assert()
        .success();
    assert!(dir.path().join("c/charts/trajectory-c.svg").is_file());
    // A focus that is not scored names the key and the file.
    let wrong = tiny(dir.path(), |t| {
        t.replace("[data]\n", "[data]\nfocus = \"zz\"\n")
    });
    healthy_city()
        .args(["score", "--framework"])
        .arg(&wrong)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`[data] focus = \"zz\"` in `"))
        .stderr(predicate::str::contains("is not among the cities scored"));
}

#[test]
fn with_round_the_ranking_holds_the_rounded_score_and_the_unrounded_alongside() {
    let dir = TempDir::new().unwrap();
    let framework = tiny(dir.path(), |t| {
        t.replace("[methods]\n", "[methods]\nround = 1\n")
    });
    let out = dir.path().join("out");
    // 2021 rounded to 1 decimal: a 0.5667 -> 0.6, b 0.5333 -> 0.5, c 0.5 -> 0.5: b and c
    // tie at 2nd, shown with exactly one decimal.
    healthy_city()
        .args(["score", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"\n +1 +A +0\.6 ").unwrap())
        .stdout(predicate::str::is_match(r"\n +2 +B +0\.5 ").unwrap())
        .stdout(predicate::str::is_match(r"\n +2 +C +0\.5 ").unwrap());
    let text = fs::read_to_string(out.join("ranking.csv")).unwrap();
    assert!(
        text.starts_with(
            "city,year,score,score_unrounded,rank,city_share,region_share,national_share\n"
        ),
        "{text}"
    );
    let ranking = read_csv(&out.join("ranking.csv"));
    let y2021: Vec<&Vec<String>> = ranking.iter().filter(|r| r[1] == "2021").collect();
    let rows: Vec<(&str, &str, &str)> = y2021.iter().map(|r| (&*r[0], &*r[2], &*r[4])).collect();
    // Ties listed by city id.
    assert_eq!(
        rows,
        [("a", "0.6", "1"), ("b", "0.5", "2"), ("c", "0.5", "2")]
    );
    assert!(close(number(&y2021[0][3]), 1.7 / 3.0));
    assert!(close(number(&y2021[1][3]), 1.6 / 3.0));
    let scores = fs::read_to_string(out.join("scores.csv")).unwrap();
    assert!(scores.starts_with("city,year,node,score,score_unrounded,rank\n"));
}

#[test]
fn no_charts_writes_no_chart_folder_for_run_or_score() {
    let dir = TempDir::new().unwrap();
    let framework = tiny(dir.path(), |t| t);
    for command in ["run", "score"] {
        let out = dir.path().join(command);
        healthy_city()
            .args([command, "--no-charts", "--framework"])
            .arg(&framework)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        assert!(out.join("ranking.csv").is_file(), "{command}");
        assert!(!out.join("charts").exists(), "{command} wrote charts");
    }
    let out = dir.path().join("default");
    healthy_city()
        .args(["run", "--no-charts", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(!out.join("charts").exists());
}

#[test]
fn score_and_run_apply_a_scenario_before_scoring() {
    let dir = TempDir::new().unwrap();
    let framework = tiny(dir.path(), |t| t);
    let scenario = dir.path().join("x-led.toml");
    fs::write(
        &scenario,
        "[scenario]\nid = \"x-led\"\nname = \"x-led\"\n\n[weights]\nx = 3\ny = 1\n",
    )
    .unwrap();
    for command in ["score", "run"] {
        let out = dir.path().join(command);
        healthy_city()
            .args([command, "--scenario"])
            .arg(&scenario)
            .arg("--framework")
            .arg(&framework)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        // 2021 with x weighing 3 and y 1: a (3 (1/3) + 0.8) / 4 = 0.45, b (3 (2/3) + 0.4) / 4 =
        // 0.6, c (3 + 0) / 4 = 0.75: the order reverses.
        let ranking = read_csv(&out.join("ranking.csv"));
        let y2021: Vec<(&str, f64, &str)> = ranking
            .iter()
            .filter(|r| r[1] == "2021")
            .map(|r| (&*r[0], number(&r[2]), &*r[3]))
            .collect();
        assert_eq!(y2021.len(), 3);
        for ((city, score, rank), (c, s, r)) in
            y2021
                .iter()
                .zip([("c", 0.75, "1"), ("b", 0.6, "2"), ("a", 0.45, "3")])
        {
            assert_eq!((*city, *rank), (c, r), "{command}");
            assert!(close(*score, s), "{command}: {city} {score}");
        }
    }
    healthy_city()
        .args(["score", "--scenario", "no-such-scenario", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(dir.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no scenario `no-such-scenario`"));
}

#[test]
fn the_lenstore_index_on_its_zero_to_one_scale_shows_distinct_top_five_scores() {
    let framework =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("indicators/frameworks/lenstore-2021.toml");
    let dir = TempDir::new().unwrap();
    let output = healthy_city()
        .args(["score", "--no-charts", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    // Rows 3.. of the terminal table are the ranked cities; the score follows the name.
    let top: Vec<String> = text
        .lines()
        .skip(2)
        .take(5)
        .map(|line| {
            line.split_whitespace()
                .find(|w| w.starts_with("0."))
                .unwrap()
                .to_string()
        })
        .collect();
    let mut distinct = top.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "{top:?}");
    // 0-1 scale: at least 3 decimals ("0.691..."), not "0.7".
    assert!(top.iter().all(|s| s.len() >= 5), "{top:?}");
}

#[test]
fn a_ranking_of_seventy_units_becomes_a_top_and_focus_chart() {
    let dir = TempDir::new().unwrap();
    let ids: Vec<String> = (0..70).map(|k| format!("u{k:02}")).collect();
    let mut data = String::from("city,indicator,year,value,source,flag\n");
    for (k, id) in ids.iter().enumerate() {
        // x rises with k, y constant but one: the index falls as k falls, u69 first.
        let _ = write!(data, "{id},x,2021,{k},s,\n{id},y,2021,{},s,\n", 1 + k % 2);
    }
    let framework = tiny(dir.path(), |t| {
        t.replace("[data]\n", "[data]\nfocus = \"u10\"\n")
    });
    fs::write(dir.path().join("cities.toml"), registry(&ids)).unwrap();
    fs::write(dir.path().join("observations.csv"), data).unwrap();
    let out = dir.path().join("out");
    healthy_city()
        .args(["score", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let svg = fs::read_to_string(out.join("charts/ranking.svg")).unwrap();
    // x normalised k / 69, y 1 (odd k: y = 2, normalised 0; even k: 1): index
    // (k / 69 + [k even]) / 2, so the even units lead. u10 (even, 10/69 + 1) ranks among the
    // top 40 + its window? The evens 68, 66, ..., 0 take ranks 1-35: u10 is 30th, within
    // the top: the top runs on, no window gap, and the rest is one gap.
    assert!(
        svg.contains(
            "Showing the top 40; the other 30 are left out here, and ranking.csv lists every rank."
        ),
        "{svg}"
    );
    assert!(svg.contains("ranks 41 to 70: 30 not shown"), "{svg}");
    assert!(svg.contains("U10: 30th of 70"));
    assert!(!svg.contains(">\nU01\n<"), "u01 (last) is not drawn");
    // Height bounded: 41 rows, 320 + 28 * 41 = 1468 pixels.
    assert!(svg.contains("height=\"1468\""), "{}", &svg[..200]);
}

/// The minimal index of docs/formats.md (tests/data/minimal): `id,name` units, `id,direction`
/// indicators, `city,indicator,year,value` observations. Min-max over the panel to 0-100,
/// arithmetic mean. By hand: life (higher) 80..84, obesity (lower) 20..28:
/// Camden (82 - 80) / 4 = 50 and (28 - 20) / 8 = 100, index 75; Hackney 0 and 3 / 8 = 37.5,
/// 18.75; Islington 25 and 0, 12.5; Westminster 100 with no obesity value: half the weight,
/// below `city_min_share = 0.75`, so not ranked. Exact in binary floating point.
#[test]
fn a_minimal_index_of_three_csv_files_scores_with_every_intermediate_table() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let framework = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minimal/framework.toml");
    healthy_city()
        .args(["score", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Borough health, 2020: 3 of 4 boroughs ranked",
        ));
    assert_eq!(
        read_csv(&out.join("ranking.csv")),
        [
            // Every value the borough's own: the level breakdown 1, 0, 0.
            ["camden", "2020", "75", "1", "1", "0", "0"],
            ["hackney", "2020", "18.75", "2", "1", "0", "0"],
            ["islington", "2020", "12.5", "3", "1", "0", "0"],
        ]
    );
    let data = read_csv(&out.join("data.csv"));
    let normalised: Vec<(&str, &str, &str)> = data
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[8].as_str()))
        .collect();
    assert_eq!(
        normalised,
        [
            ("life", "camden", "50"),
            ("life", "hackney", "0"),
            ("life", "islington", "25"),
            ("life", "westminster", "100"),
            ("obesity", "camden", "100"),
            ("obesity", "hackney", "37.5"),
            ("obesity", "islington", "0"),
        ]
    );
    let indicators = read_csv(&out.join("indicators.csv"));
    assert_eq!(
        indicators[0],
        [
            "life",
            "life",
            "not given",
            "higher",
            "not given",
            "not given",
            "not given",
            "not given",
            "not given",
            "not given"
        ]
    );
    assert_eq!(indicators[1][3], "lower");
    let svg = fs::read_to_string(out.join("charts/ranking.svg")).unwrap();
    assert!(svg.contains("ranking of boroughs, 2020"), "{svg}");
    assert!(svg.contains("Source: not given (2 indicators)."), "{svg}");
}

/// Every problem of a minimal file is reported at once, each with its line, and nothing is
/// written.
#[test]
fn every_problem_of_a_minimal_registry_is_reported_at_once_with_exit_code_2() {
    let dir = TempDir::new().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minimal");
    for file in ["framework.toml", "indicators.csv", "observations.csv"] {
        fs::copy(source.join(file), dir.path().join(file)).unwrap();
    }
    fs::write(
        dir.path().join("boroughs.csv"),
        "id,name,latitude\ncamden,,51.5\nHackney,Hackney,north\nislington,Islington,\nwestminster,Westminster,\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    healthy_city()
        .args(["score", "--framework"])
        .arg(dir.path().join("framework.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("problems found"))
        .stderr(predicate::str::contains(
            "boroughs.csv:2: unit `camden` has no name",
        ))
        .stderr(predicate::str::contains(
            "boroughs.csv:3: city id `Hackney` must be lowercase",
        ))
        .stderr(predicate::str::contains(
            "boroughs.csv:3: `latitude` `north` is not a number",
        ));
    assert!(!out.exists());
}

/// The default index under a geometric mean on its 0-100 scale: every city that is the worst
/// of some indicator has a 0 there, so its year is left unscored (not the whole run aborted),
/// each listed in unscored.csv with its reason, and the rest are scored and ranked.
#[test]
fn a_geometric_index_meeting_zeros_leaves_those_city_years_unscored_and_says_why() {
    let dir = TempDir::new().unwrap();
    let framework = crate::framework_copy(dir.path(), |t| {
        t.replace(
            "aggregation = \"arithmetic\"",
            "aggregation = \"geometric\"",
        )
    });
    let out = dir.path().join("out");
    healthy_city()
        .args(["score", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(&out)
        .args(["--no-charts", "--format", "csv"])
        .assert()
        .success()
        .stderr(predicate::str::contains("left without a score"))
        .stderr(predicate::str::contains("see unscored.csv"));
    let unscored = read_csv(&out.join("unscored.csv"));
    assert!(!unscored.is_empty());
    let ranking = read_csv(&out.join("ranking.csv"));
    let scores = read_csv(&out.join("scores.csv"));
    for row in &unscored {
        // city, year, group, child, value, aggregation, reason
        assert_eq!(
            (row[4].as_str(), row[5].as_str()),
            ("0", "geometric"),
            "{row:?}"
        );
        assert!(row[6].contains("needs positive values"), "{row:?}");
        // Not ranked that year, and no index score in scores.csv.
        assert!(
            !ranking.iter().any(|r| r[0] == row[0] && r[1] == row[1]),
            "{row:?}"
        );
        assert!(scores
            .iter()
            .filter(|s| s[0] == row[0] && s[1] == row[1] && s[2] == "index")
            .all(|s| s[3].is_empty()));
    }
    assert!(ranking.len() > 10, "the other cities are ranked");
}

/// The analyses of another framework have no London to fall back on: compare draws no focus
/// city, path-to-first asks for one, and the shipped scenarios say they do not fit.
#[test]
fn analyses_of_a_framework_without_a_focus_ask_for_a_city_instead_of_assuming_london() {
    let dir = TempDir::new().unwrap();
    let framework = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minimal/framework.toml");
    let scenario = dir.path().join("life-led.toml");
    fs::write(
        &scenario,
        "[scenario]\nid = \"life-led\"\nname = \"Life-led\"\n[weights]\nlife = 3\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    // Life 3/4, obesity 1/4: Westminster 0.75 * 100 = 75 (coverage 3/4, ranked), Camden
    // 0.75 * 50 + 25 = 62.5, Islington 18.75, Hackney 9.375.
    healthy_city()
        .args(["compare", "--format", "csv", "--framework"])
        .arg(&framework)
        .arg("--scenario")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let rows = read_csv(&out.join("compare.csv"));
    let rank = |city: &str| {
        let row = rows.iter().find(|r| r[0] == city).unwrap();
        (row[2].clone(), row[3].clone())
    };
    assert_eq!(rank("westminster"), (String::new(), "1".to_string()));
    assert_eq!(rank("camden"), ("1".to_string(), "2".to_string()));
    assert_eq!(rank("hackney"), ("2".to_string(), "4".to_string()));
    // Uncertainty needs no focus: every unit's interval, no city highlighted.
    healthy_city()
        .args(["uncertainty", "--runs", "20", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(dir.path().join("u"))
        .assert()
        .success();
    assert_eq!(read_csv(&dir.path().join("u/uncertainty.csv")).len(), 3);
    healthy_city()
        .args(["path-to-first", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(dir.path().join("p"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "path-to-first needs a city: give --city NAME",
        ));
    healthy_city()
        .args(["compare", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(dir.path().join("c"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the shipped scenario `equal-weights` does not fit",
        ));
}
