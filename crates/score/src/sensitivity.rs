//! Variance-based sensitivity analysis: Sobol first-order indices by the Saltelli et al. (2010)
//! estimator and total-effect indices by the Jansen (1999) estimator, with bootstrap
//! confidence intervals.
//!
//! Two `N x k` matrices `A` and `B` of uniform inputs are drawn, and `A_B^i` is `A` with its
//! column `i` taken from `B`. With `f` the model and `V` the variance of `f(A)` and `f(B)`
//! together:
//!
//! - first order `S_i = mean(f(B) (f(A_B^i) - f(A))) / V`;
//! - total effect `ST_i = mean((f(A) - f(A_B^i))^2) / (2 V)`.
//!
//! That is `N (k + 2)` model runs. The rows of `A` and `B` are the first `k` and the next `k`
//! dimensions of an Owen-scrambled Sobol sequence (the `sobol_burley` crate, seeded; at most
//! 65,536 rows), which converges faster than pseudo-random sampling on smooth models, or
//! pseudo-random draws from the seeded stream of each row.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::stats::quantile as percentile;

/// How the rows of `A` and `B` are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampler {
    /// Owen-scrambled Sobol sequence (at most 65,536 rows).
    Sobol,
    /// Pseudo-random, from the seeded stream of each row.
    Random,
}

/// What a sensitivity analysis measures of each replication's ranks. An unranked city counts
/// as last (rank `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// The mean absolute rank shift of the cities against the nominal ranking.
    MeanRankShift,
    /// The rank of this city slot.
    CityRank(usize),
}

impl Objective {
    /// The objective of one replication's `ranks` (`None`: not ranked) against the `nominal`
    /// ones.
    pub fn value(self, ranks: &[Option<NonZeroU32>], nominal: &[NonZeroU32]) -> f64 {
        let n = ranks.len();
        let rank = |c: usize| ranks[c].map_or(n as f64, |r| f64::from(r.get()));
        match self {
            Objective::CityRank(c) => rank(c),
            Objective::MeanRankShift => {
                (0..n)
                    .map(|c| (rank(c) - f64::from(nominal[c].get())).abs())
                    .sum::<f64>()
                    / n as f64
            }
        }
    }
}

/// How a sensitivity analysis samples and bootstraps: `runs` rows of each sample matrix
/// (`runs (k + 2)` rebuilds for `k` inputs), drawn by `sampler` from `seed`, and `bootstrap`
/// resamples for the intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SobolDesign {
    /// Rows of each sample matrix.
    pub runs: usize,
    /// How they are drawn.
    pub sampler: Sampler,
    /// Seed of the draws.
    pub seed: u64,
    /// Bootstrap resamples.
    pub bootstrap: usize,
}

/// Sobol indices of `objective` for every uncertain input of `analysis` (in its order): each
/// replication rebuilt on the engine and ranked. `progress` sees the rows done; `cancel` stops
/// the run at the next chunk.
pub fn sensitivity(
    analysis: &crate::uncertainty::Analysis<'_>,
    objective: Objective,
    design: SobolDesign,
    progress: &dyn Fn(usize),
    cancel: &AtomicBool,
) -> Result<Vec<SobolIndex>> {
    let engine = analysis.engine;
    if let Objective::CityRank(c) = objective {
        if c >= engine.n_cities() {
            return Err(Error::Setting {
                key: String::from("city"),
                message: format!(
                    "city slot {c} is not one of the {} peer cities of {}",
                    engine.n_cities(),
                    engine.year
                ),
            });
        }
    }
    let nominal = &engine.nominal_ranks;
    // Treatment and normalisation once per combination of the discrete inputs, as in
    // `monte_carlo`; the config each thread draws into is reused.
    let prepared = crate::uncertainty::Prepared::new(analysis);
    sobol_indices(
        analysis.factors.len(),
        design.runs,
        design.sampler,
        design.seed,
        design.bootstrap,
        || (engine.scratch(), engine.nominal()),
        |(s, config), us| {
            let normalisation = analysis.config_into(us.iter().copied(), config);
            prepared.evaluate(config, normalisation, s)?;
            Ok(objective.value(&s.ranks, nominal))
        },
        progress,
        cancel,
    )
}

/// Sobol indices of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndex {
    /// First-order index.
    pub first_order: f64,
    /// Its bootstrap interval (2.5th and 97.5th percentiles).
    pub first_order_ci: [f64; 2],
    /// Total-effect index.
    pub total_effect: f64,
    /// Its bootstrap interval.
    pub total_effect_ci: [f64; 2],
}

/// Largest number of rows of the Sobol sampler.
pub const SOBOL_MAX_ROWS: usize = 1 << 16;

