//! Weighting: effective weights, and weights derived from the data: PCA, benefit of the doubt
//! (linear programming) and weights optimised towards target correlations.
//!
//! - [`effective_weight_table`]: each node's effective weight in the index (COINr
//!   `get_eff_weights`).
//! - [`pca_column_weights`]: squared PC1 loadings of a group's standardised children (COINr `get_PCA`
//!   gives the loadings; the OECD/JRC Handbook squares and rescales them).
//! - [`bod`]: benefit of the doubt for every city (Compind `ci_bod`, and `ci_bod_constr` with
//!   bounds on each child's share), solved exactly by a dense simplex ([`simplex_max`]).
//! - [`optimise_weights`]: Nelder-Mead on the squared differences between each child's
//!   normalised correlation with the group score and its target (COINr `get_opt_weights`).
//! - [`resolve_weights`]: fills a [`Plan`]'s data-driven group weights from the data before
//!   aggregation (what [`score`](crate::score) does for `weights = "pca"` / `"optimised"`).

use healthy_city_model::{Aggregation, Weighting};

use crate::aggregate::{aggregate_row, aggregate_year, AggregateFailure};
use crate::plan::{effective_weights, Plan};
use crate::stats::{pca, pearson_r};

/// One row of the effective-weights report.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveWeight {
    /// Node id.
    pub id: String,
    /// COINr level: 1 for an indicator, 1 + the highest level among a group's children.
    pub level: u32,
    /// Weight as used, relative to its siblings (the root: 1).
    pub weight: f64,
    /// Product of `weight / sum of sibling weights` up to the root.
    pub effective: f64,
}

/// The effective-weights report (COINr `get_eff_weights(out2 = "df")`): one row per node,
/// in node-slot order, with its level, weight and effective weight in the index.
pub(crate) fn effective_weight_table(plan: &Plan) -> Vec<EffectiveWeight> {
    let nn = plan.n_nodes();
    let mut level = vec![1u32; nn];
    let mut weight = vec![f64::NAN; nn];
    weight[plan.root] = 1.0;
    for group in &plan.groups {
        level[group.node] = 1 + group
            .children
            .iter()
            .map(|&(c, _)| level[c])
            .max()
            .unwrap_or(0);
        for &(child, w) in &group.children {
            weight[child] = w;
        }
    }
    let effective = effective_weights(plan);
    (0..nn)
        .map(|n| EffectiveWeight {
            id: plan.node_ids[n].clone(),
            level: level[n],
            weight: weight[n],
            effective: effective[n],
        })
        .collect()
}

/// PCA weights of one group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PcaWeights {
    /// PC1's unit-norm loadings, sign fixed so that they sum to >= 0 (COINr's proposed
    /// weights up to sign).
    pub loadings: Vec<f64>,
    /// The weights: squared loadings, which sum to 1.
    pub weights: Vec<f64>,
    /// Share of the variance PC1 explains.
    pub explained: f64,
    /// Complete rows used.
    pub n: usize,
}

/// PCA-derived weights: the first principal component of the standardised columns on their
/// complete rows (R `prcomp(center = TRUE, scale. = TRUE)` after `na.omit`, as COINr
/// `get_PCA`), weights = squared loadings (they sum to 1 because the loadings have unit norm).
/// `None` with fewer than 2 columns, fewer than 3 complete rows or a constant column.
pub(crate) fn pca_column_weights(columns: &[&[f64]]) -> Option<PcaWeights> {
    let p = pca(columns)?;
    let loadings = p.loadings[0].clone();
    let weights = loadings.iter().map(|l| l * l).collect();
    Some(PcaWeights {
        loadings,
        weights,
        explained: p.proportions()[0],
        n: p.n,
    })
}

/// Each column's Pearson correlation with the aggregate of the columns under `weights`.
pub(crate) fn correlations_with_aggregate(
    columns: &[&[f64]],
    weights: &[f64],
    method: Aggregation,
) -> Vec<f64> {
    let rows = columns.first().map_or(0, |c| c.len());
    let mut row = vec![0.0; columns.len()];
    let score: Vec<f64> = (0..rows)
        .map(|r| {
            for (v, c) in row.iter_mut().zip(columns) {
                *v = c[r];
            }
            aggregate_row(&row, weights, method)
        })
        .collect();
    columns.iter().map(|c| pearson_r(c, &score).0).collect()
}

