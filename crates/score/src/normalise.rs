//! Transforms and normalisation of a panel, column by column.
//!
//! Every method works on direction-adjusted values `x' = sign * x` (COINr multiplies by
//! `Direction` before calling `n_*`), so that higher is better afterwards. Data-driven
//! statistics (min, max, mean, sd, ranks) are taken over the scope set by [`Bounds`]: every
//! city in every year ([`Bounds::Panel`], comparable across years) or each year on its own.
//! NaN (missing) values are ignored by every statistic and stay NaN.

use healthy_city_model::{Bounds, Normalisation, Transform};

use crate::error::{Error, Result};
use crate::panel::Panel;
use crate::plan::{IndicatorPlan, Plan};

/// Applies a transform to one value, or says which domain it needs.
fn apply(t: Transform, x: f64) -> std::result::Result<f64, (&'static str, &'static str)> {
    match t {
        Transform::Ln if x > 0.0 => Ok(x.ln()),
        Transform::Ln => Err(("ln", "values must be > 0")),
        Transform::Log10 if x > 0.0 => Ok(x.log10()),
        Transform::Log10 => Err(("log10", "values must be > 0")),
        Transform::Sqrt if x >= 0.0 => Ok(x.sqrt()),
        Transform::Sqrt => Err(("sqrt", "values must be >= 0")),
    }
}

/// Applies each indicator's `transform` (ln, log10, sqrt) to the panel's values.
pub fn transform(panel: &Panel, plan: &Plan) -> Result<Panel> {
    let (nc, ni) = (panel.n_cities(), panel.n_indicators());
    let mut out = panel.clone();
    for (at, v) in out.values.iter_mut().enumerate() {
        let i = at % ni;
        let Some(t) = plan.indicators[i].transform else {
            continue;
        };
        if v.is_nan() {
            continue;
        }
        *v = apply(t, *v).map_err(|(name, domain)| Error::TransformDomain {
            transform: name,
            indicator: plan.indicators[i].id.clone(),
            city: panel.cities[(at / ni) % nc].clone(),
            year: panel.years[at / ni / nc],
            value: *v,
            domain,
        })?;
    }
    Ok(out)
}

/// A goalpost or target in natural units, transformed like the indicator's values.
pub(crate) fn transformed(ind: &IndicatorPlan, value: f64, what: &str) -> Result<f64> {
    match ind.transform {
        None => Ok(value),
        Some(t) => apply(t, value).map_err(|(name, domain)| Error::TransformDomain {
            transform: name,
            indicator: format!("{} (its {what})", ind.id),
            city: String::from("every city"),
            year: 0,
            value,
            domain,
        }),
    }
}

/// Normalises every indicator of the panel, which holds transformed (and treated) values: see
/// [`transform`] and [`treat`](crate::treat()). Returns the same layout as `panel.values`, NaN
/// where missing. `plan.scale` `[l, u]` applies to min-max, goalposts and scaled; the other
/// methods keep COINr's own scale (1 at the best, reference or target; ranks; z-scores).
pub fn normalise(panel: &Panel, plan: &Plan, bounds: Bounds) -> Result<Vec<f64>> {
    let ni = panel.n_indicators();
    let mut out = vec![f64::NAN; panel.values.len()];
    for (i, ind) in plan.indicators.iter().enumerate() {
        let column = normalise_indicator(panel, i, ind, plan.scale, bounds)?;
        for (cell, v) in column.into_iter().enumerate() {
            out[cell * ni + i] = v;
        }
    }
    Ok(out)
}

