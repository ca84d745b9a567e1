//! Uncertainty analysis: Monte Carlo over the choices behind the index (weights, normalisation,
//! aggregation, imputation, winsorisation limit, an indicator left out), rank statistics per
//! city, and the weight map over three domains' weights.
//!
//! Every replication `r` of a run seeded `s` draws its inputs from its own stream
//! (`Rng::stream(s, r)`), so results do not depend on how replications are spread over
//! threads. Rank statistics come from a `cities x ranks` histogram: exact quantiles in memory
//! that does not grow with the number of replications.

use std::fmt::{self, Write as _};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use healthy_city_model::{Aggregation, Normalisation};
use rayon::prelude::*;

use crate::engine::{Config, Engine, Scratch};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::stats::quantile_of;

/// The largest Dirichlet concentration: beyond it the drawn weights equal the nominal ones to
/// about 1e-6, and the gamma draws' shapes (`c` times a share) stay finite.
pub(crate) const DIRICHLET_MAX: f64 = 1e9;

/// Replications computed in parallel between two visits of the observer.
const CHUNK: usize = 4096;

/// The most bytes of treated and normalised values (with their logarithms) an analysis keeps
/// ([`Prepared`]): 64 MiB, 83 combinations of 1,000 cities x 50 indicators, 1,678 of 51 x 49.
const PREPARED_BYTES: usize = 64 << 20;

/// Sees every replication in order: run number, inputs, and by peer city the target's scores
/// (NaN: no score) and ranks (`None`: not ranked).
pub type Observer<'o> = dyn FnMut(usize, &Config, &[f64], &[Option<NonZeroU32>]) -> Result<()> + 'o;

/// One normalisation alternative of an analysis: a method with its parameters, and for the
/// methods that map to the framework's `scale` (min-max, goalposts, scaled) optionally another
/// scale. Written as on the command line: `zscore[10,2]` is
/// `{ method = "zscore", mean = 10, sd = 2 }` in a framework, `minmax[1,100]` is `minmax` on a
/// framework whose `scale = [1, 100]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalisationChoice {
    /// The method and its parameters, as a framework states them.
    pub method: Normalisation,
    /// The scale `[l, u]` instead of the framework's (min-max, goalposts and scaled only).
    pub scale: Option<[f64; 2]>,
}

impl From<Normalisation> for NormalisationChoice {
    fn from(method: Normalisation) -> Self {
        NormalisationChoice {
            method,
            scale: None,
        }
    }
}

impl NormalisationChoice {
    /// Whether the method maps to a scale `[l, u]` (min-max, goalposts, scaled).
    pub fn takes_scale(method: &Normalisation) -> bool {
        matches!(
            method,
            Normalisation::Minmax | Normalisation::Goalposts | Normalisation::Scaled
        )
    }
}

/// The command-line form: the bare name when the parameters are the defaults a bare name
/// stands for (`zscore` is mean 0, sd 1), else the parameters in brackets (`zscore[10,2]`,
/// `minmax[1,100]`, `dist2ref[london]`, `dist2targ[cap_max=true]`). Parsing it gives the
/// same choice back.
impl fmt::Display for NormalisationChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.method.name())?;
        let cap = |cap_max: bool| cap_max.then_some("cap_max=true");
        let params: Vec<String> = match &self.method {
            Normalisation::Zscore { mean, sd } if (*mean, *sd) != (0.0, 1.0) => {
                vec![mean.to_string(), sd.to_string()]
            }
            Normalisation::Dist2ref { city, cap_max } => std::iter::once(city.clone())
                .chain(cap(*cap_max).map(String::from))
                .collect(),
            Normalisation::Dist2targ { cap_max } => {
                cap(*cap_max).map(String::from).into_iter().collect()
            }
            _ => self
                .scale
                .map(|[l, u]| vec![l.to_string(), u.to_string()])
                .unwrap_or_default(),
        };
        if params.is_empty() {
            Ok(())
        } else {
            write!(f, "[{}]", params.join(","))
        }
    }
}

/// One explicit set of weights, an alternative of [`Factor::WeightSets`] (COINr samples
/// from a list of weight sets): a name for the outputs and the raw weight of every node slot,
/// as [`Config::weights`] holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightSet {
    /// Name in the outputs (a scenario's id).
    pub name: String,
    /// Raw weight of every node slot, relative within its parent.
    pub weights: Vec<f64>,
}

impl WeightSet {
    /// The nominal weights of `engine` (for example one built on a scenario of the
    /// framework), under `name`.
    pub fn of(name: &str, engine: &Engine) -> Self {
        WeightSet {
            name: name.to_string(),
            weights: engine.nominal().weights,
        }
    }
}

/// One uncertain input. Each maps a uniform draw `u` in `[0, 1)` to a change of the
/// replication's [`Config`].
#[derive(Debug, Clone, PartialEq)]
pub enum Factor {
    /// Multiplicative noise on weights, COINr `get_noisy_weights`: `w (1 + x (2v - 1))` with
    /// `v` uniform, per `(level, x)`; level 1 is the index's children, 2 their children, and so
    /// on; level 0 applies to every level without its own entry.
    WeightNoise(Vec<(usize, f64)>),
    /// Weights of each group's children drawn from a Dirichlet distribution around their
    /// nominal shares `p`: `Dirichlet(c p)` with concentration `c` (larger: closer).
    Dirichlet(f64),
    /// Every weight from one of these sets, each equally likely.
    WeightSets(Vec<WeightSet>),
    /// Normalisation of every indicator, one of these alternatives.
    Normalisation(Vec<NormalisationChoice>),
    /// Aggregation of every group, one of these alternatives.
    Aggregation(Vec<Aggregation>),
    /// Imputation, one of the engine's alternatives ([`Engine::imputations`]).
    Imputation,
    /// COINr winsorisation of every indicator with `winmax` between these bounds (inclusive;
    /// 0 means no treatment).
    Winmax(usize, usize),
    /// One indicator left out, or none: `n + 1` equally likely choices.
    LeaveOneOut,
}

impl Factor {
    /// Short name, as in output files.
    pub fn name(&self) -> &'static str {
        match self {
            Factor::WeightNoise(_) | Factor::Dirichlet(_) | Factor::WeightSets(_) => "weights",
            Factor::Normalisation(_) => "normalisation",
            Factor::Aggregation(_) => "aggregation",
            Factor::Imputation => "imputation",
            Factor::Winmax(..) => "winmax",
            Factor::LeaveOneOut => "leave_one_out",
        }
    }
}

/// Index of a discrete choice among `n` for a uniform draw.
fn pick(u: f64, n: usize) -> usize {
    ((u * n as f64) as usize).min(n.saturating_sub(1))
}

/// `v` with six significant digits, for messages.
fn significant(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return v.to_string();
    }
    let decimals = (5 - v.abs().log10().floor() as i32).clamp(0, 300) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Geometric and harmonic means need positive values: refuses the first normalisation
