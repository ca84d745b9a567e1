//! Small hand-computable inputs shared by the unit tests.

use healthy_city_model::{Catalogue, Cities, Framework, Observations};

fn city(id: &str) -> String {
    format!("[[city]]\nid = \"{id}\"\nname = \"{id}\"\ncountry = \"AAA\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n")
}

const CATALOGUE: &str = r#"
[[indicator]]
id = "x1"
name = "X1"
unit = "u"
direction = "higher"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
[[indicator]]
id = "x2"
name = "X2"
unit = "u"
direction = "higher"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
"#;

/// Four cities, two indicators weighted 3:1, min-max 0-100 over the year.
/// a: (5, 4) scores 0.75 * 50 + 0.25 * 40 = 47.5; b: (10, 0) 75; c: (0, 10) 25;
/// d: (2, 2) 20. a is 2nd, 27.5 points behind b.
pub(crate) fn small(
    aggregation: &str,
    scale: &str,
) -> (Framework, Catalogue, Cities, Observations) {
    let cities: String = ["a", "b", "c", "d"].map(city).concat();
    let framework = format!(
            "[index]\nid = \"t\"\nname = \"T\"\n[methods]\nscale = {scale}\nbounds = \"year\"\naggregation = \"{aggregation}\"\n[[group]]\nid = \"index\"\n[[indicator]]\nid = \"x1\"\nparent = \"index\"\nweight = 3\n[[indicator]]\nid = \"x2\"\nparent = \"index\"\n"
        );
    let data = "city,indicator,year,value,source,flag\na,x1,2019,5,s,\na,x2,2019,4,s,\nb,x1,2019,10,s,\nb,x2,2019,0,s,\nc,x1,2019,0,s,\nc,x2,2019,10,s,\nd,x1,2019,2,s,\nd,x2,2019,2,s,\n";
    (
        Framework::parse(&framework, "t.toml").unwrap(),
        Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap(),
        Cities::parse(&cities, "cities.toml").unwrap(),
        Observations::from_csv(data.as_bytes(), "obs.csv").unwrap(),
    )
}
