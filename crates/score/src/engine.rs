//! The replication engine: one year of a framework compiled to contiguous f64 matrices, rebuilt
//! thousands of times per second with other weights, methods, treatment limits, imputations or
//! an indicator left out. Uncertainty and sensitivity analysis, the weight map and the path to
//! first place all run on it.
//!
//! An [`Engine`] holds, for each imputation alternative, the year's transformed values of the
//! peer cities (`cities x indicators`) and, per indicator, the sample that data-driven
//! statistics are taken over: the whole panel (every city, every year) under
//! `bounds = "panel"`, the year's cities under `bounds = "year"`, exactly as [`score`] does.
//! A replication ([`Engine::evaluate`]) makes the calls [`score`] makes, in the same order and
//! on the same values: the indicator's treatment [`Mapping`] (derived once per sample, or
//! read from the winsorising states for another `winmax`), [`fit`] and [`Fitted::apply`]
//! per indicator, [`aggregate_year`], then [`rank_into`]. So the nominal replication
//! reproduces [`score`] by construction.
//!
//! [`score`]: crate::score()

use std::num::NonZeroU32;
use std::sync::OnceLock;

use healthy_city_model::{
    Aggregation, Bounds, Catalogue, Cities, Framework, GroupImpute, Impute, Level, Normalisation,
    Observations, Treatment, Weighting,
};

use crate::aggregate::{aggregate_year, aggregate_year_logs};
use crate::error::{Error, Result};
use crate::levels::GroupRules;
use crate::normalise::{fit, not_finite, Reference, Sample, Scope};
use crate::plan::Plan;
use crate::rank::rank_into;
use crate::results::{base, impute_base, score_prepared};
use crate::treat::{derive, failure_error, scope_label, sorted_present, Failure, Mapping, Steps};
use crate::uncertainty::NormalisationChoice;

/// The data of one imputation alternative.
#[derive(Debug, Clone)]
struct Block {
    /// Transformed values of every city of the panel in the year, `[city][indicator]`, NaN
    /// missing. Replications aggregate every city, as `score` does, so that cross-city
    /// methods (MPI, AMPI, Copeland, benefit of the doubt) compare the same cities; only the
    /// peers are ranked.
    year: Vec<f64>,
    /// Per indicator: the present transformed values of the statistics scope, in panel order.
    values: Vec<Vec<f64>>,
    /// Per indicator: the same values, ascending.
    sorted: Vec<Vec<f64>>,
    /// Per indicator: the framework's treatment derived on the sample.
    treatment: Vec<std::result::Result<Mapping, Failure>>,
    /// Per indicator: COINr's winsorising states without a limit, for replications that vary
    /// `winmax` (computed on first use).
    winsorising: OnceLock<Vec<std::result::Result<Steps, Failure>>>,
}

impl Block {
    /// Derives indicator `i`'s treatment on its sample (again, after the sample changed).
    fn derive(&mut self, i: usize, treatment: Treatment) {
        self.treatment[i] = if self.sorted[i].is_empty() {
            Ok(Mapping::Identity)
        } else {
            derive(&self.values[i], &self.sorted[i], treatment).map(|d| d.mapping)
        };
    }

    /// The winsorising states of every indicator (COINr's thresholds 2 and 3.5).
    fn winsorising(&self) -> &[std::result::Result<Steps, Failure>] {
        self.winsorising.get_or_init(|| {
            self.values
                .iter()
                .zip(&self.sorted)
                .map(|(values, sorted)| Steps::of(values, sorted, 2.0, 3.5))
                .collect()
        })
    }
}