/// The objective of [`optimise_weights`]: `sum_i (r_i / sum r - t_i / sum t)^2`.
pub(crate) fn balance_objective(correlations: &[f64], targets: &[f64]) -> f64 {
    let (sr, st): (f64, f64) = (correlations.iter().sum(), targets.iter().sum());
    let value: f64 = correlations
        .iter()
        .zip(targets)
        .map(|(r, t)| (r / sr - t / st).powi(2))
        .sum();
    if value.is_nan() {
        f64::INFINITY
    } else {
        value
    }
}

/// Weights optimised towards target correlations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OptimisedWeights {
    /// The weights, summing to 1.
    pub weights: Vec<f64>,
    /// Each child's Pearson correlation with the group score under those weights.
    pub correlations: Vec<f64>,
    /// The objective reached ([`balance_objective`]).
    pub objective: f64,
    /// Nelder-Mead iterations used.
    pub iterations: usize,
}

/// Weights that bring each column's correlation with the aggregate as close as possible to
/// the relative `targets` (COINr `get_opt_weights(optype = "balance")`; all targets equal:
/// "equal influence"). Minimises [`balance_objective`] by Nelder-Mead (reflection 1,
/// expansion 2, contraction 1/2, shrink 1/2) over `p`, with weights `w = p^2 / sum p^2` so
/// that they stay positive and sum to 1, starting from `start` (e.g. the nominal weights),
/// until the objective's spread over the simplex is below 1e-14 or 5000 iterations.
pub(crate) fn optimise_weights(
    columns: &[&[f64]],
    targets: &[f64],
    start: &[f64],
    method: Aggregation,
) -> OptimisedWeights {
    let k = columns.len();
    assert!(targets.len() == k && start.len() == k);
    let to_weights = |p: &[f64]| -> Vec<f64> {
        let total: f64 = p.iter().map(|v| v * v).sum();
        p.iter().map(|v| v * v / total).collect()
    };
    let f = |p: &[f64]| {
        if p.iter().all(|&v| v == 0.0) {
            return f64::INFINITY;
        }
        balance_objective(
            &correlations_with_aggregate(columns, &to_weights(p), method),
            targets,
        )
    };
    let total: f64 = start.iter().sum();
    let p0: Vec<f64> = start.iter().map(|w| (w / total).sqrt()).collect();
    let mut simplex: Vec<Vec<f64>> = vec![p0.clone()];
    for i in 0..k {
        let mut p = p0.clone();
        p[i] += 0.25 * p0.iter().copied().fold(0.0, f64::max).max(0.1);
        simplex.push(p);
    }
    let mut values: Vec<f64> = simplex.iter().map(|p| f(p)).collect();
    let mut iterations = 0;
    while iterations < 5000 {
        let mut order: Vec<usize> = (0..=k).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();
        if values[k] - values[0] < 1e-14 {
            break;
        }
        iterations += 1;
        let centroid: Vec<f64> = (0..k)
            .map(|j| simplex[..k].iter().map(|p| p[j]).sum::<f64>() / k as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[k])
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = towards(-1.0);
        let fr = f(&reflected);
        if fr < values[0] {
            let expanded = towards(-2.0);
            let fe = f(&expanded);
            if fe < fr {
                simplex[k] = expanded;
                values[k] = fe;
            } else {
                simplex[k] = reflected;
                values[k] = fr;
            }
        } else if fr < values[k - 1] {
            simplex[k] = reflected;
            values[k] = fr;
        } else {
            let (contracted, fc) = if fr < values[k] {
                let c = towards(-0.5);
                let fc = f(&c);
                (c, fc)
            } else {
                let c = towards(0.5);
                let fc = f(&c);
                (c, fc)
            };
            if fc < values[k].min(fr) {
                simplex[k] = contracted;
                values[k] = fc;
            } else {
                let best = simplex[0].clone();
                for i in 1..=k {
                    simplex[i] = best
                        .iter()
                        .zip(&simplex[i])
                        .map(|(b, p)| b + 0.5 * (p - b))
                        .collect();
                    values[i] = f(&simplex[i]);
                }
            }
        }
    }
    let best = (0..=k)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    let weights = to_weights(&simplex[best]);
    let correlations = correlations_with_aggregate(columns, &weights, method);
    OptimisedWeights {
        objective: balance_objective(&correlations, targets),
        weights,
        correlations,
        iterations,
    }
}

