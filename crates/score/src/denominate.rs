//! Denomination: an indicator divided by another series (population, area, GDP), COINr
//! `Denominate()`.

use std::collections::HashMap;

use healthy_city_model::{Framework, IndicatorSpec, Level, NodeKind, Observations};

use crate::error::{Error, Result};
use crate::panel::Panel;

/// Divides every indicator with `denominator = "<series>"` by that series' value for the same
/// city and year, times `denominator_scale` (default 1): `x / d · scale`. Runs on the raw
/// panel, before screening, imputation and transforms (COINr denominates the Raw data set).
///
/// - A missing value stays missing; a missing denominator makes the value missing (not an
///   error: the methodology then decides, as for any gap).
/// - A denominator of 0 is an error naming the city, the indicator, the series and the year.
/// - A value is a proxy if it or its denominator is (a national population makes a city's
///   per-capita value rest on a national figure).
pub(crate) fn denominate(
    panel: &mut Panel,
    framework: &Framework,
    observations: &Observations,
) -> Result<()> {
    let specs: Vec<(usize, &str, f64)> = framework
        .indicators()
        .enumerate()
        .filter_map(|(i, node)| match &node.kind {
            NodeKind::Indicator(IndicatorSpec {
                denominator: Some(d),
                denominator_scale,
                ..
            }) => Some((i, d.as_str(), denominator_scale.unwrap_or(1.0))),
            _ => None,
        })
        .collect();
    if specs.is_empty() {
        return Ok(());
    }
    // (series, city, year) -> (value, proxy), for the series used as denominators.
    let wanted: Vec<&str> = specs.iter().map(|&(_, d, _)| d).collect();
    let series: HashMap<(&str, &str, i32), (f64, Level)> = observations
        .rows()
        .iter()
        .filter(|o| wanted.contains(&o.indicator.as_str()))
        .map(|o| {
            (
                (o.indicator.as_str(), o.city.as_str(), o.year),
                (o.value, o.effective_level()),
            )
        })
        .collect();
    let (nc, ni) = (panel.n_cities(), panel.n_indicators());
    for (y, &year) in panel.years.iter().enumerate() {
        for (c, city) in panel.cities.iter().enumerate() {
            for &(i, d, scale) in &specs {
                let at = (y * nc + c) * ni + i;
                if panel.values[at].is_nan() {
                    continue;
                }
                match series.get(&(d, city.as_str(), year)) {
                    None => panel.values[at] = f64::NAN,
                    Some(&(0.0, _)) => {
                        return Err(Error::ZeroDenominator {
                            indicator: panel.indicators[i].clone(),
                            denominator: d.to_string(),
                            city: city.clone(),
                            year,
                        })
                    }
                    Some(&(value, level)) => {
                        panel.values[at] = panel.values[at] / value * scale;
                        panel.level[at] = panel.level[at].max(level);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use healthy_city_model::{Catalogue, Cities};

    use super::*;

    const CITIES: &str = "[[city]]\nid = \"a\"\nname = \"A\"\ncountry = \"AAA\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n[[city]]\nid = \"b\"\nname = \"B\"\ncountry = \"BBB\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n[[city]]\nid = \"c\"\nname = \"C\"\ncountry = \"CCC\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n";

    fn catalogue() -> Catalogue {
        let mut text = String::new();
        for id in ["deaths", "green", "population"] {
            text += "[[indicator]]\nid = \"";
            text += id;
            text += "\"\nname = \"N\"\nunit = \"u\"\ndirection = \"lower\"\nlevel = \"city\"\nsource = { adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }\n";
        }
        Catalogue::parse(&text, "cat.toml").unwrap()
    }

    const FRAMEWORK: &str = "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\n[[indicator]]\nid = \"deaths\"\nparent = \"index\"\ndenominator = \"population\"\ndenominator_scale = 1000\n[[indicator]]\nid = \"green\"\nparent = \"index\"\n";

    fn run(data: &str) -> Result<Panel> {
        let framework = Framework::parse(FRAMEWORK, "t.toml").unwrap();
        framework.check_catalogue(&catalogue()).unwrap();
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
        let mut panel = Panel::build(&framework, &cities, &observations)?;
        denominate(&mut panel, &framework, &observations)?;
        Ok(panel)
    }

    /// Deaths per 1,000 people, by hand: A 50 / 20,000 · 1000 = 2.5; B 9 / 3,000 · 1000 = 3
    /// (its population a national proxy, so the result is a proxy); C has no population in
    /// 2020: missing. `green` has no denominator and is untouched. Tolerance 1e-12.
    #[test]
    fn divides_by_the_series_with_its_scale_and_leaves_missing_denominators_missing() {
        let panel = run("city,indicator,year,value,source,flag
a,deaths,2020,50,s,
a,population,2020,20000,s,
a,green,2020,7,s,
b,deaths,2020,9,s,
b,population,2020,3000,s,proxy
c,deaths,2020,4,s,
c,population,2019,1000,s,
c,green,2020,8,s,
")
        .unwrap();
        assert_eq!(panel.indicators, ["deaths", "green"]);
        let v = |c: usize, i: usize| panel.values[c * 2 + i];
        assert!((v(0, 0) - 2.5).abs() < 1e-12);
        assert!((v(1, 0) - 3.0).abs() < 1e-12);
        assert_eq!(
            (panel.level[2], panel.level[0]),
            (Level::National, Level::City)
        );
        assert!(v(2, 0).is_nan());
        assert_eq!(v(0, 1), 7.0);
        assert_eq!(v(2, 1), 8.0);
    }

    /// Through `score`: deaths per 1,000 (lower is better) are A 2.5, B 3, C missing, so
    /// min-max gives A 100 and B 0, and C has no deaths score (exact).
    #[test]
    fn score_normalises_the_denominated_values() {
        let framework = Framework::parse(FRAMEWORK, "t.toml").unwrap();
        let observations = Observations::from_csv(
            b"city,indicator,year,value,source,flag\na,deaths,2020,50,s,\na,population,2020,20000,s,\nb,deaths,2020,9,s,\nb,population,2020,3000,s,\nc,deaths,2020,4,s,\nc,green,2020,8,s,\na,green,2020,7,s,\n",
            "obs.csv",
        )
        .unwrap();
        let r = crate::score(
            &framework,
            &catalogue(),
            &Cities::parse(CITIES, "cities.toml").unwrap(),
            &observations,
        )
        .unwrap();
        let deaths = r.nodes.iter().position(|n| n.id == "deaths").unwrap();
        assert_eq!(r.score(0, 0, deaths), 100.0);
        assert_eq!(r.score(0, 1, deaths), 0.0);
        assert!(r.score(0, 2, deaths).is_nan());
    }

    #[test]
    fn a_zero_denominator_names_city_indicator_series_and_year() {
        let e = run("city,indicator,year,value,source,flag
a,deaths,2020,50,s,
a,population,2020,0,s,
")
        .unwrap_err()
        .to_string();
        assert_eq!(e, "indicator `deaths` of city `a` in 2020 is divided by `population`, which is 0 there: fix the value, or remove it so that the ratio is missing");
    }

    #[test]
    fn the_framework_rejects_a_bad_denominator_naming_file_line_and_id() {
        let text = FRAMEWORK.replace("denominator = \"population\"\n", "");
        let e = Framework::parse(&text, "t.toml").unwrap_err().to_string();
        assert_eq!(e, "t.toml:7: indicator `deaths` has `denominator_scale` but no `denominator = \"<series id>\"`");
        let text = FRAMEWORK.replace("denominator_scale = 1000", "denominator_scale = 0");
        let e = Framework::parse(&text, "t.toml").unwrap_err().to_string();
        assert!(
            e.contains(
                "t.toml:7: indicator `deaths`: denominator_scale 0 must be a finite number above 0"
            ),
            "{e}"
        );
        let text = FRAMEWORK.replace("\"population\"", "\"people\"");
        let framework = Framework::parse(&text, "t.toml").unwrap();
        let e = framework
            .check_catalogue(&catalogue())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.toml:7: indicator `deaths`: denominator `people` is not in the catalogue `cat.toml`: add the series there or fix the id");
    }
}
