//! The path to first place: the least effort that makes a city rank first, where no indicator
//! improves beyond the best value of any peer city in the year (or a cap the user gives).
//!
//! Effort is the distance closed on each indicator as a share of the peer range: moving from
//! `x` to `x'` costs `|x' - x| / (best - worst)`, in the indicator's transformed units (the
//! units the index normalises, e.g. ln of health expenditure), so one unit of effort is the
//! whole distance from the worst peer to the best. Total effort is the sum over indicators.
//!
//! - Linear indices (every group an arithmetic mean, every normalisation linear in the value,
//!   no outlier treatment): the city's score is `score + sum(g_i d_i)` with `g_i` its score's
//!   slope in indicator `i`, so the least total effort that closes the gap to the best other
//!   city is a linear programme with one constraint, solved exactly by filling indicators in
//!   decreasing order of score gained per unit of effort (`g_i` times the peer range), each
//!   up to its cap (the fractional knapsack).
//! - Otherwise, or when the re-scored answer of the linear programme is not first (improving
//!   the worst city of the sample moves the min-max bounds of every city): a greedy search
//!   that repeatedly moves, by 1% of its peer range, the indicator with the largest score gain
//!   per unit of effort measured by re-scoring, until the city is first.
//!
//! Either answer is re-scored with the engine before it is reported.

use healthy_city_model::{Aggregation, Level, Normalisation, Transform, Treatment};

use std::sync::atomic::AtomicBool;

use std::num::NonZeroU32;

use crate::engine::{Config, Engine};
use crate::error::{Error, Result};
use crate::uncertainty::Analysis;

/// A city's score must exceed the best other city's by this much to count as first.
pub const MARGIN: f64 = 1e-9;

/// One indicator's move.
#[derive(Debug, Clone, PartialEq)]
pub struct PathStep {
    /// Indicator id.
    pub indicator: String,
    /// The city's value, in the indicator's own units.
    pub current: f64,
    /// The value that the path moves it to.
    pub target: f64,
    /// `target - current`.
    pub change: f64,
    /// Share of the peer range closed (0 to 1).
    pub effort: f64,
    /// The most it could move to (best peer value or the user's cap).
    pub limit: f64,
    /// Where the city's value is measured (its own, its region's, its country's).
    pub level: Level,
}

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PathToFirst {
    /// City id.
    pub city: String,
    /// Year.
    pub year: i32,
    /// Rank before.
    pub rank_before: u32,
    /// Rank after re-scoring with the targets.
    pub rank_after: u32,
    /// Index score before and after.
    pub score: [f64; 2],
    /// The best other city after, and its score.
    pub runner_up: (String, f64),
    /// `score after - runner-up score` (positive when first).
    pub gap: f64,
    /// Whether the city is first within the caps.
    pub reached: bool,
    /// `"linear programme"`, `"greedy search"` or `"already first"`.
    pub method: &'static str,
    /// Indicators, by decreasing effort.
    pub steps: Vec<PathStep>,
    /// Total effort.
    pub effort: f64,
}

fn inverse(t: Option<Transform>, v: f64) -> f64 {
    match t {
        None => v,
        Some(Transform::Ln) => v.exp(),
        Some(Transform::Log10) => 10f64.powf(v),
        Some(Transform::Sqrt) => v * v,
    }
}

fn forward(t: Option<Transform>, v: f64) -> f64 {
    match t {
        None => v,
        Some(Transform::Ln) => v.ln(),
        Some(Transform::Log10) => v.log10(),
        Some(Transform::Sqrt) => v.sqrt(),
    }
}

/// Whether the nominal index is linear in each value (see the module docs).
fn is_linear(engine: &Engine) -> bool {
    // Group rules make a unit's score depend on the others' (a group filled from them).
    engine.rules.is_none()
        && engine
            .plan
            .groups
            .iter()
            .all(|g| g.aggregation == Aggregation::Arithmetic)
        && engine.plan.indicators.iter().all(|i| {
            i.treatment == Treatment::None
                && matches!(
                    i.normalisation,
                    Normalisation::Minmax
                        | Normalisation::Zscore { .. }
                        | Normalisation::Dist2max
                        | Normalisation::Scaled
                        | Normalisation::Dist2targ { cap_max: false }
                        | Normalisation::Dist2ref { cap_max: false, .. }
                        | Normalisation::Fracmax
                )
        })
}

