//! Published indices' methods, each written as ONE framework file (tests/data/published/*/
//! framework.toml beside its data) and scored by `healthy-city score` with no special case in
//! the code. The units and values are invented; the expected scores are computed by hand from the
//! published formulas (the arithmetic is in each test).

use std::collections::HashMap;
use std::path::Path;

use tempfile::TempDir;

use crate::{healthy_city, read_csv};

/// `score --framework tests/data/published/NAME/framework.toml`, returning ranking.csv as
/// city -> (score, score_unrounded, rank).
fn score(name: &str) -> HashMap<String, (String, f64, String)> {
    let out = TempDir::new().unwrap();
    let framework = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/published")
        .join(name)
        .join("framework.toml");
    let output = healthy_city()
        .args(["score", "--no-charts", "--framework"])
        .arg(&framework)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    read_csv(&out.path().join("ranking.csv"))
        .into_iter()
        .map(|row| {
            // city,year,score,score_unrounded,rank
            (
                row[0].clone(),
                (row[2].clone(), row[3].parse().unwrap(), row[4].clone()),
            )
        })
        .collect()
}

#[test]
fn an_hdi_style_index_caps_log_goalposts_takes_a_geometric_mean_and_ranks_rounded_values() {
    let ranking = score("hdi");
    // health = clamp((LE - 20) / 65), education = mean(clamp(MYS / 15), clamp(EYS / 18)),
    // income = clamp((ln GNI - ln 100) / (ln 75000 - ln 100)), HDI = (h e i)^(1/3):
    // a: 84.3, 13.9, 16.6, 69433 -> 0.989231, 0.924444, 0.988350 -> 0.966859
    // b: 83.4, 13.1, 18.7 (EYS capped), 70000 -> 0.975385, 0.936667, 0.989578 -> 0.966949
    // c: 71, 8, 12, 12000 -> 0.784615, 0.6, 0.723178 -> 0.698261
    // d: 62, 5, 9, 2500 -> 0.646154, 0.416667, 0.486230 -> 0.507756
    // e: 82, 12.5, 16, 90000 (income capped at 1) -> 0.953846, 0.861111, 1 -> 0.936510
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
        assert!((ours - unrounded).abs() < 1e-12, "{unit}: {ours} vs {unrounded}");
        assert_eq!(score, rounded, "{unit}");
        assert_eq!(our_rank, rank, "{unit}");
    }
    assert_eq!(ranking.len(), expected.len());
}