/// Normalises indicator slot `i` of the panel with the method in `ind`: returns one value per
/// `(year, city)` cell, year-major, NaN where missing.
pub fn normalise_indicator(
    panel: &Panel,
    i: usize,
    ind: &IndicatorPlan,
    scale: [f64; 2],
    bounds: Bounds,
) -> Result<Vec<f64>> {
    let (ny, nc, ni) = (panel.years.len(), panel.n_cities(), panel.n_indicators());
    let [l, u] = scale;
    let sign = ind.sign;
    // Direction-adjusted values, year-major.
    let x: Vec<f64> = (0..ny * nc)
        .map(|cell| sign * panel.values[cell * ni + i])
        .collect();
    let mut out = vec![f64::NAN; ny * nc];

    match &ind.normalisation {
        Normalisation::Goalposts | Normalisation::Scaled => {
            let [lo, hi] = ind.goalposts.ok_or_else(|| Error::MissingGoalposts {
                indicator: ind.id.clone(),
            })?;
            let (lo, hi) = (
                transformed(ind, lo, "goalposts")?,
                transformed(ind, hi, "goalposts")?,
            );
            let clamp = ind.normalisation == Normalisation::Goalposts;
            for (o, &v) in out.iter_mut().zip(&x) {
                if v.is_nan() {
                    continue;
                }
                let v = sign * v; // natural units again
                let share = if sign > 0.0 {
                    (v - lo) / (hi - lo)
                } else {
                    (hi - v) / (hi - lo)
                };
                let share = if clamp { share.clamp(0.0, 1.0) } else { share };
                *o = l + share * (u - l);
            }
            return Ok(out);
        }
        Normalisation::Dist2ref { city, .. } if !panel.cities.iter().any(|c| c == city) => {
            return Err(Error::UnknownReference {
                indicator: ind.id.clone(),
                city: city.clone(),
            });
        }
        _ => {}
    }

    let scopes: Vec<(usize, usize)> = match bounds {
        Bounds::Panel => vec![(0, ny)],
        Bounds::Year => (0..ny).map(|y| (y, y + 1)).collect(),
    };
    for (first, last) in scopes {
        let scope = Scope {
            panel,
            ind,
            first,
            last,
            bounds,
        };
        let xs = &x[first * nc..last * nc];
        let os = &mut out[first * nc..last * nc];
        let Some((min, max)) = min_max(xs) else {
            continue; // no value at all: stays missing
        };
        match &ind.normalisation {
            Normalisation::Goalposts | Normalisation::Scaled => {}
            Normalisation::Minmax => {
                scope.spread(min, max, "min-max")?;
                map(xs, os, |v| l + (v - min) / (max - min) * (u - l));
            }
            Normalisation::Dist2max => {
                scope.spread(min, max, "dist2max")?;
                map(xs, os, |v| 1.0 - (max - v) / (max - min));
            }
            Normalisation::Zscore { mean: m, sd: s } => {
                let (n, mean, sd) = mean_sd(xs);
                if n < 2 {
                    return Err(scope.too_few("z-score normalisation", 2, n));
                }
                scope.spread(min, max, "z-score")?;
                map(xs, os, |v| (v - mean) / sd * s + m);
            }
            Normalisation::Dist2ref { city, cap_max } => {
                let c = panel.cities.iter().position(|p| p == city).unwrap_or(0);
                for y in first..last {
                    let reference = x[y * nc + c];
                    if reference.is_nan() {
                        if x[y * nc..(y + 1) * nc].iter().all(|v| v.is_nan()) {
                            continue;
                        }
                        return Err(Error::ReferenceMissing {
                            indicator: ind.id.clone(),
                            city: city.clone(),
                            year: panel.years[y],
                        });
                    }
                    if reference <= min {
                        return Err(Error::ReferenceIsWorst {
                            indicator: ind.id.clone(),
                            city: city.clone(),
                            year: panel.years[y],
                            value: sign * reference,
                        });
                    }
                    let row = (y - first) * nc..(y - first + 1) * nc;
                    map(&xs[row.clone()], &mut os[row], |v| {
                        let score = 1.0 - (reference - v) / (reference - min);
                        if *cap_max {
                            score.min(1.0)
                        } else {
                            score
                        }
                    });
                }
            }
            Normalisation::Dist2targ { cap_max } => {
                let target = ind.target.ok_or_else(|| Error::MissingTarget {
                    indicator: ind.id.clone(),
                })?;
                let t = sign * transformed(ind, target, "target")?;
                if t <= min {
                    return Err(Error::TargetNotBetter {
                        indicator: ind.id.clone(),
                        target,
                        worst: sign * min,
                        scope: scope.label(),
                    });
                }
                map(xs, os, |v| {
                    let score = (v - min) / (t - min);
                    if *cap_max {
                        score.min(1.0)
                    } else {
                        score
                    }
                });
            }
            Normalisation::Fracmax => {
                if max == 0.0 {
                    return Err(Error::ZeroBest {
                        indicator: ind.id.clone(),
                        scope: scope.label(),
                    });
                }
                map(xs, os, |v| v / max);
            }
            Normalisation::Rank | Normalisation::Borda | Normalisation::Prank => {
                let ranks = rank_min(xs);
                let n = xs.iter().filter(|v| !v.is_nan()).count();
                if ind.normalisation == Normalisation::Prank && n < 2 {
                    return Err(scope.too_few("percentile rank normalisation", 2, n));
                }
                let denominator = (n.max(2) - 1) as f64;
                map(&ranks, os, |r| match ind.normalisation {
                    Normalisation::Rank => r,
                    Normalisation::Borda => r - 1.0,
                    _ => (r - 1.0) / denominator,
                });
            }
        }
    }
    Ok(out)
}