/// Weights a group derived from the data at scoring time.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupWeights {
    /// Node slot of the group.
    pub node: usize,
    /// The method (`pca` or `optimised`).
    pub weighting: Weighting,
    /// `(child node slot, weight)`, weights summing to 1.
    pub weights: Vec<(usize, f64)>,
    /// Rows (city-years) the weights were computed on: PCA's complete rows, or every row
    /// with a group score for the optimiser.
    pub n: usize,
}

/// Why data-driven weights could not be derived.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ResolveFailure {
    /// Aggregating the children failed (year slot and failure).
    Aggregate(usize, AggregateFailure),
    /// PCA was impossible: fewer than 3 complete rows or a constant child (group node slot).
    Pca(usize),
}

/// Fills the weights of every group with `weights = "pca"` or `"optimised"` from the data,
/// children before parents, and recomputes [`Plan::effective`]. `scores` is
/// `[year][city][node]` for `n_cities` cities per year, indicators filled with normalised
/// values (NaN if missing); it is not changed. The children's scores are **pooled over every
/// year and city** (one set of weights for the whole panel, so that scores stay comparable
/// across years; with one year this is COINr's single data set).
pub(crate) fn resolve_weights(
    plan: &mut Plan,
    scores: &[f64],
    n_cities: usize,
) -> Result<Vec<GroupWeights>, ResolveFailure> {
    let nn = plan.n_nodes();
    let block = n_cities * nn;
    let n_years = scores.len().checked_div(block).unwrap_or(0);
    let mut derived = Vec::new();
    for g in 0..plan.groups.len() {
        let weighting = plan.groups[g].weighting;
        if !weighting.is_data_driven() {
            continue;
        }
        // Aggregate everything below with the weights resolved so far.
        let mut work = scores.to_vec();
        for y in 0..n_years {
            aggregate_year(plan, &mut work[y * block..(y + 1) * block], n_cities)
                .map_err(|f| ResolveFailure::Aggregate(y, f))?;
        }
        let group = &plan.groups[g];
        let rows = n_years * n_cities;
        let columns: Vec<Vec<f64>> = group
            .children
            .iter()
            .map(|&(child, _)| (0..rows).map(|r| work[r * nn + child]).collect())
            .collect();
        let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let (weights, n) = if weighting == Weighting::Pca {
            let p = pca_column_weights(&refs).ok_or(ResolveFailure::Pca(group.node))?;
            (p.weights, p.n)
        } else {
            let start: Vec<f64> = group.children.iter().map(|&(_, w)| w).collect();
            // `targets = "weights"`: the written weights (plan.rs keeps them); else equal.
            let targets = if weighting == (Weighting::Optimised { to_weights: true }) {
                start.clone()
            } else {
                vec![1.0; start.len()]
            };
            let o = optimise_weights(&refs, &targets, &start, group.aggregation);
            let n = (0..rows)
                .filter(|&r| !work[r * nn + group.node].is_nan())
                .count();
            (o.weights, n)
        };
        let group = &mut plan.groups[g];
        for ((_, w), &new) in group.children.iter_mut().zip(&weights) {
            *w = new;
        }
        derived.push(GroupWeights {
            node: group.node,
            weighting,
            weights: group.children.clone(),
            n,
        });
    }
    plan.effective = effective_weights(plan);
    Ok(derived)
}

#[cfg(test)]
mod tests {
    use healthy_city_model::{Catalogue, Framework};

    use super::*;
    use crate::bod::bod;
    use crate::reference::{assert_close, coinr_dir, read, Table};

    fn columns_of(table: &Table, names: &[&str]) -> Vec<Vec<f64>> {
        names
            .iter()
            .map(|n| {
                let c = table.column(n);
                (0..table.rows.len()).map(|r| table.number(r, c)).collect()
            })
            .collect()
    }

    const GROUPS: [(&str, &[&str]); 3] = [
        ("Health", &["LIV_04", "LIV_05"]),
        ("Environment", &["GRN_01", "GRN_02", "GRN_03", "GRN_07"]),
        ("SafeActive", &["LIV_01", "LIV_02", "CON_04", "CON_05"]),
    ];

