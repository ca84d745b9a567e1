//! The replication engine: one year of a framework compiled to contiguous f64 matrices, rebuilt
//! thousands of times per second with other weights, methods, treatment limits, imputations or
//! an indicator left out. Uncertainty and sensitivity analysis, the weight map and the path to
//! first place all run on it.
//!
//! An [`Engine`] holds, for each imputation alternative, the year's transformed values of the
//! peer cities (`cities x indicators`) and, per indicator, the sorted sample that data-driven
//! statistics are taken over: the whole panel (every city, every year) under
//! `bounds = "panel"`, the year's cities under `bounds = "year"`, exactly as [`score`] does.
//! A replication ([`Engine::evaluate`]) then treats (winsorises) each indicator on its sample,
//! normalises, aggregates with [`aggregate_year`] and ranks, without allocating.
//!
//! Winsorising moves only the extremes of a sample, so on a sorted sample it is a clamp to
//! `[lo, hi]`: each step lowers `hi` (or raises `lo`) to the next distinct value, as COINr's
//! `Treat` does one point group at a time.
//!
//! [`score`]: crate::score()

use healthy_city_model::{
    Aggregation, Bounds, Catalogue, Cities, Framework, Impute, Normalisation, Observations,
    Treatment,
};

use crate::error::{Error, Result};
use crate::normalise::transformed;
use crate::plan::{aggregate_year, domain_of, Plan};
use crate::results::{prepare, score};

/// The data of one imputation alternative.
#[derive(Debug, Clone)]
struct Block {
    /// Transformed values of the peer cities in the year, `[city][indicator]`, NaN missing.
    x: Vec<f64>,
    /// Per indicator: the present transformed values of the statistics scope, ascending.
    sample: Vec<Vec<f64>>,
    /// Per indicator: the dist2ref reference city's transformed value in the year (NaN if none).
    reference: Vec<f64>,
}

/// One replication's choices. Built from [`Engine::nominal`] and changed field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Raw weight of every node slot, relative within its parent (the root's is ignored).
    pub weights: Vec<f64>,
    /// Normalisation of every indicator instead of the framework's.
    pub normalisation: Option<Normalisation>,
    /// Aggregation of every group instead of the framework's.
    pub aggregation: Option<Aggregation>,
    /// Imputation alternative (index into [`Engine::imputations`]).
    pub imputation: usize,
    /// COINr winsorisation of every indicator with this `winmax` (0: no treatment) instead of
    /// the framework's treatment.
    pub winmax: Option<usize>,
    /// Indicator slot left out (its weight, and that of any group it leaves empty, set to 0).
    pub left_out: Option<usize>,
}

/// Per-thread buffers of [`Engine::evaluate`].
#[derive(Debug, Clone)]
pub struct Scratch {
    plan: Plan,
    weights: Vec<f64>,
    /// `[city][node]` scores of the last evaluation.
    scores: Vec<f64>,
    mapped: Vec<f64>,
    root: Vec<f64>,
    order: Vec<usize>,
    /// Ranks of the last evaluation (0: not ranked).
    pub ranks: Vec<u32>,
}

impl Scratch {
    /// Index scores of the last evaluation, by peer city.
    pub fn root_scores(&self) -> &[f64] {
        &self.root
    }

    /// Score of `node` for peer city `c` in the last evaluation.
    pub fn score(&self, c: usize, node: usize) -> f64 {
        self.scores[c * self.plan.n_nodes() + node]
    }
}

/// One year of a framework, ready for replications.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The compiled framework (nominal weights and methods).
    pub plan: Plan,
    /// The year scored.
    pub year: i32,
    /// Peer city ids: the cities ranked in the year by [`score`](crate::score()).
    pub cities: Vec<String>,
    /// Their display names.
    pub city_names: Vec<String>,
    /// Imputation alternatives; the first is the framework's.
    pub imputations: Vec<Impute>,
    /// Nominal index scores, by peer city (from [`score`](crate::score())).
    pub nominal_scores: Vec<f64>,
    /// Nominal ranks, by peer city.
    pub nominal_ranks: Vec<u32>,
    blocks: Vec<Block>,
    goalposts: Vec<Option<[f64; 2]>>,
    targets: Vec<Option<f64>>,
    bounds: Bounds,
    round: Option<u32>,
}

