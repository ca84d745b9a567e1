//! The statistical audit of one year (OECD/JRC Handbook step 4, COINr's `get_stats`,
//! `get_corr`, `get_cronbach` and `get_PCA`): data availability, skewness and kurtosis,
//! correlations with p-values, Cronbach's alpha and principal components per group.
//!
//! NaN is a missing value throughout. Every statistic says which rows it uses: correlations take
//! the pairwise complete observations, Cronbach's alpha and PCA the complete rows of a group.

use std::collections::HashMap;

use healthy_city_model::{Catalogue, Cities, Framework, Observations};

use crate::denominate::denominate;
use crate::error::Error;
use crate::impute::impute;
use crate::normalise::transform;
use crate::panel::Panel;
use crate::plan::Plan;
use crate::results::{score, NodeInfo};
use crate::stats::{correlate, cronbach_alpha, pca, CorrMethod, Correlation, Pca};
use crate::treat::{skew_kurt, treat};

/// Why an audit cannot run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Scoring failed.
    #[error(transparent)]
    Score(Box<Error>),
    /// The year asked for has no data.
    #[error(
        "year `{year}` is not in the data (years {first}..={last}); pick a year in that range"
    )]
    UnknownYear {
        /// The year asked for.
        year: i32,
        /// First year of the data.
        first: i32,
        /// Last year of the data.
        last: i32,
    },
    /// There is no data at all.
    #[error("the observations hold no year of the framework's indicators")]
    NoData,
}

impl From<Error> for AuditError {
    fn from(err: Error) -> Self {
        AuditError::Score(Box::new(err))
    }
}

/// One year's data, as the audit reads it. Columns are per variable, rows per city.
#[derive(Debug, Clone)]
pub struct AuditInput {
    /// Year.
    pub year: i32,
    /// City ids.
    pub cities: Vec<String>,
    /// The nodes of the tree (as [`Results::nodes`](crate::Results)).
    pub nodes: Vec<NodeInfo>,
    /// Slot of the index.
    pub root: usize,
    /// Raw values (before imputation) per indicator node slot; empty for groups.
    pub raw: Vec<Vec<f64>>,
    /// Values after imputation, transform and treatment, per indicator node slot.
    pub treated: Vec<Vec<f64>>,
    /// Scores per node slot: normalised values for indicators, aggregates for groups.
    pub scores: Vec<Vec<f64>>,
}

/// Availability of one indicator or city.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    /// `indicator` or `city`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Values present.
    pub present: usize,
    /// Values expected.
    pub total: usize,
}

/// Skewness and kurtosis of one indicator in one data set.
#[derive(Debug, Clone, PartialEq)]
pub struct SkewKurtRow {
    /// `raw` or `treated`.
    pub dataset: &'static str,
    /// Indicator id.
    pub indicator: String,
    /// Values present.
    pub n: usize,
    /// e1071 type-2 skewness (NaN with fewer than 4 values).
    pub skew: f64,
    /// e1071 type-2 excess kurtosis.
    pub kurt: f64,
    /// COINr `get_stats`' `Flag.SkewKurt`: `|skew| > 2` and `kurt > 3.5`.
    pub flag: bool,
}

/// One correlation of the audit.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRow {
    /// `raw` (raw indicator values) or `scores` (normalised indicators and aggregates).
    pub dataset: &'static str,
    /// Method.
    pub method: CorrMethod,
    /// `pair` (two indicators, or two siblings), `parent` or `index`.
    pub relation: &'static str,
    /// First variable.
    pub var1: String,
    /// Second variable.
    pub var2: String,
    /// Coefficient, p-value and pairs.
    pub corr: Correlation,
    /// Siblings (same parent) with `|r| > 0.9`.
    pub collinear: bool,
}

/// Cronbach's alpha and PCA of one group's children (scores data set).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAudit {
    /// Group id.
    pub group: String,
    /// Children ids.
    pub children: Vec<String>,
    /// Alpha and the complete rows it used.
    pub alpha: Option<(f64, usize)>,
    /// Principal components.
    pub pca: Option<Pca>,
}