/// Score of `city` and the best other city's (slot, score) under `config`.
fn standing(engine: &Engine, config: &Config, city: usize) -> Result<(f64, u32, usize, f64)> {
    let mut s = engine.scratch();
    engine.evaluate(config, &mut s)?;
    let scores = s.root_scores();
    let (other, best) = (0..engine.n_cities())
        .filter(|&c| c != city && !scores[c].is_nan())
        .map(|c| (c, scores[c]))
        .fold(
            (city, f64::NEG_INFINITY),
            |a, b| if b.1 > a.1 { b } else { a },
        );
    // A peer city with its own values is ranked; 0 only if its index score went missing.
    let rank = s.ranks[city].map_or(0, NonZeroU32::get);
    Ok((scores[city], rank, other, best))
}

/// Caps given by indicator id, resolved to the indicator slots [`path_to_first`] takes. A cap
/// naming no indicator of the engine's framework is a setting named `cap`.
pub fn resolve_caps(engine: &Engine, caps: &[(String, f64)]) -> Result<Vec<(usize, f64)>> {
    caps.iter()
        .map(|(id, value)| {
            engine
                .plan
                .indicators
                .iter()
                .position(|ind| ind.id == id.trim())
                .ok_or_else(|| Error::Setting {
                    key: String::from("cap"),
                    message: format!("`{id}` is not an indicator of the framework"),
                })
                .and_then(|i| check_cap(engine, i, *value).map(|()| (i, *value)))
        })
        .collect()
}

/// A cap must be a finite value in the indicator's own units that its transform can take
/// (a ln or log10 transform needs a cap above 0, sqrt one of 0 or more).
fn check_cap(engine: &Engine, i: usize, cap: f64) -> Result<()> {
    let ind = &engine.plan.indicators[i];
    if cap.is_finite() && forward(ind.transform, cap).is_finite() {
        return Ok(());
    }
    Err(Error::Setting {
        key: String::from("cap"),
        message: format!(
            "the cap {cap} of `{}` is not a finite value of the indicator{}; give a value in its own units",
            ind.id,
            match ind.transform {
                Some(Transform::Ln | Transform::Log10) => " (its log transform needs a value above 0)",
                Some(Transform::Sqrt) => " (its sqrt transform needs a value of 0 or more)",
                None => "",
            }
        ),
    })
}

/// Finds the path to first place for peer city `city` under `config`. `caps` gives, per
/// indicator slot, a limit in the indicator's own units that replaces the best peer value
/// when it is less far.
pub fn path_to_first(
    engine: &Engine,
    config: &Config,
    city: usize,
    caps: &[(usize, f64)],
) -> Result<PathToFirst> {
    path_with_margin(engine, config, city, caps, MARGIN)
}

