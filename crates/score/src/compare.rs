//! Scenarios applied, and the comparison of ranks across scenarios.

use healthy_city_model::{Catalogue, Cities, Framework, Observations, Scenario};

use crate::error::{Error, Result};
use crate::results::score;

/// Applies a scenario to a framework: its method, weight and peer overrides (a scenario's
/// `weights = "pca"` sets the framework's `weights = "pca"` on every group, derived from the
/// data when scored, see [`crate::pca_column_weights`]). Kept as the score crate's entry point
/// so that scenario-level checks that need the data can live here.
pub fn apply_scenario(
    scenario: &Scenario,
    framework: &Framework,
    cities: &Cities,
) -> Result<Framework> {
    Ok(scenario.apply(framework, cities)?)
}

/// Ranks of the cities under several scenarios, in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Year compared.
    pub year: i32,
    /// Scenario ids, in the order given.
    pub scenarios: Vec<String>,
    /// City ids (every city scored by any scenario).
    pub cities: Vec<String>,
    /// Their names.
    pub names: Vec<String>,
    /// `[city][scenario]` ranks; `None`: not ranked under that scenario.
    pub ranks: Vec<Vec<Option<u32>>>,
}

impl Comparison {
    /// Largest rank shift of city `c` across the scenarios that rank it.
    pub fn shift(&self, c: usize) -> Option<u32> {
        let ranked: Vec<u32> = self.ranks[c].iter().flatten().copied().collect();
        Some(ranked.iter().max()? - ranked.iter().min()?)
    }
}