/// The audit of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// Year.
    pub year: i32,
    /// Number of cities.
    pub n_cities: usize,
    /// Per indicator, then per city (raw values).
    pub availability: Vec<Availability>,
    /// Per indicator, raw and treated.
    pub skew_kurt: Vec<SkewKurtRow>,
    /// Correlations, long form.
    pub correlations: Vec<CorrelationRow>,
    /// Per group with at least two children.
    pub groups: Vec<GroupAudit>,
}

/// `|r|` above which siblings are flagged as collinear.
pub const COLLINEAR: f64 = 0.9;

impl Audit {
    /// Computes every statistic of the audit.
    pub fn compute(input: &AuditInput) -> Audit {
        let nodes = &input.nodes;
        let indicators: Vec<usize> = (0..nodes.len())
            .filter(|&n| nodes[n].is_indicator)
            .collect();
        let nc = input.cities.len();
        let id = |n: usize| nodes[n].id.clone();

        let mut availability: Vec<Availability> = indicators
            .iter()
            .map(|&n| Availability {
                kind: "indicator",
                id: id(n),
                present: input.raw[n].iter().filter(|v| !v.is_nan()).count(),
                total: nc,
            })
            .collect();
        availability.extend(input.cities.iter().enumerate().map(|(c, city)| {
            Availability {
                kind: "city",
                id: city.clone(),
                present: indicators
                    .iter()
                    .filter(|&&n| !input.raw[n][c].is_nan())
                    .count(),
                total: indicators.len(),
            }
        }));

        let mut skew_rows = Vec::new();
        for (dataset, data) in [("raw", &input.raw), ("treated", &input.treated)] {
            for &n in &indicators {
                let (skew, kurt) = skew_kurt(&data[n]).unwrap_or((f64::NAN, f64::NAN));
                skew_rows.push(SkewKurtRow {
                    dataset,
                    indicator: id(n),
                    n: data[n].iter().filter(|v| !v.is_nan()).count(),
                    skew,
                    kurt,
                    flag: skew.abs() > 2.0 && kurt > 3.5,
                });
            }
        }

        let mut correlations = Vec::new();
        for method in [CorrMethod::Pearson, CorrMethod::Spearman] {
            for (a, &i) in indicators.iter().enumerate() {
                for &j in &indicators[a + 1..] {
                    let corr = correlate(method, &input.raw[i], &input.raw[j]);
                    correlations.push(CorrelationRow {
                        dataset: "raw",
                        method,
                        relation: "pair",
                        var1: id(i),
                        var2: id(j),
                        corr,
                        collinear: nodes[i].parent == nodes[j].parent && corr.r.abs() > COLLINEAR,
                    });
                }
            }
            for i in 0..nodes.len() {
                for j in i + 1..nodes.len() {
                    if nodes[i].parent.is_some() && nodes[i].parent == nodes[j].parent {
                        let corr = correlate(method, &input.scores[i], &input.scores[j]);
                        correlations.push(CorrelationRow {
                            dataset: "scores",
                            method,
                            relation: "pair",
                            var1: id(i),
                            var2: id(j),
                            corr,
                            collinear: corr.r.abs() > COLLINEAR,
                        });
                    }
                }
            }
            for (n, info) in nodes.iter().enumerate() {
                let Some(parent) = info.parent else {
                    continue;
                };
                let mut targets = vec![("parent", parent)];
                if parent != input.root {
                    targets.push(("index", input.root));
                }
                for (relation, target) in targets {
                    correlations.push(CorrelationRow {
                        dataset: "scores",
                        method,
                        relation,
                        var1: id(n),
                        var2: id(target),
                        corr: correlate(method, &input.scores[n], &input.scores[target]),
                        collinear: false,
                    });
                }
            }
        }

        let groups = (0..nodes.len())
            .filter(|&g| !nodes[g].is_indicator)
            .filter_map(|g| {
                let children: Vec<usize> = (0..nodes.len())
                    .filter(|&n| nodes[n].parent == Some(g))
                    .collect();
                if children.len() < 2 {
                    return None;
                }
                let columns: Vec<&[f64]> = children
                    .iter()
                    .map(|&c| input.scores[c].as_slice())
                    .collect();
                Some(GroupAudit {
                    group: id(g),
                    children: children.iter().map(|&c| id(c)).collect(),
                    alpha: cronbach_alpha(&columns),
                    pca: pca(&columns),
                })
            })
            .collect();

        Audit {
            year: input.year,
            n_cities: nc,
            availability,
            skew_kurt: skew_rows,
            correlations,
            groups,
        }
    }