/// alternative (each indicator's own without `--normalisations`) whose lowest value over
/// the indicators, the cities a replication scores in the year, the imputation alternatives
/// and the `winmax` range is 0 or less, saying where it occurs and how to lift it.
fn check_positive(
    engine: &Engine,
    factors: &[Factor],
    normalisations: &[NormalisationChoice],
    aggregations: &[Aggregation],
    mean: Aggregation,
) -> Result<()> {
    let imputations = factors.iter().any(|f| matches!(f, Factor::Imputation));
    let winmax = factors.iter().find_map(|f| match f {
        Factor::Winmax(lo, hi) => Some((*lo, *hi)),
        _ => None,
    });
    let all_cities = aggregations.iter().any(|a| a.is_cross_city());
    let candidates: Vec<Option<&NormalisationChoice>> = if normalisations.is_empty() {
        vec![None]
    } else {
        normalisations.iter().map(Some).collect()
    };
    for choice in candidates {
        let Some(low) = engine.lowest_normalised(choice, imputations, winmax, all_cities)? else {
            continue;
        };
        if low.value > 0.0 {
            continue;
        }
        let name = if let Some(c) = choice {
            format!("`{c}` normalisation")
        } else {
            let i = engine.indicator_slot(&low.indicator).unwrap_or(0);
            let own = NormalisationChoice::from(engine.plan.indicators[i].normalisation.clone());
            let scale = if NormalisationChoice::takes_scale(&own.method) {
                let [l, u] = engine.plan.scale;
                format!(" on the scale [{l}, {u}]")
            } else {
                String::new()
            };
            format!("the framework's `{own}` normalisation{scale}")
        };
        let mut under = String::new();
        if imputations {
            let _ = write!(
                under,
                " with imputation `{}`",
                engine.imputations[low.imputation]
            );
        }
        if let Some(w) = low.winmax {
            let _ = write!(under, " with winmax {w}");
        }
        return Err(Error::Setting {
            key: String::from(if normalisations.is_empty() {
                "aggregations"
            } else {
                "normalisations"
            }),
            message: format!(
                "the {mean} mean needs positive values, but {name} gives {} (its lowest) on `{}` for `{}` in {}{under}; use normalisations whose values stay above 0: a z-score with a larger mean such as zscore[100,10], rank, or minmax on the scale [1, 100]",
                significant(low.value),
                low.indicator,
                low.city,
                engine.year,
            ),
        });
    }
    Ok(())
}

/// The uncertain inputs of an analysis on an engine, validated.
#[derive(Debug, Clone)]
pub struct Analysis<'a> {
    /// The engine replications run on.
    pub engine: &'a Engine,
    /// The uncertain inputs, in a fixed order.
    pub factors: Vec<Factor>,
    depth: Vec<usize>,
    /// The engine's nominal choices, which every replication's inputs start from.
    nominal: Config,
}

/// Rank statistics of one city over the replications.
#[derive(Debug, Clone, PartialEq)]
pub struct RankStats {
    /// City id.
    pub city: String,
    /// Nominal rank.
    pub nominal_rank: u32,
    /// Mean rank.
    pub mean_rank: f64,
    /// Median rank (R's quantile type 7).
    pub median_rank: f64,
    /// 5th percentile rank.
    pub q05_rank: f64,
    /// 95th percentile rank.
    pub q95_rank: f64,
    /// Share of replications ranking the city first.
    pub p_first: f64,
    /// Share of replications ranking it in the top 3.
    pub p_top3: f64,
}

/// One cell of the weight map.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightCell {
    /// Shares of the three domains' combined nominal weight.
    pub shares: [f64; 3],
    /// The city ranked first (the first in peer order if several tie).
    pub first: usize,
    /// The chosen city's rank.
    pub city_rank: u32,
}

/// The treated and normalised values of each combination of an analysis's discrete inputs
/// that shape them (imputation, `winmax`, normalisation, and whether the replication scores
/// every city of the year or the peers only), computed the first time a replication draws the
/// combination and reused by every later one, so that a replication is a weighted aggregation
/// and a ranking. The values are those [`Engine::evaluate`] would compute (one function,
/// [`Engine::normalised`]), so results are the same bit for bit, and the same whatever thread
/// fills a combination first.
///
/// Memory is bounded by [`PREPARED_BYTES`], whatever the panel: a combination holds one year's
/// `cities x nodes` values, in the layout scores are aggregated in (the years of the panel
/// only enter its statistics, which are folded into the values), and combinations beyond the
/// bound (in key order: normalisation, `winmax`, imputation, cities) are computed per
/// replication, as before. With `cities x nodes` above the bound, nothing is kept.
pub(crate) struct Prepared<'e> {
    engine: &'e Engine,
    /// `winmax` values keyed: 0 for the framework's treatment, `w + 1` for `w`.
    winmaxes: usize,
    /// Slots, filled on first use with the values and their natural logarithms (NaN where
    /// a geometric mean cannot take the value); `None` where the normalisation failed (the
    /// replication then computes the values itself, and returns the error).
    slots: Vec<OnceLock<Option<Combination>>>,
}

/// The prepared values of one combination, `[row][node]` with NaN at the groups (see
/// [`Engine::normalised`]).
struct Combination {
    values: Vec<f64>,
    /// Their natural logarithms, for geometric means; NaN where the value is not positive.
    logs: Vec<f64>,
}

impl<'e> Prepared<'e> {
    /// Room for the combinations of `analysis`, within [`PREPARED_BYTES`].
    pub(crate) fn new(analysis: &Analysis<'e>) -> Self {
        Self::within(analysis, PREPARED_BYTES)
    }