impl Engine {
    /// Compiles `year` of the framework (default: its latest ranked year). The peer cities are
    /// those [`score`](crate::score()) ranks in that year; `imputations` are alternatives to
    /// the framework's own imputation, which always comes first.
    pub fn build(
        framework: &Framework,
        catalogue: &Catalogue,
        cities: &Cities,
        observations: &Observations,
        year: Option<i32>,
        imputations: &[Impute],
    ) -> Result<Self> {
        let results = score(framework, catalogue, cities, observations)?;
        let y = match year {
            Some(year) => results
                .years
                .iter()
                .position(|&y| y == year)
                .filter(|&y| results.year_ranked[y])
                .ok_or_else(|| Error::YearNotRanked {
                    year,
                    ranked: results.ranked_years(),
                })?,
            None => results.latest_ranked_year().ok_or(Error::NoRankedYear)?,
        };
        let peers: Vec<usize> = (0..results.cities.len())
            .filter(|&c| results.is_ranked(y, c))
            .collect();
        let mut alternatives = vec![framework.methods.impute];
        for &m in imputations {
            if !alternatives.contains(&m) {
                alternatives.push(m);
            }
        }
        let bounds = framework.methods.bounds;
        let mut blocks = Vec::with_capacity(alternatives.len());
        let mut plan = None;
        for &method in &alternatives {
            let prepared = prepare(framework, catalogue, cities, observations, method)?;
            let panel = &prepared.panel;
            let (nc, ni) = (panel.n_cities(), panel.n_indicators());
            let py = panel
                .years
                .iter()
                .position(|&v| v == results.years[y])
                .ok_or(Error::NoRankedYear)?;
            let x: Vec<f64> = peers
                .iter()
                .flat_map(|&c| (0..ni).map(move |i| (c, i)))
                .map(|(c, i)| panel.values[(py * nc + c) * ni + i])
                .collect();
            let years = match bounds {
                Bounds::Panel => 0..panel.years.len(),
                Bounds::Year => py..py + 1,
            };
            let sample = (0..ni)
                .map(|i| {
                    let mut s: Vec<f64> = years
                        .clone()
                        .flat_map(|yy| (0..nc).map(move |c| (yy * nc + c) * ni + i))
                        .map(|at| panel.values[at])
                        .filter(|v| !v.is_nan())
                        .collect();
                    s.sort_by(f64::total_cmp);
                    s
                })
                .collect();
            let reference = prepared
                .plan
                .indicators
                .iter()
                .enumerate()
                .map(|(i, ind)| match &ind.normalisation {
                    Normalisation::Dist2ref { city, .. } => panel
                        .cities
                        .iter()
                        .position(|p| p == city)
                        .map_or(f64::NAN, |c| panel.values[(py * nc + c) * ni + i]),
                    _ => f64::NAN,
                })
                .collect();
            blocks.push(Block {
                x,
                sample,
                reference,
            });
            plan.get_or_insert(prepared.plan);
        }
        let mut plan = plan.ok_or(Error::NoRankedYear)?;
        // Group weights derived from the data (`weights = "pca"` / `"optimised"`) are the
        // nominal ones, as `score` derived them (once, not per replication).
        for derived in &results.derived_weights {
            if let Some(group) = plan.groups.iter_mut().find(|g| g.node == derived.node) {
                group.children.clone_from(&derived.weights);
            }
        }
        plan.effective = crate::weights::effective_weights(&plan);
        let goalposts = plan
            .indicators
            .iter()
            .map(|ind| {
                ind.goalposts
                    .map(|[lo, hi]| {
                        Ok::<_, Error>([
                            transformed(ind, lo, "goalposts")?,
                            transformed(ind, hi, "goalposts")?,
                        ])
                    })
                    .transpose()
            })
            .collect::<Result<_>>()?;
        let targets = plan
            .indicators
            .iter()
            .map(|ind| {
                ind.target
                    .map(|t| transformed(ind, t, "target"))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        Ok(Engine {
            year: results.years[y],
            cities: peers.iter().map(|&c| results.cities[c].clone()).collect(),
            city_names: peers
                .iter()
                .map(|&c| results.city_names[c].clone())
                .collect(),
            nominal_scores: peers
                .iter()
                .map(|&c| results.score(y, c, results.root))
                .collect(),
            nominal_ranks: peers
                .iter()
                .map(|&c| results.rank(y, c, results.root).unwrap_or(0))
                .collect(),
            imputations: alternatives,
            blocks,
            goalposts,
            targets,
            bounds,
            round: framework.methods.round,
            plan,
        })
    }

    /// Number of peer cities.
    pub fn n_cities(&self) -> usize {
        self.cities.len()
    }

    /// Number of indicators.
    pub fn n_indicators(&self) -> usize {
        self.plan.indicators.len()
    }

    /// Position of a peer city, by id or display name (case-insensitive).
    pub fn city(&self, name: &str) -> Option<usize> {
        self.cities
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .or_else(|| {
                self.city_names
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(name))
            })
    }

    /// Transformed value of indicator `i` for peer city `c` (framework imputation; NaN if
    /// missing).
    pub fn value(&self, c: usize, i: usize) -> f64 {
        self.blocks[0].x[c * self.n_indicators() + i]
    }

    /// A copy of the engine in which peer city `c` has other transformed values
    /// (`(indicator slot, value)`), in the year's data and in the statistics samples, for
    /// every imputation alternative.
    #[must_use]
    pub fn with_values(&self, c: usize, values: &[(usize, f64)]) -> Engine {
        let mut out = self.clone();
        let ni = self.n_indicators();
        for block in &mut out.blocks {
            for &(i, v) in values {
                let old = block.x[c * ni + i];
                block.x[c * ni + i] = v;
                let sample = &mut block.sample[i];
                match sample.iter().position(|&s| s == old) {
                    Some(k) if !old.is_nan() => sample[k] = v,
                    _ if !v.is_nan() => sample.push(v),
                    _ => {}
                }
                sample.sort_by(f64::total_cmp);
            }
        }
        out
    }

    /// The framework's own choices.
    pub fn nominal(&self) -> Config {
        let mut weights = vec![0.0; self.plan.n_nodes()];
        for group in &self.plan.groups {
            for &(child, w) in &group.children {
                weights[child] = w;
            }
        }
        Config {
            weights,
            normalisation: None,
            aggregation: None,
            imputation: 0,
            winmax: None,
            left_out: None,
        }
    }

    /// Fresh buffers for [`Engine::evaluate`] (one per thread).
    pub fn scratch(&self) -> Scratch {
        let n = self.n_cities();
        Scratch {
            plan: self.plan.clone(),
            weights: vec![0.0; self.plan.n_nodes()],
            scores: vec![f64::NAN; n * self.plan.n_nodes()],
            mapped: Vec::new(),
            root: vec![f64::NAN; n],
            order: (0..n).collect(),
            ranks: vec![0; n],
        }
    }

    /// Rebuilds the index with `config`: treats, normalises, aggregates and ranks every peer
    /// city. Scores and ranks are left in `s` ([`Scratch::root_scores`], [`Scratch::ranks`]).
    pub fn evaluate(&self, config: &Config, s: &mut Scratch) -> Result<()> {
        let block = &self.blocks[config.imputation.min(self.blocks.len() - 1)];
        let (n, ni, nn) = (self.n_cities(), self.n_indicators(), self.plan.n_nodes());
        for i in 0..ni {
            self.normalise(block, i, config, s)?;
        }
        // Weights and aggregation for this replication.
        s.weights.copy_from_slice(&config.weights);
        if let Some(i) = config.left_out {
            self.leave_out(self.plan.indicator_nodes[i], &mut s.weights);
        }
        for (group, nominal) in s.plan.groups.iter_mut().zip(&self.plan.groups) {
            group.aggregation = config.aggregation.unwrap_or(nominal.aggregation);
            for (child, &(slot, _)) in group.children.iter_mut().zip(&nominal.children) {
                child.1 = s.weights[slot];
            }
        }
        aggregate_year(&s.plan, &mut s.scores, n).map_err(|f| Error::NonPositive {
            method: f.aggregation.to_string(),
            domain: domain_of(f.aggregation),
            node: self.plan.node_ids[f.node].clone(),
            city: self.cities[f.city].clone(),
            year: self.year,
            child: self.plan.node_ids[f.child].clone(),
            value: f.value,
        })?;
        for c in 0..n {
            let v = s.scores[c * nn + self.plan.root];
            s.root[c] = match self.round {
                Some(d) => {
                    let f = 10f64.powi(d as i32);
                    (v * f).round() / f
                }
                None => v,
            };
        }
        rank_into(&s.root, &mut s.order, &mut s.ranks);
        Ok(())
    }

    /// Sets the weight of `node` to 0, and of each ancestor it leaves without weighted children.
    fn leave_out(&self, node: usize, weights: &mut [f64]) {
        weights[node] = 0.0;
        let mut child = node;
        while let Some(group) = self
            .plan
            .groups
            .iter()
            .find(|g| g.children.iter().any(|&(c, _)| c == child))
        {
            if group.children.iter().any(|&(c, _)| weights[c] > 0.0) || group.node == self.plan.root
            {
                break;
            }
            weights[group.node] = 0.0;
            child = group.node;
        }
    }

    /// Treats and normalises indicator `i` into the indicator's node column of `s.scores`.
    fn normalise(&self, block: &Block, i: usize, config: &Config, s: &mut Scratch) -> Result<()> {
        let (n, ni, nn) = (self.n_cities(), self.n_indicators(), self.plan.n_nodes());
        let ind = &self.plan.indicators[i];
        let node = self.plan.indicator_nodes[i];
        let sample = &block.sample[i];
        if sample.is_empty() {
            for c in 0..n {
                s.scores[c * nn + node] = f64::NAN;
            }
            return Ok(());
        }
        let treatment = match config.winmax {
            None => ind.treatment,
            Some(0) => Treatment::None,
            Some(winmax) => Treatment::Winsorise {
                winmax,
                skew_thresh: 2.0,
                kurt_thresh: 3.5,
            },
        };
        let normalisation = config.normalisation.as_ref().unwrap_or(&ind.normalisation);
        let scope = || match self.bounds {
            Bounds::Panel => String::from(" in every year"),
            Bounds::Year => format!(" in {}", self.year),
        };
        let map = Mapping::of(sample, treatment).map_err(|found| Error::TooFewValues {
            indicator: ind.id.clone(),
            method: "outlier treatment (skewness and kurtosis)",
            needed: 4,
            found,
            scope: scope(),
        })?;
        if let Mapping::Log = map {
            if sample[0] <= 0.0 {
                return Err(Error::TransformDomain {
                    transform: "log",
                    indicator: ind.id.clone(),
                    city: String::from("a city"),
                    year: self.year,
                    value: sample[0],
                    domain: "values must be > 0",
                });
            }
        }
        if matches!(map, Mapping::LogCt { .. }) && normalisation.in_natural_units() {
            return Err(Error::TreatedUnits {
                indicator: ind.id.clone(),
                normalisation: normalisation.name(),
                scope: scope(),
            });
        }
        let sign = ind.sign;
        let (first, last) = (map.apply(sample[0]), map.apply(sample[sample.len() - 1]));
        let (min, max) = if sign > 0.0 {
            (first, last)
        } else {
            (-last, -first)
        };
        let [l, u] = self.plan.scale;
        let zero_range = |method: &'static str| Error::ZeroRange {
            indicator: ind.id.clone(),
            method,
            value: sign * min,
            scope: scope(),
        };
        // Per-method constants.
        let (mut a, mut b) = (0.0, 0.0);
        match normalisation {
            Normalisation::Minmax | Normalisation::Dist2max if min >= max => {
                return Err(zero_range(if *normalisation == Normalisation::Minmax {
                    "min-max"
                } else {
                    "dist2max"
                }));
            }
            Normalisation::Zscore { .. } => {
                if sample.len() < 2 {
                    return Err(Error::TooFewValues {
                        indicator: ind.id.clone(),
                        method: "z-score normalisation",
                        needed: 2,
                        found: sample.len(),
                        scope: scope(),
                    });
                }
                if min >= max {
                    return Err(zero_range("z-score"));
                }
                let m = sample.len() as f64;
                let mean = sample.iter().map(|&v| sign * map.apply(v)).sum::<f64>() / m;
                let mean = mean
                    + sample
                        .iter()
                        .map(|&v| sign * map.apply(v) - mean)
                        .sum::<f64>()
                        / m;
                let ss: f64 = sample
                    .iter()
                    .map(|&v| (sign * map.apply(v) - mean).powi(2))
                    .sum();
                (a, b) = (mean, (ss / (m - 1.0)).sqrt());
            }
            Normalisation::Goalposts | Normalisation::Scaled => {
                let [lo, hi] = self.goalposts[i].ok_or_else(|| Error::MissingGoalposts {
                    indicator: ind.id.clone(),
                })?;
                (a, b) = (lo, hi);
            }
            Normalisation::Dist2targ { .. } => {
                let target = self.targets[i].ok_or_else(|| Error::MissingTarget {
                    indicator: ind.id.clone(),
                })?;
                a = sign * target;
                if a <= min {
                    return Err(Error::TargetNotBetter {
                        indicator: ind.id.clone(),
                        target: ind.target.unwrap_or(target),
                        worst: sign * min,
                        scope: scope(),
                    });
                }
            }
            Normalisation::Fracmax if max == 0.0 => {
                return Err(Error::ZeroBest {
                    indicator: ind.id.clone(),
                    scope: scope(),
                });
            }
            Normalisation::Dist2ref { city, .. } => {
                let r = block.reference[i];
                if r.is_nan() {
                    return Err(Error::ReferenceMissing {
                        indicator: ind.id.clone(),
                        city: city.clone(),
                        year: self.year,
                    });
                }
                a = sign * map.apply(r);
                if a <= min {
                    return Err(Error::ReferenceIsWorst {
                        indicator: ind.id.clone(),
                        city: city.clone(),
                        year: self.year,
                        value: sign * a,
                    });
                }
            }
            Normalisation::Rank | Normalisation::Borda | Normalisation::Prank => {
                if *normalisation == Normalisation::Prank && sample.len() < 2 {
                    return Err(Error::TooFewValues {
                        indicator: ind.id.clone(),
                        method: "percentile rank normalisation",
                        needed: 2,
                        found: sample.len(),
                        scope: scope(),
                    });
                }
                s.mapped.clear();
                s.mapped.extend(sample.iter().map(|&v| map.apply(v)));
            }
            _ => {}
        }
        let m = sample.len();
        let scale = match normalisation {
            Normalisation::Minmax => (u - l) / (max - min),
            Normalisation::Dist2max => 1.0 / (max - min),
            Normalisation::Zscore { sd, .. } => sd / b,
            _ => 0.0,
        };
        for c in 0..n {
            let raw = block.x[c * ni + i];
            let out = &mut s.scores[c * nn + node];
            if raw.is_nan() {
                *out = f64::NAN;
                continue;
            }
            let t = map.apply(raw);
            let v = sign * t;
            *out = match normalisation {
                // Multiplications by the reciprocal computed once (`scale`) instead of a
                // division per value: within an ulp of `run`'s formula.
                Normalisation::Minmax => l + (v - min) * scale,
                Normalisation::Dist2max => 1.0 - (max - v) * scale,
                Normalisation::Zscore { mean, .. } => (v - a) * scale + mean,
                Normalisation::Goalposts | Normalisation::Scaled => {
                    let share = if sign > 0.0 {
                        (t - a) / (b - a)
                    } else {
                        (b - t) / (b - a)
                    };
                    let share = if *normalisation == Normalisation::Goalposts {
                        share.clamp(0.0, 1.0)
                    } else {
                        share
                    };
                    l + share * (u - l)
                }
                Normalisation::Dist2targ { cap_max } => {
                    let score = (v - min) / (a - min);
                    if *cap_max {
                        score.min(1.0)
                    } else {
                        score
                    }
                }
                Normalisation::Dist2ref { cap_max, .. } => {
                    let score = 1.0 - (a - v) / (a - min);
                    if *cap_max {
                        score.min(1.0)
                    } else {
                        score
                    }
                }
                Normalisation::Fracmax => v / max,
                Normalisation::Rank | Normalisation::Borda | Normalisation::Prank => {
                    // Rank 1 = worst: count the sample values worse than this one.
                    let worse = if sign > 0.0 {
                        s.mapped.partition_point(|&w| w < t)
                    } else {
                        m - s.mapped.partition_point(|&w| w <= t)
                    };
                    let r = 1.0 + worse as f64;
                    match normalisation {
                        Normalisation::Rank => r,
                        Normalisation::Borda => r - 1.0,
                        _ => (r - 1.0) / (m.max(2) - 1) as f64,
                    }
                }
            };
        }
        Ok(())
    }
}

