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
use crate::stats::mean_sd;
use crate::treat::Mapping;

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
pub(crate) fn transform(panel: &Panel, plan: &Plan) -> Result<Panel> {
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

/// The error for a present value of indicator `ind` whose normalised value is not finite (an
/// overflow in the transform, the treatment or the normalisation: a huge range or variance, a
/// ratio to a best value or reference near 0), naming the city, the year and the settings.
pub(crate) fn not_finite(
    ind: &IndicatorPlan,
    normalisation: &Normalisation,
    treatment: &str,
    city: String,
    year: i32,
    value: f64,
) -> Error {
    Error::NotFinite {
        what: format!(
            "the normalised value of indicator `{}` ({} normalisation, {treatment} treatment)",
            ind.id,
            normalisation.name()
        ),
        city,
        year,
        value,
        fix: format!(
            "its values are too large or too close to 0 for this normalisation; check the values of `{}`, or set another `normalisation`, `transform` or `treatment` for it (min-max or rank normalisation stay bounded)",
            ind.id
        ),
    }
}

/// Checks that every present (transformed, untreated) value has a finite normalised value (same layout,
/// `[year][city][indicator]`), else [`not_finite`] for the first that has not.
pub(crate) fn check_finite(
    panel: &Panel,
    plan: &Plan,
    present: &[f64],
    normalised: &[f64],
) -> Result<()> {
    let (ni, nc) = (panel.n_indicators(), panel.n_cities());
    for (at, (&t, &v)) in present.iter().zip(normalised).enumerate() {
        if !t.is_nan() && !v.is_finite() {
            let ind = &plan.indicators[at % ni];
            return Err(not_finite(
                ind,
                &ind.normalisation,
                ind.treatment.name(),
                panel.cities[(at / ni) % nc].clone(),
                panel.years[at / ni / nc],
                v,
            ));
        }
    }
    Ok(())
}

/// Normalises every indicator of the panel, which holds transformed (and treated) values: see
/// [`transform`] and [`treat`](crate::treat()). Returns the same layout as `panel.values`, NaN
/// where missing. `plan.scale` `[l, u]` applies to min-max, goalposts and scaled; the other
/// methods keep COINr's own scale (1 at the best, reference or target; ranks; z-scores).
pub(crate) fn normalise(panel: &Panel, plan: &Plan, bounds: Bounds) -> Result<Vec<f64>> {
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

/// The values one set of statistics is taken over: an indicator's present values in the scope
/// set by [`Bounds`], before `mapping` (the outlier treatment) is applied to them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample<'a> {
    /// The present values in panel order (year-major, then city), the order every sum runs in.
    pub(crate) values: &'a [f64],
    /// The same values, ascending.
    pub(crate) sorted: &'a [f64],
    /// The treatment of every value (monotone, so `sorted` stays sorted under it).
    pub(crate) mapping: Mapping,
}

/// Which years a set of statistics is taken over, for messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    /// How the scope was chosen.
    pub(crate) bounds: Bounds,
    /// The first year in it.
    pub(crate) year: i32,
    /// How many years it spans.
    pub(crate) years: usize,
}

impl Scope {
    fn label(&self) -> String {
        match self.bounds {
            Bounds::Panel if self.years > 1 => String::from(" in every year"),
            _ => format!(" in {}", self.year),
        }
    }

    /// The label of a zero range: `" in every year"` for panel bounds, however many years.
    fn range_label(&self) -> String {
        match self.bounds {
            Bounds::Panel => String::from(" in every year"),
            Bounds::Year => format!(" in {}", self.year),
        }
    }
}

/// The reference city's value in a year (dist2ref), after treatment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reference {
    /// Its treated, transformed value in the year (NaN if it has none).
    pub(crate) value: f64,
    /// The year.
    pub(crate) year: i32,
}

