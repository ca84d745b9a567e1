//! A framework compiled for the hot loop: flat arrays, children before parents.

use healthy_city_model::{
    Aggregation, Catalogue, Framework, Missing, NodeKind, Normalisation, Transform,
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
                let normalisation = spec.normalisation.unwrap_or(methods.normalisation);
                if normalisation == Normalisation::Goalposts && spec.goalposts.is_none() {
                    return Err(Error::MissingGoalposts {
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

/// Why a city's aggregation failed: which group, which child, which value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregateFailure {
    /// Node slot of the group.
    pub node: usize,
    /// Node slot of the offending child.
    pub child: usize,
    /// The offending value.
    pub value: f64,
}

/// Aggregates one city: `scores` holds a value per node slot, indicators already filled with
/// normalised values (NaN if missing); groups are filled in, children before parents.
pub fn aggregate(plan: &Plan, scores: &mut [f64]) -> std::result::Result<(), AggregateFailure> {
    for group in &plan.groups {
        let total: f64 = group.children.iter().map(|&(_, w)| w).sum();
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
            present += weight;
            acc += match group.aggregation {
                Aggregation::Arithmetic => weight * value,
                Aggregation::Geometric => {
                    if value <= 0.0 {
                        return Err(AggregateFailure {
                            node: group.node,
                            child,
                            value,
                        });
                    }
                    weight * value.ln()
                }
            };
        }
        let share = present / total;
        scores[group.node] = if present == 0.0
            || share < group.min_share
            || (any_missing && plan.missing == Missing::Propagate)
        {
            f64::NAN
        } else {
            match group.aggregation {
                Aggregation::Arithmetic => acc / present,
                Aggregation::Geometric => (acc / present).exp(),
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
