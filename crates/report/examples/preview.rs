//! Writes preview charts of a synthetic panel to /tmp/report-preview/ (or the directory given as
//! the first argument), to look at the layout: 45 cities over 2010-2019, and 3 cities over two
//! years. The values are made up by a seeded generator: they are for layout only.
//!
//! cargo run -p healthy-city-report --example preview

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use healthy_city_model::{Catalogue, Cities, Framework, Observations};
use healthy_city_report::{
    format_table, write_chart, write_ranking_csv, write_scores_csv, Focus, RankingChart,
    TrajectoryChart, Year,
};

const NAMES: [&str; 45] = [
    "London",
    "Paris",
    "Tokyo",
    "New York",
    "Singapore",
    "Sydney",
    "Copenhagen",
    "Stockholm",
    "Amsterdam",
    "Berlin",
    "Madrid",
    "Barcelona",
    "Rome",
    "Milan",
    "Vienna",
    "Zürich",
    "Oslo",
    "Helsinki",
    "Dublin",
    "Lisbon",
    "Brussels",
    "Munich",
    "Hong Kong",
    "Seoul",
    "Shanghai",
    "Beijing",
    "Los Angeles",
    "San Francisco",
    "Chicago",
    "Toronto",
    "Montréal",
    "Vancouver",
    "Melbourne",
    "Auckland",
    "São Paulo",
    "Rio de Janeiro",
    "Mexico City",
    "Buenos Aires",
    "Istanbul",
    "Moscow",
    "Johannesburg",
    "Mumbai",
    "Delhi",
    "Ho Chi Minh City",
    "Kuala Lumpur",
];

const CATALOGUE: &str = r#"
[[indicator]]
id = "life"
name = "Life expectancy"
unit = "years"
direction = "higher"
level = "national"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
[[indicator]]
id = "pm25"
name = "PM2.5"
unit = "ug/m3"
direction = "lower"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
[[indicator]]
id = "green"
name = "Green space"
unit = "%"
direction = "higher"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
"#;

const FRAMEWORK: &str = r#"
[index]
id = "preview"
name = "Healthy-city index"
[report]
reference_ranks = [
  { rank = 7, label = "2015 starting point", city = "london", source = "a made-up reference for the layout" },
  { rank = 1, label = "the aim", city = "london", source = "a made-up aim for the layout" },
]
[methods]
scale = [0, 100]
[[group]]
id = "index"
[[group]]
id = "health"
name = "Health outcomes"
parent = "index"
weight = 2
[[group]]
id = "air"
name = "Air quality"
parent = "index"
[[group]]
id = "environment"
name = "Environment"
parent = "index"
[[indicator]]
id = "life"
parent = "health"
[[indicator]]
id = "pm25"
parent = "air"
[[indicator]]
id = "green"
parent = "environment"
"#;

/// A seeded generator (SplitMix64) in [0, 1).
fn unit(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

fn panel(n_cities: usize, years: std::ops::RangeInclusive<i32>) -> (String, String) {
    let mut cities = String::new();
    let mut data = String::from("city,indicator,year,value,source,flag\n");
    for (i, name) in NAMES.iter().take(n_cities).enumerate() {
        let id = if i == 0 {
            "london".to_string()
        } else {
            format!("c{i:02}")
        };
        let _ = writeln!(
            cities,
            "[[city]]\nid = \"{id}\"\nname = \"{name}\"\ncountry = \"SYN\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0"
        );
        let base = unit(i as u64 * 7919);
        for year in years.clone() {
            let t = f64::from(year - 2010);
            // London climbs slowly and has no data in 2014; a few others miss a year.
            let b = if i == 0 {
                0.62 + 0.02 * t
            } else {
                base + 0.05 * (unit(i as u64 * 31 + year as u64) - 0.5)
            };
            if (i == 0 && year == 2014) || (i % 11 == 5 && year % 4 == 1) {
                continue;
            }
            let noise = |k: u64| unit(i as u64 * 1_000_003 + year as u64 * 101 + k) - 0.5;
            let life = 72.0 + 12.0 * b + noise(1);
            let pm25 = 35.0 - 28.0 * b + 4.0 * noise(2);
            let green = 10.0 + 35.0 * b + 6.0 * noise(3);
            for (indicator, value, flag) in [
                ("life", life, "proxy"),
                ("pm25", pm25, ""),
                ("green", green, ""),
            ] {
                let _ = writeln!(data, "{id},{indicator},{year},{value:.2},synthetic,{flag}");
            }
        }
    }
    (cities, data)
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/report-preview".to_string()),
    );
    std::fs::create_dir_all(&dir)?;
    let source = "Source: synthetic preview data (seeded generator), not real measurements. \
                  Healthy-city index, panel min-max 0-100; health outcomes weigh twice.";
    let mut stdout = std::io::stdout().lock();
    for (tag, n, years) in [("large", 45, 2010..=2019), ("small", 3, 2018..=2019)] {
        let (cities, data) = panel(n, years);
        let cities = Cities::parse(&cities, "cities.toml")?;
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml")?;
        let framework = Framework::parse(FRAMEWORK, "preview.toml")?;
        let observations = Observations::from_csv(data.as_bytes(), "synthetic.csv")?;
        let results = healthy_city_score::score(&framework, &catalogue, &cities, &observations)?;
        let path = |name: &str| dir.join(format!("{tag}-{name}"));
        let london = Focus::find(&results, "London")?;
        let ranking = RankingChart {
            results: &results,
            year: Year::latest_ranked(&results)?,
            focus: Some(london),
            source,
        };
        write_chart(&ranking, &path("ranking.svg"), &path("ranking.png"))?;
        let trajectory = TrajectoryChart {
            results: &results,
            city: london,
            references: &framework.report.reference_ranks,
            source,
        };
        write_chart(
            &trajectory,
            &path("trajectory.svg"),
            &path("trajectory.png"),
        )?;
        write_ranking_csv(&results, &path("ranking.csv"))?;
        write_scores_csv(&results, &path("scores.csv"))?;
        write!(stdout, "{}", format_table(&results, None, Some("london"))?)?;
    }
    writeln!(stdout, "wrote {}", dir.display())?;
    Ok(())
}