/// The years one set of statistics is taken over, for error messages.
struct Scope<'a> {
    panel: &'a Panel,
    ind: &'a IndicatorPlan,
    first: usize,
    last: usize,
    bounds: Bounds,
}

impl Scope<'_> {
    fn label(&self) -> String {
        match self.bounds {
            Bounds::Panel if self.last - self.first > 1 => String::from(" in every year"),
            _ => format!(" in {}", self.panel.years[self.first]),
        }
    }

    fn spread(&self, min: f64, max: f64, method: &'static str) -> Result<()> {
        if min < max {
            return Ok(());
        }
        Err(Error::ZeroRange {
            indicator: self.ind.id.clone(),
            method,
            value: self.ind.sign * min,
            scope: match self.bounds {
                Bounds::Panel => String::from(" in every year"),
                Bounds::Year => format!(" in {}", self.panel.years[self.first]),
            },
        })
    }

    fn too_few(&self, method: &'static str, needed: usize, found: usize) -> Error {
        Error::TooFewValues {
            indicator: self.ind.id.clone(),
            method,
            needed,
            found,
            scope: self.label(),
        }
    }
}

/// Writes `f(x)` for every present `x`; missing stays missing.
fn map(xs: &[f64], out: &mut [f64], f: impl Fn(f64) -> f64) {
    for (o, &v) in out.iter_mut().zip(xs) {
        if !v.is_nan() {
            *o = f(v);
        }
    }
}

