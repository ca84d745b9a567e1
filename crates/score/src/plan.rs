//! A framework compiled for the hot loop: flat arrays, children before parents, and each
//! node's effective weight in the index.

use healthy_city_model::{
    Aggregation, Catalogue, Framework, GroupImpute, Missing, NodeKind, Nonpositive, Normalisation,
    NotApplicable, Transform, Treatment, Weighting,
};

use crate::error::{Error, Result};

/// How one indicator is normalised.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndicatorPlan {
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
pub(crate) struct GroupPlan {
    /// Node slot of the group.
    pub node: usize,
    /// Node slots of its children with their raw weights.
    pub children: Vec<(usize, f64)>,
    /// Aggregation method.
    pub aggregation: Aggregation,
    /// Minimum share of child weight present.
    pub min_share: f64,
    /// How the children's weights are set: data-driven weights (PCA, optimised) are filled
    /// into `children` by [`resolve_weights`](crate::resolve_weights); benefit of the doubt
    /// replaces the aggregation.
    pub weighting: Weighting,
    /// What the mean does with a child outside its domain (a value of 0 or less under a
    /// geometric mean).
    pub nonpositive: Nonpositive,
    /// How a missing score of the group is filled (see [`crate::results`]), if at all.
    pub impute: Option<GroupImpute>,
    /// The units the group does not apply to.
    pub not_applicable: Option<NotApplicable>,
}

/// A compiled framework. Node slots follow [`Framework::nodes`]; indicator slots follow
/// [`Framework::indicators`].
#[derive(Debug, Clone)]
pub(crate) struct Plan {
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
    /// Parent slot of every node slot (`None` for the root).
    pub parents: Vec<Option<usize>>,
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
                weights,
                nonpositive,
                ref impute,
                ref not_applicable,
            } = nodes[slot].kind
            else {
                continue;
            };
            if expanded {
                let aggregation = aggregation.unwrap_or(methods.aggregation);
                if (impute.is_some() || not_applicable.is_some())
                    && (aggregation.is_cross_city() || matches!(weights, Weighting::Bod { .. }))
                {
                    return Err(Error::Setting {
                        key: format!("group `{}`", nodes[slot].id),
                        message: format!(
                            "`impute` and `not_applicable` work with per-unit means (arithmetic, geometric, harmonic, generalised), not with `{aggregation}` or benefit-of-the-doubt weights, whose score of one unit depends on the others"
                        ),
                    });
                }
                check_aggregation(aggregation).map_err(|message| Error::BadAggregation {
                    node: nodes[slot].id.clone(),
                    message,
                })?;
                let mut children: Vec<(usize, f64)> = framework
                    .children(slot)
                    .iter()
                    .map(|&c| {
                        let weight = if matches!(
                            weights,
                            Weighting::Explicit | Weighting::Optimised { to_weights: true }
                        ) {
                            nodes[c].weight
                        } else {
                            1.0
                        };
                        (c, weight)
                    })
                    .collect();
                for &(c, weight) in &children {
                    if !(weight.is_finite() && weight >= 0.0) {
                        return Err(Error::BadWeight {
                            node: nodes[c].id.clone(),
                            group: nodes[slot].id.clone(),
                            weight,
                        });
                    }
                }
                scale_weights(&mut children);
                groups.push(GroupPlan {
                    node: slot,
                    children,
                    aggregation,
                    min_share: min_share.unwrap_or(methods.min_share),
                    weighting: weights,
                    nonpositive: nonpositive.unwrap_or(methods.nonpositive),
                    impute: impute.clone(),
                    not_applicable: not_applicable.clone(),
                });
            } else {
                stack.push((slot, true));
                for &child in framework.children(slot).iter().rev() {
                    stack.push((child, false));
                }
            }
        }
        let mut parents = vec![None; nodes.len()];
        for group in &groups {
            for &(child, _) in &group.children {
                parents[child] = Some(group.node);
            }
        }
        let mut plan = Plan {
            node_ids: nodes.iter().map(|n| n.id.clone()).collect(),
            indicator_nodes,
            indicators,
            groups,
            root: framework.root_index(),
            parents,
            effective: Vec::new(),
            missing: methods.missing,
            scale: methods.scale,
        };
        plan.effective = effective_weights(&plan);
        Ok(plan)
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.node_ids.len()
    }

    /// The groups above `node`, its parent first, the root last.
    pub fn ancestors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.parents[node], move |&g| self.parents[g])
    }
}

/// Checks that an aggregation can be computed: a generalised mean's power finite and not 0.
/// The model crate rejects these when it reads a framework; frameworks built in memory and
/// analysis alternatives are checked here. The message names the setting.
pub(crate) fn check_aggregation(aggregation: Aggregation) -> std::result::Result<(), String> {
    match aggregation {
        Aggregation::Generalised { p } if !p.is_finite() || p == 0.0 => Err(format!(
            "the generalised mean's power p = {p} must be a finite number other than 0 (p = 0 is the geometric mean: use `geometric`)"
        )),
        _ => Ok(()),
    }
}

/// Weights above this are scaled down (see [`scale_weights`]); the model crate reads no
/// weight above 1e12, so the weights of a framework file are never changed.
const WEIGHT_SCALE_ABOVE: f64 = 1_099_511_627_776.0; // 2^40

/// Scales a group's (finite, non-negative) weights by a power of two so that the largest is
/// in `[1, 2)` when it is above 2^40: only the ratios of weights matter, a power of two
/// changes no ratio (the products and sums of the means are scaled exactly), and sums of
/// weights such as five of 1e308 can then not overflow.
fn scale_weights(children: &mut [(usize, f64)]) {
    let largest = children.iter().map(|&(_, w)| w).fold(0.0, f64::max);
    if largest > WEIGHT_SCALE_ABOVE {
        // `largest` is finite, so its exponent is at most 1023 and 2^-1023 is exact.
        #[allow(clippy::cast_possible_truncation)]
        let exponent = largest.log2().floor() as i32;
        let scale = 2f64.powi(-exponent);
        for (_, w) in children.iter_mut() {
            *w *= scale;
        }
    }
}

/// Effective weight of every node slot (the root 1): the product of its normalised weights
/// up the tree, as [`Plan::groups`] holds them (explicit, equal, or derived by
/// [`resolve_weights`](crate::weights::resolve_weights)). Children of a benefit-of-the-doubt group get their nominal (equal)
/// share, since their real weights differ city by city.
pub(crate) fn effective_weights(plan: &Plan) -> Vec<f64> {
    let mut effective = vec![0.0; plan.n_nodes()];
    effective[plan.root] = 1.0;
    for group in plan.groups.iter().rev() {
        let total: f64 = group.children.iter().map(|&(_, w)| w).sum();
        for &(child, w) in &group.children {
            effective[child] = effective[group.node] * w / total;
        }
    }
    effective
}