    /// [`Prepared::new`] within `budget` bytes.
    fn within(analysis: &Analysis<'e>, budget: usize) -> Self {
        let engine = analysis.engine;
        let winmaxes = analysis
            .factors
            .iter()
            .filter_map(|f| match f {
                Factor::Winmax(_, hi) => Some(hi.saturating_add(2)),
                _ => None,
            })
            .max()
            .unwrap_or(1);
        let normalisations = 1 + analysis
            .factors
            .iter()
            .map(|f| match f {
                Factor::Normalisation(list) => list.len(),
                _ => 0,
            })
            .sum::<usize>();
        let combinations = [winmaxes, engine.n_blocks(), 2]
            .iter()
            .try_fold(normalisations, |a, &b| a.checked_mul(b))
            .unwrap_or(usize::MAX);
        // Values and logarithms.
        let bytes =
            2 * engine.n_panel_cities() * engine.plan.n_nodes() * std::mem::size_of::<f64>();
        let room = budget.checked_div(bytes).unwrap_or(0);
        Prepared {
            engine,
            winmaxes,
            slots: (0..combinations.min(room))
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    /// The key of `config`'s combination (`normalisation` as [`Analysis::config_into`]
    /// returns it): its position in normalisation, `winmax`, imputation, cities order.
    /// `None` past `usize::MAX`.
    fn key(&self, config: &Config, normalisation: usize) -> Option<usize> {
        let engine = self.engine;
        let winmax = config.winmax.map_or(0, |w| w.saturating_add(1));
        let imputation = config.imputation.min(engine.n_blocks() - 1);
        let all = usize::from(engine.cities_scored(config).len() == engine.n_panel_cities());
        normalisation
            .checked_mul(self.winmaxes)?
            .checked_add(winmax)?
            .checked_mul(engine.n_blocks())?
            .checked_add(imputation)?
            .checked_mul(2)?
            .checked_add(all)
    }

    /// [`Engine::evaluate`] of `config`, with its combination's values prepared once.
    pub(crate) fn evaluate(
        &self,
        config: &Config,
        normalisation: usize,
        s: &mut Scratch,
    ) -> Result<()> {
        let slot = self
            .key(config, normalisation)
            .and_then(|key| self.slots.get(key));
        let values = slot.and_then(|slot| {
            slot.get_or_init(|| {
                let values = self.engine.normalised(config, s).ok()?;
                let logs = values
                    .iter()
                    .map(|&v| if v > 0.0 { v.ln() } else { f64::NAN })
                    .collect();
                Some(Combination { values, logs })
            })
            .as_ref()
            .map(|c| (c.values.as_slice(), c.logs.as_slice()))
        });
        self.engine.evaluate_normalised(config, values, s)
    }
}

impl<'a> Analysis<'a> {
    /// Checks the inputs against the engine: noise below 1, positive concentration, non-empty
    /// alternatives, positive values for geometric and harmonic means, `winmax` bounds in order.
    pub fn new(engine: &'a Engine, factors: Vec<Factor>) -> Result<Self> {
        let setting = |key: &str, message: String| Error::Setting {
            key: key.to_string(),
            message,
        };
        let mut normalisations = vec![];
        let mut aggregations = vec![];
        let mut depth = vec![0; engine.plan.n_nodes()];
        for group in engine.plan.groups.iter().rev() {
            for &(child, _) in &group.children {
                depth[child] = depth[group.node] + 1;
            }
        }
        let deepest = depth.iter().copied().max().unwrap_or(0);
        for factor in &factors {
            match factor {
                Factor::WeightNoise(levels) if levels.is_empty() => {
                    return Err(setting(
                        "weight noise",
                        String::from(
                            "give at least one `level=share`, e.g. 0=0.25 for every level",
                        ),
                    ));
                }
                Factor::WeightNoise(levels) => {
                    for &(level, x) in levels {
                        if !(0.0..1.0).contains(&x) {
                            return Err(setting("weight noise", format!("noise {x} at level {level} can make weights zero or negative (a weight w varies within w (1 ± {x})); give a share in [0, 1), e.g. 0.25")));
                        }
                        if level > deepest {
                            return Err(setting("weight noise", format!("level {level} is not in the framework's tree, which has levels 1 (the index's children) to {deepest} (its indicators' deepest level); 0 sets every level")));
                        }
                    }
                }
                Factor::Dirichlet(c) if !(*c > 0.0 && *c <= DIRICHLET_MAX) => {
                    return Err(setting(
                        "dirichlet",
                        format!("concentration {c} must be a positive number up to {DIRICHLET_MAX:e} (larger ones keep the nominal weights), e.g. 50"),
                    ));
                }
                Factor::WeightSets(sets) if sets.is_empty() => {
                    return Err(setting(
                        "weight sets",
                        String::from(
                            "give at least one weight set, e.g. outcome-led,environment-led",
                        ),
                    ));
                }
                Factor::WeightSets(sets) => {
                    let nodes = engine.plan.n_nodes();
                    if let Some(set) = sets.iter().find(|set| {
                        set.weights.len() != nodes
                            || set.weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
                    }) {
                        return Err(setting("weight sets", format!("`{}` does not give a finite weight of 0 or more to each of the framework's {nodes} nodes", set.name)));
                    }
                }
                Factor::Normalisation(list) if list.is_empty() => {
                    return Err(setting(
                        "normalisations",
                        String::from("give at least one method"),
                    ));
                }
                Factor::Normalisation(list) => {
                    for choice in list {
                        match choice.scale {
                            Some(_) if !NormalisationChoice::takes_scale(&choice.method) => {
                                return Err(setting("normalisations", format!("`{choice}`: {} normalisation has no scale; only minmax, goalposts and scaled map to a scale [l, u]", choice.method.name())));
                            }
                            Some([l, u]) if !(l.is_finite() && u.is_finite() && l < u) => {
                                return Err(setting("normalisations", format!("`{choice}`: the scale [{l}, {u}] needs two finite numbers, the smaller first, e.g. minmax[1,100]")));
                            }
                            _ => {}
                        }
                    }
                    normalisations.clone_from(list);
                }
                Factor::Aggregation(list) if list.is_empty() => {
                    return Err(setting(
                        "aggregations",
                        String::from("give at least one method"),
                    ));
                }
                Factor::Aggregation(list) => {
                    for &a in list {
                        crate::plan::check_aggregation(a)
                            .map_err(|message| setting("aggregations", message))?;
                    }
                    aggregations.clone_from(list);
                }
                Factor::Winmax(lo, hi) if lo > hi => {
                    return Err(setting(
                        "winmax",
                        format!("the range {lo}..{hi} is empty: give the smaller bound first"),
                    ));
                }
                Factor::Imputation if engine.imputations.len() < 2 => {
                    return Err(setting(
                        "imputations",
                        String::from(
                            "give at least one imputation method other than the framework's",
                        ),
                    ));
                }
                _ => {}
            }
        }
        if factors.contains(&Factor::LeaveOneOut) && engine.target() != engine.root() {
            let under_target = (0..engine.n_indicators())
                .filter(|&i| {
                    let mut node = engine.plan.indicator_nodes[i];
                    loop {
                        if node == engine.target() {
                            break true;
                        }
                        match engine.parent(node) {
                            Some(p) => node = p,
                            None => break false,
                        }
                    }
                })
                .count();
            if under_target < 2 {
                return Err(setting("leave one out", format!("the target `{}` rests on {under_target} indicator: leaving it out would leave no score to rank; choose a target with two or more indicators, or drop --leave-one-out", engine.node_ids()[engine.target()])));
            }
        }
        if aggregations.is_empty() {
            aggregations = engine.plan.groups.iter().map(|g| g.aggregation).collect();
        }
        if let Some(a) = aggregations
            .iter()
            .find(|a| matches!(a, Aggregation::Geometric | Aggregation::Harmonic))
        {
            check_positive(engine, &factors, &normalisations, &aggregations, *a)?;
        }
        Ok(Analysis {
            engine,
            factors,
            depth,
            nominal: engine.nominal(),
        })
    }

    /// The replication for one uniform draw per factor.
    pub fn config(&self, us: &[f64]) -> Config {
        let mut config = self.nominal.clone();
        self.config_into(us.iter().copied(), &mut config);
        config
    }

    /// [`Analysis::config`] into `config`, whatever it held, reusing its buffers; one draw of
    /// `us` per factor, in order. Returns the normalisation alternative drawn, as
    /// [`Prepared`] keys it: 0 for each indicator's own, else 1 + its position in the
    /// alternatives of every [`Factor::Normalisation`] in turn (the last factor drawn wins,
    /// as for the config).
    pub(crate) fn config_into(&self, us: impl Iterator<Item = f64>, config: &mut Config) -> usize {
        let engine = self.engine;
        config.reset_to(&self.nominal);
        let mut normalisation = 0;
        let mut offset = 1;
        for (factor, u) in self.factors.iter().zip(us) {
            match factor {
                Factor::WeightNoise(levels) => {
                    let mut rng = Rng::new(u.to_bits());
                    let all = levels.iter().find(|l| l.0 == 0).map(|l| l.1);
                    for (node, w) in config.weights.iter_mut().enumerate() {
                        if node == engine.plan.root {
                            continue;
                        }
                        let v = rng.uniform();
                        let x = levels
                            .iter()
                            .find(|l| l.0 == self.depth[node])
                            .map(|l| l.1)
                            .or(all)
                            .unwrap_or(0.0);
                        *w *= 1.0 + x * (2.0 * v - 1.0);
                    }
                }
                Factor::Dirichlet(c) => {
                    let mut rng = Rng::new(u.to_bits());
                    for group in &engine.plan.groups {
                        let total: f64 = group.children.iter().map(|&(_, w)| w).sum();
                        let mut drawn = 0.0;
                        for &(child, w) in &group.children {
                            let g = if w > 0.0 {
                                rng.gamma(c * w / total)
                            } else {
                                0.0
                            };
                            config.weights[child] = g;
                            drawn += g;
                        }
                        if drawn > 0.0 {
                            for &(child, _) in &group.children {
                                config.weights[child] /= drawn;
                            }
                        }
                    }
                }
                Factor::WeightSets(sets) => {
                    let k = pick(u, sets.len());
                    config.weights.copy_from_slice(&sets[k].weights);
                    config.weight_set = Some(k);
                }
                Factor::Normalisation(list) => {
                    let k = pick(u, list.len());
                    config.normalisation = Some(list[k].clone());
                    normalisation = offset + k;
                    offset += list.len();
                }
                Factor::Aggregation(list) => config.aggregation = Some(list[pick(u, list.len())]),
                Factor::Imputation => config.imputation = pick(u, engine.imputations.len()),
                Factor::Winmax(lo, hi) => config.winmax = Some(lo + pick(u, hi - lo + 1)),
                Factor::LeaveOneOut => {
                    let k = pick(u, engine.n_indicators() + 1);
                    config.left_out = (k < engine.n_indicators()).then_some(k);
                }
            }
        }
        normalisation
    }

    /// The inputs of Monte Carlo replication `run` of a run seeded `seed`.
    pub fn sample(&self, seed: u64, run: usize) -> Config {
        let mut config = self.nominal.clone();
        self.sample_into(seed, run, &mut config);
        config
    }

    /// [`Analysis::sample`] into `config` (see [`Analysis::config_into`]): the same draws,
    /// taken one per factor from the replication's stream as they are used.
    fn sample_into(&self, seed: u64, run: usize, config: &mut Config) -> usize {
        let mut rng = Rng::stream(seed, run as u64);
        self.config_into(std::iter::repeat_with(|| rng.uniform()), config)
    }

    /// Runs `runs` Monte Carlo replications and returns rank statistics per peer city.
    /// `observe` sees every replication in order (run number, inputs, target scores and ranks;
    /// `None`: not ranked); `progress` gets the number of replications done; `cancel` stops the run with
    /// [`Error::Interrupted`].
    pub fn monte_carlo(
        &self,
        runs: usize,
        seed: u64,
        observe: &mut Observer<'_>,
        progress: &dyn Fn(usize),
        cancel: &AtomicBool,
    ) -> Result<Vec<RankStats>> {
        let engine = self.engine;
        if runs == 0 {
            return Err(Error::Setting {
                key: String::from("runs"),
                message: String::from(
                    "give at least 1 replication (rank statistics of 0 runs are undefined), e.g. 1000",
                ),
            });
        }
        let n = engine.n_cities();
        let mut histogram = vec![0u64; n * n];
        // The chunk's target scores and ranks, `[replication][city]`: filled in place, so that
        // a replication allocates nothing but its inputs.
        let width = n.max(1);
        let mut scores = vec![f64::NAN; CHUNK.min(runs) * width];
        let mut ranks = vec![None; CHUNK.min(runs) * width];
        // The chunk's inputs, drawn into the same configs chunk after chunk.
        let mut configs = vec![self.nominal.clone(); CHUNK.min(runs)];
        let prepared = Prepared::new(self);
        let mut start = 0;
        while start < runs {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Interrupted { done: start });
            }
            let end = (start + CHUNK).min(runs);
            let cells = (end - start) * width;
            configs[..end - start]
                .par_iter_mut()
                .zip(scores[..cells].par_chunks_mut(width))
                .zip(ranks[..cells].par_chunks_mut(width))
                .enumerate()
                .try_for_each_init(
                    || engine.scratch(),
                    |s, (k, ((config, scores), ranks))| -> Result<()> {
                        let normalisation = self.sample_into(seed, start + k, config);
                        prepared.evaluate(config, normalisation, s)?;
                        scores[..n].copy_from_slice(s.root_scores());
                        ranks[..n].copy_from_slice(&s.ranks);
                        Ok(())
                    },
                )?;
            for (k, config) in configs[..end - start].iter().enumerate() {
                let at = k * width..k * width + n;
                observe(start + k, config, &scores[at.clone()], &ranks[at.clone()])?;
                for (c, &r) in ranks[at].iter().enumerate() {
                    // Not ranked counts as last.
                    let r = r.map_or(n, |r| r.get() as usize);
                    histogram[c * n + r - 1] += 1;
                }
            }
            start = end;
            progress(start);
        }
        Ok((0..n)
            .map(|c| {
                stats(
                    &engine.cities[c],
                    engine.nominal_ranks[c].get(),
                    &histogram[c * n..(c + 1) * n],
                )
            })
            .collect())
    }