/// Smallest and largest present value, `None` when every value is missing.
pub(crate) fn min_max(xs: &[f64]) -> Option<(f64, f64)> {
    xs.iter()
        .filter(|v| !v.is_nan())
        .fold(None, |acc, &v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
}

/// Number of present values, their mean and sample standard deviation (n - 1), as R's `mean`
/// and `sd` with `na.rm = TRUE`.
fn mean_sd(xs: &[f64]) -> (usize, f64, f64) {
    let present = || xs.iter().copied().filter(|v| !v.is_nan());
    let n = present().count();
    if n == 0 {
        return (0, f64::NAN, f64::NAN);
    }
    let mean = present().sum::<f64>() / n as f64;
    // R refines the mean with a second pass.
    let mean = mean + present().map(|v| v - mean).sum::<f64>() / n as f64;
    let ss: f64 = present().map(|v| (v - mean) * (v - mean)).sum();
    (n, mean, (ss / (n as f64 - 1.0)).sqrt())
}

/// Ranks with R's `rank(x, ties.method = "min", na.last = "keep")`: 1 for the smallest value,
/// tied values share the lowest rank of their group, NaN stays NaN.
pub(crate) fn rank_min(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).filter(|&k| !xs[k].is_nan()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![f64::NAN; xs.len()];
    let mut start = 0;
    for (position, &k) in order.iter().enumerate() {
        // -0.0 and 0.0 tie, as in R.
        if position > 0 && xs[k] != xs[order[position - 1]] {
            start = position;
        }
        ranks[k] = (start + 1) as f64;
    }
    ranks
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use healthy_city_model::Treatment;

    /// Hand computations below are exact in decimal or closed forms; tolerance 1e-12.
    const TOL: f64 = 1e-12;

    fn plan(normalisation: Normalisation, sign: f64) -> IndicatorPlan {
        IndicatorPlan {
            id: "x".into(),
            sign,
            transform: None,
            normalisation,
            goalposts: Some([0.0, 20.0]),
            target: Some(8.0),
            treatment: Treatment::None,
        }
    }

    /// One indicator, cities a..: `years` rows of values.
    fn panel(rows: &[&[f64]]) -> Panel {
        let nc = rows[0].len();
        Panel {
            cities: (0..nc)
                .map(|c| format!("{}", (b'a' + c as u8) as char))
                .collect(),
            years: (0..rows.len()).map(|y| 2018 + y as i32).collect(),
            indicators: vec!["x".into()],
            values: rows.iter().flat_map(|r| r.iter().copied()).collect(),
            proxy: vec![false; rows.len() * nc],
        }
    }

    fn run(values: &[f64], normalisation: Normalisation, sign: f64) -> Result<Vec<f64>> {
        normalise_indicator(
            &panel(&[values]),
            0,
            &plan(normalisation, sign),
            [0.0, 100.0],
            Bounds::Panel,
        )
    }

    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g.is_nan() && w.is_nan()) || (g - w).abs() <= TOL,
                "{got:?} != {want:?}"
            );
        }
    }

    const NA: f64 = f64::NAN;
    const X: &[f64] = &[2.0, 4.0, NA, 10.0, 4.0];

    #[test]
    fn minmax_and_dist2max_by_hand() {
        // Range 2..10: (x - 2) / 8.
        close(
            &run(X, Normalisation::Minmax, 1.0).unwrap(),
            &[0.0, 25.0, NA, 100.0, 25.0],
        );
        // Lower is better: x' = -x, range -10..-2.
        close(
            &run(X, Normalisation::Minmax, -1.0).unwrap(),
            &[100.0, 75.0, NA, 0.0, 75.0],
        );
        close(
            &run(X, Normalisation::Dist2max, 1.0).unwrap(),
            &[0.0, 0.25, NA, 1.0, 0.25],
        );
    }

    #[test]
    fn zscore_uses_the_sample_sd() {
        // Values 2, 4, 10, 4: mean 5, squares 9 + 1 + 25 + 1 = 36, sd sqrt(36 / 3) = sqrt 12.
        let s = 12f64.sqrt();
        close(
            &run(
                X,
                Normalisation::Zscore {
                    mean: 10.0,
                    sd: 2.0,
                },
                1.0,
            )
            .unwrap(),
            &[
                10.0 - 6.0 / s,
                10.0 - 2.0 / s,
                NA,
                10.0 + 10.0 / s,
                10.0 - 2.0 / s,
            ],
        );
    }

    #[test]
    fn goalposts_clamp_and_scaled_does_not() {
        let x = [-4.0, 5.0, 30.0];
        close(
            &run(&x, Normalisation::Goalposts, 1.0).unwrap(),
            &[0.0, 25.0, 100.0],
        );
        close(
            &run(&x, Normalisation::Scaled, 1.0).unwrap(),
            &[-20.0, 25.0, 150.0],
        );
        // Lower is better: (20 - x) / 20.
        close(
            &run(&x, Normalisation::Scaled, -1.0).unwrap(),
            &[120.0, 75.0, -50.0],
        );
    }

    #[test]
    fn dist2ref_scores_the_reference_1_and_the_worst_0() {
        let dist2ref = |cap_max| Normalisation::Dist2ref {
            city: "b".into(),
            cap_max,
        };
        // Reference b = 4, min 2: 1 - (4 - x) / 2.
        close(
            &run(X, dist2ref(false), 1.0).unwrap(),
            &[0.0, 1.0, NA, 4.0, 1.0],
        );
        close(
            &run(X, dist2ref(true), 1.0).unwrap(),
            &[0.0, 1.0, NA, 1.0, 1.0],
        );
        // Lower is better: x' = -x, reference -4, min -10: 1 - (-4 + x) / 6.
        close(
            &run(X, dist2ref(false), -1.0).unwrap(),
            &[4.0 / 3.0, 1.0, NA, 0.0, 1.0],
        );
    }

    #[test]
    fn dist2targ_in_natural_units() {
        let d = |cap_max| Normalisation::Dist2targ { cap_max };
        // Target 8, min 2: (x - 2) / 6.
        close(
            &run(X, d(false), 1.0).unwrap(),
            &[0.0, 1.0 / 3.0, NA, 4.0 / 3.0, 1.0 / 3.0],
        );
        close(
            &run(X, d(true), 1.0).unwrap(),
            &[0.0, 1.0 / 3.0, NA, 1.0, 1.0 / 3.0],
        );
        // Lower is better: (max - x) / (max - target) = (10 - x) / 2.
        close(&run(X, d(true), -1.0).unwrap(), &[1.0, 1.0, NA, 0.0, 1.0]);
        close(&run(X, d(false), -1.0).unwrap(), &[4.0, 3.0, NA, 0.0, 3.0]);
    }

    #[test]
    fn fracmax_follows_coinr_for_lower_is_better() {
        close(
            &run(X, Normalisation::Fracmax, 1.0).unwrap(),
            &[0.2, 0.4, NA, 1.0, 0.4],
        );
        // (-x) / max(-x) = x / min(x): the best scores 1, the others more.
        close(
            &run(X, Normalisation::Fracmax, -1.0).unwrap(),
            &[1.0, 2.0, NA, 5.0, 2.0],
        );
    }

    #[test]
    fn ranks_share_the_lowest_rank_on_ties() {
        close(
            &run(X, Normalisation::Rank, 1.0).unwrap(),
            &[1.0, 2.0, NA, 4.0, 2.0],
        );
        close(
            &run(X, Normalisation::Rank, -1.0).unwrap(),
            &[4.0, 2.0, NA, 1.0, 2.0],
        );
        close(
            &run(X, Normalisation::Borda, 1.0).unwrap(),
            &[0.0, 1.0, NA, 3.0, 1.0],
        );
        // (rank - 1) / (4 - 1).
        close(
            &run(X, Normalisation::Prank, 1.0).unwrap(),
            &[0.0, 1.0 / 3.0, NA, 1.0, 1.0 / 3.0],
        );
    }

    #[test]
    fn panel_bounds_pool_every_year_and_year_bounds_do_not() {
        let p = panel(&[&[1.0, 3.0], &[2.0, 5.0]]);
        let ind = plan(Normalisation::Rank, 1.0);
        let pooled = normalise_indicator(&p, 0, &ind, [0.0, 100.0], Bounds::Panel).unwrap();
        close(&pooled, &[1.0, 3.0, 2.0, 4.0]);
        let yearly = normalise_indicator(&p, 0, &ind, [0.0, 100.0], Bounds::Year).unwrap();
        close(&yearly, &[1.0, 2.0, 1.0, 2.0]);
        let ind = plan(Normalisation::Zscore { mean: 0.0, sd: 1.0 }, 1.0);
        let pooled = normalise_indicator(&p, 0, &ind, [0.0, 100.0], Bounds::Panel).unwrap();
        // Mean 11/4, squares 3.0625 + 0.0625 + 0.5625 + 5.0625 = 8.75, sd sqrt(8.75 / 3).
        let s = (8.75f64 / 3.0).sqrt();
        close(&pooled, &[-1.75 / s, 0.25 / s, -0.75 / s, 2.25 / s]);
        // dist2ref over the panel: the reference's own value each year, the panel's min.
        let ind = plan(
            Normalisation::Dist2ref {
                city: "b".into(),
                cap_max: false,
            },
            1.0,
        );
        let pooled = normalise_indicator(&p, 0, &ind, [0.0, 100.0], Bounds::Panel).unwrap();
        close(&pooled, &[0.0, 1.0, 0.25, 1.0]);
    }

    #[test]
    fn degenerate_cases_are_errors_naming_the_indicator() {
        let constant = [3.0, 3.0, NA];
        for n in [
            Normalisation::Minmax,
            Normalisation::Dist2max,
            Normalisation::Zscore { mean: 0.0, sd: 1.0 },
        ] {
            let e = run(&constant, n, 1.0).unwrap_err().to_string();
            assert!(
                e.starts_with("indicator `x` has the same value (3) for every city in every year"),
                "{e}"
            );
        }
        let e = run(&[1.0, 2.0], Normalisation::Fracmax, -1.0);
        assert!(e.is_ok());
        let e = run(&[0.0, 2.0], Normalisation::Fracmax, -1.0)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("fracmax divides by its best value, which is 0"),
            "{e}"
        );
        let worst = Normalisation::Dist2ref {
            city: "a".into(),
            cap_max: true,
        };
        let e = run(&[1.0, 2.0], worst.clone(), 1.0)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "indicator `x`: dist2ref reference city `a` has the worst value (1) in 2018, so every score divides by zero (COINr silently returns NaN and Inf); choose another reference city or method");
        let e = run(&[NA, 2.0], worst, 1.0).unwrap_err().to_string();
        assert!(e.contains("city `a` has no value in 2018"), "{e}");
        let e = run(
            &[1.0, 2.0],
            Normalisation::Dist2ref {
                city: "london".into(),
                cap_max: false,
            },
            1.0,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`london` is not among the scored cities"), "{e}");
        // Target 8 below the worst value 9.
        let e = run(
            &[9.0, 12.0],
            Normalisation::Dist2targ { cap_max: false },
            1.0,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("target 8 is not better than the worst value (9)"),
            "{e}"
        );
        let e = run(&[9.0, NA], Normalisation::Prank, 1.0)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "percentile rank normalisation of indicator `x` needs at least 2 values in 2018, but it has 1; use `bounds = \"panel\"`, impute, or choose another method");
    }

    #[test]
    fn an_all_missing_indicator_stays_missing() {
        close(
            &run(&[NA, NA], Normalisation::Zscore { mean: 0.0, sd: 1.0 }, 1.0).unwrap(),
            &[NA, NA],
        );
    }

    /// COINr 1.1.14's own outputs (`shared/reference/coinr/normalise`, README sections 0-1):
    /// the 55 cities and 10 indicators of `iData.csv`, directions and goalposts from
    /// `iMeta.csv`, every value matched on `uCode` to 1e-9 relative-or-absolute.
    pub(crate) mod coinr {
        use super::*;
        use crate::reference::{coinr_dir, read, Table};
        use std::path::Path;

        pub(crate) struct Reference {
            pub(crate) dir: std::path::PathBuf,
            pub(crate) panel: Panel,
            pub(crate) meta: Table,
        }

        /// The iData panel (one year, cities in uCode order, indicators in iData order).
        pub(crate) fn reference() -> Option<Reference> {
            let dir = coinr_dir()?;
            let data = read(&dir.join("iData.csv"));
            let meta = read(&dir.join("iMeta.csv"));
            let indicators: Vec<String> = data.header[3..].to_vec();
            let mut rows: Vec<usize> = (0..data.rows.len()).collect();
            rows.sort_by(|&a, &b| data.rows[a][0].cmp(&data.rows[b][0]));
            let mut values = Vec::new();
            for &r in &rows {
                for i in 0..indicators.len() {
                    values.push(data.number(r, 3 + i));
                }
            }
            let panel = Panel {
                cities: rows.iter().map(|&r| data.rows[r][0].clone()).collect(),
                years: vec![2024],
                indicators,
                values,
                proxy: vec![false; rows.len() * 10],
            };
            Some(Reference { dir, panel, meta })
        }

        fn meta_number(meta: &Table, code: &str, column: &str) -> f64 {
            let row = meta.index(meta.column("iCode"))[code];
            meta.number(row, meta.column(column))
        }

        fn close(got: f64, want: f64) -> bool {
            (got.is_nan() && want.is_nan()) || (got - want).abs() <= 1e-9 * want.abs().max(1.0)
        }

        /// Normalises every indicator with `method` and compares it with `file`; the indicators
        /// in `degenerate` must be errors (COINr gives NaN/Inf there), their message containing
        /// `message`.
        fn check(
            file: &str,
            method: &Normalisation,
            scale: [f64; 2],
            degenerate: &[&str],
            message: &str,
        ) {
            let Some(Reference { dir, panel, meta }) = reference() else {
                return;
            };
            let want = read(&Path::join(&dir, Path::new("normalise").join(file)));
            let rows = want.index(0);
            for (i, code) in panel.indicators.iter().enumerate() {
                let ind = IndicatorPlan {
                    id: code.clone(),
                    sign: meta_number(&meta, code, "Direction"),
                    transform: None,
                    normalisation: method.clone(),
                    goalposts: Some([
                        meta_number(&meta, code, "goalpost_lower"),
                        meta_number(&meta, code, "goalpost_upper"),
                    ]),
                    target: Some(meta_number(&meta, code, "Target")),
                    treatment: healthy_city_model::Treatment::None,
                };
                let column = want.column(code);
                let got = normalise_indicator(&panel, i, &ind, scale, Bounds::Panel);
                if degenerate.contains(&code.as_str()) {
                    let e = got.expect_err(code).to_string();
                    assert!(e.contains(message), "{file} {code}: {e}");
                    assert!(
                        want.rows
                            .iter()
                            .any(|r| matches!(r[column].as_str(), "NaN" | "Inf" | "-Inf")),
                        "{file} {code}: COINr gave no NaN/Inf"
                    );
                    continue;
                }
                let got = got.unwrap_or_else(|e| panic!("{file} {code}: {e}"));
                for (c, city) in panel.cities.iter().enumerate() {
                    let w = want.number(rows[city], column);
                    assert!(close(got[c], w), "{file} {code} {city}: {} != {w}", got[c]);
                }
            }
        }

        const DIST2REF_WORST: &str =
            "dist2ref reference city `LON` has the worst value (3) in 2024";

        #[test]
        fn minmax_0_100() {
            check(
                "minmax_0_100.csv",
                &Normalisation::Minmax,
                [0.0, 100.0],
                &[],
                "",
            );
        }

        #[test]
        fn minmax_1_100() {
            check(
                "minmax_1_100.csv",
                &Normalisation::Minmax,
                [1.0, 100.0],
                &[],
                "",
            );
        }

        #[test]
        fn zscore_10_2() {
            let z = Normalisation::Zscore {
                mean: 10.0,
                sd: 2.0,
            };
            check("zscore_10_2.csv", &z, [0.0, 100.0], &[], "");
        }

        #[test]
        fn scaled_and_goalposts_from_imeta() {
            check(
                "scaled_iMeta.csv",
                &Normalisation::Scaled,
                [0.0, 100.0],
                &[],
                "",
            );
            check(
                "goalposts_iMeta.csv",
                &Normalisation::Goalposts,
                [0.0, 100.0],
                &[],
                "",
            );
        }

        #[test]
        fn dist2max() {
            check(
                "dist2max.csv",
                &Normalisation::Dist2max,
                [0.0, 100.0],
                &[],
                "",
            );
        }

        #[test]
        fn dist2ref_london_by_city_id() {
            for (file, cap_max) in [
                ("dist2ref_LON.csv", false),
                ("dist2ref_LON_capmax.csv", true),
            ] {
                let d = Normalisation::Dist2ref {
                    city: "LON".into(),
                    cap_max,
                };
                check(file, &d, [0.0, 100.0], &["GRN_07"], DIST2REF_WORST);
            }
        }

        #[test]
        fn dist2targ_from_imeta() {
            for (file, cap_max) in [
                ("dist2targ_iMeta.csv", false),
                ("dist2targ_iMeta_capmax.csv", true),
            ] {
                check(
                    file,
                    &Normalisation::Dist2targ { cap_max },
                    [0.0, 100.0],
                    &[],
                    "",
                );
            }
        }

        #[test]
        fn fracmax() {
            check(
                "fracmax.csv",
                &Normalisation::Fracmax,
                [0.0, 100.0],
                &["GRN_07"],
                "fracmax divides by its best value, which is 0",
            );
        }

        #[test]
        fn rank_borda_prank() {
            check("rank.csv", &Normalisation::Rank, [0.0, 100.0], &[], "");
            check("borda.csv", &Normalisation::Borda, [0.0, 100.0], &[], "");
            check("prank.csv", &Normalisation::Prank, [0.0, 100.0], &[], "");
        }
    }
}