    /// BoD on COINr's normalised default build, all ten indicators: every score in (0, 1],
    /// and every city that is best on some indicator scores 1 (tolerance 1e-9).
    #[test]
    fn bod_on_the_coinr_data_scores_the_best_on_any_indicator_1() {
        let Some(dir) = coinr_dir() else { return };
        let table = read(&dir.join("default_build/dset_Normalised.csv"));
        let names: Vec<&str> = GROUPS.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        let cols = columns_of(&table, &names);
        let (n, k) = (table.rows.len(), names.len());
        let x: Vec<f64> = (0..n)
            .flat_map(|r| cols.iter().map(move |c| c[r]))
            .collect();
        let r = bod(&x, n, k, [0.0, 1.0]);
        for (c, res) in r.iter().enumerate() {
            assert!(
                res.score > 0.0 && res.score <= 1.0 + 1e-9,
                "{c}: {}",
                res.score
            );
            let best_somewhere = (0..k).any(|i| cols[i].iter().all(|&v| v <= cols[i][c]));
            if best_somewhere {
                // Exactly 1, so that frontier cities tie in the ranking.
                assert_eq!(res.score, 1.0, "{}", table.rows[c][0]);
            }
            // Feasible: no city exceeds 1 under this city's weights.
            for j in 0..n {
                let v: f64 = (0..k).map(|i| res.weights[i] * x[j * k + i]).sum();
                assert!(v <= 1.0 + 1e-9);
            }
        }
        // Constrained (each share 5% to 50%): never above the unconstrained score. A city
        // with a 0 on some child cannot give it a 5% share of a positive score: it scores 0
        // (Compind's `ci_bod_constr` constraints do the same). GRN_07 is 0 for 38 cities.
        let rc = bod(&x, n, k, [0.05, 0.5]);
        let mut zeros = 0;
        for (c, (a, b)) in r.iter().zip(&rc).enumerate() {
            assert!(b.score <= a.score + 1e-9, "{c}");
            if x[c * k..(c + 1) * k].contains(&0.0) {
                zeros += 1;
                assert_close(b.score, 0.0, 1e-12, "a zero child");
            } else {
                assert!(b.score > 0.0);
                assert!(b
                    .shares
                    .iter()
                    .all(|s| (0.05 - 1e-9..=0.5 + 1e-9).contains(s)));
            }
        }
        assert!(zeros > 0 && zeros < n);
    }

    /// COINr `get_PCA(coin, dset = "Normalised", Level = 1, by_groups = TRUE)` proposes PC1's
    /// loadings (`pca_L1_Normalised_weights_proposed.csv`); ours equal them up to sign
    /// (tolerance 1e-9) and the weights are their squares, summing to 1.
    #[test]
    fn pca_weights_are_squared_coinr_pc1_loadings() {
        let Some(dir) = coinr_dir() else { return };
        let table = read(&dir.join("default_build/dset_Normalised.csv"));
        let proposed = read(&dir.join("analysis/pca_L1_Normalised_weights_proposed.csv"));
        let by_code = proposed.index(proposed.column("iCode"));
        for (group, names) in GROUPS {
            let cols = columns_of(&table, names);
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let p = pca_column_weights(&refs).unwrap();
            let theirs: Vec<f64> = names
                .iter()
                .map(|n| proposed.number(by_code[*n], proposed.column("Weight")))
                .collect();
            let sign = if theirs.iter().sum::<f64>() < 0.0 {
                -1.0
            } else {
                1.0
            };
            for (i, name) in names.iter().enumerate() {
                assert_close(p.loadings[i], sign * theirs[i], 1e-9, name);
                assert_close(p.weights[i], theirs[i] * theirs[i], 1e-9, name);
            }
            assert_close(p.weights.iter().sum(), 1.0, 1e-12, group);
        }
    }