/// A normalisation fitted to its sample: every check done, every statistic taken, ready to
/// map a treated value. The one implementation of each method, for [`score`](crate::score())
/// and every replication.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fitted<'a> {
    /// `l + (x' - min) / (max - min) * (u - l)`.
    Minmax {
        sign: f64,
        min: f64,
        max: f64,
        l: f64,
        u: f64,
    },
    /// `1 - (max - x') / (max - min)`.
    Dist2max { sign: f64, min: f64, max: f64 },
    /// `(x' - mean) / sd * s + m`.
    Zscore {
        sign: f64,
        mean: f64,
        sd: f64,
        m: f64,
        s: f64,
    },
    /// The share of the way from `lo` to `hi` (natural units), to `[l, u]`, clamped or not.
    Goalposts {
        sign: f64,
        lo: f64,
        hi: f64,
        clamp: bool,
        l: f64,
        u: f64,
    },
    /// `(x' - min) / (t' - min)`.
    Dist2targ {
        sign: f64,
        min: f64,
        target: f64,
        cap_max: bool,
    },
    /// `1 - (r' - x') / (r' - min)`.
    Dist2ref {
        sign: f64,
        min: f64,
        reference: f64,
        cap_max: bool,
    },
    /// `x' / max`.
    Fracmax { sign: f64, max: f64 },
    /// Rank (1 = worst, ties share the lowest), Borda (`rank - 1`) or percentile rank.
    Rank {
        sign: f64,
        method: RankMethod,
        sorted: &'a [f64],
        mapping: Mapping,
    },
}

/// The rank-based normalisations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RankMethod {
    Rank,
    Borda,
    Prank,
}

/// Fits `method` for indicator `ind` to `sample` (see [`Sample`]), with the target scale
/// `[l, u]`: checks everything the method needs once (goalposts, target, a range, enough
/// values, a best value that is not 0, a reference that has a value and is not the worst, a
/// target better than the worst) and takes its statistics. `reference` is needed by
/// dist2ref only. `None` when the sample is empty and the method needs one: every value is
/// missing and stays so.
pub(crate) fn fit<'a>(
    ind: &IndicatorPlan,
    method: &Normalisation,
    sample: Sample<'a>,
    reference: Option<Reference>,
    scale: [f64; 2],
    scope: Scope,
) -> Result<Option<Fitted<'a>>> {
    let sign = ind.sign;
    let [l, u] = scale;
    if let Normalisation::Goalposts | Normalisation::Scaled = method {
        let [lo, hi] = ind.goalposts.ok_or_else(|| Error::MissingGoalposts {
            indicator: ind.id.clone(),
        })?;
        return Ok(Some(Fitted::Goalposts {
            sign,
            lo: transformed(ind, lo, "goalposts")?,
            hi: transformed(ind, hi, "goalposts")?,
            clamp: *method == Normalisation::Goalposts,
            l,
            u,
        }));
    }
    let Sample {
        values,
        sorted,
        mapping,
    } = sample;
    let n = sorted.len();
    if n == 0 {
        return Ok(None);
    }
    // Direction-adjusted extremes: the mapping is monotone, so they are the sorted ends'.
    let (first, last) = (mapping.apply(sorted[0]), mapping.apply(sorted[n - 1]));
    let (min, max) = if sign > 0.0 {
        (first, last)
    } else {
        (-last, -first)
    };
    let spread = |method: &'static str| {
        if min < max {
            Ok(())
        } else {
            Err(Error::ZeroRange {
                indicator: ind.id.clone(),
                method,
                value: sign * min,
                scope: scope.range_label(),
            })
        }
    };
    let too_few = |method: &'static str, needed: usize| Error::TooFewValues {
        indicator: ind.id.clone(),
        method,
        needed,
        found: n,
        scope: scope.label(),
    };
    let fitted = match method {
        Normalisation::Goalposts | Normalisation::Scaled => unreachable!("fitted above"),
        Normalisation::Minmax => {
            spread("min-max")?;
            Fitted::Minmax {
                sign,
                min,
                max,
                l,
                u,
            }
        }
        Normalisation::Dist2max => {
            spread("dist2max")?;
            Fitted::Dist2max { sign, min, max }
        }
        Normalisation::Zscore { mean: m, sd: s } => {
            let (count, mean, sd) = mean_sd(values.iter().map(|&v| sign * mapping.apply(v)));
            if count < 2 {
                return Err(too_few("z-score normalisation", 2));
            }
            spread("z-score")?;
            Fitted::Zscore {
                sign,
                mean,
                sd,
                m: *m,
                s: *s,
            }
        }
        Normalisation::Dist2ref { city, cap_max } => {
            let reference = reference.unwrap_or(Reference {
                value: f64::NAN,
                year: scope.year,
            });
            if reference.value.is_nan() {
                return Err(Error::ReferenceMissing {
                    indicator: ind.id.clone(),
                    city: city.clone(),
                    year: reference.year,
                });
            }
            let r = sign * reference.value;
            if r <= min {
                return Err(Error::ReferenceIsWorst {
                    indicator: ind.id.clone(),
                    city: city.clone(),
                    year: reference.year,
                    value: sign * r,
                });
            }
            Fitted::Dist2ref {
                sign,
                min,
                reference: r,
                cap_max: *cap_max,
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
            Fitted::Dist2targ {
                sign,
                min,
                target: t,
                cap_max: *cap_max,
            }
        }
        Normalisation::Fracmax => {
            if max == 0.0 {
                return Err(Error::ZeroBest {
                    indicator: ind.id.clone(),
                    scope: scope.label(),
                });
            }
            Fitted::Fracmax { sign, max }
        }
        Normalisation::Rank | Normalisation::Borda | Normalisation::Prank => {
            let method = match method {
                Normalisation::Rank => RankMethod::Rank,
                Normalisation::Borda => RankMethod::Borda,
                _ => RankMethod::Prank,
            };
            if method == RankMethod::Prank && n < 2 {
                return Err(too_few("percentile rank normalisation", 2));
            }
            Fitted::Rank {
                sign,
                method,
                sorted,
                mapping,
            }
        }
    };
    check_statistics(ind, method, &fitted, scope)?;
    Ok(Some(fitted))
}

