//! Aggregation: one city's groups, or every city of a year at once, children before parents.
//! The one implementation of every aggregation method: [`score`](crate::score()), the
//! data-driven weights and every replication call it.

use healthy_city_model::{Aggregation, Missing, Nonpositive, Weighting};

use crate::error::Error;
use crate::plan::{GroupPlan, Plan};

/// What went wrong in an [`AggregateFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// A child value outside the method's domain (see [`domain_of`]); `value` is the child's.
    Domain,
    /// A child's weight is not a finite number of 0 or more; `value` is the weight.
    Weight,
    /// The group's score is not a finite number (an overflow); `value` is the score and
    /// `child` the group itself; `bod` if the group is weighted by benefit of the doubt.
    NotFinite { bod: bool },
}

/// Why a city's aggregation failed: which group, which child, which value, which method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AggregateFailure {
    /// What went wrong.
    pub kind: FailureKind,
    /// Position of the city in the block passed to [`aggregate_year`] (0 for [`aggregate`]).
    pub city: usize,
    /// Node slot of the group.
    pub node: usize,
    /// Node slot of the offending child.
    pub child: usize,
    /// The offending value.
    pub value: f64,
    /// The group's aggregation method.
    pub aggregation: Aggregation,
}

impl AggregateFailure {
    /// The error for this failure, in domain words: `node_ids` by node slot, the city's id
    /// and the year.
    pub(crate) fn error(self, node_ids: &[String], city: String, year: i32) -> Error {
        let node = node_ids[self.node].clone();
        match self.kind {
            FailureKind::Domain => Error::NonPositive {
                method: self.aggregation.to_string(),
                domain: domain_of(self.aggregation),
                node,
                city,
                year,
                child: node_ids[self.child].clone(),
                value: self.value,
            },
            FailureKind::Weight => Error::BadWeight {
                node: node_ids[self.child].clone(),
                group: node,
                weight: self.value,
            },
            FailureKind::NotFinite { bod } => {
                let method = if bod {
                    String::from("benefit-of-the-doubt score")
                } else {
                    format!("{} mean", self.aggregation)
                };
                Error::NotFinite {
                    what: format!("the {method} of `{node}`"),
                    city,
                    year,
                    value: self.value,
                    fix: format!(
                        "its children's scores or weights are too large for the {method}; give `{node}` smaller weights, another `aggregation` or `weights`, or normalise its indicators to a bounded scale such as min-max"
                    ),
                }
            }
        }
    }
}

/// A city left unscored in a year by a group whose mean cannot take one of its children
/// (`nonpositive = "unscored"`): the group and every group above it have no score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UnscoredAt {
    /// Position of the city in the block passed to [`aggregate_year_noting`].
    pub city: usize,
    /// Node slot of the group.
    pub node: usize,
    /// Node slot of the child the mean cannot take.
    pub child: usize,
    /// The child's value.
    pub value: f64,
    /// The group's aggregation method.
    pub aggregation: Aggregation,
}

/// Whether an aggregation takes only part of the real line (geometric, harmonic and
/// generalised means): the ones `nonpositive` applies to.
fn restricted(aggregation: Aggregation) -> bool {
    matches!(
        aggregation,
        Aggregation::Geometric | Aggregation::Harmonic | Aggregation::Generalised { .. }
    )
}

/// Whether an aggregation can take a child value: geometric, harmonic and negative-power
/// means need positive values, positive-power means values that are not negative.
fn in_domain(aggregation: Aggregation, value: f64) -> bool {
    value.is_finite()
        && match aggregation {
            Aggregation::Arithmetic
            | Aggregation::Mpi
            | Aggregation::Ampi
            | Aggregation::Copeland => true,
            Aggregation::Geometric | Aggregation::Harmonic => value > 0.0,
            Aggregation::Generalised { p } if p < 0.0 => value > 0.0,
            Aggregation::Generalised { .. } => value >= 0.0,
        }
}

