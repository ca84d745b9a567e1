//! Scores and ranks of every node, city and year, with coverage and proxy shares.

use std::num::NonZeroU32;

use healthy_city_model::{
    Aggregation, Catalogue, Cities, Framework, Impute, Level, Observations, Screen,
};

use crate::aggregate::{actual_weights, aggregate_year_noting, AggregateFailure};
use crate::denominate::denominate;
use crate::error::{Error, Result};
use crate::impute::impute;
use crate::levels::GroupRules;
use crate::normalise::{check_finite, normalise, transform};
use crate::panel::Panel;
use crate::plan::Plan;
use crate::rank::rank_into;
use crate::treat::{treat, TreatmentReport};
use crate::weights::{
    effective_weight_table, resolve_weights, EffectiveWeight, GroupWeights, ResolveFailure,
};

/// What the results say about one node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    /// Node id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether it is an indicator.
    pub is_indicator: bool,
    /// Parent node slot.
    pub parent: Option<usize>,
}

/// The output of [`score`]: per year, per city, per node, a score and a rank.
#[derive(Debug, Clone)]
pub struct Results {
    /// Index id.
    pub index_id: String,
    /// Index name.
    pub index_name: String,
    /// What the units are called, plural (the framework's `[index] units`, e.g. `cities`).
    pub units: String,
    /// City ids (the peer group), in registry order.
    pub cities: Vec<String>,
    /// City display names.
    pub city_names: Vec<String>,
    /// Years, ascending.
    pub years: Vec<i32>,
    /// The nodes, by node slot (framework order, groups first).
    pub nodes: Vec<NodeInfo>,
    /// Node slot of the index.
    pub root: usize,
    /// Scores `[year][city][node]`; indicators hold normalised values. NaN where missing.
    pub scores: Vec<f64>,
    /// Ranks `[year][city][node]` among the cities ranked that year; `None` where unranked.
    pub ranks: Vec<Option<NonZeroU32>>,
    /// Share of the index's effective weight a city's indicators carry: `[year][city]`.
    pub coverage: Vec<f64>,
    /// Share of the city's index score that rests on national proxies: `[year][city]`.
    pub proxy_share: Vec<f64>,
    /// Share of the city's index score that rests on regional values used for the city
    /// (`level = "region"`): `[year][city]`. With `proxy_share` and the rest, the city's own
    /// values (city or metropolitan area), it is the score's level breakdown.
    pub region_share: Vec<f64>,
    /// Share of the city's index score that rests on its own values (city or metropolitan
    /// area): `[year][city]`.
    pub own_share: Vec<f64>,
    /// Whether each raw value was filled by imputation (`methods.impute`):
    /// `[year][city][indicator]`, indicators in framework order.
    pub imputed: Vec<bool>,
    /// Share of the city's index score that rests on imputed values: `[year][city]`.
    pub imputed_share: Vec<f64>,
    /// The level of each raw value (where an indicator read from several sources, or a rate
    /// over a denominator, differs from city to city): `[year][city][indicator]`, indicators in
    /// framework order (`city` where the value is missing; an imputed value takes the farther
    /// of the two it lies between).
    pub levels: Vec<Level>,
    /// Whether the city is ranked in the year (index score present, coverage met): `[year][city]`.
    pub ranked: Vec<bool>,
    /// What outlier treatment did, per treated indicator (`methods.treatment`).
    pub treatment: TreatmentReport,
    /// Whether the year is ranked at all (enough cities ranked).
    pub year_ranked: Vec<bool>,
    /// Coverage thresholds used.
    pub city_min_share: f64,
    /// Share of cities that must be ranked for a year to be ranked.
    pub year_min_share: f64,
    /// Whether the city was screened out of the year before normalisation
    /// (`methods.screen`): `[year][city]`. A screened city has no score and no rank that year.
    pub screened: Vec<bool>,
    /// The screening threshold used (`methods.screen.min_share`), if any.
    pub screen_min_share: Option<f64>,
    /// Weights derived from the data (`weights = "pca"` or `"optimised"` groups), pooled
    /// over every year and city.
    pub derived_weights: Vec<GroupWeights>,
    /// Every node's level, weight as used and effective weight in the index (COINr
    /// `get_eff_weights`), by node slot.
    pub effective_weights: Vec<EffectiveWeight>,
    /// Decimals scores are rounded to before ranking (`methods.round`), if any: the outputs
    /// write the score rounded with [`round_score`](crate::round_score), as it was ranked.
    pub round: Option<u32>,
    /// The target scale `[l, u]` of normalised values (`methods.scale`): the axis of charts
    /// whose scores lie within it.
    pub scale: [f64; 2],
    /// Every city-year a group left unscored because its mean cannot take a child (a value of
    /// 0 or less under a geometric or harmonic mean, `nonpositive = "unscored"`), by year then
    /// city: the group and every group above it have no score that year.
    pub unscored: Vec<Unscored>,
    /// Whether each group score was filled by the group's `impute`: `[year][city][node]`, or
    /// empty when no group of the framework imputes.
    pub group_imputed: Vec<bool>,
}

/// A city-year left without a score by a group whose mean cannot take one of its children.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unscored {
    /// Year slot.
    pub year: usize,
    /// City slot.
    pub city: usize,
    /// Node slot of the group.
    pub node: usize,
    /// Node slot of the child.
    pub child: usize,
    /// The child's value.
    pub value: f64,
    /// The group's aggregation method.
    pub aggregation: Aggregation,
}

impl Results {
    fn at(&self, y: usize, c: usize) -> usize {
        y * self.cities.len() + c
    }

    /// Score of a node.
    pub fn score(&self, y: usize, c: usize, node: usize) -> f64 {
        self.scores[self.at(y, c) * self.nodes.len() + node]
    }

    /// Whether a group score was filled by the group's `impute` (false without one).
    pub fn group_imputed(&self, y: usize, c: usize, node: usize) -> bool {
        self.group_imputed
            .get(self.at(y, c) * self.nodes.len() + node)
            .copied()
            .unwrap_or(false)
    }

    /// Rank of a node (only in ranked years, for ranked cities).
    pub fn rank(&self, y: usize, c: usize, node: usize) -> Option<u32> {
        self.ranks_nonzero(y, c, node).map(NonZeroU32::get)
    }

    /// Rank of a node as stored: never 0, `None` where not ranked.
    pub(crate) fn ranks_nonzero(&self, y: usize, c: usize, node: usize) -> Option<NonZeroU32> {
        self.ranks[self.at(y, c) * self.nodes.len() + node]
    }

    /// Whether city `c` is ranked in year slot `y`.
    pub fn is_ranked(&self, y: usize, c: usize) -> bool {
        self.year_ranked[y] && self.ranked[self.at(y, c)]
    }

    /// Coverage of city `c` in year slot `y`.
    pub fn coverage(&self, y: usize, c: usize) -> f64 {
        self.coverage[self.at(y, c)]
    }

    /// Proxy share of city `c` in year slot `y`: the share of its score resting on national
    /// values.
    pub fn proxy_share(&self, y: usize, c: usize) -> f64 {
        self.proxy_share[self.at(y, c)]
    }

    /// Share of city `c`'s score in year slot `y` resting on regional values.
    pub fn region_share(&self, y: usize, c: usize) -> f64 {
        self.region_share[self.at(y, c)]
    }

    /// Share of city `c`'s score in year slot `y` resting on its own values (measured for the
    /// city or its metropolitan area; summed over those indicators, so the three shares add up
    /// to 1 up to rounding, and 0 where the city has no score).
    pub fn own_share(&self, y: usize, c: usize) -> f64 {
        self.own_share[self.at(y, c)]
    }