    /// Equal-influence optimisation on COINr's normalised default build: in every group the
    /// objective after optimisation is below the one with equal weights, and the correlations
    /// are closer to equal.
    #[test]
    fn optimised_weights_balance_the_correlations_on_the_coinr_data() {
        let Some(dir) = coinr_dir() else { return };
        let table = read(&dir.join("default_build/dset_Normalised.csv"));
        for (group, names) in GROUPS.iter().skip(1) {
            let cols = columns_of(&table, names);
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let k = names.len();
            let (equal, targets) = (vec![1.0; k], vec![1.0; k]);
            let before = balance_objective(
                &correlations_with_aggregate(&refs, &equal, Aggregation::Arithmetic),
                &targets,
            );
            let o = optimise_weights(&refs, &targets, &equal, Aggregation::Arithmetic);
            assert!(
                o.objective < before * 0.5,
                "{group}: {} vs {before}",
                o.objective
            );
            assert_close(o.weights.iter().sum(), 1.0, 1e-12, group);
            let spread = |r: &[f64]| {
                r.iter().copied().fold(f64::MIN, f64::max)
                    - r.iter().copied().fold(f64::MAX, f64::min)
            };
            let equal_r = correlations_with_aggregate(&refs, &equal, Aggregation::Arithmetic);
            assert!(spread(&o.correlations) < spread(&equal_r), "{group}");
        }
    }

    /// The effective weights of COINr's reference framework (all weights 1):
    /// `default_build/get_eff_weights.csv` (Level, Weight, EffWeight), tolerance 1e-15.
    #[test]
    fn effective_weights_match_coinr_get_eff_weights() {
        let Some(dir) = coinr_dir() else { return };
        let plan = coinr_plan();
        let expected = read(&dir.join("default_build/get_eff_weights.csv"));
        let rows = effective_weight_table(&plan);
        assert_eq!(rows.len(), expected.rows.len());
        for (r, row) in expected.rows.iter().enumerate() {
            let id = row[0].to_lowercase();
            let ours = rows.iter().find(|w| w.id == id).unwrap();
            assert_eq!(f64::from(ours.level), expected.number(r, 1), "{id} level");
            assert_eq!(ours.weight, expected.number(r, 2), "{id} weight");
            assert_close(ours.effective, expected.number(r, 3), 1e-15, &id);
        }
    }

    /// Scores COINr's normalised default build (already min-max 0-100 per indicator, so the
    /// engine's min-max leaves it as it is, to rounding) through [`score`](crate::score),
    /// with `extra[g]` added to group `g` (0 = the index, then Health, Environment, SafeActive).
    fn score_normalised(extra: [&str; 4]) -> Option<(crate::Results, Table)> {
        score_normalised_weighted(extra, &[])
    }

    /// [`score_normalised`] with `weight = w` written for each `(code, w)` of `weights`.
    fn score_normalised_weighted(
        extra: [&str; 4],
        weights: &[(&str, f64)],
    ) -> Option<(crate::Results, Table)> {
        use healthy_city_model::{Cities, Observations};
        use std::fmt::Write as _;
        let dir = coinr_dir()?;
        let table = read(&dir.join("default_build/dset_Normalised.csv"));
        let mut f = format!(
            "[index]\nid = \"c\"\nname = \"C\"\n[[group]]\nid = \"index\"\n{}\n",
            extra[0]
        );
        let mut c = String::new();
        for (g, (group, names)) in GROUPS.iter().enumerate() {
            write!(
                f,
                "[[group]]\nid = \"{}\"\nparent = \"index\"\n{}\n",
                group.to_lowercase(),
                extra[g + 1]
            )
            .unwrap();
            for n in *names {
                write!(
                    f,
                    "[[indicator]]\nid = \"{}\"\nparent = \"{}\"\n",
                    n.to_lowercase(),
                    group.to_lowercase()
                )
                .unwrap();
                if let Some((_, w)) = weights.iter().find(|(code, _)| code == n) {
                    writeln!(f, "weight = {w}").unwrap();
                }
                write!(c, "[[indicator]]\nid = \"{}\"\nname = \"{n}\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n", n.to_lowercase()).unwrap();
            }
        }
        let (mut cities, mut data) = (
            String::new(),
            String::from("city,indicator,year,value,source,flag\n"),
        );
        for (r, row) in table.rows.iter().enumerate() {
            let id = row[0].to_lowercase();
            write!(cities, "[[city]]\nid = \"{id}\"\nname = \"{}\"\ncountry = \"XXX\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n", row[0]).unwrap();
            for k in 1..table.header.len() {
                writeln!(
                    data,
                    "{id},{},2020,{},s,",
                    table.header[k].to_lowercase(),
                    table.number(r, k)
                )
                .unwrap();
            }
        }
        let results = crate::score(
            &Framework::parse(&f, "c.toml").unwrap(),
            &Catalogue::parse(&c, "cat.toml").unwrap(),
            &Cities::parse(&cities, "cities.toml").unwrap(),
            &Observations::from_csv(data.as_bytes(), "obs.csv").unwrap(),
        )
        .unwrap();
        Some((results, table))
    }