/// As [`path_to_first`], but the city must lead the best other city by `margin` points.
fn path_with_margin(
    engine: &Engine,
    config: &Config,
    city: usize,
    caps: &[(usize, f64)],
    margin: f64,
) -> Result<PathToFirst> {
    let ni = engine.n_indicators();
    let n = engine.n_cities();
    if city >= n {
        return Err(Error::Setting {
            key: String::from("city"),
            message: format!(
                "city slot {city} is not one of the {n} peer cities of {}",
                engine.year
            ),
        });
    }
    for &(i, cap) in caps {
        if i >= ni {
            return Err(Error::Setting {
                key: String::from("cap"),
                message: format!(
                    "indicator slot {i} is not one of the framework's {ni} indicators"
                ),
            });
        }
        check_cap(engine, i, cap)?;
    }
    let (score0, rank0, _, _) = standing(engine, config, city)?;
    if score0.is_nan() {
        return Err(Error::Setting {
            key: String::from("city"),
            message: format!(
                "`{}` has no index score in {}",
                engine.cities[city], engine.year
            ),
        });
    }
    // Per indicator: current, limit and peer range, transformed and direction-adjusted.
    let mut current = vec![f64::NAN; ni];
    let mut limit = vec![f64::NAN; ni];
    let mut range = vec![0.0; ni];
    for i in 0..ni {
        let ind = &engine.plan.indicators[i];
        let sign = ind.sign;
        let values: Vec<f64> = (0..n)
            .map(|c| sign * engine.value(c, i))
            .filter(|v| !v.is_nan())
            .collect();
        let x = sign * engine.value(city, i);
        if x.is_nan() || values.is_empty() || config.weights[engine.plan.indicator_nodes[i]] == 0.0
        {
            continue; // no value to improve, or no weight
        }
        let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let worst = values.iter().copied().fold(f64::INFINITY, f64::min);
        let mut lim = best;
        if let Some(&(_, cap)) = caps.iter().find(|c| c.0 == i) {
            lim = lim.min(sign * forward(ind.transform, cap));
        }
        current[i] = x;
        limit[i] = lim.max(x);
        range[i] = best - worst;
    }
    let movable: Vec<usize> = (0..ni)
        .filter(|&i| !current[i].is_nan() && range[i] > 0.0 && limit[i] > current[i])
        .collect();
    let apply = |d: &[f64]| -> Engine {
        let values: Vec<(usize, f64)> = movable
            .iter()
            .map(|&i| (i, engine.plan.indicators[i].sign * (current[i] + d[i])))
            .collect();
        engine.with_values(city, &values)
    };
    let mut d = vec![0.0; ni];
    let mut method = "linear programme";
    let (_, _, _, best0) = standing(engine, config, city)?;
    let mut solved = false;
    let leads = |s: f64, rank: u32, best: f64| rank == 1 && s >= best + margin;
    if leads(score0, rank0, best0) {
        method = "already first";
        solved = true;
    } else if is_linear(engine) {
        // Slopes by a finite step (exact for a linear index), in score per transformed unit.
        let mut gains: Vec<(usize, f64)> = Vec::new();
        for &i in &movable {
            let mut probe = vec![0.0; ni];
            probe[i] = limit[i] - current[i];
            let (s1, ..) = standing(&apply(&probe), config, city)?;
            gains.push((i, (s1 - score0) / probe[i]));
        }
        // Decreasing score gained per unit of effort.
        gains.sort_by(|a, b| {
            (b.1 * range[b.0])
                .total_cmp(&(a.1 * range[a.0]))
                .then(a.0.cmp(&b.0))
        });
        // Aim MARGIN beyond the lead, so that rounding cannot leave it just short.
        let mut needed = best0 - score0 + margin + MARGIN;
        for &(i, slope) in &gains {
            if needed <= 0.0 || slope <= 0.0 {
                break;
            }
            let room = limit[i] - current[i];
            let step = (needed / slope).min(room);
            d[i] = step;
            needed -= step * slope;
        }
        let (s, rank, _, best) = standing(&apply(&d), config, city)?;
        solved = leads(s, rank, best);
    }
    if !solved {
        method = "greedy search";
        d.fill(0.0);
        // Each move closes at least 1% of an indicator's peer range or all the room left on
        // it, so no indicator takes more than 101 moves: a bound against any loop.
        let mut moves_left = 101 * movable.len() + 1;
        loop {
            if moves_left == 0 {
                break;
            }
            moves_left -= 1;
            let here = apply(&d);
            let (s, rank, _, best) = standing(&here, config, city)?;
            if leads(s, rank, best) {
                break;
            }
            // The move with the largest score gain per unit of effort.
            let mut choice: Option<(usize, f64, f64)> = None;
            for &i in &movable {
                let room = limit[i] - current[i] - d[i];
                if room <= 0.0 {
                    continue;
                }
                let step = (0.01 * range[i]).min(room);
                if !(step > 0.0 && step.is_finite()) || d[i] + step == d[i] {
                    continue; // a step too small to move the value
                }
                let mut probe = d.clone();
                probe[i] += step;
                let (s1, ..) = standing(&apply(&probe), config, city)?;
                let ratio = (s1 - s) / (step / range[i]);
                if choice.is_none_or(|c| ratio > c.2) {
                    choice = Some((i, step, ratio));
                }
            }
            match choice {
                Some((i, step, _)) => d[i] += step,
                None => break, // every indicator at its limit
            }
        }
    }
    let after = apply(&d);
    let (score1, rank1, other, best1) = standing(&after, config, city)?;
    let mut steps: Vec<PathStep> = (0..ni)
        .filter(|&i| !current[i].is_nan())
        .map(|i| {
            let ind = &engine.plan.indicators[i];
            let (cur, tgt) = (
                inverse(ind.transform, ind.sign * current[i]),
                inverse(ind.transform, ind.sign * (current[i] + d[i])),
            );
            PathStep {
                indicator: ind.id.clone(),
                current: cur,
                target: tgt,
                change: tgt - cur,
                effort: if range[i] > 0.0 { d[i] / range[i] } else { 0.0 },
                limit: inverse(ind.transform, ind.sign * limit[i]),
                level: engine.level(city, i),
            }
        })
        .collect();
    steps.sort_by(|a, b| {
        b.effort
            .total_cmp(&a.effort)
            .then(a.indicator.cmp(&b.indicator))
    });
    // The scores are finite (the engine guarantees it); the values moved back to their own
    // units (`exp` of a ln transform) and the efforts must be too, or nothing is reported.
    if let Some(step) = steps.iter().find(|s| {
        ![s.current, s.target, s.change, s.effort, s.limit]
            .iter()
            .all(|v| v.is_finite())
    }) {
        return Err(Error::Setting {
            key: String::from("cap"),
            message: format!(
                "the path to first for `{}` in {} moves indicator `{}` from {} to {} (limit {}), which is not a finite number in its own units; give it a smaller `--cap`, or drop its `transform`",
                engine.cities[city], engine.year, step.indicator, step.current, step.target, step.limit
            ),
        });
    }
    if !(score1.is_finite() && best1.is_finite()) {
        return Err(Error::Setting {
            key: String::from("city"),
            message: format!(
                "`{}` has no peer city to overtake in {}: the path to first needs at least two ranked cities",
                engine.cities[city], engine.year
            ),
        });
    }
    Ok(PathToFirst {
        city: engine.cities[city].clone(),
        year: engine.year,
        rank_before: rank0,
        rank_after: rank1,
        score: [score0, score1],
        runner_up: (engine.cities[other].clone(), best1),
        gap: score1 - best1,
        reached: leads(score1, rank1, best1),
        method,
        effort: steps.iter().map(|s| s.effort).sum(),
        steps,
    })
}

