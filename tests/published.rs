//! Published indices' methods, each written as ONE framework file (tests/data/published/*/
//! framework.toml beside its data) and scored by `healthy-city score` with no special case in
//! the code. The units and values are invented; the expected scores are computed by hand from the
//! published formulas (the arithmetic is in each test).

use std::collections::HashMap;
use std::path::Path;

use tempfile::TempDir;

use crate::healthy_city;

/// ranking.csv as city -> (score, score_unrounded, rank).
type Ranking = HashMap<String, (String, f64, String)>;

/// `score --framework tests/data/published/NAME/framework.toml [--scenario NAME/FILE]`, returning ranking.csv as
/// city -> (score, score_unrounded, rank), and unscored.csv's rows as (city, group, child).
fn score(name: &str, scenario: Option<&str>) -> (Ranking, Vec<(String, String, String)>) {
    let out = TempDir::new().unwrap();
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/published")
        .join(name);
    let mut command = healthy_city();
    command
        .args(["score", "--no-charts", "--framework"])
        .arg(folder.join("framework.toml"));
    if let Some(file) = scenario {
        command.arg("--scenario").arg(folder.join(file));
    }
    let output = command.arg("--out").arg(out.path()).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // city,year,score[,score_unrounded],rank: the unrounded column only when `round` is set.
    let mut reader = csv::Reader::from_path(out.path().join("ranking.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (score, rank) = (column("score").unwrap(), column("rank").unwrap());
    let unrounded = column("score_unrounded").unwrap_or(score);
    let unscored = csv::Reader::from_path(out.path().join("unscored.csv"))
        .unwrap()
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), row[2].to_string(), row[3].to_string())
        })
        .collect();
    let ranking = reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            (
                row[0].to_string(),
                (
                    row[score].to_string(),
                    row[unrounded].parse().unwrap(),
                    row[rank].to_string(),
                ),
            )
        })
        .collect();
    (ranking, unscored)
}

#[test]
fn an_hdi_style_index_caps_log_goalposts_takes_a_geometric_mean_and_ranks_rounded_values() {
    let (ranking, unscored) = score("hdi", None);
    // health = clamp((LE - 20) / 65), education = mean(clamp(MYS / 15), clamp(EYS / 18)),
    // income = clamp((ln GNI - ln 100) / (ln 75000 - ln 100)), HDI = (h e i)^(1/3):
    // a: 84.3, 13.9, 16.6, 69433 -> 0.989231, 0.924444, 0.988350 -> 0.966859
    // b: 83.4, 13.1, 18.7 (EYS capped), 70000 -> 0.975385, 0.936667, 0.989578 -> 0.966949
    // c: 71, 8, 12, 12000 -> 0.784615, 0.6, 0.723178 -> 0.698261
    // d: 62, 5, 9, 2500 -> 0.646154, 0.416667, 0.486230 -> 0.507756
    // e: 82, 12.5, 16, 90000 (income capped at 1) -> 0.953846, 0.861111, 1 -> 0.936510
    // f: 19.5 (below the lower goalpost: health 0), 4, 7, 900 -> no geometric mean: f is
    // left unscored, as the UNDP leaves such a country-year, and the others are ranked.
    let expected = [
        ("a", 0.966_858_728_564_675, "0.967", "1"),
        // b's unrounded HDI is higher than a's, but both round to 0.967 and share rank 1.
        ("b", 0.966_949_292_246_037, "0.967", "1"),
        ("e", 0.936_510_193_068_962, "0.937", "3"),
        ("c", 0.698_260_977_278_544, "0.698", "4"),
        ("d", 0.507_756_362_859_872, "0.508", "5"),
    ];
    for (unit, unrounded, rounded, rank) in expected {
        let (score, ours, our_rank) = &ranking[unit];
        // Tolerance 1e-12: the same formula, evaluated in another order.
        assert!(
            (ours - unrounded).abs() < 1e-12,
            "{unit}: {ours} vs {unrounded}"
        );
        assert_eq!(score, rounded, "{unit}");
        assert_eq!(our_rank, rank, "{unit}");
    }
    assert_eq!(ranking.len(), expected.len());
    assert_eq!(
        unscored,
        [("f".to_string(), "hdi".to_string(), "le".to_string())]
    );
}

/// A unit, its unrounded score and its rank.
type Expected = (&'static str, f64, &'static str);