/// Row `j` of `A` (`half = 0`) or `B` (`half = 1`).
fn row(sampler: Sampler, seed: u64, j: usize, k: usize, half: usize, out: &mut [f64]) {
    match sampler {
        Sampler::Sobol => {
            for (d, o) in out.iter_mut().enumerate() {
                *o = f64::from(sobol_burley::sample(
                    j as u32,
                    (half * k + d) as u32,
                    seed as u32 ^ (seed >> 32) as u32,
                ));
            }
        }
        Sampler::Random => {
            let mut rng = Rng::stream(seed, j as u64);
            for _ in 0..half * k {
                rng.uniform();
            }
            for o in out.iter_mut() {
                *o = rng.uniform();
            }
        }
    }
}

/// Estimates first-order and total-effect indices of the `k` inputs of `f` (uniform on
/// `[0, 1)` each) from `n` rows, with `bootstrap` resamples for the intervals. `init` makes
/// per-thread state for `f`; `progress` gets the number of rows done.
#[allow(clippy::too_many_arguments)]
pub fn sobol_indices<S>(
    k: usize,
    n: usize,
    sampler: Sampler,
    seed: u64,
    bootstrap: usize,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &[f64]) -> Result<f64> + Sync + Send,
    progress: &dyn Fn(usize),
    cancel: &AtomicBool,
) -> Result<Vec<SobolIndex>> {
    if k == 0 {
        return Err(Error::Setting {
            key: String::from("factors"),
            message: String::from(
                "Sobol indices need at least one uncertain input (weights, normalisation, aggregation, imputation, winmax or leave-one-out)",
            ),
        });
    }
    if bootstrap == 0 {
        return Err(Error::Setting {
            key: String::from("bootstrap"),
            message: String::from(
                "the intervals of the Sobol indices need at least 1 bootstrap resample, e.g. 100",
            ),
        });
    }
    if n < 2 {
        return Err(Error::Setting {
            key: String::from("rows"),
            message: format!("Sobol indices need at least 2 runs (rows of the sample), got {n}"),
        });
    }
    if sampler == Sampler::Sobol && n > SOBOL_MAX_ROWS {
        return Err(Error::Setting {
            key: String::from("rows"),
            message: format!("the Sobol sampler gives at most {SOBOL_MAX_ROWS} rows, got {n}; use fewer rows or the pseudo-random sampler"),
        });
    }
    // y[j] = [f(A_j), f(B_j), f(A_B^1_j), ..., f(A_B^k_j)].
    let mut y: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Interrupted { done: start });
        }
        let end = (start + 1024).min(n);
        let chunk: Vec<Vec<f64>> = (start..end)
            .into_par_iter()
            .map_init(&init, |state, j| {
                let (mut a, mut b) = (vec![0.0; k], vec![0.0; k]);
                row(sampler, seed, j, k, 0, &mut a);
                row(sampler, seed, j, k, 1, &mut b);
                let mut out = Vec::with_capacity(k + 2);
                out.push(f(state, &a)?);
                out.push(f(state, &b)?);
                let mut ab = a.clone();
                for i in 0..k {
                    ab[i] = b[i];
                    out.push(f(state, &ab)?);
                    ab[i] = a[i];
                }
                Ok(out)
            })
            .collect::<Result<_>>()?;
        y.extend(chunk);
        start = end;
        progress(start);
    }
    let rows: Vec<usize> = (0..n).collect();
    let point = estimate(&y, &rows, k);
    // Bootstrap: resample rows with replacement.
    let mut rng = Rng::new(seed ^ 0xb007_57ab);
    let mut draws: Vec<Vec<(f64, f64)>> = Vec::with_capacity(bootstrap);
    let mut sample = vec![0; n];
    for _ in 0..bootstrap {
        for s in &mut sample {
            *s = pick(rng.uniform(), n);
        }
        draws.push(estimate(&y, &sample, k));
    }
    Ok((0..k)
        .map(|i| {
            let interval = |get: fn(&(f64, f64)) -> f64| -> [f64; 2] {
                let mut v: Vec<f64> = draws.iter().map(|d| get(&d[i])).collect();
                if v.is_empty() {
                    return [f64::NAN, f64::NAN];
                }
                v.sort_by(f64::total_cmp);
                [percentile(&v, 0.025), percentile(&v, 0.975)]
            };
            SobolIndex {
                first_order: point[i].0,
                first_order_ci: interval(|d| d.0),
                total_effect: point[i].1,
                total_effect_ci: interval(|d| d.1),
            }
        })
        .collect())
}

fn pick(u: f64, n: usize) -> usize {
    ((u * n as f64) as usize).min(n - 1)
}