/// One replication's choices. Built from [`Engine::nominal`] and changed field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Raw weight of every node slot, relative within its parent (the root's is ignored).
    pub weights: Vec<f64>,
    /// Normalisation of every indicator (and the scale it maps to) instead of the
    /// framework's.
    pub normalisation: Option<NormalisationChoice>,
    /// Aggregation of every group instead of the framework's.
    pub aggregation: Option<Aggregation>,
    /// Imputation alternative (index into [`Engine::imputations`]).
    pub imputation: usize,
    /// COINr winsorisation of every indicator with this `winmax` (0: no treatment) instead of
    /// the framework's treatment.
    pub winmax: Option<usize>,
    /// Indicator slot left out (its weight, and that of any group it leaves empty, set to 0).
    pub left_out: Option<usize>,
    /// The weight set `weights` were taken from (index into the analysis's
    /// [`Factor::WeightSets`](crate::Factor::WeightSets)), if any.
    pub weight_set: Option<usize>,
}

impl Config {
    /// Sets every field to `nominal`'s, reusing this config's buffers (a replication's inputs
    /// are drawn into the same config chunk after chunk). Destructured, so that a new field
    /// cannot be forgotten here.
    pub(crate) fn reset_to(&mut self, nominal: &Config) {
        let Config {
            weights,
            normalisation,
            aggregation,
            imputation,
            winmax,
            left_out,
            weight_set,
        } = nominal;
        self.weights.clone_from(weights);
        self.normalisation.clone_from(normalisation);
        self.aggregation = *aggregation;
        self.imputation = *imputation;
        self.winmax = *winmax;
        self.left_out = *left_out;
        self.weight_set = *weight_set;
    }
}

/// Per-thread buffers of [`Engine::evaluate`].
#[derive(Debug, Clone)]
pub struct Scratch {
    plan: Plan,
    /// Row of each peer city in `scores` in the last evaluation.
    rows: Vec<usize>,
    weights: Vec<f64>,
    /// `[row][node]` scores of the last evaluation: every city of the panel's year, or the
    /// peers only when no cross-city method can see the others ([`Engine::cities_scored`]).
    scores: Vec<f64>,
    root: Vec<f64>,
    rounded: Vec<f64>,
    order: Vec<usize>,
    /// Ranks of the target in the last evaluation, by peer city (`None`: not ranked).
    pub ranks: Vec<Option<NonZeroU32>>,
}

impl Scratch {
    /// Scores of the engine's target ([`Engine::target`]: the index unless
    /// [`Engine::with_target`] chose another node) in the last evaluation, by peer city; the
    /// ranks in [`Scratch::ranks`] are theirs.
    pub fn root_scores(&self) -> &[f64] {
        &self.root
    }

    /// Score of `node` for peer city `c` in the last evaluation.
    pub fn score(&self, c: usize, node: usize) -> f64 {
        self.scores[self.rows[c] * self.plan.n_nodes() + node]
    }
}

/// Where the lowest normalised value of an analysis occurs ([`Engine::lowest_normalised`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lowest {
    /// The value.
    pub(crate) value: f64,
    /// Indicator id.
    pub(crate) indicator: String,
    /// City id.
    pub(crate) city: String,
    /// Imputation alternative.
    pub(crate) imputation: usize,
    /// The `winmax` of COINr's winsorisation, `None` for the framework's treatment.
    pub(crate) winmax: Option<usize>,
}

/// One year of a framework, ready for replications.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The compiled framework (nominal weights and methods).
    pub(crate) plan: Plan,
    /// The year scored.
    pub year: i32,
    /// Peer city ids: the cities ranked in the year by [`score`](crate::score()).
    pub cities: Vec<String>,
    /// Their display names.
    pub city_names: Vec<String>,
    /// Imputation alternatives; the first is the framework's.
    pub imputations: Vec<Impute>,
    /// Nominal scores of the target (the index unless [`Engine::with_target`]), by peer city
    /// (from [`score`](crate::score())).
    pub nominal_scores: Vec<f64>,
    /// Nominal ranks of the target, by peer city (every peer is ranked).
    pub nominal_ranks: Vec<NonZeroU32>,
    /// The node whose scores are ranked: the index unless [`Engine::with_target`].
    target: usize,
    /// `[peer][node]` nominal scores and ranks of every node, from [`score`](crate::score()).
    node_scores: Vec<f64>,
    node_ranks: Vec<Option<NonZeroU32>>,
    /// `[peer][indicator]` the level of each raw value (see [`Results::levels`]).
    levels: Vec<Level>,
    blocks: Vec<Block>,
    /// Every city of the panel, in panel order, their slots, and the panel slot of each peer.
    panel_cities: Vec<String>,
    all_slots: Vec<usize>,
    peer_slots: Vec<usize>,
    /// Whether the nominal plan has a cross-city group (MPI, AMPI, Copeland, benefit of the
    /// doubt), whose scores depend on every city of the year.
    cross_city: bool,
    /// The group rules (`not_applicable`, group `impute`), if any.
    pub(crate) rules: Option<GroupRules>,
    /// The years the statistics are taken over, for messages.
    scope: Scope,
    round: Option<u32>,
}