    /// The node slots of the weight map's three nodes, by id: each a group or indicator of
    /// the framework (not the index itself), three different ones, sharing a parent so that
    /// their weights trade off. Errors are settings named `domains`.
    pub fn weight_map_nodes(&self, ids: &[String; 3]) -> Result<[usize; 3]> {
        let plan = &self.engine.plan;
        let setting = |message: String| Error::Setting {
            key: String::from("domains"),
            message,
        };
        let mut nodes = [0; 3];
        for (slot, id) in nodes.iter_mut().zip(ids) {
            *slot = plan
                .node_ids
                .iter()
                .position(|n| n == id.trim())
                .filter(|&k| k != plan.root)
                .ok_or_else(|| {
                    setting(format!(
                        "`{id}` is not a group or indicator of the framework (the index itself cannot vary)"
                    ))
                })?;
        }
        if nodes[0] == nodes[1] || nodes[1] == nodes[2] || nodes[0] == nodes[2] {
            return Err(setting(String::from("give three different nodes")));
        }
        let parent = |slot: usize| {
            plan.groups
                .iter()
                .position(|g| g.children.iter().any(|&(ch, _)| ch == slot))
        };
        if parent(nodes[0]) != parent(nodes[1]) || parent(nodes[1]) != parent(nodes[2]) {
            return Err(setting(String::from(
                "the three nodes must share a parent, so that their weights trade off",
            )));
        }
        Ok(nodes)
    }