/// Checks that the statistics a fitted normalisation divides by are finite: a range of
/// values near +-f64::MAX overflows (`1e308 - -1e308`), and so does a sum of squares
/// (z-score). Such a normalisation would map every value to 0, NaN or the same number.
fn check_statistics(
    ind: &IndicatorPlan,
    method: &Normalisation,
    fitted: &Fitted<'_>,
    scope: Scope,
) -> Result<()> {
    let (statistic, value) = match *fitted {
        Fitted::Minmax { min, max, .. } | Fitted::Dist2max { min, max, .. } => {
            ("range (largest minus smallest value)", max - min)
        }
        Fitted::Zscore { mean, .. } if !mean.is_finite() => ("mean", mean),
        Fitted::Zscore { sd, .. } => ("standard deviation", sd),
        Fitted::Dist2targ { min, target, .. } => {
            ("distance from the worst value to the target", target - min)
        }
        Fitted::Dist2ref { min, reference, .. } => (
            "distance from the worst value to the reference",
            reference - min,
        ),
        Fitted::Goalposts { lo, hi, .. } => ("distance between the goalposts", hi - lo),
        Fitted::Fracmax { max, .. } => ("best value", max),
        Fitted::Rank { .. } => return Ok(()),
    };
    if value.is_finite() {
        return Ok(());
    }
    Err(Error::StatisticOverflow {
        indicator: ind.id.clone(),
        statistic,
        method: method.name(),
        scope: scope.label(),
        value,
    })
}