impl Engine {
    /// Compiles `year` of the framework (default: its latest ranked year). The peer cities are
    /// those [`score`](crate::score()) ranks in that year; `imputations` are alternatives to
    /// the framework's own imputation, which always comes first. The panel is built,
    /// denominated and screened once; only imputation is redone per alternative.
    pub fn build(
        framework: &Framework,
        catalogue: &Catalogue,
        cities: &Cities,
        observations: &Observations,
        year: Option<i32>,
        imputations: &[Impute],
    ) -> Result<Self> {
        let base = base(framework, catalogue, cities, observations)?;
        let mut alternatives = vec![framework.methods.impute];
        for &m in imputations {
            if !alternatives.contains(&m) {
                alternatives.push(m);
            }
        }
        let prepared: Vec<_> = alternatives
            .iter()
            .map(|&method| impute_base(&base, method, cities))
            .collect::<Result<_>>()?;
        let (results, plan) = score_prepared(framework, catalogue, cities, prepared[0].clone())?;
        // Groups not applicable to some units, and group scores filled from the other units of
        // the year, as `score` applies them; a fill from earlier years cannot be replicated on
        // one year.
        let rules = GroupRules::new(&plan, &base.panel.cities, cities)?;
        if rules.as_ref().is_some_and(GroupRules::uses_earlier_years) {
            let group = plan
                .groups
                .iter()
                .find(|g| matches!(g.impute, Some(GroupImpute::Latest { .. })))
                .map_or("", |g| plan.node_ids[g.node].as_str());
            return Err(Error::Setting {
                key: format!("group `{group}`"),
                message: String::from(
                    "the replication engine (uncertainty, sensitivity, path to first, weight map) rebuilds one year, so it cannot fill a group from the unit's earlier years (`impute = \"latest\"`); analyse a copy of the framework with `mean`, `median`, `group_mean` or `group_median` for that group (`score` applies `latest`)",
                ),
            });
        }
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
        let bounds = framework.methods.bounds;
        let panel = &base.panel;
        let (nc, ni) = (panel.n_cities(), panel.n_indicators());
        let years = match bounds {
            Bounds::Panel => 0..panel.years.len(),
            Bounds::Year => y..y + 1,
        };
        let blocks = prepared
            .iter()
            .map(|p| {
                let values = &p.panel.values;
                let sample: Vec<Vec<f64>> = (0..ni)
                    .map(|i| {
                        years
                            .clone()
                            .flat_map(|yy| (0..nc).map(move |c| values[(yy * nc + c) * ni + i]))
                            .filter(|v| !v.is_nan())
                            .collect()
                    })
                    .collect();
                let mut block = Block {
                    year: values[y * nc * ni..(y + 1) * nc * ni].to_vec(),
                    sorted: sample.iter().map(|s| sorted_present(s)).collect(),
                    values: sample,
                    treatment: vec![Ok(Mapping::Identity); ni],
                    winsorising: OnceLock::new(),
                };
                for (i, ind) in plan.indicators.iter().enumerate() {
                    block.derive(i, ind.treatment);
                }
                block
            })
            .collect();
        let nn = plan.n_nodes();
        let node_scores = peers
            .iter()
            .flat_map(|&c| (0..nn).map(move |node| (c, node)))
            .map(|(c, node)| results.score(y, c, node))
            .collect();
        let node_ranks = peers
            .iter()
            .flat_map(|&c| (0..nn).map(move |node| (c, node)))
            .map(|(c, node)| results.ranks_nonzero(y, c, node))
            .collect();
        let levels = peers
            .iter()
            .flat_map(|&c| (0..ni).map(move |i| (c, i)))
            .map(|(c, i)| results.level(y, c, i))
            .collect();
        Ok(Engine {
            target: plan.root,
            node_scores,
            node_ranks,
            levels,
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
                .map(|&c| results.ranks_nonzero(y, c, results.root))
                .collect::<Option<_>>()
                .ok_or(Error::NoRankedYear)?,
            imputations: alternatives,
            blocks,
            panel_cities: panel.cities.clone(),
            all_slots: (0..nc).collect(),
            peer_slots: peers,
            // Group rules fill a unit's score from the others: every city is scored too.
            cross_city: rules.is_some()
                || plan.groups.iter().any(|g| {
                    g.aggregation.is_cross_city() || matches!(g.weighting, Weighting::Bod { .. })
                }),
            rules,
            scope: Scope {
                bounds,
                year: panel.years[years.start],
                years: years.len(),
            },
            round: framework.methods.round,
            plan,
        })
    }