    /// A few lines for the terminal: what needs a look.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "statistical audit of {} ({} cities)\n",
            self.year, self.n_cities
        );
        let low: Vec<String> = self
            .availability
            .iter()
            .filter(|a| a.kind == "indicator" && a.present * 10 < a.total * 8)
            .map(|a| format!("{} {}/{}", a.id, a.present, a.total))
            .collect();
        let _ = writeln!(out, "  indicators under 80% available: {}", list(&low));
        let flagged: Vec<String> = self
            .skew_kurt
            .iter()
            .filter(|s| s.flag)
            .map(|s| format!("{} ({})", s.indicator, s.dataset))
            .collect();
        let _ = writeln!(out, "  skew and kurtosis flagged: {}", list(&flagged));
        let collinear: Vec<String> = self
            .correlations
            .iter()
            .filter(|c| c.collinear && c.method == CorrMethod::Pearson)
            .map(|c| format!("{}~{} r={:.3} ({})", c.var1, c.var2, c.corr.r, c.dataset))
            .collect();
        let _ = writeln!(
            out,
            "  collinear siblings (|r| > 0.9): {}",
            list(&collinear)
        );
        for g in &self.groups {
            let alpha = g
                .alpha
                .map_or_else(|| "n/a".to_string(), |(a, _)| format!("{a:.3}"));
            let pc1 = g.pca.as_ref().map_or_else(
                || "n/a".to_string(),
                |p| format!("{:.1}%", 100.0 * p.proportions()[0]),
            );
            let _ = writeln!(out, "  {}: alpha {alpha}, PC1 explains {pc1}", g.group);
        }
        out
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// Audits one year of a framework's data: raw values (before imputation), treated values
/// (after imputation, transform and outlier treatment) and the scores of [`score`]. The year
/// defaults to the latest ranked one, else the latest.
pub fn audit(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    observations: &Observations,
    year: Option<i32>,
) -> std::result::Result<Audit, AuditError> {
    let results = score(framework, catalogue, cities, observations)?;
    let plan = Plan::compile(framework, catalogue)?;
    // Raw = as laid out and denominated (`denominator`), before imputation.
    let mut raw = Panel::build(framework, cities, observations)?;
    denominate(&mut raw, framework, observations)?;
    let mut imputed = raw.clone();
    impute(&mut imputed, framework.methods.impute, cities);
    let (treated, _) = treat(
        &transform(&imputed, &plan)?,
        &plan,
        framework.methods.bounds,
    )?;

    let (Some(&first), Some(&last)) = (results.years.first(), results.years.last()) else {
        return Err(AuditError::NoData);
    };
    let y = match year {
        Some(year) => results
            .years
            .iter()
            .position(|&v| v == year)
            .ok_or(AuditError::UnknownYear { year, first, last })?,
        None => results
            .latest_ranked_year()
            .unwrap_or(results.years.len() - 1),
    };
    let panel_year = raw
        .years
        .iter()
        .position(|&v| v == results.years[y])
        .ok_or(AuditError::NoData)?;
    let slot: HashMap<&str, usize> = raw
        .indicators
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let nc = results.cities.len();
    let ni = raw.n_indicators();
    let column = |panel: &Panel, node: &NodeInfo| -> Vec<f64> {
        match (node.is_indicator, slot.get(node.id.as_str())) {
            (true, Some(&i)) => (0..nc)
                .map(|c| panel.values[(panel_year * nc + c) * ni + i])
                .collect(),
            _ => Vec::new(),
        }
    };
    let input = AuditInput {
        year: results.years[y],
        cities: results.cities.clone(),
        raw: results.nodes.iter().map(|n| column(&raw, n)).collect(),
        treated: results.nodes.iter().map(|n| column(&treated, n)).collect(),
        scores: (0..results.nodes.len())
            .map(|n| (0..nc).map(|c| results.score(y, c, n)).collect())
            .collect(),
        nodes: results.nodes.clone(),
        root: results.root,
    };
    Ok(Audit::compute(&input))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{assert_close, coinr_dir, read, Table};

    fn node(id: &str, indicator: bool, parent: Option<usize>) -> NodeInfo {
        NodeInfo {
            id: id.to_string(),
            name: id.to_string(),
            is_indicator: indicator,
            parent,
        }
    }

    #[test]
    fn computes_availability_and_flags_collinear_siblings() {
        let nan = f64::NAN;
        let a = vec![1.0, 2.0, 3.0, 4.0];
        let b = vec![1.1, 2.0, 3.1, nan];
        let input = AuditInput {
            year: 2020,
            cities: ["w", "x", "y", "z"].map(String::from).to_vec(),
            nodes: vec![
                node("index", false, None),
                node("a", true, Some(0)),
                node("b", true, Some(0)),
            ],
            root: 0,
            raw: vec![Vec::new(), a.clone(), b.clone()],
            treated: vec![Vec::new(), a.clone(), b.clone()],
            scores: vec![vec![1.0, 2.0, 3.0, 4.0], a, b],
        };
        let audit = Audit::compute(&input);
        let b_avail = audit.availability.iter().find(|r| r.id == "b").unwrap();
        assert_eq!((b_avail.present, b_avail.total), (3, 4));
        let z = audit.availability.iter().find(|r| r.id == "z").unwrap();
        assert_eq!((z.kind, z.present, z.total), ("city", 1, 2));
        assert!(audit
            .correlations
            .iter()
            .any(|c| c.relation == "pair" && c.collinear && c.corr.n == 3));
        assert_eq!(audit.groups.len(), 1);
        assert!(audit
            .summary()
            .contains("collinear siblings (|r| > 0.9): a~b"));
    }

    const CITIES: &str = r#"
[[city]]
id = "a"
name = "Alpha"
country = "AAA"
region = "R"
latitude = 0.0
longitude = 0.0
[[city]]
id = "b"
name = "Beta"
country = "BBB"
region = "R"
latitude = 0.0
longitude = 0.0
[[city]]
id = "c"
name = "Gamma"
country = "CCC"
region = "R"
latitude = 0.0
longitude = 0.0
"#;

    const CATALOGUE: &str = r#"
[[indicator]]
id = "life"
name = "Life expectancy"
unit = "years"
direction = "higher"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
[[indicator]]
id = "pm25"
name = "PM2.5"
unit = "ug/m3"
direction = "lower"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
[[indicator]]
id = "no2"
name = "NO2"
unit = "ug/m3"
direction = "lower"
level = "city"
source = { adapter = "x", publisher = "p", dataset = "d", release = "r", licence = "l", query = "q" }
"#;

    const FRAMEWORK: &str = r#"
[index]
id = "small"
name = "Small"
[methods]
scale = [0, 100]
impute = "mean"
[[group]]
id = "index"
[[group]]
id = "health"
parent = "index"
[[group]]
id = "air"
parent = "index"
[[indicator]]
id = "life"
parent = "health"
[[indicator]]
id = "pm25"
parent = "air"
[[indicator]]
id = "no2"
parent = "air"
"#;

    const DATA: &str = "city,indicator,year,value,source,flag
a,life,2018,79,s,
b,life,2018,71,s,
a,life,2019,80,s,
a,pm25,2019,10,s,
a,no2,2019,20,s,
b,life,2019,70,s,
b,pm25,2019,20,s,
b,no2,2019,40,s,
c,life,2019,75,s,
c,pm25,2019,30,s,
";

    fn run_audit(year: Option<i32>) -> std::result::Result<Audit, AuditError> {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        let framework = Framework::parse(FRAMEWORK, "small.toml").unwrap();
        let observations = Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap();
        audit(&framework, &catalogue, &cities, &observations, year)
    }

    #[test]
    fn audits_the_latest_year_counting_availability_before_imputation() {
        let audit = run_audit(None).unwrap();
        assert_eq!(audit.year, 2019);
        // no2 is imputed for C before scoring, but the audit counts the raw values.
        let no2 = audit.availability.iter().find(|a| a.id == "no2").unwrap();
        assert_eq!((no2.present, no2.total), (2, 3));
        // Raw pm25 vs no2 on A and B: r = 1 on 2 pairs, no p-value.
        let pair = audit
            .correlations
            .iter()
            .find(|c| c.dataset == "raw" && c.var1 == "pm25" && c.var2 == "no2")
            .unwrap();
        assert_eq!(pair.corr.n, 2);
        assert!(pair.corr.p.is_nan());
        // The scores include the imputed no2 (mean 30 -> 50): A 100/100, B 50/0, C 0/50.
        let air = audit.groups.iter().find(|g| g.group == "air").unwrap();
        assert_eq!(air.alpha.unwrap().1, 3);
        // life vs its parent health (its only child) is exactly 1.
        let parent = audit
            .correlations
            .iter()
            .find(|c| c.relation == "parent" && c.var1 == "life")
            .unwrap();
        assert_close(parent.corr.r, 1.0, 1e-12, "life vs health");
        assert_eq!(run_audit(Some(2018)).unwrap().year, 2018);
    }

    #[test]
    fn rejects_a_year_without_data_naming_the_range() {
        let err = run_audit(Some(1990)).unwrap_err().to_string();
        assert_eq!(
            err,
            "year `1990` is not in the data (years 2018..=2019); pick a year in that range"
        );
    }

    /// Columns of a reference table by name.
    fn columns(table: &Table, names: &[&str]) -> Vec<Vec<f64>> {
        names
            .iter()
            .map(|name| {
                let col = table.column(name);
                (0..table.rows.len())
                    .map(|r| table.number(r, col))
                    .collect()
            })
            .collect()
    }

    const INDICATORS: [&str; 10] = [
        "LIV_04", "LIV_05", "GRN_01", "GRN_02", "GRN_03", "GRN_07", "LIV_01", "LIV_02", "CON_04",
        "CON_05",
    ];
    const GROUPS: [(&str, &[&str]); 3] = [
        ("Health", &["LIV_04", "LIV_05"]),
        ("Environment", &["GRN_01", "GRN_02", "GRN_03", "GRN_07"]),
        ("SafeActive", &["LIV_01", "LIV_02", "CON_04", "CON_05"]),
    ];

    // Tolerance 1e-9 absolute, as for every COINr comparison.
    const TOL: f64 = 1e-9;

    #[test]
    fn raw_correlations_and_p_values_match_coinr() {
        let Some(dir) = coinr_dir() else { return };
        let data = read(&dir.join("iData.csv"));
        let cols = columns(&data, &INDICATORS);
        let col = |name: &str| &cols[INDICATORS.iter().position(|&n| n == name).unwrap()];
        for method in [CorrMethod::Pearson, CorrMethod::Spearman] {
            let file = format!(
                "analysis/corr_raw_{}_long_with_pvalues.csv",
                method.as_str()
            );
            let reference = read(&dir.join(file));
            let (v1, v2, r, p, n) = (
                reference.column("Var1"),
                reference.column("Var2"),
                reference.column("Correlation"),
                reference.column("pvalue"),
                reference.column("n_pairwise"),
            );
            assert_eq!(reference.rows.len(), 100);
            for row in 0..reference.rows.len() {
                let (a, b) = (&reference.rows[row][v1], &reference.rows[row][v2]);
                let c = correlate(method, col(a), col(b));
                let what = format!("{} {a} {b}", method.as_str());
                assert_eq!(c.n.to_string(), reference.rows[row][n], "{what} n");
                assert_close(c.r, reference.number(row, r), TOL, &what);
                assert_close(c.p, reference.number(row, p), TOL, &what);
            }
        }
    }

    #[test]
    fn correlations_with_parent_and_index_match_coinr() {
        let Some(dir) = coinr_dir() else { return };
        let data = read(&dir.join("default_build/dset_Aggregated.csv"));
        for method in [CorrMethod::Pearson, CorrMethod::Spearman] {
            for file in ["indicators_vs_parent_and_index", "groups_vs_index"] {
                let name = format!("analysis/corr_default_build_{file}_{}.csv", method.as_str());
                let reference = read(&dir.join(name));
                let (v1, v2, r, parent) = (
                    reference.column("Var1"),
                    reference.column("Var2"),
                    reference.column("Correlation"),
                    reference.column("ParentCode"),
                );
                for row in 0..reference.rows.len() {
                    let fields = &reference.rows[row];
                    let target = if fields[v1] == "Level_3" {
                        "Index"
                    } else {
                        &fields[parent]
                    };
                    let cols = columns(&data, &[&fields[v2], target]);
                    let c = correlate(method, &cols[0], &cols[1]);
                    assert_close(c.r, reference.number(row, r), TOL, &format!("{fields:?}"));
                }
            }
        }
    }

    #[test]
    fn cronbach_alpha_matches_coinr() {
        let Some(dir) = coinr_dir() else { return };
        let normalised = read(&dir.join("default_build/dset_Normalised.csv"));
        let reference = read(&dir.join("analysis/cronbach_alpha_default_build.csv"));
        let (group, alpha) = (reference.column("group"), reference.column("alpha"));
        let expected = |name: &str, level: &str| {
            let level_col = reference.column("Level");
            let row = (0..reference.rows.len())
                .find(|&r| {
                    reference.rows[r][group] == name && reference.rows[r][level_col] == level
                })
                .unwrap_or_else(|| panic!("no alpha for {name}"));
            reference.number(row, alpha)
        };
        let mut groups: Vec<(&str, &[&str])> = GROUPS.to_vec();
        groups.push(("Index", &INDICATORS));
        for (name, members) in groups {
            let cols = columns(&normalised, members);
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let (a, n) = cronbach_alpha(&refs).unwrap();
            assert_eq!(n, 55);
            assert_close(a, expected(name, "1"), TOL, name);
        }
        let aggregated = read(&dir.join("default_build/dset_Aggregated.csv"));
        let cols = columns(&aggregated, &["Health", "Environment", "SafeActive"]);
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        assert_close(
            cronbach_alpha(&refs).unwrap().0,
            expected("Index", "2"),
            TOL,
            "groups",
        );
    }

    fn check_pca(dir: &std::path::Path, data: &Table, prefix: &str, group: &str) {
        let rotation = read(&dir.join(format!("analysis/{prefix}_{group}_loadings_rotation.csv")));
        let variance = read(&dir.join(format!("analysis/{prefix}_{group}_variance_explained.csv")));
        let names: Vec<&str> = rotation.rows.iter().map(|r| r[0].as_str()).collect();
        let cols = columns(data, &names);
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let p = pca(&refs).unwrap();
        let props = p.proportions();
        let (sdev, prop) = (variance.column("sdev"), variance.column("prop_variance"));
        for (c, &share) in props.iter().enumerate() {
            let what = format!("{prefix} {group} PC{}", c + 1);
            assert_close(p.variances[c].sqrt(), variance.number(c, sdev), TOL, &what);
            assert_close(share, variance.number(c, prop), TOL, &what);
            let col = rotation.column(&format!("PC{}", c + 1));
            // Up to sign: align on the largest reference loading.
            let expected: Vec<f64> = (0..names.len()).map(|v| rotation.number(v, col)).collect();
            let big = (0..names.len())
                .max_by(|&a, &b| expected[a].abs().total_cmp(&expected[b].abs()))
                .unwrap();
            let sign = (expected[big] * p.loadings[c][big]).signum();
            for v in 0..names.len() {
                assert_close(
                    sign * p.loadings[c][v],
                    expected[v],
                    TOL,
                    &format!("{what} {}", names[v]),
                );
            }
        }
    }

    #[test]
    fn pca_variance_and_loadings_match_coinr_up_to_sign() {
        let Some(dir) = coinr_dir() else { return };
        let normalised = read(&dir.join("default_build/dset_Normalised.csv"));
        let raw = read(&dir.join("iData.csv"));
        for (group, _) in GROUPS {
            check_pca(&dir, &normalised, "pca_L1_Normalised", group);
            check_pca(&dir, &raw, "pca_L1_Raw", group);
        }
        let aggregated = read(&dir.join("default_build/dset_Aggregated.csv"));
        check_pca(&dir, &aggregated, "pca_L2_Aggregated", "Index");
    }
}
