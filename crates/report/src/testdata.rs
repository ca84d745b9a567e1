//! A tiny scored example shared by the tests: three cities, two domains, three years.

use std::fmt::Write as _;

use healthy_city_model::{Catalogue, Cities, Framework, Observations};
use healthy_city_score::{audit, data_sets, score, Audit, DataSets, Results};

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

/// [`DATA`] with a `level` column, Paris's 2019 life expectancy a regional value rather than
/// a national proxy: Paris's 2019 score rests half on regional values, the others' half on
/// national ones.
pub fn regional_paris() -> Results {
    let data: String = DATA
        .lines()
        .map(|line| match line {
            "city,indicator,year,value,source,flag" => format!("{line},level\n"),
            "paris,life,2019,76,s,proxy" => "paris,life,2019,76,s,,region\n".to_string(),
            _ => format!("{line},\n"),
        })
        .collect();
    results_of(&data)
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

/// The flat index: both indicators directly under the index, on a 0-1 scale.
const FLAT: &str = r#"
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

/// [`flat`] on other observations (`DATA`'s columns).
pub fn flat_of(data: &str) -> Results {
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
    let framework = Framework::parse(FLAT, "flat.toml").unwrap();
    let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
    score(&framework, &catalogue, &cities, &observations).unwrap()
}

/// The catalogue of the tiny and flat indices: life expectancy national, PM2.5 city-level.
pub fn catalogue() -> Catalogue {
    Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap()
}

/// The statistical audit of 2019 ([`results`]: the tiny index on `DATA`).
pub fn audit_2019() -> Audit {
    audit_of(FRAMEWORK)
}

/// The statistical audit of 2019 of the flat index ([`flat`]).
pub fn flat_audit_2019() -> Audit {
    audit_of(FLAT)
}

fn audit_of(framework: &str) -> Audit {
    let cities = Cities::parse(CITIES, "cities.toml").unwrap();
    let framework = Framework::parse(framework, "f.toml").unwrap();
    let observations = Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap();
    audit(&framework, &catalogue(), &cities, &observations, Some(2019)).unwrap()
}

/// A wide index: `domains` domains of `per_domain` indicators each under the index (or, with
/// `sub`, each domain split into two sub-domains: four levels), scored on 12 cities in 2019,
/// with long names for every third indicator and the last two indicators measured for
/// different halves of the cities, so that their correlation has no value (no city has both). Returns the results, the 2019 audit
/// and the catalogue (every other indicator national).
pub fn wide(domains: usize, per_domain: usize, sub: bool) -> (Results, Audit, Catalogue) {
    let mut catalogue = String::new();
    let mut framework = String::from(
        "[index]\nid = \"wide\"\nname = \"Wide healthy-city index\"\n[methods]\nscale = [0, 100]\n[[group]]\nid = \"index\"\n",
    );
    let mut ids = Vec::new();
    for d in 0..domains {
        let _ = write!(
            framework,
            "[[group]]\nid = \"d{d}\"\nname = \"Domain {d}: {}\"\nparent = \"index\"\n",
            [
                "environment",
                "health outcomes and access to health services",
                "social"
            ][d % 3]
        );
        if sub {
            for s in 0..2 {
                let _ = write!(
                    framework,
                    "[[group]]\nid = \"d{d}s{s}\"\nname = \"Sub-domain {d}.{s}\"\nparent = \"d{d}\"\n"
                );
            }
        }
        for k in 0..per_domain {
            let id = format!("i{d}_{k}");
            let parent = if sub {
                format!("d{d}s{}", k % 2)
            } else {
                format!("d{d}")
            };
            let n = ids.len();
            let name = if n % 3 == 0 {
                format!("Indicator {n}: probability of dying between ages 30 and 70 from cardiovascular disease, cancer, diabetes or chronic respiratory disease")
            } else {
                format!("Indicator {n}")
            };
            let level = if n % 2 == 0 { "national" } else { "city" };
            let _ = write!(
                catalogue,
                "[[indicator]]\nid = \"{id}\"\nname = \"{name}\"\nunit = \"u\"\ndirection = \"{}\"\nlevel = \"{level}\"\n",
                if n % 4 == 1 { "lower" } else { "higher" }
            );
            let weight = if k == 0 { "\nweight = 2" } else { "" };
            let _ = write!(
                framework,
                "[[indicator]]\nid = \"{id}\"\nparent = \"{parent}\"{weight}\n"
            );
            ids.push(id);
        }
    }
    let mut cities = String::new();
    let mut data = String::from("city,indicator,year,value,source,flag\n");
    for c in 0..12_usize {
        let _ = writeln!(
            cities,
            "[[city]]\nid = \"c{c}\"\nname = \"City {c}\"\ncountry = \"GBR\"\nregion = \"Europe\"\nlatitude = 51.5\nlongitude = -0.1"
        );
        for (n, id) in ids.iter().enumerate() {
            if (n + 1 == ids.len() && c >= 6) || (n + 2 == ids.len() && c < 6) {
                continue;
            }
            // A step of at least 2 a city on a cycle of 23: no indicator is constant.
            let value = (((c * 7 + n * 11) * (n + 1)) % 23) as f64 + (c * (n % 5 + 2)) as f64;
            let _ = writeln!(data, "c{c},{id},2019,{value},s,");
        }
    }
    let cities = Cities::parse(&cities, "cities.toml").unwrap();
    let catalogue = Catalogue::parse(&catalogue, "catalogue.toml").unwrap();
    let framework = Framework::parse(&framework, "wide.toml").unwrap();
    let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
    let results = score(&framework, &catalogue, &cities, &observations).unwrap();
    let audit = audit(&framework, &catalogue, &cities, &observations, Some(2019)).unwrap();
    (results, audit, catalogue)
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
