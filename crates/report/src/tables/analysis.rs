//! The analyses' tables: compare, uncertainty and its runs log, sensitivity, path to first and
//! the weight map, each as the file writes it and as the terminal shows it.

use healthy_city_model::Catalogue;
use healthy_city_score::{
    Comparison, Config, Engine, Factor, PathStep, PathToFirst, RankStats, SobolIndex, WeightCell,
};

use crate::table::{Cell, Column, Table};

/// The cities a comparison ranks under at least one scenario, by nominal rank (the first
/// scenario; unranked there last), then city slot.
fn compare_order(cmp: &Comparison) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cmp.cities.len())
        .filter(|&c| cmp.ranks[c].iter().any(Option::is_some))
        .collect();
    order.sort_by_key(|&c| (cmp.ranks[c][0].unwrap_or(u32::MAX), c));
    order
}

/// `compare.csv`: `city,name`, one rank column per scenario (empty: not ranked) and
/// `largest_shift`.
pub fn compare_table(cmp: &Comparison) -> Table {
    let mut columns = vec![Column::new("city"), Column::new("name")];
    columns.extend(cmp.scenarios.iter().map(Column::new));
    columns.push(Column::new("largest_shift"));
    let mut table = Table::new(columns);
    for c in compare_order(cmp) {
        let mut row: Vec<Cell> = vec![(&cmp.cities[c]).into(), (&cmp.names[c]).into()];
        row.extend(cmp.ranks[c].iter().map(|&r| Cell::int_or_empty(r)));
        row.push(Cell::int_or_empty(cmp.shift(c)));
        table.push(row);
    }
    table
}

/// The terminal view of a comparison: its title, and the city names with their rank under
/// each scenario and their largest shift.
pub fn compare_terminal_table(cmp: &Comparison) -> (String, Table) {
    let width = cmp
        .scenarios
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(8)
        .max(7);
    let mut columns = vec![Column::new("city").left().width(24)];
    columns.extend(cmp.scenarios.iter().map(|s| Column::new(s).width(width)));
    columns.push(Column::new("shift").width(7));
    let mut table = Table::new(columns);
    for c in compare_order(cmp) {
        let mut row: Vec<Cell> = vec![(&cmp.names[c]).into()];
        row.extend(cmp.ranks[c].iter().map(|&r| Cell::int_or_empty(r)));
        row.push(Cell::int_or_empty(cmp.shift(c)));
        table.push(row);
    }
    (
        format!("Ranks in {} under each scenario\n\n", cmp.year),
        table,
    )
}

/// The cities of an uncertainty analysis by nominal rank, then slot.
fn uncertainty_order(stats: &[RankStats]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..stats.len()).collect();
    order.sort_by_key(|&c| (stats[c].nominal_rank, c));
    order
}