/// A treatment as a monotone map of one indicator's values, derived from its sorted sample.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mapping {
    Identity,
    /// Winsorised: values clamped to `[lo, hi]`.
    Clamp {
        lo: f64,
        hi: f64,
    },
    /// COINr's log_CT fallback on the original values.
    LogCt {
        min: f64,
        max: f64,
    },
    Log,
    Boxcox {
        min: f64,
        lambda: f64,
    },
}

impl Mapping {
    /// COINr's `Treat` on a sorted sample; `Err(n)` with fewer than 4 values to winsorise.
    fn of(sample: &[f64], treatment: Treatment) -> std::result::Result<Self, usize> {
        let m = sample.len();
        match treatment {
            Treatment::None => Ok(Mapping::Identity),
            Treatment::Log => Ok(Mapping::Log),
            Treatment::Boxcox { lambda } => Ok(Mapping::Boxcox {
                min: sample[0],
                lambda,
            }),
            Treatment::Winsorise {
                winmax,
                skew_thresh,
                kurt_thresh,
            } => {
                if m < 4 {
                    return Err(m);
                }
                let (mut lo, mut hi) = (sample[0], sample[m - 1]);
                // Power sums about the median; a step moving `t` points from `a` to `b`
                // updates them in O(1).
                let mut sums = Sums::of(sample);
                let fails = |sums: &Sums| -> Option<f64> {
                    let (skew, kurt) = sums.skew_kurt();
                    let pass = skew.is_nan()
                        || kurt.is_nan()
                        || skew.abs() < skew_thresh
                        || kurt < kurt_thresh;
                    (!pass).then_some(skew)
                };
                let mut status = fails(&sums);
                if status.is_none() {
                    return Ok(Mapping::Identity);
                }
                let (mut at_max, mut at_min) = (0, 0);
                while let Some(skew) = status {
                    if at_max + at_min >= winmax {
                        break;
                    }
                    if skew >= 0.0 {
                        // Every point at the current maximum goes to the next value below it.
                        let below = sample.partition_point(|&v| v < hi);
                        if below == 0 {
                            break;
                        }
                        at_max = m - below;
                        let next = sample[below - 1].max(lo);
                        sums.shift(at_max as f64, hi, next);
                        hi = next;
                    } else {
                        let above = sample.partition_point(|&v| v <= lo);
                        if above == m {
                            break;
                        }
                        at_min = above;
                        let next = sample[above].min(hi);
                        sums.shift(at_min as f64, lo, next);
                        lo = next;
                    }
                    status = fails(&sums);
                }
                Ok(if status.is_none() {
                    Mapping::Clamp { lo, hi }
                } else {
                    Mapping::LogCt {
                        min: sample[0],
                        max: sample[m - 1],
                    }
                })
            }
        }
    }