/// `(S_i, ST_i)` for every input from the rows `rows` of `y`.
fn estimate(y: &[Vec<f64>], rows: &[usize], k: usize) -> Vec<(f64, f64)> {
    let n = rows.len() as f64;
    let mean = rows.iter().map(|&j| y[j][0] + y[j][1]).sum::<f64>() / (2.0 * n);
    let var = rows
        .iter()
        .map(|&j| (y[j][0] - mean).powi(2) + (y[j][1] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n - 1.0);
    (0..k)
        .map(|i| {
            if var == 0.0 {
                return (0.0, 0.0);
            }
            let (mut s, mut st) = (0.0, 0.0);
            for &j in rows {
                let (a, b, ab) = (y[j][0], y[j][1], y[j][2 + i]);
                s += b * (ab - a);
                st += (a - ab).powi(2);
            }
            (s / n / var, st / (2.0 * n) / var)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Ishigami function (a = 7, b = 0.1) on `[-pi, pi]^3`, whose indices are known
    /// analytically: S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    #[allow(clippy::unnecessary_wraps)]
    fn ishigami(_: &mut (), u: &[f64]) -> Result<f64> {
        let x: Vec<f64> = u
            .iter()
            .map(|v| -std::f64::consts::PI + 2.0 * std::f64::consts::PI * v)
            .collect();
        Ok(x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin())
    }

    #[test]
    fn recovers_the_known_indices_of_the_ishigami_function() {
        let expected = [(0.3139, 0.5576), (0.4424, 0.4424), (0.0, 0.2437)];
        for sampler in [Sampler::Sobol, Sampler::Random] {
            let indices = sobol_indices(
                3,
                1 << 14,
                sampler,
                11,
                200,
                || (),
                ishigami,
                &|_| {},
                &AtomicBool::new(false),
            )
            .unwrap();
            // Tolerance 0.03: the estimators' standard error at N = 16,384 is about 0.01.
            for (got, (s, st)) in indices.iter().zip(expected) {
                assert!(
                    (got.first_order - s).abs() < 0.03,
                    "{sampler:?} S {got:?} vs {s}"
                );
                assert!(
                    (got.total_effect - st).abs() < 0.03,
                    "{sampler:?} ST {got:?} vs {st}"
                );
                assert!(got.first_order_ci[0] <= got.first_order_ci[1]);
            }
        }
    }

    #[test]
    fn a_linear_model_has_indices_proportional_to_squared_coefficients() {
        // f = 1 u1 + 2 u2 + 0 u3: S = ST = (1/5, 4/5, 0) for independent uniform inputs.
        let indices = sobol_indices(
            3,
            4096,
            Sampler::Sobol,
            3,
            100,
            || (),
            |(), u| Ok(u[0] + 2.0 * u[1]),
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        for (got, want) in indices.iter().zip([0.2, 0.8, 0.0]) {
            assert!((got.first_order - want).abs() < 0.02, "{got:?}");
            assert!((got.total_effect - want).abs() < 0.02, "{got:?}");
        }
    }

    #[test]
    fn rejects_no_bootstrap_resample_and_no_input() {
        let run = |k: usize, bootstrap: usize| {
            sobol_indices(
                k,
                64,
                Sampler::Random,
                1,
                bootstrap,
                || (),
                |(), _| Ok(0.0),
                &|_| {},
                &AtomicBool::new(false),
            )
            .map_err(|e| e.to_string())
        };
        // 0 resamples gave NaN intervals.
        assert_eq!(
            run(2, 0).unwrap_err(),
            "bootstrap: the intervals of the Sobol indices need at least 1 bootstrap resample, e.g. 100"
        );
        assert!(run(0, 10)
            .unwrap_err()
            .starts_with("factors: Sobol indices need at least one uncertain input"));
        // One resample: a (degenerate) finite interval.
        let one = run(1, 1).unwrap();
        assert!(one[0].first_order_ci.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn rejects_fewer_than_two_runs() {
        let e = sobol_indices(
            2,
            1,
            Sampler::Random,
            1,
            10,
            || (),
            |(), _| Ok(0.0),
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "rows: Sobol indices need at least 2 runs (rows of the sample), got 1"
        );
    }

    #[test]
    fn the_objective_is_the_mean_absolute_rank_shift_or_one_citys_rank_unranked_last() {
        let r = |v: u32| NonZeroU32::new(v);
        let nominal: Vec<NonZeroU32> = [1, 2, 3, 4].into_iter().filter_map(r).collect();
        // City 3 unranked (None) counts as rank 4, the number of cities.
        let ranks = [r(2), r(1), r(3), None];
        let all: Vec<Option<NonZeroU32>> = nominal.iter().copied().map(Some).collect();
        assert!((Objective::MeanRankShift.value(&ranks, &nominal) - 0.5).abs() < 1e-12);
        assert!((Objective::MeanRankShift.value(&all, &nominal)).abs() < 1e-12);
        assert_eq!(Objective::CityRank(0).value(&ranks, &nominal), 2.0);
        assert_eq!(Objective::CityRank(3).value(&ranks, &nominal), 4.0);
    }
}