/// The robust path: the least lead over the best other city (found by bisection, to 0.1% of
/// the index's scale) whose path to first makes the city first in at least `p` of the
/// uncertainty replications of `analysis` (`runs` replications, `seed`), re-run on the
/// improved data. Returns the path, the share of replications it wins, and whether that
/// share reaches `p` (if not, the path takes every indicator to its limit).
pub fn robust_path_to_first(
    analysis: &Analysis<'_>,
    city: usize,
    caps: &[(usize, f64)],
    p: f64,
    runs: usize,
    seed: u64,
) -> Result<(PathToFirst, f64, bool)> {
    let engine = analysis.engine;
    if !(p > 0.0 && p <= 1.0) {
        return Err(Error::Setting {
            key: String::from("robust"),
            message: format!("the share of replications to win, {p}, must be in (0, 1], e.g. 0.8"),
        });
    }
    let nominal = engine.nominal();
    let cancel = AtomicBool::new(false);
    let share = |path: &PathToFirst| -> Result<f64> {
        let values: Vec<(usize, f64)> = path
            .steps
            .iter()
            .map(|s| {
                let i = engine
                    .plan
                    .indicators
                    .iter()
                    .position(|ind| ind.id == s.indicator)
                    .unwrap_or(0);
                let ind = &engine.plan.indicators[i];
                (i, forward(ind.transform, s.target))
            })
            .collect();
        let improved = engine.with_values(city, &values);
        let a = Analysis::new(&improved, analysis.factors.clone())?;
        let stats = a.monte_carlo(runs, seed, &mut |_, _, _, _| Ok(()), &|_| {}, &cancel)?;
        Ok(stats[city].p_first)
    };
    let [l, u] = engine.plan.scale;
    let (mut lo, mut hi) = (0.0, u - l);
    let at_lo = path_with_margin(engine, &nominal, city, caps, MARGIN)?;
    let p_lo = share(&at_lo)?;
    if p_lo >= p {
        return Ok((at_lo, p_lo, true));
    }
    let mut best = path_with_margin(engine, &nominal, city, caps, hi)?;
    let mut p_best = share(&best)?;
    if p_best < p {
        return Ok((best, p_best, false));
    }
    while hi - lo > 1e-3 * (u - l) {
        let mid = 0.5 * (lo + hi);
        let path = path_with_margin(engine, &nominal, city, caps, mid)?;
        let won = share(&path)?;
        if won >= p {
            (hi, best, p_best) = (mid, path, won);
        } else {
            lo = mid;
        }
    }
    Ok((best, p_best, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::small;

    /// The small index of [`crate::testkit::small`]: a 2nd, 27.5 points behind b.
    fn engine(aggregation: &str, scale: &str) -> Engine {
        let (framework, catalogue, cities, observations) = small(aggregation, scale);
        Engine::build(&framework, &catalogue, &cities, &observations, None, &[]).unwrap()
    }

    fn step<'a>(p: &'a PathToFirst, id: &str) -> &'a PathStep {
        p.steps.iter().find(|s| s.indicator == id).unwrap()
    }

    #[test]
    fn a_linear_index_takes_the_cheapest_indicator_first_by_linear_programming() {
        let e = engine("arithmetic", "[0, 100]");
        let p = path_to_first(&e, &e.nominal(), 0, &[]).unwrap();
        assert_eq!((p.rank_before, p.method), (2, "linear programme"));
        // x1 gains 0.75 * 100 points per unit of effort, x2 0.25 * 100: close the 27.5-point
        // gap on x1 alone: 27.5 / 7.5 = 3.6667 units, effort 0.36667.
        let x1 = step(&p, "x1");
        assert!((x1.target - (5.0 + 27.5 / 7.5)).abs() < 1e-6, "{x1:?}");
        assert!((x1.effort - 0.366_667).abs() < 1e-5);
        assert_eq!(step(&p, "x2").change, 0.0);
        assert!(p.reached && p.rank_after == 1 && p.gap > 0.0, "{p:?}");
    }

    #[test]
    fn a_cap_moves_the_rest_of_the_gap_to_the_next_indicator() {
        let e = engine("arithmetic", "[0, 100]");
        // x1 capped at 8 gains 22.5 points; the other 5 come from x2 at 2.5 points a unit.
        let p = path_to_first(&e, &e.nominal(), 0, &[(0, 8.0)]).unwrap();
        assert!((step(&p, "x1").target - 8.0).abs() < 1e-9);
        assert!((step(&p, "x2").target - 6.0).abs() < 1e-6, "{p:?}");
        assert!(p.reached && p.rank_after == 1);
    }

    #[test]
    fn a_cap_that_is_not_a_finite_value_or_a_city_out_of_range_is_refused() {
        let e = engine("arithmetic", "[0, 100]");
        for cap in [f64::NAN, f64::INFINITY] {
            let err = resolve_caps(&e, &[(String::from("x1"), cap)])
                .unwrap_err()
                .to_string();
            assert_eq!(err, format!("cap: the cap {cap} of `x1` is not a finite value of the indicator; give a value in its own units"));
            let err = path_to_first(&e, &e.nominal(), 0, &[(0, cap)])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("cap: the cap"), "{err}");
        }
        let err = path_to_first(&e, &e.nominal(), 9, &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "city: city slot 9 is not one of the 4 peer cities of 2019"
        );
    }

    #[test]
    fn a_geometric_index_is_searched_and_the_answer_rescored_first() {
        // Geometric means on [1, 100]: a 47.8, b 31.6, d 20.8, c 3.2.
        let e = engine("geometric", "[1, 100]");
        let p = path_to_first(&e, &e.nominal(), 0, &[]).unwrap();
        assert_eq!((p.method, p.rank_before), ("already first", 1));
        assert!(p.steps.iter().all(|s| s.change == 0.0));
        // b is the worst on x2: improving it moves everyone's bounds.
        for city in [1, 3] {
            let p = path_to_first(&e, &e.nominal(), city, &[]).unwrap();
            assert_eq!(p.method, "greedy search");
            assert!(p.reached && p.rank_after == 1 && p.gap > 0.0, "{p:?}");
            assert!(p.steps.iter().all(|s| s.target <= s.limit + 1e-12));
        }
    }

    #[test]
    fn the_robust_path_wins_the_share_of_uncertainty_runs_asked_for() {
        let e = engine("arithmetic", "[0, 100]");
        let plain = path_to_first(&e, &e.nominal(), 0, &[]).unwrap();
        // Without noise, the plain path already wins every run.
        let none = Analysis::new(&e, vec![crate::Factor::WeightNoise(vec![(0, 0.0)])]).unwrap();
        let (p, won, ok) = robust_path_to_first(&none, 0, &[], 0.9, 200, 1).unwrap();
        assert!(ok && won == 1.0 && (p.effort - plain.effort).abs() < 1e-12);
        // With weights ±50%, winning 90% of the runs takes a lead, and more effort.
        let noisy = Analysis::new(&e, vec![crate::Factor::WeightNoise(vec![(0, 0.5)])]).unwrap();
        let (p, won, ok) = robust_path_to_first(&noisy, 0, &[], 0.9, 400, 1).unwrap();
        assert!(ok && won >= 0.9, "{won}");
        assert!(p.effort > plain.effort + 0.01 && p.gap > 1.0, "{p:?}");
    }

    #[test]
    fn says_when_first_place_is_out_of_reach_within_the_caps() {
        let e = engine("arithmetic", "[0, 100]");
        let p = path_to_first(&e, &e.nominal(), 3, &[(0, 3.0), (1, 3.0)]).unwrap();
        assert!(!p.reached && p.rank_after > 1, "{p:?}");
    }
}