/// What the aggregation needs of its children, for error messages.
pub fn domain_of(aggregation: Aggregation) -> &'static str {
    match aggregation {
        Aggregation::Arithmetic | Aggregation::Mpi | Aggregation::Ampi | Aggregation::Copeland => {
            "finite values"
        }
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
///
/// Cross-city methods ([`Aggregation::is_cross_city`]: MPI, AMPI, Copeland) need every city
/// of the year: here the city is treated as the only one (see [`aggregate_year`]), so every
/// child is constant, MPI and AMPI give 100 and Copeland 0. Score a year with
/// [`aggregate_year`] instead.
#[cfg(test)]
pub(crate) fn aggregate(
    plan: &Plan,
    scores: &mut [f64],
) -> std::result::Result<(), AggregateFailure> {
    aggregate_year(plan, scores, 1)
}

/// Aggregates every city of one year at once: `scores` is `[city][node]` for `n_cities`
/// cities, indicators filled. Groups go children before parents; per-city methods are computed
/// city by city as in [`aggregate`], cross-city methods (MPI, AMPI, Copeland) across all the
/// cities given, so that their standardisation or pairwise comparison sees the whole year.
///
/// Eligibility is the same for every method: a city gets no group score if no child of
/// positive weight is present, if the present share of child weight is below `min_share`, or
/// under [`Missing::Propagate`] if any child is missing. Eligible cities only are scored;
/// for MPI and AMPI each child is standardised over every city that has it.
pub(crate) fn aggregate_year(
    plan: &Plan,
    scores: &mut [f64],
    n_cities: usize,
) -> std::result::Result<(), AggregateFailure> {
    aggregate_year_noting(plan, scores, n_cities, 0, &mut Vec::new())
}

/// As [`aggregate_year`], and appends to `unscored` every city a group left unscored under
/// `nonpositive = "unscored"` (a child its mean cannot take): that group's score and every
/// score above it are missing for the city, whatever the missing-children rule. Only the
/// groups from `plan.groups[first_group]` on are computed (0: all; more: the groups above an
/// imputed one, the ones below kept).
pub(crate) fn aggregate_year_noting(
    plan: &Plan,
    scores: &mut [f64],
    n_cities: usize,
    first_group: usize,
    unscored: &mut Vec<UnscoredAt>,
) -> std::result::Result<(), AggregateFailure> {
    aggregate_groups(plan, scores, n_cities, first_group, unscored, None)
}

/// [`aggregate_year`] with `logs`, `[city][node]` like `scores`: the natural logarithm of
/// each child value a geometric mean may read there (NaN where it is not given), so that the
/// replications, whose indicator values repeat from one replication to the next, do not take
/// the same logarithms again. A logarithm given is the one the mean would take
/// (`value.ln()`), so the scores are the same bit for bit.
pub(crate) fn aggregate_year_logs(
    plan: &Plan,
    scores: &mut [f64],
    n_cities: usize,
    logs: &[f64],
) -> std::result::Result<(), AggregateFailure> {
    debug_assert_eq!(logs.len(), scores.len());
    aggregate_groups(plan, scores, n_cities, 0, &mut Vec::new(), Some(logs))
}

fn aggregate_groups(
    plan: &Plan,
    scores: &mut [f64],
    n_cities: usize,
    first_group: usize,
    unscored: &mut Vec<UnscoredAt>,
    logs: Option<&[f64]>,
) -> std::result::Result<(), AggregateFailure> {
    let first = unscored.len();
    let nn = plan.n_nodes();
    debug_assert_eq!(scores.len(), n_cities * nn);
    for group in &plan.groups[first_group..] {
        check_weights(group)?;
        if let Weighting::Bod {
            min_share,
            max_share,
        } = group.weighting
        {
            bod_group(plan, group, scores, n_cities, [min_share, max_share]);
        } else if group.aggregation.is_cross_city() {
            cross_city(plan, group, scores, n_cities);
        } else {
            let total: f64 = group.children.iter().map(|&(_, w)| w).sum();
            for c in 0..n_cities {
                let row = &mut scores[c * nn..(c + 1) * nn];
                if group.aggregation == Aggregation::Arithmetic {
                    arithmetic(plan, group, total, row);
                    continue;
                }
                let scored = if group.aggregation == Aggregation::Geometric
                    && !matches!(group.nonpositive, Nonpositive::Offset(_))
                {
                    geometric(
                        plan,
                        group,
                        total,
                        row,
                        logs.map(|l| &l[c * nn..(c + 1) * nn]),
                    )
                } else {
                    per_city(plan, group, total, row)
                };
                match scored {
                    Ok(()) => {}
                    Err(f)
                        if f.kind == FailureKind::Domain
                            && group.nonpositive == Nonpositive::Unscored =>
                    {
                        row[group.node] = f64::NAN;
                        unscored.push(UnscoredAt {
                            city: c,
                            node: group.node,
                            child: f.child,
                            value: f.value,
                            aggregation: group.aggregation,
                        });
                    }
                    Err(f) => return Err(AggregateFailure { city: c, ..f }),
                }
            }
        }
        // The one guarantee every method shares: a group score is a finite number or missing.
        // A NaN score of an eligible city is an arithmetic failure (e.g. `inf - inf`), not a
        // missing value.
        for c in 0..n_cities {
            let value = scores[c * nn + group.node];
            let left_unscored = || {
                unscored[first..]
                    .iter()
                    .any(|u| u.city == c && u.node == group.node)
            };
            if value.is_infinite()
                || (value.is_nan()
                    && eligible(plan, group, &scores[c * nn..(c + 1) * nn])
                    && !left_unscored())
            {
                return Err(AggregateFailure {
                    kind: FailureKind::NotFinite {
                        bod: matches!(group.weighting, Weighting::Bod { .. }),
                    },
                    city: c,
                    node: group.node,
                    child: group.node,
                    value,
                    aggregation: group.aggregation,
                });
            }
        }
    }
    // Every group above an unscored one is unscored too (it may have skipped the missing
    // child).
    for u in &unscored[first..] {
        for g in plan.ancestors(u.node) {
            scores[u.city * nn + g] = f64::NAN;
        }
    }
    Ok(())
}

/// Checks a group's weights before any city is aggregated: each a finite number of 0 or
/// more, and their sum finite ([`Plan::compile`] scales large written weights down, so only
/// weights set in memory or drawn by an analysis can fail here).
fn check_weights(group: &GroupPlan) -> std::result::Result<f64, AggregateFailure> {
    let mut total = 0.0;
    for &(child, w) in &group.children {
        if !(w.is_finite() && w >= 0.0) {
            return Err(AggregateFailure {
                kind: FailureKind::Weight,
                city: 0,
                node: group.node,
                child,
                value: w,
                aggregation: group.aggregation,
            });
        }
        total += w;
    }
    if total.is_finite() {
        Ok(total)
    } else {
        Err(AggregateFailure {
            kind: FailureKind::Weight,
            city: 0,
            node: group.node,
            child: group.children[0].0,
            value: total,
            aggregation: group.aggregation,
        })
    }
}

/// Whether a city's group can be scored at all: present weight, share and missing rule.
pub(crate) fn eligible(plan: &Plan, group: &GroupPlan, scores: &[f64]) -> bool {
    let total: f64 = group.children.iter().map(|&(_, w)| w).sum();
    let mut present = 0.0;
    let mut any_missing = false;
    for &(child, weight) in &group.children {
        // A child of weight 0 takes no part, missing or not (a group not applicable to the
        // unit weighs 0 for it).
        if weight == 0.0 {
            continue;
        }
        if scores[child].is_nan() {
            any_missing = true;
        } else {
            present += weight;
        }
    }
    present > 0.0
        && present / total >= group.min_share
        && !(any_missing && plan.missing == Missing::Propagate)
}

/// A weighted mean of one per-city method being accumulated: the one formula of each method,
/// shared by [`aggregate_year`] and the optimiser's [`aggregate_row`].
///
/// - arithmetic `sum(w x) / sum(w)`;
/// - geometric `exp(sum(w ln x) / sum(w))`;
/// - harmonic `sum(w) / sum(w / x)`;
/// - generalised `(sum(w x^p) / sum(w))^(1/p)`, computed scaled by the reference `m`, the
///   largest child for `p > 0` and the smallest for `p < 0`:
///   `m (sum(w (x/m)^p) / sum(w))^(1/p)`. Each `(x/m)^p` is then at most 1 and the child at
///   `m` contributes exactly its weight, so neither the sum nor its root can overflow or
///   vanish, whatever `p` (the naive formula gives `inf` for `100^400`).
///
/// Weights are at most 2^41 ([`Plan::compile`](crate::plan::Plan::compile) scales larger
/// written weights down to `[1, 2)`), so their sums cannot overflow either.
#[derive(Debug, Clone, Copy)]
struct Mean {
    method: Aggregation,
    /// The generalised mean's reference `m` (NaN for the other methods).
    reference: f64,
    /// Weight of the children added.
    present: f64,
    acc: f64,
}

impl Mean {
    fn new(method: Aggregation, reference: f64) -> Self {
        Mean {
            method,
            reference,
            present: 0.0,
            acc: 0.0,
        }
    }

    #[inline]
    fn add(&mut self, weight: f64, value: f64) {
        self.present += weight;
        self.acc += match self.method {
            Aggregation::Geometric => weight * value.ln(),
            Aggregation::Harmonic => weight / value,
            Aggregation::Generalised { p } => weight * (value / self.reference).powf(p),
            _ => weight * value,
        };
    }

    fn value(self) -> f64 {
        let (present, acc) = (self.present, self.acc);
        match self.method {
            Aggregation::Geometric => (acc / present).exp(),
            Aggregation::Harmonic => present / acc,
            // Every child 0 (p > 0 only: p < 0 needs positive children).
            Aggregation::Generalised { .. } if self.reference == 0.0 => 0.0,
            Aggregation::Generalised { p } => self.reference * (acc / present).powf(1.0 / p),
            _ => acc / present,
        }
    }
}

/// The reference of a generalised mean (see [`Mean`]): the largest of `values` for `p > 0`,
/// the smallest for `p < 0`; NaN for the other methods or no value. NaN values are skipped.
fn reference_of(method: Aggregation, values: impl Iterator<Item = f64>) -> f64 {
    match method {
        Aggregation::Generalised { p } if p < 0.0 => values.fold(f64::NAN, f64::min),
        Aggregation::Generalised { .. } => values.fold(f64::NAN, f64::max),
        _ => f64::NAN,
    }
}

/// The arithmetic mean of one city's group: [`per_city`] without the domain checks, the hot
/// path of replications. A child of weight 0 adds `0 * x`, which leaves the sums as they are.
fn arithmetic(plan: &Plan, group: &GroupPlan, total: f64, scores: &mut [f64]) {
    let mut mean = Mean::new(Aggregation::Arithmetic, f64::NAN);
    let mut any_missing = false;
    for &(child, weight) in &group.children {
        let value = scores[child];
        if weight == 0.0 {
            continue;
        }
        if value.is_nan() {
            any_missing = true;
        } else {
            mean.add(weight, value);
        }
    }
    scores[group.node] = group_value(plan, group, total, &mean, any_missing);
}

/// A group's score from the mean of its present children: missing (NaN) where none is present,
/// their weight share is below the group's `min_share`, or one is missing and the framework
/// propagates missing values; else the mean.
fn group_value(plan: &Plan, group: &GroupPlan, total: f64, mean: &Mean, any_missing: bool) -> f64 {
    let present = mean.present;
    if present == 0.0
        || present / total < group.min_share
        || (any_missing && plan.missing == Missing::Propagate)
    {
        f64::NAN
    } else {
        mean.value()
    }
}

/// The geometric mean of one city's group without an offset: [`per_city`] in one pass over
/// the children instead of three, the hot path of replications that draw the geometric mean.
/// The same children in the same order are checked and added, so the value, and the first
/// child outside the domain named by a failure, are those of [`per_city`].
///
/// `logs` (one city's row, see [`aggregate_year_logs`]) gives the logarithm of children where
/// it is not NaN: the logarithm of a positive finite value never is.
fn geometric(
    plan: &Plan,
    group: &GroupPlan,
    total: f64,
    scores: &mut [f64],
    logs: Option<&[f64]>,
) -> std::result::Result<(), AggregateFailure> {
    let mut mean = Mean::new(Aggregation::Geometric, f64::NAN);
    let mut any_missing = false;
    for &(child, weight) in &group.children {
        // `+ 0.0` as in `per_city` (it turns -0 into 0, which a failure reports).
        let value = scores[child] + 0.0;
        if weight == 0.0 {
            continue;
        }
        if value.is_nan() {
            any_missing = true;
        } else if in_domain(Aggregation::Geometric, value) {
            match logs.map(|l| l[child]) {
                // `Mean::add` of the geometric mean, with the logarithm already taken.
                Some(ln) if !ln.is_nan() => {
                    mean.present += weight;
                    mean.acc += weight * ln;
                }
                _ => mean.add(weight, value),
            }
        } else {
            return Err(AggregateFailure {
                kind: FailureKind::Domain,
                city: 0,
                node: group.node,
                child,
                value,
                aggregation: Aggregation::Geometric,
            });
        }
    }
    scores[group.node] = group_value(plan, group, total, &mean, any_missing);
    Ok(())
}

fn per_city(
    plan: &Plan,
    group: &GroupPlan,
    total: f64,
    scores: &mut [f64],
) -> std::result::Result<(), AggregateFailure> {
    let method = group.aggregation;
    let mut any_missing = false;
    // `nonpositive = { offset = c }` shifts every child of a restricted mean by c.
    let shift = match group.nonpositive {
        Nonpositive::Offset(c) if restricted(method) => c,
        _ => 0.0,
    };
    // The children that take part: present, of positive weight, in the method's domain.
    let taking_part = || {
        group
            .children
            .iter()
            .filter(|&&(child, weight)| !scores[child].is_nan() && weight != 0.0)
    };
    for &(child, weight) in &group.children {
        let value = scores[child] + shift;
        if weight == 0.0 {
            continue;
        }
        if value.is_nan() {
            any_missing = true;
            continue;
        }
        if !in_domain(method, value) {
            return Err(AggregateFailure {
                kind: FailureKind::Domain,
                city: 0,
                node: group.node,
                child,
                value,
                aggregation: method,
            });
        }
    }
    let mut mean = Mean::new(
        method,
        reference_of(
            method,
            taking_part().map(|&(child, _)| scores[child] + shift),
        ),
    );
    for &(child, weight) in taking_part() {
        mean.add(weight, scores[child] + shift);
    }
    let present = mean.present;
    let share = present / total;
    scores[group.node] = if present == 0.0
        || share < group.min_share
        || (any_missing && plan.missing == Missing::Propagate)
    {
        f64::NAN
    } else {
        mean.value()
    };
    Ok(())
}

/// The score of one row of children under a per-city aggregation, for the optimiser: missing
/// children and children of weight 0 skipped and the weights renormalised (as
/// [`aggregate_year`] with `missing = "skip"` and no `min_share`), but no domain check: NaN if
/// no child is present or the mean is not finite.
pub(crate) fn aggregate_row(row: &[f64], weights: &[f64], method: Aggregation) -> f64 {
    let taking_part = || {
        row.iter()
            .zip(weights)
            .filter(|&(x, &w)| !x.is_nan() && w != 0.0)
    };
    let mut mean = Mean::new(method, reference_of(method, taking_part().map(|(&x, _)| x)));
    for (&x, &w) in taking_part() {
        mean.add(w, x);
    }
    let v = mean.value();
    if mean.present > 0.0 && v.is_finite() {
        v
    } else {
        f64::NAN
    }
}

/// One cross-city group (MPI, AMPI or Copeland) for every city of a year.
fn cross_city(plan: &Plan, group: &GroupPlan, scores: &mut [f64], n: usize) {
    let nn = plan.n_nodes();
    let at = |c: usize, node: usize| c * nn + node;
    let ok: Vec<bool> = (0..n)
        .map(|c| eligible(plan, group, &scores[c * nn..(c + 1) * nn]))
        .collect();
    // Children of positive weight only take part.
    let children: Vec<(usize, f64)> = group
        .children
        .iter()
        .copied()
        .filter(|&(_, w)| w > 0.0)
        .collect();
    let mut out = vec![f64::NAN; n];
    match group.aggregation {
        Aggregation::Copeland => {
            let mut wins = vec![0.0f64; n];
            for i in (0..n).filter(|&i| ok[i]) {
                for j in (i + 1..n).filter(|&j| ok[j]) {
                    // Weighted majority over the children both cities have.
                    let (mut win, mut loss) = (0.0, 0.0);
                    for &(child, w) in &children {
                        let (a, b) = (scores[at(i, child)], scores[at(j, child)]);
                        if a > b {
                            win += w;
                        } else if a < b {
                            loss += w;
                        }
                    }
                    if win > loss {
                        wins[i] += 1.0;
                        wins[j] -= 1.0;
                    } else if loss > win {
                        wins[i] -= 1.0;
                        wins[j] += 1.0;
                    }
                }
            }
            for c in (0..n).filter(|&c| ok[c]) {
                out[c] = wins[c];
            }
        }
        method => {
            // Standardise each child over every city that has it.
            let mut standard = vec![f64::NAN; n * children.len()];
            for (k, &(child, _)) in children.iter().enumerate() {
                let values: Vec<f64> = (0..n)
                    .map(|c| scores[at(c, child)])
                    .filter(|v| !v.is_nan())
                    .collect();
                if values.is_empty() {
                    continue;
                }
                let count = values.len() as f64;
                let mean = values.iter().sum::<f64>() / count;
                let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
                let (lo, hi) = values
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                        (l.min(v), h.max(v))
                    });
                for c in 0..n {
                    let x = scores[at(c, child)];
                    if x.is_nan() {
                        continue;
                    }
                    // A child constant over the cities carries no information: 100.
                    standard[c * children.len() + k] = match method {
                        Aggregation::Mpi if sd > 0.0 => 100.0 + 10.0 * (x - mean) / sd,
                        Aggregation::Ampi if hi > lo => 70.0 + 60.0 * (x - lo) / (hi - lo),
                        _ => 100.0,
                    };
                }
            }
            for c in (0..n).filter(|&c| ok[c]) {
                let row = &standard[c * children.len()..(c + 1) * children.len()];
                let (mut sw, mut swz) = (0.0, 0.0);
                for (k, &(_, w)) in children.iter().enumerate() {
                    if !row[k].is_nan() {
                        sw += w;
                        swz += w * row[k];
                    }
                }
                let m = swz / sw;
                let var = children
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| !row[k].is_nan())
                    .map(|(k, &(_, w))| w * (row[k] - m).powi(2))
                    .sum::<f64>()
                    / sw;
                // M - S cv = M - S^2 / M.
                out[c] = m - var / m;
            }
        }
    }
    for (c, value) in out.into_iter().enumerate() {
        scores[at(c, group.node)] = value;
    }
}