    /// The weight map: for every mix of the three nodes' weights on a grid of `steps` steps
    /// over the simplex (their combined nominal weight shared out, the other weights fixed),
    /// the city ranked first and the rank of `city`.
    pub fn weight_map(
        &self,
        nodes: [usize; 3],
        steps: usize,
        city: usize,
    ) -> Result<Vec<WeightCell>> {
        let engine = self.engine;
        if steps == 0 {
            return Err(Error::Setting {
                key: String::from("steps"),
                message: String::from(
                    "the weight map needs at least 1 step over each weight, e.g. 20",
                ),
            });
        }
        if city >= engine.n_cities() || nodes.iter().any(|&k| k >= engine.plan.n_nodes()) {
            return Err(Error::Setting {
                key: String::from("city"),
                message: format!(
                    "the weight map's city or nodes are not of this engine (it has {} cities)",
                    engine.n_cities()
                ),
            });
        }
        let nominal = engine.nominal();
        let total: f64 = nodes.iter().map(|&k| nominal.weights[k]).sum();
        let cells: Vec<[usize; 3]> = (0..=steps)
            .flat_map(|i| (0..=steps - i).map(move |j| [i, j, steps - i - j]))
            .collect();
        cells
            .into_par_iter()
            .map_init(
                || (engine.scratch(), nominal.clone()),
                |(s, config), cell| {
                    let shares = cell.map(|k| k as f64 / steps as f64);
                    for (&node, share) in nodes.iter().zip(shares) {
                        config.weights[node] = share * total;
                    }
                    evaluate_first(engine, config, s).map(|first| WeightCell {
                        shares,
                        first,
                        // 0: not ranked.
                        city_rank: s.ranks[city].map_or(0, NonZeroU32::get),
                    })
                },
            )
            .collect()
    }
}

/// Evaluates and returns the first city (first in peer order among ties).
pub(crate) fn evaluate_first(engine: &Engine, config: &Config, s: &mut Scratch) -> Result<usize> {
    engine.evaluate(config, s)?;
    Ok(s.ranks
        .iter()
        .position(|r| r.is_some_and(|r| r.get() == 1))
        .unwrap_or(0))
}

/// Quantile of type 7 (R's default) of the ranks counted in `histogram` (`histogram[r - 1]`
/// replications gave rank `r`).
fn quantile(histogram: &[u64], total: u64, p: f64) -> f64 {
    // The k-th smallest rank (0-based).
    let at = |k: usize| -> f64 {
        let mut seen = 0;
        for (r, &count) in histogram.iter().enumerate() {
            seen += count;
            if seen > k as u64 {
                return (r + 1) as f64;
            }
        }
        histogram.len() as f64
    };
    quantile_of(total as usize, p, at)
}