#[test]
fn a_bli_style_index_lets_its_user_reweight_the_topics_with_a_scenario_file() {
    // Min-max over p, q, r to 0-10 (homicide inverted), a topic the mean of its indicators:
    // life 80, 82, 78 -> 5, 10, 0; self-reported health 70, 60, 80 -> 5, 0, 10: health 5, 5, 5;
    // homicide 1, 2, 0.5 (lower is better) -> 6.667, 0, 10; income 30k, 40k, 20k -> 5, 10, 0.
    let cases: [(Option<&str>, [Expected; 3]); 3] = [
        // Equal topics: p (5 + 6.667 + 5) / 3 = 5.556; q (5 + 0 + 10) / 3 = r (5 + 10 + 0) / 3 = 5.
        (
            None,
            [("p", 50.0 / 9.0, "1"), ("q", 5.0, "2"), ("r", 5.0, "2")],
        ),
        // Health 5, safety 1, income 0: p (25 + 6.667) / 6 = 5.278, q 25 / 6, r 35 / 6.
        (
            Some("scenario-health.toml"),
            [
                ("r", 35.0 / 6.0, "1"),
                ("p", (25.0 + 20.0 / 3.0) / 6.0, "2"),
                ("q", 25.0 / 6.0, "3"),
            ],
        ),
        // Health 1, safety 1, income 5: q (5 + 0 + 50) / 7, p (5 + 6.667 + 25) / 7, r 15 / 7.
        (
            Some("scenario-income.toml"),
            [
                ("q", 55.0 / 7.0, "1"),
                ("p", (30.0 + 20.0 / 3.0) / 7.0, "2"),
                ("r", 15.0 / 7.0, "3"),
            ],
        ),
    ];
    for (scenario, expected) in cases {
        let (ranking, _) = score("bli", scenario);
        for (unit, value, rank) in expected {
            let (_, ours, our_rank) = &ranking[unit];
            // Tolerance 1e-12 on the 0-10 scale: the same arithmetic in another order.
            assert!(
                (ours - value).abs() < 1e-12,
                "{scenario:?} {unit}: {ours} vs {value}"
            );
            assert_eq!(our_rank, rank, "{scenario:?} {unit}");
        }
    }
}

#[test]
fn an_sdg_style_index_clips_to_bounds_averages_goals_fills_a_missing_goal_from_its_region() {
    let (ranking, unscored) = score("sdg", None);
    // Goalposts clipped to 0-100: poverty (lower is better) 0-50, life 50-85, water 0-100,
    // fish 0-10; a goal is its one indicator, the index the mean of the goals that apply.
    // a: 80, 80, 90, 50 -> 75
    // b: 0 (60 clipped), 60, 70, 80 -> 52.5
    // c: 90, 40, 50, and no marine goal (landlocked; its fish value 3 takes no part) -> 60
    // d: 50, 100 (90 clipped), 80, 60 -> 72.5
    // e: no poverty or fish data: each goal the mean over the south's other units (d only):
    //    50, 100, 60, 60 -> 67.5
    let expected = [
        ("a", 75.0, "1"),
        ("d", 72.5, "2"),
        ("e", 67.5, "3"),
        ("c", 60.0, "4"),
        ("b", 52.5, "5"),
    ];
    for (unit, value, rank) in expected {
        let (_, ours, our_rank) = &ranking[unit];
        // Tolerance 1e-12 on the 0-100 scale (sums of a few exact halves and fifths).
        assert!((ours - value).abs() < 1e-12, "{unit}: {ours} vs {value}");
        assert_eq!(our_rank, rank, "{unit}");
    }
    assert!(unscored.is_empty());
}

/// scores.csv of the SDG-style index flags the goals filled from the region and leaves the
/// marine goal of the landlocked unit without a score.
#[test]
fn the_sdg_style_index_flags_imputed_goals_and_scores_no_goal_that_does_not_apply() {
    let out = TempDir::new().unwrap();
    let framework =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/published/sdg/framework.toml");
    healthy_city()
        .args(["score", "--city", "e", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    // The profile says which goals were filled.
    let profile = crate::chart(out.path(), "profile-e");
    assert!(profile.contains("No poverty \u{2014} imputed"), "{profile}");
    assert!(
        !profile.contains("Good health \u{2014} imputed"),
        "{profile}"
    );
    let rows = crate::read_csv(&out.path().join("scores.csv"));
    let row = |city: &str, node: &str| rows.iter().find(|r| r[0] == city && r[2] == node).cloned();
    // city,year,node,score,rank,imputed
    assert_eq!(row("e", "g1").unwrap()[3..], ["50", "3", "true"]);
    assert_eq!(row("e", "g14").unwrap()[3..], ["60", "2", "true"]);
    assert_eq!(row("e", "g3").unwrap()[5], "false");
    assert_eq!(row("c", "g14"), None);
    // Its fish value is data all the same: normalised (3 - 0) / 10 = 30.
    assert_eq!(row("c", "fish").unwrap()[3], "30");
}