/// The weight each indicator actually carries in one city's index score, after missing
/// children were skipped and weights renormalised (zero for a missing indicator).
/// `scores` are the city's node scores from [`aggregate`]; `actual` receives a value per node.
pub(crate) fn actual_weights(plan: &Plan, scores: &[f64], actual: &mut [f64]) {
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

/// A benefit-of-the-doubt group for every city of a year (`weights = "bod"`). `scores` is
/// `[city][node]`. Each eligible city (as for any group: some child present, `min_share`,
/// `missing`) is scored on the children it has, against the eligible cities that have all of
/// them; the share bounds are widened to `1/m` when its `m` children cannot meet them.
fn bod_group(plan: &Plan, group: &GroupPlan, scores: &mut [f64], n: usize, shares: [f64; 2]) {
    let nn = plan.n_nodes();
    let ok: Vec<bool> = (0..n)
        .map(|c| eligible(plan, group, &scores[c * nn..(c + 1) * nn]))
        .collect();
    let mut out = vec![f64::NAN; n];
    for c in (0..n).filter(|&c| ok[c]) {
        let present: Vec<usize> = group
            .children
            .iter()
            .map(|&(child, _)| child)
            .filter(|&child| !scores[c * nn + child].is_nan())
            .collect();
        // The city first, then every other eligible city with all of its children.
        let peers = std::iter::once(c).chain((0..n).filter(|&j| {
            j != c && ok[j] && present.iter().all(|&ch| !scores[j * nn + ch].is_nan())
        }));
        let x: Vec<f64> = peers
            .flat_map(|j| present.iter().map(move |&ch| (j, ch)))
            .map(|(j, ch)| scores[j * nn + ch])
            .collect();
        let m = present.len();
        let even = 1.0 / m as f64;
        let bounds = [shares[0].min(even), shares[1].max(even)];
        out[c] = crate::bod::bod_one(&x[..m], &x, x.len() / m, m, bounds).score;
    }
    for (c, value) in out.into_iter().enumerate() {
        scores[c * nn + group.node] = value;
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use std::num::NonZeroU32;

    use crate::rank::rank;
    use crate::reference::{assert_close, coinr_dir, read};
    use healthy_city_model::{Catalogue, Framework};

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
                assert_eq!(ranks[row].map(NonZeroU32::get), their_rank, "{what} rank");
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
    /// Regression guard for the replications' geometric hot path: on rows of positive,
    /// missing, zero, negative and infinite children with weights of 0 or more, under both
    /// missing rules and two `min_share`s, with and without logarithms given for some
    /// children, it gives the score (bit for bit) or the failure of the three-pass `per_city`.
    #[test]
    fn the_one_pass_geometric_mean_is_per_city_s_bit_for_bit() {
        let children = 5;
        let mut f = String::from("[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\naggregation = \"geometric\"\n");
        let mut c = String::new();
        for i in 0..children {
            write!(f, "[[indicator]]\nid = \"x{i}\"\nparent = \"index\"\n").unwrap();
            write!(c, "[[indicator]]\nid = \"x{i}\"\nname = \"X\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
        }
        let framework = Framework::parse(&f, "t.toml").unwrap();
        let catalogue = Catalogue::parse(&c, "c.toml").unwrap();
        let mut plan = Plan::compile(&framework, &catalogue).unwrap();
        let mut rng = crate::rng::Rng::new(16);
        let odd = [f64::NAN, 0.0, -0.0, -3.0, f64::INFINITY];
        let (mut failures, mut scored) = (0, 0);
        for case in 0..4000 {
            plan.missing = if case % 2 == 0 {
                Missing::Skip
            } else {
                Missing::Propagate
            };
            let mut group = plan.groups[0].clone();
            group.min_share = if case % 4 < 2 { 0.0 } else { 0.5 };
            for child in &mut group.children {
                child.1 = if rng.uniform() < 0.2 {
                    0.0
                } else {
                    rng.uniform() * 3.0
                };
            }
            let total: f64 = group.children.iter().map(|&(_, w)| w).sum();
            let mut row = vec![f64::NAN; plan.n_nodes()];
            for &node in &plan.indicator_nodes {
                let u = rng.uniform();
                row[node] = if u < 0.15 {
                    odd[(rng.uniform() * odd.len() as f64) as usize % odd.len()]
                } else {
                    100.0 * u
                };
            }
            // Logarithms given for some children (as the replications give them for
            // indicators), NaN for the others.
            let logs: Vec<f64> = row
                .iter()
                .map(|&v| {
                    if rng.uniform() < 0.5 {
                        v.ln()
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let (mut a, mut b) = (row.clone(), row);
            let logs = (case % 3 != 0).then_some(logs.as_slice());
            let (x, y) = (
                geometric(&plan, &group, total, &mut a, logs),
                per_city(&plan, &group, total, &mut b),
            );
            assert_eq!(x, y, "case {case}");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "case {case}");
            if x.is_err() {
                failures += 1;
            } else if !a[group.node].is_nan() {
                scored += 1;
            }
        }
        // Both outcomes were compared many times.
        assert!(
            failures > 500 && scored > 500,
            "{failures} failures, {scored} scored"
        );
    }

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

    /// p = 400 overflowed (100^400 is inf): the mean scaled by the largest child is finite.
    /// Hand computation, tolerance 1e-12 relative: M_400(100, 50; 1, 1) =
    /// 100 ((1 + 0.5^400) / 2)^(1/400) = 100 2^(-1/400) (0.5^400 is 4e-121 of 1);
    /// M_-400(1, 2; 1, 1) = 1 ((1 + 2^-400) / 2)^(-1/400) = 2^(1/400). For a large p the
    /// mean tends to the largest child: M_1000(100, 99, 50) is within 0.11% of 100 (between
    /// 100 (1/3)^(1/1000) and 100).
    #[test]
    fn generalised_means_of_large_powers_are_finite_and_match_hand_computation() {
        assert!(100f64.powf(400.0).is_infinite());
        let rel = |a: f64, b: f64, what: &str| {
            assert!((a - b).abs() <= 1e-12 * b.abs(), "{what}: {a} != {b}");
        };
        let p400 = "{ method = \"generalised\", p = 400 }";
        rel(
            one_group(p400, &[100.0, 50.0], &[1.0, 1.0]),
            100.0 * 2f64.powf(-1.0 / 400.0),
            "p = 400",
        );
        let m400 = "{ method = \"generalised\", p = -400 }";
        rel(
            one_group(m400, &[1.0, 2.0], &[1.0, 1.0]),
            2f64.powf(1.0 / 400.0),
            "p = -400",
        );
        let p1000 = "{ method = \"generalised\", p = 1000 }";
        let m = one_group(p1000, &[100.0, 99.0, 50.0], &[1.0, 1.0, 1.0]);
        assert!(
            m <= 100.0 && m >= 100.0 * (1.0f64 / 3.0).powf(1.0 / 1000.0),
            "{m}"
        );
        // Every child 0 under a positive power: 0, not 0/0.
        assert_eq!(one_group(p400, &[0.0, 0.0], &[1.0, 1.0]), 0.0);
        // A negative power meets a huge and a tiny child: the tiny one dominates, finite.
        let v = one_group(m400, &[1e-300, 1e300], &[1.0, 1.0]);
        rel(
            v,
            1e-300 * 2f64.powf(1.0 / 400.0),
            "p = -400 over 1e-300 and 1e300",
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The scaled generalised mean equals the naive `(sum(w x^p) / sum(w))^(1/p)` wherever
        /// the naive one neither overflows nor underflows; tolerance 1e-12 relative.
        #[test]
        fn the_scaled_generalised_mean_equals_the_naive_formula_where_it_does_not_overflow(
            values in proptest::collection::vec(0.01f64..100.0, 1..6),
            weights in proptest::collection::vec(0.1f64..10.0, 6),
            p in proptest::prop_oneof![-1000.0f64..-0.1, 0.1f64..1000.0],
        ) {
            let weights = &weights[..values.len()];
            let sum_w: f64 = weights.iter().sum();
            let acc: f64 = values.iter().zip(weights).map(|(x, w)| w * x.powf(p)).sum();
            let naive = (acc / sum_w).powf(1.0 / p);
            proptest::prop_assume!(acc.is_finite() && acc > f64::MIN_POSITIVE * 1e10 && naive.is_finite());
            // Weights in text: at most 17 significant digits, read back exactly.
            let got = one_group(
                &format!("{{ method = \"generalised\", p = {p:?} }}"),
                &values,
                weights,
            );
            proptest::prop_assert!(
                (got - naive).abs() <= 1e-12 * naive.abs(),
                "p = {p}: scaled {got}, naive {naive}"
            );
        }
    }

    #[test]
    fn harmonic_and_negative_power_means_refuse_zero() {
        let f = "[index]\nid = \"t\"\nname = \"T\"\n[[group]]\nid = \"index\"\naggregation = \"harmonic\"\nnonpositive = \"error\"\n[[indicator]]\nid = \"a\"\nparent = \"index\"\n";
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

    /// One group over `rows.len()` cities of one year, children `values[city][child]`:
    /// returns each city's group score from [`aggregate_year`].
    fn one_year(aggregation: &str, missing: &str, rows: &[&[f64]], weights: &[f64]) -> Vec<f64> {
        let mut f = format!("[index]\nid = \"t\"\nname = \"T\"\n[methods]\nmissing = \"{missing}\"\n[[group]]\nid = \"index\"\naggregation = {aggregation}\n");
        let mut c = String::new();
        for (i, w) in weights.iter().enumerate() {
            write!(
                f,
                "[[indicator]]\nid = \"x{i}\"\nparent = \"index\"\nweight = {w}\n"
            )
            .unwrap();
            write!(c, "[[indicator]]\nid = \"x{i}\"\nname = \"X\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"a\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
        }
        let plan = Plan::compile(
            &Framework::parse(&f, "t.toml").unwrap(),
            &Catalogue::parse(&c, "c.toml").unwrap(),
        )
        .unwrap();
        let nn = plan.n_nodes();
        let mut scores = vec![f64::NAN; rows.len() * nn];
        for (city, row) in rows.iter().enumerate() {
            for (i, &node) in plan.indicator_nodes.iter().enumerate() {
                scores[city * nn + node] = row[i];
            }
        }
        aggregate_year(&plan, &mut scores, rows.len()).unwrap();
        (0..rows.len())
            .map(|city| scores[city * nn + plan.root])
            .collect()
    }

    // Hand computations; tolerance 1e-12.
    #[test]
    fn mpi_matches_hand_computation() {
        // x0 = 1, 2, 3: mean 2, population sd sqrt(2/3), so z = 100 - c, 100, 100 + c with
        // c = 10 / sqrt(2/3) = 10 sqrt(1.5). x1 = 3, 1, 2: z = 100 + c, 100 - c, 100.
        let c = 10.0 * 1.5f64.sqrt();
        let got = one_year(
            "\"mpi\"",
            "skip",
            &[&[1.0, 3.0], &[2.0, 1.0], &[3.0, 2.0]],
            &[1.0, 1.0],
        );
        // City 0: z = 100 -+ c: M = 100, S^2 = c^2 = 150, MPI = M - S^2 / M = 98.5.
        assert_close(got[0], 98.5, 1e-12, "mpi city 0");
        // City 1: z = 100, 100 - c: M = 100 - c/2, S^2 = c^2 / 4 = 37.5.
        let m = 100.0 - c / 2.0;
        assert_close(got[1], m - 37.5 / m, 1e-12, "mpi city 1");
        let m = 100.0 + c / 2.0;
        assert_close(got[2], m - 37.5 / m, 1e-12, "mpi city 2");
        // A balanced city beats an unbalanced one with the same mean z.
        assert!(got[0] < 100.0);
        // Weights 3, 1 for city 0: M = (3 (100 - c) + (100 + c)) / 4 = 100 - c/2,
        // S^2 = (3 (c/2)^2 + (3c/2)^2) / 4 = 3 c^2 / 4 = 112.5.
        let got = one_year(
            "\"mpi\"",
            "skip",
            &[&[1.0, 3.0], &[2.0, 1.0], &[3.0, 2.0]],
            &[3.0, 1.0],
        );
        let m = 100.0 - c / 2.0;
        assert_close(got[0], m - 112.5 / m, 1e-12, "weighted mpi city 0");
    }

    #[test]
    fn ampi_matches_hand_computation_and_skips_missing_children() {
        // x0 = 0, 50, 100, 25 -> 70, 100, 130, 85; x1 = 100, 0, 50 (city 3 missing) -> 130, 70, 100.
        let rows: [&[f64]; 4] = [
            &[0.0, 100.0],
            &[50.0, 0.0],
            &[100.0, 50.0],
            &[25.0, f64::NAN],
        ];
        let got = one_year("\"ampi\"", "skip", &rows, &[1.0, 1.0]);
        // City 0: 70, 130: M = 100, S^2 = 900: 100 - 9 = 91.
        assert_close(got[0], 91.0, 1e-12, "ampi city 0");
        assert_close(got[1], 85.0 - 225.0 / 85.0, 1e-12, "ampi city 1");
        assert_close(got[2], 115.0 - 225.0 / 115.0, 1e-12, "ampi city 2");
        // City 3 has x0 only: r = 85, S = 0.
        assert_close(got[3], 85.0, 1e-12, "ampi city 3");
        // Weights 3, 1: city 0 M = (3 70 + 130) / 4 = 85, S^2 = (3 15^2 + 45^2) / 4 = 675.
        let got = one_year("\"ampi\"", "skip", &rows, &[3.0, 1.0]);
        assert_close(got[0], 85.0 - 675.0 / 85.0, 1e-12, "weighted ampi city 0");
        // Propagate: city 3 loses its score; the others keep theirs (x1's range is unchanged).
        let got = one_year("\"ampi\"", "propagate", &rows, &[1.0, 1.0]);
        assert!(got[3].is_nan());
        assert_close(got[0], 91.0, 1e-12, "ampi propagate city 0");
    }

    #[test]
    fn copeland_matches_hand_computation_and_skips_na_symmetrically() {
        // A beats D on x and z (y tied); B v D 2-0 on x, y; C v D 2-0 on y, z. A v C: 1-1 with
        // z tied; A v B and B v C: 1-1 on the children both have (B lacks z): ties, 0.
        let rows: [&[f64]; 4] = [
            &[3.0, 1.0, 2.0],
            &[2.0, 2.0, f64::NAN],
            &[1.0, 3.0, 2.0],
            &[1.0, 1.0, 1.0],
        ];
        let got = one_year("\"copeland\"", "skip", &rows, &[1.0, 1.0, 1.0]);
        assert_eq!(got, [1.0, 1.0, 1.0, -3.0]);
        // Order does not matter (COINr's outrankMatrix gives an NA comparison to the later
        // unit: there A v B would be 1/3 for A, a loss).
        let reversed: Vec<&[f64]> = rows.iter().rev().copied().collect();
        let got = one_year("\"copeland\"", "skip", &reversed, &[1.0, 1.0, 1.0]);
        assert_eq!(got, [-3.0, 1.0, 1.0, 1.0]);
        // Weights decide the majority: with x counting 3, the 1-1 splits on x go to x's winner.
        let got = one_year("\"copeland\"", "skip", &rows, &[3.0, 1.0, 1.0]);
        // A: beats B (3 v 1), C (3 v 1), D: 3. B: loses A, beats C (3 v 1), D: 1.
        // C: loses A, B; beats D (y, z 2 v 0, x tied): -1. D: -3.
        assert_eq!(got, [3.0, 1.0, -1.0, -3.0]);
    }

    /// Rows of a COINr table in the order of `codes`, matched on uCode.
    fn columns_of(
        table: &crate::reference::Table,
        codes: &[String],
        names: &[&str],
    ) -> Vec<Vec<f64>> {
        let by_code = table.index(table.column("uCode"));
        codes
            .iter()
            .map(|code| {
                names
                    .iter()
                    .map(|n| table.number(by_code[code], table.column(n)))
                    .collect()
            })
            .collect()
    }

    /// COINr's `a_copeland` called directly on its three group scores (no NA) gives its
    /// Index: ours must be identical (integers, exact).
    #[test]
    fn copeland_matches_coinr_a_copeland_where_there_is_no_na() {
        let Some(dir) = coinr_dir() else { return };
        let expected = read(&dir.join("aggregate/a_copeland_DIRECT_CALL.csv"));
        let ucode = expected.column("uCode");
        let codes: Vec<String> = expected.rows.iter().map(|r| r[ucode].clone()).collect();
        let groups = columns_of(&expected, &codes, &["Health", "Environment", "SafeActive"]);
        assert!(groups.iter().flatten().all(|v| !v.is_nan()));
        let rows: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
        let got = one_year("\"copeland\"", "skip", &rows, &[1.0, 1.0, 1.0]);
        let index = expected.column("Index");
        let by_code = expected.index(ucode);
        for (k, code) in codes.iter().enumerate() {
            assert_eq!(
                got[k],
                expected.number(by_code[code], index),
                "{code} Index"
            );
        }
        let ranks = rank(&got, None);
        let rank_col = expected.column("Rank_Index");
        for (k, code) in codes.iter().enumerate() {
            assert_eq!(
                ranks[k].map(|r| f64::from(r.get())),
                Some(expected.number(by_code[code], rank_col)),
                "{code} Rank_Index"
            );
        }
    }

    /// COINr's Health outranking matrix: on pairs where both cities have both Health
    /// indicators, its outcome equals ours; where one lacks one, COINr's upper-triangle entry
    /// (first unit in uCode order) counts only the children both have, out of the full weight
    /// 1, and the lower entry is 1 minus it, so the missing share goes to the later unit.
    #[test]
    fn copeland_differs_from_coinr_only_on_na_comparisons() {
        let Some(dir) = coinr_dir() else { return };
        let input = read(&dir.join("aggregate/input_normalised_minmax_1_100.csv"));
        let orm = read(&dir.join("aggregate/a_copeland_DIRECT_CALL_outrankMatrix_Health.csv"));
        let ucode = orm.column("uCode");
        let codes: Vec<String> = orm.rows.iter().map(|r| r[ucode].clone()).collect();
        let x = columns_of(&input, &codes, &["LIV_04", "LIV_05"]);
        let (mut complete, mut with_na, mut changed) = (0, 0, 0);
        for i in 0..codes.len() {
            for j in i + 1..codes.len() {
                let theirs = orm.number(i, orm.column(&codes[j]));
                let (mut win, mut loss, mut tie) = (0.0f64, 0.0f64, 0.0f64);
                for (&a, &b) in x[i].iter().zip(&x[j]) {
                    if a > b {
                        win += 0.5;
                    } else if a < b {
                        loss += 0.5;
                    } else if a == b {
                        tie += 0.5;
                    }
                }
                let ours = (win - loss).signum() * f64::from(win != loss);
                if x[i].iter().chain(&x[j]).all(|v| !v.is_nan()) {
                    complete += 1;
                    assert_eq!((theirs - 0.5).signum() * f64::from(theirs != 0.5), ours);
                } else {
                    with_na += 1;
                    assert_close(
                        theirs,
                        win + tie / 2.0,
                        1e-15,
                        &format!("{} v {}", codes[i], codes[j]),
                    );
                    let coinr = (theirs - 0.5).signum() * f64::from(theirs != 0.5);
                    changed += usize::from(coinr != ours);
                }
            }
        }
        assert!(complete > 1000 && with_na > 0, "{complete} {with_na}");
        // DUB (LIV_05 NA) v ZRH: COINr gives ZRH the win; we compare on LIV_04 alone.
        assert!(changed > 0);
    }
}