/// Scores each `(id, framework)` and compares ranks in `year` (default: the latest year the
/// first framework ranks).
pub fn compare(
    frameworks: &[(String, Framework)],
    catalogue: &Catalogue,
    cities: &Cities,
    observations: &Observations,
    year: Option<i32>,
) -> Result<Comparison> {
    let mut all = Vec::new();
    for (id, f) in frameworks {
        all.push(
            score(f, catalogue, cities, observations).map_err(|e| Error::Setting {
                key: format!("scenario `{id}`"),
                message: e.to_string(),
            })?,
        );
    }
    let first = all.first().ok_or_else(|| Error::Setting {
        key: String::from("scenarios"),
        message: String::from("give at least one scenario"),
    })?;
    let year = match year {
        Some(y) => y,
        None => first.years[first.latest_ranked_year().ok_or(Error::NoRankedYear)?],
    };
    // A year that no scenario ranks would compare nothing: an empty table and chart.
    let ranked = |r: &crate::Results| {
        r.years
            .iter()
            .position(|&v| v == year)
            .is_some_and(|y| r.year_ranked[y])
    };
    if !all.iter().any(ranked) {
        return Err(Error::YearNotRanked {
            year,
            ranked: first.ranked_years(),
        });
    }
    let mut ids: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for r in &all {
        for (c, id) in r.cities.iter().enumerate() {
            if !ids.contains(id) {
                ids.push(id.clone());
                names.push(r.city_names[c].clone());
            }
        }
    }
    let ranks = ids
        .iter()
        .map(|id| {
            all.iter()
                .map(|r| {
                    let y = r.years.iter().position(|&v| v == year)?;
                    let c = r.cities.iter().position(|v| v == id)?;
                    r.rank(y, c, r.root).filter(|_| r.is_ranked(y, c))
                })
                .collect()
        })
        .collect();
    Ok(Comparison {
        year,
        scenarios: frameworks.iter().map(|(id, _)| id.clone()).collect(),
        cities: ids,
        names,
        ranks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::small;

    #[test]
    fn compare_reproduces_hand_computed_ranks() {
        // Nominal x1:x2 = 3:1: b 75, a 47.5, c 25, d 20.
        // Equal: a 45, b 50, c 50, d 20 (b and c tie first).
        // x2-led 1:3: a 42.5, b 25, c 75, d 20.
        let (framework, catalogue, cities, observations) = small("arithmetic", "[0, 100]");
        let equal = Scenario::parse(
            "[scenario]\nid = \"equal\"\nname = \"Equal\"\nweights = \"equal\"\n",
            "equal.toml",
        )
        .unwrap();
        let led = Scenario::parse(
            "[scenario]\nid = \"x2-led\"\nname = \"X2\"\n[weights]\nx1 = 1\nx2 = 3\n",
            "led.toml",
        )
        .unwrap();
        let mut frameworks = vec![(String::from("nominal"), framework.clone())];
        for s in [&equal, &led] {
            let f = apply_scenario(s, &framework, &cities).unwrap();
            frameworks.push((s.id.clone(), f));
        }
        let cmp = compare(&frameworks, &catalogue, &cities, &observations, None).unwrap();
        assert_eq!(cmp.year, 2019);
        let at = |id: &str| cmp.cities.iter().position(|c| c == id).unwrap();
        assert_eq!(cmp.ranks[at("a")], [Some(2), Some(3), Some(2)]);
        assert_eq!(cmp.ranks[at("b")], [Some(1), Some(1), Some(3)]);
        assert_eq!(cmp.ranks[at("c")], [Some(3), Some(1), Some(1)]);
        assert_eq!(cmp.ranks[at("d")], [Some(4), Some(4), Some(4)]);
        assert_eq!(
            [at("a"), at("b"), at("c"), at("d")].map(|c| cmp.shift(c)),
            [Some(1), Some(2), Some(2), Some(0)]
        );
    }

    /// `compare --year 1900` gave an empty table and chart.
    #[test]
    fn a_year_no_scenario_ranks_is_an_error_naming_the_ranked_years() {
        let (framework, catalogue, cities, observations) = small("arithmetic", "[0, 100]");
        let err = compare(
            &[(String::from("nominal"), framework)],
            &catalogue,
            &cities,
            &observations,
            Some(1900),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "year 1900 is not ranked (too few cities meet the coverage rules); ranked years: 2019; analyse one of those");
    }

    #[test]
    fn a_scenario_naming_an_unknown_node_or_zeroing_a_group_is_rejected_with_file_and_line() {
        let (framework, _, cities, _) = small("arithmetic", "[0, 100]");
        let bad = Scenario::parse(
            "[scenario]\nid = \"bad\"\nname = \"Bad\"\n[weights]\nx1 = 0\nx2 = 0\nx9 = 2\n",
            "bad.toml",
        )
        .unwrap();
        let e = bad.apply(&framework, &cities).unwrap_err().to_string();
        assert!(
            e.contains("bad.toml:7: weights.x9: `x9` is not a node of `t.toml`"),
            "{e}"
        );
        assert!(
            e.contains("bad.toml:5: weights: every child of group `index` has weight 0"),
            "{e}"
        );
        let peers = Scenario::parse(
            "[scenario]\nid = \"p\"\nname = \"P\"\n[data]\npeers = [\"a\", \"zz\"]\n",
            "p.toml",
        )
        .unwrap();
        let e = peers.apply(&framework, &cities).unwrap_err().to_string();
        assert_eq!(e, "p.toml:5: data.peers: `zz` is not a city id of the registry; use an id from cities.toml");
    }

    #[test]
    fn a_pca_scenario_weights_every_group_by_squared_first_component_loadings() {
        let (framework, catalogue, cities, observations) = crate::engine::tests::default_inputs();
        let pca = Scenario::parse(
            "[scenario]\nid = \"pca\"\nname = \"PCA\"\nweights = \"pca\"\n",
            "pca.toml",
        )
        .unwrap();
        let f = apply_scenario(&pca, &framework, &cities).unwrap();
        let results = score(&f, &catalogue, &cities, &observations).unwrap();
        // Every group with 2+ children got derived weights that are shares summing to 1.
        let groups: Vec<_> = results.derived_weights.iter().collect();
        assert!(groups.len() >= 5, "{groups:?}");
        for g in &groups {
            let total: f64 = g.weights.iter().map(|w| w.1).sum();
            assert!((total - 1.0).abs() < 1e-9, "{g:?}");
        }
        let cmp = compare(
            &[
                (String::from("nominal"), framework),
                (String::from("pca"), f),
            ],
            &catalogue,
            &cities,
            &observations,
            None,
        )
        .unwrap();
        assert!((0..cmp.cities.len()).any(|c| cmp.shift(c).unwrap_or(0) > 0));
    }
}