    /// `weights = "pca"` on every group, through `score`: the derived weights are the squared
    /// COINr PC1 loadings, the index effective weights follow them, and each group's score is
    /// the weighted mean of the reference normalised values (tolerance 1e-9).
    #[test]
    fn a_pca_weighted_framework_scores_with_the_squared_loadings() {
        let pca = "weights = \"pca\"";
        let Some((r, table)) = score_normalised(["", pca, pca, pca]) else {
            return;
        };
        let dir = coinr_dir().unwrap();
        let proposed = read(&dir.join("analysis/pca_L1_Normalised_weights_proposed.csv"));
        let by_code = proposed.index(proposed.column("iCode"));
        assert_eq!(r.derived_weights.len(), 3);
        for (g, (group, names)) in GROUPS.iter().enumerate() {
            let derived = &r.derived_weights[g];
            let node = r
                .nodes
                .iter()
                .position(|n| n.id == group.to_lowercase())
                .unwrap();
            assert_eq!(derived.node, node);
            assert_eq!(derived.weighting, Weighting::Pca);
            let w: Vec<f64> = names
                .iter()
                .map(|n| {
                    proposed
                        .number(by_code[*n], proposed.column("Weight"))
                        .powi(2)
                })
                .collect();
            for (i, &(_, ours)) in derived.weights.iter().enumerate() {
                assert_close(ours, w[i], 1e-9, names[i]);
                let e = &r.effective_weights[derived.weights[i].0];
                assert_close(e.effective, w[i] / 3.0, 1e-9, names[i]);
            }
            for (row, code) in table.rows.iter().enumerate() {
                let c = r.city_slot(&code[0].to_lowercase()).unwrap();
                let expected: f64 = names
                    .iter()
                    .zip(&w)
                    .map(|(n, wi)| wi * table.number(row, table.column(n)))
                    .sum();
                assert_close(r.score(0, c, node), expected, 1e-9, &code[0]);
            }
        }
    }

    /// `weights = "bod"` on the index (over its three equal-weight groups), through `score`:
    /// scores in (0, 1], the best city on any group scores 1; with share bounds no score rises.
    #[test]
    fn a_bod_index_scores_each_city_with_its_most_favourable_weights() {
        let Some((r, _)) = score_normalised(["weights = \"bod\"", "", "", ""]) else {
            return;
        };
        let (Some((rc, _)), n) = (
            score_normalised([
                "weights = { method = \"bod\", min_share = 0.2, max_share = 0.5 }",
                "",
                "",
                "",
            ]),
            r.cities.len(),
        ) else {
            return;
        };
        let groups: Vec<usize> = r.domains();
        for c in 0..n {
            let s = r.score(0, c, r.root);
            assert!(s > 0.0 && s <= 1.0 + 1e-12, "{}: {s}", r.cities[c]);
            let best = groups
                .iter()
                .any(|&g| (0..n).all(|j| r.score(0, j, g) <= r.score(0, c, g)));
            if best {
                assert_close(s, 1.0, 1e-9, &r.cities[c]);
            }
            assert!(rc.score(0, c, r.root) <= s + 1e-12);
        }
        assert_eq!(
            r.rank(
                0,
                (0..n)
                    .find(|&c| r.score(0, c, r.root) >= 1.0 - 1e-12)
                    .unwrap(),
                r.root
            ),
            Some(1)
        );
    }