    /// Whether indicator slot `i` (framework order) of city `c` in year slot `y` was imputed.
    pub fn is_imputed(&self, y: usize, c: usize, i: usize) -> bool {
        let ni = self.imputed.len() / (self.years.len() * self.cities.len()).max(1);
        self.imputed[self.at(y, c) * ni + i]
    }

    /// The level of indicator slot `i`'s value (framework order) for city `c` in year slot `y`.
    pub fn level(&self, y: usize, c: usize, i: usize) -> Level {
        let ni = self.levels.len() / (self.years.len() * self.cities.len()).max(1);
        self.levels[self.at(y, c) * ni + i]
    }

    /// The level of indicator node `node`'s value for city `c` in year slot `y` (`None`
    /// when the node is not an indicator).
    pub fn node_level(&self, y: usize, c: usize, node: usize) -> Option<Level> {
        self.nodes.get(node).filter(|n| n.is_indicator)?;
        let slot = self.nodes[..node].iter().filter(|n| n.is_indicator).count();
        Some(self.level(y, c, slot))
    }

    /// Share of the index score of city `c` in year slot `y` resting on imputed values.
    pub fn imputed_share(&self, y: usize, c: usize) -> f64 {
        self.imputed_share[self.at(y, c)]
    }

    /// Number of cities ranked in year slot `y`.
    pub fn n_ranked(&self, y: usize) -> usize {
        (0..self.cities.len())
            .filter(|&c| self.is_ranked(y, c))
            .count()
    }

    /// Ids of the cities screened out of year slot `y` (`methods.screen`), in registry order.
    pub fn screened_out(&self, y: usize) -> Vec<&str> {
        (0..self.cities.len())
            .filter(|&c| self.screened[self.at(y, c)])
            .map(|c| self.cities[c].as_str())
            .collect()
    }

    /// The ranked years, comma-separated, for messages.
    pub fn ranked_years(&self) -> String {
        let years: Vec<String> = (0..self.years.len())
            .filter(|&y| self.year_ranked[y])
            .map(|y| self.years[y].to_string())
            .collect();
        if years.is_empty() {
            String::from("none")
        } else {
            years.join(", ")
        }
    }

    /// The latest year slot with a ranking.
    pub fn latest_ranked_year(&self) -> Option<usize> {
        (0..self.years.len()).rev().find(|&y| self.year_ranked[y])
    }

    /// Slot of a city, by id or display name (case-insensitive).
    pub fn city_slot(&self, name: &str) -> Option<usize> {
        find_city(&self.cities, &self.city_names, name)
    }

    /// The score of a node as written and ranked: rounded to [`Results::round`] decimals when
    /// the framework rounds (see [`round_score`](crate::round_score)), else as computed.
    pub fn ranked_score(&self, y: usize, c: usize, node: usize) -> f64 {
        let score = self.score(y, c, node);
        self.round
            .map_or(score, |d| crate::rank::round_score(score, d))
    }

    /// Node slots of the domains (children of the index), in framework order.
    pub fn domains(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| self.nodes[n].parent == Some(self.root))
            .collect()
    }

    /// A city's index rank in every ranked year: `(year, rank, number ranked)`.
    pub fn trajectory(&self, c: usize) -> Vec<(i32, Option<u32>, usize)> {
        (0..self.years.len())
            .filter(|&y| self.year_ranked[y])
            .map(|y| (self.years[y], self.rank(y, c, self.root), self.n_ranked(y)))
            .collect()
    }
}

/// The steps of [`score`] that every imputation alternative shares: the compiled plan and the
/// panel built, denominated and screened (raw values).
pub(crate) struct Base {
    plan: Plan,
    /// Denominated, screened values; `proxy` flags as observed.
    pub(crate) panel: Panel,
    /// `[year][city]`: screened out.
    screened: Vec<bool>,
}

/// Compiles the framework and builds, denominates and screens the panel: once, whatever the
/// imputations that follow.
pub(crate) fn base(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    observations: &Observations,
) -> Result<Base> {
    framework.check_catalogue(catalogue)?;
    let plan = Plan::compile(framework, catalogue)?;
    let mut panel = Panel::build(framework, cities, observations)?;
    denominate(&mut panel, framework, observations)?;
    let screened = screen(&mut panel, framework.methods.screen);
    Ok(Base {
        plan,
        panel,
        screened,
    })
}

/// The steps of [`score`] before outlier treatment, shared with the replication
/// [`Engine`](crate::Engine): the panel of [`base`] imputed with `method` and transformed.
#[derive(Clone)]
pub(crate) struct Prepared {
    plan: Plan,
    /// Transformed values; `proxy` flags as observed.
    pub(crate) panel: Panel,
    /// `[year][city]`: screened out.
    screened: Vec<bool>,
    /// Same layout as `panel.values`: imputed.
    imputed: Vec<bool>,
}

/// Imputes the base panel with `method`: the raw imputed panel and its imputation flags.
fn impute_raw(base: &Base, method: Impute, cities: &Cities) -> (Panel, Vec<bool>) {
    let mut panel = base.panel.clone();
    let mut imputed = impute(&mut panel, method, cities);
    if base.screened.contains(&true) {
        // Panel imputation may have filled a screened year from the city's other years.
        clear_screened(&mut panel, &base.screened, &mut imputed);
    }
    (panel, imputed)
}

/// Imputes the base panel with `method` and applies each indicator's transform.
pub(crate) fn impute_base(base: &Base, method: Impute, cities: &Cities) -> Result<Prepared> {
    let (panel, imputed) = impute_raw(base, method, cities);
    let panel = transform(&panel, &base.plan)?;
    Ok(Prepared {
        plan: base.plan.clone(),
        panel,
        screened: base.screened.clone(),
        imputed,
    })
}

/// Checks that a framework can be scored with a catalogue, without data: every indicator is
/// in the catalogue with a direction, and every normalisation has the goalposts or target it
/// needs. What `score` checks before it reads a value.
pub fn check(framework: &Framework, catalogue: &Catalogue) -> Result<()> {
    framework.check_catalogue(catalogue)?;
    Plan::compile(framework, catalogue).map(|_| ())
}

/// The data sets [`score`] computes on the way (COINr's `Raw`, `Imputed`, `Treated` and
/// `Normalised`), each a panel of the framework's indicators, for inspection and comparison
/// with other tools.
#[derive(Debug, Clone)]
pub struct DataSets {
    /// Raw values, denominated and screened (`methods.screen`).
    pub raw: Panel,
    /// After imputation (`methods.impute`).
    pub imputed: Panel,
    /// Whether each value was imputed (same layout as `imputed.values`).
    pub imputed_flags: Vec<bool>,
    /// After each indicator's transform and outlier treatment (`methods.treatment`).
    pub treated: Panel,
    /// What treatment did.
    pub treatment: TreatmentReport,
    /// Normalised values.
    pub normalised: Panel,
}

/// The data sets of [`score`] before aggregation: the same calls, stopped after
/// normalisation.
pub fn data_sets(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    observations: &Observations,
) -> Result<DataSets> {
    let base = base(framework, catalogue, cities, observations)?;
    let (imputed, imputed_flags) = impute_raw(&base, framework.methods.impute, cities);
    let transformed = transform(&imputed, &base.plan)?;
    let (treated, treatment) = treat(&transformed, &base.plan, framework.methods.bounds)?;
    let normalised = Panel {
        values: normalise(&treated, &base.plan, framework.methods.bounds)?,
        ..treated.clone()
    };
    Ok(DataSets {
        raw: base.panel,
        imputed,
        imputed_flags,
        treated,
        treatment,
        normalised,
    })
}