impl Fitted<'_> {
    /// The normalised value of `t`, a transformed and treated value in natural direction
    /// (NaN stays NaN).
    #[inline]
    pub(crate) fn apply(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        let cap = |score: f64, cap_max: bool| if cap_max { score.min(1.0) } else { score };
        match *self {
            Fitted::Minmax {
                sign,
                min,
                max,
                l,
                u,
            } => l + (sign * t - min) / (max - min) * (u - l),
            Fitted::Dist2max { sign, min, max } => 1.0 - (max - sign * t) / (max - min),
            Fitted::Zscore {
                sign,
                mean,
                sd,
                m,
                s,
            } => (sign * t - mean) / sd * s + m,
            Fitted::Goalposts {
                sign,
                lo,
                hi,
                clamp,
                l,
                u,
            } => {
                let share = if sign > 0.0 {
                    (t - lo) / (hi - lo)
                } else {
                    (hi - t) / (hi - lo)
                };
                let share = if clamp { share.clamp(0.0, 1.0) } else { share };
                l + share * (u - l)
            }
            Fitted::Dist2targ {
                sign,
                min,
                target,
                cap_max,
            } => cap((sign * t - min) / (target - min), cap_max),
            Fitted::Dist2ref {
                sign,
                min,
                reference,
                cap_max,
            } => cap(1.0 - (reference - sign * t) / (reference - min), cap_max),
            Fitted::Fracmax { sign, max } => sign * t / max,
            Fitted::Rank {
                sign,
                method,
                sorted,
                mapping,
            } => {
                // R's `rank(ties.method = "min")` of x' = sign * t: 1 + the values worse.
                let n = sorted.len();
                let worse = if sign > 0.0 {
                    sorted.partition_point(|&w| mapping.apply(w) < t)
                } else {
                    n - sorted.partition_point(|&w| mapping.apply(w) <= t)
                };
                let r = (worse + 1) as f64;
                match method {
                    RankMethod::Rank => r,
                    RankMethod::Borda => r - 1.0,
                    RankMethod::Prank => (r - 1.0) / (n.max(2) - 1) as f64,
                }
            }
        }
    }
}

/// Normalises indicator slot `i` of the panel with the method in `ind`: returns one value per
/// `(year, city)` cell, year-major, NaN where missing. Fits the method ([`fit`]) on each scope
/// of [`Bounds`] (for dist2ref, on each year of it, against that year's reference value).
pub(crate) fn normalise_indicator(
    panel: &Panel,
    i: usize,
    ind: &IndicatorPlan,
    scale: [f64; 2],
    bounds: Bounds,
) -> Result<Vec<f64>> {
    let (ny, nc, ni) = (panel.years.len(), panel.n_cities(), panel.n_indicators());
    let x: Vec<f64> = (0..ny * nc)
        .map(|cell| panel.values[cell * ni + i])
        .collect();
    let mut out = vec![f64::NAN; ny * nc];
    let reference_city = match &ind.normalisation {
        Normalisation::Dist2ref { city, .. } => {
            Some(panel.cities.iter().position(|c| c == city).ok_or_else(|| {
                Error::UnknownReference {
                    indicator: ind.id.clone(),
                    city: city.clone(),
                }
            })?)
        }
        _ => None,
    };
    let scopes: Vec<(usize, usize)> = match (bounds, &ind.normalisation) {
        // Goalposts take no statistics: one fit for the whole panel.
        (_, Normalisation::Goalposts | Normalisation::Scaled) | (Bounds::Panel, _) => {
            vec![(0, ny)]
        }
        (Bounds::Year, _) => (0..ny).map(|y| (y, y + 1)).collect(),
    };
    for (first, last) in scopes {
        let cells = first * nc..last * nc;
        let values: Vec<f64> = x[cells.clone()]
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let sample = Sample {
            values: &values,
            sorted: &sorted,
            mapping: Mapping::Identity,
        };
        let scope = Scope {
            bounds,
            year: panel.years.get(first).copied().unwrap_or(0),
            years: last - first,
        };
        // dist2ref fits each year on its own reference value; the others once per scope.
        let fits: Vec<(std::ops::Range<usize>, Option<Reference>)> = match reference_city {
            Some(c) => (first..last)
                .filter(|&y| !x[y * nc..(y + 1) * nc].iter().all(|v| v.is_nan()))
                .map(|y| {
                    let reference = Reference {
                        value: x[y * nc + c],
                        year: panel.years[y],
                    };
                    (y * nc..(y + 1) * nc, Some(reference))
                })
                .collect(),
            None => vec![(cells, None)],
        };
        for (cells, reference) in fits {
            let Some(fitted) = fit(ind, &ind.normalisation, sample, reference, scale, scope)?
            else {
                continue; // no value at all: stays missing
            };
            for cell in cells {
                out[cell] = fitted.apply(x[cell]);
            }
        }
    }
    Ok(out)
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
            level: vec![healthy_city_model::Level::City; rows.len() * nc],
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
                level: vec![healthy_city_model::Level::City; rows.len() * 10],
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