    #[inline]
    fn apply(self, v: f64) -> f64 {
        match self {
            Mapping::Identity => v,
            Mapping::Clamp { lo, hi } => v.clamp(lo, hi),
            Mapping::LogCt { min, max } => (v - min + 0.01 * (max - min)).ln(),
            Mapping::Log => v.ln(),
            Mapping::Boxcox { min, lambda } => {
                let shifted = v - min + 1.0;
                if lambda == 0.0 {
                    shifted.ln()
                } else {
                    (shifted.powf(lambda) - 1.0) / lambda
                }
            }
        }
    }
}

/// Power sums `sum (x - k)^p`, p = 1..4, of a sample about a fixed centre `k` (its median),
/// for skewness and kurtosis that follow winsorising steps in O(1) each.
#[derive(Debug, Clone, Copy)]
struct Sums {
    n: f64,
    k: f64,
    s: [f64; 4],
}

impl Sums {
    fn of(sorted: &[f64]) -> Self {
        let k = sorted[sorted.len() / 2];
        let mut s = [0.0; 4];
        for &v in sorted {
            let d = v - k;
            let d2 = d * d;
            s[0] += d;
            s[1] += d2;
            s[2] += d2 * d;
            s[3] += d2 * d2;
        }
        Sums {
            n: sorted.len() as f64,
            k,
            s,
        }
    }