/// [`score`] and its [`data_sets`] in one pass (`healthy-city score` writes both): the data
/// sets are the very panels the scores were aggregated from.
pub fn score_with_data_sets(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    observations: &Observations,
) -> Result<(Results, DataSets)> {
    let base = base(framework, catalogue, cities, observations)?;
    let (imputed, imputed_flags) = impute_raw(&base, framework.methods.impute, cities);
    let prepared = Prepared {
        plan: base.plan.clone(),
        panel: transform(&imputed, &base.plan)?,
        screened: base.screened.clone(),
        imputed: imputed_flags.clone(),
    };
    let (results, _, treated, normalised) = score_keeping(framework, catalogue, cities, prepared)?;
    let sets = DataSets {
        raw: base.panel,
        imputed,
        imputed_flags,
        treatment: results.treatment.clone(),
        normalised: Panel {
            values: normalised,
            ..treated.clone()
        },
        treated,
    };
    Ok((results, sets))
}

/// Slot of the city `name` among `ids` (by id, case-insensitive), else among `names` (by
/// display name): the one lookup `Results` and the replication `Engine` share.
pub(crate) fn find_city(ids: &[String], names: &[String], name: &str) -> Option<usize> {
    ids.iter()
        .position(|c| c.eq_ignore_ascii_case(name))
        .or_else(|| names.iter().position(|c| c.eq_ignore_ascii_case(name)))
}

/// What [`validate`] found: the size of what `score` would score, for a one-line summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// Index id.
    pub index: String,
    /// Indicators of the framework.
    pub indicators: usize,
    /// Cities scored (in the panel).
    pub cities: usize,
    /// Years in the panel.
    pub years: Vec<i32>,
    /// Years with a ranking (enough cities meet the coverage rules).
    pub ranked_years: Vec<i32>,
}

/// Checks that a framework scores on the data, with every check [`score`] makes (constant
/// indicators, transforms and means outside their domains, overflowing settings and values,
/// coverage): it runs `score` itself and keeps a summary, so it cannot miss a check that
/// `score` makes, and fails with the same error where `score` would.
pub fn validate(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    observations: &Observations,
) -> Result<Validated> {
    let results = score(framework, catalogue, cities, observations)?;
    Ok(Validated {
        index: results.index_id.clone(),
        indicators: results.nodes.iter().filter(|n| n.is_indicator).count(),
        cities: results.cities.len(),
        ranked_years: (0..results.years.len())
            .filter(|&y| results.year_ranked[y])
            .map(|y| results.years[y])
            .collect(),
        years: results.years,
    })
}

/// Scores a framework on observations: normalise, aggregate up the tree, apply the coverage
/// rules, rank every node in every ranked year.
pub fn score(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    observations: &Observations,
) -> Result<Results> {
    let base = base(framework, catalogue, cities, observations)?;
    let prepared = impute_base(&base, framework.methods.impute, cities)?;
    Ok(score_prepared(framework, catalogue, cities, prepared)?.0)
}

/// [`score`] from the prepared panel: treat, normalise, derive data-driven weights, aggregate,
/// apply the coverage rules and rank. Returns the results and the plan with its derived
/// weights (the replication engine's nominal plan).
pub(crate) fn score_prepared(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    prepared: Prepared,
) -> Result<(Results, Plan)> {
    score_keeping(framework, catalogue, cities, prepared).map(|(r, p, _, _)| (r, p))
}

/// [`score_prepared`], also returning the treated panel and the normalised values it
/// aggregated (for [`score_with_data_sets`]).
fn score_keeping(
    framework: &Framework,
    catalogue: &Catalogue,
    cities: &Cities,
    prepared: Prepared,
) -> Result<(Results, Plan, Panel, Vec<f64>)> {
    let Prepared {
        mut plan,
        panel,
        screened,
        imputed,
    } = prepared;
    let (treated, treatment) = treat(&panel, &plan, framework.methods.bounds)?;
    let normalised = normalise(&treated, &plan, framework.methods.bounds)?;
    // Presence before treatment: a treatment that turns a value into NaN (Box-Cox of -inf)
    // must not make it silently missing.
    check_finite(&treated, &plan, &panel.values, &normalised)?;

    let (ny, nc, ni, nn) = (
        panel.years.len(),
        panel.n_cities(),
        panel.n_indicators(),
        plan.n_nodes(),
    );
    let mut scores = vec![f64::NAN; ny * nc * nn];
    let mut coverage = vec![0.0; ny * nc];
    let mut proxy_share = vec![0.0; ny * nc];
    let mut region_share = vec![0.0; ny * nc];
    let mut own_share = vec![0.0; ny * nc];
    let mut imputed_share = vec![0.0; ny * nc];
    let mut ranked = vec![false; ny * nc];
    let mut actual = vec![0.0; nn];
    for cell in 0..ny * nc {
        let row = &normalised[cell * ni..(cell + 1) * ni];
        for (i, &node) in plan.indicator_nodes.iter().enumerate() {
            scores[cell * nn + node] = row[i];
        }
    }
    let failed = |plan: &Plan, y: usize, f: AggregateFailure| {
        f.error(&plan.node_ids, panel.cities[f.city].clone(), panel.years[y])
    };
    let derived_weights = resolve_weights(&mut plan, &scores, nc).map_err(|f| match f {
        ResolveFailure::Aggregate(y, f) => failed(&plan, y, f),
        ResolveFailure::Pca(node) => Error::PcaWeights {
            node: plan.node_ids[node].clone(),
        },
    })?;
    let (mut noted, mut unscored) = (Vec::new(), Vec::new());
    let rules = GroupRules::new(&plan, &panel.cities, cities)?;
    let mut group_imputed = match rules {
        Some(_) => vec![false; ny * nc * nn],
        None => Vec::new(),
    };
    for y in 0..ny {
        let first = noted.len();
        if let Some(rules) = &rules {
            rules
                .aggregate_year(
                    &panel.years,
                    y,
                    &mut scores,
                    nc,
                    &mut group_imputed,
                    &mut noted,
                )
                .map_err(|f| failed(&plan, y, f))?;
        } else {
            let block = &mut scores[y * nc * nn..(y + 1) * nc * nn];
            aggregate_year_noting(&plan, block, nc, 0, &mut noted)
                .map_err(|f| failed(&plan, y, f))?;
        }
        unscored.extend(noted[first..].iter().map(|u| Unscored {
            year: y,
            city: u.city,
            node: u.node,
            child: u.child,
            value: u.value,
            aggregation: u.aggregation,
        }));
        for c in 0..nc {
            let out = &scores[(y * nc + c) * nn..(y * nc + c + 1) * nn];
            let cell = y * nc + c;
            let plan = rules.as_ref().map_or(&plan, |r| r.plan_of(c));
            let filled = group_imputed.get(cell * nn..(cell + 1) * nn);
            // Nodes an imputed group stands for: the group counts as present, its
            // indicators not again.
            let under_filled =
                |node: usize| filled.is_some_and(|f| plan.ancestors(node).any(|p| f[p]));
            let top_filled: Vec<usize> = filled.map_or_else(Vec::new, |f| {
                (0..nn).filter(|&g| f[g] && !under_filled(g)).collect()
            });
            // Folds from +0.0: an empty f64 `sum()` is -0.0, which would print as "-0.0".
            coverage[cell] = plan
                .indicator_nodes
                .iter()
                .filter(|&&node| !out[node].is_nan() && !under_filled(node))
                .map(|&node| plan.effective[node])
                .chain(top_filled.iter().map(|&g| plan.effective[g]))
                .fold(0.0, |total, w| total + w);
            actual_weights(plan, out, &mut actual);
            // The level breakdown in one pass: each weight used added to its level's share, in
            // indicator order (folded from +0.0, as above).
            let (mut own, mut region, mut national) = (0.0, 0.0, 0.0);
            for (i, &node) in plan.indicator_nodes.iter().enumerate() {
                let share = match panel.level[cell * ni + i] {
                    Level::City | Level::Metro => &mut own,
                    Level::Region => &mut region,
                    Level::National => &mut national,
                };
                *share += actual[node];
            }
            (own_share[cell], region_share[cell], proxy_share[cell]) = (own, region, national);
            imputed_share[cell] = plan
                .indicator_nodes
                .iter()
                .enumerate()
                .filter(|&(i, &node)| imputed[cell * ni + i] && !under_filled(node))
                .map(|(_, &node)| actual[node])
                .chain(top_filled.iter().map(|&g| actual[g]))
                .fold(0.0, |total, w| total + w);
            ranked[cell] = !screened[cell]
                && !out[plan.root].is_nan()
                && coverage[cell] + 1e-12 >= framework.coverage.city_min_share;
        }
    }
    let year_ranked: Vec<bool> = (0..ny)
        .map(|y| {
            let n = (0..nc).filter(|&c| ranked[y * nc + c]).count();
            n >= 2 && n as f64 >= framework.coverage.year_min_share * nc as f64
        })
        .collect();
    let mut ranks = vec![None; ny * nc * nn];
    let (mut column, mut rounded, mut order, mut ranked_column) = (
        vec![f64::NAN; nc],
        vec![f64::NAN; nc],
        vec![0; nc],
        vec![None; nc],
    );
    for y in (0..ny).filter(|&y| year_ranked[y]) {
        for node in 0..nn {
            for c in 0..nc {
                column[c] = if ranked[y * nc + c] {
                    scores[(y * nc + c) * nn + node]
                } else {
                    f64::NAN
                };
            }
            rank_into(
                &column,
                framework.methods.round,
                &mut rounded,
                &mut order,
                &mut ranked_column,
            );
            for (c, &r) in ranked_column.iter().enumerate() {
                ranks[(y * nc + c) * nn + node] = r;
            }
        }
    }

    let nodes = framework
        .nodes()
        .iter()
        .map(|n| NodeInfo {
            id: n.id.clone(),
            name: n
                .name
                .clone()
                .or_else(|| catalogue.get(&n.id).map(|i| i.name.clone()))
                .unwrap_or_else(|| n.id.clone()),
            is_indicator: n.is_indicator(),
            parent: n.parent.as_deref().and_then(|p| framework.index_of(p)),
        })
        .collect();
    let city_names = panel
        .cities
        .iter()
        .map(|id| {
            cities
                .get(id)
                .map_or_else(|| id.clone(), |c| c.name.clone())
        })
        .collect();
    let effective_weights = effective_weight_table(&plan);
    let results = Results {
        index_id: framework.id.clone(),
        index_name: framework.name.clone(),
        units: framework.units.clone(),
        cities: panel.cities,
        city_names,
        years: panel.years,
        nodes,
        root: plan.root,
        scores,
        ranks,
        coverage,
        proxy_share,
        region_share,
        own_share,
        imputed,
        imputed_share,
        levels: panel.level,
        ranked,
        treatment,
        year_ranked,
        city_min_share: framework.coverage.city_min_share,
        year_min_share: framework.coverage.year_min_share,
        screened,
        screen_min_share: framework.methods.screen.map(|s| s.min_share),
        derived_weights,
        effective_weights,
        round: framework.methods.round,
        scale: framework.methods.scale,
        unscored,
        group_imputed,
    };
    Ok((results, plan, treated, normalised))
}