fn stats(city: &str, nominal: u32, histogram: &[u64]) -> RankStats {
    let total: u64 = histogram.iter().sum();
    let t = total.max(1) as f64;
    let mean = histogram
        .iter()
        .enumerate()
        .map(|(r, &k)| (r + 1) as f64 * k as f64)
        .sum::<f64>()
        / t;
    RankStats {
        city: city.to_string(),
        nominal_rank: nominal,
        mean_rank: mean,
        median_rank: quantile(histogram, total.max(1), 0.5),
        q05_rank: quantile(histogram, total.max(1), 0.05),
        q95_rank: quantile(histogram, total.max(1), 0.95),
        p_first: histogram.first().copied().unwrap_or(0) as f64 / t,
        p_top3: histogram.iter().take(3).sum::<u64>() as f64 / t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::default_inputs;

    fn engine() -> Engine {
        let (framework, catalogue, cities, observations) = default_inputs();
        Engine::build(&framework, &catalogue, &cities, &observations, None, &[]).unwrap()
    }

    /// The default framework's file with `from` replaced by `to` (once).
    fn default_framework_with(from: &str, to: &str) -> healthy_city_model::Framework {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../indicators/frameworks/healthy-city.toml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(text.matches(from).count(), 1, "{from}");
        healthy_city_model::Framework::parse(&text.replace(from, to), "healthy-city.toml").unwrap()
    }

    /// A replication under a parameterised normalisation alternative scores as `score` does
    /// a framework that states that normalisation (index scores to 1e-12, ranks exact):
    /// `zscore[10,2]` is `{ method = "zscore", mean = 10, sd = 2 }`, `minmax[1,100]` is
    /// `minmax` with `scale = [1, 100]`.
    #[test]
    fn a_parameterised_normalisation_replicates_the_framework_that_states_it() {
        let (framework, catalogue, cities, observations) = default_inputs();
        let engine =
            Engine::build(&framework, &catalogue, &cities, &observations, None, &[]).unwrap();
        let cases = [
            (
                NormalisationChoice::from(Normalisation::Zscore {
                    mean: 10.0,
                    sd: 2.0,
                }),
                default_framework_with(
                    "normalisation = \"minmax\"",
                    "normalisation = { method = \"zscore\", mean = 10, sd = 2 }",
                ),
            ),
            (
                NormalisationChoice {
                    method: Normalisation::Minmax,
                    scale: Some([1.0, 100.0]),
                },
                default_framework_with("scale = [0, 100]", "scale = [1, 100]"),
            ),
        ];
        for (choice, stated) in cases {
            let reference =
                Engine::build(&stated, &catalogue, &cities, &observations, None, &[]).unwrap();
            assert_eq!(reference.cities, engine.cities);
            let analysis =
                Analysis::new(&engine, vec![Factor::Normalisation(vec![choice.clone()])]).unwrap();
            let config = analysis.config(&[0.5]);
            assert_eq!(config.normalisation.as_ref(), Some(&choice));
            let mut s = engine.scratch();
            engine.evaluate(&config, &mut s).unwrap();
            let mut differ = 0;
            for c in 0..engine.n_cities() {
                let (a, b) = (s.root_scores()[c], reference.nominal_scores[c]);
                assert!(
                    (a - b).abs() < 1e-12,
                    "{choice}: {}: {a} vs {b}",
                    engine.cities[c]
                );
                assert_eq!(s.ranks[c], Some(reference.nominal_ranks[c]), "{choice}");
                differ += usize::from((a - engine.nominal_scores[c]).abs() > 1e-6);
            }
            // The alternative changed the scores: the check compared something.
            assert!(
                differ > engine.n_cities() / 2,
                "{choice}: {differ} scores changed"
            );
        }
    }

    #[test]
    fn a_normalisation_choice_is_written_in_command_line_syntax() {
        let zscore = |mean, sd| NormalisationChoice::from(Normalisation::Zscore { mean, sd });
        assert_eq!(zscore(10.0, 2.0).to_string(), "zscore[10,2]");
        assert_eq!(zscore(-0.5, 0.25).to_string(), "zscore[-0.5,0.25]");
        // The defaults of the bare name: as before, the bare name.
        assert_eq!(zscore(0.0, 1.0).to_string(), "zscore");
        let minmax = NormalisationChoice {
            method: Normalisation::Minmax,
            scale: Some([1.0, 100.0]),
        };
        assert_eq!(minmax.to_string(), "minmax[1,100]");
        assert_eq!(
            NormalisationChoice::from(Normalisation::Minmax).to_string(),
            "minmax"
        );
        let d2r = Normalisation::Dist2ref {
            city: String::from("london"),
            cap_max: true,
        };
        assert_eq!(
            NormalisationChoice::from(d2r).to_string(),
            "dist2ref[london,cap_max=true]"
        );
        let d2t = Normalisation::Dist2targ { cap_max: true };
        assert_eq!(
            NormalisationChoice::from(d2t).to_string(),
            "dist2targ[cap_max=true]"
        );
        // A scale on a method that has none is refused, naming the choice.
        let engine = engine();
        let rank = NormalisationChoice {
            method: Normalisation::Rank,
            scale: Some([1.0, 2.0]),
        };
        let e = Analysis::new(&engine, vec![Factor::Normalisation(vec![rank])]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("normalisations: `rank[1,2]`: rank normalisation has no scale"),
            "{e}"
        );
    }

    /// Geometric means of z-scores are judged on the values they give. On the small index
    /// (bounds = "year", weights 3:1), x1 = (5, 10, 0, 2) for a, b, c, d has mean 4.25 and
    /// sample sd sqrt(56.75 / 3) = 4.3493295, x2 = (4, 0, 10, 2) mean 4 and sd
    /// sqrt(56 / 3) = 4.3204938. The lowest z-score is c's x1: -4.25 / 4.3493295 =
    /// -0.9771621. `zscore[1,1]` keeps it at 0.0228379 > 0 (accepted); `zscore[0.9,1]` takes
    /// it to -0.0771621 (refused, naming x1, c and 2019).
    #[test]
    fn a_z_score_with_a_geometric_mean_is_judged_on_its_lowest_value() {
        let (framework, catalogue, cities, observations) =
            crate::testkit::small("arithmetic", "[0, 100]");
        let engine =
            Engine::build(&framework, &catalogue, &cities, &observations, None, &[]).unwrap();
        let zscore =
            |mean: f64| Factor::Normalisation(vec![Normalisation::Zscore { mean, sd: 1.0 }.into()]);
        let geometric = Factor::Aggregation(vec![Aggregation::Geometric]);
        let analysis = Analysis::new(&engine, vec![zscore(1.0), geometric.clone()]).unwrap();
        let lowest = engine
            .lowest_normalised(
                Some(&Normalisation::Zscore { mean: 1.0, sd: 1.0 }.into()),
                false,
                None,
                false,
            )
            .unwrap()
            .unwrap();
        assert!((lowest.value - 0.022_837_877).abs() < 1e-8, "{lowest:?}");
        assert_eq!(
            (lowest.indicator.as_str(), lowest.city.as_str()),
            ("x1", "c")
        );
        // The replication's geometric mean, by hand: a = (1 + 0.75 / 4.3493295)^0.75
        // (1 + 0)^0.25 = 1.1267254; b = (1 + 5.75 / 4.3493295)^0.75 (1 - 4 / 4.3204938)^0.25
        // = 0.9816897.
        let mut s = engine.scratch();
        engine
            .evaluate(&analysis.config(&[0.0, 0.0]), &mut s)
            .unwrap();
        let a = engine.city("a").unwrap();
        let b = engine.city("b").unwrap();
        assert!((s.root_scores()[a] - 1.126_725_372).abs() < 1e-8);
        assert!((s.root_scores()[b] - 0.981_689_705).abs() < 1e-8);
        let e = Analysis::new(&engine, vec![zscore(0.9), geometric.clone()])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "normalisations: the geometric mean needs positive values, but `zscore[0.9,1]` normalisation gives -0.0771621 (its lowest) on `x1` for `c` in 2019; use normalisations whose values stay above 0: a z-score with a larger mean such as zscore[100,10], rank, or minmax on the scale [1, 100]"
        );
        // The first alternative that fails is named; rank ones (1 to 4) pass.
        let two = Factor::Normalisation(vec![
            Normalisation::Rank.into(),
            Normalisation::Zscore { mean: 0.0, sd: 1.0 }.into(),
        ]);
        let e = Analysis::new(&engine, vec![two, geometric.clone()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("but `zscore` normalisation gives -0.977162 (its lowest)"),
            "{e}"
        );
        // Without --normalisations: the framework's own min-max on [0, 100] gives 0.
        let e = Analysis::new(&engine, vec![geometric])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("aggregations: the geometric mean needs positive values, but the framework's `minmax` normalisation on the scale [0, 100] gives 0 (its lowest) on `x1` for `c` in 2019"),
            "{e}"
        );
    }

    /// A domain as the target: its nominal ranks are those `score` gives the domain among
    /// the cities the index ranks, and the nominal replication ranks it the same way.
    #[test]
    fn a_domain_target_ranks_the_domain_s_scores() {
        let (framework, catalogue, cities, observations) = default_inputs();
        let results = crate::score(&framework, &catalogue, &cities, &observations).unwrap();
        let engine = engine().with_target("environment").unwrap();
        let y = results
            .years
            .iter()
            .position(|&y| y == engine.year)
            .unwrap();
        let node = results
            .nodes
            .iter()
            .position(|n| n.id == "environment")
            .unwrap();
        assert_eq!(engine.node_ids()[engine.target()], "environment");
        let mut s = engine.scratch();
        engine.evaluate(&engine.nominal(), &mut s).unwrap();
        for (c, id) in engine.cities.iter().enumerate() {
            let slot = results.cities.iter().position(|x| x == id).unwrap();
            assert_eq!(
                Some(engine.nominal_ranks[c].get()),
                results.rank(y, slot, node),
                "{id}"
            );
            assert_eq!(engine.nominal_scores[c], results.score(y, slot, node));
            assert!((s.root_scores()[c] - engine.nominal_scores[c]).abs() < 1e-9);
            assert_eq!(s.ranks[c], Some(engine.nominal_ranks[c]), "{id}");
        }
        // Not the index's ranking: the check compared something.
        assert_ne!(engine.nominal_ranks, self::engine().nominal_ranks);
        let e = self::engine().with_target("nope").unwrap_err().to_string();
        assert!(e.starts_with("target: `nope` is not a node of the framework; give the index or a group (index, outcomes, "), "{e}");
        // Safety rests on one indicator: leaving it out would rank nothing.
        let safety = self::engine().with_target("safety").unwrap();
        let e = Analysis::new(&safety, vec![Factor::LeaveOneOut])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("leave one out: the target `safety` rests on 1 indicator"),
            "{e}"
        );
    }

    /// With two weight sets and nothing else uncertain, every replication ranks the cities as
    /// `score` ranks one of the two scenarios (ranks exact), the one its runs log names.
    #[test]
    fn a_replication_under_weight_sets_ranks_as_one_of_the_scenarios() {
        let (framework, catalogue, cities, observations) = default_inputs();
        let base = engine();
        let scenario = |id: &str| {
            let path = format!(
                "{}/../../indicators/scenarios/{id}.toml",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).unwrap();
            let scenario = healthy_city_model::Scenario::parse(&text, &path).unwrap();
            let f = crate::apply_scenario(&scenario, &framework, &cities).unwrap();
            Engine::build(&f, &catalogue, &cities, &observations, Some(base.year), &[]).unwrap()
        };
        let (a, b) = (scenario("outcome-led"), scenario("environment-led"));
        assert_eq!((&a.cities, &b.cities), (&base.cities, &base.cities));
        assert_ne!(a.nominal_ranks, b.nominal_ranks);
        let sets = vec![
            WeightSet::of("outcome-led", &a),
            WeightSet::of("environment-led", &b),
        ];
        let analysis = Analysis::new(&base, vec![Factor::WeightSets(sets)]).unwrap();
        let mut seen = [0, 0];
        analysis
            .monte_carlo(
                200,
                3,
                &mut |_, config, _, ranks| {
                    let k = config.weight_set.unwrap();
                    let expected = [&a, &b][k].nominal_ranks.iter().map(|&r| Some(r));
                    assert!(ranks.iter().copied().eq(expected), "set {k}");
                    seen[k] += 1;
                    Ok(())
                },
                &|_| {},
                &AtomicBool::new(false),
            )
            .unwrap();
        // Both drawn (a miss has probability 2^-199), about evenly.
        assert!(seen[0] > 60 && seen[1] > 60, "{seen:?}");
        let e = Analysis::new(&base, vec![Factor::WeightSets(vec![])]).unwrap_err();
        assert!(
            e.to_string().starts_with("weight sets: give at least one"),
            "{e}"
        );
    }

    /// The scores (as bits) of every node and the ranks an evaluation left in `s`.
    fn evaluation(engine: &Engine, s: &Scratch) -> (Vec<u64>, Vec<Option<NonZeroU32>>) {
        let bits = (0..engine.n_cities())
            .flat_map(|c| (0..engine.plan.n_nodes()).map(move |node| (c, node)))
            .map(|(c, node)| s.score(c, node).to_bits())
            .collect();
        (bits, s.ranks.clone())
    }

    /// Regression guard for issue 16's cache: a replication on values prepared once per
    /// combination of the discrete inputs gives the scores of every node and the ranks of
    /// `Engine::evaluate` computing them itself, bit for bit, for several seeds and every
    /// combination of two imputations, `winmax` 0..3 and the framework's treatment, three
    /// normalisations and the framework's, and means scoring the peers or every city
    /// (Copeland); also with room for only a few combinations, and for none.
    #[test]
    fn prepared_normalised_values_give_the_replications_of_evaluate_bit_for_bit() {
        let (framework, catalogue, cities, observations) = default_inputs();
        let engine = Engine::build(
            &framework,
            &catalogue,
            &cities,
            &observations,
            None,
            &[healthy_city_model::Impute::Median],
        )
        .unwrap();
        assert_eq!(engine.n_blocks(), 2);
        let minmax = NormalisationChoice {
            method: Normalisation::Minmax,
            scale: Some([1.0, 100.0]),
        };
        let zscore = NormalisationChoice::from(Normalisation::Zscore {
            mean: 100.0,
            sd: 10.0,
        });
        let factors = vec![
            Factor::Winmax(0, 3),
            Factor::Normalisation(vec![minmax, zscore, Normalisation::Rank.into()]),
            Factor::WeightNoise(vec![(0, 0.25)]),
            Factor::Aggregation(vec![
                Aggregation::Arithmetic,
                Aggregation::Geometric,
                Aggregation::Copeland,
            ]),
            Factor::Imputation,
        ];
        let analysis = Analysis::new(&engine, factors.clone()).unwrap();
        // Without a winmax factor (the framework's treatment) and with the normalisation
        // drawn by the second of two factors.
        let mut others = factors[1..].to_vec();
        others.push(Factor::Normalisation(vec![Normalisation::Borda.into()]));
        let framework_treatment = Analysis::new(&engine, others).unwrap();
        // Values and logarithms.
        let entry = 2 * engine.n_panel_cities() * engine.n_indicators() * 8;
        let (mut plain, mut cached) = (engine.scratch(), engine.scratch());
        // Combinations drawn at least: many of the first's 80 (2 imputations x 5 winmax keys
        // x 4 normalisations x 2 city sets); the second's 4 (Borda, drawn last, always wins).
        for (analysis, least) in [(&analysis, 20), (&framework_treatment, 4)] {
            for budget in [PREPARED_BYTES, 3 * entry, entry - 1] {
                let prepared = Prepared::within(analysis, budget);
                let mut keys = std::collections::BTreeSet::new();
                for seed in [1, 7, 20_261_203] {
                    let mut config = engine.nominal();
                    for run in 0..400 {
                        let normalisation = analysis.sample_into(seed, run, &mut config);
                        keys.insert(prepared.key(&config, normalisation).unwrap());
                        assert_eq!(config, analysis.sample(seed, run));
                        engine.evaluate(&config, &mut plain).unwrap();
                        prepared
                            .evaluate(&config, normalisation, &mut cached)
                            .unwrap();
                        assert_eq!(
                            evaluation(&engine, &plain),
                            evaluation(&engine, &cached),
                            "seed {seed}, run {run}: {config:?}"
                        );
                    }
                }
                // The prepared values were used: every combination drawn that there was
                // room for was filled, and no other.
                let room = prepared.slots.len();
                assert_eq!(room, (budget / entry).min(room), "{budget}");
                let filled: Vec<usize> = (0..room)
                    .filter(|&k| prepared.slots[k].get().is_some())
                    .collect();
                let drawn: Vec<usize> = keys.iter().copied().filter(|&k| k < room).collect();
                assert_eq!(filled, drawn, "{budget}");
                if budget == PREPARED_BYTES {
                    assert!(keys.len() >= least, "{keys:?}");
                    assert_eq!(drawn.len(), keys.len());
                } else if budget < entry {
                    assert_eq!(room, 0);
                }
            }
        }
        // The whole run: `monte_carlo`'s replications are those of `evaluate`.
        let mut log = Vec::new();
        analysis
            .monte_carlo(
                1000,
                3,
                &mut |r, config, scores, ranks| {
                    log.push((r, config.clone(), scores.to_vec(), ranks.to_vec()));
                    Ok(())
                },
                &|_| {},
                &AtomicBool::new(false),
            )
            .unwrap();
        assert_eq!(log.len(), 1000);
        for (r, config, scores, ranks) in log {
            assert_eq!(config, analysis.sample(3, r));
            engine.evaluate(&config, &mut plain).unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&scores), bits(plain.root_scores()), "run {r}");
            assert_eq!(ranks, plain.ranks, "run {r}");
        }
    }

    #[test]
    fn quantiles_of_a_histogram_are_rs_type_7() {
        // Ranks 1, 2, 2, 3, 5: R quantile(c(1,2,2,3,5), c(.05, .5, .95)) = 1.2, 2, 4.6.
        let h = [1, 2, 1, 0, 1];
        assert!((quantile(&h, 5, 0.05) - 1.2).abs() < 1e-12);
        assert!((quantile(&h, 5, 0.5) - 2.0).abs() < 1e-12);
        assert!((quantile(&h, 5, 0.95) - 4.6).abs() < 1e-12);
        let s = stats("x", 2, &h);
        assert!((s.mean_rank - 2.6).abs() < 1e-12);
        assert!((s.p_first - 0.2).abs() < 1e-12 && (s.p_top3 - 0.8).abs() < 1e-12);
    }

    #[test]
    fn zero_noise_gives_every_city_its_nominal_rank_with_zero_width() {
        let engine = engine();
        let analysis = Analysis::new(&engine, vec![Factor::WeightNoise(vec![(0, 0.0)])]).unwrap();
        let mut seen = 0;
        let stats = analysis
            .monte_carlo(
                300,
                1,
                &mut |_, _, _, _| {
                    seen += 1;
                    Ok(())
                },
                &|_| {},
                &AtomicBool::new(false),
            )
            .unwrap();
        assert_eq!(seen, 300);
        for s in &stats {
            let r = f64::from(s.nominal_rank);
            assert_eq!(
                (s.mean_rank, s.median_rank, s.q05_rank, s.q95_rank),
                (r, r, r, r),
                "{}",
                s.city
            );
            assert_eq!(s.p_first, if s.nominal_rank == 1 { 1.0 } else { 0.0 });
        }
    }

    #[test]
    fn rejects_noise_that_makes_weights_negative_and_geometric_means_of_zeros() {
        let engine = engine();
        let e = Analysis::new(&engine, vec![Factor::WeightNoise(vec![(1, 1.2)])]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("weight noise: noise 1.2 at level 1"),
            "{e}"
        );
        // Min-max on [0, 100] over the whole panel (bounds = "panel"): no peer's 2019 value
        // is the panel's worst, so every value the replications aggregate is above 0.
        let geometric = Factor::Aggregation(vec![Aggregation::Geometric]);
        let lowest = engine
            .lowest_normalised(None, false, None, false)
            .unwrap()
            .unwrap();
        assert!(lowest.value > 0.0, "{lowest:?}");
        assert!(Analysis::new(&engine, vec![geometric.clone()]).is_ok());
        // The default z-score (mean 0) gives negative values.
        let zscore =
            Factor::Normalisation(vec![Normalisation::Zscore { mean: 0.0, sd: 1.0 }.into()]);
        let e = Analysis::new(&engine, vec![zscore, geometric]).unwrap_err();
        assert!(e.to_string().contains("the scale [1, 100]"), "{e}");
        assert!(e.to_string().contains("zscore[100,10]"), "{e}");
    }

    /// Analysis inputs that varied nothing or gave NaN are errors naming the setting, on the
    /// small index (index -> x1, x2: one level).
    #[test]
    fn rejects_settings_that_vary_nothing_or_give_nan() {
        let (framework, catalogue, cities, observations) =
            crate::testkit::small("arithmetic", "[0, 100]");
        let engine =
            Engine::build(&framework, &catalogue, &cities, &observations, None, &[]).unwrap();
        let err = |factors: Vec<Factor>| Analysis::new(&engine, factors).unwrap_err().to_string();
        assert_eq!(
            err(vec![Factor::WeightNoise(vec![(9, 0.1)])]),
            "weight noise: level 9 is not in the framework's tree, which has levels 1 (the index's children) to 1 (its indicators' deepest level); 0 sets every level"
        );
        assert!(Analysis::new(&engine, vec![Factor::WeightNoise(vec![(1, 0.1)])]).is_ok());
        assert!(Analysis::new(&engine, vec![Factor::WeightNoise(vec![(0, 0.1)])]).is_ok());
        assert!(
            err(vec![Factor::WeightNoise(vec![])]).starts_with("weight noise: give at least one")
        );
        assert!(err(vec![Factor::WeightNoise(vec![(1, f64::NAN)])])
            .starts_with("weight noise: noise NaN"));
        assert!(
            err(vec![Factor::WeightNoise(vec![(1, -0.1)])]).starts_with("weight noise: noise -0.1")
        );
        assert!(
            err(vec![Factor::Dirichlet(f64::INFINITY)]).starts_with("dirichlet: concentration inf")
        );
        // 1e300 made the gamma draws' shapes infinite, and the rejection sampler looped.
        assert!(err(vec![Factor::Dirichlet(1e300)]).contains("must be a positive number up to 1e9"));
        assert!(crate::rng::Rng::new(1).gamma(f64::INFINITY).is_nan());
        assert!(Analysis::new(&engine, vec![Factor::Dirichlet(1e9)]).is_ok());
        assert!(err(vec![Factor::Aggregation(vec![Aggregation::Generalised {
            p: 0.0
        }])])
        .starts_with("aggregations: the generalised mean's power p = 0 must be"));
        let analysis = Analysis::new(&engine, vec![Factor::WeightNoise(vec![(1, 0.1)])]).unwrap();
        let zero_runs = analysis
            .monte_carlo(
                0,
                1,
                &mut |_, _, _, _| Ok(()),
                &|_| {},
                &AtomicBool::new(false),
            )
            .unwrap_err()
            .to_string();
        assert!(
            zero_runs.starts_with("runs: give at least 1 replication"),
            "{zero_runs}"
        );
        let nodes = [0, 1, 2];
        let zero_steps = analysis.weight_map(nodes, 0, 0).unwrap_err().to_string();
        assert!(
            zero_steps.starts_with("steps: the weight map needs at least 1 step"),
            "{zero_steps}"
        );
        assert!(analysis
            .weight_map(nodes, 2, 99)
            .unwrap_err()
            .to_string()
            .starts_with("city: "));
    }

    #[test]
    fn the_same_seed_gives_the_same_replications_in_any_thread_pool() {
        let engine = engine();
        let analysis = Analysis::new(
            &engine,
            vec![
                Factor::Dirichlet(20.0),
                Factor::LeaveOneOut,
                Factor::Winmax(0, 5),
            ],
        )
        .unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut log = Vec::new();
                let stats = analysis
                    .monte_carlo(
                        5000,
                        42,
                        &mut |r, c, _, ranks| {
                            log.push((r, c.clone(), ranks.to_vec()));
                            Ok(())
                        },
                        &|_| {},
                        &AtomicBool::new(false),
                    )
                    .unwrap();
                (log, stats)
            })
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a, b);
        // Something varied.
        assert!(a.1.iter().any(|s| s.q95_rank > s.q05_rank));
    }

    #[test]
    fn the_weight_map_cell_at_the_nominal_weights_names_the_nominal_first_city() {
        let engine = engine();
        let analysis = Analysis::new(&engine, vec![]).unwrap();
        let slot = |id: &str| engine.plan.node_ids.iter().position(|n| n == id).unwrap();
        let nodes = [slot("outcomes"), slot("environment"), slot("services")];
        let london = engine.city("London").unwrap();
        // 30 steps: the nominal equal shares (10, 10, 10) lie on the grid.
        let cells = analysis.weight_map(nodes, 30, london).unwrap();
        assert_eq!(cells.len(), 31 * 32 / 2);
        let nominal = cells
            .iter()
            .find(|c| c.shares.iter().all(|&s| (s - 1.0 / 3.0).abs() < 1e-12))
            .unwrap();
        let first = engine
            .nominal_ranks
            .iter()
            .position(|r| r.get() == 1)
            .unwrap();
        assert_eq!(nominal.first, first);
        assert_eq!(nominal.city_rank, engine.nominal_ranks[london].get());
    }

    #[test]
    fn the_weight_map_takes_three_siblings_and_refuses_the_index_or_a_cousin() {
        let engine = engine();
        let analysis = Analysis::new(&engine, Vec::new()).unwrap();
        let ids = |a: &str, b: &str, c: &str| [a.to_string(), b.to_string(), c.to_string()];
        let nodes = analysis
            .weight_map_nodes(&ids("outcomes", "environment", "services"))
            .unwrap();
        assert_eq!(
            nodes.map(|k| engine.plan.node_ids[k].as_str()),
            ["outcomes", "environment", "services"]
        );
        let root = engine.plan.node_ids[engine.plan.root].clone();
        let err = analysis
            .weight_map_nodes(&ids(&root, "environment", "services"))
            .unwrap_err();
        assert!(err.to_string().starts_with("domains: `"), "{err}");
        assert!(
            err.to_string().contains("the index itself cannot vary"),
            "{err}"
        );
        let err = analysis
            .weight_map_nodes(&ids("outcomes", "outcomes", "services"))
            .unwrap_err();
        assert_eq!(err.to_string(), "domains: give three different nodes");
        let leaf = engine.plan.indicators[0].id.clone();
        let err = analysis
            .weight_map_nodes(&ids(&leaf, "environment", "services"))
            .unwrap_err();
        assert!(err.to_string().contains("must share a parent"), "{err}");
    }
}