    /// Number of imputation blocks ([`Engine::imputations`]).
    pub(crate) fn n_blocks(&self) -> usize {
        self.blocks.len()
    }

    /// Number of cities of the panel (those a replication scores at most).
    pub(crate) fn n_panel_cities(&self) -> usize {
        self.panel_cities.len()
    }

    /// Number of peer cities.
    pub fn n_cities(&self) -> usize {
        self.cities.len()
    }

    /// Number of indicators.
    pub fn n_indicators(&self) -> usize {
        self.plan.indicators.len()
    }

    /// The level of peer `city`'s value of indicator slot `i` (framework order).
    pub fn level(&self, city: usize, i: usize) -> Level {
        self.levels[city * self.plan.indicators.len() + i]
    }

    /// Id of indicator slot `i` (framework order).
    pub fn indicator_id(&self, i: usize) -> &str {
        &self.plan.indicators[i].id
    }

    /// Slot of an indicator, by id.
    pub fn indicator_slot(&self, id: &str) -> Option<usize> {
        self.plan.indicators.iter().position(|ind| ind.id == id)
    }

    /// Node ids, by node slot (framework order; [`Config::weights`] follows it).
    pub fn node_ids(&self) -> &[String] {
        &self.plan.node_ids
    }

    /// Node slot of the index.
    pub fn root(&self) -> usize {
        self.plan.root
    }

    /// Node slot of the node whose scores replications rank (the index unless
    /// [`Engine::with_target`]).
    pub fn target(&self) -> usize {
        self.target
    }

    /// The engine with another node as the target of its replications: their scores and
    /// ranks ([`Scratch::root_scores`], [`Scratch::ranks`]) and the nominal ones
    /// ([`Engine::nominal_scores`], [`Engine::nominal_ranks`], as [`score`](crate::score())
    /// ranks that node among the peers) are the node's. Errors (setting `target`) for an id
    /// that is not a node, or a node some peer city has no score for in the year.
    pub fn with_target(mut self, id: &str) -> Result<Engine> {
        let setting = |message: String| Error::Setting {
            key: String::from("target"),
            message,
        };
        let node = self.plan.node_ids.iter().position(|n| n == id.trim()).ok_or_else(|| {
            let groups: Vec<&str> = std::iter::once(self.plan.root)
                .chain(self.plan.groups.iter().map(|g| g.node).filter(|&g| g != self.plan.root))
                .map(|k| self.plan.node_ids[k].as_str())
                .collect();
            setting(format!(
                "`{id}` is not a node of the framework; give the index or a group ({}) or an indicator id",
                groups.join(", ")
            ))
        })?;
        let nn = self.plan.n_nodes();
        let ranks: Option<Vec<NonZeroU32>> = (0..self.n_cities())
            .map(|c| self.node_ranks[c * nn + node])
            .collect();
        let Some(ranks) = ranks else {
            let c = (0..self.n_cities())
                .find(|&c| self.node_ranks[c * nn + node].is_none())
                .unwrap_or(0);
            return Err(setting(format!(
                "`{id}` has no score for `{}` in {}, so it cannot rank every city the index ranks; choose a node every ranked city has a value for",
                self.cities[c], self.year
            )));
        };
        self.nominal_scores = (0..self.n_cities())
            .map(|c| self.node_scores[c * nn + node])
            .collect();
        self.nominal_ranks = ranks;
        self.target = node;
        Ok(self)
    }