    /// `t` points move from `a` to `b`.
    fn shift(&mut self, t: f64, a: f64, b: f64) {
        let (da, db) = (a - self.k, b - self.k);
        self.s[0] += t * (db - da);
        self.s[1] += t * (db * db - da * da);
        self.s[2] += t * (db * db * db - da * da * da);
        self.s[3] += t * (db * db * db * db - da * da * da * da);
    }

    /// COINr's `skew` and `kurt` (see [`skew_kurt`]).
    fn skew_kurt(&self) -> (f64, f64) {
        let (n, [s1, s2, s3, s4]) = (self.n, self.s);
        if n < 4.0 {
            return (f64::NAN, f64::NAN);
        }
        // Central sums about the mean `k + c`.
        let c = s1 / n;
        let m2 = s2 - n * c * c;
        let m3 = s3 - 3.0 * c * s2 + 2.0 * n * c * c * c;
        let m4 = s4 - 4.0 * c * s3 + 6.0 * c * c * s2 - 3.0 * n * c * c * c * c;
        let g1 = n.sqrt() * m3 / (m2 * m2.sqrt());
        let skew = g1 * (n * (n - 1.0)).sqrt() / (n - 2.0);
        let r = n * m4 / (m2 * m2);
        let kurt = ((n + 1.0) * (r - 3.0) + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
        (skew, kurt)
    }
}

#[cfg(test)]
/// [`skew_kurt`] of the sorted sample clamped to `[lo, hi]`, without copying it: the values
/// below `lo` and above `hi` count as `lo` and `hi`, the others as they are. The mean is
/// refined by R's second pass, folded into the moment sums (`c` below).
fn clamped_skew_kurt(sample: &[f64], lo: f64, hi: f64) -> (f64, f64) {
    let n = sample.len();
    if n < 4 {
        return (f64::NAN, f64::NAN);
    }
    let below = sample.partition_point(|&v| v < lo);
    let above = n - sample.partition_point(|&v| v <= hi);
    let middle = &sample[below..n - above];
    let (kb, ka) = (below as f64, above as f64);
    let nf = n as f64;
    let mean = (kb * lo + middle.iter().sum::<f64>() + ka * hi) / nf;
    let (mut s1, mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0, 0.0);
    let mut add = |d: f64, k: f64| {
        let d2 = d * d;
        s1 += k * d;
        s2 += k * d2;
        s3 += k * d2 * d;
        s4 += k * d2 * d2;
    };
    add(lo - mean, kb);
    add(hi - mean, ka);
    for &v in middle {
        add(v - mean, 1.0);
    }
    // Moments about the refined mean `mean + c`.
    let c = s1 / nf;
    let m2 = s2 - nf * c * c;
    let m3 = s3 - 3.0 * c * s2 + 2.0 * nf * c * c * c;
    let m4 = s4 - 4.0 * c * s3 + 6.0 * c * c * s2 - 3.0 * nf * c * c * c * c;
    let g1 = nf.sqrt() * m3 / (m2 * m2.sqrt());
    let skew = g1 * (nf * (nf - 1.0)).sqrt() / (nf - 2.0);
    let r = nf * m4 / (m2 * m2);
    let kurt = ((nf + 1.0) * (r - 3.0) + 6.0) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0));
    (skew, kurt)
}

