//! Fuzz suite of the model crate's parsers (issue 12): framework, scenario, cities and
//! catalogue TOML, observations CSV and Parquet. Each target feeds arbitrary bytes and
//! structure-aware mutations of the shipped files (numbers replaced by extreme values, strings
//! by control characters, empty or 10,000-character values, lines deleted or duplicated,
//! truncation) and asserts: no panic, no hang (each case under a 60 s watchdog), a result or
//! an error, and every accepted observation finite, at most 1e15 in magnitude and in a year of
//! 1800..=2100.
//!
//! The number of cases per target comes from `HEALTHY_CITY_FUZZ_CASES` (default 64):
//!
//! ```text
//! HEALTHY_CITY_FUZZ_CASES=100000 cargo test --release -p healthy-city-model --test fuzz
//! ```

use std::sync::OnceLock;

use healthy_city_fuzzkit::{cases, watchdog};
use healthy_city_model::{
    Catalogue, Cities, Framework, Observations, Scenario, DEFAULT_YEARS, MAX_MAGNITUDE,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const FRAMEWORKS: [&str; 2] = [
    include_str!("../../../indicators/frameworks/healthy-city.toml"),
    include_str!("../../../indicators/frameworks/lenstore-2021.toml"),
];
const SCENARIOS: [&str; 4] = [
    include_str!("../../../indicators/scenarios/environment-led.toml"),
    include_str!("../../../indicators/scenarios/equal-weights.toml"),
    include_str!("../../../indicators/scenarios/outcome-led.toml"),
    include_str!("../../../indicators/scenarios/pca-weights.toml"),
];
const CITIES: &str = include_str!("../../../indicators/cities.toml");
const CATALOGUE: &str = include_str!("../../../indicators/catalogue.toml");
const OBSERVATIONS: &str = include_str!("../../../indicators/snapshot/observations.csv");

/// Lines of the snapshot observations used as the seed (the header and a spread of rows).
const SEED_ROWS: usize = 120;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// One structure-aware change to a text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the n-th number with this text.
    Number(usize, String),
    /// Replace the n-th quoted string (TOML) or field (CSV) with this text.
    Text(usize, String),
    /// Delete the n-th line.
    Delete(usize),
    /// Duplicate the n-th line.
    Duplicate(usize),
    /// Cut the text at this fraction of its length (per mille).
    Truncate(usize),
    /// Insert these bytes (as lossy text) at this fraction of the length (per mille).
    Insert(usize, String),
}

fn extreme_number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e308".to_string()),
        Just("-1e308".to_string()),
        Just("1.7976931348623157e308".to_string()),
        Just("nan".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("0".to_string()),
        Just("-0".to_string()),
        Just("1e-320".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just("-2147483649".to_string()),
        Just("2019.5".to_string()),
        Just("1e16".to_string()),
        Just("400".to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        any::<i64>().prop_map(|x| x.to_string()),
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\u{1b}]0;title\u{7}\u{1b}[2J".to_string()),
        Just("a\rb\0c\u{7f}\u{85}\u{202e}".to_string()),
        Just("x".repeat(10_000)),
        Just("\"".to_string()),
        Just(",,,".to_string()),
        Just("[[group]]".to_string()),
        "[a-z-]{0,12}",
        any::<String>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0usize..400, extreme_number()).prop_map(|(n, v)| Mutation::Number(n, v)),
        (0usize..400, hostile_text()).prop_map(|(n, v)| Mutation::Text(n, v)),
        (0usize..200).prop_map(Mutation::Delete),
        (0usize..200).prop_map(Mutation::Duplicate),
        (0usize..1000).prop_map(Mutation::Truncate),
        (0usize..1000, prop::collection::vec(any::<u8>(), 0..16))
            .prop_map(|(at, b)| Mutation::Insert(at, String::from_utf8_lossy(&b).into_owned())),
    ]
}