    /// Node slot of the group a node belongs to (`None` for the index).
    pub fn parent(&self, node: usize) -> Option<usize> {
        self.plan
            .groups
            .iter()
            .find(|g| g.children.iter().any(|&(child, _)| child == node))
            .map(|g| g.node)
    }

    /// Position of a peer city, by id or display name (case-insensitive).
    pub fn city(&self, name: &str) -> Option<usize> {
        crate::results::find_city(&self.cities, &self.city_names, name)
    }

    /// Transformed value of indicator `i` for peer city `c` (framework imputation; NaN if
    /// missing).
    pub fn value(&self, c: usize, i: usize) -> f64 {
        self.blocks[0].year[self.peer_slots[c] * self.n_indicators() + i]
    }

    /// A copy of the engine in which peer city `c` has other transformed values
    /// (`(indicator slot, value)`), in the year's data and in the statistics samples, for
    /// every imputation alternative; the treatments are derived again on the changed samples.
    #[must_use]
    pub fn with_values(&self, c: usize, values: &[(usize, f64)]) -> Engine {
        let mut out = self.clone();
        let ni = self.n_indicators();
        let slot = self.peer_slots[c];
        for block in &mut out.blocks {
            for &(i, v) in values {
                let old = block.year[slot * ni + i];
                block.year[slot * ni + i] = v;
                let sample = &mut block.values[i];
                match sample.iter().position(|&s| s == old) {
                    Some(k) if !old.is_nan() && v.is_nan() => {
                        sample.remove(k);
                    }
                    Some(k) if !old.is_nan() => sample[k] = v,
                    _ if !v.is_nan() => sample.push(v),
                    _ => {}
                }
                block.sorted[i] = sorted_present(sample);
                block.derive(i, self.plan.indicators[i].treatment);
            }
            block.winsorising = OnceLock::new();
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
            weight_set: None,
        }
    }

    /// Fresh buffers for [`Engine::evaluate`] (one per thread).
    pub fn scratch(&self) -> Scratch {
        let n = self.n_cities();
        Scratch {
            plan: self.plan.clone(),
            rows: (0..n).collect(),
            weights: vec![0.0; self.plan.n_nodes()],
            scores: vec![f64::NAN; self.panel_cities.len() * self.plan.n_nodes()],
            root: vec![f64::NAN; n],
            rounded: vec![f64::NAN; n],
            order: (0..n).collect(),
            ranks: vec![None; n],
        }
    }

    /// Rebuilds the index with `config`: treats, normalises, aggregates and ranks every peer
    /// city. Scores and ranks are left in `s` ([`Scratch::root_scores`], [`Scratch::ranks`]).
    pub fn evaluate(&self, config: &Config, s: &mut Scratch) -> Result<()> {
        self.evaluate_normalised(config, None, s)
    }