/// COINr `Screen(unit_screen = "byNA", dat_thresh = t)`, year by year on raw values: a city
/// whose share of the framework's indicators with a value is below `t` is screened out of the
/// year, its values cleared so that it does not enter imputation, treatment or normalisation
/// statistics. Returns `[year][city]` flags (all false without screening).
fn screen(panel: &mut Panel, screen: Option<Screen>) -> Vec<bool> {
    let (nc, ni) = (panel.n_cities(), panel.n_indicators());
    let mut screened = vec![false; panel.years.len() * nc];
    let Some(screen) = screen else {
        return screened;
    };
    for (cell, flag) in screened.iter_mut().enumerate() {
        let row = &mut panel.values[cell * ni..(cell + 1) * ni];
        let available = row.iter().filter(|v| !v.is_nan()).count();
        // Kept when available / n >= t, as COINr; 1e-12 absorbs 0.1-type rounding.
        if (available as f64) / (ni as f64) + 1e-12 < screen.min_share {
            *flag = true;
            row.fill(f64::NAN);
        }
    }
    screened
}

/// Clears screened city-years again after imputation, with their imputation flags.
fn clear_screened(panel: &mut Panel, screened: &[bool], imputed: &mut [bool]) {
    let ni = panel.n_indicators();
    for (cell, _) in screened.iter().enumerate().filter(|(_, &s)| s) {
        panel.values[cell * ni..(cell + 1) * ni].fill(f64::NAN);
        imputed[cell * ni..(cell + 1) * ni].fill(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthy_city_model::Aggregation;

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
level = "national"
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
[[group]]
id = "index"
[[group]]
id = "health"
parent = "index"
weight = 2
[[group]]
id = "air"
parent = "index"
[[indicator]]
id = "life"
parent = "health"
[[indicator]]
id = "pm25"
parent = "air"
weight = 3
[[indicator]]
id = "no2"
parent = "air"
"#;

    // A: life 80, pm25 10, no2 20; B: 70, 20, 40; C: 75, 30, (missing). Life is a proxy.
    const DATA: &str = "city,indicator,year,value,source,flag
a,life,2019,80,s,proxy
a,pm25,2019,10,s,
a,no2,2019,20,s,
b,life,2019,70,s,proxy
b,pm25,2019,20,s,
b,no2,2019,40,s,
c,life,2019,75,s,proxy
c,pm25,2019,30,s,
";

    fn run(framework: &str, data: &str) -> Result<Results> {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        let framework = Framework::parse(framework, "small.toml").unwrap();
        let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
        score(&framework, &catalogue, &cities, &observations)
    }

    fn node(r: &Results, id: &str) -> usize {
        r.nodes.iter().position(|n| n.id == id).unwrap()
    }

    // Tolerance 1e-12: the hand computations below are exact in decimal.
    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn the_level_breakdown_is_computed_from_the_weights_used_as_by_hand() {
        // Effective weights: life 2/3, pm25 1/4, no2 1/12. The `level` column says where each
        // value was measured; `proxy` without a level is national.
        let data = "city,indicator,year,value,source,flag,level
a,life,2019,80,s,,region
a,pm25,2019,10,s,,metro
a,no2,2019,20,s,proxy,
b,life,2019,70,s,,national
b,pm25,2019,20,s,,city
b,no2,2019,40,s,,region
c,life,2019,75,s,,region
c,pm25,2019,30,s,,city
";
        let r = run(FRAMEWORK, data).unwrap();
        // A: region 2/3 (life), national 1/12 (no2), own 1/4 (pm25 at metro level).
        close(r.region_share(0, 0), 2.0 / 3.0);
        close(r.proxy_share(0, 0), 1.0 / 12.0);
        close(r.own_share(0, 0), 1.0 / 4.0);
        // B: national 2/3, region 1/12, own 1/4.
        close(r.proxy_share(0, 1), 2.0 / 3.0);
        close(r.region_share(0, 1), 1.0 / 12.0);
        close(r.own_share(0, 1), 1.0 / 4.0);
        // C lacks no2: air is pm25 alone, so the weights used are life 2/3 and pm25 1/3.
        close(r.region_share(0, 2), 2.0 / 3.0);
        close(r.proxy_share(0, 2), 0.0);
        close(r.own_share(0, 2), 1.0 / 3.0);
        // A level the file misspells is refused with the row named.
        let bad = data.replace("10,s,,metro", "10,s,,metropolitan");
        let err = Observations::from_csv(bad.as_bytes(), "obs.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("obs.csv:3"), "{err}");
        assert!(
            err.contains(
                "unknown level `metropolitan`: use `city`, `metro`, `region` or `national`"
            ),
            "{err}"
        );
    }

    #[test]
    fn scores_a_small_framework_as_computed_by_hand() {
        let r = run(FRAMEWORK, DATA).unwrap();
        let (air, health, index) = (node(&r, "air"), node(&r, "health"), node(&r, "index"));
        // life min-max: A 100, B 0, C 50. pm25 reversed: A 100, B 50, C 0. no2: A 100, B 0.
        // air = (3 pm25 + 1 no2) / 4, C skips its missing no2: A 100, B 37.5, C 0.
        close(r.score(0, 0, air), 100.0);
        close(r.score(0, 1, air), 37.5);
        close(r.score(0, 2, air), 0.0);
        close(r.score(0, 2, health), 50.0);
        // index = (2 health + 1 air) / 3: A 100, B 12.5, C 33.333...
        close(r.score(0, 0, index), 100.0);
        close(r.score(0, 1, index), 12.5);
        close(r.score(0, 2, index), 100.0 / 3.0);
        assert_eq!(r.trajectory(0), [(2019, Some(1), 3)]);
        assert_eq!(r.rank(0, 1, index), Some(3));
        assert_eq!(r.rank(0, 2, index), Some(2));
        // Ranks per node too: on air, A 1, B 2, C 3.
        assert_eq!(r.rank(0, 2, air), Some(3));
        // Coverage: effective weights life 2/3, pm25 1/4, no2 1/12; C lacks no2.
        close(r.coverage(0, 2), 11.0 / 12.0);
        close(r.coverage(0, 0), 1.0);
        // Life, a proxy, carries 2/3 of every city's score.
        close(r.proxy_share(0, 0), 2.0 / 3.0);
        close(r.proxy_share(0, 2), 2.0 / 3.0);
    }

    #[test]
    fn a_rounding_framework_writes_the_score_it_ranked() {
        let framework = FRAMEWORK.replace("[methods]\n", "[methods]\nround = 0\n");
        let r = run(&framework, DATA).unwrap();
        let index = node(&r, "index");
        assert_eq!(r.round, Some(0));
        assert_eq!(r.scale, [0.0, 100.0]);
        // Index as in the hand computation above: A 100, B 12.5, C 33.333...; rounded to 0
        // decimals half away from zero: 100, 13, 33 (exact).
        assert_eq!(r.ranked_score(0, 0, index), 100.0);
        assert_eq!(r.ranked_score(0, 1, index), 13.0);
        assert_eq!(r.ranked_score(0, 2, index), 33.0);
        close(r.score(0, 1, index), 12.5);
        // Without round, the ranked score is the score.
        let r = run(FRAMEWORK, DATA).unwrap();
        assert_eq!(r.round, None);
        assert_eq!(r.ranked_score(0, 1, index), 12.5);
    }

    #[test]
    fn a_city_below_the_coverage_threshold_is_not_ranked() {
        let framework = FRAMEWORK.replace(
            "[methods]\n",
            "[coverage]\ncity_min_share = 0.95\n[methods]\n",
        );
        let r = run(&framework, DATA).unwrap();
        let index = node(&r, "index");
        assert_eq!(r.rank(0, 0, index), Some(1));
        assert_eq!(r.rank(0, 1, index), Some(2));
        assert_eq!(r.rank(0, 2, index), None);
        assert_eq!(r.n_ranked(0), 2);
    }

    #[test]
    fn geometric_mean_on_a_positive_scale_matches_the_closed_form() {
        let framework = FRAMEWORK
            .replace("scale = [0, 100]", "scale = [1, 100]")
            .replace(
                "[[group]]\nid = \"index\"\n",
                "[[group]]\nid = \"index\"\naggregation = \"geometric\"\n",
            );
        let r = run(&framework, DATA).unwrap();
        let index = node(&r, "index");
        // B: life 1, air (3 * 50.5 + 1) / 4 = 38.125; index = 1^(2/3) * 38.125^(1/3).
        close(r.score(0, 1, index), 38.125f64.powf(1.0 / 3.0));
        // C: life 50.5, air 1 (pm25 only); index = 50.5^(2/3).
        close(r.score(0, 2, index), 50.5f64.powf(2.0 / 3.0));
    }

    /// The small framework with a geometric index: by hand (see above) health A 100, B 0,
    /// C 50 and air A 100, B 37.5, C 0, so B's and C's index cannot be a geometric mean.
    fn geometric(extra: &str) -> String {
        FRAMEWORK.replace(
            "[[group]]\nid = \"index\"\n",
            &format!("[[group]]\nid = \"index\"\naggregation = \"geometric\"\n{extra}"),
        )
    }

    #[test]
    fn geometric_mean_of_a_zero_names_node_city_and_fix_under_nonpositive_error() {
        let framework =
            geometric("").replace("[methods]\n", "[methods]\nnonpositive = \"error\"\n");
        let err = run(&framework, DATA).unwrap_err().to_string();
        assert_eq!(err, "geometric mean of `index` for city `b` in 2019: child `health` is 0, and a geometric mean needs positive values; normalise to a strictly positive scale such as `scale = [1, 100]`, or set `nonpositive = \"unscored\"` (leave such a city-year without a score, as publishers do) in `[methods]` or on the group");
        // The group's own setting overrides [methods].
        let err = run(&geometric("nonpositive = \"error\"\n"), DATA)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("geometric mean of `index` for city `b`"),
            "{err}"
        );
    }

    #[test]
    fn a_zero_under_a_geometric_mean_leaves_only_that_city_year_unscored_by_default() {
        let r = run(&geometric(""), DATA).unwrap();
        let index = node(&r, "index");
        // A: 100^(2/3) * 100^(1/3) = 100 (to 1e-12); B and C unscored, with the reason.
        close(r.score(0, 0, index), 100.0);
        assert!(r.score(0, 1, index).is_nan() && r.score(0, 2, index).is_nan());
        assert_eq!(
            (r.rank(0, 1, index), r.ranked[1], r.ranked[2]),
            (None, false, false)
        );
        let why: Vec<(usize, &str, &str, f64)> = r
            .unscored
            .iter()
            .map(|u| {
                (
                    u.city,
                    r.nodes[u.node].id.as_str(),
                    r.nodes[u.child].id.as_str(),
                    u.value,
                )
            })
            .collect();
        assert_eq!(why, [(1, "index", "health", 0.0), (2, "index", "air", 0.0)]);
        // The groups below keep their scores: B's air 37.5, C's health 50.
        close(r.score(0, 1, node(&r, "air")), 37.5);
        close(r.score(0, 2, node(&r, "health")), 50.0);
    }

    #[test]
    fn a_group_left_unscored_leaves_every_group_above_it_unscored_whatever_missing_says() {
        // Air geometric: B's no2 is 0 and C's pm25 is 0, so air is unscored for both; the
        // arithmetic index above would skip a missing air, but an unscored one is not missing.
        let framework = FRAMEWORK.replace(
            "[[group]]\nid = \"air\"\n",
            "[[group]]\nid = \"air\"\naggregation = \"geometric\"\n",
        );
        let r = run(&framework, DATA).unwrap();
        let (index, air) = (node(&r, "index"), node(&r, "air"));
        assert!(r.score(0, 1, air).is_nan() && r.score(0, 1, index).is_nan());
        assert!(r.score(0, 2, index).is_nan());
        close(r.score(0, 0, index), 100.0);
        assert_eq!(r.unscored.len(), 2);
    }

    #[test]
    fn an_offset_is_added_to_every_child_before_the_geometric_mean() {
        let r = run(&geometric("nonpositive = { offset = 1 }\n"), DATA).unwrap();
        let index = node(&r, "index");
        // Weights health 2/3, air 1/3: A 101^(2/3) 101^(1/3) = 101; B 1^(2/3) 38.5^(1/3);
        // C 51^(2/3) 1^(1/3). Tolerance 1e-12 (one exp and ln each).
        close(r.score(0, 0, index), 101.0);
        close(r.score(0, 1, index), 38.5f64.powf(1.0 / 3.0));
        close(r.score(0, 2, index), 51f64.powf(2.0 / 3.0));
        assert!(r.unscored.is_empty());
        // An offset on an arithmetic group changes nothing: the health group's score is life's.
        let arithmetic =
            FRAMEWORK.replace("[methods]\n", "[methods]\nnonpositive = { offset = 1 }\n");
        let r = run(&arithmetic, DATA).unwrap();
        close(r.score(0, 1, node(&r, "index")), 12.5);
    }

    /// Scores a framework and data given in memory: the model crate's readers reject huge
    /// weights and values, but frameworks built in memory or imported do not pass them.
    fn run_in_memory(
        framework: &str,
        weights: &[(&str, f64)],
        values: &[(&str, &str, f64)],
    ) -> Result<Results> {
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        let mut framework = Framework::parse(framework, "small.toml").unwrap();
        for &(id, w) in weights {
            let slot = framework.index_of(id).unwrap();
            framework.set_weight(slot, w);
        }
        let observations = Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap();
        let rows = observations
            .rows()
            .iter()
            .cloned()
            .map(|mut o| {
                if let Some(&(_, _, v)) = values
                    .iter()
                    .find(|(c, i, _)| *c == o.city && *i == o.indicator)
                {
                    o.value = v;
                }
                o
            })
            .collect();
        let observations = Observations::from_rows(rows, "obs.csv");
        score(&framework, &catalogue, &cities, &observations)
    }

    fn generalised(p: f64) -> String {
        FRAMEWORK.replace(
            "[[group]]\nid = \"index\"\n",
            &format!("[[group]]\nid = \"index\"\naggregation = {{ method = \"generalised\", p = {p} }}\n"),
        )
    }

    /// p = 400 overflowed (`100^400` is inf) and gave infinite scores; scaled by the largest
    /// child it is finite. Hand computation: index = m ((2 (h/m)^p + (a/m)^p) / 3)^(1/p) with
    /// health h (weight 2) and air a (weight 1). Tolerance 1e-12 relative.
    #[test]
    fn a_generalised_mean_of_power_400_or_minus_400_is_finite_and_exact() {
        assert!(100f64.powf(400.0).is_infinite());
        let r = run(&generalised(400.0), DATA).unwrap();
        let index = node(&r, "index");
        let rel = |a: f64, b: f64| assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} != {b}");
        // A: 100, 100. B: h 0, a 37.5: 37.5 (1/3)^(1/400). C: h 50, a 0: 50 (2/3)^(1/400).
        rel(r.score(0, 0, index), 100.0);
        rel(
            r.score(0, 1, index),
            37.5 * (1.0f64 / 3.0).powf(1.0 / 400.0),
        );
        rel(
            r.score(0, 2, index),
            50.0 * (2.0f64 / 3.0).powf(1.0 / 400.0),
        );
        // For a large p the mean tends to the largest child: within 0.3% of it here.
        assert!(r.score(0, 2, index) < 50.0 && r.score(0, 2, index) > 50.0 * 0.998);
        // p = -400 needs positive children: scale [1, 100]. B: h 1, a 38.125:
        // 1 ((2 + (38.125)^-400) / 3)^(-1/400) = (3/2)^(1/400) up to 38.125^-400 (1e-632).
        let framework = generalised(-400.0).replace("scale = [0, 100]", "scale = [1, 100]");
        let r = run(&framework, DATA).unwrap();
        rel(r.score(0, 1, index), 1.5f64.powf(1.0 / 400.0));
        // C: h 50.5, a 1 (pm25 only, its worst): 1 ((2 (50.5)^-400 + 1) / 3)^(-1/400).
        rel(r.score(0, 2, index), 3f64.powf(1.0 / 400.0));
        // The mean tends to the smallest child as p -> -inf.
        assert!(r.score(0, 2, index) > 1.0 && r.score(0, 2, index) < 1.003);
    }

    /// Five (here two) weights of 1e308 summed to inf and nothing was ranked; only ratios of
    /// weights matter, so they score as equal weights: index = (health + air) / 2.
    #[test]
    fn weights_of_1e308_score_as_equal_weights() {
        let r = run_in_memory(FRAMEWORK, &[("health", 1e308), ("air", 1e308)], &[]).unwrap();
        let index = node(&r, "index");
        // A 100; B (0 + 37.5) / 2; C (50 + 0) / 2.
        close(r.score(0, 0, index), 100.0);
        close(r.score(0, 1, index), 18.75);
        close(r.score(0, 2, index), 25.0);
        assert_eq!(r.rank(0, 2, index), Some(2));
        // 1e308 against 1: the small weight is 1e-308 of the total; index = health.
        let r = run_in_memory(FRAMEWORK, &[("health", 1e308)], &[]).unwrap();
        close(r.score(0, 1, index), 0.0);
        close(r.score(0, 2, index), 50.0);
        // Tiny weights: only ratios count (3e-300 : 1e-300 is 3 : 1).
        let r = run_in_memory(FRAMEWORK, &[("pm25", 3e-300), ("no2", 1e-300)], &[]).unwrap();
        close(r.score(0, 1, node(&r, "air")), 37.5);
    }

    #[test]
    fn an_infinite_nan_or_negative_weight_is_an_error_naming_the_node() {
        for w in [f64::INFINITY, f64::NAN, -1.0] {
            let err = run_in_memory(FRAMEWORK, &[("air", w)], &[])
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("the weight of node `air` in group `index` is {w}")),
                "{err}"
            );
            assert!(err.contains("fix `weight` of `air`"), "{err}");
        }
    }

    #[test]
    fn a_generalised_power_of_0_or_nan_in_memory_is_an_error_naming_the_group() {
        for p in [0.0, f64::NAN] {
            let mut framework = Framework::parse(FRAMEWORK, "small.toml").unwrap();
            framework.methods.aggregation = Aggregation::Generalised { p };
            let err = score(
                &framework,
                &Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap(),
                &Cities::parse(CITIES, "cities.toml").unwrap(),
                &Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap(),
            )
            .unwrap_err()
            .to_string();
            assert!(err.starts_with("the aggregation of group `"), "{err}");
            assert!(
                err.contains(&format!("p = {p} must be a finite number other than 0")),
                "{err}"
            );
        }
    }

    /// Values of 1e308 and -1e308 made the min-max range infinite, and every other city 0
    /// (Paris moved from 16th to 3rd): now an error naming the indicator, city and year.
    #[test]
    fn values_whose_range_overflows_are_an_error_not_a_wrong_ranking() {
        let err = run_in_memory(
            FRAMEWORK,
            &[],
            &[("a", "life", 1e308), ("b", "life", -1e308)],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "indicator `life`: the range (largest minus smallest value) of its values in 2019 is inf, too large to compute for minmax normalisation; check its values (and goalposts or target), or use rank normalisation"
        );
        // The same for a z-score whose sum of squares overflows (values of +-1e200).
        let framework = FRAMEWORK.replace("[methods]\n", "[methods]\nnormalisation = \"zscore\"\n");
        let err = run_in_memory(
            &framework,
            &[],
            &[("a", "life", 1e200), ("b", "life", -1e200)],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "indicator `life`: the standard deviation of its values in 2019 is inf"
            ),
            "{err}"
        );
        // Ratios to a best value near 0 overflow: fracmax of life, best 1e-320, and a value
        // of -1e300 gives -1e300 / 1e-320 = -inf.
        let framework =
            FRAMEWORK.replace("[methods]\n", "[methods]\nnormalisation = \"fracmax\"\n");
        let err = run_in_memory(
            &framework,
            &[],
            &[
                ("a", "life", 1e-320),
                ("b", "life", -1e300),
                ("c", "life", -1.0),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("the normalised value of indicator `life` (fracmax normalisation, none treatment) for city `b` in 2019 is -inf"),
            "{err}"
        );
    }

    /// A treatment that turns a present value into NaN (Box-Cox of a value of -inf, from
    /// data built in memory) is an error, not a silently missing value (the replication
    /// engine refused it while `score` dropped it).
    #[test]
    fn a_value_the_treatment_turns_into_nan_is_an_error_not_missing() {
        let framework = FRAMEWORK.replace(
            "[methods]\n",
            "[methods]\nnormalisation = \"rank\"\ntreatment = { method = \"boxcox\", lambda = -3 }\n",
        );
        let err = run_in_memory(&framework, &[], &[("c", "life", f64::NEG_INFINITY)])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the normalised value of indicator `life` (rank normalisation, boxcox treatment) for city `c` in 2019 is NaN"),
            "{err}"
        );
    }

    /// An overflow inside a mean is an error naming the group, city and year. Fracmax of
    /// life with best 1e-300 gives B -1e8 / 1e-300 = -1e308 (finite); the index's arithmetic
    /// mean then adds 2 x -1e308 = -inf.
    #[test]
    fn an_overflowing_mean_names_the_group_city_and_year() {
        let framework =
            FRAMEWORK.replace("[methods]\n", "[methods]\nnormalisation = \"fracmax\"\n");
        let err = run_in_memory(
            &framework,
            &[],
            &[
                ("a", "life", 1e-300),
                ("b", "life", -1e8),
                ("c", "life", -1.0),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "the arithmetic mean of `index` for city `b` in 2019 is NaN, not a finite number"
            ) || err.starts_with(
                "the arithmetic mean of `index` for city `b` in 2019 is -inf, not a finite number"
            ),
            "{err}"
        );
        assert!(err.contains("give `index` smaller weights"), "{err}");
    }

    #[test]
    fn one_pass_gives_the_scores_of_score_and_the_data_sets_of_data_sets_to_the_bit() {
        let framework = Framework::parse(
            &FRAMEWORK.replace("[methods]\n", "[methods]\nimpute = \"mean\"\n"),
            "small.toml",
        )
        .unwrap();
        let catalogue = Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap();
        let cities = Cities::parse(CITIES, "cities.toml").unwrap();
        let observations = Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap();
        let (results, sets) =
            score_with_data_sets(&framework, &catalogue, &cities, &observations).unwrap();
        let alone = score(&framework, &catalogue, &cities, &observations).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&results.scores), bits(&alone.scores));
        assert_eq!(results.ranks, alone.ranks);
        let expected = data_sets(&framework, &catalogue, &cities, &observations).unwrap();
        for (ours, theirs) in [
            (&sets.raw, &expected.raw),
            (&sets.imputed, &expected.imputed),
            (&sets.treated, &expected.treated),
            (&sets.normalised, &expected.normalised),
        ] {
            assert_eq!(bits(&ours.values), bits(&theirs.values));
        }
        assert_eq!(sets.imputed_flags, expected.imputed_flags);
        // The mean filled C's missing no2 (of 20 and 40): 30.
        assert!(sets.imputed_flags.contains(&true));
    }

    #[test]
    fn validate_fails_with_the_message_of_score_and_summarises_what_scores() {
        let framework = geometric("nonpositive = \"error\"\n");
        let inputs = (
            Framework::parse(&framework, "small.toml").unwrap(),
            Catalogue::parse(CATALOGUE, "catalogue.toml").unwrap(),
            Cities::parse(CITIES, "cities.toml").unwrap(),
            Observations::from_csv(DATA.as_bytes(), "obs.csv").unwrap(),
        );
        let validated = validate(&inputs.0, &inputs.1, &inputs.2, &inputs.3)
            .unwrap_err()
            .to_string();
        let scored = score(&inputs.0, &inputs.1, &inputs.2, &inputs.3)
            .unwrap_err()
            .to_string();
        assert_eq!(validated, scored);
        assert!(validated.contains("child `health` is 0"), "{validated}");
        let ok = validate(
            &Framework::parse(FRAMEWORK, "small.toml").unwrap(),
            &inputs.1,
            &inputs.2,
            &inputs.3,
        )
        .unwrap();
        assert_eq!(
            ok,
            Validated {
                index: String::from("small"),
                indicators: 3,
                cities: 3,
                years: vec![2019],
                ranked_years: vec![2019],
            }
        );
    }

    #[test]
    fn panel_bounds_keep_scores_comparable_across_years() {
        let data = "city,indicator,year,value,source,flag
a,life,2018,70,s,
b,life,2018,73,s,
a,life,2019,76,s,
b,life,2019,79,s,
";
        let r = run(FRAMEWORK, data).unwrap();
        let life = node(&r, "life");
        // Bounds over both years: 70..79.
        close(r.score(0, 0, life), 0.0);
        close(r.score(0, 1, life), 100.0 / 3.0);
        close(r.score(1, 0, life), 200.0 / 3.0);
        close(r.score(1, 1, life), 100.0);
        // Per-year bounds rescale every year to 0..100.
        let per_year = FRAMEWORK.replace("scale = [0, 100]", "scale = [0, 100]\nbounds = \"year\"");
        let r = run(&per_year, data).unwrap();
        close(r.score(1, 0, life), 0.0);
        close(r.score(1, 1, life), 100.0);
    }

    #[test]
    fn goalposts_clip_and_reverse_for_lower_is_better() {
        let framework = FRAMEWORK.replace(
            "id = \"pm25\"\nparent = \"air\"",
            "id = \"pm25\"\nparent = \"air\"\nnormalisation = \"goalposts\"\ngoalposts = [5, 25]",
        );
        let r = run(&framework, DATA).unwrap();
        let pm25 = node(&r, "pm25");
        // (25 - x) / 20, clipped: A 10 -> 75, B 20 -> 25, C 30 -> 0 (clipped).
        close(r.score(0, 0, pm25), 75.0);
        close(r.score(0, 1, pm25), 25.0);
        close(r.score(0, 2, pm25), 0.0);
    }

    #[test]
    fn a_constant_indicator_is_an_error_naming_it() {
        let data = DATA
            .replace("b,life,2019,70", "b,life,2019,80")
            .replace("c,life,2019,75", "c,life,2019,80");
        let err = run(FRAMEWORK, &data).unwrap_err().to_string();
        assert_eq!(err, "indicator `life` has the same value (80) for every city in every year: min-max normalisation divides by zero; remove the indicator or use goalposts");
    }

    #[test]
    fn a_log_of_zero_names_city_indicator_and_year() {
        let framework = FRAMEWORK.replace(
            "id = \"no2\"\nparent = \"air\"",
            "id = \"no2\"\nparent = \"air\"\ntransform = \"ln\"",
        );
        let data = DATA.replace("b,no2,2019,40", "b,no2,2019,0");
        let err = run(&framework, &data).unwrap_err().to_string();
        assert_eq!(err, "cannot apply `ln` to indicator `no2` for city `b` in 2019: value 0 is outside its domain (values must be > 0); drop the transform or fix the value");
    }

    #[test]
    fn imputed_values_are_flagged_and_their_share_reported() {
        let framework = FRAMEWORK.replace("[methods]\n", "[methods]\nimpute = \"mean\"\n");
        let r = run(&framework, DATA).unwrap();
        let (no2, air) = (2, node(&r, "air"));
        // C's no2 becomes the mean of A and B, 30, then normalises to 50 on 20..40 reversed.
        assert!(r.is_imputed(0, 2, no2));
        assert!(!r.is_imputed(0, 0, no2));
        close(r.score(0, 2, node(&r, "no2")), 50.0);
        close(r.score(0, 2, air), (3.0 * 0.0 + 50.0) / 4.0);
        // no2 carries 1/12 of C's index; the proxy share (life, 2/3) is unchanged.
        close(r.imputed_share(0, 2), 1.0 / 12.0);
        close(r.imputed_share(0, 0), 0.0);
        close(r.proxy_share(0, 2), 2.0 / 3.0);
    }

    #[test]
    fn the_ranking_does_not_depend_on_row_order() {
        let mut lines: Vec<&str> = DATA.lines().collect();
        let header = lines.remove(0);
        lines.reverse();
        let shuffled = format!("{header}\n{}\n", lines.join("\n"));
        let (a, b) = (
            run(FRAMEWORK, DATA).unwrap(),
            run(FRAMEWORK, &shuffled).unwrap(),
        );
        assert_eq!(a.ranks, b.ranks);
    }

    #[test]
    fn a_cross_city_group_feeds_an_ordinary_parent() {
        let framework = FRAMEWORK.replace(
            "id = \"air\"\nparent = \"index\"\n",
            "id = \"air\"\nparent = \"index\"\naggregation = \"copeland\"\n",
        );
        let r = run(&framework, DATA).unwrap();
        let (air, index) = (node(&r, "air"), node(&r, "index"));
        // pm25 (w 3) A 100, B 50, C 0; no2 (w 1) A 100, B 0, C missing. A beats B and C,
        // B beats C (on pm25, the only child both have): A 2, B 0, C -2.
        close(r.score(0, 0, air), 2.0);
        close(r.score(0, 1, air), 0.0);
        close(r.score(0, 2, air), -2.0);
        // index = (2 health + air) / 3 with health A 100, B 0, C 50.
        close(r.score(0, 0, index), 202.0 / 3.0);
        close(r.score(0, 2, index), 98.0 / 3.0);
        assert_eq!(r.rank(0, 1, index), Some(3));
    }

    /// COINr's reference iData (one year, 2020) as cities, catalogue, framework (weights 1,
    /// min-max 0-100, `methods` lines added) and observations, skipping the cities in `drop`.
    fn coinr_run(methods: &str, drop: &[&str]) -> Option<Results> {
        use std::fmt::Write as _;
        let dir = crate::reference::coinr_dir()?;
        let raw = crate::reference::read(&dir.join("iData.csv"));
        let codes = &raw.header[3..];
        let (mut cities, mut catalogue, mut data) = (
            String::new(),
            String::new(),
            String::from("city,indicator,year,value,source,flag\n"),
        );
        let mut framework = format!("[index]\nid = \"coinr\"\nname = \"COINr\"\n[methods]\n{methods}\n[[group]]\nid = \"index\"\n");
        for code in codes {
            let id = code.to_lowercase();
            write!(
                framework,
                "[[indicator]]\nid = \"{id}\"\nparent = \"index\"\n"
            )
            .unwrap();
            write!(catalogue, "[[indicator]]\nid = \"{id}\"\nname = \"{code}\"\nunit = \"u\"\ndirection = \"higher\"\nlevel = \"city\"\nsource = {{ adapter = \"x\", publisher = \"p\", dataset = \"d\", release = \"r\", licence = \"l\", query = \"q\" }}\n").unwrap();
        }
        for (r, row) in raw.rows.iter().enumerate() {
            let id = row[0].to_lowercase();
            write!(cities, "[[city]]\nid = \"{id}\"\nname = \"{}\"\ncountry = \"XXX\"\nregion = \"R\"\nlatitude = 0.0\nlongitude = 0.0\n", row[1]).unwrap();
            if drop.contains(&row[0].as_str()) {
                continue;
            }
            for (k, code) in codes.iter().enumerate() {
                let value = raw.number(r, k + 3);
                if !value.is_nan() {
                    writeln!(data, "{id},{},2020,{value},s,", code.to_lowercase()).unwrap();
                }
            }
        }
        let cities = Cities::parse(&cities, "cities.toml").unwrap();
        let catalogue = Catalogue::parse(&catalogue, "catalogue.toml").unwrap();
        let framework = Framework::parse(&framework, "coinr.toml").unwrap();
        let observations = Observations::from_csv(data.as_bytes(), "obs.csv").unwrap();
        Some(score(&framework, &catalogue, &cities, &observations).unwrap())
    }

    /// COINr `Screen(dset = "Raw", unit_screen = "byNA", dat_thresh = 0.8)` removes BJS
    /// (7/10) only (`default_build/extra_screen_on_Raw_removed_units.csv`); OSA and SZX (8/10)
    /// stay. The screened city does not enter the min-max bounds: every other city scores as if
    /// BJS had no data at all (tolerance 0: the same arithmetic on the same values).
    #[test]
    fn screening_by_na_matches_coinr_and_keeps_the_city_out_of_the_bounds() {
        let Some(r) = coinr_run("screen = { min_share = 0.8 }", &[]) else {
            return;
        };
        let dir = crate::reference::coinr_dir().unwrap();
        let removed = crate::reference::read(
            &dir.join("default_build/extra_screen_on_Raw_removed_units.csv"),
        );
        let expected: Vec<String> = removed
            .rows
            .iter()
            .map(|row| row[0].to_lowercase())
            .collect();
        assert_eq!(r.screened_out(0), expected);
        assert_eq!(r.screened_out(0), ["bjs"]);
        assert_eq!(r.screen_min_share, Some(0.8));
        let bjs = r.city_slot("bjs").unwrap();
        assert!(!r.is_ranked(0, bjs));
        assert!((0..r.nodes.len()).all(|n| r.score(0, bjs, n).is_nan()));
        assert_eq!(r.n_ranked(0), 54);
        let without = coinr_run("", &["BJS"]).unwrap();
        assert!(without.screened_out(0).is_empty());
        for c in (0..r.cities.len()).filter(|&c| c != bjs) {
            let w = without.city_slot(&r.cities[c]).unwrap();
            for n in 0..r.nodes.len() {
                let what = format!("{} {}", r.cities[c], r.nodes[n].id);
                assert_eq!(
                    r.score(0, c, n).to_bits(),
                    without.score(0, w, n).to_bits(),
                    "{what}"
                );
            }
            assert_eq!(r.rank(0, c, r.root), without.rank(0, w, r.root));
        }
        // Without screening BJS is scored (skip-NA) and ranked.
        let unscreened = coinr_run("", &[]).unwrap();
        assert!(unscreened.is_ranked(0, bjs));
        // Screening runs on raw values, before imputation: imputing does not rescue BJS.
        let imputed = coinr_run("impute = \"mean\"\nscreen = { min_share = 0.8 }", &[]).unwrap();
        assert_eq!(imputed.screened_out(0), ["bjs"]);
        assert!((0..10).all(|i| !imputed.is_imputed(0, bjs, i)));
    }
}
