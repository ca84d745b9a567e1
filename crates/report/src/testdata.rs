//! A tiny scored example shared by the tests: three cities, two domains, three years.

use std::fmt::Write as _;

use healthy_city_model::{Catalogue, Cities, Framework, Observations};
use healthy_city_score::{data_sets, score, DataSets, Results};

const CITIES: &str = r#"
[[city]]
id = "london"
name = "London"
country = "GBR"
region = "Europe"
latitude = 51.5
longitude = -0.1
[[city]]
id = "paris"
name = "Paris"
country = "FRA"
region = "Europe"
latitude = 48.9
longitude = 2.4
[[city]]
id = "tokyo"
name = "Tokyo"
country = "JPN"
region = "Asia"
latitude = 35.7
longitude = 139.7
"#;

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
"#;

const FRAMEWORK: &str = r#"
[index]
id = "tiny"
name = "Tiny healthy-city index"
[methods]
scale = [0, 100]
[[group]]
id = "index"
[[group]]
id = "health"
name = "Health"
parent = "index"
[[group]]
id = "air"
name = "Air"
parent = "index"
[[indicator]]
id = "life"
parent = "health"
[[indicator]]
id = "pm25"
parent = "air"
"#;

// Panel bounds: life 70..82, pm25 10..30 (lower is better).
// 2017: London life 76 (50), pm25 20 (50) -> 50; Paris 82 (100), 30 (0) -> 50;
//       Tokyo 70 (0), 10 (100) -> 50. A three-way tie at 1st.
// 2018: London has no data (unranked); Paris 79 (75), 25 (25) -> 50; Tokyo 73 (25), 15 (75) -> 50.
// 2019: London 82 (100), 15 (75) -> 87.5; Paris 76 (50), 20 (50) -> 50; Tokyo 70 (0), 30 (0) -> 0.
// Life is a national proxy everywhere: half of every score rests on it.
pub const DATA: &str = "city,indicator,year,value,source,flag
london,life,2017,76,s,proxy
london,pm25,2017,20,s,
paris,life,2017,82,s,proxy
paris,pm25,2017,30,s,
tokyo,life,2017,70,s,proxy
tokyo,pm25,2017,10,s,
paris,life,2018,79,s,proxy
paris,pm25,2018,25,s,
tokyo,life,2018,73,s,proxy
tokyo,pm25,2018,15,s,
london,life,2019,82,s,proxy
london,pm25,2019,15,s,
paris,life,2019,76,s,proxy
paris,pm25,2019,20,s,
tokyo,life,2019,70,s,proxy
tokyo,pm25,2019,30,s,
";

pub fn results() -> Results {
    results_of(DATA)
}

/// The same three cities and index, scored on other observations (`DATA`'s columns).
pub fn results_of(data: &str) -> Results {
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let framework = Framework::parse(FRAMEWORK, "tiny.toml").unwrap();
    let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
    score(&framework, &catalogue, &cities, &observations).unwrap()
}

/// The same cities and data scored by a flat index on a 0-1 scale: both indicators directly
/// under the index (no domains), as in `lenstore-2021.toml`.
pub fn flat() -> Results {
    flat_of(DATA)
}

/// [`flat`] on other observations (`DATA`'s columns).
pub fn flat_of(data: &str) -> Results {
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let text = r#"
[index]
id = "flat"
name = "Flat index"
[methods]
scale = [0, 1]
[[group]]
id = "index"
[[indicator]]
id = "life"
parent = "index"
[[indicator]]
id = "pm25"
parent = "index"
"#;
    let framework = Framework::parse(text, "flat.toml").unwrap();
    let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
    score(&framework, &catalogue, &cities, &observations).unwrap()
}

/// The intermediate data sets of the tiny index with `methods` added to its `[methods]` table
/// (e.g. `impute = "mean"`), on `DATA`.
pub fn data_sets_with(methods: &str) -> (DataSets, Framework) {
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let text = FRAMEWORK.replace("[methods]\n", &format!("[methods]\n{methods}\n"));
    let framework = Framework::parse(&text, "tiny.toml").unwrap();
    let observations = Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap();
    let sets = data_sets(&framework, &catalogue, &cities, &observations).unwrap();
    (sets, framework)
}

/// `n` cities ("City 0" to "City n-1", ids `c0`...) scored in 2019 by the tiny index: city k
/// has life expectancy 70 + k / 10 and PM2.5 10 + (k mod 7), so the index falls and rises
/// with k and every city is ranked.
pub fn many(n: usize) -> Results {
    let mut cities = String::new();
    let mut data = String::from("city,indicator,year,value,source,flag\n");
    for k in 0..n {
        let _ = writeln!(
            cities,
            "[[city]]\nid = \"c{k}\"\nname = \"City {k}\"\ncountry = \"GBR\"\nregion = \"Europe\"\nlatitude = 51.5\nlongitude = -0.1"
        );
        let _ = write!(
            data,
            "c{k},life,2019,{},s,\nc{k},pm25,2019,{},s,\n",
            70.0 + k as f64 / 10.0,
            10 + k % 7
        );
    }
    let cities = Cities::parse(&cities, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let framework = Framework::parse(FRAMEWORK, "tiny.toml").unwrap();
    let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
    score(&framework, &catalogue, &cities, &observations).unwrap()
}

/// The text elements of an SVG, unescaped.
pub fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..t.find("</text>")?];
            Some(
                body.trim()
                    .replace("&apos;", "'")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

/// PNG width and height from the IHDR chunk.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// Renders `chart` as an SVG and fails, naming each text and its box, if any text's ink runs
/// off the canvas ([`text_outside`](crate::text_outside)).
pub fn assert_text_inside<C: crate::Chart>(chart: &C) {
    let svg = crate::render_svg(chart).unwrap();
    let (w, h) = chart.size();
    let outside = crate::text_outside(&svg, w, h);
    assert!(
        outside.is_empty(),
        "the {} chart ({w} x {h}) has text outside the canvas: {outside:#?}",
        C::NAME
    );
}