/// Byte ranges of numbers (a digit run with an optional sign, point and exponent).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = if i > 0 && bytes[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b'e' | b'E' | b'-'))
            {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Byte ranges of the insides of double-quoted strings, or of CSV fields.
fn texts(text: &str, csv: bool) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    if csv {
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if c == ',' || c == '\n' {
                spans.push((start, i));
                start = i + 1;
            }
        }
    } else {
        let mut open = None;
        for (i, c) in text.char_indices() {
            if c == '"' {
                match open.take() {
                    None => open = Some(i + 1),
                    Some(s) => spans.push((s, i)),
                }
            }
        }
    }
    spans
}

fn boundary(text: &str, per_mille: usize) -> usize {
    let mut at = text.len() * per_mille / 1000;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutations: &[Mutation], csv: bool) -> String {
    let mut text = text.to_string();
    for m in mutations {
        match m {
            Mutation::Number(n, v) => {
                let spans = numbers(&text);
                if let Some(&(a, b)) = spans.get(n % spans.len().max(1)) {
                    text.replace_range(a..b, v);
                }
            }
            Mutation::Text(n, v) => {
                let spans = texts(&text, csv);
                if let Some(&(a, b)) = spans.get(n % spans.len().max(1)) {
                    text.replace_range(a..b, v);
                }
            }
            Mutation::Delete(n) | Mutation::Duplicate(n) => {
                let mut lines: Vec<&str> = text.split('\n').collect();
                let k = n % lines.len();
                if matches!(m, Mutation::Delete(_)) {
                    lines.remove(k);
                } else {
                    lines.insert(k, lines[k]);
                }
                text = lines.join("\n");
            }
            Mutation::Truncate(p) => {
                let at = boundary(&text, *p);
                text.truncate(at);
            }
            Mutation::Insert(p, bytes) => {
                let at = boundary(&text, *p);
                text.insert_str(at, bytes);
            }
        }
    }
    text
}

fn input(seeds: &'static [&'static str], csv: bool) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        6 => (0..seeds.len(), prop::collection::vec(mutation(), 1..6))
            .prop_map(move |(s, m)| apply(seeds[s], &m, csv)),
    ]
}

fn seed_observations() -> &'static str {
    static SEED: OnceLock<String> = OnceLock::new();
    SEED.get_or_init(|| {
        let lines: Vec<&str> = OBSERVATIONS.lines().collect();
        let step = (lines.len() / SEED_ROWS).max(1);
        let mut seed = String::from(lines[0]);
        seed.push('\n');
        for line in lines.iter().skip(1).step_by(step).take(SEED_ROWS) {
            seed.push_str(line);
            seed.push('\n');
        }
        seed
    })
}

fn shipped() -> &'static (Framework, Cities) {
    static SHIPPED: OnceLock<(Framework, Cities)> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        (
            Framework::parse(FRAMEWORKS[0], "healthy-city.toml").expect("shipped framework"),
            Cities::parse(CITIES, "cities.toml").expect("shipped registry"),
        )
    })
}

/// Every accepted observation is finite, in range and in an accepted year.
fn assert_sound(observations: &Observations) {
    for row in observations.rows() {
        assert!(
            DEFAULT_YEARS.contains(&row.year),
            "year {} accepted",
            row.year
        );
        for x in [Some(row.value), row.low, row.high].into_iter().flatten() {
            assert!(
                x.is_finite() && x.abs() <= MAX_MAGNITUDE,
                "value {x} accepted"
            );
        }
    }
}