    /// The treated and normalised values `evaluate` aggregates under `config`,
    /// `[row][indicator]` over the cities it scores ([`Engine::cities_scored`], in that
    /// order). They depend only on the imputation, `winmax`, normalisation and that set of
    /// cities, so an analysis computes them once per combination of those
    /// ([`Engine::evaluate_normalised`]). Uses `s` as work space.
    pub(crate) fn normalised(&self, config: &Config, s: &mut Scratch) -> Result<Vec<f64>> {
        let block = &self.blocks[config.imputation.min(self.blocks.len() - 1)];
        let (ni, nn) = (self.n_indicators(), self.plan.n_nodes());
        let cities = self.cities_scored(config);
        for i in 0..ni {
            self.normalise(block, i, config, cities, s)?;
        }
        // `[row][node]`, NaN at the groups: the layout the scores are aggregated in.
        let mut out = vec![f64::NAN; cities.len() * nn];
        for (to, row) in out
            .chunks_exact_mut(nn)
            .zip(s.scores[..cities.len() * nn].chunks_exact(nn))
        {
            for &node in &self.plan.indicator_nodes {
                to[node] = row[node];
            }
        }
        Ok(out)
    }

    /// [`Engine::evaluate`], with the values [`Engine::normalised`] gives for `config` and
    /// their natural logarithms when `normalised` holds them: each value is written where
    /// `evaluate` would have normalised it, and the aggregation and ranking that follow are
    /// the same (geometric means read the logarithms instead of taking them again, see
    /// [`aggregate_year_logs`]), so the scores and ranks are the same bit for bit.
    pub(crate) fn evaluate_normalised(
        &self,
        config: &Config,
        normalised: Option<(&[f64], &[f64])>,
        s: &mut Scratch,
    ) -> Result<()> {
        if config.weights.len() != self.plan.n_nodes()
            || config.left_out.is_some_and(|i| i >= self.n_indicators())
        {
            return Err(Error::Setting {
                key: String::from("replication"),
                message: format!(
                    "a replication's weights or left-out indicator do not fit this framework ({} nodes, {} indicators): build it from `Engine::nominal`",
                    self.plan.n_nodes(),
                    self.n_indicators()
                ),
            });
        }
        let block = &self.blocks[config.imputation.min(self.blocks.len() - 1)];
        let (ni, nn) = (self.n_indicators(), self.plan.n_nodes());
        let cities = self.cities_scored(config);
        match normalised {
            // Already in the scores' `[row][node]` layout: one copy.
            Some((values, _)) => {
                debug_assert_eq!(values.len(), cities.len() * nn);
                s.scores[..cities.len() * nn].copy_from_slice(values);
            }
            None => {
                for i in 0..ni {
                    self.normalise(block, i, config, cities, s)?;
                }
            }
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
        let n = cities.len();
        // The logarithms, where a geometric mean may read them: the groups' own means here
        // (the group rules take their own path).
        let logs = normalised.map(|(_, logs)| logs).filter(|_| {
            self.rules.is_none()
                && s.plan
                    .groups
                    .iter()
                    .any(|g| g.aggregation == Aggregation::Geometric)
        });
        let block = &mut s.scores[..n * nn];
        match (&self.rules, logs) {
            (None, Some(logs)) => aggregate_year_logs(&s.plan, block, n, logs),
            (None, None) => aggregate_year(&s.plan, block, n),
            (Some(rules), _) => rules.aggregate_block(
                &rules.pattern_plans(&s.plan),
                cities,
                &[self.year],
                0,
                block,
                &mut vec![false; n * nn],
                &mut Vec::new(),
            ),
        }
        .map_err(|f| {
            f.error(
                &self.plan.node_ids,
                self.panel_cities[cities[f.city]].clone(),
                self.year,
            )
        })?;
        if n == self.peer_slots.len() {
            for (k, row) in s.rows.iter_mut().enumerate() {
                *row = k;
            }
        } else {
            s.rows.copy_from_slice(&self.peer_slots);
        }
        for (root, &row) in s.root.iter_mut().zip(&s.rows) {
            *root = s.scores[row * nn + self.target];
        }
        rank_into(
            &s.root,
            self.round,
            &mut s.rounded,
            &mut s.order,
            &mut s.ranks,
        );
        Ok(())
    }

    /// The lowest normalised value any replication can aggregate under `normalisation`
    /// (`None`: each indicator's own): over every indicator and every city a replication
    /// scores in the year (all of them with `all_cities`, else the peers), for each imputation
    /// alternative (only the framework's unless `imputations`) and each treatment (the
    /// framework's, or COINr's winsorisation with every `winmax` of the range). `None` when
    /// every value is missing. Ties keep the first found.
    pub(crate) fn lowest_normalised(
        &self,
        normalisation: Option<&NormalisationChoice>,
        imputations: bool,
        winmax: Option<(usize, usize)>,
        all_cities: bool,
    ) -> Result<Option<Lowest>> {
        let nn = self.plan.n_nodes();
        let cities = if all_cities || self.cross_city {
            &self.all_slots
        } else {
            &self.peer_slots
        };
        // A `winmax` beyond the largest sample moves no more points than the sample has.
        let largest = self
            .blocks
            .iter()
            .flat_map(|b| b.values.iter().map(Vec::len))
            .max()
            .unwrap_or(0);
        let treatments: Vec<Option<usize>> = match winmax {
            None => vec![None],
            Some((lo, hi)) => (lo..=hi.min(lo.max(largest))).map(Some).collect(),
        };
        let mut config = self.nominal();
        config.normalisation = normalisation.cloned();
        let mut s = self.scratch();
        let mut lowest: Option<Lowest> = None;
        let blocks = if imputations { self.blocks.len() } else { 1 };
        for imputation in 0..blocks {
            config.imputation = imputation;
            for &w in &treatments {
                config.winmax = w;
                for i in 0..self.n_indicators() {
                    self.normalise(&self.blocks[imputation], i, &config, cities, &mut s)?;
                    let node = self.plan.indicator_nodes[i];
                    for (row, &c) in cities.iter().enumerate() {
                        let v = s.scores[row * nn + node];
                        if !v.is_nan() && lowest.as_ref().is_none_or(|l| v < l.value) {
                            lowest = Some(Lowest {
                                value: v,
                                indicator: self.plan.indicators[i].id.clone(),
                                city: self.panel_cities[c].clone(),
                                imputation,
                                winmax: w,
                            });
                        }
                    }
                }
            }
        }
        Ok(lowest)
    }

    /// The panel slots of the cities a replication scores: every city of the year when a
    /// cross-city method (MPI, AMPI, Copeland, benefit of the doubt) compares them, as
    /// `score` does; else the peers only, which no other city can affect.
    pub(crate) fn cities_scored(&self, config: &Config) -> &[usize] {
        if self.cross_city || config.aggregation.is_some_and(Aggregation::is_cross_city) {
            &self.all_slots
        } else {
            &self.peer_slots
        }
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

    /// Treats and normalises indicator `i` into the indicator's node column of `s.scores`,
    /// with the treatment mapping and the fitted normalisation `score` uses.
    fn normalise(
        &self,
        block: &Block,
        i: usize,
        config: &Config,
        cities: &[usize],
        s: &mut Scratch,
    ) -> Result<()> {
        let (ni, nn) = (self.n_indicators(), self.plan.n_nodes());
        let ind = &self.plan.indicators[i];
        let node = self.plan.indicator_nodes[i];
        let column = (0..cities.len()).map(|row| row * nn + node);
        if block.sorted[i].is_empty() {
            for at in column {
                s.scores[at] = f64::NAN;
            }
            return Ok(());
        }
        let treatment_scope = || {
            scope_label(match self.scope.bounds {
                Bounds::Panel => None,
                Bounds::Year => Some(self.year),
            })
        };
        let failed = |f: Failure| {
            failure_error(f, &ind.id, &treatment_scope(), |_| {
                (String::from("a city"), self.year)
            })
        };
        let mapping = match config.winmax {
            None => block.treatment[i].map_err(failed)?,
            Some(0) => Mapping::Identity,
            Some(winmax) => match &block.winsorising()[i] {
                Ok(steps) => steps.mapping(winmax),
                Err(f) => return Err(failed(*f)),
            },
        };
        let (normalisation, scale) = match &config.normalisation {
            Some(choice) => (&choice.method, choice.scale.unwrap_or(self.plan.scale)),
            None => (&ind.normalisation, self.plan.scale),
        };
        if matches!(mapping, Mapping::LogCt { .. }) && normalisation.in_natural_units() {
            return Err(Error::TreatedUnits {
                indicator: ind.id.clone(),
                normalisation: normalisation.name(),
                scope: treatment_scope(),
            });
        }
        let reference = match normalisation {
            Normalisation::Dist2ref { city, .. } => {
                let r = self
                    .panel_cities
                    .iter()
                    .position(|p| p == city)
                    .ok_or_else(|| Error::UnknownReference {
                        indicator: ind.id.clone(),
                        city: city.clone(),
                    })?;
                // A year without any value stays missing, as in `score`.
                let row = (0..self.panel_cities.len()).map(|c| block.year[c * ni + i]);
                if row.clone().all(f64::is_nan) {
                    for at in column {
                        s.scores[at] = f64::NAN;
                    }
                    return Ok(());
                }
                Some(Reference {
                    value: mapping.apply(block.year[r * ni + i]),
                    year: self.year,
                })
            }
            _ => None,
        };
        let sample = Sample {
            values: &block.values[i],
            sorted: &block.sorted[i],
            mapping,
        };
        let fitted = fit(ind, normalisation, sample, reference, scale, self.scope)?;
        for (&c, at) in cities.iter().zip(column) {
            let raw = block.year[c * ni + i];
            s.scores[at] = match &fitted {
                Some(f) => {
                    let v = f.apply(mapping.apply(raw));
                    if !v.is_finite() && !raw.is_nan() {
                        let treatment = match config.winmax {
                            None => ind.treatment.name(),
                            Some(0) => "none",
                            Some(_) => "winsorise",
                        };
                        return Err(not_finite(
                            ind,
                            normalisation,
                            treatment,
                            self.panel_cities[c].clone(),
                            self.year,
                            v,
                        ));
                    }
                    v
                }
                None => f64::NAN,
            };
        }
        Ok(())
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
        let nominal: Vec<Option<NonZeroU32>> =
            engine.nominal_ranks.iter().copied().map(Some).collect();
        assert_eq!(s.ranks, nominal, "{:?}", framework.methods);
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
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        // The replications read any `winmax` from the unlimited states.
        let steps = Steps::of(&x, &sorted, 2.0, 3.5).unwrap();
        for winmax in [1, 2, 5] {
            let treatment = Treatment::Winsorise {
                winmax,
                skew_thresh: 2.0,
                kurt_thresh: 3.5,
            };
            let map = steps.mapping(winmax);
            let mut treated = x.clone();
            treat_column(&mut treated, treatment).unwrap();
            for (&raw, &t) in x.iter().zip(&treated) {
                assert_eq!(
                    map.apply(raw).to_bits(),
                    t.to_bits(),
                    "{winmax}: {raw} -> {t}"
                );
            }
        }
        // The clamped moments are the moments of the clamped copy.
        x.sort_by(f64::total_cmp);
        let clamped: Vec<f64> = x.iter().map(|v| v.clamp(2.0, 7.0)).collect();
        let (a, b) = skew_kurt(&clamped).unwrap();
        let map = Mapping::Clamp { lo: 2.0, hi: 7.0 };
        let mapped: Vec<f64> = x.iter().map(|&v| map.apply(v)).collect();
        let (c, d) = skew_kurt(&mapped).unwrap();
        assert!((a - c).abs() < 1e-12 && (b - d).abs() < 1e-12);
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
        assert!(s.ranks.iter().all(Option::is_some));
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
