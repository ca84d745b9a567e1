//! A framework compiled for the hot loop: flat arrays, children before parents.

use healthy_city_model::{
    Aggregation, Catalogue, Framework, Missing, NodeKind, Normalisation, Transform, Treatment,
};

use crate::error::{Error, Result};

/// How one indicator is normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorPlan {
    /// Indicator id.
    pub id: String,
    /// `1.0` if higher is better, `-1.0` if lower is better.
    pub sign: f64,
    /// Transform applied before normalisation.
    pub transform: Option<Transform>,
    /// Normalisation method.
    pub normalisation: Normalisation,
    /// Goalposts `[lo, hi]` in the indicator's units.
    pub goalposts: Option<[f64; 2]>,
    /// Target in the indicator's units (dist2targ).
    pub target: Option<f64>,
    /// Outlier treatment before normalisation.
    pub treatment: Treatment,
}

/// One group, ready to aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlan {
    /// Node slot of the group.
    pub node: usize,
    /// Node slots of its children with their raw weights.
    pub children: Vec<(usize, f64)>,
    /// Aggregation method.
    pub aggregation: Aggregation,
    /// Minimum share of child weight present.
    pub min_share: f64,
}

/// A compiled framework. Node slots follow [`Framework::nodes`]; indicator slots follow
/// [`Framework::indicators`].
#[derive(Debug, Clone)]
pub struct Plan {
    /// Node ids, by node slot.
    pub node_ids: Vec<String>,
    /// Node slot of each indicator slot.
    pub indicator_nodes: Vec<usize>,
    /// Indicators, by indicator slot.
    pub indicators: Vec<IndicatorPlan>,
    /// Groups, children before parents (the root last).
    pub groups: Vec<GroupPlan>,
    /// Node slot of the root.
    pub root: usize,
    /// Effective weight of every node in the index (nominal, all present).
    pub effective: Vec<f64>,
    /// Missing-children rule.
    pub missing: Missing,
    /// Target scale of normalised values.
    pub scale: [f64; 2],
}

impl Plan {
    /// Compiles a framework, taking directions from the catalogue where the framework has none.
    pub fn compile(framework: &Framework, catalogue: &Catalogue) -> Result<Self> {
        let nodes = framework.nodes();
        let methods = &framework.methods;
        let mut indicator_nodes = Vec::new();
        let mut indicators = Vec::new();
        for (slot, node) in nodes.iter().enumerate() {
            if let NodeKind::Indicator(spec) = &node.kind {
                let direction =
                    framework
                        .direction(node, catalogue)
                        .ok_or_else(|| Error::NoDirection {
                            indicator: node.id.clone(),
                        })?;
                let normalisation = spec
                    .normalisation
                    .clone()
                    .unwrap_or_else(|| methods.normalisation.clone());
                if normalisation.needs_goalposts() && spec.goalposts.is_none() {
                    return Err(Error::MissingGoalposts {
                        indicator: node.id.clone(),
                    });
                }
                if normalisation.needs_target() && spec.target.is_none() {
                    return Err(Error::MissingTarget {
                        indicator: node.id.clone(),
                    });
                }
                indicator_nodes.push(slot);
                indicators.push(IndicatorPlan {
                    id: node.id.clone(),
                    sign: direction.sign(),
                    transform: spec.transform,
                    normalisation,
                    goalposts: spec.goalposts,
                    target: spec.target,
                    treatment: spec.treatment.unwrap_or(methods.treatment),
                });
            }
        }
        // Post-order walk from the root: children before parents.
        let mut groups = Vec::new();
        let mut stack = vec![(framework.root_index(), false)];
        while let Some((slot, expanded)) = stack.pop() {
            let NodeKind::Group {
                aggregation,
                min_share,
            } = nodes[slot].kind
            else {
                continue;
            };
            if expanded {
                groups.push(GroupPlan {
                    node: slot,
                    children: framework
                        .children(slot)
                        .iter()
                        .map(|&c| (c, nodes[c].weight))
                        .collect(),
                    aggregation: aggregation.unwrap_or(methods.aggregation),
                    min_share: min_share.unwrap_or(methods.min_share),
                });
            } else {
                stack.push((slot, true));
                for &child in framework.children(slot).iter().rev() {
                    stack.push((child, false));
                }
            }
        }
        Ok(Plan {
            node_ids: nodes.iter().map(|n| n.id.clone()).collect(),
            indicator_nodes,
            indicators,
            groups,
            root: framework.root_index(),
            effective: framework.effective_weights(),
            missing: methods.missing,
            scale: methods.scale,
        })
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.node_ids.len()
    }
}