#[test]
fn framework_parser_never_panics_or_hangs() {
    runner()
        .run(&input(&FRAMEWORKS, false), |text| {
            let answer = watchdog("framework", move || {
                Framework::parse(&text, "f.toml").map(|f| f.effective_weights())
            });
            if let Ok(weights) = answer {
                prop_assert!(weights.iter().all(|w| w.is_finite()));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn scenario_parser_and_apply_never_panic_or_hang() {
    let _ = shipped();
    runner()
        .run(&input(&SCENARIOS, false), |text| {
            watchdog("scenario", move || {
                let (framework, cities) = shipped();
                Scenario::parse(&text, "s.toml").and_then(|s| s.apply(framework, cities))
            })
            .map(|f| f.effective_weights())
            .map_or(Ok(()), |w| {
                prop_assert!(w.iter().all(|w| w.is_finite()));
                Ok(())
            })
        })
        .unwrap();
}

#[test]
fn cities_parser_never_panics_or_hangs() {
    runner()
        .run(&input(&[CITIES], false), |text| {
            let _ = watchdog("cities", move || {
                Cities::parse(&text, "cities.toml").map(|c| c.len())
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn catalogue_parser_never_panics_or_hangs() {
    runner()
        .run(&input(&[CATALOGUE], false), |text| {
            let _ = watchdog("catalogue", move || {
                Catalogue::parse(&text, "catalogue.toml").map(|c| c.len())
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn observations_csv_parser_never_panics_hangs_or_accepts_a_bad_number() {
    let seeds: &'static [&'static str] = Box::leak(Box::new([seed_observations()]));
    runner()
        .run(&input(seeds, true), |text| {
            let answer = watchdog("observations csv", move || {
                Observations::from_csv(text.as_bytes(), "obs.csv")
            });
            if let Ok(observations) = answer {
                assert_sound(&observations);
            }
            Ok(())
        })
        .unwrap();
}

fn parquet_seed() -> &'static [u8] {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        let observations =
            Observations::from_csv(seed_observations().as_bytes(), "seed.csv").expect("seed");
        let mut bytes = Vec::new();
        observations
            .write_parquet(&mut bytes)
            .expect("seed parquet");
        bytes
    })
}

/// Parquet input: a valid file with bytes changed, cut or inserted; a file written from
/// hostile rows (extreme values, years and strings); or arbitrary bytes.
fn parquet_input() -> impl Strategy<Value = Vec<u8>> {
    let byte_edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        .prop_map(|edits| {
            let mut bytes = parquet_seed().to_vec();
            for (at, b) in edits {
                let k = at.index(bytes.len());
                bytes[k] = b;
            }
            bytes
        });
    let cut = any::<prop::sample::Index>().prop_map(|at| {
        let bytes = parquet_seed();
        bytes[..at.index(bytes.len())].to_vec()
    });
    let hostile_rows = prop::collection::vec(
        (
            hostile_text(),
            any::<i64>(),
            any::<f64>(),
            prop::option::of(any::<f64>()),
        ),
        0..6,
    )
    .prop_map(|rows| {
        use polars::prelude::{Column, DataFrame, ParquetWriter};
        let n = rows.len();
        let city: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let year: Vec<i64> = rows.iter().map(|r| r.1 % 5000).collect();
        let value: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let low: Vec<Option<f64>> = rows.iter().map(|r| r.3).collect();
        let mut frame = DataFrame::new(
            n,
            vec![
                Column::new("city".into(), city),
                Column::new("indicator".into(), vec!["pm25"; n]),
                Column::new("year".into(), year),
                Column::new("value".into(), value),
                Column::new("source".into(), vec!["s"; n]),
                Column::new("flag".into(), vec![""; n]),
                Column::new("low".into(), low),
                Column::new("high".into(), vec![None::<f64>; n]),
            ],
        )
        .expect("frame");
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .finish(&mut frame)
            .expect("write");
        bytes
    });
    prop_oneof![
        3 => byte_edits,
        1 => cut,
        3 => hostile_rows,
        1 => any::<Vec<u8>>().prop_map(|mut b| {
            b.splice(0..0, *b"PAR1");
            b.extend_from_slice(b"PAR1");
            b
        }),
    ]
}

#[test]
fn observations_parquet_reader_never_panics_hangs_or_accepts_a_bad_number() {
    let _ = parquet_seed();
    let dir = std::env::temp_dir().join(format!("healthy-city-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("obs.parquet");
    runner()
        .run(&parquet_input(), |bytes| {
            let path = path.clone();
            let answer = watchdog("observations parquet", move || {
                std::fs::write(&path, bytes).expect("temporary file");
                Observations::load(&path)
            });
            if let Ok(observations) = answer {
                assert_sound(&observations);
            }
            Ok(())
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