    /// `weights = "optimised"` through `score`: the group's children end closer to equal
    /// correlation with the group than under equal weights.
    #[test]
    fn an_optimised_group_balances_its_correlations_through_score() {
        let opt = "weights = \"optimised\"";
        let Some((r, table)) = score_normalised(["", "", opt, ""]) else {
            return;
        };
        let (_, names) = GROUPS[1];
        let cols = columns_of(&table, names);
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let w: Vec<f64> = r.derived_weights[0]
            .weights
            .iter()
            .map(|&(_, w)| w)
            .collect();
        let ones = vec![1.0; names.len()];
        let after = balance_objective(
            &correlations_with_aggregate(&refs, &w, Aggregation::Arithmetic),
            &ones,
        );
        let before = balance_objective(
            &correlations_with_aggregate(&refs, &ones, Aggregation::Arithmetic),
            &ones,
        );
        assert!(after < before, "{after} vs {before}");
        assert_eq!(r.derived_weights[0].n, 55);
    }

    /// `weights = { method = "optimised", targets = "weights" }` through `score`: on COINr's
    /// Environment group with written weights 4, 2, 1, 1, the derived weights bring the
    /// correlation shares nearer those targets than both the written weights themselves and
    /// the equal-influence optimum do, and GRN_01 (target 1/2) ends with the largest share.
    #[test]
    fn optimised_towards_the_written_weights_follows_them() {
        let written = [
            ("GRN_01", 4.0),
            ("GRN_02", 2.0),
            ("GRN_03", 1.0),
            ("GRN_07", 1.0),
        ];
        let to = "weights = { method = \"optimised\", targets = \"weights\" }";
        let Some((r, table)) = score_normalised_weighted(["", "", to, ""], &written) else {
            return;
        };
        let Some((equal, _)) = score_normalised(["", "", "weights = \"optimised\"", ""]) else {
            return;
        };
        let (_, names) = GROUPS[1];
        let cols = columns_of(&table, names);
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let targets: Vec<f64> = written.iter().map(|&(_, w)| w).collect();
        let derived = |r: &crate::Results| -> Vec<f64> {
            r.derived_weights[0]
                .weights
                .iter()
                .map(|&(_, w)| w)
                .collect()
        };
        assert_eq!(
            r.derived_weights[0].weighting,
            Weighting::Optimised { to_weights: true }
        );
        let objective = |w: &[f64]| {
            balance_objective(
                &correlations_with_aggregate(&refs, w, Aggregation::Arithmetic),
                &targets,
            )
        };
        let ours = objective(&derived(&r));
        assert!(ours < objective(&targets), "{ours} vs the written weights");
        assert!(
            ours < objective(&derived(&equal)),
            "{ours} vs equal influence"
        );
        let shares = correlations_with_aggregate(&refs, &derived(&r), Aggregation::Arithmetic);
        let first = shares[0];
        assert!(shares[1..].iter().all(|&s| s < first), "{shares:?}");
    }