/// Why a city's aggregation failed: which group, which child, which value, which method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregateFailure {
    /// Node slot of the group.
    pub node: usize,
    /// Node slot of the offending child.
    pub child: usize,
    /// The offending value.
    pub value: f64,
    /// The group's aggregation method.
    pub aggregation: Aggregation,
}

/// Whether an aggregation can take a child value: geometric, harmonic and negative-power
/// means need positive values, positive-power means values that are not negative.
fn in_domain(aggregation: Aggregation, value: f64) -> bool {
    match aggregation {
        Aggregation::Arithmetic => true,
        Aggregation::Geometric | Aggregation::Harmonic => value > 0.0,
        Aggregation::Generalised { p } if p < 0.0 => value > 0.0,
        Aggregation::Generalised { .. } => value >= 0.0,
    }
}

/// What the aggregation needs of its children, for error messages.
pub fn domain_of(aggregation: Aggregation) -> &'static str {
    match aggregation {
        Aggregation::Arithmetic => "finite values",
        Aggregation::Geometric | Aggregation::Harmonic => "positive values",
        Aggregation::Generalised { p } if p < 0.0 => "positive values",
        Aggregation::Generalised { .. } => "values that are not negative",
    }
}

/// Aggregates one city: `scores` holds a value per node slot, indicators already filled with
/// normalised values (NaN if missing); groups are filled in, children before parents.
///
/// With weights `w` of the present children `x` (missing children skipped and the weights
/// renormalised, or the group made missing under [`Missing::Propagate`]):
///
/// - arithmetic `sum(w x) / sum(w)`;
/// - geometric `exp(sum(w ln x) / sum(w))`;
/// - harmonic `sum(w) / sum(w / x)`;
/// - generalised `(sum(w x^p) / sum(w))^(1/p)`.
///
/// Children of weight 0 take no part. A child outside the method's domain (see
/// [`domain_of`]) is a failure naming the group, the child and the value.
pub fn aggregate(plan: &Plan, scores: &mut [f64]) -> std::result::Result<(), AggregateFailure> {
    for group in &plan.groups {
        let total: f64 = group.children.iter().map(|&(_, w)| w).sum();
        let method = group.aggregation;
        let mut present = 0.0;
        let mut acc = 0.0;
        let mut any_missing = false;
        for &(child, weight) in &group.children {
            let value = scores[child];
            if value.is_nan() {
                any_missing = true;
                continue;
            }
            if weight == 0.0 {
                continue;
            }
            if !in_domain(method, value) {
                return Err(AggregateFailure {
                    node: group.node,
                    child,
                    value,
                    aggregation: method,
                });
            }
            present += weight;
            acc += match method {
                Aggregation::Arithmetic => weight * value,
                Aggregation::Geometric => weight * value.ln(),
                Aggregation::Harmonic => weight / value,
                Aggregation::Generalised { p } => weight * value.powf(p),
            };
        }
        let share = present / total;
        scores[group.node] = if present == 0.0
            || share < group.min_share
            || (any_missing && plan.missing == Missing::Propagate)
        {
            f64::NAN
        } else {
            match method {
                Aggregation::Arithmetic => acc / present,
                Aggregation::Geometric => (acc / present).exp(),
                Aggregation::Harmonic => present / acc,
                Aggregation::Generalised { p } => (acc / present).powf(1.0 / p),
            }
        };
    }
    Ok(())
}