/// Competition ranks of `scores` (1 = highest; ties share the best rank; NaN gets 0, not
/// ranked), using `order` as a buffer.
pub(crate) fn rank_into(scores: &[f64], order: &mut [usize], ranks: &mut [u32]) {
    for (k, o) in order.iter_mut().enumerate() {
        *o = k;
    }
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (scores[a], scores[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => a.cmp(&b),
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => y.total_cmp(&x).then(a.cmp(&b)),
        }
    });
    let mut previous = f64::NAN;
    let mut current = 0;
    for (position, &c) in order.iter().enumerate() {
        let v = scores[c];
        if v.is_nan() {
            ranks[c] = 0;
            continue;
        }
        if v != previous {
            current = position as u32 + 1;
            previous = v;
        }
        ranks[c] = current;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use healthy_city_model::WINSORISE_DEFAULT;

    use super::*;
    use crate::treat::{skew_kurt, treat_column};

    /// The default index and its committed snapshot.
    pub(crate) fn default_inputs() -> (Framework, Catalogue, Cities, Observations) {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../indicators");
        let framework = Framework::load(format!("{root}/frameworks/healthy-city.toml").as_ref())
            .expect("default framework");
        let catalogue = Catalogue::load(format!("{root}/catalogue.toml").as_ref()).unwrap();
        let cities = Cities::load(format!("{root}/cities.toml").as_ref()).unwrap();
        let observations =
            Observations::load(format!("{root}/snapshot/observations.csv").as_ref()).unwrap();
        (framework, catalogue, cities, observations)
    }

    /// Builds the engine on `framework` and checks that its nominal replication gives the
    /// scores and ranks of `score` (tolerance 1e-9 on scores, ranks exact).
    fn check_nominal(framework: &Framework, year: Option<i32>) {
        let (_, catalogue, cities, observations) = default_inputs();
        let engine = Engine::build(framework, &catalogue, &cities, &observations, year, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(engine.n_cities() >= 40, "{} peer cities", engine.n_cities());
        let mut s = engine.scratch();
        engine.evaluate(&engine.nominal(), &mut s).unwrap();
        for c in 0..engine.n_cities() {
            let (a, b) = (s.root_scores()[c], engine.nominal_scores[c]);
            assert!(
                (a - b).abs() < 1e-9,
                "{}: engine {a} vs score {b} ({:?})",
                engine.cities[c],
                framework.methods
            );
        }
        assert_eq!(s.ranks, engine.nominal_ranks, "{:?}", framework.methods);
    }

    #[test]
    fn the_nominal_replication_reproduces_score_on_the_default_index() {
        let (framework, ..) = default_inputs();
        check_nominal(&framework, None);
        check_nominal(&framework, Some(2013));
    }

    /// Regression: the engine took the compiled (equal) weights of `weights = "pca"` and
    /// `"optimised"` groups instead of those `score` derived; a `"bod"` index aggregates
    /// through `aggregate_year` in both.
    #[test]
    fn data_driven_group_weights_and_bod_match_score() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../indicators/frameworks");
        let text = std::fs::read_to_string(format!("{root}/healthy-city.toml")).unwrap();
        let derived = text
            .replace(
                "name = \"Environment\"\n",
                "name = \"Environment\"\nweights = \"pca\"\n",
            )
            .replace(
                "name = \"Health outcomes\"\n",
                "name = \"Health outcomes\"\nweights = \"optimised\"\n",
            );
        assert_eq!(derived.matches("weights = ").count(), 2);
        let framework = Framework::parse(&derived, "healthy-city.toml").unwrap();
        check_nominal(&framework, None);
        let bod = text.replace("id = \"index\"\n", "id = \"index\"\nweights = \"bod\"\n");
        check_nominal(&Framework::parse(&bod, "healthy-city.toml").unwrap(), None);
    }

    #[test]
    fn every_data_driven_normalisation_and_winsorising_matches_score() {
        let (base, ..) = default_inputs();
        let methods = [
            Normalisation::Minmax,
            Normalisation::Zscore {
                mean: 10.0,
                sd: 2.0,
            },
            Normalisation::Dist2max,
            Normalisation::Rank,
            Normalisation::Prank,
            Normalisation::Borda,
        ];
        for bounds in [Bounds::Panel, Bounds::Year] {
            for treatment in [Treatment::None, WINSORISE_DEFAULT] {
                for normalisation in &methods {
                    let mut framework = base.clone();
                    framework.methods.bounds = bounds;
                    // Per-year statistics need years with many cities.
                    framework.data.years = Some([2013, 2019]);
                    framework.methods.treatment = treatment;
                    framework.methods.normalisation = normalisation.clone();
                    check_nominal(&framework, None);
                }
            }
        }
        let mut framework = base.clone();
        framework.methods.scale = [1.0, 100.0];
        framework.methods.aggregation = Aggregation::Geometric;
        check_nominal(&framework, None);
    }

    #[test]
    fn winsorising_a_sorted_sample_is_coinrs_treat() {
        // One far outlier and a tied pair at the top: the first step moves both 900s.
        let mut x = vec![
            1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.0, 4.5, 5.0, 5.5, 6.0, 7.0, 900.0, 900.0, 40.0,
        ];
        for winmax in [1, 2, 5] {
            let treatment = Treatment::Winsorise {
                winmax,
                skew_thresh: 2.0,
                kurt_thresh: 3.5,
            };
            let mut sorted = x.clone();
            sorted.sort_by(f64::total_cmp);
            let map = Mapping::of(&sorted, treatment).unwrap();
            let mut treated = x.clone();
            treat_column(&mut treated, treatment).unwrap();
            for (&raw, &t) in x.iter().zip(&treated) {
                assert!((map.apply(raw) - t).abs() < 1e-12, "{winmax}: {raw} -> {t}");
            }
        }
        // The clamped moments are the moments of the clamped copy.
        x.sort_by(f64::total_cmp);
        let clamped: Vec<f64> = x.iter().map(|v| v.clamp(2.0, 7.0)).collect();
        let (a, b) = skew_kurt(&clamped).unwrap();
        let (c, d) = clamped_skew_kurt(&x, 2.0, 7.0);
        assert!((a - c).abs() < 1e-12 && (b - d).abs() < 1e-12);
        // And the running sums after the same moves agree with both.
        let mut sums = Sums::of(&x);
        let below = x.partition_point(|&v| v < 2.0);
        sums.shift(below as f64, x[0], 2.0);
        // Top: the two 900s go to 40, then the three points at 40 go to 7.
        sums.shift(2.0, 900.0, 40.0);
        sums.shift(3.0, 40.0, 7.0);
        let (e, f) = sums.skew_kurt();
        assert!(
            (a - e).abs() < 1e-9 && (b - f).abs() < 1e-9,
            "{a} {e} {b} {f}"
        );
    }

    #[test]
    fn ranks_share_the_best_rank_on_ties_and_never_rank_nan() {
        let scores = [3.0, 5.0, f64::NAN, 5.0, 1.0];
        let (mut order, mut ranks) = (vec![0; 5], vec![9; 5]);
        rank_into(&scores, &mut order, &mut ranks);
        assert_eq!(ranks, [3, 1, 0, 1, 4]);
    }

    #[test]
    fn leaving_out_the_only_indicator_of_a_group_drops_the_group() {
        let (framework, catalogue, cities, observations) = default_inputs();
        let engine =
            Engine::build(&framework, &catalogue, &cities, &observations, None, &[]).unwrap();
        let homicide = engine
            .plan
            .indicators
            .iter()
            .position(|i| i.id == "homicide")
            .unwrap();
        let mut config = engine.nominal();
        config.left_out = Some(homicide);
        let mut s = engine.scratch();
        engine.evaluate(&config, &mut s).unwrap();
        // Four domains, equally weighted, every city still ranked.
        assert!(s.ranks.iter().all(|&r| r > 0));
        let safety = engine
            .plan
            .node_ids
            .iter()
            .position(|n| n == "safety")
            .unwrap();
        let domains: Vec<usize> = engine
            .plan
            .node_ids
            .iter()
            .enumerate()
            .filter(|(_, id)| {
                ["outcomes", "environment", "lifestyle", "services"].contains(&id.as_str())
            })
            .map(|(k, _)| k)
            .collect();
        for c in 0..engine.n_cities() {
            assert!(s.score(c, safety).is_nan());
            let mean = domains.iter().map(|&d| s.score(c, d)).sum::<f64>() / 4.0;
            assert!((s.root_scores()[c] - mean).abs() < 1e-9);
        }
    }
}