    /// Four cities, two higher-is-better indicators under the index, min-max 0-100; `index`
    /// holds extra lines for the index group and `methods` for `[methods]`.
    /// Raw x0: A 10, B 0, C 5, D 4 -> 100, 0, 50, 40; x1: A 0, B 10, C missing, D 4 -> 0, 100,
    /// -, 40. x0 has weight 3.
    fn tiny(index: &str, methods: &str) -> crate::Results {
        use healthy_city_model::{Cities, Observations};
        use std::fmt::Write as _;
        let f = format!("[index]\nid = \"t\"\nname = \"T\"\n[methods]\n{methods}\n[[group]]\nid = \"index\"\n{index}\n[[indicator]]\nid = \"x0\"\nparent = \"index\"\nweight = 3\n[[indicator]]\nid = \"x1\"\nparent = \"index\"\n");
        let mut c = String::new();
        let mut cities = String::new();
        for x in ["x0", "x1"] {
            write!(c, "[[indicator]]\nid = \"{x}\"\nname = \"X\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
        }
        for city in ["a", "b", "c", "d"] {
            write!(cities, "[[city]]\nid = \"{city}\"\nname = \"{city}\"\ncountry = \"AAA\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n").unwrap();
        }
        let data = "city,indicator,year,value,source,flag\na,x0,2020,10,s,\na,x1,2020,0,s,\nb,x0,2020,0,s,\nb,x1,2020,10,s,\nc,x0,2020,5,s,\nd,x0,2020,4,s,\nd,x1,2020,4,s,\n";
        crate::score(
            &Framework::parse(&f, "t.toml").unwrap(),
            &Catalogue::parse(&c, "c.toml").unwrap(),
            &Cities::parse(&cities, "cities.toml").unwrap(),
            &Observations::from_csv(data.as_bytes(), "obs.csv").unwrap(),
        )
        .unwrap()
    }

    /// BoD with a missing child, by hand (tolerance 1e-12): A (100, 0) and B (0, 100) are on
    /// the frontier: 1. D (40, 40): `max 40 (w0 + w1)` with `100 w0 <= 1`, `100 w1 <= 1`: 0.8.
    /// C has x0 only (50): scored on x0 against every city with x0 (A, B, D): `max 50 w`,
    /// `100 w <= 1`: 0.5. Ranks 1, 1, 4, 3. With `missing = "propagate"` C has no score.
    /// The nominal weight 3 of x0 plays no part.
    #[test]
    fn bod_scores_a_city_on_the_children_it_has() {
        let r = tiny("weights = \"bod\"", "");
        let want = [1.0, 1.0, 0.5, 0.8];
        for (c, w) in want.iter().enumerate() {
            assert_close(r.score(0, c, r.root), *w, 1e-12, &r.cities[c]);
        }
        let ranks: Vec<_> = (0..4).map(|c| r.rank(0, c, r.root)).collect();
        assert_eq!(ranks, [Some(1), Some(1), Some(4), Some(3)]);
        assert_eq!(r.score(0, 0, r.root), 1.0, "frontier scores are exactly 1");
        let r = tiny("weights = \"bod\"", "missing = \"propagate\"");
        assert!(r.score(0, 2, r.root).is_nan());
        assert_close(r.score(0, 3, r.root), 0.8, 1e-12, "d");
        // A share floor of 0.3: A and B, with a 0, fall to 0; D keeps 0.8 (its shares are
        // 1/2, 1/2 at the optimum); C, with one child, has its bounds widened to include 1.
        let r = tiny("weights = { method = \"bod\", min_share = 0.3 }", "");
        let want = [0.0, 0.0, 0.5, 0.8];
        for (c, w) in want.iter().enumerate() {
            assert_close(r.score(0, c, r.root), *w, 1e-12, &r.cities[c]);
        }
    }

    /// `weights = "equal"` ignores the written weights (x0's 3): D = (40 + 40) / 2 = 40,
    /// A = 50; explicit weights give A = (3 100 + 0) / 4 = 75. Effective weights follow.
    #[test]
    fn equal_weights_ignore_the_written_ones() {
        let r = tiny("weights = \"equal\"", "");
        assert_close(r.score(0, 0, r.root), 50.0, 1e-12, "a");
        assert_close(r.score(0, 3, r.root), 40.0, 1e-12, "d");
        assert_close(
            r.effective_weights[r.nodes.iter().position(|n| n.id == "x0").unwrap()].effective,
            0.5,
            1e-15,
            "x0",
        );
        let r = tiny("", "");
        assert_close(r.score(0, 0, r.root), 75.0, 1e-12, "a");
        assert_close(
            r.effective_weights[r.nodes.iter().position(|n| n.id == "x0").unwrap()].effective,
            0.75,
            1e-15,
            "x0",
        );
    }

    /// The COINr reference framework (three groups under the index, weights 1) as a plan.
    fn coinr_plan() -> Plan {
        use std::fmt::Write as _;
        let mut f = String::from("[index]\nid = \"c\"\nname = \"C\"\n[[group]]\nid = \"index\"\n");
        let mut c = String::new();
        for (group, names) in GROUPS {
            write!(
                f,
                "[[group]]\nid = \"{}\"\nparent = \"index\"\n",
                group.to_lowercase()
            )
            .unwrap();
            for n in names {
                write!(
                    f,
                    "[[indicator]]\nid = \"{}\"\nparent = \"{}\"\n",
                    n.to_lowercase(),
                    group.to_lowercase()
                )
                .unwrap();
                write!(c, "[[indicator]]\nid = \"{}\"\nname = \"{n}\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n", n.to_lowercase()).unwrap();
            }
        }
        Plan::compile(
            &Framework::parse(&f, "c.toml").unwrap(),
            &Catalogue::parse(&c, "cat.toml").unwrap(),
        )
        .unwrap()
    }
}