/// The weight each indicator actually carries in one city's index score, after missing
/// children were skipped and weights renormalised (zero for a missing indicator).
/// `scores` are the city's node scores from [`aggregate`]; `actual` receives a value per node.
pub fn actual_weights(plan: &Plan, scores: &[f64], actual: &mut [f64]) {
    actual.fill(0.0);
    if scores[plan.root].is_nan() {
        return;
    }
    actual[plan.root] = 1.0;
    for group in plan.groups.iter().rev() {
        let parent = actual[group.node];
        let present: f64 = group
            .children
            .iter()
            .filter(|&&(c, _)| !scores[c].is_nan())
            .map(|&(_, w)| w)
            .sum();
        if parent == 0.0 || present == 0.0 {
            continue;
        }
        for &(child, weight) in &group.children {
            if !scores[child].is_nan() {
                actual[child] = parent * weight / present;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::rank::rank;
    use crate::reference::{assert_close, coinr_dir, read};

    const CODES: [&str; 10] = [
        "LIV_04", "LIV_05", "GRN_01", "GRN_02", "GRN_03", "GRN_07", "LIV_01", "LIV_02", "CON_04",
        "CON_05",
    ];
    const GROUPS: [(&str, &[&str]); 3] = [
        ("Health", &["LIV_04", "LIV_05"]),
        ("Environment", &["GRN_01", "GRN_02", "GRN_03", "GRN_07"]),
        ("SafeActive", &["LIV_01", "LIV_02", "CON_04", "CON_05"]),
    ];

    /// COINr's reference framework (weights all 1), with every group using `aggregation`.
    fn coinr_framework(aggregation: &str, missing: &str) -> (Framework, Catalogue) {
        let mut f = format!(
            "[index]\nid = \"index\"\nname = \"Index\"\n[methods]\naggregation = {aggregation}\nmissing = \"{missing}\"\n[[group]]\nid = \"index\"\n"
        );
        let mut c = String::new();
        for (group, codes) in GROUPS {
            write!(
                f,
                "[[group]]\nid = \"{}\"\nparent = \"index\"\n",
                group.to_lowercase()
            )
            .unwrap();
            for code in codes {
                let id = code.to_lowercase();
                write!(
                    f,
                    "[[indicator]]\nid = \"{id}\"\nparent = \"{}\"\n",
                    group.to_lowercase()
                )
                .unwrap();
                write!(c, "[[indicator]]\nid = \"{id}\"\nname = \"{code}\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"coinr\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"{code}\" }}\n").unwrap();
            }
        }
        (
            Framework::parse(&f, "coinr.toml").unwrap(),
            Catalogue::parse(&c, "catalogue.toml").unwrap(),
        )
    }

    /// Aggregates COINr's normalised input with our engine and compares every score and rank
    /// with COINr's file, matching rows on uCode. Tolerance 1e-9 (absolute, on a 1-100 scale).
    fn matches_coinr(file: &str, aggregation: &str, missing: &str) {
        let Some(dir) = coinr_dir() else { return };
        let input = read(&dir.join("aggregate/input_normalised_minmax_1_100.csv"));
        let expected = read(&dir.join("aggregate").join(file));
        let (framework, catalogue) = coinr_framework(aggregation, missing);
        let plan = Plan::compile(&framework, &catalogue).unwrap();
        let columns: Vec<usize> = CODES.iter().map(|c| input.column(c)).collect();
        let nodes = ["health", "environment", "safeactive", "index"];
        let slots: Vec<usize> = nodes
            .iter()
            .map(|n| framework.index_of(n).unwrap())
            .collect();
        let mut ours = vec![Vec::new(); nodes.len()];
        for row in 0..input.rows.len() {
            let mut scores = vec![f64::NAN; plan.n_nodes()];
            for (i, &node) in plan.indicator_nodes.iter().enumerate() {
                let code = plan.indicators[i].id.to_uppercase();
                let at = CODES.iter().position(|c| *c == code).unwrap();
                scores[node] = input.number(row, columns[at]);
            }
            aggregate(&plan, &mut scores).unwrap();
            for (k, &slot) in slots.iter().enumerate() {
                ours[k].push(scores[slot]);
            }
        }
        let ucode = input.column("uCode");
        let by_code = expected.index(expected.column("uCode"));
        let names = ["Health", "Environment", "SafeActive", "Index"];
        for (k, name) in names.iter().enumerate() {
            let ranks = rank(&ours[k], None);
            let (score_col, rank_col) = (
                expected.column(name),
                expected.column(&format!("Rank_{name}")),
            );
            for row in 0..input.rows.len() {
                let code = &input.rows[row][ucode];
                let theirs = by_code[code];
                let what = format!("{file} {code} {name}");
                assert_close(
                    ours[k][row],
                    expected.number(theirs, score_col),
                    1e-9,
                    &what,
                );
                let their_rank = expected.number(theirs, rank_col);
                let their_rank = (!their_rank.is_nan()).then_some(their_rank as u32);
                assert_eq!(ranks[row], their_rank, "{what} rank");
            }
        }
    }

    #[test]
    fn arithmetic_mean_matches_coinr_a_amean() {
        matches_coinr("a_amean.csv", "\"arithmetic\"", "skip");
    }

    #[test]
    fn geometric_mean_matches_coinr_a_gmean() {
        matches_coinr("a_gmean.csv", "\"geometric\"", "skip");
    }

    #[test]
    fn harmonic_mean_matches_coinr_a_hmean() {
        matches_coinr("a_hmean.csv", "\"harmonic\"", "skip");
    }

    #[test]
    fn generalised_mean_with_propagation_matches_coinr_a_genmean() {
        matches_coinr(
            "a_genmean_p2.csv",
            "{ method = \"generalised\", p = 2 }",
            "propagate",
        );
        matches_coinr(
            "a_genmean_pm1.csv",
            "{ method = \"generalised\", p = -1 }",
            "propagate",
        );
    }

    fn one_group(aggregation: &str, values: &[f64], weights: &[f64]) -> f64 {
        let mut f = format!("[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\naggregation = {aggregation}\n");
        let mut c = String::new();
        for (i, w) in weights.iter().enumerate() {
            write!(
                f,
                "[[indicator]]\nid = \"x{i}\"\nparent = \"index\"\nweight = {w}\n"
            )
            .unwrap();
            write!(c, "[[indicator]]\nid = \"x{i}\"\nname = \"X\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
        }
        let framework = Framework::parse(&f, "t.toml").unwrap();
        let catalogue = Catalogue::parse(&c, "c.toml").unwrap();
        let plan = Plan::compile(&framework, &catalogue).unwrap();
        let mut scores = vec![f64::NAN; plan.n_nodes()];
        for (i, &node) in plan.indicator_nodes.iter().enumerate() {
            scores[node] = values[i];
        }
        aggregate(&plan, &mut scores).unwrap();
        scores[plan.root]
    }

    // Hand computations; tolerance 1e-12.
    #[test]
    fn per_group_methods_match_hand_computation() {
        // Harmonic of 2 (w 1) and 4 (w 3): 4 / (1/2 + 3/4) = 3.2.
        assert_close(
            one_group("\"harmonic\"", &[2.0, 4.0], &[1.0, 3.0]),
            3.2,
            1e-12,
            "harmonic",
        );
        // Quadratic mean of 3 and 4, equal weights: sqrt(12.5).
        assert_close(
            one_group(
                "{ method = \"generalised\", p = 2 }",
                &[3.0, 4.0],
                &[1.0, 1.0],
            ),
            12.5f64.sqrt(),
            1e-12,
            "p = 2",
        );
        // p = -1 is the harmonic mean; p = 1 the arithmetic.
        assert_close(
            one_group(
                "{ method = \"generalised\", p = -1 }",
                &[2.0, 4.0],
                &[1.0, 3.0],
            ),
            3.2,
            1e-12,
            "p = -1",
        );
        assert_close(
            one_group(
                "{ method = \"generalised\", p = 1 }",
                &[2.0, 4.0],
                &[1.0, 3.0],
            ),
            3.5,
            1e-12,
            "p = 1",
        );
        // Skip-NA by default: the missing child's weight is dropped.
        assert_close(
            one_group("\"harmonic\"", &[2.0, f64::NAN, 4.0], &[1.0, 5.0, 3.0]),
            3.2,
            1e-12,
            "harmonic skips NaN",
        );
        // Geometric of 1, 8 with weights 2, 1: 8^(1/3) = 2.
        assert_close(
            one_group("\"geometric\"", &[1.0, 8.0], &[2.0, 1.0]),
            2.0,
            1e-12,
            "geometric",
        );
    }

    #[test]
    fn harmonic_and_negative_power_means_refuse_zero() {
        let f = "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\naggregation = \"harmonic\"\n[[indicator]]\nid = \"a\"\nparent = \"index\"\n";
        let c = "[[indicator]]\nid = \"a\"\nname = \"A\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = { adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }\n";
        let plan = Plan::compile(
            &Framework::parse(f, "t.toml").unwrap(),
            &Catalogue::parse(c, "c.toml").unwrap(),
        )
        .unwrap();
        let mut scores = vec![0.0, 0.0];
        let failure = aggregate(&plan, &mut scores).unwrap_err();
        assert_eq!(failure.aggregation, Aggregation::Harmonic);
        assert_eq!(failure.value, 0.0);
        assert_eq!(
            domain_of(Aggregation::Generalised { p: -2.0 }),
            "positive values"
        );
        assert!(in_domain(Aggregation::Generalised { p: 2.0 }, 0.0));
    }
}