/// `uncertainty.csv`: `city,nominal_rank,mean_rank,median_rank,q05_rank,q95_rank,p_first,p_top3,
/// target`, by nominal rank; `target` is the id of the node whose ranks these are (the index's
/// unless `--target`).
pub fn uncertainty_table(stats: &[RankStats], target: &str) -> Table {
    let mut table = Table::new(
        [
            "city",
            "nominal_rank",
            "mean_rank",
            "median_rank",
            "q05_rank",
            "q95_rank",
            "p_first",
            "p_top3",
            "target",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for c in uncertainty_order(stats) {
        let s = &stats[c];
        table.push(vec![
            (&s.city).into(),
            s.nominal_rank.into(),
            s.mean_rank.into(),
            s.median_rank.into(),
            s.q05_rank.into(),
            s.q95_rank.into(),
            s.p_first.into(),
            s.p_top3.into(),
            target.into(),
        ]);
    }
    table
}

/// What an uncertainty analysis varied, for titles: the factors' names.
fn factor_names(factors: &[Factor]) -> String {
    factors
        .iter()
        .map(Factor::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The terminal view of an uncertainty analysis: title (naming the target node when it is
/// not the index), then per city (by name) the nominal and median rank, the mean rank, the
/// 5-95% interval and the chances of first and top 3.
pub fn uncertainty_terminal_table(
    stats: &[RankStats],
    names: &[String],
    year: i32,
    runs: usize,
    seed: u64,
    factors: &[Factor],
    target: Option<&str>,
) -> (String, Table) {
    let mut table = Table::new(vec![
        Column::new("city").left().width(24),
        Column::new("nominal").width(7),
        Column::new("median").width(6),
        Column::new("mean").width(7).decimals(1),
        Column::new("5-95%").width(9),
        Column::new("p_first").width(7).decimals(3),
        Column::new("p_top3").width(7).decimals(3),
    ]);
    for c in uncertainty_order(stats) {
        let s = &stats[c];
        table.push(vec![
            (&names[c]).into(),
            s.nominal_rank.into(),
            s.median_rank.into(),
            s.mean_rank.into(),
            format!(
                "{}-{}",
                crate::format::rank_text(s.q05_rank),
                crate::format::rank_text(s.q95_rank)
            )
            .into(),
            s.p_first.into(),
            s.p_top3.into(),
        ]);
    }
    (
        format!(
            "Rank uncertainty{} in {year} over {runs} replications (seed {seed}; inputs: {})\n\n",
            target.map_or_else(String::new, |t| format!(" of `{t}`")),
            factor_names(factors)
        ),
        table,
    )
}

/// `uncertainty-runs.csv`, the inputs of every replication, written row by row while the
/// analysis runs: `run,seed,normalisation,aggregation,imputation,winmax,left_out,weight_set`,
/// then the weight of every node but the index (`w_<node>`). `framework` where a replication
/// keeps the framework's method; `weight_set` names the weight set drawn (empty without
/// `--weight-sets`).
pub struct RunsLog<'e> {
    engine: &'e Engine,
    weighted: Vec<usize>,
    weight_sets: Vec<String>,
}

impl<'e> RunsLog<'e> {
    /// The log of replications on `engine` with these uncertain inputs.
    pub fn new(engine: &'e Engine, factors: &[Factor]) -> Self {
        let weighted = (0..engine.node_ids().len())
            .filter(|&k| k != engine.root())
            .collect();
        let weight_sets = factors
            .iter()
            .find_map(|f| match f {
                Factor::WeightSets(sets) => Some(sets.iter().map(|s| s.name.clone()).collect()),
                _ => None,
            })
            .unwrap_or_default();
        RunsLog {
            engine,
            weighted,
            weight_sets,
        }
    }

    /// The columns.
    pub fn columns(&self) -> Vec<Column> {
        let mut columns: Vec<Column> = [
            "run",
            "seed",
            "normalisation",
            "aggregation",
            "imputation",
            "winmax",
            "left_out",
            "weight_set",
        ]
        .map(Column::new)
        .to_vec();
        columns.extend(
            self.weighted
                .iter()
                .map(|&k| Column::new(format!("w_{}", self.engine.node_ids()[k]))),
        );
        columns
    }

    /// The row of replication `run` of a run seeded `seed`.
    pub fn row(&self, run: usize, seed: u64, config: &Config) -> Vec<Cell> {
        let engine = self.engine;
        let framework = || Cell::from("framework");
        let mut row = vec![
            run.into(),
            Cell::Int(i64::try_from(seed).unwrap_or(i64::MAX)),
            config
                .normalisation
                .as_ref()
                // Command-line syntax (`zscore[10,2]`), never the Rust type's Debug text.
                .map_or_else(framework, |n| n.to_string().into()),
            config
                .aggregation
                .map_or_else(framework, |a| a.to_string().into()),
            // Framework syntax (`group_mean by region`), never the Rust type's Debug text.
            engine.imputations[config.imputation].to_string().into(),
            config.winmax.map_or_else(framework, Cell::from),
            config
                .left_out
                .map_or("", |i| engine.indicator_id(i))
                .into(),
            config
                .weight_set
                .and_then(|k| self.weight_sets.get(k))
                .map_or("", String::as_str)
                .into(),
        ];
        row.extend(self.weighted.iter().map(|&k| Cell::from(config.weights[k])));
        row
    }
}

/// `uncertainty-replications.csv`, written row by row while the analysis runs: per
/// replication and peer city, `replication,city,score,rank`: the target's score and rank in
/// that replication (both empty when the city has no score). Rows by replication, then city
/// in the engine's order.
pub struct ReplicationsLog<'e> {
    engine: &'e Engine,
}

impl<'e> ReplicationsLog<'e> {
    /// The log of replications on `engine`.
    pub fn new(engine: &'e Engine) -> Self {
        ReplicationsLog { engine }
    }

    /// The columns.
    pub fn columns(&self) -> Vec<Column> {
        ["replication", "city", "score", "rank"]
            .map(Column::new)
            .to_vec()
    }

    /// The rows of replication `run`: one per peer city.
    pub fn rows<'a>(
        &'a self,
        run: usize,
        scores: &'a [f64],
        ranks: &'a [Option<std::num::NonZeroU32>],
    ) -> impl Iterator<Item = Vec<Cell>> + 'a {
        self.engine.cities.iter().zip(scores.iter().zip(ranks)).map(
            move |(city, (&score, rank))| {
                vec![
                    run.into(),
                    city.into(),
                    Cell::float_or_empty(score),
                    Cell::int_or_empty(rank.map(std::num::NonZeroU32::get)),
                ]
            },
        )
    }
}

/// `sensitivity.csv`: per uncertain input, the first-order and total-effect indices with their
/// bootstrap 95% intervals.
pub fn sensitivity_table(factors: &[Factor], indices: &[SobolIndex]) -> Table {
    let mut table = Table::new(
        [
            "input",
            "first_order",
            "first_order_low",
            "first_order_high",
            "total_effect",
            "total_effect_low",
            "total_effect_high",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for (factor, ix) in factors.iter().zip(indices) {
        table.push(vec![
            factor.name().into(),
            ix.first_order.into(),
            ix.first_order_ci[0].into(),
            ix.first_order_ci[1].into(),
            ix.total_effect.into(),
            ix.total_effect_ci[0].into(),
            ix.total_effect_ci[1].into(),
        ]);
    }
    table
}

/// The terminal view of the Sobol indices: per input, each index with three decimals and its
/// interval.
pub fn sensitivity_terminal_table(factors: &[Factor], indices: &[SobolIndex]) -> Table {
    let interval = |ci: [f64; 2]| Cell::Text(format!("[{:.3}, {:.3}]", ci[0], ci[1]));
    let mut table = Table::new(vec![
        Column::new("input").left().width(16),
        Column::new("first order").width(11).decimals(3),
        Column::new("95% interval").width(17),
        Column::new("total effect").width(12).decimals(3),
        Column::new("95% interval").width(17),
    ]);
    for (factor, ix) in factors.iter().zip(indices) {
        table.push(vec![
            factor.name().into(),
            ix.first_order.into(),
            interval(ix.first_order_ci),
            ix.total_effect.into(),
            interval(ix.total_effect_ci),
        ]);
    }
    table
}

/// Where a step's value is measured, as the path-to-first tables name it: the catalogue's
/// level, or the value's own where the indicator has several sources.
fn level(catalogue: &Catalogue, step: &PathStep) -> &'static str {
    catalogue
        .get(&step.indicator)
        .and_then(|i| i.shown_level(step.level))
        .map_or(
            healthy_city_model::NOT_GIVEN,
            healthy_city_model::Level::as_str,
        )
}

/// `path-to-first.csv`: `indicator,current,target,change,effort,limit,level`, by decreasing
/// effort.
pub fn path_table(path: &PathToFirst, catalogue: &Catalogue) -> Table {
    let mut table = Table::new(
        [
            "indicator",
            "current",
            "target",
            "change",
            "effort",
            "limit",
            "level",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for s in &path.steps {
        table.push(vec![
            (&s.indicator).into(),
            s.current.into(),
            s.target.into(),
            s.change.into(),
            s.effort.into(),
            s.limit.into(),
            level(catalogue, s).into(),
        ]);
    }
    table
}

/// The terminal view of a path to first: per indicator the current value, the target, the
/// change (signed) with four decimals, the effort with three, and the level.
pub fn path_terminal_table(path: &PathToFirst, catalogue: &Catalogue) -> Table {
    let mut table = Table::new(vec![
        Column::new("indicator").left().width(22),
        Column::new("current").width(12).decimals(4),
        Column::new("target").width(12).decimals(4),
        Column::new("change").width(12).decimals(4).signed(),
        Column::new("effort").width(7).decimals(3),
        Column::new("level").left().gap(2),
    ]);
    for s in &path.steps {
        table.push(vec![
            (&s.indicator).into(),
            s.current.into(),
            s.target.into(),
            s.change.into(),
            s.effort.into(),
            level(catalogue, s).into(),
        ]);
    }
    table
}

/// `weight-map.csv`: `w_a,w_b,w_c,first_city,city_rank` per cell of the simplex (`cities`: the
/// engine's city ids).
pub fn weight_map_table(cells: &[WeightCell], cities: &[String]) -> Table {
    let mut table = Table::new(
        ["w_a", "w_b", "w_c", "first_city", "city_rank"]
            .map(Column::new)
            .to_vec(),
    );
    for cell in cells {
        table.push(vec![
            cell.shares[0].into(),
            cell.shares[1].into(),
            cell.shares[2].into(),
            (&cities[cell.first]).into(),
            cell.city_rank.into(),
        ]);
    }
    table
}

/// The cities ranked first somewhere on the weight map, by decreasing share of the simplex
/// (ties by city slot), as an indented list of names and percentages (`names`: the engine's
/// city names).
pub fn weight_map_firsts_table(cells: &[WeightCell], names: &[String]) -> Table {
    let mut firsts: Vec<(usize, usize)> = Vec::new();
    for cell in cells {
        match firsts.iter_mut().find(|f| f.0 == cell.first) {
            Some(f) => f.1 += 1,
            None => firsts.push((cell.first, 1)),
        }
    }
    firsts.sort_by_key(|f| (std::cmp::Reverse(f.1), f.0));
    let mut table = Table::new(vec![
        Column::new("city").left().width(24),
        Column::new("share").width(5).decimals(1).suffix("%"),
    ])
    .indent(2)
    .without_heading();
    for (city, count) in firsts {
        table.push(vec![
            (&names[city]).into(),
            (100.0 * count as f64 / cells.len() as f64).into(),
        ]);
    }
    table
}

/// The title of the Sobol indices' terminal table: what is measured, the year and the design.
pub fn sensitivity_title(
    output: &str,
    year: i32,
    runs: usize,
    rebuilds: usize,
    sampling: &str,
    seed: u64,
    bootstrap: usize,
) -> String {
    format!(
        "Sobol indices of the {output} in {year} ({runs} rows, {rebuilds} rebuilds, {sampling} sampling, seed {seed}, {bootstrap} bootstrap resamples)\n\n"
    )
}

/// How the robust variant of the path to first ended: the share of replications won, whether
/// it reaches the share asked for, and the design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustOutcome {
    /// Share of the uncertainty replications the city wins on the path.
    pub won: f64,
    /// Whether `won` reaches `share`.
    pub reached: bool,
    /// Replications per check.
    pub runs: usize,
    /// The share asked for.
    pub share: f64,
    /// Seed of the replications.
    pub seed: u64,
}

/// The lines above the path-to-first table: the city's rank and score before and after, the
/// best other city and the lead, the robust outcome, whether first place is within reach, and
/// the total effort.
pub fn path_summary(
    path: &PathToFirst,
    city: &str,
    runner_up: &str,
    robust: Option<&RobustOutcome>,
) -> String {
    use std::fmt::Write as _;
    let p = path;
    let mut text = format!(
        "Path to first place for {city} in {} ({}): rank {} -> {}, score {:.2} -> {:.2}; best other city {runner_up} {:.2} (ahead by {})\n",
        p.year, p.method, p.rank_before, p.rank_after, p.score[0], p.score[1], p.runner_up.1,
        if p.gap.abs() >= 1e-3 { format!("{:.3}", p.gap) } else { format!("{:.1e}", p.gap) }
    );
    match robust {
        Some(r) if r.reached => {
            let _ = writeln!(
                text,
                "Robust: first in {:.1}% of {} uncertainty runs (asked {:.1}%; seed {}).",
                100.0 * r.won,
                r.runs,
                100.0 * r.share,
                r.seed
            );
        }
        Some(r) => {
            let _ = writeln!(text, "Robust: even with every indicator at its limit, first in only {:.1}% of {} uncertainty runs (asked {:.1}%).", 100.0 * r.won, r.runs, 100.0 * r.share);
        }
        None if !p.reached => {
            let _ = writeln!(text, "First place is out of reach within the limits: every indicator below is at its limit (best peer value or --cap).");
        }
        None => {}
    }
    let _ = writeln!(
        text,
        "Effort: share of the peer range closed (1 = from the worst peer to the best); total {:.3}\n",
        p.effort
    );
    text
}

/// The lines above the weight map's list of first cities: the mixes mapped, how often the
/// focus city is first and its best rank, and the city first at the nominal weights.
pub fn weight_map_summary(
    cells: &[WeightCell],
    engine: &Engine,
    focus: usize,
    domains: &[String; 3],
    step: f64,
) -> String {
    let first_share = cells.iter().filter(|x| x.city_rank == 1).count() as f64 / cells.len() as f64;
    let nominal_first = engine
        .nominal_ranks
        .iter()
        .position(|&r| r.get() == 1)
        .unwrap_or(0);
    let best_rank = cells
        .iter()
        .map(|x| x.city_rank)
        .filter(|&r| r > 0)
        .min()
        .unwrap_or(0);
    format!(
        "Weight map of {} in {}: {} mixes of {} (step {step}), other weights fixed\n\
         {} is first in {:.1}% of the simplex (best rank {best_rank}; nominal rank {}).\n\
         At the nominal weights {} is first.\n\nFirst place by share of the simplex:\n",
        domains.join(", "),
        engine.year,
        cells.len(),
        domains.join(" / "),
        engine.city_names[focus],
        100.0 * first_share,
        engine.nominal_ranks[focus],
        engine.city_names[nominal_first],
    )
}
